#![no_main]
//! Error responses: `protocol::parse_error` on fuzzed headers and body, then
//! the generated `OperationError::from_response` of an operation.
//!
//! Input: `[operation] [status hi] [status lo]`, then header lines
//! (`name: value`, values may hold any byte a `HeaderValue` accepts) up to an
//! empty line, then the body. Without an empty line everything is body.

use ecrkit::http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

fn split_headers(rest: &[u8]) -> (HeaderMap, &[u8]) {
    let mut headers = HeaderMap::new();
    let Some(end) = rest.windows(2).position(|w| w == b"\n\n") else {
        return (headers, rest);
    };
    for line in rest[..end].split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = line[colon + 1..].trim_ascii();
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    (headers, &rest[end + 2..])
}

fuzz_target!(|data: &[u8]| {
    let [op, hi, lo, rest @ ..] = data else {
        return;
    };
    let status = u16::from_be_bytes([*hi, *lo]);
    let (headers, body) = split_headers(rest);
    let meta = ecrkit::protocol::parse_error(status, &headers, body);
    let _ = (meta.to_string(), ecrkit::protocol::request_id(&headers));
    if let Some(code) = &meta.code {
        assert!(!code.is_empty(), "an empty code is reported as None");
        assert!(!code.contains('#') && !code.contains(':'), "{code:?}");
    }
    let code = meta.code.clone().unwrap_or_default();
    ecr_fuzz::parse_error(usize::from(*op), &code, body, &meta);
});
