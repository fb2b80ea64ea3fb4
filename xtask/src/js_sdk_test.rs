//! `cargo xtask js-sdk-test`: the official QuickBlox JavaScript SDK
//! against `qb-auth emulator` run as a separate process, as a developer of
//! another language's client would run it. The SDK is installed as for the
//! benchmark's baseline (`js_sdk.rs`); `xtask/js-sdk/sdk-test.js` drives its
//! auth module through an application session, logins by login and by
//! email, `getSession`, logout and destroy, a wrong password and a wrong
//! secret (whose diagnosis it reads from `/_emulator/requests`), with the
//! world in `xtask/js-sdk/emulator.toml`.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::js_sdk;

/// How long the emulator may take to announce itself.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the SDK's checks may take, on a busy machine too.
const TEST_TIMEOUT: Duration = Duration::from_secs(180);

pub(crate) fn run(root: &Path, qb_auth: Option<PathBuf>) -> Result<(), String> {
    let sdk = js_sdk::install(root)?;
    let binary = match qb_auth {
        Some(path) => path,
        None => build_cli(root)?,
    };
    let config = root.join("xtask").join("js-sdk").join("emulator.toml");
    let mut emulator = Emulator::start(&binary, &config)?;
    let script = root.join("xtask").join("js-sdk").join("sdk-test.js");
    let outcome = run_node(&script, &sdk.dir, &emulator.url);
    let log = emulator.stop();
    println!("the emulator's -v lines:\n{log}");
    outcome
}

/// Builds the `qb-auth` binary (a no-op when `cargo test` just did); its path.
fn build_cli(root: &Path) -> Result<PathBuf, String> {
    let status = crate::cargo(root)
        .args(["build", "--locked", "-p", "qb-auth-cli", "--bin", "qb-auth"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building qb-auth failed ({status})"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| root.join("target"), |dir| root.join(dir));
    Ok(target.join("debug").join("qb-auth"))
}

/// A `qb-auth emulator` process, stopped (by its id) on drop.
struct Emulator {
    child: Child,
    url: String,
    stderr: Option<thread::JoinHandle<String>>,
}

impl Emulator {
    fn start(binary: &Path, config: &Path) -> Result<Self, String> {
        let mut child = Command::new(binary)
            .args(["emulator", "-v", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .env_remove("QB_AUTH_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut stderr_pipe = child.stderr.take().ok_or("no stderr")?;
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let mut emulator = Self {
            child,
            url: String::new(),
            stderr: Some(stderr),
        };
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            other => {
                let log = emulator.stop();
                return Err(format!(
                    "qb-auth emulator did not start ({other:?}):\n{log}"
                ));
            }
        };
        emulator.url = line
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("unexpected first line {line:?}"))?
            .to_owned();
        Ok(emulator)
    }

    /// Stops it and returns what it printed on stderr.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the SDK's checks, bounded in time.
fn run_node(script: &Path, sdk_dir: &Path, url: &str) -> Result<(), String> {
    let mut node = Command::new("node")
        .arg(script)
        .arg(sdk_dir)
        .arg(url)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let deadline = Instant::now() + TEST_TIMEOUT;
    loop {
        match node.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(format!("the JavaScript SDK's checks failed ({status})"));
            }
            Ok(None) if Instant::now() > deadline => {
                let _ = node.kill();
                let _ = node.wait();
                return Err(format!(
                    "the JavaScript SDK's checks took over {TEST_TIMEOUT:?}"
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("cannot wait for node: {e}")),
        }
    }
}
