//! Answers in: typed sessions, users and settings, or a classified [`ApiError`].
//!
//! Every parser takes the whole `http::Response`, so nothing is lost: an
//! error keeps the status, the headers that matter and the raw body.

mod account;
mod error;
mod flex;
mod session;
mod user;

pub use account::AccountSettings;
pub use error::{ApiError, ErrorKind, Retry, RetryAfter};

use crate::call::operation::Operation;
pub use session::Session;
pub use user::User;

pub(crate) use error::{Head, header_str};

use std::time::SystemTime;

use http::HeaderName;
use serde::de::DeserializeOwned;

/// `QB-Token-ExpirationDate`: when the token expires if not used again.
pub const QB_TOKEN_EXPIRATION_DATE: HeaderName = HeaderName::from_static("qb-token-expirationdate");

/// Reads `QB-Token-ExpirationDate` from an answer, in any format seen.
pub fn token_expiration(headers: &http::HeaderMap) -> Option<SystemTime> {
    header_str(headers, QB_TOKEN_EXPIRATION_DATE).and_then(crate::time::parse_expiration)
}

/// Reads the answer's `Date` header: the server's clock.
pub fn server_date(headers: &http::HeaderMap) -> Option<SystemTime> {
    header_str(headers, http::header::DATE).and_then(crate::time::parse_http_date)
}

/// Reads the answer to `POST /session.json` or `GET /session.json`.
///
/// ```
/// use qb_auth_core::{parse_session, Operation};
///
/// let body = br#"{"session":{"application_id":76730,"created_at":"2019-09-01T14:55:56Z",
///   "id":1151827623,"nonce":7334,"token":"c56f382b402fb482086db956064592d3cd012bba",
///   "ts":1567349756,"updated_at":"2019-09-01T14:55:56Z","user_id":0,"_id":"1151827623"}}"#;
/// let response = http::Response::builder()
///     .status(201)
///     .header("QB-Token-ExpirationDate", "2019-09-01 16:55:56 UTC")
///     .body(body.to_vec())?;
/// let session = parse_session(&response, Operation::CreateApplicationSession)?;
/// assert_eq!(session.application_id, Some(76730));
/// assert_eq!(session.user(), None);
/// assert!(session.expires_at.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_session<B: AsRef<[u8]>>(
    response: &http::Response<B>,
    operation: Operation,
) -> Result<Session, ApiError> {
    let envelope: session::Envelope = parse_json(response, operation)?;
    let head = head(response);
    envelope
        .session
        .into_session(token_expiration(response.headers()))
        .map_err(|detail| ApiError::malformed(head, operation, response.body().as_ref(), detail))
}

/// Reads the answer to `POST /login.json`: the user now logged in.
///
/// ```
/// use qb_auth_core::{parse_user, Operation};
///
/// let response = http::Response::builder()
///     .status(202)
///     .body(br#"{"user":{"id":42,"login":"alice","email":null}}"#.to_vec())?;
/// let user = parse_user(&response, Operation::Login)?;
/// assert_eq!(user.id, 42);
/// assert_eq!(user.login.as_deref(), Some("alice"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_user<B: AsRef<[u8]>>(
    response: &http::Response<B>,
    operation: Operation,
) -> Result<User, ApiError> {
    parse_json::<user::Envelope, B>(response, operation).map(|e| e.user)
}

/// Reads the answer to `GET /account_settings.json`.
///
/// ```
/// use qb_auth_core::{parse_account_settings, Operation};
///
/// let response = http::Response::builder().status(200).body(
///     br#"{"api_endpoint":"https://apiexample.quickblox.com","chat_endpoint":"chatexample.quickblox.com"}"#.to_vec(),
/// )?;
/// let settings = parse_account_settings(&response)?;
/// assert_eq!(settings.endpoint().unwrap().as_str(), "https://apiexample.quickblox.com");
/// assert_eq!(settings.chat_host(), Some("chatexample.quickblox.com"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_account_settings<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<AccountSettings, ApiError> {
    parse_json(response, Operation::AccountSettings)
}

/// Checks the answer to a call whose success has no body worth reading
/// (`DELETE /session.json`, `DELETE /login.json`), or to any other call the
/// caller reads itself: `Ok` for 2xx, a classified error otherwise.
///
/// ```
/// use qb_auth_core::{check_status, ErrorKind, Operation};
///
/// let ok = http::Response::builder().status(200).body(Vec::new())?;
/// assert!(check_status(&ok, Operation::DestroySession).is_ok());
///
/// let expired = http::Response::builder().status(401)
///     .body(br#"{"errors":{"base":["Required session does not exist"]}}"#.to_vec())?;
/// let err = check_status(&expired, Operation::Other).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::SessionExpired);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_status<B: AsRef<[u8]>>(
    response: &http::Response<B>,
    operation: Operation,
) -> Result<(), ApiError> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(ApiError::from_answer(
            head(response),
            operation,
            response.body().as_ref(),
        ))
    }
}

fn head<B>(response: &http::Response<B>) -> Head<'_> {
    Head {
        status: response.status(),
        headers: response.headers(),
    }
}

fn parse_json<T: DeserializeOwned, B: AsRef<[u8]>>(
    response: &http::Response<B>,
    operation: Operation,
) -> Result<T, ApiError> {
    check_status(response, operation)?;
    let body = response.body().as_ref();
    // Checked as UTF-8 once, in bulk: `from_slice` checks every string and
    // key it meets, one by one, a tenth of reading a session. A body that
    // is not UTF-8 goes to `from_slice`, for the same error as before.
    let parsed = match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    };
    parsed.map_err(|e| {
        // The serde message can quote values from the body; keep only where
        // and what kind of problem it was.
        let what = match e.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "JSON of an unexpected shape",
            serde_json::error::Category::Eof => "truncated or empty",
        };
        let detail = format!(
            "body of {} bytes is {what} (line {}, column {})",
            body.len(),
            e.line(),
            e.column()
        );
        ApiError::malformed(head(response), operation, body, detail)
    })
}
