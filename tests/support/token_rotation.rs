//! ECR tokens that expire when a test says: a stand-in in front of moto
//! answers `GetAuthorizationToken` with the current generation's token
//! (`AWS:rotating-token-<n>`, valid 12 hours by its `expiresAt`) and
//! counts the calls; the registry fault proxy ([`crate::registry_faults`])
//! admits that token only and sends the registry its real password. After
//! [`TokenRotation::expire_after`] `n` more registry requests the
//! generation moves on: the old token gets 401 from then on, as an expired
//! ECR token does, and only a new `GetAuthorizationToken` gets in.

use std::sync::Mutex;

use base64::Engine as _;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use crate::proxy::{Handler, HandlerFuture, Upstream, plain};
use crate::registry::MOTO_PASSWORD;

#[derive(Default)]
struct State {
    generation: u32,
    fetches: usize,
    admitted: usize,
    refused: usize,
    /// The `admitted` count at which the generation moves on.
    expire_at: Option<usize>,
}

/// The token generations, shared by the moto stand-in and the registry
/// proxy.
#[derive(Default)]
pub struct TokenRotation {
    state: Mutex<State>,
}

fn basic(user_and_password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(user_and_password)
}

impl TokenRotation {
    /// Generation 0, no expiry scheduled.
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The token of `generation`, as `GetAuthorizationToken` returns it.
    pub fn token(generation: u32) -> String {
        basic(&format!("AWS:rotating-token-{generation}"))
    }

    /// The token in force now expires after `n` more admitted requests.
    pub fn expire_after(&self, n: usize) {
        let mut state = self.lock();
        state.expire_at = Some(state.admitted + n);
    }

    /// `GetAuthorizationToken` calls answered.
    pub fn fetches(&self) -> usize {
        self.lock().fetches
    }

    /// Registry requests refused with 401.
    pub fn refused(&self) -> usize {
        self.lock().refused
    }

    /// The current generation.
    pub fn generation(&self) -> u32 {
        self.lock().generation
    }

    /// Whether a registry request with `authorization` gets in (counted;
    /// an expiry due now takes effect first).
    pub fn admit(&self, authorization: Option<&str>) -> bool {
        let mut state = self.lock();
        if state.expire_at == Some(state.admitted) {
            state.generation += 1;
            state.expire_at = None;
        }
        let current = format!("Basic {}", Self::token(state.generation));
        if authorization == Some(current.as_str()) {
            state.admitted += 1;
            true
        } else {
            state.refused += 1;
            false
        }
    }

    /// The `Authorization` the registry itself takes (its htpasswd entry).
    pub fn upstream_header(&self) -> String {
        format!("Basic {}", basic(&format!("AWS:{MOTO_PASSWORD}")))
    }
}

impl Handler for TokenRotation {
    fn handle<'a>(
        &'a self,
        request: Request<Incoming>,
        upstream: &'a Upstream,
    ) -> HandlerFuture<'a> {
        Box::pin(async move {
            let target = request
                .headers()
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !target.ends_with(".GetAuthorizationToken") {
                return upstream.pass(request).await;
            }
            let token = {
                let mut state = self.lock();
                state.fetches += 1;
                Self::token(state.generation)
            };
            let expires = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() + 12 * 3600)
                .unwrap_or(0);
            let answer = serde_json::json!({"authorizationData": [{
                "authorizationToken": token,
                "expiresAt": expires,
                "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
            }]})
            .to_string();
            let mut response = plain(StatusCode::OK, &answer);
            let headers = response.headers_mut();
            headers.insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
            );
            headers.insert(
                "x-amzn-requestid",
                hyper::header::HeaderValue::from_static("token-rotation"),
            );
            Ok(response)
        })
    }
}
