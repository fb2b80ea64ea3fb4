//! What Redis hands back is not trusted: a poisoned copy is ignored,
//! dropped and renewed; an out-of-range version is reported; a lease
//! without expiry is stale; a flooded channel costs one subscription and a
//! few looks; a frozen Redis bounds every call by its timeout and cannot
//! take a lease asked for too late; the published expiry is the exact one.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use qb_auth_client::fleet::{BlockingFleetStore, Claim, FleetKey, FleetStore, Published};
use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot, SessionCredentials};
use qb_auth_core::{Endpoint, Session, SessionToken};
use qb_auth_emulator::fixtures;
use qb_auth_redis::{BlockingRedisStore, RedisStore};
use qb_auth_tests::fixtures::{alice, app};
use qb_auth_tests::fleet::redis_base;
use qb_auth_tests::redis_server::RedisServer;

use super::{Binaries, Sharing, emulator, eventually, token_of};

/// Alice's fleet key, which the managed sessions here derive.
fn alice_key() -> FleetKey {
    FleetKey::for_credentials(&SessionCredentials::new(app(), alice())).expect("a key")
}

/// A token of QuickBlox's shape.
const GOOD_TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

fn planted(token: &str, application: u64, user: u64, until: SystemTime) -> LifecycleSnapshot {
    let mut session = Session::new(SessionToken::new(token));
    session.application_id = Some(application);
    session.user_id = user;
    LifecycleSnapshot::new(Some((session, until)), ClockSkew::ZERO)
}

fn ureq_client(emulator: &qb_auth_emulator::BlockingEmulator) -> qb_auth_ureq::Client {
    qb_auth_ureq::Client::builder()
        .endpoint(Endpoint::parse(emulator.base_url()).expect("endpoint"))
        .build()
        .expect("a client")
}

fn users(emulator: &qb_auth_emulator::BlockingEmulator) -> http::Request<()> {
    http::Request::get(format!("{}/users.json", emulator.base_url()))
        .body(())
        .expect("a request")
}

/// A session another process "published" that no member may use: each is
/// ignored with an event that does not quote it, dropped from Redis (the
/// member's own session replaces it there), and the member renews.
pub(crate) fn poisoned_copies_are_ignored_dropped_and_renewed(binaries: &Binaries) {
    use qb_auth_ureq::SessionSource;

    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
    let emulator = emulator();
    let client = ureq_client(&emulator);
    let hour = SystemTime::now() + Duration::from_secs(3600);
    let cases = [
        (
            "an empty token",
            planted("", fixtures::APP_ID, fixtures::ALICE_ID, hour),
        ),
        (
            "a token holding CR LF",
            planted(
                "t0k3n\r\nX-Injected: 1",
                fixtures::APP_ID,
                fixtures::ALICE_ID,
                hour,
            ),
        ),
        (
            "another application's",
            planted(GOOD_TOKEN, 777, fixtures::ALICE_ID, hour),
        ),
        (
            "an application's session for a user",
            planted(GOOD_TOKEN, fixtures::APP_ID, 0, hour),
        ),
        (
            "one that claims to outlive any session",
            planted(
                GOOD_TOKEN,
                fixtures::APP_ID,
                fixtures::ALICE_ID,
                SystemTime::now() + Duration::from_secs(30 * 24 * 3600),
            ),
        ),
    ];
    let key = alice_key();
    for (i, (what, poisoned)) in cases.into_iter().enumerate() {
        let prefix = format!("poisoned-{i}:");
        let store = || {
            BlockingRedisStore::open(&redis.url())
                .expect("a store")
                .with_prefix(prefix.clone())
        };
        let Published::Written(version) = store().publish(&key, 0, &poisoned).expect("planted")
        else {
            panic!("{what}: not planted");
        };
        let sharing = Sharing::default();
        let session = client
            .managed(SessionSource::user(app(), alice()))
            .share(store())
            .on_event(sharing.listener())
            .build()
            .expect("a managed session");
        let before = emulator.stats().sessions_created;
        let token = session.token().expect("a token");
        let planted_token = poisoned.session().map(|s| s.token.expose().to_owned());
        assert_ne!(Some(token.expose().to_owned()), planted_token, "{what}");
        assert_eq!(
            session.send(users(&emulator)).expect("answered").status(),
            200,
            "{what}"
        );
        assert_eq!(
            emulator.stats().sessions_created,
            before + 1,
            "{what}: renewed"
        );
        assert_eq!(sharing.seen(), ["ignored"], "{what}: {}", sharing.reasons());
        let reasons = sharing.reasons();
        assert!(
            !reasons.contains(GOOD_TOKEN) && !reasons.contains("t0k3n"),
            "{reasons}"
        );
        // Dropped: the member's own session is there now, a newer version.
        let state = store().load(&key).expect("redis answers");
        assert!(state.version > version, "{what}");
        assert_eq!(token_of(&state).as_deref(), Some(token.expose()), "{what}");
        println!("  {what}: ignored ({})", sharing.reasons());
    }
    emulator.shutdown();
}

/// A version count no store wrote (past what Redis's Lua counts exactly)
/// is reported by every member, which renews alone; publishing over
/// `i64::MAX` does not wrap to a negative version.
pub(crate) fn an_out_of_range_version_is_reported(binaries: &Binaries) {
    use qb_auth_ureq::SessionSource;

    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
    let emulator = emulator();
    let client = ureq_client(&emulator);
    let session_key = format!("{}:session", redis_base());
    redis
        .command(&["HSET", &session_key, "version", "99999999999999999999"])
        .expect("redis answers");
    for member in 0..5 {
        let sharing = Sharing::default();
        let session = client
            .managed(SessionSource::user(app(), alice()))
            .share(BlockingRedisStore::open(&redis.url()).expect("a store"))
            .on_event(sharing.listener())
            .build()
            .expect("a managed session");
        assert_eq!(
            session.send(users(&emulator)).expect("answered").status(),
            200
        );
        let reasons = sharing.reasons();
        assert_eq!(
            sharing.seen(),
            ["unavailable"],
            "member {member}: {reasons}"
        );
        assert!(
            reasons.contains("out of range"),
            "member {member}: {reasons}"
        );
        if member == 0 {
            println!("  reported: {reasons}");
        }
    }
    println!(
        "  5 cold members: {} sessions, each reported",
        emulator.stats().sessions_created
    );
    // At i64::MAX the count cannot go on: refused, not wrapped.
    redis
        .command(&["HSET", &session_key, "version", &i64::MAX.to_string()])
        .expect("redis answers");
    let store = BlockingRedisStore::open(&redis.url()).expect("a store");
    let err = store
        .publish(&alice_key(), i64::MAX as u64, &super::snapshot("t"))
        .expect_err("no version past i64::MAX");
    assert!(err.to_string().contains("out of range"), "{err}");
    let version = String::from_utf8_lossy(
        &redis
            .command(&["HGET", &session_key, "version"])
            .expect("redis answers"),
    )
    .trim()
    .to_owned();
    assert_eq!(version, i64::MAX.to_string(), "left as it was");
    emulator.shutdown();
}

/// A lease key with no expiry (a lease this code never writes) is taken
/// over at once instead of holding every renewal until it gives up.
pub(crate) fn a_lease_without_expiry_is_stale(binaries: &Binaries) {
    use qb_auth_ureq::SessionSource;

    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
    let emulator = emulator();
    let client = ureq_client(&emulator);
    let lease_key = format!("{}:lease", redis_base());
    redis
        .command(&["SET", &lease_key, "4242-stuck"])
        .expect("redis answers");
    let sharing = Sharing::default();
    let session = client
        .managed(SessionSource::user(app(), alice()))
        .share(BlockingRedisStore::open(&redis.url()).expect("a store"))
        .on_event(sharing.listener())
        .build()
        .expect("a managed session");
    let started = Instant::now();
    let token = session.token().expect("a token");
    let took = started.elapsed();
    println!(
        "  a token in {:.2} s past a lease without expiry",
        took.as_secs_f64()
    );
    // Without the fix this waits for the renewal's give-up, 30 s.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(sharing.seen().is_empty(), "{}", sharing.reasons());
    assert_eq!(emulator.stats().sessions_created, 1);
    let state = BlockingRedisStore::open(&redis.url())
        .expect("a store")
        .load(&alice_key())
        .expect("redis answers");
    assert_eq!(token_of(&state).as_deref(), Some(token.expose()), "shared");
    let lease = redis.command(&["GET", &lease_key]).expect("redis answers");
    assert!(!String::from_utf8_lossy(&lease).contains("4242-stuck"));
    emulator.shutdown();
}

/// Redis's counters since `CONFIG RESETSTAT`: (commands by name,
/// connections accepted).
fn counters(redis: &RedisServer) -> (Vec<(String, u64)>, u64) {
    let info = redis
        .command(&["INFO", "stats", "commandstats"])
        .expect("redis answers");
    let info = String::from_utf8_lossy(&info).into_owned();
    let mut commands = Vec::new();
    let mut connections = 0;
    for line in info.lines().map(str::trim) {
        if let Some(n) = line.strip_prefix("total_connections_received:") {
            connections = n.parse().unwrap_or(0);
        } else if let Some((name, stats)) = line
            .strip_prefix("cmdstat_")
            .and_then(|l| l.split_once(':'))
        {
            let calls = stats
                .split(',')
                .find_map(|f| f.strip_prefix("calls="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            commands.push((name.to_owned(), calls));
        }
    }
    (commands, connections)
}

fn calls(commands: &[(String, u64)], names: &[&str]) -> u64 {
    commands
        .iter()
        .filter(|(name, _)| names.contains(&name.as_str()))
        .map(|(_, calls)| calls)
        .sum()
}

/// Publishes on `channel` from one connection until stopped, about four
/// thousand messages a second.
fn flood(port: u16, channel: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("the flooder connects");
        let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
        let mut writer = stream;
        let message = format!(
            "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{channel}\r\n$5\r\nflood\r\n",
            channel.len()
        );
        let mut sent = 0;
        while !stop.load(Ordering::Acquire) {
            writer
                .write_all(message.repeat(100).as_bytes())
                .expect("sent");
            for _ in 0..100 {
                let mut line = String::new();
                reader.read_line(&mut line).expect("answered");
            }
            sent += 100;
            std::thread::sleep(Duration::from_millis(25));
        }
        sent
    })
}

/// One member waits for a lease held by another while the channel is
/// flooded: one subscription, no new connection per message, and a few
/// looks at Redis, not one per message.
pub(crate) fn a_flooded_channel_costs_one_subscription(binaries: &Binaries) {
    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
    let emulator = emulator();
    for transport in ["ureq", "reqwest"] {
        let prefix = format!("flood-{transport}:");
        let base = redis_base().replacen("qb-auth:", &prefix, 1);
        // Held by "another process" for 4 s: the member waits that long.
        redis
            .command(&["SET", &format!("{base}:lease"), "4242-other", "PX", "4000"])
            .expect("redis answers");
        redis
            .command(&["CONFIG", "RESETSTAT"])
            .expect("redis answers");
        let stop = Arc::new(AtomicBool::new(false));
        let flooder = flood(redis.port(), format!("{base}:changed"), Arc::clone(&stop));
        let started = Instant::now();
        match transport {
            "ureq" => {
                let session = ureq_client(&emulator)
                    .managed(qb_auth_ureq::SessionSource::user(app(), alice()))
                    .share(
                        BlockingRedisStore::open(&redis.url())
                            .expect("a store")
                            .with_prefix(prefix),
                    )
                    .build()
                    .expect("a managed session");
                session.token().expect("a token");
            }
            _ => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async {
                    let client = qb_auth_reqwest::Client::builder()
                        .endpoint(Endpoint::parse(emulator.base_url()).expect("endpoint"))
                        .build()
                        .expect("a client");
                    let session = client
                        .managed(qb_auth_reqwest::SessionSource::user(app(), alice()))
                        .share(
                            RedisStore::open(&redis.url())
                                .expect("a store")
                                .with_prefix(prefix),
                        )
                        .build()
                        .expect("a managed session");
                    session.token().await.expect("a token");
                });
            }
        }
        let waited = started.elapsed();
        stop.store(true, Ordering::Release);
        let published = flooder.join().expect("the flooder ends");
        let (commands, connections) = counters(&redis);
        let scripts = calls(&commands, &["eval", "evalsha"]);
        let subscriptions = calls(&commands, &["subscribe", "ssubscribe"]);
        // The flooder's connection and this reading's are not the member's.
        let opened = connections.saturating_sub(2);
        println!(
            "  {transport}: {published} messages in {:.1} s: {subscriptions} subscriptions, \
             {opened} connections opened, {scripts} scripts",
            waited.as_secs_f64()
        );
        assert!(published >= 100, "the flood ran ({published})");
        assert!(subscriptions <= 1, "{subscriptions} subscriptions");
        assert!(opened <= 2, "{opened} connections");
        assert!(scripts <= 100, "{scripts} scripts for {published} messages");
    }
    emulator.shutdown();
}

/// Stops `pid` (SIGSTOP) until dropped (SIGCONT): a Redis that accepts
/// connections (the kernel does) and answers nothing.
pub(crate) struct Frozen(u32);

impl Frozen {
    pub(crate) fn new(redis: &RedisServer) -> Self {
        let pid = redis.pid().expect("running");
        signal("-STOP", pid);
        Self(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal("-CONT", self.0);
    }
}

fn signal(which: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {which} {pid}");
}

/// How long `call` took, and whether it failed.
fn timed<T, E>(call: impl FnOnce() -> Result<T, E>) -> (Duration, bool) {
    let started = Instant::now();
    let failed = call().is_err();
    (started.elapsed(), failed)
}

/// How long `call` took, and whether it failed.
async fn timed_async<T, E>(call: impl Future<Output = Result<T, E>>) -> (Duration, bool) {
    let started = Instant::now();
    let failed = call.await.is_err();
    (started.elapsed(), failed)
}

/// The password and database of the "with a password" case.
const PASSWORD: &str = "frozen-pw";

/// Every store call against a frozen Redis ends within the store's
/// timeout, connect included: for both stores, a store that never
/// connected and one whose connection was open, with and without a
/// password and database in the URL.
pub(crate) fn every_call_to_a_frozen_redis_ends_in_time(binaries: &Binaries) {
    let timeout = Duration::from_secs(2);
    let claim = || Claim {
        rejected: Some(1),
        unwanted: 1,
        owner: "frozen",
        ttl: Duration::from_secs(9),
    };
    let key = FleetKey::named(fixtures::APP_ID, "frozen");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut slowest = Vec::new();
    for with_password in [false, true] {
        let redis = if with_password {
            RedisServer::start_with(binaries.server.clone(), &["--requirepass", PASSWORD])
        } else {
            RedisServer::start(binaries.server.clone())
        }
        .expect("redis-server starts");
        let url = if with_password {
            format!("redis://:{PASSWORD}@127.0.0.1:{}/3", redis.port())
        } else {
            redis.url()
        };
        let blocking = || {
            BlockingRedisStore::open(&url)
                .expect("a store")
                .with_timeout(timeout)
        };
        let asynchronous = || {
            RedisStore::open(&url)
                .expect("a store")
                .with_timeout(timeout)
        };
        let (cold_b, warm_b) = (blocking(), blocking());
        let (cold_a, warm_a) = (asynchronous(), asynchronous());
        warm_b.load(&key).expect("redis answers");
        runtime.block_on(warm_a.load(&key)).expect("redis answers");
        let frozen = Frozen::new(&redis);
        // All at once: each call is bounded on its own, and the test takes
        // one timeout, not eight.
        let lease = Duration::from_secs(9);
        let (blocking_calls, async_calls) = std::thread::scope(|scope| {
            let blocking_calls = [
                scope.spawn(|| timed(|| cold_b.load(&key))),
                scope.spawn(|| timed(|| warm_b.load(&key))),
                scope.spawn(|| timed(|| warm_b.try_lease(&key, "frozen", lease))),
                scope.spawn(|| timed(|| warm_b.claim(&key, claim()))),
            ];
            let async_calls = runtime.block_on(async {
                let (a, b, c, d) = tokio::join!(
                    timed_async(cold_a.load(&key)),
                    timed_async(warm_a.load(&key)),
                    timed_async(warm_a.try_lease(&key, "frozen", lease)),
                    timed_async(warm_a.claim(&key, claim())),
                );
                [a, b, c, d]
            });
            (
                blocking_calls.map(|h| h.join().expect("a call")),
                async_calls,
            )
        });
        let worst = |calls: [(Duration, bool); 4]| {
            calls.iter().fold(Duration::ZERO, |worst, &(took, failed)| {
                assert!(failed, "a frozen Redis answered");
                worst.max(took)
            })
        };
        let (worst_blocking, worst_async) = (worst(blocking_calls), worst(async_calls));
        drop(frozen);
        let url_kind = if with_password {
            "with a password and database"
        } else {
            "plain"
        };
        println!(
            "  {url_kind} URL, {timeout:?} timeout: worst call {:.2} s blocking, {:.2} s async",
            worst_blocking.as_secs_f64(),
            worst_async.as_secs_f64()
        );
        slowest.push((url_kind, "blocking", worst_blocking));
        slowest.push((url_kind, "async", worst_async));
    }
    // The timeout, and room for a busy machine; not two timeouts.
    let bound = timeout + Duration::from_millis(900);
    for (url_kind, store, took) in slowest {
        assert!(took <= bound, "{store} store, {url_kind} URL: {took:?}");
    }
}

/// A lease asked for while Redis was frozen, whose caller gave up, is not
/// taken when Redis comes back and runs the request: the fleet is not held
/// for the lease's life by a process that already renewed alone. For both
/// stores, and both ways a lease is asked for (a claim, as the fleet does,
/// and `try_lease`).
pub(crate) fn a_lease_asked_for_too_late_is_not_taken(binaries: &Binaries) {
    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let timeout = Duration::from_secs(1);
    let ttl = Duration::from_secs(30);
    let claim = |owner| Claim {
        rejected: None,
        unwanted: 0,
        owner,
        ttl,
    };
    for (shape, call) in [
        ("blocking", "claim"),
        ("async", "claim"),
        ("blocking", "try_lease"),
        ("async", "try_lease"),
    ] {
        let key = FleetKey::named(fixtures::APP_ID, &format!("{shape}-{call}"));
        let lease_key = format!("qb-auth:{{{key}}}:lease");
        let blocking = BlockingRedisStore::open(&redis.url())
            .expect("a store")
            .with_timeout(timeout);
        let asynchronous = RedisStore::open(&redis.url())
            .expect("a store")
            .with_timeout(timeout);
        // Connected, subscribed, and Redis's clock read.
        let warm = match shape {
            "blocking" => blocking
                .claim(&key, claim("warm"))
                .and_then(|_| blocking.release(&key, "warm")),
            _ => runtime.block_on(async {
                asynchronous.claim(&key, claim("warm")).await?;
                asynchronous.release(&key, "warm").await
            }),
        };
        warm.expect("redis answers");
        redis
            .command(&["CONFIG", "RESETSTAT"])
            .expect("redis answers");
        let frozen = Frozen::new(&redis);
        let asked = match (shape, call) {
            ("blocking", "claim") => blocking.claim(&key, claim("late-owner")).map(|c| c.leased),
            ("async", "claim") => runtime
                .block_on(asynchronous.claim(&key, claim("late-owner")))
                .map(|c| c.leased),
            ("blocking", _) => blocking.try_lease(&key, "late-owner", ttl),
            _ => runtime.block_on(asynchronous.try_lease(&key, "late-owner", ttl)),
        };
        assert!(asked.is_err(), "a frozen Redis answered");
        drop(frozen);
        // Redis runs the request it held (besides the measuring).
        eventually(
            Duration::from_secs(20),
            "Redis ran the held request",
            || {
                let (commands, _) = counters(&redis);
                commands.iter().any(|(name, calls)| {
                    !name.starts_with("config") && name != "info" && *calls > 0
                })
            },
        );
        let holder = redis.command(&["GET", &lease_key]).expect("redis answers");
        let held = redis.command(&["PTTL", &lease_key]).expect("redis answers");
        println!(
            "  {shape} {call}: after the thaw the lease is {:?}, for {} ms",
            String::from_utf8_lossy(&holder).trim(),
            String::from_utf8_lossy(&held).trim()
        );
        assert!(
            !String::from_utf8_lossy(&holder).contains("late-owner"),
            "{shape} {call}: the lease was taken for a caller that gave up"
        );
    }
}

/// The session the creator publishes carries the expiry it keeps itself,
/// to the millisecond, and the member that takes it expires with it.
pub(crate) fn the_published_expiry_is_exact(binaries: &Binaries) {
    use qb_auth_ureq::SessionSource;

    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
    let emulator = emulator();
    let client = ureq_client(&emulator);
    let member = || {
        client
            .managed(SessionSource::user(app(), alice()))
            .share(BlockingRedisStore::open(&redis.url()).expect("a store"))
            .build()
            .expect("a managed session")
    };
    let (creator, taker) = (member(), member());
    let token = creator.token().expect("a token");
    assert_eq!(taker.token().expect("a token"), token);
    assert_eq!(emulator.stats().sessions_created, 1);
    let kept = creator.expires_at().expect("an expiry");
    let taken = taker.expires_at().expect("an expiry");
    let stored = String::from_utf8_lossy(
        &redis
            .command(&["HGET", &format!("{}:session", redis_base()), "snapshot"])
            .expect("redis answers"),
    )
    .into_owned();
    // Only the expiry: the snapshot holds the token.
    let valid_until = stored
        .split("\"valid_until\":\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let apart = |a: SystemTime, b: SystemTime| {
        a.duration_since(b)
            .or_else(|_| b.duration_since(a))
            .unwrap_or_default()
    };
    println!(
        "  creator and taker expire {:?} apart; stored {valid_until}",
        apart(kept, taken)
    );
    assert!(
        valid_until.contains('.'),
        "the stored expiry has its fraction of a second: {valid_until:?}"
    );
    assert!(
        apart(kept, taken) < Duration::from_millis(50),
        "{kept:?} vs {taken:?}"
    );
    emulator.shutdown();
}
