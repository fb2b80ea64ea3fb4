//! The blocking store: the engine's operations, each run to its end on a
//! runtime of the store's own that starts no thread (tokio's current-thread
//! runtime, driven only while a call runs, on the caller's thread). The
//! redis crate's synchronous connections cannot bound a call as a whole
//! (set-up commands, a cluster's redirections and retries, a Sentinel's
//! lookups each take a full timeout, some none), and its cluster and
//! Sentinel clients are the async ones' too: one implementation serves
//! both stores.

use std::future::Future;
use std::time::{Duration, SystemTime};

use qb_auth_client::fleet::{BlockingFleetStore, Claim, Claimed, FleetKey, FleetState, Published};
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::LifecycleSnapshot;
use tokio::runtime::{Builder, Runtime};

use crate::engine::Engine;
use crate::options::store_settings;
use crate::target::Target;

/// A fleet's shared session in Redis, for the blocking client
/// (`qb-auth-ureq`): pass it to the managed session builder's `share`.
///
/// One connection (to each node, in a cluster), opened on first use and
/// again after a failure; scripts called by their hash; one subscription,
/// on the same connection, shared by every wait. Every call is bounded,
/// connecting included, by the [timeout](Self::with_timeout), and runs on
/// the caller's thread: the store starts no thread.
///
/// ```no_run
/// use qb_auth_redis::BlockingRedisStore;
/// use qb_auth_ureq::{Client, SessionSource};
/// use qb_auth_ureq::qb_auth_core::{AppCredentials, SecretString};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let session = Client::builder()
///     .build()?
///     .managed(SessionSource::application(app))
///     .share(BlockingRedisStore::open("redis://127.0.0.1:6379/")?)
///     .build()?;
/// println!("{}", session.token()?.expose().len());
/// # Ok(()) }
/// ```
pub struct BlockingRedisStore {
    engine: Engine,
    /// Taken out when the store is dropped (see its `Drop`).
    runtime: Option<Runtime>,
}

store_settings!(BlockingRedisStore);

impl BlockingRedisStore {
    fn new(target: Target) -> Result<Self, StoreError> {
        let runtime = Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| StoreError::new("the store's runtime could not start").with_source(e))?;
        Ok(Self {
            engine: Engine::new(target),
            runtime: Some(runtime),
        })
    }

    /// Runs `work` to its end. Called from within a tokio runtime (a
    /// blocking client used from async code), it runs on a thread of its
    /// own for the call: a runtime cannot be driven from inside another.
    fn run<T: Send>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send,
    ) -> Result<T, StoreError> {
        let Some(runtime) = &self.runtime else {
            return Err(StoreError::new("the store is being dropped"));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(work);
        }
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(work))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for BlockingRedisStore {
    fn drop(&mut self) {
        // Without waiting for the connection's task: dropping a runtime
        // that waits is refused (a panic) inside async code, where a
        // blocking client may well be dropped.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl BlockingFleetStore for BlockingRedisStore {
    fn load(&self, key: &FleetKey) -> Result<FleetState, StoreError> {
        self.run(self.engine.load(key))
    }

    fn try_lease(&self, key: &FleetKey, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.run(self.engine.try_lease(key, owner, ttl))
    }

    fn release(&self, key: &FleetKey, owner: &str) -> Result<(), StoreError> {
        self.run(self.engine.release(key, owner))
    }

    fn publish(
        &self,
        key: &FleetKey,
        expected: u64,
        session: &LifecycleSnapshot,
    ) -> Result<Published, StoreError> {
        self.run(self.engine.publish(key, expected, session))
    }

    fn drop_rejected(&self, key: &FleetKey, version: u64) -> Result<bool, StoreError> {
        self.run(self.engine.drop_rejected(key, version))
    }

    fn wait_change(&self, key: &FleetKey, seen: u64, until: SystemTime) -> Result<(), StoreError> {
        self.run(self.engine.wait(key, seen, until))
    }

    fn claim(&self, key: &FleetKey, claim: Claim<'_>) -> Result<Claimed, StoreError> {
        self.run(self.engine.claim(key, claim))
    }
}
