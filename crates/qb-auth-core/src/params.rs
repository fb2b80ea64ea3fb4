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

#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Number(u64),
}

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
    items: Vec<(Key, Value<'a>)>,
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
/// Keys keep their brackets literal, as the JavaScript SDK sends them.
const KEY_COMPONENT: &AsciiSet = &COMPONENT.remove(b'[').remove(b']');

impl<'a> Params<'a> {
    /// The create-session set: application, time, nonce and identity.
    pub(crate) fn create_session(
        app: &'a AppCredentials,
        identity: &'a IdentityInner,
        input: SigningInput,
    ) -> Self {
        let mut items = Vec::with_capacity(10);
        items.push((APPLICATION_ID, Value::Number(app.application_id())));
        items.push((AUTH_KEY, Value::Text(app.auth_key())));
        items.push((NONCE, Value::Number(u64::from(input.nonce().get()))));
        items.push((TIMESTAMP, Value::Number(input.timestamp())));
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
                items.push((login, Value::Text(l)));
                items.push((password, Value::Text(p.expose_secret())));
            }
            IdentityInner::Email {
                email: e,
                password: p,
            } => {
                items.push((email, Value::Text(e)));
                items.push((password, Value::Text(p.expose_secret())));
            }
            IdentityInner::Social {
                provider,
                token,
                secret,
                scope,
            } => {
                items.push((PROVIDER, Value::Text(provider.as_str())));
                items.push((KEYS_TOKEN, Value::Text(token.expose_secret())));
                if let Some(secret) = secret {
                    items.push((KEYS_SECRET, Value::Text(secret.expose_secret())));
                }
                if let Some(scope) = scope {
                    items.push((SCOPE, Value::Text(scope)));
                }
            }
            IdentityInner::FirebasePhone {
                project_id,
                access_token,
            } => {
                items.push((PROVIDER, Value::Text("firebase_phone")));
                items.push((FIREBASE_PROJECT_ID, Value::Text(project_id)));
                items.push((
                    FIREBASE_ACCESS_TOKEN,
                    Value::Text(access_token.expose_secret()),
                ));
            }
        }
    }

    fn sort(&mut self) {
        self.items
            .sort_unstable_by(|(a, _), (b, _)| a.flat.as_bytes().cmp(b.flat.as_bytes()));
    }

    /// `(flat key, value)` pairs in order, numbers written out; for tests
    /// and for showing a request to a person.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (Key, ValueText<'a>)> + '_ {
        self.items.iter().map(|(k, v)| (*k, ValueText::new(*v)))
    }

    /// The string to sign, and the byte ranges of its sensitive values.
    pub(crate) fn string_to_sign(&self) -> (Zeroizing<String>, SensitiveRanges) {
        let len: usize = self
            .items
            .iter()
            .map(|(k, v)| k.flat.len() + 2 + ValueText::new(*v).as_str().len())
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
            out.push_str(value.as_str());
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
        let mut emit = |out: &mut Vec<u8>, key: &str, value: &str| {
            if !std::mem::take(&mut first) {
                out.push(b'&');
            }
            out.extend(utf8_percent_encode(key, KEY_COMPONENT).flat_map(str::bytes));
            out.push(b'=');
            out.extend(utf8_percent_encode(value, COMPONENT).flat_map(str::bytes));
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
                write_json_str(&mut out, key.outer);
                out.push(b':');
                if key.inner.is_some() {
                    out.push(b'{');
                    open_group = Some(key.outer);
                }
            } else {
                out.push(b',');
            }
            if let Some(inner) = key.inner {
                write_json_str(&mut out, inner);
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
                if key.flat > SIGNATURE.flat {
                    f(SIGNATURE, sig);
                    pending = None;
                }
            }
            f(key, value.as_str());
        }
        if let Some(sig) = pending {
            f(SIGNATURE, sig);
        }
    }

    fn encoded_len_hint(&self, signature: Option<&str>) -> usize {
        let raw: usize = self
            .items
            .iter()
            .map(|(k, v)| k.flat.len() + ValueText::new(*v).as_str().len() + 8)
            .sum();
        raw + signature.map_or(0, |s| s.len() + 16) + 16
    }
}

fn write_json_str(out: &mut Vec<u8>, s: &str) {
    // Serialising a `str` into a `Vec` can fail neither on I/O nor on data.
    serde_json::to_writer(&mut *out, s).expect("a str always serialises into a Vec");
}

/// A value as text; numbers are formatted on the stack.
#[derive(Clone, Copy)]
pub(crate) enum ValueText<'a> {
    Text(&'a str),
    Number(itoa_buf::Buf),
}

impl<'a> ValueText<'a> {
    fn new(value: Value<'a>) -> Self {
        match value {
            Value::Text(s) => Self::Text(s),
            Value::Number(n) => Self::Number(itoa_buf::Buf::new(n)),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Text(s) => s,
            Self::Number(buf) => buf.as_str(),
        }
    }
}

mod itoa_buf {
    /// A `u64` in decimal, in a copyable stack buffer.
    #[derive(Clone, Copy)]
    pub(crate) struct Buf {
        digits: [u8; 20],
        len: u8,
    }

    impl Buf {
        pub(crate) fn new(n: u64) -> Self {
            let mut fmt = itoa::Buffer::new();
            let s = fmt.format(n).as_bytes();
            let mut digits = [0u8; 20];
            digits[..s.len()].copy_from_slice(s);
            Self {
                digits,
                len: s.len() as u8,
            }
        }

        pub(crate) fn as_str(&self) -> &str {
            std::str::from_utf8(&self.digits[..usize::from(self.len)]).expect("decimal digits")
        }
    }
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
