//! One attempt is out: every other caller waits for it (up to its own deadline), and a ticket that never comes back times out.

use super::common::*;

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
