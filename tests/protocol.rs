//! awsJson protocol conformance, case by case, from botocore's suites of
//! the pinned botocore 1.44.5 sdist that `scripts/setup.sh` extracts:
//! awsJson1.1 (`tests/unit/protocols/input/json.json`, 54 cases, and
//! `output/json.json`, 58), awsJson1.0 (`json_1_0.json`, 21 and 32) and an
//! awsQuery-compatible awsJson1.0 service (`json_1_0-query-compatible.json`,
//! 1 and 2).
//!
//! Nothing from the suites is committed: `tests/protocol/build.rs` runs
//! `tools/protocol_gen.py`, which declares every suite entry's service,
//! shapes and operation with our DSL and writes one function per case into
//! `OUT_DIR`.
//!
//! - Input cases: the request value is serialized with
//!   [`Operation::write_body`] and compared, as JSON, with the suite's body.
//!   Then it is sent with a real [`Client`] to a loopback HTTP server, which
//!   records what arrived: method, URI, `Content-Type`, `X-Amz-Target`
//!   and the other headers the case names (a gzipped body is gunzipped and
//!   compared with `write_body`'s). A case's `host` is compared with
//!   [`Client::request_url`] for the case's client endpoint (the host
//!   prefix of the endpoint trait included); the wire request of such a
//!   case goes to the loopback server with host prefixes off.
//! - Output cases: the suite's response goes through the runtime's parsing,
//!   [`ecrkit::protocol::parse_output`] for a success and
//!   [`ecrkit::protocol::parse_error_of`] then the generated `<Op>Error`'s
//!   [`OperationError::from_response`] for an error, and the result is
//!   compared with the suite's expected value (declared as a Rust value).
//!
//! A case that cannot apply to this design would be listed in
//! [`NOT_APPLICABLE`] with the feature it needs; none is today. The test
//! prints one line per suite and direction:
//! `awsJson1.1 input suite: 54 passed, 0 failed, 0 not applicable (of 54)`.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ecrkit::{Client, Config, Credentials};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Cases of each suite in botocore 1.44.5: (suite, input, output).
const PINNED: &[(&str, usize, usize)] = &[
    ("awsJson1.1", 54, 58),
    ("awsJson1.0", 21, 32),
    ("awsJson1.0 query-compatible", 1, 2),
];

/// Which direction of a suite a case is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Direction {
    Input,
    Output,
}
use Direction::{Input, Output};

/// Cases that cannot apply to this design: (suite, direction, id, the
/// feature they need). Empty: every case runs and passes.
const NOT_APPLICABLE: &[(&str, Direction, &str, &str)] = &[];

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

    /// One suite file pair: its name and, per direction, the file (relative
    /// to the botocore directory), its fingerprint and its cases.
    pub struct Suite {
        /// `awsJson1.1`, ...
        pub name: &'static str,
        /// The input suite.
        pub input: (&'static str, u64, &'static [InputCase]),
        /// The output suite.
        pub output: (&'static str, u64, &'static [OutputCase]),
    }

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
        /// Where `client` would send it: [`Client::request_url`].
        fn request_url(&self, client: &Client) -> Result<String, String>;
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
        fn request_url(&self, client: &Client) -> Result<String, String> {
            client
                .request_url(self)
                .map(|u| u.to_string())
                .map_err(|e| e.to_string())
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
        /// The suite entry's metadata.
        pub metadata: serde_json::Value,
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
        fn error_meta(&self, service: &ServiceInfo) -> Result<ErrorMeta, String> {
            let headers = match TryFrom::try_from(&self.headers) {
                Ok(h) => h,
                Err(e) => return Err(format!("the suite's headers are not valid HTTP: {e:?}")),
            };
            Ok(ecrkit::protocol::parse_error_of(
                service,
                self.status,
                &headers,
                &self.body,
            ))
        }

        /// The entry's protocol must be the one the service descriptor speaks.
        fn check_service(&self, info: &ServiceInfo) -> Result<(), String> {
            let meta = &self.metadata;
            if meta["jsonVersion"].as_str() != Some(info.json_version)
                || meta["targetPrefix"].as_str() != Some(info.target_prefix)
                || meta.get("awsQueryCompatible").is_some() != info.query_compatible
            {
                return Err(format!(
                    "suite metadata {meta} does not match the service descriptor {info:?}"
                ));
            }
            Ok(())
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
    same_by_eq!(
        String,
        bool,
        i8,
        i16,
        i32,
        i64,
        bytes::Bytes,
        Timestamp,
        serde_json::Value
    );

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
        response.check_service(&<O::Service as Service>::INFO)?;
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
        let info = <O::Service as Service>::INFO;
        response.check_service(&info)?;
        let want = response.error_code.as_deref().unwrap_or("");
        let meta = response.error_meta(&info)?;
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

fn client_for(endpoint: &str, host_prefix: bool) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_host_prefix_disabled(!host_prefix)
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
        || meta.get("awsQueryCompatible").is_some() != info.query_compatible
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
            // No body in the case: the parameters, by their wire names (the
            // compression cases name none), and `{}` for none.
            None => {
                let want = match &case["params"] {
                    Value::Object(p) if !p.is_empty() => case["params"].clone(),
                    _ => serde_json::json!({}),
                };
                if !json_eq(&got, &want) {
                    problems.push(format!(
                        "body: expected the parameters {}, got {}",
                        clip(&want.to_string()),
                        clip(&text)
                    ));
                }
            }
        },
    }

    // The request on the wire, sent by the client to the loopback server.
    let endpoint = data["clientEndpoint"].as_str().map(url_parts::parse);
    let base_path = endpoint
        .as_ref()
        .map_or("", |u| u.path.trim_end_matches('/'));
    // The loopback server has no name to prefix: host prefixes are checked
    // below, through `request_url`.
    let client = client_for(&format!("http://{}{}", ctx.addr, base_path), false);
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
            // A compressed body is gunzipped (and must be a gzip stream).
            let wire = match request.header("content-encoding") {
                Some("gzip") => {
                    let mut plain = Vec::new();
                    match std::io::Read::read_to_end(
                        &mut flate2::read::GzDecoder::new(&request.body[..]),
                        &mut plain,
                    ) {
                        Ok(_) => plain,
                        Err(e) => {
                            problems.push(format!("the gzip body does not decompress: {e}"));
                            request.body.clone()
                        }
                    }
                }
                _ => request.body.clone(),
            };
            if wire != body {
                problems.push(format!(
                    "the body on the wire differs from write_body's\n  wire:       {}\n  write_body: {}",
                    clip(&String::from_utf8_lossy(&wire)),
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
        match op.request_url(&client_for(endpoint, true)) {
            Ok(url) => {
                let got = resolved_host(&url_parts::parse(&url));
                if got != want {
                    problems.push(format!("host: got {got}, expected {want}"));
                }
            }
            Err(e) => problems.push(format!("request_url({endpoint}) failed: {e}")),
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
        metadata: data["metadata"].clone(),
    }
}

fn check_output(data: &Value, check: harness::CheckFn) -> Result<(), String> {
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

fn not_applicable(suite: &str, direction: Direction, id: &str) -> Option<&'static str> {
    NOT_APPLICABLE
        .iter()
        .find(|(s, d, i, _)| *s == suite && *d == direction && *i == id)
        .map(|(_, _, _, r)| *r)
}

#[test]
fn awsjson_protocol_suites() {
    if let Some(problem) = generated::PROBLEM {
        panic!("{problem}");
    }
    let mut out = String::new();
    let mut failures: Vec<String> = Vec::new();

    // The suites: the pinned counts, and the very files the cases came from.
    let dir = Path::new(generated::BOTOCORE_DIR);
    for suite in generated::SUITES {
        let pinned = PINNED.iter().find(|(n, ..)| *n == suite.name);
        let sides = [
            (
                Input,
                suite.input.0,
                suite.input.1,
                suite.input.2.len(),
                pinned.map(|p| p.1),
            ),
            (
                Output,
                suite.output.0,
                suite.output.1,
                suite.output.2.len(),
                pinned.map(|p| p.2),
            ),
        ];
        for (direction, rel, fingerprint, generated_count, pinned) in sides {
            let path = dir.join(rel);
            let ids = match suite_cases(&path, fingerprint) {
                Err(e) => panic!("{e}"),
                Ok(ids) => ids,
            };
            if Some(ids.len()) != pinned {
                failures.push(format!(
                    "{} {direction:?} suite {} has {} cases, the pinned botocore 1.44.5 has {pinned:?}",
                    suite.name,
                    path.display(),
                    ids.len()
                ));
            }
            if ids.len() != generated_count {
                failures.push(format!(
                    "{} {direction:?} suite: {} cases but {generated_count} generated",
                    suite.name,
                    ids.len()
                ));
            }
            for (s, d, id, _) in NOT_APPLICABLE {
                if *s == suite.name && *d == direction && !ids.iter().any(|i| i == id) {
                    failures.push(format!(
                        "{s} {d:?} {id}: listed as not applicable but not in the suite"
                    ));
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

    let mut summary = Vec::new();
    for suite in generated::SUITES {
        let mut input = Tally::default();
        for case in suite.input.2 {
            let data: Value = serde_json::from_str(case.data).expect("generated case JSON");
            let result = match case.build {
                Some(build) => check_input(&ctx, &data, &*build()),
                None => Err(format!(
                    "the generator could not declare this case: {}",
                    case.unsupported
                )),
            };
            let at = (suite.name, Input, case.id, case.entry);
            record(&mut out, &mut failures, &mut input, at, result);
        }
        let mut output = Tally::default();
        for case in suite.output.2 {
            let data: Value = serde_json::from_str(case.data).expect("generated case JSON");
            let result = match case.check {
                Some(check) => check_output(&data, check),
                None => Err(format!(
                    "the generator could not declare this case: {}",
                    case.unsupported
                )),
            };
            let at = (suite.name, Output, case.id, case.entry);
            record(&mut out, &mut failures, &mut output, at, result);
        }
        for (direction, tally, total) in [
            ("input", &input, suite.input.2.len()),
            ("output", &output, suite.output.2.len()),
        ] {
            summary.push(format!(
                "{} {direction} suite: {} passed, {} failed, {} not applicable (of {total})",
                suite.name, tally.passed, tally.failed, tally.not_applicable
            ));
        }
    }

    if !failures.is_empty() {
        out.push_str(&format!("\n{} failure(s):\n", failures.len()));
        for f in &failures {
            out.push_str(&format!("\n{f}\n"));
        }
        out.push('\n');
    }
    let summary = summary.join("\n");
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
    (suite, direction, id, entry): (&str, Direction, &str, usize),
    result: Result<(), String>,
) {
    let name = match direction {
        Input => "input",
        Output => "output",
    };
    if let Some(reason) = not_applicable(suite, direction, id) {
        tally.not_applicable += 1;
        let would = match &result {
            Ok(()) => "it passes anyway: the entry in NOT_APPLICABLE may be stale".to_owned(),
            Err(e) => format!(
                "as expected it does not pass: {}",
                clip_line(e.lines().next().unwrap_or_default())
            ),
        };
        out.push_str(&format!(
            "n/a   {suite} {name} {id} (entry {entry}): {reason}; {would}\n"
        ));
        return;
    }
    match result {
        Ok(()) => {
            tally.passed += 1;
            out.push_str(&format!("pass  {suite} {name} {id}\n"));
        }
        Err(e) => {
            tally.failed += 1;
            out.push_str(&format!("FAIL  {suite} {name} {id} (entry {entry})\n"));
            failures.push(format!(
                "FAIL {suite} {name} {id} (entry {entry}):\n  {}",
                e.replace('\n', "\n  ")
            ));
        }
    }
}
