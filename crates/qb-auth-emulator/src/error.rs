//! Why an emulator could not be configured or started.

use std::io;
use std::net::SocketAddr;

/// A configuration or knob value that the emulator refuses.
///
/// Messages name the field at fault and never contain a secret value.
///
/// ```
/// use qb_auth_emulator::{AppConfig, ConfigError, Emulator};
///
/// let err = Emulator::builder()
///     .app(AppConfig::new(1, "key", "secret"))
///     .app(AppConfig::new(1, "other", "secret"))
///     .validate()
///     .unwrap_err();
/// assert_eq!(err, ConfigError::DuplicateApp(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No application was configured; nothing could create a session.
    #[error("at least one application must be configured")]
    NoApplication,
    /// Two applications share an id.
    #[error("application id {0} is configured twice")]
    DuplicateApp(u64),
    /// Two applications share an API key or an account key.
    #[error("two applications share the same {0}")]
    DuplicateKey(&'static str),
    /// A required text field is empty.
    #[error("{field} of {owner} must not be empty")]
    Empty {
        /// The field, such as `auth_secret`.
        field: &'static str,
        /// Which application or user, such as `application 12345`.
        owner: String,
    },
    /// Two users share an id.
    #[error("user id {0} is configured twice")]
    DuplicateUserId(u64),
    /// A user id of 0, which QuickBlox uses for "no user".
    #[error("user id 0 is reserved for application sessions")]
    ZeroUserId,
    /// Two users share a login or an email.
    #[error("the {field} of user {user_id} is already used by another user")]
    DuplicateUserName {
        /// `login` or `email`.
        field: &'static str,
        /// The second user with that value.
        user_id: u64,
    },
    /// A provider token maps to a user that is not configured.
    #[error("a {provider} token refers to user {user_id}, who is not configured")]
    UnknownUser {
        /// `facebook`, `twitter` or `firebase_phone`.
        provider: &'static str,
        /// The missing user.
        user_id: u64,
    },
    /// A fault share outside `0.0..=1.0`, or shares that add up to more than 1.
    #[error(
        "fault shares must each be within 0..=1 and add up to at most 1 (500: {status_500}, 503: {status_503}, drop: {drop}, 429: {status_429})"
    )]
    InvalidShares {
        /// Share of 500 answers.
        status_500: String,
        /// Share of 503 answers.
        status_503: String,
        /// Share of dropped connections.
        drop: String,
        /// Share of 429 answers.
        status_429: String,
    },
    /// A rate limit of zero requests per second.
    #[error("the rate limit must be at least 1 request per second (use no limit instead of 0)")]
    ZeroRateLimit,
    /// A limit of zero, such as `max_connections`: nothing could be served.
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
    /// A clock offset beyond [`MAX_CLOCK_OFFSET_SECS`](crate::MAX_CLOCK_OFFSET_SECS)
    /// either way.
    #[error(
        "the clock offset must be within ±{max} seconds (100 years), not {0}",
        max = crate::MAX_CLOCK_OFFSET_SECS
    )]
    ClockOffsetOutOfRange(i64),
    /// More recent requests than [`MAX_RECENT_REQUESTS`](crate::MAX_RECENT_REQUESTS).
    #[error(
        "the log keeps at most {max} recent requests, not {0}",
        max = crate::MAX_RECENT_REQUESTS
    )]
    TooManyRecentRequests(usize),
    /// A listening address that is not loopback, without explicit consent.
    #[error(
        "refusing to listen on {0}: not a loopback address (allow it explicitly to expose the emulator)"
    )]
    NonLoopback(SocketAddr),
}

/// The emulator could not start.
///
/// ```
/// use qb_auth_emulator::{ConfigError, Emulator, StartError};
///
/// let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = taken.local_addr()?;
/// let busy = Emulator::with_demo_fixtures().listen(addr).start_blocking().unwrap_err();
/// assert!(matches!(busy, StartError::Bind { addr: at, .. } if at == addr));
/// let empty = Emulator::builder().start_blocking().unwrap_err();
/// assert!(matches!(empty, StartError::Config(ConfigError::NoApplication)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration was refused.
    #[error("invalid emulator configuration: {0}")]
    Config(#[from] ConfigError),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// The background thread or runtime of a blocking emulator could not start.
    #[error("cannot start the emulator's runtime thread: {0}")]
    Runtime(io::Error),
}
