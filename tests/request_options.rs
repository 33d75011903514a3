//! How a request goes out beyond its body, for operations of the DSL's
//! newer traits: request compression (on at the SDKs' minimum size, off by
//! switch, environment or profile), the endpoint trait's host prefix (off
//! by switch; a label that is not a host label refused before sending), and
//! an awsQuery-compatible service's query-mode header. Requests go to a
//! loopback server that records them.

use std::io::Read as _;
use std::sync::{Arc, Mutex};

use ecrkit::config::{Env, RequestCompressionConfig};
use ecrkit::{Client, Config, Credentials, Error, Service, ServiceInfo, aws_operation, aws_shape};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback service.
pub struct Loopback;

impl Service for Loopback {
    const INFO: ServiceInfo = ServiceInfo {
        signing_name: "loopback",
        endpoint_prefix: "loopback",
        json_version: "1.0",
        target_prefix: "Loopback_2026",
        env_name: "LOOPBACK",
        query_compatible: false,
    };
}

/// The same service, moved from awsQuery.
pub struct QueryLoopback;

impl Service for QueryLoopback {
    const INFO: ServiceInfo = ServiceInfo {
        query_compatible: true,
        ..Loopback::INFO
    };
}

/// An empty response.
#[aws_shape]
#[derive(Debug)]
pub struct Empty {}

/// An operation whose bodies may be gzipped.
#[aws_operation(service = Loopback, request_compression = "gzip", output = Empty, errors())]
pub struct PutBlob {
    /// The payload.
    pub data: String,
}

/// An operation with a host prefix.
#[aws_operation(service = Loopback, host_prefix = "{Region}.data.", output = Empty, errors())]
pub struct GetData {
    /// Goes into the host name.
    #[host_label]
    #[rename = "Region"]
    pub region: String,
}

/// An operation of a query-compatible service.
#[aws_operation(service = QueryLoopback, output = Empty, errors())]
pub struct Ping {}

/// A request as it arrived.
#[derive(Debug, Clone)]
struct Seen {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body, gunzipped if it says it is gzip.
    fn plain_body(&self) -> Vec<u8> {
        match self.header("content-encoding") {
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .expect("a gzip body");
                out
            }
            _ => self.body.clone(),
        }
    }
}

/// Starts a server that answers `{}` and records each request.
async fn server() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                continue;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 65536];
                let end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i;
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                let headers: Vec<(String, String)> = head
                    .split("\r\n")
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = buf[end + 4..].to_vec();
                while body.len() < len {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => body.extend_from_slice(&chunk[..n]),
                    }
                }
                log.lock().expect("log").push(Seen { headers, body });
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                    )
                    .await;
            });
        }
    });
    (endpoint, seen)
}

fn builder(endpoint: &str) -> ecrkit::ConfigBuilder {
    Config::builder()
        .with_region("us-east-1")
        .with_endpoint_url(endpoint)
        .with_credentials(Credentials::new("AKID", "secret", None, None, "test"))
        .with_max_attempts(1)
}

fn last(seen: &Arc<Mutex<Vec<Seen>>>) -> Seen {
    seen.lock()
        .expect("log")
        .last()
        .cloned()
        .expect("a request arrived")
}

#[tokio::test]
async fn bodies_are_gzipped_from_the_minimum_size_and_not_when_switched_off() {
    let (endpoint, seen) = server().await;
    let big = PutBlob {
        data: "x".repeat(20_000),
    };
    let small = PutBlob {
        data: "x".repeat(100),
    };
    let client = Client::new(builder(&endpoint).build());

    big.send(&client).await.expect("big");
    let got = last(&seen);
    assert_eq!(got.header("content-encoding"), Some("gzip"));
    assert!(
        got.body.len() < 1_000,
        "compressed: {} bytes",
        got.body.len()
    );
    assert_eq!(got.plain_body(), serde_json::to_vec(&big).expect("json"));
    // The signature covers the encoding.
    let auth = got.header("authorization").expect("signed");
    assert!(auth.contains("content-encoding"), "{auth}");

    small.send(&client).await.expect("small");
    assert_eq!(
        last(&seen).header("content-encoding"),
        None,
        "below 10240 bytes"
    );

    let off = Client::new(
        builder(&endpoint)
            .with_request_compression(RequestCompressionConfig {
                disabled: true,
                ..Default::default()
            })
            .build(),
    );
    big.send(&off).await.expect("off");
    assert_eq!(last(&seen).header("content-encoding"), None);

    let low = Client::new(
        builder(&endpoint)
            .with_request_compression(RequestCompressionConfig {
                disabled: false,
                min_size_bytes: 50,
            })
            .build(),
    );
    small.send(&low).await.expect("low minimum");
    assert_eq!(last(&seen).header("content-encoding"), Some("gzip"));
}

#[test]
fn compression_settings_come_from_the_environment_and_the_profile() {
    let dir = std::env::temp_dir().join(format!("ecrkit-compression-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config_file = dir.join("config");
    std::fs::write(
        &config_file,
        "[default]\nrequest_min_compression_size_bytes = 4096\n",
    )
    .expect("config file");
    let env = Env::from_vars([
        ("AWS_CONFIG_FILE", config_file.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("none").display().to_string(),
        ),
        ("AWS_DISABLE_REQUEST_COMPRESSION", "true".to_owned()),
    ]);
    let config = Config::from_env_with(&env).build();
    assert_eq!(
        config.request_compression,
        RequestCompressionConfig {
            disabled: true,
            min_size_bytes: 4096
        }
    );
    let env = Env::from_vars([
        ("AWS_CONFIG_FILE", config_file.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("none").display().to_string(),
        ),
        (
            "AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES",
            "99999999".to_owned(),
        ),
    ]);
    // Out of range: the variable wins over the profile, and is ignored
    // (with a warning): the default stands.
    let config = Config::from_env_with(&env).build();
    assert_eq!(config.request_compression.min_size_bytes, 10_240);
    assert!(!config.request_compression.disabled);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn host_prefixes_are_filled_checked_and_can_be_switched_off() {
    let (endpoint, seen) = server().await;
    let client = Client::new(builder("https://example.com").build());
    let url = client
        .request_url(&GetData {
            region: "eu-west-1".into(),
        })
        .expect("a url");
    assert_eq!(url.as_str(), "https://eu-west-1.data.example.com/");

    // A label that is not a host label never leaves the machine.
    let bad = GetData {
        region: "evil.com/x".into(),
    };
    let loopback = Client::new(builder(&endpoint).build());
    match bad.send(&loopback).await {
        Err(Error::Validation(e)) => {
            assert_eq!(e.violations[0].path, "Region");
            assert!(e.violations[0].message.contains("host label"), "{e}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(seen.lock().expect("log").is_empty(), "nothing was sent");

    // Off: the endpoint's host as it is.
    let off = Client::new(builder(&endpoint).with_host_prefix_disabled(true).build());
    GetData {
        region: "eu-west-1".into(),
    }
    .send(&off)
    .await
    .expect("sent without the prefix");
    let host = last(&seen).header("host").map(str::to_owned);
    assert_eq!(host.as_deref(), endpoint.strip_prefix("http://"));
}

#[tokio::test]
async fn query_compatible_services_send_the_query_mode_header() {
    let (endpoint, seen) = server().await;
    let client = Client::new(builder(&endpoint).build());
    Ping {}.send(&client).await.expect("ping");
    let got = last(&seen);
    assert_eq!(got.header("x-amzn-query-mode"), Some("true"));
    assert_eq!(
        got.header("x-amz-target"),
        Some("Loopback_2026.Ping"),
        "the target defaults to the prefix and the name"
    );
    PutBlob { data: "x".into() }
        .send(&client)
        .await
        .expect("put");
    assert_eq!(last(&seen).header("x-amzn-query-mode"), None);
}
