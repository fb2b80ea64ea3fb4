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
pub use authorize::{ApiKey, authorize, authorize_api_key, authorize_headers};
pub use body::{Body, BodyFormat};
pub use create_session::{CreateSession, SignedRequest};
pub use session_token::{destroy_session, get_session, login, logout};

use std::sync::LazyLock;

use http::Uri;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::uri::PathAndQuery;

use crate::endpoint::Endpoint;

/// A request as the core builds it; the body redacts itself in `Debug`.
///
/// ```
/// use qb_auth_core::{login, BodyFormat, Endpoint, HttpRequest, Identity, SessionToken};
///
/// let alice = Identity::login("alice", "p@ss word&1=2")?;
/// let token = SessionToken::new("c56f382b402fb482086db956064592d3cd012bba");
/// let req: HttpRequest = login(&Endpoint::default(), &token, &alice, BodyFormat::Form)?;
/// let shown = format!("{req:?}");
/// assert!(shown.contains("Body(42 bytes)"));
/// assert!(!shown.contains("p%40ss") && !shown.contains("c56f"));
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
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

// Constants, so that `from_static` checks the text once, at compile time.
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const FORM: HeaderValue =
    HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8");
const SDK: HeaderValue = HeaderValue::from_static(SDK_HEADER_VALUE);
const API_VERSION: HeaderValue = HeaderValue::from_static(REST_API_VERSION);

/// `endpoint` joined with `path` (which starts with `/`): the same `Uri` as
/// parsing the joined text, put together from parts. For the common base
/// (`https://host[:port]`, no path prefix) the path is static and the
/// authority was parsed with the endpoint: parsing it here, with the copy
/// of its text that needs, was a tenth of building a create-session
/// request (`cargo xtask bench`).
fn uri(endpoint: &Endpoint, path: &PathAndQuery) -> Result<Uri, crate::BuildError> {
    uri_with_path(endpoint, path.clone())
}

// The paths of the calls built here, each checked once: checking the text
// of `/session.json` again for every request was a twentieth of building
// one (`cargo xtask bench`). A clone shares the static text.
static SESSION_PATH: LazyLock<PathAndQuery> =
    LazyLock::new(|| PathAndQuery::from_static("/session.json"));
static LOGIN_PATH: LazyLock<PathAndQuery> =
    LazyLock::new(|| PathAndQuery::from_static("/login.json"));
static ACCOUNT_SETTINGS_PATH: LazyLock<PathAndQuery> =
    LazyLock::new(|| PathAndQuery::from_static("/account_settings.json"));

/// [`uri`] for a path made at run time (`/users/1001.json`).
pub(crate) fn uri_with_path(
    endpoint: &Endpoint,
    path: PathAndQuery,
) -> Result<Uri, crate::BuildError> {
    debug_assert!(
        path.path().starts_with('/'),
        "{path:?} must start with a slash"
    );
    let Some(origin) = endpoint.origin() else {
        // A path prefix (`https://host/qb`): join the text and parse it.
        return endpoint.uri(path.as_str());
    };
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(origin.scheme.clone());
    parts.authority = Some(origin.authority.clone());
    parts.path_and_query = Some(path);
    Uri::from_parts(parts)
        .map_err(|e| crate::BuildError::new(crate::BuildErrorKind::Http(e.to_string())))
}

/// A request under construction. `http::request::Builder` moves all of its
/// parts through a `Result` on every call, about a sixth of building a
/// create-session request (`cargo xtask bench`); this keeps the parts apart
/// and puts them into the request once, in [`finish`].
pub(crate) struct Draft {
    method: http::Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Draft {
    fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }
}

/// A request with the headers every call carries.
pub(crate) fn builder(method: http::Method, uri: Uri) -> Draft {
    Draft {
        method,
        uri,
        headers: common_headers(),
    }
}

/// The headers every call carries.
fn common_headers() -> HeaderMap {
    // Room for these three, a content type and a token without regrowing.
    let mut headers = HeaderMap::with_capacity(5);
    headers.append(ACCEPT, JSON);
    headers.append(QB_SDK, SDK);
    headers.append(QUICKBLOX_REST_API_VERSION, API_VERSION);
    headers
}

/// A request with the headers every call carries and a body of `format`,
/// cloned from a map made once per format: a clone hashes no names.
fn builder_with_body(method: http::Method, uri: Uri, format: BodyFormat) -> Draft {
    static JSON_HEADERS: LazyLock<HeaderMap> =
        LazyLock::new(|| with_content_type_headers(common_headers(), BodyFormat::Json));
    static FORM_HEADERS: LazyLock<HeaderMap> =
        LazyLock::new(|| with_content_type_headers(common_headers(), BodyFormat::Form));
    let headers = match format {
        BodyFormat::Json => &JSON_HEADERS,
        BodyFormat::Form => &FORM_HEADERS,
    };
    Draft {
        method,
        uri,
        headers: HeaderMap::clone(headers),
    }
}

fn with_content_type_headers(mut headers: HeaderMap, format: BodyFormat) -> HeaderMap {
    headers.append(CONTENT_TYPE, content_type(format));
    headers
}

fn content_type(format: BodyFormat) -> HeaderValue {
    match format {
        BodyFormat::Json => JSON,
        BodyFormat::Form => FORM,
    }
}

fn with_content_type(builder: Draft, format: BodyFormat) -> Draft {
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

#[inline]
pub(crate) fn finish(draft: Draft, body: Body) -> Result<HttpRequest, crate::BuildError> {
    let mut request = http::Request::new(body);
    *request.method_mut() = draft.method;
    *request.uri_mut() = draft.uri;
    *request.headers_mut() = draft.headers;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloned_body_headers_equal_headers_added_one_by_one() {
        let pairs = |draft: Draft| -> Vec<(HeaderName, HeaderValue)> {
            draft
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        };
        for format in [BodyFormat::Json, BodyFormat::Form] {
            let uri = Uri::from_static("https://api.quickblox.com/session.json");
            let cloned = builder_with_body(http::Method::POST, uri.clone(), format);
            let added = with_content_type(builder(http::Method::POST, uri), format);
            assert_eq!(pairs(cloned), pairs(added), "{format:?}");
        }
    }

    #[test]
    fn uri_from_parts_equals_parsing_the_joined_text() {
        for base in [
            "https://api.quickblox.com",
            "http://127.0.0.1:8080",
            "https://apiexample.quickblox.com:443/",
            "https://host/qb/",
            "HTTPS://Api.QuickBlox.com",
            "http://[::1]:9000",
        ] {
            let endpoint = Endpoint::parse(base).unwrap();
            for path in [&SESSION_PATH, &LOGIN_PATH, &ACCOUNT_SETTINGS_PATH] {
                let fast = uri(&endpoint, path).unwrap();
                let path = path.as_str();
                let parsed = endpoint.uri(path).unwrap();
                assert_eq!(fast, parsed, "{base} + {path}");
                assert_eq!(fast.to_string(), parsed.to_string(), "{base} + {path}");
                assert_eq!(fast.to_string(), endpoint.url(path), "{base} + {path}");
            }
        }
    }
}
