//! # qb-auth-client
//!
//! The QuickBlox authentication client, written once over a small
//! transport seam: one-shot calls (create, read and destroy sessions, log
//! users in and out, account settings), managed sessions that keep a token
//! valid for every task or thread that shares it, and API-key requests.
//! [`qb_auth_core`] builds every request and reads every answer; this crate
//! sends them, renews, retries, waits and traces.
//!
//! Most users depend on a transport crate instead, which names the types
//! for its HTTP client: `qb-auth-reqwest` (async) or `qb-auth-ureq`
//! (blocking). This crate is for those who bring their own HTTP client:
//! implement [`Transport`] (async: `send` and `sleep`) or
//! [`BlockingTransport`] (`send`), and the whole client runs over it.
//!
//! ```
//! use std::time::Duration;
//! use qb_auth_client::{http, AsyncClient, Response, SessionSource, Transport};
//! use qb_auth_client::qb_auth_core::{AppCredentials, HttpRequest, SecretString, TransportError};
//!
//! /// A transport that answers from memory: any HTTP client fits here.
//! struct Canned;
//!
//! impl Transport for Canned {
//!     async fn send(&self, request: HttpRequest, _max_body: u64) -> Result<Response, TransportError> {
//!         let body: &[u8] = match request.uri().path() {
//!             "/session.json" => br#"{"session":{"token":"t0k3n","application_id":1,"user_id":0}}"#,
//!             _ => b"[]",
//!         };
//!         Ok(http::Response::builder().status(200).body(body.to_vec()).unwrap())
//!     }
//!
//!     async fn sleep(&self, duration: Duration) {
//!         tokio::time::sleep(duration).await
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = AsyncClient::over(Canned);
//! let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
//! let session = client.managed(SessionSource::application(app)).build()?;
//! assert_eq!(session.token().await?.expose(), "t0k3n");
//! let dialogs = http::Request::get("https://api.quickblox.com/chat/Dialog.json").body(())?;
//! assert_eq!(session.send(dialogs).await?.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! ## Where things are
//! - [`Transport`], [`BlockingTransport`]: the seam, and [`HttpOptions`] for
//!   a transport the builder sets up.
//! - [`Client`], [`ClientBuilder`]: settings, and the one path every
//!   operation takes: a call of the core ([`qb_auth_core::call`]) built,
//!   sent, read and retried. The front ends, `asynchronous` and
//!   `blocking` (features `async` and `blocking`), name each operation in
//!   one line, and `Client::call` runs any
//!   [`ApiCall`](qb_auth_core::call::ApiCall), an endpoint of your own
//!   included.
//! - [`ManagedSession`], [`SessionSource`]: a token kept valid, renewed once
//!   however many callers ask.
//! - [`ApiKeyClient`]: server-side requests with an API key.
//! - [`store`]: where a managed session keeps its state: the
//!   [`SessionStore`](store::SessionStore) seam, and [`FileStore`], one
//!   file across restarts.
//! - [`fleet`]: one session shared by a fleet of processes through a
//!   store such as Redis (`qb-auth-redis`).
//! - [`Error`]: the one error every call returns.
//!
//! ## Features
//!
//! Each feature's items are linked where the feature is on (as on
//! docs.rs, which builds them all).
#![cfg_attr(
    feature = "async",
    doc = "- `async`: the async front end ([`asynchronous`]: [`Async`], [`AsyncClient`])."
)]
#![cfg_attr(
    not(feature = "async"),
    doc = "- `async`: the async front end (`asynchronous`: `Async`, `AsyncClient`)."
)]
#![cfg_attr(
    feature = "blocking",
    doc = "- `blocking`: the blocking front end ([`blocking`]: [`Blocking`], [`BlockingClient`], \
           [`BlockingTokenProvider`] for [`SessionSource::blocking_token_provider`])."
)]
#![cfg_attr(
    not(feature = "blocking"),
    doc = "- `blocking`: the blocking front end (`blocking`: `Blocking`, `BlockingClient`, \
           `BlockingTokenProvider` for `SessionSource::blocking_token_provider`)."
)]
#![cfg_attr(
    feature = "tower",
    doc = "- `tower`: [`tower::TokenLayer`], the session's token on the requests of any tower \
           HTTP client service (hyper-util's legacy client, say)."
)]
#![cfg_attr(
    not(feature = "tower"),
    doc = "- `tower`: `tower::TokenLayer`, the session's token on the requests of any tower \
           HTTP client service (hyper-util's legacy client, say)."
)]
#![cfg_attr(
    feature = "http-body",
    doc = "- `http-body`: [`AnswerBody`] and [`ManagedSession::judge_answer`], for a middleware \
           of your own over another HTTP client (on with `tower`)."
)]
#![cfg_attr(
    not(feature = "http-body"),
    doc = "- `http-body`: `AnswerBody` and `ManagedSession::judge_answer`, for a middleware \
           of your own over another HTTP client (on with `tower`)."
)]
//! - `metrics`: counters and histograms through the
//!   [`metrics`](https://docs.rs/metrics) facade, for any exporter
//!   (Prometheus, OpenTelemetry, StatsD); the transport crates pass it on.
//!
//! ## Metrics
//!
//! With the `metrics` feature, and a recorder installed by the program,
//! the client emits these. Labels take only the fixed words listed: never
//! an identity, a token, a key or a secret.
//!
//! | name | kind | labels | counts |
//! | --- | --- | --- | --- |
//! | `qb_auth_sessions_total` | counter | `operation`: `create_application_session`, `create_user_session`, `create_session`, `token_provider`, `check_token`, `renew`; `outcome`: `created`, `failed` | each attempt to get a session: one-shot create-session calls and managed sessions' renewal attempts |
//! | `qb_auth_renewals_total` | counter | `reason`: `cold_start`, `due`, `rejected`, `expired` | each renewal a managed session starts (its first attempt) |
//! | `qb_auth_retries_total` | counter | `operation`: a one-shot operation's name (`create_application_session`, `get_session`, `login`, ...) or `renewal` | each attempt made after a failed one |
//! | `qb_auth_failures_total` | counter | `kind`: an error answer's kind (`invalid_credentials`, `unexpected_signature`, `bad_timestamp`, `rate_limited`, `server_error`, ...), a transport failure's (`connect`, `timeout`, `tls`, ...), or `provider`, `build`, `renewal_timeout`, `abandoned` | each failed attempt |
//! | `qb_auth_renewal_duration_seconds` | histogram | `operation` (as in `qb_auth_sessions_total`) | how long each renewal attempt took |
//! | `qb_auth_caller_wait_seconds` | histogram | none | how long a caller waited for a token it did not have at once |
//! | `qb_auth_fleet_renewals_total` | counter | `outcome`: `taken` (the fleet's session), `created` (under the fleet's lease), `alone` (without the fleet) | each renewal of a session shared through a fleet |
//! | `qb_auth_store_outages_total` | counter | `store`: `fleet` (the shared store stopped answering: once per outage), `session` (a save to the session store failed) | store failures, which never fail a request |
//!
//! The names follow Prometheus's conventions (`_total`, `_seconds`).
//! `tests/tests/metrics.rs` reads every one of them after a run over each
//! transport, and `qb-auth-reqwest`'s axum example serves them at
//! `/metrics`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without a front end (`async` or `blocking`) the shared driver has no
// caller; that build exists only as a dependency of one with a feature on.
#![cfg_attr(not(any(feature = "async", feature = "blocking")), allow(dead_code))]

mod aliases;
#[cfg(feature = "http-body")]
mod answer_body;
mod api_key;
mod bridge;
mod builder;
mod call;
mod client;
mod error;
pub mod fleet;
mod managed;
mod metrics;
mod mode;
mod origin;
mod settings;
pub mod store;
mod trace;
mod transport;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub mod asynchronous;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

#[cfg(feature = "http-body")]
#[cfg_attr(docsrs, doc(cfg(feature = "http-body")))]
pub use answer_body::AnswerBody;
pub use api_key::ApiKeyClient;
#[cfg(feature = "async")]
pub use asynchronous::AsyncClient;
#[cfg(feature = "blocking")]
pub use blocking::BlockingClient;
pub use builder::ClientBuilder;
pub use client::Client;
pub use error::Error;
/// The `http` crate whose `Request` and `Response` the client sends and
/// returns, so that code depending only on this crate can name them.
#[doc(no_inline)]
pub use http;
#[cfg(feature = "blocking")]
pub use managed::BlockingTokenProvider;
pub use managed::{
    Answered, MAX_ERROR_BODY, ManagedSession, ManagedSessionBuilder, RequestToken, SessionSource,
    SessionStatus, Sharing,
};
pub use managed::{BoxFuture, TokenProvider};
pub use mode::{Async, Blocking, Mode};
pub use qb_auth_core;
pub use store::FileStore;
pub use transport::{
    BlockingTransport, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, HttpOptions,
    MAX_TIMEOUT, ProxySetting, Response, Transport,
};
