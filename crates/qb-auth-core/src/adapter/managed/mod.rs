//! The part of a managed session that does not depend on how it waits:
//! one [`SessionLifecycle`] under a lock shared by every task or thread,
//! started from a source and options, its events delivered to the
//! callbacks and the store outside that lock, and what each answer to a
//! request means for the session. Sleeping until a deadline, waking the
//! waiters after a renewal and calling the token provider stay with each
//! adapter.

mod guard;
mod hooks;
mod options;
mod source;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use crate::lifecycle::{
    Ask, AttemptError, NewSession, RenewalProgress, RenewalTicket, ResponseTimes, SessionLifecycle,
    TokenAction,
};
use crate::store::SessionStore;
use crate::{ErrorKind, HttpRequest, Operation, Session, SessionToken, check_status};

use super::{Answer, Error};
use hooks::{EventBatch, Hooks};

pub use guard::RenewalGuard;
pub use hooks::Listener;
pub use options::ManagedOptions;
pub use source::RenewalSource;

/// A [`SessionLifecycle`] shared by the tasks or threads of one managed
/// session.
///
/// The lock is held only for single calls into the lifecycle, never
/// across network I/O. After each call the events it queued go to the
/// listeners (and to `tracing`), and a changed session to the store, with
/// the lock released.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::SystemTime;
/// use qb_auth_core::adapter::SharedLifecycle;
/// use qb_auth_core::lifecycle::{
///     Ask, LifecycleEvent, NewSession, Policy, RenewalMode, SessionLifecycle, TokenAction,
/// };
/// use qb_auth_core::{Session, SessionToken};
///
/// let events = Arc::new(Mutex::new(Vec::new()));
/// let seen = events.clone();
/// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
/// let shared = SharedLifecycle::new(
///     lifecycle,
///     vec![Arc::new(move |e: &LifecycleEvent| seen.lock().unwrap().push(format!("{e:?}")))],
///     None,
/// );
///
/// let mut ask = Ask::new();
/// let (TokenAction::Renew(ticket), results) = shared.poll_token(SystemTime::now(), &mut ask) else {
///     unreachable!("no session yet")
/// };
/// assert_eq!(results, 0);
/// let minted = NewSession::new(Session::new(SessionToken::new("t0k3n")));
/// shared.finish_renewal(ticket, SystemTime::now(), Ok(minted));
/// assert_eq!(shared.lock().results(), 1);
/// assert!(matches!(shared.poll_token(SystemTime::now(), &mut ask).0, TokenAction::Use(_)));
/// assert!(events.lock().unwrap()[0].starts_with("SessionCreated"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SharedLifecycle {
    state: Mutex<LifecycleState>,
    hooks: Hooks,
}

/// What the lock of a [`SharedLifecycle`] guards: the lifecycle, and the
/// counts that order store writes and tell waiters a renewal ended.
///
/// ```
/// use qb_auth_core::adapter::SharedLifecycle;
/// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
///
/// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
/// let shared = SharedLifecycle::new(lifecycle, Vec::new(), None);
/// let state = shared.lock();
/// assert!(state.lifecycle().session().is_none());
/// assert_eq!(state.results(), 0);
/// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
/// ```
#[derive(Debug)]
pub struct LifecycleState {
    lifecycle: SessionLifecycle,
    /// The number of the last batch taken for the store.
    batches: u64,
    /// How many renewal results have come in.
    results: u64,
}

impl LifecycleState {
    /// The lifecycle.
    ///
    /// ```
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
    ///
    /// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// let shared = SharedLifecycle::new(lifecycle, Vec::new(), None);
    /// assert!(shared.lock().lifecycle().session().is_none());
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn lifecycle(&self) -> &SessionLifecycle {
        &self.lifecycle
    }

    /// How many renewal results have come in so far: a thread that saw
    /// this number before it started waiting knows a renewal ended when
    /// it changes.
    ///
    /// ```
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
    ///
    /// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// assert_eq!(SharedLifecycle::new(lifecycle, Vec::new(), None).lock().results(), 0);
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn results(&self) -> u64 {
        self.results
    }

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
    /// Shares `lifecycle`, delivering the events it has queued so far (a
    /// fixed or restored session) to `listeners` and `store`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
    /// use qb_auth_core::store::{MemoryStore, SessionStore};
    /// use qb_auth_core::{Session, SessionToken};
    ///
    /// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::FixedToken)?;
    /// lifecycle.set_session(SystemTime::now(), Session::new(SessionToken::new("t0k3n")), None);
    /// let store = Arc::new(MemoryStore::new());
    /// let _shared = SharedLifecycle::new(lifecycle, Vec::new(), Some(store.clone()));
    /// assert!(store.load()?.is_some(), "the fixed session was saved");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        lifecycle: SessionLifecycle,
        listeners: Vec<Listener>,
        store: Option<Arc<dyn SessionStore>>,
    ) -> Self {
        let shared = Self {
            state: Mutex::new(LifecycleState {
                lifecycle,
                batches: 0,
                results: 0,
            }),
            hooks: Hooks::new(listeners, store),
        };
        let batch = shared.lock().take_batch();
        shared.hooks.deliver(batch);
        shared
    }

    /// A managed session's lifecycle as `source` and `options` set it up:
    /// a fixed session is installed; otherwise a session saved in the
    /// store is restored (if it is still good).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::{Duration, SystemTime};
    /// use qb_auth_core::adapter::{ManagedOptions, RenewalSource, SharedLifecycle};
    /// use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
    /// use qb_auth_core::store::{MemoryStore, SessionStore};
    /// use qb_auth_core::{Session, SessionToken};
    ///
    /// let now = SystemTime::now();
    /// let store = Arc::new(MemoryStore::new());
    /// let saved = (Session::new(SessionToken::new("t0k3n")), now + Duration::from_secs(3600));
    /// store.save(&LifecycleSnapshot::new(Some(saved), ClockSkew::ZERO))?;
    /// let options = ManagedOptions { store: Some(store), ..Default::default() };
    /// let source: RenewalSource<()> = RenewalSource::TokenProvider(Arc::new(()));
    /// let shared = SharedLifecycle::start(now, &source, options)?;
    /// let token = shared.lock().lifecycle().session().map(|s| s.token.clone());
    /// assert_eq!(token, Some(SessionToken::new("t0k3n")), "restored from the store");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start<P: ?Sized>(
        now: SystemTime,
        source: &RenewalSource<P>,
        options: ManagedOptions,
    ) -> Result<Self, Error> {
        let mut lifecycle = SessionLifecycle::new(options.policy, source.mode())?;
        match source {
            RenewalSource::Fixed(session) => lifecycle.set_session(now, (**session).clone(), None),
            _ => {
                let saved = options.store.as_ref().map(|s| s.load()).transpose()?;
                if let Some(saved) = saved.flatten() {
                    lifecycle.restore(now, saved);
                }
            }
        }
        Ok(Self::new(lifecycle, options.listeners, options.store))
    }

    /// The lock, for reading the state (or waiting on a condition
    /// variable). Changes go through the other methods, which deliver
    /// their events.
    ///
    /// ```
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
    ///
    /// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// let shared = SharedLifecycle::new(lifecycle, Vec::new(), None);
    /// assert!(shared.lock().lifecycle().expires_at().is_none());
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn lock(&self) -> MutexGuard<'_, LifecycleState> {
        // The lifecycle is updated by single calls that do not panic part
        // way; its state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the state under the lock, then delivers what it caused.
    fn with_state<T>(&self, f: impl FnOnce(&mut LifecycleState) -> T) -> T {
        let (value, batch) = {
            let mut state = self.lock();
            let value = f(&mut state);
            (value, state.take_batch())
        };
        self.hooks.deliver(batch);
        value
    }

    /// Runs `f` on the lifecycle under the lock, then delivers the events
    /// it caused.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
    /// use qb_auth_core::{Session, SessionToken};
    ///
    /// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::FixedToken)?;
    /// let shared = SharedLifecycle::new(lifecycle, Vec::new(), None);
    /// let session = Session::new(SessionToken::new("t0k3n"));
    /// shared.with_lifecycle(|l| l.set_session(SystemTime::now(), session, None));
    /// assert!(shared.lock().lifecycle().session().is_some());
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn with_lifecycle<T>(&self, f: impl FnOnce(&mut SessionLifecycle) -> T) -> T {
        self.with_state(|state| f(&mut state.lifecycle))
    }

    /// Asks the lifecycle for a token, and returns with its answer the
    /// number of renewal results so far (see [`LifecycleState::results`]),
    /// read under the same lock.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Ask, Policy, RenewalMode, SessionLifecycle, TokenAction};
    ///
    /// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::FixedToken)?;
    /// let shared = SharedLifecycle::new(lifecycle, Vec::new(), None);
    /// // A fixed token that is gone cannot be renewed.
    /// let (action, _) = shared.poll_token(SystemTime::now(), &mut Ask::new());
    /// assert!(matches!(action, TokenAction::Failed(_)));
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn poll_token(&self, now: SystemTime, ask: &mut Ask) -> (TokenAction, u64) {
        self.with_state(|state| (state.lifecycle.poll_token(now, ask), state.results))
    }

    /// Hands a renewal ticket back with the attempt's result and counts
    /// the result; the adapter then wakes everyone waiting on it.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{
    ///     Ask, Policy, RenewalMode, RenewalProgress, SessionLifecycle, TokenAction, TransportError,
    /// };
    ///
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// let shared = SharedLifecycle::new(lifecycle, Vec::new(), None);
    /// let (TokenAction::Renew(ticket), before) = shared.poll_token(now, &mut Ask::new()) else {
    ///     unreachable!("no session yet")
    /// };
    /// let failed = Err(TransportError::new("connection reset").into());
    /// let progress = shared.finish_renewal(ticket, now, failed);
    /// assert!(matches!(progress, RenewalProgress::RetryAt(_)), "no answer: try again later");
    /// assert_eq!(shared.lock().results(), before + 1);
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn finish_renewal(
        &self,
        ticket: RenewalTicket,
        now: SystemTime,
        result: Result<NewSession, AttemptError>,
    ) -> RenewalProgress {
        let progress = self.with_state(|state| {
            state.results += 1;
            state.lifecycle.on_renewal_result(ticket, now, result)
        });
        tracing::debug!(?progress, "renewal attempt reported");
        progress
    }

    /// Reports the answer to a request sent with `token` at `sent_at`
    /// (`now`: when the answer came): a 2xx slides the session's expiry;
    /// "Required session does not exist" drops the token, so the next ask
    /// renews. Returns whether the answer was that refusal: the request is
    /// then worth sending once more, with a new token (see
    /// [`copy_for_retry`]). Other failures are not retried: the request may
    /// not be idempotent.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
    /// use qb_auth_core::{Session, SessionToken};
    ///
    /// let now = SystemTime::now();
    /// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// lifecycle.set_session(now, Session::new(SessionToken::new("t0k3n")), None);
    /// let shared = SharedLifecycle::new(lifecycle, Vec::new(), None);
    /// let token = SessionToken::new("t0k3n");
    ///
    /// let ok = http::Response::builder().status(200).body(b"{}".to_vec())?;
    /// assert!(!shared.answered(&token, now, now, &ok));
    /// let gone = http::Response::builder()
    ///     .status(401)
    ///     .body(br#"{"errors":{"base":["Required session does not exist"]}}"#.to_vec())?;
    /// assert!(shared.answered(&token, now, now, &gone));
    /// assert!(shared.lock().lifecycle().session().is_none(), "dropped: the next ask renews");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn answered(
        &self,
        token: &SessionToken,
        sent_at: SystemTime,
        now: SystemTime,
        answer: &Answer,
    ) -> bool {
        if answer.status().is_success() {
            let times = ResponseTimes::from_headers(answer.headers());
            self.with_lifecycle(|l| l.on_success(sent_at, token, times));
        }
        let rejected = check_status(answer, Operation::Other)
            .is_err_and(|e| e.kind() == ErrorKind::SessionExpired);
        if rejected {
            self.with_lifecycle(|l| l.on_session_rejected(now, token));
        }
        rejected
    }

    /// Takes the current session out (for the adapter to destroy it on the
    /// server) and clears the store; the next ask renews.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
    /// use qb_auth_core::store::{MemoryStore, SessionStore};
    /// use qb_auth_core::{Session, SessionToken};
    ///
    /// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// lifecycle.set_session(SystemTime::now(), Session::new(SessionToken::new("t0k3n")), None);
    /// let store = Arc::new(MemoryStore::new());
    /// let shared = SharedLifecycle::new(lifecycle, Vec::new(), Some(store.clone()));
    /// assert_eq!(shared.forget().map(|s| s.token), Some(SessionToken::new("t0k3n")));
    /// assert!(store.load()?.is_none());
    /// assert!(shared.forget().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forget(&self) -> Option<Session> {
        let session = self.with_lifecycle(SessionLifecycle::take_session);
        if let Some(store) = self.hooks.store() {
            if let Err(err) = store.clear() {
                tracing::warn!(error = %err, "could not clear the session store");
            }
        }
        session
    }

    /// Adds the lifecycle's mode, session and expiry, and the hooks, to the
    /// `Debug` of the adapter's own type (the session shows redacted).
    ///
    /// ```
    /// use std::fmt;
    /// use qb_auth_core::adapter::SharedLifecycle;
    /// use qb_auth_core::lifecycle::{Policy, RenewalMode, SessionLifecycle};
    ///
    /// struct Managed(SharedLifecycle);
    ///
    /// impl fmt::Debug for Managed {
    ///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    ///         let mut out = f.debug_struct("Managed");
    ///         self.0.debug_fields(&mut out);
    ///         out.finish()
    ///     }
    /// }
    ///
    /// let lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// let managed = Managed(SharedLifecycle::new(lifecycle, Vec::new(), None));
    /// assert_eq!(
    ///     format!("{managed:?}"),
    ///     "Managed { mode: RenewalMode::TokenProvider, session: None, expires_at: None, \
    ///      hooks: Hooks { listeners: 0, store: false } }"
    /// );
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        let state = self.lock();
        out.field("mode", state.lifecycle.mode())
            .field("session", &state.lifecycle.session())
            .field("expires_at", &state.lifecycle.expires_at())
            .field("hooks", &self.hooks);
    }
}

impl fmt::Debug for SharedLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("SharedLifecycle");
        self.debug_fields(&mut out);
        out.finish()
    }
}

/// A copy of a request for the one retry after "Required session does not
/// exist" (method, URI, version, headers, body; extensions cannot be
/// copied). Make it before the first send, which consumes the request.
///
/// ```
/// use qb_auth_core::adapter::copy_for_retry;
/// use qb_auth_core::Body;
///
/// let request = http::Request::post("https://api.quickblox.com/users.json")
///     .header("Content-Type", "application/json")
///     .body(Body::from(b"{}".to_vec()))?;
/// let again = copy_for_retry(&request);
/// assert_eq!((again.method(), again.uri()), (request.method(), request.uri()));
/// assert_eq!(again.headers(), request.headers());
/// assert_eq!(again.body().as_bytes(), b"{}");
/// # Ok::<(), http::Error>(())
/// ```
pub fn copy_for_retry(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}
