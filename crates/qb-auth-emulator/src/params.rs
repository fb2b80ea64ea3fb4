//! Request bodies as flat parameters: `user[login]` whether it arrived as a
//! form field or as `{"user":{"login":...}}`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, Visitor};
use zeroize::Zeroize;

/// The decoded parameters of one body, in arrival order. Values can hold
/// passwords and provider tokens: `Debug` shows keys only, and they are
/// wiped on drop.
pub(crate) struct Params {
    format: Format,
    pairs: Vec<(String, String)>,
    /// Key to position in `pairs`: duplicate checks and look-ups in constant
    /// time, so a body of many keys costs linear time.
    index: HashMap<String, usize>,
}

/// Why a body could not be read as parameters; each maps to one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamsError {
    /// A content type other than JSON or form: 415.
    UnsupportedContentType,
    /// Not JSON, or JSON that is not an object: 400.
    InvalidJson,
    /// A JSON array, or objects nested more than one level: 400.
    UnsupportedJsonShape,
    /// The same parameter twice, in a form or in JSON (a repeated key, or
    /// `"user[login]"` beside `"user":{"login":...}`): 400. Ambiguous, so
    /// refused rather than guessed (a client sending it has a bug worth
    /// seeing).
    DuplicateParameter,
}

impl ParamsError {
    /// The message put in `{"errors":{"base":[...]}}`. Never quotes the body.
    pub(crate) const fn message(self) -> &'static str {
        match self {
            Self::UnsupportedContentType => {
                "Unsupported content type: send application/json or application/x-www-form-urlencoded"
            }
            Self::InvalidJson => "Malformed JSON body: expected one JSON object",
            Self::UnsupportedJsonShape => {
                "Unsupported JSON body: values must be strings, numbers, booleans or objects of those"
            }
            Self::DuplicateParameter => "Duplicate parameter",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Form,
}

impl Params {
    /// Reads a body by its `Content-Type`; without one, a body starting
    /// with `{` is JSON and anything else a form.
    pub(crate) fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Self, ParamsError> {
        let format = match headers.get(CONTENT_TYPE).map(|v| v.to_str()) {
            None => sniff(body),
            Some(Ok(value)) => {
                let media = value.split(';').next().unwrap_or_default().trim();
                if media.eq_ignore_ascii_case("application/json") {
                    Format::Json
                } else if media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                    Format::Form
                } else if media.is_empty() {
                    sniff(body)
                } else {
                    return Err(ParamsError::UnsupportedContentType);
                }
            }
            Some(Err(_)) => return Err(ParamsError::UnsupportedContentType),
        };
        let mut params = Self {
            format,
            pairs: Vec::new(),
            index: HashMap::new(),
        };
        match format {
            Format::Form => {
                for (key, value) in form_urlencoded::parse(body) {
                    params.push(key.into_owned(), value.into_owned())?;
                }
            }
            Format::Json => params.read_json(body)?,
        }
        Ok(params)
    }

    /// Reads one JSON object straight from the text, so that a repeated
    /// key is seen (a parsed map would keep only the last value).
    fn read_json(&mut self, body: &[u8]) -> Result<(), ParamsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            // An empty JSON body carries no parameters, like an empty form.
            return Ok(());
        }
        let mut failure = None;
        let mut reader = serde_json::Deserializer::from_slice(body);
        let read = reader
            .deserialize_map(Outer {
                params: self,
                failure: &mut failure,
            })
            .and_then(|()| reader.end());
        match read {
            Ok(()) => Ok(()),
            Err(_) => Err(failure.unwrap_or(ParamsError::InvalidJson)),
        }
    }

    fn push(&mut self, key: String, value: String) -> Result<(), ParamsError> {
        match self.index.entry(key) {
            Entry::Occupied(_) => Err(ParamsError::DuplicateParameter),
            Entry::Vacant(slot) => {
                self.pairs.push((slot.key().clone(), value));
                slot.insert(self.pairs.len() - 1);
                Ok(())
            }
        }
    }

    /// The value of a flat key such as `user[login]`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        let at = *self.index.get(key)?;
        self.pairs.get(at).map(|(_, v)| v.as_str())
    }

    /// The value, unless it is missing or blank.
    pub(crate) fn non_blank(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    /// Whether the body was a form (else JSON).
    pub(crate) fn is_form(&self) -> bool {
        self.format == Format::Form
    }

    /// Every pair, `signature` included, in arrival order.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many parameters there are, `signature` included.
    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Every pair but `signature`: what QuickBlox signs.
    pub(crate) fn signed_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != "signature")
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The top-level JSON object: scalars become `key`, objects `key[name]`.
struct Outer<'p> {
    params: &'p mut Params,
    failure: &'p mut Option<ParamsError>,
}

/// A value of the top-level object, under `key`.
struct OuterValue<'p> {
    params: &'p mut Params,
    failure: &'p mut Option<ParamsError>,
    key: String,
}

/// A value inside a nested object: scalars only.
struct Scalar<'p> {
    failure: &'p mut Option<ParamsError>,
}

/// Records why the JSON was refused, and stops the parse.
fn refuse<E: de::Error>(failure: &mut Option<ParamsError>, why: ParamsError) -> E {
    failure.get_or_insert(why);
    E::custom(why.message())
}

impl<'de> Visitor<'de> for Outer<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(refuse(self.failure, ParamsError::DuplicateParameter));
            }
            map.next_value_seed(OuterValue {
                params: self.params,
                failure: self.failure,
                key,
            })?;
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for OuterValue<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl OuterValue<'_> {
    fn scalar<E: de::Error>(self, text: Option<String>) -> Result<(), E> {
        match text {
            // `null` is an absent parameter.
            None => Ok(()),
            Some(text) => self
                .params
                .push(self.key, text)
                .map_err(|why| refuse(self.failure, why)),
        }
    }
}

/// The text a JSON scalar was signed as: numbers as JSON prints them.
macro_rules! scalar_visits {
    () => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            self.scalar(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.scalar(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.scalar(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            self.scalar(serde_json::Number::from_f64(v).map(|n| n.to_string()))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            self.scalar(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            self.scalar(Some(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.scalar(None)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(mut self, _seq: A) -> Result<Self::Value, A::Error> {
            Err(refuse(self.failure(), ParamsError::UnsupportedJsonShape))
        }
    };
}

impl<'de> Visitor<'de> for OuterValue<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean, null or object")
    }

    scalar_visits!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if !seen.insert(name.clone()) {
                return Err(refuse(self.failure, ParamsError::DuplicateParameter));
            }
            let value = map.next_value_seed(Scalar {
                failure: self.failure,
            })?;
            if let Some(value) = value {
                let key = format!("{}[{name}]", self.key);
                self.params
                    .push(key, value)
                    .map_err(|why| refuse(self.failure, why))?;
            }
        }
        Ok(())
    }
}

impl OuterValue<'_> {
    fn failure(&mut self) -> &mut Option<ParamsError> {
        self.failure
    }
}

impl<'de> DeserializeSeed<'de> for Scalar<'_> {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Scalar<'_> {
    #[allow(clippy::unnecessary_wraps)]
    fn scalar<E: de::Error>(self, text: Option<String>) -> Result<Option<String>, E> {
        Ok(text)
    }

    fn failure(&mut self) -> &mut Option<ParamsError> {
        self.failure
    }
}

impl<'de> Visitor<'de> for Scalar<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }

    scalar_visits!();

    fn visit_map<A: MapAccess<'de>>(mut self, _map: A) -> Result<Self::Value, A::Error> {
        Err(refuse(self.failure(), ParamsError::UnsupportedJsonShape))
    }
}

fn sniff(body: &[u8]) -> Format {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Format::Json,
        _ => Format::Form,
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.pairs.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Drop for Params {
    fn drop(&mut self) {
        for (key, value) in &mut self.pairs {
            key.zeroize();
            value.zeroize();
        }
        for (mut key, _) in self.index.drain() {
            key.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, content_type.parse().unwrap());
        h
    }

    fn pairs(p: &Params) -> Vec<(&str, &str)> {
        p.signed_pairs().collect()
    }

    #[test]
    fn form_decodes_percent_plus_and_brackets() {
        let body = b"user%5Blogin%5D=alice&user[password]=p%40ss+word%261%3D2&signature=ab";
        let p = Params::decode(
            &headers("application/x-www-form-urlencoded; charset=UTF-8"),
            body,
        )
        .unwrap();
        assert_eq!(
            pairs(&p),
            [
                ("user[login]", "alice"),
                ("user[password]", "p@ss word&1=2")
            ]
        );
        assert_eq!(p.get("signature"), Some("ab"));
        assert_eq!(
            format!("{p:?}"),
            r#"["user[login]", "user[password]", "signature"]"#
        );
    }

    #[test]
    fn json_flattens_one_level_and_prints_numbers() {
        let body =
            br#"{"application_id":12345,"nonce":"42","user":{"login":"a","x":null},"ok":true}"#;
        let p = Params::decode(&headers("application/json"), body).unwrap();
        // Object order is serde_json's business; signing sorts anyway.
        let mut got = pairs(&p);
        got.sort_unstable();
        assert_eq!(
            got,
            [
                ("application_id", "12345"),
                ("nonce", "42"),
                ("ok", "true"),
                ("user[login]", "a")
            ]
        );
    }

    #[test]
    fn shapes_and_types_are_checked() {
        let json = headers("application/json");
        let err = |h: &HeaderMap, b: &[u8]| Params::decode(h, b).unwrap_err();
        assert_eq!(err(&json, b"{"), ParamsError::InvalidJson);
        assert_eq!(err(&json, b"[1]"), ParamsError::InvalidJson);
        assert_eq!(
            err(&json, br#"{"a":[1]}"#),
            ParamsError::UnsupportedJsonShape
        );
        assert_eq!(
            err(&json, br#"{"a":{"b":{"c":1}}}"#),
            ParamsError::UnsupportedJsonShape
        );
        assert_eq!(
            err(&json, br#"{"a[b]":1,"a":{"b":2}}"#),
            ParamsError::DuplicateParameter
        );
        assert_eq!(
            err(&json, br#"{"a":1,"b":2,"a":3}"#),
            ParamsError::DuplicateParameter
        );
        assert_eq!(
            err(&json, br#"{"a":{"b":1,"b":1}}"#),
            ParamsError::DuplicateParameter
        );
        assert_eq!(err(&json, br#"{"a":1} {"b":2}"#), ParamsError::InvalidJson);
        assert_eq!(
            err(&headers("text/plain"), b"a=1"),
            ParamsError::UnsupportedContentType
        );
        assert_eq!(
            err(&headers("application/x-www-form-urlencoded"), b"a=1&a=2"),
            ParamsError::DuplicateParameter
        );
        assert!(Params::decode(&json, b"  ").unwrap().get("a").is_none());
    }

    #[test]
    fn missing_content_type_is_sniffed() {
        let none = HeaderMap::new();
        assert_eq!(
            Params::decode(&none, br#" {"a":"1"}"#).unwrap().get("a"),
            Some("1")
        );
        assert_eq!(Params::decode(&none, b"a=1").unwrap().get("a"), Some("1"));
    }
}
