//! awsJson 1.0/1.1 responses: success bodies and error codes.
//!
//! Spec: <https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html>.
//! The error code comes from the `X-Amzn-Errortype` header, then the body's
//! `code`, then `__type`; anything after `:` is dropped and anything up to
//! `#` is a namespace and dropped too.

use crate::error::ErrorMeta;
use crate::json::{FromJson, JsonError, JsonReader, JsonValue};

/// Normalizes an error code: `aws.protocoltests#FooError:http://...` → `FooError`.
pub fn sanitize_error_code(raw: &str) -> &str {
    let raw = raw.split(':').next().unwrap_or(raw);
    let raw = raw.rsplit('#').next().unwrap_or(raw);
    raw.trim()
}

/// The members of an error body the runtime reads; a member that is not a
/// string counts as absent.
#[derive(Default)]
struct ErrorBody {
    code: Option<String>,
    type_: Option<String>,
    message: Option<String>,
    message_upper: Option<String>,
    error_message: Option<String>,
}

impl FromJson for ErrorBody {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        let mut body = ErrorBody::default();
        r.object(&mut |r, key| {
            let slot = match key {
                "code" => &mut body.code,
                "__type" => &mut body.type_,
                "message" => &mut body.message,
                "Message" => &mut body.message_upper,
                "errorMessage" => &mut body.error_message,
                _ => return r.skip(),
            };
            *slot = match JsonValue::read_json(r)? {
                JsonValue::String(s) => Some(s),
                _ => None,
            };
            Ok(())
        })?;
        Ok(body)
    }
}

/// Reads the error code and message of an error response. A body that is
/// not a JSON object leaves both to the headers.
pub fn parse_error(status: u16, headers: &http::HeaderMap, body: &[u8]) -> ErrorMeta {
    let parsed: ErrorBody = crate::json::from_json(body).unwrap_or_default();
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

/// The request id of a response.
pub fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::to_owned)
}

/// Parses a success body; an empty body reads as `{}`.
pub fn parse_output<T: FromJson>(body: &[u8]) -> Result<T, JsonError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        crate::json::from_json(b"{}")
    } else {
        crate::json::from_json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
