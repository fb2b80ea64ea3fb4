//! Every answer the emulator gives: QuickBlox's exact bodies where they are
//! known, and documented choices where they are not.

use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde::Serialize;

use crate::config::UserConfig;
use crate::diagnosis::SignatureDiagnosis;
use crate::faults::Fault;
use crate::refusal::Refusal;
use crate::sessions::{NonceValue, SessionRecord};
use crate::state::Full;

// Bodies QuickBlox is known to send, byte for byte.
pub(crate) const UNEXPECTED_SIGNATURE: &str = r#"{"errors":{"base":["Unexpected signature"]}}"#;
pub(crate) const BAD_TIMESTAMP: &str = r#"{"errors":{"base":["Bad timestamp"]}}"#;
pub(crate) const NO_APPLICATION: &str = r#"{"errors":{"base":["No application found"]}}"#;
pub(crate) const UNAUTHORIZED: &str = r#"{"errors":["Unauthorized"]}"#;
pub(crate) const SESSION_MISSING: &str =
    r#"{"errors":{"base":["Required session does not exist"]}}"#;
pub(crate) const TOKEN_REQUIRED: &str = r#"{"errors":["Token is required"]}"#;
pub(crate) const NEED_USER: &str = r#"{"errors":{"base":["Forbidden. Need user."]}}"#;

// Our choices where QuickBlox's bytes are unknown (documented in the crate docs).
pub(crate) const NONCE_REUSED: &str = r#"{"errors":{"base":["Nonce has already been used"]}}"#;
pub(crate) const TOO_MANY_REQUESTS: &str = r#"{"errors":["Too Many Requests"]}"#;
pub(crate) const INTERNAL_ERROR: &str = r#"{"errors":["Internal Server Error"]}"#;
pub(crate) const UNAVAILABLE: &str = r#"{"errors":["Service Unavailable"]}"#;
pub(crate) const TOO_LARGE: &str = r#"{"errors":["Request Entity Too Large"]}"#;
pub(crate) const TIMEOUT: &str = r#"{"errors":["Request Timeout"]}"#;
pub(crate) const NOT_FOUND: &str = r#"{"errors":["Not Found"]}"#;
pub(crate) const METHOD_NOT_ALLOWED: &str = r#"{"errors":["Method Not Allowed"]}"#;
pub(crate) const UNSUPPORTED_PROVIDER: &str = r#"{"errors":{"base":["Unsupported provider"]}}"#;
pub(crate) const BOTH_AUTHORIZATIONS: &str =
    r#"{"errors":{"base":["Use either QB-Token or Authorization, not both"]}}"#;
pub(crate) const ON_BEHALF_OF_UNKNOWN: &str =
    r#"{"errors":{"base":["On-Behalf-Of must be the id of an existing user"]}}"#;
pub(crate) const SESSION_CAP: &str =
    r#"{"errors":{"base":["Too many live sessions: the emulator's max_sessions is reached"]}}"#;
pub(crate) const NONCE_CAP: &str =
    r#"{"errors":{"base":["Too many used nonces: the emulator's max_nonces is reached"]}}"#;
pub(crate) const ACCOUNT_KEY_REQUIRED: &str = r#"{"errors":["Account key is required"]}"#;

/// An answer before the common headers (`Date` and the like) are added.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    /// When the token the request concerned expires: `QB-Token-ExpirationDate`.
    pub(crate) token_expiry: Option<SystemTime>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) allow: Option<&'static str>,
    /// Close the connection after answering (the request body was not read whole).
    pub(crate) close: bool,
    /// Why the request was refused, for the counters and the log; `None`
    /// for a success, an injected fault or an internal error.
    pub(crate) refusal: Option<Refusal>,
    /// For "Unexpected signature": what the emulator can tell about why.
    /// Never part of the answer's bytes.
    pub(crate) diagnosis: Option<Box<SignatureDiagnosis>>,
    /// More headers, set over the common ones (the control API's page
    /// sets its own `Content-Type`).
    pub(crate) extra_headers: Vec<(HeaderName, HeaderValue)>,
}

impl Answer {
    pub(crate) fn new(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            body: body.into(),
            token_expiry: None,
            retry_after: None,
            allow: None,
            close: false,
            refusal: None,
            diagnosis: None,
            extra_headers: Vec::new(),
        }
    }

    /// A refusal with one of the fixed bodies.
    fn refused(refusal: Refusal, status: StatusCode, body: &'static str) -> Self {
        let mut answer = Self::fixed(status, body);
        answer.refusal = Some(refusal);
        answer
    }

    pub(crate) fn fixed(status: StatusCode, body: &'static str) -> Self {
        Self::new(status, Bytes::from_static(body.as_bytes()))
    }

    /// A success with a JSON body.
    pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::new(status, body),
            // Our own structs of strings and numbers always serialise.
            Err(_) => Self::fixed(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_ERROR),
        }
    }

    /// `200` with an empty body, as QuickBlox answers DELETE calls.
    pub(crate) fn empty_ok() -> Self {
        Self::new(StatusCode::OK, Bytes::new())
    }

    /// `{"errors":{"base":[message]}}`.
    pub(crate) fn base_error(status: StatusCode, message: &str) -> Self {
        Self::json(
            status,
            &Errors {
                errors: Base { base: [message] },
            },
        )
    }

    /// A 400 or 415 for a request that could not be read.
    pub(crate) fn malformed(status: StatusCode, message: &str) -> Self {
        let mut answer = Self::base_error(status, message);
        answer.refusal = Some(Refusal::Malformed);
        answer
    }

    pub(crate) fn with_expiry(mut self, expiry: SystemTime) -> Self {
        self.token_expiry = Some(expiry);
        self
    }

    pub(crate) fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    /// "Unexpected signature", byte for byte as QuickBlox sends it; the
    /// diagnosis goes only to the log, the control API and the page.
    pub(crate) fn unexpected_signature(diagnosis: Option<SignatureDiagnosis>) -> Self {
        let mut answer = Self::refused(
            Refusal::UnexpectedSignature,
            StatusCode::UNPROCESSABLE_ENTITY,
            UNEXPECTED_SIGNATURE,
        );
        answer.diagnosis = diagnosis.map(Box::new);
        answer
    }

    pub(crate) fn bad_timestamp() -> Self {
        Self::refused(
            Refusal::BadTimestamp,
            StatusCode::UNPROCESSABLE_ENTITY,
            BAD_TIMESTAMP,
        )
    }

    pub(crate) fn no_application() -> Self {
        Self::refused(
            Refusal::NoApplication,
            StatusCode::UNPROCESSABLE_ENTITY,
            NO_APPLICATION,
        )
    }

    pub(crate) fn nonce_reused() -> Self {
        Self::refused(
            Refusal::NonceReused,
            StatusCode::UNPROCESSABLE_ENTITY,
            NONCE_REUSED,
        )
    }

    pub(crate) fn unauthorized() -> Self {
        Self::refused(
            Refusal::WrongCredentials,
            StatusCode::UNAUTHORIZED,
            UNAUTHORIZED,
        )
    }

    /// "Required session does not exist" for a token never issued or destroyed.
    pub(crate) fn unknown_token() -> Self {
        Self::refused(
            Refusal::UnknownToken,
            StatusCode::UNAUTHORIZED,
            SESSION_MISSING,
        )
    }

    /// "Required session does not exist" for a token that expired.
    pub(crate) fn session_expired() -> Self {
        Self::refused(
            Refusal::SessionExpired,
            StatusCode::UNAUTHORIZED,
            SESSION_MISSING,
        )
    }

    pub(crate) fn account_key_required() -> Self {
        Self::refused(
            Refusal::AccountKeyRequired,
            StatusCode::UNAUTHORIZED,
            ACCOUNT_KEY_REQUIRED,
        )
    }

    pub(crate) fn unknown_on_behalf_of() -> Self {
        Self::refused(
            Refusal::UnknownOnBehalfOf,
            StatusCode::UNPROCESSABLE_ENTITY,
            ON_BEHALF_OF_UNKNOWN,
        )
    }

    pub(crate) fn both_authorizations() -> Self {
        Self::refused(
            Refusal::Malformed,
            StatusCode::BAD_REQUEST,
            BOTH_AUTHORIZATIONS,
        )
    }

    pub(crate) fn token_required() -> Self {
        Self::refused(
            Refusal::TokenRequired,
            StatusCode::UNAUTHORIZED,
            TOKEN_REQUIRED,
        )
    }

    pub(crate) fn need_user() -> Self {
        Self::refused(
            Refusal::NeedUser,
            StatusCode::UNPROCESSABLE_ENTITY,
            NEED_USER,
        )
    }

    pub(crate) fn unsupported_provider() -> Self {
        Self::refused(
            Refusal::UnsupportedProvider,
            StatusCode::UNPROCESSABLE_ENTITY,
            UNSUPPORTED_PROVIDER,
        )
    }

    pub(crate) fn rate_limited(retry_after_secs: u64) -> Self {
        let mut answer = Self::refused(
            Refusal::RateLimited,
            StatusCode::TOO_MANY_REQUESTS,
            TOO_MANY_REQUESTS,
        );
        answer.retry_after = Some(retry_after_secs);
        answer
    }

    pub(crate) fn too_large() -> Self {
        Self::refused(
            Refusal::BodyTooLarge,
            StatusCode::PAYLOAD_TOO_LARGE,
            TOO_LARGE,
        )
        .closing()
    }

    /// A create-session refused at a cap.
    pub(crate) fn capacity(full: Full) -> Self {
        let body = match full {
            Full::Sessions => SESSION_CAP,
            Full::Nonces => NONCE_CAP,
        };
        Self::refused(Refusal::Capacity, StatusCode::SERVICE_UNAVAILABLE, body)
    }

    /// A connection shed while its body was still arriving.
    pub(crate) fn shed() -> Self {
        Self::refused(Refusal::Shed, StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE).closing()
    }

    pub(crate) fn timeout() -> Self {
        Self::refused(Refusal::BodyTimeout, StatusCode::REQUEST_TIMEOUT, TIMEOUT).closing()
    }

    pub(crate) fn not_found() -> Self {
        Self::refused(Refusal::UnknownRoute, StatusCode::NOT_FOUND, NOT_FOUND)
    }

    pub(crate) fn method_not_allowed(allow: &'static str) -> Self {
        let mut answer = Self::refused(
            Refusal::UnknownRoute,
            StatusCode::METHOD_NOT_ALLOWED,
            METHOD_NOT_ALLOWED,
        );
        answer.allow = Some(allow);
        answer
    }

    pub(crate) fn missing_parameter(name: &'static str) -> Self {
        Self::malformed(
            StatusCode::BAD_REQUEST,
            &format!("Missing parameter: {name}"),
        )
    }

    pub(crate) fn internal_error() -> Self {
        Self::fixed(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_ERROR)
    }

    /// The answer for an injected fault (never called for `Fault::Drop`).
    pub(crate) fn fault(fault: Fault) -> Self {
        match fault {
            Fault::Status503 => Self::fixed(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE),
            Fault::Status429 { retry_after_secs } => {
                let mut answer = Self::fixed(StatusCode::TOO_MANY_REQUESTS, TOO_MANY_REQUESTS);
                answer.retry_after = Some(retry_after_secs);
                answer
            }
            Fault::Status500 | Fault::Drop => Self::internal_error(),
        }
    }
}

#[derive(Serialize)]
struct Errors<'a> {
    errors: Base<'a>,
}

#[derive(Serialize)]
struct Base<'a> {
    base: [&'a str; 1],
}

/// `{"session":{...}}`, fields in QuickBlox's order.
#[derive(Serialize)]
pub(crate) struct SessionEnvelope<'a> {
    session: SessionJson<'a>,
}

#[derive(Serialize)]
struct SessionJson<'a> {
    application_id: u64,
    created_at: String,
    id: u64,
    nonce: &'a NonceValue,
    token: &'a str,
    ts: i64,
    updated_at: String,
    user_id: u64,
    #[serde(rename = "_id")]
    object_id: String,
}

impl<'a> SessionEnvelope<'a> {
    pub(crate) fn new(token: &'a str, record: &'a SessionRecord) -> Self {
        Self {
            session: SessionJson {
                application_id: record.app_id,
                created_at: qb_auth_core::time::format_rfc3339(record.created_at),
                id: record.id,
                nonce: &record.nonce,
                token,
                ts: record.ts,
                updated_at: qb_auth_core::time::format_rfc3339(record.updated_at),
                user_id: record.user_id,
                object_id: record.id.to_string(),
            },
        }
    }
}

/// `{"user":{...}}`, with the fields QuickBlox's user answers carry.
#[derive(Serialize)]
pub(crate) struct UserEnvelope<'a> {
    user: UserJson<'a>,
}

#[derive(Serialize)]
struct UserJson<'a> {
    id: u64,
    full_name: Option<&'a str>,
    email: Option<&'a str>,
    login: &'a str,
    phone: Option<&'a str>,
    website: Option<&'a str>,
    created_at: String,
    updated_at: String,
    last_request_at: Option<String>,
    external_user_id: Option<u64>,
    facebook_id: Option<&'a str>,
    blob_id: Option<u64>,
    custom_data: Option<&'a str>,
    user_tags: Option<&'a str>,
}

impl<'a> UserEnvelope<'a> {
    pub(crate) fn new(
        user: &'a UserConfig,
        created_at: SystemTime,
        last_request_at: Option<SystemTime>,
    ) -> Self {
        let created = qb_auth_core::time::format_rfc3339(created_at);
        Self {
            user: UserJson {
                id: user.id,
                full_name: user.full_name.as_deref(),
                email: user.email.as_deref(),
                login: &user.login,
                phone: None,
                website: None,
                updated_at: created.clone(),
                created_at: created,
                last_request_at: last_request_at.map(qb_auth_core::time::format_rfc3339),
                external_user_id: None,
                facebook_id: None,
                blob_id: None,
                custom_data: None,
                user_tags: None,
            },
        }
    }
}

/// A page of `GET /users.json`.
#[derive(Serialize)]
pub(crate) struct UsersPage<'a> {
    pub(crate) current_page: u64,
    pub(crate) per_page: u64,
    pub(crate) total_entries: u64,
    pub(crate) items: Vec<UserEnvelope<'a>>,
}

/// `GET /chat/Dialog.json`: an empty list in QuickBlox's shape.
#[derive(Serialize)]
pub(crate) struct DialogsPage {
    pub(crate) total_entries: u64,
    pub(crate) skip: u64,
    pub(crate) limit: u64,
    pub(crate) items: [(); 0],
}

/// `GET /account_settings.json`.
#[derive(Serialize)]
pub(crate) struct AccountSettingsJson<'a> {
    pub(crate) api_endpoint: &'a str,
    pub(crate) chat_endpoint: &'a str,
    pub(crate) turnserver_endpoint: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bodies_have_the_lengths_seen_in_real_logs() {
        // Content-Length values from QuickBlox logs (see the protocol notes).
        assert_eq!(NEED_USER.len(), 45);
        assert_eq!(BAD_TIMESTAMP.len(), 37);
        assert_eq!(NO_APPLICATION.len(), 44);
        assert_eq!(UNAUTHORIZED.len(), 27);
        assert_eq!(SESSION_MISSING.len(), 55);
    }

    #[test]
    fn base_error_escapes_and_matches_the_fixed_shape() {
        let answer = Answer::base_error(StatusCode::UNPROCESSABLE_ENTITY, "Bad timestamp");
        assert_eq!(&answer.body[..], BAD_TIMESTAMP.as_bytes());
        let quoted = Answer::base_error(StatusCode::BAD_REQUEST, "a \"b\"");
        assert_eq!(&quoted.body[..], br#"{"errors":{"base":["a \"b\""]}}"#);
    }

    #[test]
    fn session_json_keeps_quickblox_field_order() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_567_349_756);
        let record = SessionRecord::new(
            1_151_827_623,
            76730,
            0,
            NonceValue::parse("7334"),
            1_567_349_756,
            t,
            std::time::Instant::now(),
        );
        let token = "c56f382b402fb482086db956064592d3cd012bba";
        let json = serde_json::to_string(&SessionEnvelope::new(token, &record)).unwrap();
        assert_eq!(
            json,
            r#"{"session":{"application_id":76730,"created_at":"2019-09-01T14:55:56Z","id":1151827623,"nonce":7334,"token":"c56f382b402fb482086db956064592d3cd012bba","ts":1567349756,"updated_at":"2019-09-01T14:55:56Z","user_id":0,"_id":"1151827623"}}"#
        );
    }
}
