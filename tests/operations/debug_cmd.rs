//! DEBUG differentially: every check runs the same commands on ferredis and on Debian's redis-server 7.0.15 and
//! compares the reply bytes. Above all DEBUG DIGEST / DIGEST-VALUE, which must be equal for equal data whatever
//! the types, encodings, TTLs and databases; then PROTOCOL in RESP2 and RESP3, POPULATE, HELP and the error
//! replies, and the testing directives.

use crate::common;

use common::*;

const ZEROS: &[u8] = b"+0000000000000000000000000000000000000000\r\n";

/// A tiny deterministic generator, so a failure replays.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Every key of the selected database, sorted.
fn keys(c: &mut Conn) -> Vec<Vec<u8>> {
    let reply = c.cmd(&["KEYS", "*"]);
    let Ok(Resp::Array(items)) = Resp::parse(&reply) else { panic!("KEYS reply {}", escape(&reply)) };
    let mut v: Vec<Vec<u8>> = items.iter().filter_map(|i| i.as_bytes().map(|b| b.to_vec())).collect();
    v.sort();
    v
}

/// DEBUG OBJECT's `serializedlength` field (the line also carries an address and LRU figures, which differ).
fn serialized_length(c: &mut Conn, key: &[u8]) -> String {
    let line = c.cmd(&[b"DEBUG".as_slice(), b"OBJECT", key]);
    let text = String::from_utf8_lossy(&line).into_owned();
    text.split(' ').find(|w| w.starts_with("serializedlength:")).unwrap_or(&text).to_string()
}

/// Compares DIGEST, then DIGEST-VALUE of every key, OBJECT ENCODING of each (so a digest match is known to cover
/// the encoding intended) and DEBUG OBJECT's serializedlength (the RDB writer's byte count) in each listed db.
fn compare_digests(p: &mut Pair, dbs: &[usize]) {
    let d = p.same(&["DEBUG", "DIGEST"]);
    assert_ne!(d, ZEROS, "dataset should not be empty here");
    for &db in dbs {
        p.same(&["SELECT", &db.to_string()]);
        let ks = keys(p.f());
        assert_eq!(ks, keys(p.r()), "db {db} key sets differ");
        for k in &ks {
            p.same(&[b"OBJECT".as_slice(), b"ENCODING", k]);
            let (f, r) = p.both();
            assert_eq!(serialized_length(f, k), serialized_length(r, k), "{}", escape(k));
        }
        let mut args: Vec<&[u8]> = vec![b"DEBUG", b"DIGEST-VALUE"];
        args.extend(ks.iter().map(|k| k.as_slice()));
        p.same(&args);
    }
    p.same(&["SELECT", "0"]);
}

#[test]
fn digest_of_empty_dataset_is_zeros() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    assert_eq!(p.same(&["DEBUG", "DIGEST"]), ZEROS);
    assert_eq!(p.same(&["DEBUG", "DIGEST-VALUE"]), b"*0\r\n");
    p.same(&["DEBUG", "DIGEST-VALUE", "nokey", "other"]);
    p.same(&["SET", "k", "v"]);
    p.same(&["DEL", "k"]);
    assert_eq!(p.same(&["DEBUG", "DIGEST"]), ZEROS);
}

#[test]
fn digest_matches_redis_for_every_type_and_encoding() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    let script = [
        // Strings: int, embstr, raw, empty, binary, negative and big integers, a number that is not canonical.
        "SET s:int 12345",
        "SET s:neg -9223372036854775808",
        "SET s:emb hello",
        "SET s:empty \"\"",
        "SET s:bin \"a\\x00b\\xffc\"",
        "SET s:nc 007",
        "SET s:float 3.14",
        "SET s:raw aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "APPEND s:app abc",
        "APPEND s:app def",
        // Lists: small, with integers, then big ones (many quicklist nodes, a large element).
        "RPUSH l:small a b c",
        "RPUSH l:ints 1 -2 300000 99999999999 x 007",
        "LPUSH l:order c b a",
        // Sets: intset, hashtable with strings, mixed.
        "SADD set:int 3 1 2 -7 100000",
        "SADD set:str apple banana cherry",
        "SADD set:mix 1 two 3",
        // Sorted sets: listpack with assorted scores, members that look like integers.
        // Integral scores up to LLONG_MAX/2 are integer entries of the listpack (serializedlength shows it).
        "ZADD z:lp 1 a 2.5 b -3 c 0 d 1e-300 e 12345678901234567 f inf g -inf h 1e17 i -4611686018427387904 j 5e18 k",
        "ZADD z:intmember 1 100 2 200 3 -5",
        "ZADD z:frac 0.1 x 0.30000000000000004 y 1.7976931348623157e308 z",
        "ZADD z:negzero -0 a 0 b -0.0 c 4.9e-324 d",
        // Hashes: listpack (integer values too), then a big one.
        "HSET h:lp f1 v1 f2 2 f3 -3 num 99999999999999",
        "HSET h:one x \"\"",
        // TTLs on several types.
        "SET t:str v EX 1000",
        "RPUSH t:list a",
        "EXPIRE t:list 1000",
        "ZADD t:z 1 m",
        "PEXPIRE t:z 5000000",
    ];
    for line in script {
        p.same_line(line);
    }
    // Large encodings.
    let mut rng = Lcg(7);
    let mut big_list: Vec<String> = vec!["RPUSH".into(), "l:big".into()];
    for i in 0..3000 {
        big_list.push(if i % 3 == 0 { (rng.next() as i64 - (1 << 30)).to_string() } else { format!("e{i}") });
    }
    p.same(&big_list);
    p.same(&["RPUSH", "l:huge", &"x".repeat(20_000), "tail"]);
    let mut set: Vec<String> = vec!["SADD".into(), "set:big".into()];
    set.extend((0..700).map(|i| format!("m{i}")));
    p.same(&set);
    let mut iset: Vec<String> = vec!["SADD".into(), "set:bigint".into()];
    iset.extend((0..600).map(|i| (i * 7919 - 100_000).to_string()));
    p.same(&iset);
    let mut z: Vec<String> = vec!["ZADD".into(), "z:skip".into()];
    for i in 0..300 {
        let score = match i % 5 {
            0 => (rng.below(1000) as f64 / 7.0).to_string(),
            1 => format!("{}", rng.below(1 << 40)),
            2 => format!("-{}.5", rng.below(1000)),
            3 => "inf".to_string(),
            _ => format!("{}e-5", rng.below(100)),
        };
        z.push(score);
        z.push(format!("member{i}"));
    }
    p.same(&z);
    p.same(&["ZADD", "z:skip", "-0", "negzero", "-1e-310", "denormal"]);
    p.same(&["ZADD", "z:longmember", "1", &"m".repeat(100), "-0", "z"]);
    let mut h: Vec<String> = vec!["HSET".into(), "h:big".into()];
    for i in 0..400 {
        h.push(format!("field{i}"));
        h.push(if i % 2 == 0 { i.to_string() } else { format!("value-{i}") });
    }
    p.same(&h);
    p.same(&["HSET", "h:longval", "f", &"v".repeat(100)]);
    p.same(&["EXPIRE", "set:big", "100000"]);
    p.same(&["EXPIRE", "h:big", "100000"]);
    // Other databases, including one key name that also exists in db 0.
    p.same(&["SELECT", "1"]);
    p.same_line("SET s:emb hello");
    p.same_line("HSET h:lp f1 v1");
    p.same(&["SELECT", "15"]);
    p.same_line("SADD set:int 1 2 3");
    p.same_line("SET exp v PX 100000000");
    p.same(&["SELECT", "0"]);
    compare_digests(&mut p, &[0, 1, 15]);
    // Changes after conversion (intset -> hashtable, listpack -> skiplist) keep the digests equal.
    p.same_line("SADD set:int notanumber");
    p.same_line("ZADD z:lp 5 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    p.same_line("HSET h:lp big bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    p.same_line("LSET l:small 1 B");
    p.same_line("PERSIST t:str");
    p.same_line("INCRBYFLOAT s:float 1.5");
    compare_digests(&mut p, &[0, 1, 15]);
    // The same dataset moved to another db has another digest, on both.
    let before = p.same(&["DEBUG", "DIGEST"]);
    p.same(&["SWAPDB", "0", "3"]);
    let after = p.same(&["DEBUG", "DIGEST"]);
    assert_ne!(before, after);
    p.same(&["FLUSHALL"]);
    assert_eq!(p.same(&["DEBUG", "DIGEST"]), ZEROS);
}

#[test]
fn digest_matches_redis_after_random_operations() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    let mut rng = Lcg(2024);
    let members =
        ["a", "b", "1", "2", "-3", "long-member-name-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "99"];
    for i in 0..1500 {
        let key = format!("k{}", rng.below(12));
        let m = members[rng.below(members.len() as u64) as usize];
        let n = (rng.below(2000) as i64 - 1000).to_string();
        let cmd: Vec<String> = match rng.below(12) {
            0 => vec!["SET".into(), key, m.into()],
            1 => vec!["RPUSH".into(), key, m.into(), n],
            2 => vec!["LPOP".into(), key],
            3 => vec!["SADD".into(), key, m.into(), n],
            4 => vec!["SREM".into(), key, m.into()],
            5 => vec!["ZADD".into(), key, format!("{n}.{}", rng.below(100)), m.into()],
            6 => vec!["ZINCRBY".into(), key, "0.1".into(), m.into()],
            7 => vec!["HSET".into(), key, m.into(), n],
            8 => vec!["HINCRBY".into(), key, m.into(), "3".into()],
            9 => vec!["EXPIRE".into(), key, "100000".into()],
            10 => vec!["PERSIST".into(), key],
            _ => vec!["SELECT".into(), rng.below(3).to_string()],
        };
        p.same(&cmd);
        if i % 100 == 99 {
            p.same(&["DEBUG", "DIGEST"]);
        }
    }
    p.same(&["SELECT", "0"]);
    compare_digests(&mut p, &[0, 1, 2]);
}

#[test]
fn protocol_bytes_match_redis_in_resp2_and_resp3() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    let types = [
        "string",
        "integer",
        "double",
        "bignum",
        "null",
        "array",
        "set",
        "map",
        "attrib",
        "push",
        "verbatim",
        "true",
        "false",
        "nosuchtype",
    ];
    for t in types {
        p.same(&["DEBUG", "PROTOCOL", t]);
    }
    p.f().cmd(&["HELLO", "3"]);
    p.r().cmd(&["HELLO", "3"]);
    for t in types {
        p.same(&["DEBUG", "PROTOCOL", t]);
        if t == "push" {
            // The push is followed by a normal reply.
            let (a, b) = (p.f().read_reply().expect("ferredis"), p.r().read_reply().expect("redis"));
            assert_eq!(escape(&a), escape(&b));
            assert_eq!(a, b"$40\r\nSome real reply following the push reply\r\n");
        }
    }
    assert_eq!(p.same(&["DEBUG", "PROTOCOL", "bignum"]), b"(1234567999999999999999999999999999999\r\n");
}

#[test]
fn populate_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    assert_eq!(p.same(&["DEBUG", "POPULATE", "1000"]), b"+OK\r\n");
    p.same(&["DBSIZE"]);
    p.same(&["DEBUG", "DIGEST"]);
    p.same(&["GET", "key:999"]);
    p.same(&["OBJECT", "ENCODING", "key:0"]);
    // Existing keys are left alone; prefixes; sizes that pad and cut; another db.
    p.same(&["SET", "p:7", "mine"]);
    p.same(&["DEBUG", "POPULATE", "500", "p", "30"]);
    p.same(&["DEBUG", "POPULATE", "200", "q", "3"]);
    p.same(&["DEBUG", "POPULATE", "50", "r", "64"]);
    p.same(&["GET", "p:7"]);
    p.same(&["GET", "p:8"]);
    p.same(&["GET", "q:150"]);
    p.same(&["OBJECT", "ENCODING", "r:1"]);
    p.same(&["SELECT", "4"]);
    p.same(&["DEBUG", "POPULATE", "300", "key", "0"]);
    p.same(&["SELECT", "0"]);
    p.same(&["DEBUG", "POPULATE", "3", "a\u{0}b"]);
    p.same(&["EXISTS", "a:1"]);
    let long = "L".repeat(130);
    p.same(&["DEBUG", "POPULATE", "4", &long]);
    p.same(&["DBSIZE"]);
    compare_digests(&mut p, &[0, 4]);
    for bad in ["-1", "abc", "1.5", "99999999999999999999"] {
        p.same(&["DEBUG", "POPULATE", bad]);
    }
    p.same(&["DEBUG", "POPULATE", "1", "x", "-3"]);
    p.same(&["DEBUG", "POPULATE", "1", "x", "y"]);
    p.same(&["DEBUG", "POPULATE"]);
    p.same(&["DEBUG", "POPULATE", "1", "x", "1", "extra"]);
}

#[test]
fn help_errors_and_small_subcommands_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    let help = p.same(&["DEBUG", "HELP"]);
    assert!(help.starts_with(b"*106\r\n+DEBUG <subcommand>"), "{}", escape(&help[..40]));
    let lines = [
        "DEBUG help extra",
        "DEBUG nosuchsub",
        "DEBUG dict-resizing 1",
        // (Not "DEBUG clusterlink" alone: redis-server 7.0.15 reads past its arguments and crashes; ferredis
        // answers the subcommand syntax error, see the unit tests.)
        "DEBUG clusterlink kill to abc",
        "DEBUG object nokey",
        "DEBUG object",
        "DEBUG sdslen nokey",
        "DEBUG listpack nokey",
        "DEBUG quicklist nokey",
        "DEBUG quicklist a b c",
        "DEBUG htstats-key nokey",
        "DEBUG htstats",
        "DEBUG htstats 0 full",
        "DEBUG htstats -1",
        "DEBUG htstats 16",
        "DEBUG htstats x",
        "DEBUG structsize",
        "DEBUG structsize x",
        "DEBUG digest x",
        "DEBUG protocol",
        "DEBUG sleep 0",
        "DEBUG sleep",
        "DEBUG sleep abc",
        "DEBUG set-active-expire 0",
        "DEBUG set-active-expire 1",
        "DEBUG set-active-expire",
        "DEBUG quicklist-packed-threshold 0",
        "DEBUG quicklist-packed-threshold 100kb",
        "DEBUG quicklist-packed-threshold 4gb",
        "DEBUG quicklist-packed-threshold 5gb",
        "DEBUG quicklist-packed-threshold abc",
        "DEBUG quicklist-packed-threshold -1",
        "DEBUG quicklist-packed-threshold 0",
        "DEBUG set-skip-checksum-validation 1",
        "DEBUG set-skip-checksum-validation 0",
        "DEBUG set-disable-deny-scripts 0",
        "DEBUG replicate set a b",
        "DEBUG replicate",
        "DEBUG error \"some error\"",
        "DEBUG error \"-CODE with dash\"",
        "DEBUG error \"two\\r\\nlines\"",
        "DEBUG error",
        "DEBUG log \"hello from the test\"",
        "DEBUG leak abc",
        "DEBUG change-repl-id",
        "DEBUG change-repl-id x",
        "DEBUG stringmatch-test",
        "DEBUG client-eviction",
        "DEBUG client-eviction x",
        "DEBUG config-rewrite-force-all",
        "DEBUG pause-cron 1",
        "DEBUG pause-cron 0",
        "DEBUG pause-cron",
        "DEBUG replybuffer peak-reset-time never",
        "DEBUG replybuffer peak-reset-time 100",
        "DEBUG replybuffer peak-reset-time x",
        "DEBUG replybuffer peak-reset-time reset",
        "DEBUG replybuffer resizing 0",
        "DEBUG replybuffer resizing 1",
        "DEBUG replybuffer foo 1",
        "DEBUG replybuffer resizing",
        "DEBUG drop-cluster-packet-filter 1",
        "DEBUG drop-cluster-packet-filter -1",
        "DEBUG drop-cluster-packet-filter x",
        "DEBUG aof-flush-sleep",
        "DEBUG restart x",
        "DEBUG crash-and-recover x",
        "DEBUG reload foo",
        "DEBUG",
    ];
    // DEBUG STRINGMATCH-TEST runs a self-test that takes seconds on an unoptimized build of a busy machine: the
    // replies get more than the harness's usual 10 s (a timeout is not what this test is about).
    let (f, r) = p.both();
    f.set_read_timeout_ms(300_000);
    r.set_read_timeout_ms(300_000);
    for l in lines {
        p.same_line(l);
    }
    // Keys of each kind.
    for l in [
        "SET foo bar",
        "SET n 123",
        "SET emb:long value:1234567890",
        "RPUSH l a b c",
        "HSET h f v",
        "ZADD z 1 a",
        "SADD s 1 2",
        "SADD hs a b",
        "SET raw:60 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "APPEND app abc",
        "APPEND app defghijk",
        "SETRANGE sr 100 x",
        "SET kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk v",
        "SET \"\" emptykey",
    ] {
        p.same_line(l);
    }
    let mut big: Vec<String> = vec!["SADD".into(), "bigset".into()];
    big.extend((0..600).map(|i| format!("m{i}")));
    p.same(&big);
    for l in [
        "DEBUG sdslen foo",
        "DEBUG sdslen n",
        "DEBUG sdslen emb:long",
        "DEBUG sdslen l",
        "DEBUG sdslen raw:60",
        "DEBUG sdslen app",
        "DEBUG sdslen sr",
        "DEBUG sdslen kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
        "DEBUG sdslen \"\"",
        "DEBUG listpack l",
        "DEBUG listpack h",
        "DEBUG listpack z",
        "DEBUG listpack foo",
        "DEBUG quicklist l",
        "DEBUG quicklist l 1",
        "DEBUG quicklist h",
        "DEBUG htstats-key l",
        "DEBUG htstats-key h",
        "DEBUG htstats-key s",
    ] {
        p.same_line(l);
    }
    // Same shape, our own figures: the header lines are Redis's.
    for (_, c) in p.sides() {
        let st = c.cmd(&["DEBUG", "HTSTATS-KEY", "bigset"]);
        let text = String::from_utf8_lossy(&st).into_owned();
        assert!(text.contains("Hash table 0 stats (main hash table):\n table size: "), "{text}");
        // Both tables count while rehashing.
        let elements: u64 = text
            .lines()
            .filter_map(|l| l.strip_prefix(" number of elements: "))
            .map(|n| n.trim().parse::<u64>().unwrap_or(0))
            .sum();
        assert_eq!(elements, 600, "{text}");
        let all = String::from_utf8_lossy(&c.cmd(&["DEBUG", "HTSTATS", "0"])).into_owned();
        assert!(all.contains("[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: "), "{all}");
        assert!(all.contains(" number of elements: 14\n"), "{all}");
        assert!(all.contains("[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available"), "{all}");
    }
    // The object line: same fields up to the address and the idle time.
    for key in ["l", "foo", "n", "h"] {
        let fa = String::from_utf8_lossy(&p.f().cmd(&["DEBUG", "OBJECT", key])).into_owned();
        let ra = String::from_utf8_lossy(&p.r().cmd(&["DEBUG", "OBJECT", key])).into_owned();
        let strip = |s: &str| {
            s.split(' ')
                .filter(|w| !w.starts_with("at:") && !w.starts_with("lru") && !w.starts_with("refcount"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(strip(&fa), strip(&ra), "DEBUG OBJECT {key}");
    }
    // Still alive and serving after all of it.
    p.same(&["PING"]);
}

#[test]
fn debug_is_refused_when_disabled_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&["--enable-debug-command", "no"]);
    p.same(&["DEBUG", "HELP"]);
    p.same(&["DEBUG", "DIGEST"]);
    p.same(&["DEBUG"]);
    // `local` allows loopback clients.
    let mut p = Pair::connected(&["--enable-debug-command", "local"]);
    p.same(&["DEBUG", "DIGEST"]);
    p.same(&["CONFIG", "GET", "enable-debug-command"]);
}

#[test]
fn testing_directives_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    for name in [
        "rdb-key-save-delay",
        "key-load-delay",
        "loading-process-events-interval-bytes",
        "use-exit-on-panic",
        "watchdog-period",
    ] {
        p.same(&["CONFIG", "GET", name]);
    }
    // Hidden from patterns.
    p.same(&["CONFIG", "GET", "watchdog*"]);
    p.same(&["CONFIG", "GET", "*load-delay"]);
    p.same(&["CONFIG", "GET", "use-exit-*"]);
    for l in [
        "CONFIG SET rdb-key-save-delay -2147483648",
        "CONFIG SET rdb-key-save-delay 2147483648",
        "CONFIG SET key-load-delay 100",
        "CONFIG SET key-load-delay x",
        "CONFIG SET loading-process-events-interval-bytes 1023",
        "CONFIG SET loading-process-events-interval-bytes 1024",
        "CONFIG SET loading-process-events-interval-bytes 1kb",
        "CONFIG SET use-exit-on-panic yes",
        "CONFIG SET use-exit-on-panic maybe",
        "CONFIG SET watchdog-period -1",
    ] {
        p.same_line(l);
    }
    for name in [
        "rdb-key-save-delay",
        "key-load-delay",
        "loading-process-events-interval-bytes",
        "use-exit-on-panic",
        "watchdog-period",
    ] {
        p.same(&["CONFIG", "GET", name]);
    }
}

#[test]
fn crash_subcommands_end_the_process() {
    for (sub, arg) in [("SEGFAULT", None), ("PANIC", None), ("ASSERT", None), ("OOM", Some("x"))] {
        let mut srv = Server::start(Kind::Ferredis, &[]);
        let mut c = srv.conn();
        let mut args = vec!["DEBUG", sub];
        args.extend(arg);
        c.send(&args).expect("send");
        let (out, closed) = c.read_until_close(5000);
        assert!(closed && out.is_empty(), "DEBUG {sub}: {}", escape(&out));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while srv.alive() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(!srv.alive(), "DEBUG {sub} left the server running");
        let log = srv.full_log();
        match sub {
            "PANIC" => assert!(log.contains("Guru Meditation: DEBUG PANIC called at Unix time"), "{log}"),
            "ASSERT" => {
                assert!(log.contains("=== ASSERTION FAILED ===") && log.contains("'1 == 2' is not true"), "{log}")
            }
            "OOM" => assert!(log.contains("Out Of Memory allocating"), "{log}"),
            _ => {}
        }
    }
}

#[test]
fn use_exit_on_panic_exits_with_status_1() {
    let mut srv = Server::start(Kind::Ferredis, &["--use-exit-on-panic", "yes"]);
    let mut c = srv.conn();
    c.send(&["DEBUG", "PANIC"]).expect("send");
    let (_, closed) = c.read_until_close(5000);
    assert!(closed);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while srv.alive() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!srv.alive());
    assert!(srv.log_text().contains("=== REDIS BUG REPORT END."));
}

#[test]
fn debug_object_matches_redis_but_for_address_and_clock() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    let push = |p: &mut Pair, head: &[&str], items: Vec<String>| {
        let mut args: Vec<String> = head.iter().map(|s| s.to_string()).collect();
        args.extend(items);
        p.same(&args);
    };
    push(&mut p, &["RPUSH", "l:nodes"], (0..2000).map(|i| format!("aaaaaaaaaa{i}")).collect());
    push(&mut p, &["RPUSH", "l:nums"], (0..300).map(|i| i.to_string()).collect());
    push(
        &mut p,
        &["RPUSH", "l:random"],
        (0..50).map(|i| format!("{:x}", (i as u64).wrapping_mul(0x9e3779b97f4a7c15))).collect(),
    );
    push(&mut p, &["HSET", "h:lp"], (0..20).flat_map(|i| [format!("field{i}"), format!("value{i}")]).collect());
    push(&mut p, &["HSET", "h:ht"], (0..600).flat_map(|i| [format!("field{i}"), format!("value{i}")]).collect());
    push(&mut p, &["ZADD", "z:lp"], (0..20).flat_map(|i| [i.to_string(), format!("member{i}")]).collect());
    push(&mut p, &["ZADD", "z:sl"], (0..200).flat_map(|i| [format!("{i}.5"), format!("member{i}")]).collect());
    push(&mut p, &["SADD", "s:int"], (0..100).map(|i| i.to_string()).collect());
    push(&mut p, &["SADD", "s:ht"], (0..600).map(|i| format!("m{i}")).collect());
    for l in [
        "SET s:short abc",
        "SET s:int 42",
        "SET s:big 12345678901234",
        "SET s:compressible xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ] {
        p.same_line(l);
    }
    let strip = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .split(' ')
            .filter(|w| !w.starts_with("at:") && !w.starts_with("lru") && !w.starts_with("refcount"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for key in keys(p.f()) {
        let a = p.f().cmd(&[b"DEBUG".as_slice(), b"OBJECT", &key]);
        let b = p.r().cmd(&[b"DEBUG".as_slice(), b"OBJECT", &key]);
        assert_eq!(strip(&a), strip(&b), "DEBUG OBJECT {}", String::from_utf8_lossy(&key));
    }
}

#[test]
fn pause_cron_stops_active_expiry_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let srv = Server::start(kind, &["--hz", "100"]);
        let mut c = srv.conn();
        assert_eq!(c.cmd(&["DEBUG", "PAUSE-CRON", "1"]), b"+OK\r\n");
        for i in 0..20 {
            c.cmd(&["SET", &format!("k{i}"), "v", "PX", "20"]);
        }
        // DBSIZE does not expire keys: only the cron could remove them, and it is paused.
        std::thread::sleep(std::time::Duration::from_millis(400));
        assert_eq!(c.cmd(&["DBSIZE"]), b":20\r\n", "{}", kind.label());
        assert_eq!(c.cmd(&["DEBUG", "PAUSE-CRON", "0"]), b"+OK\r\n");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while c.cmd(&["DBSIZE"]) != b":0\r\n" {
            assert!(std::time::Instant::now() < deadline, "{}: keys never expired after PAUSE-CRON 0", kind.label());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// CLIENT LIST's `rbs` of the connection named `name`.
fn rbs_of(c: &mut Conn, name: &str) -> usize {
    let list = String::from_utf8_lossy(&c.cmd(&["CLIENT", "LIST"])).into_owned();
    let line = list.lines().find(|l| l.contains(&format!(" name={name} "))).expect("the named client");
    let v = line.split(' ').find_map(|f| f.strip_prefix("rbs=")).expect("an rbs field");
    v.parse().expect("numeric rbs")
}

fn wait_rbs(admin: &mut Conn, tc: &mut Conn, busy: bool, ok: impl Fn(usize) -> bool, who: &str) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if busy {
            tc.cmd(&["GET", "bigval"]);
        }
        let rbs = rbs_of(admin, "test_client");
        if ok(rbs) {
            return rbs;
        }
        assert!(std::time::Instant::now() < deadline, "{who}: rbs stays at {rbs}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn reply_buffer_shrinks_when_idle_and_grows_when_filled_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    // Redis's reply-buffer sizing (clientsCronResizeOutputBuffer), seen through CLIENT LIST rbs and INFO: an idle
    // client's buffer drops to 1 KiB; one that keeps filling it doubles back to 16 KiB.
    for kind in [Kind::Ferredis, Kind::Redis] {
        let srv = Server::start(kind, &["--enable-debug-command", "yes"]);
        let who = kind.label();
        let mut admin = srv.conn();
        let mut tc = srv.conn();
        assert_eq!(admin.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]), b"+OK\r\n");
        tc.cmd(&["CLIENT", "SETNAME", "test_client"]);
        assert_eq!(rbs_of(&mut admin, "test_client"), 16384, "{who}: a new client's buffer");
        let idle = wait_rbs(&mut admin, &mut tc, false, |r| r < 16384, who);
        assert_eq!(idle, 1024, "{who}: an idle client's buffer");
        admin.cmd(&[b"SET".as_slice(), b"bigval", &vec![b'x'; 32768]]);
        assert_eq!(admin.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "NEVER"]), b"+OK\r\n");
        wait_rbs(&mut admin, &mut tc, true, |r| r == 16384, who);
        let info = String::from_utf8_lossy(&admin.cmd(&["INFO", "stats"])).into_owned();
        let stat = |k: &str| -> u64 {
            info.lines().find_map(|l| l.strip_prefix(&format!("{k}:"))).and_then(|v| v.trim().parse().ok()).unwrap()
        };
        assert!(stat("reply_buffer_shrinks") >= 1, "{who}: {info}");
        assert!(stat("reply_buffer_expands") >= 4, "{who}: {info}");
        // Resizing off: the size stays where it is while the client idles.
        assert_eq!(admin.cmd(&["DEBUG", "REPLYBUFFER", "RESIZING", "0"]), b"+OK\r\n");
        assert_eq!(admin.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]), b"+OK\r\n");
        std::thread::sleep(std::time::Duration::from_millis(600));
        assert_eq!(rbs_of(&mut admin, "test_client"), 16384, "{who}: with resizing off");
    }
}
