//! Steering and stopping a running emulator.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::ConfigError;
use crate::faults::{Fault, Shares};
use crate::journal::RequestRecord;
use crate::state::Shared;
use crate::stats::EmulatorStats;

/// Reads counters and turns knobs of a running emulator. Cheap to clone;
/// every clone steers the same emulator.
///
/// Both [`EmulatorHandle`] and [`BlockingEmulator`](crate::BlockingEmulator) dereference to it.
///
/// ```
/// use qb_auth_emulator::Emulator;
///
/// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
/// let first = emulator.control();
/// let second = first.clone();
/// second.set_clock_offset(-5);
/// assert_eq!(first.clock_offset(), -5);
/// assert_eq!(emulator.clock_offset(), -5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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

    /// A snapshot of the counters; `GET /_emulator/stats` reports the same.
    pub fn stats(&self) -> EmulatorStats {
        self.shared.stats()
    }

    /// The page that shows the counters, live sessions and recent requests
    /// (with why each signature was refused): `http://127.0.0.1:<port>/_emulator/`.
    pub fn page_url(&self) -> String {
        format!("{}/_emulator/", self.shared.base_url)
    }

    /// The recent requests the log keeps, oldest first (see
    /// [`EmulatorBuilder::recent_requests`](crate::EmulatorBuilder::recent_requests)):
    /// what `GET /_emulator/requests` reports. Requests to the control API
    /// are not among them.
    ///
    /// ```
    /// use qb_auth_emulator::{Emulator, Refusal};
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
    /// http(&emulator, "GET /session.json", &[], "")?;
    /// http(&emulator, "GET /_emulator/stats", &[], "")?; // the control API: not logged
    /// let requests = emulator.recent_requests();
    /// assert_eq!(requests.len(), 1);
    /// assert_eq!(requests[0].refusal, Some(Refusal::TokenRequired));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recent_requests(&self) -> Vec<RequestRecord> {
        self.shared.journal.recent(0, usize::MAX)
    }

    /// Back to the start, as `POST /_emulator/reset` does: every session
    /// and used nonce forgotten, the counters and the recent-requests log
    /// emptied, and every knob (clock offset, session lifetime, latency,
    /// rate limit, fault shares and queue) back to its configured value,
    /// the fault generator re-seeded. Applications and users stay.
    ///
    /// ```
    /// use std::time::Duration;
    /// use qb_auth_emulator::{Emulator, Fault};
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
    /// let emulator = Emulator::with_demo_fixtures().clock_offset(60).start_blocking()?;
    /// emulator.set_clock_offset(-600);
    /// emulator.fail_next(5, Fault::Status503);
    /// http(&emulator, "GET /users.json", &[], "")?;
    /// assert_eq!(emulator.stats().requests, 1);
    /// emulator.reset();
    /// assert_eq!(emulator.stats().requests, 0);
    /// assert_eq!(emulator.clock_offset(), 60, "as configured");
    /// assert!(emulator.recent_requests().is_empty());
    /// // The queued faults are gone: no token, so 401.
    /// assert!(http(&emulator, "GET /users.json", &[], "")?.starts_with("HTTP/1.1 401"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// The emulator's clock now: the system clock plus the clock offset.
    /// It is what `Date` says and what timestamps are checked against.
    pub fn server_time(&self) -> SystemTime {
        self.shared.server_now()
    }

    /// Moves the emulator's clock `secs` ahead of (negative: behind) the
    /// system clock. Session expiry is unaffected (it runs on a monotonic clock).
    /// Clamped to [`MAX_CLOCK_OFFSET_SECS`](crate::MAX_CLOCK_OFFSET_SECS) either
    /// way (the builder refuses more; this knob, turned while serving, cannot
    /// fail).
    ///
    /// ```
    /// use std::time::{SystemTime, UNIX_EPOCH};
    /// use qb_auth_emulator::Emulator;
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
    /// // Make the protocol notes' timestamp "now", so their signed example is accepted.
    /// let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
    /// emulator.set_clock_offset(1_700_000_000 - now);
    /// let body = "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000\
    ///             &signature=313e3b565417d33e0ea031c0745e4b6a7222aa13";
    /// let form = ["Content-Type: application/x-www-form-urlencoded"];
    /// assert!(http(&emulator, "POST /session.json", &form, body)?.starts_with("HTTP/1.1 201"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_clock_offset(&self, secs: i64) {
        self.shared.set_clock_offset(secs);
    }

    /// The current clock offset in seconds.
    pub fn clock_offset(&self) -> i64 {
        self.shared.clock_offset()
    }

    /// Delay added before every answer, from the next request on.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use qb_auth_emulator::Emulator;
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
    /// emulator.set_latency(Duration::from_millis(50));
    /// let started = Instant::now();
    /// http(&emulator, "GET /users.json", &[], "")?;
    /// assert!(started.elapsed() >= Duration::from_millis(50));
    /// assert_eq!(emulator.stats().faults.delayed, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_latency(&self, latency: Duration) {
        self.shared.knobs().latency = latency;
    }

    /// Shares of requests answered 500 and 503, drawn from the seeded
    /// generator. Each must be within `0.0..=1.0`, and together with the
    /// other shares (drop, 429) at most `1.0`.
    ///
    /// ```
    /// use qb_auth_emulator::{ConfigError, Emulator};
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
    /// emulator.set_error_shares(1.0, 0.0)?;
    /// let answer = http(&emulator, "GET /users.json", &[], "")?;
    /// assert!(answer.starts_with("HTTP/1.1 500"));
    /// let too_much = emulator.set_error_shares(0.5, 0.6);
    /// assert!(matches!(too_much, Err(ConfigError::InvalidShares { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use qb_auth_emulator::{ConfigError, Emulator};
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
    /// emulator.set_drop_share(1.0)?;
    /// // Closed (or reset) before any byte of an answer.
    /// let answer = http(&emulator, "GET /users.json", &[], "").unwrap_or_default();
    /// assert_eq!(answer, "");
    /// assert_eq!(emulator.stats().faults.dropped, 1);
    /// assert!(matches!(emulator.set_drop_share(1.5), Err(ConfigError::InvalidShares { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use qb_auth_emulator::{Emulator, Fault};
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
    /// emulator.fail_next(1, Fault::Status429 { retry_after_secs: 3 });
    /// assert!(http(&emulator, "GET /users.json", &[], "")?.starts_with("HTTP/1.1 503"));
    /// let limited = http(&emulator, "GET /users.json", &[], "")?;
    /// assert!(limited.starts_with("HTTP/1.1 429") && limited.contains("retry-after: 3"));
    /// // Then back to normal: no token, so 401.
    /// assert!(http(&emulator, "GET /users.json", &[], "")?.starts_with("HTTP/1.1 401"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fail_next(&self, count: usize, fault: Fault) {
        self.shared.knobs().faults.push(count, fault);
    }

    /// Share of requests answered 429 with `Retry-After: retry_after_secs`,
    /// drawn from the seeded generator like the other shares (together at
    /// most `1.0`).
    pub fn set_throttle_share(&self, share: f64, retry_after_secs: u64) -> Result<(), ConfigError> {
        let mut knobs = self.shared.knobs();
        let shares = Shares {
            status_429: share,
            retry_after_secs,
            ..knobs.faults.shares()
        }
        .validate()?;
        knobs.faults.set_shares(shares);
        Ok(())
    }

    /// Forgets queued faults and sets every share back to zero. Latency is kept.
    pub fn clear_faults(&self) {
        self.shared.knobs().faults.clear();
    }

    /// Requests per second each application may make; `None` for no limit.
    /// Buckets start full again after a change.
    ///
    /// ```
    /// use qb_auth_emulator::{ConfigError, Emulator};
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
    /// emulator.set_rate_limit(Some(1))?;
    /// let api_key = ["Authorization: ApiKey demo-api-key"];
    /// assert!(http(&emulator, "GET /users.json", &api_key, "")?.starts_with("HTTP/1.1 200"));
    /// assert!(http(&emulator, "GET /users.json", &api_key, "")?.starts_with("HTTP/1.1 429"));
    /// assert_eq!(emulator.stats().rate_limited, 1);
    /// assert_eq!(emulator.set_rate_limit(Some(0)), Err(ConfigError::ZeroRateLimit));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_rate_limit(&self, per_second: Option<u32>) -> Result<(), ConfigError> {
        if per_second == Some(0) {
            return Err(ConfigError::ZeroRateLimit);
        }
        self.shared.set_rate_limit(per_second);
        Ok(())
    }

    /// How long sessions live after their last use. Applies at once to every
    /// session, measured from its last use.
    ///
    /// ```
    /// use std::time::Duration;
    /// use qb_auth_emulator::Emulator;
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
    /// # fn create_session(emulator: &qb_auth_emulator::EmulatorControl, extra: &[(&str, &str)]) -> Result<String, Box<dyn std::error::Error>> {
    /// #     use qb_auth_core::signature::{sign_pairs, HashAlgorithm};
    /// #     static NONCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(4242);
    /// #     let nonce = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string();
    /// #     let timestamp = emulator.server_time().duration_since(std::time::UNIX_EPOCH)?.as_secs().to_string();
    /// #     let mut pairs = vec![("application_id", "12345"), ("auth_key", "AbCdEfGh-12345"), ("nonce", &*nonce), ("timestamp", &*timestamp)];
    /// #     pairs.extend_from_slice(extra);
    /// #     let signature = sign_pairs(&"s3cr3t-Key_XYZ".into(), pairs.iter().copied(), HashAlgorithm::Sha1);
    /// #     let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).append_pair("signature", signature.as_str()).finish();
    /// #     Ok(http(emulator, "POST /session.json", &["Content-Type: application/x-www-form-urlencoded"], &body)?)
    /// # }
    ///
    /// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// assert!(create_session(&emulator, &[])?.starts_with("HTTP/1.1 201"));
    /// assert_eq!(emulator.stats().active_sessions, 1);
    /// emulator.set_session_ttl(Duration::ZERO);
    /// assert_eq!(emulator.stats().active_sessions, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_session_ttl(&self, ttl: Duration) {
        self.shared.knobs().session_ttl = ttl;
    }

    /// Expires every session issued so far, as `POST /_emulator/expire`
    /// does; their tokens get "Required session does not exist" from now on.
    /// Sessions created later are not affected. Returns how many were live.
    ///
    /// ```
    /// use qb_auth_emulator::Emulator;
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
    /// # fn create_session(emulator: &qb_auth_emulator::EmulatorControl, extra: &[(&str, &str)]) -> Result<String, Box<dyn std::error::Error>> {
    /// #     use qb_auth_core::signature::{sign_pairs, HashAlgorithm};
    /// #     static NONCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(4242);
    /// #     let nonce = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string();
    /// #     let timestamp = emulator.server_time().duration_since(std::time::UNIX_EPOCH)?.as_secs().to_string();
    /// #     let mut pairs = vec![("application_id", "12345"), ("auth_key", "AbCdEfGh-12345"), ("nonce", &*nonce), ("timestamp", &*timestamp)];
    /// #     pairs.extend_from_slice(extra);
    /// #     let signature = sign_pairs(&"s3cr3t-Key_XYZ".into(), pairs.iter().copied(), HashAlgorithm::Sha1);
    /// #     let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).append_pair("signature", signature.as_str()).finish();
    /// #     Ok(http(emulator, "POST /session.json", &["Content-Type: application/x-www-form-urlencoded"], &body)?)
    /// # }
    /// # fn token_of(answer: &str) -> Option<&str> {
    /// #     let start = answer.find(r#""token":""#)? + r#""token":""#.len();
    /// #     answer.get(start..start + 40)
    /// # }
    ///
    /// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// let token = token_of(&create_session(&emulator, &[])?).ok_or("no token")?.to_owned();
    /// emulator.expire_all_sessions();
    /// let header = format!("QB-Token: {token}");
    /// let answer = http(&emulator, "GET /session.json", &[header.as_str()], "")?;
    /// assert!(answer.ends_with(r#"{"errors":{"base":["Required session does not exist"]}}"#));
    /// assert_eq!(emulator.stats().expired_rejections, 1);
    /// // Sessions created later are not affected.
    /// assert!(create_session(&emulator, &[])?.starts_with("HTTP/1.1 201"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expire_all_sessions(&self) -> u64 {
        self.shared.expire_all_sessions()
    }
}

/// A running emulator on the caller's Tokio runtime.
///
/// Dereferences to [`EmulatorControl`] for the URL, counters and knobs.
/// Dropping it stops the emulator in the background; call
/// [`EmulatorHandle::shutdown`] to wait until it has stopped.
///
/// ```
/// use qb_auth_emulator::{Emulator, EmulatorHandle};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let emulator: EmulatorHandle = Emulator::with_demo_fixtures().start().await?;
/// // The control's methods, through `Deref`:
/// emulator.set_clock_offset(30);
/// assert_eq!(emulator.clock_offset(), 30);
/// emulator.shutdown().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    ///
    /// ```
    /// use qb_auth_emulator::Emulator;
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let addr = emulator.local_addr();
    /// emulator.shutdown().await;
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the port is closed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
