//! Resuming a push that stopped: the `--resume` values, what a push knows
//! of its uploads, and the command line that continues it, printed when a
//! push stops or is interrupted.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use std::sync::Arc;

use crate::journal::Journal;
use crate::progress::{BlobState, ChangeFn, Display};

/// One upload to continue: `[DIGEST=]UPLOAD_ID:BYTES`, where through the
/// registry the upload id is the upload's URL. An image push names the
/// blob by digest; a `--layer` push may leave it out (the file is then
/// hashed first, since a resumed upload does not read the bytes before
/// the offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeSpec {
    /// The blob, `sha256:<hex>`.
    pub digest: Option<String>,
    /// The upload id (the ECR API), or the upload's URL (the registry).
    pub upload_id: String,
    /// Bytes the service acknowledged.
    pub bytes: u64,
}

impl ResumeSpec {
    /// Whether it continues a registry upload (its id is the upload's
    /// URL; an ECR API upload id is never one).
    pub fn is_registry(&self) -> bool {
        self.upload_id.starts_with("https://") || self.upload_id.starts_with("http://")
    }
}

impl FromStr for ResumeSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (digest, rest) = match s.split_once('=') {
            Some((digest, rest)) => (Some(digest), rest),
            None => (None, s),
        };
        if let Some(d) = digest {
            let hex = d.strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!("{d:?} is not a digest (sha256: and 64 hex digits)"));
            }
        }
        let (upload_id, bytes) = rest
            .rsplit_once(':')
            .ok_or("expected [DIGEST=]UPLOAD_ID:BYTES, as a stopped push prints it")?;
        if upload_id.is_empty() {
            return Err("the upload id is empty".into());
        }
        let bytes = bytes
            .parse()
            .map_err(|e| format!("bytes acknowledged {bytes:?}: {e}"))?;
        Ok(ResumeSpec {
            digest: digest.map(str::to_owned),
            upload_id: upload_id.to_owned(),
            bytes,
        })
    }
}

impl fmt::Display for ResumeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.digest {
            write!(f, "{d}=")?;
        }
        write!(f, "{}:{}", self.upload_id, self.bytes)
    }
}

/// What a push knows of its uploads, to say how to resume when it stops.
#[derive(Default)]
pub struct Session {
    /// Uploads to continue, by blob digest (or the layer file's name).
    pub specs: HashMap<String, ResumeSpec>,
    /// Blobs this run made present.
    pub done: HashSet<String>,
    /// The display of the image or layer being pushed.
    pub current: Option<Display>,
    /// The push's journal, unless `--no-journal`.
    pub journal: Option<Arc<Journal>>,
}

impl Session {
    /// The `--resume` values that continue from where the uploads stand.
    fn rerun_specs(&mut self) -> Vec<ResumeSpec> {
        if let Some(display) = &self.current {
            for (key, upload_id, bytes) in display.unfinished() {
                let digest = key.starts_with("sha256:").then(|| key.clone());
                self.specs.insert(
                    key,
                    ResumeSpec {
                        digest,
                        upload_id,
                        bytes,
                    },
                );
            }
            self.done.extend(display.done());
        }
        let mut specs: Vec<ResumeSpec> = self
            .specs
            .iter()
            .filter(|(key, _)| !self.done.contains(*key))
            .map(|(_, spec)| spec.clone())
            .collect();
        specs.sort_by(|a, b| a.digest.cmp(&b.digest));
        specs
    }

    /// What the journal records as the display of a push changes: the
    /// uploads carried from before (the session's, minus the blobs done)
    /// with the display's blobs over them; `layer_digest` names a layer
    /// file's blob when it is known.
    pub fn journal_hook(&self, layer_digest: Option<String>) -> Option<ChangeFn> {
        let journal = self.journal.clone()?;
        let carried: HashMap<String, ResumeSpec> = self
            .specs
            .iter()
            .filter(|(key, _)| !self.done.contains(*key))
            .map(|(k, s)| (k.clone(), s.clone()))
            .collect();
        Some(Arc::new(move |blobs: &[BlobState]| {
            let mut uploads = carried.clone();
            for b in blobs {
                if b.done {
                    uploads.remove(&b.digest);
                } else if let (Some(id), true) = (&b.upload_id, b.acknowledged() > 0) {
                    let digest = match b.digest.starts_with("sha256:") {
                        true => Some(b.digest.clone()),
                        false => layer_digest.clone(),
                    };
                    let spec = ResumeSpec {
                        digest,
                        upload_id: id.clone(),
                        bytes: b.acknowledged(),
                    };
                    uploads.insert(b.digest.clone(), spec);
                }
            }
            let uploads: Vec<(String, ResumeSpec)> = uploads.into_iter().collect();
            journal.record(&uploads);
        }))
    }

    /// The lines that say how to continue.
    pub fn how_to_continue(&mut self) -> Vec<String> {
        let specs = self.rerun_specs();
        let mut lines = continue_lines(&specs);
        if let Some(journal) = self.journal.as_ref().filter(|_| !specs.is_empty()) {
            lines.push(format!(
                "(or run the same command again: {} holds these uploads)",
                journal.path().display()
            ));
        }
        lines
    }
}

/// What to run to continue these uploads (none: run the same command).
fn continue_lines(specs: &[ResumeSpec]) -> Vec<String> {
    if specs.is_empty() {
        vec![
            "no upload was left partway: run the same command again to continue \
              (blobs already in the repository are skipped)"
                .into(),
        ]
    } else {
        vec![
            "to continue where the service stands, run:".into(),
            format!("  {}", rerun_command(specs)),
        ]
    }
}

/// This program's command line with its `--resume` values replaced by
/// `specs`, quoted for a POSIX shell.
pub fn rerun_command(specs: &[ResumeSpec]) -> String {
    let mut args: Vec<String> = Vec::new();
    let mut skip_value = false;
    for arg in std::env::args_os().map(|a| a.to_string_lossy().into_owned()) {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if arg == "--resume" {
            skip_value = true;
            continue;
        }
        if arg.starts_with("--resume=") {
            continue;
        }
        args.push(arg);
    }
    for spec in specs {
        args.push("--resume".into());
        args.push(spec.to_string());
    }
    let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
    quoted.join(" ")
}

/// `arg` as a POSIX shell word: as it is when it holds only safe
/// characters, in single quotes otherwise.
fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_back_what_they_print() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let text = format!("{digest}=2c3d5e7f-0000-4000-8000-000000000000:10485760");
        let spec: ResumeSpec = text.parse().unwrap();
        assert_eq!(spec.digest.as_deref(), Some(digest.as_str()));
        assert_eq!(spec.bytes, 10_485_760);
        assert_eq!(spec.to_string(), text);
        let bare: ResumeSpec = "u-1:5".parse().unwrap();
        assert_eq!(
            (bare.digest, bare.upload_id.as_str(), bare.bytes),
            (None, "u-1", 5)
        );
        assert!(
            "sha256:12=u:1"
                .parse::<ResumeSpec>()
                .unwrap_err()
                .contains("not a digest")
        );
        assert!("u-1".parse::<ResumeSpec>().is_err());
        assert!(
            "u-1:x"
                .parse::<ResumeSpec>()
                .unwrap_err()
                .contains("bytes acknowledged")
        );
    }

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("demo/app"), "demo/app");
        assert_eq!(shell_quote("my image"), "'my image'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
