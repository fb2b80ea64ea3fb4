//! A token is held: it slides with each use, is renewed ahead inside its margin (never twice at once), and outlives a renewal that failed.

use super::common::*;

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
