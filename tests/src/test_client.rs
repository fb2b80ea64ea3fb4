//! The two transports behind one trait, so each end-to-end test is written
//! once and run for both. Methods are async; the blocking transport runs its
//! calls on tokio's blocking pool, so concurrent callers are OS threads.

use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use qb_auth_client::store::SessionStore;
use qb_auth_core::lifecycle::{CredentialProvider, LifecycleEvent, Policy, SessionCredentials};
use qb_auth_core::{
    AccountSettings, ApiKey, AppCredentials, Body, BodyFormat, Endpoint, Identity, Session,
    SessionToken, User,
};

use crate::failure::Failure;

/// An answer as both transports return it.
pub type Answer = http::Response<Vec<u8>>;

/// Where the next client's nonces start.
static NONCE_BLOCKS: AtomicU32 = AtomicU32::new(1);

/// How a test wants its client.
#[derive(Debug, Clone)]
pub struct Options {
    /// The total timeout of one exchange.
    pub timeout: Duration,
    /// The body cap.
    pub max_body: u64,
    /// The first nonce: nonces count up from it. Each default starts a
    /// million past the last, so clients in one second never repeat a
    /// (timestamp, nonce) pair.
    pub first_nonce: u32,
    /// JSON or form bodies.
    pub body_format: BodyFormat,
    /// How one-shot calls retry: [`test_policy`] (the defaults with fast
    /// backoff) unless a test turns them off.
    pub retry: Policy,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            max_body: 1024 * 1024,
            first_nonce: NONCE_BLOCKS.fetch_add(1_000_000, Ordering::Relaxed),
            body_format: BodyFormat::Json,
            retry: test_policy(),
        }
    }
}

/// Where a managed session under test gets its tokens.
#[derive(Clone)]
pub enum Source {
    /// Create sessions with credentials from this provider.
    Credentials(Arc<dyn CredentialProvider>),
    /// A token provider: each call creates a session through a separate
    /// client (the "backend") on `backend`, and counts itself in `calls`.
    Minted {
        /// Where the backend creates sessions.
        backend: Endpoint,
        /// What the backend signs with (never seen by the managed client).
        credentials: SessionCredentials,
        /// How many times the provider was asked.
        calls: Arc<AtomicUsize>,
    },
    /// A fixed token.
    Fixed(SessionToken),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Credentials(_) => "Source::Credentials(..)",
            Self::Minted { .. } => "Source::Minted(..)",
            Self::Fixed(_) => "Source::Fixed(..)",
        })
    }
}

impl Source {
    /// Fixed credentials.
    pub fn credentials(app: &AppCredentials, identity: Identity) -> Self {
        Self::Credentials(Arc::new(SessionCredentials::new(app.clone(), identity)))
    }
}

/// How a test wants its managed session.
#[derive(Clone)]
pub struct ManagedOptions {
    /// The lifecycle policy.
    pub policy: Policy,
    /// A store to save to and restore from (a `MemoryStore`, a `FileStore`).
    pub store: Option<Arc<dyn SessionStore>>,
    /// Where events are recorded.
    pub events: Events,
    /// Use a fixed token without checking it first.
    pub skip_token_check: bool,
}

// By hand: a store is a trait object without `Debug`.
impl std::fmt::Debug for ManagedOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedOptions")
            .field("policy", &self.policy)
            .field("store", &self.store.is_some())
            .field("events", &self.events)
            .finish()
    }
}

impl Default for ManagedOptions {
    /// A policy for tests: small backoff, short renewal timeout, fixed seed.
    fn default() -> Self {
        Self {
            policy: test_policy(),
            store: None,
            events: Events::default(),
            skip_token_check: false,
        }
    }
}

/// The policy tests run with: the defaults, with backoff in milliseconds
/// so retries are fast, and a fixed jitter seed.
pub fn test_policy() -> Policy {
    Policy::default()
        .with_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .with_renewal_timeout(Duration::from_secs(10))
        .with_jitter_seed(0x7e57)
}

/// Lifecycle events by name, in order, with their `Debug` text.
#[derive(Debug, Clone, Default)]
pub struct Events(Arc<Mutex<Vec<(&'static str, String)>>>);

impl Events {
    /// Records one event.
    pub fn record(&self, event: &LifecycleEvent) {
        let name = match event {
            LifecycleEvent::SessionCreated { .. } => "created",
            LifecycleEvent::SessionRenewed { .. } => "renewed",
            LifecycleEvent::SessionRestored { .. } => "restored",
            LifecycleEvent::SessionExpired => "expired",
            LifecycleEvent::SessionInvalidated => "invalidated",
            LifecycleEvent::AttemptFailed { .. } => "attempt_failed",
            LifecycleEvent::RenewalFailed(_) => "renewal_failed",
            LifecycleEvent::ClockOffsetChanged(_) => "clock_offset",
            LifecycleEvent::StoreIgnored { .. } => "store_ignored",
            LifecycleEvent::SharingUnavailable { .. } => "sharing_unavailable",
            LifecycleEvent::SharingResumed => "sharing_resumed",
            LifecycleEvent::IdentityChanged { .. } => "identity_changed",
            _ => "other",
        };
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((name, format!("{event:?}")));
    }

    /// Every event so far, by name.
    pub fn names(&self) -> Vec<&'static str> {
        let events = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        events.iter().map(|(name, _)| *name).collect()
    }

    /// Every event so far, as `Debug` shows it.
    pub fn debug(&self) -> Vec<String> {
        let events = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        events.iter().map(|(_, debug)| debug.clone()).collect()
    }

    /// How many events named `name`.
    pub fn count(&self, name: &str) -> usize {
        self.names().iter().filter(|n| **n == name).count()
    }
}

/// Counts a provider call.
pub(crate) fn count(calls: &AtomicUsize) {
    calls.fetch_add(1, Ordering::SeqCst);
}

/// A client over one transport, as a test written once for both sees it.
pub trait TestClient: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// `reqwest` or `ureq`.
    const NAME: &'static str;
    /// Its managed session.
    type Session: TestSession;

    /// A client for `endpoint`, with no proxy (tests talk to loopback).
    fn new(endpoint: &Endpoint, options: &Options) -> Self;

    /// This client pointed elsewhere.
    fn with_endpoint(&self, endpoint: Endpoint) -> Self;

    /// The client's endpoint.
    fn endpoint(&self) -> Endpoint;

    /// `Debug` of the client, for the secrets test.
    fn debug(&self) -> String;

    /// `Client::managed(source)...build()`.
    fn managed(&self, source: Source, options: ManagedOptions) -> Result<Self::Session, Failure>;

    /// `Client::create_session`.
    fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> impl Future<Output = Result<Session, Failure>> + Send;

    /// `Client::get_session`.
    fn get_session(
        &self,
        token: &SessionToken,
    ) -> impl Future<Output = Result<Session, Failure>> + Send;

    /// `Client::destroy_session`.
    fn destroy_session(
        &self,
        token: &SessionToken,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// `Client::login`.
    fn login(
        &self,
        token: &SessionToken,
        identity: &Identity,
    ) -> impl Future<Output = Result<User, Failure>> + Send;

    /// `Client::logout`.
    fn logout(&self, token: &SessionToken) -> impl Future<Output = Result<(), Failure>> + Send;

    /// `Client::account_settings`.
    fn account_settings(
        &self,
        account_key: &str,
    ) -> impl Future<Output = Result<AccountSettings, Failure>> + Send;

    /// `Client::use_account_endpoint`.
    fn use_account_endpoint(
        &self,
        account_key: &str,
    ) -> impl Future<Output = Result<(Self, AccountSettings), Failure>> + Send;

    /// `Client::builder()...build_for_account(key)`, with the options of
    /// [`TestClient::new`].
    fn build_for_account(
        endpoint: &Endpoint,
        options: &Options,
        account_key: &str,
    ) -> impl Future<Output = Result<(Self, AccountSettings), Failure>> + Send;

    /// `Client::send`.
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> impl Future<Output = Result<Answer, Failure>> + Send;

    /// `Client::with_api_key(key)[.on_behalf_of(user)].send(request)`.
    fn send_with_api_key(
        &self,
        key: &ApiKey,
        on_behalf_of: Option<u64>,
        request: http::Request<Body>,
    ) -> impl Future<Output = Result<Answer, Failure>> + Send;
}

/// A managed session of either transport.
pub trait TestSession: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// `ManagedSession::token`.
    fn token(&self) -> impl Future<Output = Result<SessionToken, Failure>> + Send;

    /// `ManagedSession::send`.
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> impl Future<Output = Result<Answer, Failure>> + Send;

    /// `ManagedSession::destroy`.
    fn destroy(&self) -> impl Future<Output = Result<(), Failure>> + Send;

    /// `ManagedSession::login`.
    fn login(&self, identity: Identity) -> impl Future<Output = Result<User, Failure>> + Send;

    /// `ManagedSession::login_with`.
    fn login_with(
        &self,
        credentials: SessionCredentials,
    ) -> impl Future<Output = Result<User, Failure>> + Send;

    /// `ManagedSession::logout`.
    fn logout(&self) -> impl Future<Output = Result<(), Failure>> + Send;

    /// `ManagedSession::session`.
    fn session(&self) -> Option<Session>;

    /// `Debug` of the session, for the secrets test.
    fn debug(&self) -> String;
}
