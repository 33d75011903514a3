//! `ecrkit push`: an image from an OCI layout or a `docker save` archive
//! (each image it holds, or the ones `--image` names; never one picked
//! silently; `images`), or one layer file (`layer`). A push that stops
//! says how to resume it (`crate::resume`).

mod images;
mod layer;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use clap::Args;
use ecrkit::ecr::{CreateRepository, CreateRepositoryError};
use ecrkit::{Client, Error};
use futures_util::future::{Either, select};

use crate::Context;
use crate::error::{Class, CliError};
use crate::journal::Journal;
use crate::progress::Style;
use crate::resume::{ResumeSpec, Session};
use crate::transfer::TransportArg;

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
  # Continue a push that died: the same command again (the journal knows its uploads)
  ecrkit push my/app ./layout
  # Continue a push that stopped, from what it printed
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
    /// parts under 5, except the last); through the registry, send each
    /// layer in chunks of this size, so that a push that dies continues it
    /// from the last whole chunk [default there: one streaming request per
    /// layer]
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u16).range(5..=20))]
    max_part_size: Option<u16>,

    /// The wire: the ECR API, the registry endpoint, or the registry when
    /// it answers (a --layer push goes through the API)
    #[arg(long, value_enum, default_value_t = TransportArg::Auto, value_name = "TRANSPORT")]
    transport: TransportArg,

    /// ECR's registry endpoint, when not the one GetAuthorizationToken
    /// names (`https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`): a VPC
    /// endpoint, or a test registry
    #[arg(long, value_name = "URL", conflicts_with = "layer")]
    registry_endpoint: Option<String>,

    /// Continue an upload that a stopped push reported, `[DIGEST=]UPLOAD_ID:BYTES`,
    /// once per upload (a stopped push prints the whole command)
    #[arg(long, value_name = "SPEC")]
    resume: Vec<ResumeSpec>,

    /// Keep no journal: a push that dies (killed, a crash) then starts its
    /// unfinished uploads over when run again [default: the journal in
    /// $ECRKIT_STATE_DIR, else $XDG_STATE_HOME/ecrkit, else
    /// ~/.local/state/ecrkit, lets the same command continue them]
    #[arg(long)]
    no_journal: bool,

    /// Seconds between two progress lines when stderr is not a terminal
    #[arg(long, value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    progress_interval: u64,
}

/// Runs `f`, or stops at Ctrl-C.
pub async fn interruptible<F: Future>(f: F) -> Option<F::Output> {
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
        Some(Ok(())) => {
            if let Some(journal) = &session.journal {
                journal.remove();
            }
            Ok(())
        }
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
    /// What makes two runs the same push, for the journal: where it goes,
    /// what it reads, which of its images and under which tags.
    fn identity(&self, cx: &Context) -> String {
        let path = |p: &PathBuf| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        };
        format!(
            "{} transport={} registry={} repository={} source={} layer={} images={:?} tags={:?}",
            cx.place(),
            crate::transfer::transport_name(self.transport.into()),
            self.registry_endpoint.as_deref().unwrap_or(""),
            self.repository,
            self.source.as_ref().map(path).unwrap_or_default(),
            self.layer.as_ref().map(path).unwrap_or_default(),
            self.images,
            self.tags
        )
    }

    /// What clap cannot check: `--resume` values fit the kind of push.
    pub fn check(&self) -> Result<(), CliError> {
        if self.layer.is_none()
            && let Some(spec) = self.resume.iter().find(|s| s.digest.is_none())
        {
            return Err(CliError::usage(format!(
                "--resume {spec}: an image push needs the blob's digest (DIGEST=UPLOAD_ID:BYTES)"
            )));
        }
        if self.layer.is_some() && self.transport == TransportArg::Registry {
            return Err(CliError::usage(
                "a --layer push goes through the ECR API: leave out --transport registry",
            ));
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
    if !args.no_journal
        && let Some(journal) = Journal::for_push(args.identity(cx))
    {
        // Uploads given by hand win over the journal's.
        if args.resume.is_empty() {
            let found = journal.load();
            if !found.is_empty() && !cx.quiet {
                eprintln!(
                    "continuing {} upload(s) recorded in {}",
                    found.len(),
                    journal.path().display()
                );
            }
            lock(&session).specs.extend(found);
        }
        lock(&session).journal = Some(Arc::new(journal));
    }
    for spec in &args.resume {
        let key = match (&spec.digest, &args.layer) {
            (Some(d), _) => d.clone(),
            (None, Some(file)) => layer::layer_key(file),
            (None, None) => continue,
        };
        lock(&session).specs.insert(key, spec.clone());
    }
    if args.create_repository {
        create_repository(&cx.client, None, &args.repository).await?;
    }
    match (&args.layer, &args.source) {
        (Some(file), _) => layer::push_layer(cx, args, file, &session).await,
        (None, Some(path)) => images::push_images(cx, args, path, &session).await,
        (None, None) => Err(CliError::usage("give a SOURCE or --layer FILE")),
    }
}

fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(|e| e.into_inner())
}

fn style(cx: &Context, args: &PushArgs) -> Style {
    Style::detect(cx.quiet, Duration::from_secs(args.progress_interval))
}

/// Creates the repository `name` of the registry (the caller's own when
/// `None`) unless it exists.
pub async fn create_repository(
    client: &Client,
    registry_id: Option<&str>,
    name: &str,
) -> Result<(), CliError> {
    let created = CreateRepository {
        repository_name: name.to_owned(),
        registry_id: registry_id.map(str::to_owned),
        ..Default::default()
    }
    .send(client)
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
