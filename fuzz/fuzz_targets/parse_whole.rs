//! The whole input in one read: the parser must not panic, and the consumed bytes must be within the input.
#![no_main]
use ferredis::resp::parse::{parse_whole, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A small inline limit lets the fuzzer reach the "too big" paths with short inputs.
    for lim in [Limits::default(), Limits { max_inline_len: 16, max_bulk_len: 64, max_multibulk_len: 8 }] {
        let t = parse_whole(data, &lim);
        assert!(t.consumed <= data.len());
    }
});
