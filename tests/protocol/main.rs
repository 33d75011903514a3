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
pub mod harness;

mod server;
use server::*;

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
