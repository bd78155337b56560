//! Work in progress on the lua-stdlib branch.
