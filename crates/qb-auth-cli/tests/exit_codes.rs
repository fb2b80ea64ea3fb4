//! One exit code per error family, and error messages that say what to do
//! next. Answers the emulator gives only through its library (5xx, 429,
//! malformed bodies) come from a canned loopback server.

mod common;

use std::time::Duration;

use common::{
    APP_ID, AUTH_KEY, AUTH_SECRET, EmulatorProcess, LOGIN, PASSWORD, assert_code, canned_server,
    closed_port_url, qb_auth, run, stderr, stdout,
};

const USAGE: i32 = 2;
const AUTH_REJECTED: i32 = 3;
const NETWORK: i32 = 4;
const SERVER: i32 = 5;
const OTHER_API: i32 = 6;

const LIFETIME: Duration = Duration::from_secs(60);

fn create_at(endpoint: &str) -> std::process::Command {
    let mut cmd = qb_auth();
    cmd.args(["session", "create", "--app-id", "1", "--auth-key", "k"])
        .args(["--endpoint", endpoint, "--timeout", "10"])
        .env("QB_AUTH_SECRET", "app-secret-value");
    cmd
}

#[test]
fn usage_errors_exit_2_with_a_reason() {
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "--login",
                "a",
                "--email",
                "b@example.com",
                "--password",
                "p",
            ],
            "--login and --email",
        ),
        (
            &["--password", "p"],
            "--password was given without --login or --email",
        ),
        (
            &["--provider", "facebook", "--firebase-token", "t"],
            "--firebase-token does not go with",
        ),
        (
            &["--provider", "twitter", "--provider-token", "t"],
            "provider secret is missing",
        ),
        (&["--nonce", "2147483648"], "--nonce"),
        (
            &["--endpoint", "ftp://example.com"],
            "scheme must be https or http",
        ),
    ];
    for (flags, reason) in cases {
        let output = run(qb_auth()
            .args(["session", "create", "--app-id", "1", "--auth-key", "k"])
            .args(flags)
            .env("QB_AUTH_SECRET", "s"));
        assert_code(&output, USAGE);
        assert!(
            stderr(&output).contains(reason),
            "{flags:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{flags:?}");
    }
}

#[test]
fn a_refused_emulator_configuration_is_a_usage_error() {
    let output = run(qb_auth()
        .args([
            "emulator",
            "--listen",
            "0.0.0.0:0",
            "--app-id",
            "1",
            "--auth-key",
            "k",
        ])
        .env("QB_AUTH_SECRET", "s"));
    assert_code(&output, USAGE);
    assert!(
        stderr(&output).contains("not a loopback address"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_secret_without_a_terminal_is_a_usage_error() {
    let output = run(qb_auth().args(["session", "create", "--app-id", "1", "--auth-key", "k"]));
    assert_code(&output, USAGE);
    assert!(stderr(&output).contains("the auth secret is missing"));
    assert!(stderr(&output).contains("QB_AUTH_SECRET"));

    let output = run(qb_auth().args(["session", "get"]));
    assert_code(&output, USAGE);
    assert!(stderr(&output).contains("QB_TOKEN"), "{}", stderr(&output));

    let output = run(qb_auth().args(["login", "--token", "t"]));
    assert_code(&output, USAGE);
    assert!(
        stderr(&output).contains("login needs a user"),
        "{}",
        stderr(&output)
    );

    let output = run(qb_auth().args(["session", "create"]));
    assert_code(&output, USAGE);
    assert!(stderr(&output).contains("--app-id"), "{}", stderr(&output));
}

#[test]
fn nothing_listening_is_a_network_failure_on_both_transports() {
    let url = closed_port_url();
    for transport in ["reqwest", "ureq"] {
        let output = run(create_at(&url).args(["--transport", transport]));
        assert_code(&output, NETWORK);
        let err = stderr(&output);
        // The client's error names the call and the host it could not reach.
        assert!(
            err.contains("create application session failed: could not connect (http://127.0.0.1:"),
            "{transport}: {err}"
        );
        assert!(err.contains("--endpoint"), "{transport}: {err}");
    }
}

#[test]
fn a_server_error_exits_5_on_both_transports() {
    let url = canned_server(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n\
         content-length: 32\r\nconnection: close\r\n\r\n{\"errors\":[\"Internal error 42\"]}",
        LIFETIME,
    );
    for transport in ["reqwest", "ureq"] {
        let output = run(create_at(&url).args(["--transport", transport]));
        assert_code(&output, SERVER);
        let err = stderr(&output);
        assert!(
            err.contains(
                "create application session failed: server error (HTTP 500 from http://127.0.0.1:"
            ),
            "{err}"
        );
        assert!(err.contains("): Internal error 42"), "{err}");
        assert!(err.contains("try again later"), "{err}");
    }
}

#[test]
fn an_answer_that_is_not_quickblox_exits_5() {
    let url = canned_server(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 15\r\n\
         connection: close\r\n\r\n<html>hi</html>",
        LIFETIME,
    );
    let output = run(&mut create_at(&url));
    assert_code(&output, SERVER);
    assert!(
        stderr(&output).contains("did not answer like QuickBlox"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_rate_limit_exits_6_and_says_how_long_to_wait() {
    let url = canned_server(
        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ncontent-length: 0\r\n\
         connection: close\r\n\r\n",
        LIFETIME,
    );
    let output = run(&mut create_at(&url));
    assert_code(&output, OTHER_API);
    assert!(stderr(&output).contains("wait 7s"), "{}", stderr(&output));
}

#[test]
fn bad_timestamp_reports_the_measured_offset() {
    // The canned server's Date is far in the past, so the offset is large and negative.
    let url = canned_server(
        "HTTP/1.1 422 Unprocessable Entity\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         content-type: application/json\r\ncontent-length: 37\r\nconnection: close\r\n\r\n\
         {\"errors\":{\"base\":[\"Bad timestamp\"]}}",
        LIFETIME,
    );
    let output = run(&mut create_at(&url));
    assert_code(&output, AUTH_REJECTED);
    let err = stderr(&output);
    assert!(
        err.contains("measured clock offset: the server's clock is"),
        "{err}"
    );
    assert!(err.contains("behind this machine's"), "{err}");
    assert!(err.contains("synchronise this machine's clock"), "{err}");
}

#[test]
fn against_the_emulator_rejections_exit_3_with_hints() {
    let emulator = EmulatorProcess::start();
    let create = || {
        let mut cmd = qb_auth();
        cmd.args([
            "session",
            "create",
            "--app-id",
            APP_ID,
            "--auth-key",
            AUTH_KEY,
        ])
        .args(["--endpoint", emulator.url()]);
        cmd
    };

    // A wrong password: one attempt, a typed rejection, no loop.
    let output = run(create()
        .args(["--login", LOGIN])
        .env("QB_AUTH_SECRET", AUTH_SECRET)
        .env("QB_PASSWORD", "not-the-password"));
    assert_code(&output, AUTH_REJECTED);
    let err = stderr(&output);
    assert!(
        err.contains("invalid credentials (HTTP 401 from http://127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("does not retry"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");

    // A wrong secret: the masked string to sign and the usual causes.
    let output = run(create()
        .args(["--login", LOGIN])
        .env("QB_AUTH_SECRET", "a-wrong-secret")
        .env("QB_PASSWORD", PASSWORD));
    assert_code(&output, AUTH_REJECTED);
    let err = stderr(&output);
    assert!(
        err.contains("unexpected signature (HTTP 422 from "),
        "{err}"
    );
    assert!(
        err.contains(&format!("&user[login]={LOGIN}&user[password]=***")),
        "{err}"
    );
    assert!(err.contains("a wrong auth secret"), "{err}");
    assert!(
        err.contains("repeat the command with --dry-run --nonce "),
        "{err}"
    );
    assert!(
        !err.contains(PASSWORD) && !err.contains("a-wrong-secret"),
        "{err}"
    );

    // sha256, which the emulator (like QuickBlox, as far as anyone knows) refuses.
    let output = run(create()
        .args(["--hash", "sha256"])
        .env("QB_AUTH_SECRET", AUTH_SECRET));
    assert_code(&output, AUTH_REJECTED);
    assert!(
        stderr(&output).contains("hashing with sha256, which this request did"),
        "{}",
        stderr(&output)
    );

    // A timestamp two hours old: the emulator's Date gives the offset.
    let two_hours_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 7200;
    let output = run(create()
        .args(["--timestamp", &two_hours_ago.to_string()])
        .env("QB_AUTH_SECRET", AUTH_SECRET));
    assert_code(&output, AUTH_REJECTED);
    let err = stderr(&output);
    assert!(err.contains("bad timestamp (HTTP 422 from "), "{err}");
    assert!(err.contains("measured clock offset"), "{err}");
    assert!(err.contains("from the server's time"), "{err}");

    // An unknown application.
    let output = run(qb_auth()
        .args([
            "session",
            "create",
            "--app-id",
            "999999",
            "--auth-key",
            AUTH_KEY,
        ])
        .args(["--endpoint", emulator.url()])
        .env("QB_AUTH_SECRET", AUTH_SECRET));
    assert_code(&output, AUTH_REJECTED);
    assert!(
        stderr(&output).contains("account-settings"),
        "{}",
        stderr(&output)
    );

    // A token that does not exist.
    let output = run(qb_auth()
        .args(["session", "get", "--endpoint", emulator.url()])
        .env("QB_TOKEN", "no-such-token"));
    assert_code(&output, AUTH_REJECTED);
    assert!(
        stderr(&output).contains("session expired"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("no-such-token"));
}
