//! Servers beside the emulator for the middleware tests: an API host whose
//! answer body streams (held back half-way until the test opens a gate),
//! and a foreign host that records what it received.

use crate::canned::{Canned, Gate, Reply};

/// The token the streaming API host hands out.
pub const STREAMING_API_TOKEN: &str = "streaming-api-token-0123456789";

/// The start of `/stream`'s body, sent at once.
pub const STREAM_FIRST: &[u8] = b"the first part of a long answer;";

/// The length of the rest of `/stream`'s body, sent once the gate opens.
pub const STREAM_REST_LEN: usize = 256 * 1024;

/// The rest of `/stream`'s body.
pub fn stream_rest() -> Vec<u8> {
    (0..STREAM_REST_LEN)
        .map(|i| b'a' + (i % 26) as u8)
        .collect()
}

/// An API host that creates sessions (`POST /session.json`) and answers
/// `GET /stream` with a body whose rest waits for `gate`.
pub fn streaming_api(gate: &Gate) -> Canned {
    let gate = gate.clone();
    let rest = stream_rest();
    let session = format!(
        r#"{{"session":{{"token":"{STREAMING_API_TOKEN}","application_id":12345,"user_id":0}}}}"#
    );
    Canned::start(move |seen| match seen.path.as_str() {
        "/session.json" => Reply::status(
            201,
            &[("content-type", "application/json")],
            session.as_bytes(),
        ),
        "/stream" => Reply::gated(STREAM_FIRST, &rest, &gate),
        _ => Reply::status(404, &[], b"{}"),
    })
}

/// The body of a foreign host's `/expired`: what QuickBlox says for a dead
/// token, which must not touch the session when another host says it.
pub const FOREIGN_EXPIRED: &[u8] = br#"{"errors":{"base":["Required session does not exist"]}}"#;

/// A host that is not the API host: `/expired` answers 401 with
/// [`FOREIGN_EXPIRED`], anything else 200 `foreign`.
pub fn foreign_host() -> Canned {
    Canned::start(|seen| match seen.path.as_str() {
        "/expired" => Reply::status(
            401,
            &[("content-type", "application/json")],
            FOREIGN_EXPIRED,
        ),
        _ => Reply::status(200, &[], b"foreign"),
    })
}
