//! The tables: plain text for the terminal, Markdown for docs/benchmarks.md.

use std::fmt::Write as _;
use std::time::SystemTime;

use crate::core_bench::CoreRow;
use crate::e2e::{EndToEnd, Throughput};
use crate::machine::Machine;
use crate::targets::{Verdict, core_row_check};

const CORE_NOTE: &str = "median of criterion's samples; floor = HMAC-SHA1 keyed from scratch \
over the same string to sign, measured in the same run; allocations counted by a wrapping \
global allocator in a separate run of the same code";

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
    e2e.pairs
        .iter()
        .map(|(run, baseline)| {
            [
                run.label.clone(),
                format!("{:.0}", run.per_sec()),
                format!("{:.1}", run.client_cpu_us),
                format!("{:.1}", run.emulator_cpu_us),
                format!("{:.0}", baseline.per_sec()),
                format!("{:.2}", run.per_sec() / baseline.per_sec()),
            ]
        })
        .collect()
}

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

pub(crate) fn text(
    core: Option<&[CoreRow]>,
    e2e: Option<&EndToEnd>,
    verdicts: &[Verdict],
) -> String {
    let mut out = String::new();
    if let Some(rows) = core {
        let _ = writeln!(out, "CORE ({CORE_NOTE})\n");
        out.push_str(&text_table(CORE_HEAD, &core_rows(rows)));
        out.push('\n');
    }
    if let Some(e2e) = e2e {
        let _ = writeln!(out, "END TO END ({E2E_NOTE})\n");
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
    out.push_str("TARGETS (issue 7)\n\n");
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
    core: Option<&[CoreRow]>,
    e2e: Option<&EndToEnd>,
    verdicts: &[Verdict],
    quick: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Measured {} with `cargo xtask bench{} --record` at commit `{}`.\n\n\
         - machine: {} CPUs (`nproc`), {}{}\n- toolchain: {}\n- load average before the run: {}\n",
        qb_auth_core::time::format_rfc3339(SystemTime::now()),
        if quick { " --quick" } else { "" },
        machine.commit,
        machine.cpus,
        machine.cpu_model,
        if machine.sha_ni { " with SHA-NI" } else { "" },
        machine.rustc,
        machine
            .load_average
            .map_or_else(|| "unknown".to_owned(), |l| format!("{l:.2}")),
    );
    if let Some(rows) = core {
        let _ = writeln!(out, "### Core\n\n{}.\n", capitalise(CORE_NOTE));
        out.push_str(&markdown_table(CORE_HEAD, &core_rows(rows)));
        out.push('\n');
    }
    if let Some(e2e) = e2e {
        let _ = writeln!(out, "### End to end\n\n{}.\n", capitalise(E2E_NOTE));
        out.push_str(&markdown_table(E2E_HEAD, &e2e_rows(e2e)));
        for run in errors(e2e) {
            let _ = writeln!(out, "\nErrors in `{}`: {}.", run.id, run.errors);
        }
        let _ = writeln!(out, "\n{}.\n", renewal_line(e2e));
    }
    out.push_str("### Targets\n\n| | target | measured |\n| --- | --- | --- |\n");
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
    fn markdown_tables_align_numbers_right() {
        let table = markdown_table(["a", "b", "c"], &[["1".into(), "2".into(), "3".into()]]);
        assert_eq!(
            table,
            "| a | b | c |\n| --- | ---: | --- |\n| 1 | 2 | 3 |\n"
        );
    }
}
