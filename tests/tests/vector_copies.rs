//! The known-answer vectors are kept as three copies, one in each published
//! crate that tests against them (core, emulator, CLI): a crate's tests must
//! build from its own package, so none can read another's file. This keeps
//! the copies from drifting apart: change one, and this fails until all
//! three are the same again.

use std::fs;
use std::path::{Path, PathBuf};

fn copies() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    ["qb-auth-core", "qb-auth-emulator", "qb-auth-cli"]
        .iter()
        .map(|name| crates.join(name).join("tests/data/known-answers.json"))
        .collect()
}

#[test]
fn every_copy_of_the_known_answers_is_the_same() {
    let texts: Vec<(PathBuf, String)> = copies()
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (path, text)
        })
        .collect();
    let (first_path, first) = &texts[0];
    assert!(
        first.contains("\"vectors\""),
        "{} holds no vectors",
        first_path.display()
    );
    for (path, text) in &texts[1..] {
        assert!(
            text == first,
            "{} differs from {}: copy the changed file over the others",
            path.display(),
            first_path.display()
        );
    }
}
