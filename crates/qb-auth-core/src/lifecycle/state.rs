//! The state machine: which token to use, when to renew, what a result
//! means. Its state is two enums, the session (`session.rs`) and the
//! renewal (`renewal.rs`); the failure of a run lives in the renewal state
//! it left behind. One counter numbers tickets and failures, so that each
//! caller's [`Ask`] can tell the failures it lived through.
//!
//! ```text
//! session       SessionState
//!   None(reason)  no token: never had one, it expired, or the server rejected it
//!   Live          a token valid until `expires_at`; from `renew_at` (the margin)
//!                 one proactive renewal may start, unless a failure stands
//!
//! renewal       Renewal                                failure that stands
//!   Idle          no run                                 none
//!   InFlight      attempt n of a run is out: one ticket, the one the run
//!                 reported by `deadline`                  follows, if any
//!   BackingOff    attempt n failed and may be retried    (same)
//!                 from `not_before`
//!   Cooling       a run spent its attempts: new callers  the run's
//!                 wait until `not_before`, then start a new run
//!   Held          a run ended on an error no retry       the run's
//!                 fixes soon: every caller gets it until `until`
//!   Refused       the server refused the credentials:    the run's
//!                 every caller gets it; from `recheck_at` one ticket asks
//!                 the provider again and sends only different credentials
//!
//! caller        Ask: the step at its first poll, and its deadline
//!               (first poll + policy.max_wait, or its own)
//!
//! event                                    session        renewal      caller gets
//! ---------------------------------------  -------------  -----------  ----------------------
//! ask, Live, before renew_at               -              -            Use
//! ask, Live, due, no failure, may start    -              InFlight     Renew (proactive)
//! ask, Live, otherwise                     -              -            Use
//! ask, a failure after its first poll      None           -            Failed(that error)
//! ask, None, Idle or any pause over        None           InFlight     Renew
//! ask, None, Held / Refused not over       None           -            Failed(the error)
//! ask, None, InFlight / BackingOff /       None           -            Wait (until that ends,
//!   Cooling                                                              at most its deadline)
//! ask past its deadline, or the next       None           -            Failed(CallerDeadline)
//!   attempt starts after it
//! result: a session                        Live           Idle         (poll again: Use)
//! result: retryable, attempts left         -              BackingOff
//! result: retryable, attempts spent        -              Cooling      (poll again: Failed)
//! result: credentials refused              -              Refused      (poll again: Failed)
//! result: other final error                -              Held         (poll again: Failed)
//! result: refused credentials unchanged    -              Refused      (poll again: Failed)
//! InFlight past its deadline               -              as a result: TimedOut
//! expiry / on_session_rejected             None           -
//! set_session                              Live           Idle
//! set_mode / reset                         -              Idle (failure forgotten)
//! ```
//!
//! A run that fails while a token is live never drops it: the token is
//! used until it expires (no proactive renewal starts while the failure
//! stands), and the failure only reaches callers once there is no token.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use crate::response::{ApiError, ErrorKind, Session};
use crate::secret::SessionToken;

use super::action::{Ask, RenewalMethod, RenewalReason, RenewalTicket, TokenAction};
use super::backoff::{self, Jitter};
use super::digest::CredentialsDigest;
use super::event::LifecycleEvent;
use super::expiry;
use super::outcome::SessionOrigin;
use super::outcome::{
    AttemptError, Attempted, NewSession, RenewalError, RenewalProgress, ResponseTimes,
};
use super::policy::{Policy, PolicyError};
use super::provider::RenewalMode;
use super::renewal::{Failure, Renewal, Run};
use super::session::{Live, SessionState};
use super::skew::ClockSkew;
use super::snapshot::LifecycleSnapshot;
use super::status::{LifecycleStatus, Phase};

/// Events kept for [`SessionLifecycle::poll_event`]; older ones are
/// dropped first, so a transport that never reads them leaks nothing.
const MAX_EVENTS: usize = 64;

/// A QuickBlox session's life: which token to use, when to renew it, and
/// what each answer means. Sans-IO, in the style of quinn-proto.
///
/// It never reads a clock, draws random numbers from the OS, sleeps,
/// spawns or locks: every call takes `now`, jitter comes from the policy's
/// seed, and [`next_deadline`](Self::next_deadline) says when time alone
/// changes something. A driver (`qb-auth-client`'s managed session) keeps
/// it inside one lock shared by all its tasks or threads, calls it briefly
/// under the lock, and does the I/O outside it.
///
/// `now` is a [`SystemTime`], not an `Instant`, because what it is compared
/// with is wall-clock time: `QB-Token-ExpirationDate`, the `Date` header,
/// and the timestamp QuickBlox checks against its own clock. A wall clock
/// that jumps is handled like any other input: the token expires early or
/// late, and the server's rejection corrects it.
///
/// See [the module documentation](super) for a renewal driven by hand; the
/// tests in `tests/lifecycle/` drive each state.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_core::lifecycle::{
///     Ask, NewSession, Policy, RenewalMode, ResponseTimes, SessionLifecycle, TokenAction,
/// };
///
/// let mut now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
///
/// // The first ask renews; a second caller meanwhile waits.
/// let TokenAction::Renew(ticket) = lifecycle.poll_token(now, &mut Ask::new()) else { panic!() };
/// assert!(matches!(lifecycle.poll_token(now, &mut Ask::new()), TokenAction::Wait { .. }));
///
/// // The driver called its token provider and reports the token.
/// let minted = NewSession::new(Session::new(SessionToken::new("minted")));
/// lifecycle.on_renewal_result(ticket, now, Ok(minted));
///
/// // Every request with the token slides its expiry (2 hours by default).
/// now += Duration::from_secs(3600);
/// let TokenAction::Use(token) = lifecycle.poll_token(now, &mut Ask::new()) else { panic!() };
/// lifecycle.on_success(now, &token, ResponseTimes::NONE);
/// assert_eq!(lifecycle.expires_at(), Some(now + Duration::from_secs(7200)));
/// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
/// ```
#[derive(Debug)]
pub struct SessionLifecycle {
    policy: Policy,
    mode: RenewalMode,
    rng: Jitter,
    session: SessionState,
    renewal: Renewal,
    clock_offset: ClockSkew,
    /// Numbers tickets and failures in one sequence.
    step: u64,
    events: VecDeque<LifecycleEvent>,
}

impl SessionLifecycle {
    /// A lifecycle with no session yet: the first ask renews (or, for
    /// [`RenewalMode::FixedToken`], fails until
    /// [`set_session`](Self::set_session) gives it the token).
    ///
    /// # Errors
    ///
    /// [`PolicyError`] for a policy that cannot work (no attempts, a zero
    /// lifetime, ...).
    pub fn new(policy: Policy, mode: RenewalMode) -> Result<Self, PolicyError> {
        policy.validate()?;
        Ok(Self {
            rng: Jitter::new(policy.jitter_seed()),
            policy,
            mode,
            session: SessionState::None(RenewalReason::NoSession),
            renewal: Renewal::Idle,
            clock_offset: ClockSkew::ZERO,
            step: 0,
            events: VecDeque::new(),
        })
    }

    /// The policy it runs with.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// How it renews.
    pub fn mode(&self) -> &RenewalMode {
        &self.mode
    }

    /// The current session, as of the last call (it may have expired
    /// since; [`poll_token`](Self::poll_token) never hands out an expired
    /// token).
    pub fn session(&self) -> Option<&Session> {
        self.session.live().map(|live| &live.session)
    }

    /// When the current session expires by the local clock, unless used
    /// again.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.session.live().map(|live| live.expires_at)
    }

    /// The clock offset tickets sign with: measured from the `Date` of
    /// create-session answers, within the policy's bound.
    pub fn clock_offset(&self) -> ClockSkew {
        self.clock_offset
    }

    /// Whether a ticket is out (a renewal attempt in flight).
    pub fn is_renewing(&self) -> bool {
        matches!(self.renewal, Renewal::InFlight { .. })
    }

    /// Where the lifecycle stands at `now`, for a health check: its phase,
    /// the time its token has left, and the failure that stands, if any.
    /// Changes nothing.
    pub fn status(&self, now: SystemTime) -> LifecycleStatus {
        let live = self.session.live().filter(|live| now < live.expires_at);
        let phase = match &self.renewal {
            Renewal::InFlight { .. } => Phase::Renewing,
            Renewal::BackingOff { not_before, .. } => Phase::BackingOff { until: *not_before },
            Renewal::Refused { recheck_at, .. } => Phase::Refused { until: *recheck_at },
            Renewal::Held { until, .. } => Phase::Held { until: *until },
            Renewal::Cooling { not_before, .. } => Phase::Cooling { until: *not_before },
            Renewal::Idle if live.is_some() => Phase::Live,
            Renewal::Idle if self.mode.can_renew() => Phase::Idle,
            Renewal::Idle => Phase::Gone,
        };
        let failure = self.renewal.failure();
        LifecycleStatus {
            phase,
            expires_at: live.map(|live| live.expires_at),
            time_left: live.map(|live| live.expires_at.duration_since(now).unwrap_or_default()),
            last_failure: failure.map(|f| f.error.clone()),
            failed_at: failure.map(|f| f.at),
        }
    }

    /// Asks for a token on behalf of one caller.
    ///
    /// - A valid token outside the renewal margin: [`TokenAction::Use`].
    /// - A valid token inside the margin: the first caller gets
    ///   [`TokenAction::Renew`] (proactive), everyone else keeps getting
    ///   `Use` with the old token until it really expires.
    /// - No valid token: one caller gets `Renew`, the others
    ///   [`TokenAction::Wait`] until it reports back (or a backoff ends).
    /// - The renewal the caller waited on failed, the credentials were
    ///   refused, or the token is fixed and gone: [`TokenAction::Failed`].
    ///   A caller that arrives after a run spent its attempts on failures
    ///   that may pass waits out a short pause and starts a new run.
    /// - No caller waits past its deadline (see [`Ask`]): it gets
    ///   [`RenewalError::CallerDeadline`] instead.
    ///
    /// At most one renewal attempt is in flight, however many callers ask.
    /// A token is never handed out at or after its expiry.
    pub fn poll_token(&mut self, now: SystemTime, ask: &mut Ask) -> TokenAction {
        self.advance(now);
        let (first_step, deadline) = ask.begin(now, self.step, self.policy.max_wait());
        if let Some(live) = self.session.live() {
            let token = live.session.token.clone();
            let due = live.due(now) && self.renewal.failure().is_none();
            if due && self.mode.can_renew() {
                if let Some(ticket) = self.try_issue(now, RenewalReason::Proactive) {
                    return TokenAction::Renew(ticket);
                }
            }
            return TokenAction::Use(token);
        }
        if let Some(failure) = self.renewal.failure() {
            if failure.step > first_step {
                return TokenAction::Failed(failure.error.clone());
            }
        }
        if !self.mode.can_renew() {
            return TokenAction::Failed(RenewalError::NotRenewable);
        }
        let reason = match self.session {
            SessionState::None(reason) => reason,
            SessionState::Live(_) => RenewalReason::NoSession,
        };
        if let Some(ticket) = self.try_issue(now, reason) {
            return TokenAction::Renew(ticket);
        }
        // No run may start: a failure that holds every caller off, or a
        // run (or its pause) that this caller may wait for.
        if let Some(failure) = self.renewal.holding() {
            return TokenAction::Failed(failure.error.clone());
        }
        self.wait(now, deadline)
    }

    /// Reports how a renewal attempt went, handing the ticket back.
    ///
    /// - A session: it becomes current (expiry from its
    ///   `QB-Token-ExpirationDate` read against the answer's `Date`, else
    ///   `now` plus the default TTL). A token handed in for a check is
    ///   fixed from then on.
    /// - "Bad timestamp": the clock offset is measured from the answer's
    ///   `Date` (ignored when absent or beyond the policy's bound) and, once
    ///   per renewal, the next ask re-signs at once with the corrected time.
    /// - 429, 5xx, transport failures, timeouts and retryable provider
    ///   errors: the next attempt may start after an exponential,
    ///   jittered backoff that honours `Retry-After`, within the policy's
    ///   attempt budget.
    /// - Credentials the server refused (invalid credentials, unexpected
    ///   signature, no application found, validation): the renewal stops,
    ///   callers get the error, and it stays so until the provider gives
    ///   different credentials or [`reset`](Self::reset) is called.
    /// - Anything else (a provider that gave up, an answer that is not
    ///   QuickBlox's, ...): the renewal stops and callers get the error
    ///   for the policy's [`failure_hold`](Policy::failure_hold).
    ///
    /// Nothing retries a failed renewal on its own. A failure never drops
    /// a token that is still valid. A ticket that is no longer in flight
    /// (it timed out) is ignored: [`RenewalProgress::Stale`].
    pub fn on_renewal_result(
        &mut self,
        ticket: RenewalTicket,
        now: SystemTime,
        result: Result<NewSession, AttemptError>,
    ) -> RenewalProgress {
        let live = matches!(self.renewal, Renewal::InFlight { ticket: id, .. } if id == ticket.id);
        // A late result still counts while no one else took over, so only
        // the expiry part of `advance` runs before it.
        self.expire(now);
        if !live {
            self.advance(now);
            return RenewalProgress::Stale;
        }
        if let Renewal::InFlight { run, .. } = &mut self.renewal {
            run.attempted = ticket.attempted();
        }
        match result {
            Ok(new) => {
                if let Some(date) = new.server_date {
                    self.observe_server_date(now, date);
                }
                self.renewal = Renewal::Idle;
                if matches!(self.mode, RenewalMode::CheckToken(_)) {
                    self.mode = RenewalMode::FixedToken;
                }
                let expires_at = self.local_expiry(now, new.session.expires_at, new.server_date);
                self.install(now, new.session, expires_at, new.origin);
                RenewalProgress::Installed
            }
            Err(error) => {
                let handed_out = ticket.handed_out();
                if ticket.refused.is_some() && handed_out == ticket.refused {
                    // Nothing was sent: the refusal stands.
                    if let Some(progress) = self.refused_again(now) {
                        return progress;
                    }
                }
                let measured = error
                    .api_error()
                    .and_then(ApiError::server_date)
                    .is_some_and(|date| self.observe_server_date(now, date));
                self.fail_attempt(now, error, measured, handed_out)
            }
        }
    }

    /// Reports that a request made with `token` succeeded (any 2xx), with
    /// the answer's times: the expiry slides (to `QB-Token-ExpirationDate`
    /// read against `Date`, else `now` plus the default TTL, never earlier
    /// than it was). Pass as `now` the time the request was sent: the
    /// server counts from when it handled it. Returns `false`, changing
    /// nothing, when `token` is not the current token.
    pub fn on_success(
        &mut self,
        now: SystemTime,
        token: &SessionToken,
        times: ResponseTimes,
    ) -> bool {
        self.advance(now);
        let from_header = self.local_expiry(now, times.token_expiration, times.date);
        let ttl = later(now, self.policy.default_ttl());
        let Some(live) = self
            .session
            .live_mut()
            .filter(|live| live.session.token == *token)
        else {
            return false;
        };
        let expires_at = from_header.unwrap_or(live.expires_at.max(ttl));
        live.slide(now, expires_at);
        if times.token_expiration.is_some() {
            live.session.expires_at = times.token_expiration;
        }
        true
    }

    /// Reports that a request made with `token` was refused with "Required
    /// session does not exist" ([`ErrorKind::SessionExpired`]). If `token`
    /// is still the current token it is dropped, so the next ask renews;
    /// retry the request once with the token that ask gives. A stale token
    /// (from before a renewal) changes nothing: returns `false`.
    pub fn on_session_rejected(&mut self, now: SystemTime, token: &SessionToken) -> bool {
        self.advance(now);
        if !self
            .session
            .live()
            .is_some_and(|live| live.session.token == *token)
        {
            return false;
        }
        self.session = SessionState::None(RenewalReason::Rejected);
        self.push(LifecycleEvent::SessionInvalidated);
        true
    }

    /// Makes `session` current, as a renewal would: the fixed token of
    /// [`RenewalMode::FixedToken`], a token the application got by other
    /// means, or a session created outside the lifecycle. `server_date` is
    /// the `Date` of the answer that carried it, if any. A renewal in
    /// flight becomes stale, and a failure that stood is forgotten.
    ///
    /// Without `server_date`, the session's `expires_at` is read through the
    /// measured clock offset, and a session already expired is not used: the
    /// next ask renews (or fails with [`RenewalError::NotRenewable`] for a
    /// fixed token) instead of sending a token the server has dropped.
    pub fn set_session(
        &mut self,
        now: SystemTime,
        session: Session,
        server_date: Option<SystemTime>,
    ) {
        self.expire(now);
        self.renewal = Renewal::Idle;
        // A session handed in may be old (saved, or minted elsewhere long
        // ago), so without an answer's `Date` to read it against, an expiry
        // already past is believed: the token is not handed out. Only the
        // expiry in an answer that just arrived is doubted when past (see
        // `local_expiry`).
        let expires_at = match (session.expires_at, server_date) {
            (Some(server_expiry), None) => Some(self.clock_offset.to_local(server_expiry)),
            (expiry, date) => self.local_expiry(now, expiry, date),
        };
        self.install(now, session, expires_at, SessionOrigin::Created);
        self.expire(now);
    }

    /// Changes how the lifecycle renews, from the next renewal on: after a
    /// user logged in on the current token (renew as that user), or logged
    /// out of it (renew an application session). A failure that stood is
    /// forgotten, and a renewal in flight with the old mode no longer
    /// counts: its result is stale.
    pub fn set_mode(&mut self, mode: RenewalMode) {
        self.mode = mode;
        self.renewal = Renewal::Idle;
    }

    /// Records that the current token now belongs to `user_id` (a login on
    /// it) or to the application alone (`None`, a logout), with
    /// [`LifecycleEvent::IdentityChanged`]. Returns `false`, changing
    /// nothing, when `token` is not the current token.
    pub fn set_user(&mut self, token: &SessionToken, user_id: Option<u64>) -> bool {
        let Some(live) = self.session.live_mut() else {
            return false;
        };
        if live.session.token != *token {
            return false;
        }
        live.session.user_id = user_id.unwrap_or(0);
        self.push(LifecycleEvent::IdentityChanged { user_id });
        true
    }

    /// Forgets the current session without telling anyone, after the
    /// application destroyed it (`DELETE /session.json`) or logged out for
    /// good; the next ask starts a new renewal.
    pub fn take_session(&mut self) -> Option<Session> {
        match std::mem::replace(
            &mut self.session,
            SessionState::None(RenewalReason::NoSession),
        ) {
            SessionState::Live(live) => Some(live.session),
            SessionState::None(_) => None,
        }
    }

    /// Lets time pass without an ask: drops an expired session
    /// ([`LifecycleEvent::SessionExpired`]) and counts a renewal that got
    /// no result within the policy's timeout as a failed attempt. Every
    /// other call does this first, so calling it is only needed to get
    /// those events without traffic.
    pub fn handle_timeout(&mut self, now: SystemTime) {
        self.advance(now);
    }

    /// The earliest time at which the lifecycle changes without any input:
    /// the session's expiry, the start of the renewal margin, the end of a
    /// backoff, or the timeout of the renewal in flight. The pause after a
    /// failed renewal is not one: a new renewal starts only when a caller
    /// asks. `None` when nothing is pending.
    ///
    /// A driver that renews in the background polls at this time with a
    /// new [`Ask`] (it handles timeouts too) and performs any renewal it
    /// is given; a deadline that is not after `now` means a renewal is due.
    /// One that only serves callers can ignore it.
    pub fn next_deadline(&self) -> Option<SystemTime> {
        let mut deadline = self.renewal.run_deadline();
        if let Some(live) = self.session.live() {
            deadline = earliest(deadline, live.expires_at);
            let may_renew = self.mode.can_renew() && self.renewal.failure().is_none();
            if may_renew && deadline.is_none_or(|d| d > live.renew_at) {
                deadline = earliest(deadline, live.renew_at);
            }
        }
        deadline
    }

    /// Takes the oldest event not yet taken. At most 64 are kept; older
    /// ones are dropped first.
    pub fn poll_event(&mut self) -> Option<LifecycleEvent> {
        self.events.pop_front()
    }

    /// The state worth saving: the session, its expiry and the clock
    /// offset. Save it (a managed session does, through its store) after
    /// [`LifecycleEvent::SessionCreated`] or
    /// [`LifecycleEvent::SessionRenewed`].
    pub fn snapshot(&self) -> LifecycleSnapshot {
        LifecycleSnapshot::new(
            self.session
                .live()
                .map(|live| (live.session.clone(), live.expires_at)),
            self.clock_offset,
        )
    }

    /// Restores saved state: the clock offset (if within the policy's
    /// bound) and the session, unless it is already expired at `now`.
    /// Returns whether a session was restored, which
    /// [`LifecycleEvent::SessionRestored`] says too.
    pub fn restore(&mut self, now: SystemTime, snapshot: LifecycleSnapshot) -> bool {
        self.advance(now);
        let (session, offset) = snapshot.into_parts();
        if offset.as_secs().unsigned_abs() <= self.policy.max_clock_offset().as_secs() {
            self.clock_offset = offset;
        }
        match session {
            Some((session, until)) if until > now => {
                self.install(now, session, Some(until), SessionOrigin::Store);
                true
            }
            _ => false,
        }
    }

    /// Forgets a failed renewal: the next ask that needs a session starts
    /// a new one at once, with the provider's credentials sent even if
    /// they are the ones the server refused, and a live token may be
    /// renewed ahead again. For when the user fixed what failed (typed the
    /// password again, rotated a secret the provider does not know
    /// about). A renewal in progress is ended: its ticket becomes stale.
    /// Returns whether there was anything to forget.
    pub fn reset(&mut self) -> bool {
        !matches!(
            std::mem::replace(&mut self.renewal, Renewal::Idle),
            Renewal::Idle
        )
    }

    /// Processes what time alone changes: expiry, then a renewal timeout.
    fn advance(&mut self, now: SystemTime) {
        self.expire(now);
        if let Renewal::InFlight { deadline, .. } = self.renewal {
            if now >= deadline {
                let timeout = self.policy.renewal_timeout();
                self.fail_attempt(now, AttemptError::TimedOut(timeout), false, None);
            }
        }
    }

    fn expire(&mut self, now: SystemTime) {
        if self
            .session
            .live()
            .is_some_and(|live| now >= live.expires_at)
        {
            self.session = SessionState::None(RenewalReason::Expired);
            self.push(LifecycleEvent::SessionExpired);
        }
    }

    /// Starts the next attempt if none is in flight and no backoff or
    /// pause runs: the one place a pause is compared with the clock. A
    /// proactive renewal does not wait out a pause: the token it would
    /// replace still serves.
    fn try_issue(&mut self, now: SystemTime, reason: RenewalReason) -> Option<RenewalTicket> {
        let method = match &self.mode {
            RenewalMode::Credentials(provider) => RenewalMethod::Credentials(provider.clone()),
            RenewalMode::TokenProvider => RenewalMethod::TokenProvider,
            RenewalMode::CheckToken(token) => RenewalMethod::CheckToken(token.clone()),
            RenewalMode::FixedToken => return None,
        };
        let over = |at: SystemTime| reason == RenewalReason::Proactive || now >= at;
        let attempted = first_guess(&method, reason);
        let run = match std::mem::replace(&mut self.renewal, Renewal::Idle) {
            Renewal::Idle => Run::new(now, attempted, None),
            Renewal::BackingOff { not_before, run } if now >= not_before => run,
            Renewal::Cooling {
                not_before,
                failure,
            } if over(not_before) => Run::new(now, attempted, Some(failure)),
            Renewal::Held { until, failure } if over(until) => {
                Run::new(now, attempted, Some(failure))
            }
            Renewal::Refused {
                digest,
                recheck_at,
                failure,
            } if over(recheck_at) => Run {
                refused: Some(digest),
                ..Run::new(now, attempted, Some(failure))
            },
            busy => {
                self.renewal = busy;
                return None;
            }
        };
        // `fail_attempt` ends the run once the budget is spent, so a run
        // that goes on always has an attempt left.
        debug_assert!(run.attempts < self.policy.max_attempts());
        let id = self.next_step();
        let attempt = run.attempts + 1;
        let refused = run.refused;
        self.renewal = Renewal::InFlight {
            ticket: id,
            deadline: later(now, self.policy.renewal_timeout()),
            run: Run {
                attempts: attempt,
                ..run
            },
        };
        Some(RenewalTicket {
            id,
            attempt,
            reason,
            method,
            clock_offset: self.clock_offset,
            refused,
            handed_out: Default::default(),
        })
    }

    /// What a caller gets while a renewal it may not start goes on: a
    /// wait no longer than its deadline, or the failure when the renewal
    /// cannot finish before it.
    fn wait(&self, now: SystemTime, deadline: Option<SystemTime>) -> TokenAction {
        let wake = self.renewal.wake_at().unwrap_or(now);
        let Some(deadline) = deadline else {
            return TokenAction::Wait { until: wake };
        };
        let in_flight = matches!(self.renewal, Renewal::InFlight { .. });
        if now >= deadline || (!in_flight && wake > deadline) {
            let last = self.renewal.last_error().or_else(|| {
                self.renewal
                    .failure()
                    .and_then(|failure| failure.error.last_attempt())
            });
            return TokenAction::Failed(RenewalError::CallerDeadline {
                retry_at: (!in_flight).then_some(wake),
                last: last.cloned(),
            });
        }
        TokenAction::Wait {
            until: wake.min(deadline),
        }
    }

    /// Decides what follows a failed attempt of the run in flight.
    fn fail_attempt(
        &mut self,
        now: SystemTime,
        error: AttemptError,
        clock_measured: bool,
        handed_out: Option<CredentialsDigest>,
    ) -> RenewalProgress {
        let Renewal::InFlight { mut run, .. } = std::mem::replace(&mut self.renewal, Renewal::Idle)
        else {
            return RenewalProgress::Stale;
        };
        let attempts = run.attempts;
        let retry_at = backoff::next_attempt(
            &self.policy,
            &mut self.rng,
            attempts,
            &error,
            now,
            clock_measured,
            &mut run.clock_corrected,
        );
        let attempted = run.attempted;
        match retry_at {
            Some(at) if attempts < self.policy.max_attempts() => {
                self.push(LifecycleEvent::AttemptFailed {
                    attempt: attempts,
                    error: error.clone(),
                    retry_at: at,
                });
                run.last = Some(error);
                self.renewal = Renewal::BackingOff {
                    not_before: at,
                    run,
                };
                RenewalProgress::RetryAt(at)
            }
            Some(_) => {
                let not_before = self.pause_end(now);
                let elapsed = now.duration_since(run.started).unwrap_or_default();
                let failure = self.failure(
                    now,
                    RenewalError::AttemptsExhausted {
                        attempted,
                        attempts,
                        elapsed,
                        last: error,
                    },
                );
                let error = failure.error.clone();
                self.renewal = Renewal::Cooling {
                    not_before,
                    failure,
                };
                self.failed(error)
            }
            None => {
                let refused = refuses_credentials(&error).then_some(handed_out).flatten();
                let until = self.pause_end(now);
                let failure = self.failure(now, RenewalError::Permanent { attempted, error });
                let error = failure.error.clone();
                self.renewal = match refused {
                    Some(digest) => Renewal::Refused {
                        digest,
                        recheck_at: until,
                        failure,
                    },
                    None => Renewal::Held { until, failure },
                };
                self.failed(error)
            }
        }
    }

    /// A run's failure, numbered after every ticket and failure so far.
    fn failure(&mut self, now: SystemTime, error: RenewalError) -> Failure {
        Failure {
            error,
            at: now,
            step: self.next_step(),
        }
    }

    /// Says that a run ended without a session.
    fn failed(&mut self, error: RenewalError) -> RenewalProgress {
        self.push(LifecycleEvent::RenewalFailed(error.clone()));
        RenewalProgress::Failed(error)
    }

    /// A re-check found the provider still giving the refused credentials
    /// and sent nothing: refused as before, and the callers that waited on
    /// the re-check get the same error. No event: nothing new happened.
    /// `None` when there is no refusal to repeat.
    fn refused_again(&mut self, now: SystemTime) -> Option<RenewalProgress> {
        let Renewal::InFlight { run, .. } = &self.renewal else {
            return None;
        };
        let (Some(digest), Some(before)) = (run.refused, run.after.clone()) else {
            return None;
        };
        let recheck_at = self.pause_end(now);
        let failure = self.failure(now, before.error);
        let error = failure.error.clone();
        self.renewal = Renewal::Refused {
            digest,
            recheck_at,
            failure,
        };
        Some(RenewalProgress::Failed(error))
    }

    fn next_step(&mut self) -> u64 {
        self.step += 1;
        self.step
    }

    /// The end of the pause after a failed run: the policy's hold,
    /// shortened by up to the backoff jitter.
    fn pause_end(&mut self, now: SystemTime) -> SystemTime {
        let jitter = self.policy.backoff_jitter() * self.rng.next_unit();
        later(now, self.policy.failure_hold().mul_f64(1.0 - jitter))
    }

    /// Takes a `Date` header as the server's clock if it is believable.
    fn observe_server_date(&mut self, now: SystemTime, date: SystemTime) -> bool {
        let Some(skew) = ClockSkew::measure_bounded(date, now, self.policy.max_clock_offset())
        else {
            return false;
        };
        if skew != self.clock_offset {
            self.clock_offset = skew;
            self.push(LifecycleEvent::ClockOffsetChanged(skew));
        }
        true
    }

    /// Reads a server-clock expiry as a local time (see
    /// [`expiry::local_expiry`]).
    fn local_expiry(
        &self,
        now: SystemTime,
        expires_at: Option<SystemTime>,
        server_date: Option<SystemTime>,
    ) -> Option<SystemTime> {
        expiry::local_expiry(now, expires_at, server_date, self.clock_offset)
    }

    /// Makes `session` current, and says where it came from.
    fn install(
        &mut self,
        now: SystemTime,
        session: Session,
        expires_at: Option<SystemTime>,
        origin: SessionOrigin,
    ) {
        let expires_at = expires_at.unwrap_or_else(|| later(now, self.policy.default_ttl()));
        let margin = self.policy.renew_margin();
        let extra = margin.mul_f64(self.policy.renew_jitter() * self.rng.next_unit());
        let lead = margin.saturating_add(extra);
        let replaced = self.session.live().is_some();
        let event = match origin {
            SessionOrigin::Created if replaced => LifecycleEvent::SessionRenewed {
                session: session.clone(),
                expires_at,
            },
            SessionOrigin::Created => LifecycleEvent::SessionCreated {
                session: session.clone(),
                expires_at,
            },
            from => LifecycleEvent::SessionRestored {
                session: session.clone(),
                expires_at,
                from,
            },
        };
        self.push(event);
        self.session = SessionState::Live(Live::new(now, session, expires_at, lead));
    }

    fn push(&mut self, event: LifecycleEvent) {
        if self.events.len() == MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }
}

/// What a run is about to do, before its ticket says more (the kind of
/// credentials is known only once the provider gave them).
fn first_guess(method: &RenewalMethod, reason: RenewalReason) -> Attempted {
    if reason != RenewalReason::NoSession {
        return Attempted::Renew;
    }
    match method {
        RenewalMethod::Credentials(_) => Attempted::CreateSession,
        RenewalMethod::TokenProvider => Attempted::GetSessionFromProvider,
        RenewalMethod::CheckToken(_) => Attempted::CheckToken,
    }
}

/// Whether an attempt's error says the server refused what the credentials
/// sign or send, so that sending the same ones again cannot succeed.
fn refuses_credentials(error: &AttemptError) -> bool {
    error.api_error().is_some_and(|e| {
        matches!(
            e.kind(),
            ErrorKind::InvalidCredentials
                | ErrorKind::UnexpectedSignature
                | ErrorKind::NoApplicationFound
                | ErrorKind::Validation
        )
    })
}

/// `time + by`, or `time` itself past the end of `SystemTime` (only absurd
/// inputs get there).
fn later(time: SystemTime, by: Duration) -> SystemTime {
    time.checked_add(by).unwrap_or(time)
}

fn earliest(a: Option<SystemTime>, b: SystemTime) -> Option<SystemTime> {
    Some(a.map_or(b, |a| a.min(b)))
}
