//! `login` and `logout`: upgrade a token to a user session and back.
//!
//! Through `--session-file` the file follows the token: after a login it
//! says the session is that user's, after a logout that it is the
//! application's, so that `session create` never reuses it for an identity
//! it no longer is.

use std::io::Write;

use qb_auth_core::Operation;

use super::{session_token, setup};
use crate::args::{LoginArgs, TokenCallArgs};
use crate::exit::CliError;
use crate::identity_args::IdentityPlan;
use crate::output;
use crate::session_file;
use crate::transport::call_failure;

/// Logs a user into the session of `--token` and prints the user.
pub(super) fn login(args: &LoginArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let plan = args.identity.plan_user("login")?;
    let endpoint = &args.server.endpoint;
    let (token, saved) = session_token(&args.token, endpoint)?;
    let identity = args.identity.resolve(plan.clone())?;
    let mut setup = setup(&args.server);
    setup.body_format = args.body.into();
    let user = setup
        .build()?
        .login(&token, &identity)
        .map_err(|e| call_failure(Operation::Login, endpoint, e))?;
    output::user(out, args.server.output, &user)?;
    // Printed first: the login worked, whatever becomes of the file.
    if let Some(saved) = &saved {
        session_file::rewrite(saved, endpoint, &plan, user.id)?;
    }
    Ok(())
}

/// Logs the user out; the token stays valid as an application token.
pub(super) fn logout(args: &TokenCallArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let endpoint = &args.server.endpoint;
    let (token, saved) = session_token(&args.token, endpoint)?;
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
    if let Some(saved) = &saved {
        session_file::rewrite(saved, endpoint, &IdentityPlan::Application, 0)?;
    }
    Ok(())
}
