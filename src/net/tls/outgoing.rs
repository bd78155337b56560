//! Our side of outgoing TLS connections (ferredis-cli, a replica's link): how the
//! server's certificate is checked, as hiredis and Redis check it.
//!
//! hiredis (redis-cli's `--tls`) and Redis's own links verify the peer's chain against the trust anchors and do
//! not match the host name (Redis's test certificates carry none), so [`PeerVerifier`] runs webpki's chain
//! check and accepts a certificate whose only fault is its name; `--insecure` checks nothing.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// Checks a server's certificate chain (not its name); with no verifier, nothing (`--insecure`).
#[derive(Debug)]
pub struct PeerVerifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PeerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(v) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            r => r,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

impl PeerVerifier {
    /// A verifier against `roots`; `None` checks nothing (`--insecure`).
    pub fn new(provider: Arc<CryptoProvider>, roots: Option<Arc<RootCertStore>>) -> Result<Arc<PeerVerifier>, String> {
        let chain = match roots {
            Some(r) => Some(
                WebPkiServerVerifier::builder_with_provider(r, provider.clone())
                    .build()
                    .map_err(|e| format!("Failed to configure CA certificate(s): {e}"))?,
            ),
            None => None,
        };
        Ok(Arc::new(PeerVerifier { chain, provider }))
    }
}

/// A client configuration: `roots` `None` = `--insecure`; `identity` = our certificate chain and key, if any.
pub fn client_config(
    provider: Arc<CryptoProvider>,
    roots: Option<Arc<RootCertStore>>,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<ClientConfig, String> {
    let verifier = PeerVerifier::new(provider.clone(), roots)?;
    let b = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("Failed to configure TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match identity {
        Some((certs, key)) => {
            b.with_client_auth_cert(certs, key).map_err(|e| format!("Invalid client certificate or key: {e}"))
        }
        None => Ok(b.with_no_client_auth()),
    }
}
