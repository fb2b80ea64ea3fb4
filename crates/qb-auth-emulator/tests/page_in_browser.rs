//! The page at `/_emulator/` as a person sees it: rendered by a real
//! headless Chromium (Debian's `chromium`), started on loopback with a
//! fresh profile and stopped by its process group. The DOM it built (not
//! the HTML sent) must show the refused request, its diagnosis, and a
//! hostile value as text.
//!
//! Without `chromium` this test prints one line and passes, unless
//! `QB_AUTH_REQUIRE_CHROMIUM=1` (as CI sets it) makes that a failure.
//! `QB_AUTH_PAGE_SCREENSHOT=path.png` also writes a screenshot of the page
//! (the one in the emulator's README was made so).

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{DEMO, FORM, create_session, form_body, fresh_nonce, hmac_sha1_hex, send};
use common::{string_to_sign, unix_now};
use qb_auth_emulator::{BlockingEmulator, Emulator};

const REQUIRE: &str = "QB_AUTH_REQUIRE_CHROMIUM";
const SCREENSHOT: &str = "QB_AUTH_PAGE_SCREENSHOT";
/// How long one Chromium run may take, on a busy machine too.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);
const HOSTILE: &str = "<script>alert(1)</script>";

/// `chromium` on the `PATH`, if installed.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
}

#[test]
fn the_page_shows_a_refused_signature_its_diagnosis_and_hostile_values_as_text() {
    let Some(chromium) = chromium() else {
        let required = std::env::var_os(REQUIRE).is_some_and(|v| v == "1");
        assert!(
            !required,
            "{REQUIRE}=1 but chromium is not installed (apt-get install chromium)"
        );
        eprintln!("skipped the page's browser test: no chromium (apt-get install chromium)");
        return;
    };
    let emulator = Emulator::with_demo_fixtures().start_blocking().unwrap();
    let wrong_seq = populate(&emulator);
    let url = format!("{}?refresh=0", emulator.page_url());

    let dom = Browser::new(&chromium).run(&["--dump-dom", &url]);
    let dom = String::from_utf8(dom).expect("the DOM is UTF-8");
    // Built by a browser's parser: it adds the tbody our HTML leaves out.
    assert!(dom.contains("<tbody>"), "not a parsed DOM:\n{dom}");
    assert!(dom.contains("<h2>Recent requests</h2>"), "{dom}");
    let row = dom
        .find(&format!(r#"id="request-{wrong_seq}""#))
        .unwrap_or_else(|| panic!("no row for request {wrong_seq}:\n{dom}"));
    let row_end = dom[row..].find("</tr>").unwrap() + row;
    let row_text = &dom[row..row_end];
    for cell in ["POST", "/session.json", "422", "unexpected signature"] {
        assert!(row_text.contains(cell), "{cell} missing from {row_text}");
    }
    let diagnosis = dom
        .find(&format!(r#"id="diagnosis-{wrong_seq}""#))
        .unwrap_or_else(|| panic!("no diagnosis row:\n{dom}"));
    let diagnosis = &dom[diagnosis..];
    assert!(
        diagnosis.contains(
            "Why: user[password] was sent but not signed: sign every parameter you send but \
             signature"
        ),
        "{diagnosis}"
    );
    assert!(
        diagnosis.contains("user[password]=***"),
        "masked in the string"
    );
    // The hostile login is text, in the cell and the string: no element came of it.
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{dom}"
    );
    assert!(
        !dom.contains("<script"),
        "a script element in the DOM:\n{dom}"
    );
    assert!(!dom.contains(qb_auth_emulator::fixtures::AUTH_SECRET));
    assert!(!dom.contains("wrong-password-9"));
    // The live session, its token cut to four characters.
    assert!(dom.contains("<h2>Live sessions</h2>"));
    assert!(dom.contains("(application session)"), "{dom}");

    if let Some(path) = std::env::var_os(SCREENSHOT) {
        let path = std::path::absolute(PathBuf::from(path)).unwrap();
        Browser::new(&chromium).run(&[
            "--hide-scrollbars",
            "--window-size=1000,860",
            &format!("--screenshot={}", path.display()),
            &url,
        ]);
        assert!(path.is_file(), "no screenshot at {}", path.display());
    }
}

/// Sends what the page should show: a session, a refused signature with a
/// hostile login (the user's fields sent but not signed), an unknown
/// token. Returns the refused request's number.
fn populate(emulator: &BlockingEmulator) -> u64 {
    let addr = emulator.local_addr();
    assert_eq!(
        create_session(addr, DEMO, emulator.server_time(), &[]).status,
        201
    );
    let mut sent: Vec<(String, String)> = vec![
        ("application_id".into(), DEMO.id.to_string()),
        ("auth_key".into(), DEMO.key.into()),
        ("nonce".into(), fresh_nonce().to_string()),
        (
            "timestamp".into(),
            unix_now(emulator.server_time()).to_string(),
        ),
        ("user[login]".into(), HOSTILE.into()),
        ("user[password]".into(), "wrong-password-9".into()),
    ];
    let signed: Vec<_> = sent
        .iter()
        .filter(|(k, _)| k != "user[password]")
        .cloned()
        .collect();
    let signature = hmac_sha1_hex(DEMO.secret, &string_to_sign(&signed));
    sent.push(("signature".into(), signature));
    let reply = send(addr, "POST", "/session.json", &[FORM], &form_body(&sent));
    assert_eq!(reply.status, 422, "{}", reply.text());
    let seq = emulator.recent_requests().pop().unwrap().seq;
    send(
        addr,
        "GET",
        "/session.json",
        &[("QB-Token", "0123456789")],
        b"",
    );
    seq
}

/// One headless Chromium run on a fresh profile.
struct Browser<'a> {
    chromium: &'a Path,
    profile: PathBuf,
}

impl<'a> Browser<'a> {
    fn new(chromium: &'a Path) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let profile = std::env::temp_dir().join(format!(
            "qb-auth-chromium-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        Self { chromium, profile }
    }

    /// Runs Chromium with `args` after the fixed ones; its stdout. Fails
    /// the test (after stopping it) if it runs past the timeout or fails.
    fn run(&self, args: &[&str]) -> Vec<u8> {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new(self.chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-proxy-server",
                "--mute-audio",
            ])
            .arg(format!("--user-data-dir={}", self.profile.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so its helpers stop with it.
            .process_group(0)
            .spawn()
            .expect("chromium starts");
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        let deadline = Instant::now() + BROWSER_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                // Still running, so not reaped: its group id is still its own.
                stop_group(&mut child);
                break None;
            }
            thread::sleep(Duration::from_millis(20));
        };
        let stdout = stdout.join().unwrap();
        let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
        match status {
            Some(status) if status.success() => stdout,
            Some(status) => panic!("chromium failed ({status}):\n{stderr}"),
            None => panic!("chromium did not finish within {BROWSER_TIMEOUT:?}:\n{stderr}"),
        }
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Kills the child's process group (Chromium and its helpers), then reaps
/// the child. Only for a child not yet reaped.
fn stop_group(child: &mut Child) {
    let pid = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}
