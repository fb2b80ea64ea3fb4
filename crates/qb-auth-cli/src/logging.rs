//! `-v` and `-q`: the libraries' tracing spans and events as plain lines
//! on stderr.
//!
//! Only `qb_auth*` targets are shown: their spans and events carry names,
//! numbers, paths and statuses, never a token, a body or a header value
//! (see `qb-auth-client`'s `trace` module). The HTTP clients' own
//! diagnostics stay off, since no such promise covers them.

use std::io::{self, Write};

use tracing::level_filters::LevelFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;

use crate::output::terminal_safe;

/// Installs the subscriber: warnings by default (errors only where
/// `warnings` is false), errors only with `-q`, each request, attempt and
/// renewal with its timing at `-v` (debug), and trace at `-vv`.
pub(crate) fn init(verbose: u8, quiet: bool, warnings: bool) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) if warnings => LevelFilter::WARN,
        (false, 0) => LevelFilter::ERROR,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(|| SafeStderr)
        // A line when each request starts and one with its timings when
        // it ends.
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_filter(Targets::new().with_target("qb_auth", level));
    // Only fails if a subscriber is set already, and main sets the only one.
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
}

/// stderr, with each line made safe for a terminal: an error field can
/// quote a server's words.
struct SafeStderr;

impl Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stderr().lock().write_all(safe_event(buf).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// One formatted event made safe for a terminal: every control character
/// escaped but the line break that ends it. The fmt layer writes one whole
/// event at a time, so a line break inside one came from a field's value.
fn safe_event(buf: &[u8]) -> String {
    let text = String::from_utf8_lossy(buf);
    match text.strip_suffix('\n') {
        Some(line) => format!("{}\n", terminal_safe(line)),
        None => terminal_safe(&text).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_quoting_a_server_cannot_drive_the_terminal_or_fake_lines() {
        let event = "WARN renewal failed error=Bad \u{1b}]0;PWNED\u{7}\nERROR fake \u{9b}2J\n";
        assert_eq!(
            safe_event(event.as_bytes()),
            "WARN renewal failed error=Bad \\u{1b}]0;PWNED\\u{7}\\nERROR fake \\u{9b}2J\n"
        );
        assert_eq!(safe_event(b"no line break"), "no line break");
    }
}
