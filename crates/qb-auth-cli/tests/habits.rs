//! The command line's habits: shell completions, the man pages, which
//! flags the environment may set, and `--nonce 0` as the JavaScript SDK
//! draws it.

mod common;

use common::{assert_code, closed_port_url, json, qb_auth, run, stderr, stdout};

#[test]
fn completions_are_printed_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = run(qb_auth().args(["completions", shell]));
        assert_code(&output, 0);
        let script = stdout(&output);
        for word in [
            "qb-auth",
            "session",
            "account-settings",
            // fish names long flags without their dashes (`-l dry-run`).
            "dry-run",
            "verbose",
        ] {
            assert!(script.contains(word), "{shell}: no {word} in\n{script}");
        }
        assert!(
            !script.contains("__man"),
            "{shell}: the hidden command leaked"
        );
        assert!(stderr(&output).is_empty(), "{shell}: {}", stderr(&output));
    }
    let output = run(qb_auth().args(["completions", "cmd.exe"]));
    assert_code(&output, 2);
}

#[test]
fn the_man_pages_are_written_and_the_generator_stays_hidden() {
    let dir = std::env::temp_dir().join(format!("qb-auth-man-{}", std::process::id()));
    let output = run(qb_auth().arg("__man").arg(&dir));
    assert_code(&output, 0);
    let page = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let top = page("qb-auth.1");
    assert!(
        top.starts_with(".ie ") && top.contains(".TH qb-auth 1"),
        "{top}"
    );
    assert!(top.contains("qb\\-auth\\-session(1)"), "{top}");
    let create = page("qb-auth-session-create.1");
    assert!(create.contains("\\fB\\-\\-dry\\-run\\fR"), "{create}");
    assert!(
        create.contains("\\fBQB_APP_ID\\fR environment variable"),
        "{create}"
    );
    assert!(!dir.join("qb-auth-__man.1").exists());
    std::fs::remove_dir_all(&dir).unwrap();

    let help = stdout(&run(qb_auth().arg("--help")));
    assert!(help.contains("completions"), "{help}");
    assert!(!help.contains("__man"), "{help}");
}

/// A create-session command for application 1 with the secret in the
/// environment.
fn create(args: &[&str]) -> std::process::Command {
    let mut cmd = qb_auth();
    cmd.args(["session", "create", "--app-id", "1", "--auth-key", "k"])
        .args(args)
        .env("QB_AUTH_SECRET", "s");
    cmd
}

#[test]
fn qb_dry_run_in_the_environment_does_not_make_a_dry_run() {
    // The request is sent (and finds nothing listening): exit 4, not a
    // dry run's 0 with the request printed.
    let endpoint = closed_port_url();
    let output = run(create(&["--endpoint", &endpoint]).env("QB_DRY_RUN", "true"));
    assert_code(&output, 4);
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("could not connect"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn qb_nonce_and_qb_timestamp_in_the_environment_are_ignored() {
    let output = run(create(&["--dry-run", "--output", "json"])
        .env("QB_NONCE", "4242")
        .env("QB_TIMESTAMP", "1700000000"));
    assert_code(&output, 0);
    let signed = json(&output)["string_to_sign"]
        .as_str()
        .expect("a string to sign")
        .to_owned();
    assert!(!signed.contains("timestamp=1700000000"), "{signed}");
    assert!(!signed.contains("nonce=4242&"), "{signed}");
}

#[test]
fn nonce_0_signs_like_the_javascript_sdk() {
    let output = run(&mut create(&[
        "--dry-run",
        "--output",
        "json",
        "--nonce",
        "0",
        "--timestamp",
        "1700000000",
    ]));
    assert_code(&output, 0);
    let value = json(&output);
    assert_eq!(
        value["string_to_sign"],
        "application_id=1&auth_key=k&nonce=0&timestamp=1700000000"
    );
    // HMAC-SHA1 with key "s" of that string (openssl dgst -sha1 -hmac s).
    assert_eq!(
        value["signature"],
        "9605bceba83a311343ef33e4f7430210d5bb9fd5"
    );
    let body: serde_json::Value =
        serde_json::from_str(value["body"].as_str().expect("a body")).expect("a JSON body");
    assert_eq!(body["nonce"], "0");

    // The whole range the SDK draws from, and nothing beyond 2^31-1.
    for nonce in ["9999", "2147483647"] {
        let output = run(&mut create(&["--dry-run", "--nonce", nonce]));
        assert_code(&output, 0);
    }
    let output = run(&mut create(&["--dry-run", "--nonce", "2147483648"]));
    assert_code(&output, 2);
    assert!(stderr(&output).contains("--nonce"), "{}", stderr(&output));
}

/// The exit codes and variables are in the main help, once: a
/// subcommand's help points there instead of repeating 20 lines.
#[test]
fn only_the_main_help_has_the_exit_code_table() {
    let main = stdout(&run(qb_auth().arg("--help")));
    assert!(main.contains("Exit codes:\n  0  success\n"), "{main}");
    for code in [
        "  7  the session file's path holds",
        "  8  status: no live session",
    ] {
        assert!(main.contains(code), "{code} missing from\n{main}");
    }
    for command in [
        &["session"][..],
        &["session", "create"],
        &["session", "get"],
        &["login"],
        &["logout"],
        &["status"],
        &["account-settings"],
        &["demo"],
    ] {
        let output = run(qb_auth().args(command).arg("--help"));
        assert_code(&output, 0);
        let help = stdout(&output);
        assert!(!help.contains("Exit codes:"), "{command:?}:\n{help}");
        assert!(
            help.trim_end()
                .ends_with("Exit codes, QB_* variables and JSON errors: see `qb-auth --help`."),
            "{command:?}:\n{help}"
        );
    }
}
