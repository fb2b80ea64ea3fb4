//! The async store: a multiplexed tokio connection, every call bounded by
//! a timeout.

use std::fmt;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use qb_auth_client::fleet::{FleetKey, FleetState, FleetStore, Published, StoreFuture};
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::LifecycleSnapshot;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisError};

use crate::layout::{self, Names};
use crate::options::{Options, store_settings};

/// A fleet's shared session in Redis, for the async client
/// (`qb-auth-reqwest`), on tokio: pass it to the managed session
/// builder's `share`.
///
/// One multiplexed connection, opened on first use and again after a
/// failure; every call is bounded by the [timeout](Self::with_timeout).
/// Waiting for another process's renewal opens a second connection for
/// the notification.
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
    client: redis::Client,
    options: Options,
    connection: Mutex<Option<MultiplexedConnection>>,
}

store_settings!(RedisStore);

impl RedisStore {
    /// Bounds `work` by the timeout.
    async fn bounded<T>(
        &self,
        what: &str,
        work: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.options.timeout, work).await {
            Ok(result) => result.map_err(|err| layout::failed(what, &err)),
            Err(_) => Err(layout::timed_out(what, self.options.timeout)),
        }
    }

    async fn connect(&self) -> Result<MultiplexedConnection, StoreError> {
        let timeout = self.options.timeout;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let connection = self
            .bounded(
                "connecting",
                self.client
                    .get_multiplexed_async_connection_with_config(&config),
            )
            .await?;
        *self.slot() = Some(connection.clone());
        Ok(connection)
    }

    /// Sends `cmd`. A failure drops the connection, so the next call
    /// connects anew; a kept connection that broke (Redis restarted since)
    /// is replaced and `cmd` sent once more at once.
    async fn query<T: redis::FromRedisValue>(
        &self,
        what: &str,
        cmd: &redis::Cmd,
    ) -> Result<T, StoreError> {
        let cached = self.slot().clone();
        if let Some(mut connection) = cached {
            match tokio::time::timeout(self.options.timeout, cmd.query_async(&mut connection)).await
            {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(err)) if layout::broken(&err) => {}
                Ok(Err(err)) => {
                    *self.slot() = None;
                    return Err(layout::failed(what, &err));
                }
                Err(_) => {
                    *self.slot() = None;
                    return Err(layout::timed_out(what, self.options.timeout));
                }
            }
        }
        *self.slot() = None;
        let mut connection = self.connect().await?;
        let result = self.bounded(what, cmd.query_async(&mut connection)).await;
        if result.is_err() {
            *self.slot() = None;
        }
        result
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the version moved past `seen` or the lease is free.
    async fn changed(&self, names: &Names, seen: u64) -> Result<bool, StoreError> {
        let (version, lease): (u64, u8) = self.query("waiting", &names.changed()).await?;
        Ok(version != seen || lease == 0)
    }

    async fn wait(&self, key: &FleetKey, seen: u64, until: SystemTime) -> Result<(), StoreError> {
        let names = self.names(key);
        let mut pubsub = self
            .bounded("subscribing", self.client.get_async_pubsub())
            .await?;
        self.bounded("subscribing", pubsub.subscribe(&names.channel))
            .await?;
        // Subscribed before this look, so a change after it is heard.
        if self.changed(&names, seen).await? {
            return Ok(());
        }
        let mut messages = pubsub.on_message();
        let mut pause = Duration::ZERO;
        while let Some(next) = layout::next_poll(pause, until) {
            pause = next;
            match tokio::time::timeout(pause, messages.next()).await {
                Ok(Some(_)) => return Ok(()),
                Ok(None) => return Err(StoreError::new("waiting: connection lost")),
                Err(_) => {}
            }
            // A holder that died frees the lease without a word.
            if self.changed(&names, seen).await? {
                return Ok(());
            }
        }
        Ok(())
    }
}

impl FleetStore for RedisStore {
    fn load<'a>(&'a self, key: &'a FleetKey) -> StoreFuture<'a, FleetState> {
        Box::pin(async move {
            let load = self.names(key).load();
            let answer: (u64, Option<String>) = self.query("loading the session", &load).await?;
            Ok(layout::load_answer(answer))
        })
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a FleetKey,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let take = self.names(key).take_lease(owner, ttl);
            let set: Option<String> = self.query("taking the lease", &take).await?;
            Ok(set.is_some())
        })
    }

    fn release<'a>(&'a self, key: &'a FleetKey, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let release = self.names(key).release(owner);
            let _: u8 = self.query("releasing the lease", &release).await?;
            Ok(())
        })
    }

    fn publish<'a>(
        &'a self,
        key: &'a FleetKey,
        expected: u64,
        session: &'a LifecycleSnapshot,
    ) -> StoreFuture<'a, Published> {
        Box::pin(async move {
            let publish = self.names(key).publish(expected, session)?;
            let answer: (u8, u64) = self.query("publishing the session", &publish).await?;
            Ok(layout::publish_answer(answer))
        })
    }

    fn drop_rejected<'a>(&'a self, key: &'a FleetKey, version: u64) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let drop = self.names(key).drop_rejected(version);
            let dropped: u8 = self.query("dropping a rejected session", &drop).await?;
            Ok(dropped == 1)
        })
    }

    fn wait_change<'a>(
        &'a self,
        key: &'a FleetKey,
        seen: u64,
        until: SystemTime,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.wait(key, seen, until))
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's connection info may hold a password: left out.
        f.debug_struct("RedisStore")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
