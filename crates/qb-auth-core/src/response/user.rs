use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize};

use super::flex;
use crate::time::parse_rfc3339;

/// A QuickBlox user, as `POST /login.json` returns it. Every field but `id`
/// is optional; fields this type does not name are kept in `extra`.
///
/// ```
/// use qb_auth_core::User;
///
/// let body = r#"{"id":"42","login":"alice","phone":5550100,"age":30}"#;
/// let user: User = serde_json::from_str(body)?;
/// assert_eq!(user.id, 42);
/// assert_eq!(user.login.as_deref(), Some("alice"));
/// assert_eq!(user.phone.as_deref(), Some("5550100"));
/// assert_eq!(user.extra["age"], 30);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user id.
    #[serde(deserialize_with = "required_u64")]
    pub id: u64,
    /// Login name.
    #[serde(default)]
    pub login: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Full name.
    #[serde(default)]
    pub full_name: Option<String>,
    /// Phone number.
    #[serde(default, deserialize_with = "flex::opt_text")]
    pub phone: Option<String>,
    /// Website.
    #[serde(default)]
    pub website: Option<String>,
    /// The id in the caller's own system.
    #[serde(default, deserialize_with = "flex::opt_text")]
    pub external_user_id: Option<String>,
    /// Facebook id.
    #[serde(default, deserialize_with = "flex::opt_text")]
    pub facebook_id: Option<String>,
    /// Avatar blob id.
    #[serde(default, deserialize_with = "flex::opt_u64")]
    pub blob_id: Option<u64>,
    /// Free-form custom data.
    #[serde(default)]
    pub custom_data: Option<String>,
    /// Comma-separated tags.
    #[serde(default, deserialize_with = "flex::opt_text")]
    pub user_tags: Option<String>,
    /// When the user was created (RFC 3339 text).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the user was updated (RFC 3339 text).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// When the user last made a request (RFC 3339 text).
    #[serde(default)]
    pub last_request_at: Option<String>,
    /// Any other fields.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl User {
    /// `created_at` as a time.
    pub fn created_at_time(&self) -> Option<SystemTime> {
        self.created_at.as_deref().and_then(parse_rfc3339)
    }

    /// `last_request_at` as a time.
    pub fn last_request_at_time(&self) -> Option<SystemTime> {
        self.last_request_at.as_deref().and_then(parse_rfc3339)
    }
}

fn required_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    flex::opt_u64(d)?.ok_or_else(|| serde::de::Error::custom("id is null"))
}

#[derive(Deserialize)]
pub(super) struct Envelope {
    pub(super) user: User,
}
