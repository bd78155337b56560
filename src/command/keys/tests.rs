use super::*;
use crate::command::test_support::Harness;

#[test]
fn del_exists_type() {
    let mut h = Harness::new();
    h.run(&["mset", "a", "1", "b", "2"]);
    assert_eq!(h.run(&["exists", "a", "a", "c"]), ":2\r\n");
    assert_eq!(h.run(&["type", "a"]), "+string\r\n");
    assert_eq!(h.run(&["type", "c"]), "+none\r\n");
    assert_eq!(h.run(&["del", "a", "b", "c"]), ":2\r\n");
    assert_eq!(h.run(&["unlink", "a"]), ":0\r\n");
    assert_eq!(h.run(&["dbsize"]), ":0\r\n");
}

#[test]
fn rename_variants() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["rename", "x", "y"]), "-ERR no such key\r\n");
    assert_eq!(h.run(&["renamenx", "x", "x"]), "-ERR no such key\r\n");
    h.run(&["set", "a", "1", "ex", "100"]);
    assert_eq!(h.run(&["renamenx", "a", "a"]), ":0\r\n");
    assert_eq!(h.run(&["rename", "a", "a"]), "+OK\r\n");
    let dirty = h.srv.persist.dirty;
    assert_eq!(h.run(&["rename", "a", "b"]), "+OK\r\n");
    assert_eq!(h.srv.persist.dirty, dirty + 1);
    assert_eq!(h.run(&["ttl", "b"]), ":100\r\n");
    assert_eq!(h.run(&["exists", "a"]), ":0\r\n");
    h.run(&["set", "c", "3"]);
    assert_eq!(h.run(&["renamenx", "b", "c"]), ":0\r\n");
    assert_eq!(h.run(&["renamenx", "b", "d"]), ":1\r\n");
    assert_eq!(h.run(&["rename", "d", "c"]), "+OK\r\n");
    assert_eq!(h.run(&["get", "c"]), "$1\r\n1\r\n");
    assert_eq!(h.run(&["ttl", "c"]), ":100\r\n");
}

#[test]
fn keys_and_scan() {
    let mut h = Harness::new();
    h.run(&["mset", "one", "1", "two", "2", "three", "3", "", "empty"]);
    let out = h.run(&["keys", "t*"]);
    assert!(out.starts_with("*2\r\n") && out.contains("two") && out.contains("three"));
    assert!(h.run(&["keys", "*"]).starts_with("*4\r\n"));
    assert_eq!(h.run(&["keys", "?"]), "*0\r\n");
    assert_eq!(h.run(&["scan", "abc"]), "-ERR invalid cursor\r\n");
    assert_eq!(h.run(&["scan", "0", "count", "0"]), "-ERR syntax error\r\n");
    assert_eq!(h.run(&["scan", "0", "match"]), "-ERR syntax error\r\n");
    assert_eq!(h.run(&["scan", "0", "count", "x"]), "-ERR value is not an integer or out of range\r\n");
    // Walk the whole keyspace.
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    loop {
        let a = crate::command::OwnedArgs::from_slices(&["scan", cursor.as_str(), "match", "t*", "count", "1"]);
        let out = h.run_args(&a);
        let parts: Vec<&str> = out.split("\r\n").collect();
        cursor = parts[2].to_string();
        for p in parts.iter().skip(5).step_by(2) {
            if !p.is_empty() {
                seen.push(p.to_string());
            }
        }
        if cursor == "0" {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen, vec!["three", "two"]);
    assert_eq!(h.run(&["scan", "0", "type", "list"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(parse_cursor(b""), Some(0));
    assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
    assert_eq!(parse_cursor(b"+5"), Some(5));
    assert_eq!(parse_cursor(b"18446744073709551616"), None);
    assert_eq!(parse_cursor(b" 1"), None);
}

#[test]
fn expire_family() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["expire", "a", "100"]), ":0\r\n");
    h.run(&["set", "a", "1"]);
    assert_eq!(h.run(&["ttl", "a"]), ":-1\r\n");
    assert_eq!(h.run(&["ttl", "nokey"]), ":-2\r\n");
    assert_eq!(h.run(&["expire", "a", "100", "foo"]), "-ERR Unsupported option foo\r\n");
    assert_eq!(
        h.run(&["expire", "a", "100", "nx", "xx"]),
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        h.run(&["expire", "a", "100", "gt", "lt"]),
        "-ERR GT and LT options at the same time are not compatible\r\n"
    );
    // No TTL is an infinite TTL: GT never wins, LT always does.
    assert_eq!(h.run(&["expire", "a", "100", "gt"]), ":0\r\n");
    assert_eq!(h.run(&["expire", "a", "100", "xx"]), ":0\r\n");
    assert_eq!(h.run(&["expire", "a", "100", "lt"]), ":1\r\n");
    assert_eq!(h.run(&["expire", "a", "200", "nx"]), ":0\r\n");
    assert_eq!(h.run(&["expire", "a", "200", "lt"]), ":0\r\n");
    assert_eq!(h.run(&["expire", "a", "200", "gt"]), ":1\r\n");
    assert_eq!(h.run(&["ttl", "a"]), ":200\r\n");
    assert_eq!(h.run(&["pttl", "a"]), ":200000\r\n");
    let now = h.srv.now_ms;
    assert_eq!(h.run(&["pexpiretime", "a"]), format!(":{}\r\n", now + 200_000));
    assert_eq!(h.run(&["expiretime", "a"]), format!(":{}\r\n", (now + 200_000 + 500) / 1000));
    assert_eq!(h.run(&["expire", "a", "9223372036854775807"]), "-ERR invalid expire time in 'expire' command\r\n");
    assert_eq!(h.run(&["pexpire", "a", "9223372036854775807"]), "-ERR invalid expire time in 'pexpire' command\r\n");
    assert_eq!(h.run(&["expireat", "a", "9223372036854775"]), ":1\r\n");
    assert_eq!(h.run(&["pexpireat", "a", "9223372036854775807"]), ":1\r\n");
    assert_eq!(h.run(&["expiretime", "a"]), ":9223372036854776\r\n");
    assert_eq!(h.run(&["ttl", "a"]), format!(":{}\r\n", (i64::MAX - h.srv.now_ms + 500) / 1000));
    assert_eq!(h.run(&["persist", "a"]), ":1\r\n");
    assert_eq!(h.run(&["persist", "a"]), ":0\r\n");
    assert_eq!(h.run(&["expire", "a", "-1"]), ":1\r\n");
    assert_eq!(h.run(&["exists", "a"]), ":0\r\n");
    h.run(&["set", "b", "1"]);
    assert_eq!(h.run(&["pexpireat", "b", "1"]), ":1\r\n");
    assert_eq!(h.run(&["get", "b"]), "$-1\r\n");
}

#[test]
fn databases() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["select", "16"]), "-ERR DB index is out of range\r\n");
    assert_eq!(h.run(&["select", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(
        h.run(&["select", "2147483648"]),
        "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    );
    assert_eq!(h.run(&["object", "encoding"]), "-ERR wrong number of arguments for 'object|encoding' command\r\n");
    h.run(&["set", "a", "1"]);
    assert_eq!(h.run(&["move", "a", "0"]), "-ERR source and destination objects are the same\r\n");
    assert_eq!(h.run(&["move", "a", "99"]), "-ERR DB index is out of range\r\n");
    assert_eq!(h.run(&["move", "a", "1"]), ":1\r\n");
    assert_eq!(h.run(&["move", "a", "1"]), ":0\r\n");
    assert_eq!(h.run(&["select", "1"]), "+OK\r\n");
    assert_eq!(h.run(&["get", "a"]), "$1\r\n1\r\n");
    assert_eq!(h.run(&["swapdb", "0", "1"]), "+OK\r\n");
    assert_eq!(h.run(&["dbsize"]), ":0\r\n");
    assert_eq!(h.run(&["swapdb", "x", "1"]), "-ERR invalid first DB index\r\n");
    assert_eq!(h.run(&["swapdb", "0", "y"]), "-ERR invalid second DB index\r\n");
    assert_eq!(h.run(&["swapdb", "0", "100"]), "-ERR DB index is out of range\r\n");
    assert_eq!(h.run(&["select", "0"]), "+OK\r\n");
    assert_eq!(h.run(&["copy", "a", "a"]), "-ERR source and destination objects are the same\r\n");
    assert_eq!(h.run(&["copy", "a", "b", "db", "100"]), "-ERR DB index is out of range\r\n");
    assert_eq!(h.run(&["copy", "a", "b", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(h.run(&["copy", "a", "a", "db", "2"]), ":1\r\n");
    assert_eq!(h.run(&["copy", "a", "a", "db", "2"]), ":0\r\n");
    assert_eq!(h.run(&["copy", "a", "a", "db", "2", "replace"]), ":1\r\n");
    assert_eq!(h.run(&["copy", "nokey", "z"]), ":0\r\n");
    assert_eq!(h.run(&["flushdb", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(h.run(&["flushdb", "async"]), "+OK\r\n");
    assert_eq!(h.run(&["dbsize"]), ":0\r\n");
    assert_eq!(h.run(&["select", "2"]), "+OK\r\n");
    assert_eq!(h.run(&["dbsize"]), ":1\r\n");
    assert_eq!(h.run(&["flushall", "sync"]), "+OK\r\n");
    assert_eq!(h.run(&["dbsize"]), ":0\r\n");
}

#[test]
fn keyspace_stats_and_no_touch() {
    let mut h = Harness::new();
    h.run(&["set", "a", "1"]);
    let (hits, misses) = (h.srv.stats.keyspace_hits, h.srv.stats.keyspace_misses);
    h.run(&["get", "a"]);
    h.run(&["get", "b"]);
    h.run(&["exists", "a", "b"]);
    h.run(&["del", "a", "b"]);
    assert_eq!(h.srv.stats.keyspace_hits, hits + 2);
    assert_eq!(h.srv.stats.keyspace_misses, misses + 2);
    h.run(&["set", "k", "v"]);
    h.srv.dbs[0].find_mut(b"k".as_slice()).unwrap().set_lru(5);
    assert_eq!(h.run(&["client", "no-touch", "on"]), "+OK\r\n");
    h.run(&["get", "k"]);
    assert_eq!(h.srv.dbs[0].find(b"k".as_slice()).unwrap().lru(), 5);
    assert_eq!(h.run(&["touch", "k"]), ":1\r\n");
    assert_eq!(h.srv.dbs[0].find(b"k".as_slice()).unwrap().lru(), h.srv.lru_clock);
    assert!(h.client.has(crate::net::client::flags::NO_TOUCH));
}

#[test]
fn object_subcommands() {
    let mut h = Harness::new();
    h.run(&["mset", "n", "100", "big", "10000", "s", "hello"]);
    assert_eq!(h.run(&["object", "encoding", "n"]), "$3\r\nint\r\n");
    assert_eq!(h.run(&["object", "encoding", "s"]), "$6\r\nembstr\r\n");
    assert_eq!(h.run(&["object", "encoding", "none"]), "$-1\r\n");
    assert_eq!(h.run(&["object", "refcount", "n"]), ":2147483647\r\n");
    assert_eq!(h.run(&["object", "refcount", "big"]), ":1\r\n");
    assert_eq!(h.run(&["object", "idletime", "s"]), ":0\r\n");
    assert!(h.run(&["object", "freq", "s"]).starts_with("-ERR An LFU maxmemory policy is not selected"));
    assert_eq!(h.run(&["object", "foo"]), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n");
    assert!(h.run(&["object", "help"]).starts_with("*15\r\n+OBJECT <subcommand>"));
}
