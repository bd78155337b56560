//! Extreme numeric arguments (issue 12): every command that takes a count, offset, range, limit or time, fed
//! -2^63, 2^63-1, values just past them, zero, negatives and float overflows, run on ferredis and on Debian's
//! redis-server with the reply bytes compared. The point is Redis's errors, no panic and no unbounded allocation:
//! after the table the server must still answer and its RSS must stay small.
//!
//! A line starting with `~ ` returns random members (SRANDMEMBER, SPOP, ...) or an unordered scan: its errors are
//! compared exactly, its arrays by length only.

use crate::common;

use common::watch::{assert_rss_below, RSS_MARGIN_MB};
use common::{escape, split_args, Conn, Kind, Server};

const MIN: &str = "-9223372036854775808";
const MAX: &str = "9223372036854775807";

/// The table (the slow log is off: what a loaded machine makes slow must not show up in SLOWLOG GET). `MIN`/`MAX` stand for -2^63 and 2^63-1; `MAXP1` for 2^63, `MINM1` for -2^63-1.
const TABLE: &str = r#"
FLUSHALL
CONFIG SET slowlog-log-slower-than -1
SET s "hello world"
RPUSH l a b c d e c
SADD st a b c
HSET h f1 v1 f2 v2 f3 v3
ZADD z 1 a 2 b 3 c
SET n 10
SET f 1.5
SETRANGE s 536870912 x
SETRANGE s 536870911 ""
SETRANGE s MAX x
SETRANGE s MIN x
SETRANGE s -1 x
SETRANGE s MAXP1 x
SETRANGE nokey 536870912 x
SETRANGE nokey 100 ""
SETRANGE s 536870912 ""
EXISTS nokey
GETRANGE s 0 -1
GETRANGE s MIN MAX
GETRANGE s MAX MIN
GETRANGE s 5 2
GETRANGE s -100 -50
GETRANGE s 0 MAXP1
GETRANGE s MINM1 0
GETRANGE n MIN 1
GETRANGE nokey 0 -1
SUBSTR s -3 MAX
LPOS l c RANK 0
LPOS l c RANK MIN
LPOS l c RANK MAX
LPOS l c RANK -1
LPOS l c COUNT -1
LPOS l c COUNT MAX
LPOS l c COUNT 0 RANK -1
LPOS l c MAXLEN -1
LPOS l c MAXLEN MAX
LPOS l c COUNT 0 MAXLEN 1
LPOS l c RANK MAXP1
LRANGE l MIN MAX
LRANGE l MAX MIN
LRANGE l -3 MAX
LRANGE l 0 MAXP1
LINDEX l MIN
LINDEX l MAX
LINDEX l -6
LINDEX l MAXP1
LSET l MIN x
LSET l MAX x
LSET l -6 first
LSET l MAXP1 x
RPUSH l2 1 2 3
LTRIM l2 MIN MAX
LRANGE l2 0 -1
LTRIM l2 1 MIN
EXISTS l2
RPUSH l2 1 2 3
LTRIM l2 MAX 0
EXISTS l2
RPOP l -1
RPOP l 0
RPOP l MAXP1
LPOP nokey MAX
LMPOP 0 l LEFT
LMPOP MAX l LEFT
LMPOP 1 l LEFT COUNT 0
LMPOP 1 l LEFT COUNT -1
BLPOP l -1
BLPOP l 1e300
BLPOP l inf
BLPOP l nan
BLMPOP 1e300 1 l LEFT
BZPOPMIN z 1e300
SRANDMEMBER st MIN
SRANDMEMBER st 0
~ SRANDMEMBER st MAX
~ SRANDMEMBER st -5
~ SRANDMEMBER st -100000
SRANDMEMBER st MAXP1
SRANDMEMBER nokey MIN
HRANDFIELD h MIN
HRANDFIELD h MIN WITHVALUES
HRANDFIELD h -4611686018427387904 WITHVALUES
HRANDFIELD h 0 WITHVALUES
~ HRANDFIELD h MAX WITHVALUES
~ HRANDFIELD h -7 WITHVALUES
~ HRANDFIELD h 4611686018427387904 WITHVALUES
ZRANDMEMBER z MIN
ZRANDMEMBER z MIN WITHSCORES
ZRANDMEMBER z -4611686018427387904 WITHSCORES
ZRANDMEMBER z 0
~ ZRANDMEMBER z MAX WITHSCORES
~ ZRANDMEMBER z -9 WITHSCORES
SPOP st -1
SPOP st MIN
SPOP st 0
SPOP st MAXP1
~ SPOP st MAX
EXISTS st
SINTERCARD 1 st LIMIT -1
SINTERCARD MAX st
SINTERCARD 0 st
SINTERCARD 1 st LIMIT MAX
ZINTERCARD MAX z
ZUNIONSTORE out MAX z
ZUNIONSTORE out 0 z
ZUNIONSTORE out -1 z
SORT l LIMIT MIN MAX ALPHA
SORT l LIMIT MAX MAX ALPHA
SORT l LIMIT 0 -1 ALPHA
SORT l LIMIT 2 MIN ALPHA
SORT l LIMIT 1 MAXP1 ALPHA
SORT l LIMIT -5 2 ALPHA
ZRANGE z -inf +inf BYSCORE LIMIT MIN MAX
ZRANGE z -inf +inf BYSCORE LIMIT MAX 1
ZRANGE z -inf +inf BYSCORE LIMIT 0 MIN
ZRANGE z -inf +inf BYSCORE LIMIT 1 -1
ZRANGE z + - BYLEX REV LIMIT 1 MAX
ZRANGE z 0 -1 LIMIT 0 1
ZRANGE z MIN MAX
ZRANGE z MAX MIN
ZRANGE z 0 MAXP1
ZRANGEBYSCORE z -inf +inf LIMIT 1 MAX
ZRANGEBYSCORE z -inf +inf LIMIT MIN 2
ZRANGEBYSCORE z (1 (1
ZRANGEBYSCORE z 1e400 +inf
ZRANGEBYSCORE z nan 1
ZREVRANGEBYSCORE z +inf -inf LIMIT MAX MAX
ZRANGEBYLEX z - + LIMIT -1 5
ZREVRANGEBYLEX z + - LIMIT 0 MIN
ZRANGESTORE dst z MIN MAX
ZREMRANGEBYRANK dst MIN MAX
ZCOUNT z -inf inf
ZPOPMIN z -1
ZPOPMIN z 0
ZPOPMAX z MAXP1
EXPIRE s MAX
EXPIRE s 9223372036854775
EXPIRE s 9223372036854774
PEXPIRE s MAX
PEXPIRE s 9223372036854775000
EXPIREAT s MAX
PEXPIREAT s MAX
EXPIRE s MAXP1
EXPIRE s MIN
PERSIST s
EXPIRE n -1
EXISTS n
PEXPIREAT f MIN
EXISTS f
SET k v EX MAX
SET k v PX MAX
SET k v EXAT MAX
SET k v PXAT MAX
SET k v EX 0
SET k v PX -1
SET k v EX MAXP1
SET k v EX 9223372036854775
SETEX k MAX v
SETEX k 0 v
PSETEX k -1 v
PSETEX k MAX v
SET g 1
GETEX g EX MAX
GETEX g PX MAX
GETEX g PXAT MAX
GETEX g EXAT -1
GETEX g EX 0
SET n 10
INCRBY n MAX
INCRBY n MIN
DECRBY n MIN
DECRBY n MAX
SET n MAX
INCR n
SET n MIN
DECR n
DECRBY n 1
INCRBY n MAXP1
INCRBY n 1.5
SET f 1.5
INCRBYFLOAT f 1e308
INCRBYFLOAT f 1e308
INCRBYFLOAT f inf
INCRBYFLOAT f -inf
INCRBYFLOAT f nan
INCRBYFLOAT f 1e400
INCRBYFLOAT f 1e-400
INCRBYFLOAT f 0x10
INCRBYFLOAT f " 1"
GET f
SET f inf
INCRBYFLOAT f 1
HINCRBYFLOAT h fl 1.7976931348623157e308
HINCRBYFLOAT h fl 1.7976931348623157e308
HINCRBYFLOAT h fl inf
HINCRBYFLOAT h fl nan
HGET h fl
HINCRBY h cnt MAX
HINCRBY h cnt 1
HINCRBY h cnt MIN
HINCRBY h cnt MAXP1
HINCRBY h f1 1
ZINCRBY z inf a
ZINCRBY z -inf a
ZINCRBY z nan a
ZINCRBY z 1e400 b
ZSCORE z a
ZADD z nan x
ZADD z INCR inf b
ZADD z INCR -inf b
ZADD z 1e309 y
ZADD z -1e308 y
ZSCORE z y
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT MAXP1
~ SCAN 0 COUNT MAX
~ SCAN 18446744073709551615 COUNT 10
SCAN 18446744073709551616
~ SCAN -1
SCAN 0 COUNT 10 TYPE nosuchtype
SSCAN l 0 COUNT 0
SADD st a b c
~ SSCAN st 0 COUNT MAX
SSCAN st 0 COUNT 0
HSCAN h 0 COUNT -1
~ ZSCAN z 0 COUNT MAX
OBJECT FREQ s
OBJECT IDLETIME nokey
OBJECT FREQ nokey
SELECT MAX
SELECT -1
SELECT MAXP1
MOVE s MAX
SWAPDB 0 MAX
SWAPDB -1 0
SLOWLOG GET -2
SLOWLOG GET MIN
~ SLOWLOG GET MAX
CLIENT KILL ID MAXP1
CLIENT KILL ID -1
CLIENT NO-EVICT maybe
RESTORE k -1 x
RESTORE k MAX x
LRANGE l 0 -1
"#;

fn expand(line: &str) -> String {
    line.split(' ')
        .map(|w| match w {
            "MIN" => MIN.to_string(),
            "MAX" => MAX.to_string(),
            "-MAX" => format!("-{MAX}"),
            "MAXP1" => "9223372036854775808".to_string(),
            "MINM1" => "-9223372036854775809".to_string(),
            w => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Arrays by length, everything else exactly.
fn shape(reply: &[u8]) -> String {
    if reply.first() == Some(&b'*') {
        let end = reply.iter().position(|&b| b == b'\r').unwrap_or(reply.len());
        format!("array of {}", String::from_utf8_lossy(&reply[1..end]))
    } else {
        escape(reply)
    }
}

fn run_table(kind: Kind) -> (Vec<(String, String)>, Server) {
    let s = Server::start(kind, &[]);
    let mut c: Conn = s.conn();
    let mut out = Vec::new();
    for raw in TABLE.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (random, line) = match raw.strip_prefix("~ ") {
            Some(l) => (true, l),
            None => (false, raw),
        };
        let line = expand(line);
        let args = split_args(&line).unwrap_or_else(|e| panic!("bad table line {line:?}: {e}"));
        let reply = c.try_cmd(&args).unwrap_or_else(|e| panic!("{}: {line}: {e}", kind.label()));
        let shown = if random { shape(&reply) } else { escape(&reply) };
        out.push((line, shown));
    }
    (out, s)
}

#[test]
fn extreme_numeric_arguments_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (ours, server) = run_table(Kind::Ferredis);
    let (theirs, _redis) = run_table(Kind::Redis);
    let diffs: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .filter(|(a, b)| a.1 != b.1)
        .map(|((line, a), (_, b))| format!("{line}\n  ferredis {a}\n  redis    {b}"))
        .collect();
    assert!(diffs.is_empty(), "{} differences from redis-server:\n{}", diffs.len(), diffs.join("\n"));
    // No unbounded allocation happened on the way, and the server still answers.
    let mut c = server.conn();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_rss_below(&server, RSS_MARGIN_MB, "extreme numeric arguments");
}

/// Counts for which Redis 7.0 builds a reply of 2^62 elements or more (they are not in the table: without an output
/// limit Redis generates until it runs out of memory). Under `client-output-buffer-limit normal 1mb 0 0` both
/// servers stop generating at the limit and close the client without a byte of reply; the server answers on.
/// (Without a limit ferredis cuts such a reply at 1 GiB, see `UNBOUNDED_REPLY_MAX_BYTES`.)
fn unbounded_counts(kind: Kind) -> Vec<String> {
    let s = Server::start(kind, &["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let mut c = s.conn();
    c.cmd(&["SADD", "st", "a", "b", "c"]);
    c.cmd(&["HSET", "h", "f1", "v1", "f2", "v2"]);
    c.cmd(&["ZADD", "z", "1", "a"]);
    let mut out = Vec::new();
    for line in [
        "SRANDMEMBER st -9223372036854775807",
        "HRANDFIELD h -4611686018427387903 WITHVALUES",
        "HRANDFIELD h -9223372036854775807",
        "ZRANDMEMBER z -4611686018427387903 WITHSCORES",
        "ZRANDMEMBER z -9223372036854775807",
    ] {
        let mut t = Conn::connect(s.port);
        t.send(&split_args(line).unwrap()).unwrap();
        let (bytes, closed) = t.read_until_close(5000);
        out.push(format!("{line}: closed={closed} bytes={}", bytes.len()));
    }
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    if kind == Kind::Ferredis {
        assert_rss_below(&s, RSS_MARGIN_MB, "unbounded counts");
    }
    out
}

#[test]
fn counts_redis_would_build_unbounded() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let theirs = unbounded_counts(Kind::Redis);
    assert!(theirs.iter().all(|l| l.ends_with("closed=true bytes=0")), "{theirs:#?}");
    assert_eq!(unbounded_counts(Kind::Ferredis), theirs);
}
