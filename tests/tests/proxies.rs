//! A plain-http endpoint (loopback only, by construction) is reached
//! directly, never through a proxy: not the environment's (`HTTP_PROXY`,
//! `http_proxy`, `ALL_PROXY`, `HTTPS_PROXY`) nor one given to
//! `ClientBuilder::proxy`, over both transports, for one-shot calls and
//! renewals, on transports the builder makes and on ones the caller built,
//! and for the caller's own requests through the middleware. The "proxy"
//! is a listener on loopback that answers 502 to anything: it must see no
//! connection for the loopback endpoint, and still see the calls for
//! QuickBlox's own host (refusing them: tests never leave the machine).
//!
//! Proxy variables are set only in a child process (`loopback-calls`), so
//! that no other test of this process sees them.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use qb_auth_tests::canned::{Canned, Reply};

const CALLS: &str = env!("CARGO_BIN_EXE_loopback-calls");

/// How long the child may take: a few dozen calls on loopback take well
/// under a second; this only keeps a hang from stalling the run.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// A "proxy" that refuses everything it is sent.
fn proxy() -> Canned {
    Canned::start(|_| Reply::status(502, &[], b"proxy"))
}

/// Runs the child with only `env` in its environment; its stdout and
/// whether it succeeded.
fn run(env: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let mut child = Command::new(CALLS)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("loopback-calls starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + HANG_GUARD;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait on loopback-calls") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("loopback-calls {env:?} {args:?} did not finish within {HANG_GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (status.success(), reader.join().expect("stdout reader"))
}

/// Asserts that the child's calls all worked and that the proxy saw only
/// `remote` tunnels to QuickBlox's host (as `CONNECT`), nothing for the
/// loopback endpoint.
#[track_caller]
fn assert_direct(proxy: &Canned, (ok, stdout): (bool, String), remote: usize, case: &str) {
    let seen = proxy.seen();
    let tunnels = seen
        .iter()
        .filter(|s| s.method == "CONNECT" && s.path == "api.quickblox.com:443")
        .count();
    assert_eq!(
        (proxy.connections(), seen.len(), tunnels),
        (remote, remote, remote),
        "{case}: the proxy saw {seen:?}\nchild: {stdout}"
    );
    assert!(ok && stdout.starts_with("ok "), "{case}: {stdout}");
}

#[test]
fn the_environment_s_proxy_is_never_used_for_a_loopback_endpoint() {
    // HTTP_PROXY alone is not reqwest's proxy for https://: no remote call.
    for (variables, remote) in [
        (&["HTTP_PROXY"][..], false),
        (&["http_proxy"], false),
        (&["ALL_PROXY"], true),
        (&["all_proxy"], true),
        (&["HTTPS_PROXY", "HTTP_PROXY"], true),
    ] {
        let proxy = proxy();
        let url = proxy.url();
        let env: Vec<(&str, &str)> = variables.iter().map(|v| (*v, url.as_str())).collect();
        let args: &[&str] = if remote { &["--also-remote"] } else { &[] };
        let expected = if remote { 2 } else { 0 };
        assert_direct(&proxy, run(&env, args), expected, &format!("{variables:?}"));
    }
}

#[test]
fn a_configured_proxy_is_never_used_for_a_loopback_endpoint() {
    let proxy = proxy();
    let url = proxy.url();
    assert_direct(
        &proxy,
        run(&[], &["--proxy", &url, "--also-remote"]),
        2,
        "--proxy",
    );
    // With credentials in its URL too.
    let proxy = self::proxy();
    let with_credentials = proxy.url().replace("http://", "http://user:pa55@");
    assert_direct(
        &proxy,
        run(&[], &["--proxy", &with_credentials]),
        0,
        "--proxy with credentials",
    );
}
