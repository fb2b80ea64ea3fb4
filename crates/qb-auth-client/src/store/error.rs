//! [`StoreError`]: what every store fails with, a session store or a
//! fleet's shared store.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// A store could not load, save or clear (the disk or the network failed,
/// a shared store did not answer in time), or, for a load, held a copy it
/// would not trust.
///
/// Three kinds, told apart by [`kind`](Self::kind): a real failure
/// ([`new`](Self::new)); a saved copy that is unusable and was left alone
/// ([`ignored`](Self::ignored): corrupt, another application's or
/// endpoint's, expired, not safe to trust); and something at the store's
/// place that is not the store's own, which it would not replace or
/// remove ([`not_ours`](Self::not_ours): a user's file, another program's,
/// another user's, a device or a FIFO). A managed session turns the second
/// kind into a `StoreIgnored` event and creates a new session. A fleet's
/// store failing is never fatal: the session renews alone and says so with
/// a `SharingUnavailable` event.
///
/// The message must not contain the session or a credential. `Clone`, so
/// one failure can be handed to every caller that waited on it.
///
/// ```
/// use std::error::Error;
/// use qb_auth_client::store::{StoreError, StoreErrorKind};
///
/// let err = StoreError::new("session file is not writable")
///     .with_source(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
/// assert_eq!(err.to_string(), "session store failed: session file is not writable");
/// assert!(err.source().is_some());
/// assert_eq!(err.kind(), StoreErrorKind::Failed);
///
/// let skipped = StoreError::ignored("the saved session has expired");
/// assert!(skipped.is_ignored());
/// assert_eq!(skipped.to_string(), "saved session ignored: the saved session has expired");
///
/// let kept = StoreError::not_ours("notes.txt is not a qb-auth session file");
/// assert_eq!(kept.kind(), StoreErrorKind::NotOurs);
/// assert_eq!(kept.to_string(), "left untouched: notes.txt is not a qb-auth session file");
/// ```
#[derive(Clone)]
pub struct StoreError {
    message: String,
    source: Option<Arc<dyn StdError + Send + Sync>>,
    kind: StoreErrorKind,
}

/// Which kind of [`StoreError`] it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store failed: the disk or the network, a timeout.
    Failed,
    /// A saved copy that cannot be used was left alone; loading goes on as
    /// if nothing was saved.
    Ignored,
    /// What is at the store's place is not the store's own; it was left
    /// untouched, and nothing was saved or cleared.
    NotOurs,
}

impl StoreError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
            kind: StoreErrorKind::Failed,
        }
    }

    /// A saved copy the store would not trust, and why (for a log line:
    /// never the session itself). Loading goes on as if nothing was saved.
    pub fn ignored(reason: impl Into<String>) -> Self {
        Self {
            kind: StoreErrorKind::Ignored,
            ..Self::new(reason)
        }
    }

    /// Something at the store's place that it did not write, and why it
    /// is not the store's (never its contents): a save or clear left it
    /// untouched.
    pub fn not_ours(reason: impl Into<String>) -> Self {
        Self {
            kind: StoreErrorKind::NotOurs,
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

    /// Which kind of error it is.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Whether this is an unusable saved copy that was left alone rather
    /// than a failure.
    pub fn is_ignored(&self) -> bool {
        self.kind == StoreErrorKind::Ignored
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError")
            .field("message", &self.message)
            .field("source", &self.source)
            .field("kind", &self.kind)
            .finish()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.kind {
            StoreErrorKind::Failed => "session store failed",
            StoreErrorKind::Ignored => "saved session ignored",
            StoreErrorKind::NotOurs => "left untouched",
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
