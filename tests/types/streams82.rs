//! Redis 8.2's stream deletions with reference policies end to end: XDELEX, XACKDEL, and XADD / XTRIM with
//! KEEPREF / DELREF / ACKED reach a replica, an AOF and an RDB file as the same state (entries, PELs, consumers,
//! metadata), and raise the keyspace events Redis raises.
//!
//! No Redis 8.2 binary is available, so ferredis is compared with itself (master and replica, before and after a
//! restart); the replies asserted are Redis 8.2's per-id codes as its documentation and `xdelexCommand` in
//! `t_stream.c` state them, and the events `xdelexCommand`'s (`xdel` on a deletion), XACKDEL's taken alike (none for
//! acknowledgements alone, as XACK), and XADD's and XTRIM's 7.0 ones (`xadd`, `xtrim`). The propagated forms are
//! ferredis's: commands as given, except that an approximate ACKED trim becomes `MINID = <first unreferenced id>`
//! (see `rewrite_trim`).

use crate::common::{escape, split_args, Conn, Kind, Server, TempDir};
use std::time::{Duration, Instant};

/// Small nodes, so that approximate trims remove whole nodes around kept entries.
const NODES: &[&str] = &["--stream-node-max-entries", "2"];

/// Covers every policy of every command, an XDELEX DELREF that only drops references, an approximate ACKED trim
/// that keeps a referenced entry among removed ones, and acknowledgements without deletions.
const WORKLOAD: &[&str] = &[
    "XADD s 1-0 f 1",
    "XADD s 2-0 f 2",
    "XADD s 3-0 f 3",
    "XADD s 4-0 f 4",
    "XADD s 5-0 f 5",
    "XADD s 6-0 f 6",
    "XADD s 7-0 f 7",
    "XADD s 8-0 f 8",
    "XADD s 9-0 f 9",
    "XADD s 10-0 f 10",
    "XGROUP CREATE s g1 0",
    "XGROUP CREATE s g2 0",
    "XREADGROUP GROUP g1 alice COUNT 6 STREAMS s >",
    "XREADGROUP GROUP g2 bob COUNT 3 STREAMS s >",
    "XACK s g1 2-0 3-0 4-0",
    "XACK s g2 2-0 3-0",
    "XDELEX s KEEPREF IDS 1 5-0",
    "XDELEX s DELREF IDS 2 5-0 1-0",
    "XDELEX s ACKED IDS 2 3-0 4-0",
    "XACKDEL s g1 ACKED IDS 2 4-0 6-0",
    "XACKDEL s g2 DELREF IDS 1 2-0",
    "XREADGROUP GROUP g2 bob COUNT 5 STREAMS s >",
    "XACKDEL s g2 IDS 1 6-0",
    "XACK s g1 7-0",
    "XADD s ACKED MAXLEN ~ 2 11-0 f 11",
    "XTRIM s MINID ~ 9 DELREF",
    "XTRIM s MAXLEN 1 ACKED",
    "XADD s DELREF MAXLEN 2 12-0 f 12",
];

/// What the workload's replies are, in order (Redis 8.2's per-id codes).
const REPLIES: &[(&str, &str)] = &[
    ("XDELEX s KEEPREF IDS 1 5-0", "*1\r\n:1\r\n"),
    ("XDELEX s DELREF IDS 2 5-0 1-0", "*2\r\n:-1\r\n:1\r\n"),
    ("XDELEX s ACKED IDS 2 3-0 4-0", "*2\r\n:1\r\n:2\r\n"),
    ("XACKDEL s g1 ACKED IDS 2 4-0 6-0", "*2\r\n:-1\r\n:2\r\n"),
    ("XACKDEL s g2 DELREF IDS 1 2-0", "*1\r\n:-1\r\n"),
    ("XACKDEL s g2 IDS 1 6-0", "*1\r\n:1\r\n"),
];

fn run(c: &mut Conn, lines: &[&str]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| (l.to_string(), String::from_utf8_lossy(&c.cmd(&split_args(l).unwrap())).into_owned()))
        .collect()
}

/// Everything the policies change, without times: entries, stream metadata, each group's position and PEL
/// summary, each consumer's pending ids. Not the groups' `entries-read` and `lag`: 7.0's propagation of
/// XREADGROUP carries no read counter, so a replica's or a replayed AOF's differ from the master's (Redis 7.0's
/// too; see `stream_groups::replicas_stay_identical_both_ways`).
fn state(c: &mut Conn) -> String {
    let mut out = String::new();
    for l in ["XRANGE s - +", "XINFO STREAM s", "XPENDING s g1", "XPENDING s g2"] {
        out += &format!("{l}: {}\n", escape(&c.cmd(&split_args(l).unwrap())));
    }
    for g in ["g1", "g2"] {
        let info = String::from_utf8_lossy(&c.cmd(&["XINFO", "GROUPS", "s"])).into_owned();
        let fields: Vec<&str> = info.split("\r\n").collect();
        let at = fields.iter().position(|f| *f == g).expect("group listed");
        // name, consumers, pending, last-delivered-id and their values.
        out += &format!("{g}: {:?}\n", &fields[at..at + 12]);
    }
    for (g, consumer) in [("g1", "alice"), ("g2", "bob")] {
        let l = format!("XPENDING s {g} - + 100 {consumer}");
        let ids: Vec<String> = String::from_utf8_lossy(&c.cmd(&split_args(&l).unwrap()))
            .split("\r\n")
            .filter(|t| t.contains('-') && !t.starts_with('$') && !t.starts_with(':'))
            .map(str::to_string)
            .collect();
        out += &format!("{l}: {ids:?}\n");
    }
    out
}

fn info_field(c: &mut Conn, name: &str) -> String {
    let text = String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).into_owned();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or("").trim().to_string()
}

fn check_replies(got: &[(String, String)]) {
    for (cmd, want) in REPLIES {
        let (_, reply) = got.iter().find(|(l, _)| l == cmd).expect("command in the workload");
        assert_eq!(reply, want, "{cmd}");
    }
}

/// A replica that followed the workload holds the master's state; the replies are Redis 8.2's codes, and the
/// last DELREF trim leaves two entries and no pending ones.
#[test]
fn replica_gets_the_same_state() {
    let master = Server::start(Kind::Ferredis, NODES);
    let port = master.port.to_string();
    let mut args = NODES.to_vec();
    args.extend(["--replicaof", "127.0.0.1", &port]);
    let replica = Server::start(Kind::Ferredis, &args);
    let (mut m, mut r) = (master.conn(), replica.conn());
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(&mut r, "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "no link");
        std::thread::sleep(Duration::from_millis(20));
    }
    check_replies(&run(&mut m, WORKLOAD));
    let want = state(&mut m);
    assert!(want.starts_with("XRANGE s - +: *2\\r\\n*2\\r\\n$4\\r\\n11-0"), "{want}");
    assert!(want.contains("XPENDING s g2: *4\\r\\n:0\\r\\n"), "{want}");
    while info_field(&mut m, "master_repl_offset") != info_field(&mut r, "slave_repl_offset") {
        assert!(Instant::now() < deadline, "the replica does not catch up");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(state(&mut r), want);
}

/// The AOF holds the propagated forms, and a restart replaying it rebuilds the same state; so does an RDB reload
/// (DEBUG RELOAD) after the DELREF trims.
#[test]
fn aof_and_rdb_round_trips() {
    let dir = TempDir::new("streams82-aof");
    let mut extra = NODES.to_vec();
    extra.extend(["--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "always"]);
    let s = Server::start_in(Kind::Ferredis, &dir.path, &extra);
    let mut c = s.conn();
    check_replies(&run(&mut c, WORKLOAD));
    let want = state(&mut c);
    let mut aof = String::new();
    for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".incr.aof") {
            aof = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned().replace("\r\n", " ");
        }
    }
    // The approximate ACKED trim (every entry left referenced) replays as an exact MINID past the last id, the
    // approximate DELREF trim as an exact MINID at the first entry left.
    assert!(aof.contains("$6 XDELEX $1 s $6 DELREF $3 IDS $1 2 $3 5-0 $3 1-0 "), "{aof}");
    assert!(aof.contains("$7 XACKDEL $1 s $2 g1 $5 ACKED $3 IDS $1 2 $3 4-0 $3 6-0 "), "{aof}");
    assert!(aof.contains("$4 XADD $1 s $5 ACKED $5 MINID $1 = "), "{aof}");
    assert!(aof.contains("$5 XTRIM $1 s $5 MINID $1 = "), "{aof}");
    assert!(c.cmd(&["DEBUG", "RELOAD"]).starts_with(b"+OK"));
    assert_eq!(state(&mut c), want, "after DEBUG RELOAD");
    drop(c);
    drop(s);
    let s = Server::start_in(Kind::Ferredis, &dir.path, &extra);
    assert_eq!(state(&mut s.conn()), want, "after replaying the AOF");
}

/// The events a subscriber sees: `xdel` for XDELEX and XACKDEL deletions, none for acknowledgements or dropped
/// references alone, `xtrim` after `xadd` for a policy trim.
#[test]
fn keyspace_events() {
    let s = Server::start(Kind::Ferredis, &["--notify-keyspace-events", "Et$"]);
    let mut sub = s.conn();
    sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    let mut c = s.conn();
    run(
        &mut c,
        &[
            "XADD s 1-0 f 1",
            "XADD s 2-0 f 2",
            "XADD s 3-0 f 3",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c COUNT 2 STREAMS s >",
            "XDELEX s ACKED IDS 1 1-0",
            "XDELEX s DELREF IDS 1 9-0",
            "XACKDEL s g ACKED IDS 1 2-0",
            "XACKDEL s g IDS 1 2-0",
            "XACKDEL s g IDS 1 1-0",
            "XDELEX s IDS 1 1-0",
            "XADD s DELREF MAXLEN 1 4-0 f 4",
            "XTRIM s MINID 9 ACKED",
            "XTRIM s MINID 9 KEEPREF",
        ],
    );
    c.cmd(&["PUBLISH", "__keyevent@0__:end", "x"]);
    let mut events = Vec::new();
    loop {
        let m = String::from_utf8_lossy(&sub.read_reply().unwrap()).into_owned();
        let name = m.rsplit("__keyevent@0__:").next().and_then(|t| t.split("\r\n").next()).unwrap_or("").to_string();
        if name == "end" {
            break;
        }
        events.push(name);
    }
    // XDELEX ACKED of the pending 1-0 and DELREF of a missing id delete nothing; XACKDEL ACKED deletes 2-0 (no
    // group references it once acknowledged); XTRIM ACKED keeps 4-0 (past the group's last id), KEEPREF trims it.
    assert_eq!(
        events,
        ["xadd", "xadd", "xadd", "xgroup-create", "xgroup-createconsumer", "xdel", "xdel", "xadd", "xtrim", "xtrim"],
        "{events:?}"
    );
}

/// COMMAND DOCS of XACKDEL as Redis's xackdel.json gives it (summary and complexity, checked against the json
/// redis.io publishes for 8.2).
#[test]
fn xackdel_command_docs() {
    let s = Server::start(Kind::Ferredis, &[]);
    let docs = String::from_utf8_lossy(&s.conn().cmd(&["COMMAND", "DOCS", "XACKDEL"])).into_owned();
    for text in [
        "Acknowledges and conditionally deletes one or multiple entries for a stream consumer group.",
        "O(1) for each entry ID processed.",
        "8.2.0",
    ] {
        assert!(docs.contains(&format!("${}\r\n{text}\r\n", text.len())), "{text}: {}", escape(docs.as_bytes()));
    }
}
