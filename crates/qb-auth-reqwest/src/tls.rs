//! TLS for clients this crate builds.
//!
//! With the `rustls` feature, rustls runs on the ring provider (the one ureq
//! uses, so both transports share it and nothing builds aws-lc) and verifies
//! certificates with the platform verifier. The configuration is handed to
//! reqwest directly, so no process-wide provider is installed.

use qb_auth_core::TransportError;

#[cfg(feature = "rustls")]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, TransportError> {
    use std::sync::Arc;

    use qb_auth_core::TransportErrorKind;
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| TransportError::new(TransportErrorKind::Config("rustls"), e))?
        .with_no_client_auth();
    Ok(builder.tls_backend_preconfigured(config))
}

/// Without `rustls`, reqwest's own backend (native TLS when that feature is
/// on) is used as reqwest configures it.
#[cfg(not(feature = "rustls"))]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, TransportError> {
    Ok(builder)
}
