//! BSON input (`JSON.SET ... FORMAT BSON`) over arbitrary bytes: JSON text or the bson crate's error, never a
//! panic; the text is JSON our parser reads (or refuses for depth, as RedisJSON's parse would).
#![no_main]
use ferredis::keyspace::types::json::{bson, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = bson::to_json_text(data) {
        if let Err(e) = parse(&text) {
            assert!(e.0.starts_with("recursion limit exceeded"), "{text}: {}", e.0);
        }
    }
});
