//! Who is asking: the application's credentials and the user's identity.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, KeyInit};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{BuildError, BuildErrorKind};

/// An application's credentials from the QuickBlox dashboard.
///
/// The auth secret signs create-session requests; it never leaves this type
/// except as an HMAC key, and `Debug` redacts it.
///
/// ```
/// use qb_auth_core::{AppCredentials, SecretString};
///
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// assert_eq!(app.application_id(), 12345);
/// assert!(!format!("{app:?}").contains("s3cr3t"));
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Clone)]
pub struct AppCredentials {
    application_id: u64,
    auth_key: String,
    auth_secret: SecretString,
    /// HMAC-SHA1 keyed with the auth secret, ready to sign. Keying hashes
    /// two blocks, two of the five an HMAC of a create-session's string to
    /// sign takes, and they are the same for every request: computed once,
    /// as RFC 2104 (section 4) suggests. It signs as well as the secret, so
    /// it is kept as the secret is: never shown, and wiped on drop (the
    /// `zeroize` features of `hmac` and `sha1`, when the last copy of the
    /// credentials goes). Shared, so that the credentials stay small and
    /// cheap to clone.
    keyed_sha1: Arc<Hmac<sha1::Sha1>>,
}

impl AppCredentials {
    /// Checks that the auth key and secret are not empty.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, BuildErrorKind, SecretString};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// assert_eq!(app.auth_key(), "AbCdEfGh-12345");
    /// let err = AppCredentials::new(12345, " ", SecretString::from("s3cr3t-Key_XYZ")).unwrap_err();
    /// assert_eq!(err.kind(), &BuildErrorKind::Empty("auth_key"));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn new(
        application_id: u64,
        auth_key: impl Into<String>,
        auth_secret: SecretString,
    ) -> Result<Self, BuildError> {
        let auth_key = auth_key.into();
        non_empty(&auth_key, "auth_key")?;
        non_empty(auth_secret.expose_secret(), "auth_secret")?;
        let keyed_sha1 = Arc::new(
            Hmac::new_from_slice(auth_secret.expose_secret().as_bytes())
                .expect("HMAC takes any key"),
        );
        Ok(Self {
            application_id,
            auth_key,
            auth_secret,
            keyed_sha1,
        })
    }

    /// The application id.
    pub fn application_id(&self) -> u64 {
        self.application_id
    }

    /// The authorization key (sent in the clear with every create-session).
    pub fn auth_key(&self) -> &str {
        &self.auth_key
    }

    /// The authorization secret, for signing.
    pub fn auth_secret(&self) -> &SecretString {
        &self.auth_secret
    }

    /// HMAC-SHA1 keyed with the auth secret, to clone for each signature.
    pub(crate) fn keyed_sha1(&self) -> &Hmac<sha1::Sha1> {
        &self.keyed_sha1
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("application_id", &self.application_id)
            .field("auth_key", &self.auth_key)
            .field("auth_secret", &"[REDACTED]")
            .finish()
    }
}

/// A social network QuickBlox can log users in with.
///
/// ```
/// use qb_auth_core::{Identity, IdentityKind, SocialProvider};
///
/// let user = Identity::social(SocialProvider::Facebook, Some("EAAGm0PX4ZCps"), None, None)?;
/// assert_eq!(user.kind(), IdentityKind::Social(SocialProvider::Facebook));
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocialProvider {
    /// Facebook: an access token; a secret is optional.
    Facebook,
    /// Twitter (legacy; QuickBlox's current docs no longer list it): a token
    /// and a secret.
    Twitter,
}

impl SocialProvider {
    /// The `provider` parameter value.
    ///
    /// ```
    /// use qb_auth_core::SocialProvider;
    ///
    /// assert_eq!(SocialProvider::Facebook.as_str(), "facebook");
    /// assert_eq!(SocialProvider::Twitter.as_str(), "twitter");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Facebook => "facebook",
            Self::Twitter => "twitter",
        }
    }
}

/// What kind of identity an [`Identity`] is, without its values; safe to log.
///
/// ```
/// use qb_auth_core::{Identity, IdentityKind};
///
/// let alice = Identity::login("alice", "p@ss word&1=2")?;
/// assert_eq!(alice.kind(), IdentityKind::Login);
/// assert_eq!(Identity::application().kind(), IdentityKind::Application);
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentityKind {
    /// An application session: no user.
    Application,
    /// Login and password (also a custom identity provider).
    Login,
    /// Email and password.
    Email,
    /// Facebook or Twitter.
    Social(SocialProvider),
    /// Firebase phone authentication.
    FirebasePhone,
}

impl IdentityKind {
    /// A short name: `application`, `login`, `email`, `facebook`, `twitter`,
    /// `firebase_phone`.
    ///
    /// ```
    /// use qb_auth_core::{IdentityKind, SocialProvider};
    ///
    /// assert_eq!(IdentityKind::Email.as_str(), "email");
    /// assert_eq!(IdentityKind::Social(SocialProvider::Twitter).as_str(), "twitter");
    /// assert_eq!(IdentityKind::FirebasePhone.as_str(), "firebase_phone");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Login => "login",
            Self::Email => "email",
            Self::Social(p) => p.as_str(),
            Self::FirebasePhone => "firebase_phone",
        }
    }
}

/// Who a session is for: the application alone, or a user.
///
/// Built only through constructors that check their input, so an empty
/// password or a provider secret without a token is an error here and never
/// quietly becomes an application session.
///
/// ```
/// use qb_auth_core::{Identity, IdentityKind, SocialProvider};
///
/// let user = Identity::email("alice@example.com", "secret")?;
/// assert_eq!(user.kind(), IdentityKind::Email);
///
/// let fb = Identity::facebook("EAAGm0PX4ZCps")?.with_scope("email")?;
/// assert_eq!(fb.kind(), IdentityKind::Social(SocialProvider::Facebook));
/// assert!(!format!("{fb:?}").contains("EAAGm0PX4ZCps"));
///
/// assert!(Identity::social(SocialProvider::Facebook, None, Some("s"), None).is_err());
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Clone)]
pub struct Identity(pub(crate) IdentityInner);

#[derive(Clone)]
pub(crate) enum IdentityInner {
    Application,
    Login {
        login: String,
        password: SecretString,
    },
    Email {
        email: String,
        password: SecretString,
    },
    Social {
        provider: SocialProvider,
        token: SecretString,
        secret: Option<SecretString>,
        scope: Option<String>,
    },
    FirebasePhone {
        project_id: String,
        access_token: SecretString,
    },
}

impl Identity {
    /// An application session: read-only access, no user.
    pub const fn application() -> Self {
        Self(IdentityInner::Application)
    }

    /// A user by login and password. The password is a secret as the auth
    /// secret is: a [`SecretString`] (text converts into one, which wipes
    /// it when dropped), as are every token and provider secret an
    /// identity takes.
    ///
    /// ```
    /// use qb_auth_core::{BuildErrorKind, Identity, IdentityKind, SecretString};
    ///
    /// let from_a_vault = SecretString::from(String::from("p@ss word&1=2"));
    /// let alice = Identity::login("alice", from_a_vault)?;
    /// assert_eq!(alice.kind(), IdentityKind::Login);
    /// assert!(!format!("{alice:?}").contains("p@ss"));
    /// let err = Identity::login("alice", " ").unwrap_err();
    /// assert_eq!(err.kind(), &BuildErrorKind::Empty("password"));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn login(
        login: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Result<Self, BuildError> {
        let login = login.into();
        let password = password.into();
        non_empty(&login, "login")?;
        non_empty(password.expose_secret(), "password")?;
        Ok(Self(IdentityInner::Login { login, password }))
    }

    /// A user by email and password.
    ///
    /// ```
    /// use qb_auth_core::{BuildErrorKind, Identity, IdentityKind};
    ///
    /// let alice = Identity::email("alice@example.com", "p@ss word&1=2")?;
    /// assert_eq!(alice.kind(), IdentityKind::Email);
    /// assert!(!format!("{alice:?}").contains("p@ss"));
    /// let err = Identity::email("", "p@ss word&1=2").unwrap_err();
    /// assert_eq!(err.kind(), &BuildErrorKind::Empty("email"));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn email(
        email: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Result<Self, BuildError> {
        let email = email.into();
        let password = password.into();
        non_empty(&email, "email")?;
        non_empty(password.expose_secret(), "password")?;
        Ok(Self(IdentityInner::Email { email, password }))
    }

    /// A user of a custom identity provider (Enterprise plans): QuickBlox
    /// takes the provider's user id and token as login and password and
    /// checks them with the provider.
    pub fn custom_provider(
        user_id: impl Into<String>,
        token: impl Into<SecretString>,
    ) -> Result<Self, BuildError> {
        Self::login(user_id, token)
    }

    /// A Facebook user by access token. Add a scope or secret with
    /// [`Identity::with_scope`] and [`Identity::with_provider_secret`].
    pub fn facebook(token: impl Into<SecretString>) -> Result<Self, BuildError> {
        let token = token.into();
        Self::social(
            SocialProvider::Facebook,
            Some(token.expose_secret()),
            None,
            None,
        )
    }

    /// A Twitter user by token and secret (legacy).
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, CreateSession, Endpoint, Identity, Nonce, SecretString,
    ///     SigningInput};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let user = Identity::twitter("tok123", "sec456")?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
    /// let signed = CreateSession::new(&app, &user, input).build(&Endpoint::default())?;
    /// assert_eq!(signed.signature().as_str(), "ba954ad4df41fee32ea803677724de7d44119983");
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn twitter(
        token: impl Into<SecretString>,
        secret: impl Into<SecretString>,
    ) -> Result<Self, BuildError> {
        let (token, secret) = (token.into(), secret.into());
        Self::social(
            SocialProvider::Twitter,
            Some(token.expose_secret()),
            Some(secret.expose_secret()),
            None,
        )
    }

    /// A social user from optional parts, as a command line gathers them;
    /// checks that they make a valid combination.
    ///
    /// ```
    /// use qb_auth_core::{BuildErrorKind, Identity, IdentityKind, SocialProvider};
    ///
    /// // Blank parts count as absent, as when a command-line flag is left empty.
    /// let fb = Identity::social(SocialProvider::Facebook, Some("EAAGm0PX4ZCps"), Some(""), None)?;
    /// assert_eq!(fb.kind(), IdentityKind::Social(SocialProvider::Facebook));
    /// let err = Identity::social(SocialProvider::Twitter, Some("tok123"), None, None).unwrap_err();
    /// assert!(matches!(err.kind(), BuildErrorKind::MissingForProvider { provider: "twitter", .. }));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn social(
        provider: SocialProvider,
        token: Option<&str>,
        secret: Option<&str>,
        scope: Option<&str>,
    ) -> Result<Self, BuildError> {
        let token = token.filter(|t| !t.trim().is_empty());
        let secret = secret.filter(|s| !s.trim().is_empty());
        let scope = scope.filter(|s| !s.trim().is_empty());
        let Some(token) = token else {
            return Err(BuildError::new(if secret.is_some() {
                BuildErrorKind::SecretWithoutToken
            } else {
                BuildErrorKind::Empty("provider token")
            }));
        };
        if provider == SocialProvider::Twitter && secret.is_none() {
            return Err(BuildError::new(BuildErrorKind::MissingForProvider {
                provider: "twitter",
                field: "provider secret",
            }));
        }
        Ok(Self(IdentityInner::Social {
            provider,
            token: SecretString::from(token),
            secret: secret.map(SecretString::from),
            scope: scope.map(str::to_owned),
        }))
    }

    /// A user signed in with Firebase phone authentication: the Firebase
    /// project id and the user's Firebase ID token.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, CreateSession, Endpoint, Identity, Nonce, SecretString,
    ///     SigningInput};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let user = Identity::firebase_phone("my-proj", "eyJhb.x.y")?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
    /// let signed = CreateSession::new(&app, &user, input).build(&Endpoint::default())?;
    /// assert_eq!(signed.signature().as_str(), "99b2a17a4c594b2eac6815d552621ab42042d535");
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn firebase_phone(
        project_id: impl Into<String>,
        access_token: impl Into<SecretString>,
    ) -> Result<Self, BuildError> {
        let project_id = project_id.into();
        let access_token = access_token.into();
        non_empty(&project_id, "firebase project id")?;
        non_empty(access_token.expose_secret(), "firebase access token")?;
        Ok(Self(IdentityInner::FirebasePhone {
            project_id,
            access_token,
        }))
    }

    /// Adds a `scope` to a social identity.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, CreateSession, Endpoint, Identity, Nonce, SecretString,
    ///     SigningInput};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let fb = Identity::facebook("EAAGm0PX4ZCps")?.with_scope("email")?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
    /// let signed = CreateSession::new(&app, &fb, input).build(&Endpoint::default())?;
    /// assert_eq!(signed.signature().as_str(), "9e559e7ce7aa397b2c90c9f5acaf1cb69e63bc3b");
    /// assert!(Identity::login("alice", "p@ss word&1=2")?.with_scope("email").is_err());
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn with_scope(self, scope: impl Into<String>) -> Result<Self, BuildError> {
        let scope = scope.into();
        non_empty(&scope, "scope")?;
        match self.0 {
            IdentityInner::Social {
                provider,
                token,
                secret,
                ..
            } => Ok(Self(IdentityInner::Social {
                provider,
                token,
                secret,
                scope: Some(scope),
            })),
            _ => Err(not_social()),
        }
    }

    /// Adds a provider secret (`keys[secret]`) to a social identity.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, CreateSession, Endpoint, Identity, Nonce, SecretString,
    ///     SigningInput};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let fb = Identity::facebook("EAAGm0PX4ZCps")?.with_provider_secret("fb-secret")?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
    /// let signed = CreateSession::new(&app, &fb, input).build(&Endpoint::default())?;
    /// assert!(signed.masked_string_to_sign().contains("&keys[secret]=***&keys[token]=***&"));
    /// assert!(!format!("{fb:?}").contains("fb-secret"));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn with_provider_secret(self, secret: impl Into<SecretString>) -> Result<Self, BuildError> {
        let secret = secret.into();
        non_empty(secret.expose_secret(), "provider secret")?;
        match self.0 {
            IdentityInner::Social {
                provider,
                token,
                scope,
                ..
            } => Ok(Self(IdentityInner::Social {
                provider,
                token,
                secret: Some(secret),
                scope,
            })),
            _ => Err(not_social()),
        }
    }

    /// The kind of identity, safe to log.
    ///
    /// ```
    /// use qb_auth_core::{Identity, IdentityKind};
    ///
    /// let user = Identity::firebase_phone("my-proj", "eyJhb.x.y")?;
    /// assert_eq!(user.kind(), IdentityKind::FirebasePhone);
    /// assert_eq!(user.kind().as_str(), "firebase_phone");
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn kind(&self) -> IdentityKind {
        match &self.0 {
            IdentityInner::Application => IdentityKind::Application,
            IdentityInner::Login { .. } => IdentityKind::Login,
            IdentityInner::Email { .. } => IdentityKind::Email,
            IdentityInner::Social { provider, .. } => IdentityKind::Social(*provider),
            IdentityInner::FirebasePhone { .. } => IdentityKind::FirebasePhone,
        }
    }

    /// Whether this identity names a user (anything but an application session).
    pub fn is_user(&self) -> bool {
        !matches!(self.0, IdentityInner::Application)
    }

    /// The login or email this identity signs in with; `None` for an
    /// application session and for social and Firebase identities, whose
    /// user is named only by a secret token. Not a secret (`Debug` shows
    /// it too): processes that share one session derive its key from it.
    pub fn user_name(&self) -> Option<&str> {
        match &self.0 {
            IdentityInner::Login { login, .. } => Some(login),
            IdentityInner::Email { email, .. } => Some(email),
            _ => None,
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const R: &str = "[REDACTED]";
        match &self.0 {
            IdentityInner::Application => f.write_str("Identity::Application"),
            IdentityInner::Login { login, .. } => f
                .debug_struct("Identity::Login")
                .field("login", login)
                .field("password", &R)
                .finish(),
            IdentityInner::Email { email, .. } => f
                .debug_struct("Identity::Email")
                .field("email", email)
                .field("password", &R)
                .finish(),
            IdentityInner::Social {
                provider,
                secret,
                scope,
                ..
            } => f
                .debug_struct("Identity::Social")
                .field("provider", provider)
                .field("token", &R)
                .field("secret", &secret.as_ref().map(|_| R))
                .field("scope", scope)
                .finish(),
            IdentityInner::FirebasePhone { project_id, .. } => f
                .debug_struct("Identity::FirebasePhone")
                .field("project_id", project_id)
                .field("access_token", &R)
                .finish(),
        }
    }
}

fn non_empty(value: &str, field: &'static str) -> Result<(), BuildError> {
    if value.trim().is_empty() {
        Err(BuildError::new(BuildErrorKind::Empty(field)))
    } else {
        Ok(())
    }
}

fn not_social() -> BuildError {
    BuildError::new(BuildErrorKind::IdentityNotAllowed(
        "a scope or provider secret needs a social identity",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_combinations_are_typed_errors() {
        let kind = |r: Result<Identity, BuildError>| r.unwrap_err().kind().clone();
        assert_eq!(
            kind(Identity::login(" ", "p")),
            BuildErrorKind::Empty("login")
        );
        assert_eq!(
            kind(Identity::email("e@x", "")),
            BuildErrorKind::Empty("password")
        );
        assert_eq!(
            kind(Identity::social(
                SocialProvider::Facebook,
                None,
                Some("s"),
                None
            )),
            BuildErrorKind::SecretWithoutToken
        );
        assert_eq!(
            kind(Identity::social(
                SocialProvider::Twitter,
                Some("t"),
                None,
                None
            )),
            BuildErrorKind::MissingForProvider {
                provider: "twitter",
                field: "provider secret"
            }
        );
        assert_eq!(
            kind(Identity::firebase_phone("p", " ")),
            BuildErrorKind::Empty("firebase access token")
        );
        assert!(matches!(
            kind(Identity::application().with_scope("email")),
            BuildErrorKind::IdentityNotAllowed(_)
        ));
        assert!(AppCredentials::new(1, "", SecretString::from("s")).is_err());
        assert!(AppCredentials::new(1, "k", SecretString::from("")).is_err());
    }
}
