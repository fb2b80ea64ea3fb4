//! What the numbers were measured on: CPUs, CPU model, commit, load.

use std::fs;
use std::path::Path;
use std::process::Command;

/// The machine and the code a run measured.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    /// Logical CPUs this process may use (`nproc`).
    pub(crate) cpus: usize,
    /// `model name` from /proc/cpuinfo.
    pub(crate) cpu_model: String,
    /// Whether the CPU has the SHA extensions the `sha1` crate uses.
    pub(crate) sha_ni: bool,
    /// `git rev-parse --short HEAD`, with `+changes` when the tree differs.
    pub(crate) commit: String,
    /// `rustc --version`.
    pub(crate) rustc: String,
    /// The 1-minute load average before the run.
    pub(crate) load_average: Option<f64>,
    /// `node --version`, which runs the official JS SDK baseline.
    pub(crate) node: Option<String>,
}

impl Machine {
    pub(crate) fn detect(root: &Path) -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".into());
        let sha_ni = cpuinfo_field(&cpuinfo, "flags")
            .is_some_and(|flags| flags.split_whitespace().any(|f| f == "sha_ni"));
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let head = run(root, "git", &["rev-parse", "--short", "HEAD"]);
        let changed = !run(
            root,
            "git",
            &["status", "--porcelain", "--untracked-files=no"],
        )
        .unwrap_or_default()
        .is_empty();
        let commit = match head {
            Some(head) if changed => format!("{head}+changes"),
            Some(head) => head,
            None => "unknown".to_owned(),
        };
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
        let rustc = run(root, &rustc, &["--version"]).unwrap_or_else(|| "unknown".to_owned());
        let load_average = fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse().ok());
        let node = run(root, "node", &["--version"]);
        Self {
            cpus,
            cpu_model,
            sha_ni,
            commit,
            rustc,
            load_average,
            node,
        }
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "machine: {} CPUs, {}{}; commit {}; {}",
            self.cpus,
            self.cpu_model,
            if self.sha_ni { " (SHA-NI)" } else { "" },
            self.commit,
            self.rustc
        )
    }
}

fn cpuinfo_field(cpuinfo: &str, name: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

fn run(root: &Path, program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_fields_are_read_by_exact_name() {
        let info = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sha_ni avx2\n";
        assert_eq!(
            cpuinfo_field(info, "model name").as_deref(),
            Some("AMD EPYC")
        );
        assert_eq!(cpuinfo_field(info, "model").as_deref(), None);
        assert!(cpuinfo_field(info, "flags").unwrap().contains("sha_ni"));
    }
}
