//! What a client is set up with, whatever moves its bytes: the settings
//! every request is built and read with, and the HTTP options an adapter
//! applies to an HTTP client it builds itself.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{TransportError, TransportErrorKind};
use crate::{BodyFormat, BuildError, Endpoint, HashAlgorithm, Nonce, NonceSource};

/// The default cap on an answer's body: 1 MiB. Authentication answers are
/// a few hundred bytes; raise it for large resources.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default total timeout of one HTTP exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How a client builds its requests and how much of an answer it reads:
/// the part of an adapter's client that does not depend on the transport.
///
/// The default: the shared host `https://api.quickblox.com`, JSON bodies,
/// HMAC-SHA1, nonces from the OS, bodies capped at [`DEFAULT_MAX_BODY`].
///
/// ```
/// use qb_auth_core::adapter::ClientSettings;
/// use qb_auth_core::{BodyFormat, Endpoint, SequentialNonces};
/// use std::sync::Arc;
///
/// let settings = ClientSettings {
///     endpoint: Endpoint::parse("https://apiexample.quickblox.com")?,
///     body_format: BodyFormat::Form,
///     nonces: Arc::new(SequentialNonces::starting_at(7)),
///     ..ClientSettings::default()
/// };
/// assert_eq!(settings.next_nonce()?.get(), 7);
/// assert_eq!(settings.max_body, 1024 * 1024);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ClientSettings {
    /// The API host (an account's own, or an emulator's).
    pub endpoint: Endpoint,
    /// JSON or form bodies for create-session and login.
    pub body_format: BodyFormat,
    /// HMAC-SHA1 or HMAC-SHA256.
    pub hash: HashAlgorithm,
    /// Where nonces come from.
    pub nonces: Arc<dyn NonceSource>,
    /// The largest answer body accepted, in bytes.
    pub max_body: u64,
}

#[cfg(feature = "getrandom")]
impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            endpoint: Endpoint::default(),
            body_format: BodyFormat::default(),
            hash: HashAlgorithm::default(),
            nonces: Arc::new(crate::OsNonces),
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

impl ClientSettings {
    /// A fresh nonce from the settings' source.
    ///
    /// ```
    /// use qb_auth_core::adapter::ClientSettings;
    /// use qb_auth_core::SequentialNonces;
    /// use std::sync::Arc;
    ///
    /// let settings = ClientSettings { nonces: Arc::new(SequentialNonces::starting_at(1)), ..Default::default() };
    /// assert_eq!(settings.next_nonce()?.get(), 1);
    /// assert_eq!(settings.next_nonce()?.get(), 2);
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn next_nonce(&self) -> Result<Nonce, BuildError> {
        self.nonces.next_nonce()
    }

    /// Adds the settings to the `Debug` of the adapter's client or builder.
    ///
    /// ```
    /// use std::fmt;
    /// use qb_auth_core::adapter::ClientSettings;
    ///
    /// struct Client(ClientSettings);
    ///
    /// impl fmt::Debug for Client {
    ///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    ///         let mut out = f.debug_struct("Client");
    ///         self.0.debug_fields(&mut out);
    ///         out.finish()
    ///     }
    /// }
    ///
    /// let text = format!("{:?}", Client(ClientSettings::default()));
    /// assert!(text.starts_with("Client { endpoint: "), "{text}");
    /// assert!(text.ends_with("max_body: 1048576 }"), "{text}");
    /// ```
    pub fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        out.field("endpoint", &self.endpoint)
            .field("body_format", &self.body_format)
            .field("hash", &self.hash)
            .field("nonces", &self.nonces)
            .field("max_body", &self.max_body);
    }
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ClientSettings");
        self.debug_fields(&mut out);
        out.finish()
    }
}

/// Timeouts and proxy for an HTTP client an adapter builds itself. A
/// client the caller brings keeps its own; setting these as well is a
/// contradiction the adapter refuses ([`HttpOptions::any_set`]).
///
/// ```
/// use std::time::Duration;
/// use qb_auth_core::adapter::{HttpOptions, ProxySetting, DEFAULT_TIMEOUT};
///
/// let mut options = HttpOptions::default();
/// assert!(!options.any_set());
/// assert_eq!(options.timeout_or_default(), DEFAULT_TIMEOUT);
/// options.timeout = Some(Duration::from_secs(5));
/// options.proxy = ProxySetting::None;
/// assert!(options.any_set());
/// assert_eq!(options.timeout_or_default(), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// How long connecting may take ([`DEFAULT_CONNECT_TIMEOUT`] if unset).
    pub connect_timeout: Option<Duration>,
    /// How long one whole exchange may take ([`DEFAULT_TIMEOUT`] if unset).
    pub timeout: Option<Duration>,
    /// Which proxy to use.
    pub proxy: ProxySetting,
}

impl HttpOptions {
    /// Whether any option was set.
    ///
    /// ```
    /// use qb_auth_core::adapter::{HttpOptions, ProxySetting};
    ///
    /// let explicit = HttpOptions { proxy: ProxySetting::Url("http://proxy:3128".into()), ..Default::default() };
    /// assert!(explicit.any_set());
    /// assert!(!HttpOptions::default().any_set());
    /// ```
    pub fn any_set(&self) -> bool {
        self.connect_timeout.is_some()
            || self.timeout.is_some()
            || !matches!(self.proxy, ProxySetting::Environment)
    }

    /// The connect timeout, or [`DEFAULT_CONNECT_TIMEOUT`].
    ///
    /// ```
    /// use qb_auth_core::adapter::{HttpOptions, DEFAULT_CONNECT_TIMEOUT};
    ///
    /// assert_eq!(HttpOptions::default().connect_timeout_or_default(), DEFAULT_CONNECT_TIMEOUT);
    /// ```
    pub fn connect_timeout_or_default(&self) -> Duration {
        self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }

    /// The total timeout, or [`DEFAULT_TIMEOUT`].
    ///
    /// ```
    /// use qb_auth_core::adapter::{HttpOptions, DEFAULT_TIMEOUT};
    ///
    /// assert_eq!(HttpOptions::default().timeout_or_default(), DEFAULT_TIMEOUT);
    /// ```
    pub fn timeout_or_default(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT)
    }

    /// Adds the options to the `Debug` of the adapter's builder; the proxy
    /// shows as `"environment"`, `"none"` or `"explicit"`, since its URL may
    /// hold credentials.
    ///
    /// ```
    /// use std::fmt;
    /// use qb_auth_core::adapter::{HttpOptions, ProxySetting};
    ///
    /// struct Builder(HttpOptions);
    ///
    /// impl fmt::Debug for Builder {
    ///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    ///         let mut out = f.debug_struct("Builder");
    ///         self.0.debug_fields(&mut out);
    ///         out.finish()
    ///     }
    /// }
    ///
    /// let proxy = ProxySetting::Url("http://user:pa55@proxy:3128".into());
    /// let text = format!("{:?}", Builder(HttpOptions { proxy, ..Default::default() }));
    /// assert_eq!(text, r#"Builder { connect_timeout: None, timeout: None, proxy: "explicit" }"#);
    /// ```
    pub fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        out.field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy.as_str());
    }
}

/// Where an adapter's own HTTP client sends its requests.
///
/// ```
/// use qb_auth_core::adapter::ProxySetting;
///
/// assert!(matches!(ProxySetting::default(), ProxySetting::Environment));
/// let proxy = ProxySetting::Url("http://user:pa55@proxy:3128".into());
/// assert_eq!(format!("{proxy:?}"), "explicit", "the URL may hold credentials");
/// ```
#[derive(Clone, Default)]
pub enum ProxySetting {
    /// From `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`.
    #[default]
    Environment,
    /// Straight to the host, whatever the environment says.
    None,
    /// Through this proxy: an `http://` or `https://` URL, credentials
    /// allowed. [`ProxySetting::check`] says whether an adapter can use it.
    Url(String),
}

impl ProxySetting {
    /// `"environment"`, `"none"` or `"explicit"`: never the URL.
    ///
    /// ```
    /// use qb_auth_core::adapter::ProxySetting;
    ///
    /// assert_eq!(ProxySetting::Url("http://user:pa55@proxy:3128".into()).as_str(), "explicit");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Environment => "environment",
            Self::None => "none",
            Self::Url(_) => "explicit",
        }
    }
}

impl ProxySetting {
    /// Checks an explicit proxy URL before a client is built with it, the
    /// same way for every adapter: the transports differ in what they let
    /// through to the first request (an out-of-range port, a scheme they
    /// cannot speak). The error never quotes the URL, which may hold
    /// credentials.
    ///
    /// ```
    /// use qb_auth_core::adapter::ProxySetting;
    ///
    /// let proxy = |url: &str| ProxySetting::Url(url.to_owned()).check();
    /// assert!(proxy("http://user:pa55@127.0.0.1:3128").is_ok());
    /// assert!(proxy("https://[::1]:8443").is_ok());
    /// let err = proxy("http://user:pa55@127.0.0.1:99999").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "the HTTP client cannot be set up: the proxy URL's port is not a number from 1 to 65535"
    /// );
    /// assert!(!format!("{err:?}").contains("pa55"));
    /// assert!(proxy("socks5://127.0.0.1:1080").is_err(), "no SOCKS support is built in");
    /// assert!(ProxySetting::Environment.check().is_ok());
    /// ```
    pub fn check(&self) -> Result<(), TransportError> {
        let Self::Url(url) = self else {
            return Ok(());
        };
        proxy_url_problem(url).map_or(Ok(()), |why| {
            Err(TransportError::from_kind(TransportErrorKind::Config(why)))
        })
    }
}

/// What is wrong with a proxy URL, if anything.
fn proxy_url_problem(url: &str) -> Option<&'static str> {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return Some("the proxy URL is not a URL");
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Some("the proxy URL must start with http:// or https://");
    }
    // `http::Uri` drops a port it cannot read, so the text is read here.
    let Some(authority) = uri.authority() else {
        return Some("the proxy URL has no host");
    };
    let host_port = authority.as_str().rsplit('@').next().unwrap_or_default();
    let port = match host_port.rsplit_once(':') {
        Some((host, port)) if !host_port.ends_with(']') => {
            if host.is_empty() {
                return Some("the proxy URL has no host");
            }
            Some(port)
        }
        _ => None,
    };
    if uri.host().is_none_or(str::is_empty) {
        return Some("the proxy URL has no host");
    }
    match port.map(str::parse::<u16>) {
        Some(Ok(0) | Err(_)) => Some("the proxy URL's port is not a number from 1 to 65535"),
        _ => None,
    }
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold credentials.
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_checked_without_quoting_them() {
        for good in [
            "http://127.0.0.1:3128",
            "http://proxy",
            "https://user:pa55@proxy.example:8443",
            "http://[::1]",
            "http://[::1]:8080",
        ] {
            assert_eq!(proxy_url_problem(good), None, "{good}");
        }
        let cases = [
            ("not a url", "the proxy URL is not a URL"),
            (
                "ftp://proxy:21",
                "the proxy URL must start with http:// or https://",
            ),
            (
                "socks5://127.0.0.1:1080",
                "the proxy URL must start with http:// or https://",
            ),
            (
                "proxy:3128",
                "the proxy URL must start with http:// or https://",
            ),
            ("http://:3128", "the proxy URL has no host"),
            ("http://u:pa55@:3128", "the proxy URL has no host"),
            (
                "http://127.0.0.1:99999",
                "the proxy URL's port is not a number from 1 to 65535",
            ),
            (
                "http://127.0.0.1:0",
                "the proxy URL's port is not a number from 1 to 65535",
            ),
            (
                "http://127.0.0.1:",
                "the proxy URL's port is not a number from 1 to 65535",
            ),
            (
                "http://u:pa55@h:port",
                "the proxy URL's port is not a number from 1 to 65535",
            ),
        ];
        for (bad, why) in cases {
            assert_eq!(proxy_url_problem(bad), Some(why), "{bad}");
            let err = ProxySetting::Url(bad.to_owned()).check().unwrap_err();
            assert!(!format!("{err} {err:?}").contains("pa55"), "{bad}");
        }
        assert!(ProxySetting::None.check().is_ok());
    }
}
