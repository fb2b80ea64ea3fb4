//! Tracing spans. Fields hold names, numbers and statuses only: never a
//! token, a body, a header value or a query string.

use qb_auth_core::lifecycle::{RenewalMethod, RenewalTicket};
use qb_auth_core::{IdentityKind, Operation};
use tracing::Span;
use tracing::field::Empty;

/// The span of one operation (create session, login, a user's request).
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

/// The span of one HTTP exchange within an operation.
pub(crate) fn attempt<B>(request: &http::Request<B>, attempt: u32) -> Span {
    tracing::debug_span!(
        "qb_auth.attempt",
        attempt,
        method = %request.method(),
        path = request.uri().path(),
        status = Empty,
    )
}

/// The span of one renewal attempt of a managed session.
pub(crate) fn renewal(ticket: &RenewalTicket) -> Span {
    tracing::info_span!(
        "qb_auth.renewal",
        attempt = ticket.attempt(),
        reason = ticket.reason().as_str(),
        method = match ticket.method() {
            RenewalMethod::Credentials(_) => "credentials",
            RenewalMethod::TokenProvider => "token_provider",
        },
    )
}
