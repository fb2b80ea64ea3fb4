//! What a transport reports when no answer came back.
//!
//! The kinds are transport-neutral, so one error travels unchanged from
//! the HTTP client through a renewal ([`AttemptError::Transport`]) to the
//! caller, whichever transport produced it.
//!
//! [`AttemptError::Transport`]: crate::lifecycle::AttemptError::Transport

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use crate::Retry;
use crate::call::CallContext;

/// A request got no usable answer: the connection, TLS, a timeout, or the
/// answer's size or framing failed.
///
/// Cheap to clone (the source is shared), because a failed renewal is handed
/// to every caller that waited for it. Its message names the kind only; the
/// HTTP client's own error, which may quote a URL, is the [`source`].
///
/// [`source`]: std::error::Error::source
///
/// ```
/// use qb_auth_core::{TransportError, TransportErrorKind};
///
/// let err = TransportError::new(TransportErrorKind::Connect, std::io::Error::other("refused"));
/// assert_eq!(err.to_string(), "could not connect");
/// assert!(err.is_retryable());
/// assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "refused");
/// ```
#[derive(Clone)]
pub struct TransportError {
    kind: TransportErrorKind,
    source: Option<Arc<dyn StdError + Send + Sync>>,
    context: Option<Arc<CallContext>>,
}

impl TransportError {
    /// An error of `kind` caused by `source` (the HTTP client's own error).
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            source: Some(Arc::from(source.into())),
            context: None,
        }
    }

    /// An error of `kind` with no underlying error to keep (or one that
    /// must not be kept, such as a message quoting a proxy's credentials).
    pub fn from_kind(kind: TransportErrorKind) -> Self {
        Self {
            kind,
            source: None,
            context: None,
        }
    }

    /// What failed.
    pub fn kind(&self) -> &TransportErrorKind {
        &self.kind
    }

    /// The same error, with where the call went (and, for a one-shot call,
    /// how it went) in its message.
    pub fn with_context(mut self, context: CallContext) -> Self {
        self.context = Some(Arc::new(context));
        self
    }

    /// Where the call went, if the client recorded it.
    pub fn context(&self) -> Option<&CallContext> {
        self.context.as_deref()
    }

    /// Whether sending the request again may succeed; see
    /// [`TransportErrorKind::retry`].
    pub fn is_retryable(&self) -> bool {
        self.kind.retry() != Retry::Never
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .field("context", &self.context)
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(context) = &self.context else {
            return fmt::Display::fmt(&self.kind, f);
        };
        context.write_prefix(f)?;
        write!(f, "{} ({})", self.kind, context.host_name())
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The transport-neutral kinds of [`TransportError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection: DNS, refused, unreachable, or the proxy refused.
    Connect,
    /// The connect or total timeout passed.
    Timeout,
    /// The connection broke before the whole answer arrived.
    Connection,
    /// The answer is not valid HTTP (or its head is too large).
    Protocol,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The answer's body is larger than the client's cap.
    BodyTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The request cannot be sent as built (a URL or header the HTTP
    /// client refuses).
    InvalidRequest,
    /// The HTTP client could not be set up.
    Config(&'static str),
    /// Any other failure of the HTTP exchange.
    Other,
}

impl TransportErrorKind {
    /// What can make the request succeed when sent again: the one place
    /// that decides which transport failures are retried.
    ///
    /// ```
    /// use qb_auth_core::{Retry, TransportErrorKind};
    ///
    /// assert_eq!(TransportErrorKind::Timeout.retry(), Retry::AfterBackoff);
    /// assert_eq!(TransportErrorKind::Tls.retry(), Retry::Never);
    /// ```
    pub const fn retry(&self) -> Retry {
        match self {
            Self::Connect | Self::Timeout | Self::Connection | Self::Protocol | Self::Other => {
                Retry::AfterBackoff
            }
            // Sending the same request to the same server fails the same way.
            Self::Tls | Self::BodyTooLarge { .. } | Self::InvalidRequest | Self::Config(_) => {
                Retry::Never
            }
        }
    }
}

impl TransportErrorKind {
    /// A stable snake_case name, for machines: JSON errors, metric labels.
    ///
    /// ```
    /// use qb_auth_core::TransportErrorKind;
    ///
    /// assert_eq!(TransportErrorKind::BodyTooLarge { limit: 1 }.code(), "body_too_large");
    /// ```
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Connection => "connection",
            Self::Protocol => "protocol",
            Self::Tls => "tls",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::InvalidRequest => "invalid_request",
            Self::Config(_) => "config",
            Self::Other => "other",
        }
    }

    /// Whether the request provably never reached the server (no
    /// connection was made, or it could not be sent at all), so even a
    /// call that must not run twice may be sent again. A timeout or a
    /// broken connection may have arrived.
    pub const fn never_sent(&self) -> bool {
        matches!(self, Self::Connect | Self::InvalidRequest | Self::Config(_))
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => f.write_str("could not connect"),
            Self::Timeout => f.write_str("timed out"),
            Self::Connection => f.write_str("the connection broke before the answer arrived"),
            Self::Protocol => f.write_str("the answer is not valid HTTP"),
            Self::Tls => f.write_str("TLS failed"),
            Self::BodyTooLarge { limit } => {
                write!(f, "the answer's body is larger than {limit} bytes")
            }
            Self::InvalidRequest => f.write_str("the request cannot be sent"),
            Self::Config(why) => write!(f, "the HTTP client cannot be set up: {why}"),
            Self::Other => f.write_str("the HTTP exchange failed"),
        }
    }
}
