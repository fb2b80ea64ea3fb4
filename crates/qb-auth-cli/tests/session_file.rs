//! `session create --save` and `--session-file`: a session saved by one
//! run is reused by the next (the emulator counts one create-session) for
//! the same identity only, is the token source of `session get`, `session
//! destroy`, `login` and `logout` at its own endpoint and application only
//! (elsewhere nothing is sent), follows its token through a login or
//! logout, and a session file that cannot be trusted is replaced by a new
//! session with a warning. Anything else at the path (a user's file,
//! another program's, another user's, a device, a FIFO) is left untouched
//! with exit code 7, before anything is sent, and never blocks. The file
//! is private and holds no secret but the token.

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

        // Another identity does not take alice's session (the file names
        // her by a hash only).
        assert!(!std::fs::read_to_string(&path).unwrap().contains("alice"));
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
        // A session file cut short, as a crash of another program's write
        // would leave it.
        std::fs::write(
            &path,
            "{\n  \"format\": \"qb-auth session file\",\n  \"vers",
        )
        .unwrap();
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
        // One plain line, not a log record.
        assert!(
            err.starts_with("warning: saved session in ") && err.lines().count() == 1,
            "{transport}: {err}"
        );
        assert!(!err.contains("WARN") && !err.contains("qb_auth"), "{err}");
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
    // One file per application and identity, named by their hash.
    let files = json_files(&dir.0.join("qb-auth"));
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with(&format!("{}-", fixtures::APP_ID)),
        "{name}"
    );
    assert!(std::fs::read_to_string(&files[0]).unwrap().contains(&token));

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

/// The `.json` files in `dir`, by name.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The session file at `path`, parsed.
fn saved(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A session for alice saved at `emulator` in `path`; its token.
fn save_alice(emulator: &BlockingEmulator, transport: &str, path: &Path) -> String {
    let file = path.to_str().unwrap();
    let output = run(
        cmd(emulator, transport, &["session", "create", "--save", file]).args([
            "--login",
            fixtures::ALICE_LOGIN,
            "--output",
            "json",
        ]),
    );
    assert_code(&output, 0);
    token_of(&output)
}

#[test]
fn a_session_file_is_used_only_with_its_endpoint_and_application() {
    for transport in ["reqwest", "ureq"] {
        let (first, second) = (emulator(), emulator());
        let dir = TempDir::new(&format!("endpoints-{transport}"));
        let path = dir.0.join("session.json");
        save_alice(&first, transport, &path);
        let file = path.to_str().unwrap();
        let before = first.control().stats().requests;

        // At another endpoint: ignored with a warning, and with no token to
        // send (nor a terminal to ask for one), nothing is sent.
        let output = run(&mut cmd(
            &second,
            transport,
            &["session", "get", "--session-file", file],
        ));
        assert_code(&output, 2);
        let err = stderr(&output);
        assert!(
            err.contains(&format!(
                "for the endpoint {}, not {}",
                first.base_url(),
                second.base_url()
            )),
            "{transport}: {err}"
        );
        assert_eq!(
            second.control().stats().requests,
            0,
            "{transport}: sent to the second"
        );
        // A plain warning line, a log record only when -v asks for logs.
        assert!(err.starts_with("warning: saved session in "), "{err}");
        let output = run(cmd(
            &second,
            transport,
            &["session", "get", "--session-file", file],
        )
        .arg("-v"));
        let logs = stderr(&output);
        assert!(
            logs.contains(" WARN qb_auth::session_file: saved session in "),
            "{logs}"
        );

        // Another application's: the same.
        let output = run(cmd(
            &first,
            transport,
            &["session", "get", "--session-file", file],
        )
        .args(["--app-id", "999"]));
        assert_code(&output, 2);
        assert!(stderr(&output).contains("not 999's"), "{}", stderr(&output));
        assert_eq!(first.control().stats().requests, before, "{transport}");

        // Its own endpoint and application (QB_APP_ID): used.
        let output = run(cmd(
            &first,
            transport,
            &["session", "get", "--session-file", file],
        )
        .args(["--output", "json"]));
        assert_code(&output, 0);
        assert_eq!(json(&output)["user_id"], fixtures::ALICE_ID, "{transport}");
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
}

/// Whether this process may give a file to another user (root).
#[cfg(unix)]
fn can_give_files_away(dir: &Path) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    let probe = dir.join("chown-probe");
    std::fs::write(&probe, b"").unwrap();
    let given = std::os::unix::fs::chown(&probe, Some(65534), None).is_ok();
    std::fs::remove_file(&probe).unwrap();
    given
}

/// A FIFO at the session path: every command finishes at once (`run`
/// fails a command that takes a minute), `get` has no token, and `create`
/// leaves it untouched with exit code 7 before anything is sent.
#[cfg(unix)]
#[test]
fn a_fifo_at_the_session_path_never_blocks_a_command() {
    use std::os::unix::fs::FileTypeExt;
    for transport in ["reqwest", "ureq"] {
        let emulator = emulator();
        let dir = TempDir::new(&format!("fifo-{transport}"));
        let path = dir.0.join("session.json");
        mkfifo(&path);
        let file = path.to_str().unwrap();

        let output = run(&mut cmd(
            &emulator,
            transport,
            &["session", "get", "--session-file", file],
        ));
        assert_code(&output, 2);
        assert!(stderr(&output).contains("a FIFO"), "{}", stderr(&output));

        for flag in ["--session-file", "--save"] {
            let output = run(
                cmd(&emulator, transport, &["session", "create", flag, file])
                    .args(["--output", "json"]),
            );
            assert_code(&output, 7);
            assert_eq!(json(&output)["error"]["kind"], "not_a_session_file");
            assert!(
                json(&output)["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("a FIFO"),
                "{}",
                stdout(&output)
            );
        }
        assert_eq!(created(&emulator), 0, "{transport}: a session was created");
        assert!(
            std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }
}

/// A save replaces only a session file: a user's notes, another program's
/// JSON, a character device and another user's file are left as they were,
/// with exit code 7 and a message naming the file, before any request.
#[test]
fn a_save_never_replaces_a_file_that_is_not_a_session_file() {
    let emulator = emulator();
    let dir = TempDir::new("not-ours");
    std::fs::create_dir_all(&dir.0).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let mut cases = vec![
        (
            write("notes.txt", b"my notes\n"),
            "not a qb-auth session file",
        ),
        (
            write("settings.json", br#"{"theme": "dark"}"#),
            "not a qb-auth session file",
        ),
    ];
    #[cfg(unix)]
    {
        // Root gets a device of its own to refuse: were the refusal to
        // fail, root would replace the machine's /dev/null.
        if can_give_files_away(&dir.0) {
            let device = dir.0.join("null");
            let made = Command::new("mknod")
                .arg(&device)
                .args(["c", "1", "3"])
                .status()
                .is_ok_and(|s| s.success());
            if made {
                cases.push((device, "a character device"));
            } else {
                eprintln!("mknod failed: the case of a character device was not run");
            }
            let theirs = write("theirs.json", b"");
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            cases.push((theirs, "belongs to user 65534"));
        } else {
            cases.push((PathBuf::from("/dev/null"), "a character device"));
            eprintln!("not root: the case of another user's file was not run");
        }
    }
    for transport in ["reqwest", "ureq"] {
        for (path, reason) in &cases {
            let before = std::fs::symlink_metadata(path).unwrap();
            let bytes = std::fs::read(path).ok();
            for flag in ["--save", "--session-file"] {
                let file = path.to_str().unwrap();
                let output = run(&mut cmd(
                    &emulator,
                    transport,
                    &["session", "create", flag, file],
                ));
                assert_code(&output, 7);
                let err = stderr(&output);
                assert!(err.contains(reason), "{path:?}: {err}");
                assert!(err.contains("it was left untouched"), "{path:?}: {err}");
            }
            let after = std::fs::symlink_metadata(path).unwrap();
            assert_eq!(before.file_type(), after.file_type(), "{path:?}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                assert_eq!(
                    (before.ino(), before.uid(), before.rdev()),
                    (after.ino(), after.uid(), after.rdev()),
                    "{path:?} was replaced"
                );
            }
            if before.is_file() {
                assert_eq!(std::fs::read(path).ok(), bytes, "{path:?}");
            }
        }
    }
    assert_eq!(created(&emulator), 0, "a session was created for nothing");
}

/// `login` and `logout` through a session file rewrite it for the token's
/// new identity: a logged-out token is never reused as the user's, nor a
/// logged-in one as the application's.
#[test]
fn login_and_logout_rewrite_the_session_file() {
    for transport in ["reqwest", "ureq"] {
        let emulator = emulator();
        let dir = TempDir::new(&format!("login-{transport}"));
        let path = dir.0.join("session.json");
        let file = path.to_str().unwrap();
        let app_session = |emulator: &BlockingEmulator| {
            run(cmd(
                emulator,
                transport,
                &["session", "create", "--session-file", file],
            )
            .args(["--output", "json"]))
        };
        let output = app_session(&emulator);
        assert_code(&output, 0);
        let token = token_of(&output);
        let app_key = saved(&path)["scope"].clone();

        let output = run(
            cmd(&emulator, transport, &["login", "--session-file", file])
                .args(["--login", fixtures::ALICE_LOGIN]),
        );
        assert_code(&output, 0);
        let file_now = saved(&path);
        assert_eq!(
            file_now["snapshot"]["session"]["user_id"],
            fixtures::ALICE_ID
        );
        assert_ne!(file_now["scope"], app_key, "{transport}");
        // Alice's session is reused as hers, not as the application's.
        let output = run(cmd(
            &emulator,
            transport,
            &["session", "create", "--session-file", file],
        )
        .args(["--login", fixtures::ALICE_LOGIN, "--output", "json"]));
        assert_code(&output, 0);
        assert_eq!(token_of(&output), token, "{transport}");
        assert_eq!(created(&emulator), 1, "{transport}");

        let output = run(&mut cmd(
            &emulator,
            transport,
            &["logout", "--session-file", file],
        ));
        assert_code(&output, 0);
        let file_now = saved(&path);
        assert_eq!(file_now["snapshot"]["session"]["user_id"], 0, "{transport}");
        assert_eq!(file_now["scope"], app_key, "{transport}");
        // Not Bob's, nor Alice's any more: a new session for Bob...
        let output = run(cmd(
            &emulator,
            transport,
            &["session", "create", "--session-file", file],
        )
        .args(["--email", fixtures::BOB_EMAIL, "--output", "json"])
        .env("QB_PASSWORD", fixtures::BOB_PASSWORD));
        assert_code(&output, 0);
        assert_ne!(token_of(&output), token, "{transport}");
        assert_eq!(json(&output)["user_id"], fixtures::BOB_ID, "{transport}");
        assert!(
            stderr(&output).contains("another identity"),
            "{}",
            stderr(&output)
        );
        // ... whose file never held a password.
        let text = std::fs::read_to_string(&path).unwrap();
        for secret in [
            fixtures::ALICE_PASSWORD,
            fixtures::BOB_PASSWORD,
            fixtures::AUTH_SECRET,
        ] {
            assert!(!text.contains(secret), "{transport}: {text}");
        }
        assert_eq!(created(&emulator), 2, "{transport}");
    }
}

/// Without a PATH each application and identity has its own file: users
/// taking turns each reuse their own session, and `session get` takes the
/// one saved last for its endpoint.
#[test]
fn default_files_are_per_application_and_identity() {
    for transport in ["reqwest", "ureq"] {
        let emulator = emulator();
        let dir = TempDir::new(&format!("per-identity-{transport}"));
        let create = |login: bool| {
            let mut command = cmd(
                &emulator,
                transport,
                &["session", "create", "--session-file"],
            );
            if login {
                command.args(["--login", fixtures::ALICE_LOGIN]);
            } else {
                command
                    .args(["--email", fixtures::BOB_EMAIL])
                    .env("QB_PASSWORD", fixtures::BOB_PASSWORD);
            }
            let output = run(command
                .args(["--output", "json"])
                .env("XDG_STATE_HOME", &dir.0));
            assert_code(&output, 0);
            token_of(&output)
        };
        let (alice, bob) = (create(true), create(false));
        for _ in 0..2 {
            assert_eq!(create(true), alice, "{transport}");
            assert_eq!(create(false), bob, "{transport}");
        }
        assert_eq!(created(&emulator), 2, "{transport}: 6 runs, 2 sessions");
        let files = json_files(&dir.0.join("qb-auth"));
        assert_eq!(files.len(), 2, "{transport}");
        // Alice's saved an hour earlier, whatever the clock's resolution.
        for file in files {
            if saved(&file)["snapshot"]["session"]["user_id"] == fixtures::ALICE_ID {
                let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
                let handle = std::fs::File::options().write(true).open(&file).unwrap();
                handle.set_modified(earlier).unwrap();
            }
        }

        let output = run(
            cmd(&emulator, transport, &["session", "get", "--session-file"])
                .args(["--output", "json"])
                .env("XDG_STATE_HOME", &dir.0),
        );
        assert_code(&output, 0);
        assert_eq!(
            json(&output)["user_id"],
            fixtures::BOB_ID,
            "{transport}: the last saved"
        );
    }
}
