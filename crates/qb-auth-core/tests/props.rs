//! Properties of signing, body generation and answer parsing.

use std::collections::BTreeMap;

use proptest::prelude::*;
use qb_auth_core::signature::{self, HashAlgorithm};
use qb_auth_core::{
    AppCredentials, BodyFormat, BuildErrorKind, CreateSession, Endpoint, Identity, Nonce,
    Operation, SecretString, SigningInput, SocialProvider, check_status, parse_account_settings,
    parse_session, parse_user,
};
use serde_json::Value;

/// Text that stresses every encoder: separators, escapes, white space,
/// non-ASCII, and anything else proptest finds. May be blank.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9&=%+\\[\\] \\n\\t\"\\\\é✓пароль@#?/]{1,24}",
        any::<String>(),
    ]
}

/// Tricky text with at least one character that is not white space: what
/// every required field accepts. The builders refuse blank values (as
/// QuickBlox would), so a property about accepted input must never draw one;
/// `blank_values_are_refused_with_a_typed_error` covers those.
fn filled() -> impl Strategy<Value = String> {
    (tricky(), "\\S", tricky()).prop_map(|(head, mark, tail)| head + &mark + &tail)
}

/// A printable ASCII auth secret that is not blank.
fn secret() -> impl Strategy<Value = String> {
    "[ -~]{0,20}[!-~][ -~]{0,19}"
}

/// Text that is empty or only white space.
fn blank() -> impl Strategy<Value = String> {
    "\\s{0,6}"
}

/// Every kind of identity, always accepted by its constructor.
fn identity() -> impl Strategy<Value = Identity> {
    let optional = || proptest::option::of(tricky());
    prop_oneof![
        Just(Identity::application()),
        (filled(), filled()).prop_map(|(l, p)| Identity::login(l, p).expect("filled login")),
        (filled(), filled()).prop_map(|(e, p)| Identity::email(e, p).expect("filled email")),
        (filled(), optional(), optional()).prop_map(|(t, s, sc)| Identity::social(
            SocialProvider::Facebook,
            Some(&t),
            s.as_deref(),
            sc.as_deref()
        )
        .expect("a facebook token is enough")),
        (filled(), filled()).prop_map(|(t, s)| Identity::twitter(t, s).expect("filled twitter")),
        (filled(), filled())
            .prop_map(|(p, t)| Identity::firebase_phone(p, t).expect("filled firebase")),
    ]
}

/// Reads a form body back into flat pairs.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Reads a JSON body back into flat pairs, nested objects as `outer[inner]`.
fn json_pairs(body: &[u8]) -> Vec<(String, String)> {
    let Value::Object(map) = serde_json::from_slice(body).expect("body is JSON") else {
        panic!("body is not a JSON object");
    };
    let mut out = Vec::new();
    for (key, value) in map {
        match value {
            Value::String(s) => out.push((key, s)),
            Value::Object(inner) => {
                for (k, v) in inner {
                    out.push((
                        format!("{key}[{k}]"),
                        v.as_str().expect("string values").to_owned(),
                    ));
                }
            }
            other => panic!("unexpected JSON value {other}"),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn string_to_sign_is_sorted_and_independent_of_input_order(
        pairs in proptest::collection::btree_map("[a-z_\\[\\]]{1,12}", tricky(), 1..10),
        seed in any::<u64>(),
    ) {
        let forward: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut shuffled = forward.clone();
        // A deterministic shuffle driven by the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = signature::string_to_sign(forward.iter().copied());
        let b = signature::string_to_sign(shuffled.iter().copied());
        prop_assert_eq!(a.as_str(), b.as_str());

        // Streaming the pairs into the HMAC signs exactly that string.
        let secret = SecretString::from("k");
        for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
            prop_assert_eq!(
                signature::sign_pairs(&secret, shuffled.iter().copied(), hash),
                signature::sign(&secret, &a, hash)
            );
        }

        // Sorted: the joined pairs appear in byte order of `key=value`.
        let mut joined: Vec<String> = forward.iter().map(|(k, v)| format!("{k}={v}")).collect();
        joined.sort();
        prop_assert_eq!(a.as_str(), joined.join("&"));
    }

    #[test]
    fn pairs_alike_in_their_first_bytes_sort_as_their_joined_bytes(
        // A small alphabet with NUL, `=` and `[` makes short keys, keys that
        // share their first 7 bytes, duplicate pairs and more than 8 pairs
        // (the spill to the heap) common: every path of the sort.
        pairs in proptest::collection::vec(("[ab=\\[\x00]{0,9}", "[ab=\x00]{0,3}"), 0..12),
    ) {
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut joined: Vec<String> = borrowed.iter().map(|(k, v)| format!("{k}={v}")).collect();
        joined.sort();
        let s = signature::string_to_sign(borrowed.iter().copied());
        prop_assert_eq!(s.as_str(), joined.join("&"));
        let secret = SecretString::from("k");
        prop_assert_eq!(
            signature::sign_pairs(&secret, borrowed.iter().copied(), HashAlgorithm::Sha1),
            signature::sign(&secret, &joined.join("&"), HashAlgorithm::Sha1)
        );
    }

    #[test]
    fn parsing_the_body_back_gives_the_same_signature(
        identity in identity(),
        app_id in 1u64..u64::MAX,
        auth_key in "[A-Za-z0-9-]{1,20}",
        secret in secret(),
        ts in any::<u32>(),
        nonce in 1u32..=Nonce::MAX,
        form in any::<bool>(),
        sha256 in any::<bool>(),
    ) {
        let format = if form { BodyFormat::Form } else { BodyFormat::Json };
        let hash = if sha256 { HashAlgorithm::Sha256 } else { HashAlgorithm::Sha1 };
        let secret = SecretString::from(secret);
        let app = AppCredentials::new(app_id, auth_key, secret.clone()).unwrap();
        let signed = CreateSession::new(&app, &identity, SigningInput::new(u64::from(ts), Nonce::new(nonce).unwrap()))
            .body_format(format)
            .hash(hash)
            .build(&Endpoint::default())
            .unwrap();
        let body = signed.request().body().as_bytes();
        let pairs = if form { form_pairs(body) } else { json_pairs(body) };
        let sent_signature: Vec<&str> = pairs.iter().filter(|(k, _)| k == "signature").map(|(_, v)| v.as_str()).collect();
        let signature = signed.signature();
        prop_assert_eq!(sent_signature, vec![signature.as_str()]);
        let rebuilt = signature::string_to_sign(
            pairs.iter().filter(|(k, _)| k != "signature").map(|(k, v)| (k.as_str(), v.as_str())),
        );
        prop_assert_eq!(rebuilt.as_str(), signed.string_to_sign());
        prop_assert_eq!(signature::sign(&secret, &rebuilt, hash), signed.signature());
        // The masked form never shows a password or token.
        let masked = signed.masked_string_to_sign();
        prop_assert!(!masked.contains("user[password]=") || masked.contains("user[password]=***"));
        // The masked body is the body with exactly the secret values
        // replaced, escaped or not, and still reads in its format.
        let masked_body = signed.masked_body();
        let masked_pairs = if form { form_pairs(masked_body.as_bytes()) } else { json_pairs(masked_body.as_bytes()) };
        let secret_keys = ["user[password]", "keys[token]", "keys[secret]", "firebase_phone[access_token]"];
        let expected: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.clone(), if secret_keys.contains(&k.as_str()) { "***".to_owned() } else { v.clone() }))
            .collect();
        prop_assert_eq!(masked_pairs, expected);
    }

    #[test]
    fn login_bodies_carry_exactly_the_identity(identity in identity(), form in any::<bool>()) {
        let format = if form { BodyFormat::Form } else { BodyFormat::Json };
        let token = qb_auth_core::SessionToken::new("t");
        match qb_auth_core::login(&Endpoint::default(), &token, &identity, format) {
            Ok(req) => {
                prop_assert!(identity.is_user());
                let pairs = if form { form_pairs(req.body().as_bytes()) } else { json_pairs(req.body().as_bytes()) };
                prop_assert!(pairs.iter().all(|(k, _)| !k.starts_with("user[") && k != "signature"));
            }
            Err(_) => prop_assert!(!identity.is_user()),
        }
    }

    #[test]
    fn blank_values_are_refused_with_a_typed_error(
        blank in blank(), filled in filled(), which in 0usize..8,
    ) {
        let (result, field) = match which {
            0 => (Identity::login(blank, filled).map(|_| ()), "login"),
            1 => (Identity::login(filled, blank).map(|_| ()), "password"),
            2 => (Identity::email(blank, filled).map(|_| ()), "email"),
            3 => (Identity::email(filled, blank).map(|_| ()), "password"),
            4 => (Identity::firebase_phone(blank, filled).map(|_| ()), "firebase project id"),
            5 => (Identity::firebase_phone(filled, blank).map(|_| ()), "firebase access token"),
            6 => (
                AppCredentials::new(1, filled, SecretString::from(blank)).map(|_| ()),
                "auth_secret",
            ),
            _ => (
                AppCredentials::new(1, blank, SecretString::from(filled)).map(|_| ()),
                "auth_key",
            ),
        };
        let err = result.expect_err("a blank required value is refused");
        prop_assert_eq!(err.kind(), &BuildErrorKind::Empty(field));
    }

    #[test]
    fn building_never_panics_on_any_text(
        a in any::<String>(), b in any::<String>(), c in any::<String>(), endpoint in any::<String>(),
    ) {
        let identities = [
            Identity::login(a.clone(), b.clone()),
            Identity::email(a.clone(), b.clone()),
            Identity::social(SocialProvider::Facebook, Some(&a), Some(&b), Some(&c)),
            Identity::social(SocialProvider::Twitter, Some(&a), None, None),
            Identity::firebase_phone(a.clone(), c.clone()),
            Identity::custom_provider(b.clone(), c.clone()),
        ];
        let app = AppCredentials::new(1, a.clone(), SecretString::from(c));
        let ep = Endpoint::parse(&endpoint).unwrap_or_default();
        let token = qb_auth_core::SessionToken::new(a);
        let _ = qb_auth_core::get_session(&ep, &token);
        let _ = qb_auth_core::account_settings(&ep, &b);
        for identity in identities.into_iter().flatten() {
            if let Ok(app) = &app {
                let input = SigningInput::new(0, Nonce::new(1).unwrap());
                for format in [BodyFormat::Json, BodyFormat::Form] {
                    let built = CreateSession::new(app, &identity, input).body_format(format).build(&ep);
                    prop_assert!(built.is_ok());
                }
            }
            let _ = qb_auth_core::login(&ep, &token, &identity, BodyFormat::Form);
        }
    }

    #[test]
    fn answer_parsers_never_panic(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..256), headers in proptest::collection::vec(("[A-Za-z-]{1,20}", "[ -~]{0,40}"), 0..4)) {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in &headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let Ok(response) = builder.body(body.clone()) else { return Ok(()); };
        for op in [Operation::CreateUserSession, Operation::GetSession, Operation::Login, Operation::Other] {
            if let Err(e) = parse_session(&response, op) {
                prop_assert_eq!(e.status().as_u16(), status);
                prop_assert_eq!(e.raw_body(), body.as_slice());
                let _ = e.to_string();
            }
            let _ = parse_user(&response, op);
            let _ = check_status(&response, op);
        }
        let _ = parse_account_settings(&response);
    }

    #[test]
    fn json_shaped_answers_never_panic(status in prop_oneof![Just(200u16), Just(201), Just(401), Just(422), Just(429), Just(500)], value in arb_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        let response = http::Response::builder().status(status).body(body.clone()).unwrap();
        match parse_session(&response, Operation::CreateUserSession) {
            Ok(session) => prop_assert!(!session.token.expose().trim().is_empty()),
            Err(e) => prop_assert_eq!(e.raw_body(), body.as_slice()),
        }
        let _ = parse_user(&response, Operation::Login);
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9 ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("session".to_owned()),
                    Just("token".to_owned()),
                    Just("errors".to_owned()),
                    Just("base".to_owned()),
                    Just("user_id".to_owned()),
                    Just("id".to_owned()),
                    Just("user".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}
