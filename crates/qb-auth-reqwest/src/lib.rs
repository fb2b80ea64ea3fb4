//! # qb-auth-reqwest
//!
//! QuickBlox REST API authentication over async [reqwest], driven by the
//! sans-IO [`qb_auth_core`]: the core builds every request and reads every
//! answer; this crate moves the bytes, sleeps when the core's session
//! lifecycle says so, and wakes the tasks waiting on a renewal.
//!
//! `qb-auth-ureq` has the same API, blocking: pick a transport by picking
//! the dependency, and drop the `.await`s.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! use qb_auth_core::lifecycle::SessionCredentials;
//! use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
//! use qb_auth_emulator::{fixtures, Emulator};
//! use qb_auth_reqwest::{Client, SessionSource};
//!
//! // A QuickBlox stand-in on loopback; leave the endpoint out for the real API.
//! let emulator = Emulator::with_demo_fixtures().start().await?;
//! let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
//! let app = AppCredentials::new(
//!     fixtures::APP_ID,
//!     fixtures::AUTH_KEY,
//!     SecretString::from(fixtures::AUTH_SECRET),
//! )?;
//! let alice = Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?;
//!
//! // One call at a time ...
//! let session = client.create_session(&app, &alice).await?;
//! assert_eq!(session.user(), Some(fixtures::ALICE_ID));
//! client.destroy_session(&session.token).await?;
//!
//! // ... or a session that renews itself, shared by every task.
//! let managed = client
//!     .managed(SessionSource::credentials(SessionCredentials::new(app, alice)))
//!     .on_event(|event| println!("session event: {event:?}"))
//!     .build()?;
//! let dialogs = http::Request::get(client.endpoint().url("chat/Dialog.json")).body(())?;
//! assert_eq!(managed.send(dialogs).await?.status(), 200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```
//!
//! ## What is here
//!
//! - [`Client`]: every call of the core (`create_session` for the
//!   application or any user identity, `get_session`, `destroy_session`,
//!   `login`, `logout`, `account_settings` and
//!   [`use_account_endpoint`](Client::use_account_endpoint)), plus a raw
//!   [`send`](Client::send) for requests built with the core or by hand.
//!   `Clone + Send + Sync`, no global state: one client serves any number
//!   of applications and users.
//! - [`ApiKeyClient`]: server-side calls with `Authorization: ApiKey` and
//!   an optional `On-Behalf-Of`.
//! - [`ManagedSession`]: a token that stays valid. Renewal is single-flight
//!   across tasks, "Required session does not exist" is retried once with a
//!   new token, and retries with backoff, `Retry-After`, clock-skew
//!   correction and the refusal to loop on bad credentials all come from
//!   the core's [`lifecycle`](qb_auth_core::lifecycle). Tokens come from
//!   credentials asked anew for each renewal, a [`TokenProvider`] (a
//!   backend that mints them), or a fixed token ([`SessionSource`]).
//! - [`Error`]: build, API (the core's classified [`ApiError`](qb_auth_core::ApiError)
//!   with the raw body), transport (connect, timeout, dropped, body over
//!   the cap), renewal.
//!
//! ## HTTP
//!
//! [`ClientBuilder`] sets connect and total timeouts, the proxy (from
//! `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` by default, or
//! explicit), and a cap on answer bodies (1 MiB by default). Redirects are
//! never followed: a redirect could carry `QB-Token` elsewhere, so a 3xx
//! comes back as an answer. Or bring your own `reqwest::Client`.
//!
//! TLS: the default `rustls` feature uses rustls with the ring provider
//! (as ureq does, so no aws-lc is built) and the platform's certificate
//! verifier, passed to reqwest directly (no process-wide provider is
//! installed). To build your own `reqwest::Client`, start from
//! [`reqwest_builder`]: reqwest then has no provider of its own unless
//! reqwest's `rustls` (or `default-tls`) feature is on somewhere in the
//! build. The `native-tls` feature, alone, uses the platform's TLS
//! library. Certificate verification is never turned off.
//!
//! ## Tracing
//!
//! Each operation runs in a `qb_auth.operation` span (fields `operation`,
//! `identity`, `status`), each HTTP exchange in a `qb_auth.attempt` span
//! (`attempt`, `method`, `path`, `status`), each renewal attempt of a
//! managed session in `qb_auth.renewal` (`attempt`, `reason`, `method`).
//! No field or event holds a token, a password, a key, a header value, a
//! query string or a body. (reqwest itself logs through the `log` crate;
//! at `debug` it names URLs, which carry no secret in QuickBlox calls.)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api_key;
mod builder;
mod client;
mod managed;
mod tls;
mod transport;

pub use api_key::ApiKeyClient;
pub use builder::{ClientBuilder, reqwest_builder};
pub use client::Client;
pub use managed::{BoxFuture, ManagedSession, ManagedSessionBuilder, SessionSource, TokenProvider};
pub use qb_auth_core;
/// Everything a call can fail with (the same type as `qb-auth-ureq`'s, from
/// [`qb_auth_core::adapter`]). An error answer keeps QuickBlox's
/// classification and status:
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use qb_auth_core::{AppCredentials, Endpoint, ErrorKind, Identity, SecretString};
/// use qb_auth_emulator::{fixtures, Emulator};
///
/// let emulator = Emulator::with_demo_fixtures().start().await?;
/// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
/// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
/// let wrong = Identity::login(fixtures::ALICE_LOGIN, "not-her-password")?;
/// let err = client.create_session(&app, &wrong).await.unwrap_err();
/// assert_eq!(err.api_error().map(|e| e.kind()), Some(ErrorKind::InvalidCredentials));
/// assert_eq!(err.status(), Some(http::StatusCode::UNAUTHORIZED));
/// assert!(!err.is_retryable());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub use qb_auth_core::adapter::Error;
/// A failure of reqwest itself, sorted by what a caller can do about it:
///
/// ```
/// use qb_auth_core::{Endpoint, SessionToken};
/// use qb_auth_reqwest::{Client, Error, TransportErrorKind};
///
/// # let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
/// // Nothing listens on that port any more: the connection is refused.
/// let client = Client::builder()
///     .endpoint(Endpoint::parse(&format!("http://127.0.0.1:{port}"))?)
///     .no_proxy()
///     .build()?;
/// let err = tokio::runtime::Runtime::new()?.block_on(client.get_session(&SessionToken::new("t"))).unwrap_err();
/// let Error::Transport(transport) = err else { panic!("{err}") };
/// assert_eq!(transport.kind(), &TransportErrorKind::Connect);
/// assert!(transport.is_retryable());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub use qb_auth_core::adapter::TransportError;
pub use qb_auth_core::adapter::TransportErrorKind;
pub use qb_auth_core::adapter::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT};
