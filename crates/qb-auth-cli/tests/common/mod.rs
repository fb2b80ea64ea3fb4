//! Running the built `qb-auth` binary with bounded waits, an emulator in a
//! separate `qb-auth emulator` process, and a fake server for answers the
//! emulator does not give on demand.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_qb-auth");

/// How long one command may run before the test fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The emulator's application and user, as the round-trip tests use them.
pub const APP_ID: &str = "777";
pub const AUTH_KEY: &str = "round-trip-auth-key";
pub const AUTH_SECRET: &str = "SECRET-auth-secret-5f3a9";
pub const LOGIN: &str = "alice";
pub const PASSWORD: &str = "SECRET-password-c41e";
pub const EMAIL: &str = "alice@example.com";
pub const ACCOUNT_KEY: &str = "SECRET-account-key-77d0";

/// A `qb-auth` command with a clean environment: no `QB_*` variable or
/// proxy setting of the machine running the tests leaks in.
pub fn qb_auth() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().stdin(Stdio::null());
    cmd
}

/// Runs `cmd` to completion, killing it if it takes longer than `COMMAND_TIMEOUT`.
pub fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the qb-auth binary starts");
    // Read both pipes on threads so a full pipe cannot stall the child.
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait on qb-auth") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("qb-auth {cmd:?} did not finish within {COMMAND_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// The exit code, failing the test when the process was killed by a signal.
pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("qb-auth was killed: {}", stderr(output)))
}

/// Asserts the exit code, showing both streams when it differs.
#[track_caller]
pub fn assert_code(output: &Output, expected: i32) {
    assert_eq!(
        code(output),
        expected,
        "\nstdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// stdout parsed as exactly one JSON value.
#[track_caller]
pub fn json(output: &Output) -> serde_json::Value {
    let text = stdout(output);
    let mut values = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    let first = values
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout; stderr:\n{}", stderr(output)))
        .expect("stdout is JSON");
    assert!(
        values.next().is_none(),
        "more than one JSON value on stdout:\n{text}"
    );
    first
}

/// A `qb-auth emulator` process on a free loopback port, killed on drop.
pub struct EmulatorProcess {
    child: Child,
    url: String,
}

impl EmulatorProcess {
    /// Starts it with one application (with an account key) and alice, and
    /// waits (bounded) for its `listening on` line.
    pub fn start() -> Self {
        let mut child = qb_auth()
            .args(["emulator", "--listen", "127.0.0.1:0"])
            .args(["--app-id", APP_ID, "--auth-key", AUTH_KEY])
            .args(["--user", &format!("{LOGIN}:{PASSWORD}:{EMAIL}")])
            .args(["--account-key", ACCOUNT_KEY])
            // The secret through the environment, as users are told to.
            .env("QB_AUTH_SECRET", AUTH_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("qb-auth emulator starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // Keep reading so the emulator never blocks on a full pipe.
            for _ in lines {}
        });
        let first = rx.recv_timeout(Duration::from_secs(30));
        let line = match first {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the emulator printed no first line in 30 s: {other:?}");
            }
        };
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Self { child, url }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback server that answers every request with `response` (a whole
/// HTTP/1.1 answer) until `lifetime` runs out; returns its base URL.
pub fn canned_server(response: impl AsRef<[u8]> + Send + 'static, lifetime: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let url = format!("http://{}", listener.local_addr().expect("local addr"));
    thread::spawn(move || {
        let deadline = Instant::now() + lifetime;
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((stream, _)) => answer(stream, response.as_ref()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return,
            }
        }
    });
    url
}

/// Reads one request (head and a Content-Length body), writes `response`
/// whatever the client does with it, and closes.
fn answer(mut stream: TcpStream, response: &[u8]) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    // Read the head and a Content-Length body, then answer and close.
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    // The client may hang up part way (that is the point of some tests).
    let _ = stream.write_all(response);
    let _ = stream.flush();
}

/// A loopback port with nothing listening on it.
pub fn closed_port_url() -> String {
    // Port 1 (tcpmux), which nothing on these machines serves. A port bound
    // and closed here could be handed to another test's server at once.
    "http://127.0.0.1:1".to_owned()
}

/// A loopback "proxy" that answers 502 to whatever reaches it, counting
/// the connections; its URL and the count. It serves until the test
/// process ends.
pub fn counting_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("local addr"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            // Counted before anything is read: a connection is a leak,
            // whatever it carries.
            seen.fetch_add(1, Ordering::SeqCst);
            answer(
                stream,
                b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (url, count)
}
