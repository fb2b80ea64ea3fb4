//! Exit codes, and which failure gets which code.
//!
//! Scripts branch on these, so each family a caller can act on differently
//! (fix the arguments, fix the credentials, retry later, call the provider)
//! has a code of its own. The table is printed by `--help`.

use std::fmt;
use std::process::ExitCode;
use std::time::SystemTime;

use qb_auth_core::TransportErrorKind;
use qb_auth_core::{ApiError, BuildError, Endpoint, ErrorKind, HashAlgorithm};

use crate::identity_args::IdentityError;
use crate::secrets::SecretError;

/// The exit codes of `qb-auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Code {
    /// Everything worked.
    Success = 0,
    /// A failure outside the other families (a demo step, writing output).
    Failure = 1,
    /// The arguments were wrong or incomplete (clap uses 2 as well).
    Usage = 2,
    /// QuickBlox refused the credentials, the signature or the token.
    AuthRejected = 3,
    /// The endpoint could not be reached or did not answer.
    Network = 4,
    /// The server failed (5xx) or answered with something that is not QuickBlox's.
    Server = 5,
    /// Any other error answer (rate limit, not found, validation).
    OtherApi = 6,
    /// Something that is not a session file is at the session file's path
    /// (a user's file, another program's, another user's, a device): it
    /// was left untouched.
    NotASessionFile = 7,
    /// `status`: no live session is saved.
    NoSession = 8,
}

impl From<Code> for ExitCode {
    fn from(code: Code) -> Self {
        Self::from(code as u8)
    }
}

/// The table `--help` shows after the options.
pub(crate) const HELP: &str = "\
Exit codes:
  0  success
  1  other failure (a demo step failed, the output or the session file could not be written)
  2  usage: bad or missing arguments, or a missing secret and no terminal to ask on
  3  authentication rejected: unexpected signature, bad timestamp, no application
     found, wrong credentials, expired or missing session token
  4  network failure: the endpoint could not be reached or did not answer in time
  5  server error: HTTP 5xx, or an answer that is not QuickBlox's
  6  other API error: rate limited, not found, validation failed, unexpected answer
  7  the session file's path holds something else (a file of yours or of another
     program, another user's file, a device): it was left untouched
  8  status: no live session is saved

Every --flag-name can also be set as the environment variable QB_FLAG_NAME
(QB_APP_ID, QB_AUTH_KEY, QB_AUTH_SECRET, QB_PASSWORD, QB_TOKEN, QB_ENDPOINT, ...);
a flag beats its variable. Flags that act on one run are never read from the
environment: --dry-run, --show-secrets, --nonce, --timestamp, --save, --verbose,
--quiet and the emulator's --allow-non-loopback. Pass secrets through variables (or with
--auth-secret-file), not as flags that other users can read in the process list;
a missing secret is asked for without echo when stdin is a terminal.

With --output json, an error is one JSON object on stdout,
{\"error\":{\"kind\",\"status\",\"message\",\"hint\"}}, and the exit code is as above.";

/// What each subcommand's `--help` ends with, instead of the table above.
pub(crate) const SEE_MAIN_HELP: &str =
    "Exit codes, QB_* variables and JSON errors: see `qb-auth --help`.";

/// Everything that can make a command fail.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The identity flags do not name exactly one identity.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A secret was missing or unreadable.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The core refused the input (empty value, bad nonce, bad endpoint).
    #[error("{0}")]
    Build(#[from] BuildError),
    /// QuickBlox (or the server at the endpoint) answered with an error.
    #[error(transparent)]
    Api(Box<ApiFailure>),
    /// No answer came back.
    #[error(transparent)]
    Network(#[from] NetworkFailure),
    /// Standard output could not be written.
    #[error("could not write the output: {0}")]
    Output(#[from] std::io::Error),
    /// The emulator could not start or stopped with an error.
    #[error("the emulator failed: {message}")]
    Emulator {
        /// What went wrong.
        message: String,
        /// Whether its configuration was refused (a usage error).
        usage: bool,
    },
    /// A demo step did not work.
    #[error("{0}")]
    Demo(String),
    /// The session file could not be written or removed.
    #[error("{0}")]
    SessionFile(String),
    /// Something that is not a session file is at its path; left untouched.
    #[error("{0}")]
    NotASessionFile(String),
}

impl CliError {
    /// The exit code for this failure.
    pub(crate) fn code(&self) -> Code {
        match self {
            Self::Identity(_) | Self::Secret(_) | Self::Build(_) => Code::Usage,
            Self::Api(failure) => api_code(failure.error.kind()),
            Self::Network(failure) if failure.bad_answer() => Code::Server,
            Self::Network(_) => Code::Network,
            Self::Emulator { usage: true, .. } => Code::Usage,
            Self::Output(_) | Self::Emulator { .. } | Self::Demo(_) | Self::SessionFile(_) => {
                Code::Failure
            }
            Self::NotASessionFile(_) => Code::NotASessionFile,
        }
    }

    /// A stable name of the failure for `--output json`: snake_case, the API
    /// error's kind for an error answer.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Identity(_) | Self::Secret(_) | Self::Build(_) => "usage",
            Self::Api(failure) => api_kind(failure.error.kind()),
            Self::Network(failure) if failure.bad_answer() => "not_quickblox",
            Self::Network(failure) if failure.timed_out() => "timeout",
            Self::Network(_) => "network",
            Self::Output(_) => "output",
            Self::Emulator { usage: true, .. } => "usage",
            Self::Emulator { .. } => "emulator",
            Self::Demo(_) => "demo",
            Self::SessionFile(_) => "session_file",
            Self::NotASessionFile(_) => "not_a_session_file",
        }
    }

    /// The HTTP status of an error answer.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Self::Api(failure) => Some(failure.error.status().as_u16()),
            _ => None,
        }
    }
}

/// The `--output json` name of an error answer's kind: the core's code.
fn api_kind(kind: ErrorKind) -> &'static str {
    kind.code()
}

impl From<ApiFailure> for CliError {
    fn from(failure: ApiFailure) -> Self {
        Self::Api(Box::new(failure))
    }
}

/// The exit code for an error answer of `kind`.
pub(crate) fn api_code(kind: ErrorKind) -> Code {
    match kind {
        ErrorKind::UnexpectedSignature
        | ErrorKind::BadTimestamp
        | ErrorKind::NoApplicationFound
        | ErrorKind::InvalidCredentials
        | ErrorKind::SessionExpired
        | ErrorKind::TokenRequired
        | ErrorKind::Unauthorized
        | ErrorKind::ForbiddenNeedUser
        | ErrorKind::Forbidden => Code::AuthRejected,
        ErrorKind::ServerError | ErrorKind::MalformedResponse => Code::Server,
        _ => Code::OtherApi,
    }
}

/// An error answer, with what the hints need to say what to do next.
#[derive(Debug)]
pub(crate) struct ApiFailure {
    /// The classified answer.
    pub(crate) error: ApiError,
    /// Where the request went.
    pub(crate) endpoint: Endpoint,
    /// Our clock when the answer arrived, to measure skew against `Date`.
    pub(crate) received_at: SystemTime,
    /// For create-session: what was signed, with secrets masked.
    pub(crate) signed: Option<SignedContext>,
}

/// What a create-session request signed, safe to show.
#[derive(Debug, Clone)]
pub(crate) struct SignedContext {
    /// The string to sign with passwords and tokens replaced by `***`.
    pub(crate) masked_string_to_sign: String,
    /// The HMAC used.
    pub(crate) hash: HashAlgorithm,
    /// The timestamp signed.
    pub(crate) timestamp: u64,
    /// The nonce signed.
    pub(crate) nonce: u32,
}

impl ApiFailure {
    /// An error answer that arrived just now.
    pub(crate) fn new(error: ApiError, endpoint: &Endpoint) -> Self {
        Self {
            error,
            endpoint: endpoint.clone(),
            received_at: SystemTime::now(),
            signed: None,
        }
    }

    /// Adds what the request signed.
    pub(crate) fn with_signed(mut self, signed: SignedContext) -> Self {
        self.signed = Some(signed);
        self
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's errors name the call and the host themselves.
        if self.error.context().is_some() {
            return fmt::Display::fmt(&self.error, f);
        }
        write!(
            f,
            "{} at {} failed: {}",
            self.error.operation().as_str(),
            self.endpoint,
            self.error
        )
    }
}

impl std::error::Error for ApiFailure {}

/// A request that got no answer, or one no HTTP client should read.
#[derive(Debug)]
pub(crate) struct NetworkFailure {
    /// The call that failed, such as `create user session`.
    pub(crate) operation: &'static str,
    /// Where it was going.
    pub(crate) endpoint: Endpoint,
    /// The transport's own description (adapters keep secrets out of it).
    pub(crate) message: String,
    /// What failed, when the transport said (not when setting it up).
    pub(crate) kind: Option<TransportErrorKind>,
    /// Whether `message` already names the call and the host (the
    /// client's errors do).
    pub(crate) named: bool,
}

impl fmt::Display for NetworkFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's errors name the call and the host themselves.
        if self.named {
            return f.write_str(&self.message);
        }
        let what = if self.bad_answer() {
            "got an answer that is not QuickBlox's from"
        } else {
            "could not reach"
        };
        write!(
            f,
            "{} {what} {}: {}",
            self.operation, self.endpoint, self.message
        )
    }
}

impl std::error::Error for NetworkFailure {}

impl NetworkFailure {
    /// Whether an answer came but was not one QuickBlox gives: not HTTP, a
    /// head too large to read, or a body over the cap. `--help` puts those
    /// under code 5 with the other answers that are not QuickBlox's; the
    /// endpoint was reached.
    pub(crate) fn bad_answer(&self) -> bool {
        matches!(
            self.kind,
            Some(TransportErrorKind::Protocol | TransportErrorKind::BodyTooLarge { .. })
        )
    }

    /// Whether it was a timeout, for the hint.
    pub(crate) fn timed_out(&self) -> bool {
        self.kind == Some(TransportErrorKind::Timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(kind: TransportErrorKind) -> CliError {
        CliError::Network(NetworkFailure {
            operation: "create application session",
            endpoint: Endpoint::default(),
            message: format!("{kind}: detail"),
            kind: Some(kind),
            named: false,
        })
    }

    #[test]
    fn an_answer_no_client_reads_is_a_server_error_not_a_network_one() {
        for kind in [
            TransportErrorKind::Protocol,
            TransportErrorKind::BodyTooLarge { limit: 1024 },
        ] {
            let error = network(kind.clone());
            assert_eq!(error.code(), Code::Server, "{kind}");
            assert!(error.to_string().contains("not QuickBlox's"), "{error}");
        }
        for kind in [
            TransportErrorKind::Connect,
            TransportErrorKind::Timeout,
            TransportErrorKind::Connection,
        ] {
            let error = network(kind.clone());
            assert_eq!(error.code(), Code::Network, "{kind}");
            assert!(error.to_string().contains("could not reach"), "{error}");
        }
    }

    #[test]
    fn json_kinds_name_what_failed() {
        assert_eq!(
            network(TransportErrorKind::Protocol).kind(),
            "not_quickblox"
        );
        assert_eq!(network(TransportErrorKind::Timeout).kind(), "timeout");
        assert_eq!(network(TransportErrorKind::Connect).kind(), "network");
        assert_eq!(network(TransportErrorKind::Connect).status(), None);
        assert_eq!(
            api_kind(ErrorKind::UnexpectedSignature),
            "unexpected_signature"
        );
        assert_eq!(
            api_kind(ErrorKind::ForbiddenNeedUser),
            "forbidden_need_user"
        );
        assert_eq!(api_kind(ErrorKind::Unexpected), "unexpected_response");
        let error = CliError::Demo("2 of 28 demo steps failed".into());
        assert_eq!((error.kind(), error.status()), ("demo", None));
    }

    #[test]
    fn every_family_has_its_own_code() {
        assert_eq!(api_code(ErrorKind::UnexpectedSignature), Code::AuthRejected);
        assert_eq!(api_code(ErrorKind::InvalidCredentials), Code::AuthRejected);
        assert_eq!(api_code(ErrorKind::SessionExpired), Code::AuthRejected);
        assert_eq!(api_code(ErrorKind::ServerError), Code::Server);
        assert_eq!(api_code(ErrorKind::MalformedResponse), Code::Server);
        assert_eq!(api_code(ErrorKind::RateLimited), Code::OtherApi);
        assert_eq!(api_code(ErrorKind::NotFound), Code::OtherApi);
        let codes = [
            Code::Success,
            Code::Failure,
            Code::Usage,
            Code::AuthRejected,
            Code::Network,
            Code::Server,
            Code::OtherApi,
            Code::NotASessionFile,
            Code::NoSession,
        ];
        let distinct: std::collections::BTreeSet<u8> = codes.iter().map(|c| *c as u8).collect();
        assert_eq!(distinct.len(), codes.len());
    }

    #[test]
    fn help_lists_every_code() {
        for code in 0..=8 {
            assert!(
                HELP.contains(&format!("\n  {code}  ")),
                "code {code} missing from the help table"
            );
        }
    }
}
