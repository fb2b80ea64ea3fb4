//! One [`SessionLifecycle`] under a lock shared by every task or thread of
//! a managed session: started from a source and options, its events
//! delivered to the listeners and the store outside that lock, and what
//! each answer to a request means for the session.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use crate::store::{SessionStore, trust};
use qb_auth_core::lifecycle::{
    Ask, AttemptError, LifecycleEvent, LifecycleSnapshot, NewSession, Policy, RenewalProgress,
    RenewalTicket, SessionLifecycle, TokenAction,
};
use qb_auth_core::{BuildError, ErrorKind, Operation, Session, SessionToken, check_status};

use super::hooks::{EventBatch, Hooks, Listener};
use super::slide::SlideGate;
use super::source::SessionSource;
use super::times::TimesCache;
use crate::Error;

/// What a managed session is built with, besides its client and source.
#[derive(Clone, Default)]
pub(crate) struct ManagedOptions {
    pub(crate) policy: Policy,
    pub(crate) store: Option<Arc<dyn SessionStore>>,
    pub(crate) listeners: Vec<Listener>,
}

impl fmt::Debug for ManagedOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedOptions")
            .field("policy", &self.policy)
            .field("store", &self.store.is_some())
            .field("listeners", &self.listeners.len())
            .finish()
    }
}

/// A [`SessionLifecycle`] shared by the tasks or threads of one managed
/// session. The lock is held only for single calls into the lifecycle,
/// never across I/O, listeners or the store.
pub(crate) struct SharedLifecycle {
    state: Mutex<LockedState>,
    hooks: Hooks,
    times: TimesCache,
    slides: SlideGate,
}

/// What the lock guards: the lifecycle, and the count that orders store
/// writes made outside the lock.
#[derive(Debug)]
struct LockedState {
    lifecycle: SessionLifecycle,
    /// The number of the last batch taken for the store.
    batches: u64,
}

impl LockedState {
    /// Takes the events queued so far and what the store should do about
    /// them. Called under the lock, delivered after it.
    fn take_batch(&mut self) -> EventBatch {
        let mut events = Vec::new();
        while let Some(event) = self.lifecycle.poll_event() {
            events.push(event);
        }
        let store = EventBatch::changes_session(&events).then(|| {
            self.batches += 1;
            (self.batches, self.lifecycle.snapshot())
        });
        EventBatch { events, store }
    }
}

impl SharedLifecycle {
    /// Starts the lifecycle: a fixed session is installed, anything else
    /// restores what the store saved.
    pub(crate) fn start(
        now: SystemTime,
        source: &SessionSource,
        options: ManagedOptions,
    ) -> Result<Self, Error> {
        let mut lifecycle = SessionLifecycle::new(options.policy.clone(), source.mode())
            .map_err(BuildError::from)?;
        let mut ignored = None;
        match (source.fixed_session_ref(), source.unchecked()) {
            (Some(session), _) => lifecycle.set_session(now, session.clone(), None),
            // A token handed in is checked, never swapped for a saved one.
            (None, Some(_)) => {}
            (None, None) => match options.store.as_ref().map(|s| s.load()).transpose() {
                Ok(Some(Some(saved))) => {
                    match restore_problem(source, &options.policy, &saved, now) {
                        Some(reason) => ignored = Some(LifecycleEvent::StoreIgnored { reason }),
                        None => {
                            lifecycle.restore(now, saved);
                        }
                    }
                }
                Ok(_) => {}
                // An unusable saved copy is not an outage: say so, and
                // create a session as if nothing was saved.
                Err(err) if err.is_ignored() => {
                    ignored = Some(LifecycleEvent::StoreIgnored {
                        reason: err.message().to_owned(),
                    });
                }
                Err(err) => return Err(err.into()),
            },
        }
        let shared = Self {
            state: Mutex::new(LockedState {
                lifecycle,
                batches: 0,
            }),
            hooks: Hooks::new(options.listeners, options.store),
            times: TimesCache::default(),
            slides: SlideGate::default(),
        };
        let mut batch = shared.lock().take_batch();
        batch.events.splice(0..0, ignored);
        shared.hooks.deliver(batch);
        Ok(shared)
    }

    fn lock(&self) -> MutexGuard<'_, LockedState> {
        // The lifecycle is updated by single calls that do not panic part
        // way; its state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` under the lock, then delivers the events it queued.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut SessionLifecycle) -> T) -> T {
        let (value, batch) = {
            let mut state = self.lock();
            let value = f(&mut state.lifecycle);
            (value, state.take_batch())
        };
        self.hooks.deliver(batch);
        value
    }

    /// Reads the lifecycle without changing it.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&SessionLifecycle) -> T) -> T {
        f(&self.lock().lifecycle)
    }

    /// Delivers an event the lifecycle does not queue itself (the shared
    /// store failing or answering again) to the listeners.
    pub(crate) fn announce(&self, event: LifecycleEvent) {
        self.hooks.deliver(EventBatch {
            events: vec![event],
            store: None,
        });
    }

    pub(crate) fn poll_token(&self, now: SystemTime, ask: &mut Ask) -> TokenAction {
        self.with(|l| l.poll_token(now, ask))
    }

    pub(crate) fn finish_renewal(
        &self,
        ticket: RenewalTicket,
        now: SystemTime,
        result: Result<NewSession, AttemptError>,
    ) -> RenewalProgress {
        let progress = self.with(|l| l.on_renewal_result(ticket, now, result));
        tracing::debug!(?progress, "renewal attempt reported");
        progress
    }

    /// Tells the lifecycle what an answer to a request made with `token`
    /// means; returns whether the server rejected the token (so one retry
    /// with a new one makes sense).
    pub(crate) fn answered<B: AsRef<[u8]>>(
        &self,
        token: &SessionToken,
        sent_at: SystemTime,
        now: SystemTime,
        answer: &http::Response<B>,
    ) -> bool {
        if answer.status().is_success() {
            self.accepted(token, sent_at, answer.headers());
            return false;
        }
        let rejected = check_status(answer, Operation::Other)
            .is_err_and(|e| e.kind() == ErrorKind::SessionExpired);
        if rejected {
            self.with(|l| l.on_session_rejected(now, token));
        }
        rejected
    }

    /// A success answer to a request made with `token`, sent at `sent_at`:
    /// the session's expiry slides. Only the headers are read.
    pub(crate) fn accepted(
        &self,
        token: &SessionToken,
        sent_at: SystemTime,
        headers: &http::HeaderMap,
    ) {
        if self.slides.skips(token, sent_at) {
            return;
        }
        let times = self.times.read(headers);
        let left = self.with(|l| {
            l.on_success(sent_at, token, times)
                .then(|| l.expires_at())
                .flatten()
        });
        if let Some(expires_at) = left {
            let left = expires_at.duration_since(sent_at).unwrap_or_default();
            self.slides.slid(token, sent_at, left);
        }
    }

    /// See [`Hooks::leave_store`].
    pub(crate) fn leave_store(&self) {
        self.hooks.leave_store();
    }

    /// Takes the session out (and clears the store), so no caller uses it
    /// again.
    pub(crate) fn forget(&self) -> Option<Session> {
        let session = self.with(SessionLifecycle::take_session);
        if let Some(store) = self.hooks.store() {
            if let Err(err) = store.clear() {
                tracing::warn!(error = %err, "could not clear the session store");
            }
        }
        session
    }
}

impl fmt::Debug for SharedLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("SharedLifecycle")
            .field("mode", state.lifecycle.mode())
            .field("session", &state.lifecycle.session())
            .field("expires_at", &state.lifecycle.expires_at())
            .field("hooks", &self.hooks)
            .finish()
    }
}

/// Why a saved session is not this source's to use: not a session token,
/// another application's, a user's session saved for an application source
/// or the reverse (a store written by a program with another source, or
/// before a login cleared it: a restart must not come back as someone
/// else), expired, or claiming to outlive any session. The credentials are
/// asked for only when there is a saved session to judge; a source without
/// them, or whose provider fails now, is checked for the rest.
fn restore_problem(
    source: &SessionSource,
    policy: &Policy,
    saved: &LifecycleSnapshot,
    now: SystemTime,
) -> Option<String> {
    saved.session()?;
    let credentials = source
        .credential_provider()
        .and_then(|provider| provider.credentials().ok());
    let expected = trust::Expected::of(credentials.as_ref(), policy);
    trust::problem(saved, &expected, now)
}
