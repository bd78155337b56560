//! CRC-64/Jones, the checksum Redis puts at the end of RDB files and DUMP payloads.
//!
//! Parameters: polynomial 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor (so the
//! CRC of a concatenation can be computed incrementally by passing the previous result back in). Redis's own test
//! vector: `crc64(0, "123456789") == 0xe9c6d914c4b8d9ca`.
//!
//! Speed: slice-by-8 over four lanes. Eight 256-entry tables are built on first use; a step
//! folds eight input bytes with eight independent table lookups, about 8x the byte-at-a-time speed:
//!
//! ```text
//!   crc ^= next 8 bytes (LE)
//!   crc  = T7[b0] ^ T6[b1] ^ T5[b2] ^ T4[b3] ^ T3[b4] ^ T2[b5] ^ T1[b6] ^ T0[b7]
//! ```
//!
//! Each step needs the previous one's result, so one stream runs at the latency of that chain (its speed:
//! `benches/README.md`, "Figures the module docs point to"). A CRC without a final xor is linear, which lets a long
//! input be split: for blocks of `LANES` × `LANE` bytes,
//! the lanes' CRCs are computed side by side (four independent chains the CPU overlaps), the first from the
//! running CRC and the others from 0, then joined with
//!
//! ```text
//!   crc(c, A ‖ B) = shift(crc(c, A), |B|) ^ crc(0, B)
//! ```
//!
//! where `shift(x, n)`, the CRC of `n` zero bytes from state `x`, is linear in `x`: for the fixed `n` = `LANE`
//! it is a 64×64 bit matrix, applied as eight more 256-entry tables (built from the matrix's
//! columns). The RDB loader checksums every byte it reads, so this is on the load's path; about 1.7x the
//! one-lane speed here.
//!
//! Tests: the test vector, incremental == one-shot at every split, slice-by-8 == bitwise reference, lanes ==
//! one lane at sizes around the block.

/// The polynomial, bit-reversed (the reflected form the table algorithm uses).
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;
const _: () = assert!(POLY_REFLECTED == 0xad93_d235_94c9_35a9u64.reverse_bits());

const fn make_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut k = 0;
        while k < 8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
            k += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut s = 1;
        while s < 8 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            s += 1;
        }
        i += 1;
    }
    t
}

/// The slice-by-8 tables and the lane-shift tables (64 KiB together), built on first use rather than stored in the
/// binary: the static build has a size budget, and building them takes microseconds.
struct Tables {
    step: [[u64; 256]; 8],
    shift: [[u64; 256]; 8],
}

fn tables() -> &'static Tables {
    // Boxed: a `OnceLock` holding the arrays inline would itself be 32 KiB of initialised data in the binary.
    /// The tables, built by the first CRC-64 computed in the process (any thread) and read-only after: constants
    /// computed lazily, not state.
    static T: std::sync::OnceLock<Box<Tables>> = std::sync::OnceLock::new();
    T.get_or_init(|| Box::new(Tables { step: make_tables(), shift: make_shift_tables() }))
}

/// Lanes checksummed side by side.
const LANES: usize = 4;
/// Bytes per lane in a block (a multiple of 8).
const LANE: usize = 2048;

/// The tables of `x -> shift(x, LANE)` (see the module documentation): `shift[k][b]` is the image of byte `k`
/// of the state having value `b`.
const fn make_shift_tables() -> [[u64; 256]; 8] {
    let t = make_tables();
    // The matrix's columns: the image of each single-bit state after LANE zero bytes.
    let mut col = [0u64; 64];
    let mut bit = 0;
    while bit < 64 {
        let mut crc = 1u64 << bit;
        let mut n = 0;
        while n < LANE {
            crc = t[0][(crc & 0xff) as usize] ^ (crc >> 8);
            n += 1;
        }
        col[bit] = crc;
        bit += 1;
    }
    let mut out = [[0u64; 256]; 8];
    let mut k = 0;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let mut acc = 0u64;
            let mut j = 0;
            while j < 8 {
                if b & (1 << j) != 0 {
                    acc ^= col[k * 8 + j];
                }
                j += 1;
            }
            out[k][b] = acc;
            b += 1;
        }
        k += 1;
    }
    out
}

/// One slice-by-8 step: `crc` after the eight bytes `c`.
#[inline(always)]
fn step(t: &[[u64; 256]; 8], crc: u64, c: &[u8]) -> u64 {
    let v = crc ^ u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    t[7][(v & 0xff) as usize]
        ^ t[6][((v >> 8) & 0xff) as usize]
        ^ t[5][((v >> 16) & 0xff) as usize]
        ^ t[4][((v >> 24) & 0xff) as usize]
        ^ t[3][((v >> 32) & 0xff) as usize]
        ^ t[2][((v >> 40) & 0xff) as usize]
        ^ t[1][((v >> 48) & 0xff) as usize]
        ^ t[0][(v >> 56) as usize]
}

/// `shift(x, LANE)`: the state after LANE zero bytes.
#[inline(always)]
fn shift_lane(s: &[[u64; 256]; 8], x: u64) -> u64 {
    let mut r = 0;
    for (k, tk) in s.iter().enumerate() {
        r ^= tk[((x >> (8 * k)) & 0xff) as usize];
    }
    r
}

/// Extends `crc` over `data` (start with 0).
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    let tables = tables();
    let t = &tables.step;
    let mut blocks = data.chunks_exact(LANES * LANE);
    for b in &mut blocks {
        let (l0, rest) = b.split_at(LANE);
        let (l1, rest) = rest.split_at(LANE);
        let (l2, l3) = rest.split_at(LANE);
        let (mut c0, mut c1, mut c2, mut c3) = (crc, 0u64, 0u64, 0u64);
        for (((a, b), c), d) in
            l0.chunks_exact(8).zip(l1.chunks_exact(8)).zip(l2.chunks_exact(8)).zip(l3.chunks_exact(8))
        {
            c0 = step(t, c0, a);
            c1 = step(t, c1, b);
            c2 = step(t, c2, c);
            c3 = step(t, c3, d);
        }
        let s = &tables.shift;
        crc = shift_lane(s, shift_lane(s, shift_lane(s, c0) ^ c1) ^ c2) ^ c3;
    }
    let tail = blocks.remainder();
    let mut chunks = tail.chunks_exact(8);
    for c in &mut chunks {
        crc = step(t, crc, c);
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bitwise(mut crc: u64, data: &[u8]) -> u64 {
        for &b in data {
            crc ^= b as u64;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
            }
        }
        crc
    }

    #[test]
    fn redis_test_vector() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(crc64(0, b""), 0);
        // Redis's crc64 test: the "lorem ipsum" sentence (src/crc64.c).
        let li = b"This is a test of the emergency broadcast system.";
        assert_eq!(crc64(0, li), bitwise(0, li));
    }

    #[test]
    fn lanes_match_one_lane() {
        let data: Vec<u8> =
            (0..(5 * LANES * LANE) as u32 + 77).map(|i| (i.wrapping_mul(2654435761) >> 11) as u8).collect();
        let block = LANES * LANE;
        for len in [block - 1, block, block + 1, block + 8, 2 * block + 13, 3 * block, data.len()] {
            for start in [0, 1, 7] {
                let d = &data[start..len];
                for init in [0u64, 0x0123_4567_89ab_cdef] {
                    assert_eq!(crc64(init, d), bitwise(init, d), "len {len} start {start}");
                }
            }
        }
    }

    #[test]
    fn incremental_matches_one_shot_and_reference() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let whole = crc64(0, &data);
        assert_eq!(whole, bitwise(0, &data));
        for split in 0..data.len() {
            assert_eq!(crc64(crc64(0, &data[..split]), &data[split..]), whole, "split {split}");
        }
    }
}
