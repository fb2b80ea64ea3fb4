//! The store's operations, written once for both stores: each bounded, as
//! a whole (connecting, a lookup of the master, one retry on a connection
//! that broke), by the store's timeout; on one kept connection that also
//! carries the store's one subscription.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use qb_auth_client::fleet::{Claim, Claimed, FleetKey, FleetState, Published};
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::LifecycleSnapshot;
use redis::{FromRedisValue, RedisResult, ScriptInvocation};

use crate::errors::{broken, failed, timed_out};
use crate::layout::Names;
use crate::options::Options;
use crate::scripts::{self, ClaimAnswer, LoadAnswer};
use crate::target::{Connection, Target};
use crate::wakeups::Wakeups;

/// The first pause of a wait, and the shortest between two looks at Redis
/// after a message.
const FIRST_PAUSE: Duration = Duration::from_millis(20);
/// The longest pause of a wait between two looks, and between two waits
/// ended by messages in a row (a flooded channel).
const LONGEST_PAUSE: Duration = Duration::from_millis(250);
/// Waits ended by messages this far apart are not in a row.
const QUIET: Duration = Duration::from_secs(1);

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
    /// Per channel: what the last round trip for its key saw, and when a
    /// message last ended a wait.
    trips: Mutex<HashMap<String, Trip>>,
}

/// What the last round trip for a key saw, and the waits' pacing.
#[derive(Debug, Clone, Copy, Default)]
struct Trip {
    /// Messages heard on the key's channel before it was sent.
    count: u64,
    /// The version it read.
    version: u64,
    /// The connection it went over, if the channel was subscribed on it
    /// then: no message heard since means nothing changed since.
    subscribed_on: Option<u64>,
    /// When a message last ended a wait, and the least time before the
    /// next one may.
    woken: Option<Instant>,
    gap: Duration,
    /// Whether the last wait was ended by a message the next claim has not
    /// looked at: only then may a notification answer it (a notification
    /// heard before the renewal began may be old).
    armed: bool,
}

/// Where a claim's answer came from.
enum Answer {
    /// The notification that ended the wait before it.
    Notified(FleetState),
    /// Redis, to a request sent at `sent`, `before` being what was known
    /// then.
    Read {
        answer: ClaimAnswer,
        before: (u64, Option<u64>),
        sent: SystemTime,
    },
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
            trips: Mutex::new(HashMap::new()),
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
        let before = self.before_trip(&names);
        let sent = SystemTime::now();
        let (version, text, redis_ms): LoadAnswer = self
            .bounded("loading the session", self.invoke(&invocation))
            .await?;
        self.read_clock(sent, redis_ms);
        let version = scripts::version(version, &names)?;
        self.tripped(&names, before, version);
        Ok(self.state(&names, version, text))
    }

    /// A renewal's first step in one round trip (see [`Claim`]): taken
    /// from the last notification instead when it carried a session newer
    /// than any this store read since, and than the claim's. Subscribing
    /// (once per connection) and the round trip share the one timeout.
    pub(crate) async fn claim(
        &self,
        key: &FleetKey,
        claim: Claim<'_>,
    ) -> Result<Claimed, StoreError> {
        let names = self.names(key);
        let deadline = self.deadline();
        let newest = self.saw(&names, 0);
        // Nothing older than what this store saw is taken: the lease is.
        let unwanted = claim.unwanted.max(newest.saturating_sub(1));
        let work = async {
            // Subscribed before the round trip, so a change after it is
            // heard.
            self.subscribe(&names.channel).await?;
            let rejected = claim.rejected.unwrap_or(0);
            if let Some(state) = self.notified(&names, unwanted.max(rejected)) {
                return Ok(Answer::Notified(state));
            }
            let invocation = names.claim(rejected, unwanted, claim.owner, claim.ttl, deadline);
            let before = self.before_trip(&names);
            let sent = SystemTime::now();
            let answer = self.invoke(&invocation).await?;
            Ok(Answer::Read {
                answer,
                before,
                sent,
            })
        };
        let (state, leased) = match self.bounded("claiming the lease", work).await? {
            Answer::Notified(state) => (state, false),
            Answer::Read {
                answer: (version, text, leased, redis_ms),
                before,
                sent,
            } => {
                self.read_clock(sent, redis_ms);
                let version = scripts::version(version, &names)?;
                self.tripped(&names, before, version);
                (self.state(&names, version, text), leased == 1)
            }
        };
        if leased || (state.session.is_some() && state.version > unwanted) {
            self.progressed(&names);
        }
        Ok(Claimed { state, leased })
    }

    /// A claim found something new or took the lease: the messages that
    /// led to it were not a flood, and the next wait is not paced.
    fn progressed(&self, names: &Names) {
        if let Some(trip) = lock(&self.trips).get_mut(&names.channel) {
            trip.woken = None;
            trip.gap = FIRST_PAUSE;
        }
    }

    /// The session the last notification on `names`' channel carried, if
    /// it ended the wait just before this claim, came after this store's
    /// last round trip for the key (that renewal's claim), and is newer
    /// than `unwanted` and than what that trip read: as good as a read made
    /// when it came. Read as a published copy is; the fleet checks it as
    /// one.
    fn notified(&self, names: &Names, unwanted: u64) -> Option<FleetState> {
        let heard = self.wakeups.heard(&names.channel);
        let mut trips = lock(&self.trips);
        let trip = trips.get_mut(&names.channel)?;
        let armed = std::mem::take(&mut trip.armed)
            && trip.woken.is_some_and(|woken| woken.elapsed() < QUIET);
        let (version, text) = heard.published.filter(|_| armed)?;
        if heard.count <= trip.count || version <= unwanted.max(trip.version) {
            return None;
        }
        let session = scripts::snapshot(Some(text.to_string()))?;
        trip.count = heard.count;
        trip.version = version;
        drop(trips);
        self.saw(names, version);
        Some(FleetState {
            version,
            session: Some(session),
        })
    }

    /// The state a round trip read: no session older than one this store
    /// saw.
    fn state(&self, names: &Names, version: u64, text: Option<String>) -> FleetState {
        let newest = self.saw(names, version);
        if version < newest {
            // Redis lost what it held (restarted empty, or a failover lost
            // the last writes): what it holds now is older than what this
            // process saw, and is not taken.
            tracing::warn!(key = %names.session, version, newest, "Redis holds an older version than this process saw");
            return FleetState {
                version,
                session: None,
            };
        }
        FleetState {
            version,
            session: scripts::snapshot(text),
        }
    }

    /// Redis's clock against ours, from a script's answer to a request
    /// sent at `sent`.
    fn read_clock(&self, sent: SystemTime, redis_ms: i64) {
        let received = SystemTime::now();
        let middle = (scripts::millis(sent) / 2 + scripts::millis(received) / 2) as i64;
        *lock(&self.clock) = Some(redis_ms.saturating_sub(middle));
    }

    /// When a lease request sent now stops being wanted, by Redis's clock
    /// (0: its clock not read yet).
    fn deadline(&self) -> u64 {
        lock(&self.clock).map_or(0, |offset| {
            let ends = scripts::millis(SystemTime::now() + self.options.timeout) as i64;
            u64::try_from(ends.saturating_add(offset)).unwrap_or(0)
        })
    }

    /// What is known before a round trip for `names`: messages heard on
    /// its channel, and the connection if the channel is subscribed on it.
    fn before_trip(&self, names: &Names) -> (u64, Option<u64>) {
        let count = self.wakeups.heard(&names.channel).count;
        let subscribed_on = lock(&self.kept)
            .as_ref()
            .filter(|k| k.subscribed.contains(&names.channel))
            .map(|k| k.generation);
        (count, subscribed_on)
    }

    /// Records what a round trip for `names` read.
    fn tripped(&self, names: &Names, (count, subscribed_on): (u64, Option<u64>), version: u64) {
        let mut trips = lock(&self.trips);
        let trip = trips.entry(names.channel.clone()).or_default();
        trip.count = count;
        trip.version = version;
        trip.subscribed_on = subscribed_on;
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
        let invocation = self.names(key).take_lease(owner, ttl, self.deadline());
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
    /// `until`. On the store's one subscription: a message ends the wait
    /// (the caller's next claim reads what changed, or takes it from the
    /// notification), else a look at Redis after each pause, the pauses
    /// doubling from 20 ms to 250 ms. No look first when the channel was
    /// subscribed before the caller's last round trip and nothing was
    /// heard since. Waits ended by messages in a row are spaced out the
    /// same way: a flooded channel ends a few waits a second.
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
        let current = heard.borrow_and_update().count;
        let generation = lock(&self.kept).as_ref().map(|k| k.generation);
        let trip = lock(&self.trips).get(&names.channel).copied();
        match trip {
            // Subscribed on this connection before the caller's last round
            // trip: a message since then ends the wait at once (the
            // caller's claim reads it), none means nothing changed.
            Some(trip)
                if trip.version == seen
                    && trip.subscribed_on.is_some()
                    && trip.subscribed_on == generation =>
            {
                if trip.count != current {
                    self.paced(&names, until).await;
                    return Ok(());
                }
            }
            // Else a look, now that the channel is subscribed.
            _ => {
                if self.changed(&names, seen).await? {
                    return Ok(());
                }
            }
        }
        let mut pause = Duration::ZERO;
        loop {
            let Some(next) = next_pause(pause, until) else {
                return Ok(());
            };
            pause = next;
            if let Ok(Ok(())) = tokio::time::timeout(pause, heard.changed()).await {
                self.paced(&names, until).await;
                return Ok(());
            }
            heard.borrow_and_update();
            // A subscription lost with its connection is made again.
            self.bounded("subscribing", self.subscribe(&names.channel))
                .await?;
            if self.changed(&names, seen).await? {
                return Ok(());
            }
        }
    }

    /// Before a message ends a wait: not sooner than the gap after the
    /// last wait a message ended (nor past `until`); the gap doubles for
    /// messages in a row that brought nothing new (a claim that finds a
    /// new session or takes the lease resets it), from 20 ms to 250 ms.
    async fn paced(&self, names: &Names, until: SystemTime) {
        let now = Instant::now();
        let earliest = {
            let mut trips = lock(&self.trips);
            let trip = trips.entry(names.channel.clone()).or_default();
            let in_a_row = trip
                .woken
                .is_some_and(|last| now.duration_since(last) < QUIET);
            let earliest = match trip.woken {
                Some(last) if in_a_row => last + trip.gap,
                _ => now,
            };
            trip.gap = if in_a_row {
                (trip.gap * 2).clamp(FIRST_PAUSE, LONGEST_PAUSE)
            } else {
                FIRST_PAUSE
            };
            let left = until.duration_since(SystemTime::now()).unwrap_or_default();
            let earliest = earliest.min(now + left);
            trip.woken = Some(earliest.max(now));
            trip.armed = true;
            earliest
        };
        tokio::time::sleep_until(earliest.into()).await;
    }

    /// Whether the version moved past `seen` or the lease is free.
    async fn changed(&self, names: &Names, seen: u64) -> Result<bool, StoreError> {
        let invocation = names.changed();
        let before = self.before_trip(names);
        let (version, held): (i64, u8) = self.bounded("waiting", self.invoke(&invocation)).await?;
        let version = scripts::version(version, names)?;
        self.tripped(names, before, version);
        Ok(version != seen || held == 0)
    }

    /// Records `version` as seen for `names`; returns the highest seen.
    fn saw(&self, names: &Names, version: u64) -> u64 {
        let mut seen = lock(&self.seen);
        let newest = seen.entry(names.session.clone()).or_default();
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
