//! The Lua scripts that read and change a fleet's session atomically, the
//! invocations both stores send (each beside its script: the order of a
//! script's keys and arguments is written here only), and how their
//! answers are read.
//!
//! Scripts are loaded once per server and called by their SHA-1
//! (`EVALSHA`, loaded again on `NOSCRIPT`), through the redis crate's
//! [`Script`]. Versions are decimal counts of at most 15 digits, which
//! Lua's numbers hold exactly; any other value in the version key is
//! reported, never counted on.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use qb_auth_client::fleet::Published;
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::LifecycleSnapshot;
use redis::{Script, ScriptInvocation};

use crate::layout::Names;

/// How long the version outlives the session it counts, so that a writer
/// that read it long ago is still fenced.
const VERSION_KEEP: Duration = Duration::from_secs(24 * 3600);

/// The largest version the scripts count to (15 digits).
pub(crate) const MAX_VERSION: u64 = 999_999_999_999_999;

/// Lua shared by the scripts: Redis's clock in ms; a version count read
/// from its field (0 when absent, nil when it is not a count of ours); and
/// the session hash's version and live snapshot, an expired one removed
/// (its token leaves Redis at the first look past its expiry).
macro_rules! prelude {
    () => {
        r"
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function count(text)
  if not text then return 0 end
  if #text > 15 or not string.match(text, '^%d+$') then return nil end
  return tonumber(text)
end
local function stored(key, now)
  local fields = redis.call('HMGET', key, 'version', 'snapshot', 'until')
  local version = count(fields[1])
  local snapshot = fields[2]
  if version and snapshot and (tonumber(fields[3]) or 0) <= now then
    redis.call('HDEL', key, 'snapshot', 'until')
    snapshot = false
  end
  return version, snapshot
end
"
    };
}

/// Reads the version, the live session, and Redis's clock (for the
/// lease's deadline). KEYS: session. The version is -1 when out of range.
static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local now = now_ms()
local version, snapshot = stored(KEYS[1], now)
if not version then return {-1, false, now} end
-- false is a nil reply, and keeps the table three long.
return {version, snapshot, now}
"
    ))
});

/// The version (-1 when out of range) and whether a lease is held: one
/// without expiry, which this code never writes, counts as free. KEYS:
/// session, lease.
static CHANGED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local version = count(redis.call('HGET', KEYS[1], 'version')) or -1
local held = 0
if redis.call('PTTL', KEYS[2]) > 0 then held = 1 end
return {version, held}
"
    ))
});

/// A renewal's first step. KEYS: session, lease. Drops the session if it
/// is still version ARGV[1] (0: none was rejected), reads the version and
/// the live session, and takes the lease for ARGV[3] for ARGV[4] ms
/// unless a session newer than version ARGV[2] is published, with
/// [`TAKE_LEASE`]'s deadline (ARGV[5]) and rules. Returns {version or -1
/// when out of range, snapshot or false, 1 when leased (-1 too late)
/// else 0, Redis's clock in ms}.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local now = now_ms()
if ARGV[1] ~= '0' and redis.call('HGET', KEYS[1], 'version') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'snapshot', 'until')
end
local version, snapshot = stored(KEYS[1], now)
if not version then return {-1, false, 0, now} end
local leased = 0
if not snapshot or version <= tonumber(ARGV[2]) then
  local deadline = tonumber(ARGV[5])
  if deadline > 0 and now > deadline then
    leased = -1
  else
    if redis.call('PTTL', KEYS[2]) == -1 then redis.call('DEL', KEYS[2]) end
    if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then leased = 1 end
  end
end
return {version, snapshot, leased, now}
"
    ))
});

/// Takes the lease for ARGV[1] for ARGV[2] ms unless someone holds it.
/// KEYS: lease. Refused (-1) once Redis's clock is past ARGV[3] (ms, 0: no
/// deadline), by when the caller gave up: a request held up (a Redis that
/// froze and came back) cannot take a lease for a process that renewed
/// alone. A lease without expiry is stale and replaced. 1: taken; 0: held.
static TAKE_LEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local deadline = tonumber(ARGV[3])
if deadline > 0 and now_ms() > deadline then return -1 end
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('DEL', KEYS[1]) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"
    ))
});

/// Releases the lease if ARGV[1] still holds it; wakes the waiters on
/// ARGV[2]. KEYS: lease.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'released')
  return 1
end
return 0
",
    )
});

/// Publishes ARGV[2] as a version above ARGV[1] if the version is still
/// ARGV[1]. KEYS: session. The session is live until ARGV[3] (ms), the
/// hash (its version) ARGV[4] ms longer; the waiters on ARGV[5] are woken
/// with `<version> <snapshot>`, so that a waiter needs no read to take it.
/// The new version is above the count, Redis's clock in ms, and ARGV[6]
/// (the highest version the caller has seen): so a version is never
/// reused, even after Redis lost its data (restarted empty, or a failover
/// lost the last writes), and a rejected session's version cannot name a
/// newer one. Returns {1, new}, {0, current} when fenced, {-1, 0} when a
/// count is out of range.
static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local current = count(redis.call('HGET', KEYS[1], 'version'))
if not current then return {-1, 0} end
if current ~= tonumber(ARGV[1]) then return {0, current} end
local version = math.max(current + 1, now_ms(), tonumber(ARGV[6]) + 1)
if version > 999999999999999 then return {-1, 0} end
version = string.format('%d', version)
redis.call('HSET', KEYS[1], 'version', version, 'snapshot', ARGV[2], 'until', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]))
redis.call('PUBLISH', ARGV[5], version .. ' ' .. ARGV[2])
return {1, tonumber(version)}
"
    ))
});

/// Drops the session if it is still version ARGV[1], keeping the version.
/// KEYS: session. No one is woken: the version does not move, and the
/// dropping process claims the lease next.
static DROP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'version') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'snapshot') == 1 then
  redis.call('HDEL', KEYS[1], 'snapshot', 'until')
  return 1
end
return 0
",
    )
});

/// The invocations, each with its script's keys and arguments in order.
impl Names {
    /// [`LOAD`]; answers [`LoadAnswer`].
    pub(crate) fn load(&self) -> ScriptInvocation<'static> {
        let mut invocation = LOAD.prepare_invoke();
        invocation.key(&self.session);
        invocation
    }

    /// [`CHANGED`]; answers `(version or -1, lease held: 0 or 1)`.
    pub(crate) fn changed(&self) -> ScriptInvocation<'static> {
        let mut invocation = CHANGED.prepare_invoke();
        invocation.key(&self.session).key(&self.lease);
        invocation
    }

    /// [`CLAIM`]: drops `rejected` (0: none), takes the lease for `owner`
    /// unless a session newer than `unwanted` is published, refused past
    /// `deadline_ms` by Redis's clock (0: none); answers [`ClaimAnswer`].
    pub(crate) fn claim(
        &self,
        rejected: u64,
        unwanted: u64,
        owner: &str,
        ttl: Duration,
        deadline_ms: u64,
    ) -> ScriptInvocation<'static> {
        let mut invocation = CLAIM.prepare_invoke();
        invocation
            .key(&self.session)
            .key(&self.lease)
            .arg(rejected)
            .arg(unwanted)
            .arg(owner)
            .arg(whole_millis(ttl))
            .arg(deadline_ms);
        invocation
    }

    /// [`TAKE_LEASE`] for `owner`, refused past `deadline_ms` by Redis's
    /// clock (0: none); answers 1 (taken), 0 (held) or -1 (too late).
    pub(crate) fn take_lease(
        &self,
        owner: &str,
        ttl: Duration,
        deadline_ms: u64,
    ) -> ScriptInvocation<'static> {
        let mut invocation = TAKE_LEASE.prepare_invoke();
        invocation
            .key(&self.lease)
            .arg(owner)
            .arg(whole_millis(ttl))
            .arg(deadline_ms);
        invocation
    }

    /// [`RELEASE`] for `owner`; answers 1 if it held the lease.
    pub(crate) fn release(&self, owner: &str) -> ScriptInvocation<'static> {
        let mut invocation = RELEASE.prepare_invoke();
        invocation.key(&self.lease).arg(owner).arg(&self.channel);
        invocation
    }

    /// [`PUBLISH`] of `snapshot` over version `expected`, above `floor`;
    /// answers `(status, version)`, see [`publish_answer`].
    pub(crate) fn publish(
        &self,
        expected: u64,
        floor: u64,
        snapshot: &LifecycleSnapshot,
    ) -> Result<ScriptInvocation<'static>, StoreError> {
        let text = serde_json::to_string(snapshot)
            .map_err(|_| StoreError::new("the session could not be serialised"))?;
        let until = snapshot.valid_until().unwrap_or(UNIX_EPOCH);
        let mut invocation = PUBLISH.prepare_invoke();
        invocation
            .key(&self.session)
            .arg(expected)
            .arg(text)
            .arg(millis(until))
            .arg(whole_millis(VERSION_KEEP))
            .arg(&self.channel)
            .arg(floor.min(MAX_VERSION));
        Ok(invocation)
    }

    /// [`DROP`] of `version`; answers 1 if it was dropped.
    pub(crate) fn drop_rejected(&self, version: u64) -> ScriptInvocation<'static> {
        let mut invocation = DROP.prepare_invoke();
        invocation.key(&self.session).arg(version);
        invocation
    }
}

/// The answer of [`LOAD`]: the version (-1: out of range), the snapshot's
/// text, Redis's clock in ms.
pub(crate) type LoadAnswer = (i64, Option<String>, i64);

/// The answer of [`CLAIM`]: as [`LoadAnswer`], with whether the lease was
/// taken (1) before Redis's clock.
pub(crate) type ClaimAnswer = (i64, Option<String>, i64, i64);

/// A published session as its notification carries it: `<version>
/// <snapshot>`. `None` for any other message.
pub(crate) fn notification(payload: &[u8]) -> Option<(u64, String)> {
    let text = std::str::from_utf8(payload).ok()?;
    let (version, snapshot) = text.split_once(' ')?;
    let version = version.parse::<u64>().ok().filter(|v| *v <= MAX_VERSION)?;
    Some((version, snapshot.to_owned()))
}

/// A version from a script's answer: -1 (or any value outside the counts
/// the scripts write) is reported with the key it came from.
pub(crate) fn version(value: i64, names: &Names) -> Result<u64, StoreError> {
    u64::try_from(value)
        .ok()
        .filter(|v| *v <= MAX_VERSION)
        .ok_or_else(|| {
            StoreError::new(format!(
                "the version in {} is out of range: not a count this store wrote (at most 15 \
                 digits); sharing resumes once the key is deleted",
                names.session
            ))
        })
}

/// A snapshot's text as the session it holds; one that does not read (another
/// program's value, a newer format) is taken as none, and is replaced by the
/// next publish.
pub(crate) fn snapshot(text: Option<String>) -> Option<LifecycleSnapshot> {
    text.and_then(
        |text| match serde_json::from_str::<LifecycleSnapshot>(&text) {
            Ok(snapshot) => Some(snapshot),
            Err(err) => {
                // serde_json's message names the field at fault, never the value.
                tracing::warn!(error = %err, "ignoring a shared session that does not read");
                None
            }
        },
    )
}

/// The answer of [`PUBLISH`].
pub(crate) fn publish_answer(answer: (i64, i64), names: &Names) -> Result<Published, StoreError> {
    match answer {
        (1, written) => Ok(Published::Written(version(written, names)?)),
        (0, current) => Ok(Published::Fenced {
            current: version(current, names)?,
        }),
        _ => Err(version(-1, names).unwrap_err()),
    }
}

/// Milliseconds since the epoch, at least 1 (0 would be refused).
pub(crate) fn millis(time: SystemTime) -> u64 {
    let ms = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX).max(1)
}

/// A duration in whole milliseconds, at least 1.
fn whole_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use qb_auth_client::fleet::FleetKey;

    use super::*;

    #[test]
    fn versions_out_of_range_are_reported_and_unreadable_snapshots_are_none() {
        let names = Names::new("p:", &FleetKey::named(7, "workers"));
        assert_eq!(version(3, &names).unwrap(), 3);
        assert_eq!(version(MAX_VERSION as i64, &names).unwrap(), MAX_VERSION);
        for bad in [-1, MAX_VERSION as i64 + 1, i64::MAX] {
            let err = version(bad, &names).unwrap_err();
            assert!(err.to_string().contains("out of range"), "{err}");
            assert!(err.to_string().contains(&names.session), "{err}");
        }
        assert!(publish_answer((-1, 0), &names).is_err());
        assert_eq!(
            publish_answer((0, 5), &names).unwrap(),
            Published::Fenced { current: 5 }
        );
        assert!(snapshot(Some("not json".into())).is_none());
        assert!(snapshot(None).is_none());
        assert_eq!(notification(b"12 {}"), Some((12, "{}".to_owned())));
        for other in [
            &b"released"[..],
            b"12",
            b"-1 {}",
            b"99999999999999999999 {}",
            b"\xff {}",
        ] {
            assert_eq!(notification(other), None);
        }
    }
}
