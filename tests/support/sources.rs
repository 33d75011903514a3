//! Loopback servers that speak the documented protocols of the credential
//! sources that are not STS: EC2 instance metadata (IMDSv2), the ECS/EKS
//! container endpoint, and the IAM Identity Center (SSO) portal's
//! GetRoleCredentials. Each issues numbered keys (`ASIAIMDS1`, ...) and
//! counts what it issued, so tests can tell a refresh from a cached answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use crate::http_stub::{HttpStub, StubRequest, StubResponse};

/// The IMDSv2 session token the stub issues.
pub const IMDS_TOKEN: &str = "imds-session-token-for-tests";
/// The role the stub's instance profile has.
pub const IMDS_ROLE: &str = "ecr-pusher";

/// RFC 3339 in UTC, as the credential documents write `Expiration`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    // Days to a civil date (Howard Hinnant's algorithm).
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A server that issues numbered credentials with a fixed lifetime.
pub struct SourceStub {
    /// The server.
    pub server: HttpStub,
    issued: Arc<AtomicUsize>,
}

impl SourceStub {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// How many credentials it issued.
    pub fn issued(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }
}

/// The secret and token of key number `n` of a source: tests check them.
pub fn secret_of(prefix: &str, n: usize) -> (String, String) {
    (
        format!("{prefix}-secret-{n}"),
        format!("{prefix}-session-token-{n}"),
    )
}

/// The IMDSv2 protocol
/// (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html>):
/// `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds`
/// returns a session token; every `GET` must carry it in
/// `X-aws-ec2-metadata-token` (401 otherwise);
/// `/latest/meta-data/iam/security-credentials/` names the role, and
/// `/latest/meta-data/iam/security-credentials/<role>` is its credentials
/// document.
pub fn imds(lifetime: Duration) -> SourceStub {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    let server = HttpStub::start(move |req: &StubRequest| {
        const CREDENTIALS: &str = "/latest/meta-data/iam/security-credentials/";
        match (req.method.as_str(), req.path()) {
            ("PUT", "/latest/api/token") => {
                match req.header("x-aws-ec2-metadata-token-ttl-seconds") {
                    Some(ttl) if ttl.parse::<u32>().is_ok_and(|t| (1..=21_600).contains(&t)) => {
                        StubResponse::ok(IMDS_TOKEN)
                            .with_header("content-type", "text/plain")
                            .with_header("x-aws-ec2-metadata-token-ttl-seconds", ttl)
                    }
                    _ => StubResponse::new(400, "missing or bad token TTL"),
                }
            }
            ("GET", _) if req.header("x-aws-ec2-metadata-token") != Some(IMDS_TOKEN) => {
                StubResponse::new(401, "")
            }
            ("GET", CREDENTIALS) => {
                StubResponse::ok(IMDS_ROLE).with_header("content-type", "text/plain")
            }
            ("GET", path) if path.strip_prefix(CREDENTIALS) == Some(IMDS_ROLE) => {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let (secret, token) = secret_of("imds", n);
                let now = SystemTime::now();
                StubResponse::ok(format!(
                    r#"{{"Code": "Success", "LastUpdated": "{}", "Type": "AWS-HMAC",
  "AccessKeyId": "ASIAIMDS{n}", "SecretAccessKey": "{secret}", "Token": "{token}",
  "Expiration": "{}"}}"#,
                    rfc3339(now),
                    rfc3339(now + lifetime)
                ))
                .with_header("content-type", "text/plain")
            }
            _ => StubResponse::new(404, "not found"),
        }
    });
    SourceStub { server, issued }
}

/// The container credentials endpoint of ECS and EKS Pod Identity
/// (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html>):
/// `GET <full URI>` with the `Authorization` header holding the token; the
/// answer is the credentials document. A request without the right token
/// gets 401.
pub fn container(
    path: &'static str,
    authorization: &'static str,
    lifetime: Duration,
) -> SourceStub {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    let server = HttpStub::start(move |req: &StubRequest| {
        if req.method != "GET" || req.path() != path {
            return StubResponse::new(404, "not found");
        }
        if req.header("authorization") != Some(authorization) {
            return StubResponse::new(401, r#"{"message": "bad authorization token"}"#);
        }
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let (secret, token) = secret_of("container", n);
        StubResponse::ok(format!(
            r#"{{"AccessKeyId": "ASIACONTAINER{n}", "SecretAccessKey": "{secret}",
  "Token": "{token}", "AccountId": "123456789012", "Expiration": "{}"}}"#,
            rfc3339(SystemTime::now() + lifetime)
        ))
    });
    SourceStub { server, issued }
}

/// The SSO portal's GetRoleCredentials
/// (<https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/API_GetRoleCredentials.html>):
/// `GET /federation/credentials?role_name=..&account_id=..` with the access
/// token of the SSO token cache in `x-amz-sso_bearer_token`; the answer's
/// `expiration` is in epoch milliseconds.
pub fn sso_portal(
    access_token: &'static str,
    account: &'static str,
    role: &'static str,
    lifetime: Duration,
) -> SourceStub {
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    let server = HttpStub::start(move |req: &StubRequest| {
        if req.method != "GET" || req.path() != "/federation/credentials" {
            return StubResponse::new(404, "not found");
        }
        if req.header("x-amz-sso_bearer_token") != Some(access_token) {
            return StubResponse::new(401, r#"{"message": "Session token not found or invalid"}"#)
                .with_header("x-amzn-errortype", "UnauthorizedException");
        }
        if req.query("role_name") != Some(role) || req.query("account_id") != Some(account) {
            return StubResponse::new(403, r#"{"message": "No access"}"#)
                .with_header("x-amzn-errortype", "ForbiddenException");
        }
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let (secret, token) = secret_of("sso", n);
        let expiration = (SystemTime::now() + lifetime)
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        StubResponse::ok(format!(
            r#"{{"roleCredentials": {{"accessKeyId": "ASIASSO{n}", "secretAccessKey": "{secret}",
  "sessionToken": "{token}", "expiration": {expiration}}}}}"#
        ))
    });
    SourceStub { server, issued }
}
