//! Request bodies as flat parameters: `user[login]` whether it arrived as a
//! form field or as `{"user":{"login":...}}`.

use std::fmt;

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde_json::Value;
use zeroize::Zeroize;

/// The decoded parameters of one body, in arrival order. Values can hold
/// passwords and provider tokens: `Debug` shows keys only, and they are
/// wiped on drop.
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
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
    /// The same parameter twice: 400. Ambiguous, so refused rather than
    /// guessed (a client sending it has a bug worth seeing).
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
        let mut params = Self { pairs: Vec::new() };
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

    fn read_json(&mut self, body: &[u8]) -> Result<(), ParamsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            // An empty JSON body carries no parameters, like an empty form.
            return Ok(());
        }
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Err(ParamsError::InvalidJson);
        };
        for (outer, value) in map {
            match value {
                Value::Object(inner) => {
                    for (name, value) in inner {
                        if let Some(text) = scalar(value)? {
                            self.push(format!("{outer}[{name}]"), text)?;
                        }
                    }
                }
                other => {
                    if let Some(text) = scalar(other)? {
                        self.push(outer, text)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, key: String, value: String) -> Result<(), ParamsError> {
        if self.get(&key).is_some() {
            return Err(ParamsError::DuplicateParameter);
        }
        self.pairs.push((key, value));
        Ok(())
    }

    /// The value of a flat key such as `user[login]`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value, unless it is missing or blank.
    pub(crate) fn non_blank(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    /// Every pair but `signature`: what QuickBlox signs.
    pub(crate) fn signed_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != "signature")
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn sniff(body: &[u8]) -> Format {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Format::Json,
        _ => Format::Form,
    }
}

/// A JSON value as the text that was signed; `None` for `null` (absent).
fn scalar(value: Value) -> Result<Option<String>, ParamsError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => Err(ParamsError::UnsupportedJsonShape),
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
