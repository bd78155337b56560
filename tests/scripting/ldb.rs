//! LDB, the Lua debugger (`SCRIPT DEBUG` + EVAL), compared with Debian's redis-server 7.0 byte for byte: every
//! session below runs on both servers, step by step, and each step's reply bytes must be equal. A step's reply
//! is one frame (the array of debugger log lines); when the session ends in it (`<endsession>`), the EVAL reply
//! that follows and the connection's close are part of the step.
//!
//! Covered: stepping through lines, loops and function calls, `list`/`whole` with context, `print` of locals
//! (all, by name, outer frames, KEYS/ARGV), breakpoints (add, remove, list, hit), `redis.breakpoint()`,
//! `redis.debug()`, `trace`, `eval` (expressions, statements, errors), `redis` (with the `<redis>`/`<reply>`/
//! `<error>` logs and reply trimming by `maxlen`), `abort`, broken debugger protocol, unknown commands (with NUL
//! bytes, as Redis's own suite sends), the timeout of a script that never stops, forked sessions (the dataset
//! changes are rolled back and the server keeps serving meanwhile), SYNC sessions (changes kept), the refusals
//! (EVALSHA, SCRIPT DEBUG in a pipeline, bad mode). Values that print addresses (functions) are left out: those
//! differ by nature.

use crate::common;

use common::*;

/// One step of a session: a command to send (`Raw` bytes when the test needs broken protocol).
enum Step {
    Cmd(Vec<Vec<u8>>),
    Raw(Vec<u8>),
}

fn cmd(args: &[&str]) -> Step {
    Step::Cmd(args.iter().map(|a| a.as_bytes().to_vec()).collect())
}

/// Sends one step and returns what came back: one frame, plus the EVAL reply and the close when the session
/// ended in it.
fn run_step(c: &mut Conn, step: &Step) -> Vec<u8> {
    let sent = match step {
        Step::Cmd(args) => c.send(args),
        Step::Raw(bytes) => c.send_raw(bytes),
    };
    if sent.is_err() {
        return b"<send failed>".to_vec();
    }
    let mut out = match c.read_reply() {
        Ok(r) => r,
        Err(e) => return format!("<read failed: {}>", e.kind()).into_bytes(),
    };
    if memchr::memmem::find(&out, b"+<endsession>\r\n").is_some() {
        match c.read_reply() {
            Ok(r) => out.extend_from_slice(&r),
            Err(e) => out.extend_from_slice(format!("<read failed: {}>", e.kind()).as_bytes()),
        }
        let (rest, closed) = c.read_until_close(3000);
        out.extend_from_slice(&rest);
        out.extend_from_slice(if closed { b"<closed>" } else { b"<still open>" });
    }
    out
}

/// Runs `steps` on a fresh connection to each server and compares every step's reply.
fn same_session(name: &str, servers: &[&Server], steps: &[Step]) {
    let mut transcripts = Vec::new();
    for s in servers {
        let mut c = Conn::connect(s.port);
        c.set_read_timeout_ms(10_000);
        let t: Vec<Vec<u8>> = steps.iter().map(|st| run_step(&mut c, st)).collect();
        transcripts.push(t);
    }
    let (redis, ours) = (&transcripts[0], &transcripts[1]);
    for (i, (r, f)) in redis.iter().zip(ours).enumerate() {
        assert_eq!(escape(f), escape(r), "{name}: step {i} differs (left: ferredis, right: redis-server)");
    }
}

fn servers() -> (Server, Server) {
    (Server::start(Kind::Redis, &[]), Server::start(Kind::Ferredis, &[]))
}

const SCRIPT: &str = "local a = 1\n\
local t = {1,2,'x',{y=3}}\n\
redis.call('set','k',a)\n\
redis.debug('hi', t, 1.5, nil, true, 'a\\nb\\0')\n\
local b = redis.call('get','k')\n\
return b\n";

#[test]
fn commands_of_the_debugger() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (r, f) = servers();
    let steps = vec![
        cmd(&["script", "debug", "sync"]),
        cmd(&["eval", SCRIPT, "1", "k", "argv1"]),
        cmd(&["help"]),
        cmd(&["p"]),
        cmd(&["s"]),
        cmd(&["next"]),
        cmd(&["print"]),
        cmd(&["p", "t"]),
        cmd(&["p", "KEYS"]),
        cmd(&["p", "ARGV"]),
        cmd(&["p", "nope"]),
        cmd(&["l"]),
        cmd(&["list", "2", "1"]),
        cmd(&["l", "0"]),
        cmd(&["l", "1", "-1"]),
        cmd(&["w"]),
        cmd(&["b"]),
        cmd(&["b", "5"]),
        cmd(&["break", "2", "-9", "x", "99", "0"]),
        cmd(&["b", "5", "6"]),
        cmd(&["b", "-6"]),
        cmd(&["b"]),
        cmd(&["t"]),
        cmd(&["e", "a+1"]),
        cmd(&["e", "local z = 3"]),
        cmd(&["e", "return +"]),
        cmd(&["eval", "{1,2,a=3,[4]=5}"]),
        cmd(&["e", "1/3, 2"]),
        cmd(&["e", "1e300*1e10"]),
        cmd(&["e", "'a\\0\\1\\255'"]),
        cmd(&["e", "{{{{{{{{{{{{1}}}}}}}}}}}}"]),
        cmd(&["e", "error('x')"]),
        cmd(&["e", "redis.breakpoint()"]),
        cmd(&["e", "redis.debug(1, 'two')"]),
        cmd(&["r", "ping"]),
        cmd(&["redis", "hgetall", "k"]),
        cmd(&["r", "set", "k", "v"]),
        cmd(&["r", "nope"]),
        cmd(&["r", "mget", "a", "b"]),
        cmd(&["r", "set", "x", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]),
        cmd(&["r", "debug", "protocol", "map"]),
        cmd(&["r"]),
        cmd(&["r", "set", "big", &"x".repeat(300)]),
        cmd(&["r", "get", "big"]),
        cmd(&["r", "get", "big"]),
        cmd(&["m"]),
        cmd(&["maxlen", "10"]),
        cmd(&["m", "0"]),
        cmd(&["r", "get", "big"]),
        cmd(&["m", "70"]),
        cmd(&["r", "get", "big"]),
        cmd(&["x"]),
        cmd(&["s"]),
        cmd(&["c"]),
        cmd(&["c"]),
    ];
    same_session("debugger commands", &[&r, &f], &steps);
    // SYNC: the script's writes are kept.
    for s in [&r, &f] {
        // (`r set k v` ran before the script's own SET.)
        assert_eq!(Conn::connect(s.port).cmd(&["get", "k"]), b"$1\r\n1\r\n", "{:?}", s.kind);
    }
}

#[test]
fn stepping_through_loops_functions_and_breakpoints() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (r, f) = servers();
    let script = "local function f(x)\n  local y = x * 2\n  return y\nend\nlocal s = 0\nfor i=1,3 do\n  s = s + \
                  f(i)\nend\nredis.breakpoint()\nlocal ok, e = pcall(function()\n  return 1\nend)\nreturn s\n";
    let mut steps = vec![cmd(&["script", "debug", "sync"]), cmd(&["eval", script, "0"])];
    for _ in 0..6 {
        steps.push(cmd(&["s"]));
    }
    steps.extend([
        cmd(&["t"]),
        cmd(&["p", "s"]),
        cmd(&["p", "i"]),
        cmd(&["s"]),
        cmd(&["s"]),
        cmd(&["b", "7"]),
        cmd(&["c"]),
        cmd(&["p", "(for index)"]),
        cmd(&["c"]),
        cmd(&["b", "-7"]),
        cmd(&["c"]),
        cmd(&["s"]),
        cmd(&["s"]),
        cmd(&["s"]),
        cmd(&["t"]),
        cmd(&["s"]),
        cmd(&["s"]),
        cmd(&["s"]),
        cmd(&["s"]),
    ]);
    same_session("loops, functions, breakpoints", &[&r, &f], &steps);
}

#[test]
fn errors_aborts_and_refusals() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (r, f) = servers();
    // A command error while stepping ends the session with the script's error.
    let steps = vec![
        cmd(&["script", "debug", "sync"]),
        cmd(&[
            "eval",
            "local t = {}\nfor i=1,2 do\n t[i] = redis.call('incr', 'n')\nend\nreturn redis.call('get')\n",
            "0",
        ]),
        cmd(&["n"]),
        cmd(&["n"]),
        cmd(&["n"]),
        cmd(&["STEP"]),
        cmd(&["s"]),
        cmd(&["s"]),
        cmd(&["s"]),
    ];
    same_session("error while stepping", &[&r, &f], &steps);
    same_session(
        "abort",
        &[&r, &f],
        &[cmd(&["script", "debug", "sync"]), cmd(&["eval", "redis.call('set','a','2')\nreturn 1\n", "0"]), cmd(&["a"])],
    );
    same_session(
        "runtime error",
        &[&r, &f],
        &[cmd(&["script", "debug", "sync"]), cmd(&["eval", "error('boom')\n", "0"]), cmd(&["c"])],
    );
    same_session("compile error", &[&r, &f], &[cmd(&["script", "debug", "sync"]), cmd(&["eval", "return +", "0"])]);
    same_session(
        "broken debugger protocol",
        &[&r, &f],
        &[cmd(&["script", "debug", "sync"]), cmd(&["eval", "return 1", "0"]), Step::Raw(b"garbage\r\n".to_vec())],
    );
    // Redis's own suite: names with NUL bytes are unknown commands; 100 arguments to `redis` are fine.
    let mut big = b"*101\r\n$5\r\nredis\r\n".to_vec();
    for _ in 0..100 {
        big.extend_from_slice(b"$4\r\ntest\r\n");
    }
    same_session(
        "debugger protocol parsing",
        &[&r, &f],
        &[
            cmd(&["script", "debug", "sync"]),
            cmd(&["eval", "return 'hello'", "0"]),
            cmd(&["eval", "return 'hello'", "0"]),
            cmd(&["'hello\0world'"]),
            cmd(&["'hello\0'"]),
            cmd(&["'\0hello'"]),
            Step::Raw(big),
            cmd(&["s\0x"]),
        ],
    );
    same_session(
        "refusals",
        &[&r, &f],
        &[
            cmd(&["script", "debug", "maybe"]),
            cmd(&["script", "debug"]),
            cmd(&["script", "debug", "yes"]),
            cmd(&["evalsha", "abc", "0"]),
            cmd(&["evalsha", &"a".repeat(40), "0"]),
            cmd(&["script", "debug", "no"]),
            cmd(&["eval", "return 7", "0"]),
            // In a pipeline: PING's reply is pending when SCRIPT DEBUG runs (the next step reads its error).
            Step::Raw(b"*1\r\n$4\r\nping\r\n*3\r\n$6\r\nscript\r\n$5\r\ndebug\r\n$3\r\nyes\r\n".to_vec()),
            cmd(&["ping"]),
        ],
    );
}

#[test]
fn forked_sessions_roll_back_and_the_server_keeps_serving() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (r, f) = servers();
    for s in [&r, &f] {
        let mut other = Conn::connect(s.port);
        assert_eq!(other.cmd(&["set", "k", "orig"]), b"+OK\r\n");
        let mut c = Conn::connect(s.port);
        c.set_read_timeout_ms(10_000);
        let steps = [
            cmd(&["script", "debug", "yes"]),
            cmd(&["eval", "redis.call('set','k','changed')\nreturn redis.call('get','k')\n", "0"]),
            cmd(&["s"]),
        ];
        let t: Vec<Vec<u8>> = steps.iter().map(|st| run_step(&mut c, st)).collect();
        // While the child debugs, the server answers everyone else.
        assert_eq!(other.cmd(&["ping"]), b"+PONG\r\n", "{:?}", s.kind);
        let end = run_step(&mut c, &cmd(&["c"]));
        assert_eq!(escape(&t[2]), escape(b"*4\r\n+<redis> set k changed\r\n+<reply> \"+OK\"\r\n+* Stopped at 2, stop reason = step over\r\n+-> 2   return redis.call('get','k')\r\n"));
        assert_eq!(escape(&end), escape(b"*1\r\n+<endsession>\r\n$7\r\nchanged\r\n<closed>"));
        // The child's write died with it.
        assert_eq!(other.cmd(&["get", "k"]), b"$4\r\norig\r\n", "{:?}", s.kind);
    }
    // A forked session is killed by a shutdown: its client sees the connection close.
    let mut c = Conn::connect(f.port);
    c.set_read_timeout_ms(10_000);
    assert_eq!(c.cmd(&["script", "debug", "yes"]), b"+OK\r\n");
    let first = run_step(&mut c, &cmd(&["eval", "return 1", "0"]));
    assert!(first.starts_with(b"*2\r\n+* Stopped at 1"), "{}", escape(&first));
    let mut admin = Conn::connect(f.port);
    let _ = admin.send(&["shutdown", "nosave"]);
    let (_, closed) = c.read_until_close(10_000);
    assert!(closed, "the debugging child outlived the server");
}

#[test]
fn a_script_that_never_stops_times_out_into_the_debugger() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (r, f) = servers();
    for s in [&r, &f] {
        let mut c = Conn::connect(s.port);
        assert_eq!(c.cmd(&["config", "set", "busy-reply-threshold", "200"]), b"+OK\r\n");
        c.set_read_timeout_ms(10_000);
        assert_eq!(c.cmd(&["script", "debug", "sync"]), b"+OK\r\n");
        let first = run_step(&mut c, &cmd(&["eval", "local i = 0\nwhile true do\n  i = i + 1\nend\n", "0"]));
        assert_eq!(
            escape(&first),
            escape(b"*2\r\n+* Stopped at 1, stop reason = step over\r\n+-> 1   local i = 0\r\n")
        );
        let stop = run_step(&mut c, &cmd(&["c"]));
        assert_eq!(
            escape(&stop),
            escape(b"*2\r\n+* Stopped at 3, stop reason = timeout reached, infinite loop?\r\n+-> 3     i = i + 1\r\n"),
            "{:?}",
            s.kind
        );
        // The client leaves: the script is ended and the server serves again.
        drop(c);
        let mut other = Conn::connect(s.port);
        other.set_read_timeout_ms(10_000);
        assert_eq!(other.cmd(&["ping"]), b"+PONG\r\n", "{:?}", s.kind);
    }
}
