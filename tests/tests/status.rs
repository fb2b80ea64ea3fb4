//! `ManagedSession::status` in each state a service's health check meets,
//! over both transports: idle, live with its time left, refused (not
//! ready, the failure's kind and when), and the three ways of sharing (a
//! working fleet store, one that is away, and a session that left its
//! fleet by logging a user in).

use std::time::{Duration, SystemTime};

use qb_auth_client::fleet::{
    BlockingFleetStore, FleetKey, FleetState, FleetStore, Published, StoreFuture,
};
use qb_auth_client::store::StoreError;
use qb_auth_client::{SessionStatus, Sharing};
use qb_auth_core::lifecycle::{LifecycleSnapshot, Phase, RenewalError};
use qb_auth_core::{AppCredentials, Endpoint, ErrorKind, SecretString};
use qb_auth_emulator::{Emulator, fixtures};
use qb_auth_tests::fixtures::{alice, app};

/// A fleet store that grants every lease and takes every session (enough
/// for one process to share through it), or one that is down.
#[derive(Clone, Copy)]
struct Store {
    up: bool,
}

impl Store {
    fn answer<T>(self, value: T) -> Result<T, StoreError> {
        if self.up {
            Ok(value)
        } else {
            Err(StoreError::new("down (test)"))
        }
    }
}

impl FleetStore for Store {
    fn load<'a>(&'a self, _: &'a FleetKey) -> StoreFuture<'a, FleetState> {
        Box::pin(async move { self.answer(FleetState::default()) })
    }
    fn try_lease<'a>(&'a self, _: &'a FleetKey, _: &'a str, _: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move { self.answer(true) })
    }
    fn release<'a>(&'a self, _: &'a FleetKey, _: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.answer(()) })
    }
    fn publish<'a>(
        &'a self,
        _: &'a FleetKey,
        expected: u64,
        _: &'a LifecycleSnapshot,
    ) -> StoreFuture<'a, Published> {
        Box::pin(async move { self.answer(Published::Written(expected + 1)) })
    }
    fn drop_rejected<'a>(&'a self, _: &'a FleetKey, _: u64) -> StoreFuture<'a, bool> {
        Box::pin(async move { self.answer(true) })
    }
    fn wait_change<'a>(&'a self, _: &'a FleetKey, _: u64, _: SystemTime) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.answer(()) })
    }
}

impl BlockingFleetStore for Store {
    fn load(&self, _: &FleetKey) -> Result<FleetState, StoreError> {
        self.answer(FleetState::default())
    }
    fn try_lease(&self, _: &FleetKey, _: &str, _: Duration) -> Result<bool, StoreError> {
        self.answer(true)
    }
    fn release(&self, _: &FleetKey, _: &str) -> Result<(), StoreError> {
        self.answer(())
    }
    fn publish(
        &self,
        _: &FleetKey,
        expected: u64,
        _: &LifecycleSnapshot,
    ) -> Result<Published, StoreError> {
        self.answer(Published::Written(expected + 1))
    }
    fn drop_rejected(&self, _: &FleetKey, _: u64) -> Result<bool, StoreError> {
        self.answer(true)
    }
    fn wait_change(&self, _: &FleetKey, _: u64, _: SystemTime) -> Result<(), StoreError> {
        self.answer(())
    }
}

fn wrong_secret() -> AppCredentials {
    AppCredentials::new(
        fixtures::APP_ID,
        fixtures::AUTH_KEY,
        SecretString::from("nope"),
    )
    .unwrap()
}

fn idle(status: &SessionStatus) {
    assert_eq!(status.lifecycle.phase, Phase::Idle, "{status:?}");
    assert_eq!(status.lifecycle.time_left, None);
    assert!(status.is_ready());
}

fn live(status: &SessionStatus, sharing: Sharing) {
    assert_eq!(
        (status.lifecycle.phase, status.sharing),
        (Phase::Live, sharing),
        "{status:?}"
    );
    let left = status.lifecycle.time_left.expect("time left");
    assert!(
        left > Duration::from_secs(7000) && left <= Duration::from_secs(7200),
        "{left:?}"
    );
    assert!(status.is_ready());
    assert!(status.lifecycle.last_failure.is_none());
}

fn refused(status: &SessionStatus, before: SystemTime) {
    assert!(
        matches!(status.lifecycle.phase, Phase::Refused { .. }),
        "{status:?}"
    );
    assert!(!status.is_ready());
    let Some(RenewalError::Permanent { error, .. }) = &status.lifecycle.last_failure else {
        panic!("{status:?}")
    };
    assert_eq!(
        error.api_error().map(|e| e.kind()),
        Some(ErrorKind::UnexpectedSignature)
    );
    assert!(status.lifecycle.failed_at.is_some_and(|at| at >= before));
}

#[test]
fn each_state_over_ureq() {
    use qb_auth_ureq::{Client, SessionSource};
    let emulator = Emulator::with_demo_fixtures().start_blocking().unwrap();
    let client = Client::builder()
        .endpoint(Endpoint::parse(emulator.base_url()).unwrap())
        .no_proxy()
        .build()
        .unwrap();

    let session = client
        .managed(SessionSource::application(app()))
        .build()
        .unwrap();
    idle(&session.status());
    session.token().unwrap();
    live(&session.status(), Sharing::NoStore);

    let before = SystemTime::now();
    let bad = client
        .managed(SessionSource::application(wrong_secret()))
        .build()
        .unwrap();
    bad.token().unwrap_err();
    refused(&bad.status(), before);

    let away = client
        .managed(SessionSource::application(app()))
        .share(Store { up: false })
        .build()
        .unwrap();
    away.token().unwrap();
    live(&away.status(), Sharing::StoreAway);

    let shared = client
        .managed(SessionSource::application(app()))
        .share(Store { up: true })
        .build()
        .unwrap();
    shared.token().unwrap();
    live(&shared.status(), Sharing::Shared);
    shared.login(alice()).unwrap();
    assert_eq!(shared.status().sharing, Sharing::LeftFleet);
}

#[tokio::test]
async fn each_state_over_reqwest() {
    use qb_auth_reqwest::{Client, SessionSource};
    let emulator = Emulator::with_demo_fixtures().start().await.unwrap();
    let client = Client::builder()
        .endpoint(Endpoint::parse(emulator.base_url()).unwrap())
        .no_proxy()
        .build()
        .unwrap();

    let session = client
        .managed(SessionSource::application(app()))
        .build()
        .unwrap();
    idle(&session.status());
    session.token().await.unwrap();
    live(&session.status(), Sharing::NoStore);

    let before = SystemTime::now();
    let bad = client
        .managed(SessionSource::application(wrong_secret()))
        .build()
        .unwrap();
    bad.token().await.unwrap_err();
    refused(&bad.status(), before);

    let away = client
        .managed(SessionSource::application(app()))
        .share(Store { up: false })
        .build()
        .unwrap();
    away.token().await.unwrap();
    live(&away.status(), Sharing::StoreAway);

    let shared = client
        .managed(SessionSource::application(app()))
        .share(Store { up: true })
        .build()
        .unwrap();
    shared.token().await.unwrap();
    live(&shared.status(), Sharing::Shared);
    shared.login(alice()).await.unwrap();
    assert_eq!(shared.status().sharing, Sharing::LeftFleet);
}
