//! Redis 8.4's XREADGROUP ... CLAIM min-idle-time: idle pending entries delivered before new ones, with their idle
//! time and delivery count, in RESP2 and RESP3; its errors; blocking until an entry becomes claimable; and its
//! propagation (an XCLAIM per claimed entry) keeping a replica's delivery counts. Redis 8.10's MAXCOUNT and MAXSIZE
//! caps on a whole XREAD / XREADGROUP reply.
//!
//! No Redis 8.4 or 8.10 binary is available (and Valkey 9.1 has neither): the replies asserted are those Redis's
//! documentation and its `stream-cgroups.tcl` tests state (for MAXCOUNT / MAXSIZE, the documented behaviour: streams
//! served in order until the cap, the first entry always given). Idle times are made deterministic enough by setting the
//! delivery times with `XCLAIM ... TIME` (tens of seconds in the past) and masked where they vary.

use crate::common::{escape, Conn, Kind, Server};
use std::time::{Duration, Instant};

fn now_ms(c: &mut Conn) -> i64 {
    let t = String::from_utf8_lossy(&c.cmd(&["TIME"])).into_owned();
    let parts: Vec<&str> = t.split("\r\n").filter(|p| !p.starts_with('*') && !p.starts_with('$')).collect();
    parts[0].parse::<i64>().unwrap() * 1000 + parts[1].parse::<i64>().unwrap() / 1000
}

/// The reply with every integer of at least 1000 (an idle time here) written `:IDLE`.
fn mask_idle(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply)
        .split("\r\n")
        .map(|t| match t.strip_prefix(':').and_then(|n| n.parse::<i64>().ok()) {
            Some(n) if n >= 1000 => ":IDLE".to_string(),
            _ => t.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// A stream `s` with entries 1-0..=3-0, group `g`, 1-0 and 2-0 pending for `c1` since 50 s and 20 s ago.
fn setup(c: &mut Conn) {
    c.cmd(&["DEL", "s"]);
    for id in ["1-0", "2-0", "3-0"] {
        c.cmd(&["XADD", "s", id, "f", &format!("v{}", &id[..1])]);
    }
    c.cmd(&["XGROUP", "CREATE", "s", "g", "0"]);
    c.cmd(&["XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">"]);
    let now = now_ms(c);
    for (id, ago) in [("1-0", 50_000), ("2-0", 20_000)] {
        c.cmd(&["XCLAIM", "s", "g", "c1", "0", id, "TIME", &(now - ago).to_string(), "JUSTID"]);
    }
}

/// The longest idle entry first, each with its idle time and its count before this delivery, then the new entry
/// with 0 and 0; the claimed entries move to the reader with their counts incremented; a second read finds
/// nothing. COUNT covers claimed and new entries together; an id other than `>` ignores CLAIM; NOACK does not
/// apply to claimed entries.
#[test]
fn claim_replies_and_pel() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    setup(&mut c);
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "CLAIM", "10000", "STREAMS", "s", ">"]);
    let entry =
        |id: &str, v: &str, tail: &str| format!("*4\r\n${}\r\n{id}\r\n*2\r\n$1\r\nf\r\n$2\r\n{v}\r\n{tail}", id.len());
    let want = format!(
        "*1\r\n*2\r\n$1\r\ns\r\n*3\r\n{}{}{}",
        entry("1-0", "v1", ":IDLE\r\n:1\r\n"),
        entry("2-0", "v2", ":IDLE\r\n:1\r\n"),
        entry("3-0", "v3", ":0\r\n:0\r\n")
    );
    assert_eq!(mask_idle(&got), want);
    let pel = String::from_utf8_lossy(&c.cmd(&["XPENDING", "s", "g", "-", "+", "10", "c2"])).into_owned();
    assert_eq!(pel.matches("$2\r\nc2\r\n").count(), 3, "{pel}");
    assert!(pel.contains(":2\r\n*4\r\n$3\r\n2-0"), "1-0 delivered twice: {pel}");
    assert_eq!(c.cmd(&["XPENDING", "s", "g", "-", "+", "10", "c1"]), b"*0\r\n");
    assert_eq!(c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "CLAIM", "10000", "STREAMS", "s", ">"]), b"*-1\r\n");

    // COUNT: the claimed entries first, new ones in what is left.
    setup(&mut c);
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "CLAIM", "10000", "STREAMS", "s", ">"]);
    assert_eq!(mask_idle(&got), format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{}", entry("1-0", "v1", ":IDLE\r\n:1\r\n")));

    // Only entries idle for at least min-idle-time; CLAIM may come before GROUP.
    setup(&mut c);
    let got = c.cmd(&["XREADGROUP", "CLAIM", "30000", "GROUP", "g", "c2", "STREAMS", "s", ">"]);
    let want = format!(
        "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n{}{}",
        entry("1-0", "v1", ":IDLE\r\n:1\r\n"),
        entry("3-0", "v3", ":0\r\n:0\r\n")
    );
    assert_eq!(mask_idle(&got), want);

    // An id other than `>` reads the history, as without CLAIM.
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c1", "CLAIM", "0", "STREAMS", "s", "0"]);
    assert_eq!(escape(&got), escape(b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n"));

    // NOACK: the claimed entry stays pending, the new one is not added.
    setup(&mut c);
    c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "NOACK", "CLAIM", "40000", "STREAMS", "s", ">"]);
    let summary = String::from_utf8_lossy(&c.cmd(&["XPENDING", "s", "g"])).into_owned();
    assert!(summary.starts_with("*4\r\n:2\r\n"), "{summary}");

    // Entries gone from the stream are not delivered.
    setup(&mut c);
    c.cmd(&["XDEL", "s", "1-0", "2-0", "3-0"]);
    assert_eq!(c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "CLAIM", "0", "STREAMS", "s", ">"]), b"*-1\r\n");

    // RESP3: a map of streams, the integers as integers.
    setup(&mut c);
    c.cmd(&["HELLO", "3"]);
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "CLAIM", "10000", "STREAMS", "s", ">"]);
    assert_eq!(mask_idle(&got), format!("%1\r\n$1\r\ns\r\n*1\r\n{}", entry("1-0", "v1", ":IDLE\r\n:1\r\n")));
}

/// Two behaviours read from Redis's `src/t_stream.c` (8.4's and a newer one): COUNT bounds the entries CLAIM
/// delivers, a deleted pending entry taking no place (`streamReplyWithRange` counts what it emits), and a stream
/// read by history (an id other than `>`) turns CLAIM off for the streams after it (`xreadCommand` sets its
/// `min_idle_time` to -1).
#[test]
fn claim_count_and_history() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    setup(&mut c);
    c.cmd(&["XDEL", "s", "1-0"]);
    // 1-0 (the longest idle) is gone: 2-0 is claimed and fills COUNT 1.
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "CLAIM", "10000", "STREAMS", "s", ">"]);
    assert_eq!(
        mask_idle(&got),
        "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*4\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n:IDLE\r\n:1\r\n"
    );
    // 1-0 stays pending (for c1), unclaimed.
    assert!(c.cmd(&["XPENDING", "s", "g", "-", "+", "10", "c1"]).starts_with(b"*1\r\n"));

    // History first: the second stream is read without CLAIM (entries of two elements, nothing claimed).
    setup(&mut c);
    c.cmd(&["DEL", "t"]);
    c.cmd(&["XADD", "t", "1-0", "f", "t1"]);
    c.cmd(&["XGROUP", "CREATE", "t", "g", "0"]);
    c.cmd(&["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "t", ">"]);
    let old = (now_ms(&mut c) - 50_000).to_string();
    c.cmd(&["XCLAIM", "t", "g", "c1", "0", "1-0", "TIME", &old, "JUSTID"]);
    c.cmd(&["XADD", "t", "2-0", "f", "t2"]);
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c1", "CLAIM", "10000", "STREAMS", "s", "t", "0", ">"]);
    let s_history = "*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n";
    let t_new = "*2\r\n$1\r\nt\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nt2\r\n";
    assert_eq!(escape(&got), escape(format!("*2\r\n{s_history}{t_new}").as_bytes()));
    // The other way round, `t` (first, `>`) claims its idle entry.
    setup(&mut c);
    c.cmd(&["XCLAIM", "t", "g", "c1", "0", "1-0", "TIME", &old, "JUSTID"]);
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c1", "CLAIM", "10000", "STREAMS", "t", "s", ">", "0"]);
    assert!(mask_idle(&got).contains("t1\r\n:IDLE\r\n:"), "{}", escape(&got));
}

/// Redis 8.4's errors for CLAIM's argument and for XREAD. The texts are `xreadCommand`'s in Redis 8.4's
/// `src/t_stream.c` (`getLongLongFromObjectOrReply` with "min-idle-time is not an integer or out of range").
#[test]
fn claim_errors() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    setup(&mut c);
    let read = |c: &mut Conn, extra: &[&str]| {
        let mut a = vec!["XREADGROUP", "GROUP", "g", "c1"];
        a.extend_from_slice(extra);
        String::from_utf8_lossy(&c.cmd(&a)).into_owned()
    };
    const NOT_INT: &str = "-ERR min-idle-time is not an integer or out of range\r\n";
    for bad in ["test", "5.5", "+10", "-0", "10e", "-5.5", "99999999999999999999"] {
        assert_eq!(read(&mut c, &["CLAIM", bad, "STREAMS", "s", ">"]), NOT_INT);
    }
    for bad in ["-1", "-42"] {
        assert_eq!(
            read(&mut c, &["CLAIM", bad, "STREAMS", "s", ">"]),
            "-ERR min-idle-time must be a positive integer\r\n"
        );
    }
    assert_eq!(read(&mut c, &["CLAIM", "STREAMS", "s", ">"]), NOT_INT);
    assert_eq!(read(&mut c, &["CLAIM", "10", "CLAIM", "COUNT", "1", "STREAMS", "s", ">"]), NOT_INT);
    assert!(read(&mut c, &["STREAMS", "s", "CLAIM", ">"]).starts_with("-ERR Unbalanced"));
    assert!(read(&mut c, &["STREAMS", "s", ">", "CLAIM", "50"]).starts_with("-ERR Invalid stream ID"));
    assert_eq!(
        c.cmd(&["XREAD", "COUNT", "2", "CLAIM", "10", "STREAMS", "s", "0-0"]),
        b"-ERR The CLAIM option is only supported by XREADGROUP. You called XREAD instead.\r\n"
    );
    assert!(String::from_utf8_lossy(&c.cmd(&["XREADGROUP", "GROUP", "nope", "c1", "CLAIM", "5", "STREAMS", "s", ">"]))
        .starts_with("-NOGROUP"));
}

/// A blocked XREADGROUP ... CLAIM is served when a pending entry becomes old enough, before its timeout; a new
/// entry serves it at once; with nothing claimable it times out with a null.
#[test]
fn claim_blocks() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    c.cmd(&["XADD", "s", "1-0", "f", "v1"]);
    c.cmd(&["XGROUP", "CREATE", "s", "g", "0"]);
    c.cmd(&["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"]);
    let t = Instant::now();
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "BLOCK", "5000", "CLAIM", "300", "STREAMS", "s", ">"]);
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(250) && took < Duration::from_millis(3000), "{took:?}");
    assert!(escape(&got).starts_with("*1\\r\\n*2\\r\\n$1\\r\\ns\\r\\n*1\\r\\n*4\\r\\n$3\\r\\n1-0"), "{}", escape(&got));
    assert!(got.ends_with(b":1\r\n"), "{}", escape(&got));

    let t = Instant::now();
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c2", "BLOCK", "200", "CLAIM", "60000", "STREAMS", "s", ">"]);
    assert_eq!(got, b"*-1\r\n");
    assert!(t.elapsed() >= Duration::from_millis(190));

    let mut waiter = s.conn();
    waiter.send(&["XREADGROUP", "GROUP", "g", "c3", "BLOCK", "0", "CLAIM", "60000", "STREAMS", "s", ">"]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    c.cmd(&["XADD", "s", "2-0", "f", "v2"]);
    let got = waiter.read_reply().unwrap();
    assert_eq!(
        escape(&got),
        escape(b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*4\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv2\r\n:0\r\n:0\r\n")
    );
}

/// Each claim reaches a replica as an XCLAIM: owners and delivery counts match the master's.
#[test]
fn claim_propagates() {
    let master = Server::start(Kind::Ferredis, &[]);
    let port = master.port.to_string();
    let replica = Server::start(Kind::Ferredis, &["--replicaof", "127.0.0.1", &port]);
    let (mut m, mut r) = (master.conn(), replica.conn());
    let info = |c: &mut Conn, name: &str| {
        let text = String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).into_owned();
        text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or("").trim().to_string()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while info(&mut r, "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "no link");
        std::thread::sleep(Duration::from_millis(20));
    }
    setup(&mut m);
    m.cmd(&["XREADGROUP", "GROUP", "g", "c2", "CLAIM", "10000", "STREAMS", "s", ">"]);
    m.cmd(&["XREADGROUP", "GROUP", "g", "c3", "CLAIM", "0", "COUNT", "2", "STREAMS", "s", ">"]);
    while info(&mut m, "master_repl_offset") != info(&mut r, "slave_repl_offset") {
        assert!(Instant::now() < deadline, "the replica does not catch up");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pel = |c: &mut Conn| {
        // Owners and counts, not idle times.
        String::from_utf8_lossy(&c.cmd(&["XPENDING", "s", "g", "-", "+", "10"]))
            .split("\r\n")
            .enumerate()
            .filter(|(i, _)| i % 7 != 6)
            .map(|(_, t)| t.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let want = pel(&mut m);
    assert!(want.contains("$2 c3"), "{want}");
    assert_eq!(pel(&mut r), want);
}

/// MAXCOUNT caps the entries across streams (later streams left out), MAXSIZE the reply bytes (the first entry
/// always given); both work for XREADGROUP, where only the entries given become pending; bad values are refused.
#[test]
fn maxcount_and_maxsize() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    for k in ["s1", "s2", "s3"] {
        for i in 1..=3 {
            c.cmd(&["XADD", k, &format!("{i}-0"), "f", &format!("v{i}")]);
        }
    }
    let e = |id: &str| format!("*2\r\n$3\r\n{id}\r\n*2\r\n$1\r\nf\r\n$2\r\nv{}\r\n", &id[..1]);
    let got = c.cmd(&["XREAD", "COUNT", "2", "MAXCOUNT", "3", "STREAMS", "s1", "s2", "s3", "0", "0", "0"]);
    assert_eq!(
        String::from_utf8_lossy(&got),
        format!("*2\r\n*2\r\n$2\r\ns1\r\n*2\r\n{}{}*2\r\n$2\r\ns2\r\n*1\r\n{}", e("1-0"), e("2-0"), e("1-0"))
    );
    // One entry is 33 bytes: MAXSIZE 1 still gives the first, 66 gives two.
    let got = c.cmd(&["XREAD", "MAXSIZE", "1", "STREAMS", "s1", "s2", "0", "0"]);
    assert_eq!(String::from_utf8_lossy(&got), format!("*1\r\n*2\r\n$2\r\ns1\r\n*1\r\n{}", e("1-0")));
    let got = c.cmd(&["XREAD", "MAXSIZE", "66", "STREAMS", "s1", "s2", "0", "0"]);
    assert_eq!(String::from_utf8_lossy(&got), format!("*1\r\n*2\r\n$2\r\ns1\r\n*2\r\n{}{}", e("1-0"), e("2-0")));
    assert_eq!(c.cmd(&["XREAD", "MAXCOUNT", "5", "STREAMS", "s1", "9-0"]), b"*-1\r\n");

    for k in ["s1", "s2", "s3"] {
        c.cmd(&["XGROUP", "CREATE", k, "g", "0"]);
    }
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c", "MAXCOUNT", "4", "STREAMS", "s1", "s2", "s3", ">", ">", ">"]);
    assert_eq!(
        String::from_utf8_lossy(&got),
        format!(
            "*2\r\n*2\r\n$2\r\ns1\r\n*3\r\n{}{}{}*2\r\n$2\r\ns2\r\n*1\r\n{}",
            e("1-0"),
            e("2-0"),
            e("3-0"),
            e("1-0")
        )
    );
    assert!(c.cmd(&["XPENDING", "s2", "g"]).starts_with(b"*4\r\n:1\r\n"));
    assert!(c.cmd(&["XPENDING", "s3", "g"]).starts_with(b"*4\r\n:0\r\n"));
    let got = c.cmd(&["XREADGROUP", "GROUP", "g", "c", "MAXCOUNT", "2", "STREAMS", "s1", "s2", "0", "0"]);
    assert_eq!(String::from_utf8_lossy(&got), format!("*1\r\n*2\r\n$2\r\ns1\r\n*2\r\n{}{}", e("1-0"), e("2-0")));

    for (args, err) in [
        (vec!["XREAD", "MAXCOUNT", "0", "STREAMS", "s1", "0"], "-ERR MAXCOUNT must be a positive integer\r\n"),
        (vec!["XREAD", "MAXCOUNT", "x", "STREAMS", "s1", "0"], "-ERR MAXCOUNT must be a positive integer\r\n"),
        (vec!["XREAD", "MAXSIZE", "-1", "STREAMS", "s1", "0"], "-ERR MAXSIZE must be a positive integer\r\n"),
        (
            vec!["XREAD", "COUNT", "5", "MAXCOUNT", "2", "STREAMS", "s1", "0"],
            "-ERR MAXCOUNT must be greater than or equal to COUNT\r\n",
        ),
    ] {
        assert_eq!(String::from_utf8_lossy(&c.cmd(&args)), err, "{args:?}");
    }
    // COMMAND DOCS gives the arguments the release that added them, as Redis's xread.json / xreadgroup.json do
    // (CLAIM's 8.4.0 as the 8.10 table records it).
    for (cmd, arg, since) in [
        ("XREAD", "maxcount", "8.10.0"),
        ("XREAD", "maxsize", "8.10.0"),
        ("XREADGROUP", "maxcount", "8.10.0"),
        ("XREADGROUP", "maxsize", "8.10.0"),
        ("XREADGROUP", "min-idle-time", "8.4.0"),
    ] {
        let docs = String::from_utf8_lossy(&c.cmd(&["COMMAND", "DOCS", cmd])).into_owned();
        let entry = format!("$4\r\nname\r\n${}\r\n{arg}\r\n", arg.len());
        let at = docs.find(&entry).unwrap_or_else(|| panic!("{cmd} {arg}: {docs}"));
        let next = docs[at + entry.len()..].find("$4\r\nname\r\n").map_or(docs.len(), |n| at + entry.len() + n);
        let want = format!("$5\r\nsince\r\n${}\r\n{since}\r\n", since.len());
        assert!(docs[at..next].contains(&want), "{cmd} {arg}: {}", &docs[at..next]);
    }
}
