//! The stage: an emulator on its own runtime, a client runtime, the
//! application both know, and HTTP clients configured alike for the
//! adapters and for the floor.

use std::time::Duration;

use qb_auth_core::{AppCredentials, Endpoint, SecretString, SequentialNonces};
use qb_auth_emulator::{AppConfig, Emulator, EmulatorHandle};
use tokio::runtime::Runtime;

use super::cpu::{CLIENT, EMULATOR};

const APPLICATION_ID: u64 = 76730;
const AUTH_KEY: &str = "bench-auth-key";
const AUTH_SECRET: &str = "bench-auth-secret";

/// Sessions and used nonces the emulator may hold during a run.
const BENCH_CAP: usize = 20_000_000;

/// Two worker threads per side: each side can use both cores, and they
/// compete for them as a client and a server on one small machine do.
const WORKERS: usize = 2;

/// Requests never wait long on loopback; this only bounds a hung run.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Stage {
    pub(crate) emulator_runtime: Runtime,
    pub(crate) client_runtime: Runtime,
    pub(crate) emulator: EmulatorHandle,
    pub(crate) endpoint: Endpoint,
    pub(crate) app: AppCredentials,
    next_nonce_block: u32,
}

impl Stage {
    pub(crate) fn new() -> Result<Self, String> {
        let emulator_runtime = runtime(EMULATOR)?;
        let client_runtime = runtime(CLIENT)?;
        let emulator = emulator_runtime
            .block_on(
                Emulator::builder()
                    .app(AppConfig::new(APPLICATION_ID, AUTH_KEY, AUTH_SECRET))
                    // A run creates hundreds of thousands of sessions, each
                    // with its nonce: far past the emulator's default caps.
                    .max_sessions(BENCH_CAP)
                    .max_nonces(BENCH_CAP)
                    .start(),
            )
            .map_err(|e| format!("the emulator did not start: {e}"))?;
        let endpoint = Endpoint::parse(emulator.base_url())
            .map_err(|e| format!("emulator URL {}: {e}", emulator.base_url()))?;
        let app = AppCredentials::new(APPLICATION_ID, AUTH_KEY, SecretString::from(AUTH_SECRET))
            .map_err(|e| format!("bench credentials: {e}"))?;
        Ok(Self {
            emulator_runtime,
            client_runtime,
            emulator,
            endpoint,
            app,
            next_nonce_block: 1,
        })
    }

    /// Nonces no other client of this run uses: the emulator rejects a
    /// reused (timestamp, nonce) pair, and random nonces would collide now
    /// and then at tens of thousands of sessions a second.
    pub(crate) fn nonces(&mut self) -> SequentialNonces {
        let first = self.next_nonce_block;
        self.next_nonce_block += 100_000_000;
        SequentialNonces::starting_at(first)
    }

    /// A reqwest client as the adapter builds it, without proxies.
    pub(crate) fn reqwest_http(&self) -> Result<reqwest::Client, String> {
        // reqwest's client starts its connection pool on the current runtime.
        let _entered = self.client_runtime.enter();
        qb_auth_reqwest::reqwest_builder()
            .map_err(|e| format!("reqwest builder: {e}"))?
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("reqwest client: {e}"))
    }

    /// A ureq agent as the adapter would configure it for plain HTTP.
    pub(crate) fn ureq_agent(&self) -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .proxy(None)
            .build()
            .new_agent()
    }

    pub(crate) fn shutdown(self) {
        let Self {
            emulator_runtime,
            client_runtime,
            emulator,
            ..
        } = self;
        client_runtime.shutdown_timeout(Duration::from_secs(5));
        emulator_runtime.block_on(emulator.shutdown());
        emulator_runtime.shutdown_timeout(Duration::from_secs(5));
    }
}

fn runtime(prefix: &str) -> Result<Runtime, String> {
    let name = format!("{prefix}worker");
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .thread_name(name)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}
