//! TLS for `wss://`: rustls with the ring provider and the webpki roots, chosen explicitly.
//!
//! Left to itself, rustls picks a process-wide provider from its crate features and panics
//! when it cannot decide (both ring and aws-lc-rs enabled, or neither installed). Naming the
//! provider here means a `wss://` URL can only ever fail with an error.

use std::sync::Arc;

use tokio_tungstenite::Connector;

use crate::slack::socket::SocketModeError;

pub(crate) fn connector() -> Result<Connector, SocketModeError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SocketModeError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connector_is_built_without_a_process_default_provider() {
        // Nothing in this crate installs one; the connector must not need it.
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        assert!(matches!(connector(), Ok(Connector::Rustls(_))));
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    }
}
