//! Pushes a whole image to an ECR repository from an OCI image layout
//! directory or a `docker save` archive, with a progress bar per blob and
//! one in total.
//!
//! ```text
//! push_image --repository NAME (--oci-layout DIR | --docker-archive FILE) [--tag T]
//!            [--endpoint-url URL] [--region R] [--concurrency N] [--create-repository]
//! ```
//!
//! Region and credentials come from the AWS environment and profile
//! (`AWS_REGION`, `AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, ...); `--endpoint-url`
//! (or `AWS_ENDPOINT_URL_ECR`) points it at another endpoint, such as moto.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::Parser;
use ecr_core::ecr::{CreateRepository, CreateRepositoryError, DescribeImages};
use ecr_core::push::{ImageProgress, ImagePush, ImageSource};
use ecr_core::{Client, Config, Error};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Push an image to Amazon ECR.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The repository name.
    #[arg(long)]
    repository: String,
    /// An OCI image layout directory.
    #[arg(
        long,
        conflicts_with = "docker_archive",
        required_unless_present = "docker_archive"
    )]
    oci_layout: Option<PathBuf>,
    /// A `docker save` archive.
    #[arg(long)]
    docker_archive: Option<PathBuf>,
    /// The tag (default: from the layout or archive).
    #[arg(long)]
    tag: Option<String>,
    /// A custom endpoint, such as http://127.0.0.1:5000.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The region (default: AWS_REGION or the profile's).
    #[arg(long)]
    region: Option<String>,
    /// Blobs uploaded at once.
    #[arg(long, default_value_t = 3)]
    concurrency: usize,
    /// Create the repository if it does not exist.
    #[arg(long)]
    create_repository: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut config = Config::from_env();
    if let Some(url) = &args.endpoint_url {
        config = config.with_endpoint_url(url);
    }
    if let Some(region) = &args.region {
        config = config.with_region(region);
    }
    let client = Client::new(config.build());
    if args.create_repository {
        let create = CreateRepository {
            repository_name: args.repository.clone(),
            ..Default::default()
        };
        match create.send(&client).await {
            Ok(_)
            | Err(Error::Service {
                error: CreateRepositoryError::RepositoryAlreadyExistsException(_),
                ..
            }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let source = match (&args.oci_layout, &args.docker_archive) {
        (Some(dir), _) => ImageSource::OciLayout(dir.clone()),
        (None, Some(file)) => ImageSource::DockerArchive(file.clone()),
        (None, None) => return Err("give --oci-layout or --docker-archive".into()),
    };

    let bars = MultiProgress::new();
    let style = ProgressStyle::with_template(
        "{prefix:>14} [{bar:30}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec}",
    )?
    .progress_chars("=> ");
    let total = bars.add(
        ProgressBar::new(0)
            .with_style(style.clone())
            .with_prefix("total"),
    );
    let per_blob: Arc<Mutex<HashMap<String, (ProgressBar, u64)>>> = Arc::default();
    let mut push = ImagePush::new(&args.repository);
    push.tag = args.tag.clone();
    push.concurrency = args.concurrency;
    let (bars2, style2, total2) = (bars.clone(), style.clone(), total.clone());
    push.progress = Some(Arc::new(move |p: ImageProgress| {
        let mut map = per_blob.lock().unwrap_or_else(|e| e.into_inner());
        let size = p.progress.bytes_total.unwrap_or(0);
        let (bar, last) = map.entry(p.digest.clone()).or_insert_with(|| {
            total2.inc_length(size);
            let short = p
                .digest
                .trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect::<String>();
            (
                bars2.add(
                    ProgressBar::new(size)
                        .with_style(style2.clone())
                        .with_prefix(short),
                ),
                0,
            )
        });
        bar.set_position(p.progress.bytes_sent);
        total2.inc(p.progress.bytes_sent - *last);
        *last = p.progress.bytes_sent;
        if Some(p.progress.bytes_sent) == p.progress.bytes_total {
            bar.finish();
        }
    }));
    let started = Instant::now();
    let pushed = push.push(&client, &source).await?;
    total.finish();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "pushed {} ({}) as {}:{} in {secs:.2} s: {} blobs uploaded, {} already present",
        pushed.digest,
        pushed.media_type,
        args.repository,
        pushed.tag.as_deref().unwrap_or("<untagged>"),
        pushed.blobs_pushed,
        pushed.blobs_present
    );
    let described = DescribeImages {
        repository_name: args.repository.clone(),
        ..Default::default()
    }
    .send(&client)
    .await?;
    println!("DescribeImages reports:");
    for image in described.image_details.unwrap_or_default() {
        println!(
            "  {} tags={:?} size={} bytes pushed_at={}",
            image.image_digest.unwrap_or_default(),
            image.image_tags.unwrap_or_default(),
            image.image_size_in_bytes.unwrap_or(0),
            image
                .image_pushed_at
                .map(|t| t.to_string())
                .unwrap_or_default()
        );
    }
    Ok(())
}
