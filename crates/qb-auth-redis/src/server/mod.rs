//! A `redis-server` of your own, for tests and demos: a child process on a
//! free loopback port, without persistence, stopped by its process id (so
//! a test never talks to a Redis it did not start). [`RedisCluster`]
//! forms a cluster of them, [`RedisSentinels`] a master, a replica and
//! three Sentinels watching them.

mod cluster;
mod sentinel;

pub use cluster::RedisCluster;
pub use sentinel::{RedisSentinels, find_sentinel};

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `redis-server` is, from `PATH` (or the Debian package's place:
/// `apt-get install redis-server`); `None` on a machine without it.
pub fn find() -> Option<PathBuf> {
    find_binary("redis-server")
}

/// `name` on `PATH`, or in the Debian packages' places.
fn find_binary(name: &str) -> Option<PathBuf> {
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// A running `redis-server`, stopped when dropped.
///
/// ```no_run
/// use qb_auth_redis::server::{self, RedisServer};
///
/// # fn main() -> std::io::Result<()> {
/// if let Some(binary) = server::find() {
///     let redis = RedisServer::start(binary.clone())?;
///     assert_eq!(redis.command(&["SET", "k", "v"])?, b"+OK\n");
///     println!("{}", redis.url()); // redis://127.0.0.1:<port>/
///
///     // With a password: its URL is yours to write.
///     let locked = RedisServer::start_with(binary, &["--requirepass", "hunter2"])?;
///     assert_eq!(locked.command(&["SET", "k", "v"])?, b"+OK\n");
///     println!("redis://:hunter2@127.0.0.1:{}/", locked.port());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    /// A TLS port beside the plain one, with its certificate and key.
    tls: Option<(u16, PathBuf, PathBuf)>,
    /// A Sentinel's configuration file, given before the options (a
    /// Sentinel keeps no data, so the persistence options are left out).
    config: Option<PathBuf>,
    /// More options, after the others.
    args: Vec<String>,
    child: Option<Child>,
}

/// The value of option `name` in `args` (`--requirepass`, which
/// [`RedisServer::command`] then sends first, say).
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.windows(2)
        .find(|pair| pair[0] == name)
        .map(|pair| pair[1].as_str())
}

impl RedisServer {
    /// Starts `binary` on a free loopback port, with no persistence
    /// (`--save '' --appendonly no`), and waits until it answers.
    ///
    /// # Errors
    ///
    /// When it does not start, or does not answer within 20 s.
    pub fn start(binary: PathBuf) -> io::Result<Self> {
        Self::start_with(binary, &[])
    }

    /// Like [`start`](Self::start), with more options for `redis-server`
    /// (`["--requirepass", "pw"]`, say: [`command`](Self::command) then
    /// authenticates); the port, address and persistence options are set
    /// already.
    ///
    /// # Errors
    ///
    /// When it does not start, or does not answer within 20 s.
    pub fn start_with(binary: PathBuf, args: &[&str]) -> io::Result<Self> {
        let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
        Self::start_on_free_port(binary, None, |_| Ok(args.clone()))
    }

    /// Starts `binary` on a free port with the options `args` makes for
    /// that port. A port is free when we pick it; if another process takes
    /// it before the server binds, another is tried.
    fn start_on_free_port(
        binary: PathBuf,
        config: Option<PathBuf>,
        args: impl Fn(u16) -> io::Result<Vec<String>>,
    ) -> io::Result<Self> {
        for _ in 0..5 {
            let port = free_port()?;
            let mut server = Self {
                binary: binary.clone(),
                port,
                tls: None,
                config: config.clone(),
                args: args(port)?,
                child: None,
            };
            if server.launch()? {
                return Ok(server);
            }
        }
        Err(io::Error::other(format!(
            "{} did not start on a free loopback port",
            binary.display()
        )))
    }

    /// Like [`start`](Self::start), also serving TLS on a second free port
    /// with this certificate (PEM, for `127.0.0.1`) and key; clients are
    /// not asked for certificates. See [`tls_url`](Self::tls_url).
    ///
    /// # Errors
    ///
    /// When it does not start (a `redis-server` built without TLS), or
    /// does not answer within 20 s.
    pub fn start_tls(binary: PathBuf, cert: PathBuf, key: PathBuf) -> io::Result<Self> {
        for _ in 0..5 {
            let mut server = Self {
                binary: binary.clone(),
                port: free_port()?,
                tls: Some((free_port()?, cert.clone(), key.clone())),
                config: None,
                args: Vec::new(),
                child: None,
            };
            if server.launch()? {
                return Ok(server);
            }
        }
        Err(io::Error::other(
            "redis-server did not start with TLS on free loopback ports",
        ))
    }

    /// `rediss://127.0.0.1:<tls port>/`, for a server from
    /// [`start_tls`](Self::start_tls).
    pub fn tls_url(&self) -> Option<String> {
        self.tls
            .as_ref()
            .map(|(port, _, _)| format!("rediss://127.0.0.1:{port}/"))
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its process id while it runs: to freeze it (`kill -STOP`) and thaw
    /// it in a test, say.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
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
    /// # Errors
    ///
    /// When it does not come back within 20 s.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.launch()? {
            if Instant::now() >= deadline {
                return Err(io::Error::other("redis-server did not restart"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Sends one command and returns the answer, one line per item
    /// (`+OK`, `:1`, a bulk string's bytes, `*2` then the items).
    ///
    /// # Errors
    ///
    /// When it does not answer within 10 s.
    pub fn command(&self, args: &[&str]) -> io::Result<Vec<u8>> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let password = option(&self.args, "--requirepass");
        let mut request = Vec::new();
        if let Some(password) = password {
            encode(&mut request, &["AUTH", password]);
        }
        encode(&mut request, args);
        stream.write_all(&request)?;
        let mut reader = BufReader::new(stream);
        if password.is_some() {
            read_value(&mut reader, &mut Vec::new())?;
        }
        let mut answer = Vec::new();
        read_value(&mut reader, &mut answer)?;
        Ok(answer)
    }

    /// Every key and every string and hash value in the database, as
    /// text, for a test that scans them.
    ///
    /// # Errors
    ///
    /// As [`command`](Self::command).
    pub fn dump(&self) -> io::Result<String> {
        let keys = String::from_utf8_lossy(&self.command(&["KEYS", "*"])?).into_owned();
        let mut all = keys.clone();
        for key in keys.lines().skip(1) {
            let kind = String::from_utf8_lossy(&self.command(&["TYPE", key])?).into_owned();
            let value = match kind.trim() {
                "+hash" => self.command(&["HGETALL", key])?,
                "+string" => self.command(&["GET", key])?,
                _ => Vec::new(),
            };
            all.push_str(&String::from_utf8_lossy(&value));
        }
        Ok(all)
    }

    /// Starts the child; `Ok(false)` when it exited at once (the port was
    /// taken) or never answered.
    fn launch(&mut self) -> io::Result<bool> {
        let mut command = Command::new(&self.binary);
        command.args(&self.config);
        command.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"]);
        if self.config.is_none() {
            command.args(["--save", "", "--appendonly", "no"]);
        }
        if let Some((port, cert, key)) = &self.tls {
            command
                .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
                .arg("--tls-cert-file")
                .arg(cert)
                .arg("--tls-key-file")
                .arg(key);
        }
        command.args(&self.args);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(false);
            }
            if self.pings() {
                self.child = Some(child);
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        Ok(false)
    }

    /// Whether it answers a `PING` (with `+PONG`, or by asking for the
    /// password it was started with).
    fn pings(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut answer = Vec::new();
        BufReader::new(stream)
            .read_until(b'\n', &mut answer)
            .is_ok()
            && (answer.starts_with(b"+PONG") || answer.starts_with(b"-NOAUTH"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Appends `args` as one RESP command.
fn encode(out: &mut Vec<u8>, args: &[&str]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
}

/// The largest string [`RedisServer::command`] reads.
const MAX_BULK: i64 = 64 << 20;

/// A scratch directory of its own for one server (a cluster node's or a
/// Sentinel's configuration, which they rewrite), removed by the caller.
fn scratch_dir(what: &str) -> io::Result<PathBuf> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "qb-auth-{what}-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Waits until `ready` says yes, polling every 50 ms, for at most `within`.
fn wait_until(
    within: Duration,
    what: &str,
    mut ready: impl FnMut() -> io::Result<bool>,
) -> io::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        // A server that is still settling may refuse or fail a command.
        if ready().unwrap_or(false) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(io::Error::other(format!("{what} within {within:?}")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Reads one RESP value into `out`, one line per item.
fn read_value(reader: &mut impl BufRead, out: &mut Vec<u8>) -> io::Result<()> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let text = String::from_utf8_lossy(&line).trim_end().to_owned();
    match text.as_bytes().first() {
        Some(b'*') => {
            out.extend_from_slice(text.as_bytes());
            out.push(b'\n');
            let count: i64 = text[1..].parse().unwrap_or(0);
            for _ in 0..count.max(0) {
                read_value(reader, out)?;
            }
        }
        Some(b'$') => {
            let len: i64 = text[1..].parse().unwrap_or(-1);
            if len > MAX_BULK {
                return Err(io::Error::other("an answer larger than 64 MiB"));
            }
            if len >= 0 {
                let mut data = vec![0; len as usize + 2];
                reader.read_exact(&mut data)?;
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
    Ok(())
}
