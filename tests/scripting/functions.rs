//! Redis 7.0 functions differentially: each check runs the same commands on ferredis and on Debian's
//! redis-server 7.0.15 and compares the reply bytes (RESP2 and RESP3): FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/
//! RESTORE/STATS/HELP, every `redis.register_function` and metadata error word for word, FCALL/FCALL_RO
//! results and refusals. Then what must survive: DUMP payloads exchanged both ways, RDB and AOF restarts,
//! DEBUG RELOAD, RDB files exchanged with redis-server, and FUNCTION LOAD reaching replicas (full sync and the
//! command stream).
//!
//! Redis iterates its library dict in a per-process random order, so checks that list several libraries sort
//! them (or compare a single one).

use crate::common;

use common::*;
use std::time::Duration;

/// A FUNCTION LIST reply with the libraries, and each library's functions, sorted by their encoding.
fn sorted_functions(reply: &[u8]) -> Vec<u8> {
    fn sort_in(lib: &mut Resp) {
        let is_functions = |k: &Resp| k.as_bytes() == Some(b"functions".as_slice());
        match lib {
            Resp::Array(kv) => {
                for i in (0..kv.len().saturating_sub(1)).step_by(2) {
                    if is_functions(&kv[i]) {
                        if let Some(fs) = kv[i + 1].items_mut() {
                            fs.sort_by_key(|f| f.to_bytes());
                        }
                    }
                }
            }
            Resp::Map(kv) => {
                for (k, v) in kv.iter_mut() {
                    if is_functions(k) {
                        if let Some(fs) = v.items_mut() {
                            fs.sort_by_key(|f| f.to_bytes());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    match Resp::parse(reply) {
        Ok(Resp::Array(mut libs)) => {
            libs.iter_mut().for_each(sort_in);
            libs.sort_by_key(|l| l.to_bytes());
            Resp::Array(libs).to_bytes()
        }
        _ => reply.to_vec(),
    }
}

/// Like [`Pair::same`] for FUNCTION LIST: the functions of each library are compared as a set (Redis lists them in
/// its dict's random order).
fn same_list<A: AsRef<[u8]>>(p: &mut Pair, args: &[A]) -> Vec<u8> {
    let (a, b) = p.replies(args);
    let (a, b) = (sorted_functions(&a), sorted_functions(&b));
    assert_eq!(escape(&a), escape(&b), "reply to {} differs (left: ferredis, right: redis)", display_args(args));
    a
}

/// `FUNCTION LOAD [REPLACE] code` on both.
fn load(p: &mut Pair, code: &str) -> Vec<u8> {
    p.same(&["FUNCTION", "LOAD", code])
}

/// `#!lua name=<lib>` with one function `<f>` whose body is `body`.
fn lib(name: &str, f: &str, body: &str) -> String {
    format!("#!lua name={name}\nredis.register_function('{f}', function(keys, args)\n{body}\nend)")
}

const OK: &[u8] = b"+OK\r\n";

#[test]
fn load_list_delete() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    same_list(&mut p, &["FUNCTION", "LIST"]);
    assert_eq!(load(&mut p, &lib("mylib", "myfunc", "return 1")), b"$5\r\nmylib\r\n");
    // Flags, descriptions, both registration forms.
    load(
        &mut p,
        "#!lua name=lib2\nredis.register_function{function_name='ro', callback=function() return 2 end, \
         flags={'no-writes', 'allow-stale', 'ALLOW-OOM'}, description='a read-only one'}\n\
         redis.register_function{function_name='all', callback=function() return 3 end, flags={'no-writes', \
         'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}",
    );
    for proto in ["2", "3"] {
        p.hello(proto);
        same_list(&mut p, &["FUNCTION", "LIST", "LIBRARYNAME", "mylib"]);
        same_list(&mut p, &["FUNCTION", "LIST", "LIBRARYNAME", "lib2", "WITHCODE"]);
        same_list(&mut p, &["FUNCTION", "LIST", "withcode", "libraryname", "my*"]);
        same_list(&mut p, &["FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"]);
        p.same(&["FUNCTION", "STATS"]);
    }
    p.hello("2");
    // Argument errors.
    same_list(&mut p, &["FUNCTION", "LIST", "LIBRARYNAME"]);
    same_list(&mut p, &["FUNCTION", "LIST", "WITHCODE", "WITHCODE"]);
    same_list(&mut p, &["FUNCTION", "LIST", "bogus"]);
    same_list(&mut p, &["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"]);
    // DELETE.
    p.same(&["FUNCTION", "DELETE", "nosuchlib"]);
    assert_eq!(p.same(&["FUNCTION", "DELETE", "mylib"]), OK);
    p.same(&["FUNCTION", "DELETE", "mylib"]);
    p.same(&["FCALL", "myfunc", "0"]);
    p.same(&["FUNCTION", "DELETE"]);
    same_list(&mut p, &["FUNCTION", "LIST"]);
    p.same(&["FUNCTION", "STATS"]);
    // INFO figures that must agree.
    for field in ["number_of_functions", "number_of_libraries"] {
        assert_eq!(info_field(p.f(), "memory", field), info_field(p.r(), "memory", field), "{field}");
    }
    p.same(&["FUNCTION", "FLUSH"]);
    p.same(&["FUNCTION", "FLUSH", "ASYNC"]);
    p.same(&["FUNCTION", "FLUSH", "sync"]);
    p.same(&["FUNCTION", "FLUSH", "bad"]);
    p.same(&["FUNCTION", "FLUSH", "sync", "extra"]);
    same_list(&mut p, &["FUNCTION", "LIST"]);
    p.same(&["FUNCTION", "HELP"]);
    p.same(&["FUNCTION", "NOPE"]);
    p.same(&["FUNCTION", "KILL"]);
    p.same(&["FUNCTION"]);
}

#[test]
fn load_errors_word_for_word() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    load(&mut p, &lib("exists", "taken", "return 1"));
    let bad: &[&str] = &[
        "return 1",
        "#!lua name=x",
        "#!lua\nredis.register_function('f', function() end)",
        "#!lua name=a name=b\nreturn",
        "#!lua name=a foo=bar\nreturn",
        "#!lua name=\nreturn",
        "#!lua name=a-b\nreturn",
        "#!lua \"name=unbalanced\nreturn",
        "#!nope name=x\nreturn",
        "#! lua name=x\nreturn",
        "#!lua name=exists\nredis.register_function('other', function() end)",
        "#!lua name=newlib\nredis.register_function('taken', function() end)",
        "#!lua name=newlib\nredis.register_function('TAKEN', function() end)",
        "#!lua name=empty\nlocal x = 1",
        "#!lua name=syntax\nreturn 1 +",
        "#!lua name=syntax\nlocal function f(\n",
        "#!lua name=g\nx = 1",
        "#!lua name=g\nlocal s = string.len('a')",
        "#!lua name=g\nredis.call('ping')",
        "#!lua name=g\nredis.setresp(3)",
        "#!lua name=g\nerror('boom')",
        "#!lua name=g\nlocal t = nil; t.x = 1",
        "#!lua name=g\nredis.register_function()",
        "#!lua name=g\nredis.register_function('f1')",
        "#!lua name=g\nredis.register_function('f1', function() return 1 end, {}, 'description', 'extra arg')",
        "#!lua name=g\nredis.register_function(nil, function() return 1 end)",
        "#!lua name=g\nredis.register_function('f', 'not a function')",
        "#!lua name=g\nredis.register_function('test\\0test', function() return 1 end)",
        "#!lua name=g\nredis.register_function('', function() return 1 end)",
        "#!lua name=g\nredis.register_function('a b', function() return 1 end)",
        "#!lua name=g\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
        "#!lua name=g\nredis.register_function{function_name='f', callback=function() end, flags={'bad-flag'}}",
        "#!lua name=g\nredis.register_function{function_name='f', callback=function() end, flags='no-writes'}",
        "#!lua name=g\nredis.register_function{function_name='f', callback=function() end, flags={1}}",
        "#!lua name=g\nredis.register_function{function_name=1, callback=function() end}",
        "#!lua name=g\nredis.register_function{function_name={}, callback=function() end}",
        "#!lua name=g\nredis.register_function{function_name='f', callback='x'}",
        "#!lua name=g\nredis.register_function{function_name='f', callback=function() end, description=1}",
        "#!lua name=g\nredis.register_function{function_name='f', callback=function() end, description={}}",
        "#!lua name=g\nredis.register_function{function_name='f', callback=function() end, something_else=1}",
        "#!lua name=g\nredis.register_function{callback=function() end}",
        "#!lua name=g\nredis.register_function{function_name='f'}",
        "#!lua name=g\nredis.register_function{[1]='f'}",
        "#!lua name=g\nredis.register_function('f', function() end)\nreturn redis.register_function.x",
        "#!lua name=g\nredis.x = 1",
        "#!lua name=g\nlocal lib = redis\nlib.register_function('f', function() return redis.register_function('x', function() end) end)",
    ];
    for code in bad {
        let r = p.same(&["FUNCTION", "LOAD", code]);
        // Only the successful load at the end may register something.
        if r.starts_with(b"$") {
            p.same(&["FUNCTION", "DELETE", "g"]);
        }
    }
    // A function registering another at run time: the run-time `redis` table has no register_function.
    load(
        &mut p,
        "#!lua name=nested\nredis.register_function('f1', function() redis.register_function('f2', function() end) \
         end)",
    );
    p.same(&["FCALL", "f1", "0"]);
    // Options of FUNCTION LOAD.
    p.same(&["FUNCTION", "LOAD", "REPLACE"]);
    p.same(&["FUNCTION", "LOAD", "BOGUS", "#!lua name=x\nreturn"]);
    p.same(&["FUNCTION", "LOAD", "REPLACE", "REPLACE", &lib("exists", "taken", "return 2")]);
    p.same(&["FCALL", "taken", "0"]);
    same_list(&mut p, &["FUNCTION", "LIST", "LIBRARYNAME", "exists"]);
    // REPLACE that fails keeps the old library.
    p.same(&["FUNCTION", "LOAD", "REPLACE", "#!lua name=exists\nreturn 1"]);
    p.same(&["FCALL", "taken", "0"]);
    same_list(&mut p, &["FUNCTION", "LIST"]);
}

#[test]
fn load_timeout() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    p.same(&["FUNCTION", "LOAD", "#!lua name=slow\nlocal a = 1\nwhile 1 do a = a + 1 end"]);
    p.same(&["FUNCTION", "LOAD", "#!lua name=slow\nwhile 1 do pcall(function() while 1 do end end) end"]);
    same_list(&mut p, &["FUNCTION", "LIST"]);
}

#[test]
fn fcall_results_resp2_and_resp3() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    load(
        &mut p,
        "#!lua name=results\n\
         local function reg(name, f) redis.register_function(name, f) end\n\
         reg('int', function() return 42 end)\n\
         reg('float', function() return 3.99 end)\n\
         reg('str', function() return 'hello' end)\n\
         reg('tbl', function() return {1, 'two', {3, 'four'}, nil, 5} end)\n\
         reg('bool_t', function() return true end)\n\
         reg('bool_f', function() return false end)\n\
         reg('nothing', function() end)\n\
         reg('status', function() return {ok='FINE'} end)\n\
         reg('err', function() return {err='MYERR custom'} end)\n\
         reg('err_reply', function() return redis.error_reply('bad thing') end)\n\
         reg('status_reply', function() return redis.status_reply('good') end)\n\
         reg('keys', function(keys, args) return {#keys, #args, keys[1], args[1], args[2]} end)\n\
         reg('runtime', function() local t = nil; return t.x end)\n\
         reg('raise', function() error('my error') end)\n\
         reg('raise_tbl', function() error({err='CODE with a code'}) end)\n\
         reg('get', function(keys) return redis.call('GET', keys[1]) end)\n\
         reg('set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)\n\
         reg('pcall', function() return redis.pcall('INCR', 'notanumber') end)\n\
         reg('bad_call', function() return redis.call('NOSUCHCOMMAND') end)\n\
         reg('resp3', function() redis.setresp(3); return redis.call('HGETALL', 'h') end)\n\
         reg('global_read', function() return nosuchglobal end)\n\
         reg('global_write', function() newglobal = 1 end)\n\
         reg('global_type', function(keys, args) local ok, v = pcall(function() return type(_G[args[1]]) end) \
             return tostring(ok) .. ' ' .. tostring(v) end)\n\
         reg('libs', function() return {string.rep('a', 3), math.floor(2.5), table.concat({1, 2}, ','), \
             cjson.encode({1}), type(bit.band), type(struct.pack), type(cmsgpack.pack)} end)",
    );
    p.same(&["SET", "notanumber", "abc"]);
    p.same(&["HSET", "h", "f", "v"]);
    for proto in ["2", "3"] {
        p.hello(proto);
        for f in [
            "int",
            "float",
            "str",
            "tbl",
            "bool_t",
            "bool_f",
            "nothing",
            "status",
            "err",
            "err_reply",
            "status_reply",
            "runtime",
            "raise",
            "raise_tbl",
            "pcall",
            "bad_call",
            "resp3",
            "global_read",
            "global_write",
            "libs",
            "INT",
            "nosuchfunction",
        ] {
            p.same(&["FCALL", f, "0"]);
        }
        for g in ["getfenv", "setfenv", "loadstring", "print", "newproxy", "gcinfo", "coroutine", "_G", "debug", "os"] {
            p.same(&["FCALL", "global_type", "0", g]);
        }
        p.same(&["FCALL", "keys", "2", "k1", "k2", "a1", "a2"]);
        p.same(&["FCALL", "keys", "0", "a1"]);
        p.same(&["FCALL", "keys", "3", "k1"]);
        p.same(&["FCALL", "keys", "-1"]);
        p.same(&["FCALL", "keys", "x"]);
        p.same(&["FCALL", "nosuchfunction", "x"]);
        p.same(&["FCALL", "set", "1", "k", "v"]);
        p.same(&["FCALL", "get", "1", "k"]);
        p.same(&["FCALL_RO", "get", "1", "k"]);
        p.same(&["FCALL_RO", "set", "1", "k", "v"]);
    }
    p.same(&["FCALL"]);
    p.same(&["FCALL", "int"]);
}

#[test]
fn fcall_flags() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    load(
        &mut p,
        "#!lua name=flagged\n\
         redis.register_function{function_name='ro_get', callback=function(keys) return redis.call('GET', keys[1]) \
         end, flags={'no-writes'}}\n\
         redis.register_function{function_name='ro_set', callback=function(keys) return redis.call('SET', keys[1], \
         'x') end, flags={'no-writes'}}\n\
         redis.register_function{function_name='rw', callback=function(keys) return redis.call('SET', keys[1], 'y') \
         end}",
    );
    p.same(&["FCALL", "ro_get", "1", "k"]);
    p.same(&["FCALL_RO", "ro_get", "1", "k"]);
    p.same(&["FCALL", "ro_set", "1", "k"]);
    p.same(&["FCALL_RO", "ro_set", "1", "k"]);
    p.same(&["FCALL_RO", "rw", "1", "k"]);
    p.same(&["FCALL", "rw", "1", "k"]);
    p.same(&["GET", "k"]);
    // Under maxmemory: functions without allow-oom are refused, no-writes ones run.
    p.same(&["CONFIG", "SET", "maxmemory", "1"]);
    p.same(&["FCALL", "rw", "1", "k"]);
    p.same(&["FCALL", "ro_get", "1", "k"]);
    p.same(&["CONFIG", "SET", "maxmemory", "0"]);
    // Inside MULTI.
    p.same(&["MULTI"]);
    p.same(&["FCALL", "rw", "1", "k2"]);
    p.same(&["FCALL", "ro_get", "1", "k2"]);
    p.same(&["EXEC"]);
    // FLUSHALL keeps the functions.
    p.same(&["FLUSHALL"]);
    p.same(&["FCALL", "ro_get", "1", "k2"]);
    same_list(&mut p, &["FUNCTION", "LIST"]);
    p.same(&["COMMAND", "GETKEYS", "FCALL", "rw", "2", "a", "b", "c"]);
    p.same(&["COMMAND", "INFO", "FCALL", "FCALL_RO"]);
}

#[test]
fn dump_restore_both_ways() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut p = Pair::connected(&[]);
    let a = lib("liba", "fa", "return 'a'");
    let b = "#!lua name=libb\nredis.register_function{function_name='fb', callback=function() return 'b' end, \
             flags={'no-writes'}, description='the b function of the b library, long enough to compress'}";
    load(&mut p, &a);
    // One library: DUMP bytes are identical.
    let dump_f = p.f().cmd(&["FUNCTION", "DUMP"]);
    let dump_r = p.r().cmd(&["FUNCTION", "DUMP"]);
    assert_eq!(escape(&dump_f), escape(&dump_r));
    load(&mut p, b);
    let payload_of = |reply: &[u8]| -> Vec<u8> {
        let start = reply.iter().position(|&c| c == b'\n').unwrap() + 1;
        reply[start..reply.len() - 2].to_vec()
    };
    let from_redis = payload_of(&p.r().cmd(&["FUNCTION", "DUMP"]));
    let from_fer = payload_of(&p.f().cmd(&["FUNCTION", "DUMP"]));
    // Collisions and policies, with each server's payload restored into the other.
    for (payload, who) in [(&from_redis, "redis payload"), (&from_fer, "ferredis payload")] {
        // Both libraries collide; which one is named depends on the order of the libraries (Redis's is random).
        let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload]);
        let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload]);
        for reply in [&ra, &rb] {
            let t = escape(reply);
            assert!(
                t == "-ERR Library liba already exists\\r\\n" || t == "-ERR Library libb already exists\\r\\n",
                "{who}: APPEND onto the same libraries: {t}"
            );
        }
        for policy in ["REPLACE", "FLUSH", "replace"] {
            let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload, policy.as_bytes()]);
            let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload, policy.as_bytes()]);
            assert_eq!(escape(&ra), escape(&rb), "{who}: {policy}");
            assert_eq!(ra, OK);
            p.same(&["FCALL", "fa", "0"]);
            p.same(&["FCALL_RO", "fb", "0"]);
            same_list(&mut p, &["FUNCTION", "LIST", "LIBRARYNAME", "libb", "WITHCODE"]);
        }
        p.same(&["FUNCTION", "FLUSH"]);
        let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload]);
        let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload]);
        assert_eq!((escape(&ra), escape(&rb)), (escape(OK), escape(OK)), "{who}: into empty");
        p.same(&["FUNCTION", "STATS"]);
        let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload, b"BOGUS"]);
        let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload, b"BOGUS"]);
        assert_eq!(escape(&ra), escape(&rb), "{who}: bad policy");
        let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload, b"FLUSH", b"x"]);
        let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", payload, b"FLUSH", b"x"]);
        assert_eq!(escape(&ra), escape(&rb), "{who}: too many arguments");
    }
    // A function name clash with another library fails a REPLACE restore and changes nothing.
    p.same(&["FUNCTION", "FLUSH"]);
    load(&mut p, &lib("other", "fa", "return 'other'"));
    let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &from_redis, b"REPLACE"]);
    let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &from_redis, b"REPLACE"]);
    assert_eq!(escape(&ra), escape(&rb));
    p.same(&["FCALL", "fa", "0"]);
    same_list(&mut p, &["FUNCTION", "LIST"]);
    // Damaged payloads.
    let mut bad = from_redis.clone();
    bad[5] ^= 0x20;
    let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &bad]);
    let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &bad]);
    assert_eq!(escape(&ra), escape(&rb));
    p.same(&["FUNCTION", "RESTORE", "short"]);
    p.same(&["FUNCTION", "RESTORE", ""]);
    // A key's DUMP is not a function payload.
    p.same(&["SET", "k", "v"]);
    let key_dump = payload_of(&p.r().cmd(&["DUMP", "k"]));
    let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &key_dump]);
    let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &key_dump]);
    assert_eq!(escape(&ra), escape(&rb));
    // An empty dump restores to nothing.
    p.same(&["FUNCTION", "FLUSH"]);
    let empty = p.same(&["FUNCTION", "DUMP"]);
    let empty = payload_of(&empty);
    let ra = p.f().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &empty]);
    let rb = p.r().cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &empty]);
    assert_eq!(escape(&ra), escape(&rb));
    drop((p.fer, p.redis));
}

/// Library names of a FUNCTION LIST reply, sorted.
fn library_names(c: &mut Conn) -> Vec<String> {
    let reply = c.cmd(&["FUNCTION", "LIST"]);
    let Ok(Resp::Array(libs)) = Resp::parse(&reply) else { panic!("FUNCTION LIST: {}", escape(&reply)) };
    let mut names: Vec<String> = libs
        .iter()
        .filter_map(|l| l.items().and_then(|kv| kv.get(1)).and_then(|n| n.as_bytes()))
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    names.sort();
    names
}

fn load_two(c: &mut Conn) {
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", &lib("one", "f1", "return 1")]), b"$3\r\none\r\n");
    let two = "#!lua name=two\nredis.register_function{function_name='f2', callback=function(keys) return \
               redis.call('INCR', keys[1]) end, description='increments'}";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", two]), b"$3\r\ntwo\r\n");
}

fn check_two(c: &mut Conn, what: &str) {
    assert_eq!(library_names(c), vec!["one", "two"], "{what}");
    assert_eq!(c.cmd(&["FCALL", "f1", "0"]), b":1\r\n", "{what}");
    assert_eq!(c.cmd(&["FCALL", "f2", "1", "counter"]).first(), Some(&b':'), "{what}");
}

#[test]
fn rdb_restart_and_debug_reload() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let dir = TempDir::new("fn-rdb");
    let s = Server::start_in(Kind::Ferredis, dir.path(), &[]);
    let mut c = s.conn();
    load_two(&mut c);
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), OK);
    check_two(&mut c, "after DEBUG RELOAD");
    // NOFLUSH without MERGE fails on the existing libraries, as in Redis; with MERGE they are replaced.
    assert!(c.cmd(&["DEBUG", "RELOAD", "NOFLUSH"]).starts_with(b"-ERR Error trying to load the RDB"));
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOFLUSH", "MERGE"]), OK);
    check_two(&mut c, "after DEBUG RELOAD NOFLUSH MERGE");
    assert_eq!(c.cmd(&["SAVE"]), OK);
    drop(c);
    let mut s = s;
    s.shutdown(&["NOSAVE"]);
    let s = Server::start_in(Kind::Ferredis, dir.path(), &[]);
    let mut c = s.conn();
    check_two(&mut c, "after restart");
    assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    // The same file loads in redis-server, and redis-server's own file loads here.
    drop(c);
    let mut s = s;
    s.shutdown(&["NOSAVE"]);
    let r = Server::start_in(Kind::Redis, dir.path(), &[]);
    let mut rc = r.conn();
    check_two(&mut rc, "redis-server loading ferredis's RDB");
    rc.cmd(&["FUNCTION", "LOAD", &lib("three", "f3", "return 3")]);
    assert_eq!(rc.cmd(&["SAVE"]), OK);
    drop(rc);
    let mut r = r;
    r.shutdown(&["NOSAVE"]);
    let s = Server::start_in(Kind::Ferredis, dir.path(), &[]);
    let mut c = s.conn();
    assert_eq!(library_names(&mut c), vec!["one", "three", "two"]);
    assert_eq!(c.cmd(&["FCALL", "f3", "0"]), b":3\r\n");
}

#[test]
fn aof_restart_and_rewrite() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for preamble in ["yes", "no"] {
        let dir = TempDir::new("fn-aof");
        let args = ["--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", preamble];
        let s = Server::start_in(Kind::Ferredis, dir.path(), &args);
        let mut c = s.conn();
        load_two(&mut c);
        c.cmd(&["FUNCTION", "LOAD", &lib("gone", "g", "return 0")]);
        c.cmd(&["FUNCTION", "DELETE", "gone"]);
        c.cmd(&["FCALL", "f2", "1", "counter"]);
        drop(c);
        let mut s = s;
        s.kill9();
        let s = Server::start_in(Kind::Ferredis, dir.path(), &args);
        let mut c = s.conn();
        check_two(&mut c, &format!("AOF replay (preamble {preamble})"));
        assert_eq!(c.cmd(&["GET", "counter"]), b"$1\r\n2\r\n");
        // A rewrite keeps them (RDB preamble or FUNCTION LOAD commands).
        assert!(c.cmd(&["BGREWRITEAOF"]).starts_with(b"+"));
        wait_for("the AOF rewrite", || info_field(&mut c, "persistence", "aof_rewrite_in_progress") == "0");
        std::thread::sleep(Duration::from_millis(100));
        wait_for("the AOF rewrite", || info_field(&mut c, "persistence", "aof_rewrite_scheduled") == "0");
        drop(c);
        let mut s = s;
        s.kill9();
        let s = Server::start_in(Kind::Ferredis, dir.path(), &args);
        let mut c = s.conn();
        check_two(&mut c, &format!("after rewrite (preamble {preamble})"));
        // redis-server reads the same files.
        drop(c);
        let mut s = s;
        s.kill9();
        let r = Server::start_in(Kind::Redis, dir.path(), &args);
        let mut rc = r.conn();
        check_two(&mut rc, &format!("redis-server on ferredis's AOF (preamble {preamble})"));
    }
}

/// DEBUG LOADAOF on a read-only replica replays FUNCTION LOAD/DELETE/FLUSH and plain writes from the AOF: the
/// replay is not a client, so the replica's READONLY refusal does not apply to it.
#[test]
fn aof_replay_on_read_only_replica() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (fd, rd) = (TempDir::new("fn-aof-ro-f"), TempDir::new("fn-aof-ro-r"));
    let args = ["--appendonly", "yes", "--appendfsync", "always", "--replica-read-only", "yes"];
    let fer = Server::start_in(Kind::Ferredis, fd.path(), &args);
    let red = Server::start_in(Kind::Redis, rd.path(), &args);
    let mut p = Pair::of(fer, red);
    p.both();
    let reload = |p: &mut Pair| {
        p.same(&["SLAVEOF", "127.0.0.1", "0"]);
        p.same(&["DEBUG", "LOADAOF"]);
        p.same(&["SLAVEOF", "NO", "ONE"]);
    };
    load(&mut p, &lib("test", "test", "return 'hello'"));
    p.same(&["SET", "k", "v"]);
    reload(&mut p);
    same_list(&mut p, &["FUNCTION", "LIST"]);
    assert!(p.f().cmd(&["FUNCTION", "LIST"]).starts_with(b"*1\r\n"));
    p.same(&["GET", "k"]);
    p.same(&["FUNCTION", "DELETE", "test"]);
    reload(&mut p);
    assert_eq!(p.same(&["FUNCTION", "LIST"]), b"*0\r\n");
    load(&mut p, &lib("test", "test", "return 'hello'"));
    p.same(&["FUNCTION", "FLUSH"]);
    reload(&mut p);
    assert_eq!(p.same(&["FUNCTION", "LIST"]), b"*0\r\n");
    p.same(&["GET", "k"]);
}

#[test]
fn replication_of_functions() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for replica_kind in [Kind::Ferredis, Kind::Redis] {
        let master = Server::start(Kind::Ferredis, &["--repl-diskless-sync-delay", "0"]);
        let mut m = master.conn();
        // Before the replica exists: the full sync carries it.
        m.cmd(&["FUNCTION", "LOAD", &lib("one", "f1", "return 1")]);
        let port = master.port.to_string();
        let replica = Server::start(replica_kind, &["--replicaof", "127.0.0.1", &port]);
        let mut r = replica.conn();
        wait_for("the replica's link", || info_field(&mut r, "replication", "master_link_status") == "up");
        wait_for("the library on the replica", || library_names(&mut r) == vec!["one"]);
        // After: the command stream carries FUNCTION LOAD, DELETE, FCALL's effects.
        let two = "#!lua name=two\nredis.register_function{function_name='f2', callback=function(keys) return \
                   redis.call('INCR', keys[1]) end, description='increments'}";
        m.cmd(&["FUNCTION", "LOAD", two]);
        m.cmd(&["FCALL", "f2", "1", "counter"]);
        wait_for("the second library on the replica", || library_names(&mut r) == vec!["one", "two"]);
        wait_for("FCALL's effect on the replica", || r.cmd(&["GET", "counter"]) == b"$1\r\n1\r\n");
        // Functions without `no-writes` are write commands: a read-only replica refuses them.
        assert!(r.cmd(&["FCALL", "f1", "0"]).starts_with(b"-READONLY"));
        assert!(r.cmd(&["FCALL", "f2", "1", "counter"]).starts_with(b"-READONLY"));
        m.cmd(&["FUNCTION", "DELETE", "one"]);
        wait_for("the deletion on the replica", || library_names(&mut r) == vec!["two"]);
        m.cmd(&["FUNCTION", "FLUSH"]);
        wait_for("the flush on the replica", || library_names(&mut r).is_empty());
    }
    // A ferredis replica of redis-server.
    let master = Server::start(Kind::Redis, &["--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    m.cmd(&["FUNCTION", "LOAD", &lib("one", "f1", "return 1")]);
    let port = master.port.to_string();
    let replica = Server::start(Kind::Ferredis, &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.conn();
    wait_for("the library on the replica", || library_names(&mut r) == vec!["one"]);
    m.cmd(&["FUNCTION", "LOAD", &lib("two", "f2", "return 2")]);
    wait_for("the second library on the replica", || library_names(&mut r) == vec!["one", "two"]);
    // As in Redis, the function's (write) flags make even FCALL_RO a write command on a read-only replica.
    let ro = r.cmd(&["FCALL_RO", "f2", "0"]);
    assert!(ro.starts_with(b"-READONLY You can't write against a read only replica."), "{}", escape(&ro));
}

/// Runs `f` against each server: a function loops past `busy-reply-threshold`; meanwhile another connection
/// sees what the server answers. Returns the replies of both phases for comparison.
fn busy_session(kind: Kind) -> Vec<String> {
    let s = Server::start(kind, &["--busy-reply-threshold", "50"]);
    let mut a = s.conn();
    let mut b = s.conn();
    let mut out = Vec::new();
    let code = "#!lua name=busy\n\
                redis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)\n\
                redis.register_function('spin_write', function(keys) redis.call('SET', keys[1], 'x') \
                local i = 0 while true do i = i + 1 end end)\n\
                redis.register_function{function_name='spin_ro', callback=function() while true do end end, \
                flags={'no-writes'}}";
    out.push(escape(&a.cmd(&["FUNCTION", "LOAD", code])));
    out.push(escape(&b.cmd(&["FUNCTION", "KILL"])));
    // A function that has not written: FUNCTION KILL stops it.
    a.send(&["FCALL", "spin", "0"]).unwrap();
    wait_for("the busy function", || b.cmd(&["PING"]).starts_with(b"-BUSY"));
    out.push(escape(&b.cmd(&["PING"])));
    out.push(escape(&b.cmd(&["SCRIPT", "KILL"])));
    out.push(escape(&b.cmd(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('x', function() end)"])));
    // FUNCTION STATS names the running function and its command (the duration varies).
    let stats = b.cmd(&["FUNCTION", "STATS"]);
    let text = escape(&stats);
    let cut = text.find("duration_ms").map_or(text.len(), |i| i);
    out.push(text[..cut].to_string());
    out.push(escape(&b.cmd(&["FUNCTION", "KILL"])));
    out.push(escape(&a.read_reply().unwrap()));
    out.push(escape(&b.cmd(&["PING"])));
    // One that wrote cannot be killed; SHUTDOWN NOSAVE ends it.
    a.send(&["FCALL", "spin_write", "1", "k"]).unwrap();
    wait_for("the busy function", || b.cmd(&["PING"]).starts_with(b"-BUSY"));
    out.push(escape(&b.cmd(&["FUNCTION", "KILL"])));
    // An EVAL script is not a function: FUNCTION KILL refuses while one runs, FUNCTION STATS too.
    let s2 = Server::start(kind, &["--busy-reply-threshold", "50"]);
    let mut c = s2.conn();
    let mut d = s2.conn();
    c.send(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"]).unwrap();
    wait_for("the busy script", || d.cmd(&["PING"]).starts_with(b"-BUSY"));
    out.push(escape(&d.cmd(&["FUNCTION", "KILL"])));
    out.push(escape(&d.cmd(&["FUNCTION", "STATS"])));
    out.push(escape(&d.cmd(&["SCRIPT", "KILL"])));
    out.push(escape(&c.read_reply().unwrap()));
    let mut s = s;
    let _ = b.send(&["SHUTDOWN", "NOSAVE"]);
    s.wait_exit(10_000);
    out
}

#[test]
fn busy_function_kill_and_stats() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let f = busy_session(Kind::Ferredis);
    let r = busy_session(Kind::Redis);
    for (i, (a, b)) in f.iter().zip(r.iter()).enumerate() {
        assert_eq!(a, b, "step {i} differs (left: ferredis, right: redis)");
    }
    assert_eq!(f.len(), r.len());
}

/// MONITOR shows FCALL, then the function's commands as `[db lua]`, as Redis does.
#[test]
fn monitor_lines_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let mut outs = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &[]);
        let mut c = s.conn();
        let code = "#!lua name=mon\nredis.register_function('f', function(keys, args) redis.call('SET', keys[1], \
                    args[1]) return redis.call('GET', keys[1]) end)";
        c.cmd(&["FUNCTION", "LOAD", code]);
        let mut m = s.conn();
        assert_eq!(m.cmd(&["MONITOR"]), OK);
        c.cmd(&["FCALL", "f", "1", "k", "v"]);
        c.cmd(&["FCALL_RO", "f", "1", "k", "v"]);
        c.cmd(&["FUNCTION", "DELETE", "mon"]);
        c.cmd(&["PING"]);
        let mut lines = Vec::new();
        loop {
            let t = String::from_utf8_lossy(&m.read_reply().unwrap()).into_owned();
            // "+1700000000.123456 [0 127.0.0.1:5555] "FCALL" ...": drop the time and the client's port.
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

/// What reaches the AOF: FUNCTION LOAD/DELETE/FLUSH/RESTORE as given, FCALL's effects (never FCALL itself),
/// wrapped in MULTI/EXEC when more than one; failed commands nothing.
#[test]
fn propagation_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let lib = "#!lua name=prop\nredis.register_function('one', function(keys) return redis.call('INCR', keys[1]) \
               end)\nredis.register_function('two', function(keys) redis.call('INCR', keys[1]) \
               return redis.call('INCR', keys[1]) end)\nredis.register_function{function_name='ro', \
               callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}";
    let mut streams = Vec::new();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let dir = TempDir::new(&format!("fn-prop-{}", kind.label()));
        let args = ["--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", "yes"];
        let s = Server::start_in(kind, dir.path(), &args);
        let mut c = s.conn();
        let mut replies = Vec::new();
        let payload = {
            c.cmd(&["FUNCTION", "LOAD", lib]);
            let d = c.cmd(&["FUNCTION", "DUMP"]);
            let start = d.iter().position(|&b| b == b'\n').unwrap() + 1;
            d[start..d.len() - 2].to_vec()
        };
        let steps: Vec<Vec<Vec<u8>>> = vec![
            split_args("FCALL one 1 a").unwrap(),
            split_args("FCALL two 1 a").unwrap(),
            split_args("FCALL ro 1 a").unwrap(),
            split_args("FCALL_RO ro 1 a").unwrap(),
            split_args("FCALL nosuch 0").unwrap(),
            split_args("FUNCTION LOAD \"#!lua name=bad\nreturn 1\"").unwrap(),
            split_args("FUNCTION DELETE prop").unwrap(),
            split_args("FUNCTION DELETE prop").unwrap(),
            vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), payload.clone()],
            vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), payload.clone(), b"REPLACE".to_vec()],
            split_args("MULTI").unwrap(),
            split_args("FCALL one 1 m").unwrap(),
            split_args("SET plain 1").unwrap(),
            split_args("EXEC").unwrap(),
            split_args("FUNCTION FLUSH ASYNC").unwrap(),
        ];
        for step in &steps {
            replies.push(escape(&c.cmd(step)));
        }
        let cmds = common::persist::read_incr_commands(dir.path());
        streams.push((replies, cmds.iter().map(common::persist::render_command).collect::<Vec<_>>()));
        drop(s);
    }
    assert_eq!(streams[0].0, streams[1].0, "replies (left ferredis, right redis)");
    assert_eq!(streams[0].1, streams[1].1, "AOF streams (left ferredis, right redis)");
}
