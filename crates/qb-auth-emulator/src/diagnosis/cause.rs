//! The causes the emulator can establish, and how each is said.

use std::fmt;

/// Why a signature did not match, as far as the emulator can establish:
/// each variant but [`SignatureCause::Unexplained`] and
/// [`SignatureCause::NotTried`] was proven by signing the string that
/// mistake produces and getting the request's signature.
///
/// `Display` says it in one sentence, with what to do.
///
/// ```
/// use qb_auth_emulator::SignatureCause;
///
/// let cause = SignatureCause::NotSigned { names: vec!["user[password]".into()] };
/// assert_eq!(
///     cause.to_string(),
///     "user[password] was sent but not signed: sign every parameter you send but signature"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureCause {
    /// The signature is right once white space around it is removed.
    Padded,
    /// The signature is right in lower case; QuickBlox's is lowercase hex.
    UpperCase,
    /// A valid HMAC-SHA256 signature, for an application that accepts SHA-1
    /// only (see [`AppConfig::accept_sha256`](crate::AppConfig::accept_sha256)).
    Sha256NotAccepted,
    /// Not 40 (SHA-1) or 64 (SHA-256) hex characters (white space around
    /// them aside).
    NotHex {
        /// Its length in characters.
        length: usize,
    },
    /// Parameters that were sent but not signed.
    NotSigned {
        /// Their names.
        names: Vec<String>,
    },
    /// Parameters that were signed but not sent (a JSON `null` is no
    /// parameter): signed with an empty value or as `null`.
    SignedNotSent {
        /// Their names.
        names: Vec<String>,
    },
    /// The pairs were signed in the order they were sent, not sorted.
    NotSorted,
    /// Values were signed encoded otherwise than the body carries them.
    Encoded {
        /// How they were signed.
        how: Encoding,
        /// The parameters whose signed text differs from their value.
        names: Vec<String>,
    },
    /// A nested key was written one way in the body and another in the
    /// signed string.
    NestedKey {
        /// The key as sent, such as `user[login]`.
        sent: String,
        /// The key as signed, such as `user.login`.
        signed: String,
    },
    /// The signed timestamp is not the one sent.
    TimestampDiffers {
        /// The body's.
        sent: i64,
        /// The signed one.
        signed: i64,
    },
    /// The signed nonce is not the one sent.
    NonceDiffers {
        /// The body's.
        sent: i64,
        /// The signed one.
        signed: i64,
    },
    /// The string is right; the secret is not.
    WrongSecret(SecretMistake),
    /// None of the mistakes tried reproduces the signature. If the client
    /// signed exactly [`SignatureDiagnosis::string_to_sign`](crate::SignatureDiagnosis::string_to_sign),
    /// its secret is not the application's. The first 8 hex characters of
    /// both signatures, to compare with what the client computed (too few
    /// to forge one).
    Unexplained {
        /// The start of the signature the emulator expects for its string.
        expected_prefix: String,
        /// The start of the request's signature.
        received_prefix: String,
    },
    /// Too many parameters, or too long a string, to try the mistakes.
    NotTried,
}

/// How values were encoded in the signed string.
///
/// ```
/// use qb_auth_emulator::Encoding;
///
/// assert_eq!(Encoding::AsInBody.to_string(), "as written in the form body, still percent-encoded");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// As the form body has them, undecoded.
    AsInBody,
    /// Percent-encoded as `encodeURIComponent` does.
    Percent,
    /// Form-encoded (`+` for a space).
    Form,
    /// Keys and values percent-encoded.
    KeysAndValues,
    /// Decoded once more than the body needs: the body encoded them twice.
    DecodedTwice,
    /// Without the white space around them that the body carries.
    Trimmed,
}

/// Which wrong secret a signature was made with. The secret itself is never
/// shown.
///
/// ```
/// use qb_auth_emulator::SecretMistake;
///
/// assert_eq!(
///     SecretMistake::LineBreak.to_string(),
///     "the auth secret followed by a line break (as read from a file or a variable without trimming it)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretMistake {
    /// The auth key where the auth secret belongs.
    AuthKey,
    /// The secret with a line break after it.
    LineBreak,
    /// The secret with white space around it, or trimmed of the white space
    /// it has.
    Whitespace,
    /// Another configured application's secret.
    OtherApplication(u64),
    /// An empty secret.
    Empty,
}

impl SignatureCause {
    /// A stable snake_case name of the cause, as the control API gives it:
    /// `padded`, `upper_case`, `sha256_not_accepted`, `not_hex`,
    /// `not_signed`, `signed_not_sent`, `not_sorted`, `encoded`,
    /// `nested_key`, `timestamp_differs`, `nonce_differs`, `wrong_secret`,
    /// `unexplained` or `not_tried`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Padded => "padded",
            Self::UpperCase => "upper_case",
            Self::Sha256NotAccepted => "sha256_not_accepted",
            Self::NotHex { .. } => "not_hex",
            Self::NotSigned { .. } => "not_signed",
            Self::SignedNotSent { .. } => "signed_not_sent",
            Self::NotSorted => "not_sorted",
            Self::Encoded { .. } => "encoded",
            Self::NestedKey { .. } => "nested_key",
            Self::TimestampDiffers { .. } => "timestamp_differs",
            Self::NonceDiffers { .. } => "nonce_differs",
            Self::WrongSecret(_) => "wrong_secret",
            Self::Unexplained { .. } => "unexplained",
            Self::NotTried => "not_tried",
        }
    }
}

impl fmt::Display for SignatureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Padded => f.write_str(
                "the signature has white space around it: send the 40 hex characters alone",
            ),
            Self::UpperCase => f.write_str(
                "the signature is upper-case hex: QuickBlox expects lowercase (it is right once lowercased)",
            ),
            Self::Sha256NotAccepted => f.write_str(
                "a valid HMAC-SHA256 signature, but this application accepts HMAC-SHA1 only \
                 (the algorithm QuickBlox documents)",
            ),
            Self::NotHex { length: 40 | 64 } => f.write_str(
                "the signature has characters other than 0-9 and a-f: HMAC-SHA1 is sent as 40 \
                 lowercase hex characters",
            ),
            Self::NotHex { length } => write!(
                f,
                "the signature has {length} characters: HMAC-SHA1 is sent as 40 lowercase hex \
                 characters"
            ),
            Self::NotSigned { names } => write!(
                f,
                "{} {} sent but not signed: sign every parameter you send but signature",
                names.join(", "),
                were(names)
            ),
            Self::SignedNotSent { names } => write!(
                f,
                "{} {} signed but not sent (a JSON null is no parameter): sign only what you send",
                names.join(", "),
                were(names)
            ),
            Self::NotSorted => f.write_str(
                "the parameters were signed in the order they were sent: sort the key=value pairs \
                 before joining them with &",
            ),
            Self::Encoded { how, names } => {
                let fix = match how {
                    Encoding::DecodedTwice => "encode the body once",
                    _ => "sign the values as they are once the body is decoded",
                };
                write!(f, "{} {} signed {how}: {fix}", names.join(", "), were(names))
            }
            Self::NestedKey { sent, signed } => write!(
                f,
                "{sent} was signed as {signed}: nested keys are signed and sent as outer[inner]"
            ),
            Self::TimestampDiffers { sent, signed } => write!(
                f,
                "the signed timestamp is {signed} but the body's is {sent}: read the clock once and \
                 sign what you send"
            ),
            Self::NonceDiffers { sent, signed } => write!(
                f,
                "the signed nonce is {signed} but the body's is {sent}: draw the nonce once and sign \
                 what you send"
            ),
            Self::WrongSecret(mistake) => write!(f, "signed with {mistake}"),
            Self::Unexplained {
                expected_prefix,
                received_prefix,
            } => write!(
                f,
                "none of the usual mistakes reproduces the signature; if the client signed exactly \
                 the string shown, its secret is not this application's (for that string the \
                 emulator expects a signature starting {expected_prefix}, the request's starts \
                 {received_prefix})"
            ),
            Self::NotTried => f.write_str(
                "too many parameters or too long a string to try the usual mistakes",
            ),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AsInBody => "as written in the form body, still percent-encoded",
            Self::Percent => "percent-encoded",
            Self::Form => "form-encoded (+ for a space)",
            Self::KeysAndValues => "with keys and values percent-encoded",
            Self::DecodedTwice => "decoded, but the body encodes them twice",
            Self::Trimmed => "without the white space the body carries around them",
        })
    }
}

impl fmt::Display for SecretMistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AuthKey => f.write_str("the auth key instead of the auth secret"),
            Self::LineBreak => f.write_str(
                "the auth secret followed by a line break (as read from a file or a variable \
                 without trimming it)",
            ),
            Self::Whitespace => f.write_str("the auth secret with white space added or trimmed"),
            Self::OtherApplication(id) => write!(f, "the auth secret of application {id}"),
            Self::Empty => f.write_str("an empty auth secret"),
        }
    }
}

fn were(names: &[String]) -> &'static str {
    if names.len() == 1 { "was" } else { "were" }
}
