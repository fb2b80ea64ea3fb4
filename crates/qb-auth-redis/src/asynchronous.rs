//! The async store: the engine's operations, awaited on the caller's
//! tokio runtime.

use std::time::{Duration, SystemTime};

use qb_auth_client::fleet::{
    Claim, Claimed, FleetKey, FleetState, FleetStore, Published, StoreFuture,
};
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::LifecycleSnapshot;

use crate::engine::Engine;
use crate::options::store_settings;
use crate::target::Target;

/// A fleet's shared session in Redis, for the async client
/// (`qb-auth-reqwest`), on tokio: pass it to the managed session
/// builder's `share`.
///
/// One connection (to each node, in a cluster), opened on first use and
/// again after a failure; scripts called by their hash; one subscription,
/// on the same connection, shared by every wait. Every call is bounded,
/// connecting included, by the [timeout](Self::with_timeout).
///
/// ```no_run
/// use qb_auth_redis::RedisStore;
/// use qb_auth_reqwest::{Client, SessionSource};
/// use qb_auth_reqwest::qb_auth_core::{AppCredentials, SecretString};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let session = Client::builder()
///     .build()?
///     .managed(SessionSource::application(app))
///     .share(RedisStore::open("redis://127.0.0.1:6379/")?)
///     .build()?;
/// println!("{}", session.token().await?.expose().len());
/// # Ok(()) }
/// ```
pub struct RedisStore {
    engine: Engine,
}

store_settings!(RedisStore);

impl RedisStore {
    #[allow(clippy::unnecessary_wraps)] // The blocking store's can fail.
    fn new(target: Target) -> Result<Self, StoreError> {
        Ok(Self {
            engine: Engine::new(target),
        })
    }
}

impl FleetStore for RedisStore {
    fn load<'a>(&'a self, key: &'a FleetKey) -> StoreFuture<'a, FleetState> {
        Box::pin(self.engine.load(key))
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a FleetKey,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.engine.try_lease(key, owner, ttl))
    }

    fn release<'a>(&'a self, key: &'a FleetKey, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.engine.release(key, owner))
    }

    fn publish<'a>(
        &'a self,
        key: &'a FleetKey,
        expected: u64,
        session: &'a LifecycleSnapshot,
    ) -> StoreFuture<'a, Published> {
        Box::pin(self.engine.publish(key, expected, session))
    }

    fn drop_rejected<'a>(&'a self, key: &'a FleetKey, version: u64) -> StoreFuture<'a, bool> {
        Box::pin(self.engine.drop_rejected(key, version))
    }

    fn wait_change<'a>(
        &'a self,
        key: &'a FleetKey,
        seen: u64,
        until: SystemTime,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.engine.wait(key, seen, until))
    }

    fn claim<'a>(&'a self, key: &'a FleetKey, claim: Claim<'a>) -> StoreFuture<'a, Claimed> {
        Box::pin(self.engine.claim(key, claim))
    }
}
