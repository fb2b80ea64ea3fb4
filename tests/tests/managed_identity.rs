//! A managed session that logs a user in on its token and out again, with
//! renewals that follow; and tokens handed in from outside, checked with
//! `GET /session.json` before their first use (or not, when asked).

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use qb_auth_client::store::{MemoryStore, SessionStore};
use qb_auth_core::lifecycle::SessionCredentials;
use qb_auth_core::{ErrorKind, Identity};
use qb_auth_emulator::fixtures::{ALICE_ID, APP_ID, BOB_ID, BOB_LOGIN, BOB_PASSWORD};
use qb_auth_tests::fixtures::{alice, app, dialogs, emulator, endpoint, users};
use qb_auth_tests::{
    Failure, ManagedOptions, Options, Source, TestClient, TestSession, for_each_transport,
};

fn client<T: TestClient>(emulator: &qb_auth_emulator::EmulatorHandle) -> T {
    T::new(&endpoint(emulator), &Options::default())
}

/// Options that save to (and restore from) `store`.
fn saving(store: &Arc<dyn SessionStore>) -> ManagedOptions {
    ManagedOptions {
        store: Some(store.clone()),
        ..ManagedOptions::default()
    }
}

async fn login_upgrades_the_token_and_renewals_stay_the_users<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let options = ManagedOptions::default();
    let events = options.events.clone();
    let managed = client::<T>(&emulator)
        .managed(
            Source::credentials(&app(), Identity::application()),
            options,
        )
        .unwrap();
    let token = managed.token().await.unwrap();
    // An application session may not read dialogs.
    assert_ne!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);

    let user = managed.login(alice()).await.unwrap();
    assert_eq!(user.id, ALICE_ID);
    assert_eq!(
        managed.token().await.unwrap(),
        token,
        "the same token, upgraded"
    );
    assert_eq!(managed.session().unwrap().user(), Some(ALICE_ID));
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_eq!(events.count("identity_changed"), 1, "{:?}", events.names());

    // The server drops the token: the renewal makes alice's session, not
    // the application's the source started with.
    emulator.expire_all_sessions();
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_ne!(managed.token().await.unwrap(), token);
    assert_eq!(managed.session().unwrap().user(), Some(ALICE_ID));
    let stats = emulator.stats();
    assert_eq!((stats.sessions_created, stats.logins), (2, 1));
}

async fn logout_downgrades_the_token_and_renewals_make_application_sessions<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let managed = client::<T>(&emulator)
        .managed(
            Source::credentials(&app(), alice()),
            ManagedOptions::default(),
        )
        .unwrap();
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);

    managed.logout().await.unwrap();
    assert_eq!(managed.session().unwrap().user(), None);
    assert_ne!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_eq!(managed.send(users(&ep)).await.unwrap().status(), 200);

    emulator.expire_all_sessions();
    assert_eq!(managed.send(users(&ep)).await.unwrap().status(), 200);
    assert_eq!(
        managed.session().unwrap().user(),
        None,
        "renewed as the application"
    );
    let stats = emulator.stats();
    assert_eq!((stats.sessions_created, stats.logouts), (2, 1));
}

/// A login or logout makes the session leave its store, which is
/// cleared: a restart from the same source comes back as the source's
/// identity with a session of its own, never with the token that now
/// belongs to another (a user's for an application, bob's for alice).
async fn a_restart_after_a_login_or_logout_starts_from_the_source<T: TestClient>() {
    let emulator = emulator().await;
    let bob = || Identity::login(BOB_LOGIN, BOB_PASSWORD).unwrap();
    for (source, then, restarted_as) in [
        (Identity::application(), "login alice", None),
        (alice(), "login bob", Some(ALICE_ID)),
        (alice(), "logout", Some(ALICE_ID)),
    ] {
        let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
        let earlier = client::<T>(&emulator)
            .managed(Source::credentials(&app(), source.clone()), saving(&store))
            .unwrap();
        earlier.token().await.unwrap();
        assert!(store.load().unwrap().is_some(), "{then}: saved at first");
        match then {
            "login alice" => drop(earlier.login(alice()).await.unwrap()),
            "login bob" => drop(earlier.login(bob()).await.unwrap()),
            _ => earlier.logout().await.unwrap(),
        }
        let changed = earlier.token().await.unwrap();
        assert!(
            store.load().unwrap().is_none(),
            "{then}: the store is cleared"
        );
        // Renewals as the new identity are not written either.
        emulator.expire_all_sessions();
        assert_eq!(
            earlier
                .send(users(&endpoint(&emulator)))
                .await
                .unwrap()
                .status(),
            200
        );
        assert!(store.load().unwrap().is_none(), "{then}: nor written again");

        let options = saving(&store);
        let events = options.events.clone();
        let restarted = client::<T>(&emulator)
            .managed(Source::credentials(&app(), source), options)
            .unwrap();
        let token = restarted.token().await.unwrap();
        assert_ne!(token, changed, "{then}: a session of its own");
        assert_eq!(restarted.session().unwrap().user(), restarted_as, "{then}");
        assert_eq!(events.count("store_ignored"), 0, "{then}");
    }
}

/// A store holding a session of the other kind (written by a program with
/// another source) is not taken up: an application source ignores a
/// user's session with an event, and a user source an application's.
async fn a_saved_session_of_the_other_kind_is_ignored<T: TestClient>() {
    let emulator = emulator().await;
    for (writer, reader, reader_is) in [
        (alice(), Identity::application(), None),
        (Identity::application(), alice(), Some(ALICE_ID)),
    ] {
        let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
        let written = client::<T>(&emulator)
            .managed(Source::credentials(&app(), writer), saving(&store))
            .unwrap()
            .token()
            .await
            .unwrap();
        let options = saving(&store);
        let events = options.events.clone();
        let reading = client::<T>(&emulator)
            .managed(Source::credentials(&app(), reader), options)
            .unwrap();
        assert_eq!(events.names(), ["store_ignored"]);
        assert!(
            events.debug()[0].contains("the saved session is"),
            "{:?}",
            events.debug()
        );
        assert_ne!(reading.token().await.unwrap(), written);
        assert_eq!(reading.session().unwrap().user(), reader_is);
    }
}

async fn a_refused_login_leaves_the_session_as_it_was<T: TestClient>() {
    let emulator = emulator().await;
    let managed = client::<T>(&emulator)
        .managed(
            Source::credentials(&app(), Identity::application()),
            ManagedOptions::default(),
        )
        .unwrap();
    let token = managed.token().await.unwrap();
    let wrong = Identity::login("alice", "not her password").unwrap();
    let err = managed.login(wrong).await.unwrap_err();
    assert_eq!(
        err.api_kind(),
        Some(ErrorKind::InvalidCredentials),
        "{err:?}"
    );
    assert_eq!(emulator.stats().credential_failures, 1, "not retried");
    assert_eq!(managed.token().await.unwrap(), token);
    assert_eq!(managed.session().unwrap().user(), None);
}

async fn a_login_on_an_expired_token_renews_it_first<T: TestClient>() {
    let emulator = emulator().await;
    let managed = client::<T>(&emulator)
        .managed(
            Source::credentials(&app(), Identity::application()),
            ManagedOptions::default(),
        )
        .unwrap();
    let first = managed.token().await.unwrap();
    emulator.expire_all_sessions();
    assert_eq!(managed.login(alice()).await.unwrap().id, ALICE_ID);
    assert_ne!(managed.token().await.unwrap(), first);
    assert_eq!(managed.session().unwrap().user(), Some(ALICE_ID));
    assert_eq!(emulator.stats().sessions_created, 2);
}

async fn login_with_a_provider_renews_with_its_credentials<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    // A token provider gives no application credentials: `login` cannot
    // promise user renewals, `login_with` brings its own.
    let minted = Source::Minted {
        backend: ep.clone(),
        credentials: SessionCredentials::new(app(), Identity::application()),
        calls: Arc::new(AtomicUsize::new(0)),
    };
    let managed = client::<T>(&emulator)
        .managed(minted, ManagedOptions::default())
        .unwrap();
    assert!(matches!(
        managed.login(alice()).await,
        Err(Failure::LoginNeedsCredentials)
    ));
    let bob = Identity::login(BOB_LOGIN, BOB_PASSWORD).unwrap();
    let user = managed
        .login_with(SessionCredentials::new(app(), bob))
        .await
        .unwrap();
    assert_eq!(user.id, BOB_ID);
    emulator.expire_all_sessions();
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_eq!(managed.session().unwrap().user(), Some(BOB_ID));
}

async fn a_token_handed_in_is_checked_and_filled_in<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let backend = client::<T>(&emulator);
    let minted = backend.create_session(&app(), &alice()).await.unwrap();
    let managed = client::<T>(&emulator)
        .managed(
            Source::Fixed(minted.token.clone()),
            ManagedOptions::default(),
        )
        .unwrap();
    let before = emulator.stats().requests;
    assert_eq!(managed.token().await.unwrap(), minted.token);
    assert_eq!(
        emulator.stats().requests - before,
        1,
        "one GET /session.json"
    );
    let session = managed.session().unwrap();
    assert_eq!(session.application_id, Some(APP_ID));
    assert_eq!(session.user(), Some(ALICE_ID));
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    // Checked once: the token is fixed from now on.
    emulator.expire_all_sessions();
    let refused = managed.send(dialogs(&ep)).await.unwrap_err();
    assert!(matches!(refused, Failure::Renewal(_)), "{refused:?}");
}

/// A store holding another live session does not replace the token
/// handed in: that one is checked and used.
async fn a_token_handed_in_wins_over_a_saved_one<T: TestClient>() {
    let emulator = emulator().await;
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let earlier = client::<T>(&emulator)
        .managed(Source::credentials(&app(), alice()), saving(&store))
        .unwrap();
    let saved = earlier.token().await.unwrap();
    assert!(store.load().unwrap().is_some());

    let minted = client::<T>(&emulator)
        .create_session(&app(), &alice())
        .await
        .unwrap();
    let managed = client::<T>(&emulator)
        .managed(Source::Fixed(minted.token.clone()), saving(&store))
        .unwrap();
    let token = managed.token().await.unwrap();
    assert_eq!(token, minted.token);
    assert_ne!(token, saved);
}

async fn a_refused_token_fails_before_any_request_is_sent<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let backend = client::<T>(&emulator);
    let minted = backend.create_session(&app(), &alice()).await.unwrap();
    backend.destroy_session(&minted.token).await.unwrap();
    let managed = client::<T>(&emulator)
        .managed(Source::Fixed(minted.token), ManagedOptions::default())
        .unwrap();
    let before = emulator.stats().requests;
    let err = managed.send(dialogs(&ep)).await.unwrap_err();
    let Failure::Renewal(renewal) = &err else {
        panic!("expected a renewal failure, got {err:?}")
    };
    let api = renewal.api_error().expect("the server's answer");
    assert_eq!(api.status(), 401);
    assert_eq!(
        emulator.stats().requests - before,
        1,
        "only the check was sent"
    );
}

async fn a_token_can_be_used_unchecked<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let backend = client::<T>(&emulator);
    let minted = backend.create_session(&app(), &alice()).await.unwrap();
    let options = ManagedOptions {
        skip_token_check: true,
        ..ManagedOptions::default()
    };
    let managed = client::<T>(&emulator)
        .managed(Source::Fixed(minted.token.clone()), options)
        .unwrap();
    let before = emulator.stats().requests;
    assert_eq!(managed.token().await.unwrap(), minted.token);
    assert_eq!(emulator.stats().requests, before, "nothing sent");
    assert_eq!(managed.session().unwrap().application_id, None);
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
}

for_each_transport!(60 =>
    login_upgrades_the_token_and_renewals_stay_the_users,
    logout_downgrades_the_token_and_renewals_make_application_sessions,
    a_restart_after_a_login_or_logout_starts_from_the_source,
    a_saved_session_of_the_other_kind_is_ignored,
    a_refused_login_leaves_the_session_as_it_was,
    a_login_on_an_expired_token_renews_it_first,
    login_with_a_provider_renews_with_its_credentials,
    a_token_handed_in_is_checked_and_filled_in,
    a_token_handed_in_wins_over_a_saved_one,
    a_refused_token_fails_before_any_request_is_sent,
    a_token_can_be_used_unchecked,
);
