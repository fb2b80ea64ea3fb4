//! A `redis-server` of the test's own: a child process on a free loopback
//! port, without persistence, stopped by its process id. No test talks to
//! a Redis it did not start.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The variable under which a missing `redis-server` fails the tests
/// instead of skipping them (CI sets it).
pub const REQUIRE_VAR: &str = "QB_AUTH_REQUIRE_REDIS";

/// Where `redis-server` is, from `PATH` (or the Debian package's place).
pub fn find() -> Option<PathBuf> {
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("redis-server"))
        .find(|path| path.is_file())
}

/// Whether a missing `redis-server` is a failure here.
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}

/// A running `redis-server`, stopped when dropped.
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one on a free loopback port.
    ///
    /// # Panics
    ///
    /// If it does not answer within 20 s.
    pub fn start(binary: PathBuf) -> Self {
        // A port is free when we pick it; if another process takes it
        // before redis-server binds, try another.
        for _ in 0..5 {
            let port = free_port();
            let mut server = Self {
                binary: binary.clone(),
                port,
                child: None,
            };
            if server.launch() {
                return server;
            }
        }
        panic!("redis-server did not start on a free loopback port");
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops it (SIGKILL to its process id, as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    ///
    /// # Panics
    ///
    /// If it does not come back within 20 s.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.launch() {
            assert!(Instant::now() < deadline, "redis-server did not restart");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends one command in RESP and returns the raw answer.
    pub fn command(&self, args: &[&str]) -> Vec<u8> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis answers");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
        }
        stream.write_all(&request).expect("send");
        let mut reader = BufReader::new(stream);
        let mut answer = Vec::new();
        read_value(&mut reader, &mut answer);
        answer
    }

    /// Every key and every value in the database, as text, for a scan.
    pub fn dump(&self) -> String {
        let keys = String::from_utf8_lossy(&self.command(&["KEYS", "*"])).into_owned();
        let mut all = keys.clone();
        for key in keys.lines().filter(|l| !l.starts_with(['*', '$'])) {
            let kind = String::from_utf8_lossy(&self.command(&["TYPE", key])).into_owned();
            let value = match kind.trim() {
                "+hash" => self.command(&["HGETALL", key]),
                "+string" => self.command(&["GET", key]),
                _ => Vec::new(),
            };
            all.push_str(&String::from_utf8_lossy(&value));
        }
        all
    }

    fn launch(&mut self) -> bool {
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = child else {
            return false;
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false; // exited: the port was taken
            }
            if self.pings() {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    fn pings(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut answer = [0; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

/// Reads one RESP value into `out`, one line per item.
fn read_value(reader: &mut impl BufRead, out: &mut Vec<u8>) {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).expect("an answer");
    let text = String::from_utf8_lossy(&line).trim_end().to_owned();
    match text.as_bytes().first() {
        Some(b'*') => {
            out.extend_from_slice(text.as_bytes());
            out.push(b'\n');
            let count: i64 = text[1..].parse().unwrap_or(0);
            for _ in 0..count.max(0) {
                read_value(reader, out);
            }
        }
        Some(b'$') => {
            let len: i64 = text[1..].parse().unwrap_or(-1);
            if len >= 0 {
                let mut data = vec![0; len as usize + 2];
                reader.read_exact(&mut data).expect("a bulk string");
                data.truncate(len as usize);
                out.extend_from_slice(&data);
                out.push(b'\n');
            }
        }
        _ => {
            out.extend_from_slice(text.as_bytes());
            out.push(b'\n');
        }
    }
}
