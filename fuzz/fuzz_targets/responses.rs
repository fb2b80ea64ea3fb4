//! The response parsers (`check_status`, `parse_session`, `parse_user`,
//! `parse_account_settings`) on any answer.
//!
//! Input: an HTTP/1.1-like answer, so that seeds are readable files: a
//! status line (`HTTP/1.1 201 Created`, or just `201`), header lines, a
//! blank line, the body. Header lines that are not valid headers are
//! skipped.
//!
//! Asserts, beyond not panicking:
//! - success means a 2xx status; an error keeps the status, the call and
//!   the raw body; a 2xx that cannot be read is `MalformedResponse`, a non-2xx
//!   fails exactly as `check_status` does;
//! - a session has a non-blank token and the answer's expiration header;
//!   its `Debug` does not print the token; sessions, users and settings
//!   survive a serde round trip (sessions are saved by stores that way);
//! - a token in the body never reaches an error's `Display` or `Debug`,
//!   unless the server also put it in a message, a field error or a code.

#![no_main]

use http::{HeaderName, HeaderValue, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use qb_auth_core::{
    ApiError, ErrorKind, Operation, Session, SessionToken, check_status, parse_account_settings,
    parse_session, parse_user, token_expiration,
};

const OPERATIONS: [Operation; 8] = [
    Operation::CreateApplicationSession,
    Operation::CreateUserSession,
    Operation::GetSession,
    Operation::DestroySession,
    Operation::Login,
    Operation::Logout,
    Operation::AccountSettings,
    Operation::Other,
];

fuzz_target!(|data: &[u8]| {
    let Some(answer) = read_answer(data) else {
        return;
    };
    let token = body_token(answer.body());

    for operation in OPERATIONS {
        match check_status(&answer, operation) {
            Ok(()) => assert!(answer.status().is_success()),
            Err(err) => {
                assert!(!answer.status().is_success());
                assert_ne!(err.kind(), ErrorKind::MalformedResponse);
                check_error(&err, &answer, operation, token.as_deref());
            }
        }
    }

    for operation in [
        Operation::CreateApplicationSession,
        Operation::CreateUserSession,
        Operation::GetSession,
    ] {
        match parse_session(&answer, operation) {
            Ok(session) => check_session(&session, &answer),
            Err(err) => check_parse_error(&err, &answer, operation, token.as_deref()),
        }
    }

    match parse_user(&answer, Operation::Login) {
        Ok(user) => {
            assert!(answer.status().is_success());
            let json = serde_json::to_string(&user).expect("a user serialises");
            let back: qb_auth_core::User = serde_json::from_str(&json).expect("and reads back");
            assert_eq!(back, user);
        }
        Err(err) => check_parse_error(&err, &answer, Operation::Login, token.as_deref()),
    }

    match parse_account_settings(&answer) {
        Ok(settings) => {
            assert!(answer.status().is_success());
            let json = serde_json::to_string(&settings).expect("settings serialise");
            let back: qb_auth_core::AccountSettings =
                serde_json::from_str(&json).expect("and read back");
            assert_eq!(back, settings);
            if let Some(endpoint) = settings.endpoint() {
                // What the settings hand out is a valid endpoint as it stands.
                assert_eq!(
                    qb_auth_core::Endpoint::parse(endpoint.as_str()).ok(),
                    Some(endpoint)
                );
            }
            if let Some(host) = settings.chat_host() {
                assert!(!host.is_empty() && !host.ends_with('/'));
            }
        }
        Err(err) => check_parse_error(&err, &answer, Operation::AccountSettings, token.as_deref()),
    }
});

/// Reads the status line, the headers and the body; `None` without a status.
fn read_answer(data: &[u8]) -> Option<Response<&[u8]>> {
    let (status_line, mut rest) = split_line(data);
    let status = status_line
        .split(u8::is_ascii_whitespace)
        .find_map(|word| StatusCode::from_bytes(word).ok())?;
    let mut answer = Response::new(&[][..]);
    *answer.status_mut() = status;
    while !rest.is_empty() {
        let (line, next) = split_line(rest);
        rest = next;
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim_ascii()),
            HeaderValue::from_bytes(value),
        ) {
            answer.headers_mut().append(name, value);
        }
    }
    *answer.body_mut() = rest;
    Some(answer)
}

/// The first line (without `\r\n` or `\n`) and what follows it.
fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let line = &data[..end];
            (line.strip_suffix(b"\r").unwrap_or(line), &data[end + 1..])
        }
        None => (data, &[]),
    }
}

/// `session.token` of a JSON body, when it looks like a real token: long
/// enough, and of token characters only, so that it cannot turn up in an
/// error's text by coincidence (inside a number or a punctuation run).
fn body_token(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = value.get("session")?.get("token")?.as_str()?;
    let looks_real = token.len() >= 16
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    looks_real.then(|| token.to_owned())
}

fn check_session(session: &Session, answer: &Response<&[u8]>) {
    assert!(answer.status().is_success());
    assert!(!session.token.expose().trim().is_empty());
    assert_eq!(session.expires_at, token_expiration(answer.headers()));

    // Debug is the same whatever the token: it is not printed.
    let mut other = session.clone();
    other.token = SessionToken::new(format!("{}x", session.token.expose()));
    assert_eq!(format!("{session:?}"), format!("{other:?}"));

    // Any time a server sends is written and read back, 1969 included.
    let json = serde_json::to_string(session).expect("a session serialises");
    let back: Session = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(&back, session);
}

/// A parser's error: malformed for a 2xx, `check_status`'s error otherwise.
fn check_parse_error(
    err: &ApiError,
    answer: &Response<&[u8]>,
    operation: Operation,
    token: Option<&str>,
) {
    if answer.status().is_success() {
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    } else {
        assert_eq!(check_status(answer, operation).err().as_ref(), Some(err));
    }
    check_error(err, answer, operation, token);
}

fn check_error(
    err: &ApiError,
    answer: &Response<&[u8]>,
    operation: Operation,
    token: Option<&str>,
) {
    assert_eq!(err.status(), answer.status());
    assert_eq!(err.operation(), operation);
    assert_eq!(err.raw_body(), *answer.body());
    let (display, debug) = (err.to_string(), format!("{err:?}"));
    let Some(token) = token else {
        return;
    };
    if !display.contains(token) && !debug.contains(token) {
        return;
    }
    // Printed: only fine if the server itself said it where errors are read.
    let said = err.messages().iter().any(|m| m.contains(token))
        || err
            .field_errors()
            .iter()
            .any(|(f, list)| f.contains(token) || list.iter().any(|m| m.contains(token)))
        || err.code().is_some_and(|c| c.contains(token))
        || format!("{:?}{:?}", err.retry_after(), err.server_date()).contains(token);
    assert!(
        said,
        "the session token leaked into an error's Display or Debug"
    );
}
