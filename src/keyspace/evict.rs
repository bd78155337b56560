//! `maxmemory` eviction: Redis's approximated LRU / LFU / TTL / random policies (Redis's `evict.c`).
//!
//! Every entry header carries a 24-bit field that means one of two things, depending on `maxmemory-policy`:
//!
//! ```text
//!   LRU (and no policy):          24 bits: the LRU clock at the last access (seconds, wraps every ~194 days)
//!   +----------------------------------------+
//!   |            last access clock           |
//!   +----------------------------------------+
//!
//!   LFU:          16 bits              8 bits
//!   +--------------------------+--------------+
//!   |  last decrement time     |   LOG_C      |   time: minutes since the epoch, mod 2^16
//!   +--------------------------+--------------+   LOG_C: logarithmic access counter, new keys start at 5
//! ```
//!
//! A key access ([`Touch::apply`], from the command layer's lookups) stores the LRU clock, or decays LOG_C by one
//! per `lfu-decay-time` minutes since the stored time and then increments it with probability
//! `1 / ((LOG_C - 5) * lfu-log-factor + 1)` (the maths live in [`crate::keyspace::object`]: `lfu_touch` and friends).
//! Lookups that must not count as accesses (OBJECT, TYPE-like reads, `CLIENT NO-TOUCH`) skip it, and so does every
//! lookup while a forked child shares our pages (a write to the header would copy the page).
//!
//! When `used_memory` minus the AOF buffer exceeds `maxmemory`, [`perform_evictions`] deletes keys until enough
//! bytes were freed. Candidates come from the eviction pool:
//!
//! ```text
//!   pool (EVPOOL_SIZE = 16 slots, ascending score; a higher score is a better victim)
//!   +-------+-------+-------+-- - - --+--------+
//!   | s=3   | s=40  | s=41  |         | s=9000 |  <- evict from the right end
//!   | k,db  | k,db  | k,db  |         | k,db   |
//!   +-------+-------+-------+-- - - --+--------+
//!   score: LRU = estimated idle ms; LFU = 255 - decayed LOG_C; volatile-ttl = u64::MAX - expire time
//! ```
//!
//! Each round samples `maxmemory-samples` keys of every database (for volatile policies: keys with a TTL, found by
//! walking a bounded run of the keyspace) and offers them to the pool; a sample worse than all 16 candidates of a
//! full pool is dropped, otherwise it is inserted in order and the worst candidate falls off the left. The pool
//! survives between calls, so good candidates accumulate; a candidate deleted meanwhile (a "ghost") is skipped.
//! One difference from Redis: a candidate accessed after it was sampled is re-scored when it reaches the front
//! and goes back into the pool, instead of being evicted on stale information.
//! The random policies pick a random key, visiting the databases round-robin. One call spends at most the time
//! `maxmemory-eviction-tenacity` allows (Redis's `evictionTimeLimitUs`); what is left continues in a zero-delay
//! timer between event-loop passes (Redis's `evictionTimeProc`), so an eviction storm never stalls the loop.
//!
//! Invariants: the pool holds at most [`EVPOOL_SIZE`] candidates sorted by ascending score; every evicted key is
//! logged on its database ([`Db::evict`]) so WATCHes are invalidated and a DEL/UNLINK is propagated, and the
//! `evicted` keyspace event is published.
//!
//! Tested by the unit tests below (pool ordering, time limits, victims per policy) and end to end against
//! redis-server by tests/eviction.rs (per-policy behaviour, OOM replies, MULTI, the Zipf hit-ratio comparison).

#![forbid(unsafe_code)]

use crate::config::{Config, MaxmemoryPolicy};
use crate::keyspace::db::Db;
use crate::keyspace::object::Entry;
use crate::net::client::ClientState;
use crate::state::ServerState;
use crate::util::Rng;
use std::time::Instant;

/// Candidates kept between eviction rounds (Redis's `EVPOOL_SIZE`).
pub const EVPOOL_SIZE: usize = 16;

/// The reply to a command refused because memory is over the limit.
pub const OOM_ERR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Keys evicted between checks of the time limit (Redis checks every 16).
const KEYS_PER_TIME_CHECK: u32 = 16;

/// Most keys a volatile policy walks in one database per sampling round while looking for keys with a TTL.
const VOLATILE_WALK_MAX: usize = 1024;

/// Sampling rounds without finding a single candidate before a pool policy gives up (nothing evictable found).
const EMPTY_ROUNDS_MAX: u32 = 16;

const _: () = assert!(EVPOOL_SIZE >= 2 && KEYS_PER_TIME_CHECK > 0 && VOLATILE_WALK_MAX >= 64);

/// Outcome of [`perform_evictions`] (Redis's `EVICT_OK` / `EVICT_RUNNING` / `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictResult {
    /// Memory is under the limit (or evicting is not allowed right now).
    Ok,
    /// Still over the limit; the background timer keeps evicting.
    Running,
    /// Over the limit and nothing (more) can be evicted: denyoom commands are refused.
    Fail,
}

/// One candidate of the pool.
#[derive(Debug)]
struct Candidate {
    score: u64,
    key: Vec<u8>,
    db: usize,
}

/// The eviction pool: at most [`EVPOOL_SIZE`] candidates, ascending by score (see the module docs).
#[derive(Debug, Default)]
pub struct EvictionPool {
    slots: Vec<Candidate>,
    /// Key buffers of dropped candidates, reused so a round does not allocate (Redis's cached sds).
    spare: Vec<Vec<u8>>,
}

impl EvictionPool {
    /// Offers a sampled key (Redis's insertion step of `evictionPoolPopulate`).
    pub fn offer(&mut self, score: u64, key: &[u8], db: usize) {
        let k = self.slots.iter().take_while(|c| c.score < score).count();
        let full = self.slots.len() >= EVPOOL_SIZE;
        if k == 0 && full {
            // Worse than every candidate of a full pool.
            return;
        }
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(key);
        let c = Candidate { score, key: buf, db };
        if full {
            // Drop the worst candidate (leftmost) and insert just before the first better one.
            let old = self.slots.remove(0);
            self.spare.push(old.key);
            self.slots.insert(k - 1, c);
        } else {
            self.slots.insert(k, c);
        }
    }

    /// Takes the best candidate out: (score when sampled, key, db). The caller hands the key back with
    /// [`EvictionPool::recycle`].
    pub fn pop_best(&mut self) -> Option<(u64, Vec<u8>, usize)> {
        self.slots.pop().map(|c| (c.score, c.key, c.db))
    }

    /// Returns a key buffer for reuse.
    pub fn recycle(&mut self, key: Vec<u8>) {
        if self.spare.len() < EVPOOL_SIZE && key.capacity() <= 256 {
            self.spare.push(key);
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The candidates' scores, worst first.
    pub fn scores(&self) -> Vec<u64> {
        self.slots.iter().map(|c| c.score).collect()
    }
}

/// Eviction state kept between calls.
#[derive(Debug, Default)]
pub struct Evictor {
    pub pool: EvictionPool,
    /// Next database the random policies visit.
    next_db: usize,
    /// The background eviction continues after a command hit the time limit (Redis's `isEvictionProcRunning`).
    pub proc_running: bool,
    /// Id of the event-loop timer running [`time_proc`], once the server armed it.
    pub timer: Option<u64>,
    /// `maxmemory` as last seen by [`before_sleep`], to notice CONFIG SET.
    seen_maxmemory: u64,
}

/// How a key access updates the entry's LRU/LFU field; built once per lookup from the server state.
#[derive(Debug, Clone, Copy)]
pub enum Touch {
    /// Not an access: no-touch lookups, or a forked child shares our pages.
    Skip,
    /// Store the LRU clock.
    Lru(u32),
    /// Decay and increment the LFU counter.
    Lfu { log_factor: i64, decay_time: i64, now_ms: i64 },
}

impl Touch {
    /// The touch for a lookup now (Redis's `lookupKey`: no update while a child process is active).
    #[inline]
    pub fn of(srv: &ServerState) -> Touch {
        if srv.child_pid.is_some() {
            Touch::Skip
        } else if srv.config.maxmemory_policy.is_lfu() {
            Touch::Lfu {
                log_factor: srv.config.lfu_log_factor,
                decay_time: srv.config.lfu_decay_time,
                now_ms: srv.now_ms,
            }
        } else {
            Touch::Lru(srv.lru_clock)
        }
    }

    /// Updates the entry's field for one access.
    #[inline]
    pub fn apply(self, e: &mut Entry) {
        match self {
            Touch::Skip => {}
            Touch::Lru(clock) => e.set_lru(clock),
            Touch::Lfu { log_factor, decay_time, now_ms } => {
                e.set_lru(crate::keyspace::object::lfu_touch(e.lru(), log_factor, decay_time, now_ms))
            }
        }
    }
}

/// The minimum idle time in milliseconds of an entry whose LRU field is `lru`, with the 24-bit clock wrapping
/// once (Redis's `estimateObjectIdleTime`).
#[inline]
pub fn estimate_idle_ms(lru_clock: u32, lru: u32) -> u64 {
    let mask = crate::keyspace::object::LRU_MASK;
    let (clock, lru) = (lru_clock & mask, lru & mask);
    let ticks = if clock >= lru { clock - lru } else { clock + (mask - lru) };
    ticks as u64 * crate::state::LRU_CLOCK_RESOLUTION_MS as u64
}

/// Time one eviction call may spend, in microseconds, for `maxmemory-eviction-tenacity` (Redis's
/// `evictionTimeLimitUs`: linear to 500 µs at 10, then +15% per step, unlimited at 100).
pub fn eviction_time_limit_us(tenacity: i64) -> u64 {
    let t = tenacity.clamp(0, 100);
    if t <= 10 {
        50 * t as u64
    } else if t < 100 {
        (500.0 * 1.15f64.powi(t as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

/// `DEL`, or `UNLINK` with `lazyfree-lazy-eviction`: how an eviction is propagated.
pub fn del_verb(config: &Config) -> &'static [u8] {
    if config.lazyfree_lazy_eviction {
        b"UNLINK"
    } else {
        b"DEL"
    }
}

/// Memory that does not count against `maxmemory` (Redis's `freeMemoryGetNotCountedMemory`): the AOF buffer and
/// replicas' output beyond the backlog, which pushing DELs for evicted keys would otherwise grow into a feedback
/// loop (see [`ServerState::replica_buffer_bytes`]).
pub fn not_counted_memory(srv: &ServerState) -> u64 {
    srv.mem_not_counted_for_evict()
}

/// Bytes to free to get back under `maxmemory`, or None when under it (Redis's `getMaxmemoryState`).
pub fn memory_to_free(srv: &ServerState) -> Option<u64> {
    let max = srv.config.maxmemory;
    if max == 0 {
        return None;
    }
    let reported = crate::util::used_memory();
    if reported <= max {
        return None;
    }
    let used = reported.saturating_sub(not_counted_memory(srv));
    (used > max).then(|| used - max)
}

/// Whether evicting is allowed now (Redis's `isSafeToPerformEvictions`): not while loading, not during CLIENT
/// PAUSE (the dataset must stay static).
fn safe_to_evict(srv: &ServerState) -> bool {
    !srv.persist.stats.loading && srv.pause.mode_at(srv.now_ms) == crate::state::PauseMode::Off
}

/// The maxmemory step of Redis's `processCommand`, run before every command while `maxmemory` is set: evicts as
/// needed, then says whether `cmd` must be refused with [`OOM_ERR`] — when memory is still over the limit and the
/// command may grow it (denyoom, or EXEC of a queue holding one), or the client is queueing a transaction
/// (anything but EXEC, DISCARD, QUIT and RESET).
pub fn rejects_command(
    srv: &mut ServerState,
    c: &mut ClientState,
    cmd: &'static crate::command_spec::Command,
    full_name: &str,
) -> bool {
    use crate::command_spec::flag as cf;
    let exec = crate::command_spec::is_exec(cmd);
    let mut reject = cmd.has(cf::DENYOOM) || (exec && c.multi.as_ref().is_some_and(|m| m.cmd_flags & cf::DENYOOM != 0));
    if c.has(crate::net::client::flags::MULTI) && !exec && !matches!(full_name, "discard" | "quit" | "reset") {
        reject = true;
    }
    // Keys evicted now are invalidated before the command runs, the client's own at once too (Redis's
    // trackingHandlePendingKeyInvalidations after performEvictions).
    let prev = srv.tracking.enter(c.id, false);
    let result = perform_evictions(srv, Some(&mut *c));
    srv.tracking.leave(prev);
    crate::tracking::deliver(srv, Some(c), crate::tracking::Flush::Now);
    result == EvictResult::Fail && reject
}

/// Frees memory by evicting keys until `used_memory` (less the AOF buffer) is within `maxmemory`, the policy
/// forbids it, nothing is left to evict, or the time limit hits (then the background timer continues). Redis's
/// `performEvictions`. `me` is the client about to run a command (it may be subscribed to the `evicted` event).
pub fn perform_evictions(srv: &mut ServerState, me: Option<&mut ClientState>) -> EvictResult {
    if !safe_to_evict(srv) {
        // As if no eviction were needed; the exceeded-time metrics are left alone.
        return EvictResult::Ok;
    }
    let result = evict_until_under(srv, me);
    let s = &mut srv.stats;
    match result {
        EvictResult::Running | EvictResult::Fail => {
            s.eviction_exceeded_since.get_or_insert_with(Instant::now);
        }
        EvictResult::Ok => {
            if let Some(t) = s.eviction_exceeded_since.take() {
                s.eviction_exceeded_us += t.elapsed().as_micros() as u64;
            }
        }
    }
    result
}

fn evict_until_under(srv: &mut ServerState, mut me: Option<&mut ClientState>) -> EvictResult {
    let Some(to_free) = memory_to_free(srv) else { return EvictResult::Ok };
    let policy = srv.config.maxmemory_policy;
    if policy == MaxmemoryPolicy::NoEviction {
        return EvictResult::Fail;
    }
    let limit_us = eviction_time_limit_us(srv.config.maxmemory_eviction_tenacity);
    let start = Instant::now();
    let mut freed: i64 = 0;
    let mut keys_freed: u32 = 0;
    let mut result = EvictResult::Fail;
    let mut cant_free = false;
    while freed < to_free as i64 {
        let Some((key, db)) = pick_victim(srv) else {
            cant_free = true;
            break;
        };
        let lazy = srv.config.lazyfree_lazy_eviction;
        // What the deletion frees is measured around freeing the value only, as Redis measures its
        // `dbGenericDelete`: the key's record in the propagation log (a copy of the name, sent as a DEL at the end
        // of the command) is memory the eviction itself adds, and counting it against `freed` made a small
        // `maxmemory` evict every key and still refuse the command.
        let deleted = crate::latency::timed("eviction-del", || {
            let e = srv.dbs[db].evict(&key)?;
            let before = crate::util::used_memory() as i64;
            // Big values go to the lazy-free thread with `lazyfree-lazy-eviction` (Redis's `dbAsyncDelete`).
            srv.lazyfree.free_deleted(e, lazy);
            Some(before - crate::util::used_memory() as i64)
        });
        if let Some(delta) = deleted {
            freed += delta;
            srv.stats.evicted_keys += 1;
            crate::keyspace::notify::emit(srv, me.as_deref_mut(), crate::config::notify::EVICTED, "evicted", &key, db);
            keys_freed += 1;
        }
        srv.evict.pool.recycle(key);
        // Memory the lazy-free thread releases does not show in `freed`: check the real figure now and then, as
        // Redis does every 16 keys.
        if lazy && keys_freed % 16 == 0 && memory_to_free(srv).is_none() {
            break;
        }
        if keys_freed % KEYS_PER_TIME_CHECK == 0 && start.elapsed().as_micros() as u64 > limit_us {
            // Enough for one call: the background timer carries on.
            srv.evict.proc_running = true;
            break;
        }
    }
    if !cant_free {
        result = if srv.evict.proc_running { EvictResult::Running } else { EvictResult::Ok };
    } else if srv.lazyfree.pending() > 0 {
        // Nothing left to evict, but the lazy-free thread is still freeing: wait for it a little (Redis waits
        // `eviction_time_limit_us` once; here its freed chunks must also come back to be uncounted).
        let until = Instant::now() + std::time::Duration::from_micros(limit_us.max(1000));
        loop {
            srv.lazyfree.reclaim();
            if memory_to_free(srv).is_none() {
                result = EvictResult::Ok;
                break;
            }
            if Instant::now() >= until {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(20));
        }
    }
    // Each DEL/UNLINK is its own unit, not wrapped with the command that triggered the eviction.
    srv.drain_expired(true);
    crate::latency::add_sample_if_needed("eviction-cycle", start.elapsed().as_millis() as u64);
    result
}

/// The next key to evict under the current policy, or None when nothing can be evicted.
fn pick_victim(srv: &mut ServerState) -> Option<(Vec<u8>, usize)> {
    let policy = srv.config.maxmemory_policy;
    let allkeys =
        matches!(policy, MaxmemoryPolicy::AllKeysLru | MaxmemoryPolicy::AllKeysLfu | MaxmemoryPolicy::AllKeysRandom);
    match policy {
        MaxmemoryPolicy::NoEviction => None,
        MaxmemoryPolicy::AllKeysRandom | MaxmemoryPolicy::VolatileRandom => pick_random(srv, allkeys),
        _ => pick_from_pool(srv, policy, allkeys),
    }
}

/// How a sampled entry scores (higher: evict sooner).
#[derive(Clone, Copy)]
enum Score {
    Idle { lru_clock: u32 },
    InverseFreq { decay_time: i64, now_ms: i64 },
    Ttl,
}

impl Score {
    fn of(srv: &ServerState, policy: MaxmemoryPolicy) -> Score {
        if policy.is_lru() {
            Score::Idle { lru_clock: srv.lru_clock }
        } else if policy.is_lfu() {
            Score::InverseFreq { decay_time: srv.config.lfu_decay_time, now_ms: srv.now_ms }
        } else {
            Score::Ttl
        }
    }

    fn score(self, e: &Entry) -> u64 {
        match self {
            Score::Idle { lru_clock } => estimate_idle_ms(lru_clock, e.lru()),
            Score::InverseFreq { decay_time, now_ms } => {
                255 - crate::keyspace::object::lfu_decayed_counter(e.lru(), decay_time, now_ms).min(255) as u64
            }
            Score::Ttl => u64::MAX - e.expire_ms().unwrap_or(i64::MAX).max(0) as u64,
        }
    }
}

/// Samples `samples` keys of `db` (keys with a TTL unless `allkeys`) into the pool (Redis's
/// `evictionPoolPopulate`). Returns how many were offered.
pub fn populate(
    pool: &mut EvictionPool,
    db_index: usize,
    db: &Db,
    rng: &mut Rng,
    samples: usize,
    allkeys: bool,
    score: impl Fn(&Db, &Entry) -> u64,
) -> usize {
    let walk = if allkeys {
        samples
    } else {
        // Enough entries that `samples` of them have a TTL on average, within a bound.
        let ttl = db.expires_len().max(1);
        (samples * db.len().div_ceil(ttl)).clamp(samples, VOLATILE_WALK_MAX.max(samples))
    };
    let mut offered = 0;
    db.keys.sample(walk, rng, |e| {
        if offered >= samples || (!allkeys && !e.has_expire()) {
            return;
        }
        offered += 1;
        pool.offer(score(db, e), e.key(), db_index);
    });
    offered
}

fn pick_from_pool(srv: &mut ServerState, policy: MaxmemoryPolicy, allkeys: bool) -> Option<(Vec<u8>, usize)> {
    let samples = srv.config.maxmemory_samples.clamp(1, 64) as usize;
    let score = Score::of(srv, policy);
    let ServerState { dbs, evict, rng, .. } = srv;
    let mut empty_rounds = 0;
    loop {
        let mut total_keys = 0;
        let mut offered = 0;
        for (i, db) in dbs.iter().enumerate() {
            let keys = if allkeys { db.len() } else { db.expires_len() };
            if keys == 0 {
                continue;
            }
            total_keys += keys;
            offered += populate(&mut evict.pool, i, db, rng, samples, allkeys, |_, e| score.score(e));
        }
        if total_keys == 0 {
            return None;
        }
        // Best candidate first; ghosts (deleted since they were sampled, or lost their TTL) are dropped. A
        // candidate accessed since it was sampled scores lower now: it goes back into the pool at its current
        // score instead of being evicted on stale information (Redis evicts it anyway). Each re-offer lowers a
        // score and no access happens meanwhile, so this ends.
        while let Some((pooled, key, db)) = evict.pool.pop_best() {
            let d = &dbs[db];
            let now = d.keys.get(&key).filter(|e| allkeys || e.has_expire()).map(|e| score.score(e));
            match now {
                Some(cur) if cur < pooled => {
                    evict.pool.offer(cur, &key, db);
                    evict.pool.recycle(key);
                }
                Some(_) => return Some((key, db)),
                None => evict.pool.recycle(key),
            }
        }
        if offered == 0 {
            empty_rounds += 1;
            if empty_rounds >= EMPTY_ROUNDS_MAX {
                return None;
            }
        }
    }
}

fn pick_random(srv: &mut ServerState, allkeys: bool) -> Option<(Vec<u8>, usize)> {
    let n = srv.dbs.len();
    let ServerState { dbs, evict, rng, .. } = srv;
    for _ in 0..n {
        evict.next_db = (evict.next_db + 1) % n;
        let j = evict.next_db;
        let db = &dbs[j];
        if allkeys {
            if let Some(e) = db.keys.random(rng) {
                return Some((e.key().to_vec(), j));
            }
            continue;
        }
        if db.expires_len() == 0 {
            continue;
        }
        // A random key with a TTL: a few uniform draws, then a bounded walk from a random slot.
        for _ in 0..16 {
            if let Some(e) = db.keys.random(rng).filter(|e| e.has_expire()) {
                return Some((e.key().to_vec(), j));
            }
        }
        let mut found = None;
        db.keys.sample(db.len().min(VOLATILE_WALK_MAX * 16), rng, |e| {
            if found.is_none() && e.has_expire() {
                found = Some(e.key().to_vec());
            }
        });
        if let Some(k) = found {
            return Some((k, j));
        }
    }
    None
}

/// Called before the event loop sleeps. Notices a new `maxmemory` (CONFIG SET; Redis's `updateMaxmemory`: warn
/// when memory is already above it and start the background eviction at once) and says whether the server must
/// arm the timer that runs [`time_proc`].
pub fn before_sleep(srv: &mut ServerState) -> bool {
    let max = srv.config.maxmemory;
    if max != srv.evict.seen_maxmemory {
        srv.evict.seen_maxmemory = max;
        crate::keyspace::dict::set_growth_limit(max);
        if max != 0 {
            let used = crate::util::used_memory().saturating_sub(not_counted_memory(srv));
            if max < used {
                crate::log_warning!(
                    "WARNING: the new maxmemory value set via CONFIG SET ({max}) is smaller than the current memory \
                     usage ({used}). This will result in key eviction and/or the inability to accept new write \
                     commands depending on the maxmemory-policy."
                );
            }
            srv.evict.proc_running = true;
        }
    }
    srv.evict.proc_running && srv.evict.timer.is_none()
}

/// The background eviction timer's body (Redis's `evictionTimeProc`): keeps evicting between event-loop passes
/// while memory is over the limit and something is evictable. Returns whether to run again.
pub fn time_proc(srv: &mut ServerState) -> bool {
    if perform_evictions(srv, None) == EvictResult::Running {
        return true;
    }
    srv.evict.proc_running = false;
    srv.evict.timer = None;
    false
}

/// `total_eviction_exceeded_time` and `current_eviction_exceeded_time` for INFO, in milliseconds.
pub fn exceeded_time_ms(srv: &ServerState) -> (u64, u64) {
    let current_us = srv.stats.eviction_exceeded_since.map_or(0, |t| t.elapsed().as_micros() as u64);
    ((srv.stats.eviction_exceeded_us + current_us) / 1000, current_us / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::object::{lfu_decayed_counter, lfu_init, lfu_log_incr, lfu_minutes, lfu_touch, LFU_INIT_VAL};

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut p = EvictionPool::default();
        let mut rng = Rng::new(7);
        let mut all = Vec::new();
        for i in 0..200u64 {
            let s = rng.below(1000);
            all.push(s);
            p.offer(s, format!("k{i}").as_bytes(), 0);
            assert!(p.len() <= EVPOOL_SIZE);
            let sc = p.scores();
            assert!(sc.windows(2).all(|w| w[0] <= w[1]), "pool out of order: {sc:?}");
        }
        all.sort_unstable();
        let best: Vec<u64> = all[all.len() - EVPOOL_SIZE..].to_vec();
        assert_eq!(p.scores(), best);
        // Pops come best first.
        let before = p.scores();
        let mut n = 0;
        while let Some((_, k, _)) = p.pop_best() {
            n += 1;
            assert!(k.starts_with(b"k"));
            assert_eq!(p.scores(), before[..EVPOOL_SIZE - n].to_vec());
            p.recycle(k);
        }
        assert_eq!(n, EVPOOL_SIZE);
        assert!(p.is_empty());
    }

    #[test]
    fn pool_rejects_worse_than_all_when_full_and_accepts_when_not() {
        let mut p = EvictionPool::default();
        p.offer(5, b"low", 0);
        assert_eq!(p.scores(), vec![5]);
        p.offer(1, b"lower", 0);
        assert_eq!(p.scores(), vec![1, 5]);
        for i in 0..EVPOOL_SIZE as u64 {
            p.offer(100 + i, b"x", 1);
        }
        assert_eq!(p.len(), EVPOOL_SIZE);
        assert_eq!(p.scores()[0], 100);
        p.offer(50, b"worse", 0);
        assert_eq!(p.scores()[0], 100, "a sample worse than the whole full pool is dropped");
        p.offer(1000, b"best", 2);
        assert_eq!(p.scores()[0], 101);
        assert_eq!(p.pop_best(), Some((1000, b"best".to_vec(), 2)));
    }

    #[test]
    fn time_limit_follows_redis() {
        assert_eq!(eviction_time_limit_us(0), 0);
        assert_eq!(eviction_time_limit_us(10), 500);
        assert_eq!(eviction_time_limit_us(11), 575);
        assert_eq!(eviction_time_limit_us(100), u64::MAX);
        // ~2 minutes at 99.
        let l = eviction_time_limit_us(99);
        assert!((100_000_000..140_000_000).contains(&l), "{l}");
        assert!((11..100).all(|t| eviction_time_limit_us(t) < eviction_time_limit_us(t + 1)));
    }

    #[test]
    fn idle_estimate_handles_wrap() {
        let max = crate::keyspace::object::LRU_MASK;
        assert_eq!(estimate_idle_ms(100, 40), 60_000);
        assert_eq!(estimate_idle_ms(5, max - 10), 15_000);
        assert_eq!(estimate_idle_ms(7, 7), 0);
    }

    #[test]
    fn lfu_counter_maths() {
        let t0 = 1_700_000_000_000i64;
        let f = lfu_init(t0);
        assert_eq!(f & 255, LFU_INIT_VAL);
        assert_eq!(f >> 8, lfu_minutes(t0));
        // Decay: one per `decay_time` minutes, never below zero; 0 disables it.
        let c200 = (lfu_minutes(t0) << 8) | 200;
        assert_eq!(lfu_decayed_counter(c200, 1, t0 + 3 * 60_000), 197);
        assert_eq!(lfu_decayed_counter(c200, 2, t0 + 3 * 60_000), 199);
        assert_eq!(lfu_decayed_counter(c200, 0, t0 + 3 * 60_000_000), 200);
        assert_eq!(lfu_decayed_counter(c200, 1, t0 + 1000 * 60_000), 0);
        // Counters at or below the initial value always increment; 255 saturates.
        assert_eq!(lfu_log_incr(0, 10), 1);
        assert_eq!(lfu_log_incr(LFU_INIT_VAL, 10), LFU_INIT_VAL + 1);
        assert_eq!(lfu_log_incr(255, 10), 255);
        // Logarithmic growth: with factor 10, a million hits reach the top, a hundred stay low.
        let mut c = LFU_INIT_VAL;
        for _ in 0..100 {
            c = lfu_log_incr(c, 10);
        }
        assert!((10..=25).contains(&c), "100 hits: {c}");
        for _ in 0..1_000_000 {
            c = lfu_log_incr(c, 10);
        }
        assert!(c >= 240, "1M hits: {c}");
        // A touch stamps the current minutes.
        let t = lfu_touch(c200, 10, 1, t0 + 5 * 60_000);
        assert_eq!(t >> 8, lfu_minutes(t0 + 5 * 60_000));
        assert!((195..=196).contains(&(t & 255)));
    }

    #[test]
    fn touch_respects_policy_and_child() {
        let mut srv = ServerState::new(Config::default());
        let mut e = Entry::new_string(b"k", b"v");
        e.set_lru(1);
        srv.lru_clock = 777;
        Touch::of(&srv).apply(&mut e);
        assert_eq!(e.lru(), 777);
        srv.child_pid = Some(1);
        srv.lru_clock = 900;
        Touch::of(&srv).apply(&mut e);
        assert_eq!(e.lru(), 777, "no touch while a child shares memory");
        srv.child_pid = None;
        srv.config.maxmemory_policy = MaxmemoryPolicy::AllKeysLfu;
        e.set_lru(lfu_init(srv.now_ms));
        Touch::of(&srv).apply(&mut e);
        assert_eq!(e.lru() & 255, LFU_INIT_VAL + 1);
    }

    fn state_with(policy: MaxmemoryPolicy) -> ServerState {
        let mut srv = ServerState::new(Config::default());
        srv.config.maxmemory_policy = policy;
        srv
    }

    #[test]
    fn lru_pool_picks_the_idlest_and_volatile_only_ttl_keys() {
        let mut srv = state_with(MaxmemoryPolicy::AllKeysLru);
        srv.lru_clock = 10_000;
        for i in 0..100u32 {
            let mut e = Entry::new_string(format!("k{i}").as_bytes(), b"v");
            // k0 is the idlest.
            e.set_lru(5_000 + i * 10);
            srv.dbs[0].insert(e);
        }
        // With 100 keys and 64 samples per round, a few rounds see every key.
        srv.config.maxmemory_samples = 64;
        let mut seen_k0 = false;
        for _ in 0..20 {
            if let Some((k, _)) = pick_victim(&mut srv) {
                if k == b"k0" {
                    seen_k0 = true;
                    break;
                }
            }
        }
        assert!(seen_k0, "the idlest key is eventually the victim");

        let mut srv = state_with(MaxmemoryPolicy::VolatileLru);
        for i in 0..1000 {
            srv.dbs[0].insert(Entry::new_string(format!("p{i}").as_bytes(), b"v"));
        }
        assert_eq!(pick_victim(&mut srv), None, "no TTL keys: nothing to evict");
        srv.dbs[0].insert(Entry::new_string(b"t", b"v"));
        srv.dbs[0].set_expire(b"t", i64::MAX / 2);
        let mut found = false;
        for _ in 0..50 {
            match pick_victim(&mut srv) {
                Some((k, 0)) => {
                    assert_eq!(k, b"t");
                    found = true;
                    break;
                }
                Some(other) => panic!("evicted a key without TTL: {other:?}"),
                None => {}
            }
        }
        assert!(found, "the only TTL key is found by the bounded walk");
    }

    #[test]
    fn volatile_ttl_prefers_soonest_and_random_policies_respect_ttl() {
        let mut srv = state_with(MaxmemoryPolicy::VolatileTtl);
        srv.config.maxmemory_samples = 64;
        for i in 0..20i64 {
            let k = format!("t{i}");
            srv.dbs[0].insert(Entry::new_string(k.as_bytes(), b"v"));
            srv.dbs[0].set_expire(k.as_bytes(), 1_000_000 + i);
        }
        assert_eq!(pick_victim(&mut srv).map(|v| v.0), Some(b"t0".to_vec()));

        let mut srv = state_with(MaxmemoryPolicy::VolatileRandom);
        for i in 0..200 {
            srv.dbs[3].insert(Entry::new_string(format!("p{i}").as_bytes(), b"v"));
        }
        srv.dbs[3].insert(Entry::new_string(b"t", b"v"));
        srv.dbs[3].set_expire(b"t", i64::MAX / 2);
        for _ in 0..20 {
            assert_eq!(pick_victim(&mut srv), Some((b"t".to_vec(), 3)));
        }
        let mut srv = state_with(MaxmemoryPolicy::AllKeysRandom);
        assert_eq!(pick_victim(&mut srv), None);
        srv.dbs[5].insert(Entry::new_string(b"only", b"v"));
        assert_eq!(pick_victim(&mut srv), Some((b"only".to_vec(), 5)));
    }

    #[test]
    fn lfu_score_is_inverse_frequency() {
        let srv = state_with(MaxmemoryPolicy::AllKeysLfu);
        let s = Score::of(&srv, MaxmemoryPolicy::AllKeysLfu);
        let mut hot = Entry::new_string(b"hot", b"v");
        hot.set_lru((lfu_minutes(srv.now_ms) << 8) | 200);
        let mut cold = Entry::new_string(b"cold", b"v");
        cold.set_lru(lfu_init(srv.now_ms));
        assert_eq!(s.score(&hot), 55);
        assert_eq!(s.score(&cold), 250);
    }
}
