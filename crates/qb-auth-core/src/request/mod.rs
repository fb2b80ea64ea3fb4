//! Requests out: every authentication call as an `http::Request`.
//!
//! Nothing here sends anything. Each function returns a request for a
//! transport to send; [`crate::response`] reads the answer.

mod account;
mod authorize;
mod body;
mod create_session;
mod session_token;

pub use account::account_settings;
pub use authorize::{ApiKey, authorize, authorize_api_key};
pub use body::{Body, BodyFormat};
pub use create_session::{CreateSession, SignedRequest};
pub use session_token::{destroy_session, get_session, login, logout};

use http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};

/// A request as the core builds it; the body redacts itself in `Debug`.
pub type HttpRequest = http::Request<Body>;

/// `QB-Token`: the session token header.
pub const QB_TOKEN: HeaderName = HeaderName::from_static("qb-token");
/// `QB-Account-Key`: the account key header of `account_settings`.
pub const QB_ACCOUNT_KEY: HeaderName = HeaderName::from_static("qb-account-key");
/// `QB-SDK`: names the client library, as the official SDKs do.
pub const QB_SDK: HeaderName = HeaderName::from_static("qb-sdk");
/// `On-Behalf-Of`: the user an API-key request acts for.
pub const ON_BEHALF_OF: HeaderName = HeaderName::from_static("on-behalf-of");

/// `QuickBlox-REST-API-Version`: the API version the official Android, iOS and
/// .NET SDKs announce; optional for the server, sent for parity with them.
pub const QUICKBLOX_REST_API_VERSION: HeaderName =
    HeaderName::from_static("quickblox-rest-api-version");
/// The API version this crate speaks.
pub const REST_API_VERSION: &str = "0.1.1";

/// The value of `QB-SDK`: this crate and its version.
pub const SDK_HEADER_VALUE: &str = concat!("Rust qb-auth-core/", env!("CARGO_PKG_VERSION"));

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A request builder with the headers every call carries.
fn builder(method: http::Method, uri: http::Uri) -> http::request::Builder {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header(ACCEPT, JSON)
        .header(QB_SDK, HeaderValue::from_static(SDK_HEADER_VALUE))
        .header(
            QUICKBLOX_REST_API_VERSION,
            HeaderValue::from_static(REST_API_VERSION),
        )
}

fn content_type(format: BodyFormat) -> HeaderValue {
    match format {
        BodyFormat::Json => JSON,
        BodyFormat::Form => {
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8")
        }
    }
}

fn with_content_type(
    builder: http::request::Builder,
    format: BodyFormat,
) -> http::request::Builder {
    builder.header(CONTENT_TYPE, content_type(format))
}

/// A header value from text that is secret: checked, and marked sensitive
/// so that `http`'s `Debug` and well-behaved transports hide it.
fn sensitive_value(value: &str, name: &'static str) -> Result<HeaderValue, crate::BuildError> {
    let mut value = HeaderValue::from_str(value.trim())
        .map_err(|_| crate::BuildError::new(crate::BuildErrorKind::InvalidHeaderValue(name)))?;
    if value.is_empty() {
        return Err(crate::BuildError::new(crate::BuildErrorKind::Empty(name)));
    }
    value.set_sensitive(true);
    Ok(value)
}

fn finish(builder: http::request::Builder, body: Body) -> Result<HttpRequest, crate::BuildError> {
    builder
        .body(body)
        .map_err(|e| crate::BuildError::new(crate::BuildErrorKind::Http(e.to_string())))
}
