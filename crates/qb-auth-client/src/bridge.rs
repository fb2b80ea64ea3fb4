//! The one bridge from blocking callbacks to the async driver.
//!
//! The driver is async code over [`Mode`](crate::Mode); what a user plugs
//! into it (a fleet's store, a token provider) has one async trait. A
//! blocking implementation is wrapped in [`FromBlocking`] where the user
//! hands it over (`share` on a blocking client's builder,
//! `SessionSource::blocking_token_provider`): its future makes the blocking
//! call when it is first polled, which is where the blocking mode's
//! `pollster` drives it, on the caller's thread.

#![cfg(feature = "blocking")]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use qb_auth_core::Session;
use qb_auth_core::lifecycle::{LifecycleSnapshot, ProviderError};

use crate::fleet::{
    BlockingFleetStore, Claim, Claimed, FleetKey, FleetState, FleetStore, Published, StoreFuture,
};
use crate::managed::providers::{BlockingTokenProvider, BoxFuture, TokenProvider};

/// A blocking implementation `T` in the async shape of its trait.
pub(crate) struct FromBlocking<T: ?Sized>(pub(crate) Arc<T>);

impl FleetStore for FromBlocking<dyn BlockingFleetStore> {
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

    fn claim<'a>(&'a self, key: &'a FleetKey, claim: Claim<'a>) -> StoreFuture<'a, Claimed> {
        Box::pin(async move { self.0.claim(key, claim) })
    }
}

impl TokenProvider for FromBlocking<dyn BlockingTokenProvider> {
    fn session(&self) -> BoxFuture<'_, Result<Session, ProviderError>> {
        Box::pin(async move { self.0.session() })
    }
}
