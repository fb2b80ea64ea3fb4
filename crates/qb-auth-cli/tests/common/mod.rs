//! Running the built `qb-auth` binary with bounded waits, an emulator in a
//! separate `qb-auth emulator` process, and a fake server for answers the
//! emulator does not give on demand.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
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
    /// Everything it printed on stdout and stderr so far.
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl EmulatorProcess {
    /// Starts it with one application (with an account key) and alice, and
    /// waits (bounded) for its `listening on` line.
    pub fn start() -> Self {
        Self::start_with(|cmd| {
            cmd.args(["--listen", "127.0.0.1:0"])
                .args(["--app-id", APP_ID, "--auth-key", AUTH_KEY])
                .args(["--user", &format!("{LOGIN}:{PASSWORD}:{EMAIL}")])
                .args(["--account-key", ACCOUNT_KEY])
                // The secret through the environment, as users are told to.
                .env("QB_AUTH_SECRET", AUTH_SECRET);
        })
    }

    /// Starts `qb-auth emulator` with what `configure` adds, and waits
    /// (bounded) for its `listening on` line.
    pub fn start_with(configure: impl FnOnce(&mut Command)) -> Self {
        let mut cmd = qb_auth();
        cmd.arg("emulator");
        configure(&mut cmd);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qb-auth emulator starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let err_pipe = child.stderr.take().expect("piped stderr");
        thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let printed = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&printed);
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            if let Some(Ok(line)) = &first {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
            let _ = tx.send(first);
            // Keep reading so the emulator never blocks on a full pipe.
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let first = rx.recv_timeout(Duration::from_secs(30));
        let line = match first {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "the emulator printed no first line in 30 s: {other:?} ({status:?}):\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Self {
            child,
            url,
            stdout: printed,
            stderr,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What it printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// What it printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits (bounded) for it to exit; its exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = i32::try_from(self.child.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .expect("a child's id");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait on the emulator") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the emulator ignored SIGTERM");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// One HTTP/1.1 request to `base` (`http://127.0.0.1:<port>`); the status
/// and body of the answer.
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let addr = base.strip_prefix("http://").expect("an http:// URL");
    let mut stream = TcpStream::connect(addr).expect("connect to the emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("an answer");
    let answer = String::from_utf8(answer).expect("a UTF-8 answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, body.to_owned())
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

/// Polls `read` until it contains `needle`, failing the test after
/// `COMMAND_TIMEOUT`.
pub fn eventually_contains(read: &dyn Fn() -> String, needle: &str) {
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    while !read().contains(needle) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {needle:?} in:\n{}",
            read()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// A loopback "proxy" that answers 502 to whatever reaches it, counting
/// the connections; its URL and the count. It serves until the test
/// process ends.
pub fn counting_proxy() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
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
