//! The demo fixtures: one application, two users and one token per provider,
//! all fictional. The demo, the end-to-end tests and users' own tests can
//! rely on these values.
//!
//! | what | value |
//! | --- | --- |
//! | application id | `12345` ([`APP_ID`]) |
//! | auth key | `AbCdEfGh-12345` ([`AUTH_KEY`]) |
//! | auth secret | `s3cr3t-Key_XYZ` ([`AUTH_SECRET`]) |
//! | API key | `demo-api-key` ([`API_KEY`]) |
//! | account key | `demo-account-key` ([`ACCOUNT_KEY`]) |
//! | user 1001 | login `alice`, password `p@ss word&1=2`, email `alice@example.com` |
//! | user 1002 | login `bob`, password `bob-secret-1`, email `bob@example.com` |
//! | Facebook token | `EAAGm0PX4ZCps` → user 1001 |
//! | Twitter token / secret | `tok123` / `sec456` → user 1002 |
//! | Firebase project / access token | `my-proj` / `eyJhb.x.y` → user 1002 |
//!
//! The application, alice's login and the provider tokens are those of the
//! worked examples in the protocol notes, so the known-answer vectors
//! `app_session`, `login_password_reserved_chars`, `social_token_and_secret`,
//! `facebook_with_scope` and `firebase_phone` are accepted as they are (with
//! the clock offset set so that their timestamp, 1700000000, is now). The
//! `email_password` vector uses another password than alice's.

use crate::builder::{Emulator, EmulatorBuilder};
use crate::config::{AppConfig, UserConfig};

/// The demo application's id.
pub const APP_ID: u64 = 12345;
/// The demo application's authorization key.
pub const AUTH_KEY: &str = "AbCdEfGh-12345";
/// The demo application's authorization secret (fictional).
pub const AUTH_SECRET: &str = "s3cr3t-Key_XYZ";
/// The demo application's API key, for `Authorization: ApiKey`.
pub const API_KEY: &str = "demo-api-key";
/// The demo account key, for `GET /account_settings.json`.
pub const ACCOUNT_KEY: &str = "demo-account-key";

/// Alice's user id.
pub const ALICE_ID: u64 = 1001;
/// Alice's login.
pub const ALICE_LOGIN: &str = "alice";
/// Alice's password: reserved characters on purpose, to catch encoding bugs.
pub const ALICE_PASSWORD: &str = "p@ss word&1=2";
/// Alice's email.
pub const ALICE_EMAIL: &str = "alice@example.com";

/// Bob's user id.
pub const BOB_ID: u64 = 1002;
/// Bob's login.
pub const BOB_LOGIN: &str = "bob";
/// Bob's password.
pub const BOB_PASSWORD: &str = "bob-secret-1";
/// Bob's email.
pub const BOB_EMAIL: &str = "bob@example.com";

/// The accepted Facebook access token (alice).
pub const FACEBOOK_TOKEN: &str = "EAAGm0PX4ZCps";
/// The accepted Twitter token (bob).
pub const TWITTER_TOKEN: &str = "tok123";
/// The accepted Twitter secret (bob).
pub const TWITTER_SECRET: &str = "sec456";
/// The accepted Firebase project id (bob).
pub const FIREBASE_PROJECT_ID: &str = "my-proj";
/// The accepted Firebase access token (bob).
pub const FIREBASE_ACCESS_TOKEN: &str = "eyJhb.x.y";

/// The demo application: [`APP_ID`], [`AUTH_KEY`], [`AUTH_SECRET`], with
/// [`API_KEY`] and [`ACCOUNT_KEY`].
pub fn app() -> AppConfig {
    AppConfig::new(APP_ID, AUTH_KEY, AUTH_SECRET)
        .api_key(API_KEY)
        .account_key(ACCOUNT_KEY)
}

/// Adds the demo users, alice and bob, and the provider tokens that log them
/// in, without the demo application (for a builder that has its own).
///
/// ```
/// use qb_auth_emulator::{fixtures, AppConfig, Emulator};
///
/// let builder = Emulator::builder().app(AppConfig::new(7, "my-key", "my-secret"));
/// let emulator = fixtures::add_users(builder).start_blocking()?;
/// assert_eq!(emulator.stats().sessions_created, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn add_users(builder: EmulatorBuilder) -> EmulatorBuilder {
    builder
        .user(
            UserConfig::new(ALICE_ID, ALICE_LOGIN, ALICE_PASSWORD)
                .email(ALICE_EMAIL)
                .full_name("Alice Example"),
        )
        .user(
            UserConfig::new(BOB_ID, BOB_LOGIN, BOB_PASSWORD)
                .email(BOB_EMAIL)
                .full_name("Bob Example"),
        )
        .facebook_token(ALICE_ID, FACEBOOK_TOKEN)
        .twitter_token(BOB_ID, TWITTER_TOKEN, TWITTER_SECRET)
        .firebase_token(BOB_ID, FIREBASE_PROJECT_ID, FIREBASE_ACCESS_TOKEN)
}

impl Emulator {
    /// A builder preloaded with the [demo fixtures](crate::fixtures): the
    /// [application](app) and the [users and tokens](add_users). Add more
    /// applications, users or knobs as needed.
    ///
    /// ```
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// assert_eq!(emulator.stats().requests, 0);
    /// assert_eq!(fixtures::APP_ID, 12345);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_demo_fixtures() -> EmulatorBuilder {
        add_users(Self::builder().app(app()))
    }
}
