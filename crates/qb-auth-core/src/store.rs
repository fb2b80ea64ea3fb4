//! Where a lifecycle's state is saved between runs: a small trait, and an
//! in-memory store as the default.
//!
//! The trait is synchronous and `Send + Sync` because the core does no I/O
//! and transports call it from any thread. It is also the seam through
//! which many processes will later share one session (a file, Redis, a
//! database) instead of each spending the application's rate limit on its
//! own create-session calls.

use std::error::Error as StdError;
use std::fmt;

use crate::described::Described;
use std::sync::{Arc, Mutex, PoisonError};

use crate::lifecycle::LifecycleSnapshot;

/// Saves and loads a [`LifecycleSnapshot`].
///
/// Transports load once at start-up and
/// [`restore`](crate::lifecycle::SessionLifecycle::restore) it, save after
/// a session is created or renewed, and clear after the session is
/// destroyed. Implementations must treat the snapshot as a credential: it
/// holds the session token in the clear.
///
/// ```
/// use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
/// use qb_auth_core::store::{MemoryStore, SessionStore};
///
/// let store = MemoryStore::new();
/// assert!(store.load()?.is_none());
/// store.save(&LifecycleSnapshot::new(None, ClockSkew::from_secs(2)))?;
/// assert_eq!(store.load()?.unwrap().clock_offset(), ClockSkew::from_secs(2));
/// store.clear()?;
/// assert!(store.load()?.is_none());
/// # Ok::<(), qb_auth_core::store::StoreError>(())
/// ```
pub trait SessionStore: Send + Sync {
    /// The saved snapshot, or `None` if nothing is saved. A saved copy the
    /// store will not trust (corrupt, another application's, expired) is
    /// [`StoreError::ignored`], so that the caller can say so and go on.
    ///
    /// ```
    /// use qb_auth_core::store::{MemoryStore, SessionStore};
    ///
    /// assert!(MemoryStore::new().load()?.is_none());
    /// # Ok::<(), qb_auth_core::store::StoreError>(())
    /// ```
    fn load(&self) -> Result<Option<LifecycleSnapshot>, StoreError>;
    /// Replaces the saved snapshot.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
    /// use qb_auth_core::store::{MemoryStore, SessionStore};
    ///
    /// let store = MemoryStore::new();
    /// store.save(&LifecycleSnapshot::new(None, ClockSkew::from_secs(1)))?;
    /// store.save(&LifecycleSnapshot::new(None, ClockSkew::from_secs(2)))?;
    /// assert_eq!(store.load()?.unwrap().clock_offset(), ClockSkew::from_secs(2));
    /// # Ok::<(), qb_auth_core::store::StoreError>(())
    /// ```
    fn save(&self, snapshot: &LifecycleSnapshot) -> Result<(), StoreError>;
    /// Removes the saved snapshot.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
    /// use qb_auth_core::store::{MemoryStore, SessionStore};
    ///
    /// let store = MemoryStore::new();
    /// store.save(&LifecycleSnapshot::new(None, ClockSkew::ZERO))?;
    /// store.clear()?;
    /// assert!(store.load()?.is_none());
    /// # Ok::<(), qb_auth_core::store::StoreError>(())
    /// ```
    fn clear(&self) -> Result<(), StoreError>;
}

impl<S: SessionStore + ?Sized> SessionStore for Arc<S> {
    fn load(&self) -> Result<Option<LifecycleSnapshot>, StoreError> {
        (**self).load()
    }

    fn save(&self, snapshot: &LifecycleSnapshot) -> Result<(), StoreError> {
        (**self).save(snapshot)
    }

    fn clear(&self) -> Result<(), StoreError> {
        (**self).clear()
    }
}

/// A store in memory: the default. It keeps nothing across restarts, but
/// lets the same code run with or without persistence, and lets several
/// lifecycles in one process share a session.
///
/// ```
/// use std::sync::Arc;
/// use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
/// use qb_auth_core::store::{MemoryStore, SessionStore};
///
/// let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::default());
/// store.save(&LifecycleSnapshot::new(None, ClockSkew::ZERO))?;
/// assert!(store.load()?.is_some());
/// # Ok::<(), qb_auth_core::store::StoreError>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    saved: Mutex<Option<LifecycleSnapshot>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<LifecycleSnapshot>> {
        // The slot holds plain data that is replaced whole, so a panic in
        // another thread cannot leave it half-written.
        self.saved.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionStore for MemoryStore {
    fn load(&self) -> Result<Option<LifecycleSnapshot>, StoreError> {
        Ok(self.slot().clone())
    }

    fn save(&self, snapshot: &LifecycleSnapshot) -> Result<(), StoreError> {
        *self.slot() = Some(snapshot.clone());
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        *self.slot() = None;
        Ok(())
    }
}

/// A store could not load, save or clear, or (for [`load`]) held a copy
/// it would not trust.
///
/// Two kinds, told apart by [`is_ignored`](Self::is_ignored): a real
/// failure ([`new`](Self::new): the disk or the network failed, which a
/// managed session reports as an error), and a saved copy that is
/// unusable and was left alone ([`ignored`](Self::ignored): corrupt,
/// another application's, expired, not safe to trust). A managed session
/// turns the second kind into a `StoreIgnored` event and creates a new
/// session; the next save replaces the copy.
///
/// The message must not contain the snapshot (it holds the token).
///
/// [`load`]: SessionStore::load
///
/// ```
/// use std::error::Error;
/// use qb_auth_core::store::StoreError;
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
    described: Described,
    ignored: bool,
}

impl StoreError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            described: Described::new(message),
            ignored: false,
        }
    }

    /// A saved copy the store would not trust, and why (for a log line:
    /// never the session itself). Loading goes on as if nothing was saved.
    pub fn ignored(reason: impl Into<String>) -> Self {
        Self {
            described: Described::new(reason),
            ignored: true,
        }
    }

    /// Keeps the underlying error as the source.
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.described.set_source(source);
        self
    }

    /// The message given at construction.
    pub fn message(&self) -> &str {
        self.described.message()
    }

    /// Whether this is an unusable saved copy that was left alone rather
    /// than a failure.
    pub fn is_ignored(&self) -> bool {
        self.ignored
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("StoreError");
        self.described.debug_fields(&mut d);
        d.field("ignored", &self.ignored).finish()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = if self.ignored {
            "saved session ignored"
        } else {
            "session store failed"
        };
        write!(f, "{prefix}: {}", self.described.message())
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.described.source()
    }
}
