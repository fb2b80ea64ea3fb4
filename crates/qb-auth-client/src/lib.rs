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
//! - [`Client`], [`ClientBuilder`]: settings and the one path every request
//!   takes; [`asynchronous`] and [`blocking`] hold the operations.
//! - [`ManagedSession`], [`SessionSource`]: a token kept valid, renewed once
//!   however many callers ask.
//! - [`ApiKeyClient`]: server-side requests with an API key.
//! - [`FileStore`]: a managed session's token kept in a file across
//!   restarts.
//! - [`fleet`]: one session shared by a fleet of processes through a
//!   store such as Redis (`qb-auth-redis`).
//! - [`Error`]: the one error every call returns.
//!
//! ## Features
//! - `async`: the async front end ([`Async`], [`TokenProvider`]).
//! - `blocking`: the blocking front end ([`Blocking`],
//!   [`BlockingTokenProvider`]).
//! - `tower`: [`tower::TokenLayer`], the session's token on the requests of
//!   any tower HTTP client service (hyper-util's legacy client, say).
//! - `http-body`: [`AnswerBody`] and [`ManagedSession::judge_answer`], for a
//!   middleware of your own over another HTTP client (on with `tower`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without a front end (`async` or `blocking`) the shared driver has no
// caller; that build exists only as a dependency of one with a feature on.
#![cfg_attr(not(any(feature = "async", feature = "blocking")), allow(dead_code))]
// The docs link both front ends and the tower layer; a build without all of
// them (only ever a dependency's) has those links dangling. docs.rs builds
// them all.
#![cfg_attr(
    not(all(feature = "async", feature = "blocking", feature = "tower")),
    allow(rustdoc::broken_intra_doc_links)
)]

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
mod mode;
mod oneshot;
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
};
#[cfg(feature = "async")]
pub use managed::{BoxFuture, TokenProvider};
pub use mode::{Async, Blocking, Mode};
pub use qb_auth_core;
pub use store::FileStore;
pub use transport::{
    BlockingTransport, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, HttpOptions,
    MAX_TIMEOUT, ProxySetting, Response, Transport,
};
