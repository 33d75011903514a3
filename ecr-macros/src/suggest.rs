//! "Did you mean": the name a misspelled attribute or argument most likely
//! meant, among the names the table holds.

/// The candidate `word` most likely meant: one that it abbreviates or
/// extends (`minimum` for `min`), or at most two edits away.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let affix = word.len() >= 3 && (word.starts_with(c) || c.starts_with(word.as_str()));
            (if affix { 0 } else { edit_distance(&word, c) }, c)
        })
        .filter(|(d, c)| *d <= 2 && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The field attribute a name is a typo of: at most two edits away, and
/// long enough (four characters or more) that a foreign attribute (`doc`,
/// `cfg`) is never mistaken for one.
pub fn misspelled_field_attr(name: &str) -> Option<&'static str> {
    if name.len() < 4 {
        return None;
    }
    crate::table::FIELD_ATTRS
        .iter()
        .map(|s| (edit_distance(name, s.name), s.name))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two neighbours (`lenght`) each cost one.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_and_abbreviations() {
        assert_eq!(edit_distance("lenght", "length"), 1);
        assert_eq!(misspelled_field_attr("lenght"), Some("length"));
        assert_eq!(misspelled_field_attr("doc"), None);
        assert_eq!(misspelled_field_attr("serde"), None);
        assert_eq!(closest("minimum", ["min", "max"]), Some("min"));
        assert_eq!(closest("tagret", ["target", "output"]), Some("target"));
        assert_eq!(closest("zzz", ["min", "max"]), None);
    }
}
