//! `ecrkit rm`: delete images by tag or digest (BatchDeleteImage), each
//! failure reported by image.

use std::str::FromStr;

use clap::Args;
use ecrkit::ecr::{BatchDeleteImage, ImageFailure, ImageIdentifier};
use serde::Serialize;

use crate::Context;
use crate::error::{Class, CliError};
use crate::output::{OutputFormat, print, print_json};

const EXAMPLES: &str = "\
Examples:
  ecrkit rm my/app:1.2
  ecrkit rm my/app:old other/app@sha256:0123...
A tag removes that tag (the image goes with its last tag); a digest removes
the image and every tag on it.";

/// Delete images by tag or digest.
///
/// Exits with status 4 if any image was not deleted; the others are
/// deleted all the same.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct RmArgs {
    /// The images: REPOSITORY:TAG or REPOSITORY@DIGEST
    #[arg(value_name = "IMAGE", required = true)]
    images: Vec<ImageRef>,
}

/// An image named on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRef {
    repository: String,
    id: ImageIdentifier,
}

impl FromStr for ImageRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (repository, id) = if let Some((repo, digest)) = s.split_once('@') {
            let id = ImageIdentifier {
                image_digest: Some(digest.to_owned()),
                ..Default::default()
            };
            (repo, id)
        } else if let Some((repo, tag)) = s.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
            let id = ImageIdentifier {
                image_tag: Some(tag.to_owned()),
                ..Default::default()
            };
            (repo, id)
        } else {
            return Err("expected REPOSITORY:TAG or REPOSITORY@DIGEST".into());
        };
        if repository.is_empty() {
            return Err("the repository is empty".into());
        }
        Ok(ImageRef {
            repository: repository.to_owned(),
            id,
        })
    }
}

fn name(repository: &str, id: &ImageIdentifier) -> String {
    match (&id.image_tag, &id.image_digest) {
        (Some(tag), _) => format!("{repository}:{tag}"),
        (None, Some(digest)) => format!("{repository}@{digest}"),
        (None, None) => repository.to_owned(),
    }
}

/// An image deleted, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct DeletedRow {
    repository: String,
    digest: Option<String>,
    tag: Option<String>,
}

/// An image not deleted.
#[derive(Debug, Serialize)]
struct FailedRow {
    image: String,
    code: Option<String>,
    reason: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct RmResult {
    deleted: Vec<DeletedRow>,
    failed: Vec<FailedRow>,
}

fn failure(repository: &str, f: ImageFailure) -> FailedRow {
    FailedRow {
        image: f
            .image_id
            .map_or_else(|| repository.to_owned(), |id| name(repository, &id)),
        code: f.failure_code.map(|c| c.to_string()),
        reason: f.failure_reason,
    }
}

/// Runs `ecrkit rm`.
pub async fn run(cx: &Context, args: RmArgs) -> Result<(), CliError> {
    // One call per repository and hundred images, in the order given.
    let mut groups: Vec<(String, Vec<ImageIdentifier>)> = Vec::new();
    for image in args.images {
        match groups.iter_mut().find(|(r, _)| *r == image.repository) {
            Some((_, ids)) => ids.push(image.id),
            None => groups.push((image.repository, vec![image.id])),
        }
    }
    let mut result = RmResult::default();
    for (repository, ids) in groups {
        for batch in ids.chunks(100) {
            let out = BatchDeleteImage {
                repository_name: repository.clone(),
                image_ids: batch.to_vec(),
                registry_id: None,
            }
            .send(&cx.client)
            .await
            .map_err(|e| CliError::call(&format!("deleting images of {repository}"), &e))?;
            for id in out.image_ids.unwrap_or_default() {
                result.deleted.push(DeletedRow {
                    repository: repository.clone(),
                    digest: id.image_digest,
                    tag: id.image_tag,
                });
            }
            for f in out.failures.unwrap_or_default() {
                result.failed.push(failure(&repository, f));
            }
        }
    }
    match cx.output {
        OutputFormat::Json => print_json(&result),
        OutputFormat::Table => {
            let mut text = String::new();
            for d in &result.deleted {
                let id = ImageIdentifier {
                    image_digest: None,
                    image_tag: d.tag.clone(),
                };
                let what = match (&d.tag, &d.digest) {
                    (Some(_), Some(digest)) => format!("{} ({digest})", name(&d.repository, &id)),
                    (_, Some(digest)) => format!("{}@{digest}", d.repository),
                    _ => name(&d.repository, &id),
                };
                text.push_str(&format!("deleted {what}\n"));
            }
            print(&text);
        }
    }
    if result.failed.is_empty() {
        return Ok(());
    }
    let mut err = CliError::new(
        Class::Service,
        format!("{} image(s) not deleted", result.failed.len()),
    );
    for f in &result.failed {
        err = err.with_next(format!(
            "  {}: {}{}",
            f.image,
            f.code.as_deref().unwrap_or("failed"),
            f.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_named_by_tag_or_digest() {
        let by_tag: ImageRef = "my/app:1.2".parse().unwrap();
        assert_eq!(by_tag.repository, "my/app");
        assert_eq!(by_tag.id.image_tag.as_deref(), Some("1.2"));
        let by_digest: ImageRef = "my/app@sha256:00ff".parse().unwrap();
        assert_eq!(by_digest.id.image_digest.as_deref(), Some("sha256:00ff"));
        assert!("my/app".parse::<ImageRef>().is_err());
        assert!(":1.2".parse::<ImageRef>().is_err());
        assert_eq!(name("r", &by_tag.id), "r:1.2");
    }
}
