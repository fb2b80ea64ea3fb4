//! The middleware part: the same `GET /users.json` against the emulator on
//! loopback through plain reqwest (the token set by hand), through
//! reqwest-middleware with an empty middleware, and with `TokenMiddleware`
//! (token valid, nothing to renew); and through hyper-util's legacy client
//! with and without `tower::TokenLayer`. Runs the two benches of
//! qb-auth-reqwest, `middleware_time` (interleaved rounds, median ratio to
//! plain reqwest) and `middleware_allocations` (allocations per request,
//! counted on the thread that runs the requests and reqwest's connection
//! tasks), and qb-auth-client's `tower_time` (the same rounds, against
//! plain hyper-util).

use std::path::Path;
use std::process::Stdio;

use crate::cargo;
use crate::machine::Cpu;
use crate::targets::Verdict;

/// The most `TokenMiddleware` and `TokenLayer` may add to a request's
/// time, at the median of the rounds.
pub(crate) const ADDED_RATIO: f64 = 1.02;

/// The most allocations the middleware may add per request, against the
/// same request through an empty middleware with the same header set by
/// hand: none beyond that header.
pub(crate) const ADDED_ALLOCATIONS: f64 = 0.0;

/// The reqwest benches' arguments: the package's middleware, plain HTTP only.
const PACKAGE: [&str; 5] = [
    "-p",
    "qb-auth-reqwest",
    "--no-default-features",
    "--features",
    "middleware",
];

/// The tower bench's arguments.
const TOWER: [&str; 4] = ["-p", "qb-auth-client", "--features", "tower"];

/// What the part measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Middleware {
    /// `(id, ns per request, ns per plain request, median ratio)`: `token`
    /// and `no_op` against plain reqwest, `tower` against plain hyper-util.
    pub(crate) times: Vec<(String, f64, f64, f64)>,
    /// `(way, allocations per request, bytes per request)`: `plain`,
    /// `no_op`, `token`.
    pub(crate) allocations: Vec<(String, f64, f64)>,
}

/// Compiles the benches, so that the timed run compiles nothing.
pub(crate) fn build(root: &Path) -> Result<(), String> {
    println!("building the middleware benches (release)...");
    for (package, which) in [
        (&PACKAGE[..], "--benches"),
        (&TOWER[..], "--bench=tower_time"),
    ] {
        let status = cargo(root)
            .arg("bench")
            .args(package)
            .args([which, "--no-run", "--quiet"])
            .status()
            .map_err(|e| format!("could not run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("building the middleware benches failed ({status})"));
        }
    }
    Ok(())
}

/// Runs the benches.
pub(crate) fn run(root: &Path, quick: bool) -> Result<Middleware, String> {
    let (rounds, batch) = if quick { ("41", "100") } else { ("201", "200") };
    let timing = ["--rounds", rounds, "--batch", batch];
    println!("middleware: {rounds} interleaved rounds of {batch} requests each way...");
    let mut times = parse_times(&bench(root, &PACKAGE, "middleware_time", &timing)?)?;
    println!("middleware: counting allocations...");
    let allocations = parse_allocations(&bench(root, &PACKAGE, "middleware_allocations", &[])?)?;
    println!("tower: {rounds} interleaved rounds of {batch} requests each way...");
    times.extend(parse_times(&bench(root, &TOWER, "tower_time", &timing)?)?);
    if !times.iter().any(|t| t.0 == "token") || !times.iter().any(|t| t.0 == "tower") {
        return Err(
            "the middleware benches did not time both TokenMiddleware and TokenLayer".into(),
        );
    }
    Ok(Middleware { times, allocations })
}

fn bench(root: &Path, package: &[&str], name: &str, args: &[&str]) -> Result<String, String> {
    let output = cargo(root)
        .arg("bench")
        .args(package)
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
    if times.is_empty() {
        Err("a middleware bench printed no timing".to_owned())
    } else {
        Ok(times)
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

    /// What was timed, and against what.
    fn names(id: &str) -> (&'static str, &'static str) {
        match id {
            "token" => ("TokenMiddleware", "plain reqwest"),
            "no_op" => ("an empty middleware", "plain reqwest"),
            _ => ("TokenLayer", "plain hyper-util"),
        }
    }

    fn ratio_of(&self, id: &str) -> f64 {
        self.times
            .iter()
            .find(|t| t.0 == id)
            .map_or(f64::NAN, |t| t.3)
    }

    /// The table printed after the others.
    pub(crate) fn text(&self, cpu: &Cpu) -> String {
        let mut text = format!(
            "Middleware on {cpu}: GET /users.json on loopback, token valid (medians of \
             interleaved rounds)\n",
        );
        for (id, ns, plain_ns, ratio) in &self.times {
            let (what, plain) = Self::names(id);
            text.push_str(&format!(
                "  {what:<22} {:>8.1} µs   {plain:<16} {:>8.1} µs   ratio {ratio:.4}\n",
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

    /// The section `--record` writes into docs/benchmarks.md.
    pub(crate) fn markdown(&self, cpu: &Cpu) -> String {
        let mut out = format!(
            "### Middleware, on {cpu}\n\n`GET /users.json` against the emulator on loopback, \
             token valid (nothing to renew): the median over interleaved rounds, request by \
             request.\n\n\
             | way | per request | baseline | baseline per request | ratio |\n\
             | --- | --- | --- | --- | --- |\n",
        );
        for (id, ns, plain_ns, ratio) in &self.times {
            let (what, plain) = Self::names(id);
            out.push_str(&format!(
                "| {what} | {:.1} µs | {plain} | {:.1} µs | {ratio:.4} |\n",
                ns / 1000.0,
                plain_ns / 1000.0
            ));
        }
        out.push_str(
            "\n| reqwest way | allocations per request | bytes per request |\n| --- | --- | --- |\n",
        );
        for (way, allocations, bytes) in &self.allocations {
            out.push_str(&format!("| {way} | {allocations:.2} | {bytes:.0} |\n"));
        }
        out
    }

    /// The middleware targets: at most 2% added at the median (reqwest-middleware
    /// and tower alike), nothing allocated beyond the header.
    pub(crate) fn verdicts(&self) -> Vec<Verdict> {
        let (ratio, tower) = (self.ratio_of("token"), self.ratio_of("tower"));
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
            Verdict {
                target: "TokenLayer adds ≤ 2% to a request (median, vs plain hyper-util)",
                measured: format!("{:+.1}%", (tower - 1.0) * 100.0),
                pass: tower <= ADDED_RATIO,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_and_bad_ones_refused() {
        let times = parse_times(
            "noise\ntime\ttoken\t25000\t24500\t1.0200\t41\ntime\ttower\t20000\t19800\t1.0101\t41\n",
        )
        .unwrap();
        assert_eq!(
            times,
            [
                ("token".to_owned(), 25000.0, 24500.0, 1.02),
                ("tower".to_owned(), 20000.0, 19800.0, 1.0101)
            ]
        );
        assert!(parse_times("noise only\n").is_err());
        assert!(parse_times("time\ttoken\t1\n").is_err());
        let counts =
            parse_allocations("alloc\tplain\t53\t1\nalloc\tno_op\t56\t1\nalloc\ttoken\t56\t1\n")
                .unwrap();
        let run = Middleware {
            times,
            allocations: counts,
        };
        let verdicts = run.verdicts();
        assert_eq!(verdicts.len(), 3);
        assert!(verdicts.iter().all(|v| v.pass), "{verdicts:?}");
        let table = run.markdown(&Cpu::for_tests());
        assert!(
            table.contains("| TokenLayer | 20.0 µs | plain hyper-util | 19.8 µs | 1.0101 |"),
            "{table}"
        );
        assert!(
            table.starts_with("### Middleware, on AMD EPYC (SHA-NI), 2 CPUs"),
            "{table}"
        );
        assert!(
            run.text(&Cpu::for_tests())
                .starts_with("Middleware on AMD EPYC (SHA-NI), 2 CPUs:")
        );
        let slower = Middleware {
            times: vec![("tower".to_owned(), 1.0, 1.0, 1.03)],
            allocations: Vec::new(),
        };
        assert!(!slower.verdicts()[2].pass);
        assert!(parse_allocations("alloc\tplain\t53\t1\n").is_err());
    }
}
