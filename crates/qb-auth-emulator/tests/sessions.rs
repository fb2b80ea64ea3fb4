//! Sessions over raw HTTP: creation, the exact answers, replay, timestamps,
//! credentials, expiry, login and logout, destroy.

mod common;

use std::thread::sleep;
use std::time::{Duration, SystemTime};

use common::{
    DEMO, FORM, JSON, create_session, form_body, fresh_nonce, hmac_sha1_hex, send, signed_pairs,
    string_to_sign, unix_now,
};
use qb_auth_core::time::{parse_expiration, parse_http_date};
use qb_auth_emulator::{AppConfig, BlockingEmulator, Emulator, fixtures};

const SIGNATURE: &str = r#"{"errors":{"base":["Unexpected signature"]}}"#;
const BAD_TIMESTAMP: &str = r#"{"errors":{"base":["Bad timestamp"]}}"#;
const NO_APP: &str = r#"{"errors":{"base":["No application found"]}}"#;
const UNAUTHORIZED: &str = r#"{"errors":["Unauthorized"]}"#;
const MISSING: &str = r#"{"errors":{"base":["Required session does not exist"]}}"#;
const TOKEN_REQUIRED: &str = r#"{"errors":["Token is required"]}"#;
const NEED_USER: &str = r#"{"errors":{"base":["Forbidden. Need user."]}}"#;
const REPLAY: &str = r#"{"errors":{"base":["Nonce has already been used"]}}"#;

fn demo() -> BlockingEmulator {
    Emulator::with_demo_fixtures().start_blocking().unwrap()
}

fn with_token(token: &str) -> [(&str, &str); 1] {
    [("QB-Token", token)]
}

#[test]
fn app_session_answer_is_quickblox_shaped() {
    let emulator = demo();
    let reply = create_session(emulator.local_addr(), DEMO, emulator.server_time(), &[]);
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );

    // Byte layout: the fields and their order as QuickBlox sends them.
    let text = reply.text();
    let session = &reply.json()["session"];
    let token = session["token"].as_str().unwrap();
    let id = session["id"].as_u64().unwrap();
    let created = session["created_at"].as_str().unwrap();
    let expected = format!(
        r#"{{"session":{{"application_id":12345,"created_at":"{created}","id":{id},"nonce":{},"token":"{token}","ts":{},"updated_at":"{created}","user_id":0,"_id":"{id}"}}}}"#,
        session["nonce"], session["ts"]
    );
    assert_eq!(text, expected);
    assert_eq!(token.len(), 40);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");

    // Date now, and the token expires two hours later.
    let date = parse_http_date(reply.header("date").unwrap()).unwrap();
    let now = SystemTime::now();
    assert!(date <= now + Duration::from_secs(2) && now <= date + Duration::from_secs(2));
    let expiry_text = reply.header("qb-token-expirationdate").unwrap();
    assert!(
        expiry_text.ends_with(" UTC") && expiry_text.len() == 23,
        "{expiry_text}"
    );
    let expiry = parse_expiration(expiry_text).unwrap();
    let ttl = expiry.duration_since(date).unwrap();
    assert!((7199..=7201).contains(&ttl.as_secs()), "{ttl:?}");

    // GET /session.json shows the same session.
    let got = send(
        emulator.local_addr(),
        "GET",
        "/session.json",
        &with_token(token),
        b"",
    );
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), reply.json());
    assert!(got.header("qb-token-expirationdate").is_some());
    assert_eq!(emulator.stats().sessions_created, 1);
    assert_eq!(emulator.stats().active_sessions, 1);
}

#[test]
fn json_bodies_with_numbers_and_user_objects_are_accepted() {
    let emulator = demo();
    let ts = unix_now(emulator.server_time());
    let nonce = fresh_nonce();
    let pairs = signed_pairs(
        DEMO,
        ts,
        nonce,
        &[
            ("user[login]", fixtures::ALICE_LOGIN),
            ("user[password]", fixtures::ALICE_PASSWORD),
        ],
    );
    let signature = &pairs.last().unwrap().1;
    let body = format!(
        r#"{{"application_id":12345,"auth_key":"AbCdEfGh-12345","nonce":{nonce},"timestamp":{ts},"signature":"{signature}","user":{{"login":"alice","password":"p@ss word&1=2"}}}}"#
    );
    let reply = send(
        emulator.local_addr(),
        "POST",
        "/session.json",
        &[JSON],
        body.as_bytes(),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["session"]["user_id"], fixtures::ALICE_ID);
    assert_eq!(reply.json()["session"]["nonce"], nonce);
}

#[test]
fn every_identity_of_the_demo_fixtures_gets_its_user() {
    let emulator = demo();
    let cases: [(&[(&str, &str)], u64); 6] = [
        (
            &[
                ("user[login]", "alice"),
                ("user[password]", "p@ss word&1=2"),
            ],
            fixtures::ALICE_ID,
        ),
        (
            &[
                ("user[email]", "BOB@example.com"),
                ("user[password]", "bob-secret-1"),
            ],
            fixtures::BOB_ID,
        ),
        (
            &[
                ("provider", "facebook"),
                ("keys[token]", fixtures::FACEBOOK_TOKEN),
            ],
            fixtures::ALICE_ID,
        ),
        (
            &[
                ("provider", "twitter"),
                ("keys[token]", "tok123"),
                ("keys[secret]", "sec456"),
            ],
            fixtures::BOB_ID,
        ),
        (
            &[
                ("provider", "firebase_phone"),
                ("firebase_phone[project_id]", "my-proj"),
                ("firebase_phone[access_token]", "eyJhb.x.y"),
            ],
            fixtures::BOB_ID,
        ),
        (&[], 0),
    ];
    for (extra, user) in cases {
        let reply = create_session(emulator.local_addr(), DEMO, emulator.server_time(), extra);
        assert_eq!(reply.status, 201, "{extra:?}: {}", reply.text());
        assert_eq!(reply.json()["session"]["user_id"], user, "{extra:?}");
    }
}

#[test]
fn wrong_credentials_are_401_unauthorized() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let now = emulator.server_time();
    for extra in [
        &[("user[login]", "alice"), ("user[password]", "wrong")][..],
        &[
            ("user[login]", "nobody"),
            ("user[password]", "p@ss word&1=2"),
        ],
        &[
            ("user[email]", "alice@example.com"),
            ("user[password]", "bob-secret-1"),
        ],
        &[("user[login]", "alice")],
        &[("provider", "facebook"), ("keys[token]", "stolen")],
        &[
            ("provider", "twitter"),
            ("keys[token]", "tok123"),
            ("keys[secret]", "nope"),
        ],
    ] {
        create_session(addr, DEMO, now, extra).assert(401, UNAUTHORIZED);
    }
    create_session(
        addr,
        DEMO,
        now,
        &[("provider", "myspace"), ("keys[token]", "x")],
    )
    .assert(422, r#"{"errors":{"base":["Unsupported provider"]}}"#);
    assert_eq!(emulator.stats().credential_failures, 6);
    assert_eq!(emulator.stats().sessions_created, 0);
}

#[test]
fn replayed_nonce_is_refused_for_the_same_app_only() {
    let other = AppConfig::new(777, "other-key", "other-secret");
    let emulator = Emulator::with_demo_fixtures()
        .app(other)
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    let ts = unix_now(emulator.server_time());
    let nonce = fresh_nonce();
    let body = form_body(&signed_pairs(DEMO, ts, nonce, &[]));
    assert_eq!(
        send(addr, "POST", "/session.json", &[FORM], &body).status,
        201
    );
    send(addr, "POST", "/session.json", &[FORM], &body).assert(422, REPLAY);
    // The same pair as a JSON body (and the nonce written differently) is still a replay.
    let mut pairs = signed_pairs(DEMO, ts, nonce, &[]);
    pairs[2].1 = format!("00{nonce}");
    let resigned = hmac_sha1_hex(DEMO.secret, &string_to_sign(&pairs[..4]));
    pairs[4].1 = resigned;
    send(
        addr,
        "POST",
        "/session.json",
        &[JSON],
        &common::json_body(&pairs),
    )
    .assert(422, REPLAY);
    // Another application may use the same pair.
    let other = common::App {
        id: 777,
        key: "other-key",
        secret: "other-secret",
    };
    let body = form_body(&signed_pairs(other, ts, nonce, &[]));
    assert_eq!(
        send(addr, "POST", "/session.json", &[FORM], &body).status,
        201
    );
    assert_eq!(emulator.stats().replays_rejected, 2);
}

#[test]
fn timestamps_more_than_an_hour_off_are_bad() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let now = unix_now(emulator.server_time());
    for (offset, status) in [(-3700, 422), (3700, 422), (-3500, 201), (3500, 201)] {
        let body = form_body(&signed_pairs(DEMO, now + offset, fresh_nonce(), &[]));
        let reply = send(addr, "POST", "/session.json", &[FORM], &body);
        assert_eq!(reply.status, status, "offset {offset}: {}", reply.text());
        if status == 422 {
            reply.assert(422, BAD_TIMESTAMP);
            // The Date header lets a client correct its clock.
            assert!(reply.header("date").is_some());
        }
    }
    // Not a number at all.
    let body = String::from_utf8(form_body(&signed_pairs(DEMO, now, fresh_nonce(), &[]))).unwrap();
    let text = body.replace(&format!("timestamp={now}"), "timestamp=soon");
    send(addr, "POST", "/session.json", &[FORM], text.as_bytes()).assert(422, BAD_TIMESTAMP);
    assert_eq!(emulator.stats().bad_timestamps, 3);
}

#[test]
fn unknown_apps_wrong_keys_and_missing_parameters() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let now = emulator.server_time();
    let wrong_id = common::App { id: 1, ..DEMO };
    create_session(addr, wrong_id, now, &[]).assert(422, NO_APP);
    let wrong_key = common::App {
        key: "nope",
        ..DEMO
    };
    create_session(addr, wrong_key, now, &[]).assert(422, NO_APP);
    let wrong_secret = common::App {
        secret: "nope",
        ..DEMO
    };
    create_session(addr, wrong_secret, now, &[]).assert(422, SIGNATURE);
    let pairs: Vec<_> = signed_pairs(DEMO, unix_now(now), fresh_nonce(), &[])
        .into_iter()
        .filter(|(k, _)| k != "signature")
        .collect();
    send(addr, "POST", "/session.json", &[FORM], &form_body(&pairs)).assert(
        400,
        r#"{"errors":{"base":["Missing parameter: signature"]}}"#,
    );
    assert_eq!(emulator.stats().unknown_applications, 2);
}

#[test]
fn sha256_signatures_only_where_enabled() {
    let sha256_app = AppConfig::new(999, "k256", "secret256").accept_sha256(true);
    let emulator = Emulator::with_demo_fixtures()
        .app(sha256_app)
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    let sign256 = |secret: &str, message: &str| {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(message.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let now = unix_now(emulator.server_time());
    for (app, expected) in [
        (DEMO, 422),
        (
            common::App {
                id: 999,
                key: "k256",
                secret: "secret256",
            },
            201,
        ),
    ] {
        let mut pairs = signed_pairs(app, now, fresh_nonce(), &[]);
        pairs.pop();
        let signature = sign256(app.secret, &string_to_sign(&pairs));
        assert_eq!(signature.len(), 64);
        pairs.push(("signature".into(), signature));
        let reply = send(addr, "POST", "/session.json", &[FORM], &form_body(&pairs));
        assert_eq!(reply.status, expected, "{}", reply.text());
    }
}

#[test]
fn sessions_expire_after_the_ttl_and_each_use_slides_it() {
    let emulator = Emulator::with_demo_fixtures()
        .session_ttl(Duration::from_millis(500))
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    let token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    // Used every 150 ms, it outlives its 500 ms time to live.
    for _ in 0..4 {
        sleep(Duration::from_millis(150));
        assert_eq!(
            send(addr, "GET", "/session.json", &with_token(&token), b"").status,
            200
        );
    }
    sleep(Duration::from_millis(700));
    let reply = send(addr, "GET", "/session.json", &with_token(&token), b"");
    reply.assert(401, MISSING);
    // The expired token's expiry is in the past.
    let expiry = parse_expiration(reply.header("qb-token-expirationdate").unwrap()).unwrap();
    assert!(expiry <= emulator.server_time());
    let stats = emulator.stats();
    assert_eq!(stats.expired_rejections, 1);
    assert_eq!(stats.active_sessions, 0);
}

#[test]
fn expire_all_sessions_and_ttl_changes_apply_at_once() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let old = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    emulator.expire_all_sessions();
    send(addr, "GET", "/session.json", &with_token(&old), b"").assert(401, MISSING);
    let new = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    assert_eq!(
        send(addr, "GET", "/session.json", &with_token(&new), b"").status,
        200
    );
    emulator.set_session_ttl(Duration::from_millis(100));
    sleep(Duration::from_millis(250));
    send(addr, "GET", "/session.json", &with_token(&new), b"").assert(401, MISSING);
    assert_eq!(emulator.stats().expired_rejections, 2);
}

#[test]
fn login_upgrades_and_logout_downgrades_the_same_token() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    let get_user = || {
        let reply = send(addr, "GET", "/session.json", &with_token(&token), b"");
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.json()["session"]["token"], token.as_str());
        reply.json()["session"]["user_id"].as_u64().unwrap()
    };
    assert_eq!(get_user(), 0);

    // Wrong password: 401, the session is unchanged.
    let bad = b"login=alice&password=wrong";
    send(
        addr,
        "POST",
        "/login.json",
        &[FORM, ("QB-Token", &token)],
        bad,
    )
    .assert(401, UNAUTHORIZED);
    assert_eq!(get_user(), 0);
    // Nested names are create-session's, not login's.
    let nested = b"user[login]=alice&user[password]=p%40ss%20word%261%3D2";
    send(
        addr,
        "POST",
        "/login.json",
        &[FORM, ("QB-Token", &token)],
        nested,
    )
    .assert(401, UNAUTHORIZED);

    let body = b"login=alice&password=p%40ss%20word%261%3D2";
    let reply = send(
        addr,
        "POST",
        "/login.json",
        &[FORM, ("QB-Token", &token)],
        body,
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    let user = &reply.json()["user"];
    assert_eq!(user["id"], fixtures::ALICE_ID);
    assert_eq!(user["login"], "alice");
    assert_eq!(user["email"], fixtures::ALICE_EMAIL);
    assert!(reply.header("qb-token-expirationdate").is_some());
    assert!(!reply.text().contains("p@ss"), "no password in the answer");
    assert_eq!(get_user(), fixtures::ALICE_ID);

    // A user token reads user-only resources; logging in again switches user.
    assert_eq!(
        send(addr, "GET", "/chat/Dialog.json", &with_token(&token), b"").status,
        200
    );
    let json = br#"{"provider":"firebase_phone","firebase_phone":{"project_id":"my-proj","access_token":"eyJhb.x.y"}}"#;
    let reply = send(
        addr,
        "POST",
        "/login.json",
        &[JSON, ("QB-Token", &token)],
        json,
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(get_user(), fixtures::BOB_ID);

    let reply = send(addr, "DELETE", "/login.json", &with_token(&token), b"");
    assert_eq!((reply.status, reply.text()), (200, ""));
    assert!(reply.header("qb-token-expirationdate").is_some());
    assert_eq!(get_user(), 0, "the same token, now an application session");
    send(addr, "DELETE", "/login.json", &with_token(&token), b"").assert(422, NEED_USER);
    let stats = emulator.stats();
    assert_eq!((stats.logins, stats.logouts), (2, 1));
}

#[test]
fn destroyed_sessions_are_gone() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    let reply = send(addr, "DELETE", "/session.json", &with_token(&token), b"");
    assert_eq!((reply.status, reply.text()), (200, ""));
    assert_eq!(reply.header("content-length"), Some("0"));
    for (method, path) in [
        ("GET", "/session.json"),
        ("DELETE", "/session.json"),
        ("GET", "/users.json"),
    ] {
        send(addr, method, path, &with_token(&token), b"").assert(401, MISSING);
    }
    let stats = emulator.stats();
    assert_eq!((stats.sessions_destroyed, stats.active_sessions), (1, 0));
    assert_eq!(stats.unknown_token_rejections, 3);
}

#[test]
fn token_is_required_and_unknown_tokens_are_missing_sessions() {
    let emulator = demo();
    let addr = emulator.local_addr();
    for (method, path) in [
        ("GET", "/session.json"),
        ("DELETE", "/session.json"),
        ("POST", "/login.json"),
        ("DELETE", "/login.json"),
        ("GET", "/users.json"),
        ("GET", "/chat/Dialog.json"),
    ] {
        send(addr, method, path, &[], b"").assert(401, TOKEN_REQUIRED);
        let reply = send(
            addr,
            method,
            path,
            &with_token("0123456789abcdef0123456789abcdef01234567"),
            b"",
        );
        reply.assert(401, MISSING);
        assert!(
            reply.header("qb-token-expirationdate").is_none(),
            "no expiry for a token never issued"
        );
    }
    // An API key is not a session: session calls still need a token.
    let api = [("Authorization", "ApiKey demo-api-key")];
    send(addr, "GET", "/session.json", &api, b"").assert(401, TOKEN_REQUIRED);
    assert_eq!(emulator.stats().missing_token_rejections, 7);
}

#[test]
fn an_application_token_is_not_a_user() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    let reply = send(addr, "GET", "/chat/Dialog.json", &with_token(&token), b"");
    reply.assert(422, NEED_USER);
    assert_eq!(reply.header("content-length"), Some("45"));
    assert!(reply.header("qb-token-expirationdate").is_some());
    assert_eq!(emulator.stats().need_user_rejections, 1);
}
