use super::*;
use crate::command::test_support::Harness;
use crate::resp::reply::Proto;

/// A harness whose server allows DEBUG (it is off by default, as in Redis).
fn harness() -> Harness {
    let mut h = Harness::new();
    h.srv.config.enable_debug_command = crate::config::ProtectedOpt::Yes;
    h
}

const ZEROS: &str = "0000000000000000000000000000000000000000";

#[test]
fn debug_subcommands() {
    let mut h = harness();
    h.run(&["set", "n", "12"]);
    h.run(&["set", "s", "abcdefghijklmnopqrstuvwxyz"]);
    let o = h.run(&["debug", "object", "n"]);
    assert!(o.starts_with("+Value at:0x"), "{o}");
    assert!(o.contains(" refcount:2147483647 encoding:int serializedlength:2 lru:"), "{o}");
    assert!(h.run(&["debug", "object", "s"]).contains(" refcount:1 encoding:embstr serializedlength:27 "));
    assert_eq!(h.run(&["debug", "object", "nokey"]), "-ERR no such key\r\n");
    assert_eq!(h.run(&["debug", "set-active-expire", "0"]), "+OK\r\n");
    assert!(!h.srv.active_expire_enabled);
    assert_eq!(h.run(&["debug", "set-active-expire", "1"]), "+OK\r\n");
    assert!(h.srv.active_expire_enabled);
    let old = h.srv.repl.replid.clone();
    assert_eq!(h.run(&["debug", "change-repl-id"]), "+OK\r\n");
    assert_ne!(h.srv.repl.replid, old);
    assert_eq!(h.run(&["debug", "sleep", "0"]), "+OK\r\n");
    assert_eq!(h.run(&["debug", "sleep", "abc"]), "+OK\r\n");
    assert_eq!(h.run(&["debug", "sleep", "1e300"]), "+OK\r\n");
    assert_eq!(
        h.run(&["debug", "object"]),
        "-ERR unknown subcommand or wrong number of arguments for 'object'. Try DEBUG HELP.\r\n"
    );
    let help_head = format!("*{}\r\n+DEBUG <subcommand>", HELP.len() + 3);
    assert!(h.run(&["debug", "help"]).starts_with(&help_head));
    h.client.addr = "10.1.2.3:4000".into();
    h.srv.config.enable_debug_command = crate::config::ProtectedOpt::Local;
    assert!(h.run(&["debug", "help"]).starts_with("-ERR DEBUG command not allowed."));
    h.client.addr = "127.0.0.1:4000".into();
    assert!(h.run(&["debug", "help"]).starts_with(&help_head));
    h.srv.config.enable_debug_command = crate::config::ProtectedOpt::No;
    assert!(h.run(&["debug", "help"]).starts_with("-ERR DEBUG command not allowed."));
    h.srv.config.enable_debug_command = crate::config::ProtectedOpt::Yes;
    assert!(h.run(&["debug", "help"]).starts_with(&help_head));
    assert_eq!(strtod_prefix(b"0.5s"), 0.5);
    assert_eq!(strtod_prefix(b"1e"), 1.0);
    // serializedlength figures from Redis 7.0 (LZF kicks in above 20 bytes when it saves 4 or more): DEBUG
    // OBJECT counts what the RDB writer would write.
    let a100 = "a".repeat(100);
    let lzf_cases: &[(&str, usize)] = &[
        ("1000000", 5),
        ("dacbfhdgibjdadgecgcbc", 22),
        ("bbaaabaabbbabbaabaababaabbbbaa", 28),
        ("xxxxxxxxxxxxxxxxxxxxx", 9),
        ("xxxxxxxxxxxxxxxxxxxxxx", 11),
        ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 12),
        ("hello world hello world hello ", 23),
        ("hello world hello world hello world hello world he", 23),
        ("aabbaabbaabbbaaabaaaababbbbbbabaaababbbbbbbabababaabbaabbababaab", 42),
        ("abcdefghijklmnopqrstuvwxyz", 27),
        (&a100, 13),
    ];
    for &(v, want) in lzf_cases {
        h.run(&["set", "v", v]);
        let line = h.run(&["debug", "object", "v"]);
        assert!(line.contains(&format!(" serializedlength:{want} ")), "{v}: {line}");
    }
}

#[test]
fn digest_matches_redis_figures() {
    let mut h = harness();
    assert_eq!(h.run(&["debug", "digest"]), format!("+{ZEROS}\r\n"));
    assert_eq!(h.run(&["debug", "digest-value"]), "*0\r\n");
    assert_eq!(h.run(&["debug", "digest-value", "nokey"]), format!("*1\r\n+{ZEROS}\r\n"));
    h.run(&["set", "foo", "bar"]);
    // Both figures come from redis-server 7.0.15 for the same one-key dataset.
    assert_eq!(h.run(&["debug", "digest"]), "+d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a\r\n");
    assert_eq!(
        h.run(&["debug", "digest-value", "foo", "nokey"]),
        format!("*2\r\n+68467c70ae30376e7ce005bcc8827f5ba7fd67dc\r\n+{ZEROS}\r\n")
    );
    assert_eq!(
        h.run(&["debug", "digest", "x"]),
        "-ERR unknown subcommand or wrong number of arguments for 'digest'. Try DEBUG HELP.\r\n"
    );
}

#[test]
fn digest_properties() {
    let mut h = harness();
    let digest = |h: &mut Harness| h.run(&["debug", "digest"]);
    // Set and hash order does not matter; list order does; the encoding does not.
    h.run(&["sadd", "s", "a", "b", "c"]);
    let d1 = digest(&mut h);
    h.run(&["flushall"]);
    h.run(&["sadd", "s", "c", "b", "a"]);
    assert_eq!(digest(&mut h), d1);
    h.run(&["flushall"]);
    h.run(&["rpush", "l", "a", "b"]);
    let la = digest(&mut h);
    h.run(&["flushall"]);
    h.run(&["rpush", "l", "b", "a"]);
    assert_ne!(digest(&mut h), la);
    h.run(&["flushall"]);
    h.run(&["sadd", "n", "1", "2", "3"]);
    let intset = h.run(&["debug", "digest-value", "n"]);
    h.run(&["config", "set", "set-max-intset-entries", "0"]);
    h.run(&["del", "n"]);
    h.run(&["sadd", "n", "1", "2", "3"]);
    assert_eq!(h.run(&["object", "encoding", "n"]), "$9\r\nhashtable\r\n");
    assert_eq!(h.run(&["debug", "digest-value", "n"]), intset);
    // A TTL changes the value digest; the same data in another db changes the dataset digest.
    let before = h.run(&["debug", "digest-value", "n"]);
    h.run(&["expire", "n", "100"]);
    assert_ne!(h.run(&["debug", "digest-value", "n"]), before);
    let db0 = digest(&mut h);
    h.run(&["move", "n", "1"]);
    assert_ne!(digest(&mut h), db0);
    assert_ne!(digest(&mut h), format!("+{ZEROS}\r\n"));
}

#[test]
fn populate_keys_and_values() {
    let mut h = harness();
    assert_eq!(h.run(&["debug", "populate", "3"]), "+OK\r\n");
    assert_eq!(h.run(&["dbsize"]), ":3\r\n");
    assert_eq!(h.run(&["get", "key:2"]), "$7\r\nvalue:2\r\n");
    assert_eq!(h.run(&["object", "encoding", "key:0"]), "$6\r\nembstr\r\n");
    h.run(&["set", "p:1", "mine"]);
    assert_eq!(h.run(&["debug", "populate", "3", "p", "20"]), "+OK\r\n");
    assert_eq!(h.run(&["get", "p:1"]), "$4\r\nmine\r\n");
    assert_eq!(h.run(&["get", "p:2"]), "$20\r\nvalue:2\0\0\0\0\0\0\0\0\0\0\0\0\0\r\n");
    assert_eq!(h.run(&["debug", "populate", "2", "r", "3"]), "+OK\r\n");
    assert_eq!(h.run(&["get", "r:1"]), "$3\r\nval\r\n");
    assert_eq!(h.run(&["debug", "populate", "1", "big", "100"]), "+OK\r\n");
    assert_eq!(h.run(&["object", "encoding", "big:0"]), "$3\r\nraw\r\n");
    let long = "x".repeat(200);
    assert_eq!(h.run(&["debug", "populate", "5", &long]), "+OK\r\n");
    // Keys are cut at 127 bytes, so all five names are the same key.
    assert_eq!(h.run(&["exists", &long[..127]]), ":1\r\n");
    assert_eq!(h.run(&["dbsize"]), ":10\r\n");
    assert_eq!(h.run(&["debug", "populate", "0"]), "+OK\r\n");
    assert_eq!(
        h.run(&["debug", "populate", "1", "huge", "1000000000000"]),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    );
    // A key whose TTL is due is replaced, as Redis's lookupKeyWrite deletes it first; a live one stays.
    h.run(&["set", "key:1", "old", "pxat", "1"]);
    h.run(&["set", "key:2", "live", "ex", "1000"]);
    h.run(&["del", "key:0"]);
    assert_eq!(h.run(&["debug", "populate", "3"]), "+OK\r\n");
    assert_eq!(h.run(&["get", "key:1"]), "$7\r\nvalue:1\r\n");
    assert_eq!(h.run(&["ttl", "key:1"]), ":-1\r\n");
    assert_eq!(h.run(&["get", "key:2"]), "$4\r\nlive\r\n");
    assert_eq!(h.run(&["get", "key:0"]), "$7\r\nvalue:0\r\n");
    for bad in [&["debug", "populate", "-1"][..], &["debug", "populate", "x"], &["debug", "populate", "1", "p", "-1"]] {
        assert_eq!(h.run(bad), "-ERR value is out of range, must be positive\r\n");
    }
    assert_eq!(
        h.run(&["debug", "populate", "1", "a", "1", "x"]),
        "-ERR unknown subcommand or wrong number of arguments for 'populate'. Try DEBUG HELP.\r\n"
    );
    let mut big = harness();
    big.run(&["debug", "populate", "10000"]);
    assert_eq!(big.run(&["dbsize"]), ":10000\r\n");
    assert_eq!(big.run(&["get", "key:9999"]), "$10\r\nvalue:9999\r\n");
}

#[test]
fn protocol_replies_in_both_protocols() {
    let mut h = harness();
    let p = |h: &mut Harness, t: &str| h.run(&["debug", "protocol", t]);
    assert_eq!(p(&mut h, "string"), "$11\r\nHello World\r\n");
    assert_eq!(p(&mut h, "integer"), ":12345\r\n");
    assert_eq!(p(&mut h, "double"), "$5\r\n3.141\r\n");
    assert_eq!(p(&mut h, "bignum"), "$37\r\n1234567999999999999999999999999999999\r\n");
    assert_eq!(p(&mut h, "null"), "$-1\r\n");
    assert_eq!(p(&mut h, "set"), "*3\r\n:0\r\n:1\r\n:2\r\n");
    assert_eq!(p(&mut h, "map"), "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n");
    assert_eq!(p(&mut h, "attrib"), "$39\r\nSome real reply following the attribute\r\n");
    assert_eq!(p(&mut h, "push"), "-ERR RESP2 is not supported by this command\r\n");
    assert_eq!(p(&mut h, "verbatim"), "$25\r\nThis is a verbatim\nstring\r\n");
    assert_eq!(p(&mut h, "TRUE"), ":1\r\n");
    assert!(p(&mut h, "nope").starts_with("-ERR Wrong protocol type name."));
    h.client.reply.proto = Proto::Resp3;
    assert_eq!(p(&mut h, "double"), ",3.141\r\n");
    assert_eq!(p(&mut h, "bignum"), "(1234567999999999999999999999999999999\r\n");
    assert_eq!(p(&mut h, "null"), "_\r\n");
    assert_eq!(p(&mut h, "map"), "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n");
    assert_eq!(
        p(&mut h, "attrib"),
        "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n"
    );
    assert_eq!(
        p(&mut h, "push"),
        ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n"
    );
    assert_eq!(p(&mut h, "verbatim"), "=29\r\ntxt:This is a verbatim\nstring\r\n");
    assert_eq!(p(&mut h, "false"), "#f\r\n");
}

#[test]
fn small_subcommands() {
    let mut h = harness();
    let syntax =
        |s: &str| format!("-ERR unknown subcommand or wrong number of arguments for '{s}'. Try DEBUG HELP.\r\n");
    assert_eq!(h.run(&["debug", "error", "foo\r\nbar"]), "-foo  bar\r\n");
    assert_eq!(h.run(&["debug", "error", "-FOO x"]), "--FOO x\r\n");
    assert!(h.client.reply.error_prefixes.is_empty());
    assert_eq!(h.run(&["debug", "log", "hello"]), "+OK\r\n");
    assert_eq!(h.run(&["debug", "leak", "abc"]), "+OK\r\n");
    assert_eq!(h.run(&["debug", "replicate", "set", "a", "b"]), "+OK\r\n");
    assert_eq!(h.run(&["debug", "client-eviction"]), "-ERR maxmemory-clients is disabled.\r\n");
    assert_eq!(
        h.run(&["debug", "structsize"]),
        "$83\r\nbits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 \r\n"
    );
    assert_eq!(h.run(&["debug", "stringmatch-test"]), "+Apparently Redis did not crash: test passed\r\n");
    assert_eq!(h.run(&["debug", "config-rewrite-force-all"]), "-ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address\r\n");
    assert_eq!(h.run(&["debug", "pause-cron", "1"]), "+OK\r\n");
    assert!(h.srv.debug.pause_cron);
    assert_eq!(h.run(&["debug", "pause-cron", "0"]), "+OK\r\n");
    assert!(!h.srv.debug.pause_cron);
    assert_eq!(h.run(&["debug", "replybuffer", "peak-reset-time", "never"]), "+OK\r\n");
    assert_eq!(h.srv.debug.peak_reset_time_ms, -1);
    assert_eq!(
        h.run(&["debug", "replybuffer", "peak-reset-time", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(h.run(&["debug", "replybuffer", "peak-reset-time", "reset"]), "+OK\r\n");
    assert_eq!(h.srv.debug.peak_reset_time_ms, DebugSwitches::DEFAULT_PEAK_RESET_TIME_MS);
    assert_eq!(h.run(&["debug", "replybuffer", "foo", "1"]), syntax("replybuffer"));
    assert_eq!(h.run(&["debug", "replybuffer", "resizing"]), syntax("replybuffer"));
    assert_eq!(h.run(&["debug", "quicklist-packed-threshold", "100kb"]), "+OK\r\n");
    assert_eq!(h.srv.debug.packed_threshold, 100 * 1024);
    assert_eq!(h.run(&["debug", "quicklist-packed-threshold", "0"]), "+OK\r\n");
    assert_eq!(h.srv.debug.packed_threshold, DebugSwitches::DEFAULT_PACKED_THRESHOLD);
    for bad in ["4gb", "abc", "-1"] {
        assert_eq!(
            h.run(&["debug", "quicklist-packed-threshold", bad]),
            "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n"
        );
    }
    assert_eq!(h.run(&["debug", "set-skip-checksum-validation", "1"]), "+OK\r\n");
    assert!(skip_checksum_validation());
    assert_eq!(h.run(&["debug", "set-skip-checksum-validation", "0"]), "+OK\r\n");
    assert_eq!(
        h.run(&["debug", "drop-cluster-packet-filter", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(h.run(&["debug", "drop-cluster-packet-filter", "-1"]), "+OK\r\n");
    assert_eq!(
        h.run(&["debug", "clusterlink", "kill", "to", "abc"]),
        "-ERR Debug option only available for cluster mode enabled setup!\r\n"
    );
    for s in ["clusterlink", "mallctl", "mallctl-str", "dict-resizing", "nosuch"] {
        assert_eq!(h.run(&["debug", s]), syntax(s));
    }
    assert_eq!(h.run(&["debug", "mallctl", "arenas.narenas"]), syntax("mallctl"));
    assert_eq!(
        h.run(&["debug", "reload", "foo"]),
        "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
    assert_eq!(h.run(&["debug", "restart", "x"]), "-ERR value is not an integer or out of range\r\n");
    // Persistence goes to a file that cannot exist: a failed save, a failed load, nothing written.
    h.srv.config.extra.insert("dbfilename", "/nonexistent-ferredis-dir/dump.rdb".into());
    assert_eq!(h.run(&["debug", "reload"]), "-ERR\r\n");
    assert_eq!(h.run(&["debug", "reload", "nosave"]), "-ERR Error trying to load the RDB dump\r\n");
    assert_eq!(h.run(&["debug", "aof-flush-sleep"]), syntax("aof-flush-sleep"));
}

#[test]
fn sdslen_listpack_quicklist_htstats() {
    let mut h = harness();
    h.run(&["set", "foo", "bar"]);
    h.run(&["set", "n", "123"]);
    h.run(&["set", "q", "value:1\0\0\0\0\0\0\0\0\0\0\0\0\0"]);
    // Figures from redis-server 7.0.15.
    assert_eq!(
        h.run(&["debug", "sdslen", "foo"]),
        "+key_sds_len:3, key_sds_avail:0, key_zmalloc: 8, val_sds_len:3, val_sds_avail:0, val_zmalloc: 16\r\n"
    );
    assert_eq!(
        h.run(&["debug", "sdslen", "q"]),
        "+key_sds_len:1, key_sds_avail:0, key_zmalloc: 8, val_sds_len:20, val_sds_avail:0, val_zmalloc: 32\r\n"
    );
    assert_eq!(h.run(&["debug", "sdslen", "n"]), "-ERR Not an sds encoded string.\r\n");
    assert_eq!(h.run(&["debug", "sdslen", "nokey"]), "-ERR no such key\r\n");
    h.run(&["rpush", "l", "a", "b", "c"]);
    h.run(&["hset", "h", "f", "v"]);
    assert_eq!(h.run(&["debug", "listpack", "l"]), "-ERR Not a listpack encoded object.\r\n");
    assert_eq!(h.run(&["debug", "listpack", "h"]), "+Listpack structure printed on stdout\r\n");
    assert_eq!(h.run(&["debug", "listpack", "nokey"]), "-ERR no such key\r\n");
    assert_eq!(h.run(&["debug", "quicklist", "l", "1"]), "+Quicklist structure printed on stdout\r\n");
    assert_eq!(h.run(&["debug", "quicklist", "h"]), "-ERR Not a quicklist encoded object.\r\n");
    let o = h.run(&["debug", "object", "l"]);
    assert!(o.contains(" encoding:quicklist "), "{o}");
    assert!(
        o.ends_with(" ql_nodes:1 ql_avg_node:3.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:16\r\n"),
        "{o}"
    );
    assert_eq!(
        h.run(&["debug", "htstats-key", "h"]),
        "-ERR The value stored at the specified key is not represented using an hash table\r\n"
    );
    assert_eq!(h.run(&["debug", "htstats-key", "nokey"]), "-ERR no such key\r\n");
    let members: Vec<String> = (0..600).map(|i| format!("m{i}")).collect();
    let mut argv = vec!["sadd", "bigset"];
    argv.extend(members.iter().map(|s| s.as_str()));
    h.run(&argv);
    let st = h.run(&["debug", "htstats-key", "bigset"]);
    assert!(st.contains("Hash table 0 stats (main hash table):\n table size: "), "{st}");
    assert!(st.contains(" number of elements: 600\n"), "{st}");
    assert!(st.contains(" Probe length distribution:\n"), "{st}");
    let all = h.run(&["debug", "htstats", "0"]);
    assert!(all.starts_with("$"), "{all}");
    assert!(all.contains("[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: "), "{all}");
    assert!(all.contains(" number of elements: 6\n"), "{all}");
    assert!(
        all.ends_with(
            "[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n\r\n"
        ),
        "{all}"
    );
    assert_eq!(h.run(&["debug", "htstats", "16"]), "-ERR Out of range database\r\n");
    assert_eq!(h.run(&["debug", "htstats", "-1"]), "-ERR Out of range database\r\n");
    assert_eq!(h.run(&["debug", "htstats", "0x"]), "-ERR value is not an integer or out of range\r\n");
    h.client.reply.proto = crate::resp::reply::Proto::Resp3;
    assert!(h.run(&["debug", "htstats", "1"]).starts_with("="));
}

#[test]
fn testing_directives_are_hidden_from_patterns() {
    let mut h = harness();
    assert_eq!(h.run(&["config", "get", "watchdog-period"]), "*2\r\n$15\r\nwatchdog-period\r\n$1\r\n0\r\n");
    assert_eq!(h.run(&["config", "get", "watchdog*"]), "*0\r\n");
    assert_eq!(h.run(&["config", "set", "key-load-delay", "-5"]), "+OK\r\n");
    assert_eq!(h.run(&["config", "get", "key-load-delay"]), "*2\r\n$14\r\nkey-load-delay\r\n$2\r\n-5\r\n");
    assert!(h
        .run(&["config", "set", "loading-process-events-interval-bytes", "10"])
        .contains("between 1024 and 2147483647"));
    assert_eq!(
        h.run(&["config", "get", "loading-process-events-interval-bytes"]),
        "*2\r\n$37\r\nloading-process-events-interval-bytes\r\n$7\r\n2097152\r\n"
    );
    assert!(h.run(&["config", "set", "use-exit-on-panic", "maybe"]).starts_with("-ERR"));
    assert_eq!(h.run(&["config", "get", "use-exit-on-panic"]), "*2\r\n$17\r\nuse-exit-on-panic\r\n$2\r\nno\r\n");
    assert_eq!(h.run(&["config", "get", "rdb-key-save-delay"]), "*2\r\n$18\r\nrdb-key-save-delay\r\n$1\r\n0\r\n");
}

#[test]
fn dict_stats_count_every_element() {
    let mut d: crate::keyspace::dict::Dict<crate::keyspace::object::Entry> = crate::keyspace::dict::Dict::with_seed(7);
    d.reserve(1000);
    for i in 0..1000 {
        d.insert(Entry::new_string(format!("k{i}").as_bytes(), b"v"));
    }
    let st = d.stats();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].used, 1000);
    assert_eq!(st[0].size, 1536, "reserved once, never grown");
    assert_eq!(st[0].probe_hist.iter().sum::<u64>(), 1536);
    assert_eq!(st[0].probe_hist[0], 536);
    assert!(st[0].max_probe >= 1);
    // insert_new leaves an existing key alone and hands the entry back, also while rehashing.
    assert!(d.insert_new(Entry::new_string(b"k5", b"other")).is_err());
    assert_eq!(d.get(b"k5").and_then(|e| e.as_str()), Some(StrRef::Bytes(b"v")));
    d.reserve(100_000);
    assert!(d.is_rehashing());
    assert_eq!(d.stats().len(), 2);
    assert!(d.insert_new(Entry::new_string(b"k999", b"x")).is_err());
    for i in 1000..5000 {
        assert!(d.insert_new(Entry::new_string(format!("k{i}").as_bytes(), b"v")).is_ok());
    }
    assert_eq!(d.len(), 5000);
    assert!((0..5000).all(|i| d.get(format!("k{i}").as_bytes()).is_some()));
    let total: usize = d.stats().iter().map(|t| t.used).sum();
    assert_eq!(total, 5000);
}
