//! An attempt failed and the next waits: backoff, `Retry-After`, and the one re-sign after a clock correction.

use super::common::*;

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
    let RenewalProgress::Failed(RenewalError::Permanent {
        error: AttemptError::Api(e),
        ..
    }) = progress
    else {
        panic!("expected a final failure, got {progress:?}");
    };
    assert_eq!(e.kind(), ErrorKind::BadTimestamp);
    assert!(matches!(
        failed(&mut lc, now, &mut ask),
        RenewalError::Permanent { .. }
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
                RenewalProgress::Failed(RenewalError::Permanent { .. })
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
