//! Mocks for the tests of code that calls ecrkit (cargo feature
//! `test-util`), modelled on aws-smithy-mocks
//! (<https://docs.rs/aws-smithy-mocks>): a rule per operation type, chosen
//! by a predicate on the typed request, answers with canned typed outputs
//! or modeled errors, once, in sequence or always; a client built from the
//! rules sends nothing over the network and records every request.
//!
//! ```
//! use ecrkit::ecr::{DescribeRepositories, DescribeRepositoriesError,
//!     DescribeRepositoriesResponse, Repository, RepositoryNotFoundException};
//! use ecrkit::mock::{mock, mock_client, RuleMode};
//! use ecrkit::{Client, Error};
//!
//! /// The code under test: the URI of a repository, `None` if there is none.
//! async fn repository_uri(client: &Client, name: &str) -> Result<Option<String>, String> {
//!     let request = DescribeRepositories {
//!         repository_names: Some(vec![name.to_owned()]),
//!         ..Default::default()
//!     };
//!     match request.send(client).await {
//!         Ok(out) => Ok(out.repositories.unwrap_or_default().into_iter()
//!             .find_map(|r| r.repository_uri)),
//!         Err(Error::Service {
//!             error: DescribeRepositoriesError::RepositoryNotFoundException(_), ..
//!         }) => Ok(None),
//!         Err(e) => Err(e.to_string()),
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let found = mock!(DescribeRepositories)
//!     .match_requests(|r| r.repository_names.as_deref() == Some(&["app".to_owned()][..]))
//!     .then_output(|| DescribeRepositoriesResponse {
//!         repositories: Some(vec![Repository {
//!             repository_uri: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/app".into()),
//!             ..Default::default()
//!         }]),
//!         ..Default::default()
//!     });
//! let missing = mock!(DescribeRepositories).then_error(|| {
//!     DescribeRepositoriesError::RepositoryNotFoundException(RepositoryNotFoundException {
//!         message: Some("no such repository".into()),
//!     })
//! });
//! let client = mock_client!(RuleMode::MatchAny, [&found, &missing]);
//!
//! assert_eq!(
//!     repository_uri(&client, "app").await.unwrap().as_deref(),
//!     Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/app")
//! );
//! assert_eq!(repository_uri(&client, "gone").await.unwrap(), None);
//! assert_eq!((found.num_calls(), missing.num_calls()), (1, 1));
//! assert_eq!(
//!     missing.requests()[0].repository_names.as_deref(),
//!     Some(&["gone".to_owned()][..])
//! );
//! # });
//! ```
//!
//! Requests are validated before a rule is asked, as a real client does; a
//! request that no rule answers (or, in [`RuleMode::Sequential`], that the
//! next rule does not match) gets an [`Error::Config`] saying so, and is
//! recorded like the others ([`Mocks::requests`]). Bodies built by the
//! uploader (`Client::send_prepared`) have no typed request: only rules
//! without [`RuleBuilder::match_requests`] answer them.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorMeta};
use crate::operation::{Operation, OperationError};
use crate::{Client, ValidationMode};

/// How the rules of a mock client are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMode {
    /// The first rule, in the order given, that is for the request's
    /// operation, matches it and has an answer left. Rules stay.
    #[default]
    MatchAny,
    /// The rules in the order given: each request goes to the first rule
    /// with an answer left, which must be for its operation and match it. A
    /// rule made with `then_output` or `then_error` answers once; a
    /// [`RuleBuilder::sequence`] as many times as it has answers.
    Sequential,
}

/// A rule's predicate on the typed request.
type Matcher<O> = Box<dyn Fn(&O) -> bool + Send + Sync>;

/// One canned answer.
enum Answer<O: Operation> {
    Output(Box<dyn Fn() -> O::Output + Send + Sync>),
    Error(Box<dyn Fn() -> O::Error + Send + Sync>),
}

/// What a rule holds; shared by the rule handles and the mock client.
struct RuleState<O: Operation> {
    matcher: Option<Matcher<O>>,
    /// Each answer with how many times it is given in a row.
    answers: Vec<(Answer<O>, usize)>,
    /// Made with `then_output`/`then_error`: always in `MatchAny`, once in
    /// `Sequential` (as in aws-smithy-mocks).
    simple: bool,
    calls: AtomicUsize,
    requests: Mutex<Vec<O>>,
    /// `O::clone`, kept here because the client's `send` does not ask for
    /// `Clone` (every rule constructor does).
    record: fn(&O) -> O,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data: a panic in a test thread elsewhere cannot leave it broken.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl<O: Operation> RuleState<O> {
    fn total(&self) -> usize {
        self.answers
            .iter()
            .fold(0usize, |n, (_, times)| n.saturating_add(*times))
    }

    fn exhausted(&self, mode: RuleMode) -> bool {
        let calls = self.calls.load(Ordering::SeqCst);
        calls >= self.total() || (mode == RuleMode::Sequential && self.simple && calls > 0)
    }

    fn matches(&self, request: Option<&O>) -> bool {
        match (&self.matcher, request) {
            (None, _) => true,
            (Some(matcher), Some(request)) => matcher(request),
            (Some(_), None) => false,
        }
    }

    /// The next answer; `None` when the rule has none left.
    #[allow(clippy::result_large_err)]
    fn answer(&self, request: Option<&O>) -> Option<Result<O::Output, Error<O::Error>>> {
        let index = self.calls.fetch_add(1, Ordering::SeqCst);
        let mut rest = index;
        let answer = self.answers.iter().find_map(|(answer, times)| {
            if rest < *times {
                Some(answer)
            } else {
                rest -= times;
                None
            }
        })?;
        if let Some(request) = request {
            lock(&self.requests).push((self.record)(request));
        }
        Some(match answer {
            Answer::Output(make) => Ok(make()),
            Answer::Error(make) => {
                let error = make();
                let meta = ErrorMeta {
                    status: 400,
                    code: Some(error.code().to_owned()),
                    request_id: Some(format!("mock-{}-{index}", O::NAME)),
                    ..ErrorMeta::default()
                };
                Err(Error::Service { error, meta })
            }
        })
    }
}

/// A rule under construction: [`mock()`] (or [`mock!`](crate::mock!)) makes
/// one for an operation type.
pub struct RuleBuilder<O: Operation> {
    matcher: Option<Matcher<O>>,
}

/// Starts a rule for operation `O`; the macro [`mock!`](crate::mock!) is
/// the same.
pub fn mock<O: Operation + Clone + 'static>() -> RuleBuilder<O> {
    RuleBuilder { matcher: None }
}

impl<O: Operation + Clone + 'static> RuleBuilder<O> {
    /// Answers only requests for which `predicate` is true.
    pub fn match_requests(
        mut self,
        predicate: impl Fn(&O) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.matcher = Some(Box::new(predicate));
        self
    }

    /// Answers with this output (made anew for each request).
    pub fn then_output(self, output: impl Fn() -> O::Output + Send + Sync + 'static) -> Rule<O> {
        self.sequence().output(output).finish(true)
    }

    /// Answers with this modeled error (one of the operation's
    /// `<Name>Error` variants), as the service would with HTTP 400.
    pub fn then_error(self, error: impl Fn() -> O::Error + Send + Sync + 'static) -> Rule<O> {
        self.sequence().error(error).finish(true)
    }

    /// A sequence of answers, given in order (for retries, pagination).
    pub fn sequence(self) -> SequenceBuilder<O> {
        SequenceBuilder {
            matcher: self.matcher,
            answers: Vec::new(),
        }
    }
}

/// A sequence of answers under construction ([`RuleBuilder::sequence`]).
pub struct SequenceBuilder<O: Operation> {
    matcher: Option<Matcher<O>>,
    answers: Vec<(Answer<O>, usize)>,
}

impl<O: Operation + Clone + 'static> SequenceBuilder<O> {
    /// Then this output.
    pub fn output(mut self, output: impl Fn() -> O::Output + Send + Sync + 'static) -> Self {
        self.answers.push((Answer::Output(Box::new(output)), 1));
        self
    }

    /// Then this modeled error.
    pub fn error(mut self, error: impl Fn() -> O::Error + Send + Sync + 'static) -> Self {
        self.answers.push((Answer::Error(Box::new(error)), 1));
        self
    }

    /// The last answer `count` times in a row (a count of 0 drops it).
    pub fn times(mut self, count: usize) -> Self {
        if let Some(last) = self.answers.last_mut() {
            last.1 = count;
        }
        self
    }

    /// The rule: once its answers are given it answers no more.
    pub fn build(self) -> Rule<O> {
        self.finish(false)
    }

    /// The rule, with its last answer given forever.
    pub fn repeatedly(self) -> Rule<O> {
        self.times(usize::MAX).finish(false)
    }

    /// `simple`: made by `then_output`/`then_error`, whose one answer is
    /// given forever (once in [`RuleMode::Sequential`]).
    fn finish(self, simple: bool) -> Rule<O> {
        let mut answers = self.answers;
        if simple && let Some(last) = answers.last_mut() {
            last.1 = usize::MAX;
        }
        Rule(Arc::new(RuleState {
            matcher: self.matcher,
            answers,
            simple,
            calls: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            record: O::clone,
        }))
    }
}

/// A rule: for a mock client ([`Mocks::with_rule`], [`mock_client!`](crate::mock_client!)),
/// and to assert on afterwards. Clones share the rule.
pub struct Rule<O: Operation>(Arc<RuleState<O>>);

impl<O: Operation> Clone for Rule<O> {
    fn clone(&self) -> Self {
        Rule(self.0.clone())
    }
}

impl<O: Operation> fmt::Debug for Rule<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("operation", &O::NAME)
            .field("calls", &self.num_calls())
            .finish()
    }
}

impl<O: Operation> Rule<O> {
    /// How many requests it answered.
    pub fn num_calls(&self) -> usize {
        self.0.calls.load(Ordering::SeqCst).min(self.0.total())
    }

    /// Whether it has given every answer it has (never, for a rule that
    /// repeats).
    pub fn is_exhausted(&self) -> bool {
        self.0.exhausted(RuleMode::MatchAny)
    }

    /// The requests it answered, in order.
    pub fn requests(&self) -> Vec<O> {
        lock(&self.0.requests).iter().map(self.0.record).collect()
    }
}

/// A rule of any operation, as the mock client keeps it.
trait AnyRule: Send + Sync {
    fn name(&self) -> &'static str;
    fn exhausted(&self, mode: RuleMode) -> bool;
    fn as_any(&self) -> &dyn Any;
}

impl<O: Operation + 'static> AnyRule for RuleState<O> {
    fn name(&self) -> &'static str {
        O::NAME
    }
    fn exhausted(&self, mode: RuleMode) -> bool {
        RuleState::exhausted(self, mode)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A request a mock client saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The operation (`DescribeRepositories`).
    pub operation: &'static str,
    /// Whether a rule answered it.
    pub answered: bool,
}

/// The rules of a mock client and the requests it saw. Clones share both.
#[derive(Clone)]
pub struct Mocks {
    mode: RuleMode,
    rules: Vec<Arc<dyn AnyRule>>,
    log: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl fmt::Debug for Mocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mocks")
            .field("mode", &self.mode)
            .field(
                "rules",
                &self.rules.iter().map(|r| r.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Mocks {
    /// No rules yet, chosen by `mode`.
    pub fn new(mode: RuleMode) -> Self {
        Self {
            mode,
            rules: Vec::new(),
            log: Arc::default(),
        }
    }

    /// Adds a rule (after those already added).
    pub fn with_rule<O: Operation + 'static>(mut self, rule: &Rule<O>) -> Self {
        self.rules.push(rule.0.clone());
        self
    }

    /// A client that answers from these rules: region `us-east-1`, fixed
    /// test credentials, validation as configured by default (`Enforce`).
    pub fn client(&self) -> Client {
        self.client_with(
            Config::builder()
                .with_region("us-east-1")
                .with_credentials(Credentials::new(
                    "AKIDMOCK",
                    "mock-secret",
                    None,
                    None,
                    "mock",
                ))
                .with_validation(ValidationMode::Enforce)
                .build(),
        )
    }

    /// A client with this config that answers from these rules.
    pub fn client_with(&self, config: Config) -> Client {
        Client::mocked(config, self.clone())
    }

    /// Every request the clients of these rules saw, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).clone()
    }

    /// The answer to a request of operation `O` (`None`: a body built
    /// without a typed request).
    // The error type is the one `Client::send` returns.
    #[allow(clippy::result_large_err)]
    pub(crate) fn respond<O: Operation + 'static>(
        &self,
        request: Option<&O>,
    ) -> Result<O::Output, Error<O::Error>> {
        let answer = self.find_answer(request);
        lock(&self.log).push(RecordedRequest {
            operation: O::NAME,
            answered: answer.is_ok(),
        });
        answer.unwrap_or_else(|why| Err(Error::Config(format!("mock client: {why}"))))
    }

    #[allow(clippy::result_large_err)]
    fn find_answer<O: Operation + 'static>(
        &self,
        request: Option<&O>,
    ) -> Result<Result<O::Output, Error<O::Error>>, String> {
        // A rule for `O` is a `RuleState<O>` (`with_rule` takes only those),
        // so the downcast fails only for rules of other operations.
        fn typed<O: Operation + 'static>(rule: &Arc<dyn AnyRule>) -> Option<&RuleState<O>> {
            rule.as_any().downcast_ref::<RuleState<O>>()
        }
        match self.mode {
            RuleMode::MatchAny => {
                for rule in &self.rules {
                    if rule.exhausted(self.mode) {
                        continue;
                    }
                    let Some(state) = typed::<O>(rule) else {
                        continue;
                    };
                    if state.matches(request)
                        && let Some(answer) = state.answer(request)
                    {
                        return Ok(answer);
                    }
                }
                Err(format!(
                    "no rule answers this {} request (a rule for it, with a predicate that \
                     matches it and answers left)",
                    O::NAME
                ))
            }
            RuleMode::Sequential => {
                let Some(next) = self.rules.iter().find(|r| !r.exhausted(self.mode)) else {
                    return Err(format!(
                        "every rule has given its answers; this {} request is one too many",
                        O::NAME
                    ));
                };
                let Some(state) = typed::<O>(next) else {
                    return Err(format!(
                        "the next rule is for {}, not for this {} request",
                        next.name(),
                        O::NAME
                    ));
                };
                if !state.matches(request) {
                    return Err(format!(
                        "the next rule is for {} and does not match this request",
                        O::NAME
                    ));
                }
                state
                    .answer(request)
                    .ok_or_else(|| format!("the {} rule has no answer left", O::NAME))
            }
        }
    }
}

/// Starts a rule for an operation type: `mock!(DescribeRepositories)` is
/// [`mock::<DescribeRepositories>()`](fn@mock).
#[macro_export]
macro_rules! mock {
    ($operation:ty) => {
        $crate::mock::mock::<$operation>()
    };
}

/// A client that answers from rules: `mock_client!([&rule_a, &rule_b])`
/// ([`RuleMode::MatchAny`]) or `mock_client!(RuleMode::Sequential, [&rule_a,
/// &rule_b])`; [`Mocks`] is the same by hand, and keeps the log of requests.
#[macro_export]
macro_rules! mock_client {
    ([$($rule:expr),* $(,)?]) => {
        $crate::mock_client!($crate::mock::RuleMode::MatchAny, [$($rule),*])
    };
    ($mode:expr, [$($rule:expr),* $(,)?]) => {
        $crate::mock::Mocks::new($mode)$(.with_rule($rule))*.client()
    };
}

pub use crate::{mock, mock_client};
