//! Keeps aws-smithy's request and response dumps out of the logs while
//! aws-config fetches credentials.
//!
//! At TRACE level aws-smithy-runtime's orchestrator logs every request it
//! transmits with its headers and body, and bodies it reads unless the
//! operation marks them sensitive. Its header redaction knows
//! `Authorization` and `X-Amz-Security-Token` but not the IMDSv2 session
//! token (`X-aws-ec2-metadata-token`) or the SSO bearer token
//! (`X-Amz-Sso_bearer_token`), and an STS request body holds the web
//! identity token. While a credentials provider runs, its future is polled
//! under a subscriber that drops TRACE events of `aws_smithy_runtime` and
//! passes everything else on to the subscriber in effect, unchanged.

use std::future::Future;

use tracing::instrument::WithSubscriber as _;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// `future`, polled with aws-smithy-runtime's TRACE dumps dropped.
pub(crate) fn quiet<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let inner = tracing::dispatcher::get_default(Dispatch::clone);
    future.with_subscriber(Dispatch::new(DropSmithyTrace { inner }))
}

/// The subscriber in effect, minus aws-smithy-runtime's TRACE events.
struct DropSmithyTrace {
    inner: Dispatch,
}

fn dropped(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    *metadata.level() == Level::TRACE
        && (target == "aws_smithy_runtime" || target.starts_with("aws_smithy_runtime::"))
}

impl Subscriber for DropSmithyTrace {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if dropped(metadata) {
            // Decided per call in `enabled`: outside `quiet` the same
            // callsite goes to the subscriber in effect as before.
            return Interest::sometimes();
        }
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        !dropped(metadata) && self.inner.enabled(metadata)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values)
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows)
    }

    fn event(&self, event: &Event<'_>) {
        if !dropped(event.metadata()) {
            self.inner.event(event)
        }
    }

    fn enter(&self, span: &Id) {
        self.inner.enter(span)
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span)
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }

    fn current_span(&self) -> tracing_core::span::Current {
        self.inner.current_span()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Keeps the targets of the events it sees.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl Subscriber for Seen {
        fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
            Interest::always()
        }
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let line = format!("{} {}", event.metadata().level(), event.metadata().target());
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn emit() {
        tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", request = "x-aws-ec2-metadata-token: t", "transmitting request");
        tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "will use endpoint");
        tracing::trace!(target: "aws_smithy_runtime_api::client::interceptors", "entering phase");
        tracing::trace!(target: "aws_config::imds", "token cache miss");
    }

    #[test]
    fn drops_smithy_runtime_traces_inside_only() {
        let seen = Seen::default();
        tracing::subscriber::with_default(seen.clone(), || {
            emit();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(quiet(async { emit() }));
            emit();
        });
        let seen = seen.0.lock().unwrap().clone();
        let all = [
            "TRACE aws_smithy_runtime::client::orchestrator",
            "DEBUG aws_smithy_runtime::client::orchestrator",
            "TRACE aws_smithy_runtime_api::client::interceptors",
            "TRACE aws_config::imds",
        ];
        let quieted = &all[1..];
        let expected: Vec<&str> = all.iter().chain(quieted).chain(&all).copied().collect();
        assert_eq!(seen, expected);
    }
}
