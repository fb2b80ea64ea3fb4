//! What a managed session and the one-shot calls tell an operator, through
//! the [`metrics`](https://docs.rs/metrics) facade (feature `metrics`;
//! without it every function here is empty). The names, kinds and labels
//! are the table in the crate's docs; labels take only fixed words, never
//! an identity, a token or a secret.

use std::time::Duration;

use qb_auth_core::Operation;
use qb_auth_core::lifecycle::{AttemptError, RenewalReason};

/// A session asked of the server or the token provider: created, or not.
pub(crate) fn session_attempt(operation: &'static str, created: bool) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "qb_auth_sessions_total",
        "operation" => operation,
        "outcome" => if created { "created" } else { "failed" },
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (operation, created);
}

/// Whether a one-shot call creates a session (and counts as one).
pub(crate) fn creates_session(operation: Operation) -> bool {
    matches!(
        operation,
        Operation::CreateApplicationSession | Operation::CreateUserSession
    )
}

/// A renewal run started (its first attempt), and why.
pub(crate) fn renewal_started(reason: RenewalReason) {
    #[cfg(feature = "metrics")]
    metrics::counter!("qb_auth_renewals_total", "reason" => reason_label(reason)).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = reason;
}

/// One attempt of a call or a renewal made after a failed one.
pub(crate) fn retry(operation: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("qb_auth_retries_total", "operation" => operation).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = operation;
}

/// A failed attempt, by what failed.
pub(crate) fn failure(error: &AttemptError) {
    #[cfg(feature = "metrics")]
    metrics::counter!("qb_auth_failures_total", "kind" => failure_kind(error)).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = error;
}

/// How long one renewal attempt took, whatever its outcome.
pub(crate) fn renewal_duration(operation: &'static str, took: Duration) {
    #[cfg(feature = "metrics")]
    metrics::histogram!("qb_auth_renewal_duration_seconds", "operation" => operation)
        .record(took.as_secs_f64());
    #[cfg(not(feature = "metrics"))]
    let _ = (operation, took);
}

/// How long a caller waited for a token it did not have at once.
pub(crate) fn caller_wait(took: Duration) {
    #[cfg(feature = "metrics")]
    metrics::histogram!("qb_auth_caller_wait_seconds").record(took.as_secs_f64());
    #[cfg(not(feature = "metrics"))]
    let _ = took;
}

/// How a renewal shared with a fleet got its session: `taken` from the
/// fleet, `created` under its lease, or `alone` without it.
pub(crate) fn fleet_renewal(outcome: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("qb_auth_fleet_renewals_total", "outcome" => outcome).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = outcome;
}

/// A store stopped answering: `fleet` (the shared store: an outage, once
/// per outage) or `session` (a save or clear failed).
pub(crate) fn store_outage(store: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("qb_auth_store_outages_total", "store" => store).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = store;
}

#[cfg(feature = "metrics")]
fn reason_label(reason: RenewalReason) -> &'static str {
    match reason {
        RenewalReason::Proactive => "due",
        RenewalReason::Rejected => "rejected",
        RenewalReason::Expired => "expired",
        // NoSession, and any reason the core adds later.
        _ => "cold_start",
    }
}

/// The `kind` label of a failure: the API error's kind, the transport's,
/// or what else ended the attempt.
#[cfg(feature = "metrics")]
fn failure_kind(error: &AttemptError) -> &'static str {
    match error {
        AttemptError::Api(api) => api.kind().code(),
        AttemptError::Transport(transport) => transport.kind().code(),
        AttemptError::Provider(_) => "provider",
        AttemptError::Build(_) => "build",
        AttemptError::TimedOut(_) => "renewal_timeout",
        AttemptError::Abandoned => "abandoned",
        _ => "other",
    }
}
