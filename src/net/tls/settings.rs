//! The rustls configurations built from the `tls-*` directives (Redis's `tlsConfigure`): the server's (one per
//! `tls-auth-clients` mode, so a CONFIG SET of that directive applies to the next connection, as in Redis) and
//! the client's (replication, the cluster bus).
//!
//! What maps to rustls and what does not:
//! - `tls-protocols`: `TLSv1.2` and `TLSv1.3` (rustls has no older versions: `TLSv1` / `TLSv1.1` are an error).
//! - `tls-ciphers` (TLS 1.2): OpenSSL names of the suites rustls has ([`TLS12_NAMES`]), `DEFAULT`/`ALL`/`HIGH`
//!   for all of them; `!X` and `-X` remove; `@STRENGTH`/`@SECLEVEL=n` are accepted and ignored. Any other name is
//!   an error that lists the suites rustls offers.
//! - `tls-ciphersuites` (TLS 1.3): IANA names (`TLS_AES_128_GCM_SHA256`, ...).
//! - `tls-prefer-server-ciphers`: rustls's `ignore_client_order`.
//! - `tls-session-caching`, `-cache-size`, `-cache-timeout`: a bounded in-memory cache whose entries expire
//!   after the timeout; TLS 1.3 tickets are sent only while caching is on.
//! - `tls-dh-params-file`: rustls negotiates only ECDHE key exchange, so the file is checked to exist and
//!   otherwise ignored (logged once per configuration).
//! - `tls-key-file-pass` / `tls-client-key-file-pass`: rustls reads only unencrypted keys; an encrypted key is
//!   an error that says so.

use crate::config::Config;
use crate::log_warning;
use rustls::client::ResolvesClientCert;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{
    ClientHello, NoServerSessionStorage, ResolvesServerCert, ServerSessionMemoryCache, StoresServerSessions,
    WebPkiClientVerifier,
};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};
use std::sync::Arc;

/// The OpenSSL names of the TLS 1.2 suites rustls's ring provider has, with rustls's names.
pub const TLS12_NAMES: [(&str, &str); 6] = [
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    ("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    ("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
];

/// The TLS configurations in force.
pub struct Context {
    /// Indexed by `tls-auth-clients`' value: no, yes, optional.
    by_auth: [Arc<ServerConfig>; 3],
    /// For our outgoing connections (a replica's link to its master, the cluster bus).
    pub client: Arc<ClientConfig>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tls::Context")
    }
}

impl Context {
    /// The server configuration for a connection accepted now (`tls-auth-clients` is read per connection).
    pub fn server(&self, cfg: &Config) -> Arc<ServerConfig> {
        let i = match cfg.stored_str("tls-auth-clients") {
            "no" => 0,
            "optional" => 2,
            _ => 1,
        };
        self.by_auth[i].clone()
    }

    /// The server configuration of the cluster bus: a peer node always presents its certificate (Redis accepts
    /// bus connections with `TLS_CLIENT_AUTH_YES`).
    pub fn bus_server(&self) -> Arc<ServerConfig> {
        self.by_auth[1].clone()
    }
}

/// Whether the directives ask for TLS anywhere (Redis configures TLS when one of these is on).
pub fn wanted(cfg: &Config) -> bool {
    cfg.stored_i64("tls-port") != 0 || cfg.stored_bool("tls-replication") || cfg.stored_bool("tls-cluster")
}

fn path(cfg: &Config, name: &str) -> Option<String> {
    Some(cfg.stored_str(name)).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Builds the configurations from the directives; the error is the log line Redis would write.
pub fn configure(cfg: &Config) -> Result<Context, String> {
    let cert_file = path(cfg, "tls-cert-file").ok_or("No tls-cert-file configured!")?;
    let key_file = path(cfg, "tls-key-file").ok_or("No tls-key-file configured!")?;
    let (ca_file, ca_dir) = (path(cfg, "tls-ca-cert-file"), path(cfg, "tls-ca-cert-dir"));
    if ca_file.is_none() && ca_dir.is_none() {
        return Err("Either tls-ca-cert-file or tls-ca-cert-dir must be specified".into());
    }
    let certs = load_certs(&cert_file)?;
    let key = load_key(&key_file, path(cfg, "tls-key-file-pass").is_some())?;
    let roots = Arc::new(load_roots(ca_file.as_deref(), ca_dir.as_deref())?);
    if let Some(dh) = path(cfg, "tls-dh-params-file") {
        std::fs::metadata(&dh).map_err(|e| format!("Failed to load {dh}: {e}"))?;
        log_warning!("tls-dh-params-file {dh} is ignored: rustls negotiates only ECDHE key exchange");
    }
    let versions = protocols(cfg.stored_str("tls-protocols"))?;
    let mut provider = ring::default_provider();
    provider.cipher_suites = cipher_suites(cfg.stored_str("tls-ciphers"), cfg.stored_str("tls-ciphersuites"))?;
    let provider = Arc::new(provider);
    let caching = cfg.stored_bool("tls-session-caching");
    let cache: Arc<dyn StoresServerSessions> = if caching {
        // OpenSSL's size 0 means unbounded; keep a bound anyway.
        let size = match cfg.stored_i64("tls-session-cache-size") {
            0 => 1 << 20,
            n => n.clamp(1, 1 << 20) as usize,
        };
        Arc::new(TimedCache {
            inner: ServerSessionMemoryCache::new(size),
            timeout_s: cfg.stored_i64("tls-session-cache-timeout").max(0) as u64,
        })
    } else {
        Arc::new(NoServerSessionStorage {})
    };
    let certified = certified_key(&provider, certs.clone(), key.clone_key(), &cert_file)?;
    let server = |auth: usize| -> Result<Arc<ServerConfig>, String> {
        let b = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| format!("Failed to configure TLS: {e}"))?;
        let b = match auth {
            0 => b.with_no_client_auth(),
            _ => {
                let mut v = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone());
                if auth == 2 {
                    v = v.allow_unauthenticated();
                }
                b.with_client_cert_verifier(
                    v.build().map_err(|e| format!("Failed to configure CA certificate(s): {e}"))?,
                )
            }
        };
        let mut c = b.with_cert_resolver(Arc::new(OneCert(certified.clone())));
        c.ignore_client_order = cfg.stored_bool("tls-prefer-server-ciphers");
        c.session_storage = cache.clone();
        if !caching {
            c.send_tls13_tickets = 0;
        }
        Ok(Arc::new(c))
    };
    let by_auth = [server(0)?, server(1)?, server(2)?];
    // The client side presents tls-client-cert-file when set, else the server's own certificate (as Redis).
    let client_cert = match path(cfg, "tls-client-cert-file") {
        Some(f) => {
            let kf = path(cfg, "tls-client-key-file").ok_or("No tls-client-key-file configured!")?;
            let key = load_key(&kf, path(cfg, "tls-client-key-file-pass").is_some())?;
            certified_key(&provider, load_certs(&f)?, key, &f)?
        }
        None => certified.clone(),
    };
    // The peer's chain is checked against the CA, not its name (Redis's links do not match host names).
    let verifier = super::outgoing::PeerVerifier::new(provider.clone(), Some(roots.clone()))?;
    let client = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("Failed to configure TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(OneCert(client_cert)));
    Ok(Context { by_auth, client: Arc::new(client) })
}

/// A certificate and its key, checked to belong together (OpenSSL's `SSL_CTX_check_private_key`). rustls's own
/// check parses the certificate as webpki does, which refuses X.509 v1 certificates (what `openssl x509 -req`
/// makes without extensions, as Redis's `gen-test-certs.sh` does for its generic one) though OpenSSL serves
/// them: so the public keys are compared here, the certificate's read by [`spki_of`].
fn certified_key(
    provider: &CryptoProvider,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    file: &str,
) -> Result<Arc<CertifiedKey>, String> {
    let signer = provider.key_provider.load_private_key(key).map_err(|e| format!("Failed to load private key: {e}"))?;
    let ours = signer.public_key();
    let theirs = certs.first().and_then(|c| spki_of(c.as_ref()));
    match (ours, theirs) {
        (Some(k), Some(c)) if k.as_ref() != c => {
            return Err(format!("Failed to load certificate: {file}: the private key does not match the certificate"))
        }
        (_, None) => return Err(format!("Failed to load certificate: {file}: not an X.509 certificate")),
        _ => {}
    }
    Ok(Arc::new(CertifiedKey::new(certs, signer)))
}

/// One DER element: its tag, the whole element, its contents, and what follows it.
type Der<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

/// The DER element at the front of `der`; `None` when malformed.
fn der_next(der: &[u8]) -> Option<Der<'_>> {
    let tag = *der.first()?;
    let first = *der.get(1)?;
    let (len, head) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in der.get(2..2 + n)? {
            len = (len << 8) | *b as usize;
        }
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    Some((tag, der.get(..end)?, der.get(head..end)?, der.get(end..)?))
}

/// The SubjectPublicKeyInfo of an X.509 certificate of any version (RFC 5280 4.1: the seventh field of
/// `tbsCertificate`, the first being the optional `[0]` version).
fn spki_of(cert: &[u8]) -> Option<&[u8]> {
    let (_, _, certificate, _) = der_next(cert)?;
    let (_, _, mut tbs, _) = der_next(certificate)?;
    if tbs.first() == Some(&0xa0) {
        tbs = der_next(tbs)?.3;
    }
    // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
    for _ in 0..5 {
        tbs = der_next(tbs)?.3;
    }
    let (tag, whole, _, _) = der_next(tbs)?;
    (tag == 0x30).then_some(whole)
}

/// The one certificate we present, whatever the peer asks for.
#[derive(Debug)]
struct OneCert(Arc<CertifiedKey>);

impl ResolvesServerCert for OneCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

impl ResolvesClientCert for OneCert {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[rustls::SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

/// The certificate chain in a PEM file.
pub fn load_certs(file: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("Failed to load certificate: {file}: {e}");
    let certs = CertificateDer::pem_file_iter(file)
        .map_err(|e| fail(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    if certs.is_empty() {
        return Err(fail(&"no certificate found"));
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1). `with_pass`: a passphrase is configured.
pub fn load_key(file: &str, with_pass: bool) -> Result<PrivateKeyDer<'static>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("Failed to load private key: {file}: {e}");
    let pem = std::fs::read(file).map_err(|e| fail(&e))?;
    let encrypted = |m: &[u8]| pem.windows(m.len()).any(|w| w == m);
    if encrypted(b"ENCRYPTED PRIVATE KEY") || encrypted(b"Proc-Type: 4,ENCRYPTED") {
        let why = if with_pass { "the key is encrypted" } else { "the key is encrypted and no passphrase is set" };
        return Err(fail(&format!(
            "{why}: this build (rustls) reads only unencrypted keys; write it out unencrypted with `openssl pkey`"
        )));
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| fail(&e))
}

/// Trust anchors from `tls-ca-cert-file` and every PEM certificate in the files of `tls-ca-cert-dir`.
pub fn load_roots(file: Option<&str>, dir: Option<&str>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        format!("Failed to configure CA certificate(s) file/directory: {what}: {e}")
    };
    if let Some(f) = file {
        for c in load_certs(f)? {
            roots.add(c).map_err(|e| fail(f, &e))?;
        }
    }
    if let Some(d) = dir {
        let entries = std::fs::read_dir(d).map_err(|e| fail(d, &e))?;
        for e in entries.flatten() {
            let p = e.path();
            if !p.is_file() {
                continue;
            }
            let Ok(iter) = CertificateDer::pem_file_iter(&p) else { continue };
            for c in iter.flatten() {
                // A file of the directory that isn't a usable CA certificate is skipped, as OpenSSL's lookup does.
                let _ = roots.add(c);
            }
        }
    }
    if roots.is_empty() {
        return Err(fail(file.or(dir).unwrap_or(""), &"no CA certificate found"));
    }
    Ok(roots)
}

/// `tls-protocols`: the versions to enable (empty: both).
pub fn protocols(v: &str) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
    let mut out: Vec<&'static SupportedProtocolVersion> = Vec::new();
    for p in v.split_ascii_whitespace() {
        let version = match p.to_ascii_lowercase().as_str() {
            "tlsv1.2" => &rustls::version::TLS12,
            "tlsv1.3" => &rustls::version::TLS13,
            "tlsv1" | "tlsv1.1" => {
                return Err(format!(
                    "tls-protocols: {p} is not available in this build: rustls speaks TLSv1.2 and TLSv1.3"
                ))
            }
            _ => return Err(
                "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."
                    .into(),
            ),
        };
        if !out.iter().any(|o| o.version == version.version) {
            out.push(version);
        }
    }
    if out.is_empty() {
        out = vec![&rustls::version::TLS13, &rustls::version::TLS12];
    }
    Ok(out)
}

fn suite_name(s: &SupportedCipherSuite) -> String {
    format!("{:?}", s.suite())
}

/// `tls-ciphers` (TLS 1.2, OpenSSL names) and `tls-ciphersuites` (TLS 1.3, IANA names) as rustls suites; an
/// empty value keeps all of that version's.
pub fn cipher_suites(ciphers: &str, ciphersuites: &str) -> Result<Vec<SupportedCipherSuite>, String> {
    let all = ring::default_provider().cipher_suites;
    let (tls13, tls12): (Vec<_>, Vec<_>) = all.into_iter().partition(|s| s.tls13().is_some());
    let offered12 = TLS12_NAMES.iter().map(|(o, _)| *o).collect::<Vec<_>>().join(":");
    let rustls12 = |openssl: &str| {
        let name = TLS12_NAMES.iter().find(|(o, _)| o.eq_ignore_ascii_case(openssl))?.1;
        tls12.iter().find(|s| suite_name(s) == name).copied()
    };
    let mut out12: Vec<SupportedCipherSuite> = Vec::new();
    if ciphers.is_empty() {
        out12 = tls12.clone();
    }
    for tok in ciphers.split([':', ',', ' ']).filter(|t| !t.is_empty()) {
        if let Some(rest) = tok.strip_prefix(['!', '-']) {
            if let Some(s) = rustls12(rest) {
                out12.retain(|x| x.suite() != s.suite());
            }
            continue;
        }
        if tok.starts_with('@') {
            continue;
        }
        match tok.to_ascii_uppercase().as_str() {
            "DEFAULT" | "ALL" | "HIGH" | "SECURE" => {
                for s in &tls12 {
                    if !out12.iter().any(|x| x.suite() == s.suite()) {
                        out12.push(*s);
                    }
                }
            }
            _ => match rustls12(tok) {
                Some(s) if !out12.iter().any(|x| x.suite() == s.suite()) => out12.push(s),
                Some(_) => {}
                None => {
                    return Err(format!("tls-ciphers: '{tok}' is not a cipher this build (rustls) offers: {offered12}"))
                }
            },
        }
    }
    let mut out13: Vec<SupportedCipherSuite> = Vec::new();
    if ciphersuites.is_empty() {
        out13 = tls13.clone();
    }
    for tok in ciphersuites.split(':').filter(|t| !t.is_empty()) {
        let want = tok.to_ascii_uppercase().replacen("TLS_", "TLS13_", 1);
        match tls13.iter().find(|s| suite_name(s) == want) {
            Some(s) if !out13.iter().any(|x| x.suite() == s.suite()) => out13.push(*s),
            Some(_) => {}
            None => {
                let offered: Vec<String> = tls13.iter().map(|s| suite_name(s).replacen("TLS13_", "TLS_", 1)).collect();
                return Err(format!(
                    "tls-ciphersuites: '{tok}' is not a cipher suite this build (rustls) offers: {}",
                    offered.join(":")
                ));
            }
        }
    }
    out13.extend(out12);
    Ok(out13)
}

/// A session cache whose entries expire after `tls-session-cache-timeout` seconds (each value carries the time
/// it was stored in front of it).
#[derive(Debug)]
struct TimedCache {
    inner: Arc<ServerSessionMemoryCache>,
    timeout_s: u64,
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl TimedCache {
    fn fresh(&self, v: Vec<u8>) -> Option<Vec<u8>> {
        let stamp = u64::from_le_bytes(v.get(..8)?.try_into().ok()?);
        (now_s().saturating_sub(stamp) <= self.timeout_s).then(|| v[8..].to_vec())
    }
}

impl StoresServerSessions for TimedCache {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let mut v = now_s().to_le_bytes().to_vec();
        v.extend_from_slice(&value);
        self.inner.put(key, v)
    }
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.inner.get(key).and_then(|v| self.fresh(v))
    }
    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.inner.take(key).and_then(|v| self.fresh(v))
    }
    fn can_cache(&self) -> bool {
        true
    }
}

/// A configuration's name list, for the unit tests and error messages.
pub fn suite_names(suites: &[SupportedCipherSuite]) -> Vec<String> {
    suites.iter().map(suite_name).collect()
}

/// rustls's provider with our suites (the CLI builds its client configuration from it too).
pub fn provider(ciphers: &str, ciphersuites: &str) -> Result<Arc<CryptoProvider>, String> {
    let mut p = ring::default_provider();
    p.cipher_suites = cipher_suites(ciphers, ciphersuites)?;
    Ok(Arc::new(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_map_to_rustls_versions() {
        assert_eq!(protocols("").unwrap().len(), 2);
        let v = protocols("TLSv1.3").unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].version, rustls::ProtocolVersion::TLSv1_3);
        assert_eq!(protocols("tlsv1.2 TLSv1.3 TLSv1.2").unwrap().len(), 2);
        assert!(protocols("TLSv1.1").unwrap_err().contains("rustls speaks TLSv1.2 and TLSv1.3"));
        assert!(protocols("TLSv1.2 SSLv3").unwrap_err().starts_with("Invalid tls-protocols specified."));
    }

    #[test]
    fn ciphers_take_openssl_names_and_ciphersuites_iana_names() {
        let all = suite_names(&cipher_suites("", "").unwrap());
        assert_eq!(all.len(), 9, "{all:?}");
        let one12 = suite_names(&cipher_suites("ECDHE-RSA-AES128-GCM-SHA256", "").unwrap());
        assert_eq!(one12.len(), 4, "three TLS 1.3 suites and the one named: {one12:?}");
        assert!(one12.contains(&"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_string()));
        let minus = suite_names(&cipher_suites("DEFAULT:!ECDHE-RSA-CHACHA20-POLY1305:!aNULL:@STRENGTH", "").unwrap());
        assert_eq!(minus.len(), 8, "{minus:?}");
        let one13 = suite_names(&cipher_suites("", "TLS_CHACHA20_POLY1305_SHA256").unwrap());
        assert_eq!(one13.iter().filter(|n| n.starts_with("TLS13_")).count(), 1, "{one13:?}");
        let e = cipher_suites("AES128-SHA", "").unwrap_err();
        assert!(e.contains("'AES128-SHA' is not a cipher") && e.contains("ECDHE-RSA-AES128-GCM-SHA256"), "{e}");
        let e = cipher_suites("", "TLS_AES_128_CCM_SHA256").unwrap_err();
        assert!(e.contains("TLS_AES_256_GCM_SHA384"), "{e}");
    }

    #[test]
    fn spki_reader_survives_any_bytes() {
        // Truncations and garbage: None, never a panic.
        let cert = [0x30, 0x82, 0x01, 0x00, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x02];
        for n in 0..=cert.len() {
            assert!(spki_of(&cert[..n]).is_none());
        }
        assert!(spki_of(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(spki_of(&[0x30, 0x80]).is_none());
        // A minimal well-formed v3 shape: version, serial, alg, issuer, validity, subject, spki.
        let tbs_fields: Vec<u8> = [
            &[0xa0, 0x03, 0x02, 0x01, 0x02][..],
            &[0x02, 0x01, 0x01],
            &[0x30, 0x00],
            &[0x30, 0x00],
            &[0x30, 0x00],
            &[0x30, 0x00],
            &[0x30, 0x02, 0x05, 0x00],
        ]
        .concat();
        let mut tbs = vec![0x30, tbs_fields.len() as u8];
        tbs.extend(&tbs_fields);
        let mut cert = vec![0x30, tbs.len() as u8];
        cert.extend(&tbs);
        assert_eq!(spki_of(&cert), Some(&[0x30, 0x02, 0x05, 0x00][..]));
    }

    #[test]
    fn timed_cache_forgets_after_the_timeout() {
        let c = TimedCache { inner: ServerSessionMemoryCache::new(4), timeout_s: 300 };
        assert!(c.put(b"k".to_vec(), b"v".to_vec()));
        assert_eq!(c.get(b"k"), Some(b"v".to_vec()));
        let stale = TimedCache { inner: ServerSessionMemoryCache::new(4), timeout_s: 0 };
        let mut old = (now_s() - 10).to_le_bytes().to_vec();
        old.extend_from_slice(b"v");
        stale.inner.put(b"k".to_vec(), old);
        assert_eq!(stale.get(b"k"), None);
    }
}
