use serde::{Deserialize, Serialize};

use super::flex;
use crate::endpoint::Endpoint;
use crate::error::{BuildError, BuildErrorKind};

/// `GET /account_settings.json`: the hosts an account uses. Every field is
/// optional, since QuickBlox has removed fields from this answer before.
///
/// ```
/// use qb_auth_core::AccountSettings;
///
/// // Older answers send the account id as text; newer ones leave it out.
/// let body = r#"{"api_endpoint":"https://apiexample.quickblox.com","account_id":"7"}"#;
/// let settings: AccountSettings = serde_json::from_str(body)?;
/// assert_eq!(settings.account_id, Some(7));
/// assert_eq!(settings.chat_endpoint, None);
/// assert_eq!(serde_json::from_str::<AccountSettings>("{}")?, AccountSettings::default());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountSettings {
    /// The API base URL, with a scheme (`https://apiexample.quickblox.com`).
    #[serde(default)]
    pub api_endpoint: Option<String>,
    /// The chat host, without a scheme (`chatexample.quickblox.com`).
    #[serde(default)]
    pub chat_endpoint: Option<String>,
    /// The TURN server host.
    #[serde(default)]
    pub turnserver_endpoint: Option<String>,
    /// The account id (older answers only).
    #[serde(default, deserialize_with = "flex::opt_u64")]
    pub account_id: Option<u64>,
    /// The storage bucket (older answers only).
    #[serde(default)]
    pub s3_bucket_name: Option<String>,
}

impl AccountSettings {
    /// `api_endpoint` as an [`Endpoint`] (a bare host gets `https`);
    /// `None` when absent or unusable, plain `http://` to a host that is not
    /// loopback included. [`AccountSettings::try_endpoint`] says why.
    pub fn endpoint(&self) -> Option<Endpoint> {
        self.try_endpoint().ok()
    }

    /// `api_endpoint` as an [`Endpoint`], with the same rules as
    /// [`Endpoint::parse`]: a server that names a plain `http://` host that
    /// is not loopback is refused with
    /// [`BuildErrorKind::PlainHttpNotLoopback`](crate::BuildErrorKind::PlainHttpNotLoopback),
    /// so switching to it can never send credentials in clear text. An
    /// absent or blank `api_endpoint` is `BuildErrorKind::Empty("api_endpoint")`.
    ///
    /// ```
    /// use qb_auth_core::{AccountSettings, BuildErrorKind};
    ///
    /// let mut settings = AccountSettings::default();
    /// settings.api_endpoint = Some("http://apiexample.quickblox.com".into());
    /// let err = settings.try_endpoint().unwrap_err();
    /// assert!(matches!(err.kind(), BuildErrorKind::PlainHttpNotLoopback(_)));
    /// settings.api_endpoint = Some("https://apiexample.quickblox.com".into());
    /// assert_eq!(settings.try_endpoint()?.as_str(), "https://apiexample.quickblox.com");
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn try_endpoint(&self) -> Result<Endpoint, BuildError> {
        let api = self.api_endpoint.as_deref().unwrap_or_default().trim();
        if api.is_empty() {
            Err(BuildError::new(BuildErrorKind::Empty("api_endpoint")))
        } else if api.contains("://") {
            Endpoint::parse(api)
        } else {
            Endpoint::from_host(api)
        }
    }

    /// `chat_endpoint` as a bare host, with any scheme removed.
    ///
    /// ```
    /// use qb_auth_core::AccountSettings;
    ///
    /// let mut settings = AccountSettings::default();
    /// settings.chat_endpoint = Some("https://chatexample.quickblox.com/".into());
    /// assert_eq!(settings.chat_host(), Some("chatexample.quickblox.com"));
    /// settings.chat_endpoint = Some("  ".into());
    /// assert_eq!(settings.chat_host(), None);
    /// ```
    pub fn chat_host(&self) -> Option<&str> {
        let chat = self.chat_endpoint.as_deref()?.trim();
        let host = chat.split_once("://").map_or(chat, |(_, rest)| rest);
        let host = host.trim_end_matches('/');
        (!host.is_empty()).then_some(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_api(api: &str) -> AccountSettings {
        AccountSettings {
            api_endpoint: Some(api.to_owned()),
            ..AccountSettings::default()
        }
    }

    #[test]
    fn the_account_switch_never_goes_to_plain_http_off_loopback() {
        for remote in ["http://apiexample.quickblox.com", "http://10.1.2.3:80/qb"] {
            assert_eq!(with_api(remote).endpoint(), None, "{remote}");
        }
        let local = with_api("http://127.0.0.1:8080").endpoint();
        assert_eq!(
            local.map(String::from).as_deref(),
            Some("http://127.0.0.1:8080")
        );
        let https = with_api("https://apiexample.quickblox.com").endpoint();
        assert!(https.is_some());
        let err = with_api("http://apiexample.quickblox.com")
            .try_endpoint()
            .unwrap_err();
        assert_eq!(
            err.kind(),
            &BuildErrorKind::PlainHttpNotLoopback("apiexample.quickblox.com".into())
        );
        assert!(err.to_string().contains("use https://"), "{err}");
        let err = AccountSettings::default().try_endpoint().unwrap_err();
        assert_eq!(err.kind(), &BuildErrorKind::Empty("api_endpoint"));
    }
}
