//! TLS for agents this crate builds: rustls (ureq's default, the ring
//! provider) by default, the platform's library with the `native-tls`
//! feature alone. Either way certificates are checked against the
//! platform's trust store, as in qb-auth-reqwest: rustls through the
//! platform verifier, native TLS with its built-in roots. Verification is
//! never switched off.

use ureq::config::ConfigBuilder;
use ureq::typestate::AgentScope;

#[cfg(feature = "rustls")]
pub(crate) fn configure(builder: ConfigBuilder<AgentScope>) -> ConfigBuilder<AgentScope> {
    builder.tls_config(
        ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build(),
    )
}

#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
pub(crate) fn configure(builder: ConfigBuilder<AgentScope>) -> ConfigBuilder<AgentScope> {
    builder.tls_config(
        ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build(),
    )
}

/// Without a TLS feature only `http://` endpoints (such as the emulator on
/// loopback) can be reached; `https://` fails with a TLS error.
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
pub(crate) fn configure(builder: ConfigBuilder<AgentScope>) -> ConfigBuilder<AgentScope> {
    builder
}
