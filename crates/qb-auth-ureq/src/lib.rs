//! # qb-auth-ureq
//!
//! QuickBlox REST API authentication over blocking [ureq](https://docs.rs/ureq): the client of
//! [`qb_auth_client`] with ureq as its transport, on the caller's thread
//! (no runtime and no thread started). The sans-IO [`qb_auth_core`] builds
//! every request and reads every answer; the client renews, retries and
//! traces; this crate moves the bytes.
//!
//! `qb-auth-reqwest` has the same API, async: pick a transport by picking
//! the dependency, and add the `.await`s.
//!
//! ```
//! use qb_auth_ureq::qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
//! use qb_auth_ureq::http;
//! use qb_auth_ureq::{Client, SessionSource};
//!
//! # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
//! # let api = emulator.base_url().to_owned();
//! // let api = "https://api.quickblox.com";
//! let client = Client::builder().endpoint(Endpoint::parse(&api)?).build()?;
//! let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
//!
//! // One call at a time ...
//! let session = client.create_session(&app, &Identity::application())?;
//! assert_eq!(session.user(), None);
//!
//! // ... or a session that renews itself, shared by every thread.
//! let managed = client.managed(SessionSource::application(app)).build()?;
//! let users = http::Request::get(format!("{api}/users.json")).body(())?;
//! assert_eq!(managed.send(users)?.status(), 200);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The operations are documented in [`qb_auth_client::blocking`]; the names
//! here are that crate's types with [`Ureq`] as the transport.
//!
//! ## HTTP
//!
//! [`ClientBuilder`] sets connect and total timeouts (up to a day,
//! [`MAX_TIMEOUT`]), the proxy (from
//! `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` by default, or
//! explicit), and a cap on answer bodies (1 MiB by default). Every request
//! is sent with `http_status_as_error(false)`, so a 4xx reaches the core
//! with QuickBlox's error body, with redirects off (a redirect could carry
//! `QB-Token` elsewhere; a 3xx comes back as an answer), and, for a
//! loopback host (the only one plain `http://` may go to, such as the
//! emulator), without a proxy, which would read the password and the
//! signature in the clear: also on an agent you bring yourself.
//!
//! TLS: the default `rustls` feature uses rustls as ureq's own default does
//! (the ring provider), so a program on ureq's defaults builds no second
//! crypto library; the `native-tls` feature, alone, uses the platform's TLS
//! library. Both check certificates against the platform's trust store
//! (rustls through the platform verifier), as `qb-auth-reqwest` does.
//! Certificate verification is never turned off.
//!
//! ## Logging: one filter to set
//!
//! ureq logs through the `log` crate. Its headers are redacted, but at
//! `trace` level `ureq_proto` hex-dumps the raw bytes of every request and
//! answer, tokens, keys and passwords included, and ureq offers no way to
//! turn that off from here. Keep `ureq_proto` at `debug` or below (for
//! example `RUST_LOG=trace,ureq_proto=debug`). If a request is sent while
//! a `log` logger has `trace` enabled for `ureq_proto`, this crate logs one
//! error saying so, once per process.
//!
//! The client's own tracing (spans `qb_auth.operation`, `qb_auth.attempt`,
//! `qb_auth.renewal`) holds no token, password, key, header value, query
//! string or body.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod tls;
mod transport;

pub use transport::Ureq;

pub use http;
pub use qb_auth_client::{
    BlockingTokenProvider, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, Error,
    FileStore, MAX_TIMEOUT, SessionStatus, Sharing,
};
pub use qb_auth_core;
pub use qb_auth_core::{TransportError, TransportErrorKind};

qb_auth_client::client_types!(Blocking<Ureq>);
