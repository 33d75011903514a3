//! Credentials: the environment, the shared config and credentials files,
//! `credential_process`, caching and refresh, the errors' text, and secrets
//! kept out of Debug output, errors and logs.
//!
//! No test touches the process environment: each builds an
//! [`ecrkit::config::Env`] of its own, with the files in a temporary
//! directory.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ecrkit::Client;
use ecrkit::config::Env;
use ecrkit::config::profile::ProfileSet;
use ecrkit::credentials::{
    CachingProvider, ChainProvider, CredentialsError, CredentialsFuture, EnvProvider,
    ProcessProvider, ProfileProvider, ProvideCredentials, StaticProvider, default_provider,
};
use ecrkit::{Config, Credentials};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLE//session+token/value==";

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ecr-credentials-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> String {
        self.0.to_str().expect("UTF-8 temp dir").to_owned()
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// An environment with the two files here (written if given) and HOME here.
    fn env(&self, config: Option<&str>, credentials: Option<&str>) -> Env {
        let config_path = self.0.join("config").to_str().unwrap().to_owned();
        let credentials_path = self.0.join("credentials").to_str().unwrap().to_owned();
        if let Some(text) = config {
            self.write("config", text);
        }
        if let Some(text) = credentials {
            self.write("credentials", text);
        }
        Env::from_vars([
            ("HOME", self.path()),
            ("AWS_CONFIG_FILE", config_path),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials_path),
        ])
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn load(env: &Env) -> Result<Credentials, CredentialsError> {
    block_on(default_provider(env).provide())
}

fn keys(c: &Credentials) -> (&str, &str, Option<&str>) {
    (c.access_key_id(), c.secret_access_key(), c.session_token())
}

#[test]
fn environment_variables() {
    let dir = TempDir::new("env");
    let env = dir
        .env(
            None,
            Some("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file\n"),
        )
        .with_var("AWS_ACCESS_KEY_ID", "AKIDENV")
        .with_var("AWS_SECRET_ACCESS_KEY", SECRET)
        .with_var("AWS_SESSION_TOKEN", TOKEN);
    let c = load(&env).unwrap();
    assert_eq!(
        keys(&c),
        ("AKIDENV", SECRET, Some(TOKEN)),
        "the environment wins"
    );

    let half = dir.env(None, None).with_var("AWS_ACCESS_KEY_ID", "AKIDENV");
    assert_eq!(
        load(&half).unwrap_err().to_string(),
        "could not load AWS credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
    );
    // Blank variables are unset: the chain goes on to the profile.
    let blank = dir
        .env(None, None)
        .with_var("AWS_ACCESS_KEY_ID", "")
        .with_var("AWS_SECRET_ACCESS_KEY", " ");
    assert_eq!(load(&blank).unwrap().access_key_id(), "AKIDFILE");
}

#[test]
fn missing_credentials_error_text() {
    let dir = TempDir::new("missing");
    let env = Env::from_vars([("HOME", dir.path())]);
    assert_eq!(
        load(&env).unwrap_err().to_string(),
        format!(
            "no AWS credentials found: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; \
             no profile `default` in {0}/.aws/config or {0}/.aws/credentials",
            dir.path()
        )
    );
    let named = env.clone().with_var("AWS_PROFILE", "prod");
    assert_eq!(
        load(&named).unwrap_err().to_string(),
        format!(
            "could not load AWS credentials: profile `prod` is not defined in {0}/.aws/config \
             or {0}/.aws/credentials",
            dir.path()
        )
    );
    let empty_profile = dir.env(Some("[default]\nregion = us-east-1\n"), None);
    assert_eq!(
        load(&empty_profile).unwrap_err().to_string(),
        "no AWS credentials found: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; \
         profile `default` has no credentials (aws_access_key_id, credential_process)"
    );
}

#[test]
fn credentials_file_default_profile() {
    let dir = TempDir::new("credfile");
    let env = dir.env(
        None,
        Some(&format!(
            "# comment\n[default]\naws_access_key_id = AKIDDEFAULT ; a comment\n\
             aws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        )),
    );
    let c = load(&env).unwrap();
    assert_eq!(keys(&c), ("AKIDDEFAULT", SECRET, Some(TOKEN)));
    assert_eq!(c.expiry(), None);
}

#[test]
fn static_keys_in_the_config_file() {
    let dir = TempDir::new("configkeys");
    let env = dir.env(
        Some("[profile dev]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = cfg-secret\n"),
        None,
    );
    let c = load(&env.with_var("AWS_PROFILE", "dev")).unwrap();
    assert_eq!(keys(&c), ("AKIDCONFIG", "cfg-secret", None));
}

#[test]
fn profile_sections_and_precedence() {
    let dir = TempDir::new("precedence");
    let env = dir.env(
        Some(
            "[dev]\naws_access_key_id = IGNORED-NO-PREFIX\naws_secret_access_key = x\n\
             [profile dev]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = config-secret\nregion = eu-west-3\n\
             [default]\naws_access_key_id = PLAIN-DEFAULT\naws_secret_access_key = x\n\
             [profile default]\naws_access_key_id = PREFIXED-DEFAULT\naws_secret_access_key = x\n",
        ),
        Some(
            "[profile dev]\naws_access_key_id = IGNORED-PREFIX\naws_secret_access_key = x\n\
             [dev]\naws_secret_access_key = credentials-secret\n",
        ),
    );
    // `[profile dev]` of the config and `[dev]` of the credentials file are
    // one profile, the credentials file winning key by key.
    let dev = env.clone().with_var("AWS_PROFILE", "dev");
    let c = load(&dev).unwrap();
    assert_eq!(keys(&c), ("AKIDCONFIG", "credentials-secret", None));
    assert_eq!(
        Config::from_env_with(&dev).build().region.as_deref(),
        Some("eu-west-3")
    );
    // `[profile default]` wins over `[default]` in the config file.
    assert_eq!(load(&env).unwrap().access_key_id(), "PREFIXED-DEFAULT");
    // A chosen profile also comes from ProfileProvider::with_profile.
    let p = ProfileProvider::new(env).with_profile("dev");
    assert_eq!(block_on(p.provide()).unwrap().access_key_id(), "AKIDCONFIG");
}

#[test]
fn a_broken_file_is_reported_with_its_line() {
    let dir = TempDir::new("broken");
    let env = dir.env(
        None,
        Some(&format!("[default]\naws_access_key_id = A\n{SECRET}\n")),
    );
    let e = load(&env).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "could not load AWS credentials: the AWS shared config: {}/credentials line 3: \
             property: expected `key = value`",
            dir.path()
        )
    );
    assert!(!format!("{e:?}").contains(SECRET));
}

#[test]
fn profiles_left_to_aws_config() {
    let dir = TempDir::new("delegated");
    let env = dir.env(
        Some("[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = default\n[profile sso]\nsso_session = corp\n"),
        Some("[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n"),
    );
    assert_eq!(
        load(&env.clone().with_var("AWS_PROFILE", "admin"))
            .unwrap_err()
            .to_string(),
        "could not load AWS credentials: profile `admin` uses assume role (`role_arn`), which \
         needs ecrkit's `aws-config` cargo feature"
    );
    assert_eq!(
        load(&env.with_var("AWS_PROFILE", "sso"))
            .unwrap_err()
            .to_string(),
        "could not load AWS credentials: profile `sso` uses IAM Identity Center (SSO) \
         (`sso_session`), which needs ecrkit's `aws-config` cargo feature"
    );
}

/// A `credential_process` script that counts its runs in `runs` and prints
/// `json`.
fn process_script(dir: &TempDir, json: &str, exit: i32, stderr: &str) -> String {
    let out = dir.write("out.json", json);
    let runs = dir.0.join("runs");
    dir.write(
        "process.sh",
        &format!(
            "echo run >> '{}'\ncat '{out}'\necho '{stderr}' >&2\nexit {exit}\n",
            runs.display()
        ),
    );
    format!("sh {}/process.sh", dir.path())
}

fn runs(dir: &TempDir) -> usize {
    std::fs::read_to_string(dir.0.join("runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn rfc3339(t: SystemTime) -> String {
    // Seconds since the epoch to a civil date (Howard Hinnant's algorithm).
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
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

#[test]
fn credential_process() {
    let dir = TempDir::new("process");
    let expiry = SystemTime::now() + Duration::from_secs(3600);
    let command = process_script(
        &dir,
        &format!(
            r#"{{"Version": 1, "AccessKeyId": "ASIAPROCESS", "SecretAccessKey": "{SECRET}",
               "SessionToken": "{TOKEN}", "Expiration": "{}"}}"#,
            rfc3339(expiry)
        ),
        0,
        "",
    );
    let env = dir.env(
        Some(&format!(
            "[default]\ncredential_process = {command}\nregion = us-east-1\n"
        )),
        None,
    );
    let provider = default_provider(&env);
    let c = block_on(provider.provide()).unwrap();
    assert_eq!(keys(&c), ("ASIAPROCESS", SECRET, Some(TOKEN)));
    let got = c
        .expiry()
        .unwrap()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let want = expiry
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(got, want);
    // Cached: an hour is far from the five-minute margin.
    block_on(provider.provide()).unwrap();
    assert_eq!(runs(&dir), 1);

    // Expiring in 5 minutes and a fraction of a second: reloaded once the
    // five-minute margin is reached.
    let soon = process_script(
        &dir,
        &format!(
            r#"{{"Version": 1, "AccessKeyId": "ASIASOON", "SecretAccessKey": "s", "Expiration": "{}"}}"#,
            rfc3339(SystemTime::now() + Duration::from_secs(301))
        ),
        0,
        "",
    );
    let provider = CachingProvider::new(ProcessProvider::new(soon));
    let before = runs(&dir);
    block_on(async {
        provider.provide().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        provider.provide().await.unwrap();
    });
    assert_eq!(runs(&dir) - before, 2);
}

#[test]
fn credential_process_failures_do_not_echo_secrets() {
    let dir = TempDir::new("process-fail");
    let creds = format!(
        r#"{{"Version": 1, "AccessKeyId": "ASIA", "SecretAccessKey": "{SECRET}", "SessionToken": "{TOKEN}"}}"#
    );
    let cases = [
        // Fails after printing credentials.
        (
            creds.clone(),
            3,
            "credential helper: session expired".to_owned(),
            "the command failed (exit status: 3); its messages, if any, are on standard error"
                .to_owned(),
        ),
        (
            format!(r#"{{"Version": 2, "AccessKeyId": "ASIA", "SecretAccessKey": "{SECRET}"}}"#),
            0,
            String::new(),
            "Version 2 is not supported (expected 1)".to_owned(),
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": "ASIA", "SecretAccessKey": "{SECRET}""#),
            0,
            String::new(),
            "the command's output is not JSON (it ends early at line 1 column 100)".to_owned(),
        ),
        (
            format!(r#"Version=1 SecretAccessKey={SECRET}"#),
            0,
            String::new(),
            "the command's output is not JSON (syntax error at line 1 column 1)".to_owned(),
        ),
        (
            format!(
                r#"{{"Version": 1, "AccessKeyId": "ASIA", "SecretAccessKey": "{SECRET}", "Expiration": "2001-01-01T00:00:00Z"}}"#
            ),
            0,
            String::new(),
            "the credentials expired at 2001-01-01T00:00:00Z".to_owned(),
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": "ASIA", "SessionToken": "{TOKEN}"}}"#),
            0,
            String::new(),
            "the output has no SecretAccessKey".to_owned(),
        ),
    ];
    for (output, exit, stderr, want) in cases {
        let command = process_script(&dir, &output, exit, &stderr);
        let env = dir
            .env(
                Some(&format!("[profile p]\ncredential_process = {command}\n")),
                None,
            )
            .with_var("AWS_PROFILE", "p");
        let e = load(&env).unwrap_err();
        let text = format!("{e} {e:?}");
        assert_eq!(
            e.to_string(),
            format!("could not load AWS credentials: credential_process of profile `p`: {want}")
        );
        assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
    }
    let missing = ProcessProvider::new("/nonexistent/credential-helper --token abc");
    let e = block_on(missing.provide()).unwrap_err().to_string();
    assert!(e.starts_with("could not load AWS credentials: credential_process: the command failed (exit status: 127)"), "{e}");
    assert!(!format!("{missing:?}").contains("--token"));
}

/// Returns credentials expiring after the given delays, in turn, counting
/// its calls; each call takes 20 ms.
#[derive(Debug)]
struct Counting {
    calls: AtomicUsize,
    lifetimes: Mutex<VecDeque<Result<Option<Duration>, ()>>>,
}

impl Counting {
    fn new(lifetimes: impl IntoIterator<Item = Result<Option<Duration>, ()>>) -> Arc<Counting> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetimes: Mutex::new(lifetimes.into_iter().collect()),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl ProvideCredentials for Counting {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            let next = self
                .lifetimes
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Ok(None));
            match next {
                Ok(lifetime) => Ok(Credentials::new(
                    format!("AKID{n}"),
                    SECRET,
                    Some(TOKEN.to_owned()),
                    lifetime.map(|d| SystemTime::now() + d),
                    "counting",
                )),
                Err(()) => Err(CredentialsError::Provider(format!("refresh {n} failed"))),
            }
        })
    }
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

async fn burst(cache: &Arc<CachingProvider>) -> Vec<String> {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.provide().await.unwrap().access_key_id().to_owned() })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids
}

#[test]
fn refreshes_before_expiry_and_once_under_concurrency() {
    let lifetime = |ms: u64| Ok(Some(Duration::from_millis(ms)));
    // AKID1 lives 5 minutes and 300 ms: fresh for 300 ms.
    let inner = Counting::new([lifetime(300_300), lifetime(3_600_000), lifetime(3_600_000)]);
    let cache = Arc::new(CachingProvider::from_shared(inner.clone()));
    multi_thread().block_on(async {
        // 16 callers at once, nothing cached: one load.
        assert_eq!(burst(&cache).await, vec!["AKID1"; 16]);
        assert_eq!(inner.calls(), 1);
        // Past the five-minute margin: the next burst reloads, once.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(burst(&cache).await, vec!["AKID2"; 16]);
        assert_eq!(inner.calls(), 2);
        // AKID2 lasts an hour: cached.
        for _ in 0..10 {
            assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID2");
        }
        assert_eq!(inner.calls(), 2);
        cache.invalidate();
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID3");
    });
}

#[test]
fn credentials_inside_the_margin_are_shared_briefly() {
    // Four minutes left on arrival: inside the margin, used for 10 s by
    // every caller rather than reloaded per call.
    let inner = Counting::new([Ok(Some(Duration::from_secs(240)))]);
    let cache = Arc::new(CachingProvider::from_shared(inner.clone()));
    multi_thread().block_on(async {
        assert_eq!(burst(&cache).await, vec!["AKID1"; 16]);
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
    });
    assert_eq!(inner.calls(), 1);
    // With one second left, half of it.
    let inner = Counting::new([Ok(Some(Duration::from_millis(1000))), Ok(None)]);
    let cache = CachingProvider::from_shared(inner.clone());
    block_on(async {
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID2");
    });
}

#[test]
fn a_failed_refresh_keeps_credentials_that_are_still_valid() {
    // AKID1 is fresh for 100 ms, then valid for five more minutes.
    let inner = Counting::new([Ok(Some(Duration::from_millis(300_100))), Err(()), Err(())]);
    let cache = CachingProvider::from_shared(inner.clone());
    block_on(async {
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        tokio::time::sleep(Duration::from_millis(150)).await;
        // The refresh fails; AKID1 has five minutes left.
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        // Not retried on every call.
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        assert_eq!(inner.calls(), 2);
    });
    // Errors are not cached, and without credentials they are returned.
    let inner = Counting::new([Err(()), Ok(None)]);
    let cache = CachingProvider::from_shared(inner.clone());
    block_on(async {
        assert_eq!(
            cache.provide().await.unwrap_err().to_string(),
            "could not load AWS credentials: refresh 1 failed"
        );
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID2");
    });
}

#[test]
fn credentials_without_expiry_are_reloaded_after_the_ttl() {
    let inner = Counting::new([Ok(None), Ok(None)]);
    let cache = CachingProvider::from_shared(inner.clone())
        .with_ttl_without_expiry(Duration::from_millis(50));
    block_on(async {
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID2");
    });
}

/// A subscriber that writes every span and event, with all fields, to a
/// string.
mod capture {
    use std::fmt::Write;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub struct Capture(pub Arc<Mutex<String>>);

    struct Fields<'a>(&'a mut String);

    impl Visit for Fields<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let mut out = self.0.lock().unwrap();
            let _ = write!(out, "\nspan {}", span.metadata().name());
            span.record(&mut Fields(&mut out));
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, values: &Record<'_>) {
            values.record(&mut Fields(&mut self.0.lock().unwrap()));
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut out = self.0.lock().unwrap();
            let _ = write!(out, "\nevent {}", event.metadata().level());
            event.record(&mut Fields(&mut out));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[test]
fn secrets_stay_out_of_debug_errors_and_logs() {
    let dir = TempDir::new("redaction");
    let process = process_script(
        &dir,
        &format!(
            r#"{{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "{SECRET}", "SessionToken": "{TOKEN}"}}"#
        ),
        0,
        "",
    );
    let env = dir
        .env(
            Some(&format!(
                "[default]\nregion = us-east-1\n[profile proc]\ncredential_process = {process}\n\
                 [profile half]\naws_secret_access_key = {SECRET}\n"
            )),
            Some(&format!("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n")),
        )
        .with_var("AWS_SECRET_ACCESS_KEY", SECRET)
        .with_var("AWS_SESSION_TOKEN", TOKEN);

    let capture = capture::Capture::default();
    let mut shown: Vec<String> = Vec::new();
    tracing::subscriber::with_default(capture.clone(), || {
        block_on(async {
            let credentials =
                Credentials::new("AKIDX", SECRET, Some(TOKEN.to_owned()), None, "test");
            shown.push(format!("{credentials:?}"));
            shown.push(format!("{:?}", StaticProvider(credentials.clone())));
            shown.push(format!("{:?}", EnvProvider::new(env.clone())));
            shown.push(format!("{env:?}"));
            shown.push(format!("{:?}", ProfileSet::load(&env).unwrap()));
            let profile = ProfileProvider::new(env.clone().with_var("AWS_PROFILE", "proc"));
            shown.push(format!("{:?}", profile.provide().await.unwrap()));
            shown.push(format!("{profile:?}"));
            shown.push(format!(
                "{:?}",
                ProcessProvider::new(format!("echo {SECRET}"))
            ));

            // The whole chain, loaded (so the cache holds credentials), and
            // the config and client around it.
            let with_env_keys = env.clone().with_var("AWS_ACCESS_KEY_ID", "AKIDENV");
            let config = Config::from_env_with(&with_env_keys).build();
            config.credentials.provide().await.unwrap();
            shown.push(format!("{config:?}"));
            shown.push(format!("{:?}", Config::from_env_with(&with_env_keys)));
            let client = Client::new(config.clone());
            shown.push(format!("{client:?}"));
            let chain = ChainProvider::new()
                .with_link(EnvProvider::new(with_env_keys.clone()))
                .with_link(ProfileProvider::new(env.clone()));
            chain.provide().await.unwrap();
            shown.push(format!("{chain:?}"));
            let cache = CachingProvider::new(chain);
            cache.provide().await.unwrap();
            shown.push(format!("{cache:?}"));

            // Every kind of error, each with the secret in reach.
            let errors = [
                // Half the environment.
                EnvProvider::new(Env::from_vars([("AWS_ACCESS_KEY_ID", "A")]).with_var("AWS_SESSION_TOKEN", TOKEN)).provide().await,
                EnvProvider::new(Env::from_vars([("AWS_SECRET_ACCESS_KEY", SECRET)])).provide().await,
                // A profile with a secret and no key id.
                ProfileProvider::new(env.clone()).with_profile("half").provide().await,
                ProfileProvider::new(env.clone()).with_profile("absent").provide().await,
                // A file that does not parse, on the secret's line.
                ProfileProvider::new(Env::from_vars([("AWS_SHARED_CREDENTIALS_FILE", dir.write("bad", &format!("[default]\n{SECRET}\n")))])).provide().await,
                // credential_process: failing with the secret on stdout and stderr.
                ProcessProvider::new(format!("echo '{SECRET} {TOKEN}'; exit 1")).provide().await,
                ProcessProvider::new(format!("echo '{{\"Version\": 1, \"SecretAccessKey\": \"{SECRET}\"}}'")).provide().await,
                ProcessProvider::new(format!("echo '{{\"Version\": 1, \"AccessKeyId\": 7, \"SecretAccessKey\": \"{SECRET}\", \"SessionToken\": \"{TOKEN}\"}}'")).provide().await,
                ProcessProvider::new(format!("echo '{SECRET}'")).provide().await,
            ];
            for result in errors {
                let e = result.unwrap_err();
                shown.push(format!("{e} | {e:?}"));
                let wrapped: ecrkit::Error<ecrkit::UnmodeledError> = e.into();
                shown.push(format!("{wrapped} | {wrapped:?}"));
            }
            // A refresh failure with cached credentials is logged.
            let failing = Counting::new([Ok(Some(Duration::from_millis(300_050))), Err(())]);
            let cache = CachingProvider::from_shared(failing);
            cache.provide().await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            cache.provide().await.unwrap();
        })
    });
    let logs = capture.0.lock().unwrap().clone();
    assert!(
        logs.contains("could not refresh AWS credentials"),
        "the logs were captured: {logs}"
    );
    assert!(logs.contains("credentials loaded"), "{logs}");
    shown.push(logs);
    assert!(shown.len() > 20);
    for text in &shown {
        assert!(!text.contains(SECRET), "secret key in: {text}");
        assert!(!text.contains(TOKEN), "session token in: {text}");
    }
    // The access key id may show (it is not a secret); the Debug output is
    // otherwise useful.
    assert!(shown[0].contains("AKIDX"), "{}", shown[0]);
}
