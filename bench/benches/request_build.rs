//! Building one signed UploadLayerPart request (JSON head, base64 straight
//! from the part's bytes, JSON tail, SHA-256 of the body, SigV4 signature)
//! next to the floor: base64-encoding and hashing the same bytes and
//! nothing else. The ratio floor/ours is what we aim to keep near 1.
//! Then the same with the layer digest added, against base64 and two
//! one-stream SHA-256s: ours computes both digests at once.
//! Also measures the two base64 encoders the hot path could use.

use std::time::SystemTime;

use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput};
use ecrkit::Credentials;
use ecrkit::push::{LayerDigest, PartHeader};
use ecrkit::signing::{SigningScope, sign_headers};
use sha2::{Digest, Sha256};

const SIZES: [(usize, &str); 3] = [(1 << 20, "1MiB"), (10 << 20, "10MiB"), (20 << 20, "20MiB")];

fn part(len: usize) -> Vec<u8> {
    let mut layer = ecr_bench_common::GeneratedLayer::new(len as u64, 3);
    let mut v = vec![0u8; len];
    layer.fill(&mut v);
    v
}

fn request_build(c: &mut Criterion) {
    let header = PartHeader {
        repository_name: "bench/layers".into(),
        registry_id: None,
        upload_id: "0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f".into(),
    };
    let creds = Credentials::new("AKIDBENCH", "bench-secret", None, None, "bench");
    let mut group = c.benchmark_group("upload_layer_part");
    group.sample_size(20);
    for (len, name) in SIZES {
        let raw = part(len);
        group.throughput(Throughput::Bytes(len as u64));
        // A reused buffer, as the uploader does in steady state.
        let mut buf = Vec::with_capacity(len / 3 * 4 + 1024);
        group.bench_with_input(BenchmarkId::new("signed_request", name), &raw, |b, raw| {
            b.iter(|| {
                let encoded = header
                    .encode(std::mem::take(&mut buf), 0, raw)
                    .expect("the declaration streams");
                let headers = [
                    ("content-type", "application/x-amz-json-1.1"),
                    ("host", "api.ecr.us-east-1.amazonaws.com"),
                    (
                        "x-amz-target",
                        "AmazonEC2ContainerRegistry_V20150921.UploadLayerPart",
                    ),
                ];
                let scope = SigningScope {
                    region: "us-east-1",
                    service: "ecr",
                    time: SystemTime::now(),
                };
                let signed = sign_headers(
                    "POST",
                    "https://api.ecr.us-east-1.amazonaws.com/",
                    &headers,
                    &encoded.body.sha256,
                    &creds,
                    scope,
                )
                .expect("sign");
                std::hint::black_box(signed);
                buf = Vec::from(encoded.body.bytes.try_into_mut().expect("unique"));
            })
        });
        let mut out = vec![0u8; base64_simd::STANDARD.encoded_length(len)];
        group.bench_with_input(
            BenchmarkId::new("floor_base64_simd_sha256", name),
            &raw,
            |b, raw| {
                b.iter(|| {
                    let text =
                        base64_simd::STANDARD.encode(raw, base64_simd::Out::from_slice(&mut out));
                    std::hint::black_box(Sha256::digest(&*text));
                })
            },
        );
    }
    group.finish();

    // What a push does per part: the body and the layer digest. Ours hashes
    // the two streams at once; the floor hashes them one after the other
    // with sha2 (as any one-stream SHA-256 would).
    let mut group = c.benchmark_group("part_and_layer_digest");
    group.sample_size(20);
    for (len, name) in SIZES {
        let raw = part(len);
        group.throughput(Throughput::Bytes(len as u64));
        let mut buf = Vec::with_capacity(len / 3 * 4 + 1024);
        group.bench_with_input(
            BenchmarkId::new("encode_with_digest", name),
            &raw,
            |b, raw| {
                b.iter(|| {
                    let mut layer = LayerDigest::new();
                    let encoded = header
                        .encode_with_digest(std::mem::take(&mut buf), 0, raw, &mut layer)
                        .expect("the declaration streams");
                    std::hint::black_box((&encoded.body.sha256, layer.finish()));
                    buf = Vec::from(encoded.body.bytes.try_into_mut().expect("unique"));
                })
            },
        );
        let mut out = vec![0u8; base64_simd::STANDARD.encoded_length(len)];
        group.bench_with_input(
            BenchmarkId::new("floor_base64_simd_two_sha256", name),
            &raw,
            |b, raw| {
                b.iter(|| {
                    let layer = Sha256::digest(raw);
                    let text =
                        base64_simd::STANDARD.encode(raw, base64_simd::Out::from_slice(&mut out));
                    std::hint::black_box((layer, Sha256::digest(&*text)));
                })
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("base64_encoders");
    group.sample_size(20);
    let raw = part(10 << 20);
    group.throughput(Throughput::Bytes(raw.len() as u64));
    let mut out = vec![0u8; base64_simd::STANDARD.encoded_length(raw.len())];
    group.bench_function("base64_simd", |b| {
        b.iter(|| {
            std::hint::black_box(
                base64_simd::STANDARD
                    .encode(&raw, base64_simd::Out::from_slice(&mut out))
                    .len(),
            )
        })
    });
    group.bench_function("base64_crate", |b| {
        use base64::Engine;
        b.iter(|| {
            std::hint::black_box(
                base64::engine::general_purpose::STANDARD
                    .encode_slice(&raw, &mut out)
                    .unwrap_or(0),
            )
        })
    });
    group.bench_function("sha256_of_10MiB", |b| {
        b.iter(|| std::hint::black_box(Sha256::digest(&raw)))
    });
    group.finish();
}

/// Where criterion writes its estimates: set here, so the summary below
/// reads what this run wrote (criterion's own default is the same place).
fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("criterion")
}

/// The mean of one benchmark in nanoseconds, if this run measured it (an
/// estimate older than the run is a previous run's, or a filtered-out one).
fn mean_ns(group: &str, id: &str, part: &str, since: SystemTime) -> Option<f64> {
    let path = output_dir()
        .join(group)
        .join(id)
        .join(part)
        .join("new/estimates.json");
    let fresh = std::fs::metadata(&path).and_then(|m| m.modified()).ok()? >= since;
    let text = std::fs::read_to_string(&path).ok().filter(|_| fresh)?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

/// Prints floor / ours for each part size measured in this run: the figure
/// the request build is judged by (at least 0.8).
fn print_ratios(since: SystemTime) {
    let pairs = [
        (
            "upload_layer_part",
            "signed_request",
            "floor_base64_simd_sha256",
        ),
        (
            "part_and_layer_digest",
            "encode_with_digest",
            "floor_base64_simd_two_sha256",
        ),
    ];
    let mut lines = Vec::new();
    for (group, ours, floor) in pairs {
        for (_, part) in SIZES {
            if let (Some(o), Some(f)) = (
                mean_ns(group, ours, part, since),
                mean_ns(group, floor, part, since),
            ) {
                lines.push(format!(
                    "{group:<22} {part:>6}  ours {:>9.3} ms  floor {:>9.3} ms  floor/ours {:.2}",
                    o / 1e6,
                    f / 1e6,
                    f / o
                ));
            }
        }
    }
    if !lines.is_empty() {
        println!("\nfloor / ours, criterion means of this run (target: at least 0.8):");
        for line in lines {
            println!("  {line}");
        }
    }
}

fn benches() {
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .configure_from_args();
    request_build(&mut c);
}

fn main() {
    let since = SystemTime::now();
    benches();
    Criterion::default()
        .output_directory(&output_dir())
        .configure_from_args()
        .final_summary();
    print_ratios(since);
}
