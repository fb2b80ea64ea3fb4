//! [`LifecycleStatus`]: where a lifecycle stands, for a health check.

use std::time::{Duration, SystemTime};

use super::outcome::RenewalError;

/// Where a lifecycle stands, as [`SessionLifecycle::status`] reads it:
/// cheap to take, for health checks, dashboards and `status` commands.
///
/// [`SessionLifecycle::status`]: super::SessionLifecycle::status
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::Session;
/// use qb_auth_core::lifecycle::{Phase, Policy, RenewalMode, SessionLifecycle};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
/// assert_eq!(lifecycle.status(now).phase, Phase::Idle);
/// lifecycle.set_session(now, Session::new("t".into()), None);
/// let status = lifecycle.status(now + Duration::from_secs(600));
/// assert_eq!(status.phase, Phase::Live);
/// assert_eq!(status.time_left, Some(Duration::from_secs(7200 - 600)));
/// assert!(status.last_failure.is_none());
/// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LifecycleStatus {
    /// What the renewal side is doing, or that a token is live and nothing
    /// needs doing.
    pub phase: Phase,
    /// When the token held expires by the local clock, if one is held and
    /// still valid.
    pub expires_at: Option<SystemTime>,
    /// How long the token held stays valid unless used, if one is.
    pub time_left: Option<Duration>,
    /// The failure of the last run that ended without a session, while it
    /// stands (a session since, a reset or a change of mode forgets it).
    pub last_failure: Option<RenewalError>,
    /// When that run ended.
    pub failed_at: Option<SystemTime>,
}

impl LifecycleStatus {
    /// Whether callers can get a token now or through a renewal that may
    /// start: a token is live, or nothing refuses or holds them off (the
    /// readiness of a service that depends on the session).
    pub fn is_ready(&self) -> bool {
        self.expires_at.is_some()
            || !matches!(
                self.phase,
                Phase::Refused { .. } | Phase::Held { .. } | Phase::Gone
            )
    }
}

/// The phase of a [`LifecycleStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// A token is held and no renewal is running.
    Live,
    /// No token and nothing running: the next caller starts a renewal.
    Idle,
    /// A renewal attempt is out (a token may still be held meanwhile).
    Renewing,
    /// An attempt failed and the next waits until `until`.
    BackingOff {
        /// When the next attempt may start.
        until: SystemTime,
    },
    /// A run spent its attempts on failures that may pass; a caller after
    /// `until` starts a new one.
    Cooling {
        /// When a new run may start.
        until: SystemTime,
    },
    /// A run ended on an error no retry fixes soon: callers without a
    /// token get it until `until`.
    Held {
        /// When a new run may start.
        until: SystemTime,
    },
    /// The server refused the credentials: callers without a token get
    /// the refusal; from `until` different credentials are tried.
    Refused {
        /// When the provider is asked again.
        until: SystemTime,
    },
    /// A fixed token is gone and nothing can replace it.
    Gone,
}
