//! The per-application rate limit: a token bucket per application, holding
//! one second's worth of requests and refilled continuously.

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    buckets: HashMap<u64, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// Takes one request from `app_id`'s bucket, or says how long until one
    /// is available (at least a second, as `Retry-After` counts in seconds).
    pub(crate) fn admit(&mut self, app_id: u64, per_second: u32, now: Instant) -> Result<(), u64> {
        let rate = f64::from(per_second);
        let bucket = self.buckets.entry(app_id).or_insert(Bucket {
            tokens: rate,
            last: now,
        });
        let refill = now.saturating_duration_since(bucket.last).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(rate);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / rate);
            Err(wait.as_secs_f64().ceil().max(1.0) as u64)
        }
    }

    /// Forgets buckets after the limit changes, so the new one starts full.
    pub(crate) fn reset(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_rate_then_refills() {
        let mut limiter = RateLimiter::default();
        let t0 = Instant::now();
        assert!(limiter.admit(1, 2, t0).is_ok());
        assert!(limiter.admit(1, 2, t0).is_ok());
        assert_eq!(limiter.admit(1, 2, t0), Err(1));
        assert!(
            limiter.admit(2, 2, t0).is_ok(),
            "another application has its own bucket"
        );
        assert!(limiter.admit(1, 2, t0 + Duration::from_millis(600)).is_ok());
        assert!(
            limiter
                .admit(1, 2, t0 + Duration::from_millis(600))
                .is_err()
        );
    }
}
