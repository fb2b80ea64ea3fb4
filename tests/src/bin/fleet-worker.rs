//! One process of a fleet, for the fleet tests and the bench: a managed
//! session for Alice shared through Redis, with callers sending requests
//! until told to stop.
//!
//! ```text
//! fleet-worker --api URL --redis URL[,URL...] --transport reqwest|ureq
//!              [--cluster | --sentinel MASTER] [--callers 50] [--pace-ms 500]
//!              [--lease-ms 10000] [--once]
//! ```
//!
//! `--cluster`: the URLs are a Redis Cluster's nodes; `--sentinel MASTER`:
//! they are Sentinels watching MASTER; otherwise one Redis.
//!
//! Prints, one per line: `ready` (after the first token), `event
//! unavailable: <why>` / `event resumed` (the shared store lost and found), and on
//! `stop` (or the end of standard input) `done ok=N failed=M`, then exits.
//! With `--once` it gets one token and prints `done ok=1 failed=0`.

#![forbid(unsafe_code)]

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::{LifecycleEvent, Policy};
use qb_auth_core::{Endpoint, SessionToken};
use qb_auth_tests::fixtures::{alice, app};

struct Args {
    api: String,
    redis: String,
    deployment: Deployment,
    transport: String,
    callers: usize,
    pace: Duration,
    lease: Duration,
    once: bool,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        api: String::new(),
        redis: String::new(),
        deployment: Deployment::Single,
        transport: "reqwest".into(),
        callers: 50,
        pace: Duration::from_millis(500),
        lease: qb_auth_client::fleet::DEFAULT_LEASE_TTL,
        once: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--once" {
            args.once = true;
            continue;
        }
        if flag == "--cluster" {
            args.deployment = Deployment::Cluster;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--api" => args.api = value.clone(),
            "--redis" => args.redis = value.clone(),
            "--transport" => args.transport = value.clone(),
            "--callers" => args.callers = number()? as usize,
            "--pace-ms" => args.pace = Duration::from_millis(number()?),
            "--lease-ms" => args.lease = Duration::from_millis(number()?),
            "--sentinel" => args.deployment = Deployment::Sentinel(value.clone()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

/// How the Redis URLs are to be read.
enum Deployment {
    Single,
    Cluster,
    /// Sentinels watching this master.
    Sentinel(String),
}

impl Args {
    /// The store, of either shape, on the deployment asked for.
    fn store<S>(
        &self,
        single: impl Fn(&str) -> Result<S, StoreError>,
        cluster: impl Fn(&[&str]) -> Result<S, StoreError>,
        sentinel: impl Fn(&[&str], &str) -> Result<S, StoreError>,
    ) -> Result<S, String> {
        let urls: Vec<&str> = self.redis.split(',').collect();
        match &self.deployment {
            Deployment::Single => single(&self.redis),
            Deployment::Cluster => cluster(&urls),
            Deployment::Sentinel(master) => sentinel(&urls, master),
        }
        .map_err(|e| e.to_string())
    }
}

/// The fleet's policy: renewed a little ahead, generous waits.
fn policy() -> Policy {
    Policy::default()
        .with_renew_margin(Duration::from_secs(2))
        .with_backoff(Duration::from_millis(50), Duration::from_millis(500))
        .with_renewal_timeout(Duration::from_secs(30))
        .with_max_wait(Duration::from_secs(90))
}

/// The store's bound on each call: generous, a busy machine is not an
/// outage.
const STORE_TIMEOUT: Duration = Duration::from_secs(5);

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn on_event(event: &LifecycleEvent) {
    match event {
        LifecycleEvent::SharingUnavailable { reason } => {
            say(&format!("event unavailable: {reason}"))
        }
        LifecycleEvent::SharingResumed => say("event resumed"),
        _ => {}
    }
}

/// Counts answers; set `stop` when standard input says so.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    failed: AtomicU64,
    stop: AtomicBool,
}

impl Tally {
    fn record(&self, ok: bool, what: &dyn std::fmt::Display) {
        if ok {
            self.ok.fetch_add(1, Ordering::Relaxed);
        } else {
            self.failed.fetch_add(1, Ordering::Relaxed);
            eprintln!(
                "fleet-worker {}: request failed: {what}",
                std::process::id()
            );
        }
    }

    fn watch_stdin(self: &Arc<Self>) {
        let tally = Arc::clone(self);
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                if line.map_or(true, |l| l.trim() == "stop") {
                    break;
                }
            }
            tally.stop.store(true, Ordering::Release);
        });
    }

    fn done(&self) {
        say(&format!(
            "done ok={} failed={}",
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed)
        ));
    }
}

fn check(token: &SessionToken) -> Result<(), String> {
    if token.expose().is_empty() {
        return Err("an empty token".into());
    }
    Ok(())
}

fn run_reqwest(args: &Args) -> Result<(), String> {
    use qb_auth_redis::RedisStore;
    use qb_auth_reqwest::{Client, SessionSource};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let endpoint = Endpoint::parse(&args.api).map_err(|e| e.to_string())?;
        let client = Client::builder()
            .endpoint(endpoint)
            .build()
            .map_err(|e| e.to_string())?;
        let store = args.store(
            RedisStore::open,
            RedisStore::open_cluster,
            RedisStore::open_sentinel,
        )?;
        let session = client
            .managed(SessionSource::user(app(), alice()))
            .policy(policy())
            .share(store.with_timeout(STORE_TIMEOUT))
            .lease_ttl(args.lease)
            .on_event(on_event)
            .build()
            .map_err(|e| e.to_string())?;
        check(&session.token().await.map_err(|e| e.to_string())?)?;
        let tally = Arc::new(Tally::default());
        if args.once {
            tally.record(true, &"");
            tally.done();
            return Ok(());
        }
        say("ready");
        tally.watch_stdin();
        let mut callers = Vec::new();
        for _ in 0..args.callers {
            let (session, tally, api, pace) = (
                session.clone(),
                Arc::clone(&tally),
                args.api.clone(),
                args.pace,
            );
            callers.push(tokio::spawn(async move {
                while !tally.stop.load(Ordering::Acquire) {
                    let request = http::Request::get(format!("{api}/users.json"))
                        .body(())
                        .expect("a request");
                    match session.send(request).await {
                        Ok(answer) => tally.record(answer.status().is_success(), &answer.status()),
                        Err(err) => tally.record(false, &err),
                    }
                    tokio::time::sleep(pace).await;
                }
            }));
        }
        for caller in callers {
            caller.await.map_err(|e| e.to_string())?;
        }
        tally.done();
        Ok(())
    })
}

fn run_ureq(args: &Args) -> Result<(), String> {
    use qb_auth_redis::BlockingRedisStore;
    use qb_auth_ureq::{Client, SessionSource};

    let endpoint = Endpoint::parse(&args.api).map_err(|e| e.to_string())?;
    let client = Client::builder()
        .endpoint(endpoint)
        .build()
        .map_err(|e| e.to_string())?;
    let store = args.store(
        BlockingRedisStore::open,
        BlockingRedisStore::open_cluster,
        BlockingRedisStore::open_sentinel,
    )?;
    let session = client
        .managed(SessionSource::user(app(), alice()))
        .policy(policy())
        .share(store.with_timeout(STORE_TIMEOUT))
        .lease_ttl(args.lease)
        .on_event(on_event)
        .build()
        .map_err(|e| e.to_string())?;
    check(&session.token().map_err(|e| e.to_string())?)?;
    let tally = Arc::new(Tally::default());
    if args.once {
        tally.record(true, &"");
        tally.done();
        return Ok(());
    }
    say("ready");
    tally.watch_stdin();
    let callers: Vec<_> = (0..args.callers)
        .map(|_| {
            let (session, tally, api, pace) = (
                session.clone(),
                Arc::clone(&tally),
                args.api.clone(),
                args.pace,
            );
            std::thread::spawn(move || {
                while !tally.stop.load(Ordering::Acquire) {
                    let request = http::Request::get(format!("{api}/users.json"))
                        .body(())
                        .expect("a request");
                    match session.send(request) {
                        Ok(answer) => tally.record(answer.status().is_success(), &answer.status()),
                        Err(err) => tally.record(false, &err),
                    }
                    std::thread::sleep(pace);
                }
            })
        })
        .collect();
    for caller in callers {
        caller.join().map_err(|_| "a caller panicked".to_owned())?;
    }
    tally.done();
    Ok(())
}

fn main() {
    let result = parse().and_then(|args| match args.transport.as_str() {
        "reqwest" => run_reqwest(&args),
        "ureq" => run_ureq(&args),
        other => Err(format!("unknown transport {other}")),
    });
    if let Err(err) = result {
        eprintln!("fleet-worker: {err}");
        std::process::exit(1);
    }
}
