//! Every identity and every endpoint, against the in-process emulator,
//! written once and run over both transports.

use std::sync::Arc;

use qb_auth_client::store::{MemoryStore, SessionStore};
use qb_auth_core::{
    ApiKey, BodyFormat, BuildErrorKind, Endpoint, ErrorKind, Identity, SessionToken,
};
use qb_auth_emulator::fixtures;
use qb_auth_tests::canned::{Canned, Reply};
use qb_auth_tests::fixtures::{alice, app, dialogs, emulator, endpoint, user_identities, users};
use qb_auth_tests::{
    Failure, ManagedOptions, Options, Source, TestClient, TestSession, for_each_transport,
};

/// Every identity, in both body formats: create, read back, destroy.
async fn every_identity_creates_reads_and_destroys<T: TestClient>() {
    let emulator = emulator().await;
    let mut identities = vec![("application", Identity::application(), 0)];
    identities.extend(user_identities());
    let mut created = 0;
    for format in [BodyFormat::Json, BodyFormat::Form] {
        let options = Options {
            body_format: format,
            ..Options::default()
        };
        let client = T::new(&endpoint(&emulator), &options);
        for (name, identity, user) in &identities {
            let what = format!("{} {name} {format:?}", T::NAME);
            let session = client.create_session(&app(), identity).await.expect(&what);
            created += 1;
            assert_eq!(session.user_id, *user, "{what}");
            assert_eq!(session.application_id, Some(fixtures::APP_ID), "{what}");
            assert!(
                session.expires_at.is_some(),
                "{what}: no expiry header read"
            );

            let read = client.get_session(&session.token).await.expect(&what);
            assert_eq!(read.user_id, *user, "{what}");

            client.destroy_session(&session.token).await.expect(&what);
            let gone = client.get_session(&session.token).await.unwrap_err();
            assert_eq!(gone.api_kind(), Some(ErrorKind::SessionExpired), "{what}");
        }
    }
    let stats = emulator.stats();
    assert_eq!(stats.sessions_created, created);
    assert_eq!(stats.sessions_destroyed, created);
}

/// An application session becomes a user session with `login` (the token
/// stays), and an application session again with `logout`.
async fn login_upgrades_and_logout_downgrades<T: TestClient>() {
    let emulator = emulator().await;
    let client = T::new(&endpoint(&emulator), &Options::default());
    for (name, identity, user) in user_identities() {
        let what = format!("{} {name}", T::NAME);
        let session = client
            .create_session(&app(), &Identity::application())
            .await
            .expect(&what);
        assert_eq!(session.user(), None);

        let logged_in = client.login(&session.token, &identity).await.expect(&what);
        assert_eq!(logged_in.id, user, "{what}");
        let upgraded = client.get_session(&session.token).await.expect(&what);
        assert_eq!(upgraded.user(), Some(user), "{what}");

        client.logout(&session.token).await.expect(&what);
        let downgraded = client.get_session(&session.token).await.expect(&what);
        assert_eq!(downgraded.user(), None, "{what}: still a user session");
    }
    let stats = emulator.stats();
    assert_eq!((stats.logins, stats.logouts), (6, 6));
}

/// Wrong credentials are typed errors, at once.
async fn refused_input_is_a_typed_error<T: TestClient>() {
    let emulator = emulator().await;
    let client = T::new(&endpoint(&emulator), &Options::default());
    let wrong = Identity::login(fixtures::ALICE_LOGIN, "not-her-password").unwrap();
    let err = client.create_session(&app(), &wrong).await.unwrap_err();
    assert_eq!(
        err.api_kind(),
        Some(ErrorKind::InvalidCredentials),
        "{err:?}"
    );

    let session = client
        .create_session(&app(), &Identity::application())
        .await
        .unwrap();
    let err = client.login(&session.token, &wrong).await.unwrap_err();
    assert_eq!(
        err.api_kind(),
        Some(ErrorKind::InvalidCredentials),
        "{err:?}"
    );
    let err = client.logout(&session.token).await.unwrap_err();
    assert_eq!(
        err.api_kind(),
        Some(ErrorKind::ForbiddenNeedUser),
        "{err:?}"
    );
    assert_eq!(emulator.stats().credential_failures, 2);
}

/// Account settings on the shared host name the account's host; the client
/// switches to it and works there.
async fn account_settings_switch_the_endpoint<T: TestClient>() {
    let emulator = emulator().await;
    let account_host = emulator.base_url().to_owned();
    // A stand-in for the shared host, answering only account settings.
    let body = format!(r#"{{"api_endpoint":"{account_host}","chat_endpoint":"chat.example"}}"#);
    let shared = Canned::start(move |_| Reply::status(200, &[], body.as_bytes()));
    let client = T::new(
        &Endpoint::parse(&shared.url()).unwrap(),
        &Options::default(),
    );

    let (switched, settings) = client
        .use_account_endpoint(fixtures::ACCOUNT_KEY)
        .await
        .unwrap();
    assert_eq!(settings.chat_host(), Some("chat.example"));
    assert_eq!(switched.endpoint(), endpoint(&emulator));
    assert_eq!(
        client.endpoint().as_str(),
        shared.url(),
        "the original is unchanged"
    );
    let seen = shared.seen();
    assert_eq!(seen[0].path, "/account_settings.json");
    assert_eq!(
        seen[0].header("qb-account-key"),
        Some(fixtures::ACCOUNT_KEY)
    );

    let session = switched
        .create_session(&app(), &Identity::application())
        .await
        .unwrap();
    assert!(switched.get_session(&session.token).await.is_ok());

    // The emulator answers account settings too, naming itself.
    let own = switched
        .account_settings(fixtures::ACCOUNT_KEY)
        .await
        .unwrap();
    assert_eq!(own.endpoint(), Some(endpoint(&emulator)));
    let err = switched.account_settings("wrong-key").await.unwrap_err();
    assert_eq!(err.api_kind(), Some(ErrorKind::InvalidCredentials));

    // Settings without an API host cannot be switched to.
    let empty = Canned::start(|_| Reply::status(200, &[], b"{}"));
    let err = T::new(&Endpoint::parse(&empty.url()).unwrap(), &Options::default())
        .use_account_endpoint(fixtures::ACCOUNT_KEY)
        .await
        .unwrap_err();
    assert!(matches!(err, Failure::NoAccountEndpoint), "{err:?}");
}

/// The builder asks the account's settings once at start (through a 503,
/// as every one-shot call) and the client it gives works on the account's
/// host; a plain-HTTP host that is not loopback is refused.
async fn the_builder_asks_account_settings_at_start<T: TestClient>() {
    let emulator = emulator().await;
    let body = format!(r#"{{"api_endpoint":"{}"}}"#, emulator.base_url());
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    let shared = Canned::start(move |_| {
        if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::status(503, &[], br#"{"errors":["Service Unavailable"]}"#)
        } else {
            Reply::status(200, &[], body.as_bytes())
        }
    });
    let shared_ep = Endpoint::parse(&shared.url()).unwrap();
    let (client, settings) =
        T::build_for_account(&shared_ep, &Options::default(), fixtures::ACCOUNT_KEY)
            .await
            .unwrap();
    assert_eq!(settings.endpoint(), Some(endpoint(&emulator)));
    assert_eq!(client.endpoint(), endpoint(&emulator));
    assert_eq!(shared.seen().len(), 2, "one 503, then the settings");
    let session = client
        .create_session(&app(), &Identity::application())
        .await
        .unwrap();
    assert!(client.get_session(&session.token).await.is_ok());

    let plain =
        Canned::start(|_| Reply::status(200, &[], br#"{"api_endpoint":"http://api.example.com"}"#));
    let err = T::build_for_account(
        &Endpoint::parse(&plain.url()).unwrap(),
        &Options::default(),
        fixtures::ACCOUNT_KEY,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Failure::Build(e) if matches!(e.kind(), BuildErrorKind::PlainHttpNotLoopback(_))),
        "{err:?}"
    );
}

/// API-key mode, with and without `On-Behalf-Of`.
async fn api_key_acts_on_behalf_of_a_user<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let client = T::new(&ep, &Options::default());
    let key = ApiKey::new(fixtures::API_KEY);

    let as_alice = client
        .send_with_api_key(&key, Some(fixtures::ALICE_ID), dialogs(&ep))
        .await
        .unwrap();
    assert_eq!(as_alice.status(), 200, "{}", T::NAME);

    let anonymous = client
        .send_with_api_key(&key, None, dialogs(&ep))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 422, "a dialog needs a user");
    let listed = client
        .send_with_api_key(&key, None, users(&ep))
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);

    let wrong = client
        .send_with_api_key(&ApiKey::new("wrong-key"), None, users(&ep))
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(emulator.stats().api_key_requests, 3);
}

/// A managed session reaches a resource that needs a user, saves itself,
/// and a second one restores it from the store instead of signing again.
async fn managed_session_reaches_a_protected_resource<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let client = T::new(&ep, &Options::default());
    let store = Arc::new(MemoryStore::new());
    let options = ManagedOptions {
        store: Some(store.clone()),
        ..ManagedOptions::default()
    };
    let events = options.events.clone();
    let managed = client
        .managed(Source::credentials(&app(), alice()), options.clone())
        .unwrap();
    for _ in 0..3 {
        let answer = managed.send(dialogs(&ep)).await.unwrap();
        assert_eq!(answer.status(), 200, "{}", T::NAME);
    }
    assert_eq!(emulator.stats().sessions_created, 1);
    // (A one-second clock offset may be measured too: `Date` has whole seconds.)
    let names = events.names();
    assert_eq!(events.count("created"), 1, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| ["created", "clock_offset"].contains(n)),
        "{names:?}"
    );
    let saved = store.load().unwrap().expect("the session was saved");
    assert_eq!(saved.session().unwrap().user_id, fixtures::ALICE_ID);

    // Another process, the same store: the saved token is used.
    let restored = client
        .managed(Source::credentials(&app(), alice()), options)
        .unwrap();
    assert_eq!(restored.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_eq!(
        emulator.stats().sessions_created,
        1,
        "restored, not re-created"
    );

    // Destroying ends it on the server and in the store; the next call renews.
    managed.destroy().await.unwrap();
    assert!(store.load().unwrap().is_none());
    assert_eq!(emulator.stats().sessions_destroyed, 1);
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_eq!(emulator.stats().sessions_created, 2);

    // An application session reads users, and is refused a dialog: the
    // answer comes back as it is, not as an error.
    let app_only = client
        .managed(
            Source::credentials(&app(), Identity::application()),
            ManagedOptions::default(),
        )
        .unwrap();
    assert_eq!(app_only.send(users(&ep)).await.unwrap().status(), 200);
    assert_eq!(app_only.send(dialogs(&ep)).await.unwrap().status(), 422);
}

/// A fixed token works until the server drops it; then it is a typed
/// error, since nothing can renew it.
async fn a_fixed_token_cannot_be_renewed<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let client = T::new(&ep, &Options::default());
    let session = client.create_session(&app(), &alice()).await.unwrap();
    let managed = client
        .managed(
            Source::Fixed(SessionToken::new(session.token.expose())),
            ManagedOptions::default(),
        )
        .unwrap();
    assert_eq!(managed.send(dialogs(&ep)).await.unwrap().status(), 200);

    emulator.expire_all_sessions();
    let err = managed.send(dialogs(&ep)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Failure::Renewal(qb_auth_core::lifecycle::RenewalError::NotRenewable)
        ),
        "{}: {err:?}",
        T::NAME
    );
    assert_eq!(emulator.stats().sessions_created, 1);
}

for_each_transport!(60 =>
    every_identity_creates_reads_and_destroys,
    the_builder_asks_account_settings_at_start,
    login_upgrades_and_logout_downgrades,
    refused_input_is_a_typed_error,
    account_settings_switch_the_endpoint,
    api_key_acts_on_behalf_of_a_user,
    managed_session_reaches_a_protected_resource,
    a_fixed_token_cannot_be_renewed,
);
