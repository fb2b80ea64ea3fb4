//! `cargo xtask doc-examples`: every public function, type and trait of the
//! library crates has an example in its docs (the project's standard), and
//! CI keeps it so. Items are read with `syn`, not matched by text, so
//! attributes, multi-line derives and nested modules cannot fool it.
//!
//! Checked: `pub` functions, structs, enums, traits and type aliases, and
//! the `pub` methods of inherent impls, outside `#[cfg(test)]`. Not checked:
//! trait impls (their docs are the trait's), constants and re-exports.

use std::fs;
use std::path::{Path, PathBuf};

use syn::{Attribute, ImplItem, Item, Visibility};

/// The crates whose public items are held to the standard; the CLI is a
/// binary, documented by its `--help`.
const LIBRARIES: [&str; 4] = [
    "qb-auth-core",
    "qb-auth-emulator",
    "qb-auth-reqwest",
    "qb-auth-ureq",
];

/// Checks every library crate; the items without an example, or why the
/// check could not run.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    let mut missing = Vec::new();
    let mut checked = 0;
    for name in LIBRARIES {
        for file in rust_files(&root.join("crates").join(name).join("src"))? {
            let text = fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            let found = without_examples(&text).map_err(|e| format!("{shown}: {e}"))?;
            checked += found.checked;
            missing.extend(
                found
                    .missing
                    .into_iter()
                    .map(|item| format!("{shown}: {item}")),
            );
        }
    }
    if missing.is_empty() {
        println!("every one of {checked} public items has an example");
        Ok(())
    } else {
        for item in &missing {
            println!("no example: {item}");
        }
        Err(format!(
            "{} of {checked} public items have no example in their docs",
            missing.len()
        ))
    }
}

/// What one file holds.
#[derive(Debug, Default, PartialEq)]
struct Found {
    checked: usize,
    /// Paths such as `Client::create_session` of items without an example.
    missing: Vec<String>,
}

fn without_examples(source: &str) -> Result<Found, syn::Error> {
    let file = syn::parse_file(source)?;
    let mut found = Found::default();
    visit(&file.items, "", &mut found);
    Ok(found)
}

fn visit(items: &[Item], prefix: &str, found: &mut Found) {
    for item in items {
        let (attrs, vis, name) = match item {
            Item::Fn(f) => (&f.attrs, &f.vis, f.sig.ident.to_string()),
            Item::Struct(s) => (&s.attrs, &s.vis, s.ident.to_string()),
            Item::Enum(e) => (&e.attrs, &e.vis, e.ident.to_string()),
            Item::Trait(t) => (&t.attrs, &t.vis, t.ident.to_string()),
            Item::Type(t) => (&t.attrs, &t.vis, t.ident.to_string()),
            Item::Mod(m) if !is_test(&m.attrs) => {
                if let Some((_, inner)) = &m.content {
                    visit(inner, &format!("{prefix}{}::", m.ident), found);
                }
                continue;
            }
            Item::Impl(i) if i.trait_.is_none() && !is_test(&i.attrs) => {
                let owner = type_name(&i.self_ty);
                for inner in &i.items {
                    if let ImplItem::Fn(f) = inner {
                        let path = format!("{prefix}{owner}::{}", f.sig.ident);
                        check(&f.attrs, &f.vis, path, found);
                    }
                }
                continue;
            }
            _ => continue,
        };
        check(attrs, vis, format!("{prefix}{name}"), found);
    }
}

fn check(attrs: &[Attribute], vis: &Visibility, path: String, found: &mut Found) {
    if !matches!(vis, Visibility::Public(_)) || is_test(attrs) {
        return;
    }
    found.checked += 1;
    if !has_example(attrs) {
        found.missing.push(path);
    }
}

/// Whether the `///` docs (`#[doc = "..."]`) hold a code block.
fn has_example(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let syn::Meta::NameValue(doc) = &attr.meta else {
            return false;
        };
        doc.path.is_ident("doc")
            && matches!(
                &doc.value,
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. })
                    if text.value().trim_start().starts_with("```")
            )
    })
}

fn is_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
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

    #[test]
    fn public_items_without_a_code_block_are_named() {
        let source = r#"
            /// Shown.
            ///
            /// ```
            /// assert!(true);
            /// ```
            #[derive(
                Debug,
                Clone,
            )]
            pub struct Shown;

            /// Told, not shown.
            pub struct Told;

            impl Shown {
                /// ```
                /// ```
                pub fn shown(&self) {}
                /// No example.
                pub fn told(&self) {}
                fn private(&self) {}
            }

            impl Clone for Told {
                fn clone(&self) -> Self { Told }
            }

            pub mod inner {
                /// No example.
                pub fn nested() {}
                pub(crate) fn crate_only() {}
            }

            #[cfg(test)]
            mod tests {
                pub fn helper() {}
            }
        "#;
        assert_eq!(
            without_examples(source).unwrap(),
            Found {
                checked: 5,
                missing: vec![
                    "Told".to_owned(),
                    "Shown::told".to_owned(),
                    "inner::nested".to_owned(),
                ],
            }
        );
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        assert!(without_examples("pub fn (").is_err());
    }
}
