//! The emulator with its demo fixtures, and the identities and requests
//! the tests use.

use qb_auth_core::{AppCredentials, Body, Endpoint, Identity, SecretString};
use qb_auth_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, fixtures};

/// Starts an emulator with the demo fixtures on the current runtime.
pub async fn emulator() -> EmulatorHandle {
    start(Emulator::with_demo_fixtures()).await
}

/// Starts an emulator from `builder` on the current runtime.
pub async fn start(builder: EmulatorBuilder) -> EmulatorHandle {
    builder
        .start()
        .await
        .expect("the emulator starts on loopback")
}

/// The emulator's base URL as an endpoint.
pub fn endpoint(emulator: &EmulatorHandle) -> Endpoint {
    Endpoint::parse(emulator.base_url()).expect("the emulator's URL is an endpoint")
}

/// The demo application's credentials.
pub fn app() -> AppCredentials {
    AppCredentials::new(
        fixtures::APP_ID,
        fixtures::AUTH_KEY,
        SecretString::from(fixtures::AUTH_SECRET),
    )
    .expect("the demo application's credentials are valid")
}

/// Alice by login and password.
pub fn alice() -> Identity {
    Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD).expect("alice")
}

/// Every user identity the emulator accepts, with the user it stands for:
/// login, email, Facebook, Twitter, Firebase phone and a custom identity
/// provider (QuickBlox takes its user id and token as login and password).
pub fn user_identities() -> Vec<(&'static str, Identity, u64)> {
    use fixtures::*;
    vec![
        ("login", alice(), ALICE_ID),
        (
            "email",
            Identity::email(BOB_EMAIL, BOB_PASSWORD).expect("email"),
            BOB_ID,
        ),
        (
            "facebook",
            Identity::facebook(FACEBOOK_TOKEN).expect("facebook"),
            ALICE_ID,
        ),
        (
            "twitter",
            Identity::twitter(TWITTER_TOKEN, TWITTER_SECRET).expect("twitter"),
            BOB_ID,
        ),
        (
            "firebase_phone",
            Identity::firebase_phone(FIREBASE_PROJECT_ID, FIREBASE_ACCESS_TOKEN).expect("firebase"),
            BOB_ID,
        ),
        (
            "custom_provider",
            Identity::custom_provider(BOB_LOGIN, BOB_PASSWORD).expect("custom provider"),
            BOB_ID,
        ),
    ]
}

/// `GET /users.json`: readable with any session.
pub fn users(endpoint: &Endpoint) -> http::Request<Body> {
    get(endpoint, "users.json")
}

/// `GET /chat/Dialog.json`: needs a user.
pub fn dialogs(endpoint: &Endpoint) -> http::Request<Body> {
    get(endpoint, "chat/Dialog.json")
}

fn get(endpoint: &Endpoint, path: &str) -> http::Request<Body> {
    http::Request::get(endpoint.url(path))
        .header(http::header::ACCEPT, "application/json")
        .body(Body::empty())
        .expect("a GET request")
}
