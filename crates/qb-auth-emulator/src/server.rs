//! The accept loop: one hyper HTTP/1.1 connection task per client, a cap on
//! open connections with shedding of the slowest, and a graceful shutdown.
//!
//! Every connection is in one of three phases: waiting for a request head
//! (new, slow or idle keep-alive), reading a request body, or being served.
//! When the cap is reached, the connection that has waited longest in one
//! of the first two phases is shed (hyper's `graceful_shutdown`, which
//! closes a connection between requests at once; a body still arriving is
//! answered 503 and closed), so that slow or idle clients never keep a
//! prompt one out. Only when every connection is being served does a new
//! one wait for a slot.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::error::StartError;
use crate::router;
use crate::state::Shared;

/// How long a client may take to send a request head, or stay idle
/// between requests, when nobody needs its slot.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// A connection is not shed before it has waited this long: a prompt
/// client's head or body arrives well within it.
const SHED_AFTER: Duration = Duration::from_millis(200);
/// How often a full server with nothing to shed looks again.
const FULL_RECHECK: Duration = Duration::from_millis(20);

pub(crate) async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// Serves on `listener` until `stop` fires or its sender is dropped.
pub(crate) fn spawn(
    listener: TcpListener,
    shared: Arc<Shared>,
    max_connections: usize,
    stop: oneshot::Receiver<()>,
) -> JoinHandle<()> {
    tokio::spawn(accept_loop(listener, shared, max_connections, stop))
}

/// Where a connection is, as far as shedding is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for a request head: new, slow, or idle between requests.
    Waiting,
    /// Reading a request body.
    Body,
    /// Being served; never shed.
    Busy,
    /// Told to close; no longer counted against the cap.
    Shed,
}

#[derive(Debug)]
struct Slot {
    phase: Phase,
    /// When the connection entered its phase.
    since: Instant,
    shed: watch::Sender<bool>,
}

/// The open connections.
#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    slots: HashMap<u64, Slot>,
    /// Slots in `Phase::Shed`, which do not count against the cap.
    shedding: usize,
}

/// What [`Tracker::make_room`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Room {
    /// There was room.
    Free,
    /// A connection was shed to make room.
    Shed,
    /// Every connection is being served (or too young to shed).
    Full,
}

#[derive(Debug, Default)]
pub(crate) struct Tracker {
    table: Mutex<Table>,
    /// Signalled whenever a connection closes.
    freed: Notify,
}

impl Tracker {
    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn open(self: &Arc<Self>) -> Connection {
        let (shed, shed_rx) = watch::channel(false);
        let mut table = self.table();
        table.next_id += 1;
        let id = table.next_id;
        table.slots.insert(
            id,
            Slot {
                phase: Phase::Waiting,
                since: Instant::now(),
                shed,
            },
        );
        Connection {
            id,
            tracker: Arc::clone(self),
            shed: shed_rx,
        }
    }

    /// Makes room for one more connection, shedding the longest-waiting one
    /// if the cap was reached.
    fn make_room(&self, max: usize) -> Room {
        let mut table = self.table();
        if table.slots.len() - table.shedding < max {
            return Room::Free;
        }
        let now = Instant::now();
        let victim = table
            .slots
            .iter_mut()
            .filter(|(_, slot)| matches!(slot.phase, Phase::Waiting | Phase::Body))
            .filter(|(_, slot)| now.saturating_duration_since(slot.since) >= SHED_AFTER)
            .min_by_key(|(_, slot)| slot.since)
            .map(|(_, slot)| slot);
        let Some(victim) = victim else {
            return Room::Full;
        };
        victim.phase = Phase::Shed;
        victim.shed.send_replace(true);
        table.shedding += 1;
        Room::Shed
    }

    fn set_phase(&self, id: u64, phase: Phase) {
        if let Some(slot) = self.table().slots.get_mut(&id) {
            // A shed connection stays shed.
            if slot.phase != Phase::Shed {
                slot.phase = phase;
                slot.since = Instant::now();
            }
        }
    }

    fn close(&self, id: u64) {
        let mut table = self.table();
        if let Some(slot) = table.slots.remove(&id) {
            if slot.phase == Phase::Shed {
                table.shedding -= 1;
            }
        }
        drop(table);
        self.freed.notify_one();
    }
}

/// One open connection, as its requests see it.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    id: u64,
    tracker: Arc<Tracker>,
    shed: watch::Receiver<bool>,
}

impl Connection {
    pub(crate) fn set_phase(&self, phase: Phase) {
        self.tracker.set_phase(self.id, phase);
    }

    /// Completes when this connection is shed to make room.
    pub(crate) async fn shed(&self) {
        let mut shed = self.shed.clone();
        // An error means the slot is gone: the connection is closing anyway.
        let _ = shed.wait_for(|shed| *shed).await;
    }

    /// Back to waiting for the next request when dropped, whether the
    /// request was answered or abandoned.
    pub(crate) fn serving(&self) -> ServingGuard<'_> {
        self.set_phase(Phase::Body);
        ServingGuard(self)
    }
}

/// See [`Connection::serving`].
#[derive(Debug)]
pub(crate) struct ServingGuard<'a>(&'a Connection);

impl Drop for ServingGuard<'_> {
    fn drop(&mut self) {
        self.0.set_phase(Phase::Waiting);
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    max_connections: usize,
    mut stop: oneshot::Receiver<()>,
) {
    let tracker = Arc::new(Tracker::default());
    let (stopping, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    'serve: loop {
        // Reap finished connection tasks so the set stays small.
        while connections.try_join_next().is_some() {}
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                // Out of file descriptors and the like: wait rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        // Room is made only for a client that is here, never in advance.
        loop {
            match tracker.make_room(max_connections) {
                Room::Free => break,
                Room::Shed => {
                    shared.counters.connections_shed.inc();
                    break;
                }
                Room::Full => {}
            }
            tokio::select! {
                _ = &mut stop => break 'serve,
                () = tracker.freed.notified() => {}
                () = tokio::time::sleep(FULL_RECHECK) => {}
            }
        }
        let connection = tracker.open();
        let mut stop_rx = stop_rx.clone();
        let shared = Arc::clone(&shared);
        connections.spawn(async move {
            let conn = connection.clone();
            let service = service_fn(move |request| {
                router::handle(Arc::clone(&shared), conn.clone(), request)
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                // A client that shut its write side after a complete request
                // still gets the answer.
                .half_close(true)
                .serve_connection(TokioIo::new(stream), service);
            let mut served = pin!(served);
            tokio::select! {
                // Errors are the client's (or a deliberate drop); nothing to report.
                _ = served.as_mut() => {}
                () = connection.shed() => {
                    served.as_mut().graceful_shutdown();
                    let _ = served.await;
                }
                () = async { drop(stop_rx.wait_for(|stop| *stop).await) } => {
                    served.as_mut().graceful_shutdown();
                    let _ = served.await;
                }
            }
            connection.tracker.close(connection.id);
        });
    }
    drop(listener);
    // In-flight requests finish; idle keep-alive connections close now.
    stopping.send_replace(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_waiting_connection_is_shed_first_and_busy_ones_never() {
        let tracker = Arc::new(Tracker::default());
        let old = tracker.open();
        let busy = tracker.open();
        let young = tracker.open();
        assert_eq!(tracker.make_room(4), Room::Free);
        {
            let mut table = tracker.table();
            let long_ago = Instant::now() - Duration::from_secs(5);
            for id in [old.id, busy.id] {
                table.slots.get_mut(&id).unwrap().since = long_ago;
            }
        }
        busy.tracker.table().slots.get_mut(&busy.id).unwrap().phase = Phase::Busy;
        assert_eq!(tracker.make_room(3), Room::Shed);
        assert!(*old.shed.borrow(), "the oldest waiting one is shed");
        assert!(!*busy.shed.borrow() && !*young.shed.borrow());
        // The busy one is never shed, the young one not yet.
        assert_eq!(tracker.make_room(2), Room::Full);
        tracker.close(old.id);
        assert_eq!(tracker.make_room(3), Room::Free);
    }
}
