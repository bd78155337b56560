//! Redis 7.0 functions: libraries of named functions loaded with `FUNCTION LOAD`, called with `FCALL`
//! (Redis's `functions.c`).
//!
//! ```text
//!   Functions
//!   ├── engine: LuaEngine            one Lua state for every library (function_lua.rs)
//!   └── ctx: LibCtx
//!       ├── libs:  name ──▶ Library { code (shebang included), functions: name ──▶ FunctionInfo }
//!       └── index: lowercased function name ──▶ library name
//! ```
//!
//! Invariants:
//! - Every function of every library of `ctx` is in `index` exactly once, under its lowercased name: function
//!   names are unique across libraries ignoring case (Redis's function dict is case-insensitive), library
//!   names are case-sensitive.
//! - A [`FunctionInfo::func_ref`] names a live slot of the engine's reference table; dropping a library (or a
//!   whole context) releases its slots through [`LuaEngine::unref`].
//! - A library's `code` is the exact text given to `FUNCTION LOAD` (what DUMP, the RDB and the AOF rewrite
//!   store, so a reload rebuilds the same library).
//! - Iteration order (LIST, DUMP, RDB) is library name order. Redis iterates a dict with a per-process random
//!   seed, so no client can depend on its order; a sorted order keeps our output reproducible.
//!
//! Creating a library follows `functionsCreateWithLibraryCtx`: metadata (`#!<engine> name=<lib>`), the name
//! check, the engine, the existing-library check, running the code (which registers functions), the
//! "No functions registered" check, and function-name collisions; on any failure the context is left as it
//! was (a replaced library is linked back). `FUNCTION RESTORE` builds a separate context from the payload and
//! joins it (`libraryJoin`), with the same all-or-nothing rule.
//!
//! Tested by the unit tests below (metadata parsing, names, the registry's join/replace/rollback rules, payload
//! framing) and by `tests/scripting/functions.rs` (differential against redis-server).

use super::function_lua::{LoadedFunction, LuaEngine};
use super::ScriptHost;
use crate::args::Args;
use crate::net::client::ClientState;
use crate::util::c_str;
use std::collections::{BTreeMap, HashMap};

/// For FCALL `Some(false)`, for FCALL_RO `Some(true)`: the server runs them with itself as the script host.
pub fn fcall_kind(cmd: &crate::command_spec::Command) -> Option<bool> {
    match cmd.name {
        "fcall" => Some(false),
        "fcall_ro" => Some(true),
        _ => None,
    }
}

/// The engine name FUNCTION LIST and STATS report (engine names match case-insensitively).
pub const LUA_ENGINE: &str = "LUA";

/// `FUNCTION LOAD`'s time budget for running a library's top-level code (Redis's `LOAD_TIMEOUT_MS`); loads
/// from the RDB, the AOF or a master run without one.
pub const LOAD_TIMEOUT_MS: u64 = 500;

/// Script flags (Redis's `SCRIPT_FLAG_*`, the bits of [`super::script_flags`]) as functions declare them in
/// `redis.register_function{flags=...}`.
pub mod flags {
    pub use crate::scripting::script_flags::{ALLOW_CROSS_SLOT, ALLOW_OOM, ALLOW_STALE, NAMES, NO_CLUSTER, NO_WRITES};

    /// The flag named `s`, ignoring case (`luaRegisterFunctionReadFlags` compares with `strcasecmp`).
    pub fn parse(s: &[u8]) -> Option<u32> {
        NAMES.iter().find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(s)).map(|(f, _)| *f)
    }
}

/// Why a library can't be created while a function runs.
const BUSY: &str = "a function is running";

const ERR_NAME: &str =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// One function of a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: Vec<u8>,
    pub desc: Option<Vec<u8>>,
    /// [`flags`] bits.
    pub flags: u32,
    /// The callback's slot in the engine's reference table.
    pub func_ref: i64,
}

/// A loaded library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    pub name: Vec<u8>,
    /// The whole payload given to FUNCTION LOAD, shebang line included.
    pub code: Vec<u8>,
    /// By name (case-sensitive, as within a Redis library).
    pub functions: BTreeMap<Vec<u8>, FunctionInfo>,
}

impl Library {
    /// Bytes this library's bookkeeping takes (Redis's `libraryMallocSize` plus its `functionMallocSize`s).
    fn overhead(&self) -> usize {
        let fns: usize = self
            .functions
            .values()
            .map(|f| std::mem::size_of::<FunctionInfo>() + f.name.len() + f.desc.as_ref().map_or(0, |d| d.len()) + 16)
            .sum();
        std::mem::size_of::<Library>() + self.name.len() + self.code.len() + fns
    }
}

/// The `#!<engine> name=<library>` line of a library payload (`functionExtractLibMetaData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub engine: Vec<u8>,
    pub name: Vec<u8>,
    /// Offset of the code the engine compiles: the newline ending the shebang line, so line numbers in error
    /// messages count the shebang as line 1.
    pub code_start: usize,
}

/// Parses the shebang line. Errors are Redis's texts.
pub fn parse_metadata(payload: &[u8]) -> Result<Metadata, String> {
    if !payload.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    // Redis reads the payload as a C string: a NUL before the newline hides it.
    let end = match payload.iter().position(|&c| c == b'\n' || c == 0) {
        Some(i) if payload[i] == b'\n' => i,
        _ => return Err("Invalid library metadata".into()),
    };
    let parts = match crate::persist::aof::manifest::split_args(&payload[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = parts[0].get(2..).unwrap_or_default().to_vec();
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!("Invalid metadata value given: {}", String::from_utf8_lossy(c_str(part))));
    }
    let Some(name) = name else { return Err("Library name was not given".into()) };
    Ok(Metadata { engine, name, code_start: end })
}

/// `functionsVerifyName`: `[A-Za-z0-9_]+`.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Libraries and the function index. The engine that compiled the functions is not part of it (see
/// [`Functions`]), so a context can be built aside (RESTORE) and joined or dropped.
#[derive(Debug, Default)]
pub struct LibCtx {
    libs: BTreeMap<Vec<u8>, Library>,
    index: HashMap<Vec<u8>, Vec<u8>>,
    /// Sum of the libraries' [`Library::overhead`] (Redis's `cache_memory`).
    overhead: usize,
}

impl LibCtx {
    pub fn libraries(&self) -> impl Iterator<Item = &Library> {
        self.libs.values()
    }

    pub fn library(&self, name: &[u8]) -> Option<&Library> {
        self.libs.get(name)
    }

    pub fn len(&self) -> usize {
        self.libs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.libs.is_empty()
    }

    pub fn function_count(&self) -> usize {
        self.index.len()
    }

    /// A function by name, ignoring case.
    pub fn function(&self, name: &[u8]) -> Option<&FunctionInfo> {
        let lib = self.index.get(&name.to_ascii_lowercase())?;
        let lib = self.libs.get(lib)?;
        lib.functions.values().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    fn link(&mut self, lib: Library) {
        for f in lib.functions.values() {
            self.index.insert(f.name.to_ascii_lowercase(), lib.name.clone());
        }
        self.overhead += lib.overhead();
        self.libs.insert(lib.name.clone(), lib);
    }

    fn unlink(&mut self, name: &[u8]) -> Option<Library> {
        let lib = self.libs.remove(name)?;
        for f in lib.functions.values() {
            self.index.remove(&f.name.to_ascii_lowercase());
        }
        self.overhead -= lib.overhead();
        Some(lib)
    }

    /// The first function of `lib` whose name is taken in this context (`Function x already exists`).
    fn collision<'a>(&self, lib: &'a Library) -> Option<&'a [u8]> {
        lib.functions.values().find(|f| self.index.contains_key(&f.name.to_ascii_lowercase())).map(|f| &f.name[..])
    }

    /// Every function slot of every library, emptying the context.
    fn drain_refs(&mut self) -> Vec<i64> {
        let refs = self.libs.values().flat_map(|l| l.functions.values().map(|f| f.func_ref)).collect();
        self.libs.clear();
        self.index.clear();
        self.overhead = 0;
        refs
    }

    /// Library codes in save order (RDB, DUMP, AOF rewrite).
    pub fn codes(&self) -> Vec<Vec<u8>> {
        self.libs.values().map(|l| l.code.clone()).collect()
    }
}

/// How `FUNCTION RESTORE` treats existing libraries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    /// Delete every existing library first.
    Flush,
    /// Add the libraries; a name collision fails the restore.
    Append,
    /// Add the libraries, replacing existing ones of the same name.
    Replace,
}

/// The host an engine is built for before a server sets its own ([`Functions::set_host`]): a type without values,
/// so the natives of such an engine can never run. Loading a library needs none of them (only
/// `redis.register_function` and `redis.log` exist then); a run rebuilds the engine for its host.
enum NoHost {}

impl ScriptHost for NoHost {
    fn scripting(&mut self) -> &mut super::Scripting {
        match *self {}
    }

    fn functions(&mut self) -> &mut Functions {
        match *self {}
    }

    fn config(&self) -> &crate::config::Config {
        match *self {}
    }

    fn acl(&self) -> &crate::acl::Acl {
        match *self {}
    }

    fn now_ms(&self) -> i64 {
        match *self {}
    }

    fn conditions(&self) -> super::run::Conditions {
        match *self {}
    }

    fn record_fork(&mut self, _: u64) {
        match *self {}
    }

    fn enter_forked_child(&mut self) {
        match *self {}
    }

    fn commands(&self) -> &'static crate::command_spec::CommandTable {
        match *self {}
    }

    fn call_command(&mut self, _: &mut ClientState, _: Args) -> Result<(), String> {
        match *self {}
    }

    fn process_events_while_blocked(&mut self) -> bool {
        match *self {}
    }
}

/// The server's functions: the engine and the current libraries.
pub struct Functions {
    /// The Lua state, built for one host type (see [`super::HostLua`]); `None` until first needed, and while a
    /// function runs (the state is taken out for the run).
    engine: Option<LuaEngine>,
    pub ctx: LibCtx,
    /// The command of the running FCALL (FUNCTION STATS shows it).
    pub running: Option<Vec<Vec<u8>>>,
    /// The state's heap bytes when it was last put back (reported while a function runs).
    vm_bytes: usize,
    /// The engine is out for a run: libraries can't be created meanwhile (their callbacks would land in another
    /// state). Commands that would do it are refused while a script runs anyway; this keeps any other path
    /// (a payload from a master served while busy) from corrupting the registry.
    taken: bool,
    /// Builds the engine for the host that will run functions (see [`Functions::set_host`]).
    make_engine: fn() -> LuaEngine,
}

impl Default for Functions {
    fn default() -> Self {
        Functions::new()
    }
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Functions").field("ctx", &self.ctx).finish_non_exhaustive()
    }
}

impl Functions {
    /// No libraries; the Lua state is made on first use (a server that never loads a function never builds it).
    pub fn new() -> Functions {
        Functions {
            engine: None,
            ctx: LibCtx::default(),
            running: None,
            vm_bytes: 0,
            taken: false,
            make_engine: LuaEngine::new::<NoHost>,
        }
    }

    /// The host type FCALL runs functions with (the server sets itself when it is built), so the engine is built
    /// once for it.
    pub fn set_host<H: ScriptHost>(&mut self) {
        self.make_engine = LuaEngine::new::<H>;
    }

    /// The engine, built for the configured host when there is none yet. Loading a library needs no host (only
    /// `redis.register_function` and `redis.log` exist then), so any engine will do; [`Functions::take_engine`]
    /// rebuilds it if another host type runs functions.
    fn any_engine(&mut self) -> &mut LuaEngine {
        let make = self.make_engine;
        self.engine.get_or_insert_with(make)
    }

    /// Takes the engine out for a run by host `H`. An engine built for another host type is replaced by one for
    /// `H` with every library loaded again (their code runs again; the libraries' functions get new slots).
    pub fn take_engine<H: ScriptHost>(&mut self) -> LuaEngine {
        self.taken = true;
        if let Some(e) = self.engine.take() {
            if e.is_for::<H>() {
                return e;
            }
        }
        let mut engine = LuaEngine::new::<H>();
        let codes = self.ctx.codes();
        self.ctx = LibCtx::default();
        for code in codes {
            if let Err(e) = create_in(&mut engine, &mut self.ctx, &code, false, 0) {
                crate::log_warning!("Failed to load a function library again in a new Lua state: {e}");
            }
        }
        engine
    }

    /// Puts the engine back after a run.
    pub fn put_engine(&mut self, engine: LuaEngine) {
        self.taken = false;
        self.vm_bytes = engine.used_memory();
        self.engine = Some(engine);
    }

    /// `FUNCTION LOAD [REPLACE] code`: creates (or replaces) a library in the current context; returns its name.
    /// `timeout_ms` 0 means no time limit (loads from the RDB, the AOF, a master).
    pub fn load(&mut self, code: &[u8], replace: bool, timeout_ms: u64) -> Result<Vec<u8>, String> {
        if self.taken {
            return Err(BUSY.into());
        }
        self.any_engine();
        let Functions { engine: Some(engine), ctx, .. } = self else { return Err("no engine".into()) };
        create_in(engine, ctx, code, replace, timeout_ms)
    }

    /// `FUNCTION DELETE`: false when there is no such library.
    pub fn delete(&mut self, name: &[u8]) -> bool {
        let Some(lib) = self.ctx.unlink(name) else { return false };
        if let Some(e) = self.engine.as_mut() {
            for f in lib.functions.values() {
                e.unref(f.func_ref);
            }
        }
        true
    }

    /// `FUNCTION FLUSH` (and the flush before a full resync or DEBUG RELOAD).
    pub fn flush(&mut self) {
        let refs = self.ctx.drain_refs();
        if let Some(e) = self.engine.as_mut() {
            for r in refs {
                e.unref(r);
            }
            e.collect();
        }
    }

    /// FUNCTION FLUSH ASYNC: when more than `threshold` functions are registered, the registry and the engine
    /// (which holds their code) are handed back for the lazy-free thread with the function count, and the next
    /// library gets a fresh engine (Redis's `freeFunctionsAsync` frees the old library context in the background
    /// and keeps its Lua state). Otherwise, or while the engine is out for a run, flushed here.
    pub fn flush_async(&mut self, threshold: usize) -> Option<(Option<crate::lua::Lua>, LibCtx, usize)> {
        let n = self.ctx.function_count();
        if n <= threshold || self.taken {
            self.flush();
            return None;
        }
        let libs = std::mem::take(&mut self.ctx);
        self.vm_bytes = 0;
        Some((self.engine.take().map(LuaEngine::into_lua), libs, n))
    }

    /// `FUNCTION RESTORE`: the libraries of `codes` (already taken from a payload), applied with `policy`.
    /// All or nothing.
    pub fn restore(&mut self, codes: &[Vec<u8>], policy: RestorePolicy) -> Result<(), String> {
        if self.taken {
            return Err(BUSY.into());
        }
        self.any_engine();
        let Functions { engine: Some(engine), ctx, .. } = self else { return Err("no engine".into()) };
        let mut tmp = LibCtx::default();
        for code in codes {
            if let Err(e) = create_in(engine, &mut tmp, code, false, 0) {
                release(engine, &mut tmp);
                return Err(e);
            }
        }
        if policy == RestorePolicy::Flush {
            let mut old = std::mem::replace(ctx, tmp);
            release(engine, &mut old);
            return Ok(());
        }
        match join(ctx, &mut tmp, policy == RestorePolicy::Replace) {
            Ok(replaced) => {
                for lib in replaced {
                    for f in lib.functions.values() {
                        engine.unref(f.func_ref);
                    }
                }
                Ok(())
            }
            Err(e) => {
                release(engine, &mut tmp);
                Err(e)
            }
        }
    }

    /// Libraries read from an RDB file (or a master's payload) become current. With `replace` (DEBUG RELOAD
    /// MERGE), a library of the same name is replaced; otherwise that fails the load, as in Redis.
    pub fn load_from_rdb(&mut self, codes: &[Vec<u8>], replace: bool) -> Result<(), String> {
        for code in codes {
            self.load(code, replace, 0)?;
        }
        Ok(())
    }

    /// Library and function counts for INFO / FUNCTION STATS.
    pub fn counts(&self) -> (usize, usize) {
        (self.ctx.len(), self.ctx.function_count())
    }

    /// `used_memory_vm_functions`: the functions Lua heap (Redis reports a fresh state's heap before any load).
    pub fn vm_memory(&self) -> usize {
        match &self.engine {
            Some(e) => e.used_memory(),
            None if self.vm_bytes > 0 => self.vm_bytes,
            None => LuaEngine::EMPTY_HEAP_BYTES,
        }
    }

    /// `used_memory_functions`: the registry's overhead (Redis's `functionsMemoryOverhead`: 200 bytes with no
    /// library, plus the function dict entries and the libraries' bookkeeping).
    pub fn overhead_memory(&self) -> usize {
        let n = self.ctx.index.len();
        let slots = if n == 0 { 0 } else { n.next_power_of_two() * std::mem::size_of::<usize>() };
        200 + n * 3 * std::mem::size_of::<usize>() + slots + self.ctx.overhead
    }
}

/// The script flags of the function an FCALL names, if it exists (Redis's `fcallGetCommandFlags`): the
/// dispatcher runs the call under [`super::command_with_script_flags`].
pub fn call_script_flags(functions: &Functions, args: Args) -> Option<u32> {
    if args.len() < 2 {
        return None;
    }
    functions.ctx.function(args.get(1)).map(|f| f.flags)
}

/// FCALL / FCALL_RO `function numkeys [key ...] [arg ...]` for caller `c` with host `H` (Redis's
/// `fcallCommandGeneric`); the reply goes to `c.reply`.
pub fn fcall_command<H: ScriptHost>(host: &mut H, c: &mut ClientState, args: Args, ro: bool) {
    if host.functions().ctx.function(args.get(1)).is_none() {
        return c.reply.error("ERR Function not found");
    }
    let Some(numkeys) = crate::util::parse_i64(args.get(2)) else {
        return c.reply.error("ERR Bad number of keys provided");
    };
    if numkeys > args.len() as i64 - 3 {
        return c.reply.error("ERR Number of keys can't be greater than number of args");
    }
    if numkeys < 0 {
        return c.reply.error("ERR Number of keys can't be negative");
    }
    let mut engine = host.functions().take_engine::<H>();
    let fns = &host.functions();
    let Some((name, flags, func_ref)) = fns.ctx.function(args.get(1)).map(|f| (f.name.clone(), f.flags, f.func_ref))
    else {
        // Only if a library failed to load again in a rebuilt state.
        host.functions().put_engine(engine);
        return c.reply.error("ERR Function not found");
    };
    let funcname = String::from_utf8_lossy(&name).into_owned();
    let mut reply = std::mem::take(&mut c.reply);
    let prepared = super::run::prepare(&host.conditions(), c, &funcname, flags, ro, false, &mut reply);
    let Some(rctx) = prepared else {
        c.reply = reply;
        host.functions().put_engine(engine);
        return;
    };
    let f = engine.function_value(func_ref);
    host.functions().running = Some(args.iter().map(|a| a.to_vec()).collect());
    let nk = numkeys as usize;
    let keys = args.skip(3).take(nk);
    let argv = args.skip(3 + nk);
    super::run::call_function(host, &mut engine.lua, rctx, f, keys, argv, &mut reply);
    c.reply = reply;
    let fs = &mut host.functions();
    fs.running = None;
    fs.put_engine(engine);
}

/// Chunk name of library code (errors read `user_function:2: ...`).
pub const CHUNKNAME: &str = "@user_function";

/// Releases a context's function slots.
fn release(engine: &mut LuaEngine, ctx: &mut LibCtx) {
    for r in ctx.drain_refs() {
        engine.unref(r);
    }
}

/// `functionsCreateWithLibraryCtx`.
fn create_in(
    engine: &mut LuaEngine,
    ctx: &mut LibCtx,
    code: &[u8],
    replace: bool,
    timeout_ms: u64,
) -> Result<Vec<u8>, String> {
    let md = parse_metadata(code)?;
    if !valid_name(&md.name) {
        return Err(ERR_NAME.into());
    }
    if !md.engine.eq_ignore_ascii_case(LUA_ENGINE.as_bytes()) {
        return Err(format!("Engine '{}' not found", String::from_utf8_lossy(&md.engine)));
    }
    let old = if ctx.libs.contains_key(&md.name) {
        if !replace {
            return Err(format!("Library '{}' already exists", String::from_utf8_lossy(&md.name)));
        }
        ctx.unlink(&md.name)
    } else {
        None
    };
    let relink = |ctx: &mut LibCtx, old: Option<Library>| {
        if let Some(o) = old {
            ctx.link(o);
        }
    };
    let loaded = match engine.create(&code[md.code_start..], timeout_ms) {
        Ok(fs) => fs,
        Err(e) => {
            relink(ctx, old);
            return Err(e);
        }
    };
    let mut lib = Library { name: md.name.clone(), code: code.to_vec(), functions: BTreeMap::new() };
    for LoadedFunction { name, desc, flags, func_ref } in loaded {
        lib.functions.insert(name.clone(), FunctionInfo { name, desc, flags, func_ref });
    }
    if lib.functions.is_empty() {
        relink(ctx, old);
        return Err("No functions registered".into());
    }
    if let Some(name) = ctx.collision(&lib) {
        let e = format!("Function {} already exists", String::from_utf8_lossy(c_str(name)));
        for f in lib.functions.values() {
            engine.unref(f.func_ref);
        }
        relink(ctx, old);
        return Err(e);
    }
    ctx.link(lib);
    if let Some(o) = old {
        for f in o.functions.values() {
            engine.unref(f.func_ref);
        }
    }
    Ok(md.name)
}

/// `libraryJoin`: moves every library of `src` into `dst`. A library name already in `dst` fails the join unless
/// `replace`; a function name collision fails it either way. On failure `dst` is as before and `src` keeps its
/// libraries. On success returns the libraries `src` replaced (their slots are the caller's to release).
fn join(dst: &mut LibCtx, src: &mut LibCtx, replace: bool) -> Result<Vec<Library>, String> {
    let mut old = Vec::new();
    let names: Vec<Vec<u8>> = src.libs.keys().cloned().collect();
    let mut err = None;
    for name in &names {
        if dst.libs.contains_key(name) {
            if !replace {
                err = Some(format!("Library {} already exists", String::from_utf8_lossy(c_str(name))));
                break;
            }
            if let Some(l) = dst.unlink(name) {
                old.push(l);
            }
        }
    }
    if err.is_none() {
        for lib in src.libs.values() {
            if let Some(f) = dst.collision(lib) {
                err = Some(format!("Function {} already exists", String::from_utf8_lossy(c_str(f))));
                break;
            }
        }
    }
    if let Some(e) = err {
        for l in old {
            dst.link(l);
        }
        return Err(e);
    }
    let libs = std::mem::take(&mut src.libs);
    src.index.clear();
    src.overhead = 0;
    for (_, lib) in libs {
        dst.link(lib);
    }
    Ok(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_parsing_follows_redis() {
        let md = parse_metadata(b"#!lua name=mylib\nreturn 1").unwrap();
        assert_eq!((md.engine.as_slice(), md.name.as_slice(), md.code_start), (&b"lua"[..], &b"mylib"[..], 16));
        assert_eq!(parse_metadata(b"#!LUA NAME=x\n").unwrap().name, b"x");
        assert_eq!(parse_metadata(b"--lua\n").unwrap_err(), "Missing library metadata");
        assert_eq!(parse_metadata(b"#!lua name=b").unwrap_err(), "Invalid library metadata");
        assert_eq!(parse_metadata(b"#!lua\0name=b\n").unwrap_err(), "Invalid library metadata");
        assert_eq!(parse_metadata(b"#!lua \"name=b\n").unwrap_err(), "Invalid library metadata");
        assert_eq!(parse_metadata(b"#!lua\n").unwrap_err(), "Library name was not given");
        assert_eq!(
            parse_metadata(b"#!lua name=a name=b\n").unwrap_err(),
            "Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(parse_metadata(b"#!lua name=a foo=1\n").unwrap_err(), "Invalid metadata value given: foo=1");
        // Quoting as sdssplitargs does.
        assert_eq!(parse_metadata(b"#!lua \"name=a b\"\n").unwrap().name, b"a b");
        let md = parse_metadata(b"#! name=a\n").unwrap();
        assert_eq!(md.engine, b"");
    }

    #[test]
    fn names() {
        assert!(valid_name(b"abc_AZ09"));
        assert!(!valid_name(b""));
        assert!(!valid_name(b"a-b"));
        assert!(!valid_name(b"a\0b"));
    }

    fn lib(name: &str, fns: &[&str], base_ref: i64) -> Library {
        let mut functions = BTreeMap::new();
        for (i, f) in fns.iter().enumerate() {
            functions.insert(
                f.as_bytes().to_vec(),
                FunctionInfo { name: f.as_bytes().to_vec(), desc: None, flags: 0, func_ref: base_ref + i as i64 },
            );
        }
        Library { name: name.as_bytes().to_vec(), code: format!("#!lua name={name}\n").into_bytes(), functions }
    }

    #[test]
    fn index_is_case_insensitive_and_join_is_all_or_nothing() {
        let mut dst = LibCtx::default();
        dst.link(lib("a", &["f", "G"], 1));
        assert_eq!(dst.function(b"g").map(|f| f.func_ref), Some(2));
        assert_eq!(dst.function(b"F").map(|f| f.func_ref), Some(1));
        assert!(dst.function(b"h").is_none());

        // Same library name without replace.
        let mut src = LibCtx::default();
        src.link(lib("a", &["x"], 10));
        assert_eq!(join(&mut dst, &mut src, false).unwrap_err(), "Library a already exists");
        assert_eq!((dst.len(), src.len()), (1, 1));

        // A function collision (ignoring case) with a library that stays rolls the replacement back; the
        // functions of a replaced library do not collide.
        dst.link(lib("c", &["h"], 5));
        let mut src = LibCtx::default();
        src.link(lib("a", &["G"], 10));
        src.link(lib("b", &["H"], 20));
        assert_eq!(join(&mut dst, &mut src, true).unwrap_err(), "Function H already exists");
        assert_eq!(dst.function(b"f").map(|f| f.func_ref), Some(1));
        assert_eq!(dst.function_count(), 3);
        dst.unlink(b"c");

        // Replace succeeds and hands back the replaced library.
        let mut src = LibCtx::default();
        src.link(lib("a", &["x"], 10));
        src.link(lib("b", &["y"], 20));
        let old = join(&mut dst, &mut src, true).unwrap();
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].name, b"a");
        assert!(src.is_empty());
        assert_eq!((dst.len(), dst.function_count()), (2, 2));
        assert!(dst.function(b"f").is_none());
        assert_eq!(dst.codes(), vec![b"#!lua name=a\n".to_vec(), b"#!lua name=b\n".to_vec()]);
        let before = dst.overhead;
        let refs = dst.drain_refs();
        assert!(before > 0 && dst.overhead == 0);
        assert_eq!(refs.len(), 2);
    }

    #[test]
    fn flag_names() {
        assert_eq!(flags::parse(b"NO-WRITES"), Some(flags::NO_WRITES));
        assert_eq!(flags::parse(b"allow-cross-slot-keys"), Some(flags::ALLOW_CROSS_SLOT));
        assert_eq!(flags::parse(b"nope"), None);
    }
}
