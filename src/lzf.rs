//! LZF compression, compatible with liblzf 3.6 as Redis builds it (`HLOG` 16, `VERY_FAST`, `CHECK_INPUT`), for
//! RDB string compression.
//!
//! Compressed format (a sequence of runs):
//!
//! ```text
//!   000LLLLL <L+1 literal bytes>          literal run, 1..32 bytes
//!   LLLooooo oooooooo                     back reference, length L+2 (3..8), offset o+1 (1..8192)
//!   111ooooo LLLLLLLL oooooooo            back reference, length L+9 (9..264), offset o+1
//! ```
//!
//! The compressor follows liblzf's algorithm step by step (same 3-byte hash, same match rules, same "very fast"
//! re-hashing after a match, same output-space checks), so for the same input it finds the same matches and
//! gives up in the same cases. One difference: liblzf leaves its hash table uninitialized (stale slots may point
//! anywhere), while here every call starts from an empty table. The table is kept between calls in a
//! [`Compressor`] and "emptied" in O(1) by a generation offset: a slot holds `base + position`, and slots below
//! the current `base` belong to earlier calls. So compressing a 30-byte string does not clear 256 KiB.
//!
//! Decompression checks every bound and returns an error instead of reading or writing outside the buffers.
//!
//! Tests: round trips of many shapes of input, hand-checked encodings, every truncation/corruption of a
//! compressed buffer (error, never a panic), and the give-up rule Redis relies on (`out_len` too small).

#![forbid(unsafe_code)]

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline(always)]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// A reusable compressor (its hash table is 256 KiB; keep one per writer).
pub struct Compressor {
    htab: Vec<u32>,
    /// Slots below `base` are empty (left by earlier calls).
    base: u32,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor::new()
    }
}

impl Compressor {
    pub fn new() -> Compressor {
        Compressor { htab: vec![0; HSIZE], base: 1 }
    }

    /// Compresses `input` into `out`, which is cleared first; `out_len` is the most output accepted. Returns the
    /// compressed length, or 0 when the result would not fit in `out_len` bytes (liblzf's `lzf_compress`).
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>, out_len: usize) -> usize {
        out.clear();
        let in_len = input.len();
        if in_len == 0 || out_len == 0 {
            return 0;
        }
        // Positions are stored as base + pos in u32 slots; restart the generations before they could wrap.
        if in_len as u64 + self.base as u64 + 2 >= u32::MAX as u64 {
            self.htab.iter_mut().for_each(|s| *s = 0);
            self.base = 1;
        }
        if in_len as u64 + 2 >= u32::MAX as u64 {
            return 0;
        }
        let base = self.base;
        self.base += in_len as u32 + 1;
        out.resize(out_len + 4, 0);
        let o = &mut out[..];
        let out_end = out_len;
        let ip_end = in_len;
        let mut ip = 0usize;
        let mut op = 1usize; // room for the first run's control byte
        let mut lit = 0usize;
        let htab = &mut self.htab[..];

        let frst = |p: usize| ((input[p] as u32) << 8) | input[p + 1] as u32;
        let next = |v: u32, p: usize| (v << 8) | input[p + 2] as u32;

        if in_len >= 2 {
            let mut hval = frst(ip);
            while ip + 2 < ip_end {
                hval = next(hval, ip);
                let slot = idx(hval);
                let stored = htab[slot];
                htab[slot] = base + ip as u32;
                // A slot from this call, strictly before ip, not at position 0 (liblzf's `ref > in_data`).
                let candidate = if stored > base { Some((stored - base) as usize) } else { None };
                let matched = match candidate {
                    Some(r) if r < ip && ip - r - 1 < MAX_OFF => {
                        input[r + 2] == input[ip + 2] && input[r] == input[ip] && input[r + 1] == input[ip + 1]
                    }
                    _ => false,
                };
                if matched {
                    let r = candidate.unwrap_or(0);
                    let off = ip - r - 1;
                    let mut len = 2usize;
                    let maxlen = (ip_end - ip - len).min(MAX_REF);
                    if op + 3 + 1 >= out_end && op - usize::from(lit == 0) + 3 + 1 >= out_end {
                        return 0;
                    }
                    o[op - lit - 1] = (lit as u8).wrapping_sub(1);
                    op -= usize::from(lit == 0);
                    // liblzf's scan: 16 unconditional steps when there is room (they may run up to 2 bytes past
                    // `maxlen`, to the end of the input), then one step at a time up to `maxlen`.
                    let mut mismatch = false;
                    if maxlen > 16 {
                        for _ in 0..16 {
                            len += 1;
                            if input[r + len] != input[ip + len] {
                                mismatch = true;
                                break;
                            }
                        }
                    }
                    if !mismatch {
                        loop {
                            len += 1;
                            if !(len < maxlen && input[r + len] == input[ip + len]) {
                                break;
                            }
                        }
                    }
                    len -= 2; // octets - 1
                    ip += 1;
                    if len < 7 {
                        o[op] = ((off >> 8) + (len << 5)) as u8;
                        op += 1;
                    } else {
                        o[op] = ((off >> 8) + (7 << 5)) as u8;
                        o[op + 1] = (len - 7) as u8;
                        op += 2;
                    }
                    o[op] = off as u8;
                    op += 1;
                    lit = 0;
                    op += 1; // start a run
                    ip += len + 1;
                    if ip + 2 >= ip_end {
                        break;
                    }
                    // VERY_FAST: re-hash the two positions before ip.
                    ip -= 2;
                    hval = frst(ip);
                    hval = next(hval, ip);
                    htab[idx(hval)] = base + ip as u32;
                    ip += 1;
                    hval = next(hval, ip);
                    htab[idx(hval)] = base + ip as u32;
                    ip += 1;
                } else {
                    if op >= out_end {
                        return 0;
                    }
                    lit += 1;
                    o[op] = input[ip];
                    op += 1;
                    ip += 1;
                    if lit == MAX_LIT {
                        o[op - lit - 1] = (lit - 1) as u8;
                        lit = 0;
                        op += 1;
                    }
                }
            }
        }
        if op + 3 > out_end {
            return 0;
        }
        // The literal copy of the main loop again, for the last bytes (no match can start there), as liblzf has it:
        // the main loop's copy is its hot path and stays inline there.
        while ip < ip_end {
            lit += 1;
            o[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                o[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
        o[op - lit - 1] = (lit as u8).wrapping_sub(1);
        op -= usize::from(lit == 0);
        out.truncate(op);
        op
    }
}

thread_local! {
    /// This thread's compressor and output buffer, shared by the RDB writer and quicklist node compression:
    /// reused by every [`with_compressor`] call (a nested call gets a fresh pair). Per thread by nature: a scratch
    /// buffer that spares an allocation and a hash-table reset per compressed value, holding no state between calls.
    static SHARED: std::cell::RefCell<(Compressor, Vec<u8>)> = std::cell::RefCell::new((Compressor::new(), Vec::new()));
}

/// Runs `f` with this thread's compressor and a scratch output buffer (a fresh pair if they are in use).
pub fn with_compressor<R>(f: impl FnOnce(&mut Compressor, &mut Vec<u8>) -> R) -> R {
    SHARED.with(|cell| match cell.try_borrow_mut() {
        Ok(mut g) => {
            let (c, out) = &mut *g;
            f(c, out)
        }
        Err(_) => f(&mut Compressor::new(), &mut Vec::new()),
    })
}

/// Compresses with a fresh table (convenience for tests and one-off callers).
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut c = Compressor::new();
    let mut out = Vec::new();
    match c.compress(input, &mut out, out_len) {
        0 => None,
        _ => Some(out),
    }
}

/// Why a decompression failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The output would exceed the expected length.
    OutputTooLong,
    /// A run or reference reaches outside the input or before the start of the output.
    Corrupt,
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    check_len(input, out_len)?;
    let mut out = vec![0u8; out_len];
    decompress_into(input, &mut out)?;
    Ok(out)
}

/// A 3-byte back reference expands to at most 264 bytes: anything claiming more is corrupt, and the check keeps a
/// forged length from turning into a huge allocation. Callers allocating the output check this first.
pub fn check_len(input: &[u8], out_len: usize) -> Result<(), LzfError> {
    if out_len > input.len().saturating_mul(MAX_REF / 3 + 1) {
        return Err(LzfError::OutputTooLong);
    }
    Ok(())
}

/// Decompresses `input` into `out`, which it must fill exactly.
pub fn decompress_into(input: &[u8], out: &mut [u8]) -> Result<(), LzfError> {
    let out_len = out.len();
    let mut op = 0usize;
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < (1 << 5) {
            let n = ctrl + 1;
            if op + n > out_len {
                return Err(LzfError::OutputTooLong);
            }
            if ip + 32 <= input.len() && op + 32 <= out_len {
                // A run is at most 32 bytes: copy 32 (a fixed-size move, no memcpy call); the bytes past the run
                // are overwritten by what follows.
                out[op..op + 32].copy_from_slice(&input[ip..ip + 32]);
            } else {
                let lit = input.get(ip..ip + n).ok_or(LzfError::Corrupt)?;
                out[op..op + n].copy_from_slice(lit);
            }
            op += n;
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            let mut back = (ctrl & 0x1f) << 8;
            if len == 7 {
                len += *input.get(ip).ok_or(LzfError::Corrupt)? as usize;
                ip += 1;
            }
            back += *input.get(ip).ok_or(LzfError::Corrupt)? as usize;
            ip += 1;
            let len = len + 2;
            if op + len > out_len {
                return Err(LzfError::OutputTooLong);
            }
            let start = op.checked_sub(back + 1).ok_or(LzfError::Corrupt)?;
            let dist = op - start;
            if len <= 16 && dist >= len && op + 16 <= out_len {
                // Most references are short: one fixed-size 16-byte move through a temporary. The source's first
                // `len` bytes are all written already (the distance is at least `len`); the bytes past them land
                // where what follows overwrites them.
                let t = <[u8; 16]>::try_from(&out[start..start + 16]).unwrap_or_default();
                out[op..op + 16].copy_from_slice(&t);
            } else if dist >= 16 && op + len + 16 <= out_len {
                // Sixteen bytes at a time: each chunk reads only bytes written before it (the distance is at
                // least sixteen), so this is the byte-by-byte copy's result.
                let mut i = 0;
                while i < len {
                    let t = <[u8; 16]>::try_from(&out[start + i..start + i + 16]).unwrap_or_default();
                    out[op + i..op + i + 16].copy_from_slice(&t);
                    i += 16;
                }
            } else if start + len <= op {
                out.copy_within(start..start + len, op);
            } else {
                // Overlapping copy: byte by byte, each byte may be one just written.
                for i in 0..len {
                    out[op + i] = out[start + i];
                }
            }
            op += len;
        }
    }
    if op != out_len {
        return Err(LzfError::Corrupt);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roundtrip(data: &[u8]) {
        let c = compress(data, data.len() + data.len() / 32 + 64).expect("room for literal runs");
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
    }

    #[test]
    fn known_encodings() {
        // 21 x 'a': two literals, then a back reference of 19 at offset 1 (bytes from Redis 7.0.15's DUMP).
        let c = compress(&[b'a'; 21], 17).unwrap();
        assert_eq!(c, vec![0x01, b'a', b'a', 0xe0, 0x0a, 0x00]);
        // The same sentence twice, as Redis 7.0.15 compresses it (DUMP of a SET value).
        let fox = b"The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog.";
        let redis: [u8; 55] = [
            0x1f, 0x54, 0x68, 0x65, 0x20, 0x71, 0x75, 0x69, 0x63, 0x6b, 0x20, 0x62, 0x72, 0x6f, 0x77, 0x6e, 0x20, 0x66,
            0x6f, 0x78, 0x20, 0x6a, 0x75, 0x6d, 0x70, 0x73, 0x20, 0x6f, 0x76, 0x65, 0x72, 0x20, 0x74, 0x20, 0x1e, 0x0a,
            0x6c, 0x61, 0x7a, 0x79, 0x20, 0x64, 0x6f, 0x67, 0x2e, 0x20, 0x54, 0x20, 0x0d, 0xe0, 0x1d, 0x2c, 0x01, 0x67,
            0x2e,
        ];
        assert_eq!(compress(fox, fox.len() - 4).unwrap(), redis);
        assert_eq!(decompress(&redis, fox.len()).unwrap(), fox);
        assert_eq!(decompress(&c, 21).unwrap(), vec![b'a'; 21]);
        // Incompressible input with too little room gives up (Redis then stores the string verbatim).
        let abc: Vec<u8> = (0..32u8).collect();
        assert_eq!(compress(&abc, abc.len() - 4), None);
        roundtrip(&abc);
    }

    #[test]
    fn shapes_round_trip() {
        roundtrip(b"x");
        roundtrip(b"xy");
        roundtrip(b"xyz");
        roundtrip(&[0u8; 100_000]);
        let text = b"The quick brown fox jumps over the lazy dog. ".repeat(500);
        roundtrip(&text);
        let c = compress(&text, text.len() - 4).unwrap();
        assert!(c.len() < text.len() / 10);
        let mut rng = crate::util::Rng::new(3);
        let noise: Vec<u8> = (0..5000).map(|_| rng.next_u64() as u8).collect();
        roundtrip(&noise);
        // Reusing a compressor gives the same output as a fresh one.
        let mut cmp = Compressor::new();
        let mut out = Vec::new();
        for _ in 0..3 {
            cmp.compress(&text, &mut out, text.len());
            assert_eq!(out, compress(&text, text.len()).unwrap());
        }
    }

    #[test]
    fn corrupt_inputs_error() {
        let text = b"hello hello hello hello hello hello".to_vec();
        let c = compress(&text, text.len()).unwrap();
        for cut in 0..c.len() {
            assert!(decompress(&c[..cut], text.len()).is_err());
        }
        assert!(decompress(&c, text.len() - 1).is_err());
        assert!(decompress(&c, text.len() + 1).is_err());
        // A back reference before the start of the output.
        assert_eq!(decompress(&[0x20, 0x05], 3), Err(LzfError::Corrupt));
        for i in 0..c.len() {
            for v in [0u8, 0x1f, 0x20, 0xe0, 0xff] {
                let mut d = c.clone();
                d[i] = v;
                let _ = decompress(&d, text.len());
            }
        }
    }

    proptest! {
        #[test]
        fn random_round_trip(data in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..3000)) {
            if let Some(c) = compress(&data, data.len() + data.len() / 32 + 40) {
                prop_assert_eq!(decompress(&c, data.len()).unwrap(), data);
            } else {
                prop_assert!(data.is_empty());
            }
        }
    }
}
