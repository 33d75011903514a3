//! awsJson 1.0/1.1 responses: success bodies, error codes and modeled
//! error bodies.
//!
//! Spec: <https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html>.
//! The error code comes from the `X-Amzn-Errortype` header, then the body's
//! `code`, then `__type`; anything after `:` is dropped and anything up to
//! `#` is a namespace and dropped too.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::error::ErrorMeta;
use crate::operation::ModeledError;

/// Normalizes an error code: `aws.protocoltests#FooError:http://...` → `FooError`.
pub fn sanitize_error_code(raw: &str) -> &str {
    let raw = raw.split(':').next().unwrap_or(raw);
    let raw = raw.rsplit('#').next().unwrap_or(raw);
    raw.trim()
}

/// The members of an error body the runtime reads; a member that is not a
/// string counts as absent.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct ErrorBody {
    #[serde(deserialize_with = "string_or_absent")]
    code: Option<String>,
    #[serde(rename = "__type", deserialize_with = "string_or_absent")]
    type_: Option<String>,
    #[serde(deserialize_with = "string_or_absent")]
    message: Option<String>,
    #[serde(rename = "Message", deserialize_with = "string_or_absent")]
    message_upper: Option<String>,
    #[serde(rename = "errorMessage", deserialize_with = "string_or_absent")]
    error_message: Option<String>,
}

fn string_or_absent<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde::Deserialize::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

/// Reads the error code and message of an error response. A body that is
/// not a JSON object leaves both to the headers.
pub fn parse_error(status: u16, headers: &http::HeaderMap, body: &[u8]) -> ErrorMeta {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let code = header("x-amzn-errortype")
        .or(parsed.code)
        .or(parsed.type_)
        .map(|c| sanitize_error_code(&c).to_owned())
        .filter(|c| !c.is_empty());
    let message = parsed
        .message
        .or(parsed.message_upper)
        .or(parsed.error_message);
    ErrorMeta {
        status,
        code,
        message,
        request_id: request_id(headers),
        extended_request_id: header("x-amz-id-2"),
    }
}

/// [`parse_error`] for `service`: for a service that declares
/// `awsQueryCompatible`, the code is the one the `x-amzn-query-error`
/// header names (`Customized;Sender` gives `Customized`), where present.
pub fn parse_error_of(
    service: &crate::service::ServiceInfo,
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
) -> ErrorMeta {
    let mut meta = parse_error(status, headers, body);
    if service.query_compatible
        && let Some(code) = headers
            .get("x-amzn-query-error")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim)
            .filter(|c| !c.is_empty())
    {
        meta.code = Some(code.to_owned());
    }
    meta
}

/// The request id of a response.
pub fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::to_owned)
}

/// Parses a success body; an empty body reads as `{}`.
pub fn parse_output<T: DeserializeOwned>(body: &[u8]) -> Result<T, ParseError> {
    from_json(or_empty_object(body))
}

/// Parses the body of a modeled error; `None` if it does not parse, and the
/// caller falls back to the unmodeled variant (the code and request id are
/// kept either way).
pub fn parse_modeled<T: ModeledError>(body: &[u8], meta: &ErrorMeta) -> Option<T> {
    let mut error: T = parse_output(body).ok()?;
    error.fill_message(meta.message.as_deref());
    Some(error)
}

/// An empty (or all white space) body reads as `{}`.
fn or_empty_object(body: &[u8]) -> &[u8] {
    if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    }
}

/// Reads the whole of `body` as a `T` with serde_json: white space may
/// surround the value, nothing else may follow it. A failure names the
/// member path.
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ParseError> {
    // Tracking the path costs about as much as the parse itself, so it is
    // paid only for a body that fails: read once plainly, and a second time
    // with the path for the error.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        ParseError::new(path, e.into_inner())
    })?;
    de.end().map_err(|e| ParseError::new(String::new(), e))?;
    Ok(value)
}

/// A body that does not read as the expected value. Its message names the
/// member path and the place in the body, and never quotes a string of the
/// body (which may be a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    message: String,
    path: String,
    line: usize,
    column: usize,
    eof: bool,
}

impl ParseError {
    fn new(path: String, e: serde_json::Error) -> Self {
        let (line, column) = (e.line(), e.column());
        let text = e.to_string();
        // serde_json's Display is the message, then where it was found.
        let suffix = format!(" at line {line} column {column}");
        let message = text.strip_suffix(&suffix).unwrap_or(&text);
        Self {
            message: redact_strings(message),
            // serde_path_to_error calls the top level `.`.
            path: if path == "." { String::new() } else { path },
            line,
            column,
            eof: e.is_eof(),
        }
    }

    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The member path of the value, such as `repositories[2].createdAt`;
    /// empty for the top-level value.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The line (from 1) where it was found; 0 when not in the body.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column (from 1) where it was found.
    pub fn column(&self) -> usize {
        self.column
    }

    /// Whether the body ended before the value did (a truncated response).
    pub fn is_eof(&self) -> bool {
        self.eof
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if self.line > 0 {
            write!(f, " at line {} column {}", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// serde's messages quote the string it found (`invalid type: string
/// "S3CR3T", expected i32`); the string is the body's, so it goes.
fn redact_strings(message: &str) -> String {
    const QUOTED: &str = "string \"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(QUOTED) {
        out.push_str(&rest[..at]);
        out.push_str("a string");
        // Skip the Debug-escaped string up to its closing quote.
        let mut chars = rest[at + QUOTED.len()..].char_indices();
        let mut end = rest.len() - at - QUOTED.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[at + QUOTED.len() + end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_name_the_path_and_never_quote_a_string() {
        let e = from_json::<std::collections::HashMap<String, Vec<Option<i32>>>>(
            br#"{"a": [1, null], "b": [3, "S3CR3T \" \\ x"]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path(), "b[1]");
        let text = e.to_string();
        assert_eq!(
            text,
            "b[1]: invalid type: a string, expected i32 at line 1 column 42"
        );
        assert!(!text.contains("S3CR3T"));
        let e = from_json::<Vec<i32>>(b"[1, 2").unwrap_err();
        assert!(e.is_eof(), "{e}");
        let e = from_json::<Vec<i32>>(b"[1] x").unwrap_err();
        assert_eq!(e.message(), "trailing characters");
    }

    #[test]
    fn sanitizes_codes_as_the_protocol_defines() {
        assert_eq!(sanitize_error_code("FooError"), "FooError");
        assert_eq!(
            sanitize_error_code("aws.protocoltests.restjson#FooError"),
            "FooError"
        );
        assert_eq!(
            sanitize_error_code("aws.protocoltests.restjson#FooError:http://internal.amazon.com/"),
            "FooError"
        );
        assert_eq!(
            sanitize_error_code("FooError:http://internal.amazon.com/"),
            "FooError"
        );
    }

    #[test]
    fn header_wins_over_body() {
        let mut h = http::HeaderMap::new();
        h.insert("x-amzn-errortype", "HeaderError".parse().unwrap());
        h.insert("x-amzn-requestid", "rid-1".parse().unwrap());
        let meta = parse_error(400, &h, br#"{"__type":"BodyError","message":"m"}"#);
        assert_eq!(meta.code.as_deref(), Some("HeaderError"));
        assert_eq!(meta.message.as_deref(), Some("m"));
        assert_eq!(meta.request_id.as_deref(), Some("rid-1"));
    }

    #[test]
    fn code_before_type() {
        let meta = parse_error(
            400,
            &http::HeaderMap::new(),
            br#"{"code":"A","__type":"ns#B"}"#,
        );
        assert_eq!(meta.code.as_deref(), Some("A"));
        let meta = parse_error(
            400,
            &http::HeaderMap::new(),
            br#"{"__type":"ns#B","Message":"x"}"#,
        );
        assert_eq!(meta.code.as_deref(), Some("B"));
        assert_eq!(meta.message.as_deref(), Some("x"));
    }
}
