//! Work in progress on the lua-stdlib branch.

use crate::lua::Lua;

pub fn open(_l: &mut Lua) {}

pub fn open_extras(_l: &mut Lua) {}
