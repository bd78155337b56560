//! TLS (built only with `--features tls`; `make test-tls`): redis-cli and redis-benchmark 7.0.15 (Debian builds
//! them with TLS) against ferredis's TLS port, mutual TLS and `tls-auth-clients`, certificates reloaded by CONFIG
//! SET, TLS and plain ports side by side, the directives' errors, a malformed record closing only its connection,
//! the same traffic with the I/O threads, replication with Redis 7.0.15 both ways (`tls-replication`, and
//! `repl-diskless-load` from a TLS link), protected mode and maxclients refusals on the TLS port, big arguments'
//! query buffers, redis-py over TLS, and ferredis-cli against redis-cli over TLS (its options and `rediss://`,
//! `--pipe`, the other modes, and the cluster manager building and resharding a cluster of TLS nodes). The
//! certificates are made with `openssl` as Redis's `utils/gen-test-certs.sh` makes its own.
#![cfg(feature = "tls")]

mod common;

use common::{free_port, have_tool, redis_cli_bin, Conn, Kind, Server, TempDir};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `openssl` with `args` in `dir`; panics with its output on failure.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// [`make_certs`]' files in `dir`: made once per run of this binary (RSA key generation takes seconds on a
/// loaded machine) and copied for each test.
fn gen_certs(dir: &Path) {
    static MADE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let made = MADE.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Sets of earlier runs whose process is gone.
        for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("tls-certs-") {
                if !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let d = tmp.join(format!("tls-certs-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        make_certs(&d);
        d
    });
    for e in std::fs::read_dir(made).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
}

/// A CA, and `server`, `client` (restricted by key usage, as Redis's script makes them) and `redis` (generic)
/// certificates signed by it, in `dir`.
fn make_certs(dir: &Path) {
    std::fs::write(
        dir.join("openssl.cnf"),
        "[ server_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = server\n\
         [ client_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = client\n",
    )
    .unwrap();
    openssl(dir, &["genrsa", "-out", "ca.key", "2048"]);
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-nodes",
            "-sha256",
            "-key",
            "ca.key",
            "-days",
            "3650",
            "-subj",
            "/O=Redis Test/CN=Certificate Authority",
            "-out",
            "ca.crt",
        ],
    );
    for (name, cn, ext) in [
        ("server", "Server-only", "server_cert"),
        ("client", "Client-only", "client_cert"),
        ("redis", "Generic-cert", ""),
    ] {
        openssl(dir, &["genrsa", "-out", &format!("{name}.key"), "2048"]);
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-sha256",
                "-subj",
                &format!("/O=Redis Test/CN={cn}"),
                "-key",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
            ],
        );
        let (crt, csr) = (format!("{name}.crt"), format!("{name}.csr"));
        let mut args = vec![
            "x509",
            "-req",
            "-sha256",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAserial",
            "ca.txt",
            "-CAcreateserial",
            "-days",
            "365",
            "-out",
            &crt,
        ];
        if !ext.is_empty() {
            args.extend(["-extfile", "openssl.cnf", "-extensions", ext]);
        }
        openssl(dir, &args);
    }
}

struct Tls {
    _dir: TempDir,
    path: std::path::PathBuf,
    server: Server,
    tls_port: u16,
}

impl Tls {
    fn file(&self, name: &str) -> String {
        self.path.join(name).to_string_lossy().into_owned()
    }

    /// redis-cli over TLS with the client certificate (`cert`: false = none) and `args`; (success, stdout+stderr).
    fn cli(&self, cert: bool, args: &[&str]) -> (bool, String) {
        self.cli_with_input(cert, args, b"")
    }

    /// [`Tls::cli`] with `input` on redis-cli's standard input (for `-x`).
    fn cli_with_input(&self, cert: bool, args: &[&str], input: &[u8]) -> (bool, String) {
        let mut cmd = Command::new(redis_cli_bin());
        cmd.args(["-h", "127.0.0.1", "-p", &self.tls_port.to_string(), "--tls", "--cacert", &self.file("ca.crt")]);
        if cert {
            cmd.args(["--cert", &self.file("client.crt"), "--key", &self.file("client.key")]);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run redis-cli");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input).expect("write redis-cli's input");
        drop(stdin);
        let out = child.wait_with_output().expect("redis-cli's output");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success() && !text.contains("Could not connect") && !text.contains("Error:"), text)
    }

    /// The subject the TLS port presents, as `openssl s_client` prints it.
    fn presented_subject(&self) -> String {
        let out = Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{}", self.tls_port), "-CAfile", &self.file("ca.crt")])
            .args(["-cert", &self.file("client.crt"), "-key", &self.file("client.key")])
            .stdin(Stdio::null())
            .output()
            .expect("run openssl s_client");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().find(|l| l.starts_with("subject=")).unwrap_or("").to_string()
    }
}

/// ferredis with a TLS port beside its plain one, `extra` arguments after the TLS ones; `None` without the tools.
fn start(extra: &[&str]) -> Option<Tls> {
    if !have_tool("/usr/bin/redis-cli") || !have_tool("/usr/bin/openssl") {
        return None;
    }
    let dir = TempDir::new("tls");
    let path = dir.path().to_path_buf();
    gen_certs(&path);
    let f = |n: &str| path.join(n).to_string_lossy().into_owned();
    let tls_port = free_port();
    let port = tls_port.to_string();
    let (cert, key, ca) = (f("redis.crt"), f("redis.key"), f("ca.crt"));
    let mut args =
        vec!["--tls-port", &port, "--tls-cert-file", &cert, "--tls-key-file", &key, "--tls-ca-cert-file", &ca];
    args.extend_from_slice(extra);
    let server = Server::start(Kind::Ferredis, &args);
    Some(Tls { _dir: dir, path, server, tls_port })
}

#[test]
fn redis_cli_over_tls_with_mutual_tls_and_plain_port_beside() {
    let Some(t) = start(&[]) else { return };
    assert_eq!(t.cli(true, &["SET", "k", "over-tls"]), (true, "OK\n".into()));
    assert_eq!(t.cli(true, &["GET", "k"]), (true, "over-tls\n".into()));
    // The plain port serves the same data.
    let mut plain = t.server.conn();
    assert_eq!(plain.cmd(&["GET", "k"]), b"$8\r\nover-tls\r\n");
    // tls-auth-clients yes (the default): no certificate, no connection.
    let (ok, text) = t.cli(false, &["PING"]);
    assert!(!ok, "{text}");
    // optional and no: a client without a certificate is served; the change applies to the next connection.
    for mode in ["optional", "no"] {
        assert_eq!(plain.cmd(&["CONFIG", "SET", "tls-auth-clients", mode]), b"+OK\r\n");
        assert_eq!(t.cli(false, &["PING"]), (true, "PONG\n".into()), "{mode}");
        assert_eq!(t.cli(true, &["PING"]), (true, "PONG\n".into()), "{mode}");
    }
    // A big value both ways (many records per reply).
    let big = "x".repeat(300_000);
    assert_eq!(t.cli_with_input(true, &["-x", "SET", "big"], big.as_bytes()).1, "OK\n");
    assert_eq!(t.cli(true, &["STRLEN", "big"]).1, "300000\n");
    assert_eq!(t.cli(true, &["GET", "big"]).1.trim_end().len(), 300_000);
}

#[test]
fn redis_benchmark_pipelined_over_tls() {
    if !have_tool("/usr/bin/redis-benchmark") {
        return;
    }
    for extra in [&[][..], &["--io-threads", "2", "--io-threads-do-reads", "yes"][..], &["--io-threads", "2"][..]] {
        let Some(t) = start(extra) else { return };
        for pipeline in ["16", "1"] {
            let out = Command::new("/usr/bin/redis-benchmark")
                .args(["-h", "127.0.0.1", "-p", &t.tls_port.to_string(), "--tls", "--cacert", &t.file("ca.crt")])
                .args(["--cert", &t.file("client.crt"), "--key", &t.file("client.key")])
                .args(["-n", "20000", "-c", "8", "-P", pipeline, "-t", "set,get", "-r", "1000", "-d", "100", "-q"])
                .stdin(Stdio::null())
                .output()
                .expect("run redis-benchmark");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{extra:?} -P {pipeline}: {text}");
            assert_eq!(text.matches("requests per second").count(), 2, "{extra:?} -P {pipeline}: {text}");
        }
        let mut plain = t.server.conn();
        let n = common::Resp::parse(&plain.cmd(&["DBSIZE"])).unwrap().as_int().unwrap();
        assert!(n > 500, "{extra:?}: {n} keys");
    }
}

#[test]
fn config_set_reloads_certificates_and_rejects_what_rustls_lacks() {
    let Some(t) = start(&[]) else { return };
    assert!(t.presented_subject().contains("Generic-cert"), "{}", t.presented_subject());
    let mut plain = t.server.conn();
    let (cert, key) = (t.file("live.crt"), t.file("live.key"));
    std::fs::copy(t.file("server.crt"), &cert).unwrap();
    std::fs::copy(t.file("server.key"), &key).unwrap();
    // A certificate whose key is still the old one: refused, and the old pair stays.
    let r = plain.cmd(&["CONFIG", "SET", "tls-cert-file", &cert]);
    assert_eq!(
        String::from_utf8_lossy(&r),
        "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS \
         configuration. Check server logs.\r\n"
    );
    assert!(plain.cmd(&["CONFIG", "GET", "tls-cert-file"]).ends_with(b"redis.crt\r\n"));
    assert!(t.presented_subject().contains("Generic-cert"), "{}", t.presented_subject());
    assert_eq!(plain.cmd(&["CONFIG", "SET", "tls-cert-file", &cert, "tls-key-file", &key]), b"+OK\r\n");
    assert!(t.presented_subject().contains("Server-only"), "{}", t.presented_subject());
    assert_eq!(t.cli(true, &["PING"]), (true, "PONG\n".into()));
    // The same file again reloads it (Redis's file directives are volatile): rewrite the pair in place.
    std::fs::copy(t.file("redis.crt"), &cert).unwrap();
    std::fs::copy(t.file("redis.key"), &key).unwrap();
    assert!(t.presented_subject().contains("Server-only"), "{}", t.presented_subject());
    assert_eq!(plain.cmd(&["CONFIG", "SET", "tls-cert-file", &cert, "tls-key-file", &key]), b"+OK\r\n");
    assert!(t.presented_subject().contains("Generic-cert"), "{}", t.presented_subject());
    // What rustls doesn't have is an error, logged with the reason; the configuration in force stays.
    for (name, value, logged) in [
        ("tls-protocols", "TLSv1.1", "rustls speaks TLSv1.2 and TLSv1.3"),
        ("tls-protocols", "SSLv3", "Invalid tls-protocols specified"),
        ("tls-ciphers", "AES128-SHA", "'AES128-SHA' is not a cipher this build (rustls) offers"),
        ("tls-ciphersuites", "TLS_AES_128_CCM_SHA256", "is not a cipher suite this build (rustls) offers"),
    ] {
        let r = plain.cmd(&["CONFIG", "SET", name, value]);
        assert!(String::from_utf8_lossy(&r).contains("Unable to update TLS configuration"), "{name} {value}");
        assert!(t.server.log_text().contains(logged), "{name} {value}: {}", t.server.log_text());
        assert_eq!(
            plain.cmd(&["CONFIG", "GET", name]),
            format!("*2\r\n${}\r\n{name}\r\n$0\r\n\r\n", name.len()).as_bytes()
        );
    }
    // What it has is applied: TLS 1.3 with one suite, then TLS 1.2 with one OpenSSL-named cipher.
    assert_eq!(
        plain.cmd(&["CONFIG", "SET", "tls-protocols", "TLSv1.3", "tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"]),
        b"+OK\r\n"
    );
    assert_eq!(t.cli(true, &["PING"]), (true, "PONG\n".into()));
    assert_eq!(
        plain.cmd(&[
            "CONFIG",
            "SET",
            "tls-protocols",
            "TLSv1.2",
            "tls-ciphers",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "tls-prefer-server-ciphers",
            "yes"
        ]),
        b"+OK\r\n"
    );
    assert_eq!(t.cli(true, &["PING"]), (true, "PONG\n".into()));
    // A new tls-port re-opens the TLS listener.
    let port = free_port();
    assert_eq!(plain.cmd(&["CONFIG", "SET", "tls-port", &port.to_string()]), b"+OK\r\n");
    let moved = Tls { tls_port: port, ..t };
    assert_eq!(moved.cli(true, &["PING"]), (true, "PONG\n".into()));
}

#[test]
fn a_malformed_record_closes_only_its_connection() {
    let Some(t) = start(&["--tls-auth-clients", "no"]) else { return };
    // Plaintext RESP and random bytes on the TLS port: each such connection is closed, nothing else.
    for junk in [&b"*1\r\n$4\r\nPING\r\n"[..], &[0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3][..], &[0x17; 64][..]] {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", t.tls_port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        s.write_all(junk).unwrap();
        let mut buf = Vec::new();
        // An alert at most, then the end of the stream; bytes that are no TLS record at all get no alert (as
        // OpenSSL's "wrong version number"): a plain client sees the end of the stream.
        let _ = s.read_to_end(&mut buf);
        assert!(buf.len() < 64, "{junk:?}: {buf:?}");
        if junk[0] != 0x16 {
            assert_eq!(buf, b"", "{junk:?}");
        }
    }
    // A handshake left half done keeps its connection, and blocks nobody.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", t.tls_port)).unwrap();
    idle.write_all(&[0x16, 0x03, 0x01, 0x00]).unwrap();
    assert_eq!(t.cli(false, &["PING"]), (true, "PONG\n".into()));
    let mut plain = Conn::connect(t.server.port);
    assert_eq!(plain.cmd(&["PING"]), b"+PONG\r\n");
    let clients = String::from_utf8_lossy(&plain.cmd(&["CLIENT", "LIST"])).into_owned();
    assert_eq!(clients.matches("id=").count(), 2, "{clients}");
}

#[test]
fn ferredis_cli_tls_options_and_rediss_uris() {
    let Some(t) = start(&[]) else { return };
    let mut plain = t.server.conn();
    // ferredis-cli checks the chain (not the name, as hiredis): serve the v3 server certificate.
    let (cert, key) = (t.file("server.crt"), t.file("server.key"));
    assert_eq!(plain.cmd(&["CONFIG", "SET", "tls-cert-file", &cert, "tls-key-file", &key]), b"+OK\r\n");
    let run = |args: &[String]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ferredis-cli")).args(args).stdin(Stdio::null()).output().unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    let port = t.tls_port.to_string();
    let (ca, ccert, ckey) = (t.file("ca.crt"), t.file("client.crt"), t.file("client.key"));
    let client = ["--cert", ccert.as_str(), "--key", ckey.as_str()];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter().chain(client.iter()).chain(tail.iter()).map(|s| s.to_string()).collect()
    };
    assert_eq!(run(&with(&["-p", &port, "--tls", "--cacert", &ca], &["SET", "k", "v"])), "OK\n");
    assert_eq!(run(&with(&["-p", &port, "--tls", "--cacertdir", t.path.to_str().unwrap()], &["GET", "k"])), "v\n");
    let uri = format!("rediss://127.0.0.1:{port}/0");
    assert_eq!(run(&with(&["-u", &uri, "--cacert", &ca], &["GET", "k"])), "v\n");
    assert_eq!(run(&with(&["-p", &port, "--tls", "--insecure", "--sni", "example.com"], &["GET", "k"])), "v\n");
    // A CA that did not sign the server's certificate: refused, as redis-cli refuses it.
    let other = TempDir::new("tls-other");
    make_certs(other.path());
    let wrong = other.path().join("ca.crt").to_string_lossy().into_owned();
    let text = run(&with(&["-p", &port, "--tls", "--cacert", &wrong], &["PING"]));
    assert!(text.starts_with(&format!("Could not connect to Redis at 127.0.0.1:{port}: SSL_connect failed")), "{text}");
}

/// A server of `kind` with a TLS port beside its plain one, serving `dir`'s server certificate and presenting
/// its client certificate on outgoing links (`tls-client-cert-file`), `extra` after; its TLS port. (webpki
/// reads only X.509 v3 certificates: the generic one, made without extensions, is a v1.)
fn start_kind(kind: Kind, dir: &Path, extra: &[&str]) -> (Server, u16) {
    let (mut args, tls_port) = tls_args(dir);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (Server::start(kind, &args), tls_port)
}

/// [`start_kind`]'s TLS arguments, with a free TLS port (returned too).
fn tls_args(dir: &Path) -> (Vec<String>, u16) {
    let f = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let tls_port = free_port();
    let args = [
        ("--tls-port", tls_port.to_string()),
        ("--tls-cert-file", f("server.crt")),
        ("--tls-key-file", f("server.key")),
        ("--tls-ca-cert-file", f("ca.crt")),
        ("--tls-client-cert-file", f("client.crt")),
        ("--tls-client-key-file", f("client.key")),
    ];
    (args.into_iter().flat_map(|(k, v)| [k.to_string(), v]).collect(), tls_port)
}

fn get(c: &mut Conn, key: &str) -> Vec<u8> {
    c.cmd(&["GET", key])
}

/// `tls-replication yes` both ways with Redis 7.0.15: a full sync (a big value: many records), the stream, and a
/// partial resync after the master client is killed on the replica.
#[test]
fn replication_over_tls_both_ways_with_redis() {
    if !have_tool("/usr/bin/redis-server") || !have_tool("/usr/bin/openssl") {
        return;
    }
    let dir = TempDir::new("tls-repl");
    gen_certs(dir.path());
    let big = "v".repeat(200_000);
    for (mk, rk) in [(Kind::Redis, Kind::Ferredis), (Kind::Ferredis, Kind::Redis)] {
        let what = format!("{} master, {} replica", mk.label(), rk.label());
        let opts = ["--tls-replication", "yes", "--repl-diskless-sync-delay", "0"];
        let (m, mtls) = start_kind(mk, dir.path(), &opts);
        let (r, _) = start_kind(rk, dir.path(), &opts);
        let (mut mc, mut rc) = (m.conn(), r.conn());
        assert_eq!(mc.cmd(&["SET", "before", &big]), b"+OK\r\n");
        assert_eq!(rc.cmd(&["REPLICAOF", "127.0.0.1", &mtls.to_string()]), b"+OK\r\n");
        common::wait_for(&what, || common::info_field(&mut rc, "replication", "master_link_status") == "up");
        assert_eq!(get(&mut rc, "before"), get(&mut mc, "before"), "{what}");
        // The stream.
        assert_eq!(mc.cmd(&["SET", "after", "1"]), b"+OK\r\n");
        common::wait_for(&what, || get(&mut rc, "after") == b"$1\r\n1\r\n");
        // The link dropped: PSYNC continues over a new TLS connection.
        assert_eq!(rc.cmd(&["CLIENT", "KILL", "TYPE", "master"]), b":1\r\n", "{what}");
        assert_eq!(mc.cmd(&["SET", "again", "2"]), b"+OK\r\n");
        common::wait_for(&what, || get(&mut rc, "again") == b"$1\r\n2\r\n");
        assert_eq!(common::info_field(&mut mc, "stats", "sync_full"), "1", "{what}");
        assert_eq!(common::info_field(&mut mc, "stats", "sync_partial_ok"), "1", "{what}");
    }
}

/// Everything a TLS client connecting from `src` to `port` receives until the server closes (at most 5 s): the
/// crate's own TLS client (no certificate, the server's chain not checked).
fn tls_receive_from(src: std::net::IpAddr, port: u16) -> Vec<u8> {
    use ferredis::net::{conn::Conn as Link, tls};
    use ferredis::sys::socket;
    use std::os::fd::AsRawFd;
    let sock = socket::connect_tcp_from("127.0.0.1".parse().unwrap(), port, Some(src)).expect("connect");
    let config = tls::outgoing::client_config(tls::settings::provider("", "").unwrap(), None, None).unwrap();
    let session = tls::Session::connect(std::sync::Arc::new(config), "127.0.0.1").unwrap();
    let mut link = Link::with_tls(sock, Box::new(session));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while std::time::Instant::now() < deadline {
        let _ = link.write(&[]);
        match link.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let _ = socket::wait_readable(link.as_raw_fd(), 50);
            }
            Err(_) => break,
        }
    }
    got
}

/// Protected mode over TLS (a peer that is not 127.0.0.1): the refusal goes through the session once the
/// handshake is done, as Redis sends it, and the connection is counted as rejected only; maxclients on the TLS
/// port writes nothing (no handshake was done, as in Redis).
#[test]
fn protected_mode_and_maxclients_refusals_over_tls() {
    let Some(t) = start(&["--tls-auth-clients", "no", "--protected-mode", "yes", "--bind", "127.0.0.1", "127.0.0.2"])
    else {
        return;
    };
    let mut plain = t.server.conn();
    // rustls reads X.509 v3 certificates only: serve the server one.
    let (cert, key) = (t.file("server.crt"), t.file("server.key"));
    assert_eq!(plain.cmd(&["CONFIG", "SET", "tls-cert-file", &cert, "tls-key-file", &key]), b"+OK\r\n");
    let remote: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let text = tls_receive_from(remote, t.tls_port);
    assert!(text.starts_with(b"-DENIED Redis is running in protected mode"), "{}", String::from_utf8_lossy(&text));
    assert!(text.ends_with(b"from the outside.\r\n"));
    assert_eq!(common::info_field(&mut plain, "stats", "rejected_connections"), "1");
    // A local peer is served.
    assert_eq!(t.cli(false, &["PING"]), (true, "PONG\n".into()));
    assert_eq!(plain.cmd(&["CONFIG", "SET", "maxclients", "1"]), b"+OK\r\n");
    let local: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    assert_eq!(tls_receive_from(local, t.tls_port), b"");
    assert_eq!(common::info_field(&mut plain, "stats", "rejected_connections"), "2");
}

/// redis-py over TLS (argv: port, certificate directory), with its client certificate: commands, a big value, a
/// pipeline, MULTI, pub/sub, RESP3.
const REDIS_PY_OVER_TLS: &str = r#"
import sys, redis
port, d = int(sys.argv[1]), sys.argv[2]
mine = dict(ssl=True, ssl_ca_certs=d + "/ca.crt", ssl_check_hostname=False, ssl_certfile=d + "/client.crt",
            ssl_keyfile=d + "/client.key")
r = redis.Redis(host="127.0.0.1", port=port, **mine)
assert r.ping()
assert r.set("k", "v") and r.get("k") == b"v"
big = b"x" * 300_000
r.set("big", big)
assert r.get("big") == big
p = r.pipeline(transaction=False)
for i in range(200):
    p.incr("n")
assert p.execute()[-1] == 200
with r.pipeline() as t:
    t.multi(); t.set("a", 1); t.get("a")
    assert t.execute() == [True, b"1"]
ps = r.pubsub()
ps.subscribe("ch")
ps.get_message(timeout=2)
r.publish("ch", "hi")
m = ps.get_message(timeout=2)
assert m and m["data"] == b"hi", m
r3 = redis.Redis(host="127.0.0.1", port=port, protocol=3, **mine)
r3.hset("h", "f", "v")
assert r3.hgetall("h") == {b"f": b"v"}
print("ok")
"#;

#[test]
fn redis_py_over_tls() {
    if let Err(why) = common::redispy::redis_py() {
        println!("skipped: {why}");
        return;
    }
    if !have_tool("/usr/bin/openssl") {
        return;
    }
    let dir = TempDir::new("tls-py");
    gen_certs(dir.path());
    let (_s, port) = start_kind(Kind::Ferredis, dir.path(), &[]);
    let out = common::redispy::python(&["-c", REDIS_PY_OVER_TLS, &port.to_string(), dir.path().to_str().unwrap()])
        .output()
        .expect("run python3");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.trim_end() == "ok", "{text}");
}

/// redis-cli over TLS to `port` with `dir`'s client certificate; its output (`--no-raw` off: raw replies).
fn cli_tls(dir: &Path, port: u16, args: &[&str]) -> String {
    let f = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let out = Command::new(redis_cli_bin())
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "--tls", "--cacert", &f("ca.crt")])
        .args(["--cert", &f("client.crt"), "--key", &f("client.key")])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run redis-cli");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// `tls-cluster yes`: a ferredis node and a Redis 7.0.15 node meet, gossip and agree over a TLS bus; each
/// gives a TLS client the other's TLS port and a plain client its plaintext port (CLUSTER NODES, SLOTS, MOVED),
/// and CLUSTER SHARDS has both as Redis 7.0 writes them.
#[test]
fn cluster_bus_over_tls_with_redis() {
    if !have_tool("/usr/bin/redis-server") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-server or openssl");
        return;
    }
    let dir = TempDir::new("tls-cluster");
    gen_certs(dir.path());
    let mut nodes = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let cport = free_port().to_string();
        let opts = ["--cluster-enabled", "yes", "--tls-cluster", "yes", "--cluster-port", &cport];
        let (s, tls) = start_kind(kind, dir.path(), &opts);
        nodes.push((s, tls, cport));
    }
    let (f, ftls, _) = &nodes[0];
    let (r, rtls, rcport) = &nodes[1];
    let (mut fc, mut rc) = (f.conn(), r.conn());
    assert_eq!(fc.cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "8191"]), b"+OK\r\n");
    assert_eq!(rc.cmd(&["CLUSTER", "ADDSLOTSRANGE", "8192", "16383"]), b"+OK\r\n");
    assert_eq!(fc.cmd(&["CLUSTER", "MEET", "127.0.0.1", &rtls.to_string(), rcport]), b"+OK\r\n");
    for (what, c) in [("ferredis", &mut fc), ("redis", &mut rc)] {
        common::wait_for(&format!("{what}: cluster ok over the TLS bus"), || {
            let info = String::from_utf8_lossy(&c.cmd(&["CLUSTER", "INFO"])).into_owned();
            info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:2")
        });
    }
    // Both nodes' views: a TLS client sees TLS ports, a plain client plaintext ports.
    for (what, c, tls_port) in [("ferredis", &mut fc, *ftls), ("redis", &mut rc, *rtls)] {
        let plain = String::from_utf8_lossy(&c.cmd(&["CLUSTER", "NODES"])).into_owned();
        for (s, t) in [(f, ftls), (r, rtls)] {
            assert!(plain.contains(&format!("127.0.0.1:{}@", s.port)), "{what}: {plain}");
            assert!(!plain.contains(&format!("127.0.0.1:{t}@")), "{what}: {plain}");
        }
        let over_tls = cli_tls(dir.path(), tls_port, &["CLUSTER", "NODES"]);
        for (s, t) in [(f, ftls), (r, rtls)] {
            assert!(over_tls.contains(&format!("127.0.0.1:{t}@")), "{what}: {over_tls}");
            assert!(!over_tls.contains(&format!("127.0.0.1:{}@", s.port)), "{what}: {over_tls}");
        }
        let slots = cli_tls(dir.path(), tls_port, &["CLUSTER", "SLOTS"]);
        assert!(slots.contains(&format!("\n{ftls}\n")) && slots.contains(&format!("\n{rtls}\n")), "{what}: {slots}");
    }
    // A key of the Redis node's slots ("foo": 12182) from ferredis: MOVED to the port the client's kind uses.
    assert_eq!(String::from_utf8_lossy(&fc.cmd(&["GET", "foo"])), format!("-MOVED 12182 127.0.0.1:{}\r\n", r.port));
    assert_eq!(cli_tls(dir.path(), *ftls, &["GET", "foo"]).trim_end(), format!("MOVED 12182 127.0.0.1:{rtls}"));
    let over_tls = cli_tls(dir.path(), *rtls, &["GET", "bar"]);
    assert_eq!(over_tls.trim_end(), format!("MOVED 5061 127.0.0.1:{ftls}"));
    // CLUSTER SHARDS: port and tls-port for both nodes, from either node (Redis's layout is the reference).
    for c in [&mut fc, &mut rc] {
        let shards = String::from_utf8_lossy(&c.cmd(&["CLUSTER", "SHARDS"])).into_owned();
        for (s, t) in [(f, ftls), (r, rtls)] {
            assert!(shards.contains(&format!("$4\r\nport\r\n:{}\r\n$8\r\ntls-port\r\n:{t}\r\n", s.port)), "{shards}");
        }
    }
    // MIGRATE talks TLS to its target (a slot the Redis node imports: RESTORE-ASKING is let in).
    let fid =
        String::from_utf8_lossy(&fc.cmd(&["CLUSTER", "MYID"])).trim_start_matches("$40\r\n").trim_end().to_string();
    assert_eq!(rc.cmd(&["CLUSTER", "SETSLOT", "5061", "IMPORTING", &fid]), b"+OK\r\n");
    assert_eq!(fc.cmd(&["SET", "bar", "moved-over-tls"]), b"+OK\r\n");
    assert_eq!(fc.cmd(&["MIGRATE", "127.0.0.1", &rtls.to_string(), "bar", "0", "5000"]), b"+OK\r\n");
    assert_eq!(rc.cmd(&["ASKING"]), b"+OK\r\n");
    assert_eq!(rc.cmd(&["GET", "bar"]), b"$14\r\nmoved-over-tls\r\n");
    // The bus carries the cluster's messages: a PUBLISH on one node reaches a subscriber of the other.
    let mut sub = r.conn();
    sub.send(&["SUBSCRIBE", "ch"]).unwrap();
    assert!(sub.read_reply().unwrap().starts_with(b"*3\r\n$9\r\nsubscribe"));
    assert_eq!(fc.cmd(&["PUBLISH", "ch", "over-the-tls-bus"]), b":0\r\n");
    assert_eq!(sub.read_reply().unwrap(), b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$16\r\nover-the-tls-bus\r\n");
}

/// A TLS client of the crate's own (no certificate, the server's chain not checked) for a raw conversation.
struct RawTls {
    link: ferredis::net::conn::Conn,
}

impl RawTls {
    fn connect(port: u16) -> RawTls {
        use ferredis::net::tls;
        let sock = ferredis::sys::socket::connect_tcp_from("127.0.0.1".parse().unwrap(), port, None).expect("connect");
        let config = tls::outgoing::client_config(tls::settings::provider("", "").unwrap(), None, None).unwrap();
        let session = tls::Session::connect(std::sync::Arc::new(config), "127.0.0.1").unwrap();
        RawTls { link: ferredis::net::conn::Conn::with_tls(sock, Box::new(session)) }
    }

    fn send(&mut self, args: &[&str]) {
        let mut rest = &common::encode_command(args)[..];
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !rest.is_empty() || self.link.wants_write() {
            assert!(std::time::Instant::now() < deadline, "send timed out");
            match self.link.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(e) => panic!("send: {e}"),
            }
        }
    }

    /// What arrives until `until` is in it, the peer closes, or 5 s pass.
    fn receive_until(&mut self, until: &str) -> String {
        use std::os::fd::AsRawFd;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let (mut got, mut buf) = (Vec::new(), [0u8; 4096]);
        while std::time::Instant::now() < deadline && !String::from_utf8_lossy(&got).contains(until) {
            let _ = self.link.write(&[]);
            match self.link.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let _ = ferredis::sys::socket::wait_readable(self.link.as_raw_fd(), 50);
                }
                Err(_) => break,
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    }
}

/// The Lua debugger over TLS, forked (`SCRIPT DEBUG YES`) and in the server (`SYNC`): its conversation goes
/// through the client's TLS session, then EVAL's reply and the end of the connection.
#[test]
fn lua_debugger_over_tls() {
    if !have_tool("/usr/bin/redis-cli") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-cli or openssl");
        return;
    }
    let dir = TempDir::new("tls-ldb");
    gen_certs(dir.path());
    let (_server, tls_port) = start_kind(Kind::Ferredis, dir.path(), &["--tls-auth-clients", "no"]);
    for mode in ["YES", "SYNC"] {
        let mut c = RawTls::connect(tls_port);
        c.send(&["SCRIPT", "DEBUG", mode]);
        assert_eq!(c.receive_until("\r\n"), "+OK\r\n", "{mode}");
        c.send(&["EVAL", "local a = 1\nreturn a + 1", "0"]);
        let text = c.receive_until("-> 1");
        assert!(text.contains("* Stopped at 1, stop reason = step over") && text.contains("-> 1"), "{mode}: {text}");
        c.send(&["print"]);
        let text = c.receive_until("\r\n");
        assert!(text.starts_with("*1\r\n+No local variables"), "{mode}: {text}");
        c.send(&["continue"]);
        let text = c.receive_until(":2\r\n");
        assert!(text.contains("<endsession>") && text.ends_with(":2\r\n"), "{mode}: {text}");
    }
    // The server kept serving over TLS meanwhile.
    assert_eq!(cli_tls(dir.path(), tls_port, &["PING"]), "PONG\n");
}

/// Sentinel with `tls-replication yes`: a ferredis sentinel and a Redis 7.0.15 one watch a Redis 7.0.15 master
/// that has a ferredis replica, every link over TLS (commands, pub/sub hellos, sentinel to sentinel); the
/// sentinels find the replica and each other, and answer a TLS client on their TLS port.
#[test]
fn sentinel_over_tls_with_redis() {
    if !have_tool("/usr/bin/redis-server") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-server or openssl");
        return;
    }
    let dir = TempDir::new("tls-sentinel");
    gen_certs(dir.path());
    let opts = ["--tls-replication", "yes"];
    let (_m, mtls) = start_kind(Kind::Redis, dir.path(), &opts);
    let (r, _) = start_kind(Kind::Ferredis, dir.path(), &opts);
    let mut rc = r.conn();
    assert_eq!(rc.cmd(&["REPLICAOF", "127.0.0.1", &mtls.to_string()]), b"+OK\r\n");
    common::wait_for("the replica's link", || common::info_field(&mut rc, "replication", "master_link_status") == "up");
    let conf =
        format!("sentinel monitor mymaster 127.0.0.1 {mtls} 2\nsentinel down-after-milliseconds mymaster 2000\n");
    let mut sentinels = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let (mut args, tls_port) = tls_args(dir.path());
        args.extend(["--tls-replication".to_string(), "yes".to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sentinels.push((Server::start_sentinel(kind, &conf, &args), tls_port));
    }
    for (s, tls_port) in &sentinels {
        let what = s.kind.label();
        let mut c = s.conn();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let m = String::from_utf8_lossy(&c.cmd(&["SENTINEL", "MASTER", "mymaster"])).into_owned();
            if m.contains("$5\r\nflags\r\n$6\r\nmaster\r\n")
                && m.contains("$10\r\nnum-slaves\r\n$1\r\n1\r\n")
                && m.contains("$19\r\nnum-other-sentinels\r\n$1\r\n1\r\n")
                && String::from_utf8_lossy(&c.cmd(&["SENTINEL", "SENTINELS", "mymaster"]))
                    .contains("$5\r\nflags\r\n$8\r\nsentinel\r\n")
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: the replica and the other sentinel: {m}\n{}",
                s.log_text()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let peers = String::from_utf8_lossy(&c.cmd(&["SENTINEL", "SENTINELS", "mymaster"])).into_owned();
        assert!(peers.contains("$5\r\nflags\r\n$8\r\nsentinel\r\n"), "{what}: {peers}");
        // A TLS client of the sentinel.
        let addr = cli_tls(dir.path(), *tls_port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]);
        assert_eq!(addr, format!("127.0.0.1\n{mtls}\n"), "{what}");
    }
}

/// Runs `bin` (redis-cli or ferredis-cli) with `args` and `input` on its standard input: (stdout, stderr, exit
/// status).
fn run_client(bin: &Path, args: &[String], input: &[u8]) -> (String, String, Option<i32>) {
    let mut child = Command::new(bin)
        .args(args)
        .env_remove("REDISCLI_AUTH")
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // A writer thread: the client reads replies while its input is still coming.
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("the client's output");
    let _ = feeder.join();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// redis-cli, then ferredis-cli (this build's).
fn both_clis() -> [std::path::PathBuf; 2] {
    [redis_cli_bin(), env!("CARGO_BIN_EXE_ferredis-cli").into()]
}

/// The TLS options of a client of `dir`'s servers, with the client certificate (`tls-auth-clients` is on).
fn client_tls_args(dir: &Path) -> Vec<String> {
    let f = |n: &str| dir.join(n).to_string_lossy().into_owned();
    ["--tls", "--cacert", &f("ca.crt"), "--cert", &f("client.crt"), "--key", &f("client.key")]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// `--pipe` over TLS: the same mass insertion (small and large values, one wrong command) through redis-cli
/// and ferredis-cli to a TLS port prints the same lines and exits the same way, and stores the same keys.
#[test]
fn ferredis_cli_pipe_over_tls_as_redis_cli() {
    if !have_tool("/usr/bin/redis-cli") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-cli or openssl");
        return;
    }
    let dir = TempDir::new("tls-pipe");
    gen_certs(dir.path());
    let (server, tls_port) = start_kind(Kind::Ferredis, dir.path(), &[]);
    let mut proto = Vec::new();
    let big = "x".repeat(100_000);
    for i in 0..30_000 {
        let value = if i % 1000 == 0 { big.as_str() } else { "value" };
        proto.extend_from_slice(&common::encode_command(&["SET", &format!("key:{i}"), value]));
        if i == 12_345 {
            proto.extend_from_slice(&common::encode_command(&["INCR", "key:0"]));
        }
    }
    let mut args = client_tls_args(dir.path());
    args.extend(["-h", "127.0.0.1", "-p", &tls_port.to_string(), "--pipe"].map(String::from));
    let mut plain = server.conn();
    let mut runs = Vec::new();
    for bin in both_clis() {
        assert_eq!(plain.cmd(&["FLUSHALL"]), b"+OK\r\n");
        let run = run_client(&bin, &args, &proto);
        assert_eq!(plain.cmd(&["DBSIZE"]), b":30000\r\n", "{}: {run:?}", bin.display());
        assert_eq!(plain.cmd(&["STRLEN", "key:29000"]), b":100000\r\n", "{}", bin.display());
        runs.push(run);
    }
    assert_eq!(runs[0].0, "All data transferred. Waiting for the last reply...\nLast reply received from server.\nerrors: 1, replies: 30001\n");
    assert_eq!(runs[1], runs[0]);
    // Nothing on the standard input: only the closing ECHO goes out.
    let empty: Vec<_> = both_clis().iter().map(|bin| run_client(bin, &args, b"")).collect();
    assert_eq!(empty[0].0, "All data transferred. Waiting for the last reply...\nLast reply received from server.\nerrors: 0, replies: 0\n");
    assert_eq!(empty[1], empty[0]);
}

/// The cluster manager over TLS: `ferredis-cli --tls ... --cluster create` makes a cluster of three ferredis
/// masters given by their TLS ports (`tls-cluster yes`: the bus is TLS too), then `check` (the same bytes as
/// redis-cli's on the same cluster), `reshard` (its MIGRATEs go over TLS) and `call`, each connection to a node
/// made with the TLS options. Unusable TLS options stop it as they stop redis-cli.
#[test]
fn ferredis_cli_cluster_manager_over_tls() {
    if !have_tool("/usr/bin/redis-cli") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-cli or openssl");
        return;
    }
    let dir = TempDir::new("tls-cli-cluster");
    gen_certs(dir.path());
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let cport = free_port().to_string();
        let opts = ["--cluster-enabled", "yes", "--tls-cluster", "yes", "--cluster-port", &cport];
        nodes.push(start_kind(Kind::Ferredis, dir.path(), &opts));
    }
    let addrs: Vec<String> = nodes.iter().map(|(_, t)| format!("127.0.0.1:{t}")).collect();
    let tls = client_tls_args(dir.path());
    let [redis_cli, ferredis_cli] = both_clis();
    let manager = |bin: &Path, tail: &[&str]| {
        let mut args = tls.clone();
        args.extend(["--cluster"].iter().chain(tail).map(|s| s.to_string()));
        run_client(bin, &args, b"")
    };
    let mut create = vec!["create"];
    create.extend(addrs.iter().map(String::as_str));
    create.push("--cluster-yes");
    let (out, err, code) = manager(&ferredis_cli, &create);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
    for (s, _) in &nodes {
        let mut c = s.conn();
        common::wait_for("cluster_state:ok on every node", || {
            let info = String::from_utf8_lossy(&c.cmd(&["CLUSTER", "INFO"])).into_owned();
            info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3")
        });
    }
    // The nodes met on their TLS ports (a plain client is shown the plaintext ones).
    let over_tls = cli_tls(dir.path(), nodes[0].1, &["CLUSTER", "NODES"]);
    for a in &addrs {
        assert!(over_tls.contains(&format!("{a}@")), "{over_tls}");
    }
    // Keys in the first master's slots, for the reshard to move.
    let mut c0 = nodes[0].0.conn();
    let keys: Vec<String> =
        (0..20_000).map(|i| format!("k{i}")).filter(|k| common::cluster::key_slot(k.as_bytes()) < 100).collect();
    assert!(!keys.is_empty());
    for k in &keys {
        assert_eq!(c0.cmd(&["SET", k, "v"]), b"+OK\r\n");
    }
    let (check_f, check_r) =
        (manager(&ferredis_cli, &["check", &addrs[0]]), manager(&redis_cli, &["check", &addrs[0]]));
    assert_eq!(check_f.2, Some(0), "{check_f:?}");
    assert!(check_f.0.contains("[OK] All nodes agree about slots configuration."), "{check_f:?}");
    assert_eq!(check_f, check_r);
    let id = |i: usize| {
        String::from_utf8_lossy(&nodes[i].0.conn().cmd(&["CLUSTER", "MYID"])).lines().nth(1).unwrap_or("").to_string()
    };
    let (from, to) = (id(0), id(1));
    let reshard = ["reshard", &addrs[2], "--cluster-from", &from, "--cluster-to", &to, "--cluster-slots", "100"];
    let (out, err, code) = manager(&ferredis_cli, &[&reshard[..], &["--cluster-yes"]].concat());
    assert_eq!(code, Some(0), "{out}{err}");
    let mut c1 = nodes[1].0.conn();
    let moved: usize = (0..100)
        .map(|s| {
            let r = c1.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s.to_string()]);
            String::from_utf8_lossy(&r).trim_start_matches(':').trim_end().parse::<usize>().unwrap_or(0)
        })
        .sum();
    assert_eq!(moved, keys.len(), "the keys of slots 0-99 are on the second master now");
    assert_eq!(c0.cmd(&["DBSIZE"]), b":0\r\n");
    let (out, err, code) = manager(&ferredis_cli, &["check", &addrs[0]]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("[OK] All nodes agree about slots configuration."), "{out}");
    let (out, _, _) = manager(&ferredis_cli, &["call", &addrs[0], "DBSIZE"]);
    assert!(out.contains(&format!("{}: {}", addrs[1], keys.len())), "{out}");
    // A CA file that cannot be read: the manager stops before any command, with redis-cli's line.
    let mut bad = tls.clone();
    bad[2] = dir.path().join("no-such-ca.crt").to_string_lossy().into_owned();
    let runs: Vec<_> = both_clis()
        .iter()
        .map(|bin| {
            let mut args = bad.clone();
            args.extend(["--cluster", "check", &addrs[0]].map(String::from));
            run_client(bin, &args, b"")
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].1.starts_with("TLS Error: Invalid CA Certificate File/Directory"), "{:?}", runs[0]);
}

/// The other modes over TLS print what redis-cli prints on the same data: `-x`, `--eval`, `--scan`, `--bigkeys`,
/// `--memkeys`, and `--rdb` / `--functions-rdb` (the same messages, an RDB file each).
#[test]
fn ferredis_cli_modes_over_tls_as_redis_cli() {
    if !have_tool("/usr/bin/redis-cli") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-cli or openssl");
        return;
    }
    let dir = TempDir::new("tls-cli-modes");
    gen_certs(dir.path());
    let (server, tls_port) = start_kind(Kind::Ferredis, dir.path(), &[]);
    let mut plain = server.conn();
    for i in 0..50 {
        assert_eq!(plain.cmd(&["SET", &format!("key:{i}"), &"v".repeat(i)]), b"+OK\r\n");
    }
    assert_eq!(plain.cmd(&["RPUSH", "list", "a", "b", "c"]), b":3\r\n");
    assert_eq!(plain.cmd(&["HSET", "hash", "f", "v"]), b":1\r\n");
    let script = dir.path().join("script.lua");
    std::fs::write(&script, "return {KEYS[1], ARGV[1], redis.call('GET', KEYS[1])}").unwrap();
    let script = script.to_string_lossy().into_owned();
    let mut base = client_tls_args(dir.path());
    base.extend(["-h", "127.0.0.1", "-p", &tls_port.to_string()].map(String::from));
    let cases: [(&[&str], &[u8]); 6] = [
        (&["-x", "SET", "from-stdin"], b"piped value"),
        (&["--eval", &script, "key:3", ",", "arg"], b""),
        (&["--scan", "--pattern", "key:*"], b""),
        (&["--bigkeys"], b""),
        (&["--memkeys"], b""),
        (&["GET", "from-stdin"], b""),
    ];
    for (args, input) in cases {
        let mut all = base.clone();
        all.extend(args.iter().map(|s| s.to_string()));
        let runs: Vec<_> = both_clis().iter().map(|bin| run_client(bin, &all, input)).collect();
        assert_eq!(runs[0].2, Some(0), "{args:?}: {:?}", runs[0]);
        assert_eq!(runs[1], runs[0], "{args:?}");
    }
    for mode in ["--rdb", "--functions-rdb"] {
        let runs: Vec<_> = both_clis()
            .iter()
            .enumerate()
            .map(|(i, bin)| {
                let file = dir.path().join(format!("dump-{i}.rdb"));
                let mut all = base.clone();
                all.extend([mode.to_string(), file.to_string_lossy().into_owned()]);
                let (out, err, code) = run_client(bin, &all, b"");
                let rdb = std::fs::read(&file).unwrap_or_default();
                assert!(rdb.starts_with(b"REDIS"), "{mode} by {}: {out}{err}", bin.display());
                // The file's name, and the byte count (the RDB's aux fields vary), aside.
                let text = format!("{out}{err}").replace(&file.to_string_lossy().into_owned(), "FILE");
                (text.lines().filter(|l| !l.starts_with("Transfer finished")).collect::<Vec<_>>().join("\n"), code)
            })
            .collect();
        assert_eq!(runs[0].1, Some(0), "{mode}: {:?}", runs[0]);
        assert_eq!(runs[1], runs[0], "{mode}");
    }
}

/// Big arguments over TLS take the query buffer they take from a plain socket (the room reserved for the
/// argument, not twice it): under `maxmemory-clients 3000000`, a TLS client queueing two 750 kB SETs in MULTI
/// stays (1.5 MB queued, 0.75 MB of buffer), as with Redis over TLS (Redis's unit/client-eviction in TLS mode).
#[test]
fn big_arguments_over_tls_keep_their_exact_query_buffer() {
    if !have_tool("/usr/bin/redis-server") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-server or openssl");
        return;
    }
    let dir = TempDir::new("tls-bigarg");
    gen_certs(dir.path());
    let value = "v".repeat(750_000);
    for kind in [Kind::Redis, Kind::Ferredis] {
        let what = kind.label();
        let (server, tls_port) =
            start_kind(kind, dir.path(), &["--tls-auth-clients", "no", "--maxmemory-clients", "3000000"]);
        let mut c = RawTls::connect(tls_port);
        c.send(&["MULTI"]);
        assert_eq!(c.receive_until("\r\n"), "+OK\r\n", "{what}");
        for _ in 0..2 {
            c.send(&["SET", "k", &value]);
            assert_eq!(c.receive_until("\r\n"), "+QUEUED\r\n", "{what}");
        }
        c.send(&["EXEC"]);
        assert_eq!(c.receive_until("+OK\r\n+OK\r\n"), "*2\r\n+OK\r\n+OK\r\n", "{what}");
        assert_eq!(server.conn().cmd(&["STRLEN", "k"]), b":750000\r\n", "{what}");
    }
}

/// `repl-diskless-load swapdb` and `on-empty-db` over a TLS link: the ferredis replica of a Redis 7.0.15 master
/// loads the payload straight from its TLS session (`to parser`), whether the master sends it from disk
/// (`$<len>`) or diskless (EOF mark), and the stream goes on after it.
#[test]
fn diskless_load_over_tls_from_redis() {
    if !have_tool("/usr/bin/redis-server") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-server or openssl");
        return;
    }
    let dir = TempDir::new("tls-diskless-load");
    gen_certs(dir.path());
    let big = "v".repeat(300_000);
    for (load, sync) in [("swapdb", "no"), ("swapdb", "yes"), ("on-empty-db", "yes")] {
        let what = format!("repl-diskless-load {load}, master repl-diskless-sync {sync}");
        let mopts = ["--tls-replication", "yes", "--repl-diskless-sync", sync, "--repl-diskless-sync-delay", "0"];
        let (m, mtls) = start_kind(Kind::Redis, dir.path(), &mopts);
        let (r, _) =
            start_kind(Kind::Ferredis, dir.path(), &["--tls-replication", "yes", "--repl-diskless-load", load]);
        let (mut mc, mut rc) = (m.conn(), r.conn());
        for i in 0..200 {
            assert_eq!(mc.cmd(&["SET", &format!("k{i}"), &big[..i * 1000]]), b"+OK\r\n");
        }
        assert_eq!(rc.cmd(&["REPLICAOF", "127.0.0.1", &mtls.to_string()]), b"+OK\r\n");
        common::wait_for(&what, || common::info_field(&mut rc, "replication", "master_link_status") == "up");
        let log = r.log_text();
        assert!(log.contains("MASTER <-> REPLICA sync: receiving") && log.contains(" to parser"), "{what}: {log}");
        assert_eq!(rc.cmd(&["DBSIZE"]), b":200\r\n", "{what}");
        assert_eq!(get(&mut rc, "k199"), get(&mut mc, "k199"), "{what}");
        assert_eq!(mc.cmd(&["SET", "after", "1"]), b"+OK\r\n");
        common::wait_for(&what, || get(&mut rc, "after") == b"$1\r\n1\r\n");
    }
}

/// MIGRATE's timeout covers the TLS handshake with its target (`tls-cluster yes`): a target busy in DEBUG SLEEP
/// makes it an IOERR, not a wait, as with Redis (Redis's unit/dump "MIGRATE timeout actually works" in TLS mode).
#[test]
fn migrate_timeout_covers_the_tls_handshake() {
    if !have_tool("/usr/bin/redis-server") || !have_tool("/usr/bin/openssl") {
        println!("skipped: no redis-server or openssl");
        return;
    }
    let dir = TempDir::new("tls-migrate-timeout");
    gen_certs(dir.path());
    for kind in [Kind::Redis, Kind::Ferredis] {
        let what = kind.label();
        let (source, _) = start_kind(kind, dir.path(), &["--tls-cluster", "yes"]);
        let (target, target_tls) = start_kind(kind, dir.path(), &["--tls-cluster", "yes"]);
        let mut c = source.conn();
        assert_eq!(c.cmd(&["SET", "key", "value"]), b"+OK\r\n");
        let mut sleeper = target.conn();
        sleeper.send(&["DEBUG", "SLEEP", "3"]).unwrap();
        // Asleep once a PING on its plain port goes unanswered for a while.
        common::wait_for(&format!("{what}: the target asleep"), || {
            let mut probe = std::net::TcpStream::connect(("127.0.0.1", target.port)).unwrap();
            probe.set_read_timeout(Some(std::time::Duration::from_millis(300))).unwrap();
            probe.write_all(b"PING\r\n").unwrap();
            probe.read(&mut [0u8; 16]).is_err()
        });
        let reply = c.cmd(&["MIGRATE", "127.0.0.1", &target_tls.to_string(), "key", "0", "500"]);
        assert!(reply.starts_with(b"-IOERR"), "{what}: {}", String::from_utf8_lossy(&reply));
        assert_eq!(sleeper.read_reply().unwrap(), b"+OK\r\n", "{what}");
        assert_eq!(c.cmd(&["EXISTS", "key"]), b":1\r\n", "{what}");
    }
}

/// A TLS client's query buffer is the size a plain client's is after the same small command (CLIENT LIST's
/// `qbuf-free`): reading a record's plaintext asks for no more room than a plain read does (Redis's
/// unit/querybuf in TLS mode).
#[test]
fn small_commands_over_tls_take_a_plain_clients_query_buffer() {
    if !have_tool("/usr/bin/openssl") {
        println!("skipped: no openssl");
        return;
    }
    let dir = TempDir::new("tls-qbuf");
    gen_certs(dir.path());
    let (server, tls_port) = start_kind(Kind::Ferredis, dir.path(), &["--tls-auth-clients", "no"]);
    let mut plain_client = server.conn();
    assert_eq!(plain_client.cmd(&["CLIENT", "SETNAME", "plain"]), b"+OK\r\n");
    let mut tls_client = RawTls::connect(tls_port);
    tls_client.send(&["CLIENT", "SETNAME", "tls"]);
    assert_eq!(tls_client.receive_until("\r\n"), "+OK\r\n");
    let list = String::from_utf8_lossy(&server.conn().cmd(&["CLIENT", "LIST"])).into_owned();
    let qbuf = |name: &str| {
        let line = list.lines().find(|l| l.contains(&format!(" name={name} "))).unwrap_or_default();
        line.split(' ').find(|f| f.starts_with("qbuf-free=")).unwrap_or_default().to_string()
    };
    assert!(!qbuf("plain").is_empty(), "{list}");
    assert_eq!(qbuf("tls"), qbuf("plain"), "{list}");
}
