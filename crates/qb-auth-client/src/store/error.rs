//! [`StoreError`]: what every store fails with, a session store or a
//! fleet's shared store.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// A store could not load, save or clear (the disk or the network failed,
/// a shared store did not answer in time), or, for a load, held a copy it
/// would not trust.
///
/// Two kinds, told apart by [`is_ignored`](Self::is_ignored): a real
/// failure ([`new`](Self::new)), and a saved copy that is unusable and was
/// left alone ([`ignored`](Self::ignored): corrupt, another application's,
/// expired, not safe to trust). A managed session turns the second kind
/// into a `StoreIgnored` event and creates a new session. A fleet's store
/// failing is never fatal: the session renews alone and says so with a
/// `SharingUnavailable` event.
///
/// The message must not contain the session or a credential. `Clone`, so
/// one failure can be handed to every caller that waited on it.
///
/// ```
/// use std::error::Error;
/// use qb_auth_client::store::StoreError;
///
/// let err = StoreError::new("session file is not writable")
///     .with_source(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
/// assert_eq!(err.to_string(), "session store failed: session file is not writable");
/// assert!(err.source().is_some());
/// assert!(!err.is_ignored());
///
/// let skipped = StoreError::ignored("the saved session has expired");
/// assert!(skipped.is_ignored());
/// assert_eq!(skipped.to_string(), "saved session ignored: the saved session has expired");
/// ```
#[derive(Clone)]
pub struct StoreError {
    message: String,
    source: Option<Arc<dyn StdError + Send + Sync>>,
    ignored: bool,
}

impl StoreError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
            ignored: false,
        }
    }

    /// A saved copy the store would not trust, and why (for a log line:
    /// never the session itself). Loading goes on as if nothing was saved.
    pub fn ignored(reason: impl Into<String>) -> Self {
        Self {
            ignored: true,
            ..Self::new(reason)
        }
    }

    /// Keeps the underlying error as the source.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The message given at construction.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is an unusable saved copy that was left alone rather
    /// than a failure.
    pub fn is_ignored(&self) -> bool {
        self.ignored
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError")
            .field("message", &self.message)
            .field("source", &self.source)
            .field("ignored", &self.ignored)
            .finish()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = if self.ignored {
            "saved session ignored"
        } else {
            "session store failed"
        };
        write!(f, "{prefix}: {}", self.message)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
