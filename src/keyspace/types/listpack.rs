//! Listpack: a sequence of strings and integers serialized into one contiguous byte buffer.
//!
//! This is Redis's listpack byte format exactly (so RDB can store and load these buffers as they are), written
//! from the format description: a 6-byte header, the entries, and an end marker.
//!
//! ```text
//! +-----------+----------+---------+---------+-----+------+
//! | total u32 | count u16| entry 0 | entry 1 | ... | 0xFF |
//! +-----------+----------+---------+---------+-----+------+
//!   little endian; count = 65535 means "unknown, walk to count"
//!
//! entry: | encoding (+ inline int / length) | string bytes | backlen (1..5 bytes) |
//!   encoding first byte:
//!     0xxxxxxx            7-bit unsigned int              (1 byte total before backlen)
//!     10xxxxxx            string of len < 64              (1 + len)
//!     110xxxxx yyyyyyyy   13-bit signed int               (2)
//!     1110xxxx yyyyyyyy   string of len < 4096            (2 + len)
//!     11110000 + u32 len  string                          (5 + len)
//!     11110001/2/3/4      16/24/32/64-bit signed int LE   (3/5/... bytes)
//!   backlen = size of "encoding + data", 7 bits per byte, written so it can be decoded right-to-left:
//!     the rightmost byte holds the low 7 bits, bit 7 set when more bytes follow to the left.
//! ```
//!
//! Invariants: the header's total equals the buffer length; the last byte is 0xFF; every entry's backlen matches
//! its encoded size; strings that parse as canonical 64-bit integers (Redis `string2ll`) are always stored as
//! integer entries (so comparing an entry with a needle never needs both forms).
//!
//! Entries are addressed by byte offset (`usize`, as returned by [`Listpack::first`] etc.); an offset is invalidated
//! by any mutation except where a method returns the new one.
//!
//! Tests: unit tests for each encoding boundary (checked against byte images of Redis's format), and a proptest
//! that applies random push/insert/delete/replace operations to a listpack and a `Vec<Vec<u8>>` model and compares
//! forward and backward walks after every step; a 100k-entry test covers the unknown-count header.

use super::StrRef;
use crate::alloc::slab::SlabBytes;
use crate::util::{itoa_buf, parse_i64};
use std::cmp::Ordering;

const HDR_SIZE: usize = 6;
const EOF_BYTE: u8 = 0xFF;
/// Header count meaning "too many to store, walk the entries".
const COUNT_UNKNOWN: u16 = u16::MAX;

/// An entry to insert: an integer, or bytes (stored as an integer when they are a canonical one).
#[derive(Clone, Copy, Debug)]
pub enum LpInput<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> LpInput<'a> {
    /// Bytes, turned into an integer entry when `string2ll` accepts them, as Redis does.
    #[inline]
    pub fn from_bytes(b: &'a [u8]) -> LpInput<'a> {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return LpInput::Int(n);
            }
        }
        LpInput::Bytes(b)
    }
}

/// The encoded form of one entry without its backlen: a small header plus an optional payload slice.
struct Encoded<'a> {
    head: [u8; 9],
    head_len: usize,
    payload: &'a [u8],
}

impl Encoded<'_> {
    #[inline]
    fn data_len(&self) -> usize {
        self.head_len + self.payload.len()
    }
    #[inline]
    fn total_len(&self) -> usize {
        let l = self.data_len();
        l + backlen_size(l)
    }
}

#[inline]
fn encode(v: LpInput<'_>) -> Encoded<'_> {
    let mut head = [0u8; 9];
    match v {
        LpInput::Int(n) => {
            let head_len = if (0..=127).contains(&n) {
                head[0] = n as u8;
                1
            } else if (-4096..=4095).contains(&n) {
                let u = (n as u64 & 0x1FFF) as u16;
                head[0] = 0xC0 | (u >> 8) as u8;
                head[1] = u as u8;
                2
            } else if (-32768..=32767).contains(&n) {
                head[0] = 0xF1;
                head[1..3].copy_from_slice(&(n as i16).to_le_bytes());
                3
            } else if (-8_388_608..=8_388_607).contains(&n) {
                head[0] = 0xF2;
                head[1..4].copy_from_slice(&(n as i32).to_le_bytes()[..3]);
                4
            } else if (i32::MIN as i64..=i32::MAX as i64).contains(&n) {
                head[0] = 0xF3;
                head[1..5].copy_from_slice(&(n as i32).to_le_bytes());
                5
            } else {
                head[0] = 0xF4;
                head[1..9].copy_from_slice(&n.to_le_bytes());
                9
            };
            Encoded { head, head_len, payload: &[] }
        }
        LpInput::Bytes(b) => {
            let len = b.len();
            let head_len = if len < 64 {
                head[0] = 0x80 | len as u8;
                1
            } else if len < 4096 {
                head[0] = 0xE0 | (len >> 8) as u8;
                head[1] = len as u8;
                2
            } else {
                head[0] = 0xF0;
                head[1..5].copy_from_slice(&(len as u32).to_le_bytes());
                5
            };
            Encoded { head, head_len, payload: b }
        }
    }
}

/// Bytes needed for the backlen of an entry whose encoding+data is `l` bytes.
#[inline]
pub(crate) fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

/// Writes the backlen of `l` into `out` (which is exactly `backlen_size(l)` long).
#[inline]
pub(crate) fn write_backlen(l: usize, out: &mut [u8]) {
    let n = out.len();
    for (i, b) in out.iter_mut().enumerate() {
        // Byte i (from the left) carries bits 7*(n-1-i).. ; all but the leftmost have the continuation bit.
        let shift = 7 * (n - 1 - i);
        let bits = ((l >> shift) & 127) as u8;
        *b = if i == 0 { bits } else { bits | 128 };
    }
}

/// Size of "encoding + data" of the entry starting with `p[0]` (Redis's current-encoded-size).
#[inline]
fn data_len_at(p: &[u8]) -> usize {
    let b = p[0];
    if b & 0x80 == 0 {
        1
    } else if b & 0xC0 == 0x80 {
        1 + (b & 0x3F) as usize
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        2 + ((((b & 0x0F) as usize) << 8) | p[1] as usize)
    } else {
        match b {
            0xF0 => 5 + u32::from_le_bytes([p[1], p[2], p[3], p[4]]) as usize,
            0xF1 => 3,
            0xF2 => 4,
            0xF3 => 5,
            0xF4 => 9,
            _ => 1, // 0xFF (end marker) and the unused encodings; callers never reach them on a valid buffer.
        }
    }
}

#[inline]
fn decode_at(p: &[u8]) -> StrRef<'_> {
    let b = p[0];
    if b & 0x80 == 0 {
        StrRef::Int(b as i64)
    } else if b & 0xC0 == 0x80 {
        let len = (b & 0x3F) as usize;
        StrRef::Bytes(&p[1..1 + len])
    } else if b & 0xE0 == 0xC0 {
        let u = (((b & 0x1F) as u16) << 8) | p[1] as u16;
        // Sign-extend 13 bits.
        StrRef::Int(((u << 3) as i16 >> 3) as i64)
    } else if b & 0xF0 == 0xE0 {
        let len = (((b & 0x0F) as usize) << 8) | p[1] as usize;
        StrRef::Bytes(&p[2..2 + len])
    } else {
        match b {
            0xF0 => {
                let len = u32::from_le_bytes([p[1], p[2], p[3], p[4]]) as usize;
                StrRef::Bytes(&p[5..5 + len])
            }
            0xF1 => StrRef::Int(i16::from_le_bytes([p[1], p[2]]) as i64),
            0xF2 => StrRef::Int((i32::from_le_bytes([0, p[1], p[2], p[3]]) >> 8) as i64),
            0xF3 => StrRef::Int(i32::from_le_bytes([p[1], p[2], p[3], p[4]]) as i64),
            _ => StrRef::Int(i64::from_le_bytes([p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]])),
        }
    }
}

/// Compares an entry with a needle the way Redis orders members: bytewise (`memcmp`, shorter prefix first).
#[inline]
pub fn cmp_entry(e: StrRef<'_>, needle: &[u8]) -> Ordering {
    let mut buf = [0u8; 24];
    e.bytes(&mut buf).cmp(needle)
}

/// A needle prepared once for repeated equality tests against entries.
#[derive(Clone, Copy)]
pub struct Needle<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Needle<'a> {
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Needle<'a> {
        let int = if bytes.len() <= 20 { parse_i64(bytes) } else { None };
        Needle { bytes, int }
    }
    #[inline]
    pub fn matches(&self, e: StrRef<'_>) -> bool {
        match e {
            StrRef::Int(n) => self.int == Some(n),
            StrRef::Bytes(b) => b == self.bytes,
        }
    }
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// See the module documentation.
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    // From the slab allocator: a small listpack (a hash or sorted-set value) costs its size rounded to 8 bytes.
    buf: SlabBytes,
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        for e in self.iter() {
            l.entry(&String::from_utf8_lossy(&e.to_vec()));
        }
        l.finish()
    }
}

impl Listpack {
    pub fn new() -> Listpack {
        let mut buf = SlabBytes::with_capacity(HDR_SIZE + 1);
        buf.extend_from_slice(&(HDR_SIZE as u32 + 1).to_le_bytes());
        buf.extend_from_slice(&0u16.to_le_bytes());
        buf.push(EOF_BYTE);
        Listpack { buf }
    }

    /// Builds a listpack from values in order.
    pub fn from_items<'a, I: IntoIterator<Item = &'a [u8]>>(items: I) -> Listpack {
        let mut lp = Listpack::new();
        for it in items {
            lp.push_back(it);
        }
        lp
    }

    /// The raw serialized bytes (Redis's listpack blob).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Total serialized size in bytes (the header's total field).
    #[inline]
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes held (capacity), for memory accounting.
    #[inline]
    pub fn alloc_bytes(&self) -> usize {
        self.buf.capacity()
    }

    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// Makes room for `additional` more bytes, growing by a quarter of the size at least (a stream node's appends:
    /// few reallocations, little slack).
    pub fn reserve_grow(&mut self, additional: usize) {
        if self.buf.capacity() < self.buf.len() + additional {
            self.buf.reserve_exact(additional.max(self.buf.len() / 4));
        }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        let c = u16::from_le_bytes([self.buf[4], self.buf[5]]);
        if c != COUNT_UNKNOWN {
            return c as usize;
        }
        let mut n = 0;
        let mut off = self.first();
        while let Some(o) = off {
            n += 1;
            off = self.next(o);
        }
        n
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.len() == HDR_SIZE + 1
    }

    #[inline]
    fn set_total(&mut self) {
        let t = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&t.to_le_bytes());
    }

    #[inline]
    fn stored_count(&self) -> u16 {
        u16::from_le_bytes([self.buf[4], self.buf[5]])
    }

    #[inline]
    fn adjust_count(&mut self, delta: isize) {
        let c = self.stored_count();
        if c == COUNT_UNKNOWN {
            return;
        }
        let n = c as isize + delta;
        let stored = if n >= COUNT_UNKNOWN as isize { COUNT_UNKNOWN } else { n.max(0) as u16 };
        self.buf[4..6].copy_from_slice(&stored.to_le_bytes());
    }

    /// Re-derives an "unknown" count once the entries fit again (Redis does this lazily on length queries).
    fn refresh_unknown_count(&mut self) {
        if self.stored_count() == COUNT_UNKNOWN {
            let n = self.len();
            if n < COUNT_UNKNOWN as usize {
                self.buf[4..6].copy_from_slice(&(n as u16).to_le_bytes());
            }
        }
    }

    /// Offset of the first entry.
    #[inline]
    pub fn first(&self) -> Option<usize> {
        if self.buf[HDR_SIZE] == EOF_BYTE {
            None
        } else {
            Some(HDR_SIZE)
        }
    }

    /// Offset of the last entry.
    #[inline]
    pub fn last(&self) -> Option<usize> {
        self.prev(self.buf.len() - 1)
    }

    /// Offset of the entry after the one at `off`.
    #[inline]
    pub fn next(&self, off: usize) -> Option<usize> {
        let l = data_len_at(&self.buf[off..]);
        let n = off + l + backlen_size(l);
        if self.buf[n] == EOF_BYTE {
            None
        } else {
            Some(n)
        }
    }

    /// Visits up to `max` entries starting with the one at `off`, in order; returns how many were visited. Decodes
    /// each entry's length once for both the value and the step to the next entry (LRANGE's hot loop).
    #[inline]
    pub fn for_each_from(&self, off: usize, max: usize, f: &mut impl FnMut(StrRef<'_>)) -> usize {
        let mut off = off;
        let mut done = 0;
        while done < max {
            let p = &self.buf[off..];
            let l = data_len_at(p);
            f(decode_at(p));
            done += 1;
            off += l + backlen_size(l);
            if self.buf[off] == EOF_BYTE {
                break;
            }
        }
        done
    }

    /// Offset of the entry before the one at `off` (`off` may be the end marker's offset).
    #[inline]
    pub fn prev(&self, off: usize) -> Option<usize> {
        if off <= HDR_SIZE {
            return None;
        }
        let mut p = off - 1;
        let mut l = 0usize;
        let mut shift = 0;
        loop {
            let b = self.buf[p];
            l |= ((b & 127) as usize) << shift;
            if b & 128 == 0 {
                break;
            }
            shift += 7;
            p -= 1;
        }
        Some(off - backlen_size(l) - l)
    }

    /// The entry at `off`.
    #[inline]
    pub fn get(&self, off: usize) -> StrRef<'_> {
        decode_at(&self.buf[off..])
    }

    /// Byte size of the entry at `off` including its backlen.
    #[inline]
    pub fn entry_size(&self, off: usize) -> usize {
        let l = data_len_at(&self.buf[off..]);
        l + backlen_size(l)
    }

    /// Offset of the entry at `index` (negative counts from the end, -1 = last).
    pub fn seek(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let idx = if index < 0 { len.checked_add(index)? } else { index };
        if idx < 0 || idx >= len {
            return None;
        }
        if idx <= len / 2 {
            let mut off = self.first()?;
            for _ in 0..idx {
                off = self.next(off)?;
            }
            Some(off)
        } else {
            let mut off = self.last()?;
            for _ in 0..(len - 1 - idx) {
                off = self.prev(off)?;
            }
            Some(off)
        }
    }

    /// The entry at `index` (negative counts from the end).
    pub fn get_index(&self, index: i64) -> Option<StrRef<'_>> {
        self.seek(index).map(|o| self.get(o))
    }

    /// Grows the buffer by `n` bytes at `at`, shifting the tail; the new bytes are garbage to be overwritten.
    #[inline]
    fn open_gap(&mut self, at: usize, n: usize) {
        let old = self.buf.len();
        if self.buf.capacity() < old + n {
            // Small listpacks (hash/zset values, most list nodes) grow exactly so that memory stays tight; large
            // ones keep 1/8 slack to bound the copying of repeated appends.
            let slack = if old < 1024 { 0 } else { old / 8 };
            self.buf.reserve_exact(n + slack);
        }
        self.buf.resize(old + n, 0);
        self.buf.copy_within(at..old, at + n);
    }

    #[inline]
    fn write_entry(&mut self, at: usize, e: &Encoded<'_>) {
        let h = e.head_len;
        let p = e.payload.len();
        self.buf[at..at + h].copy_from_slice(&e.head[..h]);
        self.buf[at + h..at + h + p].copy_from_slice(e.payload);
        let l = h + p;
        let bl = backlen_size(l);
        write_backlen(l, &mut self.buf[at + l..at + l + bl]);
    }

    /// Inserts `v` so that it starts at byte offset `at` (an entry offset or the end marker's offset); returns
    /// `at`, which now addresses the new entry.
    pub fn insert_at(&mut self, at: usize, v: LpInput<'_>) -> usize {
        let e = encode(v);
        let n = e.total_len();
        self.open_gap(at, n);
        self.write_entry(at, &e);
        self.adjust_count(1);
        self.set_total();
        at
    }

    /// Offset just past the last entry (where the end marker is).
    #[inline]
    pub fn end_offset(&self) -> usize {
        self.buf.len() - 1
    }

    /// Inserts `v` before the entry at `off`; returns the new entry's offset.
    #[inline]
    pub fn insert_before(&mut self, off: usize, v: &[u8]) -> usize {
        self.insert_at(off, LpInput::from_bytes(v))
    }

    /// Inserts `v` after the entry at `off`; returns the new entry's offset.
    #[inline]
    pub fn insert_after(&mut self, off: usize, v: &[u8]) -> usize {
        let at = off + self.entry_size(off);
        self.insert_at(at, LpInput::from_bytes(v))
    }

    /// Inserts at entry position `index` (0..=len; clamped to the end).
    pub fn insert_index(&mut self, index: usize, v: &[u8]) -> usize {
        let at = if index >= self.len() { self.end_offset() } else { self.seek(index as i64).unwrap_or(HDR_SIZE) };
        self.insert_at(at, LpInput::from_bytes(v))
    }

    #[inline]
    pub fn push_back(&mut self, v: &[u8]) {
        let at = self.end_offset();
        self.insert_at(at, LpInput::from_bytes(v));
    }

    #[inline]
    pub fn push_front(&mut self, v: &[u8]) {
        self.insert_at(HDR_SIZE, LpInput::from_bytes(v));
    }

    #[inline]
    pub fn push_back_input(&mut self, v: LpInput<'_>) {
        let at = self.end_offset();
        self.insert_at(at, v);
    }

    /// Appends several entries (one growth and one header update).
    pub fn push_back_many(&mut self, items: &[LpInput<'_>]) {
        let at = self.end_offset();
        let n: usize = items.iter().map(|v| encode(*v).total_len()).sum();
        self.open_gap(at, n);
        let mut off = at;
        for v in items {
            let e = encode(*v);
            self.write_entry(off, &e);
            off += e.total_len();
        }
        self.adjust_count(items.len() as isize);
        self.set_total();
    }

    /// Replaces the entry at `off` with `v`; the entry keeps its offset.
    pub fn replace(&mut self, off: usize, v: &[u8]) {
        self.replace_input(off, LpInput::from_bytes(v))
    }

    pub fn replace_input(&mut self, off: usize, v: LpInput<'_>) {
        let old = self.entry_size(off);
        let e = encode(v);
        let new = e.total_len();
        if new > old {
            self.open_gap(off + old, new - old);
        } else if new < old {
            self.buf.remove_range(off + new, off + old);
        }
        self.write_entry(off, &e);
        self.set_total();
    }

    /// Deletes `count` consecutive entries starting at `off`; returns the offset of the entry that followed them
    /// (None when they ran to the end).
    pub fn delete_at(&mut self, off: usize, count: usize) -> Option<usize> {
        let mut end = off;
        let mut n = 0;
        while n < count && self.buf[end] != EOF_BYTE {
            end += self.entry_size(end);
            n += 1;
        }
        self.buf.remove_range(off, end);
        self.adjust_count(-(n as isize));
        self.set_total();
        self.refresh_unknown_count();
        if self.buf[off] == EOF_BYTE {
            None
        } else {
            Some(off)
        }
    }

    /// Deletes the entry at `off`; returns the offset of the following entry.
    #[inline]
    pub fn delete(&mut self, off: usize) -> Option<usize> {
        self.delete_at(off, 1)
    }

    /// Deletes up to `limit` entries equal to `needle`, walking from the head, or from the tail with `from_tail`;
    /// returns how many went. LREM on a listpack list and on each quicklist node.
    pub fn remove_matching(&mut self, needle: &Needle<'_>, from_tail: bool, limit: usize) -> usize {
        let mut removed = 0;
        if from_tail {
            let mut off = self.last();
            while let Some(o) = off {
                if removed == limit {
                    break;
                }
                let prev = self.prev(o);
                if needle.matches(self.get(o)) {
                    self.delete(o);
                    removed += 1;
                }
                off = prev;
            }
        } else {
            let mut off = self.first();
            while let Some(o) = off {
                if removed == limit {
                    break;
                }
                if needle.matches(self.get(o)) {
                    off = self.delete(o);
                    removed += 1;
                } else {
                    off = self.next(o);
                }
            }
        }
        removed
    }

    /// Deletes `count` entries starting at entry `index` (negative counts from the end); out-of-range is a no-op.
    pub fn delete_range(&mut self, index: i64, count: usize) {
        if count == 0 {
            return;
        }
        if let Some(off) = self.seek(index) {
            self.delete_at(off, count);
        }
    }

    /// Keeps only the entries `start..=end` (inclusive, already clamped by the caller to `0..len`).
    pub fn retain_range(&mut self, start: usize, end: usize) {
        let len = self.len();
        if start > end || start >= len {
            *self = Listpack::new();
            return;
        }
        let end = end.min(len - 1);
        if end + 1 < len {
            self.delete_range((end + 1) as i64, len - end - 1);
        }
        if start > 0 {
            self.delete_range(0, start);
        }
    }

    /// First entry at or after `off` equal to `v`, looking only at every `skip + 1`th entry (skip = 1 walks the
    /// keys of a field/value listpack).
    pub fn find(&self, off: Option<usize>, v: &[u8], skip: usize) -> Option<usize> {
        let needle = Needle::new(v);
        let mut cur = off;
        while let Some(o) = cur {
            if needle.matches(self.get(o)) {
                return Some(o);
            }
            cur = self.next(o);
            for _ in 0..skip {
                cur = cur.and_then(|c| self.next(c));
            }
        }
        None
    }

    /// Iterates entries front to back (and back to front via `.rev()`).
    pub fn iter(&self) -> Iter<'_> {
        Iter { lp: self, front: self.first(), back: self.last(), done: self.is_empty() }
    }

    /// Checks the structural invariants (used by tests and, later, by loading untrusted RDB blobs).
    pub fn validate(bytes: &[u8]) -> bool {
        if bytes.len() < HDR_SIZE + 1 {
            return false;
        }
        let total = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if total != bytes.len() || bytes[bytes.len() - 1] != EOF_BYTE {
            return false;
        }
        let mut off = HDR_SIZE;
        let mut n = 0usize;
        while bytes[off] != EOF_BYTE {
            let b = bytes[off];
            if (0xF5..=0xFE).contains(&b) {
                return false;
            }
            // Bounds of the length fields themselves.
            let need = match b {
                0xF0 => 5,
                _ if b & 0xF0 == 0xE0 => 2,
                _ => 1,
            };
            if off + need >= bytes.len() {
                return false;
            }
            let l = data_len_at(&bytes[off..]);
            let bl = backlen_size(l);
            if off + l + bl >= bytes.len() {
                return false;
            }
            let mut want = [0u8; 5];
            write_backlen(l, &mut want[..bl]);
            // Byte by byte: a slice comparison of 1-2 bytes is a memcmp call.
            if bytes[off + l..off + l + bl].iter().zip(&want[..bl]).any(|(a, b)| a != b) {
                return false;
            }
            off += l + bl;
            n += 1;
        }
        if off != bytes.len() - 1 {
            return false;
        }
        let c = u16::from_le_bytes([bytes[4], bytes[5]]);
        c == COUNT_UNKNOWN || c as usize == n
    }

    /// Adopts a buffer its caller checked as [`Listpack::validate`] does (the stream loader's check walks the
    /// structure along with the stream's).
    pub fn from_checked(buf: SlabBytes) -> Listpack {
        debug_assert!(Listpack::validate(buf.as_slice()));
        Listpack { buf }
    }

    /// Gives up the buffer (a quicklist node reuses it for its compressed form).
    pub fn into_buf(self) -> SlabBytes {
        self.buf
    }

    /// Adopts a serialized listpack after validating it.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Listpack> {
        if Listpack::validate(&bytes) {
            Some(Listpack { buf: SlabBytes::from_slice(&bytes) })
        } else {
            None
        }
    }
}

/// Double-ended iterator over a listpack's entries.
pub struct Iter<'a> {
    lp: &'a Listpack,
    front: Option<usize>,
    back: Option<usize>,
    done: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = StrRef<'a>;
    #[inline]
    fn next(&mut self) -> Option<StrRef<'a>> {
        if self.done {
            return None;
        }
        let f = self.front?;
        if Some(f) == self.back {
            self.done = true;
        } else {
            self.front = self.lp.next(f);
        }
        Some(self.lp.get(f))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<StrRef<'a>> {
        if self.done {
            return None;
        }
        let b = self.back?;
        if Some(b) == self.front {
            self.done = true;
        } else {
            self.back = self.lp.prev(b);
        }
        Some(self.lp.get(b))
    }
}

impl Listpack {
    /// Iterates consecutive (key, value) entry pairs, as hashes and sorted sets store them.
    pub fn pairs(&self) -> Pairs<'_> {
        Pairs { it: self.iter() }
    }
}

/// Double-ended iterator over (even, odd) entry pairs.
pub struct Pairs<'a> {
    it: Iter<'a>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (StrRef<'a>, StrRef<'a>);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let k = self.it.next()?;
        let v = self.it.next()?;
        Some((k, v))
    }
}

impl DoubleEndedIterator for Pairs<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        let v = self.it.next_back()?;
        let k = self.it.next_back()?;
        Some((k, v))
    }
}

/// Formats an entry into an owned vector (test and conversion helper).
pub fn entry_to_vec(e: StrRef<'_>) -> Vec<u8> {
    let mut b = [0u8; 24];
    e.bytes(&mut b).to_vec()
}

/// Decimal text of an integer entry, for callers that need bytes.
#[inline]
pub fn entry_bytes<'b>(e: StrRef<'b>, buf: &'b mut [u8; 24]) -> &'b [u8] {
    match e {
        StrRef::Int(n) => itoa_buf(n, buf),
        StrRef::Bytes(b) => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_vecs(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(entry_to_vec).collect()
    }

    fn check(lp: &Listpack, model: &[Vec<u8>]) {
        assert!(Listpack::validate(lp.as_bytes()));
        assert_eq!(lp.len(), model.len());
        assert_eq!(to_vecs(lp), model);
        let back: Vec<Vec<u8>> = lp.iter().rev().map(entry_to_vec).collect();
        let mut m = model.to_vec();
        m.reverse();
        assert_eq!(back, m);
    }

    #[test]
    fn empty_layout_matches_redis() {
        let lp = Listpack::new();
        assert_eq!(lp.as_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        assert!(lp.is_empty());
        assert_eq!(lp.first(), None);
        assert_eq!(lp.last(), None);
    }

    #[test]
    fn byte_images_match_redis_format() {
        // "a" -> 0x81 'a' backlen 2; 127 -> 0x7F backlen 1; -1 -> 13-bit 0xDF 0xFF backlen 2.
        let lp = Listpack::from_items([&b"a"[..], b"127", b"-1"]);
        assert_eq!(lp.as_bytes(), &[15, 0, 0, 0, 3, 0, 0x81, b'a', 2, 0x7F, 1, 0xDF, 0xFF, 2, 0xFF]);
        // 1000 fits 13 bits; 5000 needs 16; -70000 needs 24.
        let lp = Listpack::from_items([&b"1000"[..], b"5000", b"-70000"]);
        assert_eq!(&lp.as_bytes()[6..9], &[0xC3, 0xE8, 2]);
        assert_eq!(&lp.as_bytes()[9..13], &[0xF1, 0x88, 0x13, 3]);
        assert_eq!(&lp.as_bytes()[13..18], &[0xF2, 0x90, 0xEE, 0xFE, 4]);
    }

    #[test]
    fn integer_boundaries_round_trip() {
        let vals: [i64; 20] = [
            0,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            -32769,
            8_388_607,
            -8_388_608,
            8_388_608,
            i32::MAX as i64,
            i32::MIN as i64,
            i32::MAX as i64 + 1,
            i64::MAX,
            i64::MIN,
        ];
        let mut lp = Listpack::new();
        for v in vals {
            lp.push_back(v.to_string().as_bytes());
        }
        let got: Vec<StrRef> = lp.iter().collect();
        assert_eq!(got, vals.iter().map(|&v| StrRef::Int(v)).collect::<Vec<_>>());
        assert!(Listpack::validate(lp.as_bytes()));
    }

    #[test]
    fn non_canonical_numbers_stay_strings() {
        let lp = Listpack::from_items([&b"01"[..], b"+1", b" 1", b"-0", b"9223372036854775808", b"1.5"]);
        for e in lp.iter() {
            assert!(matches!(e, StrRef::Bytes(_)));
        }
    }

    #[test]
    fn string_length_boundaries_and_backlens() {
        let mut model = Vec::new();
        let mut lp = Listpack::new();
        for n in [0usize, 1, 63, 64, 125, 126, 127, 128, 4095, 4096, 16382, 16383, 20000] {
            let v = vec![b'x'; n];
            lp.push_back(&v);
            model.push(v);
        }
        check(&lp, &model);
    }

    #[test]
    fn seek_insert_replace_delete() {
        let mut lp = Listpack::from_items([&b"a"[..], b"b", b"c"]);
        assert_eq!(lp.get_index(-1).map(entry_to_vec), Some(b"c".to_vec()));
        assert_eq!(lp.get_index(-3).map(entry_to_vec), Some(b"a".to_vec()));
        assert_eq!(lp.get_index(-4), None);
        assert_eq!(lp.get_index(3), None);
        assert_eq!(lp.get_index(i64::MIN), None);
        let b = lp.seek(1).unwrap();
        let o = lp.insert_after(b, b"12345");
        assert_eq!(lp.get(o), StrRef::Int(12345));
        lp.insert_before(lp.seek(0).unwrap(), b"z");
        check(&lp, &[b"z".to_vec(), b"a".to_vec(), b"b".to_vec(), b"12345".to_vec(), b"c".to_vec()]);
        let off = lp.seek(2).unwrap();
        lp.replace(off, &[b'q'; 300]);
        lp.replace(lp.seek(0).unwrap(), b"7");
        check(&lp, &[b"7".to_vec(), b"a".to_vec(), vec![b'q'; 300], b"12345".to_vec(), b"c".to_vec()]);
        lp.delete_range(1, 2);
        check(&lp, &[b"7".to_vec(), b"12345".to_vec(), b"c".to_vec()]);
        assert_eq!(lp.find(lp.first(), b"c", 0), lp.seek(2));
        assert_eq!(lp.find(lp.first(), b"12345", 0), lp.seek(1));
        assert_eq!(lp.find(lp.first(), b"c", 1), lp.seek(2));
        assert_eq!(lp.find(lp.first(), b"12345", 1), None);
        lp.retain_range(1, 1);
        check(&lp, &[b"12345".to_vec()]);
    }

    #[test]
    fn hundred_thousand_entries_use_unknown_count() {
        let mut lp = Listpack::new();
        let mut model = Vec::new();
        for i in 0..100_000u32 {
            let v = if i % 3 == 0 { format!("s{i}").into_bytes() } else { i.to_string().into_bytes() };
            lp.push_back(&v);
            model.push(v);
        }
        assert_eq!(u16::from_le_bytes([lp.as_bytes()[4], lp.as_bytes()[5]]), COUNT_UNKNOWN);
        check(&lp, &model);
        assert_eq!(lp.get_index(54_321).map(entry_to_vec), Some(model[54_321].clone()));
        // Shrinking back under the limit restores an exact count.
        lp.delete_range(0, 50_000);
        model.drain(0..50_000);
        assert_eq!(u16::from_le_bytes([lp.as_bytes()[4], lp.as_bytes()[5]]) as usize, model.len());
        check(&lp, &model);
    }

    #[derive(Debug, Clone)]
    enum Op {
        PushBack(Vec<u8>),
        PushFront(Vec<u8>),
        Insert(usize, Vec<u8>),
        Replace(usize, Vec<u8>),
        Delete(usize, usize),
    }

    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string().into_bytes()),
            (-5000i64..5000).prop_map(|n| n.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..80),
            (60usize..5000).prop_map(|n| vec![b'y'; n]),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            value().prop_map(Op::PushBack),
            value().prop_map(Op::PushFront),
            (any::<usize>(), value()).prop_map(|(i, v)| Op::Insert(i, v)),
            (any::<usize>(), value()).prop_map(|(i, v)| Op::Replace(i, v)),
            (any::<usize>(), 0usize..4).prop_map(|(i, n)| Op::Delete(i, n)),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_vec(ops in proptest::collection::vec(op(), 1..60)) {
            let mut lp = Listpack::new();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                match op {
                    Op::PushBack(v) => { lp.push_back(&v); model.push(v); }
                    Op::PushFront(v) => { lp.push_front(&v); model.insert(0, v); }
                    Op::Insert(i, v) => {
                        let i = i % (model.len() + 1);
                        lp.insert_index(i, &v);
                        model.insert(i, v);
                    }
                    Op::Replace(i, v) => {
                        if !model.is_empty() {
                            let i = i % model.len();
                            let off = lp.seek(i as i64).unwrap();
                            lp.replace(off, &v);
                            model[i] = v;
                        }
                    }
                    Op::Delete(i, n) => {
                        if !model.is_empty() {
                            let i = i % model.len();
                            lp.delete_range(i as i64, n);
                            let end = (i + n).min(model.len());
                            model.drain(i..end);
                        }
                    }
                }
                check(&lp, &model);
            }
            for (i, m) in model.iter().enumerate() {
                prop_assert_eq!(lp.find(lp.first(), m, 0).map(|o| entry_to_vec(lp.get(o))), Some(m.clone()));
                let neg = i as i64 - model.len() as i64;
                prop_assert_eq!(lp.get_index(neg).map(entry_to_vec), Some(m.clone()));
            }
        }
    }
}
