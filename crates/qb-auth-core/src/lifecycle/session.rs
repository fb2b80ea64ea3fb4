//! The session half of the machine: no token, or a live one.

use std::time::{Duration, SystemTime};

use crate::response::Session;

use super::action::RenewalReason;

/// Whether there is a token to hand out.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per lifecycle: boxing would only add an allocation per session"
)]
pub(super) enum SessionState {
    /// No token; the reason is the next renewal's (`NoSession`, `Expired`
    /// or `Rejected`).
    None(RenewalReason),
    /// A token that is valid until `expires_at` by the local clock.
    Live(Live),
}

#[derive(Debug)]
pub(super) struct Live {
    pub(super) session: Session,
    pub(super) expires_at: SystemTime,
    /// The jittered margin drawn for this session.
    pub(super) lead: Duration,
    /// From here on a proactive renewal may start (unless a renewal
    /// failed: the token is then kept until it expires).
    pub(super) renew_at: SystemTime,
}

impl SessionState {
    pub(super) fn live(&self) -> Option<&Live> {
        match self {
            Self::Live(live) => Some(live),
            Self::None(_) => None,
        }
    }

    pub(super) fn live_mut(&mut self) -> Option<&mut Live> {
        match self {
            Self::Live(live) => Some(live),
            Self::None(_) => None,
        }
    }
}

impl Live {
    pub(super) fn new(
        now: SystemTime,
        session: Session,
        expires_at: SystemTime,
        lead: Duration,
    ) -> Self {
        Self {
            session,
            expires_at,
            lead,
            renew_at: renew_time(now, expires_at, lead),
        }
    }

    /// Whether a proactive renewal is due at `now`.
    pub(super) fn due(&self, now: SystemTime) -> bool {
        now >= self.renew_at
    }

    /// Moves the expiry after a successful use at `now`.
    pub(super) fn slide(&mut self, now: SystemTime, expires_at: SystemTime) {
        self.expires_at = expires_at;
        self.renew_at = renew_time(now, expires_at, self.lead);
    }
}

/// When to start renewing: `lead` before expiry, but no earlier than
/// halfway through the remaining life, so a short-lived token is not
/// renewed on every ask.
fn renew_time(now: SystemTime, expires_at: SystemTime, lead: Duration) -> SystemTime {
    let life = expires_at.duration_since(now).unwrap_or_default();
    expires_at
        .checked_sub(lead.min(life / 2))
        .unwrap_or(expires_at)
}
