//! No run and no failure: the first ask renews, everything a driver sets by
//! hand lands here, and `status` reads every state.

use super::common::*;
use qb_auth_core::lifecycle::{Phase, RenewalError};

#[test]
fn a_new_lifecycle_renews_at_the_first_ask_and_the_second_caller_waits() {
    let mut lc = token_lifecycle(exact());
    assert_eq!(lc.next_deadline(), None);
    let (mut a, mut b) = (Ask::new(), Ask::new());
    let ticket = renew(&mut lc, t0(), &mut a);
    assert_eq!(
        (ticket.attempt(), ticket.reason()),
        (1, RenewalReason::NoSession)
    );
    assert_eq!(
        ticket
            .signing_input(t0(), Nonce::new(1).unwrap())
            .timestamp(),
        unix_seconds(t0())
    );
    // The second caller waits for the ticket, at most the renewal timeout.
    assert_eq!(wait_until(&mut lc, t0(), &mut b), t0() + secs(60));
    lc.on_renewal_result(ticket, t0(), minted("t"));
    assert_eq!(use_token(&mut lc, t0(), &mut b).expose(), "t");
}

#[test]
fn a_bad_policy_is_refused_at_construction() {
    let bad = Policy::default().with_max_attempts(0);
    assert!(SessionLifecycle::new(bad, RenewalMode::TokenProvider).is_err());
}

#[test]
fn reset_forgets_a_failure_and_the_next_ask_renews_at_once() {
    let mut lc = token_lifecycle(exact());
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let signed_out = Err(AttemptError::Provider(ProviderError::permanent(
        "signed out",
    )));
    lc.on_renewal_result(ticket, t0(), signed_out);
    failed(&mut lc, t0(), &mut Ask::new());
    assert!(lc.reset());
    renew(&mut lc, t0(), &mut Ask::new());
    assert!(lc.reset(), "a run in flight is ended too");
    assert!(!lc.reset(), "nothing left to forget");
}

#[test]
fn a_fixed_token_lifecycle_fails_until_its_mode_can_renew() {
    let mut lc = SessionLifecycle::new(exact(), RenewalMode::FixedToken).unwrap();
    assert!(matches!(
        failed(&mut lc, t0(), &mut Ask::new()),
        RenewalError::NotRenewable
    ));
    lc.set_mode(RenewalMode::TokenProvider);
    renew(&mut lc, t0(), &mut Ask::new());
}

#[test]
fn a_session_set_by_hand_is_used_reported_and_taken_back() {
    let mut lc = token_lifecycle(exact());
    lc.set_session(t0(), Session::new("t".into()), None);
    assert!(matches!(
        events(&mut lc).as_slice(),
        [LifecycleEvent::SessionCreated { .. }]
    ));
    assert_eq!(lc.snapshot().session().unwrap().token.expose(), "t");
    // Two hours of life, renewed five minutes ahead.
    assert_eq!(lc.next_deadline(), Some(t0() + secs(7200 - 300)));
    assert!(lc.set_user(&SessionToken::new("t"), Some(1001)));
    assert_eq!(lc.session().unwrap().user(), Some(1001));
    assert!(!lc.set_user(&SessionToken::new("other"), None));
    assert_eq!(lc.take_session().unwrap().token.expose(), "t");
    assert!(lc.session().is_none());
    assert!(events(&mut lc).iter().all(|e| matches!(
        e,
        LifecycleEvent::IdentityChanged {
            user_id: Some(1001)
        }
    )));
}

#[test]
fn answers_about_another_token_change_nothing() {
    let mut lc = token_lifecycle(exact());
    lc.set_session(t0(), Session::new("new".into()), None);
    let later = t0() + secs(600);
    assert!(!lc.on_success(later, &SessionToken::new("old"), ResponseTimes::NONE));
    assert!(!lc.on_session_rejected(later, &SessionToken::new("old")));
    assert!(lc.on_success(later, &SessionToken::new("new"), ResponseTimes::NONE));
    assert_eq!(lc.expires_at(), Some(later + 2 * HOUR));
    assert!(lc.on_session_rejected(later, &SessionToken::new("new")));
    assert_eq!(
        renew(&mut lc, later, &mut Ask::new()).reason(),
        RenewalReason::Rejected
    );
}

#[test]
fn a_handed_in_token_is_checked_once_then_fixed() {
    let mode = RenewalMode::CheckToken(SessionToken::new("handed-in"));
    let mut lc = SessionLifecycle::new(exact(), mode).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    assert!(matches!(ticket.method(), RenewalMethod::CheckToken(t) if t.expose() == "handed-in"));
    lc.on_renewal_result(ticket, t0(), minted("handed-in"));
    assert!(matches!(lc.mode(), RenewalMode::FixedToken));
    assert!(lc.on_session_rejected(t0(), &SessionToken::new("handed-in")));
    assert!(matches!(
        failed(&mut lc, t0(), &mut Ask::new()),
        RenewalError::NotRenewable
    ));
}

#[test]
fn a_refused_check_says_what_was_attempted() {
    let mode = RenewalMode::CheckToken(SessionToken::new("dead"));
    let mut lc = SessionLifecycle::new(exact(), mode).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let dead = refused(
        401,
        r#"{"errors":{"base":["Required session does not exist"]}}"#,
        &[],
        Operation::GetSession,
    );
    lc.on_renewal_result(ticket, t0(), dead);
    let err = failed(&mut lc, t0(), &mut Ask::new());
    assert_eq!(err.to_string(), "checking the handed-in token failed");
    assert_eq!(err.api_error().unwrap().status(), 401);
}

#[test]
fn status_names_each_state_with_the_time_left_and_the_failure_that_stands() {
    let policy = exact().with_max_attempts(2);
    let mut lc = token_lifecycle(policy);
    let status = lc.status(t0());
    assert_eq!((status.phase, status.time_left), (Phase::Idle, None));
    assert!(status.is_ready());

    // Renewing, then backing off after a dropped connection.
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    assert_eq!(lc.status(t0()).phase, Phase::Renewing);
    lc.on_renewal_result(ticket, t0(), transport());
    let Phase::BackingOff { until } = lc.status(t0()).phase else {
        panic!("{:?}", lc.status(t0()))
    };
    assert_eq!(until, t0() + secs(1));

    // The attempts run out: cooling, with the failure and when it came.
    let ticket = renew(&mut lc, until, &mut Ask::new());
    lc.on_renewal_result(ticket, until, transport());
    let status = lc.status(until);
    assert!(matches!(status.phase, Phase::Cooling { .. }), "{status:?}");
    assert!(matches!(
        status.last_failure,
        Some(RenewalError::AttemptsExhausted { attempts: 2, .. })
    ));
    assert_eq!(status.failed_at, Some(until));
    assert!(status.is_ready(), "a new run may start after the pause");

    // A session: live, with its time left; the failure is forgotten.
    let later = until + secs(60);
    let ticket = renew(&mut lc, later, &mut Ask::new());
    lc.on_renewal_result(ticket, later, minted("t"));
    let status = lc.status(later + secs(600));
    assert_eq!(status.phase, Phase::Live);
    assert_eq!(status.time_left, Some(2 * HOUR - secs(600)));
    assert!(status.last_failure.is_none());
}

#[test]
fn status_is_not_ready_while_credentials_are_refused_or_a_failure_holds() {
    let mut lc = SessionLifecycle::new(exact(), wrong_password()).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let (_, result) = attempt_with_credentials(&ticket);
    lc.on_renewal_result(ticket, t0(), result);
    let status = lc.status(t0());
    assert!(matches!(status.phase, Phase::Refused { .. }), "{status:?}");
    assert!(!status.is_ready());
    assert_eq!(
        status.last_failure.unwrap().to_string(),
        "creating a user session failed"
    );

    let mut held = token_lifecycle(exact());
    let ticket = renew(&mut held, t0(), &mut Ask::new());
    let gave_up = Err(AttemptError::Provider(ProviderError::permanent(
        "signed out",
    )));
    held.on_renewal_result(ticket, t0(), gave_up);
    assert!(matches!(held.status(t0()).phase, Phase::Held { .. }));
    assert!(!held.status(t0()).is_ready());

    let mut gone = SessionLifecycle::new(exact(), RenewalMode::FixedToken).unwrap();
    assert_eq!(gone.status(t0()).phase, Phase::Gone);
    assert!(!gone.status(t0()).is_ready());
    gone.set_session(t0(), Session::new("t".into()), None);
    assert!(gone.status(t0()).is_ready());
}
