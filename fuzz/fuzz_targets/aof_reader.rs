//! The AOF loader's command reader over arbitrary bytes: every input ends in commands, a clean end, a truncation
//! (whose offset lies within the input) or a format error; never a panic.
#![no_main]
use ferredis::persist::aof::{AofReadError, AofReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = AofReader::new(std::io::BufReader::new(data));
    let mut argv = Vec::new();
    loop {
        match r.next_command(&mut argv) {
            Ok(true) => assert!(!argv.is_empty() && r.valid_up_to() <= data.len() as u64),
            Ok(false) => break,
            Err(AofReadError::Truncated { valid_up_to, .. }) => {
                assert!(valid_up_to <= data.len() as u64);
                break;
            }
            Err(_) => break,
        }
    }
});
