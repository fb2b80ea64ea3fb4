//! The arguments of `qb-auth emulator`: every knob of the emulator's
//! builder as a flag (each also a `QB_*` variable), and `--config FILE`
//! for the same in TOML (see `config_file`). A flag, or its variable,
//! beats the file.
//!
//! What is built from them is in `world`: one place where the flags and
//! the file meet.

mod config_file;
mod specs;
mod world;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use qb_auth_core::SecretString;
use qb_auth_emulator::Fault;

use self::specs::{Hidden, TokenSpec, UserSpec, parse_duration, parse_fault, parse_share};
pub(crate) use self::world::World;

/// `qb-auth emulator`.
#[derive(Debug, Clone, Args)]
pub(crate) struct EmulatorArgs {
    /// A TOML file with the emulator's applications, users, tokens and knobs
    /// (the keys are these flags' names in snake_case; see the guide). Flags beat it.
    #[arg(long, env = "QB_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Address to listen on (127.0.0.1:0 when neither this nor the file says: a free port).
    /// Loopback only, unless --allow-non-loopback.
    #[arg(
        long,
        env = "QB_LISTEN",
        value_name = "ADDR",
        help_heading = "Listening"
    )]
    pub(crate) listen: Option<SocketAddr>,

    /// Allow an address other than loopback. The emulator accepts test credentials, and its
    /// control API is then off unless --control-token is set: expose it only on purpose.
    #[arg(long, help_heading = "Listening")]
    pub(crate) allow_non_loopback: bool,

    #[command(flatten)]
    pub(crate) app: AppFlags,

    #[command(flatten)]
    pub(crate) users: UserFlags,

    #[command(flatten)]
    pub(crate) knobs: KnobFlags,

    #[command(flatten)]
    pub(crate) faults: FaultFlags,

    /// Require `Authorization: Bearer TOKEN` (or ?token=TOKEN on the page) for the control
    /// API under /_emulator/. Without it, that API is open on loopback and off elsewhere.
    #[arg(long, env = "QB_CONTROL_TOKEN", value_name = "TOKEN", hide_env_values = true,
          value_parser = Hidden(specs::parse_secret), help_heading = "Control API")]
    pub(crate) control_token: Option<SecretString>,

    /// Set from the global -v: print one line per request on stderr.
    #[arg(skip)]
    pub(crate) verbose: bool,
}

/// The application the flags describe (added to the file's, or replacing
/// the fields of the file's application with the same id).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Application")]
pub(crate) struct AppFlags {
    /// Start from the demo fixtures: application 12345, users alice (1001) and bob (1002), and
    /// their provider tokens (see `qb-auth demo`). More can be added.
    #[arg(long, env = "QB_DEMO_FIXTURES")]
    pub(crate) demo_fixtures: bool,

    /// The application id clients sign with.
    #[arg(long, env = "QB_APP_ID", value_name = "ID")]
    pub(crate) app_id: Option<u64>,

    /// The application's authorization key.
    #[arg(long, env = "QB_AUTH_KEY", value_name = "KEY")]
    pub(crate) auth_key: Option<String>,

    /// The authorization secret; prefer QB_AUTH_SECRET or --auth-secret-file, which other
    /// users cannot read in the process list.
    #[arg(long, env = "QB_AUTH_SECRET", value_name = "SECRET", hide_env_values = true,
          value_parser = Hidden(specs::parse_secret))]
    pub(crate) auth_secret: Option<SecretString>,

    /// A file holding the authorization secret (one trailing line break is not part of it).
    #[arg(long, env = "QB_AUTH_SECRET_FILE", value_name = "PATH")]
    pub(crate) auth_secret_file: Option<PathBuf>,

    /// Accept `Authorization: ApiKey KEY` for the application.
    #[arg(long, env = "QB_API_KEY", value_name = "KEY", hide_env_values = true,
          value_parser = Hidden(specs::parse_secret))]
    pub(crate) api_key: Option<SecretString>,

    /// Answer GET /account_settings.json for this QB-Account-Key.
    #[arg(long, env = "QB_ACCOUNT_KEY", value_name = "KEY", hide_env_values = true,
          value_parser = Hidden(specs::parse_secret))]
    pub(crate) account_key: Option<SecretString>,

    /// Also accept HMAC-SHA256 signatures (QuickBlox documents SHA-1 only).
    #[arg(long, env = "QB_ACCEPT_SHA256")]
    pub(crate) accept_sha256: bool,

    /// Whether an application value was typed on the command line, not
    /// only found in a `QB_*` variable (see `world`).
    #[arg(skip)]
    pub(crate) typed: bool,
}

impl AppFlags {
    const IDS: [&'static str; 7] = [
        "app_id",
        "auth_key",
        "auth_secret",
        "auth_secret_file",
        "api_key",
        "account_key",
        "accept_sha256",
    ];

    /// Notes whether any application value came from the command line.
    pub(crate) fn note_sources(&mut self, matches: &clap::ArgMatches) {
        self.typed = Self::IDS
            .iter()
            .any(|id| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine));
    }
}

/// Users, and the provider tokens that log them in.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Users and provider tokens")]
pub(crate) struct UserFlags {
    /// A user, repeatable (QB_USER: comma-separated), with the next free id (1, 2, 3… after
    /// the file's). The password may contain ':' but not ','; a last ':'-part with '@' is the email.
    #[arg(long = "user", env = "QB_USER", value_name = "LOGIN:PASSWORD[:EMAIL]",
          value_delimiter = ',', hide_env_values = true, value_parser = Hidden(UserSpec::parse))]
    pub(crate) users: Vec<UserSpec>,

    /// Accept this Facebook access token as the user LOGIN's, repeatable.
    #[arg(long = "facebook-user", env = "QB_FACEBOOK_USER", value_name = "LOGIN:TOKEN",
          value_delimiter = ',', hide_env_values = true, value_parser = Hidden(TokenSpec::facebook))]
    pub(crate) facebook: Vec<TokenSpec>,

    /// Accept this Twitter token and secret as the user LOGIN's, repeatable.
    #[arg(long = "twitter-user", env = "QB_TWITTER_USER", value_name = "LOGIN:TOKEN:SECRET",
          value_delimiter = ',', hide_env_values = true, value_parser = Hidden(TokenSpec::twitter))]
    pub(crate) twitter: Vec<TokenSpec>,

    /// Accept this Firebase project and access token as the user LOGIN's, repeatable.
    #[arg(long = "firebase-user", env = "QB_FIREBASE_USER",
          value_name = "LOGIN:PROJECT_ID:ACCESS_TOKEN", value_delimiter = ',',
          hide_env_values = true, value_parser = Hidden(TokenSpec::firebase))]
    pub(crate) firebase: Vec<TokenSpec>,
}

/// Sessions, the clock and the caps.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sessions, clock and limits")]
pub(crate) struct KnobFlags {
    /// How long a session lives after its last use: 500ms, 30s, 2h, or seconds [default: 2h].
    #[arg(long, env = "QB_SESSION_TTL", value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) session_ttl: Option<Duration>,

    /// Seconds the emulator's clock runs ahead of (negative: behind) this machine's; at most
    /// 3153600000 (100 years) either way.
    #[arg(long, env = "QB_CLOCK_OFFSET", value_name = "SECS", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64)
              .range(-qb_auth_emulator::MAX_CLOCK_OFFSET_SECS..=qb_auth_emulator::MAX_CLOCK_OFFSET_SECS))]
    pub(crate) clock_offset: Option<i64>,

    /// Requests per second each application may make (429 beyond) [default: no limit].
    #[arg(long, env = "QB_RATE_LIMIT", value_name = "PER_SECOND",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) rate_limit: Option<u32>,

    /// Most sessions held at once; create-session answers 503 beyond [default: 250000].
    #[arg(long, env = "QB_MAX_SESSIONS", value_name = "N")]
    pub(crate) max_sessions: Option<usize>,

    /// Most used (timestamp, nonce) pairs held for the replay check [default: 1000000].
    #[arg(long, env = "QB_MAX_NONCES", value_name = "N")]
    pub(crate) max_nonces: Option<usize>,

    /// Most connections open at once; the slowest idle one is shed beyond [default: 1024].
    #[arg(long, env = "QB_MAX_CONNECTIONS", value_name = "N")]
    pub(crate) max_connections: Option<usize>,

    /// Largest request body in bytes; 413 beyond [default: 65536].
    #[arg(long, env = "QB_BODY_LIMIT", value_name = "BYTES")]
    pub(crate) body_limit: Option<usize>,

    /// How many recent requests /_emulator/requests and the page keep (0: none, at most 1000)
    /// [default: 100].
    #[arg(long, env = "QB_RECENT_REQUESTS", value_name = "N")]
    pub(crate) recent_requests: Option<usize>,
}

/// Injected faults: random shares drawn from a seeded generator, and a
/// queue for the first requests.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Faults")]
pub(crate) struct FaultFlags {
    /// Delay before every answer: 50ms, 1s.
    #[arg(long, env = "QB_LATENCY", value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) latency: Option<Duration>,

    /// Share of requests answered 500 (0 to 1).
    #[arg(long, env = "QB_ERROR_500_SHARE", value_name = "SHARE", value_parser = parse_share)]
    pub(crate) error_500_share: Option<f64>,

    /// Share of requests answered 503 (0 to 1).
    #[arg(long, env = "QB_ERROR_503_SHARE", value_name = "SHARE", value_parser = parse_share)]
    pub(crate) error_503_share: Option<f64>,

    /// Share of connections dropped before the answer (0 to 1).
    #[arg(long, env = "QB_DROP_SHARE", value_name = "SHARE", value_parser = parse_share)]
    pub(crate) drop_share: Option<f64>,

    /// Share of requests answered 429 with Retry-After (0 to 1; all shares add up to 1 at most).
    #[arg(long, env = "QB_THROTTLE_SHARE", value_name = "SHARE", value_parser = parse_share)]
    pub(crate) throttle_share: Option<f64>,

    /// The Retry-After of --throttle-share's 429s, in seconds [default: 1].
    #[arg(long, env = "QB_RETRY_AFTER", value_name = "SECS")]
    pub(crate) retry_after: Option<u64>,

    /// Seed of the generator that draws the shares: the same seed fails the same requests.
    #[arg(long, env = "QB_SEED", value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Faults for the first requests, in order, repeatable: 500, 503, drop, 429 or 429:SECS,
    /// then xCOUNT for more than one (503x2).
    #[arg(long = "fail-next", env = "QB_FAIL_NEXT", value_name = "FAULT[xCOUNT]",
          value_delimiter = ',', value_parser = parse_fault)]
    pub(crate) fail_next: Vec<(Fault, usize)>,
}
