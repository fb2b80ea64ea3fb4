//! Builds small programs outside the workspace, each with only the
//! dependencies a user would write, to check what the workspace cannot see
//! from inside:
//!
//! - `cargo xtask front-pages`: the example on each library crate's docs.rs
//!   front page compiles with only that crate in `[dependencies]` (and tokio
//!   where the example starts a runtime itself), and the program in its
//!   README (its crates.io page) with exactly the TOML the README shows.
//! - `cargo xtask tls-combinations`: `qb-auth-reqwest` beside the user's own
//!   reqwest in each common TLS set-up builds one crypto library and makes
//!   TLS-configured clients, the user's and its own, without panicking.
//!
//! Every program is a path dependency on the workspace's crates, resolved
//! from a copy of the workspace's `Cargo.lock`, and all share one target
//! directory, `<target>/scratch/target`, so each dependency builds once.
//! `cargo fetch` first downloads what the registry cache lacks (the
//! workspace never builds reqwest's default features: `http2`, `charset`;
//! a no-op once cached); every build after it runs `--offline`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The library crates whose front pages are checked: the crate, the rest
/// of its dependency line (features), and the other dependencies its
/// example names (only tokio, where the example starts a runtime).
const FRONT_PAGES: &[(&str, &str, &str)] = &[
    ("qb-auth-core", "", ""),
    (
        "qb-auth-client",
        r#", features = ["async"]"#,
        r#"tokio = { version = "1", features = ["macros", "rt", "time"] }"#,
    ),
    (
        "qb-auth-reqwest",
        "",
        r#"tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#,
    ),
    ("qb-auth-ureq", "", ""),
    (
        "qb-auth-emulator",
        "",
        r#"tokio = { version = "1", features = ["rt-multi-thread"] }"#,
    ),
];

/// `cargo xtask front-pages`.
pub(crate) fn front_pages(root: &Path) -> Result<(), String> {
    let scratch = Scratch::new(root)?;
    for (krate, features, extra) in FRONT_PAGES {
        let started = Instant::now();
        let lib = root.join("crates").join(krate).join("src/lib.rs");
        let source = fs::read_to_string(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
        let example = front_page_example(&source)
            .ok_or_else(|| format!("{}: no example on the front page", lib.display()))?;
        let program = standalone(&example);
        let manifest = format!(
            "[dependencies]\n{krate} = {{ path = {path:?}{features} }}\n{extra}\n",
            path = root.join("crates").join(krate).display().to_string(),
        );
        let name = format!("front-page-{krate}");
        let dir = scratch.project(&name, &manifest, &program)?;
        scratch.fetch(&dir)?;
        // Compiling is the point: the reqwest and ureq examples would reach
        // QuickBlox if they ran.
        scratch.cargo(&dir, &["check", "--quiet"])?;
        println!(
            "ok: {krate}'s front-page example compiles with only {krate}{} ({:.1} s)",
            if extra.is_empty() { "" } else { " and tokio" },
            started.elapsed().as_secs_f64()
        );
    }
    for (krate, _, _) in FRONT_PAGES {
        readme_example(root, &scratch, krate)?;
    }
    Ok(())
}

/// The crate's README (its crates.io page): its complete program compiles
/// with exactly the dependencies its TOML block lists, the `qb-auth-*` ones
/// pointed at the workspace. A README without a program has nothing to build.
fn readme_example(root: &Path, scratch: &Scratch, krate: &str) -> Result<(), String> {
    let path = root.join("crates").join(krate).join("README.md");
    let readme = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let Some(program) = fenced(&readme, "rust").filter(|code| code.contains("fn main")) else {
        println!("ok: {krate}'s README has no program to build");
        return Ok(());
    };
    let toml = fenced(&readme, "toml")
        .ok_or_else(|| format!("{}: a program but no TOML block", path.display()))?;
    let mut dependencies = String::from("[dependencies]\n");
    for line in toml.lines() {
        let line = line.split(" #").next().unwrap_or(line).trim_end();
        if line.is_empty() || line.starts_with('[') {
            continue;
        }
        let (name, spec) = line
            .split_once(" = ")
            .ok_or_else(|| format!("{}: not a dependency line: {line}", path.display()))?;
        if name.starts_with("qb-auth-") {
            let features = spec
                .split_once("features")
                .map(|(_, rest)| format!(", features{}", rest.trim_end_matches('}').trim_end()))
                .unwrap_or_default();
            let local = root.join("crates").join(name).display().to_string();
            let _ = writeln!(dependencies, "{name} = {{ path = {local:?}{features} }}");
        } else {
            let _ = writeln!(dependencies, "{line}");
        }
    }
    let dir = scratch.project(&format!("readme-{krate}"), &dependencies, &program)?;
    scratch.fetch(&dir)?;
    scratch.cargo(&dir, &["check", "--quiet"])?;
    println!("ok: {krate}'s README program compiles with exactly its TOML's dependencies");
    Ok(())
}

/// The first block fenced as ```` ```lang ````.
fn fenced(markdown: &str, lang: &str) -> Option<String> {
    let mut lines = markdown.lines();
    lines.find(|line| line.trim_end() == format!("```{lang}"))?;
    let mut code = String::new();
    for line in lines {
        if line.starts_with("```") {
            return Some(code);
        }
        code.push_str(line);
        code.push('\n');
    }
    None
}

/// The first fenced code block of the crate-level docs (`//!` lines).
fn front_page_example(source: &str) -> Option<String> {
    let mut lines = source
        .lines()
        .map_while(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line));
    lines.find(|line| line.starts_with("```"))?;
    let mut example = String::new();
    for line in lines {
        if line.starts_with("```") {
            return Some(example);
        }
        example.push_str(line);
        example.push('\n');
    }
    None
}

/// The example as a program of its own, as rustdoc would compile it, except
/// that hidden lines starting the test emulator are dropped and the visible
/// `// let api = "https://..."` line takes their place.
fn standalone(example: &str) -> String {
    let mut body = String::new();
    for line in example.lines() {
        let trimmed = line.trim_start();
        let hidden = trimmed == "#" || trimmed.starts_with("# ");
        if hidden {
            let indent = &line[..line.len() - trimmed.len()];
            let code = trimmed.strip_prefix('#').unwrap_or(trimmed);
            let code = code.strip_prefix(' ').unwrap_or(code);
            if code.contains("qb_auth_emulator::Emulator") || code.contains("emulator.") {
                continue;
            }
            let _ = writeln!(body, "{indent}{code}");
        } else if let Some(real) = trimmed.strip_prefix("// let api = ") {
            let _ = writeln!(body, "let api = {real}");
        } else {
            let _ = writeln!(body, "{line}");
        }
    }
    if body.contains("fn main") {
        body
    } else if body.trim_end().ends_with("(())") {
        format!("fn main() -> Result<(), Box<dyn std::error::Error>> {{\n{body}}}\n")
    } else {
        format!("fn main() {{\n{body}}}\n")
    }
}

/// One common way a program sets up reqwest's TLS, and what qb-auth-reqwest
/// must then add.
struct TlsCase {
    name: &'static str,
    /// The user's own dependencies (reqwest and whatever its TLS needs).
    user: &'static str,
    /// How the user depends on qb-auth-reqwest (after `path = ...`).
    qb_auth: &'static str,
    /// The program: builds the user's TLS-configured client and a
    /// qb-auth-reqwest client, and asserts what it can see.
    main: &'static str,
    /// The crypto libraries the program must build, exactly.
    crypto: &'static [&'static str],
}

/// Crates that implement TLS cryptography; each case builds only its own.
const CRYPTO: &[&str] = &["aws-lc-rs", "aws-lc-sys", "ring", "openssl", "openssl-sys"];

const TLS_CASES: &[TlsCase] = &[
    TlsCase {
        name: "reqwest-defaults",
        user: r#"reqwest = "0.13""#,
        qb_auth: "",
        main: r#"
fn main() {
    let own = reqwest::Client::new();
    let rustls = reqwest::Client::builder().tls_backend_rustls().build().expect("user's rustls client");
    let qb = qb_auth_reqwest::Client::builder().build().expect("qb-auth client");
    drop((own, rustls, qb));
    println!("ok");
}
"#,
        crypto: &["aws-lc-rs", "aws-lc-sys"],
    },
    TlsCase {
        // The program that used to panic: its own reqwest has no TLS
        // feature, and qb-auth's turned rustls on without a provider.
        name: "reqwest-no-default-features",
        user: r#"reqwest = { version = "0.13", default-features = false }"#,
        qb_auth: "",
        main: r#"
fn main() {
    let own = reqwest::Client::new();
    let qb = qb_auth_reqwest::Client::builder().build().expect("qb-auth client");
    drop((own, qb));
    println!("ok");
}
"#,
        crypto: &["aws-lc-rs", "aws-lc-sys"],
    },
    TlsCase {
        name: "rustls-ring",
        user: r#"reqwest = { version = "0.13", default-features = false, features = ["rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }"#,
        qb_auth: r#", default-features = false, features = ["rustls-ring"]"#,
        main: r#"
fn main() {
    // qb-auth's client brings its own provider and installs none.
    let qb = qb_auth_reqwest::Client::builder().build().expect("qb-auth client");
    assert!(rustls::crypto::CryptoProvider::get_default().is_none(), "qb-auth installed a process-wide provider");
    // The program's own clients, as reqwest asks of `rustls-no-provider` users.
    rustls::crypto::ring::default_provider().install_default().expect("install ring");
    let own = reqwest::Client::builder().tls_backend_rustls().build().expect("user's rustls client");
    let plain = reqwest::Client::new();
    drop((own, plain, qb));
    println!("ok");
}
"#,
        crypto: &["ring"],
    },
    TlsCase {
        name: "native-tls",
        user: r#"reqwest = { version = "0.13", default-features = false, features = ["native-tls"] }"#,
        qb_auth: r#", default-features = false, features = ["native-tls"]"#,
        main: r#"
fn main() {
    let own = reqwest::Client::new();
    let native = reqwest::Client::builder().tls_backend_native().build().expect("user's native-tls client");
    let qb = qb_auth_reqwest::Client::builder().build().expect("qb-auth client");
    drop((own, native, qb));
    println!("ok");
}
"#,
        crypto: &["openssl", "openssl-sys"],
    },
];

/// `cargo xtask tls-combinations`.
pub(crate) fn tls_combinations(root: &Path) -> Result<(), String> {
    let scratch = Scratch::new(root)?;
    let adapter = root.join("crates/qb-auth-reqwest").display().to_string();
    for case in TLS_CASES {
        let started = Instant::now();
        let manifest = format!(
            "[dependencies]\n{user}\nqb-auth-reqwest = {{ path = {adapter:?}{qb} }}\n",
            user = case.user,
            qb = case.qb_auth,
        );
        let dir = scratch.project(&format!("tls-{}", case.name), &manifest, case.main)?;
        scratch.fetch(&dir)?;

        let tree = scratch.cargo(
            &dir,
            &[
                "tree",
                "-e",
                "normal,build",
                "--prefix",
                "none",
                "--format",
                "{p}",
            ],
        )?;
        let mut built: Vec<&str> = tree
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| CRYPTO.contains(name))
            .collect();
        built.sort_unstable();
        built.dedup();
        if built != case.crypto {
            return Err(format!(
                "{}: builds the crypto crates {built:?}, expected exactly {:?}",
                case.name, case.crypto
            ));
        }

        let output = scratch.cargo(&dir, &["run", "--quiet"])?;
        if output.trim() != "ok" {
            return Err(format!(
                "{}: the program printed {output:?}, not ok",
                case.name
            ));
        }
        println!(
            "ok: {:<28} crypto {:<24} clients built, no panic ({:.1} s)",
            case.name,
            case.crypto.join(" + "),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Scratch projects under `<target>/scratch/`, one shared target directory.
struct Scratch {
    root: PathBuf,
    dir: PathBuf,
    lockfile: String,
}

impl Scratch {
    fn new(root: &Path) -> Result<Self, String> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let target = if target.is_absolute() {
            target
        } else {
            root.join(target)
        };
        let lock = root.join("Cargo.lock");
        let lockfile = fs::read_to_string(&lock).map_err(|e| format!("{}: {e}", lock.display()))?;
        Ok(Self {
            root: root.to_owned(),
            dir: target.join("scratch"),
            lockfile,
        })
    }

    /// Writes a binary crate `name` with these dependencies and `main.rs`,
    /// starting from the workspace's lockfile so that every version is one
    /// the workspace already uses and has in its registry cache.
    fn project(&self, name: &str, dependencies: &str, main: &str) -> Result<PathBuf, String> {
        let dir = self.dir.join("projects").join(name);
        let src = dir.join("src");
        fs::create_dir_all(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        let manifest = format!(
            "[package]\nname = {name:?}\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             {dependencies}\n[workspace]\n"
        );
        for (path, text) in [
            (dir.join("Cargo.toml"), manifest.as_str()),
            (dir.join("Cargo.lock"), self.lockfile.as_str()),
            (src.join("main.rs"), main),
        ] {
            fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(dir)
    }

    /// Downloads what the project needs and the registry cache lacks.
    fn fetch(&self, dir: &Path) -> Result<(), String> {
        self.run(dir, &["fetch", "--quiet"], false).map(drop)
    }

    /// Runs `cargo <args> --offline` in a scratch project; its stdout.
    fn cargo(&self, dir: &Path, args: &[&str]) -> Result<String, String> {
        self.run(dir, args, true)
    }

    fn run(&self, dir: &Path, args: &[&str], offline: bool) -> Result<String, String> {
        let mut command: Command = crate::cargo(&self.root);
        command.current_dir(dir).args(args);
        if offline {
            command.arg("--offline");
        }
        command
            .env("CARGO_TARGET_DIR", self.dir.join("target"))
            // The workspace's settings (lints as errors, test flags) are not
            // the user's.
            .env_remove("RUSTFLAGS")
            .env_remove("RUSTDOCFLAGS");
        let output = command
            .output()
            .map_err(|e| format!("cargo {}: {e}", args.join(" ")))?;
        if !output.status.success() {
            return Err(format!(
                "cargo {} in {} failed:\n{}",
                args.join(" "),
                dir.display(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        String::from_utf8(output.stdout).map_err(|e| format!("cargo {}: {e}", args.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emulator_gives_way_to_the_real_endpoint() {
        let example = "use a::b;\n# fn main() -> Result<(), E> {\n# let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;\n# let api = emulator.base_url().to_owned();\n// let api = \"https://api.quickblox.com\";\nlet x = 1;\n# Ok(())\n# }\n";
        let program = standalone(example);
        assert_eq!(
            program,
            "use a::b;\nfn main() -> Result<(), E> {\nlet api = \"https://api.quickblox.com\";\nlet x = 1;\nOk(())\n}\n"
        );
    }

    #[test]
    fn a_bare_example_is_wrapped_in_main() {
        let program = standalone("let a = 1;\n# Ok::<(), Box<dyn std::error::Error>>(())\n");
        assert!(program.starts_with("fn main() -> Result<(), Box<dyn std::error::Error>> {\n"));
        assert!(program.ends_with("Ok::<(), Box<dyn std::error::Error>>(())\n}\n"));
    }

    #[test]
    fn a_readme_block_is_found_by_its_language() {
        let readme =
            "# x\n\n```toml\n[dependencies]\na = \"1\"\n```\n\n```rust\nfn main() {}\n```\n";
        assert_eq!(
            fenced(readme, "toml").as_deref(),
            Some("[dependencies]\na = \"1\"\n")
        );
        assert_eq!(fenced(readme, "rust").as_deref(), Some("fn main() {}\n"));
        assert_eq!(fenced(readme, "sh"), None);
    }

    #[test]
    fn the_first_block_of_the_crate_docs_is_the_front_page() {
        let source = "//! # Title\n//!\n//! ```\n//! let a = 1;\n//! ```\n//!\n//! ```\n//! second\n//! ```\n\nfn f() {}\n";
        assert_eq!(front_page_example(source).as_deref(), Some("let a = 1;\n"));
        assert_eq!(front_page_example("//! no example\n"), None);
    }
}
