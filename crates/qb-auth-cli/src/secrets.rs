//! Where secrets come from: a flag or its `QB_*` variable, a file, or a
//! prompt without echo. Never from a default, and never shown back.

use std::io::IsTerminal;
use std::path::Path;

use qb_auth_core::{ExposeSecret, FileProblem, SecretFileError, SecretString, read_secret_file};

/// A secret the command needs, and how the user can give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Needed {
    /// What it is, for the prompt and the error: `auth secret`.
    pub(crate) what: &'static str,
    /// The flag: `--auth-secret`.
    pub(crate) flag: &'static str,
    /// The environment variable: `QB_AUTH_SECRET`.
    pub(crate) env: &'static str,
    /// Another way to give it, when there is one: `--auth-secret-file PATH`.
    pub(crate) or: Option<&'static str>,
}

impl Needed {
    pub(crate) const AUTH_SECRET: Self = Self {
        what: "auth secret",
        flag: "--auth-secret",
        env: "QB_AUTH_SECRET",
        or: Some("--auth-secret-file PATH"),
    };
    pub(crate) const PASSWORD: Self = Self {
        what: "password",
        flag: "--password",
        env: "QB_PASSWORD",
        or: None,
    };
    pub(crate) const PROVIDER_TOKEN: Self = Self {
        what: "provider token",
        flag: "--provider-token",
        env: "QB_PROVIDER_TOKEN",
        or: None,
    };
    pub(crate) const PROVIDER_SECRET: Self = Self {
        what: "provider secret",
        flag: "--provider-secret",
        env: "QB_PROVIDER_SECRET",
        or: None,
    };
    pub(crate) const FIREBASE_TOKEN: Self = Self {
        what: "Firebase ID token",
        flag: "--firebase-token",
        env: "QB_FIREBASE_TOKEN",
        or: None,
    };
    pub(crate) const TOKEN: Self = Self {
        what: "session token",
        flag: "--token",
        env: "QB_TOKEN",
        or: None,
    };
    pub(crate) const ACCOUNT_KEY: Self = Self {
        what: "account key",
        flag: "--account-key",
        env: "QB_ACCOUNT_KEY",
        or: None,
    };
}

/// A secret could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SecretError {
    /// Not given, and no terminal to ask on.
    #[error(
        "the {} is missing: pass {} or set {}{}; stdin is not a terminal, so it cannot be asked for",
        .0.what, .0.flag, .0.env, .0.or.map(|o| format!(", or use {o}")).unwrap_or_default()
    )]
    Missing(Needed),
    /// The terminal prompt failed or got nothing.
    #[error("could not read the {what} from the terminal: {reason}")]
    Prompt { what: &'static str, reason: String },
    /// The prompt was answered with nothing.
    #[error("no {0} was entered")]
    EmptyAnswer(&'static str),
    /// A secret file could not be read, or holds no usable secret.
    #[error("{}", FileMessage(what, error))]
    File {
        what: &'static str,
        error: SecretFileError,
    },
    /// Both a value and a file were given.
    #[error("give the {} with {} (or {}) or with a file, not both", .0.what, .0.flag, .0.env)]
    Ambiguous(Needed),
}

/// A secret file's error, naming which secret it was for.
struct FileMessage<'a>(&'a &'static str, &'a SecretFileError);

impl std::fmt::Display for FileMessage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, path) = (self.0, self.1.path().display());
        match self.1.problem() {
            FileProblem::Unreadable(kind) => {
                write!(f, "could not read the {what} file {path}: {kind}")
            }
            FileProblem::Empty => write!(
                f,
                "the {what} file {path} holds no secret (it is empty or white space)"
            ),
            problem => write!(f, "the {what} file {path} {problem}"),
        }
    }
}

/// A value parser for secret flags: anything goes, and it is wrapped at once
/// so that no `Debug` of the arguments can show it.
pub(crate) fn parse_secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

/// The secret from its flag or variable; otherwise asks on the terminal.
/// An empty value counts as missing (an exported but empty variable).
pub(crate) fn require(
    given: Option<&SecretString>,
    needed: Needed,
) -> Result<SecretString, SecretError> {
    match given.filter(|s| !s.expose_secret().is_empty()) {
        Some(secret) => Ok(secret.clone()),
        None => prompt(needed),
    }
}

/// A secret from either a value or a file, never both; asks when neither.
pub(crate) fn require_with_file(
    given: Option<&SecretString>,
    file: Option<&Path>,
    needed: Needed,
) -> Result<SecretString, SecretError> {
    let given = given.filter(|s| !s.expose_secret().is_empty());
    match (given, file) {
        (Some(_), Some(_)) => Err(SecretError::Ambiguous(needed)),
        (None, Some(path)) => read_file(path, needed.what),
        (given, None) => require(given, needed),
    }
}

/// Reads a secret file the one way qb-auth reads them
/// ([`read_secret_file`]: one trailing line break is not part of the
/// secret; white space alone, more than 64 KiB or not text is refused),
/// naming which secret it was for.
pub(crate) fn read_file(path: &Path, what: &'static str) -> Result<SecretString, SecretError> {
    read_secret_file(path).map_err(|error| SecretError::File { what, error })
}

fn prompt(needed: Needed) -> Result<SecretString, SecretError> {
    if !std::io::stdin().is_terminal() {
        return Err(SecretError::Missing(needed));
    }
    let answer = rpassword::prompt_password(format!("{} (not echoed): ", needed.what))
        .map(SecretString::from)
        .map_err(|e| SecretError::Prompt {
            what: needed.what,
            reason: e.kind().to_string(),
        })?;
    if answer.expose_secret().is_empty() {
        return Err(SecretError::EmptyAnswer(needed.what));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_loses_one_trailing_line_break_only() {
        let dir = std::env::temp_dir().join(format!("qb-auth-cli-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret");
        for (content, expected) in [
            ("s3cr3t\n", Some("s3cr3t")),
            ("s3cr3t\r\n", Some("s3cr3t")),
            ("s3cr3t", Some("s3cr3t")),
            (" s3cr3t \n\n", Some(" s3cr3t \n")),
            ("\n", None),
            ("", None),
            ("  \t\n", None),
            ("\n\n", None),
        ] {
            std::fs::write(&path, content).unwrap();
            let read = read_file(&path, "auth secret");
            match expected {
                Some(e) => assert_eq!(read.unwrap().expose_secret(), e),
                None => assert!(matches!(
                    read,
                    Err(SecretError::File { ref error, .. }) if error.problem() == FileProblem::Empty
                )),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_file_names_the_path_not_a_value() {
        let err = read_file(Path::new("/nonexistent/qb-secret"), "auth secret").unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not read the auth secret file /nonexistent/qb-secret: entity not found"
        );
    }

    #[test]
    fn value_and_file_together_are_refused() {
        let value = SecretString::from("x");
        let err = require_with_file(
            Some(&value),
            Some(Path::new("/tmp/whatever")),
            Needed::AUTH_SECRET,
        )
        .unwrap_err();
        assert!(matches!(err, SecretError::Ambiguous(_)));
    }

    #[test]
    fn missing_says_how_to_give_it() {
        let err = SecretError::Missing(Needed::AUTH_SECRET);
        assert_eq!(
            err.to_string(),
            "the auth secret is missing: pass --auth-secret or set QB_AUTH_SECRET, or use \
             --auth-secret-file PATH; stdin is not a terminal, so it cannot be asked for"
        );
    }

    #[test]
    fn a_given_value_is_used_without_asking() {
        let value = SecretString::from("pw");
        assert_eq!(
            require(Some(&value), Needed::PASSWORD)
                .unwrap()
                .expose_secret(),
            "pw"
        );
    }
}
