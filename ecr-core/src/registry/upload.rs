//! Blob uploads: `POST` to start (or mount), then the bytes as one
//! streaming `PATCH`, as `PATCH`es of a chunk size, or in the final `PUT`,
//! and the `PUT ?digest=` that commits them.
//!
//! ECR's departures from the spec, and what is done about each:
//!
//! - a chunk `PATCH` answers 201 where the spec says 202: any 2xx is
//!   success;
//! - chunks below 5 MiB except the last are refused: `Chunked` takes at
//!   least [`MIN_CHUNK`], and the refusal (`LayerPartTooSmallException`)
//!   is not retried;
//! - a resend that starts below what the registry committed gets 416
//!   naming the committed offset (its `Range` header, or the message): the
//!   upload continues from there if that is at or past what was
//!   acknowledged, and stops with an error otherwise (an upload never
//!   goes back);
//! - `Range` on a `PATCH` answer can stop advancing: the offset tracked is
//!   the end of what was sent and acknowledged, never `Range`.
//!
//! A registry that loses the upload (`BLOB_UPLOAD_UNKNOWN`; the CNCF
//! registry cancels one resent from a stale offset) gets a new one from
//! byte 0. The state of an upload ([`UploadState`]: location, acknowledged
//! offset, digest) is what a journal records to resume it in another
//! process ([`PushBlob::resume`]).

use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, RANGE};

use super::blobs::BlobSource;
use super::error::{RegistryError, status_error};
use super::mount::MountOutcome;
use super::outgoing::{self, SharedHash, committed_offset, new_hash};
use super::upload_state::{BlobProgressFn, UploadState, UploadStateFn};
use super::{RegistryClient, backoff, check_digest, check_repository, push_scope};

/// The smallest chunk of a chunked upload: ECR refuses smaller ones except
/// the last (`LayerPartTooSmallException`).
pub const MIN_CHUNK: u64 = 5 << 20;

/// How the bytes of a blob are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UploadMode {
    /// One `PATCH` with the whole blob, then `PUT ?digest=` (what docker,
    /// skopeo and crane do; ECR takes it whatever the size).
    #[default]
    Streaming,
    /// `PATCH`es of `chunk_size` bytes (at least [`MIN_CHUNK`]; the last
    /// may be smaller), then `PUT ?digest=`: a failure resends one chunk at
    /// most.
    Chunked {
        /// Bytes per `PATCH`.
        chunk_size: u64,
    },
    /// `POST`, then one `PUT ?digest=` carrying the whole blob. Needs the
    /// digest up front; without one the upload streams instead.
    Monolithic,
}

/// How a blob came to be in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOutcome {
    /// Its bytes were sent.
    Uploaded,
    /// The registry mounted it from another repository.
    Mounted,
    /// It was there already (`HEAD`).
    AlreadyPresent,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedBlob {
    /// `sha256:<hex>`.
    pub digest: String,
    /// The size in bytes.
    pub size: u64,
    /// Uploaded, mounted or already there.
    pub outcome: BlobOutcome,
    /// Times the upload continued after a failure (resends, 416 answers,
    /// new uploads after a lost one).
    pub recoveries: u32,
}

/// An upload that stopped: the error, and the state to resume from.
#[derive(Debug, thiserror::Error)]
#[error("{source}{}", state.as_ref().map(|s| format!(" (upload of {} acknowledged {} of {} bytes)", s.digest.as_deref().unwrap_or("blob"), s.offset, s.size)).unwrap_or_default())]
pub struct UploadError {
    /// The upload to resume (set [`PushBlob::resume`] to it), once one started.
    pub state: Option<UploadState>,
    /// What failed.
    #[source]
    pub source: RegistryError,
}

/// Options of one blob upload.
#[derive(Clone)]
pub struct PushBlob {
    /// The repository.
    pub repository: String,
    /// The digest, when known: the bytes are sent as they are and the
    /// registry checks them. When `None` they are hashed on the way.
    pub digest: Option<String>,
    /// The size in bytes.
    pub size: u64,
    /// How the bytes are sent.
    pub mode: UploadMode,
    /// Try to mount the blob from this repository of the same registry first.
    pub mount_from: Option<String>,
    /// Skip the upload when `HEAD` finds the blob (default `true`; needs
    /// the digest).
    pub check_exists: bool,
    /// Attempts after which a failing upload stops (default 5).
    pub attempts: u32,
    /// Continue this upload rather than start one.
    pub resume: Option<UploadState>,
    /// Progress of the bytes sent.
    pub progress: Option<BlobProgressFn>,
    /// Each change of the upload's state.
    pub on_state: Option<UploadStateFn>,
}

impl std::fmt::Debug for PushBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushBlob")
            .field("repository", &self.repository)
            .field("digest", &self.digest)
            .field("size", &self.size)
            .field("mode", &self.mode)
            .field("mount_from", &self.mount_from)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl PushBlob {
    /// Options for a blob of `size` bytes, with its digest if known.
    pub fn new(repository: impl Into<String>, digest: Option<String>, size: u64) -> Self {
        Self {
            repository: repository.into(),
            digest,
            size,
            mode: UploadMode::default(),
            mount_from: None,
            check_exists: true,
            attempts: 5,
            resume: None,
            progress: None,
            on_state: None,
        }
    }

    fn check(&self) -> Result<(), RegistryError> {
        check_repository("repository", &self.repository)?;
        if let Some(d) = &self.digest {
            check_digest("digest", d)?;
        }
        if let UploadMode::Chunked { chunk_size } = self.mode
            && chunk_size < MIN_CHUNK
        {
            return Err(RegistryError::invalid(
                "mode.chunk_size",
                format!(
                    "{chunk_size} is below the minimum of {MIN_CHUNK} bytes (5 MiB: ECR refuses smaller chunks except the last)"
                ),
            ));
        }
        if let Some(from) = &self.mount_from {
            check_repository("mount_from", from)?;
        }
        Ok(())
    }

    /// Uploads the blob read from `source` (unless it is there, or mounts).
    pub async fn push(
        &self,
        client: &RegistryClient,
        source: &dyn BlobSource,
    ) -> Result<UploadedBlob, UploadError> {
        let stop = |state: Option<&UploadState>, source| UploadError {
            state: state.cloned(),
            source,
        };
        self.check().map_err(|e| stop(None, e))?;
        let known = self.digest.clone();
        if self.resume.is_none()
            && self.check_exists
            && let Some(digest) = &known
            && client
                .blob_exists(&self.repository, digest)
                .await
                .map_err(|e| stop(None, e))?
        {
            return Ok(self.done(digest.clone(), BlobOutcome::AlreadyPresent, 0));
        }
        let mut state = match &self.resume {
            Some(state) => state.clone(),
            None => match self.start(client, true).await.map_err(|e| stop(None, e))? {
                Some(state) => state,
                None => {
                    let digest = known.unwrap_or_default();
                    return Ok(self.done(digest, BlobOutcome::Mounted, 0));
                }
            },
        };
        let hash: Option<SharedHash> = known.is_none().then(new_hash);
        let mode = match (self.mode, &known) {
            (UploadMode::Monolithic, None) => UploadMode::Streaming,
            (mode, _) => mode,
        };
        let mut failures = 0u32;
        let mut recoveries = 0u32;
        let mut last_failed_at = None;
        loop {
            let result = if state.offset < self.size && mode != UploadMode::Monolithic {
                let end = match mode {
                    UploadMode::Chunked { chunk_size } => {
                        self.size.min(state.offset.saturating_add(chunk_size))
                    }
                    _ => self.size,
                };
                self.patch(client, &mut state, source, end, hash.as_ref())
                    .await
                    .map(|()| None)
            } else {
                self.finish(client, &mut state, source, mode, hash.as_ref())
                    .await
            };
            let error = match result {
                Ok(Some(digest)) => {
                    return Ok(self.done(digest, BlobOutcome::Uploaded, recoveries));
                }
                Ok(None) => {
                    self.report(&state);
                    continue;
                }
                Err(e) => e,
            };
            failures += 1;
            if failures >= self.attempts.max(1) {
                return Err(stop(Some(&state), error));
            }
            recoveries += 1;
            let repeated = last_failed_at == Some(state.offset);
            last_failed_at = Some(state.offset);
            match self.recover(client, &mut state, error, repeated).await {
                Ok(()) => self.report(&state),
                Err(e) => return Err(stop(Some(&state), e)),
            }
        }
    }

    fn done(&self, digest: String, outcome: BlobOutcome, recoveries: u32) -> UploadedBlob {
        UploadedBlob {
            digest,
            size: self.size,
            outcome,
            recoveries,
        }
    }

    fn report(&self, state: &UploadState) {
        if let Some(on_state) = &self.on_state {
            on_state(state);
        }
    }

    /// Starts an upload (mounting when asked and `allow_mount`); `None` when
    /// the blob was mounted.
    async fn start(
        &self,
        client: &RegistryClient,
        allow_mount: bool,
    ) -> Result<Option<UploadState>, RegistryError> {
        let mount = match (&self.mount_from, &self.digest) {
            (Some(from), Some(digest)) if allow_mount => Some((digest.as_str(), from.as_str())),
            _ => None,
        };
        match client.start_upload(&self.repository, mount).await? {
            MountOutcome::Mounted => Ok(None),
            MountOutcome::Started(mut state) => {
                state.digest = self.digest.clone();
                state.size = self.size;
                self.report(&state);
                Ok(Some(state))
            }
        }
    }

    /// Decides what follows a failure: continue forward from what the
    /// registry committed (416), start again (the upload is gone), resend
    /// (transient), or stop. A second transient failure at the same offset
    /// asks the registry where the upload stands first (`GET` of the
    /// upload URL): a server that rejects a resend before reading it
    /// resets the connection, and its 416 never reaches the client.
    async fn recover(
        &self,
        client: &RegistryClient,
        state: &mut UploadState,
        error: RegistryError,
        repeated: bool,
    ) -> Result<(), RegistryError> {
        let code = error.code().map(str::to_owned);
        match error.status() {
            Some(416) => {
                let committed = match &error {
                    RegistryError::Status { message, .. } => committed_offset(None, message),
                    _ => None,
                };
                self.forward_to(state, committed, error)
            }
            Some(404) => self.restart(client, state, error).await,
            Some(400)
                if matches!(
                    code.as_deref(),
                    Some("BLOB_UPLOAD_UNKNOWN" | "BLOB_UPLOAD_INVALID")
                ) =>
            {
                self.restart(client, state, error).await
            }
            // A refused credential was replaced by `send_once`: resend.
            Some(401) => Ok(()),
            _ if error.is_retryable() && repeated => match self.status(client, state).await {
                Ok(Some(committed)) if committed > state.offset => {
                    self.forward_to(state, Some(committed), error)
                }
                Ok(_) => {
                    tokio::time::sleep(backoff(2)).await;
                    Ok(())
                }
                Err(status) if matches!(status.status(), Some(400 | 404)) => {
                    self.restart(client, state, status).await
                }
                Err(_) => Ok(()),
            },
            _ if error.is_retryable() => {
                tokio::time::sleep(backoff(1)).await;
                Ok(())
            }
            _ => Err(error),
        }
    }

    fn forward_to(
        &self,
        state: &mut UploadState,
        committed: Option<u64>,
        error: RegistryError,
    ) -> Result<(), RegistryError> {
        let Some(committed) = committed else {
            return Err(error);
        };
        if committed < state.offset || committed > self.size {
            return Err(RegistryError::protocol(
                "resuming an upload",
                format!(
                    "the registry says it holds {committed} bytes, but it acknowledged {} of {} \
                     (an upload only goes forward): {error}",
                    state.offset, self.size
                ),
            ));
        }
        tracing::debug!(
            from = state.offset,
            to = committed,
            "continuing an upload from the committed offset"
        );
        state.offset = committed;
        Ok(())
    }

    async fn restart(
        &self,
        client: &RegistryClient,
        state: &mut UploadState,
        error: RegistryError,
    ) -> Result<(), RegistryError> {
        tracing::warn!(
            "upload {} of {} is no longer known to the registry ({error}): that blob starts over",
            state.location,
            self.digest.as_deref().unwrap_or("a blob"),
        );
        match self.start(client, false).await? {
            Some(new) => {
                *state = new;
                Ok(())
            }
            None => Err(error),
        }
    }

    /// The committed offset the registry reports for the upload (`GET` of
    /// its URL: 204 with `Range`), `None` if it does not say.
    async fn status(
        &self,
        client: &RegistryClient,
        state: &mut UploadState,
    ) -> Result<Option<u64>, RegistryError> {
        let url = parse_location(&state.location)?;
        let response = client
            .send(
                "GET upload status",
                &[push_scope(&self.repository)],
                |http| http.get(url.clone()),
            )
            .await?;
        if !response.status().is_success() {
            return Err(status_error("GET upload status", response).await);
        }
        if response.headers().contains_key(reqwest::header::LOCATION) {
            state.location = client.location(&response, "GET upload status")?;
        }
        Ok(response
            .headers()
            .get(RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| committed_offset(Some(r), "")))
    }

    /// Sends bytes `[state.offset, end)` in one `PATCH`.
    async fn patch(
        &self,
        client: &RegistryClient,
        state: &mut UploadState,
        source: &dyn BlobSource,
        end: u64,
        hash: Option<&SharedHash>,
    ) -> Result<(), RegistryError> {
        let from = state.offset;
        let body =
            outgoing::body(source, from, end, self.size, hash, self.progress.clone()).await?;
        let url = parse_location(&state.location)?;
        let request = client
            .http()
            .patch(url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, end - from)
            .header("Content-Range", format!("{from}-{}", end - 1))
            .body(body);
        let response = client
            .send_once("PATCH blob", &[push_scope(&self.repository)], request)
            .await?;
        let status = response.status();
        if status == StatusCode::RANGE_NOT_SATISFIABLE {
            let range = response
                .headers()
                .get(RANGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let error = status_error("PATCH blob", response).await;
            let message = match &error {
                RegistryError::Status { message, .. } => message.clone(),
                _ => String::new(),
            };
            // Handled here, where the header is still at hand: forward
            // when the registry holds more than was acknowledged; else a
            // failure like any other (counted, so a 416 that names the
            // same offset again cannot loop).
            return match committed_offset(range.as_deref(), &message) {
                Some(committed) if committed > state.offset => {
                    self.forward_to(state, Some(committed), error)
                }
                _ => Err(error),
            };
        }
        // 202 is the spec's answer; ECR sends 201.
        if !status.is_success() {
            return Err(status_error("PATCH blob", response).await);
        }
        if let Some(range) = response.headers().get(RANGE).and_then(|v| v.to_str().ok())
            && committed_offset(Some(range), "") != Some(end)
        {
            // ECR's Range can stop advancing; the offset sent and
            // acknowledged is what counts.
            tracing::debug!(
                range,
                sent_to = end,
                "the registry's Range disagrees with the bytes acknowledged"
            );
        }
        if response.headers().contains_key(reqwest::header::LOCATION) {
            state.location = client.location(&response, "PATCH blob")?;
        }
        state.offset = end;
        Ok(())
    }

    /// `PUT ?digest=`: empty after `PATCH`es, or the whole blob
    /// (monolithic). Returns the digest committed.
    async fn finish(
        &self,
        client: &RegistryClient,
        state: &mut UploadState,
        source: &dyn BlobSource,
        mode: UploadMode,
        hash: Option<&SharedHash>,
    ) -> Result<Option<String>, RegistryError> {
        let digest = match (&self.digest, hash) {
            (Some(d), _) => d.clone(),
            (None, Some(hash)) => outgoing::digest_of_sent(source, state.offset, hash).await?,
            (None, None) => {
                return Err(RegistryError::invalid("digest", "no digest and no hash"));
            }
        };
        let mut url = parse_location(&state.location)?;
        url.query_pairs_mut().append_pair("digest", &digest);
        let monolithic = mode == UploadMode::Monolithic;
        let (len, body) = if monolithic {
            (
                self.size,
                outgoing::body(source, 0, self.size, self.size, None, self.progress.clone())
                    .await?,
            )
        } else {
            (0, reqwest::Body::from(Vec::new()))
        };
        let request = client
            .http()
            .put(url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, len)
            .body(body);
        let response = match client
            .send_once("PUT blob", &[push_scope(&self.repository)], request)
            .await
        {
            Ok(r) => r,
            // The commit may have happened with its answer lost.
            Err(e) if e.is_retryable() => {
                if client
                    .blob_exists(&self.repository, &digest)
                    .await
                    .unwrap_or(false)
                {
                    return Ok(Some(digest));
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let status = response.status();
        if status.is_success() {
            if let Some(sent) = response
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                && sent != digest
            {
                return Err(RegistryError::Digest {
                    what: "uploaded blob",
                    expected: digest,
                    actual: sent.to_owned(),
                });
            }
            state.offset = self.size;
            return Ok(Some(digest));
        }
        let error = status_error("PUT blob", response).await;
        if status == StatusCode::NOT_FOUND
            && client
                .blob_exists(&self.repository, &digest)
                .await
                .unwrap_or(false)
        {
            // A lost answer to an earlier PUT that did commit.
            return Ok(Some(digest));
        }
        Err(error)
    }
}

fn parse_location(location: &str) -> Result<reqwest::Url, RegistryError> {
    reqwest::Url::parse(location)
        .map_err(|e| RegistryError::protocol("upload", format!("bad upload URL {location:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_below_the_minimum_are_refused_naming_the_field() {
        let mut push = PushBlob::new("repo", None, 10);
        push.mode = UploadMode::Chunked {
            chunk_size: 1 << 20,
        };
        let err = push.check().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid mode.chunk_size: 1048576 is below the minimum of 5242880 bytes (5 MiB: ECR refuses smaller chunks except the last)"
        );
        push.mode = UploadMode::Chunked {
            chunk_size: MIN_CHUNK,
        };
        assert!(push.check().is_ok());
        push.repository = "Bad".into();
        assert!(
            push.check()
                .unwrap_err()
                .to_string()
                .starts_with("invalid repository")
        );
    }
}
