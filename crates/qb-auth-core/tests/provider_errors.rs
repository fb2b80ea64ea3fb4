//! `?` works inside a user's credentials or token provider: the errors such
//! code meets convert into `ProviderError`, permanent or transient as
//! asking again can or cannot help.

use std::error::Error as _;

use qb_auth_core::lifecycle::{ProviderError, SessionCredentials};
use qb_auth_core::{AppCredentials, Identity, SecretString};

fn credentials(password: &str) -> Result<SessionCredentials, ProviderError> {
    let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
    Ok(SessionCredentials::new(
        app,
        Identity::login("alice", password)?,
    ))
}

#[test]
fn input_that_cannot_be_signed_is_permanent() {
    let err = credentials("").unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(
        err.source().unwrap().to_string(),
        "password must not be empty"
    );
    assert!(credentials("pw").is_ok());
}

#[test]
fn a_missing_variable_is_permanent_and_a_failed_read_may_pass() {
    let from_env = || -> Result<String, ProviderError> {
        Ok(std::env::var("QB_AUTH_TEST_A_VARIABLE_NOBODY_SETS_9F2C")?)
    };
    assert!(!from_env().unwrap_err().is_retryable());

    let from_file = || -> Result<String, ProviderError> {
        Ok(std::fs::read_to_string("/nonexistent/qb-auth/secret")?)
    };
    let err = from_file().unwrap_err();
    assert!(err.is_retryable());
    assert!(err.source().is_some());
}

#[test]
fn any_boxed_error_may_pass_and_keeps_its_words() {
    let fetched = || -> Result<String, ProviderError> {
        let failed: Box<dyn std::error::Error + Send + Sync> = "backend said 502".into();
        Err(failed)?
    };
    let err = fetched().unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.source().unwrap().to_string(), "backend said 502");
    // The provider's own words are not repeated by the wrapper.
    assert!(!err.to_string().contains("backend said 502"), "{err}");
}
