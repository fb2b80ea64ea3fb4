//! What every transport adapter shares.
//!
//! `qb-auth-reqwest` (async) and `qb-auth-ureq` (blocking) differ only in
//! how they move bytes and how they wait. Everything else they have in
//! common lives here, once, and each adapter re-exports what its users
//! see: the [`Error`] every call returns and the transport-neutral
//! [`TransportError`] each adapter sorts its HTTP client's failures into.
//!
//! Nothing here performs I/O; an adapter of your own over another HTTP
//! client can use the same pieces.

mod error;

pub use error::{Error, TransportError, TransportErrorKind};
