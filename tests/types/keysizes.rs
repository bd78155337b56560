//! INFO keysizes (Redis 8.0): Redis's `tests/unit/info-keysizes.tcl` cases on ferredis, standalone and with a
//! replica (each histogram checked on the master, then awaited on the replica).
//!
//! skipped: no Redis 8 server is installable here, so there is no server oracle; the expected histograms are the
//! ones Redis's test suite states (its `run_cmd_verify_hist` strings), and where that suite computes them from the
//! data (`__EVAL_DB_HIST__`: HyperLogLogs, random datasets) they are computed here the same way, from STRLEN,
//! LLEN, SCARD, ZCARD and HLEN of every key. The key-memory histograms of Redis 8.6 (`key-memory-histograms`,
//! `distrib_*_sizes` of collections) are not part of this port.

use crate::common::{split_args, wait_for, Conn, Kind, Resp, Server, TempDir};

/// INFO keysizes without its header, spaces and line ends (the suite's `get_info_hist_stripped`).
fn stripped(c: &mut Conn) -> String {
    let raw = c.cmd(&["INFO", "keysizes"]);
    let text = match Resp::parse(&raw) {
        Ok(r) => String::from_utf8_lossy(r.as_bytes().unwrap_or_default()).into_owned(),
        Err(e) => panic!("INFO keysizes: {e}"),
    };
    text.replace("# Keysizes", "").replace([' ', '\r', '\n'], "")
}

/// The suite's shorthand expanded: `db0_STR:4=1 db0_HASH:1=1` with the type names INFO prints, spaces removed.
fn expand(exp: &str) -> String {
    exp.replace("_ZSET:", "_distrib_zsets_items:")
        .replace("_STR:", "_distrib_strings_sizes:")
        .replace("_LIST:", "_distrib_lists_items:")
        .replace("_SET:", "_distrib_sets_items:")
        .replace("_HASH:", "_distrib_hashes_items:")
        .replace([' ', '\r', '\n'], "")
}

/// The suite's `eval_db_histogram`: the expected lines of database `db` from every key's type and length.
fn eval_db(c: &mut Conn, db: usize) -> String {
    c.cmd(&["SELECT", &db.to_string()]);
    let keys: Vec<Vec<u8>> = match Resp::parse(&c.cmd(&["KEYS", "*"])) {
        Ok(r) => {
            r.items().map(|v| v.iter().filter_map(|k| k.as_bytes().map(<[u8]>::to_vec)).collect()).unwrap_or_default()
        }
        Err(e) => panic!("KEYS: {e}"),
    };
    let mut counts = std::collections::BTreeMap::<(usize, u64), u64>::new();
    for k in keys {
        let t = c.cmd(&[b"TYPE".as_slice(), &k]);
        let (ty, len_cmd) = match &t[..] {
            b"+string\r\n" => (0, "STRLEN"),
            b"+list\r\n" => (1, "LLEN"),
            b"+set\r\n" => (2, "SCARD"),
            b"+zset\r\n" => (3, "ZCARD"),
            b"+hash\r\n" => (4, "HLEN"),
            _ => continue,
        };
        let n = Resp::parse(&c.cmd(&[len_cmd.as_bytes(), &k])).ok().and_then(|r| r.as_int()).unwrap_or(0) as u64;
        let power = if n == 0 { 0 } else { 1u64 << (63 - n.leading_zeros()) };
        *counts.entry((ty, power)).or_default() += 1;
    }
    c.cmd(&["SELECT", "0"]);
    let names = ["STR", "LIST", "SET", "ZSET", "HASH"];
    let mut out = Vec::new();
    for (ty, name) in names.iter().enumerate() {
        let bins: Vec<String> = counts
            .iter()
            .filter(|((t, _), _)| *t == ty)
            .map(|((_, p), n)| {
                let label = match *p {
                    p if p >= 1 << 20 => format!("{}M", p >> 20),
                    p if p >= 1024 => format!("{}K", p >> 10),
                    p => p.to_string(),
                };
                format!("{label}={n}")
            })
            .collect();
        if !bins.is_empty() {
            out.push(format!("db{db}_{name}:{}", bins.join(",")));
        }
    }
    expand(&out.join(" "))
}

/// A master and, in replica mode, its replica: each check runs a command on the master, compares the master's
/// histogram, then waits for the replica's to be the same (the suite's `run_cmd_verify_hist`).
struct Hist {
    m: Conn,
    r: Option<Conn>,
}

impl Hist {
    fn check(&mut self, args: &[Vec<u8>], exp: &str, wait: bool) {
        if !args.is_empty() {
            self.m.cmd(args);
        }
        let what = String::from_utf8_lossy(&args.join(&b' ')).into_owned();
        let want = if exp == "EVAL" { eval_db(&mut self.m, 0) } else { expand(exp) };
        if wait {
            let m = &mut self.m;
            wait_for(&format!("histogram {want} after {what}"), || stripped(m) == want);
        } else {
            assert_eq!(stripped(&mut self.m), want, "after {what}");
        }
        if let Some(r) = &mut self.r {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let last = loop {
                let now = stripped(r);
                if now == want || std::time::Instant::now() > deadline {
                    break now;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            };
            assert_eq!(last, want, "replica, after {what}");
        }
    }

    /// A command line (the suite's `run_cmd_verify_hist {$server ...} {exp}`); `""` runs nothing.
    fn run(&mut self, line: &str, exp: &str) {
        let args = if line.is_empty() { Vec::new() } else { split_args(line).expect("test line") };
        self.check(&args, exp, false);
    }

    /// [`Hist::run`] that waits for the histogram (expiry in the background).
    fn run_wait(&mut self, line: &str, exp: &str) {
        let args = if line.is_empty() { Vec::new() } else { split_args(line).expect("test line") };
        self.check(&args, exp, true);
    }

    fn cmd(&mut self, line: &str) -> Vec<u8> {
        self.m.cmd_str(line)
    }
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(std::time::Duration::from_millis(ms));
}

fn bins_and_units(h: &mut Hist) {
    h.run("FLUSHALL", "");
    let mut s = String::new();
    for i in 1..=10u32 {
        s.push('x');
        let log_value = 1u32 << (31 - i.leading_zeros());
        h.run(&format!("SET mykey {s}"), &format!("db0_STR:{log_value}=1"));
    }
    h.run("FLUSHALL", "");
    h.run("SET x 0123456789ABCDEF", "db0_STR:16=1");
    for label in [
        "32", "64", "128", "256", "512", "1K", "2K", "4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K", "1M",
        "2M",
    ] {
        let v = Resp::parse(&h.m.cmd(&["GET", "x"]))
            .ok()
            .and_then(|r| r.as_bytes().map(<[u8]>::to_vec))
            .unwrap_or_default();
        h.check(&[b"APPEND".to_vec(), b"x".to_vec(), v], &format!("db0_STR:{label}=1"), false);
    }
}

fn hyperloglog(h: &mut Hist) {
    h.run("FLUSHALL", "");
    for i in 1..=3000 {
        h.cmd(&format!("PFADD hll1 a{i} b{i} c{i}"));
        h.cmd(&format!("PFADD hll2 x{i} y{i} z{i}"));
        // The suite checks after every step; every 97th (and the sparse-to-dense moves around it) is enough here.
        if i % 97 == 0 || i == 3000 {
            h.run("", "EVAL");
        }
    }
    for i in 1..=3000 {
        h.cmd(&format!("PFADD hll3 x{i} y{i} z{i}"));
        h.cmd("PFMERGE hll4 hll1 hll2 hll3");
        h.cmd("PFCOUNT hll1 hll2 hll3 hll4");
        if i % 97 == 0 || i == 3000 {
            h.run("", "EVAL");
        }
    }
    h.run("DEL hll4", "EVAL");
    h.run("DEL hll3", "EVAL");
    h.run("DEL hll1", "EVAL");
    h.run("DEL hll2", "");
    h.run("FLUSHALL", "");
    h.run("PFADD hll1 a b c d e f g h i j k l m", "db0_STR:32=1");
    h.run("SET hll1 1234567", "db0_STR:4=1");
    assert!(h.cmd("PFADD hll1 a b c d e f g h i j k l m").starts_with(b"-"));
    h.run("", "db0_STR:4=1");
    h.run("FLUSHALL", "");
    h.run("PFADD hll1 a b c d e f g h i j k l m", "db0_STR:32=1");
    h.run("PEXPIRE hll1 50", "db0_STR:32=1");
    h.run_wait("", "");
}

fn lists(h: &mut Hist) {
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("RPUSH l1 1 2 3 4 5", "db0_LIST:4=1"),
        ("RPUSH l1 6 7 8 9", "db0_LIST:8=1"),
        ("LPUSH l2 1", "db0_LIST:1=1,8=1"),
        ("LPUSH l2 2", "db0_LIST:2=1,8=1"),
        ("LPUSHX l2 3", "db0_LIST:2=1,8=1"),
        ("RPUSHX l2 4", "db0_LIST:4=1,8=1"),
        ("RPOP l1", "db0_LIST:4=1,8=1"),
        ("RPOP l1", "db0_LIST:4=2"),
        ("DEL l1", "db0_LIST:4=1"),
        ("RPUSH l3 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14", "db0_LIST:4=1,8=1"),
        ("LINSERT l3 AFTER 9 10", "db0_LIST:4=1,16=1"),
        ("LTRIM l3 0 8", "db0_LIST:4=1,8=1"),
        ("DEL l3", "db0_LIST:4=1"),
        ("DEL l2", ""),
        ("RPUSH l4 1 2 3 4 5 6 7 8", "db0_LIST:8=1"),
        ("LMOVE l4 l5 LEFT LEFT", "db0_LIST:1=1,4=1"),
        ("LMOVE l4 l5 RIGHT RIGHT", "db0_LIST:2=1,4=1"),
        ("LMOVE l4 l5 LEFT RIGHT", "db0_LIST:2=1,4=1"),
        ("LMOVE l4 l5 RIGHT LEFT", "db0_LIST:4=2"),
        ("BLMOVE l4 l5 RIGHT LEFT 0", "db0_LIST:2=1,4=1"),
        ("DEL l4", "db0_LIST:4=1"),
        ("DEL l5", ""),
        ("RPUSH l6 1 2 3 4 5 6 7 8 9 10", "db0_LIST:8=1"),
        ("LMPOP 1 l6 LEFT COUNT 2", "db0_LIST:8=1"),
        ("LMPOP 1 l6 LEFT COUNT 1", "db0_LIST:4=1"),
        ("LMPOP 1 l6 LEFT COUNT 6", "db0_LIST:1=1"),
        ("FLUSHALL", ""),
        ("RPUSH l7 1 2 3 4", "db0_LIST:4=1"),
        ("LPOP l7", "db0_LIST:2=1"),
        ("LPOP l7", "db0_LIST:2=1"),
        ("LPOP l7", "db0_LIST:1=1"),
        ("LPOP l7", ""),
        ("FLUSHALL", ""),
        ("RPUSH l8 y x y x y x y x y y", "db0_LIST:8=1"),
        ("LREM l8 3 x", "db0_LIST:4=1"),
        ("LREM l8 0 y", "db0_LIST:1=1"),
        ("LREM l8 0 x", ""),
        ("FLUSHALL", ""),
        ("RPUSH l9 1 2 3 4", "db0_LIST:4=1"),
        ("PEXPIRE l9 50", "db0_LIST:4=1"),
    ] {
        h.run(line, exp);
    }
    h.run_wait("", "");
    h.run("FLUSHALL", "");
    h.run("RPUSH l9 1 2 3 4", "db0_LIST:4=1");
    h.run("SET l9 1234567", "db0_STR:4=1");
    h.run("DEL l9", "");
}

fn sets(h: &mut Hist) {
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("SADD s1 1 2 3 4 5", "db0_SET:4=1"),
        ("SADD s1 6 7 8", "db0_SET:8=1"),
        ("SADD s2 1", "db0_SET:1=1,8=1"),
        ("SADD s2 2", "db0_SET:2=1,8=1"),
        ("SREM s2 3", "db0_SET:2=1,8=1"),
        ("SMOVE s2 s3 2", "db0_SET:1=2,8=1"),
        ("SPOP s3", "db0_SET:1=1,8=1"),
        ("SPOP s2", "db0_SET:8=1"),
        ("SPOP s1", "db0_SET:4=1"),
        ("SPOP s1 7", ""),
        ("SADD s2 1", "db0_SET:1=1"),
        ("SMOVE s2 s4 1", "db0_SET:1=1"),
        ("SREM s4 1", ""),
        ("SADD s2 1 2 3 4 5 6 7 8", "db0_SET:8=1"),
        ("SPOP s2 7", "db0_SET:1=1"),
        ("FLUSHALL", ""),
        ("SADD s1 1 2 3 4 5 6 7 8", "db0_SET:8=1"),
        ("SADD s2 6 7 8 9 A B C D", "db0_SET:8=2"),
        ("SADD s3 x", "db0_SET:1=1,8=2"),
        ("SDIFFSTORE s3 s1 s2", "db0_SET:4=1,8=2"),
        ("FLUSHALL", ""),
        ("SADD s1 1 2 3 4 5 6 7 8", "db0_SET:8=1"),
        ("SADD s2 6 7 8 9 A B C D", "db0_SET:8=2"),
        ("SADD s3 x", "db0_SET:1=1,8=2"),
        ("SINTERSTORE s3 s1 s2", "db0_SET:2=1,8=2"),
        ("FLUSHALL", ""),
        ("SADD s1 1 2 3 4 5 6 7 8", "db0_SET:8=1"),
        ("SADD s2 6 7 8 9 A B C D", "db0_SET:8=2"),
        ("SUNIONSTORE s3 s1 s2", "db0_SET:8=3"),
        ("SADD s4 E F G H", "db0_SET:4=1,8=3"),
        ("SUNIONSTORE s5 s3 s4", "db0_SET:4=1,8=3,16=1"),
        ("FLUSHALL", ""),
        ("SADD s1 1 2 3 4 5 6 7 8", "db0_SET:8=1"),
        ("DEL s1", ""),
        ("FLUSHALL", ""),
        ("SADD s1 1 2 3 4 5 6 7 8", "db0_SET:8=1"),
        ("PEXPIRE s1 50", "db0_SET:8=1"),
    ] {
        h.run(line, exp);
    }
    h.run_wait("", "");
    h.run("FLUSHALL", "");
    h.run("SADD s1 1 2 3 4 5 6 7 8", "db0_SET:8=1");
    h.run("SET s1 1234567", "db0_STR:4=1");
    h.run("DEL s1", "");
}

fn zsets(h: &mut Hist) {
    let steps: &[(&str, &str)] = &[
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("ZADD z1 6 f 7 g 8 h 9 i", "db0_ZSET:8=1"),
        ("ZADD z2 1 a", "db0_ZSET:1=1,8=1"),
        ("ZREM z1 a", "db0_ZSET:1=1,8=1"),
        ("ZREM z1 b", "db0_ZSET:1=1,4=1"),
        ("ZREM z1 c d e f g h i", "db0_ZSET:1=1"),
        ("ZREM z2 a", ""),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("ZREMRANGEBYSCORE z1 -inf (2", "db0_ZSET:4=1"),
        ("ZREMRANGEBYSCORE z1 -inf (3", "db0_ZSET:2=1"),
        ("ZREMRANGEBYSCORE z1 -inf +inf", ""),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e 6 f", "db0_ZSET:4=1"),
        ("ZREMRANGEBYRANK z1 0 1", "db0_ZSET:4=1"),
        ("ZREMRANGEBYRANK z1 0 0", "db0_ZSET:2=1"),
        ("FLUSHALL", ""),
        ("ZADD z1 0 a 0 b 0 c 0 d 0 e 0 f", "db0_ZSET:4=1"),
        ("ZREMRANGEBYLEX z1 - (d", "db0_ZSET:2=1"),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("ZADD z2 6 f 7 g 8 h 9 i", "db0_ZSET:4=2"),
        ("ZUNIONSTORE z3 2 z1 z2", "db0_ZSET:4=2,8=1"),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("ZADD z2 3 c 4 d 5 e 6 f", "db0_ZSET:4=2"),
        ("ZINTERSTORE z3 2 z1 z2", "db0_ZSET:2=1,4=2"),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("BZPOPMIN z1 0", "db0_ZSET:4=1"),
        ("BZPOPMAX z1 0", "db0_ZSET:2=1"),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("ZADD z2 3 c 4 d 5 e 6 f", "db0_ZSET:4=2"),
        ("ZDIFFSTORE z3 2 z1 z2", "db0_ZSET:2=1,4=2"),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("ZADD z2 3 c 4 d 5 e 6 f", "db0_ZSET:4=2"),
        ("ZADD z3 1 x", "db0_ZSET:1=1,4=2"),
        ("ZINTERSTORE z4 2 z1 z2", "db0_ZSET:1=1,2=1,4=2"),
        ("ZINTERSTORE z4 2 z1 z3", "db0_ZSET:1=1,4=2"),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("DEL z1", ""),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("PEXPIRE z1 50", "db0_ZSET:4=1"),
    ];
    for (line, exp) in steps {
        h.run(line, exp);
    }
    h.run_wait("", "");
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e", "db0_ZSET:4=1"),
        ("SET z1 1234567", "db0_STR:4=1"),
        ("DEL z1", ""),
        ("FLUSHALL", ""),
        ("ZADD z1 1 a 2 b 3 c", "db0_ZSET:2=1"),
        ("ZMPOP 1 z1 MIN", "db0_ZSET:2=1"),
        ("ZMPOP 1 z1 MAX COUNT 2", ""),
    ] {
        h.run(line, exp);
    }
}

fn strings(h: &mut Hist) {
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("SET s2 1234567890", "db0_STR:8=1"),
        ("SETRANGE s2 10 123456", "db0_STR:16=1"),
        ("FLUSHALL", ""),
        ("SETRANGE k 200000 v", "db0_STR:128K=1"),
        ("FLUSHALL", ""),
        ("MSET s3 1 s4 2 s5 3", "db0_STR:1=3"),
        ("MSETNX s6 1 s7 2 s8 3", "db0_STR:1=6"),
        ("FLUSHALL", ""),
        ("SET s9 1234567890", "db0_STR:8=1"),
        ("DEL s9", ""),
        ("FLUSHALL", ""),
        ("SET s10 1234567890", "db0_STR:8=1"),
        ("PEXPIRE s10 50", "db0_STR:8=1"),
    ] {
        h.run(line, exp);
    }
    h.run_wait("", "");
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("SET s1 1024", "db0_STR:4=1"),
        ("SET s1 842", "db0_STR:2=1"),
        ("SET s1 2", "db0_STR:1=1"),
        ("SET s1 1234567", "db0_STR:4=1"),
        ("FLUSHALL", ""),
        ("SET s1 \"\"", "db0_STR:0=1"),
        ("SET s1 \"\"", "db0_STR:0=1"),
        ("SET s2 \"\"", "db0_STR:0=2"),
        ("SET s2 bla", "db0_STR:0=1,2=1"),
        ("SET s2 \"\"", "db0_STR:0=2"),
        ("HSET h f v", "db0_STR:0=2 db0_HASH:1=1"),
        ("SET h \"\"", "db0_STR:0=3"),
        ("DEL h", "db0_STR:0=2"),
        ("DEL s2", "db0_STR:0=1"),
        ("DEL s1", ""),
        ("FLUSHALL", ""),
        ("APPEND s1 x", "db0_STR:1=1"),
        ("APPEND s2 y", "db0_STR:1=2"),
        // Beyond the suite: counters and in-place string changes (INCR's digits, GETSET, SETEX, GETDEL).
        ("FLUSHALL", ""),
        ("INCR n", "db0_STR:1=1"),
        ("INCRBY n 99", "db0_STR:2=1"),
        ("INCRBYFLOAT n 0.5", "db0_STR:4=1"),
        ("GETSET n 1", "db0_STR:1=1"),
        ("SETEX n 100 123456789", "db0_STR:8=1"),
        ("GETDEL n", ""),
    ] {
        h.run(line, exp);
    }
}

fn unlink(h: &mut Hist) {
    for (fill, exp) in [
        ("SET s1 1234567890", "db0_STR:8=1"),
        ("RPUSH l1 1 2 3 4 5 6 7 8", "db0_LIST:8=1"),
        ("SADD s1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "db0_SET:16=1"),
        ("ZADD z1 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h", "db0_ZSET:8=1"),
        ("HSET h1 f1 v1 f2 v2 f3 v3 f4 v4", "db0_HASH:4=1"),
    ] {
        h.run("FLUSHALL", "");
        h.run(fill, exp);
        let key = fill.split(' ').nth(1).unwrap_or_default();
        h.run_wait(&format!("UNLINK {key}"), "");
    }
    h.run("FLUSHALL", "");
    h.run("SET s1 12345678", "db0_STR:8=1");
    h.run("RPUSH l1 1 2 3 4", "db0_STR:8=1 db0_LIST:4=1");
    h.run("SADD set1 a b c d e f g h", "db0_STR:8=1 db0_LIST:4=1 db0_SET:8=1");
    h.run("ZADD z1 1 x 2 y", "db0_STR:8=1 db0_LIST:4=1 db0_SET:8=1 db0_ZSET:2=1");
    h.run_wait("UNLINK s1 l1 set1 z1", "");
}

/// The suite's `createComplexDataset`, in its spirit: random writes of every type over a small key space (so
/// keys are overwritten, emptied and retyped), some with TTLs and field TTLs that lapse while it runs.
fn complex_dataset(c: &mut Conn, ops: usize, expire: bool, seed: u64) {
    let mut x = seed;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for _ in 0..ops {
        let k = format!("k{}", next(40));
        let v = "v".repeat(next(40) as usize);
        let f = format!("f{}", next(12));
        let n = next(100).to_string();
        let args: Vec<String> = match next(22) {
            0 => vec!["SET".into(), k, v],
            1 => vec!["APPEND".into(), k, v],
            2 => vec!["INCR".into(), k],
            3 => vec!["RPUSH".into(), k, v, n],
            4 => vec!["LPOP".into(), k],
            5 => vec!["LTRIM".into(), k, "0".into(), next(5).to_string()],
            6 => vec!["SADD".into(), k, n, v],
            7 => vec!["SREM".into(), k, n],
            8 => vec!["SPOP".into(), k, next(3).to_string()],
            9 => vec!["ZADD".into(), k, n.clone(), n],
            10 => vec!["ZREMRANGEBYRANK".into(), k, "0".into(), next(3).to_string()],
            11 => vec!["HSET".into(), k, f, v],
            12 => vec!["HDEL".into(), k, f],
            13 => vec!["DEL".into(), k],
            14 => vec!["SUNIONSTORE".into(), k, format!("k{}", next(40)), format!("k{}", next(40))],
            15 => vec!["ZUNIONSTORE".into(), k, "2".into(), format!("k{}", next(40)), format!("k{}", next(40))],
            16 => vec!["RENAME".into(), k, format!("k{}", next(40))],
            17 => vec!["SORT".into(), k, "ALPHA".into(), "STORE".into(), format!("k{}", next(40))],
            18 => vec!["SETRANGE".into(), k, next(30).to_string(), v],
            19 if expire => vec!["PEXPIRE".into(), k, (1 + next(30)).to_string()],
            20 if expire => vec!["HPEXPIRE".into(), k, (1 + next(30)).to_string(), "FIELDS".into(), "1".into(), f],
            21 => vec!["LMOVE".into(), k, format!("k{}", next(40)), "LEFT".into(), "RIGHT".into()],
            _ => vec!["COPY".into(), k, format!("k{}", next(40)), "REPLACE".into()],
        };
        c.cmd(&args);
    }
}

fn complex(h: &mut Hist) {
    h.run("FLUSHALL", "");
    complex_dataset(&mut h.m, 1000, false, 0x9e37_79b9);
    h.run("", "EVAL");
    h.run("FLUSHALL", "");
    complex_dataset(&mut h.m, 1000, true, 0x1234_5678);
    // Keys and fields with TTLs lapse until none is left to change the histogram under the scan.
    sleep_ms(60);
    h.run_wait("", "EVAL");
}

fn hashes(h: &mut Hist, encoding: &str) {
    let entries = if encoding == "hashtable" { "0" } else { "512" };
    h.cmd(&format!("CONFIG SET hash-max-listpack-entries {entries}"));
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("HSETNX h1 1 1", "db0_HASH:1=1"),
        ("HSETNX h1 2 2", "db0_HASH:2=1"),
        ("FLUSHALL", ""),
        ("HSET h2 1 1", "db0_HASH:1=1"),
        ("HSET h2 2 2", "db0_HASH:2=1"),
        ("HDEL h2 1", "db0_HASH:1=1"),
        ("HDEL h2 2", ""),
        ("HSET h2 1 1 2 2", "db0_HASH:2=1"),
        ("HDEL h2 1 2", ""),
        ("FLUSHALL", ""),
        ("HSETEX h2 FIELDS 1 1 1", "db0_HASH:1=1"),
        ("HSETEX h2 FIELDS 1 2 2", "db0_HASH:2=1"),
        ("HGETDEL h2 FIELDS 1 1", "db0_HASH:1=1"),
        ("HGETDEL h2 FIELDS 1 3", "db0_HASH:1=1"),
        ("HGETDEL h2 FIELDS 1 2", ""),
        ("FLUSHALL", ""),
        ("HSETEX h1 FIELDS 2 f1 1 f2 1", "db0_HASH:2=1"),
        ("HGETEX h1 PXAT 1 FIELDS 1 f1", "db0_HASH:1=1"),
        ("HSETEX h1 FIELDS 1 f3 1", "db0_HASH:2=1"),
        ("HGETEX h1 PX 50 FIELDS 1 f2", "db0_HASH:2=1"),
    ] {
        h.run(line, exp);
    }
    h.run_wait("", "db0_HASH:1=1");
    h.run("HGETEX h1 PX 50 FIELDS 1 f3", "db0_HASH:1=1");
    h.run_wait("", "");
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("HSETEX h1 FIELDS 2 f1 1 f2 1", "db0_HASH:2=1"),
        ("HSETEX h1 PXAT 1 FIELDS 1 f1 v1", "db0_HASH:1=1"),
        ("HSETEX h1 FIELDS 1 f3 1", "db0_HASH:2=1"),
        ("HSETEX h1 PX 50 FIELDS 1 f2 v2", "db0_HASH:2=1"),
    ] {
        h.run(line, exp);
    }
    h.run_wait("", "db0_HASH:1=1");
    h.run("HSETEX h1 PX 50 FIELDS 1 f3 v3", "db0_HASH:1=1");
    h.run_wait("", "");
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("HMSET h1 1 1 2 2 3 3", "db0_HASH:2=1"),
        ("HMSET h1 1 1 2 2 3 3", "db0_HASH:2=1"),
        ("HMSET h1 1 1 2 2 3 3 4 4", "db0_HASH:4=1"),
        ("FLUSHALL", ""),
        ("HINCRBY h1 f1 10", "db0_HASH:1=1"),
        ("HINCRBY h1 f1 10", "db0_HASH:1=1"),
        ("HINCRBY h1 f2 20", "db0_HASH:2=1"),
        ("FLUSHALL", ""),
        ("HINCRBYFLOAT h1 f1 10.5", "db0_HASH:1=1"),
        ("HINCRBYFLOAT h1 f1 10.5", "db0_HASH:1=1"),
        ("HINCRBYFLOAT h1 f2 10.5", "db0_HASH:2=1"),
        ("FLUSHALL", ""),
        ("HSET h1 f1 1", "db0_HASH:1=1"),
        ("HSET h1 f2 1", "db0_HASH:2=1"),
        ("HPEXPIREAT h1 1 FIELDS 1 f1", "db0_HASH:1=1"),
        ("HSET h1 f3 1", "db0_HASH:2=1"),
        ("HPEXPIRE h1 50 FIELDS 1 f2", "db0_HASH:2=1"),
    ] {
        h.run(line, exp);
    }
    h.run_wait("", "db0_HASH:1=1");
    h.run("HPEXPIRE h1 50 FIELDS 1 f3", "db0_HASH:1=1");
    h.run_wait("", "");
}

fn hash_lazy_expiry(h: &mut Hist) {
    h.cmd("DEBUG SET-ACTIVE-EXPIRE 0");
    // (command, expected) steps; "SLEEP" waits 5 ms for the 1 ms field TTLs to pass.
    let steps: &[(&str, &str)] = &[
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 2 f1 v1 f2 v2", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HGET h1 f1", "db0_HASH:1=1"),
        ("HGET h1 f2", ""),
        ("HSETEX h1 PX 1 FIELDS 2 f1 v1 f2 v2", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HMGET h1 f1", "db0_HASH:1=1"),
        ("HMGET h1 f2", ""),
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 2 f1 v1 f2 v2", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HGETDEL h1 FIELDS 1 f1", "db0_HASH:1=1"),
        ("HGETDEL h1 FIELDS 1 f2", ""),
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 2 f1 v1 f2 v2", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HGETEX h1 PX 1 FIELDS 1 f1", "db0_HASH:1=1"),
        ("HGETEX h1 PX 1 FIELDS 1 f2", ""),
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 1 f1 v1", "db0_HASH:1=1"),
        ("SLEEP", "db0_HASH:1=1"),
        ("HSETNX h1 f1 v1", "db0_HASH:1=1"),
        ("DEL h1", ""),
        ("HSETEX h2 PX 1 FIELDS 2 f1 v1 f2 v2", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HSETNX h2 f1 v1", "db0_HASH:2=1"),
        ("HSETNX h2 f2 v2", "db0_HASH:2=1"),
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 1 f1 v1", "db0_HASH:1=1"),
        ("SLEEP", "db0_HASH:1=1"),
        ("HSETEX h1 PX 1 FIELDS 1 f1 v1", "db0_HASH:1=1"),
        ("HSETEX h1 PX 1 FIELDS 1 f2 v2", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HGET h1 f1", "db0_HASH:1=1"),
        ("HGET h1 f2", ""),
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 2 f1 v1 f2 v2", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HEXISTS h1 f1", "db0_HASH:1=1"),
        ("HEXISTS h1 f2", ""),
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 2 f1 v1 f2 v2", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HSTRLEN h1 f1", "db0_HASH:1=1"),
        ("HSTRLEN h1 f2", ""),
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 1 f1 1", "db0_HASH:1=1"),
        ("SLEEP", "db0_HASH:1=1"),
        ("HINCRBYFLOAT h1 f1 1.5", "db0_HASH:1=1"),
        ("FLUSHALL", ""),
        ("HSETEX h1 PX 1 FIELDS 1 f1 1", "db0_HASH:1=1"),
        ("SLEEP", "db0_HASH:1=1"),
        ("HINCRBY h1 f1 1", "db0_HASH:1=1"),
        ("HSETEX h1 PX 1 FIELDS 1 f2 1", "db0_HASH:2=1"),
        ("SLEEP", "db0_HASH:2=1"),
        ("HINCRBY h1 f2 1", "db0_HASH:2=1"),
        ("FLUSHALL", ""),
        ("RPUSH user_ids 1 2", "db0_LIST:2=1"),
        ("HSET user:1 name Alice score 50", "db0_LIST:2=1 db0_HASH:2=1"),
        ("HSETEX user:2 PX 1 FIELDS 2 name Bob score 70", "db0_LIST:2=1 db0_HASH:2=2"),
        ("SLEEP", "db0_LIST:2=1 db0_HASH:2=2"),
        ("SORT user_ids BY user:*->score GET user:*->name GET user:*->score", "db0_LIST:2=1 db0_HASH:2=1"),
        ("DEL user_ids", "db0_HASH:2=1"),
        ("RPUSH user_ids 1", "db0_LIST:1=1 db0_HASH:2=1"),
        ("HSETEX user:1 PX 1 FIELDS 2 name Alice score 50", "db0_LIST:1=1 db0_HASH:2=1"),
        ("SLEEP", "db0_LIST:1=1 db0_HASH:2=1"),
        ("SORT user_ids BY user:*->score GET user:*->name GET user:*->score", "db0_LIST:1=1"),
    ];
    for (line, exp) in steps {
        if *line == "SLEEP" {
            sleep_ms(5);
            h.run("", exp);
        } else {
            h.run(line, exp);
        }
    }
    h.cmd("DEBUG SET-ACTIVE-EXPIRE 1");
}

fn bits(h: &mut Hist) {
    for (line, exp) in [
        ("FLUSHALL", ""),
        ("SET b1 x123456789", "db0_STR:8=1"),
        ("SET b2 x12345678", "db0_STR:8=2"),
        ("BITOP AND b3 b1 b2", "db0_STR:8=3"),
        ("BITOP OR b4 b1 b2", "db0_STR:8=4"),
        ("BITOP XOR b5 b1 b2", "db0_STR:8=5"),
        ("FLUSHALL", ""),
        ("SET b0 \"\"", "db0_STR:0=1"),
        ("SETBIT b0 72 1", "db0_STR:8=1"),
        ("FLUSHALL", ""),
        ("SETBIT b1 71 1", "db0_STR:8=1"),
        ("SETBIT b1 72 1", "db0_STR:8=1"),
        ("SETBIT b2 72 1", "db0_STR:8=2"),
        ("SETBIT b2 640 0", "db0_STR:8=1,64=1"),
        ("FLUSHALL", ""),
        ("SET b0 \"\"", "db0_STR:0=1"),
        ("BITFIELD b0 SET u8 72 255", "db0_STR:8=1"),
        ("FLUSHALL", ""),
        ("BITFIELD b3 SET u8 6 255", "db0_STR:2=1"),
        ("BITFIELD b3 SET u8 65 255", "db0_STR:8=1"),
        ("BITFIELD b4 SET u8 1000 255", "db0_STR:8=1,64=1"),
    ] {
        h.run(line, exp);
    }
}

fn keyspace_moves(h: &mut Hist) {
    h.run("FLUSHALL", "");
    h.run("RPUSH l10 1 2 3 4", "db0_LIST:4=1");
    let dump = Resp::parse(&h.m.cmd(&["DUMP", "l10"])).ok().and_then(|r| r.as_bytes().map(<[u8]>::to_vec));
    h.run("DEL l10", "");
    let dump = dump.expect("DUMP l10");
    h.check(&[b"RESTORE".to_vec(), b"l11".to_vec(), b"0".to_vec(), dump], "db0_LIST:4=1", false);

    h.run("FLUSHALL", "");
    h.run("RPUSH l12 1 2 3 4", "db0_LIST:4=1");
    h.run("RENAME l12 l13", "db0_LIST:4=1");

    h.run("FLUSHALL", "");
    h.run("RPUSH l1 1 2 3 4", "db0_LIST:4=1");
    h.run("RPUSH l2 1", "db0_LIST:1=1,4=1");
    h.run("MOVE l1 1", "db0_LIST:1=1 db1_LIST:4=1");
    // Beyond the suite: COPY into another database, and over a key of another type.
    h.run("COPY l2 l1 DB 1 REPLACE", "db0_LIST:1=1 db1_LIST:1=1");
    h.run("SET s 12345", "db0_STR:4=1 db0_LIST:1=1 db1_LIST:1=1");
    h.run("COPY l2 s REPLACE", "db0_LIST:1=2 db1_LIST:1=1");

    h.run("FLUSHALL", "");
    h.run("RPUSH l1 1 2 3 4", "db0_LIST:4=1");
    h.cmd("SELECT 1");
    h.run("ZADD z1 1 A", "db0_LIST:4=1 db1_ZSET:1=1");
    h.run("SWAPDB 0 1", "db0_ZSET:1=1 db1_LIST:4=1");
    h.run("FLUSHDB", "db0_ZSET:1=1");
    h.cmd("SELECT 0");
    h.run("FLUSHDB ASYNC", "");

    h.run("FLUSHALL", "");
    h.run("RPUSH l10 1 2 3 4", "db0_LIST:4=1");
    h.run("SET s2 1234567890", "db0_STR:8=1 db0_LIST:4=1");
    h.run("DEBUG RELOAD", "db0_STR:8=1 db0_LIST:4=1");
    h.run("DEL l10", "db0_STR:8=1");
    h.run("DEBUG RELOAD", "db0_STR:8=1");
}

/// The writes that report their size change themselves (INCR/DECR/INCRBY, SADD, HSET/HMSET, LPUSH/RPUSH: no
/// size read at their lookup, see `keyspace/keysizes.rs`'s "Reported writes"): every bin crossing in both
/// directions, new keys, encoding conversions, a TTL, and the same writes inside MULTI and a script, each
/// compared with a scan of the keys (and, in the DEBUG KEYSIZES-HIST-ASSERT test, checked after every command).
fn reported_writes(h: &mut Hist) {
    h.run("FLUSHALL", "");
    // Counters across decimal lengths, up and down, a negative sign, from a stored string and under a TTL.
    for line in [
        "SET n 9",
        "INCR n",
        "DECR n",
        "INCRBY n 90",
        "INCRBY n -100",
        "DECRBY n 1",
        "INCRBY n -999999",
        "INCRBY n 1999998",
        "SET m 0123",
        "SET m 99",
        "INCR m",
        "DECRBY m 1000000000000",
        "SET t 7 EX 100",
        "INCRBY t 1000",
        "INCR fresh",
        "DECR fresh2",
        "INCRBY big 9223372036854775806",
        "INCR big",
        "INCR big",
    ] {
        h.run(line, "EVAL");
    }
    for (line, reply) in [
        ("GET n", "$6\r\n999997\r\n"),
        ("GET m", "$13\r\n-999999999900\r\n"),
        ("GET t", "$4\r\n1007\r\n"),
        ("GET big", "$19\r\n9223372036854775807\r\n"),
        ("GET fresh2", "$2\r\n-1\r\n"),
    ] {
        assert_eq!(String::from_utf8_lossy(&h.cmd(line)), reply, "{line}");
    }
    // Collections growing from nothing across bins, the same members or fields again, and conversions.
    h.run("FLUSHALL", "");
    for i in 0..20 {
        h.run(&format!("SADD s {i} x{i}"), "EVAL");
        h.run(&format!("SADD s {i}"), "EVAL");
        h.run(&format!("HSET h f{i} v f{} v", i + 100), "EVAL");
        h.run(&format!("HMSET h f{i} w"), "EVAL");
        h.run(&format!("LPUSH l a{i} b{i}"), "EVAL");
        h.run(&format!("RPUSH l c{i}"), "EVAL");
        h.run(&format!("RPUSH l{i} only"), "EVAL");
    }
    h.run(&format!("SADD s {}", "y".repeat(100)), "EVAL");
    h.run(&format!("HSET h long {}", "v".repeat(100)), "EVAL");
    h.run(&format!("LPUSH l {}", "z".repeat(10000)), "EVAL");
    // Inside a transaction and a script, and a write refused for the wrong type (nothing counted).
    h.m.cmd(&["MULTI"]);
    for line in ["INCR n2", "SADD s2 a b c", "HSET h2 a 1", "RPUSH l2 a b c d", "INCRBY n2 99"] {
        h.m.cmd_str(line);
    }
    h.run("EXEC", "EVAL");
    h.run("EVAL \"redis.call('incrby', 'n3', 12345) return redis.call('sadd', 's3', 'a', 'b', 'c')\" 0", "EVAL");
    for line in ["INCR s", "SADD h a", "HSET l a b", "LPUSH n a"] {
        h.run(line, "EVAL");
    }
    // The writes above did run (the comparisons are with a scan, so a write that did nothing would pass them).
    let want = [
        ("GET n2", "$3\r\n100\r\n"),
        ("GET n3", "$5\r\n12345\r\n"),
        ("SCARD s3", ":3\r\n"),
        // (l2 had one element from the loop above.)
        ("LLEN l2", ":5\r\n"),
        ("SCARD s", ":41\r\n"),
        ("HLEN h", ":41\r\n"),
        ("LLEN l", ":61\r\n"),
        ("LLEN n", ":1\r\n"),
    ];
    for (line, reply) in want {
        assert_eq!(String::from_utf8_lossy(&h.cmd(line)), reply, "{line}");
    }
}

fn test_all(h: &mut Hist) {
    h.m.cmd(&["SELECT", "0"]);
    bins_and_units(h);
    hyperloglog(h);
    lists(h);
    sets(h);
    zsets(h);
    strings(h);
    unlink(h);
    complex(h);
    for encoding in ["listpackex", "hashtable"] {
        hashes(h, encoding);
        hash_lazy_expiry(h);
    }
    h.cmd("CONFIG SET hash-max-listpack-entries 128");
    bits(h);
    keyspace_moves(h);
    reported_writes(h);
}

/// The suite's cases on one server, with DEBUG KEYSIZES-HIST-ASSERT checking the histograms after every command.
#[test]
fn keysizes_histograms_follow_every_write() {
    let s = Server::start(Kind::Ferredis, &["--enable-debug-command", "yes"]);
    let mut m = s.conn();
    // Redis 8's debug.c reads the switch as an integer (getLongLongFromObjectOrReply); a wrong count of arguments
    // is an unknown subcommand.
    assert_eq!(m.cmd_str("DEBUG KEYSIZES-HIST-ASSERT on"), b"-ERR value is not an integer or out of range\r\n");
    let unknown =
        "-ERR unknown subcommand or wrong number of arguments for 'KEYSIZES-HIST-ASSERT'. Try DEBUG HELP.\r\n";
    assert_eq!(m.cmd_str("DEBUG KEYSIZES-HIST-ASSERT"), unknown.as_bytes());
    assert_eq!(m.cmd_str("DEBUG KEYSIZES-HIST-ASSERT 1"), b"+OK\r\n");
    let mut h = Hist { m, r: None };
    test_all(&mut h);
}

/// The same cases with a replica: each histogram is awaited on the replica too (the stream's writes and the full
/// sync's load keep it).
#[test]
fn keysizes_histograms_on_a_replica() {
    let master = Server::start(Kind::Ferredis, &["--enable-debug-command", "yes"]);
    let mut m = master.conn();
    // Data before the link: the full sync's load counts it.
    m.cmd_str("RPUSH pre 1 2 3");
    let port = master.port.to_string();
    let replica = Server::start(Kind::Ferredis, &["--replicaof", "127.0.0.1", &port, "--enable-debug-command", "yes"]);
    let mut r = replica.conn();
    assert_eq!(r.cmd_str("DEBUG KEYSIZES-HIST-ASSERT 1"), b"+OK\r\n");
    wait_for("the replica's full sync", || stripped(&mut r) == expand("db0_LIST:2=1"));
    let mut h = Hist { m, r: Some(r) };
    test_all(&mut h);
}

/// INFO's sections: `keysizes` after `keyspace` in `all` and `everything` (not in the default set, which keeps
/// Redis 7.0's sections), and its header alone when every database is empty.
#[test]
fn keysizes_section_is_listed_with_all() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    let headers = |c: &mut Conn, args: &[&str]| -> Vec<String> {
        let raw = c.cmd(args);
        let text = Resp::parse(&raw).ok().and_then(|r| r.as_bytes().map(<[u8]>::to_vec)).unwrap_or_default();
        String::from_utf8_lossy(&text).split("\r\n").filter(|l| l.starts_with("# ")).map(str::to_string).collect()
    };
    for args in [&["INFO"][..], &["INFO", "default"]] {
        let h = headers(&mut c, args);
        assert_eq!(h.last().map(String::as_str), Some("# Keyspace"), "{args:?}");
    }
    for args in [&["INFO", "all"][..], &["INFO", "everything"]] {
        let h = headers(&mut c, args);
        assert_eq!(h.iter().rev().take(2).collect::<Vec<_>>(), ["# Keysizes", "# Keyspace"], "{args:?}");
    }
    assert_eq!(headers(&mut c, &["INFO", "keysizes"]), ["# Keysizes"]);
    assert_eq!(stripped(&mut c), "");
    c.cmd_str("SET k v");
    c.cmd_str("SELECT 3");
    c.cmd_str("RPUSH l a b c d e");
    assert_eq!(stripped(&mut c), expand("db0_STR:1=1 db3_LIST:4=1"));
    let raw = c.cmd(&["INFO", "KEYSIZES"]);
    let text = String::from_utf8_lossy(
        Resp::parse(&raw).ok().and_then(|r| r.as_bytes().map(<[u8]>::to_vec)).as_deref().unwrap_or_default(),
    )
    .into_owned();
    assert_eq!(text, "# Keysizes\r\ndb0_distrib_strings_sizes:1=1\r\ndb3_distrib_lists_items:4=1\r\n");
    // Streams and module values are not counted.
    c.cmd_str("XADD st * a 1");
    c.cmd_str("JSON.SET j $ 1");
    assert_eq!(stripped(&mut c), expand("db0_STR:1=1 db3_LIST:4=1"));
}

/// An RDB written by SAVE and loaded at start-up rebuilds the histograms (the suite's "Test RDB").
#[test]
fn keysizes_rebuilt_by_a_restart() {
    let dir = TempDir::new("keysizes-rdb");
    let mut s = Server::start_in(Kind::Ferredis, dir.path(), &[]);
    let mut c = s.conn();
    for l in ["RPUSH l1 1 2 3 4", "SADD s1 1 2 3 4 5", "ZADD z1 1 a 2 b 3 c", "HSETEX h PX 100000 FIELDS 1 f v"] {
        c.cmd_str(l);
    }
    let want = expand("db0_LIST:4=1 db0_SET:4=1 db0_ZSET:2=1 db0_HASH:1=1");
    assert_eq!(stripped(&mut c), want);
    assert_eq!(c.cmd_str("SAVE"), b"+OK\r\n");
    s.shutdown(&["NOSAVE"]);
    drop(c);
    let s2 = Server::start_in(Kind::Ferredis, dir.path(), &[]);
    let mut c = s2.conn();
    assert_eq!(stripped(&mut c), want);
    // The AOF's replay too.
    drop(s);
    c.cmd_str("CONFIG SET appendonly yes");
    wait_for("the AOF rewrite", || {
        crate::common::info_field(&mut c, "persistence", "aof_rewrite_in_progress") == "0"
            && crate::common::info_field(&mut c, "persistence", "aof_rewrite_scheduled") == "0"
    });
    c.cmd_str("LPUSH l2 x");
    let want = expand("db0_LIST:1=1,4=1 db0_SET:4=1 db0_ZSET:2=1 db0_HASH:1=1");
    assert_eq!(c.cmd_str("DEBUG LOADAOF"), b"+OK\r\n");
    assert_eq!(stripped(&mut c), want);
}

/// The histograms are started by their first reading (a scan) and kept from then on: writes before it, in two
/// databases, read back as a scan gives them; the writes after it are kept (checked after each command).
#[test]
fn keysizes_started_by_the_first_reading() {
    let s = Server::start(Kind::Ferredis, &["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    c.cmd_str("RPUSH l a b c");
    c.cmd_str("SET s 12345");
    c.cmd_str("SELECT 2");
    c.cmd_str("SADD x 1 2 3 4 5 6 7 8 9");
    c.cmd_str("SELECT 0");
    assert_eq!(stripped(&mut c), expand("db0_STR:4=1 db0_LIST:2=1 db2_SET:8=1"));
    assert_eq!(c.cmd_str("DEBUG KEYSIZES-HIST-ASSERT 1"), b"+OK\r\n");
    c.cmd_str("RPUSH l d e f g h");
    c.cmd_str("INCRBY s 100000");
    c.cmd_str("APPEND s xx");
    c.cmd_str("LPOP l 7");
    assert_eq!(stripped(&mut c), expand("db0_STR:8=1 db0_LIST:1=1 db2_SET:8=1"));
}
