//! What a process saves and restores: the snapshot and its JSON form.

use super::common::*;

#[test]
fn save_and_restore_through_json() {
    let mut saved = None;
    let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    lc.on_renewal_result(ticket, t0(), bad_timestamp(Some(t0() + 90 * MINUTE)));
    let ticket = renew(&mut lc, t0(), &mut Ask::new());
    let server_now = t0() + 90 * MINUTE;
    lc.on_renewal_result(
        ticket,
        t0(),
        created("persisted", Some(server_now), Some(server_now + 2 * HOUR)),
    );
    for event in events(&mut lc) {
        if matches!(
            event,
            LifecycleEvent::SessionCreated { .. } | LifecycleEvent::SessionRenewed { .. }
        ) {
            saved = Some(lc.snapshot());
        }
    }

    // The saved form is the documented one.
    let json = serde_json::to_value(saved.unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["session"]["token"], "persisted");
    assert_eq!(json["session"]["application_id"], 12345);
    assert_eq!(json["valid_until"], "2023-11-15T00:13:20Z");
    assert_eq!(json["clock_offset_secs"], 5400);

    // A new process restores it: no renewal, the same token and offset.
    let text = serde_json::to_string(&json).unwrap();
    let snapshot: LifecycleSnapshot = serde_json::from_str(&text).unwrap();
    let restart = t0() + HOUR;
    let mut restored = SessionLifecycle::new(exact(), app_mode()).unwrap();
    assert!(restored.restore(restart, snapshot.clone()));
    // Said once, as taken up from the store: not a session created here.
    let events = events(&mut restored);
    assert!(
        matches!(
            events.as_slice(),
            [LifecycleEvent::SessionRestored {
                from: SessionOrigin::Store,
                ..
            }]
        ),
        "{events:?}"
    );
    assert_eq!(
        events[0].to_string(),
        "session for the application restored from the session store, expires at 2023-11-15T00:13:20Z"
    );
    assert_eq!(
        use_token(&mut restored, restart, &mut Ask::new()).expose(),
        "persisted"
    );
    assert_eq!(restored.expires_at(), Some(t0() + 2 * HOUR));
    assert_eq!(restored.clock_offset(), ClockSkew::from_secs(5400));

    // Restored too late, the session is not used; the offset still is.
    let mut too_late = SessionLifecycle::new(exact(), app_mode()).unwrap();
    assert!(!too_late.restore(t0() + 2 * HOUR, snapshot));
    let ticket = renew(&mut too_late, t0() + 2 * HOUR, &mut Ask::new());
    assert_eq!(ticket.clock_offset().as_secs(), 5400);
}

#[test]
fn an_unbelievable_saved_offset_is_not_restored() {
    let snapshot = LifecycleSnapshot::new(None, ClockSkew::from_secs(3 * 86_400));
    let mut lc = token_lifecycle(exact());
    assert!(!lc.restore(t0(), snapshot));
    assert_eq!(lc.clock_offset(), ClockSkew::ZERO);
}
