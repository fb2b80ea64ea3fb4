//! `--save` and `--session-file`: a session kept in a file between runs,
//! so a script creates one session and the commands after it reuse it.
//!
//! The file is `qb-auth-client`'s `FileStore` (JSON, mode 0600, replaced
//! atomically, never over a file that is not a session file); it holds the
//! session token, the endpoint it was created at, and who it is for as a
//! hash (the fleet key's: the application and the identity's kind and
//! login or email, never a password), and nothing the session was created
//! with. It is used only with its endpoint and application, and reused by
//! `session create` only for the identity that created it. A file that
//! cannot be trusted (corrupt, another endpoint's, application's or
//! identity's, expired, readable by others) is ignored with a warning and,
//! for `session create`, replaced by a new session.
//!
//! Without a path each application and identity has its own file in
//! `$XDG_STATE_HOME/qb-auth/` (`~/.local/state/qb-auth/` when that is
//! unset; on Windows `%LOCALAPPDATA%\qb-auth\`), named after that hash, so
//! that switching users reuses each one's session; the commands that act on
//! a token take the one saved last for their endpoint.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use qb_auth_client::FileStore;
use qb_auth_client::fleet::FleetKey;
use qb_auth_client::store::{SessionStore, StoreError, StoreErrorKind};
use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot, Policy, SessionCredentials};
use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString, Session};

use crate::exit::CliError;
use crate::identity_args::IdentityPlan;

/// The per-user directory of session files, from the environment.
pub(crate) fn default_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    let dir = if cfg!(windows) {
        PathBuf::from(var("LOCALAPPDATA")?)
    } else if let Some(state) = var("XDG_STATE_HOME") {
        PathBuf::from(state)
    } else {
        PathBuf::from(var("HOME")?).join(".local").join("state")
    };
    Some(dir.join("qb-auth"))
}

fn no_default_dir() -> CliError {
    CliError::SessionFile(
        "there is no default session file directory (HOME is not set); give a PATH".to_owned(),
    )
}

/// Who a session is for, as its file records it: the fleet key of the
/// application and identity. Users by login or email are named by their
/// kind and name; a provider's users only by a secret token, so all of one
/// provider's share a key (and are never reused, see [`reusable`]).
pub(crate) fn identity_key(app_id: u64, plan: &IdentityPlan) -> Result<FleetKey, CliError> {
    // The key hashes the identity's kind and name, never its password or
    // the auth secret: these stand in for them, since the key is needed
    // before either is asked for.
    const UNUSED: &str = "unused";
    let app = AppCredentials::new(app_id, UNUSED, SecretString::from(UNUSED))?;
    let identity = match plan {
        IdentityPlan::Application => Identity::application(),
        IdentityPlan::Login(login) => Identity::login(login.as_str(), UNUSED)?,
        IdentityPlan::Email(email) => Identity::email(email.as_str(), UNUSED)?,
        IdentityPlan::Social(provider) => {
            return Ok(FleetKey::named(
                app_id,
                &format!("provider:{}", provider.as_str()),
            ));
        }
        IdentityPlan::FirebasePhone(project) => {
            return Ok(FleetKey::named(
                app_id,
                &format!("firebase_phone:{project}"),
            ));
        }
    };
    Ok(FleetKey::for_credentials(&SessionCredentials::new(
        app, identity,
    ))?)
}

/// Whether a saved session may be reused for `plan`: not for a provider's
/// user, who is known only by a secret token (whose user the file cannot
/// tell).
pub(crate) fn reusable(plan: &IdentityPlan) -> bool {
    matches!(
        plan,
        IdentityPlan::Application | IdentityPlan::Login(_) | IdentityPlan::Email(_)
    )
}

/// The default file of the sessions `key` names.
pub(crate) fn default_file(key: &FleetKey) -> Result<PathBuf, CliError> {
    let name = format!("{}.json", key.as_str().replace(':', "-"));
    Ok(default_dir().ok_or_else(no_default_dir)?.join(name))
}

/// The store for `session create`'s sessions of `key` at `endpoint`, in
/// `path` or, without one, in the identity's default file.
pub(crate) fn store_for(
    path: Option<&Path>,
    endpoint: &Endpoint,
    app_id: u64,
    key: &FleetKey,
) -> Result<FileStore, CliError> {
    let path = match path {
        Some(path) => path.to_owned(),
        None => default_file(key)?,
    };
    Ok(FileStore::new(path, endpoint, app_id).with_scope(key.as_str()))
}

/// The live session saved in `store`, if there is one; a file that cannot
/// be used is reported as a warning and treated as no file.
pub(crate) fn live_session(store: &FileStore) -> Option<(Session, SystemTime)> {
    match store.load() {
        Ok(saved) => saved.and_then(|s| s.session().cloned().zip(s.valid_until())),
        Err(err) => {
            warn(store.path(), &err);
            None
        }
    }
}

fn warn(path: &Path, err: &StoreError) {
    if err.is_ignored() {
        tracing::warn!(
            "saved session in {} ignored: {}",
            path.display(),
            err.message()
        );
    } else {
        tracing::warn!("could not read the session file: {}", with_cause(err));
    }
}

/// A session read from a file for a command that acts on its token, and
/// where it came from.
#[derive(Debug)]
pub(crate) struct Saved {
    /// The store it was read through (any application's at the endpoint).
    pub(crate) store: FileStore,
    /// The session, and until when it is valid.
    pub(crate) session: Session,
    pub(crate) until: SystemTime,
    /// Whether the file was found in the default directory (rather than
    /// named), where each identity has its own file.
    pub(crate) in_default_dir: bool,
}

/// The session saved for `endpoint` (and application `app_id`, when given)
/// in `path`, or without one the one saved last in the default directory;
/// `None`, with a warning, when there is none that may be used there.
pub(crate) fn for_token(
    path: Option<&Path>,
    endpoint: &Endpoint,
    app_id: Option<u64>,
) -> Result<Option<Saved>, CliError> {
    let (path, in_default_dir) = match path {
        Some(path) => (path.to_owned(), false),
        None => {
            let dir = default_dir().ok_or_else(no_default_dir)?;
            match newest_for(&dir, endpoint, app_id) {
                Some(path) => (path, true),
                None => {
                    tracing::warn!("no session for {endpoint} is saved in {}", dir.display());
                    return Ok(None);
                }
            }
        }
    };
    let store = FileStore::any_application(&path, endpoint);
    let Some((session, until)) = live_session(&store) else {
        if !path.exists() {
            tracing::warn!("no session is saved in {}", path.display());
        }
        return Ok(None);
    };
    if let (Some(want), Some(got)) = (app_id, session.application_id)
        && want != got
    {
        tracing::warn!(
            "saved session in {} ignored: it is application {got}'s, not {want}'s",
            path.display()
        );
        return Ok(None);
    }
    Ok(Some(Saved {
        store,
        session,
        until,
        in_default_dir,
    }))
}

/// The session file in `dir` saved last for `endpoint` (and `app_id`).
fn newest_for(dir: &Path, endpoint: &Endpoint, app_id: Option<u64>) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter_map(|path| {
            let saved = FileStore::inspect(&path).ok()??;
            let ours = saved.endpoint.as_deref() == Some(endpoint.as_str())
                && app_id.is_none_or(|id| saved.application_id == Some(id));
            let modified = std::fs::symlink_metadata(&path).ok()?.modified().ok()?;
            ours.then_some((modified, path))
        })
        .max()
        .map(|(_, path)| path)
}

/// Refuses, before anything is sent, to go on with a file that a save
/// could not replace.
pub(crate) fn check_replaceable(store: &FileStore) -> Result<(), CliError> {
    store.check_replaceable().map_err(|e| failed(&e))
}

/// Saves `session`, valid until the server said it expires (or the
/// default lifetime from now).
pub(crate) fn save(store: &FileStore, session: &Session) -> Result<(), CliError> {
    let until = session
        .expires_at
        .unwrap_or_else(|| SystemTime::now() + Policy::default().default_ttl());
    save_until(store, session, until)
}

fn save_until(store: &FileStore, session: &Session, until: SystemTime) -> Result<(), CliError> {
    let snapshot = LifecycleSnapshot::new(Some((session.clone(), until)), ClockSkew::ZERO);
    store.save(&snapshot).map_err(|e| failed(&e))
}

/// Removes the file of a session that no longer exists.
pub(crate) fn clear(store: &FileStore) -> Result<(), CliError> {
    store.clear().map_err(|e| failed(&e))
}

/// Rewrites the file `saved` came from for the identity its token now
/// belongs to (after a login or logout): the session with `user_id`, under
/// `plan`'s key. In the default directory it moves to that identity's own
/// file. When the application is unknown the key cannot be made, and the
/// file is cleared instead: it no longer says whose the token is.
pub(crate) fn rewrite(
    saved: &Saved,
    endpoint: &Endpoint,
    plan: &IdentityPlan,
    user_id: u64,
) -> Result<(), CliError> {
    let Some(app_id) = saved.session.application_id else {
        tracing::warn!(
            "{} was cleared: it does not say which application its session is for",
            saved.store.path().display()
        );
        return clear(&saved.store);
    };
    let key = identity_key(app_id, plan)?;
    let path = (!saved.in_default_dir).then(|| saved.store.path());
    let store = store_for(path, endpoint, app_id, &key)?;
    let mut session = saved.session.clone();
    session.user_id = user_id;
    save_until(&store, &session, saved.until)?;
    if store.path() != saved.store.path() {
        clear(&saved.store)?;
    }
    Ok(())
}

fn failed(err: &StoreError) -> CliError {
    match err.kind() {
        StoreErrorKind::NotOurs => CliError::NotASessionFile(format!(
            "{}; it was left untouched (give another --session-file or --save PATH, or move it \
             away)",
            err.message()
        )),
        _ => CliError::SessionFile(with_cause(err)),
    }
}

fn with_cause(err: &StoreError) -> String {
    let mut message = err.to_string();
    if let Some(cause) = std::error::Error::source(err) {
        message = format!("{message}: {cause}");
    }
    message
}

#[cfg(test)]
mod tests {
    use qb_auth_core::SocialProvider;

    use super::*;

    #[test]
    fn keys_tell_identities_apart_without_a_secret() {
        let key = |plan| identity_key(7, &plan).unwrap();
        let alice = key(IdentityPlan::Login("alice".into()));
        let others = [
            key(IdentityPlan::Login("bob".into())),
            key(IdentityPlan::Email("alice".into())),
            key(IdentityPlan::Application),
            key(IdentityPlan::Social(SocialProvider::Facebook)),
            identity_key(8, &IdentityPlan::Login("alice".into())).unwrap(),
        ];
        for other in &others {
            assert_ne!(&alice, other);
        }
        assert!(alice.as_str().starts_with("7:"), "{alice}");
        assert!(!alice.as_str().contains("alice"), "{alice}");
        // The same as a fleet's key for the same user, password and all.
        let app = AppCredentials::new(7, "key", SecretString::from("secret")).unwrap();
        let creds = SessionCredentials::new(app, Identity::login("alice", "pw").unwrap());
        assert_eq!(alice, FleetKey::for_credentials(&creds).unwrap());
    }

    #[test]
    fn only_users_known_by_name_are_reused() {
        assert!(reusable(&IdentityPlan::Application));
        assert!(reusable(&IdentityPlan::Email("a@b".into())));
        assert!(!reusable(&IdentityPlan::Social(SocialProvider::Twitter)));
        assert!(!reusable(&IdentityPlan::FirebasePhone("p".into())));
    }
}
