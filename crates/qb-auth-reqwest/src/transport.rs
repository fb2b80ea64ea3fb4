//! reqwest as the client's transport.

use std::time::Duration;

use qb_auth_client::{HttpOptions, ProxySetting, Response, Transport};
use qb_auth_core::{HttpRequest, TransportError, TransportErrorKind};

/// A `reqwest::Client` as the transport of a [`Client`](crate::Client).
#[derive(Debug, Clone)]
pub struct Reqwest(reqwest::Client);

impl From<reqwest::Client> for Reqwest {
    fn from(client: reqwest::Client) -> Self {
        Self(client)
    }
}

/// A `reqwest::ClientBuilder` set up as the client sets up its own: TLS as
/// this crate's features say, and no redirects (one could carry `QB-Token`
/// to another host). Add your own settings and pass the result to
/// [`ClientBuilder::http_client`](qb_auth_client::ClientBuilder::http_client).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let http = qb_auth_reqwest::reqwest_builder()?.pool_max_idle_per_host(4).build()?;
/// let client = qb_auth_reqwest::Client::builder().http_client(http).build()?;
/// # let _ = client; Ok(())
/// # }
/// ```
pub fn reqwest_builder() -> Result<reqwest::ClientBuilder, TransportError> {
    crate::tls::configure(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()))
}

impl Transport for Reqwest {
    async fn send(&self, request: HttpRequest, max_body: u64) -> Result<Response, TransportError> {
        let too_large =
            || TransportError::from_kind(TransportErrorKind::BodyTooLarge { limit: max_body });
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, reqwest::Body::from(body.into_vec()));
        let request = reqwest::Request::try_from(request).map_err(|e| {
            TransportError::new(TransportErrorKind::InvalidRequest, e.without_url())
        })?;
        let mut response = self.0.execute(request).await.map_err(classify)?;
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
        let config = |e: reqwest::Error| {
            TransportError::new(TransportErrorKind::Config("reqwest"), e.without_url())
        };
        let mut builder = reqwest_builder()?
            .connect_timeout(options.connect_timeout_or_default())
            .timeout(options.timeout_or_default());
        builder = match &options.proxy {
            ProxySetting::None => builder.no_proxy(),
            ProxySetting::Url(url) => builder.proxy(reqwest::Proxy::all(url).map_err(config)?),
            // The environment's, as reqwest reads it by default.
            _ => builder,
        };
        builder.build().map(Self).map_err(config)
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
