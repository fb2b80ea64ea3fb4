//! One session for a fleet of processes: a shared store (Redis, in
//! `qb-auth-redis`) holds the fleet's session, and one renewal at a time
//! runs for the whole fleet.
//!
//! Each process keeps its own copy: a token asked for while that copy is
//! valid costs no call to the store. When the copy is due, expired,
//! rejected or missing (a cold start), the renewal claims
//! ([`FleetStore::claim`], one round trip on Redis): it drops the session
//! the server rejected if that is still the published one, reads the
//! fleet's session, and takes the fleet's lease unless a session newer
//! than the one this process held is published. A newer session is taken
//! if it passes the checks a restored session passes (the application and
//! identity kind of this session's credentials, a session token, a
//! lifetime no session outlives); one that fails them is ignored with
//! [`LifecycleEvent::SharedSessionIgnored`] and dropped. The process that
//! took the lease creates the session and publishes it, fenced by a
//! version so a slow writer never replaces a newer session; the others
//! wait for it (woken by the store, bounded by the lease's lifetime), or
//! take the lease when its holder died. A token the server rejected is
//! dropped from the store only if it is still the version that was
//! rejected.
//!
//! The stored copy carries its expiry by the publishing machine's clock
//! (keep the fleet's clocks in step, as NTP does) and leaves the store
//! then. QuickBlox slides a session's expiry with every request, which
//! each process follows on its own copy; the stored expiry does not slide
//! (sliding it would cost a call to the store on requests whose copy is
//! valid), so a process that starts cold after it creates a new session
//! for the fleet even if the old one is still in use. That is at most one
//! session more per session lifetime (two hours) for the whole fleet: the
//! cold starts after it take the session it published.
//!
//! The store failing is never an outage: the process renews alone, says
//! so once with [`LifecycleEvent::SharingUnavailable`], and shares again
//! when the store answers ([`LifecycleEvent::SharingResumed`]). A lease
//! request that failed may still have reached the store: the process
//! releases its lease (if it holds it) once it has its session.
//!
//! [`LifecycleEvent::SharingUnavailable`]: qb_auth_core::lifecycle::LifecycleEvent::SharingUnavailable
//! [`LifecycleEvent::SharedSessionIgnored`]: qb_auth_core::lifecycle::LifecycleEvent::SharedSessionIgnored
//! [`LifecycleEvent::SharingResumed`]: qb_auth_core::lifecycle::LifecycleEvent::SharingResumed

mod builder;
mod key;
mod renew;
mod store;

pub(crate) use builder::FleetConfig;
pub use key::FleetKey;
pub(crate) use renew::{Fleet, Held};
pub use store::{
    BlockingFleetStore, Claim, Claimed, FleetState, FleetStore, Published, StoreFuture,
};

/// How long a renewal lease lasts unless set otherwise: enough for a
/// create-session, short enough that a killed holder is replaced quickly.
pub const DEFAULT_LEASE_TTL: std::time::Duration = std::time::Duration::from_secs(10);
