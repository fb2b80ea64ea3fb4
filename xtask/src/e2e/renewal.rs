//! 1,000 concurrent callers on an expired managed session: how long until
//! all hold a token, and how many sessions the emulator created meanwhile.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use qb_auth_core::Identity;
use qb_auth_core::lifecycle::{Policy, SessionCredentials};
use qb_auth_reqwest::SessionSource;
use serde::{Deserialize, Serialize};

use super::setup::Stage;

/// Callers asking at once.
pub(crate) const CALLERS: usize = 1000;

/// The session lifetime for this part: long enough to create and check a
/// session, short enough to wait out. QuickBlox's expiry header has whole
/// seconds, so the local expiry lands 1 to 3 seconds after creation.
const TTL: Duration = Duration::from_secs(2);

/// One round: the session expired, then 1,000 callers asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Round {
    /// From the first caller's start until the last caller held a token.
    pub(crate) all_served_ms: f64,
    /// Sessions the emulator created during the round.
    pub(crate) renewals: u64,
    /// Distinct tokens the callers got (one renewal: one token).
    pub(crate) distinct_tokens: usize,
    /// Callers that got an error.
    pub(crate) errors: usize,
}

/// Every round of this run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Renewal {
    pub(crate) callers: usize,
    pub(crate) rounds: Vec<Round>,
}

impl Renewal {
    /// The slowest round: the target holds only if even it is within.
    pub(crate) fn worst_ms(&self) -> f64 {
        self.rounds
            .iter()
            .map(|r| r.all_served_ms)
            .fold(0.0, f64::max)
    }

    pub(crate) fn median_ms(&self) -> f64 {
        let mut times: Vec<f64> = self.rounds.iter().map(|r| r.all_served_ms).collect();
        times.sort_by(f64::total_cmp);
        times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
    }

    /// Every round renewed exactly once and served every caller the new token.
    pub(crate) fn one_renewal_each(&self) -> bool {
        !self.rounds.is_empty()
            && self
                .rounds
                .iter()
                .all(|r| r.renewals == 1 && r.distinct_tokens == 1 && r.errors == 0)
    }
}

pub(crate) fn run(stage: &mut Stage, rounds: usize) -> Result<Renewal, String> {
    stage.emulator.set_session_ttl(TTL);
    let client = {
        let _entered = stage.client_runtime.enter();
        qb_auth_reqwest::Client::builder()
            .endpoint(stage.endpoint.clone())
            .http_client(stage.reqwest_http()?)
            .nonces(stage.nonces())
            .build()
            .map_err(|e| format!("reqwest adapter: {e}"))?
    };
    // Renew when the session has expired, not before (no margin, no
    // jitter), so that every caller finds no valid token and must wait on
    // the one renewal. Without an expiry header the same TTL applies.
    let policy = Policy::default()
        .with_renew_margin(Duration::ZERO)
        .with_renew_jitter(0.0)
        .with_default_ttl(TTL);
    let session = client
        .managed(SessionSource::credentials(SessionCredentials::new(
            stage.app.clone(),
            Identity::application(),
        )))
        .policy(policy)
        .build()
        .map_err(|e| format!("managed session: {e}"))?;

    let mut results = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        // A first session, then wait until the lifecycle's expiry passes.
        stage
            .client_runtime
            .block_on(session.token())
            .map_err(|e| format!("first session: {e}"))?;
        let expires_at = session
            .expires_at()
            .ok_or("the managed session has no expiry")?;
        let wait = expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if wait > TTL * 3 {
            return Err(format!(
                "the session expires in {wait:?}, not in about {TTL:?}"
            ));
        }
        std::thread::sleep(wait + Duration::from_millis(20));

        let created_before = stage.emulator.stats().sessions_created;
        let started = Instant::now();
        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let session = session.clone();
                stage.client_runtime.spawn(async move {
                    let token = session.token().await;
                    (token, Instant::now())
                })
            })
            .collect();
        let answers = stage.client_runtime.block_on(async {
            let mut answers = Vec::with_capacity(CALLERS);
            for caller in callers {
                answers.push(caller.await.map_err(|e| format!("a caller failed: {e}"))?);
            }
            Ok::<_, String>(answers)
        })?;
        let renewals = stage.emulator.stats().sessions_created - created_before;
        let last = answers.iter().map(|(_, at)| *at).max().unwrap_or(started);
        let mut tokens = HashSet::new();
        let mut errors = 0;
        for (token, _) in &answers {
            match token {
                Ok(token) => {
                    tokens.insert(token.expose().to_owned());
                }
                Err(_) => errors += 1,
            }
        }
        results.push(Round {
            all_served_ms: last.duration_since(started).as_secs_f64() * 1e3,
            renewals,
            distinct_tokens: tokens.len(),
            errors,
        });
    }
    Ok(Renewal {
        callers: CALLERS,
        rounds: results,
    })
}
