//! The builder's sharing options, and the key a fleet derives from the
//! session's source.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use qb_auth_core::lifecycle::{Policy, RenewalMode};
use qb_auth_core::{BuildError, BuildErrorKind};

use super::{DEFAULT_LEASE_TTL, Fleet, FleetKey, FleetStore};
use crate::Error;
use crate::managed::{ManagedSessionBuilder, SessionSource};
use crate::mode::Mode;
use crate::store::trust;

/// What [`ManagedSessionBuilder`] was told about sharing.
#[derive(Clone, Default)]
pub(crate) struct FleetConfig {
    store: Option<Arc<dyn FleetStore>>,
    key: Option<FleetKey>,
    lease_ttl: Option<Duration>,
}

impl FleetConfig {
    /// The fleet to renew through, if a store was given. What a published
    /// session must be for this one to take it (application, identity
    /// kind, lifetime) comes from the source's credentials, as for a
    /// restored session.
    pub(crate) fn build(
        self,
        source: &SessionSource,
        policy: &Policy,
    ) -> Result<Option<Fleet>, Error> {
        let Some(store) = self.store else {
            return Ok(None);
        };
        // Asked once, at build: the key holds no secret, so a rotated
        // password or token still names the same session.
        let credentials = match source.mode() {
            RenewalMode::Credentials(provider) => Some(provider.credentials()),
            _ => None,
        };
        let key = match (self.key, &credentials) {
            (Some(key), _) => key,
            (None, Some(Ok(credentials))) => FleetKey::for_credentials(credentials)?,
            // The provider's own error says why; without its identity the
            // shared session has no key (`fleet_key` gives one).
            (None, Some(Err(failed))) => return Err(Error::Provider(failed.clone())),
            (None, None) => {
                return Err(BuildError::from(BuildErrorKind::NoFleetKey(
                    "a token provider's session is shared under a key you name: give one with fleet_key",
                ))
                .into());
            }
        };
        let credentials = credentials.and_then(Result::ok);
        let mut expected = trust::Expected::of(credentials.as_ref(), policy);
        // A named key still says whose application the session is.
        expected.application_id = expected.application_id.or_else(|| key.application_id());
        Ok(Some(Fleet::new(
            store,
            key,
            self.lease_ttl.unwrap_or(DEFAULT_LEASE_TTL),
            policy.clone(),
            expected,
        )))
    }
}

impl fmt::Debug for FleetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetConfig")
            .field("store", &self.store.is_some())
            .field("key", &self.key)
            .field("lease_ttl", &self.lease_ttl)
            .finish()
    }
}

impl<M: Mode> ManagedSessionBuilder<M> {
    /// The key of the shared session (see `share`, and [`crate::fleet`]),
    /// instead of the one derived from the credentials: needed for a token
    /// provider and for social and Firebase identities.
    pub fn fleet_key(mut self, key: FleetKey) -> Self {
        self.fleet_config().key = Some(key);
        self
    }

    /// How long the fleet's renewal lease lasts
    /// ([`DEFAULT_LEASE_TTL`](super::DEFAULT_LEASE_TTL) otherwise): a
    /// holder that dies is replaced this long after it took the lease.
    /// Longer than a create-session takes.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.fleet_config().lease_ttl = Some(ttl);
        self
    }
}

#[cfg(feature = "async")]
mod asynchronous {
    use std::sync::Arc;

    use crate::fleet::FleetStore;
    use crate::managed::ManagedSessionBuilder;
    use crate::{Async, Transport};

    impl<T: Transport> ManagedSessionBuilder<Async<T>> {
        /// Shares the session with every process that uses `store` with the
        /// same key (derived from the application and the identity, or given
        /// with [`fleet_key`](Self::fleet_key)): one renewal at a time for the
        /// whole fleet. See [`fleet`](crate::fleet).
        ///
        /// ```no_run
        /// # async fn run(store: impl qb_auth_client::fleet::FleetStore + 'static) -> Result<(), qb_auth_client::Error> {
        /// use qb_auth_reqwest::{Client, SessionSource};
        /// use qb_auth_client::qb_auth_core::{AppCredentials, SecretString};
        ///
        /// let app = AppCredentials::new(12345, "key", SecretString::from("secret"))?;
        /// let session = Client::new()?
        ///     .managed(SessionSource::application(app))
        ///     .share(store) // e.g. qb_auth_redis::RedisStore
        ///     .build()?;
        /// let token = session.token().await?;
        /// # let _ = token; Ok(()) }
        /// ```
        pub fn share(mut self, store: impl FleetStore + 'static) -> Self {
            self.fleet_config().store = Some(Arc::new(store));
            self
        }
    }
}

#[cfg(feature = "blocking")]
mod blocking {
    use std::sync::Arc;

    use crate::bridge::FromBlocking;
    use crate::fleet::BlockingFleetStore;
    use crate::managed::ManagedSessionBuilder;
    use crate::{Blocking, BlockingTransport};

    impl<T: BlockingTransport> ManagedSessionBuilder<Blocking<T>> {
        /// Shares the session with every process that uses `store` with the
        /// same key (derived from the application and the identity, or given
        /// with [`fleet_key`](Self::fleet_key)): one renewal at a time for the
        /// whole fleet. See [`fleet`](crate::fleet).
        ///
        /// ```no_run
        /// # fn run(store: impl qb_auth_client::fleet::BlockingFleetStore + 'static) -> Result<(), qb_auth_client::Error> {
        /// use qb_auth_ureq::{Client, SessionSource};
        /// use qb_auth_client::qb_auth_core::{AppCredentials, SecretString};
        ///
        /// let app = AppCredentials::new(12345, "key", SecretString::from("secret"))?;
        /// let session = Client::new()?
        ///     .managed(SessionSource::application(app))
        ///     .share(store) // e.g. qb_auth_redis::BlockingRedisStore
        ///     .build()?;
        /// let token = session.token()?;
        /// # let _ = token; Ok(()) }
        /// ```
        pub fn share(mut self, store: impl BlockingFleetStore + 'static) -> Self {
            let store: Arc<dyn BlockingFleetStore> = Arc::new(store);
            self.fleet_config().store = Some(Arc::new(FromBlocking(store)));
            self
        }
    }
}
