//! `login` and `logout`: upgrade a token to a user session and back.

use std::io::Write;

use qb_auth_core::Operation;

use super::{session_token, setup};
use crate::args::{LoginArgs, TokenCallArgs};
use crate::exit::CliError;
use crate::output;
use crate::transport::call_failure;

/// Logs a user into the session of `--token` and prints the user.
pub(super) fn login(args: &LoginArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let plan = args.identity.plan_user("login")?;
    let (token, _) = session_token(&args.token)?;
    let identity = args.identity.resolve(plan)?;
    let endpoint = &args.server.endpoint;
    let mut setup = setup(&args.server);
    setup.body_format = args.body.into();
    let user = setup
        .build()?
        .login(&token, &identity)
        .map_err(|e| call_failure(Operation::Login, endpoint, e))?;
    output::user(out, args.server.output, &user)?;
    Ok(())
}

/// Logs the user out; the token stays valid as an application token.
pub(super) fn logout(args: &TokenCallArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let (token, _) = session_token(&args.token)?;
    let endpoint = &args.server.endpoint;
    setup(&args.server)
        .build()?
        .logout(&token)
        .map_err(|e| call_failure(Operation::Logout, endpoint, e))?;
    output::done(
        out,
        args.server.output,
        "logout",
        "logged out; the token is an application session token again",
    )?;
    Ok(())
}
