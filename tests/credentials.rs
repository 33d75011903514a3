//! The AWS SDKs' default credentials chain of `Config::from_env`, end to
//! end: each source configured as CI runners, clusters and laptops
//! configure it, in a child process with an environment of its own (the
//! `credentials-probe` program), against the server the source talks to:
//!
//! | source | configured by | served by |
//! | --- | --- | --- |
//! | environment | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | |
//! | shared files | `~/.aws/credentials` and `~/.aws/config` static keys, `AWS_PROFILE` | |
//! | assume role | `role_arn` + `source_profile`, two hops | moto's STS `AssumeRole` |
//! | credential_process | `credential_process` in the profile | a script |
//! | SSO | `sso_session` (and legacy `sso_start_url`), token cache in `~/.aws/sso/cache` | a loopback portal: `GetRoleCredentials` |
//! | web identity | `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME` | moto's STS `AssumeRoleWithWebIdentity` |
//! | container endpoint | `AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN` / `_FILE` | a loopback endpoint |
//! | EC2 instance metadata | `AWS_EC2_METADATA_SERVICE_ENDPOINT` (IMDSv2) | a loopback IMDS |
//!
//! `chain_sources_end_to_end` runs every source and prints
//! `credentials chain: K of K sources tested end to end`; the tests after
//! it check the chain's order, refresh before expiry, one fetch for a burst
//! of requests, `AWS_EC2_METADATA_DISABLED`, and the errors. Everything
//! listens on 127.0.0.1; the STS and SSO calls go there through
//! `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL_SSO`.

use std::time::{Duration, SystemTime};

use ecr_tests::http_stub::{HttpStub, StubRequest};
use ecr_tests::sources::{self, rfc3339, secret_of};
use ecr_tests::{Moto, Probe};

const PROBE: &str = env!("CARGO_BIN_EXE_credentials-probe");
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLE//session+token/value==";
const ROLE: &str = "arn:aws:iam::123456789012:role/ecr-pusher";

/// One source's end-to-end check.
type SourceCheck = fn(&Moto) -> Result<(), String>;

/// The sources, in the order of the chain.
const SOURCES: &[(&str, SourceCheck)] = &[
    ("environment", environment),
    ("shared config and credentials files", shared_files),
    (
        "assume role (source_profile + role_arn, moto STS)",
        assume_role,
    ),
    ("credential_process", credential_process),
    ("SSO (token cache, portal GetRoleCredentials)", sso),
    ("web identity (moto STS)", web_identity),
    (
        "container endpoint (ECS, EKS Pod Identity)",
        container_endpoint,
    ),
    ("EC2 instance metadata (IMDSv2)", instance_metadata),
];

fn probe(tag: &str) -> Probe {
    Probe::new(PROBE, tag)
}

/// `Err` with a message unless `cond`.
fn check(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what()) }
}

fn is_temporary(key: &str) -> bool {
    key.starts_with("ASIA") || key.starts_with("FSIA")
}

/// A form field of an STS query body (values are percent-encoded).
fn form_field(body: &[u8], name: &str) -> Option<String> {
    let body = String::from_utf8_lossy(body);
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.replace("%3A", ":").replace("%2F", "/"))
    })
}

/// The key id a SigV4 `Authorization` header was signed with.
fn signed_with(authorization: Option<&str>) -> Option<String> {
    let credential = authorization?.split("Credential=").nth(1)?;
    Some(credential.split('/').next()?.to_owned())
}

fn environment(_: &Moto) -> Result<(), String> {
    let p = probe("env")
        .var("AWS_ACCESS_KEY_ID", "AKIDENV")
        .var("AWS_SECRET_ACCESS_KEY", SECRET)
        .var("AWS_SESSION_TOKEN", TOKEN);
    let got = p.provide()?;
    check(
        got == ("AKIDENV".into(), SECRET.into(), Some(TOKEN.into())),
        || format!("{got:?}"),
    )
}

fn shared_files(_: &Moto) -> Result<(), String> {
    let p = probe("files");
    p.file(
        ".aws/credentials",
        &format!("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = {SECRET}\n"),
    );
    p.file(
        ".aws/config",
        &format!(
            "[profile dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret\n\
             aws_session_token = {TOKEN}\n"
        ),
    );
    let default = p.provide()?;
    check(default == ("AKIDFILE".into(), SECRET.into(), None), || {
        format!("default profile: {default:?}")
    })?;
    let dev = p.var("AWS_PROFILE", "dev").provide()?;
    check(
        dev == ("AKIDDEV".into(), "dev-secret".into(), Some(TOKEN.into())),
        || format!("profile dev from the config file: {dev:?}"),
    )
}

fn assume_role(moto: &Moto) -> Result<(), String> {
    let sts = HttpStub::relay(&moto.endpoint);
    let p = probe("assume-role").var("AWS_ENDPOINT_URL_STS", sts.url());
    p.file(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
    );
    p.file(
        ".aws/config",
        &format!(
            "[profile pusher]\nrole_arn = {ROLE}\nsource_profile = base\nrole_session_name = ecrkit-hop-1\n\
             [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/ecr-admin\n\
             source_profile = pusher\nrole_session_name = ecrkit-hop-2\n"
        ),
    );
    let (key, secret, token) = p.var("AWS_PROFILE", "admin").provide()?;
    check(
        is_temporary(&key) && !secret.is_empty() && token.is_some(),
        || format!("not STS credentials: {key}"),
    )?;
    // Two hops: the first signed with the base profile's keys, the second
    // with the first hop's credentials. A hop may be sent again (the SDK
    // retries a call whose answer is slow, as on a loaded machine), but the
    // chain runs once: hop 1's calls, then hop 2's.
    let calls: Vec<_> = sts
        .requests()
        .into_iter()
        .filter(|r| form_field(&r.body, "Action").as_deref() == Some("AssumeRole"))
        .collect();
    let described = || {
        let each: Vec<String> = calls
            .iter()
            .map(|r| {
                format!(
                    "{} signed with {}",
                    form_field(&r.body, "RoleSessionName").unwrap_or_default(),
                    signed_with(r.header("authorization")).unwrap_or_default()
                )
            })
            .collect();
        format!("{} AssumeRole calls: {}", calls.len(), each.join(", "))
    };
    let hop = |r: &StubRequest| form_field(&r.body, "RoleSessionName");
    let mut hops: Vec<Option<String>> = calls.iter().map(hop).collect();
    hops.dedup();
    check(
        hops == [
            Some("ecrkit-hop-1".to_owned()),
            Some("ecrkit-hop-2".to_owned()),
        ] && calls.len() <= 4,
        described,
    )?;
    let (first, second): (Vec<_>, Vec<_>) = calls
        .iter()
        .partition(|r| hop(r).as_deref() == Some("ecrkit-hop-1"));
    check(
        first.iter().all(|r| {
            form_field(&r.body, "RoleArn").as_deref() == Some(ROLE)
                && signed_with(r.header("authorization")).as_deref() == Some("AKIDBASE")
        }),
        described,
    )?;
    check(
        second.iter().all(|r| {
            let hop1_key = signed_with(r.header("authorization")).unwrap_or_default();
            is_temporary(&hop1_key) && hop1_key != key
        }),
        described,
    )
}

fn credential_process(_: &Moto) -> Result<(), String> {
    let p = probe("process");
    let expiration = rfc3339(SystemTime::now() + Duration::from_secs(3600));
    let script = p.file(
        "bin/creds.sh",
        &format!(
            "echo run >> \"$HOME/runs\"\ncat <<'JSON'\n{{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \
             \"SecretAccessKey\": \"{SECRET}\", \"SessionToken\": \"{TOKEN}\", \"Expiration\": \"{expiration}\"}}\nJSON\n"
        ),
    );
    p.file(
        ".aws/config",
        &format!("[default]\ncredential_process = sh {script}\n"),
    );
    let out = p.run(&["provide"]);
    let ok = &out.lines[0]["ok"];
    check(
        ok["access_key_id"] == "ASIAPROC"
            && ok["secret_access_key"] == SECRET
            && ok["session_token"] == TOKEN,
        || format!("{}", out.lines[0]),
    )?;
    let left = ok["expires_in_s"].as_i64().unwrap_or(0);
    check((3500..=3600).contains(&left), || {
        format!("Expiration read as {left} s from now")
    })
}

fn sso(_: &Moto) -> Result<(), String> {
    use sha1::Digest;
    let portal = sources::sso_portal(
        "sso-access-token",
        "123456789012",
        "ECRPush",
        Duration::from_secs(3600),
    );
    let p = probe("sso").var("AWS_ENDPOINT_URL_SSO", portal.url());
    let start_url = "https://corp.awsapps.com/start";
    let expires = rfc3339(SystemTime::now() + Duration::from_secs(8 * 3600));
    let cache = format!(
        r#"{{"accessToken": "sso-access-token", "expiresAt": "{expires}", "region": "us-east-1", "startUrl": "{start_url}"}}"#
    );
    // The cache file is named by the SHA-1 of the session name (sso_session)
    // or of the start URL (the legacy profile keys).
    for key in ["corp", start_url] {
        let name = hex::encode(sha1::Sha1::digest(key.as_bytes()));
        p.file(&format!(".aws/sso/cache/{name}.json"), &cache);
    }
    p.file(
        ".aws/config",
        &format!(
            "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ECRPush\n\
             [sso-session corp]\nsso_start_url = {start_url}\nsso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n\
             [profile legacy]\nsso_start_url = {start_url}\nsso_region = us-east-1\n\
             sso_account_id = 123456789012\nsso_role_name = ECRPush\n"
        ),
    );
    let session = p.var("AWS_PROFILE", "dev");
    let (key, secret, token) = session.provide()?;
    let (want_secret, want_token) = secret_of("sso", 1);
    check(
        key == "ASIASSO1" && secret == want_secret && token.as_deref() == Some(&*want_token),
        || format!("sso-session profile: {key}"),
    )?;
    let legacy = session.var("AWS_PROFILE", "legacy").provide()?;
    check(legacy.0 == "ASIASSO2", || {
        format!("legacy SSO profile: {}", legacy.0)
    })?;
    let requests = portal.server.requests();
    check(
        requests.len() == 2
            && requests.iter().all(|r| {
                r.header("x-amz-sso_bearer_token") == Some("sso-access-token")
                    && r.query("role_name") == Some("ECRPush")
                    && r.query("account_id") == Some("123456789012")
            }),
        || format!("portal saw {requests:?}"),
    )
}

fn web_identity(moto: &Moto) -> Result<(), String> {
    let sts = HttpStub::relay(&moto.endpoint);
    let p = probe("web-identity").var("AWS_ENDPOINT_URL_STS", sts.url());
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y2k6cHVzaGVyIn0.c2ln";
    let token_file = p.file(
        "var/run/secrets/eks.amazonaws.com/serviceaccount/token",
        jwt,
    );
    let p = p
        .var("AWS_WEB_IDENTITY_TOKEN_FILE", token_file)
        .var("AWS_ROLE_ARN", ROLE)
        .var("AWS_ROLE_SESSION_NAME", "github-actions-run-42");
    let (key, secret, token) = p.provide()?;
    check(
        is_temporary(&key) && !secret.is_empty() && token.is_some(),
        || format!("not STS credentials: {key}"),
    )?;
    let calls = sts.requests();
    let call = calls
        .iter()
        .find(|r| form_field(&r.body, "Action").as_deref() == Some("AssumeRoleWithWebIdentity"))
        .ok_or_else(|| {
            format!(
                "no AssumeRoleWithWebIdentity among {} requests",
                calls.len()
            )
        })?;
    check(
        form_field(&call.body, "RoleArn").as_deref() == Some(ROLE)
            && form_field(&call.body, "RoleSessionName").as_deref()
                == Some("github-actions-run-42")
            && form_field(&call.body, "WebIdentityToken").as_deref() == Some(jwt)
            && call.header("authorization").is_none(),
        || format!("the call: {:?}", String::from_utf8_lossy(&call.body)),
    )
}

fn container_endpoint(_: &Moto) -> Result<(), String> {
    // ECS: the token in the environment.
    let ecs = sources::container(
        "/v2/credentials/task",
        "ecs-auth-token",
        Duration::from_secs(3600),
    );
    let p = probe("ecs")
        .var(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/v2/credentials/task", ecs.url()),
        )
        .var("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-token");
    let (key, secret, _) = p.provide()?;
    check(
        key == "ASIACONTAINER1" && secret == secret_of("container", 1).0,
        || format!("ECS: {key}"),
    )?;
    // EKS Pod Identity: the token in a file the agent rotates.
    let eks = sources::container(
        "/v1/credentials",
        "eks-pod-identity-token",
        Duration::from_secs(3600),
    );
    let p = probe("eks");
    let token_file = p.file(
        "var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
        "eks-pod-identity-token",
    );
    let p = p
        .var(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/v1/credentials", eks.url()),
        )
        .var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file);
    let (key, ..) = p.provide()?;
    check(key == "ASIACONTAINER1" && eks.issued() == 1, || {
        format!("EKS: {key}")
    })
}

fn instance_metadata(_: &Moto) -> Result<(), String> {
    let imds = sources::imds(Duration::from_secs(6 * 3600));
    let p = probe("imds")
        .unset("AWS_EC2_METADATA_DISABLED")
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
    let (key, secret, token) = p.provide()?;
    let (want_secret, want_token) = secret_of("imds", 1);
    check(
        key == "ASIAIMDS1" && secret == want_secret && token.as_deref() == Some(&*want_token),
        || key.clone(),
    )?;
    let s = &imds.server;
    check(
        s.count("/latest/api/token") >= 1
            && s.count("/latest/meta-data/iam/security-credentials/") >= 1
            && s.requests()
                .iter()
                .all(|r| r.method == "PUT" || r.header("x-aws-ec2-metadata-token").is_some()),
        || format!("IMDS saw {:?}", s.requests()),
    )
}

#[test]
fn chain_sources_end_to_end() {
    let moto = Moto::start();
    let mut passed = 0;
    let mut failures = Vec::new();
    for (name, run) in SOURCES {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&moto)))
            .unwrap_or_else(|panic| {
                Err(panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panicked".to_owned()))
            });
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("credentials chain source {name}: ok");
            }
            Err(e) => {
                println!("credentials chain source {name}: FAILED: {e}");
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    println!(
        "credentials chain: {passed} of {} sources tested end to end",
        SOURCES.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_chain_goes_in_the_sdks_order() {
    let moto = Moto::start();
    let sts = HttpStub::relay(&moto.endpoint);
    let ecs = sources::container("/creds", "t", Duration::from_secs(3600));
    let imds = sources::imds(Duration::from_secs(3600));
    let every = probe("order")
        .unset("AWS_EC2_METADATA_DISABLED")
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url())
        .var(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", ecs.url()),
        )
        .var("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t")
        .var("AWS_ENDPOINT_URL_STS", sts.url())
        .var("AWS_ROLE_ARN", ROLE)
        .var("AWS_ACCESS_KEY_ID", "AKIDENV")
        .var("AWS_SECRET_ACCESS_KEY", "env-secret");
    let token = every.file("token", "eyJ.e30.c2ln");
    every.file(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n",
    );
    let every = every.var("AWS_WEB_IDENTITY_TOKEN_FILE", token);
    assert_eq!(every.provide().unwrap().0, "AKIDENV", "1. the environment");
    let no_env = every
        .unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    assert_eq!(no_env.provide().unwrap().0, "AKIDFILE", "2. the profile");
    std::fs::remove_file(no_env.home.0.join(".aws/credentials")).unwrap();
    let key = no_env.provide().unwrap().0;
    assert!(
        is_temporary(&key) && !key.contains("CONTAINER"),
        "3. web identity: {key}"
    );
    assert_eq!(sts.requests().len(), 1);
    let no_web = no_env
        .unset("AWS_WEB_IDENTITY_TOKEN_FILE")
        .unset("AWS_ROLE_ARN");
    assert_eq!(
        no_web.provide().unwrap().0,
        "ASIACONTAINER1",
        "4. the container endpoint"
    );
    let only_imds = no_web.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    assert_eq!(
        only_imds.provide().unwrap().0,
        "ASIAIMDS1",
        "5. instance metadata"
    );
    // Each source was asked only when every one before it had nothing.
    assert_eq!((ecs.issued(), imds.issued()), (1, 1));
}

#[test]
fn credentials_are_refreshed_before_they_expire() {
    // Credentials that expire in five minutes and two seconds are fresh for
    // two seconds (the refresh margin is five minutes).
    let imds = sources::imds(Duration::from_secs(302));
    let p = probe("refresh")
        .unset("AWS_EC2_METADATA_DISABLED")
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
    let out = p.run(&["refresh", "4"]);
    let keys: Vec<_> = out
        .lines
        .iter()
        .map(|l| l["ok"]["access_key_id"].clone())
        .collect();
    assert_eq!(keys, ["ASIAIMDS1", "ASIAIMDS2"], "{}", out.stdout);
    assert_eq!(imds.issued(), 2);
    let left = out.lines[1]["ok"]["expires_in_s"].as_i64().unwrap();
    assert!((295..=302).contains(&left), "{left}");
}

#[test]
fn a_burst_of_requests_fetches_once() {
    let imds = sources::imds(Duration::from_secs(3600));
    let p = probe("burst")
        .unset("AWS_EC2_METADATA_DISABLED")
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
    let out = p.run(&["burst", "64"]);
    let keys = out.lines[0]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 64);
    assert!(keys.iter().all(|k| k == "ASIAIMDS1"), "{keys:?}");
    assert_eq!(imds.issued(), 1, "one fetch for 64 concurrent requests");
    assert_eq!(imds.server.count("/latest/api/token"), 1);
}

#[test]
fn instance_metadata_off_sends_nothing() {
    let imds = sources::imds(Duration::from_secs(3600));
    let p = probe("imds-off")
        .var("AWS_EC2_METADATA_DISABLED", "true")
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
    let out = p.run(&["provide"]);
    assert_eq!(out.lines[0]["not_found"], true, "{}", out.stdout);
    assert!(imds.server.requests().is_empty());
}

#[test]
fn no_credentials_is_a_not_found_error() {
    let out = probe("none").run(&["provide"]);
    let line = &out.lines[0];
    assert_eq!(line["not_found"], true, "{line}");
    let text = line["error"].as_str().unwrap();
    assert!(text.starts_with("no AWS credentials found: "), "{text}");
}

#[test]
fn a_container_uri_off_loopback_over_http_is_refused() {
    // The spec allows plain http only to loopback and the ECS/EKS link-local
    // addresses: a token must not travel elsewhere in the clear.
    let p = probe("container-remote")
        .var(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://192.0.2.10/creds",
        )
        .var(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "secret-container-token",
        );
    let err = p.provide().unwrap_err();
    assert!(err.contains("could not load AWS credentials"), "{err}");
    assert!(!err.contains("secret-container-token"), "{err}");
}

#[test]
fn a_broken_profile_stops_the_chain() {
    // A profile that names a role without a source is a configuration
    // error: reported, not skipped for the next source.
    let ecs = sources::container("/creds", "t", Duration::from_secs(3600));
    let p = probe("broken")
        .var(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", ecs.url()),
        )
        .var("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t")
        .var("AWS_PROFILE", "broken");
    p.file(
        ".aws/config",
        &format!("[profile broken]\nrole_arn = {ROLE}\n"),
    );
    let err = p.provide().unwrap_err();
    assert!(err.starts_with("could not load AWS credentials"), "{err}");
    assert_eq!(ecs.issued(), 0);
    // A profile that AWS_PROFILE names but no file defines passes to the
    // next source (as in aws-config and the Rust SDK); with none left, the
    // error names it.
    let absent = p.var("AWS_PROFILE", "absent");
    assert_eq!(absent.provide().unwrap().0, "ASIACONTAINER1");
    let err = absent
        .unset("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .provide()
        .unwrap_err();
    assert!(
        err.starts_with("no AWS credentials found") && err.contains("absent"),
        "{err}"
    );
}

#[test]
fn a_failing_credential_process_is_reported() {
    let p = probe("process-fails");
    let script = p.file(
        "fail.sh",
        "echo 'no session: run login first' >&2\nexit 3\n",
    );
    p.file(
        ".aws/config",
        &format!("[default]\ncredential_process = sh {script}\n"),
    );
    let err = p.provide().unwrap_err();
    assert!(err.starts_with("could not load AWS credentials"), "{err}");
    assert!(err.contains("exit") || err.contains("status"), "{err}");
}
