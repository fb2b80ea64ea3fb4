//! Every success slides a session's expiry. A burst of successes within a
//! moment would each take the lifecycle's lock to move it by microseconds;
//! the gate lets one through per thousandth of the session's life left (at
//! most a second), so the expiry held lags the server's by less than that.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use qb_auth_core::SessionToken;

/// The last slide: of which token, and until when the next may wait.
#[derive(Debug, Default)]
pub(crate) struct SlideGate {
    /// The address of the token's text (one allocation per token, shared
    /// by every copy): tells tokens apart without reading them.
    token: AtomicUsize,
    /// Nanoseconds since the Unix epoch.
    until: AtomicU64,
}

impl SlideGate {
    /// Whether a success of `token`, sent at `sent_at`, falls within the
    /// window of the last slide, so sliding again can wait.
    pub(crate) fn skips(&self, token: &SessionToken, sent_at: SystemTime) -> bool {
        self.token.load(Ordering::Relaxed) == address(token)
            && nanos(sent_at) < self.until.load(Ordering::Relaxed)
    }

    /// Records a slide of `token` at `sent_at`, the session then having
    /// `left` to live.
    pub(crate) fn slid(&self, token: &SessionToken, sent_at: SystemTime, left: Duration) {
        let window = (left / 1000).min(Duration::from_secs(1));
        self.until.store(
            nanos(sent_at).saturating_add(nanos_of(window)),
            Ordering::Relaxed,
        );
        self.token.store(address(token), Ordering::Relaxed);
    }
}

fn address(token: &SessionToken) -> usize {
    token.expose().as_ptr() as usize
}

fn nanos(at: SystemTime) -> u64 {
    nanos_of(at.duration_since(UNIX_EPOCH).unwrap_or_default())
}

fn nanos_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slide_opens_a_window_for_its_token_only() {
        let gate = SlideGate::default();
        let (token, other) = (SessionToken::new("t"), SessionToken::new("t"));
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert!(!gate.skips(&token, at), "nothing slid yet");
        gate.slid(&token, at, Duration::from_secs(7200));
        let copy = token.clone();
        assert!(
            gate.skips(&copy, at + Duration::from_millis(999)),
            "a copy is the same token"
        );
        drop(copy);
        assert!(!gate.skips(&token, at + Duration::from_secs(1)));
        assert!(!gate.skips(&other, at), "another token, though equal text");
        // A short life left: a thousandth of it.
        gate.slid(&token, at, Duration::from_secs(2));
        assert!(gate.skips(&token, at + Duration::from_micros(1999)));
        assert!(!gate.skips(&token, at + Duration::from_millis(2)));
    }
}
