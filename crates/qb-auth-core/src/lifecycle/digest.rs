//! A fingerprint of credentials, to tell whether a provider still gives the
//! ones the server refused without keeping them.

use std::fmt;

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::credentials::IdentityInner;

use super::provider::SessionCredentials;

/// SHA-256 over every field a create-session sends. Only equality is ever
/// asked of it; `Debug` does not show it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct CredentialsDigest([u8; 32]);

impl CredentialsDigest {
    pub(crate) fn of(creds: &SessionCredentials) -> Self {
        let mut hash = Fields(Sha256::new());
        hash.add(b"qb-auth credentials v1");
        hash.add(&creds.app.application_id().to_be_bytes());
        hash.add(creds.app.auth_key().as_bytes());
        hash.add(creds.app.auth_secret().expose_secret().as_bytes());
        match &creds.identity.0 {
            IdentityInner::Application => hash.add(b"application"),
            IdentityInner::Login { login, password } => {
                hash.add(b"login");
                hash.add(login.as_bytes());
                hash.add(password.expose_secret().as_bytes());
            }
            IdentityInner::Email { email, password } => {
                hash.add(b"email");
                hash.add(email.as_bytes());
                hash.add(password.expose_secret().as_bytes());
            }
            IdentityInner::Social {
                provider,
                token,
                secret,
                scope,
            } => {
                hash.add(provider.as_str().as_bytes());
                hash.add(token.expose_secret().as_bytes());
                hash.optional(secret.as_ref().map(|s| s.expose_secret().as_bytes()));
                hash.optional(scope.as_ref().map(String::as_bytes));
            }
            IdentityInner::FirebasePhone {
                project_id,
                access_token,
            } => {
                hash.add(b"firebase_phone");
                hash.add(project_id.as_bytes());
                hash.add(access_token.expose_secret().as_bytes());
            }
        }
        Self(hash.0.finalize().into())
    }
}

impl fmt::Debug for CredentialsDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsDigest(..)")
    }
}

/// Length-prefixed fields, so that no two different field lists hash the
/// same bytes (`"ab" + "c"` is not `"a" + "bc"`).
struct Fields(Sha256);

impl Fields {
    fn add(&mut self, field: &[u8]) {
        self.0.update((field.len() as u64).to_be_bytes());
        self.0.update(field);
    }

    fn optional(&mut self, field: Option<&[u8]>) {
        match field {
            Some(field) => {
                self.0.update([1]);
                self.add(field);
            }
            None => self.0.update([0]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AppCredentials, Identity, SecretString};

    fn creds(secret: &str, identity: Identity) -> SessionCredentials {
        let app = AppCredentials::new(1, "key", SecretString::from(secret)).unwrap();
        SessionCredentials::new(app, identity)
    }

    #[test]
    fn equal_for_equal_credentials_and_different_for_any_changed_field() {
        let alice = || Identity::login("alice", "pw").unwrap();
        let base = CredentialsDigest::of(&creds("secret", alice()));
        assert_eq!(base, CredentialsDigest::of(&creds("secret", alice())));
        let changed = [
            creds("secret2", alice()),
            creds("secret", Identity::login("alice", "pw2").unwrap()),
            creds("secret", Identity::email("alice", "pw").unwrap()),
            creds("secret", Identity::application()),
            creds("secret", Identity::login("alic", "epw").unwrap()),
        ];
        for (i, other) in changed.iter().enumerate() {
            assert_ne!(base, CredentialsDigest::of(other), "case {i}");
        }
        assert_eq!(format!("{base:?}"), "CredentialsDigest(..)");
    }
}
