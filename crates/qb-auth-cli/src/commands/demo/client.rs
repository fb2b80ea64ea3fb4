//! One async API over both adapters, so every demo step is written once and
//! run for each transport. ureq calls run on Tokio's blocking pool, so the
//! in-process emulator keeps serving while they wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use qb_auth_client::Error;
use qb_auth_core::lifecycle::{LifecycleEvent, SessionCredentials};
use qb_auth_core::{
    AccountSettings, AppCredentials, Endpoint, ErrorKind, HttpRequest, Identity, Session,
    SessionToken, User,
};

use crate::args::TransportKind;

/// A client of either adapter.
#[derive(Debug, Clone)]
pub(super) enum DemoClient {
    Reqwest(qb_auth_reqwest::Client),
    Ureq(qb_auth_ureq::Client),
}

/// What a call failed with: the adapter's message, and the kind of error
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

/// Both adapters return the core's one `Error`.
impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            kind: error.api_error().map(|e| e.kind()),
            message: error.to_string(),
        }
    }
}

impl Failure {
    fn other(message: String) -> Self {
        Self {
            message,
            kind: None,
        }
    }
}

impl DemoClient {
    /// A client of `kind` for `endpoint`.
    pub(super) fn new(
        kind: TransportKind,
        endpoint: &Endpoint,
        timeout: Duration,
    ) -> Result<Self, Failure> {
        match kind {
            TransportKind::Reqwest => qb_auth_reqwest::Client::builder()
                .endpoint(endpoint.clone())
                .timeout(timeout)
                .build()
                .map(Self::Reqwest)
                .map_err(Failure::from),
            TransportKind::Ureq => qb_auth_ureq::Client::builder()
                .endpoint(endpoint.clone())
                .timeout(timeout)
                .build()
                .map(Self::Ureq)
                .map_err(Failure::from),
        }
    }

    /// Which adapter this is.
    pub(super) fn kind(&self) -> TransportKind {
        match self {
            Self::Reqwest(_) => TransportKind::Reqwest,
            Self::Ureq(_) => TransportKind::Ureq,
        }
    }

    pub(super) async fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> Result<Session, Failure> {
        match self {
            Self::Reqwest(c) => c.create_session(app, identity).await.map_err(Failure::from),
            Self::Ureq(c) => {
                let (c, app, identity) = (c.clone(), app.clone(), identity.clone());
                blocking(move || c.create_session(&app, &identity)).await
            }
        }
    }

    pub(super) async fn get_session(&self, token: &SessionToken) -> Result<Session, Failure> {
        match self {
            Self::Reqwest(c) => c.get_session(token).await.map_err(Failure::from),
            Self::Ureq(c) => {
                let (c, token) = (c.clone(), token.clone());
                blocking(move || c.get_session(&token)).await
            }
        }
    }

    pub(super) async fn destroy_session(&self, token: &SessionToken) -> Result<(), Failure> {
        match self {
            Self::Reqwest(c) => c.destroy_session(token).await.map_err(Failure::from),
            Self::Ureq(c) => {
                let (c, token) = (c.clone(), token.clone());
                blocking(move || c.destroy_session(&token)).await
            }
        }
    }

    pub(super) async fn login(
        &self,
        token: &SessionToken,
        identity: &Identity,
    ) -> Result<User, Failure> {
        match self {
            Self::Reqwest(c) => c.login(token, identity).await.map_err(Failure::from),
            Self::Ureq(c) => {
                let (c, token, identity) = (c.clone(), token.clone(), identity.clone());
                blocking(move || c.login(&token, &identity)).await
            }
        }
    }

    pub(super) async fn logout(&self, token: &SessionToken) -> Result<(), Failure> {
        match self {
            Self::Reqwest(c) => c.logout(token).await.map_err(Failure::from),
            Self::Ureq(c) => {
                let (c, token) = (c.clone(), token.clone());
                blocking(move || c.logout(&token)).await
            }
        }
    }

    pub(super) async fn account_settings(&self, key: &str) -> Result<AccountSettings, Failure> {
        match self {
            Self::Reqwest(c) => c.account_settings(key).await.map_err(Failure::from),
            Self::Ureq(c) => {
                let (c, key) = (c.clone(), qb_auth_core::SecretString::from(key));
                blocking(move || {
                    use qb_auth_core::ExposeSecret;
                    c.account_settings(key.expose_secret())
                })
                .await
            }
        }
    }
}

/// A managed session of either adapter: renews by itself, corrects the
/// clock, retries once after a rejected token.
#[derive(Clone)]
pub(super) enum DemoManaged {
    Reqwest(qb_auth_reqwest::ManagedSession),
    Ureq(qb_auth_ureq::ManagedSession),
}

impl std::fmt::Debug for DemoManaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Reqwest(_) => "DemoManaged::Reqwest",
            Self::Ureq(_) => "DemoManaged::Ureq",
        })
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

impl DemoClient {
    /// A managed session for `identity`, reporting clock offsets to `probe`.
    pub(super) fn managed(
        &self,
        app: &AppCredentials,
        identity: &Identity,
        probe: &OffsetProbe,
    ) -> Result<DemoManaged, Failure> {
        let credentials = SessionCredentials::new(app.clone(), identity.clone());
        match self {
            Self::Reqwest(c) => c
                .managed(qb_auth_reqwest::SessionSource::credentials(credentials))
                .on_event(probe.listener())
                .build()
                .map(DemoManaged::Reqwest)
                .map_err(Failure::from),
            Self::Ureq(c) => c
                .managed(qb_auth_ureq::SessionSource::credentials(credentials))
                .on_event(probe.listener())
                .build()
                .map(DemoManaged::Ureq)
                .map_err(Failure::from),
        }
    }
}

impl DemoManaged {
    /// A valid token, renewing when needed.
    pub(super) async fn token(&self) -> Result<SessionToken, Failure> {
        match self {
            Self::Reqwest(m) => m.token().await.map_err(Failure::from),
            Self::Ureq(m) => {
                let m = m.clone();
                blocking(move || m.token()).await
            }
        }
    }

    /// Sends `request` with the session's token.
    pub(super) async fn send(
        &self,
        request: HttpRequest,
    ) -> Result<http::Response<Vec<u8>>, Failure> {
        match self {
            Self::Reqwest(m) => m.send(request).await.map_err(Failure::from),
            Self::Ureq(m) => {
                let m = m.clone();
                blocking(move || m.send(request)).await
            }
        }
    }
}

/// Runs a blocking ureq call on Tokio's blocking pool.
async fn blocking<T, F>(call: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, Error> + Send + 'static,
{
    match tokio::task::spawn_blocking(call).await {
        Ok(result) => result.map_err(Failure::from),
        Err(join) => Err(Failure::other(format!(
            "the blocking call did not finish: {join}"
        ))),
    }
}
