//! One error type for both transports, so a test written once can check
//! what either adapter returned.

use qb_auth_core::lifecycle::{PolicyError, RenewalError};
use qb_auth_core::store::StoreError;
use qb_auth_core::{ApiError, BuildError, ErrorKind};

/// What a call failed with, whichever adapter made it.
#[derive(Debug)]
pub enum Failure {
    /// The request could not be built.
    Build(BuildError),
    /// QuickBlox (the emulator) answered with an error.
    Api(ApiError),
    /// No usable answer.
    Transport {
        /// What kind of transport failure.
        kind: TransportKind,
        /// The adapter's own verdict.
        retryable: bool,
    },
    /// account_settings named no endpoint.
    NoAccountEndpoint,
    /// A managed session could not get a token.
    Renewal(RenewalError),
    /// A managed session's policy was refused.
    Policy(PolicyError),
    /// A managed session's store failed to load.
    Store(StoreError),
}

/// The adapters' `TransportErrorKind`, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect.
    Connect,
    /// A timeout ran out.
    Timeout,
    /// The connection broke.
    Connection,
    /// Not HTTP.
    Protocol,
    /// TLS.
    Tls,
    /// Over the body limit.
    BodyTooLarge(u64),
    /// Unsendable request.
    InvalidRequest,
    /// Client set-up.
    Config,
    /// Anything else.
    Other,
}

impl Failure {
    /// The API error kind, if the failure (or the renewal behind it) is an answer.
    pub fn api_kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Api(api) => Some(api.kind()),
            Self::Renewal(renewal) => renewal.api_error().map(ApiError::kind),
            _ => None,
        }
    }

    /// The transport kind, if the failure had no answer.
    pub fn transport_kind(&self) -> Option<TransportKind> {
        match self {
            Self::Transport { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

macro_rules! from_adapter {
    ($krate:ident) => {
        impl From<$krate::Error> for Failure {
            fn from(err: $krate::Error) -> Self {
                match err {
                    $krate::Error::Build(e) => Self::Build(e),
                    $krate::Error::Api(e) => Self::Api(e),
                    $krate::Error::Transport(e) => {
                        use $krate::TransportErrorKind as K;
                        let kind = match e.kind() {
                            K::Connect => TransportKind::Connect,
                            K::Timeout => TransportKind::Timeout,
                            K::Connection => TransportKind::Connection,
                            K::Protocol => TransportKind::Protocol,
                            K::Tls => TransportKind::Tls,
                            K::BodyTooLarge { limit } => TransportKind::BodyTooLarge(*limit),
                            K::InvalidRequest => TransportKind::InvalidRequest,
                            K::Config(_) => TransportKind::Config,
                            _ => TransportKind::Other,
                        };
                        Self::Transport {
                            kind,
                            retryable: e.is_retryable(),
                        }
                    }
                    $krate::Error::NoAccountEndpoint => Self::NoAccountEndpoint,
                    $krate::Error::Renewal(e) => Self::Renewal(e),
                    $krate::Error::Policy(e) => Self::Policy(e),
                    $krate::Error::Store(e) => Self::Store(e),
                    other => panic!("an Error variant this harness does not know: {other}"),
                }
            }
        }
    };
}

from_adapter!(qb_auth_reqwest);
from_adapter!(qb_auth_ureq);
