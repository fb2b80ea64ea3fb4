//! The JSON shape of a saved `Session`: what stores and users persist.

use std::time::{Duration, UNIX_EPOCH};

use qb_auth_core::{Session, SessionToken};

fn session() -> Session {
    let mut session = Session::new(SessionToken::new("t0k3n"));
    session.application_id = Some(12345);
    session.user_id = 1001;
    session.created_at = Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    session.expires_at = Some(UNIX_EPOCH + Duration::new(1_700_007_200, 500_000_000));
    session
}

#[test]
fn times_are_rfc3339_strings() {
    let json = serde_json::to_string_pretty(&session()).unwrap();
    insta::assert_snapshot!(json, @r#"
    {
      "token": "t0k3n",
      "id": null,
      "object_id": null,
      "application_id": 12345,
      "user_id": 1001,
      "nonce": null,
      "ts": null,
      "created_at": "2023-11-14T22:13:20Z",
      "updated_at": null,
      "expires_at": "2023-11-15T00:13:20.5Z"
    }
    "#);
    assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), session());
}

#[test]
fn what_earlier_versions_wrote_is_still_read() {
    let legacy = r#"{"token":"t0k3n","id":null,"object_id":null,"application_id":12345,
        "user_id":1001,"nonce":null,"ts":null,
        "created_at":{"secs_since_epoch":1700000000,"nanos_since_epoch":0},
        "updated_at":null,
        "expires_at":{"secs_since_epoch":1700007200,"nanos_since_epoch":500000000}}"#;
    assert_eq!(serde_json::from_str::<Session>(legacy).unwrap(), session());
}

#[test]
fn times_before_1970_are_written_and_read_back() {
    // A server's answer may carry one; a store must still be able to save it.
    let mut early = session();
    early.created_at = Some(UNIX_EPOCH - Duration::from_secs(1));
    let json = serde_json::to_string(&early).unwrap();
    assert!(
        json.contains(r#""created_at":"1969-12-31T23:59:59Z""#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), early);
}

#[test]
fn a_time_that_is_not_one_is_refused() {
    let bad = r#"{"token":"t","user_id":0,"created_at":"yesterday"}"#;
    let err = serde_json::from_str::<Session>(bad).unwrap_err();
    assert!(err.to_string().contains("RFC 3339"), "{err}");
}
