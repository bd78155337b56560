//! LDB, Redis's Lua debugger (eval.c's `ldb*` functions): `SCRIPT DEBUG YES|SYNC|NO` and the debugging session
//! an EVAL runs in once its client asked for one.
//!
//! # A session
//! ```text
//!  SCRIPT DEBUG YES|SYNC ─▶ client flags LUA_DEBUG (+ LUA_DEBUG_SYNC)
//!  EVAL ─▶ YES:  fork ─┬─ parent: closes the client and remembers the child (reaped by the cron, killed at
//!                      │          shutdown); it never replies
//!                      └─ child: runs the session, writes EVAL's reply, exits: the dataset changes die with it
//!          SYNC: the session runs in the server itself, which serves nobody else meanwhile (changes are kept)
//!  session: [`hook`] runs before every instruction and finds Lua 5.1's line events (`traceexec`: a new
//!           function, a new line, a backward jump) and count events (every 100,000 instructions, for the
//!           timeout); at a stop (step, breakpoint, `redis.breakpoint()`, no input for busy-reply-threshold)
//!           it sends the pending log lines as an array of status replies and reads debugger commands straight
//!           from the socket, blocking, until one resumes the script (step, continue) or aborts it
//!  end:     "<endsession>", then EVAL's own reply; the connection is closed after it
//! ```
//! The log lines, their order and the reply shapes are Redis's, byte for byte (tests/scripting/ldb.rs compares a
//! session against redis-server's). Like Redis's, the command parser is deliberately simple: one command at a time, and
//! whatever follows it in the same read is dropped.

use std::any::Any;
use std::rc::Rc;
use std::time::Instant;

use super::redis_lib::raise;
use super::ScriptHost;
use crate::lua::value::{LuaError, Value};
use crate::lua::Lua;
use crate::net::conn::ClientWire;
use crate::sys::socket;

/// Replies and values longer than this are trimmed in the log (`LDB_MAX_LEN_DEFAULT`), until `maxlen` says
/// otherwise.
pub const MAX_LEN_DEFAULT: usize = 256;
/// `LDB_BREAKPOINTS_MAX`.
pub const BREAKPOINTS_MAX: usize = 64;
/// Nesting shown of a table inside tables (`LDB_MAX_VALUES_DEPTH`, `LUA_MINSTACK / 2`).
const MAX_VALUES_DEPTH: usize = 10;
/// Instructions between count events (the interval Redis gives `lua_sethook`).
const COUNT_INTERVAL: u32 = 100_000;
/// How long a write to the debugging client may wait for room (Redis's `connSendTimeout(ldb.conn, 5000)`).
pub const SEND_TIMEOUT_MS: i32 = 5000;
/// The timeout of a script that runs without stopping, when `busy-reply-threshold` is 0.
const DEFAULT_TIMEOUT_MS: i64 = 5000;
/// Input buffered without a complete command past which the session fails ("max client buffer reached").
const MAX_INPUT: usize = 1 << 20;

/// The debugger's `help` text.
const HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
];

/// One debugging session (Redis's `ldbState` while `ldb.active`), in [`super::Scripting::ldb`] while its EVAL
/// runs.
pub struct Session {
    /// The debugging client's socket (non-blocking; the session waits on it with poll), with its TLS session
    /// while it runs.
    pub wire: ClientWire,
    /// Running in a forked child (`SCRIPT DEBUG YES`).
    pub forked: bool,
    /// Log lines not yet sent.
    logs: Vec<Vec<u8>>,
    /// The script's source, one entry per line (line 1 first).
    src: Vec<Vec<u8>>,
    /// Breakpoint lines, in the order they were set.
    bp: Vec<i64>,
    /// Stop at the next line; while set, `redis.call` logs the commands and replies (`ldbIsEnabled`).
    pub step: bool,
    /// `redis.breakpoint()` was called: stop at the next line.
    luabp: bool,
    /// Bytes read from the client that do not form a command yet.
    cbuf: Vec<u8>,
    /// Longest logged reply or value (0: unlimited).
    maxlen: usize,
    maxlen_hint_sent: bool,
    /// The line of the last line event.
    currentline: i64,
    /// Per frame depth: the prototype and instruction index last seen there (Lua's saved `oldpc`).
    last: Vec<(usize, usize)>,
    /// Instructions since the last count event.
    count: u32,
}

impl Session {
    /// A session for the client on `wire` debugging `source` (Redis's `ldbEnable` + `ldbStartSession`).
    pub fn new(wire: ClientWire, forked: bool, source: &[u8]) -> Session {
        let mut end = source.len();
        while end > 0 && matches!(source[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        // sdssplitlen: an empty source has no lines.
        let src =
            if end == 0 { Vec::new() } else { source[..end].split(|&b| b == b'\n').map(<[u8]>::to_vec).collect() };
        Session {
            wire,
            forked,
            logs: Vec::new(),
            src,
            bp: Vec::new(),
            step: true,
            luabp: false,
            cbuf: Vec::new(),
            maxlen: MAX_LEN_DEFAULT,
            maxlen_hint_sent: false,
            currentline: 0,
            last: Vec::new(),
            count: 0,
        }
    }

    pub fn log(&mut self, entry: impl Into<Vec<u8>>) {
        self.logs.push(entry.into());
    }

    /// `ldbLogWithMaxLen`: trims the entry to `maxlen` bytes (with " ..."), and hints at `maxlen 0` the first
    /// time.
    pub fn log_with_maxlen(&mut self, mut entry: Vec<u8>) {
        let trimmed = self.maxlen != 0 && entry.len() > self.maxlen;
        if trimmed {
            entry.truncate(self.maxlen);
            entry.extend_from_slice(b" ...");
        }
        self.log(entry);
        if trimmed && !self.maxlen_hint_sent {
            self.maxlen_hint_sent = true;
            self.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
        }
    }

    /// `ldbSendLogs`: the pending lines as an array of status replies (CR and LF become spaces). A write error is
    /// not reported here: the next read finds the connection gone.
    pub fn send_logs(&mut self) {
        let mut out = format!("*{}\r\n", self.logs.len()).into_bytes();
        for entry in self.logs.drain(..) {
            out.push(b'+');
            out.extend(entry.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
            out.extend_from_slice(b"\r\n");
        }
        let _ = self.wire.write_all_timeout(&out, SEND_TIMEOUT_MS);
    }

    /// `ldbEndSession`'s messages: the remaining log and the `<endsession>` mark.
    pub fn end(&mut self) {
        self.log("<endsession>");
        self.send_logs();
    }

    fn source_line(&self, line: i64) -> &[u8] {
        match usize::try_from(line - 1).ok().and_then(|i| self.src.get(i)) {
            Some(l) => l,
            None => b"<out of range source code line>",
        }
    }

    fn is_breakpoint(&self, line: i64) -> bool {
        self.bp.contains(&line)
    }

    /// `ldbLogSourceLine`: "-> " marks the current line, "#" a breakpoint.
    fn log_source_line(&mut self, line: i64) {
        let prefix = match (line == self.currentline, self.is_breakpoint(line)) {
            (true, true) => "->#",
            (true, false) => "-> ",
            (false, true) => "  #",
            (false, false) => "   ",
        };
        let mut entry = format!("{prefix}{line:<3} ").into_bytes();
        entry.extend_from_slice(self.source_line(line));
        self.log(entry);
    }

    /// `ldbList`: the whole source when `around` is 0, else the lines within `context` of it.
    fn list(&mut self, around: i64, context: i64) {
        for line in 1..=self.src.len() as i64 {
            if around != 0 && (around - line).abs() > context {
                continue;
            }
            self.log_source_line(line);
        }
    }

    /// `ldbBreak`.
    fn breakpoints(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 1 {
            if self.bp.is_empty() {
                self.log("No breakpoints set. Use 'b <line>' to add one.");
            } else {
                self.log(format!("{} breakpoints set:", self.bp.len()));
                for line in self.bp.clone() {
                    self.log_source_line(line);
                }
            }
            return;
        }
        for arg in &argv[1..] {
            let Some(line) = crate::util::parse_i64(arg) else {
                let mut e = b"Invalid argument:'".to_vec();
                e.extend_from_slice(arg);
                e.push(b'\'');
                self.log(e);
                continue;
            };
            if line == 0 {
                self.bp.clear();
                self.log("All breakpoints removed.");
            } else if line > 0 {
                if self.bp.len() == BREAKPOINTS_MAX {
                    self.log("Too many breakpoints set.");
                } else if line <= self.src.len() as i64 && !self.is_breakpoint(line) {
                    self.bp.push(line);
                    self.list(line, 1);
                } else {
                    self.log("Wrong line number.");
                }
            } else {
                match self.bp.iter().position(|&l| l == -line) {
                    Some(i) => {
                        self.bp.remove(i);
                        self.log("Breakpoint removed.");
                    }
                    None => self.log("No breakpoint in the specified line."),
                }
            }
        }
    }

    /// `ldbMaxlen`.
    fn set_maxlen(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 2 {
            let mut v = crate::util::atoll(&argv[1]) as i32;
            self.maxlen_hint_sent = true;
            if v != 0 && v <= 60 {
                v = 60;
            }
            self.maxlen = v as usize;
        }
        if self.maxlen != 0 {
            self.log(format!("<value> replies are truncated at {} bytes.", self.maxlen));
        } else {
            self.log("<value> replies are unlimited.");
        }
    }

    /// Reads more of the client's input into `cbuf`, waiting as long as it takes. False when the client is gone.
    fn read_more(&mut self) -> bool {
        let mut buf = [0u8; 1024];
        loop {
            match self.wire.read(&mut buf) {
                Ok(0) => return false,
                Ok(n) => {
                    self.cbuf.extend_from_slice(&buf[..n]);
                    return true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if socket::wait_readable(self.wire.fd, -1).is_err() {
                        return false;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }
}

/// What [`parse_command`] found in the input.
#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    Command(Vec<Vec<u8>>),
    NeedMore,
    ProtocolError,
}

/// `ldbReplParseCommand`: one multi-bulk command from the start of `buf` (anything before the first `*` is
/// skipped). Every argument must be 1 to 1024 bytes long, and there are at most 1024 of them.
fn parse_command(buf: &[u8]) -> Parsed {
    if buf.is_empty() {
        return Parsed::NeedMore;
    }
    let crlf = |from: usize| memchr::memmem::find(buf.get(from..)?, b"\r\n").map(|i| from + i);
    let Some(star) = memchr::memchr(b'*', buf) else { return Parsed::ProtocolError };
    let Some(end) = crlf(star + 1) else { return Parsed::NeedMore };
    let argc = crate::util::atoll(&buf[star + 1..end]);
    if argc <= 0 || argc > 1024 {
        return Parsed::ProtocolError;
    }
    let mut p = end + 2;
    let mut argv = Vec::with_capacity(argc as usize);
    while (argv.len() as i64) < argc {
        let Some(&first) = buf.get(p) else { return Parsed::NeedMore };
        if first != b'$' {
            return Parsed::ProtocolError;
        }
        let Some(end) = crlf(p + 1) else { return Parsed::NeedMore };
        let len = crate::util::atoll(&buf[p + 1..end]);
        p = end + 2;
        if len <= 0 || len > 1024 {
            return Parsed::ProtocolError;
        }
        let len = len as usize;
        if p + len + 2 > buf.len() {
            return Parsed::NeedMore;
        }
        argv.push(buf[p..p + len].to_vec());
        p += len;
        if &buf[p..p + 2] != b"\r\n" {
            return Parsed::ProtocolError;
        }
        p += 2;
    }
    Parsed::Command(argv)
}

/// The session of the running script, if it is being debugged.
fn session<H: ScriptHost>(host: &mut H) -> Option<&mut Session> {
    host.scripting().ldb.as_deref_mut()
}

/// Whether `redis.call` logs what it runs (`ldbIsEnabled`: a session is stepping).
pub fn logging<H: ScriptHost>(host: &mut H) -> Option<&mut Session> {
    session(host).filter(|s| s.step)
}

/// The kind of hook event (Lua's `LUA_HOOKLINE` / `LUA_HOOKCOUNT`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Event {
    Line,
    Count,
}

/// The VM hook of a debugging session, run before every instruction (`luaLdbLineHook` behind Lua 5.1's
/// `traceexec`, which tells line events from the rest).
pub fn hook<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<(), LuaError> {
    let Some(host) = any.downcast_mut::<H>() else { return Ok(()) };
    let Some(fi) = l.frames.len().checked_sub(1) else { return Ok(()) };
    let Some(proto) = l.frame_proto(fi) else { return Ok(()) };
    let pc = l.frames[fi].pc.saturating_sub(1);
    let line = proto.line_at(pc) as i64;
    let Some(s) = session(host) else { return Ok(()) };
    let key = Rc::as_ptr(&proto) as usize;
    if s.last.len() <= fi {
        s.last.resize(fi + 1, (0, 0));
    }
    let (last_proto, last_pc) = s.last[fi];
    // A new function, a jump back (a loop), or a new line.
    let line_event = pc == 0 || last_proto != key || pc <= last_pc || proto.line_at(last_pc) as i64 != line;
    s.last[fi] = (key, pc);
    s.count += 1;
    let count_event = s.count >= COUNT_INTERVAL;
    if count_event {
        s.count = 0;
    }
    let user_code = proto.source.contains("user_script");
    // For one instruction Lua calls the count hook first, then the line hook.
    if count_event {
        on_event(l, host, Event::Count, line, user_code)?;
    }
    if line_event {
        on_event(l, host, Event::Line, line, user_code)?;
    }
    Ok(())
}

/// `luaLdbLineHook` for one event: stops when stepping, at a breakpoint, after `redis.breakpoint()`, or (count
/// events) when the script ran past the timeout since its last stop.
fn on_event<H: ScriptHost>(
    l: &mut Lua,
    host: &mut H,
    event: Event,
    line: i64,
    user_code: bool,
) -> Result<(), LuaError> {
    let threshold = host.config().busy_reply_threshold;
    let sc = host.scripting();
    let elapsed_ms = sc.run.as_ref().map_or(0, |r| r.start.elapsed().as_millis() as i64);
    let Some(s) = sc.ldb.as_deref_mut() else { return Ok(()) };
    s.currentline = line;
    let bp = s.is_breakpoint(line) || s.luabp;
    if !user_code {
        return Ok(());
    }
    let mut timeout = false;
    if event == Event::Count && !s.step && !bp {
        let limit = if threshold > 0 { threshold } else { DEFAULT_TIMEOUT_MS };
        if elapsed_ms < limit {
            return Ok(());
        }
        timeout = true;
        s.step = true;
    }
    if !s.step && !bp {
        return Ok(());
    }
    let reason = if bp {
        if s.luabp {
            "redis.breakpoint() called"
        } else {
            "break point"
        }
    } else if timeout {
        "timeout reached, infinite loop?"
    } else {
        "step over"
    };
    s.step = false;
    s.luabp = false;
    s.log(format!("* Stopped at {line}, stop reason = {reason}"));
    s.log_source_line(line);
    s.send_logs();
    // Hooks don't run inside a hook (Lua's `allowhook`): what `eval` and `redis` run must not stop again.
    let saved = l.hook.take();
    let r = repl(l, host);
    l.hook = saved;
    let client_gone = r?;
    if client_gone && timeout {
        // Nobody will ever step the script out of its loop: end it rather than block forever.
        return Err(raise(l, b"timeout during Lua debugging with client closing connection"));
    }
    if let Some(run) = host.scripting().run.as_mut() {
        run.start = Instant::now();
    }
    Ok(())
}

/// `ldbRepl`: serves debugger commands until one resumes the script. Ok(true) when the client went away (the
/// script then runs to its end without stopping); Err for `abort` and broken input.
fn repl<H: ScriptHost>(l: &mut Lua, host: &mut H) -> Result<bool, LuaError> {
    loop {
        let argv = loop {
            let Some(s) = session(host) else { return Ok(true) };
            match parse_command(&s.cbuf) {
                Parsed::Command(argv) => {
                    s.cbuf.clear();
                    break argv;
                }
                Parsed::ProtocolError => return Err(raise(l, b"protocol error")),
                Parsed::NeedMore => {
                    if !s.read_more() {
                        s.step = false;
                        s.bp.clear();
                        return Ok(true);
                    }
                    if s.cbuf.len() > MAX_INPUT {
                        s.cbuf = Vec::new();
                        return Err(raise(l, b"max client buffer reached"));
                    }
                }
            }
        };
        // Redis compares C strings: a NUL ends the command name.
        let name = argv[0].split(|&b| b == 0).next().unwrap_or_default().to_ascii_lowercase();
        match name.as_slice() {
            b"h" | b"help" => {
                if let Some(s) = session(host) {
                    for line in HELP {
                        s.log(*line);
                    }
                }
            }
            b"s" | b"step" | b"n" | b"next" => {
                if let Some(s) = session(host) {
                    s.step = true;
                }
                return Ok(false);
            }
            b"c" | b"continue" => return Ok(false),
            b"t" | b"trace" => trace(l, host),
            b"m" | b"maxlen" => {
                if let Some(s) = session(host) {
                    s.set_maxlen(&argv);
                }
            }
            b"b" | b"break" => {
                if let Some(s) = session(host) {
                    s.breakpoints(&argv);
                }
            }
            b"e" | b"eval" => eval(l, host, &argv),
            b"a" | b"abort" => return Err(raise(l, b"script aborted for user request")),
            b"r" | b"redis" if argv.len() > 1 => redis(l, host, &argv),
            b"p" | b"print" => {
                if argv.len() == 2 {
                    print_var(l, host, &argv[1]);
                } else {
                    print_all(l, host);
                }
            }
            b"l" | b"list" => {
                if let Some(s) = session(host) {
                    let mut around = s.currentline;
                    if let Some(a) = argv.get(1) {
                        let n = crate::util::atoll(a) as i32 as i64;
                        if n > 0 {
                            around = n;
                        }
                    }
                    let ctx = argv.get(2).map_or(5, |c| crate::util::atoll(c) as i32 as i64);
                    s.list(around, ctx);
                }
            }
            b"w" | b"whole" => {
                if let Some(s) = session(host) {
                    s.list(1, 1_000_000);
                }
            }
            _ => {
                if let Some(s) = session(host) {
                    s.log("<error> Unknown Redis Lua debugger command or wrong number of arguments.");
                }
            }
        }
        if let Some(s) = session(host) {
            s.send_logs();
        }
    }
}

/// `ldbTrace`: the Lua frames of the script, innermost first.
fn trace<H: ScriptHost>(l: &mut Lua, host: &mut H) {
    let mut lines = Vec::new();
    let mut level = 0;
    while let Some(info) = l.frame_info(level) {
        if info.short_src.contains("user_script") {
            let name = info.name.map_or_else(|| "top level".to_string(), |(_, n)| n);
            lines.push((format!("{} {name}:", if level == 0 { "In" } else { "From" }), info.current_line));
        }
        level += 1;
    }
    let Some(s) = session(host) else { return };
    for (head, line) in lines {
        s.log(head);
        s.log_source_line(line);
    }
    if level == 0 {
        s.log("<error> Can't retrieve Lua stack.");
    }
}

/// `ldbEval`: runs a fragment in a new call frame, as an expression first (`return <code>`), then as a
/// statement, and logs its first result or its error.
fn eval<H: ScriptHost>(l: &mut Lua, host: &mut H, argv: &[Vec<u8>]) {
    let code = argv[1..].join(&b' ');
    let mut expr = b"return ".to_vec();
    expr.extend_from_slice(&code);
    let f = match l.load(&expr, "@ldb_eval") {
        Ok(f) => f,
        Err(_) => match l.load(&code, "@ldb_eval") {
            Ok(f) => f,
            Err(e) => {
                let text = error_text(l, e.value);
                if let Some(s) = session(host) {
                    s.log(text);
                }
                return;
            }
        },
    };
    let (base, name) = (l.base, l.native_name);
    let result = l.call(host, f, &[]);
    l.base = base;
    l.native_name = name;
    let entry = match result {
        Ok(values) => {
            let mut e = b"<retval> ".to_vec();
            cat_value(l, &mut e, values.first().copied().unwrap_or(Value::Nil), 0);
            Ok(e)
        }
        Err(e) => Err(error_text(l, e.value)),
    };
    if let Some(s) = session(host) {
        match entry {
            Ok(e) => s.log_with_maxlen(e),
            Err(e) => s.log(e),
        }
    }
}

/// `"<error> "` and an error value: its text, or the `err` field of an error table.
fn error_text(l: &mut Lua, v: Value) -> Vec<u8> {
    let mut out = b"<error> ".to_vec();
    let v = match v {
        Value::Table(t) => l.get_field(t, "err"),
        v => v,
    };
    out.extend_from_slice(&l.to_bytes(v).unwrap_or_else(|| v.type_name().as_bytes().to_vec()));
    out
}

/// `ldbRedis`: runs a command through `redis.call` with logging on, so the command and its reply are logged.
fn redis<H: ScriptHost>(l: &mut Lua, host: &mut H, argv: &[Vec<u8>]) {
    let Value::Table(r) = l.get_global("redis") else { return };
    let call = l.get_field(r, "call");
    let args: Vec<Value> = argv[1..].iter().map(|a| l.new_str(a)).collect();
    if let Some(s) = session(host) {
        s.step = true;
    }
    let (base, name) = (l.base, l.native_name);
    // An error was logged by redis.call itself.
    let _ = l.call(host, call, &args);
    l.base = base;
    l.native_name = name;
    if let Some(s) = session(host) {
        s.step = false;
    }
}

/// `ldbPrint`: the first local named `name` from the running function outwards; then the globals KEYS and ARGV.
fn print_var<H: ScriptHost>(l: &mut Lua, host: &mut H, name: &[u8]) {
    let mut found = None;
    let mut level = 0;
    while let Some(locals) = l.frame_locals(level) {
        if let Some(&(_, v)) = locals.iter().find(|(n, _)| l.heap.str(*n) == name) {
            found = Some(v);
            break;
        }
        level += 1;
    }
    if found.is_none() && (name == b"KEYS" || name == b"ARGV") {
        let g = l.globals;
        let k = l.new_str(name);
        found = Some(l.raw_get(g, k));
    }
    let entry = found.map(|v| {
        let mut e = b"<value> ".to_vec();
        cat_value(l, &mut e, v, 0);
        e
    });
    let Some(s) = session(host) else { return };
    match entry {
        Some(e) => s.log_with_maxlen(e),
        None => s.log("No such variable."),
    }
}

/// `ldbPrintAll`: every local of the running function.
fn print_all<H: ScriptHost>(l: &mut Lua, host: &mut H) {
    let mut entries = Vec::new();
    for (n, v) in l.frame_locals(0).unwrap_or_default() {
        let mut e = b"<value> ".to_vec();
        e.extend_from_slice(l.heap.str(n));
        e.extend_from_slice(b" = ");
        cat_value(l, &mut e, v, 0);
        entries.push(e);
    }
    let Some(s) = session(host) else { return };
    if entries.is_empty() {
        s.log("No local variables in the current context.");
    }
    for e in entries {
        s.log_with_maxlen(e);
    }
}

/// `ldbCatStackValue`: a value as the debugger shows it (strings quoted and escaped, numbers as `%g`, tables as
/// `{a; b}` when they are arrays and `{[k]=v; ...}` otherwise).
pub fn cat_value(l: &mut Lua, out: &mut Vec<u8>, v: Value, level: usize) {
    if level == MAX_VALUES_DEPTH {
        out.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    let level = level + 1;
    match v {
        Value::Str(s) => crate::util::repr_into(out, l.heap.str(s)),
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Num(n) => crate::lua::number::fmt_g(n, 6, false, out),
        Value::Nil => out.extend_from_slice(b"nil"),
        Value::Table(t) => {
            let mut array = Vec::new();
            let mut full = Vec::new();
            let mut is_array = true;
            let mut expected = 1.0;
            let mut key = Value::Nil;
            while let Ok(Some((k, val))) = l.next(t, key) {
                if is_array && !matches!(k, Value::Num(n) if n == expected) {
                    is_array = false;
                }
                cat_value(l, &mut array, val, level);
                array.extend_from_slice(b"; ");
                full.push(b'[');
                cat_value(l, &mut full, k, level);
                full.extend_from_slice(b"]=");
                cat_value(l, &mut full, val, level);
                full.extend_from_slice(b"; ");
                expected += 1.0;
                key = k;
            }
            let body = if is_array { &mut array } else { &mut full };
            body.truncate(body.len().saturating_sub(2));
            out.push(b'{');
            out.extend_from_slice(body);
            out.push(b'}');
        }
        Value::Func(_) | Value::Thread(_) | Value::LightUserData(_) => {
            let a = l.address_string(v);
            let (kind, addr) = a.split_once(": ").unwrap_or(("unknown", "0x0"));
            let kind = if kind == "userdata" { "light-userdata" } else { kind };
            out.extend_from_slice(format!("\"{kind}@{addr}\"").as_bytes());
        }
    }
}

/// What `redis.call` logs of a command's reply: first `<error> -CODE msg` for every error in it (the conversion
/// to Lua logs them, `luaPushErrorBuff`), then `ldbLogRedisReply`'s entry, the reply in the debugger's human form.
pub struct ReplyLog {
    errors: Vec<Vec<u8>>,
    reply: Vec<u8>,
}

impl ReplyLog {
    pub fn new(reply: &[u8]) -> ReplyLog {
        let mut out = b"<reply> ".to_vec();
        let mut errors = Vec::new();
        protocol_to_human(&mut out, reply, &mut errors);
        ReplyLog { errors, reply: out }
    }

    pub fn log(self, s: &mut Session) {
        for e in self.errors {
            s.log(e);
        }
        s.log_with_maxlen(self.reply);
    }
}

/// `<redis> cmd args...` as `redis.call` logs a command (the first ten arguments).
pub fn log_command(s: &mut Session, argv: crate::args::Args) {
    let mut out = b"<redis>".to_vec();
    let n = argv.len();
    for (j, a) in argv.iter().enumerate() {
        if j == 10 {
            // Redis counts one argument too few here; kept for identical output.
            out.extend_from_slice(format!(" ... ({} more)", n - j - 1).as_bytes());
            break;
        }
        out.push(b' ');
        out.extend_from_slice(a);
    }
    s.log(out);
}

/// `ldbRedisProtocolToHuman`: one RESP value from `r` appended to `out` in the debugger's form; returns the bytes
/// it used (everything when the input is cut short).
fn protocol_to_human(out: &mut Vec<u8>, r: &[u8], errors: &mut Vec<Vec<u8>>) -> usize {
    let Some(&t) = r.first() else { return 0 };
    let Some(eol) = memchr::memmem::find(r, b"\r\n") else { return r.len() };
    let line = &r[1..eol];
    let after = eol + 2;
    let count = || crate::util::parse_i64(line).unwrap_or(0);
    match t {
        b':' | b'(' => {
            out.extend_from_slice(line);
            after
        }
        b'$' | b'=' => {
            let n = count();
            if n < 0 {
                out.extend_from_slice(b"NULL");
                return after;
            }
            let end = (after + n as usize).min(r.len());
            crate::util::repr_into(out, &r[after..end]);
            (end + 2).min(r.len())
        }
        b'+' | b'-' => {
            if t == b'-' {
                let mut e = b"<error> ".to_vec();
                e.extend_from_slice(&r[..eol]);
                errors.push(e);
            }
            crate::util::repr_into(out, &r[..eol]);
            after
        }
        b'*' | b'>' | b'~' => {
            let n = count();
            if n < 0 {
                out.extend_from_slice(b"NULL");
                return after;
            }
            out.extend_from_slice(if t == b'~' { b"~(" } else { b"[" });
            let mut p = after;
            for j in 0..n {
                p += protocol_to_human(out, &r[p.min(r.len())..], errors);
                if j != n - 1 {
                    out.push(b',');
                }
            }
            out.push(if t == b'~' { b')' } else { b']' });
            p
        }
        b'%' | b'|' => {
            let n = count();
            out.push(b'{');
            let mut p = after;
            for j in 0..n {
                p += protocol_to_human(out, &r[p.min(r.len())..], errors);
                out.extend_from_slice(b" => ");
                p += protocol_to_human(out, &r[p.min(r.len())..], errors);
                if j != n - 1 {
                    out.push(b',');
                }
            }
            out.push(b'}');
            p
        }
        b'_' => {
            out.extend_from_slice(b"(null)");
            after
        }
        b'#' => {
            out.extend_from_slice(if line.first() == Some(&b't') { b"#true" } else { b"#false" });
            after
        }
        b',' => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(line);
            after
        }
        _ => r.len(),
    }
}

/// `redis.breakpoint()`: inside a session, stop at the next line and return true; false otherwise.
pub fn breakpoint<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    let active = match any.downcast_mut::<H>().and_then(|h| session(h)) {
        Some(s) => {
            s.luabp = true;
            true
        }
        None => false,
    };
    l.push(Value::Bool(active));
    Ok(1)
}

/// `redis.debug(...)`: logs its arguments to the debugging client (`"<debug> line N: a, b"`); nothing outside a
/// session.
pub fn debug<H: ScriptHost>(l: &mut Lua, any: &mut dyn Any) -> Result<usize, LuaError> {
    let Some(host) = any.downcast_mut::<H>() else { return Ok(0) };
    let Some(line) = session(host).map(|s| s.currentline) else { return Ok(0) };
    let mut out = format!("<debug> line {line}: ").into_bytes();
    let n = l.nargs();
    for i in 1..=n {
        let v = l.arg(i);
        cat_value(l, &mut out, v, 0);
        if i != n {
            out.extend_from_slice(b", ");
        }
    }
    if let Some(s) = session(host) {
        s.log(out);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_parsing_is_redis_simple_parser() {
        assert_eq!(parse_command(b""), Parsed::NeedMore);
        assert_eq!(parse_command(b"*1\r\n$1\r\ns\r\n"), Parsed::Command(vec![b"s".to_vec()]));
        assert_eq!(parse_command(b"junk*1\r\n$1\r\ns\r\n"), Parsed::Command(vec![b"s".to_vec()]));
        assert_eq!(parse_command(b"*2\r\n$1\r\np\r\n"), Parsed::NeedMore);
        assert_eq!(parse_command(b"*1\r\n$3\r\nab"), Parsed::NeedMore);
        assert_eq!(parse_command(b"*1"), Parsed::NeedMore);
        assert_eq!(parse_command(b"step\r\n"), Parsed::ProtocolError);
        assert_eq!(parse_command(b"*0\r\n"), Parsed::ProtocolError);
        assert_eq!(parse_command(b"*1025\r\n"), Parsed::ProtocolError);
        assert_eq!(parse_command(b"*1\r\n$0\r\n\r\n"), Parsed::ProtocolError);
        assert_eq!(parse_command(b"*1\r\nx1\r\ns\r\n"), Parsed::ProtocolError);
        assert_eq!(parse_command(b"*1\r\n$1\r\nsxx"), Parsed::ProtocolError);
        assert_eq!(parse_command(b"*1\r\n$3\r\na\0b\r\n"), Parsed::Command(vec![b"a\0b".to_vec()]));
    }

    #[test]
    fn replies_in_human_form() {
        let h = |r: &[u8]| {
            let mut o = Vec::new();
            let used = protocol_to_human(&mut o, r, &mut Vec::new());
            (String::from_utf8(o).unwrap(), used)
        };
        assert_eq!(h(b"+PONG\r\n"), ("\"+PONG\"".into(), 7));
        assert_eq!(h(b"-ERR x\r\n").0, "\"-ERR x\"");
        assert_eq!(h(b":12\r\n").0, "12");
        assert_eq!(h(b"$-1\r\n").0, "NULL");
        assert_eq!(h(b"$3\r\na\nb\r\n").0, "\"a\\nb\"");
        assert_eq!(h(b"*2\r\n$1\r\nf\r\n$-1\r\n").0, "[\"f\",NULL]");
        assert_eq!(h(b"*0\r\n").0, "[]");
        assert_eq!(h(b"*-1\r\n").0, "NULL");
        assert_eq!(h(b"~1\r\n:1\r\n").0, "~(1)");
        assert_eq!(h(b"%1\r\n+a\r\n:1\r\n").0, "{\"+a\" => 1}");
        assert_eq!(h(b"_\r\n").0, "(null)");
        assert_eq!(h(b"#t\r\n").0, "#true");
        assert_eq!(h(b",1.5\r\n").0, "(double) 1.5");
        // Cut short: no panic, everything used.
        assert_eq!(h(b"*3\r\n:1\r\n").1, 8);
        assert_eq!(h(b"$10\r\nab").1, 7);
    }

    #[test]
    fn source_lines_and_breakpoints() {
        let mut s = Session::new(ClientWire::plain(-1), false, b"a\nb\r\nc\n\n");
        assert_eq!(s.src.len(), 3);
        s.currentline = 2;
        s.breakpoints(&[b"b".to_vec(), b"3".to_vec(), b"9".to_vec(), b"-1".to_vec(), b"x".to_vec()]);
        let logs: Vec<String> = s.logs.drain(..).map(|l| String::from_utf8(l).unwrap()).collect();
        assert_eq!(
            logs,
            [
                "-> 2   b\r",
                "  #3   c",
                "Wrong line number.",
                "No breakpoint in the specified line.",
                "Invalid argument:'x'"
            ]
        );
        s.breakpoints(&[b"b".to_vec()]);
        assert_eq!(s.logs[0], b"1 breakpoints set:");
        assert!(Session::new(ClientWire::plain(-1), false, b"\n\n").src.is_empty());
    }

    #[test]
    fn trimming_hints_once() {
        let mut s = Session::new(ClientWire::plain(-1), false, b"x");
        s.maxlen = 60;
        s.log_with_maxlen(vec![b'a'; 100]);
        s.log_with_maxlen(vec![b'a'; 100]);
        assert_eq!(s.logs.len(), 3);
        assert_eq!(s.logs[0].len(), 64);
        assert!(s.logs[1].starts_with(b"<hint>"));
    }
}
