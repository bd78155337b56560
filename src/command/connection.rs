//! Commands of the connection family.
use super::Command;

pub static COMMANDS: &[Command] = &[];
