//! The client: settings and a transport. The path every request takes is
//! in `call.rs`.

use std::fmt;

use qb_auth_core::{AccountSettings, ApiKey, BodyFormat, BuildErrorKind, Endpoint};

use crate::Error;
use crate::api_key::ApiKeyClient;
use crate::builder::ClientBuilder;
use crate::mode::Mode;
use crate::origin;
use crate::settings::ClientSettings;

/// A QuickBlox API client over a transport: one-shot calls, managed
/// sessions ([`Client::managed`]) and API-key requests
/// ([`Client::with_api_key`]).
///
/// `M` is how it runs: [`Async`](crate::Async) over a
/// [`Transport`](crate::Transport) or [`Blocking`](crate::Blocking) over a
/// [`BlockingTransport`](crate::BlockingTransport). Transport crates name
/// their own: `qb_auth_reqwest::Client`, `qb_auth_ureq::Client`. The
/// operations are in the async and blocking front ends (the modules
/// `asynchronous` and `blocking`, behind the features of those names).
///
/// Cheap to clone; clones share the transport.
pub struct Client<M> {
    pub(crate) io: M,
    pub(crate) settings: ClientSettings,
}

impl<M: Clone> Clone for Client<M> {
    fn clone(&self) -> Self {
        Self {
            io: self.io.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl<M: Mode> Client<M> {
    /// A client for the shared QuickBlox API host with a transport built
    /// with default timeouts, the environment's proxy and no redirects.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] if the transport cannot be set up.
    pub fn new() -> Result<Self, Error> {
        ClientBuilder::new().build()
    }

    /// A builder: endpoint, body format, hash, nonces, body cap, timeouts,
    /// proxy, or a transport of your own.
    pub fn builder() -> ClientBuilder<M> {
        ClientBuilder::new()
    }

    pub(crate) fn from_parts(io: M, settings: ClientSettings) -> Self {
        Self { io, settings }
    }

    /// The transport: the HTTP client it was built with or given.
    pub fn transport(&self) -> &M::Transport {
        self.io.transport()
    }

    /// The API endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.settings.endpoint
    }

    /// The body format of create-session and login requests.
    pub fn body_format(&self) -> BodyFormat {
        self.settings.body_format
    }

    /// The same client (same transport and settings) for another endpoint.
    pub fn with_endpoint(&self, endpoint: Endpoint) -> Self {
        let mut client = self.clone();
        client.settings.set_endpoint(endpoint);
        client
    }

    /// A client that authorizes requests with an API key instead of a
    /// session (server side only: the key is a secret).
    pub fn with_api_key(&self, key: ApiKey) -> ApiKeyClient<M> {
        ApiKeyClient::new(self.clone(), key)
    }

    /// This client on the account's own API host.
    pub(crate) fn switched_to(
        &self,
        settings: AccountSettings,
    ) -> Result<(Self, AccountSettings), Error> {
        // No host at all, or one this client refuses (plain http to a
        // host that is not loopback): the refusal says which.
        let endpoint = settings.try_endpoint().map_err(|e| match e.kind() {
            BuildErrorKind::Empty(_) => Error::NoAccountEndpoint,
            _ => Error::Build(e),
        })?;
        Ok((self.with_endpoint(endpoint), settings))
    }

    /// Refuses a request that is not for this client's API host, before a
    /// token or key is attached to it.
    pub(crate) fn check_own_host<B>(&self, request: &http::Request<B>) -> Result<(), Error> {
        if self.settings.origin.matches_uri(request.uri()) {
            return Ok(());
        }
        Err(Error::ForeignHost {
            host: origin::describe(request.uri()),
            expected: self.settings.endpoint.as_str().to_owned(),
        })
    }
}

impl<M> fmt::Debug for Client<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The transport is left out: its proxy settings may hold credentials.
        f.debug_struct("Client")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
