//! The bytes a sentinel reads: replies on its outgoing links, the INFO fields it looks at, and hello messages.
//!
//! - [`parse_reply`] reads one RESP2 reply from the front of a buffer (the links never switch to RESP3). It is
//!   two-phase like the request parser: `Ok(None)` until the whole reply is there, then the value and its length.
//!   Everything is bounded ([`MAX_BULK`], [`MAX_ELEMENTS`], [`MAX_DEPTH`]): a peer that sends more gets its link
//!   closed, never an allocation it chose.
//! - [`parse_info`] extracts what `sentinelRefreshInstanceInfo` reads from INFO, leaving the decisions to
//!   `monitor`.
//! - [`parse_hello`] splits a hello message (`ip,port,runid,current_epoch,master_name,master_ip,master_port,
//!   master_config_epoch`); any malformed message is `None`.
//!
//! Tested below (every split of a reply, malformed lengths, INFO of both roles, hostile hellos) and by the fuzz
//! target `sentinel_hello`.

/// Longest bulk string accepted on a link (an INFO reply is a few KiB).
pub const MAX_BULK: usize = 64 << 20;
/// Most elements of one array.
pub const MAX_ELEMENTS: usize = 1 << 16;
/// Deepest nesting of arrays.
pub const MAX_DEPTH: usize = 8;

/// One reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Status(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Value>>),
}

impl Value {
    /// The text of a status, error or bulk reply.
    pub fn text(&self) -> Option<&[u8]> {
        match self {
            Value::Status(s) | Value::Error(s) | Value::Bulk(Some(s)) => Some(s),
            _ => None,
        }
    }
}

/// The reply is malformed (or exceeds a limit): the link must be closed.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// Reads one reply from the front of `buf`: `Ok(Some((value, bytes used)))`, `Ok(None)` when more bytes are
/// needed.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Value, usize)>, Malformed> {
    parse_at(buf, 0, 0)
}

fn line_at(buf: &[u8], pos: usize) -> Result<Option<(&[u8], usize)>, Malformed> {
    let Some(rest) = buf.get(pos..) else { return Ok(None) };
    match memchr::memchr(b'\n', rest) {
        Some(i) if i >= 1 && rest[i - 1] == b'\r' => Ok(Some((&rest[..i - 1], pos + i + 1))),
        Some(_) => Err(Malformed),
        None if rest.len() > 64 * 1024 => Err(Malformed),
        None => Ok(None),
    }
}

fn int_of(s: &[u8]) -> Result<i64, Malformed> {
    crate::util::parse_i64(s).ok_or(Malformed)
}

fn parse_at(buf: &[u8], pos: usize, depth: usize) -> Result<Option<(Value, usize)>, Malformed> {
    if depth > MAX_DEPTH {
        return Err(Malformed);
    }
    let Some((line, next)) = line_at(buf, pos)? else { return Ok(None) };
    let Some((&kind, body)) = line.split_first() else { return Err(Malformed) };
    match kind {
        b'+' => Ok(Some((Value::Status(body.to_vec()), next))),
        b'-' => Ok(Some((Value::Error(body.to_vec()), next))),
        b':' => Ok(Some((Value::Int(int_of(body)?), next))),
        b'$' => {
            let n = int_of(body)?;
            if n < 0 {
                return Ok(Some((Value::Bulk(None), next)));
            }
            let n = n as usize;
            if n > MAX_BULK {
                return Err(Malformed);
            }
            let end = next + n;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(Malformed);
            }
            Ok(Some((Value::Bulk(Some(buf[next..end].to_vec())), end + 2)))
        }
        b'*' => {
            let n = int_of(body)?;
            if n < 0 {
                return Ok(Some((Value::Array(None), next)));
            }
            if n as usize > MAX_ELEMENTS {
                return Err(Malformed);
            }
            let mut items = Vec::new();
            let mut at = next;
            for _ in 0..n {
                match parse_at(buf, at, depth + 1)? {
                    Some((v, used)) => {
                        items.push(v);
                        at = used;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Value::Array(Some(items)), at)))
        }
        _ => Err(Malformed),
    }
}

/// A command as RESP multibulk.
pub fn encode_command<S: AsRef<[u8]>>(argv: &[S], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// The role an INFO reply reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Unknown,
    Master,
    Replica,
}

/// What a sentinel reads in an INFO reply (the lines `sentinelRefreshInstanceInfo` looks at).
#[derive(Clone, PartialEq, Eq)]
pub struct InfoFacts {
    pub run_id: Option<String>,
    /// `slaveN:` lines: (ip, port) of each replica (port as C's `atoi` reads it).
    pub replicas: Vec<(String, i64)>,
    pub master_link_down_since_ms: i64,
    pub role: Role,
    pub master_host: Option<String>,
    pub master_port: Option<i64>,
    pub master_link_up: Option<bool>,
    pub slave_priority: Option<i64>,
    pub slave_repl_offset: Option<u64>,
    pub replica_announced: Option<bool>,
}

/// C's `strtoull` over a prefix of digits.
fn leading_u64(s: &str) -> u64 {
    let d: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    d.parse().unwrap_or(if d.is_empty() { 0 } else { u64::MAX })
}

/// Parses the INFO text; fields missing or malformed keep their defaults, as Redis's line scan does.
pub fn parse_info(info: &[u8]) -> InfoFacts {
    let text = String::from_utf8_lossy(info);
    let mut f = InfoFacts {
        run_id: None,
        replicas: Vec::new(),
        master_link_down_since_ms: 0,
        role: Role::Unknown,
        master_host: None,
        master_port: None,
        master_link_up: None,
        slave_priority: None,
        slave_repl_offset: None,
        replica_announced: None,
    };
    let atoi = super::config::atoi;
    for l in text.split("\r\n") {
        if l.len() >= 47 && l.starts_with("run_id:") {
            f.run_id = l.get(7..47).map(str::to_string);
        }
        let b = l.as_bytes();
        if l.len() >= 7 && l.starts_with("slave") && b[5].is_ascii_digit() {
            if let Some(r) = replica_line(l) {
                f.replicas.push(r);
            }
        }
        if l.len() >= 32 && l.starts_with("master_link_down_since_seconds") {
            f.master_link_down_since_ms =
                l.get(31..).map(|s| crate::util::atoll(s.as_bytes())).unwrap_or(0).saturating_mul(1000);
        }
        if l.starts_with("role:master") {
            f.role = Role::Master;
        } else if l.starts_with("role:slave") {
            f.role = Role::Replica;
        }
        if f.role == Role::Replica {
            if let Some(v) = l.strip_prefix("master_host:") {
                f.master_host = Some(v.to_string());
            }
            if let Some(v) = l.strip_prefix("master_port:") {
                f.master_port = Some(atoi(v));
            }
            if let Some(v) = l.strip_prefix("master_link_status:") {
                f.master_link_up = Some(v.eq_ignore_ascii_case("up"));
            }
            if let Some(v) = l.strip_prefix("slave_priority:") {
                f.slave_priority = Some(atoi(v));
            }
            if let Some(v) = l.strip_prefix("slave_repl_offset:") {
                f.slave_repl_offset = Some(leading_u64(v));
            }
            if let Some(v) = l.strip_prefix("replica_announced:") {
                f.replica_announced = Some(atoi(v) != 0);
            }
        }
    }
    f
}

/// A `slaveN:` line: the new form `slave0:ip=...,port=...,state=...` or the old `slave0:<ip>,<port>,<state>`.
fn replica_line(l: &str) -> Option<(String, i64)> {
    if !l.contains("ip=") {
        let ip_start = l.find(':')? + 1;
        let rest = &l[ip_start..];
        let comma = rest.find(',')?;
        let port_part = &rest[comma + 1..];
        port_part.find(',')?;
        return Some((rest[..comma].to_string(), super::config::atoi(port_part)));
    }
    let ip_at = l.find("ip=")? + 3;
    let port_at = l.find("port=")? + 5;
    let ip = l[ip_at..].split(',').next().unwrap_or("");
    let port = l[port_at..].split(',').next().unwrap_or("");
    Some((ip.to_string(), super::config::atoi(port)))
}

/// A hello message's fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Hello {
    pub ip: String,
    pub port: i64,
    pub runid: String,
    pub current_epoch: u64,
    pub master_name: String,
    pub master_ip: String,
    pub master_port: i64,
    pub master_config_epoch: u64,
}

/// Splits a hello message; `None` unless it has exactly eight comma-separated fields.
pub fn parse_hello(msg: &[u8]) -> Option<Hello> {
    let text = std::str::from_utf8(msg).ok()?;
    let t: Vec<&str> = text.split(',').collect();
    if t.len() != 8 {
        return None;
    }
    Some(Hello {
        ip: t[0].to_string(),
        port: super::config::atoi(t[1]),
        runid: t[2].to_string(),
        current_epoch: leading_u64(t[3]),
        master_name: t[4].to_string(),
        master_ip: t[5].to_string(),
        master_port: super::config::atoi(t[6]),
        master_config_epoch: leading_u64(t[7]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_at_every_split() {
        let wire = b"*3\r\n:1\r\n$5\r\nhello\r\n*2\r\n+OK\r\n-ERR x\r\n";
        for cut in 0..wire.len() {
            assert_eq!(parse_reply(&wire[..cut]), Ok(None), "cut {cut}");
        }
        let (v, used) = parse_reply(wire).unwrap().unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(
            v,
            Value::Array(Some(vec![
                Value::Int(1),
                Value::Bulk(Some(b"hello".to_vec())),
                Value::Array(Some(vec![Value::Status(b"OK".to_vec()), Value::Error(b"ERR x".to_vec())])),
            ]))
        );
    }

    #[test]
    fn malformed_replies_fail() {
        for bad in [&b"?x\r\n"[..], b":abc\r\n", b"$3\r\nabcd\r\n", b"*99999999\r\n", b"$999999999999\r\n", b"+a\n"] {
            assert_eq!(parse_reply(bad), Err(Malformed), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = "*1\r\n".repeat(20);
        assert_eq!(parse_reply(deep.as_bytes()), Err(Malformed));
    }

    #[test]
    fn info_of_a_master_and_a_replica() {
        let m = parse_info(
            b"# Server\r\nrun_id:0123456789012345678901234567890123456789\r\nrole:master\r\n\
              slave0:ip=127.0.0.1,port=7001,state=online,offset=1,lag=0\r\nslave1:10.0.0.1,7002,online\r\n",
        );
        assert_eq!(m.role, Role::Master);
        assert_eq!(m.run_id.as_deref(), Some("0123456789012345678901234567890123456789"));
        assert_eq!(m.replicas, vec![("127.0.0.1".into(), 7001), ("10.0.0.1".into(), 7002)]);
        let r = parse_info(
            b"role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7000\r\nmaster_link_status:up\r\n\
              slave_repl_offset:42\r\nslave_priority:10\r\nreplica_announced:1\r\nmaster_link_down_since_seconds:3\r\n",
        );
        assert_eq!(r.role, Role::Replica);
        assert_eq!(r.master_host.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.master_port, Some(7000));
        assert_eq!(r.master_link_up, Some(true));
        assert_eq!(r.slave_repl_offset, Some(42));
        assert_eq!(r.slave_priority, Some(10));
        assert_eq!(r.master_link_down_since_ms, 3000);
    }

    #[test]
    fn hello_messages() {
        let h = parse_hello(b"127.0.0.1,26380,abcd,5,mymaster,127.0.0.1,7000,3").unwrap();
        assert_eq!((h.port, h.current_epoch, h.master_port, h.master_config_epoch), (26380, 5, 7000, 3));
        assert!(parse_hello(b"a,b,c").is_none());
        assert!(parse_hello(b"1,2,3,4,5,6,7,8,9").is_none());
        assert!(parse_hello(&[0xff, b',']).is_none());
        let big = parse_hello(b"x,99999999999,r,99999999999999999999999,m,y,-5,z").unwrap();
        assert_eq!(big.current_epoch, u64::MAX);
        assert_eq!(big.master_port, -5);
    }
}
