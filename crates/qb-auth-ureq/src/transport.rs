//! ureq as the client's transport.

use std::io;
use std::sync::Once;

use qb_auth_client::{BlockingTransport, HttpOptions, ProxySetting, Response};
use qb_auth_core::{HttpRequest, TransportError, TransportErrorKind, is_loopback_host};

/// A `ureq::Agent` as the transport of a [`Client`](crate::Client).
///
/// A request for a loopback host (the only kind plain `http://` may go to)
/// is sent with the agent's proxy turned off for it, also on an agent you
/// bring yourself: a proxy would read its password and signature in the
/// clear.
#[derive(Debug, Clone)]
pub struct Ureq(ureq::Agent);

impl From<ureq::Agent> for Ureq {
    fn from(agent: ureq::Agent) -> Self {
        Self(agent)
    }
}

impl BlockingTransport for Ureq {
    fn send(&self, request: HttpRequest, max_body: u64) -> Result<Response, TransportError> {
        warn_if_bytes_are_logged();
        let (parts, body) = request.into_parts();
        // The body is lent, not copied, so the core's copy stays the only one
        // and is zeroized when dropped.
        let answer = if body.is_empty() {
            self.run(http::Request::from_parts(parts, ()), max_body)
        } else {
            self.run(http::Request::from_parts(parts, body.as_bytes()), max_body)
        }?;
        let (parts, mut body) = answer.into_parts();
        let bytes = body
            .with_config()
            .limit(max_body)
            .read_to_vec()
            .map_err(|e| classify(e, max_body))?;
        Ok(http::Response::from_parts(parts, bytes))
    }

    fn from_options(options: &HttpOptions) -> Result<Self, TransportError> {
        // A timeout too long for ureq's clock is refused here, not met as
        // a panic on the first call.
        options.check()?;
        let proxy = match &options.proxy {
            ProxySetting::None => None,
            ProxySetting::Url(url) => Some(ureq::Proxy::new(url).map_err(|_| {
                // ureq's error would quote the URL, credentials and all.
                TransportError::from_kind(TransportErrorKind::Config("the proxy URL is not valid"))
            })?),
            // ureq's own default: the environment.
            _ => ureq::Proxy::try_from_env(),
        };
        let config = crate::tls::configure(ureq::Agent::config_builder())
            .timeout_connect(Some(options.connect_timeout_or_default()))
            .timeout_global(Some(options.timeout_or_default()))
            .proxy(proxy)
            .build();
        Ok(Self(config.new_agent()))
    }
}

impl Ureq {
    fn run(
        &self,
        request: http::Request<impl ureq::AsSendBody>,
        max_body: u64,
    ) -> Result<http::Response<ureq::Body>, TransportError> {
        // Set per request, so that an agent passed in by the caller behaves
        // the same: error statuses come back as answers with their bodies
        // (QuickBlox explains itself there), no redirect is followed (it
        // could carry QB-Token to another host), and a loopback host is
        // reached directly.
        let direct = request.uri().host().is_some_and(is_loopback_host);
        let mut config = self
            .0
            .configure_request(request)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false);
        if direct {
            config = config.proxy(None);
        }
        let request = config.build();
        self.0.run(request).map_err(|e| classify(e, max_body))
    }
}

/// `ureq_proto` hex-dumps every byte sent and read at `trace`, and ureq has
/// no setting to stop it: say so, once, where the user's logger will show
/// it.
fn warn_if_bytes_are_logged() {
    static WARNED: Once = Once::new();
    if log::log_enabled!(target: "ureq_proto::util", log::Level::Trace) {
        WARNED.call_once(|| {
            log::error!(
                "qb-auth-ureq: TRACE logging is on for ureq_proto, which writes every request \
                 and answer byte by byte, session tokens, API keys and passwords included; set \
                 the filter ureq_proto=debug (for example RUST_LOG=trace,ureq_proto=debug)"
            );
        });
    }
}

/// Sorts ureq's error into the transport-neutral kinds.
fn classify(err: ureq::Error, max_body: u64) -> TransportError {
    use TransportErrorKind as K;
    let kind = match &err {
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => K::Connect,
        ureq::Error::ConnectProxyFailed(_) => return TransportError::from_kind(K::Connect),
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => K::Timeout,
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::NotFound => K::Connect,
            _ => K::Connection,
        },
        ureq::Error::BodyExceedsLimit(_) => K::BodyTooLarge { limit: max_body },
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => K::Protocol,
        ureq::Error::Tls(_) | ureq::Error::TlsRequired => K::Tls,
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(_) | ureq::Error::Pem(_) => K::Tls,
        #[cfg(feature = "native-tls")]
        ureq::Error::NativeTls(_) | ureq::Error::Der(_) => K::Tls,
        // ureq's message would quote the URL.
        ureq::Error::BadUri(_) | ureq::Error::RequireHttpsOnly(_) => {
            return TransportError::from_kind(K::InvalidRequest);
        }
        ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => K::InvalidRequest,
        _ => K::Other,
    };
    TransportError::new(kind, err)
}
