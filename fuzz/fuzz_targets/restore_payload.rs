//! RESTORE payloads: arbitrary bytes (the CRC is recomputed so the fuzzer reaches the value decoder) give a value
//! or an error, never a panic; a value that loads dumps to a payload that loads again.
#![no_main]
use ferredis::persist::crc64::crc64;
use ferredis::persist::rdb::{dump_payload, restore_payload};
use ferredis::keyspace::types::Thresholds;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut p = data.to_vec();
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    let th = Thresholds::default();
    for sanitize in [false, true] {
        if let Ok(e) = restore_payload(b"k", &p, &th, sanitize) {
            let again = dump_payload(&e);
            restore_payload(b"k", &again, &th, sanitize).expect("our own payload restores");
        }
    }
});
