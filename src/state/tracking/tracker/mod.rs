//! Client-side caching: Redis 7.0's `tracking.c` (the CLIENT TRACKING/CACHING/GETREDIR/TRACKINGINFO handlers are
//! in `command/connection.rs`, as Redis keeps them in `networking.c`).
//!
//! ```text
//!  read (READONLY command) by a tracking client ──▶ remember: table[key] += client id
//!  key changed (ServerState::key_changed) ─────────▶ invalidate_key: table[key] taken ─▶ one message per id
//!                                              └──▶ BCAST: key noted under every matching prefix (sent before sleep)
//!  FLUSHALL / FLUSHDB / a full sync ───────────────▶ invalidate_all: a null message per tracking client
//!  messages ─▶ outbox ─▶ deliver: redirect resolved, `>2 invalidate ...` (RESP3) or `message __redis__:invalidate`
//!                                 (RESP2 redirect to a subscriber), `tracking-redir-broken` for a lost redirect
//! ```
//!
//! The table maps a key name (whatever the database, as in Redis) to the ids of the clients that may cache it; a key's
//! entry goes away with the invalidation that reports it. As in Redis, a client that turns tracking off or disconnects
//! leaves its ids in the table (they only cost memory until the key changes or the table limit evicts it; ids are
//! stored as bits of per-client tracking slots, see [`slot`], which are
//! reused only once swept); its BCAST prefixes are removed at once.
//!
//! Messages are not written into clients' buffers where the key changes: they go through an outbox that is
//! delivered right after the change when the handler reports it (its `KeyWrite` settled), after each command at top
//! level (with the running client at hand, which is out of the client table while it runs), and before the loop
//! sleeps. The bytes and their order in every client's stream are Redis's: an invalidation of a key the running
//! client itself tracks is sent after its reply (after EXEC's whole reply in a transaction: Redis's
//! `trackingHandlePendingKeyInvalidations`); anyone else's at once. A message whose client is out of the table for
//! another reason (a blocked client being served) waits for the next delivery.
//!
//! Deliberate difference: `CLIENT TRACKING on BCAST PREFIX a PREFIX b PREFIX bc` (two given prefixes that overlap,
//! not the first) makes Redis 7.0 reply the overlap error and then enable tracking and reply +OK as well (its
//! collision check returns the prefix's index as success); here the error is the only reply and nothing changes,
//! as for the first prefix (and as Redis 7.2 does).
//!
//! This file holds the data: the table, the prefixes and the outbox, with the operations on those alone. What each
//! client keeps (its settings and its tracking slot's bit) are plain fields of the client
//! ([`ClientTracking`](crate::net::client::ClientTracking)), which so imports nothing of this folder. The operations on the whole server state (delivering the outbox to the
//! clients, the BCAST messages before the loop sleeps, the `tracking-table-max-keys` pass) are in the folder's
//! [`mod.rs`](crate::state::tracking).

use crate::args::Args;
use crate::command_spec::{flag, Command, Group};
use crate::keyspace::dict::HashedKey;
use crate::keyspace::types::{SmallBytes, SMALL_INLINE};
use crate::net::client::{flags as cf, ClientState};
pub use slot::Slot;
use slot::SLOTS;
use std::collections::BTreeMap;
use std::rc::Rc;

pub mod slot;
mod table;
use table::KeyTable;

/// Every tracking flag, cleared when tracking goes off.
pub const ALL_FLAGS: u32 = cf::TRACKING
    | cf::TRACKING_BROKEN_REDIR
    | cf::TRACKING_BCAST
    | cf::TRACKING_OPTIN
    | cf::TRACKING_OPTOUT
    | cf::TRACKING_CACHING
    | cf::TRACKING_NOLOOP;

/// Table entries one cron call of [`Tracking::sweep_step`] visits.
pub const SWEEP_BUDGET: usize = 1 << 16;

/// One tracked key.
struct TrackedKey {
    key: SmallBytes,
    /// Slots of the clients that read it.
    bits: u64,
    /// Ids of the clients without a slot that read it, sorted (a boxed slice: rare, and 8 bytes smaller).
    ids: Box<[u64]>,
    /// Gone clients the sweep took out of `bits` (Redis keeps their ids until the key's invalidation, so they
    /// still count in `tracking_total_items`): their slots, which may be reused since, and how many more there
    /// were beyond those (a reused slot's owner that went too, while the first was still counted here).
    stale: u64,
    gone: u32,
    /// The table's hash bits of `key` (set by [`KeyTable`]).
    hi: u32,
}

impl TrackedKey {
    /// The entry of `key` (table hash bits `hi`) read by client `id` with tracking slot `slot`.
    #[inline(always)]
    fn new(key: &[u8], slot: Slot, id: u64, hi: u32) -> TrackedKey {
        let bits = slot.bit();
        let ids: Box<[u64]> = if bits == 0 { Box::new([id]) } else { Box::new([]) };
        TrackedKey { key: small_bytes(key), bits, ids, stale: 0, gone: 0, hi }
    }

    /// Adds client `id` (with `slot`, if it has one); false when it was there.
    #[inline]
    fn add(&mut self, id: u64, slot: Slot) -> bool {
        let m = slot.bit();
        if m == 0 {
            return self.add_id(id);
        }
        if self.bits & m != 0 || (!self.ids.is_empty() && self.ids.binary_search(&id).is_ok()) {
            return false;
        }
        self.bits |= m;
        true
    }

    /// Adds `id` to the id list; false when it was there.
    fn add_id(&mut self, id: u64) -> bool {
        match self.ids.binary_search(&id) {
            Ok(_) => false,
            Err(p) => {
                let mut ids = std::mem::take(&mut self.ids).into_vec();
                ids.insert(p, id);
                self.ids = ids.into_boxed_slice();
                true
            }
        }
    }

    /// Ids stored (`tracking_total_items`'s share).
    fn items(&self) -> u64 {
        (self.bits.count_ones() + self.stale.count_ones()) as u64 + self.ids.len() as u64 + self.gone as u64
    }
}

/// [`SmallBytes::new`](crate::keyspace::types::SmallBytes::new), with keys of 4 to 16 bytes copied as two overlapping
/// words (no `memcpy` call: a new key's entry is on a tracking client's read path).
#[inline]
fn small_bytes(b: &[u8]) -> SmallBytes {
    let n = b.len();
    let mut data = [0u8; SMALL_INLINE];
    match (data.get_mut(..n), n) {
        (Some(d), 8..=16) => {
            d[..8].copy_from_slice(&b[..8]);
            d[n - 8..].copy_from_slice(&b[n - 8..]);
        }
        (Some(d), 4..=7) => {
            d[..4].copy_from_slice(&b[..4]);
            d[n - 4..].copy_from_slice(&b[n - 4..]);
        }
        _ => return SmallBytes::new(b),
    }
    SmallBytes::Inline { len: n as u8, data }
}

/// One BCAST prefix: the keys under it changed since the last broadcast (each with the id of the client that
/// changed it last, 0 for the server itself: expiry, eviction) and its clients (sorted ids).
#[derive(Default)]
pub(crate) struct Bcast {
    pub(crate) keys: BTreeMap<Box<[u8]>, u64>,
    pub(crate) clients: Vec<u64>,
}

/// A tracking client running a script: its id, its flags, the keys the script declares.
type ScriptCaller = (u64, Slot, u32, Vec<Box<[u8]>>);

/// Message kinds (bits).
pub(crate) const KEY: u8 = 1;
/// The target was the running client when its key changed (NOLOOP drops the message).
pub(crate) const LOOP: u8 = 2;
/// For the running client, after its command (Redis's pending invalidations).
pub(crate) const DEFERRED: u8 = 4;

/// An invalidation for tracking client `to` (before its redirection is resolved): the array of keys it carries
/// (`None`: the null of a flush, in the client's protocol).
pub(crate) struct Msg {
    pub(crate) to: u64,
    pub(crate) payload: Option<Rc<[u8]>>,
    pub(crate) kind: u8,
}

/// When [`deliver`](crate::state::tracking::deliver) runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Right after a change, inside a command: messages for the running client that wait for its reply stay.
    Now,
    /// After the running client's command: everything for it goes too.
    End,
    /// Before the event loop sleeps: every client is in the table.
    Idle,
}

/// The server's tracking state (Redis's `TrackingTable`, `PrefixTable`, `tracking_clients`,
/// `tracking_pending_keys`).
#[derive(Default)]
pub struct Tracking {
    table: KeyTable,
    /// The keyspace's hash of the key the running tracking client's command looked up last (see
    /// [`Tracking::note_lookup`]).
    hint: LookupHint,
    /// Client ids stored in the table (`tracking_total_items`).
    items: u64,
    pub(crate) prefixes: BTreeMap<Box<[u8]>, Bcast>,
    /// Clients with tracking on, sorted (`tracking_clients` is its length).
    pub(crate) clients: Vec<u64>,
    /// The client whose command runs (Redis's `current_client`), 0 when none.
    running: u64,
    /// Inside a command's call (Redis's `fixed_time_expire`): the running client's own invalidations wait.
    in_call: bool,
    pub(crate) outbox: Vec<Msg>,
    /// Some BCAST prefix holds changed keys to broadcast.
    pub(crate) bcast_pending: bool,
    /// Consecutive limit passes that could not get under `tracking-table-max-keys`.
    evict_rounds: u32,
    /// The table may be over `tracking-table-max-keys`: set by a new key, a client turning tracking on, CONFIG
    /// SET and a limit pass that ended still over it, so that the check before each command
    /// ([`Tracking::take_limit_due`]) reads one flag while the table does not grow.
    limit_due: bool,
    /// While a tracking client runs a script: its id, flags and the script's declared keys, remembered when the
    /// script calls a read-only command (Redis tracks the caller's keys, not the script's).
    script_caller: Option<ScriptCaller>,
    /// The client id of each tracking slot (kept while the slot is quarantined); allocated with the first slot.
    slot_ids: Vec<u64>,
    /// Slots of tracking clients.
    slots_used: u64,
    /// Quarantined slots the running sweep pass clears, and those of them whose client is still connected.
    sweep_mask: u64,
    sweep_keep: u64,
    /// Slots freed since that pass began (the next pass's).
    freed_mask: u64,
    freed_keep: u64,
    /// `freed_mask` at the last cron call: a pass starts once no slot was freed for a call (clients tend to leave
    /// together, and one pass then serves them all), or when few slots are left.
    freed_seen: u64,
    /// The pass's cursor: entries at and above it were visited (the walk goes down).
    sweep_cursor: usize,
    /// The address of the last command [`remember_read`] found of [`is_single_key`]'s shape (commands are static,
    /// and a run of reads is mostly of one command).
    single_key_cmd: usize,
}

/// The table's hash bits of a key the keyspace hashed, and the bytes they are of, by address: valid for one
/// command, whose arguments stay put (cleared when a tracking client's command starts, so a later command's
/// argument at the same address is never taken for it). `ptr` 0: none.
#[derive(Default)]
struct LookupHint {
    ptr: usize,
    len: usize,
    hi: u32,
}

impl Tracking {
    /// `tracking_clients`.
    #[inline]
    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// `tracking_total_keys`.
    pub fn total_keys(&self) -> u64 {
        self.table.len() as u64
    }

    /// `tracking_total_items`.
    pub fn total_items(&self) -> u64 {
        self.items
    }

    /// `tracking_total_prefixes`.
    pub fn total_prefixes(&self) -> u64 {
        self.prefixes.len() as u64
    }

    /// Whether the table holds more keys than `max` (`tracking-table-max-keys`, 0 = no limit): the test before
    /// [`limit_before_command`](crate::state::tracking::limit_before_command).
    #[inline]
    pub fn over_limit(&self, max: i64) -> bool {
        max > 0 && self.table.len() as i64 > max
    }

    /// Whether the table may have gone over the limit since the last call (then [`Tracking::over_limit`] tells).
    #[inline(always)]
    pub fn take_limit_due(&mut self) -> bool {
        std::mem::take(&mut self.limit_due)
    }

    /// The limit may have changed (CONFIG SET): the next command checks it.
    pub fn limit_changed(&mut self) {
        self.limit_due = true;
    }

    /// One pass of [`limit_used_slots`](crate::state::tracking::limit_used_slots) against the limit `max`, taking
    /// random keys from `rng`.
    pub fn limit_used_slots(&mut self, max: i64, rng: &mut crate::util::Rng) {
        if !self.over_limit(max) {
            self.evict_rounds = 0;
            return;
        }
        let mut effort = 100 * (self.evict_rounds as u64 + 1);
        while effort > 0 {
            effort -= 1;
            let Some(key) = self.table.random(rng).map(|e| e.key.to_vec()) else { break };
            self.invalidate_key(&key, 0, false);
            if self.table.len() as i64 <= max {
                self.evict_rounds = 0;
                return;
            }
        }
        self.evict_rounds += 1;
        // Still over: the next command tries again, with more effort.
        self.limit_due = true;
    }

    /// Whether a key change has nothing to do here.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.table.is_empty() && self.prefixes.is_empty()
    }

    /// Whether messages wait for [`deliver`](crate::state::tracking::deliver).
    #[inline]
    pub fn has_outbox(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// Whether [`before_sleep`](crate::state::tracking::before_sleep) has work: BCAST keys to broadcast or messages
    /// waiting.
    #[inline]
    pub fn has_work(&self) -> bool {
        self.bcast_pending || !self.outbox.is_empty()
    }

    /// Client `id` starts running (`call`: inside its command's call); returns what to restore with
    /// [`Tracking::leave`].
    #[inline]
    pub fn enter(&mut self, id: u64, call: bool) -> (u64, bool) {
        let prev = (self.running, self.in_call);
        self.running = id;
        self.in_call = call;
        prev
    }

    #[inline]
    pub fn leave(&mut self, prev: (u64, bool)) {
        (self.running, self.in_call) = prev;
    }

    /// A tracking client's command starts: no lookup of it is noted yet.
    #[inline]
    pub fn command_starts(&mut self) {
        self.hint.ptr = 0;
    }

    /// The running tracking client's command looked `key` up in the keyspace, whose hash of it is `k`: the table
    /// reuses it when the key is remembered after the command (when the seeds agree).
    #[inline]
    pub fn note_lookup(&mut self, key: &[u8], k: HashedKey) {
        if let Some(hi) = self.table.hi_from(k) {
            self.hint = LookupHint { ptr: key.as_ptr() as usize, len: key.len(), hi };
        }
    }

    /// The noted hash bits of `key` (these very bytes), if any.
    #[inline]
    fn hint_for(&self, key: &[u8]) -> Option<u32> {
        let h = &self.hint;
        (h.ptr == key.as_ptr() as usize && h.len == key.len()).then_some(h.hi)
    }

    /// Adds client `id` (with tracking slot `slot`) to `key`'s entry (`hi`: its table hash bits, if known).
    #[inline(always)]
    fn remember(&mut self, id: u64, slot: Slot, key: &[u8], hi: Option<u32>) {
        let hi = match hi {
            Some(hi) => hi,
            None => self.table.hash_own(key),
        };
        match self.table.find_mut(hi, key) {
            Ok(e) => {
                if e.add(id, slot) {
                    self.items += 1;
                }
            }
            Err(at) => self.remember_new(id, slot, key, hi, at),
        }
    }

    /// [`Tracking::remember`] of a key the table does not hold (`at`: [`KeyTable::find_mut`]'s answer).
    #[cold]
    #[inline(never)]
    fn remember_new(&mut self, id: u64, slot: Slot, key: &[u8], hi: u32, at: usize) {
        if self.table.insert(hi, at, |hi| TrackedKey::new(key, slot, id, hi)) {
            self.items += 1;
            self.limit_due = true;
        }
    }

    /// A slot for a client that starts tracking keys: its own while still quarantined, else the lowest free one
    /// (none when all 64 are taken or quarantined).
    fn take_slot(&mut self, id: u64) -> Slot {
        if self.slot_ids.is_empty() {
            self.slot_ids = vec![0; SLOTS];
        }
        let quarantined = self.sweep_mask | self.freed_mask;
        let s = match (0..SLOTS).find(|&s| quarantined & (1 << s) != 0 && self.slot_ids[s] == id) {
            Some(s) => s,
            None => {
                let free = !(self.slots_used | quarantined);
                if free == 0 {
                    return Slot::default();
                }
                free.trailing_zeros() as usize
            }
        };
        let slot = Slot::of(s);
        let m = slot.bit();
        // A slot of the running pass stays in its masks (its bits may already be swept); it is no longer freed
        // when the pass ends, as `slots_used` has it.
        self.freed_mask &= !m;
        self.freed_keep &= !m;
        self.slots_used |= m;
        self.slot_ids[s] = id;
        slot
    }

    /// Whether a slot is neither taken nor quarantined.
    #[inline]
    fn slot_free(&self) -> bool {
        self.slots_used | self.sweep_mask | self.freed_mask != u64::MAX
    }

    /// Quarantines `slot`, whose client stops tracking (`gone`: disconnected).
    fn free_slot(&mut self, slot: Slot, gone: bool) {
        let m = slot.bit();
        self.slots_used &= !m;
        if self.table.is_empty() {
            return;
        }
        self.freed_mask |= m;
        if !gone {
            self.freed_keep |= m;
        }
    }

    /// Whether quarantined slots wait for [`Tracking::sweep_step`].
    #[inline]
    pub fn sweeping(&self) -> bool {
        (self.sweep_mask | self.freed_mask) != 0
    }

    /// Sweeps up to `budget` table entries of quarantined slots' bits; a pass that completes frees its slots (those
    /// not taken back by their owner meanwhile).
    pub fn sweep_step(&mut self, budget: usize) {
        if self.table.is_empty() {
            (self.sweep_mask, self.sweep_keep, self.freed_mask, self.freed_keep) = (0, 0, 0, 0);
            return;
        }
        if self.sweep_mask & !self.slots_used == 0 {
            if self.freed_mask == 0 {
                self.sweep_mask = 0;
                return;
            }
            let free = !(self.slots_used | self.sweep_mask | self.freed_mask);
            if self.freed_mask != std::mem::replace(&mut self.freed_seen, self.freed_mask) && free.count_ones() >= 16 {
                return;
            }
            self.sweep_mask = std::mem::take(&mut self.freed_mask);
            self.sweep_keep = std::mem::take(&mut self.freed_keep);
            self.freed_seen = 0;
            self.sweep_cursor = self.table.len();
        }
        // Slots taken back by their owner are left alone (their bits are the owner's).
        let mask = self.sweep_mask & !self.slots_used;
        let keep = self.sweep_keep & mask;
        // Downwards from the cursor: a removal moves the last entry (visited, or the cursor is past the end) into
        // its hole, and new entries are pushed at the end, so nothing unvisited ever moves above the cursor (a
        // visited entry moved below it is visited again, which finds nothing to do).
        let end = self.sweep_cursor.min(self.table.len());
        let start = end.saturating_sub(budget);
        if let Some(entries) = self.table.entries.get_mut(start..end) {
            sweep_entries(entries, mask, keep, &self.slot_ids);
        }
        self.sweep_cursor = start;
        if self.sweep_cursor == 0 {
            self.sweep_mask = 0;
            self.sweep_keep = 0;
        }
    }

    /// A key changed (Redis's `trackingInvalidateKey`): `by` is the client that changed it (0: the server), `bcast`
    /// whether BCAST clients hear of it (not for the table limit's evictions).
    pub fn invalidate_key(&mut self, key: &[u8], by: u64, bcast: bool) {
        if bcast && !self.prefixes.is_empty() {
            for (p, bs) in self.prefixes.iter_mut() {
                if key.starts_with(p) {
                    bs.keys.insert(key.into(), by);
                    self.bcast_pending = true;
                }
            }
        }
        let Some(mut e) = self.table.remove(key) else { return };
        let payload: Rc<[u8]> = key_array(key).into();
        self.items -= e.items();
        let mut ids = std::mem::take(&mut e.ids).into_vec();
        let mut bits = e.bits;
        while bits != 0 {
            let s = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            ids.extend(self.slot_ids.get(s).copied());
        }
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let mut kind = KEY;
            if id == self.running {
                kind |= LOOP;
                if self.in_call {
                    kind |= DEFERRED;
                }
            }
            self.outbox.push(Msg { to: id, payload: Some(payload.clone()), kind });
        }
    }

    /// The whole dataset went (Redis's `trackingInvalidateKeysOnFlush`): every tracking client, BCAST ones
    /// included, gets a null invalidation (the running client after its command), and the table is emptied.
    pub fn invalidate_all(&mut self) {
        for &id in &self.clients {
            let kind = if id == self.running { DEFERRED } else { 0 };
            self.outbox.push(Msg { to: id, payload: None, kind });
        }
        self.table.clear();
        self.items = 0;
        // No bits left anywhere: quarantined slots are free.
        (self.sweep_mask, self.sweep_keep, self.freed_mask, self.freed_keep) = (0, 0, 0, 0);
    }

    /// Stops tracking for `c` (Redis's `disableTracking`): off, RESET.
    pub fn disable(&mut self, c: &mut ClientState) {
        self.disable_as(c, false);
    }

    /// [`Tracking::disable`] for a client that disconnects.
    pub fn client_gone(&mut self, c: &mut ClientState) {
        self.disable_as(c, true);
    }

    fn disable_as(&mut self, c: &mut ClientState, gone: bool) {
        let slot = Slot::from_bit(std::mem::take(&mut c.tracking.slot));
        if !slot.is_none() {
            self.free_slot(slot, gone);
        }
        if c.has(cf::TRACKING_BCAST) {
            for p in std::mem::take(&mut c.tracking.prefixes) {
                if let Some(bs) = self.prefixes.get_mut(&p) {
                    if let Ok(i) = bs.clients.binary_search(&c.id) {
                        bs.clients.remove(i);
                    }
                    if bs.clients.is_empty() {
                        self.prefixes.remove(&p);
                    }
                }
            }
        }
        if c.has(cf::TRACKING) {
            if let Ok(i) = self.clients.binary_search(&c.id) {
                self.clients.remove(i);
            }
            c.flags &= !ALL_FLAGS;
        }
    }

    /// Turns tracking on for `c` with `options` (BCAST, OPTIN, OPTOUT, NOLOOP flags), already checked (Redis's
    /// `enableTracking`). BCAST without prefixes is the empty prefix.
    pub fn enable(&mut self, c: &mut ClientState, redirect: u64, options: u32, prefixes: &[&[u8]]) {
        if !c.has(cf::TRACKING) {
            if let Err(i) = self.clients.binary_search(&c.id) {
                self.clients.insert(i, c.id);
            }
        }
        c.flags |= cf::TRACKING;
        // The table was not held to the limit while nobody tracked.
        self.limit_due = true;
        c.flags &= !(cf::TRACKING_BROKEN_REDIR
            | cf::TRACKING_BCAST
            | cf::TRACKING_OPTIN
            | cf::TRACKING_OPTOUT
            | cf::TRACKING_NOLOOP);
        c.tracking.redirect = redirect;
        if options & cf::TRACKING_BCAST != 0 {
            c.flags |= cf::TRACKING_BCAST;
            if prefixes.is_empty() {
                self.add_prefix(c, b"");
            }
            for p in prefixes {
                self.add_prefix(c, p);
            }
        }
        c.flags |= options & (cf::TRACKING_OPTIN | cf::TRACKING_OPTOUT | cf::TRACKING_NOLOOP);
        if options & cf::TRACKING_BCAST == 0 && c.tracking.slot == 0 {
            c.tracking.slot = self.take_slot(c.id).bit();
        }
    }

    fn add_prefix(&mut self, c: &mut ClientState, p: &[u8]) {
        let bs = self.prefixes.entry(p.into()).or_default();
        if let Err(i) = bs.clients.binary_search(&c.id) {
            bs.clients.insert(i, c.id);
            if let Err(j) = c.tracking.prefixes.binary_search_by(|x| (**x).cmp(p)) {
                c.tracking.prefixes.insert(j, p.into());
            }
        }
    }

    /// A tracking client starts running a script command (EVAL, FCALL, ...): the keys it declares are what its
    /// read-only calls track (Redis's `trackingRememberKeys(server.script_caller)`).
    pub fn script_begins(&mut self, c: &ClientState, cmd: &Command, args: Args) {
        let keys = cmd.key_positions(args).into_iter().map(|i| args.get(i).into()).collect();
        self.script_caller = Some((c.id, Slot::from_bit(c.tracking.slot), c.flags, keys));
    }

    #[inline]
    pub fn script_ends(&mut self) {
        if self.script_caller.is_some() {
            self.script_caller = None;
        }
    }

    /// A script called a read-only command: the caller tracks the script's declared keys.
    pub fn script_read(&mut self) {
        if let Some((id, slot, flags, keys)) = self.script_caller.take() {
            if wants_keys(flags) {
                for k in &keys {
                    self.remember(id, slot, k, None);
                }
            }
            self.script_caller = Some((id, slot, flags, keys));
        }
    }
}

/// Clears the bits of `mask`'s slots from `entries`: a gone owner's (not in `keep`) is only counted, a connected
/// one's id (from `owners`) joins the entry's id list. Kept out of the cron's code so that its loop has the
/// registers to itself; the common entry (bits of gone owners only) costs a handful of instructions.
#[inline(never)]
fn sweep_entries(entries: &mut [TrackedKey], mask: u64, keep: u64, owners: &[u64]) {
    // Gone owners' slots join `stale`; one already there (a reused slot's earlier owner) is counted instead. The
    // loop for them alone is the common one (every entry its readers left), and has nothing else to keep.
    let gone = mask & !keep;
    if gone != 0 {
        for e in entries.iter_mut() {
            let hit = e.bits & gone;
            if hit == 0 {
                continue;
            }
            e.bits ^= hit;
            let mut twice = e.stale & hit;
            e.stale |= hit;
            // A bit or two: cheaper than `count_ones` without a popcount instruction.
            while twice != 0 {
                twice &= twice - 1;
                e.gone += 1;
            }
        }
    }
    if keep != 0 {
        for e in entries.iter_mut() {
            let mut kept = e.bits & keep;
            e.bits ^= kept;
            while kept != 0 {
                let s = kept.trailing_zeros() as usize;
                kept &= kept - 1;
                e.add_id(owners.get(s).copied().unwrap_or(0));
            }
        }
    }
}

/// Whether a read by a client with `flags` is tracked: not in BCAST mode, and as OPTIN/OPTOUT and CLIENT CACHING
/// say.
#[inline]
fn wants_keys(flags: u32) -> bool {
    if flags & (cf::TRACKING_BCAST | cf::TRACKING_OPTIN | cf::TRACKING_OPTOUT) == 0 {
        return true;
    }
    let caching = flags & cf::TRACKING_CACHING != 0;
    let optin = flags & cf::TRACKING_OPTIN != 0;
    let optout = flags & cf::TRACKING_OPTOUT != 0;
    flags & cf::TRACKING_BCAST == 0 && (caching || !optin) && !(optout && caching)
}

/// After a read-only command of tracking client `c`: remembers the keys it read (Redis's `trackingRememberKeys`).
/// EVAL_RO and FCALL_RO track only through the commands their script calls.
#[inline]
pub fn remember_read(t: &mut Tracking, c: &mut ClientState, cmd: &Command, args: Args) {
    if !wants_keys(c.flags) {
        return;
    }
    // A client that found every slot taken or quarantined gets one once the sweep has freed some (its reads so far
    // stay in the entries' id lists, which invalidation merges with the bits).
    if c.tracking.slot == 0 && t.slot_free() {
        c.tracking.slot = t.take_slot(c.id).bit();
    }
    // One key at argument 1 (GET and most reads): no key-spec walk. (No pub/sub or scripting command has this
    // shape: `single_key_commands_are_tracked_reads` checks it.)
    let addr = cmd as *const Command as usize;
    if addr != t.single_key_cmd && is_single_key(cmd) {
        t.single_key_cmd = addr;
    }
    if addr == t.single_key_cmd {
        if args.len() > 1 {
            let key = args.get(1);
            let hi = t.hint_for(key);
            t.remember(c.id, Slot::from_bit(c.tracking.slot), key, hi);
        }
        return;
    }
    if cmd.has(flag::PUBSUB) || cmd.group == Group::Scripting {
        return;
    }
    for i in cmd.key_positions(args) {
        t.remember(c.id, Slot::from_bit(c.tracking.slot), args.get(i), None);
    }
}

/// Whether `cmd`'s only key is argument 1.
#[inline(always)]
fn is_single_key(cmd: &Command) -> bool {
    cmd.keys.first == 1 && cmd.keys.last == 1 && cmd.key_specs.len() <= 1 && cmd.getkeys.is_none()
}

/// `*1\r\n$<len>\r\n<key>\r\n`: one key as invalidation payload.
fn key_array(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 16);
    out.extend_from_slice(b"*1\r\n");
    push_bulk(&mut out, key);
    out
}

fn push_bulk(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(s.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// The error for BCAST prefixes that overlap each other or the client's (Redis's `checkPrefixCollisionsOrReply`).
pub fn prefix_collision(c: &ClientState, prefixes: &[&[u8]]) -> Option<String> {
    let overlap = |a: &[u8], b: &[u8]| {
        let n = a.len().min(b.len());
        a[..n] == b[..n]
    };
    // Redis formats them with %s and sanitizes line breaks in error texts.
    let text = |b: &[u8]| {
        let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
        String::from_utf8_lossy(&b[..end]).replace(['\r', '\n'], " ")
    };
    for (i, p) in prefixes.iter().enumerate() {
        if let Some(q) = c.tracking.prefixes.iter().find(|q| overlap(q, p)) {
            return Some(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                text(p),
                text(q)
            ));
        }
        if let Some(q) = prefixes[i + 1..].iter().find(|q| overlap(q, p)) {
            return Some(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not \
                 overlap.",
                text(p),
                text(q)
            ));
        }
    }
    None
}

/// `*N` and the keys (without those `skip` changed; empty when none is left).
pub(crate) fn keys_array(keys: &BTreeMap<Box<[u8]>, u64>, skip: Option<u64>) -> Vec<u8> {
    let n = keys.values().filter(|&&by| Some(by) != skip).count();
    if n == 0 {
        return Vec::new();
    }
    let mut out = format!("*{n}\r\n").into_bytes();
    for (k, _) in keys.iter().filter(|(_, &by)| Some(by) != skip) {
        push_bulk(&mut out, k);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(t: &mut Tracking, id: u64) -> ClientState {
        let mut c = ClientState::new(id, -1, String::new(), String::new(), 0);
        t.enable(&mut c, 0, 0, &[]);
        c
    }

    fn read(t: &mut Tracking, c: &ClientState, key: &[u8]) {
        t.remember(c.id, Slot::from_bit(c.tracking.slot), key, None);
    }

    /// The ids `key`'s invalidation goes to (the outbox is emptied).
    fn invalidated(t: &mut Tracking, key: &[u8]) -> Vec<u64> {
        t.outbox.clear();
        t.invalidate_key(key, 0, false);
        t.outbox.drain(..).map(|m| m.to).collect()
    }

    /// Cron calls until the sweep is over (the first may only note the freed slots).
    fn sweep(t: &mut Tracking, budget: usize) {
        for _ in 0..100_000 {
            if !t.sweeping() {
                return;
            }
            t.sweep_step(budget);
        }
        panic!("sweep did not end");
    }

    #[test]
    fn small_bytes_copies_every_length() {
        for n in 0..40 {
            let k: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37).wrapping_add(1)).collect();
            assert_eq!(small_bytes(&k).as_bytes(), &k[..]);
        }
    }

    #[test]
    fn keys_ids_stay_sorted_and_unique() {
        let none = Slot::default();
        let mut e = TrackedKey::new(b"k", none, 5, 0);
        assert_eq!(&e.ids[..], &[5][..]);
        assert!(!e.add(5, none));
        assert!(e.add(3, none));
        assert!(e.add(9, Slot::of(2)));
        assert!(!e.add(9, Slot::of(2)));
        assert!(!e.add(3, Slot::of(7)), "an id in the list is not added again under a slot");
        assert_eq!((&e.ids[..], e.bits, e.items()), (&[3, 5][..], 1 << 2, 3));
    }

    #[test]
    fn freed_slot_is_reused_only_after_the_sweep() {
        let mut t = Tracking::default();
        let mut a = client(&mut t, 10);
        assert_eq!(Slot::from_bit(a.tracking.slot).index(), Some(0));
        read(&mut t, &a, b"x");
        read(&mut t, &a, b"y");
        t.client_gone(&mut a);
        assert_eq!(Slot::from_bit(a.tracking.slot).index(), None);
        // Quarantined: the next client gets another slot, and the old bits still name the gone client.
        let b = client(&mut t, 11);
        assert_eq!(Slot::from_bit(b.tracking.slot).index(), Some(1));
        read(&mut t, &b, b"y");
        assert_eq!(invalidated(&mut t, b"x"), vec![10]);
        sweep(&mut t, 4);
        let c = client(&mut t, 12);
        assert_eq!(Slot::from_bit(c.tracking.slot).index(), Some(0), "swept slot reused");
        // The gone client's id still counts (Redis keeps stale ids until the key changes), but gets no message.
        assert_eq!((t.total_keys(), t.total_items()), (1, 2));
        assert_eq!(invalidated(&mut t, b"y"), vec![11]);
        assert_eq!(t.total_items(), 0);
    }

    #[test]
    fn tracking_off_and_on_keeps_earlier_keys() {
        let mut t = Tracking::default();
        let mut a = client(&mut t, 20);
        read(&mut t, &a, b"x");
        read(&mut t, &a, b"y");
        read(&mut t, &a, b"z");
        // Back before the sweep: its own slot again.
        t.disable(&mut a);
        t.enable(&mut a, 0, 0, &[]);
        assert_eq!(Slot::from_bit(a.tracking.slot).index(), Some(0));
        assert_eq!(invalidated(&mut t, b"x"), vec![20]);
        // After the sweep: its bits became its id, so it still hears of what it read, once.
        t.disable(&mut a);
        let _other = client(&mut t, 21);
        sweep(&mut t, 1);
        t.enable(&mut a, 0, 0, &[]);
        assert_eq!(Slot::from_bit(a.tracking.slot).index(), Some(0));
        read(&mut t, &a, b"y");
        assert_eq!(t.total_items(), 2);
        assert_eq!(invalidated(&mut t, b"y"), vec![20]);
        assert_eq!(invalidated(&mut t, b"z"), vec![20]);
        assert_eq!(t.total_items(), 0);
    }

    #[test]
    fn more_clients_than_slots() {
        let mut t = Tracking::default();
        let cs: Vec<ClientState> = (100..200).map(|id| client(&mut t, id)).collect();
        assert_eq!(cs.iter().filter(|c| Slot::from_bit(c.tracking.slot).index().is_some()).count(), SLOTS);
        for c in cs.iter().rev() {
            read(&mut t, c, b"k");
            read(&mut t, c, b"k");
        }
        assert_eq!(t.total_items(), 100);
        assert_eq!(invalidated(&mut t, b"k"), (100..200).collect::<Vec<_>>());
        // BCAST clients take no slot.
        let mut b = ClientState::new(7, -1, String::new(), String::new(), 0);
        t.enable(&mut b, 0, cf::TRACKING_BCAST, &[]);
        assert_eq!(Slot::from_bit(b.tracking.slot).index(), None);
    }

    #[test]
    fn client_without_slot_takes_one_once_swept() {
        let mut t = Tracking::default();
        let get = crate::command_spec::lookup(b"get").unwrap();
        let args = |k: &str| crate::args::OwnedArgs::from_slices(&["get", k]);
        let mut cs: Vec<ClientState> = (1..=64).map(|id| client(&mut t, id)).collect();
        let mut late = client(&mut t, 100);
        assert_eq!(Slot::from_bit(late.tracking.slot).index(), None);
        remember_read(&mut t, &mut late, get, args("a").args());
        assert_eq!(Slot::from_bit(late.tracking.slot).index(), None, "every slot is taken");
        read(&mut t, &cs[0], b"a");
        for c in cs.iter_mut().take(20) {
            t.client_gone(c);
        }
        remember_read(&mut t, &mut late, get, args("b").args());
        assert_eq!(Slot::from_bit(late.tracking.slot).index(), None, "freed slots are quarantined until swept");
        sweep(&mut t, 16);
        remember_read(&mut t, &mut late, get, args("a").args());
        remember_read(&mut t, &mut late, get, args("c").args());
        assert!(Slot::from_bit(late.tracking.slot).index().is_some());
        // "a" is in its id list and now under its slot too: one message, one item.
        assert_eq!(t.total_items(), 4);
        assert_eq!(invalidated(&mut t, b"a"), vec![100]);
        assert_eq!(invalidated(&mut t, b"c"), vec![100]);
    }

    #[test]
    fn flush_and_empty_table_free_quarantined_slots() {
        let mut t = Tracking::default();
        let mut a = client(&mut t, 1);
        read(&mut t, &a, b"x");
        t.client_gone(&mut a);
        assert!(t.sweeping());
        t.invalidate_all();
        assert!(!t.sweeping());
        assert_eq!(Slot::from_bit(client(&mut t, 2).tracking.slot).index(), Some(0));
        // A client leaving an empty table frees its slot at once; one whose keys were all invalidated (as the
        // table limit does) at the next cron call.
        let mut b = client(&mut t, 3);
        assert_eq!(Slot::from_bit(b.tracking.slot).index(), Some(1));
        read(&mut t, &b, b"y");
        t.client_gone(&mut b);
        t.invalidate_key(b"y", 0, false);
        t.sweep_step(1);
        assert!(!t.sweeping());
        let mut c = client(&mut t, 4);
        assert_eq!(Slot::from_bit(c.tracking.slot).index(), Some(1));
        t.client_gone(&mut c);
        assert!(!t.sweeping());
    }

    #[test]
    fn a_reused_slot_of_two_gone_readers_counts_both() {
        // Slot 0's first owner reads k and leaves (swept: counted as stale), its next owner reads k and leaves
        // too: k still holds both ids for `tracking_total_items`, until its invalidation drops them.
        let mut t = Tracking::default();
        for id in [1, 2] {
            let mut c = client(&mut t, id);
            assert_eq!(Slot::from_bit(c.tracking.slot).index(), Some(0));
            read(&mut t, &c, b"k");
            read(&mut t, &c, b"other");
            t.client_gone(&mut c);
            while t.sweeping() {
                t.sweep_step(1);
            }
        }
        let e = t.table.iter().find(|e| &*e.key == b"k").unwrap();
        assert_eq!((e.bits, e.stale, e.gone, e.items()), (0, 1, 1, 2));
        assert_eq!(t.total_items(), 4);
        t.invalidate_key(b"k", 0, false);
        assert_eq!(t.total_items(), 2);
        assert!(t.outbox.is_empty(), "gone clients get no message");
    }

    #[test]
    fn sweep_survives_growth_and_removals() {
        let mut t = Tracking::default();
        let keys: Vec<Vec<u8>> = (0..3000).map(|i| format!("key:{i}").into_bytes()).collect();
        let mut gone: Vec<ClientState> = (1..=40).map(|id| client(&mut t, id)).collect();
        for (i, k) in keys.iter().enumerate() {
            read(&mut t, &gone[i % 40], k);
        }
        for c in &mut gone {
            t.client_gone(c);
        }
        let stay = client(&mut t, 50);
        let mut i = 0;
        t.sweep_step(64);
        while t.sweeping() {
            // Meanwhile keys change (removals shift elements back) and new keys make the table grow.
            t.invalidate_key(&keys[i * 7 % 3000], 0, false);
            read(&mut t, &stay, format!("new:{i}").as_bytes());
            t.sweep_step(64);
            i += 1;
            assert!(i < 100_000);
        }
        let quarantined = (1u64 << 40) - 1;
        assert!(t.table.iter().all(|e| e.bits & quarantined == 0));
        let items: u64 = t.table.iter().map(|e| e.items()).sum();
        assert_eq!(items, t.total_items());
        assert_eq!(Slot::from_bit(client(&mut t, 60).tracking.slot).index(), Some(0));
    }

    #[test]
    fn single_key_commands_are_tracked_reads() {
        // `remember_read` (after read-only commands) takes the single-key shortcut before its pub/sub and scripting
        // exclusions.
        let all = crate::command_spec::all_commands().flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()));
        for c in all.filter(|c| c.has(flag::READONLY) && is_single_key(c)) {
            assert!(!c.has(flag::PUBSUB) && c.group != Group::Scripting, "{}", c.name);
        }
        assert!(is_single_key(crate::command_spec::lookup(b"get").unwrap()));
    }

    #[test]
    fn caching_rules() {
        assert!(wants_keys(cf::TRACKING));
        assert!(!wants_keys(cf::TRACKING | cf::TRACKING_BCAST));
        assert!(!wants_keys(cf::TRACKING | cf::TRACKING_OPTIN));
        assert!(wants_keys(cf::TRACKING | cf::TRACKING_OPTIN | cf::TRACKING_CACHING));
        assert!(wants_keys(cf::TRACKING | cf::TRACKING_OPTOUT));
        assert!(!wants_keys(cf::TRACKING | cf::TRACKING_OPTOUT | cf::TRACKING_CACHING));
    }

    #[test]
    fn table_counts_and_invalidation_messages() {
        let mut t = Tracking::default();
        t.remember(1, Slot::default(), b"a", None);
        t.remember(2, Slot::default(), b"a", None);
        t.remember(1, Slot::default(), b"a", None);
        t.remember(1, Slot::default(), b"b", None);
        assert_eq!((t.total_keys(), t.total_items()), (2, 3));
        t.running = 2;
        t.in_call = true;
        t.invalidate_key(b"a", 2, true);
        assert_eq!((t.total_keys(), t.total_items()), (1, 1));
        let kinds: Vec<(u64, u8)> = t.outbox.iter().map(|m| (m.to, m.kind)).collect();
        assert_eq!(kinds, vec![(1, KEY), (2, KEY | LOOP | DEFERRED)]);
        assert_eq!(t.outbox[0].payload.as_deref(), Some(&b"*1\r\n$1\r\na\r\n"[..]));
        t.invalidate_all();
        assert_eq!((t.total_keys(), t.total_items()), (0, 0));
    }

    #[test]
    fn prefixes_and_collisions() {
        let mut t = Tracking::default();
        let mut c = ClientState::new(7, -1, String::new(), String::new(), 0);
        t.enable(&mut c, 0, cf::TRACKING_BCAST, &[b"b:", b"a:"]);
        assert_eq!(c.tracking.prefixes, vec![Box::from(&b"a:"[..]), Box::from(&b"b:"[..])]);
        assert_eq!(t.total_prefixes(), 2);
        assert!(prefix_collision(&c, &[b"a"]).unwrap().contains("'a' overlaps with an existing prefix 'a:'"));
        assert!(prefix_collision(&c, &[b"c", b"cd"]).unwrap().contains("'c' overlaps with another provided prefix"));
        assert!(prefix_collision(&c, &[b"c", b"d"]).is_none());
        t.invalidate_key(b"a:1", 0, true);
        t.invalidate_key(b"x", 0, true);
        assert_eq!(keys_array(&t.prefixes[&b"a:"[..]].keys, None), b"*1\r\n$3\r\na:1\r\n");
        assert!(keys_array(&t.prefixes[&b"a:"[..]].keys, Some(0)).is_empty());
        t.disable(&mut c);
        assert_eq!((t.total_prefixes(), t.clients(), c.flags & ALL_FLAGS), (0, 0, 0));
    }
}
