use http::Method;

use super::{
    ACCOUNT_SETTINGS_PATH, Body, HttpRequest, QB_ACCOUNT_KEY, builder, finish, sensitive_value, uri,
};
use crate::endpoint::Endpoint;
use crate::error::BuildError;

/// `GET /account_settings.json`: asks which API and chat hosts an account
/// uses. No session is needed, only the account key.
///
/// QuickBlox answers this on the shared host (`Endpoint::default()`); ask
/// there unless your deployment says otherwise, then switch to the returned
/// [`crate::AccountSettings::api_endpoint`].
///
/// ```
/// use qb_auth_core::{account_settings, Endpoint};
///
/// let req = account_settings(&Endpoint::default(), "ak-123")?;
/// assert_eq!(req.uri(), "https://api.quickblox.com/account_settings.json");
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
pub fn account_settings(endpoint: &Endpoint, account_key: &str) -> Result<HttpRequest, BuildError> {
    finish(
        builder(Method::GET, uri(endpoint, &ACCOUNT_SETTINGS_PATH)?)
            .header(QB_ACCOUNT_KEY, sensitive_value(account_key, "account key")?),
        Body::empty(),
    )
}
