//! The AWS models' patterns are Java / ECMAScript regexes; the runtime's
//! engines (regex-lite, regex) read Rust's dialect. Two forms of the models
//! have no Rust spelling as written, and are rewritten for the engine (the
//! schema keeps the pattern as the model writes it):
//!
//! - UTF-16 surrogate pairs, `\uD800\uDC00` (U+10000), become the code point
//!   they encode, `\x{10000}`; a lone surrogate cannot match Rust's text and
//!   is left for the compile error.
//! - Java's POSIX classes, `\p{Print}`, `\p{Alpha}`, ..., which are ASCII
//!   classes in Java, become `[[:print:]]`, `[[:alpha:]]`, ... (`[:print:]`
//!   inside a bracket class).

/// Java's POSIX class names and Rust's ASCII class for each.
const POSIX: &[(&str, &str)] = &[
    ("Lower", "lower"),
    ("Upper", "upper"),
    ("ASCII", "ascii"),
    ("Alpha", "alpha"),
    ("Digit", "digit"),
    ("Alnum", "alnum"),
    ("Punct", "punct"),
    ("Graph", "graph"),
    ("Print", "print"),
    ("Blank", "blank"),
    ("Cntrl", "cntrl"),
    ("XDigit", "xdigit"),
    ("Space", "space"),
];

/// `source` in the engine's dialect; `None` when nothing needs rewriting.
pub fn for_engine(source: &str) -> Option<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut changed = false;
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            if let Some((code, used)) = surrogate_pair(&chars[i..]) {
                out.push_str(&format!("\\x{{{code:X}}}"));
                changed = true;
                i += used;
                continue;
            }
            if let Some((class, used)) = posix(&chars[i..]) {
                if in_class {
                    out.push_str(&format!("[:{class}:]"));
                } else {
                    out.push_str(&format!("[[:{class}:]]"));
                }
                changed = true;
                i += used;
                continue;
            }
            // Any other escape is copied whole (an escaped `[` is no class).
            out.push(c);
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        match c {
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    changed.then_some(out)
}

/// `\uHHHH` at the start of `s`.
fn hex4(s: &[char]) -> Option<u32> {
    if s.len() < 6 || s[0] != '\\' || s[1] != 'u' {
        return None;
    }
    let text: String = s[2..6].iter().collect();
    u32::from_str_radix(&text, 16).ok()
}

/// A high and a low surrogate escape: the code point, and the characters used.
fn surrogate_pair(s: &[char]) -> Option<(u32, usize)> {
    let high = hex4(s)?;
    let low = hex4(s.get(6..)?)?;
    if (0xD800..=0xDBFF).contains(&high) && (0xDC00..=0xDFFF).contains(&low) {
        Some((0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00), 12))
    } else {
        None
    }
}

/// `\p{Name}` of a Java POSIX class: Rust's class name, and the characters used.
fn posix(s: &[char]) -> Option<(&'static str, usize)> {
    if s.len() < 4 || s[1] != 'p' || s[2] != '{' {
        return None;
    }
    let end = s.iter().position(|&c| c == '}')?;
    let name: String = s[3..end].iter().collect();
    POSIX
        .iter()
        .find(|(java, _)| *java == name)
        .map(|(_, rust)| (*rust, end + 1))
}

#[cfg(test)]
mod tests {
    use super::for_engine;

    #[test]
    fn surrogate_pairs_become_code_points() {
        assert_eq!(
            for_engine(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*").as_deref(),
            Some(r"[\u0020-\uD7FF\uE000-\uFFFD\x{10000}-\x{10FFFF}\r\n\t]*")
        );
        assert_eq!(for_engine(r"[a-z]+"), None);
    }

    #[test]
    fn java_posix_classes_become_ascii_classes() {
        assert_eq!(for_engine(r"\p{Print}+").as_deref(), Some("[[:print:]]+"));
        assert_eq!(
            for_engine(r"[\p{Alnum}_-]+").as_deref(),
            Some("[[:alnum:]_-]+")
        );
        // A Unicode general category is left to the Unicode engine.
        assert_eq!(for_engine(r"\p{L}+"), None);
        // An escaped bracket does not open a class.
        assert_eq!(
            for_engine(r"\[\p{Digit}").as_deref(),
            Some(r"\[[[:digit:]]")
        );
    }
}
