//! `qb-auth`: create, inspect and debug QuickBlox sessions; run the
//! emulator and the demo. Parses the command line, runs one command, and
//! turns its outcome into an exit code (see `exit.rs`).

#![forbid(unsafe_code)]

mod args;
mod commands;
mod emulator_args;
mod exit;
mod hints;
mod identity_args;
mod logging;
mod output;
mod secrets;
mod session_file;
mod transport;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::exit::{CliError, Code};
use crate::output::{ErrorReport, OutputFormat, terminal_safe};

fn main() -> ExitCode {
    // `qb-auth __man DIR` writes the man pages for `cargo xtask man`. It is
    // read before clap so that no help, completion or man page offers it
    // (clap_complete lists hidden subcommands).
    let mut words = std::env::args_os().skip(1);
    if words.next().is_some_and(|w| w == "__man") {
        return match (words.next(), words.next()) {
            (Some(dir), None) => match commands::man(dir.as_ref()) {
                Ok(()) => Code::Success.into(),
                Err(e) => {
                    print_error(&e.to_string(), &[], false);
                    e.code().into()
                }
            },
            _ => {
                print_error("usage: qb-auth __man DIR", &[], false);
                Code::Usage.into()
            }
        };
    }
    let matches = match args::Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => return usage_error(&e),
    };
    let mut cli = match args::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    cli.command.note_sources(&matches);
    // The demo provokes failures (a skewed clock) and reports them in its
    // table: the library's warnings about them are for -v only.
    let warnings = !matches!(cli.command, args::Command::Demo(_));
    logging::init(cli.verbose, cli.quiet, warnings);
    let format = cli.command.output_format();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = commands::run(cli.command, &mut out).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => code.into(),
        // Whoever read stdout has gone (`qb-auth demo | head`): nobody is
        // left to tell, so fail without a message.
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Code::Failure.into()
        }
        Err(error) => {
            let hints = hints::next_steps(&error);
            // stdout failed already when the output is the error: say so on
            // stderr rather than try it again.
            let json = format == OutputFormat::Json && !matches!(error, CliError::Output(_));
            let printed = json && {
                let report =
                    ErrorReport::new(error.kind(), error.status(), error.to_string(), &hints);
                output::error_json(&mut out, &report).is_ok()
            };
            if !printed {
                print_error(&error.to_string(), &hints, cli.quiet);
            }
            error.code().into()
        }
    }
}

/// Prints an error and its hints (unless `--quiet`) on stderr.
fn print_error(message: &str, hints: &[String], quiet: bool) {
    let mut err = std::io::stderr().lock();
    // Messages quote the server's words: escape what a terminal would act
    // on. Nothing more can be done if stderr is gone too.
    let _ = writeln!(err, "error: {}", terminal_safe(message));
    if !quiet {
        for line in hints {
            let _ = writeln!(err, "  {}", terminal_safe(line));
        }
    }
}

/// clap refused the command line (or was asked for help or the version).
/// With `--output json` on the command line or in `QB_OUTPUT` the refusal
/// is one JSON error on stdout like any other, a missing subcommand
/// included; help and version asked for are printed as clap prints them.
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) || !args::json_requested(std::env::args_os(), std::env::var_os("QB_OUTPUT"))
    {
        error.exit();
    }
    let (message, hints) = usage_report(error.kind(), &error.render().to_string());
    let report = ErrorReport::new("usage", None, message, &hints);
    let mut out = std::io::stdout().lock();
    if output::error_json(&mut out, &report).is_err() {
        error.exit();
    }
    Code::Usage.into()
}

/// The message and hints of clap's rendered refusal: its first paragraph
/// (the error, with the arguments it lists) and its other lines; for a
/// missing subcommand, where clap renders the help, the usage line and the
/// subcommands to choose from.
fn usage_report(kind: clap::error::ErrorKind, rendered: &str) -> (String, Vec<String>) {
    if kind == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let usage = rendered.lines().find(|l| l.starts_with("Usage:"));
        let commands: Vec<&str> = rendered
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| *name != "help")
            .collect();
        let mut hints: Vec<String> = usage.into_iter().map(str::to_owned).collect();
        if !commands.is_empty() {
            hints.push(format!("subcommands: {}", commands.join(", ")));
        }
        return ("a subcommand is required".to_owned(), hints);
    }
    let mut paragraphs = rendered
        .split("\n\n")
        .map(|p| {
            p.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty());
    let first = paragraphs.next().unwrap_or_default();
    let mut message = first
        .first()
        .map(|l| l.strip_prefix("error: ").unwrap_or(l).to_owned())
        .unwrap_or_default();
    // The arguments a message lists, one per line under it.
    if first.len() > 1 {
        message.push(' ');
        message.push_str(&first[1..].join(", "));
    }
    let hints = paragraphs.flatten().map(str::to_owned).collect();
    (message, hints)
}
