//! The body shared by the errors users construct themselves (a transport
//! failure, a store failure, a credential provider failure): a message and,
//! optionally, the error that caused it. Each public type wraps it and adds
//! its own `Display` prefix.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// A message and an optional cause; `Clone`, so errors can be handed to
/// every waiter of a renewal.
#[derive(Clone)]
pub(crate) struct Described {
    message: String,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl Described {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn set_source(&mut self, source: impl StdError + Send + Sync + 'static) {
        self.source = Some(Arc::new(source));
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }

    /// Adds `message` and `source` to a `Debug` struct the wrapper opened.
    pub(crate) fn debug_fields(&self, d: &mut fmt::DebugStruct<'_, '_>) {
        d.field("message", &self.message)
            .field("source", &self.source);
    }
}
