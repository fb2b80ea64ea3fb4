//! A burst: 1,000 reqwest tasks that each create one session at the same
//! moment, and how long each waited for it. The emulator must serve a
//! crowd without making anyone wait long.

use std::sync::Arc;
use std::time::Instant;

use qb_auth_core::Identity;
use serde::{Deserialize, Serialize};

use super::setup::Stage;

/// Tasks in one burst.
pub(crate) const TASKS: usize = 1000;

/// One burst per round.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Burst {
    pub(crate) tasks: usize,
    /// Per round: each task's wait, in milliseconds, sorted.
    pub(crate) rounds: Vec<Vec<f64>>,
    pub(crate) errors: usize,
}

impl Burst {
    /// The `q` quantile of every task's wait, over all rounds.
    pub(crate) fn quantile_ms(&self, q: f64) -> f64 {
        let mut all: Vec<f64> = self.rounds.iter().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        if all.is_empty() {
            return f64::NAN;
        }
        let index = ((all.len() - 1) as f64 * q).round() as usize;
        all[index.min(all.len() - 1)]
    }
}

pub(crate) fn run(stage: &mut Stage, rounds: usize) -> Result<Burst, String> {
    let http = stage.reqwest_http()?;
    let client = {
        let _entered = stage.client_runtime.enter();
        Arc::new(
            qb_auth_reqwest::Client::builder()
                .endpoint(stage.endpoint.clone())
                .http_client(http)
                .nonces(stage.nonces())
                .build()
                .map_err(|e| format!("reqwest adapter: {e}"))?,
        )
    };
    // Shared, not cloned per task: a clone would copy the secret.
    let app = Arc::new(stage.app.clone());
    let mut burst = Burst {
        tasks: TASKS,
        ..Burst::default()
    };
    for _ in 0..rounds {
        let waits = stage.client_runtime.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (client, app) = (Arc::clone(&client), Arc::clone(&app));
                    tokio::spawn(async move {
                        let started = Instant::now();
                        let result = client.create_session(&app, &Identity::application()).await;
                        (started.elapsed().as_secs_f64() * 1e3, result.is_ok())
                    })
                })
                .collect();
            let mut waits = Vec::with_capacity(TASKS);
            for task in tasks {
                waits.push(task.await.unwrap_or((f64::INFINITY, false)));
            }
            waits
        });
        burst.errors += waits.iter().filter(|(_, ok)| !ok).count();
        let mut ms: Vec<f64> = waits.into_iter().map(|(ms, _)| ms).collect();
        ms.sort_by(f64::total_cmp);
        burst.rounds.push(ms);
    }
    Ok(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_read_over_every_round() {
        let burst = Burst {
            tasks: 4,
            rounds: vec![vec![1.0, 2.0, 3.0, 4.0], vec![5.0, 6.0, 7.0, 100.0]],
            errors: 0,
        };
        assert_eq!(burst.quantile_ms(0.0), 1.0);
        assert_eq!(burst.quantile_ms(0.5), 5.0);
        assert_eq!(burst.quantile_ms(1.0), 100.0);
        assert!(Burst::default().quantile_ms(0.99).is_nan());
    }
}
