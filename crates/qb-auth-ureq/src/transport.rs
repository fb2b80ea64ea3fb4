//! Moving bytes: an `http::Request` out through ureq, an
//! `http::Response<Vec<u8>>` back, with the body capped.

use std::io;

use qb_auth_core::Body;
use qb_auth_core::adapter::{TransportError, TransportErrorKind};

/// The ureq agent and the body limit; cheap to clone.
#[derive(Clone)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    max_body: u64,
}

impl Transport {
    pub(crate) fn new(agent: ureq::Agent, max_body: u64) -> Self {
        Self { agent, max_body }
    }

    /// Sends one request and reads the whole answer, whatever its status.
    pub(crate) fn send(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let (parts, body) = request.into_parts();
        // The body is lent, not copied, so the core's copy stays the only one
        // and is zeroized when dropped.
        let answer = if body.is_empty() {
            self.run(http::Request::from_parts(parts, ()))
        } else {
            self.run(http::Request::from_parts(parts, body.as_bytes()))
        }?;
        let (parts, mut body) = answer.into_parts();
        let bytes = body
            .with_config()
            .limit(self.max_body)
            .read_to_vec()
            .map_err(|e| self.classify(e))?;
        Ok(http::Response::from_parts(parts, bytes))
    }

    fn run(
        &self,
        request: http::Request<impl ureq::AsSendBody>,
    ) -> Result<http::Response<ureq::Body>, TransportError> {
        // Set per request, so that an agent passed in by the caller behaves
        // the same: error statuses come back as answers with their bodies
        // (QuickBlox explains itself there), and no redirect is followed
        // (it could carry QB-Token to another host).
        let request = self
            .agent
            .configure_request(request)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build();
        self.agent.run(request).map_err(|e| self.classify(e))
    }

    /// Sorts a ureq error by what a caller can do about it. Errors that
    /// quote the URL lose their source: callers' own requests may carry
    /// identifiers in it.
    fn classify(&self, err: ureq::Error) -> TransportError {
        use TransportErrorKind as K;
        let kind = match &err {
            ureq::Error::Timeout(_) => K::Timeout,
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => K::Connect,
            ureq::Error::ConnectProxyFailed(_) => {
                return TransportError::from_kind(K::Connect);
            }
            ureq::Error::Io(io) => match io.kind() {
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => K::Timeout,
                io::ErrorKind::ConnectionRefused
                | io::ErrorKind::AddrNotAvailable
                | io::ErrorKind::NotFound => K::Connect,
                _ => K::Connection,
            },
            ureq::Error::BodyExceedsLimit(_) => K::BodyTooLarge {
                limit: self.max_body,
            },
            ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => K::Protocol,
            ureq::Error::Tls(_) | ureq::Error::TlsRequired => K::Tls,
            #[cfg(feature = "rustls")]
            ureq::Error::Rustls(_) | ureq::Error::Pem(_) => K::Tls,
            #[cfg(feature = "native-tls")]
            ureq::Error::NativeTls(_) | ureq::Error::Der(_) => K::Tls,
            ureq::Error::BadUri(_) | ureq::Error::RequireHttpsOnly(_) => {
                return TransportError::from_kind(K::InvalidRequest);
            }
            ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => K::InvalidRequest,
            _ => K::Other,
        };
        TransportError::new(kind, err)
    }
}
