//! A full run over both transports with every secret in play, capturing
//! all tracing output (TRACE, span fields included), every `log` record
//! (TRACE, with `ureq_proto` at DEBUG as qb-auth-ureq's docs say) and
//! the `Debug` of clients, sessions, events and errors: none of the secrets
//! may appear. With `ureq_proto` at TRACE, whose byte dumps no setting of
//! ureq turns off, qb-auth-ureq says so once.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use qb_auth_client::store::MemoryStore;
use qb_auth_core::lifecycle::SessionCredentials;
use qb_auth_core::{ApiKey, Identity, SessionToken};
use qb_auth_emulator::{Fault, fixtures};
use qb_auth_tests::fixtures::{alice, app, dialogs, emulator, endpoint, user_identities};
use qb_auth_tests::{
    ManagedOptions, Options, Reqwest, Source, TestClient, TestSession, Ureq, bounded,
};
use tracing_subscriber::fmt::format::FmtSpan;

/// Everything written by the subscriber.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// Every `log` record, as `LEVEL target: message`.
struct LogCapture {
    lines: Mutex<Vec<String>>,
    /// Whether `ureq_proto` may log at TRACE (its byte dumps).
    byte_dumps: AtomicBool,
}

static LOG: LogCapture = LogCapture {
    lines: Mutex::new(Vec::new()),
    byte_dumps: AtomicBool::new(false),
};

impl log::Log for LogCapture {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        !meta.target().starts_with("ureq_proto")
            || meta.level() <= log::Level::Debug
            || self.byte_dumps.load(Ordering::Relaxed)
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format!("{} {}: {}", record.level(), record.target(), record.args());
            self.lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
    }

    fn flush(&self) {}
}

impl LogCapture {
    fn text(&self) -> String {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .join("\n")
    }
}

/// What a run showed: `Debug` text, and the session tokens it handled.
#[derive(Default)]
struct Shown {
    debug: Vec<String>,
    tokens: Vec<String>,
}

impl Shown {
    fn debug(&mut self, value: &impl std::fmt::Debug) {
        self.debug.push(format!("{value:?}"));
    }

    fn token(&mut self, token: &SessionToken) {
        self.tokens.push(token.expose().to_owned());
    }
}

/// Every operation, success and failure, with every kind of secret.
async fn full_run<T: TestClient>(shown: &mut Shown) {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let client = T::new(&ep, &Options::default());
    shown.debug(&client);
    shown.debug(&app());

    for (_, identity, _) in user_identities() {
        shown.debug(&identity);
        let session = client.create_session(&app(), &identity).await.unwrap();
        shown.token(&session.token);
        shown.debug(&session);
        shown.debug(&client.get_session(&session.token).await.unwrap());
        client.destroy_session(&session.token).await.unwrap();
        shown.debug(&client.get_session(&session.token).await.unwrap_err());
    }
    let app_session = client
        .create_session(&app(), &Identity::application())
        .await
        .unwrap();
    shown.token(&app_session.token);
    for (_, identity, _) in user_identities() {
        shown.debug(&client.login(&app_session.token, &identity).await.unwrap());
        client.logout(&app_session.token).await.unwrap();
    }
    // One-shot calls retried through faults (the retry is logged).
    emulator.fail_next(1, Fault::Status503);
    emulator.fail_next(1, Fault::Drop);
    let retried = client.create_session(&app(), &alice()).await.unwrap();
    shown.token(&retried.token);
    let wrong = Identity::login(fixtures::ALICE_LOGIN, "not-her-password").unwrap();
    shown.debug(&client.create_session(&app(), &wrong).await.unwrap_err());
    shown.debug(&client.login(&app_session.token, &wrong).await.unwrap_err());
    shown.debug(
        &client
            .account_settings(fixtures::ACCOUNT_KEY)
            .await
            .unwrap(),
    );
    shown.debug(
        &client
            .account_settings("wrong-account-key")
            .await
            .unwrap_err(),
    );
    let key = ApiKey::new(fixtures::API_KEY);
    shown.debug(&key);
    let answer = client
        .send_with_api_key(&key, Some(fixtures::ALICE_ID), dialogs(&ep))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // A managed session through faults, a rejection and a clock jump.
    let store = Arc::new(MemoryStore::new());
    let options = ManagedOptions {
        store: Some(store.clone()),
        ..ManagedOptions::default()
    };
    let events = options.events.clone();
    let managed = T::new(&ep, &Options::default())
        .managed(Source::credentials(&app(), alice()), options)
        .unwrap();
    emulator.fail_next(1, Fault::Status503);
    emulator.fail_next(1, Fault::Drop);
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    emulator.expire_all_sessions();
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    let token = managed.token().await.unwrap();
    shown.token(&token);
    shown.debug(&managed);
    shown.debug(&managed.session());
    shown.debug(&store);
    emulator.set_clock_offset(90 * 60);
    managed.destroy().await.unwrap();
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    shown.token(&managed.token().await.unwrap());
    emulator.set_clock_offset(0);

    let refused = T::new(&ep, &Options::default())
        .managed(
            Source::credentials(&app(), wrong.clone()),
            ManagedOptions::default(),
        )
        .unwrap();
    shown.debug(&refused.send(dialogs(&ep)).await.unwrap_err());

    // A managed session logs users in and out on its token, and refuses a
    // wrong password; a token handed in is checked.
    let upgraded = T::new(&ep, &Options::default())
        .managed(
            Source::credentials(&app(), Identity::application()),
            ManagedOptions::default(),
        )
        .unwrap();
    for (_, identity, _) in user_identities() {
        shown.debug(&upgraded.login(identity).await.unwrap());
        shown.token(&upgraded.token().await.unwrap());
        upgraded.logout().await.unwrap();
    }
    shown.debug(&upgraded.login(wrong.clone()).await.unwrap_err());
    shown.debug(&upgraded);
    let handed_in = T::new(&ep, &Options::default())
        .managed(
            Source::Fixed(upgraded.token().await.unwrap()),
            ManagedOptions::default(),
        )
        .unwrap();
    shown.token(&handed_in.token().await.unwrap());
    shown.debug(&handed_in);

    let minted = T::new(&ep, &Options::default())
        .managed(
            Source::Minted {
                backend: ep.clone(),
                credentials: SessionCredentials::new(app(), alice()),
                calls: Arc::new(AtomicUsize::new(0)),
            },
            ManagedOptions::default(),
        )
        .unwrap();
    assert_eq!(minted.send(dialogs(&ep)).await.unwrap().status(), 200);
    shown.token(&minted.token().await.unwrap());
    shown.debug(&minted);
    assert!(events.count("invalidated") >= 1 && events.count("clock_offset") >= 1);
    shown.debug.extend(events.debug());
}

/// The reqwest middleware: requests for the API host across a rejection
/// (renewed, sent again), and one for another host, which gets no token.
async fn middleware_run(shown: &mut Shown) {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let session = qb_auth_reqwest::Client::builder()
        .endpoint(ep.clone())
        .build()
        .unwrap()
        .managed(qb_auth_reqwest::SessionSource::user(app(), alice()))
        .build()
        .unwrap();
    let plain = qb_auth_reqwest::reqwest_builder().unwrap().build().unwrap();
    let http = reqwest_middleware::ClientBuilder::new(plain)
        .with(qb_auth_reqwest::TokenMiddleware::new(session.clone()))
        .build();
    let dialogs = ep.url("chat/Dialog.json");
    assert_eq!(http.get(&dialogs).send().await.unwrap().status(), 200);
    shown.token(&session.token().await.unwrap());
    emulator.expire_all_sessions();
    let answer = http.get(&dialogs).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    shown.debug(&answer);
    shown.token(&session.token().await.unwrap());
    // Another host: the request passes through bare (the emulator on
    // another port stands in for it, and refuses it for want of a token).
    let elsewhere = qb_auth_tests::fixtures::emulator().await;
    let refused = http
        .get(format!("{}/chat/Dialog.json", elsewhere.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    shown.debug(&http);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_in_tracing_or_debug_output() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber here");
    log::set_logger(&LOG).expect("the only logger here");
    log::set_max_level(log::LevelFilter::Trace);

    let mut shown = Shown::default();
    bounded(120, async {
        full_run::<Reqwest>(&mut shown).await;
        full_run::<Ureq>(&mut shown).await;
        middleware_run(&mut shown).await;
    })
    .await;

    let traced = capture.text();
    let logged = LOG.text();
    // ureq's own records arrived, and none warned of byte dumps.
    assert!(logged.contains(" ureq"), "no ureq log records captured");
    assert!(!logged.contains("TRACE logging is on for ureq_proto"));
    // The capture really holds the spans and their fields.
    for expected in [
        "qb_auth.operation",
        "qb_auth.attempt",
        "qb_auth.renewal",
        r#"operation="create user session""#,
        r#"identity="firebase_phone""#,
        "status=201",
        "status=401",
        r#"reason="rejected""#,
        "session created",
        "renewal attempt failed",
        "call failed; trying again",
        r#"operation="get session""#,
    ] {
        assert!(traced.contains(expected), "no {expected:?} in the trace");
    }
    assert!(
        shown.tokens.len() >= 20,
        "tokens seen: {}",
        shown.tokens.len()
    );

    let everything = format!("{traced}\n{logged}\n{}", shown.debug.join("\n"));
    let mut secrets = vec![
        fixtures::AUTH_SECRET.to_owned(),
        fixtures::ALICE_PASSWORD.to_owned(),
        // Alice's password as a form body carries it.
        "p%40ss%20word%261%3D2".to_owned(),
        fixtures::BOB_PASSWORD.to_owned(),
        fixtures::FACEBOOK_TOKEN.to_owned(),
        fixtures::TWITTER_TOKEN.to_owned(),
        fixtures::TWITTER_SECRET.to_owned(),
        fixtures::FIREBASE_ACCESS_TOKEN.to_owned(),
        fixtures::API_KEY.to_owned(),
        fixtures::ACCOUNT_KEY.to_owned(),
        "not-her-password".to_owned(),
    ];
    secrets.extend(shown.tokens.iter().cloned());
    for secret in &secrets {
        assert!(
            !everything.contains(secret.as_str()),
            "a secret of {} characters leaked into the output",
            secret.len()
        );
    }

    bounded(60, byte_dumps_are_reported_once()).await;
}

/// Run after the capture above (tests in one binary share the logger, so
/// this is a step of that test, not a test of its own).
async fn byte_dumps_are_reported_once() {
    LOG.byte_dumps.store(true, Ordering::Relaxed);
    let before = LOG
        .text()
        .matches("TRACE logging is on for ureq_proto")
        .count();
    let mut shown = Shown::default();
    full_run::<Ureq>(&mut shown).await;
    let after = LOG
        .text()
        .matches("TRACE logging is on for ureq_proto")
        .count();
    assert_eq!(after - before, 1, "one warning, however many requests");
    LOG.byte_dumps.store(false, Ordering::Relaxed);
}
