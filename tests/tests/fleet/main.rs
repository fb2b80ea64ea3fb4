//! A fleet of processes sharing one session through real Redis servers
//! started here on free loopback ports and stopped by their process ids:
//! one `redis-server`, a cluster of three, and a master with a replica
//! watched by three `redis-sentinel`s.
//!
//! Its own harness (`harness = false`): without `redis-server` (or, for
//! the Sentinel tests, `redis-sentinel`) it prints one line saying which
//! tests were skipped and how to run them, unless `QB_AUTH_REQUIRE_REDIS=1`
//! (CI) makes that a failure. `cargo test --test fleet -- NAME` runs the
//! tests whose name contains NAME.

mod cluster;
mod edges;
mod processes;
mod sentinel;
mod sharing;
mod stores;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use qb_auth_client::fleet::FleetState;
use qb_auth_core::lifecycle::{ClockSkew, LifecycleEvent, LifecycleSnapshot};
use qb_auth_core::{Session, SessionToken};
use qb_auth_emulator::{BlockingEmulator, Emulator};
use qb_auth_tests::redis_server;

const WORKER: &str = env!("CARGO_BIN_EXE_fleet-worker");
/// Generous: two busy cores run eight processes of fifty callers each.
const READY: Duration = Duration::from_secs(120);
const STOP: Duration = Duration::from_secs(60);

/// The Redis binaries found here.
struct Binaries {
    server: PathBuf,
    /// `redis-sentinel`, for the failover tests.
    sentinel: Option<PathBuf>,
}

/// What a test needs from this machine.
#[derive(Clone, Copy, PartialEq)]
enum Needs {
    Server,
    Sentinel,
}

type Test = fn(&Binaries);

fn main() {
    let tests: &[(&str, Needs, Test)] = &[
        (
            "fencing_async_store",
            Needs::Server,
            stores::fencing_async_store,
        ),
        (
            "fencing_blocking_store",
            Needs::Server,
            stores::fencing_blocking_store,
        ),
        (
            "two_sessions_share_one_over_ureq",
            Needs::Server,
            sharing::two_sessions_share_one_over_ureq,
        ),
        (
            "two_sessions_share_one_over_reqwest",
            Needs::Server,
            sharing::two_sessions_share_one_over_reqwest,
        ),
        (
            "a_login_leaves_the_fleet",
            Needs::Server,
            sharing::a_login_leaves_the_fleet,
        ),
        (
            "rediss_verifies_the_server",
            Needs::Server,
            sharing::rediss_verifies_the_server,
        ),
        (
            "poisoned_copies_are_ignored_dropped_and_renewed",
            Needs::Server,
            edges::poisoned_copies_are_ignored_dropped_and_renewed,
        ),
        (
            "an_out_of_range_version_is_reported",
            Needs::Server,
            edges::an_out_of_range_version_is_reported,
        ),
        (
            "a_lease_without_expiry_is_stale",
            Needs::Server,
            edges::a_lease_without_expiry_is_stale,
        ),
        (
            "a_flooded_channel_costs_one_subscription",
            Needs::Server,
            edges::a_flooded_channel_costs_one_subscription,
        ),
        (
            "every_call_to_a_frozen_redis_ends_in_time",
            Needs::Server,
            edges::every_call_to_a_frozen_redis_ends_in_time,
        ),
        (
            "a_lease_asked_for_too_late_is_not_taken",
            Needs::Server,
            edges::a_lease_asked_for_too_late_is_not_taken,
        ),
        (
            "the_published_expiry_is_exact",
            Needs::Server,
            edges::the_published_expiry_is_exact,
        ),
        (
            "cold_start_of_20_creates_one_session",
            Needs::Server,
            processes::cold_start_of_20_creates_one_session,
        ),
        (
            "fleet_of_8_creates_one_session_per_expiry",
            Needs::Server,
            processes::fleet_of_8_creates_one_session_per_expiry,
        ),
        (
            "lease_holder_killed_mid_renewal",
            Needs::Server,
            processes::lease_holder_killed_mid_renewal,
        ),
        (
            "redis_stopped_then_restarted",
            Needs::Server,
            processes::redis_stopped_then_restarted,
        ),
        (
            "cluster_cold_start_of_20_creates_one_session",
            Needs::Server,
            processes::cluster_cold_start_of_20_creates_one_session,
        ),
        (
            "cluster_fleet_of_8_creates_one_session_per_expiry",
            Needs::Server,
            processes::cluster_fleet_of_8_creates_one_session_per_expiry,
        ),
        (
            "cluster_lease_holder_killed_mid_renewal",
            Needs::Server,
            processes::cluster_lease_holder_killed_mid_renewal,
        ),
        (
            "cluster_stopped_then_restarted",
            Needs::Server,
            processes::cluster_stopped_then_restarted,
        ),
        (
            "cluster_members_of_every_node_share_while_a_slot_moves",
            Needs::Server,
            cluster::members_of_every_node_share_while_a_slot_moves,
        ),
        (
            "cluster_stores_fence_and_wake_wherever_the_slot_is",
            Needs::Server,
            cluster::stores_fence_and_wake_wherever_the_slot_is,
        ),
        (
            "sentinel_master_killed_mid_renewal",
            Needs::Sentinel,
            sentinel::master_killed_mid_renewal,
        ),
        (
            "sentinel_fencing_never_goes_back",
            Needs::Sentinel,
            sentinel::fencing_never_goes_back,
        ),
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    // cargo nextest lists a binary's tests in libtest's terse format, then
    // runs each with `--exact NAME`; none of these is ignored.
    if flag("--list") {
        if !flag("--ignored") {
            for (name, _, _) in tests {
                println!("{name}: test");
            }
        }
        return;
    }
    let Some(server) = redis_server::find() else {
        missing("redis-server", "redis-server", "all the fleet tests");
        return;
    };
    let binaries = Binaries {
        server,
        sentinel: redis_server::find_sentinel(),
    };
    let filter = args.iter().find(|a| !a.starts_with('-'));
    let exact = flag("--exact");
    let chosen: Vec<_> = tests
        .iter()
        .filter(|(name, _, _)| {
            filter.is_none_or(|f| {
                if exact {
                    name == f
                } else {
                    name.contains(f.as_str())
                }
            })
        })
        .collect();
    if binaries.sentinel.is_none() && chosen.iter().any(|(_, needs, _)| *needs == Needs::Sentinel) {
        missing("redis-sentinel", "redis-sentinel", "the Sentinel tests");
    }
    let mut ran = 0;
    for (name, needs, test) in chosen {
        if *needs == Needs::Sentinel && binaries.sentinel.is_none() {
            continue;
        }
        let started = Instant::now();
        println!("test fleet::{name} ...");
        test(&binaries);
        println!(
            "test fleet::{name} ... ok ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        ran += 1;
    }
    println!("fleet: {ran} tests passed against redis-server");
}

/// Says that `binary` is missing: a failure where it is required, else a
/// line saying what was skipped.
fn missing(binary: &str, package: &str, what: &str) {
    if redis_server::required() {
        eprintln!(
            "{binary} not found, and {}=1 makes that a failure (apt-get install {package})",
            redis_server::REQUIRE_VAR
        );
        std::process::exit(1);
    }
    println!(
        "Redis tests skipped: {what}, {binary} not found (apt-get install {package}, then cargo test --test fleet)"
    );
}

fn emulator() -> BlockingEmulator {
    Emulator::with_demo_fixtures()
        // Short: a fleet copy's key lives no longer than this.
        .session_ttl(Duration::from_secs(20))
        .start_blocking()
        .expect("the emulator starts")
}

fn snapshot(token: &str) -> LifecycleSnapshot {
    let until = SystemTime::now() + Duration::from_secs(600);
    LifecycleSnapshot::new(
        Some((Session::new(SessionToken::new(token)), until)),
        ClockSkew::ZERO,
    )
}

fn token_of(state: &FleetState) -> Option<String> {
    state
        .session
        .as_ref()
        .and_then(|s| s.session())
        .map(|s| s.token.expose().to_owned())
}

/// Polls `done` every 20 ms until it holds; panics with `what` after
/// `within`.
fn eventually(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The sharing events a session's listener saw, and their reasons.
#[derive(Clone, Default)]
struct Sharing(Arc<Mutex<Vec<(&'static str, String)>>>);

impl Sharing {
    fn listener(&self) -> impl Fn(&LifecycleEvent) + Send + Sync + 'static {
        let seen = self.0.clone();
        move |event| {
            let entry = match event {
                LifecycleEvent::SharingUnavailable { reason } => ("unavailable", reason.clone()),
                LifecycleEvent::SharingResumed => ("resumed", String::new()),
                LifecycleEvent::SharedSessionIgnored { reason } => ("ignored", reason.clone()),
                _ => return,
            };
            seen.lock().unwrap().push(entry);
        }
    }

    fn seen(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    /// Every reason given, with the events' `Debug` text.
    fn reasons(&self) -> String {
        format!("{:?}", self.0.lock().unwrap())
    }
}

/// The password in [`nowhere`]'s URL, which no error or event may repeat.
const REDIS_PASSWORD: &str = "hunter2-redis";

/// A closed loopback port: a Redis that is not there (with a password in
/// its URL).
fn nowhere() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("redis://fleet:{REDIS_PASSWORD}@127.0.0.1:{port}/")
}
