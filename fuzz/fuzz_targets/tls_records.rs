//! Raw bytes to a TLS client connection's read step, then its RESP parser: fed instead of a handshake (records,
//! garbage), or after a real handshake with our own TLS client, as plaintext (which must come out exactly as
//! sent) followed by raw bytes on the wire. Nothing may panic; a bad record only fails that connection.
//!
//! Input: the first byte picks the mode (bit 0) and where the input splits into plaintext and raw tail (the
//! rest of the byte, in 1/255ths of the length).
#![no_main]
use ferredis::net::client::{Client, ClientState};
use ferredis::net::conn::Conn;
use ferredis::net::io::{read_step, ReadOut};
use ferredis::net::tls::{outgoing, settings, Session};
use ferredis::resp::parse::{parse_whole, Limits};
use libfuzzer_sys::fuzz_target;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, OnceLock};

/// The server and client configurations (an ECDSA P-256 self-signed certificate in fuzz/tls/).
fn configs() -> &'static (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    static C: OnceLock<(Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>)> = OnceLock::new();
    C.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ferredis-fuzz-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, include_str!("../tls/cert.pem")).unwrap();
        std::fs::write(&key, include_str!("../tls/key.pem")).unwrap();
        let certs = settings::load_certs(cert.to_str().unwrap()).unwrap();
        let key = settings::load_key(key.to_str().unwrap(), false).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let provider = settings::provider("", "").unwrap();
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let client = outgoing::client_config(provider, None, None).unwrap();
        (Arc::new(server), Arc::new(client))
    })
}

/// A socket pair: the server's client on one end, the other end for the test.
fn pair() -> (Box<Client>, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let fd: OwnedFd = a.into();
    let st = ClientState::new(1, fd.as_raw_fd(), String::new(), String::new(), 0);
    let mut c = Box::new(Client::new(st, Some(fd)));
    c.tls = Some(Box::new(Session::accept(configs().0.clone()).unwrap()));
    (c, b)
}

/// Read steps until the socket has nothing more; false once the connection ended or failed.
fn drain(c: &mut Client) -> bool {
    for _ in 0..10_000 {
        match read_step(c) {
            ReadOut::Data(_) => {}
            ReadOut::Again => return true,
            ReadOut::Closed | ReadOut::Failed(_) => return false,
        }
    }
    true
}

/// Writes `bytes` to the raw socket (what fits; a socket pair's buffer is large).
fn raw(b: &UnixStream, bytes: &[u8]) {
    use std::io::Write;
    let mut w = b;
    let _ = w.write_all(bytes);
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else { return };
    let lim = Limits::default();
    let (mut c, b) = pair();
    if head & 1 == 0 {
        // Instead of a handshake.
        for chunk in rest.chunks(4096) {
            raw(&b, chunk);
            if !drain(&mut c) {
                break;
            }
        }
        let _ = parse_whole(c.query.readable(), &lim);
        return;
    }
    // A real handshake first.
    let split = rest.len() * (head >> 1) as usize / 127;
    let (plain, tail) = rest.split_at(split.min(rest.len()));
    let session = Session::connect(configs().1.clone(), "127.0.0.1").unwrap();
    let mut peer = Conn::with_tls(b.try_clone().unwrap().into(), Box::new(session));
    let mut buf = [0u8; 4096];
    for _ in 0..50 {
        let _ = peer.write(&[]);
        assert!(drain(&mut c), "the handshake failed");
        let _ = ferredis::net::io::write_step(&mut c);
        let _ = peer.read(&mut buf);
        if !c.tls.as_ref().unwrap().is_handshaking() && !peer.wants_write() {
            break;
        }
    }
    assert!(!c.tls.as_ref().unwrap().is_handshaking(), "no handshake");
    let mut sent = 0;
    while sent < plain.len() {
        match peer.write(&plain[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("client write: {e}"),
        }
        assert!(drain(&mut c));
    }
    while peer.wants_write() {
        let _ = peer.write(&[]);
        assert!(drain(&mut c));
    }
    assert_eq!(c.query.readable(), plain, "the plaintext did not come out as sent");
    let _ = parse_whole(c.query.readable(), &lim);
    // Then raw bytes on the wire: at most the end of this connection.
    raw(&b, tail);
    let _ = drain(&mut c);
    let _ = parse_whole(c.query.readable(), &lim);
});
