//! `session create --save` and `--session-file`: a session saved by one
//! run is reused by the next (the emulator counts one create-session), is
//! the token source of `session get` and `session destroy`, and a file that
//! cannot be trusted is replaced by a new session with a warning, never a
//! failure. The file is private and holds no secret but the token.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_code, json, qb_auth, run, stderr, stdout};
use qb_auth_emulator::{BlockingEmulator, Emulator, fixtures};

/// A directory of its own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "qb-auth-cli-session-file-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn emulator() -> BlockingEmulator {
    Emulator::with_demo_fixtures()
        .start_blocking()
        .expect("the emulator starts on loopback")
}

fn created(emulator: &BlockingEmulator) -> u64 {
    emulator.control().stats().sessions_created
}

/// A command for the demo application and alice, credentials in the
/// environment.
fn cmd(emulator: &BlockingEmulator, transport: &str, args: &[&str]) -> Command {
    let mut cmd = qb_auth();
    cmd.args(args)
        .args(["--endpoint", emulator.base_url(), "--transport", transport])
        .env("QB_APP_ID", fixtures::APP_ID.to_string())
        .env("QB_AUTH_KEY", fixtures::AUTH_KEY)
        .env("QB_AUTH_SECRET", fixtures::AUTH_SECRET)
        .env("QB_PASSWORD", fixtures::ALICE_PASSWORD);
    cmd
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn token_of(output: &std::process::Output) -> String {
    json(output)["token"].as_str().expect("a token").to_owned()
}

#[test]
fn a_saved_session_is_reused_then_read_and_destroyed() {
    for transport in ["reqwest", "ureq"] {
        let emulator = emulator();
        let dir = TempDir::new(transport);
        let path = dir.0.join("nested").join("session.json");
        let file = path.to_str().unwrap();
        let login = ["--login", fixtures::ALICE_LOGIN, "--output", "json"];

        let mut first = cmd(&emulator, transport, &["session", "create", "--save", file]);
        let output = run(first.args(login));
        assert_code(&output, 0);
        let token = token_of(&output);
        assert_eq!(created(&emulator), 1);
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600, "{transport}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&token), "{transport}: the token is saved");
        for secret in [fixtures::AUTH_SECRET, fixtures::ALICE_PASSWORD] {
            assert!(!text.contains(secret), "{transport}: a secret in {text}");
        }

        // The next run reuses it, and needs no secret to do so.
        let mut again = cmd(
            &emulator,
            transport,
            &["session", "create", "--session-file", file],
        );
        again.env_remove("QB_AUTH_SECRET").env_remove("QB_PASSWORD");
        let output = run(again.args(login));
        assert_code(&output, 0);
        assert_eq!(token_of(&output), token, "{transport}");
        assert_eq!(created(&emulator), 1, "{transport}: no second create");
        assert!(!stderr(&output).contains(&token), "{transport}");

        // Another identity does not take alice's session.
        let output = run(&mut cmd(
            &emulator,
            transport,
            &[
                "session",
                "create",
                "--session-file",
                file,
                "--output",
                "json",
            ],
        ));
        assert_code(&output, 0);
        assert_ne!(token_of(&output), token, "{transport}");
        assert_eq!(json(&output)["user_id"], 0, "{transport}");
        assert!(
            stderr(&output).contains("another identity"),
            "{}",
            stderr(&output)
        );
        assert_eq!(created(&emulator), 2, "{transport}");
        // Which is now the saved one: get reads it, without printing it.
        let app_token = token_of(&output);
        let output = run(&mut cmd(
            &emulator,
            transport,
            &["session", "get", "--session-file", file, "--output", "json"],
        ));
        assert_code(&output, 0);
        assert_eq!(json(&output)["user_id"], 0, "{transport}");
        assert!(!stdout(&output).contains(&app_token), "{transport}");

        // Destroyed through the file, the file goes too.
        let output = run(&mut cmd(
            &emulator,
            transport,
            &["session", "destroy", "--session-file", file],
        ));
        assert_code(&output, 0);
        assert!(!path.exists(), "{transport}: the dead token is not kept");
    }
}

#[test]
fn a_corrupt_file_is_replaced_with_a_warning() {
    for transport in ["reqwest", "ureq"] {
        let emulator = emulator();
        let dir = TempDir::new(&format!("corrupt-{transport}"));
        std::fs::create_dir_all(&dir.0).unwrap();
        let path = dir.0.join("session.json");
        std::fs::write(&path, "{\"format\": \"qb-auth session file\", \"vers").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let file = path.to_str().unwrap();
        let create = [
            "session",
            "create",
            "--session-file",
            file,
            "--output",
            "json",
        ];

        let output = run(&mut cmd(&emulator, transport, &create));
        assert_code(&output, 0);
        let err = stderr(&output);
        assert!(err.contains("saved session ignored"), "{transport}: {err}");
        assert!(err.contains("corrupt"), "{transport}: {err}");
        assert_eq!(created(&emulator), 1, "{transport}");
        let token = token_of(&output);

        // Replaced: the next run reuses the new session, without a warning.
        let output = run(&mut cmd(&emulator, transport, &create));
        assert_code(&output, 0);
        assert_eq!(token_of(&output), token, "{transport}");
        assert_eq!(stderr(&output), "", "{transport}");
        assert_eq!(created(&emulator), 1, "{transport}");
    }
}

#[test]
fn a_bare_save_goes_to_the_per_user_state_directory() {
    let emulator = emulator();
    let dir = TempDir::new("default");
    let mut save = cmd(
        &emulator,
        "ureq",
        &["session", "create", "--save", "--output", "json"],
    );
    let output = run(save.env("XDG_STATE_HOME", &dir.0));
    assert_code(&output, 0);
    let token = token_of(&output);
    let path = dir.0.join("qb-auth").join("session.json");
    assert!(std::fs::read_to_string(&path).unwrap().contains(&token));

    let mut reuse = cmd(
        &emulator,
        "ureq",
        &["session", "create", "--session-file", "--output", "json"],
    );
    let output = run(reuse.env("XDG_STATE_HOME", &dir.0));
    assert_code(&output, 0);
    assert_eq!(token_of(&output), token);
    assert_eq!(created(&emulator), 1);
}
