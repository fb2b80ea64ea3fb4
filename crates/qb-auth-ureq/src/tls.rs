//! TLS for agents this crate builds: rustls (ring, Mozilla roots) by
//! default, the platform's library with the `native-tls` feature alone.
//! Verification is never switched off.

use ureq::config::ConfigBuilder;
use ureq::typestate::AgentScope;

#[cfg(feature = "rustls")]
pub(crate) fn configure(builder: ConfigBuilder<AgentScope>) -> ConfigBuilder<AgentScope> {
    builder.tls_config(
        ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .build(),
    )
}

#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
pub(crate) fn configure(builder: ConfigBuilder<AgentScope>) -> ConfigBuilder<AgentScope> {
    builder.tls_config(
        ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .build(),
    )
}

/// Without a TLS feature only `http://` endpoints (such as the emulator on
/// loopback) can be reached; `https://` fails with a TLS error.
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
pub(crate) fn configure(builder: ConfigBuilder<AgentScope>) -> ConfigBuilder<AgentScope> {
    builder
}
