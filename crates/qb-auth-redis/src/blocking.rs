//! The blocking store: the redis crate's synchronous connection, with
//! socket timeouts, on the caller's thread.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use qb_auth_client::fleet::{BlockingFleetStore, FleetKey, FleetState, Published};
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::LifecycleSnapshot;
use redis::{Connection, RedisError};

use crate::layout::{self, Names};
use crate::options::{Options, store_settings};

/// A fleet's shared session in Redis, for the blocking client
/// (`qb-auth-ureq`): pass it to the managed session builder's `share`.
///
/// One connection, opened on first use and again after a failure; every
/// call is bounded by the [timeout](Self::with_timeout). Waiting for
/// another process's renewal opens a second connection for the
/// notification.
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
    client: redis::Client,
    options: Options,
    connection: Mutex<Option<Connection>>,
}

store_settings!(BlockingRedisStore);

impl BlockingRedisStore {
    fn connect(&self) -> Result<Connection, RedisError> {
        let timeout = self.options.timeout;
        let connection = self.client.get_connection_with_timeout(timeout)?;
        connection.set_read_timeout(Some(timeout))?;
        connection.set_write_timeout(Some(timeout))?;
        Ok(connection)
    }

    /// Runs `f` on the connection. A failure drops it, so the next call
    /// connects anew; a kept connection that broke (Redis restarted since)
    /// is replaced and `f` tried once more at once.
    fn with<T>(
        &self,
        what: &str,
        mut f: impl FnMut(&mut Connection) -> Result<T, RedisError>,
    ) -> Result<T, StoreError> {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(connection) = slot.as_mut() {
            match f(connection) {
                Ok(value) => return Ok(value),
                Err(err) if !layout::broken(&err) => {
                    *slot = None;
                    return Err(layout::failed(what, &err));
                }
                Err(_) => *slot = None,
            }
        }
        let mut connection = self.connect().map_err(|e| layout::failed(what, &e))?;
        let value = f(&mut connection).map_err(|e| layout::failed(what, &e))?;
        *slot = Some(connection);
        Ok(value)
    }

    /// Whether the version moved past `seen` or the lease is free.
    fn changed(&self, names: &Names, seen: u64) -> Result<bool, StoreError> {
        let changed = names.changed();
        let (version, lease): (u64, u8) = self.with("waiting", |c| changed.query(c))?;
        Ok(version != seen || lease == 0)
    }
}

impl BlockingFleetStore for BlockingRedisStore {
    fn load(&self, key: &FleetKey) -> Result<FleetState, StoreError> {
        let load = self.names(key).load();
        let answer: (u64, Option<String>) = self.with("loading the session", |c| load.query(c))?;
        Ok(layout::load_answer(answer))
    }

    fn try_lease(&self, key: &FleetKey, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let take = self.names(key).take_lease(owner, ttl);
        let set: Option<String> = self.with("taking the lease", |c| take.query(c))?;
        Ok(set.is_some())
    }

    fn release(&self, key: &FleetKey, owner: &str) -> Result<(), StoreError> {
        let release = self.names(key).release(owner);
        let _: u8 = self.with("releasing the lease", |c| release.query(c))?;
        Ok(())
    }

    fn publish(
        &self,
        key: &FleetKey,
        expected: u64,
        session: &LifecycleSnapshot,
    ) -> Result<Published, StoreError> {
        let publish = self.names(key).publish(expected, session)?;
        let answer: (u8, u64) = self.with("publishing the session", |c| publish.query(c))?;
        Ok(layout::publish_answer(answer))
    }

    fn drop_rejected(&self, key: &FleetKey, version: u64) -> Result<bool, StoreError> {
        let drop = self.names(key).drop_rejected(version);
        let dropped: u8 = self.with("dropping a rejected session", |c| drop.query(c))?;
        Ok(dropped == 1)
    }

    fn wait_change(&self, key: &FleetKey, seen: u64, until: SystemTime) -> Result<(), StoreError> {
        let names = self.names(key);
        let mut listener = self
            .connect()
            .map_err(|e| layout::failed("subscribing", &e))?;
        let mut pubsub = listener.as_pubsub();
        pubsub
            .subscribe(&names.channel)
            .map_err(|e| layout::failed("subscribing", &e))?;
        // Subscribed before this look, so a change after it is heard.
        if self.changed(&names, seen)? {
            return Ok(());
        }
        let mut pause = Duration::ZERO;
        while let Some(next) = layout::next_poll(pause, until) {
            pause = next;
            pubsub
                .set_read_timeout(Some(pause))
                .map_err(|e| layout::failed("waiting", &e))?;
            match pubsub.get_message() {
                Ok(_) => return Ok(()),
                Err(err) if err.is_timeout() => {}
                Err(err) => return Err(layout::failed("waiting", &err)),
            }
            // A holder that died frees the lease without a word.
            if self.changed(&names, seen)? {
                return Ok(());
            }
        }
        Ok(())
    }
}

impl fmt::Debug for BlockingRedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's connection info may hold a password: left out.
        f.debug_struct("BlockingRedisStore")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
