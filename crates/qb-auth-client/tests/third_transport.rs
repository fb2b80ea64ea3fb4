//! Anything that can send an `http::Request` can drive the client: here a
//! transport written in this file over `std::net::TcpStream` (HTTP/1.1, one
//! connection per request) runs every operation and a managed session's
//! renewal against the emulator.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use qb_auth_client::{BlockingClient, BlockingTransport, Error, Response, SessionSource};
use qb_auth_core::{
    AppCredentials, Endpoint, HttpRequest, Identity, SecretString, TransportError,
    TransportErrorKind,
};
use qb_auth_emulator::{Emulator, fixtures};

/// HTTP/1.1 by hand: write the request, read to the end of the answer.
#[derive(Default)]
struct HandRolled {
    sent: AtomicUsize,
}

impl BlockingTransport for HandRolled {
    fn send(&self, request: HttpRequest, max_body: u64) -> Result<Response, TransportError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let uri = request.uri();
        let authority = uri.authority().expect("the client sends absolute URLs");
        let mut stream = TcpStream::connect(authority.as_str())
            .map_err(|e| TransportError::new(TransportErrorKind::Connect, e))?;
        let broken = |e: std::io::Error| TransportError::new(TransportErrorKind::Connection, e);
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(broken)?;

        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
            request.method(),
            uri.path_and_query().map_or("/", |p| p.as_str()),
            request.body().len(),
        );
        for (name, value) in request.headers() {
            let value = value.to_str().map_err(|e| {
                TransportError::new(TransportErrorKind::InvalidRequest, e.to_string())
            })?;
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(broken)?;
        stream
            .write_all(request.body().as_bytes())
            .map_err(broken)?;

        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(broken)?;
        parse(&raw, max_body)
    }
}

fn parse(raw: &[u8], max_body: u64) -> Result<Response, TransportError> {
    let protocol = || TransportError::from_kind(TransportErrorKind::Protocol);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(protocol)?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| protocol())?;
    let body = raw[split + 4..].to_vec();
    if body.len() as u64 > max_body {
        return Err(TransportError::from_kind(
            TransportErrorKind::BodyTooLarge { limit: max_body },
        ));
    }
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(protocol)?;
    let mut answer = http::Response::builder().status(status);
    for line in lines {
        let (name, value) = line.split_once(':').ok_or_else(protocol)?;
        answer = answer.header(name.trim(), value.trim());
    }
    answer.body(body).map_err(|_| protocol())
}

fn app() -> AppCredentials {
    AppCredentials::new(
        fixtures::APP_ID,
        fixtures::AUTH_KEY,
        SecretString::from(fixtures::AUTH_SECRET),
    )
    .unwrap()
}

fn client(emulator: &qb_auth_emulator::BlockingEmulator) -> BlockingClient<HandRolled> {
    BlockingClient::builder()
        .endpoint(Endpoint::parse(emulator.base_url()).unwrap())
        .http_client(HandRolled::default())
        .build()
        .unwrap()
}

#[test]
fn every_operation_runs_over_a_transport_written_here() {
    let emulator = Emulator::with_demo_fixtures().start_blocking().unwrap();
    let client = client(&emulator);
    let alice = Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD).unwrap();

    let app_session = client
        .create_session(&app(), &Identity::application())
        .unwrap();
    assert_eq!(app_session.user(), None);
    let user = client.login(&app_session.token, &alice).unwrap();
    assert_eq!(user.id, fixtures::ALICE_ID);
    assert_eq!(
        client.get_session(&app_session.token).unwrap().user(),
        Some(fixtures::ALICE_ID)
    );
    client.logout(&app_session.token).unwrap();
    assert_eq!(client.get_session(&app_session.token).unwrap().user(), None);
    client.destroy_session(&app_session.token).unwrap();
    let gone = client.get_session(&app_session.token).unwrap_err();
    assert_eq!(gone.status().map(|s| s.as_u16()), Some(401));

    let settings = client.account_settings(fixtures::ACCOUNT_KEY).unwrap();
    assert!(settings.api_endpoint.is_some());

    let wrong = Identity::login(fixtures::ALICE_LOGIN, "not-her-password").unwrap();
    let refused = client.create_session(&app(), &wrong).unwrap_err();
    assert!(matches!(refused, Error::Api(_)), "{refused:?}");
    assert!(!refused.is_retryable());

    assert_eq!(client.transport().sent.load(Ordering::Relaxed), 9);
}

#[test]
fn a_managed_session_renews_over_a_transport_written_here() {
    let emulator = Emulator::with_demo_fixtures().start_blocking().unwrap();
    let client = client(&emulator);
    let session = client
        .managed(SessionSource::application(app()))
        .build()
        .unwrap();
    let users = || {
        http::Request::get(format!("{}/users.json", emulator.base_url()))
            .body(())
            .unwrap()
    };

    assert_eq!(session.send(users()).unwrap().status(), 200);
    let first = session.token().unwrap();
    emulator.expire_all_sessions();
    // Rejected, renewed once, sent again: the caller sees only the 200.
    assert_eq!(session.send(users()).unwrap().status(), 200);
    assert_ne!(session.token().unwrap(), first);
    assert_eq!(emulator.stats().sessions_created, 2);

    let foreign = http::Request::get("http://127.0.0.1:9/users.json")
        .body(())
        .unwrap();
    let sent_before = client.transport().sent.load(Ordering::Relaxed);
    assert!(matches!(
        session.send(foreign),
        Err(Error::ForeignHost { .. })
    ));
    assert_eq!(
        client.transport().sent.load(Ordering::Relaxed),
        sent_before,
        "a request for another host is refused before anything is sent"
    );
}

#[test]
fn a_transport_without_options_says_it_must_be_passed_in() {
    let err = BlockingClient::<HandRolled>::builder().build().unwrap_err();
    match err {
        Error::Transport(t) => assert!(matches!(t.kind(), TransportErrorKind::Config(_))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn refused_credentials_are_tried_again_only_after_a_reset() {
    let emulator = Emulator::with_demo_fixtures().start_blocking().unwrap();
    let client = client(&emulator);
    let wrong = Identity::login(fixtures::ALICE_LOGIN, "not-her-password").unwrap();
    let session = client
        .managed(SessionSource::user(app(), wrong))
        .build()
        .unwrap();

    for _ in 0..5 {
        let err = session.token().unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
        assert!(!err.is_retryable());
    }
    assert_eq!(
        emulator.stats().requests,
        1,
        "refused once, not asked again"
    );

    assert!(session.reset());
    assert!(session.token().is_err());
    assert_eq!(emulator.stats().requests, 2, "a reset allows one more try");
}
