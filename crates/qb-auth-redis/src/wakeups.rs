//! The store's one subscription, shared by all its waits: the messages
//! Redis pushes on the store's connection (RESP3) are counted per channel,
//! the last published session kept, and a wait watches its channel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use redis::{PushInfo, PushKind, Value};
use tokio::sync::watch;

use crate::scripts;

/// What was heard on one channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Heard {
    /// Messages heard since the channel was first listened on.
    pub(crate) count: u64,
    /// The last session published on it, as its notification carried it
    /// (version, snapshot text): unchecked, a hint until read as a
    /// published copy is.
    pub(crate) published: Option<(u64, Arc<str>)>,
}

/// What was heard, per channel a store has listened on.
#[derive(Debug, Default)]
pub(crate) struct Wakeups {
    channels: Mutex<HashMap<Vec<u8>, watch::Sender<Heard>>>,
}

impl Wakeups {
    /// What the connection hands each push to (it must not block): a
    /// message on a channel someone listens on moves that channel's count.
    pub(crate) fn sender(
        self: &Arc<Self>,
    ) -> impl Fn(PushInfo) -> Result<(), ()> + Send + Sync + 'static {
        let wakeups = Arc::clone(self);
        move |push| {
            wakeups.take(&push);
            Ok(())
        }
    }

    fn take(&self, push: &PushInfo) {
        if !matches!(push.kind, PushKind::Message) {
            return;
        }
        let bytes = |value: Option<&Value>| match value {
            Some(Value::BulkString(bytes)) => Some(bytes.clone()),
            Some(Value::SimpleString(text)) => Some(text.clone().into_bytes()),
            _ => None,
        };
        let Some(channel) = bytes(push.data.first()) else {
            return;
        };
        let published = bytes(push.data.get(1))
            .and_then(|payload| scripts::notification(&payload))
            .map(|(version, snapshot)| (version, Arc::from(snapshot)));
        if let Some(heard) = self.lock().get(&channel) {
            heard.send_modify(|heard| {
                heard.count = heard.count.wrapping_add(1);
                if published.is_some() {
                    heard.published = published;
                }
            });
        }
    }

    /// Watches `channel` from now on: what was heard before is seen
    /// already.
    pub(crate) fn listen(&self, channel: &str) -> watch::Receiver<Heard> {
        self.channel(channel).subscribe()
    }

    /// What was heard on `channel` so far.
    pub(crate) fn heard(&self, channel: &str) -> Heard {
        self.channel(channel).borrow().clone()
    }

    fn channel(&self, channel: &str) -> watch::Sender<Heard> {
        self.lock()
            .entry(channel.as_bytes().to_vec())
            .or_insert_with(|| watch::channel(Heard::default()).0)
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, watch::Sender<Heard>>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel: &str, payload: &str) -> PushInfo {
        PushInfo {
            kind: PushKind::Message,
            data: vec![
                Value::BulkString(channel.as_bytes().to_vec()),
                Value::BulkString(payload.as_bytes().to_vec()),
            ],
        }
    }

    #[test]
    fn a_message_moves_only_its_channel_and_only_for_listeners() {
        let wakeups = Arc::new(Wakeups::default());
        let send = wakeups.sender();
        // Heard before anyone listened: not seen by a later listener.
        send(message("a", "released")).unwrap();
        let mut a = wakeups.listen("a");
        let mut b = wakeups.listen("b");
        assert!(!a.has_changed().unwrap());
        send(message("a", "released")).unwrap();
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
        // A publish's notification is kept; other messages do not erase it.
        send(message("a", "12 {\"version\":1}")).unwrap();
        send(message("a", "flood")).unwrap();
        let heard = wakeups.heard("a");
        assert_eq!(heard.count, 3);
        assert_eq!(
            heard.published.map(|(v, s)| (v, s.to_string())),
            Some((12, "{\"version\":1}".to_owned()))
        );
    }
}
