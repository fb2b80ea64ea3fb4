//! The demo's fleet step: two managed sessions, standing for two
//! processes, share one session through a redis-server the demo starts on
//! a free loopback port (and stops at the end); skipped, saying so, where
//! there is no redis-server.

use qb_auth_core::Identity;
use qb_auth_emulator::{EmulatorControl, fixtures};
use qb_auth_redis::server::{self, RedisServer};

use super::client::DemoClient;
use super::report::Report;
use super::{demo_app, dialogs, expect_status, text};
use qb_auth_core::Endpoint;

/// The step's name in the table.
const STEP: &str = "fleet: 2 processes share 1 session (Redis)";

/// A redis-server of the demo's own: `None` without one on this machine,
/// an error when it would not start.
pub(super) fn redis() -> Option<Result<RedisServer, String>> {
    server::find().map(|binary| {
        RedisServer::start(binary).map_err(|e| format!("redis-server did not start: {e}"))
    })
}

/// Two sessions over `client` share one through Redis: one session for
/// both, and one renewal for both after the server expired it.
pub(super) async fn step(
    report: &mut Report,
    client: &DemoClient,
    emulator: &EmulatorControl,
    endpoint: &Endpoint,
    redis: &Option<Result<RedisServer, String>>,
) {
    let t = client.kind();
    report
        .step(STEP, t, async {
            let redis = match redis {
                None => {
                    return Ok("skipped: no redis-server (apt-get install redis-server)".into());
                }
                Some(Err(e)) => return Err(e.clone()),
                Some(Ok(redis)) => redis,
            };
            let app = demo_app()?;
            let alice =
                Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD).map_err(text)?;
            // A prefix per transport: each run starts from an empty fleet.
            let prefix = format!("qb-auth-demo-{}:", t.as_str());
            let first = client.shared(&app, &alice, &redis.url(), &prefix)?;
            let second = client.shared(&app, &alice, &redis.url(), &prefix)?;
            let before = emulator.stats().sessions_created;
            let token = first.token().await?;
            if second.token().await? != token {
                return Err("the second process did not take the fleet's session".into());
            }
            emulator.expire_all_sessions();
            for process in [&first, &second] {
                expect_status(&process.send(dialogs(endpoint)?).await?, 200)?;
            }
            match emulator.stats().sessions_created - before {
                2 => Ok("1 session for both; after an expiry, 1 renewal for both".into()),
                n => Err(format!("{n} sessions created instead of 2")),
            }
        })
        .await;
}
