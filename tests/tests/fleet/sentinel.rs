//! A master, a replica and three Sentinels: the master killed (`kill -9`)
//! while a renewal holds the lease loses no user call, the members follow
//! the promoted replica and share one session per expiry again; a failover
//! that loses the last write never lets the fencing go back.

use std::path::Path;
use std::time::Duration;

use qb_auth_client::fleet::{BlockingFleetStore, FleetKey, Published};
use qb_auth_emulator::fixtures;
use qb_auth_redis::BlockingRedisStore;
use qb_auth_tests::fleet::{TRANSPORTS, Worker, redis_base};
use qb_auth_tests::redis_server::{RedisSentinels, RedisServer};

use super::processes::{settle, stop_all};
use super::{Binaries, READY, WORKER, emulator, eventually, snapshot, token_of};

/// How long Sentinels may take to fail over, on a busy machine.
const FAILOVER: Duration = Duration::from_secs(60);

fn group(binaries: &Binaries) -> RedisSentinels {
    let sentinel = binaries.sentinel.clone().expect("redis-sentinel");
    RedisSentinels::start(binaries.server.clone(), sentinel).expect("the Sentinel group starts")
}

/// `args` on `server`, its answer as text.
fn ask(server: &RedisServer, args: &[&str]) -> String {
    let answer = server.command(args).expect("redis answers");
    String::from_utf8_lossy(&answer).trim().to_owned()
}

/// The sessions created once no more come for two seconds.
fn quiet(emulator: &qb_auth_emulator::BlockingEmulator) -> u64 {
    let mut last = emulator.stats().sessions_created;
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let now = emulator.stats().sessions_created;
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Six processes over both transports, opened with the three Sentinels'
/// URLs. The master is killed while one of them holds the lease and
/// creates the session: no request fails, and once the replica is
/// promoted the fleet shares one session per expiry on it.
pub(crate) fn master_killed_mid_renewal(binaries: &Binaries) {
    let mut group = group(binaries);
    let sentinels = group.sentinel_urls().join(",");
    let emulator = emulator();
    let mut workers: Vec<_> = (0..6)
        .map(|i| {
            Worker::spawn(
                Path::new(WORKER),
                emulator.base_url(),
                &sentinels,
                TRANSPORTS[i % 2],
                &["--sentinel", RedisSentinels::MASTER_NAME, "--callers", "20"],
            )
        })
        .collect();
    for worker in &mut workers {
        worker.expect("ready", READY);
    }
    assert_eq!(emulator.stats().sessions_created, 1, "six cold starts");
    let (lease_key, session_key) = (
        format!("{}:lease", redis_base()),
        format!("{}:session", redis_base()),
    );

    // A slow create-session: the lease is held when the master dies.
    emulator.control().set_latency(Duration::from_secs(2));
    emulator.expire_all_sessions();
    eventually(Duration::from_secs(60), "a process took the lease", || {
        !ask(group.master().expect("a master"), &["GET", &lease_key]).is_empty()
    });
    let old = group.master_port().expect("a master");
    group.kill_master().expect("the master is killed");
    emulator.control().set_latency(Duration::ZERO);
    let new = group
        .wait_for_failover(old, FAILOVER)
        .expect("the replica is promoted");
    println!("  master {old} killed mid-renewal; {new} promoted");
    // Renewals during the failover may go alone: a few sessions, at most
    // one per process, and no failure.
    eventually(Duration::from_secs(60), "the fleet renewed", || {
        emulator.stats().sessions_created > 1
    });
    let during = quiet(&emulator);
    println!("  {} sessions in the failover round", during - 1);
    assert!((2..=7).contains(&during), "{during} sessions");
    // Sharing again, on the promoted replica.
    for expiry in 1..=2 {
        emulator.expire_all_sessions();
        settle(&emulator, during + expiry, &mut workers);
    }
    let master = group.master().expect("a master");
    assert_eq!(master.port(), new);
    assert!(
        !ask(master, &["HGET", &session_key, "version"]).is_empty(),
        "the fleet writes to {new}"
    );
    let answered = stop_all(workers);
    println!("  {answered} requests answered, none failed");
    let dump = master.dump().expect("redis answers");
    assert!(
        dump.contains(&format!("{}:session", redis_base())),
        "{dump}"
    );
    for secret in [fixtures::AUTH_SECRET, fixtures::ALICE_PASSWORD] {
        assert!(!dump.contains(secret), "Redis holds a secret");
    }
    emulator.shutdown();
}

/// Replication is asynchronous: a failover can lose the last session
/// published. The replica's link is cut (a wrong `masterauth`, so it
/// cannot sync again) while the master takes version 2 and is killed, so
/// the promoted replica still holds version 1. A store that
/// saw version 2 does not take version 1's older session, publishes above
/// version 2, and a rejection of version 2 drops nothing newer; a store
/// that never saw version 2 takes version 1's session (still valid: at
/// most one session more for the fleet).
pub(crate) fn fencing_never_goes_back(binaries: &Binaries) {
    let mut group = group(binaries);
    let urls = group.sentinel_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let store =
        || BlockingRedisStore::open_sentinel(&urls, RedisSentinels::MASTER_NAME).expect("a store");
    let (writer, witness, newcomer) = (store(), store(), store());
    let key = FleetKey::named(fixtures::APP_ID, "failover");
    let session_key = format!("qb-auth:{{{key}}}:session");

    let Published::Written(first) = writer
        .publish(&key, 0, &snapshot("first"))
        .expect("published")
    else {
        panic!("fenced");
    };
    let old = group.master_port().expect("a master");
    let replica = group
        .servers()
        .iter()
        .find(|s| s.port() != old)
        .expect("a replica");
    eventually(Duration::from_secs(30), "the replica has version 1", || {
        ask(replica, &["HGET", &session_key, "version"]) == first.to_string()
    });
    let command = |args: &[&str]| {
        let answer = replica.command(args).expect("the replica answers");
        assert!(
            !answer.starts_with(b"-"),
            "{args:?}: {}",
            String::from_utf8_lossy(&answer)
        );
    };
    command(&["CONFIG", "SET", "masterauth", "not-the-password"]);
    command(&["CLIENT", "KILL", "TYPE", "master"]);
    eventually(Duration::from_secs(30), "the replica lost its link", || {
        let info = replica
            .command(&["INFO", "replication"])
            .unwrap_or_default();
        String::from_utf8_lossy(&info).contains("master_link_status:down")
    });
    let Published::Written(second) = writer
        .publish(&key, first, &snapshot("second"))
        .expect("published")
    else {
        panic!("fenced");
    };
    assert_eq!(
        token_of(&witness.load(&key).expect("loaded")).as_deref(),
        Some("second")
    );
    group.kill_master().expect("the master is killed");
    let new = group
        .wait_for_failover(old, FAILOVER)
        .expect("the replica is promoted");
    println!("  versions {first} then {second}; {old} killed, {new} promoted without the second");

    // The promoted replica lost version 2.
    let mut state = None;
    eventually(
        Duration::from_secs(30),
        "the store reaches the new master",
        || {
            state = witness.load(&key).ok();
            state.is_some()
        },
    );
    let state = state.expect("loaded");
    assert_eq!(state.version, first, "the write was lost");
    assert!(
        state.session.is_none(),
        "an older session than one seen is not taken"
    );
    let fresh = newcomer.load(&key).expect("loaded");
    assert_eq!(token_of(&fresh).as_deref(), Some("first"));
    // Above every version seen, whatever Redis's count and clock say.
    let Published::Written(third) = witness
        .publish(&key, state.version, &snapshot("third"))
        .expect("published")
    else {
        panic!("fenced");
    };
    assert!(third > second, "{third} > {second}");
    // A member rejecting version 2's session drops nothing newer.
    assert!(!writer.drop_rejected(&key, second).expect("dropped"));
    assert_eq!(
        token_of(&newcomer.load(&key).expect("loaded")).as_deref(),
        Some("third")
    );

    // Versions come from Redis's clock, so a new master whose clock is
    // behind the old one's would count below what the fleet saw: a store
    // publishes above every version it saw, whatever the clock says. A
    // master a day ahead published version `ahead`; a failover lost it.
    let master = group.master().expect("a master");
    let ahead = third + 24 * 3600 * 1000;
    let planted = serde_json::to_string(&snapshot("ahead")).expect("serialised");
    let (ahead_text, live_until) = (ahead.to_string(), (ahead + 600_000).to_string());
    master
        .command(&[
            "HSET",
            &session_key,
            "version",
            &ahead_text,
            "snapshot",
            &planted,
            "until",
            &live_until,
        ])
        .expect("redis answers");
    assert_eq!(witness.load(&key).expect("loaded").version, ahead);
    // Lost: Redis is back at `third`, its session gone.
    master
        .command(&["HSET", &session_key, "version", &third.to_string()])
        .expect("redis answers");
    master
        .command(&["HDEL", &session_key, "snapshot", "until"])
        .expect("redis answers");
    let Published::Written(fourth) = witness
        .publish(&key, third, &snapshot("fourth"))
        .expect("published")
    else {
        panic!("fenced");
    };
    assert!(fourth > ahead, "{fourth} > {ahead}: never back");
    assert!(!writer.drop_rejected(&key, ahead).expect("dropped"));
    assert_eq!(
        token_of(&newcomer.load(&key).expect("loaded")).as_deref(),
        Some("fourth")
    );
}
