//! `qb-auth emulator`: the emulator the flags and the configuration file
//! describe, served until SIGINT or SIGTERM (Ctrl-C elsewhere).
//!
//! Once it accepts connections, stdout's first line is exactly
//! `listening on http://127.0.0.1:<PORT>`, and the second says where the
//! page and the control API are. With `-v`, stderr gets one line per
//! request: number, method, path, status, and why it was refused.

use std::future::Future;
use std::io::{self, Write};

use qb_auth_emulator::{RequestRecord, StartError};

use crate::emulator_args::{EmulatorArgs, World};
use crate::exit::CliError;
use crate::output::terminal_safe;

/// Serves until a termination signal; errors before serving are usage
/// errors when the configuration was refused.
pub(super) fn run(args: EmulatorArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let world = World::from_args(&args).map_err(|e| CliError::Emulator {
        message: e.to_string(),
        usage: true,
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| failed(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(serve(world, args.verbose, out))
}

async fn serve(world: World, verbose: bool, out: &mut dyn Write) -> Result<(), CliError> {
    // Signals are watched before the line is printed, so one sent right
    // after the line is seen is not lost.
    let terminated =
        termination().map_err(|e| failed(format!("cannot watch for termination signals: {e}")))?;
    let mut builder = world.builder;
    if verbose {
        builder = builder.on_request(print_request);
    }
    let emulator = builder.start().await.map_err(|e| CliError::Emulator {
        // A refused configuration is the user's to fix, like any usage error.
        usage: matches!(e, StartError::Config(_)),
        message: e.to_string(),
    })?;
    for (fault, count) in world.fail_next {
        emulator.fail_next(count, fault);
    }
    let control = if world.control_open {
        format!("page and control API: {}", emulator.page_url())
    } else {
        "page and control API: off (listening beyond loopback without --control-token)".to_owned()
    };
    let announced = writeln!(out, "listening on {}", emulator.base_url())
        .and_then(|()| writeln!(out, "{control}"))
        .and_then(|()| out.flush());
    if let Err(e) = announced {
        emulator.shutdown().await;
        return Err(CliError::Output(e));
    }
    terminated.await;
    emulator.shutdown().await;
    Ok(())
}

fn failed(message: String) -> CliError {
    CliError::Emulator {
        message,
        usage: false,
    }
}

/// `-v`: one line per request on stderr, made safe for a terminal (a
/// diagnosis names the parameters a client sent).
fn print_request(record: &RequestRecord) {
    let line = terminal_safe(&record.to_string()).into_owned();
    // Nothing to do if stderr is gone; the emulator goes on serving.
    let _ = writeln!(io::stderr().lock(), "{line}");
}

#[cfg(unix)]
fn termination() -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn termination() -> io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
