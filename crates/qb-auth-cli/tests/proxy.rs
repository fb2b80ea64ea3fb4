//! A plain-http endpoint (the emulator on loopback) is reached directly,
//! never through the proxy the environment names, over both transports:
//! the password and the signature never go to a proxy in the clear.

mod common;

use std::sync::atomic::Ordering;

use common::{assert_code, counting_proxy, json, qb_auth, run};
use qb_auth_emulator::{Emulator, fixtures};

#[test]
fn proxy_variables_are_not_used_for_a_loopback_endpoint() {
    let emulator = Emulator::with_demo_fixtures()
        .start_blocking()
        .expect("the emulator starts on loopback");
    for transport in ["reqwest", "ureq"] {
        for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            let (proxy, reached) = counting_proxy();
            let output = run(qb_auth()
                .args(["session", "create", "--output", "json"])
                .args(["--login", fixtures::ALICE_LOGIN])
                .args(["--endpoint", emulator.base_url(), "--transport", transport])
                .env("QB_APP_ID", fixtures::APP_ID.to_string())
                .env("QB_AUTH_KEY", fixtures::AUTH_KEY)
                .env("QB_AUTH_SECRET", fixtures::AUTH_SECRET)
                .env("QB_PASSWORD", fixtures::ALICE_PASSWORD)
                .env(variable, &proxy));
            assert_eq!(
                reached.load(Ordering::SeqCst),
                0,
                "{transport} with {variable}: the proxy was reached"
            );
            assert_code(&output, 0);
            assert_eq!(json(&output)["user_id"], fixtures::ALICE_ID, "{transport}");
        }
    }
}
