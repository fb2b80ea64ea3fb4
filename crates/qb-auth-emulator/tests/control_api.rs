//! The control API under `/_emulator/`, over raw HTTP as a test in any
//! language would call it: the same numbers as the library's
//! `EmulatorControl`, each knob, and typed 4xx errors for whatever a
//! client sends, never a 5xx or a stop.

mod common;

use std::time::SystemTime;

use common::{DEMO, JSON, Reply, create_session, send};
use qb_auth_emulator::{BlockingEmulator, Emulator, EmulatorStats, Refusal};
use serde_json::{Value, json};

fn demo() -> BlockingEmulator {
    Emulator::with_demo_fixtures().start_blocking().unwrap()
}

fn get(emulator: &BlockingEmulator, path: &str) -> Reply {
    send(emulator.local_addr(), "GET", path, &[], b"")
}

fn post(emulator: &BlockingEmulator, path: &str, body: &Value) -> Reply {
    send(
        emulator.local_addr(),
        "POST",
        path,
        &[JSON],
        body.to_string().as_bytes(),
    )
}

/// Checks every number of the HTTP stats against the library's.
fn assert_same(http: &Value, stats: &EmulatorStats) {
    for (name, value) in [
        ("requests", stats.requests),
        ("sessions_created", stats.sessions_created),
        ("sessions_destroyed", stats.sessions_destroyed),
        ("active_sessions", stats.active_sessions),
        ("logins", stats.logins),
        ("logouts", stats.logouts),
        ("api_key_requests", stats.api_key_requests),
        ("connections_shed", stats.connections_shed),
    ] {
        assert_eq!(http[name], value, "{name}");
    }
    for reason in Refusal::ALL {
        assert_eq!(
            http["refusals"][reason.name()],
            stats.refused(reason),
            "{reason:?}"
        );
    }
    for (name, value) in [
        ("status_500", stats.faults.status_500),
        ("status_503", stats.faults.status_503),
        ("status_429", stats.faults.status_429),
        ("dropped", stats.faults.dropped),
        ("delayed", stats.faults.delayed),
    ] {
        assert_eq!(http["faults"][name], value, "faults.{name}");
    }
}

#[test]
fn the_http_stats_are_the_library_s() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    create_session(
        addr,
        DEMO,
        emulator.server_time(),
        &[("user[login]", "alice"), ("user[password]", "wrong")],
    )
    .assert(401, r#"{"errors":["Unauthorized"]}"#);
    send(addr, "GET", "/session.json", &[("QB-Token", "nope")], b"").assert(
        401,
        r#"{"errors":{"base":["Required session does not exist"]}}"#,
    );
    send(addr, "GET", "/session.json", &[("QB-Token", &token)], b"");
    send(addr, "GET", "/nowhere.json", &[], b"").assert(404, r#"{"errors":["Not Found"]}"#);
    post(
        &emulator,
        "/_emulator/faults",
        &json!({"next": [{"fault": "503"}]}),
    );
    send(addr, "GET", "/users.json", &[], b"").assert(503, r#"{"errors":["Service Unavailable"]}"#);

    let http = get(&emulator, "/_emulator/stats").json();
    let stats = emulator.stats();
    assert_same(&http, &stats);
    // What happened, counted once each; the control calls not at all.
    assert_eq!(stats.requests, 6);
    assert_eq!(stats.sessions_created, 1);
    assert_eq!(stats.active_sessions, 1);
    assert_eq!(http["refusals"]["wrong_credentials"], 1);
    assert_eq!(http["refusals"]["unknown_token"], 1);
    assert_eq!(http["refusals"]["unknown_route"], 1);
    assert_eq!(http["faults"]["status_503"], 1);
    assert_eq!(stats.refusals(), 3);
    assert_eq!(emulator.recent_requests().len(), 6);
}

#[test]
fn faults_are_read_and_set() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let set = post(
        &emulator,
        "/_emulator/faults",
        &json!({
            "latency_ms": 1,
            "next": [
                {"fault": "429", "retry_after_secs": 3, "count": 2},
                {"fault": "drop"},
            ],
        }),
    );
    assert_eq!(set.status, 200, "{}", set.text());
    let faults = get(&emulator, "/_emulator/faults").json();
    assert_eq!(faults, set.json());
    assert_eq!(faults["latency_ms"], 1);
    assert_eq!(
        faults["next"],
        json!([
            {"fault": "429", "count": 2, "retry_after_secs": 3},
            {"fault": "drop", "count": 1},
        ])
    );
    for _ in 0..2 {
        let reply = send(addr, "GET", "/users.json", &[], b"");
        reply.assert(429, r#"{"errors":["Too Many Requests"]}"#);
        assert_eq!(reply.header("retry-after"), Some("3"));
    }
    let dropped = common::exchange(addr, &common::request_bytes("GET", "/users.json", &[], b""));
    assert!(dropped.is_err() || dropped.unwrap().is_empty(), "dropped");
    // Shares: every request fails until cleared.
    post(&emulator, "/_emulator/faults", &json!({"error_500": 1.0}));
    assert_eq!(send(addr, "GET", "/users.json", &[], b"").status, 500);
    let throttled = post(
        &emulator,
        "/_emulator/faults",
        &json!({"clear": true, "throttle": 1.0, "retry_after_secs": 7}),
    )
    .json();
    assert_eq!(
        (
            throttled["error_500"].as_f64(),
            throttled["throttle"].as_f64()
        ),
        (Some(0.0), Some(1.0))
    );
    let reply = send(addr, "GET", "/users.json", &[], b"");
    assert_eq!(
        (reply.status, reply.header("retry-after")),
        (429, Some("7"))
    );
    post(
        &emulator,
        "/_emulator/faults",
        &json!({"clear": true, "latency_ms": 0}),
    );
    assert_eq!(send(addr, "GET", "/users.json", &[], b"").status, 401);
    let stats = emulator.stats();
    assert_eq!(
        (
            stats.faults.status_429,
            stats.faults.dropped,
            stats.faults.status_500
        ),
        (3, 1, 1)
    );
    // The control API itself is never faulted: a 100% drop share is undone.
    post(&emulator, "/_emulator/faults", &json!({"drop": 1.0}));
    assert_eq!(get(&emulator, "/_emulator/faults").json()["drop"], 1.0);
    assert_eq!(
        post(&emulator, "/_emulator/faults", &json!({"clear": true})).status,
        200
    );
}

#[test]
fn the_clock_moves() {
    let emulator = demo();
    let moved = post(
        &emulator,
        "/_emulator/clock",
        &json!({"offset_secs": -3700}),
    )
    .json();
    assert_eq!(moved["offset_secs"], -3700);
    assert_eq!(emulator.clock_offset(), -3700);
    assert_eq!(
        get(&emulator, "/_emulator/clock").json()["offset_secs"],
        -3700
    );
    // A timestamp from this machine's clock is now too far ahead.
    let now = SystemTime::now();
    create_session(emulator.local_addr(), DEMO, now, &[])
        .assert(422, r#"{"errors":{"base":["Bad timestamp"]}}"#);
    // Or set what time it is: the protocol notes' example becomes "now".
    let set = post(
        &emulator,
        "/_emulator/clock",
        &json!({"unix_time": 1_700_000_000}),
    )
    .json();
    assert!(
        (1_700_000_000 - set["unix_time"].as_i64().unwrap()).abs() <= 1,
        "{set}"
    );
    for wrong in [
        json!({"offset_secs": 9_223_372_036_854_775_807_i64}),
        json!({"unix_time": -9_223_372_036_854_775_807_i64}),
        json!({}),
        json!({"offset_secs": 1, "unix_time": 1}),
    ] {
        let reply = post(&emulator, "/_emulator/clock", &wrong);
        assert_eq!(reply.status, 422, "{wrong}: {}", reply.text());
        assert_eq!(reply.json()["error"]["kind"], "invalid_value");
    }
}

#[test]
fn reset_and_expire() {
    let emulator = Emulator::with_demo_fixtures()
        .clock_offset(30)
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    let first = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    let second = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    let expired = post(&emulator, "/_emulator/expire", &json!({})).json();
    assert_eq!(expired, json!({"expired": 2}));
    send(addr, "GET", "/session.json", &[("QB-Token", &first)], b"").assert(
        401,
        r#"{"errors":{"base":["Required session does not exist"]}}"#,
    );
    assert_eq!(emulator.stats().expired_rejections, 1);

    post(&emulator, "/_emulator/clock", &json!({"offset_secs": 999}));
    let reset = post(&emulator, "/_emulator/reset", &json!({}));
    assert_eq!(reset.json(), json!({"reset": true}));
    assert_eq!(emulator.stats(), EmulatorStats::default());
    assert_eq!(emulator.clock_offset(), 30, "the configured offset again");
    assert!(emulator.recent_requests().is_empty());
    // Sessions are forgotten: the token is unknown now, not expired.
    send(addr, "GET", "/session.json", &[("QB-Token", &second)], b"").assert(
        401,
        r#"{"errors":{"base":["Required session does not exist"]}}"#,
    );
    assert_eq!(emulator.stats().unknown_token_rejections, 1);
    assert_eq!(
        emulator.recent_requests()[0].seq,
        1,
        "numbered from 1 again"
    );
}

#[test]
fn the_log_reads_after_a_mark_and_the_newest_first_when_limited() {
    let emulator = demo();
    for _ in 0..5 {
        get(&emulator, "/users.json");
    }
    let all = get(&emulator, "/_emulator/requests").json();
    assert_eq!(all["capacity"], 100);
    assert_eq!(all["requests"].as_array().unwrap().len(), 5);
    let after = get(&emulator, "/_emulator/requests?since=3").json();
    let seqs: Vec<u64> = after["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [4, 5]);
    let last = get(&emulator, "/_emulator/requests?limit=1").json();
    assert_eq!(last["requests"][0]["seq"], 5);
    assert_eq!(
        last["requests"][0]["line"],
        "#5 GET /users.json 401 token required"
    );
    let bad = get(&emulator, "/_emulator/requests?since=-1");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["kind"], "invalid_query");
}

#[test]
fn hostile_requests_get_typed_errors_and_change_nothing() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "POST",
            "/_emulator/faults",
            b"{".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            b"[]".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            b"null".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            deep.into_bytes(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"error_500":"x"}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"error_500":2}"#.to_vec(),
            422,
            "invalid_value",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"error_500":0.6,"drop":0.6}"#.to_vec(),
            422,
            "invalid_value",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"error_500":-0.1}"#.to_vec(),
            422,
            "invalid_value",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"latency_ms":1e30}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"latency_ms":600001}"#.to_vec(),
            422,
            "invalid_value",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"surprise":1}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"next":[{"fault":"teapot"}]}"#.to_vec(),
            422,
            "invalid_value",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"next":[{"fault":"503","count":-1}]}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"next":[{"fault":"503","retry_after_secs":1}]}"#.to_vec(),
            422,
            "invalid_value",
        ),
        (
            "POST",
            "/_emulator/faults",
            br#"{"next":"503"}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/faults",
            vec![0xff, 0xfe, b'{'],
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/_emulator/clock",
            br#"{"offset_secs":1.5}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "GET",
            "/_emulator/reset",
            Vec::new(),
            405,
            "method_not_allowed",
        ),
        (
            "DELETE",
            "/_emulator/stats",
            Vec::new(),
            405,
            "method_not_allowed",
        ),
        ("GET", "/_emulator/nothing", Vec::new(), 404, "not_found"),
        (
            "GET",
            "/_emulator/stats/deeper",
            Vec::new(),
            404,
            "not_found",
        ),
    ];
    for (method, path, body, status, kind) in cases {
        let reply = send(addr, method, path, &[JSON], &body);
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(60)
            .collect::<String>();
        assert_eq!(
            reply.status,
            status,
            "{method} {path} {shown}: {}",
            reply.text()
        );
        let error = reply.json();
        assert_eq!(error["error"]["kind"], kind, "{method} {path} {shown}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let form = send(
        addr,
        "POST",
        "/_emulator/faults",
        &[common::FORM],
        b"error_500=1",
    );
    assert_eq!(form.status, 415);
    assert_eq!(form.json()["error"]["kind"], "unsupported_content_type");
    let not_allowed = send(addr, "GET", "/_emulator/expire", &[], b"");
    assert_eq!(not_allowed.header("allow"), Some("POST"));
    let huge = vec![b' '; 200 * 1024];
    let too_large = send(addr, "POST", "/_emulator/faults", &[JSON], &huge);
    assert_eq!(too_large.status, 413);
    assert_eq!(too_large.json()["error"]["kind"], "too_large");

    // Nothing was changed, counted or logged, and it still serves.
    assert_eq!(get(&emulator, "/_emulator/faults").json()["error_500"], 0.0);
    assert_eq!(emulator.stats(), EmulatorStats::default());
    assert!(emulator.recent_requests().is_empty());
    assert_eq!(get(&emulator, "/users.json").status, 401);
}

/// A web page in the developer's browser cannot steer the emulator: a
/// form, text or empty POST needs no CORS preflight, so it is refused; a
/// domain rebound to 127.0.0.1 sends its own name as Host.
#[test]
fn no_web_page_can_steer_it() {
    let emulator = demo();
    let addr = emulator.local_addr();
    emulator.set_clock_offset(42);
    for (headers, path) in [
        (vec![common::FORM], "/_emulator/reset"),
        (vec![("Content-Type", "text/plain")], "/_emulator/reset"),
        (vec![], "/_emulator/reset"),
        (vec![], "/_emulator/expire"),
        (vec![common::FORM], "/_emulator/clock"),
    ] {
        let reply = send(addr, "POST", path, &headers, b"");
        assert_eq!(reply.status, 415, "{path} {headers:?}");
        assert_eq!(reply.json()["error"]["kind"], "unsupported_content_type");
    }
    assert_eq!(emulator.clock_offset(), 42, "nothing was reset");
    for method in ["GET", "POST"] {
        let rebound = send(
            addr,
            method,
            "/_emulator/stats",
            &[("Host", "attacker.example"), JSON],
            b"{}",
        );
        assert_eq!(rebound.status, 403, "{method}");
        assert_eq!(rebound.json()["error"]["kind"], "forbidden_host");
    }
    // QuickBlox's endpoints answer whatever the Host.
    let users = send(
        addr,
        "GET",
        "/users.json",
        &[("Host", "attacker.example")],
        b"",
    );
    assert_eq!(users.status, 401);
}

#[test]
fn quickblox_paths_are_untouched_by_the_prefix() {
    let emulator = demo();
    let addr = emulator.local_addr();
    send(addr, "GET", "/_emulatorx", &[], b"").assert(404, r#"{"errors":["Not Found"]}"#);
    send(addr, "GET", "/x/_emulator/stats", &[], b"").assert(404, r#"{"errors":["Not Found"]}"#);
    assert_eq!(
        create_session(addr, DEMO, emulator.server_time(), &[]).status,
        201
    );
    assert_eq!(
        get(&emulator, "//_emulator/stats").json()["sessions_created"],
        1
    );
    assert_eq!(emulator.stats().unknown_routes, 2);
}

#[test]
fn a_control_token_guards_every_endpoint_and_nothing_else() {
    let emulator = Emulator::with_demo_fixtures()
        .control_token("t0ken with space")
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    for path in ["/_emulator/", "/_emulator/stats", "/_emulator/requests"] {
        let refused = get(&emulator, path);
        assert_eq!(refused.status, 401, "{path}");
        assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
        assert_eq!(refused.json()["error"]["kind"], "unauthorized");
        let wrong = send(addr, "GET", path, &[("Authorization", "Bearer t0ken")], b"");
        assert_eq!(wrong.status, 401, "{path}");
        let right = send(
            addr,
            "GET",
            path,
            &[("Authorization", "Bearer t0ken with space")],
            b"",
        );
        assert_eq!(right.status, 200, "{path}");
    }
    let reset = send(addr, "POST", "/_emulator/reset", &[JSON], b"{}");
    assert_eq!(reset.status, 401);
    // The page opens in a browser with the token in its address; its links keep it.
    let page = get(
        &emulator,
        "/_emulator/?token=t0ken%20with%20space&refresh=0",
    );
    assert_eq!(page.status, 200);
    assert!(
        page.text()
            .contains("/_emulator/stats?token=t0ken+with+space")
    );
    // QuickBlox's endpoints take no control token.
    assert_eq!(
        create_session(addr, DEMO, emulator.server_time(), &[]).status,
        201
    );
}

#[test]
fn the_page_is_inert_and_uncached() {
    let emulator = demo();
    let page = get(&emulator, "/_emulator/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(
        !csp.contains("script"),
        "no script source is allowed: {csp}"
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let html = page.text();
    assert!(html.contains(r#"<meta http-equiv="refresh" content="5">"#));
    // No script, and no asset from anywhere: the only URL is the emulator's own.
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    assert_eq!(
        html.matches("http").count(),
        html.matches(emulator.base_url()).count() + html.matches("http-equiv").count()
    );
    let paused = get(&emulator, "/_emulator/?refresh=0").text().to_owned();
    assert!(!paused.contains("http-equiv"));
    let slow = get(&emulator, "/_emulator/?refresh=99999")
        .text()
        .to_owned();
    assert!(slow.contains(r#"content="3600""#));
}
