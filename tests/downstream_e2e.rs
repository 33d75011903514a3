//! Operations of two other AWS JSON services, declared downstream with the
//! DSL (the `downstream` crate, which depends on `ecrkit` alone), end to
//! end against a live moto server on 127.0.0.1: CloudWatch Logs
//! (awsJson1.1) and DynamoDB (awsJson1.0).
//!
//! One client sends both. Requests go through a small recording proxy in
//! front of moto, so the test sees what was on the wire: moto accepts
//! either JSON content type, the proxy shows each service got its own.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use downstream::dynamodb::{self, DynamoDb};
use downstream::logs::{self, CloudWatchLogs};
use ecr_tests::Moto;
use ecrkit::{Client, Config, Credentials, Error, Operation, Service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_dynamodb_against_moto() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint).await;
    let client = client_for_both(&proxy.endpoint);

    run_logs(&client, &proxy).await;
    run_dynamodb(&client).await;

    // What went over the wire: each service's JSON version, target prefix
    // and signing name, from the same client.
    let seen = proxy.seen();
    let mut per_service = HashMap::<&str, usize>::new();
    for request in &seen {
        let (prefix, _) = request
            .target
            .split_once('.')
            .unwrap_or_else(|| panic!("malformed X-Amz-Target {:?}", request.target));
        let (info, scope) = match prefix {
            "Logs_20140328" => (CloudWatchLogs::INFO, "/us-east-1/logs/aws4_request"),
            "DynamoDB_20120810" => (DynamoDb::INFO, "/us-east-1/dynamodb/aws4_request"),
            other => panic!("unexpected target prefix {other:?}"),
        };
        assert_eq!(info.target_prefix, prefix);
        assert_eq!(
            request.content_type,
            format!("application/x-amz-json-{}", info.json_version),
            "content type of {}",
            request.target
        );
        assert!(
            request.authorization.contains(scope),
            "{} is signed for {scope}: {}",
            request.target,
            request.authorization
        );
        *per_service.entry(prefix).or_default() += 1;
    }
    assert_eq!(
        seen.iter()
            .filter(|r| r.content_type == "application/x-amz-json-1.0")
            .count(),
        per_service["DynamoDB_20120810"]
    );
    assert!(per_service["Logs_20140328"] >= 6, "{per_service:?}");
    assert!(per_service["DynamoDB_20120810"] >= 5, "{per_service:?}");

    // DynamoDB's members are PascalCase on the wire.
    let list = seen
        .iter()
        .find(|r| r.target == "DynamoDB_20120810.ListTables")
        .expect("ListTables was sent");
    assert_eq!(list.body, br#"{"Limit":10}"#);
}

async fn run_logs(client: &Client, proxy: &RecordingProxy) {
    let group = "/downstream/e2e";
    let stream = "stream-1";

    logs::CreateLogGroup {
        log_group_name: group.into(),
        log_group_class: Some(logs::LogGroupClass::Standard),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("CreateLogGroup");

    // The second create is the modeled ResourceAlreadyExistsException.
    let again = logs::CreateLogGroup {
        log_group_name: group.into(),
        ..Default::default()
    };
    match again.send(client).await {
        Err(Error::Service {
            error: logs::CreateLogGroupError::ResourceAlreadyExistsException(_),
            meta,
        }) => assert_eq!(meta.status, 400),
        other => panic!("expected ResourceAlreadyExistsException, got {other:?}"),
    }

    logs::CreateLogStream {
        log_group_name: group.into(),
        log_stream_name: stream.into(),
    }
    .send(client)
    .await
    .expect("CreateLogStream");

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64;
    let messages = ["first event from a downstream crate", "second, ünïcode"];
    let put = logs::PutLogEvents {
        log_group_name: group.into(),
        log_stream_name: stream.into(),
        log_events: messages
            .iter()
            .enumerate()
            .map(|(i, m)| logs::InputLogEvent {
                timestamp: now + i as i64,
                message: (*m).into(),
            })
            .collect(),
        sequence_token: None,
    }
    .send(client)
    .await
    .expect("PutLogEvents");
    assert!(put.rejected_log_events_info.is_none(), "{put:?}");

    let got = logs::GetLogEvents {
        log_group_name: Some(group.into()),
        log_stream_name: stream.into(),
        start_from_head: Some(true),
        limit: Some(100),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("GetLogEvents");
    let events = got.events.unwrap_or_default();
    let read: Vec<_> = events.iter().filter_map(|e| e.message.as_deref()).collect();
    assert_eq!(read, messages);
    assert_eq!(events[0].timestamp, Some(now));

    let described = logs::DescribeLogGroups {
        log_group_name_prefix: Some("/downstream/".into()),
        limit: Some(50),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("DescribeLogGroups");
    let groups = described.log_groups.unwrap_or_default();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].log_group_name.as_deref(), Some(group));
    assert!(groups[0].creation_time.is_some_and(|t| t > 0));

    // A stream of a group that does not exist: the modeled ResourceNotFoundException.
    let missing = logs::CreateLogStream {
        log_group_name: "/downstream/missing".into(),
        log_stream_name: stream.into(),
    };
    match missing.send(client).await {
        Err(Error::Service {
            error: logs::CreateLogStreamError::ResourceNotFoundException(_),
            ..
        }) => {}
        other => panic!("expected ResourceNotFoundException, got {other:?}"),
    }

    // The model's constraints are checked before anything is sent.
    let before = proxy.seen().len();
    let invalid = logs::PutLogEvents {
        log_group_name: String::new(),
        log_stream_name: "s".repeat(513),
        log_events: Vec::new(),
        sequence_token: None,
    };
    match invalid.send(client).await {
        Err(Error::Validation(e)) => {
            let mut paths: Vec<_> = e.violations.iter().map(|v| v.path.as_str()).collect();
            paths.dedup();
            assert_eq!(paths, ["logGroupName", "logStreamName", "logEvents"], "{e}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(
        proxy.seen().len(),
        before,
        "nothing is sent when validation fails"
    );
}

async fn run_dynamodb(client: &Client) {
    let table = "downstream-e2e";
    let created = dynamodb::CreateTable {
        table_name: table.into(),
        attribute_definitions: Some(vec![dynamodb::AttributeDefinition {
            attribute_name: "pk".into(),
            attribute_type: dynamodb::ScalarAttributeType::S,
        }]),
        key_schema: Some(vec![dynamodb::KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: dynamodb::KeyType::Hash,
        }]),
        billing_mode: Some(dynamodb::BillingMode::PayPerRequest),
        tags: Some(vec![dynamodb::Tag {
            key: "origin".into(),
            value: "downstream".into(),
        }]),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("CreateTable");
    let description = created.table_description.expect("TableDescription");
    assert_eq!(description.table_name.as_deref(), Some(table));
    assert!(description.table_status.is_some());
    assert!(description.creation_date_time.is_some());

    let listed = dynamodb::ListTables {
        limit: Some(10),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("ListTables");
    assert_eq!(listed.table_names.unwrap_or_default(), [table]);

    let described = dynamodb::DescribeTable {
        table_name: table.into(),
    }
    .send(client)
    .await
    .expect("DescribeTable");
    let key_schema = described
        .table
        .and_then(|t| t.key_schema)
        .unwrap_or_default();
    assert_eq!(
        key_schema,
        [dynamodb::KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: dynamodb::KeyType::Hash,
        }]
    );

    // Errors come back typed; DynamoDB namespaces its codes
    // (`com.amazonaws.dynamodb.v20120810#ResourceInUseException`).
    let again = dynamodb::CreateTable {
        table_name: table.into(),
        attribute_definitions: Some(vec![dynamodb::AttributeDefinition {
            attribute_name: "pk".into(),
            attribute_type: dynamodb::ScalarAttributeType::S,
        }]),
        key_schema: Some(vec![dynamodb::KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: dynamodb::KeyType::Hash,
        }]),
        billing_mode: Some(dynamodb::BillingMode::PayPerRequest),
        ..Default::default()
    };
    match again.send(client).await {
        Err(Error::Service {
            error: dynamodb::CreateTableError::ResourceInUseException(_),
            ..
        }) => {}
        other => panic!("expected ResourceInUseException, got {other:?}"),
    }
    let missing = dynamodb::DescribeTable {
        table_name: "no-such-table".into(),
    };
    match missing.send(client).await {
        Err(Error::Service {
            error: dynamodb::DescribeTableError::ResourceNotFoundException(e),
            meta,
        }) => {
            assert_eq!(meta.status, 400);
            assert_eq!(meta.code.as_deref(), Some("ResourceNotFoundException"));
            assert!(e.message.is_some());
        }
        other => panic!("expected ResourceNotFoundException, got {other:?}"),
    }
}

#[test]
fn descriptors_match_the_targets() {
    fn check<O: Operation>() {
        let info = <O::Service as Service>::INFO;
        assert_eq!(
            O::TARGET.split_once('.').map(|(p, _)| p),
            Some(info.target_prefix),
            "{}",
            O::NAME
        );
    }
    check::<logs::CreateLogGroup>();
    check::<logs::CreateLogStream>();
    check::<logs::PutLogEvents>();
    check::<logs::GetLogEvents>();
    check::<logs::DescribeLogGroups>();
    check::<dynamodb::CreateTable>();
    check::<dynamodb::ListTables>();
    check::<dynamodb::DescribeTable>();
    assert_eq!(CloudWatchLogs::INFO.json_version, "1.1");
    assert_eq!(DynamoDb::INFO.json_version, "1.0");
}

/// One client for both services, with an endpoint per service as
/// `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` and `AWS_ENDPOINT_URL_DYNAMODB` set them.
fn client_for_both(endpoint: &str) -> Client {
    let mut config = Config::builder()
        .with_region("us-east-1")
        .with_credentials(Credentials::new(
            "AKIDTEST",
            "secret-test-key",
            None,
            None,
            "test",
        ))
        .build();
    for service in [CloudWatchLogs::INFO.env_name, DynamoDb::INFO.env_name] {
        config
            .env_endpoints
            .insert(service.to_owned(), endpoint.to_owned());
    }
    Client::new(config)
}

/// A request as the proxy saw it.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    content_type: String,
    authorization: String,
    body: Vec<u8>,
}

/// An HTTP/1.1 proxy on 127.0.0.1 that records each request's headers and
/// body and relays it to moto on a fresh connection.
struct RecordingProxy {
    endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    async fn start(upstream: &str) -> RecordingProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .parse()
            .expect("moto endpoint is http://127.0.0.1:<port>");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let seen = Arc::clone(&seen);
            async move {
                while let Ok((conn, _)) = listener.accept().await {
                    let seen = Arc::clone(&seen);
                    tokio::spawn(async move {
                        if let Err(e) = relay(conn, upstream, seen).await {
                            eprintln!("proxy connection failed: {e}");
                        }
                    });
                }
            }
        });
        RecordingProxy {
            endpoint,
            seen,
            task,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("proxy lock").clone()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    mut conn: TcpStream,
    upstream: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> std::io::Result<()> {
    let mut pending = Vec::new();
    while let Some((head, body)) = read_message(&mut conn, &mut pending, false).await? {
        let headers = header_map(&head);
        let header = |name: &str| headers.get(name).cloned().unwrap_or_default();
        seen.lock().expect("proxy lock").push(Seen {
            target: header("x-amz-target"),
            content_type: header("content-type"),
            authorization: header("authorization"),
            body: body.clone(),
        });
        let mut up = TcpStream::connect(upstream).await?;
        up.write_all(&head).await?;
        up.write_all(&body).await?;
        let (rhead, rbody) = read_message(&mut up, &mut Vec::new(), true)
            .await?
            .ok_or_else(|| std::io::Error::other("moto closed without a response"))?;
        conn.write_all(&rhead).await?;
        conn.write_all(&rbody).await?;
    }
    Ok(())
}

/// Reads one HTTP/1.x message: its head (through the blank line) and a
/// `Content-Length` body, or, for a response without one, the body up to
/// EOF. `None` when the peer closed between messages.
async fn read_message(
    stream: &mut TcpStream,
    pending: &mut Vec<u8>,
    response: bool,
) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut chunk = [0u8; 16 * 1024];
    let head_len = loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if pending.is_empty() {
                Ok(None)
            } else {
                Err(std::io::Error::other("connection closed inside a head"))
            };
        }
        pending.extend_from_slice(&chunk[..n]);
    };
    let head: Vec<u8> = pending.drain(..head_len).collect();
    let length = header_map(&head)
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    match length {
        Some(len) => {
            while pending.len() < len {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::Error::other("connection closed inside a body"));
                }
                pending.extend_from_slice(&chunk[..n]);
            }
            let body = pending.drain(..len).collect();
            Ok(Some((head, body)))
        }
        None if response => {
            stream.read_to_end(pending).await?;
            Ok(Some((head, std::mem::take(pending))))
        }
        None => Ok(Some((head, Vec::new()))),
    }
}

/// The header fields of a message head, names lowercased.
fn header_map(head: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect()
}
