//! The lifecycle's tunables: when to renew, how often to retry, what to believe.

use std::fmt;
use std::time::Duration;

/// When to renew, how to retry, and what to believe about clocks.
///
/// Every setter takes and returns the policy, so a policy reads as one
/// expression; [`SessionLifecycle::new`](super::SessionLifecycle::new)
/// checks it and says which value is unusable.
///
/// ```
/// use std::time::Duration;
/// use qb_auth_core::lifecycle::Policy;
///
/// let policy = Policy::default()
///     .with_renew_margin(Duration::from_secs(600))
///     .with_max_attempts(3)
///     .with_jitter_seed(0x5eed);
/// assert_eq!(policy.renew_margin(), Duration::from_secs(600));
/// assert_eq!(policy.default_ttl(), Duration::from_secs(2 * 60 * 60));
/// assert!(policy.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    renew_margin: Duration,
    renew_jitter: f64,
    default_ttl: Duration,
    max_attempts: u32,
    backoff_base: Duration,
    backoff_cap: Duration,
    backoff_jitter: f64,
    retry_after_cap: Duration,
    max_clock_offset: Duration,
    renewal_timeout: Duration,
    failure_hold: Duration,
    max_wait: Duration,
    jitter_seed: u64,
}

impl Default for Policy {
    /// Renew 5 minutes (plus up to 20 % more) before expiry; assume 2 hours
    /// without `QB-Token-ExpirationDate`; 4 attempts per renewal with
    /// backoff from 1 s to 30 s (half of it random); `Retry-After` honoured
    /// up to 2 minutes; clock offsets up to 24 hours believed; a renewal
    /// without an answer after 60 s counts as failed; a final failure is
    /// repeated to new callers for 1 s; jitter seed 0.
    ///
    /// ```
    /// use std::time::Duration;
    /// use qb_auth_core::lifecycle::Policy;
    ///
    /// let p = Policy::default();
    /// assert_eq!(p.renew_margin(), Duration::from_secs(300));
    /// assert_eq!(p.max_attempts(), 4);
    /// ```
    fn default() -> Self {
        Self {
            renew_margin: Duration::from_secs(5 * 60),
            renew_jitter: 0.2,
            default_ttl: Duration::from_secs(2 * 60 * 60),
            max_attempts: 4,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            backoff_jitter: 0.5,
            retry_after_cap: Duration::from_secs(120),
            max_clock_offset: Duration::from_secs(24 * 60 * 60),
            renewal_timeout: Duration::from_secs(60),
            failure_hold: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
            jitter_seed: 0,
        }
    }
}

impl Policy {
    /// Renew this long before the token expires, so that a request never
    /// races the expiry. Capped for each session at half its lifetime, so a
    /// short-lived token is not renewed on every ask.
    pub fn with_renew_margin(mut self, margin: Duration) -> Self {
        self.renew_margin = margin;
        self
    }

    /// Renew earlier by a random part of the margin, up to this fraction of
    /// it (`0.0..=1.0`), so that processes started together do not all
    /// renew in the same second.
    pub fn with_renew_jitter(mut self, fraction: f64) -> Self {
        self.renew_jitter = fraction;
        self
    }

    /// How long a token lives after its last use when the answer has no
    /// `QB-Token-ExpirationDate` (QuickBlox: 2 hours; Enterprise plans can
    /// change it). Must not be zero.
    pub fn with_default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// The most signed requests (or token-provider calls) one renewal may
    /// make, the re-sign after "Bad timestamp" included. At least 1.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The backoff after the first failed attempt; it doubles after each
    /// further failure, up to `cap`.
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_cap = cap;
        self
    }

    /// Shorten each backoff by a random part of it, up to this fraction
    /// (`0.0..=1.0`). With the default 0.5 each delay lies in
    /// `(d/2, d]`, so delays still grow from one attempt to the next.
    pub fn with_backoff_jitter(mut self, fraction: f64) -> Self {
        self.backoff_jitter = fraction;
        self
    }

    /// The longest `Retry-After` honoured; a longer one waits this long.
    pub fn with_retry_after_cap(mut self, cap: Duration) -> Self {
        self.retry_after_cap = cap;
        self
    }

    /// The largest clock offset believed; a `Date` header further from the
    /// local clock is ignored.
    pub fn with_max_clock_offset(mut self, max: Duration) -> Self {
        self.max_clock_offset = max;
        self
    }

    /// How long a renewal may stay unanswered before it counts as a failed
    /// attempt (a lost task, a hung connection) and another caller may
    /// start the next one. Keep it longer than the transport's own timeout.
    /// Must not be zero.
    pub fn with_renewal_timeout(mut self, timeout: Duration) -> Self {
        self.renewal_timeout = timeout;
        self
    }

    /// The pause after a renewal ends without a session, shortened by up
    /// to the backoff jitter so that processes do not retry in step.
    ///
    /// - After a run spent its attempts on failures that may pass (5xx,
    ///   429, transport): callers that waited on it get its error; callers
    ///   that ask later wait out the pause and start a new run, so a
    ///   long-running service keeps serving through an outage.
    /// - After an answer no retry fixes soon: callers asking within the
    ///   pause get the same failure at once.
    /// - After the server refused the credentials: callers get the failure
    ///   until the credentials change; the pause is how often one ask
    ///   checks the provider for new ones (nothing is sent while they are
    ///   the same).
    ///
    /// Zero starts the next run at once.
    pub fn with_failure_hold(mut self, hold: Duration) -> Self {
        self.failure_hold = hold;
        self
    }

    /// How long one caller waits for a token at most, from its first poll
    /// (an [`Ask`](super::Ask) may bring its own deadline instead). A
    /// caller whose wait would end later, behind a long backoff or
    /// `Retry-After`, gets [`RenewalError::CallerDeadline`](super::RenewalError::CallerDeadline)
    /// at once, with when the next attempt may start. Must not be zero.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Seeds the jitter generator. The lifecycle never reads the OS random
    /// generator itself (it is sans-IO and reproducible); drivers seed it
    /// from the OS, tests with a constant.
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = seed;
        self
    }

    /// See [`Policy::with_renew_margin`].
    pub fn renew_margin(&self) -> Duration {
        self.renew_margin
    }

    /// See [`Policy::with_renew_jitter`].
    pub fn renew_jitter(&self) -> f64 {
        self.renew_jitter
    }

    /// See [`Policy::with_default_ttl`].
    pub fn default_ttl(&self) -> Duration {
        self.default_ttl
    }

    /// See [`Policy::with_max_attempts`].
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// See [`Policy::with_backoff`].
    pub fn backoff_base(&self) -> Duration {
        self.backoff_base
    }

    /// See [`Policy::with_backoff`].
    pub fn backoff_cap(&self) -> Duration {
        self.backoff_cap
    }

    /// See [`Policy::with_backoff_jitter`].
    pub fn backoff_jitter(&self) -> f64 {
        self.backoff_jitter
    }

    /// See [`Policy::with_retry_after_cap`].
    pub fn retry_after_cap(&self) -> Duration {
        self.retry_after_cap
    }

    /// See [`Policy::with_max_clock_offset`].
    pub fn max_clock_offset(&self) -> Duration {
        self.max_clock_offset
    }

    /// See [`Policy::with_renewal_timeout`].
    pub fn renewal_timeout(&self) -> Duration {
        self.renewal_timeout
    }

    /// See [`Policy::with_failure_hold`].
    pub fn failure_hold(&self) -> Duration {
        self.failure_hold
    }

    /// See [`Policy::with_max_wait`].
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// See [`Policy::with_jitter_seed`].
    pub fn jitter_seed(&self) -> u64 {
        self.jitter_seed
    }

    /// Checks every value; the error names the first unusable one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use qb_auth_core::lifecycle::Policy;
    ///
    /// let err = Policy::default().with_default_ttl(Duration::ZERO).validate().unwrap_err();
    /// assert_eq!(err.field(), "default_ttl");
    /// assert_eq!(err.to_string(), "invalid lifecycle policy: default_ttl must be longer than zero");
    /// ```
    pub fn validate(&self) -> Result<(), PolicyError> {
        fraction(self.renew_jitter, "renew_jitter")?;
        fraction(self.backoff_jitter, "backoff_jitter")?;
        if self.default_ttl.is_zero() {
            return Err(PolicyError::new("default_ttl", "must be longer than zero"));
        }
        if self.renewal_timeout.is_zero() {
            return Err(PolicyError::new(
                "renewal_timeout",
                "must be longer than zero",
            ));
        }
        if self.max_wait.is_zero() {
            return Err(PolicyError::new("max_wait", "must be longer than zero"));
        }
        if self.max_attempts == 0 {
            return Err(PolicyError::new("max_attempts", "must be at least 1"));
        }
        Ok(())
    }
}

fn fraction(value: f64, field: &'static str) -> Result<(), PolicyError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(PolicyError::new(
            field,
            "must be a fraction from 0.0 to 1.0",
        ))
    }
}

/// A [`Policy`] value that cannot be used.
///
/// ```
/// use qb_auth_core::lifecycle::Policy;
///
/// let err = Policy::default().with_backoff_jitter(f64::NAN).validate().unwrap_err();
/// assert_eq!(err.field(), "backoff_jitter");
/// assert_eq!(err.reason(), "must be a fraction from 0.0 to 1.0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    field: &'static str,
    reason: &'static str,
}

impl PolicyError {
    const fn new(field: &'static str, reason: &'static str) -> Self {
        Self { field, reason }
    }

    /// The setting at fault, as named in [`Policy`] (`max_attempts`, ...).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid lifecycle policy: {} {}",
            self.field, self.reason
        )
    }
}

impl std::error::Error for PolicyError {}
