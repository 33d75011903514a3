//! The shared config and credentials files (`~/.aws/config`,
//! `~/.aws/credentials`), parsed as the AWS SDKs do.
//!
//! The format (<https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html>,
//! with the rules of aws-config's profile parser):
//!
//! - `[name]` starts a section; a comment (`#` or `;`) may follow the `]`.
//! - `key = value` lines; keys are case-insensitive. In a value, `#` and `;`
//!   start a comment only after whitespace (`value#x` keeps the `#`).
//! - A line starting with whitespace continues the property above it; after a
//!   property with an empty value, those lines are sub-properties
//!   (`s3 =\n  max_concurrent_requests = 10`).
//! - Lines starting with `#` or `;` are comments.
//! - In the config file, profiles are `[profile name]` (or `[default]`) and
//!   other sections have a prefix (`[services name]`, `[sso-session name]`);
//!   `[name]` without a prefix is ignored. `[profile default]` wins over
//!   `[default]`.
//! - In the credentials file, profiles are `[name]`; `[profile name]` is
//!   ignored.
//! - A profile in both files is merged, the credentials file winning for a key
//!   set in both.
//!
//! Ignored sections and keys are reported with `tracing::warn!`, by name only.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::Env;

/// Space and tab: the only whitespace of the format.
const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];

/// Which of the two files a text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: `[profile name]` sections and prefixed sections.
    Config,
    /// `~/.aws/credentials`: `[name]` sections.
    Credentials,
}

/// A file that could not be read or parsed. The message names the file and
/// the line, never the line's text (which may hold a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ProfileFileError {
    /// The file.
    pub path: String,
    /// The 1-based line, for a parse error.
    pub line: Option<usize>,
    /// What was wrong.
    pub message: String,
}

/// A profile, or another section of the config file: its properties.
///
/// `Debug` prints every key but redacts the values of keys that name a
/// secret, token or password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Profile {
    name: String,
    properties: BTreeMap<String, String>,
}

impl Profile {
    /// The profile's name (`default`, `dev`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A property by key (keys are lower case).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties.keys().map(String::as_str)
    }

    /// The sub-properties of `key` (`s3 =\n  max_concurrent_requests = 10`),
    /// keys lower case.
    pub fn sub_properties(&self, key: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for line in self.get(key).unwrap_or_default().split('\n') {
            if let Some((k, v)) = line.split_once('=') {
                let k = k.trim_matches(WHITESPACE);
                if !k.is_empty() {
                    out.insert(
                        k.to_ascii_lowercase(),
                        v.trim_matches(WHITESPACE).to_owned(),
                    );
                }
            }
        }
        out
    }

    /// Sets a property (the key is lower-cased).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.properties
            .insert(key.to_ascii_lowercase(), value.into());
    }
}

/// Whether a key's value must not be printed.
pub(crate) fn is_sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "token", "password", "credential_process"]
        .iter()
        .any(|s| key.contains(s))
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Props<'a>(&'a BTreeMap<String, String>);
        impl fmt::Debug for Props<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (k, v) in self.0 {
                    if is_sensitive_key(k) {
                        map.entry(k, &"** redacted **");
                    } else {
                        map.entry(k, v);
                    }
                }
                map.finish()
            }
        }
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("properties", &Props(&self.properties))
            .finish()
    }
}

/// The profiles and other sections of the two files, merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
    /// `[services name]`, `[sso-session name]`, ... keyed by (prefix, name).
    sections: BTreeMap<(String, String), Profile>,
}

impl ProfileSet {
    /// Reads the config file (`AWS_CONFIG_FILE`, default `~/.aws/config`),
    /// then the credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default
    /// `~/.aws/credentials`), whose keys win. A missing file is empty.
    pub fn load(env: &Env) -> Result<ProfileSet, ProfileFileError> {
        let mut set = ProfileSet::default();
        for kind in [FileKind::Config, FileKind::Credentials] {
            let Some(path) = file_path(env, kind) else {
                continue;
            };
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(ProfileFileError {
                        path: path.display().to_string(),
                        line: None,
                        message: format!("could not read the file: {e}"),
                    });
                }
            };
            set.merge_file(&text, kind, &path.display().to_string())?;
        }
        Ok(set)
    }

    /// Parses one file's text and merges it in (its keys win). `path` is for
    /// error messages.
    pub fn merge_file(
        &mut self,
        text: &str,
        kind: FileKind,
        path: &str,
    ) -> Result<(), ProfileFileError> {
        let raw = parse(text, path)?;
        let has_prefixed_default = raw.iter().any(|(name, _)| {
            SectionName::parse(name) == SectionName::prefixed("profile", "default")
        });
        for (raw_name, properties) in raw {
            let name = SectionName::parse(&raw_name);
            let target = match (kind, &name.prefix, name.name.as_str()) {
                (_, _, n) if !is_identifier(n) => {
                    tracing::warn!(
                        path,
                        "section [{raw_name}] ignored: `{n}` is not a valid name"
                    );
                    continue;
                }
                (FileKind::Config, None, "default") if has_prefixed_default => {
                    tracing::warn!(
                        path,
                        "[default] ignored because [profile default] takes priority"
                    );
                    continue;
                }
                (FileKind::Config, None, "default") | (FileKind::Credentials, None, _) => {
                    self.profile_entry(&name.name)
                }
                (FileKind::Config, Some(p), _) if p == "profile" => self.profile_entry(&name.name),
                (FileKind::Config, Some(p), _) => self
                    .sections
                    .entry((p.clone(), name.name.clone()))
                    .or_insert_with(|| Profile {
                        name: name.name.clone(),
                        properties: BTreeMap::new(),
                    }),
                (FileKind::Config, None, _) => {
                    tracing::warn!(
                        path,
                        "section [{raw_name}] ignored: in the config file, write [profile {raw_name}]"
                    );
                    continue;
                }
                (FileKind::Credentials, Some(_), _) => {
                    tracing::warn!(
                        path,
                        "section [{raw_name}] ignored: the credentials file takes [name] sections only"
                    );
                    continue;
                }
            };
            for (key, value) in properties {
                if is_identifier(&key) {
                    target.properties.insert(key, value);
                } else {
                    tracing::warn!(path, "key `{key}` ignored: not a valid name");
                }
            }
        }
        Ok(())
    }

    fn profile_entry(&mut self, name: &str) -> &mut Profile {
        self.profiles
            .entry(name.to_owned())
            .or_insert_with(|| Profile {
                name: name.to_owned(),
                properties: BTreeMap::new(),
            })
    }

    /// A profile by name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The profile names, sorted.
    pub fn profile_names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Another section of the config file: `section("services", "dev")` is
    /// `[services dev]`.
    pub fn section(&self, prefix: &str, name: &str) -> Option<&Profile> {
        self.sections.get(&(prefix.to_owned(), name.to_owned()))
    }

    /// Whether there is no profile and no section.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty() && self.sections.is_empty()
    }
}

/// The path of one of the files: its variable, or the default under the
/// home directory (`~` expanded).
pub fn file_path(env: &Env, kind: FileKind) -> Option<PathBuf> {
    let (var, default) = match kind {
        FileKind::Config => ("AWS_CONFIG_FILE", "~/.aws/config"),
        FileKind::Credentials => ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    };
    let path = env.var(var).unwrap_or_else(|| default.to_owned());
    expand_home(env, &path)
}

fn expand_home(env: &Env, path: &str) -> Option<PathBuf> {
    let rest = match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with(['/', '\\']) => rest,
        _ => return Some(PathBuf::from(path)),
    };
    let home = env.home_dir()?;
    Some(Path::new(&home).join(rest.trim_start_matches(['/', '\\'])))
}

/// `[prefix name]` or `[name]`.
#[derive(Debug, PartialEq, Eq)]
struct SectionName {
    prefix: Option<String>,
    name: String,
}

impl SectionName {
    fn parse(raw: &str) -> SectionName {
        let raw = raw.trim_matches(WHITESPACE);
        match raw.split_once(WHITESPACE) {
            Some((prefix, name)) => SectionName {
                prefix: Some(prefix.to_owned()),
                name: name.trim_matches(WHITESPACE).to_owned(),
            },
            None => SectionName {
                prefix: None,
                name: raw.to_owned(),
            },
        }
    }

    fn prefixed(prefix: &str, name: &str) -> SectionName {
        SectionName {
            prefix: Some(prefix.to_owned()),
            name: name.to_owned(),
        }
    }
}

/// Names and keys: `[A-Za-z0-9_\-/.%@:+]+`.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

type RawSections = Vec<(String, Vec<(String, String)>)>;

/// Splits a file into sections of (key, value) in file order; a section that
/// appears twice appears twice.
fn parse(text: &str, path: &str) -> Result<RawSections, ProfileFileError> {
    let mut sections: RawSections = Vec::new();
    // Whether the last property had an empty value (its continuation lines
    // are sub-properties).
    let mut last_is_parent = false;
    let error = |line: usize, message: &str| ProfileFileError {
        path: path.to_owned(),
        line: Some(line),
        message: message.to_owned(),
    };
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim_matches(WHITESPACE).is_empty() || line.starts_with(COMMENT) {
            continue;
        }
        if line.starts_with('[') {
            let body = strip_comment(line, false);
            let name = body
                .strip_prefix('[')
                .and_then(|b| b.strip_suffix(']'))
                .ok_or_else(|| error(number, "a section header must end with `]`"))?;
            sections.push((name.to_owned(), Vec::new()));
            last_is_parent = false;
        } else if line.starts_with(WHITESPACE) {
            let Some((_, properties)) = sections.last_mut() else {
                return Err(error(number, "expected a section header such as [default]"));
            };
            let Some((_, value)) = properties.last_mut() else {
                return Err(error(
                    number,
                    "a continuation line (it starts with whitespace) must follow a property",
                ));
            };
            if last_is_parent {
                let sub = strip_comment(line, true);
                if !sub.is_empty() {
                    property(sub).map_err(|m| error(number, &format!("sub-property: {m}")))?;
                }
            }
            value.push('\n');
            value.push_str(line.trim_matches(WHITESPACE));
        } else {
            let Some((_, properties)) = sections.last_mut() else {
                return Err(error(number, "expected a section header such as [default]"));
            };
            let (key, value) = property(strip_comment(line, true))
                .map_err(|m| error(number, &format!("property: {m}")))?;
            last_is_parent = value.is_empty();
            properties.push((key, value.to_owned()));
        }
    }
    Ok(sections)
}

/// `key = value`, key lower-cased.
fn property(line: &str) -> Result<(String, &str), &'static str> {
    let (k, v) = line.split_once('=').ok_or("expected `key = value`")?;
    let k = k.trim_matches(WHITESPACE);
    if k.is_empty() {
        return Err("a property needs a name before `=`");
    }
    Ok((k.to_ascii_lowercase(), v.trim_matches(WHITESPACE)))
}

/// The line trimmed, without its trailing comment. In property lines a
/// comment character counts only after whitespace.
fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut prev_whitespace = false;
    for (i, c) in line.char_indices() {
        if COMMENT.contains(&c) && (prev_whitespace || !needs_whitespace) {
            return line[..i].trim_matches(WHITESPACE);
        }
        prev_whitespace = WHITESPACE.contains(&c);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(config: &str, credentials: &str) -> ProfileSet {
        let mut set = ProfileSet::default();
        set.merge_file(config, FileKind::Config, "config").unwrap();
        set.merge_file(credentials, FileKind::Credentials, "credentials")
            .unwrap();
        set
    }

    #[test]
    fn comments_and_whitespace() {
        let s = set(
            "# top\n; also\n[profile a] # trailing\nregion = us-west-2 # note\nKey=v#not-a-comment\n\tcont\nx = a ;b\n",
            "",
        );
        let a = s.profile("a").unwrap();
        assert_eq!(a.get("region"), Some("us-west-2"));
        assert_eq!(a.get("key"), Some("v#not-a-comment\ncont"));
        assert_eq!(a.get("x"), Some("a"));
    }

    #[test]
    fn sub_properties() {
        let s = set(
            "[services dev]\necr =\n  endpoint_url = http://localhost:1\n  Other = 2 # c\n",
            "",
        );
        let ecr = s.section("services", "dev").unwrap().sub_properties("ecr");
        assert_eq!(ecr["endpoint_url"], "http://localhost:1");
        assert_eq!(ecr["other"], "2 # c");
    }

    #[test]
    fn section_rules() {
        let s = set(
            "[default]\nregion = a\n[profile default]\nregion = b\n[plain]\nregion = c\n[profile  spaced ]\nregion = d\n",
            "[profile x]\naws_access_key_id = k\n[y]\naws_access_key_id = k2\n",
        );
        assert_eq!(s.profile("default").unwrap().get("region"), Some("b"));
        assert!(s.profile("plain").is_none());
        assert_eq!(s.profile("spaced").unwrap().get("region"), Some("d"));
        assert!(s.profile("x").is_none());
        assert_eq!(s.profile("y").unwrap().get("aws_access_key_id"), Some("k2"));
    }

    #[test]
    fn credentials_file_wins() {
        let s = set(
            "[profile p]\nregion = r\naws_access_key_id = config\n",
            "[p]\naws_access_key_id = creds\n",
        );
        let p = s.profile("p").unwrap();
        assert_eq!(p.get("aws_access_key_id"), Some("creds"));
        assert_eq!(p.get("region"), Some("r"));
    }

    #[test]
    fn errors_name_the_line_not_its_text() {
        let mut s = ProfileSet::default();
        let e = s
            .merge_file(
                "[default]\nsecretvalue-without-equals\n",
                FileKind::Credentials,
                "/x",
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "/x line 2: property: expected `key = value`");
        let e = s.merge_file("k = v\n", FileKind::Config, "/x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/x line 1: expected a section header such as [default]"
        );
        let e = s
            .merge_file("[default\n", FileKind::Config, "/x")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "/x line 1: a section header must end with `]`"
        );
    }

    #[test]
    fn debug_redacts() {
        let s = set(
            "",
            "[default]\naws_access_key_id = AKID\naws_secret_access_key = SeCrEt\naws_session_token = ToKeN\n",
        );
        let text = format!("{s:?}");
        assert!(text.contains("AKID"));
        assert!(
            !text.contains("SeCrEt") && !text.contains("ToKeN"),
            "{text}"
        );
    }
}
