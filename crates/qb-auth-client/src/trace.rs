//! The tracing spans and events, in one place so that every transport
//! reports the same names and fields.
//!
//! Fields hold names, numbers and statuses only: never a token, a body, a
//! header value or a query string.

use tracing::Span;
use tracing::field::Empty;

use qb_auth_core::lifecycle::{LifecycleEvent, RenewalMethod, RenewalTicket, SessionOrigin};
use qb_auth_core::{IdentityKind, Operation, TransportError};

/// The `qb_auth.operation` span of one operation (create session, login,
/// a user's request), with the `status` of its answer left to fill in.
pub(crate) fn operation(operation: Operation, identity: Option<IdentityKind>) -> Span {
    let span = tracing::info_span!(
        "qb_auth.operation",
        operation = operation.as_str(),
        identity = Empty,
        status = Empty,
    );
    if let Some(kind) = identity {
        span.record("identity", kind.as_str());
    }
    span
}

/// The `qb_auth.attempt` span of one HTTP exchange within an operation:
/// the method and the path, never the query string.
pub(crate) fn attempt<B>(request: &http::Request<B>, attempt: u32) -> Span {
    tracing::debug_span!(
        "qb_auth.attempt",
        attempt,
        method = %request.method(),
        path = request.uri().path(),
        status = Empty,
    )
}

/// Records how an exchange ended: the answer's status on its `attempt`
/// span and on the current (operation) span, or a debug event when no
/// answer came. Call it where the operation span is current.
pub(crate) fn exchanged(span: &Span, result: &Result<http::Response<Vec<u8>>, TransportError>) {
    match result {
        Ok(answer) => {
            let status = answer.status().as_u16();
            span.record("status", status);
            Span::current().record("status", status);
        }
        Err(err) => {
            tracing::debug!(parent: span, error = %err, retryable = err.is_retryable(), "no answer");
        }
    }
}

/// The `qb_auth.renewal` span of one renewal attempt of a managed session:
/// the attempt's number, why it renews, and how.
pub(crate) fn renewal(ticket: &RenewalTicket) -> Span {
    tracing::info_span!(
        "qb_auth.renewal",
        attempt = ticket.attempt(),
        reason = ticket.reason().as_str(),
        method = match ticket.method() {
            RenewalMethod::Credentials(_) => "credentials",
            RenewalMethod::TokenProvider => "token_provider",
            RenewalMethod::CheckToken(_) => "check_token",
        },
    )
}

/// One line per lifecycle event, with no token and no body.
pub(crate) fn lifecycle_event(event: &LifecycleEvent) {
    match event {
        LifecycleEvent::SessionCreated { session, .. } => {
            tracing::info!(user_id = session.user_id, "session created");
        }
        LifecycleEvent::SessionRenewed { session, .. } => {
            tracing::info!(user_id = session.user_id, "session renewed");
        }
        LifecycleEvent::SessionRestored { session, from, .. } => {
            let from = match from {
                SessionOrigin::Store => "the session store",
                SessionOrigin::Fleet => "the fleet",
                _ => "elsewhere",
            };
            tracing::info!(user_id = session.user_id, from, "session taken up");
        }
        LifecycleEvent::SessionExpired => tracing::info!("session expired"),
        LifecycleEvent::SessionInvalidated => tracing::info!("session rejected by the server"),
        LifecycleEvent::AttemptFailed { attempt, error, .. } => {
            tracing::warn!(attempt, retryable = error.is_retryable(), error = %error, "renewal attempt failed");
        }
        LifecycleEvent::RenewalFailed(error) => {
            tracing::warn!(error = %error, "renewal failed");
        }
        LifecycleEvent::ClockOffsetChanged(offset) => {
            tracing::info!(offset_secs = offset.as_secs(), "clock offset measured");
        }
        LifecycleEvent::StoreIgnored { reason } => {
            tracing::warn!(reason = %reason, "saved session ignored");
        }
        LifecycleEvent::SharingUnavailable { reason } => {
            tracing::warn!(reason = %reason, "shared store unavailable; renewing locally");
        }
        LifecycleEvent::SharingResumed => tracing::info!("shared store answers again"),
        // The enum grows with the lifecycle; its name is enough until a
        // line of its own is written here.
        other => tracing::info!(event = ?std::mem::discriminant(other), "lifecycle event"),
    }
}
