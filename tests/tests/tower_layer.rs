//! `TokenLayer` over hyper-util's legacy client, against the emulator and
//! servers beside it: one renewal for many requests across an expiry, no
//! token for other hosts, a streaming body sent once, a success's body
//! left streaming, and no token in `Debug`.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use qb_auth_client::tower::{ReplayBody, TokenLayer, TokenService};
use qb_auth_client::{AnswerBody, http};
use qb_auth_core::Endpoint;
use qb_auth_reqwest::{Client, ManagedSession, Reqwest, SessionSource};
use qb_auth_tests::bounded;
use qb_auth_tests::canned::Gate;
use qb_auth_tests::fixtures::{app, emulator, endpoint};
use qb_auth_tests::side::{
    FOREIGN_EXPIRED, STREAM_FIRST, STREAMING_API_TOKEN, foreign_host, stream_rest, streaming_api,
};
use tower::{BoxError, Layer, Service};

const CONCURRENT: usize = 200;

type Layered<B> = TokenService<HyperClient<HttpConnector, B>, Reqwest>;
type Answer = http::Response<AnswerBody<hyper::body::Incoming>>;

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

fn layered<B>(session: &ManagedSession) -> Layered<B>
where
    B: http_body::Body + Send + 'static + Unpin,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let hyper = HyperClient::builder(TokioExecutor::new()).build_http::<B>();
    TokenLayer::new(session.clone()).layer(hyper)
}

/// Sends `request` through a clone of `service`, made ready first.
async fn send<B>(service: &Layered<B>, request: http::Request<B>) -> Answer
where
    B: http_body::Body + ReplayBody + Send + 'static + Unpin,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut service = service.clone();
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .expect("ready");
    service.call(request).await.expect("sent")
}

fn get(url: String) -> http::Request<Full<Bytes>> {
    http::Request::get(url)
        .body(Full::default())
        .expect("a request")
}

async fn read(answer: Answer) -> Bytes {
    answer.into_body().collect().await.expect("read").to_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_across_an_expiry_share_one_new_session() {
    bounded(120, async {
        let emulator = emulator().await;
        let session = managed(endpoint(&emulator));
        let service = layered::<Full<Bytes>>(&session);
        let users = format!("{}/users.json", emulator.base_url());
        assert_eq!(send(&service, get(users.clone())).await.status(), 200);
        assert_eq!(emulator.stats().sessions_created, 1);

        emulator.expire_all_sessions();
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let (service, users) = (service.clone(), users.clone());
                tokio::spawn(async move {
                    let answer = send(&service, get(users)).await;
                    (answer.status(), read(answer).await.len())
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
        let service = layered::<Full<Bytes>>(&session);
        let users = format!("{}/users.json", emulator.base_url());
        assert_eq!(send(&service, get(users.clone())).await.status(), 200);

        let plain = send(&service, get(format!("{}/anything", foreign.url()))).await;
        assert_eq!(plain.status(), 200);
        assert_eq!(&read(plain).await[..], b"foreign");
        let expired = send(&service, get(format!("{}/expired", foreign.url()))).await;
        assert_eq!(expired.status(), 401);
        assert_eq!(&read(expired).await[..], FOREIGN_EXPIRED);
        assert_eq!(send(&service, get(users)).await.status(), 200);

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
        // A boxed body cannot be copied: one send only.
        let service = layered::<BoxBody<Bytes, Infallible>>(&session);
        let users = || {
            http::Request::get(format!("{}/users.json", emulator.base_url()))
                .body(Full::default().boxed())
                .expect("a request")
        };
        assert_eq!(send(&service, users()).await.status(), 200);
        emulator.expire_all_sessions();
        let before = emulator.stats();

        let login = http::Request::post(format!("{}/login.json", emulator.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::from("login=alice&password=p%40ss").boxed())
            .expect("a request");
        let answer = send(&service, login).await;
        assert_eq!(answer.status(), 401);
        let text = read(answer).await;
        assert!(
            String::from_utf8_lossy(&text).contains("Required session does not exist"),
            "the error's body is handed back"
        );
        let after = emulator.stats();
        assert_eq!(after.requests, before.requests + 1, "sent once, not again");
        assert_eq!(after.expired_rejections, before.expired_rejections + 1);
        assert_eq!(after.sessions_created, before.sessions_created);

        assert_eq!(send(&service, users()).await.status(), 200);
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
async fn a_success_body_streams_through_the_layer() {
    bounded(30, async {
        let gate = Gate::default();
        let api = streaming_api(&gate);
        let session = managed(Endpoint::parse(&api.url()).expect("loopback endpoint"));
        let service = layered::<Full<Bytes>>(&session);

        // Handed back while the server still holds the rest of the body.
        let answer = send(&service, get(format!("{}/stream", api.url()))).await;
        assert_eq!(answer.status(), 200);
        let mut body = answer.into_body();
        let mut read = Vec::new();
        while read.len() < STREAM_FIRST.len() {
            let frame = body.frame().await.expect("more body").expect("read");
            read.extend_from_slice(frame.data_ref().expect("data"));
        }
        assert_eq!(read, STREAM_FIRST);
        gate.open();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("read").into_data() {
                read.extend_from_slice(&data);
            }
        }
        assert_eq!(read[STREAM_FIRST.len()..], stream_rest()[..]);

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
        let layer = TokenLayer::new(session.clone());
        let service = layered::<Full<Bytes>>(&session);
        for debug in [format!("{layer:?}"), format!("{service:?}")] {
            assert!(!debug.contains(token.expose()), "{debug}");
            assert!(debug.contains("REDACTED"), "{debug}");
        }
    })
    .await;
}
