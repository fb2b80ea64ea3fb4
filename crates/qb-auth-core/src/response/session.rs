use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::flex;
use crate::secret::SessionToken;

/// A QuickBlox session: its token and what the server said about it.
///
/// Serialises with serde (token included, on purpose) so a process can save
/// it and restore it after a restart; times are RFC 3339 strings in UTC
/// (`"2024-05-01T12:00:00Z"`), and the `{"secs_since_epoch", ..}` objects
/// earlier versions wrote are still read. `Debug` redacts the token.
///
/// ```
/// use qb_auth_core::{Session, SessionToken};
///
/// let session = Session::new(SessionToken::new("t0k3n"));
/// assert_eq!(session.user(), None);
/// assert!(!format!("{session:?}").contains("t0k3n"));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// The token to send as `QB-Token`.
    pub token: SessionToken,
    /// The session id.
    pub id: Option<u64>,
    /// `_id`: the session id as text, in the form the server gave it.
    pub object_id: Option<String>,
    /// The application the session belongs to.
    pub application_id: Option<u64>,
    /// The user id; `0` means an application session. See [`Session::user`].
    pub user_id: u64,
    /// The nonce the session was created with (a number or a string on the wire).
    pub nonce: Option<String>,
    /// The timestamp the session was created with.
    pub ts: Option<i64>,
    /// When the session was created.
    #[serde(default, with = "crate::time::rfc3339_opt")]
    pub created_at: Option<SystemTime>,
    /// When the session was last updated.
    #[serde(default, with = "crate::time::rfc3339_opt")]
    pub updated_at: Option<SystemTime>,
    /// `QB-Token-ExpirationDate` of the answer that carried the session.
    #[serde(default, with = "crate::time::rfc3339_opt")]
    pub expires_at: Option<SystemTime>,
}

impl Session {
    /// A session known only by its token, such as one minted by a backend.
    ///
    /// ```
    /// use qb_auth_core::{Session, SessionToken};
    ///
    /// let session = Session::new(SessionToken::new("t0k3n"));
    /// assert_eq!(session.token, SessionToken::new("t0k3n"));
    /// assert_eq!((session.id, session.user_id, session.expires_at), (None, 0, None));
    /// ```
    pub fn new(token: SessionToken) -> Self {
        Self {
            token,
            id: None,
            object_id: None,
            application_id: None,
            user_id: 0,
            nonce: None,
            ts: None,
            created_at: None,
            updated_at: None,
            expires_at: None,
        }
    }

    /// The user this session belongs to, or `None` for an application session.
    pub fn user(&self) -> Option<u64> {
        (self.user_id != 0).then_some(self.user_id)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token", &self.token)
            .field("id", &self.id)
            .field("application_id", &self.application_id)
            .field("user_id", &self.user_id)
            .field("nonce", &self.nonce)
            .field("ts", &self.ts)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// `{"session": {...}}` as it comes over the wire.
#[derive(Deserialize)]
pub(super) struct Envelope {
    pub(super) session: Wire,
}

#[derive(Deserialize)]
pub(super) struct Wire {
    token: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_u64")]
    id: Option<u64>,
    #[serde(rename = "_id", default, deserialize_with = "flex::opt_text")]
    object_id: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_u64")]
    application_id: Option<u64>,
    #[serde(default, deserialize_with = "flex::opt_u64")]
    user_id: Option<u64>,
    #[serde(default, deserialize_with = "flex::opt_text")]
    nonce: Option<String>,
    #[serde(default, deserialize_with = "flex::lenient_i64")]
    ts: Option<i64>,
    #[serde(default, deserialize_with = "flex::lenient_time")]
    created_at: Option<SystemTime>,
    #[serde(default, deserialize_with = "flex::lenient_time")]
    updated_at: Option<SystemTime>,
}

impl Wire {
    pub(super) fn into_session(self, expires_at: Option<SystemTime>) -> Result<Session, String> {
        let token = self
            .token
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| "the session has no token".to_owned())?;
        Ok(Session {
            token: SessionToken::new(token),
            id: self.id,
            object_id: self.object_id,
            application_id: self.application_id,
            user_id: self.user_id.unwrap_or(0),
            nonce: self.nonce,
            ts: self.ts,
            created_at: self.created_at,
            updated_at: self.updated_at,
            expires_at,
        })
    }
}
