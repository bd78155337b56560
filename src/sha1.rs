//! SHA-1 (FIPS 180-4), for `DEBUG DIGEST`, script hashes (`EVALSHA`) and `redis.sha1hex`.
//!
//! A streaming hasher: [`Sha1::update`] takes any number of byte slices, [`Sha1::finish`] pads and returns the 20-byte
//! digest. State is five 32-bit words plus one pending 64-byte block ([`Blocks`]):
//!
//! ```text
//!   h[0..5]  running hash        block[0..64]  bytes not yet compressed (block_len of them)
//!   total_len  bytes seen so far (the padding encodes it in bits, big-endian, in the last 8 bytes)
//! ```
//!
//! The block buffering and padding ([`Blocks`]) serve [`crate::sha256`] as well: the two differ only in their
//! state words and compression function.
//!
//! SHA-1 is broken for collision resistance; Redis uses it only as a content fingerprint, and so do we.
//! Tested below with the FIPS/RFC 3174 vectors, the million-`a` vector, and split-point independence.

#![forbid(unsafe_code)]

/// The digest length in bytes.
pub const DIGEST_LEN: usize = 20;
/// The block length of SHA-1 and SHA-256.
pub(crate) const BLOCK_LEN: usize = 64;

/// The message framing SHA-1 and SHA-256 share (FIPS 180-4, 5.1.1 and 6.x.2): 64-byte blocks, the bytes not yet
/// compressed, and the final padding (`0x80`, zeros to 56 mod 64, the length in bits, big-endian). Each hash hands
/// in its own compression function.
#[derive(Clone)]
pub(crate) struct Blocks {
    block: [u8; BLOCK_LEN],
    block_len: usize,
    total_len: u64,
}

impl Blocks {
    pub(crate) const fn new() -> Blocks {
        Blocks { block: [0; BLOCK_LEN], block_len: 0, total_len: 0 }
    }

    /// Feeds more bytes, compressing each block as it fills.
    pub(crate) fn update(&mut self, mut data: &[u8], mut compress: impl FnMut(&[u8; BLOCK_LEN])) {
        self.total_len = self.total_len.wrapping_add(data.len() as u64);
        if self.block_len > 0 {
            let take = (BLOCK_LEN - self.block_len).min(data.len());
            self.block[self.block_len..self.block_len + take].copy_from_slice(&data[..take]);
            self.block_len += take;
            data = &data[take..];
            if self.block_len < BLOCK_LEN {
                return;
            }
            compress(&self.block);
            self.block_len = 0;
        }
        let mut chunks = data.chunks_exact(BLOCK_LEN);
        for c in &mut chunks {
            let mut b = [0u8; BLOCK_LEN];
            b.copy_from_slice(c);
            compress(&b);
        }
        let rest = chunks.remainder();
        self.block[..rest.len()].copy_from_slice(rest);
        self.block_len = rest.len();
    }

    /// Pads the message and compresses the last block(s).
    pub(crate) fn finish(mut self, mut compress: impl FnMut(&[u8; BLOCK_LEN])) {
        let bits = self.total_len.wrapping_mul(8);
        let mut pad = [0u8; BLOCK_LEN * 2];
        pad[0] = 0x80;
        let pad_len = if self.block_len < 56 { 56 - self.block_len } else { 120 - self.block_len };
        pad[pad_len..pad_len + 8].copy_from_slice(&bits.to_be_bytes());
        self.update(&pad[..pad_len + 8], &mut compress);
        debug_assert_eq!(self.block_len, 0);
    }
}

/// An incremental SHA-1 computation.
#[derive(Clone)]
pub struct Sha1 {
    h: [u32; 5],
    blocks: Blocks,
}

impl Default for Sha1 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha1 {
    pub fn new() -> Sha1 {
        Sha1 { h: [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0], blocks: Blocks::new() }
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        let h = &mut self.h;
        self.blocks.update(data, |b| compress(h, b));
    }

    /// Pads the message and returns its digest.
    pub fn finish(self) -> [u8; DIGEST_LEN] {
        let mut h = self.h;
        self.blocks.finish(|b| compress(&mut h, b));
        let mut out = [0u8; DIGEST_LEN];
        for (i, w) in h.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

/// The SHA-1 digest of `data`.
pub fn sha1(data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut s = Sha1::new();
    s.update(data);
    s.finish()
}

/// Lowercase hex of a digest (40 characters).
pub fn to_hex(d: &[u8; DIGEST_LEN]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * DIGEST_LEN);
    for &b in d {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

fn compress(h: &mut [u32; 5], block: &[u8; BLOCK_LEN]) {
    let mut w = [0u32; 80];
    for (i, c) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *h;
    // Four loops of 20 rounds, one per round function, so each compiles to straight-line code without a
    // per-round branch on the round number.
    macro_rules! rounds {
        ($range:expr, $k:expr, |$b:ident, $c:ident, $d:ident| $f:expr) => {
            for &wi in &w[$range] {
                let ($b, $c, $d) = (b, c, d);
                let t = a.rotate_left(5).wrapping_add($f).wrapping_add(e).wrapping_add($k).wrapping_add(wi);
                e = d;
                d = c;
                c = b.rotate_left(30);
                b = a;
                a = t;
            }
        };
    }
    rounds!(0..20, 0x5A82_7999u32, |b, c, d| (b & c) | (!b & d));
    rounds!(20..40, 0x6ED9_EBA1u32, |b, c, d| b ^ c ^ d);
    rounds!(40..60, 0x8F1B_BCDCu32, |b, c, d| (b & c) | (b & d) | (c & d));
    rounds!(60..80, 0xCA62_C1D6u32, |b, c, d| b ^ c ^ d);
    for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
        *x = x.wrapping_add(y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(data: &[u8]) -> String {
        to_hex(&sha1(data))
    }

    #[test]
    fn standard_vectors() {
        assert_eq!(hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "a49b2446a02c645bf419f995b67091253a04a259"
        );
        assert_eq!(hex(b"The quick brown fox jumps over the lazy dog"), "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
        let mut s = Sha1::new();
        let a = [b'a'; 1000];
        for _ in 0..1000 {
            s.update(&a);
        }
        assert_eq!(to_hex(&s.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }

    #[test]
    fn split_points_do_not_matter() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in [0usize, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 300] {
            let whole = sha1(&data[..len]);
            for cut in 0..=len {
                let mut s = Sha1::new();
                s.update(&data[..cut]);
                s.update(&data[cut..len]);
                assert_eq!(s.finish(), whole, "len {len} cut {cut}");
            }
        }
    }
}
