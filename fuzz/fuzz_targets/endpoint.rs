//! `Endpoint::parse` and `Endpoint::from_host` on any text.
//!
//! Input: a URL (or a bare host, for `from_host`).
//!
//! Asserts, beyond not panicking: a parsed endpoint is `http` or `https`,
//! has no trailing slash, user information, query or fragment; it parses
//! back to itself (from its text, `Display`, `FromStr` and serde); and the
//! URL of a call on it is a valid URI.

#![no_main]

use libfuzzer_sys::fuzz_target;
use qb_auth_core::{BuildErrorKind, Endpoint};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [Endpoint::parse(text), Endpoint::from_host(text)] {
        match parsed {
            Ok(endpoint) => check(&endpoint),
            Err(err) => {
                assert!(matches!(
                    err.kind(),
                    BuildErrorKind::InvalidEndpoint(_) | BuildErrorKind::PlainHttpNotLoopback(_)
                ));
                let _ = (err.to_string(), format!("{err:?}"));
            }
        }
    }
});

fn check(endpoint: &Endpoint) {
    let base = endpoint.as_str();
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .expect("http or https");
    let authority = rest.split('/').next().unwrap_or_default();
    assert!(!authority.is_empty() && !authority.contains('@'));
    assert!(!base.ends_with('/') && !base.contains(['?', '#']));
    assert_eq!(Endpoint::parse(base).as_ref(), Ok(endpoint));
    assert_eq!(endpoint.to_string(), base);
    assert_eq!(base.parse::<Endpoint>().as_ref(), Ok(endpoint));
    let json = serde_json::to_string(endpoint).expect("an endpoint serialises");
    assert_eq!(
        serde_json::from_str::<Endpoint>(&json).ok().as_ref(),
        Some(endpoint)
    );

    let url = endpoint.url("/session.json");
    assert_eq!(url, format!("{base}/session.json"));
    assert!(url.parse::<http::Uri>().is_ok(), "{url}");
}
