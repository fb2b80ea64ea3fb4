//! Where a managed session's tokens come from.

use std::fmt;
use std::sync::Arc;

use qb_auth_core::lifecycle::{CredentialProvider, RenewalMode, SessionCredentials};
use qb_auth_core::{AppCredentials, Identity, Session, SessionToken};

use super::providers::TokenProvider;
#[cfg(feature = "blocking")]
use crate::bridge::FromBlocking;

/// How a managed session gets its tokens: credentials it signs with, a
/// token provider, or a fixed token.
///
/// `Debug` names the kind only: providers hold secrets and a fixed session
/// holds a token.
#[derive(Clone)]
pub struct SessionSource {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Credentials(Arc<dyn CredentialProvider>),
    TokenProvider(Arc<dyn TokenProvider>),
    Fixed(Box<Session>),
    /// A fixed session not yet checked with the server: the lifecycle
    /// "renews" it once, by reading it (`GET /session.json`).
    Unchecked(Box<Session>),
}

impl SessionSource {
    /// An application session for `app`: the short form of
    /// [`credentials`](Self::credentials) with [`Identity::application`].
    pub fn application(app: AppCredentials) -> Self {
        Self::credentials(SessionCredentials::new(app, Identity::application()))
    }

    /// A user session for `identity` in `app`: the short form of
    /// [`credentials`](Self::credentials).
    pub fn user(app: AppCredentials, identity: Identity) -> Self {
        Self::credentials(SessionCredentials::new(app, identity))
    }

    /// Create sessions with credentials the provider gives anew for every
    /// attempt: fixed [`SessionCredentials`], or a closure that reads a
    /// rotated password or a fresh Firebase ID token.
    pub fn credentials(provider: impl CredentialProvider + 'static) -> Self {
        Self {
            kind: Kind::Credentials(Arc::new(provider)),
        }
    }

    /// Use this token (from your backend, or from storage) until it
    /// expires or the server rejects it; then calls fail with
    /// [`Error::Renewal`](crate::Error::Renewal).
    ///
    /// Before its first use the token is checked once with `GET
    /// /session.json`, which fills in its application, user and expiry; a
    /// token the server refuses fails the first call with
    /// [`Error::Renewal`](crate::Error::Renewal) (its
    /// [`api_error`](crate::Error::api_error) says why) before any request
    /// of yours is sent. [`ManagedSessionBuilder::skip_token_check`](crate::ManagedSessionBuilder::skip_token_check)
    /// uses it as it is.
    pub fn fixed(token: SessionToken) -> Self {
        Self::fixed_session(Session::new(token))
    }

    /// Like [`fixed`](Self::fixed), with what is known of the session (its
    /// expiry, application and user).
    pub fn fixed_session(session: Session) -> Self {
        Self {
            kind: Kind::Fixed(Box::new(session)),
        }
    }

    /// Ask `provider` for each new session (a backend that mints them), so
    /// no secret ships with this process. For the async client; see
    /// [`TokenProvider`].
    pub fn token_provider(provider: impl TokenProvider + 'static) -> Self {
        Self {
            kind: Kind::TokenProvider(Arc::new(provider)),
        }
    }

    /// [`token_provider`](Self::token_provider) for the blocking client: a
    /// [`BlockingTokenProvider`](crate::BlockingTokenProvider), asked on
    /// the thread that renews.
    #[cfg(feature = "blocking")]
    pub fn blocking_token_provider(provider: impl crate::BlockingTokenProvider + 'static) -> Self {
        let provider: Arc<dyn crate::BlockingTokenProvider> = Arc::new(provider);
        Self::token_provider(FromBlocking(provider))
    }

    pub(crate) fn mode(&self) -> RenewalMode {
        match &self.kind {
            Kind::Credentials(provider) => RenewalMode::Credentials(provider.clone()),
            Kind::TokenProvider(_) => RenewalMode::TokenProvider,
            Kind::Fixed(_) => RenewalMode::FixedToken,
            Kind::Unchecked(session) => RenewalMode::CheckToken(session.token.clone()),
        }
    }

    /// The same source, its fixed session (if any) to be checked first.
    pub(crate) fn checked_first(self) -> Self {
        match self.kind {
            Kind::Fixed(session) => Self {
                kind: Kind::Unchecked(session),
            },
            kind => Self { kind },
        }
    }

    /// The session handed in that waits for its check.
    pub(crate) fn unchecked(&self) -> Option<&Session> {
        match &self.kind {
            Kind::Unchecked(session) => Some(session),
            _ => None,
        }
    }

    /// The provider of the application's credentials, which a login on the
    /// token keeps and pairs with the user's identity.
    pub(crate) fn credential_provider(&self) -> Option<Arc<dyn CredentialProvider>> {
        match &self.kind {
            Kind::Credentials(provider) => Some(provider.clone()),
            _ => None,
        }
    }

    pub(crate) fn provider(&self) -> Option<Arc<dyn TokenProvider>> {
        match &self.kind {
            Kind::TokenProvider(provider) => Some(provider.clone()),
            _ => None,
        }
    }

    pub(crate) fn fixed_session_ref(&self) -> Option<&Session> {
        match &self.kind {
            Kind::Fixed(session) => Some(session),
            _ => None,
        }
    }

    fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Credentials(_) => "Credentials",
            Kind::TokenProvider(_) => "TokenProvider",
            Kind::Fixed(_) | Kind::Unchecked(_) => "Fixed",
        }
    }
}

impl fmt::Debug for SessionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionSource::{}(..)", self.kind_name())
    }
}
