//! Secrets set in the environment never appear in any `--help`, and the
//! main help documents the exit codes and the `QB_*` variables (which each
//! subcommand's help points to).

mod common;

use common::{assert_code, qb_auth, run, stderr, stdout};

/// Every secret variable, with a value that would stand out.
const SECRETS: [(&str, &str); 8] = [
    ("QB_AUTH_SECRET", "SECRET-env-auth-secret"),
    ("QB_PASSWORD", "SECRET-env-password"),
    ("QB_PROVIDER_TOKEN", "SECRET-env-provider-token"),
    ("QB_PROVIDER_SECRET", "SECRET-env-provider-secret"),
    ("QB_FIREBASE_TOKEN", "SECRET-env-firebase-token"),
    ("QB_TOKEN", "SECRET-env-session-token"),
    ("QB_ACCOUNT_KEY", "SECRET-env-account-key"),
    ("QB_API_KEY", "SECRET-env-api-key"),
];

const SUBCOMMANDS: [&[&str]; 11] = [
    &[],
    &["session"],
    &["session", "create"],
    &["session", "get"],
    &["session", "destroy"],
    &["login"],
    &["logout"],
    &["status"],
    &["account-settings"],
    &["emulator"],
    &["demo"],
];

#[test]
fn no_help_shows_a_secret_even_when_it_is_set() {
    for path in SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            let mut cmd = qb_auth();
            cmd.args(path).arg(flag).envs(SECRETS);
            let output = run(&mut cmd);
            assert_code(&output, 0);
            let text = format!("{}{}", stdout(&output), stderr(&output));
            for (var, value) in SECRETS {
                assert!(
                    !text.contains(value),
                    "`qb-auth {} {flag}` shows {var}:\n{text}",
                    path.join(" ")
                );
            }
            if flag == "--help" && path.is_empty() {
                assert!(
                    text.contains("Exit codes:"),
                    "{path:?} --help lacks the exit codes"
                );
                // The emulator has exit codes of its own (its test checks them).
                if path != ["emulator"] {
                    assert!(text.contains("  4  network failure"), "{path:?}");
                }
            }
        }
    }
}

#[test]
fn help_names_the_variables_of_secret_flags() {
    let output = run(qb_auth().args(["session", "create", "--help"]));
    assert_code(&output, 0);
    let text = stdout(&output);
    for var in [
        "[env: QB_AUTH_SECRET]",
        "[env: QB_PASSWORD]",
        "[env: QB_PROVIDER_TOKEN]",
        "[env: QB_FIREBASE_TOKEN]",
    ] {
        assert!(
            text.contains(var),
            "{var} missing from session create --help"
        );
    }
}
