//! [`SmallStr`]: the strings of a document (string values and object keys) in 16 bytes.
//!
//! Most strings in JSON documents are short (keys, identifiers, enum-like values), so a string of up to
//! [`INLINE`] bytes is kept inside the node itself, with no allocation; a longer one is boxed behind a thin
//! pointer, so that the whole [`SmallStr`] (and the [`Json`](super::Json) node holding one) stays 16 bytes.
//!
//! ```text
//!  Inline                                   Heap
//!  +-----+-----+------------------------+   +-----+-------------+-------------------+
//!  | tag | len | bytes (up to 14)       |   | tag | (padding)   | ThinStr           |--> len, cap, bytes
//!  +-----+-----+------------------------+   +-----+-------------+-------------------+
//!    0     1     2                    15      0                   8
//! ```

use crate::keyspace::thin::ThinStr;
use std::fmt;
use std::ops::Deref;

/// The longest string kept inline.
pub const INLINE: usize = 14;

/// A string of up to [`INLINE`] bytes in place, or a longer one on the heap (see the module header).
#[derive(Clone)]
pub enum SmallStr {
    /// The length, then that many bytes of UTF-8 (the bytes past them are unspecified and never read).
    Inline(u8, [u8; INLINE]),
    Heap(ThinStr),
    /// Never a string: the key of the hidden member in front of a large object's members, which holds the index
    /// of their keys ([`super::Object`], [`super::index`]); it reads as the empty string.
    Index(Box<super::index::KeyIndex>),
}

impl SmallStr {
    pub fn new(s: &str) -> SmallStr {
        if s.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            SmallStr::Inline(s.len() as u8, buf)
        } else {
            SmallStr::Heap(ThinStr::new(s))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Built from a `&str` (`new`), so always UTF-8; the fallback is never taken.
            SmallStr::Inline(n, buf) => std::str::from_utf8(&buf[..*n as usize]).unwrap_or_default(),
            SmallStr::Heap(b) => b.as_str(),
            SmallStr::Index(_) => "",
        }
    }

    /// The string's bytes (no UTF-8 check: for writers that copy them).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            SmallStr::Inline(n, buf) => &buf[..*n as usize],
            SmallStr::Heap(b) => b.as_bytes(),
            SmallStr::Index(_) => b"",
        }
    }

    /// Bytes held on the heap (as the allocator charges its chunks), for MEMORY USAGE.
    pub fn heap_bytes(&self) -> usize {
        match self {
            SmallStr::Inline(..) => 0,
            SmallStr::Heap(b) => super::thin_chunk(b.capacity(), 1),
            SmallStr::Index(ix) => ix.heap_bytes(),
        }
    }
}

impl Deref for SmallStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for SmallStr {
    fn eq(&self, other: &SmallStr) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for SmallStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SmallStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for SmallStr {
    fn from(s: &str) -> SmallStr {
        SmallStr::new(s)
    }
}

impl From<String> for SmallStr {
    fn from(s: String) -> SmallStr {
        if s.len() <= INLINE {
            SmallStr::new(&s)
        } else {
            SmallStr::Heap(ThinStr::new(&s))
        }
    }
}

impl From<Box<str>> for SmallStr {
    fn from(s: Box<str>) -> SmallStr {
        if s.len() <= INLINE {
            SmallStr::new(&s)
        } else {
            SmallStr::Heap(ThinStr::new(&s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bytes_inline_or_boxed() {
        assert_eq!(std::mem::size_of::<SmallStr>(), 16);
        for s in ["", "a", "fourteen bytes", "fifteen bytes!!", "ünïcödé ünïcödé", &"x".repeat(300)] {
            let v = SmallStr::new(s);
            assert_eq!(v.as_str(), s);
            assert_eq!(matches!(v, SmallStr::Inline(..)), s.len() <= INLINE);
            assert_eq!(SmallStr::from(s.to_string()), v);
            assert_eq!(SmallStr::from(Box::<str>::from(s)), v);
        }
    }
}
