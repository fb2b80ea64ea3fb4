//! Calls made with an existing session token.

use http::Method;

use http::uri::PathAndQuery;

use super::{
    Body, BodyFormat, HttpRequest, LOGIN_PATH, QB_TOKEN, SESSION_PATH, builder, finish,
    sensitive_value, uri, with_content_type,
};
use crate::credentials::Identity;
use crate::endpoint::Endpoint;
use crate::error::{BuildError, BuildErrorKind};
use crate::params::Params;
use crate::secret::SessionToken;

fn with_token(
    method: Method,
    endpoint: &Endpoint,
    path: &PathAndQuery,
    token: &SessionToken,
) -> Result<super::Draft, BuildError> {
    Ok(builder(method, uri(endpoint, path)?)
        .header(QB_TOKEN, sensitive_value(token.expose(), "session token")?))
}

/// `GET /session.json`: reads the session a token belongs to.
///
/// ```
/// use qb_auth_core::{get_session, Endpoint, SessionToken};
///
/// let req = get_session(&Endpoint::default(), &SessionToken::new("abc"))?;
/// assert_eq!(req.method(), "GET");
/// assert!(req.headers()["qb-token"].is_sensitive());
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
pub fn get_session(endpoint: &Endpoint, token: &SessionToken) -> Result<HttpRequest, BuildError> {
    finish(
        with_token(Method::GET, endpoint, &SESSION_PATH, token)?,
        Body::empty(),
    )
}

/// `DELETE /session.json`: destroys the session; the token stops working.
///
/// ```
/// use qb_auth_core::{destroy_session, Endpoint, SessionToken};
///
/// let req = destroy_session(&Endpoint::default(), &SessionToken::new("abc"))?;
/// assert_eq!(req.method(), "DELETE");
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
pub fn destroy_session(
    endpoint: &Endpoint,
    token: &SessionToken,
) -> Result<HttpRequest, BuildError> {
    finish(
        with_token(Method::DELETE, endpoint, &SESSION_PATH, token)?,
        Body::empty(),
    )
}

/// `POST /login.json`: logs a user into an existing session. The token
/// stays the same and becomes a user session token. Not signed.
///
/// ```
/// use qb_auth_core::{login, BodyFormat, Endpoint, Identity, SessionToken};
///
/// let user = Identity::login("alice", "p@ss word&1=2")?;
/// let req = login(&Endpoint::default(), &SessionToken::new("abc"), &user, BodyFormat::Form)?;
/// assert_eq!(req.body().as_bytes(), b"login=alice&password=p%40ss%20word%261%3D2");
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
pub fn login(
    endpoint: &Endpoint,
    token: &SessionToken,
    identity: &Identity,
    format: BodyFormat,
) -> Result<HttpRequest, BuildError> {
    if !identity.is_user() {
        return Err(BuildError::new(BuildErrorKind::IdentityNotAllowed(
            "logging in needs a user identity, not an application one",
        )));
    }
    let params = Params::login(&identity.0);
    let body = match format {
        BodyFormat::Json => params.json_body(None).0,
        BodyFormat::Form => params.form_body(None).0,
    };
    finish(
        with_content_type(
            with_token(Method::POST, endpoint, &LOGIN_PATH, token)?,
            format,
        ),
        Body::from(body),
    )
}

/// `DELETE /login.json`: logs the user out; the token stays valid as an
/// application session token.
///
/// ```
/// use qb_auth_core::{logout, Endpoint, SessionToken};
///
/// let req = logout(&Endpoint::default(), &SessionToken::new("abc"))?;
/// assert_eq!(req.uri(), "https://api.quickblox.com/login.json");
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
pub fn logout(endpoint: &Endpoint, token: &SessionToken) -> Result<HttpRequest, BuildError> {
    finish(
        with_token(Method::DELETE, endpoint, &LOGIN_PATH, token)?,
        Body::empty(),
    )
}
