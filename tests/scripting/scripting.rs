//! Redis 7.0's scripting surface (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, `redis.*`, conversions, errors),
//! differentially against Debian's redis-server: the same commands on both, reply bytes compared, over RESP2 and
//! again over RESP3 (HELLO 3). Also: busy scripts (-BUSY, SCRIPT KILL, UNKILLABLE, SHUTDOWN NOSAVE), what scripts
//! propagate to the AOF, MONITOR's lines for script commands, INFO's scripting fields.
//!
//! `FERREDIS_BIN=/usr/bin/redis-server cargo test --test scripting` runs it redis-vs-redis; it must pass.

use crate::common;

use common::raw_replica::RawReplica;
use common::*;
use std::time::{Duration, Instant};

/// One case: redis-cli style lines, run in order on a fresh connection after FLUSHALL and SCRIPT FLUSH.
type Case = (&'static str, &'static [&'static str]);

const CASES: &[Case] = &[
    ("integer", &["EVAL \"return 1\" 0"]),
    ("string", &["EVAL \"return 'hello'\" 0"]),
    ("float truncated", &["EVAL \"return 3.99\" 0", "EVAL \"return -3.99\" 0", "EVAL \"return 0.5\" 0"]),
    ("huge and nan numbers", &["EVAL \"return 1e20\" 0", "EVAL \"return 0/0\" 0", "EVAL \"return -1e300\" 0"]),
    ("big integer", &["EVAL \"return 9007199254740993\" 0", "EVAL \"return -9007199254740992\" 0"]),
    ("booleans", &["EVAL \"return true\" 0", "EVAL \"return false\" 0"]),
    ("nil", &["EVAL \"return nil\" 0", "EVAL \"return\" 0", "EVAL \"local x = 1\" 0"]),
    ("array", &["EVAL \"return {1,2,3,'x',{4,5,{6}}}\" 0"]),
    ("array stops at nil", &["EVAL \"return {1,nil,3}\" 0", "EVAL \"return {nil,2}\" 0"]),
    ("array of booleans", &["EVAL \"return {true,false,true}\" 0"]),
    ("empty table", &["EVAL \"return {}\" 0"]),
    ("status table", &["EVAL \"return {ok='fine'}\" 0", "EVAL \"return {ok='a\\nb\\rc'}\" 0"]),
    ("error table", &["EVAL \"return {err='My Error'}\" 0", "EVAL \"return {err='a\\nb'}\" 0"]),
    ("error table without code", &["EVAL \"return {err=''}\" 0", "EVAL \"return {err='x'}\" 0"]),
    ("non-string err and ok fields", &["EVAL \"return {err=1}\" 0", "EVAL \"return {ok=2}\" 0", "EVAL \"return {ok=true, 7}\" 0"]),
    ("error_reply", &["EVAL \"return redis.error_reply('My Error')\" 0", "EVAL \"return redis.error_reply('-CODE text here')\" 0"]),
    ("error_reply without code", &["EVAL \"return redis.error_reply('x')\" 0", "EVAL \"return redis.error_reply('')\" 0"]),
    ("error_reply bad args", &["EVAL \"return redis.error_reply(1)\" 0", "EVAL \"return redis.error_reply()\" 0", "EVAL \"return redis.error_reply('a','b')\" 0"]),
    ("status_reply", &["EVAL \"return redis.status_reply('PONG')\" 0", "EVAL \"return redis.status_reply()\" 0", "EVAL \"return redis.status_reply({})\" 0"]),
    ("double table", &["EVAL \"return {double=3.5}\" 0", "EVAL \"return {double=1/0}\" 0", "EVAL \"return {double='x'}\" 0"]),
    ("big number table", &["EVAL \"return {big_number='123456789012345678901234567890'}\" 0"]),
    ("verbatim table", &["EVAL \"return {verbatim_string={format='txt', string='hello'}}\" 0", "EVAL \"return {verbatim_string={format='txt'}}\" 0"]),
    ("map table", &["EVAL \"return {map={a=1}}\" 0", "EVAL \"return {map={}}\" 0"]),
    ("set table", &["EVAL \"return {set={a=true}}\" 0", "EVAL \"return {set={}}\" 0"]),
    ("nested special tables", &["EVAL \"return {{ok='x'},{double=2.5},{map={k={1,2}}}}\" 0"]),
    ("keys and argv", &["EVAL \"return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}\" 2 a b c d", "EVAL \"return KEYS[1]..ARGV[1]\" 1 k v"]),
    ("keys and argv tables", &["EVAL \"return KEYS\" 2 a b", "EVAL \"return ARGV\" 0", "EVAL \"return #KEYS + #ARGV\" 0 x y z"]),
    ("many arguments", &["EVAL \"return #ARGV\" 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35"]),
    ("numkeys errors", &["EVAL \"return 1\" 2 a", "EVAL \"return 1\" -1", "EVAL \"return 1\" abc", "EVAL \"return 1\" 99999999999999999999"]),
    ("arity", &["EVAL \"return 1\"", "EVALSHA", "EVAL_RO x", "EVALSHA_RO a"]),
    ("evalsha unknown", &["EVALSHA ffffffffffffffffffffffffffffffffffffffff 0", "EVALSHA abc 0", "EVALSHA_RO abc 1"]),
    ("script load and evalsha", &[
        "SCRIPT LOAD \"return 'loaded'\"",
        "EVALSHA b534286061d4b9e4026607613b95c06c06015ae8 0",
        "EVALSHA B534286061D4B9E4026607613B95C06C06015AE8 0",
        "EVALSHA_RO b534286061d4b9e4026607613b95c06c06015ae8 0",
        "SCRIPT EXISTS b534286061d4b9e4026607613b95c06c06015ae8 B534286061D4B9E4026607613B95C06C06015AE8 ffffffffffffffffffffffffffffffffffffffff x",
        "SCRIPT FLUSH",
        "SCRIPT EXISTS b534286061d4b9e4026607613b95c06c06015ae8",
        "EVALSHA b534286061d4b9e4026607613b95c06c06015ae8 0",
    ]),
    ("eval caches its script", &["EVAL \"return 'loaded'\" 0", "SCRIPT EXISTS b534286061d4b9e4026607613b95c06c06015ae8"]),
    ("script load errors", &["SCRIPT LOAD \"return (\"", "SCRIPT LOAD \"#!lua flags=bogus\\nreturn 1\"", "SCRIPT LOAD", "SCRIPT LOAD a b"]),
    ("script flush modes", &["SCRIPT FLUSH ASYNC", "SCRIPT FLUSH sync", "SCRIPT FLUSH bad", "SCRIPT FLUSH sync async"]),
    ("script help and unknown", &["SCRIPT HELP", "SCRIPT FOO", "SCRIPT", "SCRIPT KILL", "SCRIPT KILL x"]),
    ("call set get", &["EVAL \"redis.call('set',KEYS[1],ARGV[1]); return redis.call('get',KEYS[1])\" 1 k v", "GET k"]),
    ("call integer reply", &["EVAL \"return redis.call('incr','n')\" 0", "EVAL \"return redis.call('incrby','n', 10) + 1\" 0"]),
    ("call nil bulk is false", &["EVAL \"return redis.call('get','nokey')\" 0", "EVAL \"return type(redis.call('get','nokey'))\" 0", "EVAL \"return tostring(redis.call('get','nokey'))\" 0"]),
    ("call status is a table", &["EVAL \"return redis.call('set','a','b')\" 0", "EVAL \"return type(redis.call('set','a','b'))\" 0", "EVAL \"return redis.call('set','a','b').ok\" 0"]),
    ("call array reply", &["RPUSH l a b c", "EVAL \"return redis.call('lrange','l',0,-1)\" 0", "EVAL \"return #redis.call('lrange','l',0,-1)\" 0"]),
    ("call null array", &["EVAL \"return redis.call('blpop','nolist',0)\" 0", "EVAL \"return type(redis.call('blpop','nolist',0))\" 0"]),
    ("call error raises", &["SET a x", "EVAL \"return redis.call('incr','a')\" 0", "EVAL \"redis.call('lpush','a','x')\" 0"]),
    ("pcall error returns table", &["SET a x", "EVAL \"return redis.pcall('incr','a')\" 0", "EVAL \"local r = redis.pcall('incr','a'); return r.err\" 0", "EVAL \"return type(redis.pcall('incr','a'))\" 0"]),
    ("unknown command", &["EVAL \"return redis.call('nosuch')\" 0", "EVAL \"return redis.pcall('nosuch')\" 0", "EVAL \"return redis.call('client','nosuchsub')\" 0"]),
    ("wrong arity", &["EVAL \"return redis.call('get')\" 0", "EVAL \"return redis.pcall('get','a','b')\" 0", "EVAL \"return redis.call('client')\" 0"]),
    ("no arguments", &["EVAL \"return redis.call()\" 0", "EVAL \"return redis.pcall()\" 0"]),
    ("bad argument types", &["EVAL \"return redis.call('get', {})\" 0", "EVAL \"return redis.call('get', nil)\" 0", "EVAL \"return redis.pcall('set','a',true)\" 0"]),
    ("number arguments", &["EVAL \"redis.call('set','f',3.14159265358979); return redis.call('get','f')\" 0", "EVAL \"redis.call('set','g',1e100); return redis.call('get','g')\" 0", "EVAL \"redis.call('set','h',-0.0); return redis.call('get','h')\" 0"]),
    ("noscript commands allowed by DEBUG SET-DISABLE-DENY-SCRIPTS", &[
        "DEBUG SET-DISABLE-DENY-SCRIPTS 1",
        "EVAL \"return redis.call('debug','protocol','bignum')\" 0",
        "EVAL \"return redis.call('debug','protocol','map')\" 0",
        "EVAL \"return redis.call('debug','protocol','double')\" 0",
        "EVAL \"redis.setresp(3) return redis.call('debug','protocol','true')\" 0",
        "DEBUG SET-DISABLE-DENY-SCRIPTS 0",
        "EVAL \"return redis.call('debug','protocol','map')\" 0",
    ]),
    ("sort of a set without order is alphabetical in scripts", &["SADD myset p z d aa q n o f m azz e i aaa s a l c", "EVAL \"return redis.call('sort',KEYS[1],'by','_')\" 1 myset", "EVAL \"return redis.call('sort',KEYS[1],'by','_','get','#','get','_:*')\" 1 myset", "EVAL \"return redis.call('sort_ro',KEYS[1],'by','nosort')\" 1 myset", "RPUSH mylist c a b", "EVAL \"return redis.call('sort',KEYS[1],'by','_')\" 1 mylist"]),
    ("noscript commands", &["EVAL \"return redis.call('multi')\" 0", "EVAL \"return redis.call('eval','return 1','0')\" 0", "EVAL \"return redis.pcall('subscribe','ch')\" 0", "EVAL \"return redis.call('script','load','return 1')\" 0"]),
    ("eval_ro refuses writes", &["EVAL_RO \"return redis.call('set','a','b')\" 0", "EVAL_RO \"return redis.call('get','a')\" 1 a", "EVAL_RO \"return redis.pcall('publish','c','m')\" 0"]),
    ("shebang no-writes", &["EVAL \"#!lua flags=no-writes\\nreturn redis.call('set','a','b')\" 0", "EVAL \"#!lua flags=no-writes\\nreturn redis.call('get','a')\" 0"]),
    ("shebang keeps line numbers", &["EVAL \"#!lua\\nreturn nosuch\" 0", "EVAL \"#!lua\\n\\nerror('x')\" 0"]),
    ("shebang errors", &["EVAL \"#!lua flags=bad\\nreturn 1\" 0", "EVAL \"#!python\\nreturn 1\" 0", "EVAL \"#!lua name=x\\nreturn 1\" 0", "EVAL \"#!lua\" 0", "EVAL \"#!\\nreturn 1\" 0"]),
    ("shebang with all flags", &["EVAL \"#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\\nreturn 1\" 0", "EVAL \"#!lua flags=\\nreturn 2\" 0"]),
    ("ro variants and shebangs", &["EVAL_RO \"#!lua\\nreturn 1\" 0", "EVAL_RO \"#!lua flags=no-writes\\nreturn 1\" 0", "EVAL_RO \"return 1\" 0"]),
    ("compile errors", &["EVAL \"return (\" 0", "EVAL \"x =\" 0", "EVAL \"return 'unfinished\" 0", "EVAL \"for\" 0"]),
    ("runtime errors", &["EVAL \"return nil + 1\" 0", "EVAL \"local t = nil; return t.x\" 0", "EVAL \"return #5\" 0", "EVAL \"return {} < {}\" 0"]),
    ("error values", &["EVAL \"error('boom')\" 0", "EVAL \"error('x', 0)\" 0", "EVAL \"error()\" 0", "EVAL \"error(42)\" 0", "EVAL \"error(true)\" 0"]),
    ("error tables", &["EVAL \"error({err='X y'})\" 0", "EVAL \"error(redis.error_reply('MY code'))\" 0"]),
    ("errors in nested functions", &["EVAL \"local function f() error('deep') end\\nlocal function g() f() end\\ng()\" 0", "EVAL \"local function f()\\n  return redis.call('nosuch')\\nend\\nreturn f()\" 0"]),
    ("nonexistent globals", &["EVAL \"return undefinedvar\" 0", "EVAL \"return type(print)\" 0", "EVAL \"return type(os)\" 0", "EVAL \"return type(loadfile)\" 0", "EVAL \"return type(debug)\" 0", "EVAL \"return type(io)\" 0"]),
    ("globals creation", &["EVAL \"x = 1\" 0", "EVAL \"function f() end\" 0"]),
    ("existing globals", &["EVAL \"return type(redis)..type(string)..type(math)..type(table)..type(KEYS)..type(_G)\" 0", "EVAL \"return {type(pcall), type(xpcall), type(loadstring), type(unpack), type(__redis__err__handler)}\" 0"]),
    ("readonly globals", &["EVAL \"redis = nil\" 0", "EVAL \"_G.x = 1\" 0", "EVAL \"rawset(_G, 'x', 1)\" 0", "EVAL \"setmetatable(_G, nil)\" 0", "EVAL \"return redis.call('ping')\" 0"]),
    ("readonly libraries", &["EVAL \"string.len = nil\" 0", "EVAL \"redis.call = nil\" 0", "EVAL \"cjson.encode = nil\" 0", "EVAL \"table.insert(string, 1)\" 0", "EVAL \"math.pi = 3\" 0", "EVAL \"local s = string; s.rep = nil\" 0"]),
    ("readonly metatables", &["EVAL \"getmetatable('').__index = nil\" 0", "EVAL \"local t = getmetatable(_G); t.__index = nil\" 0", "EVAL \"setmetatable(string, {})\" 0", "EVAL \"return getmetatable('').__index == string\" 0"]),
    ("keys are writable", &["EVAL \"KEYS[1] = 'x'; ARGV[2] = 'y'; return {KEYS[1], ARGV[2]}\" 1 a b"]),
    ("rawset errors", &["EVAL \"return rawset({}, nil, 1)\" 0", "EVAL \"return rawget(_G, 'nosuch')\" 0"]),
    ("loadstring", &["EVAL \"return loadstring('return 1')()\" 0", "EVAL \"local f = loadstring('y = 1'); f()\" 0", "EVAL \"return {loadstring('return (')}\" 0", "EVAL \"local f = loadstring('error(1)'); f()\" 0"]),
    ("bundled libraries", &["EVAL \"return cjson.encode({1,2,{a=1}})\" 0", "EVAL \"return cjson.decode('[1,2,3]')\" 0", "EVAL \"return {cmsgpack.unpack(cmsgpack.pack(1,2,'x'))}\" 0", "EVAL \"return bit.band(5,3)\" 0", "EVAL \"return struct.pack('>I2', 258)\" 0", "EVAL \"return type(coroutine)..type(bit.tohex)\" 0"]),
    ("removed globals", &["EVAL \"return type(newproxy)\" 0", "EVAL \"return type(getfenv)\" 0", "EVAL \"return type(setfenv)\" 0", "EVAL \"return _VERSION\" 0", "EVAL \"return gcinfo() > 0\" 0"]),
    ("sha1hex", &["EVAL \"return redis.sha1hex('')\" 0", "EVAL \"return redis.sha1hex('abc')\" 0", "EVAL \"return redis.sha1hex(123)\" 0", "EVAL \"return redis.sha1hex(nil)\" 0", "EVAL \"return redis.sha1hex()\" 0", "EVAL \"return redis.sha1hex('a','b')\" 0"]),
    ("log", &["EVAL \"return redis.log(redis.LOG_WARNING, 'hello', 1, 'world')\" 0", "EVAL \"redis.log()\" 0", "EVAL \"redis.log(1)\" 0", "EVAL \"redis.log('x','y')\" 0", "EVAL \"redis.log(99,'x')\" 0", "EVAL \"redis.log(-1,'x')\" 0"]),
    ("log levels", &["EVAL \"return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}\" 0"]),
    ("setresp errors", &["EVAL \"redis.setresp(4)\" 0", "EVAL \"redis.setresp()\" 0", "EVAL \"redis.setresp('x')\" 0", "EVAL \"redis.setresp(2,3)\" 0"]),
    ("resp3 map from hgetall", &["HSET h f v", "EVAL \"redis.setresp(3); return redis.call('hgetall','h')\" 0", "EVAL \"redis.setresp(3); return redis.call('hgetall','h').map.f\" 0", "EVAL \"redis.setresp(2); return redis.call('hgetall','h')\" 0"]),
    ("resp3 set and double", &["SADD s m", "ZADD z 1.5 a", "EVAL \"redis.setresp(3); return redis.call('smembers','s')\" 0", "EVAL \"redis.setresp(3); return redis.call('zscore','z','a')\" 0", "EVAL \"redis.setresp(3); return redis.call('zscore','z','a').double\" 0"]),
    ("resp3 null and booleans", &["EVAL \"redis.setresp(3); return redis.call('get','nokey')\" 0", "EVAL \"redis.setresp(3); return type(redis.call('get','nokey'))\" 0", "EVAL \"redis.setresp(3); return true\" 0", "EVAL \"redis.setresp(3); return false\" 0"]),
    ("resp3 status and errors", &["EVAL \"redis.setresp(3); return redis.call('ping')\" 0", "EVAL \"redis.setresp(3); return redis.pcall('incr','nokey','x')\" 0"]),
    ("set_repl", &["EVAL \"redis.set_repl(redis.REPL_NONE); return 1\" 0", "EVAL \"redis.set_repl(7)\" 0", "EVAL \"redis.set_repl()\" 0", "EVAL \"redis.set_repl(-1)\" 0", "EVAL \"return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}\" 0"]),
    ("compat functions", &["EVAL \"return redis.replicate_commands()\" 0", "EVAL \"return redis.breakpoint()\" 0", "EVAL \"return redis.debug('x')\" 0"]),
    ("version", &["EVAL \"return redis.REDIS_VERSION\" 0", "EVAL \"return redis.REDIS_VERSION_NUM\" 0"]),
    ("pcall of redis.call", &["EVAL \"return {pcall(redis.call,'nosuch')}\" 0", "EVAL \"local ok, e = pcall(error, {err='x'}); return e\" 0", "EVAL \"local ok, e = pcall(error, {1}); return type(e)\" 0"]),
    ("pcall of Lua errors", &["EVAL \"return {pcall(error, 'm')}\" 0", "EVAL \"return {pcall(function() return 1, 2 end)}\" 0", "EVAL \"return pcall()\" 0"]),
    ("math.random", &["EVAL \"return math.random(100)\" 0", "EVAL \"return math.random(5, 10)\" 0", "EVAL \"return tostring(math.random())\" 0", "EVAL \"math.randomseed(42); return {math.random(1000), math.random(1000)}\" 0"]),
    ("math.random errors", &["EVAL \"return math.random(0)\" 0", "EVAL \"return math.random(3, 1)\" 0", "EVAL \"return math.random(1, 2, 3)\" 0"]),
    ("deep nesting", &["EVAL \"local t = {} local c = t for i=1,50 do c[1] = {i} c = c[1] end return t\" 0"]),
    ("select inside script", &["EVAL \"redis.call('select',1); redis.call('set','x','1'); return redis.call('dbsize')\" 0", "DBSIZE", "SELECT 1", "GET x", "SELECT 0"]),
    ("script in multi", &["MULTI", "EVAL \"return redis.call('incr','c')\" 0", "EVAL \"return redis.call('nosuch')\" 0", "EXEC"]),
    ("command getkeys", &["COMMAND GETKEYS EVAL \"return 1\" 2 a b x", "COMMAND GETKEYS EVALSHA abc 1 k", "COMMAND GETKEYS EVAL_RO x 0", "COMMAND GETKEYS EVAL x 3 a"]),
    ("command info", &["COMMAND INFO eval evalsha eval_ro evalsha_ro", "COMMAND INFO script|load script|kill script|exists script|flush script|help"]),
    ("command docs", &["COMMAND DOCS eval evalsha_ro"]),
    ("publish from script", &["EVAL \"return redis.call('publish','ch','m')\" 0"]),
    ("acl_check_cmd", &["EVAL \"return redis.acl_check_cmd('set','a','b')\" 0", "EVAL \"return redis.acl_check_cmd('nosuch')\" 0", "EVAL \"return redis.acl_check_cmd()\" 0"]),
    ("acl denies script commands", &[
        "ACL SETUSER scriptuser on nopass +eval +get ~a*",
        "AUTH scriptuser x",
        "EVAL \"return redis.call('get','a1')\" 0",
        "EVAL \"return redis.call('get','b1')\" 0",
        "EVAL \"return redis.call('set','a1','v')\" 0",
        "EVAL \"return redis.acl_check_cmd('set','a1','v')\" 0",
        "EVAL \"return redis.acl_check_cmd('get','a1')\" 0",
    ]),
    ("string library", &["EVAL \"return string.format('%d-%s-%5.2f', 5, 'x', 3.14159)\" 0", "EVAL \"return string.rep('ab', 3)\" 0", "EVAL \"return {string.byte('A'), #'hello'}\" 0"]),
    ("table library", &["EVAL \"local t = {3,1,2}; table.sort(t); return t\" 0", "EVAL \"return table.concat({1,2,3}, ',')\" 0"]),
    ("tostring and tonumber", &["EVAL \"return tostring(1/3)\" 0", "EVAL \"return tonumber('0x10')\" 0", "EVAL \"return tostring(1e15)..tostring(2^53)\" 0"]),
    ("keys are binary safe", &["EVAL \"return redis.call('set', KEYS[1], ARGV[1])\" 1 \"k\\x00y\" \"v\\x00w\"", "EVAL \"return redis.call('get', KEYS[1])\" 1 \"k\\x00y\""]),
    ("expire inside script", &["EVAL \"redis.call('set','e','v'); redis.call('expire','e',100); return redis.call('ttl','e')\" 0"]),
    ("oom", &[
        "SET big xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "CONFIG SET maxmemory 1",
        "EVAL \"return redis.call('set','a','b')\" 0",
        "EVAL \"return redis.call('get','big')\" 0",
        "EVAL \"#!lua\\nreturn 1\" 0",
        "EVAL \"#!lua flags=no-writes\\nreturn redis.call('get','big')\" 0",
        "EVAL \"#!lua flags=allow-oom\\nreturn redis.call('set','c','d')\" 0",
        "CONFIG SET maxmemory 0",
    ]),
];

struct Side {
    server: Server,
}

impl Side {
    fn new(kind: Kind) -> Side {
        Side { server: Server::start(kind, &["--enable-debug-command", "yes"]) }
    }

    /// A fresh connection on an empty server (FLUSHALL, SCRIPT FLUSH, default user), speaking `resp`.
    fn fresh(&mut self, resp: u8) -> Conn {
        let mut c = self.server.conn();
        assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["SCRIPT", "FLUSH"]), b"+OK\r\n");
        c.cmd(&["ACL", "DELUSER", "scriptuser"]);
        if resp == 3 {
            let r = c.cmd(&["HELLO", "3"]);
            assert!(r.starts_with(b"%"), "HELLO 3: {}", escape(&r));
        }
        c
    }
}

/// Replies whose text legitimately differs between the two servers (none so far for scripting).
fn normalize(_line: &str, reply: Vec<u8>) -> Vec<u8> {
    reply
}

#[test]
fn scripting_replies_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut fer = Side::new(Kind::Ferredis);
    let mut red = Side::new(Kind::Redis);
    let mut failures = Vec::new();
    let mut compared = 0;
    for resp in [2u8, 3] {
        for (name, lines) in CASES {
            let mut cf = fer.fresh(resp);
            let mut cr = red.fresh(resp);
            for line in lines.iter() {
                let args = split_args(line).unwrap_or_else(|e| panic!("bad case line {line:?}: {e}"));
                let a = normalize(line, cf.try_cmd(&args).unwrap_or_else(|e| panic!("ferredis `{line}`: {e}")));
                let b = normalize(line, cr.try_cmd(&args).unwrap_or_else(|e| panic!("redis `{line}`: {e}")));
                compared += 1;
                if a != b {
                    failures.push(format!(
                        "RESP{resp} case `{name}`, `{line}`:\n  ferredis: {}\n  redis:    {}",
                        escape(&a),
                        escape(&b)
                    ));
                    break;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of the cases differ:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{} cases, {compared} replies identical", CASES.len() * 2);
}

/// The commands of a script are counted as Redis counts them: each in `commandstats` (rejected ones as
/// rejected calls), errors once in `errorstats`.
#[test]
fn scripting_stats_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let steps: &[&str] = &[
        "CONFIG RESETSTAT",
        "EVAL \"redis.call('set','a','1'); redis.call('incr','a'); return redis.call('get','a')\" 0",
        "EVAL \"return redis.call('nosuch')\" 0",
        "EVAL \"return redis.pcall('lpush','a','x')\" 0",
        "EVAL \"return redis.call('lpush','a','x')\" 0",
        "EVAL \"return redis.error_reply('MYERR x')\" 0",
        "EVAL \"error('x')\" 0",
        "EVAL_RO \"return redis.call('set','a','b')\" 0",
        "EVAL \"return redis.call('get')\" 0",
    ];
    let mut outs = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let mut s = Side::new(kind);
        let mut c = s.fresh(2);
        for line in steps {
            c.cmd(&split_args(line).unwrap());
        }
        let stats = String::from_utf8_lossy(&c.cmd(&["INFO", "commandstats"])).into_owned();
        let errs = String::from_utf8_lossy(&c.cmd(&["INFO", "errorstats"])).into_owned();
        let stat_lines = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| l.starts_with("cmdstat_") || l.starts_with("errorstat_"))
                .filter(|l| !l.starts_with("cmdstat_info") && !l.starts_with("cmdstat_config"))
                .map(|l| {
                    // usec figures are timing: keep calls, rejected_calls, failed_calls.
                    l.split(',').filter(|f| !f.starts_with("usec")).collect::<Vec<_>>().join(",")
                })
                .collect::<Vec<String>>()
        };
        let (mut a, mut b) = (stat_lines(&stats), stat_lines(&errs));
        a.sort();
        b.sort();
        outs.push((a, b));
    }
    assert_eq!(outs[0].0, outs[1].0, "commandstats (left ferredis, right redis)");
    assert_eq!(outs[0].1, outs[1].1, "errorstats (left ferredis, right redis)");
}

/// Sends `args` without reading the reply.
fn send(c: &mut Conn, line: &str) {
    c.send(&split_args(line).unwrap()).unwrap();
}

/// Waits until PING answers -BUSY on a fresh connection; returns that reply.
fn wait_busy(port: u16) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut c = Conn::connect(port);
        let r = c.cmd(&["PING"]);
        if r.starts_with(b"-BUSY") || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One busy-script scenario on a server: its observable replies in order.
fn busy_scenario(kind: Kind) -> Vec<String> {
    let mut s = Server::start(kind, &["--busy-reply-threshold", "100"]);
    let mut out = Vec::new();
    let mut a = s.conn();
    a.set_read_timeout_ms(30_000);
    let mut b = s.conn();
    // A read-only endless script: killable.
    send(&mut a, "EVAL \"while true do end\" 0");
    out.push(escape(&wait_busy(s.port)));
    out.push(escape(&b.cmd(&["GET", "k"])));
    out.push(escape(&b.cmd(&["SHUTDOWN"])));
    out.push(escape(&b.cmd(&["SCRIPT", "LOAD", "return 1"])));
    out.push(escape(&b.cmd(&["MULTI"])));
    out.push(escape(&b.cmd(&["DISCARD"])));
    out.push(escape(&b.cmd(&["SCRIPT", "KILL"])));
    out.push(escape(&a.read_reply().unwrap()));
    out.push(escape(&b.cmd(&["PING"])));
    out.push(escape(&b.cmd(&["SCRIPT", "KILL"])));
    // pcall cannot swallow the kill.
    send(&mut a, "EVAL \"while true do pcall(function() while true do end end) end\" 0");
    out.push(escape(&wait_busy(s.port)));
    out.push(escape(&b.cmd(&["SCRIPT", "KILL"])));
    out.push(escape(&a.read_reply().unwrap()));
    // A script that wrote cannot be killed; SHUTDOWN NOSAVE stops the server.
    send(&mut a, "EVAL \"redis.call('set','x','y'); while true do end\" 0");
    out.push(escape(&wait_busy(s.port)));
    out.push(escape(&b.cmd(&["SCRIPT", "KILL"])));
    b.send(&["SHUTDOWN", "NOSAVE"]).unwrap();
    let status = s.wait_exit(20_000);
    out.push(format!("exited: {}", status.is_some()));
    out
}

#[test]
fn busy_scripts_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fer = busy_scenario(Kind::Ferredis);
    let red = busy_scenario(Kind::Redis);
    assert_eq!(fer, red, "busy script scenario (left ferredis, right redis)");
    assert!(red.iter().any(|l| l.contains("UNKILLABLE")), "{red:?}");
}

/// MONITOR shows EVAL, then the script's commands as `[db lua]`.
#[test]
fn monitor_lines_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut outs = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &[]);
        let mut m = s.conn();
        assert_eq!(m.cmd(&["MONITOR"]), b"+OK\r\n");
        let mut c = s.conn();
        c.cmd(
            &split_args(
                "EVAL \"redis.call('set',KEYS[1],'v'); redis.call('select',2); return redis.call('get',KEYS[1])\" 1 k",
            )
            .unwrap(),
        );
        c.cmd(&split_args("EVAL \"return redis.call('nosuch')\" 0").unwrap());
        c.cmd(&["PING"]);
        let mut lines = Vec::new();
        loop {
            let r = m.read_reply().unwrap();
            let t = String::from_utf8_lossy(&r).into_owned();
            // "+1700000000.123456 [0 127.0.0.1:5555] "EVAL" ...": drop the time and the client's port.
            let rest = t.split_once(' ').map(|(_, r)| r.to_string()).unwrap_or_default();
            let rest = match rest.split_once("127.0.0.1:") {
                Some((a, b)) => format!("{a}127.0.0.1:<port>{}", &b[b.find(']').unwrap_or(0)..]),
                None => rest,
            };
            let done = rest.contains("\"PING\"");
            lines.push(rest);
            if done {
                break;
            }
        }
        outs.push(lines);
    }
    assert_eq!(outs[0], outs[1], "MONITOR lines (left ferredis, right redis)");
}

/// What scripts propagate to the AOF: their commands (not EVAL), wrapped in MULTI/EXEC when more than one,
/// following redis.set_repl.
#[test]
fn propagation_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let steps: &[&str] = &[
        "EVAL \"return redis.call('set','a','1')\" 0",
        "EVAL \"redis.call('incr','a'); redis.call('incr','a'); return 1\" 0",
        "EVAL \"return redis.call('get','a')\" 0",
        "EVAL \"redis.call('set','b','1'); redis.set_repl(redis.REPL_NONE); redis.call('set','c','1'); redis.set_repl(redis.REPL_ALL); redis.call('set','d','1')\" 0",
        "EVAL \"redis.set_repl(redis.REPL_REPLICA); redis.call('set','e','1')\" 0",
        "EVAL \"redis.call('set','f','1'); redis.call('select', 3); redis.call('set','g','1')\" 0",
        "EVAL \"redis.call('expire','a',100); return redis.call('pexpire','b',5000)\" 0",
        "EVAL \"redis.call('set','h','1'); error('after a write')\" 0",
        "SCRIPT LOAD \"return redis.call('incr', KEYS[1])\"",
        "EVALSHA 2bab3b661081db58bd2341920e0ba7cf5dc77b25 1 counter",
        "MULTI",
        "EVAL \"return redis.call('incr','m')\" 0",
        "SET plain 1",
        "EXEC",
        "EVAL \"return redis.call('spop','nokey')\" 0",
        "SADD s x",
        "EVAL \"return redis.call('spop','s')\" 0",
    ];
    let mut streams = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let dir = TempDir::new(&format!("script-prop-{}", kind.label()));
        let s = Server::start_in(
            kind,
            dir.path(),
            &["--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", "yes"],
        );
        let mut c = s.conn();
        let mut replies = Vec::new();
        for line in steps {
            replies.push(escape(&c.cmd(&split_args(line).unwrap())));
        }
        let cmds = common::persist::read_incr_commands(dir.path());
        let rendered: Vec<String> = cmds
            .iter()
            .map(common::persist::render_command)
            // Absolute expiry times differ by the milliseconds between the two runs.
            .map(|l| if l.starts_with("PEXPIREAT") { l.split(' ').take(2).collect::<Vec<_>>().join(" ") } else { l })
            .collect();
        streams.push((replies, rendered));
        drop(s);
    }
    assert_eq!(streams[0].0, streams[1].0, "replies (left ferredis, right redis)");
    assert_eq!(streams[0].1, streams[1].1, "AOF streams (left ferredis, right redis)");
}

/// INFO's scripting fields are there, and count the cache.
#[test]
fn info_fields() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    c.cmd(&["SCRIPT", "LOAD", "return 1"]);
    c.cmd(&["SCRIPT", "LOAD", "return 2"]);
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "memory"])).into_owned();
    let field = |name: &str| -> String {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("INFO lacks {name}:\n{info}"))
            .to_string()
    };
    assert_eq!(field("number_of_cached_scripts"), "2");
    assert!(field("used_memory_vm_eval").parse::<u64>().unwrap() > 0);
    assert_eq!(field("used_memory_lua"), field("used_memory_vm_eval"));
    assert!(field("used_memory_scripts_eval").parse::<u64>().unwrap() > 0);
    assert!(field("used_memory_lua_human").ends_with('K'));
    c.cmd(&["SCRIPT", "FLUSH"]);
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "memory"])).into_owned();
    assert!(info.contains("number_of_cached_scripts:0\r\n"), "{info}");
}

/// The garbage scripts make outside the VM's own allocation points (KEYS and ARGV tables, redis.call's replies)
/// is collected: between scripts, and after each native call inside a long one. Without it, the Lua heap grew by
/// every EVAL's keys and replies until some script happened to build a table.
#[test]
fn lua_heap_stays_bounded() {
    let s = Server::start(Kind::Ferredis, &[]);
    let mut c = s.conn();
    let vm_eval = |c: &mut Conn| -> u64 {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "memory"])).into_owned();
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory_vm_eval:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("INFO lacks used_memory_vm_eval:\n{info}"))
    };
    let script = "local v = redis.call('GET', KEYS[1]) redis.call('SET', KEYS[1], ARGV[1]) return v";
    let sha = String::from_utf8(c.cmd(&["SCRIPT", "LOAD", script])).unwrap();
    let sha = sha.trim_start_matches('$').split("\r\n").nth(1).unwrap().to_string();
    // 20,000 calls, each with a distinct key and a 100-byte value: about 4 MB of strings if nothing were freed.
    let value = "v".repeat(100);
    for batch in 0..20 {
        let mut pipe = Vec::new();
        for i in 0..1000 {
            let key = format!("gc:{batch}:{i}");
            pipe.extend_from_slice(&encode_command(&["EVALSHA", sha.as_str(), "1", key.as_str(), value.as_str()]));
        }
        c.send_raw(&pipe).unwrap();
        for _ in 0..1000 {
            let r = c.read_reply().unwrap();
            assert!(r.starts_with(b"$-1") || r.starts_with(b"$100"), "{}", String::from_utf8_lossy(&r));
        }
    }
    let after_calls = vm_eval(&mut c);
    assert!(after_calls < 2 << 20, "used_memory_vm_eval after 20000 EVALSHA: {after_calls}");
    // One script, 200,000 native calls, each reply a new table: the heap is collected while it runs.
    let r = c.cmd(&["EVAL", "for i = 1, 200000 do redis.call('PING') end return collectgarbage('count')", "0"]);
    let kb = Resp::parse(&r).unwrap().as_int().unwrap();
    assert!(kb < 2048, "Lua heap after 200000 redis.call: {kb} KB");
}

/// `used_memory_lua` under a stream of small EVALs stays near the VM's baseline, as Redis's does (Redis's suite
/// bounds it at 100 KiB after 10,000 INCR scripts): both servers stay under that bound.
#[test]
fn used_memory_lua_stays_small_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &[]);
        let mut c = s.conn();
        c.cmd(&["SCRIPT", "FLUSH"]);
        let mut pipe = Vec::new();
        for _ in 0..10_000 {
            pipe.extend_from_slice(&encode_command(&["EVAL", "return redis.call('incr',KEYS[1])", "1", "x"]));
        }
        c.send_raw(&pipe).unwrap();
        for _ in 0..10_000 {
            let r = c.read_reply().unwrap();
            assert!(r.starts_with(b":"), "{}", String::from_utf8_lossy(&r));
        }
        let used: u64 = info_field(&mut c, "memory", "used_memory_lua").parse().unwrap();
        assert!(used < 100 * 1024, "{}: used_memory_lua {used}", kind.label());
        assert_eq!(c.cmd(&["GET", "x"]), b"$5\r\n10000\r\n");
    }
}

/// A table that contains itself, or one nested deeper than Redis's Lua stack allows, is converted down to Redis's
/// limit and ends in `-ERR reached lua stack limit`, byte for byte as Redis (and without exhausting the server's
/// native stack: the conversion is iterative). The client side parses the deep reply on a thread with a large
/// stack.
#[test]
fn deeply_nested_script_replies_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let body = || {
        let (fer, red) = (Server::start(Kind::Ferredis, &[]), Server::start(Kind::Redis, &[]));
        let (mut f, mut r) = (fer.conn(), red.conn());
        for line in [
            "EVAL \"local a = {}; local b = {a}; a[1] = b; return a\" 0",
            "EVAL \"local t = {} for i = 1, 9000 do t = {t, i} end return t\" 0",
            "EVAL \"return {1, {2, {3, 'x'}, 4}, {ok='fine'}, {err='E bad'}, 5}\" 0",
        ] {
            let (a, b) = (f.cmd_str(line), r.cmd_str(line));
            assert!(a == b, "{line}: replies differ ({} vs {} bytes)", a.len(), b.len());
        }
        assert_eq!(f.cmd(&["PING"]), b"+PONG\r\n");
    };
    let t = std::thread::Builder::new().stack_size(512 << 20).spawn(body).unwrap();
    t.join().unwrap();
}

/// SLOWLOG records a script's commands with the script client's peer (`?:0`), after the EVAL that ran them.
#[test]
fn slowlog_entries_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut outs = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &["--slowlog-log-slower-than", "0"]);
        let mut c = s.conn();
        c.cmd(&["SLOWLOG", "RESET"]);
        c.cmd(&split_args("EVAL \"redis.call('set','a','b'); return redis.call('get','a')\" 0").unwrap());
        let r = Resp::parse(&c.cmd(&["SLOWLOG", "GET", "3"])).unwrap();
        let entries: Vec<String> = r
            .items()
            .unwrap()
            .iter()
            .map(|e| {
                let f = e.items().unwrap();
                // id, time and duration vary; the arguments and the peer (without a real client's port) do not.
                let peer = String::from_utf8_lossy(f[4].as_bytes().unwrap()).into_owned();
                let peer = if peer.starts_with("127.0.0.1:") { "127.0.0.1:<port>".to_string() } else { peer };
                format!("{} {peer}", escape(&f[3].to_bytes()))
            })
            .collect();
        outs.push(entries);
    }
    assert_eq!(outs[0], outs[1], "SLOWLOG entries (left ferredis, right redis)");
}

/// CLIENT PAUSE WRITE holds back EVAL of scripts that may write (no shebang, or a shebang without no-writes)
/// and lets read-only ones through.
#[test]
fn client_pause_write_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut outs = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &[]);
        let mut admin = s.conn();
        let mut out = Vec::new();
        out.push(escape(&admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"])));
        let mut held = s.conn();
        send(&mut held, "EVAL \"return 1\" 0");
        let mut held2 = s.conn();
        send(&mut held2, "EVAL \"#!lua\\nreturn redis.call('set','p','1')\" 0");
        let mut free = s.conn();
        out.push(escape(&free.cmd(&split_args("EVAL \"#!lua flags=no-writes\\nreturn 2\" 0").unwrap())));
        out.push(escape(&free.cmd(&split_args("EVAL_RO \"return redis.call('get','p')\" 0").unwrap())));
        // Both held clients are blocked before the pause ends.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let info = String::from_utf8_lossy(&admin.cmd(&["INFO", "clients"])).into_owned();
            if info.contains("blocked_clients:2\r\n") || Instant::now() > deadline {
                out.push(info.lines().find(|l| l.starts_with("blocked_clients")).unwrap_or("").to_string());
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        out.push(escape(&admin.cmd(&["CLIENT", "UNPAUSE"])));
        out.push(escape(&held.read_reply().unwrap()));
        out.push(escape(&held2.read_reply().unwrap()));
        out.push(escape(&admin.cmd(&["GET", "p"])));
        outs.push(out);
    }
    assert_eq!(outs[0], outs[1], "CLIENT PAUSE WRITE (left ferredis, right redis)");
}

/// What replicas receive from scripts: the commands they ran, MULTI/EXEC around several, none for REPL_AOF or
/// REPL_NONE commands.
#[test]
fn replication_stream_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let steps: &[&str] = &[
        "EVAL \"return redis.call('set','a','1')\" 0",
        "EVAL \"redis.call('incr','a'); redis.call('select', 2); redis.call('incr','a'); return 1\" 0",
        "EVAL \"redis.set_repl(redis.REPL_AOF); redis.call('set','aof-only','1'); redis.set_repl(redis.REPL_ALL); redis.call('set','both','1')\" 0",
        "EVAL \"redis.set_repl(redis.REPL_NONE); redis.call('set','none','1')\" 0",
        "EVAL \"redis.set_repl(redis.REPL_REPLICA); redis.call('set','r1','1'); redis.call('set','r2','1')\" 0",
        "EVAL \"return redis.call('get','a')\" 0",
        "SET end 1",
    ];
    let end = b"*3\r\n$3\r\nSET\r\n$3\r\nend\r\n$1\r\n1\r\n";
    let mut streams = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let server = Server::start(kind, &["--repl-diskless-sync", "no"]);
        let mut raw = RawReplica::connect(server.port);
        let mut c = server.conn();
        for line in steps {
            c.cmd(&split_args(line).unwrap());
        }
        let ping = b"*1\r\n$4\r\nPING\r\n";
        let mut stream = raw.until(end);
        while let Some(at) = stream.windows(ping.len()).position(|w| w == ping) {
            stream.drain(at..at + ping.len());
        }
        streams.push(escape(&stream));
    }
    assert_eq!(streams[0], streams[1], "replication streams (left ferredis, right redis)");
}
