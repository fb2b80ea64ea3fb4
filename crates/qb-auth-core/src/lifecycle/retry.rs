//! The retries of a one-shot call (create a session, log in, read a
//! session or the account settings), by the rules a managed session's
//! renewal follows: backoff with jitter on answers and failures that may
//! pass, `Retry-After` honoured, a fresh nonce and timestamp per attempt,
//! one re-sign after "Bad timestamp" with the offset read from `Date`,
//! never a retry of refused credentials, and never an attempt that would
//! start later than the policy's [`max_wait`](Policy::max_wait) after the
//! call began (a `Retry-After` of hours fails the call at once).

use std::fmt;
use std::time::SystemTime;

use crate::call::Resend;
use crate::nonce::{Nonce, SigningInput};

use super::backoff::{self, Jitter};
use super::outcome::AttemptError;
use super::policy::Policy;
use super::skew::ClockSkew;

/// The attempts of one call: what to sign the next one with, and whether
/// and when there is a next one.
///
/// Sans-IO like the rest of the lifecycle: the caller sends, reads the
/// clock and sleeps. Build one per call; it starts from the clock offset
/// the caller remembers and measures a new one when the server refuses a
/// timestamp.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::call::Resend;
/// use qb_auth_core::lifecycle::{AttemptError, CallRetry, ClockSkew, Policy};
/// use qb_auth_core::{Nonce, TransportError, TransportErrorKind};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let policy = Policy::default().with_backoff_jitter(0.0);
/// let mut retry = CallRetry::new(&policy, ClockSkew::ZERO, Resend::IfRetryable, now);
/// let input = retry.signing_input(now, Nonce::new(7)?);
/// assert_eq!(input.timestamp(), 1_700_000_000);
///
/// // A dropped connection: try again after the backoff's first step.
/// let lost = AttemptError::from(TransportError::from_kind(TransportErrorKind::Connection));
/// assert_eq!(retry.after_failure(now, &lost), Some(now + Duration::from_secs(1)));
/// assert_eq!(retry.attempt(), 2);
///
/// // A logout is sent again only when it never left.
/// let mut logout = CallRetry::new(&policy, ClockSkew::ZERO, Resend::IfNeverSent, now);
/// assert_eq!(logout.after_failure(now, &lost), None);
///
/// // A wait past the policy's max_wait (60 s by default) is not made.
/// let mut read = CallRetry::new(&policy, ClockSkew::ZERO, Resend::IfRetryable, now);
/// assert_eq!(read.after_failure(now + Duration::from_secs(60), &lost), None);
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
pub struct CallRetry {
    policy: Policy,
    jitter: Jitter,
    resend: Resend,
    failed: u32,
    clock_offset: ClockSkew,
    clock_corrected: bool,
    started: SystemTime,
}

impl CallRetry {
    /// The first attempt of a call that begins at `now`, under `policy`
    /// (its attempt budget, backoff, `Retry-After` cap, `max_wait`,
    /// clock-offset bound and jitter seed), signing with `clock_offset`.
    pub fn new(policy: &Policy, clock_offset: ClockSkew, resend: Resend, now: SystemTime) -> Self {
        Self {
            jitter: Jitter::new(policy.jitter_seed()),
            policy: policy.clone(),
            resend,
            failed: 0,
            clock_offset,
            clock_corrected: false,
            started: now,
        }
    }

    /// When the call began.
    pub fn started(&self) -> SystemTime {
        self.started
    }

    /// The attempt about to be made, from 1.
    pub fn attempt(&self) -> u32 {
        self.failed.saturating_add(1)
    }

    /// The clock offset the next attempt signs with: the one given, or the
    /// one measured from a "Bad timestamp" answer's `Date`. Keep it for the
    /// next call.
    pub fn clock_offset(&self) -> ClockSkew {
        self.clock_offset
    }

    /// The time and nonce to sign the next attempt with: `now` moved by
    /// the clock offset. Pass a fresh nonce every time; QuickBlox refuses a
    /// repeated `(timestamp, nonce)` pair.
    pub fn signing_input(&self, now: SystemTime, nonce: Nonce) -> SigningInput {
        SigningInput::at(self.clock_offset.to_server(now), nonce)
    }

    /// Records a failed attempt and says when the next may start, or
    /// `None` when the call should fail with `error`: it cannot pass, the
    /// call may not be resent after it, the policy's attempts are spent, or
    /// the next attempt would start more than the policy's `max_wait` after
    /// the call began.
    pub fn after_failure(&mut self, now: SystemTime, error: &AttemptError) -> Option<SystemTime> {
        self.failed = self.failed.saturating_add(1);
        let resend = match self.resend {
            Resend::IfRetryable => true,
            Resend::IfNeverSent => never_sent(error),
            Resend::Never => false,
        };
        if !resend {
            return None;
        }
        let measured = self.measure_clock(now, error);
        let at = backoff::next_attempt(
            &self.policy,
            &mut self.jitter,
            self.failed,
            error,
            now,
            measured,
            &mut self.clock_corrected,
        )?;
        let deadline = self.started.checked_add(self.policy.max_wait());
        let in_time = deadline.is_none_or(|deadline| at <= deadline);
        (self.failed < self.policy.max_attempts() && in_time).then_some(at)
    }

    /// Takes the server's clock from a refused timestamp's `Date`, within
    /// the policy's bound; whether it did.
    fn measure_clock(&mut self, now: SystemTime, error: &AttemptError) -> bool {
        let measured = error
            .api_error()
            .filter(|e| e.kind() == crate::ErrorKind::BadTimestamp)
            .and_then(|e| e.server_date())
            .and_then(|date| ClockSkew::measure_bounded(date, now, self.policy.max_clock_offset()));
        match measured {
            Some(offset) => {
                self.clock_offset = offset;
                true
            }
            None => false,
        }
    }
}

fn never_sent(error: &AttemptError) -> bool {
    matches!(error, AttemptError::Transport(e) if e.kind().never_sent())
}

impl fmt::Debug for CallRetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallRetry")
            .field("attempt", &self.attempt())
            .field("resend", &self.resend)
            .field("clock_offset", &self.clock_offset)
            .finish_non_exhaustive()
    }
}
