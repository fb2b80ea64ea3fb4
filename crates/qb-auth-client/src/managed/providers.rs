//! Token providers: what a managed session asks for each new session when a
//! backend mints them. One async trait drives every renewal; a blocking
//! provider reaches it through [`crate::bridge`].

use std::future::Future;
use std::pin::Pin;

use qb_auth_core::Session;
use qb_auth_core::lifecycle::ProviderError;

/// A boxed future, as [`TokenProvider::session`] returns it.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Mints sessions elsewhere: a backend that holds the application's secret
/// creates the session and hands this process only the token.
///
/// Asked once per renewal attempt, never under a lock. Implemented for
/// async closures returning `Result<Session, ProviderError>`; a blocking
/// client takes a `BlockingTokenProvider` instead
/// (`SessionSource::blocking_token_provider`, feature `blocking`).
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
    /// says when it expires, otherwise the policy's default lifetime
    /// applies).
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

/// [`TokenProvider`] in the blocking shape, for the blocking client: asked
/// on the thread that renews, with no runtime.
///
/// Implemented for closures returning `Result<Session, ProviderError>`:
///
/// ```
/// use qb_auth_core::lifecycle::ProviderError;
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_ureq::SessionSource;
///
/// let source = SessionSource::blocking_token_provider(|| {
///     // e.g. GET https://backend.example/quickblox-token
///     Ok::<_, ProviderError>(Session::new(SessionToken::new("minted-by-backend")))
/// });
/// # let _ = source;
/// ```
#[cfg(feature = "blocking")]
pub trait BlockingTokenProvider: Send + Sync {
    /// See [`TokenProvider::session`].
    fn session(&self) -> Result<Session, ProviderError>;
}

#[cfg(feature = "blocking")]
impl<F> BlockingTokenProvider for F
where
    F: Fn() -> Result<Session, ProviderError> + Send + Sync,
{
    fn session(&self) -> Result<Session, ProviderError> {
        self()
    }
}
