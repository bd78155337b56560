//! Redis 8.6's idempotent producers: XADD IDMP / IDMPAUTO, XCFGSET, XINFO STREAM's idempotency fields, and the
//! state kept through RDB (DEBUG RELOAD, DUMP/RESTORE), an AOF rewrite without RDB preamble, and replication (a
//! retried XADD on a promoted replica adds nothing).
//!
//! No Redis 8.6 binary is available: the replies asserted are the ones Redis's `tests/unit/type/stream.tcl` IDMP and
//! XCFGSET cases and its documentation state (ported here); the exact error texts, their order and what counts as
//! a change are those of Redis's `src/t_stream.c` (`streamParseAddOrTrimArgsOrReply`, `xaddCommand`,
//! `xcfgsetCommand`, `xidmprecordCommand`, `xinfoReplyWithStreamInfo`; the copy read has XNACK, so is newer than 8.8).

use crate::common::{info_field, wait_for, Conn, Kind, Resp, Server};

fn err(c: &mut Conn, args: &[&str]) -> String {
    let r = c.cmd(args);
    assert_eq!(r[0], b'-', "{args:?}: {}", String::from_utf8_lossy(&r));
    String::from_utf8_lossy(&r[1..r.len() - 2]).into_owned()
}

fn bulk(c: &mut Conn, args: &[&str]) -> String {
    let r = Resp::parse(&c.cmd(args)).unwrap();
    String::from_utf8_lossy(r.as_bytes().unwrap_or_else(|| panic!("{args:?}: {r:?}"))).into_owned()
}

fn int(c: &mut Conn, args: &[&str]) -> i64 {
    Resp::parse(&c.cmd(args)).unwrap().as_int().unwrap()
}

/// XINFO STREAM's field `name` (an integer), None when the reply has no such field.
fn xinfo(c: &mut Conn, key: &str, name: &str) -> Option<i64> {
    let r = Resp::parse(&c.cmd(&["XINFO", "STREAM", key])).unwrap();
    let items = r.items().unwrap();
    items.chunks(2).find(|p| p[0].as_bytes() == Some(name.as_bytes())).and_then(|p| p[1].as_int())
}

#[test]
fn errors_and_argument_rules() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    let cases: &[(&[&str], &str)] = &[
        (&["XADD", "s", "IDMP", "p1", "*", "f", "v"], "ERR Invalid stream ID specified as stream command argument"),
        (
            &["XADD", "s", "IDMP", "p1", "i1", "1-1", "f", "v"],
            "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs",
        ),
        (
            &["XADD", "s", "IDMPAUTO", "p1", "1-*", "f", "v"],
            "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs",
        ),
        (
            &["XADD", "s", "IDMP", "p1", "i1", "IDMP", "p2", "i2", "*", "f", "v"],
            "ERR syntax error, IDMP/IDMPAUTO specified multiple times",
        ),
        (
            &["XADD", "s", "IDMPAUTO", "p1", "IDMP", "p2", "i2", "*", "f", "v"],
            "ERR syntax error, IDMP/IDMPAUTO specified multiple times",
        ),
        (
            &["XADD", "s", "IDMP", "p1", "i1", "IDMPAUTO", "p2", "*", "f", "v"],
            "ERR syntax error, IDMP/IDMPAUTO specified multiple times",
        ),
        (&["XADD", "s", "IDMP", "", "i1", "*", "f", "v"], "ERR syntax error, IDMP requires a non-empty producer ID"),
        (&["XADD", "s", "IDMP", "p1", "", "*", "f", "v"], "ERR syntax error, IDMP requires a non-empty idempotent ID"),
        (&["XADD", "s", "IDMPAUTO", "", "*", "f", "v"], "ERR syntax error, IDMPAUTO requires a non-empty producer ID"),
        (&["XTRIM", "s", "IDMP", "p", "i", "MAXLEN", "0"], "ERR syntax error"),
        (&["XCFGSET", "s", "IDMP-DURATION", "5"], "ERR no such key"),
        // The key is looked up before the parameters are read.
        (&["XCFGSET", "s", "IDMP-DURATION", "0"], "ERR no such key"),
        (&["XCFGSET", "s"], "ERR no such key"),
    ];
    for (args, want) in cases {
        assert_eq!(err(&mut c, args), *want, "{args:?}");
    }
    assert_eq!(int(&mut c, &["EXISTS", "s"]), 0);
    // NOMKSTREAM on a missing key answers nil before any idempotency work.
    assert_eq!(c.cmd(&["XADD", "s", "NOMKSTREAM", "IDMP", "p", "i", "*", "f", "v"]), b"$-1\r\n");
    let id = bulk(&mut c, &["XADD", "s", "IDMP", "p1", "i1", "*", "f", "v"]);
    // XIDMPRECORD (Redis 8.6.2's, for AOF rewrites): an existing entry only; the same pair again is a no-op. The id
    // is checked first, then the names, the key and the entry.
    let rec: &[(&[&str], &str)] = &[
        (&["XIDMPRECORD", "nokey", "p", "i", "1-1"], "ERR no such key"),
        (&["XIDMPRECORD", "nokey", "", "i", "1-1"], "ERR producer ID must be non-empty"),
        (&["XIDMPRECORD", "nokey", "", "", "x"], "ERR Invalid stream ID specified as stream command argument"),
        (&["XIDMPRECORD", "s", "", "i", "1-1"], "ERR producer ID must be non-empty"),
        (&["XIDMPRECORD", "s", "p", "", "1-1"], "ERR idempotent ID must be non-empty"),
        (&["XIDMPRECORD", "s", "p", "i", "x"], "ERR Invalid stream ID specified as stream command argument"),
        (&["XIDMPRECORD", "s", "p", "i", "1-1"], "ERR No such message in stream"),
    ];
    for (args, want) in rec {
        assert_eq!(err(&mut c, args), *want, "{args:?}");
    }
    assert_eq!(c.cmd(&["XIDMPRECORD", "s", "p1", "i1", &id]), b"+OK\r\n");
    assert_eq!(c.cmd(&["XIDMPRECORD", "s", "p2", "i1", &id]), b"+OK\r\n");
    assert_eq!(xinfo(&mut c, "s", "iids-added"), Some(2));
    let other = bulk(&mut c, &["XADD", "s", "*", "f", "v"]);
    assert_eq!(
        err(&mut c, &["XIDMPRECORD", "s", "p2", "i1", &other]),
        "ERR IID already exists for this producer with a different stream ID"
    );
    let cfg: &[(&[&str], &str)] = &[
        (&["XCFGSET", "s"], "ERR At least one parameter must be specified"),
        (&["XCFGSET", "s", "IDMP-DURATION", "5", "IDMP-DURATION", "6"], "ERR IDMP-DURATION specified multiple times"),
        (&["XCFGSET", "s", "IDMP-MAXSIZE", "5", "IDMP-MAXSIZE", "x"], "ERR IDMP-MAXSIZE specified multiple times"),
        (&["XCFGSET", "s", "IDMP-DURATION"], "ERR syntax error"),
        (&["XCFGSET", "s", "INVALID"], "ERR syntax error"),
        (&["XCFGSET", "s", "IDMP-DURATION", "3.14"], "ERR value is not an integer or out of range"),
        (&["XCFGSET", "s", "IDMP-MAXSIZE", "000000000"], "ERR value is not an integer or out of range"),
        (&["XCFGSET", "s", "IDMP-DURATION", "INVALID", "IDMP-MAXSIZE"], "ERR value is not an integer or out of range"),
        (&["XCFGSET", "s", "IDMP-DURATION", "0"], "ERR IDMP-DURATION must be between 1 and 86400 seconds"),
        (&["XCFGSET", "s", "IDMP-DURATION", "86401"], "ERR IDMP-DURATION must be between 1 and 86400 seconds"),
        (&["XCFGSET", "s", "IDMP-MAXSIZE", "-50"], "ERR IDMP-MAXSIZE must be between 1 and 10000 entries"),
        (&["XCFGSET", "s", "IDMP-MAXSIZE", "10001"], "ERR IDMP-MAXSIZE must be between 1 and 10000 entries"),
    ];
    for (args, want) in cfg {
        assert_eq!(err(&mut c, args), *want, "{args:?}");
    }
    c.cmd(&["SET", "str", "x"]);
    assert!(err(&mut c, &["XCFGSET", "str", "IDMP-MAXSIZE", "5"]).starts_with("WRONGTYPE"));
    assert!(err(&mut c, &["CONFIG", "SET", "stream-idmp-duration", "86401"]).contains("must be between"));
    assert!(err(&mut c, &["CONFIG", "SET", "stream-idmp-maxsize", "0"]).contains("must be between"));
    assert_eq!(c.cmd(&["CONFIG", "SET", "stream-idmp-maxsize", "10000"]), b"+OK\r\n");
    // The new commands and XADD's new arguments are documented.
    let info = String::from_utf8_lossy(&c.cmd(&["COMMAND", "INFO", "XCFGSET", "XIDMPRECORD"])).into_owned();
    assert!(info.contains("xcfgset") && info.contains("xidmprecord"), "{info}");
    // `since` as Redis's src/commands/xidmprecord.json gives it.
    let docs = String::from_utf8_lossy(&c.cmd(&["COMMAND", "DOCS", "XIDMPRECORD"])).into_owned();
    assert!(docs.contains("$5\r\nsince\r\n$5\r\n8.6.2\r\n"), "{docs}");
    let docs = String::from_utf8_lossy(&c.cmd(&["COMMAND", "DOCS", "XADD"])).into_owned();
    assert!(docs.contains("IDMPAUTO") && docs.contains("8.6.0"), "{docs}");
}

/// Duplicates answer the first id and add nothing; producers are separate; IDMPAUTO ignores field order; the
/// counters are XINFO's; a plain stream keeps 7.0's XINFO fields.
#[test]
fn dedup_producers_and_counters() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    c.cmd(&["XADD", "plain", "*", "f", "v"]);
    assert_eq!(xinfo(&mut c, "plain", "iids-added"), None);
    assert_eq!(Resp::parse(&c.cmd(&["XINFO", "STREAM", "plain"])).unwrap().items().unwrap().len(), 20);

    let id1 = bulk(&mut c, &["XADD", "s", "IDMP", "p1", "pay-1", "*", "amount", "100"]);
    assert_eq!(bulk(&mut c, &["XADD", "s", "IDMP", "p1", "pay-1", "*", "amount", "200"]), id1);
    let id2 = bulk(&mut c, &["XADD", "s", "MAXLEN", "~", "100", "IDMP", "p2", "pay-1", "*", "amount", "300"]);
    assert_ne!(id1, id2);
    assert_eq!(int(&mut c, &["XLEN", "s"]), 2);
    let auto = bulk(&mut c, &["XADD", "s", "IDMPAUTO", "p3", "*", "a", "1", "b", "2"]);
    assert_eq!(bulk(&mut c, &["XADD", "s", "KEEPREF", "IDMPAUTO", "p3", "*", "b", "2", "a", "1"]), auto);
    assert_ne!(bulk(&mut c, &["XADD", "s", "IDMPAUTO", "p3", "*", "a", "2", "b", "1"]), auto);
    // Binary ids, in MULTI.
    c.cmd(&["MULTI"]);
    c.cmd(&["XADD", "s", "IDMP", "\u{0}\u{1}", "x\u{0}", "*", "f", "v"]);
    c.cmd(&["XADD", "s", "IDMP", "\u{0}\u{1}", "x\u{0}", "*", "f", "w"]);
    let r = Resp::parse(&c.cmd(&["EXEC"])).unwrap();
    let ids = r.items().unwrap();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(int(&mut c, &["XLEN", "s"]), 5);
    let want = [("idmp-duration", 100), ("idmp-maxsize", 100), ("pids-tracked", 4), ("iids-tracked", 5)];
    for (f, v) in want {
        assert_eq!(xinfo(&mut c, "s", f), Some(v), "{f}");
    }
    assert_eq!(xinfo(&mut c, "s", "iids-added"), Some(5));
    assert_eq!(xinfo(&mut c, "s", "iids-duplicates"), Some(3));
    let full = String::from_utf8_lossy(&c.cmd(&["XINFO", "STREAM", "s", "FULL"])).into_owned();
    assert!(full.contains("iids-duplicates\r\n:3\r\n"), "{full}");
    // The original fields stay.
    let first = String::from_utf8_lossy(&c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "1"])).into_owned();
    assert!(first.contains("100") && !first.contains("200"));

    // XCFGSET: the same values keep the history, a different one forgets it (counters stay).
    assert_eq!(c.cmd(&["XCFGSET", "s", "IDMP-DURATION", "100", "IDMP-MAXSIZE", "100"]), b"+OK\r\n");
    assert_eq!(bulk(&mut c, &["XADD", "s", "IDMP", "p1", "pay-1", "*", "f", "v"]), id1);
    assert_eq!(c.cmd(&["XCFGSET", "s", "IDMP-MAXSIZE", "3"]), b"+OK\r\n");
    assert_eq!((xinfo(&mut c, "s", "pids-tracked"), xinfo(&mut c, "s", "iids-tracked")), (Some(0), Some(0)));
    assert_eq!(xinfo(&mut c, "s", "iids-added"), Some(5));
    assert_ne!(bulk(&mut c, &["XADD", "s", "IDMP", "p1", "pay-1", "*", "f", "v"]), id1);
    // MAXSIZE 3 per producer: the oldest goes.
    let ids: Vec<String> =
        (1..=4).map(|i| bulk(&mut c, &["XADD", "s", "IDMP", "p9", &format!("r{i}"), "*", "f", "v"])).collect();
    assert_eq!(bulk(&mut c, &["XADD", "s", "IDMP", "p9", "r4", "*", "f", "v"]), ids[3]);
    assert_eq!(bulk(&mut c, &["XADD", "s", "IDMP", "p9", "r2", "*", "f", "v"]), ids[1]);
    assert_ne!(bulk(&mut c, &["XADD", "s", "IDMP", "p9", "r1", "*", "f", "v"]), ids[0]);
    assert_eq!(xinfo(&mut c, "s", "iids-tracked"), Some(4));
}

/// An iid is forgotten IDMP-DURATION seconds after its entry was added.
#[test]
fn duration_expires_iids() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    c.cmd(&["XADD", "s", "*", "f", "v"]);
    c.cmd(&["XCFGSET", "s", "IDMP-DURATION", "1"]);
    let id = bulk(&mut c, &["XADD", "s", "IDMP", "p", "r", "*", "f", "v"]);
    assert_eq!(bulk(&mut c, &["XADD", "s", "IDMP", "p", "r", "*", "f", "v"]), id);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(xinfo(&mut c, "s", "iids-tracked"), Some(0));
    assert_ne!(bulk(&mut c, &["XADD", "s", "IDMP", "p", "r", "*", "f", "v"]), id);
}

/// The state survives DEBUG RELOAD and DUMP/RESTORE (Redis 8.6's RDB stream type; a stream without it keeps 7.0's)
/// and an AOF rewrite without RDB preamble (XCFGSET + XIDMPRECORD).
#[test]
fn persisted_in_rdb_and_aof() {
    let s = Server::start(Kind::Ferredis, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
    let mut c = s.conn();
    c.cmd(&["XADD", "plain", "1-1", "f", "v"]);
    let id = bulk(&mut c, &["XADD", "s", "IDMP", "p1", "r1", "*", "f", "v"]);
    bulk(&mut c, &["XADD", "s", "IDMP", "p2", "r1", "*", "f", "v"]);
    bulk(&mut c, &["XADD", "s", "IDMP", "p1", "r1", "*", "f", "v"]);
    c.cmd(&["XCFGSET", "s", "IDMP-DURATION", "75"]);
    bulk(&mut c, &["XADD", "s", "IDMP", "p1", "r1", "*", "f", "v"]);
    let id2 = bulk(&mut c, &["XADD", "s", "IDMPAUTO", "p2", "*", "f", "v"]);
    c.cmd(&["XTRIM", "s", "MAXLEN", "1"]);
    let before: Vec<Option<i64>> = ["idmp-duration", "pids-tracked", "iids-tracked", "iids-added", "iids-duplicates"]
        .map(|f| xinfo(&mut c, "s", f))
        .into();
    assert_eq!(before, [Some(75), Some(2), Some(2), Some(4), Some(1)]);
    let dump = |c: &mut Conn, k: &str| Resp::parse(&c.cmd(&["DUMP", k])).unwrap().as_bytes().unwrap().to_vec();
    assert_eq!(dump(&mut c, "plain")[0], 19, "a plain stream keeps Redis 7.0's type");
    let payload = dump(&mut c, "s");
    assert_eq!(payload[0], 26);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    let after: Vec<Option<i64>> = ["idmp-duration", "pids-tracked", "iids-tracked", "iids-added", "iids-duplicates"]
        .map(|f| xinfo(&mut c, "s", f))
        .into();
    assert_eq!(after, before);
    let last = bulk(&mut c, &["XADD", "s", "IDMP", "p1", "r1", "*", "f", "v"]);
    assert_ne!(last, id, "r1 of p1 was re-added after XCFGSET cleared the history");
    let raw = [b"RESTORE".to_vec(), b"copy".to_vec(), b"0".to_vec(), payload];
    assert_eq!(c.cmd(&raw), b"+OK\r\n");
    assert_eq!(xinfo(&mut c, "copy", "iids-tracked"), Some(2));

    // AOF: the rewrite's XCFGSET and XIDMPRECORD bring the table back on load, for the entries still there.
    c.cmd(&["BGREWRITEAOF"]);
    wait_for("the rewrite", || info_field(&mut c, "persistence", "aof_rewrite_in_progress") == "0");
    wait_for("the rewrite", || info_field(&mut c, "persistence", "aof_rewrite_scheduled") == "0");
    assert_eq!(c.cmd(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    assert_eq!(xinfo(&mut c, "s", "idmp-duration"), Some(75));
    assert_eq!(xinfo(&mut c, "s", "iids-tracked"), Some(1));
    assert_eq!(bulk(&mut c, &["XADD", "s", "IDMPAUTO", "p2", "*", "f", "v"]), id2);
    assert_ne!(bulk(&mut c, &["XADD", "s", "IDMP", "p1", "r1", "*", "f", "v"]), last);
    assert_eq!(int(&mut c, &["XLEN", "s"]), 2);
}

/// A replica ends with the master's table: after a failover the retried XADD answers the same id.
#[test]
fn replicated_retry_after_failover() {
    let master = Server::start(Kind::Ferredis, &[]);
    let mut m = master.conn();
    let port = master.port.to_string();
    let replica = Server::start(Kind::Ferredis, &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.conn();
    wait_for("the link", || info_field(&mut r, "replication", "master_link_status") == "up");
    m.cmd(&["XADD", "s", "IDMP", "p", "before", "*", "f", "v"]);
    let a = bulk(&mut m, &["XADD", "s", "IDMP", "p", "order-1", "MAXLEN", "~", "10", "*", "f", "v"]);
    // A retry the master answers from its table reaches the replica as sent, which counts the duplicate too.
    assert_eq!(bulk(&mut m, &["XADD", "s", "IDMP", "p", "order-1", "*", "f", "v"]), a);
    let b = bulk(&mut m, &["XADD", "s", "IDMPAUTO", "q", "*", "f", "v", "g", "w"]);
    m.cmd(&["XCFGSET", "s", "IDMP-MAXSIZE", "50"]);
    let c2 = bulk(&mut m, &["XADD", "s", "IDMP", "p", "order-2", "*", "f", "v"]);
    wait_for("the replica", || {
        info_field(&mut m, "replication", "master_repl_offset")
            == info_field(&mut r, "replication", "slave_repl_offset")
    });
    assert_eq!(xinfo(&mut r, "s", "idmp-maxsize"), Some(50));
    assert_eq!(xinfo(&mut r, "s", "iids-tracked"), Some(1));
    assert_eq!(xinfo(&mut r, "s", "iids-duplicates"), Some(1));
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), b"+OK\r\n");
    assert_eq!(bulk(&mut r, &["XADD", "s", "IDMP", "p", "order-2", "*", "f", "v"]), c2);
    assert_ne!(bulk(&mut r, &["XADD", "s", "IDMP", "p", "order-1", "*", "f", "v"]), a);
    assert_eq!(int(&mut r, &["XLEN", "s"]), 5);
    let _ = b;
}

/// What counts as a change (`rdb_changes_since_last_save`: what reaches replicas and the AOF) and what touches a
/// WATCH, as Redis's `xaddCommand`, `xcfgsetCommand` and `xidmprecordCommand` decide: a duplicate XADD and a newly
/// recorded pair count without signalling the key; XCFGSET counts only when it changes a bound, and signals nothing.
#[test]
fn changes_and_watch() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    let mut w = s.conn();
    let dirty = |c: &mut Conn| info_field(c, "persistence", "rdb_changes_since_last_save").parse::<i64>().unwrap();
    let id = bulk(&mut c, &["XADD", "s", "IDMP", "p", "i", "*", "f", "v"]);
    let cases: &[(&[&str], i64)] = &[
        (&["XADD", "s", "IDMP", "p", "i", "*", "f", "v"], 1),
        (&["XCFGSET", "s", "IDMP-DURATION", "100"], 0),
        (&["XCFGSET", "s", "IDMP-DURATION", "100", "IDMP-MAXSIZE", "100"], 0),
        (&["XCFGSET", "s", "IDMP-MAXSIZE", "7"], 1),
        // XCFGSET cleared the table: the pair is new again, then known.
        (&["XIDMPRECORD", "s", "p", "i", id.as_str()], 1),
        (&["XIDMPRECORD", "s", "p", "i", id.as_str()], 0),
    ];
    for (args, n) in cases {
        w.cmd(&["WATCH", "s"]);
        let before = dirty(&mut c);
        let reply = c.cmd(args);
        assert_ne!(reply[0], b'-', "{args:?}: {}", String::from_utf8_lossy(&reply));
        assert_eq!(dirty(&mut c) - before, *n, "{args:?}");
        w.cmd(&["MULTI"]);
        w.cmd(&["PING"]);
        assert_eq!(w.cmd(&["EXEC"]), b"*1\r\n+PONG\r\n", "{args:?} signalled the key");
    }
    assert_eq!(xinfo(&mut c, "s", "idmp-maxsize"), Some(7));
    assert_eq!(xinfo(&mut c, "s", "iids-duplicates"), Some(1));
    // A new entry does signal it.
    w.cmd(&["WATCH", "s"]);
    bulk(&mut c, &["XADD", "s", "IDMP", "p", "j", "*", "f", "v"]);
    w.cmd(&["MULTI"]);
    w.cmd(&["PING"]);
    assert_eq!(w.cmd(&["EXEC"]), b"*-1\r\n");
}

/// A duplicate reaches the AOF as sent (with `*`); replayed after its iid aged out, it still finds the iid and adds
/// nothing, and the additions replay with their ids whatever the table says.
#[test]
fn replayed_duplicate_adds_nothing() {
    let s = Server::start(Kind::Ferredis, &["--appendonly", "yes"]);
    let mut c = s.conn();
    bulk(&mut c, &["XADD", "s", "IDMP", "p", "r", "*", "f", "v"]);
    c.cmd(&["XCFGSET", "s", "IDMP-DURATION", "1"]);
    let id = bulk(&mut c, &["XADD", "s", "IDMP", "p", "r", "*", "f", "v"]);
    assert_eq!(bulk(&mut c, &["XADD", "s", "IDMP", "p", "r", "*", "f", "v"]), id);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(c.cmd(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    assert_eq!(int(&mut c, &["XLEN", "s"]), 2);
    assert_eq!(xinfo(&mut c, "s", "iids-duplicates"), Some(1));
    let last = String::from_utf8_lossy(&c.cmd(&["XREVRANGE", "s", "+", "-", "COUNT", "1"])).into_owned();
    assert!(last.contains(&id), "{last}");
}

/// IDMPAUTO's iid is the one Redis computes (`createIdempotencyHash` in Redis's `src/t_stream.c`: XXH3-128 of field,
/// field length and value per pair, combined order-free): for `f v` the 16 bytes below (from
/// `tests/vectors/xxh3_128.txt`, made with the reference xxhash). XIDMPRECORD of that pair on the entry is a
/// no-op, as for a pair the stream already holds.
#[test]
fn idmpauto_iid_is_redis_s() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    let id = bulk(&mut c, &["XADD", "s", "IDMPAUTO", "p", "*", "f", "v"]);
    let iid: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&"6e95729ee727f0814aedffba55730079"[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let record = [b"XIDMPRECORD".to_vec(), b"s".to_vec(), b"p".to_vec(), iid, id.clone().into_bytes()];
    assert_eq!(c.cmd(&record), b"+OK\r\n");
    assert_eq!(xinfo(&mut c, "s", "iids-added"), Some(1));
    assert_eq!(xinfo(&mut c, "s", "iids-tracked"), Some(1));
    assert_eq!(bulk(&mut c, &["XADD", "s", "IDMPAUTO", "p", "*", "f", "v"]), id);
}
