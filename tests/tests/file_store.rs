//! The file store: a managed session over either transport gets its
//! session back after a restart (a second managed session built on the
//! same file) without creating another; a file it cannot trust is ignored
//! with a `StoreIgnored` event and replaced; saves are atomic and private;
//! and the file holds the session token but nothing it was created with.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use qb_auth_client::FileStore;
use qb_auth_client::store::SessionStore;
use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
use qb_auth_core::{Identity, Session, SessionToken};
use qb_auth_emulator::fixtures;
use qb_auth_tests::fixtures::{alice, app, dialogs, emulator, endpoint, users};
use qb_auth_tests::{Adapter, Managed, ManagedOptions, Options, Source, for_each_transport};

/// A directory of its own under the system's temporary directory, removed
/// when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "qb-auth-file-store-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }

    /// A session file in a directory that does not exist yet.
    fn session_file(&self) -> PathBuf {
        self.0.join("state").join("session.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A managed session for `identity` saving to `path`.
fn managed<A: Adapter>(
    client: &A,
    identity: Identity,
    store: FileStore,
) -> (A::Managed, qb_auth_tests::Events) {
    let options = ManagedOptions {
        store: Some(Arc::new(store)),
        ..ManagedOptions::default()
    };
    let events = options.events.clone();
    let session = client
        .managed(Source::credentials(&app(), identity), options)
        .expect("a file store problem never fails the build");
    (session, events)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Restarted (a second managed session on the same file), the program
/// uses the saved session: the emulator sees one create-session.
async fn a_restart_reuses_the_saved_session<A: Adapter>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let dir = TempDir::new(A::NAME);
    let path = dir.session_file();
    let store = || FileStore::new(&path, fixtures::APP_ID).with_scope("login:alice");
    let client = A::new(&ep, &Options::default());

    let (first, _) = managed(&client, alice(), store());
    assert_eq!(first.send(dialogs(&ep)).await.unwrap().status(), 200);
    let token = first.token().await.unwrap();
    drop(first);
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600, "the file is its owner's only");
        assert_eq!(
            mode(path.parent().unwrap()),
            0o700,
            "so is the new directory"
        );
    }

    let (restarted, events) = managed(&A::new(&ep, &Options::default()), alice(), store());
    assert_eq!(restarted.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_eq!(restarted.token().await.unwrap(), token, "{}", A::NAME);
    assert_eq!(emulator.stats().sessions_created, 1, "{}", A::NAME);
    assert_eq!(events.count("store_ignored"), 0, "{:?}", events.names());
    // The restart says it took the saved session up.
    assert_eq!(events.count("restored"), 1, "{:?}", events.names());
    assert_eq!(events.count("created"), 0, "{:?}", events.names());
}

/// A live-looking session that must never be used: if a file holding it
/// were trusted, the managed session would hand this token out.
fn planted() -> LifecycleSnapshot {
    let mut session = Session::new(SessionToken::new("planted-token-0123456789"));
    session.application_id = Some(fixtures::APP_ID);
    let until = SystemTime::now() + Duration::from_secs(3600);
    LifecycleSnapshot::new(Some((session, until)), ClockSkew::ZERO)
}

/// Writes each kind of untrustworthy file at `path`.
fn plant(kind: &str, path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ours = FileStore::new(path, fixtures::APP_ID);
    match kind {
        "corrupt" => {
            ours.save(&planted()).unwrap();
            let text = std::fs::read_to_string(path).unwrap();
            // Cut short, as a crash mid-write by another program would.
            std::fs::write(path, &text[..text.len() / 2]).unwrap();
            restrict(path);
        }
        "another application" => FileStore::new(path, fixtures::APP_ID + 1)
            .save(&planted())
            .unwrap(),
        "expired" => {
            let mut session = Session::new(SessionToken::new("planted-token-0123456789"));
            session.application_id = Some(fixtures::APP_ID);
            let until = SystemTime::now() - Duration::from_secs(60);
            let expired = LifecycleSnapshot::new(Some((session, until)), ClockSkew::ZERO);
            ours.save(&expired).unwrap();
        }
        "readable by others" => {
            ours.save(&planted()).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let loose = std::fs::Permissions::from_mode(0o644);
                std::fs::set_permissions(path, loose).unwrap();
            }
        }
        #[cfg(unix)]
        "another user's" => {
            ours.save(&planted()).unwrap();
            std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        other => unreachable!("no such kind: {other}"),
    }
}

/// The user another user's file is given to: `nobody` on Debian.
#[cfg(unix)]
const NOBODY: u32 = 65534;

/// Whether this process may give a file to another user (root, or
/// CAP_CHOWN): only then can a test plant another user's file. Without it,
/// no other user's file is readable here either.
#[cfg(unix)]
fn can_give_files_away(dir: &Path) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    let probe = dir.join("chown-probe");
    std::fs::write(&probe, b"").unwrap();
    let given = std::os::unix::fs::chown(&probe, Some(NOBODY), None).is_ok();
    std::fs::remove_file(&probe).unwrap();
    given
}

#[cfg(unix)]
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[cfg(not(unix))]
fn restrict(_path: &Path) {}

/// Each file the store cannot trust is ignored with an event giving the
/// reason, a session is created as if nothing was saved, and the next save
/// replaces the file with a good, private one.
async fn an_untrusted_file_is_ignored_with_an_event<A: Adapter>() {
    let mut kinds = vec![
        ("corrupt", "corrupt"),
        ("another application", "another application"),
        ("expired", "expired"),
    ];
    #[cfg(unix)]
    {
        kinds.push(("readable by others", "mode 0644"));
        let probe = TempDir::new(&format!("{}-probe", A::NAME));
        if can_give_files_away(&probe.0) {
            kinds.push(("another user's", "belongs to user 65534"));
        } else {
            eprintln!("not root: the case of another user's session file was not run");
        }
    }
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    for (i, (kind, reason)) in kinds.into_iter().enumerate() {
        let dir = TempDir::new(&format!("{}-{i}", A::NAME));
        let path = dir.session_file();
        plant(kind, &path);
        let store = FileStore::new(&path, fixtures::APP_ID);
        let (session, events) = managed(&A::new(&ep, &Options::default()), alice(), store);
        assert_eq!(events.names(), ["store_ignored"], "{kind}");
        let shown = &events.debug()[0];
        assert!(shown.contains(reason), "{kind}: {shown}");
        assert!(!shown.contains("planted-token"), "{kind}: {shown}");

        assert_eq!(session.send(dialogs(&ep)).await.unwrap().status(), 200);
        let token = session.token().await.unwrap();
        assert_ne!(token.expose(), "planted-token-0123456789", "{kind}");
        assert_eq!(emulator.stats().sessions_created, i as u64 + 1, "{kind}");
        // Replaced by the new session, which a restart now reuses.
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600, "{kind}");
        let saved = FileStore::new(&path, fixtures::APP_ID).load().unwrap();
        assert_eq!(saved.unwrap().session().unwrap().token, token, "{kind}");
    }
}

/// The file holds the session token (it must, to be reused) and nothing a
/// session is created with: no auth secret, password or provider token,
/// for a user by password and a user by Facebook token alike.
async fn the_file_holds_no_secret_but_the_token<A: Adapter>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let identities = [
        ("password", alice()),
        (
            "facebook",
            Identity::facebook(fixtures::FACEBOOK_TOKEN).unwrap(),
        ),
    ];
    for (name, identity) in identities {
        let dir = TempDir::new(&format!("{}-{name}", A::NAME));
        let path = dir.session_file();
        let store = || FileStore::new(&path, fixtures::APP_ID).with_scope(name);
        let client = A::new(&ep, &Options::default());
        let (session, _) = managed(&client, identity.clone(), store());
        assert_eq!(session.send(dialogs(&ep)).await.unwrap().status(), 200);
        emulator.expire_all_sessions();
        assert_eq!(session.send(users(&ep)).await.unwrap().status(), 200);
        let (restarted, _) = managed(&client, identity, store());
        assert_eq!(restarted.send(users(&ep)).await.unwrap().status(), 200);
        let token = restarted.token().await.unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(token.expose()), "{name}: the token is saved");
        for secret in [
            fixtures::AUTH_SECRET,
            fixtures::ALICE_PASSWORD,
            fixtures::FACEBOOK_TOKEN,
        ] {
            assert!(!text.contains(secret), "{name}: {secret} in {text}");
        }
        // Nor escaped as JSON would write it (the password has a space
        // and symbols; serde writes them as they are, but check anyway).
        assert!(!text.contains("p@ss"), "{name}");
    }
}

for_each_transport!(60 =>
    a_restart_reuses_the_saved_session,
    an_untrusted_file_is_ignored_with_an_event,
    the_file_holds_no_secret_but_the_token,
);

/// Many threads saving at once while another reads: every read finds a
/// whole file (never half of one), no temporary file is left behind, and
/// the file stays private.
#[test]
fn concurrent_saves_are_atomic() {
    let dir = TempDir::new("atomic");
    let path = dir.session_file();
    let store = Arc::new(FileStore::new(&path, fixtures::APP_ID));
    let snapshot = |n: i64| {
        let mut session = Session::new(SessionToken::new(format!("token-{n:0>200}")));
        session.application_id = Some(fixtures::APP_ID);
        let until = SystemTime::now() + Duration::from_secs(3600);
        LifecycleSnapshot::new(Some((session, until)), ClockSkew::from_secs(n))
    };
    store.save(&snapshot(0)).unwrap();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0u32;
            while !done.load(Ordering::SeqCst) || reads < 100 {
                let loaded = store.load().expect("every read finds a whole file");
                let offset = loaded.expect("the file is always there").clock_offset();
                assert!((0..=8 * 50).contains(&offset.as_secs()), "{offset:?}");
                reads += 1;
            }
            reads
        })
    };
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 1..=50 {
                    store.save(&snapshot(w * 50 + i)).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    assert!(reader.join().unwrap() >= 100);

    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["session.json"], "no temporary file is left");
    assert!(store.load().unwrap().is_some());
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    store.clear().unwrap();
    assert!(store.load().unwrap().is_none());
    store.clear().unwrap();
}

/// Only a file that exists and cannot be read is a failure: building a
/// managed session on it fails with the store's error instead of creating
/// a session that could not be saved either. A directory where the file
/// should be is no session file, and is ignored.
#[test]
fn a_read_failure_is_an_error_and_a_directory_is_ignored() {
    let dir = TempDir::new("unreadable");
    std::fs::create_dir_all(&dir.0).unwrap();
    let not_a_dir = dir.0.join("plain-file");
    std::fs::write(&not_a_dir, b"").unwrap();
    // Opening `plain-file/session.json` fails (not a directory), as root too.
    let broken = FileStore::new(not_a_dir.join("session.json"), fixtures::APP_ID);
    let err = broken.load().unwrap_err();
    assert!(!err.is_ignored(), "{err:?}");
    assert!(err.to_string().contains("could not read"), "{err}");
    assert!(broken.save(&planted()).is_err());

    let client = qb_auth_ureq::Client::builder()
        .endpoint(qb_auth_core::Endpoint::parse("http://127.0.0.1:1").unwrap())
        .build()
        .unwrap();
    let built = client
        .managed(qb_auth_ureq::SessionSource::application(app()))
        .store(broken)
        .build();
    assert!(
        matches!(built, Err(qb_auth_client::Error::Store(ref e)) if !e.is_ignored()),
        "{built:?}"
    );

    let directory = dir.0.join("a-directory");
    std::fs::create_dir_all(&directory).unwrap();
    let err = FileStore::new(&directory, fixtures::APP_ID)
        .load()
        .unwrap_err();
    assert!(err.is_ignored(), "{err:?}");
    assert!(err.message().contains("not a regular file"), "{err}");
}
