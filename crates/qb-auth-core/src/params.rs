//! One typed parameter set per request, from which both the string to sign
//! and the body are written, so the two can never disagree.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::credentials::{AppCredentials, IdentityInner};
use crate::nonce::SigningInput;

/// A parameter name: flat (`user[login]`) for signing and forms, split
/// (`user` / `login`) for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) flat: &'static str,
    pub(crate) outer: &'static str,
    pub(crate) inner: Option<&'static str>,
    /// Masked when a string to sign is shown to a person.
    pub(crate) sensitive: bool,
}

const fn top(name: &'static str, sensitive: bool) -> Key {
    Key {
        flat: name,
        outer: name,
        inner: None,
        sensitive,
    }
}

const fn nested(
    flat: &'static str,
    outer: &'static str,
    inner: &'static str,
    sensitive: bool,
) -> Key {
    Key {
        flat,
        outer,
        inner: Some(inner),
        sensitive,
    }
}

pub(crate) const APPLICATION_ID: Key = top("application_id", false);
pub(crate) const AUTH_KEY: Key = top("auth_key", false);
pub(crate) const NONCE: Key = top("nonce", false);
pub(crate) const TIMESTAMP: Key = top("timestamp", false);
pub(crate) const SIGNATURE: Key = top("signature", false);
pub(crate) const PROVIDER: Key = top("provider", false);
pub(crate) const SCOPE: Key = top("scope", false);
pub(crate) const KEYS_TOKEN: Key = nested("keys[token]", "keys", "token", true);
pub(crate) const KEYS_SECRET: Key = nested("keys[secret]", "keys", "secret", true);
pub(crate) const FIREBASE_PROJECT_ID: Key = nested(
    "firebase_phone[project_id]",
    "firebase_phone",
    "project_id",
    false,
);
pub(crate) const FIREBASE_ACCESS_TOKEN: Key = nested(
    "firebase_phone[access_token]",
    "firebase_phone",
    "access_token",
    true,
);
const USER_LOGIN: Key = nested("user[login]", "user", "login", false);
const USER_EMAIL: Key = nested("user[email]", "user", "email", false);
const USER_PASSWORD: Key = nested("user[password]", "user", "password", true);
const LOGIN: Key = top("login", false);
const EMAIL: Key = top("email", false);
const PASSWORD: Key = top("password", true);

/// Where user credentials go: nested under `user[...]` in create-session,
/// at the top level in `POST /login.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserPlacement {
    Nested,
    TopLevel,
}

/// Parameters sorted by flat key. Every key is distinct and none is a prefix
/// of another, so this order is also the order of the `key=value` strings.
#[derive(Debug)]
pub(crate) struct Params<'a> {
    items: Vec<(Key, &'a str)>,
}

/// The create-session numbers in decimal. The caller keeps them so that the
/// parameter set borrows them as text like every other value: written out
/// once, not again for the string to sign and for the body.
#[derive(Default)]
pub(crate) struct Numbers {
    application_id: itoa::Buffer,
    nonce: itoa::Buffer,
    timestamp: itoa::Buffer,
}

/// encodeURIComponent's set: what the official JavaScript SDK escapes.
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
/// What `COMPONENT` leaves as it is (a test checks that the two agree).
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}
/// Keys keep their brackets literal, as the JavaScript SDK sends them.
const KEY_COMPONENT: &AsciiSet = &COMPONENT.remove(b'[').remove(b']');

impl<'a> Params<'a> {
    /// The create-session set: application, time, nonce and identity.
    pub(crate) fn create_session(
        app: &'a AppCredentials,
        identity: &'a IdentityInner,
        input: SigningInput,
        numbers: &'a mut Numbers,
    ) -> Self {
        let mut items = Vec::with_capacity(10);
        items.push((
            APPLICATION_ID,
            numbers.application_id.format(app.application_id()),
        ));
        items.push((AUTH_KEY, app.auth_key()));
        items.push((NONCE, numbers.nonce.format(input.nonce().get())));
        items.push((TIMESTAMP, numbers.timestamp.format(input.timestamp())));
        let mut params = Self { items };
        params.push_identity(identity, UserPlacement::Nested);
        params.sort();
        params
    }

    /// The `POST /login.json` set: the identity alone, unsigned.
    pub(crate) fn login(identity: &'a IdentityInner) -> Self {
        let mut params = Self {
            items: Vec::with_capacity(4),
        };
        params.push_identity(identity, UserPlacement::TopLevel);
        params.sort();
        params
    }

    fn push_identity(&mut self, identity: &'a IdentityInner, placement: UserPlacement) {
        let (login, email, password) = match placement {
            UserPlacement::Nested => (USER_LOGIN, USER_EMAIL, USER_PASSWORD),
            UserPlacement::TopLevel => (LOGIN, EMAIL, PASSWORD),
        };
        let items = &mut self.items;
        match identity {
            IdentityInner::Application => {}
            IdentityInner::Login {
                login: l,
                password: p,
            } => {
                items.push((login, l));
                items.push((password, p.expose_secret()));
            }
            IdentityInner::Email {
                email: e,
                password: p,
            } => {
                items.push((email, e));
                items.push((password, p.expose_secret()));
            }
            IdentityInner::Social {
                provider,
                token,
                secret,
                scope,
            } => {
                items.push((PROVIDER, provider.as_str()));
                items.push((KEYS_TOKEN, token.expose_secret()));
                if let Some(secret) = secret {
                    items.push((KEYS_SECRET, secret.expose_secret()));
                }
                if let Some(scope) = scope {
                    items.push((SCOPE, scope));
                }
            }
            IdentityInner::FirebasePhone {
                project_id,
                access_token,
            } => {
                items.push((PROVIDER, "firebase_phone"));
                items.push((FIREBASE_PROJECT_ID, project_id));
                items.push((FIREBASE_ACCESS_TOKEN, access_token.expose_secret()));
            }
        }
    }

    fn sort(&mut self) {
        self.items
            .sort_unstable_by(|(a, _), (b, _)| key_order(a.flat, b.flat));
    }

    /// `(flat key, value)` pairs in order, numbers written out; for tests
    /// and for showing a request to a person.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (Key, &'a str)> + '_ {
        self.items.iter().copied()
    }

    /// The string to sign, and the byte ranges of its sensitive values.
    pub(crate) fn string_to_sign(&self) -> (Zeroizing<String>, SensitiveRanges) {
        let len: usize = self
            .items
            .iter()
            .map(|(k, v)| k.flat.len() + 2 + v.len())
            .sum();
        let mut out = Zeroizing::new(String::with_capacity(len));
        let mut ranges = SensitiveRanges::default();
        for (i, (key, value)) in self.pairs().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(key.flat);
            out.push('=');
            let start = out.len();
            out.push_str(value);
            if key.sensitive {
                ranges.push(start, out.len());
            }
        }
        (out, ranges)
    }

    /// `application/x-www-form-urlencoded`, pairs in sorted order with
    /// `signature` in its place, values escaped as `encodeURIComponent` does.
    pub(crate) fn form_body(&self, signature: Option<&str>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len_hint(signature));
        let mut first = true;
        let mut emit = |out: &mut Vec<u8>, key: &'static str, value: &str| {
            if !std::mem::take(&mut first) {
                out.push(b'&');
            }
            // Keys are this module's constants, which `KEY_COMPONENT` leaves
            // as they are, so they skip the encoder.
            // Checked without allocating: the allocation limits are tested
            // in debug builds (`tests/allocation_limits.rs`).
            debug_assert!(
                utf8_percent_encode(key, KEY_COMPONENT).eq([key]),
                "form key {key:?} would need escaping"
            );
            out.extend_from_slice(key.as_bytes());
            out.push(b'=');
            if value.bytes().fold(true, |all, b| all & unreserved(b)) {
                // Nearly every value needs no escape; the encoder's chunking
                // was a tenth of building a form request (`cargo xtask bench`).
                out.extend_from_slice(value.as_bytes());
            } else {
                // Whole chunks, not bytes: a byte-wise `extend` checks
                // capacity per byte and cost more than the HMAC.
                for chunk in utf8_percent_encode(value, COMPONENT) {
                    out.extend_from_slice(chunk.as_bytes());
                }
            }
        };
        self.for_each_with_signature(signature, |key, value| emit(&mut out, key.flat, value));
        out
    }

    /// JSON with nested objects and every value a string, as QuickBlox's
    /// documentation shows; keys in sorted order.
    pub(crate) fn json_body(&self, signature: Option<&str>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len_hint(signature));
        out.push(b'{');
        let mut open_group: Option<&str> = None;
        let mut first = true;
        self.for_each_with_signature(signature, |key, value| {
            if open_group.is_some() && open_group != Some(key.outer) {
                out.push(b'}');
                open_group = None;
            }
            if open_group.is_none() {
                if !std::mem::take(&mut first) {
                    out.push(b',');
                }
                write_json_key(&mut out, key.outer);
                out.push(b':');
                if key.inner.is_some() {
                    out.push(b'{');
                    open_group = Some(key.outer);
                }
            } else {
                out.push(b',');
            }
            if let Some(inner) = key.inner {
                write_json_key(&mut out, inner);
                out.push(b':');
            }
            write_json_str(&mut out, value);
        });
        if open_group.is_some() {
            out.push(b'}');
        }
        out.push(b'}');
        out
    }

    fn for_each_with_signature(&self, signature: Option<&str>, mut f: impl FnMut(Key, &str)) {
        let mut pending = signature;
        for (key, value) in self.pairs() {
            if let Some(sig) = pending {
                if key_order(key.flat, SIGNATURE.flat).is_gt() {
                    f(SIGNATURE, sig);
                    pending = None;
                }
            }
            f(key, value);
        }
        if let Some(sig) = pending {
            f(SIGNATURE, sig);
        }
    }

    fn encoded_len_hint(&self, signature: Option<&str>) -> usize {
        let raw: usize = self
            .items
            .iter()
            .map(|(k, v)| k.flat.len() + v.len() + 8)
            .sum();
        raw + signature.map_or(0, |s| s.len() + 16) + 16
    }
}

/// Byte order of two keys, as `str::cmp` gives it. Keys are short and differ
/// in their first bytes, where this loop decides sooner than a `memcmp` call.
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    for (x, y) in a.bytes().zip(b.bytes()) {
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

/// Keys are this module's constants, plain ASCII names that JSON needs no
/// escape for, so they skip the escaper (half the strings of a body).
fn write_json_key(out: &mut Vec<u8>, key: &'static str) {
    debug_assert!(
        key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "JSON key {key:?} would need escaping"
    );
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.push(b'"');
}

fn write_json_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly the control characters, `"` and `\`; a
    // value with none of them (nearly all) is written as it is, the same bytes.
    // Counted without early exit, so the compiler checks many bytes at once.
    let needs_escape = s.as_bytes().iter().fold(0u8, |found, &b| {
        found | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
    }) != 0;
    if !needs_escape {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Serialising a `str` into a `Vec` can fail neither on I/O nor on data.
    serde_json::to_writer(&mut *out, s).expect("a str always serialises into a Vec");
}

/// Byte ranges of sensitive values inside a string to sign (at most four:
/// password, or token + secret, or access token).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SensitiveRanges {
    ranges: [(u32, u32); 4],
    len: u8,
}

impl SensitiveRanges {
    fn push(&mut self, start: usize, end: usize) {
        if let Some(slot) = self.ranges.get_mut(usize::from(self.len)) {
            *slot = (start as u32, end as u32);
            self.len += 1;
        }
    }

    /// `text` with every sensitive range replaced by `***`.
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for &(start, end) in &self.ranges[..usize::from(self.len)] {
            let (start, end) = (start as usize, end as usize);
            out.push_str(text.get(at..start).unwrap_or_default());
            out.push_str("***");
            at = end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_is_what_the_component_set_leaves_alone() {
        for b in 0..=u8::MAX {
            let leaves_alone = b.is_ascii()
                && utf8_percent_encode(char::from(b).encode_utf8(&mut [0; 4]), COMPONENT)
                    .to_string()
                    .len()
                    == 1;
            assert_eq!(unreserved(b), leaves_alone, "byte {b:#04x}");
        }
    }

    #[test]
    fn key_order_is_byte_order() {
        let keys = [
            "",
            "a",
            "a[x]",
            "ab",
            "application_id",
            "auth_key",
            "nonce",
            "signature",
            "timestamp",
            "user[login]",
            "user[password]",
            "keys[token]",
            "keys[secret]",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_order(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }
}
