//! A fingerprint of credentials, to tell whether a provider still gives the
//! ones the server refused without keeping them.

use std::fmt;

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::params::Params;

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
        // The identity's fields as its requests carry them: one walk of
        // the identity kinds, shared with the request builders.
        for (key, value) in Params::login(&creds.identity.0).pairs() {
            hash.add(key.flat.as_bytes());
            hash.add(value.as_bytes());
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
            creds("secret", Identity::twitter("tok", "sec").unwrap()),
        ];
        for (i, other) in changed.iter().enumerate() {
            assert_ne!(base, CredentialsDigest::of(other), "case {i}");
        }
        assert_eq!(format!("{base:?}"), "CredentialsDigest(..)");
        let twitter = |secret| creds("secret", Identity::twitter("tok", secret).unwrap());
        assert_ne!(
            CredentialsDigest::of(&twitter("a")),
            CredentialsDigest::of(&twitter("b"))
        );
        assert_ne!(
            CredentialsDigest::of(&twitter("a")),
            CredentialsDigest::of(&creds("secret", Identity::facebook("tok").unwrap()))
        );
    }
}
