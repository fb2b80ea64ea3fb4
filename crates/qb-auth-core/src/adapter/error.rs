//! What a call through an adapter can fail with: a request that could not
//! be built, an error answer from QuickBlox, or no answer at all.

use std::error::Error as StdError;
use std::fmt;

use http::StatusCode;

use crate::lifecycle::{self, AttemptError, PolicyError, RenewalError};
use crate::store::StoreError;
use crate::{ApiError, BuildError};

/// Everything a call through a transport adapter can fail with.
///
/// `Display` and `Debug` never contain secrets: the core's errors name
/// fields, never values, and adapters drop the URL from transport errors.
///
/// ```
/// use qb_auth_core::adapter::Error;
///
/// let err = Error::from(qb_auth_core::Identity::login("alice", "").unwrap_err());
/// assert!(matches!(err, Error::Build(_)));
/// assert!(!err.is_retryable());
/// assert_eq!(err.to_string(), "could not build the request: password must not be empty");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not make a request (an empty password, a bad endpoint).
    #[error("could not build the request: {0}")]
    Build(#[from] BuildError),
    /// QuickBlox answered with an error (or an answer that could not be read).
    #[error("{0}")]
    Api(#[from] ApiError),
    /// No usable answer arrived: connect, timeout, dropped connection, a body
    /// over the size limit.
    #[error("{0}")]
    Transport(#[from] TransportError),
    /// `account_settings` answered without a usable `api_endpoint`.
    #[error("the account settings name no usable API endpoint")]
    NoAccountEndpoint,
    /// A managed session could not get a token: credentials were refused,
    /// the provider failed, retries ran out, or a fixed token is gone. The
    /// core's lifecycle decided it; nothing retries it on its own.
    #[error("no session: {0}")]
    Renewal(#[from] RenewalError),
    /// A managed session's policy has an unusable value.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A managed session's store could not load the saved session.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    /// Whether trying the same call again later may succeed: a 429, a 5xx,
    /// an expired session, a transport failure without an answer.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Error, TransportError, TransportErrorKind};
    ///
    /// assert!(Error::from(TransportError::from_kind(TransportErrorKind::Timeout)).is_retryable());
    /// assert!(!Error::NoAccountEndpoint.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Build(_) | Self::NoAccountEndpoint | Self::Policy(_) | Self::Store(_) => false,
            Self::Api(api) => api.kind().is_retryable(),
            Self::Transport(t) => t.is_retryable(),
            // The attempts ran out on errors that may pass; anything else
            // (refused credentials, a fixed token) needs a change first.
            Self::Renewal(r) => matches!(r, RenewalError::AttemptsExhausted { .. }),
        }
    }

    /// The error answer, when QuickBlox gave one (also the one that ended a
    /// renewal, through [`Error::Renewal`]).
    ///
    /// ```
    /// use qb_auth_core::adapter::Error;
    /// use qb_auth_core::{check_status, ErrorKind, Operation};
    ///
    /// let answer = http::Response::builder()
    ///     .status(401)
    ///     .body(br#"{"errors":["Unauthorized"]}"#.to_vec())?;
    /// let err = Error::from(check_status(&answer, Operation::CreateUserSession).unwrap_err());
    /// assert_eq!(err.api_error().map(|e| e.kind()), Some(ErrorKind::InvalidCredentials));
    /// assert_eq!(err.status(), Some(http::StatusCode::UNAUTHORIZED));
    /// assert!(!err.is_retryable());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            Self::Renewal(r) => r.api_error(),
            _ => None,
        }
    }

    /// The HTTP status of the error answer, if there was one.
    ///
    /// ```
    /// use qb_auth_core::adapter::Error;
    ///
    /// assert_eq!(Error::NoAccountEndpoint.status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        self.api_error().map(ApiError::status)
    }
}

/// No usable answer: the request did not get through, or the answer could
/// not be read.
///
/// Keeps the underlying error as its `source` (adapters drop the URL from
/// it first).
///
/// ```
/// use std::error::Error as _;
/// use qb_auth_core::adapter::{Error, TransportError, TransportErrorKind};
///
/// let timed_out = std::io::Error::from(std::io::ErrorKind::TimedOut);
/// let err = TransportError::new(TransportErrorKind::Timeout, timed_out);
/// assert_eq!(err.to_string(), "timed out");
/// assert!(err.source().is_some());
/// let err = Error::from(err);
/// assert!(matches!(err, Error::Transport(_)) && err.is_retryable());
/// ```
#[derive(thiserror::Error)]
#[error("{kind}")]
pub struct TransportError {
    kind: TransportErrorKind,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl TransportError {
    /// A failure of `kind` caused by the transport's own error `source`.
    /// For adapters: strip anything that may carry a secret (such as the
    /// request's URL) from `source` first.
    ///
    /// ```
    /// use std::error::Error as _;
    /// use qb_auth_core::adapter::{TransportError, TransportErrorKind};
    ///
    /// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    /// let err = TransportError::new(TransportErrorKind::Connect, refused);
    /// assert_eq!(err.to_string(), "could not connect");
    /// assert!(err.source().is_some());
    /// ```
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// A failure of `kind` with no underlying error (or one that had to be
    /// dropped because it quotes a secret).
    ///
    /// ```
    /// use std::error::Error as _;
    /// use qb_auth_core::adapter::{TransportError, TransportErrorKind};
    ///
    /// let err = TransportError::from_kind(TransportErrorKind::BodyTooLarge { limit: 1024 });
    /// assert_eq!(err.to_string(), "the answer's body is larger than 1024 bytes");
    /// assert!(err.source().is_none());
    /// ```
    pub fn from_kind(kind: TransportErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// What went wrong.
    ///
    /// ```
    /// use qb_auth_core::adapter::{TransportError, TransportErrorKind};
    ///
    /// let err = TransportError::from_kind(TransportErrorKind::Tls);
    /// assert_eq!(err.kind(), &TransportErrorKind::Tls);
    /// ```
    pub fn kind(&self) -> &TransportErrorKind {
        &self.kind
    }

    /// Whether a new attempt may succeed. Failures that left no HTTP status
    /// (connect, timeout, dropped connection, garbled answer, anything
    /// unclassified) are transient; a misconfigured client, an unsendable
    /// request, a TLS failure or an oversized body are not.
    ///
    /// ```
    /// use qb_auth_core::adapter::{TransportError, TransportErrorKind};
    ///
    /// assert!(TransportError::from_kind(TransportErrorKind::Connect).is_retryable());
    /// assert!(TransportError::from_kind(TransportErrorKind::Other).is_retryable());
    /// assert!(!TransportError::from_kind(TransportErrorKind::Tls).is_retryable());
    /// assert!(!TransportError::from_kind(TransportErrorKind::BodyTooLarge { limit: 1 }).is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect
                | TransportErrorKind::Timeout
                | TransportErrorKind::Connection
                | TransportErrorKind::Protocol
                | TransportErrorKind::Other
        )
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

/// A renewal attempt that got no answer: the lifecycle hears of it as its
/// own transport error, with the message and source kept.
impl From<TransportError> for lifecycle::TransportError {
    fn from(err: TransportError) -> Self {
        Self::new(err.kind().to_string()).with_source(err)
    }
}

impl From<TransportError> for AttemptError {
    fn from(err: TransportError) -> Self {
        lifecycle::TransportError::from(err).into()
    }
}

/// The kinds of [`TransportError`].
///
/// ```
/// use qb_auth_core::adapter::TransportErrorKind;
///
/// assert_eq!(TransportErrorKind::Timeout.to_string(), "timed out");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Could not connect (refused, unreachable, DNS, proxy).
    Connect,
    /// A connect or total timeout ran out.
    Timeout,
    /// The connection broke before a whole answer arrived.
    Connection,
    /// The server spoke something that is not HTTP.
    Protocol,
    /// TLS failed (certificate, handshake).
    Tls,
    /// The answer's body is larger than the configured limit.
    BodyTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The HTTP request could not be sent as given (bad URL, bad header).
    InvalidRequest,
    /// The HTTP client could not be set up (proxy URL, TLS provider,
    /// contradictory builder options).
    Config(&'static str),
    /// Anything else.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => f.write_str("could not connect"),
            Self::Timeout => f.write_str("timed out"),
            Self::Connection => f.write_str("the connection broke before the answer arrived"),
            Self::Protocol => f.write_str("the answer is not valid HTTP"),
            Self::Tls => f.write_str("TLS failed"),
            Self::BodyTooLarge { limit } => {
                write!(f, "the answer's body is larger than {limit} bytes")
            }
            Self::InvalidRequest => f.write_str("the request cannot be sent"),
            Self::Config(why) => write!(f, "the HTTP client cannot be set up: {why}"),
            Self::Other => f.write_str("the HTTP exchange failed"),
        }
    }
}
