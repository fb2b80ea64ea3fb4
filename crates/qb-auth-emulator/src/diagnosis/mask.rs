//! What of a refused request may be shown: passwords, tokens and secrets
//! masked as `***` (the core's mask), the signature cut to its start, long
//! values cut, so that a diagnosis holds no secret and stays small.

use qb_auth_core::ExposeSecret;
use qb_auth_core::signature::string_to_sign;

use crate::config::Directory;
use crate::params::Params;

/// The mask, as the core's masked string to sign writes it.
pub(crate) const MASK: &str = "***";
/// Characters of a signature shown: enough to compare, too few to use.
pub(crate) const SIGNATURE_SHOWN: usize = 8;
/// Characters of a key or value kept.
pub(crate) const MAX_TEXT: usize = 120;
/// Characters of the string to sign kept.
const MAX_STRING: usize = 2048;

/// Masks parameters against the names that hold secrets and the secrets
/// the emulator knows (a client may send its auth secret under any name).
#[derive(Debug)]
pub(crate) struct Masker<'a> {
    directory: &'a Directory,
}

impl<'a> Masker<'a> {
    pub(crate) fn new(directory: &'a Directory) -> Self {
        Self { directory }
    }

    /// The first `max` parameters as they may be shown, and how many more
    /// there were.
    pub(crate) fn params(&self, params: &Params, max: usize) -> (Vec<(String, String)>, usize) {
        let shown = params
            .pairs()
            .take(max)
            .map(|(k, v)| (cut(k, MAX_TEXT), self.value(k, v)))
            .collect();
        (shown, params.len().saturating_sub(max))
    }

    /// The string the emulator signed, with the values masked. Masking
    /// cannot reorder it: keys are unique, so the order is the keys'.
    pub(crate) fn string_to_sign(&self, params: &Params) -> String {
        let masked: Vec<(&str, String)> = params
            .signed_pairs()
            .map(|(k, v)| (k, self.value(k, v)))
            .collect();
        let string = string_to_sign(masked.iter().map(|(k, v)| (*k, v.as_str())));
        cut(&string, MAX_STRING)
    }

    /// A value as it may be shown.
    pub(crate) fn value(&self, key: &str, value: &str) -> String {
        if key == "signature" {
            return cut(value, SIGNATURE_SHOWN);
        }
        if is_secret_name(key) || self.is_known_secret(value) {
            return MASK.to_owned();
        }
        cut(value, MAX_TEXT)
    }

    /// Whether `value` is one of the secrets the emulator was given.
    fn is_known_secret(&self, value: &str) -> bool {
        let value = value.trim();
        !value.is_empty()
            && self.directory.apps.iter().any(|app| {
                [
                    Some(&app.auth_secret),
                    app.api_key.as_ref(),
                    app.account_key.as_ref(),
                ]
                .into_iter()
                .flatten()
                .any(|secret| secret.expose_secret().trim() == value)
            })
    }
}

/// Names whose values are secret wherever they appear: `user[password]`,
/// `keys[token]`, `keys[secret]`, `firebase_phone[access_token]`, and a
/// misplaced `auth_secret`.
pub(crate) fn is_secret_name(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token"]
        .iter()
        .any(|word| key.contains(word))
}

/// At most `max` characters, with `…` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;
    use crate::config::AppConfig;

    fn directory() -> Directory {
        Directory {
            apps: vec![AppConfig::new(1, "key", "TOPSECRET").api_key("APIKEY")],
            ..Directory::default()
        }
    }

    #[test]
    fn secrets_are_masked_by_name_and_by_value() {
        let directory = directory();
        let masker = Masker::new(&directory);
        let body = b"user[password]=pw&keys[token]=tk&note=TOPSECRET&other=%20APIKEY\
                     &auth_secret=x&signature=0123456789abcdef&nonce=1";
        let params = Params::decode(&HeaderMap::new(), body).unwrap();
        let (shown, omitted) = masker.params(&params, 40);
        assert_eq!(omitted, 0);
        let shown: Vec<(&str, &str)> = shown.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(
            shown,
            [
                ("user[password]", "***"),
                ("keys[token]", "***"),
                ("note", "***"),
                ("other", "***"),
                ("auth_secret", "***"),
                ("signature", "01234567…"),
                ("nonce", "1"),
            ]
        );
        let string = masker.string_to_sign(&params);
        assert_eq!(
            string,
            "auth_secret=***&keys[token]=***&nonce=1&note=***&other=***&user[password]=***"
        );
        assert!(!string.contains("TOPSECRET") && !string.contains("APIKEY"));
    }

    #[test]
    fn long_values_and_many_parameters_are_cut() {
        let directory = directory();
        let masker = Masker::new(&directory);
        let long = "é".repeat(500);
        let mut body = format!("a={long}");
        for i in 0..50 {
            body.push_str(&format!("&k{i}=v"));
        }
        let params = Params::decode(&HeaderMap::new(), body.as_bytes()).unwrap();
        let (shown, omitted) = masker.params(&params, 40);
        assert_eq!((shown.len(), omitted), (40, 11));
        assert_eq!(shown[0].1.chars().count(), MAX_TEXT + 1);
        assert!(shown[0].1.ends_with('…'));
    }
}
