//! Eviction, in one folder (Redis's `evict.c`, and 7.0's client eviction from `networking.c`):
//!
//! - this file: `maxmemory` eviction's operations on the server state: the touch a lookup applies, the memory
//!   over the limit, Redis's `performEvictions` with the victim choice per policy, the OOM check before a
//!   command, and the background eviction timer;
//! - [`pool`]: its data and maths: the header's LRU/LFU bit layout, the candidate pool, the touch, the scores
//!   (what [`ServerState`] holds, so it names nothing of the state);
//! - [`clients`]: client eviction (`maxmemory-clients`): client memory by bucket, the biggest closed first.
//!
//! The folder sits in the state layer, because its operations need the whole state (the databases, the clients, the
//! statistics); the data files below them import nothing of `state/mod.rs`, so the state can hold them without an
//! import cycle. What each client keeps for client eviction ([`Tracked`](crate::net::client::Tracked)) is part of the
//! client.

#![forbid(unsafe_code)]

pub mod clients;
pub mod pool;

use crate::config::MaxmemoryPolicy;
use crate::keyspace::object::Entry;
use crate::net::client::ClientState;
use crate::state::evict::pool::{
    estimate_idle_ms, eviction_time_limit_us, populate, EvictResult, Touch, EMPTY_ROUNDS_MAX, KEYS_PER_TIME_CHECK,
    VOLATILE_WALK_MAX,
};
use crate::state::ServerState;
use std::time::Instant;

/// The touch for a lookup now (Redis's `lookupKey`: no update while a child process is active).
#[inline]
pub fn touch(srv: &ServerState) -> Touch {
    if srv.persist.child_pid.is_some() {
        Touch::Skip
    } else if srv.config.maxmemory_policy.is_lfu() {
        Touch::Lfu { log_factor: srv.config.lfu_log_factor, decay_time: srv.config.lfu_decay_time, now_ms: srv.now_ms }
    } else {
        Touch::Lru(srv.lru_clock)
    }
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
///
/// [`OOM_ERR`]: crate::state::evict::pool::OOM_ERR
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
    crate::state::tracking::deliver(srv, Some(c), crate::state::tracking::tracker::Flush::Now);
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
    let Some(to_free) = srv.memory_to_free() else { return EvictResult::Ok };
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
            let before = crate::alloc::used_memory() as i64;
            // Big values go to the lazy-free thread with `lazyfree-lazy-eviction` (Redis's `dbAsyncDelete`).
            srv.lazyfree.free_deleted(e, lazy);
            Some(before - crate::alloc::used_memory() as i64)
        });
        if let Some(delta) = deleted {
            freed += delta;
            srv.stats.evicted_keys += 1;
            crate::state::notify::emit(srv, me.as_deref_mut(), crate::config::notify::EVICTED, "evicted", &key, db);
            keys_freed += 1;
        }
        srv.evict.pool.recycle(key);
        // Memory the lazy-free thread releases does not show in `freed`: check the real figure now and then, as
        // Redis does every 16 keys.
        if lazy && keys_freed % 16 == 0 && srv.memory_to_free().is_none() {
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
            if srv.memory_to_free().is_none() {
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
    crate::state::notify::drain_queues(srv, true, None, |_| {});
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
            let now = d.find(&key).filter(|e| allkeys || e.has_expire()).map(|e| score.score(e));
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
            if let Some(e) = db.random_entry(rng) {
                return Some((e.key().to_vec(), j));
            }
            continue;
        }
        if db.expires_len() == 0 {
            continue;
        }
        // A random key with a TTL: a few uniform draws, then a bounded walk from a random slot.
        for _ in 0..16 {
            if let Some(e) = db.random_entry(rng).filter(|e| e.has_expire()) {
                return Some((e.key().to_vec(), j));
            }
        }
        let mut found = None;
        db.sample(db.len().min(VOLATILE_WALK_MAX * 16), rng, |e| {
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
            let used = crate::alloc::used_memory().saturating_sub(srv.mem_not_counted_for_evict());
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
    use crate::config::Config;
    use crate::keyspace::object::{lfu_init, lfu_minutes, LFU_INIT_VAL};

    #[test]
    fn touch_respects_policy_and_child() {
        let mut srv = ServerState::new(Config::default());
        let mut e = Entry::new_string(b"k", b"v");
        e.set_lru(1);
        srv.lru_clock = 777;
        touch(&srv).apply(&mut e);
        assert_eq!(e.lru(), 777);
        srv.persist.child_pid = Some(1);
        srv.lru_clock = 900;
        touch(&srv).apply(&mut e);
        assert_eq!(e.lru(), 777, "no touch while a child shares memory");
        srv.persist.child_pid = None;
        srv.config.maxmemory_policy = MaxmemoryPolicy::AllKeysLfu;
        e.set_lru(lfu_init(srv.now_ms));
        touch(&srv).apply(&mut e);
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
