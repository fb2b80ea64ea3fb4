//! `--save` and `--session-file`: a session kept in a file between runs,
//! so a script creates one session and the commands after it reuse it.
//!
//! The file is `qb-auth-client`'s `FileStore` (JSON, mode 0600, replaced
//! atomically); it holds the session token and nothing the session was
//! created with. A file that cannot be trusted (corrupt, another
//! application's or identity's, expired, readable by others) is ignored
//! with a warning and, for `session create`, replaced by a new session.
//!
//! Without a path the file is `$XDG_STATE_HOME/qb-auth/session.json`
//! (`~/.local/state/qb-auth/session.json` when that is unset; on Windows
//! `%LOCALAPPDATA%\qb-auth\session.json`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use qb_auth_client::FileStore;
use qb_auth_client::store::{SessionStore, StoreError};
use qb_auth_core::lifecycle::{ClockSkew, LifecycleSnapshot, Policy};
use qb_auth_core::{Endpoint, Session};

use crate::exit::CliError;
use crate::identity_args::IdentityPlan;

/// The file a flag names: its value, or the default when given bare.
pub(crate) fn resolve(given: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    default_path().ok_or_else(|| {
        CliError::SessionFile(
            "there is no default session file (HOME is not set); give a PATH".to_owned(),
        )
    })
}

/// The per-user default, from the environment.
fn default_path() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    let dir = if cfg!(windows) {
        PathBuf::from(var("LOCALAPPDATA")?)
    } else if let Some(state) = var("XDG_STATE_HOME") {
        PathBuf::from(state)
    } else {
        PathBuf::from(var("HOME")?).join(".local").join("state")
    };
    Some(dir.join("qb-auth").join("session.json"))
}

/// The store for sessions of `app_id` for the identity `plan` at
/// `endpoint`: a session of another identity or host is not reused.
pub(crate) fn store_for(
    path: &Path,
    app_id: u64,
    plan: &IdentityPlan,
    endpoint: &Endpoint,
) -> FileStore {
    FileStore::new(path, app_id).with_scope(format!("{} {}", endpoint.as_str(), label(plan)))
}

/// Who the session is for, in words that are no secret.
fn label(plan: &IdentityPlan) -> String {
    match plan {
        IdentityPlan::Application => "application".to_owned(),
        IdentityPlan::Login(login) => format!("login:{login}"),
        IdentityPlan::Email(email) => format!("email:{email}"),
        IdentityPlan::Social(provider) => provider.as_str().to_owned(),
        IdentityPlan::FirebasePhone(project) => format!("firebase_phone:{project}"),
    }
}

/// The live session saved in `store`, if there is one; a file that cannot
/// be used is reported as a warning and treated as no file.
pub(crate) fn live_session(store: &FileStore) -> Option<Session> {
    match store.load() {
        Ok(saved) => saved.and_then(|s| s.session().cloned()),
        Err(err) => {
            warn(store.path(), &err);
            None
        }
    }
}

fn warn(path: &Path, err: &StoreError) {
    if err.is_ignored() {
        tracing::warn!(path = %path.display(), reason = err.message(), "saved session ignored");
    } else {
        tracing::warn!(path = %path.display(), error = %err, "could not read the session file");
    }
}

/// Saves `session`, valid until the server said it expires (or the
/// default lifetime from now).
pub(crate) fn save(store: &FileStore, session: &Session) -> Result<(), CliError> {
    let until = session
        .expires_at
        .unwrap_or_else(|| SystemTime::now() + Policy::default().default_ttl());
    let snapshot = LifecycleSnapshot::new(Some((session.clone(), until)), ClockSkew::ZERO);
    store.save(&snapshot).map_err(|e| failed(&e))
}

/// Removes the file of a session that no longer exists.
pub(crate) fn clear(store: &FileStore) -> Result<(), CliError> {
    store.clear().map_err(|e| failed(&e))
}

fn failed(err: &StoreError) -> CliError {
    let mut message = err.to_string();
    if let Some(cause) = std::error::Error::source(err) {
        message = format!("{message}: {cause}");
    }
    CliError::SessionFile(message)
}

#[cfg(test)]
mod tests {
    use qb_auth_core::SocialProvider;

    use super::*;

    #[test]
    fn labels_name_the_identity_without_a_secret() {
        assert_eq!(label(&IdentityPlan::Application), "application");
        assert_eq!(label(&IdentityPlan::Login("alice".into())), "login:alice");
        assert_eq!(
            label(&IdentityPlan::Social(SocialProvider::Facebook)),
            "facebook"
        );
        assert_eq!(
            label(&IdentityPlan::FirebasePhone("proj".into())),
            "firebase_phone:proj"
        );
    }

    #[test]
    fn a_given_path_is_used_as_it_is() {
        assert_eq!(
            resolve(Some(Path::new("x/s.json"))).unwrap(),
            Path::new("x/s.json")
        );
    }
}
