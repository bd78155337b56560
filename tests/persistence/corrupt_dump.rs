//! Damaged DUMP payloads and RDB files, ferredis against redis-server:
//! - RESTORE with a bad CRC is refused by both, and taken by both after `DEBUG SET-SKIP-CHECKSUM-VALIDATION 1`
//!   (a newer RDB version in the footer is refused either way); FUNCTION RESTORE likewise;
//! - Redis's own corrupt-dump payloads (the seeds in `fuzz/corpus/restore_payload`, footer stripped) restored
//!   with checksums skipped: with `sanitize-dump-payload yes` every reply is Redis's byte for byte and what is
//!   accepted holds the same data; with `no`, ferredis may refuse what Redis takes (Redis's shallow check lets
//!   through values that assert later; ferredis validates them anyway), never the other way round;
//! - the log lines Redis writes for damaged data: `integrity check failed` for RESTORE (verbose), the empty
//!   keys skipped while loading (with the summary), the redis-check-rdb report of a damaged file, a file cut
//!   short or with a bad checksum at start-up and in DEBUG RELOAD (Redis's words, levels and rdb.c lines), and
//!   `listpack with dup elements` where Redis panics and ferredis refuses.

use crate::common;

use common::persist::dataset_snapshot;
use common::{escape, run_until_exit, Conn, Kind, Server, TempDir};
use std::path::PathBuf;

const BAD_FOOTER: &[u8] = b"-ERR DUMP payload version or checksum are wrong\r\n";
const BAD_DATA: &[u8] = b"-ERR Bad data format\r\n";

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target)
}

/// The corrupt-dump payloads (type byte and body; footer stripped), by file name.
fn corrupt_dump_payloads() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus("restore_payload"))
        .expect("seed corpus")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("corrupt-dump-"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("seed")))
        .collect();
    v.sort();
    assert!(v.len() >= 60, "expected Redis's corrupt-dump payloads, found {}", v.len());
    v
}

/// `body` with an RDB-10 footer whose CRC is wrong.
fn with_bad_footer(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&10u16.to_le_bytes());
    p.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]);
    p
}

fn both() -> [Server; 2] {
    [Server::start(Kind::Ferredis, &["--loglevel", "verbose"]), Server::start(Kind::Redis, &["--loglevel", "verbose"])]
}

#[test]
fn restore_with_a_bad_crc_and_skip_checksum_validation() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let servers = both();
    let mut out = Vec::new();
    for s in &servers {
        let mut c = s.conn();
        c.cmd(&["RPUSH", "l", "a", "1", "bb"]);
        let Some(good) =
            common::Resp::parse(&c.cmd(&["DUMP", "l"])).ok().and_then(|r| r.as_bytes().map(<[u8]>::to_vec))
        else {
            panic!("{}: DUMP gave no payload", s.kind.label())
        };
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 1] ^= 0xff;
        let mut newer = bad.clone();
        newer[n - 10] = 13; // 12 is Redis 7.4's (read); 13 is newer than anything read
        let mut replies = vec![
            c.cmd(&[&b"RESTORE"[..], b"x", b"0", &bad]),
            c.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]),
            c.cmd(&[&b"RESTORE"[..], b"x", b"0", &bad]),
            c.cmd(&["LRANGE", "x", "0", "-1"]),
            c.cmd(&[&b"RESTORE"[..], b"y", b"0", &newer]),
        ];
        // Damage behind a skipped checksum is still caught by the decoder.
        let mut broken = bad.clone();
        broken[1] = 0x7f;
        replies.push(c.cmd(&[&b"RESTORE"[..], b"z", b"0", &broken]));
        // FUNCTION RESTORE shares the footer check.
        c.cmd(&["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)"]);
        let fd = common::Resp::parse(&c.cmd(&["FUNCTION", "DUMP"])).expect("reply").as_bytes().expect("bulk").to_vec();
        let mut fbad = fd.clone();
        let m = fbad.len();
        fbad[m - 2] ^= 0x55;
        c.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"]);
        replies.push(c.cmd(&[&b"FUNCTION"[..], b"RESTORE", &fbad, b"REPLACE"]));
        c.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]);
        replies.push(c.cmd(&[&b"FUNCTION"[..], b"RESTORE", &fbad, b"REPLACE"]));
        out.push(replies);
    }
    let f = &out[0];
    assert_eq!(f[0], BAD_FOOTER);
    assert_eq!(f[2], b"+OK\r\n");
    assert_eq!(f[3], b"*3\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nbb\r\n");
    assert_eq!(f[4], BAD_FOOTER);
    assert_eq!(f[6], BAD_FOOTER);
    assert_eq!(f[7], b"+OK\r\n");
    for (i, (a, b)) in out[0].iter().zip(&out[1]).enumerate() {
        assert_eq!(escape(a), escape(b), "reply {i} differs (ferredis vs redis)");
    }
}

/// Restores every corrupt-dump payload on both servers with checksums skipped; returns, per payload, the two
/// RESTORE replies (ferredis, redis), after checking both servers are alive and, for payloads both accept, that
/// the data is the same.
fn restore_all(sanitize: &str) -> Vec<(String, Vec<u8>, Option<Vec<u8>>)> {
    let setup = |c: &mut Conn| {
        assert_eq!(c.cmd(&["CONFIG", "SET", "sanitize-dump-payload", sanitize]), b"+OK\r\n");
        assert_eq!(c.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]), b"+OK\r\n");
    };
    let f = Server::start(Kind::Ferredis, &["--loglevel", "verbose"]);
    let mut fc = f.conn();
    setup(&mut fc);
    let mut redis: Option<(Server, Conn)> = None;
    let mut res = Vec::new();
    for (name, body) in corrupt_dump_payloads() {
        let p = with_bad_footer(&body);
        let restore = |c: &mut Conn| c.try_cmd(&[&b"RESTORE"[..], b"k", b"0", &p, b"REPLACE"]);
        let fr = restore(&mut fc).unwrap_or_else(|e| panic!("{name}: ferredis closed the connection: {e}"));
        let (_, rc) = redis.get_or_insert_with(|| {
            let s = Server::start(Kind::Redis, &[]);
            let mut c = s.conn();
            setup(&mut c);
            (s, c)
        });
        // None: redis-server died on the payload (an assertion); a fresh one takes the next payload.
        let rr = restore(rc).ok();
        if rr.is_none() {
            redis = None;
        }
        if let (b"+OK\r\n", Some(b"+OK\r\n"), Some((_, rc))) = (fr.as_slice(), rr.as_deref(), redis.as_mut()) {
            assert_eq!(dataset_snapshot(&mut fc), dataset_snapshot(rc), "{name} (sanitize {sanitize}): data differs");
        }
        fc.cmd(&["FLUSHALL"]);
        if let Some((_, rc)) = redis.as_mut() {
            if rc.try_cmd(&["FLUSHALL"]).is_err() {
                redis = None;
            }
        }
        res.push((name, fr, rr));
    }
    assert_eq!(fc.cmd(&["PING"]), b"+PONG\r\n", "ferredis died");
    res
}

#[test]
fn corrupt_dump_payloads_sanitized_match_redis_reply_for_reply() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let res = restore_all("yes");
    let mut accepted = 0;
    for (name, f, r) in &res {
        let r = r.as_deref().unwrap_or_else(|| panic!("{name}: redis-server died with sanitize-dump-payload yes"));
        assert_eq!(escape(f), escape(r), "{name}: RESTORE reply (ferredis vs redis)");
        assert!(f == b"+OK\r\n" || f == BAD_DATA, "{name}: {}", escape(f));
        accepted += (f == b"+OK\r\n") as usize;
    }
    // Most of them are refused; a few are damaged only in ways a value survives.
    assert!(accepted < res.len() / 2, "{accepted} of {} accepted", res.len());
}

#[test]
fn corrupt_dump_payloads_unsanitized_refused_where_redis_trusts_them() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let res = restore_all("no");
    let (mut refused_more, mut redis_died) = (Vec::new(), Vec::new());
    for (name, f, r) in &res {
        match r {
            Some(r) if r == f => {}
            // The only difference allowed: Redis takes a value its shallow check cannot see through (and asserts
            // on it later), ferredis refuses it.
            Some(r) => {
                assert!(f == BAD_DATA && r == b"+OK\r\n", "{name}: ferredis {} vs redis {}", escape(f), escape(r));
                refused_more.push(name.clone());
            }
            // Redis asserts in RESTORE itself; ferredis refuses.
            None => {
                assert_eq!(f, BAD_DATA, "{name}");
                redis_died.push(name.clone());
            }
        }
    }
    eprintln!("refused by ferredis, taken by redis: {refused_more:?}; redis died on: {redis_died:?}");
    assert!(refused_more.len() + redis_died.len() < res.len() / 3, "{refused_more:?} {redis_died:?}");
}

/// Counts log lines ending with `tail`.
fn count_end(log: &str, tail: &str) -> usize {
    log.lines().filter(|l| l.ends_with(tail)).count()
}

/// Counts log lines containing `needle`.
fn count(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn log_lines_for_damaged_data() {
    if !crate::common::pair::have_redis() {
        return;
    }
    // RESTORE of a quicklist whose ziplist has a wrong prevlen: refused, logged at verbose.
    let body: &[u8] = b"\x0E\x01\x13\x13\x00\x00\x00\x0E\x00\x00\x00\x02\x00\x00\x02\x61\x00\x0E\x02\x62\x00\xFF";
    // A hash listpack holding field `a` twice: with sanitizing off and a limit of 1 field it is converted on load.
    let dup: &[u8] =
        b"\x10\x17\x17\x00\x00\x00\x04\x00\x82\x61\x00\x03\x82\x62\x00\x03\x82\x61\x00\x03\x82\x64\x00\x03\xff";
    let f = Server::start(Kind::Ferredis, &["--loglevel", "verbose"]);
    let mut c = f.conn();
    c.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]);
    assert_eq!(c.cmd(&[&b"RESTORE"[..], b"k", b"0", &with_bad_footer(body)]), BAD_DATA);
    c.cmd(&["CONFIG", "SET", "sanitize-dump-payload", "no"]);
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "1"]);
    assert_eq!(c.cmd(&[&b"RESTORE"[..], b"h", b"0", &with_bad_footer(dup)]), BAD_DATA);
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    let log = common::mask_rdb_line(&f.full_log());
    assert!(log.contains("Internal error in RDB reading offset 0, function at rdb.c:"), "{log}");
    assert_eq!(count(&log, "Quicklist integrity check failed"), 0, "the node is a ziplist: {log}");
    assert_eq!(count(&log, "integrity check failed"), 1, "{log}");
    // Redis logs this and panics ("Listpack corruption detected"); ferredis logs it and refuses the value.
    assert_eq!(count(&log, "listpack with dup elements dump (hexdump of 23 bytes):"), 1, "{log}");

    // Loading a file with empty values: each skipped with a warning, then the summary. Same lines as Redis.
    for kind in [Kind::Ferredis, Kind::Redis] {
        let dir = TempDir::new("corrupt-empty");
        std::fs::copy(corpus("rdb_loader").join("redis-asset-corrupt_empty_keys"), dir.path().join("dump.rdb"))
            .expect("copy asset");
        let s = Server::start_in(kind, dir.path(), &[]);
        assert_eq!(s.conn().cmd(&["DBSIZE"]), b":0\r\n");
        let log = common::mask_rdb_line(&s.full_log());
        for k in ["set", "list_quicklist", "list_quicklist_empty_ziplist", "list_ziplist", "hash", "hash_ziplist"] {
            assert_eq!(
                count_end(&log, &format!("# rdbLoadObject skipping empty key: {k}")),
                1,
                "{}: {log}",
                kind.label()
            );
        }
        for k in ["zset", "zset_ziplist", "zset_listpack"] {
            assert_eq!(
                count_end(&log, &format!("# rdbLoadObject skipping empty key: {k}")),
                1,
                "{}: {log}",
                kind.label()
            );
        }
        assert_eq!(
            count(&log, "# Done loading RDB, keys loaded: 0, keys expired: 0, empty keys skipped: 9."),
            1,
            "{}: {log}",
            kind.label()
        );
    }

    // A damaged file: both servers exit after the checker's report, which names the key and its type.
    for kind in [Kind::Ferredis, Kind::Redis] {
        let dir = TempDir::new("corrupt-ziplist");
        std::fs::copy(corpus("rdb_loader").join("redis-asset-corrupt_ziplist"), dir.path().join("dump.rdb"))
            .expect("copy asset");
        let (st, log) = run_until_exit(kind, dir.path(), &["--sanitize-dump-payload", "no"], 10_000);
        let log = common::mask_rdb_line(&log);
        assert!(st.is_some_and(|s| !s.success()), "{}: {st:?}", kind.label());
        assert_eq!(count(&log, "Terminating server after rdb file reading failure."), 1, "{log}");
        assert_eq!(count(&log, "Hash ziplist integrity check failed."), 2, "{}: {log}", kind.label());
        assert_eq!(
            marked(&log, &["Internal error in RDB"]),
            ["# Internal error in RDB reading offset 0, function at rdb.c:N -> Hash ziplist integrity check failed."],
            "{}",
            kind.label()
        );
        for line in [
            "--- RDB ERROR DETECTED ---",
            "[offset 494] Internal error in RDB reading offset 0, function at rdb.c:N -> Hash ziplist integrity \
             check failed.",
            "[additional info] While doing: read-object-value",
            "[additional info] Reading key 'key:000000000091'",
            "[additional info] Reading type 13 (hash-ziplist)",
            "[info] 16 keys read",
        ] {
            assert_eq!(count(&log, line), 1, "{}: {line}: {log}", kind.label());
        }
    }
}

/// A log's lines (`<pid>:<role> <date> <time> <mark> <message>`, not the checker's report also found there) as
/// `<level mark> <message>`, those containing one of `needles`.
fn marked(log: &str, needles: &[&str]) -> Vec<String> {
    log.lines()
        .filter(|l| needles.iter().any(|n| l.contains(n)))
        .filter(|l| l.split(' ').next().is_some_and(|p| p.contains(':') && p.starts_with(|c: char| c.is_ascii_digit())))
        .filter_map(|l| {
            let mut parts = l.splitn(7, ' ');
            Some(format!("{} {}", parts.nth(5)?, parts.next()?))
        })
        .collect()
}

/// What Redis logs for a failed load (and what would tell the failure apart).
const LOAD_REPORTS: &[&str] = &["Short read", "Internal error in RDB", "Wrong RDB checksum", "Terminating server"];

#[test]
fn debug_reload_of_a_file_with_a_bad_crc_needs_skip_checksum() {
    // A command's load (Redis's `isRestoreContext`): the reports go to the verbose log and the command fails.
    let kinds: &[Kind] = if common::have_redis() { &[Kind::Ferredis, Kind::Redis] } else { &[Kind::Ferredis] };
    let mut reports = Vec::new();
    for &kind in kinds {
        let s = Server::start(kind, &["--loglevel", "verbose"]);
        let mut c = s.conn();
        c.cmd(&["SET", "k", "v"]);
        assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
        let path = s.dir().join("dump.rdb");
        let mut b = std::fs::read(&path).expect("dump.rdb");
        let n = b.len();
        b[n - 3] ^= 0x10;
        std::fs::write(&path, &b).expect("write dump.rdb");
        assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), b"-ERR Error trying to load the RDB dump\r\n");
        let log = marked(&common::mask_rdb_line(&s.full_log()), LOAD_REPORTS);
        assert_eq!(log.len(), 2, "{}: {log:?}", kind.label());
        assert!(log[0].starts_with("# Wrong RDB checksum expected: (") && log[0].ends_with("). Aborting now."));
        assert_eq!(log[1], "- Internal error in RDB reading offset 0, function at rdb.c:N -> RDB CRC error");
        reports.push(log);
        assert_eq!(c.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    }
    // (The checksums themselves differ: the two files were saved at different times.)
    if let [f, r] = &reports[..] {
        assert_eq!(f[1], r[1], "ferredis (left), Redis (right)");
    }
}

/// A file cut short: at start-up the server reports it and exits from the checker, whose own report ends with the
/// EOF (no "Terminating server" line, as Redis); DEBUG RELOAD reports
/// it at verbose and fails, and the server goes on. The same lines as Redis, at the same levels.
#[test]
fn a_file_cut_short_is_reported_as_redis_reports_it() {
    if !common::have_redis() {
        return;
    }
    let src = Server::start(Kind::Ferredis, &[]);
    let mut c = src.conn();
    c.cmd(&["DEBUG", "POPULATE", "1000", "key", "100"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    let full = std::fs::read(src.dir().join("dump.rdb")).expect("dump.rdb");
    let cut = &full[..full.len() / 2];
    let mut at_start = Vec::new();
    let mut reloaded = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let dir = TempDir::new("cut-rdb");
        std::fs::write(dir.path().join("dump.rdb"), cut).expect("write");
        let (st, log) = run_until_exit(kind, dir.path(), &[], 10_000);
        let log = common::mask_rdb_line(&log);
        assert!(st.is_some_and(|s| !s.success()), "{}: {st:?}", kind.label());
        assert!(log.contains("--- RDB ERROR DETECTED ---"), "{}: {log}", kind.label());
        at_start.push(marked(&common::mask_rdb_line(&log), LOAD_REPORTS));

        let s = Server::start(kind, &["--loglevel", "verbose"]);
        std::fs::write(s.dir().join("dump.rdb"), cut).expect("write");
        let mut c = s.conn();
        assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), b"-ERR Error trying to load the RDB dump\r\n");
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
        reloaded.push(marked(&common::mask_rdb_line(&s.full_log()), LOAD_REPORTS));
    }
    assert_eq!(
        at_start[0],
        [
            "# Short read or OOM loading DB. Unrecoverable error, aborting now.",
            "# Internal error in RDB reading offset 0, function at rdb.c:N -> Unexpected EOF reading RDB file",
        ]
    );
    assert_eq!(at_start[0], at_start[1], "start-up: ferredis (left), Redis (right)");
    assert_eq!(
        reloaded[0],
        [
            "# Short read or OOM loading DB. Unrecoverable error, aborting now.",
            "- Internal error in RDB reading offset 0, function at rdb.c:N -> Unexpected EOF reading RDB file",
        ]
    );
    assert_eq!(reloaded[0], reloaded[1], "DEBUG RELOAD: ferredis (left), Redis (right)");
}
