//! `qb-auth emulator --config FILE`: the emulator's world in one TOML file,
//! so that a test suite keeps it in its repository. Every key is optional;
//! an unknown key is an error (a typo must not pass silently). Errors say
//! where (line and column) and what, never a secret value, and never the
//! file's text.
//!
//! ```toml
//! listen = "127.0.0.1:8089"
//! session_ttl = "2h"            # or seconds: 7200
//! clock_offset = 0
//! rate_limit = 80
//! max_sessions = 250000
//!
//! [faults]
//! latency = "20ms"
//! error_503_share = 0.05
//! seed = 42
//! fail_next = ["503x2", "429:3"]
//!
//! [[apps]]
//! id = 12345
//! auth_key = "AbCdEfGh-12345"
//! auth_secret_file = "secret.txt" # beside this file; or auth_secret = "…"
//! account_key = "my-account-key"
//!
//! [[users]]
//! id = 1001
//! login = "alice"
//! password = "p@ss word&1=2"
//! email = "alice@example.com"
//! facebook_tokens = ["EAAGm0PX4ZCps"]
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use qb_auth_core::SecretString;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use zeroize::Zeroizing;

use super::specs::parse_duration;

/// A configuration file larger than this is refused unread.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The file, as read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    pub(crate) listen: Option<SocketAddr>,
    #[serde(default)]
    pub(crate) demo_fixtures: bool,
    pub(crate) session_ttl: Option<FileDuration>,
    pub(crate) clock_offset: Option<i64>,
    pub(crate) rate_limit: Option<u32>,
    pub(crate) max_sessions: Option<usize>,
    pub(crate) max_nonces: Option<usize>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) body_limit: Option<usize>,
    pub(crate) recent_requests: Option<usize>,
    pub(crate) control_token: Option<Secret>,
    #[serde(default)]
    pub(crate) faults: FaultsSection,
    #[serde(default)]
    pub(crate) apps: Vec<AppEntry>,
    #[serde(default)]
    pub(crate) users: Vec<UserEntry>,
}

/// `[faults]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultsSection {
    pub(crate) latency: Option<FileDuration>,
    pub(crate) error_500_share: Option<f64>,
    pub(crate) error_503_share: Option<f64>,
    pub(crate) drop_share: Option<f64>,
    pub(crate) throttle_share: Option<f64>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) seed: Option<u64>,
    #[serde(default)]
    pub(crate) fail_next: Vec<String>,
}

/// `[[apps]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppEntry {
    pub(crate) id: u64,
    pub(crate) auth_key: Option<String>,
    pub(crate) auth_secret: Option<Secret>,
    /// Relative to the configuration file's directory.
    pub(crate) auth_secret_file: Option<PathBuf>,
    pub(crate) api_key: Option<Secret>,
    pub(crate) account_key: Option<Secret>,
    #[serde(default)]
    pub(crate) accept_sha256: bool,
}

/// `[[users]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserEntry {
    /// The next free id when not given.
    pub(crate) id: Option<u64>,
    pub(crate) login: String,
    pub(crate) password: Secret,
    pub(crate) email: Option<String>,
    pub(crate) full_name: Option<String>,
    #[serde(default)]
    pub(crate) facebook_tokens: Vec<Secret>,
    #[serde(default)]
    pub(crate) twitter_tokens: Vec<TwitterEntry>,
    #[serde(default)]
    pub(crate) firebase_tokens: Vec<FirebaseEntry>,
}

/// `twitter_tokens = [{ token = "…", secret = "…" }]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TwitterEntry {
    pub(crate) token: Secret,
    pub(crate) secret: Secret,
}

/// `firebase_tokens = [{ project_id = "…", access_token = "…" }]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FirebaseEntry {
    pub(crate) project_id: String,
    pub(crate) access_token: Secret,
}

/// A secret in the file: a string, never quoted back in an error.
#[derive(Debug, Clone)]
pub(crate) struct Secret(pub(crate) SecretString);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret(SecretString::from(v)))
            }
            // Anything else: an error that does not repeat the value.
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
                Err(E::custom(
                    "a secret must be a string (the value is not shown)",
                ))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
                Err(E::custom(
                    "a secret must be a string (the value is not shown)",
                ))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
                Err(E::custom(
                    "a secret must be a string (the value is not shown)",
                ))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
                Err(E::custom(
                    "a secret must be a string (the value is not shown)",
                ))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// A duration in the file: `"500ms"`, `"2h"`, or whole seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileDuration(pub(crate) Duration);

impl<'de> Deserialize<'de> for FileDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;
        impl Visitor<'_> for Either {
            type Value = FileDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"500ms\" or \"2h\", or whole seconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FileDuration, E> {
                parse_duration(v).map(FileDuration).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FileDuration, E> {
                Ok(FileDuration(Duration::from_secs(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FileDuration, E> {
                u64::try_from(v)
                    .map(|secs| FileDuration(Duration::from_secs(secs)))
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }
        }
        deserializer.deserialize_any(Either)
    }
}

/// Why the configuration file could not be used. Never holds its text.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigFileError {
    #[error("cannot read the configuration file {}: {reason}", path.display())]
    Read {
        path: PathBuf,
        reason: std::io::ErrorKind,
    },
    #[error(
        "the configuration file {} is over {MAX_FILE_BYTES} bytes: not a configuration file",
        path.display()
    )]
    TooLarge { path: PathBuf },
    #[error("the configuration file {} is not UTF-8 text", path.display())]
    NotText { path: PathBuf },
    #[error("{}{where_}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        /// `:LINE:COLUMN`, when known.
        where_: String,
        message: String,
    },
}

impl ConfigFile {
    /// Reads and checks the file at `path`.
    pub(crate) fn load(path: &Path) -> Result<Self, ConfigFileError> {
        let read = |e: std::io::Error| ConfigFileError::Read {
            path: path.to_owned(),
            reason: e.kind(),
        };
        if std::fs::metadata(path).map_err(read)?.len() > MAX_FILE_BYTES {
            return Err(ConfigFileError::TooLarge {
                path: path.to_owned(),
            });
        }
        let bytes = Zeroizing::new(std::fs::read(path).map_err(read)?);
        let text = std::str::from_utf8(&bytes).map_err(|_| ConfigFileError::NotText {
            path: path.to_owned(),
        })?;
        Self::parse(text).map_err(|(where_, message)| ConfigFileError::Invalid {
            path: path.to_owned(),
            where_,
            message,
        })
    }

    /// Parses the text; on failure, where (`:LINE:COLUMN`) and why,
    /// without the text itself (toml's own message quotes the line).
    fn parse(text: &str) -> Result<Self, (String, String)> {
        toml::from_str(text).map_err(|e| {
            let where_ = e
                .span()
                .map(|span| {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    format!(":{line}:{column}")
                })
                .unwrap_or_default();
            (where_, e.message().trim().to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use qb_auth_core::ExposeSecret;

    use super::*;

    #[test]
    fn every_section_reads() {
        let file = ConfigFile::parse(
            r#"
            listen = "127.0.0.1:8089"
            demo_fixtures = true
            session_ttl = "500ms"
            clock_offset = -30
            max_sessions = 10
            [faults]
            latency = 2
            drop_share = 0.5
            fail_next = ["503x2"]
            [[apps]]
            id = 7
            auth_key = "k"
            auth_secret = "s"
            [[users]]
            login = "alice"
            password = "pw"
            twitter_tokens = [{ token = "t", secret = "s" }]
            "#,
        )
        .unwrap();
        assert_eq!(file.session_ttl.unwrap().0, Duration::from_millis(500));
        assert_eq!(file.faults.latency.unwrap().0, Duration::from_secs(2));
        assert_eq!(
            file.apps[0].auth_secret.as_ref().unwrap().0.expose_secret(),
            "s"
        );
        assert_eq!(file.users[0].twitter_tokens.len(), 1);
        assert!(!format!("{file:?}").contains("\"pw\""), "Debug redacts");
    }

    #[test]
    fn errors_say_where_and_never_quote_a_secret() {
        let (where_, message) =
            ConfigFile::parse("[[users]]\nlogin = \"a\"\npassword = 12345678\n").unwrap_err();
        assert_eq!(where_, ":3:12");
        assert!(message.contains("must be a string"), "{message}");
        assert!(!message.contains("12345678"), "{message}");
        let (_, message) = ConfigFile::parse("sesion_ttl = 5\n").unwrap_err();
        assert!(message.contains("sesion_ttl"), "{message}");
        let (where_, message) =
            ConfigFile::parse("[[apps]]\nid = 1\nauth_secret = \"SECRET-unterminated\n")
                .unwrap_err();
        assert!(where_.starts_with(":3:"), "{where_}");
        assert!(!message.contains("SECRET"), "{message}");
        let (_, message) = ConfigFile::parse("session_ttl = \"soon\"\n").unwrap_err();
        assert!(message.contains("not a duration"), "{message}");
    }
}
