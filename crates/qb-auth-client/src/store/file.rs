//! [`FileStore`]: the session saved in one file, so that a restarted
//! program (or the next run of a command) reuses its token.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use qb_auth_core::Endpoint;
use qb_auth_core::lifecycle::{LifecycleSnapshot, Policy};

use super::atomic::{self, Found, Refused};
use super::format::{self, Owner};
use super::{SessionStore, StoreError, trust};

/// A [`SessionStore`] in one file, for a program on one machine that wants
/// its session back after a restart (no server to share it through).
///
/// - **For one endpoint, application and identity**: the file records the
///   endpoint the session was created at, and is used only with that
///   endpoint (a token goes only to the host it belongs to), only for that
///   application, and only under the same [`with_scope`] label. One file
///   holds one session: give each identity a file of its own.
/// - **Written atomically**: each save goes to a new temporary file in the
///   same directory, is flushed to disk, and is renamed over the old file;
///   a reader (or a crash) never sees half a file. The directory is
///   created if missing (mode 0700 on Unix).
/// - **Private**: on Unix the file is created with mode 0600, and a file
///   that another user owns, or that group or others may read or change,
///   is not trusted.
/// - **Only its own file replaced**: a save or clear replaces or removes
///   only a regular file of this process's user that a file store wrote
///   (an empty one too). Anything else at the path (your notes, another
///   program's JSON, another user's file, a device, a FIFO, a link) is
///   left untouched, and the save fails with
///   [`StoreErrorKind::NotOurs`](super::StoreErrorKind::NotOurs).
/// - **Ignored, not fatal**: a file that is corrupt, of another format
///   version, for another endpoint, application or identity, expired, or
///   not private (another user's, or open to others), and anything that is
///   not a regular file, is left unread at once (a FIFO never blocks a
///   load): [`load`] returns [`StoreError::ignored`] with the reason,
///   which a managed session turns into a
///   [`StoreIgnored`](qb_auth_core::lifecycle::LifecycleEvent::StoreIgnored)
///   event before creating a new session (whose save replaces the file
///   when it is the store's own). Only a failure to read an existing file
///   (permission denied to this user, a disk error) is a real
///   [`StoreError`].
///
/// The file is JSON with a version field: the core's
/// [`LifecycleSnapshot`] (session token in the clear, ids and times)
/// inside an envelope naming the endpoint, application and scope. Nothing
/// the session was created with is in it: no auth secret, password or
/// provider token.
///
/// [`load`]: SessionStore::load
/// [`with_scope`]: Self::with_scope
///
/// ```
/// use qb_auth_client::FileStore;
/// use qb_auth_client::qb_auth_core::Endpoint;
/// use qb_auth_client::qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
/// use qb_auth_client::store::SessionStore;
///
/// let dir = std::env::temp_dir().join(format!("qb-auth-doc-{}", std::process::id()));
/// let api = Endpoint::default();
/// let store = FileStore::new(dir.join("session.json"), &api, 42);
/// assert!(store.load()?.is_none());
/// store.save(&LifecycleSnapshot::new(None, ClockSkew::from_secs(3)))?;
/// assert_eq!(store.load()?.unwrap().clock_offset(), ClockSkew::from_secs(3));
///
/// // Another application's store, or one for another endpoint, does not
/// // trust the file.
/// assert!(FileStore::new(dir.join("session.json"), &api, 7).load().unwrap_err().is_ignored());
/// let other = Endpoint::parse("https://apiexample.quickblox.com")?;
/// assert!(FileStore::new(dir.join("session.json"), &other, 42).load().unwrap_err().is_ignored());
/// store.clear()?;
/// # std::fs::remove_dir(&dir).unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// With a managed session (here over `qb-auth-ureq`, which re-exports it),
/// given the client's own endpoint:
///
/// ```
/// use qb_auth_core::{AppCredentials, Endpoint, SecretString};
/// use qb_auth_ureq::{Client, FileStore, SessionSource};
///
/// let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
/// let api = Endpoint::parse(emulator.base_url())?;
/// let client = Client::builder().endpoint(api.clone()).build()?;
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let path = std::env::temp_dir().join(format!("qb-auth-doc-managed-{}.json", std::process::id()));
///
/// let first = client.managed(SessionSource::application(app.clone()))
///     .store(FileStore::new(&path, &api, 12345))
///     .build()?;
/// let token = first.token()?;
/// // After a restart: the same file gives the same session back.
/// let again = client.managed(SessionSource::application(app))
///     .store(FileStore::new(&path, &api, 12345))
///     .build()?;
/// assert_eq!(again.token()?, token);
/// assert_eq!(emulator.control().stats().sessions_created, 1);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A file that is not the store's own is never replaced; ask first with
/// [`check_replaceable`](Self::check_replaceable):
///
/// ```
/// use qb_auth_client::FileStore;
/// use qb_auth_client::qb_auth_core::Endpoint;
/// use qb_auth_client::store::StoreErrorKind;
///
/// let dir = std::env::temp_dir().join(format!("qb-auth-doc-notes-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("notes.txt"), "my notes")?;
/// let notes = FileStore::new(dir.join("notes.txt"), &Endpoint::default(), 42);
/// assert_eq!(notes.check_replaceable().unwrap_err().kind(), StoreErrorKind::NotOurs);
/// assert_eq!(std::fs::read_to_string(dir.join("notes.txt"))?, "my notes");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FileStore {
    path: PathBuf,
    owner: Owner,
}

impl FileStore {
    /// A store in the file at `path` for sessions of the application
    /// `application_id` at `endpoint` (the endpoint of the client it is
    /// used with): a file saved for another application or endpoint is
    /// ignored.
    ///
    /// ```
    /// use qb_auth_client::FileStore;
    /// use qb_auth_client::qb_auth_core::Endpoint;
    ///
    /// let store = FileStore::new("/var/lib/my-app/qb-session.json", &Endpoint::default(), 42);
    /// assert_eq!(store.path(), std::path::Path::new("/var/lib/my-app/qb-session.json"));
    /// ```
    pub fn new(path: impl Into<PathBuf>, endpoint: &Endpoint, application_id: u64) -> Self {
        Self {
            path: path.into(),
            owner: Owner {
                endpoint: endpoint.clone(),
                application_id: Some(application_id),
                scope: None,
            },
        }
    }

    /// A store that reads a session file of any application and identity
    /// at `endpoint` (still refusing one that is for another endpoint,
    /// corrupt, expired or not private), for a tool that only needs the
    /// token saved there, such as `qb-auth session get --session-file`.
    /// Saves record the session's own application id.
    ///
    /// ```
    /// use qb_auth_client::FileStore;
    /// use qb_auth_client::qb_auth_core::Endpoint;
    /// use qb_auth_client::store::SessionStore;
    ///
    /// let store = FileStore::any_application("/nonexistent/qb-session.json", &Endpoint::default());
    /// assert!(store.load()?.is_none());
    /// # Ok::<(), qb_auth_client::store::StoreError>(())
    /// ```
    pub fn any_application(path: impl Into<PathBuf>, endpoint: &Endpoint) -> Self {
        Self {
            path: path.into(),
            owner: Owner {
                endpoint: endpoint.clone(),
                application_id: None,
                scope: None,
            },
        }
    }

    /// Records which identity the session in the file is for, and refuses
    /// a file saved under another scope (or none): a label of your choosing
    /// such as `login:alice` or a hash of it, written in the clear, never a
    /// password or token.
    ///
    /// One file holds one identity. A store under another scope ignores
    /// the file (and its next save replaces it), so two identities that
    /// take turns on one path create a new session each time: give each
    /// its own file, as here.
    ///
    /// ```
    /// use qb_auth_client::FileStore;
    /// use qb_auth_client::qb_auth_core::Endpoint;
    /// use qb_auth_client::qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
    /// use qb_auth_client::store::SessionStore;
    ///
    /// let dir = std::env::temp_dir().join(format!("qb-auth-doc-scope-{}", std::process::id()));
    /// let store = |user: &str| {
    ///     FileStore::new(dir.join(format!("{user}.json")), &Endpoint::default(), 42)
    ///         .with_scope(format!("login:{user}"))
    /// };
    /// store("alice").save(&LifecycleSnapshot::new(None, ClockSkew::ZERO))?;
    /// store("bob").save(&LifecycleSnapshot::new(None, ClockSkew::ZERO))?;
    /// assert!(store("alice").load()?.is_some());
    ///
    /// // The same file under another scope is not taken up.
    /// let elsewhere = FileStore::new(dir.join("alice.json"), &Endpoint::default(), 42)
    ///     .with_scope("login:bob");
    /// assert!(elsewhere.load().unwrap_err().is_ignored());
    /// # store("alice").clear()?;
    /// # store("bob").clear()?;
    /// # std::fs::remove_dir(&dir).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.owner.scope = Some(scope.into());
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The endpoint its sessions are for.
    pub fn endpoint(&self) -> &Endpoint {
        &self.owner.endpoint
    }

    /// Whether a save may replace what is at the path: nothing, or a file
    /// this store's kind wrote. Otherwise the error a save would fail with
    /// ([`StoreErrorKind::NotOurs`](super::StoreErrorKind::NotOurs)): ask
    /// before creating a session that could not be saved.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::NotOurs`](super::StoreErrorKind::NotOurs) when
    /// something else is there, and a failure when the path cannot be
    /// looked at.
    pub fn check_replaceable(&self) -> Result<(), StoreError> {
        self.replaceable().map(|_| ())
    }

    /// What a session file holds, whoever it is for and whether or not it
    /// is still live, for a tool that shows it (such as `qb-auth status`):
    /// never a session to use, which only [`load`](SessionStore::load)
    /// gives. `None` if there is no file. A file that is not private, not
    /// a regular file or not a session file of this version is
    /// [`StoreError::ignored`].
    ///
    /// ```
    /// use qb_auth_client::FileStore;
    /// use qb_auth_client::qb_auth_core::Endpoint;
    /// use qb_auth_client::qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
    /// use qb_auth_client::store::SessionStore;
    ///
    /// let path = std::env::temp_dir().join(format!("qb-auth-doc-inspect-{}.json", std::process::id()));
    /// FileStore::new(&path, &Endpoint::default(), 42)
    ///     .with_scope("login:alice")
    ///     .save(&LifecycleSnapshot::new(None, ClockSkew::ZERO))?;
    /// let saved = FileStore::inspect(&path)?.unwrap();
    /// assert_eq!(saved.endpoint.as_deref(), Some("https://api.quickblox.com"));
    /// assert_eq!((saved.application_id, saved.scope.as_deref()), (Some(42), Some("login:alice")));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::ignored`] for a file that cannot be shown, and a
    /// failure when it cannot be read.
    pub fn inspect(path: impl AsRef<Path>) -> Result<Option<SavedFile>, StoreError> {
        let path = path.as_ref();
        let bytes = match atomic::read(path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(Refused::Untrusted(reason)) => return Err(StoreError::ignored(reason)),
            Err(Refused::Io(err)) => return Err(failed(path, "read", err)),
        };
        let envelope = format::read_envelope(&bytes)?;
        Ok(Some(SavedFile {
            endpoint: envelope.endpoint,
            application_id: envelope.application_id,
            scope: envelope.scope,
            snapshot: envelope.snapshot,
        }))
    }

    /// Whether what is at the path may be replaced or removed: `false` if
    /// there is nothing.
    fn replaceable(&self) -> Result<bool, StoreError> {
        let not_ours = |why: String| {
            Err(StoreError::not_ours(format!(
                "{}: {why}",
                self.path.display()
            )))
        };
        match atomic::look(&self.path) {
            Ok(Found::Nothing) => Ok(false),
            Ok(Found::File(bytes)) if format::is_ours(&bytes) => Ok(true),
            Ok(Found::File(_)) => not_ours("not a qb-auth session file".to_owned()),
            Ok(Found::Foreign(why)) => not_ours(why),
            Err(err) => Err(failed(&self.path, "read", err)),
        }
    }
}

/// What a session file holds, as [`FileStore::inspect`] reads it: the
/// envelope as written, and the snapshot (whose token `Debug` never
/// shows).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SavedFile {
    /// The endpoint the session was created at, as written; `None` in a
    /// file written before files recorded it.
    pub endpoint: Option<String>,
    /// The application the file is for.
    pub application_id: Option<u64>,
    /// The identity label the file was saved under, if any.
    pub scope: Option<String>,
    /// The session and clock offset saved.
    pub snapshot: LifecycleSnapshot,
}

impl SavedFile {
    /// Why a store for the file's own endpoint and application would not
    /// use its session at `now` (the checks a load makes, short of whose
    /// file it is: endpoint recorded, token, application, lifetime), or
    /// `None` when it would. An expired session says so.
    pub fn problem(&self, now: SystemTime) -> Option<String> {
        match self.endpoint.as_deref().map(Endpoint::parse) {
            None => return Some(format::NO_ENDPOINT.to_owned()),
            Some(Err(_)) => return Some(format::BAD_ENDPOINT.to_owned()),
            Some(Ok(_)) => {}
        }
        let expected = trust::Expected {
            application_id: self.application_id,
            ..trust::Expected::any(&Policy::default())
        };
        trust::problem(&self.snapshot, &expected, now)
    }
}

fn failed(path: &Path, what: &str, err: std::io::Error) -> StoreError {
    StoreError::new(format!("could not {what} {}", path.display())).with_source(err)
}

impl SessionStore for FileStore {
    fn load(&self) -> Result<Option<LifecycleSnapshot>, StoreError> {
        let bytes = match atomic::read(&self.path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(Refused::Untrusted(reason)) => return Err(StoreError::ignored(reason)),
            Err(Refused::Io(err)) => return Err(failed(&self.path, "read", err)),
        };
        format::decode(&bytes, &self.owner, SystemTime::now()).map(Some)
    }

    fn save(&self, snapshot: &LifecycleSnapshot) -> Result<(), StoreError> {
        let bytes = format::encode(&self.owner, snapshot)?;
        // What is there is looked at first: a file that is not the store's
        // own is never renamed over. (A process that can change the
        // directory could still swap one in between, as it could anyway.)
        self.replaceable()?;
        atomic::write(&self.path, &bytes).map_err(|e| failed(&self.path, "write", e))
    }

    fn clear(&self) -> Result<(), StoreError> {
        if self.replaceable()? {
            atomic::remove(&self.path).map_err(|e| failed(&self.path, "remove", e))?;
        }
        Ok(())
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .field("endpoint", &self.owner.endpoint)
            .field("application_id", &self.owner.application_id)
            .field("scope", &self.owner.scope)
            .finish()
    }
}
