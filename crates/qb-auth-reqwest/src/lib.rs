//! # qb-auth-reqwest
//!
//! QuickBlox REST API authentication over async [reqwest](https://docs.rs/reqwest): the client of
//! [`qb_auth_client`] with reqwest as its transport. The sans-IO
//! [`qb_auth_core`] builds every request and reads every answer; the client
//! renews, retries and traces; this crate moves the bytes.
//!
//! `qb-auth-ureq` has the same API, blocking: pick a transport by picking
//! the dependency, and drop the `.await`s.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use qb_auth_reqwest::qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
//! use qb_auth_reqwest::http;
//! use qb_auth_reqwest::{Client, SessionSource};
//!
//! # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
//! # let api = emulator.base_url().to_owned();
//! // let api = "https://api.quickblox.com";
//! let client = Client::builder().endpoint(Endpoint::parse(&api)?).build()?;
//! let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
//!
//! // One call at a time ...
//! let alice = Identity::login("alice", "p@ss word&1=2")?;
//! let session = client.create_session(&app, &alice).await?;
//! assert_eq!(session.user(), Some(1001));
//!
//! // ... or a session that renews itself, shared by every task.
//! let managed = client.managed(SessionSource::user(app, alice)).build()?;
//! let dialogs = http::Request::get(format!("{api}/chat/Dialog.json")).body(())?;
//! assert_eq!(managed.send(dialogs).await?.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! The operations are documented in [`qb_auth_client::asynchronous`]; the
//! names here are that crate's types with [`Reqwest`] as the transport.
//!
//! ## Your own reqwest calls
//!
//! With the `middleware` feature, `TokenMiddleware` (for
//! [reqwest-middleware](https://docs.rs/reqwest-middleware)) puts a managed
//! session's token on your own requests for the API host, renews it once
//! for every task when the server says it expired, sends the request again
//! when it can be copied, and leaves answers streaming: your calls stay as
//! they are. `examples/axum_backend.rs` is a backend built that way.
//!
//! ## HTTP
//!
//! [`ClientBuilder`] sets connect and total timeouts (up to a day,
//! [`MAX_TIMEOUT`]), the proxy (from
//! `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` by default, or
//! explicit), and a cap on answer bodies (1 MiB by default). Redirects are
//! never followed: a redirect could carry `QB-Token` elsewhere, so a 3xx
//! comes back as an answer. Or bring your own `reqwest::Client`, started
//! from [`reqwest_builder`].
//!
//! A plain-`http://` endpoint (only a loopback host, such as the emulator)
//! is reached directly, never through a proxy, whichever way the client was
//! set up: a proxy would read the password and the signature in the clear.
//! See [`Reqwest`] for how, with a `reqwest::Client` of your own.
//!
//! TLS, chosen to fit a program that already uses reqwest (one crypto
//! library, and its own clients keep working):
//!
//! | feature | TLS | for a program whose reqwest has |
//! | --- | --- | --- |
//! | `rustls` (default) | rustls as reqwest's default sets it up: aws-lc-rs, the platform's verifier | reqwest's default features |
//! | `rustls-ring` | rustls on ring with the platform's verifier, handed to reqwest per client (no process-wide provider installed) | `rustls-no-provider` and rustls on ring |
//! | `native-tls` (with `default-features = false`) | the platform's library and roots | `native-tls` |
//!
//! `rustls-ring` wins over `rustls` when both are on. `qb-auth-ureq` checks
//! certificates the same way (platform verifier with rustls). Certificate
//! verification is never turned off.
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
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "middleware")]
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
pub mod middleware;
#[cfg(feature = "middleware")]
mod middleware_error;
mod proxy;
mod tls;
mod transport;

#[cfg(feature = "middleware")]
pub use middleware::TokenMiddleware;
pub use transport::{Reqwest, reqwest_builder};

pub use http;
pub use qb_auth_client::{
    Answered, BoxFuture, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, Error,
    FileStore, MAX_ERROR_BODY, MAX_TIMEOUT, RequestToken, SessionStatus, Sharing, TokenProvider,
};
pub use qb_auth_core;
pub use qb_auth_core::{TransportError, TransportErrorKind};

qb_auth_client::client_types!(Async<Reqwest>);
