//! A renewal ticket that always goes back to the lifecycle.

use std::fmt;

use qb_auth_core::lifecycle::{AttemptError, NewSession, RenewalTicket};

/// Holds a renewal ticket while a caller works on it, and makes sure it
/// is reported exactly once: with the attempt's result through
/// [`finish`](Self::finish), or as [`AttemptError::Abandoned`] if the guard
/// is dropped first (a cancelled task, a thread unwinding from a panicking
/// token provider), so that the others do not wait for the renewal
/// timeout.
///
/// `report` hands the ticket to the lifecycle (see
/// [`SharedLifecycle::finish_renewal`](super::lifecycle::SharedLifecycle::finish_renewal))
/// and wakes the waiters.
pub(crate) struct RenewalGuard<F>
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
    pub(crate) fn new(ticket: RenewalTicket, report: F) -> Self {
        Self {
            pending: Some((ticket, report)),
        }
    }

    /// The ticket to work on (`None` only after it was reported, which the
    /// guard's owner cannot observe: reporting consumes or drops the guard).
    pub(crate) fn ticket(&self) -> Option<&RenewalTicket> {
        self.pending.as_ref().map(|(ticket, _)| ticket)
    }

    /// Reports the attempt's result.
    pub(crate) fn finish(mut self, result: Result<NewSession, AttemptError>) {
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
