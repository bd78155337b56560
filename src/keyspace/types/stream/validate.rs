//! Checks of a stream node's listpack as it comes from a file or a RESTORE payload (Redis's
//! `streamValidateListpackIntegrity`): the master entry, every entry's flags, ids, field counts and back-lengths,
//! and the counts the node records, so a corrupt node is refused before it becomes part of a stream.

use super::FLAG_SAMEFIELDS;
use crate::alloc::slab::SlabBytes;
use crate::keyspace::types::listpack::Listpack;
use crate::util::parse_i64;

/// Checks a node loaded from a file (`streamValidateListpackIntegrity`) and adopts it: see [`check_node`].
pub fn validate_node(bytes: &[u8]) -> Option<Listpack> {
    check_node(bytes).then(|| Listpack::from_checked(SlabBytes::from_slice(bytes)))
}

/// One listpack element as the load-time check sees it.
enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

/// A cursor over raw listpack bytes that checks each element's encoding, bounds and backlen as it steps (the
/// listpack's structural check and the stream's, in one pass over the node).
struct RawCursor<'a> {
    b: &'a [u8],
    off: usize,
    n: usize,
}

impl<'a> RawCursor<'a> {
    /// Steps over the next element; None at the end marker or on a malformed element.
    #[inline(always)]
    fn elem(&mut self) -> Option<Elem<'a>> {
        let b = self.b;
        let off = self.off;
        let e = *b.get(off)?;
        let byte = |i: usize| b.get(off + i).map(|&x| x as u32);
        let (l, v) = if e < 0x80 {
            (1, Elem::Int(e as i64))
        } else if e < 0xC0 {
            let l = 1 + (e & 0x3F) as usize;
            (l, Elem::Str(b.get(off + 1..off + l)?))
        } else if e < 0xE0 {
            let u = ((((e & 0x1F) as u32) << 8) | byte(1)?) as u16;
            (2, Elem::Int(((u << 3) as i16 >> 3) as i64))
        } else if e < 0xF0 {
            let l = 2 + ((((e & 0x0F) as usize) << 8) | byte(1)? as usize);
            (l, Elem::Str(b.get(off + 2..off + l)?))
        } else {
            match e {
                0xF0 => {
                    let n = byte(1)? | byte(2)? << 8 | byte(3)? << 16 | byte(4)? << 24;
                    let l = 5usize.checked_add(n as usize)?;
                    (l, Elem::Str(b.get(off + 5..off.checked_add(l)?)?))
                }
                0xF1 => (3, Elem::Int((byte(1)? | byte(2)? << 8) as u16 as i16 as i64)),
                0xF2 => (4, Elem::Int(((byte(1)? << 8 | byte(2)? << 16 | byte(3)? << 24) as i32 >> 8) as i64)),
                0xF3 => (5, Elem::Int((byte(1)? | byte(2)? << 8 | byte(3)? << 16 | byte(4)? << 24) as i32 as i64)),
                0xF4 => {
                    let h: [u8; 8] = b.get(off + 1..off + 9)?.try_into().ok()?;
                    (9, Elem::Int(i64::from_le_bytes(h)))
                }
                _ => return None,
            }
        };
        let end = off + l;
        if l < 128 {
            if *b.get(end)? != l as u8 {
                return None;
            }
            self.off = end + 1;
        } else {
            let bl = crate::keyspace::types::listpack::backlen_size(l);
            let mut want = [0u8; 5];
            crate::keyspace::types::listpack::write_backlen(l, &mut want[..bl]);
            let got = b.get(end..end + bl)?;
            if got.iter().zip(&want[..bl]).any(|(a, b)| a != b) {
                return None;
            }
            self.off = end + bl;
        }
        self.n += 1;
        Some(v)
    }

    /// The next element as an integer (an integer entry, or a string that is one).
    #[inline(always)]
    fn int(&mut self) -> Option<i64> {
        // Most integers of a node (flags, small id deltas, lp-counts) are 7-bit ones: a byte and a backlen of 1.
        if let Some(&[e, 1]) = self.b.get(self.off..self.off + 2) {
            if e < 0x80 {
                self.off += 2;
                self.n += 1;
                return Some(e as i64);
            }
        }
        match self.elem()? {
            Elem::Int(n) => Some(n),
            Elem::Str(s) => parse_i64(s),
        }
    }

    /// Steps over `n` elements (their values unread).
    #[inline]
    fn skip(&mut self, n: i64) -> Option<()> {
        for _ in 0..n {
            let b = self.b;
            let off = self.off;
            let e = *b.get(off)?;
            let l = match e {
                0..=0x7F => 1,
                0xC0..=0xDF => 2,
                0xF1 => 3,
                0xF2 => 4,
                0xF3 => 5,
                0xF4 => 9,
                _ => {
                    self.elem()?;
                    continue;
                }
            };
            if *b.get(off + l)? != l as u8 {
                return None;
            }
            self.off = off + l + 1;
            self.n += 1;
        }
        Some(())
    }
}

/// Checks a node loaded from a file: the listpack's structure (header total and end marker, every element's
/// encoding inside the buffer with a matching backlen, the header count), then, as Redis's deep check does, a
/// master entry followed by `count + deleted` well-formed entries ending exactly at the listpack's end, with
/// integers where the format has integers and each lp-count matching its entry. Both run in one pass over the
/// bytes, whatever `sanitize-dump-payload` says (Redis checks only the header unless it is `yes`): the stream
/// code walks nodes trusting their structure, and its in-place flag rewrites rely on the entries being well
/// formed, so a corrupt file gives an error here instead of a crash later.
pub fn check_node(b: &[u8]) -> bool {
    check_node_inner(b).is_some()
}

fn check_node_inner(b: &[u8]) -> Option<()> {
    let len = b.len();
    if len < 7 || u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize != len || b[len - 1] != 0xFF {
        return None;
    }
    let mut c = RawCursor { b: &b[..len - 1], off: 6, n: 0 };
    let count = c.int()?;
    let deleted = c.int()?;
    let master_fields = c.int()?;
    c.skip(master_fields)?;
    if c.int()? != 0 {
        return None;
    }
    let total = count.checked_add(deleted)?;
    if total < 0 {
        return None;
    }
    for _ in 0..total {
        let flags = c.int()?;
        c.int()?;
        c.int()?;
        let mut fields = master_fields;
        let mut extra = 3i64;
        if flags & FLAG_SAMEFIELDS == 0 {
            fields = c.int()?;
            c.skip(fields)?;
            extra = extra.wrapping_add(fields).wrapping_add(1);
        }
        c.skip(fields)?;
        if c.int()? != fields.wrapping_add(extra) {
            return None;
        }
    }
    let stored = u16::from_le_bytes([b[4], b[5]]);
    (c.off == len - 1 && (stored == u16::MAX || stored as usize == c.n)).then_some(())
}
