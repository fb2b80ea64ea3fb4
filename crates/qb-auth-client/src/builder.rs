//! How a client is set up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use qb_auth_core::lifecycle::Policy;
use qb_auth_core::{
    BodyFormat, BuildError, Endpoint, HashAlgorithm, NonceSource, TransportError,
    TransportErrorKind,
};

use crate::Error;
use crate::client::Client;
use crate::mode::Mode;
use crate::settings::ClientSettings;
use crate::transport::{HttpOptions, ProxySetting};

/// Configures a [`Client`]: what it signs with, where it sends, and either
/// the options of the transport it builds or a transport of your own.
#[must_use]
pub struct ClientBuilder<M: Mode> {
    settings: ClientSettings,
    transport: Option<M::Transport>,
    options: HttpOptions,
}

impl<M: Mode> Default for ClientBuilder<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Mode> ClientBuilder<M> {
    /// The defaults: the shared API host, JSON bodies, HMAC-SHA1, nonces
    /// from the OS, a 1 MiB body cap, and a transport built at
    /// [`build`](Self::build).
    pub fn new() -> Self {
        Self {
            settings: ClientSettings::default(),
            transport: None,
            options: HttpOptions::default(),
        }
    }

    /// The API endpoint (`https://api.quickblox.com` by default, or your
    /// account's own host; `http://` only on loopback).
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.settings.set_endpoint(endpoint);
        self
    }

    /// JSON (the default) or form bodies for create-session and login.
    pub fn body_format(mut self, format: BodyFormat) -> Self {
        self.settings.body_format = format;
        self
    }

    /// HMAC-SHA1 (the default, what QuickBlox documents) or HMAC-SHA256.
    pub fn hash(mut self, hash: HashAlgorithm) -> Self {
        self.settings.hash = hash;
        self
    }

    /// Where nonces come from (the OS CSPRNG by default); a fixed sequence
    /// makes requests reproducible in tests.
    pub fn nonces(mut self, nonces: impl NonceSource + 'static) -> Self {
        self.settings.nonces = Arc::new(nonces);
        self
    }

    /// The largest answer body read; a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`].
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.settings.max_body = bytes;
        self
    }

    /// How one-shot calls (create a session, log in or out, read or
    /// destroy a session, account settings) retry: the policy's attempts,
    /// backoff and `Retry-After` cap, as a managed session renews. On by
    /// default with [`Policy::default`]; `Policy::default().with_max_attempts(1)`
    /// turns retries off. Logout and destroy are sent again only when the
    /// request provably never reached the server.
    pub fn retry_policy(mut self, policy: Policy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// Sends through this transport (for example your own `reqwest::Client`
    /// or `ureq::Agent`, set up as you like) instead of building one.
    /// Timeouts and proxy then belong to it, with one exception: a
    /// plain-`http://` endpoint (loopback only, such as the emulator) is
    /// never reached through a proxy. `qb-auth-ureq` sends such requests
    /// through your agent with its proxy turned off for them;
    /// `qb-auth-reqwest` cannot turn off a `reqwest::Client`'s proxy per
    /// request, so it sends them through a direct client of its own, with
    /// the default timeouts.
    pub fn http_client(mut self, transport: impl Into<M::Transport>) -> Self {
        self.transport = Some(transport.into());
        self
    }

    /// The connect timeout of a built transport (10 s by default); zero, or
    /// longer than [`MAX_TIMEOUT`](crate::MAX_TIMEOUT), is refused at
    /// [`build`](Self::build).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = Some(timeout);
        self
    }

    /// The total timeout of one exchange of a built transport (30 s by
    /// default); zero, or longer than [`MAX_TIMEOUT`](crate::MAX_TIMEOUT),
    /// is refused at [`build`](Self::build).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Sends through this proxy (`http://` or `https://`, credentials in
    /// the URL allowed) instead of the environment's. A loopback host (the
    /// only one plain `http://` may go to) is reached directly all the same.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.options.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Uses no proxy, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.options.proxy = ProxySetting::None;
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::Build`] for a retry policy that cannot work, and
    /// [`Error::Transport`] with [`TransportErrorKind::Config`] when a
    /// timeout is zero or longer than [`MAX_TIMEOUT`](crate::MAX_TIMEOUT),
    /// the proxy URL cannot be used, the transport cannot be set up, or
    /// timeouts or a proxy were given together with a transport of your
    /// own (which would silently ignore them).
    pub fn build(self) -> Result<Client<M>, Error> {
        self.settings.retry.validate().map_err(BuildError::from)?;
        let transport = match self.transport {
            Some(_) if self.options.any_set() => {
                return Err(TransportError::from_kind(TransportErrorKind::Config(
                    "timeouts and proxy belong on the transport passed to http_client",
                ))
                .into());
            }
            Some(transport) => transport,
            None => {
                self.options.check()?;
                M::build_transport(&self.options)?
            }
        };
        Ok(Client::from_parts(M::wrap(transport), self.settings))
    }
}

impl<M: Mode> fmt::Debug for ClientBuilder<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The proxy URL may hold credentials, so only its kind shows.
        f.debug_struct("ClientBuilder")
            .field("settings", &self.settings)
            .field("own_transport", &self.transport.is_some())
            .field("options", &self.options)
            .finish()
    }
}
