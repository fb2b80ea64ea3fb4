//! The renewal half of the machine: idle, one attempt out, backing off,
//! or paused after a run that ended without a session. A run's failure
//! lives in the state it left behind, and a new run carries the failure
//! before it, so that the callers who lived through it still get it.

use std::time::SystemTime;

use super::digest::CredentialsDigest;
use super::outcome::{AttemptError, Attempted, RenewalError};

/// Where renewal stands. See the table at the top of `state.rs`.
#[derive(Debug)]
pub(super) enum Renewal {
    /// No run, and no failure to report: the next ask that needs a
    /// session starts one.
    Idle,
    /// One attempt of `run` is out; its ticket reports back by `deadline`.
    InFlight {
        ticket: u64,
        deadline: SystemTime,
        run: Run,
    },
    /// An attempt of `run` failed and may be retried from `not_before`.
    BackingOff { not_before: SystemTime, run: Run },
    /// A run spent its attempts on failures that may pass: the callers
    /// that waited on it got the error; new callers wait until
    /// `not_before` and then start a new run.
    Cooling {
        not_before: SystemTime,
        failure: Failure,
    },
    /// A run ended on an answer no retry fixes soon: every caller gets the
    /// error until `until`, then a new run may start.
    Held { until: SystemTime, failure: Failure },
    /// The server refused the credentials with this digest: every caller
    /// gets the error; from `recheck_at` one ticket asks the provider
    /// again, and only different credentials are sent.
    Refused {
        digest: CredentialsDigest,
        recheck_at: SystemTime,
        failure: Failure,
    },
}

/// A run that ended without a session.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) error: RenewalError,
    /// When it ended.
    pub(super) at: SystemTime,
    /// Its number in the lifecycle's sequence of tickets and failures: an
    /// [`Ask`](super::Ask) that began before it lived through it.
    pub(super) step: u64,
}

/// One renewal: up to the policy's `max_attempts` attempts, one at a time.
#[derive(Debug)]
pub(super) struct Run {
    pub(super) attempts: u32,
    /// When its first attempt started.
    pub(super) started: SystemTime,
    /// What it does, as far as known (refined by each ticket's result).
    pub(super) attempted: Attempted,
    pub(super) clock_corrected: bool,
    pub(super) last: Option<AttemptError>,
    /// Credentials the server refused before this run: its tickets never
    /// hand them out again.
    pub(super) refused: Option<CredentialsDigest>,
    /// The failure of the run before this one: callers that lived through
    /// it get it, and no proactive renewal starts while it stands.
    pub(super) after: Option<Failure>,
}

impl Run {
    pub(super) fn new(now: SystemTime, attempted: Attempted, after: Option<Failure>) -> Self {
        Self {
            attempts: 0,
            started: now,
            attempted,
            clock_corrected: false,
            last: None,
            refused: None,
            after,
        }
    }
}

impl Renewal {
    /// When time alone moves a run on: the in-flight attempt's timeout or
    /// the end of a backoff. The pauses after a failed run are not
    /// included: nothing starts a new run without a caller asking.
    pub(super) fn run_deadline(&self) -> Option<SystemTime> {
        match self {
            Self::InFlight { deadline, .. } => Some(*deadline),
            Self::BackingOff { not_before, .. } => Some(*not_before),
            Self::Idle | Self::Cooling { .. } | Self::Held { .. } | Self::Refused { .. } => None,
        }
    }

    /// When a caller that is not failed outright may poll with a chance of
    /// progress, if it must wait.
    pub(super) fn wake_at(&self) -> Option<SystemTime> {
        match self {
            Self::Cooling { not_before, .. } => Some(*not_before),
            other => other.run_deadline(),
        }
    }

    /// The last attempt's error of the run in progress.
    pub(super) fn last_error(&self) -> Option<&AttemptError> {
        match self {
            Self::InFlight { run, .. } | Self::BackingOff { run, .. } => run.last.as_ref(),
            _ => None,
        }
    }

    /// The failure that stands: the paused run's, or the one the run in
    /// progress follows. `None` once a session came, or after a reset.
    pub(super) fn failure(&self) -> Option<&Failure> {
        match self {
            Self::Idle => None,
            Self::InFlight { run, .. } | Self::BackingOff { run, .. } => run.after.as_ref(),
            Self::Cooling { failure, .. }
            | Self::Held { failure, .. }
            | Self::Refused { failure, .. } => Some(failure),
        }
    }

    /// The failure every caller gets while no new run may start (held, or
    /// refused until the re-check).
    pub(super) fn holding(&self) -> Option<&Failure> {
        match self {
            Self::Held { failure, .. } | Self::Refused { failure, .. } => Some(failure),
            _ => None,
        }
    }
}
