//! What the generated cases call.

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
pub fn check_output<O: Operation>(response: &Response, expected: O::Output) -> Result<(), String>
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
