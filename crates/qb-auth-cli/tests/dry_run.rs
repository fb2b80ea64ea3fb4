//! `session create --dry-run --output json` against the known-answer
//! vectors, in both body formats: with `--show-secrets` the string to sign
//! and the signature must match exactly, and the body must decode back to
//! the same parameters; without it, every password, provider token and
//! secret shows as `***`, in text and JSON alike.

mod common;

use std::collections::BTreeMap;

use common::{assert_code, json, qb_auth, run, stderr};
use serde_json::Value;

const VECTORS: &str = include_str!("data/known-answers.json");

/// Vectors whose parameters no identity flag can produce (the Ruby gem's
/// test signs a `user[owner_id]` that QuickBlox does not take).
const UNSUPPORTED: &[&str] = &["ruby_gem_signer_test"];

struct Vector {
    name: String,
    secret: String,
    params: BTreeMap<String, String>,
    string_to_sign: String,
    signature: String,
}

fn vectors() -> Vec<Vector> {
    let doc: Value = serde_json::from_str(VECTORS).expect("known-answers.json parses");
    doc["vectors"]
        .as_array()
        .expect("a vectors array")
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

/// The identity flags that produce a vector's identity parameters, or
/// `None` when no flags can.
fn identity_flags(params: &BTreeMap<String, String>) -> Option<Vec<String>> {
    let base = ["application_id", "auth_key", "nonce", "timestamp"];
    let mut rest: BTreeMap<&str, &str> = params
        .iter()
        .filter(|(k, _)| !base.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut flags = Vec::new();
    let mut take = |key: &str, flag: &str, flags: &mut Vec<String>| {
        if let Some(value) = rest.remove(key) {
            flags.push(flag.to_owned());
            flags.push(value.to_owned());
        }
    };
    take("user[login]", "--login", &mut flags);
    take("user[email]", "--email", &mut flags);
    take("user[password]", "--password", &mut flags);
    take("provider", "--provider", &mut flags);
    take("keys[token]", "--provider-token", &mut flags);
    take("keys[secret]", "--provider-secret", &mut flags);
    take("scope", "--scope", &mut flags);
    take(
        "firebase_phone[project_id]",
        "--firebase-project-id",
        &mut flags,
    );
    take(
        "firebase_phone[access_token]",
        "--firebase-token",
        &mut flags,
    );
    rest.is_empty().then_some(flags)
}

/// Nested JSON objects flattened to `outer[inner]` keys, every value text.
fn flatten_json(body: &str) -> BTreeMap<String, String> {
    let value: Value = serde_json::from_str(body).expect("the JSON body parses");
    let mut out = BTreeMap::new();
    for (key, value) in value.as_object().expect("a JSON object body") {
        match value {
            Value::Object(inner) => {
                for (k, v) in inner {
                    out.insert(format!("{key}[{k}]"), v.as_str().expect("text").to_owned());
                }
            }
            Value::String(s) => {
                out.insert(key.clone(), s.clone());
            }
            other => panic!("unexpected value {other} for {key}"),
        }
    }
    out
}

fn decode_form(body: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        assert!(
            out.insert(k.to_string(), v.to_string()).is_none(),
            "{k} sent twice"
        );
    }
    out
}

#[test]
fn dry_runs_match_every_known_answer_in_both_body_formats() {
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    for vector in vectors() {
        let Some(identity) = identity_flags(&vector.params) else {
            skipped.push(vector.name.clone());
            continue;
        };
        for (body, content_type) in [
            ("json", "application/json"),
            ("form", "application/x-www-form-urlencoded; charset=UTF-8"),
        ] {
            let output = run(qb_auth()
                .args(["session", "create", "--dry-run", "--show-secrets"])
                .args(["--output", "json"])
                .args(["--app-id", &vector.params["application_id"]])
                .args(["--auth-key", &vector.params["auth_key"]])
                .args(["--nonce", &vector.params["nonce"]])
                .args(["--timestamp", &vector.params["timestamp"]])
                .args(["--body", body])
                .args(&identity)
                .env("QB_AUTH_SECRET", &vector.secret));
            assert_code(&output, 0);
            assert!(
                stderr(&output).is_empty(),
                "{}: {}",
                vector.name,
                stderr(&output)
            );
            let value = json(&output);
            let what = format!("{} ({body})", vector.name);
            let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                [
                    "body",
                    "headers",
                    "method",
                    "signature",
                    "string_to_sign",
                    "url"
                ],
                "{what}"
            );
            assert_eq!(value["string_to_sign"], vector.string_to_sign, "{what}");
            assert_eq!(value["signature"], vector.signature, "{what}");
            assert_eq!(value["method"], "POST", "{what}");
            assert_eq!(
                value["url"], "https://api.quickblox.com/session.json",
                "{what}"
            );
            assert_eq!(value["headers"]["content-type"], content_type, "{what}");
            let sent = value["body"].as_str().expect("body is text");
            let decoded = match body {
                "json" => flatten_json(sent),
                _ => decode_form(sent),
            };
            let mut expected = vector.params.clone();
            expected.insert("signature".into(), vector.signature.clone());
            assert_eq!(
                decoded, expected,
                "{what}: the body decodes to other params"
            );
        }
        checked.push(vector.name);
    }
    assert_eq!(
        skipped, UNSUPPORTED,
        "only known-unsupported vectors are skipped"
    );
    assert!(checked.len() >= 8, "checked only {checked:?}");
}

#[test]
fn a_dry_run_reads_the_secret_from_a_file_and_honours_sha256() {
    let dir = std::env::temp_dir().join(format!("qb-auth-cli-dry-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("secret");
    std::fs::write(&file, "s3cr3t-Key_XYZ\n").unwrap();
    let output = run(qb_auth()
        .args(["session", "create", "--dry-run", "--output", "json"])
        .args(["--app-id", "12345", "--auth-key", "AbCdEfGh-12345"])
        .args([
            "--nonce",
            "4242",
            "--timestamp",
            "1700000000",
            "--hash",
            "sha256",
        ])
        .arg("--auth-secret-file")
        .arg(&file));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_code(&output, 0);
    // The value the JavaScript SDK computes for the same request.
    assert_eq!(
        json(&output)["signature"],
        "dbdb50cc7721aebeb6898d813b5d9854637826000c91ae0b2fc199f505279f52"
    );
}

#[test]
fn configuration_comes_from_the_environment_too() {
    // What to do on this run (--dry-run, --nonce, --timestamp) is typed;
    // everything that configures it comes from QB_* variables.
    let output = run(qb_auth()
        .args(["session", "create", "--dry-run"])
        .args(["--nonce", "4242", "--timestamp", "1700000000"])
        .env("QB_OUTPUT", "json")
        .env("QB_APP_ID", "12345")
        .env("QB_AUTH_KEY", "AbCdEfGh-12345")
        .env("QB_AUTH_SECRET", "s3cr3t-Key_XYZ")
        .env("QB_EMAIL", "alice@example.com")
        .env("QB_PASSWORD", "secret")
        .env("QB_BODY", "form")
        .env("QB_ENDPOINT", "https://apiexample.quickblox.com/"));
    assert_code(&output, 0);
    let value = json(&output);
    assert_eq!(
        value["signature"],
        "d0ba905bba1b7131e9a44781d838e98d81f249f0"
    );
    assert_eq!(
        value["url"],
        "https://apiexample.quickblox.com/session.json"
    );
    assert!(
        value["body"]
            .as_str()
            .unwrap()
            .contains("user[email]=alice%40example.com")
    );
}

#[test]
fn a_text_dry_run_shows_the_request_and_masks_the_string_to_sign() {
    let output = run(qb_auth()
        .args(["session", "create", "--dry-run"])
        .args(["--app-id", "12345", "--auth-key", "AbCdEfGh-12345"])
        .args(["--nonce", "4242", "--timestamp", "1700000000"])
        .args(["--login", "alice"])
        .env("QB_PASSWORD", "p@ss word&1=2")
        .env("QB_AUTH_SECRET", "s3cr3t-Key_XYZ"));
    assert_code(&output, 0);
    let text = common::stdout(&output);
    assert!(
        text.starts_with("POST https://api.quickblox.com/session.json\n"),
        "{text}"
    );
    assert!(text.contains("content-type: application/json\n"), "{text}");
    assert!(
        text.contains(
            "  application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000\
             &user[login]=alice&user[password]=***\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("signature (hmac-sha1): 56a1c07a5dfb9dbe0948aa93c2b79a01eb33a177\n"),
        "{text}"
    );
    assert!(text.contains("nothing was sent"), "{text}");
    assert!(!text.contains("s3cr3t-Key_XYZ"), "{text}");
}

#[test]
fn fresh_values_are_used_without_nonce_and_timestamp() {
    let create = || {
        run(qb_auth()
            .args(["session", "create", "--dry-run", "--output", "json"])
            .args(["--app-id", "1", "--auth-key", "k"])
            .env("QB_AUTH_SECRET", "s"))
    };
    let (a, b) = (create(), create());
    assert_code(&a, 0);
    assert_code(&b, 0);
    let (a, b) = (json(&a), json(&b));
    assert_ne!(
        a["string_to_sign"], b["string_to_sign"],
        "nonces must differ"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sts = a["string_to_sign"].as_str().unwrap();
    let ts: u64 = sts.rsplit_once("timestamp=").unwrap().1.parse().unwrap();
    assert!(
        ts.abs_diff(now) < 60,
        "timestamp {ts} is not the clock ({now})"
    );
}

/// The parameters whose values are secret.
const SECRET_KEYS: [&str; 4] = [
    "user[password]",
    "keys[token]",
    "keys[secret]",
    "firebase_phone[access_token]",
];

/// The secret values of a vector: what `--show-secrets` alone may print.
fn secret_values(params: &BTreeMap<String, String>) -> Vec<&str> {
    SECRET_KEYS
        .iter()
        .filter_map(|key| params.get(*key).map(String::as_str))
        .collect()
}

#[test]
fn without_show_secrets_a_dry_run_masks_every_secret_in_text_and_json() {
    let mut masked = 0;
    for vector in vectors() {
        let Some(identity) = identity_flags(&vector.params) else {
            continue;
        };
        let secrets = secret_values(&vector.params);
        for body in ["json", "form"] {
            for output in ["json", "text"] {
                let run = run(qb_auth()
                    .args(["session", "create", "--dry-run", "--output", output])
                    .args(["--app-id", &vector.params["application_id"]])
                    .args(["--auth-key", &vector.params["auth_key"]])
                    .args(["--nonce", &vector.params["nonce"]])
                    .args(["--timestamp", &vector.params["timestamp"]])
                    .args(["--body", body])
                    .args(&identity)
                    .env("QB_AUTH_SECRET", &vector.secret));
                assert_code(&run, 0);
                let what = format!("{} ({body}, {output})", vector.name);
                let printed = common::stdout(&run);
                for secret in &secrets {
                    // As a value: in the string to sign, in a form body
                    // (percent-encoded) and in a JSON body (a literal).
                    let encoded: String =
                        form_urlencoded::byte_serialize(secret.as_bytes()).collect();
                    let literal = serde_json::to_string(secret).unwrap();
                    let escaped = serde_json::to_string(&literal).unwrap();
                    for shown in [
                        format!("={secret}"),
                        format!("={encoded}"),
                        format!("={}", encoded.replace('+', "%20")),
                        literal.clone(),
                        escaped[1..escaped.len() - 1].to_owned(),
                    ] {
                        assert!(!printed.contains(&shown), "{what}: {shown} in {printed}");
                    }
                }
                if output == "json" {
                    let value = json(&run);
                    // The signature is the real one, over the real values.
                    assert_eq!(value["signature"], vector.signature, "{what}");
                    let sts = value["string_to_sign"].as_str().unwrap();
                    let stars = sts.matches("=***").count();
                    assert_eq!(stars, secrets.len(), "{what}: {sts}");
                    let sent = value["body"].as_str().unwrap();
                    let shown = match body {
                        "json" => flatten_json(sent),
                        _ => decode_form(sent),
                    };
                    for (key, value) in &vector.params {
                        let expected = if SECRET_KEYS.contains(&key.as_str()) {
                            "***"
                        } else {
                            value.as_str()
                        };
                        assert_eq!(shown[key], expected, "{what}: {key}");
                    }
                }
                masked += secrets.len();
            }
        }
    }
    assert!(masked >= 20, "only {masked} secrets were checked");
}

#[test]
fn show_secrets_goes_only_with_a_dry_run() {
    let output = run(qb_auth()
        .args(["session", "create", "--show-secrets"])
        .args(["--app-id", "1", "--auth-key", "k"])
        .env("QB_AUTH_SECRET", "s"));
    assert_code(&output, 2);
    assert!(stderr(&output).contains("--dry-run"), "{}", stderr(&output));
}
