//! The known-answer vectors of the protocol notes, sent over raw HTTP in
//! four body encodings: each is accepted, and altered copies are refused.

mod common;

use std::time::SystemTime;

use common::{FORM, JSON, Reply, form_body, hmac_sha1_hex, send, string_to_sign, unix_now};
use qb_auth_emulator::{AppConfig, BlockingEmulator, Emulator, UserConfig};
use serde_json::Value;

const USER_ID: u64 = 501;

#[derive(Debug)]
struct Vector {
    name: String,
    secret: String,
    params: Vec<(String, String)>,
    string_to_sign: String,
    signature: String,
}

impl Vector {
    fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn ts(&self) -> i64 {
        self.get("timestamp").unwrap().parse().unwrap()
    }

    fn is_user(&self) -> bool {
        self.get("user[password]").is_some() || self.get("provider").is_some()
    }

    fn with_signature(&self) -> Vec<(String, String)> {
        let mut pairs = self.params.clone();
        pairs.push(("signature".into(), self.signature.clone()));
        pairs
    }

    /// An emulator that knows this vector's application, user or token,
    /// with its clock set so that the vector's timestamp is now.
    fn emulator(&self) -> BlockingEmulator {
        let app = AppConfig::new(
            self.get("application_id").unwrap().parse().unwrap(),
            self.get("auth_key").unwrap(),
            &self.secret,
        );
        let mut builder = Emulator::builder()
            .app(app)
            .clock_offset(self.ts() - unix_now(SystemTime::now()));
        if let Some(password) = self.get("user[password]") {
            let login = self.get("user[login]").unwrap_or("someone");
            let mut user = UserConfig::new(USER_ID, login, password);
            if let Some(email) = self.get("user[email]") {
                user = user.email(email);
            }
            builder = builder.user(user);
        } else if let Some(provider) = self.get("provider") {
            builder = builder.user(UserConfig::new(USER_ID, "social", "unused-password"));
            builder = match provider {
                "facebook" => builder.facebook_token(USER_ID, self.get("keys[token]").unwrap()),
                "twitter" => builder.twitter_token(
                    USER_ID,
                    self.get("keys[token]").unwrap(),
                    self.get("keys[secret]").unwrap(),
                ),
                "firebase_phone" => builder.firebase_token(
                    USER_ID,
                    self.get("firebase_phone[project_id]").unwrap(),
                    self.get("firebase_phone[access_token]").unwrap(),
                ),
                other => panic!("vector {} has unknown provider {other}", self.name),
            };
        }
        builder.start_blocking().expect("emulator starts")
    }
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("data/known-answers.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().to_owned(),
            secret: v["auth_secret"].as_str().unwrap().to_owned(),
            params: v["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect(),
            string_to_sign: v["string_to_sign"].as_str().unwrap().to_owned(),
            signature: v["signature"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// The four ways a body goes over the wire.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    /// As the JavaScript SDK: `encodeURIComponent`, literal brackets.
    FormJs,
    /// As `application/x-www-form-urlencoded` serialisers: `+` for spaces, `%5B`.
    FormPlus,
    /// JSON, nested objects, every value a string (as QuickBlox's docs).
    JsonStrings,
    /// JSON, nested objects, numbers where the value is a number.
    JsonNumbers,
}

const ENCODINGS: [Encoding; 4] = [
    Encoding::FormJs,
    Encoding::FormPlus,
    Encoding::JsonStrings,
    Encoding::JsonNumbers,
];

fn post(emulator: &BlockingEmulator, pairs: &[(String, String)], encoding: Encoding) -> Reply {
    let (content_type, body) = match encoding {
        Encoding::FormJs => (FORM, form_body(pairs)),
        Encoding::FormPlus => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                form.append_pair(k, v);
            }
            (FORM, form.finish().into_bytes())
        }
        Encoding::JsonStrings => (JSON, common::json_body(pairs)),
        Encoding::JsonNumbers => {
            let mut root = serde_json::Map::new();
            for (k, v) in pairs {
                let value = match v.parse::<u64>() {
                    Ok(n) if !v.starts_with('0') || v == "0" => Value::from(n),
                    _ => Value::from(v.clone()),
                };
                match k.split_once('[') {
                    Some((outer, inner)) => {
                        root.entry(outer)
                            .or_insert_with(|| Value::Object(Default::default()))
                            .as_object_mut()
                            .unwrap()
                            .insert(inner.trim_end_matches(']').to_owned(), value);
                    }
                    None => {
                        root.insert(k.clone(), value);
                    }
                }
            }
            (JSON, serde_json::to_vec(&root).unwrap())
        }
    };
    send(
        emulator.local_addr(),
        "POST",
        "/session.json",
        &[content_type],
        &body,
    )
}

/// `text` with its last character replaced by another of the same kind
/// (a digit stays a digit, so a timestamp stays a number in the window).
fn altered(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let last = chars.last_mut().expect("non-empty value");
    *last = match last.to_digit(10) {
        Some(d) => char::from_digit((d + 1) % 10, 10).unwrap(),
        None if *last == 'a' => 'b',
        None => 'a',
    };
    chars.into_iter().collect()
}

#[test]
fn the_test_helpers_reproduce_every_vector() {
    for v in vectors() {
        assert_eq!(string_to_sign(&v.params), v.string_to_sign, "{}", v.name);
        assert_eq!(
            hmac_sha1_hex(&v.secret, &v.string_to_sign),
            v.signature,
            "{}",
            v.name
        );
    }
}

#[test]
fn every_vector_is_accepted_in_every_encoding() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 9, "all vectors of the protocol notes");
    for v in &vectors {
        for encoding in ENCODINGS {
            // A fresh emulator each time: the same (timestamp, nonce) twice would be a replay.
            let emulator = v.emulator();
            let reply = post(&emulator, &v.with_signature(), encoding);
            assert_eq!(
                reply.status,
                201,
                "{} {encoding:?}: {}",
                v.name,
                reply.text()
            );
            let session = &reply.json()["session"];
            let expected_user = if v.is_user() { USER_ID } else { 0 };
            assert_eq!(session["user_id"], expected_user, "{} {encoding:?}", v.name);
            assert_eq!(
                session["application_id"].to_string(),
                v.get("application_id").unwrap(),
                "{}",
                v.name
            );
            assert_eq!(session["ts"].to_string(), v.get("timestamp").unwrap());
            assert_eq!(session["nonce"].to_string(), v.get("nonce").unwrap());
            assert_eq!(emulator.stats().sessions_created, 1);
            assert_eq!(emulator.stats().signature_failures, 0);
        }
    }
}

#[test]
fn altered_copies_of_every_vector_are_refused() {
    for v in vectors() {
        for encoding in [Encoding::FormJs, Encoding::JsonStrings] {
            let emulator = v.emulator();
            let mut refused = 0;
            // One character of each value changed.
            for (index, (key, value)) in v.params.iter().enumerate() {
                let mut pairs = v.with_signature();
                pairs[index].1 = altered(value);
                let reply = post(&emulator, &pairs, encoding);
                let what = format!("{} {encoding:?}: {key} altered", v.name);
                match key.as_str() {
                    // Another id or key names another (unknown) application.
                    "application_id" | "auth_key" => {
                        reply.assert(422, r#"{"errors":{"base":["No application found"]}}"#)
                    }
                    _ => {
                        assert_eq!(
                            (reply.status, reply.text()),
                            (422, r#"{"errors":{"base":["Unexpected signature"]}}"#),
                            "{what}"
                        );
                        refused += 1;
                    }
                }
            }
            // The signature changed, a parameter added, a parameter removed.
            let mut pairs = v.with_signature();
            let last = pairs.len() - 1;
            pairs[last].1 = altered(&v.signature);
            let mut added = v.with_signature();
            added.push(("extra".into(), "1".into()));
            let mut removed = v.with_signature();
            removed.retain(|(k, _)| k != "user[password]" && k != "provider");
            if removed.len() == v.params.len() + 1 {
                removed.retain(|(k, _)| k != "nonce");
            }
            for pairs in [pairs, added] {
                post(&emulator, &pairs, encoding)
                    .assert(422, r#"{"errors":{"base":["Unexpected signature"]}}"#);
                refused += 1;
            }
            let reply = post(&emulator, &removed, encoding);
            if removed.iter().any(|(k, _)| k == "nonce") {
                reply.assert(422, r#"{"errors":{"base":["Unexpected signature"]}}"#);
                refused += 1;
            } else {
                reply.assert(400, r#"{"errors":{"base":["Missing parameter: nonce"]}}"#);
            }
            let stats = emulator.stats();
            assert_eq!(stats.signature_failures, refused, "{}", v.name);
            assert_eq!(stats.sessions_created, 0, "{}", v.name);
            // The untouched vector still works: refusals used up no nonce.
            assert_eq!(
                post(&emulator, &v.with_signature(), encoding).status,
                201,
                "{}",
                v.name
            );
        }
    }
}

#[test]
fn demo_fixtures_accept_the_worked_examples_unchanged() {
    use qb_auth_emulator::fixtures::{ALICE_ID, BOB_ID};
    let expected = [
        ("app_session", 0),
        ("login_password_reserved_chars", ALICE_ID),
        ("social_token_and_secret", BOB_ID),
        ("facebook_with_scope", ALICE_ID),
        ("firebase_phone", BOB_ID),
    ];
    let vectors = vectors();
    for (name, user) in expected {
        let v = vectors.iter().find(|v| v.name == name).unwrap();
        // One emulator per vector: they all share (timestamp, nonce).
        let emulator = Emulator::with_demo_fixtures()
            .clock_offset(v.ts() - unix_now(SystemTime::now()))
            .start_blocking()
            .unwrap();
        let reply = post(&emulator, &v.with_signature(), Encoding::FormJs);
        assert_eq!(reply.status, 201, "{name}: {}", reply.text());
        assert_eq!(reply.json()["session"]["user_id"], user, "{name}");
    }
}
