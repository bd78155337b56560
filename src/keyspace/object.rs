//! Keyspace entries: one key, its value, and a compact object header.
//!
//! Header layout (32 bits), as Redis's `robj` keeps it:
//!
//! ```text
//!  31    28 27    24 23                                   0
//! +--------+--------+--------------------------------------+
//! |  type  |  enc   |  LRU clock (24 bits)  or             |
//! |        |        |  LFU: minutes (16 bits) | counter (8) |
//! +--------+--------+--------------------------------------+
//! ```
//!
//! An [`Entry`] is a thin pointer to one packed slab allocation holding header, flags, key and (for small strings)
//! the value itself; see its documentation for the byte layout. What freeing an entry costs is measured here too
//! ([`Entry::free_effort`]): above [`FREE_EFFORT_THRESHOLD`] a value is big, and is freed on the lazy-free thread
//! ([`keyspace::lazyfree`](crate::keyspace::lazyfree)) by UNLINK and wherever a `lazyfree-lazy-*` setting asks for it.
//!
//! Tested by the unit and property tests at the end of this file (against a model of the value; reallocation on
//! set_string/set_int/raw_mut; drop accounting).

use crate::alloc::slab;
use crate::util::parse_i64;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// Redis object types, numbered as Redis numbers them (`OBJ_STRING` ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ObjType {
    String = 0,
    List = 1,
    Set = 2,
    ZSet = 3,
    Hash = 4,
    /// A module type's value (Redis's `OBJ_MODULE`): here the built-in JSON type (RedisJSON's `ReJSON-RL`) and
    /// the probabilistic types, each with a TYPE name of its own ([`Entry::type_name`]).
    Module = 5,
    Stream = 6,
}

impl ObjType {
    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            ObjType::String => "string",
            ObjType::List => "list",
            ObjType::Set => "set",
            ObjType::ZSet => "zset",
            ObjType::Hash => "hash",
            ObjType::Stream => "stream",
            ObjType::Module => "module",
        }
    }

    /// Parses a `SCAN ... TYPE` argument (case-insensitive).
    pub fn from_name(name: &[u8]) -> Option<ObjType> {
        let n = name.to_ascii_lowercase();
        Some(match n.as_slice() {
            b"string" => ObjType::String,
            b"list" => ObjType::List,
            b"set" => ObjType::Set,
            b"zset" => ObjType::ZSet,
            b"hash" => ObjType::Hash,
            b"stream" => ObjType::Stream,
            b"rejson-rl" => ObjType::Module,
            _ => return None,
        })
    }
}

pub use crate::keyspace::types::{Encoding, StrRef};

/// Strings up to this length are created `embstr`, as in Redis (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// Values whose freeing takes more steps than this ([`Entry::free_effort`]) are big: UNLINK and the server's own
/// deletions hand them to the lazy-free thread ([`keyspace::lazyfree`](crate::keyspace::lazyfree)) instead of freeing
/// them on the spot (Redis's `LAZYFREE_THRESHOLD`).
pub const FREE_EFFORT_THRESHOLD: usize = 64;

/// Values of the collection types (strings are stored inside [`Entry`] itself).
#[derive(Debug)]
pub enum Value {
    List(crate::keyspace::types::list::List),
    Hash(crate::keyspace::types::hash::Hash),
    Set(crate::keyspace::types::set::Set),
    ZSet(crate::keyspace::types::zset::ZSet),
    /// Boxed: a stream's header (counters, ids, groups) is bigger than the 24 bytes a value has in an entry.
    Stream(Box<crate::keyspace::types::stream::Stream>),
    /// A JSON document (RedisJSON's `ReJSON-RL` module type, built in): its root node in place (16 bytes).
    Json(crate::keyspace::types::json::Doc),
    /// A probabilistic type (Bloom, Count-Min), boxed for the same reason.
    Prob(Box<crate::keyspace::types::prob::Prob>),
}

impl Value {
    pub fn obj_type(&self) -> ObjType {
        match self {
            Value::List(_) => ObjType::List,
            Value::Hash(_) => ObjType::Hash,
            Value::Set(_) => ObjType::Set,
            Value::ZSet(_) => ObjType::ZSet,
            Value::Stream(_) => ObjType::Stream,
            Value::Json(_) => ObjType::Module,
            Value::Prob(_) => ObjType::Module,
        }
    }

    pub fn encoding(&self) -> Encoding {
        match self {
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => Encoding::Stream,
            // Redis reports every module value as `raw`.
            Value::Json(_) => Encoding::Raw,
            Value::Prob(_) => Encoding::Raw,
        }
    }

    /// Number of elements (list entries, hash fields, set or sorted set members, stream entries).
    pub fn len(&self) -> usize {
        match self {
            Value::List(l) => l.len(),
            Value::Hash(h) => h.len(),
            Value::Set(s) => s.len(),
            Value::ZSet(z) => z.len(),
            Value::Stream(s) => s.len(),
            Value::Json(_) => 1,
            Value::Prob(p) => p.len(),
        }
    }

    /// Whether the collection is empty. A stream is never "empty" in this sense: an empty stream is a key of
    /// its own (XADD ... MAXLEN 0, XDEL of the last entry and XTRIM leave it), so removal-when-empty paths skip it.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Stream(_) | Value::Json(_) | Value::Prob(_) => false,
            _ => self.len() == 0,
        }
    }

    /// A deep copy in the same encoding (COPY, and MOVE's fallback).
    pub fn duplicate(&self) -> Value {
        use crate::keyspace::dict::Dict;
        use crate::keyspace::types::{list::List, set::Set, zset::ZSet, zset::ZSkip};
        match self {
            Value::List(List::ListPack(lp)) => Value::List(List::ListPack(lp.clone())),
            Value::List(List::QuickList(q)) => Value::List(List::QuickList(q.clone())),
            // New tables (each with its own hash seed) get their final size up front; the copy is not filed in
            // any database's field-expiry index until it is inserted.
            Value::Hash(h) => Value::Hash(h.clone()),
            Value::Set(Set::IntSet(s)) => Value::Set(Set::IntSet(s.clone())),
            Value::Set(Set::HashTable(d)) => {
                let mut n = Dict::new();
                n.reserve(d.len());
                for m in d.iter() {
                    n.insert(m.clone());
                }
                Value::Set(Set::HashTable(Box::new(n)))
            }
            Value::ZSet(ZSet::ListPack(lp)) => Value::ZSet(ZSet::ListPack(lp.clone())),
            Value::ZSet(ZSet::SkipList(z)) => {
                // The arena keeps node indexes on clone, so the dict's node references stay valid.
                let mut dict = Dict::new();
                dict.reserve(z.dict.len());
                for e in z.dict.iter() {
                    dict.insert(e.clone());
                }
                Value::ZSet(ZSet::SkipList(Box::new(ZSkip { dict, list: z.list.clone() })))
            }
            Value::Stream(s) => Value::Stream(s.clone()),
            Value::Json(j) => Value::Json(j.clone()),
            Value::Prob(p) => Value::Prob(p.clone()),
        }
    }

    /// Heap bytes held by the value (its own box excluded), for MEMORY USAGE and DEBUG OBJECT estimates.
    pub fn alloc_bytes(&self) -> usize {
        use crate::keyspace::types::{set::Set, zset::ZSet};
        match self {
            Value::List(l) => l.alloc_bytes(),
            Value::Hash(h) => h.alloc_bytes(),
            Value::Set(Set::IntSet(s)) => s.alloc_bytes(),
            Value::Set(Set::HashTable(d)) => {
                std::mem::size_of_val(&**d) + d.table_bytes() + d.iter().map(|m| m.heap_bytes()).sum::<usize>()
            }
            Value::ZSet(ZSet::ListPack(lp)) => lp.alloc_bytes(),
            Value::ZSet(ZSet::SkipList(z)) => std::mem::size_of_val(&**z) + z.dict.table_bytes() + z.list.alloc_bytes(),
            Value::Stream(s) => std::mem::size_of_val(&**s) + s.alloc_bytes(),
            Value::Json(j) => j.heap_bytes(),
            Value::Prob(p) => p.alloc_bytes(),
        }
    }
}

/// The collection types a command can ask its context's typed lookups for (`command::Ctx::write_typed` and
/// friends).
pub trait ValueKind: Sized {
    const TYPE: ObjType;
    fn of(v: &mut Value) -> Option<&mut Self>;
    /// [`ValueKind::of`] for reading.
    fn of_ref(v: &Value) -> Option<&Self>;
    fn into_value(self) -> Value;
}

/// `ValueKind` for a type held in `Value::$variant` (`boxed`: behind a `Box`, as the stream is), one expansion for
/// every collection type and the JSON document.
macro_rules! value_kind {
    ($t:ty, $variant:ident, $ot:ident) => {
        value_kind!(@ $t, $variant, $ot, std::convert::identity);
    };
    ($t:ty, $variant:ident, $ot:ident, boxed) => {
        value_kind!(@ $t, $variant, $ot, Box::new);
    };
    (@ $t:ty, $variant:ident, $ot:ident, $wrap:path) => {
        impl ValueKind for $t {
            const TYPE: ObjType = ObjType::$ot;
            #[inline]
            fn of(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            #[inline]
            fn of_ref(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn into_value(self) -> Value {
                Value::$variant($wrap(self))
            }
        }
    };
}
value_kind!(crate::keyspace::types::list::List, List, List);
value_kind!(crate::keyspace::types::hash::Hash, Hash, Hash);
value_kind!(crate::keyspace::types::set::Set, Set, Set);
value_kind!(crate::keyspace::types::zset::ZSet, ZSet, ZSet);
value_kind!(crate::keyspace::types::stream::Stream, Stream, Stream, boxed);
value_kind!(crate::keyspace::types::json::Doc, Json, Module);

/// One key and its value, owned by the keyspace dict: a thin pointer to ONE packed allocation from the slab
/// allocator ([`crate::alloc::slab`]), so a dict slot is 8 bytes and a small string key costs one small chunk.
///
/// ```text
///  offset 0        4       5            5 or 13                  (8-aligned for raw/value)
///  +---------------+-------+------------+----------+-----------+--------------------------------------------+
///  | header u32    | flags | [expire    | klen     | key bytes | payload, by kind (flags bits 1-2):          |
///  | type|enc|lru  |       |  i64 ms]   | (varint) |           |  int:    zigzag varint                      |
///  +---------------+-------+------------+----------+-----------+  embstr: varint length + bytes              |
///   flags bit 0 = has_expire (the 8-byte expire     |           |  raw:    [pad] Vec<u8> (24 bytes, inline)   |
///   field is present), bit 3 = unshared int         |           |  value:  [pad] Value (24 bytes, inline)     |
///                                                                +--------------------------------------------+
/// ```
///
/// The key's absolute expire time (ms since the epoch) lives in the entry itself, only when the key has one: a
/// TTL costs 8 bytes (often nothing, when the chunk had slack), not a second table entry with its own copy of the
/// key. Adding or removing a TTL reallocates the chunk ([`Entry::set_expire`]); changing it is in place. The
/// field is unaligned (offset 5) and read with `read_unaligned`.
///
/// The allocation's size is always recomputable from its contents, so it is not stored. Invariants: the bytes were
/// written by [`Entry::build`](crate::keyspace::object::Entry::build) and describe themselves consistently; a raw
/// payload is a valid `Vec<u8>` and a value payload a valid [`Value`] (inline, so a collection's handle costs no
/// allocation of its own), both owned by the entry and dropped with it.
#[repr(transparent)]
pub struct Entry {
    ptr: NonNull<u8>,
    // Owns (through the packed bytes) a Vec<u8> or a Value (drop check).
    _owns: PhantomData<(Vec<u8>, Value)>,
}

// SAFETY: an Entry exclusively owns its chunk and the Vec/Value inside it, so moving it to another thread is like
// moving those (hence the bound on Value). Its chunk may then be freed on that thread: the slab's pages are never
// released, and a freed chunk simply joins the freeing thread's free list (see `alloc::slab`).
unsafe impl Send for Entry where Value: Send {}
// SAFETY: `&Entry` only reads the chunk (no interior mutability); sharing it is like sharing `&Vec<u8>`/`&Value`.
unsafe impl Sync for Entry where Value: Sync {}

const FLAG_EXPIRE: u8 = 1;
const KIND_SHIFT: u8 = 1;
const KIND_MASK: u8 = 3;
/// An int value Redis would hold in an object of its own rather than a shared integer (COPY duplicates the
/// object): `OBJECT REFCOUNT` then answers 1.
const FLAG_UNSHARED: u8 = 1 << 3;
const KIND_INT: u8 = 0;
const KIND_EMB: u8 = 1;
const KIND_RAW: u8 = 2;
const KIND_VAL: u8 = 3;
/// Where the key-length varint starts in an entry without a TTL; with one, 8 bytes later.
const KEY_LEN_OFF: usize = 5;
/// Where the expire time starts, when the entry has one.
const EXPIRE_OFF: usize = 5;

const TYPE_SHIFT: u32 = 28;
const ENC_SHIFT: u32 = 24;
pub const LRU_BITS: u32 = 24;
pub const LRU_MASK: u32 = (1 << LRU_BITS) - 1;
/// Resolution of the LRU clock in milliseconds, as Redis's `LRU_CLOCK_RESOLUTION`.
pub const LRU_CLOCK_RESOLUTION_MS: i64 = 1000;

/// Integers that Redis shares instead of allocating (`OBJ_SHARED_INTEGERS`); `OBJECT REFCOUNT` reports them as
/// [`i32::MAX`] when no maxmemory policy forbids sharing.
pub const SHARED_INTEGERS: i64 = 10000;

fn header(t: ObjType, e: Encoding, lru: u32) -> u32 {
    ((t as u32) << TYPE_SHIFT) | ((e as u32) << ENC_SHIFT) | (lru & LRU_MASK)
}

/// A payload on its way into an entry.
enum Payload<'a> {
    Int(i64),
    Emb(&'a [u8]),
    Raw(Vec<u8>),
    Val(Value),
}

impl Payload<'_> {
    fn kind(&self) -> u8 {
        match self {
            Payload::Int(_) => KIND_INT,
            Payload::Emb(_) => KIND_EMB,
            Payload::Raw(_) => KIND_RAW,
            Payload::Val(_) => KIND_VAL,
        }
    }

    /// Bytes the payload takes when it starts at offset `off`.
    fn end(&self, off: usize) -> usize {
        match self {
            Payload::Int(n) => off + varint_len(zigzag(*n)),
            Payload::Emb(b) => off + varint_len(b.len() as u64) + b.len(),
            Payload::Raw(_) => align8(off) + std::mem::size_of::<Vec<u8>>(),
            Payload::Val(_) => align8(off) + std::mem::size_of::<Value>(),
        }
    }
}

#[inline]
fn align8(n: usize) -> usize {
    (n + 7) & !7
}

#[inline]
fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

#[inline]
fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[inline]
fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Writes `v` as LEB128 at `p`; returns the bytes written.
///
/// # Safety
/// `p` must be valid for `varint_len(v)` bytes of writes.
#[inline]
unsafe fn write_varint(p: *mut u8, mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        // SAFETY: i < varint_len(v), within the caller's guarantee.
        unsafe { p.add(i).write((v as u8) | 0x80) };
        v >>= 7;
        i += 1;
    }
    // SAFETY: as above (last byte).
    unsafe { p.add(i).write(v as u8) };
    i + 1
}

/// Copies `len` bytes from `src` to `dst`, which may overlap. A key or a small value is the common case, and for
/// up to 16 bytes a call to libc's memmove costs more than the copy (about 20 instructions per SET of a short
/// value): those are copied inline, every load before the first store so that an overlap reads the old bytes.
///
/// # Safety
/// `src` must be valid for `len` bytes of reads and `dst` for `len` bytes of writes.
#[inline(always)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, len: usize) {
    // SAFETY: in every arm, each offset read or written is below `len` (for 8..=16, `len - 8` and the eight bytes
    // after it; for 4..=7, `len - 4` and four; for 1..=3, 0, `len / 2` and `len - 1`), within the caller's
    // ranges; unaligned reads and writes need no alignment.
    unsafe {
        match len {
            0 => {}
            1..=3 => {
                let (a, b, c) = (src.read(), src.add(len / 2).read(), src.add(len - 1).read());
                dst.write(a);
                dst.add(len / 2).write(b);
                dst.add(len - 1).write(c);
            }
            4..=7 => {
                let a = src.cast::<u32>().read_unaligned();
                let b = src.add(len - 4).cast::<u32>().read_unaligned();
                dst.cast::<u32>().write_unaligned(a);
                dst.add(len - 4).cast::<u32>().write_unaligned(b);
            }
            8..=16 => {
                let a = src.cast::<u64>().read_unaligned();
                let b = src.add(len - 8).cast::<u64>().read_unaligned();
                dst.cast::<u64>().write_unaligned(a);
                dst.add(len - 8).cast::<u64>().write_unaligned(b);
            }
            _ => std::ptr::copy(src, dst, len),
        }
    }
}

/// Reads a LEB128 value at `p`; returns it and its length.
///
/// # Safety
/// `p` must point at a varint written by [`write_varint`] inside a live allocation.
#[inline(always)]
unsafe fn read_varint(p: *const u8) -> (u64, usize) {
    // SAFETY: the first byte exists (caller).
    let b = unsafe { p.read() };
    if b < 0x80 {
        return (b as u64, 1);
    }
    let mut v = (b & 0x7f) as u64;
    let mut shift = 7;
    let mut i = 1;
    loop {
        // SAFETY: the previous byte had its continuation bit set, so this byte is part of the varint.
        let b = unsafe { p.add(i).read() };
        v |= ((b & 0x7f) as u64) << shift;
        i += 1;
        if b < 0x80 || shift >= 63 {
            return (v, i);
        }
        shift += 7;
    }
}

/// Chooses Redis's encoding for a new string value (`tryObjectEncoding` + `createStringObject`).
fn string_payload(val: &[u8]) -> (Encoding, Payload<'_>) {
    if val.len() <= 20 {
        if let Some(n) = parse_i64(val) {
            return (Encoding::Int, Payload::Int(n));
        }
    }
    if val.len() <= EMBSTR_SIZE_LIMIT {
        (Encoding::Embstr, Payload::Emb(val))
    } else {
        (Encoding::Raw, Payload::Raw(val.to_vec()))
    }
}

impl Entry {
    /// Allocates and writes a packed entry.
    fn build(hdr: u32, expire: Option<i64>, key: &[u8], payload: Payload<'_>) -> Entry {
        let kind = payload.kind();
        let klen_off = KEY_LEN_OFF + if expire.is_some() { 8 } else { 0 };
        let key_off = klen_off + varint_len(key.len() as u64);
        let payload_off = key_off + key.len();
        let size = payload.end(payload_off);
        let ptr = slab::alloc(size);
        let p = ptr.as_ptr();
        // SAFETY: `p` is a fresh 8-aligned allocation of `size` bytes, and `size` was computed from exactly the
        // fields written below (header at 0, flags at 4, the expire time at 5 when present, varint + key, payload
        // at its offset), so every write is in bounds; the raw/value payloads are written at 8-aligned offsets.
        unsafe {
            p.cast::<u32>().write(hdr);
            p.add(4).write((kind << KIND_SHIFT) | expire.is_some() as u8);
            if let Some(t) = expire {
                p.add(EXPIRE_OFF).cast::<i64>().write_unaligned(t);
            }
            write_varint(p.add(klen_off), key.len() as u64);
            copy_short(key.as_ptr(), p.add(key_off), key.len());
            match payload {
                Payload::Int(n) => {
                    write_varint(p.add(payload_off), zigzag(n));
                }
                Payload::Emb(b) => {
                    let n = write_varint(p.add(payload_off), b.len() as u64);
                    copy_short(b.as_ptr(), p.add(payload_off + n), b.len());
                }
                Payload::Raw(v) => p.add(align8(payload_off)).cast::<Vec<u8>>().write(v),
                Payload::Val(v) => p.add(align8(payload_off)).cast::<Value>().write(v),
            }
        }
        Entry { ptr, _owns: PhantomData }
    }

    #[inline(always)]
    fn hdr(&self) -> u32 {
        // SAFETY: every entry starts with its u32 header at an 8-aligned address (see `build`).
        unsafe { self.ptr.as_ptr().cast::<u32>().read() }
    }

    #[inline(always)]
    fn set_hdr(&mut self, h: u32) {
        // SAFETY: as in `hdr`; `&mut self` gives exclusive access to the allocation.
        unsafe { self.ptr.as_ptr().cast::<u32>().write(h) }
    }

    #[inline(always)]
    fn flags(&self) -> u8 {
        // SAFETY: byte 4 is the flags byte of every entry.
        unsafe { self.ptr.as_ptr().add(4).read() }
    }

    #[inline(always)]
    fn kind(&self) -> u8 {
        (self.flags() >> KIND_SHIFT) & KIND_MASK
    }

    /// (key offset, key length).
    #[inline(always)]
    fn key_span(&self) -> (usize, usize) {
        let klen_off = KEY_LEN_OFF + ((self.flags() & FLAG_EXPIRE) as usize) * 8;
        // SAFETY: the key-length varint starts at KEY_LEN_OFF, or 8 bytes later when the expire field is present
        // (flag bit 0, see `build`).
        let (len, n) = unsafe { read_varint(self.ptr.as_ptr().add(klen_off)) };
        (klen_off + n, len as usize)
    }

    /// Offset where the payload starts (aligned for raw/value kinds).
    #[inline(always)]
    fn payload_off(&self) -> usize {
        let (off, len) = self.key_span();
        match self.kind() {
            KIND_RAW | KIND_VAL => align8(off + len),
            _ => off + len,
        }
    }

    /// The allocation's size, recomputed from its contents.
    fn alloc_size(&self) -> usize {
        let off = self.payload_off();
        let p = self.ptr.as_ptr();
        match self.kind() {
            KIND_INT => {
                // SAFETY: an int payload is one varint at `off`.
                let (_, n) = unsafe { read_varint(p.add(off)) };
                off + n
            }
            KIND_EMB => {
                // SAFETY: an embstr payload is a length varint at `off` followed by that many bytes.
                let (len, n) = unsafe { read_varint(p.add(off)) };
                off + n + len as usize
            }
            KIND_RAW => off + std::mem::size_of::<Vec<u8>>(),
            _ => off + std::mem::size_of::<Value>(),
        }
    }

    #[inline]
    fn raw_ref(&self) -> Option<&Vec<u8>> {
        if self.kind() != KIND_RAW {
            return None;
        }
        // SAFETY: kind RAW means a valid, initialized Vec<u8> lives at the 8-aligned payload offset, owned by
        // this entry; the borrow is tied to `&self`.
        Some(unsafe { &*self.ptr.as_ptr().add(self.payload_off()).cast::<Vec<u8>>() })
    }

    #[inline]
    fn raw_ref_mut(&mut self) -> Option<&mut Vec<u8>> {
        if self.kind() != KIND_RAW {
            return None;
        }
        // SAFETY: as in `raw_ref`, with exclusive access through `&mut self`.
        Some(unsafe { &mut *self.ptr.as_ptr().add(self.payload_off()).cast::<Vec<u8>>() })
    }

    #[inline]
    fn val_ref(&self) -> Option<&Value> {
        if self.kind() != KIND_VAL {
            return None;
        }
        // SAFETY: kind VAL means a valid Value lives at the 8-aligned payload offset, owned by this entry.
        Some(unsafe { &*self.ptr.as_ptr().add(self.payload_off()).cast::<Value>() })
    }

    #[inline]
    fn val_mut(&mut self) -> Option<&mut Value> {
        if self.kind() != KIND_VAL {
            return None;
        }
        // SAFETY: as in `val_ref`, with exclusive access through `&mut self`.
        Some(unsafe { &mut *self.ptr.as_ptr().add(self.payload_off()).cast::<Value>() })
    }

    /// Replaces the payload: rewritten in place when the new inline payload fits the same chunk, otherwise the
    /// entry is reallocated (the pointer inside the dict slot that `self` borrows is updated).
    fn replace_payload(&mut self, t: ObjType, enc: Encoding, payload: Payload<'_>) {
        let hdr = header(t, enc, self.hdr() & LRU_MASK);
        let old_kind = self.kind();
        if matches!(old_kind, KIND_INT | KIND_EMB) && matches!(payload, Payload::Int(_) | Payload::Emb(_)) {
            let (off, len) = self.key_span();
            let off = off + len;
            if slab::chunk_size(payload.end(off)) == slab::chunk_size(self.alloc_size()) {
                let p = self.ptr.as_ptr();
                let kind = payload.kind();
                // SAFETY: the new payload ends within the same chunk (same chunk size, checked above) and both
                // old and new payloads are plain bytes with nothing to drop; `&mut self` is exclusive.
                unsafe {
                    // `build`'s inline-payload writes again, not shared: both are on SET's path and stay inline.
                    match payload {
                        Payload::Int(n) => {
                            write_varint(p.add(off), zigzag(n));
                        }
                        Payload::Emb(b) => {
                            let n = write_varint(p.add(off), b.len() as u64);
                            copy_short(b.as_ptr(), p.add(off + n), b.len());
                        }
                        _ => {}
                    }
                    p.add(4).write((kind << KIND_SHIFT) | (self.flags() & FLAG_EXPIRE));
                }
                self.set_hdr(hdr);
                return;
            }
        }
        let new = Entry::build(hdr, self.expire_ms(), self.key(), payload);
        *self = new;
    }

    /// Rebuilds the chunk with another expire field (present or not), moving the payload (a raw buffer or a
    /// collection is not copied). Header, key and the unshared mark are kept.
    fn rebuild_with_expire(&mut self, expire: Option<i64>) {
        let kind = self.kind();
        let size = self.alloc_size();
        let unshared = self.flags() & FLAG_UNSHARED != 0;
        let new = {
            let payload = match kind {
                KIND_INT => match self.as_str() {
                    Some(StrRef::Int(n)) => Payload::Int(n),
                    _ => Payload::Int(0),
                },
                KIND_EMB => match self.as_str() {
                    Some(StrRef::Bytes(b)) => Payload::Emb(b),
                    _ => Payload::Emb(b""),
                },
                // SAFETY: kind RAW/VAL means an initialized Vec<u8>/Value lives at the 8-aligned payload offset,
                // owned by this entry. It is moved out with `read`; the old chunk is then released below without
                // dropping its payload (forget + dealloc), so it is dropped exactly once, by the new entry.
                KIND_RAW => Payload::Raw(unsafe { self.ptr.as_ptr().add(self.payload_off()).cast::<Vec<u8>>().read() }),
                // SAFETY: as above.
                _ => Payload::Val(unsafe { self.ptr.as_ptr().add(self.payload_off()).cast::<Value>().read() }),
            };
            Entry::build(self.hdr(), expire, self.key(), payload)
        };
        let old = std::mem::replace(self, new);
        let ptr = old.ptr;
        std::mem::forget(old);
        // SAFETY: the chunk came from `slab::alloc(size)` and its payload (if any) was moved into the new entry;
        // nothing refers to it any more.
        unsafe { slab::dealloc(ptr, size) };
        if unshared {
            self.set_unshared();
        }
    }

    /// A string entry with Redis's automatic encoding (int, embstr or raw).
    pub fn new_string(key: &[u8], val: &[u8]) -> Entry {
        let (enc, p) = string_payload(val);
        Entry::build(header(ObjType::String, enc, 0), None, key, p)
    }

    /// A string entry holding an integer (`int` encoding), as INCR creates.
    pub fn new_int(key: &[u8], n: i64) -> Entry {
        Entry::build(header(ObjType::String, Encoding::Int, 0), None, key, Payload::Int(n))
    }

    /// A string entry that is `raw` whatever its length (results of APPEND and SETRANGE).
    pub fn new_raw(key: &[u8], val: Vec<u8>) -> Entry {
        Entry::build(header(ObjType::String, Encoding::Raw, 0), None, key, Payload::Raw(val))
    }

    /// A string entry stored `embstr` when short and `raw` otherwise, never `int` (INCRBYFLOAT's result).
    pub fn new_embstr(key: &[u8], val: &[u8]) -> Entry {
        let (enc, p) = if val.len() <= EMBSTR_SIZE_LIMIT {
            (Encoding::Embstr, Payload::Emb(val))
        } else {
            (Encoding::Raw, Payload::Raw(val.to_vec()))
        };
        Entry::build(header(ObjType::String, enc, 0), None, key, p)
    }

    /// An entry holding a collection value.
    pub fn new_value(key: &[u8], v: Value) -> Entry {
        let hdr = header(v.obj_type(), v.encoding(), 0);
        Entry::build(hdr, None, key, Payload::Val(v))
    }

    /// A copy of this entry under another key (COPY, and MOVE between databases). Header and value are kept; the
    /// copy has no expire flag.
    pub fn clone_with_key(&self, key: &[u8]) -> Entry {
        let p = match self.kind() {
            KIND_INT => match self.as_str() {
                Some(StrRef::Int(n)) => Payload::Int(n),
                _ => Payload::Int(0),
            },
            KIND_EMB => match self.as_str() {
                Some(StrRef::Bytes(b)) => Payload::Emb(b),
                _ => Payload::Emb(b""),
            },
            KIND_RAW => Payload::Raw(self.raw_ref().cloned().unwrap_or_default()),
            _ => match self.val_ref() {
                Some(v) => Payload::Val(v.duplicate()),
                None => Payload::Int(0),
            },
        };
        let mut e = Entry::build(self.hdr(), None, key, p);
        if self.flags() & FLAG_UNSHARED != 0 {
            e.set_unshared();
        }
        e
    }

    /// Marks an int value as held in its own object (see `FLAG_UNSHARED`): what Redis's COPY makes of a shared
    /// integer.
    pub fn set_unshared(&mut self) {
        let f = self.flags() | FLAG_UNSHARED;
        // SAFETY: byte 4 is the flags byte; `&mut self` is exclusive.
        unsafe { self.ptr.as_ptr().add(4).write(f) }
    }

    /// This entry under another key, moving its payload instead of copying it (RENAME, MOVE): a large collection
    /// is not duplicated. Header kept, expire flag cleared.
    pub fn with_key(self, key: &[u8]) -> Entry {
        let kind = self.kind();
        if kind != KIND_RAW && kind != KIND_VAL {
            return self.clone_with_key(key);
        }
        let hdr = self.hdr();
        let off = self.payload_off();
        let size = self.alloc_size();
        let ptr = self.ptr;
        // SAFETY: kind RAW/VAL means an initialized Vec<u8>/Value lives at the 8-aligned payload offset and is
        // owned by this entry. It is moved out with `read`, and `self` is forgotten right after so its Drop cannot
        // drop the payload a second time; the chunk is then returned with the size it was allocated with.
        let payload = unsafe {
            let p = ptr.as_ptr().add(off);
            if kind == KIND_RAW {
                Payload::Raw(p.cast::<Vec<u8>>().read())
            } else {
                Payload::Val(p.cast::<Value>().read())
            }
        };
        std::mem::forget(self);
        // SAFETY: the chunk came from `slab::alloc(size)` in `build` and nothing refers to it any more.
        unsafe { slab::dealloc(ptr, size) };
        Entry::build(hdr, None, key, payload)
    }

    /// Asks the CPU to start loading the entry's first cache line (header, flags, key length and usually the
    /// key), for code that will read it soon (the dict's rehash). Only a hint: nothing is read here.
    #[inline]
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is a hint that never faults and reads nothing into the program; the pointer is this
        // entry's live chunk anyway.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(self.ptr.as_ptr().cast::<i8>())
        };
    }

    #[inline]
    pub fn key(&self) -> &[u8] {
        let (off, len) = self.key_span();
        // SAFETY: the key bytes live at `off..off+len` inside the allocation; the borrow is tied to `&self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(off), len) }
    }

    #[inline]
    pub fn obj_type(&self) -> ObjType {
        match self.hdr() >> TYPE_SHIFT {
            0 => ObjType::String,
            1 => ObjType::List,
            2 => ObjType::Set,
            3 => ObjType::ZSet,
            5 => ObjType::Module,
            6 => ObjType::Stream,
            _ => ObjType::Hash,
        }
    }

    /// The name TYPE replies with: the object type's, or a module value's own type name (`MBbloom--`, ...).
    pub fn type_name(&self) -> &'static str {
        match self.value() {
            Some(Value::Prob(p)) => p.type_name(),
            Some(Value::Json(_)) => crate::keyspace::types::json::TYPE_NAME,
            _ => self.obj_type().name(),
        }
    }

    #[inline]
    pub fn encoding(&self) -> Encoding {
        if let Some(v) = self.val_ref() {
            return v.encoding();
        }
        match (self.hdr() >> ENC_SHIFT) & 0xf {
            1 => Encoding::Int,
            8 => Encoding::Embstr,
            _ => Encoding::Raw,
        }
    }

    /// The string value, or `None` when the entry holds another type.
    #[inline]
    pub fn as_str(&self) -> Option<StrRef<'_>> {
        let p = self.ptr.as_ptr();
        match self.kind() {
            KIND_INT => {
                // SAFETY: an int payload is one varint at the payload offset.
                let (v, _) = unsafe { read_varint(p.add(self.payload_off())) };
                Some(StrRef::Int(unzigzag(v)))
            }
            KIND_EMB => {
                let off = self.payload_off();
                // SAFETY: an embstr payload is a length varint followed by that many bytes, inside the
                // allocation; the borrow is tied to `&self`.
                let b = unsafe {
                    let (len, n) = read_varint(p.add(off));
                    std::slice::from_raw_parts(p.add(off + n), len as usize)
                };
                Some(StrRef::Bytes(b))
            }
            KIND_RAW => self.raw_ref().map(|v| StrRef::Bytes(v)),
            _ => None,
        }
    }

    /// The size `INFO keysizes` counts the entry under ([`crate::keyspace::keysizes`]): a string's length in bytes
    /// (an integer's decimal digits), a list's, set's, sorted set's or hash's element count; `None` for the types
    /// not counted (streams, module values). One read of the key's length and one of the payload: it runs on
    /// every write.
    #[inline]
    pub fn counted_size(&self) -> Option<u64> {
        self.counted().map(|(_, n)| n)
    }

    /// [`Entry::counted_size`] with the entry's type, read from the payload's kind (and a value's variant) rather
    /// than the header: what [`crate::keyspace::keysizes::class_of`] needs, on every write while the histograms
    /// are kept.
    #[inline(always)]
    pub fn counted(&self) -> Option<(ObjType, u64)> {
        let kind = self.kind();
        let off = self.payload_off();
        match kind {
            KIND_VAL => {
                // SAFETY: kind VAL means a valid Value lives at the 8-aligned payload offset, owned by this entry.
                let v = unsafe { &*self.ptr.as_ptr().add(off).cast::<Value>() };
                match v {
                    Value::List(l) => Some((ObjType::List, l.len() as u64)),
                    Value::Set(x) => Some((ObjType::Set, x.len() as u64)),
                    Value::ZSet(z) => Some((ObjType::ZSet, z.len() as u64)),
                    Value::Hash(h) => Some((ObjType::Hash, h.len() as u64)),
                    Value::Stream(_) | Value::Json(_) | Value::Prob(_) => None,
                }
            }
            KIND_RAW => self.raw_ref().map(|v| (ObjType::String, v.len() as u64)),
            KIND_INT => {
                // SAFETY: an int payload is one varint at the payload offset.
                let (v, _) = unsafe { read_varint(self.ptr.as_ptr().add(off)) };
                Some((ObjType::String, crate::keyspace::keysizes::int_len(unzigzag(v)) as u64))
            }
            _ => {
                // SAFETY: an embstr payload starts with its length varint at the payload offset.
                let (len, _) = unsafe { read_varint(self.ptr.as_ptr().add(off)) };
                Some((ObjType::String, len))
            }
        }
    }

    /// The collection value, or `None` for strings.
    pub fn value(&self) -> Option<&Value> {
        self.val_ref()
    }

    pub fn value_mut(&mut self) -> Option<&mut Value> {
        self.val_mut()
    }

    /// Steps freeing the entry takes, as Redis's `lazyfreeGetFreeEffort` counts them: a quicklist's nodes, a hash
    /// table's or skiplist's elements, a stream's nodes and group entries; 1 for strings and the compact encodings
    /// (one allocation each). Compared with [`FREE_EFFORT_THRESHOLD`].
    pub fn free_effort(&self) -> usize {
        use crate::keyspace::types::{list::List, set::Set, zset::ZSet};
        match self.value() {
            Some(Value::List(List::QuickList(q))) => q.node_count(),
            Some(Value::Hash(h)) if h.table_ref().is_some() => h.len(),
            Some(Value::Set(Set::HashTable(d))) => d.len(),
            Some(Value::ZSet(ZSet::SkipList(z))) => z.dict.len(),
            // Redis counts the rax's nodes and each group's PEL entries; ours: one per listpack node and per group,
            // pending entry and consumer.
            Some(Value::Stream(s)) => s.free_effort(),
            _ => 1,
        }
    }

    /// Replaces the value with a string (automatic encoding), keeping key, header LRU and expire flag.
    pub fn set_string(&mut self, val: &[u8]) {
        let (enc, p) = string_payload(val);
        self.replace_payload(ObjType::String, enc, p);
    }

    /// Replaces the value with an integer (`int` encoding).
    pub fn set_int(&mut self, n: i64) {
        self.replace_payload(ObjType::String, Encoding::Int, Payload::Int(n));
    }

    /// Replaces the value with a collection, keeping key, header LRU and expire flag.
    pub fn set_value(&mut self, v: Value) {
        let (t, e) = (v.obj_type(), v.encoding());
        self.replace_payload(t, e, Payload::Val(v));
    }

    /// Turns the string value into a `raw` growable buffer and returns it (APPEND, SETRANGE). Panics never: for a
    /// non-string entry it returns `None`.
    pub fn raw_mut(&mut self) -> Option<&mut Vec<u8>> {
        match self.kind() {
            KIND_RAW => {}
            KIND_VAL => return None,
            _ => {
                let bytes = self.as_str().map(|s| s.to_vec()).unwrap_or_default();
                self.replace_payload(ObjType::String, Encoding::Raw, Payload::Raw(bytes));
            }
        }
        let h = self.hdr();
        self.set_hdr(header(ObjType::String, Encoding::Raw, h & LRU_MASK));
        self.raw_ref_mut()
    }

    /// Capacity of a `raw` string's buffer (None for other encodings), for `MEMORY USAGE`.
    pub fn raw_capacity(&self) -> Option<usize> {
        self.raw_ref().map(|v| v.capacity())
    }

    /// The 24-bit LRU/LFU field.
    #[inline]
    pub fn lru(&self) -> u32 {
        self.hdr() & LRU_MASK
    }

    #[inline]
    pub fn set_lru(&mut self, lru: u32) {
        let h = self.hdr();
        self.set_hdr((h & !LRU_MASK) | (lru & LRU_MASK));
    }

    /// Whether the value is a hash filed in its database's field-expiry index (see
    /// [`Db::has_field_ttls`](crate::keyspace::db::Db::has_field_ttls)).
    #[inline]
    pub fn is_filed_hash(&self) -> bool {
        matches!(self.value(), Some(Value::Hash(h)) if h.filed() != 0)
    }

    /// Whether the key has a TTL.
    #[inline]
    pub fn has_expire(&self) -> bool {
        self.flags() & FLAG_EXPIRE != 0
    }

    /// The key's absolute expire time in ms since the epoch, if it has one.
    #[inline]
    pub fn expire_ms(&self) -> Option<i64> {
        if self.flags() & FLAG_EXPIRE == 0 {
            return None;
        }
        // SAFETY: with the expire flag set, bytes EXPIRE_OFF..EXPIRE_OFF+8 hold the time (see `build`); the field
        // is unaligned, hence `read_unaligned`.
        Some(unsafe { self.ptr.as_ptr().add(EXPIRE_OFF).cast::<i64>().read_unaligned() })
    }

    /// Sets or removes the expire time. Changing an existing time is in place; adding or removing the field
    /// reallocates the chunk (the dict slot that `self` borrows is updated with it).
    pub fn set_expire(&mut self, when_ms: Option<i64>) {
        match (self.has_expire(), when_ms) {
            (true, Some(t)) => {
                // SAFETY: as in `expire_ms`; `&mut self` is exclusive.
                unsafe { self.ptr.as_ptr().add(EXPIRE_OFF).cast::<i64>().write_unaligned(t) }
            }
            (false, None) => {}
            _ => self.rebuild_with_expire(when_ms),
        }
    }

    /// Whether the value is an integer Redis would serve from its shared integer pool (0..9999), for which
    /// `OBJECT REFCOUNT` answers 2147483647 (when maxmemory does not disable sharing).
    pub fn is_shared_int(&self) -> bool {
        self.flags() & FLAG_UNSHARED == 0
            && self.kind() == KIND_INT
            && matches!(self.as_str(), Some(StrRef::Int(n)) if (0..SHARED_INTEGERS).contains(&n))
    }

    /// The defragmenter's visit (see `state::defrag`): moves the entry's chunk when its slab page is being
    /// evacuated, and a raw string's buffer when [`slab::routed_moves`] says so (out of an evacuated page, or out
    /// of malloc's heap into a slab chunk). The dict slot holding `self` is the only pointer to the chunk (the TTL
    /// lives in it), and the entry the only owner of the buffer, so updating `self` updates every reference.
    /// Returns (allocations moved, allocations looked at and left).
    pub fn defrag(&mut self) -> (u32, u32) {
        let (mut hits, mut misses) = (0, 0);
        if let Some(v) = self.raw_ref_mut() {
            if slab::routed_moves(v.as_ptr(), v.capacity()) {
                let mut new = slab::route(|| Vec::with_capacity(v.capacity()));
                new.extend_from_slice(v);
                *v = new;
                hits += 1;
            } else {
                misses += 1;
            }
        }
        let size = self.alloc_size();
        if slab::chunk_moves(self.ptr.as_ptr(), size) {
            let q = slab::alloc(size);
            // SAFETY: `q` is a fresh chunk of `size` bytes and the old one holds this entry's `size` bytes; the
            // bytes (header, key, payload; a raw/value payload is moved, not duplicated: the old chunk is freed
            // without running its drop) are copied, then the old chunk is returned with its size and `self` points
            // at the copy.
            unsafe {
                std::ptr::copy_nonoverlapping(self.ptr.as_ptr(), q.as_ptr(), size);
                slab::dealloc(self.ptr, size);
            }
            self.ptr = q;
            hits += 1;
        } else {
            misses += 1;
        }
        (hits, misses)
    }

    /// Bytes of the entry's own packed chunk (header, TTL, key, inline value or collection handle).
    pub fn chunk_bytes(&self) -> usize {
        slab::chunk_size(self.alloc_size())
    }

    /// Bytes used by this entry: its packed chunk plus out-of-line buffers, for `MEMORY USAGE`.
    pub fn memory_usage(&self) -> usize {
        let chunk = self.chunk_bytes();
        let extra = match self.kind() {
            KIND_RAW => self.raw_ref().map_or(0, |v| v.capacity()),
            KIND_VAL => self.val_ref().map_or(0, |v| v.alloc_bytes()),
            _ => 0,
        };
        chunk + extra
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let size = self.alloc_size();
        let p = self.ptr.as_ptr();
        let off = self.payload_off();
        // SAFETY: the payload of kind RAW/VAL is a valid owned Vec/Box at `off` that nothing else references;
        // it is dropped exactly once here, then the chunk is returned with the size it was allocated with.
        unsafe {
            match self.kind() {
                KIND_RAW => std::ptr::drop_in_place(p.add(off).cast::<Vec<u8>>()),
                KIND_VAL => std::ptr::drop_in_place(p.add(off).cast::<Value>()),
                _ => {}
            }
            slab::dealloc(self.ptr, size);
        }
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("key", &String::from_utf8_lossy(self.key()))
            .field("type", &self.obj_type())
            .field("encoding", &self.encoding())
            .field("value", &self.as_str())
            .field("has_expire", &self.has_expire())
            .finish()
    }
}

/// The keyspace's tables hold entries, keyed by their own key (the dict knows nothing of objects).
impl crate::keyspace::dict::DictEntry for Entry {
    // `Entry` is a `#[repr(transparent)]` wrapper of a `NonNull` (plus a zero-sized marker): all-zero is `None`.
    const ZERO_IS_NONE: Option<crate::keyspace::dict::ZeroIsNone> =
        Some(crate::keyspace::dict::ZeroIsNone::checked::<Self>());

    #[inline]
    fn key(&self) -> &[u8] {
        Entry::key(self)
    }

    /// The key's cluster hash slot: the keyspace's move log feeds the slot index
    /// ([`keyspace::slots`](crate::keyspace::slots)).
    #[inline]
    fn group(&self) -> u16 {
        crate::keyspace::hash_slot::key_hash_slot(Entry::key(self)) as u16
    }

    #[inline]
    fn prefetch(&self) {
        Entry::prefetch(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_copies_match_memmove_for_every_length_and_overlap() {
        let base: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
        for len in 0..=40usize {
            // Disjoint buffers, then source and destination in one buffer at every shift (overlaps both ways).
            let mut dst = vec![0xAAu8; 48];
            // SAFETY: `base` has 64 readable bytes and `dst` 48 writable ones, both at least `len` (at most 40).
            unsafe { copy_short(base.as_ptr(), dst.as_mut_ptr().add(3), len) };
            let mut want = vec![0xAAu8; 48];
            want[3..3 + len].copy_from_slice(&base[..len]);
            assert_eq!(dst, want, "disjoint, len {len}");
            for from in 0..=20usize {
                for to in 0..=20usize {
                    let mut got = base.clone();
                    let p = got.as_mut_ptr();
                    // SAFETY: `from + len` and `to + len` are at most 60, within the 64-byte buffer.
                    unsafe { copy_short(p.add(from), p.add(to), len) };
                    let mut want = base.clone();
                    want.copy_within(from..from + len, to);
                    assert_eq!(got, want, "len {len}, from {from} to {to}");
                }
            }
        }
    }

    #[test]
    fn string_encodings_follow_redis() {
        assert_eq!(Entry::new_string(b"k", b"123").encoding(), Encoding::Int);
        assert_eq!(Entry::new_string(b"k", b"0123").encoding(), Encoding::Embstr);
        assert_eq!(Entry::new_string(b"k", &[b'a'; 44]).encoding(), Encoding::Embstr);
        assert_eq!(Entry::new_string(b"k", &[b'a'; 45]).encoding(), Encoding::Raw);
        let mut e = Entry::new_string(b"k", b"12");
        e.raw_mut().unwrap().extend_from_slice(b"3");
        assert_eq!(e.encoding(), Encoding::Raw);
        assert_eq!(e.as_str(), Some(StrRef::Bytes(b"123")));
    }

    #[test]
    fn entries_can_move_between_threads() {
        let e = Entry::new_string(b"k", b"hello");
        let back = std::thread::spawn(move || {
            assert_eq!(e.as_str(), Some(StrRef::Bytes(b"hello")));
            let f = Entry::new_string(b"made-here", b"x");
            drop(e);
            f
        })
        .join()
        .unwrap();
        assert_eq!(back.key(), b"made-here");
    }

    #[test]
    fn entry_is_a_thin_pointer() {
        assert_eq!(std::mem::size_of::<Entry>(), 8);
        assert_eq!(std::mem::size_of::<Option<Entry>>(), 8);
        // The memory benchmark's shape: 16-byte key, short embstr value, one 32-byte chunk.
        let e = Entry::new_string(b"key:000000999999", b"val999999");
        assert_eq!(e.memory_usage(), 32);
    }

    #[test]
    fn payload_changes_keep_key_header_and_flags() {
        let mut e = Entry::new_string(b"somekey", b"1");
        e.set_lru(12345);
        e.set_expire(Some(1_700_000_000_123));
        e.set_int(-9_000_000_000);
        assert_eq!(e.as_str(), Some(StrRef::Int(-9_000_000_000)));
        e.set_string(b"hello");
        assert_eq!(e.as_str(), Some(StrRef::Bytes(b"hello")));
        assert_eq!(e.encoding(), Encoding::Embstr);
        e.set_string(&[b'x'; 100]);
        assert_eq!(e.encoding(), Encoding::Raw);
        e.raw_mut().unwrap().push(b'y');
        assert_eq!(e.as_str().unwrap().len(), 101);
        e.set_int(7);
        assert_eq!(e.encoding(), Encoding::Int);
        assert!(e.is_shared_int());
        e.set_int(10000);
        assert!(!e.is_shared_int());
        assert_eq!(e.key(), b"somekey");
        assert_eq!(e.lru(), 12345);
        assert_eq!(e.expire_ms(), Some(1_700_000_000_123));
        let c = e.clone_with_key(b"other");
        assert_eq!(c.key(), b"other");
        assert!(!c.has_expire());
        assert_eq!(c.as_str(), Some(StrRef::Int(10000)));
        assert_eq!(c.lru(), 12345);
        assert!(e.value().is_none());
    }

    #[test]
    fn long_keys_and_values() {
        let key = vec![b'k'; 100_000];
        let val = vec![b'v'; 300];
        let mut e = Entry::new_string(&key, &val);
        assert_eq!(e.key(), &key[..]);
        assert_eq!(e.as_str(), Some(StrRef::Bytes(&val)));
        e.set_string(b"");
        assert_eq!(e.as_str(), Some(StrRef::Bytes(b"")));
        assert_eq!(e.key(), &key[..]);
        e.set_expire(Some(42));
        assert_eq!((e.key(), e.expire_ms()), (&key[..], Some(42)));
        e.set_expire(None);
        assert_eq!((e.key(), e.expire_ms()), (&key[..], None));
        let empty = Entry::new_string(b"", b"");
        assert_eq!(empty.key(), b"");
    }

    #[derive(Debug, Clone)]
    enum Op {
        SetString(Vec<u8>),
        SetInt(i64),
        NewEmbstr(Vec<u8>),
        NewRaw(Vec<u8>),
        Append(Vec<u8>),
        Lru(u32),
        Expire(Option<i64>),
        Clone(Vec<u8>),
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..60),
            (any::<i64>()).prop_map(|n| n.to_string().into_bytes()),
            (0u32..20000).prop_map(|n| n.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..400),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            bytes().prop_map(Op::SetString),
            any::<i64>().prop_map(Op::SetInt),
            bytes().prop_map(Op::NewEmbstr),
            bytes().prop_map(Op::NewRaw),
            bytes().prop_map(Op::Append),
            any::<u32>().prop_map(Op::Lru),
            proptest::option::of(any::<i64>()).prop_map(Op::Expire),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(Op::Clone),
        ]
    }

    fn model_enc(v: &[u8]) -> Encoding {
        if v.len() <= 20 && parse_i64(v).is_some() {
            Encoding::Int
        } else if v.len() <= EMBSTR_SIZE_LIMIT {
            Encoding::Embstr
        } else {
            Encoding::Raw
        }
    }

    proptest! {
        #[test]
        fn entry_matches_model(key in proptest::collection::vec(any::<u8>(), 0..200), ops in proptest::collection::vec(op(), 1..40)) {
            let live_before = crate::alloc::slab::stats();
            {
                let mut e = Entry::new_string(&key, b"");
                let mut key = key.clone();
                let (mut val, mut enc, mut lru, mut exp) = (Vec::new(), Encoding::Embstr, 0u32, None::<i64>);
                for o in ops {
                    match o {
                        Op::SetString(v) => { e.set_string(&v); enc = model_enc(&v); val = v; }
                        Op::SetInt(n) => { e.set_int(n); enc = Encoding::Int; val = n.to_string().into_bytes(); }
                        Op::NewEmbstr(v) => {
                            e = Entry::new_embstr(&key, &v);
                            enc = if v.len() <= EMBSTR_SIZE_LIMIT { Encoding::Embstr } else { Encoding::Raw };
                            val = v; lru = 0; exp = None;
                        }
                        Op::NewRaw(v) => { e = Entry::new_raw(&key, v.clone()); enc = Encoding::Raw; val = v; lru = 0; exp = None; }
                        Op::Append(v) => { e.raw_mut().unwrap().extend_from_slice(&v); val.extend_from_slice(&v); enc = Encoding::Raw; }
                        Op::Lru(l) => { e.set_lru(l); lru = l & LRU_MASK; }
                        Op::Expire(x) => { e.set_expire(x); exp = x; }
                        Op::Clone(k) => { e = e.clone_with_key(&k); key = k; exp = None; }
                    }
                    prop_assert_eq!(e.key(), &key[..]);
                    prop_assert_eq!(e.as_str().unwrap().to_vec(), val.clone());
                    prop_assert_eq!(e.encoding(), enc);
                    prop_assert_eq!(e.obj_type(), ObjType::String);
                    prop_assert_eq!(e.lru(), lru);
                    prop_assert_eq!(e.expire_ms(), exp);
                    prop_assert_eq!(e.has_expire(), exp.is_some());
                    prop_assert!(e.memory_usage() >= key.len() + 5);
                }
            }
            let live_after = crate::alloc::slab::stats();
            prop_assert_eq!(live_before.live_bytes, live_after.live_bytes);
            prop_assert_eq!(live_before.large_bytes, live_after.large_bytes);
        }
    }

    fn contents(v: &Value) -> Vec<String> {
        let mut out: Vec<String> = match v {
            Value::List(l) => return l.iter().map(|e| format!("{:?}", e.to_vec())).collect(),
            Value::Hash(h) => h.iter().map(|(f, x)| format!("{:?}={:?}", f.to_vec(), x.to_vec())).collect(),
            Value::Set(s) => s.iter().map(|m| format!("{:?}", m.to_vec())).collect(),
            Value::ZSet(z) => return z.iter().map(|(m, sc)| format!("{:?}={sc}", m.to_vec())).collect(),
            Value::Stream(s) => return vec![format!("{s:?}")],
            Value::Json(j) => return vec![format!("{j:?}")],
            Value::Prob(p) => return vec![format!("{p:?}")],
        };
        out.sort();
        out
    }

    #[test]
    fn collection_handles_are_stored_inline() {
        // The value lives inside the entry's chunk; keep it small so a small hash costs one chunk + its listpack.
        assert_eq!(std::mem::size_of::<Value>(), 24);
        let e = Entry::new_value(b"hash:00000007", Value::Hash(crate::keyspace::types::hash::Hash::new()));
        assert_eq!(crate::alloc::slab::chunk_size(e.alloc_size()), 48);
    }

    #[test]
    fn collection_values_copy_deeply_and_move_cheaply() {
        use crate::keyspace::types::{hash::Hash, list::List, set::Set, zset::ZAddFlags, zset::ZSet, Thresholds};
        let th = Thresholds { hash_max_listpack_entries: 2, zset_max_listpack_entries: 2, ..Thresholds::default() };
        let mut l = List::new();
        let mut h = Hash::new();
        let mut s = Set::new_for(b"x");
        let mut z = ZSet::new(1, &th);
        for i in 0..10 {
            let v = format!("v{i}");
            l.push(v.as_bytes(), false, &th);
            h.set(v.as_bytes(), b"1", &th);
            s.add(v.as_bytes(), &th);
            z.add(i as f64, v.as_bytes(), ZAddFlags::default(), &th);
        }
        for (v, t, enc) in [
            (Value::List(l), ObjType::List, Encoding::QuickList),
            (Value::Hash(h), ObjType::Hash, Encoding::HashTable),
            (Value::Set(s), ObjType::Set, Encoding::HashTable),
            (Value::ZSet(z), ObjType::ZSet, Encoding::SkipList),
        ] {
            let mut e = Entry::new_value(b"k", v);
            e.set_expire(Some(i64::MAX));
            assert_eq!(e.expire_ms(), Some(i64::MAX));
            assert_eq!((e.obj_type(), e.encoding()), (t, enc));
            assert!(e.memory_usage() > 60, "{t:?} {}", e.memory_usage());
            let c = e.clone_with_key(b"copy");
            let before = contents(e.value().unwrap());
            assert_eq!(contents(c.value().unwrap()), before);
            let m = e.with_key(b"moved");
            assert_eq!(m.key(), b"moved");
            assert!(!m.has_expire());
            assert_eq!(m.value().map(|v| v.len()), Some(10));
            assert_eq!(contents(m.value().unwrap()), before);
        }
        let r = Entry::new_raw(b"k", vec![b'x'; 100]).with_key(b"r2");
        assert_eq!(r.as_str().map(|s| s.len()), Some(100));
        assert_eq!(r.key(), b"r2");
    }

    #[test]
    fn lru_field_is_24_bits_and_keeps_type() {
        let mut e = Entry::new_string(b"k", b"v");
        e.set_lru(0xffff_ffff);
        assert_eq!(e.lru(), LRU_MASK);
        assert_eq!(e.obj_type(), ObjType::String);
        assert_eq!(e.encoding(), Encoding::Embstr);
    }
}

/// The counter a new object starts with under LFU (`LFU_INIT_VAL`), so new keys are not evicted at once.
pub const LFU_INIT_VAL: u32 = 5;

/// Minutes part of the LFU field: 16 bits of minutes since the epoch.
#[inline]
pub fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) as u32) & 0xffff
}

/// The LFU field of a new object: current minutes, counter `LFU_INIT_VAL`.
#[inline]
pub fn lfu_init(now_ms: i64) -> u32 {
    (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
}

/// Minutes elapsed since `ldt`, with 16-bit wrap-around (Redis's `LFUTimeElapsed`).
#[inline]
fn lfu_elapsed(ldt: u32, now_ms: i64) -> u32 {
    let now = lfu_minutes(now_ms);
    if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    }
}

/// The counter after decay (Redis's `LFUDecrAndReturn`), without changing the field.
#[inline]
pub fn lfu_decayed_counter(field: u32, lfu_decay_time: i64, now_ms: i64) -> u32 {
    let ldt = field >> 8;
    let counter = field & 255;
    let periods = if lfu_decay_time > 0 { lfu_elapsed(ldt, now_ms) / lfu_decay_time as u32 } else { 0 };
    counter.saturating_sub(periods)
}

thread_local! {
    /// The state of the LFU counter's increment lottery (Redis calls `rand()` there): a private generator, stepped
    /// by every LFU touch of a key on this thread (`lfu_random`, from the counter's increment) and read by nothing
    /// else, so it carries no server state.
    static LFU_RNG: std::cell::Cell<u64> = const { std::cell::Cell::new(0x853c_49e6_748f_ea9b) };
}

fn lfu_random() -> f64 {
    LFU_RNG.with(|c| {
        let mut x = c.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        c.set(x);
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// Logarithmic increment of an 8-bit counter (Redis's `LFULogIncr`).
#[inline]
pub fn lfu_log_incr(counter: u32, lfu_log_factor: i64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * lfu_log_factor as f64 + 1.0);
    if lfu_random() < p {
        counter + 1
    } else {
        counter
    }
}

/// The LFU field after one access: decay, then a logarithmic increment, stamped with the current minutes.
#[inline]
pub fn lfu_touch(field: u32, lfu_log_factor: i64, lfu_decay_time: i64, now_ms: i64) -> u32 {
    let c = lfu_decayed_counter(field, lfu_decay_time, now_ms);
    let c = lfu_log_incr(c, lfu_log_factor);
    (lfu_minutes(now_ms) << 8) | c
}
