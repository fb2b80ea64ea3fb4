//! `-v` shows what happens (operations, attempts, statuses, timings) on
//! stderr over both transports, and never a secret: not the auth secret,
//! the password, the account key, nor a session token.

mod common;

use std::process::Command;

use qb_auth_emulator::fixtures;

use common::{
    ACCOUNT_KEY, APP_ID, AUTH_KEY, AUTH_SECRET, EmulatorProcess, LOGIN, PASSWORD, assert_code,
    json, qb_auth, run, stderr,
};

fn cmd(endpoint: &str, transport: &str, args: &[&str]) -> Command {
    let mut cmd = qb_auth();
    cmd.args(args)
        .args(["--endpoint", endpoint, "--transport", transport])
        .env("QB_APP_ID", APP_ID)
        .env("QB_AUTH_KEY", AUTH_KEY)
        .env("QB_AUTH_SECRET", AUTH_SECRET)
        .env("QB_PASSWORD", PASSWORD)
        .env("QB_ACCOUNT_KEY", ACCOUNT_KEY);
    cmd
}

#[test]
fn verbose_output_shows_each_exchange_and_no_secret() {
    let emulator = EmulatorProcess::start();
    for transport in ["reqwest", "ureq"] {
        let mut log = String::new();
        let mut tokens = Vec::new();
        let mut step = |args: &[&str], token: Option<&str>, expected: i32| {
            let mut command = cmd(emulator.url(), transport, args);
            command.arg("-v");
            if let Some(token) = token {
                command.env("QB_TOKEN", token);
            }
            let output = run(&mut command);
            assert_code(&output, expected);
            log.push_str(&stderr(&output));
            output
        };
        let output = step(&["session", "create", "--output", "json"], None, 0);
        let app_token = json(&output)["token"].as_str().unwrap().to_owned();
        step(&["login", "--login", LOGIN], Some(&app_token), 0);
        step(&["session", "get"], Some(&app_token), 0);
        step(&["logout"], Some(&app_token), 0);
        step(&["session", "destroy"], Some(&app_token), 0);
        let output = step(
            &["session", "create", "--login", LOGIN, "--output", "json"],
            None,
            0,
        );
        let user_token = json(&output)["token"].as_str().unwrap().to_owned();
        step(&["account-settings"], None, 0);
        // A failure logs its error too: a destroyed token is refused.
        step(&["session", "get"], Some(&app_token), 3);
        tokens.push(app_token);
        tokens.push(user_token);

        // What happened is there...
        for expected in [
            "qb_auth.operation{operation=\"create application session\"",
            "operation=\"create user session\"",
            "operation=\"login\"",
            "operation=\"account settings\"",
            "qb_auth.attempt{attempt=1 method=POST path=\"/session.json\"",
            "status=201",
            "status=401",
            "time.busy=",
        ] {
            assert!(
                log.contains(expected),
                "{transport}: no {expected:?} in\n{log}"
            );
        }
        // ...and no secret.
        for secret in [AUTH_SECRET, PASSWORD, ACCOUNT_KEY]
            .into_iter()
            .chain(tokens.iter().map(String::as_str))
        {
            assert!(!log.contains(secret), "{transport}: {secret:?} in\n{log}");
        }
    }
}

#[test]
fn the_demo_with_verbose_shows_renewals_and_no_secret() {
    let output = run(qb_auth().args(["-v", "demo"]));
    assert_code(&output, 0);
    let log = stderr(&output);
    for expected in [
        "qb_auth.renewal{attempt=1",
        "session created",
        "renewal attempt failed",
        "clock offset measured offset_secs=5400",
        "time.busy=",
    ] {
        assert!(log.contains(expected), "no {expected:?} in\n{log}");
    }
    for secret in [
        fixtures::AUTH_SECRET,
        fixtures::ACCOUNT_KEY,
        fixtures::API_KEY,
        fixtures::ALICE_PASSWORD,
        "p%40ss+word%261%3D2",
        "p%40ss%20word%261%3D2",
        fixtures::BOB_PASSWORD,
        fixtures::FACEBOOK_TOKEN,
        fixtures::TWITTER_TOKEN,
        fixtures::TWITTER_SECRET,
        fixtures::FIREBASE_ACCESS_TOKEN,
    ] {
        assert!(!log.contains(secret), "{secret:?} in\n{log}");
    }
    // Session tokens and signatures are long hex runs; none is logged.
    let longest_hex = log
        .split(|c: char| !c.is_ascii_hexdigit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest_hex < 24, "a token-like hex run in\n{log}");

    // Without -v the demo's provoked failures stay in its table.
    let output = run(qb_auth().arg("demo"));
    assert_code(&output, 0);
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn without_verbose_a_success_prints_nothing_on_stderr() {
    let emulator = EmulatorProcess::start();
    let output = run(&mut cmd(emulator.url(), "ureq", &["session", "create"]));
    assert_code(&output, 0);
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}
