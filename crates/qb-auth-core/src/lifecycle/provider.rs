//! Where a renewal gets what it needs: credentials asked anew each time, a
//! token provider, or nothing (a fixed token).

use std::error::Error as StdError;
use std::fmt;

use crate::described::Described;
use std::sync::Arc;

use crate::call::Operation;
use crate::credentials::{AppCredentials, Identity};
use crate::nonce::SigningInput;
use crate::request::CreateSession;
use crate::secret::SessionToken;

/// What a create-session is signed with: the application's credentials and
/// who the session is for.
///
/// ```
/// use qb_auth_core::{AppCredentials, Identity, Operation, SecretString};
/// use qb_auth_core::lifecycle::SessionCredentials;
///
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let creds = SessionCredentials::new(app, Identity::login("alice", "pw")?);
/// assert_eq!(creds.operation(), Operation::CreateUserSession);
/// assert!(!format!("{creds:?}").contains("s3cr3t"));
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SessionCredentials {
    /// The application's id, key and secret.
    pub app: AppCredentials,
    /// The user (or the application alone).
    pub identity: Identity,
}

impl SessionCredentials {
    /// Pairs application credentials with an identity.
    pub fn new(app: AppCredentials, identity: Identity) -> Self {
        Self { app, identity }
    }

    /// The operation the answer to this create-session belongs to, for
    /// [`parse_session`](crate::parse_session) and
    /// [`NewSession::from_response`](super::NewSession::from_response): a
    /// 401 means invalid credentials only for a user session.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, Identity, Operation, SecretString};
    /// use qb_auth_core::lifecycle::SessionCredentials;
    ///
    /// let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
    /// let creds = SessionCredentials::new(app, Identity::application());
    /// assert_eq!(creds.operation(), Operation::CreateApplicationSession);
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn operation(&self) -> Operation {
        if self.identity.is_user() {
            Operation::CreateUserSession
        } else {
            Operation::CreateApplicationSession
        }
    }

    /// A create-session request for these credentials, signed with `input`
    /// (take it from [`RenewalTicket::signing_input`](super::RenewalTicket::signing_input)
    /// so that the measured clock offset is applied).
    pub fn create_session(&self, input: SigningInput) -> CreateSession<'_> {
        CreateSession::new(&self.app, &self.identity, input)
    }
}

/// Gives the credentials for each renewal, asked anew every time.
///
/// Replaying cached secrets is how clients end up signing with a rotated
/// password forever (quickblox-android-sdk #529); asking each time lets a
/// backend rotate passwords and lets Firebase phone logins bring a fresh ID
/// token. The call is synchronous and made by the driver outside any
/// lock, once per attempt.
///
/// Implemented for a fixed [`SessionCredentials`] and for closures:
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use qb_auth_core::{AppCredentials, Identity, SecretString};
/// use qb_auth_core::lifecycle::{CredentialProvider, ProviderError, SessionCredentials};
///
/// let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
/// let fixed = SessionCredentials::new(app.clone(), Identity::application());
/// assert!(fixed.credentials().is_ok());
///
/// let rotations = AtomicU32::new(0);
/// let rotating = move || -> Result<SessionCredentials, ProviderError> {
///     let n = rotations.fetch_add(1, Ordering::Relaxed);
///     let user = Identity::login("alice", format!("password-{n}"))
///         .map_err(|e| ProviderError::permanent(e.to_string()))?;
///     Ok(SessionCredentials::new(app.clone(), user))
/// };
/// assert!(rotating.credentials().is_ok());
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
pub trait CredentialProvider: Send + Sync {
    /// The credentials to sign the next create-session with.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, Identity, IdentityKind, SecretString};
    /// use qb_auth_core::lifecycle::{CredentialProvider, SessionCredentials};
    ///
    /// let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
    /// let provider = SessionCredentials::new(app, Identity::email("a@example.com", "pw")?);
    /// assert_eq!(provider.credentials()?.identity.kind(), IdentityKind::Email);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn credentials(&self) -> Result<SessionCredentials, ProviderError>;
}

impl CredentialProvider for SessionCredentials {
    fn credentials(&self) -> Result<SessionCredentials, ProviderError> {
        Ok(self.clone())
    }
}

impl<F> CredentialProvider for F
where
    F: Fn() -> Result<SessionCredentials, ProviderError> + Send + Sync,
{
    fn credentials(&self) -> Result<SessionCredentials, ProviderError> {
        self()
    }
}

/// A credential or token provider could not give what a renewal needs.
///
/// Say whether trying again later can help: a network error fetching a
/// Firebase token is transient, a signed-out user is not. The message must
/// not contain secrets; it is shown in `Debug` and `Display`.
///
/// ```
/// use qb_auth_core::lifecycle::ProviderError;
///
/// let err = ProviderError::transient("vault unreachable");
/// assert!(err.is_retryable());
/// assert_eq!(err.to_string(), "credential provider failed: vault unreachable");
/// ```
#[derive(Clone)]
pub struct ProviderError {
    described: Described,
    retryable: bool,
}

impl ProviderError {
    /// A failure that retrying cannot fix: the renewal stops.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::ProviderError;
    ///
    /// assert!(!ProviderError::permanent("user signed out").is_retryable());
    /// ```
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            described: Described::new(message),
            retryable: false,
        }
    }

    /// A failure that may pass: the renewal backs off and tries again.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::ProviderError;
    ///
    /// assert!(ProviderError::transient("timeout").is_retryable());
    /// ```
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            ..Self::permanent(message)
        }
    }

    /// Keeps the underlying error, reachable through
    /// [`std::error::Error::source`].
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.described.set_source(source);
        self
    }

    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The message given at construction.
    pub fn message(&self) -> &str {
        self.described.message()
    }
}

impl fmt::Debug for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ProviderError");
        self.described.debug_fields(&mut d);
        d.field("retryable", &self.retryable).finish()
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "credential provider failed: {}",
            self.described.message()
        )
    }
}

impl StdError for ProviderError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.described.source()
    }
}

/// How a [`SessionLifecycle`](super::SessionLifecycle) gets a new session,
/// chosen at construction.
///
/// ```
/// use qb_auth_core::{AppCredentials, Identity, SecretString};
/// use qb_auth_core::lifecycle::{RenewalMode, SessionCredentials};
///
/// let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
/// let mode = RenewalMode::credentials(SessionCredentials::new(app, Identity::application()));
/// assert!(mode.can_renew());
/// assert!(!RenewalMode::FixedToken.can_renew());
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Clone)]
pub enum RenewalMode {
    /// Sign a create-session with credentials the provider gives anew for
    /// each attempt.
    Credentials(Arc<dyn CredentialProvider>),
    /// Ask a token provider (a backend that mints sessions, so no secret
    /// lives on this side). The driver holds and calls the provider; the
    /// core only needs to know that renewal is possible.
    TokenProvider,
    /// An existing token that cannot be renewed: once it expires or is
    /// rejected, asking for a token fails with
    /// [`RenewalError::NotRenewable`](super::RenewalError::NotRenewable).
    FixedToken,
    /// A token handed in, checked once before its first use: the first
    /// ticket reads its session (`GET /session.json`, which fills in its
    /// application, user and expiry), and once that is installed the
    /// token is fixed ([`FixedToken`](Self::FixedToken)).
    CheckToken(SessionToken),
}

impl RenewalMode {
    /// [`RenewalMode::Credentials`] from any provider.
    pub fn credentials(provider: impl CredentialProvider + 'static) -> Self {
        Self::Credentials(Arc::new(provider))
    }

    /// Whether this mode can get a new session at all.
    pub fn can_renew(&self) -> bool {
        !matches!(self, Self::FixedToken)
    }
}

impl fmt::Debug for RenewalMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Providers are opaque (and hold secrets): name the mode only.
        f.write_str(match self {
            Self::Credentials(_) => "RenewalMode::Credentials(..)",
            Self::TokenProvider => "RenewalMode::TokenProvider",
            Self::FixedToken => "RenewalMode::FixedToken",
            Self::CheckToken(_) => "RenewalMode::CheckToken(..)",
        })
    }
}

/// A credentials or token provider that builds an [`Identity`] can use `?`:
/// input that cannot be signed will not be fixed by asking again.
impl From<crate::BuildError> for ProviderError {
    fn from(err: crate::BuildError) -> Self {
        Self::permanent("the provider's credentials cannot be used").with_source(err)
    }
}

/// Reading a secret from a file or a socket may pass: retried with backoff.
impl From<std::io::Error> for ProviderError {
    fn from(err: std::io::Error) -> Self {
        Self::transient("the provider could not read its credentials").with_source(err)
    }
}

/// A variable missing from the environment stays missing.
impl From<std::env::VarError> for ProviderError {
    fn from(err: std::env::VarError) -> Self {
        Self::permanent("the provider's environment variable is missing or not UTF-8")
            .with_source(err)
    }
}

/// The error of a provider that fetched its session from elsewhere (a
/// backend over HTTP, a store): treated as one that may pass.
impl From<Box<dyn StdError + Send + Sync>> for ProviderError {
    fn from(err: Box<dyn StdError + Send + Sync>) -> Self {
        Self::transient("the provider failed").with_source(BoxedSource(err))
    }
}

/// `Box<dyn Error>` is not itself an `Error`; this carries it as a source.
#[derive(Debug)]
struct BoxedSource(Box<dyn StdError + Send + Sync>);

impl fmt::Display for BoxedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for BoxedSource {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}
