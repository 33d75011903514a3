//! Reading a large response: a `DescribeImages` page of 1,000 image details
//! (~600 KB) through the runtime's `parse_output` (serde_json into the
//! generated types, with the member path tracked for errors and structures
//! read as objects only), next to serde_json reading the same bytes into a
//! plain serde-derived mirror of the same members: the difference is what
//! the path tracking and the awsJson adapters cost.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecrkit::ecr::DescribeImagesResponse;
use serde::Deserialize;

fn page(n: usize) -> Vec<u8> {
    let mut out = String::from(r#"{"imageDetails":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"registryId":"123456789012","repositoryName":"team/service-{i}","imageDigest":"sha256:{i:064x}","imageTags":["v1.{i}","latest-{i}","build-{i}"],"imageSizeInBytes":{},"imagePushedAt":1795773600.{:03},"imageScanStatus":{{"status":"COMPLETE","description":"The scan was completed successfully."}},"imageScanFindingsSummary":{{"imageScanCompletedAt":1795773700,"vulnerabilitySourceUpdatedAt":1795770000,"findingSeverityCounts":{{"HIGH":{},"LOW":3}}}},"imageManifestMediaType":"application/vnd.oci.image.manifest.v1+json","artifactMediaType":"application/vnd.oci.image.config.v1+json","lastRecordedPullTime":1795800000.5,"imageStatus":"ACTIVE"}}"#,
            10_000_000 + i * 4096,
            i % 1000,
            i % 7
        ));
    }
    out.push_str(r#"],"nextToken":"eyJuZXh0IjoxMDAwfQ=="}"#);
    out.into_bytes()
}

// The serde mirror: the same members, as `#[derive(Deserialize)]` read them.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SerdePage {
    image_details: Option<Vec<SerdeDetail>>,
    next_token: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SerdeDetail {
    registry_id: Option<String>,
    repository_name: Option<String>,
    image_digest: Option<String>,
    image_tags: Option<Vec<String>>,
    image_size_in_bytes: Option<i64>,
    image_pushed_at: Option<f64>,
    image_scan_status: Option<SerdeScanStatus>,
    image_scan_findings_summary: Option<SerdeSummary>,
    image_manifest_media_type: Option<String>,
    artifact_media_type: Option<String>,
    last_recorded_pull_time: Option<f64>,
    subject_manifest_digest: Option<String>,
    image_status: Option<String>,
    last_archived_at: Option<f64>,
    last_activated_at: Option<f64>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct SerdeScanStatus {
    status: Option<String>,
    description: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SerdeSummary {
    image_scan_completed_at: Option<f64>,
    vulnerability_source_updated_at: Option<f64>,
    finding_severity_counts: Option<std::collections::HashMap<String, i32>>,
}

fn response_parse(c: &mut Criterion) {
    let body = page(1000);
    let mut group = c.benchmark_group("describe_images_1000");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("ecrkit_parse_output", |b| {
        b.iter(|| {
            let out: DescribeImagesResponse =
                ecrkit::protocol::parse_output(std::hint::black_box(&body)).expect("parses");
            assert_eq!(out.image_details.map(|d| d.len()), Some(1000));
        })
    });
    group.bench_function("serde_json_plain_derive", |b| {
        b.iter(|| {
            let out: SerdePage =
                serde_json::from_slice(std::hint::black_box(&body)).expect("parses");
            assert_eq!(out.image_details.map(|d| d.len()), Some(1000));
        })
    });
    group.finish();
}

criterion_group!(benches, response_parse);
criterion_main!(benches);
