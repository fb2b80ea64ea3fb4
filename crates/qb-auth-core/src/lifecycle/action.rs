//! What a caller asking for a token is told to do.

use std::fmt;
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use crate::nonce::{Nonce, SigningInput};
use crate::secret::SessionToken;

use super::digest::CredentialsDigest;
use super::outcome::{Attempted, RenewalError};
use super::provider::{CredentialProvider, ProviderError, SessionCredentials};
use super::skew::ClockSkew;

/// One caller's ask for a token, across the polls it takes.
///
/// Make one per request that needs a token and pass the same one to every
/// [`poll_token`](super::SessionLifecycle::poll_token) until the answer is
/// not [`TokenAction::Wait`]. It remembers which renewal failures the
/// caller has already lived through, so a caller that waited on a renewal
/// gets that renewal's failure, while a caller that asks afterwards may
/// start a new renewal (with freshly provided credentials). Failures are
/// never retried in a loop on the lifecycle's own initiative.
///
/// It also bounds the caller's wait: from its first poll, the policy's
/// [`max_wait`](super::Policy::max_wait), or the deadline given with
/// [`with_deadline`](Self::with_deadline).
///
/// ```
/// use qb_auth_core::lifecycle::Ask;
///
/// let mut ask = Ask::new();
/// // ... lifecycle.poll_token(now, &mut ask) until it is not `Wait` ...
/// # let _ = &mut ask;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ask {
    /// The lifecycle's step at the first poll: failures numbered after it
    /// happened while this caller waited.
    first_step: Option<u64>,
    first_poll: Option<SystemTime>,
    deadline: Option<SystemTime>,
}

impl Ask {
    /// A new ask, not yet polled.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::Ask;
    ///
    /// assert_eq!(Ask::new(), Ask::default());
    /// ```
    pub const fn new() -> Self {
        Self {
            first_step: None,
            first_poll: None,
            deadline: None,
        }
    }

    /// An ask that waits for a token until `deadline` at the latest (for
    /// example the caller's own request timeout), instead of the policy's
    /// [`max_wait`](super::Policy::max_wait) from its first poll. Past it,
    /// or when the next renewal attempt cannot start before it, the ask
    /// gets [`RenewalError::CallerDeadline`].
    pub const fn with_deadline(mut self, deadline: SystemTime) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Fixes, at the first poll, the lifecycle's step (a failure numbered
    /// after it came while this caller waited) and its deadline (`None`:
    /// beyond what `SystemTime` holds).
    pub(crate) fn begin(
        &mut self,
        now: SystemTime,
        step: u64,
        max_wait: Duration,
    ) -> (u64, Option<SystemTime>) {
        let seen = *self.first_step.get_or_insert(step);
        let first_poll = *self.first_poll.get_or_insert(now);
        let deadline = match self.deadline {
            Some(deadline) => Some(deadline),
            None => first_poll.checked_add(max_wait),
        };
        (seen, deadline)
    }
}

/// What a caller asking for a token must do now.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_core::lifecycle::{Ask, Policy, RenewalMode, SessionLifecycle, TokenAction};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::FixedToken)?;
/// lifecycle.set_session(now, Session::new(SessionToken::new("t0k3n")), None);
/// match lifecycle.poll_token(now, &mut Ask::new()) {
///     TokenAction::Use(token) => assert_eq!(token.expose(), "t0k3n"),
///     other => panic!("expected a token, got {other:?}"),
/// }
/// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
/// ```
#[derive(Debug)]
#[must_use = "the caller must act on the answer: use, renew, wait or fail"]
pub enum TokenAction {
    /// Send the request with this token, then report the answer with
    /// [`on_success`](super::SessionLifecycle::on_success) or
    /// [`on_session_rejected`](super::SessionLifecycle::on_session_rejected).
    Use(SessionToken),
    /// Renew now: this caller holds the only renewal in flight. Do what the
    /// ticket says, then hand it back with
    /// [`on_renewal_result`](super::SessionLifecycle::on_renewal_result)
    /// (also when giving up: [`AttemptError::Abandoned`](super::AttemptError::Abandoned)),
    /// wake the waiters, and poll again with the same [`Ask`].
    Renew(RenewalTicket),
    /// A renewal is in flight or a backoff is running: poll again when
    /// woken by the renewing caller, or at `until` at the latest (it is
    /// always set, so no wait is unbounded).
    Wait {
        /// When to poll again without being woken.
        until: SystemTime,
    },
    /// The renewal this caller waited on failed for good (or the token is
    /// fixed and gone): return the error.
    Failed(RenewalError),
}

/// Why a renewal started.
///
/// ```
/// use qb_auth_core::lifecycle::RenewalReason;
///
/// assert_eq!(RenewalReason::Proactive.as_str(), "proactive");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RenewalReason {
    /// There has never been a session.
    NoSession,
    /// The session reached its expiry.
    Expired,
    /// The server said the session does not exist.
    Rejected,
    /// The session is still valid but inside the renewal margin.
    Proactive,
}

impl RenewalReason {
    /// A short name for logs.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::RenewalReason;
    ///
    /// assert_eq!(RenewalReason::NoSession.as_str(), "no session");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoSession => "no session",
            Self::Expired => "expired",
            Self::Rejected => "rejected",
            Self::Proactive => "proactive",
        }
    }
}

impl fmt::Display for RenewalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a ticket's holder gets the new session.
///
/// ```
/// use qb_auth_core::lifecycle::RenewalMethod;
///
/// assert_eq!(format!("{:?}", RenewalMethod::TokenProvider), "RenewalMethod::TokenProvider");
/// ```
#[derive(Clone)]
pub enum RenewalMethod {
    /// Ask this provider for credentials (now, not earlier: they may have
    /// rotated), sign a create-session with
    /// [`RenewalTicket::signing_input`], send it, and read the answer with
    /// [`NewSession::from_response`](super::NewSession::from_response).
    Credentials(Arc<dyn CredentialProvider>),
    /// Call the token provider the driver holds and wrap what it gives
    /// in [`NewSession::new`](super::NewSession::new).
    TokenProvider,
    /// Read the session of this token handed in (`GET /session.json`) and
    /// report it with [`NewSession::from_response`](super::NewSession::from_response).
    CheckToken(SessionToken),
}

impl fmt::Debug for RenewalMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Credentials(_) => "RenewalMethod::Credentials(..)",
            Self::TokenProvider => "RenewalMethod::TokenProvider",
            Self::CheckToken(_) => "RenewalMethod::CheckToken(..)",
        })
    }
}

/// The right, and the duty, to perform one renewal attempt.
///
/// Only one ticket is live at a time. It is not `Clone`: hand it back to
/// [`on_renewal_result`](super::SessionLifecycle::on_renewal_result) of
/// the lifecycle that issued it, exactly once. It carries the clock offset measured so far, so that each
/// attempt signs with a fresh nonce and the corrected time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::Nonce;
/// use qb_auth_core::lifecycle::{Ask, Policy, RenewalMode, RenewalReason, SessionLifecycle, TokenAction};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
/// let TokenAction::Renew(ticket) = lifecycle.poll_token(now, &mut Ask::new()) else { panic!() };
/// assert_eq!(ticket.attempt(), 1);
/// assert_eq!(ticket.reason(), RenewalReason::NoSession);
/// assert_eq!(ticket.signing_input(now, Nonce::new(1)?).timestamp(), 1_700_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RenewalTicket {
    pub(crate) id: u64,
    pub(crate) attempt: u32,
    pub(crate) reason: RenewalReason,
    pub(crate) method: RenewalMethod,
    pub(crate) clock_offset: ClockSkew,
    /// Credentials the server refused earlier in this lifecycle: not
    /// handed out again.
    pub(crate) refused: Option<CredentialsDigest>,
    /// What [`credentials`](Self::credentials) handed out, for the result:
    /// their digest, and whether they are a user's.
    pub(crate) handed_out: OnceLock<(CredentialsDigest, bool)>,
}

impl RenewalTicket {
    /// A number unique within the lifecycle, for logs.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Which attempt of this renewal it is, from 1 to the policy's
    /// `max_attempts`.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Why the renewal started.
    pub fn reason(&self) -> RenewalReason {
        self.reason
    }

    /// How to get the new session.
    pub fn method(&self) -> &RenewalMethod {
        &self.method
    }

    /// Asks the credential provider for this attempt's credentials; `None`
    /// when the ticket is for a token provider. Call it once per attempt.
    ///
    /// Credentials the server refused as invalid are not handed out again:
    /// while the provider gives the same ones, this is a
    /// [`ProviderError`], nothing is sent, and reporting it keeps the
    /// lifecycle failed with the server's error (see
    /// [`SessionLifecycle::reset`](super::SessionLifecycle::reset)).
    ///
    /// ```
    /// # use std::time::UNIX_EPOCH;
    /// use qb_auth_core::{AppCredentials, Identity, SecretString};
    /// use qb_auth_core::lifecycle::{Ask, Policy, RenewalMode, SessionCredentials, SessionLifecycle, TokenAction};
    ///
    /// let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
    /// let mode = RenewalMode::credentials(SessionCredentials::new(app, Identity::application()));
    /// let mut lifecycle = SessionLifecycle::new(Policy::default(), mode)?;
    /// let TokenAction::Renew(ticket) = lifecycle.poll_token(UNIX_EPOCH, &mut Ask::new()) else { panic!() };
    /// let creds = ticket.credentials().expect("a credentials ticket")?;
    /// assert_eq!(creds.app.application_id(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credentials(&self) -> Option<Result<SessionCredentials, ProviderError>> {
        let RenewalMethod::Credentials(provider) = &self.method else {
            return None;
        };
        Some(provider.credentials().and_then(|creds| {
            let digest = CredentialsDigest::of(&creds);
            // Ask once per attempt: the first credentials are the ones judged.
            let _ = self.handed_out.set((digest, creds.identity.is_user()));
            if self.refused == Some(digest) {
                return Err(ProviderError::permanent(
                    "the server refused these credentials and the provider still gives them",
                ));
            }
            Ok(creds)
        }))
    }

    /// The digest of the credentials this ticket handed out, if any.
    pub(crate) fn handed_out(&self) -> Option<CredentialsDigest> {
        self.handed_out.get().map(|(digest, _)| *digest)
    }

    /// What this ticket's attempt does, as far as it is known (whose
    /// session a credentials ticket creates is known once it handed them
    /// out).
    pub fn attempted(&self) -> Attempted {
        if self.reason != RenewalReason::NoSession {
            return Attempted::Renew;
        }
        match (&self.method, self.handed_out.get()) {
            (RenewalMethod::Credentials(_), Some((_, true))) => Attempted::CreateUserSession,
            (RenewalMethod::Credentials(_), Some((_, false))) => {
                Attempted::CreateApplicationSession
            }
            (RenewalMethod::Credentials(_), None) => Attempted::CreateSession,
            (RenewalMethod::TokenProvider, _) => Attempted::GetSessionFromProvider,
            (RenewalMethod::CheckToken(_), _) => Attempted::CheckToken,
        }
    }

    /// The clock offset this attempt signs with.
    pub fn clock_offset(&self) -> ClockSkew {
        self.clock_offset
    }

    /// The time and nonce to sign with: `now` moved by the measured clock
    /// offset. Pass the current time and a fresh nonce for every attempt;
    /// QuickBlox refuses a repeated `(timestamp, nonce)` pair.
    pub fn signing_input(&self, now: SystemTime, nonce: Nonce) -> SigningInput {
        SigningInput::at(self.clock_offset.to_server(now), nonce)
    }
}

impl fmt::Debug for RenewalTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenewalTicket")
            .field("id", &self.id)
            .field("attempt", &self.attempt)
            .field("reason", &self.reason)
            .field("method", &self.method)
            .field("clock_offset", &self.clock_offset)
            .finish()
    }
}
