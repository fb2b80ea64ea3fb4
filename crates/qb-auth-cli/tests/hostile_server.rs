//! What a server cannot do to the CLI: make it send credentials in clear
//! text, act on the terminal through its words, or get an exit code other
//! than the one `--help` gives for its kind of misbehaviour, whichever
//! transport carries the request. The servers are tiny loopback listeners
//! (`common::canned_server`), each answering the same bytes to every request.

mod common;

use std::time::Duration;

use common::{assert_code, qb_auth, run, stderr, stdout};

const USAGE: i32 = 2;
const SERVER: i32 = 5;
const OTHER_API: i32 = 6;

/// Bigger than the adapters' 1 MiB body cap (`DEFAULT_MAX_BODY`).
const OVER_THE_CAP: usize = 2 * 1024 * 1024;
/// Bigger than either HTTP client reads as a response head (ureq 64 KiB,
/// hyper about 400 KiB).
const HUGE_HEADER: usize = 1024 * 1024;

/// A loopback server that answers every request with `answer` for a minute
/// (then stops by itself); its base URL.
fn server(answer: Vec<u8>) -> String {
    common::canned_server(answer, Duration::from_secs(60))
}

/// A whole HTTP/1.1 answer with a JSON body.
fn json_answer(status: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra_headers}\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn create_at(endpoint: &str, transport: &str) -> std::process::Command {
    let mut cmd = qb_auth();
    cmd.args(["session", "create", "--app-id", "1", "--auth-key", "k"])
        .args(["--endpoint", endpoint, "--timeout", "20"])
        .args(["--transport", transport])
        .env("QB_AUTH_SECRET", "app-secret-value");
    cmd
}

fn not_http() -> Vec<u8> {
    b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n\r\n".to_vec()
}

fn huge_header() -> Vec<u8> {
    let mut answer = b"HTTP/1.1 201 Created\r\nx-padding: ".to_vec();
    answer.resize(answer.len() + HUGE_HEADER, b'a');
    answer.extend_from_slice(b"\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
    answer
}

fn over_the_cap(with_length: bool) -> Vec<u8> {
    let mut answer = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n".to_vec();
    if with_length {
        answer.extend_from_slice(format!("content-length: {OVER_THE_CAP}\r\n").as_bytes());
    }
    answer.extend_from_slice(b"connection: close\r\n\r\n");
    answer.resize(answer.len() + OVER_THE_CAP, b' ');
    answer
}

/// Runs `session create` against a server answering `answer`, over `transport`.
fn create_against(answer: Vec<u8>, transport: &str) -> std::process::Output {
    let url = server(answer);
    run(&mut create_at(&url, transport))
}

/// The answer came and was not QuickBlox's: code 5 as `--help` says, and a
/// hint about the endpoint rather than about reaching it.
#[track_caller]
fn assert_not_quickblox(output: &std::process::Output, transport: &str) {
    assert_code(output, SERVER);
    let err = stderr(output);
    assert!(
        err.contains("did not answer like QuickBlox"),
        "{transport}: {err}"
    );
    assert!(!err.contains("could not connect"), "{transport}: {err}");
}

const TRANSPORTS: [&str; 2] = ["reqwest", "ureq"];

#[test]
fn plain_http_to_a_real_host_is_refused_before_anything_is_sent() {
    for endpoint in ["http://api.quickblox.com", "http://10.0.0.1:8080"] {
        for transport in TRANSPORTS {
            let login = || {
                let mut cmd = qb_auth();
                cmd.args(["session", "create", "--app-id", "1", "--auth-key", "k"])
                    .args(["--login", "john", "--transport", transport])
                    .env("QB_AUTH_SECRET", "app-secret-value")
                    .env("QB_PASSWORD", "john-password-value");
                cmd
            };
            for output in [
                run(login().args(["--endpoint", endpoint])),
                run(login().env("QB_ENDPOINT", endpoint)),
            ] {
                assert_code(&output, USAGE);
                let err = stderr(&output);
                assert!(err.contains("refusing plain http://"), "{endpoint}: {err}");
                assert!(err.contains("use https://"), "{endpoint}: {err}");
                assert!(!err.contains("john-password-value"), "{err}");
                assert!(stdout(&output).is_empty());
            }
        }
    }
}

#[test]
fn account_settings_naming_plain_http_are_not_offered_as_an_endpoint() {
    let url = server(json_answer(
        "200 OK",
        "",
        r#"{"api_endpoint":"http://apiexample.quickblox.com","chat_endpoint":"chat\u001b[2J.example"}"#,
    ));
    let output = run(qb_auth()
        .args(["account-settings", "--endpoint", &url])
        .env("QB_ACCOUNT_KEY", "account-key-value"));
    assert_code(&output, 0);
    let out = stdout(&output);
    assert!(
        out.contains(
            "not usable as --endpoint: refusing plain http:// to apiexample.quickblox.com"
        ),
        "{out}"
    );
    assert!(!out.contains("use it with"), "{out}");
    assert!(out.contains(r"chat\u{1b}[2J.example"), "{out}");
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

/// What the issue saw: a title change, a bell and a screen clear.
const HOSTILE: &str = r"\u001b]0;PWNED\u0007\u001b[2J";
/// How it must show instead.
const SHOWN: &str = r"\u{1b}]0;PWNED\u{7}\u{1b}[2J";

#[test]
fn an_error_message_cannot_drive_the_terminal() {
    let body = format!(r#"{{"errors":{{"base":["Bad things {HOSTILE}"]}}}}"#);
    let url = server(json_answer("422 Unprocessable Entity", "", &body));
    for transport in TRANSPORTS {
        let output = run(&mut create_at(&url, transport));
        assert_code(&output, OTHER_API);
        let err = stderr(&output);
        assert!(
            err.contains(&format!("Bad things {SHOWN}")),
            "{transport}: {err}"
        );
        assert!(!err.contains(['\u{1b}', '\u{7}']), "{transport}: {err:?}");
    }
}

#[test]
fn an_error_message_cannot_drive_the_terminal_through_json_or_verbose_output() {
    // C1 controls (U+009B is a CSI of its own) and a bidi override, which
    // serde_json leaves as they are, beside the C0 escapes it does escape.
    let body = format!(r#"{{"errors":{{"base":["Bad things {HOSTILE} \u009b2J \u202eevil"]}}}}"#);
    let url = server(json_answer("422 Unprocessable Entity", "", &body));
    for transport in TRANSPORTS {
        let output = run(create_at(&url, transport).args(["--output", "json", "-v"]));
        assert_code(&output, OTHER_API);
        let (out, err) = (stdout(&output), stderr(&output));
        for stream in [&out, &err] {
            assert!(
                !stream.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
                "{transport}: {stream:?}"
            );
        }
        let value = common::json(&output);
        let message = value["error"]["message"].as_str().expect("a message");
        assert!(
            message.contains("Bad things \u{1b}]0;PWNED\u{7}\u{1b}[2J \u{9b}2J \u{202e}evil"),
            "{transport}: the value must survive the escaping: {message:?}"
        );
        assert_eq!(value["error"]["status"], 422, "{transport}");
    }
}

#[test]
fn a_token_with_escapes_is_printed_escaped_as_text_and_as_json() {
    let body =
        format!(r#"{{"session":{{"token":"tok{HOSTILE}","application_id":1,"user_id":0}}}}"#);
    let url = server(json_answer("201 Created", "", &body));
    let output = run(&mut create_at(&url, "ureq"));
    assert_code(&output, 0);
    let out = stdout(&output);
    assert!(out.contains(&format!("tok{SHOWN}")), "{out}");
    assert!(!out.contains(['\u{1b}', '\u{7}']), "{out:?}");

    let output = run(create_at(&url, "reqwest").args(["--output", "json"]));
    assert_code(&output, 0);
    assert!(!stdout(&output).contains(['\u{1b}', '\u{7}']));
    let value = common::json(&output);
    assert_eq!(value["token"], "tok\u{1b}]0;PWNED\u{7}\u{1b}[2J");
}

#[test]
fn an_absurd_retry_after_gives_a_sane_hint() {
    let url = server(json_answer(
        "429 Too Many Requests",
        "retry-after: 18446744073709551615\r\n",
        "",
    ));
    let output = run(&mut create_at(&url, "ureq"));
    assert_code(&output, OTHER_API);
    let err = stderr(&output);
    assert!(!err.contains("18446744073709551615"), "{err}");
    assert!(err.contains("more than a day"), "{err}");
    assert!(err.contains("wait a minute and try again"), "{err}");
}

#[test]
fn a_body_over_the_cap_exits_5_on_both_transports() {
    for with_length in [true, false] {
        for transport in TRANSPORTS {
            let output = create_against(over_the_cap(with_length), transport);
            assert_not_quickblox(&output, transport);
            assert!(stderr(&output).contains("larger than 1048576 bytes"));
        }
    }
}

#[test]
fn an_answer_that_is_not_http_exits_5_over_ureq() {
    assert_not_quickblox(&create_against(not_http(), "ureq"), "ureq");
}

#[test]
fn a_huge_header_exits_5_over_ureq() {
    assert_not_quickblox(&create_against(huge_header(), "ureq"), "ureq");
}

#[test]
fn an_answer_that_is_not_http_exits_5_over_reqwest() {
    assert_not_quickblox(&create_against(not_http(), "reqwest"), "reqwest");
}

#[test]
fn a_huge_header_exits_5_over_reqwest() {
    assert_not_quickblox(&create_against(huge_header(), "reqwest"), "reqwest");
}
