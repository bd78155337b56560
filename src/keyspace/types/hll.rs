//! HyperLogLog sketches in Redis 7.0's byte layout (Redis `hyperloglog.c`): the value of a PFADD key is a plain
//! string, so these functions work on the string's bytes and nothing else.
//!
//! ```text
//!  0      4    5        8                  16
//!  +------+----+--------+------------------+--------------------------------------------+
//!  | HYLL |enc | unused | cached card (LE) | registers: dense (16384 x 6 bits, 12288 B) |
//!  +------+----+--------+------------------+ or sparse opcodes                          |
//!             0 = dense, 1 = sparse;          the top bit of byte 15 set = cache stale    |
//! ```
//!
//! Sparse opcodes: `00xxxxxx` ZERO (1-64 zero registers), `01xxxxxx yyyyyyyy` XZERO (1-16384 zero registers),
//! `1vvvvvxx` VAL (1-4 registers holding 1-32). Elements hash with MurmurHash64A (seed `0xadc83b19`); the low 14
//! bits pick the register, the run of zeros above them plus one is the value. The estimate is Otmar Ertl's
//! improved estimator over the register histogram, computed with the same double arithmetic as Redis, so a
//! sketch answers the same count on both servers and the bytes of every update are Redis's.
//!
//! Corrupted strings behave as in Redis: the same checks fail at the same moment ([`Corrupt`]), and a read past
//! the end of the string sees the zero byte that terminates every sds string in Redis. Converting or merging
//! sparse opcodes that run past register 16383 is refused as soon as they do, as Redis releases with the
//! CVE-2025-32023 fix do (Debian's 7.0.15 among them; 7.0.15 itself skipped such a VAL opcode). One difference:
//! where Redis, updating a sparse string cut inside an XZERO opcode, writes the last byte of the new opcodes into
//! the string's terminator (invisible to GET and gone once the string is rewritten or reloaded, but read by a
//! later PFDEBUG DECODE or update of that XZERO), that byte is dropped here.

/// Bytes of the header.
pub const HDR: usize = 16;
/// Registers per sketch (2^14).
pub const REGISTERS: usize = 1 << 14;
/// Hash bits left for the run of zeros.
const Q: usize = 64 - 14;
/// Length of a dense sketch, header included.
pub const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
pub const DENSE: u8 = 0;
pub const SPARSE: u8 = 1;
/// Redis's MurmurHash64A seed for HyperLogLog elements.
const SEED: u64 = 0xadc8_3b19;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// The sketch's bytes are not a valid HyperLogLog (Redis's `INVALIDOBJ Corrupted HLL object detected`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// Register histogram: how many registers hold each value (values above 51 only come from damaged dense data).
type Histo = [u64; 64];

/// MurmurHash2, 64-bit version, reading 8-byte blocks little-endian as Redis does on every architecture.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for b in blocks.by_ref() {
        let mut k = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element lands in and the value it offers (1..=51): Redis's `hllPatLen`.
#[inline]
pub fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> 14) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// A fresh empty sketch: sparse, one XZERO covering every register, cached cardinality 0 (Redis's
/// `createHLLObject`).
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    v.extend_from_slice(&[0x7f, 0xff]);
    v
}

/// Whether a string value passes Redis's `isHLLObjectOrReply` checks: long enough for the header, the magic, a
/// known encoding, and the exact length when dense. (An integer-encoded string never passes: the caller checks.)
pub fn valid_header(b: &[u8]) -> bool {
    b.len() >= HDR && &b[..4] == b"HYLL" && b[4] <= SPARSE && (b[4] != DENSE || b.len() == DENSE_SIZE)
}

/// The byte at `i`, or the sds terminator's zero past the end.
#[inline]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

#[inline]
fn is_zero(op: u8) -> bool {
    op & 0xc0 == 0
}
#[inline]
fn is_xzero(op: u8) -> bool {
    op & 0xc0 == 0x40
}
#[inline]
fn zero_len(op: u8) -> usize {
    (op & 0x3f) as usize + 1
}
#[inline]
fn xzero_len(b: &[u8], p: usize) -> usize {
    ((((b[p] & 0x3f) as usize) << 8) | at(b, p + 1) as usize) + 1
}
#[inline]
fn val_value(op: u8) -> u8 {
    ((op >> 2) & 0x1f) + 1
}
#[inline]
fn val_len(op: u8) -> usize {
    (op & 3) as usize + 1
}
#[inline]
fn val_op(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

/// The opcode at `p`: (registers covered, their value, opcode bytes).
#[inline]
fn opcode(b: &[u8], p: usize) -> (usize, u8, usize) {
    let op = b[p];
    if is_zero(op) {
        (zero_len(op), 0, 1)
    } else if is_xzero(op) {
        (xzero_len(b, p), 0, 2)
    } else {
        (val_len(op), val_value(op), 1)
    }
}

/// Appends the ZERO or XZERO opcode for a run of `len` (1..=16384) zero registers.
fn push_zeros(seq: &mut [u8; 5], n: &mut usize, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        seq[*n] = ((l >> 8) as u8 & 0x3f) | 0x40;
        seq[*n + 1] = l as u8;
        *n += 2;
    } else {
        seq[*n] = (len - 1) as u8;
        *n += 1;
    }
}

/// Register `i` of dense registers (`r` is the 12288 bytes after the header).
#[inline]
pub fn dense_get(r: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = at(r, byte) as u32;
    let b1 = at(r, byte + 1) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

/// Sets register `i` of dense registers to `v` (0..=63).
#[inline]
fn dense_put(r: &mut [u8], i: usize, v: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = v as u32;
    if let Some(b) = r.get_mut(byte) {
        *b = (*b & !(63u32 << fb) as u8) | (v << fb) as u8;
    }
    if let Some(b) = r.get_mut(byte + 1) {
        *b = (*b & !(63u32 >> (8 - fb)) as u8) | (v >> (8 - fb)) as u8;
    }
}

/// Raises register `i` to `v` when it is lower: whether it changed (Redis's `hllDenseSet`).
#[inline]
pub fn dense_raise(r: &mut [u8], i: usize, v: u8) -> bool {
    if v > dense_get(r, i) {
        dense_put(r, i, v);
        true
    } else {
        false
    }
}

/// The dense form of a sparse sketch: header copied (cached cardinality too) with the encoding byte set to dense
/// (Redis's `hllSparseToDense`). [`Corrupt`] when the opcodes do not cover exactly 16384 registers.
pub fn sparse_to_dense(b: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut d = vec![0u8; DENSE_SIZE];
    d[..HDR].copy_from_slice(&b[..HDR]);
    d[4] = DENSE;
    let regs = &mut d[HDR..];
    let mut idx = 0usize;
    let mut p = HDR;
    while p < b.len() {
        let (run, v, len) = opcode(b, p);
        if run + idx > REGISTERS {
            return Err(Corrupt);
        }
        if v > 0 {
            for i in idx..idx + run {
                dense_put(regs, i, v);
            }
        }
        idx += run;
        p += len;
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    Ok(d)
}

/// Turns a sparse sketch into a dense one in place; a dense one is left alone. Returns whether it converted.
pub fn to_dense(buf: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if buf[4] == DENSE {
        return Ok(false);
    }
    *buf = sparse_to_dense(buf)?;
    Ok(true)
}

/// How an update may grow the string: `max_sparse` is `hll-sparse-max-bytes`, `reserve` makes room as the
/// string allocator would (Redis's `sdsMakeRoomFor`, for MEMORY USAGE).
#[derive(Clone, Copy)]
pub struct Limits {
    pub max_sparse: usize,
    pub reserve: fn(&mut Vec<u8>, usize),
}

/// Raises register `index` of a sparse sketch to `count` when lower, splitting and merging opcodes in place, or
/// promoting the sketch to dense when the value does not fit a VAL opcode or the string would outgrow
/// `hll-sparse-max-bytes` (Redis's `hllSparseSet`). Whether the register changed.
pub fn sparse_set(buf: &mut Vec<u8>, index: usize, count: u8, lim: Limits) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(buf, index, count);
    }
    (lim.reserve)(buf, 3);
    // Step 1: the opcode covering `index`.
    let end = buf.len();
    let (mut p, mut first, mut span) = (HDR, 0usize, 0usize);
    let mut prev = None;
    while p < end {
        let op = buf[p];
        let mut oplen = 1;
        span = if is_zero(op) {
            zero_len(op)
        } else if op & 0x80 != 0 {
            val_len(op)
        } else {
            oplen = 2;
            xzero_len(buf, p)
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let op = buf[p];
    let xzero = is_xzero(op);
    let oldlen = if xzero { 2 } else { 1 };
    let has_next = p + oldlen < end;
    let is_val = op & 0x80 != 0;
    let runlen = span;
    // Step 2: the cases updated in place.
    let mut simple = false;
    if is_val {
        if val_value(op) >= count {
            return Ok(false);
        }
        simple = runlen == 1;
    } else if !xzero && runlen == 1 {
        simple = true;
    }
    if simple {
        buf[p] = val_op(count, 1);
    } else {
        // The general case: the opcode splits into up to three (XZERO VAL XZERO: five bytes at most).
        let mut seq = [0u8; 5];
        let mut n = 0;
        let last = first + span - 1;
        if is_val {
            let cur = val_value(op);
            if index != first {
                seq[n] = val_op(cur, index - first);
                n += 1;
            }
            seq[n] = val_op(count, 1);
            n += 1;
            if index != last {
                seq[n] = val_op(cur, last - index);
                n += 1;
            }
        } else {
            if index != first {
                push_zeros(&mut seq, &mut n, index - first);
            }
            seq[n] = val_op(count, 1);
            n += 1;
            if index != last {
                push_zeros(&mut seq, &mut n, last - index);
            }
        }
        let delta = n as isize - oldlen as isize;
        if delta > 0 && end + delta as usize > lim.max_sparse {
            return promote(buf, index, count);
        }
        // Step 3: the new opcodes replace the old one.
        if has_next {
            let tail = p + oldlen;
            if n > oldlen {
                buf.resize(end + n - oldlen, 0);
            }
            buf.copy_within(tail..end, p + n);
            buf.truncate(end + n - oldlen);
            buf[p..p + n].copy_from_slice(&seq[..n]);
        } else {
            let newlen = (end as isize + delta) as usize;
            buf.truncate(p);
            buf.extend_from_slice(&seq[..n]);
            buf.truncate(newlen);
        }
    }
    // Step 4: merge adjacent VAL opcodes of equal value around the change (five opcodes from the previous one).
    let mut end = buf.len();
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < end && scan > 0 {
        scan -= 1;
        let op = buf[p];
        if is_xzero(op) {
            p += 2;
            continue;
        } else if is_zero(op) {
            p += 1;
            continue;
        }
        if p + 1 < end && buf[p + 1] & 0x80 != 0 {
            let (v1, v2) = (val_value(op), val_value(buf[p + 1]));
            let len = val_len(op) + val_len(buf[p + 1]);
            if v1 == v2 && len <= VAL_MAX_LEN {
                buf[p + 1] = val_op(v1, len);
                buf.remove(p);
                end -= 1;
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(buf);
    Ok(true)
}

/// The sparse sketch becomes dense, then register `index` takes `count` (always a change).
fn promote(buf: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    let mut d = sparse_to_dense(buf)?;
    dense_raise(&mut d[HDR..], index, count);
    *buf = d;
    Ok(true)
}

/// Marks the cached cardinality stale.
#[inline]
pub fn invalidate_cache(buf: &mut [u8]) {
    if let Some(b) = buf.get_mut(15) {
        *b |= 0x80;
    }
}

/// Adds one element (Redis's `hllAdd`): whether a register changed. The header must have passed
/// [`valid_header`].
#[inline]
pub fn add(buf: &mut Vec<u8>, ele: &[u8], lim: Limits) -> Result<bool, Corrupt> {
    let (index, count) = pat_len(ele);
    match buf[4] {
        DENSE => Ok(dense_raise(&mut buf[HDR..], index, count)),
        SPARSE => sparse_set(buf, index, count, lim),
        _ => Err(Corrupt),
    }
}

/// The cached cardinality, when valid.
pub fn cached(buf: &[u8]) -> Option<u64> {
    let c = u64::from_le_bytes(buf.get(8..16)?.try_into().ok()?);
    (c >> 63 == 0).then_some(c)
}

/// Stores a freshly computed cardinality in the header (cache valid).
pub fn set_cached(buf: &mut [u8], card: u64) {
    if let Some(c) = buf.get_mut(8..16) {
        c.copy_from_slice(&card.to_le_bytes());
    }
}

fn histo_dense(r: &[u8], h: &mut Histo) {
    for c in r.chunks_exact(3) {
        let (a, b, d) = (c[0] as usize, c[1] as usize, c[2] as usize);
        h[a & 63] += 1;
        h[(a >> 6 | b << 2) & 63] += 1;
        h[(b >> 4 | d << 4) & 63] += 1;
        h[d >> 2] += 1;
    }
}

/// The sparse histogram, or [`Corrupt`] when the opcodes do not cover 16384 registers.
fn histo_sparse(b: &[u8], h: &mut Histo) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    let mut p = HDR;
    while p < b.len() {
        let op = b[p];
        if is_zero(op) {
            let n = zero_len(op);
            idx += n;
            h[0] += n as u64;
            p += 1;
        } else if is_xzero(op) {
            let n = xzero_len(b, p);
            idx += n;
            h[0] += n as u64;
            p += 2;
        } else {
            let n = val_len(op);
            idx += n;
            h[val_value(op) as usize] += n as u64;
            p += 1;
        }
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0f64, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0f64, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        let t = 1.0 - x;
        z -= t * t * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// Ertl's estimator over a register histogram, with Redis's operation order (`hllCount`).
fn estimate(h: &Histo) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - h[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// The estimated cardinality of a sketch whose header passed [`valid_header`].
pub fn count(buf: &[u8]) -> Result<u64, Corrupt> {
    let mut h = [0u64; 64];
    if buf[4] == DENSE {
        histo_dense(&buf[HDR..], &mut h);
    } else {
        histo_sparse(buf, &mut h)?;
    }
    Ok(estimate(&h))
}

/// The estimated cardinality of plain byte registers (PFCOUNT of several keys).
pub fn count_registers(max: &[u8; REGISTERS]) -> u64 {
    let mut h = [0u64; 64];
    for &v in max.iter() {
        h[(v & 63) as usize] += 1;
    }
    estimate(&h)
}

/// Raises each of `max` to the sketch's register (Redis's `hllMerge`); [`Corrupt`] for sparse opcodes that do not
/// cover 16384 registers.
pub fn merge(max: &mut [u8; REGISTERS], buf: &[u8]) -> Result<(), Corrupt> {
    if buf[4] == DENSE {
        // Four 6-bit registers per three bytes.
        for (c, m) in buf[HDR..].chunks_exact(3).zip(max.chunks_exact_mut(4)) {
            let (a, b, d) = (c[0], c[1], c[2]);
            let r = [a & 63, (a >> 6 | b << 2) & 63, (b >> 4 | d << 4) & 63, d >> 2];
            for (m, r) in m.iter_mut().zip(r) {
                *m = (*m).max(r);
            }
        }
        return Ok(());
    }
    let mut i = 0usize;
    let mut p = HDR;
    while p < buf.len() {
        let (run, v, len) = opcode(buf, p);
        if run + i > REGISTERS {
            return Err(Corrupt);
        }
        if v > 0 {
            for m in &mut max[i..i + run] {
                *m = (*m).max(v);
            }
        }
        i += run;
        p += len;
    }
    if i != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

/// Writes merged registers into a sketch (PFMERGE's destination): each non-zero register raised, dense or
/// sparse as the sketch is (a sparse one may be promoted on the way).
pub fn store_max(buf: &mut Vec<u8>, max: &[u8; REGISTERS], lim: Limits) {
    for (j, &v) in max.iter().enumerate() {
        if v == 0 {
            continue;
        }
        if buf[4] == DENSE {
            dense_raise(&mut buf[HDR..], j, v);
        } else {
            // The destination was merged (so checked) first: a sparse one is well formed.
            let _ = sparse_set(buf, j, v, lim);
        }
    }
    invalidate_cache(buf);
}

/// PFDEBUG DECODE's text for a sparse sketch: `z:<n>`, `Z:<n>` and `v:<value>,<n>` per opcode.
pub fn decode(buf: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mut p = HDR;
    while p < buf.len() {
        let op = buf[p];
        if is_zero(op) {
            let _ = write!(s, "z:{} ", zero_len(op));
            p += 1;
        } else if is_xzero(op) {
            let _ = write!(s, "Z:{} ", xzero_len(buf, p));
            p += 2;
        } else {
            let _ = write!(s, "v:{},{} ", val_value(op), val_len(op));
            p += 1;
        }
    }
    s.truncate(s.trim_end_matches(' ').len());
    s
}

/// PFSELFTEST: register access on random values (1000 rounds), then 10 million elements added to a dense and a
/// sparse sketch that must agree and stay within six standard errors at each power of ten. `rand` draws as C's
/// `rand()` would; `max_sparse` is `hll-sparse-max-bytes`. The error text on failure.
pub fn self_test(rand: &mut dyn FnMut() -> u32, lim: Limits) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..5].copy_from_slice(b"HYLL\0");
    let mut bytes = [0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (rand() & 63) as u8;
            dense_put(&mut dense[HDR..], i, *b);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = dense_get(&dense[HDR..], i);
            if v != b {
                return Err(format!("TESTFAILED Register {i} should be {b} but is {v}"));
            }
        }
    }
    dense[HDR..].fill(0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    let seed = rand() as u64 | (rand() as u64) << 32;
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_ne_bytes();
        let (index, c) = pat_len(&ele);
        dense_raise(&mut dense[HDR..], index, c);
        let _ = add(&mut sparse, &ele, lim);
        if j != checkpoint {
            continue;
        }
        if (j as usize) < lim.max_sparse / 2 && sparse[4] != SPARSE {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = count(&dense).unwrap_or(0);
        if count(&sparse).ok() != Some(card) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - card as i64).unsigned_abs();
        let maxerr = if j == 10 { 1 } else { (relerr * 6.0 * checkpoint as f64).ceil() as u64 };
        if abserr > maxerr {
            return Err(format!("TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lim(max: usize) -> Limits {
        Limits { max_sparse: max, reserve: |b, n| b.reserve(n) }
    }

    /// Every register of a sketch, dense or sparse.
    fn registers(buf: &[u8]) -> Vec<u8> {
        let d = if buf[4] == DENSE { buf.to_vec() } else { sparse_to_dense(buf).unwrap() };
        (0..REGISTERS).map(|i| dense_get(&d[HDR..], i)).collect()
    }

    #[test]
    fn hash_and_sparse_bytes_match_redis() {
        // redis-server 7.0.15: `PFADD h a` then GET h / PFDEBUG DECODE h ("Z:12711 v:2,1 Z:3672").
        assert_eq!(pat_len(b"a"), (12711, 2));
        let mut s = new_sparse();
        assert!(add(&mut s, b"a", lim(3000)).unwrap());
        invalidate_cache(&mut s);
        assert_eq!(s, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80q\xa6\x84NW");
        for e in ["b", "c", "d", "e", "f", "g"] {
            add(&mut s, e.as_bytes(), lim(3000)).unwrap();
        }
        assert_eq!(
            decode(&s),
            "Z:1646 v:1,1 Z:5645 v:1,1 Z:1085 v:2,1 z:57 v:1,1 Z:4274 v:2,1 Z:2445 v:1,1 Z:622 v:1,1 Z:603"
        );
        assert_eq!(count(&s), Ok(7));
    }

    /// Counts, encodings, lengths and the SHA1 of the string Redis 7.0.15 gives after PFADD of `e:0` .. `e:<n-1>`
    /// one element per call (hll-sparse-max-bytes 3000): the estimator and every byte of the updates agree.
    #[test]
    fn estimates_match_redis() {
        let cases: &[(usize, u64, usize, &str)] = &[
            (1, 1, 21, ""),
            (2, 2, 24, ""),
            (3, 3, 27, ""),
            (10, 10, 48, "9f5c5379dd4b60a9673de60464adaa90296b6e31"),
            (100, 100, 279, ""),
            (300, 301, 686, ""),
            (1000, 995, 1880, "8485d1b33784e2af3c32f779b0c142e105983b18"),
            (2000, 1983, DENSE_SIZE, ""),
            (5000, 5027, DENSE_SIZE, ""),
            (20000, 20096, DENSE_SIZE, ""),
            (100000, 100342, DENSE_SIZE, "97c71b17a4e06c30db3300be306782d78fbb6326"),
        ];
        for &(n, card, len, sha) in cases {
            let mut s = new_sparse();
            for i in 0..n {
                add(&mut s, format!("e:{i}").as_bytes(), lim(3000)).unwrap();
            }
            invalidate_cache(&mut s);
            assert_eq!((count(&s), s.len()), (Ok(card), len), "n={n}");
            if !sha.is_empty() {
                assert_eq!(crate::sha1::to_hex(&crate::sha1::sha1(&s)), sha, "n={n}");
            }
        }
    }

    #[test]
    fn empty_sketch_counts_zero() {
        let s = new_sparse();
        assert_eq!(s.len(), 18);
        assert!(valid_header(&s));
        assert_eq!(count(&s), Ok(0));
        assert_eq!(decode(&s), "Z:16384");
        let d = sparse_to_dense(&s).unwrap();
        assert_eq!(d.len(), DENSE_SIZE);
        assert_eq!(count(&d), Ok(0));
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut r = vec![0u8; DENSE_SIZE - HDR];
        for i in 0..REGISTERS {
            dense_put(&mut r, i, (i * 7 % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&r, i), (i * 7 % 64) as u8);
        }
    }

    #[test]
    fn corrupted_sparse_is_detected() {
        let mut s = new_sparse();
        s.extend_from_slice(b"hello");
        assert_eq!(count(&s), Err(Corrupt));
        let mut s = new_sparse();
        s.truncate(HDR);
        assert_eq!(add(&mut s, b"x", lim(3000)), Err(Corrupt));
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge(&mut max, &s), Err(Corrupt));
    }

    #[test]
    fn promotion_by_size_and_by_value() {
        let mut s = new_sparse();
        let mut n = 0;
        while s[4] == SPARSE {
            add(&mut s, format!("e{n}").as_bytes(), lim(200)).unwrap();
            n += 1;
        }
        assert_eq!(s.len(), DENSE_SIZE);
        assert!(n > 10 && n < 200);
        // A value above 32 cannot be a VAL opcode.
        let mut s = new_sparse();
        assert!(sparse_set(&mut s, 5, 40, lim(3000)).unwrap());
        assert_eq!(s[4], DENSE);
        assert_eq!(registers(&s)[5], 40);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Sparse and dense sketches fed the same elements hold the same registers and give the same count, and
        /// that count stays within Redis's error bound of the true cardinality.
        #[test]
        fn sparse_and_dense_agree(n in 0usize..4000, salt in any::<u32>(), max in 20usize..4000) {
            let mut s = new_sparse();
            let mut d = sparse_to_dense(&new_sparse()).unwrap();
            for i in 0..n {
                let e = format!("{salt}:{i}");
                add(&mut s, e.as_bytes(), lim(max)).unwrap();
                add(&mut d, e.as_bytes(), lim(max)).unwrap();
            }
            prop_assert!(s[4] == DENSE || s.len() <= max.max(18));
            prop_assert_eq!(registers(&s), registers(&d));
            let (cs, cd) = (count(&s).unwrap(), count(&d).unwrap());
            prop_assert_eq!(cs, cd);
            let err = (cs as f64 - n as f64).abs();
            prop_assert!(err <= (n as f64 * 0.05).max(2.0), "n={} count={}", n, cs);
            let mut m = [0u8; REGISTERS];
            merge(&mut m, &s).unwrap();
            prop_assert_eq!(count_registers(&m), cd);
        }

        /// Any bytes after a valid header are handled without panicking.
        #[test]
        fn random_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..64), dense in any::<bool>()) {
            let mut s = new_sparse();
            s.truncate(HDR);
            s.extend_from_slice(&body);
            if dense {
                s.resize(DENSE_SIZE, 0x5a);
                s[4] = DENSE;
            }
            let _ = count(&s);
            let mut m = [0u8; REGISTERS];
            let _ = merge(&mut m, &s);
            let _ = decode(&s);
            for e in ["a", "b", "c"] {
                let _ = add(&mut s, e.as_bytes(), lim(3000));
            }
            let _ = to_dense(&mut s);
        }
    }
}
