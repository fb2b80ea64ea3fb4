//! Time per request through hyper-util's legacy client with and without
//! `TokenLayer` (token valid, nothing to renew), interleaved request by
//! request, the order alternating, so load that slows one slows the other.
//! Both share one hyper client, so one connection pool; the plain request
//! carries the same token, set by hand. Prints for `cargo xtask bench`:
//! `time tower <median ns per request> <median ns of the plain request> <median ratio> <rounds>`.
//!
//! `--only <plain|tower> --calls N` sends N requests one way and nothing
//! else, untimed, for counting instructions under callgrind (as the
//! middleware bench does).

#![forbid(unsafe_code)]

use std::error::Error;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use qb_auth_client::http;
use qb_auth_client::tower::{TokenLayer, TokenService};
use qb_auth_core::request::QB_TOKEN;
use qb_auth_core::{AppCredentials, Endpoint, SecretString};
use qb_auth_emulator::{Emulator, fixtures};
use qb_auth_reqwest::{Client, Reqwest, SessionSource};
use tower::{Layer, Service};

type Hyper = HyperClient<HttpConnector, Empty<Bytes>>;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (mut rounds, mut batch) = (101usize, 200usize);
    let (mut only, mut calls) = (None, 0usize);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => rounds = args.next().ok_or("--rounds N")?.parse()?,
            "--batch" => batch = args.next().ok_or("--batch N")?.parse()?,
            "--only" => only = Some(args.next().ok_or("--only plain|tower")?),
            "--calls" => calls = args.next().ok_or("--calls N")?.parse()?,
            _ => {} // `cargo bench` passes `--bench`
        }
    }
    let only = match only.as_deref() {
        None => None,
        Some("plain") => Some(true),
        Some("tower") => Some(false),
        Some(other) => return Err(format!("no way {other:?}: plain or tower").into()),
    };
    // The emulator on threads of its own; the requests, hyper's connection
    // tasks and the session's renewals on this one.
    let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let url = format!("{}/users.json", emulator.base_url());
    let app = AppCredentials::new(
        fixtures::APP_ID,
        fixtures::AUTH_KEY,
        SecretString::from(fixtures::AUTH_SECRET),
    )?;
    let client = Client::builder()
        .endpoint(Endpoint::parse(emulator.base_url())?)
        .build()?;
    let session = client.managed(SessionSource::application(app)).build()?;
    let token = runtime.block_on(session.token())?.expose().to_owned();
    let hyper: Hyper = HyperClient::builder(TokioExecutor::new()).build_http();
    let layered = TokenLayer::new(session).layer(hyper.clone());

    let result = runtime.block_on(async {
        let send = |plain: bool| send(&hyper, &layered, &url, &token, plain);
        if let Some(plain) = only {
            for _ in 0..calls {
                send(plain).await?;
            }
            println!("ran\t{}\t{calls}", if plain { "plain" } else { "tower" });
            return Ok(());
        }
        // Warm: connections open, the session's lifecycle settled.
        for _ in 0..batch {
            send(true).await?;
            send(false).await?;
        }
        let (mut ours, mut plain, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let mut total = [0u128; 2];
            for i in 0..batch {
                let order = if (round + i) % 2 == 0 {
                    [false, true]
                } else {
                    [true, false]
                };
                for is_plain in order {
                    let started = Instant::now();
                    send(is_plain).await?;
                    total[usize::from(is_plain)] += started.elapsed().as_nanos();
                }
            }
            let ns = total.map(|t| t as f64 / batch as f64);
            ours.push(ns[0]);
            plain.push(ns[1]);
            ratios.push(ns[0] / ns[1]);
        }
        println!(
            "time\ttower\t{:.0}\t{:.0}\t{:.4}\t{rounds}",
            median(&mut ours),
            median(&mut plain),
            median(&mut ratios)
        );
        Ok::<_, String>(())
    });
    emulator.shutdown();
    Ok(result?)
}

/// Sends `GET url` plain (the token set by hand) or through the layer and
/// reads the answer whole; fails on anything but a 200 with a body.
async fn send(
    hyper: &Hyper,
    layered: &TokenService<Hyper, Reqwest>,
    url: &str,
    token: &str,
    plain: bool,
) -> Result<(), String> {
    let mut request = http::Request::get(url)
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let (status, body) = if plain {
        let value = http::HeaderValue::from_str(token).map_err(|e| e.to_string())?;
        request.headers_mut().insert(QB_TOKEN, value);
        call(hyper, request).await?
    } else {
        call(layered, request).await?
    };
    if status == 200 && !body.is_empty() {
        Ok(())
    } else {
        Err(format!("plain {plain}: answer {status}"))
    }
}

/// As the layer calls its inner service: a clone, made ready, called; the
/// answer read whole.
async fn call<S, B>(
    service: &S,
    request: http::Request<Empty<Bytes>>,
) -> Result<(http::StatusCode, Bytes), String>
where
    S: Service<http::Request<Empty<Bytes>>, Response = http::Response<B>> + Clone,
    S::Error: std::fmt::Display,
    B: http_body::Body,
    B::Error: std::fmt::Display,
{
    let mut service = service.clone();
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(|e| e.to_string())?;
    let answer = service.call(request).await.map_err(|e| e.to_string())?;
    let status = answer.status();
    let body = answer
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, body.to_bytes()))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
