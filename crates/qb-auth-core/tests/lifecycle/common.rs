//! What every state's tests share: a fake clock (plain `SystemTime`
//! values moved forward by hand), credentials, answers, and the steps of a
//! driver.

pub(crate) use std::sync::Arc;
pub(crate) use std::sync::atomic::{AtomicU32, Ordering};
pub(crate) use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) use qb_auth_core::lifecycle::{
    Ask, AttemptError, ClockSkew, LifecycleEvent, LifecycleSnapshot, NewSession, Policy,
    ProviderError, RenewalError, RenewalMethod, RenewalMode, RenewalProgress, RenewalReason,
    RenewalTicket, ResponseTimes, SessionCredentials, SessionLifecycle, SessionOrigin, TokenAction,
};
pub(crate) use qb_auth_core::time::{format_expiration, format_http_date};
pub(crate) use qb_auth_core::{
    AppCredentials, Endpoint, ErrorKind, Identity, Nonce, Operation, SecretString, Session,
    SessionToken, parse_session, unix_seconds,
};
pub(crate) use qb_auth_core::{TransportError, TransportErrorKind};

pub(crate) const HOUR: Duration = Duration::from_secs(3600);
pub(crate) const MINUTE: Duration = Duration::from_secs(60);

pub(crate) fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A policy without jitter, so times can be asserted exactly.
pub(crate) fn exact() -> Policy {
    Policy::default()
        .with_renew_jitter(0.0)
        .with_backoff_jitter(0.0)
}

pub(crate) fn app() -> AppCredentials {
    AppCredentials::new(
        12345,
        "AbCdEfGh-12345",
        SecretString::from("s3cr3t-Key_XYZ"),
    )
    .unwrap()
}

pub(crate) fn app_mode() -> RenewalMode {
    RenewalMode::credentials(SessionCredentials::new(app(), Identity::application()))
}

pub(crate) fn token_lifecycle(policy: Policy) -> SessionLifecycle {
    SessionLifecycle::new(policy, RenewalMode::TokenProvider).unwrap()
}

pub(crate) fn renew(lc: &mut SessionLifecycle, now: SystemTime, ask: &mut Ask) -> RenewalTicket {
    match lc.poll_token(now, ask) {
        TokenAction::Renew(ticket) => ticket,
        other => panic!("expected Renew at {:?}, got {other:?}", unix_seconds(now)),
    }
}

pub(crate) fn use_token(lc: &mut SessionLifecycle, now: SystemTime, ask: &mut Ask) -> SessionToken {
    match lc.poll_token(now, ask) {
        TokenAction::Use(token) => token,
        other => panic!("expected Use at {:?}, got {other:?}", unix_seconds(now)),
    }
}

pub(crate) fn wait_until(lc: &mut SessionLifecycle, now: SystemTime, ask: &mut Ask) -> SystemTime {
    match lc.poll_token(now, ask) {
        TokenAction::Wait { until } => until,
        other => panic!("expected Wait at {:?}, got {other:?}", unix_seconds(now)),
    }
}

pub(crate) fn failed(lc: &mut SessionLifecycle, now: SystemTime, ask: &mut Ask) -> RenewalError {
    match lc.poll_token(now, ask) {
        TokenAction::Failed(error) => error,
        other => panic!("expected Failed at {:?}, got {other:?}", unix_seconds(now)),
    }
}

pub(crate) fn expiring(token: &str, at: SystemTime) -> Session {
    let mut session = Session::new(SessionToken::new(token));
    session.expires_at = Some(at);
    session
}

pub(crate) fn minted(token: &str) -> Result<NewSession, AttemptError> {
    Ok(NewSession::new(Session::new(SessionToken::new(token))))
}

/// A create-session answer: 201 with the token, and optional headers.
pub(crate) fn created(
    token: &str,
    date: Option<SystemTime>,
    expires: Option<SystemTime>,
) -> Result<NewSession, AttemptError> {
    let mut builder = http::Response::builder().status(201);
    if let Some(date) = date {
        builder = builder.header("Date", format_http_date(date));
    }
    if let Some(expires) = expires {
        builder = builder.header("QB-Token-ExpirationDate", format_expiration(expires));
    }
    let body = format!(r#"{{"session":{{"token":"{token}","application_id":12345,"user_id":0}}}}"#);
    let answer = builder.body(body.into_bytes()).unwrap();
    NewSession::from_response(&answer, Operation::CreateApplicationSession)
}

/// An error answer to a create-session.
pub(crate) fn refused(
    status: u16,
    body: &str,
    headers: &[(&str, String)],
    operation: Operation,
) -> Result<NewSession, AttemptError> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    let answer = builder.body(body.as_bytes().to_vec()).unwrap();
    let err = parse_session(&answer, operation).unwrap_err();
    Err(AttemptError::Api(err))
}

pub(crate) fn bad_timestamp(date: Option<SystemTime>) -> Result<NewSession, AttemptError> {
    let headers: Vec<(&str, String)> = date
        .map(|d| ("Date", format_http_date(d)))
        .into_iter()
        .collect();
    refused(
        422,
        r#"{"errors":{"base":["Bad timestamp"]}}"#,
        &headers,
        Operation::CreateApplicationSession,
    )
}

pub(crate) fn transport() -> Result<NewSession, AttemptError> {
    Err(AttemptError::Transport(TransportError::new(
        TransportErrorKind::Connection,
        "connection refused",
    )))
}

pub(crate) fn events(lc: &mut SessionLifecycle) -> Vec<LifecycleEvent> {
    std::iter::from_fn(|| lc.poll_event()).collect()
}

/// A lifecycle holding token `t1`, created at `t0()` without headers.
pub(crate) fn holding_t1(policy: Policy) -> SessionLifecycle {
    let mut lc = token_lifecycle(policy);
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    assert!(matches!(
        lc.on_renewal_result(ticket, t0(), minted("t1")),
        RenewalProgress::Installed
    ));
    lc
}

/// What a transport does with a credentials ticket: asks for the
/// credentials and, if it gets them, sends a create-session. Returns
/// whether a request would have reached the server, and the result.
pub(crate) fn attempt_with_credentials(
    ticket: &RenewalTicket,
) -> (bool, Result<NewSession, AttemptError>) {
    match ticket.credentials().expect("a credentials ticket") {
        Ok(creds) => (
            true,
            refused(
                401,
                r#"{"errors":["Unauthorized"]}"#,
                &[],
                creds.operation(),
            ),
        ),
        Err(e) => (false, Err(AttemptError::Provider(e))),
    }
}

pub(crate) fn wrong_password() -> RenewalMode {
    let user = Identity::login("alice", "not-her-password").unwrap();
    RenewalMode::credentials(SessionCredentials::new(app(), user))
}
