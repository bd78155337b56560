//! Host name resolution without glibc's `getaddrinfo`: numeric addresses, `/etc/hosts`, then DNS over UDP to the
//! `/etc/resolv.conf` name servers (A and AAAA queries, `search` domains, `ndots:1`).
//!
//! Why our own: a static glibc binary that references `getaddrinfo` links NSS, the dynamic loader (for NSS
//! modules), iconv tables and the resolver configuration parsers, about 400 KB of a server whose only name lookups
//! are `replicaof <hostname>` and ferredis-cli's `-h`. This covers what those need; NSS sources other than files
//! and DNS (LDAP, mDNS...) are not consulted, which the README lists among the known gaps.
//!
//! Blocking, like `getaddrinfo`: each query waits at most [`TIMEOUT`] per server and attempt.
//!
//! Tested by the unit tests below (hosts parsing, response parsing against a crafted answer, numeric forms).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// Per-query wait for one server.
pub const TIMEOUT: Duration = Duration::from_secs(2);
const ATTEMPTS: usize = 2;
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;

/// The addresses `host` resolves to, with `port`; IPv4 first, as glibc orders them by default for most setups.
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let ips = resolve_ips(host)?;
    Ok(ips.into_iter().map(|ip| SocketAddr::new(ip, port)).collect())
}

/// The IP addresses of `host`.
pub fn resolve_ips(host: &str) -> io::Result<Vec<IpAddr>> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    if host.is_empty() || host.len() > 253 {
        return Err(not_found(host));
    }
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let mut found = hosts_lookup(&hosts, host);
    if found.is_empty() && host.eq_ignore_ascii_case("localhost") {
        found = vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)];
    }
    if !found.is_empty() {
        return Ok(found);
    }
    let conf = ResolvConf::parse(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default());
    for name in conf.candidates(host) {
        let mut ips = Vec::new();
        for qtype in [TYPE_A, TYPE_AAAA] {
            if let Some(mut v) = query_servers(&conf.servers, &name, qtype) {
                ips.append(&mut v);
            }
        }
        if !ips.is_empty() {
            return Ok(ips);
        }
    }
    Err(not_found(host))
}

fn not_found(host: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("can't resolve '{host}'"))
}

/// Addresses `/etc/hosts` (given as text) lists for `host`, in file order.
pub fn hosts_lookup(text: &str, host: &str) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else { continue };
        if fields.any(|n| n.eq_ignore_ascii_case(host)) {
            if let Ok(ip) = addr.parse::<IpAddr>() {
                if !out.contains(&ip) {
                    out.push(ip);
                }
            }
        }
    }
    out
}

/// What we use of resolv.conf.
#[derive(Debug, Default, PartialEq)]
pub struct ResolvConf {
    pub servers: Vec<IpAddr>,
    pub search: Vec<String>,
    pub ndots: usize,
}

impl ResolvConf {
    pub fn parse(text: &str) -> ResolvConf {
        let mut c = ResolvConf { ndots: 1, ..Default::default() };
        for line in text.lines() {
            let line = line.split(['#', ';']).next().unwrap_or("");
            let mut f = line.split_whitespace();
            match f.next() {
                Some("nameserver") => {
                    if let Some(ip) = f.next().and_then(|a| a.split('%').next()).and_then(|a| a.parse().ok()) {
                        if c.servers.len() < 3 {
                            c.servers.push(ip);
                        }
                    }
                }
                Some("search") | Some("domain") => c.search = f.map(|s| s.trim_end_matches('.').to_string()).collect(),
                Some("options") => {
                    for o in f {
                        if let Some(n) = o.strip_prefix("ndots:").and_then(|n| n.parse().ok()) {
                            c.ndots = usize::min(n, 15);
                        }
                    }
                }
                _ => {}
            }
        }
        if c.servers.is_empty() {
            c.servers.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        c
    }

    /// Names to query, in order (the resolver's search-list rule).
    pub fn candidates(&self, host: &str) -> Vec<String> {
        if let Some(abs) = host.strip_suffix('.') {
            return vec![abs.to_string()];
        }
        let with_search = self.search.iter().map(|d| format!("{host}.{d}"));
        if host.matches('.').count() >= self.ndots {
            std::iter::once(host.to_string()).chain(with_search).collect()
        } else {
            with_search.chain(std::iter::once(host.to_string())).collect()
        }
    }
}

fn query_servers(servers: &[IpAddr], name: &str, qtype: u16) -> Option<Vec<IpAddr>> {
    let id = query_id();
    let q = build_query(id, name, qtype)?;
    for _ in 0..ATTEMPTS {
        for &server in servers {
            let bind: SocketAddr = match server {
                IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
                IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
            };
            let Ok(sock) = UdpSocket::bind(bind) else { continue };
            if sock.set_read_timeout(Some(TIMEOUT)).is_err() || sock.connect(SocketAddr::new(server, 53)).is_err() {
                continue;
            }
            if sock.send(&q).is_err() {
                continue;
            }
            let mut buf = [0u8; 1500];
            while let Ok(n) = sock.recv(&mut buf) {
                match parse_response(&buf[..n], id, qtype) {
                    Some(Answer::Addrs(v)) => return Some(v),
                    // A definitive "no such name / no data": no point asking the next server.
                    Some(Answer::None) => return Some(Vec::new()),
                    // Not our answer (wrong id) or a server failure: keep waiting / try the next server.
                    Some(Answer::Retry) => break,
                    None => continue,
                }
            }
        }
    }
    None
}

fn query_id() -> u16 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    (t ^ (std::process::id() << 7)) as u16
}

/// A standard recursive query for `name`; `None` for names DNS cannot carry (labels over 63 bytes).
pub fn build_query(id: u16, name: &str, qtype: u16) -> Option<Vec<u8>> {
    let mut q = Vec::with_capacity(name.len() + 18);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD; one question
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes()); // class IN
    Some(q)
}

#[derive(Debug, PartialEq)]
pub enum Answer {
    Addrs(Vec<IpAddr>),
    /// NXDOMAIN or no records of the type.
    None,
    /// SERVFAIL/REFUSED or a truncated reply: ask another server.
    Retry,
}

/// Parse a reply to query `id`; `None` when it is not a reply to it (or is malformed).
pub fn parse_response(m: &[u8], id: u16, qtype: u16) -> Option<Answer> {
    if m.len() < 12 || u16::from_be_bytes([m[0], m[1]]) != id || m[2] & 0x80 == 0 {
        return None;
    }
    let rcode = m[3] & 0x0f;
    if m[2] & 0x02 != 0 {
        return Some(Answer::Retry);
    }
    match rcode {
        0 => {}
        3 => return Some(Answer::None),
        _ => return Some(Answer::Retry),
    }
    let qd = u16::from_be_bytes([m[4], m[5]]) as usize;
    let an = u16::from_be_bytes([m[6], m[7]]) as usize;
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(m, pos)? + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        pos = skip_name(m, pos)?;
        let hdr = m.get(pos..pos + 10)?;
        let rtype = u16::from_be_bytes([hdr[0], hdr[1]]);
        let rdlen = u16::from_be_bytes([hdr[8], hdr[9]]) as usize;
        let data = m.get(pos + 10..pos + 10 + rdlen)?;
        pos += 10 + rdlen;
        if rtype != qtype {
            continue; // CNAMEs and others: the addresses follow
        }
        match (rtype, data.len()) {
            (TYPE_A, 4) => out.push(IpAddr::V4(Ipv4Addr::new(data[0], data[1], data[2], data[3]))),
            (TYPE_AAAA, 16) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(data);
                out.push(IpAddr::V6(Ipv6Addr::from(b)));
            }
            _ => {}
        }
    }
    Some(if out.is_empty() { Answer::None } else { Answer::Addrs(out) })
}

/// Position after a (possibly compressed) name starting at `pos`.
fn skip_name(m: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *m.get(pos)? as usize;
        if len == 0 {
            return Some(pos + 1);
        }
        if len & 0xc0 == 0xc0 {
            m.get(pos + 1)?;
            return Some(pos + 2);
        }
        if len > 63 {
            return None;
        }
        pos += 1 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_bracketed_addresses() {
        assert_eq!(resolve_ips("127.0.0.1").unwrap(), vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        assert_eq!(resolve_ips("[::1]").unwrap(), vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]);
        assert!(!resolve_ips("localhost").unwrap().is_empty());
        assert!(resolve_ips("").is_err());
    }

    #[test]
    fn hosts_file() {
        let text = "127.0.0.1 localhost\n# 10.0.0.9 commented\n10.0.0.5  db.example db # trailing\n::1 localhost ip6-localhost\n";
        assert_eq!(hosts_lookup(text, "DB"), vec!["10.0.0.5".parse::<IpAddr>().unwrap()]);
        assert_eq!(hosts_lookup(text, "localhost").len(), 2);
        assert!(hosts_lookup(text, "commented").is_empty());
    }

    #[test]
    fn resolv_conf_and_search_order() {
        let c = ResolvConf::parse("nameserver 10.0.0.2\nsearch corp.example example\noptions ndots:2 timeout:1\n");
        assert_eq!(c.servers, vec!["10.0.0.2".parse::<IpAddr>().unwrap()]);
        assert_eq!(c.ndots, 2);
        assert_eq!(c.candidates("db"), vec!["db.corp.example", "db.example", "db"]);
        assert_eq!(c.candidates("a.b.c"), vec!["a.b.c", "a.b.c.corp.example", "a.b.c.example"]);
        assert_eq!(c.candidates("abs."), vec!["abs"]);
        assert_eq!(ResolvConf::parse("").servers, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    }

    #[test]
    fn parses_a_reply_with_cname_and_compression() {
        let mut r = build_query(0x1234, "www.example.com", TYPE_A).unwrap();
        r[2] = 0x81;
        r[3] = 0x80;
        r[7] = 2; // two answers
                  // CNAME www -> example.com (pointer to offset 16, "example.com" inside the question)
        r.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 16]);
        // A example.com 93.184.216.34
        r.extend_from_slice(&[0xc0, 16, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
        assert_eq!(parse_response(&r, 0x1234, TYPE_A), Some(Answer::Addrs(vec!["93.184.216.34".parse().unwrap()])));
        assert_eq!(parse_response(&r, 0x9999, TYPE_A), None);
        // Truncated garbage never panics.
        for n in 0..r.len() {
            let _ = parse_response(&r[..n], 0x1234, TYPE_A);
        }
        let mut nx = build_query(7, "nope.example", TYPE_A).unwrap();
        nx[2] = 0x81;
        nx[3] = 0x83;
        assert_eq!(parse_response(&nx, 7, TYPE_A), Some(Answer::None));
    }
}
