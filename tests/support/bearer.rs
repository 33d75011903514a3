//! A bearer-token gate in front of an open registry, as Docker Hub and
//! most registries other than ECR authorize: a request without a valid
//! token gets 401 with `WWW-Authenticate: Bearer realm=..,service=..,scope=..`;
//! `GET /token` issues tokens for the scopes asked (to a user and password
//! given as Basic, or to anyone when the gate is anonymous), valid for
//! `expires_in` seconds; a token only opens the repositories and actions
//! of its scopes.

use std::collections::HashMap;
use std::sync::Mutex;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use crate::proxy::{Handler, HandlerFuture, Upstream, plain};

/// The gate's handler.
pub struct BearerGate {
    /// `user:password` the token service takes, or `None` for anonymous tokens.
    pub credentials: Option<String>,
    /// Tokens issued: token → scopes.
    tokens: Mutex<HashMap<String, Vec<String>>>,
    /// Scope sets asked for at the token service, in order.
    pub issued: Mutex<Vec<Vec<String>>>,
}

impl BearerGate {
    /// A gate whose token service takes `credentials` (`user:password`).
    pub fn new(credentials: Option<&str>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            credentials: credentials.map(str::to_owned),
            tokens: Mutex::new(HashMap::new()),
            issued: Mutex::new(Vec::new()),
        })
    }
}

/// The repository and action a request needs: `pull` to read, `pull,push`
/// to write; `None` for `/v2/` itself.
fn needs(method: &Method, path: &str) -> Option<(String, &'static str)> {
    let rest = path.strip_prefix("/v2/")?;
    let at = ["/blobs/", "/manifests/", "/tags/"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()?;
    let action = if *method == Method::GET || *method == Method::HEAD {
        "pull"
    } else {
        "pull,push"
    };
    Some((rest[..at].to_owned(), action))
}

fn covers(scopes: &[String], repository: &str, action: &str) -> bool {
    scopes.iter().any(|s| {
        let Some(rest) = s.strip_prefix("repository:") else {
            return false;
        };
        let Some((name, actions)) = rest.rsplit_once(':') else {
            return false;
        };
        name == repository
            && action
                .split(',')
                .all(|a| actions.split(',').any(|b| b == a))
    })
}

impl Handler for BearerGate {
    fn handle<'a>(
        &'a self,
        request: Request<Incoming>,
        upstream: &'a Upstream,
    ) -> HandlerFuture<'a> {
        Box::pin(async move {
            let host = request
                .headers()
                .get(hyper::header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("127.0.0.1")
                .to_owned();
            let auth = request
                .headers()
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if request.uri().path() == "/token" {
                if let Some(expected) = &self.credentials {
                    let given = auth
                        .as_deref()
                        .and_then(|a| a.strip_prefix("Basic "))
                        .and_then(|b| {
                            use std::io::Read;
                            let mut out = String::new();
                            base64_decode(b)?.as_slice().read_to_string(&mut out).ok()?;
                            Some(out)
                        });
                    if given.as_deref() != Some(expected.as_str()) {
                        return Ok(plain(
                            StatusCode::UNAUTHORIZED,
                            r#"{"details":"bad credentials"}"#,
                        ));
                    }
                }
                let scopes: Vec<String> = request
                    .uri()
                    .query()
                    .unwrap_or("")
                    .split('&')
                    .filter_map(|kv| kv.strip_prefix("scope="))
                    .map(|s| {
                        s.replace("%3A", ":")
                            .replace("%2C", ",")
                            .replace("%2F", "/")
                    })
                    .collect();
                let token = format!("tok-{}", self.issued.lock().unwrap().len());
                self.issued.lock().unwrap().push(scopes.clone());
                self.tokens.lock().unwrap().insert(token.clone(), scopes);
                let body = serde_json::json!({"token": token, "expires_in": 300}).to_string();
                return Ok(plain(StatusCode::OK, &body));
            }
            let need = needs(request.method(), request.uri().path());
            let allowed = auth
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .and_then(|t| self.tokens.lock().unwrap().get(t).cloned())
                .is_some_and(|scopes| match &need {
                    Some((repository, action)) => covers(&scopes, repository, action),
                    None => true,
                });
            if !allowed {
                let scope = need
                    .map(|(r, a)| format!(",scope=\"repository:{r}:{a}\""))
                    .unwrap_or_default();
                let mut response = plain(
                    StatusCode::UNAUTHORIZED,
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                );
                response.headers_mut().insert(
                    hyper::header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"http://{host}/token\",service=\"gate\"{scope}")
                        .parse()
                        .unwrap(),
                );
                return Ok(response);
            }
            let (mut parts, body) = request.into_parts();
            parts.headers.remove(hyper::header::AUTHORIZATION);
            let uri = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            let response = upstream
                .forward(
                    &parts.method,
                    &uri,
                    &parts.headers,
                    crate::proxy::body_of(body),
                )
                .await
                .map_err(|_| crate::proxy::Dropped("upstream failed"))?;
            let mut response = crate::proxy::stream_back(response, None);
            // The open registry's absolute Locations name itself.
            if let Some(location) = response
                .headers()
                .get(hyper::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| l.find("/v2/").map(|at| l[at..].to_owned()))
            {
                response
                    .headers_mut()
                    .insert(hyper::header::LOCATION, location.parse().unwrap());
            }
            Ok(response)
        })
    }
}

/// Standard base64 decoding (no dependency for a test's one use).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}
