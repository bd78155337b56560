//! The Lua heap: typed arenas for strings, tables, functions, upvalues and coroutines, string interning, memory
//! accounting and a stop-the-world mark-and-sweep collector.
//!
//! Objects are addressed by `u32` indices (see `value.rs`), so values are `Copy` and no object is reached through
//! a raw pointer. A freed slot keeps an empty object and goes on its arena's free list; a stale index therefore
//! reads an empty object instead of freed memory.
//!
//! Collection is triggered only by the VM at its safe points (where every live value is in a root: a thread
//! stack, the registry, a closure or a table reachable from them), when the bytes allocated since the last cycle
//! exceed the last live size (Lua 5.1's default pause of 200%). The mark phase uses an explicit gray stack, so
//! deep structures cannot overflow the Rust stack. Weak tables (`__mode` with `k` and/or `v`) are cleared after
//! marking, strings never count as weak (as in Lua).
//!
//! Tested by the unit tests below and by the Lua corpus (`tests/scripting/lua_corpus.rs`), which runs with a tiny GC
//! pause so that every safe point collects.

use std::rc::Rc;

use super::proto::Proto;
use super::table::Table;
use super::value::{FuncRef, StrRef, TableRef, ThreadRef, UpvalRef, Value};

/// A native function. Arguments are the values above the frame base ([`super::Lua::arg`]); results are pushed
/// and counted in the return value. `host` is whatever the embedder passed to [`super::Lua::call`] (the server
/// passes its scripting context); the Lua libraries ignore it.
pub type NativeFn = fn(&mut super::Lua, &mut dyn std::any::Any) -> Result<usize, super::value::LuaError>;

pub struct LuaClosure {
    pub proto: Rc<Proto>,
    pub upvals: Box<[UpvalRef]>,
    pub env: TableRef,
}

pub struct NativeClosure {
    pub f: NativeFn,
    /// The name error messages use ("bad argument #1 to 'insert'").
    pub name: &'static str,
    pub upvals: Box<[Value]>,
    pub env: TableRef,
}

pub enum Function {
    Lua(LuaClosure),
    Native(NativeClosure),
}

impl Function {
    pub fn env(&self) -> TableRef {
        match self {
            Function::Lua(c) => c.env,
            Function::Native(c) => c.env,
        }
    }
}

/// An upvalue cell. Open: it aliases `stack[slot]` of `thread`; closed: it owns its value.
#[derive(Clone, Copy, Debug)]
pub enum Upval {
    Open { thread: ThreadRef, slot: usize },
    Closed(Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadStatus {
    /// Created or yielded: can be resumed.
    Suspended,
    /// The running coroutine (or the main thread).
    Running,
    /// Resumed another coroutine and waits for it.
    Normal,
    /// Returned or raised an error.
    Dead,
}

/// A coroutine's saved state. The running thread's stack and frames live in [`super::Lua`] itself and are swapped
/// in and out on resume/yield, so the VM never reaches through the arena for its registers.
pub struct Thread {
    pub stack: Vec<Value>,
    pub frames: Vec<super::vm::Frame>,
    /// Open upvalues of this thread, sorted by stack slot, highest first.
    pub open_upvals: Vec<UpvalRef>,
    pub status: ThreadStatus,
    /// The function a fresh coroutine starts with.
    pub start: Value,
}

/// One arena: objects plus a free list and mark bits.
pub(crate) struct Arena<T> {
    pub(crate) items: Vec<T>,
    live: Vec<bool>,
    marks: Vec<bool>,
    free: Vec<u32>,
}

impl<T> Arena<T> {
    fn new() -> Arena<T> {
        Arena { items: Vec::new(), live: Vec::new(), marks: Vec::new(), free: Vec::new() }
    }

    fn alloc(&mut self, v: T) -> u32 {
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = v;
            self.live[i as usize] = true;
            i
        } else {
            self.items.push(v);
            self.live.push(true);
            self.marks.push(false);
            (self.items.len() - 1) as u32
        }
    }

    /// Mark `i`; true if it was not marked before (so its children still need a visit).
    #[inline]
    fn mark(&mut self, i: u32) -> bool {
        let m = &mut self.marks[i as usize];
        if *m || !self.live[i as usize] {
            false
        } else {
            *m = true;
            true
        }
    }

    #[inline]
    fn is_marked(&self, i: u32) -> bool {
        self.marks[i as usize]
    }

    pub(crate) fn live_count(&self) -> usize {
        self.items.len() - self.free.len()
    }
}

pub struct LStr {
    pub bytes: Box<[u8]>,
    pub hash: u32,
}

/// Lua 5.1's `luaS_hash`: seeded with the length, at most ~32 sampled bytes.
pub fn str_hash(s: &[u8]) -> u32 {
    let l = s.len();
    let mut h = l as u32;
    let step = (l >> 5) + 1;
    let mut l1 = l;
    while l1 >= step {
        h ^= (h << 5).wrapping_add(h >> 2).wrapping_add(s[l1 - 1] as u32);
        l1 -= step;
    }
    h
}

/// Metamethod events, in Lua 5.1's `TMS` order (the first five are the ones [`Table::flags`] caches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tm {
    Index = 0,
    NewIndex,
    Gc,
    Mode,
    Eq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
    Len,
    Lt,
    Le,
    Concat,
    Call,
    ToString,
    Metatable,
}

pub const TM_NAMES: [&str; 19] = [
    "__index",
    "__newindex",
    "__gc",
    "__mode",
    "__eq",
    "__add",
    "__sub",
    "__mul",
    "__div",
    "__mod",
    "__pow",
    "__unm",
    "__len",
    "__lt",
    "__le",
    "__concat",
    "__call",
    "__tostring",
    "__metatable",
];

pub struct Heap {
    pub(crate) strings: Arena<LStr>,
    /// Interning index: open addressing over `strings`, slot = index + 1, 0 = empty. Rebuilt after each sweep.
    intern: Vec<u32>,
    pub(crate) tables: Arena<Table>,
    pub(crate) funcs: Arena<Function>,
    pub(crate) upvals: Arena<Upval>,
    pub(crate) threads: Arena<Thread>,
    /// Interned metamethod names, never collected.
    pub tm_names: [StrRef; 19],
    /// Approximate bytes held by live objects.
    pub bytes: usize,
    /// Collect when `bytes` exceeds this.
    pub gc_threshold: usize,
    /// Percent of the live size to wait before the next cycle (Lua's `setpause`, default 200).
    pub gc_pause: usize,
    /// Hard limit: past it (after a collection) allocation sites raise "not enough memory".
    pub limit: usize,
    /// Collection cycles so far.
    pub cycles: u64,
}

const STR_OVERHEAD: usize = 40;
/// The smallest heap size that starts a collection. Scripts allocate outside the VM's safe points (KEYS, ARGV,
/// redis.call's replies) and are collected between calls. Redis's Lua heap stays near its ~30 KiB baseline under a
/// stream of small EVALs (its suite bounds `used_memory_lua` at 100 KiB after 10,000 of them), so the floor leaves
/// about 36 KiB of garbage between cycles: a cycle every hundred-odd small EVALs, each marking ~28 KiB.
const GC_MIN_THRESHOLD: usize = 64 * 1024;
const FUNC_OVERHEAD: usize = 64;
const UPVAL_SIZE: usize = 32;
const THREAD_OVERHEAD: usize = 256;

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Heap {
    pub fn new() -> Heap {
        let mut h = Heap {
            strings: Arena::new(),
            intern: vec![0; 256],
            tables: Arena::new(),
            funcs: Arena::new(),
            upvals: Arena::new(),
            threads: Arena::new(),
            tm_names: [StrRef(0); 19],
            bytes: 0,
            gc_threshold: 1 << 20,
            gc_pause: 200,
            limit: usize::MAX,
            cycles: 0,
        };
        for (i, name) in TM_NAMES.iter().enumerate() {
            h.tm_names[i] = h.intern(name.as_bytes());
        }
        h
    }

    // ---- strings ----

    /// The interned string for `bytes` (created if new).
    pub fn intern(&mut self, bytes: &[u8]) -> StrRef {
        let hash = str_hash(bytes);
        match self.find_str(bytes, hash) {
            Ok(s) => s,
            Err(slot) => self.add_str(slot, bytes.into(), hash),
        }
    }

    /// Intern an owned buffer (no copy when the string is new).
    pub fn intern_vec(&mut self, bytes: Vec<u8>) -> StrRef {
        let hash = str_hash(&bytes);
        match self.find_str(&bytes, hash) {
            Ok(s) => s,
            Err(slot) => self.add_str(slot, bytes.into_boxed_slice(), hash),
        }
    }

    /// The existing string equal to `bytes`, or the empty index slot where it belongs.
    #[inline]
    fn find_str(&self, bytes: &[u8], hash: u32) -> Result<StrRef, usize> {
        let mask = self.intern.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.intern[i];
            if slot == 0 {
                return Err(i);
            }
            let s = &self.strings.items[(slot - 1) as usize];
            if s.hash == hash && *s.bytes == *bytes {
                return Ok(StrRef(slot - 1));
            }
            i = (i + 1) & mask;
        }
    }

    /// A new string in index slot `slot` (from [`Heap::find_str`]); grows the index past half full.
    fn add_str(&mut self, slot: usize, bytes: Box<[u8]>, hash: u32) -> StrRef {
        self.bytes += STR_OVERHEAD + bytes.len();
        let idx = self.strings.alloc(LStr { bytes, hash });
        self.intern[slot] = idx + 1;
        if self.strings.live_count() * 2 > self.intern.len() {
            self.rebuild_intern(self.intern.len() * 2);
        }
        StrRef(idx)
    }

    fn rebuild_intern(&mut self, size: usize) {
        let size = size.max(256).next_power_of_two();
        let mut index = vec![0u32; size];
        let mask = size - 1;
        for (idx, s) in self.strings.items.iter().enumerate() {
            if !self.strings.live[idx] {
                continue;
            }
            let mut i = s.hash as usize & mask;
            while index[i] != 0 {
                i = (i + 1) & mask;
            }
            index[i] = idx as u32 + 1;
        }
        self.intern = index;
    }

    #[inline]
    pub fn str(&self, s: StrRef) -> &[u8] {
        &self.strings.items[s.0 as usize].bytes
    }

    #[inline]
    pub fn str_hash_of(&self, s: StrRef) -> u32 {
        self.strings.items[s.0 as usize].hash
    }

    /// The metamethod name for `tm`.
    #[inline]
    pub fn tm_name(&self, tm: Tm) -> StrRef {
        self.tm_names[tm as usize]
    }

    // ---- tables ----

    pub fn new_table(&mut self, narray: usize, nhash: usize) -> TableRef {
        let t = Table::new(narray, nhash);
        self.bytes += t.mem_size();
        TableRef(self.tables.alloc(t))
    }

    #[inline]
    pub fn table(&self, t: TableRef) -> &Table {
        &self.tables.items[t.0 as usize]
    }

    #[inline]
    pub fn table_mut(&mut self, t: TableRef) -> &mut Table {
        &mut self.tables.items[t.0 as usize]
    }

    /// The hash a table needs for `key` (the string hash for strings, 0 otherwise).
    #[inline]
    pub fn key_hash(&self, key: Value) -> u32 {
        match key {
            Value::Str(s) => self.str_hash_of(s),
            _ => 0,
        }
    }

    /// Raw `t[key]`.
    #[inline]
    pub fn raw_get(&self, t: TableRef, key: Value) -> Value {
        self.table(t).get(key, self.key_hash(key))
    }

    /// Raw `t["name"]` for an interned key.
    #[inline]
    pub fn raw_get_str(&self, t: TableRef, key: StrRef) -> Value {
        self.table(t).get_str(key, self.str_hash_of(key))
    }

    /// Raw `t[key] = val`, keeping the byte count in step with resizes.
    pub fn raw_set(&mut self, t: TableRef, key: Value, val: Value) -> Result<(), super::table::TableError> {
        let h = self.key_hash(key);
        self.set_measured(t, |tab| {
            let resized = tab.set(key, h, val)?;
            if let Value::Str(_) = key {
                // A raw set of a metamethod name invalidates the absent-metamethod cache.
                tab.flags = 0;
            }
            Ok(resized)
        })
    }

    /// Runs a raw set on table `t`; when it resized the table (`Ok(true)`), the byte count follows.
    #[inline]
    fn set_measured(
        &mut self,
        t: TableRef,
        set: impl FnOnce(&mut Table) -> Result<bool, super::table::TableError>,
    ) -> Result<(), super::table::TableError> {
        let tab = &mut self.tables.items[t.0 as usize];
        let before = tab.mem_size();
        if set(tab)? {
            let after = tab.mem_size();
            self.bytes = (self.bytes + after).saturating_sub(before);
        }
        Ok(())
    }

    /// Raw `t[i] = val`.
    pub fn raw_set_int(&mut self, t: TableRef, i: i64, val: Value) -> Result<(), super::table::TableError> {
        self.set_measured(t, |tab| tab.set_int(i, val))
    }

    // ---- functions, upvalues, threads ----

    pub fn new_function(&mut self, f: Function) -> FuncRef {
        self.bytes += FUNC_OVERHEAD
            + match &f {
                Function::Lua(c) => c.upvals.len() * 4,
                Function::Native(c) => c.upvals.len() * 16,
            };
        FuncRef(self.funcs.alloc(f))
    }

    #[inline]
    pub fn func(&self, f: FuncRef) -> &Function {
        &self.funcs.items[f.0 as usize]
    }

    #[inline]
    pub fn func_mut(&mut self, f: FuncRef) -> &mut Function {
        &mut self.funcs.items[f.0 as usize]
    }

    pub fn new_upval(&mut self, u: Upval) -> UpvalRef {
        self.bytes += UPVAL_SIZE;
        UpvalRef(self.upvals.alloc(u))
    }

    #[inline]
    pub fn upval(&self, u: UpvalRef) -> &Upval {
        &self.upvals.items[u.0 as usize]
    }

    #[inline]
    pub fn upval_mut(&mut self, u: UpvalRef) -> &mut Upval {
        &mut self.upvals.items[u.0 as usize]
    }

    pub fn new_thread(&mut self, t: Thread) -> ThreadRef {
        self.bytes += THREAD_OVERHEAD + t.stack.capacity() * 16;
        ThreadRef(self.threads.alloc(t))
    }

    #[inline]
    pub fn thread(&self, t: ThreadRef) -> &Thread {
        &self.threads.items[t.0 as usize]
    }

    #[inline]
    pub fn thread_mut(&mut self, t: ThreadRef) -> &mut Thread {
        &mut self.threads.items[t.0 as usize]
    }

    /// The metatable of a table value (other types' metatables are the VM's business).
    #[inline]
    pub fn metatable(&self, t: TableRef) -> Option<TableRef> {
        self.table(t).metatable
    }

    /// Whether a collection is due.
    #[inline]
    pub fn gc_due(&self) -> bool {
        self.bytes >= self.gc_threshold
    }

    /// Live object counts (strings, tables, functions, upvalues, threads), for tests and INFO.
    pub fn counts(&self) -> [usize; 5] {
        [
            self.strings.live_count(),
            self.tables.live_count(),
            self.funcs.live_count(),
            self.upvals.live_count(),
            self.threads.live_count(),
        ]
    }

    // ---- collection ----

    /// A full mark-and-sweep cycle. `roots` are values the caller keeps (registry, globals, the running thread's
    /// stack, string metatable...); threads, closures, protos and tables reachable from them are traced here.
    /// Open upvalues of the running thread must be passed in `root_upvals`.
    pub fn collect(&mut self, roots: &[Value], root_upvals: &[UpvalRef]) {
        let mut gray: Vec<Value> = Vec::with_capacity(256);
        let mut weak: Vec<(TableRef, bool, bool)> = Vec::new();
        for &s in self.tm_names.iter() {
            self.strings.mark(s.0);
        }
        gray.extend_from_slice(roots);
        for &u in root_upvals {
            self.mark_upval(u, &mut gray);
        }
        let mode = self.tm_name(Tm::Mode);
        while let Some(v) = gray.pop() {
            match v {
                Value::Str(s) => {
                    self.strings.mark(s.0);
                }
                Value::Table(t) => {
                    if !self.tables.mark(t.0) {
                        continue;
                    }
                    let tab = &self.tables.items[t.0 as usize];
                    let (mut wk, mut wv) = (false, false);
                    if let Some(mt) = tab.metatable {
                        gray.push(Value::Table(mt));
                        let m = self.tables.items[mt.0 as usize].get_str(mode, self.str_hash_of(mode));
                        if let Value::Str(ms) = m {
                            let b = self.str(ms);
                            wk = b.contains(&b'k');
                            wv = b.contains(&b'v');
                        }
                    }
                    if wk || wv {
                        weak.push((t, wk, wv));
                    }
                    let tab = &self.tables.items[t.0 as usize];
                    if !wv {
                        gray.extend(tab.array.iter().copied().filter(is_collectable));
                    }
                    for n in tab.nodes.iter() {
                        if n.val.is_nil() {
                            continue;
                        }
                        // Strings are values, never weak.
                        if !wk || matches!(n.key, Value::Str(_)) {
                            gray.push(n.key);
                        }
                        if !wv || matches!(n.val, Value::Str(_)) {
                            gray.push(n.val);
                        }
                    }
                }
                Value::Func(f) => {
                    if !self.funcs.mark(f.0) {
                        continue;
                    }
                    match &self.funcs.items[f.0 as usize] {
                        Function::Lua(c) => {
                            gray.push(Value::Table(c.env));
                            let ups: Vec<UpvalRef> = c.upvals.to_vec();
                            mark_proto(&c.proto, &mut gray);
                            for u in ups {
                                self.mark_upval(u, &mut gray);
                            }
                        }
                        Function::Native(c) => {
                            gray.push(Value::Table(c.env));
                            gray.extend(c.upvals.iter().copied());
                        }
                    }
                }
                Value::Thread(t) => {
                    if !self.threads.mark(t.0) {
                        continue;
                    }
                    let th = &self.threads.items[t.0 as usize];
                    gray.extend(th.stack.iter().copied().filter(is_collectable));
                    gray.push(th.start);
                    for fr in th.frames.iter() {
                        fr.mark(&mut gray);
                    }
                    let ups = th.open_upvals.clone();
                    for u in ups {
                        self.mark_upval(u, &mut gray);
                    }
                }
                Value::Nil | Value::Bool(_) | Value::Num(_) | Value::LightUserData(_) => {}
            }
        }
        // Clear weak entries whose collectable key or value died.
        for (t, wk, wv) in weak {
            let alive = |h: &Heap, v: Value| -> bool {
                match v {
                    Value::Table(x) => h.tables.is_marked(x.0),
                    Value::Func(x) => h.funcs.is_marked(x.0),
                    Value::Thread(x) => h.threads.is_marked(x.0),
                    _ => true,
                }
            };
            let mut clear_array = Vec::new();
            let mut clear_nodes = Vec::new();
            let tab = &self.tables.items[t.0 as usize];
            if wv {
                for (i, v) in tab.array.iter().enumerate() {
                    if !alive(self, *v) {
                        clear_array.push(i);
                    }
                }
            }
            for (i, n) in tab.nodes.iter().enumerate() {
                if n.val.is_nil() {
                    continue;
                }
                if (wk && !alive(self, n.key)) || (wv && !alive(self, n.val)) {
                    clear_nodes.push(i);
                }
            }
            let tab = &mut self.tables.items[t.0 as usize];
            for i in clear_array {
                tab.array[i] = Value::Nil;
            }
            for i in clear_nodes {
                tab.nodes[i].val = Value::Nil;
            }
        }
        self.sweep();
        self.cycles += 1;
        self.gc_threshold = (self.bytes / 100).saturating_mul(self.gc_pause).max(GC_MIN_THRESHOLD);
    }

    fn mark_upval(&mut self, u: UpvalRef, gray: &mut Vec<Value>) {
        if !self.upvals.mark(u.0) {
            return;
        }
        match self.upvals.items[u.0 as usize] {
            Upval::Closed(v) => gray.push(v),
            Upval::Open { thread, .. } => gray.push(Value::Thread(thread)),
        }
    }

    fn sweep(&mut self) {
        let mut freed = 0usize;
        let mut strings_freed = false;
        for i in 0..self.strings.items.len() {
            if self.strings.live[i] && !self.strings.marks[i] {
                freed += STR_OVERHEAD + self.strings.items[i].bytes.len();
                self.strings.items[i] = LStr { bytes: Box::new([]), hash: 0 };
                self.strings.live[i] = false;
                self.strings.free.push(i as u32);
                strings_freed = true;
            }
            self.strings.marks[i] = false;
        }
        for i in 0..self.tables.items.len() {
            if self.tables.live[i] && !self.tables.marks[i] {
                freed += self.tables.items[i].mem_size();
                self.tables.items[i] = Table::default();
                self.tables.live[i] = false;
                self.tables.free.push(i as u32);
            } else if self.tables.live[i] {
                // Removed entries whose keys are collectable become dead keys (see table.rs).
                for n in self.tables.items[i].nodes.iter_mut() {
                    if n.val.is_nil() && is_collectable(&n.key) {
                        n.dead = true;
                    }
                }
            }
            self.tables.marks[i] = false;
        }
        for i in 0..self.funcs.items.len() {
            if self.funcs.live[i] && !self.funcs.marks[i] {
                freed += FUNC_OVERHEAD;
                self.funcs.items[i] = Function::Native(NativeClosure {
                    f: dead_function,
                    name: "?",
                    upvals: Box::new([]),
                    env: TableRef(0),
                });
                self.funcs.live[i] = false;
                self.funcs.free.push(i as u32);
            }
            self.funcs.marks[i] = false;
        }
        for i in 0..self.upvals.items.len() {
            if self.upvals.live[i] && !self.upvals.marks[i] {
                freed += UPVAL_SIZE;
                self.upvals.items[i] = Upval::Closed(Value::Nil);
                self.upvals.live[i] = false;
                self.upvals.free.push(i as u32);
            }
            self.upvals.marks[i] = false;
        }
        for i in 0..self.threads.items.len() {
            if self.threads.live[i] && !self.threads.marks[i] {
                freed += THREAD_OVERHEAD + self.threads.items[i].stack.capacity() * 16;
                let th = &mut self.threads.items[i];
                th.stack = Vec::new();
                th.frames = Vec::new();
                th.open_upvals = Vec::new();
                th.status = ThreadStatus::Dead;
                th.start = Value::Nil;
                self.threads.live[i] = false;
                self.threads.free.push(i as u32);
            }
            self.threads.marks[i] = false;
        }
        self.bytes = self.bytes.saturating_sub(freed);
        if strings_freed {
            let want = (self.strings.live_count() * 4).max(256);
            self.rebuild_intern(want);
        }
    }
}

#[inline]
fn is_collectable(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::Table(_) | Value::Func(_) | Value::Thread(_))
}

fn mark_proto(p: &Proto, gray: &mut Vec<Value>) {
    gray.extend(p.constants.iter().copied().filter(is_collectable));
    for lv in &p.loc_vars {
        gray.push(Value::Str(lv.name));
    }
    for n in &p.upvalue_names {
        gray.push(Value::Str(*n));
    }
    for sub in &p.protos {
        mark_proto(sub, gray);
    }
}

/// What a freed function slot holds; calling it is a bug, reported as a Lua error rather than a crash.
fn dead_function(l: &mut super::Lua, _host: &mut dyn std::any::Any) -> Result<usize, super::value::LuaError> {
    Err(l.runtime_error("attempt to call a collected function"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_interned() {
        let mut h = Heap::new();
        let a = h.intern(b"hello");
        let b = h.intern_vec(b"hello".to_vec());
        assert_eq!(a, b);
        assert_ne!(a, h.intern(b"world"));
        assert_eq!(h.str(a), b"hello");
        for i in 0..10_000 {
            h.intern(format!("k{i}").as_bytes());
        }
        assert_eq!(h.intern(b"k1234"), h.intern(b"k1234"));
    }

    #[test]
    #[allow(clippy::identity_op)]
    fn lua_string_hash() {
        // Values computed with Lua 5.1's luaS_hash.
        assert_eq!(str_hash(b""), 0);
        assert_eq!(str_hash(b"a"), 1 ^ ((1 << 5) + (1 >> 2) + 97));
    }

    #[test]
    fn collect_frees_unreachable_and_keeps_reachable() {
        let mut h = Heap::new();
        let root = h.new_table(0, 0);
        let kept = h.intern(b"kept");
        let child = h.new_table(0, 0);
        h.raw_set(root, Value::Str(kept), Value::Table(child)).unwrap();
        // A cycle that nothing references.
        let a = h.new_table(0, 0);
        let b = h.new_table(0, 0);
        h.raw_set(a, Value::Num(1.0), Value::Table(b)).unwrap();
        h.raw_set(b, Value::Num(1.0), Value::Table(a)).unwrap();
        let garbage = h.intern(b"garbage");
        let _ = garbage;
        h.collect(&[Value::Table(root)], &[]);
        assert_eq!(h.counts()[1], 2);
        assert!(matches!(h.raw_get_str(root, kept), Value::Table(c) if c == child));
        // The freed string can be interned again and is a different object now or the same index, but equal.
        let g2 = h.intern(b"garbage");
        assert_eq!(h.str(g2), b"garbage");
    }

    #[test]
    fn weak_values_are_cleared() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        let mt = h.new_table(0, 0);
        let mode = h.tm_name(Tm::Mode);
        let v = h.intern(b"v");
        h.raw_set(mt, Value::Str(mode), Value::Str(v)).unwrap();
        h.table_mut(t).metatable = Some(mt);
        let other = h.new_table(0, 0);
        h.raw_set(t, Value::Num(1.0), Value::Table(other)).unwrap();
        h.raw_set(t, Value::Num(2.0), Value::Str(v)).unwrap();
        h.collect(&[Value::Table(t)], &[]);
        assert!(h.raw_get(t, Value::Num(1.0)).is_nil());
        assert!(matches!(h.raw_get(t, Value::Num(2.0)), Value::Str(_)));
    }
}
