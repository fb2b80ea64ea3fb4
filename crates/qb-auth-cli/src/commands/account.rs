//! `account-settings`: which hosts an account uses.

use std::io::Write;

use qb_auth_core::{ExposeSecret, Operation};

use super::setup;
use crate::args::AccountSettingsArgs;
use crate::exit::CliError;
use crate::output;
use crate::secrets::{Needed, require};
use crate::transport::call_failure;

/// Asks the endpoint for the account's settings and prints them.
pub(super) fn settings(args: &AccountSettingsArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let key = require(args.account_key.as_ref(), Needed::ACCOUNT_KEY)?;
    let endpoint = &args.server.endpoint;
    let settings = setup(&args.server)
        .build()?
        .account_settings(key.expose_secret())
        .map_err(|e| call_failure(Operation::AccountSettings, endpoint, e))?;
    output::account_settings(out, args.server.output, &settings)?;
    Ok(())
}
