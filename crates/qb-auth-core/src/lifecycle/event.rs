//! Things that happened, for transports to turn into callbacks and logs.

use std::time::SystemTime;

use crate::response::Session;

use super::outcome::{AttemptError, RenewalError};
use super::skew::ClockSkew;

/// Something the lifecycle did, queued until
/// [`poll_event`](super::SessionLifecycle::poll_event) takes it.
///
/// Transports turn these into user callbacks (session created, renewed,
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
