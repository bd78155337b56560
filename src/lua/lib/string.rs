//! Work in progress on the lua-stdlib branch.

use crate::lua::Lua;

pub fn open(_l: &mut Lua) {}
