//! `qb-auth demo`: an emulator in this process on loopback, then every
//! identity over both transports, the login upgrade and logout downgrade,
//! get and destroy, a deliberately wrong signature and the emulator's
//! diagnosis of it, a renewal after a forced expiry, a recovery from a
//! skewed clock and two "processes" sharing one session through a
//! redis-server of the demo's own (skipped without one), printed as a
//! table, then where the emulator's page was. Exits 0 only when every step
//! worked.

mod client;
mod fleet;
mod report;

use std::io::Write;
use std::time::{Duration, Instant};

use qb_auth_core::{
    AppCredentials, Endpoint, ErrorKind, HttpRequest, Identity, SecretString, Session,
};
use qb_auth_emulator::{Emulator, EmulatorControl, fixtures};

use self::client::{DemoClient, OffsetProbe};
use self::report::Report;
use crate::args::{DemoArgs, TransportKind};
use crate::exit::CliError;

/// How far ahead the emulator's clock runs in the skew step: beyond the
/// 60 minutes QuickBlox accepts.
const SKEW_SECS: i64 = 90 * 60;

/// Starts the emulator, runs the steps, prints the table.
pub(super) fn run(args: &DemoArgs, out: &mut dyn Write) -> Result<(), CliError> {
    // Two workers: the emulator serves while a step waits on it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Demo(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(demo(args, out))
}

async fn demo(args: &DemoArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let started = Instant::now();
    let emulator = Emulator::with_demo_fixtures()
        .start()
        .await
        .map_err(|e| CliError::Demo(format!("the embedded emulator did not start: {e}")))?;
    writeln!(
        out,
        "qb-auth demo: a QuickBlox emulator in this process at {} (loopback only),\n\
         application {} with the demo users and provider tokens\n",
        emulator.base_url(),
        fixtures::APP_ID
    )?;
    let endpoint = Endpoint::parse(emulator.base_url())?;
    let timeout = Duration::from_secs(args.timeout);
    let mut report = Report::new(timeout);
    let redis = fleet::redis();
    for kind in [TransportKind::Reqwest, TransportKind::Ureq] {
        match DemoClient::new(kind, &endpoint, timeout) {
            Ok(client) => {
                steps(&mut report, &client, &emulator.control(), &endpoint).await;
                fleet::step(&mut report, &client, &emulator.control(), &endpoint, &redis).await;
            }
            Err(e) => {
                report
                    .step("set up the client", kind, async { Err(e.message) })
                    .await;
            }
        }
    }
    let page = emulator.page_url();
    emulator.shutdown().await;
    report.render(out, started.elapsed())?;
    writeln!(
        out,
        "While it ran, the emulator's page at {page} showed these requests, the live sessions \
         and why each signature was refused; `qb-auth emulator --demo-fixtures` serves the same \
         page until stopped."
    )?;
    match report.failures() {
        0 => Ok(()),
        n => Err(CliError::Demo(format!(
            "{n} of {} demo steps failed (see the table above)",
            report.len()
        ))),
    }
}

/// Every step, for one transport.
async fn steps(
    report: &mut Report,
    client: &DemoClient,
    emulator: &EmulatorControl,
    endpoint: &Endpoint,
) {
    let t = client.kind();
    let app = match demo_app() {
        Ok(app) => app,
        Err(e) => return report.step("demo application", t, async { Err(e) }).await,
    };

    report
        .step("application session", t, async {
            let session = client
                .create_session(&app, &Identity::application())
                .await?;
            expect_user(&session, None)?;
            Ok("token issued, no user".into())
        })
        .await;

    for (step, identity, user) in identities() {
        report
            .step(step, t, async {
                let session = client.create_session(&app, &identity?).await?;
                expect_user(&session, Some(user))?;
                Ok(format!("user {user}"))
            })
            .await;
    }

    report
        .step("wrong password: refused at once", t, async {
            let before = emulator.stats().credential_failures;
            let wrong = Identity::login(fixtures::ALICE_LOGIN, "not-the-password").map_err(text)?;
            match client.create_session(&app, &wrong).await {
                Ok(_) => Err("a wrong password was accepted".into()),
                Err(e) if e.kind == Some(ErrorKind::InvalidCredentials) => {
                    let attempts = emulator.stats().credential_failures - before;
                    if attempts == 1 {
                        Ok(format!("{}, 1 attempt", ErrorKind::InvalidCredentials))
                    } else {
                        Err(format!("{attempts} attempts instead of 1"))
                    }
                }
                Err(e) => Err(format!("expected invalid credentials, got: {}", e.message)),
            }
        })
        .await;

    // One token, upgraded to a user session and back, then destroyed.
    let mut token = None;
    report
        .step("login upgrade (same token)", t, async {
            let session = client
                .create_session(&app, &Identity::application())
                .await?;
            let alice =
                Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD).map_err(text)?;
            let user = client.login(&session.token, &alice).await?;
            let now = client.get_session(&session.token).await?;
            expect_user(&now, Some(fixtures::ALICE_ID))?;
            token = Some(session.token);
            Ok(format!(
                "now user {} ({})",
                user.id,
                user.login.unwrap_or_default()
            ))
        })
        .await;
    report
        .step("logout downgrade (same token)", t, async {
            let token = token.as_ref().ok_or("no token from the login step")?;
            client.logout(token).await?;
            let now = client.get_session(token).await?;
            expect_user(&now, None)?;
            Ok("application session again".into())
        })
        .await;
    report
        .step("get, destroy, get again", t, async {
            let token = token.as_ref().ok_or("no token from the login step")?;
            client.get_session(token).await?;
            client.destroy_session(token).await?;
            match client.get_session(token).await {
                Ok(_) => Err("the destroyed token still works".into()),
                Err(e) if e.kind == Some(ErrorKind::SessionExpired) => {
                    Ok("destroyed token refused".into())
                }
                Err(e) => Err(format!("expected session expired, got: {}", e.message)),
            }
        })
        .await;

    report
        .step("wrong signature: diagnosed", t, async {
            // The secret as a file or variable often holds it: with its line break.
            let secret = SecretString::from(format!("{}\n", fixtures::AUTH_SECRET));
            let wrong =
                AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, secret).map_err(text)?;
            match client
                .create_session(&wrong, &Identity::application())
                .await
            {
                Ok(_) => Err("a wrong signature was accepted".into()),
                Err(e) if e.kind == Some(ErrorKind::UnexpectedSignature) => {
                    // Logged before the answer was sent: it is there now.
                    let diagnosis = emulator
                        .recent_requests()
                        .into_iter()
                        .rev()
                        .find_map(|r| r.diagnosis)
                        .ok_or("the emulator logged no diagnosis")?;
                    let cause = diagnosis.cause.to_string();
                    // The reason without its aside, to keep the table narrow.
                    let short = cause.split(" (").next().unwrap_or(&cause);
                    Ok(format!("422; the emulator: {short}"))
                }
                Err(e) => Err(format!(
                    "expected an unexpected signature, got: {}",
                    e.message
                )),
            }
        })
        .await;

    report
        .step("account settings", t, async {
            let settings = client.account_settings(fixtures::ACCOUNT_KEY).await?;
            let api = settings.api_endpoint.unwrap_or_default();
            if api == emulator.base_url() {
                Ok(format!("api endpoint {api}"))
            } else {
                Err(format!(
                    "api endpoint {api:?}, expected {}",
                    emulator.base_url()
                ))
            }
        })
        .await;

    managed_steps(report, client, emulator, endpoint, &app).await;
}

/// What managed sessions do on their own: renew after an expiry, and
/// correct a skewed clock.
async fn managed_steps(
    report: &mut Report,
    client: &DemoClient,
    emulator: &EmulatorControl,
    endpoint: &Endpoint,
    app: &AppCredentials,
) {
    let t = client.kind();
    let alice = || Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD).map_err(text);

    report
        .step("renewal after forced expiry", t, async {
            let managed = client.managed(app, &alice()?, &OffsetProbe::default())?;
            let first = managed.token().await?;
            let before = emulator.stats().sessions_created;
            // Every token dies on the server; the session's own clock still
            // says it is valid, so only the server's answer can tell it.
            emulator.expire_all_sessions();
            let answer = managed.send(dialogs(endpoint)?).await?;
            expect_status(&answer, 200)?;
            let second = managed.token().await?;
            let created = emulator.stats().sessions_created - before;
            if second == first {
                Err("the expired token is still in use".into())
            } else if created != 1 {
                Err(format!("{created} sessions created instead of 1"))
            } else {
                Ok("expired on the server; renewed once, request 200".into())
            }
        })
        .await;

    emulator.set_clock_offset(SKEW_SECS);
    report
        .step("recovery from a skewed clock", t, async {
            let alice = alice()?;
            // A one-shot call is refused once, reads the server's clock
            // from the answer's `Date`, and signs again.
            let refused_before = emulator.stats().bad_timestamps;
            client.create_session(app, &alice).await?;
            let refused = emulator.stats().bad_timestamps - refused_before;
            if refused != 1 {
                return Err(format!("{refused} timestamps refused instead of 1"));
            }
            let probe = OffsetProbe::default();
            let managed = client.managed(app, &alice, &probe)?;
            let answer = managed.send(dialogs(endpoint)?).await?;
            expect_status(&answer, 200)?;
            let measured = probe.secs();
            if measured.abs_diff(SKEW_SECS) > 2 {
                return Err(format!(
                    "measured offset {measured} s, the server is {SKEW_SECS} s ahead"
                ));
            }
            Ok(format!(
                "one-shot: signed again once; managed: {measured:+} s corrected"
            ))
        })
        .await;
    emulator.set_clock_offset(0);
}

/// `GET /chat/Dialog.json`: a resource that needs a user session.
pub(super) fn dialogs(endpoint: &Endpoint) -> Result<HttpRequest, String> {
    http::Request::get(endpoint.url("chat/Dialog.json"))
        .body(qb_auth_core::Body::empty())
        .map_err(text)
}

pub(super) fn expect_status(answer: &http::Response<Vec<u8>>, status: u16) -> Result<(), String> {
    if answer.status().as_u16() == status {
        Ok(())
    } else {
        Err(format!(
            "HTTP {} instead of {status}",
            answer.status().as_u16()
        ))
    }
}

/// The demo application's credentials.
pub(super) fn demo_app() -> Result<AppCredentials, String> {
    AppCredentials::new(
        fixtures::APP_ID,
        fixtures::AUTH_KEY,
        SecretString::from(fixtures::AUTH_SECRET),
    )
    .map_err(text)
}

/// Each user identity, with the user the emulator maps it to.
fn identities() -> Vec<(&'static str, Result<Identity, String>, u64)> {
    use fixtures::*;
    vec![
        (
            "login + password",
            Identity::login(ALICE_LOGIN, ALICE_PASSWORD).map_err(text),
            ALICE_ID,
        ),
        (
            "email + password",
            Identity::email(ALICE_EMAIL, ALICE_PASSWORD).map_err(text),
            ALICE_ID,
        ),
        (
            "facebook token",
            Identity::facebook(FACEBOOK_TOKEN).map_err(text),
            ALICE_ID,
        ),
        (
            "twitter token + secret",
            Identity::twitter(TWITTER_TOKEN, TWITTER_SECRET).map_err(text),
            BOB_ID,
        ),
        (
            "firebase phone",
            Identity::firebase_phone(FIREBASE_PROJECT_ID, FIREBASE_ACCESS_TOKEN).map_err(text),
            BOB_ID,
        ),
        (
            // QuickBlox takes a custom provider's user id and token as login
            // and password; the emulator checks them like any user's.
            "custom identity provider",
            Identity::custom_provider(BOB_LOGIN, BOB_PASSWORD).map_err(text),
            BOB_ID,
        ),
    ]
}

fn expect_user(session: &Session, expected: Option<u64>) -> Result<(), String> {
    if session.user() == expected {
        Ok(())
    } else {
        Err(format!(
            "session for {:?}, expected {expected:?}",
            session.user()
        ))
    }
}

pub(super) fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}
