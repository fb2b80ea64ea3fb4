//! TestSession sessions of one process sharing through the stores: a copy
//! taken costs no store call while valid, a rejected one is renewed once,
//! no Redis means renewing alone, a login leaves the fleet, and TLS checks
//! the server.

use std::path::Path;
use std::time::Duration;

use qb_auth_client::fleet::{BlockingFleetStore, FleetKey, FleetState, Published};
use qb_auth_core::Endpoint;
use qb_auth_core::lifecycle::LifecycleSnapshot;
use qb_auth_emulator::fixtures;
use qb_auth_redis::{BlockingRedisStore, RedisStore};
use qb_auth_tests::fixtures::{alice, app};
use qb_auth_tests::fleet::{TRANSPORTS, Worker};
use qb_auth_tests::redis_server::RedisServer;

use super::{Binaries, READY, REDIS_PASSWORD, Sharing, WORKER, emulator, nowhere};

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

/// A user logged in on a shared application token is no longer what the
/// fleet's key names: that session renews alone as the user, and the
/// fleet keeps its application sessions.
pub(crate) fn a_login_leaves_the_fleet(binaries: &Binaries) {
    use qb_auth_ureq::{Client, SessionSource};

    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
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

pub(crate) fn two_sessions_share_one_over_ureq(binaries: &Binaries) {
    use qb_auth_ureq::{Client, SessionSource};

    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
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

pub(crate) fn two_sessions_share_one_over_reqwest(binaries: &Binaries) {
    use qb_auth_reqwest::{Client, SessionSource};

    let redis = RedisServer::start(binaries.server.clone()).expect("redis-server starts");
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
pub(crate) fn rediss_verifies_the_server(binaries: &Binaries) {
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
        binaries.server.clone(),
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
