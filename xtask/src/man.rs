//! `cargo xtask man`: the `qb-auth` man pages, written by the CLI itself.
//!
//! The pages come from the binary's unlisted `qb-auth __man DIR`, so they are
//! rendered from the very `clap::Command` the binary parses with, and the
//! CLI stays a binary crate (no library target to keep stable or publish).
//! CI regenerates them into a temporary directory and diffs them against
//! the committed ones.

use std::path::{Path, PathBuf};

/// Where the pages are committed, from the workspace root.
pub(crate) const COMMITTED: &str = "crates/qb-auth-cli/man";

/// Writes every page into `dir` (the committed directory when `None`),
/// removing pages there that the command line no longer has.
pub(crate) fn run(root: &Path, dir: Option<PathBuf>) -> Result<(), String> {
    let dir = dir.unwrap_or_else(|| root.join(COMMITTED));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|ext| ext == "1") {
            std::fs::remove_file(&path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        }
    }
    let status = crate::cargo(root)
        .args([
            "run",
            "--locked",
            "--quiet",
            "-p",
            "qb-auth-cli",
            "--",
            "__man",
        ])
        .arg(&dir)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("qb-auth __man failed: {status}"));
    }
    println!("man pages written to {}", dir.display());
    Ok(())
}
