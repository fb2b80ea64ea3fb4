//! What a client signs and reads with, apart from its transport.

use std::fmt;
use std::sync::Arc;

use http::Uri;
use qb_auth_core::{BodyFormat, Endpoint, HashAlgorithm, NonceSource, OsNonces};

use crate::transport::DEFAULT_MAX_BODY;

/// What a client signs and reads with, apart from its transport.
#[derive(Clone)]
pub(crate) struct ClientSettings {
    /// Set with [`set_endpoint`](Self::set_endpoint), which keeps `origin`.
    pub(crate) endpoint: Endpoint,
    /// The endpoint as a URI, parsed once: every managed request is checked
    /// against its origin.
    pub(crate) origin: Uri,
    pub(crate) body_format: BodyFormat,
    pub(crate) hash: HashAlgorithm,
    pub(crate) nonces: Arc<dyn NonceSource>,
    pub(crate) max_body: u64,
}

impl Default for ClientSettings {
    fn default() -> Self {
        let endpoint = Endpoint::default();
        Self {
            origin: origin_of(&endpoint),
            endpoint,
            body_format: BodyFormat::default(),
            hash: HashAlgorithm::default(),
            nonces: Arc::new(OsNonces),
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

impl ClientSettings {
    pub(crate) fn set_endpoint(&mut self, endpoint: Endpoint) {
        self.origin = origin_of(&endpoint);
        self.endpoint = endpoint;
    }
}

/// An endpoint is an absolute `http(s)` URL, so it always parses; the empty
/// URI, which no request matches, stands in should that ever change.
fn origin_of(endpoint: &Endpoint) -> Uri {
    endpoint.as_str().parse().unwrap_or_default()
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("endpoint", &self.endpoint)
            .field("body_format", &self.body_format)
            .field("hash", &self.hash)
            .field("nonces", &self.nonces)
            .field("max_body", &self.max_body)
            .finish()
    }
}
