//! No secret in `Debug`, a lifecycle shareable across threads, policies checked.

use super::common::*;

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

#[test]
fn every_event_prints_one_line_with_rfc3339_times_and_no_token() {
    const TOKEN: &str = "c56f382b402fb482086db956064592d3cd012bba";
    let mut session = Session::new(SessionToken::new(TOKEN));
    session.user_id = 1001;
    let at = t0();
    let lost = AttemptError::from(TransportError::new(
        TransportErrorKind::Connect,
        std::io::Error::other("Connection refused"),
    ));
    let events = [
        LifecycleEvent::SessionCreated {
            session: session.clone(),
            expires_at: at,
        },
        LifecycleEvent::SessionRenewed {
            session: session.clone(),
            expires_at: at,
        },
        LifecycleEvent::SessionRestored {
            session,
            expires_at: at,
            from: SessionOrigin::Fleet,
        },
        LifecycleEvent::SessionExpired,
        LifecycleEvent::SessionInvalidated,
        LifecycleEvent::AttemptFailed {
            attempt: 2,
            error: lost.clone(),
            retry_at: at,
        },
        LifecycleEvent::RenewalFailed(RenewalError::AttemptsExhausted {
            attempted: qb_auth_core::lifecycle::Attempted::Renew,
            attempts: 4,
            elapsed: secs(3),
            last: lost,
        }),
        LifecycleEvent::ClockOffsetChanged(ClockSkew::from_secs(-90)),
        LifecycleEvent::StoreIgnored {
            reason: "the saved session has expired".into(),
        },
        LifecycleEvent::SharingUnavailable {
            reason: "no answer within 1 s".into(),
        },
        LifecycleEvent::SharingResumed,
        LifecycleEvent::IdentityChanged { user_id: None },
    ];
    let lines: Vec<String> = events.iter().map(ToString::to_string).collect();
    for line in &lines {
        assert!(!line.contains('\n') && !line.is_empty(), "{line:?}");
        assert!(
            !line.contains(TOKEN) && !line.contains("SystemTime"),
            "{line}"
        );
    }
    assert_eq!(
        lines[0],
        "session created for user 1001, expires at 2023-11-14T22:13:20Z"
    );
    assert_eq!(
        lines[2],
        "session for user 1001 taken from the fleet's shared store, expires at 2023-11-14T22:13:20Z"
    );
    assert_eq!(
        lines[5],
        "renewal attempt 2 failed: could not connect: Connection refused; next attempt at 2023-11-14T22:13:20Z"
    );
    assert_eq!(
        lines[6],
        "renewing the session failed after 4 attempts in 3.0 s: could not connect: Connection refused"
    );
    assert_eq!(
        lines[7],
        "clock offset measured: the server's clock is 90 s behind this one's"
    );
}
