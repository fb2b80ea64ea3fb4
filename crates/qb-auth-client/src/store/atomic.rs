//! Writing and reading a file that holds a credential: replaced whole
//! (a temporary file in the same directory, flushed to disk, renamed over
//! the old one), created readable by its owner only, and trusted back only
//! if it still is.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The most a session file is read of; a real one is well under 2 KiB.
pub(super) const MAX_LEN: u64 = 64 * 1024;

/// Numbers the temporary files of this process, so concurrent saves never
/// share one.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `bytes`: readers see the old file or the new one,
/// never a part of either.
pub(super) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = directory(path);
    create_dir(dir)?;
    let (temp, mut file) = create_temp(path, dir)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            fs::rename(&temp, path)
        });
    if let Err(err) = written {
        // Nothing useful can be done if this fails too; the name is ours.
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    // The rename is durable once the directory is flushed. Not every
    // system can flush a directory; the file itself is on disk already.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Why a file that exists was not read as a session file.
#[derive(Debug)]
pub(super) enum Refused {
    /// It cannot be trusted or is not a session file; the reason for a log.
    Untrusted(String),
    /// Reading failed.
    Io(io::Error),
}

/// The bytes of `path`, `None` if there is no file; refused if it is not a
/// regular file, another user owns it or others may read or change it
/// (Unix), or it is too long.
pub(super) fn read(path: &Path) -> Result<Option<Vec<u8>>, Refused> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Refused::Io(err)),
    };
    // The checks are made on the file opened, not on the name again.
    let meta = file.metadata().map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::Untrusted(
            "the session path is not a regular file".to_owned(),
        ));
    }
    check_private(&meta)?;
    if meta.len() > MAX_LEN {
        return Err(Refused::Untrusted(format!(
            "the session file is larger than {MAX_LEN} bytes"
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    Ok(Some(bytes))
}

/// Removes `path`; no file is fine.
pub(super) fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// The directory the file and its temporary file live in.
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Creates a new temporary file next to `path`.
fn create_temp(path: &Path, dir: &Path) -> io::Result<(PathBuf, File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session".to_owned());
    loop {
        let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match private_options().open(&temp) {
            Ok(file) => return Ok((temp, file)),
            // Left by a process of the same id that died mid-save.
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(err),
        }
    }
}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    // Owner only from the moment it exists: a chmod afterwards would leave
    // a moment in which others could open it.
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    options
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    // Directories made here are the owner's only; existing ones are left
    // as they are.
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn check_private(meta: &fs::Metadata) -> Result<(), Refused> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // A file another user owns could hold a token they chose (root reads
    // anyone's file, whatever its mode).
    let (owner, me) = (meta.uid(), rustix::process::geteuid().as_raw());
    if owner != me {
        return Err(Refused::Untrusted(format!(
            "the session file belongs to user {owner}, not to this process's user {me}"
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Refused::Untrusted(format!(
            "the session file has mode {mode:04o}: other users may read or change it (it must be 0600)"
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_meta: &fs::Metadata) -> Result<(), Refused> {
    Ok(())
}
