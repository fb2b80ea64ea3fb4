//! Fleets of worker processes (`fleet-worker`, over both transports), each
//! case against one `redis-server` and against a cluster of three, the
//! workers opened with each node's URL in turn: cold starts, fifty callers
//! each through five expiries, the lease holder killed mid-renewal, and
//! Redis stopped and restarted.

use std::path::Path;
use std::time::{Duration, Instant};

use qb_auth_emulator::{BlockingEmulator, fixtures};
use qb_auth_tests::fleet::{TRANSPORTS, Worker, redis_base};
use qb_auth_tests::redis_server::{RedisCluster, RedisServer};

use super::{Binaries, READY, STOP, WORKER, emulator, eventually};

/// Where the fleet's Redis runs.
enum Deployment {
    Single(RedisServer),
    Cluster(RedisCluster),
}

impl Deployment {
    fn start(binaries: &Binaries, cluster: bool) -> Self {
        if cluster {
            Self::Cluster(
                RedisCluster::start(binaries.server.clone(), 3).expect("the cluster forms"),
            )
        } else {
            Self::Single(RedisServer::start(binaries.server.clone()).expect("redis-server starts"))
        }
    }

    /// Worker `i`'s Redis URL and the options that go with it: in a
    /// cluster, one node's URL (the workers' turns go round the nodes).
    fn worker(&self, i: usize, api: &str, transport: &'static str, extra: &[&str]) -> Worker {
        match self {
            Self::Single(redis) => {
                Worker::spawn(Path::new(WORKER), api, &redis.url(), transport, extra)
            }
            Self::Cluster(cluster) => {
                let urls = cluster.urls();
                let mut extra = extra.to_vec();
                extra.push("--cluster");
                Worker::spawn(
                    Path::new(WORKER),
                    api,
                    &urls[i % urls.len()],
                    transport,
                    &extra,
                )
            }
        }
    }

    /// The server that holds the fleet's keys.
    fn holder(&self) -> &RedisServer {
        match self {
            Self::Single(redis) => redis,
            Self::Cluster(cluster) => {
                let slot = cluster
                    .slot_of(&format!("{}:session", redis_base()))
                    .expect("a slot");
                &cluster.nodes()[cluster.owner(slot).expect("an owner")]
            }
        }
    }

    /// `GET key` on the server that holds it, as text.
    fn get(&self, key: &str) -> String {
        let answer = self.holder().command(&["GET", key]).expect("redis answers");
        String::from_utf8_lossy(&answer).trim().to_owned()
    }

    /// The fleet's version, as text.
    fn version(&self) -> String {
        let session = format!("{}:session", redis_base());
        let answer = self
            .holder()
            .command(&["HGET", &session, "version"])
            .expect("redis answers");
        String::from_utf8_lossy(&answer).trim().to_owned()
    }

    fn dump(&self) -> String {
        match self {
            Self::Single(redis) => redis.dump(),
            Self::Cluster(cluster) => cluster.dump(),
        }
        .expect("redis answers")
    }

    fn stop(&mut self) {
        match self {
            Self::Single(redis) => redis.stop(),
            Self::Cluster(cluster) => cluster.stop(),
        }
    }

    fn restart(&mut self) {
        match self {
            Self::Single(redis) => redis.restart().expect("redis-server restarts"),
            Self::Cluster(cluster) => cluster.restart().expect("the cluster comes back"),
        }
    }
}

pub(crate) fn cold_start_of_20_creates_one_session(binaries: &Binaries) {
    cold_start(binaries, false);
}

pub(crate) fn cluster_cold_start_of_20_creates_one_session(binaries: &Binaries) {
    cold_start(binaries, true);
}

fn cold_start(binaries: &Binaries, cluster: bool) {
    let redis = Deployment::start(binaries, cluster);
    let emulator = emulator();
    let workers: Vec<_> = (0..20)
        .map(|i| redis.worker(i, emulator.base_url(), TRANSPORTS[i % 2], &["--once"]))
        .collect();
    for worker in workers {
        assert_eq!(worker.finish(READY), (1, 0));
    }
    assert_eq!(
        emulator.stats().sessions_created,
        1,
        "20 cold starts, one session"
    );
    emulator.shutdown();
}

/// Starts `count` workers over both transports, each ready.
fn fleet(redis: &Deployment, count: usize, api: &str, extra: &[&str]) -> Vec<Worker> {
    let mut workers: Vec<_> = (0..count)
        .map(|i| redis.worker(i, api, TRANSPORTS[i % 2], extra))
        .collect();
    for worker in &mut workers {
        worker.expect("ready", READY);
    }
    workers
}

/// Waits until the emulator has created `count` sessions, then a little
/// longer to see that no other one comes.
pub(crate) fn settle(emulator: &BlockingEmulator, count: u64, workers: &mut [Worker]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while emulator.stats().sessions_created < count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    let created = emulator.stats().sessions_created;
    if created != count {
        for worker in workers {
            worker.count("");
            eprintln!(
                "worker {} over {}: {:?}",
                worker.pid(),
                worker.transport,
                worker.seen
            );
        }
    }
    assert_eq!(created, count);
}

/// Stops the workers; none lost a request. Returns the requests answered.
pub(crate) fn stop_all(workers: Vec<Worker>) -> u64 {
    let mut answered = 0;
    for worker in workers {
        let (pid, transport) = (worker.pid(), worker.transport);
        let (ok, failed) = worker.stop(STOP);
        assert_eq!(failed, 0, "worker {pid} over {transport} lost requests");
        assert!(ok > 0, "worker {pid} over {transport} answered nothing");
        answered += ok;
    }
    answered
}

pub(crate) fn fleet_of_8_creates_one_session_per_expiry(binaries: &Binaries) {
    fleet_of_8(binaries, false);
}

pub(crate) fn cluster_fleet_of_8_creates_one_session_per_expiry(binaries: &Binaries) {
    fleet_of_8(binaries, true);
}

fn fleet_of_8(binaries: &Binaries, cluster: bool) {
    let redis = Deployment::start(binaries, cluster);
    let emulator = emulator();
    let mut workers = fleet(&redis, 8, emulator.base_url(), &["--callers", "50"]);
    assert_eq!(
        emulator.stats().sessions_created,
        1,
        "eight cold starts, one session"
    );
    for expiry in 1..=5 {
        std::thread::sleep(Duration::from_secs(1));
        emulator.expire_all_sessions();
        // One session per process would be 8 per expiry.
        settle(&emulator, 1 + expiry, &mut workers);
    }
    let answered = stop_all(workers);
    println!("  8 processes x 50 callers: {answered} requests answered, 5 expiries, 5 sessions");
    // What the fleet left in Redis: no secret, password or provider token.
    let dump = redis.dump();
    assert!(
        dump.contains(&format!("{}:session", redis_base())),
        "the scan saw the session: {dump}"
    );
    for secret in [fixtures::AUTH_SECRET, fixtures::ALICE_PASSWORD] {
        assert!(!dump.contains(secret), "Redis holds a secret");
    }
    emulator.shutdown();
}

pub(crate) fn lease_holder_killed_mid_renewal(binaries: &Binaries) {
    holder_killed(binaries, false);
}

pub(crate) fn cluster_lease_holder_killed_mid_renewal(binaries: &Binaries) {
    holder_killed(binaries, true);
}

fn holder_killed(binaries: &Binaries, cluster: bool) {
    let redis = Deployment::start(binaries, cluster);
    let emulator = emulator();
    let lease = Duration::from_secs(3);
    let lease_ms = lease.as_millis().to_string();
    let mut workers = fleet(&redis, 8, emulator.base_url(), &["--lease-ms", &lease_ms]);
    let lease_key = format!("{}:lease", redis_base());
    let before = redis.version();
    // A slow create-session: the holder is still in it when killed.
    emulator.control().set_latency(Duration::from_secs(2));
    emulator.expire_all_sessions();
    let mut holder = None;
    eventually(Duration::from_secs(60), "a process took the lease", || {
        holder = redis
            .get(&lease_key)
            .lines()
            .find_map(|l| l.split('-').next()?.parse::<u32>().ok());
        holder.is_some()
    });
    let holder = holder.expect("a holder");
    let at = workers
        .iter()
        .position(|w| w.pid() == holder)
        .expect("the holder is one of ours");
    workers.remove(at).kill();
    let killed = Instant::now();
    emulator.control().set_latency(Duration::ZERO);
    // Another process takes the lease when it expires and publishes.
    eventually(Duration::from_secs(60), "the fleet renewed", || {
        redis.version() != before
    });
    let recovered = killed.elapsed();
    println!(
        "  holder {holder} killed: a new session published {:.2} s later",
        recovered.as_secs_f64()
    );
    // Within the lease's life and a little: not a second lease's.
    assert!(
        recovered <= lease + Duration::from_secs(2),
        "took {recovered:?}"
    );
    std::thread::sleep(Duration::from_secs(2));
    stop_all(workers);
    emulator.shutdown();
}

pub(crate) fn redis_stopped_then_restarted(binaries: &Binaries) {
    stopped_then_restarted(binaries, false);
}

pub(crate) fn cluster_stopped_then_restarted(binaries: &Binaries) {
    stopped_then_restarted(binaries, true);
}

fn stopped_then_restarted(binaries: &Binaries, cluster: bool) {
    let mut redis = Deployment::start(binaries, cluster);
    let emulator = emulator();
    let mut workers = fleet(&redis, 8, emulator.base_url(), &[]);
    redis.stop();
    emulator.expire_all_sessions();
    // Each renews alone, and says so once.
    for worker in &mut workers {
        worker.expect("event unavailable", READY);
    }
    std::thread::sleep(Duration::from_secs(2));
    let alone = emulator.stats().sessions_created;
    assert!((2..=9).contains(&alone), "{alone} sessions");
    redis.restart();
    for expiry in 1..=2 {
        emulator.expire_all_sessions();
        settle(&emulator, alone + expiry, &mut workers);
    }
    for worker in &mut workers {
        worker.expect("event resumed", READY);
        assert_eq!(worker.count("event unavailable"), 1);
    }
    stop_all(workers);
    emulator.shutdown();
}
