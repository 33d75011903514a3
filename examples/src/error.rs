//! What went wrong, in one line, and the exit status for its class.

use std::fmt;

use ecrkit::config::ConfigError;
use ecrkit::push::{ImagePushError, PushError, SourceError};
use ecrkit::registry::RegistryError;
use ecrkit::{Error, ErrorKind};

/// The exit statuses, as `--help` shows them.
pub const EXIT_STATUSES: &str = "\
Exit status:
  0    success
  2    usage: a flag or argument is wrong or missing, or the source holds several
       images and none was chosen (--image)
  3    invalid input: a request breaks the API's constraints (the message names the
       field and the bound), or a file cannot be read or is not a valid image
  4    the service refused the call, with its request id (rm: an image not deleted)
  5    network: no answer, a timeout, or an answer that could not be read
  6    credentials or configuration: no region, no credentials, a bad profile
  7    a push, pull or copy stopped partway; the message says how to continue
       (push: --resume; pull and copy: the same command again)
  130  interrupted (Ctrl-C); a push says how to resume it";

/// How a validation error of the library says to send anyway.
const LIBRARY_ADVICE: &str =
    "use ValidationMode::Warn or ValidationMode::Off in the client config to send anyway";

/// The class of a failure; each has its own exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A failure of this program itself.
    Internal,
    /// The command line needs to say more or something else.
    Usage,
    /// The input is not valid.
    Invalid,
    /// The service refused.
    Service,
    /// The network failed.
    Network,
    /// Credentials or configuration.
    Setup,
    /// A push stopped partway.
    PushStopped,
    /// Ctrl-C.
    Interrupted,
}

impl Class {
    /// The exit status.
    pub fn status(self) -> i32 {
        match self {
            Class::Internal => 1,
            Class::Usage => 2,
            Class::Invalid => 3,
            Class::Service => 4,
            Class::Network => 5,
            Class::Setup => 6,
            Class::PushStopped => 7,
            Class::Interrupted => 130,
        }
    }

    pub fn of(kind: ErrorKind) -> Class {
        match kind {
            ErrorKind::Validation => Class::Invalid,
            ErrorKind::Service | ErrorKind::Pagination => Class::Service,
            ErrorKind::Transport | ErrorKind::Response => Class::Network,
            ErrorKind::Credentials | ErrorKind::Signing | ErrorKind::Config => Class::Setup,
            _ => Class::Internal,
        }
    }

    /// The class of a registry protocol error.
    pub fn of_registry(e: &RegistryError) -> Class {
        match e {
            RegistryError::Status { .. } => Class::Service,
            RegistryError::Api { kind, .. } => Class::of(*kind),
            RegistryError::Auth { .. } => Class::Setup,
            RegistryError::Transport { .. }
            | RegistryError::Timeout { .. }
            | RegistryError::Protocol { .. }
            | RegistryError::Digest { .. } => Class::Network,
            RegistryError::Io { .. } | RegistryError::Invalid { .. } => Class::Invalid,
        }
    }
}

/// A failure: one line for the user, its class, and lines that say what
/// to do next (how to resume a push).
#[derive(Debug)]
pub struct CliError {
    /// The class.
    pub class: Class,
    /// What went wrong (the library error's `Display`, request id included).
    pub message: String,
    /// What to do about it, printed after the message.
    pub next: Vec<String>,
}

impl CliError {
    /// A failure of the given class.
    pub fn new(class: Class, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if class == Class::Invalid {
            // The library's advice names its config; a user has a flag.
            message = message.replace(
                LIBRARY_ADVICE,
                "pass --validation warn (or off) to send anyway",
            );
        }
        Self {
            class,
            message,
            next: Vec::new(),
        }
    }

    /// A usage error found after parsing.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Class::Usage, message)
    }

    /// A failure of this program.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Class::Internal, message)
    }

    /// Adds what to do next.
    pub fn with_next(mut self, line: impl Into<String>) -> Self {
        self.next.push(line.into());
        self
    }

    /// A call's error, with some words of context before it.
    pub fn call<E: fmt::Display>(context: &str, e: &Error<E>) -> Self {
        Self::new(Class::of(e.kind()), format!("{context}: {e}"))
    }

    /// The exit status.
    pub fn status(&self) -> i32 {
        self.class.status()
    }

    /// Prints it on stderr.
    pub fn report(&self) {
        eprintln!("error: {}", self.message);
        for line in &self.next {
            eprintln!("{line}");
        }
    }
}

impl<E: fmt::Display> From<Error<E>> for CliError {
    fn from(e: Error<E>) -> Self {
        Self::new(Class::of(e.kind()), e.to_string())
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        Self::new(Class::Setup, e.0)
    }
}

impl From<SourceError> for CliError {
    fn from(e: SourceError) -> Self {
        match &e {
            SourceError::Invalid { .. } => Self::new(Class::Invalid, e.to_string()),
            SourceError::Ambiguous { path, images } => {
                let mut err = Self::usage(format!(
                    "{} holds {} images; choose with --image NAME (or --image ID), once per image to push:",
                    path.display(),
                    images.len()
                ));
                for image in images {
                    err = err.with_next(format!("  {image}"));
                }
                err
            }
            SourceError::NoSuchImage { .. } => Self::usage(e.to_string()),
        }
    }
}

impl From<PushError> for CliError {
    fn from(e: PushError) -> Self {
        Self::new(Class::PushStopped, e.to_string())
    }
}

impl From<ImagePushError> for CliError {
    fn from(e: ImagePushError) -> Self {
        match e {
            ImagePushError::Source(source) => source.into(),
            ImagePushError::Blob { .. } | ImagePushError::RegistryBlob { .. } => {
                Self::new(Class::PushStopped, e.to_string())
            }
            ImagePushError::Registry { ref source, .. } => {
                Self::new(Class::of_registry(source), e.to_string())
            }
            ImagePushError::Call { kind, .. } => {
                Self::new(kind.map_or(Class::Internal, Class::of), e.to_string())
            }
        }
    }
}
