//! `cargo xtask docs`: every public item of the library crates is
//! documented, and every entry point has a runnable example: crate front
//! pages, constructors and builders, each operation, the lifecycle's
//! driver loop. Examples belong where people look, so one on a function of
//! three lines or fewer (a getter, a one-line wrapper) that is not an entry
//! point is refused: its behaviour belongs in a test.
//!
//! Items are read with `syn`, not matched by text. Checked: `pub`
//! functions, structs, enums, traits, type aliases, constants and modules,
//! and the `pub` methods of inherent impls, outside `#[cfg(test)]`. Trait
//! impls take their docs from the trait.

use std::fs;
use std::path::{Path, PathBuf};

use syn::{Attribute, ImplItem, Item, Visibility};

/// The crates held to the standard; the CLI is a binary, documented by its
/// `--help`.
const LIBRARIES: [&str; 6] = [
    "qb-auth-core",
    "qb-auth-client",
    "qb-auth-emulator",
    "qb-auth-reqwest",
    "qb-auth-ureq",
    "qb-auth-redis",
];

/// The entry points, as `file: item` (a crate's front page is
/// `lib.rs: //!`). Each must exist and have an example; they are the only
/// short functions that may carry one.
const ENTRY_POINTS: &[&str] = &[
    // The core: requests, answers, signing, the lifecycle, the store seam.
    "crates/qb-auth-core/src/lib.rs: //!",
    "crates/qb-auth-core/src/credentials.rs: AppCredentials::new",
    "crates/qb-auth-core/src/credentials.rs: Identity",
    "crates/qb-auth-core/src/endpoint.rs: Endpoint::parse",
    "crates/qb-auth-core/src/request/create_session.rs: CreateSession",
    "crates/qb-auth-core/src/request/session_token.rs: get_session",
    "crates/qb-auth-core/src/request/session_token.rs: destroy_session",
    "crates/qb-auth-core/src/request/session_token.rs: login",
    "crates/qb-auth-core/src/request/session_token.rs: logout",
    "crates/qb-auth-core/src/request/account.rs: account_settings",
    "crates/qb-auth-core/src/request/authorize.rs: authorize",
    "crates/qb-auth-core/src/request/authorize.rs: authorize_api_key",
    "crates/qb-auth-core/src/request/authorize.rs: authorize_headers",
    "crates/qb-auth-core/src/response/mod.rs: parse_session",
    "crates/qb-auth-core/src/response/mod.rs: parse_user",
    "crates/qb-auth-core/src/response/mod.rs: parse_account_settings",
    "crates/qb-auth-core/src/response/mod.rs: check_status",
    "crates/qb-auth-core/src/signature.rs: string_to_sign",
    "crates/qb-auth-core/src/signature.rs: sign",
    "crates/qb-auth-core/src/call/mod.rs: //!",
    "crates/qb-auth-core/src/env.rs: AppCredentials::from_env",
    "crates/qb-auth-core/src/call/target.rs: Target",
    "crates/qb-auth-core/src/call/auth.rs: CreateSessionCall",
    "crates/qb-auth-core/src/lifecycle/mod.rs: //!",
    "crates/qb-auth-core/src/lifecycle/state.rs: SessionLifecycle",
    "crates/qb-auth-core/src/lifecycle/policy.rs: Policy",
    // The client: the seam, the builder, each operation of both front ends.
    "crates/qb-auth-client/src/lib.rs: //!",
    "crates/qb-auth-client/src/transport.rs: Transport",
    "crates/qb-auth-client/src/transport.rs: BlockingTransport",
    "crates/qb-auth-client/src/store/seam.rs: SessionStore",
    "crates/qb-auth-client/src/store/error.rs: StoreError",
    "crates/qb-auth-client/src/store/file.rs: FileStore",
    "crates/qb-auth-client/src/store/file.rs: FileStore::new",
    "crates/qb-auth-client/src/store/file.rs: FileStore::with_scope",
    "crates/qb-auth-client/src/managed/providers.rs: TokenProvider",
    "crates/qb-auth-client/src/asynchronous.rs: Client::create_session",
    "crates/qb-auth-client/src/asynchronous.rs: Client::get_session",
    "crates/qb-auth-client/src/asynchronous.rs: Client::login",
    "crates/qb-auth-client/src/asynchronous.rs: Client::account_settings",
    "crates/qb-auth-client/src/asynchronous.rs: ManagedSession::token",
    "crates/qb-auth-client/src/asynchronous.rs: ManagedSession::send",
    "crates/qb-auth-client/src/asynchronous.rs: ManagedSession::login",
    "crates/qb-auth-client/src/asynchronous.rs: ClientBuilder::build_for_account",
    "crates/qb-auth-client/src/asynchronous.rs: ApiKeyClient::send",
    "crates/qb-auth-client/src/asynchronous.rs: Client::call",
    "crates/qb-auth-client/src/managed/observe.rs: ManagedSession::request_token",
    "crates/qb-auth-client/src/answer_body.rs: ManagedSession::judge_answer",
    "crates/qb-auth-client/src/tower.rs: //!",
    "crates/qb-auth-client/src/managed/providers.rs: BlockingTokenProvider",
    "crates/qb-auth-client/src/blocking.rs: Client::create_session",
    "crates/qb-auth-client/src/blocking.rs: Client::get_session",
    "crates/qb-auth-client/src/blocking.rs: Client::login",
    "crates/qb-auth-client/src/blocking.rs: ManagedSession::token",
    "crates/qb-auth-client/src/blocking.rs: ManagedSession::send",
    "crates/qb-auth-client/src/blocking.rs: ManagedSession::login",
    "crates/qb-auth-client/src/blocking.rs: ClientBuilder::build_for_account",
    "crates/qb-auth-client/src/blocking.rs: Client::call",
    // A fleet's shared session: the key and the builder.
    "crates/qb-auth-client/src/fleet/key.rs: FleetKey",
    "crates/qb-auth-client/src/fleet/key.rs: FleetKey::for_credentials",
    "crates/qb-auth-client/src/fleet/key.rs: FleetKey::named",
    "crates/qb-auth-client/src/fleet/builder.rs: asynchronous::ManagedSessionBuilder::share",
    "crates/qb-auth-client/src/fleet/builder.rs: blocking::ManagedSessionBuilder::share",
    // The transports.
    "crates/qb-auth-reqwest/src/lib.rs: //!",
    "crates/qb-auth-reqwest/src/transport.rs: reqwest_builder",
    "crates/qb-auth-reqwest/src/middleware.rs: TokenMiddleware",
    "crates/qb-auth-ureq/src/lib.rs: //!",
    // The Redis store: opening it, and its two settings.
    "crates/qb-auth-redis/src/lib.rs: //!",
    // `open` and the settings of both stores come from one macro
    // (options.rs), where the checker cannot see them; their examples run.
    "crates/qb-auth-redis/src/asynchronous.rs: RedisStore",
    "crates/qb-auth-redis/src/blocking.rs: BlockingRedisStore",
    // The emulator: starting it, and each knob a test turns.
    "crates/qb-auth-emulator/src/lib.rs: //!",
    "crates/qb-auth-emulator/src/builder.rs: Emulator::builder",
    "crates/qb-auth-emulator/src/builder.rs: EmulatorBuilder::start_blocking",
    "crates/qb-auth-emulator/src/fixtures.rs: Emulator::with_demo_fixtures",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::set_clock_offset",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::set_latency",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::set_error_shares",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::set_drop_share",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::fail_next",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::set_rate_limit",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::set_session_ttl",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::expire_all_sessions",
    // What it tells: the log of recent requests, why a signature was
    // refused, and a way back to the start.
    "crates/qb-auth-emulator/src/builder.rs: EmulatorBuilder::on_request",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::recent_requests",
    "crates/qb-auth-emulator/src/control.rs: EmulatorControl::reset",
    "crates/qb-auth-emulator/src/journal.rs: RequestRecord",
    "crates/qb-auth-emulator/src/diagnosis/mod.rs: SignatureDiagnosis",
];

/// Functions with a body of at most this many lines are too small to need
/// an example of their own.
const SHORT: usize = 3;

/// Checks every library crate; what breaks the standard, or why the check
/// could not run.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    let mut items = Vec::new();
    for name in LIBRARIES {
        for file in rust_files(&root.join("crates").join(name).join("src"))? {
            let text = fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            items.extend(read(&shown, &text).map_err(|e| format!("{shown}: {e}"))?);
        }
    }
    let problems = problems(&items, ENTRY_POINTS);
    let examples = items.iter().filter(|i| i.example).count();
    if problems.is_empty() {
        println!(
            "{} public items documented; {examples} examples, on all {} entry points",
            items.len(),
            ENTRY_POINTS.len()
        );
        Ok(())
    } else {
        for problem in &problems {
            println!("{problem}");
        }
        Err(format!(
            "{} problems in the docs of {} public items",
            problems.len(),
            items.len()
        ))
    }
}

/// One public item, as the rules see it.
#[derive(Debug, Clone, PartialEq)]
struct Doc {
    /// `file: path`, as in [`ENTRY_POINTS`].
    place: String,
    documented: bool,
    example: bool,
    /// A function whose body has at most [`SHORT`] lines.
    short: bool,
    /// The line of the item's name, to find it.
    line: usize,
}

fn problems(items: &[Doc], entry_points: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for item in items {
        let entry = entry_points.contains(&item.place.as_str());
        if !item.documented {
            problems.push(format!("{}:{} undocumented", item.place, item.line));
        }
        if item.example && item.short && !entry {
            problems.push(format!(
                "{}:{} an example on a function of {SHORT} lines or fewer that is no entry \
                 point: show it where people look, or test it",
                item.place, item.line
            ));
        }
    }
    for entry in entry_points {
        match items.iter().find(|i| i.place == *entry) {
            None => problems.push(format!("{entry}: an entry point that does not exist")),
            Some(item) if !item.example => {
                problems.push(format!(
                    "{entry}:{} an entry point without an example",
                    item.line
                ));
            }
            Some(_) => {}
        }
    }
    problems
}

fn read(shown: &str, source: &str) -> Result<Vec<Doc>, syn::Error> {
    let file = syn::parse_file(source)?;
    let mut items = Vec::new();
    if shown.ends_with("/lib.rs") || has_docs(&file.attrs) {
        items.push(Doc {
            place: format!("{shown}: //!"),
            documented: has_docs(&file.attrs),
            example: has_example(&file.attrs),
            short: false,
            line: 1,
        });
    }
    visit(shown, &file.items, "", &mut items);
    Ok(items)
}

fn visit(shown: &str, items: &[Item], prefix: &str, out: &mut Vec<Doc>) {
    for item in items {
        let (attrs, vis, ident, short) = match item {
            Item::Fn(f) => (&f.attrs, &f.vis, &f.sig.ident, is_short(&f.block)),
            Item::Struct(s) => (&s.attrs, &s.vis, &s.ident, false),
            Item::Enum(e) => (&e.attrs, &e.vis, &e.ident, false),
            Item::Trait(t) => (&t.attrs, &t.vis, &t.ident, false),
            Item::Type(t) => (&t.attrs, &t.vis, &t.ident, false),
            Item::Const(c) => (&c.attrs, &c.vis, &c.ident, false),
            // A module in a file of its own is documented there (`//!`); the
            // public items of a private inline module may be re-exported.
            Item::Mod(m) if !is_test(&m.attrs) => {
                let Some((_, inner)) = &m.content else {
                    continue;
                };
                visit(shown, inner, &format!("{prefix}{}::", m.ident), out);
                (&m.attrs, &m.vis, &m.ident, false)
            }
            Item::Impl(i) if i.trait_.is_none() && !is_test(&i.attrs) => {
                let owner = type_name(&i.self_ty);
                for inner in &i.items {
                    if let ImplItem::Fn(f) = inner {
                        let path = format!("{prefix}{owner}::{}", f.sig.ident);
                        let line = f.sig.ident.span().start().line;
                        add(shown, &f.attrs, &f.vis, path, is_short(&f.block), line, out);
                    }
                }
                continue;
            }
            _ => continue,
        };
        let line = ident.span().start().line;
        add(
            shown,
            attrs,
            vis,
            format!("{prefix}{ident}"),
            short,
            line,
            out,
        );
    }
}

fn add(
    shown: &str,
    attrs: &[Attribute],
    vis: &Visibility,
    path: String,
    short: bool,
    line: usize,
    out: &mut Vec<Doc>,
) {
    if !matches!(vis, Visibility::Public(_)) || is_test(attrs) || is_hidden(attrs) {
        return;
    }
    out.push(Doc {
        place: format!("{shown}: {path}"),
        documented: has_docs(attrs),
        example: has_example(attrs),
        short,
        line,
    });
}

/// Whether the body, between its braces, has at most [`SHORT`] lines.
fn is_short(block: &syn::Block) -> bool {
    let open = block.brace_token.span.open().start().line;
    let close = block.brace_token.span.close().start().line;
    close.saturating_sub(open + 1) <= SHORT
}

/// The texts of the `///` or `//!` lines.
fn doc_lines(attrs: &[Attribute]) -> impl Iterator<Item = String> + '_ {
    attrs.iter().filter_map(|attr| {
        let syn::Meta::NameValue(doc) = &attr.meta else {
            return None;
        };
        match &doc.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) if doc.path.is_ident("doc") => Some(text.value()),
            _ => None,
        }
    })
}

fn has_docs(attrs: &[Attribute]) -> bool {
    doc_lines(attrs).any(|line| !line.trim().is_empty())
}

/// Whether the docs hold a code block.
fn has_example(attrs: &[Attribute]) -> bool {
    doc_lines(attrs).any(|line| line.trim_start().starts_with("```"))
}

fn is_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}

/// `#[doc(hidden)]`: not part of the documented API.
fn is_hidden(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("doc")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "hidden")
    })
}

/// `Client` for `Client`, `Client<T>` or `crate::Client`.
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| "?".to_owned(), |s| s.ident.to_string()),
        _ => "?".to_owned(),
    }
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            files.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
        //! The front page.
        //!
        //! ```
        //! assert!(true);
        //! ```

        /// An entry point, shown.
        ///
        /// ```
        /// assert!(true);
        /// ```
        #[derive(
            Debug,
            Clone,
        )]
        pub struct Shown;

        pub struct Undocumented;

        impl Shown {
            /// A getter with an example it does not need.
            ///
            /// ```
            /// ```
            pub fn getter(&self) -> u8 {
                1
            }

            /// A longer operation with an example: allowed anywhere.
            ///
            /// ```
            /// ```
            pub fn operation(&self) -> u8 {
                let a = 1;
                let b = 2;
                let c = 3;
                a + b + c
            }

            /// An entry point without its example.
            pub fn build(&self) {}

            fn private(&self) {}

            #[doc(hidden)]
            pub fn hidden(&self) {}
        }

        impl Clone for Undocumented {
            fn clone(&self) -> Self { Undocumented }
        }

        #[cfg(test)]
        mod tests {
            pub fn helper() {}
        }
    "#;

    #[test]
    fn each_rule_names_what_breaks_it() {
        let items = read("crates/x/src/lib.rs", SOURCE).unwrap();
        let names: Vec<_> = items.iter().map(|i| i.place.as_str()).collect();
        assert_eq!(
            names,
            [
                "crates/x/src/lib.rs: //!",
                "crates/x/src/lib.rs: Shown",
                "crates/x/src/lib.rs: Undocumented",
                "crates/x/src/lib.rs: Shown::getter",
                "crates/x/src/lib.rs: Shown::operation",
                "crates/x/src/lib.rs: Shown::build",
            ]
        );
        let entry_points = [
            "crates/x/src/lib.rs: //!",
            "crates/x/src/lib.rs: Shown",
            "crates/x/src/lib.rs: Shown::build",
            "crates/x/src/lib.rs: Gone",
        ];
        let problems = problems(&items, &entry_points);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].contains("Undocumented:19 undocumented"));
        assert!(problems[1].contains("Shown::getter:26 an example on a function"));
        assert!(problems[2].contains("Shown::build:"), "{problems:#?}");
        assert!(problems[2].ends_with("an entry point without an example"));
        assert!(problems[3].contains("Gone: an entry point that does not exist"));
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        assert!(read("crates/x/src/lib.rs", "pub fn (").is_err());
    }
}
