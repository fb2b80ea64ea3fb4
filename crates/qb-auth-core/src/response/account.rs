use serde::{Deserialize, Serialize};

use super::flex;
use crate::endpoint::Endpoint;

/// `GET /account_settings.json`: the hosts an account uses. Every field is
/// optional, since QuickBlox has removed fields from this answer before.
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
    pub fn endpoint(&self) -> Option<Endpoint> {
        let api = self.api_endpoint.as_deref()?.trim();
        if api.contains("://") {
            Endpoint::parse(api).ok()
        } else {
            Endpoint::from_host(api).ok()
        }
    }

    /// `chat_endpoint` as a bare host, with any scheme removed.
    pub fn chat_host(&self) -> Option<&str> {
        let chat = self.chat_endpoint.as_deref()?.trim();
        let host = chat.split_once("://").map_or(chat, |(_, rest)| rest);
        let host = host.trim_end_matches('/');
        (!host.is_empty()).then_some(host)
    }
}
