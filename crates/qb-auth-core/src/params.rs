//! One typed parameter set per request, from which both the string to sign
//! and the body are written, so the two can never disagree.

use percent_encoding::percent_encode_byte;
#[cfg(test)]
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::credentials::{AppCredentials, IdentityInner};
use crate::nonce::SigningInput;

/// A parameter name: flat (`user[login]`) for signing and forms, split
/// (`user` / `login`) for JSON; with the text written before each value in
/// each form, made at compile time, so that a writer copies one piece per
/// name rather than assembling it from four.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) flat: &'static str,
    /// `&flat=`: before a value in a string to sign or a form body (the `&`
    /// left out for the first).
    assign: &'static str,
    /// The object a nested key belongs to (`user`), or the key itself.
    outer: &'static str,
    /// `"outer":"` for a top-level key (up to the value's opening quote),
    /// `"outer":{` for a nested one.
    json_outer: &'static str,
    /// `"inner":"` for a nested key.
    json_inner: Option<&'static str>,
    /// Masked when a string to sign is shown to a person.
    pub(crate) sensitive: bool,
    /// Its values are digits or hex (the numbers and the signature), which
    /// neither a form nor JSON escapes: they are copied without a look.
    plain: bool,
}

/// A [`Key`]: `key!("nonce", plain)` or `key!("user"["login"])`, with
/// `secret` if its value is masked and `plain` if it is digits or hex.
macro_rules! key {
    ($name:literal $(, $mark:ident)?) => {
        Key {
            flat: $name,
            assign: concat!("&", $name, "="),
            outer: $name,
            json_outer: concat!("\"", $name, "\":\""),
            json_inner: None,
            sensitive: key!(@is secret $($mark)?),
            plain: key!(@is plain $($mark)?),
        }
    };
    ($outer:literal [ $inner:literal ] $(, $mark:ident)?) => {
        Key {
            flat: concat!($outer, "[", $inner, "]"),
            assign: concat!("&", $outer, "[", $inner, "]="),
            outer: $outer,
            json_outer: concat!("\"", $outer, "\":{"),
            json_inner: Some(concat!("\"", $inner, "\":\"")),
            sensitive: key!(@is secret $($mark)?),
            plain: key!(@is plain $($mark)?),
        }
    };
    (@is secret secret) => { true };
    (@is plain plain) => { true };
    (@is $wanted:ident $($other:ident)?) => { false };
}

pub(crate) static APPLICATION_ID: Key = key!("application_id", plain);
pub(crate) static AUTH_KEY: Key = key!("auth_key");
pub(crate) static NONCE: Key = key!("nonce", plain);
pub(crate) static TIMESTAMP: Key = key!("timestamp", plain);
pub(crate) static SIGNATURE: Key = key!("signature", plain);
pub(crate) static PROVIDER: Key = key!("provider");
pub(crate) static SCOPE: Key = key!("scope");
pub(crate) static KEYS_TOKEN: Key = key!("keys"["token"], secret);
pub(crate) static KEYS_SECRET: Key = key!("keys"["secret"], secret);
pub(crate) static FIREBASE_PROJECT_ID: Key = key!("firebase_phone"["project_id"]);
pub(crate) static FIREBASE_ACCESS_TOKEN: Key = key!("firebase_phone"["access_token"], secret);
static USER_LOGIN: Key = key!("user"["login"]);
static USER_EMAIL: Key = key!("user"["email"]);
static USER_PASSWORD: Key = key!("user"["password"], secret);
static LOGIN: Key = key!("login");
static EMAIL: Key = key!("email");
static PASSWORD: Key = key!("password", secret);

/// Every key, for the tests of their texts.
#[cfg(test)]
static ALL_KEYS: [&Key; 17] = [
    &APPLICATION_ID,
    &AUTH_KEY,
    &NONCE,
    &TIMESTAMP,
    &SIGNATURE,
    &PROVIDER,
    &SCOPE,
    &KEYS_TOKEN,
    &KEYS_SECRET,
    &FIREBASE_PROJECT_ID,
    &FIREBASE_ACCESS_TOKEN,
    &USER_LOGIN,
    &USER_EMAIL,
    &USER_PASSWORD,
    &LOGIN,
    &EMAIL,
    &PASSWORD,
];

impl Key {
    /// `flat=`, with the `&` before it unless it comes first.
    fn assign(&self, first: bool) -> &'static str {
        if first {
            &self.assign[1..]
        } else {
            self.assign
        }
    }
}

/// Where user credentials go: nested under `user[...]` in create-session,
/// at the top level in `POST /login.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserPlacement {
    Nested,
    TopLevel,
}

/// The most parameters a request carries: a create-session for a social
/// identity with a secret and a scope has eight.
const MAX_PARAMS: usize = 8;

/// Parameters sorted by flat key. Every key is distinct and none is a prefix
/// of another, so this order is also the order of the `key=value` strings.
///
/// On the stack: a `Vec` was one of the allocations of every request built.
#[derive(Debug)]
pub(crate) struct Params<'a> {
    items: [(&'static Key, &'a str); MAX_PARAMS],
    len: usize,
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

/// encodeURIComponent's set, what the official JavaScript SDK escapes, as
/// percent-encoding spells it: the tests hold [`UNRESERVED`] and the form
/// writer to it.
#[cfg(test)]
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
const fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// [`unreserved`] for every byte: one load per byte of a value.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = unreserved(b as u8);
        b += 1;
    }
    table
};

/// Keys keep their brackets literal, as the JavaScript SDK sends them.
#[cfg(test)]
const KEY_COMPONENT: &AsciiSet = &COMPONENT.remove(b'[').remove(b']');

impl<'a> Params<'a> {
    /// The create-session set: application, time, nonce and identity.
    pub(crate) fn create_session(
        app: &'a AppCredentials,
        identity: &'a IdentityInner,
        input: SigningInput,
        numbers: &'a mut Numbers,
    ) -> Self {
        let mut params = Self::empty();
        params.push(
            &APPLICATION_ID,
            numbers.application_id.format(app.application_id()),
        );
        params.push(&AUTH_KEY, app.auth_key());
        params.push(&NONCE, numbers.nonce.format(input.nonce().get()));
        params.push(&TIMESTAMP, numbers.timestamp.format(input.timestamp()));
        params.push_identity(identity, UserPlacement::Nested);
        params.sort();
        params
    }

    /// The `POST /login.json` set: the identity alone, unsigned.
    pub(crate) fn login(identity: &'a IdentityInner) -> Self {
        let mut params = Self::empty();
        params.push_identity(identity, UserPlacement::TopLevel);
        params.sort();
        params
    }

    fn empty() -> Self {
        Self {
            items: [(&SIGNATURE, ""); MAX_PARAMS],
            len: 0,
        }
    }

    fn push(&mut self, key: &'static Key, value: &'a str) {
        // The sets above have at most `MAX_PARAMS` entries (a test builds
        // the largest), so nothing is ever left out.
        debug_assert!(self.len < MAX_PARAMS, "more than {MAX_PARAMS} parameters");
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = (key, value);
            self.len += 1;
        }
    }

    fn items(&self) -> &[(&'static Key, &'a str)] {
        &self.items[..self.len]
    }

    fn push_identity(&mut self, identity: &'a IdentityInner, placement: UserPlacement) {
        let (login, email, password) = match placement {
            UserPlacement::Nested => (&USER_LOGIN, &USER_EMAIL, &USER_PASSWORD),
            UserPlacement::TopLevel => (&LOGIN, &EMAIL, &PASSWORD),
        };
        let items = self;
        match identity {
            IdentityInner::Application => {}
            IdentityInner::Login {
                login: l,
                password: p,
            } => {
                items.push(login, l);
                items.push(password, p.expose_secret());
            }
            IdentityInner::Email {
                email: e,
                password: p,
            } => {
                items.push(email, e);
                items.push(password, p.expose_secret());
            }
            IdentityInner::Social {
                provider,
                token,
                secret,
                scope,
            } => {
                items.push(&PROVIDER, provider.as_str());
                items.push(&KEYS_TOKEN, token.expose_secret());
                if let Some(secret) = secret {
                    items.push(&KEYS_SECRET, secret.expose_secret());
                }
                if let Some(scope) = scope {
                    items.push(&SCOPE, scope);
                }
            }
            IdentityInner::FirebasePhone {
                project_id,
                access_token,
            } => {
                items.push(&PROVIDER, "firebase_phone");
                items.push(&FIREBASE_PROJECT_ID, project_id);
                items.push(&FIREBASE_ACCESS_TOKEN, access_token.expose_secret());
            }
        }
    }

    fn sort(&mut self) {
        self.items[..self.len].sort_unstable_by(|(a, _), (b, _)| key_order(a.flat, b.flat));
    }

    /// `(flat key, value)` pairs in order, numbers written out; for tests
    /// and for showing a request to a person.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (Key, &'a str)> + '_ {
        self.items().iter().map(|&(key, value)| (*key, value))
    }

    /// The string to sign, and the byte ranges of its sensitive values.
    pub(crate) fn string_to_sign(&self) -> (Zeroizing<String>, SensitiveRanges) {
        let len: usize = self
            .items()
            .iter()
            .map(|(k, v)| k.assign.len() + v.len())
            .sum();
        // No `&` before the first.
        let mut out = Zeroizing::new(String::with_capacity(len.saturating_sub(1)));
        let mut ranges = SensitiveRanges::default();
        for (i, (key, value)) in self.items().iter().enumerate() {
            out.push_str(key.assign(i == 0));
            let start = out.len();
            out.push_str(value);
            if key.sensitive {
                ranges.push(start, out.len());
            }
        }
        (out, ranges)
    }

    /// `application/x-www-form-urlencoded`, pairs in sorted order with
    /// `signature` in its place, values escaped as `encodeURIComponent` does;
    /// and the byte ranges of its sensitive values.
    pub(crate) fn form_body(&self, signature: Option<&str>) -> (Vec<u8>, SensitiveRanges) {
        let pairs = self.with_signature(signature);
        let mut out = Vec::with_capacity(
            pairs
                .clone()
                .map(|(k, v)| k.assign.len() + v.len())
                .sum::<usize>()
                + ESCAPE_ROOM,
        );
        let mut ranges = SensitiveRanges::default();
        for (i, (key, value)) in pairs.enumerate() {
            // Keys are this module's statics, which `KEY_COMPONENT` leaves
            // as they are (a test checks every one), so they skip the encoder.
            out.extend_from_slice(key.assign(i == 0).as_bytes());
            let start = out.len();
            if key.plain {
                debug_assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()));
                out.extend_from_slice(value.as_bytes());
            } else {
                write_form_value(&mut out, value);
            }
            if key.sensitive {
                ranges.push(start, out.len());
            }
        }
        (out, ranges)
    }

    /// JSON with nested objects and every value a string, as QuickBlox's
    /// documentation shows; keys in sorted order. With the byte ranges of
    /// its sensitive values (inside their quotes).
    pub(crate) fn json_body(&self, signature: Option<&str>) -> (Vec<u8>, SensitiveRanges) {
        let pairs = self.with_signature(signature);
        let mut out = Vec::with_capacity(
            pairs
                .clone()
                .map(|(k, v)| k.json_outer.len() + k.json_inner.map_or(0, str::len) + v.len() + 2)
                .sum::<usize>()
                + 2
                + ESCAPE_ROOM,
        );
        out.push(b'{');
        let mut ranges = SensitiveRanges::default();
        // The object of nested keys being written (`user`), if any.
        let mut open: Option<&'static str> = None;
        for (i, (key, value)) in pairs.enumerate() {
            if key.json_inner.is_some() && open == Some(key.outer) {
                out.push(b',');
            } else {
                if open.take().is_some() {
                    out.push(b'}');
                }
                if i > 0 {
                    out.push(b',');
                }
                // Keys are plain ASCII names that JSON needs no escape for
                // (a test checks every one), so they skip the escaper.
                out.extend_from_slice(key.json_outer.as_bytes());
                if key.json_inner.is_some() {
                    open = Some(key.outer);
                }
            }
            if let Some(inner) = key.json_inner {
                out.extend_from_slice(inner.as_bytes());
            }
            // The opening quote is written: the value starts here whether
            // or not it is escaped, and ends before the closing quote.
            let start = out.len();
            write_json_rest(&mut out, value, key.plain);
            if key.sensitive {
                ranges.push(start, out.len() - 1);
            }
        }
        if open.is_some() {
            out.push(b'}');
        }
        out.push(b'}');
        (out, ranges)
    }

    /// The pairs as a body lists them: these, with `signature` in its place.
    fn with_signature<'s>(
        &'s self,
        signature: Option<&'s str>,
    ) -> impl Iterator<Item = (&'static Key, &'s str)> + Clone + 's {
        let items = self.items();
        let at = match signature {
            Some(_) => items
                .iter()
                .take_while(|(key, _)| key_order(key.flat, SIGNATURE.flat).is_lt())
                .count(),
            None => items.len(),
        };
        let (before, after) = items.split_at(at);
        let signature = signature.map(|sig| (&SIGNATURE, sig));
        before
            .iter()
            .copied()
            .chain(signature)
            .chain(after.iter().copied())
    }
}

/// Room in a body for escapes, so that a value or two with a few do not
/// make it grow.
const ESCAPE_ROOM: usize = 32;

/// `value` escaped as `encodeURIComponent` escapes it (`COMPONENT`).
fn write_form_value(out: &mut Vec<u8>, value: &str) {
    if value.bytes().all(|b| UNRESERVED[usize::from(b)]) {
        // Nearly every value needs no escape; the encoder's chunking
        // was a tenth of building a form request (`cargo xtask bench`).
        out.extend_from_slice(value.as_bytes());
        return;
    }
    // percent-encoding's `utf8_percent_encode` hands out one run of bytes
    // or one escape at a time, some fifty instructions each: most of
    // building a form request for a password with a few escapes. Byte by
    // byte into room reserved for the worst case, each escape the crate's
    // own, is the same text (a test compares them) for a tenth of that.
    out.reserve(3 * value.len());
    for b in value.bytes() {
        if UNRESERVED[usize::from(b)] {
            out.push(b);
        } else {
            out.extend_from_slice(percent_encode_byte(b).as_bytes());
        }
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

/// The rest of a JSON string whose opening quote was written with its key:
/// its contents and the closing quote.
fn write_json_rest(out: &mut Vec<u8>, s: &str, plain: bool) {
    // serde_json escapes exactly the control characters, `"` and `\`; a
    // value with none of them (nearly all) is written as it is, the same bytes.
    // Counted without early exit, so the compiler checks many bytes at once.
    let needs_escape = !plain
        && s.as_bytes().iter().fold(0u8, |found, &b| {
            found | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
        }) != 0;
    if !needs_escape {
        debug_assert!(!plain || s.bytes().all(|b| b.is_ascii_alphanumeric()));
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // serde_json writes the string with both its quotes.
    out.pop();
    // Serialising a `str` into a `Vec` can fail neither on I/O nor on data.
    serde_json::to_writer(&mut *out, s).expect("a str always serialises into a Vec");
}

/// Byte ranges of sensitive values inside a string to sign or a body (at
/// most four: password, or token + secret, or access token).
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
            assert_eq!(UNRESERVED[usize::from(b)], leaves_alone, "byte {b:#04x}");
        }
    }

    #[test]
    fn form_values_are_escaped_as_the_crate_escapes_them() {
        let mut values: Vec<String> = (0..=0x7f_u8).map(|b| char::from(b).to_string()).collect();
        values.extend(
            [
                "",
                "p@ss word&1=2",
                "plain",
                "ümlaut ✓",
                "a+b/c?d#e",
                "100%",
                "~*'()!-_.",
                "\u{10ffff}\0",
            ]
            .map(String::from),
        );
        for value in values {
            let mut out = b"k=".to_vec();
            write_form_value(&mut out, &value);
            let expected = format!("k={}", utf8_percent_encode(&value, COMPONENT));
            assert_eq!(out, expected.as_bytes(), "{value:?}");
        }
    }

    #[test]
    fn each_key_writes_what_its_names_say_with_nothing_to_escape() {
        for key in ALL_KEYS {
            let flat = key.flat;
            assert_eq!(key.assign, format!("&{flat}="));
            assert_eq!(
                (key.assign(true), key.assign(false)),
                (&key.assign[1..], key.assign)
            );
            assert!(
                utf8_percent_encode(flat, KEY_COMPONENT).eq([flat]),
                "form key {flat:?} would need escaping"
            );
            match key.json_inner {
                None => {
                    assert_eq!(flat, key.outer);
                    assert_eq!(key.json_outer, format!("\"{flat}\":\""));
                }
                Some(inner) => {
                    let name = &inner[1..inner.len() - 3];
                    assert_eq!(flat, format!("{}[{name}]", key.outer));
                    assert_eq!(inner, format!("\"{name}\":\""));
                    assert_eq!(key.json_outer, format!("\"{}\":{{", key.outer));
                }
            }
            for name in [key.outer, flat] {
                assert!(
                    name.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_[]".contains(&b)),
                    "JSON key {name:?} would need escaping"
                );
            }
        }
    }

    #[test]
    fn the_largest_parameter_set_fits() {
        let app = AppCredentials::new(1, "key", "secret".to_owned().into()).unwrap();
        let identity = crate::Identity::twitter("token", "secret")
            .and_then(|i| i.with_scope("email"))
            .unwrap();
        let mut numbers = Numbers::default();
        let input = SigningInput::new(1, crate::Nonce::new(1).unwrap());
        let params = Params::create_session(&app, &identity.0, input, &mut numbers);
        assert_eq!(params.len, MAX_PARAMS);
        let keys: Vec<&str> = params.pairs().map(|(key, _)| key.flat).collect();
        assert_eq!(
            keys,
            [
                "application_id",
                "auth_key",
                "keys[secret]",
                "keys[token]",
                "nonce",
                "provider",
                "scope",
                "timestamp"
            ]
        );
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
