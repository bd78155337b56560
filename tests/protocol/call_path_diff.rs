//! The call path, differentially: every way a command can run (a client's command, inside MULTI/EXEC,
//! `redis.call`/`redis.pcall` from EVAL, a FUNCTION run by FCALL, a blocked client served when its key gets data,
//! times out, or is released by CLIENT UNBLOCK) must leave the same observable side effects as in Redis 7.0:
//!
//! 1. `INFO commandstats`: calls, rejected_calls and failed_calls of every command (not the times);
//! 2. `INFO errorstats` (every `errorstat_*` line) and `total_error_replies` of `INFO stats`;
//! 3. `SLOWLOG GET` with `slowlog-log-slower-than 0`: the argument vectors recorded, oldest first (id, time,
//!    duration, client address and name ignored);
//! 4. keyspace notifications (`notify-keyspace-events KEA`) received by a third client subscribed to
//!    `__key*__:*`: the (channel, message) pairs, in order;
//! 5. the propagated stream: what a replica receives (the raw stream after `SYNC`, read by
//!    `common::raw_replica`) and what the AOF's incr file holds (`appendfsync always`), command for command.
//!
//! Each test runs one scenario on a fresh Redis (Debian's 7.0 `/usr/bin/redis-server`) and a fresh ferredis with
//! identical options, then compares all of the above, plus every reply the scenario got. Nothing is hard-coded:
//! Redis is the expectation, whatever it does (EXEC/EVAL/FCALL in the slowlog or not, BLMPOP propagated as LPOP
//! with a count, the DEL of a key expired lazily inside a script, ...).
//!
//! How a scenario is framed: setup commands run first (data the scenario needs, FUNCTION LOAD, DEBUG
//! SET-ACTIVE-EXPIRE 0), then `SET __begin__ 1`, then `CONFIG RESETSTAT` and `SLOWLOG RESET`; the scenario's steps
//! run; then commandstats, errorstats and the slowlog are read, and `SET __end__ end` closes the streams. The
//! notification list, the replica stream and the AOF are what lies strictly between the two markers.
//!
//! The harness's own commands (INFO, PING, SLOWLOG, CONFIG; the polling of `blocked_clients` runs INFO an
//! unpredictable number of times) are left out of commandstats and of the slowlog. The replica stream loses the
//! master's keepalive PINGs. Absolute Unix times in milliseconds (PEXPIREAT's, SET's PXAT, XCLAIM's TIME) within a
//! day of now are masked as `<abs-ms>`: the two servers run a few milliseconds apart. CLIENT UNBLOCK's client id
//! is masked as `<id of client N>`, ids being a server's own numbering. A command expected to block that does not
//! (or a pending reply that never comes) is recorded in the replies, bounded at 5 s, not a panic, so every other
//! observation is still compared.
//!
//! What Redis 7.0.15 does here, as observed (not assumed): EXEC is not in the slowlog but the commands it ran
//! are; EVAL/FCALL are, each after the commands its script ran; a served blocked command is logged when served
//! (after the command that served it); a timed-out one is not logged; one released by CLIENT UNBLOCK is logged
//! with no arguments; CLIENT UNBLOCK counts a failed call on the released command (TIMEOUT or ERROR) and, for
//! ERROR, on itself too.
//!
//! `FERREDIS_BIN=/usr/bin/redis-server cargo test --test protocol call_path_diff::` runs Redis against itself (the harness's
//! own check). `CALLPATH_DUMP=1` prints both servers' observations even when they agree.

use crate::common;

use common::persist::{last_incr_path, parse_aof_commands, wait_no_child, AofCommand};
use common::raw_replica::RawReplica;
use common::{display_args, escape, split_args, wait_for, Conn, Kind, Resp, Server};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SERVER_ARGS: &[&str] = &[
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--aof-use-rdb-preamble",
    "yes",
    // raw_replica reads a `$<len>` payload, not the diskless `$EOF:` form.
    "--repl-diskless-sync",
    "no",
    "--notify-keyspace-events",
    "KEA",
    "--slowlog-log-slower-than",
    "0",
    "--slowlog-max-len",
    "100000",
    "--enable-debug-command",
    "yes",
];

/// Number of connections a scenario can use: 0 is the main client, 1 and 2 block.
const CLIENTS: usize = 3;

const BEGIN: &[&str] = &["SET", "__begin__", "1"];
const END: &[&str] = &["SET", "__end__", "end"];
/// How the end marker looks in a propagated stream (arguments are propagated as the client sent them).
const END_BYTES: &[u8] = b"$7\r\n__end__\r\n$3\r\nend\r\n";

/// Commands the harness runs itself, left out of commandstats and the slowlog.
const HARNESS_COMMANDS: &[&str] = &["info", "ping", "slowlog", "config"];

/// The library every FCALL test loads. `call1` runs `args[1]` on `keys[1]` with the remaining arguments.
const LIBRARY: &str = r#"#!lua name=cp
redis.register_function('writes', function(keys, args)
  redis.call('set', keys[1], '1')
  redis.call('incr', keys[1])
  redis.call('lpush', keys[2], 'a', 'b')
  redis.call('hset', keys[3], 'f', 'v')
  redis.call('expire', keys[1], '100')
  redis.call('del', keys[3])
  return 'ok'
end)
redis.register_function('pcall_wrongtype', function(keys, args)
  local r = redis.pcall('incr', keys[1])
  redis.call('set', keys[2], 'after')
  return r
end)
redis.register_function('call_wrongtype', function(keys, args)
  redis.call('set', keys[2], 'before')
  return redis.call('incr', keys[1])
end)
redis.register_function('pcall_wrongtype_swallowed', function(keys, args)
  redis.pcall('incr', keys[1])
  return 'swallowed'
end)
redis.register_function('pcall_arity', function(keys, args)
  return redis.pcall('get')
end)
redis.register_function('pcall_set', function(keys, args)
  return redis.pcall('set', keys[1], 'v')
end)
redis.register_function{function_name='pcall_set_allow_oom', callback=function(keys, args)
  return redis.pcall('set', keys[1], 'v')
end, flags={'allow-oom'}}
redis.register_function{function_name='ro_write', callback=function(keys, args)
  return redis.pcall('set', keys[1], 'v')
end, flags={'no-writes'}}
redis.register_function('call1', function(keys, args)
  return redis.call(args[1], keys[1], unpack(args, 2))
end)
"#;

/// `FUNCTION LOAD "<LIBRARY>"` as a redis-cli-style line.
fn function_load_line() -> String {
    format!("FUNCTION LOAD \"{}\"", LIBRARY.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

/// What one server showed during one scenario.
#[derive(Default)]
struct Observations {
    replies: Vec<String>,
    commandstats: Vec<String>,
    errorstats: Vec<String>,
    slowlog: Vec<String>,
    notifications: Vec<String>,
    replica: Vec<String>,
    aof: Vec<String>,
}

impl Observations {
    fn parts(&self) -> [(&'static str, &Vec<String>); 7] {
        [
            ("replies", &self.replies),
            ("commandstats", &self.commandstats),
            ("errorstats", &self.errorstats),
            ("slowlog", &self.slowlog),
            ("keyspace notifications", &self.notifications),
            ("replication stream", &self.replica),
            ("AOF incr file", &self.aof),
        ]
    }
}

/// One server with the scenario's connections, its subscriber and its fake replica.
struct Side {
    kind: Kind,
    server: Server,
    conns: Vec<Conn>,
    /// `CLIENT ID` of each scenario connection.
    ids: Vec<String>,
    obs: Conn,
    sub: Conn,
    replica: RawReplica,
    replies: Vec<String>,
}

impl Side {
    fn start(kind: Kind) -> Side {
        let server = Server::start(kind, SERVER_ARGS);
        let label = kind.label();
        let mut obs = server.conn();
        let replica = RawReplica::connect(server.port);
        wait_no_child(&mut obs);
        let mut sub = server.conn();
        let r = sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        assert!(r.starts_with(b"*3\r\n$10\r\npsubscribe\r\n"), "{label}: PSUBSCRIBE replied {}", escape(&r));
        let mut conns = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..CLIENTS {
            let mut c = server.conn();
            let r = c.cmd(&["CLIENT", "ID"]);
            let id = match Resp::parse(&r) {
                Ok(Resp::Int(n)) => n.to_string(),
                _ => panic!("{label}: CLIENT ID replied {}", escape(&r)),
            };
            conns.push(c);
            ids.push(id);
        }
        Side { kind, server, conns, ids, obs, sub, replica, replies: Vec::new() }
    }

    fn label(&self) -> &'static str {
        self.kind.label()
    }

    /// Runs `args` on client `c` and records the reply.
    fn cmdv<A: AsRef<[u8]>>(&mut self, c: usize, args: &[A]) -> Vec<u8> {
        let r = self.conns[c]
            .try_cmd(args)
            .unwrap_or_else(|e| panic!("{}: client {c}: {}: {e}", self.label(), display_args(args)));
        self.replies.push(format!("client {c}> {}", display_args(args)));
        self.replies.push(format!("    {}", escape(&r)));
        r
    }

    /// Runs a redis-cli-style line on client `c` and records the reply.
    fn cmd(&mut self, c: usize, line: &str) -> Vec<u8> {
        let args = split_args(line).unwrap_or_else(|e| panic!("bad test line {line:?}: {e}"));
        self.cmdv(c, &args)
    }

    /// Sends a blocking command on client `c` without reading, then waits until `blocked` clients are blocked.
    fn block(&mut self, c: usize, line: &str, blocked: i64) {
        let args = split_args(line).unwrap_or_else(|e| panic!("bad test line {line:?}: {e}"));
        self.conns[c].send(&args).unwrap_or_else(|e| panic!("{}: send {line}: {e}", self.label()));
        self.replies.push(format!("client {c}> {line}    (blocks)"));
        // Bounded, and not fatal: a command that does not block shows up in the replies, and the other
        // observations are still compared.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let n = common::blocked_clients(&mut self.obs);
            if n == blocked {
                break;
            }
            if Instant::now() > deadline {
                self.replies.push(format!("(blocked_clients is {n}, not {blocked}, 5 s after the command)"));
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Reads the reply a blocked client got when it was served, timed out or was unblocked.
    fn read(&mut self, c: usize) -> Vec<u8> {
        self.conns[c].set_read_timeout_ms(5000);
        let r = self.conns[c].read_reply();
        self.conns[c].set_read_timeout_ms(common::REPLY_TIMEOUT_MS);
        match r {
            Ok(r) => {
                self.replies.push(format!("client {c}< (pending reply) {}", escape(&r)));
                r
            }
            Err(e) => {
                self.replies.push(format!("client {c}< (no reply within 5 s: {e})"));
                Vec::new()
            }
        }
    }

    /// Records how many clients are blocked (a difference shows in the replies).
    fn note_blocked(&mut self) -> i64 {
        let n = common::blocked_clients(&mut self.obs);
        self.replies.push(format!("(blocked_clients: {n})"));
        n
    }

    /// Runs `CLIENT UNBLOCK <id of client target> <how>` on client 0, the id masked in the recorded reply.
    fn unblock(&mut self, target: usize, how: &str) -> Vec<u8> {
        let id = self.ids[target].clone();
        let r = self.conns[0]
            .try_cmd(&["CLIENT", "UNBLOCK", &id, how])
            .unwrap_or_else(|e| panic!("{}: CLIENT UNBLOCK: {e}", self.label()));
        self.replies.push(format!("client 0> CLIENT UNBLOCK <id of client {target}> {how}"));
        self.replies.push(format!("    {}", escape(&r)));
        r
    }

    fn config_set(&mut self, name: &str, value: &str) {
        let r = self.obs.cmd(&["CONFIG", "SET", name, value]);
        assert_eq!(r, b"+OK\r\n", "{}: CONFIG SET {name} {value}: {}", self.label(), escape(&r));
    }

    /// Runs setup lines (recorded like steps), then the begin marker and the statistics reset.
    fn begin(&mut self, setup: &[&str]) {
        for line in setup {
            self.cmd(0, line);
        }
        let r = self.conns[0].cmd(BEGIN);
        assert_eq!(r, b"+OK\r\n", "{}: begin marker: {}", self.label(), escape(&r));
        for cmd in [&["CONFIG", "RESETSTAT"][..], &["SLOWLOG", "RESET"][..]] {
            let r = self.obs.cmd(cmd);
            assert_eq!(r, b"+OK\r\n", "{}: {}: {}", self.label(), cmd.join(" "), escape(&r));
        }
    }

    /// Reads everything the scenario left behind.
    fn finish(mut self) -> Observations {
        let label = self.label();
        let commandstats = commandstats(&mut self.obs);
        let mut errorstats: Vec<String> =
            info_lines(&mut self.obs, "errorstats").into_iter().filter(|l| l.starts_with("errorstat_")).collect();
        let total_errors = info_lines(&mut self.obs, "stats")
            .into_iter()
            .find(|l| l.starts_with("total_error_replies:"))
            .unwrap_or_else(|| "total_error_replies: (missing from INFO stats)".into());
        errorstats.push(total_errors);
        let slowlog = slowlog(&mut self.obs, &self.ids);

        let r = self.obs.cmd(END);
        assert_eq!(r, b"+OK\r\n", "{label}: end marker: {}", escape(&r));

        // Notifications up to the end marker's keyevent, which comes after its keyspace event.
        let mut events = Vec::new();
        loop {
            let f = self.sub.read_reply().unwrap_or_else(|e| {
                panic!("{label}: waiting for the end marker's notification: {e}; got so far: {events:#?}")
            });
            let v = Resp::parse(&f).unwrap_or_else(|e| panic!("{label}: notification {}: {e}", escape(&f)));
            let items = v.items().cloned().unwrap_or_default();
            let text = |i: usize| items.get(i).and_then(|x| x.as_bytes()).map(escape).unwrap_or_default();
            if items.len() != 4 || text(0) != "pmessage" {
                events.push(format!("(unexpected frame) {}", escape(&f)));
                continue;
            }
            let (channel, message) = (text(2), text(3));
            let done = channel == "__keyevent@0__:set" && message == "__end__";
            events.push(format!("{channel} {message}"));
            if done {
                break;
            }
        }
        let notifications = between(&events, "__keyevent@0__:set __begin__", "__keyspace@0__:__end__ set", label)
            .unwrap_or_else(|e| panic!("{label}: notifications: {e}"));

        // The replica's stream, keepalive PINGs dropped.
        let raw = self.replica.until(END_BYTES);
        let cmds = parse_aof_commands(&raw)
            .unwrap_or_else(|e| panic!("{label}: replication stream: {e}: {}", escape(&raw)))
            .into_iter()
            .filter(|c| !(c.len() == 1 && c[0].eq_ignore_ascii_case(b"PING")))
            .collect::<Vec<_>>();
        let replica = between_markers(&cmds).unwrap_or_else(|e| panic!("{label}: replication stream: {e}"));

        // The AOF: appendfsync always writes before replying, but poll anyway.
        let dir = self.server.dir().to_path_buf();
        let mut bytes = Vec::new();
        wait_for(&format!("{label}: the end marker in the AOF incr file"), || {
            bytes = std::fs::read(last_incr_path(&dir)).unwrap_or_default();
            bytes.windows(END_BYTES.len()).any(|w| w == END_BYTES)
        });
        let cmds = parse_aof_commands(&bytes).unwrap_or_else(|e| panic!("{label}: AOF: {e}: {}", escape(&bytes)));
        let aof = between_markers(&cmds).unwrap_or_else(|e| panic!("{label}: AOF: {e}"));

        assert!(self.server.alive(), "{label} died; log:\n{}", self.server.log_text());
        Observations { replies: self.replies, commandstats, errorstats, slowlog, notifications, replica, aof }
    }
}

/// The `INFO <section>` lines.
fn info_lines(c: &mut Conn, section: &str) -> Vec<String> {
    let r = c.cmd(&["INFO", section]);
    let v = Resp::parse(&r).unwrap_or_else(|e| panic!("INFO {section}: {e}"));
    let text =
        String::from_utf8_lossy(v.as_bytes().unwrap_or_else(|| panic!("INFO {section}: {}", escape(&r)))).into_owned();
    text.split("\r\n").filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

fn is_harness(name: &str) -> bool {
    let base = name.split('|').next().unwrap_or(name).to_ascii_lowercase();
    HARNESS_COMMANDS.contains(&base.as_str())
}

/// `cmdstat_<name>: calls=.. rejected_calls=.. failed_calls=..`, sorted by name, harness commands left out.
fn commandstats(c: &mut Conn) -> Vec<String> {
    let mut out = Vec::new();
    for line in info_lines(c, "commandstats") {
        let Some((name, fields)) = line.strip_prefix("cmdstat_").and_then(|l| l.split_once(':')) else {
            out.push(format!("(unexpected line) {line}"));
            continue;
        };
        if is_harness(name) {
            continue;
        }
        let field = |f: &str| {
            fields
                .split(',')
                .find_map(|kv| kv.strip_prefix(f).and_then(|v| v.strip_prefix('=')))
                .unwrap_or("(missing)")
                .to_string()
        };
        out.push(format!(
            "{name}: calls={} rejected_calls={} failed_calls={}",
            field("calls"),
            field("rejected_calls"),
            field("failed_calls")
        ));
    }
    out.sort();
    out
}

/// The slowlog's argument vectors, oldest first, harness commands left out, CLIENT UNBLOCK's id masked.
fn slowlog(c: &mut Conn, ids: &[String]) -> Vec<String> {
    let r = c.cmd(&["SLOWLOG", "GET", "100000"]);
    let v = Resp::parse(&r).unwrap_or_else(|e| panic!("SLOWLOG GET: {e}"));
    let entries = v.items().unwrap_or_else(|| panic!("SLOWLOG GET: {}", escape(&r)));
    let mut out = Vec::new();
    for e in entries.iter().rev() {
        let Some(args) = e.items().and_then(|f| f.get(3)).and_then(|a| a.items()) else {
            out.push(format!("(unexpected entry) {}", escape(&e.to_bytes())));
            continue;
        };
        let mut args: Vec<Vec<u8>> =
            args.iter().map(|a| a.as_bytes().map(<[u8]>::to_vec).unwrap_or_default()).collect();
        let name = String::from_utf8_lossy(args.first().map(Vec::as_slice).unwrap_or_default()).into_owned();
        if is_harness(&name) {
            continue;
        }
        if args.len() > 2 && name.eq_ignore_ascii_case("client") && args[1].eq_ignore_ascii_case(b"unblock") {
            if let Some(n) = ids.iter().position(|id| id.as_bytes() == args[2].as_slice()) {
                args[2] = format!("<id of client {n}>").into_bytes();
            }
        }
        // Redis 7.0 records some unblocked commands with no arguments at all.
        out.push(if args.is_empty() { "(no arguments)".to_string() } else { display_args(&args) });
    }
    out
}

/// The entries strictly between `begin` and `end` (both must be present, in that order).
fn between(items: &[String], begin: &str, end: &str, label: &str) -> Result<Vec<String>, String> {
    let b = items.iter().position(|x| x == begin);
    let e = items.iter().rposition(|x| x == end);
    match (b, e) {
        (Some(b), Some(e)) if b < e => Ok(items[b + 1..e].to_vec()),
        _ => Err(format!("{label}: markers {begin:?} .. {end:?} not found in order in:\n  {}", items.join("\n  "))),
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A propagated command, rendered, with absolute times near now masked.
fn render(c: &AofCommand) -> String {
    let mut c = c.clone();
    let name = String::from_utf8_lossy(c.first().map(Vec::as_slice).unwrap_or_default()).to_ascii_uppercase();
    let mut positions = Vec::new();
    if name == "PEXPIREAT" && c.len() > 2 {
        positions.push(2);
    }
    for (i, a) in c.iter().enumerate().take(c.len().saturating_sub(1)).skip(1) {
        if a.eq_ignore_ascii_case(b"PXAT") || (name == "XCLAIM" && a.eq_ignore_ascii_case(b"TIME")) {
            positions.push(i + 1);
        }
    }
    let now = now_ms();
    for p in positions {
        let near = std::str::from_utf8(&c[p])
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .is_some_and(|t| (t - now).abs() < 86_400_000);
        if near {
            c[p] = b"<abs-ms>".to_vec();
        }
    }
    display_args(&c)
}

/// The commands strictly between the begin and end markers of a propagated stream.
fn between_markers(cmds: &[AofCommand]) -> Result<Vec<String>, String> {
    let is = |c: &AofCommand, m: &[&str]| {
        c.len() == m.len()
            && c[0].eq_ignore_ascii_case(m[0].as_bytes())
            && c.iter().zip(m).skip(1).all(|(a, b)| a.as_slice() == b.as_bytes())
    };
    let b = cmds.iter().position(|c| is(c, BEGIN));
    let e = cmds.iter().rposition(|c| is(c, END));
    match (b, e) {
        (Some(b), Some(e)) if b < e => Ok(cmds[b + 1..e].iter().map(render).collect()),
        _ => Err(format!(
            "markers not found in order in:\n  {}",
            cmds.iter().map(render).collect::<Vec<_>>().join("\n  ")
        )),
    }
}

/// Runs `scenario` after `setup` on Redis and on ferredis and compares everything observed.
fn check(name: &str, setup: &[&str], scenario: impl Fn(&mut Side)) {
    let mut seen = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let mut side = Side::start(kind);
        side.begin(setup);
        scenario(&mut side);
        seen.push(side.finish());
    }
    let (red, fer) = (&seen[0], &seen[1]);
    let mut report = String::new();
    let mut differing = Vec::new();
    for ((part, r), (_, f)) in red.parts().into_iter().zip(fer.parts()) {
        let same = r == f;
        if !same {
            differing.push(part);
        }
        if !same || std::env::var_os("CALLPATH_DUMP").is_some() {
            let first = (0..r.len().max(f.len())).find(|&i| r.get(i) != f.get(i));
            report.push_str(&format!(
                "\n===== {name}: {part}{} =====\n",
                match first {
                    Some(i) => format!(" (first difference at line {i})"),
                    None => " (same)".into(),
                }
            ));
            for (label, lines) in [("redis", r), ("ferredis", f)] {
                report.push_str(&format!("--- {label} ({} lines):\n", lines.len()));
                for (i, l) in lines.iter().enumerate() {
                    let mark = if Some(i) == first { ">>" } else { "  " };
                    report.push_str(&format!("{mark}{i:3} {l}\n"));
                }
            }
        }
    }
    if !report.is_empty() {
        eprintln!("{report}");
    }
    assert!(differing.is_empty(), "{name}: ferredis differs from Redis in: {}\n{report}", differing.join(", "));
}

/// The commands of `names` that ferredis answers with "unknown command".
fn ferredis_lacks(names: &[&str]) -> Vec<String> {
    let server = Server::ferredis();
    let mut c = server.conn();
    names.iter().filter(|n| c.cmd(&[**n]).starts_with(b"-ERR unknown command")).map(|n| n.to_string()).collect()
}

/// With `maxmemory 1` every denyoom command is refused (the default policy evicts nothing).
fn with_oom(s: &mut Side, f: impl FnOnce(&mut Side)) {
    s.config_set("maxmemory", "1");
    f(s);
    s.config_set("maxmemory", "0");
}

const DATA_SETUP: &[&str] = &["RPUSH list x", "SET str s"];

/// Plain client commands: writes, a WRONGTYPE failure, arity rejections, an unknown command, an OOM rejection.
#[test]
fn client_commands_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    check("client commands", DATA_SETUP, |s| {
        for line in [
            "SET a 1",
            "INCR a",
            "LPUSH l a b",
            "HSET h f v g w",
            "EXPIRE a 100",
            "DEL h",
            "DEL nosuchkey",
            "INCR list",
            "LPUSH str x",
            "GET",
            "SET onlykey",
            "NOSUCHCOMMAND x",
            "GET a",
        ] {
            s.cmd(0, line);
        }
        with_oom(s, |s| {
            s.cmd(0, "SET oom 1");
            s.cmd(0, "LPUSH oom x");
            // Not denyoom: allowed.
            s.cmd(0, "DEL a");
            s.cmd(0, "GET a");
        });
        s.cmd(0, "SET after-oom 1");
    });
}

/// The same commands inside MULTI/EXEC; a WRONGTYPE failure at EXEC time; EXECABORT after an arity rejection and
/// after an OOM rejection while queueing; EXEC refused by OOM after the commands were queued; DISCARD.
#[test]
fn multi_exec_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    check("MULTI/EXEC", DATA_SETUP, |s| {
        for line in [
            "MULTI",
            "SET a 1",
            "INCR a",
            "LPUSH l a b",
            "HSET h f v",
            "EXPIRE a 100",
            "DEL h",
            "INCR list",
            "SET b 2",
            "EXEC",
        ] {
            s.cmd(0, line);
        }
        // An arity error while queueing.
        for line in ["MULTI", "SET c 1", "GET", "INCR c", "EXEC"] {
            s.cmd(0, line);
        }
        // Only failing or no-op commands.
        for line in ["MULTI", "INCR list", "DEL nosuchkey", "EXEC"] {
            s.cmd(0, line);
        }
        for line in ["MULTI", "SET d 1", "DISCARD"] {
            s.cmd(0, line);
        }
        // A denyoom command refused while queueing.
        s.cmd(0, "MULTI");
        with_oom(s, |s| {
            s.cmd(0, "SET e 1");
            s.cmd(0, "GET a");
        });
        s.cmd(0, "EXEC");
        // Queued before the limit, EXEC after it.
        s.cmd(0, "MULTI");
        s.cmd(0, "SET f 1");
        s.cmd(0, "INCR f");
        with_oom(s, |s| {
            s.cmd(0, "EXEC");
        });
        // A transaction whose watched key another client touched: EXEC runs nothing.
        s.cmd(0, "WATCH a");
        s.cmd(1, "SET a touched");
        for line in ["MULTI", "SET a 2", "INCR a", "EXEC"] {
            s.cmd(0, line);
        }
        // A read-only transaction under OOM.
        with_oom(s, |s| {
            for line in ["MULTI", "GET a", "EXEC"] {
                s.cmd(0, line);
            }
        });
        s.cmd(0, "SET after 1");
    });
}

/// The same commands through EVAL's redis.call; redis.pcall of a WRONGTYPE, of a wrong arity and of an unknown
/// command; a script that fails on redis.call; a runtime error; OOM inside a script and for a shebang script.
#[test]
fn eval_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    check("EVAL", DATA_SETUP, |s| {
        s.cmd(
            0,
            "EVAL \"redis.call('set',KEYS[1],'1'); redis.call('incr',KEYS[1]); redis.call('lpush',KEYS[2],'a','b'); \
             redis.call('hset',KEYS[3],'f','v'); redis.call('expire',KEYS[1],'100'); redis.call('del',KEYS[3]); \
             return 'ok'\" 3 a l h",
        );
        s.cmd(
            0,
            "EVAL \"local r = redis.pcall('incr',KEYS[1]); redis.call('set',KEYS[2],'after'); return r\" 2 list p",
        );
        s.cmd(0, "EVAL \"redis.pcall('incr',KEYS[1]); return 'swallowed'\" 1 list");
        s.cmd(0, "EVAL \"redis.call('set',KEYS[2],'before'); return redis.call('incr',KEYS[1])\" 2 list q");
        s.cmd(0, "EVAL \"return redis.pcall('get')\" 0");
        s.cmd(0, "EVAL \"return redis.pcall('nosuchcommand','x')\" 0");
        s.cmd(0, "EVAL \"return redis.call('get')\" 0");
        s.cmd(0, "EVAL \"error('boom')\" 0");
        s.cmd(0, "EVAL \"return redis.call('get',KEYS[1])\" 1 a");
        s.cmd(0, "EVAL \"return redis.call('del',KEYS[1])\" 1 nosuchkey");
        with_oom(s, |s| {
            s.cmd(0, "EVAL \"return redis.pcall('set',KEYS[1],'v')\" 1 oom1");
            s.cmd(0, "EVAL \"return redis.call('set',KEYS[1],'v')\" 1 oom2");
            s.cmd(0, "EVAL \"#!lua\nreturn redis.call('set',KEYS[1],'v')\" 1 oom3");
            s.cmd(0, "EVAL \"#!lua flags=allow-oom\nreturn redis.call('set',KEYS[1],'v')\" 1 oom4");
            s.cmd(0, "EVAL \"#!lua flags=no-writes\nreturn redis.call('get',KEYS[1])\" 1 a");
            s.cmd(0, "EVAL \"return redis.call('get',KEYS[1])\" 1 a");
        });
        s.cmd(0, "EVAL \"#!lua flags=no-writes\nreturn redis.pcall('set',KEYS[1],'v')\" 1 ro");
        s.cmd(0, "EVAL_RO \"return redis.pcall('set',KEYS[1],'v')\" 1 ro");
        s.cmd(0, "EVAL \"return redis.call('set',KEYS[1],'v')\"");
        // The same path through EVALSHA, and a NOSCRIPT.
        s.cmd(0, "SCRIPT LOAD \"redis.call('incr',KEYS[1]); return redis.pcall('incr',KEYS[2])\"");
        s.cmd(0, "EVALSHA 6951d7d9523f8e2ef9e0889eda4346978fde9756 2 counter list");
        s.cmd(0, "EVALSHA ffffffffffffffffffffffffffffffffffffffff 0");
        s.cmd(0, "SET after 1");
    });
}

/// The same commands through a FUNCTION called with FCALL; the same failures as for EVAL; OOM against functions
/// with and without `allow-oom`; a write from a `no-writes` function; FCALL_RO.
#[test]
fn fcall_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let load = function_load_line();
    let mut setup = DATA_SETUP.to_vec();
    setup.push(&load);
    check("FCALL", &setup, |s| {
        s.cmd(0, "FCALL writes 3 a l h");
        s.cmd(0, "FCALL pcall_wrongtype 2 list p");
        s.cmd(0, "FCALL pcall_wrongtype_swallowed 1 list");
        s.cmd(0, "FCALL call_wrongtype 2 list q");
        s.cmd(0, "FCALL pcall_arity 0");
        s.cmd(0, "FCALL call1 1 a get");
        s.cmd(0, "FCALL call1 1 nosuchkey del");
        s.cmd(0, "FCALL nosuchfunction 0");
        s.cmd(0, "FCALL writes");
        s.cmd(0, "FCALL ro_write 1 ro");
        s.cmd(0, "FCALL_RO call1 1 a get");
        s.cmd(0, "FCALL_RO pcall_set 1 ro2");
        with_oom(s, |s| {
            s.cmd(0, "FCALL pcall_set 1 oom1");
            s.cmd(0, "FCALL pcall_set_allow_oom 1 oom2");
            s.cmd(0, "FCALL ro_write 1 oom3");
            s.cmd(0, "FCALL_RO call1 1 a get");
        });
        s.cmd(0, "SET after 1");
    });
}

/// Commands refused by ACL (NOPERM) as a client's command, while queueing in MULTI, from redis.pcall in EVAL and
/// in a function: a rejection that is neither arity nor OOM.
#[test]
fn acl_rejections_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let load = function_load_line();
    let setup = ["ACL SETUSER limited on nopass ~* &* +@all -set -incr", load.as_str(), "RPUSH list x"];
    check("ACL rejections", &setup, |s| {
        s.cmd(2, "AUTH limited any");
        s.cmd(2, "SET a 1");
        s.cmd(2, "LPUSH l a");
        for line in ["MULTI", "LPUSH l b", "SET a 1", "EXEC"] {
            s.cmd(2, line);
        }
        s.cmd(2, "EVAL \"redis.call('lpush',KEYS[1],'c'); return redis.pcall('set',KEYS[2],'v')\" 2 l a");
        s.cmd(2, "EVAL \"return redis.call('incr',KEYS[1])\" 1 a");
        s.cmd(2, "FCALL pcall_set 1 a");
        s.cmd(2, "FCALL call1 1 a incr");
        s.cmd(2, "FCALL call1 1 l lpush d");
        s.cmd(0, "SET after 1");
    });
}

/// Blocked clients served when their key gets data, by a client's command, by EXEC, by EVAL and by FCALL:
/// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX, BLMPOP, BZMPOP, two clients on one key; and blocking
/// commands that do not block (data present, wrong type).
#[test]
fn blocked_clients_served_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let load = function_load_line();
    let mut setup = DATA_SETUP.to_vec();
    setup.push(&load);
    check("blocked clients served", &setup, |s| {
        s.block(1, "BLPOP bl 0", 1);
        s.cmd(0, "LPUSH bl a");
        s.read(1);

        s.block(1, "BRPOP br 0", 1);
        s.cmd(0, "RPUSH br a b");
        s.read(1);

        s.block(1, "BLMOVE src dst LEFT RIGHT 0", 1);
        s.cmd(0, "RPUSH src a b");
        s.read(1);

        s.block(1, "BRPOPLPUSH src2 dst2 0", 1);
        s.cmd(0, "RPUSH src2 a");
        s.read(1);

        s.block(1, "BZPOPMIN z 0", 1);
        s.cmd(0, "ZADD z 1 m 2 n");
        s.read(1);

        s.block(1, "BZPOPMAX z2 0", 1);
        s.cmd(0, "ZADD z2 1 m 2 n");
        s.read(1);

        s.block(1, "BLMPOP 0 2 nol ml LEFT COUNT 2", 1);
        s.cmd(0, "RPUSH ml a b c");
        s.read(1);

        s.block(1, "BZMPOP 0 1 zm MAX COUNT 5", 1);
        s.cmd(0, "ZADD zm 1 a 2 b 3 c");
        s.read(1);

        // Two clients on one key, served in the order they blocked.
        s.block(1, "BLPOP two 0", 1);
        s.block(2, "BRPOP two 0", 2);
        s.cmd(0, "RPUSH two a b c");
        s.read(1);
        s.read(2);

        // Served by EXEC.
        s.block(1, "BLPOP m 0", 1);
        s.cmd(0, "MULTI");
        s.cmd(0, "LPUSH m a");
        s.cmd(0, "SET other 1");
        s.cmd(0, "EXEC");
        s.read(1);

        // A push and a pop of the same element in one transaction: nothing left to serve.
        s.block(1, "BLPOP m2 0", 1);
        s.cmd(0, "MULTI");
        s.cmd(0, "LPUSH m2 a");
        s.cmd(0, "LPOP m2");
        s.cmd(0, "EXEC");
        s.note_blocked();
        s.cmd(0, "LPUSH m2 b");
        s.read(1);

        // Served by a script and by a function.
        s.block(1, "BLMOVE e dst3 RIGHT LEFT 0", 1);
        s.cmd(0, "EVAL \"redis.call('rpush',KEYS[1],'a','b'); return redis.call('set',KEYS[2],'x')\" 2 e ex");
        s.read(1);

        s.block(1, "BZPOPMIN fz 0", 1);
        s.cmd(0, "FCALL call1 1 fz zadd 5 m");
        s.read(1);

        // Blocking commands that answer at once.
        s.cmd(0, "RPUSH ready a b");
        s.cmd(1, "BLPOP ready 0");
        s.cmd(1, "BLPOP str 0");
        s.cmd(1, "BZPOPMIN list 0");
        s.cmd(1, "BLMOVE ready str LEFT LEFT 0");
        s.cmd(0, "SET after 1");
    });
}

/// Blocked clients that time out, and blocked clients released by CLIENT UNBLOCK with TIMEOUT and with ERROR.
#[test]
fn blocked_timeouts_and_unblock_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    check("blocked timeouts and CLIENT UNBLOCK", DATA_SETUP, |s| {
        // Timeouts: the reply arrives when the server times the client out.
        s.cmd(1, "BLPOP t1 0.01");
        s.cmd(1, "BLMOVE t2 t3 LEFT LEFT 0.01");
        s.cmd(1, "BZPOPMIN t4 0.01");
        s.cmd(1, "BLMPOP 0.01 1 t5 RIGHT");

        s.block(1, "BLPOP u1 0", 1);
        s.unblock(1, "TIMEOUT");
        s.read(1);

        s.block(1, "BZPOPMIN u2 0", 1);
        s.unblock(1, "ERROR");
        s.read(1);

        s.block(1, "BLMOVE u3 u4 LEFT RIGHT 0", 1);
        s.block(2, "BLMPOP 0 1 u5 LEFT COUNT 3", 2);
        s.unblock(2, "ERROR");
        s.read(2);
        s.unblock(1, "TIMEOUT");
        s.read(1);

        // Not blocked: nothing to unblock.
        s.unblock(1, "TIMEOUT");
        s.unblock(1, "ERROR");
        // Unblocked after data arrived: served, then nothing to unblock.
        s.block(1, "BLPOP u6 0", 1);
        s.cmd(0, "RPUSH u6 a");
        s.read(1);
        s.unblock(1, "ERROR");
        s.cmd(0, "SET after 1");
    });
}

/// Stream readers: XREAD BLOCK and XREADGROUP BLOCK served by XADD (from a client, EXEC, EVAL), timing out, and
/// released by CLIENT UNBLOCK. Entry ids are explicit, so the streams are the same on both servers.
/// Skipped with a NOTICE while ferredis does not know the stream commands (the `@requires` convention of
/// tests/protocol/differential.rs).
#[test]
fn blocked_stream_readers_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let missing = ferredis_lacks(&["XADD", "XREAD", "XREADGROUP", "XGROUP", "XINFO"]);
    if !missing.is_empty() {
        eprintln!("NOTICE: skipped: ferredis does not know {} yet", missing.join(", "));
        return;
    }
    let setup = ["XGROUP CREATE gs g $ MKSTREAM", "XGROUP CREATE gs2 g $ MKSTREAM"];
    check("blocked stream readers", &setup, |s| {
        s.block(1, "XREAD BLOCK 0 STREAMS xs $", 1);
        s.cmd(0, "XADD xs 1-1 f v");
        s.read(1);

        s.block(1, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS gs >", 1);
        s.cmd(0, "XADD gs 1-1 f v");
        s.read(1);

        s.block(1, "XREADGROUP GROUP g c2 COUNT 5 BLOCK 0 STREAMS gs >", 1);
        s.cmd(0, "MULTI");
        s.cmd(0, "XADD gs 2-1 f v");
        s.cmd(0, "XADD gs 2-2 f w");
        s.cmd(0, "EXEC");
        s.read(1);

        s.block(1, "XREADGROUP GROUP g c3 NOACK BLOCK 0 STREAMS gs2 >", 1);
        s.cmd(0, "EVAL \"return redis.call('xadd',KEYS[1],'3-1','f','v')\" 1 gs2");
        s.read(1);

        s.cmd(1, "XREAD BLOCK 10 STREAMS xs $");
        s.cmd(1, "XREADGROUP GROUP g c1 BLOCK 10 STREAMS gs >");

        s.block(1, "XREADGROUP GROUP g c4 BLOCK 0 STREAMS gs >", 1);
        s.unblock(1, "ERROR");
        s.read(1);
        s.block(1, "XREAD BLOCK 0 STREAMS xs $", 1);
        s.unblock(1, "TIMEOUT");
        s.read(1);

        // The group is destroyed while a reader waits on it.
        s.block(1, "XREADGROUP GROUP g c5 BLOCK 0 STREAMS gs2 >", 1);
        s.cmd(0, "XGROUP DESTROY gs2 g");
        s.read(1);
        s.note_blocked();
        s.cmd(0, "XINFO GROUPS gs");
        s.cmd(0, "SET after 1");
    });
}

/// A BLMOVE whose destination became a non-list while it was blocked: what the blocked client gets, whether it
/// stays blocked, and what is propagated.
#[test]
fn blocked_lmove_wrongtype_destination_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    check("BLMOVE to a wrong-type destination", &[], |s| {
        s.block(1, "BLMOVE src dst LEFT LEFT 0", 1);
        s.cmd(0, "SET dst notalist");
        s.cmd(0, "RPUSH src a");
        s.read(1);
        if s.note_blocked() == 1 {
            s.cmd(0, "DEL dst");
            s.cmd(0, "RPUSH src b");
            s.read(1);
        }
        s.note_blocked();
        s.cmd(0, "LRANGE src 0 -1");
        s.cmd(0, "LRANGE dst 0 -1");
    });
}

/// Keys that expired while active expiry is off, deleted lazily when a script, a function, a transaction or a
/// client command touches them: the DEL (and the `expired` event) in the propagated stream.
#[test]
fn lazy_expiry_through_every_path_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let load = function_load_line();
    let setup = ["DEBUG SET-ACTIVE-EXPIRE 0", load.as_str()];
    check("lazy expiry", &setup, |s| {
        for k in ["e-eval-get", "e-eval-incr", "e-eval-ro", "e-fcall", "e-multi", "e-client", "e-client-set"] {
            s.cmd(0, &format!("SET {k} 5"));
            s.cmd(0, &format!("PEXPIRE {k} 20"));
        }
        s.cmd(0, "LPUSH e-list a b");
        s.cmd(0, "PEXPIRE e-list 20");
        // Expired by now on both servers; nothing deletes them until they are touched.
        std::thread::sleep(Duration::from_millis(120));
        s.cmd(0, "EVAL \"return redis.call('get',KEYS[1])\" 1 e-eval-get");
        s.cmd(0, "EVAL \"return redis.call('incr',KEYS[1])\" 1 e-eval-incr");
        s.cmd(0, "EVAL_RO \"return redis.call('exists',KEYS[1])\" 1 e-eval-ro");
        s.cmd(0, "EVAL \"redis.call('set','written','1'); return redis.call('lpop',KEYS[1])\" 1 e-list");
        s.cmd(0, "FCALL call1 1 e-fcall get");
        for line in ["MULTI", "GET e-multi", "SET x 1", "EXEC"] {
            s.cmd(0, line);
        }
        s.cmd(0, "GET e-client");
        s.cmd(0, "SET e-client-set 6");
        s.cmd(0, "DBSIZE");
    });
}
