//! TestSession-session behaviour beyond the fault matrix: renewal ahead of
//! expiry (both transports) and a renewal whose task is cancelled (async
//! only: blocking calls cannot be cancelled).

use std::time::{Duration, Instant};

use qb_auth_emulator::Emulator;
use qb_auth_reqwest::SessionSource;
use qb_auth_tests::fixtures::{alice, app, dialogs, endpoint, start};
use qb_auth_tests::load::one_by_one;
use qb_auth_tests::{
    Events, ManagedOptions, Options, Reqwest, Source, TestClient, TestSession, bounded,
    for_each_transport, test_policy,
};

/// Inside the renewal margin the token is replaced before it expires: the
/// event is "renewed", and no request meets a dead token.
async fn a_session_near_expiry_is_renewed_ahead<T: TestClient>() {
    let emulator = start(Emulator::with_demo_fixtures().session_ttl(Duration::from_secs(10))).await;
    let ep = endpoint(&emulator);
    let options = ManagedOptions::default();
    let events = options.events.clone();
    let managed = T::new(&ep, &Options::default())
        .managed(Source::credentials(&app(), alice()), options)
        .unwrap();
    let first = managed.token().await.unwrap();
    // Past half the session's life (the margin is capped there), not past its end.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let tally = one_by_one(&managed, 3, || dialogs(&ep)).await;
    assert_eq!(tally.with_status(200), 3, "{}: {tally:?}", T::NAME);
    assert_ne!(
        managed.token().await.unwrap(),
        first,
        "the token was not replaced"
    );
    assert_eq!(events.count("renewed"), 1, "{:?}", events.names());
    let stats = emulator.stats();
    assert_eq!(stats.sessions_created, 2);
    assert_eq!(stats.expired_rejections + stats.unknown_token_rejections, 0);
}

for_each_transport!(30 => a_session_near_expiry_is_renewed_ahead, the_token_goes_only_to_its_own_host);

/// A task cancelled in the middle of a renewal hands its ticket back, so
/// the next caller renews at once instead of waiting for the renewal
/// timeout (10 s in the test policy).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_renewal_is_handed_back() {
    bounded(30, async {
        let emulator =
            start(Emulator::with_demo_fixtures().latency(Duration::from_millis(800))).await;
        let ep = endpoint(&emulator);
        let events = Events::default();
        let recorder = events.clone();
        let managed = Reqwest::new(&ep, &Options::default())
            .0
            .managed(SessionSource::credentials(
                qb_auth_core::lifecycle::SessionCredentials::new(app(), alice()),
            ))
            .policy(test_policy())
            .on_event(move |event| recorder.record(event))
            .build()
            .unwrap();

        let cancelled = tokio::time::timeout(Duration::from_millis(200), managed.token()).await;
        assert!(cancelled.is_err(), "the renewal should still be in flight");
        emulator.set_latency(Duration::ZERO);

        let started = Instant::now();
        managed.token().await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "waited {:?} for an abandoned renewal",
            started.elapsed()
        );
        assert_eq!(events.count("attempt_failed"), 1, "{:?}", events.names());
        assert_eq!(events.count("created"), 1, "{:?}", events.names());
    })
    .await;
}

/// A managed session sends its token only to its own API host: a request
/// for a second local server (another emulator, which would answer 401 to
/// a token it never issued) is refused before it is sent, and never
/// touches the session.
async fn the_token_goes_only_to_its_own_host<T: TestClient>() {
    let emulator = start(Emulator::with_demo_fixtures()).await;
    let elsewhere = start(Emulator::with_demo_fixtures()).await;
    let ep = endpoint(&emulator);
    let options = ManagedOptions::default();
    let events = options.events.clone();
    let managed = T::new(&ep, &Options::default())
        .managed(Source::credentials(&app(), alice()), options)
        .unwrap();
    let token = managed.token().await.unwrap();

    let foreign = dialogs(&endpoint(&elsewhere));
    let refused = managed.send(foreign).await.unwrap_err();
    assert!(
        matches!(refused, qb_auth_tests::Failure::ForeignHost),
        "{}: {refused:?}",
        T::NAME
    );
    assert_eq!(
        elsewhere.stats().requests,
        0,
        "nothing reached the other host"
    );
    assert_eq!(
        managed.token().await.unwrap(),
        token,
        "the session is untouched"
    );
    assert_eq!(events.count("invalidated"), 0, "{:?}", events.names());
    assert_eq!(emulator.stats().sessions_created, 1);
}
