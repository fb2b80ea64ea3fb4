//! The targets of issue 7, checked against what a run measured.

use crate::core_bench::CoreRow;
use crate::e2e::EndToEnd;

/// Whether one target was met, and by what measurement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) target: &'static str,
    pub(crate) measured: String,
    pub(crate) pass: bool,
}

/// The most the signature may cost, string to sign included, as a multiple of the floor.
pub(crate) const SIGN_RATIO: f64 = 1.3;
/// The most a whole create-session request may cost, as a multiple of the floor.
pub(crate) const BUILD_RATIO: f64 = 3.0;
/// The most parsing a session response may take.
pub(crate) const PARSE_SESSION_NS: f64 = 1000.0;
/// The most allocations building a request may make.
pub(crate) const BUILD_ALLOCATIONS: f64 = 8.0;
/// The most a valid token from the lifecycle may take.
pub(crate) const LIFECYCLE_NS: f64 = 100.0;
/// The fewest sessions a second over reqwest with 32 in flight.
pub(crate) const SESSIONS_PER_SEC: f64 = 10_000.0;
/// The longest 1,000 callers on an expired session may wait, all together.
pub(crate) const ALL_SERVED_MS: f64 = 50.0;

/// The target a core row is held to, if any, and whether it meets it.
pub(crate) fn core_row_check(row: &CoreRow) -> Option<(String, bool)> {
    let kind = row.id.split('_').next().unwrap_or_default();
    match kind {
        "sign" => Some((format!("≤ {SIGN_RATIO}× floor"), row.ratio() <= SIGN_RATIO)),
        "build" => Some((
            format!("≤ {BUILD_RATIO}× floor, ≤ {BUILD_ALLOCATIONS} allocs"),
            row.ratio() <= BUILD_RATIO && row.allocations <= BUILD_ALLOCATIONS,
        )),
        "parse" if row.id == "parse_session" => Some((
            format!("< {PARSE_SESSION_NS} ns"),
            row.median_ns < PARSE_SESSION_NS,
        )),
        "lifecycle" => Some((format!("< {LIFECYCLE_NS} ns"), row.median_ns < LIFECYCLE_NS)),
        _ => None,
    }
}

pub(crate) fn evaluate(core: Option<&[CoreRow]>, e2e: Option<&EndToEnd>) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    if let Some(rows) = core {
        let worst = |prefix: &str, key: &dyn Fn(&CoreRow) -> f64| {
            rows.iter()
                .filter(|r| r.id.starts_with(prefix))
                .max_by(|a, b| key(a).total_cmp(&key(b)))
        };
        // The reference rows say where the time beyond the floor goes.
        let reference = |id: &str, what: &str| {
            rows.iter()
                .find(|r| r.id == id)
                .map(|r| format!("; {what}: {:.2}×", r.ratio()))
                .unwrap_or_default()
        };
        if let Some(row) = worst("sign_", &CoreRow::ratio) {
            verdicts.push(Verdict {
                target: "signature, string to sign included: at most 1.3× the floor",
                measured: format!(
                    "worst {:.2}× ({}, the string streamed into the HMAC){}{}",
                    row.ratio(),
                    row.id,
                    reference("ref_sign_only", "signature alone over a ready string"),
                    reference(
                        "ref_sign_login_stages",
                        "string_to_sign() then sign(), login"
                    )
                ),
                pass: row.ratio() <= SIGN_RATIO,
            });
        }
        if let Some(row) = worst("build_", &CoreRow::ratio) {
            verdicts.push(Verdict {
                target: "a whole create-session request: at most 3× the floor",
                measured: format!(
                    "worst {:.2}× ({}){}",
                    row.ratio(),
                    row.id,
                    reference(
                        "ref_http_request",
                        "the http::Request alone, from ready parts"
                    )
                ),
                pass: row.ratio() <= BUILD_RATIO,
            });
        }
        if let Some(row) = worst("build_", &|r: &CoreRow| r.allocations) {
            verdicts.push(Verdict {
                target: "at most 8 allocations to build a request",
                measured: format!("worst {} ({})", row.allocations, row.id),
                pass: row.allocations <= BUILD_ALLOCATIONS,
            });
        }
        if let Some(row) = rows.iter().find(|r| r.id == "parse_session") {
            verdicts.push(Verdict {
                target: "parsing a session response: under 1 µs",
                measured: format!("{:.0} ns", row.median_ns),
                pass: row.median_ns < PARSE_SESSION_NS,
            });
        }
        if let Some(row) = rows.iter().find(|r| r.id == "lifecycle_token") {
            verdicts.push(Verdict {
                target: "a valid token from the lifecycle: under 100 ns",
                measured: format!("{:.1} ns", row.median_ns),
                pass: row.median_ns < LIFECYCLE_NS,
            });
        }
    }
    if let Some(e2e) = e2e {
        if let Some(run) = e2e.run("reqwest_32") {
            verdicts.push(Verdict {
                target: "at least 10,000 sessions/s over reqwest, 32 in flight, sharing 2 cores",
                measured: format!("{:.0} sessions/s, {} errors", run.per_sec(), run.errors),
                pass: run.per_sec() >= SESSIONS_PER_SEC && run.errors == 0,
            });
        }
        let renewal = &e2e.renewal;
        verdicts.push(Verdict {
            target: "1,000 callers on an expired session: one renewal, all served within 50 ms",
            measured: format!(
                "worst of {} rounds {:.1} ms (median {:.1} ms); {}",
                renewal.rounds.len(),
                renewal.worst_ms(),
                renewal.median_ms(),
                if renewal.one_renewal_each() {
                    "one renewal and one token each round".to_owned()
                } else {
                    let renewals: Vec<u64> = renewal.rounds.iter().map(|r| r.renewals).collect();
                    format!("renewals per round {renewals:?}")
                }
            ),
            pass: renewal.one_renewal_each() && renewal.worst_ms() <= ALL_SERVED_MS,
        });
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::e2e::renewal_for_tests;

    fn row(id: &str, median_ns: f64, floor_ns: f64, allocations: f64) -> CoreRow {
        CoreRow {
            id: id.to_owned(),
            label: id.to_owned(),
            median_ns,
            floor_ns,
            allocations,
            bytes: 0.0,
        }
    }

    #[test]
    fn each_core_target_passes_at_its_limit_and_misses_past_it() {
        let rows = [
            row("sign_app", 130.0, 100.0, 1.0),
            row("sign_login", 120.0, 100.0, 1.0),
            row("build_app_json", 300.0, 100.0, 8.0),
            row("parse_session", 999.0, 100.0, 9.0),
            row("parse_error", 5000.0, 100.0, 20.0),
            row("lifecycle_token", 99.0, 100.0, 1.0),
        ];
        let verdicts = evaluate(Some(&rows), None);
        assert_eq!(verdicts.len(), 5);
        assert!(verdicts.iter().all(|v| v.pass), "{verdicts:#?}");

        let rows = [
            row("sign_app", 131.0, 100.0, 1.0),
            row("build_app_json", 301.0, 100.0, 9.0),
            row("parse_session", 1000.0, 100.0, 9.0),
            row("lifecycle_token", 100.0, 100.0, 1.0),
        ];
        let verdicts = evaluate(Some(&rows), None);
        assert!(verdicts.iter().all(|v| !v.pass), "{verdicts:#?}");
        assert!(core_row_check(&rows[1]).is_some_and(|(_, pass)| !pass));
        assert!(core_row_check(&row("parse_error", 1.0, 1.0, 0.0)).is_none());
    }

    #[test]
    fn renewal_target_needs_one_renewal_per_round_and_the_time() {
        let ok = renewal_for_tests(&[(12.0, 1, 1, 0), (40.0, 1, 1, 0)]);
        let twice = renewal_for_tests(&[(12.0, 2, 1, 0)]);
        let slow = renewal_for_tests(&[(12.0, 1, 1, 0), (51.0, 1, 1, 0)]);
        let check = |r| evaluate(None, Some(&r)).pop().unwrap().pass;
        assert!(check(ok));
        assert!(!check(twice));
        assert!(!check(slow));
    }
}
