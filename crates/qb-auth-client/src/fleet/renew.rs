//! A renewal shared with the fleet: take the fleet's session when it is
//! newer than the one this process held (and passes the checks a restored
//! session passes), otherwise renew under the fleet's lease and publish
//! the result; renew alone while the store fails. The managed session
//! hands in plain values (the token it holds, its clock offset) and where
//! events go; it never lends its lifecycle.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use qb_auth_core::lifecycle::{
    AttemptError, ClockSkew, LifecycleEvent, NewSession, Policy, RenewalReason, RenewalTicket,
};
use qb_auth_core::{Session, SessionToken};

use super::{Claim, Claimed, FleetKey, FleetState, FleetStore, Published};
use crate::metrics;
use crate::store::{StoreError, trust};

/// A fleet copy is taken only with at least this much life left.
const ADOPT_SLACK: Duration = Duration::from_secs(1);

/// What the managed session holds when it renews through the fleet: plain
/// values read from its lifecycle.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    /// The token it holds (expired or rejected, maybe): never taken back.
    pub(crate) token: Option<SessionToken>,
    /// Its measured clock offset: a published expiry is read through it.
    pub(crate) clock_offset: ClockSkew,
}

/// Where the fleet's events go (the managed session's listeners).
pub(crate) type Announce<'a> = &'a (dyn Fn(LifecycleEvent) + Send + Sync);

/// One managed session's part in a fleet.
pub(crate) struct Fleet {
    store: Arc<dyn FleetStore>,
    key: FleetKey,
    /// Who holds the lease: this process and this session.
    owner: String,
    lease_ttl: Duration,
    /// The session's policy: how long a renewal may wait for the fleet,
    /// and how a new session's expiry is read.
    policy: Policy,
    /// What a published session must be for this session to take it.
    expected: trust::Expected,
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
    pub(crate) fn new(
        store: Arc<dyn FleetStore>,
        key: FleetKey,
        lease_ttl: Duration,
        policy: Policy,
        expected: trust::Expected,
    ) -> Self {
        Self {
            store,
            key,
            owner: owner_id(),
            lease_ttl,
            policy,
            expected,
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
        held: Held,
        announce: Announce<'_>,
        ticket: &RenewalTicket,
        create: F,
    ) -> Result<NewSession, AttemptError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<NewSession, AttemptError>>,
    {
        let last = self.last().clone();
        let mut rejected = match (ticket.reason(), &last) {
            (RenewalReason::Rejected, Some((_, version))) => Some(*version),
            _ => None,
        };
        // Never the session this process holds or gave up on.
        let mut unwanted = last.as_ref().map_or(0, |(_, version)| *version);
        let stale = |token: &SessionToken| {
            held.token.as_ref() == Some(token) || last.as_ref().is_some_and(|(t, _)| t == token)
        };
        let give_up = SystemTime::now() + self.policy.renewal_timeout() / 2;
        loop {
            let claim = Claim {
                rejected: rejected.take(),
                unwanted,
                owner: &self.owner,
                ttl: self.lease_ttl,
            };
            let Claimed { state, leased } =
                match self.step(announce, self.store.claim(&self.key, claim).await) {
                    Step::Done(claimed) => claimed,
                    // The request may still reach the store (one slow to
                    // answer): free the lease if it took it, once this
                    // process has its session. Whether that works says
                    // nothing of the sharing, which failed: not announced.
                    Step::Alone => {
                        let result = self.alone(create).await;
                        let _ = self.store.release(&self.key, &self.owner).await;
                        return result;
                    }
                };
            if leased {
                return self
                    .create_and_publish(state.version, &held, announce, create)
                    .await;
            }
            if state.session.is_some() && state.version > unwanted {
                match self.take(&state, &stale, &held, announce).await {
                    Step::Done(Some(new)) => return Ok(new),
                    // Stale, about to expire or refused: claim the lease
                    // unless something newer came meanwhile.
                    Step::Done(None) => {
                        unwanted = state.version;
                        continue;
                    }
                    Step::Alone => return self.alone(create).await,
                }
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
            if let Step::Alone = self.step(announce, waited) {
                return self.alone(create).await;
            }
        }
    }

    /// Holding the lease, taken when no newer session than `expected`'s
    /// was published: creates the session, publishes it fenced on
    /// `expected`, and releases the lease.
    async fn create_and_publish<F, Fut>(
        &self,
        expected: u64,
        held: &Held,
        announce: Announce<'_>,
        create: F,
    ) -> Result<NewSession, AttemptError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<NewSession, AttemptError>>,
    {
        let result = create().await;
        if let Ok(new) = &result {
            metrics::fleet_renewal("created");
            let snapshot = new.snapshot_at(SystemTime::now(), held.clock_offset, &self.policy);
            let published = self.store.publish(&self.key, expected, &snapshot).await;
            match self.step(announce, published) {
                Step::Done(Published::Written(version)) => {
                    *self.last() = Some((new.session.token.clone(), version));
                }
                // A newer one is there, or the store failed: ours still
                // serves this process, but is not the fleet's.
                Step::Done(Published::Fenced { .. }) | Step::Alone => *self.last() = None,
            }
        }
        let released = self.store.release(&self.key, &self.owner).await;
        // Left to expire if this fails: the waiters take over after its TTL.
        let _ = self.step(announce, released);
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

    /// The fleet's session, if it is one this process should take. One
    /// that is stale or about to expire is passed over; one that fails the
    /// checks a restored session must pass (another application's or
    /// identity kind's, not a session token, claiming to outlive any
    /// session) is announced and dropped from the store if still there.
    async fn take(
        &self,
        state: &FleetState,
        stale: &impl Fn(&SessionToken) -> bool,
        held: &Held,
        announce: Announce<'_>,
    ) -> Step<Option<NewSession>> {
        let Some(snapshot) = &state.session else {
            return Step::Done(None);
        };
        let (Some(session), Some(until)) = (snapshot.session(), snapshot.valid_until()) else {
            return Step::Done(None);
        };
        let now = SystemTime::now();
        if stale(&session.token) || until < now + ADOPT_SLACK {
            return Step::Done(None);
        }
        if let Some(reason) = trust::problem(snapshot, &self.expected, now) {
            tracing::warn!(key = %self.key, reason = %reason, "ignoring the fleet's session");
            announce(LifecycleEvent::SharedSessionIgnored { reason });
            let dropped = self.store.drop_rejected(&self.key, state.version).await;
            return match self.step(announce, dropped) {
                Step::Done(_) => Step::Done(None),
                Step::Alone => Step::Alone,
            };
        }
        *self.last() = Some((session.token.clone(), state.version));
        metrics::fleet_renewal("taken");
        let mut session: Session = session.clone();
        // Read back through the same offset, this is the fleet's expiry.
        session.expires_at = Some(held.clock_offset.to_server(until));
        Step::Done(Some(NewSession::from_fleet(session)))
    }

    /// Passes a result on; a failure becomes [`Step::Alone`], announced
    /// once, and the first success after it is announced too.
    fn step<T>(&self, announce: Announce<'_>, result: Result<T, StoreError>) -> Step<T> {
        match result {
            Ok(value) => {
                if self.down.swap(false, Ordering::AcqRel) {
                    tracing::info!(key = %self.key, "shared session store answers again");
                    announce(LifecycleEvent::SharingResumed);
                }
                Step::Done(value)
            }
            Err(err) => {
                if !self.down.swap(true, Ordering::AcqRel) {
                    tracing::warn!(key = %self.key, error = %err, "shared session store failed: renewing alone");
                    announce(LifecycleEvent::SharingUnavailable {
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

/// `<process id>-<random>`: the process is named, so an operator (or a
/// test) can tell who holds a lease; the random part tells sessions apart.
fn owner_id() -> String {
    format!(
        "{}-{:016x}",
        std::process::id(),
        crate::settings::os_random()
    )
}
