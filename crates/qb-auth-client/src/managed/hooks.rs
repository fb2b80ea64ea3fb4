//! What happens after the lifecycle changed: events go to the callbacks,
//! and the saved session follows the current one.
//!
//! Both run outside the lifecycle's lock (a callback may ask for a token; a
//! store may do I/O). Batches are numbered under the lock, so a slow store
//! write never overwrites a newer one.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::store::SessionStore;
use qb_auth_core::lifecycle::{LifecycleEvent, LifecycleSnapshot, SessionOrigin};

use crate::{metrics, trace};

/// A callback for lifecycle events.
pub(crate) type Listener = Arc<dyn Fn(&LifecycleEvent) + Send + Sync>;

/// Events to deliver and, if the session changed, the snapshot to save
/// under its number.
#[derive(Debug, Default)]
pub(crate) struct EventBatch {
    pub(crate) events: Vec<LifecycleEvent>,
    pub(crate) store: Option<(u64, LifecycleSnapshot)>,
}

impl EventBatch {
    /// Whether these events change what the store should hold.
    pub(crate) fn changes_session(events: &[LifecycleEvent]) -> bool {
        events.iter().any(|e| {
            matches!(
                e,
                LifecycleEvent::SessionCreated { .. }
                    | LifecycleEvent::SessionRenewed { .. }
                    | LifecycleEvent::SessionRestored {
                        from: SessionOrigin::Fleet,
                        ..
                    }
                    | LifecycleEvent::SessionExpired
                    | LifecycleEvent::SessionInvalidated
                    | LifecycleEvent::ClockOffsetChanged(_)
                    | LifecycleEvent::IdentityChanged { .. }
            )
        })
    }
}

/// The callbacks and the store.
pub(crate) struct Hooks {
    listeners: Vec<Listener>,
    store: Option<Arc<dyn SessionStore>>,
    /// The number of the last batch written to the store, and whether the
    /// session left the store (nothing is written after that).
    written: Mutex<(u64, bool)>,
}

impl Hooks {
    pub(crate) fn new(listeners: Vec<Listener>, store: Option<Arc<dyn SessionStore>>) -> Self {
        Self {
            listeners,
            store,
            written: Mutex::new((0, false)),
        }
    }

    pub(crate) fn store(&self) -> Option<&Arc<dyn SessionStore>> {
        self.store.as_ref()
    }

    /// Clears the store and writes nothing to it again: the session now
    /// belongs to another identity than the one the store was given for
    /// (a login or logout on it), which a restart must not take up.
    pub(crate) fn leave_store(&self) {
        let Some(store) = &self.store else {
            return;
        };
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if std::mem::replace(&mut written.1, true) {
            return;
        }
        if let Err(err) = store.clear() {
            tracing::warn!(error = %err, "could not clear the session store");
        }
    }

    /// Saves the snapshot, then calls every callback with every event.
    pub(crate) fn deliver(&self, batch: EventBatch) {
        for event in &batch.events {
            trace::lifecycle_event(event);
            if matches!(event, LifecycleEvent::SharingUnavailable { .. }) {
                metrics::store_outage("fleet");
            }
        }
        if let (Some(store), Some((number, snapshot))) = (&self.store, batch.store) {
            let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
            let (last, left) = &mut *written;
            if number > *last && !*left {
                *last = number;
                // Saved even without a session: the clock offset is worth
                // keeping, and a dead token must not be restored.
                if let Err(err) = store.save(&snapshot) {
                    // A store failure must not fail the caller's request:
                    // the session in memory still works.
                    tracing::warn!(error = %err, "could not update the session store");
                    metrics::store_outage("session");
                }
            }
        }
        for event in &batch.events {
            for listener in &self.listeners {
                listener(event);
            }
        }
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("listeners", &self.listeners.len())
            .field("store", &self.store.is_some())
            .finish()
    }
}
