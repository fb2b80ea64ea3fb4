//! What happens after the lifecycle changed: events go to the callbacks,
//! and the saved session follows the current one.
//!
//! Both run outside the lifecycle's lock (a callback may ask for a token; a
//! store may do I/O). Batches are numbered under the lock, so a slow store
//! write never overwrites a newer one.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use qb_auth_core::lifecycle::{LifecycleEvent, LifecycleSnapshot, SessionLifecycle};
use qb_auth_core::store::SessionStore;

/// A callback for lifecycle events.
pub(crate) type Listener = Arc<dyn Fn(&LifecycleEvent) + Send + Sync>;

/// The lifecycle and the number of the last batch taken from it.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) lifecycle: SessionLifecycle,
    batches: u64,
}

impl State {
    pub(crate) fn new(lifecycle: SessionLifecycle) -> Self {
        Self {
            lifecycle,
            batches: 0,
        }
    }

    /// Takes the events queued so far and what the store should do about
    /// them. Call under the lock, deliver after it.
    pub(crate) fn take_batch(&mut self) -> Batch {
        let mut events = Vec::new();
        while let Some(event) = self.lifecycle.poll_event() {
            events.push(event);
        }
        let changed = events.iter().any(|e| {
            matches!(
                e,
                LifecycleEvent::SessionCreated { .. }
                    | LifecycleEvent::SessionRenewed { .. }
                    | LifecycleEvent::SessionExpired
                    | LifecycleEvent::SessionInvalidated
                    | LifecycleEvent::ClockOffsetChanged(_)
            )
        });
        let store = changed.then(|| {
            self.batches += 1;
            (self.batches, self.lifecycle.snapshot())
        });
        Batch { events, store }
    }
}

/// Events to deliver and, if the session changed, the snapshot to save.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    events: Vec<LifecycleEvent>,
    store: Option<(u64, LifecycleSnapshot)>,
}

/// The callbacks and the store.
pub(crate) struct Hooks {
    listeners: Vec<Listener>,
    store: Option<Arc<dyn SessionStore>>,
    /// The number of the last batch written to the store.
    written: Mutex<u64>,
}

impl Hooks {
    pub(crate) fn new(listeners: Vec<Listener>, store: Option<Arc<dyn SessionStore>>) -> Self {
        Self {
            listeners,
            store,
            written: Mutex::new(0),
        }
    }

    pub(crate) fn store(&self) -> Option<&Arc<dyn SessionStore>> {
        self.store.as_ref()
    }

    /// Saves the snapshot, then calls every callback with every event.
    pub(crate) fn deliver(&self, batch: Batch) {
        for event in &batch.events {
            trace_event(event);
        }
        if let (Some(store), Some((number, snapshot))) = (&self.store, batch.store) {
            let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
            if number > *written {
                *written = number;
                // Saved even without a session: the clock offset is worth
                // keeping, and a dead token must not be restored.
                if let Err(err) = store.save(&snapshot) {
                    // A store failure must not fail the caller's request:
                    // the session in memory still works.
                    tracing::warn!(error = %err, "could not update the session store");
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

/// One line per event, with no token and no body.
fn trace_event(event: &LifecycleEvent) {
    match event {
        LifecycleEvent::SessionCreated { session, .. } => {
            tracing::info!(user_id = session.user_id, "session created");
        }
        LifecycleEvent::SessionRenewed { session, .. } => {
            tracing::info!(user_id = session.user_id, "session renewed");
        }
        LifecycleEvent::SessionExpired => tracing::info!("session expired"),
        LifecycleEvent::SessionInvalidated => tracing::info!("session rejected by the server"),
        LifecycleEvent::AttemptFailed { attempt, error, .. } => {
            tracing::warn!(attempt, retryable = error.is_retryable(), error = %error, "renewal attempt failed");
        }
        LifecycleEvent::RenewalFailed(error) => {
            tracing::warn!(error = %error, "renewal failed");
        }
        LifecycleEvent::ClockOffsetChanged(offset) => {
            tracing::info!(offset_secs = offset.as_secs(), "clock offset measured");
        }
        _ => tracing::debug!("lifecycle event"),
    }
}
