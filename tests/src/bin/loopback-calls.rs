//! Every way a program reaches a plain-http (loopback) endpoint, run in a
//! process of its own so that a test can give it proxy variables
//! (`HTTP_PROXY`, `ALL_PROXY`, ...) without touching the test process's
//! environment.
//!
//! ```text
//! loopback-calls [--proxy URL] [--also-remote]
//! ```
//!
//! Starts an emulator on loopback, then over each transport: one-shot
//! calls and a managed session with a renewal on a client the builder
//! makes (with `ClientBuilder::proxy(URL)` when `--proxy` is given), the
//! same on a transport the caller built (reqwest's `reqwest_builder()`, a
//! plain `reqwest::Client`, a ureq agent, each with the proxy when given),
//! and a request of the caller's own through `TokenMiddleware` on a
//! `reqwest_builder()` client. With `--also-remote`, it then tries one
//! create-session at `https://api.quickblox.com` over each transport's
//! built client, which the proxy must receive (as a `CONNECT`) and refuse:
//! other hosts still go through the proxy. Prints `ok N calls` and exits 0
//! when every call went as expected, or names the first that did not and
//! exits 1.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use qb_auth_core::Endpoint;
use qb_auth_emulator::Emulator;
use qb_auth_tests::fixtures::{alice, app};

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let mut proxy = None;
    let mut remote = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), proxy.is_none()) {
            ("--proxy", true) => proxy = args.next(),
            ("--also-remote", _) => remote = true,
            _ => {
                eprintln!("usage: loopback-calls [--proxy URL] [--also-remote]");
                return ExitCode::from(2);
            }
        }
    }
    // The caller's plain reqwest client needs a process-wide provider
    // (qb-auth-reqwest's `rustls-ring` sets reqwest up without one).
    if rustls::crypto::ring::default_provider()
        .install_default()
        .is_err()
    {
        eprintln!("loopback-calls: a crypto provider was installed already");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let result = runtime.block_on(async {
        let emulator = Emulator::with_demo_fixtures().start().await?;
        let endpoint = Endpoint::parse(emulator.base_url())?;
        let mut calls = 0;
        calls += over_reqwest(&endpoint, proxy.as_deref(), &emulator).await?;
        let (endpoint, blocking_proxy, control) =
            (endpoint.clone(), proxy.clone(), emulator.control());
        calls += tokio::task::spawn_blocking(move || {
            over_ureq(&endpoint, blocking_proxy.as_deref(), &control).map_err(|e| e.to_string())
        })
        .await??;
        if remote {
            calls += through_the_proxy(proxy.clone()).await?;
        }
        Ok::<_, Failure>(calls)
    });
    match result {
        Ok(calls) => {
            println!("ok {calls} calls");
            ExitCode::SUCCESS
        }
        Err(err) => {
            println!("failed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// A create-session at QuickBlox's own host over each transport, which
/// must fail at the proxy: no answer can come from it.
async fn through_the_proxy(proxy: Option<String>) -> Result<u32, Failure> {
    use qb_auth_core::lifecycle::Policy;

    let once = Policy::default().with_max_attempts(1);
    let mut reqwest = qb_auth_reqwest::Client::builder().retry_policy(once.clone());
    let mut ureq = qb_auth_ureq::Client::builder().retry_policy(once);
    if let Some(url) = &proxy {
        reqwest = reqwest.proxy(url.clone());
        ureq = ureq.proxy(url.clone());
    }
    let (reqwest, ureq) = (reqwest.build()?, ureq.build()?);
    if reqwest.create_session(&app(), &alice()).await.is_ok() {
        return Err("reqwest reached api.quickblox.com".into());
    }
    let reached =
        tokio::task::spawn_blocking(move || ureq.create_session(&app(), &alice()).is_ok());
    if reached.await? {
        return Err("ureq reached api.quickblox.com".into());
    }
    Ok(2)
}

/// Names the client a failure came from.
fn on<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> Failure {
    move |e| format!("{what}: {e}").into()
}

async fn over_reqwest(
    endpoint: &Endpoint,
    proxy: Option<&str>,
    emulator: &qb_auth_emulator::EmulatorHandle,
) -> Result<u32, Failure> {
    use qb_auth_reqwest::{Client, SessionSource, TokenMiddleware, reqwest_builder};

    let mut built = Client::builder().endpoint(endpoint.clone());
    if let Some(url) = proxy {
        built = built.proxy(url);
    }
    let mut user_builder = reqwest_builder()?;
    let mut plain = reqwest::Client::builder();
    if let Some(url) = proxy {
        user_builder = user_builder.proxy(reqwest::Proxy::all(url)?);
        plain = plain.proxy(reqwest::Proxy::all(url)?);
    }
    let clients = [
        ("reqwest, built", built.build()?),
        (
            "reqwest, from reqwest_builder()",
            Client::builder()
                .endpoint(endpoint.clone())
                .http_client(user_builder.build()?)
                .build()?,
        ),
        (
            "reqwest, a plain reqwest::Client",
            Client::builder()
                .endpoint(endpoint.clone())
                .http_client(plain.build()?)
                .build()?,
        ),
    ];
    let mut calls = 0;
    for (what, client) in clients {
        let session = client
            .create_session(&app(), &alice())
            .await
            .map_err(on(what))?;
        client.get_session(&session.token).await.map_err(on(what))?;
        let managed = client
            .managed(SessionSource::user(app(), alice()))
            .build()
            .map_err(on(what))?;
        let first = managed.token().await.map_err(on(what))?;
        // The server forgets every session: the next call renews.
        emulator.expire_all_sessions();
        let users = http::Request::get(endpoint.url("users.json")).body(())?;
        let answer = managed.send(users).await.map_err(on(what))?;
        if answer.status() != 200 || managed.token().await.map_err(on(what))? == first {
            return Err(format!("{what}: no renewal ({})", answer.status()).into());
        }
        calls += 5;
    }

    // A request of the caller's own, through the middleware.
    let client = Client::builder().endpoint(endpoint.clone()).build()?;
    let session = client
        .managed(SessionSource::user(app(), alice()))
        .build()?;
    let http = reqwest_middleware::ClientBuilder::new(reqwest_builder()?.build()?)
        .with(TokenMiddleware::new(session))
        .build();
    let answer = http
        .get(endpoint.url("users.json"))
        .send()
        .await
        .map_err(on("the middleware"))?;
    if answer.status() != 200 {
        return Err(format!("the middleware: {}", answer.status()).into());
    }
    Ok(calls + 2)
}

fn over_ureq(
    endpoint: &Endpoint,
    proxy: Option<&str>,
    emulator: &qb_auth_emulator::EmulatorControl,
) -> Result<u32, Failure> {
    use qb_auth_ureq::{Client, SessionSource};

    let mut built = Client::builder().endpoint(endpoint.clone());
    if let Some(url) = proxy {
        built = built.proxy(url);
    }
    // ureq's own default reads the environment's proxy.
    let agent = match proxy {
        Some(url) => ureq::Agent::config_builder()
            .proxy(Some(ureq::Proxy::new(url)?))
            .build()
            .new_agent(),
        None => ureq::Agent::new_with_defaults(),
    };
    let clients = [
        ("ureq, built", built.build()?),
        (
            "ureq, the caller's agent",
            Client::builder()
                .endpoint(endpoint.clone())
                .http_client(agent)
                .build()?,
        ),
    ];
    let mut calls = 0;
    for (what, client) in clients {
        let session = client.create_session(&app(), &alice()).map_err(on(what))?;
        client.get_session(&session.token).map_err(on(what))?;
        let managed = client
            .managed(SessionSource::user(app(), alice()))
            .build()
            .map_err(on(what))?;
        let first = managed.token().map_err(on(what))?;
        emulator.expire_all_sessions();
        let users = http::Request::get(endpoint.url("users.json")).body(())?;
        let answer = managed.send(users).map_err(on(what))?;
        if answer.status() != 200 || managed.token().map_err(on(what))? == first {
            return Err(format!("{what}: no renewal ({})", answer.status()).into());
        }
        calls += 5;
    }
    Ok(calls)
}
