//! Whether the Redis tests run here: `redis-server` found, or required.
//! The server itself is `qb_auth_redis::server::RedisServer`.

pub use qb_auth_redis::server::{RedisServer, find};

/// The variable under which a missing `redis-server` fails the tests
/// instead of skipping them (CI sets it).
pub const REQUIRE_VAR: &str = "QB_AUTH_REQUIRE_REDIS";

/// Whether a missing `redis-server` is a failure here.
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}
