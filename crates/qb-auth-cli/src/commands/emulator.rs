//! `qb-auth emulator`: the emulator crate's own command, mounted here.

use crate::emulator_args_old::{self as cli, EmulatorArgs};
use qb_auth_emulator::StartError;

use crate::exit::CliError;

/// Serves until SIGINT or SIGTERM; the first stdout line is
/// `listening on http://127.0.0.1:<PORT>`.
pub(super) fn run(args: EmulatorArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Emulator {
            message: format!("cannot start a runtime: {e}"),
            usage: false,
        })?;
    runtime.block_on(cli::run(args)).map_err(|e| {
        // A refused configuration is the user's to fix, like any usage error.
        let usage = matches!(&e, cli::RunError::Start(StartError::Config(_)));
        CliError::Emulator {
            message: e.to_string(),
            usage,
        }
    })
}
