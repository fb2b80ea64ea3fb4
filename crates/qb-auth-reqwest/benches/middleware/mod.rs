//! The stage of the middleware benches: the emulator on a runtime of its
//! own (its threads are not the measuring thread), a managed session with
//! a valid token, and the same `GET /users.json` three ways: reqwest with
//! the token set by hand, reqwest-middleware with a middleware that does
//! nothing, and reqwest-middleware with `TokenMiddleware`. All three share
//! one reqwest client, so one connection pool.

use std::error::Error;

use qb_auth_core::request::QB_TOKEN;
use qb_auth_core::{AppCredentials, Endpoint, SecretString};
use qb_auth_emulator::{Emulator, EmulatorHandle, fixtures};
use qb_auth_reqwest::{Client, SessionSource, TokenMiddleware};
use reqwest_middleware::{ClientWithMiddleware, Middleware, Next};
use tokio::runtime::Runtime;

/// The three ways of sending the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// reqwest, `QB-Token` set by hand.
    Plain,
    /// reqwest-middleware with a middleware that only calls the next.
    NoOp,
    /// reqwest-middleware with `TokenMiddleware`.
    Token,
}

/// Passes every request on: what any middleware costs in this framework.
struct NoOp;

#[async_trait::async_trait]
impl Middleware for NoOp {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        next.run(request, extensions).await
    }
}

pub(crate) struct Stage {
    /// Runs the emulator on its own threads; kept alive with it.
    _server: Runtime,
    _emulator: EmulatorHandle,
    url: String,
    token: String,
    plain: reqwest::Client,
    no_op: ClientWithMiddleware,
    with_token: ClientWithMiddleware,
}

impl Stage {
    /// Starts the emulator and takes a token; `client` is the runtime the
    /// requests will run on (reqwest's pool lives there).
    pub(crate) fn new(client: &Runtime) -> Result<Self, Box<dyn Error>> {
        let server = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("qbe-worker")
            .enable_all()
            .build()?;
        let emulator = server.block_on(Emulator::with_demo_fixtures().start())?;
        let url = format!("{}/users.json", emulator.base_url());
        let endpoint = Endpoint::parse(emulator.base_url())?;
        let _entered = client.enter();
        let plain = reqwest::Client::builder().no_proxy().build()?;
        let api = Client::builder()
            .endpoint(endpoint)
            .http_client(plain.clone())
            .build()?;
        let app = AppCredentials::new(
            fixtures::APP_ID,
            fixtures::AUTH_KEY,
            SecretString::from(fixtures::AUTH_SECRET),
        )?;
        let session = api.managed(SessionSource::application(app)).build()?;
        let token = client.block_on(session.token())?.expose().to_owned();
        let no_op = reqwest_middleware::ClientBuilder::new(plain.clone())
            .with(NoOp)
            .build();
        let with_token = reqwest_middleware::ClientBuilder::new(plain.clone())
            .with(TokenMiddleware::new(session))
            .build();
        Ok(Self {
            _server: server,
            _emulator: emulator,
            url,
            token,
            plain,
            no_op,
            with_token,
        })
    }

    /// Sends the request one way and reads the answer whole; fails on
    /// anything but a 200 with a body.
    pub(crate) async fn send(&self, way: Way) -> Result<(), String> {
        let answer = match way {
            Way::Plain => self
                .plain
                .get(&self.url)
                .header(QB_TOKEN, self.token.as_str())
                .send()
                .await
                .map_err(|e| e.to_string())?,
            Way::NoOp => self
                .no_op
                .get(&self.url)
                .header(QB_TOKEN, self.token.as_str())
                .send()
                .await
                .map_err(|e| e.to_string())?,
            Way::Token => self
                .with_token
                .get(&self.url)
                .send()
                .await
                .map_err(|e| e.to_string())?,
        };
        let status = answer.status();
        let body = answer.bytes().await.map_err(|e| e.to_string())?;
        if status == 200 && !body.is_empty() {
            Ok(())
        } else {
            Err(format!("{way:?}: answer {status}"))
        }
    }
}

/// A runtime on the calling thread: the requests and reqwest's connection
/// tasks all run (and allocate) here.
pub(crate) fn client_runtime() -> Result<Runtime, Box<dyn Error>> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
