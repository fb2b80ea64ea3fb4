//! Every fault knob, the rate limit, and the clock offset, over raw HTTP.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{DEMO, create_session, exchange, request_bytes, send};
use qb_auth_core::time::parse_http_date;
use qb_auth_emulator::{BlockingEmulator, ConfigError, Emulator, Fault};

const USERS_KEY: [(&str, &str); 1] = [("Authorization", "ApiKey demo-api-key")];

fn demo() -> BlockingEmulator {
    Emulator::with_demo_fixtures().start_blocking().unwrap()
}

fn users_status(emulator: &BlockingEmulator) -> u16 {
    send(emulator.local_addr(), "GET", "/users.json", &USERS_KEY, b"").status
}

/// `Some(bytes)` when the server answered; `None` when it closed (or reset)
/// the connection without a byte.
fn answer_or_drop(emulator: &BlockingEmulator) -> Option<Vec<u8>> {
    let request = request_bytes("GET", "/users.json", &USERS_KEY, b"");
    match exchange(emulator.local_addr(), &request) {
        Ok(bytes) if bytes.is_empty() => None,
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
        Err(e) => panic!("unexpected I/O error: {e}"),
    }
}

#[test]
fn latency_delays_every_answer() {
    let emulator = demo();
    let started = Instant::now();
    assert_eq!(users_status(&emulator), 200);
    let fast = started.elapsed();
    emulator.set_latency(Duration::from_millis(500));
    let started = Instant::now();
    assert_eq!(users_status(&emulator), 200);
    let slow = started.elapsed();
    assert!(slow >= Duration::from_millis(500), "{slow:?}");
    assert!(fast < Duration::from_millis(500), "{fast:?}");
    emulator.set_latency(Duration::ZERO);
    let started = Instant::now();
    assert_eq!(users_status(&emulator), 200);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(emulator.stats().faults.delayed, 1);
}

#[test]
fn shares_of_one_fail_every_request_with_500_then_503() {
    let emulator = demo();
    emulator.set_error_shares(1.0, 0.0).unwrap();
    for _ in 0..3 {
        send(emulator.local_addr(), "GET", "/users.json", &USERS_KEY, b"")
            .assert(500, r#"{"errors":["Internal Server Error"]}"#);
    }
    // A fault replaces the request: a create-session is not processed.
    create_session(emulator.local_addr(), DEMO, emulator.server_time(), &[])
        .assert(500, r#"{"errors":["Internal Server Error"]}"#);
    emulator.set_error_shares(0.0, 1.0).unwrap();
    let reply = send(emulator.local_addr(), "GET", "/users.json", &USERS_KEY, b"");
    reply.assert(503, r#"{"errors":["Service Unavailable"]}"#);
    assert!(reply.header("date").is_some());
    emulator.set_error_shares(0.0, 0.0).unwrap();
    assert_eq!(users_status(&emulator), 200);
    let stats = emulator.stats();
    assert_eq!((stats.faults.status_500, stats.faults.status_503), (4, 1));
    assert_eq!(stats.sessions_created, 0);
    assert_eq!(stats.requests, 6);
}

#[test]
fn drop_share_closes_connections_without_an_answer() {
    let emulator = demo();
    emulator.set_drop_share(1.0).unwrap();
    for _ in 0..3 {
        assert_eq!(answer_or_drop(&emulator), None);
    }
    emulator.set_drop_share(0.0).unwrap();
    assert!(answer_or_drop(&emulator).is_some());
    assert_eq!(emulator.stats().faults.dropped, 3);
}

#[test]
fn fail_next_queues_exact_faults_in_order() {
    let emulator = demo();
    emulator.fail_next(1, Fault::Status503);
    emulator.fail_next(
        2,
        Fault::Status429 {
            retry_after_secs: 7,
        },
    );
    emulator.fail_next(1, Fault::Drop);
    emulator.fail_next(1, Fault::Status500);
    let addr = emulator.local_addr();
    assert_eq!(
        send(addr, "GET", "/users.json", &USERS_KEY, b"").status,
        503
    );
    for _ in 0..2 {
        let reply = send(addr, "GET", "/users.json", &USERS_KEY, b"");
        reply.assert(429, r#"{"errors":["Too Many Requests"]}"#);
        assert_eq!(reply.header("retry-after"), Some("7"));
    }
    assert_eq!(answer_or_drop(&emulator), None);
    assert_eq!(
        send(addr, "GET", "/users.json", &USERS_KEY, b"").status,
        500
    );
    assert_eq!(users_status(&emulator), 200, "the queue is used up");
    let faults = emulator.stats().faults;
    assert_eq!(
        (
            faults.status_503,
            faults.status_429,
            faults.dropped,
            faults.status_500
        ),
        (1, 2, 1, 1)
    );
    assert_eq!(faults.total(), 5);

    emulator.fail_next(3, Fault::Status500);
    emulator.clear_faults();
    assert_eq!(users_status(&emulator), 200);
}

#[test]
fn seeded_shares_repeat_exactly() {
    let run = |seed| {
        let emulator = Emulator::with_demo_fixtures()
            .seed(seed)
            .error_shares(0.3, 0.2)
            .start_blocking()
            .unwrap();
        (0..30).map(|_| users_status(&emulator)).collect::<Vec<_>>()
    };
    let first = run(11);
    assert_eq!(first, run(11));
    assert!(
        first.contains(&200) && first.contains(&500) && first.contains(&503),
        "{first:?}"
    );
    assert_ne!(first, run(12));
}

#[test]
fn bad_shares_and_rates_are_refused() {
    let emulator = demo();
    assert!(matches!(
        emulator.set_error_shares(0.8, 0.3),
        Err(ConfigError::InvalidShares { .. })
    ));
    emulator.set_error_shares(0.5, 0.0).unwrap();
    assert!(emulator.set_drop_share(0.6).is_err(), "0.5 + 0.6 > 1");
    assert!(emulator.set_error_shares(-0.1, 0.0).is_err());
    assert_eq!(
        emulator.set_rate_limit(Some(0)),
        Err(ConfigError::ZeroRateLimit)
    );
    let err = Emulator::with_demo_fixtures()
        .error_shares(2.0, 0.0)
        .start_blocking()
        .unwrap_err();
    assert!(err.to_string().contains("fault shares"), "{err}");
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let emulator = Emulator::with_demo_fixtures()
        .rate_limit(Some(3))
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    // The bucket starts with a second's worth: session creation and token
    // and API-key calls share the application's budget.
    let token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    assert_eq!(
        send(addr, "GET", "/session.json", &[("QB-Token", &token)], b"").status,
        200
    );
    assert_eq!(users_status(&emulator), 200);
    // Faster than 3 a second, 429 follows (a slow machine may refill a few first).
    let limited = (0..50)
        .map(|_| send(addr, "GET", "/session.json", &[("QB-Token", &token)], b""))
        .find(|reply| reply.status != 200)
        .expect("a 429 within 50 quick requests");
    limited.assert(429, r#"{"errors":["Too Many Requests"]}"#);
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert!(limited.header("qb-token-expirationdate").is_some());
    let limited = (0..50)
        .map(|_| create_session(addr, DEMO, emulator.server_time(), &[]))
        .find(|reply| reply.status != 201)
        .expect("a 429 within 50 quick requests");
    limited.assert(429, r#"{"errors":["Too Many Requests"]}"#);
    assert!(emulator.stats().rate_limited >= 2);
    // After a pause there is room again.
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(users_status(&emulator), 200);
    emulator.set_rate_limit(None).unwrap();
    assert!((0..20).all(|_| users_status(&emulator) == 200));
}

#[test]
fn clock_offset_moves_date_and_the_timestamp_window() {
    let emulator = demo();
    emulator.set_clock_offset(3 * 3600);
    assert_eq!(emulator.clock_offset(), 3 * 3600);
    let reply = send(emulator.local_addr(), "GET", "/users.json", &USERS_KEY, b"");
    let date = parse_http_date(reply.header("date").unwrap()).unwrap();
    let shift = date.duration_since(SystemTime::now()).unwrap().as_secs();
    assert!((3 * 3600 - 3..=3 * 3600 + 1).contains(&shift), "{shift}");

    // A client on the system clock is now three hours late: Bad timestamp.
    create_session(emulator.local_addr(), DEMO, SystemTime::now(), &[])
        .assert(422, r#"{"errors":{"base":["Bad timestamp"]}}"#);
    // One that corrects its clock from Date is accepted.
    assert_eq!(
        create_session(emulator.local_addr(), DEMO, date, &[]).status,
        201
    );

    emulator.set_clock_offset(-600);
    let reply = send(emulator.local_addr(), "GET", "/users.json", &USERS_KEY, b"");
    let date = parse_http_date(reply.header("date").unwrap()).unwrap();
    let behind = SystemTime::now().duration_since(date).unwrap().as_secs();
    assert!((599..=601).contains(&behind), "{behind}");
}

/// A huge offset once made every answer panic while writing `Date` (year
/// 11,476); the knob is clamped to 100 years and every answer still comes.
#[test]
fn a_huge_clock_offset_is_clamped_and_answers_still_come() {
    let emulator = demo();
    let max = qb_auth_emulator::MAX_CLOCK_OFFSET_SECS;
    emulator.set_clock_offset(300_000_000_000);
    assert_eq!(emulator.clock_offset(), max);
    let reply = send(emulator.local_addr(), "GET", "/users.json", &USERS_KEY, b"");
    assert_eq!(reply.status, 200);
    let date = parse_http_date(reply.header("date").unwrap()).unwrap();
    let ahead = date.duration_since(SystemTime::now()).unwrap().as_secs();
    assert!((max - 2..=max + 1).contains(&(ahead as i64)), "{ahead}");

    // A hundred years back is before 1970: `Date` cannot say less than the epoch.
    emulator.set_clock_offset(-300_000_000_000);
    assert_eq!(emulator.clock_offset(), -max);
    let reply = send(emulator.local_addr(), "GET", "/users.json", &USERS_KEY, b"");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("date"), Some("Thu, 01 Jan 1970 00:00:00 GMT"));

    let far = Emulator::with_demo_fixtures().clock_offset(300_000_000_000);
    assert_eq!(
        far.validate(),
        Err(ConfigError::ClockOffsetOutOfRange(300_000_000_000))
    );
}
