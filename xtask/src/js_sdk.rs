//! The yardstick for the client as a whole: the official QuickBlox JavaScript SDK,
//! measured on this machine in the same run as our clients.
//!
//! `xtask/js-sdk/bench.js` drives the SDK's own auth module and request
//! proxy (see its header for the two things it changes around them). The
//! SDK is fetched from the npm registry with `npm pack` and checked against
//! a pinned integrity hash; its three runtime dependencies come from
//! `xtask/js-sdk/package-lock.json` with `npm ci`. Everything lands in
//! `target/js-sdk/`. Without node or npm, or offline, the baseline is
//! skipped with the reason, and no comparison is claimed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The SDK release measured: the one the spec's JS column was taken from.
pub(crate) const VERSION: &str = "2.23.0";
/// `npm pack quickblox@2.23.0` prints this; anything else is not that release.
const INTEGRITY: &str = "sha512-ADSPBeiIUnsvY7unpjZ/HR4w9f/u4gzaW+QLcOErCAtb1UTX+FKZ886hci9xeqJW0UlPWhL8nOxrlY1jTExjMw==";

/// Where the SDK is installed, and the script that drives it.
#[derive(Debug, Clone)]
pub(crate) struct Installed {
    pub(crate) dir: PathBuf,
    pub(crate) script: PathBuf,
}

/// What the SDK spends on one `createSession` answered in memory by a
/// canned 201: signing, building the form body and headers, reading the
/// JSON answer. No network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Local {
    pub(crate) ops: u64,
    pub(crate) wall_ns_per_op: f64,
    pub(crate) cpu_us_per_op: f64,
}

/// Installs the SDK into `target/js-sdk/` unless it is there already.
pub(crate) fn install(root: &Path) -> Result<Installed, String> {
    let dir = root.join("target").join("js-sdk");
    let script = root.join("xtask").join("js-sdk").join("bench.js");
    let installed = Installed {
        dir: dir.clone(),
        script,
    };
    let marker = dir
        .join("node_modules")
        .join("quickblox")
        .join("package.json");
    let have = fs::read_to_string(&marker)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|package| package["version"] == VERSION);
    if have && dir.join("node_modules").join("crypto-js").is_dir() {
        return Ok(installed);
    }

    tool_version("node")?;
    tool_version("npm")?;
    println!(
        "installing the official JS SDK {VERSION} into {}...",
        dir.display()
    );
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for file in ["package.json", "package-lock.json"] {
        let from = root.join("xtask").join("js-sdk").join(file);
        fs::copy(&from, dir.join(file))
            .map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    }
    run(
        Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&dir),
        "npm ci",
    )?;
    let packed = run(
        Command::new("npm")
            .args(["pack", &format!("quickblox@{VERSION}"), "--json"])
            .current_dir(&dir),
        "npm pack",
    )?;
    let tarball = checked_tarball(&packed)?;
    // Unpacked beside its place and moved in whole, so that an interrupted
    // run never leaves a package that looks installed.
    let partial = dir.join("quickblox.partial");
    fs::create_dir_all(&partial)
        .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    run(
        Command::new("tar")
            .arg("xzf")
            .arg(dir.join(&tarball))
            .arg("-C")
            .arg(&partial)
            .arg("--strip-components=1"),
        "tar",
    )?;
    let into = dir.join("node_modules").join("quickblox");
    fs::rename(&partial, &into)
        .map_err(|e| format!("cannot move the SDK to {}: {e}", into.display()))?;
    Ok(installed)
}

/// The tarball `npm pack --json` wrote, if its integrity is the pinned one.
fn checked_tarball(json: &str) -> Result<String, String> {
    let packed: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("unreadable `npm pack` output: {e}"))?;
    let entry = &packed[0];
    let integrity = entry["integrity"].as_str().unwrap_or_default();
    if integrity != INTEGRITY {
        return Err(format!(
            "quickblox@{VERSION} from the registry has integrity {integrity:?}, not the pinned one"
        ));
    }
    entry["filename"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "`npm pack` named no file".to_owned())
}

/// The median of three runs of the in-memory measurement.
pub(crate) fn measure_local(sdk: &Installed, quick: bool) -> Result<Local, String> {
    let iterations = if quick { "50000" } else { "200000" };
    let mut runs = Vec::new();
    for _ in 0..3 {
        let out = run(
            Command::new("node")
                .arg(&sdk.script)
                .arg(&sdk.dir)
                .args(["local", iterations]),
            "node bench.js local",
        )?;
        let line = out.lines().last().unwrap_or_default();
        let local: Local = serde_json::from_str(line)
            .map_err(|e| format!("unreadable JS SDK result {line:?}: {e}"))?;
        runs.push(local);
    }
    runs.sort_by(|a, b| a.cpu_us_per_op.total_cmp(&b.cpu_us_per_op));
    Ok(runs.swap_remove(1))
}

fn tool_version(tool: &str) -> Result<String, String> {
    run(Command::new(tool).arg("--version"), tool).map(|v| v.trim().to_owned())
}

/// Runs `command` to the end; its standard output, or why it failed.
fn run(command: &mut Command, what: &str) -> Result<String, String> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        Err(format!(
            "{what} failed ({}): {}",
            output.status,
            last.unwrap_or("no message")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pinned_tarball_is_accepted() {
        let good = format!(r#"[{{"filename":"quickblox-2.23.0.tgz","integrity":"{INTEGRITY}"}}]"#);
        assert_eq!(checked_tarball(&good).unwrap(), "quickblox-2.23.0.tgz");
        let other = r#"[{"filename":"quickblox-2.23.0.tgz","integrity":"sha512-other"}]"#;
        assert!(
            checked_tarball(other)
                .unwrap_err()
                .contains("not the pinned one")
        );
        assert!(checked_tarball("npm ERR!").is_err());
    }
}
