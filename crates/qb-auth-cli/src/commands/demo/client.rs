//! The command line's one client, made awaitable for the demo's steps:
//! each call runs on Tokio's blocking pool, so the in-process emulator keeps
//! serving while it waits, and a step that hangs can be timed out.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use qb_auth_client::{Error, ManagedSession, SessionSource};
use qb_auth_core::lifecycle::LifecycleEvent;
use qb_auth_core::{
    AccountSettings, AppCredentials, Endpoint, ErrorKind, HttpRequest, Identity, Session,
    SessionToken, User,
};

use qb_auth_redis::BlockingRedisStore;

use crate::args::TransportKind;
use crate::transport::{CliClient, CliTransport, ClientSetup};

/// The client over one transport.
#[derive(Debug, Clone)]
pub(super) struct DemoClient {
    kind: TransportKind,
    client: CliClient,
}

/// What a call failed with: the client's message, and the kind of error
/// answer when there was one (some steps expect a rejection).
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) message: String,
    pub(super) kind: Option<ErrorKind>,
}

impl From<Failure> for String {
    fn from(failure: Failure) -> Self {
        failure.message
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            kind: error.api_error().map(|e| e.kind()),
            message: error.to_string(),
        }
    }
}

impl DemoClient {
    pub(super) fn new(
        kind: TransportKind,
        endpoint: &Endpoint,
        timeout: Duration,
    ) -> Result<Self, Failure> {
        let mut setup = ClientSetup::new(kind, endpoint, timeout);
        // Calls run on this runtime's blocking pool, and the client may be
        // dropped inside it: it must not own a runtime of its own.
        setup.runtime = Some(tokio::runtime::Handle::current());
        let client = setup.build().map_err(|e| Failure {
            message: e.to_string(),
            kind: None,
        })?;
        Ok(Self { kind, client })
    }

    pub(super) fn kind(&self) -> TransportKind {
        self.kind
    }

    /// Runs `call` with the client on the blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&CliClient) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Failure> {
        let client = self.client.clone();
        blocking(move || call(&client)).await
    }

    pub(super) async fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> Result<Session, Failure> {
        let (app, identity) = (app.clone(), identity.clone());
        self.run(move |c| c.create_session(&app, &identity)).await
    }

    pub(super) async fn get_session(&self, token: &SessionToken) -> Result<Session, Failure> {
        let token = token.clone();
        self.run(move |c| c.get_session(&token)).await
    }

    pub(super) async fn destroy_session(&self, token: &SessionToken) -> Result<(), Failure> {
        let token = token.clone();
        self.run(move |c| c.destroy_session(&token)).await
    }

    pub(super) async fn login(
        &self,
        token: &SessionToken,
        identity: &Identity,
    ) -> Result<User, Failure> {
        let (token, identity) = (token.clone(), identity.clone());
        self.run(move |c| c.login(&token, &identity)).await
    }

    pub(super) async fn logout(&self, token: &SessionToken) -> Result<(), Failure> {
        let token = token.clone();
        self.run(move |c| c.logout(&token)).await
    }

    pub(super) async fn account_settings(&self, key: &str) -> Result<AccountSettings, Failure> {
        let key = key.to_owned();
        self.run(move |c| c.account_settings(&key)).await
    }

    /// A managed user session whose clock corrections `probe` records.
    pub(super) fn managed(
        &self,
        app: &AppCredentials,
        identity: &Identity,
        probe: &OffsetProbe,
    ) -> Result<DemoManaged, Failure> {
        let source = SessionSource::user(app.clone(), identity.clone());
        let session = self
            .client
            .managed(source)
            .on_event(probe.listener())
            .build()?;
        Ok(DemoManaged(session))
    }
}

impl DemoClient {
    /// A managed user session shared through the Redis at `url`, under
    /// `prefix`: what each process of a fleet builds.
    pub(super) fn shared(
        &self,
        app: &AppCredentials,
        identity: &Identity,
        url: &str,
        prefix: &str,
    ) -> Result<DemoManaged, Failure> {
        let store = BlockingRedisStore::open(url).map_err(|e| Failure {
            message: e.to_string(),
            kind: None,
        })?;
        let source = SessionSource::user(app.clone(), identity.clone());
        let session = self
            .client
            .managed(source)
            .share(store.with_prefix(prefix))
            .build()?;
        Ok(DemoManaged(session))
    }
}

/// A managed session: renews by itself, corrects the clock, retries once
/// after a rejected token.
#[derive(Debug, Clone)]
pub(super) struct DemoManaged(ManagedSession<qb_auth_client::Blocking<CliTransport>>);

impl DemoManaged {
    pub(super) async fn token(&self) -> Result<SessionToken, Failure> {
        let session = self.0.clone();
        blocking(move || session.token()).await
    }

    pub(super) async fn send(
        &self,
        request: HttpRequest,
    ) -> Result<http::Response<Vec<u8>>, Failure> {
        let session = self.0.clone();
        blocking(move || session.send(request)).await
    }
}

/// The clock offset a managed session last measured (server minus local,
/// in seconds), read from its events.
#[derive(Debug, Clone, Default)]
pub(super) struct OffsetProbe(Arc<AtomicI64>);

impl OffsetProbe {
    pub(super) fn secs(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    fn listener(&self) -> impl Fn(&LifecycleEvent) + Send + Sync + 'static {
        let seen = self.0.clone();
        move |event| {
            if let LifecycleEvent::ClockOffsetChanged(skew) = event {
                seen.store(skew.as_secs(), Ordering::Relaxed);
            }
        }
    }
}

/// Runs a blocking call on Tokio's blocking pool.
async fn blocking<T, F>(call: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, Error> + Send + 'static,
{
    match tokio::task::spawn_blocking(call).await {
        Ok(result) => result.map_err(Failure::from),
        Err(join) => Err(Failure {
            message: format!("the blocking call did not finish: {join}"),
            kind: None,
        }),
    }
}
