//! The seam a shared store implements: versioned session, renewal lease,
//! change notification. Async and blocking shapes; the driver uses the
//! async one, the blocking shape is adapted to it.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use qb_auth_core::lifecycle::LifecycleSnapshot;

use super::FleetKey;

/// What a [`FleetStore`] returns: a boxed future of the result.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SharingError>> + Send + 'a>>;

/// The fleet's copy of a session, as [`FleetStore::load`] reads it.
///
/// `version` grows with every session published for the key and is never
/// reused, so a publish can be fenced on it. `session` is the one published as that version, if it is still
/// there (it leaves when it expires or is dropped as rejected).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FleetState {
    /// The version of the last published session (0: none yet).
    pub version: u64,
    /// That session with its expiry, unless it expired or was dropped.
    pub session: Option<LifecycleSnapshot>,
}

/// How a fenced [`FleetStore::publish`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// Written as this version.
    Written(u64),
    /// Not written: another process published since, and the store holds
    /// this version.
    Fenced {
        /// The version the store holds.
        current: u64,
    },
}

/// A shared store that several processes use to spend one session: the
/// async shape, for the async client (the blocking client takes a
/// [`BlockingFleetStore`]).
///
/// Every call must end within a short bound (a slow store must not hold a
/// renewal up): return an error instead, and the managed session renews on
/// its own, says so once with
/// [`LifecycleEvent::SharingUnavailable`](qb_auth_core::lifecycle::LifecycleEvent::SharingUnavailable),
/// and shares again when the store answers. Errors must not contain the
/// session or any credential.
///
/// `qb-auth-redis` implements it on Redis; the methods' contracts are the
/// ones its Lua scripts keep.
pub trait FleetStore: Send + Sync {
    /// The version and the session published for `key`.
    fn load<'a>(&'a self, key: &'a FleetKey) -> StoreFuture<'a, FleetState>;

    /// Takes the renewal lease for `key` as `owner` for `ttl`, if no one
    /// holds it (set-if-absent with expiry). Returns whether it was taken.
    fn try_lease<'a>(
        &'a self,
        key: &'a FleetKey,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool>;

    /// Releases the lease if `owner` still holds it (compare-and-delete),
    /// and wakes the waiters.
    fn release<'a>(&'a self, key: &'a FleetKey, owner: &'a str) -> StoreFuture<'a, ()>;

    /// Publishes `session` as a version above `expected` if the store still
    /// holds version `expected` (compare-and-set), with the stored copy
    /// expiring with the session; wakes the waiters. Versions are never
    /// reused for a key, even after the store lost its data (Redis's store
    /// takes its clock in milliseconds when that is ahead of the count),
    /// so a rejected version never names a newer session.
    fn publish<'a>(
        &'a self,
        key: &'a FleetKey,
        expected: u64,
        session: &'a LifecycleSnapshot,
    ) -> StoreFuture<'a, Published>;

    /// Drops the published session if it is still `version` (the server
    /// rejected its token). Returns whether it was dropped.
    fn drop_rejected<'a>(&'a self, key: &'a FleetKey, version: u64) -> StoreFuture<'a, bool>;

    /// Waits until the version moves past `seen`, the lease is released, or
    /// `until` passes, whichever comes first (a notification, else polling).
    fn wait_change<'a>(
        &'a self,
        key: &'a FleetKey,
        seen: u64,
        until: SystemTime,
    ) -> StoreFuture<'a, ()>;
}

/// [`FleetStore`] in the blocking shape, for the blocking client: each
/// call blocks the caller's thread, within a short bound, and needs no
/// runtime.
pub trait BlockingFleetStore: Send + Sync {
    /// See [`FleetStore::load`].
    fn load(&self, key: &FleetKey) -> Result<FleetState, SharingError>;
    /// See [`FleetStore::try_lease`].
    fn try_lease(&self, key: &FleetKey, owner: &str, ttl: Duration) -> Result<bool, SharingError>;
    /// See [`FleetStore::release`].
    fn release(&self, key: &FleetKey, owner: &str) -> Result<(), SharingError>;
    /// See [`FleetStore::publish`].
    fn publish(
        &self,
        key: &FleetKey,
        expected: u64,
        session: &LifecycleSnapshot,
    ) -> Result<Published, SharingError>;
    /// See [`FleetStore::drop_rejected`].
    fn drop_rejected(&self, key: &FleetKey, version: u64) -> Result<bool, SharingError>;
    /// See [`FleetStore::wait_change`].
    fn wait_change(&self, key: &FleetKey, seen: u64, until: SystemTime)
    -> Result<(), SharingError>;
}

/// A blocking store in the async shape: each future does its blocking
/// call when first polled, as the blocking mode's `pollster` drives it.
#[cfg(feature = "blocking")]
pub(crate) struct Blocking(pub(crate) std::sync::Arc<dyn BlockingFleetStore>);

#[cfg(feature = "blocking")]
impl FleetStore for Blocking {
    fn load<'a>(&'a self, key: &'a FleetKey) -> StoreFuture<'a, FleetState> {
        Box::pin(async move { self.0.load(key) })
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a FleetKey,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move { self.0.try_lease(key, owner, ttl) })
    }

    fn release<'a>(&'a self, key: &'a FleetKey, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.0.release(key, owner) })
    }

    fn publish<'a>(
        &'a self,
        key: &'a FleetKey,
        expected: u64,
        session: &'a LifecycleSnapshot,
    ) -> StoreFuture<'a, Published> {
        Box::pin(async move { self.0.publish(key, expected, session) })
    }

    fn drop_rejected<'a>(&'a self, key: &'a FleetKey, version: u64) -> StoreFuture<'a, bool> {
        Box::pin(async move { self.0.drop_rejected(key, version) })
    }

    fn wait_change<'a>(
        &'a self,
        key: &'a FleetKey,
        seen: u64,
        until: SystemTime,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.0.wait_change(key, seen, until) })
    }
}

/// A shared store did not answer, or answered with an error. The message
/// never holds a session or a credential.
///
/// ```
/// use qb_auth_client::fleet::SharingError;
///
/// let err = SharingError::new("no answer within 1 s");
/// assert_eq!(err.to_string(), "shared session store failed: no answer within 1 s");
/// ```
pub struct SharingError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl SharingError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// Keeps the underlying error as the source.
    ///
    /// ```
    /// use std::error::Error;
    /// use qb_auth_client::fleet::SharingError;
    ///
    /// let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    /// assert!(SharingError::new("connect").with_source(io).source().is_some());
    /// ```
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The message given at construction.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for SharingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharingError")
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for SharingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shared session store failed: {}", self.message)
    }
}

impl StdError for SharingError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}
