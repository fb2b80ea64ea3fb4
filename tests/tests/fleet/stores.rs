//! The stores themselves, without a managed session: a forced interleaving
//! of two writers, the lease and the wait, the same for both shapes.

use std::time::{Duration, Instant};

use qb_auth_client::fleet::{BlockingFleetStore, FleetKey, FleetStore, Published};
use qb_auth_redis::{BlockingRedisStore, RedisStore};
use qb_auth_tests::redis_server::RedisServer;

use super::{Binaries, snapshot, token_of};

/// The same forced interleaving for either store shape: `call` runs one
/// operation to its end.
macro_rules! fencing_steps {
    ($a:expr, $b:expr, $call:ident) => {{
        let (a, b) = (&$a, &$b);
        let key = FleetKey::named(1, "fencing");
        // Both read version 0; the fast writer publishes first.
        let seen_a = $call!(a.load(&key)).version;
        let seen_b = $call!(b.load(&key)).version;
        assert_eq!((seen_a, seen_b), (0, 0));
        let Published::Written(newer) = $call!(b.publish(&key, seen_b, &snapshot("newer"))) else {
            panic!("the first writer is fenced");
        };
        assert!(newer > 0);
        // The slow writer's older session is refused, not written.
        assert_eq!(
            $call!(a.publish(&key, seen_a, &snapshot("older"))),
            Published::Fenced { current: newer }
        );
        let state = $call!(a.load(&key));
        assert_eq!(
            (state.version, token_of(&state).as_deref()),
            (newer, Some("newer"))
        );
        // A rejection of a version no longer stored drops nothing.
        assert!(!$call!(a.drop_rejected(&key, 0)));
        assert_eq!(token_of(&$call!(b.load(&key))).as_deref(), Some("newer"));
        assert!($call!(a.drop_rejected(&key, newer)));
        let state = $call!(b.load(&key));
        assert_eq!((state.version, state.session.is_none()), (newer, true));
        // The version survives the drop: a writer that read 0 stays fenced.
        assert_eq!(
            $call!(a.publish(&key, 0, &snapshot("older"))),
            Published::Fenced { current: newer }
        );
        let Published::Written(third) = $call!(b.publish(&key, newer, &snapshot("third"))) else {
            panic!("a writer that read the last version is fenced");
        };
        assert!(third > newer);
        // The lease: one holder, released only by it.
        let ttl = Duration::from_secs(30);
        assert!($call!(a.try_lease(&key, "a", ttl)));
        assert!(!$call!(b.try_lease(&key, "b", ttl)));
        $call!(b.release(&key, "b"));
        assert!(
            !$call!(b.try_lease(&key, "b", ttl)),
            "only the owner releases"
        );
        $call!(a.release(&key, "a"));
        assert!($call!(b.try_lease(&key, "b", ttl)));
        // A wait for a change that already happened returns at once, and a
        // wait for none ends at its deadline.
        let until = std::time::SystemTime::now() + Duration::from_secs(30);
        let started = Instant::now();
        $call!(a.wait_change(&key, newer, until));
        assert!(started.elapsed() < Duration::from_secs(25));
        let soon = std::time::SystemTime::now() + Duration::from_millis(300);
        $call!(a.wait_change(&key, third, soon));
        assert!(std::time::SystemTime::now() >= soon);
    }};
}

pub(crate) use fencing_steps;

pub(crate) fn fencing_async_store(binaries: &Binaries) {
    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let a = RedisStore::open(&redis.url()).expect("a store");
        let b = RedisStore::open(&redis.url()).expect("a store");
        macro_rules! run {
            ($e:expr) => {
                $e.await.expect("redis answers")
            };
        }
        fencing_steps!(a, b, run);
    });
}

pub(crate) fn fencing_blocking_store(binaries: &Binaries) {
    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
    let a = BlockingRedisStore::open(&redis.url()).expect("a store");
    let b = BlockingRedisStore::open(&redis.url()).expect("a store");
    macro_rules! run {
        ($e:expr) => {
            $e.expect("redis answers")
        };
    }
    fencing_steps!(a, b, run);
    // A blocking client used, and dropped, inside async code: the store's
    // own runtime is driven on a thread of its own, and let go without a
    // wait (a runtime that waits may not be dropped there).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let store = BlockingRedisStore::open(&redis.url()).expect("a store");
        let state = store
            .load(&FleetKey::named(1, "fencing"))
            .expect("redis answers");
        assert_eq!(token_of(&state).as_deref(), Some("third"));
        drop(store);
    });
}
