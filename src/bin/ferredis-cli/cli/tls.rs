//! `--tls` and its options, and `rediss://` URIs (redis-cli 7.0's `cliSecureConnection`, built with the `tls`
//! feature): the TCP connection is wrapped in a rustls client session whose handshake completes before the first
//! command. The server's chain is checked against `--cacert`/`--cacertdir` (else the system's bundle), not its
//! name, as hiredis does; `--insecure` checks nothing; `--sni` names the server in the handshake.

use super::conn::ConnectError;
use ferredis::net::tls::{outgoing, settings};
use rustls::pki_types::ServerName;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;

/// The stream of a TLS connection.
pub type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// The TLS options (redis-cli's `cliSSLconfig`).
#[derive(Default, Clone, Debug)]
pub struct TlsOpts {
    pub on: bool,
    pub sni: Option<String>,
    pub cacert: Option<String>,
    pub cacertdir: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub insecure: bool,
    pub ciphers: String,
    pub ciphersuites: String,
}

/// Where Debian (and most Linux systems) keep the system's trust anchors, OpenSSL's defaults.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Takes a TLS option: `name` and, for the options with a value, `value`. Returns whether `value` was used, or
/// `None` when `name` is not a TLS option.
pub fn option(t: &mut TlsOpts, name: &str, value: Option<String>) -> Option<bool> {
    let slot = match name {
        "--tls" => {
            t.on = true;
            return Some(false);
        }
        "--insecure" => {
            t.insecure = true;
            return Some(false);
        }
        "--sni" => &mut t.sni,
        "--cacert" => &mut t.cacert,
        "--cacertdir" => &mut t.cacertdir,
        "--cert" => &mut t.cert,
        "--key" => &mut t.key,
        "--tls-ciphers" | "--tls-ciphersuites" => {
            let v = value?;
            if name == "--tls-ciphers" {
                t.ciphers = v;
            } else {
                t.ciphersuites = v;
            }
            return Some(true);
        }
        _ => return None,
    };
    *slot = Some(value?);
    Some(true)
}

/// Wraps a connected socket in a TLS session to `host` and completes the handshake. The options' errors are
/// [`ConnectError::TlsSetup`] in redis-cli's words (`cliSecureConnection`, which says what it could not use, not
/// why); a failed handshake is an I/O error as hiredis words it (`SSL_connect failed: ...`).
pub fn connect(tcp: TcpStream, host: &str, t: &TlsOpts) -> Result<TlsStream, ConnectError> {
    let setup = |m: &str| ConnectError::TlsSetup(m.to_string());
    let provider = settings::provider(&t.ciphers, &t.ciphersuites).map_err(ConnectError::TlsSetup)?;
    let roots = if t.insecure {
        None
    } else {
        let (file, failed) = match (&t.cacert, &t.cacertdir) {
            (None, None) => (Some(SYSTEM_BUNDLE), "Failed to use default CA paths"),
            (f, _) => (f.as_deref(), "Invalid CA Certificate File/Directory"),
        };
        Some(Arc::new(settings::load_roots(file, t.cacertdir.as_deref()).map_err(|_| setup(failed))?))
    };
    let identity = match (&t.cert, &t.key) {
        (Some(c), Some(k)) => Some((
            settings::load_certs(c).map_err(|_| setup("Invalid client certificate"))?,
            settings::load_key(k, false).map_err(|_| setup("Invalid private key"))?,
        )),
        (None, None) => None,
        _ => return Err(setup("Invalid client certificate or key: both --cert and --key are needed")),
    };
    let config = outgoing::client_config(provider, roots, identity).map_err(ConnectError::TlsSetup)?;
    let name = t.sni.as_deref().unwrap_or(host);
    let server_name = ServerName::try_from(name.to_string()).map_err(|_| setup("Failed to configure SNI"))?;
    let handshake = |e: &dyn std::fmt::Display| ConnectError::Io(io::Error::other(format!("SSL_connect failed: {e}")));
    let conn = rustls::ClientConnection::new(Arc::new(config), server_name).map_err(|e| handshake(&e))?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).map_err(|e| handshake(&e))?;
    }
    Ok(s)
}
