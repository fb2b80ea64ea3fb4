//! The one error every call of the client returns.

use crate::store::StoreError;
use http::StatusCode;
use qb_auth_core::call::CallContext;
use qb_auth_core::lifecycle::{ProviderError, RenewalError};
use qb_auth_core::{ApiError, BuildError, Retry, TransportError};

/// Why a call failed.
///
/// Each variant carries the typed error it came from, unchanged, whether
/// the call was direct or went through a renewal; its message is that
/// error's own, so an error chain (`{:#}` in `anyhow`) never repeats one.
/// Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input or the configuration is not usable (an empty password, an
    /// endpoint that is not a URL, a policy out of range): refused before
    /// anything was sent.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// QuickBlox answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No answer came back.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A managed session has no valid token and could not get one.
    #[error(transparent)]
    Renewal(#[from] RenewalError),
    /// The session store failed when a managed session was built.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A credential provider failed (a login's identity could not be
    /// read).
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A login on a managed session whose source gives no application
    /// credentials (a token provider): after it, renewals could only bring
    /// back the provider's sessions, not the user's. Use
    /// `login_with` and a provider of the application's and the user's
    /// credentials.
    #[error("this managed session has no application credentials to renew the user's session with")]
    LoginNeedsCredentials,
    /// The account settings name no API endpoint this client may use.
    #[error("the account settings name no usable API endpoint")]
    NoAccountEndpoint,
    /// A request carrying a session token or an API key was not for the
    /// client's API host; it was not sent.
    #[error("refused to send credentials to {host}: the client's API host is {expected}")]
    ForeignHost {
        /// The request's scheme, host and port.
        host: String,
        /// The client's endpoint.
        expected: String,
    },
}

impl Error {
    /// The same error with `context` on the answer or transport failure it
    /// carries (other errors are left as they are).
    pub(crate) fn with_context(self, context: CallContext) -> Self {
        match self {
            Self::Api(api) => Self::Api(api.with_context(context)),
            Self::Transport(transport) => Self::Transport(transport.with_context(context)),
            other => other,
        }
    }

    /// Whether the same call may succeed later, decided from the kinds of
    /// the errors it carries ([`ApiError::kind`], [`TransportError::kind`]).
    ///
    /// ```
    /// use qb_auth_client::Error;
    /// use qb_auth_core::{TransportError, TransportErrorKind};
    ///
    /// let timeout = Error::from(TransportError::from_kind(TransportErrorKind::Timeout));
    /// assert!(timeout.is_retryable());
    /// assert!(!Error::NoAccountEndpoint.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(api) => api.kind().retry() != Retry::Never,
            Self::Transport(t) => t.is_retryable(),
            Self::Provider(p) => p.is_retryable(),
            // The attempts or the caller's time ran out on errors that may
            // pass; anything else (refused credentials, a fixed token)
            // needs a change first.
            Self::Renewal(r) => matches!(
                r,
                RenewalError::AttemptsExhausted { .. } | RenewalError::CallerDeadline { .. }
            ),
            _ => false,
        }
    }

    /// The server's error, whether the call itself got it or a renewal
    /// did.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            Self::Renewal(r) => r.api_error(),
            _ => None,
        }
    }

    /// The transport's error, whether the call itself got it or a renewal
    /// did.
    pub fn transport_error(&self) -> Option<&TransportError> {
        use qb_auth_core::lifecycle::AttemptError;
        match self {
            Self::Transport(t) => Some(t),
            Self::Renewal(r) => match r.last_attempt() {
                Some(AttemptError::Transport(t)) => Some(t),
                _ => None,
            },
            _ => None,
        }
    }

    /// The HTTP status of the server's error, if there is one.
    pub fn status(&self) -> Option<StatusCode> {
        self.api_error().map(ApiError::status)
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use std::time::Duration;

    use qb_auth_core::lifecycle::{AttemptError, Attempted};
    use qb_auth_core::{Operation, TransportErrorKind, parse_session};

    use super::*;

    /// Each message of the error and its sources, as `{:#}` or a
    /// `Caused by:` list prints them.
    fn chain(err: &Error) -> Vec<String> {
        let mut lines = vec![err.to_string()];
        let mut source = err.source();
        while let Some(cause) = source {
            lines.push(cause.to_string());
            source = cause.source();
        }
        lines
    }

    #[test]
    fn no_message_is_printed_twice_in_an_error_chain() {
        let answer = http::Response::builder()
            .status(401)
            .body(br#"{"errors":["Unauthorized"]}"#.to_vec())
            .unwrap();
        let api = parse_session(&answer, Operation::CreateUserSession).unwrap_err();
        let refused = || std::io::Error::other("connection refused by peer");
        let connect = || TransportError::new(TransportErrorKind::Connect, refused());
        let errors = [
            Error::from(api.clone()),
            Error::from(connect()),
            Error::from(RenewalError::AttemptsExhausted {
                attempted: Attempted::CreateUserSession,
                attempts: 3,
                elapsed: Duration::from_millis(2_040),
                last: AttemptError::Api(api.clone()),
            }),
            Error::from(RenewalError::AttemptsExhausted {
                attempted: Attempted::Renew,
                attempts: 4,
                elapsed: Duration::from_secs(3),
                last: AttemptError::Transport(connect()),
            }),
            Error::from(RenewalError::Permanent {
                attempted: Attempted::CreateUserSession,
                error: AttemptError::Api(api),
            }),
            Error::from(RenewalError::CallerDeadline {
                retry_at: None,
                last: Some(AttemptError::Transport(connect())),
            }),
        ];
        for err in &errors {
            let lines = chain(err);
            for (i, line) in lines.iter().enumerate() {
                for later in &lines[i + 1..] {
                    assert!(!line.contains(later.as_str()), "{lines:?}");
                }
            }
        }
        assert_eq!(
            chain(&errors[1]),
            ["could not connect", "connection refused by peer"]
        );
        // A renewal's chain says what was attempted, how often and how
        // long, then reaches the root cause.
        assert_eq!(
            chain(&errors[3]),
            [
                "renewing the session failed after 4 attempts in 3.0 s",
                "could not connect",
                "connection refused by peer"
            ]
        );
        assert_eq!(
            chain(&errors[5]).last().map(String::as_str),
            Some("connection refused by peer")
        );
    }

    #[test]
    fn a_typed_transport_error_survives_a_renewal() {
        let timeout = TransportError::from_kind(TransportErrorKind::Timeout);
        let err = Error::from(RenewalError::AttemptsExhausted {
            attempted: Attempted::CreateApplicationSession,
            attempts: 3,
            elapsed: Duration::from_secs(1),
            last: AttemptError::Transport(timeout),
        });
        assert_eq!(
            err.transport_error().map(TransportError::kind),
            Some(&TransportErrorKind::Timeout)
        );
        assert!(err.is_retryable());
    }
}
