//! Arbitrary bytes run as a Lua script with every library Redis opens, under the limits a script runs with in
//! the server: a 32 MB heap, the default call-depth bounds, and an instruction-count hook that kills the script
//! after a few million instructions. Whatever the script does (syntax errors, runtime errors, errors in error
//! handlers, coroutines, metamethods, deep nesting, huge strings), the interpreter returns a result or an error,
//! never panics, and a full collection afterwards leaves a state that still runs code.
//!
//! Seeds: `fuzz/corpus/lua_run/`, one file per program of the language corpus `tests/lua/`, written there by
//! `fuzz/seed-lua.sh` when `make fuzz` runs (not committed: the tests are the one copy).
#![no_main]
use std::any::Any;

use ferredis::lua::value::{ErrorKind, LuaError, Value};
use ferredis::lua::{lib, Lua};
use libfuzzer_sys::fuzz_target;

const HEAP_LIMIT: usize = 32 << 20;
const HOOK_INTERVAL: u32 = 10_000;
/// Hook calls before the script is killed: 2 million instructions.
const MAX_TICKS: u32 = 200;

/// Compile and wrap a chunk the way the server does (`Lua::load`, named `@user_script`).
fn load(l: &mut Lua, source: &[u8], name: &str) -> Option<Value> {
    l.load(source, name).ok()
}

struct Host {
    ticks: u32,
}

fn hook(_l: &mut Lua, host: &mut dyn Any) -> Result<(), LuaError> {
    if let Some(h) = host.downcast_mut::<Host>() {
        h.ticks += 1;
        if h.ticks > MAX_TICKS {
            return Err(LuaError::new(ErrorKind::Killed, Value::Nil));
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut l = Lua::new();
    lib::open_libs(&mut l);
    l.heap.limit = HEAP_LIMIT;
    l.hook = Some(hook);
    l.hook_interval = HOOK_INTERVAL;
    l.vm.hook_left = HOOK_INTERVAL;
    let mut host = Host { ticks: 0 };
    if let Some(f) = load(&mut l, data, "@user_script") {
        match l.call(&mut host, f, &[]) {
            Ok(results) => {
                // Convert what came back the way the server does before replying (tostring may run __tostring).
                for v in results {
                    let _ = l.tostring(&mut host, v);
                }
            }
            Err(e) => {
                let _ = l.error_text(&e);
            }
        }
    }
    l.full_gc();
    // The state is still usable after whatever the script did (with the memory it may have filled to the limit
    // lifted, so the check itself cannot run out).
    host.ticks = 0;
    l.heap.limit = usize::MAX;
    let f =
        load(&mut l, b"local t = {} for i = 1, 10 do t[i] = i end return #t", "=check").expect("check chunk compiles");
    let r = l.call(&mut host, f, &[]).expect("check chunk runs");
    assert!(matches!(r.first(), Some(Value::Num(n)) if *n == 10.0), "check chunk returned {r:?}");
});
