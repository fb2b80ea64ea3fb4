//! Known-answer vectors (tests/data/known-answers.json, copied from the
//! project's protocol notes): each stage is checked on its own, so a failure
//! says whether sorting/joining or the HMAC broke, and then the whole
//! request built from a typed identity must reproduce both.

use qb_auth_core::signature::{self, HashAlgorithm};
use qb_auth_core::{
    AppCredentials, BodyFormat, CreateSession, Endpoint, Identity, Nonce, SecretString,
    SigningInput, SocialProvider,
};
use serde_json::Value;

struct Vector {
    name: String,
    secret: String,
    params: Vec<(String, String)>,
    string_to_sign: String,
    signature: String,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("data/known-answers.json");
    let doc: Value = serde_json::from_str(text).expect("vector file is JSON");
    let list = doc["vectors"].as_array().expect("a vectors array");
    assert!(list.len() >= 9, "the vector file lost entries");
    list.iter()
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

impl Vector {
    fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The typed identity these parameters describe, or `None` when they
    /// hold parameters no identity sends (the Ruby vector's `user[owner_id]`).
    fn identity(&self) -> Option<Identity> {
        let known = [
            "application_id",
            "auth_key",
            "nonce",
            "timestamp",
            "user[login]",
            "user[email]",
            "user[password]",
            "provider",
            "scope",
            "keys[token]",
            "keys[secret]",
            "firebase_phone[project_id]",
            "firebase_phone[access_token]",
        ];
        if self
            .params
            .iter()
            .any(|(k, _)| !known.contains(&k.as_str()))
        {
            return None;
        }
        let identity = match self.get("provider") {
            Some("firebase_phone") => Identity::firebase_phone(
                self.get("firebase_phone[project_id]")?,
                self.get("firebase_phone[access_token]")?,
            ),
            Some(p) => {
                let provider = match p {
                    "facebook" => SocialProvider::Facebook,
                    "twitter" => SocialProvider::Twitter,
                    _ => return None,
                };
                Identity::social(
                    provider,
                    self.get("keys[token]"),
                    self.get("keys[secret]"),
                    self.get("scope"),
                )
            }
            None => match (self.get("user[login]"), self.get("user[email]")) {
                (Some(login), None) => Identity::login(login, self.get("user[password]")?),
                (None, Some(email)) => Identity::email(email, self.get("user[password]")?),
                (None, None) => Ok(Identity::application()),
                _ => return None,
            },
        };
        Some(identity.expect("vector identities are valid"))
    }
}

#[test]
fn string_to_sign_matches_every_vector() {
    for v in vectors() {
        let pairs = v.params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let s = signature::string_to_sign(pairs);
        assert_eq!(s.as_str(), v.string_to_sign, "string to sign of {}", v.name);
    }
}

#[test]
fn signature_matches_every_vector() {
    for v in vectors() {
        let secret = SecretString::from(v.secret.clone());
        let sig = signature::sign(&secret, &v.string_to_sign, HashAlgorithm::Sha1);
        assert_eq!(sig.as_str(), v.signature, "signature of {}", v.name);
        let pairs = v.params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let streamed = signature::sign_pairs(&secret, pairs, HashAlgorithm::Sha1);
        assert_eq!(
            streamed.as_str(),
            v.signature,
            "streamed signature of {}",
            v.name
        );
        assert!(signature::verify(
            &secret,
            &v.string_to_sign,
            HashAlgorithm::Sha1,
            &v.signature
        ));
    }
}

#[test]
fn typed_requests_reproduce_every_vector_they_can_express() {
    let mut built = 0;
    for v in vectors() {
        let Some(identity) = v.identity() else {
            assert_eq!(
                v.name, "ruby_gem_signer_test",
                "only the Ruby vector is generic-only"
            );
            continue;
        };
        let app = AppCredentials::new(
            v.get("application_id").unwrap().parse().unwrap(),
            v.get("auth_key").unwrap(),
            SecretString::from(v.secret.clone()),
        )
        .unwrap();
        let input = SigningInput::new(
            v.get("timestamp").unwrap().parse().unwrap(),
            Nonce::new(v.get("nonce").unwrap().parse().unwrap()).unwrap(),
        );
        for format in [BodyFormat::Json, BodyFormat::Form] {
            let signed = CreateSession::new(&app, &identity, input)
                .body_format(format)
                .build(&Endpoint::default())
                .unwrap();
            assert_eq!(
                signed.string_to_sign(),
                v.string_to_sign,
                "{} {format:?}",
                v.name
            );
            assert_eq!(
                signed.signature().as_str(),
                v.signature,
                "{} {format:?}",
                v.name
            );
            built += 1;
        }
    }
    assert_eq!(built, 16, "eight vectors in two body formats");
}

#[test]
fn form_body_is_byte_for_byte_what_the_javascript_sdk_sends() {
    // Example B of the protocol notes, captured from quickblox@2.23.0.
    let app = AppCredentials::new(
        12345,
        "AbCdEfGh-12345",
        SecretString::from("s3cr3t-Key_XYZ"),
    )
    .unwrap();
    let user = Identity::login("alice", "p@ss word&1=2").unwrap();
    let signed = CreateSession::new(
        &app,
        &user,
        SigningInput::new(1_700_000_000, Nonce::new(4242).unwrap()),
    )
    .body_format(BodyFormat::Form)
    .build(&Endpoint::default())
    .unwrap();
    assert_eq!(
        std::str::from_utf8(signed.request().body().as_bytes()).unwrap(),
        "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242\
         &signature=56a1c07a5dfb9dbe0948aa93c2b79a01eb33a177&timestamp=1700000000\
         &user[login]=alice&user[password]=p%40ss%20word%261%3D2"
    );
}

#[test]
fn rfc2202_and_sha256_known_answers() {
    // RFC 2202 test case 1 (HMAC-SHA1) through the public API.
    let key = SecretString::from("\u{0b}".repeat(20));
    assert_eq!(
        signature::sign(&key, "Hi There", HashAlgorithm::Sha1).as_str(),
        "b617318655057264e28bc0b6fb378c8ef146be00"
    );
    // The JavaScript SDK's `hash: 'sha256'` row of the protocol notes.
    let secret = SecretString::from("s3cr3t-Key_XYZ");
    assert_eq!(
        signature::sign(
            &secret,
            "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000",
            HashAlgorithm::Sha256
        )
        .as_str(),
        "dbdb50cc7721aebeb6898d813b5d9854637826000c91ae0b2fc199f505279f52"
    );
}
