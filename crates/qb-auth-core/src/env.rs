//! Application credentials from the environment, under the names the
//! `qb-auth` command reads too, and secret files read one way everywhere.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::credentials::AppCredentials;
use crate::error::BuildError;

/// `QB_APP_ID`: the application id.
pub const APP_ID: &str = "QB_APP_ID";
/// `QB_AUTH_KEY`: the authorization key.
pub const AUTH_KEY: &str = "QB_AUTH_KEY";
/// `QB_AUTH_SECRET`: the authorization secret itself.
pub const AUTH_SECRET: &str = "QB_AUTH_SECRET";
/// `QB_AUTH_SECRET_FILE`: a file holding the authorization secret (a
/// mounted secret, a pipe from a password manager).
pub const AUTH_SECRET_FILE: &str = "QB_AUTH_SECRET_FILE";

/// The most a secret file may hold: a secret is a few dozen bytes, and a
/// path that names something endless (a device, a runaway pipe) must not
/// fill memory.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Why credentials could not be read from the environment or a secret
/// file. It names the variable or the file, never a value.
///
/// ```
/// use qb_auth_core::{AppCredentials, EnvError};
///
/// // (In a process whose environment has no QB_APP_ID.)
/// # if std::env::var_os("QB_APP_ID").is_none() {
/// let err = AppCredentials::from_env().unwrap_err();
/// assert!(matches!(err, EnvError::Missing("QB_APP_ID")));
/// assert_eq!(err.to_string(), "QB_APP_ID is not set");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// A variable the credentials need is not set (or is empty).
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable is set to something that is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUnicode(&'static str),
    /// The application id is not a positive integer.
    #[error("{0} is not an application id (a positive integer)")]
    NotAnId(&'static str),
    /// Neither the secret nor a secret file is set.
    #[error("{AUTH_SECRET} is not set (nor {AUTH_SECRET_FILE})")]
    MissingSecret,
    /// Both the secret and a secret file are set: which one is meant?
    #[error("both {AUTH_SECRET} and {AUTH_SECRET_FILE} are set: set one")]
    SecretTwice,
    /// The secret file could not be read, or holds no usable secret.
    #[error(transparent)]
    SecretFile(#[from] SecretFileError),
    /// The values were read but are not usable (an empty key).
    #[error(transparent)]
    Invalid(#[from] BuildError),
}

/// A secret file that could not be read, or holds no usable secret. It
/// names the file, never its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFileError {
    path: PathBuf,
    problem: FileProblem,
}

impl SecretFileError {
    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What is wrong with it.
    pub fn problem(&self) -> FileProblem {
        self.problem
    }
}

impl fmt::Display for SecretFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            FileProblem::Unreadable(kind) => write!(
                f,
                "could not read the secret file {}: {kind}",
                self.path.display()
            ),
            problem => write!(f, "the secret file {} {problem}", self.path.display()),
        }
    }
}

impl std::error::Error for SecretFileError {}

/// What is wrong with a secret file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileProblem {
    /// It could not be read, as the operating system said.
    Unreadable(std::io::ErrorKind),
    /// Nothing but white space.
    Empty,
    /// More than [`read_secret_file`] reads (64 KiB).
    TooLarge,
    /// Not UTF-8 text.
    NotText,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable(kind) => write!(f, "cannot be read: {kind}"),
            Self::Empty => f.write_str("is empty (or only white space)"),
            Self::TooLarge => f.write_str("is larger than any secret (64 KiB)"),
            Self::NotText => f.write_str("is not UTF-8 text"),
        }
    }
}

impl AppCredentials {
    /// The application's credentials from `QB_APP_ID`, `QB_AUTH_KEY`, and
    /// `QB_AUTH_SECRET` or `QB_AUTH_SECRET_FILE` (read with
    /// [`read_secret_file`]): the names the `qb-auth` command reads.
    ///
    /// # Errors
    ///
    /// [`EnvError`], naming the variable that is missing or wrong (never
    /// its value), or the file that could not be read.
    ///
    /// ```no_run
    /// use qb_auth_core::AppCredentials;
    ///
    /// // QB_APP_ID=12345 QB_AUTH_KEY=... QB_AUTH_SECRET_FILE=/run/secrets/qb ./my-service
    /// let app = AppCredentials::from_env()?;
    /// println!("application {}", app.application_id());
    /// # Ok::<(), qb_auth_core::EnvError>(())
    /// ```
    pub fn from_env() -> Result<Self, EnvError> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) over any source of variables (a
    /// configuration map, a test's).
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use qb_auth_core::{AppCredentials, EnvError};
    ///
    /// let vars = |name: &str| match name {
    ///     "QB_APP_ID" => Some(OsString::from("12345")),
    ///     "QB_AUTH_KEY" => Some(OsString::from("AbCdEfGh-12345")),
    ///     _ => None,
    /// };
    /// let err = AppCredentials::from_vars(vars).unwrap_err();
    /// assert_eq!(err.to_string(), "QB_AUTH_SECRET is not set (nor QB_AUTH_SECRET_FILE)");
    /// ```
    pub fn from_vars(vars: impl Fn(&str) -> Option<OsString>) -> Result<Self, EnvError> {
        let text = |name: &'static str| -> Result<Option<String>, EnvError> {
            match vars(name) {
                None => Ok(None),
                Some(value) => {
                    let value = value
                        .into_string()
                        .map_err(|_| EnvError::NotUnicode(name))?;
                    Ok((!value.trim().is_empty()).then_some(value))
                }
            }
        };
        let id = text(APP_ID)?.ok_or(EnvError::Missing(APP_ID))?;
        let id = id
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or(EnvError::NotAnId(APP_ID))?;
        let key = text(AUTH_KEY)?.ok_or(EnvError::Missing(AUTH_KEY))?;
        let secret = match (vars(AUTH_SECRET), text(AUTH_SECRET_FILE)?) {
            (Some(_), Some(_)) => return Err(EnvError::SecretTwice),
            (None, Some(path)) => read_secret_file(Path::new(&path))?,
            (Some(secret), None) => {
                let secret = secret
                    .into_string()
                    .map_err(|_| EnvError::NotUnicode(AUTH_SECRET))?;
                SecretString::from(secret)
            }
            (None, None) => return Err(EnvError::MissingSecret),
        };
        Ok(Self::new(id, key.trim(), secret)?)
    }
}

/// Reads a secret from a file, as every part of qb-auth reads one: one
/// trailing line break (`\n` or `\r\n`, which editors and `echo` add) is
/// not part of the secret; a file of nothing but white space, of more than
/// 64 KiB, or not UTF-8 is refused. Pipes are read (`<(pass show qb)`),
/// and the text read is wiped when it is dropped.
///
/// # Errors
///
/// [`SecretFileError`], with the file and what is wrong with it.
///
/// ```
/// use qb_auth_core::{read_secret_file, ExposeSecret, FileProblem};
///
/// let path = std::env::temp_dir().join(format!("qb-auth-doc-secret-{}", std::process::id()));
/// std::fs::write(&path, "s3cr3t\n")?;
/// assert_eq!(read_secret_file(&path)?.expose_secret(), "s3cr3t");
/// std::fs::write(&path, "  \n")?;
/// assert_eq!(read_secret_file(&path).unwrap_err().problem(), FileProblem::Empty);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_secret_file(path: &Path) -> Result<SecretString, SecretFileError> {
    let bad = |problem| SecretFileError {
        path: path.to_owned(),
        problem,
    };
    let failed = |e: std::io::Error| bad(FileProblem::Unreadable(e.kind()));
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_SECRET_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_SECRET_FILE {
        return Err(bad(FileProblem::TooLarge));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| bad(FileProblem::NotText))?;
    let secret = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(text);
    if secret.trim().is_empty() {
        return Err(bad(FileProblem::Empty));
    }
    Ok(SecretString::from(secret))
}
