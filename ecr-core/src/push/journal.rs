//! The push journal's contents: the uploads a push has under way, as a
//! file a later process reads to continue them ([`PushJournal`]). Where
//! the file lives and when it is written are the caller's (the command
//! line keeps one per push in its state folder); what it holds, and the
//! checks a file must pass before anything in it is used, are here, so
//! that every reader of a journal checks the same things.
//!
//! The file is JSON: `{"format": "ecrkit push journal", "version": 1,
//! "push": <the push's identity>, "uploads": [...]}`, each upload
//! `{"key", "digest", "upload_id", "bytes"}` through the ECR API or
//! `{"key", "digest", "location", "bytes"}` through the registry (the
//! upload's URL; `bytes` is what the service acknowledged in both).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// The `format` of a journal file.
pub const JOURNAL_FORMAT: &str = "ecrkit push journal";
/// The `version` of a journal file this crate writes and reads.
pub const JOURNAL_VERSION: u32 = 1;

/// Where an unfinished upload stands, and how to continue it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumePoint {
    /// Through the ECR API: [`super::ImagePush::resume`] or
    /// [`super::LayerPush::resume`] take it.
    Api {
        /// The upload id (`InitiateLayerUpload`).
        upload_id: String,
        /// Bytes the service acknowledged.
        bytes: u64,
    },
    /// Through the registry: [`super::ImagePush::resume_registry`] takes it.
    Registry {
        /// The upload's URL, as the registry last gave it.
        location: String,
        /// Bytes the registry acknowledged: the next byte to send.
        offset: u64,
    },
}

/// One unfinished upload of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalUpload {
    /// What the push calls the blob: its digest, or for a blob whose
    /// digest is not known before it is read, a name of the caller's.
    pub key: String,
    /// The blob's digest, `sha256:<hex>`, when known.
    pub digest: Option<String>,
    /// Where the upload stands.
    pub at: ResumePoint,
}

/// A journal: one push's unfinished uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushJournal {
    /// What makes two runs the same push (the caller's words: where it
    /// goes, what it reads); a journal of another push is never used.
    pub push: String,
    /// The uploads.
    pub uploads: Vec<JournalUpload>,
}

/// Why a journal file was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Not JSON of a journal's shape.
    #[error("not a journal ({0})")]
    NotAJournal(String),
    /// Another format, or a version this crate does not read.
    #[error(
        "its format is {format:?} version {version}, not {JOURNAL_FORMAT:?} version {JOURNAL_VERSION}"
    )]
    Format {
        /// The file's `format`.
        format: String,
        /// The file's `version`.
        version: u64,
    },
    /// It describes another push.
    #[error("it describes another push")]
    AnotherPush,
    /// An upload in it is not one.
    #[error("an upload that is not one: {0}")]
    BadUpload(String),
}

// A member this program does not know is not trusted either: serde skips
// an unknown member's value without checking it (the fuzz target found a
// journal with bytes that are not UTF-8 in one, accepted).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    version: u64,
    push: String,
    uploads: Vec<Upload>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Upload {
    key: String,
    digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upload_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    bytes: u64,
}

/// `sha256:` and 64 lowercase or uppercase hex digits.
fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|c| c.is_ascii_hexdigit()))
}

impl Upload {
    fn check(self) -> Result<JournalUpload, String> {
        if self.key.is_empty() || self.key.chars().any(char::is_control) {
            return Err(format!("the blob key {:?} is empty or not text", self.key));
        }
        if let Some(d) = &self.digest
            && !is_digest(d)
        {
            return Err(format!("{d:?} is not a digest (sha256: and 64 hex digits)"));
        }
        // A blob named by its digest is that digest's.
        if self.key.starts_with("sha256:") && self.digest.as_deref() != Some(self.key.as_str()) {
            return Err(format!("the blob {:?} with another digest", self.key));
        }
        let at = match (self.upload_id, self.location) {
            (Some(id), None) => {
                if id.is_empty() || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    return Err(format!("the upload id {id:?} is empty or not one word"));
                }
                ResumePoint::Api {
                    upload_id: id,
                    bytes: self.bytes,
                }
            }
            (None, Some(location)) => {
                match reqwest::Url::parse(&location) {
                    Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
                    _ => return Err(format!("{location:?} is not an upload URL")),
                }
                ResumePoint::Registry {
                    location,
                    offset: self.bytes,
                }
            }
            _ => return Err("an upload has an upload id or a location, one of them".into()),
        };
        Ok(JournalUpload {
            key: self.key,
            digest: self.digest,
            at,
        })
    }
}

impl PushJournal {
    /// An empty journal of the push `push` describes.
    pub fn new(push: impl Into<String>) -> Self {
        Self {
            push: push.into(),
            uploads: Vec::new(),
        }
    }

    /// Reads a journal file's bytes as the journal of the push `push`
    /// describes. Nothing in a file is used unless all of it passes: the
    /// format and version, the push (the same words), and every upload (a
    /// digest where one is named, an upload id or an `http(s)` URL, no
    /// blob twice).
    pub fn read(bytes: &[u8], push: &str) -> Result<PushJournal, JournalError> {
        let file: File =
            serde_json::from_slice(bytes).map_err(|e| JournalError::NotAJournal(e.to_string()))?;
        if file.format != JOURNAL_FORMAT || file.version != u64::from(JOURNAL_VERSION) {
            return Err(JournalError::Format {
                format: file.format,
                version: file.version,
            });
        }
        if file.push != push {
            return Err(JournalError::AnotherPush);
        }
        let mut keys = HashSet::new();
        let mut uploads = Vec::with_capacity(file.uploads.len());
        for u in file.uploads {
            let u = u.check().map_err(JournalError::BadUpload)?;
            if !keys.insert(u.key.clone()) {
                return Err(JournalError::BadUpload(format!(
                    "the blob {:?} twice",
                    u.key
                )));
            }
            uploads.push(u);
        }
        Ok(PushJournal {
            push: file.push,
            uploads,
        })
    }

    /// The file's bytes (uploads in key order, so the same state writes
    /// the same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut uploads: Vec<Upload> = self
            .uploads
            .iter()
            .map(|u| {
                let (upload_id, location, bytes) = match &u.at {
                    ResumePoint::Api { upload_id, bytes } => {
                        (Some(upload_id.clone()), None, *bytes)
                    }
                    ResumePoint::Registry { location, offset } => {
                        (None, Some(location.clone()), *offset)
                    }
                };
                Upload {
                    key: u.key.clone(),
                    digest: u.digest.clone(),
                    upload_id,
                    location,
                    bytes,
                }
            })
            .collect();
        uploads.sort_by(|a, b| a.key.cmp(&b.key));
        let file = File {
            format: JOURNAL_FORMAT.into(),
            version: u64::from(JOURNAL_VERSION),
            push: self.push.clone(),
            uploads,
        };
        // Strings and integers only: serializing cannot fail.
        serde_json::to_vec_pretty(&file).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    /// Layer `a`, 5 MiB into API upload `u-1`.
    fn api_upload() -> JournalUpload {
        JournalUpload {
            key: digest('a'),
            digest: Some(digest('a')),
            at: ResumePoint::Api {
                upload_id: "u-1".into(),
                bytes: 5 << 20,
            },
        }
    }

    /// The fuzz target's find (its input is fuzz/seeds/journal/regression-unknown-member):
    /// a member this program does not know, whose value holds bytes that are
    /// not UTF-8, was skipped unchecked and the journal accepted.
    #[test]
    fn a_member_it_does_not_know_is_not_trusted() {
        let mut j = PushJournal::new("push a");
        j.uploads.push(api_upload());
        let text = String::from_utf8(j.to_bytes()).unwrap();
        assert!(PushJournal::read(text.as_bytes(), "push a").is_ok());
        let mut upload = text
            .replacen("\"bytes\"", "\"other\": \"@@\", \"bytes\"", 1)
            .into_bytes();
        let at = upload
            .windows(2)
            .position(|w| w == b"@@")
            .expect("the marker");
        upload[at..at + 2].copy_from_slice(&[0x9d, 0x8f]);
        assert!(matches!(
            PushJournal::read(&upload, "push a"),
            Err(JournalError::NotAJournal(_))
        ));
        let top = text.replacen("\"uploads\"", "\"extra\": 1, \"uploads\"", 1);
        assert!(matches!(
            PushJournal::read(top.as_bytes(), "push a"),
            Err(JournalError::NotAJournal(_))
        ));
    }

    #[test]
    fn a_journal_reads_back_what_it_wrote_and_nothing_doubtful() {
        let mut j = PushJournal::new("push a");
        j.uploads.push(JournalUpload {
            key: digest('b'),
            digest: Some(digest('b')),
            at: ResumePoint::Registry {
                location: "http://127.0.0.1:5000/v2/a/blobs/uploads/u-2".into(),
                offset: 10 << 20,
            },
        });
        j.uploads.push(api_upload());
        let bytes = j.to_bytes();
        let back = PushJournal::read(&bytes, "push a").unwrap();
        assert_eq!(back.uploads.len(), 2);
        assert_eq!(back.uploads[0], j.uploads[1], "sorted by key");
        assert_eq!(back.uploads[1], j.uploads[0]);
        assert_eq!(
            PushJournal::read(&bytes, "push b"),
            Err(JournalError::AnotherPush)
        );
        let text = String::from_utf8(bytes).unwrap();
        let bad = |t: String| PushJournal::read(t.as_bytes(), "push a").unwrap_err();
        assert!(matches!(
            bad(text[..40].into()),
            JournalError::NotAJournal(_)
        ));
        assert!(matches!(
            bad(text.replace("\"version\": 1", "\"version\": 2")),
            JournalError::Format { version: 2, .. }
        ));
        for (from, to) in [
            ("u-1", ""),
            ("http://127.0.0.1:5000", "file://"),
            ("\"upload_id\"", "\"location\""),
            (&digest('a')[7..], "ab"),
            (&digest('b')[..], &digest('a')[..]),
        ] {
            assert!(
                matches!(bad(text.replacen(from, to, 1)), JournalError::BadUpload(_)),
                "{from} -> {to}"
            );
        }
    }
}
