//! Setting up a [`Client`]: where it talks to, how it signs, and the ureq
//! agent under it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use qb_auth_core::adapter::{
    ClientSettings, Error, HttpOptions, ProxySetting, TransportError, TransportErrorKind,
};
use qb_auth_core::{BodyFormat, Endpoint, HashAlgorithm, NonceSource};

use crate::client::Client;

/// Builds a [`Client`].
///
/// By default: the shared host `https://api.quickblox.com`, JSON bodies,
/// HMAC-SHA1, nonces from the OS, a 10 s connect and 30 s total timeout,
/// proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`, rustls,
/// no redirects followed, bodies capped at 1 MiB.
///
/// ```
/// use std::time::Duration;
/// use qb_auth_core::Endpoint;
///
/// let client = qb_auth_ureq::Client::builder()
///     .endpoint(Endpoint::parse("https://apiexample.quickblox.com")?)
///     .connect_timeout(Duration::from_secs(3))
///     .timeout(Duration::from_secs(15))
///     .max_body_size(64 * 1024)
///     .build()?;
/// assert_eq!(client.endpoint().as_str(), "https://apiexample.quickblox.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct ClientBuilder {
    settings: ClientSettings,
    http: Option<ureq::Agent>,
    options: HttpOptions,
}

/// A ureq agent with the builder's timeouts and proxy.
fn build_http(options: HttpOptions) -> Result<ureq::Agent, TransportError> {
    let proxy = match &options.proxy {
        // ureq's own default: the environment.
        ProxySetting::Environment => ureq::Proxy::try_from_env(),
        ProxySetting::None => None,
        ProxySetting::Url(url) => Some(ureq::Proxy::new(url).map_err(|_| {
            // ureq's error would quote the URL, credentials and all.
            TransportError::from_kind(TransportErrorKind::Config("the proxy URL is not valid"))
        })?),
    };
    let config = crate::tls::configure(ureq::Agent::config_builder())
        // Error statuses come back as answers: QuickBlox explains itself
        // in their bodies, and the core reads them.
        .http_status_as_error(false)
        // A redirect could carry QB-Token to another host.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_connect(Some(options.connect_timeout_or_default()))
        .timeout_global(Some(options.timeout_or_default()))
        .proxy(proxy)
        .build();
    Ok(config.new_agent())
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// The defaults listed above.
    pub fn new() -> Self {
        Self {
            settings: ClientSettings::default(),
            http: None,
            options: HttpOptions::default(),
        }
    }

    /// The API host (an account's own, or an emulator's).
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.settings.endpoint = endpoint;
        self
    }

    /// JSON (the default) or form bodies for create-session and login.
    pub fn body_format(mut self, format: BodyFormat) -> Self {
        self.settings.body_format = format;
        self
    }

    /// HMAC-SHA1 (the default) or HMAC-SHA256.
    pub fn hash(mut self, hash: HashAlgorithm) -> Self {
        self.settings.hash = hash;
        self
    }

    /// Where nonces come from; `OsNonces` by default, `SequentialNonces` for
    /// reproducible tests.
    pub fn nonces(mut self, nonces: impl NonceSource + 'static) -> Self {
        self.settings.nonces = Arc::new(nonces);
        self
    }

    /// The largest answer body accepted, in bytes; a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`]. Applies to an agent passed in
    /// with [`ClientBuilder::http_client`] too.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.settings.max_body = bytes;
        self
    }

    /// Uses your own `ureq::Agent` (connection pool, TLS, proxy, timeouts).
    /// Whatever it is configured with, error statuses come back as answers
    /// and redirects are not followed: this crate sets both on each request.
    /// Combining it with the HTTP options of this builder (timeouts, proxy)
    /// is an error at [`ClientBuilder::build`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use qb_auth_ureq::{Client, Error};
    ///
    /// let own = ureq::Agent::new_with_defaults();
    /// let client = Client::builder().http_client(own.clone()).build()?;
    /// # let _ = client;
    /// let err = Client::builder().http_client(own).timeout(Duration::from_secs(5)).build().unwrap_err();
    /// assert!(matches!(err, Error::Transport(_)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, agent: ureq::Agent) -> Self {
        self.http = Some(agent);
        self
    }

    /// How long connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = Some(timeout);
        self
    }

    /// How long one whole HTTP exchange may take, body included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Sends everything through this proxy (`http://`, `https://` or
    /// `socks5://` URL, credentials allowed) instead of the environment's.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.options.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Uses no proxy, ignoring the environment.
    pub fn no_proxy(mut self) -> Self {
        self.options.proxy = ProxySetting::None;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let agent = match self.http {
            Some(_) if self.options.any_set() => {
                return Err(TransportError::from_kind(TransportErrorKind::Config(
                    "timeouts and proxy belong on the ureq::Agent passed to http_client",
                ))
                .into());
            }
            Some(agent) => agent,
            None => build_http(self.options)?,
        };
        Ok(Client::from_parts(agent, self.settings))
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The proxy URL may hold credentials, so only whether one is set shows.
        let mut out = f.debug_struct("ClientBuilder");
        self.settings.debug_fields(&mut out);
        out.field("own_http_client", &self.http.is_some());
        self.options.debug_fields(&mut out);
        out.finish()
    }
}
