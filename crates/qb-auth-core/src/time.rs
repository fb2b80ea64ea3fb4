//! Parsing the time formats QuickBlox sends.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

/// Parses `QB-Token-ExpirationDate` in every format seen:
/// `2017-11-29 07:11:18 UTC`, `2017-11-09 11:57:56 +0000`, RFC 3339 and
/// HTTP dates. `None` when it is none of them.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::time::parse_expiration;
///
/// let t = UNIX_EPOCH + Duration::from_secs(1_511_939_478);
/// assert_eq!(parse_expiration("2017-11-29 07:11:18 UTC"), Some(t));
/// assert_eq!(parse_expiration("2017-11-29 07:11:18 +0000"), Some(t));
/// assert_eq!(parse_expiration("2017-11-29 09:11:18 +0200"), Some(t));
/// assert_eq!(parse_expiration("tomorrow"), None);
/// ```
pub fn parse_expiration(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let civil = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix(" GMT"))
        .map(str::trim);
    if let Some(dt) = civil.and_then(|c| fixed_datetime(c, b' ')) {
        return utc(dt);
    }
    if let Some(dt) = civil.and_then(|c| DateTime::strptime("%Y-%m-%d %H:%M:%S", c).ok()) {
        return to_system(dt.to_zoned_datetime(TimeZone::UTC).ok()?.timestamp());
    }
    if let Ok(zoned) =
        jiff::fmt::strtime::parse("%Y-%m-%d %H:%M:%S %z", text).and_then(|tm| tm.to_timestamp())
    {
        return to_system(zoned);
    }
    parse_rfc3339(text).or_else(|| parse_http_date(text))
}

/// Parses an RFC 3339 timestamp such as `2019-09-01T14:55:56Z` or
/// `2019-09-01T14:55:56+00:00`.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Some(dt) = text.strip_suffix('Z').and_then(|t| fixed_datetime(t, b'T')) {
        return utc(dt);
    }
    text.parse::<Timestamp>().ok().and_then(to_system)
}

fn to_system(ts: Timestamp) -> Option<SystemTime> {
    SystemTime::try_from(ts).ok()
}

/// A civil time in UTC as a `SystemTime`.
fn utc(dt: DateTime) -> Option<SystemTime> {
    to_system(Offset::UTC.to_timestamp(dt).ok()?)
}

/// Exactly `YYYY-MM-DD?HH:MM:SS`, `?` being `separator`, read digit by
/// digit into jiff's civil time, which checks the ranges and does the
/// calendar. Every time QuickBlox sends has this shape, and jiff's general
/// parsers (a format string to interpret, or the whole ISO 8601 grammar)
/// were most of reading a session answer (`cargo xtask bench`). Anything
/// else, a leap second among it, is `None` and left to those parsers; a
/// test holds the two to the same times.
fn fixed_datetime(text: &str, separator: u8) -> Option<DateTime> {
    let &[
        y1,
        y2,
        y3,
        y4,
        b'-',
        m1,
        m2,
        b'-',
        d1,
        d2,
        sep,
        h1,
        h2,
        b':',
        i1,
        i2,
        b':',
        s1,
        s2,
    ] = text.as_bytes()
    else {
        return None;
    };
    if sep != separator {
        return None;
    }
    let two = |tens: u8, ones: u8| -> Option<i8> {
        let (tens, ones) = (tens.wrapping_sub(b'0'), ones.wrapping_sub(b'0'));
        (tens < 10 && ones < 10).then(|| (tens * 10 + ones) as i8)
    };
    let year = i16::from(two(y1, y2)?) * 100 + i16::from(two(y3, y4)?);
    let second = two(s1, s2)?;
    if second > 59 {
        return None;
    }
    DateTime::new(
        year,
        two(m1, m2)?,
        two(d1, d2)?,
        two(h1, h2)?,
        two(i1, i2)?,
        second,
        0,
    )
    .ok()
}

/// Parses an HTTP date (`Date`, `Retry-After`), such as
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text.trim()).ok()
}

/// The last second an HTTP date can show: 9999-12-31 23:59:59 UTC.
const LAST_HTTP_DATE_SECS: u64 = 253_402_300_799;

/// Formats an HTTP date, for servers such as the emulator.
///
/// Total: an HTTP date has a four-digit year from 1970 on, so a time before
/// 1970 is written as `Thu, 01 Jan 1970 00:00:00 GMT` and a time after the
/// year 9999 as `Fri, 31 Dec 9999 23:59:59 GMT` (clamped, never a panic).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::time::format_http_date;
///
/// let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(format_http_date(t), "Tue, 14 Nov 2023 22:13:20 GMT");
/// let far = UNIX_EPOCH + Duration::from_secs(300_000_000_000);
/// assert_eq!(format_http_date(far), "Fri, 31 Dec 9999 23:59:59 GMT");
/// let before = UNIX_EPOCH - Duration::from_secs(1);
/// assert_eq!(format_http_date(before), "Thu, 01 Jan 1970 00:00:00 GMT");
/// ```
pub fn format_http_date(time: SystemTime) -> String {
    let last = UNIX_EPOCH + Duration::from_secs(LAST_HTTP_DATE_SECS);
    let clamped = if time < UNIX_EPOCH {
        UNIX_EPOCH
    } else if time > last {
        last
    } else {
        time
    };
    httpdate::fmt_http_date(clamped)
}

/// Formats a time the way QuickBlox writes `QB-Token-ExpirationDate`:
/// `2017-11-29 07:11:18 UTC`. Total: a time outside the range jiff
/// represents (about the years -9999 to 9999) is clamped to its nearest end.
pub fn format_expiration(time: SystemTime) -> String {
    clamped_timestamp(time)
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// Formats RFC 3339 with `Z`, as QuickBlox writes `created_at`. Total: a
/// time outside the range jiff represents (about the years -9999 to 9999) is
/// clamped to its nearest end.
pub fn format_rfc3339(time: SystemTime) -> String {
    clamped_timestamp(time)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `time` as a jiff timestamp, clamped to the range jiff can represent.
fn clamped_timestamp(time: SystemTime) -> Timestamp {
    Timestamp::try_from(time).unwrap_or(if time < UNIX_EPOCH {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_round_trips() {
        let t = parse_expiration("2017-11-09 11:57:56 +0000").unwrap();
        assert_eq!(format_expiration(t), "2017-11-09 11:57:56 UTC");
        assert_eq!(parse_expiration(&format_expiration(t)), Some(t));
        assert_eq!(parse_expiration(&format_http_date(t)), Some(t));
        assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
    }

    #[test]
    fn formatters_are_total() {
        let far = UNIX_EPOCH + Duration::from_secs(300_000_000_000);
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(format_http_date(far), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(format_http_date(before), "Thu, 01 Jan 1970 00:00:00 GMT");
        let last = UNIX_EPOCH + Duration::from_secs(LAST_HTTP_DATE_SECS);
        assert_eq!(format_http_date(last), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(parse_http_date(&format_http_date(last)), Some(last));
        assert_eq!(format_expiration(before), "1969-12-31 23:59:59 UTC");
        assert_eq!(format_rfc3339(before), "1969-12-31T23:59:59Z");
        let beyond = UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 1000);
        // jiff's own range ends a day short of the years' ends.
        assert_eq!(format_expiration(beyond), "9999-12-30 22:00:00 UTC");
        assert_eq!(format_rfc3339(beyond), "9999-12-30T22:00:00Z");
        let ancient = UNIX_EPOCH - Duration::from_secs(u64::from(u32::MAX) * 1000);
        assert_eq!(format_rfc3339(ancient), "-9999-01-02T01:59:59Z");
    }

    #[test]
    fn the_fixed_shape_reads_as_jiffs_parsers_read_it() {
        // Valid and invalid calendars, both separators, leap seconds,
        // the ends of the ranges: wherever the shortcut gives a time, the
        // general parser gives the same one, and where it gives none the
        // general parser decides.
        let mut checked = 0;
        for year in ["0000", "0001", "1969", "1970", "2017", "2024", "9999"] {
            for month in ["00", "01", "02", "12", "13"] {
                for day in ["00", "01", "28", "29", "30", "31", "32"] {
                    for time in [
                        "00:00:00", "07:11:18", "23:59:59", "23:59:60", "24:00:00", "12:60:00",
                    ] {
                        let civil = format!("{year}-{month}-{day} {time}");
                        let slow = DateTime::strptime("%Y-%m-%d %H:%M:%S", &civil)
                            .ok()
                            .and_then(|dt| dt.to_zoned_datetime(TimeZone::UTC).ok())
                            .and_then(|z| to_system(z.timestamp()));
                        if let Some(fast) = fixed_datetime(&civil, b' ').and_then(utc) {
                            assert_eq!(Some(fast), slow, "{civil}");
                            checked += 1;
                        }
                        let rfc = format!("{year}-{month}-{day}T{time}Z");
                        let slow = rfc.parse::<Timestamp>().ok().and_then(to_system);
                        if let Some(fast) = fixed_datetime(&rfc[..19], b'T').and_then(utc) {
                            assert_eq!(Some(fast), slow, "{rfc}");
                        }
                        assert_eq!(parse_rfc3339(&rfc), slow, "{rfc}");
                        for text in [format!("{civil} UTC"), format!(" {civil}  GMT "), rfc] {
                            assert_eq!(
                                parse_expiration(&text),
                                parse_expiration_slowly(&text),
                                "{text}"
                            );
                        }
                    }
                }
            }
        }
        assert!(checked > 200, "the shortcut took {checked} times");
        for other in [
            "2017-1-29 07:11:18",
            "2017-11-29T07:11:18",
            "２017-11-29 07:11:18",
            "",
        ] {
            assert_eq!(fixed_datetime(other, b' '), None, "{other}");
        }
    }

    /// `parse_expiration` without the shortcut, for the test above.
    fn parse_expiration_slowly(text: &str) -> Option<SystemTime> {
        let text = text.trim();
        let civil = text
            .strip_suffix(" UTC")
            .or_else(|| text.strip_suffix(" GMT"));
        if let Some(dt) = civil.and_then(|c| DateTime::strptime("%Y-%m-%d %H:%M:%S", c.trim()).ok())
        {
            return to_system(dt.to_zoned_datetime(TimeZone::UTC).ok()?.timestamp());
        }
        if let Ok(zoned) =
            jiff::fmt::strtime::parse("%Y-%m-%d %H:%M:%S %z", text).and_then(|tm| tm.to_timestamp())
        {
            return to_system(zoned);
        }
        text.parse::<Timestamp>()
            .ok()
            .and_then(to_system)
            .or_else(|| parse_http_date(text))
    }

    #[test]
    fn garbage_is_none() {
        for bad in [
            "",
            "UTC",
            "2017-13-45 99:99:99 UTC",
            "2017-11-09 11:57:56 +9999x",
        ] {
            assert_eq!(parse_expiration(bad), None, "{bad:?}");
        }
    }
}

/// Serde for `Option<SystemTime>` as an RFC 3339 string in UTC with the
/// second's fraction kept (`"2024-05-01T12:00:00.5Z"`), the shape stores and
/// users persist. Reads that, and the `{"secs_since_epoch", ...}` objects
/// that serde's own `SystemTime` form wrote before, so saved sessions keep
/// loading. Unlike that form it also writes times before 1970.
pub(crate) mod rfc3339_opt {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        time: &Option<SystemTime>,
        out: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => out.collect_str(&super::clamped_timestamp(*time)),
            None => out.serialize_none(),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Legacy {
            secs_since_epoch: u64,
            nanos_since_epoch: u32,
        },
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        input: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        match Option::<Written>::deserialize(input)? {
            None => Ok(None),
            Some(Written::Text(text)) => text
                .parse::<Timestamp>()
                .ok()
                .and_then(|ts| SystemTime::try_from(ts).ok())
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 time")),
            Some(Written::Legacy {
                secs_since_epoch,
                nanos_since_epoch,
            }) => UNIX_EPOCH
                .checked_add(Duration::new(secs_since_epoch, nanos_since_epoch))
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("a time out of range")),
        }
    }
}

/// A duration as an error message shows it: milliseconds under a second,
/// else seconds to a tenth.
pub(crate) struct Elapsed(pub(crate) Duration);

impl std::fmt::Display for Elapsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 < Duration::from_secs(1) {
            write!(f, "{} ms", self.0.as_millis())
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
    }
}
