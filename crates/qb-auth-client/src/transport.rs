//! The seam: what a transport does for the client, and how it is set up.
//!
//! A transport sends one [`HttpRequest`] and hands back the answer with its
//! body read (up to a cap). That is all the client needs from an HTTP
//! client; signing, parsing, retries, renewal and tracing are the client's.

use std::fmt;
use std::time::Duration;

use qb_auth_core::{HttpRequest, TransportError, TransportErrorKind};

/// An answer with its body read: what every transport hands back.
pub type Response = http::Response<Vec<u8>>;

/// How long a transport built by the client waits for a connection, unless
/// [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)
/// says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one exchange may take in all (connect, send, read), unless
/// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout) says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest timeout a client is built with: a day. A longer one (such
/// as `Duration::MAX`, meant as "no limit") is refused by
/// [`ClientBuilder::build`](crate::ClientBuilder::build): no QuickBlox call
/// needs it, and a deadline that far out overflows some clocks.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The largest answer body read, unless
/// [`ClientBuilder::max_body_size`](crate::ClientBuilder::max_body_size)
/// says otherwise. QuickBlox's auth answers are a few hundred bytes.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;

/// An async HTTP client the [`Client`](crate::Client) can drive.
///
/// Implement [`send`](Self::send) and [`sleep`](Self::sleep) for any HTTP
/// client and runtime; `qb-auth-reqwest` is the one the project ships.
///
/// A transport must send the request as given (no redirects: one could
/// carry `QB-Token` to another host), return error statuses as answers
/// (QuickBlox explains itself in their bodies), and refuse a body larger
/// than `max_body` with [`TransportErrorKind::BodyTooLarge`].
///
/// ```
/// use std::time::Duration;
/// use qb_auth_client::{Response, Transport};
/// use qb_auth_core::{HttpRequest, TransportError};
///
/// /// Answers every request with a canned session.
/// struct Canned;
///
/// impl Transport for Canned {
///     async fn send(&self, _: HttpRequest, _: u64) -> Result<Response, TransportError> {
///         let body = br#"{"session":{"token":"abc","application_id":1,"user_id":0}}"#;
///         Ok(http::Response::builder().status(201).body(body.to_vec()).unwrap())
///     }
///
///     async fn sleep(&self, duration: Duration) {
///         tokio::time::sleep(duration).await
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use qb_auth_core::{AppCredentials, Identity, SecretString};
///
/// let client = qb_auth_client::AsyncClient::over(Canned);
/// let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
/// let session = client.create_session(&app, &Identity::application()).await?;
/// assert_eq!(session.token.expose(), "abc");
/// # Ok(())
/// # }
/// ```
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and reads the answer's body, refusing one larger
    /// than `max_body` bytes.
    fn send(
        &self,
        request: HttpRequest,
        max_body: u64,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send;

    /// Waits for `duration` on the transport's runtime: backoff between
    /// renewal attempts, and a bound on waiting for another task's renewal.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;

    /// Builds the transport from the builder's options when the caller
    /// passed none. A transport that is only ever built by its user keeps
    /// this default, which says so.
    fn from_options(options: &HttpOptions) -> Result<Self, TransportError>
    where
        Self: Sized,
    {
        let _ = options;
        Err(not_buildable())
    }
}

/// A blocking HTTP client the blocking [`Client`](crate::Client) can drive.
///
/// The same contract as [`Transport`], on the caller's thread: the client
/// starts no runtime and no thread, and waits with the standard library.
///
/// ```
/// use qb_auth_client::{BlockingTransport, Response};
/// use qb_auth_core::{HttpRequest, TransportError};
///
/// struct Canned;
///
/// impl BlockingTransport for Canned {
///     fn send(&self, _: HttpRequest, _: u64) -> Result<Response, TransportError> {
///         let body = br#"{"session":{"token":"abc","application_id":1,"user_id":0}}"#;
///         Ok(http::Response::builder().status(201).body(body.to_vec()).unwrap())
///     }
/// }
///
/// use qb_auth_core::{AppCredentials, Identity, SecretString};
///
/// let client = qb_auth_client::BlockingClient::over(Canned);
/// let app = AppCredentials::new(1, "key", SecretString::from("secret"))?;
/// let session = client.create_session(&app, &Identity::application())?;
/// assert_eq!(session.token.expose(), "abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait BlockingTransport: Send + Sync + 'static {
    /// Sends `request` and reads the answer's body, refusing one larger
    /// than `max_body` bytes.
    fn send(&self, request: HttpRequest, max_body: u64) -> Result<Response, TransportError>;

    /// Builds the transport from the builder's options; see
    /// [`Transport::from_options`].
    fn from_options(options: &HttpOptions) -> Result<Self, TransportError>
    where
        Self: Sized,
    {
        let _ = options;
        Err(not_buildable())
    }
}

fn not_buildable() -> TransportError {
    TransportError::from_kind(TransportErrorKind::Config(
        "this transport is built by its user: pass it to ClientBuilder::http_client",
    ))
}

/// What the builder asks of a transport it builds: timeouts and a proxy.
///
/// A transport built from these reaches a loopback host (`localhost`,
/// `127.0.0.0/8`, `::1`: the only hosts plain `http://` may go to)
/// directly, whatever [`proxy`](Self::proxy) says: a proxy would see the
/// password and the signature in the clear.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HttpOptions {
    /// The connect timeout, if set.
    pub connect_timeout: Option<Duration>,
    /// The total timeout of one exchange, if set.
    pub timeout: Option<Duration>,
    /// Which proxy to use (never for a loopback host).
    pub proxy: ProxySetting,
}

impl HttpOptions {
    /// Refuses what no transport can use: a timeout of zero or longer than
    /// [`MAX_TIMEOUT`], or a proxy URL [`ProxySetting::check`] refuses.
    /// Transports call it before building, so that a bad value is an error
    /// at build time and never a panic on the first call.
    ///
    /// ```
    /// use std::time::Duration;
    /// use qb_auth_client::HttpOptions;
    ///
    /// let mut options = HttpOptions::default();
    /// assert!(options.check().is_ok());
    /// options.timeout = Some(Duration::MAX);
    /// assert!(options.check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), TransportError> {
        let usable = |t: Option<Duration>| t.is_none_or(|t| !t.is_zero() && t <= MAX_TIMEOUT);
        if !usable(self.connect_timeout) {
            return Err(TransportError::from_kind(TransportErrorKind::Config(
                "the connect timeout must be longer than zero and at most a day (MAX_TIMEOUT)",
            )));
        }
        if !usable(self.timeout) {
            return Err(TransportError::from_kind(TransportErrorKind::Config(
                "the timeout must be longer than zero and at most a day (MAX_TIMEOUT)",
            )));
        }
        self.proxy.check()
    }

    /// Whether any option is set, which a caller-built transport would
    /// silently ignore.
    pub(crate) fn any_set(&self) -> bool {
        self.connect_timeout.is_some()
            || self.timeout.is_some()
            || !matches!(self.proxy, ProxySetting::Environment)
    }

    /// The connect timeout, or [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout_or_default(&self) -> Duration {
        self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }

    /// The total timeout, or [`DEFAULT_TIMEOUT`].
    pub fn timeout_or_default(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT)
    }
}

/// Which proxy a built transport uses for hosts other than loopback ones,
/// which it always reaches directly.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum ProxySetting {
    /// `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY` from the
    /// environment (and their lower-case forms).
    #[default]
    Environment,
    /// No proxy, whatever the environment says.
    None,
    /// This proxy URL (`http://` or `https://`), checked when the client
    /// is built.
    Url(String),
}

impl ProxySetting {
    /// Refuses a proxy URL that no transport can use, without quoting it
    /// (it may hold credentials).
    pub fn check(&self) -> Result<(), TransportError> {
        let Self::Url(url) = self else {
            return Ok(());
        };
        proxy_url_problem(url).map_or(Ok(()), |why| {
            Err(TransportError::from_kind(TransportErrorKind::Config(why)))
        })
    }

    fn as_str(&self) -> &'static str {
        match self {
            Self::Environment => "environment",
            Self::None => "none",
            Self::Url(_) => "explicit",
        }
    }
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold credentials.
        f.write_str(self.as_str())
    }
}

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
        assert_eq!(
            format!("{:?}", ProxySetting::Url("http://u:pa55@h".into())),
            "explicit"
        );
    }
}
