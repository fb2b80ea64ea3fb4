//! Delays between attempts, and the seeded generator that jitters them.

use std::time::{Duration, SystemTime};

use super::outcome::{AttemptError, Next};
use super::policy::Policy;

/// The jitter source: fastrand's wyrand, fully determined by the policy's
/// seed. Jitter only spreads load; it guards nothing, so it needs no
/// cryptographic strength, and a seed makes every schedule reproducible.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(fastrand::Rng);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Self(fastrand::Rng::with_seed(seed))
    }

    /// A value in `[0, 1)`.
    pub(crate) fn next_unit(&mut self) -> f64 {
        self.0.f64()
    }
}

/// The wait after `failed` attempts (1 for the first failure): the base
/// doubled per further failure up to the cap, shortened by up to the jitter
/// fraction, and never shorter than the server's `Retry-After` (itself
/// capped).
pub(crate) fn delay(
    policy: &Policy,
    failed: u32,
    retry_after: Option<Duration>,
    unit: f64,
) -> Duration {
    let doublings = failed.saturating_sub(1).min(31);
    let exponential = policy
        .backoff_base()
        .checked_mul(1u32 << doublings)
        .unwrap_or(Duration::MAX)
        .min(policy.backoff_cap());
    let jittered = exponential.mul_f64(1.0 - policy.backoff_jitter() * unit);
    match retry_after {
        Some(asked) => jittered.max(asked.min(policy.retry_after_cap())),
        None => jittered,
    }
}

/// When the next attempt may start after `error`, the `failed`-th failure
/// of a run, or `None` to stop: the one rule for a managed session's
/// renewals and for one-shot calls (the caller checks the attempt budget).
///
/// `clock_measured`: the failed answer carried a believable `Date`, so the
/// clock offset was just corrected; one re-sign after "Bad timestamp" is
/// then allowed per run, and `clock_corrected` records that it was spent.
pub(crate) fn next_attempt(
    policy: &Policy,
    jitter: &mut Jitter,
    failed: u32,
    error: &AttemptError,
    now: SystemTime,
    clock_measured: bool,
    clock_corrected: &mut bool,
) -> Option<SystemTime> {
    match error.next() {
        Next::Backoff => {
            let asked = error
                .api_error()
                .and_then(|e| e.retry_after())
                .map(|r| r.delay_from(now));
            let wait = delay(policy, failed, asked, jitter.next_unit());
            Some(now.checked_add(wait).unwrap_or(now))
        }
        Next::Immediately => Some(now),
        Next::AfterClockCorrection if clock_measured && !*clock_corrected => {
            *clock_corrected = true;
            Some(now)
        }
        Next::AfterClockCorrection | Next::Stop => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_deterministic_per_seed_and_spread() {
        let mut a = Jitter::new(7);
        let mut b = Jitter::new(7);
        let xs: Vec<f64> = (0..1000).map(|_| a.next_unit()).collect();
        let ys: Vec<f64> = (0..1000).map(|_| b.next_unit()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let low = xs.iter().filter(|x| **x < 0.5).count();
        assert!((400..600).contains(&low), "{low} of 1000 below 0.5");
        assert_ne!(Jitter::new(8).next_unit(), Jitter::new(7).next_unit());
    }

    #[test]
    fn delay_doubles_to_the_cap_and_jitter_only_shortens() {
        let p = Policy::default().with_backoff(Duration::from_secs(1), Duration::from_secs(10));
        assert_eq!(delay(&p, 1, None, 0.0), Duration::from_secs(1));
        assert_eq!(delay(&p, 2, None, 0.0), Duration::from_secs(2));
        assert_eq!(delay(&p, 4, None, 0.0), Duration::from_secs(8));
        assert_eq!(delay(&p, 5, None, 0.0), Duration::from_secs(10));
        assert_eq!(delay(&p, u32::MAX, None, 0.0), Duration::from_secs(10));
        let shortest = delay(&p, 1, None, 0.999_999);
        assert!(shortest > Duration::from_millis(500) && shortest < Duration::from_millis(501));
    }

    #[test]
    fn retry_after_is_a_floor_up_to_its_cap() {
        let p = Policy::default().with_retry_after_cap(Duration::from_secs(20));
        assert_eq!(
            delay(&p, 1, Some(Duration::from_secs(7)), 0.0),
            Duration::from_secs(7)
        );
        assert_eq!(
            delay(&p, 1, Some(Duration::from_secs(3600)), 0.0),
            Duration::from_secs(20)
        );
        assert_eq!(
            delay(&p, 6, Some(Duration::ZERO), 0.0),
            Duration::from_secs(30)
        );
    }
}
