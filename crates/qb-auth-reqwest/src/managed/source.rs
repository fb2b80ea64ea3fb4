//! Where a managed session's tokens come from.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use qb_auth_core::adapter::RenewalSource;
use qb_auth_core::lifecycle::{CredentialProvider, ProviderError};
use qb_auth_core::{Session, SessionToken};

/// A boxed future, as [`TokenProvider::session`] returns it.
///
/// ```
/// use qb_auth_core::lifecycle::ProviderError;
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_reqwest::{BoxFuture, TokenProvider};
///
/// // Hands out tokens a backend minted (the call to the backend left out).
/// struct Backend;
///
/// impl TokenProvider for Backend {
///     fn session(&self) -> BoxFuture<'_, Result<Session, ProviderError>> {
///         Box::pin(async { Ok(Session::new(SessionToken::new("minted-by-backend"))) })
///     }
/// }
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// assert_eq!(Backend.session().await?.token, SessionToken::new("minted-by-backend"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Mints sessions elsewhere: a backend that holds the application's secret
/// creates the session and hands this process only the token.
///
/// Asked once per renewal attempt, never under a lock. Implemented for
/// async closures returning `Result<Session, ProviderError>`:
///
/// ```
/// use qb_auth_core::lifecycle::ProviderError;
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_reqwest::SessionSource;
///
/// let source = SessionSource::token_provider(|| async {
///     // e.g. GET https://backend.example/quickblox-token
///     Ok::<_, ProviderError>(Session::new(SessionToken::new("minted-by-backend")))
/// });
/// # let _ = source;
/// ```
pub trait TokenProvider: Send + Sync {
    /// A new session (at least its token; set `expires_at` when the backend
    /// says when it expires, otherwise the policy's default TTL applies).
    fn session(&self) -> BoxFuture<'_, Result<Session, ProviderError>>;
}

impl<F, Fut> TokenProvider for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Session, ProviderError>> + Send + 'static,
{
    fn session(&self) -> BoxFuture<'_, Result<Session, ProviderError>> {
        Box::pin(self())
    }
}

/// How a managed session gets its tokens.
///
/// ```
/// use qb_auth_core::lifecycle::SessionCredentials;
/// use qb_auth_core::{AppCredentials, Identity, SecretString, SessionToken};
/// use qb_auth_reqwest::SessionSource;
///
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// // Signs a new create-session whenever one is needed:
/// let signed = SessionSource::credentials(SessionCredentials::new(app, Identity::application()));
/// // Uses a token as long as it lives, then fails with `Error::Renewal`:
/// let fixed = SessionSource::fixed(SessionToken::new("t0k3n"));
/// assert!(!format!("{fixed:?}").contains("t0k3n"));
/// # let _ = signed; Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Clone)]
pub struct SessionSource(pub(crate) RenewalSource<dyn TokenProvider>);

impl SessionSource {
    /// Create sessions with credentials the provider gives anew for every
    /// attempt (a fixed `SessionCredentials`, or a closure that reads a
    /// rotated password or a fresh Firebase ID token).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = SessionCredentials::new(app, Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?);
    /// // `client`: a Client on the emulator; `alice`: SessionCredentials for a demo user.
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use qb_auth_core::lifecycle::{ProviderError, SessionCredentials};
    ///
    /// static ASKED: AtomicU32 = AtomicU32::new(0);
    /// let source = SessionSource::credentials(move || {
    ///     ASKED.fetch_add(1, Ordering::Relaxed); // e.g. read a rotated password
    ///     Ok::<_, ProviderError>(alice.clone())
    /// });
    /// let session = client.managed(source).build()?;
    /// session.token().await?;
    /// session.destroy().await?;
    /// session.token().await?;
    /// assert_eq!(ASKED.load(Ordering::Relaxed), 2, "asked anew for each new session");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn credentials(provider: impl CredentialProvider + 'static) -> Self {
        Self(RenewalSource::Credentials(Arc::new(provider)))
    }

    /// Ask a token provider for each new session.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// # let alice = Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?;
    /// // `client`: a Client on the emulator; `app`, `alice`: the demo application and user.
    /// use qb_auth_core::lifecycle::ProviderError;
    ///
    /// // Stands in for a backend that holds the application's secret.
    /// let backend = client.clone();
    /// let source = SessionSource::token_provider(move || {
    ///     let (backend, app, alice) = (backend.clone(), app.clone(), alice.clone());
    ///     async move { backend.create_session(&app, &alice).await.map_err(|e| ProviderError::transient(e.to_string())) }
    /// });
    /// let session = client.managed(source).build()?;
    /// let dialogs = http::Request::get(client.endpoint().url("chat/Dialog.json")).body(())?;
    /// assert_eq!(session.send(dialogs).await?.status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_provider(provider: impl TokenProvider + 'static) -> Self {
        Self(RenewalSource::TokenProvider(Arc::new(provider)))
    }

    /// Use this token until it expires or is rejected; it cannot be renewed.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// // `client`: a Client on the emulator; `app`: the demo application's credentials.
    /// use qb_auth_core::lifecycle::RenewalError;
    /// use qb_auth_reqwest::Error;
    ///
    /// let token = client.create_session(&app, &Identity::application()).await?.token;
    /// let session = client.managed(SessionSource::fixed(token.clone())).build()?;
    /// assert_eq!(session.token().await?, token);
    /// // Once the server has dropped it, there is no way to get another.
    /// client.destroy_session(&token).await?;
    /// let users = http::Request::get(client.endpoint().url("users.json")).body(())?;
    /// assert!(matches!(session.send(users).await, Err(Error::Renewal(RenewalError::NotRenewable))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fixed(token: SessionToken) -> Self {
        Self::fixed_session(Session::new(token))
    }

    /// Use this session (a token with what is known about it, such as
    /// `expires_at`) until it expires or is rejected.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # use qb_auth_reqwest::{Client, SessionSource};
    /// # let emulator = Emulator::with_demo_fixtures().start().await?;
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// // `client`: a Client on the emulator; `app`: the demo application's credentials.
    /// // A session obtained elsewhere, with the expiry the server announced.
    /// let saved = client.create_session(&app, &Identity::application()).await?;
    /// assert!(saved.expires_at.is_some());
    /// let session = client.managed(SessionSource::fixed_session(saved.clone())).build()?;
    /// assert_eq!(session.token().await?, saved.token);
    /// assert_eq!(session.expires_at(), saved.expires_at);
    /// assert_eq!(emulator.stats().sessions_created, 1, "used as it is");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fixed_session(session: Session) -> Self {
        Self(RenewalSource::Fixed(Box::new(session)))
    }
}

impl fmt::Debug for SessionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Providers hold secrets and a fixed session holds a token: name the kind only.
        write!(f, "SessionSource::{}(..)", self.0.kind())
    }
}
