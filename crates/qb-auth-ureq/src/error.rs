//! What a call can fail with: a request that could not be built, an error
//! answer from QuickBlox, or no answer at all.

use std::fmt;

use http::StatusCode;
use qb_auth_core::lifecycle::{PolicyError, RenewalError};
use qb_auth_core::store::StoreError;
use qb_auth_core::{ApiError, BuildError};

/// Everything a call through this crate can fail with.
///
/// `Display` and `Debug` never contain secrets: the core's errors name
/// fields, never values, and transport errors drop the URL.
///
/// ```
/// use qb_auth_ureq::{Error, TransportError};
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
    /// use qb_auth_core::{AppCredentials, Endpoint, ErrorKind, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// let client = qb_auth_ureq::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// let wrong = Identity::login(fixtures::ALICE_LOGIN, "not-her-password")?;
    /// let err = client.create_session(&app, &wrong).unwrap_err();
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
    pub fn status(&self) -> Option<StatusCode> {
        self.api_error().map(ApiError::status)
    }
}

/// No usable answer: the request did not get through, or the answer could
/// not be read.
///
/// Keeps the underlying error as its `source` (without the URL).
#[derive(thiserror::Error)]
#[error("{kind}")]
pub struct TransportError {
    kind: TransportErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    pub(crate) fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    pub(crate) fn bare(kind: TransportErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// What went wrong.
    pub fn kind(&self) -> &TransportErrorKind {
        &self.kind
    }

    /// Whether a new attempt may succeed. Failures that left no HTTP status
    /// (connect, timeout, dropped connection, garbled answer, anything
    /// unclassified) are transient; a misconfigured client, an unsendable
    /// request, a TLS failure or an oversized body are not.
    ///
    /// ```
    /// use qb_auth_core::{Endpoint, SessionToken};
    /// use qb_auth_ureq::{Client, Error, TransportErrorKind};
    ///
    /// # let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    /// // Nothing listens on that port any more: the connection is refused.
    /// let client = Client::builder()
    ///     .endpoint(Endpoint::parse(&format!("http://127.0.0.1:{port}"))?)
    ///     .no_proxy()
    ///     .build()?;
    /// let err = client.get_session(&SessionToken::new("t")).unwrap_err();
    /// let Error::Transport(transport) = err else { panic!("{err}") };
    /// assert_eq!(transport.kind(), &TransportErrorKind::Connect);
    /// assert!(transport.is_retryable());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
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

/// The kinds of [`TransportError`].
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
