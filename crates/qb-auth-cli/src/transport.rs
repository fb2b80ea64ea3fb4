//! One blocking `send` over either adapter, so that commands build requests
//! with the core, send them here, and read answers with the core, the same
//! way whichever transport `--transport` picks.

use std::time::Duration;

use qb_auth_client::Error;
use qb_auth_core::TransportErrorKind;
use qb_auth_core::{Endpoint, HttpRequest, Operation};

use crate::args::{ServerArgs, TransportKind};
use crate::exit::{CliError, NetworkFailure};

/// The adapter `--transport` chose, ready to send.
#[derive(Debug)]
pub(crate) enum Transport {
    /// The async adapter, driven by a runtime of its own.
    Reqwest {
        client: qb_auth_reqwest::Client,
        runtime: tokio::runtime::Runtime,
    },
    /// The blocking adapter.
    Ureq(qb_auth_ureq::Client),
}

impl Transport {
    /// A client for `server.endpoint` with `server.timeout`.
    pub(crate) fn new(server: &ServerArgs) -> Result<Self, CliError> {
        let timeout = Duration::from_secs(server.timeout);
        let connect = timeout.min(Duration::from_secs(10));
        let setup = |message: String| {
            CliError::Network(NetworkFailure {
                operation: "setting up the HTTP client",
                endpoint: server.endpoint.clone(),
                message,
                timed_out: false,
            })
        };
        match server.transport {
            TransportKind::Reqwest => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| setup(e.to_string()))?;
                let client = qb_auth_reqwest::Client::builder()
                    .endpoint(server.endpoint.clone())
                    .connect_timeout(connect)
                    .timeout(timeout)
                    .build()
                    .map_err(|e| setup(e.to_string()))?;
                Ok(Self::Reqwest { client, runtime })
            }
            TransportKind::Ureq => qb_auth_ureq::Client::builder()
                .endpoint(server.endpoint.clone())
                .connect_timeout(connect)
                .timeout(timeout)
                .build()
                .map(Self::Ureq)
                .map_err(|e| setup(e.to_string())),
        }
    }

    /// Sends `request` and returns the answer whatever its status; only a
    /// missing answer is an error.
    pub(crate) fn send(
        &self,
        operation: Operation,
        endpoint: &Endpoint,
        request: HttpRequest,
    ) -> Result<http::Response<Vec<u8>>, CliError> {
        match self {
            Self::Reqwest { client, runtime } => runtime
                .block_on(client.send(request))
                .map_err(|e| call_failure(operation, endpoint, e)),
            Self::Ureq(client) => client
                .send(request)
                .map_err(|e| call_failure(operation, endpoint, e)),
        }
    }
}

/// What a failed call means for the CLI (both adapters return the core's
/// one `Error`).
fn call_failure(operation: Operation, endpoint: &Endpoint, error: Error) -> CliError {
    match error {
        Error::Build(e) => CliError::Build(e),
        Error::Transport(t) => CliError::Network(NetworkFailure {
            operation: operation.as_str(),
            endpoint: endpoint.clone(),
            timed_out: *t.kind() == TransportErrorKind::Timeout,
            message: with_source(&t),
        }),
        other => CliError::Network(NetworkFailure {
            operation: operation.as_str(),
            endpoint: endpoint.clone(),
            timed_out: false,
            message: other.to_string(),
        }),
    }
}

/// The error and its first cause ("could not connect: Connection refused"):
/// the kind alone rarely says enough to act on. Adapters strip URLs from
/// their sources, and the CLI sends nothing secret in a URL.
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
