//! `qb-auth`: create, inspect and debug QuickBlox sessions; run the
//! emulator and the demo. Parses the command line, runs one command, and
//! turns its outcome into an exit code (see `exit.rs`).

#![forbid(unsafe_code)]

mod args;
mod commands;
mod exit;
mod hints;
mod identity_args;
mod output;
mod secrets;
mod transport;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::exit::Code;
use crate::output::terminal_safe;

fn main() -> ExitCode {
    // clap prints its own usage errors and exits with 2, help and version with 0.
    let matches = args::Cli::command().get_matches();
    let mut cli = args::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli.command.note_sources(&matches);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = commands::run(cli.command, &mut out).and_then(|()| Ok(out.flush()?));
    match result {
        Ok(()) => Code::Success.into(),
        // Whoever read stdout has gone (`qb-auth demo | head`): nobody is
        // left to tell, so fail without a message.
        Err(exit::CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Code::Failure.into()
        }
        Err(error) => {
            let mut err = std::io::stderr().lock();
            // Messages quote the server's words: escape what a terminal
            // would act on. Nothing more can be done if stderr is gone too.
            let _ = writeln!(err, "error: {}", terminal_safe(&error.to_string()));
            for line in hints::next_steps(&error) {
                let _ = writeln!(err, "  {}", terminal_safe(&line));
            }
            error.code().into()
        }
    }
}
