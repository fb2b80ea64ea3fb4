//! [`SessionStatus`]: where a managed session stands, for a health check.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use qb_auth_core::lifecycle::LifecycleStatus;

use super::ManagedSession;
use crate::mode::Mode;

/// Where a managed session stands, from [`ManagedSession::status`]: its
/// lifecycle's phase, the time its token has left, the failure that
/// stands (its kind in [`RenewalError`](qb_auth_core::lifecycle::RenewalError),
/// and when), and how it shares its session. Cheap to take: one short
/// lock, no I/O.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionStatus {
    /// The lifecycle's phase, token time left and standing failure.
    pub lifecycle: LifecycleStatus,
    /// How renewals are shared.
    pub sharing: Sharing,
}

impl SessionStatus {
    /// Whether callers can get a token now or through a renewal that may
    /// start (see [`LifecycleStatus::is_ready`]): a readiness probe's
    /// answer.
    pub fn is_ready(&self) -> bool {
        self.lifecycle.is_ready()
    }
}

/// How a managed session's renewals are shared with other processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sharing {
    /// It has no fleet store: it renews on its own.
    NoStore,
    /// It shares through its fleet store.
    Shared,
    /// Its fleet store is not answering: it renews alone until it does.
    StoreAway,
    /// A login or logout made its token another identity's than the
    /// fleet's key: it renews alone from then on.
    LeftFleet,
}

impl<M: Mode> ManagedSession<M> {
    /// Where the session stands now. See [`SessionStatus`].
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// use qb_auth_core::lifecycle::Phase;
    /// use qb_auth_core::{AppCredentials, Endpoint, SecretString};
    /// use qb_auth_ureq::{Client, SessionSource, Sharing};
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    /// assert_eq!(session.status().lifecycle.phase, Phase::Idle);
    /// session.token()?;
    /// let status = session.status();
    /// assert_eq!((status.lifecycle.phase, status.sharing), (Phase::Live, Sharing::NoStore));
    /// assert!(status.lifecycle.time_left.is_some() && status.is_ready());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> SessionStatus {
        let shared = &*self.shared;
        let sharing = match &shared.fleet {
            None => Sharing::NoStore,
            Some(_) if shared.left_fleet.load(Ordering::Acquire) => Sharing::LeftFleet,
            Some(fleet) if fleet.is_down() => Sharing::StoreAway,
            Some(_) => Sharing::Shared,
        };
        SessionStatus {
            lifecycle: shared.lifecycle.read(|l| l.status(SystemTime::now())),
            sharing,
        }
    }
}
