//! `qb-auth status`: what the session files hold (endpoint, application,
//! identity, time left), read from the files alone, with exit code 0 when
//! a live session is saved and 8 when none is, as text or JSON.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_code, json, qb_auth, run, stdout};
use qb_auth_emulator::{BlockingEmulator, Emulator, fixtures};

/// A directory of its own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("qb-auth-cli-status-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `qb-auth status` with the state directory in `dir`.
fn status(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = qb_auth();
    cmd.arg("status").args(args).env("XDG_STATE_HOME", dir);
    cmd
}

/// Saves alice's session (or the application's) in the default file.
fn save(emulator: &BlockingEmulator, dir: &Path, user: bool) {
    let mut cmd = qb_auth();
    cmd.args(["session", "create", "--save"])
        .args(["--endpoint", emulator.base_url()])
        .env("QB_APP_ID", fixtures::APP_ID.to_string())
        .env("QB_AUTH_KEY", fixtures::AUTH_KEY)
        .env("QB_AUTH_SECRET", fixtures::AUTH_SECRET)
        .env("XDG_STATE_HOME", dir);
    if user {
        cmd.args(["--login", fixtures::ALICE_LOGIN])
            .env("QB_PASSWORD", fixtures::ALICE_PASSWORD);
    }
    assert_code(&run(&mut cmd), 0);
}

#[test]
fn no_saved_session_exits_8() {
    let dir = TempDir::new("none");
    let output = run(&mut status(&dir.0, &[]));
    assert_code(&output, 8);
    assert!(
        stdout(&output).starts_with("no session file in "),
        "{}",
        stdout(&output)
    );
    let output = run(&mut status(&dir.0, &["--output", "json"]));
    assert_code(&output, 8);
    assert_eq!(json(&output), serde_json::json!({"sessions": []}));
}

#[test]
fn saved_sessions_are_shown_with_their_endpoint_identity_and_time_left() {
    let emulator = Emulator::with_demo_fixtures()
        .start_blocking()
        .expect("the emulator starts on loopback");
    let dir = TempDir::new("saved");
    save(&emulator, &dir.0, true);
    save(&emulator, &dir.0, false);
    let requests = emulator.control().stats().requests;

    let output = run(&mut status(&dir.0, &[]));
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(
        text.contains(&format!("  endpoint     {}\n", emulator.base_url())),
        "{text}"
    );
    assert!(
        text.contains(&format!("  application  {}\n", fixtures::APP_ID)),
        "{text}"
    );
    assert!(
        text.contains(&format!("  identity     user {}\n", fixtures::ALICE_ID)),
        "{text}"
    );
    assert!(
        text.contains("  identity     application session\n"),
        "{text}"
    );
    assert!(text.contains("  expires      in 1 h "), "{text}");

    let output = run(&mut status(&dir.0, &["--output", "json"]));
    assert_code(&output, 0);
    let sessions = json(&output)["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    for session in &sessions {
        assert_eq!(session["standing"], "live");
        assert_eq!(session["endpoint"], emulator.base_url());
        assert_eq!(session["application_id"], fixtures::APP_ID);
        let left = session["seconds_left"].as_u64().unwrap();
        assert!((3600..=7200).contains(&left), "{session}");
        assert!(
            session["identity_key"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{}:", fixtures::APP_ID))
        );
    }
    // Nothing is sent, and no token is printed.
    assert_eq!(emulator.control().stats().requests, requests);
    for file in std::fs::read_dir(dir.0.join("qb-auth")).unwrap() {
        let saved = std::fs::read_to_string(file.unwrap().path()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&saved).unwrap();
        let token = value["snapshot"]["session"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(!text.contains(&token) && !stdout(&output).contains(&token));
    }
}

#[test]
fn expired_and_unusable_files_are_not_live() {
    let dir = TempDir::new("stale");
    let files = dir.0.join("qb-auth");
    std::fs::create_dir_all(&files).unwrap();
    // Written as the library writes it, with a session that has expired.
    let expired = files.join("1-expired.json");
    let mut session = qb_auth_core::Session::new(qb_auth_core::SessionToken::new("t0k3n"));
    session.application_id = Some(1);
    let until = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let snapshot = qb_auth_core::lifecycle::LifecycleSnapshot::new(
        Some((session, until)),
        qb_auth_core::lifecycle::ClockSkew::ZERO,
    );
    let endpoint = qb_auth_core::Endpoint::default();
    qb_auth_client::store::SessionStore::save(
        &qb_auth_client::FileStore::new(&expired, &endpoint, 1),
        &snapshot,
    )
    .unwrap();
    let notes = files.join("2-notes.json");
    std::fs::write(&notes, b"{\"my\": \"notes\"}").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&notes, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    // A live-looking session whose token no server gave.
    let mut poisoned = qb_auth_core::Session::new(qb_auth_core::SessionToken::new("t0k3n\r\nX: 1"));
    poisoned.application_id = Some(1);
    let until = std::time::SystemTime::now() + std::time::Duration::from_secs(600);
    qb_auth_client::store::SessionStore::save(
        &qb_auth_client::FileStore::new(files.join("3-poisoned.json"), &endpoint, 1),
        &qb_auth_core::lifecycle::LifecycleSnapshot::new(
            Some((poisoned, until)),
            qb_auth_core::lifecycle::ClockSkew::ZERO,
        ),
    )
    .unwrap();

    let output = run(&mut status(&dir.0, &["--output", "json"]));
    assert_code(&output, 8);
    let value = json(&output);
    let standings: Vec<&str> = value["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["standing"].as_str().unwrap())
        .collect();
    assert_eq!(standings, ["expired", "unusable", "unusable"], "{value}");
    let problem = value["sessions"][1]["problem"].as_str().unwrap();
    assert!(problem.contains("not a qb-auth session file"), "{problem}");
    let problem = value["sessions"][2]["problem"].as_str().unwrap();
    assert!(
        problem.contains("characters no session token has"),
        "{problem}"
    );
    assert!(!stdout(&output).contains("t0k3n"), "{value}");

    // One file given: its own standing decides.
    let output = run(status(&dir.0, &["--session-file"]).arg(&expired));
    assert_code(&output, 8);
    assert!(
        stdout(&output).contains("  expired      at "),
        "{}",
        stdout(&output)
    );
    let output = run(status(&dir.0, &["--session-file"]).arg(files.join("none.json")));
    assert_code(&output, 8);
    assert!(
        stdout(&output).contains("  session      none saved"),
        "{}",
        stdout(&output)
    );
}
