//! The seam a shared store implements: versioned session, renewal lease,
//! change notification. Async and blocking shapes; the driver uses the
//! async one, and the blocking shape reaches it through `crate::bridge`.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use qb_auth_core::lifecycle::LifecycleSnapshot;

use super::FleetKey;
use crate::store::StoreError;

/// What a [`FleetStore`] returns: a boxed future of the result.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

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

/// What a renewal's first step asks of the store
/// ([`FleetStore::claim`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim<'a> {
    /// The version whose session the server rejected, to drop if it is
    /// still the published one.
    pub rejected: Option<u64>,
    /// The newest version this process will not take (the one it holds,
    /// gave up on or found unusable; 0: none): the lease is taken unless a
    /// newer one is published.
    pub unwanted: u64,
    /// Who takes the lease.
    pub owner: &'a str,
    /// For how long.
    pub ttl: Duration,
}

/// What [`FleetStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The version and the session published, after the drop.
    pub state: FleetState,
    /// Whether the lease was taken: no session newer than
    /// [`Claim::unwanted`] is published, and this process is to create it.
    pub leased: bool,
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

    /// A renewal's first step: drops the session the server rejected (if
    /// it is still published), loads, and takes the lease unless a session
    /// newer than [`Claim::unwanted`] is published. A store that can do
    /// this in one round trip should (Redis's does, in one script): a fleet
    /// renewing at once then costs one request per process. The default
    /// runs [`drop_rejected`](Self::drop_rejected), [`load`](Self::load)
    /// and [`try_lease`](Self::try_lease) in turn.
    fn claim<'a>(&'a self, key: &'a FleetKey, claim: Claim<'a>) -> StoreFuture<'a, Claimed> {
        Box::pin(async move {
            if let Some(version) = claim.rejected {
                self.drop_rejected(key, version).await?;
            }
            let state = self.load(key).await?;
            let newer = state.session.is_some() && state.version > claim.unwanted;
            let leased = !newer && self.try_lease(key, claim.owner, claim.ttl).await?;
            Ok(Claimed { state, leased })
        })
    }
}

/// [`FleetStore`] in the blocking shape, for the blocking client: each
/// call blocks the caller's thread, within a short bound, and needs no
/// runtime.
pub trait BlockingFleetStore: Send + Sync {
    /// See [`FleetStore::load`].
    fn load(&self, key: &FleetKey) -> Result<FleetState, StoreError>;
    /// See [`FleetStore::try_lease`].
    fn try_lease(&self, key: &FleetKey, owner: &str, ttl: Duration) -> Result<bool, StoreError>;
    /// See [`FleetStore::release`].
    fn release(&self, key: &FleetKey, owner: &str) -> Result<(), StoreError>;
    /// See [`FleetStore::publish`].
    fn publish(
        &self,
        key: &FleetKey,
        expected: u64,
        session: &LifecycleSnapshot,
    ) -> Result<Published, StoreError>;
    /// See [`FleetStore::drop_rejected`].
    fn drop_rejected(&self, key: &FleetKey, version: u64) -> Result<bool, StoreError>;
    /// See [`FleetStore::wait_change`].
    fn wait_change(&self, key: &FleetKey, seen: u64, until: SystemTime) -> Result<(), StoreError>;
    /// See [`FleetStore::claim`]; the default runs
    /// [`drop_rejected`](Self::drop_rejected), [`load`](Self::load) and
    /// [`try_lease`](Self::try_lease) in turn.
    fn claim(&self, key: &FleetKey, claim: Claim<'_>) -> Result<Claimed, StoreError> {
        if let Some(version) = claim.rejected {
            self.drop_rejected(key, version)?;
        }
        let state = self.load(key)?;
        let newer = state.session.is_some() && state.version > claim.unwanted;
        let leased = !newer && self.try_lease(key, claim.owner, claim.ttl)?;
        Ok(Claimed { state, leased })
    }
}
