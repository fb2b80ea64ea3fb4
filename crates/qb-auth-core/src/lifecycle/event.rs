//! Things that happened, for the driver to turn into callbacks and logs.

use std::fmt;
use std::time::SystemTime;

use crate::response::Session;
use crate::time::format_rfc3339;

use super::outcome::{AttemptError, RenewalError, SessionOrigin};
use super::skew::ClockSkew;

/// Something the lifecycle did, queued until
/// [`poll_event`](super::SessionLifecycle::poll_event) takes it.
///
/// The driver (a managed session) turns these into user callbacks (session created, renewed,
/// expired, renewal failed) and into store writes. `Debug` redacts tokens.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_core::lifecycle::{LifecycleEvent, Policy, RenewalMode, SessionLifecycle};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::FixedToken)?;
/// lifecycle.set_session(now, Session::new(SessionToken::new("t0k3n")), None);
/// let event = lifecycle.poll_event().unwrap();
/// assert!(matches!(event, LifecycleEvent::SessionCreated { .. }));
/// assert!(!format!("{event:?}").contains("t0k3n"));
/// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LifecycleEvent {
    /// A session became current where the lifecycle held none (the first
    /// one, or one after expiry or rejection).
    SessionCreated {
        /// The new session.
        session: Session,
        /// When it expires by the local clock, unless used again.
        expires_at: SystemTime,
    },
    /// A session replaced one that was still valid (proactive renewal).
    SessionRenewed {
        /// The new session.
        session: Session,
        /// When it expires by the local clock, unless used again.
        expires_at: SystemTime,
    },
    /// A session was taken up rather than created: restored from the
    /// session store when the managed session was built, or taken from a
    /// fleet's shared store (another process created it).
    SessionRestored {
        /// The session.
        session: Session,
        /// When it expires by the local clock, unless used again.
        expires_at: SystemTime,
        /// Where it came from.
        from: SessionOrigin,
    },
    /// The current session reached its expiry and was dropped.
    SessionExpired,
    /// The server rejected the current session and it was dropped.
    SessionInvalidated,
    /// One renewal attempt failed; another may start at `retry_at`.
    AttemptFailed {
        /// Which attempt failed.
        attempt: u32,
        /// Why.
        error: AttemptError,
        /// When the next attempt may start.
        retry_at: SystemTime,
    },
    /// The renewal ended without a session.
    RenewalFailed(RenewalError),
    /// A new clock offset was measured from an answer's `Date` header.
    ClockOffsetChanged(ClockSkew),
    /// A saved session was not restored: the store's copy was unreadable,
    /// corrupt, another application's, expired, or not safe to trust (a
    /// session file others can read). The session is created anew.
    StoreIgnored {
        /// Which of those, for a log line; never the session itself.
        reason: String,
    },
    /// The store shared with other processes did not answer: this process
    /// renews on its own until it does. Sent once per outage.
    SharingUnavailable {
        /// What failed, for a log line; never a credential.
        reason: String,
    },
    /// The shared store answers again: renewals are shared again.
    SharingResumed,
    /// The session another process published was not taken: not a session
    /// token, another application's or identity kind's, expired, or
    /// claiming to outlive any session (a store written by another
    /// program, or tampered with). It was dropped from the store if still
    /// there, and this process renewed instead.
    SharedSessionIgnored {
        /// Which of those, for a log line; never the session itself.
        reason: String,
    },
    /// A user was logged in on the current token, or logged out of it: the
    /// token now belongs to that user (or to the application alone), and
    /// renewals create the same kind of session.
    IdentityChanged {
        /// The user the token now belongs to; `None` for an application
        /// session.
        user_id: Option<u64>,
    },
}

/// One line, times in RFC 3339 (UTC), no token: for a log.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::FixedToken)?;
/// let mut session = Session::new(SessionToken::new("t0k3n"));
/// session.user_id = 1001;
/// lifecycle.set_session(now, session, None);
/// let event = lifecycle.poll_event().unwrap();
/// assert_eq!(
///     event.to_string(),
///     "session created for user 1001, expires at 2023-11-15T00:13:20Z"
/// );
/// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
/// ```
impl fmt::Display for LifecycleEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SessionCreated {
                session,
                expires_at,
            } => write!(
                f,
                "session created for {}, expires at {}",
                Whose(session),
                format_rfc3339(*expires_at)
            ),
            Self::SessionRenewed {
                session,
                expires_at,
            } => write!(
                f,
                "session renewed for {}, expires at {}",
                Whose(session),
                format_rfc3339(*expires_at)
            ),
            Self::SessionRestored {
                session,
                expires_at,
                from,
            } => write!(
                f,
                "session for {} {}, expires at {}",
                Whose(session),
                match from {
                    SessionOrigin::Store => "restored from the session store",
                    SessionOrigin::Fleet => "taken from the fleet's shared store",
                    SessionOrigin::Created => "created",
                },
                format_rfc3339(*expires_at)
            ),
            Self::SessionExpired => f.write_str("session expired"),
            Self::SessionInvalidated => f.write_str("session rejected by the server"),
            Self::AttemptFailed {
                attempt,
                error,
                retry_at,
            } => write!(
                f,
                "renewal attempt {attempt} failed: {}; next attempt at {}",
                Chain(error),
                format_rfc3339(*retry_at)
            ),
            Self::RenewalFailed(error) => write!(f, "{}", Chain(error)),
            Self::ClockOffsetChanged(offset) => write!(
                f,
                "clock offset measured: the server's clock is {} s {} this one's",
                offset.as_secs().unsigned_abs(),
                if offset.as_secs() < 0 {
                    "behind"
                } else {
                    "ahead of"
                }
            ),
            Self::StoreIgnored { reason } => write!(f, "saved session ignored: {reason}"),
            Self::SharingUnavailable { reason } => {
                write!(f, "shared store unavailable, renewing alone: {reason}")
            }
            Self::SharingResumed => f.write_str("shared store answers again"),
            Self::SharedSessionIgnored { reason } => {
                write!(f, "the fleet's shared session ignored: {reason}")
            }
            Self::IdentityChanged { user_id: Some(id) } => {
                write!(f, "the token now belongs to user {id}")
            }
            Self::IdentityChanged { user_id: None } => {
                f.write_str("the token now belongs to the application alone")
            }
        }
    }
}

/// "user 1001" or "the application".
struct Whose<'a>(&'a Session);

impl fmt::Display for Whose<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.user() {
            Some(id) => write!(f, "user {id}"),
            None => f.write_str("the application"),
        }
    }
}

/// An error and its sources on one line, as `{:#}` in anyhow prints them.
struct Chain<'a>(&'a dyn std::error::Error);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
