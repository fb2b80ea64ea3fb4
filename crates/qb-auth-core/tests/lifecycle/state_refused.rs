//! The server refused the credentials: they are never sent again while the provider gives the same ones.

use super::common::*;

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
        RenewalProgress::Failed(RenewalError::Permanent { .. })
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
