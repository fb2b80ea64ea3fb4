//! The file store: a managed session over either transport gets its
//! session back after a restart (a second managed session built on the
//! same file) without creating another; a file it cannot trust (another
//! endpoint's too) is ignored with a `StoreIgnored` event and, when it is
//! a session file, replaced; anything else at the path (a user's file,
//! another program's, another user's, a device, a FIFO) is left untouched
//! and never blocks; saves are atomic and private; and the file holds the
//! session token but nothing it was created with.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use qb_auth_client::FileStore;
use qb_auth_client::store::{SessionStore, StoreErrorKind};
use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
use qb_auth_core::{Endpoint, Identity, Session, SessionToken};
use qb_auth_emulator::fixtures;
use qb_auth_tests::fixtures::{alice, app, dialogs, emulator, endpoint, users};
use qb_auth_tests::{ManagedOptions, Options, Source, TestClient, TestSession, for_each_transport};

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
fn managed<T: TestClient>(
    client: &T,
    identity: Identity,
    store: FileStore,
) -> (T::Session, qb_auth_tests::Events) {
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
async fn a_restart_reuses_the_saved_session<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let dir = TempDir::new(T::NAME);
    let path = dir.session_file();
    let store = || FileStore::new(&path, &ep, fixtures::APP_ID).with_scope("login:alice");
    let client = T::new(&ep, &Options::default());

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

    let (restarted, events) = managed(&T::new(&ep, &Options::default()), alice(), store());
    assert_eq!(restarted.send(dialogs(&ep)).await.unwrap().status(), 200);
    assert_eq!(restarted.token().await.unwrap(), token, "{}", T::NAME);
    assert_eq!(emulator.stats().sessions_created, 1, "{}", T::NAME);
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

/// Another endpoint than the emulator's.
fn elsewhere() -> Endpoint {
    Endpoint::parse("https://apiexample.quickblox.com").unwrap()
}

/// Writes each kind of untrustworthy file at `path`, for a store at `ep`.
fn plant(kind: &str, path: &Path, ep: &Endpoint) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ours = FileStore::new(path, ep, fixtures::APP_ID);
    match kind {
        "corrupt" => {
            ours.save(&planted()).unwrap();
            let text = std::fs::read_to_string(path).unwrap();
            // Cut short, as a crash mid-write by another program would.
            std::fs::write(path, &text[..text.len() / 2]).unwrap();
            restrict(path);
        }
        "another application" => FileStore::new(path, ep, fixtures::APP_ID + 1)
            .save(&planted())
            .unwrap(),
        "another endpoint" => FileStore::new(path, &elsewhere(), fixtures::APP_ID)
            .save(&planted())
            .unwrap(),
        "no endpoint" => {
            // As files were written before they named their endpoint.
            ours.save(&planted()).unwrap();
            let text = std::fs::read_to_string(path).unwrap();
            let line = format!("  \"endpoint\": \"{ep}\",\n");
            assert!(text.contains(&line), "{text}");
            std::fs::write(path, text.replace(&line, "")).unwrap();
            restrict(path);
        }
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

/// Each session file the store cannot trust is ignored with an event
/// giving the reason, a session is created as if nothing was saved, and
/// the next save replaces the file with a good, private one.
async fn an_untrusted_file_is_ignored_with_an_event<T: TestClient>() {
    let mut kinds = vec![
        ("corrupt", "corrupt"),
        ("another application", "another application"),
        (
            "another endpoint",
            "for the endpoint https://apiexample.quickblox.com",
        ),
        ("no endpoint", "does not say which endpoint"),
        ("expired", "expired"),
    ];
    #[cfg(unix)]
    kinds.push(("readable by others", "mode 0644"));
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    for (i, (kind, reason)) in kinds.into_iter().enumerate() {
        let dir = TempDir::new(&format!("{}-{i}", T::NAME));
        let path = dir.session_file();
        plant(kind, &path, &ep);
        let store = FileStore::new(&path, &ep, fixtures::APP_ID);
        let (session, events) = managed(&T::new(&ep, &Options::default()), alice(), store);
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
        let saved = FileStore::new(&path, &ep, fixtures::APP_ID).load().unwrap();
        assert_eq!(saved.unwrap().session().unwrap().token, token, "{kind}");
    }
    // The planted token never reached the emulator.
    assert_eq!(emulator.stats().unknown_token_rejections, 0, "{}", T::NAME);
}

/// A session saved for one endpoint is not used at another: the second
/// emulator never sees the first one's token, and creates its own.
async fn a_session_saved_for_another_endpoint_is_not_sent_there<T: TestClient>() {
    let (first, second) = (emulator().await, emulator().await);
    let (ep1, ep2) = (endpoint(&first), endpoint(&second));
    let dir = TempDir::new(&format!("{}-endpoints", T::NAME));
    let path = dir.session_file();
    let (at_first, _) = managed(
        &T::new(&ep1, &Options::default()),
        alice(),
        FileStore::new(&path, &ep1, fixtures::APP_ID),
    );
    let token = at_first.token().await.unwrap();

    let (at_second, events) = managed(
        &T::new(&ep2, &Options::default()),
        alice(),
        FileStore::new(&path, &ep2, fixtures::APP_ID),
    );
    assert_eq!(events.names(), ["store_ignored"], "{}", T::NAME);
    assert!(events.debug()[0].contains(&format!("for the endpoint {ep1}")));
    assert_eq!(at_second.send(dialogs(&ep2)).await.unwrap().status(), 200);
    assert_ne!(at_second.token().await.unwrap(), token, "{}", T::NAME);
    let stats = second.stats();
    assert_eq!(
        (stats.sessions_created, stats.unknown_token_rejections),
        (1, 0),
        "{}: the first endpoint's token went to the second",
        T::NAME
    );
}

/// A managed session over a file that is not a session file (another
/// program's JSON, or another user's session file) ignores it, works, and
/// leaves the file as it was: its saves are refused.
async fn a_file_that_is_not_the_store_s_is_left_untouched<T: TestClient>() {
    let emulator = emulator().await;
    let ep = endpoint(&emulator);
    let mut cases = vec![("another program's JSON", "not a qb-auth session file")];
    #[cfg(unix)]
    {
        let probe = TempDir::new(&format!("{}-probe", T::NAME));
        if can_give_files_away(&probe.0) {
            cases.push(("another user's", "belongs to user 65534"));
        } else {
            eprintln!("not root: the case of another user's session file was not run");
        }
    }
    for (i, (kind, reason)) in cases.into_iter().enumerate() {
        let dir = TempDir::new(&format!("{}-theirs-{i}", T::NAME));
        let path = dir.session_file();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        match kind {
            "another program's JSON" => {
                std::fs::write(&path, br#"{"theme":"dark","token":"theirs"}"#).unwrap();
                restrict(&path);
            }
            _ => plant("another user's", &path, &ep),
        }
        let before = std::fs::read(&path).unwrap();
        let store = FileStore::new(&path, &ep, fixtures::APP_ID);
        let err = store.check_replaceable().unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::NotOurs, "{kind}: {err:?}");
        assert!(err.message().contains(reason), "{kind}: {err}");

        let (session, events) = managed(&T::new(&ep, &Options::default()), alice(), store);
        assert_eq!(events.names(), ["store_ignored"], "{kind}");
        assert_eq!(session.send(dialogs(&ep)).await.unwrap().status(), 200);
        drop(session);
        assert_eq!(std::fs::read(&path).unwrap(), before, "{kind}: replaced");
        #[cfg(unix)]
        if kind == "another user's" {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(std::fs::metadata(&path).unwrap().uid(), NOBODY);
        }
    }
}

/// The file holds the session token (it must, to be reused) and nothing a
/// session is created with: no auth secret, password or provider token,
/// for a user by password and a user by Facebook token alike.
async fn the_file_holds_no_secret_but_the_token<T: TestClient>() {
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
        let dir = TempDir::new(&format!("{}-{name}", T::NAME));
        let path = dir.session_file();
        let store = || FileStore::new(&path, &ep, fixtures::APP_ID).with_scope(name);
        let client = T::new(&ep, &Options::default());
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
        // What a tool reads of the file shows no token either.
        let inspected = format!("{:?}", FileStore::inspect(&path));
        assert!(inspected.contains("application_id"), "{inspected}");
        assert!(!inspected.contains(token.expose()), "{name}: {inspected}");
    }
}

for_each_transport!(60 =>
    a_restart_reuses_the_saved_session,
    an_untrusted_file_is_ignored_with_an_event,
    a_session_saved_for_another_endpoint_is_not_sent_there,
    a_file_that_is_not_the_store_s_is_left_untouched,
    the_file_holds_no_secret_but_the_token,
);

/// Many threads saving at once while another reads: every read finds a
/// whole file (never half of one), no temporary file is left behind, and
/// the file stays private.
#[test]
fn concurrent_saves_are_atomic() {
    let dir = TempDir::new("atomic");
    let path = dir.session_file();
    let store = Arc::new(FileStore::new(
        &path,
        &Endpoint::default(),
        fixtures::APP_ID,
    ));
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
    let ep = Endpoint::parse("http://127.0.0.1:1").unwrap();
    let broken = FileStore::new(not_a_dir.join("session.json"), &ep, fixtures::APP_ID);
    let err = broken.load().unwrap_err();
    assert!(!err.is_ignored(), "{err:?}");
    assert!(err.to_string().contains("could not read"), "{err}");
    assert!(broken.save(&planted()).is_err());

    let client = qb_auth_ureq::Client::builder()
        .endpoint(ep.clone())
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
    let store = FileStore::new(&directory, &ep, fixtures::APP_ID);
    let err = store.load().unwrap_err();
    assert!(err.is_ignored(), "{err:?}");
    assert!(
        err.message().contains("a directory, not a regular file"),
        "{err}"
    );
    assert_eq!(
        store.save(&planted()).unwrap_err().kind(),
        StoreErrorKind::NotOurs
    );
    assert!(directory.is_dir());
}

/// Runs `check` on a thread of its own and fails if it has not finished
/// within a minute: a store that blocks (opening a FIFO waits for a
/// writer) fails the test instead of hanging it. The thread is left behind
/// if it hangs; the test process ends it.
fn within_a_minute(what: &str, check: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        check();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => worker.join().expect("the check passes"),
        // The sender is gone without sending: the check panicked.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{what} blocked"),
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_fifo()
}

/// A FIFO at the path never blocks: a load ignores it at once, a save and
/// a clear refuse it, and it is still there after.
#[cfg(unix)]
#[test]
fn a_fifo_at_the_path_never_blocks_the_store() {
    let dir = TempDir::new("fifo");
    let path = dir.session_file();
    mkfifo(&path);
    let at = path.clone();
    within_a_minute("the file store on a FIFO", move || {
        let store = FileStore::new(&at, &Endpoint::default(), fixtures::APP_ID);
        let err = store.load().unwrap_err();
        assert!(err.is_ignored(), "{err:?}");
        assert!(
            err.message().contains("a FIFO, not a regular file"),
            "{err}"
        );
        assert!(FileStore::inspect(&at).unwrap_err().is_ignored());
        for refused in [
            store.check_replaceable(),
            store.save(&planted()),
            store.clear(),
        ] {
            let err = refused.unwrap_err();
            assert_eq!(err.kind(), StoreErrorKind::NotOurs, "{err:?}");
            assert!(err.message().contains("a FIFO"), "{err}");
        }
    });
    assert!(is_fifo(&path), "the FIFO was replaced");
}

/// A managed session over a FIFO is built at once, over either transport:
/// the FIFO is ignored with an event, and a session is created.
#[cfg(unix)]
#[test]
fn a_managed_session_over_a_fifo_is_built_at_once() {
    use qb_auth_tests::{Reqwest, Ureq};

    async fn over<T: TestClient>(path: PathBuf) {
        let emulator = emulator().await;
        let ep = endpoint(&emulator);
        let store = FileStore::new(&path, &ep, fixtures::APP_ID);
        let (session, events) = managed(&T::new(&ep, &Options::default()), alice(), store);
        assert_eq!(events.names(), ["store_ignored"], "{}", T::NAME);
        assert!(events.debug()[0].contains("a FIFO"), "{:?}", events.debug());
        assert_eq!(session.send(dialogs(&ep)).await.unwrap().status(), 200);
    }

    let dir = TempDir::new("managed-fifo");
    let path = dir.session_file();
    mkfifo(&path);
    for transport in ["reqwest", "ureq"] {
        let at = path.clone();
        within_a_minute(
            &format!("a managed session over a FIFO ({transport})"),
            move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                match transport {
                    "reqwest" => runtime.block_on(Box::pin(over::<Reqwest>(at))),
                    _ => runtime.block_on(Box::pin(over::<Ureq>(at))),
                }
            },
        );
    }
    assert!(is_fifo(&path), "the FIFO was replaced");
}

/// A character device like /dev/null. Root gets one made in `dir` (by
/// `mknod`): were the store to replace it after all, root would replace
/// the machine's own /dev/null, so without `mknod` root gets none. Any
/// other user gets /dev/null itself, which it could not replace anyway.
#[cfg(unix)]
fn null_device(dir: &Path) -> Option<PathBuf> {
    if !can_give_files_away(dir) {
        return Some(PathBuf::from("/dev/null"));
    }
    let copy = dir.join("null");
    let made = std::process::Command::new("mknod")
        .arg(&copy)
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("mknod failed: the case of a character device was not run");
    }
    made.then_some(copy)
}

/// A save replaces only the store's own file: a user's notes, another
/// program's JSON, a character device (a /dev/null), a directory, a link
/// to a session file and another user's file are refused with `NotOurs`
/// and left as they were; an empty file (as `mktemp` makes) and a session
/// file are replaced.
#[test]
fn a_save_replaces_only_the_store_s_own_file() {
    let dir = TempDir::new("not-ours");
    std::fs::create_dir_all(&dir.0).unwrap();
    let ep = Endpoint::default();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        restrict(&path);
        path
    };
    let mut refused = vec![
        (
            write("notes.txt", b"my notes\n"),
            "not a qb-auth session file",
        ),
        (
            write(
                "settings.json",
                br#"{"format":"another program","token":"x"}"#,
            ),
            "not a qb-auth session file",
        ),
        (dir.0.join("sub"), "a directory"),
    ];
    std::fs::create_dir_all(dir.0.join("sub")).unwrap();
    #[cfg(unix)]
    {
        if let Some(device) = null_device(&dir.0) {
            refused.push((device, "a character device"));
        }
        let target = dir.0.join("target.json");
        FileStore::new(&target, &ep, fixtures::APP_ID)
            .save(&planted())
            .unwrap();
        let link = dir.0.join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        refused.push((link, "a symbolic link"));
        if can_give_files_away(&dir.0) {
            let theirs = dir.0.join("theirs.json");
            FileStore::new(&theirs, &ep, fixtures::APP_ID)
                .save(&planted())
                .unwrap();
            std::os::unix::fs::chown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
            refused.push((theirs, "belongs to user 65534"));
        } else {
            eprintln!("not root: the case of another user's file was not run");
        }
    }
    for (path, reason) in refused {
        let before = std::fs::symlink_metadata(&path).unwrap();
        let bytes = std::fs::read(&path).ok();
        let store = FileStore::new(&path, &ep, fixtures::APP_ID);
        for result in [store.save(&planted()), store.clear()] {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), StoreErrorKind::NotOurs, "{path:?}: {err:?}");
            assert!(err.message().contains(reason), "{path:?}: {err}");
            assert!(!err.message().contains("planted-token"), "{err}");
        }
        let after = std::fs::symlink_metadata(&path).unwrap();
        assert_eq!(before.file_type(), after.file_type(), "{path:?}");
        assert_eq!(before.len(), after.len(), "{path:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(
                (before.ino(), before.uid(), before.rdev()),
                (after.ino(), after.uid(), after.rdev()),
                "{path:?} was replaced"
            );
        }
        if before.is_file() {
            assert_eq!(std::fs::read(&path).ok(), bytes, "{path:?} was changed");
        }
    }
    // No temporary file was left next to the refused ones.
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");

    for replaced in [
        write("empty.json", b""),
        dir.0.join("target.json"),
        write(
            "older.json",
            b"{\"format\": \"qb-auth session file\", \"version\": 7}",
        ),
    ] {
        if !replaced.exists() {
            continue;
        }
        let store = FileStore::new(&replaced, &ep, fixtures::APP_ID);
        store.save(&planted()).unwrap();
        assert!(store.load().unwrap().is_some(), "{replaced:?}");
        store.clear().unwrap();
        assert!(!replaced.exists(), "{replaced:?}");
    }
}
