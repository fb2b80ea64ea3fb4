//! Whether the Redis tests run here: `redis-server` (and `redis-sentinel`)
//! found, or required. The servers themselves are
//! `qb_auth_redis::server`'s.

pub use qb_auth_redis::server::{RedisCluster, RedisSentinels, RedisServer, find, find_sentinel};

/// The variable under which a missing `redis-server` or `redis-sentinel`
/// fails the tests instead of skipping them (CI sets it).
pub const REQUIRE_VAR: &str = "QB_AUTH_REQUIRE_REDIS";

/// Whether a missing `redis-server` or `redis-sentinel` is a failure here.
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}
