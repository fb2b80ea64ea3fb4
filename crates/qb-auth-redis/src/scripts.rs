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

/// How long the version counter outlives the session it counts, so that a
/// writer that read it long ago is still fenced.
const VERSION_KEEP: Duration = Duration::from_secs(24 * 3600);

/// The largest version the scripts count to (15 digits).
pub(crate) const MAX_VERSION: u64 = 999_999_999_999_999;

/// Lua shared by the scripts: Redis's clock in ms, and a version count
/// read from its key (0 when absent, nil when it is not a count of ours).
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
"
    };
}

/// Reads the version, the session published as it, and Redis's clock (for
/// the lease's deadline). The version is -1 when out of range.
static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local version = count(redis.call('GET', KEYS[1]))
if not version then return {-1, false, now_ms()} end
local stored = redis.call('HMGET', KEYS[2], 'version', 'snapshot')
if stored[1] and stored[2] and count(stored[1]) == version then
  return {version, stored[2], now_ms()}
end
-- false is a nil reply, and keeps the table three long.
return {version, false, now_ms()}
"
    ))
});

/// The version (-1 when out of range) and whether a lease is held: one
/// without expiry, which this code never writes, counts as free.
static CHANGED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local version = count(redis.call('GET', KEYS[1])) or -1
local held = 0
if redis.call('PTTL', KEYS[2]) > 0 then held = 1 end
return {version, held}
"
    ))
});

/// Takes the lease for ARGV[1] for ARGV[2] ms unless someone holds it;
/// refused (-1) once Redis's clock is past ARGV[3] (ms, 0: no deadline),
/// by when the caller gave up: a request held up (a Redis that froze and
/// came back) cannot take a lease for a process that renewed alone. A
/// lease without expiry is stale and replaced. 1: taken; 0: held.
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
/// ARGV[2].
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

/// Publishes ARGV[2] as a version above ARGV[1] if the counter is still
/// ARGV[1]; the session expires at ARGV[3] (ms), the counter ARGV[4] ms
/// later; wakes the waiters on ARGV[5]. The new version is above the
/// count, Redis's clock in ms, and ARGV[6] (the highest version the caller
/// has seen): so a version is never reused, even after Redis lost its data
/// (restarted empty, or a failover lost the last writes), and a rejected
/// session's version cannot name a newer one. Returns {1, new},
/// {0, current} when fenced, {-1, 0} when a count is out of range.
static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local current = count(redis.call('GET', KEYS[1]))
if not current then return {-1, 0} end
if current ~= tonumber(ARGV[1]) then return {0, current} end
local version = math.max(current + 1, now_ms(), tonumber(ARGV[6]) + 1)
if version > 999999999999999 then return {-1, 0} end
version = string.format('%d', version)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'version', version, 'snapshot', ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], version, 'PXAT', tonumber(ARGV[3]) + tonumber(ARGV[4]))
redis.call('PUBLISH', ARGV[5], version)
return {1, tonumber(version)}
"
    ))
});

/// Drops the session if it is still version ARGV[1]; wakes the waiters on
/// ARGV[2].
static DROP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'version') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'dropped')
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
        invocation.key(&self.version).key(&self.session);
        invocation
    }

    /// [`CHANGED`]; answers `(version or -1, lease held: 0 or 1)`.
    pub(crate) fn changed(&self) -> ScriptInvocation<'static> {
        let mut invocation = CHANGED.prepare_invoke();
        invocation.key(&self.version).key(&self.lease);
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
            .key(&self.version)
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
        invocation
            .key(&self.session)
            .arg(version)
            .arg(&self.channel);
        invocation
    }
}

/// The answer of [`LOAD`]: the version (-1: out of range), the snapshot's
/// text, Redis's clock in ms.
pub(crate) type LoadAnswer = (i64, Option<String>, i64);

/// A version from a script's answer: -1 (or any value outside the counts
/// the scripts write) is reported with the key it came from.
pub(crate) fn version(value: i64, names: &Names) -> Result<u64, StoreError> {
    u64::try_from(value)
        .ok()
        .filter(|v| *v <= MAX_VERSION)
        .ok_or_else(|| {
            StoreError::new(format!(
                "the version at {} is out of range: not a count this store wrote (at most 15 \
                 digits); sharing resumes once the key is deleted",
                names.version
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
            assert!(err.to_string().contains(&names.version), "{err}");
        }
        assert!(publish_answer((-1, 0), &names).is_err());
        assert_eq!(
            publish_answer((0, 5), &names).unwrap(),
            Published::Fenced { current: 5 }
        );
        assert!(snapshot(Some("not json".into())).is_none());
        assert!(snapshot(None).is_none());
    }
}
