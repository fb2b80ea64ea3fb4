//! Bodies over the limit, malformed bodies and requests: clear 4xx answers,
//! no panic, and the emulator keeps serving.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{DEMO, FORM, IO_TIMEOUT, JSON, create_session, exchange, parse_reply, send};
use qb_auth_emulator::{BlockingEmulator, DEFAULT_BODY_LIMIT, Emulator};

const TOO_LARGE: &str = r#"{"errors":["Request Entity Too Large"]}"#;

fn demo() -> BlockingEmulator {
    Emulator::with_demo_fixtures().start_blocking().unwrap()
}

/// The emulator still answers normally.
fn still_serving(emulator: &BlockingEmulator) {
    let reply = create_session(emulator.local_addr(), DEMO, emulator.server_time(), &[]);
    assert_eq!(reply.status, 201, "{}", reply.text());
}

#[test]
fn bodies_over_the_limit_get_413() {
    let emulator = demo();
    let addr = emulator.local_addr();
    assert_eq!(DEFAULT_BODY_LIMIT, 64 * 1024);
    let big = vec![b'a'; DEFAULT_BODY_LIMIT + 1];
    let reply = send(addr, "POST", "/session.json", &[FORM], &big);
    reply.assert(413, TOO_LARGE);
    assert_eq!(reply.header("connection"), Some("close"));
    // Exactly at the limit is read (and then refused for what it says).
    let at_limit = vec![b'a'; DEFAULT_BODY_LIMIT];
    assert_eq!(
        send(addr, "POST", "/session.json", &[FORM], &at_limit).status,
        400
    );
    // Chunked bodies are counted as they arrive.
    let chunk = vec![b'b'; 40 * 1024];
    let mut request = b"POST /session.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..2 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let reply = parse_reply(&exchange(addr, &request).unwrap()).unwrap();
    reply.assert(413, TOO_LARGE);
    // A huge declared length is refused without reading it.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
        .write_all(
            b"POST /session.json HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nabc",
        )
        .unwrap();
    let mut raw = Vec::new();
    // The server may reset the connection after answering; what was read counts.
    let _ = stream.read_to_end(&mut raw);
    parse_reply(&raw).expect("an answer").assert(413, TOO_LARGE);
    assert_eq!(emulator.stats().bodies_too_large, 3);
    still_serving(&emulator);
}

/// A body of many distinct keys costs linear time: 60,000 signed keys in
/// half a megabyte are answered well within the client's patience, beside a
/// normal request. (The duplicate check was quadratic: 17,376 keys took
/// 410 ms of CPU, this body minutes.)
#[test]
fn a_body_of_many_keys_is_answered_quickly() {
    let emulator = Emulator::with_demo_fixtures()
        .body_limit(1 << 20)
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    let names: Vec<String> = (0..60_000).map(|i| format!("k{i:05}")).collect();
    let extra: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    let ts = common::unix_now(emulator.server_time());
    let body = common::form_body(&common::signed_pairs(
        DEMO,
        ts,
        common::fresh_nonce(),
        &extra,
    ));
    assert!(body.len() > 400_000, "{} bytes", body.len());
    let started = std::time::Instant::now();
    let reply = send(addr, "POST", "/session.json", &[FORM], &body);
    let took = started.elapsed();
    assert_eq!(reply.status, 201, "{}", reply.text());
    // Milliseconds in a release build; generous for a debug build on two busy cores.
    assert!(took < std::time::Duration::from_secs(8), "{took:?}");
    still_serving(&emulator);
}

#[test]
fn a_smaller_limit_can_be_configured() {
    let emulator = Emulator::with_demo_fixtures()
        .body_limit(16)
        .start_blocking()
        .unwrap();
    send(
        emulator.local_addr(),
        "POST",
        "/login.json",
        &[FORM],
        &[b'x'; 17],
    )
    .assert(413, TOO_LARGE);
}

/// Headers, body, expected status and expected message.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [u8], u16, &'a str);

#[test]
fn malformed_bodies_get_4xx_answers() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let cases: [Case<'_>; 9] = [
        (
            &[JSON],
            b"{not json",
            400,
            "Malformed JSON body: expected one JSON object",
        ),
        (
            &[JSON],
            b"[1,2]",
            400,
            "Malformed JSON body: expected one JSON object",
        ),
        (
            &[JSON],
            b"\"text\"",
            400,
            "Malformed JSON body: expected one JSON object",
        ),
        (
            &[JSON],
            br#"{"user":{"login":{"deep":1}}}"#,
            400,
            "Unsupported JSON body: values must be strings, numbers, booleans or objects of those",
        ),
        (
            &[JSON],
            br#"{"nonce":[1]}"#,
            400,
            "Unsupported JSON body: values must be strings, numbers, booleans or objects of those",
        ),
        (&[FORM], b"nonce=1&nonce=2", 400, "Duplicate parameter"),
        (&[JSON], b"", 400, "Missing parameter: application_id"),
        (&[FORM], b"", 400, "Missing parameter: application_id"),
        (
            &[("Content-Type", "text/plain")],
            b"a=1",
            415,
            "Unsupported content type: send application/json or application/x-www-form-urlencoded",
        ),
    ];
    for (headers, body, status, message) in cases {
        let reply = send(addr, "POST", "/session.json", headers, body);
        let expected = format!(r#"{{"errors":{{"base":["{message}"]}}}}"#);
        assert_eq!(
            (reply.status, reply.text()),
            (status, expected.as_str()),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    // Invalid UTF-8 in a form decodes lossily and fails the signature check, not the server.
    let reply = send(
        addr,
        "POST",
        "/session.json",
        &[FORM],
        b"application_id=12345&auth_key=AbCdEfGh-12345&nonce=1&timestamp=1&signature=%FF%FE",
    );
    assert_eq!(reply.status, 422);
    assert_eq!(emulator.stats().malformed_requests, 9);
    still_serving(&emulator);
}

#[test]
fn malformed_login_bodies_keep_the_session() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    let reply = send(
        addr,
        "POST",
        "/login.json",
        &[JSON, ("QB-Token", &token)],
        b"{oops",
    );
    assert_eq!(reply.status, 400);
    assert!(reply.header("qb-token-expirationdate").is_some());
    send(
        addr,
        "POST",
        "/login.json",
        &[JSON, ("QB-Token", &token)],
        b"",
    )
    .assert(401, r#"{"errors":["Unauthorized"]}"#);
    assert_eq!(
        send(addr, "GET", "/session.json", &[("QB-Token", &token)], b"").status,
        200
    );
}

#[test]
fn unknown_paths_methods_and_garbage() {
    let emulator = demo();
    let addr = emulator.local_addr();
    send(addr, "GET", "/nothing.json", &[], b"").assert(404, r#"{"errors":["Not Found"]}"#);
    let reply = send(addr, "PUT", "/session.json", &[], b"");
    reply.assert(405, r#"{"errors":["Method Not Allowed"]}"#);
    assert_eq!(reply.header("allow"), Some("GET, POST, DELETE"));
    // A double slash, as seen from Android clients, still routes.
    assert_eq!(send(addr, "GET", "//session.json", &[], b"").status, 401);

    // Not HTTP at all: hyper answers 400 or closes; the emulator survives.
    for garbage in [
        &b"\x00\x01\x02 garbage\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ] {
        let raw = exchange(addr, garbage).unwrap_or_default();
        if let Some(reply) = parse_reply(&raw) {
            assert!((400..500).contains(&reply.status), "{}", reply.status);
        }
    }
    still_serving(&emulator);
}

#[test]
fn keep_alive_connections_serve_several_requests() {
    let emulator = demo();
    let mut stream = TcpStream::connect(emulator.local_addr()).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let one = b"GET /users.json HTTP/1.1\r\nHost: x\r\nAuthorization: ApiKey demo-api-key\r\n\r\n";
    let last = b"GET /users.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    stream.write_all(one).unwrap();
    stream.write_all(one).unwrap();
    stream.write_all(last).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert_eq!(
        text.matches("HTTP/1.1 401 Unauthorized").count(),
        1,
        "{text}"
    );
    assert_eq!(emulator.stats().requests, 3);
}

/// Sessions and used nonces are capped, with a documented 503 at the cap;
/// destroyed or expired sessions free their place, and nothing is used up
/// by a refused request.
#[test]
fn sessions_and_nonces_are_capped() {
    let emulator = Emulator::with_demo_fixtures()
        .max_sessions(3)
        .session_ttl(std::time::Duration::from_secs(1))
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    let tokens: Vec<String> = (0..3)
        .map(|_| create_session(addr, DEMO, emulator.server_time(), &[]).token())
        .collect();
    const SESSIONS_FULL: &str =
        r#"{"errors":{"base":["Too many live sessions: the emulator's max_sessions is reached"]}}"#;
    for _ in 0..5 {
        create_session(addr, DEMO, emulator.server_time(), &[]).assert(503, SESSIONS_FULL);
    }
    assert_eq!(emulator.stats().capacity_refusals, 5);
    // A destroyed session frees its place at once.
    let destroyed = send(
        addr,
        "DELETE",
        "/session.json",
        &[("QB-Token", &tokens[0])],
        b"",
    );
    assert_eq!(destroyed.status, 200);
    assert_eq!(
        create_session(addr, DEMO, emulator.server_time(), &[]).status,
        201
    );
    // Expired ones free theirs without waiting for the sweep's minute of grace.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    for _ in 0..3 {
        assert_eq!(
            create_session(addr, DEMO, emulator.server_time(), &[]).status,
            201
        );
    }
    assert_eq!(emulator.stats().sessions_created, 7);

    let nonces = Emulator::with_demo_fixtures()
        .max_nonces(2)
        .start_blocking()
        .unwrap();
    let addr = nonces.local_addr();
    for _ in 0..2 {
        assert_eq!(
            create_session(addr, DEMO, nonces.server_time(), &[]).status,
            201
        );
    }
    create_session(addr, DEMO, nonces.server_time(), &[]).assert(
        503,
        r#"{"errors":{"base":["Too many used nonces: the emulator's max_nonces is reached"]}}"#,
    );
}
