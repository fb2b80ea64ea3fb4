//! # qb-auth-redis
//!
//! One QuickBlox session for a fleet of processes, shared through Redis:
//! one server, a Redis Cluster, or a master watched by Sentinels. A
//! managed session of `qb-auth-reqwest` or `qb-auth-ureq` built with
//! `.share(store)` keeps its own copy of the session (a token costs no
//! Redis call while that copy is valid) and renews through the fleet: it
//! takes the session another process published, or takes the fleet's
//! lease, creates the session and publishes it for the others. See
//! [`qb_auth_client::fleet`] for how it works and what happens when Redis
//! is away (the process renews alone, and says so once).
//!
#![cfg_attr(
    feature = "async",
    doc = "- [`RedisStore`] (feature `async`): for the async client, on tokio."
)]
#![cfg_attr(
    not(feature = "async"),
    doc = "- `RedisStore` (feature `async`): for the async client, on tokio."
)]
#![cfg_attr(
    feature = "blocking",
    doc = "- [`BlockingRedisStore`] (feature `blocking`): for the blocking client; it starts no thread."
)]
#![cfg_attr(
    not(feature = "blocking"),
    doc = "- `BlockingRedisStore` (feature `blocking`): for the blocking client; it starts no thread."
)]
#![cfg_attr(
    feature = "server",
    doc = "- [`server`] (feature `server`): a `redis-server` of your own on a free loopback \
           port, a cluster of them, or a Sentinel group, for tests and demos."
)]
#![cfg_attr(
    not(feature = "server"),
    doc = "- `server` (feature `server`): a `redis-server` of your own on a free loopback \
           port, a cluster of them, or a Sentinel group, for tests and demos."
)]
//!
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
//! // One of:
//! let store = RedisStore::open("redis://127.0.0.1:6379/")?;
//! let store = RedisStore::open_cluster(&["redis://10.0.0.1:6379/", "redis://10.0.0.2:6379/"])?;
//! let store = RedisStore::open_sentinel(&["redis://10.0.0.5:26379/", "redis://10.0.0.6:26379/"], "mymaster")?;
//! let session = Client::builder()
//!     .build()?
//!     .managed(SessionSource::application(app))
//!     .share(store)
//!     .build()?;
//! let token = session.token().await?;
//! # let _ = token; Ok(()) }
//! # #[cfg(not(feature = "async"))]
//! # fn main() {}
//! ```
//!
//! Needs Redis 6 or later (or a compatible server such as Valkey): the
//! store speaks RESP3, so that its one connection carries both its
//! commands and the notifications it subscribes to.
//!
//! ## In Redis
//!
//! Under `qb-auth:{<application id>:<hash of the identity>}` (the prefix
//! can be changed): `:session`, a hash of the `version` (the count of
//! sessions published, which fences every write, kept a day past the
//! session), the serialised session as `snapshot`, and `until`, when it
//! stops being live (ms; the snapshot leaves at the first look after it);
//! `:lease`, the renewal lease (its value is the holder's `<process
//! id>-<random>`); and the channel `:changed`, on which a publish sends
//! `<version> <snapshot>` and a release `released`. The hash is of the
//! identity's kind and login or email: no password, secret or provider
//! token is in a key or a value. The session token is, in the clear:
//! protect the Redis as you would the application's secret (AUTH/ACL in
//! the URL, `redis://user:password@host/`).
//!
//! Every change goes through a Lua script, loaded once per server and
//! called by its hash (`EVALSHA`, loaded again on `NOSCRIPT`). A renewal
//! costs each process one: it drops the session the server rejected if
//! still published, reads, and takes the lease unless a newer session is
//! there ([`claim`](qb_auth_client::fleet::FleetStore::claim)). The
//! process that takes the lease creates the session and publishes it; the
//! others, waiting on the store's one subscription, take it from the
//! notification. A wait looks at Redis again only after a pause with no
//! message (20 ms, doubling to 250 ms), and waits ended by messages in a
//! row are spaced the same way, so a flooded channel costs a few requests
//! a second. Every call, connecting and a master's lookup included, ends
//! within the store's timeout (1 s unless set).
//!
//! ## Redis Cluster
//!
//! The keys and the channel share one hash slot (the `{...}` tag), so the
//! scripts run on whichever master serves it; the redis crate's cluster
//! client follows redirections and slots that move (resharding), and any
//! node's URL finds the rest. Notifications use plain pub/sub
//! (`PUBLISH`/`SUBSCRIBE`), not the sharded form: a cluster relays a plain
//! message to every node, so a subscription keeps hearing while the slot
//! moves, on any Redis version; the sharded form would need Redis 7 and a
//! new subscription on the slot's new node after every move, to save a
//! cluster-bus message per renewal.
//!
//! ## Sentinel, and what a failover costs
//!
//! A store opened with the Sentinels' URLs asks them for the master at
//! each new connection: after a failover its next call fails on the old
//! master and the one after finds the promoted replica. No user call
//! fails. What a failover costs:
//!
//! - Replication is asynchronous, so the promoted replica may lack the
//!   last session published (or a lease, or a drop). That costs the fleet
//!   at most one session per failover: the next renewal, not seeing the
//!   lost one, creates another and publishes it on the new master.
//! - Until Sentinel has promoted the replica (its `down-after-milliseconds`
//!   and an election, seconds), no master answers: as in any Redis outage,
//!   a process that renews then renews alone, its calls failing within the
//!   store's timeout (one session each, and one `SharingUnavailable` event
//!   per process). Processes whose copy is valid are not affected.
//!
//! The fencing never goes back. A version is above the count Redis holds,
//! above Redis's clock in milliseconds, and above every version the
//! publishing store has seen; and a store takes no session older than one
//! it has seen. So when the promoted replica holds version 1 while version
//! 2 was published before the failover: a process that saw version 2 does
//! not take version 1's session (it takes the lease and creates one), the
//! session it publishes is numbered above 2 whatever the new master's
//! clock says, and a process that then reports version 2's session as
//! rejected drops nothing (it drops only if that version is still
//! published). A process that never saw version 2 may take version 1's
//! session, which was valid when published; if the server refused it since,
//! its next request is refused once and renewed. Tests prove each step
//! against a real failover (`tests/tests/fleet/sentinel.rs`).
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
