//! What the driver reports back, and the failures callers see.

use std::time::{Duration, SystemTime};

use crate::call::Operation;
use crate::error::BuildError;
use crate::response::{ApiError, Retry, Session, parse_session, server_date, token_expiration};

use super::provider::ProviderError;
use crate::TransportError;

/// What an answer said about time: its `Date` and `QB-Token-ExpirationDate`
/// headers.
///
/// The expiry is in the server's clock; read against the same answer's
/// `Date` it gives the token's remaining life whatever the local clock
/// says.
///
/// ```
/// use qb_auth_core::lifecycle::ResponseTimes;
///
/// let answer = http::Response::builder()
///     .header("Date", "Tue, 14 Nov 2023 22:13:20 GMT")
///     .header("QB-Token-ExpirationDate", "2023-11-15 00:13:20 UTC")
///     .body(())?;
/// let times = ResponseTimes::from_headers(answer.headers());
/// let life = times.token_expiration.unwrap().duration_since(times.date.unwrap())?;
/// assert_eq!(life.as_secs(), 7200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseTimes {
    /// The `Date` header: the server's clock when it answered.
    pub date: Option<SystemTime>,
    /// `QB-Token-ExpirationDate`: when the token expires if not used again.
    pub token_expiration: Option<SystemTime>,
}

impl ResponseTimes {
    /// Neither header: the lifecycle assumes the policy's default TTL.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::ResponseTimes;
    ///
    /// assert_eq!(ResponseTimes::NONE, ResponseTimes::default());
    /// ```
    pub const NONE: Self = Self {
        date: None,
        token_expiration: None,
    };

    /// Reads both headers; unparsable values count as absent.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::ResponseTimes;
    ///
    /// let answer = http::Response::builder().header("Date", "yesterday").body(())?;
    /// assert_eq!(ResponseTimes::from_headers(answer.headers()), ResponseTimes::NONE);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        Self {
            date: server_date(headers),
            token_expiration: token_expiration(headers),
        }
    }
}

/// Where a session that was not created here came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionOrigin {
    /// Created here: by the server, or a token provider.
    Created,
    /// The session store (a restart reusing its token).
    Store,
    /// A fleet's shared store (another process created it).
    Fleet,
}

/// A session a renewal produced, with the `Date` of the answer that
/// carried it (to read its expiry and measure the clock offset).
///
/// ```
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_core::lifecycle::NewSession;
///
/// // From a token provider: no answer, no `Date`.
/// let minted = NewSession::new(Session::new(SessionToken::new("t0k3n")));
/// assert_eq!(minted.server_date, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The session; its `expires_at` is the answer's `QB-Token-ExpirationDate`.
    pub session: Session,
    /// The answer's `Date` header, when there was an answer.
    pub server_date: Option<SystemTime>,
    /// Where it came from: created here, or taken from a fleet.
    pub origin: SessionOrigin,
}

impl NewSession {
    /// A session without an answer's `Date`, such as one from a token
    /// provider. Set `session.expires_at` when the provider tells the
    /// expiry (read in the server's clock, corrected by the measured
    /// offset); otherwise the policy's default TTL applies.
    ///
    /// ```
    /// use qb_auth_core::{Session, SessionToken};
    /// use qb_auth_core::lifecycle::NewSession;
    ///
    /// let new = NewSession::new(Session::new(SessionToken::new("t")));
    /// assert_eq!(new.session.token.expose(), "t");
    /// ```
    pub fn new(session: Session) -> Self {
        Self {
            session,
            server_date: None,
            origin: SessionOrigin::Created,
        }
    }

    /// A session another process created and published to the fleet's
    /// shared store: installed with a
    /// [`SessionRestored`](super::LifecycleEvent::SessionRestored) event
    /// rather than as a session created here.
    pub fn from_fleet(session: Session) -> Self {
        Self {
            origin: SessionOrigin::Fleet,
            ..Self::new(session)
        }
    }

    /// Reads the answer to a create-session: the session and its `Date`,
    /// or the classified error (which keeps its own `Date`).
    ///
    /// ```
    /// use qb_auth_core::Operation;
    /// use qb_auth_core::lifecycle::{AttemptError, NewSession};
    ///
    /// let ok = http::Response::builder()
    ///     .status(201)
    ///     .header("Date", "Tue, 14 Nov 2023 22:13:20 GMT")
    ///     .body(br#"{"session":{"token":"abc","user_id":0}}"#.to_vec())?;
    /// let new = NewSession::from_response(&ok, Operation::CreateApplicationSession)?;
    /// assert!(new.server_date.is_some());
    ///
    /// let limited = http::Response::builder().status(429).body(Vec::new())?;
    /// let err = NewSession::from_response(&limited, Operation::CreateApplicationSession)
    ///     .unwrap_err();
    /// assert!(matches!(err, AttemptError::Api(_)));
    /// assert!(err.is_retryable());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_response<B: AsRef<[u8]>>(
        response: &http::Response<B>,
        operation: Operation,
    ) -> Result<Self, AttemptError> {
        let session = parse_session(response, operation)?;
        Ok(Self {
            server_date: server_date(response.headers()),
            ..Self::new(session)
        })
    }
}

/// Why one renewal attempt failed.
///
/// ```
/// use qb_auth_core::lifecycle::AttemptError;
/// use qb_auth_core::{TransportError, TransportErrorKind};
///
/// let err = AttemptError::from(TransportError::from_kind(TransportErrorKind::Connection));
/// assert!(err.is_retryable());
/// assert!(!AttemptError::Abandoned.to_string().is_empty());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// The server answered with an error.
    #[error(transparent)]
    Api(ApiError),
    /// No answer came back: retried with backoff when its kind may pass
    /// (a failure without a status is no verdict on the credentials).
    #[error(transparent)]
    Transport(TransportError),
    /// The credential or token provider failed.
    #[error(transparent)]
    Provider(ProviderError),
    /// The create-session request could not be built from the credentials
    /// the provider gave (an empty password, no OS random nonce).
    #[error("could not build the create-session request: {0}")]
    Build(BuildError),
    /// The caller holding the ticket gave it up (a cancelled task) without
    /// a result. Another caller may try at once.
    #[error("the renewal was abandoned before it finished")]
    Abandoned,
    /// No result came within the policy's renewal timeout.
    #[error("the renewal got no result within {} s", .0.as_secs())]
    TimedOut(Duration),
}

/// How the lifecycle goes on after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Back off, then try again.
    Backoff,
    /// Try again at once (another caller picks it up).
    Immediately,
    /// Re-sign at once if the clock offset was just corrected.
    AfterClockCorrection,
    /// Stop: retrying cannot help.
    Stop,
}

impl AttemptError {
    /// Whether another attempt may succeed (the lifecycle decides whether
    /// there is one).
    pub fn is_retryable(&self) -> bool {
        self.next() != Next::Stop
    }

    /// The server's answer, when there was one.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::AttemptError;
    ///
    /// assert!(AttemptError::Abandoned.api_error().is_none());
    /// ```
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn next(&self) -> Next {
        match self {
            Self::Api(e) => match e.kind().retry() {
                Retry::AfterBackoff => Next::Backoff,
                Retry::AfterClockCorrection => Next::AfterClockCorrection,
                // A create-session that asks for a session, or an answer
                // no retry fixes: stop rather than loop.
                Retry::AfterRenewal | Retry::Never => Next::Stop,
            },
            Self::Transport(e) if e.is_retryable() => Next::Backoff,
            Self::Transport(_) => Next::Stop,
            Self::TimedOut(_) => Next::Backoff,
            Self::Provider(e) if e.is_retryable() => Next::Backoff,
            Self::Provider(_) | Self::Build(_) => Next::Stop,
            Self::Abandoned => Next::Immediately,
        }
    }
}

impl From<ApiError> for AttemptError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<TransportError> for AttemptError {
    fn from(e: TransportError) -> Self {
        Self::Transport(e)
    }
}

impl From<ProviderError> for AttemptError {
    fn from(e: ProviderError) -> Self {
        Self::Provider(e)
    }
}

impl From<BuildError> for AttemptError {
    fn from(e: BuildError) -> Self {
        Self::Build(e)
    }
}

/// What a renewal run was doing, for the message of its failure.
///
/// ```
/// use qb_auth_core::lifecycle::Attempted;
///
/// assert_eq!(Attempted::CreateUserSession.to_string(), "creating a user session");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Attempted {
    /// Creating the first session, an application's.
    CreateApplicationSession,
    /// Creating the first session, a user's.
    CreateUserSession,
    /// Creating the first session with credentials the provider did not
    /// give (so whose is not known).
    CreateSession,
    /// Getting the first session from the token provider.
    GetSessionFromProvider,
    /// Checking a token handed in (`GET /session.json`) before its first
    /// use.
    CheckToken,
    /// Renewing a session that expired, was rejected, or was about to
    /// expire.
    Renew,
}

impl Attempted {
    /// What was attempted, as a message says it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CreateApplicationSession => "creating an application session",
            Self::CreateUserSession => "creating a user session",
            Self::CreateSession => "creating a session",
            Self::GetSessionFromProvider => "getting a session from the token provider",
            Self::CheckToken => "checking the handed-in token",
            Self::Renew => "renewing the session",
        }
    }
}

impl Attempted {
    /// A stable snake_case name, for machines: metric labels.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::Attempted;
    ///
    /// assert_eq!(Attempted::CheckToken.code(), "check_token");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            Self::CreateApplicationSession => "create_application_session",
            Self::CreateUserSession => "create_user_session",
            Self::CreateSession => "create_session",
            Self::GetSessionFromProvider => "token_provider",
            Self::CheckToken => "check_token",
            Self::Renew => "renew",
        }
    }
}

impl std::fmt::Display for Attempted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A renewal ended without a session: what callers waiting on it get in
/// [`TokenAction::Failed`](super::TokenAction::Failed).
///
/// Its message says what was attempted and, when the attempts ran out,
/// how many were made and how long they took; the last attempt's error is
/// its [`source`](std::error::Error::source), whose own sources reach the
/// root cause (a refused connection, a TLS failure). No message repeats
/// another in the chain.
///
/// ```
/// use std::error::Error;
/// use std::time::Duration;
/// use qb_auth_core::lifecycle::{AttemptError, Attempted, RenewalError};
/// use qb_auth_core::{TransportError, TransportErrorKind};
///
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let err = RenewalError::AttemptsExhausted {
///     attempted: Attempted::CreateUserSession,
///     attempts: 4,
///     elapsed: Duration::from_millis(3_200),
///     last: AttemptError::from(TransportError::new(TransportErrorKind::Connect, refused)),
/// };
/// assert_eq!(err.to_string(), "creating a user session failed after 4 attempts in 3.2 s");
/// assert_eq!(err.source().unwrap().to_string(), "could not connect");
/// assert!(RenewalError::NotRenewable.last_attempt().is_none());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RenewalError {
    /// The lifecycle holds a fixed token that expired or was rejected, and
    /// has no way to get another.
    #[error("the session expired and cannot be renewed (a fixed token)")]
    NotRenewable,
    /// An attempt failed in a way no retry can fix: invalid credentials, an
    /// unexpected signature, an unknown application, a "Bad timestamp" that
    /// could not be corrected, a provider that gave up.
    #[error("{attempted} failed")]
    Permanent {
        /// What the run was doing.
        attempted: Attempted,
        /// The attempt's error.
        #[source]
        error: AttemptError,
    },
    /// Every attempt the policy allows failed with a retryable error.
    #[error("{attempted} failed after {attempts} attempts in {}", crate::time::Elapsed(*elapsed))]
    AttemptsExhausted {
        /// What the run was doing.
        attempted: Attempted,
        /// How many attempts were made.
        attempts: u32,
        /// From the first attempt's start to the last one's end.
        elapsed: Duration,
        /// The last one's error.
        #[source]
        last: AttemptError,
    },
    /// No session could be had before this caller's deadline (the
    /// policy's [`max_wait`](super::Policy::max_wait), or the
    /// [`Ask`](super::Ask)'s own): an attempt was still out, or the next
    /// one may not start before the deadline (a long backoff or
    /// `Retry-After`). The renewal goes on for later callers.
    #[error(
        "no session before this caller's deadline{}",
        retry_at.map(|at| format!("; the next attempt may start at {}", crate::time::format_http_date(at))).unwrap_or_default()
    )]
    CallerDeadline {
        /// When the next attempt may start, if it is waiting for a backoff.
        retry_at: Option<SystemTime>,
        /// The error of the renewal's last failed attempt, if one failed.
        #[source]
        last: Option<AttemptError>,
    },
}

impl RenewalError {
    /// The error of the attempt that ended the renewal, if one did.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::{AttemptError, Attempted, RenewalError};
    ///
    /// let err = RenewalError::Permanent {
    ///     attempted: Attempted::Renew,
    ///     error: AttemptError::Abandoned,
    /// };
    /// assert!(matches!(err.last_attempt(), Some(AttemptError::Abandoned)));
    /// ```
    pub fn last_attempt(&self) -> Option<&AttemptError> {
        match self {
            Self::NotRenewable => None,
            Self::Permanent { error: e, .. } | Self::AttemptsExhausted { last: e, .. } => Some(e),
            Self::CallerDeadline { last, .. } => last.as_ref(),
        }
    }

    /// What the run was doing, when the error came from one.
    pub fn attempted(&self) -> Option<Attempted> {
        match self {
            Self::Permanent { attempted, .. } | Self::AttemptsExhausted { attempted, .. } => {
                Some(*attempted)
            }
            Self::NotRenewable | Self::CallerDeadline { .. } => None,
        }
    }

    /// The server's answer that ended the renewal, if one did.
    pub fn api_error(&self) -> Option<&ApiError> {
        self.last_attempt().and_then(AttemptError::api_error)
    }
}

/// What [`SessionLifecycle::on_renewal_result`](super::SessionLifecycle::on_renewal_result)
/// did with a result. A driver usually only wakes its waiters; the value
/// is for logs and tests.
///
/// ```
/// use qb_auth_core::lifecycle::RenewalProgress;
///
/// assert!(RenewalProgress::Installed.is_done());
/// assert!(!RenewalProgress::Stale.is_done());
/// ```
#[derive(Debug, Clone)]
pub enum RenewalProgress {
    /// The new session is current.
    Installed,
    /// The attempt failed; the next may start at this time (now, for an
    /// immediate re-sign).
    RetryAt(SystemTime),
    /// The renewal ended without a session.
    Failed(RenewalError),
    /// The ticket was no longer the renewal in flight (it timed out, or a
    /// session was set meanwhile); its result was ignored.
    Stale,
}

impl RenewalProgress {
    /// Whether the renewal ended (with a session or a failure).
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Installed | Self::Failed(_))
    }
}
