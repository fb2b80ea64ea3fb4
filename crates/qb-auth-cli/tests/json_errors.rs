//! With `--output json` a failure is one JSON object on stdout,
//! `{"error":{"kind","status","message","hint"}}`, nothing on stderr, and
//! the exit code is the one text output gets.

mod common;

use std::time::Duration;

use common::{
    APP_ID, AUTH_KEY, AUTH_SECRET, EmulatorProcess, LOGIN, PASSWORD, assert_code, canned_server,
    closed_port_url, json, qb_auth, run, stderr, stdout,
};
use serde_json::Value;

/// The `error` object of a JSON failure, after checking its shape, the
/// exit code and that stderr stayed empty.
#[track_caller]
fn error(output: &std::process::Output, code: i32) -> serde_json::Map<String, Value> {
    assert_code(output, code);
    assert!(stderr(output).is_empty(), "stderr:\n{}", stderr(output));
    let value = json(output);
    let object = value.as_object().expect("an object");
    assert_eq!(object.keys().collect::<Vec<_>>(), ["error"], "{value}");
    let error = object["error"]
        .as_object()
        .expect("an error object")
        .clone();
    assert_eq!(
        error.keys().collect::<Vec<_>>(),
        ["hint", "kind", "message", "status"],
        "{value}"
    );
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{value}"
    );
    error
}

fn create_at(endpoint: &str, secret: &str) -> std::process::Command {
    let mut cmd = qb_auth();
    cmd.args([
        "session",
        "create",
        "--app-id",
        APP_ID,
        "--auth-key",
        AUTH_KEY,
    ])
    .args([
        "--endpoint",
        endpoint,
        "--timeout",
        "10",
        "--output",
        "json",
    ])
    .env("QB_AUTH_SECRET", secret);
    cmd
}

#[test]
fn error_answers_are_json_with_their_kind_status_and_hint() {
    let emulator = EmulatorProcess::start();
    for transport in ["reqwest", "ureq"] {
        let output = run(create_at(emulator.url(), "not-the-secret")
            .args(["--transport", transport, "--login", LOGIN])
            .env("QB_PASSWORD", PASSWORD));
        let e = error(&output, 3);
        assert_eq!(e["kind"], "unexpected_signature", "{transport}");
        assert_eq!(e["status"], 422, "{transport}");
        let hint = e["hint"].as_str().expect("a hint");
        assert!(
            hint.contains("&user[login]=alice&user[password]=***"),
            "{hint}"
        );
        assert!(hint.contains("wrong auth secret"), "{hint}");
        assert!(!stdout(&output).contains(PASSWORD), "{transport}");

        let output = run(create_at(emulator.url(), AUTH_SECRET)
            .args(["--transport", transport, "--login", LOGIN])
            .env("QB_PASSWORD", "wrong-password"));
        let e = error(&output, 3);
        assert_eq!(e["kind"], "invalid_credentials", "{transport}");
        assert_eq!(e["status"], 401, "{transport}");
        assert!(
            e["hint"].as_str().unwrap().contains("does not retry"),
            "{e:?}"
        );
    }
}

#[test]
fn a_server_failure_is_json_with_exit_5() {
    let url = canned_server(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        Duration::from_secs(60),
    );
    let e = error(&run(&mut create_at(&url, "s")), 5);
    assert_eq!(e["kind"], "server_error");
    assert_eq!(e["status"], 503);
}

#[test]
fn no_answer_is_json_with_exit_4_and_no_status() {
    let url = closed_port_url();
    for transport in ["reqwest", "ureq"] {
        let e = error(
            &run(create_at(&url, "s").args(["--transport", transport])),
            4,
        );
        assert_eq!(e["kind"], "network", "{transport}");
        assert_eq!(e["status"], Value::Null, "{transport}");
        assert!(e["hint"].as_str().unwrap().contains("--endpoint"), "{e:?}");
    }
}

#[test]
fn usage_errors_are_json_too_even_those_clap_finds() {
    // Ours: the secret is missing and there is no terminal to ask on.
    let output = run(qb_auth().args([
        "session",
        "create",
        "--app-id",
        "1",
        "--auth-key",
        "k",
        "--output",
        "json",
    ]));
    let e = error(&output, 2);
    assert_eq!(e["kind"], "usage");
    assert_eq!(e["status"], Value::Null);
    assert!(
        e["message"].as_str().unwrap().contains("QB_AUTH_SECRET"),
        "{e:?}"
    );

    // clap's: an unknown flag, with JSON asked for by flag or by variable.
    for (args, env) in [
        (
            &["session", "create", "--app-idd", "1", "--output=json"][..],
            None,
        ),
        (&["session", "create", "--app-idd", "1"][..], Some("json")),
    ] {
        let mut cmd = qb_auth();
        cmd.args(args);
        if let Some(value) = env {
            cmd.env("QB_OUTPUT", value);
        }
        let e = error(&run(&mut cmd), 2);
        assert_eq!(e["kind"], "usage", "{args:?}");
        assert_eq!(
            e["message"], "unexpected argument '--app-idd' found",
            "{args:?}"
        );
        assert!(e["hint"].as_str().unwrap().contains("--app-id"), "{e:?}");
    }

    // Without JSON, clap's own words on stderr as before.
    let output = run(qb_auth().args(["session", "create", "--app-idd", "1"]));
    assert_code(&output, 2);
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).starts_with("error: unexpected argument"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn text_errors_stay_on_stderr_and_quiet_drops_the_hints() {
    let url = closed_port_url();
    let mut cmd = qb_auth();
    cmd.args(["session", "create", "--app-id", "1", "--auth-key", "k"])
        .args(["--endpoint", &url])
        .env("QB_AUTH_SECRET", "s");
    let output = run(&mut cmd);
    assert_code(&output, 4);
    assert!(stdout(&output).is_empty());
    let err = stderr(&output);
    assert!(
        err.starts_with(
            "error: create application session failed: could not connect (http://127.0.0.1:"
        ),
        "{err}"
    );
    assert!(err.contains("\n  check that"), "{err}");

    let output = run(cmd.arg("-q"));
    assert_code(&output, 4);
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: create application session failed: could not connect (http://127.0.0.1:"
        ),
        "{err}"
    );
}

/// A command line missing an argument or a subcommand, with JSON asked
/// for by `QB_OUTPUT`, gives one JSON error naming what is missing.
#[test]
fn missing_arguments_and_subcommands_are_one_json_error() {
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["session", "create"],
            "the following required arguments were not provided: --app-id <ID>, --auth-key <KEY>",
            "Usage: qb-auth session create",
        ),
        (
            &["session", "create", "--app-id", "1"],
            "the following required arguments were not provided: --auth-key <KEY>",
            "Usage: qb-auth session create",
        ),
        (
            &["session"],
            "a subcommand is required",
            "subcommands: create, get, destroy",
        ),
        (
            &[],
            "a subcommand is required",
            "subcommands: session, login,",
        ),
    ];
    for (args, message, hint) in cases {
        let output = run(qb_auth().args(args).env("QB_OUTPUT", "json"));
        let e = error(&output, 2);
        assert_eq!(e["kind"], "usage", "{args:?}");
        assert_eq!(e["message"], message, "{args:?}");
        assert!(
            e["hint"].as_str().unwrap().contains(hint),
            "{args:?}: {e:?}"
        );
    }
}
