//! Decoding one value of each type from the file (Redis's `rdbLoadObject`): strings, lists (quicklists of
//! listpacks or ziplists, linked lists), sets (intsets, listpacks, tables), sorted sets, hashes (with field TTLs),
//! and streams with their consumer groups. Every blob is validated before it becomes a value (deeply when
//! `sanitize-dump-payload` asks for it), so a corrupt file is an error naming the offset, never a value that breaks
//! later.

use super::super::{legacy, op, LoadOptions, RdbError};
use super::{log_hex_dump, Src, Str};
use crate::alloc::slab::SlabBytes;
use crate::keyspace::dict::Dict;
use crate::keyspace::object::{Entry, StrRef, Value, EMBSTR_SIZE_LIMIT};
use crate::keyspace::types::hash::{BigHash, Hash, HashPair};
use crate::keyspace::types::intset::IntSet;
use crate::keyspace::types::list::List;
use crate::keyspace::types::listpack::Listpack;
use crate::keyspace::types::quicklist::{
    clamp_fill, node_fits, Node, Quicklist, MIN_COMPRESS_BYTES, MIN_COMPRESS_IMPROVE,
};
use crate::keyspace::types::set::Set;
use crate::keyspace::types::skiplist::{cmp_elem, SkipList};
use crate::keyspace::types::stream::validate::{check_node, validate_node};
use crate::keyspace::types::stream::{
    Consumer, ConsumerGroup, Name, Packed, PendingEntry, Stream, StreamId, StreamNode,
};
use crate::keyspace::types::zset::{ZEntry, ZSet, ZSkip, LISTPACK_SAFETY_BYTES};
use crate::keyspace::types::{SmallBytes, Thresholds};
use crate::persist::lzf;
use crate::util::{itoa_buf, parse_f64, parse_i64};
use std::collections::HashSet;

/// Finishes a resize the last insert started. Loading is not latency-bound (Redis loads synchronously too), and
/// with the migration done at once inserts probe one table instead of two for the rest of the growth step.
#[inline]
pub(super) fn finish_resize<E: crate::keyspace::dict::DictEntry>(d: &mut Dict<E>) {
    d.finish_rehash_now();
}

/// Value loading state: the source, the options, scratch space.
pub(super) struct Loader<'r, 'o> {
    pub(super) src: Src<'r>,
    pub(super) opts: &'o LoadOptions,
    pub(super) fbuf: Vec<u8>,
}

/// Canonical decimal integers that fit i64 (what a listpack or intset stores as an integer).
#[inline]
fn as_int(b: &[u8]) -> Option<i64> {
    if b.len() <= 20 {
        parse_i64(b)
    } else {
        None
    }
}

/// Validates a listpack blob (structure always; duplicates of `pairs` keys when `deep`) and normalizes it: an
/// entry stored as text although it is a canonical integer is re-encoded as an integer, the form every
/// ferredis listpack keeps (Redis writes them that way; only a foreign writer could not).
fn listpack_blob(b: &[u8], pairs: bool, deep: bool) -> Option<Listpack> {
    let lp = Listpack::from_bytes(b.to_vec())?;
    let mut noncanonical = false;
    let mut n = 0usize;
    for e in lp.iter() {
        if let StrRef::Bytes(s) = e {
            noncanonical |= as_int(s).is_some();
        }
        n += 1;
    }
    if pairs && n % 2 != 0 {
        return None;
    }
    if deep && pairs {
        let mut seen = HashSet::with_capacity(n / 2);
        for (k, _) in lp.pairs() {
            if !seen.insert(crate::keyspace::types::listpack::entry_to_vec(k)) {
                return None;
            }
        }
    }
    if !noncanonical {
        return Some(lp);
    }
    let items: Vec<Vec<u8>> = lp.iter().map(crate::keyspace::types::listpack::entry_to_vec).collect();
    Some(Listpack::from_items(items.iter().map(|v| v.as_slice())))
}

/// Redis 7.4's "no expiry" in the least-expiry slot (`EB_EXPIRE_TIME_INVALID`) and the largest field expiry
/// (`EB_EXPIRE_TIME_MAX`).
const HASH_EXPIRE_MAX: u64 = (1 << 48) - 1;
const HASH_EXPIRE_INVALID: u64 = 1 << 48;

/// A hash's listpack of (field, value, expiry) triplets (`RDB_TYPE_HASH_LISTPACK_EX`): whole triplets, integer
/// expiries within range, no duplicate field with `deep`. Non-canonical integers are re-encoded as for pairs.
fn listpack_ex_blob(b: &[u8], deep: bool) -> Option<Listpack> {
    let lp = listpack_blob(b, false, false)?;
    if lp.len() % 3 != 0 {
        return None;
    }
    let mut seen = deep.then(HashSet::new);
    let mut it = lp.iter();
    while let (Some(f), Some(_), Some(t)) = (it.next(), it.next(), it.next()) {
        match t {
            StrRef::Int(n) if (0..=HASH_EXPIRE_MAX as i64).contains(&n) => {}
            _ => return None,
        }
        if let Some(s) = &mut seen {
            if !s.insert(crate::keyspace::types::listpack::entry_to_vec(f)) {
                return None;
            }
        }
    }
    Some(lp)
}

/// The score of a zset listpack entry; None when it is not a number.
fn lp_score(e: StrRef<'_>) -> Option<f64> {
    match e {
        StrRef::Int(n) => Some(n as f64),
        StrRef::Bytes(b) => parse_f64(b),
    }
}

/// Checks a zset listpack: numeric non-NaN scores, strictly ascending (score, member) order (so no adjacent
/// duplicates), and no duplicate members anywhere. Redis checks the last only with deep sanitization and
/// asserts later on such a value; here it is checked always, since a member twice in the skiplist with one dict
/// entry would leave the two structures disagreeing after a conversion.
fn check_zset_listpack(lp: &Listpack) -> bool {
    let mut prev: Option<(f64, Vec<u8>)> = None;
    let mut seen = HashSet::new();
    for (m, s) in lp.pairs() {
        let Some(score) = lp_score(s) else { return false };
        let mut buf = [0u8; 24];
        let member = m.bytes(&mut buf).to_vec();
        if let Some((ps, pm)) = &prev {
            if cmp_elem((*ps, pm), (score, &member)) != std::cmp::Ordering::Less {
                return false;
            }
        }
        if !seen.insert(member.clone()) {
            return false;
        }
        prev = Some((score, member));
    }
    true
}

/// Hash listpack → hash table; None on a duplicate field.
fn hash_table_from(lp: &Listpack) -> Option<Hash> {
    let mut d = Dict::new();
    let (mut fb, mut vb) = ([0u8; 24], [0u8; 24]);
    for (f, v) in lp.pairs() {
        if d.insert(HashPair::new(f.bytes(&mut fb), v.bytes(&mut vb))).is_some() {
            return None;
        }
        finish_resize(&mut d);
    }
    Some(Hash::from_table(BigHash::from_dict(d)))
}

/// Zset listpack → skiplist; None on a duplicate member or a bad score.
fn skiplist_from(lp: &Listpack) -> Option<ZSet> {
    let mut z = ZSkip { dict: Dict::new(), list: SkipList::new() };
    let mut buf = [0u8; 24];
    for (m, s) in lp.pairs() {
        let member = m.bytes(&mut buf);
        let score = lp_score(s)?;
        if z.dict.get(member).is_some() {
            return None;
        }
        let node = z.list.insert(score, SmallBytes::new(member));
        z.dict.insert(ZEntry::new(member, node));
        finish_resize(&mut z.dict);
    }
    Some(ZSet::SkipList(Box::new(z)))
}

/// A list value from loaded nodes (none empty): one listpack while it fits a node; else the nodes as they are
/// (compressed ones kept compressed) when each obeys the fill rule, as Redis keeps loaded nodes; else rebuilt.
fn list_from_nodes(mut nodes: Vec<Node>, th: &Thresholds) -> List {
    let fill = clamp_fill(th.list_max_listpack_size);
    if nodes.len() == 1 && node_fits(fill, nodes[0].sz(), nodes[0].count()) {
        if let Some(Node::Raw(lp, _)) = nodes.pop() {
            return List::ListPack(lp);
        }
    }
    if nodes.iter().all(|n| node_fits(fill, n.sz(), n.count())) {
        let q = Quicklist::from_nodes(nodes, th.list_max_listpack_size, th.list_compress_depth);
        return List::QuickList(Box::new(q));
    }
    let mut q = Quicklist::new(th.list_max_listpack_size, th.list_compress_depth);
    let mut buf = [0u8; 24];
    for node in nodes {
        for e in node.listpack().iter() {
            q.push_back(e.bytes(&mut buf));
        }
    }
    List::QuickList(Box::new(q))
}

/// A quicklist node's listpack (QUICKLIST_2) or ziplist (QUICKLIST) blob, checked; `None` when it is empty.
fn packed_node(b: &[u8], ty: u8, deep: bool) -> Result<Option<Listpack>, &'static str> {
    if b.is_empty() {
        return Err("Quicklist node with no data");
    }
    let lp = if ty == op::TYPE_LIST_QUICKLIST_2 {
        listpack_blob(b, false, deep).ok_or("Listpack integrity check failed.")?
    } else {
        legacy::ziplist_to_listpack(b, false).ok_or("Ziplist integrity check failed.")?
    };
    Ok((!lp.is_empty()).then_some(lp))
}

const NODE_CORRUPT: &str = "Stream listpack integrity check failed.";
const NODE_EMPTY: &str = "Empty listpack inside stream";

/// A listpack's header: its total bytes and element count.
fn lp_header(b: &[u8]) -> Option<(usize, u16)> {
    let h = b.get(..6)?;
    Some((u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize, u16::from_le_bytes([h[4], h[5]])))
}

/// A closed stream node saved LZF-compressed, kept in that form. It is expanded and deep-checked here unless `defer` (a
/// file loaded without `sanitize-dump-payload yes`): then, as Redis checks only a node's header in that case, the
/// header is read from the LZF data's opening literal run (a compressor's output starts with one) and checked (total
/// bytes, not empty), and the node gets the full check the first time it is expanded
/// ([`stream::Packed`](crate::keyspace::types::stream::Packed)). A node whose opening literal is too short to hold the
/// header is checked now.
fn packed_stream_node(z: &[u8], len: usize, deep: bool, defer: bool) -> Result<StreamNode, &'static str> {
    if len > u32::MAX as usize {
        return Err("Invalid LZF compressed string");
    }
    let keep = |checked| Ok(StreamNode::Lzf(Packed::new(SlabBytes::from_slice(z), len, checked)));
    let literal = match z.first() {
        Some(&c) if c < 32 => z.get(1..2 + c as usize),
        _ => None,
    };
    if defer {
        if let Some((total, count)) = literal.and_then(lp_header) {
            if total != len || len < 7 {
                return Err(NODE_CORRUPT);
            }
            if count == 0 {
                return Err(NODE_EMPTY);
            }
            return keep(false);
        }
    }
    lzf::check_len(z, len).map_err(|_| "Invalid LZF compressed string")?;
    let raw = lzf::decompress(z, len).map_err(|_| "Invalid LZF compressed string")?;
    if !deep && lp_header(&raw).is_some_and(|(total, count)| total == len && count == 0) {
        return Err(NODE_EMPTY);
    }
    if !check_node(&raw) {
        return Err(NODE_CORRUPT);
    }
    keep(true)
}

/// A listpack node saved LZF-compressed, for an inner node of a compressed list: checked on a decompressed copy,
/// then kept in its LZF form when that form is what compressing the node would give (Redis's size thresholds
/// met, the listpack already canonical).
fn lzf_node(z: &[u8], len: usize, deep: bool) -> Result<Option<Node>, &'static str> {
    const BAD: &str = "Invalid LZF compressed string";
    lzf::check_len(z, len).map_err(|_| BAD)?;
    let raw = lzf::decompress(z, len).map_err(|_| BAD)?;
    let Some(lp) = packed_node(&raw, op::TYPE_LIST_QUICKLIST_2, deep)? else { return Ok(None) };
    if len >= MIN_COMPRESS_BYTES && z.len() + MIN_COMPRESS_IMPROVE < len && lp.as_bytes() == raw.as_slice() {
        return Ok(Some(Node::compressed(SlabBytes::from_slice(z), len, lp.len())));
    }
    Ok(Some(Node::raw(lp)))
}

impl Loader<'_, '_> {
    pub(super) fn err(&self, msg: impl Into<String>) -> RdbError {
        self.src.err(msg)
    }

    /// A blob string (listpack, intset, ziplist, zipmap) as bytes; `f` sees it borrowed.
    pub(super) fn blob<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<T, RdbError> {
        let s = self.src.string()?;
        let mut b = [0u8; 24];
        Ok(f(s.bytes(&mut b)))
    }

    /// Reads one value of RDB type `ty` for `key`. `Ok(None)`: the value was empty (skipped, as Redis does).
    pub(super) fn value(&mut self, ty: u8, key: &[u8]) -> Result<Option<Entry>, RdbError> {
        let v = match ty {
            op::TYPE_STRING => {
                return Ok(Some(match self.src.string()? {
                    Str::Int(n) => Entry::new_int(key, n),
                    Str::Ref(b) => Entry::new_string(key, b),
                    Str::Own(v) if v.len() > EMBSTR_SIZE_LIMIT => Entry::new_raw(key, v),
                    Str::Own(v) => Entry::new_string(key, &v),
                }));
            }
            op::TYPE_LIST => self.list_value()?,
            op::TYPE_SET => self.set_value()?,
            op::TYPE_ZSET | op::TYPE_ZSET_2 => self.zset_value(ty)?,
            op::TYPE_HASH => self.hash_value()?,
            op::TYPE_LIST_QUICKLIST | op::TYPE_LIST_QUICKLIST_2 => self.quicklist_value(ty)?,
            op::TYPE_HASH_ZIPMAP => self.zipmap_value()?,
            op::TYPE_LIST_ZIPLIST => self.list_ziplist_value()?,
            op::TYPE_SET_INTSET => self.intset_value()?,
            op::TYPE_ZSET_ZIPLIST | op::TYPE_ZSET_LISTPACK => self.zset_packed_value(ty)?,
            op::TYPE_HASH_ZIPLIST | op::TYPE_HASH_LISTPACK => self.hash_packed_value(ty)?,
            op::TYPE_HASH_METADATA | op::TYPE_HASH_METADATA_PRE_GA => self.hash_metadata_value(ty)?,
            op::TYPE_HASH_LISTPACK_EX | op::TYPE_HASH_LISTPACK_EX_PRE_GA => self.hash_listpack_ex_value(ty)?,
            op::TYPE_STREAM_LISTPACKS
            | op::TYPE_STREAM_LISTPACKS_2
            | op::TYPE_STREAM_LISTPACKS_3
            | op::TYPE_STREAM_LISTPACKS_4 => Some(Value::Stream(Box::new(self.stream(ty)?))),
            op::TYPE_MODULE_2 => self.module_value(key)?,
            op::TYPE_MODULE => {
                return Err(self.err(format!(
                    "module values not supported: key '{}' holds a module value (RDB type {ty})",
                    String::from_utf8_lossy(key)
                )));
            }
            op::TYPE_SET_LISTPACK => {
                return Err(self.err(format!(
                    "Unknown RDB encoding type {ty} (SET_LISTPACK, written by Redis 7.2 and later) for key '{}'",
                    String::from_utf8_lossy(key)
                )));
            }
            _ => return Err(self.err(format!("Unknown RDB encoding type {ty}"))),
        };
        Ok(v.map(|v| Entry::new_value(key, v)))
    }

    /// A module value (`RDB_TYPE_MODULE_2`): only RedisJSON's `ReJSON-RL` is known, in the encodings RedisJSON
    /// 2.8 reads: version 3 (the document as one string), 2 (the string, then a flag and two strings that old
    /// RediSearch versions kept beside it) and 0 (RedisJSON 1.x's node tree, [`Self::json_v0`]). Module opcodes
    /// frame each field; the value ends with the EOF opcode.
    fn module_value(&mut self, key: &[u8]) -> Result<Option<Value>, RdbError> {
        use crate::keyspace::types::json::{is_rejson_module_id, Doc};
        const OPCODE_EOF: u64 = 0;
        const OPCODE_UINT: u64 = 2;
        const OPCODE_STRING: u64 = 5;
        let id = self.src.len()?;
        // The probabilistic types (RedisBloom's ids): each value behind its opcodes, then EOF.
        if crate::keyspace::types::prob::known_module(id).is_some() {
            let mut r = ModuleReader { src: &mut self.src, failed: None };
            let v = crate::keyspace::types::prob::Prob::load(id, &mut r);
            if let Some(e) = r.failed {
                return Err(e);
            }
            let eof = self.src.len()?;
            return match v {
                Some(p) if eof == op::MODULE_OPCODE_EOF => Ok(Some(Value::Prob(Box::new(p)))),
                _ => Err(self.err(format!(
                    "Error loading module value of key '{}': damaged or unsupported record",
                    String::from_utf8_lossy(key)
                ))),
            };
        }
        let encver = id & 1023;
        if !is_rejson_module_id(id) || !matches!(encver, 0 | 2 | 3) {
            return Err(self.err(format!(
                "module value of an unknown module type (id {id:#x}, encoding version {encver}) for key '{}'",
                String::from_utf8_lossy(key)
            )));
        }
        let text = if encver == 0 {
            let mut text = Vec::new();
            self.json_v0(&mut text, 0)?;
            text
        } else {
            if self.src.len()? != OPCODE_STRING {
                return Err(self.err("ReJSON-RL value: expected a string"));
            }
            self.src.owned()?
        };
        if encver == 2 {
            if self.src.len()? != OPCODE_UINT {
                return Err(self.err("ReJSON-RL value: expected an unsigned"));
            }
            if self.src.len()? > 0 {
                for _ in 0..2 {
                    if self.src.len()? != OPCODE_STRING {
                        return Err(self.err("ReJSON-RL value: expected a string"));
                    }
                    self.src.owned()?;
                }
            }
        }
        if self.src.len()? != OPCODE_EOF {
            return Err(self.err("ReJSON-RL value: missing the module EOF opcode"));
        }
        // Kept as the text when it is canonical (what RedisJSON and ferredis write), see `types::json::doc`.
        let doc = Doc::from_stored_text(&text).map_err(|e| self.err(format!("ReJSON-RL value: {e}")))?;
        Ok(Some(Value::Json(doc)))
    }

    /// One node of a RedisJSON 1.x document (`ReJSON-RL` encoding version 0, RedisJSON's `backward.rs`), written
    /// as JSON text: a type flag (null 1, string 2, double 4, integer 8, boolean 16, object 32, array 64), then
    /// its value: a string, a double, a signed integer (stored as an unsigned), the string "1" or "0", or a count
    /// followed by that many nodes (an object's members each a key-value flag 128, the key, then the node).
    /// RedisJSON prints the tree and parses the text back, as the caller does here. Nesting is bounded by the
    /// documents' own limit.
    fn json_v0(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), RdbError> {
        use crate::keyspace::types::json::write::{write_f64, write_str};
        use crate::keyspace::types::json::{MAX_NESTING, NESTING_ERROR};
        let expect = |r: &mut Self, want: u64| -> Result<(), RdbError> {
            match r.src.len()? {
                o if o == want => Ok(()),
                o => Err(r.err(format!("Unexpected module opcode {o} (expected {want})"))),
            }
        };
        let string = |r: &mut Self| -> Result<Vec<u8>, RdbError> {
            expect(r, op::MODULE_OPCODE_STRING)?;
            r.src.owned()
        };
        expect(self, op::MODULE_OPCODE_UINT)?;
        match self.src.len()? {
            0x1 => out.extend_from_slice(b"null"),
            0x2 => {
                let s = string(self)?;
                std::str::from_utf8(&s).map_err(|_| self.err("ReJSON-RL value: not UTF-8"))?;
                write_str(&s, out);
            }
            0x4 => {
                expect(self, op::MODULE_OPCODE_DOUBLE)?;
                let d = f64::from_le_bytes(self.src.array::<8>()?);
                if !d.is_finite() {
                    return Err(self.err("ReJSON-RL value: Can't load as float"));
                }
                write_f64(d, out);
            }
            0x8 => {
                // RedisModule_SaveSigned writes the bits as an unsigned (opcode and all).
                expect(self, op::MODULE_OPCODE_UINT)?;
                out.extend_from_slice((self.src.len()? as i64).to_string().as_bytes());
            }
            0x10 => out.extend_from_slice(if string(self)?.first() == Some(&b'1') { b"true" } else { b"false" }),
            flag @ (0x20 | 0x40) => {
                if depth >= MAX_NESTING {
                    return Err(self.err(format!("ReJSON-RL value: {NESTING_ERROR}")));
                }
                let object = flag == 0x20;
                expect(self, op::MODULE_OPCODE_UINT)?;
                let n = self.src.len()?;
                out.push(if object { b'{' } else { b'[' });
                for i in 0..n {
                    if i > 0 {
                        out.push(b',');
                    }
                    if object {
                        expect(self, op::MODULE_OPCODE_UINT)?;
                        if self.src.len()? != 0x80 {
                            return Err(self.err("ReJSON-RL value: Can't load old RedisJSON RDB"));
                        }
                        let k = string(self)?;
                        std::str::from_utf8(&k).map_err(|_| self.err("ReJSON-RL value: not UTF-8"))?;
                        write_str(&k, out);
                        out.push(b':');
                    }
                    self.json_v0(out, depth + 1)?;
                }
                out.push(if object { b'}' } else { b']' });
            }
            t => return Err(self.err(format!("ReJSON-RL value: Can't load old RedisJSON RDB (node type {t})"))),
        }
        Ok(())
    }

    /// A plain list (`RDB_TYPE_LIST`): its elements one by one. `None`: empty.
    fn list_value(&mut self) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let n = self.src.len()?;
        if n == 0 {
            return Ok(None);
        }
        let mut l = List::new();
        let mut buf = [0u8; 24];
        for _ in 0..n {
            let s = self.src.string()?;
            l.push(s.bytes(&mut buf), false, &th);
        }
        Ok(Some(Value::List(l)))
    }

    /// A set (`RDB_TYPE_SET`): an intset while the members are integers and few, else a table. `None`: empty.
    fn set_value(&mut self) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let n = self.src.len()?;
        if n == 0 {
            return Ok(None);
        }
        let max = th.set_max_intset_entries.min(1 << 30) as u64;
        let mut set = if n > max { Set::HashTable(Box::default()) } else { Set::new_intset() };
        let mut buf = [0u8; 24];
        for _ in 0..n {
            let s = self.src.string()?;
            let b = s.bytes(&mut buf);
            if let Set::IntSet(is) = &mut set {
                match as_int(b) {
                    Some(x) => {
                        if !is.insert(x) {
                            let mut e = self.err("Duplicate set members detected");
                            e.line = super::super::report::SET_INTSET_DUP_LINE;
                            return Err(e);
                        }
                        continue;
                    }
                    None => {
                        let mut d = Dict::new();
                        let mut ib = [0u8; 24];
                        for x in is.iter() {
                            d.insert(SmallBytes::new(itoa_buf(x, &mut ib)));
                        }
                        set = Set::HashTable(Box::new(d));
                    }
                }
            }
            if let Set::HashTable(d) = &mut set {
                if d.insert(SmallBytes::new(b)).is_some() {
                    return Err(self.err("Duplicate set members detected"));
                }
                finish_resize(d);
            }
        }
        Ok(Some(Value::Set(set)))
    }

    /// A sorted set (`RDB_TYPE_ZSET`, `_2` with binary scores): member and score pairs. `None`: empty.
    fn zset_value(&mut self, ty: u8) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let n = self.src.len()?;
        if n == 0 {
            return Ok(None);
        }
        let mut z = ZSkip { dict: Dict::new(), list: SkipList::new() };
        for _ in 0..n {
            let mut member = std::mem::take(&mut self.fbuf);
            member.clear();
            {
                let s = self.src.string()?;
                let mut buf = [0u8; 24];
                member.extend_from_slice(s.bytes(&mut buf));
            }
            let score =
                if ty == op::TYPE_ZSET_2 { f64::from_le_bytes(self.src.array()?) } else { self.string_double()? };
            if score.is_nan() {
                return Err(self.err("Zset with NAN score detected"));
            }
            if z.dict.get(&member).is_some() {
                return Err(self.err("Duplicate zset fields detected"));
            }
            let node = z.list.insert(score, SmallBytes::new(&member));
            z.dict.insert(ZEntry::new(&member, node));
            finish_resize(&mut z.dict);
            self.fbuf = member;
        }
        let mut zs = ZSet::SkipList(Box::new(z));
        zs.convert_to_listpack_if_small(&th);
        Ok(Some(Value::ZSet(zs)))
    }

    /// A hash (`RDB_TYPE_HASH`): field and value pairs, into a listpack while they fit. `None`: empty.
    fn hash_value(&mut self) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let deep = self.opts.sanitize;
        let n = self.src.len()?;
        if n == 0 {
            return Ok(None);
        }
        let mut h = Hash::new();
        if n > th.hash_max_listpack_entries as u64 {
            h = Hash::from_table(BigHash::default());
        }
        let mut dups = (deep && matches!(h, Hash::ListPack(_))).then(HashSet::new);
        for _ in 0..n {
            let mut field = std::mem::take(&mut self.fbuf);
            field.clear();
            {
                let s = self.src.string()?;
                let mut buf = [0u8; 24];
                field.extend_from_slice(s.bytes(&mut buf));
            }
            let s = self.src.string()?;
            let mut buf = [0u8; 24];
            let value = s.bytes(&mut buf);
            if let Hash::ListPack(lp) = &mut h {
                if field.len() > th.hash_max_listpack_value
                    || value.len() > th.hash_max_listpack_value
                    || lp.bytes() + field.len() + value.len() > LISTPACK_SAFETY_BYTES
                {
                    let table = hash_table_from(lp);
                    match table {
                        Some(t) => h = t,
                        None => {
                            let off = self.src.offset;
                            return Err(RdbError::new(off, "Duplicate hash fields detected"));
                        }
                    }
                    dups = None;
                } else {
                    if let Some(d) = &mut dups {
                        if !d.insert(field.clone()) {
                            let off = self.src.offset;
                            return Err(RdbError::new(off, "Hash with dup elements"));
                        }
                    }
                    lp.push_back(&field);
                    lp.push_back(value);
                    self.fbuf = field;
                    continue;
                }
            }
            if let Some(d) = h.table_mut() {
                let d = d.dict_mut();
                if d.insert(HashPair::new(&field, value)).is_some() {
                    let off = self.src.offset;
                    return Err(RdbError::new(off, "Duplicate hash fields detected"));
                }
                finish_resize(d);
            }
            self.fbuf = field;
        }
        Ok(Some(Value::Hash(h)))
    }

    /// A quicklist (`RDB_TYPE_LIST_QUICKLIST`, `_2` with plain nodes): its nodes, checked. `None`: empty.
    fn quicklist_value(&mut self, ty: u8) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let deep = self.opts.sanitize;
        let n = self.src.len()?;
        if n == 0 {
            return Ok(None);
        }
        let mut nodes = Vec::new();
        let depth = th.list_compress_depth.max(0) as u64;
        for i in 0..n {
            let mut container = op::CONTAINER_PACKED;
            if ty == op::TYPE_LIST_QUICKLIST_2 {
                container = self.src.len()?;
                if container != op::CONTAINER_PACKED && container != op::CONTAINER_PLAIN {
                    return Err(self.err("Quicklist integrity check failed."));
                }
            }
            // An inner node of a compressed list stays in the LZF form it was saved in.
            let inner = depth > 0 && i >= depth && i + depth < n;
            if inner && ty == op::TYPE_LIST_QUICKLIST_2 && container == op::CONTAINER_PACKED {
                let r = match self.src.string_or_lzf()? {
                    Err((z, len)) => lzf_node(z, len, deep),
                    Ok(s) => {
                        let mut b = [0u8; 24];
                        packed_node(s.bytes(&mut b), ty, deep).map(|lp| lp.map(Node::raw))
                    }
                };
                match r {
                    Ok(Some(node)) => nodes.push(node),
                    Ok(None) => {}
                    Err(m) => return Err(self.err(m)),
                }
                continue;
            }
            let node = self.blob(|b| -> Result<Option<Listpack>, &'static str> {
                if container == op::CONTAINER_PLAIN && !b.is_empty() {
                    return Ok(Some(Listpack::from_items([b])));
                }
                packed_node(b, ty, deep)
            })?;
            match node {
                Ok(Some(lp)) => nodes.push(Node::raw(lp)),
                Ok(None) => {}
                Err(m) => return Err(self.err(m)),
            }
        }
        if nodes.is_empty() {
            return Ok(None);
        }
        Ok(Some(Value::List(list_from_nodes(nodes, &th))))
    }

    /// A hash saved as a zipmap (`RDB_TYPE_HASH_ZIPMAP`). `None`: empty.
    fn zipmap_value(&mut self) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let r = self.blob(legacy::zipmap_to_listpack)?;
        let Some((lp, maxlen)) = r else {
            return Err(self.err("Zipmap integrity check failed."));
        };
        let mut h = Hash::ListPack(lp);
        if h.len() > th.hash_max_listpack_entries || maxlen > th.hash_max_listpack_value {
            h.convert_to_hashtable();
        }
        Ok(Some(Value::Hash(h)))
    }

    /// A list saved as one ziplist (`RDB_TYPE_LIST_ZIPLIST`). `None`: empty.
    fn list_ziplist_value(&mut self) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let r = self.blob(|b| legacy::ziplist_to_listpack(b, false))?;
        let Some(lp) = r else {
            return Err(self.err("List ziplist integrity check failed."));
        };
        if lp.is_empty() {
            return Ok(None);
        }
        Ok(Some(Value::List(list_from_nodes(vec![Node::raw(lp)], &th))))
    }

    /// A set saved as an intset (`RDB_TYPE_SET_INTSET`). `None`: empty.
    fn intset_value(&mut self) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let r = self.blob(|b| IntSet::from_redis_bytes(b).filter(|s| !s.is_empty()))?;
        let Some(is) = r else {
            return Err(self.err("Intset integrity check failed."));
        };
        let mut s = Set::IntSet(is);
        if s.len() > th.set_max_intset_entries {
            // Intset order is numeric, not hash order: the ordinary conversion is fine.
            s.convert_to_hashtable();
        }
        Ok(Some(Value::Set(s)))
    }

    /// A sorted set saved as a ziplist or listpack (`RDB_TYPE_ZSET_ZIPLIST`, `RDB_TYPE_ZSET_LISTPACK`). `None`: empty.
    fn zset_packed_value(&mut self, ty: u8) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let deep = self.opts.sanitize;
        let r = self.blob(|b| {
            let lp = if ty == op::TYPE_ZSET_ZIPLIST {
                legacy::ziplist_to_listpack(b, true)?
            } else {
                listpack_blob(b, true, deep)?
            };
            check_zset_listpack(&lp).then_some(lp)
        })?;
        let Some(lp) = r else {
            let what = if ty == op::TYPE_ZSET_ZIPLIST { "ziplist" } else { "listpack" };
            return Err(self.err(format!("Zset {what} integrity check failed.")));
        };
        if lp.is_empty() {
            return Ok(None);
        }
        if lp.len() / 2 > th.zset_max_listpack_entries {
            match skiplist_from(&lp) {
                Some(z) => Ok(Some(Value::ZSet(z))),
                None => Err(self.err("Duplicate zset fields detected")),
            }
        } else {
            Ok(Some(Value::ZSet(ZSet::ListPack(lp))))
        }
    }

    /// A hash saved as a ziplist or listpack (`RDB_TYPE_HASH_ZIPLIST`, `RDB_TYPE_HASH_LISTPACK`). `None`: empty.
    fn hash_packed_value(&mut self, ty: u8) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let deep = self.opts.sanitize;
        let r = self.blob(|b| {
            if ty == op::TYPE_HASH_ZIPLIST {
                legacy::ziplist_to_listpack(b, true)
            } else {
                listpack_blob(b, true, deep)
            }
        })?;
        let Some(lp) = r else {
            let what = if ty == op::TYPE_HASH_ZIPLIST { "ziplist" } else { "listpack" };
            return Err(self.err(format!("Hash {what} integrity check failed.")));
        };
        if lp.is_empty() {
            return Ok(None);
        }
        if lp.len() / 2 > th.hash_max_listpack_entries {
            match hash_table_from(&lp) {
                Some(h) => Ok(Some(Value::Hash(h))),
                None => {
                    // Redis's hashTypeConvertListpack logs the listpack and panics; the value is refused.
                    log_hex_dump("listpack with dup elements dump", lp.as_bytes());
                    Err(self.err("Duplicate hash fields detected"))
                }
            }
        } else {
            Ok(Some(Value::Hash(Hash::ListPack(lp))))
        }
    }

    /// A hash with field expiries saved as a table (`RDB_TYPE_HASH_METADATA`, and the pre-GA form without the least
    /// expiry). `None`: empty.
    fn hash_metadata_value(&mut self, ty: u8) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let least = if ty == op::TYPE_HASH_METADATA {
            let t = u64::from_le_bytes(self.src.array()?);
            if t > HASH_EXPIRE_INVALID {
                return Err(self.err("Hash read invalid minExpire value"));
            }
            t
        } else {
            0
        };
        let n = self.src.len()?;
        if n == 0 {
            return Ok(None);
        }
        let mut h = Hash::new();
        if n > th.hash_max_listpack_entries as u64 {
            h.convert_to_hashtable();
        } else {
            h.prepare_ttls();
        }
        for _ in 0..n {
            let ttl = self.src.len()?;
            let when = match ty {
                op::TYPE_HASH_METADATA if ttl != 0 => ttl.wrapping_add(least).wrapping_sub(1),
                _ => ttl,
            };
            if when > HASH_EXPIRE_MAX {
                return Err(self.err(format!("invalid expireAt time: {when}")));
            }
            let field = self.src.owned()?;
            let value = self.src.owned()?;
            if h.contains(&field) {
                return Err(self.err("Duplicate hash fields detected"));
            }
            h.convert_for_args([field.as_slice(), value.as_slice()], &th);
            h.set_with_expire(&field, &value, when, &th);
        }
        Ok(Some(Value::Hash(h)))
    }

    /// A hash with field expiries saved as a listpack of triplets (`RDB_TYPE_HASH_LISTPACK_EX`, and the pre-GA
    /// form). `None`: empty.
    fn hash_listpack_ex_value(&mut self, ty: u8) -> Result<Option<Value>, RdbError> {
        let th = self.opts.thresholds;
        let deep = self.opts.sanitize;
        if ty == op::TYPE_HASH_LISTPACK_EX {
            // The least expiry, kept by Redis for a future use; the triplets carry the times.
            let _least = u64::from_le_bytes(self.src.array()?);
        }
        let r = self.blob(|b| listpack_ex_blob(b, deep))?;
        let Some(lp) = r else {
            return Err(self.err("Hash listpack integrity check failed."));
        };
        if lp.is_empty() {
            return Ok(None);
        }
        let mut h = Hash::from_listpack_ex(lp);
        if h.len() > th.hash_max_listpack_entries {
            h.convert_to_hashtable();
        }
        Ok(Some(Value::Hash(h)))
    }

    /// A stream (`RDB_TYPE_STREAM_LISTPACKS`, `_2`, Redis 7.2's `_3` and 8.6's `_4` with the idempotent producers'
    /// state after the groups), as Redis's `rdbLoadObject` reads it,
    /// with its errors. Every node gets the deep stream check whatever `sanitize-dump-payload` says (the stream
    /// code walks nodes trusting their structure); the check that every pending entry found its consumer is made
    /// with `sanitize-dump-payload yes`, as in Redis, and otherwise such entries are dropped (Redis would keep a
    /// pending entry without an owner and crash on it later).
    pub(super) fn stream(&mut self, ty: u8) -> Result<Stream, RdbError> {
        let deep = self.opts.sanitize;
        let mut s = Stream::new();
        self.stream_nodes(&mut s, deep)?;
        s.length = self.src.len()?;
        s.last_id = StreamId::new(self.src.len()?, self.src.len()?);
        if ty == op::TYPE_STREAM_LISTPACKS {
            s.entries_added = s.length;
            s.first_id = s.edge_id(true, true);
        } else {
            s.first_id = StreamId::new(self.src.len()?, self.src.len()?);
            s.max_deleted_entry_id = StreamId::new(self.src.len()?, self.src.len()?);
            s.entries_added = self.src.len()?;
        }
        if s.length > 0 && s.node_count() == 0 {
            return Err(self.err("Stream length inconsistent with rax entries"));
        }
        let groups = self.src.len()?;
        for _ in 0..groups {
            self.stream_group(&mut s, ty, deep)?;
        }
        if ty == op::TYPE_STREAM_LISTPACKS_4 {
            self.stream_idmp(&mut s)?;
        }
        Ok(s)
    }

    /// The idempotency block of a `_4` stream: duration, max size, the producers (pid, count, then each iid with
    /// its entry id) and the two lifetime counters.
    fn stream_idmp(&mut self, s: &mut Stream) -> Result<(), RdbError> {
        let duration = self.src.len()?;
        let maxsize = self.src.len()?;
        let m = s.idmp_mut(duration, maxsize);
        let producers = self.src.len()?;
        for _ in 0..producers {
            let pid = self.src.owned()?;
            if m.has_producer(&pid) {
                return Err(self.src.err("Duplicated IDMP producer ID loading a stream"));
            }
            let n = self.src.len()?;
            for _ in 0..n {
                let iid = self.src.owned()?;
                let id = StreamId::new(self.src.len()?, self.src.len()?);
                // A repeated iid is skipped, as `rdbLoadStreamIdmpEntries` does (the first one stays).
                m.load(&pid, &iid, id);
            }
        }
        m.iids_added = self.src.len()?;
        m.iids_duplicates = self.src.len()?;
        Ok(())
    }

    /// A stream's nodes: each master ID and its listpack (kept LZF-compressed when it was saved so), checked.
    fn stream_nodes(&mut self, s: &mut Stream, deep: bool) -> Result<(), RdbError> {
        let nodes = self.src.len()?;
        for _ in 0..nodes {
            let master = {
                let k = self.src.string()?;
                let mut b = [0u8; 24];
                let kb = k.bytes(&mut b);
                if kb.len() != 16 {
                    return Err(self.err("Stream node key entry is not the size of a stream ID"));
                }
                StreamId::from_be_bytes(kb)
            };
            // A node saved LZF-compressed stays so (closed nodes are kept compressed; the tail is expanded by the
            // first XADD that extends it).
            let node = match self.src.string_or_lzf()? {
                Err((z, len)) => packed_stream_node(z, len, deep, !deep && self.opts.defer_stream_checks),
                Ok(st) => {
                    let mut b = [0u8; 24];
                    let bytes = st.bytes(&mut b);
                    match lp_header(bytes) {
                        Some((_, 0)) if !deep => Err(NODE_EMPTY),
                        _ => validate_node(bytes).map(StreamNode::Raw).ok_or(NODE_CORRUPT),
                    }
                }
            };
            let node = node.map_err(|m| self.err(m))?;
            if !master.is_some_and(|m| s.insert_node(m, node)) {
                return Err(self.err("Listpack re-added with existing key"));
            }
        }
        Ok(())
    }

    /// One consumer group of a stream: its name, last ID, entries read, global PEL and consumers.
    fn stream_group(&mut self, s: &mut Stream, ty: u8, deep: bool) -> Result<(), RdbError> {
        let name = self.src.owned()?;
        let last_id = StreamId::new(self.src.len()?, self.src.len()?);
        let entries_read =
            if ty == op::TYPE_STREAM_LISTPACKS { s.estimate_distance(last_id) } else { self.src.len()? as i64 };
        if s.groups.contains_key(&name) {
            return Err(self.err(format!("Duplicated consumer group name {}", String::from_utf8_lossy(&name))));
        }
        let mut g = ConsumerGroup::new(last_id, entries_read);
        let pel = self.src.len()?;
        let nobody = Name::from(&[][..]);
        for _ in 0..pel {
            let id = StreamId::from_be_bytes(&self.src.array::<16>()?).unwrap_or_default();
            let delivery_time = i64::from_le_bytes(self.src.array()?);
            let delivery_count = self.src.len()?;
            let p = PendingEntry { delivery_time, delivery_count, consumer: nobody.clone() };
            if g.pel.insert(id, p).is_some() {
                return Err(self.err("Duplicated global PEL entry loading stream consumer group"));
            }
        }
        let claimed = self.stream_consumers(&mut g, ty)?;
        if claimed.len() != g.pel.len() {
            if deep {
                return Err(self.err("Stream CG PEL entry without consumer"));
            }
            g.pel.retain(|id, _| claimed.contains(id));
        }
        s.groups.insert(name, g);
        Ok(())
    }

    /// A consumer group's consumers, each with its PEL (entries of the group's PEL it now owns). Returns the pending
    /// ids some consumer claimed.
    fn stream_consumers(&mut self, g: &mut ConsumerGroup, ty: u8) -> Result<HashSet<StreamId>, RdbError> {
        // Which pending ids a consumer claimed (a consumer may have an empty name, so the entry's consumer
        // field alone cannot tell).
        let mut claimed: HashSet<StreamId> = HashSet::new();
        let consumers = self.src.len()?;
        for _ in 0..consumers {
            let cname: Name = self.src.owned()?.into();
            if g.consumers.contains_key(&cname) {
                return Err(self.err("Duplicate stream consumer detected."));
            }
            let seen_time = i64::from_le_bytes(self.src.array()?);
            if ty == op::TYPE_STREAM_LISTPACKS_3 || ty == op::TYPE_STREAM_LISTPACKS_4 {
                // Redis 7.2's active time: not part of 7.0's model.
                let _active_time: [u8; 8] = self.src.array()?;
            }
            let mut c = Consumer { seen_time, pel: Default::default() };
            let n = self.src.len()?;
            for _ in 0..n {
                let id = StreamId::from_be_bytes(&self.src.array::<16>()?).unwrap_or_default();
                let Some(p) = g.pel.get_mut(&id) else {
                    return Err(self.err("Consumer entry not found in group global PEL"));
                };
                if !c.pel.insert(id) {
                    return Err(self.err("Duplicated consumer PEL entry  loading a stream consumer group"));
                }
                // An id already claimed by another consumer moves to this one, as Redis's NACK does.
                if !claimed.insert(id) {
                    if let Some(prev) = g.consumers.get_mut(&*p.consumer) {
                        prev.pel.remove(&id);
                    }
                }
                p.consumer = cname.clone();
            }
            g.consumers.insert(cname, c);
        }
        Ok(claimed)
    }

    /// `rdbLoadDoubleValue`: a length byte (253 nan, 254 +inf, 255 -inf) then that many characters.
    pub(super) fn string_double(&mut self) -> Result<f64, RdbError> {
        let n = self.src.u8()?;
        match n {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            _ => {
                let b = self.src.bytes(n as usize)?;
                let v = parse_f64(b).or_else(|| std::str::from_utf8(b).ok().and_then(|s| s.trim().parse().ok()));
                v.ok_or_else(|| self.err("Bad double value"))
            }
        }
    }
}

/// The RDB reader as a module's `RedisModule_Load*` source: each value must carry the opcode of its kind
/// (Redis checks it, `moduleLoadUnsigned` and friends). The first error is kept for the caller.
struct ModuleReader<'r, 'b> {
    src: &'r mut Src<'b>,
    failed: Option<RdbError>,
}

impl ModuleReader<'_, '_> {
    fn opcode(&mut self, want: u64) -> Option<()> {
        if self.failed.is_some() {
            return None;
        }
        match self.src.len() {
            Ok(o) if o == want => Some(()),
            Ok(o) => {
                self.failed = Some(self.src.err(format!("Unexpected module opcode {o} (expected {want})")));
                None
            }
            Err(e) => {
                self.failed = Some(e);
                None
            }
        }
    }

    fn keep<T>(&mut self, r: Result<T, RdbError>) -> Option<T> {
        r.map_err(|e| self.failed = Some(e)).ok()
    }
}

impl crate::keyspace::types::prob::ModuleIn for ModuleReader<'_, '_> {
    fn unsigned(&mut self) -> Option<u64> {
        self.opcode(op::MODULE_OPCODE_UINT)?;
        let r = self.src.len();
        self.keep(r)
    }
    fn double(&mut self) -> Option<f64> {
        self.opcode(op::MODULE_OPCODE_DOUBLE)?;
        let r = self.src.array::<8>().map(f64::from_le_bytes);
        self.keep(r)
    }
    fn string(&mut self) -> Option<Vec<u8>> {
        self.opcode(op::MODULE_OPCODE_STRING)?;
        let r = self.src.string().map(|s| {
            let mut b = [0u8; 24];
            s.bytes(&mut b).to_vec()
        });
        self.keep(r)
    }
}
