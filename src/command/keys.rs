//! Commands of the keys family.
use super::Command;

pub static COMMANDS: &[Command] = &[];
