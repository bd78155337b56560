//! The cluster bus message decoder over arbitrary bytes: a packet decodes or is refused, never a panic; what
//! decodes encodes back to a packet that decodes again, of the same type.
#![no_main]
use ferredis::cluster::msg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = msg::decode(data) {
        let again = m.encode();
        let back = msg::decode(&again);
        assert!(back.is_ok_and(|b| b.hdr.ty == m.hdr.ty && b.hdr.sender == m.hdr.sender));
    }
    if data.len() >= 8 {
        let first: [u8; 8] = data[..8].try_into().unwrap_or([0; 8]);
        if let Some(len) = msg::frame_len(&first) {
            assert!(len >= msg::HEADER_LEN);
        }
    }
});
