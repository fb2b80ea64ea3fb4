//! The command line: every subcommand and flag, each configuration flag
//! also readable from `QB_<FLAG_NAME>`. Secrets are `SecretString` from the
//! moment clap parses them, have no defaults, and never show their
//! variable's value in `--help`.
//!
//! Flags that change what one run does rather than configure it (see
//! `NOT_FROM_ENV`) have no variable: a `QB_DRY_RUN` left in a shell would
//! otherwise turn every later command into a dry run without a word.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, ArgMatches, Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use qb_auth_core::{BodyFormat, Endpoint, HashAlgorithm, SecretString};

use crate::emulator_args::EmulatorArgs;
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
    /// Print what happens on stderr: each request and attempt, renewals, and their
    /// timings (-vv: trace detail too). Never a secret.
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub(crate) verbose: u8,

    /// Print nothing on stderr but the error itself: no warnings, no hints.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Long flags that have no `QB_*` variable, because they act on one run
/// instead of configuring every run: `--dry-run` (a leftover would silently
/// stop every request), `--nonce` and `--timestamp` (a leftover would sign
/// every request with one nonce or an old time), `--save` (a leftover would
/// replace the saved session on every run), `--show-secrets` (a leftover
/// would print passwords in every dry run), `--verbose` and `--quiet`, and
/// the emulator's `--allow-non-loopback` (exposing it must be asked for on
/// its own command line).
#[cfg(test)]
pub(crate) const NOT_FROM_ENV: [&str; 8] = [
    "dry-run",
    "show-secrets",
    "nonce",
    "timestamp",
    "save",
    "verbose",
    "quiet",
    "allow-non-loopback",
];

/// The emulator's own epilogue: the other commands' exit codes and
/// variables are not its concern.
const EMULATOR_HELP: &str = "\
Once it accepts connections, the first line on stdout is `listening on http://ADDR`; it serves
until SIGINT or SIGTERM. -v prints one line per request on stderr.

Exit codes: 0 stopped by a signal, 1 failed while serving, 2 a configuration it refuses.";

// Subcommands point to the main help for the exit codes and variables
// instead of repeating them.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create, read or destroy a session.
    #[command(subcommand, after_help = exit::SEE_MAIN_HELP)]
    Session(SessionCommand),
    /// Log a user into an existing session: the token becomes a user token.
    #[command(after_help = exit::SEE_MAIN_HELP)]
    Login(LoginArgs),
    /// Log the user out: the token stays valid as an application token.
    #[command(after_help = exit::SEE_MAIN_HELP)]
    Logout(TokenCallArgs),
    /// Show the sessions saved in session files: application, identity, endpoint, time left.
    ///
    /// Reads the files only (nothing is sent). Exits 0 when at least one live session is saved,
    /// 8 when none is, so a script can run `qb-auth status -q || qb-auth session create --save`.
    #[command(after_help = exit::SEE_MAIN_HELP)]
    Status(StatusArgs),
    /// Ask which API and chat hosts an account uses.
    #[command(after_help = exit::SEE_MAIN_HELP)]
    AccountSettings(AccountSettingsArgs),
    /// Run a QuickBlox-compatible authentication server on loopback.
    ///
    /// Every knob of the emulator as a flag, or in a TOML file (--config). While it runs,
    /// /_emulator/ shows the counters, the live sessions and the recent requests with why each
    /// signature was refused, and a JSON control API under it steers it (see the guide
    /// "Testing a QuickBlox client against the emulator").
    #[command(after_help = EMULATOR_HELP)]
    Emulator(Box<EmulatorArgs>),
    /// Run every identity over both transports against an embedded emulator.
    #[command(after_help = exit::SEE_MAIN_HELP)]
    Demo(DemoArgs),
    /// Print a shell completion script on stdout.
    ///
    /// For example: `qb-auth completions bash > ~/.local/share/bash-completion/completions/qb-auth`,
    /// `qb-auth completions zsh > ~/.zfunc/_qb-auth`,
    /// `qb-auth completions fish > ~/.config/fish/completions/qb-auth.fish`,
    /// or in PowerShell `qb-auth completions powershell | Out-String | Invoke-Expression`.
    Completions(CompletionsArgs),
}

/// `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

impl Command {
    /// `--output` of the commands that have it; text for the others.
    pub(crate) fn output_format(&self) -> OutputFormat {
        match self {
            Self::Session(SessionCommand::Create(args)) => args.server.output,
            Self::Session(SessionCommand::Get(args) | SessionCommand::Destroy(args))
            | Self::Logout(args) => args.server.output,
            Self::Login(args) => args.server.output,
            Self::Status(args) => args.output,
            Self::AccountSettings(args) => args.server.output,
            Self::Emulator(_) | Self::Demo(_) | Self::Completions(_) => OutputFormat::Text,
        }
    }

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
            Self::Emulator(args) => {
                args.verbose = leaf.get_count("verbose") > 0;
                args.app.note_sources(leaf);
            }
            _ => {}
        }
    }
}

/// Whether a command line clap refused asked for JSON output: its last
/// `--output` (a flag beats its variable), else `QB_OUTPUT`. Read from the
/// raw words because the refusal left no parsed arguments to ask.
pub(crate) fn json_requested(
    args: impl IntoIterator<Item = OsString>,
    env: Option<OsString>,
) -> bool {
    let mut given = None;
    let mut words = args.into_iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        } else if word == "--output" {
            given = words.next();
        } else if let Some(value) = word.to_str().and_then(|w| w.strip_prefix("--output=")) {
            given = Some(value.into());
        }
    }
    given.or(env).is_some_and(|v| v == "json")
}

#[derive(Debug, Subcommand)]
pub(crate) enum SessionCommand {
    /// Create an application session, or a user session with an identity.
    ///
    /// With no identity flag the session is an application session; with
    /// --login, --email or --provider it is that user's. The token is printed
    /// (the only secret this command prints); --dry-run prints the exact
    /// request instead and sends nothing (secrets masked, unless --show-secrets).
    #[command(after_help = exit::SEE_MAIN_HELP)]
    Create(Box<CreateArgs>),
    /// Show the session a token belongs to (the token itself is not printed).
    #[command(after_help = exit::SEE_MAIN_HELP)]
    Get(TokenCallArgs),
    /// Destroy the session: the token stops working.
    #[command(after_help = exit::SEE_MAIN_HELP)]
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
    pub(crate) file: SaveArgs,
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// Where `session create` keeps its session between runs (see
/// `session_file`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Session file")]
pub(crate) struct SaveArgs {
    /// Reuse the live session saved in this file for the same endpoint, application and identity
    /// instead of creating one; a new session is saved there. An unusable file is ignored with a
    /// warning; a file that is not a session file is left untouched (exit 7). Without PATH: the
    /// application's and identity's own file in $XDG_STATE_HOME/qb-auth/ (~/.local/state/...).
    #[arg(long, env = "QB_SESSION_FILE", value_name = "PATH", num_args = 0..=1)]
    pub(crate) session_file: Option<Option<PathBuf>>,

    /// Create a new session and save it (mode 0600) to PATH, or to the --session-file, or to the
    /// default file, for later commands' --session-file. Not read from the environment.
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    pub(crate) save: Option<Option<PathBuf>>,
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

    /// Sign with this nonce instead of a random one, to reproduce a request
    /// (0 included: the JavaScript SDK draws from 0..9999). Not read from the environment.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=i64::from(i32::MAX)))]
    pub(crate) nonce: Option<u32>,

    /// Sign with this Unix time instead of the clock, to reproduce a request.
    /// Not read from the environment.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) timestamp: Option<u64>,

    /// Print the request that would be sent, and send nothing: passwords, provider tokens and
    /// secrets show as *** in the body and the string to sign. Not read from the environment.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// With --dry-run: print the body and the string to sign exactly, secrets included (to
    /// compare with another SDK's request). Not read from the environment.
    #[arg(long, requires = "dry_run")]
    pub(crate) show_secrets: bool,
}

/// A session token to act on.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// The session token; prefer QB_TOKEN. Asked for when missing on a terminal.
    #[arg(long, env = "QB_TOKEN", hide_env_values = true, value_name = "TOKEN",
          value_parser = parse_secret)]
    pub(crate) token: Option<SecretString>,

    /// Use the token saved in this file by `session create --save` when --token is not given,
    /// if it was saved for this --endpoint (and --app-id); otherwise it is ignored with a warning
    /// and nothing is sent. Without PATH: the session saved last for the endpoint in
    /// $XDG_STATE_HOME/qb-auth/. login and logout rewrite the file for the token's new identity.
    #[arg(long, env = "QB_SESSION_FILE", value_name = "PATH", num_args = 0..=1)]
    pub(crate) session_file: Option<Option<PathBuf>>,

    /// Use a --session-file only if its session is this application's.
    #[arg(long, env = "QB_APP_ID", value_name = "ID")]
    pub(crate) app_id: Option<u64>,
}

/// `status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The session file to show. Without it: every session file in $XDG_STATE_HOME/qb-auth/.
    #[arg(long, env = "QB_SESSION_FILE", value_name = "PATH")]
    pub(crate) session_file: Option<PathBuf>,

    /// How results are printed.
    #[arg(long, env = "QB_OUTPUT", value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
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

    /// How results are printed. With json, an error is printed on stdout too, as
    /// {"error":{"kind","status","message","hint"}}, so a script reads one stream; the exit
    /// code is the same as with text.
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
    fn json_is_requested_by_the_last_output_flag_or_else_the_variable() {
        let words = |w: &[&str]| -> Vec<OsString> {
            std::iter::once("qb-auth")
                .chain(w.iter().copied())
                .map(OsString::from)
                .collect()
        };
        let json = Some(OsString::from("json"));
        assert!(json_requested(
            words(&["session", "--output", "json"]),
            None
        ));
        assert!(json_requested(words(&["--output=json"]), None));
        assert!(json_requested(words(&["session", "get"]), json.clone()));
        assert!(!json_requested(words(&["--output", "text"]), json));
        assert!(!json_requested(
            words(&["--output", "json", "--output=text"]),
            None
        ));
        assert!(!json_requested(words(&["--", "--output", "json"]), None));
        assert!(!json_requested(words(&["session", "get"]), None));
    }

    #[test]
    fn every_configuration_flag_has_its_qb_variable_and_no_action_flag_has_one() {
        fn check(cmd: &clap::Command) {
            for arg in cmd.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                if matches!(long, "help" | "version") {
                    continue;
                }
                if NOT_FROM_ENV.contains(&long) {
                    assert_eq!(arg.get_env(), None, "--{long} of `{}`", cmd.get_name());
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
        // Every flag named as not from the environment exists, so the list
        // cannot keep a name the command line lost.
        fn longs(cmd: &clap::Command, into: &mut Vec<String>) {
            into.extend(
                cmd.get_arguments()
                    .filter_map(|a| a.get_long().map(str::to_owned)),
            );
            for sub in cmd.get_subcommands() {
                longs(sub, into);
            }
        }
        let mut all = Vec::new();
        longs(&Cli::command(), &mut all);
        for long in NOT_FROM_ENV {
            assert!(all.iter().any(|l| l == long), "--{long} is not a flag");
        }
    }
}
