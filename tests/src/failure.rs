//! One error type for both transports, so a test written once can check
//! what either transport returned.

use qb_auth_client::Error;
use qb_auth_client::store::StoreError;
use qb_auth_core::lifecycle::{ProviderError, RenewalError};
use qb_auth_core::{ApiError, BuildError, ErrorKind};
use qb_auth_reqwest::Error as ReqwestError;
use qb_auth_ureq::Error as UreqError;

/// What a call failed with, whichever transport made it.
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
        /// The transport's own verdict.
        retryable: bool,
    },
    /// account_settings named no endpoint.
    NoAccountEndpoint,
    /// A managed session could not get a token.
    Renewal(RenewalError),
    /// A request to another host was refused before it was sent.
    ForeignHost,
    /// A managed session's store failed to load.
    Store(StoreError),
    /// A credential provider failed.
    Provider(ProviderError),
    /// A login on a managed session without application credentials.
    LoginNeedsCredentials,
}

/// The transports' `TransportErrorKind`, as the tests compare it.
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

/// Both transports return the client's one `Error`: this stops compiling if
/// either gets a type of its own again (and then needs its own `From`).
const _: fn(ReqwestError, UreqError) -> [Error; 2] = |a, b| [a, b];

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        match err {
            Error::Build(e) => Self::Build(e),
            Error::Api(e) => Self::Api(e),
            Error::Transport(e) => {
                use qb_auth_core::TransportErrorKind as K;
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
            Error::NoAccountEndpoint => Self::NoAccountEndpoint,
            Error::Renewal(e) => Self::Renewal(e),
            Error::ForeignHost { .. } => Self::ForeignHost,
            Error::Store(e) => Self::Store(e),
            Error::Provider(e) => Self::Provider(e),
            Error::LoginNeedsCredentials => Self::LoginNeedsCredentials,
            other => panic!("an Error variant this harness does not know: {other}"),
        }
    }
}
