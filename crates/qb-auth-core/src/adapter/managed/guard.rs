//! A renewal ticket that always goes back to the lifecycle.

use std::fmt;

use crate::lifecycle::{AttemptError, NewSession, RenewalTicket};

/// Holds a renewal ticket while an adapter works on it, and makes sure it
/// is reported exactly once: with the attempt's result through
/// [`finish`](Self::finish), or as [`AttemptError::Abandoned`] if the guard
/// is dropped first (a cancelled task, a thread unwinding from a panicking
/// token provider), so that the others do not wait for the renewal
/// timeout.
///
/// `report` hands the ticket to the lifecycle (see
/// [`SharedLifecycle::finish_renewal`](super::SharedLifecycle::finish_renewal))
/// and wakes the waiters.
///
/// ```
/// use std::cell::RefCell;
/// use std::time::SystemTime;
/// use qb_auth_core::adapter::RenewalGuard;
/// use qb_auth_core::lifecycle::{AttemptError, Ask, Policy, RenewalMode, SessionLifecycle, TokenAction};
///
/// let lifecycle = RefCell::new(SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?);
/// let TokenAction::Renew(ticket) = lifecycle.borrow_mut().poll_token(SystemTime::now(), &mut Ask::new()) else {
///     unreachable!("no session yet")
/// };
/// let reported = RefCell::new(Vec::new());
/// let guard = RenewalGuard::new(ticket, |ticket, result: Result<_, AttemptError>| {
///     reported.borrow_mut().push(result.is_ok());
///     lifecycle.borrow_mut().on_renewal_result(ticket, SystemTime::now(), result);
/// });
/// assert_eq!(guard.ticket().map(|t| t.attempt()), Some(1));
/// drop(guard); // the task was cancelled before it finished
/// assert_eq!(*reported.borrow(), [false], "reported once, as abandoned");
/// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
/// ```
pub struct RenewalGuard<F>
where
    F: FnOnce(RenewalTicket, Result<NewSession, AttemptError>),
{
    /// Taken when reported.
    pending: Option<(RenewalTicket, F)>,
}

impl<F> RenewalGuard<F>
where
    F: FnOnce(RenewalTicket, Result<NewSession, AttemptError>),
{
    /// Guards `ticket`; `report` will receive it with the result.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::RenewalGuard;
    /// use qb_auth_core::lifecycle::{Ask, NewSession, Policy, RenewalMode, SessionLifecycle, TokenAction};
    /// use qb_auth_core::{Session, SessionToken};
    ///
    /// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// let TokenAction::Renew(ticket) = lifecycle.poll_token(SystemTime::now(), &mut Ask::new()) else {
    ///     unreachable!("no session yet")
    /// };
    /// let (reports, reported) = mpsc::channel();
    /// let guard = RenewalGuard::new(ticket, move |ticket, result| {
    ///     let _ = reports.send((ticket.attempt(), result.is_ok()));
    /// });
    /// assert!(reported.try_recv().is_err(), "nothing is reported before the attempt ends");
    /// guard.finish(Ok(NewSession::new(Session::new(SessionToken::new("t0k3n")))));
    /// assert_eq!(reported.try_recv(), Ok((1, true)));
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn new(ticket: RenewalTicket, report: F) -> Self {
        Self {
            pending: Some((ticket, report)),
        }
    }

    /// The ticket to work on (`None` only after it was reported, which the
    /// guard's owner cannot observe: reporting consumes or drops the guard).
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::RenewalGuard;
    /// use qb_auth_core::lifecycle::{Ask, Policy, RenewalMode, RenewalReason, SessionLifecycle, TokenAction};
    ///
    /// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// let TokenAction::Renew(ticket) = lifecycle.poll_token(SystemTime::now(), &mut Ask::new()) else {
    ///     unreachable!("no session yet")
    /// };
    /// let guard = RenewalGuard::new(ticket, |_ticket, _result| {});
    /// let ticket = guard.ticket().expect("not reported yet");
    /// assert_eq!((ticket.attempt(), ticket.reason()), (1, RenewalReason::NoSession));
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn ticket(&self) -> Option<&RenewalTicket> {
        self.pending.as_ref().map(|(ticket, _)| ticket)
    }

    /// Reports the attempt's result.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::RenewalGuard;
    /// use qb_auth_core::lifecycle::{Ask, NewSession, Policy, RenewalMode, SessionLifecycle, TokenAction};
    /// use qb_auth_core::{Session, SessionToken};
    ///
    /// let mut lifecycle = SessionLifecycle::new(Policy::default(), RenewalMode::TokenProvider)?;
    /// let TokenAction::Renew(ticket) = lifecycle.poll_token(SystemTime::now(), &mut Ask::new()) else {
    ///     unreachable!("no session yet")
    /// };
    /// let guard = RenewalGuard::new(ticket, |ticket, result| {
    ///     lifecycle.on_renewal_result(ticket, SystemTime::now(), result);
    /// });
    /// guard.finish(Ok(NewSession::new(Session::new(SessionToken::new("t0k3n")))));
    /// assert!(lifecycle.session().is_some());
    /// # Ok::<(), qb_auth_core::lifecycle::PolicyError>(())
    /// ```
    pub fn finish(mut self, result: Result<NewSession, AttemptError>) {
        if let Some((ticket, report)) = self.pending.take() {
            report(ticket, result);
        }
    }
}

impl<F> Drop for RenewalGuard<F>
where
    F: FnOnce(RenewalTicket, Result<NewSession, AttemptError>),
{
    fn drop(&mut self) {
        if let Some((ticket, report)) = self.pending.take() {
            report(ticket, Err(AttemptError::Abandoned));
        }
    }
}

impl<F> fmt::Debug for RenewalGuard<F>
where
    F: FnOnce(RenewalTicket, Result<NewSession, AttemptError>),
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenewalGuard")
            .field("ticket", &self.ticket().map(RenewalTicket::id))
            .finish_non_exhaustive()
    }
}
