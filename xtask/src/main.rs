//! Project automation. `cargo xtask bench` measures the sans-IO core beside
//! its floor (timed interleaved, `crates/qb-auth-core/benches/`), the clients
//! end to end against the emulator on loopback, a request with and without
//! `TokenMiddleware` and `TokenLayer` (`middleware_bench.rs`), and one
//! session shared by a fleet through `redis-server` (`fleet_bench.rs`);
//! prints one table per part with PASS or MISS for each target, and with
//! `--record` writes them all into `docs/benchmarks.md`. `cargo xtask docs` checks that
//! every public item of the library crates is documented and every entry
//! point has an example. `cargo xtask man` writes the `qb-auth` man pages.
//! `cargo xtask front-pages` and `cargo xtask tls-combinations` build small
//! programs outside the workspace (see `scratch.rs`). `cargo xtask
//! js-sdk-test` runs the official JavaScript SDK against `qb-auth emulator`.

#![forbid(unsafe_code)]

mod core_bench;
mod docs;
mod e2e;
mod fleet_bench;
mod js_sdk;
mod js_sdk_test;
mod machine;
mod man;
mod middleware_bench;
mod record;
mod report;
mod scratch;
mod targets;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Project automation for qb-auth")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the benchmarks, print the tables and the targets met or missed.
    Bench(BenchArgs),
    /// Check that every public item of the library crates has an example.
    Docs,
    /// Write the qb-auth man pages (crates/qb-auth-cli/man by default).
    Man(ManArgs),
    /// Check that each library crate's front-page example compiles with only
    /// that crate as a dependency.
    FrontPages,
    /// Build and run qb-auth-reqwest beside a user's own reqwest in each
    /// common TLS set-up: one crypto library, no panic.
    TlsCombinations,
    /// Run the official QuickBlox JavaScript SDK (npm `quickblox`, pinned)
    /// against `qb-auth emulator` as a separate process: sessions, logins,
    /// logout, destroy, a wrong password and a wrong secret's diagnosis
    /// (node and npm needed).
    JsSdkTest(JsSdkTestArgs),
    /// The end-to-end part alone, printed as JSON. `bench` runs this in a
    /// release build of itself, because `cargo xtask` is a debug build.
    #[command(hide = true)]
    E2e(E2eArgs),
    /// The fleet part alone (a release build of itself runs it for `bench`).
    #[command(hide = true)]
    Fleet {
        /// Fewer rounds.
        #[arg(long)]
        quick: bool,
    },
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// Shorter measurements: the whole run (builds excluded) in under two minutes.
    #[arg(long)]
    quick: bool,
    /// Write the results, the machine and the commit into docs/benchmarks.md.
    #[arg(long)]
    record: bool,
    /// Skip the core benches (interleaved timing and allocation counts).
    #[arg(long)]
    skip_core: bool,
    /// Skip the end-to-end part.
    #[arg(long)]
    skip_e2e: bool,
    /// Skip the official JavaScript SDK baseline (it needs node and npm).
    #[arg(long)]
    skip_js: bool,
    /// Skip the middleware part (reqwest with and without TokenMiddleware,
    /// hyper-util with and without TokenLayer).
    #[arg(long)]
    skip_middleware: bool,
    /// Skip the fleet part (one session shared through redis-server).
    #[arg(long)]
    skip_fleet: bool,
}

#[derive(Debug, Args)]
struct ManArgs {
    /// Write them here instead, for example to compare with the committed ones.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct JsSdkTestArgs {
    /// The `qb-auth` binary to run (CI passes the one its tests built);
    /// built here when not given.
    #[arg(long, value_name = "PATH")]
    qb_auth: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct E2eArgs {
    /// Shorter measurements.
    #[arg(long)]
    quick: bool,
    /// Where the official JavaScript SDK is installed, to measure it too.
    #[arg(long, requires = "js_sdk_script")]
    js_sdk_dir: Option<PathBuf>,
    /// The script that drives it (`xtask/js-sdk/bench.js`).
    #[arg(long, requires = "js_sdk_dir")]
    js_sdk_script: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench(args) => bench(&args),
        Command::Docs => docs::run(&workspace_root()),
        Command::Man(args) => man::run(&workspace_root(), args.out_dir),
        Command::FrontPages => scratch::front_pages(&workspace_root()),
        Command::TlsCombinations => scratch::tls_combinations(&workspace_root()),
        Command::JsSdkTest(args) => js_sdk_test::run(&workspace_root(), args.qb_auth),
        Command::E2e(args) => {
            let js_sdk = args
                .js_sdk_dir
                .zip(args.js_sdk_script)
                .map(|(dir, script)| js_sdk::Installed { dir, script });
            e2e::run_and_print(args.quick, js_sdk)
        }
        Command::Fleet { quick } => fleet_bench::run(quick),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo`, as the one running this (`$CARGO`), in the workspace root.
fn cargo(root: &std::path::Path) -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(root);
    command
}

/// The workspace root: this crate's parent directory.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn bench(args: &BenchArgs) -> Result<(), String> {
    let root = workspace_root();
    let machine = machine::Machine::detect(&root);
    println!("{}", machine.describe());
    if let Some(load) = machine.load_average {
        if load > 0.5 {
            println!(
                "warning: load average {load:.2} before the run; other work shares the CPUs \
                 and the numbers will be noisy"
            );
        }
    }

    // Builds first, so that the timed run measures only the measuring.
    if !args.skip_core {
        core_bench::build(&root)?;
    }
    if !args.skip_e2e || !args.skip_fleet {
        e2e::build(&root)?;
    }
    if !args.skip_middleware {
        middleware_bench::build(&root)?;
    }
    let js_sdk = if args.skip_js || (args.skip_core && args.skip_e2e) {
        None
    } else {
        js_sdk::install(&root)
            .inspect_err(|e| println!("the official JS SDK baseline is skipped: {e}"))
            .ok()
    };

    let started = Instant::now();
    let core = if args.skip_core {
        None
    } else {
        Some(core_bench::run(&root, args.quick)?)
    };
    let js_local = match &js_sdk {
        Some(sdk) if !args.skip_core => {
            println!("the official JS SDK, createSession answered in memory...");
            Some(js_sdk::measure_local(sdk, args.quick)?)
        }
        _ => None,
    };
    let end_to_end = if args.skip_e2e {
        None
    } else {
        Some(e2e::run_release(&root, args.quick, js_sdk.as_ref())?)
    };
    let middleware = if args.skip_middleware {
        None
    } else {
        Some(middleware_bench::run(&root, args.quick)?)
    };
    let elapsed = started.elapsed();
    // Its own table, after the timed parts (the two-minute quick budget is
    // theirs).
    let fleet = if args.skip_fleet {
        None
    } else {
        fleet_bench::run_release(&root, args.quick)?
    };

    let measured = report::Measured {
        core: core.as_deref(),
        e2e: end_to_end.as_ref(),
        js_local: js_local.as_ref(),
    };
    let mut verdicts = targets::evaluate(&measured);
    let text = report::text(&machine, &measured, &verdicts);
    println!("\n{text}");
    if let Some(middleware) = &middleware {
        let middleware_verdicts = middleware.verdicts();
        println!("{}", middleware.text(&machine.cpu));
        for verdict in &middleware_verdicts {
            let mark = if verdict.pass { "PASS" } else { "MISS" };
            println!("{mark}  {}: {}", verdict.target, verdict.measured);
        }
        verdicts.extend(middleware_verdicts);
    }
    if let Some(fleet) = &fleet {
        println!("A fleet on one session, on {}:", machine.cpu);
        let fleet_verdicts = fleet.verdicts();
        for verdict in &fleet_verdicts {
            let mark = if verdict.pass { "PASS" } else { "MISS" };
            println!("{mark}  {}: {}", verdict.target, verdict.measured);
        }
        verdicts.extend(fleet_verdicts);
    }
    println!(
        "measured in {:.0} s{}",
        elapsed.as_secs_f64(),
        if args.quick { " (--quick)" } else { "" }
    );
    if args.quick && !args.skip_core && !args.skip_e2e {
        let within = elapsed.as_secs() < 120;
        println!(
            "quick mode under two minutes: {}",
            if within { "PASS" } else { "MISS" }
        );
    }

    if args.record {
        let path = root.join("docs").join("benchmarks.md");
        let parts: Vec<String> = middleware
            .iter()
            .map(|m| m.markdown(&machine.cpu))
            .chain(fleet.iter().map(|f| f.markdown(&machine.cpu)))
            .collect();
        let section = report::markdown(&machine, &measured, &parts, &verdicts, args.quick);
        record::write(&path, &section)?;
        println!("recorded in {}", path.display());
    }
    // A missed target fails the command, so that it can gate a change.
    let missed = verdicts.iter().filter(|v| !v.pass).count();
    if missed > 0 {
        return Err(format!("{missed} target(s) missed"));
    }
    Ok(())
}
