//! The control API's JSON: what it reads (checked strictly: an unknown
//! field is an error, not ignored) and what it answers.

use http::header::CACHE_CONTROL;
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::answers::Answer;
use crate::diagnosis::SignatureDiagnosis;
use crate::faults::Fault;
use crate::journal::{RequestRecord, fault_name};
use crate::refusal::Refusal;
use crate::state::{Shared, unix_secs};
use crate::stats::EmulatorStats;

/// A refused control request: `{"error":{"kind":…,"message":…}}`.
#[derive(Debug)]
pub(super) struct ControlError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    pub(super) allow: Option<&'static str>,
}

impl ControlError {
    pub(super) fn new(status: StatusCode, kind: &'static str, message: &str) -> Self {
        Self {
            status,
            kind,
            message: message.to_owned(),
            allow: None,
        }
    }

    /// 422: well-formed, but a value the emulator refuses.
    pub(super) fn invalid(message: &str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", message)
    }

    pub(super) fn answer(self) -> Answer {
        let mut answer = control_json(
            self.status,
            &json!({"error": {"kind": self.kind, "message": self.message}}),
        );
        answer.allow = self.allow;
        answer
    }
}

/// A control answer: JSON, never cached.
fn control_json(status: StatusCode, value: &Value) -> Answer {
    let mut answer = Answer::json(status, value);
    answer
        .extra_headers
        .push((CACHE_CONTROL, HeaderValue::from_static("no-store")));
    answer
}

fn ok(value: &Value) -> Answer {
    control_json(StatusCode::OK, value)
}

/// Reads a POST body as `T`; an empty body is `{}`.
pub(super) fn read_body<T: DeserializeOwned>(
    parts: &Parts,
    body: &[u8],
) -> Result<T, ControlError> {
    if !super::is_json(parts) {
        return Err(ControlError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            "send the control API JSON (Content-Type: application/json)",
        ));
    }
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        ControlError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            &format!("the body is not what this endpoint takes: {e}"),
        )
    })
}

/// `POST /_emulator/faults`. Omitted fields keep their value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultsChange {
    /// First forget queued faults and set every share to zero.
    #[serde(default)]
    pub(super) clear: bool,
    pub(super) latency_ms: Option<u64>,
    pub(super) error_500: Option<f64>,
    pub(super) error_503: Option<f64>,
    pub(super) drop: Option<f64>,
    pub(super) throttle: Option<f64>,
    pub(super) retry_after_secs: Option<u64>,
    /// Faults for the next requests, in order.
    #[serde(default)]
    pub(super) next: Vec<FaultRun>,
}

/// One entry of `next`: `{"fault":"503","count":2}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultRun {
    fault: String,
    #[serde(default = "one")]
    count: usize,
    retry_after_secs: Option<u64>,
}

fn one() -> usize {
    1
}

impl FaultRun {
    pub(super) fn fault(&self) -> Result<(Fault, usize), ControlError> {
        let fault = match (self.fault.as_str(), self.retry_after_secs) {
            ("500", None) => Fault::Status500,
            ("503", None) => Fault::Status503,
            ("drop", None) => Fault::Drop,
            ("429", retry_after) => Fault::Status429 {
                retry_after_secs: retry_after.unwrap_or(1),
            },
            ("500" | "503" | "drop", Some(_)) => {
                return Err(ControlError::invalid(
                    "retry_after_secs goes only with the fault \"429\"",
                ));
            }
            _ => {
                return Err(ControlError::invalid(
                    "fault must be \"500\", \"503\", \"429\" or \"drop\"",
                ));
            }
        };
        Ok((fault, self.count))
    }
}

/// `POST /_emulator/reset` and `/expire`: nothing to say (`{}` or empty).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NoFields {}

/// `POST /_emulator/clock`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClockChange {
    pub(super) offset_secs: Option<i64>,
    pub(super) unix_time: Option<i64>,
}

/// `GET /_emulator/stats`: the library's [`EmulatorStats`], refusals
/// grouped by their [`Refusal::name`].
pub(super) fn stats(stats: &EmulatorStats) -> Answer {
    ok(&stats_json(stats))
}

pub(super) fn stats_json(stats: &EmulatorStats) -> Value {
    let refusals: serde_json::Map<String, Value> = Refusal::ALL
        .iter()
        .map(|&r| (r.name().to_owned(), stats.refused(r).into()))
        .collect();
    json!({
        "requests": stats.requests,
        "sessions_created": stats.sessions_created,
        "sessions_destroyed": stats.sessions_destroyed,
        "active_sessions": stats.active_sessions,
        "logins": stats.logins,
        "logouts": stats.logouts,
        "api_key_requests": stats.api_key_requests,
        "connections_shed": stats.connections_shed,
        "refusals": refusals,
        "faults": {
            "status_500": stats.faults.status_500,
            "status_503": stats.faults.status_503,
            "status_429": stats.faults.status_429,
            "dropped": stats.faults.dropped,
            "delayed": stats.faults.delayed,
        },
    })
}

/// `GET /_emulator/requests`.
pub(super) fn requests(capacity: usize, records: &[RequestRecord]) -> Answer {
    let records: Vec<Value> = records.iter().map(record_json).collect();
    ok(&json!({"capacity": capacity, "requests": records}))
}

fn record_json(record: &RequestRecord) -> Value {
    json!({
        "seq": record.seq,
        "received_at": qb_auth_core::time::format_rfc3339(record.received_at),
        "elapsed_ms": record.elapsed.as_secs_f64() * 1000.0,
        "method": record.method,
        "path": record.path,
        "status": record.status,
        "refusal": record.refusal.map(Refusal::name),
        "fault": record.fault.map(fault_name),
        "diagnosis": record.diagnosis.as_ref().map(diagnosis_json),
        "line": record.to_string(),
    })
}

fn diagnosis_json(diagnosis: &SignatureDiagnosis) -> Value {
    json!({
        "application_id": diagnosis.application_id,
        "cause": diagnosis.cause.kind(),
        "explanation": diagnosis.cause.to_string(),
        "params": diagnosis.params,
        "omitted_params": diagnosis.omitted_params,
        "string_to_sign": diagnosis.string_to_sign,
    })
}

/// `GET` and `POST /_emulator/faults`: the fault knobs as they are now.
pub(super) fn faults(shared: &Shared) -> Answer {
    let knobs = shared.knobs();
    let shares = knobs.faults.shares();
    let next: Vec<Value> = knobs
        .faults
        .queued()
        .map(|(fault, count)| match fault {
            Fault::Status429 { retry_after_secs } => json!({
                "fault": "429", "count": count, "retry_after_secs": retry_after_secs,
            }),
            other => json!({"fault": fault_name(other), "count": count}),
        })
        .collect();
    let value = json!({
        "latency_ms": u64::try_from(knobs.latency.as_millis()).unwrap_or(u64::MAX),
        "error_500": shares.status_500,
        "error_503": shares.status_503,
        "drop": shares.drop,
        "throttle": shares.status_429,
        "retry_after_secs": shares.retry_after_secs,
        "next": next,
    });
    drop(knobs);
    ok(&value)
}

/// `GET` and `POST /_emulator/clock`.
pub(super) fn clock(shared: &Shared) -> Answer {
    let now = shared.server_now();
    ok(&json!({
        "offset_secs": shared.clock_offset(),
        "server_time": qb_auth_core::time::format_rfc3339(now),
        "unix_time": unix_secs(now),
    }))
}

pub(super) fn reset() -> Answer {
    ok(&json!({"reset": true}))
}

pub(super) fn expired(count: u64) -> Answer {
    ok(&json!({"expired": count}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_is_listed_under_its_name() {
        let stats = EmulatorStats {
            signature_failures: 3,
            unknown_routes: 2,
            ..EmulatorStats::default()
        };
        let value = stats_json(&stats);
        assert_eq!(value["refusals"]["unexpected_signature"], 3);
        assert_eq!(value["refusals"]["unknown_route"], 2);
        assert_eq!(
            value["refusals"].as_object().unwrap().len(),
            Refusal::ALL.len()
        );
    }
}
