//! The end-to-end part: the clients against the emulator on loopback.
//!
//! Client and emulator share this process and the machine's two cores, on
//! separate Tokio runtimes whose threads are named apart (`qbc-*`, `qbe-*`),
//! so that each side's CPU time is read per thread from `/proc`. One
//! process rather than a separate `qb-auth emulator` process: the
//! throughput target is for client and emulator sharing the two cores, which both
//! ways give, and one process needs no port hand-over or process cleanup
//! and still tells the two sides' CPU time apart.
//!
//! Every throughput run has a baseline run beside it: the same HTTP client
//! sending `GET /session.json` with a token, a cheap authenticated round
//! trip the emulator answers (no signing, no parsing by the core, no
//! session created). The ratio says how close the client comes to what its
//! HTTP stack does on this machine in the same minute. It is a reference,
//! not a strict floor: the emulator's work differs between the two calls.

mod burst;
mod cpu;
mod node;
mod oneshot;
mod renewal;
mod setup;
mod throughput;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use qb_auth_core::{Identity, Session};
use serde::{Deserialize, Serialize};

pub(crate) use burst::Burst;
pub(crate) use oneshot::OneShot;
pub(crate) use renewal::Renewal;
pub(crate) use throughput::Throughput;

use crate::cargo;
use crate::js_sdk::Installed;
use setup::Stage;
use throughput::{Run, Span, run_async, run_blocking};

/// Concurrency of the loaded reqwest run (its target's).
pub(crate) const IN_FLIGHT: u32 = 32;

/// Everything the end-to-end part measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EndToEnd {
    /// Client runs, each with its baseline: `(client, baseline)`.
    pub(crate) pairs: Vec<(Throughput, Throughput)>,
    /// The official JavaScript SDK against the same emulator, if measured.
    #[serde(default)]
    pub(crate) js_sdk: Vec<Throughput>,
    pub(crate) renewal: Renewal,
    /// 1,000 tasks creating a session each at once.
    #[serde(default)]
    pub(crate) burst: Burst,
    /// One-shot create-session with retries on and off, nothing failing.
    #[serde(default)]
    pub(crate) oneshot: OneShot,
}

impl EndToEnd {
    pub(crate) fn run(&self, id: &str) -> Option<&Throughput> {
        self.pairs
            .iter()
            .map(|(run, _)| run)
            .chain(&self.js_sdk)
            .find(|run| run.id == id)
    }
}

/// Compiles the release build of this crate that measures.
pub(crate) fn build(root: &Path) -> Result<(), String> {
    println!("building the end-to-end bench (release)...");
    let status = cargo(root)
        .args(["build", "--release", "--quiet", "-p", "xtask"])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("building xtask in release failed ({status})"))
    }
}

/// Runs the end-to-end part in a release build and reads its results.
/// `cargo xtask` itself is a debug build: the clients and the emulator
/// must not be measured unoptimised.
pub(crate) fn run_release(
    root: &Path,
    quick: bool,
    js_sdk: Option<&Installed>,
) -> Result<EndToEnd, String> {
    let mut command = cargo(root);
    command.args(["run", "--release", "--quiet", "-p", "xtask", "--", "e2e"]);
    if quick {
        command.arg("--quick");
    }
    if let Some(sdk) = js_sdk {
        command
            .arg("--js-sdk-dir")
            .arg(&sdk.dir)
            .arg("--js-sdk-script")
            .arg(&sdk.script);
    }
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("the end-to-end bench failed ({})", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = stdout
        .lines()
        .last()
        .ok_or("the end-to-end bench printed nothing")?;
    serde_json::from_str(json).map_err(|e| format!("unreadable end-to-end results: {e}"))
}

/// The `e2e` subcommand: measure, then print the results as one JSON line.
pub(crate) fn run_and_print(quick: bool, js_sdk: Option<Installed>) -> Result<(), String> {
    let results = measure(quick, js_sdk.as_ref())?;
    let json = serde_json::to_string(&results).map_err(|e| format!("results to JSON: {e}"))?;
    println!("{json}");
    Ok(())
}

fn measure(quick: bool, js_sdk: Option<&Installed>) -> Result<EndToEnd, String> {
    let span = if quick {
        Span {
            warm_up: Duration::from_millis(300),
            measure: Duration::from_millis(1500),
        }
    } else {
        Span {
            warm_up: Duration::from_secs(1),
            measure: Duration::from_secs(5),
        }
    };
    let renewal_rounds = if quick { 3 } else { 10 };
    let (pairs, js_sdk) = on_new_stage(|stage| {
        let mut pairs = measure_reqwest(stage, span)?;
        pairs.push(measure_ureq(stage, span)?);
        let mut js = Vec::new();
        if let Some(sdk) = js_sdk {
            for in_flight in [1, IN_FLIGHT] {
                eprintln!("e2e: the official JS SDK, {in_flight} in flight...");
                js.push(node::run(stage, span, sdk, in_flight)?);
            }
        }
        Ok((pairs, js))
    })?;
    // A new emulator: the one above holds the hundreds of thousands of
    // sessions just created, and pruning them would be timed as part of
    // the renewal.
    eprintln!(
        "e2e: {} callers on an expired managed session...",
        renewal::CALLERS
    );
    let renewal = on_new_stage(|stage| renewal::run(stage, renewal_rounds))?;
    eprintln!(
        "e2e: {} tasks creating a session each at once...",
        burst::TASKS
    );
    let burst = on_new_stage(|stage| burst::run(stage, renewal_rounds))?;
    eprintln!("e2e: one-shot create-session, retries on and off...");
    let oneshot = on_new_stage(|stage| oneshot::run(stage, renewal_rounds * 2))?;
    Ok(EndToEnd {
        pairs,
        js_sdk,
        renewal,
        burst,
        oneshot,
    })
}

/// Runs `f` on a fresh emulator and client runtime, then stops both.
fn on_new_stage<T>(f: impl FnOnce(&mut Stage) -> Result<T, String>) -> Result<T, String> {
    let mut stage = Stage::new()?;
    let result = f(&mut stage);
    stage.shutdown();
    result
}

/// Sessions over reqwest, one and 32 in flight, each with its baseline.
fn measure_reqwest(stage: &mut Stage, span: Span) -> Result<Vec<(Throughput, Throughput)>, String> {
    let mut pairs = Vec::new();
    let http = stage.reqwest_http()?;
    let reqwest_client = {
        let _entered = stage.client_runtime.enter();
        Arc::new(
            qb_auth_reqwest::Client::builder()
                .endpoint(stage.endpoint.clone())
                .http_client(http.clone())
                .nonces(stage.nonces())
                .build()
                .map_err(|e| format!("reqwest adapter: {e}"))?,
        )
    };
    // A token for the baseline runs.
    let session = stage
        .client_runtime
        .block_on(reqwest_client.create_session(&stage.app, &Identity::application()))
        .map_err(|e| format!("creating the baseline's session: {e}"))?;
    let baseline_url = stage.endpoint.url("session.json");

    for (id, in_flight) in [("reqwest_seq", 1), ("reqwest_32", IN_FLIGHT)] {
        eprintln!("e2e: reqwest, {in_flight} in flight...");
        let client = Arc::clone(&reqwest_client);
        // Shared, not cloned per session: a clone would copy the secret.
        let app = Arc::new(stage.app.clone());
        let label = format!("create session, reqwest, {in_flight} in flight");
        let run = Run {
            id,
            label: &label,
            in_flight,
        };
        let measured = run_async(stage, span, &run, move || {
            let client = Arc::clone(&client);
            let app = Arc::clone(&app);
            async move {
                client
                    .create_session(&app, &Identity::application())
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        })?;
        let baseline_label = format!("baseline: GET /session.json, reqwest, {in_flight} in flight");
        let baseline_run = Run {
            id: &format!("{id}_baseline"),
            label: &baseline_label,
            in_flight,
        };
        let baseline = run_async(
            stage,
            span,
            &baseline_run,
            reqwest_baseline(http.clone(), baseline_url.clone(), &session),
        )?;
        pairs.push((measured, baseline));
    }
    Ok(pairs)
}

/// Sessions over ureq, one after the other, with the baseline.
fn measure_ureq(stage: &mut Stage, span: Span) -> Result<(Throughput, Throughput), String> {
    eprintln!("e2e: ureq, sequential...");
    let agent = stage.ureq_agent();
    let ureq_client = qb_auth_ureq::Client::builder()
        .endpoint(stage.endpoint.clone())
        .http_client(agent.clone())
        .nonces(stage.nonces())
        .build()
        .map_err(|e| format!("ureq adapter: {e}"))?;
    // A token for the baseline run.
    let session = ureq_client
        .create_session(&stage.app, &Identity::application())
        .map_err(|e| format!("creating the baseline's session: {e}"))?;
    let app = stage.app.clone();
    let run = Run {
        id: "ureq_seq",
        label: "create session, ureq, sequential",
        in_flight: 1,
    };
    let measured = run_blocking(span, &run, move || {
        ureq_client
            .create_session(&app, &Identity::application())
            .map(drop)
            .map_err(|e| e.to_string())
    })?;
    let baseline_run = Run {
        id: "ureq_seq_baseline",
        label: "baseline: GET /session.json, ureq, sequential",
        in_flight: 1,
    };
    let baseline_url = stage.endpoint.url("session.json");
    let baseline = run_blocking(
        span,
        &baseline_run,
        ureq_baseline(agent, baseline_url, &session),
    )?;
    Ok((measured, baseline))
}

/// One baseline request over reqwest: the token header, the answer read whole.
fn reqwest_baseline(
    http: reqwest::Client,
    url: String,
    session: &Session,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
+ Send
+ Sync
+ 'static {
    let token = session.token.expose().to_owned();
    move || {
        let request = http.get(&url).header("QB-Token", &token).send();
        Box::pin(async move {
            let answer = request.await.map_err(|e| e.without_url().to_string())?;
            let status = answer.status();
            let body = answer
                .bytes()
                .await
                .map_err(|e| e.without_url().to_string())?;
            if status == reqwest::StatusCode::OK && !body.is_empty() {
                Ok(())
            } else {
                Err(format!("baseline answer {status}"))
            }
        })
    }
}

/// One baseline request over ureq.
fn ureq_baseline(
    agent: ureq::Agent,
    url: String,
    session: &Session,
) -> impl Fn() -> Result<(), String> + Send + 'static {
    let token = session.token.expose().to_owned();
    move || {
        let mut answer = agent
            .get(&url)
            .header("QB-Token", &token)
            .call()
            .map_err(|e| e.to_string())?;
        let status = answer.status();
        let body = answer.body_mut().read_to_vec().map_err(|e| e.to_string())?;
        if status == http::StatusCode::OK && !body.is_empty() {
            Ok(())
        } else {
            Err(format!("baseline answer {status}"))
        }
    }
}

/// An end-to-end result with only renewal rounds, `(ms, renewals, tokens,
/// errors)` each, for tests of what reads it.
#[cfg(test)]
pub(crate) fn renewal_for_tests(rounds: &[(f64, u64, usize, usize)]) -> EndToEnd {
    EndToEnd {
        pairs: Vec::new(),
        js_sdk: Vec::new(),
        renewal: Renewal {
            callers: renewal::CALLERS,
            rounds: rounds
                .iter()
                .map(
                    |&(all_served_ms, renewals, distinct_tokens, errors)| renewal::Round {
                        all_served_ms,
                        renewals,
                        distinct_tokens,
                        errors,
                    },
                )
                .collect(),
        },
        burst: Burst::default(),
        oneshot: OneShot::default(),
    }
}
