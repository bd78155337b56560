//! The keyed hash every dict uses (wyhash-style: 64x64→128-bit multiply-fold rounds over 16-byte blocks, keyed
//! by the dict's seed). Pure functions of their input, no state.

const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

#[inline(always)]
fn mum(a: u64, b: u64) -> (u64, u64) {
    let r = (a as u128) * (b as u128);
    (r as u64, (r >> 64) as u64)
}

#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    let (lo, hi) = mum(a, b);
    lo ^ hi
}

#[inline(always)]
fn r8(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

#[inline(always)]
fn r4(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(w) as u64
}

/// Keyed 64-bit hash of `key` (wyhash-style: multiply-fold rounds over 16-byte blocks, keyed by `seed`).
#[inline]
pub fn hash_with(seed: u64, key: &[u8]) -> u64 {
    let len = key.len();
    let mut s = seed ^ mix(seed ^ P0, P1);
    let (a, b);
    if len <= 16 {
        if len >= 4 {
            let q = (len >> 3) << 2;
            a = (r4(key, 0) << 32) | r4(key, q);
            b = (r4(key, len - 4) << 32) | r4(key, len - 4 - q);
        } else if len > 0 {
            a = ((key[0] as u64) << 16) | ((key[len >> 1] as u64) << 8) | key[len - 1] as u64;
            b = 0;
        } else {
            a = 0;
            b = 0;
        }
    } else {
        let mut p = 0;
        let mut left = len;
        if left > 48 {
            let (mut s1, mut s2) = (s, s);
            while left > 48 {
                s = mix(r8(key, p) ^ P1, r8(key, p + 8) ^ s);
                s1 = mix(r8(key, p + 16) ^ P2, r8(key, p + 24) ^ s1);
                s2 = mix(r8(key, p + 32) ^ P3, r8(key, p + 40) ^ s2);
                p += 48;
                left -= 48;
            }
            s ^= s1 ^ s2;
        }
        while left > 16 {
            s = mix(r8(key, p) ^ P1, r8(key, p + 8) ^ s);
            p += 16;
            left -= 16;
        }
        a = r8(key, p + left - 16);
        b = r8(key, p + left - 8);
    }
    let (a, b) = mum(a ^ P1, b ^ s);
    mix(a ^ P0 ^ len as u64, b ^ P1)
}
