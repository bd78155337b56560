//! Lua and scripting: the compiler and standard library against lua5.1, the Redis Lua libraries, the corpus of Lua
//! programs, EVAL and FUNCTION against redis-server, the debugger, redis-py's Lock recipe.
//!
//! One test binary (`cargo test --test scripting`), one module per topic; the shared harness is `tests/common`
//! (tests/README.md).

#[path = "../common/mod.rs"]
mod common;

mod functions;
mod ldb;
mod lua_compile;
mod lua_corpus;
mod lua_redislibs;
mod lua_stdlib;
mod redis_lock;
mod scripting;
mod scripting_diff;
