//! SCAN-family cursors that every client can hold (issue 45), on ferredis and on Debian's redis-server with the
//! same assertions, so the expectations themselves are checked against the reference:
//!
//! * every cursor of SCAN, SSCAN, HSCAN and ZSCAN over collections in their hash-table encodings is below 2^53
//!   and below four times the collection's size (Redis's are below its table's size, at most twice the count,
//!   and twice that while rehashing);
//! * a scan whose every cursor went through a double (what a JavaScript client does with `Number(cursor)`) or a
//!   signed 64-bit integer (the .NET, several JVM and Go clients) still returns every element, and on ferredis
//!   each exactly once (nothing is written during the scan);
//! * a cursor the server never handed out (the rounded double of an old huge cursor, 2^64 - 1, garbage below it)
//!   gets a scan that ends, never an error or an endless restart;
//! * the small encodings (intset, listpack) answer the whole collection with cursor 0 at once, byte for byte as
//!   Redis does, whatever cursor was sent.

use crate::common;

use common::{Conn, Kind, Resp, Server};
use std::collections::BTreeMap;

const N: usize = 5000;

fn fill(c: &mut Conn, cmds: impl Iterator<Item = Vec<String>>) {
    let mut pending = 0;
    for cmd in cmds {
        c.send(&cmd).expect("send");
        pending += 1;
        if pending == 500 {
            for _ in 0..pending {
                let r = c.read_reply().expect("reply");
                assert!(!r.starts_with(b"-"), "{}", String::from_utf8_lossy(&r));
            }
            pending = 0;
        }
    }
    for _ in 0..pending {
        let r = c.read_reply().expect("reply");
        assert!(!r.starts_with(b"-"), "{}", String::from_utf8_lossy(&r));
    }
}

/// Fills the keyspace with `N` strings and a set, a hash and a sorted set of `N` non-integer members each.
fn populate(c: &mut Conn) {
    fill(c, (0..N).map(|i| vec!["SET".into(), format!("key:{i}"), "v".into()]));
    fill(c, (0..N).map(|i| vec!["SADD".into(), "s".into(), format!("member:{i}")]));
    fill(c, (0..N).map(|i| vec!["HSET".into(), "h".into(), format!("field:{i}"), i.to_string()]));
    fill(c, (0..N).map(|i| vec!["ZADD".into(), "z".into(), i.to_string(), format!("member:{i}")]));
}

#[derive(Clone, Copy, Debug)]
enum Via {
    /// The cursor string as received.
    Exact,
    /// Parsed into an `f64` and printed back as JavaScript's `String(Number(cursor))` would for an integer.
    Double,
    /// Parsed into an `i64` (a string that does not parse fails the test, as it fails such a client).
    Signed,
}

fn pass_back(cursor: &[u8], via: Via) -> String {
    let s = std::str::from_utf8(cursor).expect("cursor is text").to_string();
    match via {
        Via::Exact => s,
        Via::Double => {
            let d: f64 = s.parse().expect("cursor parses as a double");
            format!("{d:.0}")
        }
        Via::Signed => {
            let v: i64 = s.parse().unwrap_or_else(|_| panic!("cursor {s} does not fit a signed 64-bit integer"));
            v.to_string()
        }
    }
}

/// Iterates `cmd` (SCAN's argument list with the cursor at `cursor_at`) to completion, passing every cursor
/// back `via`. Returns how many times each element came back and the largest cursor seen.
fn scan_all(c: &mut Conn, cmd: &[&str], cursor_at: usize, via: Via, start: &str) -> (BTreeMap<Vec<u8>, usize>, u64) {
    let mut args: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
    args[cursor_at] = start.to_string();
    let pairs = matches!(cmd[0], "HSCAN" | "ZSCAN");
    let mut seen = BTreeMap::new();
    let mut max = 0u64;
    for _ in 0..100_000 {
        let raw = c.cmd(&args);
        let r = Resp::parse(&raw).expect("parse");
        let items = r.items().unwrap_or_else(|| panic!("{:?}: {}", args, String::from_utf8_lossy(&raw)));
        let cursor = items[0].as_bytes().expect("cursor bulk");
        let v: u64 = std::str::from_utf8(cursor).unwrap().parse().expect("cursor is an unsigned integer");
        max = max.max(v);
        for (i, e) in items[1].items().expect("elements").iter().enumerate() {
            if !pairs || i % 2 == 0 {
                *seen.entry(e.as_bytes().expect("element").to_vec()).or_insert(0) += 1;
            }
        }
        if v == 0 {
            return (seen, max);
        }
        args[cursor_at] = pass_back(cursor, via);
    }
    panic!("{cmd:?} from {start} did not end after 100000 calls");
}

const SCANS: &[(&[&str], usize)] = &[
    (&["SCAN", "0", "COUNT", "10"], 1),
    (&["SCAN", "0", "MATCH", "key:*", "COUNT", "50"], 1),
    (&["SSCAN", "s", "0", "COUNT", "10"], 2),
    (&["SSCAN", "s", "0", "COUNT", "50"], 2),
    (&["HSCAN", "h", "0", "COUNT", "10"], 2),
    (&["ZSCAN", "z", "0", "COUNT", "10"], 2),
];

fn cursors_every_client_can_hold(kind: Kind) {
    let srv = Server::start(kind, &[]);
    let mut c = srv.conn();
    populate(&mut c);
    for &(cmd, at) in SCANS {
        let expected = if cmd[0] == "SCAN" { N + 3 } else { N };
        let expected = if cmd.contains(&"key:*") { N } else { expected };
        for via in [Via::Exact, Via::Double, Via::Signed] {
            let (seen, max) = scan_all(&mut c, cmd, at, via, "0");
            assert_eq!(seen.len(), expected, "{}: {cmd:?} via {via:?}", kind.label());
            assert!(max < 1 << 53, "{}: {cmd:?}: cursor {max} is not below 2^53", kind.label());
            assert!(max < 4 * expected as u64, "{}: {cmd:?}: cursor {max} for {expected} elements", kind.label());
            if kind == Kind::Ferredis {
                // Nothing changed during the scan: each element exactly once.
                let twice: Vec<_> = seen.iter().filter(|(_, &n)| n > 1).collect();
                assert!(twice.is_empty(), "{cmd:?}: returned more than once: {}", twice.len());
            }
        }
    }
    // Cursors never handed out: no error, a scan that ends (what it returns is the server's business).
    for start in ["15180133143990190000", "18446744073709551615", "336268772177027356", "4503599627370495", "77"] {
        for &(cmd, at) in SCANS {
            scan_all(&mut c, cmd, at, Via::Exact, start);
        }
    }
}

#[test]
fn ferredis_cursors_every_client_can_hold() {
    cursors_every_client_can_hold(Kind::Ferredis);
}

#[test]
fn oracle_redis_cursors_every_client_can_hold() {
    if !crate::common::pair::have_redis() {
        return;
    }
    cursors_every_client_can_hold(Kind::Redis);
}

/// The small encodings answer at once with cursor 0, whatever the cursor: the same bytes on both servers.
#[test]
fn small_collections_match_redis_byte_for_byte() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fer = Server::start(Kind::Ferredis, &[]);
    let red = Server::start(Kind::Redis, &[]);
    let (mut f, mut r) = (fer.conn(), red.conn());
    let setup: Vec<Vec<&str>> = vec![
        vec!["SADD", "ints", "5", "-3", "100", "7", "42"],
        vec!["SADD", "one", "9"],
        vec!["HSET", "h", "b", "2", "a", "1", "c", "3", "long", "xxxxxxxxxxxxxxxxxxxx"],
        vec!["ZADD", "z", "3", "c", "1", "a", "2", "b", "2", "bb", "-1.5", "neg"],
        vec!["RPUSH", "list", "x"],
    ];
    for cmd in &setup {
        assert_eq!(f.cmd(cmd), r.cmd(cmd), "{cmd:?}");
    }
    let mut checked = 0;
    for cursor in ["0", "1", "27", "123456789", "18446744073709551615", "-1", "x", "18446744073709551616"] {
        for tail in [&[][..], &["COUNT", "1"][..], &["MATCH", "a*"][..], &["MATCH", "1*", "COUNT", "100"][..]] {
            for (cmd, key) in [("SSCAN", "ints"), ("SSCAN", "one"), ("HSCAN", "h"), ("ZSCAN", "z"), ("SSCAN", "nokey")]
            {
                let mut args = vec![cmd, key, cursor];
                args.extend_from_slice(tail);
                let (a, b) = (f.cmd(&args), r.cmd(&args));
                assert_eq!(
                    String::from_utf8_lossy(&a),
                    String::from_utf8_lossy(&b),
                    "{args:?} (ferredis left, redis right)"
                );
                checked += 1;
            }
            // The wrong type and SCAN's own argument errors, too.
            let mut args = vec!["SSCAN", "list", cursor];
            args.extend_from_slice(tail);
            assert_eq!(f.cmd(&args), r.cmd(&args), "{args:?}");
        }
    }
    assert_eq!(checked, 8 * 4 * 5);
}
