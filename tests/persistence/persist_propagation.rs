//! The propagated command stream, as written to the AOF: ferredis and redis-server both run with
//! `appendonly yes`, `appendfsync always` and an RDB preamble; the same script runs on both in lockstep (one step
//! on each server before the next), then the commands of both servers' incr file (named by the manifest) are
//! compared. Redis 7.0 is the expectation: rewritten forms (EXPIRE → PEXPIREAT, SET EX → SET PXAT,
//! INCRBYFLOAT → SET KEEPTTL, BLPOP → LPOP, SPOP → SREM/DEL, ...), commands that change nothing are not
//! propagated, MULTI/EXEC wraps more than one propagated write, SELECT is emitted when the db changes, and
//! expired keys produce a DEL.
//!
//! Absolute times (SET ... PXAT, PEXPIREAT) differ between servers by the few milliseconds between their steps:
//! they must be within `TIME_TOLERANCE_MS` of each other and are then masked. Replies are compared too (sorted
//! where Redis's order is a hash order), so a difference in effect shows up at the step that caused it.
//!
//! Each family has its own test and its own pair of servers. Also here: a seeded random lockstep run
//! (`PROP_SEED`), RESTORE's propagated form, the manifest text, and the RESP base written by BGREWRITEAOF with
//! `aof-use-rdb-preamble no`. `PROP_DUMP=1` prints Redis's streams. `FERREDIS_BIN=/usr/bin/redis-server` runs it
//! redis-vs-redis.

use crate::common;

use common::persist::{read_incr_commands, render_command, AofCommand};
use common::{escape, split_args, wait_blocked, Conn, Kind, Resp, Server, TempDir};
use std::time::{Duration, Instant};

const TIME_TOLERANCE_MS: i64 = 2000;

const AOF_ARGS: &[&str] = &[
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--aof-use-rdb-preamble",
    "yes",
    "--enable-debug-command",
    "yes",
];

/// One step of a script. Client 0 is the main connection; client 1 is used for blocking commands.
#[derive(Clone, Copy)]
enum Step {
    /// Run on client 0 and compare the replies exactly.
    C(&'static str),
    /// Run on client 0; the reply must be +OK on both servers.
    K(&'static str),
    /// Run on client 0; compare the replies with array elements sorted (Redis answers in hash order).
    U(&'static str),
    /// Run on client 0; the reply is random (SRANDMEMBER): only checked not to be an error.
    N(&'static str),
    /// Send on client 1 without reading (a blocking command), then wait until it is blocked.
    Block(&'static str),
    /// Read client 1's reply (after another step served it) and compare.
    ReadBlocked,
    /// Sleep this many milliseconds.
    Sleep(u64),
    /// Wait (bounded) until DBSIZE of db 0 equals this number, without touching keys: active expiry.
    WaitDbsize(i64),
}

use Step::*;

struct Side {
    kind: Kind,
    server: Server,
    c0: Conn,
    c1: Conn,
    observer: Conn,
}

impl Side {
    fn new(kind: Kind, dir: &TempDir) -> Side {
        let server = Server::start_in(kind, dir.path(), AOF_ARGS);
        let c0 = server.conn();
        let c1 = server.conn();
        let observer = server.conn();
        Side { kind, server, c0, c1, observer }
    }

    /// Runs one step; returns the reply to compare (already normalised), if any.
    fn step(&mut self, s: Step) -> Option<String> {
        let label = self.kind.label();
        match s {
            C(line) => Some(escape(&self.c0.cmd_str(line))),
            K(line) => {
                let r = self.c0.cmd_str(line);
                assert!(r == b"+OK\r\n", "{label} {line}: {}", escape(&r));
                None
            }
            U(line) => {
                let r = self.c0.cmd_str(line);
                let mut v = Resp::parse(&r).unwrap_or_else(|e| panic!("{label} {line}: {e}"));
                if let Some(items) = v.items_mut() {
                    items.sort();
                }
                Some(escape(&v.to_bytes()))
            }
            N(line) => {
                let r = self.c0.cmd_str(line);
                assert!(!r.starts_with(b"-"), "{label} {line}: {}", escape(&r));
                None
            }
            Block(line) => {
                let args = split_args(line).unwrap();
                self.c1.send(&args).unwrap();
                wait_blocked(&mut self.observer, 1);
                None
            }
            ReadBlocked => {
                let r = self.c1.read_reply().unwrap_or_else(|e| panic!("{label}: blocked client's reply: {e}"));
                Some(escape(&r))
            }
            Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(ms));
                None
            }
            WaitDbsize(n) => {
                let deadline = Instant::now() + Duration::from_secs(5);
                loop {
                    let r = self.observer.cmd(&["DBSIZE"]);
                    if r == format!(":{n}\r\n").as_bytes() {
                        break;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "{label}: DBSIZE still {} after 5 s: active expiry did not remove the key",
                        escape(&r)
                    );
                    std::thread::sleep(Duration::from_millis(10));
                }
                None
            }
        }
    }
}

fn step_text(s: Step) -> String {
    match s {
        C(l) | K(l) | U(l) | N(l) => l.to_string(),
        Block(l) => format!("(client 1, blocking) {l}"),
        ReadBlocked => "(read client 1's reply)".into(),
        Sleep(ms) => format!("(sleep {ms} ms)"),
        WaitDbsize(n) => format!("(wait until DBSIZE is {n})"),
    }
}

/// Positions of absolute Unix times (milliseconds) in a propagated command.
fn time_positions(c: &AofCommand) -> Vec<usize> {
    let name = String::from_utf8_lossy(&c[0]).to_ascii_uppercase();
    let mut out = Vec::new();
    if name == "PEXPIREAT" && c.len() > 2 {
        out.push(2);
    }
    // RESTORE key ttl payload ... ABSTTL: Redis propagates a relative TTL as an absolute one.
    if name == "RESTORE" && c.len() > 3 && c[3..].iter().any(|a| a.eq_ignore_ascii_case(b"ABSTTL")) && c[2] != b"0" {
        out.push(2);
    }
    for (i, a) in c.iter().enumerate().take(c.len().saturating_sub(1)).skip(1) {
        if a.eq_ignore_ascii_case(b"PXAT") {
            out.push(i + 1);
        }
    }
    out
}

fn as_ms(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Compares two propagated streams. Absolute times must be within the tolerance of each other and are then
/// masked. Returns a readable side-by-side listing on failure.
fn compare_streams(fer: &[AofCommand], red: &[AofCommand]) -> Result<(), String> {
    let masked = |c: &AofCommand| -> AofCommand {
        let mut c = c.clone();
        for p in time_positions(&c) {
            c[p] = b"<ms>".to_vec();
        }
        c
    };
    let mut first_bad = None;
    let n = fer.len().max(red.len());
    for i in 0..n {
        let ok = match (fer.get(i), red.get(i)) {
            (Some(f), Some(r)) => {
                masked(f) == masked(r)
                    && time_positions(f).iter().all(|&p| match (as_ms(&f[p]), as_ms(&r[p])) {
                        (Some(a), Some(b)) => (a - b).abs() <= TIME_TOLERANCE_MS,
                        _ => f[p] == r[p],
                    })
            }
            _ => false,
        };
        if !ok {
            first_bad = Some(i);
            break;
        }
    }
    let Some(bad) = first_bad else { return Ok(()) };
    let mut out = format!(
        "propagated streams differ at command #{bad} (ferredis has {} commands, redis {}):\n",
        fer.len(),
        red.len()
    );
    let from = bad.saturating_sub(8);
    for i in from..(bad + 12).min(n) {
        let f = fer.get(i).map(render_command).unwrap_or_else(|| "<end>".into());
        let r = red.get(i).map(render_command).unwrap_or_else(|| "<end>".into());
        let mark = if i == bad { ">>" } else { "  " };
        out.push_str(&format!("{mark} #{i:<3} ferredis: {f}\n{mark}       redis:    {r}\n"));
    }
    Err(out)
}

fn has_command(stream: &[AofCommand], words: &[&str]) -> bool {
    stream.iter().any(|c| {
        c.len() >= words.len()
            && words.iter().zip(c.iter()).enumerate().all(|(i, (w, a))| {
                if i == 0 {
                    a.eq_ignore_ascii_case(w.as_bytes())
                } else {
                    *w == "*" || a == w.as_bytes()
                }
            })
    })
}

/// Runs `script` on both servers in lockstep, compares replies, then the propagated streams. `present` lists
/// commands (prefixes; `*` matches any argument) that Redis's stream must contain and `absent` command names
/// it must not: these check that the script really exercises what the test is about, on both servers.
fn run_family(family: &str, script: &[Step], present: &[&[&str]], absent: &[&str]) {
    let dir_f = TempDir::new(&format!("prop-{family}-fer"));
    let dir_r = TempDir::new(&format!("prop-{family}-red"));
    let mut sides = [Side::new(Kind::Ferredis, &dir_f), Side::new(Kind::Redis, &dir_r)];
    for (i, &s) in script.iter().enumerate() {
        let replies: Vec<Option<String>> = sides.iter_mut().map(|side| side.step(s)).collect();
        if let (Some(f), Some(r)) = (&replies[0], &replies[1]) {
            assert_eq!(f, r, "{family} step {i} `{}`: replies differ (left ferredis, right redis)", step_text(s));
        }
    }
    // appendfsync always: the write happened before the reply, so the files are complete now.
    for side in sides.iter_mut() {
        assert!(side.server.alive(), "{} died; log:\n{}", side.kind.label(), side.server.log_text());
    }
    let fer = read_incr_commands(dir_f.path());
    let red = read_incr_commands(dir_r.path());
    if std::env::var_os("PROP_DUMP").is_some() {
        eprintln!("== {family}: redis's stream\n{}", red.iter().map(render_command).collect::<Vec<_>>().join("\n"));
    }
    if let Err(e) = compare_streams(&fer, &red) {
        panic!("{family}: {e}");
    }
    for (label, stream) in [("ferredis", &fer), ("redis", &red)] {
        for p in present {
            assert!(
                has_command(stream, p),
                "{family}: {label}'s stream lacks `{}`:\n{}",
                p.join(" "),
                stream.iter().map(render_command).collect::<Vec<_>>().join("\n")
            );
        }
        for a in absent {
            assert!(
                !stream.iter().any(|c| c[0].eq_ignore_ascii_case(a.as_bytes())),
                "{family}: {label}'s stream contains {a}, which Redis does not propagate"
            );
        }
    }
    eprintln!("{family}: {} propagated commands match", red.len());
}

#[test]
fn propagation_strings_and_expiry() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let script = [
        C("SET s1 v1"),
        C("SET s2 v2 EX 100"),
        C("SET s3 v3 PX 100000"),
        C("SET s2 v2b KEEPTTL"),
        C("SET s1 v1b GET"),
        C("SET s4 v4 EXAT 4102444800"),
        C("set s8 v8 pxat 4102444800000"),
        C("SET s8 v8b XX PX 100000 GET"),
        C("SET s9 v9 NX EX 100"),
        C("SET s1 never NX"),
        C("SETEX s5 100 v5"),
        C("PSETEX s6 100000 v6"),
        C("SETNX s7 v7"),
        C("SETNX s7 v7b"),
        C("GETEX s5 EX 200"),
        C("GETEX s5 PERSIST"),
        C("GETEX s1"),
        C("GETEX s6 PXAT 4102444800000"),
        C("GETDEL s7"),
        C("GETDEL missing"),
        C("INCR n1"),
        C("INCRBY n1 5"),
        C("DECRBY n1 2"),
        C("INCRBYFLOAT f1 1.5"),
        C("INCRBYFLOAT f1 2.25e1"),
        C("APPEND s1 xyz"),
        C("SETRANGE s1 1 Q"),
        C("MSET m1 a m2 b m3 c"),
        C("MSETNX m1 x m9 y"),
        C("EXPIRE s1 100"),
        C("PEXPIRE s1 100000"),
        C("EXPIREAT s1 4102444800"),
        C("PEXPIREAT s1 4102444800000"),
        C("EXPIRE s1 50 GT"),
        C("EXPIRE m2 -1"),
        C("PEXPIREAT m1 1000"),
        C("EXPIRE nokey 10"),
        C("PERSIST s1"),
        C("PERSIST s1"),
        C("DEL nokey"),
        C("DEL s6 s4 nokey"),
        C("UNLINK s3"),
        C("SET f1 5 EX 100"),
        C("INCRBYFLOAT f1 0.5"),
        // Lazy expiry: with the active cycle off, the read finds the key expired and deletes it.
        K("DEBUG SET-ACTIVE-EXPIRE 0"),
        C("SET lazy v PX 1"),
        Sleep(30),
        C("GET lazy"),
        K("DEBUG SET-ACTIVE-EXPIRE 1"),
        // Active expiry: nobody touches the key; DBSIZE is watched from another connection.
        C("FLUSHDB"),
        C("SET keep 1"),
        C("SET active v PX 50"),
        WaitDbsize(1),
        C("SET after 1"),
    ];
    run_family(
        "strings",
        &script,
        &[
            &["SET", "s2", "v2", "PXAT", "*"],
            &["PEXPIREAT", "s1", "*"],
            &["SET", "f1", "1.5", "KEEPTTL"],
            &["DEL", "m2"],
            &["DEL", "m1"],
            &["DEL", "lazy"],
            &["DEL", "active"],
            &["PERSIST", "s5"],
        ],
        &["EXPIRE", "PEXPIRE", "EXPIREAT", "GETEX", "GETDEL", "INCRBYFLOAT", "SETEX", "PSETEX", "GET", "DEBUG"],
    );
}

#[test]
fn propagation_lists() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let script = [
        C("RPUSH l1 a b c d e f g"),
        C("LPUSH l1 z"),
        C("LPOP l1"),
        C("RPOP l1"),
        C("LPOP l1 2"),
        C("RPOP l1 2"),
        C("LPOP l1 5"),
        C("LPOP l1"),
        C("LPOP nolist 3"),
        C("RPUSH l2 1 2 3 4 5"),
        C("LMPOP 2 nolist l2 LEFT COUNT 2"),
        C("LMPOP 1 l2 RIGHT"),
        C("BLPOP l2 0"),
        C("BRPOP nolist l2 0"),
        C("LMPOP 1 nolist LEFT"),
        // BLPOP served later by another client's push.
        Block("BLPOP l3 0"),
        C("RPUSH l3 x y"),
        ReadBlocked,
        C("RPUSH l4 a b c d"),
        C("BLMOVE l4 l5 LEFT RIGHT 0"),
        C("LMOVE l4 l5 RIGHT LEFT"),
        C("RPOPLPUSH l4 l5"),
        C("BRPOPLPUSH l4 l5 0"),
        Block("BLMOVE l6 l7 RIGHT LEFT 0"),
        C("LPUSH l6 q"),
        ReadBlocked,
        Block("BLMPOP 0 2 l8 l9 LEFT COUNT 2"),
        C("RPUSH l9 a b c"),
        ReadBlocked,
        Block("BRPOP l10 0"),
        C("MULTI"),
        C("RPUSH l10 m n"),
        C("RPUSH l10 o"),
        C("EXEC"),
        ReadBlocked,
        C("LINSERT l5 BEFORE a X"),
        C("LINSERT l5 BEFORE nomember X"),
        C("LSET l5 0 Y"),
        C("LREM l5 1 Y"),
        C("LREM l5 1 nomember"),
        C("LTRIM l5 0 1"),
        C("LPUSHX nolist a"),
        C("RPUSHX l5 tail"),
        C("RPOP nolist"),
    ];
    run_family(
        "lists",
        &script,
        &[&["LPOP", "l1", "2"], &["LPOP", "l3"], &["LMOVE", "l4", "l5", "LEFT", "RIGHT"], &["RPUSH", "l3", "x", "y"]],
        &["BLPOP", "BRPOP", "BLMOVE", "BLMPOP", "LMPOP", "BRPOPLPUSH"],
    );
}

#[test]
fn propagation_hashes_and_sets() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let script = [
        C("HSET h1 f1 v1 f2 v2"),
        C("HSETNX h1 f1 x"),
        C("HSETNX h1 f3 x"),
        C("HINCRBY h1 n 5"),
        C("HINCRBYFLOAT h1 fl 1.5"),
        C("HINCRBYFLOAT h1 fl 1e2"),
        C("HDEL h1 f2 nofield"),
        C("HDEL h1 nofield"),
        C("HMSET h1 a 1 b 2"),
        C("HDEL nohash f"),
        C("SADD st1 a b c d"),
        C("SADD st1 a"),
        C("SREM st1 b"),
        C("SREM st1 nomember"),
        C("SADD st2 only"),
        C("SPOP st2"),
        C("SADD st3 x y z"),
        U("SPOP st3 5"),
        C("SADD st4 1 2"),
        U("SPOP st4 2"),
        C("SPOP nokey"),
        C("SPOP nokey 3"),
        N("SRANDMEMBER st1"),
        N("SRANDMEMBER st1 -5"),
        C("SMOVE st1 st5 a"),
        C("SMOVE st1 st5 nomember"),
        C("SADD st5 c q"),
        C("SINTERSTORE st6 st1 st5"),
        C("SUNIONSTORE st7 st1 st5"),
        C("SDIFFSTORE st8 st1 st5"),
        C("SINTERSTORE st9 st1 nokey"),
        U("SMEMBERS st7"),
    ];
    run_family(
        "hashes-sets",
        &script,
        &[
            &["HSET", "h1", "fl", "1.5"],
            &["HSET", "h1", "fl", "101.5"],
            &["SREM", "st2", "only"],
            &["DEL", "st3"],
            &["DEL", "st4"],
        ],
        &["SRANDMEMBER", "HINCRBYFLOAT", "SPOP", "SMEMBERS"],
    );
}

#[test]
fn propagation_zsets() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let script = [
        C("ZADD z1 1 a 2 b 3 c 4 d 5 e"),
        C("ZADD z1 NX 9 a"),
        C("ZINCRBY z1 10 a"),
        C("ZPOPMIN z1"),
        C("ZPOPMAX z1 2"),
        C("BZPOPMIN z1 0"),
        C("BZPOPMAX nokey z1 0"),
        C("ZPOPMIN nokey"),
        C("ZADD z2 1 x 2 y 3 z 4 w"),
        C("ZMPOP 1 z2 MIN COUNT 2"),
        C("BZMPOP 0 2 nokey z2 MAX"),
        C("ZMPOP 1 nokey MIN"),
        Block("BZPOPMIN z3 0"),
        C("ZADD z3 5 m 6 n"),
        ReadBlocked,
        Block("BZMPOP 0 1 z4 MIN COUNT 3"),
        C("ZADD z4 1 a 2 b"),
        ReadBlocked,
        C("ZADD z5 1 a 2 b 3 c 4 d"),
        C("ZREM z5 a nomember"),
        C("ZREM z5 nomember"),
        C("ZREMRANGEBYSCORE z5 3 3"),
        C("ZREMRANGEBYSCORE z5 100 200"),
        C("ZUNIONSTORE z6 2 z5 z3 WEIGHTS 1 2"),
        C("ZRANGESTORE z7 z6 0 0"),
        C("ZINTERSTORE z8 2 z5 nokey"),
    ];
    run_family(
        "zsets",
        &script,
        &[&["ZPOPMIN", "z1"], &["ZPOPMIN", "z3"], &["ZADD", "z3", "5", "m", "6", "n"]],
        &["BZPOPMIN", "BZPOPMAX", "BZMPOP", "ZMPOP"],
    );
}

#[test]
fn propagation_keyspace_dbs_and_transactions() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let script = [
        C("RPUSH sortme 3 1 2"),
        C("SORT sortme STORE sorted"),
        C("SORT sortme"),
        C("RENAME sorted sorted2"),
        C("RENAMENX sorted2 sortme"),
        C("COPY sorted2 copied"),
        C("COPY sorted2 copied"),
        C("COPY sorted2 copied DB 3"),
        C("MOVE copied 2"),
        C("MOVE nokey 2"),
        C("SELECT 2"),
        C("SET in2 x"),
        C("GET in2"),
        C("SELECT 3"),
        C("SET in3 y"),
        C("SELECT 0"),
        C("SET in0 z"),
        C("SWAPDB 2 3"),
        C("SELECT 3"),
        C("FLUSHDB"),
        C("SELECT 0"),
        // Two writes: wrapped in MULTI/EXEC.
        C("MULTI"),
        C("SET t1 a"),
        C("INCR t2"),
        C("EXEC"),
        // Read-only: nothing propagated.
        C("MULTI"),
        C("GET t1"),
        C("EXISTS t2"),
        C("EXEC"),
        // One write among reads.
        C("MULTI"),
        C("GET t1"),
        C("SET t3 b"),
        C("EXEC"),
        // Writes in two databases inside one transaction.
        C("MULTI"),
        C("SELECT 5"),
        C("SET t5 x"),
        C("SELECT 0"),
        C("SET t6 y"),
        C("EXPIRE t6 100"),
        C("EXEC"),
        // A transaction whose writes change nothing.
        C("MULTI"),
        C("DEL nokey"),
        C("SREM noset a"),
        C("EXEC"),
        C("DISCARD"),
        C("MULTI"),
        C("SET never x"),
        C("DISCARD"),
        C("FLUSHALL"),
        C("SET final 1"),
    ];
    run_family(
        "keyspace",
        &script,
        &[
            &["SORT", "sortme", "STORE", "sorted"],
            &["MULTI"],
            &["EXEC"],
            &["SELECT", "2"],
            &["SWAPDB", "2", "3"],
            &["FLUSHALL"],
            &["COPY", "sorted2", "copied", "DB", "3"],
        ],
        &["GET", "EXISTS", "DISCARD", "RENAMENX"],
    );
}

/// Seeded random writes (every type, key collisions, MULTI blocks, SELECT/SWAPDB/MOVE, expiries) restricted to
/// commands whose effect is deterministic, run in lockstep: the replies and the propagated streams must match.
/// `PROP_SEED=<n>` replays a seed.
#[test]
fn propagation_random_lockstep() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let seed: u64 = std::env::var("PROP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7_070_015);
    let what = format!("random seed {seed} (PROP_SEED={seed} replays it)");
    let dir_f = TempDir::new("prop-random-fer");
    let dir_r = TempDir::new("prop-random-red");
    let mut sides = [Side::new(Kind::Ferredis, &dir_f), Side::new(Kind::Redis, &dir_r)];
    let mut rng = common::Prng::new(seed);
    let mut i = 0;
    while i < 1500 {
        let mut cmds = Vec::new();
        let multi = rng.chance(5);
        if multi {
            cmds.push(vec!["MULTI".to_string()]);
            for _ in 0..2 + rng.below(4) {
                cmds.push(common::persist::random_command(&mut rng, true));
            }
            cmds.push(vec!["EXEC".to_string()]);
        } else {
            cmds.push(common::persist::random_command(&mut rng, true));
        }
        for cmd in cmds {
            let rf = sides[0].c0.cmd(&cmd);
            let rr = sides[1].c0.cmd(&cmd);
            assert!(
                rf == rr,
                "{what}: command #{i} {}: replies differ\n  ferredis: {}\n  redis:    {}",
                common::display_args(&cmd),
                escape(&rf),
                escape(&rr)
            );
            i += 1;
        }
    }
    let fer = read_incr_commands(dir_f.path());
    let red = read_incr_commands(dir_r.path());
    if let Err(e) = compare_streams(&fer, &red) {
        panic!("{what}: {e}");
    }
    assert!(red.len() > 500, "{what}: only {} commands propagated", red.len());
    assert!(has_command(&red, &["MULTI"]) && has_command(&red, &["PEXPIREAT"]), "{what}: stream lacks MULTI/PEXPIREAT");
    eprintln!("{what}: {} propagated commands match", red.len());
}

/// The manifest is part of the file format: the same text on both servers at start, after BGREWRITEAOF (once
/// the history files are gone), after a restart, and with RESP bases (`aof-use-rdb-preamble no`).
#[test]
fn manifest_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for preamble in ["yes", "no"] {
        let dir_f = TempDir::new("manifest-fer");
        let dir_r = TempDir::new("manifest-red");
        let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
        let text = |d: &TempDir| {
            let p = d.path().join("appendonlydir/appendonly.aof.manifest");
            std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let compare = |when: &str| {
            let (f, r) = (text(&dir_f), text(&dir_r));
            assert_eq!(f, r, "manifest (preamble {preamble}) {when}: left ferredis, right redis");
        };
        {
            let f = Server::start_in(Kind::Ferredis, dir_f.path(), &args);
            let r = Server::start_in(Kind::Redis, dir_r.path(), &args);
            compare("at start");
            for s in [&f, &r] {
                let mut c = s.conn();
                c.cmd(&["SET", "k", "v"]);
                common::persist::bgrewriteaof_and_wait(&mut c);
            }
            for d in [&dir_f, &dir_r] {
                common::persist::wait_until("history entries to leave the manifest", 5000, || {
                    !text(d).contains(" type h")
                });
            }
            compare("after BGREWRITEAOF");
            let base = if preamble == "yes" {
                "appendonly.aof.2.base.rdb seq 2 type b"
            } else {
                "appendonly.aof.2.base.aof seq 2 type b"
            };
            assert!(text(&dir_r).contains(base), "redis: {}", text(&dir_r));
        }
        let _f = Server::start_in(Kind::Ferredis, dir_f.path(), &args);
        let _r = Server::start_in(Kind::Redis, dir_r.path(), &args);
        compare("after a restart");
    }
}

/// RESTORE (with payloads DUMPed by Redis, the same bytes on both servers): a relative TTL is propagated as an
/// absolute one with ABSTTL; REPLACE, IDLETIME and failed RESTOREs (BUSYKEY, bad payload) as Redis does.
#[test]
fn propagation_restore() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let oracle = Server::start(Kind::Redis, &[]);
    let mut oc = oracle.conn();
    let mut payload = |setup: &[&str], key: &str| -> String {
        common::persist::ok_cmd(&mut oc, setup);
        let r = Resp::parse(&oc.cmd(&["DUMP", key])).unwrap();
        format!("\"{}\"", escape(r.as_bytes().expect("DUMP payload")))
    };
    let p_str = payload(&["SET", "a", "hello"], "a");
    let p_list = payload(&["RPUSH", "b", "x", "y", "z"], "b");
    let p_hash = payload(&["HSET", "c", "f", "v", "g", "w"], "c");
    let p_zset = payload(&["ZADD", "d", "1", "m", "2", "n"], "d");
    let lines: Vec<String> = vec![
        format!("RESTORE r1 0 {p_str}"),
        format!("RESTORE r1 0 {p_str}"),
        format!("RESTORE r1 0 {p_list} REPLACE"),
        format!("RESTORE r2 500000 {p_hash}"),
        format!("RESTORE r3 4102444800000 {p_zset} ABSTTL"),
        format!("RESTORE r4 0 {p_str} IDLETIME 100"),
        format!("RESTORE r5 0 {p_str} FREQ 5"),
        "RESTORE r6 0 \"not a payload\"".to_string(),
        format!("RESTORE r7 1000 {p_str} ABSTTL"),
        "GET r4".to_string(),
    ];
    // Steps hold &'static str: these few strings live for the rest of the test process.
    let script: Vec<Step> = lines.into_iter().map(|l| C(Box::leak(l.into_boxed_str()))).collect();
    run_family(
        "restore",
        &script,
        &[&["RESTORE", "r1", "0"], &["RESTORE", "r2", "*", "*", "ABSTTL"], &["RESTORE", "r3", "4102444800000"]],
        &["GET"],
    );
}

/// Groups the commands of a RESP base by (db, key); SELECT sets the db.
fn base_by_key(cmds: &[AofCommand]) -> std::collections::BTreeMap<(String, Vec<u8>), Vec<AofCommand>> {
    let mut db = "0".to_string();
    let mut out: std::collections::BTreeMap<(String, Vec<u8>), Vec<AofCommand>> = Default::default();
    for c in cmds {
        if c[0].eq_ignore_ascii_case(b"SELECT") {
            db = String::from_utf8_lossy(&c[1]).into_owned();
            continue;
        }
        out.entry((db.clone(), c[1].clone())).or_default().push(c.clone());
    }
    out
}

/// A key's rewrite commands in a comparable form: for sets, hashes and zsets (Redis writes a skiplist zset in
/// its hash table's order) the command names and argument counts (the batching) and the sorted elements
/// (scores as written); otherwise the commands themselves.
fn normalise_key_commands(cmds: &[AofCommand]) -> (Vec<AofCommand>, Vec<Vec<u8>>, Vec<i64>) {
    let mut shape = Vec::new();
    let mut elements = Vec::new();
    let mut times = Vec::new();
    for c in cmds {
        let name = c[0].to_ascii_uppercase();
        match name.as_slice() {
            b"SADD" => {
                shape.push(vec![name, c[1].clone(), format!("<{} members>", c.len() - 2).into_bytes()]);
                elements.extend(c[2..].iter().cloned());
            }
            b"HMSET" | b"HSET" | b"ZADD" => {
                shape.push(vec![name.clone(), c[1].clone(), format!("<{} pairs>", (c.len() - 2) / 2).into_bytes()]);
                elements.extend(
                    c[2..].chunks(2).map(|p| [name.clone(), p[0].clone(), b"=".to_vec(), p[1].clone()].concat()),
                );
            }
            _ => {
                let mut c = c.clone();
                for p in time_positions(&c) {
                    times.push(as_ms(&c[p]).unwrap_or(-1));
                    c[p] = b"<ms>".to_vec();
                }
                shape.push(c);
            }
        }
    }
    elements.sort();
    (shape, elements, times)
}

/// BGREWRITEAOF with `aof-use-rdb-preamble no` writes a RESP base: the same commands per key as Redis's
/// (command names, batches of at most 64 elements, scores as `%.17g`, PEXPIREAT for TTLs), keys in any order,
/// set, hash and zset elements in any order.
#[test]
fn rewrite_resp_base_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let dir_f = TempDir::new("rewrite-base-fer");
    let dir_r = TempDir::new("rewrite-base-red");
    let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
    let f = Server::start_in(Kind::Ferredis, dir_f.path(), &args);
    let r = Server::start_in(Kind::Redis, dir_r.path(), &args);
    let mut bases = Vec::new();
    for s in [&f, &r] {
        let mut c = s.conn();
        common::persist::load_rich_dataset(&mut c);
        common::persist::more_writes(&mut c);
    }
    for (s, d) in [(&f, &dir_f), (&r, &dir_r)] {
        let mut c = s.conn();
        common::persist::bgrewriteaof_and_wait(&mut c);
        let base = common::persist::base_entry(d.path()).expect("base");
        assert!(base.file.ends_with(".base.aof"), "{}: base {}", s.kind.label(), base.file);
        let bytes = std::fs::read(common::persist::aof_dir(d.path()).join(&base.file)).unwrap();
        let cmds = common::persist::parse_aof_commands(&bytes)
            .unwrap_or_else(|e| panic!("{}: RESP base: {e}", s.kind.label()));
        if std::env::var_os("PROP_DUMP").is_some() && s.kind == Kind::Redis {
            for c in &cmds {
                let line = render_command(c);
                eprintln!("{}", if line.len() > 150 { format!("{}...", &line[..150]) } else { line });
            }
        }
        bases.push(base_by_key(&cmds));
    }
    let (bf, br) = (&bases[0], &bases[1]);
    let kf: Vec<_> = bf.keys().collect();
    let kr: Vec<_> = br.keys().collect();
    assert_eq!(kf, kr, "keys in the RESP base (db, key): left ferredis, right redis");
    for (k, cr) in br {
        let (sf, ef, tf) = normalise_key_commands(&bf[k]);
        let (sr, er, tr) = normalise_key_commands(cr);
        let show = |v: &[AofCommand]| v.iter().map(render_command).collect::<Vec<_>>().join("\n    ");
        assert!(
            sf == sr,
            "db {} key {}: rewrite commands differ\n  ferredis:\n    {}\n  redis:\n    {}",
            k.0,
            escape(&k.1),
            show(&sf),
            show(&sr)
        );
        if ef != er {
            let only_f: Vec<String> = ef.iter().filter(|e| !er.contains(e)).take(10).map(|e| escape(e)).collect();
            let only_r: Vec<String> = er.iter().filter(|e| !ef.contains(e)).take(10).map(|e| escape(e)).collect();
            panic!(
                "db {} key {}: elements differ; only ferredis: {only_f:?}; only redis: {only_r:?}",
                k.0,
                escape(&k.1)
            );
        }
        assert_eq!(tf.len(), tr.len());
        for (a, b) in tf.iter().zip(tr.iter()) {
            assert!((a - b).abs() <= 5000, "db {} key {}: expire times {a} and {b}", k.0, escape(&k.1));
        }
    }
}

/// SCAN and RANDOMKEY that meet several expired keys delete them lazily, and the DELs are propagated one by one,
/// not wrapped in MULTI/EXEC (Redis's CMD_TOUCHES_ARBITRARY_KEYS); the same reads inside MULTI are wrapped. The
/// DELs come in hash order, so each server's stream is compared with the keys of each group sorted.
#[test]
fn lazy_expiry_of_scan_and_randomkey_is_not_wrapped() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut streams = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let tmp = TempDir::new(&format!("prop-arbitrary-{}", kind.label()));
        let mut args: Vec<&str> = AOF_ARGS.to_vec();
        args.extend_from_slice(&["--enable-debug-command", "yes"]);
        let s = Server::start_in(kind, tmp.path(), &args);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
        let expiring = |c: &mut Conn, keys: &[&str]| {
            for k in keys {
                assert_eq!(c.cmd(&["SET", k, "v", "PX", "1"]), b"+OK\r\n");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        expiring(&mut c, &["a1", "a2", "a3"]);
        c.cmd(&["SCAN", "0", "COUNT", "100"]);
        expiring(&mut c, &["b1", "b2"]);
        // RANDOMKEY deletes the expired keys it picks until it finds a live one or the db is empty.
        c.cmd(&["RANDOMKEY"]);
        expiring(&mut c, &["c1", "c2"]);
        assert_eq!(c.cmd(&["MULTI"]), b"+OK\r\n");
        c.cmd(&["GET", "c1"]);
        c.cmd(&["GET", "c2"]);
        c.cmd(&["EXEC"]);
        // Group the stream: each run of DELs between other commands, sorted.
        let mut out: Vec<String> = Vec::new();
        let mut dels: Vec<String> = Vec::new();
        for cmd in read_incr_commands(tmp.path()) {
            let text = render_command(&cmd);
            if text.starts_with("DEL ") || text.starts_with("del ") {
                dels.push(text);
                continue;
            }
            if !dels.is_empty() {
                dels.sort();
                out.push(dels.join(" + "));
                dels.clear();
            }
            if text.starts_with("SET ") || text.starts_with("set ") {
                continue;
            }
            out.push(text);
        }
        if !dels.is_empty() {
            dels.sort();
            out.push(dels.join(" + "));
        }
        streams.push(out);
    }
    assert_eq!(streams[0], streams[1], "ferredis vs redis (SETs left out, DEL groups sorted)");
    assert!(!streams[0].iter().any(|l| l == "MULTI") || streams[0].iter().filter(|l| *l == "MULTI").count() == 1);
}
