//! The seam a managed session saves its snapshot through.

use std::sync::Arc;

use qb_auth_core::lifecycle::LifecycleSnapshot;

use super::StoreError;

/// Saves and loads a [`LifecycleSnapshot`].
///
/// A managed session loads once when it is built and
/// [`restore`](qb_auth_core::lifecycle::SessionLifecycle::restore)s it,
/// saves after a session is created or renewed, and clears after the
/// session is destroyed or changes identity. Implementations must treat
/// the snapshot as a credential: it holds the session token in the clear.
///
/// ```
/// use qb_auth_client::qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
/// use qb_auth_client::store::{MemoryStore, SessionStore};
///
/// let store = MemoryStore::new();
/// assert!(store.load()?.is_none());
/// store.save(&LifecycleSnapshot::new(None, ClockSkew::from_secs(2)))?;
/// assert_eq!(store.load()?.unwrap().clock_offset(), ClockSkew::from_secs(2));
/// store.clear()?;
/// assert!(store.load()?.is_none());
/// # Ok::<(), qb_auth_client::store::StoreError>(())
/// ```
pub trait SessionStore: Send + Sync {
    /// The saved snapshot, or `None` if nothing is saved. A saved copy the
    /// store will not trust (corrupt, another application's, expired) is
    /// [`StoreError::ignored`], so that the caller can say so and go on.
    fn load(&self) -> Result<Option<LifecycleSnapshot>, StoreError>;
    /// Replaces the saved snapshot.
    fn save(&self, snapshot: &LifecycleSnapshot) -> Result<(), StoreError>;
    /// Removes the saved snapshot.
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
