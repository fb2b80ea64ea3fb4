//! The state every request shares: the fixed directory, the knobs, the
//! sessions and nonces, and the counters.
//!
//! Locks are std mutexes held for a few map operations and never across an
//! `.await`; handlers are synchronous for that reason.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use qb_auth_core::SecretString;

use crate::config::Directory;
use crate::faults::{Fault, FaultPlan};
use crate::journal::Journal;
use crate::rate_limit::RateLimiter;
use crate::sessions::{NonceLedger, Sessions};
use crate::stats::{Counters, EmulatorStats};

/// QuickBlox accepts a timestamp up to 60 minutes from its clock.
pub(crate) const TIMESTAMP_WINDOW_SECS: i64 = 60 * 60;

/// Sweeps of expired sessions and old nonces run at most this often.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// At a cap, sweeps to make room run at most this often, so that a flood
/// of refused requests costs little.
const SWEEP_AT_CAP_EVERY: Duration = Duration::from_millis(100);

/// Which cap refused a create-session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    Sessions,
    Nonces,
}

/// The knobs that can change while the emulator runs.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub(crate) latency: Duration,
    pub(crate) session_ttl: Duration,
    pub(crate) rate_limit: Option<u32>,
    pub(crate) faults: FaultPlan,
}

/// Sessions and nonces, behind one lock since create-session touches both.
#[derive(Debug)]
pub(crate) struct Registry {
    pub(crate) sessions: Sessions,
    pub(crate) nonces: NonceLedger,
    /// When each user last made a request: `last_request_at`. At most one
    /// entry per configured user.
    pub(crate) user_last_request: HashMap<u64, SystemTime>,
    last_sweep: Instant,
    /// The last sweep made to find room at a cap (the regular sweep keeps
    /// recently expired sessions, this one does not).
    last_cap_sweep: Option<Instant>,
}

impl Registry {
    fn new() -> Self {
        Self {
            sessions: Sessions::default(),
            nonces: NonceLedger::default(),
            user_last_request: HashMap::new(),
            last_sweep: Instant::now(),
            last_cap_sweep: None,
        }
    }

    /// Room for one more session and one more used nonce, under the caps.
    /// At a cap, first forgets what no answer needs: every expired session
    /// (even within its minute of grace) and nonces too old to be accepted.
    pub(crate) fn make_room(
        &mut self,
        caps: Caps,
        ttl: Duration,
        oldest_acceptable: i64,
    ) -> Result<(), Full> {
        let full = |r: &Self| {
            if r.sessions.held() >= caps.sessions {
                Some(Full::Sessions)
            } else if r.nonces.held() >= caps.nonces {
                Some(Full::Nonces)
            } else {
                None
            }
        };
        if full(self).is_none() {
            return Ok(());
        }
        let now = Instant::now();
        let due = self
            .last_cap_sweep
            .is_none_or(|at| now.saturating_duration_since(at) >= SWEEP_AT_CAP_EVERY);
        if due {
            self.last_cap_sweep = Some(now);
            self.sessions.prune(now, ttl, false);
            self.nonces.prune(oldest_acceptable);
        }
        full(self).map_or(Ok(()), Err)
    }
}

/// Who may use the control API under `/_emulator/`.
#[derive(Debug)]
pub(crate) enum ControlAccess {
    /// Anyone who can connect: the emulator listens on loopback.
    Open,
    /// Requests that present this token.
    Token(SecretString),
    /// Nobody: the emulator listens beyond loopback and no token was set,
    /// so the control API answers like any unknown path.
    Closed,
}

impl ControlAccess {
    /// Open on loopback, closed beyond it, unless a token guards it.
    pub(crate) fn new(token: Option<SecretString>, listening_on: std::net::IpAddr) -> Self {
        match token {
            Some(token) => Self::Token(token),
            None if listening_on.is_loopback() => Self::Open,
            None => Self::Closed,
        }
    }
}

/// Everything [`Shared`] starts from.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) directory: Directory,
    pub(crate) base_url: String,
    pub(crate) host: String,
    pub(crate) body_limit: usize,
    pub(crate) caps: Caps,
    pub(crate) clock_offset: i64,
    pub(crate) knobs: Knobs,
    pub(crate) journal: Journal,
    pub(crate) control: ControlAccess,
}

/// The caps on what the emulator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caps {
    pub(crate) sessions: usize,
    pub(crate) nonces: usize,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) directory: Directory,
    /// `http://127.0.0.1:<port>`, as `account_settings` reports it.
    pub(crate) base_url: String,
    /// The bare host, as `account_settings` reports `chat_endpoint`.
    pub(crate) host: String,
    pub(crate) body_limit: usize,
    pub(crate) caps: Caps,
    /// When the emulator started, on its own clock: users' `created_at`.
    pub(crate) started_at: SystemTime,
    pub(crate) counters: Counters,
    pub(crate) journal: Journal,
    pub(crate) control: ControlAccess,
    clock_offset: AtomicI64,
    knobs: Mutex<Knobs>,
    registry: Mutex<Registry>,
    limiter: Mutex<RateLimiter>,
    /// The clock offset and knobs as configured, for a reset.
    initial: (i64, Knobs),
}

/// Locks, recovering the data if a holder panicked: every critical section
/// leaves the maps consistent, so the data is still good.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(setup: Setup) -> Self {
        let max = crate::MAX_CLOCK_OFFSET_SECS;
        let clock_offset = setup.clock_offset.clamp(-max, max);
        let started_at = shift(SystemTime::now(), clock_offset);
        Self {
            directory: setup.directory,
            base_url: setup.base_url,
            host: setup.host,
            body_limit: setup.body_limit,
            caps: setup.caps,
            started_at,
            counters: Counters::default(),
            journal: setup.journal,
            control: setup.control,
            clock_offset: AtomicI64::new(clock_offset),
            knobs: Mutex::new(setup.knobs.clone()),
            registry: Mutex::new(Registry::new()),
            limiter: Mutex::new(RateLimiter::default()),
            initial: (clock_offset, setup.knobs),
        }
    }

    /// Sessions, nonces, counters and the recent-requests log emptied, and
    /// every knob back to its configured value (the fault generator
    /// re-seeded), as at start.
    pub(crate) fn reset(&self) {
        let (clock_offset, knobs) = &self.initial;
        *self.knobs() = knobs.clone();
        self.set_clock_offset(*clock_offset);
        lock(&self.limiter).reset();
        *self.registry() = Registry::new();
        self.counters.reset();
        self.journal.clear();
    }

    /// Whether a refused signature is worth diagnosing: someone reads the log.
    pub(crate) fn diagnose(&self) -> bool {
        self.journal.wanted()
    }

    /// The emulator's clock: the system clock moved by the clock offset.
    pub(crate) fn server_now(&self) -> SystemTime {
        shift(SystemTime::now(), self.clock_offset())
    }

    pub(crate) fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::Relaxed)
    }

    /// Clamped to the documented range, so the clock stays formattable.
    pub(crate) fn set_clock_offset(&self, secs: i64) {
        let max = crate::MAX_CLOCK_OFFSET_SECS;
        self.clock_offset
            .store(secs.clamp(-max, max), Ordering::Relaxed);
    }

    pub(crate) fn knobs(&self) -> MutexGuard<'_, Knobs> {
        lock(&self.knobs)
    }

    pub(crate) fn registry(&self) -> MutexGuard<'_, Registry> {
        lock(&self.registry)
    }

    pub(crate) fn session_ttl(&self) -> Duration {
        self.knobs().session_ttl
    }

    pub(crate) fn latency(&self) -> Duration {
        self.knobs().latency
    }

    pub(crate) fn next_fault(&self) -> Option<Fault> {
        self.knobs().faults.next()
    }

    pub(crate) fn set_rate_limit(&self, per_second: Option<u32>) {
        self.knobs().rate_limit = per_second;
        lock(&self.limiter).reset();
    }

    /// Counts one request against `app_id`'s limit; `Err(retry_after_secs)`
    /// when over it.
    pub(crate) fn admit(&self, app_id: u64) -> Result<(), u64> {
        let Some(per_second) = self.knobs().rate_limit else {
            return Ok(());
        };
        lock(&self.limiter).admit(app_id, per_second, Instant::now())
    }

    /// Drops expired sessions and nonces too old to matter, at most once a
    /// second, so memory stays bounded by the request rate.
    pub(crate) fn maybe_sweep(&self) {
        let now = Instant::now();
        let ttl = self.session_ttl();
        let oldest = unix_secs(self.server_now()) - TIMESTAMP_WINDOW_SECS;
        let mut registry = self.registry();
        if now.saturating_duration_since(registry.last_sweep) < SWEEP_EVERY {
            return;
        }
        registry.last_sweep = now;
        registry.sessions.prune(now, ttl, true);
        registry.nonces.prune(oldest);
    }

    pub(crate) fn record_user_request(&self, user_id: u64, at: SystemTime) {
        self.registry().user_last_request.insert(user_id, at);
    }

    pub(crate) fn last_request_of(&self, user_id: u64) -> Option<SystemTime> {
        self.registry().user_last_request.get(&user_id).copied()
    }

    /// Expires every session; how many were live.
    pub(crate) fn expire_all_sessions(&self) -> u64 {
        let ttl = self.session_ttl();
        self.registry().sessions.expire_all(Instant::now(), ttl)
    }

    pub(crate) fn stats(&self) -> EmulatorStats {
        let ttl = self.session_ttl();
        let active = self.registry().sessions.live_count(Instant::now(), ttl);
        self.counters.snapshot(active)
    }
}

/// `time` moved by a signed number of seconds, saturating at the epoch.
pub(crate) fn shift(time: SystemTime, secs: i64) -> SystemTime {
    let delta = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        time.checked_add(delta).unwrap_or(time)
    } else {
        time.checked_sub(delta).unwrap_or(UNIX_EPOCH)
    }
}

/// Whole seconds since the epoch, negative before it.
pub(crate) fn unix_secs(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}
