//! Scripting (EVAL and functions). TEMPORARY on branch `functions` until branch `scripting` lands its module.

pub mod function;
pub mod function_lua;

/// A Lua state set up for scripts.
pub fn new_lua_state() -> crate::lua::Lua {
    crate::lua::Lua::new()
}
