//! Redis 7.0's scripting surface on ferredis's own Lua interpreter ([`crate::lua`]): EVAL and the SCRIPT
//! command here, the FUNCTION family in `function.rs` on top of the same run machinery.
//!
//! # The run machinery (shared by EVAL and FCALL)
//! ```text
//!   EVAL/FCALL ──▶ run::prepare (declared flags → refusals; RunCtx) ──▶ run::call_function(host, lua, ctx, f,
//!                                                                       keys, args, caller's reply)
//!                                          │ lua.pcall(f, handler = __redis__err__handler), busy hook armed
//!                                          ▼
//!             redis.call ──▶ call::script_call ──▶ ScriptHost::call_command (the server): admission::admit
//!                              │   (Origin::Script: arity, noscript, stale, ACL, writes, OOM, Redis's texts),
//!                              │   then the server's call path, in the script client
//!                              ▼
//!                         reply bytes ──convert::reply_to_lua──▶ Lua value
//!   return value / error table ──convert::lua_to_reply / run::error_reply──▶ caller's reply (RESP2/RESP3)
//! ```
//!
//! # API (what EVAL uses and FCALL reuses)
//! - [`ScriptHost`]: what a script needs from the server. The server implements it (`server/scripting.rs`: the command
//!   runs through [`Server::call`](crate::server::Server::call), so statistics, MONITOR, SLOWLOG and propagation apply
//!   exactly as for a client's command; its admission is [`admission::admit`](crate::admission::admit) with the
//!   script's rules, run by the host, so scripting never names admission). The handler harness runs scripts through
//!   that same server (without sockets). The interpreter knows nothing of the host: it reaches the `redis.*` natives as
//!   the `&mut dyn Any` of [`Lua::call`], and the natives, generic over the host type, downcast it. A Lua state is
//!   built for one host type ([`HostLua`] records which).
//! - [`env::new_state::<H>(eval_mode)`](env::new_state): a Lua state as Redis 7.0 builds one (libraries, the `redis`
//!   table, Redis's `pcall`/`math.random`/`setmetatable`, the globals allow list, the "nonexistent global variable"
//!   metatable on `_G`, read-only tables, a heap cap). EVAL has one state
//!   ([`Scripting::eval`](crate::scripting::Scripting::eval)); functions build their own with `eval_mode = false` (no
//!   `redis.breakpoint`/`debug`/`replicate_commands`, no global error handler).
//! - [`run::prepare`]: Redis's `scriptPrepareForRun` (shebang flags against the server state, `*_RO`,
//!   stale/OOM/MISCONF/NOREPLICAS refusals written to the caller's reply) → a [`RunCtx`].
//! - [`run::call_function`]: runs one function for one caller: `KEYS`/`ARGV` as globals when the context has
//!   [`run_flags::EVAL_MODE`], as the two arguments otherwise; the error handler; the busy-script hook; the
//!   result or the error (`-ERR user_script:1: ... script: <name>, on @user_script:1.`) written to the reply.
//! - [`RunCtx`] is Redis's `scriptRunCtx`: flags of the running script (wrote, timed out, killed, read-only,
//!   allow-oom), the targets of `redis.set_repl`, the start time for `busy-reply-threshold`. [`Scripting::run`]
//!   holds it while a script runs; [`kill`] (SCRIPT KILL / FUNCTION KILL) sets its kill flag from another client
//!   served while the script is busy; [`Scripting::is_timedout`]/[`Scripting::busy_error`] drive the
//!   dispatcher's -BUSY.
//! - [`declared_flags_command`] / [`command_with_script_flags`]: the `&'static Command` an EVAL/FCALL of a script
//!   with declared flags is checked against by the dispatcher (Redis's `getCommandFlags`); [`parse_shebang`]
//!   reads those flags.
//!
//! # Invariants
//! - At most one script runs at a time ([`Scripting::run`](crate::scripting::Scripting::run) is `Some` exactly while
//!   one runs); a script client never runs EVAL/FCALL (they are `noscript`).
//! - A Lua state is taken out of [`Scripting`] while it runs and put back afterwards; a command that would need
//!   it meanwhile (SCRIPT LOAD, FUNCTION LOAD) is refused with -BUSY by the dispatcher before it can ask.
//! - Nothing here panics on script input: every failure is a Lua error or an error reply.
//!
//! Tested by the unit tests of each file (shebangs, conversions, the RNG, EVAL through the handler harness) and end
//! to end by tests/scripting/scripting.rs (replies compared byte for byte with redis-server over RESP2 and RESP3,
//! stats, busy scripts, propagation to the AOF and to replicas, MONITOR, SLOWLOG, CLIENT PAUSE).

#![forbid(unsafe_code)]

pub mod call;
pub mod convert;
pub mod env;
pub mod eval;
pub mod function;
pub mod function_lua;
pub mod ldb;
pub mod rand;
pub mod redis_lib;
pub mod run;

use std::any::Any;
use std::time::Instant;

use crate::acl::Acl;
use crate::args::Args;
use crate::command_spec::{Command, CommandTable};
use crate::config::Config;
use crate::lua::Lua;
use crate::net::client::ClientState;

/// Flags a script declares in its shebang (`#!lua flags=...`), Redis's `SCRIPT_FLAG_*`.
pub mod script_flags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    /// EVAL of a script without a shebang: the pre-7.0 behaviour (the command's own flags apply).
    pub const EVAL_COMPAT_MODE: u32 = 1 << 4;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 5;

    /// Names as shebangs and `FUNCTION LIST` spell them, in Redis's order.
    pub const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];

    /// The flag named `name`.
    pub fn by_name(name: &[u8]) -> Option<u32> {
        NAMES.iter().find(|(_, n)| n.as_bytes() == name).map(|&(f, _)| f)
    }
}

/// State flags of a running script (Redis's `SCRIPT_*` run-context flags).
pub mod run_flags {
    /// The script already ran a write command: it can no longer be killed or refused for OOM.
    pub const WRITE_DIRTY: u32 = 1 << 0;
    /// Past `busy-reply-threshold`: other clients are served (with -BUSY) while it runs.
    pub const TIMEDOUT: u32 = 1 << 3;
    /// SCRIPT KILL / FUNCTION KILL asked for it to stop.
    pub const KILLED: u32 = 1 << 4;
    /// EVAL_RO/FCALL_RO, or a `no-writes` script: write commands are refused.
    pub const READ_ONLY: u32 = 1 << 5;
    pub const ALLOW_OOM: u32 = 1 << 6;
    /// Started by EVAL/EVALSHA (not FCALL): decides the wording of errors, logs and -BUSY.
    pub const EVAL_MODE: u32 = 1 << 7;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 8;
}

/// `redis.set_repl` targets (Redis's `PROPAGATE_AOF` / `PROPAGATE_REPL`; the values scripts see).
pub const REPL_AOF: u8 = crate::propagate::TARGET_AOF;
pub const REPL_REPLICA: u8 = crate::propagate::TARGET_REPL;
pub const REPL_ALL: u8 = REPL_AOF | REPL_REPLICA;

/// -BUSY while an EVAL script runs past the threshold (and FUNCTION KILL during one).
pub const BUSY_EVAL_ERR: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// -BUSY while a function runs past the threshold (and SCRIPT KILL during one).
pub const BUSY_FUNCTION_ERR: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// Id of the script client (Redis's fake Lua client): never a real connection's id.
pub const SCRIPT_CLIENT_ID: u64 = u64::MAX - 1;

/// Redis's `scriptRunCtx`: one running script.
#[derive(Debug)]
pub struct RunCtx {
    /// The script's SHA-1 (EVAL) or the function's name (FCALL), as errors and logs name it.
    pub funcname: String,
    /// [`run_flags`].
    pub flags: u32,
    /// `redis.set_repl` targets for the commands the script runs ([`REPL_ALL`] by default).
    pub repl_flags: u8,
    /// Protocol the script client speaks (`redis.setresp`), 2 by default.
    pub resp: u8,
    pub start: Instant,
    /// Selected db of the caller when the script started; the script client starts there.
    pub db: usize,
    /// The caller's ACL user and name (commands run with its permissions).
    pub user_id: crate::acl::UserId,
    pub user: String,
    /// The caller must be obeyed (our master, the AOF loader): no write refusals, no kill.
    pub obey: bool,
    /// The caller is inside MULTI/EXEC.
    pub in_multi: bool,
    /// `maxmemory` was exceeded when the command started (Redis's `pre_command_oom_state`).
    pub pre_oom: bool,
}

impl RunCtx {
    #[inline]
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }
}

/// What a script needs from the server it runs in (see the module documentation). The host hands out the parts
/// a script touches, never the whole server state: scripting sits below the server state (it is one of its parts)
/// and so must not name it.
pub trait ScriptHost: Any {
    /// The scripting state: EVAL's Lua state and cache, the running script, the script client.
    fn scripting(&mut self) -> &mut Scripting;

    /// The function libraries (FUNCTION LOAD / FCALL).
    fn functions(&mut self) -> &mut function::Functions;

    /// The server's settings (`busy-reply-threshold`).
    fn config(&self) -> &Config;

    /// The ACL users (`redis.acl_check_cmd`).
    fn acl(&self) -> &Acl;

    /// The cached clock, in milliseconds (the script client's creation time).
    fn now_ms(&self) -> i64;

    /// What the server's state says about running a script now ([`run::prepare`]'s refusals).
    fn conditions(&self) -> run::Conditions;

    /// Counts a fork made for a forked debugging session (`SCRIPT DEBUG YES`), in the parent: statistics and the
    /// `fork` latency event, as for any fork.
    fn record_fork(&mut self, usec: u64);

    /// In the child of that fork, before the session goes on: lets go of what belongs to the parent (the cluster
    /// configuration's lock).
    fn enter_forked_child(&mut self);

    /// The host's command table (`rename-command` applied).
    fn commands(&self) -> &'static CommandTable;

    /// Runs one command of the running script in the script client `c` (its reply accumulates in `c.reply`): admission
    /// with the script's rules (Redis's `scriptCall` checks), then the host's full call path (statistics, MONITOR,
    /// SLOWLOG, propagation to the targets in [`RunCtx::repl_flags`](crate::scripting::RunCtx::repl_flags)). `Err` is
    /// the refusal's text for the script (`-CODE msg`, or a bare message for an ERR), already counted as a rejected
    /// call and an error reply. The host does the admission so that scripting, below it, does not import it.
    fn call_command(&mut self, c: &mut ClientState, args: Args) -> Result<(), String>;

    /// Serves other clients while a script runs past `busy-reply-threshold` (Redis's
    /// `processEventsWhileBlocked`). Hosts without an event loop do nothing. True when the server is shutting
    /// down meanwhile (SHUTDOWN NOSAVE from another client): the script is stopped.
    fn process_events_while_blocked(&mut self) -> bool;
}

/// The scripting state of a server (a part of the server state).
#[derive(Default)]
pub struct Scripting {
    /// EVAL's Lua state and script cache.
    pub eval: eval::EvalState,
    /// The running script, if any.
    pub run: Option<RunCtx>,
    /// The script client (Redis's fake Lua client), created on first use; taken out while it runs a command.
    pub client: Option<Box<ClientState>>,
    /// Redis's `redisLrand48` state behind `math.random`, shared by every Lua state and never reset (as in
    /// Redis 7.0, where it is a process-wide static).
    pub rng: rand::Lrand48,
    /// The argument vector `redis.call` builds, kept between calls for its buffers.
    pub argv: crate::args::OwnedArgs,
    /// The Lua debugging session of the running EVAL, if its client asked for one (`SCRIPT DEBUG`).
    pub ldb: Option<Box<ldb::Session>>,
    /// Pids of forked debugging sessions (`SCRIPT DEBUG YES`) not reaped yet.
    pub ldb_children: Vec<i32>,
    /// The TLS session of a debugging client, lent by the server while its EVAL runs (the debugger talks to
    /// the client directly) and taken back after it.
    #[cfg(feature = "tls")]
    pub lent_tls: Option<Box<crate::net::tls::Session>>,
}

impl Scripting {
    /// Whether a script is running past `busy-reply-threshold` (other clients get -BUSY).
    #[inline]
    pub fn is_timedout(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.has(run_flags::TIMEDOUT))
    }

    /// The -BUSY text for a refused command while a script is busy.
    pub fn busy_error(&self) -> &'static str {
        match &self.run {
            Some(r) if !r.has(run_flags::EVAL_MODE) => BUSY_FUNCTION_ERR,
            _ => BUSY_EVAL_ERR,
        }
    }
}

/// SCRIPT KILL (`is_eval`) / FUNCTION KILL: marks the running script to be stopped at its next hook, or the
/// error text (without the leading `-`) explaining why not (Redis's `scriptKill`).
pub fn kill(s: &mut Scripting, is_eval: bool) -> Result<(), &'static str> {
    let Some(r) = s.run.as_mut() else {
        return Err("NOTBUSY No scripts in execution right now.");
    };
    if r.obey {
        return Err("UNKILLABLE The busy script was sent by a master instance in the context of replication and \
                    cannot be killed.");
    }
    if r.has(run_flags::WRITE_DIRTY) {
        return Err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can \
                    either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE \
                    command.");
    }
    if is_eval && !r.has(run_flags::EVAL_MODE) {
        return Err(BUSY_FUNCTION_ERR);
    }
    if !is_eval && r.has(run_flags::EVAL_MODE) {
        return Err(BUSY_EVAL_ERR);
    }
    r.flags |= run_flags::KILLED;
    Ok(())
}

/// Redis's `evalExtractShebangFlags`: the flags of a `#!lua flags=...` first line and the shebang's length (the
/// script is compiled from there, keeping the newline so line numbers stay right). A script without a shebang
/// gets [`script_flags::EVAL_COMPAT_MODE`]. Errors are Redis's texts (without `ERR `).
pub fn parse_shebang(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((script_flags::EVAL_COMPAT_MODE, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    let parts = match crate::config::split_args(&body[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid engine in script shebang".into()),
    };
    if parts[0] != b"#!lua" {
        return Err(format!("Unexpected engine in script shebang: {}", String::from_utf8_lossy(&parts[0])));
    }
    let mut flags = 0;
    for p in &parts[1..] {
        let Some(list) = p.strip_prefix(b"flags=") else {
            return Err(format!("Unknown lua shebang option: {}", String::from_utf8_lossy(p)));
        };
        // sdssplitlen of an empty string yields no element: `flags=` declares no flag.
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match script_flags::by_name(name) {
                Some(f) => flags |= f,
                None => return Err(format!("Unexpected flag in script shebang: {}", String::from_utf8_lossy(name))),
            }
        }
    }
    Ok((flags, end))
}

/// Redis's `scriptFlagsToCmdFlags`: the command flags an EVAL/FCALL of a script with declared flags runs under
/// (the dispatcher's OOM, write, stale and CLIENT PAUSE checks use them).
pub fn script_cmd_flags(cmd_flags: u64, script: u32) -> u64 {
    use crate::command_spec::flag;
    let mut f = cmd_flags & !(flag::STALE | flag::DENYOOM | flag::WRITE);
    if script & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0 {
        f |= flag::DENYOOM;
    }
    if script & script_flags::NO_WRITES == 0 {
        f |= flag::WRITE;
    }
    if script & script_flags::ALLOW_STALE != 0 {
        f |= flag::STALE;
    }
    f & !flag::MAY_REPLICATE
}

/// `cmd` with the flags a script's declared flags give it: a copy of the table entry made once per distinct
/// (entry, flags) pair and kept for the life of the process (there are a handful), so the dispatcher can keep
/// passing `&'static Command` around. Scripts without a shebang run under the entry itself.
pub fn command_with_script_flags(cmd: &'static Command, script: u32) -> &'static Command {
    use std::sync::Mutex;
    if script & script_flags::EVAL_COMPAT_MODE != 0 {
        return cmd;
    }
    let flags = script_cmd_flags(cmd.flags, script);
    if flags == cmd.flags {
        return cmd;
    }
    type Variants = Vec<(usize, u64, &'static Command)>;
    /// Every (command, flags) variant made so far, made once and leaked: a `&'static Command` lives as long as the
    /// table it stands in for, and the set is bounded by commands × flag combinations scripts declare. Added to
    /// only here, when a script's call needs a variant not made yet (through [`declared_flags_command`], from
    /// admission). A static because the variants must live as long as the `'static` table entries they copy.
    static VARIANTS: Mutex<Variants> = Mutex::new(Vec::new());
    let mut v = match VARIANTS.lock() {
        Ok(v) => v,
        Err(p) => p.into_inner(),
    };
    let key = cmd as *const Command as usize;
    if let Some(&(_, _, c)) = v.iter().find(|(k, f, _)| *k == key && *f == flags) {
        return c;
    }
    let c: &'static Command = Box::leak(Box::new(Command { flags, ..*cmd }));
    v.push((key, flags, c));
    c
}

/// The table entry an EVAL-family or FCALL call is checked against: the flags declared by the script's shebang
/// (or the function's flags) replace the command's own (Redis's `evalGetCommandFlags` / `fcallGetCommandFlags`);
/// `cmd` itself for other commands and scripts without declared flags.
pub fn declared_flags_command(
    scripting: &Scripting,
    functions: &function::Functions,
    cmd: &'static Command,
    args: Args,
) -> &'static Command {
    let declared = match eval::EvalKind::of(cmd) {
        Some(kind) => eval::call_script_flags(scripting, kind, args),
        None if function::fcall_kind(cmd).is_some() => function::call_script_flags(functions, args),
        None => None,
    };
    match declared {
        Some(f) => command_with_script_flags(cmd, f),
        None => cmd,
    }
}

/// The Lua state of a host, tagged with the host type its `redis.*` natives were built for.
pub struct HostLua {
    pub lua: Box<Lua>,
    pub host: std::any::TypeId,
}

impl HostLua {
    /// Whether the natives of this state downcast to `H`.
    pub fn is_for<H: ScriptHost>(&self) -> bool {
        self.host == std::any::TypeId::of::<H>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_flags_and_errors() {
        assert_eq!(parse_shebang(b"return 1"), Ok((script_flags::EVAL_COMPAT_MODE, 0)));
        assert_eq!(parse_shebang(b"#!lua\nreturn 1"), Ok((0, 5)));
        assert_eq!(
            parse_shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1"),
            Ok((script_flags::NO_WRITES | script_flags::ALLOW_OOM, 31))
        );
        assert_eq!(parse_shebang(b"#!lua flags=\nx"), Ok((0, 12)));
        assert_eq!(parse_shebang(b"#!lua"), Err("Invalid script shebang".into()));
        assert_eq!(parse_shebang(b"#!python\n"), Err("Unexpected engine in script shebang: #!python".into()));
        assert_eq!(parse_shebang(b"#!lua name=x\n"), Err("Unknown lua shebang option: name=x".into()));
        assert_eq!(parse_shebang(b"#!lua flags=bad\n"), Err("Unexpected flag in script shebang: bad".into()));
    }

    #[test]
    fn declared_flags_replace_the_commands() {
        use crate::command_spec::flag;
        let eval = flag::NOSCRIPT | flag::SKIP_MONITOR | flag::MAY_REPLICATE | flag::NO_MANDATORY_KEYS | flag::STALE;
        let f = script_cmd_flags(eval, script_flags::NO_WRITES);
        assert_eq!(f & (flag::WRITE | flag::DENYOOM | flag::MAY_REPLICATE | flag::STALE), 0);
        let f = script_cmd_flags(eval, 0);
        assert_eq!(f & (flag::WRITE | flag::DENYOOM), flag::WRITE | flag::DENYOOM);
        let f = script_cmd_flags(eval, script_flags::ALLOW_OOM | script_flags::ALLOW_STALE);
        assert_eq!(f & (flag::WRITE | flag::DENYOOM | flag::STALE), flag::WRITE | flag::STALE);
    }

    #[test]
    fn kill_rules() {
        let mut s = Scripting::default();
        assert!(kill(&mut s, true).unwrap_err().starts_with("NOTBUSY"));
        s.run = Some(RunCtx {
            funcname: "f".into(),
            flags: run_flags::EVAL_MODE,
            repl_flags: REPL_ALL,
            resp: 2,
            start: Instant::now(),
            db: 0,
            user_id: Default::default(),
            user: "default".into(),
            obey: false,
            in_multi: false,
            pre_oom: false,
        });
        assert_eq!(kill(&mut s, false), Err(BUSY_EVAL_ERR));
        assert_eq!(kill(&mut s, true), Ok(()));
        assert!(s.run.as_ref().unwrap().has(run_flags::KILLED));
        s.run.as_mut().unwrap().flags |= run_flags::WRITE_DIRTY;
        assert!(kill(&mut s, true).unwrap_err().starts_with("UNKILLABLE Sorry"));
    }
}
