//! Pushes a generated layer to the loopback sink with this client and prints
//! throughput, CPU seconds and peak RSS; or makes N sequential
//! DescribeRepositories calls.
//!
//! `push_bench push ENDPOINT SIZE_MIB PART_MIB` or `push_bench calls ENDPOINT N`.
//! Output: one line, `ours <mode> ... MB/s ... cpu_s ... peak_rss_mib ...`.

use std::time::Instant;

use ecr_bench_common::{GeneratedLayer, cpu_seconds, peak_rss_mib};
use ecrkit::ecr::DescribeRepositories;
use ecrkit::push::LayerPush;
use ecrkit::{Client, Config, Credentials};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: push_bench push ENDPOINT SIZE_MIB PART_MIB | push_bench calls ENDPOINT N";
    let (mode, endpoint) = match (args.first(), args.get(1)) {
        (Some(m), Some(e)) => (m.as_str(), e.as_str()),
        _ => return Err(usage.into()),
    };
    let client = Client::new(
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
    );
    match mode {
        "push" => {
            let size_mib: u64 = args.get(2).and_then(|v| v.parse().ok()).ok_or(usage)?;
            let part_mib: usize = args.get(3).and_then(|v| v.parse().ok()).ok_or(usage)?;
            let size = size_mib << 20;
            let mut push = LayerPush::new("bench");
            push.max_part_size = Some(part_mib << 20);
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            let pushed = push.push(&client, GeneratedLayer::new(size, 1)).await?;
            let (secs, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
            assert_eq!(pushed.size, size);
            println!(
                "ours push size_mib={size_mib} part_mib={part_mib} mb_per_s={:.0} cpu_s={cpu:.2} wall_s={secs:.2} peak_rss_mib={:.1}",
                size as f64 / 1e6 / secs,
                peak_rss_mib()
            );
        }
        "calls" => {
            let n: u32 = args.get(2).and_then(|v| v.parse().ok()).ok_or(usage)?;
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            for _ in 0..n {
                let out = DescribeRepositories::default().send(&client).await?;
                assert!(out.repositories.is_some());
            }
            let (secs, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
            println!(
                "ours calls n={n} calls_per_s={:.0} cpu_us_per_call={:.1} wall_s={secs:.2} peak_rss_mib={:.1}",
                f64::from(n) / secs,
                cpu * 1e6 / f64::from(n),
                peak_rss_mib()
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
