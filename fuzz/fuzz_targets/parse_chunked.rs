//! Reads of pseudo-random sizes (derived from the input) must give exactly the commands/errors of one whole read.
#![no_main]
use ferredis::resp::parse::{parse_stream, parse_whole, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Tiny limits let short inputs reach the "too big" and limit paths too.
    for lim in [Limits::default(), Limits { max_inline_len: 16, max_bulk_len: 64, max_multibulk_len: 8 }] {
        let mut seed = data.iter().fold(0x9e37_79b9_u32, |h, &b| h.rotate_left(5) ^ b as u32) | 1;
        let chunked = parse_stream(data, &lim, |_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            1 + (seed % 9) as usize
        });
        assert_eq!(chunked, parse_whole(data, &lim));
    }
});
