//! Numbers out of range, unknown and mistyped enum values, unknown, duplicate and missing members, boxed blobs.

use super::*;

fn preview_summary(value: &str) -> Result<GetLifecyclePolicyPreviewResponse, String> {
    let body = format!(r#"{{"summary":{{"expiringImageTotalCount":{value}}}}}"#);
    protocol::parse_output(body.as_bytes()).map_err(|e| e.to_string())
}

#[test]
fn an_i32_member_out_of_range_is_an_error() {
    let err = preview_summary("1e20").expect_err("1e20 is not an i32");
    assert_eq!(
        err,
        "summary.expiringImageTotalCount: invalid type: floating point `1e+20`, expected i32 at line 1 column 42"
    );
    for value in ["1099511627776", "-1099511627776", "2147483648"] {
        let err = preview_summary(value).expect_err(value);
        assert_eq!(
            err,
            format!(
                "summary.expiringImageTotalCount: invalid value: integer `{value}`, expected i32 at line 1 column {}",
                38 + value.len()
            ),
        );
    }
    let err = preview_summary("1.5").expect_err("1.5 is not an integer");
    assert!(err.contains("expected i32"), "{err}");
    // The extremes that fit are read.
    let out = preview_summary("2147483647").expect("i32::MAX");
    assert_eq!(
        out.summary.and_then(|s| s.expiring_image_total_count),
        Some(i32::MAX)
    );
}

#[test]
fn an_i64_member_out_of_range_is_an_error() {
    let parse = |v: &str| {
        let body = format!(r#"{{"imageDetails":[{{"imageSizeInBytes":{v}}}]}}"#);
        protocol::parse_output::<DescribeImagesResponse>(body.as_bytes()).map_err(|e| e.to_string())
    };
    let err = parse("9223372036854775808").expect_err("2^63");
    assert!(
        err.contains(
            "imageSizeInBytes: invalid value: integer `9223372036854775808`, expected i64"
        ),
        "{err}"
    );
    let err = parse("-9223372036854775809").expect_err("-2^63 - 1");
    assert!(err.contains("expected i64"), "{err}");
    let err = parse("18446744073709551616").expect_err("2^64");
    assert!(err.contains("expected i64"), "{err}");
    let out = parse("9223372036854775807").expect("i64::MAX");
    assert_eq!(
        out.image_details.unwrap()[0].image_size_in_bytes,
        Some(i64::MAX)
    );
}

#[test]
fn timestamps_and_floats_out_of_range_are_errors() {
    for value in ["1e300", "18446744073709551615", "-1e16"] {
        let body = format!(r#"{{"imageDetails":[{{"imagePushedAt":{value}}}]}}"#);
        let err = protocol::parse_output::<DescribeImagesResponse>(body.as_bytes())
            .expect_err(value)
            .to_string();
        assert!(
            err.starts_with("imageDetails[0].imagePushedAt: invalid value:")
                && err.contains("expected a timestamp in range"),
            "{value}: {err}"
        );
    }
    // A number beyond f64 as well.
    let body = br#"{"imageDetails":[{"imagePushedAt":1e400}]}"#;
    let err = protocol::parse_output::<DescribeImagesResponse>(body).expect_err("1e400");
    assert_eq!(
        err.to_string(),
        "imageDetails[0].imagePushedAt: number out of range at line 1 column 39"
    );
    // And in a float member (a finding's CVSS score).
    let body = br#"{"imageScanFindings":{"enhancedFindings":[{"score":1e400}]}}"#;
    let err = protocol::parse_output::<ecrkit::ecr::DescribeImageScanFindingsResponse>(body)
        .expect_err("1e400");
    assert_eq!(
        err.to_string(),
        "imageScanFindings.enhancedFindings[0].score: number out of range at line 1 column 56"
    );
}

#[tokio::test]
async fn an_out_of_range_number_through_the_client_is_a_response_error() {
    let server = serve(vec![ok(br#"{"summary":{"expiringImageTotalCount":1e20}}"#)]).await;
    let result = GetLifecyclePolicyPreview {
        repository_name: "repo-a".into(),
        ..Default::default()
    }
    .send(&client(&server.endpoint, 1, 1 << 20))
    .await;
    let message = response_error(result);
    assert!(
        message.contains(
            "summary.expiringImageTotalCount: invalid type: floating point `1e+20`, expected i32"
        ),
        "{message}"
    );
}

// ---------------------------------------------------------------------------
// Unknown enum values are kept; unknown fields are ignored.

#[test]
fn unknown_enum_values_are_kept() {
    let body = br#"{"imageDetails":[{"imageStatus":"FROZEN"},{"imageStatus":""},{"imageStatus":"ACTIVE"}]}"#;
    let out: DescribeImagesResponse = protocol::parse_output(body).expect("parses");
    let statuses: Vec<_> = out
        .image_details
        .unwrap()
        .into_iter()
        .map(|d| d.image_status)
        .collect();
    assert_eq!(
        statuses,
        vec![
            Some(ImageStatus::Unknown("FROZEN".into())),
            Some(ImageStatus::Unknown(String::new())),
            Some(ImageStatus::Active),
        ]
    );
    let body = br#"{"failures":[{"failureCode":"QuantumDecoherence","failureReason":"r"}]}"#;
    let out: BatchGetImageResponse = protocol::parse_output(body).expect("parses");
    let failure = &out.failures.unwrap()[0];
    assert_eq!(
        failure.failure_code,
        Some(ImageFailureCode::Unknown("QuantumDecoherence".into()))
    );
    assert_eq!(failure.failure_reason.as_deref(), Some("r"));
}

#[test]
fn an_enum_value_of_the_wrong_type_is_an_error() {
    let err = protocol::parse_output::<DescribeImagesResponse>(
        br#"{"imageDetails":[{"imageStatus":7}]}"#,
    )
    .expect_err("a number is not an enum value");
    assert_eq!(
        err.to_string(),
        "imageDetails[0].imageStatus: invalid type: integer `7`, expected a string at line 1 column 33"
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let body = br#"{
        "futureMember": {"deep": [1, 2, {"x": null}], "s": "\u00e9"},
        "repositories": [{"repositoryName": "repo-a", "newThing": [true, false], "createdAt": 1.5}],
        "nextToken": "t",
        "another": 12345678901234567890123
    }"#;
    let out: DescribeRepositoriesResponse = protocol::parse_output(body).expect("parses");
    let repo = &out.repositories.unwrap()[0];
    assert_eq!(repo.repository_name.as_deref(), Some("repo-a"));
    assert_eq!(repo.created_at.map(|t| t.as_secs_f64()), Some(1.5));
    assert_eq!(out.next_token.as_deref(), Some("t"));
}

#[test]
fn a_duplicate_member_is_an_error_that_names_it() {
    // JavaScript's JSON.parse keeps the last; serde refuses the body, and
    // a body that says two things of one member is not trusted either way.
    let body = br#"{"nextToken":"first","nextToken":"last"}"#;
    let err = protocol::parse_output::<DescribeRepositoriesResponse>(body)
        .expect_err("a member given twice");
    assert_eq!(
        err.to_string(),
        "duplicate field `nextToken` at line 1 column 32"
    );
}

#[tokio::test]
async fn unknown_values_through_the_client() {
    let server = serve(vec![ok(
        br#"{"imageDetails":[{"imageStatus":"FROZEN","brandNew":{"a":[1]}}],"nextToken":null}"#,
    )])
    .await;
    let out = DescribeImages {
        repository_name: "repo-a".into(),
        ..Default::default()
    }
    .send(&client(&server.endpoint, 1, 1 << 20))
    .await
    .expect("unknown values and fields are not errors");
    let details = out.image_details.expect("details");
    assert_eq!(
        details[0].image_status,
        Some(ImageStatus::Unknown("FROZEN".into()))
    );
    assert_eq!(out.next_token, None, "null is skipped");
}

// ---------------------------------------------------------------------------
// Missing required output members.

#[test]
fn a_missing_required_output_member_is_a_clear_error_or_a_default() {
    // ImageReferrer's digest, mediaType and size are required by the model.
    let body =
        br#"{"referrers":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":12}]}"#;
    match protocol::parse_output::<ListImageReferrersResponse>(body) {
        Err(e) => assert!(
            e.to_string()
                .starts_with("referrers[0]: missing field `digest`"),
            "the error names the member: {e}"
        ),
        Ok(out) => {
            // Default, as botocore and smithy-rs's error correction do.
            let r = &out.referrers.expect("referrers")[0];
            assert_eq!(r.digest, "");
            assert_eq!(r.size, 12);
        }
    }
}

#[tokio::test]
async fn a_missing_required_member_through_the_client_keeps_the_request_id() {
    let server = serve(vec![ok(br#"{"referrers":[{"digest":"sha256:00"}]}"#)]).await;
    let result = ListImageReferrers {
        repository_name: "repo-a".into(),
        subject_id: SubjectIdentifier {
            image_digest: "sha256:00".into(),
        },
        ..Default::default()
    }
    .send(&client(&server.endpoint, 1, 1 << 20))
    .await;
    match result {
        Err(Error::Response { message, meta }) => {
            assert!(
                message.starts_with("referrers[0]: missing field `mediaType`"),
                "{message}"
            );
            assert_eq!(meta.request_id.as_deref(), Some("req-200"));
        }
        Ok(out) => assert_eq!(out.referrers.expect("referrers")[0].media_type, ""),
        Err(other) => panic!("expected a response error or a default, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Non-UTF-8 bytes in the body and in headers.

/// A shape whose blobs are boxed.
#[ecrkit::aws_shape]
#[derive(Debug, Clone, PartialEq)]
struct BoxedBlobs {
    #[base64]
    required: Box<bytes::Bytes>,
    // Legal, if wasteful: the test is that it compiles and reads.
    #[allow(clippy::box_collection)]
    #[base64]
    optional: Option<Box<Vec<u8>>>,
}

#[test]
fn boxed_blobs_read_and_write() {
    use ecrkit::protocol::from_json;
    let v: BoxedBlobs = from_json(br#"{"required":"aGk=","optional":null}"#).expect("reads");
    assert_eq!(&v.required[..], b"hi");
    assert_eq!(v.optional, None);
    let v = BoxedBlobs {
        optional: Some(Box::new(b"yo".to_vec())),
        ..v
    };
    let body = serde_json::to_vec(&v).expect("writes");
    assert_eq!(body, br#"{"required":"aGk=","optional":"eW8="}"#);
    assert_eq!(from_json::<BoxedBlobs>(&body).expect("reads back"), v);
}
