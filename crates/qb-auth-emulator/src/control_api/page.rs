//! `GET /_emulator/`: one server-rendered page, refreshed by itself: the
//! counters, the live sessions and the recent requests with the diagnosis
//! of each refused signature.
//!
//! No script and no external asset: maud escapes every value it is given
//! (only the fixed style sheet is written unescaped), and the
//! Content-Security-Policy forbids scripts outright, so a value that
//! escaped escaping still could not run.

use std::time::{Instant, SystemTime};

use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY};
use http::{HeaderName, HeaderValue, StatusCode};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use qb_auth_core::time::format_rfc3339;

use super::Query;
use crate::answers::Answer;
use crate::diagnosis::SignatureDiagnosis;
use crate::journal::{RequestRecord, fault_name};
use crate::refusal::Refusal;
use crate::state::Shared;

/// Seconds between refreshes unless `?refresh=` says otherwise.
const DEFAULT_REFRESH_SECS: u64 = 5;
/// The longest refresh interval asked for that is honoured.
const MAX_REFRESH_SECS: u64 = 3600;
/// Live sessions shown: the newest.
const SESSIONS_SHOWN: usize = 50;
/// Recent requests shown: the newest (the JSON has them all).
const REQUESTS_SHOWN: usize = 200;
/// Characters of a token shown.
const TOKEN_SHOWN: usize = 4;

const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d1d1f;background:#fff}\
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}\
.meta{color:#555;margin:0}\
table{border-collapse:collapse;margin:.3em 0}\
th,td{border:1px solid #d0d0d7;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#f3f3f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\
tr.refused>td{background:#fff4f2}tr.fault>td{background:#fff9e6}\
tr.diagnosis>td{background:#fffdf5}\
.cause{font-weight:600;margin:.2em 0 .4em}\
code,pre{font:13px ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}\
pre{background:#f6f6f8;padding:.4em;margin:.2em 0;max-width:72ch}\
.grid{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}.none{color:#777}\
footer{margin-top:2em;color:#555}";

/// The page as an answer, with the headers that keep it inert.
pub(super) fn render(shared: &Shared, query: &Query) -> Answer {
    let refresh = query
        .refresh
        .as_deref()
        .map_or(Some(DEFAULT_REFRESH_SECS), |r| r.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_REFRESH_SECS)
        .min(MAX_REFRESH_SECS);
    let links = Links {
        token: query.token.as_deref(),
    };
    let markup = page(shared, refresh, &links);
    let mut answer = Answer::new(StatusCode::OK, markup.into_string());
    answer.extra_headers.extend([
        (
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                 form-action 'none'; frame-ancestors 'none'",
            ),
        ),
        (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ),
    ]);
    answer
}

/// Links to the control API that keep the page's `?token=`.
struct Links<'a> {
    token: Option<&'a str>,
}

impl Links<'_> {
    fn to(&self, path: &str, refresh: Option<u64>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(refresh) = refresh {
            query.append_pair("refresh", &refresh.to_string());
        }
        if let Some(token) = self.token {
            query.append_pair("token", token);
        }
        let query = query.finish();
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        }
    }
}

fn page(shared: &Shared, refresh: u64, links: &Links<'_>) -> Markup {
    let stats = shared.stats();
    let now = shared.server_now();
    let offset = shared.clock_offset();
    let ttl = shared.session_ttl();
    let records = shared.journal.recent(0, REQUESTS_SHOWN);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if refresh > 0 {
                    meta http-equiv="refresh" content=(refresh);
                }
                title { "qb-auth emulator" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "qb-auth emulator" }
                    p.meta {
                        (shared.base_url) " · server time " (format_rfc3339(now))
                        " (clock offset " (signed(offset)) " s) · sessions live "
                        (lifetime(ttl)) " after their last use"
                    }
                    p.meta {
                        @if refresh > 0 {
                            "Refreshes every " (refresh) " s ("
                            a href=(links.to("/_emulator/", Some(0))) { "pause" } ")."
                        } @else {
                            "Not refreshing ("
                            a href=(links.to("/_emulator/", None)) { "refresh every "
                                (DEFAULT_REFRESH_SECS) " s" } ")."
                        }
                    }
                }
                (counters(&stats))
                (sessions(shared))
                (requests(&records, shared.journal.capacity()))
                footer {
                    "The same as JSON: "
                    a href=(links.to("/_emulator/stats", None)) { "stats" } ", "
                    a href=(links.to("/_emulator/requests", None)) { "requests" } ", "
                    a href=(links.to("/_emulator/faults", None)) { "faults" } ", "
                    a href=(links.to("/_emulator/clock", None)) { "clock" }
                    ". Steer it with POST /_emulator/faults, /clock, /reset and /expire "
                    "(see “Testing a QuickBlox client against the emulator”)."
                }
            }
        }
    }
}

fn counters(stats: &crate::EmulatorStats) -> Markup {
    let refused: Vec<(Refusal, u64)> = Refusal::ALL
        .iter()
        .map(|&r| (r, stats.refused(r)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let faults = [
        ("injected 500", stats.faults.status_500),
        ("injected 503", stats.faults.status_503),
        ("injected 429", stats.faults.status_429),
        ("dropped connections", stats.faults.dropped),
        ("delayed answers", stats.faults.delayed),
    ];
    html! {
        section #counters {
            h2 { "Counters" }
            div.grid {
                table {
                    tr { th { "requests" } td.n { (stats.requests) } }
                    tr { th { "sessions created" } td.n { (stats.sessions_created) } }
                    tr { th { "live sessions" } td.n { (stats.active_sessions) } }
                    tr { th { "sessions destroyed" } td.n { (stats.sessions_destroyed) } }
                    tr { th { "logins" } td.n { (stats.logins) } }
                    tr { th { "logouts" } td.n { (stats.logouts) } }
                    tr { th { "API-key requests" } td.n { (stats.api_key_requests) } }
                    tr { th { "connections shed" } td.n { (stats.connections_shed) } }
                }
                table #refusals {
                    tr { th colspan="2" { "refused, by reason" } }
                    @for (reason, count) in &refused {
                        tr { td { (reason) } td.n { (count) } }
                    }
                    @if refused.is_empty() {
                        tr { td.none colspan="2" { "none yet" } }
                    }
                }
                table {
                    tr { th colspan="2" { "faults" } }
                    @for (what, count) in faults {
                        tr { td { (what) } td.n { (count) } }
                    }
                }
            }
        }
    }
}

fn sessions(shared: &Shared) -> Markup {
    let ttl = shared.session_ttl();
    let registry = shared.registry();
    let live = registry
        .sessions
        .newest_live(Instant::now(), ttl, SESSIONS_SHOWN);
    let rows: Vec<(u64, u64, u64, String, f64, SystemTime)> = live
        .iter()
        .map(|(token, record, left)| {
            (
                record.id,
                record.app_id,
                record.user_id,
                masked_token(token),
                left.as_secs_f64(),
                record.created_at,
            )
        })
        .collect();
    drop(registry);
    html! {
        section #sessions {
            h2 { "Live sessions" }
            @if rows.is_empty() {
                p.none { "No live session." }
            } @else {
                table {
                    tr {
                        th { "id" } th { "application" } th { "user" } th { "token" }
                        th { "expires in (s)" } th { "created" }
                    }
                    @for (id, app, user, token, left, created) in &rows {
                        tr {
                            td.n { (id) }
                            td.n { (app) }
                            td { @if *user == 0 { "(application session)" } @else { (user) } }
                            td { code { (token) } }
                            td.n { (format!("{left:.0}")) }
                            td { (format_rfc3339(*created)) }
                        }
                    }
                }
                @if rows.len() == SESSIONS_SHOWN {
                    p.meta { "The " (SESSIONS_SHOWN) " newest are shown." }
                }
            }
        }
    }
}

fn requests(records: &[RequestRecord], capacity: usize) -> Markup {
    html! {
        section #requests {
            h2 { "Recent requests" }
            @if capacity == 0 {
                p.none { "The log is off (recent_requests is 0)." }
            } @else if records.is_empty() {
                p.none { "No request yet." }
            } @else {
                p.meta {
                    "Newest first; the last " (capacity) " are kept"
                    @if capacity > REQUESTS_SHOWN { ", the " (REQUESTS_SHOWN) " newest shown" }
                    "."
                }
                table {
                    tr {
                        th { "#" } th { "received" } th { "method" } th { "path" }
                        th { "status" } th { "outcome" } th { "ms" }
                    }
                    @for record in records.iter().rev() {
                        (request_row(record))
                    }
                }
            }
        }
    }
}

fn request_row(record: &RequestRecord) -> Markup {
    let class = match (record.refusal, record.fault) {
        (_, Some(_)) => "fault",
        (Some(_), None) => "refused",
        (None, None) => "served",
    };
    let received = format_rfc3339(record.received_at);
    let status = record
        .status
        .map_or_else(|| "dropped".to_owned(), |s| s.to_string());
    let outcome = match (record.fault, record.refusal) {
        (Some(fault), _) => format!("injected {}", fault_name(fault)),
        (None, Some(refusal)) => refusal.to_string(),
        (None, None) => "served".to_owned(),
    };
    html! {
        tr class=(class) id=(format!("request-{}", record.seq)) {
            td.n { (record.seq) }
            td title=(received) { (received.get(11..19).unwrap_or(&received)) }
            td { (record.method) }
            td { code { (record.path) } }
            td.n { (status) }
            td { (outcome) }
            td.n { (format!("{:.1}", record.elapsed.as_secs_f64() * 1000.0)) }
        }
        @if let Some(diagnosis) = &record.diagnosis {
            tr.diagnosis id=(format!("diagnosis-{}", record.seq)) {
                td colspan="7" { (diagnosis_block(diagnosis)) }
            }
        }
    }
}

fn diagnosis_block(diagnosis: &SignatureDiagnosis) -> Markup {
    html! {
        p.cause { "Why: " (diagnosis.cause) }
        div.grid {
            div {
                "The string the emulator signed (application " (diagnosis.application_id) "):"
                pre { (diagnosis.string_to_sign) }
            }
            div {
                "The parameters as received:"
                table {
                    @for (key, value) in &diagnosis.params {
                        tr { td { code { (key) } } td { code { (value) } } }
                    }
                    @if diagnosis.omitted_params > 0 {
                        tr { td.none colspan="2" { "and " (diagnosis.omitted_params) " more" } }
                    }
                }
            }
        }
    }
}

/// The first characters of a token: enough to tell sessions apart.
fn masked_token(token: &str) -> String {
    let shown: String = token.chars().take(TOKEN_SHOWN).collect();
    format!("{shown}…")
}

fn signed(secs: i64) -> String {
    format!("{secs:+}")
}

/// A session lifetime as people say it: `2 h`, `90 s`, `500 ms`.
fn lifetime(ttl: std::time::Duration) -> String {
    let secs = ttl.as_secs();
    match (secs, ttl.subsec_millis()) {
        (0, ms) => format!("{ms} ms"),
        (s, 0) if s % 3600 == 0 => format!("{} h", s / 3600),
        (s, 0) if s % 60 == 0 => format!("{} min", s / 60),
        _ => format!("{:.3} s", ttl.as_secs_f64()).replace(".000", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_as_people_say_them() {
        use std::time::Duration;
        assert_eq!(lifetime(Duration::from_secs(7200)), "2 h");
        assert_eq!(lifetime(Duration::from_secs(600)), "10 min");
        assert_eq!(lifetime(Duration::from_secs(90)), "90 s");
        assert_eq!(lifetime(Duration::from_millis(1500)), "1.500 s");
        assert_eq!(lifetime(Duration::from_millis(500)), "500 ms");
    }

    #[test]
    fn tokens_show_four_characters() {
        assert_eq!(masked_token("0123456789abcdef"), "0123…");
    }

    #[test]
    fn links_keep_the_token_encoded() {
        let links = Links {
            token: Some("a&b c"),
        };
        assert_eq!(
            links.to("/_emulator/", Some(0)),
            "/_emulator/?refresh=0&token=a%26b+c"
        );
        assert_eq!(
            Links { token: None }.to("/_emulator/stats", None),
            "/_emulator/stats"
        );
    }
}
