//! Protected mode as Redis 7.0 (issue 12): with `protected-mode yes` and no password for the default user, a
//! connection from anywhere but 127.0.0.1, ::1 or the unix socket gets Redis's `-DENIED` text and is closed, and
//! `rejected_connections` counts it (`total_connections_received` does not). Setting a password or
//! `protected-mode no` lets the same peer in. Redis 7.0 compares the peer address with exactly "127.0.0.1" and
//! "::1", and no longer looks at `bind`: both are checked here.
//!
//! Two kinds of remote peer:
//! - 127.0.0.2, another loopback address (always available): Redis 7.0 treats it as remote;
//! - the far end of a veth pair inside a network namespace the test creates (`ip netns`, needs root). Where that
//!   is not possible the test prints `skipped: <reason>` and returns.
//!
//! Every scenario runs against ferredis and Debian's redis-server.
#![cfg(target_os = "linux")] // network namespaces, setns and the Linux socket flags

use crate::common;

use common::watch::{int_field, read_until_close};
use common::{Conn, Kind, Server};
use std::io::Write;
use std::net::{Ipv4Addr, TcpStream};
use std::os::fd::FromRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password \
is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to \
connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected \
mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the \
same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use \
CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing \
the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If \
you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an \
authentication password for the default user. NOTE: You only need to do one of the above things in order for the \
server to start accepting connections from the outside.\r\n";

/// A TCP connection from `src` (port chosen by the kernel) to `dst:port`.
fn connect_from(src: Ipv4Addr, dst: Ipv4Addr, port: u16) -> std::io::Result<TcpStream> {
    let sa = |ip: Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(ip.octets()) },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket/bind/connect calls on a descriptor this function owns; the sockaddr structs live across
    // the calls and `len` is their size. On success the descriptor is handed to a TcpStream, which owns it.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let local = sa(src, 0);
        let remote = sa(dst, port);
        if libc::bind(fd, &local as *const _ as *const libc::sockaddr, len) != 0
            || libc::connect(fd, &remote as *const _ as *const libc::sockaddr, len) != 0
        {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(e);
        }
        let s = TcpStream::from_raw_fd(fd);
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        Ok(s)
    }
}

/// What a peer sees: the DENIED text and a close, or its PING answered (`+PONG` / `-NOAUTH ...`).
fn peer_sees(mut s: TcpStream) -> (Vec<u8>, bool) {
    std::thread::sleep(Duration::from_millis(50));
    // A denied connection is already closed; the PING then may fail, which is fine.
    let _ = s.write_all(b"PING\r\n");
    read_until_close(&mut s, 500)
}

/// The three cases on one server, the peer connecting through `connect` each time.
fn protected_mode_cases(kind: Kind, s: &Server, connect: &dyn Fn() -> std::io::Result<TcpStream>) {
    let label = kind.label();
    let mut c = s.conn();
    let received = int_field(&mut c, "stats", "total_connections_received");
    let (bytes, closed) = peer_sees(connect().expect("connect"));
    assert_eq!(common::escape(&bytes), common::escape(DENIED), "{label}");
    assert!(closed, "{label}: a denied connection stays open");
    assert_eq!(int_field(&mut c, "stats", "rejected_connections"), 1, "{label}");
    assert_eq!(int_field(&mut c, "stats", "total_connections_received"), received, "{label}");
    // Loopback itself is still served.
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");

    // With a password the peer is let in (and must authenticate).
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", "s3cret"]), b"+OK\r\n");
    let (bytes, closed) = peer_sees(connect().expect("connect"));
    assert_eq!(common::escape(&bytes), "-NOAUTH Authentication required.\\r\\n", "{label}");
    assert!(!closed, "{label}");
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", ""]), b"+OK\r\n");

    // With protected mode off, anyone is served.
    assert_eq!(c.cmd(&["CONFIG", "SET", "protected-mode", "no"]), b"+OK\r\n");
    let (bytes, closed) = peer_sees(connect().expect("connect"));
    assert_eq!(bytes, b"+PONG\r\n", "{label}");
    assert!(!closed, "{label}");
    assert_eq!(int_field(&mut c, "stats", "rejected_connections"), 1, "{label}");
}

fn loopback_alias(kind: Kind) {
    let s = Server::start(kind, &["--bind", "127.0.0.1", "127.0.0.2"]);
    let port = s.port;
    protected_mode_cases(kind, &s, &|| connect_from(Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::LOCALHOST, port));
    // Redis's default: protected mode is on (tests pass no option), whatever `bind` says.
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CONFIG", "GET", "bind"]), b"*2\r\n$4\r\nbind\r\n$19\r\n127.0.0.1 127.0.0.2\r\n".to_vec());
}

#[test]
fn other_loopback_address_is_not_local() {
    loopback_alias(Kind::Ferredis);
}

#[test]
fn oracle_other_loopback_address_is_not_local() {
    if !crate::common::pair::have_redis() {
        return;
    }
    loopback_alias(Kind::Redis);
}

/// The compiled-in defaults Redis 7.0 has without a config file: every interface, protected mode on.
#[test]
fn default_bind_and_protected_mode_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let bin = kind.bin();
        let port = common::free_port();
        let mut child = Command::new(bin)
            .args(["--port", &port.to_string(), "--save", "", "--appendonly", "no", "--logfile", "/dev/null"])
            .spawn()
            .expect("spawn");
        let mut c = None;
        for _ in 0..500 {
            if let Ok(conn) = Conn::try_connect(port) {
                c = Some(conn);
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut c = c.expect("server did not start");
        let bind = c.cmd(&["CONFIG", "GET", "bind"]);
        let pm = c.cmd(&["CONFIG", "GET", "protected-mode"]);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(bind, b"*2\r\n$4\r\nbind\r\n$6\r\n* -::*\r\n", "{}", kind.label());
        assert_eq!(pm, b"*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n", "{}", kind.label());
    }
}

// ---- a peer in another network namespace --------------------------------------------------------------------

/// A network namespace holding one end of a veth pair (`10.250.N.2/24`), the other end in ours (`10.250.N.1`).
/// Removed on drop.
struct Netns {
    name: String,
    host_if: String,
    host_ip: Ipv4Addr,
    peer_ip: Ipv4Addr,
}

static NETNS_SEQ: AtomicU32 = AtomicU32::new(0);

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("cannot run `ip`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`ip {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl Netns {
    fn create() -> Result<Netns, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not running as root (network namespaces need CAP_SYS_ADMIN)".into());
        }
        let seq = NETNS_SEQ.fetch_add(1, Ordering::Relaxed);
        let id = std::process::id() % 100_000;
        let octet = ((std::process::id().wrapping_mul(4) + seq) % 250) as u8;
        let ns = Netns {
            name: format!("ferredis-pm-{id}-{seq}"),
            host_if: format!("frv{id}{seq}a"),
            host_ip: Ipv4Addr::new(10, 250, octet, 1),
            peer_ip: Ipv4Addr::new(10, 250, octet, 2),
        };
        let peer_if = format!("frv{id}{seq}b");
        ip(&["netns", "add", &ns.name])?;
        // From here on, Drop cleans up whatever was created.
        let (host, peer) = (ns.host_if.clone(), peer_if.clone());
        ip(&["link", "add", &host, "type", "veth", "peer", "name", &peer])?;
        ip(&["link", "set", &peer, "netns", &ns.name])?;
        ip(&["addr", "add", &format!("{}/24", ns.host_ip), "dev", &host])?;
        ip(&["link", "set", &host, "up"])?;
        ip(&["netns", "exec", &ns.name, "ip", "addr", "add", &format!("{}/24", ns.peer_ip), "dev", &peer])?;
        ip(&["netns", "exec", &ns.name, "ip", "link", "set", &peer, "up"])?;
        ip(&["netns", "exec", &ns.name, "ip", "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Connects to `dst:port` from inside the namespace: a thread enters it (setns changes only the calling
    /// thread's network namespace) and opens the socket there.
    fn connect(&self, dst: Ipv4Addr, port: u16) -> std::io::Result<TcpStream> {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let f = std::fs::File::open(&path)?;
            // SAFETY: setns with a descriptor of a network namespace file, on this short-lived thread only.
            if unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&f), libc::CLONE_NEWNET) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let s = TcpStream::connect((dst, port))?;
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            Ok(s)
        })
        .join()
        .expect("namespace thread")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["link", "del", &self.host_if]);
        let _ = ip(&["netns", "del", &self.name]);
    }
}

fn namespace_peer(kind: Kind) {
    let ns = match Netns::create() {
        Ok(ns) => ns,
        Err(reason) => {
            println!("skipped: {reason}");
            eprintln!("skipped: protected mode from a network namespace ({}): {reason}", kind.label());
            return;
        }
    };
    let host_ip = ns.host_ip.to_string();
    let s = Server::start(kind, &["--bind", "127.0.0.1", &host_ip]);
    let port = s.port;
    // The namespace really is remote: its address is not ours.
    assert_ne!(ns.peer_ip, ns.host_ip);
    protected_mode_cases(kind, &s, &|| ns.connect(ns.host_ip, port));
}

#[test]
fn peer_in_network_namespace_is_denied() {
    namespace_peer(Kind::Ferredis);
}

#[test]
fn oracle_peer_in_network_namespace_is_denied() {
    namespace_peer(Kind::Redis);
}

// ---- enable-protected-configs / enable-debug-command: `local` means 127.0.0.1, ::1 or the unix socket ---------

/// Replies to protected CONFIG SETs and DEBUG from 127.0.0.1 and from 127.0.0.2 for one setting of the switches.
fn protected_actions(kind: Kind, setting: &str) -> Vec<String> {
    let s = Server::start(
        kind,
        &[
            "--protected-mode",
            "no",
            "--bind",
            "127.0.0.1",
            "127.0.0.2",
            "--enable-protected-configs",
            setting,
            "--enable-debug-command",
            setting,
            "--enable-module-command",
            setting,
        ],
    );
    let mut out = Vec::new();
    for (who, src) in [("local", Ipv4Addr::LOCALHOST), ("127.0.0.2", Ipv4Addr::new(127, 0, 0, 2))] {
        let stream = connect_from(src, Ipv4Addr::LOCALHOST, s.port).expect("connect");
        let mut c = Conn::from_stream(stream);
        for cmd in [
            vec!["CONFIG", "SET", "dir", "."],
            vec!["CONFIG", "SET", "dbfilename", "x.rdb"],
            vec!["CONFIG", "SET", "enable-debug-command", "yes"],
            vec!["CONFIG", "SET", "enable-protected-configs", "yes"],
            vec!["CONFIG", "GET", "enable-protected-configs"],
            vec!["CONFIG", "GET", "enable-debug-command"],
            vec!["CONFIG", "GET", "enable-module-command"],
            vec!["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
            vec!["DEBUG", "HELP"],
            // Refused before queuing, as Redis's processCommand does: the transaction is aborted.
            vec!["MULTI"],
            vec!["DEBUG", "DIGEST"],
            vec!["EXEC"],
        ] {
            let reply = c.cmd(&cmd);
            let shown = if cmd == ["DEBUG", "HELP"] && reply.starts_with(b"*") {
                "help text".to_string()
            } else {
                common::escape(&reply)
            };
            out.push(format!("{setting} {who} {}: {shown}", cmd.join(" ")));
        }
    }
    out
}

#[test]
fn protected_configs_and_debug_local_means_exact_loopback() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for setting in ["no", "local", "yes"] {
        let ours = protected_actions(Kind::Ferredis, setting);
        let theirs = protected_actions(Kind::Redis, setting);
        assert_eq!(ours, theirs);
        let joined = ours.join("\n");
        if setting == "local" {
            assert!(joined.contains("local CONFIG SET dbfilename x.rdb: +OK"), "{joined}");
            assert!(joined.contains("127.0.0.2 CONFIG SET dbfilename x.rdb: -ERR CONFIG SET failed"), "{joined}");
            assert!(
                joined.contains("127.0.0.2 DEBUG SET-ACTIVE-EXPIRE 1: -ERR DEBUG command not allowed."),
                "{joined}"
            );
        }
    }
}
