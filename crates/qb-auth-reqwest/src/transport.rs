//! Moving bytes: an `http::Request` out through reqwest, an
//! `http::Response<Vec<u8>>` back, with the body capped.

use qb_auth_core::Body;
use qb_auth_core::adapter::{TransportError, TransportErrorKind};

/// The reqwest client and the body limit; cheap to clone.
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    max_body: u64,
}

impl Transport {
    pub(crate) fn new(http: reqwest::Client, max_body: u64) -> Self {
        Self { http, max_body }
    }

    /// Sends one request and reads the whole answer, whatever its status.
    pub(crate) async fn send(
        &self,
        request: http::Request<Body>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, reqwest::Body::from(body.into_vec()));
        let request = reqwest::Request::try_from(request).map_err(|e| {
            TransportError::new(TransportErrorKind::InvalidRequest, e.without_url())
        })?;
        let mut response = self.http.execute(request).await.map_err(classify)?;
        if response.content_length().is_some_and(|n| n > self.max_body) {
            return Err(self.too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if (bytes.len() + chunk.len()) as u64 > self.max_body {
                return Err(self.too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut answer = http::Response::new(bytes);
        *answer.status_mut() = response.status();
        *answer.version_mut() = response.version();
        *answer.headers_mut() = std::mem::take(response.headers_mut());
        Ok(answer)
    }

    fn too_large(&self) -> TransportError {
        TransportError::from_kind(TransportErrorKind::BodyTooLarge {
            limit: self.max_body,
        })
    }
}

/// Sorts a reqwest error by what a caller can do about it. The URL is
/// dropped: callers' own requests may carry identifiers in it.
fn classify(err: reqwest::Error) -> TransportError {
    let kind = if err.is_timeout() {
        TransportErrorKind::Timeout
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
