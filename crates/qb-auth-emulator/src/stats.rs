//! Counters, updated lock-free while serving and read as a snapshot.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::faults::Fault;
use crate::refusal::Refusal;

/// What the emulator has done so far: a snapshot taken by
/// [`EmulatorControl::stats`](crate::EmulatorControl::stats).
///
/// ```
/// use qb_auth_emulator::EmulatorStats;
///
/// let stats = EmulatorStats::default();
/// assert_eq!(stats.sessions_created, 0);
/// assert_eq!(stats.faults.total(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmulatorStats {
    /// Every request received, whatever its answer (those to the control
    /// API under `/_emulator/` aside: reading the counters does not move them).
    pub requests: u64,
    /// Sessions created by `POST /session.json`.
    pub sessions_created: u64,
    /// Sessions destroyed by `DELETE /session.json`.
    pub sessions_destroyed: u64,
    /// Sessions that are alive now (neither destroyed nor expired).
    pub active_sessions: u64,
    /// Successful `POST /login.json`.
    pub logins: u64,
    /// Successful `DELETE /login.json`.
    pub logouts: u64,
    /// 422 "Unexpected signature".
    pub signature_failures: u64,
    /// 422 "Bad timestamp".
    pub bad_timestamps: u64,
    /// Create-session requests that reused a (timestamp, nonce) pair.
    pub replays_rejected: u64,
    /// 422 "No application found".
    pub unknown_applications: u64,
    /// 401 "Unauthorized" for a wrong login, email, password, provider token,
    /// API key or account key.
    pub credential_failures: u64,
    /// 401 "Required session does not exist" for a token that expired.
    pub expired_rejections: u64,
    /// 401 "Required session does not exist" for a token never issued or destroyed.
    pub unknown_token_rejections: u64,
    /// 401 "Token is required".
    pub missing_token_rejections: u64,
    /// 422 "Forbidden. Need user."
    pub need_user_rejections: u64,
    /// Requests authorized with `Authorization: ApiKey`.
    pub api_key_requests: u64,
    /// 429 from the per-application rate limit (injected 429s are in `faults`).
    pub rate_limited: u64,
    /// 413 for a body over the limit.
    pub bodies_too_large: u64,
    /// 400 or 415 for a body that could not be read as parameters.
    pub malformed_requests: u64,
    /// Connections closed to make room for a new one when the connection
    /// cap was reached: the one that had waited longest for its request head,
    /// between requests, or for the rest of its body.
    pub connections_shed: u64,
    /// Create-session requests refused with 503 because the cap on live
    /// sessions or on used nonces was reached.
    pub capacity_refusals: u64,
    /// 401 "Account key is required".
    pub missing_account_keys: u64,
    /// 422 for an `On-Behalf-Of` that is not a configured user's id.
    pub unknown_on_behalf_of: u64,
    /// 422 "Unsupported provider".
    pub unsupported_providers: u64,
    /// 408 for a body that did not arrive in time.
    pub body_timeouts: u64,
    /// Requests answered 503 because their connection was shed while the
    /// body arrived (also counted in `connections_shed`).
    pub shed_requests: u64,
    /// 404 and 405: no such endpoint, or not with that method.
    pub unknown_routes: u64,
    /// Injected faults, by kind.
    pub faults: FaultStats,
}

impl EmulatorStats {
    /// How many requests were refused for `reason`: the field that counts it
    /// (see [`Refusal::name`]).
    ///
    /// ```
    /// use qb_auth_emulator::{EmulatorStats, Refusal};
    ///
    /// let stats = EmulatorStats::default();
    /// assert_eq!(stats.refused(Refusal::UnexpectedSignature), stats.signature_failures);
    /// ```
    pub const fn refused(&self, reason: Refusal) -> u64 {
        match reason {
            Refusal::UnexpectedSignature => self.signature_failures,
            Refusal::BadTimestamp => self.bad_timestamps,
            Refusal::NonceReused => self.replays_rejected,
            Refusal::NoApplication => self.unknown_applications,
            Refusal::WrongCredentials => self.credential_failures,
            Refusal::SessionExpired => self.expired_rejections,
            Refusal::UnknownToken => self.unknown_token_rejections,
            Refusal::TokenRequired => self.missing_token_rejections,
            Refusal::AccountKeyRequired => self.missing_account_keys,
            Refusal::NeedUser => self.need_user_rejections,
            Refusal::UnknownOnBehalfOf => self.unknown_on_behalf_of,
            Refusal::UnsupportedProvider => self.unsupported_providers,
            Refusal::RateLimited => self.rate_limited,
            Refusal::BodyTooLarge => self.bodies_too_large,
            Refusal::BodyTimeout => self.body_timeouts,
            Refusal::Malformed => self.malformed_requests,
            Refusal::Capacity => self.capacity_refusals,
            Refusal::Shed => self.shed_requests,
            Refusal::UnknownRoute => self.unknown_routes,
        }
    }

    /// Every refused request, whatever the reason.
    pub fn refusals(&self) -> u64 {
        Refusal::ALL.iter().map(|&r| self.refused(r)).sum()
    }
}

/// Injected faults, by kind.
///
/// ```
/// use qb_auth_emulator::{Emulator, Fault, FaultStats};
/// # use std::io::{Read, Write};
/// # fn http(emulator: &qb_auth_emulator::EmulatorControl, request: &str, headers: &[&str], body: &str) -> std::io::Result<String> {
/// #     let mut stream = std::net::TcpStream::connect(emulator.local_addr())?;
/// #     stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
/// #     let headers: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
/// #     let length = body.len();
/// #     write!(stream, "{request} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}Content-Length: {length}\r\n\r\n{body}")?;
/// #     let mut answer = String::new();
/// #     stream.read_to_string(&mut answer)?;
/// #     Ok(answer)
/// # }
///
/// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
/// emulator.fail_next(1, Fault::Status503);
/// http(&emulator, "GET /users.json", &[], "")?;
/// let faults: FaultStats = emulator.stats().faults;
/// assert_eq!((faults.status_503, faults.status_500, faults.dropped), (1, 0, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultStats {
    /// Injected 500 answers.
    pub status_500: u64,
    /// Injected 503 answers.
    pub status_503: u64,
    /// Injected 429 answers.
    pub status_429: u64,
    /// Connections dropped before the answer.
    pub dropped: u64,
    /// Requests answered after the added latency.
    pub delayed: u64,
}

impl FaultStats {
    /// Injected answers and drops (delays are not failures and not counted).
    pub const fn total(&self) -> u64 {
        self.status_500 + self.status_503 + self.status_429 + self.dropped
    }
}

/// The live counters behind [`EmulatorStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: Counter,
    pub(crate) sessions_created: Counter,
    pub(crate) sessions_destroyed: Counter,
    pub(crate) logins: Counter,
    pub(crate) logouts: Counter,
    pub(crate) signature_failures: Counter,
    pub(crate) bad_timestamps: Counter,
    pub(crate) replays_rejected: Counter,
    pub(crate) unknown_applications: Counter,
    pub(crate) credential_failures: Counter,
    pub(crate) expired_rejections: Counter,
    pub(crate) unknown_token_rejections: Counter,
    pub(crate) missing_token_rejections: Counter,
    pub(crate) need_user_rejections: Counter,
    pub(crate) api_key_requests: Counter,
    pub(crate) rate_limited: Counter,
    pub(crate) bodies_too_large: Counter,
    pub(crate) malformed_requests: Counter,
    pub(crate) connections_shed: Counter,
    pub(crate) capacity_refusals: Counter,
    pub(crate) missing_account_keys: Counter,
    pub(crate) unknown_on_behalf_of: Counter,
    pub(crate) unsupported_providers: Counter,
    pub(crate) body_timeouts: Counter,
    pub(crate) shed_requests: Counter,
    pub(crate) unknown_routes: Counter,
    pub(crate) fault_500: Counter,
    pub(crate) fault_503: Counter,
    pub(crate) fault_429: Counter,
    pub(crate) fault_dropped: Counter,
    pub(crate) fault_delayed: Counter,
}

impl Counters {
    /// Counts one request refused for `reason`.
    pub(crate) fn refused(&self, reason: Refusal) {
        let counter = match reason {
            Refusal::UnexpectedSignature => &self.signature_failures,
            Refusal::BadTimestamp => &self.bad_timestamps,
            Refusal::NonceReused => &self.replays_rejected,
            Refusal::NoApplication => &self.unknown_applications,
            Refusal::WrongCredentials => &self.credential_failures,
            Refusal::SessionExpired => &self.expired_rejections,
            Refusal::UnknownToken => &self.unknown_token_rejections,
            Refusal::TokenRequired => &self.missing_token_rejections,
            Refusal::AccountKeyRequired => &self.missing_account_keys,
            Refusal::NeedUser => &self.need_user_rejections,
            Refusal::UnknownOnBehalfOf => &self.unknown_on_behalf_of,
            Refusal::UnsupportedProvider => &self.unsupported_providers,
            Refusal::RateLimited => &self.rate_limited,
            Refusal::BodyTooLarge => &self.bodies_too_large,
            Refusal::BodyTimeout => &self.body_timeouts,
            Refusal::Malformed => &self.malformed_requests,
            Refusal::Capacity => &self.capacity_refusals,
            Refusal::Shed => &self.shed_requests,
            Refusal::UnknownRoute => &self.unknown_routes,
        };
        counter.inc();
    }

    /// Every count back to zero. Requests in flight may be counted just
    /// before or just after.
    pub(crate) fn reset(&self) {
        // The same walk as `snapshot`, so no counter can be left out.
        self.read(0, Counter::take);
    }

    pub(crate) fn fault(&self, fault: Fault) {
        match fault {
            Fault::Status500 => self.fault_500.inc(),
            Fault::Status503 => self.fault_503.inc(),
            Fault::Status429 { .. } => self.fault_429.inc(),
            Fault::Drop => self.fault_dropped.inc(),
        }
    }

    pub(crate) fn snapshot(&self, active_sessions: u64) -> EmulatorStats {
        self.read(active_sessions, Counter::get)
    }

    /// Every counter through `get`: `EmulatorStats` names each of them.
    fn read(&self, active_sessions: u64, get: fn(&Counter) -> u64) -> EmulatorStats {
        EmulatorStats {
            requests: get(&self.requests),
            sessions_created: get(&self.sessions_created),
            sessions_destroyed: get(&self.sessions_destroyed),
            active_sessions,
            logins: get(&self.logins),
            logouts: get(&self.logouts),
            signature_failures: get(&self.signature_failures),
            bad_timestamps: get(&self.bad_timestamps),
            replays_rejected: get(&self.replays_rejected),
            unknown_applications: get(&self.unknown_applications),
            credential_failures: get(&self.credential_failures),
            expired_rejections: get(&self.expired_rejections),
            unknown_token_rejections: get(&self.unknown_token_rejections),
            missing_token_rejections: get(&self.missing_token_rejections),
            need_user_rejections: get(&self.need_user_rejections),
            api_key_requests: get(&self.api_key_requests),
            rate_limited: get(&self.rate_limited),
            bodies_too_large: get(&self.bodies_too_large),
            malformed_requests: get(&self.malformed_requests),
            connections_shed: get(&self.connections_shed),
            capacity_refusals: get(&self.capacity_refusals),
            missing_account_keys: get(&self.missing_account_keys),
            unknown_on_behalf_of: get(&self.unknown_on_behalf_of),
            unsupported_providers: get(&self.unsupported_providers),
            body_timeouts: get(&self.body_timeouts),
            shed_requests: get(&self.shed_requests),
            unknown_routes: get(&self.unknown_routes),
            faults: FaultStats {
                status_500: get(&self.fault_500),
                status_503: get(&self.fault_503),
                status_429: get(&self.fault_429),
                dropped: get(&self.fault_dropped),
                delayed: get(&self.fault_delayed),
            },
        }
    }
}

/// One monotonically increasing count.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) fn inc(&self) {
        // Counts are independent of each other; no ordering is needed.
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn take(&self) -> u64 {
        self.0.swap(0, Ordering::Relaxed)
    }
}
