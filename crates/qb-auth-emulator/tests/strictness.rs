//! The emulator accepts what QuickBlox is known to accept and nothing more
//! lenient, so that a client bug shows here rather than against QuickBlox;
//! and its create-session errors carry `QB-Token-ExpirationDate` as
//! QuickBlox's do.

mod common;

use common::{
    DEMO, FORM, JSON, create_session, form_body, fresh_nonce, send, signed_pairs, unix_now,
};
use qb_auth_core::time::{parse_expiration, parse_http_date};
use qb_auth_emulator::{BlockingEmulator, Emulator};

const SIGNATURE: &str = r#"{"errors":{"base":["Unexpected signature"]}}"#;
const DUPLICATE: &str = r#"{"errors":{"base":["Duplicate parameter"]}}"#;

fn demo() -> BlockingEmulator {
    Emulator::with_demo_fixtures().start_blocking().unwrap()
}

/// A rewrite of a signature.
type Change = fn(&str) -> String;

/// Signed pairs with the signature rewritten by `change`.
fn with_signature(emulator: &BlockingEmulator, change: impl Fn(&str) -> String) -> Vec<u8> {
    let mut pairs = signed_pairs(DEMO, unix_now(emulator.server_time()), fresh_nonce(), &[]);
    let signature = pairs.last_mut().expect("a signature");
    signature.1 = change(&signature.1);
    form_body(&pairs)
}

#[test]
fn signatures_must_be_lowercase_hex_as_signed() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let cases: [(&str, Change); 4] = [
        ("upper case", |s| s.to_ascii_uppercase()),
        ("leading space", |s| format!(" {s}")),
        ("trailing space", |s| format!("{s} ")),
        ("trailing newline", |s| format!("{s}\n")),
    ];
    for (what, change) in cases {
        let body = with_signature(&emulator, change);
        let reply = send(addr, "POST", "/session.json", &[FORM], &body);
        assert_eq!((reply.status, reply.text()), (422, SIGNATURE), "{what}");
    }
    // The same request as signed is accepted.
    let body = with_signature(&emulator, str::to_owned);
    assert_eq!(
        send(addr, "POST", "/session.json", &[FORM], &body).status,
        201
    );
    assert_eq!(emulator.stats().signature_failures, 4);
}

#[test]
fn json_duplicate_keys_are_refused_like_form_duplicates() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let ts = unix_now(emulator.server_time());
    let pairs = signed_pairs(DEMO, ts, fresh_nonce(), &[]);
    let fields: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{v}\""))
        .collect();
    // The signed nonce first, another one after it: last-wins parsing would
    // take the unsigned value silently.
    let repeated_top = format!("{{{},\"nonce\":\"1\"}}", fields.join(","));
    let repeated_inner = format!(
        "{{{},\"user\":{{\"login\":\"alice\",\"login\":\"bob\"}}}}",
        fields.join(",")
    );
    for body in [repeated_top, repeated_inner] {
        send(addr, "POST", "/session.json", &[JSON], body.as_bytes()).assert(400, DUPLICATE);
    }
    let form_repeat = [form_body(&pairs), b"&nonce=1".to_vec()].concat();
    send(addr, "POST", "/session.json", &[FORM], &form_repeat).assert(400, DUPLICATE);
    assert_eq!(emulator.stats().sessions_created, 0);
}

#[test]
fn create_session_errors_carry_the_expiration_date() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let now = emulator.server_time();
    let wrong_secret = common::App {
        secret: "nope",
        ..DEMO
    };
    let stale = form_body(&signed_pairs(
        DEMO,
        unix_now(now) - 7200,
        fresh_nonce(),
        &[],
    ));
    let replies = [
        create_session(addr, wrong_secret, now, &[]),
        create_session(
            addr,
            DEMO,
            now,
            &[("user[login]", "alice"), ("user[password]", "no")],
        ),
        send(addr, "POST", "/session.json", &[FORM], &stale),
        send(addr, "POST", "/session.json", &[FORM], b"nonce=1"),
        send(addr, "POST", "/session.json", &[JSON], b"{oops"),
    ];
    for reply in replies {
        assert!((400..500).contains(&reply.status), "{}", reply.text());
        let date = parse_http_date(reply.header("date").expect("Date")).unwrap();
        let expiry = reply
            .header("qb-token-expirationdate")
            .and_then(parse_expiration)
            .unwrap_or_else(|| panic!("no expiration date on {}", reply.text()));
        // Two hours after the answer, as QuickBlox writes it.
        let ahead = expiry.duration_since(date).unwrap().as_secs();
        assert!((7199..=7201).contains(&ahead), "{ahead} s ahead");
    }
}
