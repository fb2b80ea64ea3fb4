//! One module per command; each calls the client of
//! [`crate::transport`] and prints the result with [`crate::output`].

mod account;
mod demo;
mod emulator;
mod login;
mod session;
mod status;

use std::io::Write;
use std::path::Path;

use std::time::Duration;

use clap::CommandFactory;
use qb_auth_core::{AppCredentials, Endpoint, ExposeSecret, SessionToken};

use crate::args::{AppArgs, Cli, Command, ServerArgs, SessionCommand, TokenArgs};
use crate::exit::{CliError, Code};
use crate::secrets::{Needed, require, require_with_file};
use crate::session_file::{self, Saved};
use crate::transport::ClientSetup;

/// Runs `command`, printing its result on `out`; the exit code of a
/// command that worked (`status` says with it whether a session is live).
pub(crate) fn run(command: Command, out: &mut dyn Write) -> Result<Code, CliError> {
    let done = match command {
        Command::Status(args) => return status::run(&args, out),
        Command::Session(SessionCommand::Create(args)) => session::create(&args, out),
        Command::Session(SessionCommand::Get(args)) => session::get(&args, out),
        Command::Session(SessionCommand::Destroy(args)) => session::destroy(&args, out),
        Command::Login(args) => login::login(&args, out),
        Command::Logout(args) => login::logout(&args, out),
        Command::AccountSettings(args) => account::settings(&args, out),
        Command::Emulator(args) => emulator::run(*args, out),
        Command::Demo(args) => demo::run(&args, out),
        Command::Completions(args) => {
            // Rendered whole first: clap_complete panics when a write fails,
            // and a closed pipe here is an error like any other output's.
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "qb-auth", &mut script);
            out.write_all(&script).map_err(CliError::from)
        }
    };
    done.map(|()| Code::Success)
}

/// Writes `qb-auth.1` and one page per subcommand into `dir`, for
/// `cargo xtask man`.
pub(crate) fn man(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir)?;
    Ok(clap_mangen::generate_to(Cli::command(), dir)?)
}

/// The application's credentials, asking for the secret when it is missing.
fn app_credentials(args: &AppArgs) -> Result<AppCredentials, CliError> {
    let secret = require_with_file(
        args.auth_secret.as_ref(),
        args.auth_secret_file.as_deref(),
        Needed::AUTH_SECRET,
    )?;
    Ok(AppCredentials::new(
        args.app_id,
        args.auth_key.clone(),
        secret,
    )?)
}

/// The session token to act on: `--token`, else the one saved in
/// `--session-file` for `endpoint` (with the file it came from), else
/// asked for. A file saved for another endpoint or application is ignored
/// with a warning, so its token is never sent elsewhere.
fn session_token(
    args: &TokenArgs,
    endpoint: &Endpoint,
) -> Result<(SessionToken, Option<Saved>), CliError> {
    let given = args
        .token
        .as_ref()
        .filter(|t| !t.expose_secret().is_empty());
    if let (None, Some(path)) = (given, &args.session_file)
        && let Some(saved) = session_file::for_token(path.as_deref(), endpoint, args.app_id)?
    {
        return Ok((saved.session.token.clone(), Some(saved)));
    }
    let token = require(args.token.as_ref(), Needed::TOKEN)?;
    Ok((SessionToken::new(token.expose_secret()), None))
}

/// The client for `--endpoint`, `--transport` and `--timeout`.
fn setup(server: &ServerArgs) -> ClientSetup {
    ClientSetup::new(
        server.transport,
        &server.endpoint,
        Duration::from_secs(server.timeout),
    )
}
