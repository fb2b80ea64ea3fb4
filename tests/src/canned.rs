//! A tiny HTTP/1.1 server on loopback that answers with canned bytes: for
//! what the emulator does not do (redirects, huge bodies, silence), to pin
//! down what the transports do with them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The head of a request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target, such as `/session.json`.
    pub path: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What to do with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Write these bytes (a whole HTTP answer) and close.
    Raw(Vec<u8>),
    /// Close without answering.
    Close,
    /// Answer nothing and hold the connection for this long.
    Silence(Duration),
    /// Write `first` (the head and the start of the body), wait until the
    /// gate opens (at most [`GATE_LIMIT`]), then write `rest` and close: a
    /// body that streams, its end held back until the test has seen its
    /// start.
    Gated {
        /// Written at once.
        first: Vec<u8>,
        /// Opened by the test.
        gate: Gate,
        /// Written once the gate is open.
        rest: Vec<u8>,
    },
}

/// The longest a [`Reply::Gated`] waits for its gate.
pub const GATE_LIMIT: Duration = Duration::from_secs(60);

/// A gate a [`Reply::Gated`] waits on; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    /// Lets every waiting (and later) reply go on.
    pub fn open(&self) {
        *self.0.0.lock().expect("not poisoned") = true;
        self.0.1.notify_all();
    }

    fn wait(&self) {
        let open = self.0.0.lock().expect("not poisoned");
        let _ = self.0.1.wait_timeout_while(open, GATE_LIMIT, |open| !*open);
    }
}

impl Reply {
    /// An answer with `status`, extra headers and a body, `Connection: close`.
    pub fn status(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut head = format!(
            "HTTP/1.1 {status} Canned\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        Self::Raw(bytes)
    }

    /// A 200 whose body is `first` then, once `gate` opens, `rest`.
    pub fn gated(first: &[u8], rest: &[u8], gate: &Gate) -> Self {
        let length = first.len() + rest.len();
        let mut head =
            format!("HTTP/1.1 200 Canned\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n")
                .into_bytes();
        head.extend_from_slice(first);
        Self::Gated {
            first: head,
            gate: gate.clone(),
            rest: rest.to_vec(),
        }
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// The running server; stops when dropped.
#[derive(Debug)]
pub struct Canned {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Canned {
    /// Serves every request with `handler` on 127.0.0.1 and a free port.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let accept = {
            let (seen, connections, stop) = (seen.clone(), connections.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (seen, handler) = (seen.clone(), handler.clone());
                    std::thread::spawn(move || serve(stream, &seen, &*handler));
                }
            })
        };
        Self {
            addr,
            seen,
            connections,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections were accepted so far, whether or not a request
    /// head came on them.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every request head received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream);
    let Some(head) = read_head(&mut reader) else {
        return;
    };
    let length: usize = head
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let reply = handler(&head);
    seen.lock().expect("not poisoned").push(head);
    let mut stream = reader.into_inner();
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Reply::Close => {}
        Reply::Silence(hold) => std::thread::sleep(hold),
        Reply::Gated { first, gate, rest } => {
            let _ = stream.write_all(&first);
            let _ = stream.flush();
            gate.wait();
            let _ = stream.write_all(&rest);
            let _ = stream.flush();
        }
    }
}

fn read_head(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Some(Seen {
        method,
        path,
        headers,
    })
}
