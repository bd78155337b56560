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
//! NOTE: this is the reference implementation of the entry API (a boxed struct). The dict/object work replaces the
//! internals with a packed single allocation; the public API below is the contract the rest of the code uses.

use crate::util::{itoa_buf, parse_i64};

/// Redis object types, numbered as Redis numbers them (`OBJ_STRING` ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ObjType {
    String = 0,
    List = 1,
    Set = 2,
    ZSet = 3,
    Hash = 4,
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
            _ => return None,
        })
    }
}

/// Object encodings, numbered as Redis's `OBJ_ENCODING_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Encoding {
    Raw = 0,
    Int = 1,
    HashTable = 2,
    IntSet = 6,
    SkipList = 7,
    Embstr = 8,
    QuickList = 9,
    ListPack = 11,
}

impl Encoding {
    /// The name `OBJECT ENCODING` replies with.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Raw => "raw",
            Encoding::Int => "int",
            Encoding::HashTable => "hashtable",
            Encoding::IntSet => "intset",
            Encoding::SkipList => "skiplist",
            Encoding::Embstr => "embstr",
            Encoding::QuickList => "quicklist",
            Encoding::ListPack => "listpack",
        }
    }
}

/// Strings up to this length are created `embstr`, as in Redis (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// A borrowed view of a string value: integer-encoded or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrRef<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> StrRef<'a> {
    /// The string's bytes; integers are formatted into `buf`.
    #[inline]
    pub fn bytes<'b>(&self, buf: &'b mut [u8; 24]) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            StrRef::Int(n) => itoa_buf(n, buf),
            StrRef::Bytes(b) => b,
        }
    }

    /// The string's length in bytes.
    pub fn len(&self) -> usize {
        match *self {
            StrRef::Int(n) => {
                let mut b = [0u8; 24];
                itoa_buf(n, &mut b).len()
            }
            StrRef::Bytes(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An owned copy of the bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut b = [0u8; 24];
        self.bytes(&mut b).to_vec()
    }

    /// The value as an integer when it is one (Redis's `getLongLongFromObject`).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            StrRef::Int(n) => Some(n),
            StrRef::Bytes(b) => parse_i64(b),
        }
    }
}

/// Values of the collection types. Lists, hashes, sets and sorted sets arrive with their own issue; strings are
/// stored inside [`Entry`] itself.
#[derive(Debug)]
pub enum Value {}

impl Value {
    pub fn obj_type(&self) -> ObjType {
        match *self {}
    }
    pub fn encoding(&self) -> Encoding {
        match *self {}
    }
}

#[derive(Debug)]
enum Payload {
    Int(i64),
    Str(Vec<u8>),
    Other(Box<Value>),
}

/// One key and its value, owned by the keyspace dict.
#[derive(Debug)]
pub struct Entry {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    header: u32,
    has_expire: bool,
    key: Box<[u8]>,
    payload: Payload,
}

const TYPE_SHIFT: u32 = 28;
const ENC_SHIFT: u32 = 24;
pub const LRU_BITS: u32 = 24;
pub const LRU_MASK: u32 = (1 << LRU_BITS) - 1;

fn header(t: ObjType, e: Encoding, lru: u32) -> u32 {
    ((t as u32) << TYPE_SHIFT) | ((e as u32) << ENC_SHIFT) | (lru & LRU_MASK)
}

/// Chooses Redis's encoding for a new string value (`tryObjectEncoding` + `createStringObject`).
fn string_payload(val: &[u8]) -> (Encoding, Payload) {
    if val.len() <= 20 {
        if let Some(n) = parse_i64(val) {
            return (Encoding::Int, Payload::Int(n));
        }
    }
    if val.len() <= EMBSTR_SIZE_LIMIT {
        (Encoding::Embstr, Payload::Str(val.to_vec()))
    } else {
        (Encoding::Raw, Payload::Str(val.to_vec()))
    }
}

impl Entry {
    fn build(key: &[u8], enc: Encoding, t: ObjType, payload: Payload) -> Entry {
        Entry { inner: Box::new(Inner { header: header(t, enc, 0), has_expire: false, key: key.into(), payload }) }
    }

    /// A string entry with Redis's automatic encoding (int, embstr or raw).
    pub fn new_string(key: &[u8], val: &[u8]) -> Entry {
        let (enc, p) = string_payload(val);
        Entry::build(key, enc, ObjType::String, p)
    }

    /// A string entry holding an integer (`int` encoding), as INCR creates.
    pub fn new_int(key: &[u8], n: i64) -> Entry {
        Entry::build(key, Encoding::Int, ObjType::String, Payload::Int(n))
    }

    /// A string entry that is `raw` whatever its length (results of APPEND and SETRANGE).
    pub fn new_raw(key: &[u8], val: Vec<u8>) -> Entry {
        Entry::build(key, Encoding::Raw, ObjType::String, Payload::Str(val))
    }

    /// A string entry stored `embstr` when short and `raw` otherwise, never `int` (INCRBYFLOAT's result).
    pub fn new_embstr(key: &[u8], val: &[u8]) -> Entry {
        let enc = if val.len() <= EMBSTR_SIZE_LIMIT { Encoding::Embstr } else { Encoding::Raw };
        Entry::build(key, enc, ObjType::String, Payload::Str(val.to_vec()))
    }

    /// An entry holding a collection value.
    pub fn new_value(key: &[u8], v: Value) -> Entry {
        let (t, e) = (v.obj_type(), v.encoding());
        Entry::build(key, e, t, Payload::Other(Box::new(v)))
    }

    /// A copy of this entry under another key (COPY, and MOVE between databases). Header and value are kept.
    pub fn clone_with_key(&self, key: &[u8]) -> Entry {
        let payload = match &self.inner.payload {
            Payload::Int(n) => Payload::Int(*n),
            Payload::Str(s) => Payload::Str(s.clone()),
            Payload::Other(v) => match **v {},
        };
        Entry { inner: Box::new(Inner { header: self.inner.header, has_expire: false, key: key.into(), payload }) }
    }

    #[inline]
    pub fn key(&self) -> &[u8] {
        &self.inner.key
    }

    #[inline]
    pub fn obj_type(&self) -> ObjType {
        match self.inner.header >> TYPE_SHIFT {
            0 => ObjType::String,
            1 => ObjType::List,
            2 => ObjType::Set,
            3 => ObjType::ZSet,
            _ => ObjType::Hash,
        }
    }

    #[inline]
    pub fn encoding(&self) -> Encoding {
        match &self.inner.payload {
            Payload::Other(v) => v.encoding(),
            _ => match (self.inner.header >> ENC_SHIFT) & 0xf {
                1 => Encoding::Int,
                8 => Encoding::Embstr,
                _ => Encoding::Raw,
            },
        }
    }

    /// The string value, or `None` when the entry holds another type.
    #[inline]
    pub fn as_str(&self) -> Option<StrRef<'_>> {
        match &self.inner.payload {
            Payload::Int(n) => Some(StrRef::Int(*n)),
            Payload::Str(s) => Some(StrRef::Bytes(s)),
            Payload::Other(_) => None,
        }
    }

    /// The collection value, or `None` for strings.
    pub fn value(&self) -> Option<&Value> {
        match &self.inner.payload {
            Payload::Other(v) => Some(v),
            _ => None,
        }
    }

    pub fn value_mut(&mut self) -> Option<&mut Value> {
        match &mut self.inner.payload {
            Payload::Other(v) => Some(v),
            _ => None,
        }
    }

    /// Replaces the value with a string (automatic encoding), keeping key, header LRU and expire flag.
    pub fn set_string(&mut self, val: &[u8]) {
        let (enc, p) = string_payload(val);
        self.inner.payload = p;
        self.set_type_enc(ObjType::String, enc);
    }

    /// Replaces the value with an integer (`int` encoding).
    pub fn set_int(&mut self, n: i64) {
        self.inner.payload = Payload::Int(n);
        self.set_type_enc(ObjType::String, Encoding::Int);
    }

    /// Turns the string value into a `raw` growable buffer and returns it (APPEND, SETRANGE). Panics never: for a
    /// non-string entry it returns `None`.
    pub fn raw_mut(&mut self) -> Option<&mut Vec<u8>> {
        let bytes = match &self.inner.payload {
            Payload::Int(n) => {
                let mut b = [0u8; 24];
                itoa_buf(*n, &mut b).to_vec()
            }
            Payload::Str(_) => Vec::new(),
            Payload::Other(_) => return None,
        };
        if let Payload::Int(_) = self.inner.payload {
            self.inner.payload = Payload::Str(bytes);
        }
        self.set_type_enc(ObjType::String, Encoding::Raw);
        match &mut self.inner.payload {
            Payload::Str(s) => Some(s),
            _ => None,
        }
    }

    fn set_type_enc(&mut self, t: ObjType, e: Encoding) {
        self.inner.header = header(t, e, self.inner.header & LRU_MASK);
    }

    /// The 24-bit LRU/LFU field.
    #[inline]
    pub fn lru(&self) -> u32 {
        self.inner.header & LRU_MASK
    }

    #[inline]
    pub fn set_lru(&mut self, lru: u32) {
        self.inner.header = (self.inner.header & !LRU_MASK) | (lru & LRU_MASK);
    }

    /// Whether the key has a TTL (the TTL itself lives in the db's expires table).
    #[inline]
    pub fn has_expire(&self) -> bool {
        self.inner.has_expire
    }

    #[inline]
    pub fn set_has_expire(&mut self, on: bool) {
        self.inner.has_expire = on;
    }

    /// Approximate bytes used by this entry, for `MEMORY USAGE`.
    pub fn memory_usage(&self) -> usize {
        let payload = match &self.inner.payload {
            Payload::Int(_) => 0,
            Payload::Str(s) => s.capacity(),
            Payload::Other(v) => match **v {},
        };
        std::mem::size_of::<Inner>() + self.inner.key.len() + payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
