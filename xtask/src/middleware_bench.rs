//! The middleware part: the same `GET /users.json` against the emulator on
//! loopback through plain reqwest (the token set by hand), through
//! reqwest-middleware with an empty middleware, and with `TokenMiddleware`
//! (token valid, nothing to renew). Runs the two benches of qb-auth-reqwest:
//! `middleware_time` (interleaved rounds, median ratio to plain reqwest)
//! and `middleware_allocations` (allocations per request, counted on the
//! thread that runs the requests and reqwest's connection tasks).

use std::path::Path;
use std::process::Stdio;

use crate::cargo;
use crate::targets::Verdict;

/// The most `TokenMiddleware` may add to a request's time, at the median
/// of the rounds (issue 13).
pub(crate) const ADDED_RATIO: f64 = 1.02;

/// The most allocations the middleware may add per request, against the
/// same request through an empty middleware with the same header set by
/// hand: none beyond that header.
pub(crate) const ADDED_ALLOCATIONS: f64 = 0.0;

/// The benches' arguments: the package's middleware, plain HTTP only.
const PACKAGE: [&str; 5] = [
    "-p",
    "qb-auth-reqwest",
    "--no-default-features",
    "--features",
    "middleware",
];

/// What the part measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Middleware {
    /// `(id, ns per request, ns per plain request, median ratio)`: `token`
    /// and `no_op`.
    pub(crate) times: Vec<(String, f64, f64, f64)>,
    /// `(way, allocations per request, bytes per request)`: `plain`,
    /// `no_op`, `token`.
    pub(crate) allocations: Vec<(String, f64, f64)>,
}

/// Compiles both benches, so that the timed run compiles nothing.
pub(crate) fn build(root: &Path) -> Result<(), String> {
    println!("building the middleware benches (release)...");
    let status = cargo(root)
        .arg("bench")
        .args(PACKAGE)
        .args(["--benches", "--no-run", "--quiet"])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("building the middleware benches failed ({status})"))
    }
}

/// Runs both benches.
pub(crate) fn run(root: &Path, quick: bool) -> Result<Middleware, String> {
    let (rounds, batch) = if quick { ("41", "100") } else { ("201", "200") };
    println!("middleware: {rounds} interleaved rounds of {batch} requests each way...");
    let times = parse_times(&bench(
        root,
        "middleware_time",
        &["--rounds", rounds, "--batch", batch],
    )?)?;
    println!("middleware: counting allocations...");
    let allocations = parse_allocations(&bench(root, "middleware_allocations", &[])?)?;
    Ok(Middleware { times, allocations })
}

fn bench(root: &Path, name: &str, args: &[&str]) -> Result<String, String> {
    let output = cargo(root)
        .arg("bench")
        .args(PACKAGE)
        .args(["--bench", name, "--quiet", "--"])
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("the {name} bench failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn number(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| format!("not a number in a middleware bench line: {text:?}"))
}

fn parse_times(stdout: &str) -> Result<Vec<(String, f64, f64, f64)>, String> {
    let times = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("time\t"))
        .map(|rest| {
            let fields: Vec<&str> = rest.split('\t').collect();
            let [id, ns, plain_ns, ratio, _rounds] = fields[..] else {
                return Err(format!("unexpected timing line: {rest:?}"));
            };
            Ok((
                id.to_owned(),
                number(ns)?,
                number(plain_ns)?,
                number(ratio)?,
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if times.iter().any(|t| t.0 == "token") {
        Ok(times)
    } else {
        Err("the middleware bench timed no token middleware".to_owned())
    }
}

fn parse_allocations(stdout: &str) -> Result<Vec<(String, f64, f64)>, String> {
    let counts = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("alloc\t"))
        .map(|rest| {
            let fields: Vec<&str> = rest.split('\t').collect();
            let [way, allocations, bytes] = fields[..] else {
                return Err(format!("unexpected allocation line: {rest:?}"));
            };
            Ok((way.to_owned(), number(allocations)?, number(bytes)?))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ways: Vec<&str> = counts.iter().map(|c| c.0.as_str()).collect();
    if ways == ["plain", "no_op", "token"] {
        Ok(counts)
    } else {
        Err(format!("the allocation bench counted {ways:?}"))
    }
}

impl Middleware {
    fn allocations_of(&self, way: &str) -> f64 {
        self.allocations
            .iter()
            .find(|c| c.0 == way)
            .map_or(f64::NAN, |c| c.1)
    }

    /// The table printed after the others.
    pub(crate) fn text(&self) -> String {
        let mut text = String::from(
            "Middleware: GET /users.json on loopback, token valid (medians of interleaved rounds)\n",
        );
        for (id, ns, plain_ns, ratio) in &self.times {
            let what = if id == "token" {
                "TokenMiddleware"
            } else {
                "an empty middleware"
            };
            text.push_str(&format!(
                "  {what:<22} {:>8.1} µs   plain reqwest {:>8.1} µs   ratio {ratio:.4}\n",
                ns / 1000.0,
                plain_ns / 1000.0
            ));
        }
        for (way, allocations, bytes) in &self.allocations {
            text.push_str(&format!(
                "  allocations, {way:<8} {allocations:>6.2} per request ({bytes:.0} bytes)\n"
            ));
        }
        text
    }

    /// Issue 13's targets: at most 2% added at the median, nothing
    /// allocated beyond the header.
    pub(crate) fn verdicts(&self) -> Vec<Verdict> {
        let ratio = self
            .times
            .iter()
            .find(|t| t.0 == "token")
            .map_or(f64::NAN, |t| t.3);
        let added = self.allocations_of("token") - self.allocations_of("no_op");
        vec![
            Verdict {
                target: "TokenMiddleware adds ≤ 2% to a request (median, vs plain reqwest)",
                measured: format!("{:+.1}%", (ratio - 1.0) * 100.0),
                pass: ratio <= ADDED_RATIO,
            },
            Verdict {
                target: "TokenMiddleware allocates nothing beyond its header (vs an empty middleware)",
                measured: format!("{added:+.2} allocations per request"),
                pass: added <= ADDED_ALLOCATIONS,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_and_bad_ones_refused() {
        let times = parse_times("noise\ntime\ttoken\t25000\t24500\t1.0200\t41\n").unwrap();
        assert_eq!(times, [("token".to_owned(), 25000.0, 24500.0, 1.02)]);
        assert!(parse_times("time\tno_op\t1\t1\t1\t41\n").is_err());
        assert!(parse_times("time\ttoken\t1\n").is_err());
        let counts =
            parse_allocations("alloc\tplain\t53\t1\nalloc\tno_op\t56\t1\nalloc\ttoken\t56\t1\n")
                .unwrap();
        let run = Middleware {
            times,
            allocations: counts,
        };
        let verdicts = run.verdicts();
        assert!(verdicts.iter().all(|v| v.pass), "{verdicts:?}");
        assert!(parse_allocations("alloc\tplain\t53\t1\n").is_err());
    }
}
