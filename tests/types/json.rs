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

/// A bulk reply holding a JSON object with its members sorted: JSON.GET of several paths answers an object
/// whose member order is RedisJSON's hash map's, not the order of the paths.
fn sorted_members(reply: &[u8]) -> Vec<u8> {
    use ferredis::keyspace::types::json::{parse, Json};
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
