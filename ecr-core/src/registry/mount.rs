//! Starting an upload, and the cross-repository mount that can make one
//! unnecessary: `POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repo>`.
//!
//! A registry that mounts answers 201 and the blob is there. One that does
//! not (the source repository lacks it, the registry does not mount, or, on
//! ECR, the account has not opted in with the `BLOB_MOUNTING` setting or the
//! repositories differ in encryption) answers 202 with a new upload, which
//! the caller then uses.

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use super::error::{RegistryError, status_error};
use super::upload_state::UploadState;
use super::{RegistryClient, check_digest, check_repository, pull_scope, push_scope};

/// What starting an upload gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountOutcome {
    /// The registry mounted the blob from the other repository: nothing to send.
    Mounted,
    /// An upload session to send the bytes to.
    Started(UploadState),
}

impl RegistryClient {
    /// Starts an upload to `repository`, asking first to mount `digest`
    /// from `from` when `mount` is given (`(digest, from)`). The returned
    /// state's `size` and `digest` are the caller's to fill.
    pub async fn start_upload(
        &self,
        repository: &str,
        mount: Option<(&str, &str)>,
    ) -> Result<MountOutcome, RegistryError> {
        check_repository("repository", repository)?;
        let mut scopes = vec![push_scope(repository)];
        let mut url = self.url(&format!("v2/{repository}/blobs/uploads/"))?;
        if let Some((digest, from)) = mount {
            check_digest("mount digest", digest)?;
            check_repository("mount source repository", from)?;
            url.query_pairs_mut()
                .append_pair("mount", digest)
                .append_pair("from", from);
            if from != repository {
                scopes.push(pull_scope(from));
            }
        }
        let stage = if mount.is_some() {
            "POST blob mount"
        } else {
            "POST blob upload"
        };
        let response = self
            .send(stage, &scopes, |http| {
                http.post(url.clone()).body(Vec::new())
            })
            .await?;
        match response.status() {
            StatusCode::CREATED if mount.is_some() => Ok(MountOutcome::Mounted),
            StatusCode::ACCEPTED => {
                let location = self.location(&response, stage)?;
                Ok(MountOutcome::Started(UploadState {
                    repository: repository.to_owned(),
                    location,
                    offset: 0,
                    digest: mount.map(|(d, _)| d.to_owned()),
                    size: 0,
                }))
            }
            _ => Err(status_error(stage, response).await),
        }
    }

    /// The response's `Location`, resolved against the endpoint.
    pub(crate) fn location(
        &self,
        response: &reqwest::Response,
        stage: &'static str,
    ) -> Result<String, RegistryError> {
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                RegistryError::protocol(
                    stage,
                    format!("HTTP {} without a Location", response.status()),
                )
            })?;
        let url = response.url().join(location).map_err(|e| {
            RegistryError::protocol(stage, format!("bad Location {location:?}: {e}"))
        })?;
        Ok(url.to_string())
    }
}
