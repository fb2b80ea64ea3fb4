//! Steering and stopping a running emulator.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::ConfigError;
use crate::faults::{Fault, Shares};
use crate::state::Shared;
use crate::stats::EmulatorStats;

/// Reads counters and turns knobs of a running emulator. Cheap to clone;
/// every clone steers the same emulator.
///
/// Both [`EmulatorHandle`] and [`BlockingEmulator`](crate::BlockingEmulator) dereference to it.
#[derive(Debug, Clone)]
pub struct EmulatorControl {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
}

impl EmulatorControl {
    pub(crate) fn new(shared: Arc<Shared>, local_addr: SocketAddr) -> Self {
        Self { shared, local_addr }
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> EmulatorStats {
        self.shared.stats()
    }

    /// The emulator's clock now: the system clock plus the clock offset.
    /// It is what `Date` says and what timestamps are checked against.
    pub fn server_time(&self) -> SystemTime {
        self.shared.server_now()
    }

    /// Moves the emulator's clock `secs` ahead of (negative: behind) the
    /// system clock. Session expiry is unaffected (it runs on a monotonic clock).
    pub fn set_clock_offset(&self, secs: i64) {
        self.shared.set_clock_offset(secs);
    }

    /// The current clock offset in seconds.
    pub fn clock_offset(&self) -> i64 {
        self.shared.clock_offset()
    }

    /// Delay added before every answer, from the next request on.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.knobs().latency = latency;
    }

    /// Shares of requests answered 500 and 503, drawn from the seeded
    /// generator. Each must be within `0.0..=1.0`, and together with the drop
    /// share at most `1.0`.
    pub fn set_error_shares(&self, status_500: f64, status_503: f64) -> Result<(), ConfigError> {
        let mut knobs = self.shared.knobs();
        let shares = Shares {
            status_500,
            status_503,
            ..knobs.faults.shares()
        }
        .validate()?;
        knobs.faults.set_shares(shares);
        Ok(())
    }

    /// Share of connections closed before the answer.
    pub fn set_drop_share(&self, share: f64) -> Result<(), ConfigError> {
        let mut knobs = self.shared.knobs();
        let shares = Shares {
            drop: share,
            ..knobs.faults.shares()
        }
        .validate()?;
        knobs.faults.set_shares(shares);
        Ok(())
    }

    /// The next `count` requests, whatever they are, get `fault` (before any
    /// random share is drawn). Calls add up: the faults queue in order.
    pub fn fail_next(&self, count: usize, fault: Fault) {
        self.shared.knobs().faults.push(count, fault);
    }

    /// Forgets queued faults and sets every share back to zero. Latency is kept.
    pub fn clear_faults(&self) {
        self.shared.knobs().faults.clear();
    }

    /// Requests per second each application may make; `None` for no limit.
    /// Buckets start full again after a change.
    pub fn set_rate_limit(&self, per_second: Option<u32>) -> Result<(), ConfigError> {
        if per_second == Some(0) {
            return Err(ConfigError::ZeroRateLimit);
        }
        self.shared.set_rate_limit(per_second);
        Ok(())
    }

    /// How long sessions live after their last use. Applies at once to every
    /// session, measured from its last use.
    pub fn set_session_ttl(&self, ttl: Duration) {
        self.shared.knobs().session_ttl = ttl;
    }

    /// Expires every session issued so far; their tokens get "Required
    /// session does not exist" from now on. Sessions created later are not
    /// affected.
    pub fn expire_all_sessions(&self) {
        self.shared.expire_all_sessions();
    }
}

/// A running emulator on the caller's Tokio runtime.
///
/// Dereferences to [`EmulatorControl`] for the URL, counters and knobs.
/// Dropping it stops the emulator in the background; call
/// [`EmulatorHandle::shutdown`] to wait until it has stopped.
#[derive(Debug)]
pub struct EmulatorHandle {
    control: EmulatorControl,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    pub(crate) fn new(
        control: EmulatorControl,
        stop: oneshot::Sender<()>,
        task: JoinHandle<()>,
    ) -> Self {
        Self {
            control,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A clonable control that can move into other tasks or threads.
    pub fn control(&self) -> EmulatorControl {
        self.control.clone()
    }

    /// Stops accepting, lets requests in flight finish (up to 5 seconds),
    /// and returns once the port is closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // A panic in the accept loop has nothing left to clean up.
            let _ = task.await;
        }
    }
}

impl Deref for EmulatorHandle {
    type Target = EmulatorControl;

    fn deref(&self) -> &EmulatorControl {
        &self.control
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
