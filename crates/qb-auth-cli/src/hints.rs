//! What to do next, for each failure a user can act on.
//!
//! The hints use only what is safe to show: the masked string to sign, the
//! endpoint, the measured clock offset and the server's messages.

use std::time::SystemTime;

use qb_auth_core::{Endpoint, ErrorKind, HashAlgorithm, RetryAfter, unix_seconds};

use crate::exit::{ApiFailure, CliError, NetworkFailure};

/// How far the timestamp may be from the server's clock.
const TIMESTAMP_WINDOW_SECS: i64 = 60 * 60;

/// The longest `Retry-After` repeated as advice. Rate limits reset within
/// minutes; a longer wait is a broken or hostile header, not advice.
const PLAUSIBLE_WAIT_SECS: u64 = 24 * 60 * 60;

/// Lines of advice to print after the error itself; empty when the message
/// says it all.
pub(crate) fn next_steps(error: &CliError) -> Vec<String> {
    match error {
        CliError::Api(failure) => api(failure),
        CliError::Network(failure) => network(failure),
        CliError::Identity(_) => {
            vec!["run with --help to see the identity flags and what goes with what".into()]
        }
        _ => Vec::new(),
    }
}

fn api(failure: &ApiFailure) -> Vec<String> {
    let mut lines = Vec::new();
    match failure.error.kind() {
        ErrorKind::UnexpectedSignature => unexpected_signature(failure, &mut lines),
        ErrorKind::BadTimestamp => bad_timestamp(failure, &mut lines),
        ErrorKind::NoApplicationFound => {
            lines.push(format!(
                "no application with this id lives at {}: check --app-id, and whether the app \
                 is on a dedicated host",
                failure.endpoint
            ));
            lines.push(
                "find the host with `qb-auth account-settings --account-key KEY`, then pass its \
                 api endpoint as --endpoint"
                    .into(),
            );
        }
        ErrorKind::InvalidCredentials => {
            lines.push(
                "the login, email, password or provider token was refused; check it and run \
                 again (qb-auth does not retry, so an account is never locked by a loop)"
                    .into(),
            );
        }
        ErrorKind::SessionExpired => lines.push(
            "the token expired (2 hours after its last use) or was destroyed; create a new one \
             with `qb-auth session create`"
                .into(),
        ),
        ErrorKind::TokenRequired | ErrorKind::Unauthorized => lines.push(
            "pass a valid session token with --token or QB_TOKEN (create one with \
             `qb-auth session create`)"
                .into(),
        ),
        ErrorKind::ForbiddenNeedUser => lines.push(
            "this needs a user session: log in on the token with `qb-auth login --login L` (or \
             create the session with an identity)"
                .into(),
        ),
        ErrorKind::RateLimited => lines.push(rate_limited(failure)),
        ErrorKind::ServerError => lines
            .push("the server failed; this is not caused by your input: try again later".into()),
        ErrorKind::MalformedResponse => lines.push(not_quickblox(&failure.endpoint)),
        _ => {}
    }
    lines
}

fn unexpected_signature(failure: &ApiFailure, lines: &mut Vec<String>) {
    lines.push("QuickBlox rebuilt a different string to sign, or holds a different secret.".into());
    if let Some(signed) = &failure.signed {
        lines.push(format!(
            "the string this request signed (secrets masked), with hmac-{}:",
            signed.hash.as_str()
        ));
        lines.push(format!("  {}", signed.masked_string_to_sign));
    }
    lines.push("usual causes:".into());
    lines.push(
        "  - a wrong auth secret (compare it with the dashboard; a secret file's extra spaces \
         count)"
            .into(),
    );
    lines.push("  - an application id and auth key from different applications".into());
    lines.push(
        "  - a value changed after signing (a proxy re-encoding the body, a trimmed password)"
            .into(),
    );
    if failure
        .signed
        .as_ref()
        .is_some_and(|s| s.hash == HashAlgorithm::Sha256)
    {
        lines.push(
            "  - hashing with sha256, which this request did: QuickBlox documents sha1 only; \
             drop --hash sha256"
                .into(),
        );
    } else {
        lines.push("  - hashing with sha256 (QuickBlox documents sha1 only)".into());
    }
    lines.push(match &failure.signed {
        Some(signed) => format!(
            "to see exactly what was signed and sent, repeat the command with --dry-run \
             --nonce {} --timestamp {}",
            signed.nonce, signed.timestamp
        ),
        None => "to see exactly what is signed and sent, run `qb-auth session create \
                 --dry-run` with the same flags"
            .into(),
    });
}

fn bad_timestamp(failure: &ApiFailure, lines: &mut Vec<String>) {
    let Some(server) = failure.error.server_date() else {
        lines.push(
            "the server sent no Date header, so the clock offset could not be measured; check \
             this machine's clock (it must be within 60 minutes of the server's)"
                .into(),
        );
        return;
    };
    // `Date` has whole seconds, so compare whole seconds on both sides.
    let offset = unix_seconds(server) as i64 - unix_seconds(failure.received_at) as i64;
    lines.push(format!(
        "measured clock offset: the server's clock is {} this machine's (server Date minus \
         local clock)",
        describe_offset(offset)
    ));
    if let Some(signed) = &failure.signed {
        let signed_offset = unix_seconds(server) as i64 - signed.timestamp as i64;
        if signed_offset.abs() > TIMESTAMP_WINDOW_SECS {
            lines.push(format!(
                "the request was signed with timestamp {}, which is {} from the server's time; \
                 at most 60 minutes are accepted",
                signed.timestamp,
                human(signed_offset.abs())
            ));
        }
    }
    lines.push(format!(
        "synchronise this machine's clock (for example enable NTP), or sign with the server's \
         time: --timestamp $(( $(date +%s) {} {} )); the qb-auth libraries correct the offset \
         by themselves",
        if offset < 0 { '-' } else { '+' },
        offset.unsigned_abs()
    ));
}

fn network(failure: &NetworkFailure) -> Vec<String> {
    if failure.bad_answer() {
        return vec![not_quickblox(&failure.endpoint)];
    }
    let mut lines = vec![format!(
        "check that {} is the right --endpoint and that this machine can reach it (proxy \
         settings come from HTTPS_PROXY / HTTP_PROXY)",
        failure.endpoint
    )];
    if failure.timed_out() {
        lines.push("no answer came in time: raise --timeout if the network is slow".into());
    }
    lines
}

fn not_quickblox(endpoint: &Endpoint) -> String {
    format!(
        "{endpoint} did not answer like QuickBlox; check that --endpoint is a QuickBlox API host \
         (such as https://api.quickblox.com)"
    )
}

fn rate_limited(failure: &ApiFailure) -> String {
    let Some(after) = failure.error.retry_after() else {
        return "the plan's request rate was exceeded: wait a little and try again".into();
    };
    let secs = after_secs(after, failure.received_at).max(1);
    if secs > PLAUSIBLE_WAIT_SECS {
        "the plan's request rate was exceeded; the server's Retry-After asks for more than a \
         day, which no rate limit needs: wait a minute and try again"
            .into()
    } else {
        // At most a day, so the conversion to i64 is exact.
        let wait = human(i64::try_from(secs).unwrap_or(i64::MAX));
        format!("the plan's request rate was exceeded: wait {wait} and try again")
    }
}

fn after_secs(after: RetryAfter, now: SystemTime) -> u64 {
    after.delay_from(now).as_secs()
}

/// `+5400 s` as `1h 30m 0s ahead of`; small offsets as `in step with`.
fn describe_offset(offset: i64) -> String {
    match offset {
        0 => "in step with".into(),
        o if o > 0 => format!("{} ({o:+} s) ahead of", human(o)),
        o => format!("{} ({o:+} s) behind", human(-o)),
    }
}

fn human(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m}m {s}s")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use qb_auth_core::{Operation, check_status};

    use super::*;
    use crate::exit::SignedContext;

    fn failure(status: u16, body: &str, date: Option<SystemTime>) -> ApiFailure {
        let mut response = http::Response::builder().status(status);
        if let Some(date) = date {
            response = response.header("Date", httpdate_of(date));
        }
        let response = response.body(body.as_bytes().to_vec()).unwrap();
        let error = check_status(&response, Operation::CreateUserSession).unwrap_err();
        ApiFailure::new(error, &Endpoint::default())
    }

    fn httpdate_of(t: SystemTime) -> String {
        qb_auth_core::time::format_http_date(t)
    }

    #[test]
    fn unexpected_signature_shows_the_masked_string_and_causes() {
        let f = failure(422, r#"{"errors":{"base":["Unexpected signature"]}}"#, None).with_signed(
            SignedContext {
                masked_string_to_sign: "application_id=1&user[password]=***".into(),
                hash: HashAlgorithm::Sha256,
                timestamp: 1_700_000_000,
                nonce: 4242,
            },
        );
        let text = api(&f).join("\n");
        assert!(
            text.contains("  application_id=1&user[password]=***"),
            "{text}"
        );
        assert!(text.contains("wrong auth secret"), "{text}");
        assert!(text.contains("different applications"), "{text}");
        assert!(text.contains("changed after signing"), "{text}");
        assert!(
            text.contains("hashing with sha256, which this request did"),
            "{text}"
        );
        assert!(
            text.contains("--dry-run --nonce 4242 --timestamp 1700000000"),
            "{text}"
        );
    }

    #[test]
    fn bad_timestamp_reports_the_measured_offset() {
        let mut f = failure(
            422,
            r#"{"errors":{"base":["Bad timestamp"]}}"#,
            Some(SystemTime::now() + Duration::from_secs(5400)),
        );
        // Pin our side of the measurement so the expected text is exact.
        let server = f.error.server_date().unwrap();
        f.received_at = server - Duration::from_secs(5400);
        let f = f.with_signed(SignedContext {
            masked_string_to_sign: String::new(),
            hash: HashAlgorithm::Sha1,
            timestamp: unix_seconds(server) - 5400,
            nonce: 1,
        });
        let text = api(&f).join("\n");
        assert!(
            text.contains("the server's clock is 1h 30m 0s (+5400 s) ahead of this machine's"),
            "{text}"
        );
        assert!(
            text.contains("which is 1h 30m 0s from the server's time"),
            "{text}"
        );
    }

    #[test]
    fn bad_timestamp_without_date_says_it_cannot_measure() {
        let f = failure(422, r#"{"errors":{"base":["Bad timestamp"]}}"#, None);
        assert!(api(&f)[0].contains("no Date header"));
    }

    #[test]
    fn invalid_credentials_promise_no_loop() {
        let f = failure(401, r#"{"errors":["Unauthorized"]}"#, None);
        assert!(api(&f)[0].contains("does not retry"));
    }

    fn rate_limited_after(retry_after: &str) -> String {
        let response = http::Response::builder()
            .status(429)
            .header("Retry-After", retry_after)
            .body(Vec::new())
            .unwrap();
        let error = check_status(&response, Operation::CreateUserSession).unwrap_err();
        api(&ApiFailure::new(error, &Endpoint::default())).join("\n")
    }

    #[test]
    fn an_absurd_retry_after_gives_sane_advice() {
        let text = rate_limited_after("18446744073709551615");
        assert!(!text.contains("18446744073709551615"), "{text}");
        assert!(text.contains("more than a day"), "{text}");
        assert!(text.contains("wait a minute"), "{text}");
        let far = qb_auth_core::time::format_http_date(
            SystemTime::now() + Duration::from_secs(400 * 24 * 3600),
        );
        assert!(rate_limited_after(&far).contains("more than a day"));
        assert!(rate_limited_after("7").contains("wait 7s and try again"));
        assert!(rate_limited_after("3600").contains("wait 1h 0m 0s and try again"));
    }

    #[test]
    fn offsets_read_naturally() {
        assert_eq!(describe_offset(-75), "1m 15s (-75 s) behind");
        assert_eq!(describe_offset(0), "in step with");
        assert_eq!(human(3601), "1h 0m 1s");
    }
}
