//! # qb-auth-core
//!
//! QuickBlox REST API authentication without I/O: credentials in, a signed
//! [`http::Request`](https://docs.rs/http/1/http/request/struct.Request.html)
//! out; an [`http::Response`](https://docs.rs/http/1/http/response/struct.Response.html)
//! in, a typed [`Session`] or a classified [`ApiError`] out. Time and
//! nonces are inputs, so every request is reproducible and every path
//! testable with a fake clock.
//!
//! Transports live elsewhere: `qb-auth-client` is the client written once
//! over a small transport seam, and `qb-auth-reqwest` (async) and
//! `qb-auth-ureq` (blocking) plug HTTP clients into it; or drive this core
//! from your own.
//!
//! ```
//! use qb_auth_core::{http, parse_session, AppCredentials, CreateSession, Endpoint, Identity,
//!     Nonce, Operation, SecretString, SigningInput};
//!
//! let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
//! let signed = CreateSession::new(
//!     &app,
//!     &Identity::application(),
//!     SigningInput::new(1_700_000_000, Nonce::new(4242)?),
//! )
//! .build(&Endpoint::default())?;
//! assert_eq!(
//!     signed.string_to_sign(),
//!     "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000"
//! );
//! assert_eq!(signed.signature().as_str(), "313e3b565417d33e0ea031c0745e4b6a7222aa13");
//!
//! // ... a transport sends `signed.into_request()` and hands back the answer:
//! let answer = http::Response::builder()
//!     .status(201)
//!     .body(br#"{"session":{"token":"abc","application_id":12345,"user_id":0}}"#.to_vec())?;
//! let session = parse_session(&answer, Operation::CreateApplicationSession)?;
//! assert_eq!(session.token.expose(), "abc");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Where things are
//! - [`signature`]: the string to sign and the HMAC, as public stages.
//! - [`env`](mod@env): credentials from `QB_*` variables and secret files.
//! - [`call`]: each call as a value ([`ApiCall`](call::ApiCall)): its
//!   request, how its answer is read, whether it may be sent again.
//! - [`CreateSession`], [`get_session`], [`destroy_session`], [`login`],
//!   [`logout`], [`account_settings`], [`authorize`], [`authorize_api_key`]:
//!   requests.
//! - [`parse_session`], [`parse_user`], [`parse_account_settings`],
//!   [`check_status`]: answers.
//! - [`lifecycle`]: the session's life as a sans-IO state machine: which
//!   token to use, when and how to renew, what each answer means.
//! - [`TransportError`]: what a transport reports when no answer came back.
//! - [`time`]: the date formats QuickBlox sends.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod call;
mod credentials;
mod described;
mod endpoint;
pub mod env;
mod error;
pub mod lifecycle;
mod nonce;
mod params;
pub mod request;
pub mod response;
mod secret;
pub mod signature;
pub mod time;
mod transport_error;

pub use call::Operation;
pub use credentials::{AppCredentials, Identity, IdentityKind, SocialProvider};
pub use endpoint::{Endpoint, is_loopback_host};
pub use env::{EnvError, FileProblem, SecretFileError, read_secret_file};
pub use error::{BuildError, BuildErrorKind};
#[cfg(feature = "getrandom")]
#[cfg_attr(docsrs, doc(cfg(feature = "getrandom")))]
pub use nonce::OsNonces;
pub use nonce::{Nonce, NonceSource, SequentialNonces, SigningInput, unix_seconds};
#[doc(inline)]
pub use request::{
    ApiKey, Body, BodyFormat, CreateSession, HttpRequest, SignedRequest, account_settings,
    authorize, authorize_api_key, destroy_session, get_session, login, logout,
};
#[doc(inline)]
pub use response::{
    AccountSettings, ApiError, ErrorKind, Retry, RetryAfter, Session, User, check_status,
    parse_account_settings, parse_session, parse_user, server_date, token_expiration,
};
#[doc(inline)]
pub use secrecy::{ExposeSecret, SecretString};
pub use secret::SessionToken;
#[doc(inline)]
pub use signature::{HashAlgorithm, Signature};
pub use transport_error::{TransportError, TransportErrorKind};

/// The `http` crate whose [`Request`](http::Request) and
/// [`Response`](http::Response) this crate builds and reads, so that code
/// depending only on `qb-auth-core` can name them as `qb_auth_core::http`.
#[doc(no_inline)]
pub use http;
