//! The lifecycle's persistent state, in a stable serde form.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::response::Session;
use crate::time::parse_rfc3339;

use super::skew::ClockSkew;

/// What a process saves so that it can restore its session after a
/// restart: the session, when it stops being valid by the local clock, and
/// the measured clock offset. Renewal progress and jitter are not saved:
/// they belong to the process.
///
/// Serialised with serde in a stable, documented shape (format version 1):
///
/// ```json
/// { "version": 1,
///   "session": { "token": "...", "user_id": 0, ... },   // or null
///   "valid_until": "2023-11-15T00:13:20Z",              // RFC 3339; null without a session
///   "clock_offset_secs": 0 }
/// ```
///
/// `session` uses [`Session`]'s own serde form, token in the clear: store
/// the result as you would a password. `valid_until` is exact, to the
/// nanosecond (`2023-11-15T00:13:20.25Z`), so that a process restoring it
/// expires the session when the saving one does; the whole seconds that
/// earlier versions of this crate wrote still read. Other versions, and a
/// session without `valid_until`, fail to deserialise rather than restore
/// something half-known.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::{Session, SessionToken};
/// use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
///
/// let until = UNIX_EPOCH + Duration::from_millis(1_700_007_200_250);
/// let snap = LifecycleSnapshot::new(
///     Some((Session::new(SessionToken::new("t0k3n")), until)),
///     ClockSkew::from_secs(5400),
/// );
/// let json = serde_json::to_string(&snap)?;
/// assert!(json.contains(r#""valid_until":"2023-11-15T00:13:20.25Z""#));
/// assert_eq!(serde_json::from_str::<LifecycleSnapshot>(&json)?, snap);
/// assert!(!format!("{snap:?}").contains("t0k3n"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Wire", into = "Wire")]
pub struct LifecycleSnapshot {
    session: Option<(Session, SystemTime)>,
    clock_offset: ClockSkew,
}

impl LifecycleSnapshot {
    /// The format version this crate writes and reads.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::LifecycleSnapshot;
    ///
    /// assert_eq!(LifecycleSnapshot::VERSION, 1);
    /// ```
    pub const VERSION: u32 = 1;

    /// A snapshot of `session` (with the local time it stops being valid)
    /// and the clock offset.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
    ///
    /// let empty = LifecycleSnapshot::new(None, ClockSkew::ZERO);
    /// assert!(empty.session().is_none());
    /// ```
    pub fn new(session: Option<(Session, SystemTime)>, clock_offset: ClockSkew) -> Self {
        Self {
            session,
            clock_offset,
        }
    }

    /// The saved session.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref().map(|(s, _)| s)
    }

    /// When the saved session stops being valid, by the saving process's
    /// clock (unless used again).
    pub fn valid_until(&self) -> Option<SystemTime> {
        self.session.as_ref().map(|(_, until)| *until)
    }

    /// The clock offset measured by the saving process.
    pub fn clock_offset(&self) -> ClockSkew {
        self.clock_offset
    }

    pub(crate) fn into_parts(self) -> (Option<(Session, SystemTime)>, ClockSkew) {
        (self.session, self.clock_offset)
    }
}

/// RFC 3339 in UTC with as many digits of the second's fraction as it
/// has (none for a whole second). Total: a time outside the range jiff
/// represents (about the years -9999 to 9999) is clamped to its nearest
/// end, as `format_rfc3339` does.
fn format_exact(time: SystemTime) -> String {
    jiff::Timestamp::try_from(time)
        .unwrap_or(if time < UNIX_EPOCH {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        })
        .to_string()
}

/// The serialised shape.
#[derive(Serialize, Deserialize)]
struct Wire {
    version: u32,
    #[serde(default)]
    session: Option<Session>,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    clock_offset_secs: i64,
}

/// Why a serialised snapshot was refused.
#[derive(Debug)]
struct Invalid(String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<Wire> for LifecycleSnapshot {
    type Error = Invalid;

    fn try_from(wire: Wire) -> Result<Self, Invalid> {
        if wire.version != Self::VERSION {
            return Err(Invalid(format!(
                "unsupported session snapshot version {} (this build reads {})",
                wire.version,
                Self::VERSION
            )));
        }
        let session = match (wire.session, wire.valid_until) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(Invalid("a saved session needs valid_until".to_owned()));
            }
            (Some(session), Some(text)) => {
                let until = parse_rfc3339(&text).ok_or_else(|| {
                    Invalid("valid_until is not an RFC 3339 timestamp".to_owned())
                })?;
                Some((session, until))
            }
        };
        Ok(Self {
            session,
            clock_offset: ClockSkew::from_secs(wire.clock_offset_secs),
        })
    }
}

impl From<LifecycleSnapshot> for Wire {
    fn from(snap: LifecycleSnapshot) -> Self {
        let (session, valid_until) = match snap.session {
            Some((s, until)) => (Some(s), Some(format_exact(until))),
            None => (None, None),
        };
        Self {
            version: LifecycleSnapshot::VERSION,
            session,
            valid_until,
            clock_offset_secs: snap.clock_offset.as_secs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::SessionToken;

    #[test]
    fn the_expiry_round_trips_to_the_nanosecond_and_whole_seconds_still_read() {
        let session = || Session::new(SessionToken::new("t"));
        for nanos in [0, 1, 250_000_000, 123_456_789, 999_999_999] {
            let until = UNIX_EPOCH + Duration::new(1_700_007_200, nanos);
            let snap = LifecycleSnapshot::new(Some((session(), until)), ClockSkew::ZERO);
            let json = serde_json::to_string(&snap).unwrap();
            let back: LifecycleSnapshot = serde_json::from_str(&json).unwrap();
            assert_eq!(back.valid_until(), Some(until), "{json}");
        }
        let old = r#"{"version":1,"session":{"token":"t","id":null,"object_id":null,"application_id":null,"user_id":0,"nonce":null,"ts":null,"created_at":null,"updated_at":null,"expires_at":null},"valid_until":"2023-11-15T00:13:20Z","clock_offset_secs":0}"#;
        let old: LifecycleSnapshot = serde_json::from_str(old).unwrap();
        assert_eq!(
            old.valid_until(),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_007_200))
        );
        let far = UNIX_EPOCH + Duration::from_secs(300_000_000_000);
        let snap = LifecycleSnapshot::new(Some((session(), far)), ClockSkew::ZERO);
        assert!(serde_json::to_string(&snap).unwrap().contains("9999-"));
    }

    #[test]
    fn refuses_other_versions_and_half_sessions() {
        let err = serde_json::from_str::<LifecycleSnapshot>(r#"{"version":2}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("unsupported session snapshot version 2")
        );
        let err = serde_json::from_str::<LifecycleSnapshot>(
            r#"{"version":1,"session":{"token":"t","id":null,"object_id":null,"application_id":null,"user_id":0,"nonce":null,"ts":null,"created_at":null,"updated_at":null,"expires_at":null}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("needs valid_until"));
        assert!(!err.to_string().contains("\"t\""));
        let err = serde_json::from_str::<LifecycleSnapshot>(
            r#"{"version":1,"valid_until":"soon","session":null}"#,
        );
        // valid_until without a session carries nothing to restore.
        assert_eq!(err.unwrap(), LifecycleSnapshot::new(None, ClockSkew::ZERO));
        assert!(serde_json::from_str::<LifecycleSnapshot>(r#"{"session":null}"#).is_err());
    }
}
