//! `TokenMiddleware` in a reqwest-middleware client, against the emulator
//! and servers beside it: one renewal for many requests across an expiry,
//! no token for other hosts, a streaming body sent once, a success's body
//! left streaming, and no token in `Debug`.

use std::sync::Arc;

use qb_auth_core::Endpoint;
use qb_auth_reqwest::{Client, ManagedSession, SessionSource, TokenMiddleware};
use qb_auth_tests::bounded;
use qb_auth_tests::canned::Gate;
use qb_auth_tests::fixtures::{app, emulator, endpoint};
use qb_auth_tests::side::{
    FOREIGN_EXPIRED, STREAM_FIRST, STREAMING_API_TOKEN, foreign_host, stream_rest, streaming_api,
};
use reqwest_middleware::ClientWithMiddleware;

const CONCURRENT: usize = 200;

fn managed(endpoint: Endpoint) -> ManagedSession {
    let client = Client::builder()
        .endpoint(endpoint)
        .build()
        .expect("a client for loopback");
    client
        .managed(SessionSource::application(app()))
        .build()
        .expect("a managed session")
}

fn with_middleware(session: &ManagedSession) -> ClientWithMiddleware {
    // As the docs advise: set up for qb-auth (TLS, no redirects).
    let http = qb_auth_reqwest::reqwest_builder()
        .expect("a reqwest builder")
        .no_proxy()
        .build()
        .expect("a reqwest client");
    reqwest_middleware::ClientBuilder::new(http)
        .with(TokenMiddleware::new(session.clone()))
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_across_an_expiry_share_one_new_session() {
    bounded(120, async {
        let emulator = emulator().await;
        let session = managed(endpoint(&emulator));
        let http = Arc::new(with_middleware(&session));
        let users = format!("{}/users.json", emulator.base_url());
        let first = http.get(&users).send().await.expect("sent");
        assert_eq!(first.status(), 200);
        assert_eq!(emulator.stats().sessions_created, 1);

        emulator.expire_all_sessions();
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let (http, users) = (Arc::clone(&http), users.clone());
                tokio::spawn(async move {
                    let answer = http.get(&users).send().await.expect("sent");
                    let status = answer.status();
                    let body = answer.bytes().await.expect("read");
                    (status, body.len())
                })
            })
            .collect();
        for task in tasks {
            let (status, length) = task.await.expect("the task ran");
            assert_eq!(status, 200, "every request is answered");
            assert!(length > 0);
        }
        let stats = emulator.stats();
        assert_eq!(stats.sessions_created, 2, "one new session for all");
        assert!(stats.expired_rejections >= 1, "the expiry was met");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_hosts_get_no_token_and_their_answers_do_not_touch_the_session() {
    bounded(60, async {
        let emulator = emulator().await;
        let foreign = foreign_host();
        let session = managed(endpoint(&emulator));
        let http = with_middleware(&session);

        let own = http
            .get(format!("{}/users.json", emulator.base_url()))
            .send()
            .await
            .expect("sent");
        assert_eq!(own.status(), 200, "the API host got the token");

        let plain = http
            .get(format!("{}/anything", foreign.url()))
            .send()
            .await
            .expect("sent");
        assert_eq!(plain.status(), 200);
        assert_eq!(plain.text().await.expect("read"), "foreign");
        // "Required session does not exist" from another host: handed back
        // as it is, and the session is not renewed for it.
        let expired = http
            .get(format!("{}/expired", foreign.url()))
            .send()
            .await
            .expect("sent");
        assert_eq!(expired.status(), 401);
        assert_eq!(&expired.bytes().await.expect("read")[..], FOREIGN_EXPIRED);
        let again = http
            .get(format!("{}/users.json", emulator.base_url()))
            .send()
            .await
            .expect("sent");
        assert_eq!(again.status(), 200);

        let seen = foreign.seen();
        assert_eq!(seen.len(), 2, "each foreign request was sent once");
        assert!(seen.iter().all(|s| s.header("qb-token").is_none()));
        let stats = emulator.stats();
        assert_eq!(stats.sessions_created, 1);
        assert_eq!(stats.requests, 3, "one session and two API requests");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_body_is_sent_once_and_the_next_request_renews() {
    bounded(60, async {
        let emulator = emulator().await;
        let session = managed(endpoint(&emulator));
        let http = with_middleware(&session);
        let users = format!("{}/users.json", emulator.base_url());
        assert_eq!(http.get(&users).send().await.expect("sent").status(), 200);
        emulator.expire_all_sessions();
        let before = emulator.stats();

        // A body reqwest cannot copy: `Body::wrap` makes it a stream.
        let body = reqwest::Body::wrap(String::from("login=alice&password=p%40ss"));
        let login = http
            .post(format!("{}/login.json", emulator.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(login.status(), 401);
        let text = login.text().await.expect("the error's body is handed back");
        assert!(text.contains("Required session does not exist"), "{text}");
        let after = emulator.stats();
        assert_eq!(after.requests, before.requests + 1, "sent once, not again");
        assert_eq!(after.expired_rejections, before.expired_rejections + 1);
        assert_eq!(after.sessions_created, before.sessions_created);

        // The next request goes out with a new token at once.
        assert_eq!(http.get(&users).send().await.expect("sent").status(), 200);
        let last = emulator.stats();
        assert_eq!(last.sessions_created, before.sessions_created + 1);
        assert_eq!(last.expired_rejections, after.expired_rejections);
        assert_eq!(
            last.requests,
            after.requests + 2,
            "a session, then the request"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_body_streams_through_the_middleware() {
    bounded(30, async {
        let gate = Gate::default();
        let api = streaming_api(&gate);
        let session = managed(Endpoint::parse(&api.url()).expect("loopback endpoint"));
        let http = with_middleware(&session);

        // The middleware hands the answer back while the server still holds
        // the rest of the body: had it buffered, this would wait for the gate.
        let mut answer = http
            .get(format!("{}/stream", api.url()))
            .send()
            .await
            .expect("sent");
        assert_eq!(answer.status(), 200);
        let mut body = Vec::new();
        while body.len() < STREAM_FIRST.len() {
            let chunk = answer.chunk().await.expect("read").expect("more body");
            body.extend_from_slice(&chunk);
        }
        assert_eq!(body, STREAM_FIRST);
        gate.open();
        while let Some(chunk) = answer.chunk().await.expect("read") {
            body.extend_from_slice(&chunk);
        }
        assert_eq!(body[STREAM_FIRST.len()..], stream_rest()[..]);

        let stream = api
            .seen()
            .into_iter()
            .find(|s| s.path == "/stream")
            .expect("the stream was asked for");
        assert_eq!(stream.header("qb-token"), Some(STREAMING_API_TOKEN));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_shows_no_token() {
    bounded(60, async {
        let emulator = emulator().await;
        let session = managed(endpoint(&emulator));
        let token = session.token().await.expect("a token");
        let middleware = TokenMiddleware::new(session.clone());
        let used = session.request_token().await.expect("a token");
        for debug in [format!("{middleware:?}"), format!("{used:?}")] {
            assert!(!debug.contains(token.expose()), "{debug}");
            assert!(debug.contains("REDACTED"), "{debug}");
        }
    })
    .await;
}

/// Under a reqwest client set up as `reqwest_builder` sets it up (no
/// redirects), a redirect from the API host to another host comes back to
/// the caller as it is: the other host never sees the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_is_not_followed_with_the_token() {
    bounded(60, async {
        let foreign = foreign_host();
        let target = format!("{}/anything", foreign.url());
        let api = qb_auth_tests::canned::Canned::start(move |_| {
            qb_auth_tests::canned::Reply::status(302, &[("location", target.as_str())], b"")
        });
        let session = Client::builder()
            .endpoint(Endpoint::parse(&api.url()).expect("a loopback URL"))
            .build()
            .expect("a client for loopback")
            .managed(SessionSource::fixed(STREAMING_API_TOKEN.into()))
            .skip_token_check()
            .build()
            .expect("a managed session");
        let http = reqwest_middleware::ClientBuilder::new(
            qb_auth_reqwest::reqwest_builder()
                .expect("a builder")
                .no_proxy()
                .build()
                .expect("a reqwest client"),
        )
        .with(TokenMiddleware::new(session))
        .build();

        let answer = http
            .get(format!("{}/users.json", api.url()))
            .send()
            .await
            .expect("sent");
        assert_eq!(answer.status(), 302, "handed back, not followed");
        let seen = api.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].header("qb-token"), Some(STREAMING_API_TOKEN));
        assert!(foreign.seen().is_empty(), "the other host got nothing");
    })
    .await;
}

/// As the middleware's docs advise: reqwest-retry outside, TokenMiddleware
/// inside. Each retries its own failures and nothing is retried twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_reqwest_retry_each_retries_its_own_failures() {
    use qb_auth_reqwest::middleware::MiddlewareErrorExt;
    use reqwest_retry::RetryTransientMiddleware;
    use reqwest_retry::policies::ExponentialBackoff;
    use std::time::Duration;

    fn stacked(session: &ManagedSession) -> ClientWithMiddleware {
        let retries = ExponentialBackoff::builder()
            .retry_bounds(Duration::from_millis(10), Duration::from_millis(40))
            .build_with_max_retries(3);
        let http = qb_auth_reqwest::reqwest_builder()
            .expect("a reqwest builder")
            .no_proxy()
            .build()
            .expect("a reqwest client");
        reqwest_middleware::ClientBuilder::new(http)
            .with(RetryTransientMiddleware::new_with_policy(retries))
            .with(TokenMiddleware::new(session.clone()))
            .build()
    }

    bounded(60, async {
        let emulator = emulator().await;
        let session = managed(endpoint(&emulator));
        let http = stacked(&session);
        let users = format!("{}/users.json", emulator.base_url());
        assert_eq!(http.get(&users).send().await.expect("sent").status(), 200);

        // A 503 on the user's request: reqwest-retry sends it again, and
        // the attempt takes the session's token through TokenMiddleware.
        emulator.fail_next(1, qb_auth_emulator::Fault::Status503);
        assert_eq!(http.get(&users).send().await.expect("sent").status(), 200);
        assert_eq!(emulator.stats().faults.status_503, 1);

        // An expired session: TokenMiddleware renews once and sends again;
        // reqwest-retry never sees the 401.
        emulator.expire_all_sessions();
        assert_eq!(http.get(&users).send().await.expect("sent").status(), 200);
        assert_eq!(emulator.stats().sessions_created, 2);

        // A renewal refused for good fails the request with the session's
        // error, which reqwest-retry does not send again: one signature
        // was checked, not four.
        let wrong = qb_auth_core::AppCredentials::new(
            qb_auth_emulator::fixtures::APP_ID,
            qb_auth_emulator::fixtures::AUTH_KEY,
            qb_auth_core::SecretString::from("not-the-secret"),
        )
        .expect("credentials");
        let refused = Client::builder()
            .endpoint(endpoint(&emulator))
            .build()
            .expect("a client")
            .managed(SessionSource::application(wrong))
            .build()
            .expect("a managed session");
        let err = stacked(&refused).get(&users).send().await.unwrap_err();
        assert_eq!(
            err.api_error().map(|e| e.kind()),
            Some(qb_auth_core::ErrorKind::UnexpectedSignature),
            "{err:?}"
        );
        assert!(!err.is_retryable());
        assert!(err.qb_auth_error().is_some());
        assert_eq!(emulator.stats().signature_failures, 1);
    })
    .await;
}
