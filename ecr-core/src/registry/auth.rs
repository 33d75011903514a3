//! Authorization for the registry protocol.
//!
//! - **ECR**: `GetAuthorizationToken` returns a token that is already the
//!   base64 of `AWS:<password>`; it goes in `Authorization: Basic <token>`
//!   on every request. It is valid 12 hours; the client fetches it once,
//!   shares it between concurrent requests, and fetches a new one 15
//!   minutes before it expires (or when the registry refuses it). ECR has
//!   no bearer exchange.
//! - **Any other OCI registry**: the client sends nothing first; a 401 names
//!   the scheme in `WWW-Authenticate`. `Basic` gets the configured user and
//!   password; `Bearer realm=..,service=..,scope=..` gets a token from the
//!   realm (with the user and password, if any, as Basic; anonymously
//!   otherwise), per the token spec
//!   (<https://distribution.github.io/distribution/spec/auth/token/>),
//!   cached per scope until its `expires_in` (60 s when absent) runs out.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderValue;
use serde::Deserialize;

use super::error::{RegistryError, read_limited, request_id};
use crate::client::Client;
use crate::ecr::GetAuthorizationToken;

/// How long ECR documents its tokens to be valid.
pub const ECR_TOKEN_VALIDITY: Duration = Duration::from_secs(12 * 3600);

/// A token is replaced this long before it expires.
const ECR_REFRESH_MARGIN: Duration = Duration::from_secs(15 * 60);

/// Who a registry client is.
#[derive(Clone)]
pub enum RegistryCredentials {
    /// No credentials (public registries, anonymous bearer tokens).
    Anonymous,
    /// A user name and a password or token, for Basic authorization or a
    /// bearer token service.
    Basic {
        /// The user name.
        username: String,
        /// The password or token.
        password: String,
    },
    /// Amazon ECR: the token from `GetAuthorizationToken`, through this
    /// client, for this registry (the caller's own when `None`).
    Ecr {
        /// The ECR API client.
        client: Client,
        /// The registry (account id).
        registry_id: Option<String>,
    },
}

impl std::fmt::Debug for RegistryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryCredentials::Anonymous => f.write_str("Anonymous"),
            RegistryCredentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"** redacted **")
                .finish(),
            RegistryCredentials::Ecr { registry_id, .. } => f
                .debug_struct("Ecr")
                .field("registry_id", registry_id)
                .finish_non_exhaustive(),
        }
    }
}

/// An ECR authorization token, as `GetAuthorizationToken` returned it.
#[derive(Clone)]
pub struct EcrToken {
    /// The `Authorization` header value (`Basic <token>`), marked sensitive.
    pub header: HeaderValue,
    /// The registry endpoint the token is for (`https://<account>.dkr.ecr.<region>.amazonaws.com`).
    pub proxy_endpoint: Option<String>,
    /// When the service says it expires.
    pub expires_at: Option<SystemTime>,
}

impl std::fmt::Debug for EcrToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcrToken")
            .field("header", &"** redacted **")
            .field("proxy_endpoint", &self.proxy_endpoint)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Calls `GetAuthorizationToken` for `registry_id` (the caller's when `None`).
pub async fn fetch_ecr_token(
    client: &Client,
    registry_id: Option<&str>,
) -> Result<EcrToken, RegistryError> {
    let out = GetAuthorizationToken {
        registry_ids: registry_id.map(|id| vec![id.to_owned()]),
    }
    .send(client)
    .await
    .map_err(|e| RegistryError::Auth {
        registry: registry_id.unwrap_or("ECR").to_owned(),
        message: format!("GetAuthorizationToken: {e}"),
        request_id: e.request_id().map(str::to_owned),
    })?;
    let data = out
        .authorization_data
        .unwrap_or_default()
        .into_iter()
        .next()
        .ok_or_else(|| RegistryError::Auth {
            registry: registry_id.unwrap_or("ECR").to_owned(),
            message: "GetAuthorizationToken returned no authorization data".into(),
            request_id: None,
        })?;
    let token = data.authorization_token.unwrap_or_default();
    let mut header = HeaderValue::try_from(format!("Basic {token}"))
        .ok()
        .filter(|_| !token.is_empty())
        .ok_or_else(|| RegistryError::Auth {
            registry: registry_id.unwrap_or("ECR").to_owned(),
            message: "GetAuthorizationToken returned an empty or malformed token".into(),
            request_id: None,
        })?;
    header.set_sensitive(true);
    Ok(EcrToken {
        header,
        proxy_endpoint: data.proxy_endpoint,
        expires_at: data.expires_at.map(|t| t.to_system_time()),
    })
}

/// When to replace a token fetched at `fetched` that says it expires at
/// `expires_at`: 15 minutes before that. An expiry already past when the
/// token arrived (a clock far off, or a test server's fixed date) cannot be
/// meant; the documented 12 hours from the fetch are used instead, and a
/// refusal by the registry fetches a new token anyway.
pub(crate) fn ecr_refresh_at(
    fetched: (Instant, SystemTime),
    expires_at: Option<SystemTime>,
) -> Instant {
    let (now, wall) = fetched;
    let validity = expires_at
        .and_then(|t| t.duration_since(wall).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(ECR_TOKEN_VALIDITY)
        .min(ECR_TOKEN_VALIDITY);
    now + validity.saturating_sub(ECR_REFRESH_MARGIN.min(validity / 2))
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` value; a bearer challenge wins over a basic
/// one when both are offered.
pub(crate) fn parse_challenge(value: &str) -> Option<Challenge> {
    let mut challenges = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (scheme, after) = rest.split_once(' ').unwrap_or((rest, ""));
        let scheme = scheme.trim_end_matches(',').to_ascii_lowercase();
        let (params, remaining) = parse_params(after);
        challenges.push((scheme, params));
        rest = remaining.trim_start_matches([',', ' ']);
    }
    let bearer = challenges.iter().find(|(s, _)| s == "bearer");
    if let Some((_, params)) = bearer {
        let realm = params.get("realm")?.clone();
        return Some(Challenge::Bearer {
            realm,
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        });
    }
    challenges
        .iter()
        .any(|(s, _)| s == "basic")
        .then_some(Challenge::Basic)
}

/// Reads `key=value` pairs (values quoted or tokens) up to the start of
/// the next challenge; returns them and the rest.
fn parse_params(mut text: &str) -> (HashMap<String, String>, &str) {
    let mut params = HashMap::new();
    loop {
        text = text.trim_start_matches([',', ' ']);
        let Some(eq) = text.find('=') else {
            return (params, text);
        };
        let key = &text[..eq];
        if key.contains(' ') || key.is_empty() {
            // A new scheme starts here.
            return (params, text);
        }
        let after = &text[eq + 1..];
        let (value, rest) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            value.push(next);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        params.insert(key.to_ascii_lowercase(), value);
        text = rest;
    }
}

/// A header and when to stop using it.
#[derive(Clone)]
struct Cached {
    header: HeaderValue,
    refresh_at: Instant,
}

impl Cached {
    fn fresh(&self) -> bool {
        Instant::now() < self.refresh_at
    }
}

#[derive(Default)]
struct State {
    ecr: Option<Cached>,
    /// The registry asked for Basic.
    basic: bool,
    /// The registry asked for a bearer token from this realm.
    bearer: Option<(String, Option<String>)>,
    /// Bearer tokens by scope set.
    tokens: HashMap<String, Cached>,
}

/// The token service's answer.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Holds credentials and the headers obtained with them.
pub(crate) struct Authenticator {
    registry: String,
    credentials: RegistryCredentials,
    state: tokio::sync::Mutex<State>,
}

impl Authenticator {
    pub(crate) fn new(registry: String, credentials: RegistryCredentials) -> Self {
        Self {
            registry,
            credentials,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    pub(crate) fn credentials(&self) -> &RegistryCredentials {
        &self.credentials
    }

    /// Seeds the ECR header with a token already fetched.
    pub(crate) async fn seed_ecr(&self, token: &EcrToken) {
        let mut state = self.state.lock().await;
        state.ecr = Some(Cached {
            header: token.header.clone(),
            refresh_at: ecr_refresh_at((Instant::now(), SystemTime::now()), token.expires_at),
        });
    }

    fn auth_error(&self, message: impl Into<String>, request_id: Option<String>) -> RegistryError {
        RegistryError::Auth {
            registry: self.registry.clone(),
            message: message.into(),
            request_id,
        }
    }

    fn basic_header(&self) -> Option<HeaderValue> {
        let RegistryCredentials::Basic { username, password } = &self.credentials else {
            return None;
        };
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let mut value = HeaderValue::try_from(format!("Basic {encoded}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// The header to send with a request needing `scopes`, when it is known
    /// before the registry asks.
    pub(crate) async fn header(
        &self,
        http: &reqwest::Client,
        scopes: &[String],
    ) -> Result<Option<HeaderValue>, RegistryError> {
        let mut state = self.state.lock().await;
        if let RegistryCredentials::Ecr {
            client,
            registry_id,
        } = &self.credentials
        {
            if let Some(cached) = state.ecr.as_ref().filter(|c| c.fresh()) {
                return Ok(Some(cached.header.clone()));
            }
            let fetched = (Instant::now(), SystemTime::now());
            let token = fetch_ecr_token(client, registry_id.as_deref()).await?;
            let cached = Cached {
                header: token.header.clone(),
                refresh_at: ecr_refresh_at(fetched, token.expires_at),
            };
            state.ecr = Some(cached);
            return Ok(Some(token.header));
        }
        if state.basic {
            return Ok(self.basic_header());
        }
        if let Some((realm, service)) = state.bearer.clone() {
            let key = scopes.join(" ");
            if let Some(cached) = state.tokens.get(&key).filter(|c| c.fresh()) {
                return Ok(Some(cached.header.clone()));
            }
            let cached = self
                .fetch_token(http, &realm, service.as_deref(), scopes)
                .await?;
            state.tokens.insert(key, cached.clone());
            return Ok(Some(cached.header));
        }
        Ok(None)
    }

    /// Answers a 401: learns the scheme from `www_authenticate` and returns
    /// the header to retry with. `sent` is the header the refused request
    /// carried: if it was the current one, a fresh one is fetched (ECR,
    /// bearer) or the refusal is final (Basic).
    pub(crate) async fn challenge(
        &self,
        http: &reqwest::Client,
        www_authenticate: Option<&str>,
        scopes: &[String],
        sent: Option<&HeaderValue>,
        request_id: Option<String>,
    ) -> Result<HeaderValue, RegistryError> {
        if let RegistryCredentials::Ecr {
            client,
            registry_id,
        } = &self.credentials
        {
            let mut state = self.state.lock().await;
            let current = state.ecr.as_ref().map(|c| c.header.clone());
            if current.is_some() && current.as_ref() != sent {
                // Another request already replaced the refused token.
                return current.ok_or_else(|| self.auth_error("no token", None));
            }
            let fetched = (Instant::now(), SystemTime::now());
            let token = fetch_ecr_token(client, registry_id.as_deref()).await?;
            if sent == Some(&token.header) {
                return Err(self.auth_error(
                    "the registry refused the token GetAuthorizationToken returned",
                    request_id,
                ));
            }
            state.ecr = Some(Cached {
                header: token.header.clone(),
                refresh_at: ecr_refresh_at(fetched, token.expires_at),
            });
            return Ok(token.header);
        }
        let challenge = www_authenticate.and_then(parse_challenge).ok_or_else(|| {
            self.auth_error(
                format!(
                    "HTTP 401 with no usable WWW-Authenticate challenge ({:?})",
                    www_authenticate.unwrap_or("none")
                ),
                request_id.clone(),
            )
        })?;
        let mut state = self.state.lock().await;
        match challenge {
            Challenge::Basic => {
                let header = self.basic_header().ok_or_else(|| {
                    self.auth_error(
                        "the registry asks for a user name and password (Basic) and none is configured",
                        request_id.clone(),
                    )
                })?;
                if sent == Some(&header) {
                    return Err(self.auth_error(
                        "the registry refused the user name and password",
                        request_id,
                    ));
                }
                state.basic = true;
                Ok(header)
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                // Cached under the request's scopes (what `header` looks up);
                // fetched with the challenge's scope added, if it is new.
                let key = scopes.join(" ");
                let mut scopes = scopes.to_vec();
                if let Some(s) = scope.filter(|s| !scopes.contains(s)) {
                    scopes.push(s);
                }
                if let Some(cached) = state.tokens.get(&key).filter(|c| c.fresh())
                    && sent != Some(&cached.header)
                {
                    return Ok(cached.header.clone());
                }
                let cached = self
                    .fetch_token(http, &realm, service.as_deref(), &scopes)
                    .await?;
                if sent == Some(&cached.header) {
                    return Err(self.auth_error(
                        "the registry refused the token its token service issued",
                        request_id,
                    ));
                }
                state.bearer = Some((realm, service));
                state.tokens.insert(key, cached.clone());
                Ok(cached.header)
            }
        }
    }

    async fn fetch_token(
        &self,
        http: &reqwest::Client,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<Cached, RegistryError> {
        let mut url = reqwest::Url::parse(realm)
            .map_err(|e| self.auth_error(format!("bad token realm {realm:?}: {e}"), None))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            for scope in scopes {
                query.append_pair("scope", scope);
            }
        }
        let mut request = http.get(url.clone());
        if let Some(basic) = self.basic_header() {
            request = request.header(reqwest::header::AUTHORIZATION, basic);
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| RegistryError::transport("bearer token", &url, e))?;
        let status = response.status();
        let id = request_id(response.headers());
        let body = read_limited(response, 1 << 20).await;
        if !status.is_success() {
            return Err(self.auth_error(
                format!(
                    "the token service answered HTTP {}: {}",
                    status.as_u16(),
                    super::error::parse_error_body(&body).1
                ),
                id,
            ));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| self.auth_error(format!("the token service's answer: {e}"), id.clone()))?;
        let token = parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.auth_error("the token service returned no token", id))?;
        let mut header = HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| self.auth_error("the token service returned a malformed token", None))?;
        header.set_sensitive(true);
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(60).max(1));
        Ok(Cached {
            header,
            refresh_at: started
                + lifetime.saturating_sub((lifetime / 10).min(Duration::from_secs(30))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_parse_with_quoted_commas() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:a/b:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="basic-realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge(r#"basic realm=x"#), Some(Challenge::Basic));
        assert_eq!(
            parse_challenge(r#"Basic realm="r", Bearer realm="https://t/", service=s"#),
            Some(Challenge::Bearer {
                realm: "https://t/".into(),
                service: Some("s".into()),
                scope: None
            })
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="no realm""#), None);
    }

    #[test]
    fn ecr_tokens_are_replaced_before_they_expire() {
        let now = Instant::now();
        let wall = SystemTime::now();
        // ECR says 12 hours: replaced 15 minutes before.
        let at = ecr_refresh_at((now, wall), Some(wall + ECR_TOKEN_VALIDITY));
        assert_eq!(at - now, ECR_TOKEN_VALIDITY - ECR_REFRESH_MARGIN);
        // An expiry in the past when it arrived: 12 hours from the fetch.
        let at = ecr_refresh_at((now, wall), Some(wall - Duration::from_secs(3600)));
        assert_eq!(at - now, ECR_TOKEN_VALIDITY - ECR_REFRESH_MARGIN);
        // A short token is replaced half-way, not after it expired.
        let at = ecr_refresh_at((now, wall), Some(wall + Duration::from_secs(600)));
        assert_eq!(at - now, Duration::from_secs(300));
        // Longer than 12 hours is not believed.
        let at = ecr_refresh_at((now, wall), Some(wall + 3 * ECR_TOKEN_VALIDITY));
        assert_eq!(at - now, ECR_TOKEN_VALIDITY - ECR_REFRESH_MARGIN);
    }

    #[test]
    fn credentials_debug_hides_the_password() {
        let c = RegistryCredentials::Basic {
            username: "AWS".into(),
            password: "hunter2".into(),
        };
        let shown = format!("{c:?}");
        assert!(
            shown.contains("AWS") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
