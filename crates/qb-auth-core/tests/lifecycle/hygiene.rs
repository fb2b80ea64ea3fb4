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
