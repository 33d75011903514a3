//! `ecrkit ls`: the repositories, or the images of one, every page.

use clap::Args;
use ecrkit::ecr::{DescribeImages, DescribeRepositories, ImageDetail, Repository};
use serde::Serialize;

use crate::Context;
use crate::error::CliError;
use crate::output::{OutputFormat, Table, mib, print, print_json, rfc3339};

const EXAMPLES: &str = "\
Examples:
  ecrkit ls
  ecrkit ls my/app
  # The newest image's digest, for a script
  ecrkit ls my/app --output json | jq -r '.[0].digest'";

/// List repositories, or the images of one.
///
/// Images are listed newest first: their tags, digest, size in MiB and
/// when they were pushed (RFC 3339, UTC). With --output json sizes are in
/// bytes.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct LsArgs {
    /// List this repository's images instead of the repositories
    #[arg(value_name = "REPOSITORY")]
    repository: Option<String>,

    /// Items per call; every page is read whatever the size
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(i32).range(1..=1000))]
    page_size: i32,
}

/// A repository, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct RepositoryRow {
    name: String,
    uri: Option<String>,
    registry_id: Option<String>,
    created_at: Option<String>,
}

/// An image, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct ImageRow {
    repository: String,
    digest: Option<String>,
    tags: Vec<String>,
    size_bytes: Option<i64>,
    pushed_at: Option<String>,
    media_type: Option<String>,
}

impl From<Repository> for RepositoryRow {
    fn from(r: Repository) -> Self {
        RepositoryRow {
            name: r.repository_name.unwrap_or_default(),
            uri: r.repository_uri,
            registry_id: r.registry_id,
            created_at: r.created_at.map(rfc3339),
        }
    }
}

/// Runs `ecrkit ls`.
pub async fn run(cx: &Context, args: LsArgs) -> Result<(), CliError> {
    match args.repository {
        None => repositories(cx, args.page_size).await,
        Some(name) => images(cx, name, args.page_size).await,
    }
}

async fn repositories(cx: &Context, page_size: i32) -> Result<(), CliError> {
    let mut rows: Vec<RepositoryRow> = DescribeRepositories {
        max_results: Some(page_size),
        ..Default::default()
    }
    .items(&cx.client)
    .try_collect()
    .await
    .map_err(|e| CliError::call("DescribeRepositories", &e))?
    .into_iter()
    .map(RepositoryRow::from)
    .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    match cx.output {
        OutputFormat::Json => print_json(&rows),
        OutputFormat::Table => {
            let mut table = Table::new(&["NAME", "URI", "CREATED"]);
            for r in rows {
                table.row(vec![
                    r.name,
                    r.uri.unwrap_or_default(),
                    r.created_at.unwrap_or_default(),
                ]);
            }
            print(&table.render());
        }
    }
    Ok(())
}

async fn images(cx: &Context, repository: String, page_size: i32) -> Result<(), CliError> {
    let mut details: Vec<ImageDetail> = DescribeImages {
        repository_name: repository.clone(),
        max_results: Some(page_size),
        ..Default::default()
    }
    .items(&cx.client)
    .try_collect()
    .await
    .map_err(|e| CliError::call(&format!("listing the images of {repository}"), &e))?;
    // Newest first; the service's order is not specified.
    details.sort_by(|a, b| {
        let at = |d: &ImageDetail| d.image_pushed_at.map(|t| (t.secs(), t.subsec_nanos()));
        at(b)
            .cmp(&at(a))
            .then_with(|| a.image_digest.cmp(&b.image_digest))
    });
    let rows: Vec<ImageRow> = details
        .into_iter()
        .map(|d| ImageRow {
            repository: d.repository_name.unwrap_or_else(|| repository.clone()),
            digest: d.image_digest,
            tags: d.image_tags.unwrap_or_default(),
            size_bytes: d.image_size_in_bytes,
            pushed_at: d.image_pushed_at.map(rfc3339),
            media_type: d.image_manifest_media_type,
        })
        .collect();
    match cx.output {
        OutputFormat::Json => print_json(&rows),
        OutputFormat::Table => {
            let mut table =
                Table::new(&["TAGS", "DIGEST", "SIZE (MiB)", "PUSHED AT"]).right_align(2);
            for r in rows {
                let tags = if r.tags.is_empty() {
                    "<untagged>".to_owned()
                } else {
                    r.tags.join(",")
                };
                table.row(vec![
                    tags,
                    r.digest.unwrap_or_default(),
                    r.size_bytes
                        .map(|s| mib(s.max(0) as u64))
                        .unwrap_or_default(),
                    r.pushed_at.unwrap_or_default(),
                ]);
            }
            print(&table.render());
        }
    }
    Ok(())
}
