//! What a client signs and reads with, apart from its transport.

use std::fmt;
use std::sync::Arc;

use qb_auth_core::{BodyFormat, Endpoint, HashAlgorithm, NonceSource, OsNonces};

use crate::transport::DEFAULT_MAX_BODY;

/// What a client signs and reads with, apart from its transport.
#[derive(Clone)]
pub(crate) struct ClientSettings {
    pub(crate) endpoint: Endpoint,
    pub(crate) body_format: BodyFormat,
    pub(crate) hash: HashAlgorithm,
    pub(crate) nonces: Arc<dyn NonceSource>,
    pub(crate) max_body: u64,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            endpoint: Endpoint::default(),
            body_format: BodyFormat::default(),
            hash: HashAlgorithm::default(),
            nonces: Arc::new(OsNonces),
            max_body: DEFAULT_MAX_BODY,
        }
    }
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
