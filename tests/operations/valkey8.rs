//! Commands Valkey 8.0/8.1/9.0 added, standalone: SCRIPT SHOW (Valkey 8.0, compared with Valkey 8.0.1 byte for
//! byte in RESP2 and RESP3 when `VALKEY8_SERVER` names one), SET ... IFEQ (8.1), DELIFEQ (9.0) and COMMANDLOG
//! (8.1), which no oracle here has: their tests are the public command documentation's examples and edge cases,
//! with the expected bytes written down. The cluster commands (CLUSTER SLOT-STATS, CLUSTER MYSHARDID) are in
//! `tests/cluster/slot_stats.rs`.
//!
//! Every expected reply below was also checked against the oracle where it has the command (SCRIPT SHOW's), so
//! the tests mean the same on machines without one.

use crate::common;

use common::*;

/// `args` on `c`, as text (the reply's exact bytes, lossily).
fn run(c: &mut Conn, args: &[&str]) -> String {
    String::from_utf8_lossy(&c.cmd(args)).into_owned()
}

/// The value of an integer reply (`:n\r\n`).
fn int_of(reply: &str) -> i64 {
    reply.trim_start_matches(':').trim_end().parse().unwrap_or_else(|_| panic!("not an integer reply: {reply:?}"))
}

const RETURN_1_SHA: &str = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";

/// SCRIPT SHOW's replies, as Valkey 8.0.1 gives them (checked below against it when available).
fn script_show_expectations(c: &mut Conn) {
    assert_eq!(run(c, &["SCRIPT", "LOAD", "return 1"]), format!("${}\r\n{RETURN_1_SHA}\r\n", RETURN_1_SHA.len()));
    assert_eq!(run(c, &["SCRIPT", "SHOW", RETURN_1_SHA]), "$8\r\nreturn 1\r\n");
    // The cache is looked up ignoring case, as EVALSHA does.
    assert_eq!(run(c, &["SCRIPT", "SHOW", &RETURN_1_SHA.to_uppercase()]), "$8\r\nreturn 1\r\n");
    assert_eq!(
        run(c, &["SCRIPT", "SHOW", "ffffffffffffffffffffffffffffffffffffffff"]),
        "-NOSCRIPT No matching script.\r\n"
    );
    assert_eq!(run(c, &["SCRIPT", "SHOW", "abc"]), "-NOSCRIPT No matching script.\r\n");
    assert_eq!(run(c, &["SCRIPT", "SHOW"]), "-ERR wrong number of arguments for 'script|show' command\r\n");
    assert_eq!(
        run(c, &["SCRIPT", "SHOW", RETURN_1_SHA, "x"]),
        "-ERR wrong number of arguments for 'script|show' command\r\n"
    );
    assert_eq!(run(c, &["SCRIPT", "FLUSH"]), "+OK\r\n");
    assert_eq!(run(c, &["SCRIPT", "SHOW", RETURN_1_SHA]), "-NOSCRIPT No matching script.\r\n");
}

#[test]
fn script_show() {
    let s = Server::ferredis();
    let mut c = s.conn();
    script_show_expectations(&mut c);
    // A body with a shebang and binary bytes comes back as it was loaded.
    let body = "#!lua flags=no-writes\nreturn '\u{1}\u{ff}'";
    let sha = String::from_utf8(c.cmd(&["SCRIPT", "LOAD", body])[5..45].to_vec()).expect("a sha");
    assert_eq!(
        c.cmd(&["SCRIPT", "SHOW", &sha]),
        [format!("${}\r\n", body.len()).as_bytes(), body.as_bytes(), b"\r\n"].concat()
    );
    // Not allowed from a script (`noscript`), as in Valkey.
    assert!(run(&mut c, &["EVAL", "return redis.call('script', 'show', 'x')", "0"])
        .starts_with("-ERR This Redis command is not allowed from script"));
}

#[test]
fn script_show_against_valkey8() {
    if !have_oracle(Kind::Valkey8) {
        return;
    }
    let mut p = Pair::against(Kind::Valkey8, &[]);
    for proto in ["2", "3"] {
        p.hello(proto);
        let (mut f, mut v) = p.conns();
        for c in [&mut f, &mut v] {
            c.cmd(&["HELLO", proto]);
            script_show_expectations(c);
        }
        p.same(&["SCRIPT", "LOAD", "return {1, 'two'}"]);
        for line in
            ["SCRIPT SHOW 3e1ab2ba8e3ef3a46e73d64a8e39ac4b9b4e9a4b", "SCRIPT SHOW", "SCRIPT SHOW a b", "SCRIPT SHOW ''"]
        {
            p.same_line(line);
        }
        let sha = String::from_utf8(p.same(&["SCRIPT", "LOAD", "return 'x'"])[5..45].to_vec()).expect("sha");
        p.same(&["SCRIPT", "SHOW", &sha]);
        // The command's metadata as Valkey declares it (Valkey 8 gives every argument of every command a
        // `display_text`; ferredis keeps Redis 7.0's COMMAND DOCS, which has none).
        p.same(&["COMMAND", "INFO", "script|show"]);
        let (f, v) = p.replies(&["COMMAND", "DOCS", "script|show"]);
        assert_eq!(escape(&f), escape(&without_display_text(&v)), "COMMAND DOCS script|show");
    }
}

/// A COMMAND DOCS reply without Valkey 8's `display_text` argument fields (RESP2 or RESP3), re-encoded.
pub(crate) fn without_display_text(reply: &[u8]) -> Vec<u8> {
    // Each argument is a map (RESP3 `%n`, RESP2 `*2n`) whose `display_text` entry is a key and a bulk value.
    let text = String::from_utf8_lossy(reply).into_owned();
    let lines: Vec<&str> = text.split_inclusive("\r\n").collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == "$12\r\n" && lines.get(i + 1) == Some(&"display_text\r\n") {
            // Drop the key and its value (a bulk: length line and data line); shrink the enclosing map.
            i += 4;
            for j in (0..out.len()).rev() {
                let l = out[j].clone();
                if let Some(n) = l.strip_prefix('%').and_then(|r| r.trim_end().parse::<usize>().ok()) {
                    out[j] = format!("%{}\r\n", n - 1);
                    break;
                }
                if let Some(n) = l.strip_prefix('*').and_then(|r| r.trim_end().parse::<usize>().ok()) {
                    if n % 2 == 0 && n >= 4 && !reply.starts_with(b"%") {
                        out[j] = format!("*{}\r\n", n - 2);
                        break;
                    }
                }
            }
            continue;
        }
        out.push(lines[i].to_string());
        i += 1;
    }
    out.concat().into_bytes()
}

#[test]
fn set_ifeq() {
    let s = Server::ferredis();
    let mut c = s.conn();
    // The documentation's example: the key is set only when its value is the comparison value.
    assert_eq!(run(&mut c, &["SET", "foo", "Initial Value"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["SET", "foo", "New Value", "IFEQ", "Initial Value"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["GET", "foo"]), "$9\r\nNew Value\r\n");
    assert_eq!(run(&mut c, &["SET", "foo", "Another Value", "IFEQ", "Initial Value"]), "$-1\r\n");
    assert_eq!(run(&mut c, &["GET", "foo"]), "$9\r\nNew Value\r\n");
    // A missing key is not created.
    assert_eq!(run(&mut c, &["SET", "nokey", "v", "IFEQ", "x"]), "$-1\r\n");
    assert_eq!(run(&mut c, &["EXISTS", "nokey"]), ":0\r\n");
    // With GET: the old value whatever the outcome (nil for a missing key), and the set only on a match.
    assert_eq!(run(&mut c, &["SET", "foo", "v3", "IFEQ", "nope", "GET"]), "$9\r\nNew Value\r\n");
    assert_eq!(run(&mut c, &["GET", "foo"]), "$9\r\nNew Value\r\n");
    assert_eq!(run(&mut c, &["SET", "foo", "v3", "GET", "IFEQ", "New Value"]), "$9\r\nNew Value\r\n");
    assert_eq!(run(&mut c, &["GET", "foo"]), "$2\r\nv3\r\n");
    assert_eq!(run(&mut c, &["SET", "nokey", "v", "IFEQ", "x", "GET"]), "$-1\r\n");
    assert_eq!(run(&mut c, &["EXISTS", "nokey"]), ":0\r\n");
    // An integer-encoded value compares as its text.
    assert_eq!(run(&mut c, &["SET", "n", "123"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["SET", "n", "124", "IFEQ", "123"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["SET", "n", "125", "IFEQ", "0123"]), "$-1\r\n");
    // Case matters, binary bytes too.
    assert_eq!(run(&mut c, &["SET", "foo", "v4", "IFEQ", "V3"]), "$-1\r\n");
    // Another type: WRONGTYPE, with or without GET, and nothing changes.
    assert_eq!(run(&mut c, &["RPUSH", "list", "a"]), ":1\r\n");
    let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    assert_eq!(run(&mut c, &["SET", "list", "v", "IFEQ", "a"]), wrongtype);
    assert_eq!(run(&mut c, &["SET", "list", "v", "IFEQ", "a", "GET"]), wrongtype);
    assert_eq!(run(&mut c, &["TYPE", "list"]), "+list\r\n");
    // Expiry options apply when the condition holds; KEEPTTL keeps the TTL.
    assert_eq!(run(&mut c, &["SET", "t", "a", "EX", "100"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["SET", "t", "b", "IFEQ", "a", "KEEPTTL"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["TTL", "t"]), ":100\r\n");
    assert_eq!(run(&mut c, &["SET", "t", "c", "IFEQ", "b"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["TTL", "t"]), ":-1\r\n");
    assert_eq!(run(&mut c, &["SET", "t", "d", "IFEQ", "c", "PX", "100000"]), "+OK\r\n");
    assert!((90_000..=100_000).contains(&int_of(&run(&mut c, &["PTTL", "t"]))));
    assert_eq!(run(&mut c, &["SET", "t", "e", "IFEQ", "zz", "EX", "5"]), "$-1\r\n");
    assert_eq!(run(&mut c, &["GET", "t"]), "$1\r\nd\r\n");
    // Syntax: IFEQ takes a value, once, and never with NX or XX; a bad expire is still its own error.
    let syntax = "-ERR syntax error\r\n";
    for bad in [
        &["SET", "foo", "v", "IFEQ"][..],
        &["SET", "foo", "v", "IFEQ", "a", "NX"],
        &["SET", "foo", "v", "NX", "IFEQ", "a"],
        &["SET", "foo", "v", "XX", "IFEQ", "a"],
        &["SET", "foo", "v", "IFEQ", "a", "XX"],
        &["SET", "foo", "v", "IFEQ", "a", "IFEQ", "b"],
    ] {
        assert_eq!(run(&mut c, bad), syntax, "{bad:?}");
    }
    assert_eq!(
        run(&mut c, &["SET", "foo", "v", "IFEQ", "v4", "EX", "0"]),
        "-ERR invalid expire time in 'set' command\r\n"
    );
    assert_eq!(run(&mut c, &["GET", "foo"]), "$2\r\nv3\r\n");
    // RESP3: the abort is RESP3's null.
    run(&mut c, &["HELLO", "3"]);
    assert_eq!(run(&mut c, &["SET", "foo", "x", "IFEQ", "nope"]), "_\r\n");
    assert_eq!(run(&mut c, &["SET", "foo", "x", "IFEQ", "v3"]), "+OK\r\n");
    // The keyspace event of a conditional set is `set`, and only when it happens.
    let history = run(&mut c, &["COMMAND", "DOCS", "set"]);
    assert!(history.contains("Added the `IFEQ` option."), "{history}");
    assert!(history.contains("comparison-value"), "{history}");
}

#[test]
fn delifeq() {
    let s = Server::ferredis();
    let mut c = s.conn();
    // The documentation's lock-release pattern.
    assert_eq!(run(&mut c, &["SET", "lock", "token-1", "NX", "PX", "30000"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["DELIFEQ", "lock", "token-2"]), ":0\r\n");
    assert_eq!(run(&mut c, &["EXISTS", "lock"]), ":1\r\n");
    assert_eq!(run(&mut c, &["DELIFEQ", "lock", "token-1"]), ":1\r\n");
    assert_eq!(run(&mut c, &["EXISTS", "lock"]), ":0\r\n");
    assert_eq!(run(&mut c, &["DELIFEQ", "lock", "token-1"]), ":0\r\n");
    // Integers compare as text; other types are WRONGTYPE.
    assert_eq!(run(&mut c, &["SET", "n", "42"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["DELIFEQ", "n", "042"]), ":0\r\n");
    assert_eq!(run(&mut c, &["DELIFEQ", "n", "42"]), ":1\r\n");
    assert_eq!(run(&mut c, &["SADD", "s", "a"]), ":1\r\n");
    assert_eq!(
        run(&mut c, &["DELIFEQ", "s", "a"]),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(run(&mut c, &["DELIFEQ", "s"]), "-ERR wrong number of arguments for 'delifeq' command\r\n");
    assert_eq!(run(&mut c, &["DELIFEQ", "s", "a", "b"]), "-ERR wrong number of arguments for 'delifeq' command\r\n");
    // An expired key is missing.
    assert_eq!(run(&mut c, &["SET", "e", "v", "PX", "1"]), "+OK\r\n");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(run(&mut c, &["DELIFEQ", "e", "v"]), ":0\r\n");
    // Its table entry: a fast write of one key, in the string group.
    let info = run(&mut c, &["COMMAND", "INFO", "delifeq"]);
    assert!(
        info.starts_with("*1\r\n*10\r\n$7\r\ndelifeq\r\n:3\r\n*2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"),
        "{info}"
    );
    assert!(info.contains("+@write\r\n+@string\r\n+@fast\r\n"), "{info}");
}

/// A ferredis master with Debian's Redis 7.0 as its replica: SET ... IFEQ reaches it as a plain SET (it knows no
/// IFEQ) and DELIFEQ as DEL, only when they changed something.
#[test]
fn ifeq_and_delifeq_replicate_as_set_and_del() {
    if !have_redis() {
        return;
    }
    let master = Server::ferredis();
    let replica = Server::start(Kind::Redis, &["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let (mut m, mut r) = (master.conn(), replica.conn());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !run(&mut r, &["INFO", "replication"]).contains("master_link_status:up") {
        assert!(std::time::Instant::now() < deadline, "the replica never synced");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for cmd in [
        &["SET", "k", "a"][..],
        &["SET", "k", "b", "IFEQ", "a"],
        &["SET", "k", "c", "IFEQ", "zz"],
        &["SET", "t", "x", "EX", "100"],
        &["SET", "t", "y", "IFEQ", "x", "KEEPTTL", "GET"],
        &["SET", "gone", "1"],
        &["DELIFEQ", "gone", "2"],
        &["DELIFEQ", "gone", "1"],
        &["SET", "done", "1"],
    ] {
        m.cmd(cmd);
    }
    while run(&mut r, &["GET", "done"]) != "$1\r\n1\r\n" {
        assert!(std::time::Instant::now() < deadline, "the stream never arrived");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(run(&mut r, &["GET", "k"]), "$1\r\nb\r\n");
    assert_eq!(run(&mut r, &["GET", "t"]), "$1\r\ny\r\n");
    assert!((90..=100).contains(&int_of(&run(&mut r, &["TTL", "t"]))));
    assert_eq!(run(&mut r, &["EXISTS", "gone"]), ":0\r\n");
    // Nothing the replica refused (a propagated IFEQ would have been an error it logs).
    assert!(!replica.full_log().contains("syntax error"), "{}", replica.full_log());
}

/// COMMANDLOG entries: `[id, time, value, args, peer, name]`; this keeps the id, the value and the args.
fn entries(c: &mut Conn, kind: &str) -> Vec<(i64, i64, Vec<String>)> {
    let reply = Resp::parse(&c.cmd(&["COMMANDLOG", "GET", "-1", kind])).expect("a reply");
    let Resp::Array(items) = reply else { panic!("not an array: {reply:?}") };
    items
        .into_iter()
        .map(|e| {
            let Resp::Array(f) = e else { panic!("not an entry") };
            let int = |r: &Resp| match r {
                Resp::Int(n) => *n,
                other => panic!("not an integer: {other:?}"),
            };
            let Resp::Array(args) = &f[3] else { panic!("no args") };
            let args = args.iter().map(|a| String::from_utf8_lossy(a.as_bytes().expect("bulk")).into_owned()).collect();
            (int(&f[0]), int(&f[2]), args)
        })
        .collect()
}

#[test]
fn commandlog() {
    let s = Server::ferredis();
    let mut c = s.conn();
    // The defaults: the slow log's (SLOWLOG's directives are the same settings), 1 MiB for the size logs.
    assert_eq!(
        run(&mut c, &["CONFIG", "GET", "commandlog-*"]),
        "*12\r\n$32\r\ncommandlog-execution-slower-than\r\n$5\r\n10000\r\n$33\r\ncommandlog-slow-execution-max-len\r\n$3\r\n128\r\n\
         $30\r\ncommandlog-request-larger-than\r\n$7\r\n1048576\r\n$32\r\ncommandlog-large-request-max-len\r\n$3\r\n128\r\n\
         $28\r\ncommandlog-reply-larger-than\r\n$7\r\n1048576\r\n$30\r\ncommandlog-large-reply-max-len\r\n$3\r\n128\r\n"
    );
    for t in ["slow", "large-request", "large-reply", "SLOW", "Large-Reply"] {
        assert_eq!(run(&mut c, &["COMMANDLOG", "LEN", t]), ":0\r\n", "{t}");
    }
    // Errors: the count first, then the type; arity per subcommand.
    let bad_type = "-ERR type should be one of the following: slow, large-request, large-reply\r\n";
    assert_eq!(run(&mut c, &["COMMANDLOG", "GET", "1", "nope"]), bad_type);
    assert_eq!(run(&mut c, &["COMMANDLOG", "LEN", "nope"]), bad_type);
    assert_eq!(run(&mut c, &["COMMANDLOG", "RESET", "nope"]), bad_type);
    let bad_count = "-ERR count should be greater than or equal to -1\r\n";
    assert_eq!(run(&mut c, &["COMMANDLOG", "GET", "-2", "nope"]), bad_count);
    assert_eq!(run(&mut c, &["COMMANDLOG", "GET", "x", "slow"]), bad_count);
    assert_eq!(
        run(&mut c, &["COMMANDLOG", "GET", "1"]),
        "-ERR wrong number of arguments for 'commandlog|get' command\r\n"
    );
    assert_eq!(run(&mut c, &["COMMANDLOG", "LEN"]), "-ERR wrong number of arguments for 'commandlog|len' command\r\n");
    assert_eq!(run(&mut c, &["COMMANDLOG", "NOPE"]), "-ERR unknown subcommand 'NOPE'. Try COMMANDLOG HELP.\r\n");
    let help = run(&mut c, &["COMMANDLOG", "HELP"]);
    assert!(
        help.starts_with(
            "*16\r\n+COMMANDLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <count> <type>\r\n"
        ),
        "{help}"
    );
    assert!(
        help.ends_with(
            "+RESET <type>\r\n+    Reset the specified type of commandlog.\r\n+HELP\r\n+    Prints this help.\r\n"
        ),
        "{help}"
    );

    // Large requests: the RESP bytes of the request (`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20\r\n<20>\r\n` = 47).
    assert_eq!(run(&mut c, &["CONFIG", "SET", "commandlog-request-larger-than", "40"]), "+OK\r\n");
    let v20 = "v".repeat(20);
    assert_eq!(run(&mut c, &["SET", "k", &v20]), "+OK\r\n");
    assert_eq!(run(&mut c, &["GET", "k"]), format!("$20\r\n{v20}\r\n"));
    let big = entries(&mut c, "large-request");
    // Newest first: the COMMANDLOG GET itself is not over 40 bytes, the CONFIG SET is.
    assert_eq!(big[0].1, 47, "{big:?}");
    assert_eq!(big[0].2, ["SET", "k", &v20]);
    assert_eq!(big[1].2[..2], ["CONFIG", "SET"]);
    // Large replies: the bytes the command added to the reply (`$20\r\n<20>\r\n` = 27).
    assert_eq!(run(&mut c, &["CONFIG", "SET", "commandlog-reply-larger-than", "27"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["COMMANDLOG", "RESET", "large-reply"]), "+OK\r\n");
    run(&mut c, &["GET", "k"]);
    run(&mut c, &["SET", "k2", "short"]);
    let big = entries(&mut c, "large-reply");
    assert_eq!(big.iter().filter(|e| e.2 == ["GET", "k"]).map(|e| e.1).collect::<Vec<_>>(), [27], "{big:?}");
    assert!(!big.iter().any(|e| e.2[0] == "SET"), "{big:?}");
    // Inline requests count their words, single spaces and CRLF, as Valkey does.
    assert_eq!(run(&mut c, &["COMMANDLOG", "RESET", "large-request"]), "+OK\r\n");
    let v40 = "v".repeat(40);
    c.send_raw(format!("SET   k3   {v40}\r\n").as_bytes()).expect("send");
    assert_eq!(c.read_reply().expect("reply"), b"+OK\r\n");
    let big = entries(&mut c, "large-request");
    let inline: Vec<_> = big.iter().filter(|e| e.2[0] == "SET").collect();
    assert_eq!(inline.len(), 1, "{big:?}");
    assert_eq!(inline[0].1, (3 + 2 + 40 + 2 + 2) as i64);
    // -1 turns a log off; max-len trims the oldest.
    assert_eq!(run(&mut c, &["CONFIG", "SET", "commandlog-request-larger-than", "-1"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["COMMANDLOG", "RESET", "large-request"]), "+OK\r\n");
    run(&mut c, &["SET", "k", &v20]);
    assert_eq!(run(&mut c, &["COMMANDLOG", "LEN", "large-request"]), ":0\r\n");
    assert_eq!(run(&mut c, &["CONFIG", "SET", "commandlog-request-larger-than", "0"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["CONFIG", "SET", "commandlog-large-request-max-len", "2"]), "+OK\r\n");
    for i in 0..5 {
        run(&mut c, &["PING", &i.to_string()]);
    }
    let last = entries(&mut c, "large-request");
    assert_eq!(last.len(), 2);
    assert_eq!(last[0].0, last[1].0 + 1, "ids count up");
    // Max-len 0 turns the log off: nothing is added, and (as in Valkey) nothing is trimmed either.
    assert_eq!(run(&mut c, &["CONFIG", "SET", "commandlog-large-request-max-len", "0"]), "+OK\r\n");
    run(&mut c, &["PING", "more"]);
    assert_eq!(run(&mut c, &["COMMANDLOG", "LEN", "large-request"]), ":2\r\n");
    assert_eq!(run(&mut c, &["COMMANDLOG", "RESET", "large-request"]), "+OK\r\n");
    // AUTH's secret never reaches a log.
    assert_eq!(run(&mut c, &["CONFIG", "SET", "commandlog-large-request-max-len", "10"]), "+OK\r\n");
    run(&mut c, &["AUTH", "someone", "secret-password"]);
    assert!(!entries(&mut c, "large-request").iter().any(|e| e.2.iter().any(|a| a.contains("secret"))));
    // The slow log is COMMANDLOG's `slow` type: the same entries, the same settings under either name.
    assert_eq!(run(&mut c, &["CONFIG", "SET", "commandlog-execution-slower-than", "0"]), "+OK\r\n");
    assert_eq!(
        run(&mut c, &["CONFIG", "GET", "slowlog-log-slower-than"]),
        "*2\r\n$23\r\nslowlog-log-slower-than\r\n$1\r\n0\r\n"
    );
    run(&mut c, &["SLOWLOG", "RESET"]);
    run(&mut c, &["ECHO", "hello"]);
    let slow = entries(&mut c, "slow");
    assert_eq!(slow.first().map(|e| e.2.clone()), Some(vec!["ECHO".to_string(), "hello".to_string()]), "{slow:?}");
    let n = run(&mut c, &["SLOWLOG", "LEN"]);
    assert_eq!(
        run(&mut c, &["COMMANDLOG", "LEN", "slow"]),
        n.replace(&n[1..n.len() - 2], &(n[1..n.len() - 2].parse::<i64>().unwrap() + 1).to_string())
    );
    assert_eq!(run(&mut c, &["CONFIG", "SET", "slowlog-max-len", "3"]), "+OK\r\n");
    assert_eq!(
        run(&mut c, &["CONFIG", "GET", "commandlog-slow-execution-max-len"]),
        "*2\r\n$33\r\ncommandlog-slow-execution-max-len\r\n$1\r\n3\r\n"
    );
    assert_eq!(run(&mut c, &["COMMANDLOG", "RESET", "slow"]), "+OK\r\n");
    assert_eq!(run(&mut c, &["SLOWLOG", "LEN"]), ":1\r\n");
}

/// SLOWLOG and its settings answer as Redis 7.0.15's do: COMMANDLOG adds names, it changes none of theirs.
#[test]
fn slowlog_is_still_redis_70() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    for line in [
        "SLOWLOG HELP",
        "SLOWLOG LEN",
        "SLOWLOG GET 1 2",
        "SLOWLOG GET -2",
        "CONFIG SET slowlog-log-slower-than -1",
        "CONFIG GET slowlog-log-slower-than",
        "CONFIG SET slowlog-log-slower-than -2",
        "CONFIG SET slowlog-max-len 5",
        "SLOWLOG RESET",
        "SLOWLOG GET",
        "COMMAND INFO slowlog|get",
        "COMMAND DOCS slowlog|get",
    ] {
        p.same_line(line);
    }
    // A pattern's matches come in the order of Redis's config table, which is hashed with a seed drawn at start:
    // compared as sets.
    let (f, r) = p.replies(&["CONFIG", "GET", "slowlog*"]);
    let pairs = |b: &[u8]| {
        let v = crate::common::Resp::parse(b).expect("CONFIG GET reply");
        let mut items: Vec<Vec<u8>> =
            v.items().expect("array").iter().map(|x| x.as_bytes().unwrap_or_default().to_vec()).collect();
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = items.chunks_mut(2).map(|c| (c[0].clone(), c[1].clone())).collect();
        pairs.sort();
        pairs
    };
    assert_eq!(pairs(&f), pairs(&r));
    assert_eq!(pairs(&f).len(), 2);
}
