//! Lua tables: an array part and a chained scatter table with Brent's variation, as Lua 5.1's `ltable.c`.
//!
//! The layout algorithm is the reference one on purpose: main positions, the `lastfree` scan, the rehash that
//! sizes the array part so that more than half of it is used, and the `#` border search. With Lua 5.1's string
//! and number hashes this makes `pairs`/`next` visit string and number keys in the same order as the Lua inside
//! Redis, so a script that builds a table and returns or `cjson.encode`s it produces the same bytes.
//!
//! Invariants:
//! - `nodes.len()` is a power of two, or 0 (Lua's shared dummy node: no hash part).
//! - A node with a non-nil key but a nil value is a removed entry; it stays in its chain (so `next` can continue
//!   from it) and is reused by an insertion whose main position it is.
//! - `dead` marks a removed entry whose collectable key the collector may have freed: it never matches a lookup,
//!   only `next`'s identity check.
//! - String keys carry their hash ([`Node::khash`](crate::lua::table::Node::khash)), so the table never needs the
//!   string arena.
//!
//! Tested by the unit tests below and, for iteration order, by the Lua corpus compared against `lua5.1`.

use super::value::Value;

/// `MAXBITS`: the array part holds at most 2^26 entries.
const MAXBITS: usize = 26;
const MAXASIZE: i64 = 1 << MAXBITS;

#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub key: Value,
    pub val: Value,
    /// Next node in the collision chain, or -1.
    next: i32,
    /// The key's hash when it is a string.
    khash: u32,
    /// Removed entry whose key is no longer kept alive (`LUA_TDEADKEY`).
    pub dead: bool,
}

const EMPTY_NODE: Node = Node { key: Value::Nil, val: Value::Nil, next: -1, khash: 0, dead: false };

/// Errors a raw set can raise (the VM turns them into Lua errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// "table index is nil"
    NilKey,
    /// "table index is NaN"
    NanKey,
    /// "table overflow"
    Overflow,
    /// A write to a table marked read-only (Redis's patched Lua: `lua_enablereadonlytable`).
    ReadOnly,
}

impl TableError {
    pub fn message(self) -> &'static str {
        match self {
            TableError::NilKey => "table index is nil",
            TableError::NanKey => "table index is NaN",
            TableError::Overflow => "table overflow",
            TableError::ReadOnly => "Attempt to modify a readonly table",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub array: Vec<Value>,
    pub nodes: Vec<Node>,
    /// Every free position is below this index (`lastfree`).
    last_free: usize,
    pub metatable: Option<super::value::TableRef>,
    /// Cache of absent metamethods (bit i set: metamethod i is known to be absent), as Lua's `flags`; the VM
    /// owns its meaning and clears it on every raw set of a `__` key.
    pub flags: u8,
    /// Every raw write fails with [`TableError::ReadOnly`] (Redis protects the globals and the libraries this way;
    /// set by the embedder, see [`crate::scripting::env`]).
    pub readonly: bool,
}

/// `lua_number2int` followed by the exactness check: the integer value of an integral number in `i32` range.
#[inline]
fn num_to_int(n: f64) -> Option<i32> {
    let k = n as i32;
    if k as f64 == n {
        Some(k)
    } else {
        None
    }
}

/// `ceil(log2(x))` for x >= 1.
#[inline]
fn ceil_log2(x: u64) -> usize {
    if x <= 1 {
        0
    } else {
        64 - (x - 1).leading_zeros() as usize
    }
}

/// Lua 5.1's `hashnum` input: the two 32-bit halves of the double summed (0 for both zeros).
#[inline]
fn num_hash(n: f64) -> Option<u32> {
    if n == 0.0 {
        return None;
    }
    let bits = n.to_bits();
    Some((bits as u32).wrapping_add((bits >> 32) as u32))
}

impl Table {
    /// `luaH_new`: a table with room for `narray` array items and `nhash` hash items.
    pub fn new(narray: usize, nhash: usize) -> Table {
        let mut t = Table { array: vec![Value::Nil; narray], ..Default::default() };
        t.set_node_vector(nhash);
        t
    }

    /// Approximate bytes this table owns, for the heap's accounting.
    pub fn mem_size(&self) -> usize {
        std::mem::size_of::<Table>()
            + self.array.capacity() * std::mem::size_of::<Value>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
    }

    fn set_node_vector(&mut self, size: usize) {
        if size == 0 {
            self.nodes = Vec::new();
            self.last_free = 0;
        } else {
            let lsize = ceil_log2(size as u64);
            let n = 1usize << lsize;
            self.nodes = vec![EMPTY_NODE; n];
            self.last_free = n;
        }
    }

    #[inline]
    fn hashmod(&self, h: u32) -> usize {
        (h % (((self.nodes.len() - 1) as u32) | 1)) as usize
    }

    #[inline]
    fn hashpow2(&self, h: u32) -> usize {
        (h as usize) & (self.nodes.len() - 1)
    }

    /// `mainposition`: the node where `key` belongs. `khash` is the string hash for string keys. Requires a
    /// non-empty hash part.
    fn main_position(&self, key: Value, khash: u32) -> usize {
        match key {
            Value::Num(n) => match num_hash(n) {
                None => 0,
                Some(h) => self.hashmod(h),
            },
            Value::Str(_) => self.hashpow2(khash),
            Value::Bool(b) => self.hashpow2(b as u32),
            Value::LightUserData(p) => self.hashmod(p as u32),
            // Lua hashes the object's address; an arena index is this heap's address.
            Value::Table(r) => self.hashmod(r.0.wrapping_mul(0x9e37_79b9) ^ 1),
            Value::Func(r) => self.hashmod(r.0.wrapping_mul(0x9e37_79b9) ^ 2),
            Value::Thread(r) => self.hashmod(r.0.wrapping_mul(0x9e37_79b9) ^ 3),
            Value::Nil => 0,
        }
    }

    /// `luaH_getnum`.
    #[inline]
    pub fn get_int(&self, key: i64) -> Value {
        if key >= 1 && (key as u64) <= self.array.len() as u64 {
            return self.array[(key - 1) as usize];
        }
        if self.nodes.is_empty() {
            return Value::Nil;
        }
        let nk = key as f64;
        let mut i = match num_hash(nk) {
            None => 0,
            Some(h) => self.hashmod(h),
        };
        loop {
            let n = &self.nodes[i];
            if let Value::Num(x) = n.key {
                if x == nk && !n.dead {
                    return n.val;
                }
            }
            if n.next < 0 {
                return Value::Nil;
            }
            i = n.next as usize;
        }
    }

    /// `luaH_getstr` for an interned string with hash `khash`.
    #[inline(always)]
    pub fn get_str(&self, key: super::value::StrRef, khash: u32) -> Value {
        if self.nodes.is_empty() {
            return Value::Nil;
        }
        let mut i = self.hashpow2(khash);
        loop {
            let n = &self.nodes[i];
            if let Value::Str(s) = n.key {
                if s == key && !n.dead {
                    return n.val;
                }
            }
            if n.next < 0 {
                return Value::Nil;
            }
            i = n.next as usize;
        }
    }

    /// `luaH_get`: raw lookup of any key (`khash` is used only for strings).
    pub fn get(&self, key: Value, khash: u32) -> Value {
        match key {
            Value::Nil => Value::Nil,
            Value::Str(s) => self.get_str(s, khash),
            Value::Num(n) => match num_to_int(n) {
                Some(k) => self.get_int(k as i64),
                None => self.get_generic(key, khash).map(|i| self.nodes[i].val).unwrap_or(Value::Nil),
            },
            _ => self.get_generic(key, khash).map(|i| self.nodes[i].val).unwrap_or(Value::Nil),
        }
    }

    /// The node holding `key` in the hash part, if any.
    fn get_generic(&self, key: Value, khash: u32) -> Option<usize> {
        if self.nodes.is_empty() {
            return None;
        }
        let mut i = self.main_position(key, khash);
        loop {
            let n = &self.nodes[i];
            if !n.dead && n.key.raw_eq(key) {
                return Some(i);
            }
            if n.next < 0 {
                return None;
            }
            i = n.next as usize;
        }
    }

    /// The slot for `key` if present (value may be nil): `Ok(Some(array index))`/node index.
    fn find_slot(&self, key: Value, khash: u32) -> Option<Slot> {
        if let Value::Num(n) = key {
            if let Some(k) = num_to_int(n) {
                if k >= 1 && (k as usize) <= self.array.len() {
                    return Some(Slot::Array(k as usize - 1));
                }
            }
        }
        self.get_generic(key, khash).map(Slot::Node)
    }

    /// `luaH_set` + assignment. Returns whether the table was resized (the heap re-measures it then).
    pub fn set(&mut self, key: Value, khash: u32, val: Value) -> Result<bool, TableError> {
        if self.readonly {
            return Err(TableError::ReadOnly);
        }
        if let Some(slot) = self.find_slot(key, khash) {
            self.write(slot, val);
            return Ok(false);
        }
        match key {
            Value::Nil => return Err(TableError::NilKey),
            Value::Num(n) if n.is_nan() => return Err(TableError::NanKey),
            _ => {}
        }
        self.new_key(key, khash, val)
    }

    /// `luaH_setnum` + assignment.
    pub fn set_int(&mut self, key: i64, val: Value) -> Result<bool, TableError> {
        if self.readonly {
            return Err(TableError::ReadOnly);
        }
        if key >= 1 && (key as u64) <= self.array.len() as u64 {
            self.array[(key - 1) as usize] = val;
            return Ok(false);
        }
        self.set(Value::Num(key as f64), 0, val)
    }

    #[inline]
    fn write(&mut self, slot: Slot, val: Value) {
        match slot {
            Slot::Array(i) => self.array[i] = val,
            Slot::Node(i) => self.nodes[i].val = val,
        }
    }

    fn get_free_pos(&mut self) -> Option<usize> {
        while self.last_free > 0 {
            self.last_free -= 1;
            if self.nodes[self.last_free].key.is_nil() {
                return Some(self.last_free);
            }
        }
        None
    }

    /// `newkey`: insert a key known to be absent.
    fn new_key(&mut self, key: Value, khash: u32, val: Value) -> Result<bool, TableError> {
        if self.nodes.is_empty() {
            self.rehash(key)?;
            self.set(key, khash, val)?;
            return Ok(true);
        }
        let mut mp = self.main_position(key, khash);
        if !self.nodes[mp].val.is_nil() {
            let Some(n) = self.get_free_pos() else {
                self.rehash(key)?;
                self.set(key, khash, val)?;
                return Ok(true);
            };
            let occupant = self.nodes[mp];
            let mut other = self.main_position(occupant.key, occupant.khash);
            if other != mp {
                // The colliding node is out of its main position: move it to the free slot.
                while self.nodes[other].next != mp as i32 {
                    other = self.nodes[other].next as usize;
                }
                self.nodes[other].next = n as i32;
                self.nodes[n] = occupant;
                self.nodes[mp].next = -1;
                self.nodes[mp].val = Value::Nil;
            } else {
                // The colliding node is in its own main position: the new key goes to the free slot.
                self.nodes[n].next = self.nodes[mp].next;
                self.nodes[mp].next = n as i32;
                mp = n;
            }
        }
        let node = &mut self.nodes[mp];
        node.key = key;
        node.khash = khash;
        node.dead = false;
        node.val = val;
        Ok(false)
    }

    /// `rehash`: recount integer keys (plus the one being inserted) and resize both parts.
    fn rehash(&mut self, extra: Value) -> Result<(), TableError> {
        let mut nums = [0i64; MAXBITS + 1];
        let mut nasize = self.num_use_array(&mut nums);
        let mut total = nasize;
        let (hash_total, hash_ints) = self.num_use_hash(&mut nums);
        total += hash_total;
        nasize += hash_ints;
        nasize += count_int(extra, &mut nums);
        total += 1;
        let (new_asize, na) = compute_sizes(&nums, nasize);
        let nhash = total - na;
        if nhash as u64 > (1u64 << MAXBITS) {
            return Err(TableError::Overflow);
        }
        self.resize(new_asize as usize, nhash as usize);
        Ok(())
    }

    fn num_use_array(&self, nums: &mut [i64; MAXBITS + 1]) -> i64 {
        let mut ause = 0;
        let mut i = 1usize;
        let mut ttlg = 1usize;
        for slot in nums.iter_mut() {
            let mut lim = ttlg;
            if lim > self.array.len() {
                lim = self.array.len();
                if i > lim {
                    break;
                }
            }
            let mut lc = 0;
            while i <= lim {
                if !self.array[i - 1].is_nil() {
                    lc += 1;
                }
                i += 1;
            }
            *slot += lc;
            ause += lc;
            ttlg *= 2;
        }
        ause
    }

    /// (entries in the hash part, of which integer keys suitable for the array part).
    fn num_use_hash(&self, nums: &mut [i64; MAXBITS + 1]) -> (i64, i64) {
        let mut total = 0;
        let mut ause = 0;
        for n in self.nodes.iter().rev() {
            if !n.val.is_nil() {
                ause += count_int(n.key, nums);
                total += 1;
            }
        }
        (total, ause)
    }

    fn resize(&mut self, nasize: usize, nhsize: usize) {
        let old_asize = self.array.len();
        let old_nodes = std::mem::take(&mut self.nodes);
        if nasize > old_asize {
            self.array.resize(nasize, Value::Nil);
        }
        self.set_node_vector(nhsize);
        if nasize < old_asize {
            let vanishing: Vec<Value> = self.array.drain(nasize..).collect();
            self.array.shrink_to_fit();
            for (i, v) in vanishing.into_iter().enumerate() {
                if !v.is_nil() {
                    // Cannot fail: integer keys are valid and the new hash part has room for them.
                    let _ = self.set_int((nasize + i + 1) as i64, v);
                }
            }
        }
        for n in old_nodes.iter().rev() {
            if !n.val.is_nil() {
                let _ = self.set(n.key, n.khash, n.val);
            }
        }
    }

    /// `luaH_resizearray`: set the array part to exactly `n` slots, keeping the hash part's size (SETLIST sizes
    /// a constructor's array part this way, which decides later `#` borders and `next` order).
    pub fn resize_array(&mut self, n: usize) {
        let nh = self.nodes.len();
        self.resize(n, nh);
    }

    /// Whether `#t` is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `luaH_getn`: a border (`#t`).
    pub fn len(&self) -> usize {
        let mut j = self.array.len();
        if j > 0 && self.array[j - 1].is_nil() {
            let mut i = 0;
            while j - i > 1 {
                let m = (i + j) / 2;
                if self.array[m - 1].is_nil() {
                    j = m;
                } else {
                    i = m;
                }
            }
            return i;
        }
        if self.nodes.is_empty() {
            return j;
        }
        self.unbound_search(j as u64) as usize
    }

    fn unbound_search(&self, j: u64) -> u64 {
        let mut i = j;
        let mut j = j + 1;
        while !self.get_int(j as i64).is_nil() {
            i = j;
            j *= 2;
            if j > i32::MAX as u64 {
                let mut i = 1;
                while !self.get_int(i).is_nil() {
                    i += 1;
                }
                return (i - 1) as u64;
            }
        }
        while j - i > 1 {
            let m = (i + j) / 2;
            if self.get_int(m as i64).is_nil() {
                j = m;
            } else {
                i = m;
            }
        }
        i
    }

    /// `luaH_next`: the entry after `key` (`nil` starts), or `Ok(None)` at the end. `Err(())` means `key` is not
    /// in the table ("invalid key to 'next'").
    #[allow(clippy::result_unit_err)]
    pub fn next(&self, key: Value, khash: u32) -> Result<Option<(Value, Value)>, ()> {
        let mut i = self.find_index(key, khash)?;
        while i < self.array.len() {
            let v = self.array[i];
            if !v.is_nil() {
                return Ok(Some((Value::Num((i + 1) as f64), v)));
            }
            i += 1;
        }
        let mut n = i - self.array.len();
        while n < self.nodes.len() {
            let node = &self.nodes[n];
            if !node.val.is_nil() {
                return Ok(Some((node.key, node.val)));
            }
            n += 1;
        }
        Ok(None)
    }

    /// `findindex`: the traversal position just after `key`.
    fn find_index(&self, key: Value, khash: u32) -> Result<usize, ()> {
        if key.is_nil() {
            return Ok(0);
        }
        if let Value::Num(n) = key {
            if let Some(k) = num_to_int(n) {
                if k >= 1 && (k as usize) <= self.array.len() {
                    return Ok(k as usize);
                }
            }
        }
        if self.nodes.is_empty() {
            return Err(());
        }
        let mut i = self.main_position(key, khash);
        loop {
            let n = &self.nodes[i];
            // A dead key still identifies its node for `next`.
            if n.key.raw_eq(key) {
                return Ok(i + 1 + self.array.len());
            }
            if n.next < 0 {
                return Err(());
            }
            i = n.next as usize;
        }
    }

    /// Number of non-nil entries (for memory reports; O(n)).
    pub fn count(&self) -> usize {
        self.array.iter().filter(|v| !v.is_nil()).count() + self.nodes.iter().filter(|n| !n.val.is_nil()).count()
    }
}

#[derive(Clone, Copy)]
enum Slot {
    Array(usize),
    Node(usize),
}

/// `countint`: count `key` in `nums` if it is a candidate array index.
fn count_int(key: Value, nums: &mut [i64; MAXBITS + 1]) -> i64 {
    if let Value::Num(n) = key {
        if let Some(k) = num_to_int(n) {
            if k > 0 && (k as i64) <= MAXASIZE {
                nums[ceil_log2(k as u64)] += 1;
                return 1;
            }
        }
    }
    0
}

/// `computesizes`: the largest power of two n such that more than n/2 of the slots 1..n would be used.
/// Returns (array size, number of keys going to the array part).
fn compute_sizes(nums: &[i64; MAXBITS + 1], narray: i64) -> (i64, i64) {
    let mut a = 0;
    let mut na = 0;
    let mut n = 0;
    let mut twotoi: i64 = 1;
    let mut i = 0;
    while twotoi / 2 < narray && i <= MAXBITS {
        if nums[i] > 0 {
            a += nums[i];
            if a > twotoi / 2 {
                n = twotoi;
                na = a;
            }
        }
        if a == narray {
            break;
        }
        i += 1;
        twotoi *= 2;
    }
    (n, na)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::value::StrRef;

    fn s(i: u32) -> Value {
        Value::Str(StrRef(i))
    }

    #[test]
    fn array_part_grows_for_sequences() {
        let mut t = Table::new(0, 0);
        for i in 1..=100 {
            t.set_int(i, Value::Num(i as f64)).unwrap();
        }
        assert_eq!(t.len(), 100);
        assert_eq!(t.array.len(), 128);
        assert!(t.nodes.is_empty());
        assert_eq!(t.get_int(50).as_num(), Some(50.0));
        assert_eq!(t.get(Value::Num(50.0), 0).as_num(), Some(50.0));
    }

    #[test]
    fn string_keys_and_removal() {
        let mut t = Table::new(0, 0);
        for i in 0..40 {
            t.set(s(i), i * 7919, Value::Num(i as f64)).unwrap();
        }
        for i in 0..40 {
            assert_eq!(t.get(s(i), i * 7919).as_num(), Some(i as f64));
        }
        t.set(s(3), 3 * 7919, Value::Nil).unwrap();
        assert!(t.get(s(3), 3 * 7919).is_nil());
        assert_eq!(t.count(), 39);
        // next() walks every live entry exactly once, even from a removed key.
        let mut k = Value::Nil;
        let mut seen = 0;
        while let Some((nk, _)) = t.next(k, if let Value::Str(r) = k { r.0 * 7919 } else { 0 }).unwrap() {
            seen += 1;
            k = nk;
        }
        assert_eq!(seen, 39);
        assert!(t.next(s(3), 3 * 7919).is_ok());
        assert!(t.next(s(99), 99 * 7919).is_err());
    }

    #[test]
    fn invalid_keys() {
        let mut t = Table::new(0, 0);
        assert_eq!(t.set(Value::Nil, 0, Value::Num(1.0)), Err(TableError::NilKey));
        assert_eq!(t.set(Value::Num(f64::NAN), 0, Value::Num(1.0)), Err(TableError::NanKey));
        // Non-integral and negative numbers live in the hash part.
        t.set(Value::Num(1.5), 0, Value::Bool(true)).unwrap();
        t.set(Value::Num(-3.0), 0, Value::Bool(true)).unwrap();
        assert!(t.get(Value::Num(1.5), 0).truthy());
        assert!(t.get(Value::Num(-3.0), 0).truthy());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn border_with_holes_matches_lua() {
        // local t = {1,2,nil,4} -> #t == 4 in Lua 5.1 (array part of size 4, last non-nil).
        let mut t = Table::new(4, 0);
        for (i, v) in [1.0, 2.0, 0.0, 4.0].iter().enumerate() {
            if *v != 0.0 {
                t.set_int(i as i64 + 1, Value::Num(*v)).unwrap();
            }
        }
        assert_eq!(t.len(), 4);
        t.set_int(4, Value::Nil).unwrap();
        assert_eq!(t.len(), 2);
    }
}
