//! The one client every command and the demo call through: the blocking
//! client of `qb-auth-client` over the transport `--transport` picks.
//!
//! The command line is blocking, so reqwest runs on a current-thread
//! runtime this transport owns (or, in the demo, on the demo's runtime from
//! its blocking pool); ureq runs as it is.

use std::time::Duration;

use qb_auth_client::{BlockingClient, BlockingTransport, Error, HttpOptions, Response, Transport};
use qb_auth_core::{BodyFormat, Endpoint, HashAlgorithm, HttpRequest};
use qb_auth_core::{Operation, TransportError};
use qb_auth_reqwest::Reqwest;
use qb_auth_ureq::Ureq;

use crate::args::TransportKind;
use crate::exit::{ApiFailure, CliError, NetworkFailure};

/// The client of the command line.
pub(crate) type CliClient = BlockingClient<CliTransport>;

/// reqwest (on a runtime of its own) or ureq.
#[derive(Debug)]
pub(crate) enum CliTransport {
    Reqwest {
        transport: Reqwest,
        runtime: Runtime,
    },
    Ureq(Ureq),
}

/// Where reqwest's futures run.
#[derive(Debug)]
pub(crate) enum Runtime {
    /// A current-thread runtime of this transport's own.
    Own(tokio::runtime::Runtime),
    /// A runtime that outlives the client, entered from outside its async
    /// context (a thread of its blocking pool): a runtime must not be
    /// dropped inside another.
    Shared(tokio::runtime::Handle),
}

impl BlockingTransport for CliTransport {
    fn send(&self, request: HttpRequest, max_body: u64) -> Result<Response, TransportError> {
        match self {
            Self::Reqwest { transport, runtime } => {
                let send = Transport::send(transport, request, max_body);
                match runtime {
                    Runtime::Own(own) => own.block_on(send),
                    Runtime::Shared(handle) => handle.block_on(send),
                }
            }
            Self::Ureq(transport) => BlockingTransport::send(transport, request, max_body),
        }
    }
}

/// How a command wants its client.
#[derive(Debug, Clone)]
pub(crate) struct ClientSetup {
    pub(crate) transport: TransportKind,
    pub(crate) endpoint: Endpoint,
    pub(crate) timeout: Duration,
    pub(crate) body_format: BodyFormat,
    pub(crate) hash: HashAlgorithm,
    /// Run reqwest on this runtime instead of one of its own.
    pub(crate) runtime: Option<tokio::runtime::Handle>,
}

impl ClientSetup {
    /// JSON bodies and HMAC-SHA1, as the client's defaults.
    pub(crate) fn new(transport: TransportKind, endpoint: &Endpoint, timeout: Duration) -> Self {
        Self {
            transport,
            endpoint: endpoint.clone(),
            timeout,
            body_format: BodyFormat::default(),
            hash: HashAlgorithm::default(),
            runtime: None,
        }
    }

    pub(crate) fn build(&self) -> Result<CliClient, CliError> {
        let setup = |message: String| {
            CliError::Network(NetworkFailure {
                operation: "setting up the HTTP client",
                endpoint: self.endpoint.clone(),
                message,
                kind: None,
                named: false,
            })
        };
        let mut options = HttpOptions::default();
        options.timeout = Some(self.timeout);
        options.connect_timeout = Some(self.timeout.min(Duration::from_secs(10)));
        let transport = match self.transport {
            TransportKind::Reqwest => CliTransport::Reqwest {
                runtime: match &self.runtime {
                    Some(handle) => Runtime::Shared(handle.clone()),
                    None => Runtime::Own(
                        tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(|e| setup(e.to_string()))?,
                    ),
                },
                transport: Reqwest::from_options(&options).map_err(|e| setup(with_source(&e)))?,
            },
            TransportKind::Ureq => CliTransport::Ureq(
                <Ureq as BlockingTransport>::from_options(&options)
                    .map_err(|e| setup(with_source(&e)))?,
            ),
        };
        CliClient::builder()
            .endpoint(self.endpoint.clone())
            .body_format(self.body_format)
            .hash(self.hash)
            .http_client(transport)
            .build()
            .map_err(|e| setup(e.to_string()))
    }
}

/// What a command prints for a failed call.
pub(crate) fn call_failure(operation: Operation, endpoint: &Endpoint, error: Error) -> CliError {
    let network = |t: &TransportError| {
        CliError::Network(NetworkFailure {
            operation: operation.as_str(),
            endpoint: endpoint.clone(),
            kind: Some(t.kind().clone()),
            message: with_source(t),
            named: t.context().is_some(),
        })
    };
    match error {
        Error::Build(e) => CliError::Build(e),
        Error::Api(e) => ApiFailure::new(e, endpoint).into(),
        Error::Transport(t) => network(&t),
        other => CliError::Network(NetworkFailure {
            operation: operation.as_str(),
            endpoint: endpoint.clone(),
            kind: other.transport_error().map(|t| t.kind().clone()),
            message: with_source(&other),
            named: false,
        }),
    }
}

fn with_source(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    // The innermost cause is usually the operating system's own words.
    let mut innermost = None;
    while let Some(cause) = source {
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    if let Some(cause) = innermost.filter(|c| !c.is_empty() && *c != text) {
        text.push_str(": ");
        text.push_str(&cause);
    }
    text
}
