//! PLACEHOLDER owned by the `lua-redislibs` branch, which replaces this file; it exists only so that
//! `lib/mod.rs` compiles before that branch is merged.

use crate::lua::Lua;

pub fn open(_l: &mut Lua) {}
