//! Results on stdout: aligned tables for people, JSON for scripts; dates
//! in RFC 3339 (UTC), sizes in MiB.

use std::io::Write;

use ecrkit::Timestamp;
use serde::Serialize;

/// The form of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns or plain lines.
    Table,
    /// One JSON document.
    Json,
}

/// Writes `text` to stdout. A closed pipe (`ecrkit ls | head -1`) ends the
/// program quietly, as other command line tools do: nobody reads the rest.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing the result: {e}");
        std::process::exit(1);
    }
}

/// Prints `value` as pretty JSON and a newline.
pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => print(&(text + "\n")),
        // The output rows are plain data (strings, numbers, lists); they
        // always serialize.
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

/// A table of left-aligned text columns (right-aligned where asked), two
/// spaces apart; the last column is not padded.
pub struct Table {
    headers: Vec<&'static str>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            right: vec![false; headers.len()],
            rows: Vec::new(),
        }
    }

    /// Aligns column `index` (numbers) to the right.
    pub fn right_align(mut self, index: usize) -> Self {
        if let Some(r) = self.right.get_mut(index) {
            *r = true;
        }
        self
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, a line per row after the header.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let last = row.len().saturating_sub(1);
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                if self.right[i] {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if i < last {
                        line.extend(std::iter::repeat_n(' ', pad));
                    }
                }
                if i < last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// RFC 3339 in UTC (`2026-11-27T12:47:03Z`, with the fraction of a second
/// when the service sent one), as ecrkit's `Timestamp` writes it.
pub fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// Bytes as MiB with one decimal (`16.0`).
pub fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1_048_576.0)
}

/// A size for a progress line: bytes, KiB or MiB, whichever reads best.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{} MiB", mib(bytes)),
    }
}

/// A digest shortened for a table or a progress line: the algorithm and
/// the first 12 hex digits (`sha256:1a2b3c4d5e6f`), as docker shows ids.
pub fn short_digest(digest: &str) -> &str {
    let end = digest.find(':').map_or(0, |i| i + 1) + 12;
    digest.get(..end).unwrap_or(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(Timestamp::from_secs(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(Timestamp::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        let t = Timestamp::from_secs_f64(1_796_215_623.25).unwrap();
        assert!(
            rfc3339(t).starts_with("2026-12-02T12:47:03.25"),
            "{}",
            rfc3339(t)
        );
    }

    #[test]
    fn tables_align_their_columns() {
        let mut t = Table::new(&["NAME", "SIZE", "NOTE"]).right_align(1);
        t.row(vec!["a".into(), "1.0".into(), "x".into()]);
        t.row(vec!["longer".into(), "100.5".into(), String::new()]);
        assert_eq!(
            t.render(),
            "NAME     SIZE  NOTE\na         1.0  x\nlonger  100.5\n"
        );
    }

    #[test]
    fn digests_shorten_to_twelve_digits() {
        assert_eq!(
            short_digest("sha256:0123456789abcdef0123"),
            "sha256:0123456789ab"
        );
        assert_eq!(short_digest("short"), "short");
        assert_eq!(mib(16 << 20), "16.0");
        assert_eq!(human_size(152), "152 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(16 << 20), "16.0 MiB");
    }
}
