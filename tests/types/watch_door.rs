//! WATCH invalidation by every door a key or a whole database can change through, ferredis against Debian's
//! redis-server 7.0 (the oracle). Each scenario runs the same script on a fresh pair of servers started with the
//! same options; the transcripts (every compared command and the exact bytes of its reply, EXEC above all) must be
//! identical. Nothing is hard-coded about the outcome: Redis's behaviour is the specification, so the control cases
//! (an unrelated key changed, another database flushed or swapped, a key absent on both sides of a SWAPDB, ...)
//! catch a server that aborts too eagerly just as the others catch one that misses an invalidation.
//!
//! Scenario shape: client B prepares the data; clients A1, A2, ... each SELECT their database and WATCH one key;
//! B makes the change; each A runs MULTI, SET <its key> x, EXEC (GET on a read-only replica). Several watchers in
//! one scenario watch different keys, so one change is checked against keys it must and must not touch.
//!
//! Timing: waits poll for a state (bounded by `wait_for`); the only sleeps make a TTL pass, and the scenarios
//! where a key must still be alive at WATCH time check that it is (PTTL) and retry with a longer TTL if the
//! machine was too slow. A test lists every differing scenario before failing, with both transcripts.
//!
//! `FERREDIS_BIN=/usr/bin/redis-server cargo test --test types watch_door::` runs the harness redis-vs-redis; it must pass.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

const BOTH: [Kind; 2] = [Kind::Ferredis, Kind::Redis];

/// One scenario's transcript on one server.
#[derive(Default)]
struct Log {
    lines: Vec<String>,
    /// The EXEC replies only, for the one-line summary.
    execs: Vec<String>,
}

impl Log {
    /// Runs `args` on `c` as client `who`, records command and reply.
    fn cmd<A: AsRef<[u8]>>(&mut self, who: &str, c: &mut Conn, args: &[A]) -> Vec<u8> {
        let r = c.cmd(args);
        self.record(who, args, &r);
        r
    }

    fn record<A: AsRef<[u8]>>(&mut self, who: &str, args: &[A], reply: &[u8]) {
        let shown = display_args(args);
        self.lines.push(format!("{who} > {shown}"));
        self.lines.push(format!("{who} < {}", escape(reply)));
        if args.first().is_some_and(|a| a.as_ref().eq_ignore_ascii_case(b"EXEC")) {
            self.execs.push(format!("{who}:{}", escape(reply)));
        }
    }

    /// A redis-cli-style line.
    fn line(&mut self, who: &str, c: &mut Conn, line: &str) -> Vec<u8> {
        let args = split_args(line).unwrap_or_else(|e| panic!("bad test line {line:?}: {e}"));
        self.cmd(who, c, &args)
    }

    /// A step that is the same on both servers but has no reply worth comparing (a sleep, a poll).
    fn note(&mut self, text: &str) {
        self.lines.push(format!("-- {text}"));
    }
}

/// `None` when both transcripts agree; otherwise the first difference and both transcripts in full.
fn compare(name: &str, f: &Log, r: &Log) -> Option<String> {
    println!("{name}: ferredis [{}] redis [{}]", f.execs.join(" "), r.execs.join(" "));
    if f.lines == r.lines {
        return None;
    }
    let n = f.lines.len().max(r.lines.len());
    let first = (0..n).find(|&i| f.lines.get(i) != r.lines.get(i)).unwrap_or(0);
    let at = |l: &Log| l.lines.get(first).cloned().unwrap_or_else(|| "<end of transcript>".into());
    Some(format!(
        "=== {name}: first difference at transcript line {first}\n  ferredis: {}\n  redis:    {}\n\
         --- ferredis transcript:\n{}\n--- redis transcript:\n{}\n",
        at(f),
        at(r),
        f.lines.join("\n"),
        r.lines.join("\n")
    ))
}

/// Panics listing every differing scenario.
fn report(failures: Vec<String>, total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} scenarios differ between ferredis and redis:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs `scenario` on ferredis and on redis (each builds whatever servers it needs) and compares.
fn diff_each(name: &str, scenario: impl Fn(Kind, &mut Log)) -> Option<String> {
    let mut logs = Vec::new();
    for kind in BOTH {
        let mut log = Log::default();
        scenario(kind, &mut log);
        logs.push(log);
    }
    compare(name, &logs[0], &logs[1])
}

fn ok(c: &mut Conn, line: &str) {
    let r = c.cmd_str(line);
    assert_eq!(escape(&r), escape(b"+OK\r\n"), "{line}");
}

fn dbsize(c: &mut Conn) -> i64 {
    Resp::parse(&c.cmd(&["DBSIZE"])).ok().and_then(|r| r.as_int()).expect("DBSIZE is an integer")
}

// ---------------------------------------------------------------------------------------------------------------
// Table-driven scenarios

/// One scenario: `setup` and `event` are B's lines (B is a fresh connection in db 0); `watch` the watchers'
/// (db, key). Pseudo lines: `@sleep MS`; `@dump KEY` (B DUMPs KEY, unrecorded: the payload then replaces the
/// argument `@DUMP` of later lines); `@wait-dbsize N` (B polls DBSIZE of its current db until N).
struct Case {
    name: &'static str,
    setup: &'static [&'static str],
    watch: &'static [(u32, &'static str)],
    event: &'static [&'static str],
}

fn step(log: &mut Log, b: &mut Conn, line: &str, dump: &mut Vec<u8>) {
    if let Some(ms) = line.strip_prefix("@sleep ") {
        std::thread::sleep(Duration::from_millis(ms.parse().expect("@sleep MS")));
        log.note(line);
    } else if let Some(key) = line.strip_prefix("@dump ") {
        let r = Resp::parse(&b.cmd(&["DUMP", key])).expect("DUMP reply");
        *dump = r.as_bytes().unwrap_or_else(|| panic!("DUMP {key} gave no payload: {r:?}")).to_vec();
        log.note(line);
    } else if let Some(n) = line.strip_prefix("@wait-dbsize ") {
        let n: i64 = n.parse().expect("@wait-dbsize N");
        wait_for(&format!("DBSIZE {n}"), || dbsize(b) == n);
        log.note(line);
    } else if line == "@wait-aof-rewrite" {
        wait_aof_rewrite_done(b);
        log.note(line);
    } else {
        let mut args = split_args(line).unwrap_or_else(|e| panic!("bad test line {line:?}: {e}"));
        for a in args.iter_mut() {
            if a == b"@DUMP" {
                a.clone_from(dump);
            }
        }
        log.cmd("B", b, &args);
    }
}

/// Puts a server back to a known state between scenarios (unrecorded).
fn reset(s: &Server) {
    let mut b = s.conn();
    ok(&mut b, "FLUSHALL");
    ok(&mut b, "DEBUG SET-ACTIVE-EXPIRE 1");
    ok(&mut b, "CONFIG SET maxmemory 0");
    ok(&mut b, "CONFIG SET maxmemory-policy noeviction");
}

fn run_case(s: &Server, case: &Case) -> Log {
    reset(s);
    let mut log = Log::default();
    let mut b = s.conn();
    let mut dump = Vec::new();
    for line in case.setup {
        step(&mut log, &mut b, line, &mut dump);
    }
    let mut watchers: Vec<(String, Conn, &str)> = Vec::new();
    for (i, &(db, key)) in case.watch.iter().enumerate() {
        let who = format!("A{}", i + 1);
        let mut a = s.conn();
        if db != 0 {
            log.cmd(&who, &mut a, &["SELECT", &db.to_string()]);
        }
        log.cmd(&who, &mut a, &["WATCH", key]);
        watchers.push((who, a, key));
    }
    for line in case.event {
        step(&mut log, &mut b, line, &mut dump);
    }
    for (who, a, key) in watchers.iter_mut() {
        log.cmd(who, a, &["MULTI"]);
        log.cmd(who, a, &["SET", key, "x"]);
        log.cmd(who, a, &["EXEC"]);
    }
    log
}

/// Runs every case on one ferredis and one redis started with `extra`, and fails listing the differing ones.
fn run_cases(extra: &[&str], cases: &[Case]) {
    let servers: Vec<Server> = BOTH.iter().map(|&k| Server::start(k, extra)).collect();
    wait_no_aof_rewrite(&servers);
    let mut failures = Vec::new();
    for case in cases {
        let logs: Vec<Log> = servers.iter().map(|s| run_case(s, case)).collect();
        failures.extend(compare(case.name, &logs[0], &logs[1]));
    }
    report(failures, cases.len());
}

/// A server started with `appendonly yes` may be writing its first base file: let that finish first.
fn wait_no_aof_rewrite(servers: &[Server]) {
    for s in servers {
        let mut c = s.conn();
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
        if info.contains("aof_enabled:1") {
            wait_aof_rewrite_done(&mut c);
        }
    }
}

fn wait_aof_rewrite_done(c: &mut Conn) {
    wait_for("no AOF rewrite in progress", || {
        info_field(c, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(c, "persistence", "aof_rewrite_scheduled") == "0"
    });
}

// ---------------------------------------------------------------------------------------------------------------
// FLUSHALL / FLUSHDB

#[test]
fn watch_flushall_and_flushdb() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases(
        &[],
        &[
            Case { name: "flushall, key exists", setup: &["SET k v"], watch: &[(0, "k")], event: &["FLUSHALL"] },
            Case {
                name: "flushall async, key exists",
                setup: &["SET k v"],
                watch: &[(0, "k")],
                event: &["FLUSHALL ASYNC"],
            },
            Case {
                name: "flushall sync, key exists in db 7",
                setup: &["SELECT 7", "SET k v"],
                watch: &[(7, "k")],
                event: &["FLUSHALL SYNC"],
            },
            Case {
                name: "flushall, watched key absent (other keys exist)",
                setup: &["SET other v", "SELECT 1", "SET k v"],
                watch: &[(0, "k"), (2, "k")],
                event: &["FLUSHALL"],
            },
            Case { name: "flushall on an empty server", setup: &[], watch: &[(0, "k")], event: &["FLUSHALL"] },
            Case {
                name: "flushdb in the watched db",
                setup: &["SELECT 3", "SET k v"],
                watch: &[(3, "k"), (3, "missing")],
                event: &["FLUSHDB"],
            },
            Case {
                name: "flushdb async in the watched db",
                setup: &["SET k v"],
                watch: &[(0, "k")],
                event: &["FLUSHDB ASYNC"],
            },
            Case {
                name: "flushdb of another db (same key name there)",
                setup: &["SET k v", "SELECT 5", "SET k other"],
                watch: &[(0, "k")],
                event: &["FLUSHDB"],
            },
            Case {
                name: "flushdb of the db where only the other watcher's key is",
                setup: &["SET k v", "SELECT 5", "SET k other"],
                watch: &[(0, "k"), (5, "k")],
                event: &["FLUSHDB"],
            },
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// SWAPDB

#[test]
fn watch_swapdb() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases(
        &[],
        &[
            Case {
                name: "swapdb, key in both dbs",
                setup: &["SET k a", "SELECT 1", "SET k b"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb, key only in the watched db",
                setup: &["SET k a", "SELECT 1", "SET other b"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb, key only in the other db",
                setup: &["SET other a", "SELECT 1", "SET k b"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb, key in neither db",
                setup: &["SET x a", "SELECT 1", "SET y b"],
                watch: &[(0, "k"), (1, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb of two dbs the watched key is not in",
                setup: &["SET k a", "SELECT 2", "SET k b", "SELECT 3", "SET k c"],
                watch: &[(0, "k")],
                event: &["SWAPDB 2 3"],
            },
            Case {
                name: "swapdb, watched db given second",
                setup: &["SELECT 1", "SET k a"],
                watch: &[(1, "k"), (0, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb of a db with itself",
                setup: &["SET k a"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 0"],
            },
            Case {
                name: "swapdb with an error (db out of range)",
                setup: &["SET k a"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 99"],
            },
            Case {
                name: "swapdb, watched key expired at WATCH, absent in the other db",
                setup: &["DEBUG SET-ACTIVE-EXPIRE 0", "SET k a PX 1", "@sleep 20"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb, watched key expired at WATCH, expired in the other db too",
                setup: &["DEBUG SET-ACTIVE-EXPIRE 0", "SET k a PX 1", "SELECT 1", "SET k b PX 1", "@sleep 20"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb, watched key expired at WATCH, alive in the other db",
                setup: &["DEBUG SET-ACTIVE-EXPIRE 0", "SET k a PX 1", "SELECT 1", "SET k b", "@sleep 20"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb, watched key absent, expired in the other db",
                setup: &["DEBUG SET-ACTIVE-EXPIRE 0", "SELECT 1", "SET k b PX 1", "@sleep 20"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 1"],
            },
            Case {
                name: "swapdb, watched key alive, expired in the other db",
                setup: &["DEBUG SET-ACTIVE-EXPIRE 0", "SET k a", "SELECT 1", "SET k b PX 1", "@sleep 20"],
                watch: &[(0, "k")],
                event: &["SWAPDB 0 1"],
            },
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// DEBUG RELOAD and DEBUG LOADAOF

/// In Redis 7.0 the reload's flush touches the watched keys present before it; the load itself touches nothing,
/// so a key the RDB brings back (NOSAVE) or overwrites (NOFLUSH MERGE) does not fail the EXEC.
#[test]
fn watch_debug_reload() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases(
        &[],
        &[
            Case {
                name: "debug reload, key exists",
                setup: &["SET k v"],
                watch: &[(0, "k")],
                event: &["DEBUG RELOAD"],
            },
            Case {
                name: "debug reload, key absent before and after",
                setup: &["SET other v"],
                watch: &[(0, "k")],
                event: &["DEBUG RELOAD", "EXISTS k other"],
            },
            Case { name: "debug reload of an empty dataset", setup: &[], watch: &[(0, "k")], event: &["DEBUG RELOAD"] },
            Case {
                name: "debug reload, key exists in db 4 only",
                setup: &["SELECT 4", "SET k v"],
                watch: &[(4, "k"), (0, "k")],
                event: &["DEBUG RELOAD"],
            },
            Case {
                name: "debug reload, watched key expired at WATCH",
                setup: &["DEBUG SET-ACTIVE-EXPIRE 0", "SET k v PX 1", "SET other v", "@sleep 20"],
                watch: &[(0, "k")],
                event: &["DEBUG RELOAD", "EXISTS k"],
            },
            Case {
                name: "debug reload nosave brings back a key absent at WATCH",
                setup: &["SET k v", "SAVE", "DEL k"],
                watch: &[(0, "k")],
                event: &["DEBUG RELOAD NOSAVE", "GET k"],
            },
            Case {
                name: "debug reload nosave removes a key saved without it",
                setup: &["SET other v", "SAVE", "SET k v"],
                watch: &[(0, "k")],
                event: &["DEBUG RELOAD NOSAVE", "EXISTS k"],
            },
            Case {
                name: "debug reload nosave noflush merge overwrites the watched key",
                setup: &["SET k old", "SAVE", "SET k new"],
                watch: &[(0, "k")],
                event: &["DEBUG RELOAD NOSAVE NOFLUSH MERGE", "GET k"],
            },
            Case {
                name: "debug reload nosave noflush merge adds the watched key",
                setup: &["SET k old", "SAVE", "DEL k", "SET other v"],
                watch: &[(0, "k"), (0, "other")],
                event: &["DEBUG RELOAD NOSAVE NOFLUSH MERGE", "GET k"],
            },
        ],
    );
}

/// DEBUG LOADAOF replays the AOF's commands, and a replayed write touches its key like any write: each case
/// first rewrites the AOF (after the reset's FLUSHALL) so the history holds only what the case wrote.
#[test]
fn watch_debug_loadaof() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases(
        &["--appendonly", "yes", "--appendfsync", "always"],
        &[
            Case {
                name: "debug loadaof, key exists (in the incremental file)",
                setup: &["BGREWRITEAOF", "@wait-aof-rewrite", "SET k v"],
                watch: &[(0, "k")],
                event: &["DEBUG LOADAOF", "GET k"],
            },
            Case {
                name: "debug loadaof, key exists (in the rewritten base)",
                setup: &["SET k v", "SET other v", "BGREWRITEAOF", "@wait-aof-rewrite"],
                watch: &[(0, "k"), (0, "missing")],
                event: &["DEBUG LOADAOF", "MGET k other"],
            },
            Case {
                name: "debug loadaof, key absent before and after (not in the AOF history)",
                setup: &["BGREWRITEAOF", "@wait-aof-rewrite", "SET other v"],
                watch: &[(0, "k")],
                event: &["DEBUG LOADAOF", "EXISTS k other"],
            },
            Case {
                name: "debug loadaof, key absent before and after (written and deleted in the AOF history)",
                setup: &["BGREWRITEAOF", "@wait-aof-rewrite", "SET k v", "DEL k", "SET other v"],
                watch: &[(0, "k")],
                event: &["DEBUG LOADAOF", "EXISTS k other"],
            },
            Case {
                name: "debug loadaof, key exists in db 6 only",
                setup: &["BGREWRITEAOF", "@wait-aof-rewrite", "SELECT 6", "SET k v"],
                watch: &[(6, "k"), (0, "k")],
                event: &["DEBUG LOADAOF"],
            },
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Expiry

/// How the key that expires after WATCH goes away.
#[derive(Clone, Copy, Debug)]
enum Expiry {
    /// Nobody touches it: only EXEC can notice (active expiry off).
    Untouched,
    /// B reads it after its TTL: the lazy deletion (active expiry off).
    LazyGet,
    /// B writes it after its TTL (the write's lookup deletes it first, then SET creates it again).
    LazySet,
    /// The active expiry cycle deletes it; B polls DBSIZE until it did.
    Active,
}

/// A1 watches `k` while it is alive with a short TTL, A2 watches `keep` (no TTL); `k` expires; EXEC on both.
fn expire_after_watch(kind: Kind, how: Expiry, log: &mut Log) {
    let s = Server::start(kind, &[]);
    let mut b = s.conn();
    let active = if matches!(how, Expiry::Active) { "1" } else { "0" };
    log.line("B", &mut b, &format!("DEBUG SET-ACTIVE-EXPIRE {active}"));
    log.line("B", &mut b, "SET keep v");
    let mut a2 = s.conn();
    log.line("A2", &mut a2, "WATCH keep");
    // The key must still be alive when A1's WATCH runs; on a loaded machine 100 ms may not be enough, so a
    // key found already expired is set again with a longer TTL (on a fresh connection, nothing recorded).
    let mut ttl = 100u64;
    let (mut a1, set_at) = loop {
        ok(&mut b, "SET k v");
        let r = b.cmd(&["PEXPIRE", "k", &ttl.to_string()]);
        assert_eq!(r, b":1\r\n");
        let set_at = Instant::now();
        let mut a1 = s.conn();
        ok(&mut a1, "WATCH k");
        let pttl = Resp::parse(&a1.cmd(&["PTTL", "k"])).ok().and_then(|r| r.as_int()).unwrap_or(-2);
        if pttl > 0 {
            break (a1, set_at);
        }
        assert!(ttl < 10_000, "{}: cannot WATCH a key before its TTL passes", kind.label());
        ttl *= 4;
    };
    log.note("B: SET k v, PEXPIRE k <short ttl>");
    log.record("A1", &["WATCH", "k"], b"+OK\r\n");
    log.note("A1: PTTL k > 0 (k was alive at WATCH)");
    // A retry above may have expired an earlier `k`: count only this one's expiry.
    let expired_before: i64 = info_field(&mut b, "stats", "expired_keys").trim().parse().expect("expired_keys");
    // Let the TTL pass by a margin (the server's deadline is before `set_at + ttl`).
    let until = set_at + Duration::from_millis(ttl + 100);
    std::thread::sleep(until.saturating_duration_since(Instant::now()));
    log.note("TTL passed");
    match how {
        Expiry::Untouched => {}
        Expiry::LazyGet => {
            log.line("B", &mut b, "GET k");
        }
        Expiry::LazySet => {
            log.line("B", &mut b, "SET k again");
        }
        Expiry::Active => {
            wait_for("the active expiry cycle to delete k", || dbsize(&mut b) == 1);
            log.note("DBSIZE is 1: k was deleted by the active cycle");
            let ks = info_field(&mut b, "keyspace", "db0");
            assert!(ks.starts_with("keys=1,expires=0"), "{}: INFO keyspace db0:{ks}", kind.label());
            let expired: i64 = info_field(&mut b, "stats", "expired_keys").trim().parse().expect("expired_keys");
            log.note(&format!("expired_keys grew by {}", expired - expired_before));
        }
    }
    for (who, a, key) in [("A1", &mut a1, "k"), ("A2", &mut a2, "keep")] {
        log.cmd(who, a, &["MULTI"]);
        log.cmd(who, a, &["SET", key, "x"]);
        log.cmd(who, a, &["EXEC"]);
    }
    log.line("B", &mut b, "MGET k keep");
}

#[test]
fn watch_key_expiring_after_watch() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut failures = Vec::new();
    let all = [Expiry::Untouched, Expiry::LazyGet, Expiry::LazySet, Expiry::Active];
    for how in all {
        failures
            .extend(diff_each(&format!("expiry after WATCH: {how:?}"), |kind, log| expire_after_watch(kind, how, log)));
    }
    report(failures, all.len());
}

#[test]
fn watch_key_already_expired_at_watch() {
    if !crate::common::pair::have_redis() {
        return;
    }
    const SETUP: &[&str] = &["DEBUG SET-ACTIVE-EXPIRE 0", "SET k v PX 1", "SET keep v", "@sleep 20"];
    run_cases(
        &[],
        &[
            Case { name: "expired at WATCH, nothing happens", setup: SETUP, watch: &[(0, "k")], event: &[] },
            Case { name: "expired at WATCH, B reads it", setup: SETUP, watch: &[(0, "k")], event: &["GET k"] },
            Case {
                name: "expired at WATCH, B sets it again",
                setup: SETUP,
                watch: &[(0, "k")],
                event: &["SET k again"],
            },
            Case {
                name: "expired at WATCH, PERSIST (finds nothing)",
                setup: SETUP,
                watch: &[(0, "k")],
                event: &["PERSIST k"],
            },
            Case {
                name: "expired at WATCH, the active cycle deletes it",
                setup: SETUP,
                watch: &[(0, "k"), (0, "keep")],
                event: &["DEBUG SET-ACTIVE-EXPIRE 1", "@wait-dbsize 1"],
            },
            Case {
                name: "expired at WATCH, then FLUSHALL",
                setup: SETUP,
                watch: &[(0, "k"), (0, "keep")],
                event: &["FLUSHALL"],
            },
            Case {
                name: "expired at WATCH, then FLUSHALL, then SET",
                setup: SETUP,
                watch: &[(0, "k")],
                event: &["FLUSHALL", "SET k new"],
            },
            Case {
                name: "expired at WATCH, RESTORE (no REPLACE) over it",
                setup: &["DEBUG SET-ACTIVE-EXPIRE 0", "SET src v", "@dump src", "SET k v PX 1", "@sleep 20"],
                watch: &[(0, "k")],
                event: &["RESTORE k 0 @DUMP"],
            },
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Eviction

#[test]
fn watch_eviction() {
    if !crate::common::pair::have_redis() {
        return;
    }
    // `maxmemory 1` makes the server evict every key the policy may pick; polling DBSIZE (every command runs the
    // eviction first) waits until it did, EXISTS shows the watched keys are gone, and the limit is lifted before
    // EXEC. Under the volatile policies only the key with a TTL can go, so `keep` is the control.
    run_cases(
        &[],
        &[
            Case {
                name: "volatile-ttl evicts the watched key (the only one with a TTL)",
                setup: &[
                    "CONFIG SET maxmemory-policy volatile-ttl",
                    "SETRANGE victim 300000 x",
                    "PEXPIRE victim 1000000",
                    "SET keep v",
                ],
                watch: &[(0, "victim"), (0, "keep"), (0, "missing")],
                event: &["CONFIG SET maxmemory 1", "@wait-dbsize 1", "EXISTS victim", "CONFIG SET maxmemory 0"],
            },
            Case {
                name: "volatile-lru evicts the watched key in db 2",
                setup: &[
                    "CONFIG SET maxmemory-policy volatile-lru",
                    "SELECT 2",
                    "SETRANGE victim 300000 x",
                    "EXPIRE victim 100000",
                    "SET keep v",
                ],
                watch: &[(2, "victim"), (2, "keep"), (0, "victim")],
                event: &["CONFIG SET maxmemory 1", "@wait-dbsize 1", "EXISTS victim keep", "CONFIG SET maxmemory 0"],
            },
            Case {
                name: "allkeys-random evicts everything",
                setup: &[
                    "CONFIG SET maxmemory-policy allkeys-random",
                    "SETRANGE k1 100000 x",
                    "SETRANGE k2 100000 x",
                    "SETRANGE k3 100000 x",
                    "SETRANGE k4 100000 x",
                    "SETRANGE k5 100000 x",
                    "SETRANGE k6 100000 x",
                ],
                watch: &[(0, "k1"), (0, "k5"), (0, "missing")],
                event: &["CONFIG SET maxmemory 1", "@wait-dbsize 0", "EXISTS k1 k5", "CONFIG SET maxmemory 0"],
            },
            Case {
                name: "allkeys-lru evicts everything",
                setup: &[
                    "CONFIG SET maxmemory-policy allkeys-lru",
                    "SETRANGE k1 100000 x",
                    "SETRANGE k2 100000 x",
                    "SETRANGE k3 100000 x",
                    "SETRANGE k4 100000 x",
                    "SET small v",
                ],
                watch: &[(0, "k2"), (0, "small")],
                event: &["CONFIG SET maxmemory 1", "@wait-dbsize 0", "EXISTS k2 small", "CONFIG SET maxmemory 0"],
            },
            Case {
                name: "allkeys-lfu evicts everything in db 9",
                setup: &[
                    "CONFIG SET maxmemory-policy allkeys-lfu",
                    "SELECT 9",
                    "SETRANGE k1 100000 x",
                    "SETRANGE k2 100000 x",
                    "SETRANGE k3 100000 x",
                ],
                watch: &[(9, "k3"), (0, "k3")],
                event: &["CONFIG SET maxmemory 1", "@wait-dbsize 0", "EXISTS k3", "CONFIG SET maxmemory 0"],
            },
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// RESTORE, RENAME, MOVE, COPY

#[test]
fn watch_restore() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases(
        &[],
        &[
            Case {
                name: "restore replace onto the watched key",
                setup: &["SET src new", "@dump src", "SET k old"],
                watch: &[(0, "k"), (0, "src")],
                event: &["RESTORE k 0 @DUMP REPLACE", "GET k"],
            },
            Case {
                name: "restore of a new watched key",
                setup: &["SET src new", "@dump src"],
                watch: &[(0, "k")],
                event: &["RESTORE k 0 @DUMP", "GET k"],
            },
            Case {
                name: "restore without replace onto the watched key (BUSYKEY)",
                setup: &["SET src new", "@dump src", "SET k old"],
                watch: &[(0, "k")],
                event: &["RESTORE k 0 @DUMP"],
            },
            Case {
                name: "restore of another key",
                setup: &["SET src new", "@dump src", "SET k old"],
                watch: &[(0, "k")],
                event: &["RESTORE other 0 @DUMP"],
            },
            Case {
                name: "restore replace with a past absolute TTL deletes the watched key",
                setup: &["SET src new", "@dump src", "SET k old"],
                watch: &[(0, "k")],
                event: &["RESTORE k 1 @DUMP ABSTTL REPLACE", "EXISTS k"],
            },
            Case {
                name: "restore with a past absolute TTL of an absent watched key",
                setup: &["SET src new", "@dump src"],
                watch: &[(0, "k")],
                event: &["RESTORE k 1 @DUMP ABSTTL", "EXISTS k"],
            },
            Case {
                name: "restore in db 3 of a key watched in db 3 and db 0",
                setup: &["SET src new", "@dump src", "SELECT 3"],
                watch: &[(3, "k"), (0, "k")],
                event: &["RESTORE k 0 @DUMP"],
            },
        ],
    );
}

#[test]
fn watch_rename() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases(
        &[],
        &[
            Case {
                name: "rename of the watched source",
                setup: &["SET k v"],
                watch: &[(0, "k"), (0, "dst")],
                event: &["RENAME k dst"],
            },
            Case {
                name: "rename onto the watched destination (exists)",
                setup: &["SET src v", "SET k old"],
                watch: &[(0, "k")],
                event: &["RENAME src k"],
            },
            Case {
                name: "rename onto the watched destination (absent)",
                setup: &["SET src v"],
                watch: &[(0, "k")],
                event: &["RENAME src k"],
            },
            Case {
                name: "renamenx onto an existing watched destination (refused)",
                setup: &["SET src v", "SET k old"],
                watch: &[(0, "k"), (0, "src")],
                event: &["RENAMENX src k"],
            },
            Case {
                name: "renamenx onto an absent watched destination",
                setup: &["SET src v"],
                watch: &[(0, "k"), (0, "src")],
                event: &["RENAMENX src k"],
            },
            Case { name: "rename of a key to itself", setup: &["SET k v"], watch: &[(0, "k")], event: &["RENAME k k"] },
            Case {
                name: "rename of an absent watched key (error)",
                setup: &["SET other v"],
                watch: &[(0, "k")],
                event: &["RENAME k z"],
            },
            Case {
                name: "rename of unrelated keys",
                setup: &["SET a 1", "SET k v"],
                watch: &[(0, "k")],
                event: &["RENAME a b"],
            },
        ],
    );
}

#[test]
fn watch_move() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases(
        &[],
        &[
            Case {
                name: "move of the watched source key",
                setup: &["SET k v"],
                watch: &[(0, "k"), (1, "k")],
                event: &["MOVE k 1"],
            },
            Case {
                name: "move into the db of a watched (absent) key",
                setup: &["SELECT 2", "SET k v"],
                watch: &[(5, "k")],
                event: &["MOVE k 5"],
            },
            Case {
                name: "move refused: the key exists in the destination db",
                setup: &["SET k v", "SELECT 1", "SET k w", "SELECT 0"],
                watch: &[(0, "k"), (1, "k")],
                event: &["MOVE k 1"],
            },
            Case {
                name: "move of an absent key",
                setup: &["SELECT 1", "SET k w", "SELECT 0"],
                watch: &[(0, "k"), (1, "k")],
                event: &["MOVE k 1"],
            },
            Case {
                name: "move of another key",
                setup: &["SET k v", "SET other v"],
                watch: &[(0, "k"), (1, "k")],
                event: &["MOVE other 1"],
            },
        ],
    );
}

#[test]
fn watch_copy() {
    if !crate::common::pair::have_redis() {
        return;
    }
    run_cases(
        &[],
        &[
            Case {
                name: "copy into an absent watched destination",
                setup: &["SET s v"],
                watch: &[(0, "d"), (0, "s")],
                event: &["COPY s d"],
            },
            Case {
                name: "copy replace onto an existing watched destination",
                setup: &["SET s v", "SET d old"],
                watch: &[(0, "d")],
                event: &["COPY s d REPLACE"],
            },
            Case {
                name: "copy without replace onto an existing watched destination (refused)",
                setup: &["SET s v", "SET d old"],
                watch: &[(0, "d")],
                event: &["COPY s d"],
            },
            Case {
                name: "copy db 2 into a watched key of db 2",
                setup: &["SET s v"],
                watch: &[(2, "d"), (0, "d")],
                event: &["COPY s d DB 2"],
            },
            Case {
                name: "copy db 2 replace onto an existing watched key of db 2",
                setup: &["SET s v", "SELECT 2", "SET d old", "SELECT 0"],
                watch: &[(2, "d")],
                event: &["COPY s d DB 2 REPLACE"],
            },
            Case {
                name: "copy of an absent source",
                setup: &["SET d old"],
                watch: &[(0, "d")],
                event: &["COPY s d REPLACE"],
            },
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// A replica's full sync

/// Redis 7.0: a disk load empties the dataset first (touching the watched keys present then) and loads without
/// touching, so a watched key only the master has does not fail the EXEC; a `swapdb` diskless load swaps the
/// databases (touching the watched keys present in either).
///
/// A standalone server of `kind` with its own data (A1..A5 watch keys there) is made a replica of a master of
/// the same kind holding different data; after the link is up each watcher runs MULTI, GET, EXEC (the replica
/// is read-only, GET is accepted inside MULTI).
fn full_sync(kind: Kind, replica_extra: &[&str], log: &mut Log) {
    let master = Server::start(kind, &["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]);
    let replica = Server::start(kind, replica_extra);
    let mut m = master.conn();
    for line in ["SET k from-master", "SET fresh from-master", "SELECT 3", "SET k3 from-master"] {
        log.line("M", &mut m, line);
    }
    let mut b = replica.conn();
    for line in ["SET k local", "SET gone local", "SELECT 3", "SET k3 local", "SELECT 0"] {
        log.line("B", &mut b, line);
    }
    let watched: [(u32, &str); 6] = [(0, "k"), (0, "gone"), (0, "fresh"), (0, "none"), (3, "k3"), (3, "k")];
    let mut watchers = Vec::new();
    for (i, &(db, key)) in watched.iter().enumerate() {
        let who = format!("A{}", i + 1);
        let mut a = replica.conn();
        if db != 0 {
            log.cmd(&who, &mut a, &["SELECT", &db.to_string()]);
        }
        log.cmd(&who, &mut a, &["WATCH", key]);
        watchers.push((who, a, key));
    }
    let r = b.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    log.record("B", &["REPLICAOF", "127.0.0.1", "<master port>"], &r);
    wait_for("master_link_status:up", || info_field(&mut b, "replication", "master_link_status") == "up");
    log.note("master_link_status:up");
    log.line("B", &mut b, "MGET k gone fresh none");
    for (who, a, key) in watchers.iter_mut() {
        log.cmd(who, a, &["MULTI"]);
        log.cmd(who, a, &["GET", key]);
        log.cmd(who, a, &["EXEC"]);
    }
}

#[test]
fn watch_replica_full_sync_disk_load() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let failures: Vec<String> = diff_each("full sync, repl-diskless-load disabled", |kind, log| {
        full_sync(kind, &["--repl-diskless-load", "disabled"], log)
    })
    .into_iter()
    .collect();
    report(failures, 1);
}

#[test]
fn watch_replica_full_sync_diskless_swapdb() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let failures: Vec<String> = diff_each("full sync, repl-diskless-load swapdb", |kind, log| {
        full_sync(kind, &["--repl-diskless-load", "swapdb"], log)
    })
    .into_iter()
    .collect();
    report(failures, 1);
}
