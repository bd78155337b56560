//! JSON (RedisJSON 2.8's command set, native) against Debian's redis-server 7.0.15 with RedisJSON 2.8 loaded
//! (`tests/common/rejson.rs`), reply bytes compared. Without the server or the module the tests print
//! "skipped" and pass (they fail under `FERREDIS_REQUIRE_ORACLES=1`).

use crate::common;

use common::rejson::{have_rejson, rejson_server};
use common::*;

#[test]
fn the_oracle_loads_redisjson() {
    if !have_rejson() {
        return;
    }
    let s = rejson_server(&[]);
    let mut c = s.conn();
    let r = c.cmd(&["MODULE", "LIST"]);
    assert!(r.windows(6).any(|w| w == b"ReJSON"), "MODULE LIST: {}", escape(&r));
    assert_eq!(c.cmd(&["JSON.SET", "k", "$", "[1]"]), b"+OK\r\n");
}

/// A reply whose order is a hash table's: an array's items sorted, or a bulk reply holding a JSON object with its
/// members sorted: JSON.GET of several paths answers an object
/// whose member order is RedisJSON's hash map's, not the order of the paths.
fn sorted_members(reply: &[u8]) -> Vec<u8> {
    use ferredis::keyspace::types::json::{parse, Json};
    if reply.starts_with(b"*") {
        // An array in hash order (COMMAND LIST): its items sorted.
        let Ok(v) = Resp::parse(reply) else { return reply.to_vec() };
        let mut items: Vec<String> =
            v.items().map(|i| i.iter().map(|x| escape(x.as_bytes().unwrap_or_default())).collect()).unwrap_or_default();
        items.sort();
        return items.join(",").into_bytes();
    }
    if !reply.starts_with(b"$") || reply.len() < 4 {
        return reply.to_vec();
    }
    let Some(start) = reply.iter().position(|&b| b == b'\n') else { return reply.to_vec() };
    let body = &reply[start + 1..reply.len().saturating_sub(2)];
    let Ok(Json::Object(o)) = parse(std::str::from_utf8(body).unwrap_or("")) else { return reply.to_vec() };
    let mut members: Vec<String> =
        o.iter().map(|(k, v)| format!("{k:?}:{}", String::from_utf8_lossy(&v.to_text()))).collect();
    members.sort();
    members.join(",").into_bytes()
}

fn check(diffs: Vec<String>) {
    assert!(diffs.is_empty(), "{} differences (first 20):\n{}", diffs.len(), diffs[..diffs.len().min(20)].join("\n"));
}

/// Every command with its main forms and errors: legacy and JSONPath, missing keys and paths, other types.
const COMMANDS: &str = r#"
JSON.SET k $ '{"a":1,"s":"x","arr":[1,2],"o":{"b":true},"f":1.5}'
JSON.GET k
JSON.GET k .nope
JSON.GET k nope
JSON.GET k $.nope
~JSON.GET k .a .nope
~JSON.GET k a[ .a
~JSON.GET k .a .s
~JSON.GET k $.a $.s
JSON.SET x .a 1
JSON.SET k $.x.y 1
JSON.SET k $..q 1
JSON.SET k $.arr[5] 1
JSON.SET k .arr[*] 1
JSON.GET k
JSON.NUMINCRBY k .s 1
JSON.NUMINCRBY k .a 1x
JSON.NUMINCRBY k .a '"a"'
JSON.NUMINCRBY k $.a 1
JSON.NUMINCRBY k $.a 1.5
JSON.NUMINCRBY k $..* 2
JSON.NUMMULTBY k $.f 3
JSON.NUMINCRBY k .f 1e400
JSON.NUMINCRBY nokey $.a 1
SET str v
JSON.GET str
JSON.SET str $ 1
JSON.SET k $ bad
JSON.DEL k $.zz
JSON.TYPE k .nope
JSON.TYPE k $..*
JSON.TYPE k
JSON.STRLEN k .a
JSON.STRLEN k $..*
JSON.ARRLEN k .s
JSON.ARRLEN k $..*
JSON.ARRAPPEND k .nope 1
JSON.OBJLEN k $.nope
JSON.OBJLEN nokey $
JSON.OBJLEN nokey .
JSON.OBJLEN k $..*
JSON.OBJKEYS k $..*
JSON.OBJKEYS k
JSON.ARRINDEX k $.arr 1
JSON.ARRINDEX k $.arr x
JSON.ARRINDEX nokey $ 1
JSON.TOGGLE k .a
JSON.TOGGLE k $..b
JSON.TOGGLE k .o.b
JSON.DEBUG MEMORY k
JSON.DEBUG MEMORY k $..*
JSON.DEBUG foo
JSON.DEBUG HELP
JSON.RESP k
JSON.RESP k $..*
JSON.ARRPOP k .arr
JSON.ARRINSERT k .arr 5 1
JSON.ARRINSERT k $.arr 0 7 8 9
JSON.ARRTRIM k .arr 0 x
JSON.ARRTRIM k $.arr 1 2
JSON.GET k INDENT
JSON.GET k INDENT "  " NEWLINE "\n" SPACE " "
JSON.MGET k nokey str $.a
JSON.MGET k nokey str .a
JSON.STRAPPEND k $..* '"yy"'
JSON.STRAPPEND k .s '"zz"'
JSON.STRAPPEND k .s zz
JSON.CLEAR k $..*
JSON.GET k
JSON.SET k $ '{"a":{"b":{"c":1}},"x":[1,{"a":2}]}'
JSON.DEL k $..a
JSON.GET k
JSON.SET k $.n 1 NX
JSON.SET k $.n 2 NX
JSON.SET k $.m 2 XX
JSON.SET k $.n 3 XX
JSON.GET k
JSON.MERGE k $ '{"n":null,"z":{"q":1},"x":5}'
JSON.GET k
JSON.MSET k $.a 1 k2 $ '[1]'
JSON.MGET k k2 $
JSON.FORGET k
JSON.GET k
JSON.ARRPOP k2
JSON.ARRPOP k2
JSON.GET k2
TYPE k2
OBJECT ENCODING k2
COMMAND INFO json.get json.set json.mget json.del json.arrappend json.debug json.resp json.merge json.mset json.toggle
COMMAND DOCS json.get
COMMAND DOCS json.arrpop
COMMAND GETKEYS json.mget a b $
COMMAND GETKEYS json.mset a $ 1 b $ 2
COMMAND GETKEYS json.debug memory a
~COMMAND LIST FILTERBY MODULE ReJSON
~COMMAND LIST FILTERBY PATTERN json.arr*
"#;

#[test]
fn commands_answer_as_redisjson() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let opts = ScriptOpts { tilde: Some(sorted_members), ..Default::default() };
    let mut diffs = p.script_with("commands", COMMANDS, &opts);
    diffs.extend(p.script_with("commands", COMMANDS, &ScriptOpts { resp3: true, ..opts }));
    check(diffs);
}

/// A document grown deep by writes at deep paths: RedisJSON 2.8.3 checks only each argument's nesting, so a
/// 100-deep value set inside a 100-deep document answers OK on both; ferredis then refuses writes that would nest
/// the document past its bound (RedisJSON's own walks overflow the stack at about 9,700 levels) and stays up.
#[test]
fn deep_writes_are_bounded() {
    if !have_rejson() {
        return;
    }
    let p = Pair::with_rejson(&[]);
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let at = |n: usize| format!("${}", "[0]".repeat(n));
    for s in [&p.fer, &p.redis] {
        let mut c = s.conn();
        assert_eq!(c.cmd(&["JSON.SET", "k", "$", deep.as_str()]), b"+OK\r\n");
        assert_eq!(c.cmd(&["JSON.SET", "k", at(99).as_str(), deep.as_str()]), b"+OK\r\n");
        assert_eq!(c.cmd(&["JSON.ARRAPPEND", "k", at(198).as_str(), deep.as_str()]), b"*1\r\n:1\r\n");
        assert_eq!(c.cmd(&["JSON.MERGE", "k", at(100).as_str(), deep.as_str()]), b"+OK\r\n");
    }
    // Toward 10,000 levels by repeated writes: refused at the bound, the document unchanged, the server up.
    let mut c = p.fer.conn();
    assert_eq!(c.cmd(&["JSON.SET", "k", "$", deep.as_str()]), b"+OK\r\n");
    let mut depth = 100;
    let refused = loop {
        let r = c.cmd(&["JSON.SET", "k", at(depth - 1).as_str(), deep.as_str()]);
        if r != b"+OK\r\n" {
            break r;
        }
        depth += 99;
        assert!(depth < 10_000, "never refused");
    };
    assert_eq!(refused, b"-ERR recursion limit exceeded\r\n");
    assert!(depth > 1_900, "refused at {depth}");
    let two = format!("[{deep}]");
    for cmd in [
        vec!["JSON.ARRAPPEND", "k", &at(depth - 1), &deep],
        vec!["JSON.ARRINSERT", "k", &at(depth - 1), "0", &deep],
        vec!["JSON.MERGE", "k", &at(depth - 1), &two],
        vec!["JSON.MSET", "k", &at(depth - 1), &two],
    ] {
        assert_eq!(c.cmd(&cmd), b"-ERR recursion limit exceeded\r\n", "{}", cmd[0]);
    }
    let text = c.cmd(&["JSON.GET", "k"]);
    assert_eq!(text.iter().filter(|&&b| b == b'[').count(), depth);
    for cmd in [&["JSON.GET", "k", "$..[0]"][..], &["MEMORY", "USAGE", "k"], &["DUMP", "k"], &["DEBUG", "RELOAD"]] {
        assert!(!c.cmd(cmd).starts_with(b"-"), "{}", cmd[0]);
    }
    assert_eq!(c.cmd(&["JSON.GET", "k"]), text);
    assert_eq!(c.cmd(&["COPY", "k", "k2"]), b":1\r\n");
    assert_eq!(c.cmd(&["DEL", "k", "k2"]), b":2\r\n");
}

/// The rest of the server sees the type: TYPE, OBJECT ENCODING, SCAN TYPE, COPY, RENAME, MOVE, expiry, MULTI,
/// Lua, DUMP/RESTORE.
const SERVER: &str = r#"
JSON.SET k $ '{"a":[1,2],"s":"x"}'
SET plain v
TYPE k
OBJECT ENCODING k
SCAN 0 TYPE ReJSON-RL
SCAN 0 TYPE rejson-rl
EXPIRE k 100
TTL k
JSON.SET k $.a[0] 5
TTL k
JSON.SET k $ '[1]'
TTL k
COPY k k2
JSON.GET k2
RENAME k2 k3
MOVE k3 1
SELECT 1
JSON.GET k3
TYPE k3
SELECT 0
EXISTS k3
MULTI
JSON.SET m $ 1
JSON.NUMINCRBY m $ 2
JSON.GET m
EXEC
EVAL "return redis.call('JSON.GET', KEYS[1])" 1 k
EVAL "return redis.call('JSON.SET', KEYS[1], '$', '[1,{\"b\":2.5}]')" 1 e
EVAL "return redis.call('JSON.GET', KEYS[1], '$..b')" 1 e
JSON.GET plain
INCR k
LPUSH k x
DEL k e m
DBSIZE
"#;

#[test]
fn the_server_sees_the_type() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    check(p.script("server", SERVER));
}

#[test]
fn keyspace_events_match_redisjson() {
    if !have_rejson() {
        return;
    }
    let steps: Vec<(usize, &str)> = vec![
        (1, "CONFIG SET notify-keyspace-events KEA"),
        (0, "PSUBSCRIBE __key*@*__:*"),
        (1, "JSON.SET k $ '{\"a\":[1],\"n\":1,\"s\":\"x\",\"b\":true,\"o\":{\"x\":1}}'"),
        (1, "JSON.SET k $.a[0] 2"),
        (1, "JSON.SET k $.zz 1 XX"),
        (1, "JSON.NUMINCRBY k $.n 1"),
        (1, "JSON.NUMMULTBY k $.n 2"),
        (1, "JSON.STRAPPEND k $.s '\"y\"'"),
        (1, "JSON.TOGGLE k $.b"),
        (1, "JSON.ARRAPPEND k $.a 3"),
        (1, "JSON.ARRINSERT k $.a 0 0"),
        (1, "JSON.ARRPOP k $.a"),
        (1, "JSON.ARRTRIM k $.a 0 0"),
        (1, "JSON.MERGE k $ '{\"o\":{\"y\":2}}'"),
        (1, "JSON.CLEAR k $.o"),
        (1, "JSON.MSET k $.n 5 k2 $ 1"),
        (1, "JSON.DEL k $.n"),
        (1, "JSON.DEL k $.nope"),
        (1, "JSON.FORGET k"),
        (1, "EXPIRE k2 100"),
        (1, "CONFIG SET notify-keyspace-events \"\""),
    ];
    let f = Server::start(Kind::Ferredis, &[]);
    let r = rejson_server(&[]);
    let a = run_script(f.port, &[false, false], &steps);
    let b = run_script(r.port, &[false, false], &steps);
    assert_eq!(a, b, "ferredis:\n{}\nredis:\n{}", a.join("\n"), b.join("\n"));
}

/// Documents whose text exercises the writer: numbers of every kind, escapes, unicode, nesting, empties.
const DOCS: &[&str] = &[
    r#"{"a":[1,2.5,"x\u0001é\n",{"b":null}],"c":true,"big":18446744073709551615,"neg":-9223372036854775808}"#,
    r#"[0.1,1e16,1.5e15,1e-7,0.00001,-0.0,5e-324,1.7976931348623157e308,123456789.123456789]"#,
    r#"{"":{"":[]},"😀":"\ud83d\ude00","q\"k":"\\\/\b\f\r\t"}"#,
    r#""just a string""#,
    r#"3"#,
    r#"null"#,
];

/// DUMP payloads move both ways: ferredis restores RedisJSON's, RedisJSON restores ferredis's, and both dump
/// the same bytes for the same document.
#[test]
fn dump_payloads_move_both_ways() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let (f, r) = p.both();
    for (i, doc) in DOCS.iter().enumerate() {
        let key = format!("d{i}");
        assert_eq!(f.cmd(&["JSON.SET", &key, "$", doc]), b"+OK\r\n");
        assert_eq!(r.cmd(&["JSON.SET", &key, "$", doc]), b"+OK\r\n");
        let (fd, rd) = (f.cmd(&["DUMP", &key]), r.cmd(&["DUMP", &key]));
        assert_eq!(escape(&fd), escape(&rd), "DUMP of {doc}");
        let payload = Resp::parse(&rd).expect("dump").as_bytes().expect("bulk").to_vec();
        let back = format!("b{i}");
        assert_eq!(f.cmd(&[b"RESTORE".as_slice(), back.as_bytes(), b"0", &payload]), b"+OK\r\n");
        assert_eq!(r.cmd(&[b"RESTORE".as_slice(), back.as_bytes(), b"0", &payload]), b"+OK\r\n");
        assert_eq!(escape(&f.cmd(&["JSON.GET", &back])), escape(&r.cmd(&["JSON.GET", &back])), "{doc}");
    }
}

/// An RDB written by Redis with RedisJSON loads into ferredis, and ferredis's loads into Redis with RedisJSON.
#[test]
fn rdb_files_move_both_ways() {
    if !have_rejson() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ferredis-json-rdb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let dir_s = dir.display().to_string();
    for (writer, reader) in [("redis", "ferredis"), ("ferredis", "redis")] {
        let file = format!("{writer}.rdb");
        let args = ["--dir", dir_s.as_str(), "--dbfilename", file.as_str()];
        let w = if writer == "redis" { rejson_server(&args) } else { Server::start(Kind::Ferredis, &args) };
        let mut c = w.conn();
        for (i, doc) in DOCS.iter().enumerate() {
            assert_eq!(c.cmd(&["JSON.SET", &format!("d{i}"), "$", doc]), b"+OK\r\n");
        }
        // A document's doubles are read back with serde_json's own arithmetic, which may land on a neighbour
        // (RedisJSON's documents change so across a reload too): compare with the writer's own reload.
        assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
        let want: Vec<Vec<u8>> = (0..DOCS.len()).map(|i| c.cmd(&["JSON.GET", &format!("d{i}")])).collect();
        drop(c);
        drop(w);
        let rd = if reader == "redis" { rejson_server(&args) } else { Server::start(Kind::Ferredis, &args) };
        let mut c = rd.conn();
        for (i, w) in want.iter().enumerate() {
            assert_eq!(escape(&c.cmd(&["JSON.GET", &format!("d{i}")])), escape(w), "{writer} -> {reader}: d{i}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small deterministic generator (xorshift64*), so a failing case can be replayed by its seed.
pub(super) struct Gen(pub(super) u64);

impl Gen {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(super) fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }

    fn number(&mut self) -> String {
        match self.below(8) {
            0 => format!("{}", self.below(1000) as i64 - 500),
            1 => format!("{}", self.next() as i64),
            2 => format!("{}", self.next()),
            3 => format!("{}.{}", self.below(100000), self.below(1000)),
            4 => format!("{}e{}", self.below(999) + 1, self.below(60) as i64 - 30),
            5 => format!("-{}.{}e-{}", self.below(10), self.below(100000), self.below(12)),
            6 => format!("0.{:05}", self.below(100000)),
            _ => self.pick(&["0", "-0", "0.0", "1e16", "1.5e15", "123456789.123456789", "1E2", "5e-324"]).into(),
        }
    }

    fn string(&mut self) -> String {
        let parts = ["a", "b", "x", "é", "😀", "\\n", "\\u0001", "\\\"", "\\\\", " ", "\\u00e9", "/", "\\ud83d\\ude00"];
        let n = self.below(4);
        let body: String = (0..n).map(|_| self.pick(&parts)).collect();
        format!("\"{body}\"")
    }

    pub(super) fn doc(&mut self, depth: u32) -> String {
        let kind = if depth == 0 { self.below(4) } else { self.below(7) };
        match kind {
            0 => self.number(),
            1 => self.string(),
            2 => self.pick(&["true", "false", "null"]).into(),
            3 => self.number(),
            4 | 5 => {
                let n = self.below(5);
                let items: Vec<String> = (0..n).map(|_| self.doc(depth - 1)).collect();
                format!("[{}]", items.join(","))
            }
            _ => {
                let n = self.below(5);
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        let k = self.pick(&["a", "b", "c", "s", "n", "é", "k 1"]);
                        format!("\"{k}\":{}", self.doc(depth - 1))
                    })
                    .collect();
                format!("{{{}}}", items.join(","))
            }
        }
    }
}

const GEN_PATHS: &[&str] = &[
    "$",
    ".",
    "$..a",
    "$.a",
    "$.*",
    "$..*",
    "$.a[0]",
    "$.a[-1]",
    "$.a[0:2]",
    "$..[1]",
    "$[*]",
    "$[*][*]",
    "$..b[*]",
    "$.a.b",
    ".a",
    "a.b",
    ".a[0]",
    "$[0]",
    "[0]",
    "$[-1:]",
    "$[::2]",
    "$['a','b']",
    "$..['a','c']",
    "$[?(@.a>1)]",
    "$..[?(@>1)]",
    "$..[?(@ == \"x\")]",
    "$..[?(@.a)]",
    "$.*[?(@ < 0 || @ == true)]",
    "$..[?(@ =~ \"^[ab]\")]",
    "$..[?(@.n != null && @.n >= 0)]",
    "$..c",
    "$..a..b",
    "$['é']",
    "$['k 1']",
];

/// Generated documents (numbers of every form, escapes, unicode, nesting) under every path form, read and
/// written by the commands, compared with RedisJSON in RESP2 and RESP3.
#[test]
fn generated_documents_and_paths() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let mut diffs = Vec::new();
    let rounds: u32 = std::env::var("JSON_GEN_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    for round in 0..rounds {
        let doc = g.doc(4);
        if std::env::var("JSON_GEN_SHOW").is_ok() {
            eprintln!("round {round}: {doc}");
        }
        let mut lines: Vec<Vec<Vec<u8>>> = vec![vec![b"JSON.SET".to_vec(), b"k".to_vec(), b"$".to_vec(), doc.into()]];
        for path in GEN_PATHS {
            for cmd in
                ["JSON.GET", "JSON.TYPE", "JSON.STRLEN", "JSON.ARRLEN", "JSON.OBJLEN", "JSON.OBJKEYS", "JSON.RESP"]
            {
                lines.push(vec![cmd.into(), b"k".to_vec(), path.as_bytes().to_vec()]);
            }
        }
        for _ in 0..6 {
            let path = g.pick(GEN_PATHS);
            let write: Vec<&str> = match g.below(9) {
                0 => vec!["JSON.NUMINCRBY", "k", path, "1.5"],
                1 => vec!["JSON.NUMMULTBY", "k", path, "-2"],
                2 => vec!["JSON.ARRAPPEND", "k", path, "1", "\"z\""],
                3 => vec!["JSON.DEL", "k", path],
                4 => vec!["JSON.STRAPPEND", "k", path, "\"!\""],
                5 => vec!["JSON.ARRPOP", "k", path],
                6 => vec!["JSON.CLEAR", "k", path],
                7 => vec!["JSON.TOGGLE", "k", path],
                _ => vec!["JSON.SET", "k", path, "{\"n\":7}"],
            };
            lines.push(write.iter().map(|s| s.as_bytes().to_vec()).collect());
            lines.push(vec![b"JSON.GET".to_vec(), b"k".to_vec()]);
        }
        if std::env::var("JSON_GEN_SHOW").is_ok() {
            for l in &lines[lines.len() - 12..] {
                eprintln!("round {round} cmd: {}", display_args(l));
            }
        }
        let compared = vec![true; lines.len()];
        diffs.extend(p.script_args(&format!("round {round}"), &lines, &compared));
        if round % 2 == 1 {
            p.hello("3");
        } else {
            p.hello("2");
        }
    }
    check(diffs);
}

fn nested(levels: usize) -> String {
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

/// A command's value nests at most 127 levels, but writes at deep paths stack values on one another. Up to
/// ferredis's document limit (2,048 levels) that goes as in RedisJSON 2.8 (which sets no limit): compared here
/// at 505 levels. Past it, the write is refused with "ERR recursion limit exceeded" (RedisJSON's text while
/// it capped depth) and the document is left as it was; every command still works on the deepest document.
#[test]
fn documents_nest_deeper_through_writes_up_to_the_limit() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let (f, r) = p.both();
    let mut depth = 127;
    assert_eq!(f.cmd(&["JSON.SET", "k", "$", &nested(127)]), b"+OK\r\n");
    assert_eq!(r.cmd(&["JSON.SET", "k", "$", &nested(127)]), b"+OK\r\n");
    for _ in 0..3 {
        let at = format!("${}", "[0]".repeat(depth - 1));
        for c in [&mut *f, &mut *r] {
            assert_eq!(c.cmd(&["JSON.SET", "k", &at, &nested(127)]), b"+OK\r\n");
        }
        depth += 126;
    }
    for args in [&["JSON.GET", "k"][..], &["JSON.ARRLEN", "k", "$..[0]"], &["JSON.TYPE", "k", "$..[0][0]"]] {
        assert_eq!(f.cmd(args), r.cmd(args), "{args:?}");
    }

    // ferredis alone past RedisJSON's behaviour: the limit.
    const MAX: usize = 2_048;
    while depth < MAX {
        let add = (MAX - depth).min(126);
        let at = format!("${}", "[0]".repeat(depth - 1));
        assert_eq!(f.cmd(&["JSON.SET", "k", &at, &nested(add + 1)]), b"+OK\r\n", "at {depth}");
        depth += add;
    }
    let deepest = format!("${}", "[0]".repeat(MAX - 1));
    let whole = f.cmd(&["JSON.GET", "k"]);
    assert!(whole.ends_with(format!("{}\r\n", nested(MAX)).as_bytes()), "{MAX} levels");
    let refused = b"-ERR recursion limit exceeded\r\n".to_vec();
    // The innermost `[]` sits inside MAX - 1 arrays: a value nesting 2 levels there, or 1 inside it, is one too many.
    assert_eq!(f.cmd(&["JSON.SET", "k", &deepest, "[[]]"]), refused);
    assert_eq!(f.cmd(&["JSON.SET", "k", &deepest, "[]"]), b"+OK\r\n", "as deep as before");
    assert_eq!(f.cmd(&["JSON.ARRAPPEND", "k", &deepest, "[]"]), refused);
    assert_eq!(f.cmd(&["JSON.ARRINSERT", "k", &deepest, "0", "{}"]), refused);
    assert_eq!(f.cmd(&["JSON.MERGE", "k", &deepest, r#"{"a":[]}"#]), refused);
    assert_eq!(f.cmd(&["JSON.MSET", "k", &deepest, "[[]]"]), refused);
    assert_eq!(f.cmd(&["JSON.GET", "k"]), whole, "unchanged");
    assert_eq!(f.cmd(&["JSON.ARRAPPEND", "k", &deepest, "1"]), b"*1\r\n:1\r\n", "a scalar adds no level");
    let whole = f.cmd(&["JSON.GET", "k"]);
    // Every walk over the deepest document: print, clone, DUMP/RESTORE, `..`, memory, delete.
    assert_eq!(f.cmd(&["COPY", "k", "k2"]), b":1\r\n");
    let dump = f.cmd(&["DUMP", "k"]);
    let payload = Resp::parse(&dump).expect("DUMP").as_bytes().expect("a payload").to_vec();
    assert_eq!(f.cmd(&[b"RESTORE".as_slice(), b"k3", b"0", &payload]), b"+OK\r\n");
    assert_eq!(f.cmd(&["JSON.GET", "k3"]), f.cmd(&["JSON.GET", "k"]));
    assert!(f.cmd(&["JSON.GET", "k", "$..[0]"]).len() > MAX);
    assert!(f.cmd(&["JSON.DEBUG", "MEMORY", "k"]).starts_with(b":"));
    assert!(f.cmd(&["MEMORY", "USAGE", "k"]).starts_with(b":"));
    assert_eq!(f.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(f.cmd(&["JSON.GET", "k2"]), whole);
    assert_eq!(f.cmd(&["DEL", "k", "k2", "k3"]), b":3\r\n");
    assert_eq!(f.cmd(&["PING"]), b"+PONG\r\n");
}

/// Doubles exactly halfway between their two shortest decimal forms (`123456789012345.625`, and what serde_json's
/// arithmetic makes of longer literals) print with the even last digit, as `ryu` prints them in RedisJSON.
#[test]
fn halfway_doubles_print_as_redisjson() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let mut g = Gen(0x0123_4567_89ab_cdef);
    let mut lines = Vec::new();
    for _ in 0..600 {
        // i + j / 2^k, written exactly: the fraction is j * 5^k / 10^k.
        let k = 1 + g.below(12) as u32;
        let i = (1u64 << 40) + g.below(1 << 52);
        let j = (g.below(1 << (k - 1)) * 2 + 1) as u128;
        let frac = format!("{:0width$}", j * 5u128.pow(k), width = k as usize);
        let text = format!("[{i}.{frac},{i}.{}]", &frac[..frac.len().min(3)]);
        lines.push(vec![b"JSON.SET".to_vec(), b"k".to_vec(), b"$".to_vec(), text.into_bytes()]);
        lines.push(vec![b"JSON.GET".to_vec(), b"k".to_vec()]);
    }
    check(p.script_args("halfway doubles", &lines, &vec![true; lines.len()]));
}

/// An object of `keys` members `"<prefix><i>":<value(i)>` (null where `value` says so).
fn big_object(keys: impl Iterator<Item = usize>, prefix: &str, value: impl Fn(usize) -> String) -> Vec<u8> {
    let members: Vec<String> = keys.map(|i| format!("\"{prefix}{i}\":{}", value(i))).collect();
    format!("{{{}}}", members.join(",")).into_bytes()
}

/// Large objects find their keys through an index (ferredis#65): JSON.MERGE of a 50,000-member object into
/// another, member reads and writes by key and deletions come out as in RedisJSON, key order included. (Before
/// the index the merge scanned the target for each key: minutes in a debug build.)
#[test]
fn large_objects_merge_and_change_as_in_redisjson() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let a = |s: &str| s.as_bytes().to_vec();
    let n = 50_000;
    let mut lines = vec![
        vec![a("JSON.SET"), a("big"), a("$"), big_object(0..n, "k", |i| i.to_string())],
        // Half the patch's keys are new, a tenth of the old ones are deleted, the rest get new values.
        vec![
            a("JSON.MERGE"),
            a("big"),
            a("$"),
            big_object((n / 2..n + n / 2).chain(0..n / 10), "k", |i| {
                if i < n / 10 {
                    "null".into()
                } else {
                    format!("[{i}]")
                }
            }),
        ],
        vec![a("JSON.OBJLEN"), a("big"), a("$")],
        vec![a("JSON.GET"), a("big")],
    ];
    for k in ["k0", "k5000", "k24999", "k25000", "k74999", "nope"] {
        lines.push(vec![a("JSON.GET"), a("big"), format!("$.{k}").into_bytes()]);
        lines.push(vec![a("JSON.SET"), a("big"), format!("$.{k}").into_bytes(), a("\"x\"")]);
        lines.push(vec![a("JSON.DEL"), a("big"), format!("$.{k}").into_bytes()]);
    }
    lines.push(vec![a("JSON.GET"), a("big")]);
    let compared = vec![true; lines.len()];
    check(p.script_args("50,000-member merge", &lines, &compared));
    // A copy (COPY) and a reload (DUMP/RESTORE) of the large object find and change members as the original does.
    let mut c = p.fer.conn();
    let dump = c.cmd(&["DUMP", "big"]);
    let payload = Resp::parse(&dump).ok().and_then(|v| v.as_bytes().map(<[u8]>::to_vec)).unwrap_or_default();
    assert_eq!(c.cmd(&[&b"RESTORE"[..], b"loaded", b"0", &payload]), b"+OK\r\n");
    assert_eq!(c.cmd(&["COPY", "big", "copied"]), b":1\r\n");
    for k in ["big", "loaded", "copied"] {
        c.cmd(&["JSON.DEL", k, "$.k30000"]);
        c.cmd(&["JSON.SET", k, "$.k31000", "[]"]);
        c.cmd(&["JSON.MERGE", k, "$", r#"{"k32000":null,"new":1,"k0x":2}"#]);
    }
    let want = c.cmd(&["JSON.GET", "big"]);
    for k in ["loaded", "copied"] {
        assert!(c.cmd(&["JSON.GET", k]) == want, "{k} differs from big");
        assert_eq!(c.cmd(&["JSON.GET", k, "$.k31000", "$.new"]), c.cmd(&["JSON.GET", "big", "$.k31000", "$.new"]));
    }
}

/// Random sets, deletes and merges on one object growing past and shrinking below the size where ferredis
/// starts (and stops) indexing its keys, against RedisJSON: the document after every few writes.
#[test]
fn objects_across_the_index_threshold_as_in_redisjson() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let mut g = Gen(0x65_6a73_6f6e);
    let a = |s: &str| s.as_bytes().to_vec();
    let mut lines = vec![vec![a("JSON.SET"), a("o"), a("$"), a("{}")]];
    for round in 0..400usize {
        // The key space widens and narrows, so the object's size rises to about 60 members and falls back.
        let space = if (round / 100) % 2 == 0 { 70 } else { 12 };
        let k = g.below(space);
        let line = match g.below(10) {
            0..=4 => vec![a("JSON.SET"), a("o"), format!("$.m{k}").into_bytes(), round.to_string().into_bytes()],
            5..=7 => vec![a("JSON.DEL"), a("o"), format!("$.m{k}").into_bytes()],
            _ => {
                let patch = big_object((0..g.below(12)).map(|_| g.below(space) as usize), "m", |i| {
                    if i % 3 == 0 {
                        "null".into()
                    } else {
                        format!("{{\"r\":{round}}}")
                    }
                });
                vec![a("JSON.MERGE"), a("o"), a("$"), patch]
            }
        };
        lines.push(line);
        if round % 5 == 4 {
            lines.push(vec![a("JSON.GET"), a("o")]);
            lines.push(vec![a("JSON.OBJKEYS"), a("o")]);
        }
    }
    let compared = vec![true; lines.len()];
    check(p.script_args("index threshold", &lines, &compared));
}

/// `..` repeated over a deep document (ferredis#65): what RedisJSON answers quickly comes out the same; a path
/// past the evaluation budget gets ferredis's error and changes nothing (RedisJSON 2.8.3 spends 44 s and a
/// 1.5 GB reply on `$..a..a..a..a` over a 127-deep chain, and would run out of memory on a fifth `..a`; that
/// side is not run here).
#[test]
fn repeated_descent_is_bounded() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    let chain = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    let (d60, d127) = (chain(60), chain(127));
    let mut lines: Vec<Vec<&str>> = vec![vec!["JSON.SET", "d", "$", &d60]];
    for path in ["$..a", "$..a..a", "$..a..a..a", "$..*..a", "$..a..*..a"] {
        lines.push(vec!["JSON.TYPE", "d", path]);
        lines.push(vec!["JSON.GET", "d", path]);
    }
    lines.push(vec!["JSON.NUMINCRBY", "d", "$..a..a", "1"]);
    lines.push(vec!["JSON.SET", "d", "$", &d127]);
    lines.push(vec!["JSON.GET", "d", "$..a..a"]);
    let lines: Vec<Vec<Vec<u8>>> = lines.iter().map(|l| l.iter().map(|s| s.as_bytes().to_vec()).collect()).collect();
    let compared = vec![true; lines.len()];
    check(p.script_args("repeated descent", &lines, &compared));
    let mut c = p.fer.conn();
    let before = c.cmd(&["JSON.GET", "d"]);
    let err = b"-ERR JSONPath evaluation exceeds its budget (the path visits too many nodes)\r\n";
    for cmd in [
        vec!["JSON.GET", "d", "$..a..a..a..a..a"],
        vec!["JSON.NUMINCRBY", "d", "$..a..a..a", "1"],
        vec!["JSON.DEL", "d", "$..a..a..a..a..a"],
        vec!["JSON.MGET", "d", "$..a..a..a..a..a"],
    ] {
        assert_eq!(escape(&c.cmd(&cmd)), escape(err), "{}", cmd[..3].join(" "));
    }
    assert_eq!(c.cmd(&["JSON.GET", "d"]), before, "nothing changed");
}

/// Documents stored whole are kept as their text when it is canonical (`keyspace::types::json::doc`): every
/// read answers from the text or thaws it, every write thaws it, and texts that are not canonical (whitespace,
/// repeated keys, escapes and numbers the writer spells otherwise) are parsed as before.
const PACKED: &str = r#"
JSON.SET k $ '{"a":1,"s":"x","arr":[1,[2,3],{"q":"w"}],"o":{"b":true,"n":null,"e":{},"z":[]},"f":1.5,"t":"tail"}'
JSON.GET k
JSON.GET k $
JSON.GET k .
JSON.GET k a
JSON.GET k .a
JSON.GET k $.a
JSON.GET k $.o.b
JSON.GET k .o.n
JSON.GET k $.o.e
JSON.GET k $.o.z
JSON.GET k $.arr[1]
JSON.GET k .arr[1][0]
JSON.GET k $.arr[2].q
JSON.GET k $.arr[3]
JSON.GET k .arr[3]
JSON.GET k $.arr[01]
JSON.GET k $.arr[-1]
JSON.GET k $.nope
JSON.GET k .nope
JSON.GET k $.a.b
JSON.GET k .a.b
JSON.GET k $.t
JSON.GET k $.f
JSON.GET k $.o
JSON.GET k INDENT "  " $.o
JSON.GET k NEWLINE "\n" .
JSON.SET k2 . '[{"a":1},{"a":2}]'
JSON.MGET k k2 $.a
JSON.MGET k k2 .a
JSON.MGET k k2 $[1].a
JSON.MGET k k2 $..a
JSON.TYPE k
JSON.TYPE k $.arr
JSON.OBJLEN k
JSON.STRLEN k $.s
JSON.SET k $ '{"a":2}' NX
JSON.SET k $ '{"a":2}' XX
JSON.GET k
JSON.SET k $ '{"a":1,"s":"x"}'
JSON.SET k $.new '[1]'
JSON.GET k
JSON.NUMINCRBY k $.a 5
JSON.GET k $.a
JSON.SET d $ '{"a" : 1}'
JSON.GET d $.a
JSON.SET d $ '{"a":1,"a":2,"b":3}'
JSON.GET d
JSON.GET d $.a
JSON.SET d $ '{"a\"b":1,"c\\d":"e\u0041\/\n\t\u001f\u00e9"}'
JSON.GET d
JSON.GET d $.c
JSON.SET d $ '[1.50,1E2,1e+2,-0,0.0,-0.0,1e16,1.0e-7,0.1,18446744073709551615,18446744073709551616,-9223372036854775808,9223372036854775807,123456789012345678901234567890]'
JSON.GET d
JSON.GET d $[0]
JSON.GET d $[9]
JSON.SET d $ '[1e16,1.0,0.5,100.0,-1.25,1e-7,12345678.9,1.7976931348623157e308,5e-324]'
JSON.GET d
JSON.GET d $[8]
JSON.SET d $ '"\ud83d\ude00 plain ü"'
JSON.GET d
JSON.SET d $ ' "x" '
JSON.GET d
JSON.SET d $ 'true'
JSON.GET d
JSON.GET d $
JSON.SET d $ '{"a":1}x'
JSON.SET d $ '{"a":1,}'
JSON.SET d $ '[1,2'
JSON.GET d
JSON.MSET m1 $ '{"x":[1,2]}' m2 $ '{ "y" : 2 }' k $.s '"y"'
JSON.GET m1 $.x[1]
JSON.GET m2 $.y
JSON.GET k $.s
COPY m1 m3
JSON.GET m3 $.x
JSON.DEL m1 $
EXISTS m1
JSON.SET m2 $ '{"x":{"y":{"z":[0,1,{"w":"deep"}]}}}'
DEBUG RELOAD
JSON.GET m2 $.x.y.z[2].w
JSON.GET m2 .x.y.z[2]
JSON.GET k
JSON.ARRAPPEND m2 $.x.y.z 3
JSON.GET m2
"#;

#[test]
fn packed_documents_answer_as_redisjson() {
    if !have_rejson() {
        return;
    }
    let mut p = Pair::with_rejson(&[]);
    check(p.script("packed", PACKED));
}
