//! # qb-auth-ureq
//!
//! QuickBlox authentication over blocking [ureq], driven by the sans-IO
//! [`qb_auth_core`]. The core builds every request and reads every answer;
//! this crate only moves the bytes.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api_key;
mod builder;
mod client;
mod error;
mod managed;
mod tls;
mod trace;
mod transport;

pub use api_key::ApiKeyClient;
pub use builder::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT};
pub use client::Client;
pub use error::{Error, TransportError, TransportErrorKind};
pub use managed::{ManagedSession, ManagedSessionBuilder, SessionSource, TokenProvider};
pub use qb_auth_core;
