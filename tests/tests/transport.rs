//! What the transports do with answers the emulator never gives: redirects,
//! oversized bodies, silence, closed connections, error bodies. Each case is
//! written once and run over both transports.

use std::time::Duration;

use qb_auth_core::{ApiKey, Body, Endpoint, ErrorKind, SessionToken};
use qb_auth_tests::canned::{Canned, Reply};
use qb_auth_tests::{Failure, Options, TestClient, TransportKind, for_each_transport};

const EXPIRED: &[u8] = br#"{"errors":{"base":["Required session does not exist"]}}"#;

fn client<T: TestClient>(server: &Canned, options: Options) -> T {
    T::new(&Endpoint::parse(&server.url()).unwrap(), &options)
}

fn get(server: &Canned, path: &str) -> http::Request<Body> {
    http::Request::get(format!("{}{path}", server.url()))
        .body(Body::empty())
        .unwrap()
}

async fn error_bodies_reach_the_core<T: TestClient>() {
    let server = Canned::start(|_| Reply::status(401, &[], EXPIRED));
    let client: T = client(&server, Options::default());
    let err = client
        .get_session(&SessionToken::new("t"))
        .await
        .unwrap_err();
    let Failure::Api(api) = err else {
        panic!("{}: expected an API error, got {err:?}", T::NAME)
    };
    assert_eq!(api.status(), 401);
    assert_eq!(api.kind(), ErrorKind::SessionExpired);
    assert_eq!(api.raw_body(), EXPIRED);
}

async fn malformed_success_keeps_status_and_body<T: TestClient>() {
    let server = Canned::start(|_| Reply::status(200, &[], b"<html>proxy</html>"));
    let client: T = client(&server, Options::default());
    let err = client
        .get_session(&SessionToken::new("t"))
        .await
        .unwrap_err();
    let Failure::Api(api) = err else {
        panic!("{}: expected an API error, got {err:?}", T::NAME)
    };
    assert_eq!(api.kind(), ErrorKind::MalformedResponse);
    assert_eq!(api.status(), 200);
    assert_eq!(api.raw_body(), b"<html>proxy</html>");
}

async fn redirects_are_returned_not_followed<T: TestClient>() {
    let server = Canned::start(|seen| {
        if seen.path == "/users.json" {
            Reply::status(302, &[("location", "/elsewhere.json")], b"")
        } else {
            Reply::status(200, &[], b"{}")
        }
    });
    let client: T = client(&server, Options::default());
    let mut request = get(&server, "/users.json");
    qb_auth_core::authorize(&mut request, &SessionToken::new("secret-token")).unwrap();
    let answer = client.send(request).await.unwrap();
    assert_eq!(answer.status(), 302, "{}", T::NAME);
    let paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        ["/users.json"],
        "{}: a redirect was followed",
        T::NAME
    );
}

async fn bodies_over_the_limit_are_typed_errors<T: TestClient>() {
    let big = vec![b'x'; 4096];
    let with_length = Canned::start(move |_| Reply::status(200, &[], &big));
    // No Content-Length: the body runs until the connection closes.
    let mut no_length = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_vec();
    no_length.extend(vec![b'y'; 4096]);
    let without_length = Canned::start(move |_| Reply::Raw(no_length.clone()));
    let options = Options {
        max_body: 1024,
        ..Options::default()
    };
    for server in [&with_length, &without_length] {
        let client: T = client(server, options.clone());
        let err = client.send(get(server, "/blobs.json")).await.unwrap_err();
        assert_eq!(
            err.transport_kind(),
            Some(TransportKind::BodyTooLarge(1024)),
            "{}: {err:?}",
            T::NAME
        );
    }
    // At the limit exactly, the body is read.
    let exact = Canned::start(|_| Reply::status(200, &[], &[b'z'; 1024]));
    let answer = client::<T>(&exact, options)
        .send(get(&exact, "/blobs.json"))
        .await
        .unwrap();
    assert_eq!(answer.body().len(), 1024);
}

async fn a_silent_server_times_out<T: TestClient>() {
    let server = Canned::start(|_| Reply::Silence(Duration::from_secs(5)));
    let options = Options {
        timeout: Duration::from_millis(300),
        ..Options::default()
    };
    let started = std::time::Instant::now();
    let err = client::<T>(&server, options)
        .get_session(&SessionToken::new("t"))
        .await
        .unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportKind::Timeout),
        "{}: {err:?}",
        T::NAME
    );
    assert!(matches!(
        err,
        Failure::Transport {
            retryable: true,
            ..
        }
    ));
    assert!(started.elapsed() < Duration::from_secs(3), "{}", T::NAME);
}

async fn a_dropped_connection_is_retryable<T: TestClient>() {
    let server = Canned::start(|_| Reply::Close);
    let err = client::<T>(&server, Options::default())
        .get_session(&SessionToken::new("t"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Failure::Transport {
                kind: TransportKind::Connection,
                retryable: true
            }
        ),
        "{}: {err:?}",
        T::NAME
    );
}

async fn a_refused_connection_is_retryable<T: TestClient>() {
    // Port 1 (tcpmux), which nothing on these machines serves. A port
    // bound and closed here could be handed to another test's server at
    // once: the kernel reuses freed ports.
    let endpoint = Endpoint::parse("http://127.0.0.1:1").unwrap();
    let err = T::new(&endpoint, &Options::default())
        .get_session(&SessionToken::new("t"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Failure::Transport {
                kind: TransportKind::Connect,
                retryable: true
            }
        ),
        "{}: {err:?}",
        T::NAME
    );
}

async fn api_key_mode_sends_the_key_and_no_token<T: TestClient>() {
    let server = Canned::start(|_| Reply::status(200, &[], b"{}"));
    let client: T = client(&server, Options::default());
    let mut request = get(&server, "/users.json");
    qb_auth_core::authorize(&mut request, &SessionToken::new("stale-token")).unwrap();
    let answer = client
        .send_with_api_key(&ApiKey::new("the-api-key"), Some(42), request)
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("authorization"), Some("ApiKey the-api-key"));
    assert_eq!(seen[0].header("on-behalf-of"), Some("42"));
    assert_eq!(seen[0].header("qb-token"), None, "{}", T::NAME);
}

for_each_transport!(30 =>
    error_bodies_reach_the_core,
    malformed_success_keeps_status_and_body,
    redirects_are_returned_not_followed,
    bodies_over_the_limit_are_typed_errors,
    a_silent_server_times_out,
    a_dropped_connection_is_retryable,
    a_refused_connection_is_retryable,
    api_key_mode_sends_the_key_and_no_token,
);
