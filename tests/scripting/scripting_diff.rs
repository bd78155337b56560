//! Scripting differential corpus: EVAL/EVALSHA/EVAL_RO/SCRIPT cases sent to Debian's redis-server 7.0 and to
//! ferredis, raw reply bytes compared, every case in RESP2 and again in RESP3 (after `HELLO 3`).
//!
//! `CASES` below is one `=== name` block per case, each line a command in redis-cli syntax (see
//! `common::split_args`: 'single quotes' are literal, "double quotes" take `\n`, `\xHH`...). Every case runs on a
//! fresh connection after `FLUSHALL` and `SCRIPT FLUSH`, so cases do not leak keys or cached scripts into each
//! other. Coverage: return-value conversions (numbers truncate, nested tables, nil holes, booleans, status/error
//! tables, the RESP3 `map`/`set`/`double`/`big_number`/`verbatim_string` tables), `redis.call` results of every
//! reply type converted back, errors (syntax, runtime, `redis.call`, pcall'ed, `error_reply`/`status_reply`), the
//! sandbox (globals, `loadstring`, absent `os`/`io`/`dofile`/`print`), `cjson`/`cmsgpack`/`bit`/`struct`
//! round trips, `math.random` determinism, KEYS/ARGV, SCRIPT LOAD/EXISTS/FLUSH, EVALSHA, EVAL_RO with writes and
//! shebang flags.
//!
//! Two tests:
//! - `corpus_is_valid_against_redis`: redis-server alone answers every command (the corpus itself is sound);
//! - `scripting_matches_redis`: both servers, byte for byte. Until ferredis knows EVAL it prints a NOTICE and
//!   skips (the same convention as `@requires` in tests/protocol/differential.rs).
//!
//! Nothing here is nondeterministic: scripts never read the clock, `math.random` is Redis's fixed-seed generator,
//! and error messages carry the script's SHA1, which both servers compute from the body.

use crate::common;

use common::*;

/// One case: a name and its command lines.
struct Case {
    name: String,
    lines: Vec<String>,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("===") {
            cases.push(Case { name: name.trim().to_string(), lines: Vec::new() });
        } else {
            cases.last_mut().expect("command before the first === header").lines.push(line.to_string());
        }
    }
    cases
}

fn is_script_command(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    matches!(first.as_str(), "EVAL" | "EVALSHA" | "EVAL_RO" | "EVALSHA_RO")
}

/// A connection on a clean server: FLUSHALL, SCRIPT FLUSH, and RESP3 if asked.
fn fresh_conn(server: &Server, resp3: bool) -> Result<Conn, String> {
    let label = server.kind.label();
    let mut c = Conn::try_connect(server.port).map_err(|e| format!("{label}: connect: {e}"))?;
    if resp3 {
        let r = c.try_cmd(&["HELLO", "3"]).map_err(|e| format!("{label}: HELLO 3: {e}"))?;
        if !r.starts_with(b"%") {
            return Err(format!("{label}: HELLO 3 replied {}", escape(&r)));
        }
    }
    for cmd in [&["FLUSHALL"][..], &["SCRIPT", "FLUSH"][..]] {
        let r = c.try_cmd(cmd).map_err(|e| format!("{label}: {}: {e}", cmd.join(" ")))?;
        if r != b"+OK\r\n" {
            return Err(format!("{label}: {} replied {}", cmd.join(" "), escape(&r)));
        }
    }
    Ok(c)
}

/// The replies of one case on one server, one entry per command (`Err` when no reply came).
fn run_case(server: &Server, case: &Case, resp3: bool) -> Result<Vec<Result<Vec<u8>, String>>, String> {
    let mut c = fresh_conn(server, resp3)?;
    Ok(case
        .lines
        .iter()
        .map(|line| {
            let args = split_args(line).unwrap_or_else(|e| panic!("case {}: bad line {line:?}: {e}", case.name));
            c.try_cmd(&args).map_err(|e| e.to_string())
        })
        .collect())
}

/// What a crashed server's log says about the crash: the panic lines (and the two after each), else the tail.
fn crash_summary(server: &Server) -> String {
    let log = server.full_log();
    let lines: Vec<&str> = log.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.to_ascii_lowercase().contains("panic") {
            out.extend(lines[i..(i + 3).min(lines.len())].iter().copied());
        }
    }
    if out.is_empty() {
        let tail = server.log_text();
        return tail[tail.len().saturating_sub(800)..].to_string();
    }
    out.join("\n")
}

fn proto_name(resp3: bool) -> &'static str {
    if resp3 {
        "RESP3"
    } else {
        "RESP2"
    }
}

#[test]
fn corpus_counts() {
    let cases = parse_cases(CASES);
    let scripts: usize = cases.iter().map(|c| c.lines.iter().filter(|l| is_script_command(l)).count()).sum();
    assert!(scripts >= 150, "only {scripts} EVAL-family commands in the corpus");
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate case names");
    for c in &cases {
        for l in &c.lines {
            split_args(l).unwrap_or_else(|e| panic!("case {}: bad line {l:?}: {e}", c.name));
        }
    }
}

/// Every command of the corpus gets a reply from redis-server, in both protocols, and the server survives.
#[test]
fn corpus_is_valid_against_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut redis = Server::redis();
    let cases = parse_cases(CASES);
    let mut problems = Vec::new();
    let mut commands = 0;
    for resp3 in [false, true] {
        for case in &cases {
            let replies = run_case(&redis, case, resp3).unwrap_or_else(|e| panic!("[{}] {e}", case.name));
            for (line, reply) in case.lines.iter().zip(replies) {
                commands += 1;
                if let Err(e) = reply {
                    problems.push(format!("[{} {}] {line}: no reply: {e}", case.name, proto_name(resp3)));
                }
            }
        }
    }
    assert!(redis.alive(), "redis-server died during the corpus");
    eprintln!("scripting corpus: {} cases, {commands} commands answered by redis-server", cases.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn scripting_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut fer = Server::ferredis();
    {
        let mut c = fer.conn();
        let r = c.cmd(&["EVAL", "return 1", "0"]);
        if r.starts_with(b"-ERR unknown command") {
            eprintln!("NOTICE: skipped: ferredis does not know EVAL yet ({})", escape(&r));
            return;
        }
    }
    let mut redis = Server::redis();
    let cases = parse_cases(CASES);
    let mut failures = Vec::new();
    let mut compared = 0;
    for resp3 in [false, true] {
        for case in &cases {
            let want = run_case(&redis, case, resp3).unwrap_or_else(|e| panic!("[{}] {e}", case.name));
            if !fer.alive() {
                failures.push(format!(
                    "[{} {}] ferredis was dead before the case; log:\n{}",
                    case.name,
                    proto_name(resp3),
                    crash_summary(&fer)
                ));
                fer = Server::ferredis();
            }
            let got = match run_case(&fer, case, resp3) {
                Ok(got) => got,
                Err(e) => {
                    failures.push(format!("[{} {}] {e}", case.name, proto_name(resp3)));
                    continue;
                }
            };
            for (i, (line, (w, g))) in case.lines.iter().zip(want.iter().zip(got.iter())).enumerate() {
                compared += 1;
                let same = matches!((w, g), (Ok(w), Ok(g)) if w == g);
                if !same {
                    let show = |r: &Result<Vec<u8>, String>| match r {
                        Ok(b) => escape(b),
                        Err(e) => format!("(no reply: {e})"),
                    };
                    failures.push(format!(
                        "[{} {}] command #{}: {line}\n  ferredis: {}\n  redis:    {}",
                        case.name,
                        proto_name(resp3),
                        i + 1,
                        show(g),
                        show(w)
                    ));
                    break;
                }
            }
            if !fer.alive() {
                failures.push(format!(
                    "[{} {}] ferredis died; log:\n{}",
                    case.name,
                    proto_name(resp3),
                    crash_summary(&fer)
                ));
                fer = Server::ferredis();
            }
        }
    }
    assert!(redis.alive(), "redis-server died during the corpus");
    eprintln!(
        "scripting_diff: {} cases x 2 protocols, {compared} commands compared, {} cases differ",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{} case runs differ from redis-server:\n\n{}", failures.len(), failures.join("\n\n"));
}

const CASES: &str = r#####"
# ---- return values: Lua -> Redis conversions ----
=== ret/integer
EVAL 'return 1' 0
EVAL 'return -42' 0
EVAL 'return 0' 0
EVAL 'return 2^31' 0
EVAL 'return 2^53' 0
EVAL 'return -2^53' 0
=== ret/float-truncates
EVAL 'return 3.99' 0
EVAL 'return -3.99' 0
EVAL 'return 0.5' 0
EVAL 'return -0' 0
EVAL 'return 1e10 + 0.7' 0
=== ret/strings
EVAL 'return "hello"' 0
EVAL 'return ""' 0
EVAL 'return "10"' 0
EVAL 'return "a\0b"' 0
EVAL 'return string.rep("x", 1000)' 0
EVAL 'return tostring(3.5)' 0
=== ret/booleans-and-nil
EVAL 'return true' 0
EVAL 'return false' 0
EVAL 'return nil' 0
EVAL 'return' 0
EVAL 'return 1 == 1, 2' 0
=== ret/arrays
EVAL 'return {}' 0
EVAL 'return {1, 2, 3}' 0
EVAL 'return {1, "two", 3.7, true, false}' 0
EVAL 'return {1, nil, 3}' 0
EVAL 'return {nil, 2}' 0
EVAL 'return {1, 2, n = 3, x = "y"}' 0
EVAL 'return {[1] = "a", [2] = "b", [4] = "d"}' 0
=== ret/nested
EVAL 'return {1, {2, {3, {"deep"}}}}' 0
EVAL 'return {{}, {{}}, {1, {}}}' 0
EVAL 'return {{ok = "inner status"}, {err = "inner error"}}' 0
=== ret/status-and-error-tables
EVAL 'return {ok = "FINE"}' 0
EVAL 'return {err = "MYERR something broke"}' 0
EVAL 'return {err = "no code here"}' 0
EVAL 'return {err = ""}' 0
EVAL 'return {ok = ""}' 0
EVAL 'return {ok = 1}' 0
EVAL 'return {err = 1}' 0
EVAL 'return {ok = "a", err = "b"}' 0
=== ret/status-reply-and-error-reply
EVAL 'return redis.status_reply("PONG")' 0
EVAL 'return redis.error_reply("WRONG thing")' 0
EVAL 'return redis.error_reply("plain")' 0
EVAL 'return redis.error_reply("-ERR with dash")' 0
EVAL 'return redis.status_reply("")' 0
EVAL 'return type(redis.error_reply("x")), type(redis.status_reply("x"))' 0
EVAL 'return redis.error_reply("x").err' 0
=== ret/other-types
EVAL 'return print' 0
EVAL 'return function() end' 0
EVAL 'return coroutine.create(function() end)' 0
EVAL 'return {1, function() end, 3}' 0
EVAL 'return setmetatable({1, 2}, {__index = function() return 9 end})' 0
=== ret/resp3-tables
EVAL 'return {map = {a = 1}}' 0
EVAL 'return {set = {x = true}}' 0
EVAL 'return {double = 3.25}' 0
EVAL 'return {double = 10}' 0
EVAL 'return {big_number = "123456789012345678901234567890"}' 0
EVAL 'return {verbatim_string = {format = "txt", string = "hello"}}' 0
EVAL 'return {1, {double = 0.5}, {map = {k = "v"}}}' 0
=== ret/resp3-after-setresp
EVAL 'redis.setresp(3); return {map = {a = 1}}' 0
EVAL 'redis.setresp(3); return {double = 1.5}' 0
EVAL 'redis.setresp(2); return {set = {z = true}}' 0

# ---- redis.call results: Redis -> Lua conversions ----
=== call/string-reply
SET k hello
EVAL 'return redis.call("GET", KEYS[1])' 1 k
EVAL 'return type(redis.call("GET", KEYS[1]))' 1 k
=== call/missing-key-is-false
EVAL 'return redis.call("GET", "nokey")' 0
EVAL 'return type(redis.call("GET", "nokey"))' 0
EVAL 'return tostring(redis.call("GET", "nokey"))' 0
EVAL 'return {redis.call("GET", "nokey") == false}' 0
=== call/integer-reply
EVAL 'return redis.call("INCR", "c")' 0
EVAL 'return type(redis.call("INCRBY", "c", 10))' 0
EVAL 'return redis.call("INCRBY", "c", 10) * 2' 0
=== call/status-reply
EVAL 'return redis.call("SET", "a", "1")' 0
EVAL 'return type(redis.call("SET", "a", "1"))' 0
EVAL 'return redis.call("SET", "a", "1").ok' 0
EVAL 'return redis.call("PING")' 0
EVAL 'return redis.call("TYPE", "a")' 0
=== call/array-reply
RPUSH l a b c
EVAL 'return redis.call("LRANGE", "l", 0, -1)' 0
EVAL 'return #redis.call("LRANGE", "l", 0, -1)' 0
EVAL 'local t = redis.call("LRANGE", "l", 0, -1); return t[2]' 0
EVAL 'return redis.call("LRANGE", "nolist", 0, -1)' 0
=== call/nested-array-and-null-elements
SET x 1
EVAL 'return redis.call("MGET", "x", "nope", "x")' 0
EVAL 'local t = redis.call("MGET", "x", "nope"); return {type(t[1]), type(t[2])}' 0
=== call/hash-reply
HSET h f1 v1 f2 v2
EVAL 'return redis.call("HGETALL", "h")' 0
EVAL 'redis.setresp(3); local t = redis.call("HGETALL", "h"); return {type(t.map), t.map.f1}' 0
EVAL 'redis.setresp(3); return redis.call("HGETALL", "h")' 0
=== call/set-reply
SADD s only
EVAL 'return redis.call("SMEMBERS", "s")' 0
EVAL 'redis.setresp(3); local t = redis.call("SMEMBERS", "s"); return {type(t.set), tostring(t.set.only)}' 0
EVAL 'redis.setresp(3); return redis.call("SMEMBERS", "s")' 0
=== call/double-reply
ZADD z 1.5 m
EVAL 'return redis.call("ZSCORE", "z", "m")' 0
EVAL 'redis.setresp(3); local d = redis.call("ZSCORE", "z", "m"); return {type(d), tostring(d.double)}' 0
EVAL 'redis.setresp(3); return redis.call("ZSCORE", "z", "m")' 0
EVAL 'return redis.call("ZINCRBY", "z", 0.25, "m")' 0
=== call/null-reply-resp3
EVAL 'redis.setresp(3); return type(redis.call("GET", "nokey"))' 0
EVAL 'redis.setresp(3); return redis.call("GET", "nokey")' 0
EVAL 'redis.setresp(3); return {redis.call("ZSCORE", "z", "none")}' 0
=== call/verbatim-reply-resp3
EVAL 'return redis.call("MEMORY", "DOCTOR")' 0
EVAL 'redis.setresp(3); local r = redis.call("MEMORY", "DOCTOR"); return {type(r), r.verbatim_string.format}' 0
EVAL 'redis.setresp(3); return redis.call("MEMORY", "DOCTOR")' 0
=== call/nested-resp3-replies
HSET h a 1
ZADD z 1 one 2.5 two
EVAL 'redis.setresp(3); return redis.call("HRANDFIELD", "h", 1, "WITHVALUES")' 0
EVAL 'redis.setresp(3); return redis.call("ZRANGE", "z", 0, -1, "WITHSCORES")' 0
EVAL 'redis.setresp(3); local r = redis.call("ZRANGE", "z", 0, -1, "WITHSCORES"); return {type(r[1]), type(r[1][2]), tostring(r[2][2].double)}' 0
EVAL 'return redis.call("ZRANGE", "z", 0, -1, "WITHSCORES")' 0
EVAL 'redis.setresp(3); return redis.call("HMGET", "h", "a", "missing")' 0
=== call/error-reply-as-table
SET str abc
EVAL 'return redis.pcall("INCR", "str")' 0
EVAL 'local r = redis.pcall("INCR", "str"); return type(r)' 0
EVAL 'local r = redis.pcall("INCR", "str"); return r.err' 0
EVAL 'return redis.pcall("LPUSH", "str", "x")' 0
=== call/argument-conversion
EVAL 'return redis.call("SET", "n", 3.0)' 0
EVAL 'return redis.call("GET", "n")' 0
EVAL 'redis.call("SET", "n", 0.1); return redis.call("GET", "n")' 0
EVAL 'redis.call("SET", "n", -2^31); return redis.call("GET", "n")' 0
EVAL 'redis.call("SET", "n", 1e20); return redis.call("GET", "n")' 0
EVAL 'return redis.call("ECHO", 12)' 0
=== call/bad-arguments
EVAL 'return redis.call()' 0
EVAL 'return redis.call("SET", "k", nil)' 0
EVAL 'return redis.call("SET", "k", {})' 0
EVAL 'return redis.call("SET", "k", true)' 0
EVAL 'return redis.pcall()' 0
EVAL 'return redis.call(1)' 0
=== call/command-errors
EVAL 'return redis.call("NOSUCHCOMMAND")' 0
EVAL 'return redis.call("GET")' 0
EVAL 'return redis.call("GET", "a", "b")' 0
EVAL 'return redis.pcall("NOSUCHCOMMAND")' 0
EVAL 'return redis.pcall("GET")' 0
SET str abc
EVAL 'return redis.call("INCR", "str")' 0
EVAL 'return redis.call("HGET", "str", "f")' 0
=== call/forbidden-commands
EVAL 'return redis.call("EVAL", "return 1", 0)' 0
EVAL 'return redis.call("MULTI")' 0
EVAL 'return redis.call("SUBSCRIBE", "ch")' 0
EVAL 'return redis.call("SCRIPT", "FLUSH")' 0
EVAL 'return redis.pcall("EXEC")' 0
=== call/writes-are-visible
EVAL 'redis.call("SET", KEYS[1], ARGV[1]); return redis.call("GET", KEYS[1])' 1 key val
GET key
EVAL 'redis.call("DEL", KEYS[1]); return redis.call("EXISTS", KEYS[1])' 1 key
EXISTS key
=== call/blocking-commands-do-not-block
EVAL 'return redis.call("BLPOP", "emptylist", 0)' 0
EVAL 'return redis.call("BRPOPLPUSH", "emptylist", "dst", 0)' 0
RPUSH emptylist x
EVAL 'return redis.call("BLPOP", "emptylist", 0)' 0
=== call/expire-and-ttl
EVAL 'redis.call("SET", "t", "v", "EX", 100); return redis.call("TTL", "t")' 0
EVAL 'return redis.call("PERSIST", "t")' 0
EVAL 'return redis.call("TTL", "t")' 0
=== call/incr-get-expire
EVAL 'local v = redis.call("INCR", KEYS[1]); redis.call("EXPIRE", KEYS[1], 60); return {v, redis.call("GET", KEYS[1])}' 1 counter
EVAL 'local v = redis.call("INCR", KEYS[1]); redis.call("EXPIRE", KEYS[1], 60); return {v, redis.call("GET", KEYS[1])}' 1 counter
=== call/in-multi
MULTI
EVAL 'return redis.call("INCR", "m")' 0
EVAL 'return redis.call("INCR", "m")' 0
EXEC
=== call/sha1hex
EVAL 'return redis.sha1hex("")' 0
EVAL 'return redis.sha1hex("abc")' 0
EVAL 'return redis.sha1hex(123)' 0
EVAL 'return redis.sha1hex()' 0
=== call/redis-table
EVAL 'return type(redis.call), type(redis.pcall)' 0
EVAL 'return {type(redis.log), redis.LOG_WARNING, redis.LOG_NOTICE, redis.LOG_VERBOSE, redis.LOG_DEBUG}' 0
EVAL 'return redis.log(redis.LOG_NOTICE, "from a script")' 0
EVAL 'return redis.log()' 0
EVAL 'return redis.setresp(4)' 0
EVAL 'return {type(redis.REDIS_VERSION), type(redis.REDIS_VERSION_NUM)}' 0

# ---- errors ----
=== err/syntax
EVAL 'return (' 0
EVAL 'local = 1' 0
EVAL 'return "unterminated' 0
EVAL 'x = = 2' 0
EVAL "return 1\nend" 0
=== err/runtime
EVAL 'return nil + 1' 0
EVAL 'local t = nil; return t.x' 0
EVAL 'return #5' 0
EVAL 'return ("x"):bad()' 0
EVAL 'return {} .. "x"' 0
EVAL 'local function f() return f() + 1 end return f()' 0
=== err/error-function
EVAL 'error("plain message")' 0
EVAL 'error("no position", 0)' 0
EVAL 'error({err = "CUSTOM raised table"})' 0
EVAL 'error(42)' 0
EVAL 'error()' 0
EVAL 'error(redis.error_reply("VIAERR x"))' 0
=== err/pcall-catches
EVAL 'return {pcall(error, "caught")}' 0
EVAL 'local ok, e = pcall(redis.call, "NOSUCHCMD"); return {tostring(ok), e}' 0
SET str abc
EVAL 'local ok, e = pcall(redis.call, "INCR", "str"); return {tostring(ok), type(e)}' 0
EVAL 'local ok, e = pcall(function() return nil .. 1 end); return e' 0
EVAL 'return {xpcall(function() error("x") end, function(m) return "handled " .. m end)}' 0
=== err/numkeys
EVAL 'return 1' -1
EVAL 'return 1' 2 onlyone
EVAL 'return 1' abc
EVAL 'return 1' 1.5 a
EVAL 'return 1'
EVAL 'return #KEYS' 99999999999999999999
=== err/evalsha-unknown
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
EVALSHA notasha 0
EVALSHA_RO ffffffffffffffffffffffffffffffffffffffff 0
=== err/error-after-writes-keeps-writes
EVAL 'redis.call("SET", "partial", "1"); error("after write")' 0
GET partial

# ---- sandbox ----
=== sandbox/globals
EVAL 'return undefined_variable' 0
EVAL 'newglobal = 1' 0
EVAL 'rawset(_G, "sneaky", 1); return sneaky' 0
EVAL 'local mt = getmetatable(_G); return type(mt)' 0
EVAL 'setmetatable(_G, nil)' 0
EVAL 'return type(_G)' 0
EVAL 'local function f() x = 1 end f()' 0
=== sandbox/absent-libraries
EVAL 'return os.time()' 0
EVAL 'return io.write("x")' 0
EVAL 'return dofile("/etc/passwd")' 0
EVAL 'return loadfile("/etc/passwd")' 0
EVAL 'print("hello")' 0
EVAL 'return type(require)' 0
EVAL 'return type(package)' 0
EVAL 'return type(debug)' 0
EVAL 'return type(getfenv)' 0
EVAL 'return type(newproxy)' 0
=== sandbox/present-functions
EVAL 'return {type(loadstring), type(load), type(pcall), type(xpcall), type(unpack), type(select), type(gcinfo), type(coroutine.wrap), type(string.dump)}' 0
EVAL 'return {type(cjson), type(cmsgpack), type(bit), type(struct), type(math), type(table), type(string)}' 0
EVAL 'return _VERSION' 0
=== sandbox/loadstring
EVAL 'return loadstring("return 1 + 1")()' 0
EVAL 'local f, e = loadstring("return +"); return {tostring(f), e}' 0
EVAL 'return loadstring("return undefined_in_chunk")()' 0
EVAL 'return loadstring("return redis.call(\"PING\")")()' 0
=== sandbox/readonly-library-tables
EVAL 'string.foo = 1' 0
EVAL 'redis.call = nil' 0
EVAL 'cjson.encode = nil' 0
EVAL 'math.random = function() return 4 end' 0
EVAL 'local t = redis; t.x = 1' 0
EVAL 'table.insert = nil' 0
=== sandbox/keys-argv-are-fresh-each-call
EVAL 'KEYS[1] = "changed"; return KEYS[1]' 1 original
EVAL 'return KEYS[1]' 1 again
EVAL 'return #KEYS' 0

# ---- KEYS and ARGV ----
=== args/keys-and-argv
EVAL 'return KEYS' 2 a b c d
EVAL 'return ARGV' 2 a b c d
EVAL 'return {#KEYS, #ARGV}' 0
EVAL 'return {#KEYS, #ARGV}' 1 k x y z
EVAL 'return type(ARGV[1])' 0 123
EVAL 'return ARGV[1] + 1' 0 41
EVAL 'return ARGV[1]' 0 "bin\x00ary\xff"
EVAL 'return #ARGV[1]' 0 "bin\x00ary\xff"
EVAL 'return {KEYS[1], ARGV[1]}' 1 "" ""
=== args/unicode-and-spaces
EVAL 'return ARGV[1] .. "|" .. ARGV[2]' 0 "with space" "caf\xc3\xa9"
EVAL 'return string.len(ARGV[1])' 0 "caf\xc3\xa9"

# ---- libraries ----
=== lib/cjson-encode
EVAL 'return cjson.encode({1, 2, 3})' 0
EVAL 'return cjson.encode({a = 1})' 0
EVAL 'return cjson.encode("str\"quote\n")' 0
EVAL 'return cjson.encode({})' 0
EVAL 'return cjson.encode(3.14159265358979)' 0
EVAL 'return cjson.encode(1e300)' 0
EVAL 'return cjson.encode({true, false, cjson.null})' 0
EVAL 'return cjson.encode({[1] = 1, [3] = 3})' 0
EVAL 'return cjson.encode({[1] = "a", [2] = "b", [20] = "far"})' 0
EVAL 'return cjson.encode(function() end)' 0
EVAL 'return cjson.encode({1/0})' 0
=== lib/cjson-decode
EVAL 'return cjson.decode("[1,2,3]")' 0
EVAL 'local t = cjson.decode("{\"a\":{\"b\":[10,20]}}"); return t.a.b[2]' 0
EVAL 'return cjson.decode("\"esc\\u0041\\n\"")' 0
EVAL 'return type(cjson.decode("null"))' 0
EVAL 'return cjson.decode("null") == cjson.null' 0
EVAL 'return cjson.decode("1.5e3")' 0
EVAL 'return cjson.decode("{bad json")' 0
EVAL 'return cjson.decode("[1,2,]")' 0
EVAL 'return cjson.decode("")' 0
=== lib/cjson-roundtrip
EVAL 'local s = cjson.encode(cjson.decode(ARGV[1])); return s' 0 '{"k":[1,2,{"x":"y"}]}'
EVAL 'local t = cjson.decode(cjson.encode({n = 5, s = "x"})); return {t.n, t.s}' 0
EVAL 'return cjson.encode(cjson.decode("[[[[[1]]]]]"))' 0
=== lib/cmsgpack
EVAL 'return cmsgpack.pack(1)' 0
EVAL 'return cmsgpack.pack({1, 2, 3})' 0
EVAL 'return cmsgpack.pack({a = 1})' 0
EVAL 'return cmsgpack.pack("hello", 300, -1, 1.5, true, false)' 0
EVAL 'return cmsgpack.pack(2^40, -2^40, 65536, -129)' 0
EVAL 'return cmsgpack.unpack(cmsgpack.pack({1, {2, "three"}}))' 0
EVAL 'return {cmsgpack.unpack(cmsgpack.pack(1, "two", 3))}' 0
EVAL 'local t = cmsgpack.unpack(cmsgpack.pack({k = "v"})); return t.k' 0
EVAL 'return cmsgpack.unpack(ARGV[1])' 0 "\x93\x01\x02\x03"
EVAL 'return cmsgpack.unpack("\xc1")' 0
=== lib/bit
EVAL 'return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0)}' 0
EVAL 'return {bit.lshift(1, 10), bit.rshift(256, 4), bit.arshift(-256, 4), bit.rshift(-1, 28)}' 0
EVAL 'return {bit.tohex(255), bit.tohex(-1), bit.tohex(255, 4), bit.tohex(255, -4)}' 0
EVAL 'return {bit.tobit(2^32 + 5), bit.tobit(-1), bit.rol(1, 33), bit.ror(1, 1), bit.bswap(0x12345678)}' 0
EVAL 'return bit.band("a")' 0
=== lib/struct
EVAL 'return struct.pack(">I2", 258)' 0
EVAL 'return struct.pack("<i4", -2)' 0
EVAL 'return {struct.unpack(">I2", "\1\2")}' 0
EVAL 'return struct.size(">i4i2b")' 0
EVAL 'return {struct.unpack("<i4", struct.pack("<i4", 123456))}' 0
EVAL 'return {struct.unpack("s", struct.pack("s", "zero"))}' 0
EVAL 'return struct.pack("Q")' 0
=== lib/string-and-table
EVAL 'return string.format("%05.1f|%x|%s", 3.14159, 255, "s")' 0
EVAL 'return {string.find("hello world", "o w")}' 0
EVAL 'return (string.gsub("a-b-c", "-", "+"))' 0
EVAL 'local t = {5, 1, 4}; table.sort(t); return t' 0
EVAL 'return table.concat({1, 2, 3}, ",")' 0
EVAL 'return tostring(1/3)' 0
EVAL 'return tonumber("0x10")' 0

# ---- math.random determinism ----
=== random/fixed-seed
EVAL 'return {math.random(100), math.random(100), math.random(100)}' 0
EVAL 'return {math.random(100), math.random(100), math.random(100)}' 0
EVAL 'return tostring(math.random())' 0
EVAL 'return math.random(5, 10)' 0
EVAL 'math.randomseed(42); return {math.random(1000), math.random(1000)}' 0
EVAL 'return math.random(0)' 0
EVAL 'return math.random(3, 1)' 0

# ---- SCRIPT LOAD / EXISTS / FLUSH and EVALSHA ----
=== script/load-and-evalsha
SCRIPT LOAD 'return "loaded"'
EVALSHA e0c82beb678ad47bd658710d9905611aa4a0b187 0
EVALSHA e0c82beb678ad47bd658710d9905611aa4a0b187 1 k
SCRIPT EXISTS e0c82beb678ad47bd658710d9905611aa4a0b187
=== script/sha-of-body
SCRIPT LOAD 'return 1'
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db ffffffffffffffffffffffffffffffffffffffff E0E1F9FABFC9D4800C877A703B823AC0578FF8DB
EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
=== script/eval-caches-for-evalsha
EVAL 'return 1' 0
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
SCRIPT FLUSH
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db
=== script/flush-modes
SCRIPT LOAD 'return 2'
SCRIPT FLUSH ASYNC
SCRIPT LOAD 'return 2'
SCRIPT FLUSH SYNC
SCRIPT FLUSH BOGUS
SCRIPT EXISTS 7f923f79fe76194c868d7e1d0820de36700eb649
=== script/load-errors
SCRIPT LOAD 'return ('
SCRIPT LOAD
SCRIPT LOAD a b
SCRIPT EXISTS
SCRIPT NOSUCH
=== script/load-shebang
SCRIPT LOAD "#!lua flags=no-writes\nreturn 1"
SCRIPT LOAD "#!lua flags=bogus\nreturn 1"
SCRIPT LOAD "#!python\nreturn 1"

# ---- EVAL_RO and shebang flags ----
=== ro/eval-ro-writes
EVAL_RO 'return redis.call("SET", "a", "b")' 0
EVAL_RO 'return redis.pcall("SET", "a", "b")' 0
EVAL_RO 'return redis.call("GET", "a")' 0
SET a val
EVAL_RO 'return redis.call("GET", KEYS[1])' 1 a
EVAL_RO 'return redis.call("INCR", KEYS[1])' 1 a
=== ro/evalsha-ro
SCRIPT LOAD 'return redis.call("SET", "x", "y")'
EVALSHA_RO 648b8df25204cf16a9d329edb474c9c4f27f4b17 0
EVALSHA 648b8df25204cf16a9d329edb474c9c4f27f4b17 0
GET x
=== shebang/flags
EVAL "#!lua\nreturn 1" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('set','x','y')" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('get','x')" 0
EVAL "#!lua flags=allow-oom,no-writes\nreturn 1" 0
EVAL "#!lua flags=no-cluster\nreturn 1" 0
EVAL "#!lua flags=allow-cross-slot-keys\nreturn 1" 0
EVAL "#!lua flags=allow-stale\nreturn 1" 0
EVAL "#!lua flags=\nreturn 1" 0
=== shebang/errors
EVAL "#!lua flags=bogus\nreturn 1" 0
EVAL "#!lua name=x\nreturn 1" 0
EVAL "#!notlua\nreturn 1" 0
EVAL "#!lua" 0
EVAL "#!lua flags=no-writes" 0
EVAL "#! lua\nreturn 1" 0
=== shebang/ro-with-eval-ro
EVAL_RO "#!lua flags=no-writes\nreturn redis.call('get','x')" 0
EVAL_RO "#!lua\nreturn redis.call('set','x','y')" 0
=== shebang/undeclared-keys
EVAL "#!lua\nreturn redis.call('set','undeclared','v')" 0
GET undeclared

# ---- odds and ends ----
=== misc/large-results
EVAL 'local t = {} for i = 1, 1000 do t[i] = i end return t' 0
EVAL 'local t = {} for i = 1, 100 do t[i] = {i, tostring(i)} end return t' 0
=== misc/collectgarbage-and-gcinfo
EVAL 'collectgarbage(); return type(collectgarbage("count"))' 0
EVAL 'return type(gcinfo())' 0
=== misc/coroutines-in-scripts
EVAL 'local co = coroutine.wrap(function() coroutine.yield(1) return 2 end) return {co(), co()}' 0
EVAL 'local co = coroutine.create(function() return redis.call("PING") end) return {coroutine.resume(co)}' 0
=== misc/string-dump-and-binary
EVAL 'return type(string.dump(function() return 1 end))' 0
EVAL 'return loadstring(string.dump(function() return 1 end))' 0
=== misc/script-kill-without-script
SCRIPT KILL
=== misc/select-db
SELECT 1
EVAL 'redis.call("SET", "dbkey", "one"); return redis.call("GET", "dbkey")' 0
SELECT 0
EVAL 'return redis.call("GET", "dbkey")' 0
EVAL 'redis.call("SELECT", 1); return redis.call("GET", "dbkey")' 0
GET dbkey
"#####;
