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
//! This file holds the data (the pool, the touch, the scores' maths); the operations on the server state
//! (`perform_evictions`, the victim choice, the background timer) are [`crate::state::evict`].
//!
//! When `used_memory` minus the AOF buffer exceeds `maxmemory`, `perform_evictions` deletes keys until enough
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
//! Tested by the unit tests below and in [`crate::state::evict`] (pool ordering, time limits, victims per policy) and
//! end to end against redis-server by tests/operations/eviction.rs (per-policy behaviour, OOM replies, MULTI, the Zipf
//! hit-ratio comparison).

#![forbid(unsafe_code)]

use crate::config::Config;
use crate::keyspace::db::Db;
use crate::keyspace::object::Entry;
use crate::util::Rng;

/// Candidates kept between eviction rounds (Redis's `EVPOOL_SIZE`).
pub const EVPOOL_SIZE: usize = 16;

/// The reply to a command refused because memory is over the limit.
pub const OOM_ERR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Keys evicted between checks of the time limit (Redis checks every 16).
pub(crate) const KEYS_PER_TIME_CHECK: u32 = 16;

/// Most keys a volatile policy walks in one database per sampling round while looking for keys with a TTL.
pub(crate) const VOLATILE_WALK_MAX: usize = 1024;

/// Sampling rounds without finding a single candidate before a pool policy gives up (nothing evictable found).
pub(crate) const EMPTY_ROUNDS_MAX: u32 = 16;

const _: () = assert!(EVPOOL_SIZE >= 2 && KEYS_PER_TIME_CHECK > 0 && VOLATILE_WALK_MAX >= 64);

/// Outcome of [`perform_evictions`] (Redis's `EVICT_OK` / `EVICT_RUNNING` / `EVICT_FAIL`).
///
/// [`perform_evictions`]: crate::state::evict::perform_evictions
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
    pub(crate) next_db: usize,
    /// The background eviction continues after a command hit the time limit (Redis's `isEvictionProcRunning`).
    pub proc_running: bool,
    /// Id of the event-loop timer running [`time_proc`](crate::state::evict::time_proc), once the server armed it.
    pub timer: Option<u64>,
    /// `maxmemory` as last seen by [`before_sleep`](crate::state::evict::before_sleep), to notice CONFIG SET.
    pub(crate) seen_maxmemory: u64,
}

/// How a key access updates the entry's LRU/LFU field; built once per lookup from the server state
/// ([`crate::state::evict::touch`]).
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
    ticks as u64 * crate::keyspace::object::LRU_CLOCK_RESOLUTION_MS as u64
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
    db.sample(walk, rng, |e| {
        if offered >= samples || (!allkeys && !e.has_expire()) {
            return;
        }
        offered += 1;
        pool.offer(score(db, e), e.key(), db_index);
    });
    offered
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
}
