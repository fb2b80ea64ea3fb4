//! Writes a run's results into docs/benchmarks.md, between two markers, so
//! that the prose around them is kept.

use std::fs;
use std::path::Path;

pub(crate) const BEGIN: &str = "<!-- cargo xtask bench --record: begin -->";
pub(crate) const END: &str = "<!-- cargo xtask bench --record: end -->";

pub(crate) fn write(path: &Path, section: &str) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let updated = replace_between_markers(&text, section)
        .ok_or_else(|| format!("{} has no `{BEGIN}` ... `{END}` markers", path.display()))?;
    fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))
}

fn replace_between_markers(text: &str, section: &str) -> Option<String> {
    let start = text.find(BEGIN)? + BEGIN.len();
    let end = start + text[start..].find(END)?;
    Some(format!(
        "{}\n\n{}\n{}",
        &text[..start],
        section.trim_end(),
        &text[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_marked_section_changes() {
        let text = format!("# Title\nprose\n{BEGIN}\nold\n{END}\nafter\n");
        let new = replace_between_markers(&text, "new table\n").unwrap();
        assert_eq!(
            new,
            format!("# Title\nprose\n{BEGIN}\n\nnew table\n{END}\nafter\n")
        );
        assert_eq!(replace_between_markers("no markers", "x"), None);
        assert_eq!(
            replace_between_markers(&format!("{END} {BEGIN}"), "x"),
            None
        );
    }
}
