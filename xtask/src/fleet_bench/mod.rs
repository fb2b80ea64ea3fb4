//! The fleet part of `cargo xtask bench`: one session shared by a fleet
//! of eight through a real `redis-server` (started here on a free
//! loopback port, stopped when done), against the emulator.
//!
//! Eight managed sessions, each with its own store and so its own Redis
//! connection and lease owner, stand for the eight processes (the fleet
//! tests run real processes; here the numbers need one clock). Measured:
//! sessions created in a simulated hour (a cold start, then traffic and a
//! server-side expiry every ten minutes) with and without the store; the
//! cost of `token()` on a warm Redis-backed session against an in-memory
//! one, in interleaved rounds; and how long after an expiry each member
//! of the fleet has a valid token again (p50, p99). Then what a renewal
//! costs a fleet of 64 and its Redis, one `redis-server` and a cluster of
//! three (`renewal.rs`). Skipped, with a line that says so, without
//! `redis-server`.

mod renewal;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
use qb_auth_emulator::{BlockingEmulator, Emulator, fixtures};
use qb_auth_redis::RedisStore;
use qb_auth_redis::qb_auth_client::fleet::FleetKey;
use qb_auth_redis::server::{self as redis_server, RedisCluster, RedisServer};
use qb_auth_reqwest::{Client, ManagedSession, SessionSource};

use crate::cargo;
use crate::machine::Cpu;
use crate::targets::Verdict;

/// The fleet's size (its targets').
const FLEET: usize = 8;
/// Server-side expiries in the simulated hour, after the cold start: one
/// every ten minutes.
const EXPIRIES_PER_HOUR: usize = 6;
/// The target for a Redis-backed `token()` against an in-memory one.
const TOKEN_COST_TARGET: f64 = 1.10;

/// What the fleet part measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fleet {
    /// Sessions created in the simulated hour: each member alone, and
    /// sharing through Redis.
    pub(crate) alone: u64,
    pub(crate) shared: u64,
    /// Median ns per `token()` on a valid session: in memory, Redis-backed.
    pub(crate) memory_ns: f64,
    pub(crate) redis_ns: f64,
    /// A valid token again after an expiry, per member: p50 and p99 in ms,
    /// over `samples`.
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) samples: usize,
    /// What a renewal of 64 costs, per deployment.
    pub(crate) renewals: Vec<renewal::RenewalCost>,
}

/// The prefix of the one line in which the `fleet` subcommand hands its
/// numbers to `bench` (tab-separated, in the order of [`Fleet`]'s fields).
const RESULT: &str = "fleet-result\t";

/// Runs the fleet part in a release build of xtask, its table printed as
/// it goes; `None` when it was skipped (no `redis-server`).
pub(crate) fn run_release(root: &std::path::Path, quick: bool) -> Result<Option<Fleet>, String> {
    let mut command = cargo(root);
    command.args(["run", "--release", "--quiet", "-p", "xtask", "--", "fleet"]);
    if quick {
        command.arg("--quick");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    let mut fleet = None;
    let mut renewals = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        // Passed on as it comes, but for the result line.
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("the fleet bench's output: {e}"))?;
            if let Some(fields) = line.strip_prefix(RESULT) {
                fleet = Some(Fleet::parse(fields)?);
            } else if let Some(fields) = line.strip_prefix(renewal::RESULT) {
                renewals.push(renewal::RenewalCost::parse(fields)?);
            } else {
                println!("{line}");
            }
        }
    }
    let status = child.wait().map_err(|e| format!("the fleet bench: {e}"))?;
    if status.success() {
        Ok(fleet.map(|fleet| Fleet { renewals, ..fleet }))
    } else {
        Err(format!("the fleet bench failed ({status})"))
    }
}

/// The `fleet` subcommand: measures, prints the table and the result line.
pub(crate) fn run(quick: bool) -> Result<(), String> {
    let Some(binary) = redis_server::find() else {
        println!("fleet bench skipped: redis-server not found (apt-get install redis-server)");
        return Ok(());
    };
    let redis = RedisServer::start(binary).map_err(|e| format!("redis-server: {e}"))?;
    let emulator = Emulator::with_demo_fixtures()
        .start_blocking()
        .map_err(|e| format!("the emulator: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let bench = Bench {
        emulator: &emulator,
        redis: redis.url(),
    };
    let fleet = runtime.block_on(bench.all(quick));
    let fleet = fleet?;
    drop(redis);
    let renewals = runtime.block_on(renewal_costs(&emulator, quick));
    emulator.shutdown();
    println!("{RESULT}{}", fleet.line());
    for cost in renewals? {
        println!("{}", cost.line());
    }
    Ok(())
}

/// What a renewal of 64 costs, on one `redis-server` and on a cluster of
/// three (each member opened with one node's URL, in turn).
async fn renewal_costs(
    emulator: &BlockingEmulator,
    quick: bool,
) -> Result<Vec<renewal::RenewalCost>, String> {
    let binary = redis_server::find().ok_or("redis-server is gone")?;
    let rounds = if quick { 3 } else { 10 };
    println!(
        "\nwhat a renewal costs: {} members (tasks), each with its own store, renew after an \
         expiry; Redis's counters reset before each of {rounds} rounds",
        renewal::MEMBERS
    );
    let single = RedisServer::start(binary.clone()).map_err(|e| format!("redis-server: {e}"))?;
    let url = single.url();
    let mut costs = vec![
        renewal::measure(
            "single",
            emulator,
            std::slice::from_ref(&single),
            |_| RedisStore::open(&url).map_err(|e| e.to_string()),
            rounds,
        )
        .await?,
    ];
    drop(single);
    let cluster = RedisCluster::start(binary, 3).map_err(|e| format!("redis cluster: {e}"))?;
    let urls = cluster.urls();
    costs.push(
        renewal::measure(
            "cluster",
            emulator,
            cluster.nodes(),
            |i| RedisStore::open_cluster(&[&urls[i % urls.len()]]).map_err(|e| e.to_string()),
            rounds,
        )
        .await?,
    );
    for cost in &costs {
        println!(
            "  {}: {:.2} sessions per expiry; per renewal {:.0} commands, {:.1} KiB in, {:.1} KiB \
             out, {:.1} new connections; a valid token again p50 {:.1} ms, p99 {:.1} ms",
            cost.deployment,
            cost.sessions,
            cost.commands,
            cost.bytes_in / 1024.0,
            cost.bytes_out / 1024.0,
            cost.connections,
            cost.p50_ms,
            cost.p99_ms
        );
    }
    Ok(costs)
}

/// The application the members share a session of.
fn app() -> Result<AppCredentials, String> {
    AppCredentials::new(
        fixtures::APP_ID,
        fixtures::AUTH_KEY,
        SecretString::from(fixtures::AUTH_SECRET),
    )
    .map_err(|e| e.to_string())
}

/// The user they share it for.
fn alice() -> Result<Identity, String> {
    Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD).map_err(|e| e.to_string())
}

impl Fleet {
    fn line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.alone,
            self.shared,
            self.memory_ns,
            self.redis_ns,
            self.p50_ms,
            self.p99_ms,
            self.samples
        )
    }

    fn parse(fields: &str) -> Result<Self, String> {
        let bad = || format!("unexpected fleet result line: {fields:?}");
        let fields: Vec<&str> = fields.split('\t').collect();
        let [alone, shared, memory, redis, p50, p99, samples] = fields[..] else {
            return Err(bad());
        };
        let float = |text: &str| {
            text.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(bad)
        };
        Ok(Self {
            alone: alone.parse().map_err(|_| bad())?,
            shared: shared.parse().map_err(|_| bad())?,
            memory_ns: float(memory)?,
            redis_ns: float(redis)?,
            p50_ms: float(p50)?,
            p99_ms: float(p99)?,
            samples: samples.parse().map_err(|_| bad())?,
            renewals: Vec::new(),
        })
    }

    fn sessions_ratio(&self) -> f64 {
        self.alone as f64 / self.shared.max(1) as f64
    }

    fn token_ratio(&self) -> f64 {
        self.redis_ns / self.memory_ns
    }

    /// The fleet's targets: a Redis-backed `token()` within 10% of an
    /// in-memory one at the median (the copy is local); and the point of
    /// sharing, fewer sessions than members alone.
    pub(crate) fn verdicts(&self) -> Vec<Verdict> {
        let ratio = self.token_ratio();
        let mut verdicts = vec![
            Verdict {
                target: "a Redis-backed token() costs ≤ 1.10x an in-memory one (median)",
                measured: format!(
                    "{:.2}x ({:.0} ns vs {:.0} ns)",
                    ratio, self.redis_ns, self.memory_ns
                ),
                pass: ratio <= TOKEN_COST_TARGET,
            },
            Verdict {
                target: "a fleet of 8 sharing through Redis creates fewer sessions than 8 alone",
                measured: format!(
                    "{} vs {} per simulated hour: {:.1}x fewer",
                    self.shared,
                    self.alone,
                    self.sessions_ratio()
                ),
                pass: self.shared < self.alone,
            },
        ];
        verdicts.extend(renewal::verdicts(&self.renewals));
        verdicts
    }

    /// The section `--record` writes into docs/benchmarks.md.
    pub(crate) fn markdown(&self, cpu: &Cpu) -> String {
        format!(
            "### A fleet on one session, on {cpu}\n\n\
             Eight managed sessions (reqwest), each with its own Redis connection and lease \
             owner, against the emulator and a `redis-server` on loopback.\n\n\
             | measured | value |\n| --- | --- |\n\
             | sessions created in a simulated hour (cold start + {EXPIRIES_PER_HOUR} expiries), \
             each alone | {} |\n\
             | the same, sharing through Redis | {} ({:.1}x fewer) |\n\
             | `token()` on a valid session, in memory (median) | {:.0} ns |\n\
             | the same, Redis-backed | {:.0} ns ({:.2}x) |\n\
             | a valid token again after an expiry, per member | p50 {:.1} ms, p99 {:.1} ms \
             ({} samples) |\n",
            self.alone,
            self.shared,
            self.sessions_ratio(),
            self.memory_ns,
            self.redis_ns,
            self.token_ratio(),
            self.p50_ms,
            self.p99_ms,
            self.samples
        ) + "\n"
            + &renewal::markdown(&self.renewals)
    }
}

struct Bench<'a> {
    emulator: &'a BlockingEmulator,
    redis: String,
}

impl Bench<'_> {
    async fn all(&self, quick: bool) -> Result<Fleet, String> {
        println!("\nfleet of {FLEET} on one redis-server (loopback), reqwest client");
        let alone = self.sessions_per_hour(false).await?;
        let shared = self.sessions_per_hour(true).await?;
        println!(
            "  sessions created per simulated hour (cold start + {EXPIRIES_PER_HOUR} expiries): \
             {alone} without a shared store, {shared} with Redis: {:.1}x fewer",
            alone as f64 / shared.max(1) as f64
        );
        let (memory, redis) = self.token_cost(if quick { 31 } else { 101 }).await?;
        println!(
            "  token() on a valid session, median of interleaved rounds: in-memory {memory:.0} ns, \
             Redis-backed {redis:.0} ns: {:.2}x (target <= {TOKEN_COST_TARGET:.2}x)",
            redis / memory
        );
        let (p50, p99, samples) = self.recovery(if quick { 5 } else { 20 }).await?;
        println!(
            "  valid token again after an expiry, per member: p50 {p50:.1} ms, p99 {p99:.1} ms \
             ({samples} samples)"
        );
        Ok(Fleet {
            alone,
            shared,
            memory_ns: memory,
            redis_ns: redis,
            p50_ms: p50,
            p99_ms: p99,
            samples,
            renewals: Vec::new(),
        })
    }

    fn client(&self) -> Result<Client, String> {
        let endpoint = Endpoint::parse(self.emulator.base_url()).map_err(|e| e.to_string())?;
        Client::builder()
            .endpoint(endpoint)
            .build()
            .map_err(|e| e.to_string())
    }

    /// One member: Alice's session, shared under `key` when `shared`.
    fn member(&self, client: &Client, key: Option<&FleetKey>) -> Result<ManagedSession, String> {
        let mut builder = client.managed(SessionSource::user(app()?, alice()?));
        if let Some(key) = key {
            let store = RedisStore::open(&self.redis).map_err(|e| e.to_string())?;
            builder = builder.share(store).fleet_key(key.clone());
        }
        builder.build().map_err(|e| e.to_string())
    }

    /// A key of its own for each measurement, so none sees another's session.
    fn key(name: &str) -> FleetKey {
        FleetKey::named(fixtures::APP_ID, name)
    }

    fn fleet(&self, key: Option<&FleetKey>) -> Result<Vec<ManagedSession>, String> {
        let client = self.client()?;
        (0..FLEET).map(|_| self.member(&client, key)).collect()
    }

    fn users(&self) -> Result<http::Request<()>, String> {
        http::Request::get(format!("{}/users.json", self.emulator.base_url()))
            .body(())
            .map_err(|e| e.to_string())
    }

    /// Every member sends `count` requests at once; all must be answered.
    async fn traffic(
        &self,
        fleet: &[ManagedSession],
        count: usize,
    ) -> Result<Vec<Duration>, String> {
        let mut tasks = Vec::new();
        for member in fleet {
            let member = member.clone();
            let requests: Vec<_> = (0..count).map(|_| self.users()).collect::<Result<_, _>>()?;
            tasks.push(tokio::spawn(async move {
                let started = Instant::now();
                let mut first = None;
                for request in requests {
                    let answer = member.send(request).await.map_err(|e| e.to_string())?;
                    if !answer.status().is_success() {
                        return Err(format!("answered {}", answer.status()));
                    }
                    first.get_or_insert(started.elapsed());
                }
                Ok(first.unwrap_or_default())
            }));
        }
        let mut firsts = Vec::new();
        for task in tasks {
            firsts.push(task.await.map_err(|e| e.to_string())??);
        }
        Ok(firsts)
    }

    async fn sessions_per_hour(&self, shared: bool) -> Result<u64, String> {
        let key = Self::key(if shared { "bench-hour" } else { "unused" });
        let fleet = self.fleet(shared.then_some(&key))?;
        let before = self.emulator.stats().sessions_created;
        self.traffic(&fleet, 5).await?;
        for _ in 0..EXPIRIES_PER_HOUR {
            self.emulator.expire_all_sessions();
            self.traffic(&fleet, 5).await?;
        }
        Ok(self.emulator.stats().sessions_created - before)
    }

    /// Median ns per `token()`: (in-memory, Redis-backed).
    async fn token_cost(&self, rounds: usize) -> Result<(f64, f64), String> {
        // Short rounds, many of them: a median that other work on the
        // machine moves little.
        const CALLS: u32 = 4_000;
        let client = self.client()?;
        let memory = self.member(&client, None)?;
        let redis = self.member(&client, Some(&Self::key("bench-token")))?;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for session in [&memory, &redis] {
            session.token().await.map_err(|e| e.to_string())?;
        }
        for round in 0..rounds {
            // Alternate which goes first, so neither always runs warm.
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for which in order {
                let session = if which == 0 { &memory } else { &redis };
                let started = Instant::now();
                for _ in 0..CALLS {
                    std::hint::black_box(session.token().await.map_err(|e| e.to_string())?);
                }
                let ns = started.elapsed().as_nanos() as f64 / f64::from(CALLS);
                if which == 0 { a.push(ns) } else { b.push(ns) }
            }
        }
        Ok((median(&mut a), median(&mut b)))
    }

    /// After each expiry, how long each member takes to have its first
    /// request answered: (p50 ms, p99 ms, samples).
    async fn recovery(&self, rounds: usize) -> Result<(f64, f64, usize), String> {
        let fleet = self.fleet(Some(&Self::key("bench-recovery")))?;
        self.traffic(&fleet, 1).await?;
        let mut samples = Vec::new();
        for _ in 0..rounds {
            self.emulator.expire_all_sessions();
            samples.extend(self.traffic(&fleet, 1).await?);
        }
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Ok((at(0.5), at(0.99), ms.len()))
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_line_round_trips_and_bad_ones_are_refused() {
        let fleet = Fleet {
            alone: 56,
            shared: 7,
            memory_ns: 97.5,
            redis_ns: 98.0,
            p50_ms: 1.9,
            p99_ms: 5.9,
            samples: 160,
            renewals: Vec::new(),
        };
        assert_eq!(Fleet::parse(&fleet.line()), Ok(fleet.clone()));
        assert!(Fleet::parse("56\t7\t97").is_err());
        assert!(Fleet::parse("56\t7\tNaN\t98\t1\t2\t3").is_err());
        assert!(fleet.verdicts().iter().all(|v| v.pass));
        let table = fleet.markdown(&Cpu::for_tests());
        assert!(
            table.contains("| the same, sharing through Redis | 7 (8.0x fewer) |"),
            "{table}"
        );
        assert!(
            table.starts_with("### A fleet on one session, on AMD EPYC (SHA-NI), 2 CPUs"),
            "{table}"
        );
        let slow = Fleet {
            redis_ns: 120.0,
            ..fleet
        };
        assert!(!slow.verdicts()[0].pass);
    }
}
