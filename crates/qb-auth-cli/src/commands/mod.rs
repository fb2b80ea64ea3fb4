//! One module per command; each calls the client of
//! [`crate::transport`] and prints the result with [`crate::output`].

mod account;
mod demo;
mod emulator;
mod login;
mod session;

use std::io::Write;
use std::path::Path;

use std::time::Duration;

use clap::CommandFactory;
use qb_auth_client::FileStore;
use qb_auth_core::{AppCredentials, ExposeSecret, SessionToken};

use crate::args::{AppArgs, Cli, Command, ServerArgs, SessionCommand, TokenArgs};
use crate::exit::CliError;
use crate::secrets::{Needed, require, require_with_file};
use crate::session_file;
use crate::transport::ClientSetup;

/// Runs `command`, printing its result on `out`.
pub(crate) fn run(command: Command, out: &mut dyn Write) -> Result<(), CliError> {
    match command {
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
            Ok(out.write_all(&script)?)
        }
    }
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
/// `--session-file` (with the store it came from), else asked for.
fn session_token(args: &TokenArgs) -> Result<(SessionToken, Option<FileStore>), CliError> {
    let given = args
        .token
        .as_ref()
        .filter(|t| !t.expose_secret().is_empty());
    if let (None, Some(path)) = (given, &args.session_file) {
        let store = FileStore::any_application(session_file::resolve(path.as_deref())?);
        if let Some(session) = session_file::live_session(&store) {
            return Ok((session.token, Some(store)));
        }
        if !store.path().exists() {
            tracing::warn!(path = %store.path().display(), "no session is saved in the session file");
        }
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
