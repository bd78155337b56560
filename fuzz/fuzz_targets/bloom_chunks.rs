//! BF.LOADCHUNK's and CF.LOADCHUNK's readers over arbitrary bytes: a header builds a filter that keeps every
//! invariant or is refused with RedisBloom's error; chunks at any iterator load or are refused, leaving the filter
//! unchanged; never a panic, never an allocation past the value limit.
#![no_main]
use ferredis::keyspace::types::prob::bloom::Bloom;
use ferredis::keyspace::types::prob::cuckoo::{self, Cuckoo};
use libfuzzer_sys::fuzz_target;

/// Whether the filters a Cuckoo header asks for fit the fuzzer's memory (256 MB; libFuzzer stops at 2 GB, and the
/// target builds each filter twice). The server takes headers up to `prob::MAX_ALLOC_BYTES` (4 GiB), as RedisBloom
/// takes whatever it can allocate; the same sizes as `Cuckoo::from_header` computes them (`sub_buckets`).
fn cuckoo_fits(h: &[u8]) -> bool {
    let u64_at = |i: usize| h.get(i..i + 8).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    let u16_at = |i: usize| h.get(i..i + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
    let (num_buckets, num_filters) = (u64_at(8), u64_at(24) as u16);
    let (bucket_size, expansion) = (u16_at(32) as u64, u16_at(36) as f64);
    let mut total = 0u64;
    for i in 0..num_filters as i32 {
        let growth = expansion.powi(i);
        if growth >= 18_446_744_073_709_551_616.0 {
            return true;
        }
        let nb = num_buckets.wrapping_mul(growth as u64) & 0x00FF_FFFF_FFFF_FFFF;
        total = total.saturating_add(nb.saturating_mul(bucket_size));
        if total > 256 << 20 {
            return false;
        }
    }
    true
}

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
    if let Some(mut c) = cuckoo_fits(hdr).then(|| Cuckoo::from_header(hdr)).flatten() {
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
