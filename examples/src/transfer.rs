//! What `pull` and `copy` share: ECR image references, the transport
//! flag, the progress of their blobs on the push display, and the classes
//! of their errors.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use ecrkit::copy::CopyError;
use ecrkit::pull::PullError;
use ecrkit::push::BlobEvent;
use ecrkit::registry::Transport;

use crate::error::{Class, CliError};
use crate::progress::Display;

/// `--transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransportArg {
    /// The ECR API (BatchGetImage, GetDownloadUrlForLayer, the layer
    /// upload calls, PutImage).
    Api,
    /// ECR's registry endpoint (the OCI distribution protocol: layers as
    /// they are, no base64).
    Registry,
    /// The registry when it answers, else the API; the API when
    /// --endpoint-url is given and --registry-endpoint is not.
    Auto,
}

impl From<TransportArg> for Transport {
    fn from(t: TransportArg) -> Transport {
        match t {
            TransportArg::Api => Transport::Api,
            TransportArg::Registry => Transport::Registry,
            TransportArg::Auto => Transport::Auto,
        }
    }
}

/// The name of a transport in the output.
pub fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Api => "api",
        Transport::Registry => "registry",
        _ => "auto",
    }
}

/// An image in ECR: `REPOSITORY[:TAG|@DIGEST]`, optionally after the
/// registry's host (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrRef {
    /// The account, from the host.
    pub registry_id: Option<String>,
    /// The region, from the host.
    pub region: Option<String>,
    /// The repository.
    pub repository: String,
    /// The tag or digest, if given.
    pub reference: Option<String>,
}

impl EcrRef {
    /// `repo:tag` or `repo@digest`, as the image is named in messages.
    pub fn label(&self) -> String {
        label(&self.repository, self.reference.as_deref())
    }
}

/// `repository:tag`, `repository@digest`, or the repository alone.
pub fn label(repository: &str, reference: Option<&str>) -> String {
    match reference {
        Some(r) if r.starts_with("sha256:") => format!("{repository}@{r}"),
        Some(r) => format!("{repository}:{r}"),
        None => repository.to_owned(),
    }
}

/// Splits `REPOSITORY[:TAG|@DIGEST]`; `what` names the argument.
pub fn split_reference(text: &str, what: &str) -> Result<(String, Option<String>), CliError> {
    let (repository, reference) = match text.split_once('@') {
        Some((repo, digest)) => {
            if !digest.starts_with("sha256:") || digest.len() != 71 {
                return Err(CliError::usage(format!(
                    "{what} {text:?}: a digest is sha256: and 64 hex digits"
                )));
            }
            (repo, Some(digest.to_owned()))
        }
        None => {
            // A tag follows the last ':' after the last '/' (a host's port
            // comes before a '/').
            let last = text.rfind('/').map_or(0, |i| i + 1);
            match text[last..].rfind(':') {
                Some(i) => (&text[..last + i], Some(text[last + i + 1..].to_owned())),
                None => (text, None),
            }
        }
    };
    if repository.is_empty() || reference.as_deref() == Some("") {
        return Err(CliError::usage(format!(
            "{what} {text:?}: expected REPOSITORY[:TAG|@DIGEST]"
        )));
    }
    Ok((repository.to_owned(), reference))
}

/// Parses an ECR image reference.
pub fn parse_ecr(text: &str, what: &str) -> Result<EcrRef, CliError> {
    let (mut registry_id, mut region, mut rest) = (None, None, text);
    if let Some((host, path)) = text.split_once('/')
        && host.contains(".dkr.ecr.")
    {
        let mut parts = host.split('.');
        let account = parts.next().unwrap_or_default();
        let (dkr, ecr, reg) = (parts.next(), parts.next(), parts.next());
        if account.len() != 12
            || !account.bytes().all(|b| b.is_ascii_digit())
            || (dkr, ecr) != (Some("dkr"), Some("ecr"))
            || reg.is_none_or(str::is_empty)
        {
            return Err(CliError::usage(format!(
                "{what} {text:?}: an ECR registry host is ACCOUNT.dkr.ecr.REGION.amazonaws.com"
            )));
        }
        registry_id = Some(account.to_owned());
        region = reg.map(str::to_owned);
        rest = path;
    }
    let (repository, reference) = split_reference(rest, what)?;
    Ok(EcrRef {
        registry_id,
        region,
        repository,
        reference,
    })
}

/// Shows a pull's or copy's blobs on a [`Display`]: the library reports
/// bytes only, so a blob's first report queues and starts it, and its last
/// finishes it.
#[derive(Clone)]
pub struct BlobProgress {
    display: Display,
    seen: Arc<Mutex<(HashSet<String>, HashSet<String>)>>,
}

impl BlobProgress {
    /// Reports to `display`.
    pub fn new(display: Display) -> Self {
        Self {
            display,
            seen: Arc::default(),
        }
    }

    /// `done` bytes of `digest`'s `total` are through.
    pub fn on(&self, digest: &str, done: u64, total: u64) {
        let (first, last) = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let first = seen.0.insert(digest.to_owned());
            let last = done >= total && seen.1.insert(digest.to_owned());
            (first, last)
        };
        let d = &self.display;
        if first {
            d.on(digest, &BlobEvent::Queued, 0, Some(total));
            let started = BlobEvent::Started {
                upload_id: String::new(),
            };
            d.on(digest, &started, 0, Some(total));
        }
        d.on(digest, &BlobEvent::Part, done, Some(total));
        if last {
            d.on(digest, &BlobEvent::Finished, total, Some(total));
        }
    }
}

/// The error of a pull.
pub fn pull_error(e: PullError) -> CliError {
    let class = match &e {
        PullError::NotFound { .. } => Class::Service,
        PullError::NoSuchPlatform { .. } => Class::Usage,
        PullError::Api { kind, .. } => Class::of(*kind),
        PullError::Registry { source, .. } => Class::of_registry(source),
        PullError::Blob { .. } => Class::PushStopped,
        PullError::Layout { .. } => Class::Invalid,
        PullError::Manifest { .. } => Class::Network,
    };
    let stopped = class == Class::PushStopped;
    let err = CliError::new(class, e.to_string());
    if stopped {
        err.with_next("run the same command again: the pull continues from the bytes on disk")
    } else {
        err
    }
}

/// The error of a copy.
pub fn copy_error(e: CopyError) -> CliError {
    match e {
        CopyError::Source(e) => {
            let mut err = pull_error(*e);
            err.message = format!("reading the source: {}", err.message);
            err
        }
        CopyError::Image(e) => CliError::from(*e),
        CopyError::Registry { ref source, .. } => {
            CliError::new(Class::of_registry(source), e.to_string())
        }
        CopyError::Api { .. } => CliError::new(Class::Service, e.to_string()),
        e @ (CopyError::RegistryBlob { .. }
        | CopyError::ApiBlob { .. }
        | CopyError::Blob { .. }) => CliError::new(Class::PushStopped, e.to_string())
            .with_next("run the same command again: blobs the destination has are skipped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_references_split_into_host_repository_and_tag_or_digest() {
        let r = parse_ecr("my/app:1.0", "IMAGE").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.reference.as_deref()),
            ("my/app", Some("1.0"))
        );
        assert_eq!(r.registry_id, None);
        let r = parse_ecr("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app", "IMAGE").unwrap();
        assert_eq!(r.registry_id.as_deref(), Some("123456789012"));
        assert_eq!(r.region.as_deref(), Some("eu-west-1"));
        assert_eq!((r.repository.as_str(), r.reference), ("app", None));
        let digest = format!("sha256:{}", "a".repeat(64));
        let r = parse_ecr(&format!("app@{digest}"), "IMAGE").unwrap();
        assert_eq!(r.reference.as_deref(), Some(digest.as_str()));
        assert_eq!(r.label(), format!("app@{digest}"));
        for bad in [
            "app@sha256:12",
            "1.dkr.ecr.x.amazonaws.com/app",
            ":tag",
            "app:",
        ] {
            let e = parse_ecr(bad, "IMAGE").expect_err(bad);
            assert_eq!(e.class, Class::Usage, "{bad}: {}", e.message);
        }
    }
}
