//! [`MemoryStore`]: a snapshot kept in memory.

use std::sync::{Mutex, MutexGuard, PoisonError};

use qb_auth_core::lifecycle::LifecycleSnapshot;

use super::{SessionStore, StoreError};

/// A store in memory. It keeps nothing across restarts, but lets several
/// managed sessions of one process start from one saved session, and
/// tests watch what a managed session saves.
///
/// ```
/// use std::sync::Arc;
/// use qb_auth_client::qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
/// use qb_auth_client::store::{MemoryStore, SessionStore};
///
/// let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::default());
/// store.save(&LifecycleSnapshot::new(None, ClockSkew::ZERO))?;
/// assert!(store.load()?.is_some());
/// # Ok::<(), qb_auth_client::store::StoreError>(())
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

    fn slot(&self) -> MutexGuard<'_, Option<LifecycleSnapshot>> {
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
