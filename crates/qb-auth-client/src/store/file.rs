//! [`FileStore`]: the session saved in one file, so that a restarted
//! program (or the next run of a command) reuses its token.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{SessionStore, StoreError};
use qb_auth_core::lifecycle::LifecycleSnapshot;

use super::atomic::{self, Refused};
use super::format::{self, Owner};

/// A [`SessionStore`] in one file, for a program on one machine that wants
/// its session back after a restart (no server to share it through).
///
/// - **Written atomically**: each save goes to a new temporary file in the
///   same directory, is flushed to disk, and is renamed over the old file;
///   a reader (or a crash) never sees half a file. The directory is
///   created if missing (mode 0700 on Unix).
/// - **Private**: on Unix the file is created with mode 0600, and a file
///   that another user owns, or that group or others may read or change,
///   is not trusted.
/// - **Ignored, not fatal**: a file that is corrupt, of another format
///   version, for another application or identity ([`with_scope`]),
///   expired, or not private (another user's, or open to others) is left
///   unread: [`load`] returns [`StoreError::ignored`] with the reason,
///   which a managed session turns into a
///   [`StoreIgnored`](qb_auth_core::lifecycle::LifecycleEvent::StoreIgnored)
///   event before creating a new session (the next save replaces the file).
///   Only a failure to read an existing file (permission denied to this
///   user, a disk error) is a real [`StoreError`].
///
/// The file is JSON with a version field: the core's
/// [`LifecycleSnapshot`] (session token in the clear, ids and times)
/// inside an envelope naming the application and scope. Nothing the
/// session was created with is in it: no auth secret, password or
/// provider token. One file holds one session; give each session its own.
///
/// [`load`]: SessionStore::load
/// [`with_scope`]: Self::with_scope
///
/// ```
/// use qb_auth_client::FileStore;
/// use qb_auth_client::qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
/// use qb_auth_client::store::SessionStore;
///
/// let dir = std::env::temp_dir().join(format!("qb-auth-doc-{}", std::process::id()));
/// let store = FileStore::new(dir.join("session.json"), 42);
/// assert!(store.load()?.is_none());
/// store.save(&LifecycleSnapshot::new(None, ClockSkew::from_secs(3)))?;
/// assert_eq!(store.load()?.unwrap().clock_offset(), ClockSkew::from_secs(3));
///
/// // Another application's store does not trust the file.
/// let err = FileStore::new(dir.join("session.json"), 7).load().unwrap_err();
/// assert!(err.is_ignored());
/// store.clear()?;
/// # std::fs::remove_dir(&dir).unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// With a managed session (here over `qb-auth-ureq`, which re-exports it):
///
/// ```
/// use qb_auth_core::{AppCredentials, Endpoint, SecretString};
/// use qb_auth_ureq::{Client, FileStore, SessionSource};
///
/// let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
/// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let path = std::env::temp_dir().join(format!("qb-auth-doc-managed-{}.json", std::process::id()));
///
/// let first = client.managed(SessionSource::application(app.clone()))
///     .store(FileStore::new(&path, 12345))
///     .build()?;
/// let token = first.token()?;
/// // After a restart: the same file gives the same session back.
/// let again = client.managed(SessionSource::application(app))
///     .store(FileStore::new(&path, 12345))
///     .build()?;
/// assert_eq!(again.token()?, token);
/// assert_eq!(emulator.control().stats().sessions_created, 1);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FileStore {
    path: PathBuf,
    owner: Owner,
}

impl FileStore {
    /// A store in the file at `path`, for sessions of the application
    /// `application_id`: a file saved for another application is ignored.
    ///
    /// ```
    /// use qb_auth_client::FileStore;
    ///
    /// let store = FileStore::new("/var/lib/my-app/qb-session.json", 42);
    /// assert_eq!(store.path(), std::path::Path::new("/var/lib/my-app/qb-session.json"));
    /// ```
    pub fn new(path: impl Into<PathBuf>, application_id: u64) -> Self {
        Self {
            path: path.into(),
            owner: Owner {
                application_id: Some(application_id),
                scope: None,
            },
        }
    }

    /// A store that reads a session file of any application and identity
    /// (still refusing one that is corrupt, expired or not private), for a
    /// tool that only needs the token saved there, such as `qb-auth
    /// session get --session-file`. Saves record the session's own
    /// application id.
    ///
    /// ```
    /// use qb_auth_client::FileStore;
    /// use qb_auth_client::store::SessionStore;
    ///
    /// let store = FileStore::any_application("/nonexistent/qb-session.json");
    /// assert!(store.load()?.is_none());
    /// # Ok::<(), qb_auth_client::store::StoreError>(())
    /// ```
    pub fn any_application(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            owner: Owner {
                application_id: None,
                scope: None,
            },
        }
    }

    /// Tells identities of one application apart: a file saved under
    /// another scope (or none) is ignored. A label of your choosing, such
    /// as `login:alice`, written in the clear: never a password or token.
    ///
    /// ```
    /// use qb_auth_client::FileStore;
    /// use qb_auth_client::qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot};
    /// use qb_auth_client::store::SessionStore;
    ///
    /// let path = std::env::temp_dir().join(format!("qb-auth-doc-scope-{}.json", std::process::id()));
    /// let alice = FileStore::new(&path, 42).with_scope("login:alice");
    /// alice.save(&LifecycleSnapshot::new(None, ClockSkew::ZERO))?;
    /// assert!(alice.load()?.is_some());
    /// let bob = FileStore::new(&path, 42).with_scope("login:bob");
    /// assert!(bob.load().unwrap_err().is_ignored());
    /// # alice.clear()?;
    /// # Ok::<(), qb_auth_client::store::StoreError>(())
    /// ```
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.owner.scope = Some(scope.into());
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn failed(&self, what: &str, err: std::io::Error) -> StoreError {
        StoreError::new(format!("could not {what} {}", self.path.display())).with_source(err)
    }
}

impl SessionStore for FileStore {
    fn load(&self) -> Result<Option<LifecycleSnapshot>, StoreError> {
        let bytes = match atomic::read(&self.path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(Refused::Untrusted(reason)) => return Err(StoreError::ignored(reason)),
            Err(Refused::Io(err)) => return Err(self.failed("read", err)),
        };
        format::decode(&bytes, &self.owner, SystemTime::now()).map(Some)
    }

    fn save(&self, snapshot: &LifecycleSnapshot) -> Result<(), StoreError> {
        let bytes = format::encode(&self.owner, snapshot)?;
        atomic::write(&self.path, &bytes).map_err(|e| self.failed("write", e))
    }

    fn clear(&self) -> Result<(), StoreError> {
        atomic::remove(&self.path).map_err(|e| self.failed("remove", e))
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .field("application_id", &self.owner.application_id)
            .field("scope", &self.owner.scope)
            .finish()
    }
}
