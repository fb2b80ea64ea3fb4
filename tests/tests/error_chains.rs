//! What an operator reads when a server is down: the same stopped server
//! gives, from a one-shot call and from a managed session's first token,
//! an error that says what was attempted, against which host, after how
//! many attempts and how long, and whose chain (`{:#}`, `source()`
//! walked) reaches the operating system's "Connection refused" without
//! printing any message twice. Over both transports.

use std::net::TcpListener;
use std::time::Duration;

use qb_auth_core::lifecycle::{Attempted, Policy, RenewalError};
use qb_auth_core::{Endpoint, Identity};
use qb_auth_tests::fixtures::app;

/// A loopback endpoint nothing listens on (a port taken, then released).
fn stopped_server() -> Endpoint {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    Endpoint::parse(&format!("http://127.0.0.1:{port}")).expect("a loopback endpoint")
}

/// Fast backoff, three attempts: the chain is what is under test.
fn policy() -> Policy {
    Policy::default()
        .with_backoff(Duration::from_millis(10), Duration::from_millis(40))
        .with_max_attempts(3)
}

/// Each message of `err` and its sources, as `{:#}` prints them.
fn chain(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut lines = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        lines.push(cause.to_string());
        source = cause.source();
    }
    lines
}

/// No message of the chain is repeated by a later one, and the last is
/// the operating system's refusal.
#[track_caller]
fn reaches_the_refusal_once(lines: &[String]) {
    for (i, line) in lines.iter().enumerate() {
        for later in &lines[i + 1..] {
            assert!(!line.contains(later.as_str()), "repeated: {lines:#?}");
        }
    }
    let last = lines.last().expect("a message");
    assert!(
        last.contains("Connection refused") || last.contains("connection refused"),
        "{lines:#?}"
    );
}

#[test]
fn a_stopped_server_over_ureq() {
    let endpoint = stopped_server();
    let client = qb_auth_ureq::Client::builder()
        .endpoint(endpoint.clone())
        .no_proxy()
        .retry_policy(policy())
        .build()
        .unwrap();
    let one_shot = client
        .create_session(&app(), &Identity::application())
        .unwrap_err();
    check_one_shot(&one_shot, &endpoint);

    let managed = client
        .managed(qb_auth_ureq::SessionSource::application(app()))
        .policy(policy())
        .build()
        .unwrap();
    check_renewal(&managed.token().unwrap_err(), &endpoint);
}

#[tokio::test]
async fn a_stopped_server_over_reqwest() {
    let endpoint = stopped_server();
    let client = qb_auth_reqwest::Client::builder()
        .endpoint(endpoint.clone())
        .no_proxy()
        .retry_policy(policy())
        .build()
        .unwrap();
    let one_shot = client
        .create_session(&app(), &Identity::application())
        .await
        .unwrap_err();
    check_one_shot(&one_shot, &endpoint);

    let managed = client
        .managed(qb_auth_reqwest::SessionSource::application(app()))
        .policy(policy())
        .build()
        .unwrap();
    check_renewal(&managed.token().await.unwrap_err(), &endpoint);
}

fn check_one_shot(err: &qb_auth_client::Error, endpoint: &Endpoint) {
    let lines = chain(err);
    let first = &lines[0];
    assert!(
        first.starts_with("create application session failed after 3 attempts in "),
        "{lines:#?}"
    );
    assert!(
        first.ends_with(&format!(": could not connect ({})", endpoint.as_str())),
        "{lines:#?}"
    );
    reaches_the_refusal_once(&lines);
    assert!(err.is_retryable());
}

fn check_renewal(err: &qb_auth_client::Error, endpoint: &Endpoint) {
    let qb_auth_client::Error::Renewal(RenewalError::AttemptsExhausted {
        attempted,
        attempts,
        ..
    }) = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*attempted, *attempts),
        (Attempted::CreateApplicationSession, 3)
    );
    let lines = chain(err);
    assert!(
        lines[0].starts_with("creating an application session failed after 3 attempts in "),
        "{lines:#?}"
    );
    assert_eq!(
        lines[1],
        format!("could not connect ({})", endpoint.as_str()),
        "{lines:#?}"
    );
    reaches_the_refusal_once(&lines);
    // The typed error is still there for code that acts on it.
    assert!(err.transport_error().is_some());
}
