//! The tables: plain text for the terminal, Markdown for docs/benchmarks.md.

use std::fmt::Write as _;
use std::time::SystemTime;

use crate::core_bench::CoreRow;
use crate::e2e::{EndToEnd, IN_FLIGHT, Throughput};
use crate::js_sdk::Local;
use crate::machine::Machine;
use crate::targets::{Verdict, core_row_check};

/// Everything one run measured; each part is absent when skipped.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Measured<'a> {
    pub(crate) core: Option<&'a [CoreRow]>,
    pub(crate) e2e: Option<&'a EndToEnd>,
    pub(crate) js_local: Option<&'a Local>,
}

impl Measured<'_> {
    pub(crate) fn core_row(&self, id: &str) -> Option<&CoreRow> {
        self.core?.iter().find(|row| row.id == id)
    }

    /// Our CPU time for what the JS SDK's in-memory run does (sign, build
    /// a form body, read the answer): the form-body application request
    /// plus parsing the session answer, in microseconds.
    pub(crate) fn our_local_us(&self) -> Option<f64> {
        let build = self.core_row("build_app_form")?;
        let parse = self.core_row("parse_session")?;
        Some((build.median_ns + parse.median_ns) / 1000.0)
    }

    /// Pairs of (the JS SDK's run, our reqwest run) at 1 and 32 in flight.
    pub(crate) fn js_pairs(&self) -> Vec<(&Throughput, &Throughput)> {
        let Some(e2e) = self.e2e else {
            return Vec::new();
        };
        [
            ("js_sdk_1", "reqwest_seq"),
            (&*format!("js_sdk_{IN_FLIGHT}"), "reqwest_32"),
        ]
        .iter()
        .filter_map(|(js, ours)| Some((e2e.run(js)?, e2e.run(ours)?)))
        .collect()
    }
}

const CORE_NOTE: &str = "each operation timed interleaved with its floor (a batch of one, then \
of the other, in rounds), so load slows both alike; times are medians over the rounds, the ratio \
is the median of the rounds' ratios; floor = HMAC-SHA1 keyed from scratch over the same string \
to sign, and for parsing, serde_json reading the same body into a plain struct; allocations \
counted on the measuring thread in a separate run of the same code";

const E2E_NOTE: &str = "client and emulator in one process on separate runtimes of 2 worker \
threads each, sharing the machine's cores; CPU time per thread from /proc; baseline = the same \
HTTP client sending GET /session.json with a token, in the same run (a reference: the \
emulator's work differs between the two calls)";

fn pass(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

fn core_rows(rows: &[CoreRow]) -> Vec<[String; 6]> {
    rows.iter()
        .map(|row| {
            let target = core_row_check(row)
                .map(|(what, ok)| format!("{what}: {}", pass(ok)))
                .unwrap_or_else(|| "-".to_owned());
            [
                row.label.clone(),
                format!("{:.1}", row.median_ns),
                format!("{:.1}", row.floor_ns),
                format!("{:.2}×", row.ratio()),
                format!("{} ({:.0} B)", row.allocations, row.bytes),
                target,
            ]
        })
        .collect()
}

const CORE_HEAD: [&str; 6] = [
    "operation",
    "median ns/op",
    "floor ns",
    "ratio to floor",
    "allocs/op (bytes)",
    "target",
];

fn e2e_rows(e2e: &EndToEnd) -> Vec<[String; 6]> {
    let row = |run: &Throughput, baseline: Option<&Throughput>| {
        [
            run.label.clone(),
            format!("{:.0}", run.per_sec()),
            format!("{:.1}", run.client_cpu_us),
            format!("{:.1}", run.emulator_cpu_us),
            baseline.map_or_else(|| "-".to_owned(), |b| format!("{:.0}", b.per_sec())),
            baseline.map_or_else(
                || "-".to_owned(),
                |b| format!("{:.2}", run.per_sec() / b.per_sec()),
            ),
        ]
    };
    e2e.pairs
        .iter()
        .map(|(run, baseline)| row(run, Some(baseline)))
        .chain(e2e.js_sdk.iter().map(|run| row(run, None)))
        .collect()
}

const JS_NOTE: &str = "quickblox@2.23.0, its own auth module and request proxy over \
node-fetch, run by node on this machine in the same run; with no network, its createSession is \
answered by a canned 201 in memory and set against our form-body application request built \
plus the session answer parsed; end to end, both clients create application sessions against \
the same emulator";

fn js_rows(measured: &Measured<'_>) -> Vec<[String; 4]> {
    let mut rows = Vec::new();
    if let (Some(js), Some(ours)) = (measured.js_local, measured.our_local_us()) {
        rows.push([
            "CPU per create-session, no network: sign, build, read the answer".to_owned(),
            format!("{:.1} µs", js.cpu_us_per_op),
            format!("{ours:.2} µs"),
            format!("{:.0}× less CPU", js.cpu_us_per_op / ours),
        ]);
    }
    for (js, ours) in measured.js_pairs() {
        rows.push([
            format!("sessions/s, {} in flight (reqwest)", js.in_flight),
            format!("{:.0}", js.per_sec()),
            format!("{:.0}", ours.per_sec()),
            format!("{:.1}× the sessions", ours.per_sec() / js.per_sec()),
        ]);
        rows.push([
            format!("client CPU per session, {} in flight", js.in_flight),
            format!("{:.1} µs", js.client_cpu_us),
            format!("{:.1} µs", ours.client_cpu_us),
            format!("{:.1}× less CPU", js.client_cpu_us / ours.client_cpu_us),
        ]);
    }
    rows
}

const JS_HEAD: [&str; 4] = ["measure", "official JS SDK", "qb-auth", "qb-auth ahead by"];

const E2E_HEAD: [&str; 6] = [
    "run",
    "sessions/s",
    "client CPU µs/session",
    "emulator CPU µs/session",
    "baseline requests/s",
    "ratio to baseline",
];

fn errors(e2e: &EndToEnd) -> Vec<&Throughput> {
    e2e.pairs
        .iter()
        .flat_map(|(run, baseline)| [run, baseline])
        .chain(&e2e.js_sdk)
        .filter(|run| run.errors > 0)
        .collect()
}

/// Columns padded to their widest cell; the first left-aligned, the rest right.
fn text_table<const N: usize>(head: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = head.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let pad = width - cell.chars().count();
            if i == 0 || i == N - 1 {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
            out.push_str("  ");
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(head.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

fn markdown_table<const N: usize>(head: [&str; N], rows: &[[String; N]]) -> String {
    let mut out = format!("| {} |\n|", head.join(" | "));
    for i in 0..N {
        out.push_str(if i == 0 || i == N - 1 {
            " --- |"
        } else {
            " ---: |"
        });
    }
    out.push('\n');
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

fn renewal_line(e2e: &EndToEnd) -> String {
    let r = &e2e.renewal;
    let rounds: Vec<String> = r
        .rounds
        .iter()
        .map(|round| {
            format!(
                "{:.1} ms/{} renewal(s)/{} token(s)/{} error(s)",
                round.all_served_ms, round.renewals, round.distinct_tokens, round.errors
            )
        })
        .collect();
    format!(
        "{} concurrent callers on an expired managed session (reqwest): worst {:.1} ms, \
         median {:.1} ms until all held a token; rounds: {}",
        r.callers,
        r.worst_ms(),
        r.median_ms(),
        rounds.join("; ")
    )
}

pub(crate) fn text(machine: &Machine, measured: &Measured<'_>, verdicts: &[Verdict]) -> String {
    let cpu = &machine.cpu;
    let mut out = format!(
        "Measured on {cpu}; load average {} before the run\n\n",
        machine.load()
    );
    if let Some(rows) = measured.core {
        let _ = writeln!(out, "CORE on {cpu} ({CORE_NOTE})\n");
        out.push_str(&text_table(CORE_HEAD, &core_rows(rows)));
        out.push('\n');
    }
    if let Some(e2e) = measured.e2e {
        let _ = writeln!(out, "END TO END on {cpu} ({E2E_NOTE})\n");
        out.push_str(&text_table(E2E_HEAD, &e2e_rows(e2e)));
        for run in errors(e2e) {
            let _ = writeln!(
                out,
                "ERRORS in {}: {} (first: {})",
                run.id,
                run.errors,
                run.first_error.as_deref().unwrap_or("?")
            );
        }
        let _ = writeln!(out, "\n{}\n", renewal_line(e2e));
    }
    let js = js_rows(measured);
    if !js.is_empty() {
        let _ = writeln!(out, "AGAINST THE OFFICIAL JS SDK on {cpu} ({JS_NOTE})\n");
        out.push_str(&text_table(JS_HEAD, &js));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "TARGETS on {cpu} (the core's are ratios measured in one run; absolute times and \
         rates need an idle machine)\n"
    );
    for verdict in verdicts {
        let _ = writeln!(
            out,
            "{}  {} — {}",
            pass(verdict.pass),
            verdict.target,
            verdict.measured
        );
    }
    out
}

pub(crate) fn markdown(
    machine: &Machine,
    measured: &Measured<'_>,
    parts: &[String],
    verdicts: &[Verdict],
    quick: bool,
) -> String {
    let cpu = &machine.cpu;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Measured {} with `cargo xtask bench{} --record` at commit `{}`.\n\n\
         - CPU: {cpu} (`model name` in /proc/cpuinfo; CPUs as `nproc` counts them)\n\
         - toolchain: {}; node {}\n\
         - load average before the run: {}\n",
        qb_auth_core::time::format_rfc3339(SystemTime::now()),
        if quick { " --quick" } else { "" },
        machine.commit,
        machine.rustc,
        machine.node.as_deref().unwrap_or("not found"),
        machine.load(),
    );
    if let Some(rows) = measured.core {
        let _ = writeln!(out, "### Core, on {cpu}\n\n{}.\n", capitalise(CORE_NOTE));
        out.push_str(&markdown_table(CORE_HEAD, &core_rows(rows)));
        out.push('\n');
    }
    if let Some(e2e) = measured.e2e {
        let _ = writeln!(
            out,
            "### End to end, on {cpu}\n\n{}.\n",
            capitalise(E2E_NOTE)
        );
        out.push_str(&markdown_table(E2E_HEAD, &e2e_rows(e2e)));
        for run in errors(e2e) {
            let _ = writeln!(out, "\nErrors in `{}`: {}.", run.id, run.errors);
        }
        let _ = writeln!(out, "\n{}.\n", renewal_line(e2e));
    }
    let js = js_rows(measured);
    if !js.is_empty() {
        let _ = writeln!(
            out,
            "### Against the official JavaScript SDK, on {cpu}\n\n{}.\n",
            capitalise(JS_NOTE)
        );
        out.push_str(&markdown_table(JS_HEAD, &js));
        out.push('\n');
    }
    // The middleware and fleet parts' own sections.
    for part in parts {
        out.push_str(part);
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "### Targets, on {cpu}\n\n| | target | measured |\n| --- | --- | --- |"
    );
    for verdict in verdicts {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            pass(verdict.pass),
            verdict.target,
            verdict.measured
        );
    }
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_columns_line_up() {
        let table = text_table(
            ["op", "ns", "t"],
            &[
                ["long name".to_owned(), "1.0".to_owned(), "PASS".to_owned()],
                ["x".to_owned(), "100.0".to_owned(), "-".to_owned()],
            ],
        );
        assert_eq!(
            table,
            "op            ns  t\nlong name    1.0  PASS\nx          100.0  -\n"
        );
    }

    #[test]
    fn every_table_names_the_cpu_it_was_measured_on() {
        let machine = Machine {
            cpu: crate::machine::Cpu::for_tests(),
            commit: "abc1234".to_owned(),
            rustc: "rustc 1.95.0".to_owned(),
            load_average: Some(0.25),
            node: None,
        };
        let rows = [CoreRow {
            id: "sign_app".to_owned(),
            label: "string to sign + signature, application".to_owned(),
            median_ns: 110.0,
            floor_ns: 100.0,
            ratio: 1.1,
            allocations: 0.0,
            bytes: 0.0,
        }];
        let measured = Measured {
            core: Some(&rows),
            ..Measured::default()
        };
        let verdicts = crate::targets::evaluate(&measured);
        let cpu = "AMD EPYC (SHA-NI), 2 CPUs";
        let text = text(&machine, &measured, &verdicts);
        assert!(
            text.starts_with(&format!("Measured on {cpu}; load average 0.25")),
            "{text}"
        );
        for heading in ["CORE on", "TARGETS on"] {
            assert!(text.contains(&format!("{heading} {cpu}")), "{text}");
        }
        let markdown = markdown(&machine, &measured, &[], &verdicts, true);
        for heading in ["- CPU:", "### Core, on", "### Targets, on"] {
            assert!(markdown.contains(&format!("{heading} {cpu}")), "{markdown}");
        }
    }

    #[test]
    fn markdown_tables_align_numbers_right() {
        let table = markdown_table(["a", "b", "c"], &[["1".into(), "2".into(), "3".into()]]);
        assert_eq!(
            table,
            "| a | b | c |\n| --- | ---: | --- |\n| 1 | 2 | 3 |\n"
        );
    }
}
