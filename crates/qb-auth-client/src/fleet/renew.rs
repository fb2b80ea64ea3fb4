//! A renewal shared with the fleet: take the fleet's session when it is
//! newer than the one this process held, otherwise renew under the fleet's
//! lease and publish the result; renew alone while the store fails.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use qb_auth_core::lifecycle::{
    AttemptError, LifecycleEvent, LifecycleSnapshot, NewSession, RenewalMode, RenewalReason,
    RenewalTicket, SessionLifecycle,
};
use qb_auth_core::{Session, SessionToken};

use super::{FleetKey, FleetState, FleetStore, Published};
use crate::managed::SharedLifecycle;
use crate::metrics;
use crate::store::StoreError;

/// A fleet copy is taken only with at least this much life left.
const ADOPT_SLACK: Duration = Duration::from_secs(1);

/// One managed session's part in a fleet.
pub(crate) struct Fleet {
    store: Arc<dyn FleetStore>,
    key: FleetKey,
    /// Who holds the lease: this process and this session.
    owner: String,
    lease_ttl: Duration,
    /// The last session this process took from or gave to the fleet, and
    /// its version there: never taken again, dropped if rejected.
    last: Mutex<Option<(SessionToken, u64)>>,
    /// Whether the store failed and the listeners were told.
    down: AtomicBool,
}

/// How a step with the store went.
enum Step<T> {
    Done(T),
    /// The store failed: renew alone.
    Alone,
}

impl Fleet {
    pub(crate) fn new(store: Arc<dyn FleetStore>, key: FleetKey, lease_ttl: Duration) -> Self {
        Self {
            store,
            key,
            owner: owner_id(),
            lease_ttl,
            last: Mutex::new(None),
            down: AtomicBool::new(false),
        }
    }

    /// Whether the store failed and has not answered since.
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Gets the ticket's session through the fleet; `create` makes one
    /// with the server (or the token provider) when this process must.
    pub(crate) async fn renew<F, Fut>(
        &self,
        lifecycle: &SharedLifecycle,
        ticket: &RenewalTicket,
        create: F,
    ) -> Result<NewSession, AttemptError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<NewSession, AttemptError>>,
    {
        let (policy, offset, current) = lifecycle.read(|l| {
            let current = l.session().map(|s| s.token.clone());
            (l.policy().clone(), l.clock_offset(), current)
        });
        let last = self.last().clone();
        if ticket.reason() == RenewalReason::Rejected {
            if let Some((_, version)) = &last {
                if let Step::Alone = self.step(
                    lifecycle,
                    self.store.drop_rejected(&self.key, *version).await,
                ) {
                    return self.alone(create).await;
                }
            }
        }
        // Never the session this process holds or gave up on.
        let stale = |token: &SessionToken| {
            current.as_ref() == Some(token) || last.as_ref().is_some_and(|(t, _)| t == token)
        };
        let give_up = SystemTime::now() + policy.renewal_timeout() / 2;
        loop {
            let state = match self.step(lifecycle, self.store.load(&self.key).await) {
                Step::Done(state) => state,
                Step::Alone => return self.alone(create).await,
            };
            if let Some(new) = self.adopt(&state, &stale, offset) {
                return Ok(new);
            }
            let leased = self
                .store
                .try_lease(&self.key, &self.owner, self.lease_ttl)
                .await;
            match self.step(lifecycle, leased) {
                Step::Alone => return self.alone(create).await,
                Step::Done(true) => {
                    return self
                        .renew_leased(lifecycle, &stale, offset, &policy, create)
                        .await;
                }
                Step::Done(false) => {}
            }
            let now = SystemTime::now();
            if now >= give_up {
                // The lease stayed held without a result: renew alone.
                return self.alone(create).await;
            }
            let until = give_up.min(now + self.lease_ttl);
            let waited = self
                .store
                .wait_change(&self.key, state.version, until)
                .await;
            if let Step::Alone = self.step(lifecycle, waited) {
                return self.alone(create).await;
            }
        }
    }

    /// Holding the lease: look once more (a holder may have published
    /// between the load and the lease), else create and publish.
    async fn renew_leased<F, Fut>(
        &self,
        lifecycle: &SharedLifecycle,
        stale: &impl Fn(&SessionToken) -> bool,
        offset: qb_auth_core::lifecycle::ClockSkew,
        policy: &qb_auth_core::lifecycle::Policy,
        create: F,
    ) -> Result<NewSession, AttemptError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<NewSession, AttemptError>>,
    {
        let state = match self.step(lifecycle, self.store.load(&self.key).await) {
            Step::Done(state) => state,
            Step::Alone => return self.alone(create).await,
        };
        let result = match self.adopt(&state, stale, offset) {
            Some(new) => Ok(new),
            None => {
                let result = create().await;
                if let Ok(new) = &result {
                    metrics::fleet_renewal("created");
                    let snapshot = published_form(policy, offset, new);
                    let published = self
                        .store
                        .publish(&self.key, state.version, &snapshot)
                        .await;
                    match self.step(lifecycle, published) {
                        Step::Done(Published::Written(version)) => {
                            *self.last() = Some((new.session.token.clone(), version));
                        }
                        // A newer one is there, or the store failed: ours
                        // still serves this process, but is not the fleet's.
                        Step::Done(Published::Fenced { .. }) | Step::Alone => *self.last() = None,
                    }
                }
                result
            }
        };
        let released = self.store.release(&self.key, &self.owner).await;
        // Left to expire if this fails: the waiters take over after its TTL.
        let _ = self.step(lifecycle, released);
        result
    }

    /// Renews without the fleet. The session this process will hold is
    /// then not the fleet's: its rejection must not drop the fleet's copy.
    async fn alone<F, Fut>(&self, create: F) -> Result<NewSession, AttemptError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<NewSession, AttemptError>>,
    {
        let result = create().await;
        if result.is_ok() {
            *self.last() = None;
            metrics::fleet_renewal("alone");
        }
        result
    }

    /// The fleet's session, if it is one this process should take.
    fn adopt(
        &self,
        state: &FleetState,
        stale: &impl Fn(&SessionToken) -> bool,
        offset: qb_auth_core::lifecycle::ClockSkew,
    ) -> Option<NewSession> {
        let snapshot = state.session.as_ref()?;
        let (session, until) = (snapshot.session()?, snapshot.valid_until()?);
        if stale(&session.token) || until < SystemTime::now() + ADOPT_SLACK {
            return None;
        }
        *self.last() = Some((session.token.clone(), state.version));
        metrics::fleet_renewal("taken");
        let mut session: Session = session.clone();
        // Read back through the same offset, this is the fleet's expiry.
        session.expires_at = Some(offset.to_server(until));
        Some(NewSession::from_fleet(session))
    }

    /// Passes a result on; a failure becomes [`Step::Alone`], announced
    /// once, and the first success after it is announced too.
    fn step<T>(&self, lifecycle: &SharedLifecycle, result: Result<T, StoreError>) -> Step<T> {
        match result {
            Ok(value) => {
                if self.down.swap(false, Ordering::AcqRel) {
                    tracing::info!(key = %self.key, "shared session store answers again");
                    lifecycle.announce(LifecycleEvent::SharingResumed);
                }
                Step::Done(value)
            }
            Err(err) => {
                if !self.down.swap(true, Ordering::AcqRel) {
                    tracing::warn!(key = %self.key, error = %err, "shared session store failed: renewing alone");
                    lifecycle.announce(LifecycleEvent::SharingUnavailable {
                        reason: err.to_string(),
                    });
                }
                Step::Alone
            }
        }
    }

    fn last(&self) -> std::sync::MutexGuard<'_, Option<(SessionToken, u64)>> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("key", &self.key)
            .field("owner", &self.owner)
            .field("lease_ttl", &self.lease_ttl)
            .field("down", &self.down.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The session as the lifecycle will hold it (its expiry read the same
/// way), in the form other processes restore.
fn published_form(
    policy: &qb_auth_core::lifecycle::Policy,
    offset: qb_auth_core::lifecycle::ClockSkew,
    new: &NewSession,
) -> LifecycleSnapshot {
    let now = SystemTime::now();
    match SessionLifecycle::new(policy.clone(), RenewalMode::FixedToken) {
        Ok(mut scratch) => {
            scratch.restore(now, LifecycleSnapshot::new(None, offset));
            scratch.set_session(now, new.session.clone(), new.server_date);
            scratch.snapshot()
        }
        // The policy was validated at build; keep to the default lifetime.
        Err(_) => LifecycleSnapshot::new(
            Some((new.session.clone(), now + policy.default_ttl())),
            offset,
        ),
    }
}

/// `<process id>-<random>`: the process is named, so an operator (or a
/// test) can tell who holds a lease; the random part tells sessions apart.
fn owner_id() -> String {
    format!(
        "{}-{:016x}",
        std::process::id(),
        crate::settings::os_random()
    )
}
