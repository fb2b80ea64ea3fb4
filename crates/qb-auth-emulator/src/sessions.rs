//! Issued sessions and used nonces: the emulator's only growing memory, both
//! pruned as time passes.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

/// How long an expired session is kept after it expired, so that using it
/// counts as an expiry (not an unknown token) in the stats. The answer is
/// the same either way.
const EXPIRED_GRACE: Duration = Duration::from_secs(60);

/// A create-session nonce as received: a number when it reads as one (so
/// `"0042"` and `42` are the same nonce), else the trimmed text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub(crate) enum NonceValue {
    Number(i64),
    Text(String),
}

impl NonceValue {
    pub(crate) fn parse(text: &str) -> Self {
        let text = text.trim();
        text.parse::<i64>()
            .map_or_else(|_| Self::Text(text.to_owned()), Self::Number)
    }
}

/// One session, known by its token.
#[derive(Debug, Clone)]
pub(crate) struct SessionRecord {
    pub(crate) id: u64,
    pub(crate) app_id: u64,
    /// 0 for an application session.
    pub(crate) user_id: u64,
    pub(crate) nonce: NonceValue,
    pub(crate) ts: i64,
    /// On the emulator's (possibly offset) clock.
    pub(crate) created_at: SystemTime,
    pub(crate) updated_at: SystemTime,
    /// Expiry is measured on the monotonic clock, so that moving the
    /// emulator's clock offset never expires or revives a session.
    last_used: Instant,
    /// Set by `expire_all_sessions`: expired from that moment on.
    revoked_at: Option<Instant>,
}

/// Whether a session can be used, and for how much longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// Usable; expires after this long without use.
    Live(Duration),
    /// Expired this long ago.
    Expired(Duration),
}

impl SessionRecord {
    pub(crate) fn new(
        id: u64,
        app_id: u64,
        user_id: u64,
        nonce: NonceValue,
        ts: i64,
        server_now: SystemTime,
        now: Instant,
    ) -> Self {
        Self {
            id,
            app_id,
            user_id,
            nonce,
            ts,
            created_at: server_now,
            updated_at: server_now,
            last_used: now,
            revoked_at: None,
        }
    }

    pub(crate) fn liveness(&self, now: Instant, ttl: Duration) -> Liveness {
        let idle = now.saturating_duration_since(self.last_used);
        if let Some(at) = self.revoked_at {
            Liveness::Expired(now.saturating_duration_since(at))
        } else if idle < ttl {
            Liveness::Live(ttl - idle)
        } else {
            Liveness::Expired(idle - ttl)
        }
    }

    /// Slides the expiry: the session lives `ttl` from now.
    pub(crate) fn touch(&mut self, now: Instant) {
        self.last_used = now;
    }
}

/// All sessions by token.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_token: HashMap<String, SessionRecord>,
    next_id: u64,
}

impl Sessions {
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn insert(&mut self, token: String, record: SessionRecord) {
        self.by_token.insert(token, record);
    }

    pub(crate) fn get_mut(&mut self, token: &str) -> Option<&mut SessionRecord> {
        self.by_token.get_mut(token)
    }

    pub(crate) fn remove(&mut self, token: &str) -> Option<SessionRecord> {
        self.by_token.remove(token)
    }

    /// Expires every session now; how many were live.
    pub(crate) fn expire_all(&mut self, now: Instant, ttl: Duration) -> u64 {
        let mut live = 0;
        for record in self.by_token.values_mut() {
            live += u64::from(matches!(record.liveness(now, ttl), Liveness::Live(_)));
            record.revoked_at.get_or_insert(now);
        }
        live
    }

    /// The `max` newest live sessions (highest ids first), with their
    /// tokens and time left. Memory stays bounded by `max` however many
    /// sessions there are.
    pub(crate) fn newest_live(
        &self,
        now: Instant,
        ttl: Duration,
        max: usize,
    ) -> Vec<(&str, &SessionRecord, Duration)> {
        // A min-heap of the newest `max` seen so far, by id.
        let mut newest = BinaryHeap::with_capacity(max.saturating_add(1).min(1024));
        for (token, record) in &self.by_token {
            if let Liveness::Live(left) = record.liveness(now, ttl) {
                newest.push(Reverse((record.id, token.as_str(), left)));
                if newest.len() > max {
                    newest.pop();
                }
            }
        }
        let mut live: Vec<_> = newest
            .into_iter()
            .filter_map(|Reverse((id, token, left))| {
                self.by_token
                    .get(token)
                    .filter(|r| r.id == id)
                    .map(|r| (token, r, left))
            })
            .collect();
        live.sort_unstable_by_key(|(_, record, _)| Reverse(record.id));
        live
    }

    /// Forgets sessions that expired more than [`EXPIRED_GRACE`] ago, or
    /// every expired one when `keep_recent` is false (to make room at the cap).
    pub(crate) fn prune(&mut self, now: Instant, ttl: Duration, keep_recent: bool) {
        self.by_token
            .retain(|_, record| match record.liveness(now, ttl) {
                Liveness::Live(_) => true,
                Liveness::Expired(ago) => keep_recent && ago < EXPIRED_GRACE,
            });
    }

    /// Sessions held: live ones and those expired less than a minute ago.
    pub(crate) fn held(&self) -> usize {
        self.by_token.len()
    }

    pub(crate) fn live_count(&self, now: Instant, ttl: Duration) -> u64 {
        self.by_token
            .values()
            .filter(|r| matches!(r.liveness(now, ttl), Liveness::Live(_)))
            .count() as u64
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_token.len()
    }
}

/// The (timestamp, nonce) pairs each application has used, by timestamp so
/// that pairs too old to be accepted again can be dropped in one sweep.
#[derive(Debug, Default)]
pub(crate) struct NonceLedger {
    per_app: HashMap<u64, BTreeMap<i64, HashSet<NonceValue>>>,
    /// Pairs held, across applications.
    held: usize,
}

impl NonceLedger {
    /// Records the pair; `false` when it was already used.
    pub(crate) fn use_once(&mut self, app_id: u64, ts: i64, nonce: NonceValue) -> bool {
        let fresh = self
            .per_app
            .entry(app_id)
            .or_default()
            .entry(ts)
            .or_default()
            .insert(nonce);
        self.held += usize::from(fresh);
        fresh
    }

    /// Pairs held: those whose timestamp can still be accepted.
    pub(crate) fn held(&self) -> usize {
        self.held
    }

    /// Forgets pairs with a timestamp before `oldest_acceptable`: those are
    /// rejected as "Bad timestamp" before any replay check.
    pub(crate) fn prune(&mut self, oldest_acceptable: i64) {
        for by_ts in self.per_app.values_mut() {
            let kept = by_ts.split_off(&oldest_acceptable);
            self.held -= by_ts.values().map(HashSet::len).sum::<usize>();
            *by_ts = kept;
        }
        self.per_app.retain(|_, by_ts| !by_ts.is_empty());
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.per_app
            .values()
            .flat_map(BTreeMap::values)
            .map(HashSet::len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_per_app_and_pruned_by_timestamp() {
        let mut ledger = NonceLedger::default();
        assert!(ledger.use_once(1, 100, NonceValue::parse("7")));
        assert!(!ledger.use_once(1, 100, NonceValue::parse(" 0007")));
        assert!(ledger.use_once(2, 100, NonceValue::parse("7")));
        assert!(ledger.use_once(1, 101, NonceValue::parse("7")));
        assert!(ledger.use_once(1, 200, NonceValue::parse("abc")));
        assert_eq!((ledger.len(), ledger.held()), (4, 4));
        ledger.prune(150);
        assert_eq!((ledger.len(), ledger.held()), (1, 1));
        assert!(!ledger.use_once(1, 200, NonceValue::parse("abc")));
    }

    #[test]
    fn sessions_slide_expire_and_are_pruned() {
        let t0 = Instant::now();
        let ttl = Duration::from_secs(10);
        let mut sessions = Sessions::default();
        let id = sessions.next_id();
        let record = SessionRecord::new(id, 1, 0, NonceValue::Number(1), 5, SystemTime::now(), t0);
        sessions.insert("tok".into(), record);
        let at = |s| t0 + Duration::from_secs(s);
        let rec = sessions.get_mut("tok").unwrap();
        let rec_copy = rec.clone();
        assert_eq!(
            rec.liveness(at(4), ttl),
            Liveness::Live(Duration::from_secs(6))
        );
        rec.touch(at(8));
        assert_eq!(
            rec.liveness(at(17), ttl),
            Liveness::Live(Duration::from_secs(1))
        );
        assert_eq!(
            rec.liveness(at(20), ttl),
            Liveness::Expired(Duration::from_secs(2))
        );
        assert_eq!(sessions.live_count(at(20), ttl), 0);
        sessions.prune(at(20), ttl, true);
        assert_eq!(sessions.held(), 1, "kept during the grace period");
        sessions.prune(at(20), ttl, false);
        assert_eq!(sessions.held(), 0, "unless room is needed");
        sessions.insert("tok".into(), rec_copy);
        sessions.prune(at(200), ttl, true);
        assert_eq!(sessions.len(), 0);
    }

    #[test]
    fn expire_all_revokes_at_once() {
        let t0 = Instant::now();
        let mut sessions = Sessions::default();
        let record = SessionRecord::new(1, 1, 0, NonceValue::Number(1), 5, SystemTime::now(), t0);
        sessions.insert("tok".into(), record);
        let ttl = Duration::from_secs(3600);
        assert_eq!(sessions.expire_all(t0, ttl), 1);
        assert_eq!(sessions.expire_all(t0, ttl), 0, "already expired");
        let rec = sessions.get_mut("tok").unwrap();
        assert_eq!(rec.liveness(t0, ttl), Liveness::Expired(Duration::ZERO));
        rec.touch(t0 + Duration::from_secs(1));
        assert!(
            matches!(rec.liveness(t0, ttl), Liveness::Expired(_)),
            "touching cannot revive"
        );
        sessions.prune(t0 + EXPIRED_GRACE * 2, ttl, true);
        assert_eq!(sessions.len(), 0);
    }
}
