//! Unit tests of DIGEST, DELEX, MSETEX and SET's Redis 8.4 conditions through the handler harness. No Redis 8.4
//! binary exists here: the expected replies are what Redis 8.4's `src/t_string.c` and `src/db.c` (`digestCommand`,
//! `delexCommand`, `msetexCommand`, `setGenericCommand`) and its `tests/unit/type/string.tcl` say, including the
//! digests that test file and redis.io's DIGEST page print.

use crate::command::test_support::Harness;

const NIL: &str = "$-1\r\n";
const OK: &str = "+OK\r\n";
const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const BAD_DIGEST: &str = "-ERR must be exactly 16 hexadecimal characters\r\n";

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// The digest DIGEST gives for `key`, unwrapped.
fn digest_of(h: &mut Harness, key: &str) -> String {
    let r = h.run(&["digest", key]);
    assert!(r.starts_with("$16\r\n"), "{r}");
    r[5..21].to_string()
}

/// A 16-digit digest that differs from `d` (its last digit changed).
fn other_digest(d: &str) -> String {
    let last = if d.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &d[..15])
}

#[test]
fn digest_replies() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["digest", "nokey"]), NIL);
    h.run(&["set", "k", "Hello world"]);
    assert_eq!(h.run(&["digest", "k"]), bulk("b6acb9d84a38ff74"));
    // Leading zeros are kept (Redis 8.4's string.tcl).
    h.run(&[
        "set",
        "z",
        "v8lf0c11xh8ymlqztfd3eeq16kfn4sspw7fqmnuuq3k3t75em5wdizgcdw7uc26nnf961u2jkfzkjytls2kwlj7626sd",
    ]);
    assert_eq!(h.run(&["digest", "z"]), bulk("00006c38adf31777"));
    // An integer-encoded value hashes as its decimal text.
    h.run(&["set", "n", "12345"]);
    assert_eq!(h.run(&["object", "encoding", "n"]), "$3\r\nint\r\n");
    assert_eq!(digest_of(&mut h, "n"), "f34099ede96b5581");
    h.run(&["set", "e", ""]);
    assert_eq!(digest_of(&mut h, "e"), "2d06800538d394c2");
    h.run(&["lpush", "l", "a"]);
    assert_eq!(h.run(&["digest", "l"]), WRONGTYPE);
    assert_eq!(h.run(&["digest"]), "-ERR wrong number of arguments for 'digest' command\r\n");
    assert_eq!(h.run(&["digest", "a", "b"]), "-ERR wrong number of arguments for 'digest' command\r\n");
}

#[test]
fn delex_without_condition_deletes_any_type() {
    let mut h = Harness::new();
    h.run(&["set", "s", "v"]);
    h.run(&["hset", "h", "f", "v"]);
    assert_eq!(h.run(&["delex", "s"]), ":1\r\n");
    assert_eq!(h.run(&["delex", "h"]), ":1\r\n");
    assert_eq!(h.run(&["delex", "h"]), ":0\r\n");
    assert_eq!(h.run(&["exists", "s", "h"]), ":0\r\n");
}

#[test]
fn delex_conditions() {
    let mut h = Harness::new();
    h.run(&["set", "k", "hello"]);
    assert_eq!(h.run(&["delex", "k", "IFEQ", "world"]), ":0\r\n");
    assert_eq!(h.run(&["delex", "k", "ifne", "hello"]), ":0\r\n");
    assert_eq!(h.run(&["delex", "k", "IfEq", "hello"]), ":1\r\n");
    h.run(&["set", "k", "hello"]);
    assert_eq!(h.run(&["delex", "k", "IFNE", "world"]), ":1\r\n");
    // Integer-encoded values compare as text.
    h.run(&["set", "k", "-999"]);
    assert_eq!(h.run(&["delex", "k", "IFEQ", "-999"]), ":1\r\n");
    // Digests: equal, upper case, different.
    h.run(&["set", "k", "hello"]);
    let d = digest_of(&mut h, "k");
    let other = other_digest(&d);
    assert_eq!(h.run(&["delex", "k", "IFDEQ", &other]), ":0\r\n");
    assert_eq!(h.run(&["delex", "k", "IFDNE", &d]), ":0\r\n");
    assert_eq!(h.run(&["delex", "k", "IFDNE", &d.to_uppercase()]), ":0\r\n");
    assert_eq!(h.run(&["delex", "k", "IFDEQ", &d.to_uppercase()]), ":1\r\n");
    h.run(&["set", "k", "hello"]);
    assert_eq!(h.run(&["delex", "k", "IFDNE", &other]), ":1\r\n");
    // Sixteen characters that are not all hex digits: a digest no value has (Redis checks only the length).
    h.run(&["set", "k", "hello"]);
    assert_eq!(h.run(&["delex", "k", "IFDEQ", "zzzzzzzzzzzzzzzz"]), ":0\r\n");
    assert_eq!(h.run(&["delex", "k", "IFDNE", "zzzzzzzzzzzzzzzz"]), ":1\r\n");
}

#[test]
fn delex_errors_and_their_order() {
    let mut h = Harness::new();
    // A missing key is :0 before anything about the condition is looked at.
    assert_eq!(h.run(&["delex", "nokey", "IFDEQ", "1234567890"]), ":0\r\n");
    assert_eq!(h.run(&["delex", "nokey", "NOPE", "x"]), ":0\r\n");
    // The argument count is checked before the lookup (redis/redis#14529, Redis 8.4): an arity error even for a
    // missing key, where 8.4's first tests (before that change) answered :0.
    let arity = "-ERR wrong number of arguments for 'delex' command\r\n";
    assert_eq!(h.run(&["delex", "k", "IFEQ"]), arity);
    assert_eq!(h.run(&["delex", "k", "IFEQ", "v", "extra"]), arity);
    assert_eq!(h.run(&["delex"]), arity);
    // Then the type, then the condition word, then the digest's length.
    h.run(&["lpush", "l", "a"]);
    let type_err = "-ERR Key should be of string type if conditions are specified\r\n";
    assert_eq!(h.run(&["delex", "l", "IFEQ", "a"]), type_err);
    assert_eq!(h.run(&["delex", "l", "NOPE", "a"]), type_err);
    h.run(&["set", "k", "test"]);
    for word in ["INVALID", "IF", "EQ"] {
        assert_eq!(h.run(&["delex", "k", word, "test"]), "-ERR Invalid condition. Use IFEQ, IFNE, IFDEQ, or IFDNE\r\n");
    }
    let d = digest_of(&mut h, "k");
    for bad in [&d[1..], &format!("0{d}")[..], ""] {
        assert_eq!(h.run(&["delex", "k", "IFDEQ", bad]), BAD_DIGEST, "{bad}");
        assert_eq!(h.run(&["delex", "k", "IFDNE", bad]), BAD_DIGEST, "{bad}");
    }
    assert_eq!(h.run(&["get", "k"]), bulk("test"));
}

#[test]
fn delex_key_flags() {
    let mut h = Harness::new();
    let plain = h.run(&["command", "getkeysandflags", "delex", "k"]);
    assert!(plain.contains("RM") && plain.contains("delete") && !plain.contains("RW"), "{plain}");
    let cond = h.run(&["command", "getkeysandflags", "delex", "k", "IFEQ", "v"]);
    assert!(cond.contains("RW") && cond.contains("delete") && !cond.contains("RM"), "{cond}");
    let set = h.run(&["command", "getkeysandflags", "set", "k", "v", "IFNE", "x"]);
    assert!(set.contains("RW") && set.contains("update") && !set.contains("access"), "{set}");
}

#[test]
fn set_ifne() {
    let mut h = Harness::new();
    // A missing key meets IFNE.
    assert_eq!(h.run(&["set", "k", "world", "IFNE", "hello"]), OK);
    assert_eq!(h.run(&["set", "k", "x", "IFNE", "world"]), NIL);
    assert_eq!(h.run(&["set", "k", "x", "IFNE", "other"]), OK);
    assert_eq!(h.run(&["get", "k"]), bulk("x"));
    // With GET: the old value whatever the outcome; null for a missing key, which is then set.
    assert_eq!(h.run(&["set", "k", "y", "IFNE", "x", "GET"]), bulk("x"));
    assert_eq!(h.run(&["set", "k", "z", "IFNE", "other", "GET"]), bulk("x"));
    assert_eq!(h.run(&["get", "k"]), bulk("z"));
    assert_eq!(h.run(&["set", "m", "v", "IFNE", "hello", "GET"]), NIL);
    assert_eq!(h.run(&["get", "m"]), bulk("v"));
    h.run(&["set", "e", ""]);
    assert_eq!(h.run(&["set", "e", "w", "IFNE", ""]), NIL);
    h.run(&["hset", "hh", "f", "v"]);
    assert_eq!(h.run(&["set", "hh", "v", "IFNE", "v"]), WRONGTYPE);
    assert_eq!(h.run(&["set", "hh", "v", "IFNE", "v", "GET"]), WRONGTYPE);
}

#[test]
fn set_digest_conditions() {
    let mut h = Harness::new();
    // A missing key fails IFDEQ and meets IFDNE, without a look at the digest's length.
    assert_eq!(h.run(&["set", "k", "v", "IFDEQ", "1234567890"]), NIL);
    assert_eq!(h.run(&["exists", "k"]), ":0\r\n");
    assert_eq!(h.run(&["set", "k", "hello", "IFDNE", "1234567890"]), OK);
    let d = digest_of(&mut h, "k");
    let other = other_digest(&d);
    assert_eq!(h.run(&["set", "k", "x", "IFDEQ", &other]), NIL);
    assert_eq!(h.run(&["set", "k", "x", "IFDNE", &d]), NIL);
    assert_eq!(h.run(&["set", "k", "x", "IFDNE", &d, "GET"]), bulk("hello"));
    assert_eq!(h.run(&["set", "k", "world", "IFDEQ", &d.to_uppercase(), "EX", "100"]), OK);
    assert_eq!(h.run(&["get", "k"]), bulk("world"));
    assert_eq!(h.run(&["ttl", "k"]), ":100\r\n");
    assert_eq!(h.run(&["set", "k", "again", "IFDNE", &d, "KEEPTTL", "GET"]), bulk("world"));
    assert_eq!(h.run(&["ttl", "k"]), ":100\r\n");
    // The digest's length is checked once there is a string to compare; the error is the only reply, GET or not.
    for bad in [&d[1..], &format!("0{d}")[..], ""] {
        assert_eq!(h.run(&["set", "k", "new", "IFDEQ", bad]), BAD_DIGEST);
        assert_eq!(h.run(&["set", "k", "new", "IFDNE", bad, "GET"]), BAD_DIGEST);
    }
    assert_eq!(h.run(&["get", "k"]), bulk("again"));
    h.run(&["sadd", "s", "m"]);
    assert_eq!(h.run(&["set", "s", "v", "IFDEQ", "1234567890"]), WRONGTYPE);
    assert_eq!(h.run(&["set", "s", "v", "IFDNE", "1234567890123456"]), WRONGTYPE);
}

#[test]
fn set_condition_syntax() {
    let mut h = Harness::new();
    h.run(&["set", "k", "a"]);
    for bad in [
        &["set", "k", "v", "IFNE"][..],
        &["set", "k", "v", "IFDEQ"],
        &["set", "k", "v", "IFNE", "a", "NX"],
        &["set", "k", "v", "XX", "IFDNE", "a"],
        &["set", "k", "v", "IFNE", "a", "IFEQ", "b"],
        &["set", "k", "v", "IFDEQ", "a", "IFDNE", "b"],
        &["set", "k", "v", "IFEQ", "a", "IFEQ", "a"],
        &["getex", "k", "IFNE", "a"],
    ] {
        assert_eq!(h.run(bad), SYNTAX, "{bad:?}");
    }
    // Redis 8.4 lets its conditions repeat; the last value counts.
    assert_eq!(h.run(&["set", "k", "b", "IFNE", "x", "IFNE", "a"]), NIL);
    assert_eq!(h.run(&["set", "k", "b", "IFNE", "a", "IFNE", "x"]), OK);
    let docs = h.run(&["command", "docs", "set"]);
    assert!(docs.contains("Added the `IFNE`, `IFDEQ` and `IFDNE` options.") && docs.contains("ifdne-digest"), "{docs}");
}

#[test]
fn msetex_sets_all_with_one_expiry() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["msetex", "2", "a", "1", "b", "2", "EX", "100"]), ":1\r\n");
    assert_eq!(h.run(&["mget", "a", "b"]), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert_eq!(h.run(&["ttl", "a"]), ":100\r\n");
    assert_eq!(h.run(&["pttl", "b"]), ":100000\r\n");
    let now = h.srv.now_ms;
    assert_eq!(h.run(&["msetex", "1", "c", "3", "pxat", &(now + 5000).to_string()]), ":1\r\n");
    assert_eq!(h.run(&["pttl", "c"]), ":5000\r\n");
    assert_eq!(h.run(&["msetex", "1", "c", "3", "exat", &(now / 1000 + 50).to_string()]), ":1\r\n");
    assert_eq!(h.run(&["expiretime", "c"]), format!(":{}\r\n", now / 1000 + 50));
    assert_eq!(h.run(&["msetex", "1", "c", "4", "PX", "7000"]), ":1\r\n");
    assert_eq!(h.run(&["pttl", "c"]), ":7000\r\n");
    // KEEPTTL keeps each key's own time; without an expiry option, times are cleared as MSET does.
    assert_eq!(h.run(&["msetex", "2", "a", "x", "new", "y", "KEEPTTL"]), ":1\r\n");
    assert_eq!(h.run(&["ttl", "a"]), ":100\r\n");
    assert_eq!(h.run(&["ttl", "new"]), ":-1\r\n");
    assert_eq!(h.run(&["msetex", "1", "a", "z"]), ":1\r\n");
    assert_eq!(h.run(&["ttl", "a"]), ":-1\r\n");
    // A key named twice: the last value wins. A key of another type is overwritten.
    h.run(&["lpush", "l", "e"]);
    assert_eq!(h.run(&["msetex", "2", "l", "1", "l", "2"]), ":1\r\n");
    assert_eq!(h.run(&["get", "l"]), bulk("2"));
}

#[test]
fn msetex_conditions_are_all_or_nothing() {
    let mut h = Harness::new();
    h.run(&["set", "old", "v"]);
    assert_eq!(h.run(&["msetex", "2", "n1", "a", "n2", "b", "NX", "EX", "10"]), ":1\r\n");
    assert_eq!(h.run(&["msetex", "2", "n3", "a", "old", "b", "nx"]), ":0\r\n");
    assert_eq!(h.run(&["exists", "n3"]), ":0\r\n");
    assert_eq!(h.run(&["msetex", "2", "old", "w", "missing", "b", "XX", "EX", "10"]), ":0\r\n");
    assert_eq!(h.run(&["get", "old"]), bulk("v"));
    assert_eq!(h.run(&["msetex", "2", "old", "w", "n1", "c", "EX", "10", "XX"]), ":1\r\n");
    assert_eq!(h.run(&["mget", "old", "n1"]), "*2\r\n$1\r\nw\r\n$1\r\nc\r\n");
}

#[test]
fn msetex_errors_and_their_order() {
    let mut h = Harness::new();
    let numkeys = "-ERR invalid numkeys value\r\n";
    let pairs = "-ERR wrong number of key-value pairs\r\n";
    assert_eq!(h.run(&["msetex", "k", "v"]), "-ERR wrong number of arguments for 'msetex' command\r\n");
    assert_eq!(h.run(&["msetex", "key1", "val1", "ex", "10"]), numkeys);
    assert_eq!(h.run(&["msetex", "0", "k", "v"]), numkeys);
    assert_eq!(h.run(&["msetex", "-1", "k", "v"]), numkeys);
    assert_eq!(h.run(&["msetex", "2147483648", "k", "v", "ex", "10"]), numkeys);
    assert_eq!(h.run(&["msetex", "2147483647", "k", "v", "ex", "10"]), pairs);
    assert_eq!(h.run(&["msetex", "2", "k1", "v1", "k2"]), pairs);
    for bad in [
        &["msetex", "1", "k", "v", "invalid_flag"][..],
        &["msetex", "1", "k", "v", "nx", "xx"],
        &["msetex", "1", "k", "v", "ex", "10", "px", "5000"],
        &["msetex", "1", "k", "v", "exat", "1735689600", "pxat", "1735689600000"],
        &["msetex", "1", "k", "v", "keepttl", "ex", "10"],
        &["msetex", "1", "k", "v", "px", "10", "keepttl"],
        &["msetex", "1", "k", "v", "get"],
        &["msetex", "1", "k", "v", "ifeq", "v"],
        &["msetex", "1", "k", "v", "ex"],
    ] {
        assert_eq!(h.run(bad), SYNTAX, "{bad:?}");
    }
    // The options are read before the expire time's value, and that before the keys.
    assert_eq!(h.run(&["msetex", "1", "k", "v", "ex", "0", "bogus"]), SYNTAX);
    assert_eq!(h.run(&["msetex", "1", "k", "v", "ex", "0"]), "-ERR invalid expire time in 'msetex' command\r\n");
    assert_eq!(h.run(&["msetex", "1", "k", "v", "px", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(h.run(&["exists", "k"]), ":0\r\n");
}

#[test]
fn msetex_table_entry() {
    let mut h = Harness::new();
    let keys = h.run(&["command", "getkeys", "msetex", "2", "a", "1", "b", "2", "nx", "ex", "5"]);
    assert_eq!(keys, "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    let info = h.run(&["command", "info", "msetex"]);
    assert!(info.contains("movablekeys") && info.contains("@string") && info.contains("keynum"), "{info}");
    let info = h.run(&["command", "info", "digest", "delex"]);
    assert!(info.contains("@read") && info.contains("@write") && info.contains("variable_flags"), "{info}");
}

/// The keyspace hits and misses Redis 8.4's lookups count: SET's condition reads an existing value (a hit),
/// DELEX with a condition looks its key up as a read, MSETEX NX and XX (msetexCommand's lookupKeyWrite) and SET's
/// own lookup as writes.
#[test]
fn keyspace_hits_and_misses() {
    fn counts(h: &mut Harness) -> (u64, u64) {
        let info = h.run(&["info", "stats"]);
        let field = |name: &str| -> u64 {
            info.split("\r\n").find_map(|l| l.strip_prefix(name)).and_then(|v| v.parse().ok()).unwrap()
        };
        (field("keyspace_hits:"), field("keyspace_misses:"))
    }
    let mut h = Harness::new();
    h.run(&["set", "k", "v"]);
    let base = counts(&mut h);
    let after = |h: &mut Harness, argv: &[&str]| {
        let before = counts(h);
        h.run(argv);
        let now = counts(h);
        (now.0 - before.0, now.1 - before.1)
    };
    assert_eq!(after(&mut h, &["set", "k", "w", "IFNE", "x"]), (1, 0));
    assert_eq!(after(&mut h, &["set", "nokey", "w", "IFDEQ", "x"]), (0, 0));
    assert_eq!(after(&mut h, &["delex", "nokey", "IFEQ", "x"]), (0, 1));
    assert_eq!(after(&mut h, &["delex", "k", "IFEQ", "x"]), (1, 0));
    assert_eq!(after(&mut h, &["msetex", "2", "k", "1", "m", "2", "XX"]), (0, 0));
    assert_eq!(after(&mut h, &["msetex", "1", "k", "1", "NX"]), (0, 0));
    assert_eq!(after(&mut h, &["digest", "k"]), (1, 0));
    assert!(counts(&mut h).0 > base.0);
}

#[test]
fn msetex_key_positions_of_malformed_calls() {
    use crate::command::OwnedArgs;
    let keys = |argv: &[&str]| super::msetex_keys(OwnedArgs::from_slices(argv).args());
    assert_eq!(keys(&["msetex"]), Vec::<usize>::new());
    assert_eq!(keys(&["msetex", "2", "a", "1", "b"]), Vec::<usize>::new());
    assert_eq!(keys(&["msetex", "x", "a", "1"]), Vec::<usize>::new());
    assert_eq!(keys(&["msetex", "2", "a", "1", "b", "2", "EX", "5"]), vec![2, 4]);
}

/// DELEX frees as Redis 8.4's delexCommand does, under lazyfree-lazy-server-del (DEL's lazyfree-lazy-user-del
/// does not apply): a 200-member set (a hash table) goes to the lazy-free thread only when the server's setting is on.
#[test]
fn delex_frees_under_lazyfree_lazy_server_del() {
    fn lazily_freed(h: &mut Harness, key: &str, server_del: &str) -> bool {
        h.run(&["config", "set", "lazyfree-lazy-server-del", server_del, "lazyfree-lazy-user-del", "no"]);
        let items: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
        let mut argv = vec!["sadd", key];
        argv.extend(items.iter().map(String::as_str));
        h.run(&argv);
        let freed = |h: &mut Harness| {
            let info = h.run(&["info", "memory"]);
            let field = |name: &str| -> u64 {
                info.split("\r\n").find_map(|l| l.strip_prefix(name)).and_then(|v| v.parse().ok()).unwrap()
            };
            field("lazyfreed_objects:") + field("lazyfree_pending_objects:")
        };
        let before = freed(h);
        assert_eq!(h.run(&["delex", key]), ":1\r\n");
        freed(h) > before
    }
    let mut h = Harness::new();
    assert!(!lazily_freed(&mut h, "l1", "no"));
    assert!(lazily_freed(&mut h, "l2", "yes"));
}

/// SET ... EX and MSETEX store the value and its time in one step (`Door::store_string_expiring`): over a key
/// with a TTL not yet due (kept in place), without one, with one already due, and a new key; the TTLs, the values
/// and INFO's expires count come out as the two steps gave them.
#[test]
fn store_and_expire_in_one_step() {
    let mut h = Harness::new();
    let expires = |h: &mut Harness| {
        let info = h.run(&["info", "keyspace"]);
        info.split("expires=").nth(1).and_then(|s| s.split(',').next()).unwrap_or("0").to_string()
    };
    h.run(&["set", "k", "v", "ex", "100"]);
    assert_eq!(h.run(&["set", "k", "w", "ex", "200"]), OK);
    assert_eq!((h.run(&["get", "k"]), h.run(&["ttl", "k"])), (bulk("w"), ":200\r\n".to_string()));
    h.run(&["set", "n", "1"]);
    assert_eq!(h.run(&["set", "n", "2", "px", "5000"]), OK);
    assert_eq!(h.run(&["pttl", "n"]), ":5000\r\n");
    h.run(&["set", "d", "old", "px", "10"]);
    h.srv.now_ms += 20;
    assert_eq!(h.run(&["set", "d", "new", "ex", "100"]), OK);
    assert_eq!((h.run(&["get", "d"]), h.run(&["ttl", "d"])), (bulk("new"), ":100\r\n".to_string()));
    assert_eq!(expires(&mut h), "3");
    assert_eq!(h.run(&["msetex", "3", "k", "a", "n", "b", "fresh", "c", "px", "7000"]), ":1\r\n");
    for (key, val) in [("k", "a"), ("n", "b"), ("fresh", "c")] {
        assert_eq!((h.run(&["get", key]), h.run(&["pttl", key])), (bulk(val), ":7000\r\n".to_string()));
    }
    assert_eq!(expires(&mut h), "4");
    assert_eq!(h.run(&["set", "k", "plain"]), OK);
    assert_eq!((h.run(&["ttl", "k"]), expires(&mut h)), (":-1\r\n".to_string(), "3".to_string()));
}
