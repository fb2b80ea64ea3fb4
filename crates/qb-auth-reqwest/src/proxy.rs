//! Which proxy a client this crate sets up sends through: the configured
//! one (the environment's by default), and never one for a loopback host.
//!
//! Plain `http://` goes only to loopback hosts (the emulator), and through
//! a proxy it would hand the proxy the password and the signature in the
//! clear (and reach the proxy's loopback, not this machine's). reqwest
//! reads the environment's proxy for every host, so its own reading is
//! replaced by the same variables read here, each proxy exempting
//! loopback.
//!
//! Built without a TLS feature, this crate cannot know whether reqwest can
//! speak TLS (the program's own reqwest may have it), and a reqwest that
//! cannot sends an `https://` request to an HTTP proxy as it is, in the
//! clear, instead of tunnelling it. So then no proxy is used for
//! `https://` at all: such a request goes direct, and fails there if
//! reqwest has no TLS.

use qb_auth_client::ProxySetting;
use qb_auth_core::{TransportError, TransportErrorKind};
use reqwest::{ClientBuilder, NoProxy, Proxy};

/// The hosts no proxy is used for, in `NO_PROXY` syntax.
const LOOPBACK: &str = "127.0.0.0/8, ::1, localhost";

/// Whether this crate set reqwest up with TLS; see the module's docs.
const TLS: bool = cfg!(any(
    feature = "rustls",
    feature = "rustls-ring",
    feature = "native-tls"
));

/// `builder` with the proxies `setting` names, none of them used for a
/// loopback host.
pub(crate) fn route(
    builder: ClientBuilder,
    setting: &ProxySetting,
) -> Result<ClientBuilder, TransportError> {
    // Drops reqwest's own reading of the environment.
    let builder = builder.no_proxy();
    match setting {
        ProxySetting::None => Ok(builder),
        ProxySetting::Url(url) => {
            let make = if TLS { Proxy::all } else { Proxy::http };
            let proxy = make(url).map_err(|_| {
                // reqwest's message would quote the URL, credentials and all.
                TransportError::from_kind(TransportErrorKind::Config("the proxy URL is not valid"))
            })?;
            Ok(builder.proxy(exempt(proxy, "")))
        }
        // The environment's, and any setting added later.
        _ => Ok(from_env(builder, &|name| std::env::var(name).ok())),
    }
}

/// `builder` with the environment's proxies, each exempting loopback.
fn from_env(builder: ClientBuilder, var: &dyn Fn(&str) -> Option<String>) -> ClientBuilder {
    let EnvProxies { http, https, no } = EnvProxies::read(var);
    let mut builder = builder;
    let proxies = [
        http.and_then(|url| Proxy::http(url).ok()),
        https.filter(|_| TLS).and_then(|url| Proxy::https(url).ok()),
    ];
    for proxy in proxies.into_iter().flatten() {
        builder = builder.proxy(exempt(proxy, &no));
    }
    builder
}

/// The proxy variables, read as reqwest (hyper-util) reads them.
#[derive(Debug, PartialEq, Eq)]
struct EnvProxies {
    /// For `http://` requests.
    http: Option<String>,
    /// For `https://` requests.
    https: Option<String>,
    /// `NO_PROXY`.
    no: String,
}

impl EnvProxies {
    /// Of each pair the first variable set; a scheme's own, else
    /// `ALL_PROXY`; a value that is no proxy URL ignored; none at all in a
    /// CGI program (`REQUEST_METHOD` set), where `HTTP_PROXY` would come
    /// from a request's `Proxy` header.
    fn read(var: &dyn Fn(&str) -> Option<String>) -> Self {
        let first = |names: [&str; 2]| names.into_iter().find_map(var);
        let no = first(["NO_PROXY", "no_proxy"]).unwrap_or_default();
        if var("REQUEST_METHOD").is_some() {
            return Self {
                http: None,
                https: None,
                no,
            };
        }
        let all = first(["ALL_PROXY", "all_proxy"]);
        let pick = |own: [&str; 2], usable: fn(&str) -> bool| {
            first(own)
                .filter(|url| usable(url))
                .or_else(|| all.clone().filter(|url| usable(url)))
        };
        Self {
            http: pick(["HTTP_PROXY", "http_proxy"], |url| Proxy::http(url).is_ok()),
            https: pick(["HTTPS_PROXY", "https_proxy"], |url| {
                Proxy::https(url).is_ok()
            }),
            no,
        }
    }
}

/// `proxy`, not used for loopback hosts nor for those `no` lists.
fn exempt(proxy: Proxy, no: &str) -> Proxy {
    proxy.no_proxy(NoProxy::from_string(&format!("{LOOPBACK}, {no}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(env: &[(&str, &str)]) -> EnvProxies {
        EnvProxies::read(&|name| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn some(url: &str) -> Option<String> {
        Some(url.to_owned())
    }

    #[test]
    fn the_environment_is_read_as_reqwest_reads_it() {
        let none = read(&[]);
        assert_eq!((none.http, none.https), (None, None));
        let lower = read(&[("http_proxy", "http://p:1"), ("no_proxy", "corp")]);
        assert_eq!((lower.http, lower.https), (some("http://p:1"), None));
        assert_eq!(lower.no, "corp");
        // The upper-case name wins.
        let both = read(&[("HTTP_PROXY", "http://p:1"), ("http_proxy", "http://p:2")]);
        assert_eq!(both.http, some("http://p:1"));
        // ALL_PROXY stands in for a scheme's own when it is missing or
        // unusable.
        let all = read(&[("ALL_PROXY", "http://p:4"), ("HTTP_PROXY", "")]);
        assert_eq!(
            (all.http, all.https),
            (some("http://p:4"), some("http://p:4"))
        );
        // A CGI program takes none.
        let cgi = read(&[("HTTP_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!((cgi.http, cgi.https), (None, None));
    }
}
