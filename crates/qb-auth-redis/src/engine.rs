//! The store's operations, written once for both stores: each bounded, as
//! a whole (connecting, a lookup of the master, one retry on a connection
//! that broke), by the store's timeout; on one kept connection that also
//! carries the store's one subscription.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use qb_auth_client::fleet::{FleetKey, FleetState, Published};
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::LifecycleSnapshot;
use redis::{FromRedisValue, RedisResult, ScriptInvocation};

use crate::errors::{broken, failed, timed_out};
use crate::layout::Names;
use crate::options::Options;
use crate::scripts::{self, LoadAnswer};
use crate::target::{Connection, Target};
use crate::wakeups::Wakeups;

/// The first pause of a wait, and the shortest between two looks at Redis
/// after a message.
const FIRST_PAUSE: Duration = Duration::from_millis(20);
/// The longest pause of a wait between two looks, and between two looks
/// after messages that changed nothing (a flooded channel).
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// One store's connection, settings and memory.
pub(crate) struct Engine {
    target: Target,
    pub(crate) options: Options,
    wakeups: Arc<Wakeups>,
    kept: Mutex<Option<Kept>>,
    /// One connection made at a time.
    connecting: tokio::sync::Mutex<()>,
    generations: AtomicU64,
    /// Redis's clock minus ours, in ms, as the last load measured it: a
    /// lease's deadline is given in Redis's clock.
    clock: Mutex<Option<i64>>,
    /// The highest version seen for each version key: none older is taken
    /// or written after it (Redis may lose writes: a restart, a failover).
    seen: Mutex<HashMap<String, u64>>,
}

/// The kept connection, and the channels it is subscribed to.
struct Kept {
    connection: Connection,
    generation: u64,
    subscribed: HashSet<String>,
}

impl Engine {
    pub(crate) fn new(target: Target) -> Self {
        Self {
            target,
            options: Options::default(),
            wakeups: Arc::default(),
            kept: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            generations: AtomicU64::new(0),
            clock: Mutex::new(None),
            seen: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn names(&self, key: &FleetKey) -> Names {
        Names::new(&self.options.prefix, key)
    }

    /// What kind of deployment, for `Debug`.
    pub(crate) fn kind(&self) -> &'static str {
        self.target.kind()
    }

    /// The version and the session published for `key`: none older than a
    /// version this store has seen.
    pub(crate) async fn load(&self, key: &FleetKey) -> Result<FleetState, StoreError> {
        let names = self.names(key);
        let invocation = names.load();
        let sent = SystemTime::now();
        let (version, text, redis_ms): LoadAnswer = self
            .bounded("loading the session", self.invoke(&invocation))
            .await?;
        let received = SystemTime::now();
        let version = scripts::version(version, &names)?;
        let middle = (scripts::millis(sent) / 2 + scripts::millis(received) / 2) as i64;
        *lock(&self.clock) = Some(redis_ms.saturating_sub(middle));
        let newest = self.saw(&names, version);
        if version < newest {
            // Redis lost what it held (restarted empty, or a failover lost
            // the last writes): what it holds now is older than what this
            // process saw, and is not taken.
            tracing::warn!(key = %names.version, version, newest, "Redis holds an older version than this process saw");
            return Ok(FleetState {
                version,
                session: None,
            });
        }
        Ok(FleetState {
            version,
            session: scripts::snapshot(text),
        })
    }

    /// Takes the lease for `owner` unless it is held. Once this call's
    /// time is up, Redis refuses the request (by its own clock, read at
    /// the last load): one that Redis held up and runs later cannot take
    /// the lease for a process that renewed alone meanwhile.
    pub(crate) async fn try_lease(
        &self,
        key: &FleetKey,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let deadline = lock(&self.clock).map_or(0, |offset| {
            let ends = scripts::millis(SystemTime::now() + self.options.timeout) as i64;
            u64::try_from(ends.saturating_add(offset)).unwrap_or(0)
        });
        let invocation = self.names(key).take_lease(owner, ttl, deadline);
        let taken: i64 = self
            .bounded("taking the lease", self.invoke(&invocation))
            .await?;
        Ok(taken == 1)
    }

    pub(crate) async fn release(&self, key: &FleetKey, owner: &str) -> Result<(), StoreError> {
        let invocation = self.names(key).release(owner);
        let _: i64 = self
            .bounded("releasing the lease", self.invoke(&invocation))
            .await?;
        Ok(())
    }

    /// Publishes above `expected` and above every version this store saw.
    pub(crate) async fn publish(
        &self,
        key: &FleetKey,
        expected: u64,
        session: &LifecycleSnapshot,
    ) -> Result<Published, StoreError> {
        let names = self.names(key);
        let floor = self.saw(&names, expected);
        let invocation = names.publish(expected, floor, session)?;
        let answer: (i64, i64) = self
            .bounded("publishing the session", self.invoke(&invocation))
            .await?;
        let published = scripts::publish_answer(answer, &names)?;
        let (Published::Written(version) | Published::Fenced { current: version }) = published;
        self.saw(&names, version);
        Ok(published)
    }

    pub(crate) async fn drop_rejected(
        &self,
        key: &FleetKey,
        version: u64,
    ) -> Result<bool, StoreError> {
        let invocation = self.names(key).drop_rejected(version);
        let dropped: i64 = self
            .bounded("dropping a rejected session", self.invoke(&invocation))
            .await?;
        Ok(dropped == 1)
    }

    /// Waits until the version moves past `seen` or the lease is free, or
    /// `until`. Subscribed (once per connection) before the first look, so
    /// a change after it is heard; then one look at Redis per message, or
    /// after a pause when none comes, the pauses doubling from 20 ms to
    /// 250 ms. A message that changed nothing doubles the least time before
    /// the next look too: a flooded channel costs a few looks a second.
    pub(crate) async fn wait(
        &self,
        key: &FleetKey,
        seen: u64,
        until: SystemTime,
    ) -> Result<(), StoreError> {
        let names = self.names(key);
        let mut heard = self.wakeups.listen(&names.channel);
        self.bounded("subscribing", self.subscribe(&names.channel))
            .await?;
        let mut pause = Duration::ZERO;
        let mut gap = FIRST_PAUSE;
        loop {
            heard.borrow_and_update();
            if self.changed(&names, seen).await? {
                return Ok(());
            }
            let looked = Instant::now();
            let Some(next) = next_pause(pause, until) else {
                return Ok(());
            };
            pause = next;
            let message = tokio::time::timeout(pause, heard.changed()).await;
            if let Ok(Ok(())) = message {
                // Not before `gap` since the last look, nor past the pause.
                let earliest = looked + gap.min(pause);
                tokio::time::sleep_until(earliest.into()).await;
                gap = (gap * 2).min(LONGEST_PAUSE);
            }
            // A subscription lost with its connection is made again.
            self.bounded("subscribing", self.subscribe(&names.channel))
                .await?;
        }
    }

    /// Whether the version moved past `seen` or the lease is free.
    async fn changed(&self, names: &Names, seen: u64) -> Result<bool, StoreError> {
        let invocation = names.changed();
        let (version, held): (i64, u8) = self.bounded("waiting", self.invoke(&invocation)).await?;
        let version = scripts::version(version, names)?;
        Ok(version != seen || held == 0)
    }

    /// Records `version` as seen for `names`; returns the highest seen.
    fn saw(&self, names: &Names, version: u64) -> u64 {
        let mut seen = lock(&self.seen);
        let newest = seen.entry(names.version.clone()).or_default();
        *newest = (*newest).max(version);
        *newest
    }

    /// Bounds `work`, connecting included, by the store's timeout. A
    /// connection that did not answer in time is dropped: the next call
    /// connects anew.
    async fn bounded<T>(
        &self,
        what: &str,
        work: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.options.timeout, work).await {
            Ok(result) => result.map_err(|err| failed(what, &err)),
            Err(_) => {
                *lock(&self.kept) = None;
                Err(timed_out(what, self.options.timeout))
            }
        }
    }

    /// Runs `invocation` (by the script's hash, loading it on `NOSCRIPT`).
    /// A failure drops the connection, so the next call connects anew; a
    /// kept connection that broke (Redis restarted since) is replaced and
    /// the invocation sent once more at once.
    async fn invoke<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'static>,
    ) -> RedisResult<T> {
        let (mut connection, generation, fresh) = self.connection().await?;
        match invocation.invoke_async(&mut connection).await {
            Ok(value) => Ok(value),
            Err(err) if broken(&err) && !fresh => {
                self.forget(generation);
                let (mut connection, generation, _) = self.connection().await?;
                let result = invocation.invoke_async(&mut connection).await;
                if result.is_err() {
                    self.forget(generation);
                }
                result
            }
            Err(err) => {
                self.forget(generation);
                Err(err)
            }
        }
    }

    /// Subscribes the kept connection to `channel`, unless it is already.
    async fn subscribe(&self, channel: &str) -> RedisResult<()> {
        let (mut connection, generation, _) = self.connection().await?;
        let subscribed = lock(&self.kept)
            .as_ref()
            .is_some_and(|k| k.generation == generation && k.subscribed.contains(channel));
        if subscribed {
            return Ok(());
        }
        if let Err(err) = connection.subscribe(channel).await {
            self.forget(generation);
            return Err(err);
        }
        if let Some(kept) = lock(&self.kept)
            .as_mut()
            .filter(|k| k.generation == generation)
        {
            kept.subscribed.insert(channel.to_owned());
        }
        Ok(())
    }

    /// The kept connection (and whether it was just made), or a new one.
    async fn connection(&self) -> RedisResult<(Connection, u64, bool)> {
        if let Some(kept) = lock(&self.kept).as_ref() {
            return Ok((kept.connection.clone(), kept.generation, false));
        }
        let _one_at_a_time = self.connecting.lock().await;
        if let Some(kept) = lock(&self.kept).as_ref() {
            return Ok((kept.connection.clone(), kept.generation, true));
        }
        let connection = self
            .target
            .connect(&self.wakeups, self.options.timeout)
            .await?;
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        *lock(&self.kept) = Some(Kept {
            connection: connection.clone(),
            generation,
            subscribed: HashSet::new(),
        });
        Ok((connection, generation, true))
    }

    /// Drops the kept connection if it is still `generation`.
    fn forget(&self, generation: u64) {
        let mut kept = lock(&self.kept);
        if kept.as_ref().is_some_and(|k| k.generation == generation) {
            *kept = None;
        }
    }
}

/// The pause before the next look while waiting: from 20 ms, doubling, at
/// most 250 ms, never past `until`.
fn next_pause(previous: Duration, until: SystemTime) -> Option<Duration> {
    let left = until.duration_since(SystemTime::now()).ok()?;
    let next = (previous * 2).clamp(FIRST_PAUSE, LONGEST_PAUSE);
    Some(next.min(left)).filter(|d| !d.is_zero())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each holder makes single assignments: the state stays whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_back_off_within_bounds() {
        let far = SystemTime::now() + Duration::from_secs(60);
        assert_eq!(next_pause(Duration::ZERO, far), Some(FIRST_PAUSE));
        assert_eq!(next_pause(Duration::from_secs(1), far), Some(LONGEST_PAUSE));
        assert_eq!(
            next_pause(Duration::ZERO, SystemTime::now() - Duration::from_secs(1)),
            None
        );
    }
}
