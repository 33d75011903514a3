//! The push journal: the uploads a push has under way, kept on disk so
//! that the same command, run again after the process died (killed, a
//! crash, a reboot), continues each one where the service stands instead
//! of from byte zero.
//!
//! Where: `$ECRKIT_STATE_DIR`, else `$XDG_STATE_HOME/ecrkit`, else
//! `~/.local/state/ecrkit`; one file per push, `push-<hash>.json`, where the
//! hash is of what makes two runs the same push (endpoint, region,
//! profile, repository, source, chosen images and tags).
//!
//! What: the uploads under way (`ecrkit::push::journal` has the format
//! and the checks): `{"format": "ecrkit push journal", "version": 1,
//! "push": <what the hash is of>, "uploads": [...]}`, each upload the blob
//! (its digest, or the layer file's name) and, through the ECR API, the
//! upload id and the bytes the service acknowledged (`{"key", "digest",
//! "upload_id", "bytes"}`), through the registry the upload's URL and the
//! offset the registry acknowledged (`{"key", "digest", "location",
//! "bytes"}`). Upload ids and upload URLs are not secrets; no credential
//! is written.
//!
//! How: rewritten whole after each acknowledged part, to a temporary file
//! renamed over the last one, so a reader sees one state or the next,
//! never half of one; removed when the push completes. A journal that does
//! not parse, is of another format or version, or describes another push
//! is ignored with a warning, never trusted.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ecrkit::push::journal::{JournalUpload, PushJournal, ResumePoint};
use sha2::{Digest, Sha256};

use crate::resume::ResumeSpec;

/// One push's journal file.
pub struct Journal {
    path: PathBuf,
    push: String,
    /// What was last written, to skip identical rewrites; `None` before
    /// the first write.
    written: Mutex<Option<Vec<u8>>>,
    /// A write failed once already (warned about once).
    failed: Mutex<bool>,
}

/// The folder journals live in; `None` without a home directory.
pub fn state_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("ECRKIT_STATE_DIR")
        .or_else(|| from("XDG_STATE_HOME").map(|d| d.join("ecrkit")))
        .or_else(|| from("HOME").map(|h| h.join(".local/state/ecrkit")))
}

impl Journal {
    /// The journal of the push `push` describes; `None` when there is no
    /// state folder.
    pub fn for_push(push: String) -> Option<Journal> {
        let hash = Sha256::digest(push.as_bytes());
        let name = format!("push-{}.json", hex::encode(&hash[..8]));
        Some(Journal {
            path: state_dir()?.join(name),
            push,
            written: Mutex::new(None),
            failed: Mutex::new(false),
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The uploads it holds (blob key and how to resume it); empty, with a
    /// warning on stderr, when the file cannot be trusted.
    pub fn load(&self) -> Vec<(String, ResumeSpec)> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => return self.ignore(&e.to_string()),
        };
        match PushJournal::read(&text, &self.push) {
            Ok(journal) => journal
                .uploads
                .into_iter()
                .map(|u| {
                    let (upload_id, bytes) = match u.at {
                        ResumePoint::Api { upload_id, bytes } => (upload_id, bytes),
                        ResumePoint::Registry { location, offset } => (location, offset),
                    };
                    let spec = ResumeSpec {
                        digest: u.digest,
                        upload_id,
                        bytes,
                    };
                    (u.key, spec)
                })
                .collect(),
            Err(e) => self.ignore(&e.to_string()),
        }
    }

    fn ignore(&self, why: &str) -> Vec<(String, ResumeSpec)> {
        crate::progress::clear_bars();
        eprintln!(
            "warning: ignoring the push journal {}: {why}; the uploads start over",
            self.path.display()
        );
        Vec::new()
    }

    /// Writes these uploads (blob key, spec) as the journal, unless they
    /// are what it holds already. A failure is warned about once and does
    /// not stop the push.
    pub fn record(&self, uploads: &[(String, ResumeSpec)]) {
        let mut journal = PushJournal::new(self.push.clone());
        journal.uploads = uploads
            .iter()
            .map(|(key, s)| JournalUpload {
                key: key.clone(),
                digest: s.digest.clone(),
                at: match s.is_registry() {
                    true => ResumePoint::Registry {
                        location: s.upload_id.clone(),
                        offset: s.bytes,
                    },
                    false => ResumePoint::Api {
                        upload_id: s.upload_id.clone(),
                        bytes: s.bytes,
                    },
                },
            })
            .collect();
        let bytes = journal.to_bytes();
        let mut written = lock(&self.written);
        if written.as_ref() == Some(&bytes) {
            return;
        }
        match self.write(&bytes) {
            Ok(()) => *written = Some(bytes),
            Err(e) => {
                if !std::mem::replace(&mut *lock(&self.failed), true) {
                    tracing::warn!(
                        "could not write the push journal {}: {e}; a push that dies now \
                         starts its uploads over",
                        self.path.display()
                    );
                }
            }
        }
    }

    fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self
            .path
            .with_extension(format!("json.tmp-{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &self.path)
    }

    /// Deletes the journal (the push completed).
    pub fn remove(&self) {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("could not remove {}: {e}", self.path.display()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(dir: &Path, push: &str) -> Journal {
        Journal {
            path: dir.join("push-test.json"),
            push: push.into(),
            written: Mutex::new(None),
            failed: Mutex::new(false),
        }
    }

    #[test]
    fn what_is_recorded_reads_back_and_a_foreign_or_corrupt_journal_is_ignored() {
        let dir = std::env::temp_dir().join(format!("ecrkit-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let j = journal(&dir, "push a");
        assert!(j.load().is_empty(), "no file: nothing");
        let digest = format!("sha256:{}", "ab".repeat(32));
        let spec: ResumeSpec = format!("{digest}=u-1:5242880").parse().unwrap();
        j.record(&[(digest.clone(), spec.clone())]);
        assert_eq!(j.load(), vec![(digest.clone(), spec.clone())]);
        // A registry upload: its URL and offset.
        let other = format!("sha256:{}", "cd".repeat(32));
        let at: ResumeSpec = format!("{other}=http://127.0.0.1:5000/v2/a/blobs/uploads/u-2:7")
            .parse()
            .unwrap();
        assert!(at.is_registry() && !spec.is_registry());
        j.record(&[(digest.clone(), spec.clone()), (other.clone(), at.clone())]);
        let mut both = j.load();
        both.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(both, vec![(digest.clone(), spec.clone()), (other, at)]);
        j.record(&[(digest.clone(), spec.clone())]);
        // Another push's reading of the same file does not trust it.
        assert!(journal(&dir, "push b").load().is_empty());
        // Nor a file cut short, nor one whose entries are not uploads.
        let text = std::fs::read_to_string(j.path()).unwrap();
        std::fs::write(j.path(), &text[..text.len() / 2]).unwrap();
        assert!(j.load().is_empty());
        std::fs::write(j.path(), text.replace("u-1", "")).unwrap();
        assert!(j.load().is_empty());
        j.remove();
        assert!(!j.path().exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
