//! `ecrkit pull`: an image of ECR into an OCI image layout directory,
//! every platform of an index or the one `--platform` names, through the
//! ECR API or the registry endpoint.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use ecrkit::pull::{ImagePull, PulledImage};
use ecrkit::registry::{RegistryClient, Transport};
use serde::Serialize;

use crate::Context;
use crate::error::{Class, CliError};
use crate::output::{OutputFormat, print, print_json};
use crate::progress::{Display, Style, Words};
use crate::push::interruptible;
use crate::transfer::{BlobProgress, TransportArg, parse_ecr, pull_error, transport_name};

const EXAMPLES: &str = "\
Examples:
  # Every platform of my/app:1.2 into ./layout (skopeo, podman and buildx read it)
  ecrkit pull my/app:1.2 ./layout
  # One platform of a multi-platform image, by digest
  ecrkit pull my/app@sha256:... ./layout --platform linux/arm64
  # Another account's registry, through the registry endpoint
  ecrkit pull 123456789012.dkr.ecr.eu-west-1.amazonaws.com/my/app:1.2 ./layout --transport registry
  # Run it again after it stopped: downloads continue from the bytes on disk
  ecrkit pull my/app:1.2 ./layout";

/// A pull's words on the progress display.
const PULL: Words = Words {
    verb: "pull",
    action: "download",
    done: "downloaded",
    place: "the layout",
};

/// Pull an image into an OCI image layout.
///
/// Each blob is streamed to disk and its digest checked on the way; a file
/// appears under its digest's name only once it checked. A download that
/// stops keeps its bytes, and the next pull into the same directory
/// continues them (HTTP Range). Manifests keep their exact bytes, so the
/// digests in the layout are the registry's.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct PullArgs {
    /// The image: REPOSITORY[:TAG|@DIGEST] (the tag defaults to `latest`),
    /// optionally after its registry's host
    /// (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG)
    #[arg(value_name = "IMAGE")]
    image: String,

    /// The OCI image layout directory (created if needed; an existing
    /// layout gains the image under its tag)
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// Of a multi-platform image, only this platform's manifest
    /// (OS/ARCH[/VARIANT], `linux/amd64`) [default: the whole index, every
    /// platform]
    #[arg(long, value_name = "PLATFORM")]
    platform: Option<String>,

    /// The wire: the ECR API, the registry endpoint, or the registry when
    /// it answers
    #[arg(long, value_enum, default_value_t = TransportArg::Auto, value_name = "TRANSPORT")]
    transport: TransportArg,

    /// ECR's registry endpoint, when not the one GetAuthorizationToken
    /// names (`https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`): a VPC
    /// endpoint, or a test registry
    #[arg(long, value_name = "URL")]
    registry_endpoint: Option<String>,

    /// Blobs downloaded at once
    #[arg(short = 'j', long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(1..=32))]
    concurrency: u16,

    /// Seconds between two progress lines when stderr is not a terminal
    #[arg(long, value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    progress_interval: u64,
}

/// The image pulled, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct PulledRow {
    repository: String,
    reference: String,
    directory: String,
    digest: String,
    media_type: String,
    platform_manifests: Vec<String>,
    blobs_downloaded: usize,
    blobs_present: usize,
    bytes_downloaded: u64,
    transport: &'static str,
}

/// Checks `OS/ARCH[/VARIANT]`.
fn check_platform(platform: &str) -> Result<(), CliError> {
    let parts: Vec<&str> = platform.split('/').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
        return Err(CliError::usage(format!(
            "--platform {platform:?}: expected OS/ARCH or OS/ARCH/VARIANT (linux/arm64/v8)"
        )));
    }
    Ok(())
}

/// Runs `ecrkit pull`.
pub async fn run(cx: &Context, args: PullArgs) -> Result<(), CliError> {
    if let Some(p) = &args.platform {
        check_platform(p)?;
    }
    let image = parse_ecr(&args.image, "IMAGE")?;
    let client = cx.client_with(None, image.region.as_deref())?;
    let reference = image.reference.clone().unwrap_or_else(|| "latest".into());
    let mut pull = ImagePull::new(image.repository.clone(), reference.clone());
    pull.registry_id.clone_from(&image.registry_id);
    pull.transport = args.transport.into();
    pull.concurrency = usize::from(args.concurrency);
    pull.platform.clone_from(&args.platform);
    if let Some(endpoint) = &args.registry_endpoint {
        let registry =
            RegistryClient::for_ecr(&client, image.registry_id.as_deref(), Some(endpoint))
                .await
                .map_err(|e| CliError::new(Class::of_registry(&e), e.to_string()))?;
        pull.registry = Some(registry);
    }
    let style = Style::detect(cx.quiet, Duration::from_secs(args.progress_interval));
    let label = crate::transfer::label(&image.repository, Some(&reference));
    let display = Display::with_words(style, PULL, label.clone());
    let bars = BlobProgress::new(display.clone());
    pull.progress = Some(Arc::new(move |p| {
        bars.on(&p.digest, p.bytes_done, p.bytes_total)
    }));
    let pulled = interruptible(pull.pull(&client, &args.dir)).await;
    display.finish();
    let pulled = match pulled {
        Some(result) => result.map_err(pull_error)?,
        None => {
            return Err(CliError::new(Class::Interrupted, "interrupted").with_next(
                "run the same command again: the pull continues from the bytes on disk",
            ));
        }
    };
    report(cx, &image.repository, &reference, &args, pulled);
    Ok(())
}

fn report(cx: &Context, repository: &str, reference: &str, args: &PullArgs, p: PulledImage) {
    let row = PulledRow {
        repository: repository.to_owned(),
        reference: reference.to_owned(),
        directory: args.dir.display().to_string(),
        digest: p.digest,
        media_type: p.media_type,
        platform_manifests: p.platform_manifests,
        blobs_downloaded: p.blobs_fetched,
        blobs_present: p.blobs_present,
        bytes_downloaded: p.bytes_fetched,
        transport: transport_name(p.transport),
    };
    match cx.output {
        OutputFormat::Json => print_json(&row),
        OutputFormat::Table => print(&format!(
            "pulled {} {} into {} ({} blob(s) downloaded, {} already in the layout; through the {})\n",
            crate::transfer::label(repository, Some(reference)),
            row.digest,
            row.directory,
            row.blobs_downloaded,
            row.blobs_present,
            match p.transport {
                Transport::Api => "ECR API",
                _ => "registry",
            }
        )),
    }
}
