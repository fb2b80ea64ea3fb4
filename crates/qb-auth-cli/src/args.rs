//! The command line: every subcommand and flag, each flag also readable
//! from `QB_<FLAG_NAME>`. Secrets are `SecretString` from the moment clap
//! parses them, have no defaults, and never show their variable's value in
//! `--help`.

use std::path::PathBuf;

use clap::{ArgMatches, Args, Parser, Subcommand, ValueEnum};
use qb_auth_core::{BodyFormat, Endpoint, HashAlgorithm, SecretString};

use crate::exit;
use crate::identity_args::IdentityArgs;
use crate::output::OutputFormat;
use crate::secrets::parse_secret;

/// Create, inspect and debug QuickBlox REST API sessions.
///
/// Shows exactly what is signed and sent, explains what an error means and
/// what to do next, and runs a QuickBlox-compatible emulator on loopback.
#[derive(Debug, Parser)]
#[command(
    name = "qb-auth",
    version,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true,
    after_help = exit::HELP
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create, read or destroy a session.
    #[command(subcommand, after_help = exit::HELP)]
    Session(SessionCommand),
    /// Log a user into an existing session: the token becomes a user token.
    #[command(after_help = exit::HELP)]
    Login(LoginArgs),
    /// Log the user out: the token stays valid as an application token.
    #[command(after_help = exit::HELP)]
    Logout(TokenCallArgs),
    /// Ask which API and chat hosts an account uses.
    #[command(after_help = exit::HELP)]
    AccountSettings(AccountSettingsArgs),
    /// Run a QuickBlox-compatible authentication server on loopback.
    #[command(after_help = exit::HELP)]
    Emulator(qb_auth_emulator::cli::EmulatorArgs),
    /// Run every identity over both transports against an embedded emulator.
    #[command(after_help = exit::HELP)]
    Demo(DemoArgs),
}

impl Command {
    /// Tells the identity flags which of their values came from `QB_*`
    /// variables (see `identity_args`); `matches` are the whole command line's.
    pub(crate) fn note_sources(&mut self, matches: &ArgMatches) {
        let mut leaf = matches;
        while let Some((_, sub)) = leaf.subcommand() {
            leaf = sub;
        }
        match self {
            Self::Session(SessionCommand::Create(args)) => args.identity.note_sources(leaf),
            Self::Login(args) => args.identity.note_sources(leaf),
            _ => {}
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum SessionCommand {
    /// Create an application session, or a user session with an identity.
    ///
    /// With no identity flag the session is an application session; with
    /// --login, --email or --provider it is that user's. The token is printed
    /// (the only secret this command prints); --dry-run prints the exact
    /// request instead and sends nothing.
    #[command(after_help = exit::HELP)]
    Create(Box<CreateArgs>),
    /// Show the session a token belongs to (the token itself is not printed).
    #[command(after_help = exit::HELP)]
    Get(TokenCallArgs),
    /// Destroy the session: the token stops working.
    #[command(after_help = exit::HELP)]
    Destroy(TokenCallArgs),
}

/// `session create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    pub(crate) app: AppArgs,
    #[command(flatten)]
    pub(crate) identity: IdentityArgs,
    #[command(flatten)]
    pub(crate) signing: SigningArgs,
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// `session get`, `session destroy`, `logout`.
#[derive(Debug, Args)]
pub(crate) struct TokenCallArgs {
    #[command(flatten)]
    pub(crate) token: TokenArgs,
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// `login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    #[command(flatten)]
    pub(crate) token: TokenArgs,
    #[command(flatten)]
    pub(crate) identity: IdentityArgs,
    /// How the body is encoded.
    #[arg(long, env = "QB_BODY", value_enum, default_value_t = BodyArg::Json,
          help_heading = "Request")]
    pub(crate) body: BodyArg,
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// `account-settings`.
#[derive(Debug, Args)]
pub(crate) struct AccountSettingsArgs {
    /// The account key from the dashboard; prefer QB_ACCOUNT_KEY. Asked for when missing on a terminal.
    #[arg(long, env = "QB_ACCOUNT_KEY", hide_env_values = true, value_name = "KEY",
          value_parser = parse_secret)]
    pub(crate) account_key: Option<SecretString>,
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// `demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Seconds each request may take before the step fails.
    #[arg(long, env = "QB_TIMEOUT", default_value_t = 10, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub(crate) timeout: u64,
}

/// The application's credentials.
#[derive(Debug, Args)]
#[command(next_help_heading = "Application")]
pub(crate) struct AppArgs {
    /// The application id, from the QuickBlox dashboard.
    #[arg(long, env = "QB_APP_ID", value_name = "ID")]
    pub(crate) app_id: u64,

    /// The authorization key.
    #[arg(long, env = "QB_AUTH_KEY", value_name = "KEY")]
    pub(crate) auth_key: String,

    /// The authorization secret; prefer QB_AUTH_SECRET or --auth-secret-file. Asked for when missing on a terminal.
    #[arg(long, env = "QB_AUTH_SECRET", hide_env_values = true, value_name = "SECRET",
          value_parser = parse_secret)]
    pub(crate) auth_secret: Option<SecretString>,

    /// Read the authorization secret from this file (one trailing line break is ignored).
    #[arg(long, env = "QB_AUTH_SECRET_FILE", value_name = "PATH")]
    pub(crate) auth_secret_file: Option<PathBuf>,
}

/// How the create-session request is signed and encoded.
#[derive(Debug, Args)]
#[command(next_help_heading = "Signing")]
pub(crate) struct SigningArgs {
    /// How the body is encoded.
    #[arg(long, env = "QB_BODY", value_enum, default_value_t = BodyArg::Json)]
    pub(crate) body: BodyArg,

    /// The HMAC; QuickBlox documents sha1 only.
    #[arg(long, env = "QB_HASH", value_enum, default_value_t = HashArg::Sha1)]
    pub(crate) hash: HashArg,

    /// Sign with this nonce instead of a random one (to reproduce a request).
    #[arg(long, env = "QB_NONCE", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(i32::MAX)))]
    pub(crate) nonce: Option<u32>,

    /// Sign with this Unix time instead of the clock (to reproduce a request).
    #[arg(long, env = "QB_TIMESTAMP", value_name = "UNIX_SECONDS")]
    pub(crate) timestamp: Option<u64>,

    /// Print the request that would be sent, and send nothing.
    #[arg(long, env = "QB_DRY_RUN")]
    pub(crate) dry_run: bool,
}

/// A session token to act on.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// The session token; prefer QB_TOKEN. Asked for when missing on a terminal.
    #[arg(long, env = "QB_TOKEN", hide_env_values = true, value_name = "TOKEN",
          value_parser = parse_secret)]
    pub(crate) token: Option<SecretString>,
}

/// Where requests go, how, and how answers are shown.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection and output")]
pub(crate) struct ServerArgs {
    /// The API base URL: the shared host, an account's own host, or an emulator.
    #[arg(long, env = "QB_ENDPOINT", value_name = "URL", default_value = Endpoint::DEFAULT)]
    pub(crate) endpoint: Endpoint,

    /// The HTTP client to send with.
    #[arg(long, env = "QB_TRANSPORT", value_enum, default_value_t = TransportKind::Reqwest)]
    pub(crate) transport: TransportKind,

    /// Seconds to wait for an answer.
    #[arg(long, env = "QB_TIMEOUT", default_value_t = 30, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub(crate) timeout: u64,

    /// How results are printed.
    #[arg(long, env = "QB_OUTPUT", value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
}

/// `--transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TransportKind {
    /// Async reqwest on a tokio runtime (qb-auth-reqwest).
    Reqwest,
    /// Blocking ureq (qb-auth-ureq).
    Ureq,
}

impl TransportKind {
    /// The name shown in tables.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Reqwest => "reqwest",
            Self::Ureq => "ureq",
        }
    }
}

/// `--body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BodyArg {
    /// application/json with nested objects, as QuickBlox documents.
    Json,
    /// application/x-www-form-urlencoded with bracket keys, as the JavaScript SDK sends.
    Form,
}

impl From<BodyArg> for BodyFormat {
    fn from(arg: BodyArg) -> Self {
        match arg {
            BodyArg::Json => Self::Json,
            BodyArg::Form => Self::Form,
        }
    }
}

/// `--hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum HashArg {
    /// HMAC-SHA1: the documented algorithm.
    Sha1,
    /// HMAC-SHA256: offered by the JavaScript SDK, not confirmed by the server.
    Sha256,
}

impl From<HashArg> for HashAlgorithm {
    fn from(arg: HashArg) -> Self {
        match arg {
            HashArg::Sha1 => Self::Sha1,
            HashArg::Sha256 => Self::Sha256,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_flag_has_its_qb_variable() {
        fn check(cmd: &clap::Command) {
            for arg in cmd.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                // Exposing the emulator beyond loopback must be asked for
                // on the command line itself, so that flag has no variable.
                if matches!(long, "help" | "version" | "allow-non-loopback") {
                    continue;
                }
                let expected = format!("QB_{}", long.to_uppercase().replace('-', "_"));
                assert_eq!(
                    arg.get_env().and_then(|e| e.to_str()),
                    Some(expected.as_str()),
                    "--{long} of `{}`",
                    cmd.get_name()
                );
            }
            for sub in cmd.get_subcommands() {
                check(sub);
            }
        }
        check(&Cli::command());
    }
}
