//! Token providers: what a managed session asks for each new session when a
//! backend mints them, in the async and the blocking shape.

#[cfg(feature = "async")]
pub use self::asynchronous::{BoxFuture, TokenProvider};
#[cfg(feature = "blocking")]
pub use self::blocking::BlockingTokenProvider;

#[cfg(feature = "async")]
mod asynchronous {
    use std::future::Future;
    use std::pin::Pin;

    use qb_auth_core::Session;
    use qb_auth_core::lifecycle::ProviderError;

    use crate::SessionSource;

    /// A boxed future, as [`TokenProvider::session`] returns it.
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

    impl SessionSource<dyn TokenProvider> {
        /// Ask `provider` for each new session (a backend that mints them), so
        /// no secret ships with this process.
        pub fn token_provider(provider: impl TokenProvider + 'static) -> Self {
            Self::from_provider(std::sync::Arc::new(provider))
        }
    }
}

#[cfg(feature = "blocking")]
mod blocking {
    use qb_auth_core::Session;
    use qb_auth_core::lifecycle::ProviderError;

    use crate::SessionSource;

    /// Mints sessions elsewhere, blocking: a backend that holds the
    /// application's secret creates the session and hands this process only
    /// the token.
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
    pub trait BlockingTokenProvider: Send + Sync {
        /// A new session (at least its token; set `expires_at` when the backend
        /// says when it expires, otherwise the policy's default lifetime
        /// applies).
        fn session(&self) -> Result<Session, ProviderError>;
    }

    impl<F> BlockingTokenProvider for F
    where
        F: Fn() -> Result<Session, ProviderError> + Send + Sync,
    {
        fn session(&self) -> Result<Session, ProviderError> {
            self()
        }
    }

    impl SessionSource<dyn BlockingTokenProvider> {
        /// Ask `provider` for each new session (a backend that mints them), so
        /// no secret ships with this process.
        pub fn token_provider(provider: impl BlockingTokenProvider + 'static) -> Self {
            Self::from_provider(std::sync::Arc::new(provider))
        }
    }
}
