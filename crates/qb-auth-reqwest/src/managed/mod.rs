//! A session that looks after itself, driven by the core's lifecycle.
//!
//! The lifecycle (`qb_auth_core::lifecycle`) decides everything: which
//! token to use, when to renew, what to retry and how long to wait. This
//! module only performs what it says: sends the create-session or calls the
//! token provider, sleeps until the deadlines it gives, and wakes the tasks
//! waiting on a renewal.

mod source;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use qb_auth_core::adapter::{
    Call, Error, ManagedOptions, RenewalGuard, SharedLifecycle, copy_for_retry, trace,
};
use qb_auth_core::lifecycle::{
    Ask, AttemptError, LifecycleEvent, NewSession, Policy, ProviderError, RenewalTicket,
    TokenAction,
};
use qb_auth_core::store::SessionStore;
use qb_auth_core::{Body, HttpRequest, Operation, Session, SessionToken, authorize};
use tokio::sync::Notify;
use tracing::Instrument;

use crate::client::Client;

pub use source::{BoxFuture, SessionSource, TokenProvider};

/// The shortest wait between two polls, so a deadline in the past never
/// turns into a busy loop.
const MIN_WAIT: Duration = Duration::from_millis(1);

/// Configures a [`ManagedSession`]; from [`Client::managed`].
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// # use qb_auth_core::lifecycle::SessionCredentials;
/// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
/// # use qb_auth_emulator::{fixtures, Emulator};
/// # use qb_auth_reqwest::{Client, SessionSource};
/// # let emulator = Emulator::with_demo_fixtures().start().await?;
/// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
/// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
/// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
/// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
/// let builder = client.managed(SessionSource::credentials(alice));
/// // Debug names the kind of source, never what it holds.
/// assert!(!format!("{builder:?}").contains(fixtures::ALICE_PASSWORD));
/// let session = builder.build()?;
/// assert!(session.token().await.is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct ManagedSessionBuilder {
    client: Client,
    source: SessionSource,
    options: ManagedOptions,
}

impl ManagedSessionBuilder {
    pub(crate) fn new(client: Client, source: SessionSource) -> Self {
        Self {
            client,
            source,
            options: ManagedOptions::default(),
        }
    }

    /// When to renew and how to retry (the core's defaults otherwise).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// # let _ = &emulator;
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// use qb_auth_core::lifecycle::Policy;
    /// use std::time::Duration;
    ///
    /// let session = client
    ///     .managed(SessionSource::credentials(alice))
    ///     // Renew 10 minutes ahead; give up after two attempts.
    ///     .policy(Policy::default().with_renew_margin(Duration::from_secs(600)).with_max_attempts(2))
    ///     .build()?;
    /// assert!(session.token().await.is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(mut self, policy: Policy) -> Self {
        self.options.policy = policy;
        self
    }

    /// Saves the session after each renewal and restores it at
    /// [`build`](Self::build), so a restarted process reuses its token.
    /// Called on the task that renewed, outside any lock; keep it quick.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// # let _ = &emulator;
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// use std::sync::Arc;
    /// use qb_auth_core::store::{MemoryStore, SessionStore};
    ///
    /// let store = Arc::new(MemoryStore::new());
    /// let first = client.managed(SessionSource::credentials(alice.clone())).store(store.clone()).build()?;
    /// let token = first.token().await?;
    /// assert!(store.load()?.is_some());
    ///
    /// // Later (another process, with a store on disk): the saved token is reused.
    /// let second = client.managed(SessionSource::credentials(alice)).store(store).build()?;
    /// assert_eq!(second.token().await?, token);
    /// assert_eq!(emulator.stats().sessions_created, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn store(mut self, store: impl SessionStore + 'static) -> Self {
        self.options.store = Some(Arc::new(store));
        self
    }

    /// Calls `listener` for every lifecycle event: session created,
    /// renewed, expired or rejected, an attempt or a renewal failed, the
    /// clock offset changed. It runs on the task that caused the event,
    /// outside any lock; keep it quick.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// # let _ = &emulator;
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// use std::sync::{Arc, Mutex};
    /// use qb_auth_core::lifecycle::LifecycleEvent;
    ///
    /// let created = Arc::new(Mutex::new(0));
    /// let counter = created.clone();
    /// let session = client
    ///     .managed(SessionSource::credentials(alice))
    ///     .on_event(move |event| {
    ///         if let LifecycleEvent::SessionCreated { .. } = event {
    ///             *counter.lock().unwrap() += 1;
    ///         }
    ///     })
    ///     .build()?;
    /// session.token().await?;
    /// session.token().await?;
    /// assert_eq!(*created.lock().unwrap(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_event(mut self, listener: impl Fn(&LifecycleEvent) + Send + Sync + 'static) -> Self {
        self.options.listeners.push(Arc::new(listener));
        self
    }

    /// Checks the policy, restores a saved session (unless the source is a
    /// fixed token, which is used instead), and returns the session.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// use qb_auth_core::lifecycle::Policy;
    /// use qb_auth_reqwest::Error;
    ///
    /// // A policy that cannot work is refused here, not at the first request.
    /// let never = Policy::default().with_max_attempts(0);
    /// let refused = client.managed(SessionSource::credentials(alice.clone())).policy(never).build();
    /// assert!(matches!(refused, Err(Error::Policy(_))));
    /// // Building sends nothing: the session is created when a token is first needed.
    /// let session = client.managed(SessionSource::credentials(alice)).build()?;
    /// assert_eq!(emulator.stats().requests, 0);
    /// # let _ = session;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<ManagedSession, Error> {
        let lifecycle = SharedLifecycle::start(SystemTime::now(), &self.source.0, self.options)?;
        let shared = Arc::new(Shared {
            client: self.client,
            tokens: self.source.0.token_provider(),
            lifecycle,
            renewed: Notify::new(),
        });
        Ok(ManagedSession { shared })
    }
}

impl fmt::Debug for ManagedSessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ManagedSessionBuilder");
        out.field("client", &self.client)
            .field("source", &self.source);
        self.options.debug_fields(&mut out);
        out.finish()
    }
}

/// A QuickBlox session kept valid for every task that shares it.
///
/// Cheap to clone; clones share one session. [`token`](Self::token) gives
/// a valid token, renewing when needed: however many tasks ask at once,
/// one renewal runs and the others wait for it (no lock is held across the
/// network call). [`send`](Self::send) attaches the token to any request,
/// slides the session's expiry on success, and after "Required session
/// does not exist" renews and sends the request once more.
///
/// Retries, backoff, `Retry-After`, clock-skew correction and the verdict
/// on refused credentials all come from the core's lifecycle and its
/// [`Policy`]; invalid credentials fail at once, without a retry.
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use qb_auth_core::lifecycle::SessionCredentials;
/// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
/// use qb_auth_reqwest::{Client, SessionSource};
/// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
///
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let user = Identity::login("alice", "p@ss word&1=2")?;
/// // `Client::new()` talks to the real API; here, the emulator on loopback.
/// let session = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?
///     .managed(SessionSource::credentials(SessionCredentials::new(app, user)))
///     .on_event(|event| println!("{event:?}"))
///     .build()?;
///
/// let request = http::Request::get(format!("{}/users.json", emulator.base_url())).body(())?;
/// assert_eq!(session.send(request).await?.status(), 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ManagedSession {
    shared: Arc<Shared>,
}

struct Shared {
    client: Client,
    tokens: Option<Arc<dyn TokenProvider>>,
    /// Locked only for calls into the lifecycle, never across an `.await`.
    lifecycle: SharedLifecycle,
    /// Woken after every renewal result, so waiting tasks poll again.
    renewed: Notify,
}

impl Shared {
    /// Hands a ticket back and wakes everyone waiting on it.
    fn finish(&self, ticket: RenewalTicket, result: Result<NewSession, AttemptError>) {
        self.lifecycle
            .finish_renewal(ticket, SystemTime::now(), result);
        self.renewed.notify_waiters();
    }
}

impl Client {
    /// A session managed for you, getting its tokens from `source`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// let session = client.managed(SessionSource::credentials(alice)).build()?;
    /// let dialogs = || http::Request::get(client.endpoint().url("chat/Dialog.json")).body(());
    /// assert_eq!(session.send(dialogs()?).await?.status(), 200);
    /// assert_eq!(session.send(dialogs()?).await?.status(), 200);
    /// assert_eq!(emulator.stats().sessions_created, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn managed(&self, source: SessionSource) -> ManagedSessionBuilder {
        ManagedSessionBuilder::new(self.clone(), source)
    }
}

impl ManagedSession {
    /// The client requests go through.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// let session = client.managed(SessionSource::credentials(alice)).build()?;
    /// assert_eq!(session.client().endpoint(), client.endpoint());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// The current session, if there is one (it may have expired since the
    /// last call; [`token`](Self::token) never returns an expired token).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// let managed = client.managed(SessionSource::credentials(alice)).build()?;
    /// assert!(managed.session().is_none(), "created on first use");
    /// let token = managed.token().await?;
    /// let session = managed.session().expect("a session once a token was given");
    /// assert_eq!(session.token, token);
    /// assert_eq!(session.user(), Some(fixtures::ALICE_ID));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn session(&self) -> Option<Session> {
        self.shared.lifecycle.lock().lifecycle().session().cloned()
    }

    /// When the current session expires by the local clock, unless used again.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// use std::time::SystemTime;
    ///
    /// let session = client.managed(SessionSource::credentials(alice)).build()?;
    /// assert_eq!(session.expires_at(), None);
    /// session.token().await?;
    /// let expires_at = session.expires_at().expect("known once there is a session");
    /// assert!(expires_at > SystemTime::now());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.shared.lifecycle.lock().lifecycle().expires_at()
    }

    /// A valid token: the current one, or a new one after a renewal this
    /// task performs or waits for.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// # let _ = &emulator;
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// let session = client.managed(SessionSource::credentials(alice)).build()?;
    /// assert!(session.session().is_none(), "created on first use");
    /// let token = session.token().await?;
    /// assert_eq!(session.session().unwrap().user(), Some(fixtures::ALICE_ID));
    /// assert!(session.expires_at().is_some());
    /// assert_eq!(session.token().await?, token, "reused while valid");
    ///
    /// session.destroy().await?;
    /// assert_ne!(session.token().await?, token, "a new one after destroy");
    /// assert_eq!(emulator.stats().sessions_created, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn token(&self) -> Result<SessionToken, Error> {
        let shared = &*self.shared;
        let mut ask = Ask::new();
        loop {
            // Made before polling: a renewal that ends after the poll wakes it.
            let renewed = shared.renewed.notified();
            let now = SystemTime::now();
            match shared.lifecycle.poll_token(now, &mut ask).0 {
                TokenAction::Use(token) => return Ok(token),
                TokenAction::Renew(ticket) => self.renew(ticket).await,
                TokenAction::Wait { until } => {
                    let wait = until.duration_since(now).unwrap_or_default().max(MIN_WAIT);
                    // Either wake-up means: poll again.
                    let _ = tokio::time::timeout(wait, renewed).await;
                }
                TokenAction::Failed(error) => return Err(Error::Renewal(error)),
            }
        }
    }

    /// Sends `request` with the session's token and returns the answer
    /// whatever its status. A 2xx slides the session's expiry; "Required
    /// session does not exist" drops the token, and the request is sent
    /// once more with a new one (request extensions are not carried over).
    /// Other failures are not retried: the request may not be idempotent.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// let session = client.managed(SessionSource::credentials(alice)).build()?;
    /// let dialogs = || http::Request::get(client.endpoint().url("chat/Dialog.json")).body(());
    /// assert_eq!(session.send(dialogs()?).await?.status(), 200);
    /// // The server forgets the session: the request goes again, with a new one.
    /// emulator.expire_all_sessions();
    /// assert_eq!(session.send(dialogs()?).await?.status(), 200);
    /// assert_eq!(emulator.stats().sessions_created, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn send<B: Into<Body>>(
        &self,
        request: http::Request<B>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let request = request.map(Into::into);
        async {
            let again = copy_for_retry(&request);
            let (answer, rejected) = self.send_with(request, 1).await?;
            if !rejected {
                return Ok(answer);
            }
            Ok(self.send_with(again, 2).await?.0)
        }
        .instrument(trace::operation(Operation::Other, None))
        .await
    }

    /// Ends the session on the server (`DELETE /session.json`) and forgets
    /// it, here and in the store. The next [`token`](Self::token) renews.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::lifecycle::SessionCredentials;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// let session = client.managed(SessionSource::credentials(alice)).build()?;
    /// let token = session.token().await?;
    /// session.destroy().await?;
    /// assert!(session.session().is_none());
    /// assert_eq!(emulator.stats().sessions_destroyed, 1);
    /// assert!(client.get_session(&token).await.is_err(), "the old token is dead");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn destroy(&self) -> Result<(), Error> {
        match self.shared.lifecycle.forget() {
            Some(session) => self.shared.client.destroy_session(&session.token).await,
            None => Ok(()),
        }
    }

    /// One renewal attempt: what the ticket says, then the result back.
    async fn renew(&self, ticket: RenewalTicket) {
        let span = trace::renewal(&ticket);
        // Reported as abandoned if this task is cancelled mid-attempt.
        let guard = RenewalGuard::new(ticket, |ticket, result| self.shared.finish(ticket, result));
        let result = match guard.ticket() {
            Some(ticket) => self.attempt(ticket).instrument(span).await,
            None => Err(AttemptError::Abandoned),
        };
        guard.finish(result);
    }

    async fn attempt(&self, ticket: &RenewalTicket) -> Result<NewSession, AttemptError> {
        let client = &self.shared.client;
        match ticket.credentials() {
            Some(credentials) => {
                let call =
                    Call::renewal(client.settings(), ticket, &credentials?, SystemTime::now())?;
                client.execute(call).await
            }
            None => match &self.shared.tokens {
                Some(provider) => Ok(NewSession::new(provider.session().await?)),
                None => Err(ProviderError::permanent("no token provider is configured").into()),
            },
        }
    }

    /// Sends one copy of the request with a valid token and reports the
    /// answer; says whether the token was rejected (worth one more try).
    async fn send_with(
        &self,
        mut request: HttpRequest,
        attempt: u32,
    ) -> Result<(http::Response<Vec<u8>>, bool), Error> {
        let token = self.token().await?;
        authorize(&mut request, &token)?;
        let sent_at = SystemTime::now();
        let answer = self.shared.client.exchange(request, attempt).await?;
        let rejected = self
            .shared
            .lifecycle
            .answered(&token, sent_at, SystemTime::now(), &answer);
        Ok((answer, rejected))
    }
}

impl fmt::Debug for ManagedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ManagedSession");
        out.field("client", &self.shared.client);
        self.shared.lifecycle.debug_fields(&mut out);
        out.finish()
    }
}
