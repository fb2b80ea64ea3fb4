//! Starting and stopping: the async handle and the blocking wrapper. (The
//! `qb-auth emulator` command is tested with the command, in qb-auth-cli.)

mod common;

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

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
