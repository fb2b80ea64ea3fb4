//! Authorizing requests the caller built: a session token or an API key.

use std::fmt;

use http::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::{ON_BEHALF_OF, QB_TOKEN, sensitive_value};
use crate::error::{BuildError, BuildErrorKind};
use crate::secret::SessionToken;

/// Adds `QB-Token` (marked sensitive) to any request, such as `GET /users.json`.
/// Replaces an `Authorization` header, since QuickBlox takes one or the other.
///
/// ```
/// use qb_auth_core::{authorize, SessionToken};
///
/// let mut req = http::Request::get("https://api.quickblox.com/users.json").body(())?;
/// authorize(&mut req, &SessionToken::new("abc"))?;
/// assert_eq!(req.headers()["qb-token"], "abc");
/// assert!(format!("{req:?}").contains("Sensitive"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn authorize<B>(
    request: &mut http::Request<B>,
    token: &SessionToken,
) -> Result<(), BuildError> {
    authorize_headers(request.headers_mut(), token)
}

/// [`authorize`] for the headers of a request of another HTTP client's
/// type (a `reqwest::Request`, say): the same header, the same removals.
///
/// ```
/// use qb_auth_core::request::authorize_headers;
/// use qb_auth_core::SessionToken;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("authorization", "ApiKey k".parse()?);
/// authorize_headers(&mut headers, &SessionToken::new("abc"))?;
/// assert_eq!(headers["qb-token"], "abc");
/// assert!(headers["qb-token"].is_sensitive());
/// assert!(!headers.contains_key("authorization"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn authorize_headers(
    headers: &mut http::HeaderMap,
    token: &SessionToken,
) -> Result<(), BuildError> {
    let value = sensitive_value(token.expose(), "session token")?;
    headers.remove(AUTHORIZATION);
    headers.remove(ON_BEHALF_OF);
    headers.insert(QB_TOKEN, value);
    Ok(())
}

/// A server-side API key: permanent, full permissions, for backends only.
///
/// ```
/// use qb_auth_core::ApiKey;
///
/// let key = ApiKey::new("key-123");
/// assert_eq!(format!("{key:?}"), "ApiKey([REDACTED])");
/// ```
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key from the dashboard.
    pub fn new(key: impl Into<String>) -> Self {
        Self(SecretString::from(key.into()))
    }

    /// The key text.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

/// Adds `Authorization: ApiKey <key>` (marked sensitive) and, when given,
/// `On-Behalf-Of: <user id>`. Removes any `QB-Token`, since QuickBlox takes
/// one or the other.
///
/// ```
/// use qb_auth_core::{authorize_api_key, ApiKey};
///
/// let mut req = http::Request::get("https://api.quickblox.com/users.json").body(())?;
/// authorize_api_key(&mut req, &ApiKey::new("k"), Some(42))?;
/// assert_eq!(req.headers()["authorization"], "ApiKey k");
/// assert_eq!(req.headers()["on-behalf-of"], "42");
/// assert!(authorize_api_key(&mut req, &ApiKey::new(" "), None).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn authorize_api_key<B>(
    request: &mut http::Request<B>,
    key: &ApiKey,
    on_behalf_of: Option<u64>,
) -> Result<(), BuildError> {
    let key = key.expose().trim();
    if key.is_empty() {
        return Err(BuildError::new(BuildErrorKind::Empty("API key")));
    }
    let value = sensitive_value(&Zeroizing::new(format!("ApiKey {key}")), "API key")?;
    let headers = request.headers_mut();
    headers.remove(QB_TOKEN);
    headers.insert(AUTHORIZATION, value);
    match on_behalf_of {
        Some(user) => {
            headers.insert(ON_BEHALF_OF, http::HeaderValue::from(user));
        }
        None => {
            headers.remove(ON_BEHALF_OF);
        }
    }
    Ok(())
}
