//! The store's one subscription, shared by all its waits: the messages
//! Redis pushes on the store's connection (RESP3) are counted per channel,
//! and a wait watches its channel's count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use redis::{PushInfo, PushKind, Value};
use tokio::sync::watch;

/// Messages heard, per channel a wait has listened on.
#[derive(Debug, Default)]
pub(crate) struct Wakeups {
    channels: Mutex<HashMap<Vec<u8>, watch::Sender<u64>>>,
}

impl Wakeups {
    /// What the connection hands each push to (it must not block): a
    /// message on a channel someone listens on moves that channel's count.
    pub(crate) fn sender(
        self: &Arc<Self>,
    ) -> impl Fn(PushInfo) -> Result<(), ()> + Send + Sync + 'static {
        let wakeups = Arc::clone(self);
        move |push| {
            wakeups.heard(&push);
            Ok(())
        }
    }

    fn heard(&self, push: &PushInfo) {
        if !matches!(push.kind, PushKind::Message) {
            return;
        }
        let channel = match push.data.first() {
            Some(Value::BulkString(name)) => name.as_slice(),
            Some(Value::SimpleString(name)) => name.as_bytes(),
            _ => return,
        };
        if let Some(count) = self.lock().get(channel) {
            count.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Watches `channel`'s count from now on: what was heard before is
    /// seen already.
    pub(crate) fn listen(&self, channel: &str) -> watch::Receiver<u64> {
        self.lock()
            .entry(channel.as_bytes().to_vec())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, watch::Sender<u64>>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel: &str) -> PushInfo {
        PushInfo {
            kind: PushKind::Message,
            data: vec![
                Value::BulkString(channel.as_bytes().to_vec()),
                Value::BulkString(b"7".to_vec()),
            ],
        }
    }

    #[test]
    fn a_message_moves_only_its_channel_and_only_for_listeners() {
        let wakeups = Arc::new(Wakeups::default());
        let send = wakeups.sender();
        // Heard before anyone listened: not seen by a later listener.
        send(message("a")).unwrap();
        let mut a = wakeups.listen("a");
        let mut b = wakeups.listen("b");
        assert!(!a.has_changed().unwrap());
        send(message("a")).unwrap();
        send(PushInfo {
            kind: PushKind::Subscribe,
            data: vec![Value::BulkString(b"b".to_vec())],
        })
        .unwrap();
        assert!(a.has_changed().unwrap());
        assert!(!b.has_changed().unwrap());
        a.borrow_and_update();
        assert!(!a.has_changed().unwrap());
        let _ = b.borrow_and_update();
    }
}
