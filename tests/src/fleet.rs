//! Fleet worker processes (the `fleet-worker` binary) driven from a test
//! or the bench: spawned with their standard streams piped, their lines
//! collected, stopped with `stop` or killed.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use qb_auth_client::fleet::FleetKey;
use qb_auth_core::lifecycle::SessionCredentials;

use crate::fixtures::{alice, app};

/// The transports a worker runs over, in turn.
pub const TRANSPORTS: [&str; 2] = ["reqwest", "ureq"];

/// The Redis key prefix of the workers' shared session (Alice's).
pub fn redis_base() -> String {
    let key = FleetKey::for_credentials(&SessionCredentials::new(app(), alice()))
        .expect("Alice has a fleet key");
    format!("qb-auth:{{{key}}}")
}

/// One worker process.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every line it printed so far.
    pub seen: Vec<String>,
    /// Which transport it runs over.
    pub transport: &'static str,
}

impl Worker {
    /// Starts `binary` against the emulator at `api` and the Redis at
    /// `redis`, with `extra` options.
    pub fn spawn(
        binary: &Path,
        api: &str,
        redis: &str,
        transport: &'static str,
        extra: &[&str],
    ) -> Self {
        Self::spawn_with_env(binary, api, redis, transport, extra, &[])
    }

    /// Like [`spawn`](Self::spawn), with these environment variables set.
    pub fn spawn_with_env(
        binary: &Path,
        api: &str,
        redis: &str,
        transport: &'static str,
        extra: &[&str],
        env: &[(&str, &Path)],
    ) -> Self {
        let mut child = Command::new(binary)
            .args(["--api", api, "--redis", redis, "--transport", transport])
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the fleet worker starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            transport,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a line starting with `prefix` (keeping the others).
    ///
    /// # Panics
    ///
    /// If none comes within `within`, or the worker exits first.
    pub fn expect(&mut self, prefix: &str, within: Duration) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.starts_with(prefix)) {
            return line.clone();
        }
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "worker {} printed no `{prefix}` within {within:?}: {:?}",
                        self.pid(),
                        self.seen
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "worker {} ended before `{prefix}`: {:?}",
                        self.pid(),
                        self.seen
                    )
                }
            }
        }
    }

    /// How many lines starting with `prefix` it printed so far.
    pub fn count(&mut self, prefix: &str) -> usize {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.iter().filter(|l| l.starts_with(prefix)).count()
    }

    /// Tells it to stop; returns its (answered, failed) request counts.
    ///
    /// # Panics
    ///
    /// If it does not report within `within` or exits with a failure.
    pub fn stop(mut self, within: Duration) -> (u64, u64) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "stop");
        }
        self.finish(within)
    }

    /// Waits for a `--once` worker to end; returns its counts.
    ///
    /// # Panics
    ///
    /// As [`stop`](Self::stop).
    pub fn finish(self, within: Duration) -> (u64, u64) {
        self.finish_seen(within).0
    }

    /// Like [`finish`](Self::finish), with every line it printed.
    ///
    /// # Panics
    ///
    /// As [`stop`](Self::stop).
    pub fn finish_seen(mut self, within: Duration) -> ((u64, u64), Vec<String>) {
        let done = self.expect("done", within);
        let status = self.child.wait().expect("the worker exits");
        assert!(
            status.success(),
            "worker {} exited with {status}",
            self.pid()
        );
        (parse_done(&done), std::mem::take(&mut self.seen))
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Ends a worker a failed test left running; nothing if it exited.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn parse_done(line: &str) -> (u64, u64) {
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("`{line}` has no {name}"))
    };
    (field("ok="), field("failed="))
}
