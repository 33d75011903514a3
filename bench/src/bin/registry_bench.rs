//! The registry-protocol benchmarks' client side: pushes an OCI layout to a
//! registry, pulls an image from one into a layout, or pushes the layout
//! through the ECR API (to the loopback sink), and prints one line with
//! bytes, throughput, CPU seconds and peak RSS.
//!
//! ```text
//! registry_bench push ENDPOINT USER PASSWORD LAYOUT REPO
//! registry_bench pull ENDPOINT USER PASSWORD REPO TAG OUT
//! registry_bench api-push ECR_ENDPOINT LAYOUT REPO
//! ```

use std::path::PathBuf;
use std::time::Instant;

use ecr_bench_common::{cpu_seconds, peak_rss_mib};
use ecrkit::pull::ImagePull;
use ecrkit::push::{ImagePush, ImageSource};
use ecrkit::registry::{RegistryClient, RegistryCredentials, Transport};
use ecrkit::{Client, Config, Credentials};

fn registry(
    endpoint: &str,
    user: &str,
    password: &str,
) -> Result<RegistryClient, Box<dyn std::error::Error>> {
    Ok(RegistryClient::new(
        endpoint,
        RegistryCredentials::Basic {
            username: user.to_owned(),
            password: password.to_owned(),
        },
    )?)
}

fn api_client(endpoint: &str) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(Credentials::new(
                "AKIDBENCH",
                "bench-secret",
                None,
                None,
                "bench",
            ))
            .build(),
    )
}

fn report(mode: &str, bytes: u64, t0: Instant, cpu0: f64) {
    let (secs, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    println!(
        "ours {mode} bytes={bytes} mb_per_s={:.0} cpu_s={cpu:.2} wall_s={secs:.2} peak_rss_mib={:.1}",
        bytes as f64 / 1e6 / secs,
        peak_rss_mib()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        args.get(i)
            .map(String::as_str)
            .ok_or("missing arguments (see the source's header)")
    };
    match arg(0)? {
        "push" => {
            let registry = registry(arg(1)?, arg(2)?, arg(3)?)?;
            let layout = PathBuf::from(arg(4)?);
            let push = ImagePush::new(arg(5)?);
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            let pushed = push
                .push_to_registry(&registry, &ImageSource::OciLayout(layout.clone()))
                .await?;
            let plan = ImageSource::OciLayout(layout).plan(None, None)?;
            let bytes: u64 = plan.blobs.iter().map(|b| b.size).sum();
            assert_eq!(
                pushed.blobs_present, 0,
                "the registry had blobs already: not a fresh push"
            );
            report("registry-push", bytes, t0, cpu0);
        }
        "pull" => {
            let registry = registry(arg(1)?, arg(2)?, arg(3)?)?;
            let pull = ImagePull::new(arg(4)?, arg(5)?);
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            let pulled = pull
                .pull_from_registry(&registry, &PathBuf::from(arg(6)?))
                .await?;
            report("registry-pull", pulled.bytes_fetched, t0, cpu0);
        }
        "api-push" => {
            let client = api_client(arg(1)?);
            let layout = PathBuf::from(arg(2)?);
            let mut push = ImagePush::new(arg(3)?);
            push.transport = Transport::Api;
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            push.push(&client, &ImageSource::OciLayout(layout.clone()))
                .await?;
            let plan = ImageSource::OciLayout(layout).plan(None, None)?;
            let bytes: u64 = plan.blobs.iter().map(|b| b.size).sum();
            report("api-push", bytes, t0, cpu0);
        }
        other => return Err(format!("unknown mode {other:?}").into()),
    }
    Ok(())
}
