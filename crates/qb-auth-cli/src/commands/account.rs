//! `account-settings`: which hosts an account uses.

use std::io::Write;

use qb_auth_core::{ExposeSecret, Operation, account_settings, parse_account_settings};

use super::exchange;
use crate::args::AccountSettingsArgs;
use crate::exit::CliError;
use crate::output;
use crate::secrets::{Needed, require};
use crate::transport::Transport;

/// Asks the endpoint for the account's settings and prints them.
pub(super) fn settings(args: &AccountSettingsArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let key = require(args.account_key.as_ref(), Needed::ACCOUNT_KEY)?;
    let endpoint = &args.server.endpoint;
    let request = account_settings(endpoint, key.expose_secret())?;
    let transport = Transport::new(&args.server)?;
    let settings = exchange(
        &transport,
        endpoint,
        Operation::AccountSettings,
        request,
        parse_account_settings,
    )?;
    output::account_settings(out, args.server.output, &settings)?;
    Ok(())
}
