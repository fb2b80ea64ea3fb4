//! A Redis Cluster of three masters: members opened with different nodes'
//! URLs share one session per expiry, the keys' slot moved while a renewal
//! holds the lease loses nothing, and the stores fence and wake across
//! nodes before and after the slot moves.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use qb_auth_client::fleet::{BlockingFleetStore, FleetKey, FleetStore, Published};
use qb_auth_emulator::fixtures;
use qb_auth_redis::{BlockingRedisStore, RedisStore};
use qb_auth_tests::fleet::{TRANSPORTS, Worker, redis_base};
use qb_auth_tests::redis_server::RedisCluster;

use super::processes::{settle, stop_all};
use super::stores::fencing_steps;
use super::{Binaries, READY, WORKER, emulator, eventually, snapshot, token_of};

/// `GET key` on the node that serves it.
fn get(cluster: &RedisCluster, key: &str) -> String {
    let node = cluster
        .owner(cluster.slot_of(key).expect("a slot"))
        .expect("an owner");
    let answer = cluster.nodes()[node]
        .command(&["GET", key])
        .expect("redis answers");
    String::from_utf8_lossy(&answer).trim().to_owned()
}

/// Eight processes over both transports, each opened with one node's URL
/// in turn, share one session per expiry; the slot moves to another node
/// while one of them holds the lease and creates the session, and no
/// request fails.
pub(crate) fn members_of_every_node_share_while_a_slot_moves(binaries: &Binaries) {
    let cluster = RedisCluster::start(binaries.server.clone(), 3).expect("the cluster forms");
    let urls = cluster.urls();
    let emulator = emulator();
    let mut workers: Vec<_> = (0..8)
        .map(|i| {
            Worker::spawn(
                Path::new(WORKER),
                emulator.base_url(),
                &urls[i % urls.len()],
                TRANSPORTS[i % 2],
                &["--cluster", "--callers", "20"],
            )
        })
        .collect();
    for worker in &mut workers {
        worker.expect("ready", READY);
    }
    assert_eq!(emulator.stats().sessions_created, 1, "eight cold starts");
    emulator.expire_all_sessions();
    settle(&emulator, 2, &mut workers);

    // Mid-renewal: a slow create-session, the lease held, the slot moved.
    let lease_key = format!("{}:lease", redis_base());
    let slot = cluster.slot_of(&lease_key).expect("a slot");
    let from = cluster.owner(slot).expect("an owner");
    emulator.control().set_latency(Duration::from_secs(1));
    emulator.expire_all_sessions();
    eventually(Duration::from_secs(60), "a process took the lease", || {
        !get(&cluster, &lease_key).is_empty()
    });
    let to = (from + 1) % urls.len();
    cluster.move_slot(slot, to).expect("the slot moves");
    emulator.control().set_latency(Duration::ZERO);
    println!("  slot {slot} moved from node {from} to node {to} during a renewal");
    // The renewal under way finishes on the new node.
    settle(&emulator, 3, &mut workers);
    for expiry in 1..=2 {
        emulator.expire_all_sessions();
        settle(&emulator, 3 + expiry, &mut workers);
    }
    assert_eq!(cluster.owner(slot).expect("an owner"), to);
    let answered = stop_all(workers);
    println!("  {answered} requests answered, none failed, one session per expiry");
    let dump = cluster.dump().expect("the nodes answer");
    assert!(
        dump.contains(&format!("{}:session", redis_base())),
        "{dump}"
    );
    for secret in [fixtures::AUTH_SECRET, fixtures::ALICE_PASSWORD] {
        assert!(!dump.contains(secret), "Redis holds a secret");
    }
    emulator.shutdown();
}

/// The stores' forced interleaving with its writers on different nodes,
/// then a wait on one node woken by a publish through another, before and
/// after the keys' slot moves: the subscription follows (or outlives) it.
pub(crate) fn stores_fence_and_wake_wherever_the_slot_is(binaries: &Binaries) {
    let cluster = RedisCluster::start(binaries.server.clone(), 3).expect("the cluster forms");
    let urls = cluster.urls();
    let (first, second) = (urls[0].as_str(), urls[1].as_str());
    {
        let a = BlockingRedisStore::open_cluster(&[first]).expect("a store");
        let b = BlockingRedisStore::open_cluster(&[second]).expect("a store");
        macro_rules! run {
            ($e:expr) => {
                $e.expect("redis answers")
            };
        }
        fencing_steps!(a, b, run);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        // Another prefix: the blocking stores' keys above are not these.
        let a = RedisStore::open_cluster(&[first])
            .expect("a store")
            .with_prefix("async:");
        let b = RedisStore::open_cluster(&[second])
            .expect("a store")
            .with_prefix("async:");
        macro_rules! run {
            ($e:expr) => {
                $e.await.expect("redis answers")
            };
        }
        fencing_steps!(a, b, run);

        let key = FleetKey::named(1, "waking");
        let channel = format!("async:{{{key}}}:changed");
        let slot = cluster.slot_of(&channel).expect("a slot");
        for round in 0..2 {
            if round == 1 {
                let to = (cluster.owner(slot).expect("an owner") + 1) % urls.len();
                cluster.move_slot(slot, to).expect("the slot moves");
            }
            let seen = run!(a.load(&key)).version;
            let until = SystemTime::now() + Duration::from_secs(30);
            let started = Instant::now();
            let (waited, published) = tokio::join!(a.wait_change(&key, seen, until), async {
                // Published once the waiter is subscribed somewhere.
                while subscribers(&cluster, &channel) == 0 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                b.publish(&key, seen, &snapshot(&format!("round-{round}")))
                    .await
            });
            waited.expect("redis answers");
            assert!(
                matches!(published, Ok(Published::Written(_))),
                "{published:?}"
            );
            let took = started.elapsed();
            assert!(
                took < Duration::from_secs(20),
                "round {round}: woken after {took:?}"
            );
            let state = run!(a.load(&key));
            assert_eq!(token_of(&state), Some(format!("round-{round}")));
        }
    });
}

/// How many subscribers `channel` has, over all nodes.
fn subscribers(cluster: &RedisCluster, channel: &str) -> u64 {
    cluster
        .nodes()
        .iter()
        .map(|node| {
            let answer = node
                .command(&["PUBSUB", "NUMSUB", channel])
                .unwrap_or_default();
            String::from_utf8_lossy(&answer)
                .lines()
                .nth(2)
                .and_then(|n| n.trim_start_matches(':').parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}
