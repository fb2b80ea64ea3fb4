//! Injected faults: bursts queued with `fail_next`, and random shares drawn
//! from a seeded generator so that a run can be repeated exactly.

use std::collections::VecDeque;

use crate::error::ConfigError;

/// A failure the emulator can answer with instead of serving a request.
///
/// An injected fault replaces the request entirely: nothing is processed,
/// so a create-session request that got a fault did not use its nonce.
///
/// ```
/// use qb_auth_emulator::Fault;
///
/// let fault = Fault::Status429 { retry_after_secs: 2 };
/// assert_eq!(fault.status(), Some(429));
/// assert_eq!(Fault::Drop.status(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// 500 `{"errors":["Internal Server Error"]}`.
    Status500,
    /// 503 `{"errors":["Service Unavailable"]}`.
    Status503,
    /// 429 `{"errors":["Too Many Requests"]}` with `Retry-After`.
    Status429 {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// The connection is closed before any byte of an answer is sent.
    Drop,
}

impl Fault {
    /// The status answered, or `None` for a dropped connection.
    ///
    /// ```
    /// use qb_auth_emulator::Fault;
    ///
    /// assert_eq!(Fault::Status500.status(), Some(500));
    /// assert_eq!(Fault::Status503.status(), Some(503));
    /// assert_eq!(Fault::Drop.status(), None, "no answer at all");
    /// ```
    pub const fn status(self) -> Option<u16> {
        match self {
            Self::Status500 => Some(500),
            Self::Status503 => Some(503),
            Self::Status429 { .. } => Some(429),
            Self::Drop => None,
        }
    }
}

/// The random shares of requests that fail, each in `0.0..=1.0`, together at
/// most `1.0`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Shares {
    pub(crate) status_500: f64,
    pub(crate) status_503: f64,
    pub(crate) drop: f64,
    /// 429 with `Retry-After: retry_after_secs`.
    pub(crate) status_429: f64,
    pub(crate) retry_after_secs: u64,
}

impl Shares {
    pub(crate) fn validate(self) -> Result<Self, ConfigError> {
        let ok = |x: f64| (0.0..=1.0).contains(&x);
        let sum = self.status_500 + self.status_503 + self.drop + self.status_429;
        // A small tolerance so that shares such as 0.7 + 0.2 + 0.1 pass.
        let each = [self.status_500, self.status_503, self.drop, self.status_429];
        if each.into_iter().all(ok) && sum <= 1.0 + 1e-9 {
            Ok(self)
        } else {
            Err(ConfigError::InvalidShares {
                status_500: self.status_500.to_string(),
                status_503: self.status_503.to_string(),
                drop: self.drop.to_string(),
                status_429: self.status_429.to_string(),
            })
        }
    }
}

/// Which fault, if any, the next request gets.
#[derive(Debug, Clone)]
pub(crate) struct FaultPlan {
    /// Runs of queued faults: a fault and how many requests still get it,
    /// so that any count takes the same memory.
    queue: VecDeque<(Fault, usize)>,
    shares: Shares,
    /// Not for anything secret: tokens come from the OS generator.
    rng: fastrand::Rng,
}

impl FaultPlan {
    pub(crate) fn new(shares: Shares, seed: u64) -> Self {
        Self {
            queue: VecDeque::new(),
            shares,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    pub(crate) fn set_shares(&mut self, shares: Shares) {
        self.shares = shares;
    }

    pub(crate) fn shares(&self) -> Shares {
        self.shares
    }

    pub(crate) fn push(&mut self, count: usize, fault: Fault) {
        match self.queue.back_mut() {
            Some((last, queued)) if *last == fault => *queued = queued.saturating_add(count),
            _ if count > 0 => self.queue.push_back((fault, count)),
            _ => {}
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.shares = Shares::default();
    }

    /// The faults still queued, in order, as runs of one fault.
    pub(crate) fn queued(&self) -> impl Iterator<Item = (Fault, usize)> + '_ {
        self.queue.iter().copied()
    }

    /// Queued faults come first; otherwise one draw decides among the shares.
    pub(crate) fn next(&mut self) -> Option<Fault> {
        if let Some((fault, left)) = self.queue.front_mut() {
            let fault = *fault;
            *left -= 1;
            if *left == 0 {
                self.queue.pop_front();
            }
            return Some(fault);
        }
        let Shares {
            status_500,
            status_503,
            drop,
            status_429,
            retry_after_secs,
        } = self.shares;
        if status_500 + status_503 + drop + status_429 <= 0.0 {
            return None;
        }
        // The 429 share comes last, so a seed draws the same drops, 500s
        // and 503s as it did before that share existed.
        let draw = self.rng.f64();
        if draw < drop {
            Some(Fault::Drop)
        } else if draw < drop + status_500 {
            Some(Fault::Status500)
        } else if draw < drop + status_500 + status_503 {
            Some(Fault::Status503)
        } else if draw < drop + status_500 + status_503 + status_429 {
            Some(Fault::Status429 { retry_after_secs })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_faults_come_first_then_shares() {
        let mut plan = FaultPlan::new(
            Shares {
                status_500: 1.0,
                ..Shares::default()
            },
            7,
        );
        plan.push(1, Fault::Drop);
        plan.push(1, Fault::Drop);
        plan.push(0, Fault::Status503);
        plan.push(
            usize::MAX,
            Fault::Status429 {
                retry_after_secs: 1,
            },
        );
        assert_eq!(plan.queued().count(), 2, "runs, whatever the counts");
        assert_eq!(plan.next(), Some(Fault::Drop));
        assert_eq!(plan.next(), Some(Fault::Drop));
        assert_eq!(
            plan.next(),
            Some(Fault::Status429 {
                retry_after_secs: 1
            })
        );
        plan.clear();
        assert_eq!(plan.next(), None);
    }

    #[test]
    fn same_seed_same_sequence_and_shares_roughly_hold() {
        let shares = Shares {
            status_500: 0.25,
            status_503: 0.25,
            ..Shares::default()
        };
        let draw = |seed| {
            let mut plan = FaultPlan::new(shares, seed);
            (0..2000).map(|_| plan.next()).collect::<Vec<_>>()
        };
        let a = draw(42);
        assert_eq!(a, draw(42));
        assert_ne!(a, draw(43));
        let failed = a.iter().filter(|f| f.is_some()).count();
        assert!((800..1200).contains(&failed), "{failed} of 2000 failed");
    }

    #[test]
    fn no_shares_never_fail() {
        let mut plan = FaultPlan::new(Shares::default(), 1);
        assert!((0..100).all(|_| plan.next().is_none()));
    }

    #[test]
    fn shares_are_checked() {
        let bad = |s: Shares| s.validate().is_err();
        assert!(bad(Shares {
            status_500: 1.5,
            ..Shares::default()
        }));
        assert!(bad(Shares {
            status_500: -0.1,
            ..Shares::default()
        }));
        assert!(bad(Shares {
            status_500: 0.6,
            status_503: 0.6,
            ..Shares::default()
        }));
        assert!(bad(Shares {
            status_500: 0.6,
            status_429: 0.6,
            ..Shares::default()
        }));
        assert!(bad(Shares {
            drop: f64::NAN,
            ..Shares::default()
        }));
        assert!(
            Shares {
                status_500: 0.7,
                status_503: 0.2,
                drop: 0.1,
                ..Shares::default()
            }
            .validate()
            .is_ok()
        );
    }
}
