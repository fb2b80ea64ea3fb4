//! The retries of one-shot calls: the same verdicts a managed session's
//! renewal reaches, for answers a real server gives.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use qb_auth_core::call::Resend;
use qb_auth_core::lifecycle::{AttemptError, CallRetry, ClockSkew, Policy};
use qb_auth_core::{Nonce, Operation, TransportError, TransportErrorKind, check_status};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn answer(status: u16, headers: &[(&str, String)], body: &str) -> AttemptError {
    let mut response = http::Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    let response = response.body(body.as_bytes().to_vec()).unwrap();
    AttemptError::Api(check_status(&response, Operation::CreateApplicationSession).unwrap_err())
}

fn policy() -> Policy {
    Policy::default().with_backoff_jitter(0.0)
}

#[test]
fn a_refused_timestamp_is_signed_again_at_once_with_the_servers_clock() {
    let mut retry = CallRetry::new(&policy(), ClockSkew::ZERO, Resend::IfRetryable, now());
    let server = now() + Duration::from_secs(90 * 60);
    let refused = answer(
        422,
        &[("date", httpdate::fmt_http_date(server))],
        r#"{"errors":{"base":["Bad timestamp"]}}"#,
    );
    assert_eq!(retry.after_failure(now(), &refused), Some(now()));
    assert_eq!(retry.clock_offset(), ClockSkew::from_secs(5400));
    let input = retry.signing_input(now(), Nonce::new(1).unwrap());
    assert_eq!(input.timestamp(), 1_700_000_000 + 5400);
    // Only once per call: a second refusal means the clock is not the cause.
    assert_eq!(retry.after_failure(now(), &refused), None);
}

#[test]
fn a_refused_timestamp_without_a_date_is_not_retried() {
    let mut retry = CallRetry::new(&policy(), ClockSkew::ZERO, Resend::IfRetryable, now());
    let refused = answer(422, &[], r#"{"errors":{"base":["Bad timestamp"]}}"#);
    assert_eq!(retry.after_failure(now(), &refused), None);
    assert_eq!(retry.clock_offset(), ClockSkew::ZERO);
}

#[test]
fn retry_after_is_honoured_and_backoff_doubles() {
    let mut retry = CallRetry::new(&policy(), ClockSkew::ZERO, Resend::IfRetryable, now());
    let limited = answer(
        429,
        &[("retry-after", "7".to_owned())],
        r#"{"errors":["Too Many Requests"]}"#,
    );
    assert_eq!(
        retry.after_failure(now(), &limited),
        Some(now() + Duration::from_secs(7))
    );
    let unavailable = answer(503, &[], r#"{"errors":["Service Unavailable"]}"#);
    assert_eq!(
        retry.after_failure(now(), &unavailable),
        Some(now() + Duration::from_secs(2))
    );
    assert_eq!(retry.attempt(), 3);
}

#[test]
fn refused_credentials_are_never_retried() {
    let mut retry = CallRetry::new(&policy(), ClockSkew::ZERO, Resend::IfRetryable, now());
    let response = http::Response::builder()
        .status(401)
        .body(br#"{"errors":{"base":["Unauthorized"]}}"#.to_vec())
        .unwrap();
    let refused =
        AttemptError::Api(check_status(&response, Operation::CreateUserSession).unwrap_err());
    assert_eq!(retry.after_failure(now(), &refused), None);
}

#[test]
fn the_attempt_budget_ends_the_call() {
    let mut retry = CallRetry::new(
        &policy().with_max_attempts(3),
        ClockSkew::ZERO,
        Resend::IfRetryable,
        now(),
    );
    let lost = AttemptError::from(TransportError::from_kind(TransportErrorKind::Connection));
    assert!(retry.after_failure(now(), &lost).is_some());
    assert!(retry.after_failure(now(), &lost).is_some());
    assert_eq!(retry.after_failure(now(), &lost), None, "3 attempts made");

    let mut off = CallRetry::new(
        &policy().with_max_attempts(1),
        ClockSkew::ZERO,
        Resend::IfRetryable,
        now(),
    );
    assert_eq!(off.after_failure(now(), &lost), None, "retries off");
}

#[test]
fn a_call_that_must_not_run_twice_is_resent_only_when_it_never_left() {
    let mut retry = CallRetry::new(&policy(), ClockSkew::ZERO, Resend::IfNeverSent, now());
    let refused = AttemptError::from(TransportError::from_kind(TransportErrorKind::Connect));
    assert!(retry.after_failure(now(), &refused).is_some());
    for maybe_arrived in [
        AttemptError::from(TransportError::from_kind(TransportErrorKind::Timeout)),
        AttemptError::from(TransportError::from_kind(TransportErrorKind::Connection)),
        answer(503, &[], r#"{"errors":["Service Unavailable"]}"#),
    ] {
        let mut retry = CallRetry::new(&policy(), ClockSkew::ZERO, Resend::IfNeverSent, now());
        assert_eq!(retry.after_failure(now(), &maybe_arrived), None);
    }
}

#[test]
fn no_attempt_starts_after_the_policys_max_wait() {
    // A 503 asking for an absurd wait: the call fails at once instead of
    // sleeping the Retry-After cap (two minutes) between each attempt.
    let huge = answer(
        503,
        &[("retry-after", "18446744073709551615".to_owned())],
        r#"{"errors":["Service Unavailable"]}"#,
    );
    let mut retry = CallRetry::new(&policy(), ClockSkew::ZERO, Resend::IfRetryable, now());
    assert_eq!(retry.after_failure(now(), &huge), None);

    // Plain backoff stays within max_wait: 1 + 2 + 4 s fit in 10 s, the
    // next 8 s do not.
    let short = policy().with_max_wait(Duration::from_secs(10));
    let lost = AttemptError::from(TransportError::from_kind(TransportErrorKind::Connection));
    let mut retry = CallRetry::new(&short, ClockSkew::ZERO, Resend::IfRetryable, now());
    let mut at = now();
    for _ in 0..3 {
        at = retry.after_failure(at, &lost).expect("within max_wait");
    }
    assert_eq!(at, now() + Duration::from_secs(7));
    assert_eq!(retry.after_failure(at, &lost), None);
    assert_eq!(retry.started(), now());
}

#[test]
fn debug_shows_no_more_than_the_attempt() {
    let retry = CallRetry::new(
        &policy(),
        ClockSkew::from_secs(3),
        Resend::IfRetryable,
        now(),
    );
    let debug = format!("{retry:?}");
    assert!(debug.contains("attempt: 1"), "{debug}");
}
