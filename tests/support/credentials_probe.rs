//! The program the credentials and network tests run in a child process
//! with an environment of their own: aws-config's chain (and reqwest's
//! proxies) read the process environment, which tests running side by side
//! in one process cannot each set.
//!
//! It builds the client as a user's program does (`Config::from_env`,
//! `Client::try_new`) and prints one JSON line per result:
//!
//! - `provide`: the credentials the chain finds;
//! - `burst N`: N concurrent requests for credentials; the key ids seen;
//! - `refresh SECS`: credentials, then again after SECS seconds;
//! - `call`: one DescribeRepositories (endpoint from `AWS_ENDPOINT_URL_ECR`);
//! - `call-new`: the same with a client from `Client::new`, which cannot
//!   fail (a client that cannot be built returns the error per call);
//! - `debug`: the Debug text of the config, the client and the credentials
//!   (or the Display and Debug text of the error).
//!
//! With `PROBE_TRACE=1` every tracing event and span goes to stderr, all
//! fields included, at TRACE level.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use ecrkit::ecr::DescribeRepositories;
use ecrkit::{Client, Config, Credentials};
use serde_json::{Value, json};

fn credentials_json(c: &Credentials) -> Value {
    json!({
        "access_key_id": c.access_key_id(),
        "secret_access_key": c.secret_access_key(),
        "session_token": c.session_token(),
        "expires_in_s": c.expiry().map(|e| {
            e.duration_since(SystemTime::now()).map(|d| d.as_secs() as i64).unwrap_or(-1)
        }),
    })
}

fn print(value: Value) {
    println!("{value}");
}

async fn provide(client: &Client) -> Value {
    match client.config().credentials.provide().await {
        Ok(c) => json!({ "ok": credentials_json(&c) }),
        Err(e) => {
            json!({ "error": e.to_string(), "not_found": matches!(e, ecrkit::credentials::CredentialsError::NotFound(_)) })
        }
    }
}

async fn describe(client: &Client) -> Value {
    match DescribeRepositories::default().send(client).await {
        Ok(out) => json!({ "ok": out.repositories.map(|r| r.len()) }),
        Err(e) => json!({ "error": e.to_string(), "debug": format!("{e:?}") }),
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let config = Config::from_env().try_build().map_err(|e| e.to_string())?;
    if args.first().map(String::as_str) == Some("call-new") {
        print(describe(&Client::new(config)).await);
        return Ok(());
    }
    let client = Client::try_new(config).map_err(|e| e.to_string())?;
    match args.first().map(String::as_str) {
        Some("provide") => print(provide(&client).await),
        Some("burst") => {
            let n: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(16);
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let client = client.clone();
                    tokio::spawn(async move { provide(&client).await })
                })
                .collect();
            let mut keys = Vec::new();
            for task in tasks {
                let answer = task.await.map_err(|e| e.to_string())?;
                keys.push(answer["ok"]["access_key_id"].clone());
            }
            print(json!({ "keys": keys }));
        }
        Some("refresh") => {
            let secs: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(3);
            print(provide(&client).await);
            tokio::time::sleep(Duration::from_secs(secs)).await;
            print(provide(&client).await);
        }
        Some("call") => print(describe(&client).await),
        Some("debug") => {
            // Debug and Display only: what a program would log.
            let credentials = match client.config().credentials.provide().await {
                Ok(c) => format!("{c:?}"),
                Err(e) => format!("{e} | {e:?}"),
            };
            print(json!({
                "config": format!("{:?}", client.config()),
                "client": format!("{client:?}"),
                "builder": format!("{:?}", Config::from_env()),
                "credentials": credentials,
            }));
        }
        other => return Err(format!("unknown command {other:?}")),
    }
    Ok(())
}

fn main() {
    if std::env::var("PROBE_TRACE").as_deref() == Ok("1") {
        let _ = tracing::subscriber::set_global_default(trace::ToStderr);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = runtime.block_on(run(&args)) {
        print(json!({ "setup_error": e }));
    }
}

/// Every span and event, with every field, to stderr.
mod trace {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    pub struct ToStderr;

    struct Fields(String);

    impl Visit for Fields {
        fn record_str(&mut self, field: &Field, value: &str) {
            let _ = write!(self.0, " {}={}", field.name(), value);
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
        fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
            let _ = write!(self.0, " {}={} ({:?})", field.name(), value, value);
        }
    }

    static NEXT: AtomicU64 = AtomicU64::new(1);

    impl Subscriber for ToStderr {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn register_callsite(
            &self,
            _: &'static Metadata<'static>,
        ) -> tracing::subscriber::Interest {
            tracing::subscriber::Interest::always()
        }
        fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
            Some(tracing::level_filters::LevelFilter::TRACE)
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let mut fields = Fields(format!("span {}:", span.metadata().name()));
            span.record(&mut fields);
            eprintln!("{}", fields.0);
            Id::from_u64(NEXT.fetch_add(1, Ordering::Relaxed))
        }
        fn record(&self, _: &Id, values: &Record<'_>) {
            let mut fields = Fields("record:".to_owned());
            values.record(&mut fields);
            eprintln!("{}", fields.0);
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields(format!(
                "event {} {}:",
                event.metadata().level(),
                event.metadata().target()
            ));
            event.record(&mut fields);
            eprintln!("{}", fields.0);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}
