//! The JSON value of a `ReJSON-RL` key: RedisJSON 2.8's document model, native.
//!
//! A document is a tree of [`Json`] nodes. The model follows RedisJSON's (its `ijson` values), because replies
//! and files must come out byte for byte as RedisJSON writes them:
//!
//! - numbers keep their kind: an integer literal that fits `i64` is [`Json::Int`], one above [`i64::MAX`] that fits
//!   `u64` is [`Json::UInt`], everything else (a fraction, an exponent, `-0`, a longer integer) is
//!   [`Json::Float`], printed by [`write`](mod@write) as `ryu` prints it (`1.0`, `1e16`, `1e-7`);
//! - objects keep insertion order; a key set again keeps its place; a key removed has the last key moved into
//!   its place (`ijson`'s swap-remove, which is why `{"a":1,"b":2,"c":3}` without `a` reads `{"c":3,"b":2}`).
//!
//! ```text
//!  Json (16 bytes)                                  Object: one block (ThinVec)
//!  +-----+----------------------------------+       +---------+---------+--------------------------------+
//!  | tag | i64 / u64 / f64 / bool           |       | len u32 | cap u32 | (SmallStr, Json) members, 32   |
//!  |     | SmallStr: up to 14 bytes inline, |       +---------+---------+ bytes each, insertion order;   |
//!  |     |   longer ones in one block       |       | a scan finds a key in up to 32 members, past that  |
//!  |     | ThinVec<Json> (array), one block |       | a hidden first member holds a hash index of keys   |
//!  |     | Object ------------------------------->  +----------------------------------------------------+
//!  +-----+----------------------------------+
//! ```
//!
//! Memory: a node is 16 bytes, so a key's value ([`Value::Json`](crate::keyspace::object::Value::Json)) holds
//! the root in place; short strings and keys (most of them) need no allocation of their own; an array, an object
//! or a long string is one block with its length in front ([`ThinVec`], [`crate::keyspace::thin`], whose unsafe
//! code stays in that file); the parser gives every array and object exactly the capacity it needs (they grow by
//! doubling only when commands add to them). Unlike RedisJSON, equal strings are not shared between documents.
//! Printing and JSON.SET's release of the old document touch each container's children together before walking
//! them ([`write::warm`]), so the cache misses of a document that is not in cache overlap.
//!
//! A key does not always hold the tree: a document stored whole in the one form JSON.GET prints is kept as that
//! text until a command needs its tree ([`Doc`], [`doc`]; [`packed`] decides which texts qualify and finds a value
//! in one), which costs less memory than the tree and makes storing and reading the whole document a copy.
//!
//! Text in and out is [`parse`](mod@parse) (serde_json 1.0.118's grammar, limits and error texts, which RedisJSON replies
//! with verbatim) and [`write`](mod@write) (compact, or with JSON.GET's INDENT/NEWLINE/SPACE). Paths are [`path`].
//! Tested by unit tests here and by `tests/types/json.rs` against Redis with RedisJSON loaded; the parsers are
//! fuzzed (`fuzz/fuzz_targets/json_parse.rs`, `json_path.rs`).

#![forbid(unsafe_code)]

pub mod bson;
pub mod doc;
pub mod index;
pub mod packed;
pub mod parse;
pub mod path;
mod path_error;
pub mod regex;
pub mod small;
pub mod write;

pub use crate::keyspace::thin::ThinVec;
pub use doc::Doc;
pub use parse::{parse, parse_unlimited, ParseError};
pub use small::SmallStr;
pub use write::{write_array_formatted, write_compact, write_formatted, Format};

/// The type name RedisJSON registers (TYPE's reply, the RDB module type's name).
pub const TYPE_NAME: &str = "ReJSON-RL";

/// The version MODULE LIST and INFO's modules section report for `ReJSON` (RedisJSON 2.8.3).
pub const MODULE_VERSION: i64 = 20803;

/// The encoding version RedisJSON 2.8 writes its values with (its `REDIS_JSON_TYPE_VERSION`): the document as
/// one compact JSON string.
pub const RDB_ENCVER: u64 = 3;

/// Redis's module type id of `ReJSON-RL` with encoding version `encver` (`moduleTypeEncodeId`: nine 6-bit
/// characters of the name, then 10 bits of version), as RDB files and DUMP payloads carry it.
pub fn rdb_module_id(encver: u64) -> u64 {
    const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id: u64 = 0;
    for c in TYPE_NAME.bytes() {
        let v = CHARSET.iter().position(|&x| x == c).unwrap_or(0) as u64;
        id = (id << 6) | v;
    }
    (id << 10) | (encver & 1023)
}

/// Whether a module type id names `ReJSON-RL` (any encoding version).
pub fn is_rejson_module_id(id: u64) -> bool {
    id >> 10 == rdb_module_id(0) >> 10
}

/// The deepest a document may nest (arrays and objects inside one another), and the error a write that would
/// nest it deeper gets.
///
/// A command's JSON argument nests at most 127 levels (serde_json's limit, [`parse()`]), but writes at a deep
/// path stack arguments on one another: RedisJSON 2.8 sets no bound there, so its documents can grow until
/// printing or freeing one exhausts the stack. Every walk over a document here (printing, cloning, comparing,
/// `..`, merging, parsing a file's copy) recurses once per level, and 2,048 levels fit the main thread's stack
/// with room to spare even in a debug build (about 0.9 KB a level for the parser, the deepest frame; tested at
/// this depth in a 2 MB thread by `tests.rs`). RedisJSON used the same error text while it capped depth
/// (RedisJSON#1487, since reverted); documents up to this depth behave exactly as RedisJSON's.
pub const MAX_NESTING: usize = 2_048;
pub const NESTING_ERROR: &str = "ERR recursion limit exceeded";

/// What an allocation of `bytes` costs (none for an empty one), as the server's allocator charges it.
pub(crate) fn chunk(bytes: usize) -> usize {
    match std::alloc::Layout::from_size_align(bytes, 8) {
        Ok(l) if bytes > 0 => crate::alloc::charged(l),
        _ => 0,
    }
}

/// What a [`ThinVec`] block of `cap` elements of `size` bytes costs (none before its first element).
pub(crate) fn thin_chunk(cap: usize, size: usize) -> usize {
    if cap == 0 {
        0
    } else {
        chunk(8 + cap * size)
    }
}

/// One node of a JSON document.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above [`i64::MAX`] (up to [`u64::MAX`]).
    UInt(u64),
    Float(f64),
    Str(SmallStr),
    /// A thin vector, so that a node is 16 bytes (a `Vec` alone is 24).
    Array(ThinVec<Json>),
    Object(Object),
}

/// A node is 16 bytes: a tag, and 8 bytes of number or pointer (or an inline string, [`SmallStr`]).
const _: () = assert!(std::mem::size_of::<Json>() == 16);

/// An object: its members in insertion order (see the module header for the order after a removal), behind one
/// pointer (so that [`Json`] stays 16 bytes); keys are [`SmallStr`]s, short ones inline.
///
/// Past [`index::INDEX_FROM`] members the block starts with one more, hidden member: its key is the
/// [`SmallStr::Index`] of the others' keys ([`index::KeyIndex`]), its value `null`, so that finding a key in a
/// large object is a hash probe instead of a scan. Every accessor here skips that member and keeps the index in
/// step with the members (insert, remove, retain, clear, and every constructor); an object that shrinks to
/// [`index::INDEX_UNTIL`] members drops it. Small objects have none and cost nothing more.
#[derive(Clone, Debug, Default)]
pub struct Object {
    entries: ThinVec<(SmallStr, Json)>,
}

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.members_slice() == other.members_slice()
    }
}

impl Object {
    pub fn new() -> Object {
        Object { entries: ThinVec::new() }
    }

    /// An object of these members (keys distinct), in a block of exactly their number (and the index's member
    /// when they are many: `index`, the index of their keys when the reader built one, else built here).
    pub fn collect(members: impl ExactSizeIterator<Item = (SmallStr, Json)>, index: Option<index::KeyIndex>) -> Object {
        let n = members.len();
        if n <= index::INDEX_FROM {
            return Object { entries: members.collect() };
        }
        let mut entries = ThinVec::with_capacity(n + 1);
        let built = index.is_some();
        let ix = index.unwrap_or_else(index::KeyIndex::unbuilt);
        entries.push((SmallStr::Index(Box::new(ix)), Json::Null));
        entries.extend(members);
        let mut o = Object { entries };
        if !built {
            o.reindex();
        }
        o
    }

    fn indexed(&self) -> bool {
        matches!(self.entries.first(), Some((SmallStr::Index(_), _)))
    }

    /// The members (without the index's).
    fn members_slice(&self) -> &[(SmallStr, Json)] {
        let skip = usize::from(self.indexed());
        &self.entries[skip..]
    }

    /// The index (when the object has one) and the members.
    fn split_mut(&mut self) -> (Option<&mut index::KeyIndex>, &mut [(SmallStr, Json)]) {
        if !self.indexed() {
            return (None, &mut self.entries[..]);
        }
        let (head, members) = self.entries.split_at_mut(1);
        match &mut head[0].0 {
            SmallStr::Index(ix) => (Some(&mut **ix), members),
            _ => (None, members),
        }
    }

    /// Builds the index anew (or drops it, or adds it) for the members the object has now.
    fn reindex(&mut self) {
        let n = self.len();
        if n <= index::INDEX_UNTIL || (n <= index::INDEX_FROM && !self.indexed()) {
            if self.indexed() {
                self.entries.remove(0);
            }
            return;
        }
        if !self.indexed() {
            self.entries.insert(0, (SmallStr::Index(Box::new(index::KeyIndex::unbuilt())), Json::Null));
        }
        if let (Some(ix), members) = self.split_mut() {
            *ix = index::KeyIndex::build(members);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len() - usize::from(self.indexed())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn position(&self, key: &str) -> Option<usize> {
        match self.entries.first() {
            Some((SmallStr::Index(ix), _)) => ix.find(&self.entries[1..], key.as_bytes()),
            _ => self.entries.iter().position(|(k, _)| k.as_bytes() == key.as_bytes()),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        let i = self.position(key)?;
        self.members_slice().get(i).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        let i = self.position(key)?;
        self.split_mut().1.get_mut(i).map(|(_, v)| v)
    }

    /// Sets `key`: in place when it is there, appended when not. Returns the old value.
    pub fn insert(&mut self, key: &str, value: Json) -> Option<Json> {
        if let Some(slot) = self.get_mut(key) {
            return Some(std::mem::replace(slot, value));
        }
        self.append(key, value);
        None
    }

    /// The value under `key`, appended as `make()` first when it is not there (one lookup).
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> Json) -> &mut Json {
        let i = match self.position(key) {
            Some(i) => i,
            None => {
                self.append(key, make());
                self.len() - 1
            }
        };
        &mut self.split_mut().1[i].1
    }

    /// Appends a member whose key is not there yet.
    fn append(&mut self, key: &str, value: Json) {
        self.entries.push((key.into(), value));
        if let (Some(ix), members) = self.split_mut() {
            ix.appended(members);
        } else if self.len() > index::INDEX_FROM {
            self.reindex();
        }
    }

    /// Removes `key`; the last member takes its place.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let i = self.position(key)?;
        let skip = usize::from(self.indexed());
        if let (Some(ix), members) = self.split_mut() {
            ix.swap_removing(members, i);
        }
        let old = self.entries.swap_remove(i + skip).map(|(_, v)| v);
        if skip == 1 && self.len() <= index::INDEX_UNTIL {
            self.reindex();
        }
        old
    }

    /// Removes every member (and the index).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.members_slice().iter().map(|(k, v)| (&**k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Json)> {
        self.split_mut().1.iter_mut().map(|(k, v)| (&**k, v))
    }

    /// The members with their keys as stored (for writers, which need the bytes only).
    pub fn members(&self) -> impl Iterator<Item = (&SmallStr, &Json)> {
        self.members_slice().iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members_slice().iter().map(|(k, _)| &**k)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Json> {
        self.split_mut().1.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the members for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &Json) -> bool) {
        let before = self.len();
        self.entries.retain(|(k, v)| matches!(k, SmallStr::Index(_)) || keep(k, v));
        if self.len() != before {
            self.reindex();
        }
    }

    /// Takes the last member out (the index, when it is left alone, goes with it).
    fn pop(&mut self) -> Option<Json> {
        let skip = usize::from(self.indexed());
        if self.entries.len() == skip {
            self.entries.clear();
            return None;
        }
        self.entries.pop().map(|(_, v)| v)
    }

    fn heap_bytes(&self) -> usize {
        thin_chunk(self.entries.capacity(), std::mem::size_of::<(SmallStr, Json)>())
            + self.entries.iter().map(|(k, v)| k.heap_bytes() + v.heap_bytes()).sum::<usize>()
    }
}

impl Json {
    /// An array node of these elements.
    pub fn array(items: ThinVec<Json>) -> Json {
        Json::Array(items)
    }

    /// A string node.
    pub fn string(s: impl Into<SmallStr>) -> Json {
        Json::Str(s.into())
    }

    /// The name JSON.TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Int(_) | Json::UInt(_) => "integer",
            Json::Float(_) => "number",
            Json::Str(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Json::Int(_) | Json::UInt(_) | Json::Float(_))
    }

    /// The number as a double (integers converted), or `None` for other kinds.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Json::Int(n) => Some(n as f64),
            Json::UInt(n) => Some(n as f64),
            Json::Float(f) => Some(f),
            _ => None,
        }
    }

    /// Bytes this node owns on the heap (its children's included), each allocation counted as the chunk malloc
    /// hands out for it (what `used_memory` is charged), for MEMORY USAGE.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Json::Str(s) => s.heap_bytes(),
            Json::Array(a) => {
                thin_chunk(a.capacity(), std::mem::size_of::<Json>()) + a.iter().map(Json::heap_bytes).sum::<usize>()
            }
            Json::Object(o) => o.heap_bytes(),
            _ => 0,
        }
    }

    /// Frees the document (what dropping it does) container by container, each one's children touched together
    /// before any is freed (see [`write::warm`]): the cache misses of a document that is not in cache overlap,
    /// where the drop glue's recursion waits for each block in turn. With its own stack: any depth is safe.
    pub fn dispose(self) {
        let mut todo: Vec<Json> = Vec::with_capacity(16);
        todo.push(self);
        while let Some(node) = todo.pop() {
            match node {
                Json::Array(mut a) => {
                    write::warm(a.iter());
                    while let Some(x) = a.pop() {
                        if matches!(x, Json::Array(_) | Json::Object(_)) {
                            todo.push(x);
                        }
                    }
                }
                Json::Object(mut o) => {
                    write::warm(o.members().map(|(_, x)| x));
                    while let Some(x) = o.pop() {
                        if matches!(x, Json::Array(_) | Json::Object(_)) {
                            todo.push(x);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// How many nodes the document has (this one included). Walks with its own stack, so any depth is safe.
    pub fn nodes(&self) -> usize {
        let mut n = 0;
        let mut todo: Vec<&Json> = vec![self];
        while let Some(v) = todo.pop() {
            n += 1;
            match v {
                Json::Array(a) => todo.extend(a.iter()),
                Json::Object(o) => todo.extend(o.iter().map(|(_, c)| c)),
                _ => {}
            }
        }
        n
    }

    /// How many arrays and objects nest on the deepest path down from this node (0 for a scalar, 1 for `[]`).
    /// Walks with its own stack, so any depth is safe to measure.
    pub fn nesting(&self) -> usize {
        let mut deepest = 0;
        let mut todo: Vec<(&Json, usize)> = vec![(self, 0)];
        while let Some((v, above)) = todo.pop() {
            match v {
                Json::Array(a) => {
                    deepest = deepest.max(above + 1);
                    todo.extend(a.iter().map(|c| (c, above + 1)));
                }
                Json::Object(o) => {
                    deepest = deepest.max(above + 1);
                    todo.extend(o.iter().map(|(_, c)| (c, above + 1)));
                }
                _ => {}
            }
        }
        deepest
    }

    /// [`NESTING_ERROR`] unless `values` fit [`MAX_NESTING`] when placed inside `containers` arrays or objects.
    pub fn check_nesting<'a>(containers: usize, values: impl IntoIterator<Item = &'a Json>) -> Result<(), String> {
        let deepest = values.into_iter().map(Json::nesting).max().unwrap_or(0);
        if containers + deepest > MAX_NESTING {
            return Err(NESTING_ERROR.to_string());
        }
        Ok(())
    }

    /// The document's compact text (JSON.GET's default form).
    pub fn to_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        write_compact(self, &mut out);
        out
    }
}

#[cfg(test)]
mod tests;
