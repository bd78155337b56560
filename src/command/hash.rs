pub static COMMANDS: &[super::Command] = &[];
