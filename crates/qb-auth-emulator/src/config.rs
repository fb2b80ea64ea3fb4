//! What the emulator knows: applications, users and the provider tokens it
//! accepts. Fixed once the emulator starts.

use std::collections::HashSet;
use std::fmt;

use qb_auth_core::{ExposeSecret, SecretString};

use crate::error::ConfigError;

/// An application, as the QuickBlox dashboard would show it.
///
/// `Debug` redacts the auth secret, the API key and the account key.
///
/// ```
/// use qb_auth_emulator::AppConfig;
///
/// let app = AppConfig::new(12345, "AbCdEfGh-12345", "s3cr3t-Key_XYZ")
///     .api_key("my-api-key")
///     .account_key("my-account-key");
/// assert_eq!(app.id(), 12345);
/// let shown = format!("{app:?}");
/// assert!(!shown.contains("s3cr3t") && !shown.contains("my-api-key"));
/// ```
#[derive(Clone)]
pub struct AppConfig {
    pub(crate) id: u64,
    pub(crate) auth_key: String,
    pub(crate) auth_secret: SecretString,
    pub(crate) api_key: Option<SecretString>,
    pub(crate) account_key: Option<SecretString>,
    pub(crate) accept_sha256: bool,
}

impl AppConfig {
    /// An application with its id, authorization key and authorization secret.
    ///
    /// ```
    /// use qb_auth_emulator::AppConfig;
    ///
    /// let app = AppConfig::new(12345, "AbCdEfGh-12345", "s3cr3t-Key_XYZ");
    /// assert_eq!((app.id(), app.auth_key()), (12345, "AbCdEfGh-12345"));
    /// assert!(!format!("{app:?}").contains("s3cr3t"), "Debug redacts the secret");
    /// ```
    pub fn new(id: u64, auth_key: impl Into<String>, auth_secret: impl Into<String>) -> Self {
        Self {
            id,
            auth_key: auth_key.into(),
            auth_secret: SecretString::from(auth_secret.into()),
            api_key: None,
            account_key: None,
            accept_sha256: false,
        }
    }

    /// Accepts `Authorization: ApiKey <key>` for this application.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// Answers `GET /account_settings.json` for `QB-Account-Key: <key>`.
    pub fn account_key(mut self, key: impl Into<String>) -> Self {
        self.account_key = Some(SecretString::from(key.into()));
        self
    }

    /// Also accepts HMAC-SHA256 signatures (64 hex characters). Off by
    /// default: QuickBlox has not confirmed that its server accepts them, so
    /// the emulator answers "Unexpected signature" unless told otherwise.
    pub fn accept_sha256(mut self, accept: bool) -> Self {
        self.accept_sha256 = accept;
        self
    }

    /// The application id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The authorization key.
    pub fn auth_key(&self) -> &str {
        &self.auth_key
    }
}

impl fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppConfig")
            .field("id", &self.id)
            .field("auth_key", &self.auth_key)
            .field("auth_secret", &"[REDACTED]")
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field(
                "account_key",
                &self.account_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("accept_sha256", &self.accept_sha256)
            .finish()
    }
}

/// A user who can log in with a login or an email and a password.
///
/// Users belong to the whole emulator, not to one application: any
/// configured application can create a session for any user. `Debug`
/// redacts the password.
///
/// ```
/// use qb_auth_emulator::UserConfig;
///
/// let alice = UserConfig::new(1001, "alice", "p@ss word&1=2").email("alice@example.com");
/// assert_eq!(alice.id(), 1001);
/// assert!(!format!("{alice:?}").contains("p@ss"));
/// ```
#[derive(Clone)]
pub struct UserConfig {
    pub(crate) id: u64,
    pub(crate) login: String,
    pub(crate) password: SecretString,
    pub(crate) email: Option<String>,
    pub(crate) full_name: Option<String>,
}

impl UserConfig {
    /// A user with an id (not 0), a login and a password.
    ///
    /// ```
    /// use qb_auth_emulator::UserConfig;
    ///
    /// let alice = UserConfig::new(1001, "alice", "p@ss word&1=2");
    /// assert_eq!((alice.id(), alice.login()), (1001, "alice"));
    /// assert!(!format!("{alice:?}").contains("p@ss"), "Debug redacts the password");
    /// ```
    pub fn new(id: u64, login: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            id,
            login: login.into(),
            password: SecretString::from(password.into()),
            email: None,
            full_name: None,
        }
    }

    /// Lets the user also log in by email (compared without regard to ASCII case).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The `full_name` shown in user answers.
    pub fn full_name(mut self, name: impl Into<String>) -> Self {
        self.full_name = Some(name.into());
        self
    }

    /// The user id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The login.
    pub fn login(&self) -> &str {
        &self.login
    }
}

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("password", &"[REDACTED]")
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .finish()
    }
}

/// A provider token the emulator accepts as a test token, and its user.
#[derive(Clone)]
pub(crate) enum ProviderLogin {
    Facebook {
        token: SecretString,
        user_id: u64,
    },
    Twitter {
        token: SecretString,
        secret: SecretString,
        user_id: u64,
    },
    Firebase {
        project_id: String,
        access_token: SecretString,
        user_id: u64,
    },
}

impl ProviderLogin {
    pub(crate) fn user_id(&self) -> u64 {
        match self {
            Self::Facebook { user_id, .. }
            | Self::Twitter { user_id, .. }
            | Self::Firebase { user_id, .. } => *user_id,
        }
    }

    pub(crate) fn provider(&self) -> &'static str {
        match self {
            Self::Facebook { .. } => "facebook",
            Self::Twitter { .. } => "twitter",
            Self::Firebase { .. } => "firebase_phone",
        }
    }
}

impl fmt::Debug for ProviderLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderLogin")
            .field("provider", &self.provider())
            .field("user_id", &self.user_id())
            .finish_non_exhaustive()
    }
}

/// Everything fixed at start: checked once, then shared read-only.
#[derive(Debug, Clone, Default)]
pub(crate) struct Directory {
    pub(crate) apps: Vec<AppConfig>,
    /// Sorted by id, which is the order `GET /users.json` lists them in.
    pub(crate) users: Vec<UserConfig>,
    pub(crate) provider_logins: Vec<ProviderLogin>,
}

impl Directory {
    /// Checks the whole configuration; the first problem found is returned.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.apps.is_empty() {
            return Err(ConfigError::NoApplication);
        }
        let mut app_ids = HashSet::new();
        let mut api_keys = HashSet::new();
        let mut account_keys = HashSet::new();
        for app in &self.apps {
            let owner = || format!("application {}", app.id);
            if !app_ids.insert(app.id) {
                return Err(ConfigError::DuplicateApp(app.id));
            }
            non_empty(&app.auth_key, "auth_key", owner)?;
            non_empty(app.auth_secret.expose_secret(), "auth_secret", owner)?;
            if let Some(key) = &app.api_key {
                non_empty(key.expose_secret(), "api_key", owner)?;
                if !api_keys.insert(key.expose_secret()) {
                    return Err(ConfigError::DuplicateKey("api_key"));
                }
            }
            if let Some(key) = &app.account_key {
                non_empty(key.expose_secret(), "account_key", owner)?;
                if !account_keys.insert(key.expose_secret()) {
                    return Err(ConfigError::DuplicateKey("account_key"));
                }
            }
        }
        let mut user_ids = HashSet::new();
        let mut logins = HashSet::new();
        let mut emails = HashSet::new();
        for user in &self.users {
            let owner = || format!("user {}", user.id);
            if user.id == 0 {
                return Err(ConfigError::ZeroUserId);
            }
            if !user_ids.insert(user.id) {
                return Err(ConfigError::DuplicateUserId(user.id));
            }
            non_empty(&user.login, "login", owner)?;
            non_empty(user.password.expose_secret(), "password", owner)?;
            if !logins.insert(user.login.as_str()) {
                return Err(ConfigError::DuplicateUserName {
                    field: "login",
                    user_id: user.id,
                });
            }
            if let Some(email) = &user.email {
                non_empty(email, "email", owner)?;
                if !emails.insert(email.to_ascii_lowercase()) {
                    return Err(ConfigError::DuplicateUserName {
                        field: "email",
                        user_id: user.id,
                    });
                }
            }
        }
        for login in &self.provider_logins {
            if !user_ids.contains(&login.user_id()) {
                return Err(ConfigError::UnknownUser {
                    provider: login.provider(),
                    user_id: login.user_id(),
                });
            }
            let owner = || format!("a {} token", login.provider());
            match login {
                ProviderLogin::Facebook { token, .. } => {
                    non_empty(token.expose_secret(), "token", owner)?;
                }
                ProviderLogin::Twitter { token, secret, .. } => {
                    non_empty(token.expose_secret(), "token", owner)?;
                    non_empty(secret.expose_secret(), "secret", owner)?;
                }
                ProviderLogin::Firebase {
                    project_id,
                    access_token,
                    ..
                } => {
                    non_empty(project_id, "project_id", owner)?;
                    non_empty(access_token.expose_secret(), "access_token", owner)?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn app(&self, id: u64) -> Option<&AppConfig> {
        self.apps.iter().find(|app| app.id == id)
    }

    pub(crate) fn user(&self, id: u64) -> Option<&UserConfig> {
        self.users.iter().find(|user| user.id == id)
    }
}

fn non_empty(
    value: &str,
    field: &'static str,
    owner: impl FnOnce() -> String,
) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        Err(ConfigError::Empty {
            field,
            owner: owner(),
        })
    } else {
        Ok(())
    }
}
