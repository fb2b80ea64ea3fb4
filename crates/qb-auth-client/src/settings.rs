//! What a client signs and reads with, apart from its transport.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use qb_auth_core::call::{CallContext, Target};
use qb_auth_core::lifecycle::{ClockSkew, Policy};
use qb_auth_core::{BodyFormat, Endpoint, HashAlgorithm, Nonce, NonceSource, OsNonces};

use crate::origin::Origin;
use crate::transport::DEFAULT_MAX_BODY;

/// What a client signs and reads with, apart from its transport.
#[derive(Clone)]
pub(crate) struct ClientSettings {
    /// Set with [`set_endpoint`](Self::set_endpoint), which keeps `origin`.
    pub(crate) endpoint: Endpoint,
    /// The endpoint's origin, taken apart once: every managed request is
    /// checked against it.
    pub(crate) origin: Origin,
    pub(crate) body_format: BodyFormat,
    pub(crate) hash: HashAlgorithm,
    pub(crate) nonces: Arc<dyn NonceSource>,
    pub(crate) max_body: u64,
    /// How one-shot calls retry.
    pub(crate) retry: Policy,
    /// What this client and its clones learned of the server's clock.
    pub(crate) clock: Arc<RememberedClock>,
}

/// The clock offset measured from a "Bad timestamp" answer, kept for the
/// client's next calls, and the sequence that seeds each call's jitter.
#[derive(Debug)]
pub(crate) struct RememberedClock {
    offset_secs: AtomicI64,
    seeds: AtomicU64,
}

impl RememberedClock {
    fn new() -> Self {
        // Jitter only spreads load; OS randomness keeps processes started
        // together from retrying in step, and 0 is fine when it is missing.
        Self {
            offset_secs: AtomicI64::new(0),
            seeds: AtomicU64::new(os_random()),
        }
    }

    /// No offset known, and seeds drawn on from this one's sequence (no
    /// second trip to the OS for a client that only changed its endpoint).
    fn for_another_host(&self) -> Self {
        Self {
            offset_secs: AtomicI64::new(0),
            seeds: AtomicU64::new(self.next_seed()),
        }
    }

    pub(crate) fn offset(&self) -> ClockSkew {
        ClockSkew::from_secs(self.offset_secs.load(Ordering::Relaxed))
    }

    pub(crate) fn remember(&self, offset: ClockSkew) {
        self.offset_secs.store(offset.as_secs(), Ordering::Relaxed);
    }

    /// A jitter seed for one call: a Weyl sequence, distinct per call.
    pub(crate) fn next_seed(&self) -> u64 {
        self.seeds
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
    }
}

impl Default for ClientSettings {
    fn default() -> Self {
        let endpoint = Endpoint::default();
        Self {
            origin: origin_of(&endpoint),
            endpoint,
            body_format: BodyFormat::default(),
            hash: HashAlgorithm::default(),
            nonces: Arc::new(OsNonces),
            max_body: DEFAULT_MAX_BODY,
            retry: Policy::default(),
            clock: Arc::new(RememberedClock::new()),
        }
    }
}

impl ClientSettings {
    /// What a call's request is built against (signing input added per
    /// attempt).
    pub(crate) fn target(&self) -> Target<'_> {
        Target::new(&self.endpoint)
            .body_format(self.body_format)
            .hash(self.hash)
    }

    /// Where calls go, for their errors' messages.
    pub(crate) fn call_context(&self) -> CallContext {
        CallContext::host(self.endpoint.as_str())
    }

    pub(crate) fn set_endpoint(&mut self, endpoint: Endpoint) {
        self.origin = origin_of(&endpoint);
        self.endpoint = endpoint;
        // Another host may keep another clock.
        self.clock = Arc::new(self.clock.for_another_host());
    }
}

/// 62 bits from the OS's random source (two nonces' worth), or 0 when it
/// fails: for what only needs to differ between processes (jitter seeds,
/// a lease holder's name), never for a secret.
pub(crate) fn os_random() -> u64 {
    let draw = || Nonce::random().map_or(0, |n| u64::from(n.get()));
    draw() << 32 | draw()
}

fn origin_of(endpoint: &Endpoint) -> Origin {
    Origin::of(endpoint)
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("endpoint", &self.endpoint)
            .field("body_format", &self.body_format)
            .field("hash", &self.hash)
            .field("nonces", &self.nonces)
            .field("max_body", &self.max_body)
            .field("retry", &self.retry)
            .field("clock_offset", &self.clock.offset())
            .finish()
    }
}
