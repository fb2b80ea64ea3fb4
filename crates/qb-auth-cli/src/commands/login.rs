//! `login` and `logout`: upgrade a token to a user session and back.

use std::io::Write;

use qb_auth_core::{
    Operation, check_status, login as login_request, logout as logout_request, parse_user,
};

use super::{exchange, session_token};
use crate::args::{LoginArgs, TokenCallArgs};
use crate::exit::CliError;
use crate::output;
use crate::transport::Transport;

/// Logs a user into the session of `--token` and prints the user.
pub(super) fn login(args: &LoginArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let plan = args.identity.plan_user("login")?;
    let token = session_token(&args.token)?;
    let identity = args.identity.resolve(plan)?;
    let endpoint = &args.server.endpoint;
    let request = login_request(endpoint, &token, &identity, args.body.into())?;
    let transport = Transport::new(&args.server)?;
    let user = exchange(&transport, endpoint, Operation::Login, request, |a| {
        parse_user(a, Operation::Login)
    })?;
    output::user(out, args.server.output, &user)?;
    Ok(())
}

/// Logs the user out; the token stays valid as an application token.
pub(super) fn logout(args: &TokenCallArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let token = session_token(&args.token)?;
    let endpoint = &args.server.endpoint;
    let request = logout_request(endpoint, &token)?;
    let transport = Transport::new(&args.server)?;
    exchange(&transport, endpoint, Operation::Logout, request, |a| {
        check_status(a, Operation::Logout)
    })?;
    output::done(
        out,
        args.server.output,
        "logout",
        "logged out; the token is an application session token again",
    )?;
    Ok(())
}
