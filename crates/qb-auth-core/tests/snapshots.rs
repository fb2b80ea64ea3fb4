//! Snapshots of every request the core builds and of the `Debug` output of
//! every type that holds a secret. The inputs are fixed, so no redaction
//! filters are needed: a snapshot that showed a secret would fail review.

use qb_auth_core::{
    ApiKey, AppCredentials, BodyFormat, CreateSession, Endpoint, HttpRequest, Identity, Nonce,
    Operation, SecretString, SessionToken, SigningInput, account_settings, authorize,
    authorize_api_key, destroy_session, get_session, login, logout, parse_session,
};

const SECRET: &str = "s3cr3t-Key_XYZ";
const PASSWORD: &str = "p@ss word&1=2";
const TOKEN: &str = "c56f382b402fb482086db956064592d3cd012bba";

fn render(request: &HttpRequest) -> String {
    let mut headers: Vec<String> = request
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
        .collect();
    headers.sort();
    format!(
        "{} {}\n{}\n\n{}",
        request.method(),
        request.uri(),
        headers.join("\n"),
        String::from_utf8_lossy(request.body().as_bytes())
    )
}

fn identities() -> Vec<(&'static str, Identity)> {
    vec![
        ("application", Identity::application()),
        ("login", Identity::login("alice", PASSWORD).unwrap()),
        (
            "email",
            Identity::email("alice@example.com", PASSWORD).unwrap(),
        ),
        (
            "facebook",
            Identity::facebook("EAAGm0PX4ZCps")
                .unwrap()
                .with_scope("email")
                .unwrap(),
        ),
        ("twitter", Identity::twitter("tok123", "sec456").unwrap()),
        (
            "firebase_phone",
            Identity::firebase_phone("my-proj", "eyJhb.x.y").unwrap(),
        ),
        (
            "custom_provider",
            Identity::custom_provider("idp-user-7", "idp-token").unwrap(),
        ),
    ]
}

fn app() -> AppCredentials {
    AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from(SECRET)).unwrap()
}

fn input() -> SigningInput {
    SigningInput::new(1_700_000_000, Nonce::new(4242).unwrap())
}

#[test]
fn create_session_for_every_identity_in_both_formats() {
    let app = app();
    let endpoint = Endpoint::parse("https://apiexample.quickblox.com/").unwrap();
    for (name, identity) in identities() {
        for format in [BodyFormat::Json, BodyFormat::Form] {
            let signed = CreateSession::new(&app, &identity, input())
                .body_format(format)
                .build(&endpoint)
                .unwrap();
            let text = format!(
                "{}\n\nstring to sign (masked): {}\nsignature: {}",
                render(signed.request()),
                signed.masked_string_to_sign(),
                signed.signature()
            );
            insta::assert_snapshot!(format!("create_session_{name}_{}", format.as_str()), text);
        }
    }
}

#[test]
fn token_calls() {
    let endpoint = Endpoint::default();
    let token = SessionToken::new(TOKEN);
    insta::assert_snapshot!(
        "get_session",
        render(&get_session(&endpoint, &token).unwrap())
    );
    insta::assert_snapshot!(
        "destroy_session",
        render(&destroy_session(&endpoint, &token).unwrap())
    );
    insta::assert_snapshot!("logout", render(&logout(&endpoint, &token).unwrap()));
    insta::assert_snapshot!(
        "account_settings",
        render(&account_settings(&endpoint, "account-key-1").unwrap())
    );
    for (name, identity) in identities().into_iter().skip(1) {
        for format in [BodyFormat::Json, BodyFormat::Form] {
            let request = login(&endpoint, &token, &identity, format).unwrap();
            insta::assert_snapshot!(
                format!("login_{name}_{}", format.as_str()),
                render(&request)
            );
        }
    }
}

#[test]
fn authorizing_a_caller_built_request() {
    let mut request = http::Request::get("https://api.quickblox.com/users.json")
        .body(qb_auth_core::Body::empty())
        .unwrap();
    authorize(&mut request, &SessionToken::new(TOKEN)).unwrap();
    insta::assert_snapshot!("authorize_token", render(&request));
    authorize_api_key(&mut request, &ApiKey::new("api-key-123"), Some(42)).unwrap();
    insta::assert_snapshot!("authorize_api_key", render(&request));
}

#[test]
fn debug_output_shows_no_secret() {
    let app = app();
    let signed = CreateSession::new(&app, &Identity::login("alice", PASSWORD).unwrap(), input())
        .build(&Endpoint::default())
        .unwrap();
    let answer = http::Response::builder()
        .status(201)
        .header("QB-Token-ExpirationDate", "2023-11-14 22:13:20 UTC")
        .body(
            format!(
                r#"{{"session":{{"application_id":12345,"created_at":"2023-11-14T22:13:20Z","id":7,
                "nonce":4242,"token":"{TOKEN}","ts":1700000000,"updated_at":"2023-11-14T22:13:20+00:00",
                "user_id":42,"_id":"7"}}}}"#
            )
            .into_bytes(),
        )
        .unwrap();
    let session = parse_session(&answer, Operation::CreateUserSession).unwrap();
    // A malformed success answer that carries a token must not show it either.
    let malformed = http::Response::builder()
        .status(201)
        .body(format!(r#"{{"session":{{"token":"{TOKEN}","user_id":"x"}}}}"#).into_bytes())
        .unwrap();
    let error = parse_session(&malformed, Operation::CreateUserSession).unwrap_err();
    let mut token_request = get_session(&Endpoint::default(), &SessionToken::new(TOKEN)).unwrap();
    authorize_api_key(&mut token_request, &ApiKey::new("api-key-123"), None).unwrap();

    let mut dump = String::new();
    for (name, identity) in identities() {
        dump.push_str(&format!("{name}: {identity:?}\n"));
    }
    dump.push_str(&format!("app: {app:?}\n"));
    dump.push_str(&format!("signed: {signed:?}\n"));
    dump.push_str(&format!("session: {session:?}\n"));
    dump.push_str(&format!("malformed: {error:?}\n"));
    dump.push_str(&format!("malformed display: {error}\n"));
    dump.push_str(&format!("api-key request: {token_request:?}\n"));
    dump.push_str(&format!("token: {:?}\n", SessionToken::new(TOKEN)));

    for secret in [
        SECRET,
        PASSWORD,
        TOKEN,
        "api-key-123",
        "EAAGm0PX4ZCps",
        "tok123",
        "sec456",
        "eyJhb.x.y",
        "idp-token",
    ] {
        assert!(!dump.contains(secret), "{secret:?} leaked into:\n{dump}");
    }
    insta::assert_snapshot!("debug_redacted", dump);
}
