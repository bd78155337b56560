//! BF.LOADCHUNK's and CF.LOADCHUNK's readers over arbitrary bytes: a header builds a filter that keeps every
//! invariant or is refused with RedisBloom's error; chunks at any iterator load or are refused, leaving the filter
//! unchanged; never a panic, never an allocation past the value limit.
#![no_main]
use ferredis::keyspace::types::prob::bloom::Bloom;
use ferredis::keyspace::types::prob::cuckoo::{self, Cuckoo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input: a header, then a chunk fed at an iterator taken from the next 8 bytes. The
    // same bytes go to both readers.
    let split = (*data.first().unwrap_or(&0) as usize).min(data.len());
    let (hdr, rest) = data.split_at(split);
    let hdr = hdr.get(1..).unwrap_or(&[]);
    let chunk = (rest.len() >= 8).then(|| (i64::from_le_bytes(rest[..8].try_into().unwrap_or([0; 8])), &rest[8..]));
    if let Ok(mut b) = Bloom::from_header(hdr) {
        assert!(b.valid());
        if let Some((iter, bytes)) = chunk {
            let before = b.clone();
            if b.load_chunk(iter, bytes).is_err() {
                assert!(b == before);
            }
        }
        assert_eq!(Bloom::from_header(&b.encode_header()).map(|x| x.links.len()), Ok(b.links.len()));
        let _ = b.contains(rest);
    }
    if let Some(mut c) = Cuckoo::from_header(hdr) {
        if let Some((iter, bytes)) = chunk {
            let before = c.clone();
            if !c.load_chunk(iter, bytes) {
                assert!(c == before);
            }
        }
        let again = Cuckoo::from_header(&c.encode_header()).map(|x| x.filters.len());
        assert_eq!(again, Some(c.filters.len()));
        // Every chunk SCANDUMP would hand out, then lookups, a delete and an insert over what was loaded.
        let mut pos = 1i64;
        while let Some((next, bytes)) = c.chunk(pos) {
            assert!(!bytes.is_empty() && next > pos);
            pos = next;
        }
        let h = cuckoo::hash(rest);
        let _ = (c.contains(h), c.count(h));
        let _ = c.delete(h);
        let _ = c.insert(h, true);
    }
});
