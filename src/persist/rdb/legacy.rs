//! Decoding of the pre-7.0 compact encodings that RDB files may still hold: ziplists (lists, hashes and sorted
//! sets of Redis 3.2-6.2, and quicklist nodes) and zipmaps (hashes of Redis 2.4 and older). Both are converted
//! into listpacks on load, as Redis 7.0 does, after a full validation (every entry, every bound).
//!
//! ```text
//! ziplist: | zlbytes u32 | zltail u32 | zllen u16 | entry ... | 0xFF |
//!   entry: | prevlen: 1 byte (< 254) or 0xFE + u32 | encoding | data |
//!   encoding: 00pppppp (str <= 63) | 01pppppp qqqqqqqq (str, 14-bit BE) | 10______ + u32 BE (str)
//!             0xC0 i16 | 0xD0 i32 | 0xE0 i64 | 0xF0 i24 | 0xFE i8 | 0xF1..0xFD immediate 0..12   (LE)
//! zipmap:  | count u8 | (len field, len value, free u8, value, free bytes)... | 0xFF |
//!   len: one byte < 254, or 0xFE + u32 (LE)
//! ```
//!
//! Tests: hand-built byte images in `tests.rs` (each encoding, bad bounds, wrong prevlen/tail/count).

use crate::keyspace::object::StrRef;
use crate::keyspace::types::listpack::{Listpack, LpInput};
use std::collections::HashSet;

const ZL_HEADER: usize = 10;
const ZL_END: u8 = 0xFF;

/// Walks a ziplist, validating every entry (Redis's deep `ziplistValidateIntegrity`), calling `f` per entry.
/// Returns the number of entries, or None when the ziplist is malformed or `f` refuses an entry.
fn ziplist_for_each(zl: &[u8], mut f: impl FnMut(StrRef<'_>) -> bool) -> Option<usize> {
    let size = zl.len();
    if size < ZL_HEADER + 1 {
        return None;
    }
    let u32_at = |p: usize| -> Option<u32> { Some(u32::from_le_bytes(zl.get(p..p + 4)?.try_into().ok()?)) };
    if u32_at(0)? as usize != size || zl[size - 1] != ZL_END {
        return None;
    }
    let tail = u32_at(4)? as usize;
    if tail > size - 1 {
        return None;
    }
    let header_count = u16::from_le_bytes([zl[8], zl[9]]);
    let last = size - 1; // index of the end marker
    let mut p = ZL_HEADER;
    let mut prev_raw = 0usize;
    let mut prev: Option<usize> = None;
    let mut count = 0usize;
    while zl[p] != ZL_END {
        let (prevlensize, prevlen) = if zl[p] < 254 {
            (1, zl[p] as usize)
        } else {
            if p + 5 > last {
                return None;
            }
            (5, u32_at(p + 1)? as usize)
        };
        if prevlen != prev_raw {
            return None;
        }
        let e = p + prevlensize;
        if e >= last {
            return None;
        }
        let enc = zl[e];
        let (lensize, len, value): (usize, usize, Option<i64>) = match enc >> 6 {
            0 => (1, (enc & 0x3f) as usize, None),
            1 => (2, (((enc & 0x3f) as usize) << 8) | *zl.get(e + 1)? as usize, None),
            2 => (5, u32::from_be_bytes(zl.get(e + 1..e + 5)?.try_into().ok()?) as usize, None),
            _ => match enc {
                0xC0 => (1, 2, None),
                0xD0 => (1, 4, None),
                0xE0 => (1, 8, None),
                0xF0 => (1, 3, None),
                0xFE => (1, 1, None),
                0xF1..=0xFD => (1, 0, Some((enc & 0x0f) as i64 - 1)),
                _ => return None,
            },
        };
        let data = e + lensize;
        let end = data.checked_add(len)?;
        if data > last || end > last {
            return None;
        }
        let d = &zl[data..end];
        let item = if enc >> 6 != 3 {
            StrRef::Bytes(d)
        } else if let Some(v) = value {
            StrRef::Int(v)
        } else {
            StrRef::Int(match enc {
                0xC0 => i16::from_le_bytes([d[0], d[1]]) as i64,
                0xD0 => i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64,
                0xE0 => i64::from_le_bytes(d.try_into().ok()?),
                0xF0 => (i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8) as i64,
                _ => d[0] as i8 as i64,
            })
        };
        if !f(item) {
            return None;
        }
        prev_raw = end - p;
        prev = Some(p);
        p = end;
        count += 1;
    }
    if p != last {
        return None;
    }
    if let Some(pr) = prev {
        if pr != tail {
            return None;
        }
    }
    if header_count != u16::MAX && header_count as usize != count {
        return None;
    }
    Some(count)
}

/// A ziplist's entries as a listpack. With `pairs`, the entry count must be even and the keys (even entries)
/// distinct (hash fields, sorted set members), as Redis checks when converting.
pub(super) fn ziplist_to_listpack(zl: &[u8], pairs: bool) -> Option<Listpack> {
    let mut lp = Listpack::new();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut i = 0usize;
    let n = ziplist_for_each(zl, |e| {
        if pairs && i % 2 == 0 && !seen.insert(crate::keyspace::types::listpack::entry_to_vec(e)) {
            return false;
        }
        i += 1;
        match e {
            StrRef::Int(v) => lp.push_back_input(LpInput::Int(v)),
            StrRef::Bytes(b) => lp.push_back(b),
        }
        true
    })?;
    if pairs && n % 2 != 0 {
        return None;
    }
    lp.shrink_to_fit();
    Some(lp)
}

/// A zipmap's field/value pairs as a listpack, and the longest field or value; None when malformed, empty, or
/// holding a duplicate field.
pub(super) fn zipmap_to_listpack(zm: &[u8]) -> Option<(Listpack, usize)> {
    let size = zm.len();
    if size < 2 || zm[size - 1] != 0xFF {
        return None;
    }
    let last = size - 1;
    // (length, bytes of the length field) at p
    let len_at = |p: usize| -> Option<(usize, usize)> {
        let b = *zm.get(p)?;
        if b < 254 {
            Some((b as usize, 1))
        } else {
            Some((u32::from_le_bytes(zm.get(p + 1..p + 5)?.try_into().ok()?) as usize, 5))
        }
    };
    let mut lp = Listpack::new();
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut maxlen = 0usize;
    let mut count = 0usize;
    let mut p = 1;
    while p < last && zm[p] != 0xFF {
        let (flen, s) = len_at(p)?;
        let f0 = p + s;
        let f1 = f0.checked_add(flen)?;
        if f0 > last || f1 > last {
            return None;
        }
        let (vlen, s) = len_at(f1)?;
        let free_at = f1 + s;
        if free_at >= last {
            return None;
        }
        let free = zm[free_at] as usize;
        let v0 = free_at + 1;
        let v1 = v0.checked_add(vlen)?;
        let next = v1.checked_add(free)?;
        if v1 > last || next > last {
            return None;
        }
        let field = &zm[f0..f1];
        if !seen.insert(field) {
            return None;
        }
        maxlen = maxlen.max(flen).max(vlen);
        lp.push_back(field);
        lp.push_back(&zm[v0..v1]);
        count += 1;
        p = next;
    }
    if p != last || count == 0 || (zm[0] != 254 && zm[0] as usize != count) {
        return None;
    }
    Some((lp, maxlen))
}
