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
    options.proxy.check()?;
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
    ///
    /// ```
    /// use qb_auth_core::BodyFormat;
    /// use qb_auth_ureq::ClientBuilder;
    ///
    /// let client = ClientBuilder::new().build()?;
    /// assert_eq!(client.endpoint().as_str(), "https://api.quickblox.com");
    /// assert_eq!(client.body_format(), BodyFormat::Json);
    /// # Ok::<(), qb_auth_ureq::Error>(())
    /// ```
    pub fn new() -> Self {
        Self {
            settings: ClientSettings::default(),
            http: None,
            options: HttpOptions::default(),
        }
    }

    /// The API host (an account's own, or an emulator's).
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// let client = qb_auth_ureq::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// client.create_session(&app, &Identity::application())?;
    /// assert_eq!(emulator.stats().sessions_created, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.settings.endpoint = endpoint;
        self
    }

    /// JSON (the default) or form bodies for create-session and login.
    ///
    /// ```
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// # let endpoint = Endpoint::parse(emulator.base_url())?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// // `endpoint`: the emulator's; `app`: the demo application's credentials.
    /// use qb_auth_core::BodyFormat;
    ///
    /// let client = qb_auth_ureq::Client::builder().endpoint(endpoint).body_format(BodyFormat::Form).build()?;
    /// assert_eq!(client.body_format(), BodyFormat::Form);
    /// // alice's password has `@`, ` `, `&` and `=`: the form encoding keeps them intact.
    /// let alice = Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?;
    /// assert_eq!(client.create_session(&app, &alice)?.user(), Some(fixtures::ALICE_ID));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn body_format(mut self, format: BodyFormat) -> Self {
        self.settings.body_format = format;
        self
    }

    /// HMAC-SHA1 (the default) or HMAC-SHA256.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, Endpoint, HashAlgorithm, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, AppConfig, Emulator};
    ///
    /// // QuickBlox documents SHA-1 only; this emulated application accepts SHA-256 too.
    /// let emulated = AppConfig::new(fixtures::APP_ID, fixtures::AUTH_KEY, fixtures::AUTH_SECRET).accept_sha256(true);
    /// let emulator = Emulator::builder().app(emulated).start_blocking()?;
    /// let client = qb_auth_ureq::Client::builder()
    ///     .endpoint(Endpoint::parse(emulator.base_url())?)
    ///     .hash(HashAlgorithm::Sha256)
    ///     .build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// assert!(client.create_session(&app, &Identity::application()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hash(mut self, hash: HashAlgorithm) -> Self {
        self.settings.hash = hash;
        self
    }

    /// Where nonces come from; `OsNonces` by default, `SequentialNonces` for
    /// reproducible tests.
    ///
    /// ```
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// # let endpoint = Endpoint::parse(emulator.base_url())?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// // `endpoint`: the emulator's; `app`: the demo application's credentials.
    /// use qb_auth_core::SequentialNonces;
    ///
    /// let client = qb_auth_ureq::Client::builder().endpoint(endpoint).nonces(SequentialNonces::starting_at(4242)).build()?;
    /// let first = client.create_session(&app, &Identity::application())?;
    /// let second = client.create_session(&app, &Identity::application())?;
    /// assert_eq!(first.nonce.as_deref(), Some("4242"));
    /// assert_eq!(second.nonce.as_deref(), Some("4243"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn nonces(mut self, nonces: impl NonceSource + 'static) -> Self {
        self.settings.nonces = Arc::new(nonces);
        self
    }

    /// The largest answer body accepted, in bytes; a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`]. Applies to an agent passed in
    /// with [`ClientBuilder::http_client`] too.
    ///
    /// ```
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// # let endpoint = Endpoint::parse(emulator.base_url())?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// // `endpoint`: the emulator's; `app`: the demo application's credentials.
    /// use qb_auth_ureq::{Error, TransportErrorKind};
    ///
    /// let client = qb_auth_ureq::Client::builder().endpoint(endpoint).max_body_size(64).build()?;
    /// // A session answer is longer than 64 bytes.
    /// let err = client.create_session(&app, &Identity::application()).unwrap_err();
    /// let Error::Transport(transport) = err else { panic!("{err}") };
    /// assert_eq!(transport.kind(), &TransportErrorKind::BodyTooLarge { limit: 64 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use qb_auth_core::Endpoint;
    /// use qb_auth_emulator::Emulator;
    ///
    /// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// let client = qb_auth_ureq::Client::builder()
    ///     .endpoint(Endpoint::parse(emulator.base_url())?)
    ///     // Loopback connects at once; a host that never answers fails after 0.5 s.
    ///     .connect_timeout(Duration::from_millis(500))
    ///     .build()?;
    /// let users = http::Request::get(client.endpoint().url("users.json")).body(())?;
    /// assert_eq!(client.send(users)?.status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = Some(timeout);
        self
    }

    /// How long one whole HTTP exchange may take, body included (default 30 s).
    ///
    /// ```
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # use qb_auth_emulator::{fixtures, Emulator};
    /// # let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// # let endpoint = Endpoint::parse(emulator.base_url())?;
    /// # let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// // `emulator`: a running emulator at `endpoint`; `app`: the demo application's credentials.
    /// use std::time::Duration;
    /// use qb_auth_ureq::{Error, TransportErrorKind};
    ///
    /// emulator.set_latency(Duration::from_millis(500));
    /// let client = qb_auth_ureq::Client::builder().endpoint(endpoint).timeout(Duration::from_millis(100)).build()?;
    /// let err = client.create_session(&app, &Identity::application()).unwrap_err();
    /// let Error::Transport(transport) = err else { panic!("{err}") };
    /// assert_eq!(transport.kind(), &TransportErrorKind::Timeout);
    /// assert!(transport.is_retryable());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Sends everything through this proxy (an `http://` or `https://` URL,
    /// credentials allowed) instead of the environment's. A URL the client
    /// cannot use fails at `build`, checked the same way by both adapters
    /// ([`ProxySetting::check`](qb_auth_core::adapter::ProxySetting::check)).
    ///
    /// ```
    /// use qb_auth_ureq::{Client, Error};
    ///
    /// let builder = Client::builder().proxy("http://proxy-user:proxy-pass@127.0.0.1:3128");
    /// // The proxy's credentials stay out of Debug.
    /// assert!(!format!("{builder:?}").contains("proxy-pass"));
    /// assert!(builder.build().is_ok());
    /// // Something that is not a URL, or a port out of range, fails at build.
    /// let err = Client::builder().proxy("not a url").build().unwrap_err();
    /// assert!(matches!(err, Error::Transport(_)));
    /// let err = Client::builder().proxy("http://127.0.0.1:99999").build().unwrap_err();
    /// assert!(err.to_string().contains("port is not a number from 1 to 65535"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.options.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Uses no proxy, ignoring the environment.
    ///
    /// ```
    /// use qb_auth_core::Endpoint;
    /// use qb_auth_emulator::Emulator;
    ///
    /// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
    /// // Straight to the emulator, whatever HTTPS_PROXY, HTTP_PROXY or ALL_PROXY say.
    /// let client = qb_auth_ureq::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).no_proxy().build()?;
    /// let users = http::Request::get(client.endpoint().url("users.json")).body(())?;
    /// assert_eq!(client.send(users)?.status(), 401);
    /// assert_eq!(emulator.stats().requests, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn no_proxy(mut self) -> Self {
        self.options.proxy = ProxySetting::None;
        self
    }

    /// Builds the client.
    ///
    /// ```
    /// use qb_auth_core::Endpoint;
    /// use qb_auth_ureq::{Client, Error, TransportErrorKind};
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse("https://apiexample.quickblox.com")?).build()?;
    /// assert_eq!(client.endpoint().as_str(), "https://apiexample.quickblox.com");
    /// // Settings that contradict each other fail here: a proxy belongs on your own agent.
    /// let err = Client::builder().http_client(ureq::Agent::new_with_defaults()).no_proxy().build().unwrap_err();
    /// assert!(matches!(&err, Error::Transport(t) if matches!(t.kind(), TransportErrorKind::Config(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
