//! What the numbers were measured on: CPUs, CPU model, commit, load.

use std::fmt;
use std::fs;
use std::path::Path;
use std::process::Command;

/// The machine and the code a run measured.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) cpu: Cpu,
    /// `git rev-parse --short HEAD`, with `+changes` when the tree differs.
    pub(crate) commit: String,
    /// `rustc --version`.
    pub(crate) rustc: String,
    /// The 1-minute load average before the run.
    pub(crate) load_average: Option<f64>,
    /// `node --version`, which runs the official JS SDK baseline.
    pub(crate) node: Option<String>,
}

/// The CPU every table names beside its figures: ratios hold across
/// machines of one class, not across classes (SHA-NI alone makes the HMAC
/// floor several times faster).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cpu {
    /// `model name` from /proc/cpuinfo.
    pub(crate) model: String,
    /// Whether the CPU has the SHA extensions the `sha1` crate uses.
    pub(crate) sha_ni: bool,
    /// Logical CPUs this process may use (`nproc`).
    pub(crate) count: usize,
}

impl Cpu {
    pub(crate) fn detect() -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Self::from_cpuinfo(
            &cpuinfo,
            std::thread::available_parallelism().map_or(1, usize::from),
        )
    }

    /// A CPU for the tests of the tables.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        Self::from_cpuinfo("model name\t: AMD EPYC\nflags\t: sha_ni\n", 2)
    }

    fn from_cpuinfo(cpuinfo: &str, count: usize) -> Self {
        Self {
            model: cpuinfo_field(cpuinfo, "model name").unwrap_or_else(|| "unknown".into()),
            sha_ni: cpuinfo_field(cpuinfo, "flags")
                .is_some_and(|flags| flags.split_whitespace().any(|f| f == "sha_ni")),
            count,
        }
    }
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}, {} CPU{}",
            self.model,
            if self.sha_ni { " (SHA-NI)" } else { "" },
            self.count,
            if self.count == 1 { "" } else { "s" }
        )
    }
}

impl Machine {
    pub(crate) fn detect(root: &Path) -> Self {
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
            cpu: Cpu::detect(),
            commit,
            rustc,
            load_average,
            node,
        }
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "machine: {}; load average {}; commit {}; {}",
            self.cpu,
            self.load(),
            self.commit,
            self.rustc
        )
    }

    /// The 1-minute load average before the run, as the tables show it.
    pub(crate) fn load(&self) -> String {
        self.load_average
            .map_or_else(|| "unknown".to_owned(), |l| format!("{l:.2}"))
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

    #[test]
    fn the_cpu_is_named_with_its_sha_extensions_and_count() {
        let info = "model name\t: AMD EPYC\nflags\t\t: fpu sha_ni avx2\n";
        assert_eq!(
            Cpu::from_cpuinfo(info, 2).to_string(),
            "AMD EPYC (SHA-NI), 2 CPUs"
        );
        assert_eq!(
            Cpu::from_cpuinfo("flags\t: fpu\n", 1).to_string(),
            "unknown, 1 CPU"
        );
    }
}
