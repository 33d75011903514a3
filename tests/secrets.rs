//! Secrets stay secret: the secret key and the session token never appear
//! in tracing output (captured at TRACE level), in Debug or Display of the
//! client, its config or any error, nor at a host the service redirects to.
//! And a plain `http://` endpoint that is not loopback logs a warning once.
//! The default credentials chain (aws-config's, in a child process) keeps
//! the secrets of every source out of its traces, Debug text and errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ecr_tests::Probe;
use ecr_tests::capture::{Capture, captured};
use ecrkit::ecr::DescribeRepositories;
use ecrkit::retry::RetryConfig;
use ecrkit::{Client, Config, Credentials, Ecr, Service, ValidationMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ACCESS_KEY: &str = "AKIDSECRETSTEST";
const SECRET_KEY: &str = "wJalrXUtnFEMI-secret-key-K7MDENG";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzE-session-token-Xk3Q9";

// ---------------------------------------------------------------------------
// A loopback server that answers from a script and keeps every request.

#[derive(Clone)]
enum Reply {
    Status(u16, &'static str),
    /// A redirect to this URL.
    Redirect(u16, String),
}

struct Server {
    endpoint: String,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn read_request(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0usize);
            while buf.len() < end + 4 + len {
                let n = sock.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn serve(script: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let count = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (seen, count, script) = (seen.clone(), count.clone(), script.clone());
            tokio::spawn(async move {
                while let Some(request) = read_request(&mut sock).await {
                    seen.lock().unwrap_or_else(|e| e.into_inner()).push(request);
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    let reply = script.get(n).cloned().unwrap_or(Reply::Status(200, "{}"));
                    let resp = match reply {
                        Reply::Status(status, body) => format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: req-{n}\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        ),
                        Reply::Redirect(status, to) => format!(
                            "HTTP/1.1 {status} Moved\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n"
                        ),
                    };
                    if sock.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Server { endpoint, requests }
}

fn credentials() -> Credentials {
    Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        Some(SESSION_TOKEN.to_owned()),
        None,
        "test",
    )
}

fn client(endpoint: &str, validation: ValidationMode) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(credentials())
            .with_validation(validation)
            .with_retry(RetryConfig {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..RetryConfig::default()
            })
            .build(),
    )
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(
        !text.contains(SECRET_KEY),
        "the secret key appears in {what}:\n{text}"
    );
    assert!(
        !text.contains(SESSION_TOKEN),
        "the session token appears in {what}:\n{text}"
    );
}

const NOT_FOUND: &str =
    r#"{"__type":"RepositoryNotFoundException","message":"no such repository"}"#;
const SERVER_ERROR: &str = r#"{"__type":"ServerException","message":"oops"}"#;

#[test]
fn secrets_never_reach_traces_debug_or_error_strings() {
    let capture = Capture::default();
    let mut texts: Vec<(String, String)> = Vec::new();
    let requests = captured(&capture, async {
        // Success; service error; a retry then success; a transport error.
        let server = serve(vec![
            Reply::Status(200, r#"{"repositories":[]}"#),
            Reply::Status(400, NOT_FOUND),
            Reply::Status(500, SERVER_ERROR),
            Reply::Status(200, r#"{"repositories":[]}"#),
        ])
        .await;
        let client = client(&server.endpoint, ValidationMode::Enforce);
        texts.push(("the client's Debug".into(), format!("{client:?}")));
        texts.push((
            "the config's Debug".into(),
            format!("{:?}", client.config()),
        ));
        texts.push((
            "the credentials' Debug".into(),
            format!("{:?}", credentials()),
        ));

        let ok = DescribeRepositories::default().send(&client).await;
        texts.push(("a success".into(), format!("{ok:?}")));
        assert!(ok.is_ok(), "{ok:?}");

        let err = DescribeRepositories::default()
            .send(&client)
            .await
            .expect_err("RepositoryNotFoundException");
        texts.push(("a service error".into(), format!("{err} / {err:?}")));

        let retried = DescribeRepositories::default().send(&client).await;
        assert!(retried.is_ok(), "a 500 is retried: {retried:?}");

        // Validation: refused (Enforce), then logged and sent (Warn).
        let invalid = DescribeRepositories {
            max_results: Some(0),
            ..Default::default()
        };
        let err = invalid.send(&client).await.expect_err("max_results 0");
        texts.push(("a validation error".into(), format!("{err} / {err:?}")));
        let warn = client_for_warn(&server.endpoint);
        let _ = invalid.send(&warn).await;

        // A transport error: nothing listens on the port any more.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            format!("http://{}", listener.local_addr().expect("addr"))
        };
        let err = DescribeRepositories::default()
            .send(&client_with_attempts(&closed, 1))
            .await
            .expect_err("connection refused");
        texts.push(("a transport error".into(), format!("{err} / {err:?}")));
        let source = std::error::Error::source(&err).map(|s| format!("{s} / {s:?}"));
        texts.push(("a transport error's source".into(), format!("{source:?}")));

        server.requests.lock().unwrap().clone()
    });

    // The token was used (the server received it), so its absence from the
    // logs below means something.
    assert!(
        requests
            .iter()
            .any(|r| r.contains(&SESSION_TOKEN.to_ascii_lowercase()) || r.contains(SESSION_TOKEN)),
        "the session token was not sent"
    );
    assert!(
        requests.iter().all(|r| !r.contains(SECRET_KEY)),
        "the secret key went over the wire"
    );
    let trace = capture.text();
    assert!(
        trace.contains("aws.operation") && trace.contains("retrying"),
        "the capture saw the client's spans and events:\n{trace}"
    );
    assert!(
        trace.contains("WARN") && trace.contains("must be at least 1"),
        "the Warn-mode violation was logged:\n{trace}"
    );
    assert_no_secret("the tracing output", &trace);
    for (what, text) in &texts {
        assert_no_secret(what, text);
    }
}

/// A session token that cannot travel in a header (a trailing newline from a
/// file, say) fails signing; the error says so without quoting the token.
#[tokio::test]
async fn a_malformed_session_token_is_not_echoed_in_errors() {
    let server = serve(vec![]).await;
    let bad_token = format!("{SESSION_TOKEN}\n");
    let client = Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(&server.endpoint)
            .with_credentials(Credentials::new(
                ACCESS_KEY,
                SECRET_KEY,
                Some(bad_token),
                None,
                "test",
            ))
            .with_max_attempts(1)
            .build(),
    );
    let result = DescribeRepositories::default().send(&client).await;
    let text = match &result {
        Ok(out) => format!("{out:?}"),
        Err(err) => {
            let source = std::error::Error::source(err).map(|s| format!("{s} / {s:?}"));
            format!("{err} / {err:?} / {source:?}")
        }
    };
    assert!(result.is_err(), "a token with a newline was sent: {text}");
    assert_no_secret("a signing error", &text);
    assert!(
        server.requests.lock().unwrap().is_empty(),
        "nothing is sent"
    );
}

fn client_for_warn(endpoint: &str) -> Client {
    client(endpoint, ValidationMode::Warn)
}

fn client_with_attempts(endpoint: &str, attempts: u32) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(credentials())
            .with_max_attempts(attempts)
            .build(),
    )
}

/// Bug: reqwest follows redirects by default and, across hosts, strips only
/// `Authorization`/`Cookie`: the session token (`x-amz-security-token`)
/// would go to whatever host a hostile or compromised endpoint names. AWS
/// JSON services never redirect; the client must not follow.
#[tokio::test]
async fn a_redirect_does_not_carry_the_session_token_elsewhere() {
    let mut followed = Vec::new();
    for status in [301, 302, 303, 307, 308] {
        let elsewhere = serve(vec![]).await;
        let server = serve(vec![Reply::Redirect(
            status,
            format!(
                "{}/steal",
                elsewhere.endpoint.replace("127.0.0.1", "localhost")
            ),
        )])
        .await;
        let result = DescribeRepositories::default()
            .send(&client_with_attempts(&server.endpoint, 1))
            .await;
        let leaked = elsewhere.requests.lock().unwrap().clone();
        if !leaked.is_empty() {
            let token = leaked.iter().any(|r| r.contains(SESSION_TOKEN));
            followed.push(format!(
                "{status}: followed to another host{}",
                if token {
                    ", with x-amz-security-token"
                } else {
                    ""
                }
            ));
        }
        if let Err(err) = &result {
            assert_no_secret("the redirect error", &format!("{err} / {err:?}"));
        }
    }
    assert!(
        followed.is_empty(),
        "redirects must not be followed:\n{}",
        followed.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The warning for plain http:// endpoints that are not loopback.

fn warnings(capture: &Capture, needle: &str) -> usize {
    capture
        .text()
        .lines()
        .filter(|l| l.starts_with("WARN") && l.contains(needle))
        .count()
}

#[test]
fn warn_if_insecure_warns_once_per_endpoint() {
    use ecrkit::transport::warn_if_insecure;
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        let remote = reqwest_url("http://10.20.30.40:4566/");
        warn_if_insecure(&remote);
        warn_if_insecure(&remote);
        warn_if_insecure(&reqwest_url("http://10.20.30.40:4566/other/path"));
        for quiet in [
            "http://127.0.0.1:4566/",
            "http://localhost:4566/",
            "http://[::1]:4566/",
            "https://10.20.30.41/",
        ] {
            warn_if_insecure(&reqwest_url(quiet));
        }
    });
    assert_eq!(
        warnings(&capture, "10.20.30.40:4566"),
        1,
        "{}",
        capture.text()
    );
    assert_eq!(warnings(&capture, "http"), 1, "{}", capture.text());
}

/// Needs the call `crate::transport::warn_if_insecure(&url);` in
/// `Client::endpoint_for` (client.rs).
#[test]
fn a_client_with_a_remote_http_endpoint_warns_once() {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        for endpoint in ["http://192.0.2.77:5000", "http://127.0.0.1:5000"] {
            let client = client(endpoint, ValidationMode::Enforce);
            for _ in 0..3 {
                client.endpoint_for(&Ecr::INFO).expect("a valid endpoint");
            }
            // A second client for the same endpoint does not warn again.
            client_with_attempts(endpoint, 1)
                .endpoint_for(&Ecr::INFO)
                .expect("a valid endpoint");
        }
    });
    assert_eq!(
        warnings(&capture, "192.0.2.77:5000"),
        1,
        "{}",
        capture.text()
    );
    assert_eq!(warnings(&capture, "127.0.0.1"), 0, "{}", capture.text());
}

fn reqwest_url(s: &str) -> ecrkit::transport::Url {
    ecrkit::transport::Url::parse(s).expect(s)
}

// ---------------------------------------------------------------------------
// The default credentials chain: every source in a child process with
// tracing at TRACE level to stderr, and the Debug text of the config, the
// client and the credentials on stdout; a failing source's error too.

const PROBE: &str = env!("CARGO_BIN_EXE_credentials-probe");

fn probe_text(tag: &str, setup: impl FnOnce(Probe) -> Probe, command: &str) -> String {
    let p = setup(Probe::new(PROBE, tag).var("PROBE_TRACE", "1"));
    let out = p.run(&[command]);
    format!("{}\n{}", out.stdout, out.stderr)
}

#[test]
fn the_default_chain_keeps_secrets_out_of_traces_debug_and_errors() {
    let imds = ecr_tests::sources::imds(Duration::from_secs(3600));
    let (imds_secret, imds_token) = ecr_tests::sources::secret_of("imds", 1);
    let container =
        ecr_tests::sources::container("/creds", "container-auth-SECRET", Duration::from_secs(3600));
    let mut texts = Vec::new();
    // The environment.
    texts.push(probe_text(
        "secrets-env",
        |p| {
            p.var("AWS_ACCESS_KEY_ID", ACCESS_KEY)
                .var("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
                .var("AWS_SESSION_TOKEN", SESSION_TOKEN)
        },
        "debug",
    ));
    // The shared files, with a services section and a CA bundle setting.
    texts.push(probe_text(
        "secrets-files",
        |p| {
            p.file(
                ".aws/credentials",
                &format!("[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\naws_session_token = {SESSION_TOKEN}\n"),
            );
            p.file(".aws/config", "[default]\nservices = local\n[services local]\necr =\n  endpoint_url = http://127.0.0.1:9\n");
            p
        },
        "debug",
    ));
    // credential_process: the command line holds a token; good output, then
    // outputs that fail with the secret in reach.
    for (n, output) in [
        format!(r#"{{"Version": 1, "AccessKeyId": "{ACCESS_KEY}", "SecretAccessKey": "{SECRET_KEY}", "SessionToken": "{SESSION_TOKEN}"}}"#),
        format!(r#"{{"Version": 1, "SecretAccessKey": "{SECRET_KEY}", "SessionToken": "{SESSION_TOKEN}"}}"#),
        format!(r#"{{"Version": 1, "AccessKeyId": 7, "SecretAccessKey": "{SECRET_KEY}", "SessionToken": "{SESSION_TOKEN}"}}"#),
        format!(r#"{{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "{SECRET_KEY}"}}"#),
        format!("{SECRET_KEY} {SESSION_TOKEN}"),
    ]
    .into_iter()
    .enumerate()
    {
        texts.push(probe_text(
            &format!("secrets-process-{n}"),
            |p| {
                let out = p.file("out.json", &output);
                let script = p.file("creds.sh", &format!("cat '{out}'\necho '{SECRET_KEY}' >&2\n"));
                p.file(
                    ".aws/config",
                    &format!("[default]\ncredential_process = sh {script} --token {SESSION_TOKEN}\n"),
                );
                p
            },
            "debug",
        ));
    }
    // The container endpoint (its token), and instance metadata.
    texts.push(probe_text(
        "secrets-container",
        |p| {
            p.var(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}/creds", container.url()),
            )
            .var("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-SECRET")
        },
        "debug",
    ));
    texts.push(probe_text(
        "secrets-container-refused",
        |p| {
            p.var(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}/creds", container.url()),
            )
            .var(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                "container-auth-WRONG-SECRET",
            )
        },
        "debug",
    ));
    texts.push(probe_text(
        "secrets-imds",
        |p| {
            p.unset("AWS_EC2_METADATA_DISABLED")
                .var("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url())
        },
        "debug",
    ));
    // Web identity and assume role through moto's STS: the web identity
    // token travels in the request body.
    let moto = ecr_tests::Moto::start();
    let jwt = "eyJhbGciOiJSUzI1NiJ9.web-identity-SECRET.c2ln";
    texts.push(probe_text(
        "secrets-web-identity",
        |p| {
            let file = p.file("token", jwt);
            p.var("AWS_ENDPOINT_URL_STS", moto.endpoint.clone())
                .var("AWS_WEB_IDENTITY_TOKEN_FILE", file)
                .var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r")
        },
        "debug",
    ));
    texts.push(probe_text(
        "secrets-assume-role",
        |p| {
            p.file(
                ".aws/credentials",
                &format!("[base]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"),
            );
            p.file(
                ".aws/config",
                "[default]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n",
            );
            p.var("AWS_ENDPOINT_URL_STS", moto.endpoint.clone())
        },
        "debug",
    ));
    // SSO: the access token of the cache goes in a header.
    let portal = ecr_tests::sources::sso_portal(
        "sso-access-SECRET",
        "123456789012",
        "R",
        Duration::from_secs(3600),
    );
    texts.push(probe_text(
        "secrets-sso",
        |p| {
            use sha1::Digest;
            let name = hex::encode(sha1::Sha1::digest(b"corp"));
            p.file(
                &format!(".aws/sso/cache/{name}.json"),
                r#"{"accessToken": "sso-access-SECRET", "expiresAt": "2099-01-01T00:00:00Z", "region": "us-east-1", "startUrl": "https://corp.awsapps.com/start"}"#,
            );
            p.file(
                ".aws/config",
                "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = R\n\
                 [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
            );
            p.var("AWS_ENDPOINT_URL_SSO", portal.url())
        },
        "debug",
    ));
    let (sso_secret, sso_token) = ecr_tests::sources::secret_of("sso", 1);
    assert_eq!(portal.issued(), 1);
    assert_eq!(container.issued(), 1);
    assert_eq!(imds.issued(), 1);
    let all = texts.join("\n");
    for issued in ["ASIASSO1", "ASIAIMDS1", "ASIACONTAINER1"] {
        assert!(all.contains(issued), "{issued} was loaded");
    }
    // Something was traced and printed (a silent probe would pass anything).
    assert!(all.contains("span ") && all.contains("\"config\""), "{all}");
    assert!(
        all.contains(ACCESS_KEY) && all.contains("ASIAIMDS1"),
        "key ids are not secret"
    );
    for text in &texts {
        for secret in [
            SECRET_KEY,
            SESSION_TOKEN,
            "container-auth-SECRET",
            "container-auth-WRONG-SECRET",
            ecr_tests::sources::IMDS_TOKEN,
            &imds_secret,
            &imds_token,
            jwt,
            "sso-access-SECRET",
            &sso_secret,
            &sso_token,
            "container-secret-1",
            "container-session-token-1",
        ] {
            assert!(!text.contains(secret), "{secret} in:\n{text}");
        }
    }
}
