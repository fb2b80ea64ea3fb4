//! The emulator as a server other test suites lean on: slow, idle and
//! half-closed clients. Slow clients must not keep a prompt one waiting,
//! and a client that shut its write side after a complete request still
//! gets its answer.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{DEMO, FORM, IO_TIMEOUT, form_body, fresh_nonce, parse_reply, signed_pairs, unix_now};
use qb_auth_emulator::{BlockingEmulator, Emulator};

/// What a prompt client may wait beside the slow ones.
const PROMPT: Duration = Duration::from_secs(1);

/// Connections that send part of a request head and then nothing.
fn slow_heads(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
            stream
                .write_all(b"POST /session.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .unwrap();
            stream
        })
        .collect()
}

/// Connections that send a whole head and a tenth of the body they announce.
fn slow_bodies(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
            stream
                .write_all(
                    b"POST /session.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                      Content-Type: application/x-www-form-urlencoded\r\n\
                      Content-Length: 100\r\n\r\nnonce=1234",
                )
                .unwrap();
            stream
        })
        .collect()
}

/// A signed create-session request, as bytes.
fn create_request(emulator: &BlockingEmulator, close: bool) -> Vec<u8> {
    let pairs = signed_pairs(DEMO, unix_now(emulator.server_time()), fresh_nonce(), &[]);
    let body = form_body(&pairs);
    let connection = if close { "Connection: close\r\n" } else { "" };
    let mut request = format!(
        "POST /session.json HTTP/1.1\r\nHost: 127.0.0.1\r\n{connection}{}: {}\r\nContent-Length: {}\r\n\r\n",
        FORM.0,
        FORM.1,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request
}

/// A prompt client's create-session: its status and how long it took.
fn prompt_create_session(emulator: &BlockingEmulator) -> (u16, Duration) {
    let request = create_request(emulator, true);
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&emulator.local_addr(), IO_TIMEOUT).unwrap();
    // Bounded well past PROMPT, so a stuck request fails the test in seconds.
    stream.set_read_timeout(Some(PROMPT * 5)).unwrap();
    stream.write_all(&request).unwrap();
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        Err(e) => panic!("no answer after {:?}: {e}", started.elapsed()),
    }
    let took = started.elapsed();
    let reply = parse_reply(&raw).expect("an HTTP answer");
    (reply.status, took)
}

#[test]
fn hundreds_of_slow_clients_do_not_delay_a_prompt_one() {
    let emulator = Emulator::with_demo_fixtures().start_blocking().unwrap();
    let addr = emulator.local_addr();
    let _heads = slow_heads(addr, 300);
    let _bodies = slow_bodies(addr, 20);
    for _ in 0..3 {
        let (status, took) = prompt_create_session(&emulator);
        assert_eq!(status, 201);
        assert!(took < PROMPT, "answered after {took:?}");
    }
}

#[test]
fn at_the_connection_cap_the_longest_waiting_are_shed() {
    let emulator = Emulator::with_demo_fixtures()
        .max_connections(32)
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    let mut bodies = slow_bodies(addr, 40);
    let _heads = slow_heads(addr, 100);
    for _ in 0..3 {
        let (status, took) = prompt_create_session(&emulator);
        assert_eq!(status, 201);
        assert!(took < PROMPT, "answered after {took:?}");
    }
    let shed = emulator.stats().connections_shed;
    assert!(shed >= 100, "{shed} shed");
    // The first slow bodies were shed first, each with a 503 and a close.
    let first = &mut bodies[0];
    first.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut raw = Vec::new();
    let _ = first.read_to_end(&mut raw);
    let reply = parse_reply(&raw).expect("an answer to the shed body");
    reply.assert(503, r#"{"errors":["Service Unavailable"]}"#);
    assert_eq!(reply.header("connection"), Some("close"));
}

#[test]
fn idle_keep_alive_connections_give_way_at_the_cap() {
    let emulator = Emulator::with_demo_fixtures()
        .max_connections(8)
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    // Eight clients that made one request each and keep their connection open.
    let idle: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
            stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            stream.write_all(&create_request(&emulator, false)).unwrap();
            let mut head = [0u8; 12];
            stream.read_exact(&mut head).unwrap();
            assert_eq!(&head, b"HTTP/1.1 201");
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (status, took) = prompt_create_session(&emulator);
    assert_eq!(status, 201);
    assert!(took < PROMPT, "answered after {took:?}");
    assert_eq!(emulator.stats().connections_shed, 1);
    drop(idle);
}

#[test]
fn half_closed_clients_get_every_answer() {
    let emulator = Emulator::with_demo_fixtures().start_blocking().unwrap();
    // A little latency, so that the client's end of stream arrives while
    // the request is being served.
    emulator.set_latency(Duration::from_millis(5));
    let addr = emulator.local_addr();
    let requests: Vec<Vec<u8>> = (0..200)
        .map(|i| create_request(&emulator, i % 2 == 0))
        .collect();
    let answered = std::thread::scope(|scope| {
        let workers: Vec<_> = requests
            .chunks(25)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter(|request| {
                            let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
                            stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
                            stream.write_all(request).unwrap();
                            // Nothing more to send: the client shuts its write side.
                            stream.shutdown(Shutdown::Write).unwrap();
                            let mut raw = Vec::new();
                            let _ = stream.read_to_end(&mut raw);
                            parse_reply(&raw).is_some_and(|reply| reply.status == 201)
                        })
                        .count()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .sum::<usize>()
    });
    assert_eq!(answered, 200);
    assert_eq!(emulator.stats().sessions_created, 200);
}
