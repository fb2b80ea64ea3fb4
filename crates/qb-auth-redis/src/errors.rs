//! A Redis failure as the client's [`StoreError`]: what failed and why,
//! never a URL (it may hold a password) nor a value.

use std::time::Duration;

use qb_auth_client::store::StoreError;
use redis::{ErrorKind, RedisError, ServerErrorKind};

/// `what` failed with `err`.
pub(crate) fn failed(what: &str, err: &RedisError) -> StoreError {
    let why = if err.is_timeout() {
        "no answer in time"
    } else if err.is_connection_refusal() {
        "connection refused"
    } else if err.is_connection_dropped() || err.is_io_error() {
        "connection lost"
    } else {
        match err.kind() {
            // A plain store pointed at a cluster node.
            ErrorKind::Server(ServerErrorKind::Moved | ServerErrorKind::Ask) => {
                "the key is on another node: this is a Redis Cluster, open it with open_cluster"
            }
            ErrorKind::Server(ServerErrorKind::ReadOnly) => {
                "the server is a replica now (a failover): connecting to the master again"
            }
            ErrorKind::Server(ServerErrorKind::NoPerm) => "permission denied (ACL)",
            _ => err.category(),
        }
    };
    StoreError::new(format!("{what}: {why}"))
}

/// Whether the connection itself broke (rather than Redis answering with
/// an error or answering late): worth one more try on a new connection.
pub(crate) fn broken(err: &RedisError) -> bool {
    !err.is_timeout() && (err.is_connection_dropped() || err.is_io_error())
}

/// No answer within the store's timeout.
pub(crate) fn timed_out(what: &str, timeout: Duration) -> StoreError {
    StoreError::new(format!(
        "{what}: no answer within {} ms",
        timeout.as_millis()
    ))
}

/// A URL the redis crate does not take. The URL is left out: it may hold a
/// password.
pub(crate) fn bad_url(err: &RedisError) -> StoreError {
    StoreError::new(format!("not a usable Redis URL ({})", err.category()))
}
