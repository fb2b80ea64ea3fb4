//! What reaches stderr besides the error itself: warnings as plain
//! `warning: …` lines by default, and with `-v` and `-q` the libraries'
//! tracing spans and events as log lines.
//!
//! Only `qb_auth*` targets are shown: their spans and events carry names,
//! numbers, paths and statuses, never a token, a body or a header value
//! (see `qb-auth-client`'s `trace` module). The HTTP clients' own
//! diagnostics stay off, since no such promise covers them.

use std::fmt;
use std::io::{self, Write};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{FmtSpan, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

use crate::output::terminal_safe;

/// Installs the subscriber: warnings as `warning: …` lines by default
/// (errors only where `warnings` is false), errors only with `-q`; with
/// `-v` log lines of each request, attempt and renewal with its timing
/// (debug), and trace at `-vv`.
pub(crate) fn init(verbose: u8, quiet: bool, warnings: bool) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) if warnings => LevelFilter::WARN,
        (false, 0) => LevelFilter::ERROR,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let targets = Targets::new().with_target("qb_auth", level);
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(|| SafeStderr);
    let layer = if verbose > 0 {
        // A line when each request starts and one with its timings when
        // it ends.
        layer
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_filter(targets)
            .boxed()
    } else {
        layer.event_format(Plain).with_filter(targets).boxed()
    };
    // Only fails if a subscriber is set already, and main sets the only one.
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
}

/// An event as a person reads it: `warning: the message (field: value, ...)`,
/// with no time, level name or target.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let label = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            _ => "note",
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        write!(writer, "{label}: {}", fields.message)?;
        if !fields.rest.is_empty() {
            write!(writer, " ({})", fields.rest.join(", "))?;
        }
        writeln!(writer)
    }
}

/// An event's message, and its other fields as `name: value`.
#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.message);
        } else {
            self.rest.push(format!("{}: {value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.rest.push(format!("{}: {value:?}", field.name()));
        }
    }
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
    fn a_warning_is_one_plain_line_with_its_fields() {
        use std::sync::{Arc, Mutex};

        #[derive(Clone, Default)]
        struct Captured(Arc<Mutex<Vec<u8>>>);
        impl Write for Captured {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .event_format(Plain),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(attempt = 2, error = %"could not connect", "call failed; trying again");
            tracing::warn!("saved session in f.json ignored: it is expired");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "warning: call failed; trying again (attempt: 2, error: could not connect)\n\
             warning: saved session in f.json ignored: it is expired\n"
        );
    }

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
