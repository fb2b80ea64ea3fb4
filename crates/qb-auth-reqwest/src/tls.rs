//! TLS for clients this crate builds.
//!
//! - `rustls` (default): rustls exactly as reqwest's own default TLS sets it
//!   up (aws-lc-rs, the platform's verifier), chosen per client with
//!   `tls_backend_rustls`. A program on reqwest's defaults builds no second
//!   crypto library, and its own clients, with or without reqwest's
//!   defaults, still have a provider to start with.
//! - `rustls-ring`: rustls on the ring provider with the platform's
//!   verifier, handed to reqwest per client, so no process-wide provider is
//!   needed or installed and aws-lc-rs is never built. Wins over `rustls`.
//! - `native-tls` alone: the platform's library, chosen per client.

use qb_auth_core::TransportError;

#[cfg(feature = "rustls-ring")]
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

#[cfg(all(feature = "rustls", not(feature = "rustls-ring")))]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, TransportError> {
    Ok(builder.tls_backend_rustls())
}

#[cfg(all(
    feature = "native-tls",
    not(any(feature = "rustls", feature = "rustls-ring"))
))]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, TransportError> {
    Ok(builder.tls_backend_native())
}

/// Without a TLS feature, reqwest's own backend (if any) is used as reqwest
/// configures it; `http://` on loopback (the emulator) always works.
#[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, TransportError> {
    Ok(builder)
}
