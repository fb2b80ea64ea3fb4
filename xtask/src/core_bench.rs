//! The core part: runs the criterion bench (`benches/core.rs`) and the
//! allocation counter (`benches/allocations.rs`) of qb-auth-core, and joins
//! criterion's medians with the counts by case id.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Deserialize;

use crate::cargo;

/// One operation of the core, beside its floor from the same run.
#[derive(Debug, Clone)]
pub(crate) struct CoreRow {
    /// The case id shared by both benches, such as `build_app_json`.
    pub(crate) id: String,
    /// What the table shows.
    pub(crate) label: String,
    /// Median time per operation.
    pub(crate) median_ns: f64,
    /// Median time of the floor: HMAC-SHA1 keyed from scratch over the
    /// same string to sign.
    pub(crate) floor_ns: f64,
    /// Heap allocations (and reallocations) per operation.
    pub(crate) allocations: f64,
    /// Bytes allocated per operation.
    pub(crate) bytes: f64,
}

impl CoreRow {
    pub(crate) fn ratio(&self) -> f64 {
        self.median_ns / self.floor_ns
    }
}

/// Measurement settings passed to criterion.
struct Timing {
    warm_up_secs: f64,
    measure_secs: f64,
    samples: u32,
}

impl Timing {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                warm_up_secs: 0.5,
                measure_secs: 1.0,
                samples: 30,
            }
        } else {
            Self {
                warm_up_secs: 2.0,
                measure_secs: 5.0,
                samples: 100,
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
    let out_dir = target_dir(root).join("xtask-bench");
    let criterion_home = out_dir.join("criterion");
    // Stale estimates from an earlier run must not stand in for a missing one.
    if criterion_home.exists() {
        fs::remove_dir_all(&criterion_home)
            .map_err(|e| format!("could not clear {}: {e}", criterion_home.display()))?;
    }
    fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;

    let timing = Timing::new(quick);
    println!(
        "core: timing each case and its floor ({} s warm-up, {} s measurement)...",
        timing.warm_up_secs, timing.measure_secs
    );
    let log_path = out_dir.join("criterion.log");
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let status = cargo(root)
        .args([
            "bench",
            "-p",
            "qb-auth-core",
            "--bench",
            "core",
            "--quiet",
            "--",
        ])
        .args(["--warm-up-time", &timing.warm_up_secs.to_string()])
        .args(["--measurement-time", &timing.measure_secs.to_string()])
        .args(["--sample-size", &timing.samples.to_string()])
        .env("CRITERION_HOME", &criterion_home)
        .stdout(log)
        .stderr(log_err)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the core bench failed ({status}); see {}",
            log_path.display()
        ));
    }

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
            let op_ns = median_ns(&criterion_home, &count.id, "op")?;
            let floor_ns = median_ns(&criterion_home, &count.id, "floor")?;
            Ok(CoreRow {
                id: count.id,
                label: count.label,
                median_ns: op_ns,
                floor_ns,
                allocations: count.allocations,
                bytes: count.bytes,
            })
        })
        .collect()
}

pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
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

/// Criterion's `new/estimates.json`: only the median is read.
#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

fn median_ns(criterion_home: &Path, group: &str, function: &str) -> Result<f64, String> {
    let path = criterion_home
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let text = fs::read_to_string(&path)
        .map_err(|e| format!("no criterion estimate at {}: {e}", path.display()))?;
    let estimates: Estimates = serde_json::from_str(&text)
        .map_err(|e| format!("unreadable criterion estimate {}: {e}", path.display()))?;
    Ok(estimates.median.point_estimate)
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
    fn medians_come_from_criterion_estimates() {
        let home = std::env::temp_dir().join(format!("xtask-est-{}", std::process::id()));
        let dir = home.join("g").join("op").join("new");
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("estimates.json"),
            r#"{"mean":{"point_estimate":5.0},"median":{"point_estimate":4.5,"standard_error":0.1}}"#,
        )
        .unwrap();
        assert_eq!(median_ns(&home, "g", "op").unwrap(), 4.5);
        assert!(median_ns(&home, "g", "floor").is_err());
        fs::remove_dir_all(&home).unwrap();
    }
}
