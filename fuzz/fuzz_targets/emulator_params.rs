//! The emulator's request-body decoding (`POST /session.json`,
//! `POST /login.json`), through `qb_auth_emulator::fuzzing::decode_params`.
//!
//! Input: an optional first line `Content-Type: <value>`, then the body
//! (after a blank line when the header is there); without that line the
//! whole input is the body and the emulator sniffs the format.
//!
//! Asserts, beyond not panicking:
//! - no parameter name comes twice (a repeated one is refused, not guessed),
//!   and `signature`, if any, comes last and only once;
//! - the parameters, written as a form body and decoded again, are the same:
//!   what the emulator signs does not depend on the body format;
//! - signing the pairs as a stream (`sign_pairs`) and signing their string
//!   to sign agree, as the emulator's check relies on;
//! - an error is one of the emulator's fixed messages, never body text.

#![no_main]

use std::collections::HashSet;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use qb_auth_core::SecretString;
use qb_auth_core::signature::{HashAlgorithm, sign, sign_pairs, string_to_sign};
use qb_auth_emulator::fuzzing::decode_params;

const HEADER: &[u8] = b"Content-Type:";

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    let mut body = data;
    if let Some(rest) = data.strip_prefix(HEADER) {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        if let Ok(value) = HeaderValue::from_bytes(rest[..end].trim_ascii()) {
            headers.insert(CONTENT_TYPE, value);
        }
        body = rest.get(end + 1..).unwrap_or_default();
        body = body
            .strip_prefix(b"\r\n")
            .or(body.strip_prefix(b"\n"))
            .unwrap_or(body);
    }

    let pairs = match decode_params(&headers, body) {
        Ok(pairs) => pairs,
        Err(message) => {
            assert!(
                message.starts_with("Unsupported")
                    || message.starts_with("Malformed")
                    || message == "Duplicate parameter",
                "{message}"
            );
            return;
        }
    };
    assert_eq!(decode_params(&headers, body).as_ref(), Ok(&pairs));

    let mut names = HashSet::new();
    assert!(
        pairs.iter().all(|(k, _)| names.insert(k.as_str())),
        "repeated name"
    );
    let signed: Vec<(&str, &str)> = match pairs.split_last() {
        Some(((k, _), front)) if k == "signature" => front,
        _ => &pairs[..],
    }
    .iter()
    .map(|(k, v)| (k.as_str(), v.as_str()))
    .collect();
    assert!(signed.iter().all(|(k, _)| *k != "signature"));

    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let mut form_headers = HeaderMap::new();
    form_headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    assert_eq!(
        decode_params(&form_headers, form.as_bytes()),
        Ok(pairs.clone())
    );

    let secret = SecretString::from("fuzz-secret");
    let text = string_to_sign(signed.iter().copied());
    for algorithm in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
        assert_eq!(
            sign_pairs(&secret, signed.iter().copied(), algorithm),
            sign(&secret, &text, algorithm)
        );
    }
});
