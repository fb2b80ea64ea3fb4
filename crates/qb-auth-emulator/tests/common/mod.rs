//! A deliberately tiny HTTP/1.1 client and request signer, independent of
//! the qb-auth crates, so that a bug shared by our client and our server
//! cannot hide. Requests are written by hand; answers are read to EOF.

#![allow(dead_code, unreachable_pub)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};

pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer as read off the wire.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("the body is UTF-8")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    /// The `session.token` of a create-session answer.
    pub fn token(&self) -> String {
        assert_eq!(self.status, 201, "not a created session: {}", self.text());
        self.json()["session"]["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    /// Asserts status and exact body.
    #[track_caller]
    pub fn assert(&self, status: u16, body: &str) {
        assert_eq!(
            (self.status, self.text()),
            (status, body),
            "headers: {:?}",
            self.headers
        );
    }
}

/// Sends raw bytes and reads until the server closes; `Ok(empty)` when it
/// closed without a byte.
pub fn exchange(addr: SocketAddr, bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.write_all(bytes)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// Writes one request with `Connection: close` and reads the answer.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let raw = exchange(addr, &request_bytes(method, path, headers, body))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    parse_reply(&raw).unwrap_or_else(|| {
        panic!(
            "{method} {path}: unreadable answer {:?}",
            String::from_utf8_lossy(&raw)
        )
    })
}

pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    // A Host of the test's own replaces the usual one.
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        out.push_str("Host: 127.0.0.1\r\n");
    }
    if !body.is_empty() || method == "POST" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Parses one HTTP/1.1 answer and checks that `Content-Length` is honest.
pub fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next()?, "HTTP/1.1");
    let status = parts.next()?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("a header line");
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect();
    let reply = Reply {
        status,
        headers,
        body,
    };
    if let Some(len) = reply.header("content-length") {
        assert_eq!(
            len.parse::<usize>().ok()?,
            reply.body.len(),
            "Content-Length"
        );
    }
    Some(reply)
}

/// HMAC-SHA1 in lowercase hex, written here rather than taken from the core.
pub fn hmac_sha1_hex(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// QuickBlox's string to sign: `k=v` pairs sorted by their bytes, joined by `&`.
pub fn string_to_sign(pairs: &[(String, String)]) -> String {
    let mut items: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    items.sort_unstable();
    items.join("&")
}

/// A form body, values escaped as `encodeURIComponent` does, brackets of
/// keys left literal as the JavaScript SDK sends them.
pub fn form_body(pairs: &[(String, String)]) -> Vec<u8> {
    fn escape(text: &str, keep_brackets: bool) -> String {
        let mut out = String::new();
        for b in text.bytes() {
            let keep = b.is_ascii_alphanumeric()
                || b"-_.!~*'()".contains(&b)
                || (keep_brackets && (b == b'[' || b == b']'));
            if keep {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k, true), escape(v, false)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// A JSON body: `outer[inner]` keys become nested objects, values strings.
pub fn json_body(pairs: &[(String, String)]) -> Vec<u8> {
    let mut root = serde_json::Map::new();
    for (key, value) in pairs {
        match key.split_once('[') {
            Some((outer, rest)) => {
                let inner = rest.trim_end_matches(']');
                let entry = root
                    .entry(outer.to_owned())
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
                entry
                    .as_object_mut()
                    .expect("an object")
                    .insert(inner.to_owned(), value.clone().into());
            }
            None => {
                root.insert(key.clone(), value.clone().into());
            }
        }
    }
    serde_json::to_vec(&root).expect("JSON")
}

pub const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
pub const JSON: (&str, &str) = ("Content-Type", "application/json");

/// An application as a client knows it.
#[derive(Debug, Clone, Copy)]
pub struct App<'a> {
    pub id: u64,
    pub key: &'a str,
    pub secret: &'a str,
}

pub const DEMO: App<'static> = App {
    id: 12345,
    key: "AbCdEfGh-12345",
    secret: "s3cr3t-Key_XYZ",
};

/// A nonce not used before in this test process.
pub fn fresh_nonce() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

pub fn unix_now(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// Signed create-session parameters at `ts` with `nonce`.
pub fn signed_pairs(
    app: App<'_>,
    ts: i64,
    nonce: u32,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = vec![
        ("application_id".into(), app.id.to_string()),
        ("auth_key".into(), app.key.into()),
        ("nonce".into(), nonce.to_string()),
        ("timestamp".into(), ts.to_string()),
    ];
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let signature = hmac_sha1_hex(app.secret, &string_to_sign(&pairs));
    pairs.push(("signature".into(), signature));
    pairs
}

/// `POST /session.json` as a form, signed now (on the emulator's clock) with a fresh nonce.
pub fn create_session(
    addr: SocketAddr,
    app: App<'_>,
    server_now: SystemTime,
    extra: &[(&str, &str)],
) -> Reply {
    let pairs = signed_pairs(app, unix_now(server_now), fresh_nonce(), extra);
    send(addr, "POST", "/session.json", &[FORM], &form_body(&pairs))
}

/// Polls `check` every 10 ms for up to 5 s.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}
