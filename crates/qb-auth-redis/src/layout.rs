//! Where a fleet's session lives in Redis, the Lua scripts that change it
//! atomically, and how its value is read back. Shared by both stores.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use qb_auth_client::fleet::{FleetKey, FleetState, Published};
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::LifecycleSnapshot;

/// The prefix of every key unless set otherwise.
pub(crate) const DEFAULT_PREFIX: &str = "qb-auth:";

/// How long the version counter outlives the session it counts, so that a
/// writer that read it long ago is still fenced.
const VERSION_KEEP: Duration = Duration::from_secs(24 * 3600);

/// The names of one fleet key's Redis keys. The fleet key sits in a hash
/// tag (`{...}`), so all of them are in one cluster slot, as the scripts
/// need.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) session: String,
    pub(crate) version: String,
    pub(crate) lease: String,
    pub(crate) channel: String,
}

impl Names {
    pub(crate) fn new(prefix: &str, key: &FleetKey) -> Self {
        let base = format!("{prefix}{{{key}}}");
        Self {
            session: format!("{base}:session"),
            version: format!("{base}:version"),
            lease: format!("{base}:lease"),
            channel: format!("{base}:changed"),
        }
    }
}

/// Reads the version and the session in one step.
pub(crate) const LOAD: &str = r"
local version = tonumber(redis.call('GET', KEYS[1]) or '0')
local stored = redis.call('HMGET', KEYS[2], 'version', 'snapshot')
if stored[1] and tonumber(stored[1]) == version then
  return {version, stored[2]}
end
-- false is a nil reply, and keeps the table two long.
return {version, false}
";

/// The version and whether the lease is held, for a waiter's look.
pub(crate) const CHANGED: &str = r"
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('EXISTS', KEYS[2])}
";

/// Publishes ARGV[2] as a version above ARGV[1] if the counter is still
/// ARGV[1]; the session expires at ARGV[3] (ms), the counter ARGV[4] ms
/// later; wakes the waiters on ARGV[5]. Returns {1, new} or {0, current}.
pub(crate) const PUBLISH: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then
  return {0, current}
end
-- Redis's clock in ms, when ahead of the count: a version is never
-- reused, even after Redis lost its data, so a rejected session's
-- version cannot name a newer one.
local time = redis.call('TIME')
local version = math.max(current + 1, tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
version = string.format('%d', version)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'version', version, 'snapshot', ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], version, 'PXAT', tonumber(ARGV[3]) + tonumber(ARGV[4]))
redis.call('PUBLISH', ARGV[5], version)
return {1, tonumber(version)}
";

/// Drops the session if it is still version ARGV[1]; wakes the waiters.
pub(crate) const DROP: &str = r"
if redis.call('HGET', KEYS[1], 'version') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'dropped')
  return 1
end
return 0
";

/// Releases the lease if ARGV[1] still holds it; wakes the waiters.
pub(crate) const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'released')
  return 1
end
return 0
";

/// The answer of [`LOAD`]: a session that does not read as one (another
/// program's value, a newer format) is taken as none, and is replaced by
/// the next publish.
pub(crate) fn load_answer(answer: (u64, Option<String>)) -> FleetState {
    let (version, text) = answer;
    let session = text.and_then(
        |text| match serde_json::from_str::<LifecycleSnapshot>(&text) {
            Ok(snapshot) => Some(snapshot),
            Err(err) => {
                // serde_json's message names the field at fault, never the value.
                tracing::warn!(error = %err, "ignoring a shared session that does not read");
                None
            }
        },
    );
    FleetState { version, session }
}

/// The commands both stores send, each beside the script it runs: the
/// order of a script's keys and arguments is written here only.
impl Names {
    /// [`LOAD`]; answers `(version, snapshot text)`, see [`load_answer`].
    pub(crate) fn load(&self) -> redis::Cmd {
        eval(LOAD, &[&self.version, &self.session])
    }

    /// [`CHANGED`]; answers `(version, lease held: 0 or 1)`.
    pub(crate) fn changed(&self) -> redis::Cmd {
        eval(CHANGED, &[&self.version, &self.lease])
    }

    /// Takes the lease for `owner` unless it is held (`SET NX PX`);
    /// answers `Some("OK")` when taken.
    pub(crate) fn take_lease(&self, owner: &str, ttl: Duration) -> redis::Cmd {
        let mut cmd = redis::cmd("SET");
        cmd.arg(&self.lease)
            .arg(owner)
            .arg("NX")
            .arg("PX")
            .arg(lease_millis(ttl));
        cmd
    }

    /// [`RELEASE`] for `owner`; answers 1 if it held the lease.
    pub(crate) fn release(&self, owner: &str) -> redis::Cmd {
        let mut cmd = eval(RELEASE, &[&self.lease]);
        cmd.arg(owner).arg(&self.channel);
        cmd
    }

    /// [`PUBLISH`] of `snapshot` over version `expected`; answers
    /// `(written, version)`, see [`publish_answer`].
    pub(crate) fn publish(
        &self,
        expected: u64,
        snapshot: &LifecycleSnapshot,
    ) -> Result<redis::Cmd, StoreError> {
        let text = serde_json::to_string(snapshot)
            .map_err(|_| StoreError::new("the session could not be serialised"))?;
        let until = snapshot.valid_until().unwrap_or(UNIX_EPOCH);
        let mut cmd = eval(PUBLISH, &[&self.version, &self.session]);
        cmd.arg(expected)
            .arg(text)
            .arg(millis(until))
            .arg(VERSION_KEEP.as_millis() as u64)
            .arg(&self.channel);
        Ok(cmd)
    }

    /// [`DROP`] of `version`; answers 1 if it was dropped.
    pub(crate) fn drop_rejected(&self, version: u64) -> redis::Cmd {
        let mut cmd = eval(DROP, &[&self.session]);
        cmd.arg(version).arg(&self.channel);
        cmd
    }
}

/// `EVAL script numkeys keys...`, the arguments to follow.
fn eval(script: &str, keys: &[&str]) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(keys.len()).arg(keys);
    cmd
}

/// The answer of [`PUBLISH`].
pub(crate) fn publish_answer(answer: (u8, u64)) -> Published {
    match answer {
        (1, version) => Published::Written(version),
        (_, current) => Published::Fenced { current },
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

/// A lease's lifetime in whole milliseconds, at least 1.
fn lease_millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The pause before the next look while waiting: from 20 ms, doubling, at
/// most 250 ms, never past `until`.
pub(crate) fn next_poll(previous: Duration, until: SystemTime) -> Option<Duration> {
    let left = until.duration_since(SystemTime::now()).ok()?;
    let next = (previous * 2).clamp(Duration::from_millis(20), Duration::from_millis(250));
    Some(next.min(left)).filter(|d| !d.is_zero())
}

/// A Redis failure as the client's error: what failed and Redis's own
/// category, never the URL (it may hold a password) nor a value.
pub(crate) fn failed(what: &str, err: &redis::RedisError) -> StoreError {
    let why = if err.is_timeout() {
        "no answer in time"
    } else if err.is_connection_refusal() {
        "connection refused"
    } else if err.is_connection_dropped() || err.is_io_error() {
        "connection lost"
    } else {
        err.category()
    };
    StoreError::new(format!("{what}: {why}"))
}

/// Whether the connection itself broke (rather than Redis answering with
/// an error or answering late): worth one more try on a new connection.
pub(crate) fn broken(err: &redis::RedisError) -> bool {
    !err.is_timeout() && (err.is_connection_dropped() || err.is_io_error())
}

/// No answer within the store's timeout (the async store's own bound;
/// the blocking one's sockets time out as Redis errors).
#[cfg(feature = "async")]
pub(crate) fn timed_out(what: &str, timeout: Duration) -> StoreError {
    StoreError::new(format!(
        "{what}: no answer within {} ms",
        timeout.as_millis()
    ))
}

/// A URL the redis crate does not take. The URL is left out: it may hold a
/// password.
pub(crate) fn bad_url(err: &redis::RedisError) -> StoreError {
    StoreError::new(format!("not a usable Redis URL ({})", err.category()))
}

/// A client for `url`. A `rediss://` URL needs the `tls` feature; rustls
/// then needs a process-wide crypto provider to build its configuration,
/// and in a program whose dependencies bring more than one it cannot pick
/// one itself, so ring is installed when none is.
pub(crate) fn open_client(url: &str) -> Result<redis::Client, StoreError> {
    #[cfg(feature = "tls")]
    if url.starts_with("rediss:") && rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: one is in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    redis::Client::open(url).map_err(|e| bad_url(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_share_one_hash_tag_and_waits_back_off_within_bounds() {
        let names = Names::new("p:", &FleetKey::named(7, "workers"));
        let tag = |k: &str| k[k.find('{').unwrap()..=k.find('}').unwrap()].to_owned();
        assert_eq!(tag(&names.session), tag(&names.lease));
        assert_eq!(tag(&names.version), tag(&names.channel));
        assert!(names.session.starts_with("p:{7:"));
        let far = SystemTime::now() + Duration::from_secs(60);
        assert_eq!(
            next_poll(Duration::ZERO, far),
            Some(Duration::from_millis(20))
        );
        assert_eq!(
            next_poll(Duration::from_secs(1), far),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            next_poll(Duration::ZERO, SystemTime::now() - Duration::from_secs(1)),
            None
        );
        assert!(load_answer((3, Some("not json".into()))).session.is_none());
        // Without the `tls` feature a `rediss://` URL is refused, not a
        // panic, and the refusal shows no password.
        if !cfg!(feature = "tls") {
            let err = open_client("rediss://user:hunter2@127.0.0.1/")
                .map(|_| ())
                .unwrap_err();
            assert!(!err.to_string().contains("hunter2"));
        }
        assert_eq!(load_answer((3, None)).version, 3);
    }
}
