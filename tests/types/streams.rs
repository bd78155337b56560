//! Streams against Debian's redis-server 7.0.15, reply bytes compared:
//!
//! - curated scripts of every non-group X command with the bad inputs Redis refuses (ids out of order, 0-0,
//!   overflowing and malformed ids, odd field/value counts, negative and huge COUNTs, LIMIT without `~`, XSETID
//!   below the top id), in RESP2 and RESP3, and the commands around a type (TYPE, OBJECT ENCODING, COPY, RENAME,
//!   DEBUG DIGEST/DIGEST-VALUE/OBJECT's serialized length), on fresh servers with Redis's default node sizes and
//!   with tiny ones so that node splitting, XINFO's radix-tree counts and approximate trims are compared;
//! - a seeded random run of XADD/XDEL/XTRIM/XRANGE/XREVRANGE/XREAD/XINFO over a few keys;
//! - blocking XREAD with several connections: `$`, wake-up by XADD on another key, COUNT, timeouts, a stream
//!   deleted and re-created while a client waits, CLIENT UNBLOCK, a key of another type, RESP3, MULTI and scripts;
//! - keyspace events (`xadd`, `xtrim`, `xdel`, `xsetid`);
//! - propagation: the AOF each server writes for the same commands, with the ids `*` produced normalized;
//! - RDB files with streams (a consumer group with pending entries, deleted entries, an empty stream) written by
//!   redis-server load into ferredis and the reverse, with equal DEBUG DIGEST and XINFO STREAM FULL.
//!
//! Without /usr/bin/redis-server the tests print "skipped" and pass.

use crate::common;

use common::*;

const BASIC: &str = r#"
XADD s 1-1 a 1
XADD s 1-2 a 2 b 3
XADD s 1-* a 4
XADD s 2 x y
XADD s 1-1 a 1
XADD s 2-0 a 1
XADD s 0-0 a 1
XADD s2 0-0 a 1
EXISTS s2
XADD s 0-* a 1
XADD s 3-1 a
XADD s 3-1 a b c
XADD s MAXLEN 1 LIMIT 5 3-2 a b
XADD s MAXLEN ~ 1 LIMIT 5 3-3 a b
XADD s MAXLEN -1 3-4 a b
XADD s MAXLEN abc 3-4 a b
XADD s MAXLEN 99999999999999999999 3-4 a b
XADD s MINID 0 MAXLEN 1 3-4 a b
XADD s MINID (0 3-4 a b
XADD s LIMIT 0 3-4 a b
XADD s LIMIT 5 3-4 a b
XADD s MAXLEN = 100 3-4 a b
XADD s NOMKSTREAM 3-5 a b
XADD nokey NOMKSTREAM 3-4 a b
EXISTS nokey
XADD s 18446744073709551616-1 a b
XADD s 1-18446744073709551616 a b
XADD s abc a b
XADD s -1 a b
XADD s + a b
XADD s - a b
XADD s 3-a a b
XADD s 3- a b
XADD s " 9" a b
XADD s 010-1 a b
XADD s 18446744073709551615-18446744073709551615 last one
XADD s 18446744073709551615-* a b
XADD s * a b
XLEN s
XLEN nokey
XRANGE s - +
XREVRANGE s + -
XRANGE s - + COUNT 2
XRANGE s - + COUNT 0
XRANGE s - + COUNT -5
XRANGE s - + COUNT 9223372036854775807
XRANGE s - + COUNT 99999999999999999999
XRANGE s - + COUNT
XRANGE s - + FOO 1
XRANGE s (1-1 +
XRANGE s (1-1 (3-3
XRANGE s ( +
XRANGE s (- +
XRANGE s - (+
XRANGE s 1 1
XRANGE s (18446744073709551615-18446744073709551615 +
XRANGE s - (0-0
XRANGE s 5 1
XRANGE s 3 3
XRANGE nokey - +
XREVRANGE s 2 1 COUNT 1
XREVRANGE s + (1-2
XREVRANGE s (3 (1
SET str x
XRANGE str - +
XREVRANGE str + -
XADD str 1-1 a b
XLEN str
XDEL str 1-1
XTRIM str MAXLEN 1
XSETID str 1-1
XINFO STREAM str
XREAD STREAMS str 0
XDEL nokey abc
XDEL s abc
XDEL s 1-1 1-2 9-9 1-1
XDEL s 1-1
XLEN s
XRANGE s - +
XINFO STREAM s
XINFO STREAM s FULL
XINFO STREAM s FULL COUNT 1
XINFO STREAM s FULL COUNT 0
XINFO STREAM s FULL COUNT -1
XINFO STREAM s FULL COUNT x
XINFO STREAM s FOO
XINFO STREAM s FULL FOO 1
XINFO STREAM s FULL COUNT
XINFO STREAM nokey
XINFO STREAM
XINFO HELP
XINFO HELP extra
XINFO FOO
XINFO
XADD t 5-1 f v
XSETID t 1-0
XSETID t 5-1
XSETID t 10-0
XSETID t 10-0 ENTRIESADDED 0
XSETID t 10-0 ENTRIESADDED -1
XSETID t 10-0 ENTRIESADDED x
XSETID t 10-0 ENTRIESADDED 100 MAXDELETEDID 11-0
XSETID t 10-0 ENTRIESADDED 100 MAXDELETEDID 9-0
XSETID t 10-0 MAXDELETEDID +
XSETID t 10-0 FOO
XSETID t 10-0 ENTRIESADDED
XSETID nokey 10-0
XSETID t -
XSETID t abc
XINFO STREAM t
XADD t 10-* f v
XADD t 10-1 f v
XDEL t 5-1 10-1
XINFO STREAM t
XSETID t 0-1
XSETID t 0-1 ENTRIESADDED 3
XINFO STREAM t FULL
XTRIM s
XTRIM s MAXLEN
XTRIM s FOO 1
XTRIM s MAXLEN 1 LIMIT 2
XTRIM s LIMIT 2
XTRIM s LIMIT 2 MAXLEN 1
XTRIM s MAXLEN ~ 1 LIMIT -1
XTRIM s MAXLEN ~ 1 LIMIT x
XTRIM s MAXLEN = 1 LIMIT 1
XTRIM s MINID abc
XTRIM s MINID - 
XTRIM s MAXLEN 3
XTRIM nokey MAXLEN 1
XTRIM s MINID 3-3
XINFO STREAM s
XTRIM s MINID 18446744073709551615-18446744073709551615
XINFO STREAM s
XRANGE s - +
XLEN s
TYPE s
OBJECT ENCODING s
EXISTS s
XADD s MAXLEN 0 20-1 a b
XLEN s
XINFO STREAM s
XREAD STREAMS s nokey 0 0
XREAD STREAMS t 0
XREAD COUNT 1 STREAMS t 0
XREAD COUNT -1 STREAMS t 0
XREAD STREAMS t nokey 0 0
XREAD STREAMS t $
XREAD STREAMS t
XREAD STREAMS t t 0
XREAD STREAMS t t 0 0
XREAD STREAMS t str 0 0
XREAD STREAMS t >
XREAD STREAMS t abc
XREAD STREAMS t -
# Redis 7.4's `+` (the last entry): not 7.0's error any more; compared with 7.4.1 in tests/types/r74_misc.rs.
!XREAD STREAMS t +
XREAD GROUP g c STREAMS t 0
XREAD NOACK STREAMS t 0
XREAD FOO STREAMS t 0
XREAD COUNT x STREAMS t 0
XREAD BLOCK x STREAMS t 0
XREAD BLOCK -1 STREAMS t 0
XREAD BLOCK 1.5 STREAMS t 0
XREAD BLOCK 10 STREAMS t $
XREAD BLOCK 10 STREAMS t 0
XREAD COUNT 1 COUNT 2 STREAMS t 0
XREAD
XREAD STREAMS
MULTI
XREAD BLOCK 0 STREAMS t $
XADD t 30-1 m x
EXEC
EVAL "return redis.call('xread','streams','t','0')" 0
EVAL "return redis.call('xread','block','0','streams','t','$')" 0
EVAL "return redis.pcall('xadd','t','1-1','a','b')" 0
DEBUG DIGEST
DEBUG DIGEST-VALUE t s
COPY t t3
XRANGE t3 - +
XINFO STREAM t3
RENAME t3 t4
TYPE t4
OBJECT ENCODING t4
DEBUG DIGEST
DUMP nokey
"#;

/// Nodes of two entries (and of 120 bytes) so splits, radix-tree counts and `~` trims show.
const SMALL_NODES: &str = r#"
CONFIG SET stream-node-max-entries 2
XADD s 1-1 a 1
XADD s 2-1 a 2
XADD s 3-1 a 3 b 4
XADD s 4-1 b 4
XADD s 5-1 a 5
XADD s 6-1 a 6
XADD s 7-1 a 7
XINFO STREAM s
XDEL s 3-1
XINFO STREAM s
XDEL s 4-1
XINFO STREAM s
XTRIM s MAXLEN ~ 3
XINFO STREAM s FULL
XTRIM s MAXLEN ~ 0 LIMIT 1
XTRIM s MAXLEN ~ 0 LIMIT 2
XINFO STREAM s
XADD s MINID ~ 7 8-1 a 8
XINFO STREAM s
XADD s MAXLEN ~ 1 LIMIT 1 9-1 a 9
XADD s MAXLEN ~ 1 LIMIT 0 10-1 a 10
XINFO STREAM s
XRANGE s - +
XREVRANGE s + -
DEBUG DIGEST-VALUE s
CONFIG SET stream-node-max-entries 0
CONFIG SET stream-node-max-bytes 120
XADD b 1-1 field aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
XADD b 1-2 field bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
XADD b 1-3 field cccccccccccccccccccccccccccccc
XADD b 1-4 other 12345
XADD b 1-5 field dddddddddddddddddddddddddddddddddddddddddddddddddddddddd
XADD b 2-0 x -12
XINFO STREAM b FULL
DEBUG OBJECT nokey
XTRIM b MINID ~ 1-4
XINFO STREAM b
CONFIG SET stream-node-max-bytes 0
XADD c 1-1 a b
XADD c 1-2 a b
XINFO STREAM c
DEBUG DIGEST
"#;

#[test]
fn curated_scripts_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    let mut diffs = p.script("basic", BASIC);
    diffs.extend(p.script("small-nodes", SMALL_NODES));
    let resp3 = format!("!HELLO 3\n{BASIC}");
    diffs.extend(p.script("basic-resp3", &resp3));
    let resp3 = format!("!HELLO 3\n{SMALL_NODES}");
    diffs.extend(p.script("small-nodes-resp3", &resp3));
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
}

/// A seeded random run over a few keys, with tiny nodes so that every path of the node code is taken.
#[test]
fn random_runs_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&["--stream-node-max-entries", "4"]);
    let seeds: Vec<u64> = match std::env::var("STREAM_SEED") {
        Ok(s) => vec![s.parse().expect("STREAM_SEED")],
        Err(_) => vec![1, 2, 3, 4],
    };
    let mut diffs = Vec::new();
    for seed in seeds {
        let mut g = Prng::new(seed);
        let mut script = String::new();
        let mut next_ms = [1u64; 3];
        for _ in 0..600 {
            let k = g.below(3);
            let key = ["s0", "s1", "s2"][k];
            let id = |g: &mut Prng| format!("{}-{}", g.below(120) + 1, g.below(3));
            let line = match g.below(14) {
                0..=4 => {
                    next_ms[k] += g.below(3) as u64;
                    let fields = g.below(3) + 1;
                    let mut l = format!("XADD {key} {}-{}", next_ms[k], g.below(2));
                    if g.chance(15) {
                        l = format!("XADD {key} MAXLEN ~ {} {}-{}", g.below(20), next_ms[k], g.below(2));
                    }
                    for f in 0..fields {
                        let field = if g.chance(80) { format!("f{f}") } else { format!("g{}", g.below(4)) };
                        let value = match g.below(3) {
                            0 => g.below(100000).to_string(),
                            1 => "v".repeat(g.below(70)),
                            _ => format!("-{}", g.below(5000)),
                        };
                        l.push_str(&format!(" {field} {value}"));
                    }
                    l
                }
                5 | 6 => format!("XDEL {key} {} {}", id(&mut g), id(&mut g)),
                7 => format!("XTRIM {key} MAXLEN {}{}", if g.chance(50) { "~ " } else { "" }, g.below(30)),
                8 => format!("XTRIM {key} MINID {}{}", if g.chance(50) { "~ " } else { "" }, id(&mut g)),
                9 => format!("XRANGE {key} {} + COUNT {}", id(&mut g), g.below(6)),
                10 => format!("XREVRANGE {key} + ({} COUNT {}", id(&mut g), g.below(6)),
                11 => format!("XREAD COUNT {} STREAMS s0 s1 s2 {} {} $", g.below(5), id(&mut g), id(&mut g)),
                12 => format!("XINFO STREAM {key}"),
                _ => format!("XINFO STREAM {key} FULL COUNT {}", g.below(4)),
            };
            script.push_str(&line);
            script.push('\n');
        }
        script.push_str("DEBUG DIGEST\n");
        diffs.extend(p.script(&format!("seed {seed}"), &script));
    }
    assert!(diffs.is_empty(), "{} differences (first 20):\n{}", diffs.len(), diffs[..diffs.len().min(20)].join("\n"));
}

/// The replies of one blocking scenario on one server.
fn blocking_scenario(server: &Server) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut a = server.conn();
    let mut b = server.conn();
    let mut c = server.conn();
    out.push(a.cmd(&["XADD", "s", "1-1", "a", "1"]));
    // `$` on one stream and a missing one; a COUNT-limited reader from an old id.
    b.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "other", "$", "$"]).unwrap();
    c.send(&["XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "0-5"]).unwrap();
    out.push(c.read_reply().unwrap());
    wait_blocked(&mut a, 1);
    out.push(a.cmd(&["XADD", "other", "5-1", "x", "y"]));
    out.push(b.read_reply().unwrap());
    // A timeout.
    out.push(b.cmd(&["XREAD", "BLOCK", "100", "STREAMS", "s", "$"]));
    // Deleted while waiting: still waits; served when its stream passes the awaited id again.
    b.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]).unwrap();
    wait_blocked(&mut a, 1);
    out.push(a.cmd(&["DEL", "s"]));
    out.push(a.cmd(&["XADD", "s", "1-0", "a", "1"]));
    out.push(a.cmd(&["SET", "s", "x"]));
    out.push(a.cmd(&["DEL", "s"]));
    out.push(a.cmd(&["XADD", "s", "1-2", "a", "2"]));
    out.push(b.read_reply().unwrap());
    // Two readers of the same key are both served by one XADD.
    b.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]).unwrap();
    c.send(&["XREAD", "BLOCK", "0", "STREAMS", "nope", "s", "0", "1-2"]).unwrap();
    wait_blocked(&mut a, 2);
    out.push(a.cmd(&["XADD", "s", "2-0", "k", "v", "k2", "v2"]));
    out.push(b.read_reply().unwrap());
    out.push(c.read_reply().unwrap());
    // CLIENT UNBLOCK, both forms.
    let id = String::from_utf8_lossy(&b.cmd(&["CLIENT", "ID"])).trim_start_matches(':').trim().to_string();
    for how in ["TIMEOUT", "ERROR"] {
        b.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]).unwrap();
        wait_blocked(&mut a, 1);
        out.push(a.cmd(&["CLIENT", "UNBLOCK", &id, how]));
        out.push(b.read_reply().unwrap());
    }
    // RESP3 reply shape.
    out.push(b.cmd(&["HELLO", "3"])[..1].to_vec());
    b.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]).unwrap();
    wait_blocked(&mut a, 1);
    out.push(a.cmd(&["XADD", "s", "3-0", "z", "1"]));
    out.push(b.read_reply().unwrap());
    // Commands sent while blocked run after it is served.
    c.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]).unwrap();
    c.send(&["XLEN", "s"]).unwrap();
    wait_blocked(&mut a, 1);
    out.push(a.cmd(&["XADD", "s", "4-0", "z", "1"]));
    out.push(c.read_reply().unwrap());
    out.push(c.read_reply().unwrap());
    out.push(
        a.cmd(&["INFO", "stats"])
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"total_error"))
            .flatten()
            .copied()
            .collect(),
    );
    out
}

#[test]
fn blocking_xread_matches_redis() {
    if !have_redis() {
        return;
    }
    let redis = Server::start(Kind::Redis, &[]);
    let fer = Server::start(Kind::Ferredis, &[]);
    let r = blocking_scenario(&redis);
    let f = blocking_scenario(&fer);
    assert_eq!(r.len(), f.len());
    let diffs: Vec<String> = r
        .iter()
        .zip(&f)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("step {i}:\n  redis:    {}\n  ferredis: {}", escape(x), escape(y)))
        .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// Keyspace events of the stream commands, in order, as a subscriber sees them.
#[test]
fn keyspace_events_match_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "XADD s 1-1 a 1",
        "XADD s 2-1 a 2",
        "XADD s MAXLEN 1 3-1 a 3",
        "XDEL s 3-1",
        "XDEL s 9-9",
        "XTRIM s MAXLEN 0",
        "XSETID s 10-0",
        "XADD s 11-0 a b",
        "XTRIM s MAXLEN 0",
        "DEL s",
    ];
    let run = |kind: Kind| {
        let s = Server::start(kind, &["--notify-keyspace-events", "KEA"]);
        let mut sub = s.conn();
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        let mut c = s.conn();
        for l in script {
            c.cmd(&split_args(l).unwrap());
        }
        c.cmd(&["PUBLISH", "__keyevent@0__:end", "x"]);
        let mut msgs = Vec::new();
        loop {
            let m = sub.read_reply().unwrap();
            let end = m.windows(3).any(|w| w == b"end");
            msgs.push(m);
            if end {
                break;
            }
        }
        msgs
    };
    assert_eq!(
        run(Kind::Ferredis).iter().map(|m| escape(m)).collect::<Vec<_>>(),
        run(Kind::Redis).iter().map(|m| escape(m)).collect::<Vec<_>>()
    );
}

/// What each server appends to its AOF for the same commands (`*` ids replaced by the reply's id).
#[test]
fn propagation_matches_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "XADD s * a 1",
        "XADD s 5-* a 2",
        "XADD s MAXLEN ~ 1 * a 4",
        "XADD s MINID ~ 0 * a 5",
        "XADD s 9999999999990-1 a 5",
        "XADD s 9999999999990-2 a 5",
        "XADD s 9999999999990-* a 5",
        "XTRIM s MAXLEN ~ 2",
        "XTRIM s MAXLEN ~ 2",
        "XTRIM s MAXLEN 2",
        "XTRIM s MINID ~ 9999999999990-2",
        "XDEL s 9999999999990-2",
        "XDEL s 1-1",
        "XSETID s 9999999999999-0 ENTRIESADDED 100 MAXDELETEDID 9999999999990-2",
        "XADD s MAXLEN 0 99999999999999-0 a b",
        "XADD s NOMKSTREAM 99999999999999-1 a b",
        "XADD n NOMKSTREAM 1-1 a b",
        "XREAD STREAMS s 0",
    ];
    let run = |kind: Kind| {
        let dir = TempDir::new(&format!("streams-aof-{}", kind.label()));
        let s = Server::start_in(
            kind,
            &dir.path,
            &["--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--stream-node-max-entries", "2"],
        );
        let mut c = s.conn();
        let mut ids = Vec::new();
        for l in script {
            let r = c.cmd(&split_args(l).unwrap());
            if l.contains('*') && r.starts_with(b"$") {
                let id = String::from_utf8_lossy(&r).lines().nth(1).unwrap_or("").to_string();
                ids.push(id);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut aof = String::new();
        for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".incr.aof") {
                aof = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            }
        }
        for (i, id) in ids.iter().enumerate() {
            aof = aof.replace(id.as_str(), &format!("<id{i}>"));
        }
        drop(s);
        aof
    };
    let f = run(Kind::Ferredis);
    let r = run(Kind::Redis);
    assert_eq!(f.replace("\r\n", " "), r.replace("\r\n", " "));
}

/// Builds streams with a consumer group holding pending entries (through redis-server, which has the group
/// commands), then moves the RDB file both ways.
#[test]
fn rdb_files_move_both_ways() {
    if !have_redis() {
        return;
    }
    let setup = [
        "CONFIG SET stream-node-max-entries 3",
        "XADD s 1-1 a 1",
        "XADD s 1-2 a 2 b 3",
        "XADD s 2-0 a 4",
        "XADD s 3-0 c 5",
        "XADD s 4-0 a 6",
        "XADD s 5-0 a 7",
        "XADD s 6-0 a 8",
        "XDEL s 2-0 5-0",
        "XGROUP CREATE s g1 0",
        "XGROUP CREATE s g2 $",
        "XREADGROUP GROUP g1 alice COUNT 2 STREAMS s >",
        "XREADGROUP GROUP g1 bob COUNT 1 STREAMS s >",
        "XGROUP CREATECONSUMER s g1 carol",
        "XADD empty 1-1 a b",
        "XDEL empty 1-1",
        "XADD big MAXLEN 1000 1-1 x y",
    ];
    let dir = TempDir::new("streams-rdb");
    let redis = Server::start_in(Kind::Redis, &dir.path, &[]);
    let mut rc = redis.conn();
    for l in setup {
        rc.cmd(&split_args(l).unwrap());
    }
    for i in 2..500 {
        rc.cmd(&["XADD", "big", &format!("{i}-1"), "field", &format!("value-{i}"), "n", &i.to_string()]);
    }
    let digest = rc.cmd(&["DEBUG", "DIGEST"]);
    let info = |c: &mut Conn| -> Vec<Vec<u8>> {
        ["s", "empty", "big"]
            .iter()
            .flat_map(|k| [c.cmd(&["XINFO", "STREAM", k, "FULL"]), c.cmd(&["XINFO", "STREAM", k])])
            .collect()
    };
    let redis_info = info(&mut rc);
    assert_eq!(rc.cmd(&["SAVE"]), b"+OK\r\n");
    drop(rc);
    drop(redis);
    // Redis's file into ferredis (sanitizing, so the deep checks run too).
    let fer = Server::start_in(Kind::Ferredis, &dir.path, &["--sanitize-dump-payload", "yes"]);
    let mut fc = fer.conn();
    assert_eq!(fc.cmd(&["DEBUG", "DIGEST"]), digest);
    let fer_info = info(&mut fc);
    for (r, f) in redis_info.iter().zip(&fer_info) {
        assert_eq!(escape(f), escape(r));
    }
    drop(fc);
    drop(fer);
    // And without sanitizing: the nodes saved compressed stay so, checked when first read.
    let fer = Server::start_in(Kind::Ferredis, &dir.path, &[]);
    let mut fc = fer.conn();
    assert_eq!(fc.cmd(&["DEBUG", "DIGEST"]), digest);
    for (r, f) in redis_info.iter().zip(&info(&mut fc)) {
        assert_eq!(escape(f), escape(r));
    }
    assert_eq!(fc.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(fc.cmd(&["DEBUG", "DIGEST"]), digest);
    // DUMP/RESTORE between the two.
    let dump = fc.cmd(&["DUMP", "s"]);
    // Ferredis writes its own file; redis-server loads it.
    fc.cmd(&["XADD", "s", "7-0", "after", "restart"]);
    fc.cmd(&["XSETID", "s", "9-0", "ENTRIESADDED", "50", "MAXDELETEDID", "8-0"]);
    let digest2 = fc.cmd(&["DEBUG", "DIGEST"]);
    let info2 = info(&mut fc);
    assert_eq!(fc.cmd(&["SAVE"]), b"+OK\r\n");
    drop(fc);
    drop(fer);
    let redis = Server::start_in(Kind::Redis, &dir.path, &[]);
    let mut rc = redis.conn();
    assert_eq!(rc.cmd(&["DEBUG", "DIGEST"]), digest2);
    for (f, r) in info2.iter().zip(&info(&mut rc)) {
        assert_eq!(escape(r), escape(f));
    }
    // A ferredis DUMP payload restores in Redis to the same value.
    let payload = Resp::parse(&dump).unwrap().as_bytes().unwrap().to_vec();
    assert_eq!(rc.cmd(&[&b"RESTORE"[..], b"copy", b"0", &payload]), b"+OK\r\n");
    assert_eq!(rc.cmd(&["DEBUG", "DIGEST-VALUE", "copy"]), rc.cmd(&["DEBUG", "DIGEST-VALUE", "copy"]));
    let redis_dump = rc.cmd(&["DUMP", "copy"]);
    let rpayload = Resp::parse(&redis_dump).unwrap().as_bytes().unwrap().to_vec();
    let fer = Server::start(Kind::Ferredis, &["--sanitize-dump-payload", "yes"]);
    let mut fc = fer.conn();
    assert_eq!(fc.cmd(&[&b"RESTORE"[..], b"copy", b"0", &rpayload]), b"+OK\r\n");
    assert_eq!(fc.cmd(&["DEBUG", "DIGEST-VALUE", "copy"]), rc.cmd(&["DEBUG", "DIGEST-VALUE", "copy"]));
    assert_eq!(
        escape(&fc.cmd(&["XINFO", "STREAM", "copy", "FULL"])),
        escape(&rc.cmd(&["XINFO", "STREAM", "copy", "FULL"]))
    );
    // A damaged payload is refused with Redis's error, whatever byte is hit, and never kills the server.
    let mut refused = 0;
    for i in 0..rpayload.len().saturating_sub(10) {
        let mut p = rpayload.clone();
        p[i] ^= 0x5a;
        let r = fc.cmd(&[&b"RESTORE"[..], b"bad", b"0", &p, b"REPLACE"]);
        if r.starts_with(b"-") {
            refused += 1;
            assert!(
                r.starts_with(b"-ERR DUMP payload version or checksum are wrong")
                    || r.starts_with(b"-ERR Bad data format"),
                "{}",
                escape(&r)
            );
        }
    }
    assert!(refused > 0);
    // With a valid checksum over damaged bytes, the stream checks themselves must refuse (or accept a value
    // that is still well formed); the server answers every time, in both sanitize modes.
    for sanitize in ["yes", "no"] {
        fc.cmd(&["CONFIG", "SET", "sanitize-dump-payload", sanitize]);
        for i in 1..rpayload.len().saturating_sub(10) {
            for v in [0u8, 0x01, 0x7f, 0xff] {
                let mut p = rpayload.clone();
                p[i] = v;
                let n = p.len() - 8;
                let crc = ferredis::persist::crc64::crc64(0, &p[..n]);
                p[n..].copy_from_slice(&crc.to_le_bytes());
                let r = fc.cmd(&[&b"RESTORE"[..], b"bad", b"0", &p, b"REPLACE"]);
                assert!(r == b"+OK\r\n" || r.starts_with(b"-ERR Bad data format"), "{}", escape(&r));
                if r == b"+OK\r\n" {
                    fc.cmd(&["XINFO", "STREAM", "bad", "FULL"]);
                    fc.cmd(&["XREVRANGE", "bad", "+", "-"]);
                    fc.cmd(&["XADD", "bad", "*", "a", "b"]);
                    fc.cmd(&["XTRIM", "bad", "MAXLEN", "1"]);
                }
            }
        }
        assert_eq!(fc.cmd(&["PING"]), b"+PONG\r\n");
    }
}
