//! One-shot `create_session` with the client's retry policy on (the
//! default) against the same call with retries off, when nothing fails:
//! the resilience must cost nothing measurable on the happy path.
//! Sequential calls, alternating between two reqwest clients.

use std::time::Instant;

use qb_auth_core::Identity;
use qb_auth_core::lifecycle::Policy;
use serde::{Deserialize, Serialize};

use super::setup::Stage;

/// Calls per side per round.
const CALLS: usize = 200;

/// Per-call latencies, in microseconds, of both sides.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct OneShot {
    pub(crate) retries_on_us: Vec<f64>,
    pub(crate) retries_off_us: Vec<f64>,
    pub(crate) errors: usize,
}

impl OneShot {
    /// Median with retries on over median with retries off.
    pub(crate) fn ratio(&self) -> f64 {
        median(&self.retries_on_us) / median(&self.retries_off_us)
    }

    pub(crate) fn medians_us(&self) -> (f64, f64) {
        (median(&self.retries_on_us), median(&self.retries_off_us))
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

pub(crate) fn run(stage: &mut Stage, rounds: usize) -> Result<OneShot, String> {
    let mut client = |policy: Policy| {
        let http = stage.reqwest_http()?;
        let _entered = stage.client_runtime.enter();
        qb_auth_reqwest::Client::builder()
            .endpoint(stage.endpoint.clone())
            .http_client(http)
            .nonces(stage.nonces())
            .retry_policy(policy)
            .build()
            .map_err(|e| format!("reqwest adapter: {e}"))
    };
    let on = client(Policy::default())?;
    let off = client(Policy::default().with_max_attempts(1))?;
    let app = stage.app.clone();
    let mut result = OneShot::default();
    // Call by call, alternating which side goes first: both see the same
    // moments of a busy machine (blocks of calls swing by 2× here).
    stage.client_runtime.block_on(async {
        for call in 0..rounds * CALLS {
            let order = if call % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for retries_on in order {
                let client = if retries_on { &on } else { &off };
                let started = Instant::now();
                let ok = client
                    .create_session(&app, &Identity::application())
                    .await
                    .is_ok();
                let us = started.elapsed().as_secs_f64() * 1e6;
                result.errors += usize::from(!ok);
                if retries_on {
                    result.retries_on_us.push(us);
                } else {
                    result.retries_off_us.push(us);
                }
            }
        }
    });
    Ok(result)
}
