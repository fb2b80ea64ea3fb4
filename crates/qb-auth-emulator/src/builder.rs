//! Configuring and starting an emulator.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use qb_auth_core::SecretString;
use tokio::sync::oneshot;

use crate::blocking::BlockingEmulator;
use crate::config::{AppConfig, Directory, ProviderLogin, UserConfig};
use crate::control::{EmulatorControl, EmulatorHandle};
use crate::error::{ConfigError, StartError};
use crate::faults::{FaultPlan, Shares};
use crate::server;
use crate::state::{Knobs, Shared};

/// QuickBlox's session lifetime: 2 hours after the last request.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(2 * 60 * 60);
/// The default largest request body: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
/// The default seed of the generator that picks which requests fail.
pub const DEFAULT_SEED: u64 = 0x5EED_0F0B_A117;

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
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Applications, users, accepted provider tokens and the starting knobs.
///
/// Every knob can also change while the emulator runs, through
/// [`EmulatorControl`].
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

    /// Seconds the emulator's clock runs ahead (negative: behind) of the system clock.
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

    /// Checks the configuration without starting anything.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.directory.validate()?;
        self.shares.validate()?;
        if self.rate_limit == Some(0) {
            return Err(ConfigError::ZeroRateLimit);
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
    pub async fn start(self) -> Result<EmulatorHandle, StartError> {
        self.validate()?;
        let listener = server::bind(self.listen).await?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.listen,
            source,
        })?;
        let shared = Arc::new(self.into_shared(local_addr));
        let (stop, stopped) = oneshot::channel();
        let task = server::spawn(listener, Arc::clone(&shared), stopped);
        Ok(EmulatorHandle::new(
            EmulatorControl::new(shared, local_addr),
            stop,
            task,
        ))
    }

    /// Starts on a runtime of its own, in a background thread, for
    /// synchronous code such as tests of a blocking client. Stops on
    /// [`BlockingEmulator::shutdown`] or when dropped.
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
        Shared::new(
            self.directory,
            base_url,
            host,
            self.body_limit,
            self.clock_offset,
            knobs,
        )
    }
}
