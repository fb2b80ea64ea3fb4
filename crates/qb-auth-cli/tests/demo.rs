//! `qb-auth demo` works with no setup and no network beyond loopback,
//! exits 0, and prints its table: every identity over both transports.

mod common;

use common::{assert_code, qb_auth, run, stdout};

#[test]
fn the_demo_passes_and_prints_its_table() {
    let output = run(qb_auth().arg("demo"));
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("(loopback only)"), "{text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("step "))
        .unwrap_or_else(|| panic!("no table header:\n{text}"));
    for column in ["transport", "result", "ms"] {
        assert!(header.contains(column), "{header}");
    }
    let steps = [
        "application session",
        "login + password",
        "email + password",
        "facebook token",
        "twitter token + secret",
        "firebase phone",
        "custom identity provider",
        "login upgrade (same token)",
        "logout downgrade (same token)",
        "get, destroy, get again",
        "wrong signature: diagnosed",
        "renewal after forced expiry",
        "recovery from a skewed clock",
        // Shared through a redis-server of the demo's own, or skipped
        // (saying so) on a machine without one.
        "fleet: 2 processes share 1 session (Redis)",
    ];
    for transport in ["reqwest", "ureq"] {
        for step in steps {
            let row = text
                .lines()
                .find(|l| l.starts_with(step) && l.contains(&format!("  {transport}  ")))
                .unwrap_or_else(|| panic!("no row for {step} over {transport}:\n{text}"));
            assert!(row.contains(" ok: "), "{row}");
        }
    }
    assert!(!text.contains("FAILED"), "{text}");
    let diagnosed = text
        .lines()
        .find(|l| l.starts_with("wrong signature: diagnosed"))
        .unwrap();
    assert!(
        diagnosed.contains(
            "ok: 422; the emulator: signed with the auth secret followed by a line break"
        ),
        "{diagnosed}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let summary = lines[lines.len() - 2];
    assert!(
        summary.starts_with("all ") && summary.contains(" steps passed in "),
        "{summary}"
    );
    let page = lines[lines.len() - 1];
    assert!(
        page.starts_with("While it ran, the emulator's page at http://127.0.0.1:")
            && page.contains("/_emulator/ showed these requests"),
        "{page}"
    );
}
