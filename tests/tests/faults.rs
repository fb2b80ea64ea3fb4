//! The fault matrix, each case over both transports: expiry mid-stream,
//! many callers on an expired session, a server clock far ahead, bursts of
//! 429, 500 and 503, dropped connections, a wrong password, and a token
//! provider. Every case counts what each request came back with: none is
//! lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use qb_auth_core::lifecycle::{RenewalError, SessionCredentials};
use qb_auth_core::{ErrorKind, Identity};
use qb_auth_emulator::{Emulator, Fault, fixtures};
use qb_auth_tests::fixtures::{alice, app, dialogs, emulator, endpoint, start, users};
use qb_auth_tests::load::{concurrently, one_by_one};
use qb_auth_tests::{
    Failure, ManagedOptions, Options, Source, TestClient, TestSession, TransportKind,
    for_each_transport,
};

/// A managed session for alice on `emulator`, recording its events.
fn managed_alice<T: TestClient>(
    emulator: &qb_auth_emulator::EmulatorHandle,
) -> (T::Session, qb_auth_tests::Events) {
    let options = ManagedOptions::default();
    let events = options.events.clone();
    let client = T::new(&endpoint(emulator), &Options::default());
    let managed = client
        .managed(Source::credentials(&app(), alice()), options)
        .expect("a managed session");
    (managed, events)
}

/// Sessions expire while requests keep coming, by the clock the client
/// knows and behind its back; every request still succeeds.
async fn session_expires_mid_stream_and_work_continues<T: TestClient>() {
    let emulator = start(Emulator::with_demo_fixtures().session_ttl(Duration::from_secs(2))).await;
    let ep = endpoint(&emulator);
    let (managed, events) = managed_alice::<T>(&emulator);

    let mut tally = one_by_one(&managed, 5, || dialogs(&ep)).await;
    // Idle past the time to live: both sides know the session is gone.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let after_expiry = one_by_one(&managed, 5, || dialogs(&ep)).await;
    // The server forgets it without telling: the client learns from a 401.
    emulator.expire_all_sessions();
    let after_rejection = one_by_one(&managed, 5, || dialogs(&ep)).await;
    tally.merge(after_expiry);
    tally.merge(after_rejection);

    assert_eq!(tally.total(), 15, "{}: {tally:?}", T::NAME);
    assert_eq!(tally.with_status(200), 15, "{}: {tally:?}", T::NAME);
    assert_eq!(emulator.stats().sessions_created, 3);
    assert_eq!(events.count("expired"), 1, "{:?}", events.names());
    assert_eq!(events.count("invalidated"), 1, "{:?}", events.names());
}

/// 200 callers find the session rejected by the server at once: one new
/// session, and each caller retries once with it.
async fn many_callers_on_a_rejected_session_make_one_session<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let (managed, events) = managed_alice::<T>(&emulator);
    managed.token().await.unwrap();
    emulator.expire_all_sessions();

    let tally = concurrently(&managed, 200, || users(&ep)).await;
    assert_eq!(tally.total(), 200);
    assert_eq!(tally.with_status(200), 200, "{}: {tally:?}", T::NAME);
    let stats = emulator.stats();
    assert_eq!(
        stats.sessions_created, 2,
        "one at the start, exactly one after"
    );
    assert_eq!(events.count("invalidated"), 1, "{:?}", events.names());
}

/// 200 callers start with a session the client knows has expired: one
/// renewal, and no request is sent with the dead token.
async fn many_callers_on_an_expired_session_make_one_session<T: TestClient>() {
    let emulator = start(Emulator::with_demo_fixtures().session_ttl(Duration::from_secs(1))).await;
    let ep = endpoint(&emulator);
    let (managed, events) = managed_alice::<T>(&emulator);
    managed.token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    // The client knows its session expired; the new one must outlive the
    // 200 calls however slow a busy machine makes them.
    emulator.set_session_ttl(Duration::from_secs(3600));

    let tally = concurrently(&managed, 200, || users(&ep)).await;
    assert_eq!(tally.total(), 200);
    assert_eq!(tally.with_status(200), 200, "{}: {tally:?}", T::NAME);
    let stats = emulator.stats();
    assert_eq!(
        stats.sessions_created, 2,
        "one at the start, exactly one after"
    );
    assert_eq!(
        stats.expired_rejections, 0,
        "the expired token was not sent"
    );
    assert_eq!(events.count("expired"), 1, "{:?}", events.names());
}

/// The server's clock is 90 minutes ahead: the first create-session of a
/// managed session gets "Bad timestamp", the offset is measured from its
/// `Date`, and the re-signed request succeeds (one-shot calls: see
/// `resilient_calls.rs`).
async fn server_clock_far_ahead_still_gets_sessions<T: TestClient>() {
    let emulator = start(Emulator::with_demo_fixtures().clock_offset(90 * 60)).await;
    let ep = endpoint(&emulator);

    // A one-shot call with retries off gets the typed error.
    let options = Options {
        retry: qb_auth_core::lifecycle::Policy::default().with_max_attempts(1),
        ..Options::default()
    };
    let plain = T::new(&ep, &options);
    let err = plain.create_session(&app(), &alice()).await.unwrap_err();
    assert_eq!(err.api_kind(), Some(ErrorKind::BadTimestamp));

    let (managed, events) = managed_alice::<T>(&emulator);
    let tally = concurrently(&managed, 20, || dialogs(&ep)).await;
    assert_eq!(tally.with_status(200), 20, "{}: {tally:?}", T::NAME);
    let stats = emulator.stats();
    assert_eq!(
        stats.bad_timestamps, 2,
        "the plain call and one managed attempt"
    );
    assert_eq!(stats.sessions_created, 1);
    // Measured from the refusal (and again, within a second, from the success).
    assert!(events.count("clock_offset") >= 1, "{:?}", events.names());
    assert_eq!(events.count("attempt_failed"), 1, "{:?}", events.names());
}

/// 429s with `Retry-After: 1` on the create-session: it waits as told
/// (the test policy's own backoff is milliseconds) and succeeds.
async fn bursts_of_429_honour_retry_after<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let (managed, events) = managed_alice::<T>(&emulator);
    emulator.fail_next(
        2,
        Fault::Status429 {
            retry_after_secs: 1,
        },
    );
    let started = Instant::now();
    let tally = concurrently(&managed, 10, || dialogs(&ep)).await;
    assert_eq!(tally.with_status(200), 10, "{}: {tally:?}", T::NAME);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After ignored"
    );
    let stats = emulator.stats();
    assert_eq!(stats.faults.status_429, 2);
    assert_eq!(stats.sessions_created, 1);
    assert_eq!(events.count("attempt_failed"), 2, "{:?}", events.names());
}

/// 500 and 503: renewals retry with backoff; user requests are answered as
/// they are (not retried, they may not be idempotent); a renewal that runs
/// out of attempts is a typed error, and a later call can succeed.
async fn bursts_of_500_and_503<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let (managed, events) = managed_alice::<T>(&emulator);

    emulator.fail_next(2, Fault::Status500);
    emulator.fail_next(1, Fault::Status503);
    let tally = concurrently(&managed, 10, || dialogs(&ep)).await;
    assert_eq!(tally.with_status(200), 10, "{}: {tally:?}", T::NAME);
    assert_eq!(events.count("attempt_failed"), 3, "{:?}", events.names());

    emulator.fail_next(3, Fault::Status503);
    let tally = one_by_one(&managed, 10, || dialogs(&ep)).await;
    assert_eq!(tally.total(), 10);
    assert_eq!(
        (tally.with_status(503), tally.with_status(200)),
        (3, 7),
        "{tally:?}"
    );

    // More failures than the policy's four attempts.
    let (fresh, _) = managed_alice::<T>(&emulator);
    emulator.fail_next(10, Fault::Status500);
    let tally = concurrently(&fresh, 10, || dialogs(&ep)).await;
    assert_eq!(tally.errors.len(), 10, "{tally:?}");
    for err in &tally.errors {
        assert!(
            matches!(
                err,
                Failure::Renewal(RenewalError::AttemptsExhausted { attempts: 4, .. })
            ),
            "{err:?}"
        );
    }
    let stats = emulator.stats();
    assert_eq!(stats.faults.status_500, 2 + 4);
    emulator.clear_faults();
    // A failed renewal is repeated to new callers for the policy's hold (1 s).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(fresh.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_eq!(emulator.stats().sessions_created, 2);
}

/// Connections closed before any answer: renewals retry; user requests
/// come back as typed transport errors.
async fn dropped_connections<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let (managed, events) = managed_alice::<T>(&emulator);

    emulator.fail_next(2, Fault::Drop);
    let tally = concurrently(&managed, 10, || dialogs(&ep)).await;
    assert_eq!(tally.with_status(200), 10, "{}: {tally:?}", T::NAME);
    assert_eq!(events.count("attempt_failed"), 2, "{:?}", events.names());

    emulator.fail_next(2, Fault::Drop);
    let tally = one_by_one(&managed, 10, || dialogs(&ep)).await;
    assert_eq!(tally.total(), 10);
    assert_eq!(tally.with_status(200), 8, "{}: {tally:?}", T::NAME);
    for err in &tally.errors {
        assert!(
            matches!(
                err,
                Failure::Transport {
                    kind: TransportKind::Connection,
                    retryable: true
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(emulator.stats().faults.dropped, 4);
}

/// A wrong password fails every caller with a typed error after exactly
/// one attempt: no retry, no loop.
async fn wrong_password_fails_once<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let client = T::new(&ep, &Options::default());
    let wrong = Identity::login(fixtures::ALICE_LOGIN, "not-her-password").unwrap();
    // Callers that ask after the failure get it again for the failure hold
    // (1 s by default); a long hold keeps a slow-starting caller on a busy
    // machine from counting as a second attempt.
    let options = ManagedOptions {
        policy: qb_auth_tests::test_policy().with_failure_hold(Duration::from_secs(30)),
        ..ManagedOptions::default()
    };
    let events = options.events.clone();
    let managed = client
        .managed(Source::credentials(&app(), wrong), options)
        .unwrap();

    let tally = concurrently(&managed, 10, || dialogs(&ep)).await;
    assert_eq!(tally.errors.len(), 10, "{tally:?}");
    for err in &tally.errors {
        assert!(
            matches!(err, Failure::Renewal(RenewalError::Permanent { .. })),
            "{err:?}"
        );
        assert_eq!(err.api_kind(), Some(ErrorKind::InvalidCredentials));
    }
    let stats = emulator.stats();
    assert_eq!(stats.requests, 1, "exactly one attempt reached the server");
    assert_eq!(stats.credential_failures, 1);
    assert_eq!(events.count("renewal_failed"), 1, "{:?}", events.names());
}

/// Tokens minted by a backend: the managed client holds no secret, asks the
/// provider once per renewal, and renews through it after a rejection.
async fn a_token_provider_mints_tokens_elsewhere<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let calls = Arc::new(AtomicUsize::new(0));
    let source = Source::Minted {
        backend: ep.clone(),
        credentials: SessionCredentials::new(app(), alice()),
        calls: calls.clone(),
    };
    let options = ManagedOptions::default();
    let events = options.events.clone();
    let managed = T::new(&ep, &Options::default())
        .managed(source, options)
        .unwrap();

    let tally = concurrently(&managed, 20, || dialogs(&ep)).await;
    assert_eq!(tally.with_status(200), 20, "{}: {tally:?}", T::NAME);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    emulator.expire_all_sessions();
    let tally = concurrently(&managed, 20, || dialogs(&ep)).await;
    assert_eq!(tally.with_status(200), 20, "{}: {tally:?}", T::NAME);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(emulator.stats().sessions_created, 2);
    assert_eq!(events.count("created"), 2, "{:?}", events.names());
}

for_each_transport!(60 =>
    session_expires_mid_stream_and_work_continues,
    many_callers_on_a_rejected_session_make_one_session,
    many_callers_on_an_expired_session_make_one_session,
    server_clock_far_ahead_still_gets_sessions,
    bursts_of_429_honour_retry_after,
    bursts_of_500_and_503,
    dropped_connections,
    wrong_password_fails_once,
    a_token_provider_mints_tokens_elsewhere,
);
