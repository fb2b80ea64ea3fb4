//! The benchmarks' targets, checked against what a run measured. The core's
//! are ratios to a floor timed in the same run (see `core_bench.rs`), so
//! that they hold on any machine of the class they were set on.

use crate::core_bench::CoreRow;
use crate::report::Measured;

/// Whether one target was met, and by what measurement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) target: &'static str,
    pub(crate) measured: String,
    pub(crate) pass: bool,
}

/// The most the signature may cost, string to sign included, as a multiple
/// of its floor (HMAC-SHA1 keyed from scratch over the same string).
pub(crate) const SIGN_RATIO: f64 = 1.2;
/// The most a whole create-session request may cost, as a multiple of the
/// same floor.
pub(crate) const BUILD_RATIO: f64 = 2.5;
/// The most parsing a session response may cost, as a multiple of its floor
/// (serde_json reading the same body into a plain struct).
pub(crate) const PARSE_RATIO: f64 = 3.0;
/// The most allocations building a request may make: the string to sign,
/// the body and the header map's two (`tests/allocation_limits.rs` holds
/// the same limit on every `cargo test`).
pub(crate) const BUILD_ALLOCATIONS: f64 = 4.0;
/// The most a valid token from the lifecycle may take.
pub(crate) const LIFECYCLE_NS: f64 = 100.0;
/// The fewest sessions a second over reqwest with 32 in flight.
pub(crate) const SESSIONS_PER_SEC: f64 = 10_000.0;
/// The longest 1,000 callers on an expired session may wait, all together.
pub(crate) const ALL_SERVED_MS: f64 = 50.0;
/// The longest the slowest 1% of 1,000 tasks creating a session at once may wait.
pub(crate) const BURST_P99_MS: f64 = 1000.0;
/// The most a one-shot create-session with retries on may cost over one
/// with retries off, at the median, when nothing fails ("within noise").
pub(crate) const ONESHOT_RATIO: f64 = 1.05;
/// The fewest sessions a second the emulator serves (reqwest, 32 in flight).
pub(crate) const EMULATOR_SESSIONS_PER_SEC: f64 = 20_000.0;

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
            format!("≤ {PARSE_RATIO}× floor"),
            row.ratio() <= PARSE_RATIO,
        )),
        "lifecycle" => Some((format!("< {LIFECYCLE_NS} ns"), row.median_ns < LIFECYCLE_NS)),
        _ => None,
    }
}

pub(crate) fn evaluate(measured: &Measured<'_>) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    if let Some(rows) = measured.core {
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
                target: "signature, string to sign included: at most 1.2× the floor (HMAC-SHA1 of the same string)",
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
                target: "a whole create-session request: at most 2.5× the floor (HMAC-SHA1 of its string to sign)",
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
                target: "at most 4 allocations to build a request",
                measured: format!("worst {} ({})", row.allocations, row.id),
                pass: row.allocations <= BUILD_ALLOCATIONS,
            });
        }
        if let Some(row) = rows.iter().find(|r| r.id == "parse_session") {
            verdicts.push(Verdict {
                target: "parsing a session response: at most 3× the floor (serde_json reading the same body into a plain struct)",
                measured: format!(
                    "{:.2}× ({:.0} ns against {:.0} ns)",
                    row.ratio(),
                    row.median_ns,
                    row.floor_ns
                ),
                pass: row.ratio() <= PARSE_RATIO,
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
    if let Some(e2e) = measured.e2e {
        let oneshot = &e2e.oneshot;
        if !oneshot.retries_on_us.is_empty() {
            let (on, off) = oneshot.medians_us();
            verdicts.push(Verdict {
                target: "one-shot create_session with retries on costs the same as with them off (≤ 1.05× at the median)",
                measured: format!(
                    "{on:.0} µs against {off:.0} µs: {:.3}×, {} calls each, {} errors",
                    oneshot.ratio(),
                    oneshot.retries_on_us.len(),
                    oneshot.errors
                ),
                pass: oneshot.ratio() <= ONESHOT_RATIO && oneshot.errors == 0,
            });
        }
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
    if let Some(e2e) = measured.e2e {
        let burst = &e2e.burst;
        if !burst.rounds.is_empty() {
            verdicts.push(Verdict {
                target: "1,000 reqwest tasks creating a session each at once: p99 under 1 s",
                measured: format!(
                    "p50 {:.1} ms, p99 {:.1} ms over {} rounds, {} errors",
                    burst.quantile_ms(0.5),
                    burst.quantile_ms(0.99),
                    burst.rounds.len(),
                    burst.errors
                ),
                pass: burst.quantile_ms(0.99) < BURST_P99_MS && burst.errors == 0,
            });
        }
        if let Some(run) = e2e.run("reqwest_32") {
            verdicts.push(Verdict {
                target: "the emulator serves at least 20,000 sessions/s (reqwest, 32 in flight)",
                measured: format!("{:.0} sessions/s", run.per_sec()),
                pass: run.per_sec() >= EMULATOR_SESSIONS_PER_SEC,
            });
        }
    }
    let js = measured.js_pairs();
    if !js.is_empty() {
        let ahead = js
            .iter()
            .all(|(js, ours)| ours.per_sec() > js.per_sec() && ours.errors == 0 && js.errors == 0);
        let each: Vec<String> = js
            .iter()
            .map(|(js, ours)| {
                format!(
                    "{} in flight: {:.1}× its sessions/s ({:.0} against {:.0}{})",
                    js.in_flight,
                    ours.per_sec() / js.per_sec(),
                    ours.per_sec(),
                    js.per_sec(),
                    if js.errors > 0 {
                        format!(", the SDK failed {} times", js.errors)
                    } else {
                        String::new()
                    }
                )
            })
            .collect();
        verdicts.push(Verdict {
            target: "the client outruns the official JS SDK end to end (measured in the same run)",
            measured: each.join("; "),
            pass: ahead,
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
            ratio: median_ns / floor_ns,
            allocations,
            bytes: 0.0,
        }
    }

    fn core(rows: &[CoreRow]) -> Measured<'_> {
        Measured {
            core: Some(rows),
            ..Measured::default()
        }
    }

    #[test]
    fn each_core_target_passes_at_its_limit_and_misses_past_it() {
        let rows = [
            row("sign_app", 120.0, 100.0, 1.0),
            row("sign_login", 110.0, 100.0, 1.0),
            row("build_app_json", 250.0, 100.0, 4.0),
            row("parse_session", 300.0, 100.0, 9.0),
            row("parse_error", 5000.0, 100.0, 20.0),
            row("lifecycle_token", 99.0, 100.0, 1.0),
        ];
        let verdicts = evaluate(&core(&rows));
        assert_eq!(verdicts.len(), 5);
        assert!(verdicts.iter().all(|v| v.pass), "{verdicts:#?}");

        let rows = [
            row("sign_app", 121.0, 100.0, 1.0),
            row("build_app_json", 251.0, 100.0, 5.0),
            row("parse_session", 301.0, 100.0, 9.0),
            row("lifecycle_token", 100.0, 100.0, 1.0),
        ];
        let verdicts = evaluate(&core(&rows));
        assert!(verdicts.iter().all(|v| !v.pass), "{verdicts:#?}");
        assert!(core_row_check(&rows[1]).is_some_and(|(_, pass)| !pass));
        assert!(core_row_check(&row("parse_error", 1.0, 1.0, 0.0)).is_none());
    }

    #[test]
    fn each_core_target_names_its_limit() {
        let rows = [
            row("sign_app", 1.0, 1.0, 0.0),
            row("build_app_json", 1.0, 1.0, 0.0),
            row("parse_session", 1.0, 1.0, 0.0),
        ];
        let verdicts = evaluate(&core(&rows));
        let limits = [SIGN_RATIO, BUILD_RATIO, BUILD_ALLOCATIONS, PARSE_RATIO];
        assert_eq!(verdicts.len(), limits.len());
        for (verdict, limit) in verdicts.iter().zip(limits) {
            assert!(
                verdict.target.contains(&format!("at most {limit}")),
                "{} does not say {limit}",
                verdict.target
            );
        }
    }

    #[test]
    fn renewal_target_needs_one_renewal_per_round_and_the_time() {
        let ok = renewal_for_tests(&[(12.0, 1, 1, 0), (40.0, 1, 1, 0)]);
        let twice = renewal_for_tests(&[(12.0, 2, 1, 0)]);
        let slow = renewal_for_tests(&[(12.0, 1, 1, 0), (51.0, 1, 1, 0)]);
        let check = |r| {
            let measured = Measured {
                e2e: Some(&r),
                ..Measured::default()
            };
            evaluate(&measured).pop().unwrap().pass
        };
        assert!(check(ok));
        assert!(!check(twice));
        assert!(!check(slow));
    }

    fn run(id: &str, in_flight: u32, ops: u64, errors: u64) -> crate::e2e::Throughput {
        crate::e2e::Throughput {
            id: id.to_owned(),
            label: id.to_owned(),
            in_flight,
            ops,
            errors,
            first_error: None,
            secs: 1.0,
            client_cpu_us: 10.0,
            emulator_cpu_us: 10.0,
        }
    }

    fn against_js(ours: [u64; 2], js: [u64; 2], js_errors: u64) -> Verdict {
        let mut e2e = renewal_for_tests(&[(1.0, 1, 1, 0)]);
        let baseline = run("baseline", 1, 1, 0);
        e2e.pairs = vec![
            (run("reqwest_seq", 1, ours[0], 0), baseline.clone()),
            (run("reqwest_32", 32, ours[1], 0), baseline),
        ];
        e2e.js_sdk = vec![
            run("js_sdk_1", 1, js[0], js_errors),
            run("js_sdk_32", 32, js[1], 0),
        ];
        let measured = Measured {
            e2e: Some(&e2e),
            ..Measured::default()
        };
        evaluate(&measured).pop().unwrap()
    }

    #[test]
    fn outrunning_the_js_sdk_needs_more_sessions_at_both_loads_and_no_failures() {
        let ahead = against_js([14_000, 50_000], [2_000, 8_000], 0);
        assert!(ahead.pass, "{ahead:?}");
        assert!(ahead.measured.contains("7.0× its sessions/s"), "{ahead:?}");
        assert!(!against_js([14_000, 7_000], [2_000, 8_000], 0).pass);
        let failing = against_js([14_000, 50_000], [2_000, 8_000], 3);
        assert!(!failing.pass);
        assert!(failing.measured.contains("failed 3 times"), "{failing:?}");
    }
}
