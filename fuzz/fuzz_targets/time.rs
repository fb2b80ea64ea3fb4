//! The date parsers of `qb_auth_core::time`, and `token_expiration` and
//! `server_date`, which read them from headers.
//!
//! Input: the text of a date, as it would come in `QB-Token-ExpirationDate`,
//! `Date` or `created_at`.
//!
//! Asserts, beyond not panicking:
//! - the headers give what the parsers give for the same text;
//! - `parse_expiration` accepts whatever `parse_rfc3339` or
//!   `parse_http_date` accepts, as the same time;
//! - formatting a parsed time does not panic and ignores fractions of a
//!   second, in any year;
//! - from 1970 to 9999, every format reads back as the same time to the
//!   second (`format_http_date` panics outside that range: reported, see
//!   the fuzzing notes in README.md).

#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, header::DATE};
use libfuzzer_sys::fuzz_target;
use qb_auth_core::response::QB_TOKEN_EXPIRATION_DATE;
use qb_auth_core::time::{
    format_expiration, format_http_date, format_rfc3339, parse_expiration, parse_http_date,
    parse_rfc3339,
};
use qb_auth_core::{server_date, token_expiration};

/// 10000-01-01T00:00:00Z.
const YEAR_10000: Duration = Duration::from_secs(253_402_300_800);

fuzz_target!(|data: &[u8]| {
    let header = HeaderValue::from_bytes(data).ok();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let expiration = parse_expiration(text);
    let rfc3339 = parse_rfc3339(text);
    let http_date = parse_http_date(text);

    // Headers that are text at all are read with the same parsers.
    if let Some(value) = header.filter(|v| v.to_str().is_ok()) {
        let mut headers = HeaderMap::new();
        headers.insert(QB_TOKEN_EXPIRATION_DATE, value.clone());
        headers.insert(DATE, value);
        assert_eq!(token_expiration(&headers), expiration);
        assert_eq!(server_date(&headers), http_date);
    }

    if rfc3339.is_some() || http_date.is_some() {
        assert_eq!(expiration, rfc3339.or(http_date));
    }

    for time in [expiration, rfc3339, http_date].into_iter().flatten() {
        let second = floor_second(time);
        let expiration_text = format_expiration(time);
        let rfc3339_text = format_rfc3339(time);
        assert_eq!(format_expiration(second), expiration_text);
        assert_eq!(format_rfc3339(second), rfc3339_text);

        // Reading back needs four-digit years; HTTP dates also start in
        // 1970 (httpdate panics outside). QuickBlox's dates are all in there.
        if (UNIX_EPOCH..UNIX_EPOCH + YEAR_10000).contains(&time) {
            let http_text = format_http_date(time);
            assert_eq!(format_http_date(second), http_text);
            for text in [&expiration_text, &rfc3339_text, &http_text] {
                assert_eq!(parse_expiration(text), Some(second), "{text}");
            }
            assert_eq!(parse_rfc3339(&rfc3339_text), Some(second));
            assert_eq!(parse_http_date(&http_text), Some(second));
        }
    }
});

/// `time` without its fraction of a second, rounded down (also before 1970),
/// as the formats write it.
fn floor_second(time: SystemTime) -> SystemTime {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => UNIX_EPOCH + Duration::from_secs(after.as_secs()),
        Err(before) => {
            let before = before.duration();
            let whole = before.as_secs() + u64::from(before.subsec_nanos() > 0);
            UNIX_EPOCH - Duration::from_secs(whole)
        }
    }
}
