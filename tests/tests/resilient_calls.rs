//! One-shot calls get the managed session's resilience: a backend that
//! mints user sessions for its mobile clients (`create_session` per
//! request) answers through a 503, a 429 with `Retry-After`, a dropped
//! connection and a server clock 90 minutes ahead; calls that must not run
//! twice are sent again only when they never left; retries can be turned
//! off; and the client keeps the clock offset it measured.

use std::time::{Duration, Instant};

use qb_auth_core::ErrorKind;
use qb_auth_core::lifecycle::Policy;
use qb_auth_emulator::{Emulator, Fault};
use qb_auth_tests::fixtures::{alice, app, emulator, endpoint, start};
use qb_auth_tests::{Failure, Options, TestClient, for_each_transport};

/// The mint-a-user-session pattern: what the backend's handler calls.
async fn mint<T: TestClient>(client: &T) -> Result<u64, Failure> {
    let session = client.create_session(&app(), &alice()).await?;
    Ok(session.user().expect("a user session"))
}

async fn minting_answers_through_a_503_and_a_dropped_connection<T: TestClient>() {
    let emulator = emulator().await;
    let client = T::new(&endpoint(&emulator), &Options::default());
    emulator.fail_next(1, Fault::Status503);
    assert_eq!(mint(&client).await.unwrap(), 1001);
    emulator.fail_next(1, Fault::Drop);
    assert_eq!(mint(&client).await.unwrap(), 1001);
    let stats = emulator.stats();
    assert_eq!((stats.faults.status_503, stats.faults.dropped), (1, 1));
    assert_eq!(stats.sessions_created, 2);
}

async fn minting_waits_out_a_429_with_retry_after<T: TestClient>() {
    let emulator = emulator().await;
    let client = T::new(&endpoint(&emulator), &Options::default());
    emulator.fail_next(
        1,
        Fault::Status429 {
            retry_after_secs: 1,
        },
    );
    let started = Instant::now();
    assert_eq!(mint(&client).await.unwrap(), 1001);
    // The test policy's backoff is 20 ms: only Retry-After explains a wait
    // this long (a lower bound, which a busy machine cannot break).
    assert!(started.elapsed() >= Duration::from_millis(990));
    assert_eq!(emulator.stats().faults.status_429, 1);
}

async fn minting_works_with_the_server_clock_90_minutes_ahead<T: TestClient>() {
    let emulator = start(Emulator::with_demo_fixtures().clock_offset(90 * 60)).await;
    let client = T::new(&endpoint(&emulator), &Options::default());
    assert_eq!(mint(&client).await.unwrap(), 1001);
    assert_eq!(emulator.stats().bad_timestamps, 1, "one re-sign");
    // The offset is kept: the next calls, and a clone's, sign right at once.
    assert_eq!(mint(&client).await.unwrap(), 1001);
    assert_eq!(mint(&client.clone()).await.unwrap(), 1001);
    let stats = emulator.stats();
    assert_eq!((stats.bad_timestamps, stats.sessions_created), (1, 3));
}

async fn refused_credentials_are_not_retried<T: TestClient>() {
    let emulator = emulator().await;
    let client = T::new(&endpoint(&emulator), &Options::default());
    let wrong = qb_auth_core::Identity::login("alice", "not her password").unwrap();
    let err = client.create_session(&app(), &wrong).await.unwrap_err();
    assert_eq!(
        err.api_kind(),
        Some(ErrorKind::InvalidCredentials),
        "{err:?}"
    );
    assert_eq!(emulator.stats().credential_failures, 1);
}

async fn logout_and_destroy_are_not_sent_twice<T: TestClient>() {
    let emulator = emulator().await;
    let client = T::new(&endpoint(&emulator), &Options::default());
    let session = client.create_session(&app(), &alice()).await.unwrap();

    emulator.fail_next(1, Fault::Status503);
    let err = client.logout(&session.token).await.unwrap_err();
    assert_eq!(err.api_kind(), Some(ErrorKind::ServerError), "{err:?}");
    emulator.fail_next(1, Fault::Drop);
    assert!(client.destroy_session(&session.token).await.is_err());
    let stats = emulator.stats();
    assert_eq!(
        (
            stats.logouts,
            stats.sessions_destroyed,
            stats.faults.total()
        ),
        (0, 0, 2),
        "each sent once, and each failed"
    );

    // Nothing listens on a port just released: the request never left, so
    // the destroy is tried again (and fails the same way each time).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        qb_auth_core::Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap()
    };
    let options = Options {
        retry: qb_auth_tests::test_policy().with_max_attempts(3),
        ..Options::default()
    };
    let nowhere = T::new(&closed, &options);
    let started = Instant::now();
    let err = nowhere.destroy_session(&session.token).await.unwrap_err();
    assert!(
        matches!(
            err,
            Failure::Transport {
                retryable: true,
                ..
            }
        ),
        "{err:?}"
    );
    // Two backoffs of the test policy (20 ms, then 40 ms, less jitter).
    assert!(started.elapsed() >= Duration::from_millis(30));
    client.destroy_session(&session.token).await.unwrap();
}

async fn retries_can_be_turned_off<T: TestClient>() {
    let emulator = emulator().await;
    let options = Options {
        retry: Policy::default().with_max_attempts(1),
        ..Options::default()
    };
    let client = T::new(&endpoint(&emulator), &options);
    emulator.fail_next(1, Fault::Status503);
    let err = mint(&client).await.unwrap_err();
    assert_eq!(err.api_kind(), Some(ErrorKind::ServerError), "{err:?}");
    assert_eq!(emulator.stats().sessions_created, 0);
}

async fn an_absurd_retry_after_fails_the_call_instead_of_waiting<T: TestClient>() {
    let emulator = emulator().await;
    // The default policy: Retry-After honoured up to two minutes, and no
    // attempt started more than max_wait (60 s) after the call began.
    let options = Options {
        retry: Policy::default(),
        ..Options::default()
    };
    let client = T::new(&endpoint(&emulator), &options);
    emulator.fail_next(
        1,
        Fault::Status429 {
            retry_after_secs: u64::MAX,
        },
    );
    let started = Instant::now();
    let err = mint(&client).await.unwrap_err();
    assert_eq!(err.api_kind(), Some(ErrorKind::RateLimited), "{err:?}");
    // Before, this slept out the two-minute cap between attempts (six
    // minutes in all); now the wait the server asks for is past max_wait,
    // so the one answer is the result. The bound only guards a hang.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emulator.stats().faults.status_429, 1);
    assert_eq!(emulator.stats().sessions_created, 0);
}

for_each_transport!(60 =>
    minting_answers_through_a_503_and_a_dropped_connection,
    minting_waits_out_a_429_with_retry_after,
    minting_works_with_the_server_clock_90_minutes_ahead,
    refused_credentials_are_not_retried,
    logout_and_destroy_are_not_sent_twice,
    retries_can_be_turned_off,
    an_absurd_retry_after_fails_the_call_instead_of_waiting,
);
