//! Errors from building a request: the caller's input was not usable.
//!
//! Errors from the server's answers live in [`crate::response`].

use std::fmt;

/// A request could not be built from the given input.
///
/// These are caller mistakes (an empty password, a social secret without a
/// token, an endpoint that is not a URL), reported before anything is sent
/// rather than turned into a silent fallback. Messages never contain secret
/// values, only the names of the fields at fault.
///
/// ```
/// use qb_auth_core::{BuildErrorKind, Identity};
///
/// let err = Identity::login("alice", "").unwrap_err();
/// assert_eq!(err.kind(), &BuildErrorKind::Empty("password"));
/// assert_eq!(err.to_string(), "password must not be empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct BuildError {
    kind: BuildErrorKind,
}

impl BuildError {
    pub(crate) const fn new(kind: BuildErrorKind) -> Self {
        Self { kind }
    }

    /// What was wrong.
    pub fn kind(&self) -> &BuildErrorKind {
        &self.kind
    }
}

/// The kinds of [`BuildError`].
///
/// ```
/// use qb_auth_core::{BuildErrorKind, Identity, SocialProvider};
///
/// let err = Identity::social(SocialProvider::Facebook, None, Some("sec456"), None).unwrap_err();
/// assert_eq!(err.kind(), &BuildErrorKind::SecretWithoutToken);
/// assert_eq!(
///     err.kind().to_string(),
///     "a provider secret was given without a provider token"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildErrorKind {
    /// A required field was empty or only white space.
    Empty(&'static str),
    /// A social provider secret was given without a token.
    SecretWithoutToken,
    /// The named provider needs a field that was not given.
    MissingForProvider {
        /// The provider, such as `twitter`.
        provider: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// The nonce is outside `1..=2^31-1`.
    NonceOutOfRange(u64),
    /// The endpoint is not an absolute `http` or `https` URL.
    InvalidEndpoint(String),
    /// The endpoint is plain `http://` to a host that is not loopback (the
    /// host is given): passwords, tokens and signatures would cross the
    /// network in clear text. Use `https://`.
    PlainHttpNotLoopback(String),
    /// A value cannot go into an HTTP header (control characters, new lines).
    InvalidHeaderValue(&'static str),
    /// This identity cannot be used for this call (for example an
    /// application identity for `POST /login.json`).
    IdentityNotAllowed(&'static str),
    /// A session shared through a fleet needs a key that names it, and
    /// none can be derived from its source (a token provider, or an
    /// identity named only by a secret): why, and what to do.
    NoFleetKey(&'static str),
    /// The operating system's random number generator failed.
    RandomUnavailable,
    /// A request this crate built was rejected by the `http` crate.
    Http(String),
    /// A lifecycle [`Policy`](crate::lifecycle::Policy) setting is out of
    /// range.
    InvalidPolicy {
        /// The setting, as named in `Policy`.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for BuildErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty(field) => write!(f, "{field} must not be empty"),
            Self::SecretWithoutToken => {
                f.write_str("a provider secret was given without a provider token")
            }
            Self::MissingForProvider { provider, field } => {
                write!(f, "provider {provider} needs {field}")
            }
            Self::NonceOutOfRange(n) => write!(f, "nonce {n} is outside 1..=2147483647"),
            Self::InvalidEndpoint(why) => write!(f, "invalid endpoint: {why}"),
            Self::PlainHttpNotLoopback(host) => write!(
                f,
                "refusing plain http:// to {host}: passwords, tokens and signatures would \
                 cross the network unencrypted; use https:// (plain http:// is only for \
                 loopback hosts: 127.0.0.0/8, ::1, localhost)"
            ),
            Self::InvalidHeaderValue(name) => {
                write!(
                    f,
                    "{name} contains characters that cannot be sent in a header"
                )
            }
            Self::IdentityNotAllowed(why) | Self::NoFleetKey(why) => f.write_str(why),
            Self::RandomUnavailable => f.write_str("the OS random number generator failed"),
            Self::Http(why) => write!(f, "could not build the HTTP request: {why}"),
            Self::InvalidPolicy { field, reason } => {
                write!(f, "invalid lifecycle policy: {field} {reason}")
            }
        }
    }
}

/// A policy that cannot be used is a configuration mistake like any other,
/// so clients report it as one [`BuildError`].
/// For crates that check input of their own (a shared session's key).
///
/// ```
/// use qb_auth_core::{BuildError, BuildErrorKind};
///
/// let err = BuildError::from(BuildErrorKind::Empty("name"));
/// assert_eq!(err.kind(), &BuildErrorKind::Empty("name"));
/// ```
impl From<BuildErrorKind> for BuildError {
    fn from(kind: BuildErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<crate::lifecycle::PolicyError> for BuildError {
    fn from(err: crate::lifecycle::PolicyError) -> Self {
        Self::new(BuildErrorKind::InvalidPolicy {
            field: err.field(),
            reason: err.reason(),
        })
    }
}
