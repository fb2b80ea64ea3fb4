//! The one origin (scheme, host, port) a client's token may go to, and
//! how a request's URI is compared with it.

use std::sync::Arc;

use http::Uri;
use qb_auth_core::Endpoint;

/// Scheme, host and port, with the scheme's default port filled in.
fn origin_parts(uri: &Uri) -> Option<(&str, &str, u16)> {
    let scheme = uri.scheme_str()?;
    Some((
        scheme,
        uri.host()?,
        port_or_default(scheme, uri.port_u16())?,
    ))
}

fn port_or_default(scheme: &str, port: Option<u16>) -> Option<u16> {
    port.or(match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })
}

/// The scheme, host and port a client's requests (and only they) may
/// carry its token to, taken apart once: every managed request and every
/// request through a middleware is compared with it, and taking the
/// endpoint's URI apart again each time was a quarter of what the reqwest
/// middleware added to a request (`cargo xtask bench`).
/// Cloned with the client: the texts are shared, not copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin(Option<OriginParts>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct OriginParts {
    scheme: &'static str,
    /// Lowercase.
    host: Arc<str>,
    port: u16,
    /// As the endpoint writes it (`127.0.0.1:8080`), which a request's
    /// URI nearly always repeats: compared first, it spares taking the
    /// request's URI apart.
    authority: Arc<str>,
}

impl Origin {
    /// `endpoint`'s origin. An endpoint is an absolute `http(s)` URL, so it
    /// always has one; should that ever change, no request matches.
    pub(crate) fn of(endpoint: &Endpoint) -> Self {
        let uri: Uri = endpoint.as_str().parse().unwrap_or_default();
        let parts = origin_parts(&uri).and_then(|(scheme, host, port)| {
            Some(OriginParts {
                scheme: ["https", "http"].into_iter().find(|s| *s == scheme)?,
                host: Arc::from(host.to_ascii_lowercase()),
                port,
                authority: Arc::from(uri.authority()?.as_str()),
            })
        });
        Self(parts)
    }

    /// Whether `uri` is for this origin. Compared in place, without
    /// allocating.
    pub(crate) fn matches_uri(&self, uri: &Uri) -> bool {
        let Some(own) = &self.0 else {
            return false;
        };
        let same_text = uri.scheme_str() == Some(own.scheme)
            && uri.authority().is_some_and(|a| {
                let (theirs, ours) = (a.as_str(), &*own.authority);
                theirs == ours || theirs.eq_ignore_ascii_case(ours)
            });
        same_text || origin_parts(uri).is_some_and(|(s, h, p)| self.matches(s, h, Some(p)))
    }

    /// Whether `scheme`, `host` and `port` (the scheme's default when
    /// `None`) are this origin: for URLs of other HTTP clients' types
    /// (middleware).
    pub(crate) fn matches(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let Some(own) = &self.0 else {
            return false;
        };
        // The scheme is http or https when it is this origin's.
        own.scheme == scheme
            && own.port == port.unwrap_or(if scheme == "https" { 443 } else { 80 })
            && (*own.host == *host || own.host.eq_ignore_ascii_case(host))
    }
}

/// The request's origin for an error message: no path or query (a query
/// could hold a secret).
pub(crate) fn describe(uri: &Uri) -> String {
    match origin_parts(uri) {
        Some((scheme, host, port)) => {
            format!("{scheme}://{}:{port}", host.to_ascii_lowercase())
        }
        None => "a URL without a scheme or host".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn origins_match_on_scheme_host_and_port() {
        let own = Origin::of(&Endpoint::parse("https://Api.QuickBlox.com").unwrap());
        let same_origin = |own: &Origin, uri: &Uri| own.matches_uri(uri);
        assert!(same_origin(
            &own,
            &uri("https://API.quickblox.com/users.json")
        ));
        assert!(same_origin(
            &own,
            &uri("https://api.quickblox.com:443/a?b=c")
        ));
        assert!(!same_origin(
            &own,
            &uri("http://api.quickblox.com/users.json")
        ));
        assert!(!same_origin(&own, &uri("https://api.quickblox.com:8443/")));
        assert!(!same_origin(
            &own,
            &uri("https://api.quickblox.com.evil.example/")
        ));
        assert!(!same_origin(&own, &uri("/users.json")));
        assert!(own.matches("https", "API.QUICKBLOX.COM", None));
        assert!(own.matches("https", "api.quickblox.com", Some(443)));
        assert!(!own.matches("http", "api.quickblox.com", None));
        let local = Origin::of(&Endpoint::parse("http://127.0.0.1:8080/qb").unwrap());
        // The same text, or the same origin written otherwise.
        assert!(local.matches_uri(&uri("http://127.0.0.1:8080/users.json")));
        assert!(!local.matches_uri(&uri("http://127.0.0.1:8081/users.json")));
        assert!(!local.matches_uri(&uri("https://127.0.0.1:8080/users.json")));
        assert!(same_origin(&own, &uri("https://me@api.quickblox.com/")));
        assert!(local.matches("http", "127.0.0.1", Some(8080)));
        assert!(!local.matches("http", "127.0.0.1", None));
        assert!(!Origin(None).matches("https", "api.quickblox.com", None));
        assert_eq!(
            describe(&uri("https://evil.example/x?token=s3cr3t")),
            "https://evil.example:443"
        );
    }
}
