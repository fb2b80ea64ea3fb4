//! The times of a success answer, read once per distinct header value.
//!
//! Every success answer to a managed request slides the session's expiry
//! by its `Date` and `QB-Token-ExpirationDate`. Both change once a second
//! at most, while a busy session gets thousands of answers a second, and
//! parsing the two dates is most of what judging an answer costs (its code
//! is cold between requests). The same header bytes parse to the same
//! times, so the last ones read are kept and compared byte for byte.

use std::sync::{Mutex, PoisonError};

use http::{HeaderMap, HeaderValue};
use qb_auth_core::lifecycle::ResponseTimes;
use qb_auth_core::response::QB_TOKEN_EXPIRATION_DATE;

/// The last `Date` and `QB-Token-ExpirationDate` read, and their times.
#[derive(Debug, Default)]
pub(crate) struct TimesCache(Mutex<Option<Last>>);

#[derive(Debug)]
struct Last {
    date: Option<HeaderValue>,
    expiration: Option<HeaderValue>,
    times: ResponseTimes,
}

impl TimesCache {
    /// What [`ResponseTimes::from_headers`] reads from `headers`.
    pub(crate) fn read(&self, headers: &HeaderMap) -> ResponseTimes {
        let date = headers.get(http::header::DATE);
        let expiration = headers.get(QB_TOKEN_EXPIRATION_DATE);
        let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(last) = last.as_ref() {
            if last.date.as_ref() == date && last.expiration.as_ref() == expiration {
                return last.times;
            }
        }
        let times = ResponseTimes::from_headers(headers);
        *last = Some(Last {
            date: date.cloned(),
            expiration: expiration.cloned(),
            times,
        });
        times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(date: &str, expiration: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::DATE, date.parse().unwrap());
        if let Some(expiration) = expiration {
            headers.insert(QB_TOKEN_EXPIRATION_DATE, expiration.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_times_are_those_of_the_headers_given() {
        let cache = TimesCache::default();
        for headers in [
            headers(
                "Sun, 29 Nov 2026 15:55:14 GMT",
                Some("2026-11-29 17:55:14 UTC"),
            ),
            headers(
                "Sun, 29 Nov 2026 15:55:14 GMT",
                Some("2026-11-29 17:55:14 UTC"),
            ),
            headers(
                "Sun, 29 Nov 2026 15:55:15 GMT",
                Some("2026-11-29 17:55:14 UTC"),
            ),
            headers("Sun, 29 Nov 2026 15:55:15 GMT", None),
            headers(
                "Sun, 29 Nov 2026 15:55:15 GMT",
                Some("2026-11-29 17:55:16 UTC"),
            ),
            HeaderMap::new(),
        ] {
            assert_eq!(cache.read(&headers), ResponseTimes::from_headers(&headers));
        }
    }
}
