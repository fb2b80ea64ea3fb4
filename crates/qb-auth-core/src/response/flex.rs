//! Lenient field readers: QuickBlox sends some numbers as strings and some
//! strings as numbers, depending on the endpoint and the era. Numbers and
//! times are read straight from what the parser hands over, so a field
//! that is not kept as text costs no allocation.

use std::fmt;
use std::marker::PhantomData;
use std::time::SystemTime;

use serde::de::{self, Deserializer, Visitor};

use crate::time::parse_rfc3339;

/// A JSON number or string, kept as text.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(Flex(PhantomData::<Text>))
}

/// A JSON number or numeric string, as `u64`; `null` is `None`; anything
/// else is an error.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(Flex(PhantomData::<Whole>))
}

/// A JSON number or numeric string, as `i64`; anything else (null, a
/// fraction, text) is `None`, not an error: for fields only shown.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(Flex(PhantomData::<Lenient>))
}

/// An RFC 3339 time; anything else (null, a number, other text) is `None`,
/// not an error: for fields only shown.
pub(crate) fn lenient_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SystemTime>, D::Error> {
    d.deserialize_any(Flex(PhantomData::<Time>))
}

/// What a field becomes from each shape of JSON value. Numbers arrive as
/// `u64`, `i64` or `f64` (serde_json's choice), strings borrowed or owned.
trait Reading: Sized {
    type Value;
    fn unsigned<E: de::Error>(v: u64) -> Result<Option<Self::Value>, E>;
    fn signed<E: de::Error>(v: i64) -> Result<Option<Self::Value>, E>;
    fn float<E: de::Error>(v: f64) -> Result<Option<Self::Value>, E>;
    fn text<E: de::Error>(v: &str) -> Result<Option<Self::Value>, E>;
    fn owned_text<E: de::Error>(v: String) -> Result<Option<Self::Value>, E> {
        Self::text(&v)
    }
    fn boolean<E: de::Error>(v: bool) -> Result<Option<Self::Value>, E>;
}

/// The whole number a float stands for, if it stands for one exactly
/// enough to be an id or a timestamp.
fn whole(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v.abs() < 1e15).then_some(v as i64)
}

struct Text;

impl Reading for Text {
    type Value = String;
    fn unsigned<E: de::Error>(v: u64) -> Result<Option<String>, E> {
        Ok(Some(itoa::Buffer::new().format(v).to_owned()))
    }
    fn signed<E: de::Error>(v: i64) -> Result<Option<String>, E> {
        Ok(Some(itoa::Buffer::new().format(v).to_owned()))
    }
    fn float<E: de::Error>(v: f64) -> Result<Option<String>, E> {
        Ok(Some(match whole(v) {
            Some(n) => itoa::Buffer::new().format(n).to_owned(),
            None => v.to_string(),
        }))
    }
    fn text<E: de::Error>(v: &str) -> Result<Option<String>, E> {
        Ok(Some(v.to_owned()))
    }
    fn owned_text<E: de::Error>(v: String) -> Result<Option<String>, E> {
        Ok(Some(v))
    }
    fn boolean<E: de::Error>(v: bool) -> Result<Option<String>, E> {
        Ok(Some(v.to_string()))
    }
}

struct Whole;

impl Whole {
    fn refuse<E: de::Error>() -> E {
        E::custom("expected a non-negative whole number")
    }
}

impl Reading for Whole {
    type Value = u64;
    fn unsigned<E: de::Error>(v: u64) -> Result<Option<u64>, E> {
        Ok(Some(v))
    }
    fn signed<E: de::Error>(v: i64) -> Result<Option<u64>, E> {
        u64::try_from(v).map(Some).map_err(|_| Self::refuse())
    }
    fn float<E: de::Error>(v: f64) -> Result<Option<u64>, E> {
        let n = whole(v).ok_or_else(Self::refuse)?;
        Self::signed(n)
    }
    fn text<E: de::Error>(v: &str) -> Result<Option<u64>, E> {
        v.trim().parse().map(Some).map_err(|_| Self::refuse())
    }
    fn boolean<E: de::Error>(_: bool) -> Result<Option<u64>, E> {
        Err(Self::refuse())
    }
}

struct Lenient;

impl Reading for Lenient {
    type Value = i64;
    fn unsigned<E: de::Error>(v: u64) -> Result<Option<i64>, E> {
        Ok(i64::try_from(v).ok())
    }
    fn signed<E: de::Error>(v: i64) -> Result<Option<i64>, E> {
        Ok(Some(v))
    }
    fn float<E: de::Error>(v: f64) -> Result<Option<i64>, E> {
        Ok(whole(v))
    }
    fn text<E: de::Error>(v: &str) -> Result<Option<i64>, E> {
        Ok(v.trim().parse().ok())
    }
    fn boolean<E: de::Error>(_: bool) -> Result<Option<i64>, E> {
        Ok(None)
    }
}

struct Time;

impl Reading for Time {
    type Value = SystemTime;
    fn unsigned<E: de::Error>(_: u64) -> Result<Option<SystemTime>, E> {
        Ok(None)
    }
    fn signed<E: de::Error>(_: i64) -> Result<Option<SystemTime>, E> {
        Ok(None)
    }
    fn float<E: de::Error>(_: f64) -> Result<Option<SystemTime>, E> {
        Ok(None)
    }
    fn text<E: de::Error>(v: &str) -> Result<Option<SystemTime>, E> {
        Ok(parse_rfc3339(v))
    }
    fn boolean<E: de::Error>(_: bool) -> Result<Option<SystemTime>, E> {
        Ok(None)
    }
}

/// Any JSON value but an array or object, read as `R` says.
struct Flex<R>(PhantomData<R>);

impl<'de, R: Reading> Visitor<'de> for Flex<R> {
    type Value = Option<R::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number or null")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        R::unsigned(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        R::signed(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        R::float(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        R::text(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        R::owned_text(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        R::boolean(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Fields {
        #[serde(default, deserialize_with = "opt_text")]
        text: Option<String>,
        #[serde(default, deserialize_with = "opt_u64")]
        id: Option<u64>,
        #[serde(default, deserialize_with = "lenient_i64")]
        ts: Option<i64>,
        #[serde(default, deserialize_with = "lenient_time")]
        at: Option<SystemTime>,
    }

    fn read(json: &str) -> Result<Fields, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_and_numeric_strings_are_read_alike() {
        for json in [
            r#"{"text":42,"id":42,"ts":42}"#,
            r#"{"text":"42","id":"42","ts":"42"}"#,
            r#"{"text":42.0,"id":42.0,"ts":42.0}"#,
            r#"{"text":"42","id":" 42 ","ts":" 42 "}"#,
        ] {
            let fields = read(json).unwrap();
            assert_eq!(fields.text.as_deref(), Some("42"), "{json}");
            assert_eq!((fields.id, fields.ts), (Some(42), Some(42)), "{json}");
        }
        let escaped = read(r#"{"text":"a\"b","id":"\u0034\u0032"}"#).unwrap();
        assert_eq!(
            (escaped.text.as_deref(), escaped.id),
            (Some("a\"b"), Some(42))
        );
    }

    #[test]
    fn an_id_that_is_no_whole_number_is_an_error() {
        for json in [
            r#"{"id":-1}"#,
            r#"{"id":1.5}"#,
            r#"{"id":"x"}"#,
            r#"{"id":true}"#,
            r#"{"id":1e20}"#,
            r#"{"id":[1]}"#,
        ] {
            assert!(read(json).is_err(), "{json}");
        }
        let absent = read(r#"{"id":null}"#).unwrap();
        assert_eq!(absent.id, None);
    }

    #[test]
    fn fields_only_shown_are_none_when_unreadable() {
        let fields = read(r#"{"ts":"soon","at":"yesterday","text":null}"#).unwrap();
        assert_eq!((fields.ts, fields.at, fields.text), (None, None, None));
        let fields = read(r#"{"ts":1.5,"at":1567349756}"#).unwrap();
        assert_eq!((fields.ts, fields.at), (None, None));
        let fields = read(r#"{"ts":-7,"at":"2019-09-01T14:55:56Z"}"#).unwrap();
        assert_eq!(fields.ts, Some(-7));
        assert_eq!(
            fields.at,
            Some(UNIX_EPOCH + Duration::from_secs(1_567_349_756))
        );
    }
}
