//! BF.LOADCHUNK's readers over arbitrary bytes: a header builds a filter that keeps every invariant or is refused
//! with RedisBloom's error; chunks at any iterator load or are refused, leaving the filter unchanged; never a
//! panic, never an allocation past the value limit.
#![no_main]
use ferredis::keyspace::types::prob::bloom::Bloom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input: a header, then a chunk fed at an iterator taken from the next 8 bytes.
    let split = (*data.first().unwrap_or(&0) as usize).min(data.len());
    let (hdr, rest) = data.split_at(split);
    let Ok(mut b) = Bloom::from_header(hdr.get(1..).unwrap_or(&[])) else { return };
    assert!(b.valid());
    if rest.len() >= 8 {
        let iter = i64::from_le_bytes(rest[..8].try_into().unwrap_or([0; 8]));
        let before = b.clone();
        if b.load_chunk(iter, &rest[8..]).is_err() {
            assert!(b == before);
        }
    }
    assert_eq!(Bloom::from_header(&b.encode_header()).map(|x| x.links.len()), Ok(b.links.len()));
    let _ = b.contains(rest);
});
