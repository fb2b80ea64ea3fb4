//! The session lifecycle driven with a fake clock: plain `SystemTime`
//! values that the tests move forward by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use qb_auth_core::lifecycle::{
    Ask, AttemptError, ClockSkew, LifecycleEvent, LifecycleSnapshot, NewSession, Policy,
    ProviderError, RenewalError, RenewalMethod, RenewalMode, RenewalProgress, RenewalReason,
    RenewalTicket, ResponseTimes, SessionCredentials, SessionLifecycle, TokenAction,
};
use qb_auth_core::time::{format_expiration, format_http_date};
use qb_auth_core::{
    AppCredentials, Endpoint, ErrorKind, Identity, Nonce, Operation, SecretString, Session,
    SessionToken, parse_session, unix_seconds,
};
use qb_auth_core::{TransportError, TransportErrorKind};

const HOUR: Duration = Duration::from_secs(3600);
const MINUTE: Duration = Duration::from_secs(60);

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A policy without jitter, so times can be asserted exactly.
fn exact() -> Policy {
    Policy::default()
        .with_renew_jitter(0.0)
        .with_backoff_jitter(0.0)
}

fn app() -> AppCredentials {
    AppCredentials::new(
        12345,
        "AbCdEfGh-12345",
        SecretString::from("s3cr3t-Key_XYZ"),
    )
    .unwrap()
}

fn app_mode() -> RenewalMode {
    RenewalMode::credentials(SessionCredentials::new(app(), Identity::application()))
}

fn token_lifecycle(policy: Policy) -> SessionLifecycle {
    SessionLifecycle::new(policy, RenewalMode::TokenProvider).unwrap()
}

fn renew(lc: &mut SessionLifecycle, now: SystemTime, ask: &mut Ask) -> RenewalTicket {
    match lc.poll_token(now, ask) {
        TokenAction::Renew(ticket) => ticket,
        other => panic!("expected Renew at {:?}, got {other:?}", unix_seconds(now)),
    }
}

fn use_token(lc: &mut SessionLifecycle, now: SystemTime, ask: &mut Ask) -> SessionToken {
    match lc.poll_token(now, ask) {
        TokenAction::Use(token) => token,
        other => panic!("expected Use at {:?}, got {other:?}", unix_seconds(now)),
    }
}

fn wait_until(lc: &mut SessionLifecycle, now: SystemTime, ask: &mut Ask) -> SystemTime {
    match lc.poll_token(now, ask) {
        TokenAction::Wait { until } => until,
        other => panic!("expected Wait at {:?}, got {other:?}", unix_seconds(now)),
    }
}

fn failed(lc: &mut SessionLifecycle, now: SystemTime, ask: &mut Ask) -> RenewalError {
    match lc.poll_token(now, ask) {
        TokenAction::Failed(error) => error,
        other => panic!("expected Failed at {:?}, got {other:?}", unix_seconds(now)),
    }
}

fn expiring(token: &str, at: SystemTime) -> Session {
    let mut session = Session::new(SessionToken::new(token));
    session.expires_at = Some(at);
    session
}

fn minted(token: &str) -> Result<NewSession, AttemptError> {
    Ok(NewSession::new(Session::new(SessionToken::new(token))))
}

/// A create-session answer: 201 with the token, and optional headers.
fn created(
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
fn refused(
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

fn bad_timestamp(date: Option<SystemTime>) -> Result<NewSession, AttemptError> {
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

fn transport() -> Result<NewSession, AttemptError> {
    Err(AttemptError::Transport(TransportError::new(
        TransportErrorKind::Connection,
        "connection refused",
    )))
}

fn events(lc: &mut SessionLifecycle) -> Vec<LifecycleEvent> {
    std::iter::from_fn(|| lc.poll_event()).collect()
}

/// A lifecycle holding token `t1`, created at `t0()` without headers.
fn holding_t1(policy: Policy) -> SessionLifecycle {
    let mut lc = token_lifecycle(policy);
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    assert!(matches!(
        lc.on_renewal_result(ticket, t0(), minted("t1")),
        RenewalProgress::Installed
    ));
    lc
}

#[test]
fn expiry_slides_with_every_successful_use() {
    let mut lc = holding_t1(exact());
    assert_eq!(lc.expires_at(), Some(t0() + 2 * HOUR));

    // A use after 90 minutes without headers: two hours from then.
    let used = t0() + 90 * MINUTE;
    let token = use_token(&mut lc, used, &mut Ask::new());
    assert!(lc.on_success(used, &token, ResponseTimes::NONE));
    assert_eq!(lc.expires_at(), Some(used + 2 * HOUR));

    // Without the slide the token would have expired at t0 + 2 h.
    let token = use_token(&mut lc, t0() + 3 * HOUR, &mut Ask::new());
    assert_eq!(token.expose(), "t1");

    // With headers: the expiry is read against the answer's Date, so a
    // server clock 90 minutes ahead does not stretch or shrink it.
    let used = t0() + 3 * HOUR;
    let server_now = used + 90 * MINUTE;
    let times = ResponseTimes {
        date: Some(server_now),
        token_expiration: Some(server_now + 2 * HOUR),
    };
    assert!(lc.on_success(used, &token, times));
    assert_eq!(lc.expires_at(), Some(used + 2 * HOUR));

    // A header that shortens the life is believed: the server knows.
    let times = ResponseTimes {
        date: Some(server_now),
        token_expiration: Some(server_now + 30 * MINUTE),
    };
    assert!(lc.on_success(used, &token, times));
    assert_eq!(lc.expires_at(), Some(used + 30 * MINUTE));

    // An expiry not after the answer's own Date is not believed.
    let times = ResponseTimes {
        date: Some(server_now),
        token_expiration: Some(server_now - MINUTE),
    };
    assert!(lc.on_success(used, &token, times));
    assert_eq!(lc.expires_at(), Some(used + 2 * HOUR));

    // Someone else's token slides nothing.
    assert!(!lc.on_success(
        used + HOUR,
        &SessionToken::new("other"),
        ResponseTimes::NONE
    ));
    assert_eq!(lc.expires_at(), Some(used + 2 * HOUR));

    // Unused, it expires exactly then. A second before, a proactive
    // renewal starts and others still get the token; at the expiry they
    // wait for the renewal instead, and the expiry is announced.
    let end = used + 2 * HOUR;
    let _ = events(&mut lc);
    let ticket = renew(&mut lc, end - secs(1), &mut Ask::new());
    assert_eq!(ticket.reason(), RenewalReason::Proactive);
    assert_eq!(
        use_token(&mut lc, end - secs(1), &mut Ask::new()).expose(),
        "t1"
    );
    wait_until(&mut lc, end, &mut Ask::new());
    assert!(matches!(
        events(&mut lc)[..],
        [LifecycleEvent::SessionExpired]
    ));
    lc.on_renewal_result(ticket, end, minted("t2"));
    assert!(matches!(
        events(&mut lc)[..],
        [LifecycleEvent::SessionCreated { .. }]
    ));
}

#[test]
fn expiry_comes_from_the_create_session_answer() {
    let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    // Server clock 10 minutes behind, token good for 2 hours by its clock.
    let server_now = t0() - 10 * MINUTE;
    let outcome = created("abc", Some(server_now), Some(server_now + 2 * HOUR));
    lc.on_renewal_result(ticket, t0(), outcome);
    assert_eq!(lc.expires_at(), Some(t0() + 2 * HOUR));
    assert_eq!(lc.clock_offset(), ClockSkew::from_secs(-600));
    assert_eq!(lc.session().unwrap().application_id, Some(12345));

    // Without a Date, the header is read through the measured offset.
    lc.set_session(t0(), expiring("x", t0() + HOUR), None);
    assert_eq!(lc.expires_at(), Some(t0() + HOUR + 10 * MINUTE));
}

#[test]
fn proactive_renewal_inside_the_margin_and_use_outside_it() {
    let mut lc = holding_t1(exact());
    let renew_at = t0() + 2 * HOUR - 5 * MINUTE;
    assert_eq!(lc.next_deadline(), Some(renew_at));

    // Outside the margin: the token, and no renewal.
    assert_eq!(
        use_token(&mut lc, renew_at - secs(1), &mut Ask::new()).expose(),
        "t1"
    );
    assert!(!lc.is_renewing());

    // Inside it: the first caller renews, the others keep the old token.
    let ticket = renew(&mut lc, renew_at, &mut Ask::new());
    assert_eq!(ticket.reason(), RenewalReason::Proactive);
    for _ in 0..5 {
        assert_eq!(
            use_token(&mut lc, renew_at + secs(1), &mut Ask::new()).expose(),
            "t1"
        );
    }
    let _ = events(&mut lc);
    lc.on_renewal_result(ticket, renew_at + secs(2), minted("t2"));
    assert!(matches!(
        &events(&mut lc)[..],
        [LifecycleEvent::SessionRenewed { session, .. }] if session.token.expose() == "t2"
    ));
    assert_eq!(
        use_token(&mut lc, renew_at + secs(3), &mut Ask::new()).expose(),
        "t2"
    );
    assert_eq!(lc.expires_at(), Some(renew_at + secs(2) + 2 * HOUR));
}

#[test]
fn renewal_jitter_only_moves_renewal_earlier_within_its_fraction() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let policy = exact().with_renew_jitter(0.5).with_jitter_seed(seed);
        let lc = holding_t1(policy);
        let expiry = t0() + 2 * HOUR;
        let renew_at = lc.next_deadline().unwrap();
        let lead = expiry.duration_since(renew_at).unwrap();
        assert!(lead >= 5 * MINUTE && lead <= 5 * MINUTE + 150 * Duration::from_secs(1));
        seen.insert(lead.as_secs());
    }
    assert!(seen.len() > 20, "jitter should spread renewals: {seen:?}");
    // The same seed gives the same schedule.
    let a = holding_t1(exact().with_renew_jitter(0.5).with_jitter_seed(9)).next_deadline();
    let b = holding_t1(exact().with_renew_jitter(0.5).with_jitter_seed(9)).next_deadline();
    assert_eq!(a, b);
}

#[test]
fn a_short_lived_token_is_renewed_at_half_its_life_not_at_once() {
    let mut lc = token_lifecycle(exact());
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let short = expiring("short", t0() + 4 * MINUTE);
    lc.on_renewal_result(ticket, t0(), Ok(NewSession::new(short)));
    assert_eq!(use_token(&mut lc, t0(), &mut Ask::new()).expose(), "short");
    assert_eq!(
        use_token(&mut lc, t0() + 2 * MINUTE - secs(1), &mut Ask::new()).expose(),
        "short"
    );
    renew(&mut lc, t0() + 2 * MINUTE, &mut Ask::new());
}

#[test]
fn many_callers_at_once_get_one_renewal() {
    let mut lc = token_lifecycle(exact());
    let mut asks = vec![Ask::new(); 100];
    let mut tickets = Vec::new();
    let mut waits = 0;
    for ask in &mut asks {
        match lc.poll_token(t0(), ask) {
            TokenAction::Renew(ticket) => tickets.push(ticket),
            TokenAction::Wait { until } => {
                assert_eq!(until, t0() + MINUTE, "bounded by the renewal timeout");
                waits += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((tickets.len(), waits), (1, 99));

    // The renewing caller reports; every waiter polls again and gets it.
    let ticket = tickets.pop().unwrap();
    lc.on_renewal_result(ticket, t0() + secs(1), minted("shared"));
    for ask in &mut asks {
        assert_eq!(use_token(&mut lc, t0() + secs(1), ask).expose(), "shared");
    }

    // Inside the margin: one renewal, everyone else keeps the old token.
    let late = t0() + 2 * HOUR - MINUTE;
    let mut renewals = 0;
    for _ in 0..100 {
        match lc.poll_token(late, &mut Ask::new()) {
            TokenAction::Renew(_) => renewals += 1,
            TokenAction::Use(token) => assert_eq!(token.expose(), "shared"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(renewals, 1);
}

#[test]
fn bad_timestamp_corrects_the_clock_and_re_signs_once() {
    let nonces = AtomicU32::new(100);
    let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
    let mut ask = Ask::new();

    let ticket = renew(&mut lc, t0(), &mut ask);
    let first = ticket.signing_input(
        t0(),
        Nonce::new(nonces.fetch_add(1, Ordering::Relaxed)).unwrap(),
    );
    assert_eq!(first.timestamp(), unix_seconds(t0()));

    // The server's clock is 90 minutes ahead.
    let server_now = t0() + 90 * MINUTE;
    let progress = lc.on_renewal_result(ticket, t0(), bad_timestamp(Some(server_now)));
    assert!(matches!(progress, RenewalProgress::RetryAt(at) if at == t0()));
    assert_eq!(lc.clock_offset(), ClockSkew::from_secs(5400));
    assert!(events(&mut lc).iter().any(|e| matches!(
        e, LifecycleEvent::ClockOffsetChanged(skew) if skew.as_secs() == 5400
    )));

    // The re-sign is immediate, with a fresh nonce and the corrected time.
    let now = t0() + secs(1);
    let ticket = renew(&mut lc, now, &mut ask);
    assert_eq!(ticket.attempt(), 2);
    assert_eq!(ticket.clock_offset().as_secs(), 5400);
    let second = ticket.signing_input(
        now,
        Nonce::new(nonces.fetch_add(1, Ordering::Relaxed)).unwrap(),
    );
    assert_eq!(second.timestamp(), unix_seconds(now) + 5400);
    assert_ne!(second.nonce(), first.nonce());
    let creds = ticket.credentials().unwrap().unwrap();
    let signed = creds
        .create_session(second)
        .build(&Endpoint::default())
        .unwrap();
    assert!(
        signed
            .string_to_sign()
            .contains(&format!("timestamp={}", unix_seconds(now) + 5400))
    );

    // Only once: a second "Bad timestamp" in the same renewal is final.
    let progress = lc.on_renewal_result(ticket, now, bad_timestamp(Some(now + 90 * MINUTE)));
    let RenewalProgress::Failed(RenewalError::Permanent(AttemptError::Api(e))) = progress else {
        panic!("expected a final failure, got {progress:?}");
    };
    assert_eq!(e.kind(), ErrorKind::BadTimestamp);
    assert!(matches!(
        failed(&mut lc, now, &mut ask),
        RenewalError::Permanent(_)
    ));
    assert!(!lc.is_renewing());
}

#[test]
fn bad_timestamp_without_a_believable_date_is_final() {
    for date in [None, Some(t0() + 30 * HOUR)] {
        let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
        let ticket = renew(&mut lc, t0(), &mut Ask::new());
        let progress = lc.on_renewal_result(ticket, t0(), bad_timestamp(date));
        assert!(
            matches!(
                progress,
                RenewalProgress::Failed(RenewalError::Permanent(_))
            ),
            "{date:?}: {progress:?}"
        );
        assert_eq!(lc.clock_offset(), ClockSkew::ZERO, "{date:?}");
    }
}

#[test]
fn the_clock_offset_carries_over_to_later_renewals() {
    let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    lc.on_renewal_result(ticket, t0(), bad_timestamp(Some(t0() - 2 * HOUR)));
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    lc.on_renewal_result(ticket, t0(), created("abc", None, None));
    let later = t0() + 3 * HOUR;
    let ticket = renew(&mut lc, later, &mut Ask::new());
    assert_eq!(ticket.attempt(), 1, "a new renewal");
    let input = ticket.signing_input(later, Nonce::new(5).unwrap());
    assert_eq!(input.timestamp(), unix_seconds(later) - 7200);
}

#[test]
fn retries_back_off_within_the_budget_and_honour_retry_after() {
    let policy = exact()
        .with_max_attempts(4)
        .with_backoff(secs(1), secs(30))
        .with_retry_after_cap(secs(120));
    let mut lc = SessionLifecycle::new(policy, app_mode()).unwrap();
    let mut ask = Ask::new();
    let mut now = t0();
    let mut delays = Vec::new();
    let failures = [
        refused(503, "", &[], Operation::CreateApplicationSession),
        refused(500, "oops", &[], Operation::CreateApplicationSession),
        transport(),
    ];
    let mut tickets = 0;
    for (n, failure) in failures.into_iter().enumerate() {
        let ticket = renew(&mut lc, now, &mut ask);
        tickets += 1;
        assert_eq!(ticket.attempt() as usize, n + 1);
        let RenewalProgress::RetryAt(at) = lc.on_renewal_result(ticket, now, failure) else {
            panic!("attempt {} should be retried", n + 1);
        };
        let delay = at.duration_since(now).unwrap();
        delays.push(delay);
        // During the backoff everyone waits for its end, and no one renews.
        assert_eq!(wait_until(&mut lc, now, &mut ask), at);
        assert_eq!(wait_until(&mut lc, at - secs(1), &mut Ask::new()), at);
        assert_eq!(lc.next_deadline(), Some(at));
        now = at;
    }
    assert_eq!(delays, [secs(1), secs(2), secs(4)]);

    // The last attempt: the budget is spent, the error surfaces.
    let ticket = renew(&mut lc, now, &mut ask);
    tickets += 1;
    assert_eq!(ticket.attempt(), 4);
    let progress = lc.on_renewal_result(
        ticket,
        now,
        refused(429, "", &[], Operation::CreateApplicationSession),
    );
    assert!(matches!(
        progress,
        RenewalProgress::Failed(RenewalError::AttemptsExhausted { attempts: 4, .. })
    ));
    let err = failed(&mut lc, now, &mut ask);
    assert_eq!(err.api_error().unwrap().kind(), ErrorKind::RateLimited);
    assert_eq!(tickets, 4);
    assert_eq!(lc.next_deadline(), None, "nothing retries by itself");
}

#[test]
fn retry_after_is_honoured_and_capped() {
    let policy = exact().with_retry_after_cap(secs(120));
    let cases = [
        (vec![("Retry-After", "20".to_owned())], secs(20)),
        (vec![("Retry-After", "3600".to_owned())], secs(120)),
        (
            vec![("Retry-After", format_http_date(t0() + secs(45)))],
            secs(45),
        ),
        (vec![("Retry-After", "soon".to_owned())], secs(1)),
    ];
    for (headers, expected) in cases {
        let mut lc = SessionLifecycle::new(policy.clone(), app_mode()).unwrap();
        let ticket = renew(&mut lc, t0(), &mut Ask::new());
        let outcome = refused(429, "", &headers, Operation::CreateApplicationSession);
        let RenewalProgress::RetryAt(at) = lc.on_renewal_result(ticket, t0(), outcome) else {
            panic!("429 is retried");
        };
        assert_eq!(at, t0() + expected, "{headers:?}");
    }
}

#[test]
fn backoff_jitter_keeps_delays_growing() {
    for seed in 0..20 {
        let policy = Policy::default()
            .with_backoff(secs(1), secs(60))
            .with_max_attempts(6)
            .with_jitter_seed(seed);
        let mut lc = SessionLifecycle::new(policy, RenewalMode::TokenProvider).unwrap();
        let mut now = t0();
        let mut last = Duration::ZERO;
        for _ in 0..5 {
            let ticket = renew(&mut lc, now, &mut Ask::new());
            let RenewalProgress::RetryAt(at) = lc.on_renewal_result(ticket, now, transport())
            else {
                panic!("transport failures are retried");
            };
            let delay = at.duration_since(now).unwrap();
            assert!(delay > last, "seed {seed}: {delay:?} after {last:?}");
            last = delay;
            now = at;
        }
    }
}

#[test]
fn invalid_credentials_stop_and_never_loop() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let provider = move || -> Result<SessionCredentials, ProviderError> {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let user = Identity::login("alice", format!("rotated-{n}"))
            .map_err(|e| ProviderError::permanent(e.to_string()))?;
        Ok(SessionCredentials::new(app(), user))
    };
    let mut lc = SessionLifecycle::new(exact(), RenewalMode::credentials(provider)).unwrap();
    let (mut renewer, mut waiter) = (Ask::new(), Ask::new());

    let ticket = renew(&mut lc, t0(), &mut renewer);
    wait_until(&mut lc, t0(), &mut waiter);
    let creds = ticket.credentials().unwrap().unwrap();
    assert_eq!(creds.operation(), Operation::CreateUserSession);
    let outcome = refused(
        401,
        r#"{"errors":["Unauthorized"]}"#,
        &[],
        creds.operation(),
    );
    let progress = lc.on_renewal_result(ticket, t0(), outcome);
    assert!(matches!(
        progress,
        RenewalProgress::Failed(RenewalError::Permanent(_))
    ));

    // Everyone who was asking gets the error, as often as they poll.
    for _ in 0..3 {
        for ask in [&mut renewer, &mut waiter] {
            let err = failed(&mut lc, t0() + secs(5), ask);
            assert_eq!(
                err.api_error().unwrap().kind(),
                ErrorKind::InvalidCredentials
            );
        }
    }
    // New callers within the hold get it too, without a new attempt.
    failed(&mut lc, t0() + Duration::from_millis(500), &mut Ask::new());
    assert!(!lc.is_renewing());
    assert_eq!(lc.next_deadline(), None);
    assert_eq!(calls.load(Ordering::Relaxed), 1);

    // A caller asking later starts one new renewal, with credentials
    // asked anew (a rotated password is used, not a cached one).
    let later = t0() + secs(2);
    let ticket = renew(&mut lc, later, &mut Ask::new());
    assert_eq!(ticket.attempt(), 1);
    let creds = ticket.credentials().unwrap().unwrap();
    let signed = creds
        .create_session(ticket.signing_input(later, Nonce::new(9).unwrap()))
        .build(&Endpoint::default())
        .unwrap();
    assert!(
        signed
            .string_to_sign()
            .ends_with("user[password]=rotated-1")
    );
    assert_eq!(calls.load(Ordering::Relaxed), 2);
}

#[test]
fn every_answer_no_retry_can_fix_is_final_at_once() {
    let cases = [
        (
            422,
            r#"{"errors":{"base":["Unexpected signature"]}}"#,
            ErrorKind::UnexpectedSignature,
        ),
        (
            422,
            r#"{"errors":{"base":["No application found"]}}"#,
            ErrorKind::NoApplicationFound,
        ),
        (
            401,
            r#"{"errors":["Unauthorized"]}"#,
            ErrorKind::InvalidCredentials,
        ),
        (
            201,
            r#"<html>captive portal</html>"#,
            ErrorKind::MalformedResponse,
        ),
        (404, "", ErrorKind::NotFound),
    ];
    for (status, body, kind) in cases {
        let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
        let ticket = renew(&mut lc, t0(), &mut Ask::new());
        let answer = http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap();
        let outcome = NewSession::from_response(&answer, Operation::CreateApplicationSession);
        let progress = lc.on_renewal_result(ticket, t0(), outcome);
        let RenewalProgress::Failed(err @ RenewalError::Permanent(_)) = progress else {
            panic!("{kind:?}: {progress:?}");
        };
        assert_eq!(err.api_error().unwrap().kind(), kind);
        assert!(matches!(
            events(&mut lc).last(),
            Some(LifecycleEvent::RenewalFailed(RenewalError::Permanent(_)))
        ));
    }
    // A provider that gives up, and credentials that cannot be built.
    for error in [
        AttemptError::Provider(ProviderError::permanent("signed out")),
        AttemptError::Build(Identity::login("", "x").unwrap_err()),
    ] {
        let mut lc = token_lifecycle(exact());
        let ticket = renew(&mut lc, t0(), &mut Ask::new());
        assert!(matches!(
            lc.on_renewal_result(ticket, t0(), Err(error)),
            RenewalProgress::Failed(RenewalError::Permanent(_))
        ));
    }
}

#[test]
fn a_failed_renewal_keeps_a_token_that_is_still_valid() {
    let mut lc = holding_t1(exact().with_max_attempts(2));
    let expiry = t0() + 2 * HOUR;
    let margin_start = expiry - 5 * MINUTE;

    // A proactive renewal fails transiently: the old token stays in use.
    let ticket = renew(&mut lc, margin_start, &mut Ask::new());
    let RenewalProgress::RetryAt(at) = lc.on_renewal_result(ticket, margin_start, transport())
    else {
        panic!("retried");
    };
    assert_eq!(
        use_token(
            &mut lc,
            margin_start + Duration::from_millis(10),
            &mut Ask::new()
        )
        .expose(),
        "t1"
    );

    // The retry fails too: the renewal gives up, the token still serves.
    let ticket = renew(&mut lc, at, &mut Ask::new());
    assert_eq!(ticket.attempt(), 2);
    let progress = lc.on_renewal_result(ticket, at, transport());
    assert!(matches!(
        progress,
        RenewalProgress::Failed(RenewalError::AttemptsExhausted { .. })
    ));
    let mut ask = Ask::new();
    for step in 0..4 {
        let now = at + secs(step * 60);
        assert_eq!(use_token(&mut lc, now, &mut ask).expose(), "t1");
    }
    // No new proactive attempt for this token: it is used until it expires.
    assert!(!lc.is_renewing());
    assert_eq!(lc.next_deadline(), Some(expiry));

    // At expiry the next ask renews (it is a new renewal, not a loop).
    let ticket = renew(&mut lc, expiry, &mut Ask::new());
    assert_eq!(
        (ticket.reason(), ticket.attempt()),
        (RenewalReason::Expired, 1)
    );
}

#[test]
fn a_permanent_proactive_failure_keeps_the_token_too() {
    let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    lc.on_renewal_result(ticket, t0(), created("t1", None, None));
    let inside = t0() + 2 * HOUR - MINUTE;
    let mut ask = Ask::new();
    let ticket = renew(&mut lc, inside, &mut ask);
    let outcome = refused(
        422,
        r#"{"errors":{"base":["Unexpected signature"]}}"#,
        &[],
        Operation::CreateApplicationSession,
    );
    assert!(matches!(
        lc.on_renewal_result(ticket, inside, outcome),
        RenewalProgress::Failed(_)
    ));
    // Even the ask that held the ticket gets the old token, not the error.
    assert_eq!(use_token(&mut lc, inside, &mut ask).expose(), "t1");
}

#[test]
fn rejecting_a_stale_token_does_not_invalidate_the_new_one() {
    let mut lc = holding_t1(exact());
    let old = use_token(&mut lc, t0(), &mut Ask::new());

    // t1 is renewed proactively into t2 while a request with t1 is out.
    let inside = t0() + 2 * HOUR - MINUTE;
    let ticket = renew(&mut lc, inside, &mut Ask::new());
    lc.on_renewal_result(ticket, inside, minted("t2"));
    let _ = events(&mut lc);

    // That request comes back "Required session does not exist".
    assert!(!lc.on_session_rejected(inside, &old));
    assert!(events(&mut lc).is_empty());
    assert_eq!(use_token(&mut lc, inside, &mut Ask::new()).expose(), "t2");

    // The current token's rejection does invalidate it: the next ask renews.
    let current = SessionToken::new("t2");
    assert!(lc.on_session_rejected(inside, &current));
    assert!(matches!(
        events(&mut lc)[..],
        [LifecycleEvent::SessionInvalidated]
    ));
    let ticket = renew(&mut lc, inside, &mut Ask::new());
    assert_eq!(ticket.reason(), RenewalReason::Rejected);
    // A second rejection of the same token (another request) changes nothing.
    assert!(!lc.on_session_rejected(inside, &current));
    assert!(lc.is_renewing());
}

#[test]
fn a_fixed_token_is_never_renewed() {
    let mut lc = SessionLifecycle::new(exact(), RenewalMode::FixedToken).unwrap();
    assert!(matches!(
        failed(&mut lc, t0(), &mut Ask::new()),
        RenewalError::NotRenewable
    ));

    lc.set_session(t0(), Session::new(SessionToken::new("fixed")), None);
    let end = t0() + 2 * HOUR;
    // Inside the margin there is nothing to renew with: keep using it.
    assert_eq!(
        use_token(&mut lc, end - secs(1), &mut Ask::new()).expose(),
        "fixed"
    );
    assert_eq!(lc.next_deadline(), Some(end));
    let err = failed(&mut lc, end, &mut Ask::new());
    assert!(matches!(err, RenewalError::NotRenewable));
    assert_eq!(
        err.to_string(),
        "the session expired and cannot be renewed (a fixed token)"
    );

    // Rejected before its expiry: the same.
    lc.set_session(end, Session::new(SessionToken::new("fixed2")), None);
    assert!(lc.on_session_rejected(end, &SessionToken::new("fixed2")));
    assert!(matches!(
        failed(&mut lc, end, &mut Ask::new()),
        RenewalError::NotRenewable
    ));
    assert!(!lc.is_renewing());
}

#[test]
fn a_session_handed_in_already_expired_is_not_used() {
    // Renewable: the next ask renews instead of handing out the old token.
    let mut lc = token_lifecycle(exact());
    lc.set_session(t0(), expiring("stale", t0() - MINUTE), None);
    assert!(lc.session().is_none());
    assert_eq!(lc.expires_at(), None);
    assert!(
        events(&mut lc)
            .iter()
            .any(|e| matches!(e, LifecycleEvent::SessionExpired))
    );
    renew(&mut lc, t0(), &mut Ask::new());

    // Fixed: nothing to renew with, so it fails rather than send it.
    let mut lc = SessionLifecycle::new(exact(), RenewalMode::FixedToken).unwrap();
    lc.set_session(t0(), expiring("stale", t0()), None);
    assert!(matches!(
        failed(&mut lc, t0(), &mut Ask::new()),
        RenewalError::NotRenewable
    ));

    // Still valid: used until its own expiry, not for a default two hours.
    lc.set_session(t0(), expiring("fresh", t0() + MINUTE), None);
    assert_eq!(lc.expires_at(), Some(t0() + MINUTE));
    assert_eq!(
        use_token(&mut lc, t0() + secs(59), &mut Ask::new()).expose(),
        "fresh"
    );
    assert!(matches!(
        failed(&mut lc, t0() + MINUTE, &mut Ask::new()),
        RenewalError::NotRenewable
    ));
}

#[test]
fn a_lost_renewal_times_out_and_its_late_result_is_ignored() {
    let mut lc = token_lifecycle(exact());
    let lost = renew(&mut lc, t0(), &mut Ask::new());
    assert_eq!(
        wait_until(&mut lc, t0() + secs(30), &mut Ask::new()),
        t0() + MINUTE
    );

    // Nobody reported for a minute: that attempt failed, with backoff.
    let retry_at = wait_until(&mut lc, t0() + MINUTE, &mut Ask::new());
    assert_eq!(retry_at, t0() + MINUTE + secs(1));
    assert!(events(&mut lc).iter().any(|e| matches!(
        e,
        LifecycleEvent::AttemptFailed {
            attempt: 1,
            error: AttemptError::TimedOut(_),
            ..
        }
    )));
    let ticket = renew(&mut lc, retry_at, &mut Ask::new());
    assert_eq!(ticket.attempt(), 2);

    // The lost ticket's answer arrives at last: ignored.
    assert!(matches!(
        lc.on_renewal_result(lost, retry_at, minted("late")),
        RenewalProgress::Stale
    ));
    assert!(lc.session().is_none());
    lc.on_renewal_result(ticket, retry_at, minted("current"));
    assert_eq!(
        use_token(&mut lc, retry_at, &mut Ask::new()).expose(),
        "current"
    );
}

#[test]
fn an_abandoned_renewal_passes_to_the_next_caller_at_once() {
    let mut lc = token_lifecycle(exact());
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let mut waiter = Ask::new();
    wait_until(&mut lc, t0(), &mut waiter);
    let progress = lc.on_renewal_result(ticket, t0(), Err(AttemptError::Abandoned));
    assert!(matches!(progress, RenewalProgress::RetryAt(at) if at == t0()));
    let ticket = renew(&mut lc, t0(), &mut waiter);
    assert_eq!(ticket.attempt(), 2);
}

#[test]
fn a_token_provider_ticket_asks_no_credentials() {
    let mut lc = token_lifecycle(exact());
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    assert!(matches!(ticket.method(), RenewalMethod::TokenProvider));
    assert!(ticket.credentials().is_none());
    // A retryable provider error backs off like a transport failure.
    let progress = lc.on_renewal_result(
        ticket,
        t0(),
        Err(AttemptError::Provider(ProviderError::transient(
            "backend down",
        ))),
    );
    assert!(matches!(progress, RenewalProgress::RetryAt(at) if at == t0() + secs(1)));
}

#[test]
fn save_and_restore_through_json() {
    let mut saved = None;
    let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    lc.on_renewal_result(ticket, t0(), bad_timestamp(Some(t0() + 90 * MINUTE)));
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let server_now = t0() + 90 * MINUTE;
    lc.on_renewal_result(
        ticket,
        t0(),
        created("persisted", Some(server_now), Some(server_now + 2 * HOUR)),
    );
    for event in events(&mut lc) {
        if matches!(
            event,
            LifecycleEvent::SessionCreated { .. } | LifecycleEvent::SessionRenewed { .. }
        ) {
            saved = Some(lc.snapshot());
        }
    }

    // The saved form is the documented one.
    let json = serde_json::to_value(saved.unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["session"]["token"], "persisted");
    assert_eq!(json["session"]["application_id"], 12345);
    assert_eq!(json["valid_until"], "2023-11-15T00:13:20Z");
    assert_eq!(json["clock_offset_secs"], 5400);

    // A new process restores it: no renewal, the same token and offset.
    let text = serde_json::to_string(&json).unwrap();
    let snapshot: LifecycleSnapshot = serde_json::from_str(&text).unwrap();
    let restart = t0() + HOUR;
    let mut restored = SessionLifecycle::new(exact(), app_mode()).unwrap();
    assert!(restored.restore(restart, snapshot.clone()));
    assert!(events(&mut restored).is_empty());
    assert_eq!(
        use_token(&mut restored, restart, &mut Ask::new()).expose(),
        "persisted"
    );
    assert_eq!(restored.expires_at(), Some(t0() + 2 * HOUR));
    assert_eq!(restored.clock_offset(), ClockSkew::from_secs(5400));

    // Restored too late, the session is not used; the offset still is.
    let mut too_late = SessionLifecycle::new(exact(), app_mode()).unwrap();
    assert!(!too_late.restore(t0() + 2 * HOUR, snapshot));
    let ticket = renew(&mut too_late, t0() + 2 * HOUR, &mut Ask::new());
    assert_eq!(ticket.clock_offset().as_secs(), 5400);
}

#[test]
fn an_unbelievable_saved_offset_is_not_restored() {
    let snapshot = LifecycleSnapshot::new(None, ClockSkew::from_secs(3 * 86_400));
    let mut lc = token_lifecycle(exact());
    assert!(!lc.restore(t0(), snapshot));
    assert_eq!(lc.clock_offset(), ClockSkew::ZERO);
}

#[test]
fn debug_output_never_shows_the_token() {
    const SECRET: &str = "c56f382b402fb482086db956064592d3cd012bba";
    let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let ticket_debug = format!("{ticket:?}");
    lc.on_renewal_result(
        ticket,
        t0(),
        created(SECRET, Some(t0()), Some(t0() + 2 * HOUR)),
    );
    let action = lc.poll_token(t0(), &mut Ask::new());
    let rendered = [
        ticket_debug,
        format!("{lc:?}"),
        format!("{action:?}"),
        format!("{:?}", events(&mut lc)),
        format!("{:?}", lc.snapshot()),
        format!("{:?}", lc.mode()),
    ];
    for text in &rendered {
        assert!(!text.contains(SECRET), "token in {text}");
        assert!(!text.contains("s3cr3t"), "auth secret in {text}");
    }
    assert!(rendered[2].contains("SessionToken([REDACTED])"));
}

#[test]
fn the_lifecycle_can_live_in_a_mutex_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<SessionLifecycle>();
    send::<TokenAction>();
    send::<RenewalTicket>();
    send_sync::<LifecycleEvent>();
    send_sync::<RenewalError>();

    let shared = Arc::new(std::sync::Mutex::new(token_lifecycle(exact())));
    let renewals: u32 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let shared = shared.clone();
                scope.spawn(move || {
                    let action = shared.lock().unwrap().poll_token(t0(), &mut Ask::new());
                    u32::from(matches!(action, TokenAction::Renew(_)))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(renewals, 1);
}

#[test]
fn a_session_set_by_hand_makes_the_renewal_in_flight_stale() {
    let mut lc = token_lifecycle(exact());
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    lc.set_session(t0(), Session::new(SessionToken::new("manual")), None);
    assert!(matches!(
        lc.on_renewal_result(ticket, t0(), minted("late")),
        RenewalProgress::Stale
    ));
    assert_eq!(use_token(&mut lc, t0(), &mut Ask::new()).expose(), "manual");
    assert_eq!(lc.take_session().unwrap().token.expose(), "manual");
    assert_eq!(
        renew(&mut lc, t0(), &mut Ask::new()).reason(),
        RenewalReason::NoSession
    );
}

#[test]
fn an_invalid_policy_is_a_typed_error() {
    let err = SessionLifecycle::new(
        Policy::default().with_renew_jitter(-0.1),
        RenewalMode::TokenProvider,
    )
    .unwrap_err();
    assert_eq!(err.field(), "renew_jitter");
    for (policy, field) in [
        (
            Policy::default().with_renewal_timeout(Duration::ZERO),
            "renewal_timeout",
        ),
        (Policy::default().with_max_attempts(0), "max_attempts"),
        (Policy::default().with_backoff_jitter(2.0), "backoff_jitter"),
    ] {
        assert_eq!(policy.validate().unwrap_err().field(), field);
    }
}

/// What a transport does with a credentials ticket: asks for the
/// credentials and, if it gets them, sends a create-session. Returns
/// whether a request would have reached the server, and the result.
fn attempt_with_credentials(ticket: &RenewalTicket) -> (bool, Result<NewSession, AttemptError>) {
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

fn wrong_password() -> RenewalMode {
    let user = Identity::login("alice", "not-her-password").unwrap();
    RenewalMode::credentials(SessionCredentials::new(app(), user))
}

#[test]
fn refused_credentials_are_not_sent_again_while_they_stay_the_same() {
    // Ten callers ask in a loop for ten minutes of fake time, one poll
    // every 100 ms each; every ticket is worked like a transport would.
    let mut lc = SessionLifecycle::new(Policy::default(), wrong_password()).unwrap();
    let mut sent = 0;
    let mut errors = 0;
    let mut now = t0();
    while now < t0() + 10 * MINUTE {
        for _ in 0..10 {
            let mut ask = Ask::new();
            loop {
                match lc.poll_token(now, &mut ask) {
                    TokenAction::Renew(ticket) => {
                        let (reached, result) = attempt_with_credentials(&ticket);
                        sent += usize::from(reached);
                        lc.on_renewal_result(ticket, now, result);
                    }
                    TokenAction::Failed(err) => {
                        assert_eq!(
                            err.api_error().map(|e| e.kind()),
                            Some(ErrorKind::InvalidCredentials),
                            "{err:?}"
                        );
                        errors += 1;
                        break;
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        now += Duration::from_millis(100);
    }
    assert_eq!(sent, 1, "the refused credentials reached the server again");
    assert_eq!(
        errors, 60_000,
        "every call got the invalid-credentials error"
    );
    assert_eq!(lc.next_deadline(), None, "nothing retries by itself");
}

#[test]
fn callers_arriving_after_a_failed_run_start_a_new_one_after_a_short_pause() {
    let policy = exact().with_max_attempts(2);
    let mut lc = token_lifecycle(policy.clone());
    let (mut renewer, mut waiter) = (Ask::new(), Ask::new());
    let ticket = renew(&mut lc, t0(), &mut renewer);
    wait_until(&mut lc, t0(), &mut waiter);
    let RenewalProgress::RetryAt(at) = lc.on_renewal_result(ticket, t0(), transport()) else {
        panic!("retried");
    };
    let ticket = renew(&mut lc, at, &mut renewer);
    assert!(matches!(
        lc.on_renewal_result(ticket, at, transport()),
        RenewalProgress::Failed(RenewalError::AttemptsExhausted { attempts: 2, .. })
    ));
    // The callers that waited through the run get its error.
    failed(&mut lc, at, &mut renewer);
    failed(&mut lc, at, &mut waiter);

    // A caller that asks afterwards is not failed by a run it never saw:
    // it waits out a short pause, then starts a new run.
    let mut late = Ask::new();
    let until = match lc.poll_token(at, &mut late) {
        TokenAction::Wait { until } => until,
        other => panic!("a new caller should wait for a new run, got {other:?}"),
    };
    assert!(
        until > at && until <= at + policy.failure_hold(),
        "{until:?}"
    );
    let ticket = renew(&mut lc, until, &mut late);
    assert_eq!(ticket.attempt(), 1, "a new run");
    lc.on_renewal_result(ticket, until, minted("t2"));
    assert_eq!(use_token(&mut lc, until, &mut late).expose(), "t2");
}

#[test]
fn a_huge_retry_after_never_blocks_a_caller_past_its_deadline() {
    let mut lc = SessionLifecycle::new(Policy::default(), app_mode()).unwrap();
    let mut ask = Ask::new();
    let ticket = renew(&mut lc, t0(), &mut ask);
    let huge = vec![("Retry-After", u64::MAX.to_string())];
    let outcome = refused(429, "", &huge, Operation::CreateApplicationSession);
    lc.on_renewal_result(ticket, t0(), outcome);

    // The caller that renewed, and one that arrives during the backoff,
    // each get an answer within a minute of their first poll.
    for (mut ask, start) in [(ask, t0()), (Ask::new(), t0() + secs(5))] {
        let mut now = start;
        let err = loop {
            match lc.poll_token(now, &mut ask) {
                TokenAction::Wait { until } => {
                    let waited = until.duration_since(start).unwrap();
                    assert!(until > now && waited <= MINUTE, "told to wait {waited:?}");
                    now = until;
                }
                TokenAction::Failed(err) => break err,
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(err.api_error().unwrap().kind(), ErrorKind::RateLimited);
    }
}

#[test]
fn refused_credentials_are_sent_again_once_they_change_or_after_reset() {
    // The provider gives the wrong password until "the user" fixes it.
    let password = Arc::new(std::sync::Mutex::new("wrong".to_owned()));
    let current = password.clone();
    let provider = move || -> Result<SessionCredentials, ProviderError> {
        let user = Identity::login("alice", current.lock().unwrap().clone()).unwrap();
        Ok(SessionCredentials::new(app(), user))
    };
    let policy = exact().with_failure_hold(secs(1));
    let mut lc = SessionLifecycle::new(policy, RenewalMode::credentials(provider)).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let (reached, result) = attempt_with_credentials(&ticket);
    assert!(reached);
    lc.on_renewal_result(ticket, t0(), result);

    // After the pause one caller re-checks: the same credentials are not
    // handed out, and that caller gets the server's error.
    let mut ask = Ask::new();
    let ticket = renew(&mut lc, t0() + secs(1), &mut ask);
    let (reached, result) = attempt_with_credentials(&ticket);
    assert!(!reached, "refused credentials were handed out again");
    let progress = lc.on_renewal_result(ticket, t0() + secs(1), result);
    assert!(matches!(progress, RenewalProgress::Failed(_)));
    let err = failed(&mut lc, t0() + secs(1), &mut ask);
    assert_eq!(
        err.api_error().unwrap().kind(),
        ErrorKind::InvalidCredentials
    );
    assert_eq!(
        events(&mut lc)
            .iter()
            .filter(|e| matches!(e, LifecycleEvent::RenewalFailed(_)))
            .count(),
        1,
        "a re-check that sends nothing is not a new failure"
    );

    // The password changes: the next re-check sends it, and it works.
    *password.lock().unwrap() = "fixed".to_owned();
    let ticket = renew(&mut lc, t0() + secs(2), &mut Ask::new());
    let creds = ticket.credentials().unwrap().unwrap();
    assert!(
        creds
            .create_session(ticket.signing_input(t0(), Nonce::new(1).unwrap()))
            .build(&Endpoint::default())
            .unwrap()
            .string_to_sign()
            .ends_with("user[password]=fixed")
    );
    lc.on_renewal_result(ticket, t0() + secs(2), minted("t1"));
    assert_eq!(
        use_token(&mut lc, t0() + secs(2), &mut Ask::new()).expose(),
        "t1"
    );

    // Refused again later; `reset` lets the same credentials be sent at once.
    lc.on_session_rejected(t0() + secs(3), &SessionToken::new("t1"));
    let ticket = renew(&mut lc, t0() + secs(3), &mut Ask::new());
    let (_, result) = attempt_with_credentials(&ticket);
    lc.on_renewal_result(ticket, t0() + secs(3), result);
    failed(&mut lc, t0() + secs(3), &mut Ask::new());
    assert!(lc.reset());
    assert!(!lc.reset(), "nothing left to forget");
    let ticket = renew(&mut lc, t0() + secs(3), &mut Ask::new());
    let (reached, _) = attempt_with_credentials(&ticket);
    assert!(reached, "reset sends the credentials again");
}

#[test]
fn a_caller_waits_on_a_renewal_in_flight_until_its_own_deadline() {
    let mut lc = token_lifecycle(exact());
    let _ticket = renew(&mut lc, t0(), &mut Ask::new());
    // Without a deadline of its own: the policy's max_wait from its first poll.
    let mut ask = Ask::new();
    assert_eq!(
        wait_until(&mut lc, t0() + secs(30), &mut ask),
        t0() + MINUTE
    );
    assert_eq!(
        wait_until(&mut lc, t0() + MINUTE - secs(1), &mut ask),
        t0() + MINUTE
    );
    // The renewal timed out at t0 + 1 min and backs off for a second,
    // within this caller's deadline (t0 + 90 s): it waits, then renews.
    let next = t0() + MINUTE + secs(1);
    assert_eq!(wait_until(&mut lc, t0() + MINUTE, &mut ask), next);
    renew(&mut lc, next, &mut ask);

    let mut short = Ask::new().with_deadline(next + secs(5));
    assert_eq!(wait_until(&mut lc, next, &mut short), next + secs(5));
    let err = failed(&mut lc, next + secs(5), &mut short);
    assert!(
        matches!(
            &err,
            RenewalError::CallerDeadline {
                retry_at: None,
                last: Some(AttemptError::TimedOut(_))
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("no session before this caller's deadline")
    );
    // The renewal itself goes on.
    assert!(lc.is_renewing());
}
