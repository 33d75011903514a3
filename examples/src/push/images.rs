//! Pushing the images of a layout or an archive.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use ecrkit::Error;
use ecrkit::ecr::{PutImage, PutImageError};
use ecrkit::push::{ImagePush, ImagePushError, ImageSource, PushedImage, SourceError, SourceImage};
use ecrkit::registry::{RegistryClient, UploadMode, UploadState};
use serde::Serialize;

use super::{PushArgs, lock, style};
use crate::Context;
use crate::error::{Class, CliError};
use crate::output::{OutputFormat, print, print_json};
use crate::progress::Display;
use crate::resume::{ResumeSpec, Session};

/// An image pushed, as `--output json` prints it (a list of these).
#[derive(Debug, Serialize)]
struct PushedRow {
    repository: String,
    digest: String,
    media_type: String,
    tags: Vec<String>,
    blobs_uploaded: usize,
    blobs_present: usize,
    platform_manifests: Vec<String>,
}

/// An image to push: the name or id to choose it by (none when the source
/// holds one image), and its tags.
struct Chosen {
    choice: Option<String>,
    tags: Vec<String>,
}

/// Which images to push.
fn choose(args: &PushArgs, images: &[SourceImage], path: &Path) -> Result<Vec<Chosen>, CliError> {
    let mut chosen: Vec<Chosen> = Vec::new();
    if !args.images.is_empty() {
        let mut seen = HashSet::new();
        for name in &args.images {
            let Some(image) = images
                .iter()
                .find(|i| i.id == *name || i.refs.contains(name))
            else {
                return Err(SourceError::NoSuchImage {
                    path: path.to_owned(),
                    image: name.clone(),
                    images: images.to_vec(),
                }
                .into());
            };
            if !seen.insert(image.id.clone()) {
                continue;
            }
            // Named by one of its refs: that ref's tag; by id: all its tags.
            let one = SourceImage {
                refs: vec![name.clone()],
                id: image.id.clone(),
            };
            let tags = if image.refs.contains(name) {
                one.tags()
            } else {
                image.tags()
            };
            chosen.push(Chosen {
                choice: Some(name.clone()),
                tags,
            });
        }
    } else if images.len() == 1 {
        chosen.push(Chosen {
            choice: None,
            tags: images[0].tags(),
        });
    } else if !images.is_empty() && images.iter().all(|i| !i.tags().is_empty()) {
        chosen = images
            .iter()
            .map(|i| Chosen {
                choice: Some(i.id.clone()),
                tags: i.tags(),
            })
            .collect();
    } else {
        return Err(SourceError::Ambiguous {
            path: path.to_owned(),
            images: images.to_vec(),
        }
        .into());
    }
    if !args.tags.is_empty() {
        if chosen.len() > 1 {
            return Err(CliError::usage(format!(
                "--tag names the tags of one image, and {} holds {} to push: choose one with --image",
                path.display(),
                chosen.len()
            )));
        }
        for c in &mut chosen {
            c.tags.clone_from(&args.tags);
        }
    }
    Ok(chosen)
}

pub(super) async fn push_images(
    cx: &Context,
    args: &PushArgs,
    path: &Path,
    session: &Mutex<Session>,
) -> Result<(), CliError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::new(Class::Invalid, format!("{}: {e}", path.display())))?;
    let source = if meta.is_dir() {
        ImageSource::OciLayout(path.to_owned())
    } else {
        ImageSource::DockerArchive(path.to_owned())
    };
    let listing = source.clone();
    let images = tokio::task::spawn_blocking(move || listing.images())
        .await
        .map_err(|e| CliError::internal(e.to_string()))??;
    let chosen = choose(args, &images, path)?;
    let registry = match &args.registry_endpoint {
        Some(endpoint) => Some(
            RegistryClient::for_ecr(&cx.client, None, Some(endpoint))
                .await
                .map_err(|e| CliError::new(Class::of_registry(&e), e.to_string()))?,
        ),
        None => None,
    };
    // Through the API an upload id, through the registry the upload's URL.
    let (mut resume, mut resume_registry) = (HashMap::new(), HashMap::new());
    for (digest, s) in &lock(session).specs {
        if s.is_registry() {
            let state = UploadState {
                repository: args.repository.clone(),
                location: s.upload_id.clone(),
                offset: s.bytes,
                digest: Some(digest.clone()),
                size: 0,
            };
            resume_registry.insert(digest.clone(), state);
        } else {
            resume.insert(digest.clone(), (s.upload_id.clone(), s.bytes));
        }
    }

    let mut rows = Vec::new();
    for (i, Chosen { choice, tags }) in chosen.iter().enumerate() {
        let label = match tags.first() {
            Some(tag) => format!("{}:{tag}", args.repository),
            None => args.repository.clone(),
        };
        tracing::info!(
            image = choice.as_deref().unwrap_or("the source's only one"),
            "pushing {label} ({} of {})",
            i + 1,
            chosen.len()
        );
        let (pushed, display) = loop {
            let mut resuming = resume.clone();
            resuming.extend(
                resume_registry
                    .iter()
                    .map(|(d, s)| (d.clone(), (s.location.clone(), s.offset))),
            );
            let mut display = Display::new(style(cx, args), label.clone()).with_uploads(&resuming);
            if let Some(hook) = lock(session).journal_hook(None) {
                display = display.on_change(hook);
            }
            let mut push = ImagePush::new(args.repository.clone());
            push.image.clone_from(choice);
            push.tag = tags.first().cloned();
            push.concurrency = usize::from(args.concurrency);
            push.max_part_size = args.max_part_size.map(|m| usize::from(m) << 20);
            push.resume.clone_from(&resume);
            push.resume_registry.clone_from(&resume_registry);
            push.transport = args.transport.into();
            push.registry.clone_from(&registry);
            if let Some(mib) = args.max_part_size {
                let chunk_size = u64::from(mib) << 20;
                push.upload_mode = UploadMode::Chunked { chunk_size };
            }
            let shown = display.clone();
            push.progress = Some(Arc::new(move |p| shown.on_image(p)));
            let shown = display.clone();
            push.upload_state = Some(Arc::new(move |s| shown.on_upload_state(s)));
            lock(session).current = Some(display.clone());
            let pushed = push.push(&cx.client, &source).await;
            display.finish();
            // An upload the service no longer knows (expired, or of another
            // registry) cannot be continued: that blob starts over, once.
            if let Err(ImagePushError::Blob { digest, source: e }) = &pushed
                && e.code.as_deref() == Some("UploadNotFoundException")
                && let Some((upload_id, _)) = resume.remove(digest)
            {
                if !cx.quiet {
                    crate::progress::clear_bars();
                    eprintln!(
                        "upload {upload_id} of {digest} is no longer known to the service: \
                         that blob starts over"
                    );
                }
                lock(session).specs.remove(digest);
                continue;
            }
            // A registry upload that could not be continued (it went
            // back, or failed): that blob starts over, once.
            if let Err(ImagePushError::RegistryBlob { digest, source: e }) = &pushed
                && let Some(state) = resume_registry.remove(digest)
            {
                if !cx.quiet {
                    crate::progress::clear_bars();
                    eprintln!(
                        "upload {} of {digest} could not be continued ({e}): that blob starts over",
                        state.location
                    );
                }
                lock(session).specs.remove(digest);
                continue;
            }
            break (pushed.map_err(|e| image_error(e, session))?, display);
        };
        {
            let mut s = lock(session);
            s.done.extend(display.done());
            s.current = None;
        }
        for tag in tags.iter().skip(1) {
            put_tag(cx, &args.repository, &pushed, tag).await?;
        }
        rows.push(PushedRow {
            repository: args.repository.clone(),
            digest: pushed.digest,
            media_type: pushed.media_type,
            tags: tags.clone(),
            blobs_uploaded: pushed.blobs_pushed,
            blobs_present: pushed.blobs_present,
            platform_manifests: pushed.platform_manifests,
        });
    }
    match cx.output {
        OutputFormat::Json => print_json(&rows),
        OutputFormat::Table => {
            let mut text = String::new();
            for r in &rows {
                let name = match r.tags.as_slice() {
                    [] => format!("{}@{}", r.repository, r.digest),
                    tags => format!("{}:{} {}", r.repository, tags.join(","), r.digest),
                };
                text.push_str(&format!(
                    "pushed {name} ({} blob(s) uploaded, {} already in the repository)\n",
                    r.blobs_uploaded, r.blobs_present
                ));
            }
            print(&text);
        }
    }
    Ok(())
}

/// The error of an image push, with the stopped upload it reports added to
/// the session, so the resume command continues it.
fn image_error(e: ImagePushError, session: &Mutex<Session>) -> CliError {
    let mut s = lock(session);
    if let ImagePushError::RegistryBlob { digest, source } = &e
        && let Some(state) = source.state.as_ref().filter(|st| st.offset > 0)
    {
        s.specs.insert(
            digest.clone(),
            ResumeSpec {
                digest: Some(digest.clone()),
                upload_id: state.location.clone(),
                bytes: state.offset,
            },
        );
    }
    if let ImagePushError::Blob { digest, source } = &e {
        if source.code.as_deref() == Some("UploadNotFoundException") {
            // The upload expired or never existed: start the blob again.
            s.specs.remove(digest);
            if let Some(display) = &s.current {
                display.forget_upload(digest);
            }
        } else if let Some(upload_id) = &source.upload_id {
            s.specs.insert(
                digest.clone(),
                ResumeSpec {
                    digest: Some(digest.clone()),
                    upload_id: upload_id.clone(),
                    bytes: source.bytes_acknowledged,
                },
            );
        }
    }
    let not_found = matches!(&e, ImagePushError::Call { code: Some(c), .. } if c == "RepositoryNotFoundException");
    let err = CliError::from(e);
    if not_found {
        CliError::new(
            err.class,
            format!("{}; add --create-repository to create it", err.message),
        )
    } else {
        err
    }
}

/// Tags a pushed image once more (PutImage takes one tag per call).
async fn put_tag(
    cx: &Context,
    repository: &str,
    pushed: &PushedImage,
    tag: &str,
) -> Result<(), CliError> {
    let put = PutImage {
        repository_name: repository.to_owned(),
        image_manifest: String::from_utf8_lossy(&pushed.manifest).into_owned(),
        image_manifest_media_type: Some(pushed.media_type.clone()),
        image_tag: Some(tag.to_owned()),
        image_digest: Some(pushed.digest.clone()),
        registry_id: None,
    };
    match put.send(&cx.client).await {
        Ok(_)
        | Err(Error::Service {
            error: PutImageError::ImageAlreadyExistsException(_),
            ..
        }) => Ok(()),
        Err(e) => Err(CliError::call(&format!("tagging {repository}:{tag}"), &e)),
    }
}
