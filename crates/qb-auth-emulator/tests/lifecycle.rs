//! Starting and stopping: the async handle, the blocking wrapper, and the
//! `qb-auth emulator` command path (first line, environment, shutdown).

mod common;

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use qb_auth_emulator::cli::{EmulatorArgs, run_until};
use qb_auth_emulator::{ConfigError, Emulator, StartError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn refuses_connections(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err()
}

/// Whether the emulator behind `control` no longer serves `addr`. Other
/// tests bind port 0 in parallel and the kernel hands a freed port out
/// again, so a connection that succeeds may be someone else's: it proves
/// nothing unless this emulator counted the request sent over it.
async fn stopped(addr: SocketAddr, control: &qb_auth_emulator::EmulatorControl) -> bool {
    if refuses_connections(addr) {
        return true;
    }
    let before = control.stats().requests;
    let _ = tokio::time::timeout(common::IO_TIMEOUT, try_get_users(addr)).await;
    control.stats().requests == before
}

/// `GET /users.json`, whoever answers, if anyone does.
async fn try_get_users(addr: SocketAddr) -> io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /users.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer)
}

async fn get_users(addr: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /users.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(common::IO_TIMEOUT, stream.read_to_string(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_handle_serves_then_shuts_down_cleanly() {
    let emulator = Emulator::with_demo_fixtures().start().await.unwrap();
    let addr = emulator.local_addr();
    assert_eq!(emulator.base_url(), format!("http://{addr}"));
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let answer = get_users(addr).await;
    assert!(
        answer.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{answer}"
    );
    let control = emulator.control();
    emulator.shutdown().await;
    assert!(stopped(addr, &control).await);
    // Counters stay readable after shutdown.
    assert_eq!(control.stats().requests, 1);
    assert_eq!(control.stats().missing_token_rejections, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish() {
    let emulator = Emulator::with_demo_fixtures()
        .latency(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let addr = emulator.local_addr();
    let control = emulator.control();
    let in_flight = tokio::spawn(get_users(addr));
    common::eventually("the request to arrive", || emulator.stats().requests == 1);
    emulator.shutdown().await;
    let answer = in_flight.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(stopped(addr, &control).await);
}

#[test]
fn blocking_emulator_stops_when_dropped() {
    let emulator = Emulator::with_demo_fixtures().start_blocking().unwrap();
    let addr = emulator.local_addr();
    let control = emulator.control();
    assert!(!refuses_connections(addr));
    drop(emulator);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(runtime.block_on(stopped(addr, &control)));
}

#[test]
fn bad_configurations_do_not_start() {
    let public: SocketAddr = "0.0.0.0:0".parse().unwrap();
    let err = Emulator::with_demo_fixtures()
        .listen(public)
        .start_blocking()
        .unwrap_err();
    assert!(
        matches!(err, StartError::Config(ConfigError::NonLoopback(_))),
        "{err}"
    );
    let err = Emulator::builder().start_blocking().unwrap_err();
    assert!(
        matches!(err, StartError::Config(ConfigError::NoApplication)),
        "{err}"
    );
    let taken = Emulator::with_demo_fixtures().start_blocking().unwrap();
    let err = Emulator::with_demo_fixtures()
        .listen(taken.local_addr())
        .start_blocking()
        .unwrap_err();
    assert!(matches!(err, StartError::Bind { .. }), "{err}");
}

/// stdout stand-in that the test can read while `run_until` writes.
#[derive(Clone, Default)]
struct SharedOut(Arc<Mutex<Vec<u8>>>);

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    emulator: EmulatorArgs,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_prints_exactly_the_listening_line_once_accepting() {
    let cli = Cli::try_parse_from([
        "qb-auth",
        "--listen",
        "127.0.0.1:0",
        "--app-id",
        "12345",
        "--auth-key",
        "AbCdEfGh-12345",
        "--auth-secret",
        "s3cr3t-Key_XYZ",
        "--user",
        "alice:p@ss word&1=2:alice@example.com",
        "--account-key",
        "acct",
    ])
    .unwrap();
    let out = SharedOut::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(run_until(cli.emulator, out.clone(), async {
        let _ = stopped.await;
    }));
    common::eventually("the listening line", || {
        out.0.lock().unwrap().ends_with(b"\n")
    });
    let printed = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let port: u16 = printed
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix('\n'))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected output {printed:?}"));
    assert_ne!(port, 0);
    assert!(!printed.contains("s3cr3t"));

    // Accepting as soon as the line is out: an account-settings call works.
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /account_settings.json HTTP/1.1\r\nHost: x\r\nQB-Account-Key: acct\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains(&format!(r#""api_endpoint":"http://127.0.0.1:{port}""#)));

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("shuts down in time")
        .unwrap()
        .unwrap();
    // The port may serve another test's emulator by now; none has "acct".
    if !refuses_connections(addr) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /account_settings.json HTTP/1.1\r\nHost: x\r\nQB-Account-Key: acct\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer).await;
        assert!(
            !answer.starts_with("HTTP/1.1 200"),
            "still served: {answer}"
        );
    }
    assert_eq!(
        out.0
            .lock()
            .unwrap()
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
        1,
        "one line only"
    );
}

/// Set by the parent test: this process only parses the environment.
const CHILD_MARKER: &str = "QB_EMULATOR_TEST_ENV_CHILD";

#[test]
fn env_child() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    match Cli::try_parse_from(["qb-auth"]) {
        Ok(cli) => println!("PARSED {:?}", cli.emulator),
        Err(err) => println!("FAILED {err}"),
    }
}

#[test]
fn every_flag_can_come_from_the_environment() {
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new(exe)
        .args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_MARKER, "1")
        .env("QB_LISTEN", "127.0.0.1:18089")
        .env("QB_APP_ID", "777")
        .env("QB_AUTH_KEY", "env-key")
        .env("QB_AUTH_SECRET", "ENV-SECRET")
        .env("QB_USER", "alice:PW-ONE:alice@example.com,bob:PW-TWO")
        .env("QB_ACCOUNT_KEY", "ENV-ACCOUNT")
        .env("QB_SESSION_TTL", "42")
        .env("QB_RATE_LIMIT", "9")
        .env("QB_CLOCK_OFFSET", "-120")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The test harness prints its own text before ours on the same line.
    let line = stdout
        .lines()
        .find_map(|l| {
            l.find("PARSED ")
                .or_else(|| l.find("FAILED "))
                .map(|at| &l[at..])
        })
        .unwrap_or_else(|| panic!("no result from the child: {stdout}"));
    assert!(line.starts_with("PARSED"), "{line}");
    for expected in [
        "listen: 127.0.0.1:18089",
        "app_id: 777",
        "auth_key: \"env-key\"",
        "login: \"alice\"",
        "email: Some(\"alice@example.com\")",
        "login: \"bob\"",
        "session_ttl: 42",
        "rate_limit: Some(9)",
        "clock_offset: -120",
    ] {
        assert!(line.contains(expected), "{expected} missing from {line}");
    }
    for secret in ["ENV-SECRET", "PW-ONE", "PW-TWO", "ENV-ACCOUNT"] {
        assert!(!line.contains(secret), "{secret} leaked: {line}");
    }
}
