//! The API host requests go to.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use http::Uri;
use http::uri::{Authority, Scheme};

use crate::error::{BuildError, BuildErrorKind};

/// The base URL of a QuickBlox API host, such as the shared
/// `https://api.quickblox.com` or an account's own
/// `https://apiexample.quickblox.com`.
///
/// Parsing normalises it: trailing slashes go, so that paths never get a
/// double slash. A path prefix (for a reverse proxy) is kept.
///
/// ```
/// use qb_auth_core::Endpoint;
///
/// let ep = Endpoint::parse("https://apiexample.quickblox.com//").unwrap();
/// assert_eq!(ep.url("session.json"), "https://apiexample.quickblox.com/session.json");
/// assert_eq!(Endpoint::default().as_str(), "https://api.quickblox.com");
/// assert!(Endpoint::parse("ftp://example.com").is_err());
/// ```
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Endpoint {
    base: String,
    /// The scheme and host of a base without a path prefix, parsed once:
    /// every request's URI is put together from them without parsing text
    /// again (`request::uri`). Made from `base`, so equality and hashing
    /// leave it out; shared, so that an endpoint stays small.
    origin: Option<Arc<Origin>>,
}

/// The scheme and authority of an endpoint; cloning them shares the text.
#[derive(Clone)]
pub(crate) struct Origin {
    pub(crate) scheme: Scheme,
    pub(crate) authority: Authority,
}

impl PartialEq for Endpoint {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base
    }
}

impl Eq for Endpoint {}

impl std::hash::Hash for Endpoint {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.base.hash(state);
    }
}

impl Endpoint {
    /// The shared QuickBlox API host.
    pub const DEFAULT: &'static str = "https://api.quickblox.com";

    /// Parses an absolute `https` URL with no query or fragment; plain
    /// `http` only to a loopback host (`127.0.0.0/8`, `::1`, `localhost`),
    /// such as the emulator, since anything else would send passwords,
    /// tokens and signatures in clear text. No setting lifts this.
    /// A bare host (as `account_settings` returns for chat) is not accepted;
    /// use [`Endpoint::from_host`] for that.
    ///
    /// ```
    /// use qb_auth_core::{BuildErrorKind, Endpoint};
    ///
    /// let ep = Endpoint::parse("http://127.0.0.1:8080/qb/")?;
    /// assert_eq!(ep.as_str(), "http://127.0.0.1:8080/qb");
    /// let err = Endpoint::parse("api.quickblox.com").unwrap_err();
    /// assert!(matches!(err.kind(), BuildErrorKind::InvalidEndpoint(_)));
    /// let err = Endpoint::parse("http://api.quickblox.com").unwrap_err();
    /// assert_eq!(
    ///     err.kind(),
    ///     &BuildErrorKind::PlainHttpNotLoopback("api.quickblox.com".into())
    /// );
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn parse(url: &str) -> Result<Self, BuildError> {
        let invalid = |why: &str| BuildError::new(BuildErrorKind::InvalidEndpoint(why.to_owned()));
        let trimmed = url.trim();
        // `http::Uri` keeps such characters in a path, where a second parse
        // would trim them: an endpoint must read back as itself.
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("white space or control characters inside the URL"));
        }
        let uri: Uri = trimmed
            .parse()
            .map_err(|_| invalid("not a URL (expected https://host)"))?;
        match uri.scheme_str() {
            Some("https" | "http") => {}
            Some(_) => return Err(invalid("the scheme must be https or http")),
            None => return Err(invalid("missing scheme (expected https://host)")),
        }
        let Some(authority) = uri.authority() else {
            return Err(invalid("missing host"));
        };
        if authority.as_str().contains('@') {
            return Err(invalid("user information in the URL is not allowed"));
        }
        // Passwords, tokens and signatures must not cross a network in clear
        // text; the emulator on this machine is the one use of plain HTTP.
        if uri.scheme() == Some(&Scheme::HTTP) && !is_loopback_host(authority.host()) {
            return Err(BuildError::new(BuildErrorKind::PlainHttpNotLoopback(
                authority.host().to_owned(),
            )));
        }
        if uri.query().is_some() || trimmed.contains('#') {
            return Err(invalid("a query or fragment is not allowed"));
        }
        let path = uri.path().trim_end_matches('/');
        let scheme = uri.scheme_str().unwrap_or("https");
        let origin = match uri.scheme() {
            Some(scheme) if path.is_empty() => Some(Arc::new(Origin {
                scheme: scheme.clone(),
                authority: authority.clone(),
            })),
            _ => None,
        };
        Ok(Self {
            base: format!("{scheme}://{authority}{path}"),
            origin,
        })
    }

    /// An `https` endpoint for a bare host name such as `api.quickblox.com`.
    pub fn from_host(host: &str) -> Result<Self, BuildError> {
        Self::parse(&format!("https://{}", host.trim()))
    }

    /// The base URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The URL of `path` (with or without a leading slash) on this host.
    ///
    /// ```
    /// use qb_auth_core::Endpoint;
    ///
    /// let ep = Endpoint::parse("https://apiexample.quickblox.com/qb")?;
    /// assert_eq!(ep.url("session.json"), "https://apiexample.quickblox.com/qb/session.json");
    /// assert_eq!(ep.url("/session.json"), ep.url("session.json"));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn url(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        let mut url = String::with_capacity(self.base.len() + 1 + path.len());
        url.push_str(&self.base);
        url.push('/');
        url.push_str(path);
        url
    }

    /// The parsed scheme and host, when the base has no path prefix.
    pub(crate) fn origin(&self) -> Option<&Origin> {
        self.origin.as_deref()
    }

    pub(crate) fn uri(&self, path: &str) -> Result<Uri, BuildError> {
        Uri::try_from(self.url(path))
            .map_err(|e| BuildError::new(BuildErrorKind::Http(e.to_string())))
    }
}

/// Whether `host` (as a URL's authority gives it, IPv6 in brackets) is
/// this machine: `localhost`, `127.0.0.0/8` or `::1`. Plain HTTP goes only
/// there, and transports reach such a host directly, never through a
/// proxy.
///
/// ```
/// use qb_auth_core::is_loopback_host;
///
/// assert!(is_loopback_host("127.0.0.1") && is_loopback_host("[::1]") && is_loopback_host("LocalHost"));
/// assert!(!is_loopback_host("api.quickblox.com") && !is_loopback_host("127.0.0.1.example.com"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Default for Endpoint {
    fn default() -> Self {
        Self {
            base: Self::DEFAULT.to_owned(),
            // Static text: a clone of it is a copy of two pointers.
            origin: Some(Arc::new(Origin {
                scheme: Scheme::HTTPS,
                authority: Authority::from_static("api.quickblox.com"),
            })),
        }
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&self.base).finish()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl std::str::FromStr for Endpoint {
    type Err = BuildError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Endpoint {
    type Error = BuildError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Endpoint> for String {
    fn from(value: Endpoint) -> Self {
        value.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_port_and_path_prefix() {
        let ep = Endpoint::parse("http://127.0.0.1:8080/qb/").unwrap();
        assert_eq!(ep.url("/login.json"), "http://127.0.0.1:8080/qb/login.json");
    }

    #[test]
    fn rejects_what_is_not_a_base_url() {
        for bad in [
            "",
            "api.quickblox.com",
            "https://",
            "https://h/x?y=1",
            "https://u:p@h",
            // Found by the `endpoint` fuzz target: it parsed, but not again.
            "https://h/\u{a0}/",
            "https://h/a b",
            "https://h/\u{85}x",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn host_gets_https() {
        assert_eq!(
            Endpoint::from_host("apiexample.quickblox.com")
                .unwrap()
                .as_str(),
            "https://apiexample.quickblox.com"
        );
    }
}

#[cfg(test)]
mod plain_http_tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_for_every_host_but_loopback() {
        for remote in [
            "http://api.quickblox.com",
            "HTTP://api.quickblox.com:80/qb",
            "http://10.0.0.1",
            "http://0.0.0.0:8080",
            "http://[::ffff:127.0.0.1]",
            "http://[::2]",
            "http://127.0.0.1.example.com",
            "http://localhost.example.com",
            "http://128.0.0.1",
        ] {
            let err = Endpoint::parse(remote).expect_err(remote);
            assert!(
                matches!(err.kind(), BuildErrorKind::PlainHttpNotLoopback(_)),
                "{remote}: {err:?}"
            );
            let text = err.to_string();
            assert!(text.contains("https"), "{remote}: {text}");
            assert!(text.contains("loopback"), "{remote}: {text}");
        }
        for local in [
            "http://127.0.0.1",
            "http://127.0.0.1:8080/qb",
            "http://127.255.3.4",
            "http://[::1]:9000",
            "http://localhost:8080",
            "http://LocalHost",
            "https://api.quickblox.com",
            "https://10.0.0.1",
        ] {
            assert!(Endpoint::parse(local).is_ok(), "{local} must be accepted");
        }
    }
}
