//! Account settings, API keys with and without On-Behalf-Of, and the
//! sample protected resources.

mod common;

use common::{DEMO, create_session, send};
use qb_auth_emulator::{AppConfig, BlockingEmulator, Emulator, fixtures};

const UNAUTHORIZED: &str = r#"{"errors":["Unauthorized"]}"#;
const NEED_USER: &str = r#"{"errors":{"base":["Forbidden. Need user."]}}"#;

fn demo() -> BlockingEmulator {
    Emulator::with_demo_fixtures().start_blocking().unwrap()
}

#[test]
fn account_settings_point_back_at_the_emulator() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let reply = send(
        addr,
        "GET",
        "/account_settings.json",
        &[("QB-Account-Key", fixtures::ACCOUNT_KEY)],
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let expected = format!(
        r#"{{"api_endpoint":"{}","chat_endpoint":"127.0.0.1","turnserver_endpoint":"127.0.0.1"}}"#,
        emulator.base_url()
    );
    assert_eq!(reply.text(), expected);
    assert_eq!(
        emulator.base_url(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    assert!(
        reply.header("qb-token-expirationdate").is_none(),
        "no token involved"
    );

    send(
        addr,
        "GET",
        "/account_settings.json",
        &[("QB-Account-Key", "wrong")],
        b"",
    )
    .assert(401, UNAUTHORIZED);
    send(addr, "GET", "/account_settings.json", &[], b"")
        .assert(401, r#"{"errors":["Account key is required"]}"#);
    send(addr, "POST", "/account_settings.json", &[], b"")
        .assert(405, r#"{"errors":["Method Not Allowed"]}"#);
}

#[test]
fn an_api_key_reads_users_and_acts_for_a_user_on_behalf_of() {
    let emulator = demo();
    let addr = emulator.local_addr();
    let key = ("Authorization", "ApiKey demo-api-key");

    let reply = send(addr, "GET", "/users.json", &[key], b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let page = reply.json();
    assert_eq!(page["current_page"], 1);
    assert_eq!(page["per_page"], 10);
    assert_eq!(page["total_entries"], 2);
    assert_eq!(page["items"][0]["user"]["id"], fixtures::ALICE_ID);
    assert_eq!(page["items"][1]["user"]["login"], fixtures::BOB_LOGIN);
    assert!(!reply.text().contains("password") && !reply.text().contains("bob-secret"));
    assert!(
        reply.header("qb-token-expirationdate").is_none(),
        "an API key has no expiry"
    );

    // Without On-Behalf-Of the key is not a user; with it, it is.
    send(addr, "GET", "/chat/Dialog.json", &[key], b"").assert(422, NEED_USER);
    let bob = ("On-Behalf-Of", "1002");
    send(addr, "GET", "/chat/Dialog.json", &[key, bob], b"").assert(
        200,
        r#"{"total_entries":0,"skip":0,"limit":100,"items":[]}"#,
    );
    // A user acting through the key shows as having made a request.
    let page = send(addr, "GET", "/users.json", &[key], b"").json();
    assert!(page["items"][1]["user"]["last_request_at"].is_string());
    assert!(page["items"][0]["user"]["last_request_at"].is_null());

    send(
        addr,
        "GET",
        "/chat/Dialog.json",
        &[key, ("On-Behalf-Of", "4242")],
        b"",
    )
    .assert(
        422,
        r#"{"errors":{"base":["On-Behalf-Of must be the id of an existing user"]}}"#,
    );
    send(
        addr,
        "GET",
        "/users.json",
        &[("Authorization", "ApiKey wrong-key")],
        b"",
    )
    .assert(401, UNAUTHORIZED);
    send(
        addr,
        "GET",
        "/users.json",
        &[("Authorization", "Bearer demo-api-key")],
        b"",
    )
    .assert(401, UNAUTHORIZED);
    let token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    send(
        addr,
        "GET",
        "/users.json",
        &[key, ("QB-Token", &token)],
        b"",
    )
    .assert(
        400,
        r#"{"errors":{"base":["Use either QB-Token or Authorization, not both"]}}"#,
    );

    let stats = emulator.stats();
    assert_eq!(stats.api_key_requests, 4);
    assert_eq!(stats.credential_failures, 2);
}

#[test]
fn users_are_readable_with_app_and_user_tokens_and_paged() {
    let mut builder = Emulator::with_demo_fixtures();
    for id in 1..=23 {
        builder = builder.user(qb_auth_emulator::UserConfig::new(
            id,
            format!("user{id}"),
            "pw",
        ));
    }
    let emulator = builder.start_blocking().unwrap();
    let addr = emulator.local_addr();
    let app_token = create_session(addr, DEMO, emulator.server_time(), &[]).token();
    let user_token = create_session(
        addr,
        DEMO,
        emulator.server_time(),
        &[("user[login]", "bob"), ("user[password]", "bob-secret-1")],
    )
    .token();
    for token in [&app_token, &user_token] {
        let reply = send(
            addr,
            "GET",
            "/users.json?page=3&per_page=10",
            &[("QB-Token", token)],
            b"",
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        let page = reply.json();
        assert_eq!(page["total_entries"], 25);
        assert_eq!(page["current_page"], 3);
        let ids: Vec<u64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["user"]["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, [21, 22, 23, 1001, 1002]);
        assert!(reply.header("qb-token-expirationdate").is_some());
    }
    let big = send(
        addr,
        "GET",
        "/users.json?per_page=1000",
        &[("QB-Token", &app_token)],
        b"",
    )
    .json();
    assert_eq!(big["per_page"], 100);
    assert_eq!(big["items"].as_array().unwrap().len(), 25);
}

#[test]
fn several_applications_each_with_their_own_keys() {
    let emulator = Emulator::with_demo_fixtures()
        .app(
            AppConfig::new(2, "second-key", "second-secret")
                .api_key("second-api")
                .account_key("second-account"),
        )
        .start_blocking()
        .unwrap();
    let addr = emulator.local_addr();
    let second = common::App {
        id: 2,
        key: "second-key",
        secret: "second-secret",
    };
    let reply = create_session(addr, second, emulator.server_time(), &[]);
    assert_eq!(reply.json()["session"]["application_id"], 2);
    // One application's secret does not sign for another.
    let mixed = common::App {
        secret: DEMO.secret,
        ..second
    };
    create_session(addr, mixed, emulator.server_time(), &[])
        .assert(422, r#"{"errors":{"base":["Unexpected signature"]}}"#);
    assert_eq!(
        send(
            addr,
            "GET",
            "/users.json",
            &[("Authorization", "ApiKey second-api")],
            b""
        )
        .status,
        200
    );
    assert_eq!(
        send(
            addr,
            "GET",
            "/account_settings.json",
            &[("QB-Account-Key", "second-account")],
            b""
        )
        .status,
        200
    );
}
