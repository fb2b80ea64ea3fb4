//! What one renewal costs a fleet of 64 and its Redis: 64 managed sessions
//! (tasks of this process, so that one clock times them), each with its
//! own store, renew after a server-side expiry; Redis's own counters say
//! what that cost it (`INFO commandstats`, the network byte counters, the
//! connections it accepted), reset before each round with `CONFIG
//! RESETSTAT`. Against one `redis-server` and a cluster of three.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use qb_auth_emulator::BlockingEmulator;
use qb_auth_redis::RedisStore;
use qb_auth_redis::qb_auth_client::fleet::FleetKey;
use qb_auth_redis::server::RedisServer;
use qb_auth_reqwest::{Client, ManagedSession, SessionSource};

use crate::targets::Verdict;

/// The fleet's size (the issue's).
pub(crate) const MEMBERS: usize = 64;

/// What renewals cost, on average over the measured rounds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RenewalCost {
    /// `single` or `cluster`.
    pub(crate) deployment: String,
    /// Sessions created per expiry.
    pub(crate) sessions: f64,
    /// Commands Redis ran per renewal (all nodes).
    pub(crate) commands: f64,
    /// Bytes Redis read (the commands) and wrote (the answers and
    /// notifications) per renewal.
    pub(crate) bytes_in: f64,
    pub(crate) bytes_out: f64,
    /// Connections Redis accepted per renewal.
    pub(crate) connections: f64,
    /// A valid token again after the expiry, per member: p50 and p99, ms.
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) rounds: usize,
}

/// The prefix of the line each deployment's figures are handed on in
/// (tab-separated, in the order of [`RenewalCost`]'s fields).
pub(crate) const RESULT: &str = "fleet-renewal\t";

impl RenewalCost {
    pub(crate) fn line(&self) -> String {
        format!(
            "{RESULT}{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.deployment,
            self.sessions,
            self.commands,
            self.bytes_in,
            self.bytes_out,
            self.connections,
            self.p50_ms,
            self.p99_ms,
            self.rounds
        )
    }

    pub(crate) fn parse(fields: &str) -> Result<Self, String> {
        let bad = || format!("unexpected fleet renewal line: {fields:?}");
        let fields: Vec<&str> = fields.split('\t').collect();
        let [
            deployment,
            sessions,
            commands,
            bytes_in,
            bytes_out,
            connections,
            p50,
            p99,
            rounds,
        ] = fields[..]
        else {
            return Err(bad());
        };
        let float = |text: &str| {
            text.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(bad)
        };
        Ok(Self {
            deployment: deployment.to_owned(),
            sessions: float(sessions)?,
            commands: float(commands)?,
            bytes_in: float(bytes_in)?,
            bytes_out: float(bytes_out)?,
            connections: float(connections)?,
            p50_ms: float(p50)?,
            p99_ms: float(p99)?,
            rounds: rounds.parse().map_err(|_| bad())?,
        })
    }

    /// One row of the table: the figures, their unit per renewal.
    pub(crate) fn row(&self) -> String {
        format!(
            "| {} | {:.2} | {:.0} | {:.1} KiB in, {:.1} KiB out | {:.1} | p50 {:.1} ms, p99 {:.1} ms |",
            self.deployment,
            self.sessions,
            self.commands,
            self.bytes_in / 1024.0,
            self.bytes_out / 1024.0,
            self.connections,
            self.p50_ms,
            self.p99_ms
        )
    }
}

/// The figures of the store that sent each script's whole text (`EVAL`)
/// and opened a subscription per wait (at `d3966ad`, measured with this
/// bench on the 2-core AMD EPYC the project's benchmarks run on): the
/// baseline the targets are set against. The cluster's members were each
/// opened with one node's URL, as a plain Redis: only those on the node
/// holding the keys shared.
pub(crate) fn before() -> [RenewalCost; 2] {
    let figures =
        |deployment: &str, sessions, commands, bytes_in, bytes_out, connections, p50_ms, p99_ms| {
            RenewalCost {
                deployment: deployment.to_owned(),
                sessions,
                commands,
                bytes_in,
                bytes_out,
                connections,
                p50_ms,
                p99_ms,
                rounds: 10,
            }
        };
    [
        figures("single", 1.0, 793.2, 109_598.3, 41_584.7, 56.8, 20.7, 30.3),
        figures("cluster", 44.0, 251.0, 58_968.8, 17_994.8, 59.0, 17.1, 42.5),
    ]
}

/// The most bytes of commands a renewal may send now, as a share of the
/// single Redis's before.
const BYTES_SHARE: f64 = 0.2;

/// The targets: one session per expiry, no connection opened in the steady
/// state, and at most a fifth of the bytes of commands the single Redis
/// took before, on either deployment.
pub(crate) fn verdicts(costs: &[RenewalCost]) -> Vec<Verdict> {
    let [single_before, _] = before();
    let mut verdicts = Vec::new();
    for cost in costs {
        let cluster = cost.deployment == "cluster";
        let pick = |single: &'static str, on_cluster: &'static str| {
            if cluster { on_cluster } else { single }
        };
        verdicts.push(Verdict {
            target: pick(
                "64 members on one Redis create one session per expiry",
                "64 members on a cluster, opened with different nodes, create one session per expiry",
            ),
            measured: format!("{:.2} per expiry", cost.sessions),
            pass: cost.sessions <= 1.0,
        });
        verdicts.push(Verdict {
            target: pick(
                "a renewal of 64 on one Redis opens no connection (steady state)",
                "a renewal of 64 on a cluster opens no connection (steady state)",
            ),
            measured: format!("{:.1} per renewal", cost.connections),
            pass: cost.connections == 0.0,
        });
        let share = cost.bytes_in / single_before.bytes_in;
        verdicts.push(Verdict {
            target: pick(
                "a renewal of 64 on one Redis sends at most a fifth of the commands' bytes it did",
                "a renewal of 64 on a cluster sends at most a fifth of the bytes one Redis took before",
            ),
            measured: format!(
                "{:.1} KiB vs {:.1} KiB: {:.2}x",
                cost.bytes_in / 1024.0,
                single_before.bytes_in / 1024.0,
                share
            ),
            pass: share <= BYTES_SHARE,
        });
    }
    verdicts
}

/// The table `--record` writes: before and now, per deployment.
pub(crate) fn markdown(costs: &[RenewalCost]) -> String {
    let mut table = format!(
        "### What a renewal costs a fleet of {MEMBERS}\n\n\
         {MEMBERS} managed sessions (reqwest tasks of one process), each with its own store, \
         renew after a server-side expiry; Redis's own counters (`INFO commandstats`, its network \
         bytes and the connections it accepted, reset before each round), on one \
         `redis-server` and on a cluster of three (each member opened with one node's URL). \
         Commands include those the scripts run.\n\n\
         | deployment | sessions per expiry | commands per renewal | bytes per renewal | \
         connections opened per renewal | a valid token again after an expiry |\n\
         | --- | --- | --- | --- | --- | --- |\n"
    );
    for cost in before() {
        let row = cost.row().replacen("| ", "| before (`d3966ad`): ", 1);
        table.push_str(&row);
        table.push('\n');
    }
    for cost in costs {
        table.push_str(&cost.row());
        table.push('\n');
    }
    table
}

/// Redis's counters on one node since the last `CONFIG RESETSTAT`.
#[derive(Debug, Default)]
struct Counters {
    commands: BTreeMap<String, u64>,
    bytes_in: u64,
    bytes_out: u64,
    connections: u64,
}

impl Counters {
    fn reset(node: &RedisServer) -> Result<(), String> {
        let answer = node
            .command(&["CONFIG", "RESETSTAT"])
            .map_err(|e| format!("CONFIG RESETSTAT: {e}"))?;
        if answer.starts_with(b"+OK") {
            Ok(())
        } else {
            Err("CONFIG RESETSTAT was refused".into())
        }
    }

    /// Reads them, leaving out what measuring cost: the reset (its answer,
    /// and the command itself) and the connection this reading opens.
    fn read(node: &RedisServer) -> Result<Self, String> {
        let info = node
            .command(&["INFO", "stats", "commandstats"])
            .map_err(|e| format!("INFO: {e}"))?;
        let info = String::from_utf8_lossy(&info).into_owned();
        let mut counters = Self::default();
        for line in info.lines().map(str::trim) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let number = || value.parse::<u64>().unwrap_or(0);
            match name {
                "total_net_input_bytes" => counters.bytes_in = number(),
                "total_net_output_bytes" => counters.bytes_out = number().saturating_sub(5),
                "total_connections_received" => counters.connections = number().saturating_sub(1),
                _ => {
                    if let Some(command) = name.strip_prefix("cmdstat_") {
                        let calls = value
                            .split(',')
                            .find_map(|f| f.strip_prefix("calls="))
                            .and_then(|n| n.parse::<u64>().ok())
                            .unwrap_or(0);
                        // `config|resetstat` and `info`: the measuring.
                        if !command.starts_with("config") && command != "info" {
                            counters.commands.insert(command.to_owned(), calls);
                        }
                    }
                }
            }
        }
        Ok(counters)
    }
}

/// One deployment measured: `open` gives member `i` its store.
pub(crate) async fn measure(
    deployment: &str,
    emulator: &BlockingEmulator,
    nodes: &[RedisServer],
    open: impl Fn(usize) -> Result<RedisStore, String>,
    rounds: usize,
) -> Result<RenewalCost, String> {
    let client = Client::builder()
        .endpoint(qb_auth_core::Endpoint::parse(emulator.base_url()).map_err(|e| e.to_string())?)
        .build()
        .map_err(|e| e.to_string())?;
    let key = FleetKey::named(
        qb_auth_emulator::fixtures::APP_ID,
        &format!("bench-renewal-{deployment}"),
    );
    let members = (0..MEMBERS)
        .map(|i| {
            let store = open(i)?;
            client
                .managed(SessionSource::user(super::app()?, super::alice()?))
                .share(store)
                .fleet_key(key.clone())
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    let users = format!("{}/users.json", emulator.base_url());
    // The cold start, then two renewals: connections opened, scripts
    // loaded, subscriptions made. The rounds after are the steady state.
    for _ in 0..3 {
        emulator.expire_all_sessions();
        every_member_once(&members, &users).await?;
    }
    let mut totals = Counters::default();
    let mut sessions = 0;
    let mut samples = Vec::new();
    for _ in 0..rounds {
        for node in nodes {
            Counters::reset(node)?;
        }
        let before = emulator.stats().sessions_created;
        emulator.expire_all_sessions();
        samples.extend(every_member_once(&members, &users).await?);
        sessions += emulator.stats().sessions_created - before;
        // What the renewal sends after the members have their tokens (a
        // waiter's unsubscribe, a lease released) is part of its cost.
        tokio::time::sleep(Duration::from_millis(300)).await;
        for node in nodes {
            let counters = Counters::read(node)?;
            for (command, calls) in counters.commands {
                *totals.commands.entry(command).or_default() += calls;
            }
            totals.bytes_in += counters.bytes_in;
            totals.bytes_out += counters.bytes_out;
            totals.connections += counters.connections;
        }
    }
    let per = |n: u64| n as f64 / rounds as f64;
    let breakdown: Vec<String> = totals
        .commands
        .iter()
        .map(|(command, calls)| format!("{command} {:.1}", per(*calls)))
        .collect();
    println!(
        "  {deployment}: commands per renewal: {}",
        breakdown.join(", ")
    );
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    Ok(RenewalCost {
        deployment: deployment.to_owned(),
        sessions: per(sessions),
        commands: per(totals.commands.values().sum()),
        bytes_in: per(totals.bytes_in),
        bytes_out: per(totals.bytes_out),
        connections: per(totals.connections),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        rounds,
    })
}

/// Every member sends one request at once; each one's time to its answer.
async fn every_member_once(
    members: &[ManagedSession],
    users: &str,
) -> Result<Vec<Duration>, String> {
    let tasks: Vec<_> = members
        .iter()
        .map(|member| {
            let (member, users) = (member.clone(), users.to_owned());
            tokio::spawn(async move {
                let started = Instant::now();
                let request = http::Request::get(users)
                    .body(())
                    .map_err(|e| e.to_string())?;
                let answer = member.send(request).await.map_err(|e| e.to_string())?;
                if !answer.status().is_success() {
                    return Err(format!("answered {}", answer.status()));
                }
                Ok(started.elapsed())
            })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.push(task.await.map_err(|e| e.to_string())??);
    }
    Ok(times)
}
