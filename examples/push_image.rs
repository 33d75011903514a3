//! Pushes a whole image to an ECR repository from an OCI image layout
//! directory or a `docker save` archive, with a one-line progress display.
//!
//! ```text
//! push_image --repository NAME (--oci-layout DIR | --docker-archive FILE) [--tag T]
//!            [--endpoint-url URL] [--region R] [--concurrency N] [--create-repository]
//! ```
//!
//! Region and credentials come from the AWS environment and profile
//! (`AWS_REGION`, `AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, ...); `--endpoint-url`
//! (or `AWS_ENDPOINT_URL_ECR`) points it at another endpoint, such as moto.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ecrkit::ecr::{CreateRepository, CreateRepositoryError, DescribeImages};
use ecrkit::push::{ImageProgress, ImagePush, ImageSource};
use ecrkit::{Client, Config, Error};

const USAGE: &str =
    "usage: push_image --repository NAME (--oci-layout DIR | --docker-archive FILE) [--tag T]
                  [--endpoint-url URL] [--region R] [--concurrency N] [--create-repository]";

/// The command line. Parsed by hand: eight flags do not need a parser
/// crate in the build.
struct Args {
    repository: String,
    source: ImageSource,
    tag: Option<String>,
    endpoint_url: Option<String>,
    region: Option<String>,
    concurrency: usize,
    create_repository: bool,
}

fn parse_args() -> Result<Args, String> {
    let (mut repository, mut oci_layout, mut docker_archive) = (None, None, None);
    let (mut tag, mut endpoint_url, mut region) = (None, None, None);
    let (mut concurrency, mut create_repository) = (3, false);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        // `--flag=value` and `--flag value` both work.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--repository" => repository = Some(value()?),
            "--oci-layout" => oci_layout = Some(PathBuf::from(value()?)),
            "--docker-archive" => docker_archive = Some(PathBuf::from(value()?)),
            "--tag" => tag = Some(value()?),
            "--endpoint-url" => endpoint_url = Some(value()?),
            "--region" => region = Some(value()?),
            "--concurrency" => {
                concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--create-repository" => create_repository = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let source = match (oci_layout, docker_archive) {
        (Some(dir), None) => ImageSource::OciLayout(dir),
        (None, Some(file)) => ImageSource::DockerArchive(file),
        _ => {
            return Err(format!(
                "give one of --oci-layout or --docker-archive\n{USAGE}"
            ));
        }
    };
    Ok(Args {
        repository: repository.ok_or_else(|| format!("--repository is required\n{USAGE}"))?,
        source,
        tag,
        endpoint_url,
        region,
        concurrency,
        create_repository,
    })
}

/// Bytes sent and known so far, over all blobs, shown on one line.
#[derive(Default)]
struct Totals {
    /// Per blob digest: (bytes sent, size).
    blobs: Vec<(String, u64, u64)>,
    last_drawn: Option<Instant>,
}

impl Totals {
    fn update(&mut self, p: &ImageProgress) -> (u64, u64, usize, usize) {
        let size = p.progress.bytes_total.unwrap_or(0);
        match self.blobs.iter_mut().find(|(d, _, _)| *d == p.digest) {
            Some(blob) => (blob.1, blob.2) = (p.progress.bytes_sent, size),
            None => self
                .blobs
                .push((p.digest.clone(), p.progress.bytes_sent, size)),
        }
        let sent = self.blobs.iter().map(|b| b.1).sum();
        let total = self.blobs.iter().map(|b| b.2).sum();
        let done = self.blobs.iter().filter(|b| b.1 == b.2).count();
        (sent, total, done, self.blobs.len())
    }
}

fn main() {
    // The runtime is built by hand rather than with `#[tokio::main]`, which
    // would compile tokio's proc-macro crate for one line.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    // Errors print with Display (what went wrong and the request id), not
    // the Debug form `main` returning an error would print.
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
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

    let mut push = ImagePush::new(&args.repository);
    push.tag = args.tag.clone();
    push.concurrency = args.concurrency;
    // One status line, redrawn at most ten times a second on a terminal.
    let interactive = std::io::stderr().is_terminal();
    let started = Instant::now();
    let totals = Mutex::new(Totals::default());
    push.progress = Some(Arc::new(move |p: ImageProgress| {
        let mut totals = totals.lock().unwrap_or_else(|e| e.into_inner());
        let (sent, total, done, blobs) = totals.update(&p);
        let due = totals
            .last_drawn
            .is_none_or(|t| t.elapsed().as_millis() >= 100);
        if interactive && (due || sent == total) {
            totals.last_drawn = Some(Instant::now());
            let mb_s = sent as f64 / 1e6 / started.elapsed().as_secs_f64().max(1e-3);
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r{done}/{blobs} blobs, {:.1}/{:.1} MB, {mb_s:.0} MB/s ",
                sent as f64 / 1e6,
                total as f64 / 1e6
            );
            let _ = err.flush();
        }
    }));
    let pushed = push.push(&client, &args.source).await;
    if interactive {
        eprintln!();
    }
    let pushed = pushed?;
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
