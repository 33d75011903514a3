//! awsJson1.1 protocol conformance, case by case, from botocore's suites
//! (`tests/unit/protocols/input/json.json`, 54 cases, and
//! `tests/unit/protocols/output/json.json`, 58 cases, of the pinned
//! botocore 1.44.5 sdist that `scripts/setup.sh` extracts).
//!
//! Nothing from the suites is committed: `tests/protocol/build.rs` runs
//! `tools/protocol_gen.py`, which declares every suite entry's shapes and
//! operation with our DSL and writes one function per case into `OUT_DIR`.
//!
//! - Input cases: the request value is serialized with
//!   [`Operation::write_body`] and compared, as JSON, with the suite's body.
//!   Then it is sent with a real [`Client`] to a loopback HTTP server, which
//!   records what arrived: method, URI, `Content-Type`, `X-Amz-Target` (the
//!   runtime has no public function that returns the request headers, so
//!   they are read off the wire) and the other headers the case names.
//! - Output cases: the suite's response goes through the runtime's parsing,
//!   [`ecrkit::protocol::parse_output`] for a success and
//!   [`ecrkit::protocol::parse_error`] then the generated `<Op>Error`'s
//!   [`OperationError::from_response`] for an error, and the result is
//!   compared with the suite's expected value (declared as a Rust value).
//!
//! A case that cannot apply to this design is listed in [`NOT_APPLICABLE`]
//! with the DSL or runtime feature it needs. It still runs when it can,
//! and the report says whether it would pass.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ecrkit::{Client, Config, Credentials, Service, ServiceInfo};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Cases in botocore 1.44.5's awsJson1.1 input suite.
const INPUT_CASE_COUNT: usize = 54;
/// Cases in botocore 1.44.5's awsJson1.1 output suite.
const OUTPUT_CASE_COUNT: usize = 58;

/// Which suite a case is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Suite {
    Input,
    Output,
}
use Suite::{Input, Output};

const NO_TIMESTAMP_FORMAT: &str = "timestampFormat iso8601/rfc822: the DSL has no per-member timestamp format; \
     ecrkit::Timestamp is written and read as epoch seconds only (awsJson's default)";
const NO_DOCUMENTS: &str = "document type: the DSL has no document (untyped JSON) member type";
const NO_HOST_PREFIX: &str = "endpoint trait (hostPrefix, @hostLabel): the DSL has no endpoint trait, \
     so requests go to the configured endpoint's host unchanged";
const NO_COMPRESSION: &str = "requestcompression trait (gzip, Content-Encoding): the runtime does not \
     compress request bodies";

/// Cases that cannot apply to this design, with the feature they need.
const NOT_APPLICABLE: &[(Suite, &str, &str)] = &[
    (Input, "AwsJson11EndpointTrait", NO_HOST_PREFIX),
    (Input, "AwsJson11EndpointTraitWithHostLabel", NO_HOST_PREFIX),
    (
        Input,
        "serializes_timestamp_shapes_with_iso8601_timestampformat",
        NO_TIMESTAMP_FORMAT,
    ),
    (
        Input,
        "serializes_timestamp_shapes_with_httpdate_timestampformat",
        NO_TIMESTAMP_FORMAT,
    ),
    (Input, "PutAndGetInlineDocumentsInput", NO_DOCUMENTS),
    (
        Input,
        "SDKAppliedContentEncoding_awsJson1_1",
        NO_COMPRESSION,
    ),
    (
        Input,
        "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_1",
        NO_COMPRESSION,
    ),
    (
        Output,
        "AwsJson11DateTimeWithNegativeOffset",
        NO_TIMESTAMP_FORMAT,
    ),
    (
        Output,
        "AwsJson11DateTimeWithPositiveOffset",
        NO_TIMESTAMP_FORMAT,
    ),
    (
        Output,
        "AwsJson11DateTimeWithFractionalSeconds",
        NO_TIMESTAMP_FORMAT,
    ),
    (Output, "parses_iso8601_timestamps", NO_TIMESTAMP_FORMAT),
    (Output, "parses_httpdate_timestamps", NO_TIMESTAMP_FORMAT),
    (Output, "PutAndGetInlineDocumentsInput", NO_DOCUMENTS),
];

/// The service the suites describe: awsJson 1.1, target prefix `JsonProtocol`.
pub struct ProtocolTestService;

impl Service for ProtocolTestService {
    const INFO: ServiceInfo = ServiceInfo {
        signing_name: "foo",
        endpoint_prefix: "foo",
        json_version: "1.1",
        target_prefix: "JsonProtocol",
        env_name: "JSON_PROTOCOL",
        query_compatible: false,
    };
}

/// The cases, generated from the suites at build time.
#[allow(dead_code, unused_imports, clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/protocol_json.rs"));
}

/// What the generated cases call.
pub mod harness {
    use std::collections::HashMap;
    use std::fmt::Debug;
    use std::future::Future;
    use std::pin::Pin;

    use ecrkit::{Client, ErrorMeta, Operation, OperationError, Service, ServiceInfo, Timestamp};

    /// An input case: its request value, built by the generated function.
    pub struct InputCase {
        /// The case id.
        pub id: &'static str,
        /// The index of its suite entry.
        pub entry: usize,
        /// The case as JSON (with its entry's metadata and client endpoint).
        pub data: &'static str,
        /// Builds the request; `None` if the generator could not express it.
        pub build: Option<fn() -> Box<dyn ErasedInput>>,
        /// Why the generator could not express it.
        pub unsupported: &'static str,
    }

    /// Checks a response against a case's expected value.
    pub type CheckFn = fn(&Response) -> Result<(), String>;

    /// An output case: checks a response against the expected value.
    pub struct OutputCase {
        /// The case id.
        pub id: &'static str,
        /// The index of its suite entry.
        pub entry: usize,
        /// The case as JSON (with its entry's metadata).
        pub data: &'static str,
        /// Checks a response; `None` if the generator could not express it.
        pub check: Option<CheckFn>,
        /// Why the generator could not express it.
        pub unsupported: &'static str,
    }

    /// A request of any declared operation.
    pub trait ErasedInput {
        /// The body, from [`Operation::write_body`].
        fn body(&self) -> Vec<u8>;
        /// The operation's service.
        fn service(&self) -> ServiceInfo;
        /// Validates and sends the request with `client`.
        fn send<'a>(
            &'a self,
            client: &'a Client,
        ) -> Pin<Box<dyn Future<Output = Result<(), String>> + 'a>>;
    }

    impl<O: Operation + 'static> ErasedInput for O {
        fn body(&self) -> Vec<u8> {
            let mut buf = Vec::with_capacity(self.body_size_hint());
            self.write_body(&mut buf).expect("serializes");
            buf
        }
        fn service(&self) -> ServiceInfo {
            <O::Service as Service>::INFO
        }
        fn send<'a>(
            &'a self,
            client: &'a Client,
        ) -> Pin<Box<dyn Future<Output = Result<(), String>> + 'a>> {
            Box::pin(async move { client.send(self).await.map(drop).map_err(|e| e.to_string()) })
        }
    }

    /// A response from the suite.
    pub struct Response {
        /// The HTTP status.
        pub status: u16,
        /// The headers as the suite writes them.
        pub headers: HashMap<String, String>,
        /// The body (empty if the suite gives none).
        pub body: Vec<u8>,
        /// `errorCode` of an error case.
        pub error_code: Option<String>,
        /// `errorMessage` of an error case.
        pub error_message: Option<String>,
    }

    impl Response {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        /// The runtime's error metadata for this response. The headers go
        /// through the `TryFrom<&HashMap>` of the `HeaderMap` that
        /// `parse_error` takes: the tests do not depend on `http`.
        fn error_meta(&self) -> Result<ErrorMeta, String> {
            let headers = match TryFrom::try_from(&self.headers) {
                Ok(h) => h,
                Err(e) => return Err(format!("the suite's headers are not valid HTTP: {e:?}")),
            };
            Ok(ecrkit::protocol::parse_error(
                self.status,
                &headers,
                &self.body,
            ))
        }

        fn request_id(&self) -> Result<Option<String>, String> {
            let headers = match TryFrom::try_from(&self.headers) {
                Ok(h) => h,
                Err(e) => return Err(format!("the suite's headers are not valid HTTP: {e:?}")),
            };
            Ok(ecrkit::protocol::request_id(&headers))
        }
    }

    /// Equality for comparing parsed values with expected ones (NaN is the
    /// same as NaN; map order does not matter).
    pub trait Same: Debug {
        /// Whether the two values are the same.
        fn same(&self, other: &Self) -> bool;
    }

    macro_rules! same_by_eq {
        ($($t:ty),*) => {$(
            impl Same for $t {
                fn same(&self, other: &Self) -> bool {
                    self == other
                }
            }
        )*};
    }
    same_by_eq!(String, bool, i8, i16, i32, i64, bytes::Bytes, Timestamp);

    impl Same for f32 {
        fn same(&self, other: &Self) -> bool {
            (self.is_nan() && other.is_nan()) || self == other
        }
    }
    impl Same for f64 {
        fn same(&self, other: &Self) -> bool {
            (self.is_nan() && other.is_nan()) || self == other
        }
    }
    impl<T: Same> Same for Option<T> {
        fn same(&self, other: &Self) -> bool {
            match (self, other) {
                (Some(a), Some(b)) => a.same(b),
                (None, None) => true,
                _ => false,
            }
        }
    }
    impl<T: Same> Same for Box<T> {
        fn same(&self, other: &Self) -> bool {
            (**self).same(&**other)
        }
    }
    impl<T: Same> Same for Vec<T> {
        fn same(&self, other: &Self) -> bool {
            self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a.same(b))
        }
    }
    impl<T: Same> Same for HashMap<String, T> {
        fn same(&self, other: &Self) -> bool {
            self.len() == other.len()
                && self
                    .iter()
                    .all(|(k, v)| other.get(k).is_some_and(|w| v.same(w)))
        }
    }

    /// `Ok` if `got` is the same as `expected`, else both, for the report.
    pub fn same<T: Same>(got: &T, expected: &T) -> Result<(), String> {
        if got.same(expected) {
            Ok(())
        } else {
            Err(format!(
                "parsed value differs\n  got:      {got:?}\n  expected: {expected:?}"
            ))
        }
    }

    /// A success case: `parse_output` must give `expected`.
    pub fn check_output<O: Operation>(
        response: &Response,
        expected: O::Output,
    ) -> Result<(), String>
    where
        O::Output: Same,
    {
        if !(200..300).contains(&response.status) {
            return Err(format!(
                "a result case with HTTP status {}",
                response.status
            ));
        }
        let got = ecrkit::protocol::parse_output::<O::Output>(&response.body).map_err(|e| {
            format!(
                "parse_output failed: {e}\n  body: {}",
                String::from_utf8_lossy(&response.body)
            )
        })?;
        same(&got, &expected)?;
        if let Some(id) = response.header("x-amzn-requestid") {
            let got = response.request_id()?;
            if got.as_deref() != Some(id) {
                return Err(format!("request id: got {got:?}, expected {id:?}"));
            }
        }
        Ok(())
    }

    /// An error case: `parse_error` must find the code and message, and
    /// `from_response` must give the modeled variant `check_variant` expects.
    pub fn check_error<O: Operation>(
        response: &Response,
        check_variant: impl FnOnce(&O::Error) -> Result<(), String>,
    ) -> Result<(), String> {
        if (200..300).contains(&response.status) {
            return Err(format!(
                "an error case with HTTP status {}",
                response.status
            ));
        }
        let want = response.error_code.as_deref().unwrap_or("");
        let meta = response.error_meta()?;
        if meta.status != response.status {
            return Err(format!(
                "status: got {}, expected {}",
                meta.status, response.status
            ));
        }
        if meta.code.as_deref() != Some(want) {
            return Err(format!(
                "parse_error code: got {:?}, expected {want:?}",
                meta.code
            ));
        }
        match &response.error_message {
            Some(m) if meta.message.as_deref() != Some(m.as_str()) => {
                return Err(format!(
                    "parse_error message: got {:?}, expected {m:?}",
                    meta.message
                ));
            }
            None if meta.message.as_deref().is_some_and(|m| !m.is_empty()) => {
                return Err(format!(
                    "parse_error message: got {:?}, expected none",
                    meta.message
                ));
            }
            _ => {}
        }
        let code = meta.code.clone().unwrap_or_default();
        let error = O::Error::from_response(&code, &response.body, &meta);
        if error.code() != want {
            return Err(format!(
                "from_response code: got {:?}, expected {want:?}",
                error.code()
            ));
        }
        check_variant(&error)
    }
}

// ----- the loopback server of the input cases ----------------------------

/// A request as it arrived.
struct Captured {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Inbox = Arc<Mutex<Vec<Captured>>>;

/// Accepts connections, records one request each, answers `200 {}`.
async fn serve(listener: tokio::net::TcpListener, inbox: Inbox) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        let inbox = inbox.clone();
        tokio::spawn(async move {
            if let Some(request) = read_request(&mut socket).await {
                inbox.lock().expect("inbox").push(request);
            }
            let _ = socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n\
                      x-amzn-RequestId: protocol-test\r\nContent-Length: 2\r\n\
                      Connection: close\r\n\r\n{}",
                )
                .await;
            let _ = socket.shutdown().await;
        });
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Captured> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (
        request_line.next()?.to_owned(),
        request_line.next()?.to_owned(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Captured {
        method,
        path,
        headers,
        body,
    })
}

fn client_for(endpoint: &str) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(Credentials::new(
                "AKIDPROTOCOL",
                "protocol-test-secret",
                None,
                None,
                "test",
            ))
            .with_max_attempts(1)
            .build(),
    )
}

// ----- comparing ------------------------------------------------------------

/// JSON equality where numbers compare by value (`1` is `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 1500;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len())
}

/// One line of a reason, shortened for the per-case report.
fn clip_line(s: &str) -> String {
    const MAX: usize = 160;
    match s.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_owned(),
    }
}

/// `scheme://host[:port]/path` → `host[:port]/path` without the trailing
/// slash: the Smithy cases' `host` is the resolved endpoint, path included
/// (`example.com/custom` for a client endpoint `https://example.com/custom`).
fn resolved_host(url: &url_parts::Url) -> String {
    format!("{}{}", url.authority, url.path.trim_end_matches('/'))
}

/// A URL split without a URL crate (the tests depend on none).
mod url_parts {
    pub struct Url {
        pub authority: String,
        pub path: String,
    }
    pub fn parse(url: &str) -> Url {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        Url {
            authority: authority.to_owned(),
            path: path.to_owned(),
        }
    }
}

// ----- the cases --------------------------------------------------------------

struct Ctx {
    rt: tokio::runtime::Runtime,
    addr: SocketAddr,
    inbox: Inbox,
}

fn check_input(ctx: &Ctx, data: &Value, op: &dyn harness::ErasedInput) -> Result<(), String> {
    let case = &data["case"];
    let serialized = &case["serialized"];
    let mut problems = Vec::new();

    // The entry's protocol must be the one the service descriptor speaks.
    let info = op.service();
    let meta = &data["metadata"];
    if meta["jsonVersion"].as_str() != Some(info.json_version)
        || meta["targetPrefix"].as_str() != Some(info.target_prefix)
    {
        problems.push(format!(
            "suite metadata {meta} does not match the service descriptor {info:?}"
        ));
    }

    // The body, from Operation::write_body.
    let body = op.body();
    let text = String::from_utf8_lossy(&body).into_owned();
    match serde_json::from_slice::<Value>(&body) {
        Err(e) => problems.push(format!(
            "write_body wrote invalid JSON ({e}): {}",
            clip(&text)
        )),
        Ok(got) => match serialized.get("body").and_then(Value::as_str) {
            Some(expected) => match serde_json::from_str::<Value>(expected) {
                Ok(want) if json_eq(&got, &want) => {}
                Ok(want) => problems.push(format!(
                    "body differs\n  got:      {}\n  expected: {}",
                    clip(&got.to_string()),
                    clip(&want.to_string())
                )),
                Err(e) => problems.push(format!("the suite's body is not JSON ({e})")),
            },
            // No body in the case: empty or `{}` both serve.
            None if got == serde_json::json!({}) => {}
            None => problems.push(format!("body: expected empty or {{}}, got {}", clip(&text))),
        },
    }

    // The request on the wire, sent by the client to the loopback server.
    let endpoint = data["clientEndpoint"].as_str().map(url_parts::parse);
    let base_path = endpoint
        .as_ref()
        .map_or("", |u| u.path.trim_end_matches('/'));
    let client = client_for(&format!("http://{}{}", ctx.addr, base_path));
    ctx.inbox.lock().expect("inbox").clear();
    if let Err(e) = ctx.rt.block_on(op.send(&client)) {
        problems.push(format!("Client::send failed: {e}"));
    }
    match ctx.inbox.lock().expect("inbox").pop() {
        None => problems.push("no request reached the loopback server".to_owned()),
        Some(request) => {
            if let Some(method) = serialized["method"].as_str()
                && request.method != method
            {
                problems.push(format!("method: got {}, expected {method}", request.method));
            }
            let uri = serialized["uri"].as_str().unwrap_or("/");
            if request.path != uri {
                problems.push(format!("uri: got {}, expected {uri}", request.path));
            }
            if let Some(headers) = serialized["headers"].as_object() {
                for (name, want) in headers {
                    let want = want.as_str().unwrap_or_default();
                    match request.header(name) {
                        Some(got) if got == want => {}
                        got => {
                            problems.push(format!("header {name}: got {got:?}, expected {want:?}"))
                        }
                    }
                }
            }
            for name in serialized["requireHeaders"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let name = name.as_str().unwrap_or_default();
                if request.header(name).is_none() {
                    problems.push(format!("header {name} is required but was not sent"));
                }
            }
            for name in serialized["forbidHeaders"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                if let Some(v) = request.header(name) {
                    problems.push(format!("header {name} is forbidden but was sent: {v:?}"));
                }
            }
            if request.body != body {
                problems.push(format!(
                    "the body on the wire differs from write_body's\n  wire:       {}\n  write_body: {}",
                    clip(&String::from_utf8_lossy(&request.body)),
                    clip(&text)
                ));
            }
        }
    }

    // The host, for cases with a client endpoint.
    if let Some(want) = serialized["host"].as_str() {
        let endpoint = data["clientEndpoint"]
            .as_str()
            .unwrap_or("https://example.com");
        match client_for(endpoint).endpoint_for(&info) {
            Ok(url) => {
                let got = resolved_host(&url_parts::parse(url.as_str()));
                if got != want {
                    problems.push(format!("host: got {got}, expected {want}"));
                }
            }
            Err(e) => problems.push(format!("endpoint_for({endpoint}) failed: {e}")),
        }
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn response_of(data: &Value) -> harness::Response {
    let case = &data["case"];
    let response = &case["response"];
    let headers: HashMap<String, String> = response["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    harness::Response {
        status: response["status_code"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0),
        headers,
        body: response["body"].as_str().unwrap_or("").as_bytes().to_vec(),
        error_code: case["errorCode"].as_str().map(str::to_owned),
        error_message: case["errorMessage"].as_str().map(str::to_owned),
    }
}

fn check_output(data: &Value, check: harness::CheckFn) -> Result<(), String> {
    let meta = &data["metadata"];
    let info = ProtocolTestService::INFO;
    if meta["jsonVersion"].as_str() != Some(info.json_version) {
        return Err(format!(
            "suite metadata {meta} does not match the service descriptor {info:?}"
        ));
    }
    check(&response_of(data))
}

/// FNV-1a, the fingerprint the generator embeds.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Reads a suite file, checks it is the one the cases were generated from,
/// and counts its cases.
fn suite_cases(path: &Path, fingerprint: u64) -> Result<Vec<String>, String> {
    let raw = std::fs::read(path).map_err(|e| {
        format!(
            "{} cannot be read ({e}): run scripts/setup.sh",
            path.display()
        )
    })?;
    if fnv1a64(&raw) != fingerprint {
        return Err(format!(
            "{} changed since the cases were generated: rebuild (touch tools/protocol_gen.py)",
            path.display()
        ));
    }
    let suite: Value =
        serde_json::from_slice(&raw).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(suite
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|entry| entry["cases"].as_array().into_iter().flatten())
        .map(|case| case["id"].as_str().unwrap_or_default().to_owned())
        .collect())
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    not_applicable: usize,
}

fn not_applicable(suite: Suite, id: &str) -> Option<&'static str> {
    NOT_APPLICABLE
        .iter()
        .find(|(s, i, _)| *s == suite && *i == id)
        .map(|(_, _, r)| *r)
}

#[test]
fn awsjson11_protocol_suites() {
    if let Some(problem) = generated::PROBLEM {
        panic!("{problem}");
    }
    let mut out = String::new();
    let mut failures: Vec<String> = Vec::new();

    // The suites: the pinned counts, and the very files the cases came from.
    let dir = Path::new(generated::BOTOCORE_DIR);
    let suites = [
        (
            Input,
            dir.join("tests/unit/protocols/input/json.json"),
            generated::INPUT_FNV,
            INPUT_CASE_COUNT,
            generated::INPUT_CASES.len(),
        ),
        (
            Output,
            dir.join("tests/unit/protocols/output/json.json"),
            generated::OUTPUT_FNV,
            OUTPUT_CASE_COUNT,
            generated::OUTPUT_CASES.len(),
        ),
    ];
    for (suite, path, fingerprint, pinned, generated_count) in &suites {
        match suite_cases(path, *fingerprint) {
            Err(e) => panic!("{e}"),
            Ok(ids) => {
                if ids.len() != *pinned {
                    failures.push(format!(
                        "{suite:?} suite {} has {} cases, the pinned botocore 1.44.5 has {pinned}",
                        path.display(),
                        ids.len()
                    ));
                }
                if ids.len() != *generated_count {
                    failures.push(format!(
                        "{suite:?} suite: {} cases but {generated_count} generated",
                        ids.len()
                    ));
                }
                for (s, id, _) in NOT_APPLICABLE.iter().filter(|(s, ..)| s == suite) {
                    if !ids.iter().any(|i| i == id) {
                        failures.push(format!(
                            "{s:?} {id}: listed as not applicable but not in the suite"
                        ));
                    }
                }
            }
        }
    }

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let addr = listener.local_addr().expect("local addr");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let inbox: Inbox = Arc::default();
    {
        let _guard = rt.enter();
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        rt.spawn(serve(listener, inbox.clone()));
    }
    let ctx = Ctx { rt, addr, inbox };

    let mut input = Tally::default();
    for case in generated::INPUT_CASES {
        let data: Value = serde_json::from_str(case.data).expect("generated case JSON");
        let result = match case.build {
            Some(build) => check_input(&ctx, &data, &*build()),
            None => Err(format!(
                "the generator could not declare this case: {}",
                case.unsupported
            )),
        };
        record(
            &mut out,
            &mut failures,
            &mut input,
            Input,
            case.id,
            case.entry,
            result,
        );
    }
    let mut output = Tally::default();
    for case in generated::OUTPUT_CASES {
        let data: Value = serde_json::from_str(case.data).expect("generated case JSON");
        let result = match case.check {
            Some(check) => check_output(&data, check),
            None => Err(format!(
                "the generator could not declare this case: {}",
                case.unsupported
            )),
        };
        record(
            &mut out,
            &mut failures,
            &mut output,
            Output,
            case.id,
            case.entry,
            result,
        );
    }

    if !failures.is_empty() {
        out.push_str(&format!("\n{} failure(s):\n", failures.len()));
        for f in &failures {
            out.push_str(&format!("\n{f}\n"));
        }
        out.push('\n');
    }
    let summary = format!(
        "awsJson1.1 input suite: {} passed, {} failed, {} not applicable (of {INPUT_CASE_COUNT})\n\
         awsJson1.1 output suite: {} passed, {} failed, {} not applicable (of {OUTPUT_CASE_COUNT})",
        input.passed,
        input.failed,
        input.not_applicable,
        output.passed,
        output.failed,
        output.not_applicable
    );
    out.push_str(&summary);
    out.push('\n');
    // Straight to stderr, so the report shows with or without --nocapture.
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
    if !failures.is_empty() {
        panic!(
            "{} protocol conformance failure(s), listed above\n{summary}",
            failures.len()
        );
    }
}

fn record(
    out: &mut String,
    failures: &mut Vec<String>,
    tally: &mut Tally,
    suite: Suite,
    id: &str,
    entry: usize,
    result: Result<(), String>,
) {
    let name = match suite {
        Input => "input",
        Output => "output",
    };
    if let Some(reason) = not_applicable(suite, id) {
        tally.not_applicable += 1;
        let would = match &result {
            Ok(()) => "it passes anyway: the entry in NOT_APPLICABLE may be stale".to_owned(),
            Err(e) => format!(
                "as expected it does not pass: {}",
                clip_line(e.lines().next().unwrap_or_default())
            ),
        };
        out.push_str(&format!(
            "n/a   {name} {id} (entry {entry}): {reason}; {would}\n"
        ));
        return;
    }
    match result {
        Ok(()) => {
            tally.passed += 1;
            out.push_str(&format!("pass  {name} {id}\n"));
        }
        Err(e) => {
            tally.failed += 1;
            out.push_str(&format!("FAIL  {name} {id} (entry {entry})\n"));
            failures.push(format!(
                "FAIL {name} {id} (entry {entry}):\n  {}",
                e.replace('\n', "\n  ")
            ));
        }
    }
}
