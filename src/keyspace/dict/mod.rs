//! The keyspace hash table: open addressing with linear probing, backward-shift deletion and Redis-style
//! incremental rehashing. It also backs the hash and set types.
//!
//! # Layout
//!
//! ```text
//!   t[0] (the table; the OLD one while rehashing)      t[1] (only while rehashing: the new table)
//!  +------+------+------+------+------+------+        +------+------+------+------+ ... +------+
//!  | None | None |  E   |  E   | None |  E   | slots  |  E   | None |  E   | None |     |  E   |
//!  +------+------+------+------+------+------+        +------+------+------+------+ ... +------+
//!  |  00  |  00  |  9c  |  f1  |  00  |  83  | ctrl   |  a5  |  00  |  c0  |  00  |     |  8e  |
//!  +------+------+------+------+------+------+        +------+------+------+------+ ... +------+
//!   ^ slots below rehash_idx are empty                 inserts go here while rehashing
//!  each slot is an Option<E>; for the keyspace E is a thin pointer, so a slot is 8 bytes (+1 control byte).
//! ```
//!
//! # Design and why
//!
//! * **Slots hold the entry itself** (a thin owned pointer for the keyspace), no stored hash: 8 bytes per slot is
//!   what makes the memory target (≤ 64 bytes per small key including the entry) reachable. Beside the slots, one
//!   **control byte** per slot (0 = empty, else 7 hash bits with the top bit set) lets probes skip non-matching
//!   elements without dereferencing them: a miss (including the absence check of every new key's insert) touches
//!   only the control bytes, a hit usually dereferences exactly one element. Cost: 1 byte per slot.
//! * **Home slot = `floor(hash * size / 2^64)`** (multiply-shift, Lemire's "fastrange"): monotonic in the hash,
//!   so slot `i` is home to a fixed interval of the 64-bit hash space for a given size, whatever the size is. A
//!   SCAN therefore walks the hash space upwards, and its cursor says where to resume: every hash below it has
//!   been covered, whatever the table sizes were or become (see "SCAN cursors"). The price of monotonic homes is
//!   the insertion-order hazard below.
//! * **Sizes `2^k` and `3·2^(k-1)`** (4, 6, 8, 12, 16, 24, ...): growth alternates ×1.5 and ×4/3 rather than ×2,
//!   so a table is between 1/2 and 3/4 full after it settles instead of between 3/8 and 3/4. One million keys
//!   take 1.5·2^20 slots rather than 2^21 (14.2 bytes/key instead of 18.9). The price is more frequent (smaller)
//!   incremental rehashes while a table grows: about 1.7× the element moves of doubling over a growth from empty.
//! * **Linear probing with backward-shift deletion** (no tombstones), so lookups stop at the first empty slot and
//!   the table never degrades under churn.
//! * **Incremental rehash** as in Redis: during a resize both tables exist; lookups/deletes check both, inserts go to
//!   the new one; each step moves the old table's elements in slot order from `rehash_idx`, whole *runs* (maximal
//!   sequences of occupied slots) where it can. The slots below `rehash_idx` are empty, and the old table's probes
//!   count them as occupied: a probe whose home is below `rehash_idx` starts there, and one that wraps round the end
//!   jumps to it ([`Table::probe_from`](crate::keyspace::dict::table::Table::probe_from)). So a step may stop inside a
//!   run without breaking the probe path of the run's rest, and its length is bounded whatever the runs are: at least
//!   `n` entries, then on to the end of the run but at most `STEP_RUN_MAX` more, or at most `n * 10` empty slots
//!   (`dictRehash`'s bound). Steps happen on every mutable access and in the cron ([`Dict::rehash_for_us`]). Deleting
//!   from the old table still backward-shifts, over the same cycle `rehash_idx..size`
//!   ([`Table::take_at`](crate::keyspace::dict::table::Table::take_at)), so a shift never moves an element below
//!   `rehash_idx`, which keeps the "empty below `rehash_idx`" invariant. A growing collection's big table is the
//!   exception to "inserts go to the new one": a new member whose home and slot in the old table lie ahead of
//!   `rehash_idx` (without wrapping) goes there, onto pages already touched, and moves with the rest
//!   ([`Dict::old_slot_for_new`](crate::keyspace::dict::Dict::old_slot_for_new)). While rehashing, the new table must
//!   have room for the elements still in the old one too, so fill checks use the total count, and an insert's step
//!   keeps pace ([`Dict::insert_step`](crate::keyspace::dict::Dict::insert_step)): when one entry per insert would let
//!   the new table fill before the old one drains (a burst of inserts right after a shrink), each insert moves its
//!   share of what is left. Should the new table still pass 7/8 (only if inserts outrun even that, as in bulk paths
//!   that skip the steps), the migration is finished at once and the table then grows normally.
//! * **Load factors**: grow to the next size when an insert would take the fill above 3/4; shrink when below 1/10 (the
//!   keyspace's tables from the cron, [`Dict::resize_if_needed`]; a set's, hash's or sorted set's right after a
//!   removal, [`Dict::shrink_if_sparse`], as Redis does after SREM/HDEL/ZREM). While a forked child shares our pages
//!   resizing is not allowed ([`Dict::set_resize_allowed`]), except that a fill above 7/8 forces growth: a
//!   linear-probing table must keep free slots, and at 7/8 probe lengths get long.
//! * **Random sampling**: every element occupies exactly one slot, so picking uniformly random slots until one is
//!   occupied is exactly fair (`RANDOMKEY`, eviction); a bounded number of attempts, then a linear fallback.
//! * **Hash**: a keyed wyhash-style function (64×64→128 multiply-fold) with a seed per dict, derived from a random
//!   per-process seed, so clients cannot precompute colliding keys (HashDoS; Redis uses SipHash for the same
//!   reason) and no two dicts share a hash order (next section).
//!
//! * **Memory**: 1M keys live in 1.5·2^20 slots (9 bytes each: 14.2 bytes/key) plus one packed 32-byte entry
//!   from the slab allocator ([`slab`]) = about 47 bytes/key of RSS (`make bench`, memory rows), against ~116 for
//!   Redis 7.0.
//!
//! # Insertion order
//!
//! Linear probing with a home slot that is monotonic in the hash has one pathological input: keys inserted in
//! the order of *another table with the same hash function*. Walking a big table visits its keys in increasing
//! hash order; inserted in that order into a small table that grows as it fills, they all land at the start of
//! each new size, the free space is all after them, and every insert walks one run as long as the table's
//! current contents: quadratic. (This is what Rust's standard library and hashbrown met when one map was
//! iterated into another, rust-lang/rust#36481; a per-process seed does not help, since both tables share it.)
//! Ordinary commands produce such orders: MOVE/COPY/RESTORE of keys in SCAN order, SUNIONSTORE / SINTERSTORE /
//! ZUNIONSTORE / SORT .. STORE, COPY of a big hash or set, an AOF rewritten from one table and replayed into
//! another, a client writing back what SCAN listed. The defence is in the table, not in its callers:
//!
//! * **A seed per dict** ([`fresh_seed`]): every dict gets its own seed when created and a new one whenever it
//!   becomes empty (last delete, clear, drain, FLUSHALL/SWAPDB-then-reload), so the order of any other table
//!   (another database, a collection's copy, this table's own past contents) is random for this one. That alone
//!   removes the hazard for everything except an order derived from this dict's *current* seed.
//! * **A probe guard** ([`Dict::probe_work`]): inserts add their displacement (slots walked past home) to a
//!   counter; every 64 inserts (at once after one that walked ≥ 128 slots) the window's displacement is compared
//!   with twice what random hashes give at the table's fill (Knuth's unsuccessful-search cost) plus an allowance
//!   per rehash placement; the excess accumulates, and when it passes the table's length (plus a constant slack)
//!   the table is rebuilt under a new seed. The excess work is thus bounded by the rebuild's cost, so
//!   the amortised cost per insert stays a constant whatever the order; random orders never trigger it (tested).
//!   The one order left is one computed from this dict's own seed (a client cannot see it; the tests build it).
//! * **Shrinks**: a dict whose remaining keys are in its own hash order (after deleting every other key in SCAN
//!   order, say) is clustered if shrunk under the same seed; [`Dict::resize_if_needed`] simulates the placement
//!   from the control bytes first (a big table's a slice per call, `CLUSTER_CHECK_SLICE`) and rebuilds under a
//!   new seed if it would cluster.
//! * **A rebuild is a migration** ([`Dict::start_reseed`](crate::keyspace::dict::Dict::start_reseed)): the new table is
//!   the rehash target under the new seed, the old one keeps its seed (`t0_seed`) until drained, and the same bounded
//!   steps move the elements; meanwhile a lookup hashes its key under both seeds. No step of it is longer than a
//!   resize's (a guard that fires while a growth migrates waits for it, with bigger steps meanwhile:
//!   `PENDING_RESEED_STEP`).
//! * **SCAN across a rebuild**: a rebuild under a new seed on a non-empty dict reorders it. Cursors carry a
//!   5-bit tag that a rebuild changes. During the migration a scan walks the old table in its hash order (the
//!   tag from before, so a scan begun earlier goes on), then the new table in its own from the start (the new
//!   tag); elements only move from old to new, so none is missed and none comes back more than twice. A cursor
//!   whose tag is stale (the migration ended during the old table's walk) restarts the scan from 0.
//!
//! Other hash maps in the server do not share the hazard: Lua tables use Lua 5.1's chained scheme, and the
//! pub/sub, blocking and client registries use std's `HashMap`, which seeds each map separately.
//!
//! # SCAN cursors
//!
//! A cursor is the hash to resume at, written as Redis writes its own: bit-reversed. The resume point `hi` of a
//! step is the end of the current (smaller, while rehashing) table's bucket, rounded up to a multiple of
//! `2^(64 - b)`, where `2^b` is the smallest power of two at or above that table's size; reversed, such a value
//! is below `2^b`. So cursors are bounded by the table's size (4/3 of it for the `3·2^(k-1)` sizes), like
//! Redis's reverse-binary bucket indexes, and they survive a client that keeps them in a double (JavaScript) or
//! a signed 64-bit integer:
//!
//! ```text
//!   bit  63 ............ 53 52 ...... 48 47 ........................................ 0
//!       | ignored (Redis too)|  tag (5)  |  reverse_bits(hi): below 2^b, b = ceil(log2(table size)) |
//! ```
//!
//! * A step covers the hashes in `[lo, hi)` in both tables and returns each element there once, so an element
//!   present for the whole scan is returned exactly once, through any number of resizes and rehash steps (Redis
//!   may return one twice after a shrink); the grid only decides where steps end, never what they skip.
//! * Any cursor decodes to a position (the bits reversed), so one that was never handed out still gets a scan
//!   that ends, as in Redis. The tag (0 until the dict is first rebuilt under a new seed, then 1..=31, and 0
//!   again once the dict empties) is the one exception: a cursor whose tag is not the dict's restarts from 0.
//!
//! # Invariants
//! * Every table's size is `2^k` or `3·2^(k-1)`, ≥ [`MIN_SIZE`] (or 0 when unallocated), and has at least one
//!   empty slot.
//! * An element at slot `p` with home `h` has all slots `h..=p` (cyclically) occupied.
//! * `ctrl[i] == 0` exactly when slot `i` is empty, else `ctrl[i] == tag(hash(key))` of its element.
//! * While rehashing, slots of `t[0]` below `rehash_idx` are empty and count as occupied for its probe paths
//!   (the path of an element of `t[0]` runs from `max(home, rehash_idx)`, on the cycle `rehash_idx..size`), and
//!   a key is in at most one table. `t[0]`'s hashes are under `t0_seed`, `t[1]`'s under `seed`.
//!
//! # Tests
//! Unit tests below, property tests against a `BTreeMap` model with rehash steps / resizes interleaved
//! (`tests` module: random operation sequences; SCAN completeness under concurrent inserts, deletes and resizes;
//! sampling fairness), and the keyspace benchmarks in `benches/dict.rs`.

use crate::alloc::slab;

use std::sync::OnceLock;

mod hash;
mod movelog;
mod scan;
mod shrink;
mod table;
pub use hash::hash_with;
pub use movelog::{MoveLog, Moved};
use scan::MAX_SCAN_TAG;
use shrink::ClusterCheck;
use table::{migrate, prefetching, Table};

/// What a dict stores: anything that can show its key.
pub trait DictEntry {
    fn key(&self) -> &[u8];

    /// Hints the CPU to load what [`DictEntry::key`] will read (entries behind a pointer); a no-op by default.
    #[inline]
    fn prefetch(&self) {}

    /// `Some` when an all-zero `Option<Self>` is `None` (see [`ZeroIsNone`]): the table's slot array is then
    /// allocated zeroed, which for a big table costs no time at all (fresh pages from the kernel, touched as they
    /// are used) where writing `None` into every slot of a 16M-slot array holds the loop for tens of milliseconds.
    /// Every entry type of the server says `Some(ZeroIsNone::checked::<Self>())`.
    const ZERO_IS_NONE: Option<ZeroIsNone> = None;

    /// What a [`MoveLog`] records of a moved element beside its two hashes: the group a companion index files it
    /// under (the keyspace's entries: their cluster hash slot). 0 by default.
    #[inline]
    fn group(&self) -> u16 {
        0
    }

    /// Whether, while a big table grows, a new element may go into the old table instead of the new one (see
    /// [`Dict::old_slot_for_new`](crate::keyspace::dict::Dict::old_slot_for_new)). For entry types whose inserts each
    /// advance the migration by a batch (the collections' members,
    /// [`keyspace::types::REHASH_BOOST`](crate::keyspace::types::REHASH_BOOST)), so the old table still drains quickly.
    const INSERT_INTO_OLD_TABLE: bool = false;
}

/// Proof that all-zero bytes are `None` for `Option<E>`: [`ZeroIsNone::checked`] makes one only for types where
/// the compiler finds that so while it builds. For a `#[repr(transparent)]` wrapper of a `NonNull` or `Box` Rust
/// guarantees it (the null-pointer optimisation); for an enum with inline data it holds when the variants'
/// discriminants start at 1 (`#[repr(u8)]`, `= 1`, `= 2`), since rustc then puts `Option`'s `None` in the free
/// tag value 0. That placement is rustc's choice, not a language rule: the check is what makes it safe to rely on,
/// and a compiler that chose otherwise would stop the build rather than break the tables.
pub struct ZeroIsNone(());

impl ZeroIsNone {
    /// The proof for `E`, checked when the program is compiled (a `const` block: a type for which it fails does
    /// not build).
    ///
    /// ```
    /// use ferredis::keyspace::dict::ZeroIsNone;
    /// #[repr(u8)]
    /// enum Member { Inline { len: u8, data: [u8; 22] } = 1, Heap(Box<[u8]>) = 2 }
    /// const OK: ZeroIsNone = ZeroIsNone::checked::<Member>();
    /// ```
    ///
    /// Without the tags from 1, all-zero bytes are an empty inline member, and the build stops:
    ///
    /// ```compile_fail,E0080
    /// use ferredis::keyspace::dict::ZeroIsNone;
    /// enum Member { Inline { len: u8, data: [u8; 22] }, Heap(Box<[u8]>) }
    /// const NO: ZeroIsNone = ZeroIsNone::checked::<Member>();
    /// ```
    pub const fn checked<E>() -> ZeroIsNone {
        const { assert!(zeroed_option_is_none::<E>(), "all-zero bytes are not None for this Option<entry>") };
        ZeroIsNone(())
    }
}

/// Whether an all-zero `Option<E>` is `None`. Only ever evaluated by the compiler (from the `const` block of
/// [`ZeroIsNone::checked`]), never at run time.
const fn zeroed_option_is_none<E>() -> bool {
    if std::mem::size_of::<Option<E>>() == 0 {
        return false;
    }
    let z = std::mem::MaybeUninit::<Option<E>>::zeroed();
    // SAFETY: this runs in const evaluation only (see above), where reading the discriminant of bytes that are not
    // a valid `Option<E>` is reported by the compiler as an error, not executed; when the bytes are valid, this
    // only reads which variant they are.
    unsafe { z.assume_init_ref() }.is_none()
}

/// A dropped table with at least this many elements frees them in one [`slab::FreeBatch`].
const BATCH_FREE_MIN: usize = 1 << 14;

/// Smallest allocated table.
pub const MIN_SIZE: usize = 4;

/// A growing table's new slot array of at least this many bytes takes new elements into the old table where it
/// can ([`Dict::old_slot_for_new`]): about 256 fresh pages, a millisecond of page faults if a burst of inserts
/// touched them all at random. Small in unit tests, so the model tests reach the path with small tables.
const OLD_TABLE_INSERTS_MIN: usize = if cfg!(test) { 256 } else { 1 << 20 };

/// Slots past `rehash_idx` whose entries a rehash step prefetches for the next step.
const REHASH_PREFETCH: usize = 4;

/// Entries a rehash step moves beyond the `n` it was asked for to finish the run it is in (see
/// [`Dict::rehash_step`]): a few microseconds. Runs at the fills tables keep are a few entries long; only a
/// clustered table's are longer.
const STEP_RUN_MAX: usize = 256;

/// Entries each insert's rehash step moves while the probe guard waits for a growth migration to finish before its
/// rebuild under a new seed (see [`Dict::insert_step`](crate::keyspace::dict::Dict::insert_step)): the clustered table
/// is left sooner, at a few microseconds per insert.
const PENDING_RESEED_STEP: usize = 64;

thread_local! {
    /// `maxmemory` as this thread's tables see it (0 = no limit): a table between 3/4 and 7/8 full does not grow
    /// when the new array would take `used_memory` past it. Set through [`set_growth_limit`] by the server thread
    /// whenever `maxmemory` changes ([`state::evict::before_sleep`], before the loop sleeps); read when a table is
    /// about to grow. Thread-local: the keyspace lives on that thread, a table has no way to the configuration,
    /// and unit tests on other threads stay unaffected.
    static GROWTH_LIMIT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Set while this thread loads a file: a table that starts growing is migrated at once, in one prefetching
    /// pass, instead of a step per write (nobody waits on single commands then, and one pass overlaps the cache
    /// misses of many entries; incremental steps pay them one by one). Set and cleared through [`set_bulk_load`]
    /// by [`Server::begin_loading`] and [`Server::end_loading`]; read when a table starts growing.
    static BULK_LOAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Whether collections' dicts may shrink after removals: false while a forked child shares our pages (Redis's
    /// global `dict_can_resize`; the keyspace's own tables follow [`Dict::set_resize_allowed`]). Set through
    /// [`set_collections_resize_allowed`] by [`ServerState::set_child`] whenever a child starts or ends (and by a
    /// unit test of [`keyspace::types::set`]); read by a collection's dict after removals. Thread-local for the
    /// reasons [`GROWTH_LIMIT`] is: a collection's dict knows nothing of the server.
    static COLLECTIONS_RESIZE: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// See `COLLECTIONS_RESIZE`.
pub fn set_collections_resize_allowed(allowed: bool) {
    COLLECTIONS_RESIZE.with(|b| b.set(allowed));
}

/// See `BULK_LOAD`.
pub fn set_bulk_load(on: bool) {
    BULK_LOAD.with(|b| b.set(on));
}

/// Sets the memory limit table growth respects (see `GROWTH_LIMIT`).
pub fn set_growth_limit(maxmemory: u64) {
    GROWTH_LIMIT.with(|l| l.set(maxmemory));
}

/// Table sizes are `2^k` and `3 * 2^(k-1)` (4, 6, 8, 12, 16, 24, ...): growth alternates ×1.5 and ×4/3, so the
/// fill stays between about 1/2 and 3/4 instead of 3/8 and 3/4 with doubling. The home-slot mapping
/// (multiply-shift) works for any size; these two families keep sizes easy to compute and to check.
fn is_valid_size(n: usize) -> bool {
    n >= MIN_SIZE && (n.is_power_of_two() || (n % 3 == 0 && (n / 3).is_power_of_two()))
}

/// The smallest valid table size that is at least `n`.
fn size_for(n: usize) -> usize {
    let n = n.max(MIN_SIZE);
    let p = n.next_power_of_two();
    let three_quarters = p / 4 * 3;
    if p >= 8 && three_quarters >= n {
        three_quarters
    } else {
        p
    }
}

/// The next valid size above `size` (`size` valid).
fn grown_size(size: usize) -> usize {
    if size.is_power_of_two() {
        size / 2 * 3
    } else {
        size / 3 * 4
    }
}

const _: () = assert!(MIN_SIZE.is_power_of_two() && MIN_SIZE >= 4);

/// Where an element sits; valid until the next mutation of the dict (then [`Dict::at`] may return another element
/// or `None`, never anything unsafe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    table: u8,
    idx: usize,
}

/// Slots ahead of the current one whose entry [`Dict::iter`] prefetches.
const ITER_PREFETCH: usize = 12;

/// Elements between hashing one and placing it in [`migrate`].
const MIGRATE_LAG: usize = 8;

/// Buckets of [`TableStats::probe_hist`]: probe lengths 1..=48 each, the last one for 49 and more (Redis's
/// `DICT_STATS_VECTLEN`).
pub const STATS_BUCKETS: usize = 50;

/// One table's figures from [`Dict::stats`].
#[derive(Clone, Debug)]
pub struct TableStats {
    pub size: usize,
    pub used: usize,
    /// Next slot of the old table to migrate, while rehashing.
    pub rehash_idx: Option<usize>,
    /// `[0]`: empty slots; `[k]`: elements found after k probes (k = 1: in their home slot).
    pub probe_hist: [u64; STATS_BUCKETS],
    pub max_probe: usize,
    pub total_probe: u64,
}

/// A key's hash under the seed a dict had when [`Dict::hash_ahead`] (or [`Dict::find_hashed`]) took it.
#[derive(Clone, Copy, Debug)]
pub struct HashedKey {
    seed: u64,
    hash: u64,
}

impl HashedKey {
    /// The seed: `hash == hash_with(seed, key)`.
    #[inline]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    #[inline]
    pub fn hash(&self) -> u64 {
        self.hash
    }
}

/// A hash table of entries keyed by their own key bytes. See the module documentation.
pub struct Dict<E: DictEntry> {
    t: [Table<E>; 2],
    rehashing: bool,
    /// Next slot of `t[0]` to migrate while rehashing.
    rehash_idx: usize,
    resize_allowed: bool,
    /// This dict's own hash seed (see "Insertion order" in the module documentation): chosen when the dict is
    /// created, again whenever it becomes empty, and when a rebuild under a new seed begins (the probe guard's, a
    /// clustering shrink's). New elements and the rehash target `t[1]` are hashed with it.
    seed: u64,
    /// The seed `t[0]`'s elements were placed under: `seed`, except while a rebuild under a new seed migrates
    /// them (a reseeding migration, [`Dict::start_reseed`]), when lookups hash a key under both.
    t0_seed: u64,
    /// The probe guard asked for a rebuild while a growth migration ran; it starts once that one is done.
    reseed_pending: bool,
    /// The tag every SCAN cursor this dict hands out carries (see "SCAN cursors" in the module documentation): 0
    /// until a rebuild under a new seed reorders a non-empty dict, which moves it to the next of 1..=31, so a
    /// cursor from before the rebuild is recognised (during the migration it goes on over the old table; after,
    /// its scan restarts from the beginning: elements are returned again, none is missed). Back to 0 when the
    /// dict empties (no element of an older scan is left).
    scan_tag: u8,
    /// While a reseeding migration runs: the tag of the cursors that walk `t[0]` under `t0_seed`, the one the dict had
    /// before (a scan begun before the migration goes on where it was; see
    /// [`Dict::scan_count`](crate::keyspace::dict::Dict::scan_count)).
    scan_old_tag: u8,
    guard: ProbeGuard,
    work: ProbeWork,
    /// Bumped whenever elements may change places other than by their own insert or removal (a table replaced,
    /// a resize begun or finished, a rebuild): a [`Dict::walk_mut`] over several calls restarts when it changed.
    layout: u64,
    /// The moves of a rebuild under a new seed, for a companion index (off unless [`Dict::log_moves`] turned it
    /// on; see [`MoveLog`]).
    log: MoveLog,
    /// A big table's clustering check in progress (see [`Dict::shrink_to`]); boxed, as few dicts ever have one.
    cluster_check: Option<Box<ClusterCheck>>,
}

/// The probe-length guard's state (see "Insertion order" in the module documentation).
#[derive(Clone, Copy, Default, Debug)]
struct ProbeGuard {
    /// New-key inserts in the current window.
    inserts: u32,
    /// [`ProbeWork::displacement`] when the window began (the window's displacement: inserts' and placements').
    disp_base: u64,
    /// [`ProbeWork::inserts`] when the window began.
    inserts_base: u64,
    /// [`ProbeWork::moves`] when the window began.
    moves_base: u64,
    /// Window displacement past which the window is checked at once: [`GUARD_WINDOW_DISP`], or the table's length
    /// when that is smaller (at least [`GUARD_WINDOW`]), set when the window begins.
    disp_limit: u64,
    /// Displacement beyond the allowance, accumulated over windows (never below 0): the probing work the table's
    /// clustering has cost so far. A rebuild under a new seed is due when it exceeds what the rebuild costs.
    wasted: u64,
}

/// Inserts per guard window: the allowance is computed once per window, so the per-insert cost is two additions
/// and a comparison.
const GUARD_WINDOW: u32 = 64;

/// A single insert displaced at least this far checks its window at once, so a long run costs at most one
/// window's worth of inserts before the guard looks at it.
const GUARD_LONG: usize = 128;

/// A window whose displacement passes this is checked at once too (random inserts at the 3/4 fill limit average
/// about 8.5 slots, 550 a window, so they stay under it): in a small table a clustered run can displace
/// every insert by a little under [`GUARD_LONG`], and a whole window of those (8,000 slots) would otherwise be
/// more than the table's entire budget (found by the `adversarial_orders_keep_inserts_cheap` property test).
/// A table shorter than this checks once a window has walked its length ([`ProbeGuard::disp_limit`]), for the
/// same reason at its scale.
const GUARD_WINDOW_DISP: u64 = 1024;

/// Wasted displacement tolerated beyond the table's length before the guard rebuilds (a table shorter than this
/// tolerates its length: its rebuild is as cheap as its slack would be).
const GUARD_SLACK: u64 = 1024;

/// Counters of the probing work a dict has done, for tests, benchmarks and DEBUG HTSTATS-like reporting.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct ProbeWork {
    /// New keys inserted.
    pub inserts: u64,
    /// Slots walked past the home slot by those inserts and by rehash and rebuild placements.
    pub displacement: u64,
    /// Elements moved by rehashing (growth, shrinking) and by guard rebuilds.
    pub moves: u64,
    /// Guard rebuilds under a new seed.
    pub rebuilds: u64,
    /// Migrations an insert had to finish at once because the new table filled up before the old one drained
    /// (a pause of the whole migration's length; bulk loads, which finish at once on purpose, not counted).
    pub finished_at_once: u64,
}

impl<E: DictEntry> Default for Dict<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// A new hash seed, for a dict being created or emptied (see "Insertion order" in the module documentation):
/// SplitMix64 over a per-thread counter that starts at a random point, so every dict gets a distinct,
/// well-mixed seed for the price of a few arithmetic instructions, and no two dicts share a hash order.
pub fn fresh_seed() -> u64 {
    let mut z = SEED_STATE.with(|c| {
        let v = c.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        c.set(v);
        v
    });
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

thread_local! {
    /// [`fresh_seed`]'s counter, stepped only there, by every dict created or emptied on this thread. A private
    /// generator, per thread so that making a dict takes no lock.
    static SEED_STATE: std::cell::Cell<u64> = std::cell::Cell::new(process_seed());
}

/// Restarts this thread's [`fresh_seed`] counter at `from`, so that a test's rebuilds take the same seeds on every
/// run.
#[cfg(test)]
pub(crate) fn restart_fresh_seeds(from: u64) {
    SEED_STATE.with(|c| c.set(from));
}

/// The random per-process hash seed.
pub fn process_seed() -> u64 {
    /// The seed, drawn by the first call in the process (any thread) and read-only after.
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        // std's RandomState is seeded from the OS's randomness once per process.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(crate::util::now_us() as u64);
        h.finish()
    })
}

/// Mean displacement the guard allows per insert into a table of `size` slots with `free` of them empty: twice
/// what linear probing with random hashes gives, `((size/free)^2 - 1) / 2` (Knuth's unsuccessful search),
/// plus 2. Inserts in an order that clusters the table walk runs far longer than that.
#[inline]
fn allowed_displacement(size: usize, free: usize) -> f64 {
    let r = size as f64 / free as f64;
    r * r + 1.0
}

/// Displacement the guard allows per element a rehash moves: a growth step places the old table's elements in
/// hash order into a table at most 9/16 full in the part filled so far, about 2 slots on average with random
/// hashes; a clustered table's placements walk its runs.
const MOVE_ALLOWANCE: u64 = 5;

/// The control byte of an element: 7 low hash bits (independent of the home slot, which uses the top bits) with
/// the high bit set so that it is never 0 (empty).
#[inline(always)]
fn tag(h: u64) -> u8 {
    0x80 | (h as u8 & 0x7f)
}

impl<E: DictEntry> Dict<E> {
    /// An empty dict with a hash seed of its own ([`fresh_seed`]).
    pub fn new() -> Self {
        Dict::with_seed(fresh_seed())
    }

    /// A dict with a chosen hash seed (tests and benchmarks want reproducible layouts). The seed still changes
    /// when the dict is emptied or rebuilt by the probe guard.
    pub fn with_seed(seed: u64) -> Self {
        Dict {
            t: [Table::empty(), Table::empty()],
            rehashing: false,
            rehash_idx: 0,
            resize_allowed: true,
            seed,
            t0_seed: seed,
            reseed_pending: false,
            scan_tag: 0,
            scan_old_tag: 0,
            guard: ProbeGuard { disp_limit: GUARD_WINDOW as u64, ..ProbeGuard::default() },
            work: ProbeWork::default(),
            layout: 0,
            log: MoveLog::default(),
            cluster_check: None,
        }
    }

    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        hash_with(self.seed, key)
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.t[0].used + self.t[1].used
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots in the table(s) (for `DEBUG HTSTATS`-like reporting).
    pub fn capacity(&self) -> usize {
        self.t[0].size() + self.t[1].size()
    }

    #[inline]
    fn locate(&self, key: &[u8]) -> Option<Pos> {
        self.locate_at(self.hash(key), key)
    }

    #[inline]
    fn locate_at(&self, h: u64, key: &[u8]) -> Option<Pos> {
        if !self.rehashing {
            return self.t[0].find(h, key).map(|i| Pos { table: 0, idx: i });
        }
        self.locate_rehashing(h, key)
    }

    /// [`Dict::locate_at`] while a migration runs: a call of its own, so that the lookup path of a table that is
    /// not rehashing stays small enough to be inlined into its callers.
    #[inline(never)]
    fn locate_rehashing(&self, h: u64, key: &[u8]) -> Option<Pos> {
        if self.t[0].used != 0 {
            if let Ok(i) = self.probe_old(h, key) {
                return Some(Pos { table: 0, idx: i });
            }
        }
        self.t[1].find(h, key).map(|i| Pos { table: 1, idx: i })
    }

    /// Probes the old table of a migration (`rehashing`) for `key`, whose hash under `seed` is `h`: the first
    /// empty slot of its path on `Err` (`Err(size)`: none; see [`Table::probe_from`]). A reseeding migration
    /// hashes the key again under the old table's seed.
    #[inline]
    fn probe_old(&self, h: u64, key: &[u8]) -> Result<usize, usize> {
        let h0 = if self.t0_seed == self.seed { h } else { hash_with(self.t0_seed, key) };
        self.t[0].probe_from(h0, key, self.rehash_idx)
    }

    /// The seed table `ti`'s elements were placed under.
    #[inline]
    fn seed_of(&self, ti: usize) -> u64 {
        if ti == 0 {
            self.t0_seed
        } else {
            self.seed
        }
    }

    /// Whether a rebuild under a new seed is migrating the elements (see `Dict::start_reseed`).
    #[inline]
    pub fn is_reseeding(&self) -> bool {
        self.t0_seed != self.seed
    }

    /// Looks `key` up without doing rehash work.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&E> {
        let p = self.locate(key)?;
        self.at(p)
    }

    /// Looks `key` up for modification (does one rehash step first, as every mutable access does).
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut E> {
        let p = self.find(key)?;
        self.at_mut(p)
    }

    /// Where `key` sits (after one rehash step, unless a rebuild whose moves are logged migrates: see
    /// [`MoveLog`]); use with [`Dict::at`]/[`Dict::at_mut`]/[`Dict::remove_at`] to avoid looking the key up twice.
    #[inline]
    pub fn find(&mut self, key: &[u8]) -> Option<Pos> {
        self.find_hashed(key).0
    }

    /// [`Dict::find`], also handing out the key's hash (another table keyed by the same bytes can reuse it).
    #[inline]
    pub fn find_hashed(&mut self, key: &[u8]) -> (Option<Pos>, HashedKey) {
        if self.rehashing {
            self.lookup_step();
        }
        let hash = self.hash(key);
        (self.locate_at(hash, key), HashedKey { seed: self.seed, hash })
    }

    /// A lookup's rehash step: one run, except while a logged rebuild migrates (see [`MoveLog`]). A call of its
    /// own, so that the lookup around it stays small enough to be inlined.
    #[inline(never)]
    fn lookup_step(&mut self) {
        if !self.logging_moves() {
            self.rehash_step(1);
        }
    }

    #[inline]
    pub fn at(&self, p: Pos) -> Option<&E> {
        self.t.get(p.table as usize)?.slots.get(p.idx)?.as_ref()
    }

    #[inline]
    pub fn at_mut(&mut self, p: Pos) -> Option<&mut E> {
        self.t.get_mut(p.table as usize)?.slots.get_mut(p.idx)?.as_mut()
    }

    /// Removes the element at `p` (from [`Dict::find`], with no mutation since).
    pub fn remove_at(&mut self, p: Pos) -> Option<E> {
        let ti = p.table as usize;
        let seed = self.seed_of(ti);
        let skip = if ti == 0 && self.rehashing { self.rehash_idx } else { 0 };
        let mut shifted = false;
        let e = self.t.get_mut(ti)?.take_at(p.idx, seed, skip, &mut shifted);
        if shifted {
            self.layout = self.layout.wrapping_add(1);
        }
        if e.is_some() {
            self.after_remove();
        }
        e
    }

    /// The element under `key`, made by `make` and inserted when missing (one hash and one probe serve both), and
    /// whether it was inserted. `None` only if the new element cannot be found again (never, while the dict's
    /// invariants hold).
    #[inline]
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> E) -> Option<(&mut E, bool)> {
        if self.rehashing {
            self.insert_step();
        }
        let h = self.hash(key);
        let layout = self.layout;
        if self.rehashing {
            match self.probe_old(h, key) {
                Ok(i) => return Some((self.t[0].slots[i].as_mut()?, false)),
                Err(i) if self.old_slot_for_new(h, i) => {
                    if self.t[1].find_near(h, key).is_none() {
                        self.put_new(0, i, h, make());
                        if self.layout == layout {
                            return Some((self.t[0].slots[i].as_mut()?, true));
                        }
                        let p = self.locate(key)?;
                        return Some((self.at_mut(p)?, true));
                    }
                }
                Err(_) => {}
            }
        }
        let ti = self.rehashing as usize;
        if self.t[ti].size() != 0 {
            match self.t[ti].probe(h, key) {
                Ok(i) => return Some((self.t[ti].slots[i].as_mut()?, false)),
                Err(i) if !self.needs_room(ti) => {
                    self.put_new(ti, i, h, make());
                    if self.layout == layout {
                        return Some((self.t[ti].slots[i].as_mut()?, true));
                    }
                    // The probe guard rebuilt the table.
                    let p = self.locate(key)?;
                    return Some((self.at_mut(p)?, true));
                }
                Err(_) => {}
            }
        }
        self.make_room();
        self.place_new(h, make());
        let p = self.locate(key)?;
        Some((self.at_mut(p)?, true))
    }

    /// Changes with every move of elements that is not their own insert or removal (see [`Dict::walk_mut`]).
    #[inline]
    pub fn layout(&self) -> u64 {
        self.layout
    }

    /// Inserts `e`, returning the entry it replaced.
    pub fn insert(&mut self, e: E) -> Option<E> {
        if self.rehashing {
            self.insert_step();
        }
        let h = self.hash(e.key());
        self.insert_at_hash(h, e)
    }

    /// A key's hash taken ahead of its insert, with its home slot fetched into the cache meanwhile: a bulk loader
    /// hashes each key a few keys before inserting it ([`Dict::insert_hashed`]), so the cache misses of several
    /// inserts overlap instead of queueing one behind the other.
    #[inline]
    pub fn hash_ahead(&self, key: &[u8]) -> HashedKey {
        let hash = self.hash(key);
        let t = &self.t[self.rehashing as usize];
        if t.size() != 0 {
            let i = t.home(hash);
            slab::prefetch(t.ctrl.as_ptr().wrapping_add(i));
            slab::prefetch(t.slots.as_ptr().wrapping_add(i));
        }
        HashedKey { seed: self.seed, hash }
    }

    /// [`Dict::insert`] with the hash from [`Dict::hash_ahead`] for `e`'s key. Should the dict have changed its
    /// seed since (a guard rebuild, or it was emptied), the key is hashed again.
    #[inline]
    pub fn insert_hashed(&mut self, k: HashedKey, e: E) -> Option<E> {
        if self.rehashing {
            self.insert_step();
        }
        let h = if k.seed == self.seed { k.hash } else { self.hash(e.key()) };
        debug_assert_eq!(h, self.hash(e.key()));
        self.insert_at_hash(h, e)
    }

    /// The rest of an insert once any rehash step is done: `h` is `e`'s key's hash under the current seed.
    #[inline]
    fn insert_at_hash(&mut self, h: u64, e: E) -> Option<E> {
        if self.rehashing {
            match self.probe_old(h, e.key()) {
                Ok(i) => return self.t[0].slots[i].replace(e),
                Err(i) if self.old_slot_for_new(h, i) => match self.t[1].find_near(h, e.key()) {
                    Some(j) => return self.t[1].slots[j].replace(e),
                    None => {
                        self.put_new(0, i, h, e);
                        return None;
                    }
                },
                Err(_) => {}
            }
        }
        let ti = self.rehashing as usize;
        if self.t[ti].size() != 0 {
            match self.t[ti].probe(h, e.key()) {
                Ok(i) => return self.t[ti].slots[i].replace(e),
                Err(i) => {
                    if !self.needs_room(ti) {
                        self.put_new(ti, i, h, e);
                        return None;
                    }
                }
            }
        }
        self.make_room();
        self.place_new(h, e);
        None
    }

    /// Inserts `e` unless its key is present, in which case `e` is handed back: one probe serves both the check and
    /// the insert (bulk creation such as DEBUG POPULATE, which must leave existing keys alone).
    pub fn insert_new(&mut self, e: E) -> Result<(), E> {
        if self.rehashing {
            self.insert_step();
        }
        let h = self.hash(e.key());
        if self.rehashing {
            match self.probe_old(h, e.key()) {
                Ok(_) => return Err(e),
                Err(i) if self.old_slot_for_new(h, i) => {
                    if self.t[1].find_near(h, e.key()).is_some() {
                        return Err(e);
                    }
                    self.put_new(0, i, h, e);
                    return Ok(());
                }
                Err(_) => {}
            }
        }
        let ti = self.rehashing as usize;
        if self.t[ti].size() != 0 {
            match self.t[ti].probe(h, e.key()) {
                Ok(_) => return Err(e),
                Err(i) => {
                    if !self.needs_room(ti) {
                        self.put_new(ti, i, h, e);
                        return Ok(());
                    }
                }
            }
        }
        // Both tables were checked; making room only moves elements.
        self.make_room();
        self.place_new(h, e);
        Ok(())
    }

    /// Places a new key (absent from both tables) once [`Dict::make_room`] made room: into the old table when a
    /// migration is under way and [`Dict::old_slot_for_new`] allows it (the insert that starts a big table's growth is
    /// one: placed at random in the new table, it would narrow the new table's never-filled range
    /// (`front_end`..`back_start`) from near its end and so make every later absence check read a fresh page), else
    /// into the insert target.
    fn place_new(&mut self, h: u64, e: E) {
        if self.rehashing {
            if let Err(i) = self.probe_old(h, e.key()) {
                if self.old_slot_for_new(h, i) {
                    self.put_new(0, i, h, e);
                    return;
                }
            }
        }
        let ti = self.rehashing as usize;
        let d = self.t[ti].place(h, e);
        self.note_insert(d);
    }

    /// Fills slot `i` of table `ti` (the first empty slot of `h`'s probe path) with a new key, counted by the
    /// probe guard.
    #[inline(always)]
    fn put_new(&mut self, ti: usize, i: usize, h: u64, e: E) {
        let t = &mut self.t[ti];
        let d = t.dist(t.home(h), i);
        t.put_at(i, h, e);
        self.note_insert(d);
    }

    /// While a big table grows (rehashing into a new slot array of at least [`OLD_TABLE_INSERTS_MIN`] bytes), whether a
    /// new element whose probe of the old table ended at the empty slot `i` goes there rather than into the new table.
    /// The new arrays are a fresh zeroed mapping, and an element placed there at random lands on a page nobody has
    /// touched yet: a page fault. A 1000-member SADD right after a 16M-slot table grew so faulted in some 1900 pages of
    /// its slots and control bytes on the event loop (each twice: first read, then written), against the migration's
    /// own front-to-back writes, a fresh page per hundred-odd elements. So an element whose old-table home and slot the
    /// migration has not reached (`rehash_idx <= home <= i`: a path that wrapped round the end, or began below
    /// `rehash_idx`, would put it at the front of what is left) goes into the old table, whose pages are all touched,
    /// and moves to the new one in order with its neighbours; one whose home is below `rehash_idx` has its home in the
    /// part of the new table the migration has written. Its absence from the new table is checked without reading it
    /// when its home there lies past every slot filled so far ([`Table::find_near`]), so the check does not touch a
    /// fresh page either.
    ///
    /// The invariant that the old table is empty below `rehash_idx` holds: the element goes to `i >= rehash_idx`.
    /// Conditions: not during a rebuild under a new seed (the old table's hashes are another seed's); only for
    /// entry types that ask for it ([`DictEntry::INSERT_INTO_OLD_TABLE`]: the collections',
    /// whose every insert also moves a batch of [`crate::keyspace::types::REHASH_BOOST`]), only while growing (a
    /// shrink's target is small and sees few inserts), and only while the old table stays at most 7/8 full (the
    /// fill at which any table must grow; it grew at 3/4 and the migration drains it by a batch per insert). The
    /// migration still ends: every step advances `rehash_idx`, and an insert adds at most one element ahead of
    /// it. The new table still has room for everything (`needs_room(1)` on the total count, as for any insert).
    /// The price is a second placement for each element inserted this way, when the migration reaches it (in
    /// the sadd10m load about 3% more placements).
    #[inline]
    fn old_slot_for_new(&self, h: u64, i: usize) -> bool {
        let (old, new) = (&self.t[0], &self.t[1]);
        E::INSERT_INTO_OLD_TABLE
            && i < old.size()
            && (self.rehash_idx..=i).contains(&old.home(h))
            && self.t0_seed == self.seed
            && new.size() > old.size()
            && new.size() * std::mem::size_of::<Option<E>>() >= OLD_TABLE_INSERTS_MIN
            && (old.used + 1) * 8 <= old.size() * 7
            && !self.needs_room(1)
    }

    /// Counts a new key's displacement for the probe guard, and checks the window when it is complete or the
    /// displacement was long.
    #[inline(always)]
    fn note_insert(&mut self, d: usize) {
        self.work.inserts += 1;
        self.work.displacement += d as u64;
        self.guard.inserts += 1;
        if self.guard.inserts >= GUARD_WINDOW
            || d >= GUARD_LONG
            || self.work.displacement - self.guard.disp_base > self.guard.disp_limit
            || (self.reseed_pending && !self.rehashing)
        {
            self.check_guard();
        }
    }

    /// Closes a guard window: adds the displacement (of inserts, and of the rehash placements they caused) beyond
    /// what random hashes would give at this fill, or takes off what was below it, and rebuilds under a new seed
    /// once the excess exceeds the cost of a rebuild.
    #[cold]
    fn check_guard(&mut self) {
        let disp = self.work.displacement - self.guard.disp_base;
        let inserts = self.work.inserts - self.guard.inserts_base;
        let moves = self.work.moves - self.guard.moves_base;
        self.reset_window();
        let ti = self.rehashing as usize;
        let size = self.t[ti].size();
        // The fill of the insert target, counting what is still waiting in the old table (an overestimate while
        // rehashing, which only makes the allowance more generous).
        let free = size.saturating_sub(self.len()).max(1);
        let allowance = (inserts as f64 * allowed_displacement(size, free)) as u64 + moves * MOVE_ALLOWANCE;
        self.guard.wasted = (self.guard.wasted + disp).saturating_sub(allowance);
        if self.reseed_pending && !self.rehashing {
            self.start_reseed(size);
        } else if self.guard.wasted > self.len() as u64 + GUARD_SLACK.min(self.len() as u64) {
            if !self.rehashing {
                self.start_reseed(size);
            } else if !self.is_reseeding() {
                // A growth migration (under this seed) is under way: the rebuild starts when it is done, and
                // meanwhile each insert's step moves more (`Dict::insert_step`).
                self.reseed_pending = true;
            } else {
                // Already moving to a new seed; only an order computed from that one could cluster it.
                self.reset_guard();
            }
        }
    }

    /// Starts moving every element into a table of at least `size` slots (and room for them all) under a new seed: the
    /// guard's remedy for a clustered table and the clustering shrink's (see "Insertion order" in the module
    /// documentation). An incremental migration like a resize's: the steps (each write's, the cron's) move the
    /// elements, and until the old table is drained a lookup hashes its key under both seeds. SCAN cursors handed out
    /// before are recognised by their tag and restart; see
    /// [`Dict::scan_count`](crate::keyspace::dict::Dict::scan_count) for a scan during the migration. Not while
    /// rehashing (a growth's migration finishes first: `reseed_pending`).
    #[cold]
    fn start_reseed(&mut self, size: usize) {
        debug_assert!(!self.rehashing);
        self.reseed_pending = false;
        self.cluster_check = None;
        if self.t[0].used == 0 {
            self.reseed_empty();
            return;
        }
        self.t0_seed = self.seed;
        self.seed = fresh_seed();
        self.scan_old_tag = self.scan_tag;
        self.scan_tag = self.scan_tag % MAX_SCAN_TAG + 1;
        self.work.rebuilds += 1;
        self.reset_guard();
        // The old table is not empty: this starts a migration into a new table of that size.
        self.start_resize(size.max(size_for(self.len().saturating_mul(4).div_ceil(3) + 1)));
        if BULK_LOAD.with(|b| b.get()) {
            // Loading a file: nobody waits on single commands, and one pass is faster (as for a growth).
            self.finish_rehash_now();
        }
    }

    /// Starts the guard afresh (a new seed: nothing wasted under it yet).
    fn reset_guard(&mut self) {
        self.guard.wasted = 0;
        self.reset_window();
    }

    /// Starts a new guard window.
    fn reset_window(&mut self) {
        self.guard.inserts = 0;
        self.guard.disp_base = self.work.displacement;
        self.guard.inserts_base = self.work.inserts;
        self.guard.moves_base = self.work.moves;
        self.guard.disp_limit = GUARD_WINDOW_DISP.min((self.len() as u64).max(GUARD_WINDOW as u64));
    }

    /// Finishes a rehash in progress at once, in one prefetching pass (`migrate`): for bulk loads, where
    /// nobody waits on single commands and inserts then probe one table instead of two.
    pub fn finish_rehash_now(&mut self) {
        if !self.rehashing {
            return;
        }
        if self.logging_moves() {
            // Each move is logged: one step that does not stop until the old table is drained.
            self.rehash_step(usize::MAX / 16);
            return;
        }
        let [old, new] = &mut self.t;
        let (moves, disp) = migrate(old, new, self.seed, self.rehash_idx);
        self.work.moves += moves;
        self.work.displacement += disp;
        self.finish_rehash();
    }

    /// The probing work done so far (see [`ProbeWork`]).
    pub fn probe_work(&self) -> ProbeWork {
        self.work
    }

    /// A new seed for an empty dict, so the next keys are not placed by the old seed's order (a table emptied and
    /// refilled in its own SCAN order would otherwise cluster). Safe for SCAN: no element was present throughout
    /// a scan that saw the dict empty; its tag goes back to 0 (see "SCAN cursors").
    fn reseed_empty(&mut self) {
        debug_assert!(self.is_empty() && !self.rehashing);
        self.seed = fresh_seed();
        self.t0_seed = self.seed;
        self.reseed_pending = false;
        self.cluster_check = None;
        self.scan_tag = 0;
        // Nothing is left to index: a companion index that sees the dict empty starts afresh.
        self.log.clear();
        self.reset_guard();
    }

    /// Whether adding one element to table `ti` calls for a resize first. While rehashing the new table must
    /// also have room for everything still waiting in the old one, so the whole count is compared.
    #[inline]
    fn needs_room(&self, ti: usize) -> bool {
        let (used, size) = (self.len() + 1, self.t[ti].size());
        if used * 8 > size * 7 {
            return true;
        }
        ti == 0 && !self.rehashing && self.resize_allowed && used * 4 > size * 3
    }

    /// Ensures the insert target has room for one more element.
    fn make_room(&mut self) {
        if self.t[0].size() != 0 && !self.rehashing && !self.growth_fits_memory() {
            // Over 3/4 but under 7/8 full: stay at this size rather than pass `maxmemory` by allocating a bigger
            // table (the insert still finds a free slot).
            return;
        }
        if self.t[0].size() == 0 && !self.rehashing {
            self.layout = self.layout.wrapping_add(1);
            self.t[0] = Table::with_size(MIN_SIZE);
            return;
        }
        if self.rehashing {
            if !self.needs_room(1) {
                return;
            }
            // The new table is filling faster than the old one drains (a shrink followed by many inserts, or a
            // burst with resizing forbidden): finish the migration now, then grow normally.
            self.work.finished_at_once += 1;
            self.finish_rehash_now();
        }
        if self.needs_room(0) {
            let size = grown_size(self.t[0].size());
            self.start_resize(size);
            if BULK_LOAD.with(|b| b.get()) {
                self.finish_rehash_now();
            }
        }
    }

    /// Whether growing the table now keeps memory under the limit set by [`set_growth_limit`] (Redis's
    /// `dictExpandAllowed`): always true without a limit, or once the table is 7/8 full (a linear-probing table
    /// must grow then).
    fn growth_fits_memory(&self) -> bool {
        let limit = GROWTH_LIMIT.with(|l| l.get());
        if limit == 0 || (self.len() + 1) * 8 > self.t[0].size() * 7 {
            return true;
        }
        let more = grown_size(self.t[0].size()) * (std::mem::size_of::<Option<E>>() + 1);
        crate::alloc::used_memory().saturating_add(more as u64) <= limit
    }

    /// Starts a resize to `size` slots: a migration into a new table, or, for an empty table, the new one at once.
    /// A call of its own (not inlined: the growth, the shrink and the rebuild under a new seed share one copy).
    #[inline(never)]
    fn start_resize(&mut self, size: usize) {
        // Never a table the elements would fill past 7/8 (a linear-probing table must keep empty slots; a caller's
        // size can be stale, as a shrink's target decided before inserts came).
        let size = size.max(MIN_SIZE).max(size_for(self.len().saturating_add(1).saturating_mul(8).div_ceil(7)));
        if self.t[0].used == 0 {
            self.layout = self.layout.wrapping_add(1);
            self.t[0] = Table::with_size(size);
            return;
        }
        self.layout = self.layout.wrapping_add(1);
        self.t[1] = Table::with_size(size);
        self.rehashing = true;
        self.rehash_idx = 0;
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<E> {
        let p = self.find(key)?;
        self.remove_at(p)
    }

    fn after_remove(&mut self) {
        if self.rehashing && self.t[0].used == 0 {
            self.finish_rehash();
        }
        if self.is_empty() {
            self.reseed_empty();
        }
    }

    pub fn clear(&mut self) {
        self.layout = self.layout.wrapping_add(1);
        self.cluster_check = None;
        self.t = [Table::empty(), Table::empty()];
        self.rehashing = false;
        self.rehash_idx = 0;
        self.reseed_empty();
    }

    /// All elements, in no particular order.
    ///
    /// Each step asks the CPU for the entry `ITER_PREFETCH` slots ahead, so a walk over a big keyspace (RDB
    /// save, AOF rewrite, DEBUG DIGEST, KEYS) overlaps the cache misses of reading its entries.
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        let [a, b] = &self.t;
        prefetching(&a.slots).chain(prefetching(&b.slots))
    }

    /// Asks the CPU for the slot where an insert of `key` would start probing (its control byte and slot), for a
    /// loader that knows the next key before it has built the entry (RDB: the key comes before its value; AOF:
    /// the next command is read before the current one runs). Only a hint.
    #[inline]
    pub fn prefetch_key(&self, key: &[u8]) {
        let t = &self.t[self.rehashing as usize];
        if t.size() == 0 {
            return;
        }
        let i = t.home(self.hash(key));
        slab::prefetch(t.ctrl.as_ptr().wrapping_add(i));
        slab::prefetch(t.slots.as_ptr().wrapping_add(i));
    }

    /// All elements, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut E> {
        let [a, b] = &mut self.t;
        a.slots.iter_mut().chain(b.slots.iter_mut()).filter_map(|s| s.as_mut())
    }

    /// Removes and yields every element, leaving the dict empty.
    pub fn drain(&mut self) -> impl Iterator<Item = E> {
        self.layout = self.layout.wrapping_add(1);
        let [mut a, mut b] = std::mem::replace(&mut self.t, [Table::empty(), Table::empty()]);
        self.rehashing = false;
        self.rehash_idx = 0;
        self.reseed_empty();
        a.used = 0;
        b.used = 0;
        let (a, b) = (std::mem::take(&mut a.slots), std::mem::take(&mut b.slots));
        a.into_vec().into_iter().chain(b.into_vec()).flatten()
    }

    /// The rehash step an insert does while a migration runs: one run (or 10 empty slots), or more when that
    /// pace would let the new table fill before the old one drains. What is left is counted in steps: one per
    /// run (runs end at empty slots, and a step stops inside one after [`STEP_RUN_MAX`] entries), plus a tenth
    /// of the empty slots the steps pass over. That is compared with the inserts the new
    /// table can take before it is 7/8 full; when the single-step pace would not finish in time, each insert
    /// takes `left / room` steps' worth (a growth two or so; a shrink followed by a burst of inserts spreads its
    /// migration over the burst instead of moving the rest in one insert when the new table fills). While the
    /// probe guard waits for a growth to finish (`reseed_pending`), at least [`PENDING_RESEED_STEP`], and the
    /// rebuild starts as soon as the growth is done.
    #[inline]
    fn insert_step(&mut self) {
        let [old, new] = &self.t;
        let room = (new.size() / 8 * 7).saturating_sub(self.len() + 1);
        let empty = old.size().saturating_sub(self.rehash_idx).saturating_sub(old.used);
        let runs = old.used.min(empty + old.used / STEP_RUN_MAX);
        let left = runs + empty / 10;
        let mut n = if left <= room { 1 } else { left.div_ceil(room.max(1)) };
        if self.reseed_pending {
            n = n.max(PENDING_RESEED_STEP);
        }
        // Once the growth is done, the guard's rebuild starts when this insert has placed its element
        // (`Dict::note_insert`): a companion index then finds every element under the seed it was noted with.
        self.rehash_step(n);
    }

    /// Does incremental rehash work: moves entries of the old table, in slot order from `rehash_idx`, until at
    /// least `n` moved and the run they were in is done (at most `n + STEP_RUN_MAX` entries), or `n * 10` empty
    /// slots (Redis's `dictRehash` bound), or groups of 8 empty slots, were passed. Returns true while more remains.
    ///
    /// Whole runs are what a step usually moves: the new table then receives each stretch of the hash space at
    /// once, and an insert in hash order (a copy of another table) does not land between a run's moved part and
    /// the rest. A step may still stop inside a run: the slots it emptied lie below `rehash_idx`, which the old
    /// table's probes jump over (`Table::probe_from`), so the rest of the run is still found. A step's length is
    /// thus bounded whatever the runs are like (a clustered table's runs can hold most of its elements).
    pub fn rehash_step(&mut self, n: usize) -> bool {
        self.rehash_step_within(n, STEP_RUN_MAX)
    }

    /// [`Dict::rehash_step`] that moves at most `run_max` entries beyond `n` to finish a run (the model tests stop
    /// steps inside runs with 0).
    fn rehash_step_within(&mut self, n: usize, run_max: usize) -> bool {
        if !self.rehashing {
            return false;
        }
        let n = n.max(1);
        let seed = self.seed;
        let mut moved = 0;
        let mut empty_visits = n.saturating_mul(10);
        let mut log = self.log.for_moves(self.t0_seed, seed);
        let [old, new] = &mut self.t;
        let size = old.size();
        while old.used > 0 {
            if self.rehash_idx >= size {
                // Unreachable while the invariants hold (every remaining element sits at or after rehash_idx);
                // recover by migrating from the start instead of looping forever.
                self.rehash_idx = 0;
            }
            let i = self.rehash_idx;
            if old.ctrl[i] == 0 {
                if moved >= n {
                    break;
                }
                // A sparse old table (a shrink after mass deletes) is passed 8 empty control bytes per visit: the
                // bound is on the step's time, and one 8-byte compare costs what one byte's does.
                self.rehash_idx += if i + 8 <= size && old.ctrl[i..i + 8] == [0; 8] { 8 } else { 1 };
                empty_visits -= 1;
                if empty_visits == 0 {
                    break;
                }
                continue;
            }
            if moved >= n.saturating_add(run_max) {
                break;
            }
            if let Some(Some(ahead)) = old.slots.get(i + REHASH_PREFETCH) {
                ahead.prefetch();
            }
            self.rehash_idx += 1;
            let Some(e) = old.slots[i].take() else { continue };
            old.ctrl[i] = 0;
            old.used -= 1;
            let h = hash_with(seed, e.key());
            if let Some(log) = log.as_deref_mut() {
                log.push(e.key(), e.group(), h);
            }
            self.work.displacement += new.place(h, e) as u64;
            moved += 1;
        }
        // The invariant the step relies on: what is left of the old table lies at or after `rehash_idx` (checked
        // in debug builds, on tables small enough to scan).
        debug_assert!(
            size > 1 << 12 || old.ctrl[..self.rehash_idx.min(size)].iter().all(|&c| c == 0),
            "a dict element sits before the rehash index"
        );
        self.work.moves += moved as u64;
        if old.used == 0 {
            self.finish_rehash();
            return false;
        }
        // The next step (usually the next write's) hashes the keys of the next slots: ask for those entries now,
        // so the cache misses overlap with the work in between instead of stalling the step.
        let ahead = (self.rehash_idx + REHASH_PREFETCH).min(size);
        for e in old.slots[self.rehash_idx..ahead].iter().flatten() {
            e.prefetch();
        }
        true
    }

    fn finish_rehash(&mut self) {
        self.layout = self.layout.wrapping_add(1);
        let new = std::mem::replace(&mut self.t[1], Table::empty());
        let old = std::mem::replace(&mut self.t[0], new);
        self.rehashing = false;
        self.rehash_idx = 0;
        self.t0_seed = self.seed;
        // Empty now: its arrays are freed without a walk over their slots, a big one off this thread (the
        // allocator maps arrays this big on their own, so nothing stays behind in malloc's heap to trim).
        debug_assert_eq!(old.used, 0);
        drop(old);
    }

    /// Rehashes for about `budget_us` microseconds (the cron's `databasesCron` share). Returns true while more
    /// remains.
    pub fn rehash_for_us(&mut self, budget_us: u64) -> bool {
        let start = std::time::Instant::now();
        while self.rehash_step(100) {
            if start.elapsed().as_micros() as u64 >= budget_us {
                return true;
            }
        }
        false
    }

    #[inline]
    pub fn is_rehashing(&self) -> bool {
        self.rehashing
    }

    /// Forbids resizing while a forked child shares our pages (copy-on-write), except when the fill gets extreme.
    pub fn set_resize_allowed(&mut self, allowed: bool) {
        self.resize_allowed = allowed;
    }

    /// Makes room for `additional` more elements up front, as Redis's `dictExpand` (DEBUG POPULATE, bulk loads):
    /// grows the table to the size that holds `len() + additional` under the 3/4 fill limit. An empty dict gets the
    /// table at once; a populated one starts an incremental rehash to it. Does nothing while rehashing or when
    /// resizing is not allowed.
    pub fn reserve(&mut self, additional: usize) {
        if self.rehashing || !self.resize_allowed {
            return;
        }
        let want = self.len().saturating_add(additional);
        // Smallest table size with want <= 3/4 of it; beyond 2^62 slots no allocation could succeed anyway.
        let Some(size) = want.checked_mul(4).map(|n| n.div_ceil(3)).filter(|&n| n <= 1 << 62) else { return };
        let size = size_for(size);
        if size > self.t[0].size() {
            self.start_resize(size);
        }
    }

    /// Occupancy and probe-length figures of each table (the main one, then the rehash target while rehashing),
    /// for `DEBUG HTSTATS`. Hashes every element, so O(n).
    pub fn stats(&self) -> Vec<TableStats> {
        let n = if self.rehashing { 2 } else { 1 };
        self.t[..n]
            .iter()
            .enumerate()
            .map(|(ti, t)| {
                let seed = self.seed_of(ti);
                // A lookup in the old table of a migration starts at `rehash_idx` at the earliest.
                let skip = if ti == 0 && self.rehashing { self.rehash_idx } else { 0 };
                let mut st = TableStats {
                    size: t.size(),
                    used: t.used,
                    rehash_idx: if self.rehashing { Some(self.rehash_idx) } else { None },
                    probe_hist: [0; STATS_BUCKETS],
                    max_probe: 0,
                    total_probe: 0,
                };
                for (i, s) in t.slots.iter().enumerate() {
                    let Some(e) = s else {
                        st.probe_hist[0] += 1;
                        continue;
                    };
                    // Probes a lookup of this element makes: its distance from home, plus one.
                    let probe = t.dist_from(t.home(hash_with(seed, e.key())).max(skip), i, skip) + 1;
                    st.probe_hist[probe.min(STATS_BUCKETS - 1)] += 1;
                    st.max_probe = st.max_probe.max(probe);
                    st.total_probe += probe as u64;
                }
                st
            })
            .collect()
    }

    /// The hash seed in use: a key's [`Dict::hash`] changes when this does (the dict was emptied, or a rebuild by
    /// the probe guard or a clustering shrink began). The cluster slot index keeps hash fragments and follows a
    /// rebuild through the [`MoveLog`].
    #[inline]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Bytes used by the table's own arrays (not the entries).
    pub fn table_bytes(&self) -> usize {
        self.capacity() * (std::mem::size_of::<Option<E>>() + 1)
    }
}

#[cfg(test)]
mod tests;
