//! The official JavaScript SDK against the same emulator, in a node child
//! process: its CPU time comes from node itself (`process.cpuUsage`, every
//! thread of that process), the emulator's from `/proc` over the interval
//! node reports as measured.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde::Deserialize;

use super::cpu::CpuTimes;
use super::setup::Stage;
use super::throughput::{Span, Throughput};
use crate::js_sdk::{Installed, VERSION};

/// What `bench.js e2e` prints last.
#[derive(Debug, Deserialize)]
struct NodeRun {
    ops: u64,
    errors: u64,
    first_error: Option<String>,
    secs: f64,
    /// CPU time of the node process over the measurement, all threads.
    cpu_us: f64,
}

/// Sessions created by the SDK with `in_flight` concurrent loops.
pub(crate) fn run(
    stage: &Stage,
    span: Span,
    sdk: &Installed,
    in_flight: u32,
) -> Result<Throughput, String> {
    let mut child = Command::new("node")
        .arg(&sdk.script)
        .arg(&sdk.dir)
        .arg("e2e")
        .arg(stage.emulator.base_url())
        .arg(in_flight.to_string())
        .arg(span.warm_up.as_millis().to_string())
        .arg(span.measure.as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let stdout = child.stdout.take().ok_or("node's output is not piped")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut next_line = || {
        lines
            .next()
            .transpose()
            .map_err(|e| format!("reading node's output: {e}"))?
            .ok_or_else(|| "node ended early".to_owned())
    };
    let phase = next_line()?;
    if phase.trim() != r#"{"phase":"measure"}"# {
        let _ = child.kill();
        return Err(format!("unexpected first line from bench.js: {phase:?}"));
    }
    let before = CpuTimes::now()?;
    let last = next_line()?;
    let emulator = CpuTimes::now()?.since(before).emulator_secs;
    let status = child.wait().map_err(|e| format!("waiting for node: {e}"))?;
    if !status.success() {
        return Err(format!("bench.js failed ({status})"));
    }
    let measured: NodeRun = serde_json::from_str(&last)
        .map_err(|e| format!("unreadable bench.js result {last:?}: {e}"))?;
    let per_op = |micros: f64| {
        if measured.ops == 0 {
            0.0
        } else {
            micros / measured.ops as f64
        }
    };
    Ok(Throughput {
        id: format!("js_sdk_{in_flight}"),
        label: format!("official JS SDK {VERSION} (node-fetch), {in_flight} in flight"),
        in_flight,
        ops: measured.ops,
        errors: measured.errors,
        first_error: measured.first_error,
        secs: measured.secs,
        client_cpu_us: per_op(measured.cpu_us),
        emulator_cpu_us: per_op(emulator * 1e6),
    })
}
