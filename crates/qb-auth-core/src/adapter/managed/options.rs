//! How a managed session is set up, apart from where its tokens come from
//! and the client it sends through.

use std::fmt;
use std::sync::Arc;

use crate::lifecycle::Policy;
use crate::store::SessionStore;

use super::Listener;

/// A managed session's policy, store and event listeners: what an
/// adapter's `ManagedSessionBuilder` collects before
/// [`SharedLifecycle::start`](super::SharedLifecycle::start).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use qb_auth_core::adapter::ManagedOptions;
/// use qb_auth_core::lifecycle::Policy;
/// use qb_auth_core::store::MemoryStore;
///
/// let mut options = ManagedOptions::default();
/// options.policy = Policy::default().with_max_attempts(2);
/// options.store = Some(Arc::new(MemoryStore::new()));
/// options.listeners.push(Arc::new(|event| println!("{event:?}")));
/// assert_eq!(options.listeners.len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct ManagedOptions {
    /// When to renew and how to retry.
    pub policy: Policy,
    /// Where the session is saved after each renewal and restored from at
    /// start.
    pub store: Option<Arc<dyn SessionStore>>,
    /// Called for every lifecycle event, outside any lock.
    pub listeners: Vec<Listener>,
}

impl ManagedOptions {
    /// Adds the options to the `Debug` of the adapter's builder: the
    /// policy, whether a store is set, and how many listeners there are.
    ///
    /// ```
    /// use std::fmt;
    /// use qb_auth_core::adapter::ManagedOptions;
    ///
    /// struct Builder(ManagedOptions);
    ///
    /// impl fmt::Debug for Builder {
    ///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    ///         let mut out = f.debug_struct("Builder");
    ///         self.0.debug_fields(&mut out);
    ///         out.finish()
    ///     }
    /// }
    ///
    /// let text = format!("{:?}", Builder(ManagedOptions::default()));
    /// assert!(text.ends_with("store: false, listeners: 0 }"), "{text}");
    /// ```
    pub fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        out.field("policy", &self.policy)
            .field("store", &self.store.is_some())
            .field("listeners", &self.listeners.len());
    }
}

impl fmt::Debug for ManagedOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ManagedOptions");
        self.debug_fields(&mut out);
        out.finish()
    }
}
