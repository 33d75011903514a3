//! Registry passwords and authorization tokens are kept like secret keys:
//! never in tracing output (captured at TRACE level), in the Debug of the
//! clients and credentials, or in the errors, whether the registry accepts
//! them or refuses them. Against the CNCF registry (htpasswd, with the
//! password moto's GetAuthorizationToken returns) and moto.

use base64::Engine as _;
use ecr_tests::capture::{Capture, captured};
use ecr_tests::registry::{MOTO_PASSWORD, Registry};
use ecr_tests::{Moto, sha256_digest};
use ecrkit::registry::{FileBlob, PushBlob, RegistryClient, RegistryCredentials};

/// A password the registry does not know, to be refused.
const WRONG_PASSWORD: &str = "wrong-registry-password-Zq8v";

fn assert_no_secret(what: &str, text: &str) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{MOTO_PASSWORD}"));
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{WRONG_PASSWORD}"));
    for (name, secret) in [
        ("the registry password", MOTO_PASSWORD),
        ("the authorization token", basic.as_str()),
        ("a refused password", WRONG_PASSWORD),
        ("a refused password's header", wrong.as_str()),
    ] {
        assert!(!text.contains(secret), "{name} appears in {what}:\n{text}");
    }
}

#[test]
fn registry_secrets_never_reach_traces_debug_or_errors() {
    let moto = Moto::start();
    let registry = Registry::start(MOTO_PASSWORD);
    let capture = Capture::default();
    let dir = ecr_tests::registry::temp_dir("registry-secrets");
    let texts = captured(&capture, async {
        let mut texts: Vec<(&str, String)> = Vec::new();
        let api = moto.client();
        // Accepted: a client authorized by GetAuthorizationToken pushes a
        // blob and reads it back.
        let ecr = RegistryClient::for_ecr(&api, None, Some(&registry.endpoint))
            .await
            .expect("a registry client with moto's token");
        texts.push(("the Debug of an ECR registry client", format!("{ecr:?}")));
        let bytes = b"a blob pushed with a secret".to_vec();
        let path = dir.join("blob");
        std::fs::write(&path, &bytes).unwrap();
        let digest = sha256_digest(&bytes);
        let source = FileBlob {
            path,
            start: 0,
            len: bytes.len() as u64,
        };
        PushBlob::new("secrets/app", Some(digest.clone()), source.len)
            .push(&ecr, &source)
            .await
            .expect("push a blob");
        assert!(ecr.blob_exists("secrets/app", &digest).await.expect("HEAD"));

        // The password given by hand, accepted, then a wrong one, refused.
        for password in [MOTO_PASSWORD, WRONG_PASSWORD] {
            let credentials = RegistryCredentials::Basic {
                username: "AWS".into(),
                password: password.into(),
            };
            texts.push(("the Debug of Basic credentials", format!("{credentials:?}")));
            let client = RegistryClient::new(&registry.endpoint, credentials).expect("client");
            texts.push((
                "the Debug of a Basic registry client",
                format!("{client:?}"),
            ));
            match client.get_manifest("secrets/app", "latest").await {
                Ok(m) => panic!("no manifest was pushed, yet one came back: {m:?}"),
                Err(e) => {
                    texts.push(("a registry error's Display", e.to_string()));
                    texts.push(("a registry error's Debug", format!("{e:?}")));
                }
            }
        }
        texts
    });
    let traced = capture.text();
    assert!(
        traced.contains("TRACE") || traced.contains("DEBUG"),
        "nothing was traced: the capture saw no events"
    );
    assert_no_secret("the traces", &traced);
    for (what, text) in &texts {
        assert_no_secret(what, text);
    }
    // The refusal says what happened, without the secret.
    let refused = texts
        .iter()
        .filter(|(what, _)| *what == "a registry error's Display")
        .nth(1)
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    assert!(
        refused.contains("401") || refused.to_lowercase().contains("unauthorized"),
        "{refused}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_registry_over_plain_http_that_is_not_loopback_is_warned_about_once() {
    let capture = Capture::default();
    captured(&capture, async {
        for _ in 0..3 {
            RegistryClient::new(
                "http://registry.example.com:5000",
                RegistryCredentials::Anonymous,
            )
            .expect("a client");
        }
        RegistryClient::new("http://127.0.0.1:5000", RegistryCredentials::Anonymous)
            .expect("a loopback client");
    });
    let text = capture.text();
    let warnings = |needle: &str| {
        text.lines()
            .filter(|l| l.starts_with("WARN") && l.contains(needle) && l.contains("plain http://"))
            .count()
    };
    assert_eq!(warnings("registry.example.com:5000"), 1, "{text}");
    assert_eq!(warnings("127.0.0.1:5000"), 0, "{text}");
}
