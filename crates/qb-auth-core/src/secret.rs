//! Secret newtypes: redacted in `Debug`, zeroized on drop, exposed only on
//! purpose.

use std::fmt;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A QuickBlox session token (`QB-Token`).
///
/// Opaque and of any length: old tokens are 40 hex characters, newer ones
/// are JWTs. `Debug` prints `SessionToken([REDACTED])`. It serialises in
/// the clear on purpose, so that a process can save its session and restore
/// it after a restart; store the result as you would any credential.
///
/// ```
/// use qb_auth_core::SessionToken;
///
/// let token = SessionToken::new("c56f382b402fb482086db956064592d3cd012bba");
/// assert_eq!(format!("{token:?}"), "SessionToken([REDACTED])");
/// assert_eq!(token.expose(), "c56f382b402fb482086db956064592d3cd012bba");
/// ```
// Shared, not copied: a managed session hands its token to every request
// (a middleware's too), and a copy would be an allocation each time. The
// text is wiped when the last holder drops it.
#[derive(Clone)]
pub struct SessionToken(Arc<SecretString>);

impl SessionToken {
    /// Wraps a token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(Arc::new(SecretString::from(token.into())))
    }

    /// The token text, for the `QB-Token` header or for storage.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([REDACTED])")
    }
}

impl PartialEq for SessionToken {
    fn eq(&self, other: &Self) -> bool {
        // Tokens are compared only to detect renewals, never to authenticate.
        self.expose() == other.expose()
    }
}

impl Eq for SessionToken {}

impl Serialize for SessionToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for SessionToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl From<String> for SessionToken {
    fn from(token: String) -> Self {
        Self::new(token)
    }
}

impl From<&str> for SessionToken {
    fn from(token: &str) -> Self {
        Self::new(token)
    }
}
