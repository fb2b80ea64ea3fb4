//! A fleet of processes sharing one session through a real `redis-server`
//! (started here, on a free loopback port, and stopped by its process id).
//!
//! Its own harness (`harness = false`): without `redis-server` it prints
//! one line saying the tests were skipped and how to run them, unless
//! `QB_AUTH_REQUIRE_REDIS=1` (CI) makes that a failure. `cargo test --test
//! fleet -- NAME` runs the tests whose name contains NAME.

use std::path::Path;
use std::time::{Duration, Instant};

use qb_auth_client::fleet::{BlockingFleetStore, FleetKey, FleetState, FleetStore, Published};
use qb_auth_core::lifecycle::{ClockSkew, LifecycleEvent, LifecycleSnapshot};
use qb_auth_core::{Endpoint, Session, SessionToken};
use qb_auth_emulator::{BlockingEmulator, Emulator, fixtures};
use qb_auth_redis::{BlockingRedisStore, RedisStore};
use qb_auth_tests::fixtures::{alice, app};
use qb_auth_tests::fleet::{TRANSPORTS, Worker, redis_base};
use qb_auth_tests::redis_server::{self, RedisServer};

const WORKER: &str = env!("CARGO_BIN_EXE_fleet-worker");
/// Generous: two busy cores run eight processes of fifty callers each.
const READY: Duration = Duration::from_secs(120);
const STOP: Duration = Duration::from_secs(60);

type Test = fn(&Path);

fn main() {
    let Some(binary) = redis_server::find() else {
        if redis_server::required() {
            eprintln!(
                "redis-server not found, and {}=1 makes that a failure (apt-get install redis-server)",
                redis_server::REQUIRE_VAR
            );
            std::process::exit(1);
        }
        println!(
            "Redis tests skipped: redis-server not found (apt-get install redis-server, then cargo test --test fleet)"
        );
        return;
    };
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let tests: [(&str, Test); 10] = [
        ("fencing_async_store", fencing_async_store),
        ("fencing_blocking_store", fencing_blocking_store),
        (
            "two_sessions_share_one_over_ureq",
            two_sessions_share_one_over_ureq,
        ),
        (
            "two_sessions_share_one_over_reqwest",
            two_sessions_share_one_over_reqwest,
        ),
        (
            "cold_start_of_20_creates_one_session",
            cold_start_of_20_creates_one_session,
        ),
        (
            "fleet_of_8_creates_one_session_per_expiry",
            fleet_of_8_creates_one_session_per_expiry,
        ),
        (
            "lease_holder_killed_mid_renewal",
            lease_holder_killed_mid_renewal,
        ),
        ("redis_stopped_then_restarted", redis_stopped_then_restarted),
        ("a_login_leaves_the_fleet", a_login_leaves_the_fleet),
        ("rediss_verifies_the_server", rediss_verifies_the_server),
    ];
    let mut ran = 0;
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let started = Instant::now();
        println!("test fleet::{name} ...");
        test(&binary);
        println!(
            "test fleet::{name} ... ok ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        ran += 1;
    }
    println!("fleet: {ran} tests passed against redis-server");
}

fn emulator() -> BlockingEmulator {
    Emulator::with_demo_fixtures()
        // Short: a fleet copy's key lives no longer than this.
        .session_ttl(Duration::from_secs(20))
        .start_blocking()
        .expect("the emulator starts")
}

fn snapshot(token: &str) -> LifecycleSnapshot {
    let until = std::time::SystemTime::now() + Duration::from_secs(600);
    LifecycleSnapshot::new(
        Some((Session::new(SessionToken::new(token)), until)),
        ClockSkew::ZERO,
    )
}

fn token_of(state: &FleetState) -> Option<String> {
    state
        .session
        .as_ref()
        .and_then(|s| s.session())
        .map(|s| s.token.expose().to_owned())
}

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

fn fencing_async_store(binary: &Path) {
    let redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
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

fn fencing_blocking_store(binary: &Path) {
    let redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
    let a = BlockingRedisStore::open(&redis.url()).expect("a store");
    let b = BlockingRedisStore::open(&redis.url()).expect("a store");
    macro_rules! run {
        ($e:expr) => {
            $e.expect("redis answers")
        };
    }
    fencing_steps!(a, b, run);
}

/// The sharing events a session's listener saw, and their reasons.
#[derive(Clone, Default)]
struct Sharing(std::sync::Arc<std::sync::Mutex<Vec<(&'static str, String)>>>);

impl Sharing {
    fn listener(&self) -> impl Fn(&LifecycleEvent) + Send + Sync + 'static {
        let seen = self.0.clone();
        move |event| {
            let entry = match event {
                LifecycleEvent::SharingUnavailable { reason } => ("unavailable", reason.clone()),
                LifecycleEvent::SharingResumed => ("resumed", String::new()),
                _ => return,
            };
            seen.lock().unwrap().push(entry);
        }
    }

    fn seen(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    /// Every reason given, with the events' `Debug` text.
    fn reasons(&self) -> String {
        format!("{:?}", self.0.lock().unwrap())
    }
}

/// A blocking store that counts the calls made to it.
struct Counting(
    BlockingRedisStore,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
);

impl Counting {
    fn tick(&self) {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl BlockingFleetStore for Counting {
    fn load(&self, key: &FleetKey) -> Result<FleetState, qb_auth_client::store::StoreError> {
        self.tick();
        self.0.load(key)
    }
    fn try_lease(
        &self,
        key: &FleetKey,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, qb_auth_client::store::StoreError> {
        self.tick();
        self.0.try_lease(key, owner, ttl)
    }
    fn release(
        &self,
        key: &FleetKey,
        owner: &str,
    ) -> Result<(), qb_auth_client::store::StoreError> {
        self.tick();
        self.0.release(key, owner)
    }
    fn publish(
        &self,
        key: &FleetKey,
        expected: u64,
        session: &LifecycleSnapshot,
    ) -> Result<Published, qb_auth_client::store::StoreError> {
        self.tick();
        self.0.publish(key, expected, session)
    }
    fn drop_rejected(
        &self,
        key: &FleetKey,
        version: u64,
    ) -> Result<bool, qb_auth_client::store::StoreError> {
        self.tick();
        self.0.drop_rejected(key, version)
    }
    fn wait_change(
        &self,
        key: &FleetKey,
        seen: u64,
        until: std::time::SystemTime,
    ) -> Result<(), qb_auth_client::store::StoreError> {
        self.tick();
        self.0.wait_change(key, seen, until)
    }
}

/// The password in [`nowhere`]'s URL, which no error or event may repeat.
const REDIS_PASSWORD: &str = "hunter2-redis";

/// A closed loopback port: a Redis that is not there (with a password in
/// its URL).
fn nowhere() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("redis://fleet:{REDIS_PASSWORD}@127.0.0.1:{port}/")
}

/// A user logged in on a shared application token is no longer what the
/// fleet's key names: that session renews alone as the user, and the
/// fleet keeps its application sessions.
fn a_login_leaves_the_fleet(binary: &Path) {
    use qb_auth_ureq::{Client, SessionSource};

    let redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
    let emulator = emulator();
    let client = Client::builder()
        .endpoint(Endpoint::parse(emulator.base_url()).expect("endpoint"))
        .build()
        .expect("a client");
    let users = || {
        http::Request::get(format!("{}/users.json", emulator.base_url()))
            .body(())
            .expect("a request")
    };
    let managed = || {
        client
            .managed(SessionSource::application(app()))
            .share(BlockingRedisStore::open(&redis.url()).expect("a store"))
            .build()
            .expect("a managed session")
    };
    let (upgraded, shared) = (managed(), managed());
    assert_eq!(
        upgraded.token().expect("a token"),
        shared.token().expect("a token")
    );
    assert_eq!(emulator.stats().sessions_created, 1);

    let user = upgraded.login(alice()).expect("alice logs in");
    emulator.expire_all_sessions();
    assert_eq!(upgraded.send(users()).expect("answered").status(), 200);
    assert_eq!(shared.send(users()).expect("answered").status(), 200);
    assert_eq!(upgraded.session().and_then(|s| s.user()), Some(user.id));
    assert_eq!(shared.session().and_then(|s| s.user()), None);
    assert_ne!(
        upgraded.token().expect("a token"),
        shared.token().expect("a token")
    );
    assert_eq!(emulator.stats().sessions_created, 3);
}

fn two_sessions_share_one_over_ureq(binary: &Path) {
    use qb_auth_ureq::{Client, SessionSource};

    let redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
    let emulator = emulator();
    let client = Client::builder()
        .endpoint(Endpoint::parse(emulator.base_url()).expect("endpoint"))
        .build()
        .expect("a client");
    let users = || {
        http::Request::get(format!("{}/users.json", emulator.base_url()))
            .body(())
            .expect("a request")
    };
    let managed = |url: &str, sharing: &Sharing| {
        client
            .managed(SessionSource::user(app(), alice()))
            .share(BlockingRedisStore::open(url).expect("a store"))
            .on_event(sharing.listener())
            .build()
            .expect("a managed session")
    };
    let (one, two) = (Sharing::default(), Sharing::default());
    let (first, second) = (managed(&redis.url(), &one), managed(&redis.url(), &two));
    // Two "processes": the second takes the first one's session.
    let token = first.token().expect("a token");
    assert_eq!(second.token().expect("a token"), token);
    assert_eq!(emulator.stats().sessions_created, 1);
    // A token asked for while the local copy is valid costs no store call.
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let store = BlockingRedisStore::open(&redis.url()).expect("a store");
    let counted = client
        .managed(SessionSource::user(app(), alice()))
        .share(Counting(store, calls.clone()))
        .build()
        .expect("a managed session");
    assert_eq!(counted.token().expect("a token"), token);
    let after_first = calls.load(std::sync::atomic::Ordering::Relaxed);
    assert!(after_first > 0, "the cold start read the fleet's session");
    for _ in 0..100 {
        assert_eq!(counted.token().expect("a token"), token);
        assert_eq!(counted.send(users()).expect("answered").status(), 200);
    }
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::Relaxed),
        after_first
    );
    // Rejected: the first renews once; the second drops nothing newer and
    // takes the new session.
    emulator.expire_all_sessions();
    assert_eq!(first.send(users()).expect("answered").status(), 200);
    assert_eq!(second.send(users()).expect("answered").status(), 200);
    assert_eq!(emulator.stats().sessions_created, 2);
    assert_eq!(
        first.session().map(|s| s.token),
        second.session().map(|s| s.token)
    );
    assert!(one.seen().is_empty() && two.seen().is_empty());
    // No Redis: each renews alone, says so once, and no request fails.
    let lost = Sharing::default();
    let alone = managed(&nowhere(), &lost);
    assert_eq!(alone.send(users()).expect("answered").status(), 200);
    emulator.expire_all_sessions();
    assert_eq!(alone.send(users()).expect("answered").status(), 200);
    assert_eq!(lost.seen(), ["unavailable"]);
    assert!(
        lost.reasons().contains("connection refused"),
        "{}",
        lost.reasons()
    );
    assert!(!lost.reasons().contains(REDIS_PASSWORD));
    let store = BlockingRedisStore::open(&nowhere()).expect("a store");
    assert!(!format!("{store:?}").contains(REDIS_PASSWORD));
    // A social identity names its user only by a secret: it is shared
    // under a key the caller names, never one made from the token.
    let facebook = || qb_auth_core::Identity::facebook(fixtures::FACEBOOK_TOKEN).expect("facebook");
    let err = client
        .managed(SessionSource::user(app(), facebook()))
        .share(BlockingRedisStore::open(&redis.url()).expect("a store"))
        .build()
        .expect_err("no key for a Facebook session");
    assert!(!err.to_string().contains(fixtures::FACEBOOK_TOKEN));
    let social = client
        .managed(SessionSource::user(app(), facebook()))
        .share(BlockingRedisStore::open(&redis.url()).expect("a store"))
        .fleet_key(FleetKey::named(fixtures::APP_ID, "alice-on-facebook"))
        .build()
        .expect("a managed session");
    assert_eq!(social.send(users()).expect("answered").status(), 200);
    // Every key and value in Redis: sessions, but no secret, password or
    // provider token.
    let dump = redis.dump().expect("redis answers");
    assert_eq!(dump.matches(":session").count(), 2, "{dump}");
    for secret in [
        fixtures::AUTH_SECRET,
        fixtures::ALICE_PASSWORD,
        fixtures::FACEBOOK_TOKEN,
    ] {
        assert!(!dump.contains(secret), "Redis holds a secret");
    }
    emulator.shutdown();
}

fn two_sessions_share_one_over_reqwest(binary: &Path) {
    use qb_auth_reqwest::{Client, SessionSource};

    let redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
    let emulator = emulator();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = Client::builder()
            .endpoint(Endpoint::parse(emulator.base_url()).expect("endpoint"))
            .build()
            .expect("a client");
        let users = || {
            http::Request::get(format!("{}/users.json", emulator.base_url()))
                .body(())
                .expect("a request")
        };
        let managed = |url: &str, sharing: &Sharing| {
            client
                .managed(SessionSource::user(app(), alice()))
                .share(RedisStore::open(url).expect("a store"))
                .on_event(sharing.listener())
                .build()
                .expect("a managed session")
        };
        let (one, two) = (Sharing::default(), Sharing::default());
        let (first, second) = (managed(&redis.url(), &one), managed(&redis.url(), &two));
        let (a, b) = tokio::join!(first.token(), second.token());
        assert_eq!(a.expect("a token"), b.expect("a token"));
        assert_eq!(emulator.stats().sessions_created, 1);
        emulator.expire_all_sessions();
        let (a, b) = tokio::join!(first.send(users()), second.send(users()));
        assert_eq!(a.expect("answered").status(), 200);
        assert_eq!(b.expect("answered").status(), 200);
        assert_eq!(emulator.stats().sessions_created, 2);
        assert!(one.seen().is_empty() && two.seen().is_empty());
        let lost = Sharing::default();
        let alone = managed(&nowhere(), &lost);
        assert_eq!(alone.send(users()).await.expect("answered").status(), 200);
        emulator.expire_all_sessions();
        assert_eq!(alone.send(users()).await.expect("answered").status(), 200);
        assert_eq!(lost.seen(), ["unavailable"]);
        assert!(!lost.reasons().contains(REDIS_PASSWORD));
        let store = RedisStore::open(&nowhere()).expect("a store");
        assert!(!format!("{store:?}").contains(REDIS_PASSWORD));
    });
    emulator.shutdown();
}

/// `rediss://`: processes that trust the server's CA share one session
/// over TLS; one that does not refuses the connection (the certificate is
/// checked), says so, and renews alone.
fn rediss_verifies_the_server(binary: &Path) {
    let dir = std::env::temp_dir().join(format!("qb-auth-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let openssl = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl runs (apt-get install openssl)");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=qb-auth test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").expect("written");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    let redis = RedisServer::start_tls(
        binary.to_path_buf(),
        dir.join("server.crt"),
        dir.join("server.key"),
    )
    .expect("redis-server starts with TLS");
    let url = redis.tls_url().expect("a TLS port");
    let emulator = emulator();
    let ca = dir.join("ca.crt");
    for transport in TRANSPORTS {
        let worker = Worker::spawn_with_env(
            Path::new(WORKER),
            emulator.base_url(),
            &url,
            transport,
            &["--once"],
            &[("SSL_CERT_FILE", &ca)],
        );
        let (counts, seen) = worker.finish_seen(READY);
        assert_eq!(counts, (1, 0), "{transport}: {seen:?}");
        assert!(
            !seen.iter().any(|l| l.starts_with("event unavailable")),
            "{transport}: {seen:?}"
        );
    }
    assert_eq!(emulator.stats().sessions_created, 1, "shared over TLS");
    // The system's roots do not hold the test CA: the handshake fails.
    let untrusting = Worker::spawn(
        Path::new(WORKER),
        emulator.base_url(),
        &url,
        TRANSPORTS[0],
        &["--once"],
    );
    let (counts, seen) = untrusting.finish_seen(READY);
    assert_eq!(counts, (1, 0), "{seen:?}");
    assert!(
        seen.iter().any(|l| l.starts_with("event unavailable")),
        "{seen:?}"
    );
    assert_eq!(emulator.stats().sessions_created, 2, "renewed alone");
    emulator.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

fn cold_start_of_20_creates_one_session(binary: &Path) {
    let redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
    let emulator = emulator();
    let workers: Vec<_> = (0..20)
        .map(|i| {
            Worker::spawn(
                Path::new(WORKER),
                emulator.base_url(),
                &redis.url(),
                TRANSPORTS[i % 2],
                &["--once"],
            )
        })
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
fn fleet(count: usize, api: &str, redis: &str, extra: &[&str]) -> Vec<Worker> {
    let mut workers: Vec<_> = (0..count)
        .map(|i| Worker::spawn(Path::new(WORKER), api, redis, TRANSPORTS[i % 2], extra))
        .collect();
    for worker in &mut workers {
        worker.expect("ready", READY);
    }
    workers
}

/// Waits until the emulator has created `count` sessions, then a little
/// longer to see that no other one comes.
fn settle(emulator: &BlockingEmulator, count: u64, workers: &mut [Worker]) {
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

fn stop_all(workers: Vec<Worker>) -> u64 {
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

fn fleet_of_8_creates_one_session_per_expiry(binary: &Path) {
    let redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
    let emulator = emulator();
    let mut workers = fleet(8, emulator.base_url(), &redis.url(), &["--callers", "50"]);
    assert_eq!(
        emulator.stats().sessions_created,
        1,
        "eight cold starts, one session"
    );
    for expiry in 1..=5 {
        std::thread::sleep(Duration::from_secs(1));
        emulator.expire_all_sessions();
        // Today (one session per process) this would be 8 per expiry.
        settle(&emulator, 1 + expiry, &mut workers);
    }
    let answered = stop_all(workers);
    println!("  8 processes x 50 callers: {answered} requests answered, 5 expiries, 5 sessions");
    // What the fleet left in Redis: no secret, password or provider token.
    let dump = redis.dump().expect("redis answers");
    assert!(
        dump.contains(&format!("{}:session", redis_base())),
        "the scan saw the session: {dump}"
    );
    for secret in [fixtures::AUTH_SECRET, fixtures::ALICE_PASSWORD] {
        assert!(!dump.contains(secret), "Redis holds a secret");
    }
    emulator.shutdown();
}

fn lease_holder_killed_mid_renewal(binary: &Path) {
    let redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
    let emulator = emulator();
    let lease = Duration::from_secs(3);
    let lease_ms = lease.as_millis().to_string();
    let mut workers = fleet(
        8,
        emulator.base_url(),
        &redis.url(),
        &["--lease-ms", &lease_ms],
    );
    let (lease_key, version_key) = (
        format!("{}:lease", redis_base()),
        format!("{}:version", redis_base()),
    );
    let version = || {
        String::from_utf8_lossy(
            &redis
                .command(&["GET", &version_key])
                .expect("redis answers"),
        )
        .trim()
        .to_owned()
    };
    let before = version();
    // A slow create-session: the holder is still in it when killed.
    emulator.control().set_latency(Duration::from_secs(2));
    emulator.expire_all_sessions();
    let deadline = Instant::now() + Duration::from_secs(60);
    let holder = loop {
        let value =
            String::from_utf8_lossy(&redis.command(&["GET", &lease_key]).expect("redis answers"))
                .into_owned();
        if let Some(pid) = value
            .lines()
            .find_map(|l| l.split('-').next()?.parse::<u32>().ok())
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "no process took the lease");
        std::thread::sleep(Duration::from_millis(10));
    };
    let at = workers
        .iter()
        .position(|w| w.pid() == holder)
        .expect("the holder is one of ours");
    workers.remove(at).kill();
    let killed = Instant::now();
    emulator.control().set_latency(Duration::ZERO);
    // Another process takes the lease when it expires and publishes.
    while version() == before {
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "the fleet never renewed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let recovered = killed.elapsed();
    println!(
        "  holder {holder} killed: a new session published {:.2} s later",
        recovered.as_secs_f64()
    );
    assert!(
        recovered <= lease + Duration::from_secs(1),
        "took {recovered:?}"
    );
    std::thread::sleep(Duration::from_secs(2));
    stop_all(workers);
    emulator.shutdown();
}

fn redis_stopped_then_restarted(binary: &Path) {
    let mut redis = RedisServer::start(binary.to_path_buf()).expect("redis-server starts");
    let emulator = emulator();
    let mut workers = fleet(8, emulator.base_url(), &redis.url(), &[]);
    redis.stop();
    emulator.expire_all_sessions();
    // Each renews alone, and says so once.
    for worker in &mut workers {
        worker.expect("event unavailable", READY);
    }
    std::thread::sleep(Duration::from_secs(2));
    let alone = emulator.stats().sessions_created;
    assert!((2..=9).contains(&alone), "{alone} sessions");
    redis.restart().expect("redis-server restarts");
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
