//! Commands of the server family.
use super::Command;

pub static COMMANDS: &[Command] = &[];
