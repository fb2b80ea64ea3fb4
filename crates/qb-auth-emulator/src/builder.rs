//! Configuring and starting an emulator.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use qb_auth_core::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

use crate::blocking::BlockingEmulator;
use crate::config::{AppConfig, Directory, ProviderLogin, UserConfig};
use crate::control::{EmulatorControl, EmulatorHandle};
use crate::error::{ConfigError, StartError};
use crate::faults::{FaultPlan, Shares};
use crate::journal::{Journal, Observer, RequestRecord};
use crate::server;
use crate::state::{Caps, ControlAccess, Knobs, Setup, Shared};

/// QuickBlox's session lifetime: 2 hours after the last request.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(2 * 60 * 60);
/// The default largest request body: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
/// The default cap on sessions held: 250,000 (with their nonces, about
/// 100 MB of memory in a release build).
pub const DEFAULT_MAX_SESSIONS: usize = 250_000;
/// The default cap on used (timestamp, nonce) pairs held: 1,000,000.
pub const DEFAULT_MAX_NONCES: usize = 1_000_000;
/// The default cap on open connections: 1,024.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The largest clock offset, either way: 100 years of 365 days. Far beyond
/// any real clock error, enough to move the clock back to a signed example
/// from any year since 1970 (a `Date` before 1970 reads 1970-01-01), and far
/// from the year 9999 where HTTP dates end.
pub const MAX_CLOCK_OFFSET_SECS: i64 = 100 * 365 * 24 * 60 * 60;
/// The default seed of the generator that picks which requests fail.
pub const DEFAULT_SEED: u64 = 0x5EED_0F0B_A117;
/// How many recent requests the log keeps by default.
pub const DEFAULT_RECENT_REQUESTS: usize = 100;
/// The most recent requests the log can keep: a record is at most about
/// 32 KB (a diagnosis keeps 24 parameters of 120 characters and a string of
/// 2048, each character up to 4 bytes; a few hundred bytes in practice), so
/// the log stays within about 32 MB.
pub const MAX_RECENT_REQUESTS: usize = 1000;

/// Where every emulator starts: [`Emulator::builder`] for an empty one,
/// [`Emulator::with_demo_fixtures`] for the documented demo data.
///
/// ```
/// use qb_auth_emulator::{AppConfig, Emulator, UserConfig};
///
/// let runtime = tokio::runtime::Runtime::new()?;
/// runtime.block_on(async {
///     let emulator = Emulator::builder()
///         .app(AppConfig::new(12345, "AbCdEfGh-12345", "s3cr3t-Key_XYZ"))
///         .user(UserConfig::new(1001, "alice", "alice-password"))
///         .start()
///         .await?;
///     assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
///     assert_eq!(emulator.stats().sessions_created, 0);
///     emulator.shutdown().await;
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// An emulator with no applications or users yet.
    ///
    /// ```
    /// use qb_auth_emulator::{AppConfig, ConfigError, Emulator};
    ///
    /// assert_eq!(Emulator::builder().validate(), Err(ConfigError::NoApplication));
    /// let app = AppConfig::new(12345, "AbCdEfGh-12345", "s3cr3t-Key_XYZ");
    /// let builder = Emulator::builder().app(app);
    /// assert_eq!(builder.validate(), Ok(()));
    /// ```
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Applications, users, accepted provider tokens and the starting knobs.
///
/// Every knob can also change while the emulator runs, through
/// [`EmulatorControl`].
///
/// ```
/// use std::time::Duration;
/// use qb_auth_emulator::{AppConfig, Emulator, UserConfig};
///
/// let emulator = Emulator::builder()
///     .app(AppConfig::new(12345, "AbCdEfGh-12345", "s3cr3t-Key_XYZ"))
///     .user(UserConfig::new(1001, "alice", "p@ss word&1=2"))
///     .session_ttl(Duration::from_secs(600))
///     .clock_offset(-30)
///     .start_blocking()?;
/// assert_eq!(emulator.clock_offset(), -30);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    directory: Directory,
    listen: SocketAddr,
    allow_non_loopback: bool,
    session_ttl: Duration,
    rate_limit: Option<u32>,
    clock_offset: i64,
    latency: Duration,
    shares: Shares,
    seed: u64,
    body_limit: usize,
    max_connections: usize,
    caps: Caps,
    recent_requests: usize,
    observer: Option<Observer>,
    control_token: Option<SecretString>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            directory: Directory::default(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_non_loopback: false,
            session_ttl: DEFAULT_SESSION_TTL,
            rate_limit: None,
            clock_offset: 0,
            latency: Duration::ZERO,
            shares: Shares::default(),
            seed: DEFAULT_SEED,
            body_limit: DEFAULT_BODY_LIMIT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            caps: Caps {
                sessions: DEFAULT_MAX_SESSIONS,
                nonces: DEFAULT_MAX_NONCES,
            },
            recent_requests: DEFAULT_RECENT_REQUESTS,
            observer: None,
            control_token: None,
        }
    }
}

impl EmulatorBuilder {
    /// Adds an application.
    pub fn app(mut self, app: AppConfig) -> Self {
        self.directory.apps.push(app);
        self
    }

    /// Adds a user.
    pub fn user(mut self, user: UserConfig) -> Self {
        self.directory.users.push(user);
        self.directory.users.sort_by_key(|u| u.id);
        self
    }

    /// Accepts `provider=facebook` with `keys[token]=<token>` as `user_id`.
    /// A `keys[secret]` sent along is ignored, as Facebook needs none.
    ///
    /// ```
    /// use qb_auth_emulator::{AppConfig, ConfigError, Emulator, UserConfig};
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
    /// let builder = Emulator::builder()
    ///     .app(AppConfig::new(12345, "AbCdEfGh-12345", "s3cr3t-Key_XYZ"))
    ///     .user(UserConfig::new(1001, "alice", "p@ss word&1=2"))
    ///     .facebook_token(1001, "EAAGm0PX4ZCps");
    /// let emulator = builder.clone().start_blocking()?;
    /// let facebook = [("provider", "facebook"), ("keys[token]", "EAAGm0PX4ZCps")];
    /// assert!(create_session(&emulator, &facebook)?.contains(r#""user_id":1001"#));
    /// let unknown = builder.facebook_token(7, "another-token").validate();
    /// assert_eq!(unknown, Err(ConfigError::UnknownUser { provider: "facebook", user_id: 7 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn facebook_token(mut self, user_id: u64, token: impl Into<String>) -> Self {
        self.directory
            .provider_logins
            .push(ProviderLogin::Facebook {
                token: SecretString::from(token.into()),
                user_id,
            });
        self
    }

    /// Accepts `provider=twitter` with this `keys[token]` and `keys[secret]`
    /// as `user_id`.
    ///
    /// ```
    /// use qb_auth_emulator::{AppConfig, Emulator, UserConfig};
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
    /// let emulator = Emulator::builder()
    ///     .app(AppConfig::new(12345, "AbCdEfGh-12345", "s3cr3t-Key_XYZ"))
    ///     .user(UserConfig::new(1002, "bob", "bob-secret-1"))
    ///     .twitter_token(1002, "tok123", "sec456")
    ///     .start_blocking()?;
    /// let token = [("provider", "twitter"), ("keys[token]", "tok123")];
    /// let right = [token[0], token[1], ("keys[secret]", "sec456")];
    /// let wrong = [token[0], token[1], ("keys[secret]", "nope")];
    /// assert!(create_session(&emulator, &right)?.contains(r#""user_id":1002"#));
    /// assert!(create_session(&emulator, &wrong)?.starts_with("HTTP/1.1 401"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn twitter_token(
        mut self,
        user_id: u64,
        token: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.directory.provider_logins.push(ProviderLogin::Twitter {
            token: SecretString::from(token.into()),
            secret: SecretString::from(secret.into()),
            user_id,
        });
        self
    }

    /// Accepts `provider=firebase_phone` with this
    /// `firebase_phone[project_id]` and `firebase_phone[access_token]` as
    /// `user_id`.
    ///
    /// ```
    /// use qb_auth_emulator::{AppConfig, Emulator, UserConfig};
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
    /// let emulator = Emulator::builder()
    ///     .app(AppConfig::new(12345, "AbCdEfGh-12345", "s3cr3t-Key_XYZ"))
    ///     .user(UserConfig::new(1002, "bob", "bob-secret-1"))
    ///     .firebase_token(1002, "my-proj", "eyJhb.x.y")
    ///     .start_blocking()?;
    /// let firebase = [
    ///     ("provider", "firebase_phone"),
    ///     ("firebase_phone[project_id]", "my-proj"),
    ///     ("firebase_phone[access_token]", "eyJhb.x.y"),
    /// ];
    /// assert!(create_session(&emulator, &firebase)?.contains(r#""user_id":1002"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn firebase_token(
        mut self,
        user_id: u64,
        project_id: impl Into<String>,
        access_token: impl Into<String>,
    ) -> Self {
        self.directory
            .provider_logins
            .push(ProviderLogin::Firebase {
                project_id: project_id.into(),
                access_token: SecretString::from(access_token.into()),
                user_id,
            });
        self
    }

    /// Where to listen; `127.0.0.1:0` (any free port) by default.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Allows a listening address that is not loopback. Off by default: the
    /// emulator accepts well-known test credentials and must not be exposed
    /// by accident.
    pub fn allow_non_loopback(mut self, allow: bool) -> Self {
        self.allow_non_loopback = allow;
        self
    }

    /// How long a session lives after its last use; 2 hours by default.
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// Requests per second each application may make (session creation and
    /// token or API-key calls); `None`, the default, for no limit.
    pub fn rate_limit(mut self, per_second: Option<u32>) -> Self {
        self.rate_limit = per_second;
        self
    }

    /// Seconds the emulator's clock runs ahead (negative: behind) of the system clock,
    /// at most [`MAX_CLOCK_OFFSET_SECS`] either way ([`ConfigError::ClockOffsetOutOfRange`]
    /// beyond).
    pub fn clock_offset(mut self, secs: i64) -> Self {
        self.clock_offset = secs;
        self
    }

    /// Delay added before every answer.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Shares of requests answered 500 and 503 (each `0.0..=1.0`).
    pub fn error_shares(mut self, status_500: f64, status_503: f64) -> Self {
        self.shares.status_500 = status_500;
        self.shares.status_503 = status_503;
        self
    }

    /// Share of connections dropped before the answer.
    pub fn drop_share(mut self, share: f64) -> Self {
        self.shares.drop = share;
        self
    }

    /// Share of requests answered 429 `{"errors":["Too Many Requests"]}`
    /// with `Retry-After: retry_after_secs`, as QuickBlox's plan limits do.
    pub fn throttle_share(mut self, share: f64, retry_after_secs: u64) -> Self {
        self.shares.status_429 = share;
        self.shares.retry_after_secs = retry_after_secs;
        self
    }

    /// How many recent requests the log keeps for
    /// [`EmulatorControl::recent_requests`], `GET /_emulator/requests` and
    /// the page; [`DEFAULT_RECENT_REQUESTS`] by default, at most
    /// [`MAX_RECENT_REQUESTS`] (more is refused by
    /// [`validate`](Self::validate)). 0 keeps none; then, unless an
    /// [`on_request`](Self::on_request) observer is set, refused signatures
    /// are not diagnosed either, which saves their cost in load tests.
    pub fn recent_requests(mut self, count: usize) -> Self {
        self.recent_requests = count;
        self
    }

    /// Calls `observer` with every request once it is answered (or its
    /// connection dropped), on the task that served it: keep it quick. The
    /// record holds no secret. Requests to the control API are not
    /// included.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
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
    /// let lines = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&lines);
    /// let emulator = Emulator::with_demo_fixtures()
    ///     .on_request(move |record| sink.lock().unwrap().push(record.to_string()))
    ///     .start_blocking()?;
    /// http(&emulator, "DELETE /users.json", &[], "")?;
    /// assert_eq!(*lines.lock().unwrap(), ["#1 DELETE /users.json 405 unknown route"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_request(mut self, observer: impl Fn(&RequestRecord) + Send + Sync + 'static) -> Self {
        self.observer = Some(Observer(Arc::new(observer)));
        self
    }

    /// Requires `Authorization: Bearer <token>` on every request to the
    /// control API under `/_emulator/` (or `?token=<token>` for the page,
    /// which a browser opens without headers).
    ///
    /// Without a token the control API is open on a loopback address (anyone
    /// who can reach the emulator could create sessions with its test
    /// credentials anyway) and closed (answered 404 like any unknown path)
    /// when [`allow_non_loopback`](Self::allow_non_loopback) lets it listen
    /// elsewhere: from there it could reset, expire or fault the emulator
    /// and read what was sent to it.
    pub fn control_token(mut self, token: impl Into<String>) -> Self {
        self.control_token = Some(SecretString::from(token.into()));
        self
    }

    /// Seed of the generator that picks which requests fail, for runs that
    /// repeat exactly. Tokens never come from it.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Largest request body accepted; larger ones get 413. 64 KiB by default.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Most connections open at once; [`DEFAULT_MAX_CONNECTIONS`] by default.
    ///
    /// When a new client connects and the cap is reached, the connection
    /// that has waited longest for a request head (new, slow or idle
    /// between requests) or for the rest of a body is shed: closed at once
    /// between requests, or answered 503 `{"errors":["Service Unavailable"]}`
    /// with `Connection: close` while a body is still arriving. Connections
    /// younger than a fifth of a second and requests being served are never
    /// shed; when nothing can be, the new client waits until a connection
    /// closes. Slow or idle clients thus cannot keep prompt ones out.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Most sessions held at once (live ones, and expired ones for a minute);
    /// [`DEFAULT_MAX_SESSIONS`] by default. Memory grows with every session
    /// (about 400 bytes each with its used nonce), so it is capped.
    ///
    /// At the cap, expired sessions are forgotten at once; if every session
    /// is still live, `POST /session.json` answers 503
    /// `{"errors":{"base":["Too many live sessions: the emulator's max_sessions is reached"]}}`
    /// without using the request's nonce, and counts it in
    /// [`EmulatorStats::capacity_refusals`](crate::EmulatorStats::capacity_refusals).
    /// Destroyed and expired sessions free their place.
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.caps.sessions = max;
        self
    }

    /// Most used (timestamp, nonce) pairs held for the replay check;
    /// [`DEFAULT_MAX_NONCES`] by default. A pair is held while its
    /// timestamp can still be accepted (up to two hours), whether or not its
    /// session still exists.
    ///
    /// At the cap, pairs too old to be accepted are forgotten at once; if
    /// that frees nothing, `POST /session.json` answers 503
    /// `{"errors":{"base":["Too many used nonces: the emulator's max_nonces is reached"]}}`
    /// and counts it in
    /// [`EmulatorStats::capacity_refusals`](crate::EmulatorStats::capacity_refusals).
    pub fn max_nonces(mut self, max: usize) -> Self {
        self.caps.nonces = max;
        self
    }

    /// Checks the configuration without starting anything.
    ///
    /// ```
    /// use qb_auth_emulator::{ConfigError, Emulator, UserConfig};
    ///
    /// assert_eq!(Emulator::with_demo_fixtures().validate(), Ok(()));
    /// let user_zero = Emulator::with_demo_fixtures().user(UserConfig::new(0, "nobody", "pw"));
    /// assert_eq!(user_zero.validate(), Err(ConfigError::ZeroUserId));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.directory.validate()?;
        self.shares.validate()?;
        if self.rate_limit == Some(0) {
            return Err(ConfigError::ZeroRateLimit);
        }
        if self.max_connections == 0 {
            return Err(ConfigError::ZeroLimit("max_connections"));
        }
        if self.caps.sessions == 0 {
            return Err(ConfigError::ZeroLimit("max_sessions"));
        }
        if self.caps.nonces == 0 {
            return Err(ConfigError::ZeroLimit("max_nonces"));
        }
        if self.clock_offset.unsigned_abs() > MAX_CLOCK_OFFSET_SECS.unsigned_abs() {
            return Err(ConfigError::ClockOffsetOutOfRange(self.clock_offset));
        }
        if self.recent_requests > MAX_RECENT_REQUESTS {
            return Err(ConfigError::TooManyRecentRequests(self.recent_requests));
        }
        if let Some(token) = &self.control_token {
            if token.expose_secret().trim().is_empty() {
                return Err(ConfigError::Empty {
                    field: "control_token",
                    owner: "the control API".to_owned(),
                });
            }
        }
        if !self.allow_non_loopback && !self.listen.ip().is_loopback() {
            return Err(ConfigError::NonLoopback(self.listen));
        }
        Ok(())
    }

    /// Starts serving on the current Tokio runtime. The emulator stops on
    /// [`EmulatorHandle::shutdown`], or when the handle is dropped.
    ///
    /// The server runs as tasks of the calling runtime: do not block that
    /// runtime's only thread with synchronous I/O to the emulator (use
    /// [`EmulatorBuilder::start_blocking`] for synchronous clients).
    ///
    /// ```
    /// use qb_auth_emulator::{ConfigError, Emulator, StartError};
    ///
    /// let runtime = tokio::runtime::Runtime::new()?;
    /// runtime.block_on(async {
    ///     let emulator = Emulator::with_demo_fixtures().start().await?;
    ///     assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
    ///     emulator.shutdown().await;
    ///     let empty = Emulator::builder().start().await;
    ///     assert!(matches!(empty, Err(StartError::Config(ConfigError::NoApplication))));
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn start(self) -> Result<EmulatorHandle, StartError> {
        self.validate()?;
        let listener = server::bind(self.listen).await?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.listen,
            source,
        })?;
        let max_connections = self.max_connections;
        let shared = Arc::new(self.into_shared(local_addr));
        let (stop, stopped) = oneshot::channel();
        let task = server::spawn(listener, Arc::clone(&shared), max_connections, stopped);
        Ok(EmulatorHandle::new(
            EmulatorControl::new(shared, local_addr),
            stop,
            task,
        ))
    }

    /// Starts on a runtime of its own, in a background thread, for
    /// synchronous code such as tests of a blocking client. Stops on
    /// [`BlockingEmulator::shutdown`] or when dropped.
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
    ///
    /// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// let api_key = ["Authorization: ApiKey demo-api-key"];
    /// assert!(http(&emulator, "GET /users.json", &api_key, "")?.starts_with("HTTP/1.1 200"));
    /// assert_eq!(emulator.stats().api_key_requests, 1);
    /// emulator.shutdown();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_blocking(self) -> Result<BlockingEmulator, StartError> {
        BlockingEmulator::start(self)
    }

    fn into_shared(self, local_addr: SocketAddr) -> Shared {
        let host = local_addr.ip().to_string();
        let base_url = format!("http://{local_addr}");
        let knobs = Knobs {
            latency: self.latency,
            session_ttl: self.session_ttl,
            rate_limit: self.rate_limit,
            faults: FaultPlan::new(self.shares, self.seed),
        };
        let control = ControlAccess::new(self.control_token, local_addr.ip());
        Shared::new(Setup {
            directory: self.directory,
            base_url,
            host,
            body_limit: self.body_limit,
            caps: self.caps,
            clock_offset: self.clock_offset,
            knobs,
            journal: Journal::new(self.recent_requests, self.observer),
            control,
        })
    }
}
