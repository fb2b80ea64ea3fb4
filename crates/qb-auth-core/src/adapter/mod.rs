//! What every transport adapter shares.
//!
//! `qb-auth-reqwest` (async) and `qb-auth-ureq` (blocking) differ only in
//! how they move bytes and how they wait. Everything else they have in
//! common lives here, once:
//!
//! - [`Error`], [`TransportError`]: what every call returns (each adapter
//!   re-exports them), and the transport-neutral kinds each adapter sorts
//!   its HTTP client's failures into.
//! - [`trace`]: the spans and events, so both transports report the same
//!   names and fields.
//! - [`SharedLifecycle`]: a managed session's lifecycle under its lock,
//!   with its events delivered to the callbacks and the store.
//!
//! Nothing here performs I/O; an adapter of your own over another HTTP
//! client can use the same pieces.

mod error;
mod managed;
pub mod trace;

pub use error::{Error, TransportError, TransportErrorKind};
pub use managed::{LifecycleState, Listener, SharedLifecycle};
