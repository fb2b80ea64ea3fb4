//! Where a managed session's tokens come from.

use std::fmt;
use std::sync::Arc;

use qb_auth_core::adapter::RenewalSource;
use qb_auth_core::lifecycle::{CredentialProvider, ProviderError};
use qb_auth_core::{Session, SessionToken};

/// Mints sessions elsewhere: a backend that holds the application's secret
/// creates the session and hands this process only the token.
///
/// Asked once per renewal attempt, never under a lock. Implemented for
/// closures returning `Result<Session, ProviderError>`:
///
/// ```
/// use qb_auth_core::lifecycle::ProviderError;
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_ureq::SessionSource;
///
/// let source = SessionSource::token_provider(|| {
///     // e.g. GET https://backend.example/quickblox-token
///     Ok::<_, ProviderError>(Session::new(SessionToken::new("minted-by-backend")))
/// });
/// # let _ = source;
/// ```
pub trait TokenProvider: Send + Sync {
    /// A new session (at least its token; set `expires_at` when the backend
    /// says when it expires, otherwise the policy's default TTL applies).
    fn session(&self) -> Result<Session, ProviderError>;
}

impl<F> TokenProvider for F
where
    F: Fn() -> Result<Session, ProviderError> + Send + Sync,
{
    fn session(&self) -> Result<Session, ProviderError> {
        self()
    }
}

/// How a managed session gets its tokens.
///
/// ```
/// use qb_auth_core::lifecycle::SessionCredentials;
/// use qb_auth_core::{AppCredentials, Identity, SecretString, SessionToken};
/// use qb_auth_ureq::SessionSource;
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
    pub fn credentials(provider: impl CredentialProvider + 'static) -> Self {
        Self(RenewalSource::Credentials(Arc::new(provider)))
    }

    /// Ask a token provider for each new session.
    pub fn token_provider(provider: impl TokenProvider + 'static) -> Self {
        Self(RenewalSource::TokenProvider(Arc::new(provider)))
    }

    /// Use this token until it expires or is rejected; it cannot be renewed.
    pub fn fixed(token: SessionToken) -> Self {
        Self::fixed_session(Session::new(token))
    }

    /// Use this session (a token with what is known about it, such as
    /// `expires_at`) until it expires or is rejected.
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
