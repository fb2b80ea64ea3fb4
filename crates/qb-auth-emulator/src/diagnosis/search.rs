//! The search: for each usual mistake, the string (or the secret) it would
//! have signed, in the order the causes are listed in the crate docs; the
//! first one whose signature is the request's is the cause.
//!
//! It costs about a hundred HMACs of the string, and runs only for a
//! refused signature with few, short parameters (see [`MAX_PARAMS`] and
//! [`MAX_LEN`]), so its time stays bounded whatever a client sends.

use std::borrow::Cow;
use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use qb_auth_core::signature::{HashAlgorithm, sign, string_to_sign, verify};
use qb_auth_core::{ExposeSecret, SecretString};
use zeroize::{Zeroize, Zeroizing};

use super::cause::{Encoding, SecretMistake, SignatureCause};
use super::mask::{MAX_TEXT, SIGNATURE_SHOWN, cut};
use crate::config::{AppConfig, Directory};
use crate::params::Params;

/// More parameters than this are not searched (QuickBlox's create-session
/// takes at most a dozen).
const MAX_PARAMS: usize = 32;
/// A longer string to sign is not searched (a Firebase ID token is about
/// a kilobyte).
const MAX_LEN: usize = 16 * 1024;
/// How far a signed timestamp may be from the sent one, either way.
const TIMESTAMP_DRIFT: i64 = 30;
/// How far a signed nonce may be from the sent one, either way.
const NONCE_DRIFT: i64 = 5;
/// The parameters every create-session has.
const BASE: [&str; 4] = ["application_id", "auth_key", "nonce", "timestamp"];
/// What `encodeURIComponent` leaves alone.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The first cause the emulator can establish for a refused signature.
pub(super) fn cause(
    app: &AppConfig,
    directory: &Directory,
    params: &Params,
    body: &[u8],
) -> SignatureCause {
    let claimed = params.get("signature").unwrap_or_default();
    let base = string_to_sign(params.signed_pairs());
    if params.len() > MAX_PARAMS || base.len() > MAX_LEN {
        return SignatureCause::NotTried;
    }
    let trimmed = claimed.trim();
    let hex = trimmed.to_ascii_lowercase();
    let algorithm = match hex.len() {
        40 => HashAlgorithm::Sha1,
        64 => HashAlgorithm::Sha256,
        _ => HashAlgorithm::Sha1,
    };
    if !matches!(hex.len(), 40 | 64) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return SignatureCause::NotHex {
            length: claimed.chars().count(),
        };
    }
    let search = Search {
        algorithm,
        claimed: &hex,
        secret: &app.auth_secret,
    };
    if search.signs(&app.auth_secret, &base) {
        // The string and the secret are right: the signature's form is not.
        return if algorithm == HashAlgorithm::Sha256 && !app.accept_sha256 {
            SignatureCause::Sha256NotAccepted
        } else if trimmed != claimed {
            SignatureCause::Padded
        } else {
            SignatureCause::UpperCase
        };
    }
    let pairs: Vec<(&str, &str)> = params.signed_pairs().collect();
    missing_or_extra(&search, &pairs, body, params.is_form())
        .or_else(|| unsorted(&search, &pairs))
        .or_else(|| encoded(&search, &pairs, body, params.is_form()))
        .or_else(|| nested_keys(&search, &pairs))
        .or_else(|| timestamp_or_nonce(&search, &pairs))
        .or_else(|| wrong_secret(&search, app, directory, &base))
        .unwrap_or_else(|| {
            let expected = sign(&app.auth_secret, &base, algorithm);
            SignatureCause::Unexplained {
                expected_prefix: expected.as_str()[..SIGNATURE_SHOWN].to_owned(),
                received_prefix: hex[..SIGNATURE_SHOWN].to_owned(),
            }
        })
}

/// A parameter's name as a cause names it: cut, as the shown parameters are.
fn shown(name: &str) -> String {
    cut(name, MAX_TEXT)
}

/// Signs candidates as the request was signed and compares.
struct Search<'a> {
    algorithm: HashAlgorithm,
    /// The request's signature, trimmed and in lower case.
    claimed: &'a str,
    secret: &'a SecretString,
}

impl Search<'_> {
    fn signs(&self, secret: &SecretString, text: &str) -> bool {
        verify(secret, text, self.algorithm, self.claimed)
    }

    /// Whether the pairs, sorted as QuickBlox sorts them, give the signature.
    fn sorted(&self, pairs: &Pairs<'_>) -> bool {
        let text = string_to_sign(pairs.0.iter().map(|(k, v)| (&**k, &**v)));
        self.signs(self.secret, &text)
    }

    /// Whether the pairs, joined in the order given, give the signature.
    fn in_order(&self, pairs: &Pairs<'_>) -> bool {
        let mut text = Zeroizing::new(String::new());
        for (i, (k, v)) in pairs.0.iter().enumerate() {
            if i > 0 {
                text.push('&');
            }
            text.push_str(k);
            text.push('=');
            text.push_str(v);
        }
        self.signs(self.secret, &text)
    }
}

/// Candidate pairs. Texts made for a candidate can hold a password, so
/// they are wiped when the candidate is dropped.
#[derive(Default)]
struct Pairs<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Pairs<'a> {
    fn borrowed(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
                .collect(),
        )
    }
}

impl Drop for Pairs<'_> {
    fn drop(&mut self) {
        for (key, value) in &mut self.0 {
            for text in [key, value] {
                if let Cow::Owned(owned) = text {
                    owned.zeroize();
                }
            }
        }
    }
}

/// Sent but not signed: each parameter, each group of nested keys, and
/// everything but the four every request has (a client that signs only its
/// application's fields). Signed but not sent: JSON nulls, which carry no
/// parameter, signed empty or as `null`.
fn missing_or_extra(
    search: &Search<'_>,
    pairs: &[(&str, &str)],
    body: &[u8],
    is_form: bool,
) -> Option<SignatureCause> {
    let mut drops: Vec<Vec<&str>> = pairs.iter().map(|(k, _)| vec![*k]).collect();
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, _) in pairs {
        if let Some((outer, _)) = key.split_once('[') {
            groups.entry(outer).or_default().push(key);
        }
    }
    drops.extend(groups.into_values().filter(|keys| keys.len() > 1));
    let extra: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !BASE.contains(k))
        .collect();
    if extra.len() > 1 && !drops.contains(&extra) {
        drops.push(extra);
    }
    for names in drops {
        let kept = Pairs::borrowed(pairs.iter().copied().filter(|(k, _)| !names.contains(k)));
        if search.sorted(&kept) {
            return Some(SignatureCause::NotSigned {
                names: names.into_iter().map(shown).collect(),
            });
        }
    }
    if is_form {
        return None;
    }
    let nulls = json_nulls(body);
    let mut tries: Vec<Vec<&str>> = nulls.iter().map(|n| vec![n.as_str()]).collect();
    if nulls.len() > 1 {
        tries.push(nulls.iter().map(String::as_str).collect());
    }
    for names in tries {
        for signed_as in ["", "null"] {
            let mut with = Pairs::borrowed(pairs.iter().copied());
            with.0.extend(
                names
                    .iter()
                    .map(|n| (Cow::Borrowed(*n), Cow::Borrowed(signed_as))),
            );
            if search.sorted(&with) {
                return Some(SignatureCause::SignedNotSent {
                    names: names.iter().map(|n| shown(n)).collect(),
                });
            }
        }
    }
    None
}

/// The keys a JSON body set to `null` (at most eight), flattened as the
/// parameters are.
fn json_nulls(body: &[u8]) -> Vec<String> {
    let Ok(serde_json::Value::Object(root)) = serde_json::from_slice(body) else {
        return Vec::new();
    };
    let mut nulls = Vec::new();
    for (key, value) in &root {
        match value {
            serde_json::Value::Null => nulls.push(key.clone()),
            serde_json::Value::Object(inner) => nulls.extend(
                inner
                    .iter()
                    .filter(|(_, v)| v.is_null())
                    .map(|(name, _)| format!("{key}[{name}]")),
            ),
            _ => {}
        }
    }
    nulls.truncate(8);
    nulls
}

/// Signed in the order sent (a hand-written signer that never sorts).
fn unsorted(search: &Search<'_>, pairs: &[(&str, &str)]) -> Option<SignatureCause> {
    // Sent in sorted order, this is the string already refused.
    let sent = Pairs::borrowed(pairs.iter().copied());
    search.in_order(&sent).then_some(SignatureCause::NotSorted)
}

/// Values signed otherwise encoded than the body carries them.
fn encoded(
    search: &Search<'_>,
    pairs: &[(&str, &str)],
    body: &[u8],
    is_form: bool,
) -> Option<SignatureCause> {
    let percent = |t: &str| utf8_percent_encode(t, COMPONENT).to_string();
    let mut ways: Vec<(Encoding, Pairs<'_>)> = Vec::new();
    if is_form {
        let raw = raw_form(body);
        ways.push((
            Encoding::AsInBody,
            Pairs(
                pairs
                    .iter()
                    .map(|&(k, v)| match raw.get(k) {
                        Some((rk, rv)) => (Cow::Owned(rk.clone()), Cow::Owned(rv.clone())),
                        None => (Cow::Borrowed(k), Cow::Borrowed(v)),
                    })
                    .collect(),
            ),
        ));
    }
    let each_value = |f: &dyn Fn(&str) -> String| {
        Pairs(
            pairs
                .iter()
                .map(|&(k, v)| (Cow::Borrowed(k), Cow::Owned(f(v))))
                .collect(),
        )
    };
    ways.push((Encoding::Percent, each_value(&percent)));
    ways.push((
        Encoding::Form,
        each_value(&|v| form_urlencoded::byte_serialize(v.as_bytes()).collect()),
    ));
    ways.push((
        Encoding::KeysAndValues,
        Pairs(
            pairs
                .iter()
                .map(|&(k, v)| (Cow::Owned(percent(k)), Cow::Owned(percent(v))))
                .collect(),
        ),
    ));
    ways.push((
        Encoding::DecodedTwice,
        each_value(&|v| percent_decode_str(v).decode_utf8_lossy().into_owned()),
    ));
    ways.push((Encoding::Trimmed, each_value(&|v| v.trim().to_owned())));
    for (how, candidate) in ways {
        let names: Vec<String> = pairs
            .iter()
            .zip(&candidate.0)
            .filter(|((k, v), (ck, cv))| k != ck || v != cv)
            .map(|((k, _), _)| shown(k))
            .collect();
        if !names.is_empty() && search.sorted(&candidate) {
            return Some(SignatureCause::Encoded { how, names });
        }
    }
    None
}

/// Each key of a form body (decoded) with its key and value as written,
/// still percent-encoded.
fn raw_form(body: &[u8]) -> BTreeMap<String, (String, String)> {
    let mut raw = BTreeMap::new();
    for segment in body.split(|&b| b == b'&').filter(|s| !s.is_empty()) {
        let (key, value) = match segment.iter().position(|&b| b == b'=') {
            Some(at) => (&segment[..at], &segment[at + 1..]),
            None => (segment, &b""[..]),
        };
        let decoded: String = form_urlencoded::parse(segment)
            .next()
            .map(|(k, _)| k.into_owned())
            .unwrap_or_default();
        raw.insert(
            decoded,
            (
                String::from_utf8_lossy(key).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            ),
        );
    }
    raw
}

/// Nested keys written flat: `user[login]` signed as `user.login` or as
/// `login`, or sent as `user.login` and signed as `user[login]`.
fn nested_keys(search: &Search<'_>, pairs: &[(&str, &str)]) -> Option<SignatureCause> {
    fn bracketed(key: &str) -> Option<(&str, &str)> {
        let (outer, rest) = key.split_once('[')?;
        Some((outer, rest.strip_suffix(']')?))
    }
    let ways: [fn(&str) -> Option<String>; 3] = [
        |k| bracketed(k).map(|(outer, inner)| format!("{outer}.{inner}")),
        |k| bracketed(k).map(|(_, inner)| inner.to_owned()),
        |k| {
            let (outer, inner) = k.split_once('.')?;
            Some(format!("{outer}[{inner}]"))
        },
    ];
    for rewrite in ways {
        let mut first = None;
        let candidate = Pairs(
            pairs
                .iter()
                .map(|&(k, v)| match rewrite(k) {
                    Some(signed) => {
                        first.get_or_insert_with(|| (k.to_owned(), signed.clone()));
                        (Cow::Owned(signed), Cow::Borrowed(v))
                    }
                    None => (Cow::Borrowed(k), Cow::Borrowed(v)),
                })
                .collect(),
        );
        if let Some((sent, signed)) = first {
            if search.sorted(&candidate) {
                return Some(SignatureCause::NestedKey {
                    sent: shown(&sent),
                    signed: shown(&signed),
                });
            }
        }
    }
    None
}

/// A timestamp a few seconds off (the clock read twice), or a nonce a few
/// apart (drawn twice, or counted on between signing and sending).
fn timestamp_or_nonce(search: &Search<'_>, pairs: &[(&str, &str)]) -> Option<SignatureCause> {
    let number = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.trim().parse::<i64>().ok())
    };
    let with = |name: &str, value: i64| {
        Pairs(
            pairs
                .iter()
                .map(|&(k, v)| {
                    if k == name {
                        (Cow::Borrowed(k), Cow::Owned(value.to_string()))
                    } else {
                        (Cow::Borrowed(k), Cow::Borrowed(v))
                    }
                })
                .collect(),
        )
    };
    let near = |sent: i64, drift: i64| {
        (1..=drift)
            .flat_map(move |d| [sent.checked_sub(d), sent.checked_add(d)])
            .flatten()
    };
    if let Some(sent) = number("timestamp") {
        for signed in near(sent, TIMESTAMP_DRIFT) {
            if search.sorted(&with("timestamp", signed)) {
                return Some(SignatureCause::TimestampDiffers { sent, signed });
            }
        }
    }
    if let Some(sent) = number("nonce") {
        for signed in near(sent, NONCE_DRIFT) {
            if search.sorted(&with("nonce", signed)) {
                return Some(SignatureCause::NonceDiffers { sent, signed });
            }
        }
    }
    None
}

/// The right string under a wrong secret: the auth key, the secret with a
/// line break or white space, another application's, an empty one.
fn wrong_secret(
    search: &Search<'_>,
    app: &AppConfig,
    directory: &Directory,
    base: &str,
) -> Option<SignatureCause> {
    let secret = app.auth_secret.expose_secret();
    let mut tries: Vec<(SecretMistake, SecretString)> = vec![
        (SecretMistake::AuthKey, app.auth_key.as_str().into()),
        (SecretMistake::LineBreak, format!("{secret}\n").into()),
        (SecretMistake::LineBreak, format!("{secret}\r\n").into()),
        (SecretMistake::Whitespace, format!(" {secret}").into()),
        (SecretMistake::Whitespace, format!("{secret} ").into()),
        (SecretMistake::Empty, "".into()),
    ];
    if secret.trim() != secret {
        tries.push((SecretMistake::Whitespace, secret.trim().into()));
    }
    tries.extend(
        directory
            .apps
            .iter()
            .filter(|other| other.id != app.id)
            .map(|other| {
                (
                    SecretMistake::OtherApplication(other.id),
                    other.auth_secret.clone(),
                )
            }),
    );
    tries
        .into_iter()
        .find(|(_, wrong)| search.signs(wrong, base))
        .map(|(mistake, _)| SignatureCause::WrongSecret(mistake))
}
