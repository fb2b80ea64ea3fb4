//! What every transport adapter shares.
//!
//! `qb-auth-reqwest` (async) and `qb-auth-ureq` (blocking) differ only in
//! how they move bytes and how they wait. Everything else they have in
//! common lives here, once:
//!
//! - [`Error`], [`TransportError`]: what every call returns (each adapter
//!   re-exports them), and the transport-neutral kinds each adapter sorts
//!   its HTTP client's failures into.
//! - [`ClientSettings`], [`HttpOptions`]: what a client is set up with,
//!   apart from the HTTP client itself.
//! - [`Call`]: each operation as data (the built request, its operation,
//!   the parser of its answer), so an adapter's operation is one line over
//!   its own `execute`.
//! - [`trace`]: the spans and events, so both transports report the same
//!   names and fields.
//! - [`SharedLifecycle`]: a managed session's lifecycle under its lock,
//!   started from a [`RenewalSource`] and [`ManagedOptions`], its events
//!   delivered to the callbacks and the store, and what each answer means
//!   for the session.
//!
//! Nothing here performs I/O; an adapter of your own over another HTTP
//! client can use the same pieces.

mod call;
mod error;
mod managed;
mod settings;
pub mod trace;

pub use call::{Answer, Call, Reader};
pub use error::{Error, TransportError, TransportErrorKind};
pub use managed::{
    LifecycleState, Listener, ManagedOptions, RenewalGuard, RenewalSource, SharedLifecycle,
    copy_for_retry,
};
pub use settings::{
    ClientSettings, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, HttpOptions,
    ProxySetting,
};
