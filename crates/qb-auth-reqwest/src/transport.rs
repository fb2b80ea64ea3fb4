//! reqwest as the client's transport.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use qb_auth_client::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, HttpOptions, ProxySetting, Response, Transport,
};
use qb_auth_core::{HttpRequest, TransportError, TransportErrorKind, is_loopback_host};

/// A `reqwest::Client` as the transport of a [`Client`](crate::Client).
///
/// A plain-`http://` request (to a loopback host, the only kind plain HTTP
/// may go to) never goes through a proxy. A client this crate built (from
/// the builder's options) exempts loopback hosts from its proxies. A
/// `reqwest::Client` you pass in may proxy them, and reqwest cannot turn a
/// proxy off for one request, so such requests go through a direct client
/// of this transport's own instead, with the default timeouts
/// ([`DEFAULT_CONNECT_TIMEOUT`], [`DEFAULT_TIMEOUT`]) and no redirects.
#[derive(Debug, Clone)]
pub struct Reqwest {
    client: reqwest::Client,
    direct: Direct,
}

/// What plain-`http://` requests go through.
#[derive(Debug, Clone)]
enum Direct {
    /// `client`, whose proxies never take a loopback host.
    Same,
    /// A client without any proxy, built when first needed.
    Own(Arc<OnceLock<reqwest::Client>>),
}

impl From<reqwest::Client> for Reqwest {
    fn from(client: reqwest::Client) -> Self {
        Self {
            client,
            direct: Direct::Own(Arc::default()),
        }
    }
}

/// A `reqwest::ClientBuilder` set up as the client sets up its own: TLS as
/// this crate's features say, no redirects (one could carry `QB-Token` to
/// another host), and the environment's proxy (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) for every host but a loopback
/// one, which is reached directly (plain `http://` goes only there, and a
/// proxy would read it). Add your own settings and pass the result to
/// [`ClientBuilder::http_client`](qb_auth_client::ClientBuilder::http_client),
/// or put it under `TokenMiddleware` (feature
/// `middleware`). A proxy you add with `.proxy(..)` comes after these and
/// takes every host it matches, loopback ones included, unless you exempt
/// them with `Proxy::no_proxy`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let http = qb_auth_reqwest::reqwest_builder()?.pool_max_idle_per_host(4).build()?;
/// let client = qb_auth_reqwest::Client::builder().http_client(http).build()?;
/// # let _ = client; Ok(())
/// # }
/// ```
pub fn reqwest_builder() -> Result<reqwest::ClientBuilder, TransportError> {
    crate::proxy::route(base()?, &ProxySetting::Environment)
}

/// TLS as this crate's features say, and no redirects.
fn base() -> Result<reqwest::ClientBuilder, TransportError> {
    crate::tls::configure(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()))
}

impl Reqwest {
    /// The client `request` goes through.
    fn client_for(&self, request: &HttpRequest) -> Result<&reqwest::Client, TransportError> {
        let plain_loopback = request.uri().scheme_str() == Some("http")
            && request.uri().host().is_some_and(is_loopback_host);
        match &self.direct {
            Direct::Own(direct) if plain_loopback => {
                if let Some(client) = direct.get() {
                    return Ok(client);
                }
                let client = base()?
                    .no_proxy()
                    .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
                    .timeout(DEFAULT_TIMEOUT)
                    .build()
                    .map_err(config)?;
                Ok(direct.get_or_init(|| client))
            }
            _ => Ok(&self.client),
        }
    }
}

fn config(e: reqwest::Error) -> TransportError {
    TransportError::new(TransportErrorKind::Config("reqwest"), e.without_url())
}

impl Transport for Reqwest {
    async fn send(&self, request: HttpRequest, max_body: u64) -> Result<Response, TransportError> {
        let too_large =
            || TransportError::from_kind(TransportErrorKind::BodyTooLarge { limit: max_body });
        let client = self.client_for(&request)?;
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, reqwest::Body::from(body.into_vec()));
        let request = reqwest::Request::try_from(request).map_err(|e| {
            TransportError::new(TransportErrorKind::InvalidRequest, e.without_url())
        })?;
        let mut response = client.execute(request).await.map_err(classify)?;
        if response.content_length().is_some_and(|n| n > max_body) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if (bytes.len() + chunk.len()) as u64 > max_body {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut answer = http::Response::new(bytes);
        *answer.status_mut() = response.status();
        *answer.version_mut() = response.version();
        *answer.headers_mut() = std::mem::take(response.headers_mut());
        Ok(answer)
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn from_options(options: &HttpOptions) -> Result<Self, TransportError> {
        options.check()?;
        let builder = base()?
            .connect_timeout(options.connect_timeout_or_default())
            .timeout(options.timeout_or_default());
        let client = crate::proxy::route(builder, &options.proxy)?
            .build()
            .map_err(config)?;
        Ok(Self {
            client,
            direct: Direct::Same,
        })
    }
}

/// Sorts reqwest's error into the transport-neutral kinds, without its URL.
fn classify(err: reqwest::Error) -> TransportError {
    let kind = if err.is_timeout() {
        TransportErrorKind::Timeout
    } else if is_not_http(&err) {
        TransportErrorKind::Protocol
    } else if err.is_connect() {
        TransportErrorKind::Connect
    } else if err.is_builder() {
        TransportErrorKind::InvalidRequest
    } else if err.is_body() || err.is_decode() || err.is_request() {
        TransportErrorKind::Connection
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, err.without_url())
}

/// Whether hyper could not read the answer as HTTP (a bad status line, a
/// head too large), which reqwest reports like a broken connection.
fn is_not_http(err: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            return hyper.is_parse();
        }
        source = cause.source();
    }
    false
}
