//! The recent requests: a bounded ring of what each request got, for the
//! control API, the page and [`EmulatorControl::recent_requests`], and an
//! optional observer told of each one as it is answered (`qb-auth emulator
//! -v` prints them).
//!
//! [`EmulatorControl::recent_requests`]: crate::EmulatorControl::recent_requests

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use crate::diagnosis::SignatureDiagnosis;
use crate::diagnosis::mask::cut;
use crate::faults::Fault;
use crate::refusal::Refusal;

/// Characters of a path kept.
const MAX_PATH: usize = 200;

/// One request, as the emulator answered it: kept in the recent-requests
/// log ([`EmulatorControl::recent_requests`](crate::EmulatorControl::recent_requests),
/// `GET /_emulator/requests`, the page) and handed to the
/// [`on_request`](crate::EmulatorBuilder::on_request) observer. It holds no
/// secret: no header, no body, and the parameters of a diagnosis masked.
///
/// `Display` is one line: `#3 POST /session.json 422 unexpected signature: …`.
///
/// ```
/// use qb_auth_emulator::{Emulator, Refusal};
/// # use std::io::{Read, Write};
/// # fn http(emulator: &qb_auth_emulator::EmulatorControl, request: &str, headers: &[&str], body: &str) -> std::io::Result<String> {
/// #     let mut stream = std::net::TcpStream::connect(emulator.local_addr())?;
/// #     stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
/// #     let headers: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
/// #     let length = body.len();
/// #     write!(stream, "{request} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}Content-Length: {length}\r\n\r\n{body}")?;
/// #     let mut answer = String::new();
/// #     stream.read_to_string(&mut answer)?;
/// #     Ok(answer)
/// # }
///
/// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
/// http(&emulator, "GET /users.json?page=2", &["QB-Token: no-such-token"], "")?;
/// let record = emulator.recent_requests().pop().ok_or("nothing logged")?;
/// assert_eq!((record.method.as_str(), record.path.as_str()), ("GET", "/users.json"));
/// assert_eq!(record.status, Some(401));
/// assert_eq!(record.refusal, Some(Refusal::UnknownToken));
/// assert_eq!(record.to_string(), "#1 GET /users.json 401 unknown token");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// 1, 2, 3… in the order requests were answered, from the start or the
    /// last [`reset`](crate::EmulatorControl::reset).
    pub seq: u64,
    /// When it arrived, on the emulator's clock.
    pub received_at: SystemTime,
    /// How long it took to answer (latency included).
    pub elapsed: Duration,
    /// The method.
    pub method: String,
    /// The path, without the query (at most 200 characters).
    pub path: String,
    /// The status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// Why it was refused, if it was.
    pub refusal: Option<Refusal>,
    /// The fault injected instead of an answer, if one was.
    pub fault: Option<Fault>,
    /// For "Unexpected signature": what the emulator could tell about why.
    pub diagnosis: Option<SignatureDiagnosis>,
}

impl fmt::Display for RequestRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {} {}", self.seq, self.method, self.path)?;
        match self.status {
            Some(status) => write!(f, " {status}")?,
            None => f.write_str(" dropped")?,
        }
        if let Some(fault) = self.fault {
            write!(f, " injected {}", fault_name(fault))?;
        }
        if let Some(refusal) = self.refusal {
            write!(f, " {refusal}")?;
        }
        if let Some(diagnosis) = &self.diagnosis {
            write!(f, ": {}", diagnosis.cause)?;
        }
        Ok(())
    }
}

/// The control API's name of a fault.
pub(crate) fn fault_name(fault: Fault) -> &'static str {
    match fault {
        Fault::Status500 => "500",
        Fault::Status503 => "503",
        Fault::Status429 { .. } => "429",
        Fault::Drop => "drop",
    }
}

/// Told of every request the emulator answers; see
/// [`EmulatorBuilder::on_request`](crate::EmulatorBuilder::on_request).
#[derive(Clone)]
pub(crate) struct Observer(pub(crate) Arc<dyn Fn(&RequestRecord) + Send + Sync>);

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer")
    }
}

/// What a request got, before it is numbered.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) received_at: SystemTime,
    pub(crate) elapsed: Duration,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) status: Option<u16>,
    pub(crate) refusal: Option<Refusal>,
    pub(crate) fault: Option<Fault>,
    pub(crate) diagnosis: Option<SignatureDiagnosis>,
}

/// The ring of recent requests.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    observer: Option<Observer>,
    ring: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    last_seq: u64,
    records: VecDeque<Arc<RequestRecord>>,
}

impl Journal {
    pub(crate) fn new(capacity: usize, observer: Option<Observer>) -> Self {
        Self {
            capacity,
            observer,
            ring: Mutex::new(Ring::default()),
        }
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether anyone reads what is recorded: with neither a log nor an
    /// observer, nothing is recorded and no signature is diagnosed.
    pub(crate) fn wanted(&self) -> bool {
        self.capacity > 0 || self.observer.is_some()
    }

    /// Numbers the entry, keeps it (dropping the oldest beyond the
    /// capacity) and tells the observer.
    pub(crate) fn record(&self, entry: Entry) {
        if !self.wanted() {
            return;
        }
        let Entry {
            received_at,
            elapsed,
            method,
            path,
            status,
            refusal,
            fault,
            diagnosis,
        } = entry;
        let mut ring = self.ring();
        ring.last_seq += 1;
        let record = Arc::new(RequestRecord {
            seq: ring.last_seq,
            received_at,
            elapsed,
            method: cut(&method, MAX_PATH),
            path: cut(&path, MAX_PATH),
            status,
            refusal,
            fault,
            diagnosis,
        });
        if self.capacity > 0 {
            if ring.records.len() == self.capacity {
                ring.records.pop_front();
            }
            ring.records.push_back(Arc::clone(&record));
        }
        drop(ring);
        if let Some(observer) = &self.observer {
            (observer.0)(&record);
        }
    }

    /// The records after `since` (a `seq`), oldest first; at most `limit`,
    /// the newest ones.
    pub(crate) fn recent(&self, since: u64, limit: usize) -> Vec<RequestRecord> {
        let ring = self.ring();
        let after: Vec<&Arc<RequestRecord>> =
            ring.records.iter().filter(|r| r.seq > since).collect();
        let skip = after.len().saturating_sub(limit);
        after
            .into_iter()
            .skip(skip)
            .map(|r| (**r).clone())
            .collect()
    }

    /// How many records the log keeps at most.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets every record; numbering starts again at 1.
    pub(crate) fn clear(&self) {
        *self.ring() = Ring::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            received_at: SystemTime::UNIX_EPOCH,
            elapsed: Duration::ZERO,
            method: "GET".into(),
            path: path.into(),
            status: Some(200),
            refusal: None,
            fault: None,
            diagnosis: None,
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_and_numbers_on() {
        let journal = Journal::new(3, None);
        for i in 0..5 {
            journal.record(entry(&format!("/{i}")));
        }
        let all = journal.recent(0, usize::MAX);
        let seqs: Vec<u64> = all.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(all[0].path, "/2");
        assert_eq!(journal.recent(4, usize::MAX).len(), 1);
        assert_eq!(journal.recent(0, 1)[0].seq, 5);
        journal.clear();
        journal.record(entry("/again"));
        assert_eq!(journal.recent(0, 10)[0].seq, 1);
    }

    #[test]
    fn long_paths_are_cut_and_the_observer_sees_each_record() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let observer = Observer(Arc::new(move |r: &RequestRecord| {
            sink.lock().unwrap().push(r.to_string());
        }));
        let journal = Journal::new(0, Some(observer));
        journal.record(entry(&"/a".repeat(300)));
        assert!(
            journal.recent(0, 10).is_empty(),
            "no log kept at capacity 0"
        );
        let lines = seen.lock().unwrap();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("#1 GET /a/a") && lines[0].ends_with("… 200"));
    }
}
