//! `qb-auth emulator` as a developer runs it beside a test suite: its two
//! first lines, every knob from a flag, a variable or the configuration
//! file (flags beating the file), `-v` with one line per request, the
//! configurations it refuses (exit 2, no secret repeated), and a clean stop
//! on SIGTERM. What the emulator was told is read back through its control
//! API, as a test in another language would.

mod common;

use std::path::PathBuf;

use common::{
    APP_ID, AUTH_KEY, AUTH_SECRET, EmulatorProcess, LOGIN, PASSWORD, assert_code, http, json,
    qb_auth, run, stderr, stdout,
};
use serde_json::Value;

/// A scratch directory of this test process, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("qb-auth-emulator-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn get(emulator: &EmulatorProcess, path: &str) -> Value {
    let (status, body) = http(emulator.url(), "GET", path, &[], b"");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// `qb-auth session create` against the emulator; its JSON output.
fn create_session(
    emulator: &EmulatorProcess,
    app: (&str, &str, &str),
    extra: &[&str],
) -> (i32, Value) {
    let mut cmd = qb_auth();
    cmd.args([
        "session",
        "create",
        "--endpoint",
        emulator.url(),
        "--output",
        "json",
    ])
    .args(["--app-id", app.0, "--auth-key", app.1])
    .args(extra)
    .env("QB_AUTH_SECRET", app.2);
    let output = run(&mut cmd);
    (common::code(&output), json(&output))
}

#[test]
fn it_announces_itself_serves_and_stops_on_sigterm() {
    let emulator = EmulatorProcess::start();
    let (status, body) = http(
        emulator.url(),
        "GET",
        "/account_settings.json",
        &[("QB-Account-Key", common::ACCOUNT_KEY)],
        b"",
    );
    assert_eq!(status, 200);
    assert!(body.contains(&format!(r#""api_endpoint":"{}""#, emulator.url())));
    common::eventually_contains(&|| emulator.stdout(), "/_emulator/\n");
    let printed = emulator.stdout();
    assert_eq!(
        printed,
        format!(
            "listening on {url}\npage and control API: {url}/_emulator/\n",
            url = emulator.url()
        )
    );
    assert!(!printed.contains(AUTH_SECRET));
    assert_eq!(emulator.terminate(), Some(0));
}

#[test]
fn every_knob_comes_from_its_variable() {
    let emulator = EmulatorProcess::start_with(|cmd| {
        cmd.env("QB_APP_ID", "777")
            .env("QB_AUTH_KEY", "env-key")
            .env("QB_AUTH_SECRET", "ENV-SECRET")
            .env("QB_API_KEY", "ENV-API-KEY")
            .env("QB_USER", "alice:PW-ONE:alice@example.com,bob:PW-TWO")
            .env("QB_FACEBOOK_USER", "bob:FB-TOKEN")
            .env("QB_SESSION_TTL", "90s")
            .env("QB_CLOCK_OFFSET", "-120")
            .env("QB_RATE_LIMIT", "50")
            .env("QB_MAX_SESSIONS", "2")
            .env("QB_RECENT_REQUESTS", "7")
            .env("QB_LATENCY", "5ms")
            .env("QB_ERROR_500_SHARE", "0.1")
            .env("QB_DROP_SHARE", "0.05")
            .env("QB_THROTTLE_SHARE", "0.2")
            .env("QB_RETRY_AFTER", "4")
            .env("QB_SEED", "42")
            .env("QB_FAIL_NEXT", "503x2,429:3");
    });
    let clock = get(&emulator, "/_emulator/clock");
    assert_eq!(clock["offset_secs"], -120);
    let faults = get(&emulator, "/_emulator/faults");
    assert_eq!(faults["latency_ms"], 5);
    assert_eq!(faults["error_500"], 0.1);
    assert_eq!(faults["drop"], 0.05);
    assert_eq!(
        (
            faults["throttle"].clone(),
            faults["retry_after_secs"].clone()
        ),
        (0.2.into(), 4.into())
    );
    assert_eq!(
        faults["next"],
        serde_json::json!([
            {"fault": "503", "count": 2},
            {"fault": "429", "count": 1, "retry_after_secs": 3},
        ])
    );
    assert_eq!(get(&emulator, "/_emulator/requests")["capacity"], 7);
    // Faults off, then the fixtures and caps are checked by use.
    let (status, _) = http(
        emulator.url(),
        "POST",
        "/_emulator/faults",
        &[("Content-Type", "application/json")],
        br#"{"clear":true,"latency_ms":0}"#,
    );
    assert_eq!(status, 200, "faults cleared");
    let app = ("777", "env-key", "ENV-SECRET");
    let (code, alice) = create_session(
        &emulator,
        app,
        &["--email", "alice@example.com", "--password", "PW-ONE"],
    );
    assert_eq!((code, alice["user_id"].clone()), (0, 1.into()));
    let (code, bob) = create_session(
        &emulator,
        app,
        &["--provider", "facebook", "--provider-token", "FB-TOKEN"],
    );
    assert_eq!((code, bob["user_id"].clone()), (0, 2.into()));
    let (code, capped) = create_session(&emulator, app, &[]);
    assert_eq!(
        (code, capped["error"]["status"].clone()),
        (5, 503.into()),
        "max_sessions is 2"
    );
    let (status, _) = http(
        emulator.url(),
        "GET",
        "/users.json",
        &[("Authorization", "ApiKey ENV-API-KEY")],
        b"",
    );
    assert_eq!(status, 200);
    let page = http(emulator.url(), "GET", "/_emulator/?refresh=0", &[], b"").1;
    assert!(
        page.contains("sessions live 90 s after their last use"),
        "{page}"
    );
    for secret in ["ENV-SECRET", "PW-ONE", "PW-TWO", "FB-TOKEN", "ENV-API-KEY"] {
        assert!(!page.contains(secret) && !emulator.stdout().contains(secret));
    }
}

#[test]
fn the_configuration_file_holds_the_world_and_flags_beat_it() {
    let scratch = Scratch::new("config");
    scratch.write("secret.txt", "FILE-SECRET-1\n");
    let config = scratch.write(
        "emulator.toml",
        r#"
        session_ttl = "10m"
        clock_offset = 100
        recent_requests = 20

        [faults]
        latency = "3ms"
        error_503_share = 0.25
        fail_next = ["dropx3"]

        [[apps]]
        id = 4242
        auth_key = "file-key"
        auth_secret_file = "secret.txt"
        account_key = "FILE-ACCOUNT"

        [[apps]]
        id = 99
        auth_key = "second-key"

        [[users]]
        id = 50
        login = "carol"
        password = "FILE-PW"
        email = "carol@example.com"
        twitter_tokens = [{ token = "TW-TOKEN", secret = "TW-SECRET" }]

        [[users]]
        login = "dave"
        password = "FILE-PW-2"
        "#,
    );
    let emulator = EmulatorProcess::start_with(|cmd| {
        cmd.arg("--config")
            .arg(&config)
            .args(["--clock-offset", "5", "--fail-next", "500"])
            // The second application's secret comes from the environment.
            .args(["--app-id", "99"])
            .env("QB_AUTH_SECRET", "ENV-SECRET-99")
            .args(["--user", "erin:ERIN-PW"]);
    });
    assert_eq!(
        get(&emulator, "/_emulator/clock")["offset_secs"],
        5,
        "the flag wins"
    );
    let faults = get(&emulator, "/_emulator/faults");
    assert_eq!(faults["latency_ms"], 3);
    assert_eq!(faults["error_503"], 0.25);
    assert_eq!(
        faults["next"],
        serde_json::json!([{"fault": "500", "count": 1}])
    );
    assert_eq!(get(&emulator, "/_emulator/requests")["capacity"], 20);
    let (status, _) = http(
        emulator.url(),
        "POST",
        "/_emulator/faults",
        &[("Content-Type", "application/json")],
        br#"{"clear":true,"latency_ms":0}"#,
    );
    assert_eq!(status, 200, "faults cleared");

    let first = ("4242", "file-key", "FILE-SECRET-1");
    let (code, carol) = create_session(
        &emulator,
        first,
        &["--login", "carol", "--password", "FILE-PW"],
    );
    assert_eq!((code, carol["user_id"].clone()), (0, 50.into()));
    let (code, twitter) = create_session(
        &emulator,
        first,
        &[
            "--provider",
            "twitter",
            "--provider-token",
            "TW-TOKEN",
            "--provider-secret",
            "TW-SECRET",
        ],
    );
    assert_eq!((code, twitter["user_id"].clone()), (0, 50.into()));
    // dave gets the next id after carol's, erin the one after.
    let (_, dave) = create_session(
        &emulator,
        first,
        &["--login", "dave", "--password", "FILE-PW-2"],
    );
    assert_eq!(dave["user_id"], 51);
    let second = ("99", "second-key", "ENV-SECRET-99");
    let (_, erin) = create_session(
        &emulator,
        second,
        &["--login", "erin", "--password", "ERIN-PW"],
    );
    assert_eq!(erin["user_id"], 52);
    let (status, _) = http(
        emulator.url(),
        "GET",
        "/account_settings.json",
        &[("QB-Account-Key", "FILE-ACCOUNT")],
        b"",
    );
    assert_eq!(status, 200);
}

#[test]
fn verbose_prints_one_masked_line_per_request() {
    let emulator = EmulatorProcess::start_with(|cmd| {
        cmd.args(["--demo-fixtures", "-v"]);
    });
    http(
        emulator.url(),
        "GET",
        "/session.json",
        &[("QB-Token", "nope")],
        b"",
    );
    // Alice's right password, signed with the secret's file line break.
    let mut cmd = qb_auth();
    cmd.args(["session", "create", "--endpoint", emulator.url()])
        .args(["--app-id", "12345", "--auth-key", "AbCdEfGh-12345"])
        .args(["--login", "alice"])
        .env("QB_PASSWORD", "p@ss word&1=2")
        .env("QB_AUTH_SECRET", "s3cr3t-Key_XYZ\n");
    assert_code(&run(&mut cmd), 3);
    http(emulator.url(), "GET", "/_emulator/stats", &[], b"");
    common::eventually_contains(&|| emulator.stderr(), "#2 POST /session.json");
    let log = emulator.stderr();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines,
        [
            "#1 GET /session.json 401 unknown token",
            "#2 POST /session.json 422 unexpected signature: signed with the auth secret followed by \
             a line break (as read from a file or a variable without trimming it)",
        ],
        "the control API's own call is not a line"
    );
    for secret in ["s3cr3t-Key_XYZ", "p@ss"] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}

/// Variables exported for the other commands (the demo application's,
/// say) do not stop the emulator: they apply to the application they name,
/// and are ignored when they name none.
#[test]
fn the_demo_fixtures_live_with_standing_variables() {
    let emulator = EmulatorProcess::start_with(|cmd| {
        cmd.arg("--demo-fixtures")
            .env("QB_APP_ID", "12345")
            .env("QB_AUTH_KEY", "AbCdEfGh-12345")
            .env("QB_AUTH_SECRET", "s3cr3t-Key_XYZ")
            .env("QB_ACCOUNT_KEY", "my-own-account-key");
    });
    let demo = ("12345", "AbCdEfGh-12345", "s3cr3t-Key_XYZ");
    let (code, alice) = create_session(
        &emulator,
        demo,
        &["--login", "alice", "--password", "p@ss word&1=2"],
    );
    assert_eq!((code, alice["user_id"].clone()), (0, 1001.into()));
    let (status, _) = http(
        emulator.url(),
        "GET",
        "/account_settings.json",
        &[("QB-Account-Key", "my-own-account-key")],
        b"",
    );
    assert_eq!(status, 200, "the variable replaced the demo's account key");

    // A file of two applications, and a secret only in the environment:
    // it names neither, so it is left alone.
    let scratch = Scratch::new("standing");
    let config = scratch.write(
        "two.toml",
        "[[apps]]\nid = 1\nauth_key = \"a\"\nauth_secret = \"one\"\n\
         [[apps]]\nid = 2\nauth_key = \"b\"\nauth_secret = \"two\"\n",
    );
    let emulator = EmulatorProcess::start_with(|cmd| {
        cmd.arg("--config")
            .arg(&config)
            .env("QB_AUTH_SECRET", "elsewhere");
    });
    let (code, _) = create_session(&emulator, ("2", "b", "two"), &[]);
    assert_eq!(code, 0);
    // Typed on the command line, the same is an error.
    let mut cmd = qb_auth();
    cmd.arg("emulator")
        .arg("--config")
        .arg(&config)
        .args(["--auth-secret", "typed"]);
    let output = run(&mut cmd);
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("need --app-id"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn refused_configurations_exit_2_and_repeat_no_secret() {
    let scratch = Scratch::new("refused");
    let blank = scratch.write("blank.txt", "  \n");
    let bad_toml = scratch.write(
        "bad.toml",
        "[[users]]\nlogin = \"x\"\npassword = 314159265\n",
    );
    let typo = scratch.write("typo.toml", "sesion_ttl = \"5s\"\n");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![], "no application"),
        (
            vec![
                "--app-id".into(),
                "1".into(),
                "--auth-key".into(),
                "k".into(),
                "--auth-secret".into(),
                "SECRET-ONLY".into(),
                "--auth-secret-file".into(),
                blank.display().to_string(),
            ],
            "or with a file, not both",
        ),
        (
            vec![
                "--app-id".into(),
                "1".into(),
                "--auth-key".into(),
                "k".into(),
                "--auth-secret-file".into(),
                blank.display().to_string(),
            ],
            "holds no secret",
        ),
        (
            vec!["--config".into(), bad_toml.display().to_string()],
            "bad.toml:3:12: a secret must be a string",
        ),
        (
            vec!["--config".into(), typo.display().to_string()],
            "unknown field `sesion_ttl`",
        ),
        (
            vec![
                "--demo-fixtures".into(),
                "--facebook-user".into(),
                "nobody:SECRET-FB".into(),
            ],
            "names the user \"nobody\"",
        ),
        (
            vec![
                "--demo-fixtures".into(),
                "--user".into(),
                "SECRET-ONLY".into(),
            ],
            "--user <LOGIN:PASSWORD[:EMAIL]>: write LOGIN:PASSWORD[:EMAIL]",
        ),
        (
            vec![
                "--demo-fixtures".into(),
                "--control-token".into(),
                " ".into(),
            ],
            "the value is not shown",
        ),
        (
            vec![
                "--demo-fixtures".into(),
                "--error-500-share".into(),
                "0.7".into(),
                "--drop-share".into(),
                "0.7".into(),
            ],
            "fault shares must",
        ),
        (
            vec![
                "--demo-fixtures".into(),
                "--recent-requests".into(),
                "5000".into(),
            ],
            "at most 1000 recent requests",
        ),
        (
            vec![
                "--demo-fixtures".into(),
                "--listen".into(),
                "0.0.0.0:0".into(),
            ],
            "refusing to listen on 0.0.0.0:0",
        ),
        (
            vec!["--demo-fixtures".into(), "--fail-next".into(), "404".into()],
            "write 500, 503, drop",
        ),
    ];
    for (args, expected) in cases {
        let mut cmd = qb_auth();
        cmd.arg("emulator").args(&args);
        if !args.iter().any(|a| a == "--auth-secret-file") {
            cmd.env("QB_AUTH_SECRET", "SECRET-ENV");
        }
        let output = run(&mut cmd);
        assert_code(&output, 2);
        let err = stderr(&output);
        assert!(err.contains(expected), "{args:?}: {err}");
        for secret in ["SECRET-ENV", "SECRET-FB", "SECRET-ONLY", "314159265"] {
            assert!(!err.contains(secret), "{args:?}: {err}");
        }
        assert!(stdout(&output).is_empty(), "{args:?}: nothing announced");
    }
}

#[test]
fn its_help_is_its_own() {
    let output = run(qb_auth().args(["emulator", "--help"]));
    assert_code(&output, 0);
    let help = stdout(&output);
    for own in [
        "--config",
        "--demo-fixtures",
        "--fail-next",
        "--throttle-share",
        "--control-token",
        "listening on",
    ] {
        assert!(help.contains(own), "{own} missing:\n{help}");
    }
    // Not the other commands' epilogue: their exit codes and variables.
    for other in [
        "network failure",
        "QB_PASSWORD",
        "--dry-run",
        "--output json",
    ] {
        assert!(
            !help.contains(other),
            "{other} in the emulator's help:\n{help}"
        );
    }
}

/// `LOGIN` and `PASSWORD` of the common emulator work with the client as
/// before: a user session through `qb-auth session create`.
#[test]
fn the_common_emulator_still_serves_the_client() {
    let emulator = EmulatorProcess::start();
    let (code, created) = create_session(
        &emulator,
        (APP_ID, AUTH_KEY, AUTH_SECRET),
        &["--login", LOGIN, "--password", PASSWORD],
    );
    assert_eq!((code, created["user_id"].clone()), (0, 1.into()));
}
