//! Every declared type speaks serde with its wire names: responses print as
//! the JSON the service (and the AWS CLI) shows and read back; requests,
//! enums and modeled errors too. What a user writes is
//! `serde_json::to_string(&response)`.

use bytes::Bytes;
use ecrkit::Timestamp;
use ecrkit::ecr::{
    DescribeImagesResponse, ImageIdentifier, ImageStatus, InvalidLayerPartException,
    LayerAvailability, ListImages, UploadLayerPart,
};
use serde_json::{Value, json};

/// A DescribeImages page as the service sends it.
const PAGE: &str = r#"{
  "imageDetails": [
    {
      "registryId": "123456789012",
      "repositoryName": "team/app",
      "imageDigest": "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
      "imageTags": ["v1", "latest"],
      "imageSizeInBytes": 52428800,
      "imagePushedAt": 1796105228.963,
      "imageScanFindingsSummary": {"findingSeverityCounts": {"HIGH": 2}},
      "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
      "imageStatus": "FROZEN_IN_2030"
    }
  ],
  "nextToken": "abc"
}"#;

#[test]
fn a_response_prints_as_the_wire_json_and_reads_back() {
    let page: DescribeImagesResponse = ecrkit::protocol::parse_output(PAGE.as_bytes()).unwrap();
    let printed = serde_json::to_string_pretty(&page).unwrap();
    // The same members, names and values as the service sent: absent
    // members are not written (no `null`s), the unknown status is kept.
    let expected: Value = serde_json::from_str(PAGE).unwrap();
    let printed_value: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(printed_value, expected, "{printed}");
    assert!(!printed.contains("null"), "{printed}");
    let back: DescribeImagesResponse = serde_json::from_str(&printed).unwrap();
    assert_eq!(back, page);
    let detail = &back.image_details.as_ref().unwrap()[0];
    assert_eq!(
        detail.image_status,
        Some(ImageStatus::Unknown("FROZEN_IN_2030".into()))
    );
    // Dates people can read, from the same value.
    assert_eq!(
        detail.image_pushed_at.unwrap().to_string(),
        "2026-12-01T06:07:08.963Z"
    );
}

#[test]
fn requests_serialize_as_their_body() {
    let request = ListImages {
        repository_name: "team/app".into(),
        max_results: Some(10),
        ..Default::default()
    };
    let mut body = Vec::new();
    ecrkit::Operation::write_body(&request, &mut body).unwrap();
    assert_eq!(serde_json::to_vec(&request).unwrap(), body);
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"repositoryName": "team/app", "maxResults": 10})
    );
    let back: ListImages = serde_json::from_slice(&body).unwrap();
    assert_eq!(back, request);
}

#[test]
fn blobs_are_base64_and_timestamps_epoch_seconds() {
    let part = UploadLayerPart {
        layer_part_blob: Bytes::from_static(b"layer bytes"),
        part_first_byte: 0,
        part_last_byte: 10,
        repository_name: "team/app".into(),
        upload_id: "0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f".into(),
        registry_id: None,
    };
    let v = serde_json::to_value(&part).unwrap();
    assert_eq!(v["layerPartBlob"], "bGF5ZXIgYnl0ZXM=");
    assert!(v.get("registryId").is_none());
    let back: UploadLayerPart = serde_json::from_value(v).unwrap();
    assert_eq!(back, part);

    let t = Timestamp::from_secs(1_796_105_228);
    assert_eq!(serde_json::to_string(&t).unwrap(), "1796105228");
    let t = Timestamp::from_secs_f64(1.25).unwrap();
    assert_eq!(serde_json::to_string(&t).unwrap(), "1.25");
    assert_eq!(serde_json::from_str::<Timestamp>("1.25").unwrap(), t);
}

#[test]
fn enums_and_errors_speak_serde() {
    assert_eq!(
        serde_json::to_string(&LayerAvailability::Available).unwrap(),
        r#""AVAILABLE""#
    );
    let unknown: LayerAvailability = serde_json::from_str(r#""SOMEDAY""#).unwrap();
    assert_eq!(unknown, LayerAvailability::Unknown("SOMEDAY".into()));
    assert_eq!(serde_json::to_string(&unknown).unwrap(), r#""SOMEDAY""#);

    let e: InvalidLayerPartException =
        serde_json::from_str(r#"{"message":"gap","lastValidByteReceived":41}"#).unwrap();
    assert_eq!(e.last_valid_byte_received, Some(41));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"message": "gap", "lastValidByteReceived": 41})
    );
    let id = ImageIdentifier {
        image_tag: Some("v1".into()),
        ..Default::default()
    };
    assert_eq!(serde_json::to_string(&id).unwrap(), r#"{"imageTag":"v1"}"#);
}

#[test]
fn a_request_validates_without_a_client() {
    let bad = ListImages {
        repository_name: "X".into(),
        max_results: Some(0),
        ..Default::default()
    };
    let err = bad.validate().unwrap_err();
    let paths: Vec<_> = err.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["repositoryName", "repositoryName", "maxResults"]);
    // The client's check under Enforce is the same one.
    let client = ecrkit::Client::new(ecrkit::Config::builder().with_region("us-east-1").build());
    assert_eq!(client.validate(&bad).unwrap_err(), err);
    assert!(
        ListImages {
            repository_name: "team/app".into(),
            ..Default::default()
        }
        .validate()
        .is_ok()
    );
}
