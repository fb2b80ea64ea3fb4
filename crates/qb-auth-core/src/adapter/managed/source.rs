//! Where a managed session's tokens come from, whatever the adapter's
//! token provider looks like (an async or a blocking trait).

use std::fmt;
use std::sync::Arc;

use crate::Session;
use crate::lifecycle::{CredentialProvider, RenewalMode};

/// Where a managed session's tokens come from, generic over the adapter's
/// own token-provider trait `P` (async in `qb-auth-reqwest`, blocking in
/// `qb-auth-ureq`).
///
/// `Debug` names the kind only: providers hold secrets and a fixed
/// session holds a token.
///
/// ```
/// use std::sync::Arc;
/// use qb_auth_core::adapter::RenewalSource;
/// use qb_auth_core::lifecycle::RenewalMode;
/// use qb_auth_core::{Session, SessionToken};
///
/// trait MyProvider {}
///
/// let fixed: RenewalSource<dyn MyProvider> =
///     RenewalSource::Fixed(Box::new(Session::new(SessionToken::new("t0k3n"))));
/// assert!(matches!(fixed.mode(), RenewalMode::FixedToken));
/// assert!(fixed.token_provider().is_none());
/// assert_eq!(format!("{fixed:?}"), "RenewalSource::Fixed(..)");
/// ```
pub enum RenewalSource<P: ?Sized> {
    /// Create sessions with credentials the provider gives anew for every
    /// attempt.
    Credentials(Arc<dyn CredentialProvider>),
    /// Ask this token provider for each new session.
    TokenProvider(Arc<P>),
    /// Use this session until it expires or is rejected.
    Fixed(Box<Session>),
}

impl<P: ?Sized> RenewalSource<P> {
    /// How the lifecycle renews with this source.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use qb_auth_core::adapter::RenewalSource;
    /// use qb_auth_core::lifecycle::{RenewalMode, SessionCredentials};
    /// use qb_auth_core::{AppCredentials, Identity, SecretString};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let credentials = Arc::new(SessionCredentials::new(app, Identity::application()));
    /// let source: RenewalSource<()> = RenewalSource::Credentials(credentials);
    /// assert!(matches!(source.mode(), RenewalMode::Credentials(_)));
    /// let source: RenewalSource<()> = RenewalSource::TokenProvider(Arc::new(()));
    /// assert!(matches!(source.mode(), RenewalMode::TokenProvider));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn mode(&self) -> RenewalMode {
        match self {
            Self::Credentials(provider) => RenewalMode::Credentials(provider.clone()),
            Self::TokenProvider(_) => RenewalMode::TokenProvider,
            Self::Fixed(_) => RenewalMode::FixedToken,
        }
    }

    /// The token provider, for a source that is one.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use qb_auth_core::adapter::RenewalSource;
    ///
    /// let source: RenewalSource<str> = RenewalSource::TokenProvider(Arc::from("a provider"));
    /// assert_eq!(source.token_provider().as_deref(), Some("a provider"));
    /// ```
    pub fn token_provider(&self) -> Option<Arc<P>> {
        match self {
            Self::TokenProvider(provider) => Some(provider.clone()),
            _ => None,
        }
    }

    /// The kind's name: `Credentials`, `TokenProvider` or `Fixed`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use qb_auth_core::adapter::RenewalSource;
    ///
    /// let source: RenewalSource<str> = RenewalSource::TokenProvider(Arc::from("p"));
    /// assert_eq!(source.kind(), "TokenProvider");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Credentials(_) => "Credentials",
            Self::TokenProvider(_) => "TokenProvider",
            Self::Fixed(_) => "Fixed",
        }
    }
}

// By hand: a derive would ask for `P: Clone`, and `P` is a trait object.
impl<P: ?Sized> Clone for RenewalSource<P> {
    fn clone(&self) -> Self {
        match self {
            Self::Credentials(provider) => Self::Credentials(provider.clone()),
            Self::TokenProvider(provider) => Self::TokenProvider(provider.clone()),
            Self::Fixed(session) => Self::Fixed(session.clone()),
        }
    }
}

impl<P: ?Sized> fmt::Debug for RenewalSource<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RenewalSource::{}(..)", self.kind())
    }
}
