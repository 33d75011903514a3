//! What an upload in progress is (the state a journal records to resume
//! it) and the callbacks that report it; below `upload`, `mount` and
//! `outgoing`, which all speak of it.

use std::sync::Arc;

/// An upload in progress: what a journal records to resume it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadState {
    /// The repository.
    pub repository: String,
    /// The upload URL the registry gave last (`Location`).
    pub location: String,
    /// Bytes the registry has acknowledged: the next byte to send.
    pub offset: u64,
    /// The blob's digest, when known up front.
    pub digest: Option<String>,
    /// The blob's size.
    pub size: u64,
}

/// Called as bytes go out: (bytes of the blob sent so far, its size).
pub type BlobProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Called whenever the acknowledged offset or the upload URL changes, with
/// the new state (for a journal).
pub type UploadStateFn = Arc<dyn Fn(&UploadState) + Send + Sync>;
