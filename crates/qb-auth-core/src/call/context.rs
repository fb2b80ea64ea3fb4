//! [`CallContext`]: where a call went and how it went, for its error's
//! message.

use std::fmt;
use std::time::Duration;

use super::operation::Operation;

/// Where a call went and how it went, as a client records it on the
/// call's error ([`ApiError::with_context`](crate::ApiError::with_context),
/// [`TransportError::with_context`](crate::TransportError::with_context)):
/// the host it talked to and, for a one-shot call, which operation it was
/// and how many attempts it made in how long. The error's message shows
/// it; it never holds a token, a query or a body.
///
/// ```
/// use std::time::Duration;
/// use qb_auth_core::call::CallContext;
/// use qb_auth_core::{Operation, TransportError, TransportErrorKind};
///
/// let context = CallContext::host("http://127.0.0.1:8080")
///     .with_attempts(Operation::CreateUserSession, 4, Duration::from_millis(3_200));
/// let err = TransportError::from_kind(TransportErrorKind::Connect).with_context(context);
/// assert_eq!(
///     err.to_string(),
///     "create user session failed after 4 attempts in 3.2 s: could not connect (http://127.0.0.1:8080)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    host: String,
    call: Option<(Operation, u32, Duration)>,
}

impl CallContext {
    /// A call to `host` (scheme, host and port: `https://api.quickblox.com`).
    pub fn host(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            call: None,
        }
    }

    /// The one-shot call it was, and its attempts: the message then says
    /// which operation failed, and after how many attempts and how long
    /// when there was more than one.
    pub fn with_attempts(mut self, operation: Operation, attempts: u32, elapsed: Duration) -> Self {
        self.call = Some((operation, attempts, elapsed));
        self
    }

    /// The host the call talked to.
    pub fn host_name(&self) -> &str {
        &self.host
    }

    /// How many attempts the call made, when recorded.
    pub fn attempts(&self) -> Option<u32> {
        self.call.map(|(_, attempts, _)| attempts)
    }

    /// `"{operation} failed[ after N attempts in T]: "`, when the call
    /// is known.
    pub(crate) fn write_prefix(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.call {
            Some((operation, attempts, elapsed)) if attempts > 1 => write!(
                f,
                "{} failed after {attempts} attempts in {}: ",
                operation.as_str(),
                crate::time::Elapsed(elapsed)
            ),
            Some((operation, ..)) => write!(f, "{} failed: ", operation.as_str()),
            None => Ok(()),
        }
    }
}
