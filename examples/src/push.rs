//! `ecrkit push`: an image from an OCI layout or a `docker save` archive
//! (each image it holds, or the ones `--image` names; never one picked
//! silently), or one layer file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use ecrkit::Error;
use ecrkit::ecr::{CreateRepository, CreateRepositoryError, PutImage, PutImageError};
use ecrkit::push::{
    BlobEvent, ImagePush, ImagePushError, ImageSource, LayerPush, PushedImage, SourceError,
    SourceImage,
};
use futures_util::future::{Either, select};
use serde::Serialize;

use crate::Context;
use crate::error::{Class, CliError};
use crate::output::{OutputFormat, mib, print, print_json};
use crate::progress::{Display, Style};
use crate::resume::{ResumeSpec, rerun_command};

const EXAMPLES: &str = "\
Examples:
  # An OCI layout (skopeo copy ... oci:DIR, buildx --output type=oci), tagged by its ref name
  ecrkit push my/app ./layout
  # A docker save archive, under two tags, creating the repository if needed
  docker save my/app:1.2 -o app.tar
  ecrkit push my/app app.tar --tag 1.2 --tag latest --create-repository
  # One image of several in a layout
  ecrkit push my/app ./layout --image v2
  # One layer blob; prints its digest
  ecrkit push my/app --layer layer.tar.gz
  # Continue a push that stopped (it prints this command)
  ecrkit push my/app ./layout --resume sha256:...=UPLOAD_ID:BYTES";

/// Push an image or a layer.
///
/// An image is every blob the repository lacks (a few at a time, each in
/// parts), then its manifest with PutImage; a multi-platform index pushes
/// each platform's manifest first. A source that holds several images
/// pushes each of them when each carries a name (its tag), and otherwise
/// asks which with --image.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct PushArgs {
    /// The repository to push to (`my/app`)
    #[arg(value_name = "REPOSITORY")]
    repository: String,

    /// An OCI image layout directory, or a `docker save` archive (legacy, or
    /// the OCI layout Docker 25 and later write)
    #[arg(
        value_name = "SOURCE",
        required_unless_present = "layer",
        conflicts_with = "layer"
    )]
    source: Option<PathBuf>,

    /// Push this one file as a layer blob instead of an image, and print its
    /// digest
    #[arg(long, value_name = "FILE")]
    layer: Option<PathBuf>,

    /// Tag the image, once per tag [default: the tags its names in the source
    /// carry]
    #[arg(short, long = "tag", value_name = "TAG", conflicts_with = "layer")]
    tags: Vec<String>,

    /// Which image of a source that holds several: a name the source gives it
    /// (`v1`, `example/app:1.0`) or its id (`sha256:...`); once per image
    #[arg(long = "image", value_name = "NAME", conflicts_with = "layer")]
    images: Vec<String>,

    /// Create the repository if it does not exist
    #[arg(long)]
    create_repository: bool,

    /// Blobs uploaded at once
    #[arg(short = 'j', long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(1..=32))]
    concurrency: u16,

    /// Cap layer parts at this many MiB (the service asks for 10 and refuses
    /// parts under 5, except the last)
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u16).range(5..=20))]
    max_part_size: Option<u16>,

    /// Continue an upload that a stopped push reported, `[DIGEST=]UPLOAD_ID:BYTES`,
    /// once per upload (a stopped push prints the whole command)
    #[arg(long, value_name = "SPEC")]
    resume: Vec<ResumeSpec>,

    /// Seconds between two progress lines when stderr is not a terminal
    #[arg(long, value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    progress_interval: u64,
}

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

/// A layer pushed, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct LayerRow {
    repository: String,
    digest: String,
    size_bytes: u64,
    parts_sent: u32,
    already_present: bool,
}

/// What a push knows of its uploads, to say how to resume when it stops.
#[derive(Default)]
struct Session {
    /// Uploads to continue, by blob digest (or the layer file's name).
    specs: HashMap<String, ResumeSpec>,
    /// Blobs this run made present.
    done: HashSet<String>,
    /// The display of the image or layer being pushed.
    current: Option<Display>,
}

impl Session {
    /// The `--resume` values that continue from where the uploads stand.
    fn rerun_specs(&mut self) -> Vec<ResumeSpec> {
        if let Some(display) = &self.current {
            for (key, upload_id, bytes) in display.unfinished() {
                let digest = key.starts_with("sha256:").then(|| key.clone());
                self.specs.insert(
                    key,
                    ResumeSpec {
                        digest,
                        upload_id,
                        bytes,
                    },
                );
            }
            self.done.extend(display.done());
        }
        let mut specs: Vec<ResumeSpec> = self
            .specs
            .iter()
            .filter(|(key, _)| !self.done.contains(*key))
            .map(|(_, spec)| spec.clone())
            .collect();
        specs.sort_by(|a, b| a.digest.cmp(&b.digest));
        specs
    }

    /// The lines that say how to continue.
    fn how_to_continue(&mut self) -> Vec<String> {
        let specs = self.rerun_specs();
        if specs.is_empty() {
            vec![
                "no upload was left partway: run the same command again to continue \
                  (blobs already in the repository are skipped)"
                    .into(),
            ]
        } else {
            vec![
                "to continue where the service stands, run:".into(),
                format!("  {}", rerun_command(&specs)),
            ]
        }
    }
}

/// Runs `f`, or stops at Ctrl-C.
async fn interruptible<F: Future>(f: F) -> Option<F::Output> {
    let ctrl_c = tokio::signal::ctrl_c();
    match select(std::pin::pin!(f), std::pin::pin!(ctrl_c)).await {
        Either::Left((out, _)) => Some(out),
        Either::Right((Ok(()), _)) => None,
        // No signal handler could be installed: push without one.
        Either::Right((Err(_), f)) => Some(f.await),
    }
}

/// Runs `ecrkit push`.
pub async fn run(cx: &Context, args: PushArgs) -> Result<(), CliError> {
    let session = Arc::new(Mutex::new(Session::default()));
    let result = interruptible(push(cx, &args, session.clone())).await;
    let mut session = session.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(display) = &session.current {
        display.finish();
    }
    match result {
        Some(Ok(())) => Ok(()),
        Some(Err(mut e)) => {
            if e.class == Class::PushStopped {
                e.next.extend(session.how_to_continue());
            }
            Err(e)
        }
        None => {
            let mut e = CliError::new(Class::Interrupted, "interrupted");
            e.next = session.how_to_continue();
            Err(e)
        }
    }
}

impl PushArgs {
    /// What clap cannot check: `--resume` values fit the kind of push.
    pub fn check(&self) -> Result<(), CliError> {
        if self.layer.is_none()
            && let Some(spec) = self.resume.iter().find(|s| s.digest.is_none())
        {
            return Err(CliError::usage(format!(
                "--resume {spec}: an image push needs the blob's digest (DIGEST=UPLOAD_ID:BYTES)"
            )));
        }
        if self.layer.is_some() && self.resume.len() > 1 {
            return Err(CliError::usage(
                "a --layer push continues one upload: give --resume once",
            ));
        }
        Ok(())
    }
}

async fn push(cx: &Context, args: &PushArgs, session: Arc<Mutex<Session>>) -> Result<(), CliError> {
    args.check()?;
    for spec in &args.resume {
        let key = match (&spec.digest, &args.layer) {
            (Some(d), _) => d.clone(),
            (None, Some(file)) => layer_key(file),
            (None, None) => continue,
        };
        lock(&session).specs.insert(key, spec.clone());
    }
    if args.create_repository {
        create_repository(cx, &args.repository).await?;
    }
    match (&args.layer, &args.source) {
        (Some(file), _) => push_layer(cx, args, file, &session).await,
        (None, Some(path)) => push_images(cx, args, path, &session).await,
        (None, None) => Err(CliError::usage("give a SOURCE or --layer FILE")),
    }
}

fn lock(session: &Mutex<Session>) -> std::sync::MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(|e| e.into_inner())
}

fn style(cx: &Context, args: &PushArgs) -> Style {
    Style::detect(cx.quiet, Duration::from_secs(args.progress_interval))
}

async fn create_repository(cx: &Context, name: &str) -> Result<(), CliError> {
    let created = CreateRepository {
        repository_name: name.to_owned(),
        ..Default::default()
    }
    .send(&cx.client)
    .await;
    match created {
        Ok(_) => {
            tracing::info!(repository = name, "created the repository");
            Ok(())
        }
        Err(Error::Service {
            error: CreateRepositoryError::RepositoryAlreadyExistsException(_),
            ..
        }) => Ok(()),
        Err(e) => Err(CliError::call(&format!("creating repository {name}"), &e)),
    }
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

async fn push_images(
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
    let resume: HashMap<String, (String, u64)> = lock(session)
        .specs
        .iter()
        .map(|(digest, s)| (digest.clone(), (s.upload_id.clone(), s.bytes)))
        .collect();

    let mut rows = Vec::new();
    for (i, Chosen { choice, tags }) in chosen.iter().enumerate() {
        let label = match tags.first() {
            Some(tag) => format!("{}:{tag}", args.repository),
            None => args.repository.clone(),
        };
        tracing::info!(
            image = choice.as_deref().unwrap_or("the only one"),
            "pushing {label} ({} of {})",
            i + 1,
            chosen.len()
        );
        let display = Display::new(style(cx, args), label).with_uploads(&resume);
        let mut push = ImagePush::new(args.repository.clone());
        push.image.clone_from(choice);
        push.tag = tags.first().cloned();
        push.concurrency = usize::from(args.concurrency);
        push.max_part_size = args.max_part_size.map(|m| usize::from(m) << 20);
        push.resume.clone_from(&resume);
        let shown = display.clone();
        push.progress = Some(Arc::new(move |p| shown.on_image(p)));
        lock(session).current = Some(display.clone());
        let pushed = push.push(&cx.client, &source).await;
        display.finish();
        let pushed = pushed.map_err(|e| image_error(e, session))?;
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

/// The name a layer file's upload goes by before its digest is known.
fn layer_key(file: &Path) -> String {
    format!("layer {}", file.display())
}

async fn push_layer(
    cx: &Context,
    args: &PushArgs,
    file: &Path,
    session: &Mutex<Session>,
) -> Result<(), CliError> {
    let unreadable =
        |e: std::io::Error| CliError::new(Class::Invalid, format!("{}: {e}", file.display()));
    let size = tokio::fs::metadata(file).await.map_err(unreadable)?.len();
    let key = layer_key(file);
    let mut layer = LayerPush::new(args.repository.clone());
    layer.known_size = Some(size);
    layer.max_part_size = args.max_part_size.map(|m| usize::from(m) << 20);
    let resume = lock(session).specs.get(&key).cloned();
    if let Some(spec) = &resume {
        let digest = match &spec.digest {
            Some(d) => d.clone(),
            None => {
                // A resumed upload does not read the bytes before the offset,
                // so the digest CompleteLayerUpload needs is computed first.
                if !cx.quiet {
                    eprintln!(
                        "hashing {} to resume upload {}",
                        file.display(),
                        spec.upload_id
                    );
                }
                hash_file(file).await.map_err(unreadable)?
            }
        };
        layer.known_digest = Some(digest);
        layer.resume = Some((spec.upload_id.clone(), spec.bytes));
    }
    let offset = resume.as_ref().map_or(0, |s| s.bytes.min(size));
    let display = Display::new(
        style(cx, args),
        format!("{} (layer {})", args.repository, file.display()),
    );
    display.on(&key, &BlobEvent::Queued, offset, Some(size));
    let (shown, k) = (display.clone(), key.clone());
    layer.upload_started = Some(Arc::new(move |id: &str, from| {
        shown.on(
            &k,
            &BlobEvent::Started {
                upload_id: id.to_owned(),
            },
            from,
            Some(size),
        )
    }));
    let (shown, k) = (display.clone(), key.clone());
    layer.progress = Some(Arc::new(move |p| {
        shown.on(&k, &BlobEvent::Part, p.bytes_sent, p.bytes_total)
    }));
    lock(session).current = Some(display.clone());

    let mut reader = tokio::fs::File::open(file).await.map_err(unreadable)?;
    if offset > 0 {
        use tokio::io::AsyncSeekExt;
        reader
            .seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(unreadable)?;
    }
    let pushed = layer.push(&cx.client, reader).await;
    if pushed.is_ok() {
        display.on(&key, &BlobEvent::Finished, size, Some(size));
    }
    display.finish();
    let pushed = pushed.map_err(|e| {
        let mut s = lock(session);
        match (&e.upload_id, e.code.as_deref()) {
            (_, Some("UploadNotFoundException")) => {
                s.specs.remove(&key);
                display.forget_upload(&key);
            }
            (Some(id), _) => {
                let spec = ResumeSpec {
                    digest: None,
                    upload_id: id.clone(),
                    bytes: e.bytes_acknowledged,
                };
                s.specs.insert(key.clone(), spec);
            }
            (None, _) => {}
        }
        CliError::from(e)
    })?;
    lock(session).done.insert(key);
    let row = LayerRow {
        repository: args.repository.clone(),
        digest: pushed.digest,
        size_bytes: pushed.size,
        parts_sent: pushed.parts_sent,
        already_present: pushed.already_present,
    };
    match cx.output {
        OutputFormat::Json => print_json(&row),
        OutputFormat::Table => print(&format!(
            "pushed layer {} to {} ({} MiB, {} part(s))\n",
            row.digest,
            row.repository,
            mib(row.size_bytes),
            row.parts_sent
        )),
    }
    Ok(())
}

/// `sha256:<hex>` of a file, read on a blocking thread.
async fn hash_file(file: &Path) -> std::io::Result<String> {
    let file = file.to_owned();
    tokio::task::spawn_blocking(move || {
        use sha2::Digest;
        use std::io::Read;
        let mut f = std::fs::File::open(&file)?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
    })
    .await
    .map_err(std::io::Error::other)?
}
