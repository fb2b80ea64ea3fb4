//! Writing and reading a file that holds a credential: replaced whole
//! (a temporary file in the same directory, flushed to disk, renamed over
//! the old one), created readable by its owner only, and trusted back only
//! if it still is. What is at the path is looked at without opening
//! anything that could block (a FIFO, a device); whether it may be
//! replaced is the caller's call ([`look`]).

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
/// regular file (a FIFO, a device, a socket, a directory or a symbolic
/// link is refused without being opened, so that nothing can block),
/// another user owns it or others may read or change it (Unix), or it is
/// too long.
pub(super) fn read(path: &Path) -> Result<Option<Vec<u8>>, Refused> {
    let Some((file, meta)) = open_regular(path)? else {
        return Ok(None);
    };
    check_private(&meta)?;
    read_bounded(file, &meta).map(Some)
}

/// What is at `path`, before it is replaced or removed.
pub(super) enum Found {
    /// Nothing.
    Nothing,
    /// A regular file of this process's user, and its bytes.
    File(Vec<u8>),
    /// Something no save may replace, and why (never its contents).
    Foreign(String),
}

/// Looks at `path` as [`read`] does, without asking that the file be
/// private: a file of ours that others could read is replaced all the same
/// (by a private one).
pub(super) fn look(path: &Path) -> io::Result<Found> {
    let (file, meta) = match open_regular(path) {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(Found::Nothing),
        Err(Refused::Untrusted(why)) => return Ok(Found::Foreign(why)),
        Err(Refused::Io(err)) => return Err(err),
    };
    if let Some(why) = foreign_owner(&meta) {
        return Ok(Found::Foreign(why));
    }
    match read_bounded(file, &meta) {
        Ok(bytes) => Ok(Found::File(bytes)),
        Err(Refused::Untrusted(why)) => Ok(Found::Foreign(why)),
        Err(Refused::Io(err)) => Err(err),
    }
}

/// `path` opened for reading if it is a regular file; `None` if there is
/// nothing there. The type is checked on the name first (without following
/// a link), so that nothing else is opened, then on the file opened, so
/// that a FIFO or device put there in between is refused too (it was
/// opened without blocking).
fn open_regular(path: &Path) -> Result<Option<(File, fs::Metadata)>, Refused> {
    let named = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Refused::Io(err)),
    };
    if let Some(what) = not_regular(&named.file_type()) {
        return Err(Refused::Untrusted(format!(
            "the session path is {what}, not a regular file"
        )));
    }
    let file = match open_without_blocking(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Refused::Io(err)),
    };
    // The checks are made on the file opened, not on the name again (a
    // save by another process may have renamed a new file over it: that
    // one is read).
    let meta = file.metadata().map_err(Refused::Io)?;
    if let Some(what) = not_regular(&meta.file_type()) {
        return Err(Refused::Untrusted(format!(
            "the session path is {what}, not a regular file"
        )));
    }
    Ok(Some((file, meta)))
}

/// What a file type is when it is not a regular file: "a FIFO", ...
fn not_regular(kind: &fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a file")
}

/// Reads `file` whole, refusing one longer than any session file.
fn read_bounded(file: File, meta: &fs::Metadata) -> Result<Vec<u8>, Refused> {
    if meta.len() > MAX_LEN {
        return Err(Refused::Untrusted(format!(
            "the session file is larger than {MAX_LEN} bytes"
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    Ok(bytes)
}

/// Opens for reading without blocking (a FIFO put in place after the type
/// was checked would otherwise wait for a writer), without following a
/// symbolic link, and without taking a terminal as the controlling one.
#[cfg(unix)]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let flags =
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::CLOEXEC;
    Ok(File::from(rustix::fs::open(path, flags, Mode::empty())?))
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    File::open(path)
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
    use std::os::unix::fs::PermissionsExt;
    if let Some(why) = foreign_owner(meta) {
        return Err(Refused::Untrusted(why));
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

/// Why a file is not this process's user's, if it is not: a file another
/// user owns could hold a token they chose, and is theirs to keep (root
/// reads and replaces anyone's file, whatever its mode).
#[cfg(unix)]
fn foreign_owner(meta: &fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let (owner, me) = (meta.uid(), rustix::process::geteuid().as_raw());
    (owner != me).then(|| {
        format!("the session file belongs to user {owner}, not to this process's user {me}")
    })
}

#[cfg(not(unix))]
fn foreign_owner(_meta: &fs::Metadata) -> Option<String> {
    None
}
