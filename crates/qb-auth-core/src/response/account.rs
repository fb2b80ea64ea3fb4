use serde::{Deserialize, Serialize};

use super::flex;
use crate::endpoint::Endpoint;

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
    /// `None` when absent or unusable.
    ///
    /// ```
    /// use qb_auth_core::AccountSettings;
    ///
    /// let mut settings = AccountSettings::default();
    /// assert_eq!(settings.endpoint(), None);
    /// settings.api_endpoint = Some("apiexample.quickblox.com".into());
    /// let endpoint = settings.endpoint().expect("a bare host is usable");
    /// assert_eq!(endpoint.as_str(), "https://apiexample.quickblox.com");
    /// settings.api_endpoint = Some("ftp://apiexample.quickblox.com".into());
    /// assert_eq!(settings.endpoint(), None);
    /// ```
    pub fn endpoint(&self) -> Option<Endpoint> {
        let api = self.api_endpoint.as_deref()?.trim();
        if api.contains("://") {
            Endpoint::parse(api).ok()
        } else {
            Endpoint::from_host(api).ok()
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
