//! Which shared session a process takes part in: the application and a
//! hash of the identity's public parts, never a secret.

use std::fmt;

use qb_auth_core::lifecycle::SessionCredentials;
use qb_auth_core::{BuildError, BuildErrorKind, IdentityKind};
use sha2::{Digest, Sha256};

/// Names one session shared by a fleet of processes: the application id
/// and a hash of who the session is for (the identity's kind and its login
/// or email, or a name you choose). No password, secret or provider token
/// goes into it, not even hashed, so it is safe in a key name and a log.
///
/// ```
/// use qb_auth_client::fleet::FleetKey;
/// use qb_auth_client::qb_auth_core::{AppCredentials, Identity, SecretString};
/// use qb_auth_client::qb_auth_core::lifecycle::SessionCredentials;
///
/// let app = AppCredentials::new(12345, "key", SecretString::from("secret"))?;
/// let alice = SessionCredentials::new(app.clone(), Identity::login("alice", "pw1")?);
/// let rotated = SessionCredentials::new(app, Identity::login("alice", "pw2")?);
/// let key = FleetKey::for_credentials(&alice)?;
/// // A new password is still the same user: the same shared session.
/// assert_eq!(key, FleetKey::for_credentials(&rotated)?);
/// assert!(key.as_str().starts_with("12345:"));
/// assert!(!key.as_str().contains("pw1"));
/// # Ok::<(), qb_auth_client::qb_auth_core::BuildError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FleetKey {
    text: String,
}

impl FleetKey {
    /// The key of the session `credentials` create: application sessions
    /// and users by login or email. Social and Firebase identities name
    /// their user only through a secret token: give those a name with
    /// [`named`](Self::named).
    ///
    /// # Errors
    ///
    /// [`BuildErrorKind::NoFleetKey`] for a social or Firebase
    /// identity.
    ///
    /// ```
    /// use qb_auth_client::fleet::FleetKey;
    /// use qb_auth_client::qb_auth_core::{AppCredentials, Identity, SecretString};
    /// use qb_auth_client::qb_auth_core::lifecycle::SessionCredentials;
    ///
    /// let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
    /// let creds = SessionCredentials::new(app.clone(), Identity::application());
    /// assert!(FleetKey::for_credentials(&creds).is_ok());
    /// let fb = SessionCredentials::new(app, Identity::facebook("EAAG")?);
    /// assert!(FleetKey::for_credentials(&fb).is_err());
    /// # Ok::<(), qb_auth_client::qb_auth_core::BuildError>(())
    /// ```
    pub fn for_credentials(credentials: &SessionCredentials) -> Result<Self, BuildError> {
        let identity = &credentials.identity;
        let app = credentials.app.application_id();
        match (identity.kind(), identity.user_name()) {
            (IdentityKind::Application, _) => Ok(Self::hashed(app, "application", "")),
            (kind @ (IdentityKind::Login | IdentityKind::Email), Some(name)) => {
                Ok(Self::hashed(app, kind.as_str(), name))
            }
            _ => Err(BuildError::from(BuildErrorKind::NoFleetKey(
                "this identity names its user only by a secret: give the shared session a FleetKey::named",
            ))),
        }
    }

    /// A key you name, for sessions from a token provider or a social or
    /// Firebase identity: every process that passes the same application
    /// id and name shares one session. The name must not be a secret (it
    /// is hashed, but a hash of a short secret can be guessed).
    ///
    /// ```
    /// use qb_auth_client::fleet::FleetKey;
    ///
    /// let key = FleetKey::named(12345, "billing-workers");
    /// assert_eq!(key, FleetKey::named(12345, "billing-workers"));
    /// assert_ne!(key, FleetKey::named(12345, "mailers"));
    /// ```
    pub fn named(application_id: u64, name: &str) -> Self {
        Self::hashed(application_id, "named", name)
    }

    /// The key as text: `<application id>:<32 hex digits>`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The application id the key names.
    pub(crate) fn application_id(&self) -> Option<u64> {
        self.text.split(':').next()?.parse().ok()
    }

    fn hashed(app: u64, kind: &str, name: &str) -> Self {
        let mut hash = Sha256::new();
        // Length-prefixed fields: no two field lists hash the same bytes.
        for field in [
            b"qb-auth fleet key v1".as_slice(),
            kind.as_bytes(),
            name.as_bytes(),
        ] {
            hash.update((field.len() as u64).to_be_bytes());
            hash.update(field);
        }
        hash.update(app.to_be_bytes());
        let digest = hash.finalize();
        Self {
            text: format!("{app}:{}", const_hex::encode(&digest[..16])),
        }
    }
}

impl fmt::Debug for FleetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FleetKey").field(&self.text).finish()
    }
}

impl fmt::Display for FleetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qb_auth_core::{AppCredentials, Identity, SecretString};

    fn creds(app: u64, identity: Identity) -> SessionCredentials {
        let app = AppCredentials::new(app, "key", SecretString::from("s3cr3t")).unwrap();
        SessionCredentials::new(app, identity)
    }

    #[test]
    fn differs_by_app_kind_and_user_and_holds_no_secret() {
        let alice = FleetKey::for_credentials(&creds(1, Identity::login("alice", "pw").unwrap()));
        let alice = alice.unwrap();
        let keys = [
            FleetKey::for_credentials(&creds(2, Identity::login("alice", "pw").unwrap())).unwrap(),
            FleetKey::for_credentials(&creds(1, Identity::email("alice", "pw").unwrap())).unwrap(),
            FleetKey::for_credentials(&creds(1, Identity::login("bob", "pw").unwrap())).unwrap(),
            FleetKey::for_credentials(&creds(1, Identity::application())).unwrap(),
            FleetKey::named(1, "alice"),
        ];
        for (i, other) in keys.iter().enumerate() {
            assert_ne!(&alice, other, "case {i}");
        }
        for key in keys.iter().chain([&alice]) {
            assert!(!key.as_str().contains("s3cr3t") && !key.as_str().contains("pw"));
            assert_eq!(key.as_str().split(':').nth(1).map(str::len), Some(32));
        }
        let phone = creds(1, Identity::firebase_phone("proj", "eyJ.x.y").unwrap());
        let err = FleetKey::for_credentials(&phone).unwrap_err();
        assert!(!err.to_string().contains("eyJ"));
    }
}
