//! Sockets over raw descriptors: listening (TCP v4/v6, unix), accepting, socket options, and plain read/write.
//! Everything is non-blocking and close-on-exec.

use std::ffi::CString;
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Reads into `buf`. `Ok(0)` means the peer closed; `WouldBlock` means nothing to read now.
#[inline]
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    let n = syscall!(unsafe { libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) })?;
    Ok(n as usize)
}

/// Writes from `buf`; may write less than all of it.
#[inline]
pub fn write(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes.
    let n = syscall!(unsafe { libc::write(fd, buf.as_ptr() as *const libc::c_void, buf.len()) })?;
    Ok(n as usize)
}

/// Waits up to `timeout_ms` for `fd` to become readable (or closed, or in error: a read then tells which).
/// Returns false on timeout. Used where the loop deliberately blocks on one socket (a replica loading its
/// master's RDB straight from the link).
pub fn wait_readable(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    wait(fd, libc::POLLIN, timeout_ms)
}

/// [`wait_readable`] for room to write (a TLS session's records waiting for a full socket).
pub fn wait_writable(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    wait(fd, libc::POLLOUT, timeout_ms)
}

fn wait(fd: RawFd, events: libc::c_short, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    loop {
        // SAFETY: `p` is one valid pollfd living across the call, and the count passed is 1.
        match syscall!(unsafe { libc::poll(&mut p, 1, timeout_ms) }) {
            Ok(n) => return Ok(n > 0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes all of `buf` to a non-blocking socket, waiting for room up to `timeout_ms` each time the socket is full
/// (Redis's blocking connection with a send timeout, `connSendTimeout`). Used where the loop deliberately talks to
/// one client synchronously (the Lua debugger).
pub fn write_all_timeout(fd: RawFd, mut buf: &[u8], timeout_ms: i32) -> io::Result<()> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut p = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
                // SAFETY: `p` is one valid pollfd living across the call, and the count passed is 1.
                match syscall!(unsafe { libc::poll(&mut p, 1, timeout_ms) }) {
                    Ok(0) => return Err(io::ErrorKind::TimedOut.into()),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn set_int_opt(fd: RawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: `value` is a c_int living across the call and its exact size is passed.
    syscall!(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &value as *const libc::c_int as *const libc::c_void,
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Whether `fd` is a socket in the listening state (`SO_ACCEPTCONN`); false for anything else or a closed fd.
fn is_listening(fd: RawFd) -> bool {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v` and `len` live across the call and `len` is `v`'s exact size; an fd that is not a socket only
    // makes the call fail.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            &mut v as *mut libc::c_int as *mut libc::c_void,
            &mut len,
        )
    };
    r == 0 && v != 0
}

/// In a forked child (background save, AOF rewrite, the Lua debugger's session): closes every listening socket
/// inherited from the server (Redis's `closeListeningSockets` in `closeChildUnusedResourceAfterFork`), so a child
/// that outlives its parent (killed with SIGKILL while the child still writes) never holds the server's port.
/// Walks `/proc/self/fd` where it exists, else every descriptor below the open-files limit (at most 65536).
pub fn close_listening_sockets() {
    let mut fds: Vec<RawFd> = Vec::new();
    match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => {
            for e in dir.flatten() {
                if let Some(fd) = e.file_name().to_str().and_then(|n| n.parse::<RawFd>().ok()) {
                    fds.push(fd);
                }
            }
        }
        Err(_) => {
            let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            // SAFETY: `lim` is a valid rlimit to fill.
            let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
                // `rlim_t` is u64 on Linux and macOS, i64 on FreeBSD.
                #[allow(clippy::unnecessary_cast)]
                let cur = lim.rlim_cur as u64;
                cur.min(65536) as RawFd
            } else {
                1024
            };
            fds.extend(3..max);
        }
    }
    for fd in fds {
        if fd > 2 && is_listening(fd) {
            // SAFETY: the child owns its copy of the descriptor and nothing in it uses the listener any more.
            unsafe { libc::close(fd) };
        }
    }
}

/// Puts the descriptor in non-blocking, close-on-exec mode.
pub fn set_nonblocking_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl with F_GETFL/F_SETFL/F_SETFD takes and returns plain integers.
    let fl = syscall!(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    // SAFETY: as above.
    syscall!(unsafe { libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) })?;
    // SAFETY: as above.
    syscall!(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    Ok(())
}

/// Disables Nagle's algorithm: replies go out as soon as they are written.
pub fn set_nodelay(fd: RawFd) -> io::Result<()> {
    set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)
}

/// Turns Nagle's algorithm back on (`repl-disable-tcp-nodelay`: fewer, larger packets to replicas).
pub fn clear_nodelay(fd: RawFd) -> io::Result<()> {
    set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 0)
}

/// Turns on TCP keepalive probes with Redis's `anetKeepAlive` timing: first probe after `interval_s` idle seconds,
/// then every `interval_s / 3` seconds, giving up after 3 unanswered probes.
pub fn set_keepalive(fd: RawFd, interval_s: i32) -> io::Result<()> {
    set_int_opt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1)?;
    let interval_s = interval_s.max(1);
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly"))]
    {
        set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, interval_s)?;
        set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (interval_s / 3).max(1))?;
        set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3)?;
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPALIVE, interval_s)?;
        set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (interval_s / 3).max(1))?;
        set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3)?;
    }
    Ok(())
}

fn new_socket(domain: libc::c_int) -> io::Result<OwnedFd> {
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly"))]
    {
        let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: socket takes plain integers and returns a new descriptor or -1.
        let fd = syscall!(unsafe { libc::socket(domain, ty, 0) })?;
        // SAFETY: `fd` is a fresh descriptor owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
    #[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly")))]
    {
        // SAFETY: socket takes plain integers and returns a new descriptor or -1.
        let fd = syscall!(unsafe { libc::socket(domain, libc::SOCK_STREAM, 0) })?;
        // SAFETY: `fd` is a fresh descriptor owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        set_nonblocking_cloexec(owned.as_raw_fd())?;
        #[cfg(any(target_os = "macos", target_os = "ios"))]
        set_int_opt(owned.as_raw_fd(), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1)?;
        Ok(owned)
    }
}

/// Parses a `bind` address the way Redis accepts it: an IPv4/IPv6 literal, `*` (all IPv4) or `::*` (all IPv6).
pub fn parse_bind_addr(addr: &str) -> Option<IpAddr> {
    match addr {
        "*" => Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        "::*" => Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        _ => addr.parse().ok(),
    }
}

/// A `sockaddr_storage` holding `ip:port`, and its length.
fn sockaddr_of(ip: IpAddr, port: u16) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { zeroed() };
    // The two families fill alike but separate structs (libc has no common type to write through); the BSDs add
    // a length field, hence the same `cfg` in each arm.
    let len = match ip {
        IpAddr::V4(v4) => {
            // SAFETY: sockaddr_storage is larger than and suitably aligned for sockaddr_in.
            let sin = unsafe { &mut *(&mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr_in) };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            #[cfg(bsd)]
            {
                sin.sin_len = size_of::<libc::sockaddr_in>() as u8;
            }
            sin.sin_port = port.to_be();
            sin.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(v4.octets()) };
            size_of::<libc::sockaddr_in>()
        }
        IpAddr::V6(v6) => {
            // SAFETY: sockaddr_storage is larger than and suitably aligned for sockaddr_in6.
            let sin6 = unsafe { &mut *(&mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr_in6) };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            #[cfg(bsd)]
            {
                sin6.sin6_len = size_of::<libc::sockaddr_in6>() as u8;
            }
            sin6.sin6_port = port.to_be();
            sin6.sin6_addr = libc::in6_addr { s6_addr: v6.octets() };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// Decodes a socket address filled in by the kernel into (ip, port). Unix sockets give `None`.
fn decode_sockaddr(ss: &libc::sockaddr_storage) -> Option<(IpAddr, u16)> {
    match ss.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, which it is large enough for.
            let sin = unsafe { &*(ss as *const libc::sockaddr_storage as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some((IpAddr::V4(ip), u16::from_be(sin.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6, which it is large enough for.
            let sin6 = unsafe { &*(ss as *const libc::sockaddr_storage as *const libc::sockaddr_in6) };
            Some((IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)), u16::from_be(sin6.sin6_port)))
        }
        _ => None,
    }
}

/// `ip:port` as Redis prints peers: IPv6 addresses in brackets.
pub fn format_addr(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// Opens a listening TCP socket on `ip:port` (port 0 = any free port) with SO_REUSEADDR; IPv6 sockets are
/// IPv6-only, as Redis makes them, so `0.0.0.0` and `::` can both be bound.
pub fn listen_tcp(ip: IpAddr, port: u16, backlog: i32) -> io::Result<OwnedFd> {
    let domain = if ip.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    let sock = new_socket(domain)?;
    let fd = sock.as_raw_fd();
    set_int_opt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    if ip.is_ipv6() {
        set_int_opt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
    }
    let (ss, len) = sockaddr_of(ip, port);
    // SAFETY: `ss` holds a valid address of `len` bytes for the socket's family.
    syscall!(unsafe { libc::bind(fd, &ss as *const libc::sockaddr_storage as *const libc::sockaddr, len) })?;
    // SAFETY: listen takes plain integers.
    syscall!(unsafe { libc::listen(fd, backlog) })?;
    Ok(sock)
}

/// Starts a non-blocking TCP connection to `ip:port` (a replica's link to its master). The connection completes
/// later: wait for the socket to become writable, then check [`take_error`].
pub fn connect_tcp(ip: IpAddr, port: u16) -> io::Result<OwnedFd> {
    connect_tcp_from(ip, port, None)
}

/// [`connect_tcp`] from the local address `source` (`bind-source-addr`) when given and of the same family. Best
/// effort, as Redis's: when `source` can't be bound, the connection goes out from the address the kernel picks.
pub fn connect_tcp_from(ip: IpAddr, port: u16, source: Option<IpAddr>) -> io::Result<OwnedFd> {
    let domain = if ip.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    let mut sock = new_socket(domain)?;
    if let Some(src) = source.filter(|s| s.is_ipv4() == ip.is_ipv4()) {
        let fd = sock.as_raw_fd();
        let _ = set_int_opt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1);
        let (ss, len) = sockaddr_of(src, 0);
        // SAFETY: `ss` holds a valid address of `len` bytes for the socket's family.
        let bound = unsafe { libc::bind(fd, &ss as *const libc::sockaddr_storage as *const libc::sockaddr, len) };
        if bound < 0 {
            sock = new_socket(domain)?;
        }
    }
    let (ss, len) = sockaddr_of(ip, port);
    // SAFETY: `ss` holds a valid address of `len` bytes for the socket's family.
    let r =
        unsafe { libc::connect(sock.as_raw_fd(), &ss as *const libc::sockaddr_storage as *const libc::sockaddr, len) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
    }
    Ok(sock)
}

/// The pending error of a socket (`SO_ERROR`): how a non-blocking connect ended.
pub fn take_error(fd: RawFd) -> io::Result<Option<io::Error>> {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v` and `len` are valid out-pointers sized for an int option.
    syscall!(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            &mut v as *mut libc::c_int as *mut libc::c_void,
            &mut len,
        )
    })?;
    Ok((v != 0).then(|| io::Error::from_raw_os_error(v)))
}

/// Builds a `sockaddr_un` for `path`.
fn sockaddr_un_of(path: &str) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut sun: libc::sockaddr_un = unsafe { zeroed() };
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_bytes();
    if bytes.is_empty() || bytes.len() >= sun.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "unix socket path too long or invalid"));
    }
    for (dst, &src) in sun.sun_path.iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    let base = size_of::<libc::sockaddr_un>() - sun.sun_path.len();
    #[cfg(bsd)]
    {
        sun.sun_len = (base + bytes.len() + 1) as u8;
    }
    Ok((sun, (base + bytes.len() + 1) as libc::socklen_t))
}

/// Opens a listening unix socket at `path`, replacing a stale socket file, and applies `perm` (octal mode bits;
/// 0 = leave the umask default).
pub fn listen_unix(path: &str, perm: u32, backlog: i32) -> io::Result<OwnedFd> {
    let (sun, len) = sockaddr_un_of(path)?;
    let cpath = CString::new(path).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))?;
    // A previous run may have left the file behind; Redis removes it the same way. Failure (no file) is fine.
    // SAFETY: `cpath` is NUL-terminated.
    let _ = syscall!(unsafe { libc::unlink(cpath.as_ptr()) });
    let sock = new_socket(libc::AF_UNIX)?;
    let fd = sock.as_raw_fd();
    // SAFETY: `sun` is a valid sockaddr_un of `len` bytes.
    syscall!(unsafe { libc::bind(fd, &sun as *const libc::sockaddr_un as *const libc::sockaddr, len) })?;
    // Permissions before listen: no client can connect through the socket while it still has the umask's mode.
    if perm != 0 {
        // SAFETY: `cpath` is NUL-terminated.
        syscall!(unsafe { libc::chmod(cpath.as_ptr(), perm as libc::mode_t) })?;
    }
    // SAFETY: listen takes plain integers.
    syscall!(unsafe { libc::listen(fd, backlog) })?;
    Ok(sock)
}

/// A freshly accepted connection.
pub struct Accepted {
    pub fd: OwnedFd,
    /// Peer address, `None` for unix sockets.
    pub peer: Option<(IpAddr, u16)>,
}

/// Accepts one pending connection as a non-blocking, close-on-exec socket. `Ok(None)` when none is pending.
pub fn accept(listener: RawFd) -> io::Result<Option<Accepted>> {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let addr = &mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr;
    loop {
        #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly"))]
        let res = syscall!(
            // SAFETY: `addr` points to storage of `len` bytes that the kernel may fill.
            unsafe { libc::accept4(listener, addr, &mut len, libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) }
        );
        #[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly")))]
        // SAFETY: `addr` points to storage of `len` bytes that the kernel may fill.
        let res = syscall!(unsafe { libc::accept(listener, addr, &mut len) });
        match res {
            Ok(fd) => {
                // SAFETY: `fd` is a fresh descriptor owned by nobody else.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                #[cfg(not(any(
                    target_os = "linux",
                    target_os = "freebsd",
                    target_os = "netbsd",
                    target_os = "dragonfly"
                )))]
                {
                    set_nonblocking_cloexec(owned.as_raw_fd())?;
                    #[cfg(any(target_os = "macos", target_os = "ios"))]
                    set_int_opt(owned.as_raw_fd(), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1)?;
                }
                return Ok(Some(Accepted { fd: owned, peer: decode_sockaddr(&ss) }));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// The local address a socket is bound to (TCP only).
pub fn local_addr(fd: RawFd) -> Option<(IpAddr, u16)> {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: the kernel fills at most `len` bytes of `ss`.
    syscall!(unsafe { libc::getsockname(fd, &mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr, &mut len) })
        .ok()?;
    decode_sockaddr(&ss)
}

/// Removes a file by path, ignoring errors (unix socket and pid file cleanup).
pub fn unlink(path: &str) -> io::Result<()> {
    let c = CString::new(path).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))?;
    // SAFETY: `c` is NUL-terminated.
    syscall!(unsafe { libc::unlink(c.as_ptr()) })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_listen_accept_roundtrip() {
        let l = listen_tcp(IpAddr::V4(Ipv4Addr::LOCALHOST), 0, 16).unwrap();
        let (ip, port) = local_addr(l.as_raw_fd()).unwrap();
        assert_eq!(ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(port > 0);
        assert!(accept(l.as_raw_fd()).unwrap().is_none());
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let a = loop {
            if let Some(a) = accept(l.as_raw_fd()).unwrap() {
                break a;
            }
            std::thread::yield_now();
        };
        let (pip, pport) = a.peer.unwrap();
        assert_eq!(pip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(pport, c.local_addr().unwrap().port());
        set_nodelay(a.fd.as_raw_fd()).unwrap();
        set_keepalive(a.fd.as_raw_fd(), 300).unwrap();
        set_nodelay(c.as_raw_fd()).unwrap();
        assert!(c.nodelay().unwrap());
        clear_nodelay(c.as_raw_fd()).unwrap();
        assert!(!c.nodelay().unwrap());
        use std::io::{Read, Write};
        assert_eq!(write(a.fd.as_raw_fd(), b"hi").unwrap(), 2);
        let mut b = [0u8; 2];
        c.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"hi");
        c.write_all(b"yo").unwrap();
        let mut got = [0u8; 2];
        loop {
            match read(a.fd.as_raw_fd(), &mut got) {
                Ok(n) => {
                    assert_eq!(n, 2);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(&got, b"yo");
    }

    #[test]
    fn unix_listen_applies_permissions_and_replaces_stale_file() {
        let dir = std::env::temp_dir().join(format!("ferredis-sock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        std::fs::write(&path, b"stale").unwrap();
        let p = path.to_str().unwrap();
        let l = listen_unix(p, 0o700, 16).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let _c = std::os::unix::net::UnixStream::connect(&path).unwrap();
        let a = accept(l.as_raw_fd()).unwrap().unwrap();
        assert!(a.peer.is_none());
        unlink(p).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bind_addresses_parse_like_redis() {
        assert_eq!(parse_bind_addr("*"), Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        assert_eq!(parse_bind_addr("::*"), Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
        assert_eq!(parse_bind_addr("::1"), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(parse_bind_addr("nonsense"), None);
        assert_eq!(format_addr(IpAddr::V6(Ipv6Addr::LOCALHOST), 5), "[::1]:5");
        assert_eq!(format_addr(IpAddr::V4(Ipv4Addr::LOCALHOST), 5), "127.0.0.1:5");
    }
}
