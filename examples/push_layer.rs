//! Pushes one layer to an ECR repository, printing progress and the digest.
//!
//! ```text
//! push_layer --repository NAME (--file PATH | --generate-mib N) [--endpoint-url URL] [--region R] [--create-repository]
//! ```
//!
//! Region and credentials come from the AWS environment variables
//! (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, ...); `--endpoint-url` (or
//! `AWS_ENDPOINT_URL_ECR`) points it at a non-AWS endpoint such as moto.

use std::sync::Arc;
use std::time::Instant;

use ecrkit::ecr::{CreateRepository, CreateRepositoryError};
use ecrkit::push::{LayerPush, Progress};
use ecrkit::{Client, Config, Error};

struct Args {
    repository: String,
    file: Option<String>,
    generate_mib: Option<usize>,
    endpoint_url: Option<String>,
    region: Option<String>,
    create_repository: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        repository: String::new(),
        file: None,
        generate_mib: None,
        endpoint_url: None,
        region: None,
        create_repository: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--repository" => args.repository = value()?,
            "--file" => args.file = Some(value()?),
            "--generate-mib" => args.generate_mib = Some(value()?.parse().map_err(|e| format!("--generate-mib: {e}"))?),
            "--endpoint-url" => args.endpoint_url = Some(value()?),
            "--region" => args.region = Some(value()?),
            "--create-repository" => args.create_repository = true,
            "-h" | "--help" => {
                return Err("usage: push_layer --repository NAME (--file PATH | --generate-mib N) [--endpoint-url URL] [--region R] [--create-repository]".into())
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    if args.repository.is_empty() {
        return Err("--repository is required; see --help".into());
    }
    if args.file.is_none() == args.generate_mib.is_none() {
        return Err("give one of --file PATH or --generate-mib N".into());
    }
    Ok(args)
}

/// Deterministic pseudo-random layer bytes.
fn generated_layer(mib: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(mib << 20);
    while out.len() < mib << 20 {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(mib << 20);
    out
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
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
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
            Ok(_) => println!("created repository {}", args.repository),
            Err(Error::Service {
                error: CreateRepositoryError::RepositoryAlreadyExistsException(_),
                ..
            }) => {}
            Err(e) => return Err(e.into()),
        }
    }

    let mut push = LayerPush::new(&args.repository);
    let started = Instant::now();
    push.progress = Some(Arc::new(move |p: Progress| match p.bytes_total {
        Some(total) => println!(
            "  {:>6.1} / {:.1} MiB",
            p.bytes_sent as f64 / 1048576.0,
            total as f64 / 1048576.0
        ),
        None => println!("  {:>6.1} MiB", p.bytes_sent as f64 / 1048576.0),
    }));
    let pushed = match (&args.file, args.generate_mib) {
        (Some(path), _) => {
            let file = tokio::fs::File::open(path).await?;
            push.known_size = Some(file.metadata().await?.len());
            push.push(&client, file).await?
        }
        (None, Some(mib)) => {
            let layer = generated_layer(mib);
            push.known_size = Some(layer.len() as u64);
            push.push(&client, layer.as_slice()).await?
        }
        _ => unreachable!("checked in parse_args"),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "pushed {} ({} bytes, {} parts) to {} in {:.2} s ({:.0} MB/s){}",
        pushed.digest,
        pushed.size,
        pushed.parts_sent,
        args.repository,
        secs,
        pushed.size as f64 / 1e6 / secs.max(1e-9),
        if pushed.already_present {
            ", already present"
        } else {
            ""
        }
    );
    Ok(())
}
