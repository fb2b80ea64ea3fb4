//! Where the flags and the configuration file meet: the emulator they
//! describe.
//!
//! - Knobs: a flag (or its `QB_*` variable) beats the file, which beats the
//!   emulator's default.
//! - Applications: the demo application (with `--demo-fixtures`) and the
//!   file's, plus the one the application flags describe. With `--app-id`
//!   naming one of those, the flags given replace its fields (so a committed
//!   file can leave the secret to `QB_AUTH_SECRET`); without `--app-id`,
//!   they apply to the only one. Values that only came from `QB_*` variables
//!   and name no application are standing settings for other commands, and
//!   are ignored rather than refused.
//! - Users: the demo users (with `--demo-fixtures`), the file's, then the
//!   `--user` ones, each without an id getting the next free one. Provider
//!   tokens name their user by login.
//! - `--fail-next` replaces the file's `fail_next`.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use qb_auth_core::{ExposeSecret, SecretString};
use qb_auth_emulator::{AppConfig, Emulator, EmulatorBuilder, Fault, UserConfig, fixtures};

use super::EmulatorArgs;
use super::config_file::{AppEntry, ConfigFile, ConfigFileError, UserEntry};
use super::specs::{ProviderToken, TokenSpec, parse_fault};
use crate::secrets::{Needed, SecretError, read_file};

/// What `qb-auth emulator` starts: the builder, and the faults queued for
/// the first requests.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) builder: EmulatorBuilder,
    pub(crate) fail_next: Vec<(Fault, usize)>,
    /// Whether the control API will be served: on loopback, or with a token.
    pub(crate) control_open: bool,
}

/// Why the flags and the file describe no emulator. No secret in any message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WorldError {
    #[error(transparent)]
    File(#[from] ConfigFileError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(
        "no application: give --app-id, --auth-key and --auth-secret (or QB_AUTH_SECRET or \
         --auth-secret-file), or a --config file with [[apps]], or --demo-fixtures"
    )]
    NoApplication,
    #[error("application {id} has no {missing}")]
    Incomplete { id: u64, missing: &'static str },
    #[error(
        "the application flags need --app-id: there are {0} applications (the file's and the \
         demo's), so which one they change is not clear"
    )]
    WhichApplication(usize),
    #[error(
        "application {0} in the configuration file has both auth_secret and auth_secret_file: keep one"
    )]
    TwoSecrets(u64),
    #[error("{flag} names the user {login:?}, who is not configured")]
    UnknownLogin { flag: &'static str, login: String },
    #[error("fail_next in the configuration file: {0}")]
    FailNext(String),
}

/// An application as the file and the flags build it up.
#[derive(Debug)]
struct Draft {
    id: u64,
    auth_key: Option<String>,
    auth_secret: Option<SecretString>,
    api_key: Option<SecretString>,
    account_key: Option<SecretString>,
    accept_sha256: bool,
}

impl World {
    /// Reads the file (if any) and merges the flags over it.
    pub(crate) fn from_args(args: &EmulatorArgs) -> Result<Self, WorldError> {
        let file = match &args.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let dir = args
            .config
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_owned)
            .unwrap_or_default();
        let demo = args.app.demo_fixtures || file.demo_fixtures;
        let mut builder = Emulator::builder();
        if demo {
            builder = fixtures::add_users(builder);
        }
        let drafts = applications(args, demo, &file.apps, &dir)?;
        if drafts.is_empty() {
            return Err(WorldError::NoApplication);
        }
        for draft in drafts {
            builder = builder.app(draft.finish()?);
        }
        builder = users(args, file.users, demo, builder)?;
        let knobs = &args.knobs;
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let control_token = args
            .control_token
            .clone()
            .or(file.control_token.map(|s| s.0));
        let control_open = control_token.is_some() || listen.ip().is_loopback();
        builder = builder
            .listen(listen)
            .allow_non_loopback(args.allow_non_loopback)
            .rate_limit(knobs.rate_limit.or(file.rate_limit));
        if let Some(ttl) = knobs.session_ttl.or(file.session_ttl.map(|d| d.0)) {
            builder = builder.session_ttl(ttl);
        }
        if let Some(offset) = knobs.clock_offset.or(file.clock_offset) {
            builder = builder.clock_offset(offset);
        }
        if let Some(max) = knobs.max_sessions.or(file.max_sessions) {
            builder = builder.max_sessions(max);
        }
        if let Some(max) = knobs.max_nonces.or(file.max_nonces) {
            builder = builder.max_nonces(max);
        }
        if let Some(max) = knobs.max_connections.or(file.max_connections) {
            builder = builder.max_connections(max);
        }
        if let Some(bytes) = knobs.body_limit.or(file.body_limit) {
            builder = builder.body_limit(bytes);
        }
        if let Some(count) = knobs.recent_requests.or(file.recent_requests) {
            builder = builder.recent_requests(count);
        }
        if let Some(token) = control_token {
            builder = builder.control_token(token.expose_secret());
        }

        let (faults, from_file) = (&args.faults, &file.faults);
        if let Some(latency) = faults.latency.or(from_file.latency.map(|d| d.0)) {
            builder = builder.latency(latency);
        }
        if let Some(seed) = faults.seed.or(from_file.seed) {
            builder = builder.seed(seed);
        }
        let share = |flag: Option<f64>, file: Option<f64>| flag.or(file).unwrap_or(0.0);
        builder = builder
            .error_shares(
                share(faults.error_500_share, from_file.error_500_share),
                share(faults.error_503_share, from_file.error_503_share),
            )
            .drop_share(share(faults.drop_share, from_file.drop_share))
            .throttle_share(
                share(faults.throttle_share, from_file.throttle_share),
                faults.retry_after.or(from_file.retry_after).unwrap_or(1),
            );
        let fail_next = if faults.fail_next.is_empty() {
            from_file
                .fail_next
                .iter()
                .map(|spec| parse_fault(spec).map_err(WorldError::FailNext))
                .collect::<Result<_, _>>()?
        } else {
            faults.fail_next.clone()
        };
        Ok(Self {
            builder,
            fail_next,
            control_open,
        })
    }
}

/// The file's applications with the application flags merged in.
fn applications(
    args: &EmulatorArgs,
    demo: bool,
    entries: &[AppEntry],
    dir: &Path,
) -> Result<Vec<Draft>, WorldError> {
    let mut drafts = demo.then(Draft::demo).into_iter().collect::<Vec<_>>();
    for entry in entries {
        drafts.push(Draft::from_file(entry, dir)?);
    }
    let flags = &args.app;
    let secret = match (&flags.auth_secret, &flags.auth_secret_file) {
        (Some(_), Some(_)) => return Err(SecretError::Ambiguous(Needed::AUTH_SECRET).into()),
        (Some(secret), None) => Some(secret.clone()),
        (None, Some(path)) => Some(read_file(path, "auth secret")?),
        (None, None) => None,
    };
    let any = flags.app_id.is_some()
        || flags.auth_key.is_some()
        || secret.is_some()
        || flags.api_key.is_some()
        || flags.account_key.is_some()
        || flags.accept_sha256;
    if !any {
        return Ok(drafts);
    }
    let at = match flags.app_id {
        Some(id) => match drafts.iter().position(|d| d.id == id) {
            Some(at) => at,
            None => {
                drafts.push(Draft::new(id));
                drafts.len() - 1
            }
        },
        None if drafts.len() == 1 => 0,
        None if !flags.typed => return Ok(drafts),
        None if drafts.is_empty() => return Err(WorldError::NoApplication),
        None => return Err(WorldError::WhichApplication(drafts.len())),
    };
    let draft = &mut drafts[at];
    if let Some(key) = &flags.auth_key {
        draft.auth_key = Some(key.clone());
    }
    if secret.is_some() {
        draft.auth_secret = secret;
    }
    if let Some(key) = &flags.api_key {
        draft.api_key = Some(key.clone());
    }
    if let Some(key) = &flags.account_key {
        draft.account_key = Some(key.clone());
    }
    draft.accept_sha256 |= flags.accept_sha256;
    Ok(drafts)
}

impl Draft {
    fn new(id: u64) -> Self {
        Self {
            id,
            auth_key: None,
            auth_secret: None,
            api_key: None,
            account_key: None,
            accept_sha256: false,
        }
    }

    /// The demo application, as `fixtures::app()` configures it.
    fn demo() -> Self {
        Self {
            id: fixtures::APP_ID,
            auth_key: Some(fixtures::AUTH_KEY.to_owned()),
            auth_secret: Some(fixtures::AUTH_SECRET.into()),
            api_key: Some(fixtures::API_KEY.into()),
            account_key: Some(fixtures::ACCOUNT_KEY.into()),
            accept_sha256: false,
        }
    }

    fn from_file(entry: &AppEntry, dir: &Path) -> Result<Self, WorldError> {
        let auth_secret = match (&entry.auth_secret, &entry.auth_secret_file) {
            (Some(_), Some(_)) => return Err(WorldError::TwoSecrets(entry.id)),
            (Some(secret), None) => Some(secret.0.clone()),
            (None, Some(path)) => Some(read_file(&resolve(dir, path), "auth secret")?),
            (None, None) => None,
        };
        Ok(Self {
            id: entry.id,
            auth_key: entry.auth_key.clone(),
            auth_secret,
            api_key: entry.api_key.as_ref().map(|s| s.0.clone()),
            account_key: entry.account_key.as_ref().map(|s| s.0.clone()),
            accept_sha256: entry.accept_sha256,
        })
    }

    fn finish(self) -> Result<AppConfig, WorldError> {
        let id = self.id;
        let auth_key = self.auth_key.ok_or(WorldError::Incomplete {
            id,
            missing: "auth key (--auth-key, or auth_key in the file)",
        })?;
        let secret = self.auth_secret.ok_or(WorldError::Incomplete {
            id,
            missing: "auth secret (--auth-secret, QB_AUTH_SECRET, --auth-secret-file, or \
                      auth_secret or auth_secret_file in the file)",
        })?;
        let mut app =
            AppConfig::new(id, auth_key, secret.expose_secret()).accept_sha256(self.accept_sha256);
        if let Some(key) = self.api_key {
            app = app.api_key(key.expose_secret());
        }
        if let Some(key) = self.account_key {
            app = app.account_key(key.expose_secret());
        }
        Ok(app)
    }
}

/// A path from the file, relative to the file's directory.
fn resolve(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        dir.join(path)
    }
}

/// The demo users (when asked for), the file's users and the flags'; then
/// the provider tokens, which name their user by login.
fn users(
    args: &EmulatorArgs,
    entries: Vec<UserEntry>,
    demo: bool,
    mut builder: EmulatorBuilder,
) -> Result<EmulatorBuilder, WorldError> {
    let mut ids: HashMap<String, u64> = HashMap::new();
    if demo {
        ids.insert(fixtures::ALICE_LOGIN.to_owned(), fixtures::ALICE_ID);
        ids.insert(fixtures::BOB_LOGIN.to_owned(), fixtures::BOB_ID);
    }
    let next = |ids: &HashMap<String, u64>| ids.values().max().map_or(1, |max| max + 1);
    for entry in entries {
        let id = entry.id.unwrap_or_else(|| next(&ids));
        let mut user = UserConfig::new(id, entry.login.clone(), entry.password.0.expose_secret());
        if let Some(email) = entry.email {
            user = user.email(email);
        }
        if let Some(name) = entry.full_name {
            user = user.full_name(name);
        }
        builder = builder.user(user);
        for token in entry.facebook_tokens {
            builder = builder.facebook_token(id, token.0.expose_secret());
        }
        for twitter in entry.twitter_tokens {
            builder = builder.twitter_token(
                id,
                twitter.token.0.expose_secret(),
                twitter.secret.0.expose_secret(),
            );
        }
        for firebase in entry.firebase_tokens {
            builder = builder.firebase_token(
                id,
                firebase.project_id,
                firebase.access_token.0.expose_secret(),
            );
        }
        ids.insert(entry.login, id);
    }
    for spec in &args.users.users {
        let id = next(&ids);
        let mut user = UserConfig::new(id, spec.login.clone(), spec.password.expose_secret());
        if let Some(email) = &spec.email {
            user = user.email(email.clone());
        }
        builder = builder.user(user);
        ids.insert(spec.login.clone(), id);
    }
    let flags = &args.users;
    for (flag, specs) in [
        ("--facebook-user", &flags.facebook),
        ("--twitter-user", &flags.twitter),
        ("--firebase-user", &flags.firebase),
    ] {
        for spec in specs {
            builder = provider_token(builder, flag, spec, &ids)?;
        }
    }
    Ok(builder)
}

fn provider_token(
    builder: EmulatorBuilder,
    flag: &'static str,
    spec: &TokenSpec,
    ids: &HashMap<String, u64>,
) -> Result<EmulatorBuilder, WorldError> {
    let id = *ids
        .get(&spec.login)
        .ok_or_else(|| WorldError::UnknownLogin {
            flag,
            login: spec.login.clone(),
        })?;
    Ok(match &spec.token {
        ProviderToken::Facebook(token) => builder.facebook_token(id, token.expose_secret()),
        ProviderToken::Twitter { token, secret } => {
            builder.twitter_token(id, token.expose_secret(), secret.expose_secret())
        }
        ProviderToken::Firebase {
            project_id,
            access_token,
        } => builder.firebase_token(id, project_id.clone(), access_token.expose_secret()),
    })
}
