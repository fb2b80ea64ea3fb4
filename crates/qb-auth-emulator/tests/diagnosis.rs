//! Why a signature was refused: for each cause the emulator names, a
//! create-session built to have it. Each is checked three ways: the 422 is
//! QuickBlox's to the byte, the library's log names the cause, and
//! `GET /_emulator/requests` says the same. Neither the log, the JSON nor
//! the page ever holds the secret or the password.

mod common;

use common::{DEMO, FORM, JSON, Reply, fresh_nonce, hmac_sha1_hex, send, string_to_sign, unix_now};
use qb_auth_emulator::{
    AppConfig, BlockingEmulator, Emulator, Encoding, SecretMistake, SignatureCause,
};

const UNEXPECTED_SIGNATURE: &str = r#"{"errors":{"base":["Unexpected signature"]}}"#;
const SECRET: &str = "s3cr3t-Key_XYZ";
const PASSWORD: &str = "p@ss word&1=2";

fn emulator() -> BlockingEmulator {
    Emulator::with_demo_fixtures()
        .app(AppConfig::new(2, "second-key", "second-app-SECRET"))
        .start_blocking()
        .unwrap()
}

fn pairs(emulator: &BlockingEmulator, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = vec![
        ("application_id".into(), DEMO.id.to_string()),
        ("auth_key".into(), DEMO.key.into()),
        ("nonce".into(), fresh_nonce().to_string()),
        (
            "timestamp".into(),
            unix_now(emulator.server_time()).to_string(),
        ),
    ];
    pairs.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    pairs
}

fn alice() -> [(&'static str, &'static str); 2] {
    [("user[login]", "alice"), ("user[password]", PASSWORD)]
}

/// `k=v&…` joined as given, unsorted and unencoded.
fn joined(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn with_signature(mut pairs: Vec<(String, String)>, signature: &str) -> Vec<(String, String)> {
    pairs.push(("signature".into(), signature.into()));
    pairs
}

/// Sends a body to `POST /session.json`, checks QuickBlox's 422, and
/// returns the cause the log names, after checking that the control API
/// says the same and that nothing shows a secret.
fn refused(emulator: &BlockingEmulator, content_type: (&str, &str), body: &[u8]) -> SignatureCause {
    let reply = send(
        emulator.local_addr(),
        "POST",
        "/session.json",
        &[content_type],
        body,
    );
    reply.assert(422, UNEXPECTED_SIGNATURE);
    let record = emulator
        .recent_requests()
        .pop()
        .expect("the request is logged");
    let diagnosis = record.diagnosis.expect("a diagnosis");
    let json = control(emulator, "/_emulator/requests");
    let last = json["requests"]
        .as_array()
        .and_then(|r| r.last())
        .expect("a request")
        .clone();
    assert_eq!(last["seq"], record.seq);
    assert_eq!(last["status"], 422);
    assert_eq!(last["refusal"], "unexpected_signature");
    assert_eq!(last["diagnosis"]["cause"], diagnosis.cause.kind());
    assert_eq!(
        last["diagnosis"]["explanation"],
        diagnosis.cause.to_string()
    );
    assert_eq!(
        last["diagnosis"]["string_to_sign"],
        diagnosis.string_to_sign.as_str()
    );
    let page = send(
        emulator.local_addr(),
        "GET",
        "/_emulator/?refresh=0",
        &[],
        b"",
    );
    assert_eq!(page.status, 200);
    for shown in [
        json.to_string(),
        page.text().to_owned(),
        format!("{diagnosis:?}"),
    ] {
        for secret in [SECRET, "second-app-SECRET", PASSWORD, "p%40ss", "p@ss"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
    }
    diagnosis.cause
}

/// `GET` of a control endpoint, as JSON.
fn control(emulator: &BlockingEmulator, path: &str) -> serde_json::Value {
    let reply: Reply = send(emulator.local_addr(), "GET", path, &[], b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn form(pairs: &[(String, String)]) -> Vec<u8> {
    common::form_body(pairs)
}

#[test]
fn parameters_sent_but_not_signed() {
    let emulator = emulator();
    // Only the application's fields signed, the user's sent too.
    let app = pairs(&emulator, &[]);
    let sent = pairs_with(&app, &alice());
    let signature = hmac_sha1_hex(SECRET, &string_to_sign(&app));
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    assert_eq!(
        cause,
        SignatureCause::NotSigned {
            names: vec!["user[login]".into(), "user[password]".into()]
        }
    );
    // One parameter left out of the string.
    let sent = pairs(&emulator, &alice());
    let signed: Vec<_> = sent
        .iter()
        .filter(|(k, _)| k != "user[password]")
        .cloned()
        .collect();
    let signature = hmac_sha1_hex(SECRET, &string_to_sign(&signed));
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    assert_eq!(
        cause,
        SignatureCause::NotSigned {
            names: vec!["user[password]".into()]
        }
    );
}

fn pairs_with(base: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = base.to_vec();
    all.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    all
}

#[test]
fn a_json_null_signed_but_not_sent() {
    let emulator = emulator();
    let sent = pairs(&emulator, &alice());
    let mut signed = sent.clone();
    signed.push(("user[email]".into(), String::new()));
    let signature = hmac_sha1_hex(SECRET, &string_to_sign(&signed));
    let mut body: serde_json::Value = serde_json::from_slice(&common::json_body(&sent)).unwrap();
    body["user"]["email"] = serde_json::Value::Null;
    body["signature"] = signature.into();
    let cause = refused(&emulator, JSON, body.to_string().as_bytes());
    assert_eq!(
        cause,
        SignatureCause::SignedNotSent {
            names: vec!["user[email]".into()]
        }
    );
}

#[test]
fn pairs_signed_in_the_order_sent() {
    let emulator = emulator();
    let mut sent = pairs(&emulator, &[]);
    // timestamp before nonce, as many hand-written signers have it.
    sent.swap(2, 3);
    let signature = hmac_sha1_hex(SECRET, &joined(&sent));
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    assert_eq!(cause, SignatureCause::NotSorted);
}

#[test]
fn values_signed_as_the_form_body_writes_them() {
    let emulator = emulator();
    let sent = pairs(&emulator, &alice());
    let body = form(&sent);
    // The signer took the body's text, still percent-encoded.
    let text = String::from_utf8(body.clone()).unwrap();
    let mut raw: Vec<(String, String)> = text
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    raw.sort();
    let signature = hmac_sha1_hex(SECRET, &joined(&raw));
    let mut body = body;
    body.extend_from_slice(format!("&signature={signature}").as_bytes());
    let cause = refused(&emulator, FORM, &body);
    assert_eq!(
        cause,
        SignatureCause::Encoded {
            how: Encoding::AsInBody,
            names: vec!["user[password]".into()]
        }
    );
}

#[test]
fn values_signed_percent_encoded_while_json_carries_them_raw() {
    let emulator = emulator();
    let sent = pairs(&emulator, &alice());
    let signed: Vec<(String, String)> = sent
        .iter()
        .map(|(k, v)| {
            let encoded = if k == "user[password]" {
                "p%40ss%20word%261%3D2".to_owned()
            } else {
                v.clone()
            };
            (k.clone(), encoded)
        })
        .collect();
    let signature = hmac_sha1_hex(SECRET, &string_to_sign(&signed));
    let mut body: serde_json::Value = serde_json::from_slice(&common::json_body(&sent)).unwrap();
    body["signature"] = signature.into();
    let cause = refused(&emulator, JSON, body.to_string().as_bytes());
    assert_eq!(
        cause,
        SignatureCause::Encoded {
            how: Encoding::Percent,
            names: vec!["user[password]".into()]
        }
    );
}

#[test]
fn a_nested_key_signed_flat() {
    let emulator = emulator();
    let sent = pairs(&emulator, &alice());
    let signed: Vec<(String, String)> = sent
        .iter()
        .map(|(k, v)| (k.replace('[', ".").replace(']', ""), v.clone()))
        .collect();
    let signature = hmac_sha1_hex(SECRET, &string_to_sign(&signed));
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    assert_eq!(
        cause,
        SignatureCause::NestedKey {
            sent: "user[login]".into(),
            signed: "user.login".into()
        }
    );
}

#[test]
fn a_timestamp_or_nonce_other_than_the_body_s() {
    let emulator = emulator();
    let sent = pairs(&emulator, &[]);
    let ts: i64 = sent[3].1.parse().unwrap();
    let mut signed = sent.clone();
    signed[3].1 = (ts + 1).to_string();
    let signature = hmac_sha1_hex(SECRET, &string_to_sign(&signed));
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    assert_eq!(
        cause,
        SignatureCause::TimestampDiffers {
            sent: ts,
            signed: ts + 1
        }
    );

    let sent = pairs(&emulator, &[]);
    let nonce: i64 = sent[2].1.parse().unwrap();
    let mut signed = sent.clone();
    signed[2].1 = (nonce - 3).to_string();
    let signature = hmac_sha1_hex(SECRET, &string_to_sign(&signed));
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    assert_eq!(
        cause,
        SignatureCause::NonceDiffers {
            sent: nonce,
            signed: nonce - 3
        }
    );
}

#[test]
fn the_right_string_under_a_wrong_secret() {
    let emulator = emulator();
    for (secret, mistake) in [
        ("AbCdEfGh-12345", SecretMistake::AuthKey),
        ("s3cr3t-Key_XYZ\n", SecretMistake::LineBreak),
        ("s3cr3t-Key_XYZ ", SecretMistake::Whitespace),
        ("second-app-SECRET", SecretMistake::OtherApplication(2)),
        ("", SecretMistake::Empty),
    ] {
        let sent = pairs(&emulator, &alice());
        let signature = hmac_sha1_hex(secret, &string_to_sign(&sent));
        let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
        assert_eq!(cause, SignatureCause::WrongSecret(mistake), "{secret:?}");
    }
}

#[test]
fn no_usual_mistake_leaves_the_signatures_to_compare() {
    let emulator = emulator();
    let sent = pairs(&emulator, &alice());
    let string = string_to_sign(&sent);
    let signature = hmac_sha1_hex("some-other-secret", &string);
    let expected = hmac_sha1_hex(SECRET, &string);
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    assert_eq!(
        cause,
        SignatureCause::Unexplained {
            expected_prefix: expected[..8].to_owned(),
            received_prefix: signature[..8].to_owned()
        }
    );
    // The string shown is the one signed, the password masked.
    let diagnosis = emulator.recent_requests().pop().unwrap().diagnosis.unwrap();
    assert_eq!(diagnosis.string_to_sign, string.replace(PASSWORD, "***"));
}

#[test]
fn the_signature_s_own_form() {
    let emulator = emulator();
    let sent = pairs(&emulator, &[]);
    let right = hmac_sha1_hex(SECRET, &string_to_sign(&sent));
    let cause = refused(
        &emulator,
        FORM,
        &form(&with_signature(sent, &right.to_uppercase())),
    );
    assert_eq!(cause, SignatureCause::UpperCase);

    let sent = pairs(&emulator, &[]);
    let right = hmac_sha1_hex(SECRET, &string_to_sign(&sent));
    let cause = refused(
        &emulator,
        FORM,
        &form(&with_signature(sent, &format!(" {right}\n"))),
    );
    assert_eq!(cause, SignatureCause::Padded);

    let sent = pairs(&emulator, &[]);
    let sha256 = qb_auth_core::signature::sign(
        &SECRET.into(),
        &string_to_sign(&sent),
        qb_auth_core::HashAlgorithm::Sha256,
    );
    let cause = refused(
        &emulator,
        FORM,
        &form(&with_signature(sent, sha256.as_str())),
    );
    assert_eq!(cause, SignatureCause::Sha256NotAccepted);

    let sent = pairs(&emulator, &[]);
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, "not-hex")));
    assert_eq!(cause, SignatureCause::NotHex { length: 7 });
}

#[test]
fn a_request_of_many_parameters_is_not_searched() {
    let emulator = emulator();
    let many: Vec<(String, String)> = (0..40).map(|i| (format!("k{i}"), "v".into())).collect();
    let mut sent = pairs(&emulator, &[]);
    sent.extend(many);
    let cause = refused(
        &emulator,
        FORM,
        &form(&with_signature(sent, &"0".repeat(40))),
    );
    assert_eq!(cause, SignatureCause::NotTried);
}

/// A hostile value is kept as text everywhere (the page escapes it; the
/// browser test checks it renders as text).
#[test]
fn a_hostile_value_stays_text() {
    let emulator = emulator();
    let hostile = "<script>alert(1)</script>";
    let sent = pairs(
        &emulator,
        &[("user[login]", hostile), ("user[password]", "x")],
    );
    let signature = hmac_sha1_hex("wrong", &string_to_sign(&sent));
    refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    let page = send(
        emulator.local_addr(),
        "GET",
        "/_emulator/?refresh=0",
        &[],
        b"",
    );
    let html = page.text();
    assert!(!html.contains(hostile), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"), "no script element at all");
}

/// The diagnosis adds nothing to the answer: the same headers and bytes
/// as from an emulator that keeps no log (and so diagnoses nothing).
#[test]
fn the_answer_is_quickblox_s_whether_diagnosed_or_not() {
    let quiet = Emulator::with_demo_fixtures()
        .recent_requests(0)
        .start_blocking()
        .unwrap();
    let loud = emulator();
    let names = |emulator: &BlockingEmulator| {
        let sent = pairs(emulator, &[]);
        let signature = hmac_sha1_hex("wrong", &string_to_sign(&sent));
        let reply = send(
            emulator.local_addr(),
            "POST",
            "/session.json",
            &[FORM],
            &form(&with_signature(sent, &signature)),
        );
        reply.assert(422, UNEXPECTED_SIGNATURE);
        let mut names: Vec<String> = reply
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&quiet), names(&loud));
    assert!(quiet.recent_requests().is_empty());
    assert_eq!(quiet.stats().signature_failures, 1);
}

/// What a client names is cut before it is kept or shown: the log stays
/// small whatever it sends.
#[test]
fn a_long_name_is_cut_in_the_cause_and_the_parameters() {
    let emulator = emulator();
    let long = "k".repeat(5000);
    let app = pairs(&emulator, &[]);
    let sent = pairs_with(&app, &[(long.as_str(), "v")]);
    let signature = hmac_sha1_hex(SECRET, &string_to_sign(&app));
    let cause = refused(&emulator, FORM, &form(&with_signature(sent, &signature)));
    let SignatureCause::NotSigned { names } = cause else {
        panic!("{cause:?}");
    };
    assert_eq!(names[0].chars().count(), 121);
    assert!(names[0].ends_with('…'));
    let record = emulator.recent_requests().pop().unwrap();
    assert!(record.to_string().len() < 400, "{record}");
    let diagnosis = record.diagnosis.unwrap();
    assert!(
        diagnosis
            .params
            .iter()
            .all(|(k, _)| k.chars().count() <= 121)
    );
    assert!(diagnosis.string_to_sign.chars().count() <= 2049);
}
