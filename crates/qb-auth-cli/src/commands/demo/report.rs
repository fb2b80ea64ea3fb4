//! The demo's table: each step, its transport, what happened, how long it took.

use std::future::Future;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use crate::args::TransportKind;

/// One step's line.
#[derive(Debug)]
struct Row {
    step: &'static str,
    transport: &'static str,
    outcome: Result<String, String>,
    elapsed: Duration,
}

/// The steps run so far.
#[derive(Debug)]
pub(super) struct Report {
    rows: Vec<Row>,
    /// How long a step may take before it counts as failed.
    limit: Duration,
}

impl Report {
    pub(super) fn new(limit: Duration) -> Self {
        Self {
            rows: Vec::new(),
            limit,
        }
    }

    /// Runs one step, timing it and bounding it by the limit.
    pub(super) async fn step<F>(&mut self, step: &'static str, transport: TransportKind, work: F)
    where
        F: Future<Output = Result<String, String>>,
    {
        let started = Instant::now();
        let outcome = match tokio::time::timeout(self.limit, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no result within {} s", self.limit.as_secs())),
        };
        self.rows.push(Row {
            step,
            transport: transport.as_str(),
            outcome,
            elapsed: started.elapsed(),
        });
    }

    /// How many steps ran.
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    /// How many steps failed.
    pub(super) fn failures(&self) -> usize {
        self.rows.iter().filter(|r| r.outcome.is_err()).count()
    }

    /// The table, then one line saying whether everything worked.
    pub(super) fn render(&self, out: &mut dyn Write, total: Duration) -> io::Result<()> {
        let results: Vec<String> = self
            .rows
            .iter()
            .map(|r| match &r.outcome {
                Ok(what) => format!("ok: {what}"),
                Err(why) => format!("FAILED: {why}"),
            })
            .collect();
        let step_w = self
            .rows
            .iter()
            .map(|r| r.step.len())
            .max()
            .unwrap_or(0)
            .max(4);
        let transport_w = "transport".len();
        let result_w = results.iter().map(String::len).max().unwrap_or(0).max(6);
        writeln!(
            out,
            "{:<step_w$}  {:<transport_w$}  {:<result_w$}  {:>6}",
            "step", "transport", "result", "ms"
        )?;
        writeln!(
            out,
            "{}  {}  {}  {}",
            "-".repeat(step_w),
            "-".repeat(transport_w),
            "-".repeat(result_w),
            "-".repeat(6)
        )?;
        for (row, result) in self.rows.iter().zip(&results) {
            writeln!(
                out,
                "{:<step_w$}  {:<transport_w$}  {:<result_w$}  {:>6.1}",
                row.step,
                row.transport,
                result,
                row.elapsed.as_secs_f64() * 1000.0
            )?;
        }
        writeln!(out)?;
        match self.failures() {
            0 => writeln!(
                out,
                "all {} steps passed in {} ms",
                self.len(),
                total.as_millis()
            ),
            n => writeln!(out, "{n} of {} steps FAILED", self.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(report: &mut Report, step: &'static str, outcome: Result<String, String>) {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(report.step(step, TransportKind::Ureq, async { outcome }));
    }

    #[test]
    fn the_table_lines_up_and_counts_failures() {
        let mut report = Report::new(Duration::from_secs(5));
        run(&mut report, "application session", Ok("no user".into()));
        run(
            &mut report,
            "login",
            Err("invalid credentials (HTTP 401)".into()),
        );
        let mut out = Vec::new();
        report.render(&mut out, Duration::from_millis(12)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("step                 transport  result"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("application session  ureq       ok: no user"),
            "{text}"
        );
        assert!(
            lines[3].starts_with("login                ureq       FAILED: invalid credentials"),
            "{text}"
        );
        assert_eq!(lines[0].len(), lines[2].len(), "{text}");
        assert_eq!(report.failures(), 1);
        assert_eq!(lines.last(), Some(&"1 of 2 steps FAILED"));
    }

    #[test]
    fn a_step_that_hangs_fails_at_the_limit() {
        let mut report = Report::new(Duration::from_millis(20));
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(report.step("hang", TransportKind::Reqwest, async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(String::new())
            }));
        assert_eq!(report.failures(), 1);
    }
}
