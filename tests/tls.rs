//! Networks as users have them: TLS against a CA of the test's own (refused
//! without it; trusted through `AWS_CA_BUNDLE`, the profile's `ca_bundle`
//! and `with_ca_bundle`; refused for a certificate of another host name),
//! a `reqwest::Client` of the user's own, `HTTPS_PROXY` / `HTTP_PROXY` /
//! `NO_PROXY` (in a child process: reqwest reads the process environment),
//! and clients that cannot be built reporting it instead of panicking.

use std::error::Error as _;

use ecr_tests::forward_proxy::Proxy;
use ecr_tests::http_stub::{HttpStub, StubResponse};
use ecr_tests::tls::{TestCa, TlsServer};
use ecr_tests::{Probe, TempDir};
use ecrkit::config::Env;
use ecrkit::ecr::DescribeRepositories;
use ecrkit::reqwest;
use ecrkit::{Client, Config, Credentials, Error};

const PROBE: &str = env!("CARGO_BIN_EXE_credentials-probe");
const REPOSITORIES: &str = r#"{"repositories": [{"repositoryName": "app"}]}"#;

fn credentials() -> Credentials {
    Credentials::new("AKIDTLS", "tls-secret", None, None, "test")
}

fn builder(endpoint: &str) -> ecrkit::ConfigBuilder {
    Config::builder()
        .with_region("us-east-1")
        .with_endpoint_url(endpoint)
        .with_credentials(credentials())
        .with_max_attempts(1)
}

/// An environment with the endpoint, credentials and the files under `dir`.
fn env_with(dir: &TempDir, endpoint: &str) -> Env {
    Env::from_vars([
        ("HOME", dir.path()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL_ECR", endpoint.to_owned()),
        ("AWS_MAX_ATTEMPTS", "1".to_owned()),
    ])
}

async fn describe(client: &Client) -> Result<usize, String> {
    DescribeRepositories::default()
        .send(client)
        .await
        .map(|out| out.repositories.map_or(0, |r| r.len()))
        .map_err(|e| {
            let mut text = e.to_string();
            let mut source = e.source();
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        })
}

#[tokio::test]
async fn a_private_ca_is_refused_until_it_is_trusted() {
    let ca = TestCa::new();
    let server = TlsServer::start(ca.server_cert(&["127.0.0.1"]), REPOSITORIES);
    let dir = TempDir::new("tls-ca");
    let bundle = dir.write("ca.pem", &ca.pem);

    // The webpki and system roots do not know this CA.
    let err = describe(&Client::try_new(builder(&server.url()).build()).unwrap())
        .await
        .unwrap_err();
    assert!(
        err.contains("UnknownIssuer") || err.contains("certificate"),
        "{err}"
    );
    assert_eq!(server.targets().len(), 0);

    // AWS_CA_BUNDLE.
    let env = env_with(&dir, &server.url()).with_var("AWS_CA_BUNDLE", &bundle);
    let config = Config::from_env_with(&env)
        .with_credentials(credentials())
        .build();
    assert_eq!(
        config.ca_bundle.as_deref(),
        Some(std::path::Path::new(&bundle))
    );
    assert_eq!(describe(&Client::try_new(config).unwrap()).await, Ok(1));

    // The profile's ca_bundle.
    dir.write(".aws/config", &format!("[default]\nca_bundle = {bundle}\n"));
    let config = Config::from_env_with(&env_with(&dir, &server.url()))
        .with_credentials(credentials())
        .build();
    assert_eq!(describe(&Client::try_new(config).unwrap()).await, Ok(1));

    // The builder.
    let config = builder(&server.url()).with_ca_bundle(&bundle).build();
    assert_eq!(describe(&Client::try_new(config).unwrap()).await, Ok(1));
    assert_eq!(server.targets(), ["/", "/", "/"]);
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused() {
    let ca = TestCa::new();
    // Signed by the trusted CA, but for another name than 127.0.0.1.
    let server = TlsServer::start(ca.server_cert(&["registry.example.com"]), REPOSITORIES);
    let dir = TempDir::new("tls-host");
    let bundle = dir.write("ca.pem", &ca.pem);
    let client = Client::try_new(builder(&server.url()).with_ca_bundle(&bundle).build()).unwrap();
    let err = describe(&client).await.unwrap_err();
    assert!(
        err.contains("NotValidForName") || err.contains("not valid for"),
        "{err}"
    );
    assert!(server.targets().is_empty());
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let ca = TestCa::new();
    // Signed by the trusted CA, for the right address, but expired.
    let server = TlsServer::start(ca.expired_server_cert(&["127.0.0.1"]), REPOSITORIES);
    let dir = TempDir::new("tls-expired");
    let bundle = dir.write("ca.pem", &ca.pem);
    let client = Client::try_new(builder(&server.url()).with_ca_bundle(&bundle).build()).unwrap();
    let err = describe(&client).await.unwrap_err();
    assert!(err.contains("Expired") || err.contains("expired"), "{err}");
    assert!(server.targets().is_empty());
    // The same CA's valid certificate is accepted: the expiry refused it.
    let valid = TlsServer::start(ca.server_cert(&["127.0.0.1"]), REPOSITORIES);
    let client = Client::try_new(builder(&valid.url()).with_ca_bundle(&bundle).build()).unwrap();
    assert_eq!(describe(&client).await, Ok(1));
}

#[tokio::test]
async fn a_users_own_http_client_is_used() {
    let ca = TestCa::new();
    let server = TlsServer::start(ca.server_cert(&["127.0.0.1"]), REPOSITORIES);
    let root = reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap();
    // A client of the user's: only this root (no webpki or system roots).
    let http = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(root)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let config = builder(&server.url()).with_http_client(http).build();
    assert_eq!(describe(&Client::new(config)).await, Ok(1));
    // The preset builder, with a setting of the user's on top.
    let base = builder(&server.url()).build();
    let http = ecrkit::transport::http_client_builder(&base)
        .unwrap()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap())
        .user_agent("my-pusher/1.0")
        .build()
        .unwrap();
    let client = Client::try_new(builder(&server.url()).with_http_client(http).build()).unwrap();
    assert_eq!(describe(&client).await, Ok(1));
}

#[tokio::test]
async fn a_client_that_cannot_be_built_is_an_error_not_a_panic() {
    let dir = TempDir::new("tls-bad-bundle");
    let missing = dir.0.join("absent.pem");
    let not_pem = dir.write(
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
    );
    let empty = dir.write("empty.pem", "no certificate here\n");
    let server = HttpStub::start(|_| StubResponse::ok(REPOSITORIES));
    for (bundle, says) in [
        (missing.to_str().unwrap().to_owned(), "cannot be read"),
        (not_pem, "could not be built with the CA bundle"),
        (empty, "holds no PEM certificate"),
    ] {
        let config = builder(&server.url()).with_ca_bundle(&bundle).build();
        let err = Client::try_new(config.clone()).unwrap_err().to_string();
        assert!(err.contains(&bundle) && err.contains(says), "{err}");
        // Client::new keeps the error and every call returns it; nothing
        // was sent.
        let client = Client::new(config);
        match DescribeRepositories::default().send(&client).await {
            Err(Error::Config(message)) => assert!(message.contains(says), "{message}"),
            other => panic!("expected a configuration error, got {other:?}"),
        }
        // Client::from_env-style construction reports it too.
        let env = env_with(&dir, &server.url()).with_var("AWS_CA_BUNDLE", &bundle);
        let config = Config::from_env_with(&env).try_build().unwrap();
        assert!(Client::try_new(config).is_err());
    }
    assert!(server.requests().is_empty());
}

#[test]
fn proxies_from_the_environment() {
    // http:// through HTTP_PROXY.
    let service = HttpStub::start(|_| StubResponse::ok(REPOSITORIES));
    let proxy = Proxy::start();
    let p = Probe::new(PROBE, "proxy-http")
        .var("AWS_ACCESS_KEY_ID", "AKIDPROXY")
        .var("AWS_SECRET_ACCESS_KEY", "proxy-secret")
        .var("AWS_ENDPOINT_URL_ECR", service.url())
        .var("HTTP_PROXY", proxy.url());
    let out = p.run(&["call"]);
    assert_eq!(out.lines[0]["ok"], 1, "{}", out.stdout);
    assert_eq!(proxy.seen(), [format!("POST {}/", service.url())]);
    assert_eq!(service.requests().len(), 1, "relayed by the proxy");
    // NO_PROXY covers the host: straight to the service.
    let out = p.var("NO_PROXY", "127.0.0.1").run(&["call"]);
    assert_eq!(out.lines[0]["ok"], 1, "{}", out.stdout);
    assert_eq!(proxy.seen().len(), 1, "the proxy saw nothing more");
    assert_eq!(service.requests().len(), 2);

    // https:// through HTTPS_PROXY: a CONNECT tunnel, the CA from AWS_CA_BUNDLE.
    let ca = TestCa::new();
    let tls = TlsServer::start(ca.server_cert(&["127.0.0.1"]), REPOSITORIES);
    let proxy = Proxy::start();
    let p = Probe::new(PROBE, "proxy-https")
        .var("AWS_ACCESS_KEY_ID", "AKIDPROXY")
        .var("AWS_SECRET_ACCESS_KEY", "proxy-secret")
        .var("AWS_ENDPOINT_URL_ECR", tls.url())
        .var("HTTPS_PROXY", proxy.url());
    let bundle = p.file("ca.pem", &ca.pem);
    let p = p.var("AWS_CA_BUNDLE", bundle);
    let out = p.run(&["call"]);
    assert_eq!(out.lines[0]["ok"], 1, "{}", out.stdout);
    assert_eq!(proxy.seen(), [format!("CONNECT 127.0.0.1:{}", tls.port())]);
    let out = p.var("no_proxy", "localhost,127.0.0.1").run(&["call"]);
    assert_eq!(out.lines[0]["ok"], 1, "{}", out.stdout);
    assert_eq!(proxy.seen().len(), 1, "lower-case no_proxy works too");
    assert_eq!(tls.targets().len(), 2);
}

#[test]
fn a_tls_stack_that_cannot_start_is_an_error_not_a_panic() {
    // The system's root store holds only a certificate that does not parse:
    // reqwest cannot build a client (the case where `reqwest::Client::new`
    // panics). SSL_CERT_FILE is where rustls-native-certs looks first.
    let service = HttpStub::start(|_| StubResponse::ok(REPOSITORIES));
    let p = Probe::new(PROBE, "no-tls")
        .var("AWS_ACCESS_KEY_ID", "AKIDTLS")
        .var("AWS_SECRET_ACCESS_KEY", "tls-secret")
        .var("AWS_ENDPOINT_URL_ECR", service.url());
    let bad = p.file(
        "bad-roots.pem",
        "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZSwgbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    );
    let p = p.var("SSL_CERT_FILE", bad);
    // Client::new: the program runs on and each call says why it cannot send.
    let out = p.run(&["call-new"]);
    let error = out.lines[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("the HTTP client could not be built"),
        "{}",
        out.stdout
    );
    assert!(
        out.lines[0]["debug"]
            .as_str()
            .unwrap()
            .starts_with("Config("),
        "{}",
        out.stdout
    );
    // Client::try_new: the error at once (the probe reports it as a setup error).
    let output = std::process::Command::new(PROBE)
        .arg("call")
        .env_clear()
        .env("HOME", p.home.path())
        .env("AWS_REGION", "us-east-1")
        .env("SSL_CERT_FILE", p.home.0.join("bad-roots.pem"))
        .output()
        .unwrap();
    assert!(output.status.success(), "no panic: {output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("setup_error") && stdout.contains("could not be built"),
        "{stdout}"
    );
    assert!(service.requests().is_empty());
}
