//! Image scanning: scans, findings, the scan waiter.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanning_and_the_scan_waiter() {
    let moto = Moto::start();
    let client = moto.client();

    // Registry scanning: enhanced, continuous for `prod*` repositories.
    let before = GetRegistryScanningConfiguration
        .send(&client)
        .await
        .expect("GetRegistryScanningConfiguration");
    assert_eq!(before.registry_id.as_deref(), Some(ACCOUNT));
    let before = before.scanning_configuration.expect("configuration");
    assert_eq!(before.scan_type, Some(ScanType::Basic));
    assert_eq!(before.rules.as_deref(), Some(&[][..]));
    let rule = RegistryScanningRule {
        scan_frequency: ScanFrequency::ContinuousScan,
        repository_filters: vec![ScanningRepositoryFilter {
            filter: "prod*".into(),
            filter_type: ScanningRepositoryFilterType::Wildcard,
        }],
    };
    let put = PutRegistryScanningConfiguration {
        scan_type: Some(ScanType::Enhanced),
        rules: Some(vec![rule.clone()]),
    }
    .send(&client)
    .await
    .expect("PutRegistryScanningConfiguration")
    .registry_scanning_configuration
    .expect("configuration");
    assert_eq!(put.scan_type, Some(ScanType::Enhanced));
    assert_eq!(put.rules, Some(vec![rule.clone()]));
    let after = GetRegistryScanningConfiguration
        .send(&client)
        .await
        .unwrap()
        .scanning_configuration
        .unwrap();
    assert_eq!(after.scan_type, Some(ScanType::Enhanced));
    assert_eq!(after.rules, Some(vec![rule.clone()]));

    repo("prod-app").send(&client).await.unwrap();
    repo("dev-app").send(&client).await.unwrap();
    let configs = BatchGetRepositoryScanningConfiguration {
        repository_names: vec!["prod-app".into(), "dev-app".into(), "missing".into()],
    }
    .send(&client)
    .await
    .expect("BatchGetRepositoryScanningConfiguration");
    let scanning = configs.scanning_configurations.unwrap_or_default();
    assert_eq!(scanning.len(), 2);
    assert_eq!(scanning[0].repository_name.as_deref(), Some("prod-app"));
    assert_eq!(
        scanning[0].scan_frequency,
        Some(ScanFrequency::ContinuousScan)
    );
    assert_eq!(
        scanning[0].applied_scan_filters,
        Some(rule.repository_filters.clone())
    );
    assert_eq!(scanning[1].scan_frequency, Some(ScanFrequency::Manual));
    assert_eq!(scanning[1].scan_on_push, Some(false));
    let failures = configs.failures.unwrap_or_default();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].repository_name.as_deref(), Some("missing"));
    assert_eq!(
        failures[0].failure_code,
        Some(ScanningConfigurationFailureCode::RepositoryNotFound)
    );

    // Image scan: no findings before a scan, then one scan a day.
    let image = put_image(&client, "prod-app", Some("v1"), &fake_manifest(7)).await;
    let digest = image.image_id.and_then(|i| i.image_digest).unwrap();
    let findings = DescribeImageScanFindings {
        repository_name: "prod-app".into(),
        image_id: by_tag("v1"),
        ..Default::default()
    };
    let early = findings.clone().send(&client).await;
    assert!(
        matches!(
            early,
            Err(Error::Service {
                error: DescribeImageScanFindingsError::ScanNotFoundException(_),
                ..
            })
        ),
        "{early:?}"
    );
    let started = StartImageScan {
        registry_id: None,
        repository_name: "prod-app".into(),
        image_id: by_tag("v1"),
    }
    .send(&client)
    .await
    .expect("StartImageScan");
    assert_eq!(
        started.image_scan_status.and_then(|s| s.status),
        Some(ScanStatus::InProgress)
    );
    assert_eq!(
        started.image_id.and_then(|i| i.image_digest).as_deref(),
        Some(digest.as_str())
    );
    let twice = StartImageScan {
        registry_id: None,
        repository_name: "prod-app".into(),
        image_id: by_tag("v1"),
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            twice,
            Err(Error::Service {
                error: StartImageScanError::LimitExceededException(_),
                ..
            })
        ),
        "{twice:?}"
    );

    // The waiter: moto completes scans at once.
    let config = WaiterConfig::IMAGE_SCAN_COMPLETE
        .with_delay(std::time::Duration::from_millis(100))
        .with_max_wait(std::time::Duration::from_secs(10));
    let done = image_scan_complete(&client, &findings, config)
        .await
        .expect("ImageScanComplete");
    let status = done.image_scan_status.expect("status");
    assert_eq!(status.status, Some(ScanStatus::Complete));
    assert!(status.description.is_some());
    let summary = done.image_scan_findings.expect("findings");
    assert!(summary.image_scan_completed_at.is_some());
    assert_eq!(
        summary
            .finding_severity_counts
            .as_ref()
            .and_then(|c| c.get("HIGH")),
        Some(&1)
    );

    // The findings paginator: moto's one canned finding.
    let items = findings
        .clone()
        .items(&client)
        .try_collect()
        .await
        .expect("findings");
    assert_eq!(items.len(), 1, "{items:?}");
    match &items[0] {
        DescribeImageScanFindingsItem::Finding(f) => {
            assert_eq!(f.name.as_deref(), Some("CVE-9999-9999"));
            assert_eq!(f.severity, Some(FindingSeverity::High));
            let attributes = f.attributes.as_deref().unwrap_or_default();
            assert!(
                attributes
                    .iter()
                    .any(|a| a.key == "package_name" && a.value.as_deref() == Some("moto_fake")),
                "{attributes:?}"
            );
        }
        other => panic!("expected a basic finding, got {other:?}"),
    }

    // Unknown image: a typed error from the waiter's operation.
    let missing = DescribeImageScanFindings {
        image_id: by_tag("v9"),
        ..findings
    };
    let err = image_scan_complete(&client, &missing, config)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ecrkit::waiters::WaiterError::Operation {
                source: Error::Service {
                    error: DescribeImageScanFindingsError::ImageNotFoundException(_),
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
}
