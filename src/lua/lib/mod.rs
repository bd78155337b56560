//! The libraries a script sees, loaded the way Redis 7.0 loads them (`luaLoadLibraries` in `script_lua.c`):
//! base (with `coroutine`), `table`, `string`, `math`, and Redis's bundled `cjson`, `struct`, `cmsgpack` and
//! `bit`.
//!
//! What Redis 7.0 leaves out, and so does [`open_libs`]:
//! - `print`, `dofile`, `loadfile`: Redis's globals allow-list rejects them while the base library registers
//!   (they are on its deny list), so a script reading `print` hits the "nonexistent global variable" error.
//! - `getfenv`, `setfenv`, `newproxy`: absent from Redis 7.0.15 as shipped with the CVE-2025-46818 fix (the
//!   oracle build answers "nonexistent global variable" for all three).
//! - `debug`: Redis loads it only to build its error handler, then sets the global to nil; the handler lives in
//!   `crate::scripting`, so it is not opened here.
//! - `package`, `os`, `io`: never loaded by Redis.
//!
//! [`open_lua51_extras`] adds the stock Lua 5.1 globals Redis removes (`print`, `getfenv`, `setfenv`) for tests
//! that compare against the reference interpreter.
//!
//! `math.random`/`math.randomseed` are Redis's (`redisLrand48`), not the C library's: see [`math`].

pub mod base;
pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod coroutine;
pub mod format;
pub mod math;
pub mod pattern;
pub mod string;
pub mod struct_lib;
pub mod table;

use super::Lua;

/// Open every library a Redis 7.0 script sees into `l`'s globals and set the string metatable.
pub fn open_libs(l: &mut Lua) {
    base::open(l);
    coroutine::open(l);
    table::open(l);
    string::open(l);
    math::open(l);
    cjson::open(l);
    struct_lib::open(l);
    cmsgpack::open(l);
    bit::open(l);
}

/// The stock Lua 5.1 base functions Redis does not expose (`print`, `getfenv`, `setfenv`), for running the
/// reference test corpus.
pub fn open_lua51_extras(l: &mut Lua) {
    base::open_extras(l);
}
