//! The core part: runs the interleaved timing (`benches/core.rs`) and the
//! allocation counter (`benches/allocations.rs`) of qb-auth-core, and joins
//! the timings with the counts by case id.

use std::path::Path;
use std::process::Stdio;

use crate::cargo;

/// One operation of the core, beside its floor from the same run.
#[derive(Debug, Clone)]
pub(crate) struct CoreRow {
    /// The case id shared by both benches, such as `build_app_json`.
    pub(crate) id: String,
    /// What the table shows.
    pub(crate) label: String,
    /// Median time per operation over the rounds.
    pub(crate) median_ns: f64,
    /// Median time of the floor over the same rounds: HMAC-SHA1 keyed from
    /// scratch over the same string to sign, or for a parse, serde_json
    /// reading the same body into a plain struct.
    pub(crate) floor_ns: f64,
    /// Median over the rounds of the operation's time over the floor's, each
    /// round timing the two back to back: what the targets are held to,
    /// since load that slows one slows the other.
    pub(crate) ratio: f64,
    /// Heap allocations (and reallocations) per operation.
    pub(crate) allocations: f64,
    /// Bytes allocated per operation.
    pub(crate) bytes: f64,
}

impl CoreRow {
    pub(crate) fn ratio(&self) -> f64 {
        self.ratio
    }
}

/// How long `benches/core.rs` times each case.
struct Timing {
    /// Rounds of one batch of the operation and one of its floor.
    rounds: u32,
    /// How long the slower batch of a round takes, in microseconds.
    batch_us: u32,
}

impl Timing {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                rounds: 61,
                batch_us: 2000,
            }
        } else {
            Self {
                rounds: 201,
                batch_us: 5000,
            }
        }
    }
}

/// Compiles both benches, so that the timed run compiles nothing.
pub(crate) fn build(root: &Path) -> Result<(), String> {
    println!("building the core benches (release)...");
    let status = cargo(root)
        .args([
            "bench",
            "-p",
            "qb-auth-core",
            "--benches",
            "--no-run",
            "--quiet",
        ])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("building the core benches failed ({status})"))
    }
}

/// Runs both benches and returns one row per case, in the benches' order.
pub(crate) fn run(root: &Path, quick: bool) -> Result<Vec<CoreRow>, String> {
    let timing = Timing::new(quick);
    println!(
        "core: timing each case interleaved with its floor ({} rounds of {} ms batches)...",
        timing.rounds,
        f64::from(timing.batch_us) / 1000.0
    );
    let output = cargo(root)
        .args([
            "bench",
            "-p",
            "qb-auth-core",
            "--bench",
            "core",
            "--quiet",
            "--",
        ])
        .args(["--rounds", &timing.rounds.to_string()])
        .args(["--batch-us", &timing.batch_us.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("the core bench failed ({})", output.status));
    }
    let timings = parse_timings(&String::from_utf8_lossy(&output.stdout))?;

    println!("core: counting allocations...");
    let output = cargo(root)
        .args([
            "bench",
            "-p",
            "qb-auth-core",
            "--bench",
            "allocations",
            "--quiet",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("the allocation bench failed ({})", output.status));
    }
    let counts = parse_allocations(&String::from_utf8_lossy(&output.stdout))?;

    counts
        .into_iter()
        .map(|count| {
            let timed = timings
                .iter()
                .find(|t| t.id == count.id)
                .ok_or_else(|| format!("the core bench did not time {}", count.id))?;
            Ok(CoreRow {
                id: count.id,
                label: count.label,
                median_ns: timed.op_ns,
                floor_ns: timed.floor_ns,
                ratio: timed.ratio,
                allocations: count.allocations,
                bytes: count.bytes,
            })
        })
        .collect()
}

/// One line of `benches/allocations.rs`.
#[derive(Debug, PartialEq)]
struct Count {
    id: String,
    allocations: f64,
    bytes: f64,
    floor_allocations: f64,
    label: String,
}

fn parse_allocations(stdout: &str) -> Result<Vec<Count>, String> {
    let counts: Vec<Count> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("alloc\t"))
        .map(|rest| {
            let fields: Vec<&str> = rest.splitn(5, '\t').collect();
            let [id, allocations, bytes, floor_allocations, label] = fields[..] else {
                return Err(format!("unexpected allocation line: {rest:?}"));
            };
            let number = |text: &str| {
                text.parse::<f64>()
                    .map_err(|_| format!("not a number in allocation line: {text:?}"))
            };
            Ok(Count {
                id: id.to_owned(),
                allocations: number(allocations)?,
                bytes: number(bytes)?,
                floor_allocations: number(floor_allocations)?,
                label: label.to_owned(),
            })
        })
        .collect::<Result<_, _>>()?;
    if counts.is_empty() {
        return Err("the allocation bench printed no counts".to_owned());
    }
    // The floor allocates nothing; anything else means the counter saw more
    // than the operation and every count is suspect.
    if let Some(bad) = counts.iter().find(|c| c.floor_allocations != 0.0) {
        return Err(format!(
            "the floor of {} counted {} allocations; the counter is not isolated",
            bad.id, bad.floor_allocations
        ));
    }
    Ok(counts)
}

/// One line of `benches/core.rs`.
#[derive(Debug, PartialEq)]
struct Timed {
    id: String,
    op_ns: f64,
    floor_ns: f64,
    ratio: f64,
}

fn parse_timings(stdout: &str) -> Result<Vec<Timed>, String> {
    let timings: Vec<Timed> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("time\t"))
        .map(|rest| {
            let fields: Vec<&str> = rest.splitn(6, '\t').collect();
            let [id, op_ns, floor_ns, ratio, _rounds, _label] = fields[..] else {
                return Err(format!("unexpected timing line: {rest:?}"));
            };
            let number = |text: &str| {
                text.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite() && *n > 0.0)
                    .ok_or_else(|| format!("not a positive number in timing line: {text:?}"))
            };
            Ok(Timed {
                id: id.to_owned(),
                op_ns: number(op_ns)?,
                floor_ns: number(floor_ns)?,
                ratio: number(ratio)?,
            })
        })
        .collect::<Result<_, _>>()?;
    if timings.is_empty() {
        return Err("the core bench printed no timings".to_owned());
    }
    Ok(timings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_lines_are_read_and_other_lines_ignored() {
        let out = "noise\nalloc\tsign_app\t1.00\t77\t0.00\tstring to sign + signature\n";
        let counts = parse_allocations(out).unwrap();
        assert_eq!(
            counts,
            [Count {
                id: "sign_app".to_owned(),
                allocations: 1.0,
                bytes: 77.0,
                floor_allocations: 0.0,
                label: "string to sign + signature".to_owned(),
            }]
        );
    }

    #[test]
    fn a_floor_that_allocates_or_no_counts_is_an_error() {
        assert!(parse_allocations("alloc\tx\t1\t2\t1.00\tlabel\n").is_err());
        assert!(parse_allocations("nothing here\n").is_err());
        assert!(parse_allocations("alloc\tx\t1\n").is_err());
    }

    #[test]
    fn timing_lines_are_read_and_bad_ones_refused() {
        let out = "sign_app: noise\ntime\tsign_app\t120.50\t100.25\t1.2100\t61\tstring to sign\n";
        assert_eq!(
            parse_timings(out).unwrap(),
            [Timed {
                id: "sign_app".to_owned(),
                op_ns: 120.5,
                floor_ns: 100.25,
                ratio: 1.21,
            }]
        );
        assert!(parse_timings("nothing\n").is_err());
        assert!(parse_timings("time\tx\t1\t2\n").is_err());
        assert!(parse_timings("time\tx\t1\t0\t1\t61\tlabel\n").is_err());
        assert!(parse_timings("time\tx\t1\t2\tNaN\t61\tlabel\n").is_err());
    }
}
