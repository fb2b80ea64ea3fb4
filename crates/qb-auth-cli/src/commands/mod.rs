//! One module per command; each builds its requests with the core, sends
//! them through [`Transport`], reads the answers with the core and prints
//! them with [`crate::output`].

mod account;
mod demo;
mod emulator;
mod login;
mod session;

use std::io::Write;

use qb_auth_core::{
    ApiError, AppCredentials, Endpoint, ExposeSecret, HttpRequest, Operation, SessionToken,
};

use crate::args::{AppArgs, Command, SessionCommand, TokenArgs};
use crate::exit::{ApiFailure, CliError};
use crate::secrets::{Needed, require, require_with_file};
use crate::transport::Transport;

/// Runs `command`, printing its result on `out`.
pub(crate) fn run(command: Command, out: &mut dyn Write) -> Result<(), CliError> {
    match command {
        Command::Session(SessionCommand::Create(args)) => session::create(&args, out),
        Command::Session(SessionCommand::Get(args)) => session::get(&args, out),
        Command::Session(SessionCommand::Destroy(args)) => session::destroy(&args, out),
        Command::Login(args) => login::login(&args, out),
        Command::Logout(args) => login::logout(&args, out),
        Command::AccountSettings(args) => account::settings(&args, out),
        Command::Emulator(args) => emulator::run(args),
        Command::Demo(args) => demo::run(&args, out),
    }
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

/// The session token to act on, asking for it when it is missing.
fn session_token(args: &TokenArgs) -> Result<SessionToken, CliError> {
    let token = require(args.token.as_ref(), Needed::TOKEN)?;
    Ok(SessionToken::new(token.expose_secret()))
}

/// Sends `request` and reads the answer with `read`; an error answer keeps
/// the endpoint and arrival time for the hints.
fn exchange<T>(
    transport: &Transport,
    endpoint: &Endpoint,
    operation: Operation,
    request: HttpRequest,
    read: impl FnOnce(&http::Response<Vec<u8>>) -> Result<T, ApiError>,
) -> Result<T, CliError> {
    let answer = transport.send(operation, endpoint, request)?;
    read(&answer).map_err(|e| ApiFailure::new(e, endpoint).into())
}
