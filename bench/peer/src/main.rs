//! aws-sdk-ecr pushing a generated layer with sequential UploadLayerPart
//! calls (as a user of the SDK writes it), or making N DescribeRepositories
//! calls, against the loopback sink. Prints the same line format as
//! `push_bench`, prefixed `peer`.

use std::time::Instant;

use aws_sdk_ecr::primitives::Blob;
use ecr_bench_common::{GeneratedLayer, cpu_seconds, peak_rss_mib};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: peer-bench push ENDPOINT SIZE_MIB PART_MIB | peer-bench calls ENDPOINT N";
    let (mode, endpoint) = match (args.first(), args.get(1)) {
        (Some(m), Some(e)) => (m.clone(), e.clone()),
        _ => return Err(usage.into()),
    };
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(aws_sdk_ecr::config::Credentials::new("AKIDBENCH", "bench-secret", None, None, "bench"))
        .load()
        .await;
    let client = aws_sdk_ecr::Client::new(&config);
    match mode.as_str() {
        "push" => {
            let size_mib: u64 = args.get(2).and_then(|v| v.parse().ok()).ok_or(usage)?;
            let part_mib: usize = args.get(3).and_then(|v| v.parse().ok()).ok_or(usage)?;
            let size = size_mib << 20;
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            let upload = client.initiate_layer_upload().repository_name("bench").send().await?;
            let upload_id = upload.upload_id().unwrap_or_default().to_owned();
            let mut reader = GeneratedLayer::new(size, 1);
            let mut hasher = Sha256::new();
            let mut first = 0u64;
            loop {
                let mut part = Vec::with_capacity(part_mib << 20);
                (&mut reader).take((part_mib << 20) as u64).read_to_end(&mut part).await?;
                if part.is_empty() {
                    break;
                }
                hasher.update(&part);
                let last = first + part.len() as u64 - 1;
                client
                    .upload_layer_part()
                    .repository_name("bench")
                    .upload_id(&upload_id)
                    .part_first_byte(first as i64)
                    .part_last_byte(last as i64)
                    .layer_part_blob(Blob::new(part))
                    .send()
                    .await?;
                first = last + 1;
            }
            let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
            client
                .complete_layer_upload()
                .repository_name("bench")
                .upload_id(&upload_id)
                .layer_digests(digest)
                .send()
                .await?;
            let (secs, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
            println!(
                "peer push size_mib={size_mib} part_mib={part_mib} mb_per_s={:.0} cpu_s={cpu:.2} wall_s={secs:.2} peak_rss_mib={:.1}",
                size as f64 / 1e6 / secs,
                peak_rss_mib()
            );
        }
        "calls" => {
            let n: u32 = args.get(2).and_then(|v| v.parse().ok()).ok_or(usage)?;
            let (cpu0, t0) = (cpu_seconds(), Instant::now());
            for _ in 0..n {
                let out = client.describe_repositories().send().await?;
                assert!(!out.repositories().is_empty());
            }
            let (secs, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
            println!(
                "peer calls n={n} calls_per_s={:.0} cpu_us_per_call={:.1} wall_s={secs:.2} peak_rss_mib={:.1}",
                f64::from(n) / secs,
                cpu * 1e6 / f64::from(n),
                peak_rss_mib()
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
