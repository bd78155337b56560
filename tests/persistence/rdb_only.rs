//! `REPLCONF rdb-only 1` and `REPLCONF rdb-filter-only functions` (what `redis-cli --rdb` and `--functions-rdb`
//! send), against redis-server 7.0.15: the payload alone then the connection closed (no stream after it, even for
//! writes made during the transfer), the function-only payload holding the libraries and no keys, the same
//! records as Redis's once the aux fields (times, memory, ids) are set aside, the replica gone afterwards and the
//! backlog as Redis leaves it; REPLCONF's argument errors and SYNC's refusal of a filter without `capa eof`.

use crate::common;

use common::{escape, Conn, Kind, Server};

/// An RDB string: its bytes and the position after it (ints and LZF as raw spans; only skipped here).
fn rdb_string(b: &[u8], mut p: usize) -> usize {
    let first = b[p];
    p += 1;
    match first >> 6 {
        0 => p + (first & 0x3f) as usize,
        1 => p + 1 + ((((first & 0x3f) as usize) << 8) | b[p] as usize),
        2 if first == 0x80 => p + 4 + u32::from_be_bytes(b[p..p + 4].try_into().unwrap()) as usize,
        2 => p + 8 + u64::from_be_bytes(b[p..p + 8].try_into().unwrap()) as usize,
        _ => match first & 0x3f {
            0 => p + 1,
            1 => p + 2,
            2 => p + 4,
            _ => {
                // LZF: compressed length, plain length, data.
                let (clen_end, clen) = rdb_len(b, p);
                let (len_end, _) = rdb_len(b, clen_end);
                len_end + clen
            }
        },
    }
}

fn rdb_len(b: &[u8], p: usize) -> (usize, usize) {
    let first = b[p];
    match first >> 6 {
        0 => (p + 1, (first & 0x3f) as usize),
        1 => (p + 2, (((first & 0x3f) as usize) << 8) | b[p + 1] as usize),
        _ if first == 0x80 => (p + 5, u32::from_be_bytes(b[p + 1..p + 5].try_into().unwrap()) as usize),
        _ => (p + 9, u64::from_be_bytes(b[p + 1..p + 9].try_into().unwrap()) as usize),
    }
}

/// The records of an RDB payload after its header and aux fields, without the checksum.
fn records(rdb: &[u8]) -> Vec<u8> {
    assert!(rdb.starts_with(b"REDIS0010"), "{}", escape(&rdb[..rdb.len().min(20)]));
    let mut p = 9;
    while rdb[p] == 0xfa {
        p = rdb_string(rdb, p + 1);
        p = rdb_string(rdb, p);
    }
    rdb[p..rdb.len() - 8].to_vec()
}

/// Sends the rdb-only handshake and SYNC; returns the RDB payload and whether anything came after it. Writes a key
/// from another connection while the transfer runs (the child is slowed by `rdb-key-save-delay`).
fn rdb_only_sync(srv: &Server, filter: Option<&str>) -> Vec<u8> {
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["REPLCONF", "capa", "eof"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["REPLCONF", "rdb-only", "1"]), b"+OK\r\n");
    if let Some(f) = filter {
        assert_eq!(c.cmd(&["REPLCONF", "rdb-filter-only", f]), b"+OK\r\n");
    }
    c.send(&["SYNC"]).expect("send SYNC");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(srv.conn().cmd(&["SET", "during", "sync"]), b"+OK\r\n");
    let (bytes, closed) = c.read_until_close(30_000);
    assert!(closed, "{}: the connection stays open after the payload", srv.kind.label());
    let mut p = bytes.iter().position(|&b| b != b'\n').expect("a payload");
    assert_eq!(bytes[p], b'$', "{}", escape(&bytes));
    let eol = p + bytes[p..].windows(2).position(|w| w == b"\r\n").expect("header end");
    let header = &bytes[p + 1..eol];
    p = eol + 2;
    let rdb = if let Some(mark) = header.strip_prefix(b"EOF:") {
        assert_eq!(mark.len(), 40);
        assert!(bytes.ends_with(mark), "{}: bytes after the EOF mark", srv.kind.label());
        &bytes[p..bytes.len() - 40]
    } else {
        let len: usize = std::str::from_utf8(header).unwrap().parse().unwrap();
        assert_eq!(bytes.len(), p + len, "{}: bytes after the payload", srv.kind.label());
        &bytes[p..]
    };
    rdb.to_vec()
}

fn wait_no_replica(c: &mut Conn) {
    common::wait_for("the rdb-only replica to be gone", || {
        common::info_field(c, "replication", "connected_slaves") == "0"
            && common::info_field(c, "persistence", "rdb_bgsave_in_progress") == "0"
    });
}

#[test]
fn rdb_only_and_functions_filter_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    const LIB: &str = "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)";
    for diskless in ["yes", "no"] {
        let mut got: Vec<Vec<Vec<u8>>> = Vec::new();
        for kind in [Kind::Redis, Kind::Ferredis] {
            let srv = Server::start(
                kind,
                &[
                    "--repl-diskless-sync",
                    diskless,
                    "--repl-diskless-sync-delay",
                    "0",
                    "--rdb-key-save-delay",
                    "200000",
                ],
            );
            let mut c = srv.conn();
            assert_eq!(c.cmd(&["SET", "k", "v"]), b"+OK\r\n");
            assert_eq!(c.cmd(&["FUNCTION", "LOAD", LIB]), b"$5\r\nmylib\r\n");
            let mut per_kind = Vec::new();
            for filter in [None, Some("functions")] {
                let rdb = rdb_only_sync(&srv, filter);
                per_kind.push(records(&rdb));
                wait_no_replica(&mut c);
            }
            // The replica never went online; the backlog was created for it as Redis does.
            assert_eq!(common::info_field(&mut c, "replication", "repl_backlog_active"), "1");
            let log = srv.full_log();
            assert!(
                log.contains(
                    "RDB transfer completed, rdb only replica (127.0.0.1:<unknown-replica-port>) should be \
                              disconnected asap"
                ),
                "{}",
                srv.log_text()
            );
            assert!(!log.contains("Synchronization with replica"), "{}", srv.log_text());
            got.push(per_kind);
        }
        assert_eq!(got[0], got[1], "repl-diskless-sync {diskless}");
        // The whole payload has the key; the filtered one only the library.
        let (whole, functions) = (&got[1][0], &got[1][1]);
        assert!(memfind(whole, b"mylib") && memfind(whole, b"\x00\x01k\x01v"));
        assert!(memfind(functions, b"mylib") && !memfind(functions, b"\x01k\x01v"), "{}", escape(functions));
    }
}

fn memfind(h: &[u8], n: &[u8]) -> bool {
    h.windows(n.len()).any(|w| w == n)
}

#[test]
fn replconf_rdb_options_errors_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (fer, red) = (Server::start(Kind::Ferredis, &[]), Server::start(Kind::Redis, &[]));
    for lines in [
        &[&["REPLCONF", "rdb-only", "2"][..], &["REPLCONF", "rdb-only", "x"], &["REPLCONF", "rdb-only", "-1"]][..],
        &[&["REPLCONF", "rdb-only", "0"], &["REPLCONF", "rdb-filter-only", "keys"]],
        &[&["REPLCONF", "rdb-filter-only", "functions bogus"], &["REPLCONF", "rdb-filter-only", "\"unbalanced"]],
        &[&["REPLCONF", "rdb-filter-only", ""], &["SYNC"]],
        &[&["REPLCONF", "rdb-filter-only", "FUNCTIONS"], &["PSYNC", "?", "-1"]],
    ] {
        let (mut f, mut r) = (fer.conn(), red.conn());
        for args in lines {
            assert_eq!(escape(&f.cmd(args)), escape(&r.cmd(args)), "{args:?}");
        }
    }
}
