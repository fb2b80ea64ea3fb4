//! The session file's contents: the core's snapshot inside an envelope
//! that says what the file is, where the session was created and whom it
//! is for, and the checks that decide whether a file read back can be
//! trusted.
//!
//! ```json
//! { "format": "qb-auth session file", "version": 1,
//!   "endpoint": "https://api.quickblox.com",
//!   "application_id": 42, "scope": "login:alice",   // scope only if set
//!   "snapshot": { "version": 1, "session": { "token": "..." }, ... } }
//! ```
//!
//! `endpoint` was added within version 1: older readers skip it, and a file
//! without it (written before) is ignored, since nothing says where its
//! token may be sent. Only the session token is secret in a file: the
//! snapshot holds the session the server gave (token, ids, times) and
//! nothing the session was created with. Reasons for refusing a file never
//! quote its contents.

use std::time::SystemTime;

use qb_auth_core::Endpoint;
use qb_auth_core::lifecycle::{LifecycleSnapshot, Policy};

use super::{StoreError, trust};
use serde::{Deserialize, Serialize};

/// What the `format` field says.
pub(super) const FORMAT: &str = "qb-auth session file";
/// The envelope's version; the snapshot inside has its own.
pub(super) const VERSION: u32 = 1;

/// How every file [`encode`] writes begins: a file cut short after it is
/// still recognised as one of ours.
const PREFIX: &[u8] = b"{\n  \"format\": \"qb-auth session file\"";

/// Why a file that names no endpoint is not used.
pub(super) const NO_ENDPOINT: &str =
    "the session file does not say which endpoint its session is for (an older qb-auth wrote it)";
/// Why a file whose endpoint is not one is not used.
pub(super) const BAD_ENDPOINT: &str = "the session file's endpoint is not a usable endpoint";

/// Where and for whom a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Owner {
    /// The endpoint sessions are created at and tokens sent to.
    pub(super) endpoint: Endpoint,
    /// `None`: any application's file is read (and the session's own
    /// application id is written).
    pub(super) application_id: Option<u64>,
    pub(super) scope: Option<String>,
}

#[derive(Serialize)]
struct Written<'a> {
    format: &'static str,
    version: u32,
    endpoint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    snapshot: &'a LifecycleSnapshot,
}

/// The envelope as read: every field optional, so that each missing or
/// foreign one gets its own reason.
#[derive(Deserialize)]
struct Read {
    format: Option<String>,
    version: Option<u32>,
    endpoint: Option<String>,
    application_id: Option<u64>,
    scope: Option<String>,
    snapshot: Option<serde_json::Value>,
}

/// A file's envelope and snapshot, read whoever it is for.
#[derive(Debug)]
pub(super) struct Envelope {
    /// As written; `None` for a file written before files named their
    /// endpoint.
    pub(super) endpoint: Option<String>,
    pub(super) application_id: Option<u64>,
    pub(super) scope: Option<String>,
    pub(super) snapshot: LifecycleSnapshot,
}

/// The file's bytes for `snapshot`.
pub(super) fn encode(owner: &Owner, snapshot: &LifecycleSnapshot) -> Result<Vec<u8>, StoreError> {
    let application_id = owner
        .application_id
        .or_else(|| snapshot.session().and_then(|s| s.application_id));
    let written = Written {
        format: FORMAT,
        version: VERSION,
        endpoint: owner.endpoint.as_str(),
        application_id,
        scope: owner.scope.as_deref(),
        snapshot,
    };
    let mut bytes = serde_json::to_vec_pretty(&written)
        .map_err(|_| StoreError::new("could not serialise the session snapshot"))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Whether `bytes` are a file the store may replace: one it wrote (whole,
/// or cut short), a session file of any version, or an empty file (as
/// `mktemp` leaves, holding nothing to lose).
pub(super) fn is_ours(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Marked {
        format: Option<String>,
    }
    bytes.is_empty()
        || bytes.starts_with(PREFIX)
        || serde_json::from_slice::<Marked>(bytes)
            .is_ok_and(|m| m.format.as_deref() == Some(FORMAT))
}

/// The envelope in `bytes`, if they are a session file of this version;
/// otherwise [`StoreError::ignored`] with the reason.
pub(super) fn read_envelope(bytes: &[u8]) -> Result<Envelope, StoreError> {
    // serde's messages can quote the value they choke on (a token): only
    // the position is kept.
    let read: Read = serde_json::from_slice(bytes).map_err(|e| {
        StoreError::ignored(format!(
            "the session file is corrupt (not a JSON object as expected at line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if read.format.as_deref() != Some(FORMAT) {
        return Err(StoreError::ignored(
            "the file is not a qb-auth session file",
        ));
    }
    match read.version {
        Some(VERSION) => {}
        Some(other) => {
            return Err(StoreError::ignored(format!(
                "the session file has format version {other}; this build reads {VERSION}"
            )));
        }
        None => return Err(StoreError::ignored("the session file has no version")),
    }
    let snapshot: LifecycleSnapshot = read
        .snapshot
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or_else(|| StoreError::ignored("the session file's snapshot is corrupt"))?;
    Ok(Envelope {
        endpoint: read.endpoint,
        application_id: read.application_id,
        scope: read.scope,
        snapshot,
    })
}

/// The snapshot in `bytes`, if it is `owner`'s and still live at `now`;
/// otherwise [`StoreError::ignored`] with the reason.
pub(super) fn decode(
    bytes: &[u8],
    owner: &Owner,
    now: SystemTime,
) -> Result<LifecycleSnapshot, StoreError> {
    let read = read_envelope(bytes)?;
    match read.endpoint.as_deref().map(Endpoint::parse) {
        None => return Err(StoreError::ignored(NO_ENDPOINT)),
        Some(Err(_)) => return Err(StoreError::ignored(BAD_ENDPOINT)),
        Some(Ok(endpoint)) if endpoint != owner.endpoint => {
            return Err(StoreError::ignored(format!(
                "the session file is for the endpoint {endpoint}, not {}",
                owner.endpoint
            )));
        }
        Some(Ok(_)) => {}
    }
    let snapshot = read.snapshot;
    if let Some(expected) = owner.application_id {
        let session_app = snapshot.session().and_then(|s| s.application_id);
        let foreign =
            read.application_id != Some(expected) || session_app.is_some_and(|id| id != expected);
        if foreign {
            return Err(StoreError::ignored(format!(
                "the session file is for another application, not {expected}"
            )));
        }
        if read.scope != owner.scope {
            return Err(StoreError::ignored(
                "the session file is for another identity of this application",
            ));
        }
    }
    let expected = trust::Expected {
        application_id: owner.application_id,
        ..trust::Expected::any(&Policy::default())
    };
    match trust::problem(&snapshot, &expected, now) {
        Some(reason) => Err(StoreError::ignored(reason)),
        None => Ok(snapshot),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use qb_auth_core::lifecycle::ClockSkew;
    use qb_auth_core::{Session, SessionToken};

    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn owner(app: Option<u64>, scope: Option<&str>) -> Owner {
        Owner {
            endpoint: Endpoint::default(),
            application_id: app,
            scope: scope.map(str::to_owned),
        }
    }

    fn snapshot(app: Option<u64>, until: u64) -> LifecycleSnapshot {
        let mut session = Session::new(SessionToken::new("t0k3n-secret"));
        session.application_id = app;
        LifecycleSnapshot::new(Some((session, at(until))), ClockSkew::from_secs(3))
    }

    fn reason(result: Result<LifecycleSnapshot, StoreError>) -> String {
        let err = result.unwrap_err();
        assert!(err.is_ignored(), "{err:?}");
        assert!(!err.message().contains("t0k3n"), "{err:?}");
        err.message().to_owned()
    }

    #[test]
    fn round_trips_for_its_owner() {
        let me = owner(Some(7), Some("login:alice"));
        let snap = snapshot(Some(7), NOW + 60);
        let bytes = encode(&me, &snap).unwrap();
        assert_eq!(decode(&bytes, &me, at(NOW)).unwrap(), snap);
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains(r#""format": "qb-auth session file""#),
            "{text}"
        );
        assert!(text.contains(r#""version": 1"#), "{text}");
        // A reader for any application takes it too.
        let bytes = text.as_bytes();
        assert_eq!(decode(bytes, &owner(None, None), at(NOW)).unwrap(), snap);
    }

    #[test]
    fn a_file_of_another_application_or_identity_is_ignored() {
        let bytes = encode(&owner(Some(7), None), &snapshot(Some(7), NOW + 60)).unwrap();
        let r = reason(decode(&bytes, &owner(Some(8), None), at(NOW)));
        assert!(r.contains("another application, not 8"), "{r}");
        let r = reason(decode(&bytes, &owner(Some(7), Some("login:bob")), at(NOW)));
        assert!(r.contains("another identity"), "{r}");
        // The envelope says 7 but the session inside says 9.
        let bytes = encode(&owner(Some(7), None), &snapshot(Some(9), NOW + 60)).unwrap();
        let r = reason(decode(&bytes, &owner(Some(7), None), at(NOW)));
        assert!(r.contains("another application"), "{r}");
    }

    #[test]
    fn a_file_for_another_endpoint_or_none_is_ignored() {
        let me = owner(Some(7), None);
        let bytes = encode(&me, &snapshot(Some(7), NOW + 60)).unwrap();
        let elsewhere = Owner {
            endpoint: Endpoint::parse("http://127.0.0.1:8080/").unwrap(),
            ..me.clone()
        };
        let r = reason(decode(&bytes, &elsewhere, at(NOW)));
        assert!(
            r.contains("for the endpoint https://api.quickblox.com, not http://127.0.0.1:8080"),
            "{r}"
        );
        let text = String::from_utf8(bytes).unwrap();
        let older = text.replace("  \"endpoint\": \"https://api.quickblox.com\",\n", "");
        assert_ne!(older, text);
        let r = reason(decode(older.as_bytes(), &me, at(NOW)));
        assert!(r.contains("does not say which endpoint"), "{r}");
        let odd = text.replace("https://api.quickblox.com", "ftp://x");
        assert!(reason(decode(odd.as_bytes(), &me, at(NOW))).contains("not a usable endpoint"));
    }

    #[test]
    fn only_files_a_store_wrote_are_its_own() {
        let bytes = encode(&owner(Some(7), None), &snapshot(Some(7), NOW + 60)).unwrap();
        assert!(is_ours(&bytes));
        assert!(is_ours(&bytes[..bytes.len() / 3]), "cut short");
        assert!(is_ours(b""), "empty");
        assert!(is_ours(br#"{"version":9,"format":"qb-auth session file"}"#));
        for theirs in [
            &b"my notes"[..],
            b"{\"format\": \"another\"}",
            b"{\"token\": \"x\"}",
            b"[1, 2]",
            b"{\n  \"format\": \"qb-auth",
        ] {
            assert!(!is_ours(theirs), "{:?}", String::from_utf8_lossy(theirs));
        }
    }

    #[test]
    fn an_expired_session_is_ignored() {
        let me = owner(Some(7), None);
        let bytes = encode(&me, &snapshot(Some(7), NOW)).unwrap();
        assert!(reason(decode(&bytes, &me, at(NOW))).contains("expired"));
        // Without a session there is nothing to expire: the clock offset
        // is still worth restoring.
        let empty = LifecycleSnapshot::new(None, ClockSkew::from_secs(4));
        let bytes = encode(&me, &empty).unwrap();
        assert_eq!(decode(&bytes, &me, at(NOW)).unwrap(), empty);
    }

    #[test]
    fn corrupt_foreign_and_future_files_are_ignored_without_quoting_them() {
        let me = owner(Some(7), None);
        let good = String::from_utf8(encode(&me, &snapshot(Some(7), NOW + 60)).unwrap()).unwrap();
        let cases = [
            (good[..good.len() / 2].to_owned(), "corrupt"),
            ("\"t0k3n\"".to_owned(), "corrupt"),
            (String::new(), "corrupt"),
            (r#"{"version":1}"#.to_owned(), "not a qb-auth session file"),
            (
                good.replace(r#""version": 1,"#, r#""version": 2,"#),
                "format version 2",
            ),
            (good.replace(r#""version": 1,"#, ""), "has no version"),
            (
                good.replace(r#""token": "#, r#""tokn": "#),
                "snapshot is corrupt",
            ),
            (
                good.replace(r#""valid_until""#, r#""x""#),
                "snapshot is corrupt",
            ),
        ];
        for (text, expected) in cases {
            let r = reason(decode(text.as_bytes(), &me, at(NOW)));
            assert!(r.contains(expected), "{text:?}: {r}");
        }
    }
}
