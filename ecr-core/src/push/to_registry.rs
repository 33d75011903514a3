//! Image push through the distribution protocol: `HEAD` for every blob
//! (so the whole push's size is known before a byte moves, as through the
//! API), the missing blobs uploaded as they are, then `PUT` of each
//! manifest, platform manifests before their index.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::image::{BlobEvent, ImageProgress, ImagePush, ImagePushError, PushedImage};
use super::image::{distinct, local_err, registry_err};
use super::source::{ImagePlan, PlannedBlob};
use super::{ImageProgressFn, Progress};
use crate::registry::{
    BlobOutcome, FileBlob, PushBlob, RegistryClient, Transport, UploadState, UploadStateFn,
};

/// The event sender of one blob's registry upload: each state to
/// `upload_state`; `Started` once, at its first state, then a `Part` per
/// progress report.
fn blob_events(
    upload: &mut PushBlob,
    progress: Option<&ImageProgressFn>,
    upload_state: Option<&UploadStateFn>,
    digest: &str,
    size: u64,
) {
    let started = Arc::new(AtomicBool::new(false));
    let (on_start, on_change, id) = (progress.cloned(), upload_state.cloned(), digest.to_owned());
    upload.on_state = Some(Arc::new(move |state: &UploadState| {
        if let Some(on_change) = &on_change {
            on_change(state);
        }
        if let Some(on_start) = &on_start
            && !started.swap(true, Ordering::Relaxed)
        {
            on_start(ImageProgress {
                digest: id.clone(),
                progress: Progress {
                    bytes_sent: state.offset,
                    bytes_total: Some(size),
                },
                event: BlobEvent::Started {
                    upload_id: state.location.clone(),
                },
            })
        }
    }));
    let Some(progress) = progress else {
        return;
    };
    let (on_part, id) = (progress.clone(), digest.to_owned());
    upload.progress = Some(Arc::new(move |sent, total| {
        on_part(ImageProgress {
            digest: id.clone(),
            progress: Progress {
                bytes_sent: sent,
                bytes_total: Some(total),
            },
            event: BlobEvent::Part,
        })
    }));
}

impl ImagePush {
    pub(super) async fn push_registry(
        &self,
        registry: &RegistryClient,
        plan: ImagePlan,
    ) -> Result<PushedImage, ImagePushError> {
        let blobs = distinct(plan.blobs);
        let mut present = HashSet::new();
        for blob in &blobs {
            if registry
                .blob_exists(&self.repository_name, &blob.digest)
                .await
                .map_err(|e| registry_err("HEAD blob", e))?
            {
                present.insert(blob.digest.clone());
            }
        }
        let resumes: HashMap<String, UploadState> = blobs
            .iter()
            .filter(|b| !present.contains(&b.digest))
            .filter_map(|b| Some((b.digest.clone(), self.registry_resume(registry, b)?)))
            .collect();
        let starts = resumes
            .iter()
            .map(|(digest, state)| (digest.clone(), state.offset))
            .collect();
        self.announce(&blobs, &present, &starts);
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for blob in blobs.into_iter().filter(|b| !present.contains(&b.digest)) {
            let permit = limit
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| local_err("scheduling", e))?;
            let registry = registry.clone();
            let mut upload = PushBlob::new(
                self.repository_name.clone(),
                Some(blob.digest.clone()),
                blob.size,
            );
            upload.mode = self.upload_mode;
            // Just checked; a blob that appeared since is taken as uploaded.
            upload.check_exists = false;
            upload.resume = resumes.get(&blob.digest).cloned();
            let progress = self.progress.clone();
            blob_events(
                &mut upload,
                progress.as_ref(),
                self.upload_state.as_ref(),
                &blob.digest,
                blob.size,
            );
            // A resumed upload's first state is where it resumes.
            if let (Some(state), Some(on_state)) = (&upload.resume, &upload.on_state) {
                on_state(state);
            }
            tasks.spawn(async move {
                let _permit = permit;
                let source = FileBlob {
                    path: blob.location.path.clone(),
                    start: blob.location.offset,
                    len: blob.size,
                };
                let uploaded = upload.push(&registry, &source).await.map_err(|e| {
                    ImagePushError::RegistryBlob {
                        digest: blob.digest.clone(),
                        source: Box::new(e),
                    }
                })?;
                if let Some(progress) = &progress {
                    progress(ImageProgress {
                        digest: blob.digest.clone(),
                        progress: Progress {
                            bytes_sent: blob.size,
                            bytes_total: Some(blob.size),
                        },
                        event: BlobEvent::Finished,
                    });
                }
                Ok::<_, ImagePushError>(uploaded.outcome)
            });
        }
        let (mut blobs_pushed, mut blobs_present) = (0, present.len());
        while let Some(done) = tasks.join_next().await {
            match done.map_err(|e| local_err("blob task", e))?? {
                BlobOutcome::AlreadyPresent => blobs_present += 1,
                _ => blobs_pushed += 1,
            }
        }
        let mut platform_manifests = Vec::new();
        for m in &plan.platform_manifests {
            registry
                .put_manifest(&self.repository_name, &m.digest, m)
                .await
                .map_err(|e| registry_err("PUT manifest", e))?;
            platform_manifests.push(m.digest.clone());
        }
        let reference = plan.tag.clone().unwrap_or_else(|| plan.top.digest.clone());
        registry
            .put_manifest(&self.repository_name, &reference, &plan.top)
            .await
            .map_err(|e| registry_err("PUT manifest", e))?;
        Ok(PushedImage {
            digest: plan.top.digest.clone(),
            media_type: plan.top.media_type.clone(),
            tag: plan.tag,
            manifest: plan.top.bytes,
            blobs_pushed,
            blobs_present,
            platform_manifests,
            transport: Transport::Registry,
        })
    }
}

impl ImagePush {
    /// The upload of `blob` to continue, from [`ImagePush::resume_registry`],
    /// if it can be followed: on the registry's host, within the blob.
    fn registry_resume(
        &self,
        registry: &RegistryClient,
        blob: &PlannedBlob,
    ) -> Option<UploadState> {
        let given = self.resume_registry.get(&blob.digest)?;
        let same_origin = reqwest::Url::parse(&given.location)
            .is_ok_and(|url| url.origin() == registry.endpoint().origin());
        if !same_origin || given.offset > blob.size {
            tracing::warn!(
                "not continuing upload {} of {} at byte {}: {}; that blob starts over",
                given.location,
                blob.digest,
                given.offset,
                match same_origin {
                    false => format!("it is not on the registry {}", registry.endpoint()),
                    true => format!("the blob has {} bytes", blob.size),
                }
            );
            return None;
        }
        Some(UploadState {
            repository: self.repository_name.clone(),
            location: given.location.clone(),
            offset: given.offset,
            digest: Some(blob.digest.clone()),
            size: blob.size,
        })
    }
}
