//! `ecrkit copy SRC DST`: an image between ECR repositories, regions and
//! accounts, other OCI registries, and OCI layouts, each blob streamed from
//! one end to the other (into a layout, a pull).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use ecrkit::Client;
use ecrkit::copy::{CopiedImage, CopyDestination, CopySource, ImageCopy};
use ecrkit::pull::ImagePull;
use ecrkit::push::ImageSource;
use ecrkit::registry::{RegistryClient, RegistryCredentials};
use serde::Serialize;

use crate::Context;
use crate::error::{Class, CliError};
use crate::output::{OutputFormat, print, print_json};
use crate::progress::{Display, Style, Words};
use crate::push::{create_repository, interruptible};
use crate::transfer::{
    BlobProgress, EcrRef, TransportArg, copy_error, label, parse_ecr, pull_error, split_reference,
    transport_name,
};

const EXAMPLES: &str = "\
Image references (SRC and DST):
  REPOSITORY[:TAG|@DIGEST]              ECR, in --region (or --source-region / --dest-region)
  ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG]
                                        ECR, that account's registry in that region
  docker://HOST[:PORT]/REPOSITORY[:TAG] any OCI registry over HTTPS (http:// for plain HTTP)
  oci:DIR[:NAME]                        an OCI image layout (NAME: its image's ref name)

Examples:
  # To another region, the same repository name and tag
  ecrkit copy my/app:1.2 my/app --dest-region eu-west-1
  # To another account, with its profile
  ecrkit copy my/app:1.2 210987654321.dkr.ecr.us-east-1.amazonaws.com/my/app --dest-profile prod
  # From Docker Hub (or any registry) into ECR
  ecrkit copy docker://registry-1.docker.io/library/alpine:3.20 mirror/alpine --create-repository
  # From a layout on disk, and into one
  ecrkit copy oci:./layout:1.2 my/app:1.2
  ecrkit copy my/app:1.2 oci:./backup";

/// A copy's words on the progress display.
const COPY: Words = Words {
    verb: "copy",
    action: "copy",
    done: "copied",
    place: "the destination",
};

/// Copy an image from SRC to DST.
///
/// Manifests keep their exact bytes, so the digest is the same at both
/// ends; an index copies with every platform. Blobs the destination has
/// are skipped; within one registry they are mounted when it allows.
/// Nothing is staged on disk.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct CopyArgs {
    /// Where the image is (see the reference forms below)
    #[arg(value_name = "SRC")]
    source: String,

    /// Where it goes; an ECR or registry destination without a tag takes
    /// the source's
    #[arg(value_name = "DST")]
    destination: String,

    /// The tag at the destination [default: DST's, else the source's]
    #[arg(short, long, value_name = "TAG")]
    tag: Option<String>,

    /// The region of an ECR source [default: --region]
    #[arg(long, value_name = "REGION")]
    source_region: Option<String>,

    /// The region of an ECR destination [default: --region]
    #[arg(long, value_name = "REGION")]
    dest_region: Option<String>,

    /// The profile of an ECR source (another account) [default: --profile]
    #[arg(long, value_name = "NAME")]
    source_profile: Option<String>,

    /// The profile of an ECR destination (another account) [default: --profile]
    #[arg(long, value_name = "NAME")]
    dest_profile: Option<String>,

    /// USER:PASSWORD for a docker:// source [default: anonymous]
    #[arg(
        long,
        env = "ECRKIT_SOURCE_CREDS",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    source_creds: Option<String>,

    /// USER:PASSWORD for a docker:// destination [default: anonymous]
    #[arg(
        long,
        env = "ECRKIT_DEST_CREDS",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    dest_creds: Option<String>,

    /// The wire at ECR's ends: the ECR API, the registry endpoint, or the
    /// registry when it answers
    #[arg(long, value_enum, default_value_t = TransportArg::Auto, value_name = "TRANSPORT")]
    transport: TransportArg,

    /// Create an ECR destination's repository if it does not exist
    #[arg(long)]
    create_repository: bool,

    /// Blobs copied at once
    #[arg(short = 'j', long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(1..=32))]
    concurrency: u16,

    /// Seconds between two progress lines when stderr is not a terminal
    #[arg(long, value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    progress_interval: u64,
}

/// One end of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Side {
    Ecr(EcrRef),
    Registry {
        /// `https://host[:port]` or `http://...`.
        endpoint: String,
        repository: String,
        reference: Option<String>,
    },
    Layout {
        dir: PathBuf,
        name: Option<String>,
    },
}

impl Side {
    fn parse(text: &str, what: &str) -> Result<Side, CliError> {
        if let Some(rest) = text.strip_prefix("oci:") {
            // `oci:DIR:NAME`: a name follows the last ':' unless a '/' does.
            let (dir, name) = match rest.rsplit_once(':') {
                Some((dir, name)) if !name.contains('/') && !dir.is_empty() => {
                    (dir, Some(name.to_owned()))
                }
                _ => (rest, None),
            };
            if dir.is_empty() || name.as_deref() == Some("") {
                return Err(CliError::usage(format!(
                    "{what} {text:?}: expected oci:DIR[:NAME]"
                )));
            }
            return Ok(Side::Layout {
                dir: PathBuf::from(dir),
                name,
            });
        }
        let remote = [
            ("docker://", "https://"),
            ("https://", "https://"),
            ("http://", "http://"),
        ]
        .into_iter()
        .find_map(|(prefix, scheme)| text.strip_prefix(prefix).map(|rest| (scheme, rest)));
        if let Some((scheme, rest)) = remote {
            let Some((host, path)) = rest.split_once('/').filter(|(h, _)| !h.is_empty()) else {
                return Err(CliError::usage(format!(
                    "{what} {text:?}: expected docker://HOST[:PORT]/REPOSITORY[:TAG]"
                )));
            };
            let (repository, reference) = split_reference(path, what)?;
            return Ok(Side::Registry {
                endpoint: format!("{scheme}{host}"),
                repository,
                reference,
            });
        }
        Ok(Side::Ecr(parse_ecr(text, what)?))
    }

    fn reference(&self) -> Option<&str> {
        match self {
            Side::Ecr(r) => r.reference.as_deref(),
            Side::Registry { reference, .. } => reference.as_deref(),
            Side::Layout { name, .. } => name.as_deref(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Side::Ecr(r) => r.label(),
            Side::Registry {
                endpoint,
                repository,
                reference,
            } => format!("{endpoint}/{}", label(repository, reference.as_deref())),
            Side::Layout { dir, name } => match name {
                Some(n) => format!("oci:{}:{n}", dir.display()),
                None => format!("oci:{}", dir.display()),
            },
        }
    }
}

/// The image copied, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct CopiedRow {
    source: String,
    destination: String,
    digest: String,
    media_type: String,
    tag: Option<String>,
    platform_manifests: Vec<String>,
    blobs_copied: usize,
    blobs_present: usize,
    blobs_mounted: usize,
    bytes_copied: u64,
    transports: [&'static str; 2],
}

fn credentials(creds: Option<&str>, flag: &str) -> Result<RegistryCredentials, CliError> {
    match creds {
        None => Ok(RegistryCredentials::Anonymous),
        Some(text) => match text.split_once(':') {
            Some((user, password)) if !user.is_empty() => Ok(RegistryCredentials::Basic {
                username: user.to_owned(),
                password: password.to_owned(),
            }),
            _ => Err(CliError::usage(format!("{flag}: expected USER:PASSWORD"))),
        },
    }
}

fn registry_client(endpoint: &str, creds: RegistryCredentials) -> Result<RegistryClient, CliError> {
    RegistryClient::new(endpoint, creds)
        .map_err(|e| CliError::new(Class::of_registry(&e), e.to_string()))
}

impl CopyArgs {
    /// What clap cannot check: the references' forms, and a pair of ends
    /// the copy can join.
    pub fn check(&self) -> Result<(), CliError> {
        let (source, destination) = self.sides()?;
        if matches!(source, Side::Layout { .. }) && matches!(destination, Side::Layout { .. }) {
            return Err(CliError::usage(
                "SRC and DST are both layouts: copy the directory (cp -r), or push one to a registry",
            ));
        }
        if destination
            .reference()
            .is_some_and(|r| r.starts_with("sha256:"))
        {
            return Err(CliError::usage(
                "DST names a tag, not a digest (the digest is the source's)",
            ));
        }
        if self.source_creds.is_some() && !matches!(source, Side::Registry { .. }) {
            return Err(CliError::usage("--source-creds is for a docker:// source"));
        }
        if self.dest_creds.is_some() && !matches!(destination, Side::Registry { .. }) {
            return Err(CliError::usage(
                "--dest-creds is for a docker:// destination",
            ));
        }
        credentials(self.source_creds.as_deref(), "--source-creds")?;
        credentials(self.dest_creds.as_deref(), "--dest-creds")?;
        Ok(())
    }

    fn sides(&self) -> Result<(Side, Side), CliError> {
        Ok((
            Side::parse(&self.source, "SRC")?,
            Side::parse(&self.destination, "DST")?,
        ))
    }
}

/// The ECR client of one end: the side's region (from its host), else the
/// flag's; the flag's profile.
fn ecr_client(
    cx: &Context,
    image: &EcrRef,
    region: Option<&str>,
    profile: Option<&str>,
) -> Result<Client, CliError> {
    cx.client_with(profile, image.region.as_deref().or(region))
}

/// Runs `ecrkit copy`.
pub async fn run(cx: &Context, args: CopyArgs) -> Result<(), CliError> {
    args.check()?;
    let (source, destination) = args.sides()?;
    let style = Style::detect(cx.quiet, Duration::from_secs(args.progress_interval));
    let display = Display::with_words(
        style,
        COPY,
        format!("{} to {}", source.describe(), destination.describe()),
    );
    let bars = BlobProgress::new(display.clone());
    let result = match &destination {
        Side::Layout { dir, name } => {
            interruptible(to_layout(cx, &args, &source, dir, name.clone(), bars)).await
        }
        _ => interruptible(copy(cx, &args, &source, &destination, bars)).await,
    };
    display.finish();
    let row = match result {
        Some(row) => row?,
        None => return Err(CliError::new(Class::Interrupted, "interrupted")),
    };
    let row = CopiedRow {
        source: source.describe(),
        destination: destination.describe(),
        ..row
    };
    match cx.output {
        OutputFormat::Json => print_json(&row),
        OutputFormat::Table => print(&format!(
            "copied {} to {} {} ({} blob(s) copied, {} mounted, {} already there)\n",
            row.source,
            row.destination,
            row.digest,
            row.blobs_copied,
            row.blobs_mounted,
            row.blobs_present
        )),
    }
    Ok(())
}

async fn copy(
    cx: &Context,
    args: &CopyArgs,
    source: &Side,
    destination: &Side,
    bars: BlobProgress,
) -> Result<CopiedRow, CliError> {
    let transport = args.transport.into();
    let (from, reference) = match source {
        Side::Ecr(image) => (
            CopySource::Ecr {
                client: ecr_client(
                    cx,
                    image,
                    args.source_region.as_deref(),
                    args.source_profile.as_deref(),
                )?,
                registry_id: image.registry_id.clone(),
                repository: image.repository.clone(),
                transport,
                registry: None,
            },
            Some(image.reference.clone().unwrap_or_else(|| "latest".into())),
        ),
        Side::Registry {
            endpoint,
            repository,
            reference,
        } => (
            CopySource::Registry {
                client: registry_client(
                    endpoint,
                    credentials(args.source_creds.as_deref(), "--source-creds")?,
                )?,
                repository: repository.clone(),
            },
            Some(reference.clone().unwrap_or_else(|| "latest".into())),
        ),
        Side::Layout { dir, name } => (
            CopySource::Image(ImageSource::OciLayout(dir.clone())),
            name.clone(),
        ),
    };
    let to = match destination {
        Side::Ecr(image) => {
            let client = ecr_client(
                cx,
                image,
                args.dest_region.as_deref(),
                args.dest_profile.as_deref(),
            )?;
            if args.create_repository {
                create_repository(&client, image.registry_id.as_deref(), &image.repository).await?;
            }
            CopyDestination::Ecr {
                client,
                registry_id: image.registry_id.clone(),
                repository: image.repository.clone(),
                transport,
                registry: None,
            }
        }
        Side::Registry {
            endpoint,
            repository,
            ..
        } => CopyDestination::Registry {
            client: registry_client(
                endpoint,
                credentials(args.dest_creds.as_deref(), "--dest-creds")?,
            )?,
            repository: repository.clone(),
        },
        Side::Layout { .. } => return Err(CliError::internal("a layout destination is a pull")),
    };
    let mut copy = ImageCopy::new(from, reference, to);
    copy.tag = args
        .tag
        .clone()
        .or_else(|| destination.reference().map(str::to_owned));
    copy.concurrency = usize::from(args.concurrency);
    copy.progress = Some(Arc::new(move |p| {
        bars.on(&p.digest, p.bytes_done, p.bytes_total)
    }));
    let copied: CopiedImage = copy.copy().await.map_err(copy_error)?;
    Ok(CopiedRow {
        source: String::new(),
        destination: String::new(),
        digest: copied.digest,
        media_type: copied.media_type,
        tag: copied.tag,
        platform_manifests: copied.platform_manifests,
        blobs_copied: copied.blobs_copied,
        blobs_present: copied.blobs_present,
        blobs_mounted: copied.blobs_mounted,
        bytes_copied: copied.bytes_copied,
        transports: [
            transport_name(copied.transports.0),
            transport_name(copied.transports.1),
        ],
    })
}

/// A copy into a layout: a pull, from ECR or any registry.
async fn to_layout(
    cx: &Context,
    args: &CopyArgs,
    source: &Side,
    dir: &std::path::Path,
    name: Option<String>,
    bars: BlobProgress,
) -> Result<CopiedRow, CliError> {
    let (repository, reference) = match source {
        Side::Ecr(image) => (image.repository.clone(), image.reference.clone()),
        Side::Registry {
            repository,
            reference,
            ..
        } => (repository.clone(), reference.clone()),
        Side::Layout { .. } => return Err(CliError::internal("layout to layout")),
    };
    let mut pull = ImagePull::new(repository, reference.unwrap_or_else(|| "latest".into()));
    pull.transport = args.transport.into();
    pull.concurrency = usize::from(args.concurrency);
    pull.ref_name = args.tag.clone().or(name);
    pull.progress = Some(Arc::new(move |p| {
        bars.on(&p.digest, p.bytes_done, p.bytes_total)
    }));
    let pulled = match source {
        Side::Ecr(image) => {
            pull.registry_id.clone_from(&image.registry_id);
            let client = ecr_client(
                cx,
                image,
                args.source_region.as_deref(),
                args.source_profile.as_deref(),
            )?;
            pull.pull(&client, dir).await
        }
        Side::Registry { endpoint, .. } => {
            let registry = registry_client(
                endpoint,
                credentials(args.source_creds.as_deref(), "--source-creds")?,
            )?;
            pull.pull_from_registry(&registry, dir).await
        }
        Side::Layout { .. } => return Err(CliError::internal("layout to layout")),
    }
    .map_err(pull_error)?;
    Ok(CopiedRow {
        source: String::new(),
        destination: String::new(),
        digest: pulled.digest,
        media_type: pulled.media_type,
        tag: pull
            .ref_name
            .or_else(|| Some(pull.reference).filter(|r| !r.starts_with("sha256:"))),
        platform_manifests: pulled.platform_manifests,
        blobs_copied: pulled.blobs_fetched,
        blobs_present: pulled.blobs_present,
        blobs_mounted: 0,
        bytes_copied: pulled.bytes_fetched,
        transports: [transport_name(pulled.transport), "layout"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_of_reference_is_its_kind_of_end() {
        let side = |t: &str| Side::parse(t, "SRC").unwrap();
        assert!(matches!(side("my/app:1"), Side::Ecr(r) if r.repository == "my/app"));
        assert_eq!(
            side("docker://127.0.0.1:5000/lib/app:2"),
            Side::Registry {
                endpoint: "https://127.0.0.1:5000".into(),
                repository: "lib/app".into(),
                reference: Some("2".into()),
            }
        );
        assert!(
            matches!(side("http://h:1/a"), Side::Registry { endpoint, reference: None, .. } if endpoint == "http://h:1")
        );
        assert_eq!(
            side("oci:./dir/x:v1"),
            Side::Layout {
                dir: "./dir/x".into(),
                name: Some("v1".into())
            }
        );
        assert_eq!(
            side("oci:/tmp/a:b/c"),
            Side::Layout {
                dir: "/tmp/a:b/c".into(),
                name: None
            }
        );
        for bad in ["docker://", "docker:///app", "oci:", "oci:dir:"] {
            assert_eq!(
                Side::parse(bad, "SRC").unwrap_err().class,
                Class::Usage,
                "{bad}"
            );
        }
    }
}
