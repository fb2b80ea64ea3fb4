//! The create-session signature: the string to sign and its HMAC.
//!
//! QuickBlox rebuilds the string from every parameter it receives except
//! `signature`, so the two public functions here are the exact stages a
//! failure can be pinned to: [`string_to_sign`] (sorting and joining) and
//! [`sign`] (the HMAC). [`crate::CreateSession`] runs both over the same typed
//! parameter set that it serialises into the body.

use std::cmp::Ordering;
use std::fmt;
use std::iter;

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// The HMAC used for the signature.
///
/// QuickBlox documents HMAC-SHA1 only. The official JavaScript SDK offers
/// HMAC-SHA256 as an option, but no server documentation confirms that the
/// server accepts it, and one public report got "Unexpected signature" with
/// it. Use [`HashAlgorithm::Sha1`] unless you have verified your server.
///
/// ```
/// use qb_auth_core::signature::{sign, HashAlgorithm};
/// use qb_auth_core::SecretString;
///
/// let secret = SecretString::from("s3cr3t-Key_XYZ");
/// let s = "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000";
/// assert_eq!(HashAlgorithm::default(), HashAlgorithm::Sha1);
/// assert_eq!(sign(&secret, s, HashAlgorithm::Sha1).as_str().len(), 40);
/// assert_eq!(sign(&secret, s, HashAlgorithm::Sha256).as_str().len(), 64);
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    /// HMAC-SHA1, 40 lowercase hex characters. The documented algorithm.
    #[default]
    Sha1,
    /// HMAC-SHA256, 64 lowercase hex characters. Not confirmed by the server.
    Sha256,
}

impl HashAlgorithm {
    /// The name used on the command line and in docs: `sha1` or `sha256`.
    ///
    /// ```
    /// use qb_auth_core::HashAlgorithm;
    ///
    /// assert_eq!(HashAlgorithm::Sha1.as_str(), "sha1");
    /// assert_eq!(HashAlgorithm::Sha256.as_str(), "sha256");
    /// // Serde uses the same names.
    /// assert_eq!(serde_json::to_string(&HashAlgorithm::Sha256)?, r#""sha256""#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
        }
    }
}

/// A signature in lowercase hex. Not secret: it is sent in the clear and is
/// useless without the parameters it covers.
///
/// ```
/// use qb_auth_core::signature::{sign, HashAlgorithm};
/// use qb_auth_core::SecretString;
///
/// let secret = SecretString::from("s3cr3t-Key_XYZ");
/// let sig = sign(
///     &secret,
///     "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000",
///     HashAlgorithm::Sha1,
/// );
/// assert_eq!(sig.as_str(), "313e3b565417d33e0ea031c0745e4b6a7222aa13");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    hex: [u8; 64],
    len: u8,
}

impl Signature {
    fn from_mac(mac: &[u8]) -> Self {
        let mut hex = [0u8; 64];
        let len = mac.len() * 2;
        // A MAC of SHA-1 or SHA-256 is 20 or 32 bytes, so `len` fits the buffer.
        const_hex::encode_to_slice(mac, &mut hex[..len]).expect("buffer sized for the MAC");
        Self {
            hex,
            len: len as u8,
        }
    }

    /// The lowercase hex text, as sent in the `signature` parameter.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.hex[..usize::from(self.len)]).expect("hex digits are ASCII")
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Signature").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Signature {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Builds the string QuickBlox signs: every `key=value` pair, sorted by the
/// bytes of the whole pair, joined with `&`.
///
/// Keys are passed flattened (`user[login]`, not a nested map) and values
/// raw: no percent-encoding, no escaping. Leave `signature` out. The result
/// holds the user's password for user sessions, so it is zeroized on drop.
///
/// ```
/// use qb_auth_core::signature::string_to_sign;
///
/// let s = string_to_sign([
///     ("user[password]", "p@ss word&1=2"),
///     ("timestamp", "1700000000"),
///     ("application_id", "12345"),
///     ("user[login]", "alice"),
///     ("nonce", "4242"),
///     ("auth_key", "AbCdEfGh-12345"),
/// ]);
/// assert_eq!(
///     s.as_str(),
///     "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000\
///      &user[login]=alice&user[password]=p@ss word&1=2"
/// );
/// ```
pub fn string_to_sign<'a, I>(pairs: I) -> Zeroizing<String>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    with_sorted(pairs, |sorted| join_sorted(sorted.iter()))
}

/// Signs `pairs` as [`sign`] signs their [`string_to_sign`], without
/// writing the string out: the pairs are sorted and streamed into the HMAC.
/// Nothing holding the password is allocated, so nothing is left to zeroize,
/// and it costs little more than the HMAC itself (`cargo xtask bench`).
///
/// ```
/// use qb_auth_core::signature::{sign, sign_pairs, string_to_sign, HashAlgorithm};
/// use qb_auth_core::SecretString;
///
/// let secret = SecretString::from("s3cr3t-Key_XYZ");
/// let pairs = [
///     ("timestamp", "1700000000"),
///     ("nonce", "4242"),
///     ("auth_key", "AbCdEfGh-12345"),
///     ("application_id", "12345"),
/// ];
/// let streamed = sign_pairs(&secret, pairs, HashAlgorithm::Sha1);
/// assert_eq!(streamed.as_str(), "313e3b565417d33e0ea031c0745e4b6a7222aa13");
/// assert_eq!(streamed, sign(&secret, &string_to_sign(pairs), HashAlgorithm::Sha1));
/// ```
pub fn sign_pairs<'a, I>(secret: &SecretString, pairs: I, algorithm: HashAlgorithm) -> Signature
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let key = secret.expose_secret().as_bytes();
    with_sorted(pairs, |sorted| match algorithm {
        HashAlgorithm::Sha1 => stream::<Hmac<sha1::Sha1>>(key, sorted),
        HashAlgorithm::Sha256 => stream::<Hmac<sha2::Sha256>>(key, sorted),
    })
}

/// Feeds `k=v&k=v...` into a MAC piece by piece.
fn stream<M: Mac + KeyInit>(key: &[u8], sorted: Sorted<'_, '_>) -> Signature {
    let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            mac.update(b"&");
        }
        mac.update(k.as_bytes());
        mac.update(b"=");
        mac.update(v.as_bytes());
    }
    Signature::from_mac(&mac.finalize().into_bytes())
}

/// Sorts `pairs` as the server does and hands them to `f`.
///
/// Up to 8 pairs (a create-session request has at most 7) are sorted on the
/// stack, and by integers rather than by string comparisons: each pair gets
/// a sort key holding the first 7 bytes of its `key=value` in big-endian
/// order above its index. Sorting six strings by comparison was most of the
/// time `sign_pairs` spent beyond the HMAC (`cargo xtask bench`). If two
/// pairs share those 7 bytes, the integers cannot order them, and the pairs
/// are sorted by their whole bytes instead; more than 8 pairs spill into a
/// `Vec` sorted the same way. `f` reads the pairs through their sorted
/// keys, not from a sorted copy.
fn with_sorted<'a, I, R>(pairs: I, f: impl FnOnce(Sorted<'_, 'a>) -> R) -> R
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    const ON_STACK: usize = 8;
    let mut stack = [("", ""); ON_STACK];
    // Kept sorted as the pairs arrive (an insertion sort, the fastest for
    // so few), noting whether two share their first 7 bytes.
    let mut keys = [0u64; ON_STACK];
    let mut tied = false;
    let mut len = 0;
    let mut pairs = pairs.into_iter();
    while len < ON_STACK {
        let Some(pair) = pairs.next() else { break };
        stack[len] = pair;
        let key = (head(pair) << 8) | len as u64;
        let mut at = len;
        while at > 0 && keys[at - 1] > key {
            keys[at] = keys[at - 1];
            at -= 1;
        }
        tied |= at > 0 && keys[at - 1] >> 8 == key >> 8;
        tied |= at < len && keys[at + 1] >> 8 == key >> 8;
        keys[at] = key;
        len += 1;
    }
    if len == ON_STACK {
        if let Some(next) = pairs.next() {
            let mut all = Vec::with_capacity(2 * ON_STACK);
            all.extend_from_slice(&stack);
            all.push(next);
            all.extend(pairs);
            all.sort_unstable_by(|a, b| cmp_pairs(*a, *b));
            let order: Vec<u64> = (0..all.len() as u64).collect();
            return f(Sorted {
                pairs: &all,
                order: &order,
                index: u64::MAX,
            });
        }
    }
    let keys = &mut keys[..len];
    if tied {
        keys.sort_unstable_by(|a, b| {
            cmp_pairs(stack[(a & 0xff) as usize], stack[(b & 0xff) as usize])
        });
    }
    f(Sorted {
        pairs: &stack,
        order: keys,
        index: 0xff,
    })
}

/// `pairs` in the order of `order`, whose entries hold an index into
/// `pairs` in the bits of `index`.
#[derive(Clone, Copy)]
struct Sorted<'s, 'a> {
    pairs: &'s [(&'a str, &'a str)],
    order: &'s [u64],
    index: u64,
}

impl<'s, 'a> Sorted<'s, 'a> {
    fn iter(self) -> impl Iterator<Item = (&'a str, &'a str)> + Clone + 's {
        self.order
            .iter()
            .map(move |key| self.pairs[(key & self.index) as usize])
    }
}

/// The first 7 bytes of `key=value` as a big-endian integer, zero-padded.
///
/// Integers compare as the bytes do, and padding with zeros can only make
/// a shorter pair tie with a longer one, never pass it, so ties are the one
/// case left to a byte comparison.
#[inline]
fn head((key, value): (&str, &str)) -> u64 {
    if let Some(first) = key.as_bytes().first_chunk::<8>() {
        return u64::from_be_bytes(*first) >> 8;
    }
    // A key of up to 7 bytes, then `=` and as much of the value as fits.
    let mut bytes = [0u8; 8];
    let mut at = 1;
    for &b in key.as_bytes() {
        bytes[at] = b;
        at += 1;
    }
    if let Some(slot) = bytes.get_mut(at) {
        *slot = b'=';
        at += 1;
    }
    for (slot, &b) in bytes.iter_mut().skip(at).zip(value.as_bytes()) {
        *slot = b;
    }
    u64::from_be_bytes(bytes)
}

/// Orders two pairs as the server does: by the bytes of `key=value`.
#[inline]
pub(crate) fn cmp_pairs(a: (&str, &str), b: (&str, &str)) -> Ordering {
    // Keys that differ within the shorter one's length decide alone, and
    // real keys differ within their first bytes. Walking the joined bytes
    // through chained iterators for every comparison was the slowest part of
    // the string to sign (`cargo xtask bench`); a `memcmp` call is slower
    // than this loop for such short keys.
    for (x, y) in a.0.bytes().zip(b.0.bytes()) {
        if x != y {
            return x.cmp(&y);
        }
    }
    cmp_joined(a, b)
}

/// Compares the whole of `key=value` for keys where one is a prefix of the
/// other: the `=` after the shorter key meets a byte of the other pair.
#[cold]
fn cmp_joined(a: (&str, &str), b: (&str, &str)) -> Ordering {
    fn bytes<'a>((k, v): (&'a str, &'a str)) -> impl Iterator<Item = u8> + 'a {
        k.bytes().chain(iter::once(b'=')).chain(v.bytes())
    }
    bytes(a).cmp(bytes(b))
}

/// Joins pairs that are already sorted, with one allocation.
pub(crate) fn join_sorted<'a, I>(pairs: I) -> Zeroizing<String>
where
    I: Iterator<Item = (&'a str, &'a str)> + Clone,
{
    let len: usize = pairs.clone().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = Zeroizing::new(String::with_capacity(len));
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// HMACs `string_to_sign` with the auth secret and returns lowercase hex.
///
/// ```
/// use qb_auth_core::signature::{sign, HashAlgorithm};
/// use qb_auth_core::SecretString;
///
/// let secret = SecretString::from("s3cr3t-Key_XYZ");
/// let s = "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000";
/// assert_eq!(
///     sign(&secret, s, HashAlgorithm::Sha1).as_str(),
///     "313e3b565417d33e0ea031c0745e4b6a7222aa13"
/// );
/// assert_eq!(
///     sign(&secret, s, HashAlgorithm::Sha256).as_str(),
///     "dbdb50cc7721aebeb6898d813b5d9854637826000c91ae0b2fc199f505279f52"
/// );
/// ```
pub fn sign(secret: &SecretString, string_to_sign: &str, algorithm: HashAlgorithm) -> Signature {
    sign_bytes(
        secret.expose_secret().as_bytes(),
        string_to_sign.as_bytes(),
        algorithm,
    )
}

/// HMAC-SHA1 of `message` with a MAC already keyed (see `AppCredentials`).
pub(crate) fn sign_keyed(keyed: &Hmac<sha1::Sha1>, message: &[u8]) -> Signature {
    let mut mac = keyed.clone();
    mac.update(message);
    Signature::from_mac(&mac.finalize().into_bytes())
}

pub(crate) fn sign_bytes(key: &[u8], message: &[u8], algorithm: HashAlgorithm) -> Signature {
    // HMAC accepts keys of any length (longer ones are hashed), so keying
    // cannot fail; `new_from_slice` returns a Result only for other MACs.
    match algorithm {
        HashAlgorithm::Sha1 => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key");
            mac.update(message);
            Signature::from_mac(&mac.finalize().into_bytes())
        }
        HashAlgorithm::Sha256 => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
            mac.update(message);
            Signature::from_mac(&mac.finalize().into_bytes())
        }
    }
}

/// Checks a signature in constant time; for servers such as the emulator.
///
/// ```
/// use qb_auth_core::signature::{sign, verify, HashAlgorithm};
/// use qb_auth_core::SecretString;
///
/// let secret = SecretString::from("secret");
/// let sig = sign(&secret, "a=1&b=2", HashAlgorithm::Sha1);
/// assert!(verify(&secret, "a=1&b=2", HashAlgorithm::Sha1, sig.as_str()));
/// assert!(!verify(&secret, "a=1&b=3", HashAlgorithm::Sha1, sig.as_str()));
/// ```
pub fn verify(
    secret: &SecretString,
    string_to_sign: &str,
    algorithm: HashAlgorithm,
    claimed_hex: &str,
) -> bool {
    let Ok(claimed) = const_hex::decode(claimed_hex.trim()) else {
        return false;
    };
    let key = secret.expose_secret().as_bytes();
    let message = string_to_sign.as_bytes();
    // `verify_slice` compares in constant time.
    match algorithm {
        HashAlgorithm::Sha1 => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key");
            mac.update(message);
            mac.verify_slice(&claimed).is_ok()
        }
        HashAlgorithm::Sha256 => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
            mac.update(message);
            mac.verify_slice(&claimed).is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2202_hmac_sha1_case_2() {
        let sig = sign_bytes(
            b"Jefe",
            b"what do ya want for nothing?",
            HashAlgorithm::Sha1,
        );
        assert_eq!(sig.as_str(), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    #[test]
    fn sha256_app_session_matches_js_sdk() {
        let s = "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000";
        let sig = sign_bytes(b"s3cr3t-Key_XYZ", s.as_bytes(), HashAlgorithm::Sha256);
        assert_eq!(
            sig.as_str(),
            "dbdb50cc7721aebeb6898d813b5d9854637826000c91ae0b2fc199f505279f52"
        );
    }

    #[test]
    fn more_pairs_than_fit_on_the_stack_sort_the_same() {
        let keys: Vec<String> = (0..40).rev().map(|i| format!("k{i:02}")).collect();
        let s = string_to_sign(keys.iter().map(|k| (k.as_str(), "v")));
        let expected: Vec<String> = (0..40).map(|i| format!("k{i:02}=v")).collect();
        assert_eq!(s.as_str(), expected.join("&"));
        for n in [0, 1, 15, 16, 17] {
            let s = string_to_sign(keys[..n].iter().map(|k| (k.as_str(), "v")));
            let mut expected: Vec<String> = keys[..n].iter().map(|k| format!("{k}=v")).collect();
            expected.sort();
            assert_eq!(s.as_str(), expected.join("&"), "{n} pairs");
        }
    }

    #[test]
    fn the_fast_comparison_agrees_with_comparing_the_joined_bytes() {
        let keys = [
            "",
            "a",
            "a+",
            "a=",
            "a[",
            "a[x]",
            "ab",
            "application_id",
            "applicatiON",
            "auth_key",
            "nonce",
            "timestamp",
            "user[login]",
            "user[password]",
            "user[email]",
            "user",
            "keys[token]",
            "keys[secret]",
            "abcdefgh",
            "abcdefghi",
            "abcdefgh=",
            "\u{e9}t\u{e9}",
        ];
        let values = ["", "1", "=", "z", "\u{e9}"];
        for ka in keys {
            for kb in keys {
                for va in values {
                    for vb in values {
                        let (a, b) = ((ka, va), (kb, vb));
                        assert_eq!(cmp_pairs(a, b), cmp_joined(a, b), "{a:?} {b:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn pairs_the_integer_keys_cannot_order_are_sorted_by_their_bytes() {
        // `keys[token]` and `keys[token_secret]` share their first 7 bytes
        // (as do duplicates), so their order comes from the byte comparison.
        let s = string_to_sign([
            ("keys[token_secret]", "s"),
            ("nonce", "1"),
            ("keys[token]", "t"),
            ("nonce", "1"),
            ("a", ""),
            ("a", "\0"),
        ]);
        assert_eq!(
            s.as_str(),
            "a=&a=\0&keys[token]=t&keys[token_secret]=s&nonce=1&nonce=1"
        );
    }

    #[test]
    fn a_mac_keyed_once_signs_as_one_keyed_for_each_message() {
        let (long, longer) = ("x".repeat(64), "y".repeat(200));
        for secret in ["k", "s3cr3t-Key_XYZ", &long, &longer] {
            let app = crate::AppCredentials::new(1, "key", SecretString::from(secret)).unwrap();
            for message in ["", "a=1", &longer] {
                assert_eq!(
                    sign_keyed(app.keyed_sha1(), message.as_bytes()),
                    sign(app.auth_secret(), message, HashAlgorithm::Sha1),
                    "a secret of {} bytes",
                    secret.len()
                );
            }
        }
    }

    #[test]
    fn the_hmac_state_is_wiped_on_drop() {
        // The keyed state signs as well as the secret does, and its buffer
        // holds the end of the string to sign: the password. The `zeroize`
        // features of `hmac`, `sha1` and `sha2` wipe the two hash states of
        // an HMAC and its block buffer (`Hmac` itself carries no marker);
        // this fails to compile if they are turned off.
        fn wiped<T: zeroize::ZeroizeOnDrop>() {}
        wiped::<sha1::block_api::Sha1Core>();
        wiped::<sha2::block_api::Sha256VarCore>();
        wiped::<hmac::digest::block_api::Buffer<hmac::block_api::HmacCore<sha1::Sha1>>>();
        wiped::<hmac::digest::block_api::Buffer<hmac::block_api::HmacCore<sha2::Sha256>>>();
    }

    #[test]
    fn pairs_sort_by_whole_pair_bytes() {
        // `a=` sorts before `a[`, because `=` (0x3d) < `[` (0x5b).
        let s = string_to_sign([("a[x]", "1"), ("a", "2"), ("B", "3")]);
        assert_eq!(s.as_str(), "B=3&a=2&a[x]=1");
    }

    #[test]
    fn verify_rejects_garbage_hex() {
        let secret = SecretString::from("k");
        assert!(!verify(&secret, "x", HashAlgorithm::Sha1, "zz"));
        assert!(!verify(&secret, "x", HashAlgorithm::Sha1, ""));
    }
}
