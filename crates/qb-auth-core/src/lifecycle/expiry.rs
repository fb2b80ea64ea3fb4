//! When a new session stops being valid by the local clock, as the
//! lifecycle reads it: for a process that hands the session on (a fleet
//! publishing it to the others) and must give the expiry it keeps itself.

use std::time::SystemTime;

use super::outcome::NewSession;
use super::policy::Policy;
use super::skew::ClockSkew;
use super::snapshot::LifecycleSnapshot;

/// Reads a server-clock expiry as a local time: by its distance from the
/// same answer's `Date` when there is one (exact whatever the local clock
/// says), else through the measured offset. `None` when absent, or when it
/// is not after `now`: a token that just worked is not already expired.
pub(crate) fn local_expiry(
    now: SystemTime,
    expires_at: Option<SystemTime>,
    server_date: Option<SystemTime>,
    offset: ClockSkew,
) -> Option<SystemTime> {
    let server_expiry = expires_at?;
    let local = match server_date {
        Some(date) => now.checked_add(server_expiry.duration_since(date).ok()?)?,
        None => offset.to_local(server_expiry),
    };
    (local > now).then_some(local)
}

impl NewSession {
    /// The snapshot a lifecycle with `policy` and `clock_offset` holds
    /// right after this session became current at `now`: the clock offset
    /// measured from the answer's `Date` (when believable), and the
    /// session's expiry read the way the lifecycle reads it (from
    /// `QB-Token-ExpirationDate` against `Date`, else through the offset,
    /// else the policy's default TTL), to the nanosecond.
    ///
    /// For handing the session to another process that restores it (a
    /// fleet's shared store): that process then expires it when this one
    /// does.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use qb_auth_core::{Session, SessionToken};
    /// use qb_auth_core::lifecycle::{ClockSkew, NewSession, Policy};
    ///
    /// let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
    /// let mut session = Session::new(SessionToken::new("t0k3n"));
    /// session.expires_at = Some(UNIX_EPOCH + Duration::from_secs(1_700_007_200));
    /// let new = NewSession {
    ///     server_date: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
    ///     ..NewSession::new(session)
    /// };
    ///
    /// let snapshot = new.snapshot_at(now, ClockSkew::ZERO, &Policy::default());
    /// // Two hours from the answer's `Date`, counted from when it arrived.
    /// assert_eq!(snapshot.valid_until(), Some(now + Duration::from_secs(7200)));
    ///
    /// // A token provider's session, no expiry given: the default TTL.
    /// let minted = NewSession::new(Session::new(SessionToken::new("t")));
    /// let snapshot = minted.snapshot_at(now, ClockSkew::ZERO, &Policy::default());
    /// assert_eq!(snapshot.valid_until(), Some(now + Duration::from_secs(2 * 3600)));
    /// ```
    pub fn snapshot_at(
        &self,
        now: SystemTime,
        clock_offset: ClockSkew,
        policy: &Policy,
    ) -> LifecycleSnapshot {
        let offset = self
            .server_date
            .and_then(|date| ClockSkew::measure_bounded(date, now, policy.max_clock_offset()))
            .unwrap_or(clock_offset);
        let expires_at = local_expiry(now, self.session.expires_at, self.server_date, offset)
            .unwrap_or_else(|| now.checked_add(policy.default_ttl()).unwrap_or(now));
        LifecycleSnapshot::new(Some((self.session.clone(), expires_at)), offset)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::lifecycle::{Ask, RenewalMode, SessionLifecycle, TokenAction};
    use crate::{Session, SessionToken};

    /// Whatever the answer carried, the snapshot's expiry and offset are
    /// the ones the lifecycle installs from the same answer at the same
    /// instant.
    #[test]
    fn agrees_with_what_the_lifecycle_installs() {
        let now = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        let server = |secs: u64| Some(UNIX_EPOCH + Duration::from_secs(secs));
        let cases = [
            (server(1_700_007_200), server(1_700_000_000)),
            (server(1_700_007_200), None),
            (None, server(1_700_000_090)),
            (None, None),
            // An expiry already past: not believed, the default TTL.
            (server(1_600_000_000), server(1_700_000_000)),
        ];
        for (expires_at, server_date) in cases {
            let mut session = Session::new(SessionToken::new("t"));
            session.expires_at = expires_at;
            let new = NewSession {
                server_date,
                ..NewSession::new(session)
            };
            let policy = Policy::default();
            let offset = ClockSkew::from_secs(30);
            let snapshot = new.snapshot_at(now, offset, &policy);

            let mut lifecycle = SessionLifecycle::new(policy, RenewalMode::TokenProvider).unwrap();
            lifecycle.restore(now, LifecycleSnapshot::new(None, offset));
            let TokenAction::Renew(ticket) = lifecycle.poll_token(now, &mut Ask::new()) else {
                panic!("a renewal");
            };
            lifecycle.on_renewal_result(ticket, now, Ok(new));
            assert_eq!(
                snapshot,
                lifecycle.snapshot(),
                "{expires_at:?} {server_date:?}"
            );
        }
    }
}
