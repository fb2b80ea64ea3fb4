//! What both stores are configured with.

use std::time::Duration;

use crate::layout::DEFAULT_PREFIX;

/// The bound on each call, and the keys' prefix.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) timeout: Duration,
    pub(crate) prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: crate::DEFAULT_TIMEOUT,
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }
}
