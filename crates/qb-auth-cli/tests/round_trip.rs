//! Every command against the emulator running as a separate
//! `qb-auth emulator` process, over both transports: create (application
//! and user sessions), get, login, logout, destroy, account settings. Each
//! output is also checked for secrets: only `session create` may print the
//! token, and nothing may print the auth secret, password or account key.

mod common;

use std::process::{Command, Output};

use common::{
    ACCOUNT_KEY, APP_ID, AUTH_KEY, AUTH_SECRET, EMAIL, EmulatorProcess, LOGIN, PASSWORD,
    assert_code, json, qb_auth, run, stderr, stdout,
};

const NEVER_SHOWN: [&str; 3] = [AUTH_SECRET, PASSWORD, ACCOUNT_KEY];

struct Cli<'a> {
    endpoint: &'a str,
    transport: &'a str,
}

impl Cli<'_> {
    /// A command with the connection flags and every secret in the
    /// environment, whether the command needs it or not.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = qb_auth();
        cmd.args(args)
            .args(["--endpoint", self.endpoint, "--transport", self.transport])
            .args(["--timeout", "10"])
            .env("QB_APP_ID", APP_ID)
            .env("QB_AUTH_KEY", AUTH_KEY)
            .env("QB_AUTH_SECRET", AUTH_SECRET)
            .env("QB_PASSWORD", PASSWORD)
            .env("QB_ACCOUNT_KEY", ACCOUNT_KEY);
        cmd
    }

    /// Runs a command that uses `token`, which must not be printed.
    fn with_token(&self, args: &[&str], token: &str) -> Output {
        let output = run(self.cmd(args).env("QB_TOKEN", token));
        assert_no_secret(&output, Some(token));
        output
    }

    /// Creates a session and returns the output (the token may be printed).
    fn create(&self, args: &[&str]) -> Output {
        let mut all = vec!["session", "create"];
        all.extend_from_slice(args);
        let output = run(&mut self.cmd(&all));
        assert_no_secret(&output, None);
        output
    }
}

#[track_caller]
fn assert_no_secret(output: &Output, token: Option<&str>) {
    let (out, err) = (stdout(output), stderr(output));
    for secret in NEVER_SHOWN.iter().copied().chain(token) {
        assert!(!out.contains(secret), "a secret on stdout:\n{out}");
        assert!(!err.contains(secret), "a secret on stderr:\n{err}");
    }
}

#[test]
fn every_command_round_trips_against_an_emulator_process() {
    let emulator = EmulatorProcess::start();
    for (transport, body) in [("reqwest", "json"), ("ureq", "form")] {
        let cli = Cli {
            endpoint: emulator.url(),
            transport,
        };

        // An application session.
        let output = cli.create(&["--output", "json", "--body", body]);
        assert_code(&output, 0);
        let created = json(&output);
        let token = created["token"].as_str().expect("a token").to_owned();
        assert!(!token.is_empty());
        assert_eq!(created["user_id"], 0, "{transport}");
        assert_eq!(created["application_id"], 777, "{transport}");
        assert!(created["expires_at"].is_string(), "{transport}: {created}");

        let get = |what: &str| {
            let output = cli.with_token(&["session", "get", "--output", "json"], &token);
            assert_code(&output, 0);
            let session = json(&output);
            assert!(
                session.get("token").is_none(),
                "{what}: get printed the token"
            );
            session["user_id"].as_u64().expect("a user id")
        };
        assert_eq!(get("app session"), 0, "{transport}");

        // Upgrade to a user session on the same token.
        let output = cli.with_token(
            &[
                "login", "--login", LOGIN, "--output", "json", "--body", body,
            ],
            &token,
        );
        assert_code(&output, 0);
        let user = json(&output);
        let user_id = user["id"].as_u64().expect("a user id");
        assert_ne!(user_id, 0);
        assert_eq!(user["login"], LOGIN, "{transport}");
        assert_eq!(get("after login"), user_id, "{transport}");

        // And back down.
        let output = cli.with_token(&["logout", "--output", "json"], &token);
        assert_code(&output, 0);
        assert_eq!(
            json(&output),
            serde_json::json!({"operation": "logout", "ok": true})
        );
        assert_eq!(get("after logout"), 0, "{transport}");

        // Destroyed, the token stops working (exit 3: authentication rejected).
        let output = cli.with_token(&["session", "destroy"], &token);
        assert_code(&output, 0);
        assert!(stdout(&output).contains("session destroyed"), "{transport}");
        let output = cli.with_token(&["session", "get"], &token);
        assert_code(&output, 3);

        // User sessions at once, by login (text output) and by email.
        let output = cli.create(&["--login", LOGIN, "--body", body]);
        assert_code(&output, 0);
        let text = stdout(&output);
        assert!(text.starts_with("token "), "{transport}: {text}");
        assert!(
            text.contains(&format!("{user_id} (user session)")),
            "{transport}: {text}"
        );
        let output = cli.create(&["--email", EMAIL, "--output", "json"]);
        assert_code(&output, 0);
        assert_eq!(json(&output)["user_id"], user_id, "{transport}");

        // The account's own host is the emulator.
        let output = run(&mut cli.cmd(&["account-settings", "--output", "json"]));
        assert_no_secret(&output, None);
        assert_code(&output, 0);
        assert_eq!(json(&output)["api_endpoint"], emulator.url(), "{transport}");
        let output = run(&mut cli.cmd(&["account-settings"]));
        assert_code(&output, 0);
        assert!(
            stdout(&output).contains(&format!("use it with: --endpoint {}", emulator.url())),
            "{}",
            stdout(&output)
        );
    }
}
