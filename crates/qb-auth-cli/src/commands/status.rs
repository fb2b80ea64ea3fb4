//! `status`: which sessions the session files hold, read from the files
//! alone (nothing is sent), with an exit code a script can test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use qb_auth_client::FileStore;

use crate::args::StatusArgs;
use crate::exit::{CliError, Code};
use crate::output::{self, SavedSession, Standing};
use crate::session_file;

/// Prints each session file's session; 0 when one of them is live, 8 when
/// none is.
pub(super) fn run(args: &StatusArgs, out: &mut dyn Write) -> Result<Code, CliError> {
    let (paths, place) = match &args.session_file {
        Some(path) => (vec![path.clone()], path.clone()),
        None => {
            let dir = session_file::default_dir().ok_or_else(|| {
                CliError::SessionFile(
                    "there is no default session file directory (HOME is not set); give \
                     --session-file PATH"
                        .to_owned(),
                )
            })?;
            (session_files(&dir)?, dir)
        }
    };
    let now = SystemTime::now();
    let sessions: Vec<SavedSession> = paths.iter().map(|path| read(path, now)).collect();
    output::status(out, args.output, &place, &sessions)?;
    let live = sessions
        .iter()
        .any(|s| matches!(s.standing, Standing::Live));
    Ok(if live { Code::Success } else { Code::NoSession })
}

/// The `.json` files in `dir`, by name; none if it does not exist.
fn session_files(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(CliError::SessionFile(format!(
                "could not list {}: {e}",
                dir.display()
            )));
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// What `path` holds, as `status` shows it.
fn read(path: &Path, now: SystemTime) -> SavedSession {
    let mut shown = SavedSession {
        path: path.to_owned(),
        standing: Standing::Missing,
        endpoint: None,
        application_id: None,
        identity_key: None,
        user_id: None,
        expires_at: None,
    };
    let saved = match FileStore::inspect(path) {
        Ok(Some(saved)) => saved,
        Ok(None) => return shown,
        Err(err) => {
            shown.standing = Standing::Unusable(err.message().to_owned());
            return shown;
        }
    };
    shown.endpoint = saved.endpoint.clone();
    shown.application_id = saved.application_id;
    shown.identity_key = saved.scope.clone();
    let session = saved.snapshot.session().zip(saved.snapshot.valid_until());
    // The checks a load makes (token, application, lifetime): a session
    // that would not be used is not live.
    shown.standing = match (session, saved.problem(now)) {
        (None, _) => Standing::Unusable("the file holds no session".to_owned()),
        (Some((_, until)), _) if until <= now => Standing::Expired,
        (Some(_), Some(why)) => Standing::Unusable(why),
        (Some(_), None) => Standing::Live,
    };
    if let Some((session, until)) = session {
        shown.user_id = Some(session.user_id);
        shown.expires_at = Some(until);
    }
    shown
}
