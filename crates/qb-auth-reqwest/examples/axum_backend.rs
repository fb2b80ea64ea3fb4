//! An axum backend with QuickBlox behind it, to copy:
//!
//! - one managed application session, shared by every handler through the
//!   state and renewed once however many requests need it;
//! - `GET /users`: a QuickBlox call made with the backend's own reqwest
//!   client, the token put on by `TokenMiddleware`, the answer streamed
//!   back;
//! - `POST /mint`: a user session minted for a mobile app, which gets a
//!   token and never the auth secret (the token-provider pattern);
//! - `GET /metrics`: the client's metrics in Prometheus's text format
//!   (`metrics-exporter-prometheus`);
//! - `GET /healthz`: the managed session's status, 200 while a token is
//!   live or can be had, 503 while QuickBlox refuses the credentials.
//!
//! ```sh
//! # Against the embedded emulator (nothing to set up):
//! cargo run -p qb-auth-reqwest --features middleware,metrics --example axum_backend
//! # Against QuickBlox (QB_AUTH_SECRET_FILE=... instead of QB_AUTH_SECRET works too):
//! QB_API=https://api.quickblox.com QB_APP_ID=... QB_AUTH_KEY=... QB_AUTH_SECRET=... \
//!     cargo run -p qb-auth-reqwest --features middleware,metrics --example axum_backend
//! # On the emulator and a free port: call every handler, exit non-zero on
//! # failure (CI runs this):
//! cargo run -p qb-auth-reqwest --features middleware,metrics --example axum_backend -- --self-check
//! ```

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use qb_auth_reqwest::qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
use qb_auth_reqwest::{Client, ManagedSession, SessionSource, TokenMiddleware, reqwest_builder};
use reqwest_middleware::ClientWithMiddleware;
use serde::{Deserialize, Serialize};

/// What every handler shares.
#[derive(Clone)]
struct Backend {
    /// The QuickBlox API host, such as `https://api.quickblox.com`.
    api: String,
    /// The backend's own reqwest client, with the managed session's token
    /// on every request for the API host.
    quickblox: ClientWithMiddleware,
    /// For one-shot calls: minting user sessions.
    client: Client,
    app: Arc<AppCredentials>,
    /// The session the middleware uses, for `/healthz`.
    session: ManagedSession,
    /// What `/metrics` renders.
    metrics: PrometheusHandle,
}

/// `GET /users`: QuickBlox's user list, through the middleware.
async fn users(State(backend): State<Backend>) -> Response {
    let url = format!("{}/users.json", backend.api);
    match backend.quickblox.get(url).send().await {
        Ok(answer) => {
            // Status, content type and a body that streams through.
            let status = answer.status();
            let content_type = answer.headers().get(reqwest::header::CONTENT_TYPE).cloned();
            let body = Body::new(http::Response::<reqwest::Body>::from(answer).into_body());
            let mut response = (status, body).into_response();
            if let Some(content_type) = content_type {
                response
                    .headers_mut()
                    .insert(reqwest::header::CONTENT_TYPE, content_type);
            }
            response
        }
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

/// What a mobile app sends to get a session. A real backend knows its
/// user already (its own login, a cookie) and looks up their QuickBlox
/// credentials; the demo takes them from the request.
#[derive(Deserialize, Serialize)]
struct MintRequest {
    login: String,
    password: String,
}

/// What it gets back: a token for QuickBlox, and who it is for.
#[derive(Deserialize, Serialize)]
struct Minted {
    token: String,
    user_id: Option<u64>,
}

/// `POST /mint`: a user session for the mobile app.
async fn mint(
    State(backend): State<Backend>,
    Json(request): Json<MintRequest>,
) -> Result<Json<Minted>, (StatusCode, String)> {
    let identity = Identity::login(request.login, request.password)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let session = backend
        .client
        .create_session(&backend.app, &identity)
        .await
        .map_err(|e| {
            let status = match e.status().map(|s| s.as_u16()) {
                Some(401) => StatusCode::UNAUTHORIZED,
                _ => StatusCode::BAD_GATEWAY,
            };
            (status, e.to_string())
        })?;
    Ok(Json(Minted {
        token: session.token.expose().to_owned(),
        user_id: session.user(),
    }))
}

/// `GET /metrics`: the client's counters and histograms for Prometheus.
async fn metrics(State(backend): State<Backend>) -> Response {
    backend.metrics.run_upkeep();
    let content_type = [(
        http::header::CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8",
    )];
    (content_type, backend.metrics.render()).into_response()
}

/// What `/healthz` says.
#[derive(Deserialize, Serialize)]
struct Health {
    ready: bool,
    phase: String,
    token_seconds_left: Option<u64>,
    last_failure: Option<String>,
}

/// `GET /healthz`: ready while the session has a live token or can get
/// one; not while QuickBlox refuses its credentials.
async fn healthz(State(backend): State<Backend>) -> (StatusCode, Json<Health>) {
    let status = backend.session.status();
    let health = Health {
        ready: status.is_ready(),
        phase: format!("{:?}", status.lifecycle.phase),
        token_seconds_left: status.lifecycle.time_left.map(|left| left.as_secs()),
        last_failure: status.lifecycle.last_failure.map(|e| e.to_string()),
    };
    let code = if health.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(health))
}

/// QuickBlox from `QB_API`, and `QB_APP_ID`, `QB_AUTH_KEY` and
/// `QB_AUTH_SECRET` (or `QB_AUTH_SECRET_FILE`), if `QB_API` is set.
fn quickblox_from_env() -> Result<Option<(String, AppCredentials)>, Box<dyn Error>> {
    let Ok(api) = std::env::var("QB_API") else {
        return Ok(None);
    };
    Ok(Some((api, AppCredentials::from_env()?)))
}

fn router(backend: Backend) -> Router {
    Router::new()
        .route("/users", get(users))
        .route("/mint", post(mint))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(backend)
}

/// The backend's state for `app` on `api`: one client, one managed session
/// under the middleware.
fn backend(
    api: String,
    app: AppCredentials,
    metrics: PrometheusHandle,
) -> Result<Backend, Box<dyn Error>> {
    let client = Client::builder().endpoint(Endpoint::parse(&api)?).build()?;
    let session = client
        .managed(SessionSource::application(app.clone()))
        .build()?;
    let quickblox = reqwest_middleware::ClientBuilder::new(reqwest_builder()?.build()?)
        .with(TokenMiddleware::new(session.clone()))
        .build();
    Ok(Backend {
        api,
        quickblox,
        client,
        app: Arc::new(app),
        session,
        metrics,
    })
}

async fn run(self_check: bool) -> Result<(), Box<dyn Error>> {
    // Without QuickBlox settings, the embedded emulator with its demo
    // application and users (kept alive until the end of `run`).
    let mut emulator = None;
    // The self-check knows the emulator's users only.
    let quickblox = if self_check {
        None
    } else {
        quickblox_from_env()?
    };
    let (api, app) = match quickblox {
        Some(quickblox) => quickblox,
        None => {
            let started = qb_auth_emulator::Emulator::with_demo_fixtures()
                .start()
                .await?;
            let api = started.base_url().to_owned();
            emulator = Some(started);
            let app = AppCredentials::new(
                qb_auth_emulator::fixtures::APP_ID,
                qb_auth_emulator::fixtures::AUTH_KEY,
                SecretString::from(qb_auth_emulator::fixtures::AUTH_SECRET),
            )?;
            (api, app)
        }
    };

    // The process's one recorder: every client metric lands here.
    let metrics = PrometheusBuilder::new().install_recorder()?;
    let backend = backend(api, app, metrics.clone())?;

    let address = if self_check {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:3000"
    };
    let listener = tokio::net::TcpListener::bind(address).await?;
    let base = format!("http://{}", listener.local_addr()?);
    if !self_check {
        println!("listening on {base}: GET /users, POST /mint");
        axum::serve(listener, router(backend)).await?;
        return Ok(());
    }
    let server = tokio::spawn(async move { axum::serve(listener, router(backend)).await });
    let control = emulator.as_ref().map(|e| e.control());
    let mut checked = check(&base, control.clone()).await;
    if let (Ok(()), Some(control)) = (&checked, control) {
        checked = check_operations(&base, &control, metrics).await;
    }
    server.abort();
    drop(emulator);
    checked
}

/// Calls both handlers as a mobile app and a web page would; minting also
/// through the faults a real QuickBlox has (a 503, a 429 with
/// `Retry-After`, a server clock 90 minutes ahead), which the client's
/// retries absorb.
async fn check(
    base: &str,
    emulator: Option<qb_auth_emulator::EmulatorControl>,
) -> Result<(), Box<dyn Error>> {
    let http = reqwest::Client::new();

    let users = http.get(format!("{base}/users")).send().await?;
    if users.status() != StatusCode::OK {
        return Err(format!("GET /users answered {}", users.status()).into());
    }
    let body = users.text().await?;
    if body.is_empty() {
        return Err("GET /users answered an empty body".into());
    }
    println!("GET /users: 200, {} bytes", body.len());

    let alice = MintRequest {
        login: qb_auth_emulator::fixtures::ALICE_LOGIN.to_owned(),
        password: qb_auth_emulator::fixtures::ALICE_PASSWORD.to_owned(),
    };
    let minted = post_json(&http, &format!("{base}/mint"), &alice).await?;
    if minted.status() != StatusCode::OK {
        return Err(format!("POST /mint answered {}", minted.status()).into());
    }
    let minted: Minted = serde_json::from_slice(&minted.bytes().await?)?;
    if minted.user_id != Some(qb_auth_emulator::fixtures::ALICE_ID) || minted.token.is_empty() {
        return Err(format!("POST /mint minted for {:?}", minted.user_id).into());
    }
    println!(
        "POST /mint: a user session for user {}",
        qb_auth_emulator::fixtures::ALICE_ID
    );

    if let Some(emulator) = emulator {
        use qb_auth_emulator::Fault;
        let faults = [
            ("a 503", Fault::Status503),
            (
                "a 429 with Retry-After: 1",
                Fault::Status429 {
                    retry_after_secs: 1,
                },
            ),
        ];
        for (what, fault) in faults {
            emulator.fail_next(1, fault);
            let minted = post_json(&http, &format!("{base}/mint"), &alice).await?;
            if minted.status() != StatusCode::OK {
                return Err(
                    format!("POST /mint through {what} answered {}", minted.status()).into(),
                );
            }
            println!("POST /mint through {what}: 200");
        }
        let served = emulator.stats().faults;
        if (served.status_503, served.status_429) != (1, 1) {
            return Err("the emulator did not serve the faults".into());
        }
        emulator.set_clock_offset(90 * 60);
        let minted = post_json(&http, &format!("{base}/mint"), &alice).await?;
        emulator.set_clock_offset(0);
        if minted.status() != StatusCode::OK || emulator.stats().bad_timestamps != 1 {
            return Err(format!(
                "POST /mint with the server clock 90 minutes ahead answered {}",
                minted.status()
            )
            .into());
        }
        println!("POST /mint with the server clock 90 minutes ahead: 200 (signed again once)");
    }

    let wrong = MintRequest {
        login: alice.login,
        password: "not the password".to_owned(),
    };
    let refused = post_json(&http, &format!("{base}/mint"), &wrong).await?;
    if refused.status() != StatusCode::UNAUTHORIZED {
        return Err(format!(
            "POST /mint with a wrong password answered {}",
            refused.status()
        )
        .into());
    }
    println!("POST /mint with a wrong password: 401");
    Ok(())
}

/// What an operator sees: a renewal in `/metrics`, and `/healthz` ready
/// for this backend and not ready for one whose secret QuickBlox refuses.
async fn check_operations(
    base: &str,
    emulator: &qb_auth_emulator::EmulatorControl,
    metrics: PrometheusHandle,
) -> Result<(), Box<dyn Error>> {
    let http = reqwest::Client::new();
    // The server drops the session: the next request renews it (once).
    emulator.expire_all_sessions();
    let users = http.get(format!("{base}/users")).send().await?;
    if users.status() != StatusCode::OK {
        return Err(format!("GET /users after an expiry answered {}", users.status()).into());
    }
    let page = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    for line in [
        r#"qb_auth_renewals_total{reason="cold_start"} 1"#,
        r#"qb_auth_renewals_total{reason="rejected"} 1"#,
        r#"qb_auth_sessions_total{operation="renew",outcome="created"} 1"#,
        // Through a 503, a 429, and two re-signs: the clock moved ahead,
        // then back (the wrong password's mint signed with the offset
        // measured before).
        r#"qb_auth_retries_total{operation="create_user_session"} 4"#,
        r#"qb_auth_failures_total{kind="invalid_credentials"} 1"#,
    ] {
        if !page.lines().any(|l| l == line) {
            return Err(format!("GET /metrics has no line {line}:\n{page}").into());
        }
    }
    println!("GET /metrics after a renewal:");
    for line in page
        .lines()
        .filter(|l| l.starts_with("qb_auth_") && !l.contains("_bucket"))
    {
        println!("  {line}");
    }

    let answer = http.get(format!("{base}/healthz")).send().await?;
    let health: Health = serde_json::from_slice(&answer.bytes().await?)?;
    if !health.ready {
        return Err(format!("GET /healthz is not ready: {:?}", health.last_failure).into());
    }
    println!(
        "GET /healthz: 200, ready, {} s left",
        health.token_seconds_left.unwrap_or(0)
    );

    // A second backend whose secret QuickBlox refuses: not ready.
    let wrong = AppCredentials::new(
        qb_auth_emulator::fixtures::APP_ID,
        qb_auth_emulator::fixtures::AUTH_KEY,
        SecretString::from("not-the-secret"),
    )?;
    let refused = backend(emulator.base_url().to_owned(), wrong, metrics)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let other = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, router(refused)).await });
    let users = http.get(format!("{other}/users")).send().await?;
    let answer = http.get(format!("{other}/healthz")).send().await?;
    let code = answer.status();
    let health: Health = serde_json::from_slice(&answer.bytes().await?)?;
    server.abort();
    if users.status() != StatusCode::BAD_GATEWAY
        || code != StatusCode::SERVICE_UNAVAILABLE
        || health.ready
    {
        return Err(format!(
            "with a refused secret: /users {} /healthz {code}",
            users.status()
        )
        .into());
    }
    println!(
        "GET /healthz with a refused secret: 503, {}",
        health.last_failure.unwrap_or_default()
    );
    Ok(())
}

async fn post_json(
    http: &reqwest::Client,
    url: &str,
    body: &MintRequest,
) -> Result<reqwest::Response, Box<dyn Error>> {
    Ok(http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(body)?)
        .send()
        .await?)
}

#[tokio::main]
async fn main() -> ExitCode {
    let self_check = std::env::args().any(|arg| arg == "--self-check");
    match run(self_check).await {
        Ok(()) => {
            if self_check {
                println!("self-check passed");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("axum_backend: {err}");
            ExitCode::FAILURE
        }
    }
}
