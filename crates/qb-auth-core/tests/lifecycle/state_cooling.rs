//! A run spent its attempts on failures that may pass: its callers got the error, and later callers start a new run after a short pause.

use super::common::*;

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
