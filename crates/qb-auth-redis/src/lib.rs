//! # qb-auth-redis
//!
//! One QuickBlox session for a fleet of processes, shared through Redis.
//! A managed session of `qb-auth-reqwest` or `qb-auth-ureq` built with
//! `.share(store)` keeps its own copy of the session (a token costs no
//! Redis call while that copy is valid) and renews through the fleet: it
//! takes the session another process published, or takes the fleet's
//! lease, creates the session and publishes it for the others. See
//! [`qb_auth_client::fleet`] for how it works and what happens when Redis
//! is away (the process renews alone, and says so once).
//!
//! - [`RedisStore`] (feature `async`): for the async client, on tokio.
//! - [`BlockingRedisStore`] (feature `blocking`): for the blocking client,
//!   no runtime.
//! - [`server`] (feature `server`): a `redis-server` of your own on a free
//!   loopback port, for tests and demos.
//!
//! ```no_run
//! # #[cfg(feature = "async")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use qb_auth_redis::RedisStore;
//! use qb_auth_reqwest::{Client, SessionSource};
//! use qb_auth_reqwest::qb_auth_core::{AppCredentials, SecretString};
//!
//! let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
//! let session = Client::builder()
//!     .build()?
//!     .managed(SessionSource::application(app))
//!     .share(RedisStore::open("redis://127.0.0.1:6379/")?)
//!     .build()?;
//! let token = session.token().await?;
//! # let _ = token; Ok(()) }
//! # #[cfg(not(feature = "async"))]
//! # fn main() {}
//! ```
//!
//! ## In Redis
//!
//! Under `qb-auth:{<application id>:<hash of the identity>}` (the prefix
//! can be changed): `:session`, a hash of the version and the serialised
//! session, expiring with the session; `:version`, the count of sessions
//! published, which fences every write; `:lease`, the renewal lease (its
//! value is the holder's `<process id>-<count>-<random>`); and the channel
//! `:changed`, on which waiters are woken. The hash is of the identity's
//! kind and login or email: no password, secret or provider token is in a
//! key or a value. The session token is, in the clear: protect the Redis
//! as you would the application's secret (AUTH/ACL in the URL,
//! `redis://user:password@host/`).
//!
//! TLS: with the feature `tls`, `rediss://` URLs connect over rustls,
//! verifying the server against the system's roots (`SSL_CERT_FILE` and
//! `SSL_CERT_DIR` are honoured, for a private CA). Certificate checks are
//! never switched off. Without the feature such a URL is refused by `open`
//! with an error. If the program installs no rustls crypto provider of its
//! own, ring is installed for it at the first `rediss://` open.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The front page links every store; a build without some of them (only
// ever a dependency's) has those links dangling. docs.rs builds them all.
#![cfg_attr(
    not(all(feature = "async", feature = "blocking", feature = "server")),
    allow(rustdoc::broken_intra_doc_links)
)]

#[cfg(feature = "async")]
mod asynchronous;
#[cfg(feature = "blocking")]
mod blocking;
#[cfg(any(feature = "async", feature = "blocking"))]
mod engine;
#[cfg(any(feature = "async", feature = "blocking"))]
mod errors;
#[cfg(any(feature = "async", feature = "blocking"))]
mod layout;
#[cfg(any(feature = "async", feature = "blocking"))]
mod options;
#[cfg(any(feature = "async", feature = "blocking"))]
mod scripts;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
#[cfg(any(feature = "async", feature = "blocking"))]
mod target;
#[cfg(any(feature = "async", feature = "blocking"))]
mod wakeups;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use asynchronous::RedisStore;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub use blocking::BlockingRedisStore;
pub use qb_auth_client;

/// How long each call to Redis may take unless set otherwise; past it the
/// managed session renews on its own.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
