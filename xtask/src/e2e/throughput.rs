//! Operations per second and CPU time per operation, for one operation run
//! by N concurrent loops (tasks on the client runtime, or one thread).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::cpu::{CLIENT, CpuTimes};
use super::setup::Stage;

/// How long to run each measurement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) warm_up: Duration,
    pub(crate) measure: Duration,
}

/// One measured run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Throughput {
    /// A stable id, such as `reqwest_32`.
    pub(crate) id: String,
    /// What was measured, for the table.
    pub(crate) label: String,
    /// Operations in flight at once.
    pub(crate) in_flight: u32,
    /// Operations completed without error during the measurement.
    pub(crate) ops: u64,
    /// Operations that failed (any failure makes the run invalid).
    pub(crate) errors: u64,
    /// The first failure, to say what went wrong.
    pub(crate) first_error: Option<String>,
    /// Wall time of the measurement.
    pub(crate) secs: f64,
    /// CPU time of the client's threads per operation, in microseconds.
    pub(crate) client_cpu_us: f64,
    /// CPU time of the emulator's threads per operation, in microseconds.
    pub(crate) emulator_cpu_us: f64,
}

impl Throughput {
    pub(crate) fn per_sec(&self) -> f64 {
        self.ops as f64 / self.secs
    }
}

/// What a run needs to know about itself.
pub(crate) struct Run<'a> {
    pub(crate) id: &'a str,
    pub(crate) label: &'a str,
    pub(crate) in_flight: u32,
}

#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn record(&mut self, result: Result<(), String>) {
        match result {
            Ok(()) => self.ok += 1,
            Err(err) => {
                self.errors += 1;
                self.first_error.get_or_insert(err);
            }
        }
    }

    fn add(&mut self, other: Self) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// Runs `op` in `run.in_flight` tasks on the client runtime, each looping
/// until the deadline: a warm-up (connections opened, caches filled), then
/// the measurement.
pub(crate) fn run_async<F, Fut>(
    stage: &Stage,
    span: Span,
    run: &Run<'_>,
    op: F,
) -> Result<Throughput, String>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let op = Arc::new(op);
    let rounds = |length: Duration| {
        let deadline = Instant::now() + length;
        let tasks: Vec<_> = (0..run.in_flight)
            .map(|_| {
                let op = Arc::clone(&op);
                stage.client_runtime.spawn(async move {
                    let mut tally = Tally::default();
                    while Instant::now() < deadline {
                        tally.record(op().await);
                    }
                    tally
                })
            })
            .collect();
        stage.client_runtime.block_on(async {
            let mut total = Tally::default();
            for task in tasks {
                total.add(
                    task.await
                        .map_err(|e| format!("a bench task failed: {e}"))?,
                );
            }
            Ok::<_, String>(total)
        })
    };
    rounds(span.warm_up)?;
    let cpu_before = CpuTimes::now()?;
    let started = Instant::now();
    let tally = rounds(span.measure)?;
    let secs = started.elapsed().as_secs_f64();
    let cpu = CpuTimes::now()?.since(cpu_before);
    Ok(finish(run, tally, secs, cpu))
}

/// Runs the blocking `op` in a loop on one client thread.
pub(crate) fn run_blocking<F>(span: Span, run: &Run<'_>, op: F) -> Result<Throughput, String>
where
    F: Fn() -> Result<(), String> + Send + 'static,
{
    let thread = std::thread::Builder::new()
        .name(format!("{CLIENT}blocking"))
        .spawn(move || {
            let rounds = |length: Duration| {
                let deadline = Instant::now() + length;
                let mut tally = Tally::default();
                while Instant::now() < deadline {
                    tally.record(op());
                }
                tally
            };
            rounds(span.warm_up);
            // Read while this thread is alive: its time leaves the
            // per-thread figures when it ends.
            let cpu_before = CpuTimes::now()?;
            let started = Instant::now();
            let tally = rounds(span.measure);
            let secs = started.elapsed().as_secs_f64();
            let cpu = CpuTimes::now()?.since(cpu_before);
            Ok::<_, String>((tally, secs, cpu))
        })
        .map_err(|e| format!("cannot start the client thread: {e}"))?;
    let (tally, secs, cpu) = thread
        .join()
        .map_err(|_| "the client thread panicked".to_owned())??;
    Ok(finish(run, tally, secs, cpu))
}

fn finish(run: &Run<'_>, tally: Tally, secs: f64, cpu: CpuTimes) -> Throughput {
    let per_op = |cpu_secs: f64| {
        if tally.ok == 0 {
            0.0
        } else {
            cpu_secs * 1e6 / tally.ok as f64
        }
    };
    Throughput {
        id: run.id.to_owned(),
        label: run.label.to_owned(),
        in_flight: run.in_flight,
        ops: tally.ok,
        errors: tally.errors,
        first_error: tally.first_error,
        secs,
        client_cpu_us: per_op(cpu.client_secs),
        emulator_cpu_us: per_op(cpu.emulator_secs),
    }
}
