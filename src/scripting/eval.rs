//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and the script cache behind SCRIPT LOAD/EXISTS/FLUSH (Redis's eval.c).
//!
//! The cache maps a script's SHA-1 (lowercase hex) to its body, its shebang flags and its compiled function; the
//! function is also stored in the Lua registry under `f_<sha>` (as Redis does), which keeps it alive. The Lua
//! state is created on first use for the host type that runs it ([`super::HostLua`]); if another host type
//! shows up (unit tests), the state is rebuilt and every cached script recompiled, so the cache survives.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::{env, parse_shebang, run, HostLua, ScriptHost};
use crate::args::Args;
use crate::lua::value::Value;
use crate::net::client::{flags as cf, ClientState};
use crate::resp::reply::Reply;

/// One cached script.
pub struct Script {
    pub body: Vec<u8>,
    /// Shebang flags ([`super::script_flags`]).
    pub flags: u32,
    /// The compiled function (alive through the registry entry `f_<sha>`).
    pub func: Value,
}

/// The script cache's map (SHA-1 hex → script).
/// The key is a SHA-1 in hex, already uniformly spread: a keyed SipHash of 40 bytes per EVALSHA would cost more
/// than it protects (the keys are hashes of script bodies).
pub type ScriptMap = HashMap<[u8; 40], Script, BuildHasherDefault<crate::util::FastHasher>>;

/// EVAL's Lua state and script cache.
#[derive(Default)]
pub struct EvalState {
    /// The state; taken out while a script runs.
    pub lua: Option<HostLua>,
    pub scripts: ScriptMap,
    /// Bytes of the cached bodies and hashes (`used_memory_scripts_eval` adds the table's own overhead).
    pub scripts_mem: usize,
    /// The state's heap bytes when it was last put back (reported while it runs).
    pub vm_bytes: usize,
}

/// `luaCreateFunction`'s entry overhead per script (dict entry, script header, SHA string header).
const SCRIPT_ENTRY_OVERHEAD: usize = 24 + 16 + 9;

impl EvalState {
    /// `used_memory_vm_eval`: the Lua heap, in whole KiB as `lua_gc(LUA_GCCOUNT)` reports it.
    pub fn vm_memory(&self) -> usize {
        let bytes = match &self.lua {
            Some(h) => h.lua.used_memory(),
            None => self.vm_bytes,
        };
        bytes / 1024 * 1024
    }

    /// `used_memory_scripts_eval`.
    pub fn scripts_memory(&self) -> usize {
        self.scripts_mem + self.scripts.len() * SCRIPT_ENTRY_OVERHEAD + self.scripts.capacity() * 8
    }

    /// Empties the cache and drops the Lua state (SCRIPT FLUSH): the next script gets a fresh state.
    pub fn flush(&mut self) {
        self.scripts = ScriptMap::default();
        self.scripts_mem = 0;
        self.lua = None;
        self.vm_bytes = 0;
    }

    /// SCRIPT FLUSH ASYNC: empties the cache as [`EvalState::flush`] and returns the old cache and state for the
    /// lazy-free thread when the cache holds more than `threshold` scripts (Redis's `freeLuaScriptsAsync`; the
    /// state goes with it here, as it holds the scripts' compiled code). `None`: freed here.
    pub fn flush_async(&mut self, threshold: usize) -> Option<(Option<crate::lua::Lua>, ScriptMap)> {
        if self.scripts.len() <= threshold {
            self.flush();
            return None;
        }
        let scripts = std::mem::take(&mut self.scripts);
        let lua = self.lua.take().map(|h| *h.lua);
        self.flush();
        Some((lua, scripts))
    }

    /// Whether `sha` (any case) is cached.
    pub fn exists(&self, sha: &[u8]) -> bool {
        sha_key(sha).is_some_and(|k| self.scripts.contains_key(&k))
    }
}

/// A 40-character SHA in lowercase as a cache key.
pub fn sha_key(sha: &[u8]) -> Option<[u8; 40]> {
    if sha.len() != 40 {
        return None;
    }
    let mut k = [0u8; 40];
    for (d, s) in k.iter_mut().zip(sha) {
        *d = s.to_ascii_lowercase();
    }
    Some(k)
}

/// The cache key of a script body.
pub fn body_sha(body: &[u8]) -> [u8; 40] {
    let hex = crate::sha1::to_hex(&crate::sha1::sha1(body));
    let mut k = [0u8; 40];
    k.copy_from_slice(&hex.as_bytes()[..40]);
    k
}

/// The EVAL state for host `H`, created (or rebuilt for a new host type, recompiling the cache) as needed.
fn state_for<H: ScriptHost>(host: &mut H) -> HostLua {
    let ev = &mut host.scripting().eval;
    if let Some(h) = ev.lua.take() {
        if h.is_for::<H>() {
            return h;
        }
    }
    let mut hl = HostLua { lua: Box::new(env::new_state::<H>(true)), host: std::any::TypeId::of::<H>() };
    let ev = &mut host.scripting().eval;
    let mut dead = Vec::new();
    for (sha, s) in ev.scripts.iter_mut() {
        match compile(&mut hl, sha, &s.body) {
            Ok((f, _)) => s.func = f,
            Err(_) => dead.push(*sha),
        }
    }
    for sha in dead {
        ev.scripts.remove(&sha);
    }
    hl
}

/// Compiles a body (shebang skipped, its newline kept) into the registry as `f_<sha>`. Err: Redis's error text.
fn compile(hl: &mut HostLua, sha: &[u8; 40], body: &[u8]) -> Result<(Value, u32), String> {
    let (flags, shebang_len) = parse_shebang(body).map_err(|e| format!("ERR {e}"))?;
    let l = &mut hl.lua;
    match env::compile_chunk(l, &body[shebang_len..], env::EVAL_CHUNKNAME) {
        Ok(f) => {
            let reg = l.registry;
            let mut name = b"f_".to_vec();
            name.extend_from_slice(sha);
            let k = l.new_string(name);
            let _ = l.heap.raw_set(reg, k, f);
            Ok((f, flags))
        }
        Err(msg) => Err(format!("ERR Error compiling script (new function): {}", String::from_utf8_lossy(&msg))),
    }
}

/// `luaCreateFunction`: the cached script for `body`, compiling and caching it if new. Err: the error text.
pub fn create_function<H: ScriptHost>(host: &mut H, body: &[u8]) -> Result<[u8; 40], String> {
    let sha = body_sha(body);
    if host.scripting().eval.scripts.contains_key(&sha) {
        return Ok(sha);
    }
    // The shebang is checked before compiling (and its errors win over syntax errors).
    parse_shebang(body).map_err(|e| format!("ERR {e}"))?;
    let mut hl = state_for(host);
    let compiled = compile(&mut hl, &sha, body);
    let ev = &mut host.scripting().eval;
    ev.vm_bytes = hl.lua.used_memory();
    ev.lua = Some(hl);
    let (func, flags) = compiled?;
    ev.scripts_mem += 40 + body.len();
    ev.scripts.insert(sha, Script { body: body.to_vec(), flags, func });
    Ok(sha)
}

/// Which EVAL variant runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EvalKind {
    /// EVALSHA / EVALSHA_RO.
    pub sha: bool,
    /// EVAL_RO / EVALSHA_RO.
    pub ro: bool,
}

impl EvalKind {
    /// Which EVAL variant a table entry is, by its name (no subcommand is named like one); None for any other
    /// command. The server runs these with itself as the script host.
    pub fn of(cmd: &crate::command_spec::Command) -> Option<EvalKind> {
        match cmd.name {
            "eval" => Some(EvalKind { sha: false, ro: false }),
            "evalsha" => Some(EvalKind { sha: true, ro: false }),
            "eval_ro" => Some(EvalKind { sha: false, ro: true }),
            "evalsha_ro" => Some(EvalKind { sha: true, ro: true }),
            _ => None,
        }
    }
}

/// The shebang flags of the script an EVAL-family call names, if known without compiling (Redis's
/// `evalGetCommandFlags`): the dispatcher runs the call under [`super::command_with_script_flags`].
pub fn call_script_flags(scripting: &super::Scripting, kind: EvalKind, args: Args) -> Option<u32> {
    if args.len() < 2 {
        return None;
    }
    let script = args.get(1);
    let key = if kind.sha { sha_key(script)? } else { body_sha(script) };
    match scripting.eval.scripts.get(&key) {
        Some(s) => Some(s.flags),
        None if kind.sha => None,
        None => parse_shebang(script).ok().map(|(f, _)| f),
    }
}

/// EVAL/EVALSHA/EVAL_RO/EVALSHA_RO `script|sha numkeys [key ...] [arg ...]` for caller `c` (Redis's
/// `evalCommand`/`evalShaCommand`): in a Lua debugging session when the client asked for one with SCRIPT DEBUG.
/// The reply goes to `c.reply`.
pub fn eval_command<H: ScriptHost>(host: &mut H, c: &mut ClientState, args: Args, kind: EvalKind) {
    if !c.has(cf::LUA_DEBUG) {
        eval_generic(host, c, args, kind);
    } else if kind.sha {
        if args.get(1).len() != 40 {
            c.reply.error("NOSCRIPT No matching script. Please use EVAL.");
        } else {
            c.reply.error("ERR Please use EVAL instead of EVALSHA for debugging");
        }
    } else {
        eval_with_debugging(host, c, args, kind);
    }
}

/// Redis's `evalGenericCommandWithDebugging` (`ldbStartSession` + EVAL + `ldbEndSession`): with SCRIPT DEBUG YES
/// the session runs in a forked child, which replies and exits (the parent closes its side of the client);
/// with SYNC it runs here, blocking the server. Either way the connection is closed after EVAL's reply.
fn eval_with_debugging<H: ScriptHost>(host: &mut H, c: &mut ClientState, args: Args, kind: EvalKind) {
    use crate::sys::process::{self, Forked};
    let forked = !c.has(cf::LUA_DEBUG_SYNC);
    if forked {
        let started = std::time::Instant::now();
        match process::fork() {
            Err(e) => {
                c.reply.error(&format!(
                    "ERR Fork() failed: can't run EVAL in debugging mode: {}",
                    crate::sys::error_text(&e)
                ));
                c.flags &= !(cf::LUA_DEBUG | cf::LUA_DEBUG_SYNC);
                return;
            }
            Ok(Forked::Parent { child_pid }) => {
                host.record_fork(started.elapsed().as_micros() as u64);
                host.scripting().ldb_children.push(child_pid);
                // The child owns the conversation from here; this side goes away without a word.
                c.flags |= cf::CLOSE_ASAP;
                c.flags &= !(cf::LUA_DEBUG | cf::LUA_DEBUG_SYNC);
                return;
            }
            Ok(Forked::Child) => {
                process::ignore_shutdown_signals();
                process::setup_child_signal_handlers();
                crate::sys::socket::close_listening_sockets();
                host.enter_forked_child();
                crate::oom::enter_child();
                crate::log_warning!("Redis forked for debugging eval");
            }
        }
    } else {
        crate::log_warning!("Redis synchronous debugging eval session started");
    }
    // Over TLS the conversation goes through the client's session, which the server lent for this command.
    #[allow(unused_mut)]
    let mut wire = crate::net::conn::ClientWire::plain(c.fd);
    #[cfg(feature = "tls")]
    {
        wire.tls = host.scripting().lent_tls.take();
    }
    host.scripting().ldb = Some(Box::new(super::ldb::Session::new(wire, forked, args.get(1))));
    eval_generic(host, c, args, kind);
    let mut wire = match host.scripting().ldb.take() {
        Some(mut s) => {
            s.end();
            s.wire
        }
        None => crate::net::conn::ClientWire::plain(c.fd),
    };
    if forked {
        let _ = wire.write_all_timeout(c.reply.pending(), super::ldb::SEND_TIMEOUT_MS);
        crate::log_warning!("Lua debugging session child exiting");
        process::exit_child(0);
    }
    #[cfg(feature = "tls")]
    {
        host.scripting().lent_tls = wire.tls.take();
    }
    crate::log_warning!("Redis synchronous debugging eval session ended");
    c.flags |= cf::CLOSE_AFTER_REPLY;
}

/// Redis's `evalGenericCommand`.
fn eval_generic<H: ScriptHost>(host: &mut H, c: &mut ClientState, args: Args, kind: EvalKind) {
    if kind.sha && args.get(1).len() != 40 {
        c.reply.error("NOSCRIPT No matching script. Please use EVAL.");
        return;
    }
    let Some(numkeys) = crate::util::parse_i64(args.get(2)) else {
        c.reply.err_not_int();
        return;
    };
    if numkeys > args.len() as i64 - 3 {
        c.reply.error("ERR Number of keys can't be greater than number of args");
        return;
    }
    if numkeys < 0 {
        c.reply.error("ERR Number of keys can't be negative");
        return;
    }
    let sha = if kind.sha {
        sha_key(args.get(1))
    } else {
        match create_function(host, args.get(1)) {
            Ok(sha) => Some(sha),
            Err(e) => {
                c.reply.error(&e);
                return;
            }
        }
    };
    let found = sha.and_then(|k| host.scripting().eval.scripts.get(&k).map(|s| (k, s.func, s.flags)));
    let Some((sha, func, flags)) = found else {
        c.reply.error("NOSCRIPT No matching script. Please use EVAL.");
        return;
    };
    // A SHA is ASCII hex.
    let funcname = std::str::from_utf8(&sha).unwrap_or_default();
    let mut reply = std::mem::take(&mut c.reply);
    let prepared = run::prepare(&host.conditions(), c, funcname, flags, kind.ro, true, &mut reply);
    let Some(rctx) = prepared else {
        c.reply = reply;
        return;
    };
    let mut hl = state_for(host);
    let nk = numkeys as usize;
    let keys = args.skip(3).take(nk);
    let argv = args.skip(3 + nk);
    run::call_function(host, &mut hl.lua, rctx, func, keys, argv, &mut reply);
    c.reply = reply;
    let ev = &mut host.scripting().eval;
    ev.vm_bytes = hl.lua.used_memory();
    // A SCRIPT FLUSH while the script ran (refused by the dispatcher, but be safe) would have left no state.
    if ev.lua.is_none() {
        ev.lua = Some(hl);
    }
}

/// SCRIPT LOAD body.
pub fn script_load<H: ScriptHost>(host: &mut H, reply: &mut Reply, body: &[u8]) {
    match create_function(host, body) {
        Ok(sha) => reply.bulk(&sha),
        Err(e) => reply.error(&e),
    }
}

/// SCRIPT HELP lines (Redis 7.0's).
pub const SCRIPT_HELP: &[&str] = &[
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_keys() {
        assert_eq!(&body_sha(b"return 1"), b"e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
        assert_eq!(sha_key(b"E0E1F9FABFC9D4800C877A703B823AC0578FF8DB"), Some(body_sha(b"return 1")));
        assert_eq!(sha_key(b"abc"), None);
    }
}
