//! Every metric the client documents, read with `metrics-util`'s debugging
//! recorder after a run over each transport that has: a cold start, a
//! proactive renewal, a session the server rejected, one that expired, a
//! one-shot call retried after a 503, a refused credential, and both
//! stores failing (the fleet's shared store and a session store). Labels
//! carry no identity, token or secret.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use qb_auth_client::fleet::{
    BlockingFleetStore, FleetKey, FleetState, FleetStore, Published, StoreFuture,
};
use qb_auth_client::store::{SessionStore, StoreError};
use qb_auth_core::lifecycle::{LifecycleSnapshot, Policy};
use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
use qb_auth_emulator::{Emulator, Fault, fixtures};

/// A fleet store that never answers, and a session store that cannot save.
struct Down;

fn down() -> StoreError {
    StoreError::new("the store is down (test)")
}

impl FleetStore for Down {
    fn load<'a>(&'a self, _: &'a FleetKey) -> StoreFuture<'a, FleetState> {
        Box::pin(async { Err(down()) })
    }
    fn try_lease<'a>(&'a self, _: &'a FleetKey, _: &'a str, _: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async { Err(down()) })
    }
    fn release<'a>(&'a self, _: &'a FleetKey, _: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(down()) })
    }
    fn publish<'a>(
        &'a self,
        _: &'a FleetKey,
        _: u64,
        _: &'a LifecycleSnapshot,
    ) -> StoreFuture<'a, Published> {
        Box::pin(async { Err(down()) })
    }
    fn drop_rejected<'a>(&'a self, _: &'a FleetKey, _: u64) -> StoreFuture<'a, bool> {
        Box::pin(async { Err(down()) })
    }
    fn wait_change<'a>(&'a self, _: &'a FleetKey, _: u64, _: SystemTime) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(down()) })
    }
}

impl BlockingFleetStore for Down {
    fn load(&self, _: &FleetKey) -> Result<FleetState, StoreError> {
        Err(down())
    }
    fn try_lease(&self, _: &FleetKey, _: &str, _: Duration) -> Result<bool, StoreError> {
        Err(down())
    }
    fn release(&self, _: &FleetKey, _: &str) -> Result<(), StoreError> {
        Err(down())
    }
    fn publish(
        &self,
        _: &FleetKey,
        _: u64,
        _: &LifecycleSnapshot,
    ) -> Result<Published, StoreError> {
        Err(down())
    }
    fn drop_rejected(&self, _: &FleetKey, _: u64) -> Result<bool, StoreError> {
        Err(down())
    }
    fn wait_change(&self, _: &FleetKey, _: u64, _: SystemTime) -> Result<(), StoreError> {
        Err(down())
    }
}

impl SessionStore for Down {
    fn load(&self) -> Result<Option<LifecycleSnapshot>, StoreError> {
        Ok(None)
    }
    fn save(&self, _: &LifecycleSnapshot) -> Result<(), StoreError> {
        Err(down())
    }
    fn clear(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

const TTL: Duration = Duration::from_secs(4);

fn policy() -> Policy {
    Policy::default()
        .with_backoff(Duration::from_millis(10), Duration::from_millis(40))
        .with_renew_jitter(0.0)
}

fn app(secret: &str) -> AppCredentials {
    AppCredentials::new(
        fixtures::APP_ID,
        fixtures::AUTH_KEY,
        SecretString::from(secret),
    )
    .unwrap()
}

/// What the recorder saw so far. Each snapshot of the debugging recorder
/// hands over what was recorded since the last one, so the totals are
/// kept here.
struct Seen {
    snapshotter: Snapshotter,
    totals: RefCell<HashMap<MetricKey, Total>>,
}

/// A metric's name and its labels, sorted.
type MetricKey = (String, Vec<(String, String)>);

#[derive(Debug, Default)]
struct Total {
    counter: Option<u64>,
    histogram: Option<usize>,
}

impl Seen {
    fn new(recorder: &DebuggingRecorder) -> Self {
        Self {
            snapshotter: recorder.snapshotter(),
            totals: RefCell::default(),
        }
    }

    /// Adds what was recorded since the last look.
    fn take(&self) {
        let mut totals = self.totals.borrow_mut();
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            let key = key.key();
            let mut labels: Vec<_> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort_unstable();
            let total = totals.entry((key.name().to_owned(), labels)).or_default();
            match value {
                DebugValue::Counter(n) => *total.counter.get_or_insert(0) += n,
                DebugValue::Histogram(values) => *total.histogram.get_or_insert(0) += values.len(),
                other => panic!("{key:?}: {other:?}"),
            }
        }
    }

    fn total(&self, name: &str, labels: &[(&str, &str)]) -> Option<(Option<u64>, Option<usize>)> {
        self.take();
        let mut labels: Vec<_> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.sort_unstable();
        let totals = self.totals.borrow();
        totals
            .get(&(name.to_owned(), labels))
            .map(|t| (t.counter, t.histogram))
    }

    /// The counter `name` with exactly `labels`, or 0.
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.total(name, labels) {
            Some((Some(n), None)) => n,
            None => 0,
            other => panic!("{name} is not a counter: {other:?}"),
        }
    }

    /// How many values the histogram `name` with exactly `labels` holds.
    fn recorded(&self, name: &str, labels: &[(&str, &str)]) -> usize {
        match self.total(name, labels) {
            Some((None, Some(n))) => n,
            None => 0,
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    }

    /// No label of any metric holds a secret, a login or a token.
    fn no_secret_in_labels(&self, secrets: &[&str]) {
        self.take();
        for (_, labels) in self.totals.borrow().keys() {
            for (_, value) in labels {
                for secret in secrets {
                    assert!(!value.contains(secret), "{value}");
                }
            }
        }
    }

    fn due(&self) -> u64 {
        self.counter("qb_auth_renewals_total", &[("reason", "due")])
    }
}

/// What both transports must have recorded.
fn check(seen: &Seen, token: &str) {
    let sessions = |operation, outcome| {
        seen.counter(
            "qb_auth_sessions_total",
            &[("operation", operation), ("outcome", outcome)],
        )
    };
    // The one-shot call and the cold start create; the due, rejected and
    // expired renewals renew.
    assert_eq!(sessions("create_application_session", "created"), 2);
    assert!(sessions("renew", "created") >= 3);
    assert_eq!(
        sessions("create_application_session", "failed"),
        2,
        "a 503 and a refused secret"
    );
    for reason in ["cold_start", "due", "rejected", "expired"] {
        let n = seen.counter("qb_auth_renewals_total", &[("reason", reason)]);
        assert!(n >= 1, "{reason}: {n}");
    }
    assert_eq!(
        seen.counter(
            "qb_auth_retries_total",
            &[("operation", "create_application_session")]
        ),
        1
    );
    assert_eq!(
        seen.counter("qb_auth_failures_total", &[("kind", "server_error")]),
        1
    );
    assert_eq!(
        seen.counter(
            "qb_auth_failures_total",
            &[("kind", "unexpected_signature")]
        ),
        1
    );
    assert!(
        seen.recorded(
            "qb_auth_renewal_duration_seconds",
            &[("operation", "create_application_session")]
        ) >= 2
    );
    assert!(seen.recorded("qb_auth_caller_wait_seconds", &[]) >= 1);
    assert!(seen.counter("qb_auth_fleet_renewals_total", &[("outcome", "alone")]) >= 1);
    assert_eq!(
        seen.counter("qb_auth_store_outages_total", &[("store", "fleet")]),
        1,
        "once per outage"
    );
    assert!(seen.counter("qb_auth_store_outages_total", &[("store", "session")]) >= 1);
    seen.no_secret_in_labels(&[fixtures::AUTH_SECRET, "not-the-secret", token]);
}

#[test]
fn every_documented_metric_over_ureq() {
    let emulator = Emulator::with_demo_fixtures()
        .session_ttl(TTL)
        .start_blocking()
        .unwrap();
    let endpoint = Endpoint::parse(emulator.base_url()).unwrap();
    let recorder = DebuggingRecorder::new();
    let seen = Seen::new(&recorder);
    let token = metrics::with_local_recorder(&recorder, || {
        let client = qb_auth_ureq::Client::builder()
            .endpoint(endpoint.clone())
            .no_proxy()
            .retry_policy(policy())
            .build()
            .unwrap();
        // One-shot, through a 503.
        emulator.fail_next(1, Fault::Status503);
        client
            .create_session(&app(fixtures::AUTH_SECRET), &Identity::application())
            .unwrap();
        // A refused secret.
        let refused = client
            .managed(qb_auth_ureq::SessionSource::application(app(
                "not-the-secret",
            )))
            .policy(policy())
            .build()
            .unwrap();
        refused.token().unwrap_err();
        // A managed session sharing through a fleet store that is down and
        // saving to a store that cannot save: cold start, then due,
        // rejected and expired renewals.
        let session = client
            .managed(qb_auth_ureq::SessionSource::application(app(
                fixtures::AUTH_SECRET,
            )))
            .policy(policy())
            .share(Down)
            .store(Down)
            .build()
            .unwrap();
        let token = session.token().unwrap();
        due_renewal(&seen, || {
            session.token().unwrap();
        });
        emulator.expire_all_sessions();
        let users = http::Request::get(format!("{}/users.json", emulator.base_url()))
            .body(())
            .unwrap();
        assert_eq!(session.send(users).unwrap().status(), 200);
        std::thread::sleep(TTL + Duration::from_millis(200));
        session.token().unwrap();
        token
    });
    check(&seen, token.expose());
}

#[test]
fn every_documented_metric_over_reqwest() {
    let emulator = Emulator::with_demo_fixtures()
        .session_ttl(TTL)
        .start_blocking()
        .unwrap();
    let endpoint = Endpoint::parse(emulator.base_url()).unwrap();
    let recorder = DebuggingRecorder::new();
    let seen = Seen::new(&recorder);
    // One thread: the local recorder sees every task the run polls.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let client = qb_auth_reqwest::Client::builder()
                .endpoint(endpoint.clone())
                .no_proxy()
                .retry_policy(policy())
                .build()
                .unwrap();
            emulator.fail_next(1, Fault::Status503);
            client
                .create_session(&app(fixtures::AUTH_SECRET), &Identity::application())
                .await
                .unwrap();
            let refused = client
                .managed(qb_auth_reqwest::SessionSource::application(app(
                    "not-the-secret",
                )))
                .policy(policy())
                .build()
                .unwrap();
            refused.token().await.unwrap_err();
            let session = client
                .managed(qb_auth_reqwest::SessionSource::application(app(
                    fixtures::AUTH_SECRET,
                )))
                .policy(policy())
                .share(Down)
                .store(Down)
                .build()
                .unwrap();
            let token = session.token().await.unwrap();
            let before = seen.due();
            for _ in 0..3 {
                tokio::time::sleep(TTL / 2 + Duration::from_millis(200)).await;
                session.token().await.unwrap();
                if seen.due() > before {
                    break;
                }
            }
            emulator.expire_all_sessions();
            let users = http::Request::get(format!("{}/users.json", emulator.base_url()))
                .body(())
                .unwrap();
            assert_eq!(session.send(users).await.unwrap().status(), 200);
            tokio::time::sleep(TTL + Duration::from_millis(200)).await;
            session.token().await.unwrap();
            token
        })
    });
    check(&seen, token.expose());
}

/// A proactive renewal happens in the second half of a session's life
/// (before its expiry): asked just past half-life, a very busy machine
/// may overshoot into expiry, so up to three sessions are tried.
fn due_renewal(seen: &Seen, mut ask: impl FnMut()) {
    let before = seen.due();
    for _ in 0..3 {
        std::thread::sleep(TTL / 2 + Duration::from_millis(200));
        ask();
        if seen.due() > before {
            return;
        }
    }
}
