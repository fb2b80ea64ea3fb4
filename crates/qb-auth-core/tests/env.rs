//! Credentials from `QB_*` variables and secret files: each missing or
//! wrong variable is named, no value is ever shown, and a secret file is
//! read the one way (one trailing line break dropped, white space alone,
//! too much or not text refused).

use std::ffi::OsString;
use std::path::PathBuf;

use qb_auth_core::env::{APP_ID, AUTH_KEY, AUTH_SECRET, AUTH_SECRET_FILE};
use qb_auth_core::{AppCredentials, EnvError, ExposeSecret, FileProblem, read_secret_file};

fn vars(pairs: &[(&'static str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let pairs: Vec<(&'static str, OsString)> =
        pairs.iter().map(|(k, v)| (*k, OsString::from(v))).collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

struct TempFile(PathBuf);

impl TempFile {
    fn with(name: &str, content: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("qb-auth-env-{}-{name}", std::process::id()));
        std::fs::write(&path, content).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn complete_variables_give_credentials() {
    let app = AppCredentials::from_vars(vars(&[
        (APP_ID, " 12345 "),
        (AUTH_KEY, "AbCdEfGh-12345"),
        (AUTH_SECRET, "s3cr3t-Key_XYZ"),
    ]))
    .unwrap();
    assert_eq!(
        (app.application_id(), app.auth_key()),
        (12345, "AbCdEfGh-12345")
    );
    assert_eq!(app.auth_secret().expose_secret(), "s3cr3t-Key_XYZ");

    let file = TempFile::with("good", b"s3cr3t-Key_XYZ\r\n");
    let path = file.0.to_str().unwrap().to_owned();
    let app = AppCredentials::from_vars(vars(&[
        (APP_ID, "12345"),
        (AUTH_KEY, "k"),
        (AUTH_SECRET_FILE, &path),
    ]))
    .unwrap();
    assert_eq!(app.auth_secret().expose_secret(), "s3cr3t-Key_XYZ");
}

#[test]
fn each_missing_or_wrong_variable_is_named_and_no_value_shown() {
    let cases: [(&[(&'static str, &str)], EnvError); 6] = [
        (&[], EnvError::Missing(APP_ID)),
        (&[(APP_ID, "  ")], EnvError::Missing(APP_ID)),
        (
            &[(APP_ID, "twelve"), (AUTH_KEY, "k")],
            EnvError::NotAnId(APP_ID),
        ),
        (&[(APP_ID, "0"), (AUTH_KEY, "k")], EnvError::NotAnId(APP_ID)),
        (&[(APP_ID, "1")], EnvError::Missing(AUTH_KEY)),
        (&[(APP_ID, "1"), (AUTH_KEY, "k")], EnvError::MissingSecret),
    ];
    for (given, expected) in cases {
        assert_eq!(
            AppCredentials::from_vars(vars(given)).unwrap_err(),
            expected
        );
    }
    let both = AppCredentials::from_vars(vars(&[
        (APP_ID, "1"),
        (AUTH_KEY, "k"),
        (AUTH_SECRET, "s3cr3t-value"),
        (AUTH_SECRET_FILE, "/run/secrets/qb"),
    ]))
    .unwrap_err();
    assert_eq!(both, EnvError::SecretTwice);
    assert!(!format!("{both} {both:?}").contains("s3cr3t-value"));
}

#[test]
fn a_secret_file_is_read_one_way() {
    for (content, expected) in [
        (&b"s3cr3t\n"[..], Some("s3cr3t")),
        (b"s3cr3t\r\n", Some("s3cr3t")),
        (b"s3cr3t", Some("s3cr3t")),
        (b" s3cr3t \n\n", Some(" s3cr3t \n")),
        (b"\n", None),
        (b"  \t\n", None),
    ] {
        let file = TempFile::with("cases", content);
        match (read_secret_file(&file.0), expected) {
            (Ok(secret), Some(e)) => assert_eq!(secret.expose_secret(), e),
            (Err(err), None) => assert_eq!(err.problem(), FileProblem::Empty),
            (other, _) => panic!("{content:?}: {other:?}"),
        }
    }
    let big = TempFile::with("big", &vec![b'a'; 64 * 1024 + 1]);
    assert_eq!(
        read_secret_file(&big.0).unwrap_err().problem(),
        FileProblem::TooLarge
    );
    let binary = TempFile::with("binary", &[0xff, 0xfe, 0x00]);
    assert_eq!(
        read_secret_file(&binary.0).unwrap_err().problem(),
        FileProblem::NotText
    );
    let missing = read_secret_file(std::path::Path::new("/nonexistent/qb-secret")).unwrap_err();
    assert_eq!(
        missing.problem(),
        FileProblem::Unreadable(std::io::ErrorKind::NotFound)
    );
    assert_eq!(
        missing.to_string(),
        "could not read the secret file /nonexistent/qb-secret: entity not found"
    );
}
