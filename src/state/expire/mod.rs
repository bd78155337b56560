//! Active expiry and the per-database cron work (Redis's `activeExpireCycle` and `databasesCron`).
//!
//! Keys with a TTL are deleted lazily when touched (see [`crate::keyspace::db::Db::lookup`]); this module also deletes
//! them when nobody touches them. Each cycle walks the databases round-robin and, per database, scans the keyspace
//! from `db.expire_cursor` in buckets (the dict's SCAN cursor, so across calls every TTL key is reached; TTLs live
//! in the entries, so the entries without one are passed over),
//! sampling about 20 keys per round (scaled by the effort), deleting the expired ones, and repeating while more
//! than the acceptable share (10% at effort 1) of the sampled keys were stale — within a time budget:
//!
//! ```text
//!   slow cycle (cron, hz times/s):  25% of a cron period  = 1_000_000 * 25 / hz / 100 µs
//!   fast cycle (before each sleep): 1000 µs, at most once per 2000 µs, only when the last slow cycle hit its
//!                                   time limit or the estimated stale share is above the acceptable one
//! ```
//!
//! The cycle keeps its small cross-call state (next database, whether the last cycle ran out of time, when the last
//! fast cycle ran) in [`Cycle`], [`ServerState::expire_cycle`](crate::state::ServerState::expire_cycle) (Redis keeps it
//! in function statics). Tested by the unit tests below (keys with a past TTL disappear without being accessed; the
//! fast cycle's gating; statistics).

#![forbid(unsafe_code)]

use crate::keyspace::db::{LazyExpiry, LookupClock};
use crate::state::ServerState;

pub mod cycle;
pub use cycle::Cycle;
use std::time::Instant;

/// Keys sampled per database per round at effort 1 (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const KEYS_PER_LOOP: u64 = 20;
/// Fast cycle duration at effort 1, in microseconds.
pub const FAST_DURATION_US: u64 = 1000;
/// Share of CPU the slow cycle may use, in percent, at effort 1.
pub const SLOW_TIME_PERC: u64 = 25;
/// The longest one slow cycle, or one slice of its share, may hold the event loop, whatever `hz` and the effort
/// give (Redis's slow cycle takes its whole share at once: 25 ms at hz 10, the longest pause a mass expiry causes
/// there). Ours stops after 1 ms, a fast cycle's length; a cycle cut short leaves the rest of its share
/// (`SLOW_TIME_PERC` of the cron period) to slices of at most this long, run between event passes with the loop
/// not sleeping meanwhile ([`expire_slice`]), and after that the stale keys to the fast cycles (1 ms each, at most
/// one per 2 ms, between event batches) until the estimated stale share falls below the acceptable one. An idle
/// server thus expires at Redis's pace or faster, and a busy one never waits more than a slice (the figures behind
/// the 1 ms: `benches/README.md`, "Active expiry").
pub const SLOW_MAX_US: u64 = 1_000;
/// Stale-key percentage that keeps a database's loop going, at effort 1.
pub const ACCEPTABLE_STALE: u64 = 10;
/// Databases visited per cron call (`CRON_DBS_PER_CALL`).
pub const DBS_PER_CALL: usize = 16;

/// Which active expire cycle runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleKind {
    /// The short cycle before the event loop sleeps.
    Fast,
    /// The cron's cycle (its first [`SLOW_MAX_US`]).
    Slow,
    /// A slice of what the cron's cycle left of its share ([`expire_slice`]).
    Slice,
}

/// One active expire cycle with the configured `active-expire-effort`: `fast` the short one before the loop
/// sleeps, otherwise the cron's slow one; see [`active_expire_cycle_with_effort`].
pub fn active_expire_cycle(state: &mut ServerState, fast: bool) {
    run_cycle(state, if fast { CycleKind::Fast } else { CycleKind::Slow });
}

/// Whether the cron's slow cycle left some of its share to [`expire_slice`] (the loop then polls without
/// sleeping).
#[inline]
pub fn expire_slice_pending(state: &ServerState) -> bool {
    state.expire_cycle.slow_credit_us > 0
}

/// Spends up to [`SLOW_MAX_US`] of what the cron's slow cycle left of its share (called before the loop sleeps,
/// in the fast cycle's place, while [`expire_slice_pending`]). Not on a replica or while loading: the share is
/// dropped then, so the loop does not keep polling for it.
pub fn expire_slice(state: &mut ServerState) {
    if !expire_slice_pending(state) {
        return;
    }
    if state.repl.is_replica() || state.persist.stats.loading {
        state.expire_cycle.slow_credit_us = 0;
        return;
    }
    run_cycle(state, CycleKind::Slice);
}

fn run_cycle(state: &mut ServerState, kind: CycleKind) {
    let effort = state.config.active_expire_effort;
    active_expire_cycle_with_effort(state, kind, effort);
    crate::state::notify::drain_queues(state, true, None, |state| {
        // Hash fields have their own slow call in the cron and fast calls between passes, not in slices.
        if kind != CycleKind::Slice {
            field_expire_cycle(state, kind == CycleKind::Fast);
        }
    });
}

/// One active expire cycle of `kind`. `effort` is `active-expire-effort` (1..=10; clamped).
pub fn active_expire_cycle_with_effort(state: &mut ServerState, kind: CycleKind, effort: i64) {
    let fast = kind == CycleKind::Fast;
    // What is left of the slow cycle's share: taken here, and given back below when this cycle stops at its time
    // limit (a cycle that returns early, or finds nothing more to do, leaves none).
    let credit = if fast { 0 } else { std::mem::take(&mut state.expire_cycle.slow_credit_us) };
    if kind == CycleKind::Slow && credit > 0 {
        // The last share was not used up before this cron call: it was cut short all the same.
        state.stats.expired_time_cap_reached_count += 1;
    }
    if !state.active_expire_enabled || state.dbs.is_empty() {
        return;
    }
    // Like Redis, no key expires actively while CLIENT PAUSE holds (any mode): the dataset must stay unchanged.
    if state.pause.mode_at(crate::util::now_ms()) != crate::state::PauseMode::Off {
        return;
    }
    let effort = (effort.clamp(1, 10) - 1) as u64;
    let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
    let fast_duration_us = FAST_DURATION_US + FAST_DURATION_US / 4 * effort;
    let slow_time_perc = SLOW_TIME_PERC + 2 * effort;
    let acceptable_stale = ACCEPTABLE_STALE - effort;

    let start = Instant::now();
    let start_us = crate::util::now_us();
    if fast {
        // Only worth it when the last cycle was cut short or many keys are estimated stale, and not too often.
        // (`expired_stale_perc` is a fraction, 0..1; INFO prints it times 100.)
        if !state.expire_cycle.timelimit_exit && state.stats.expired_stale_perc * 100.0 < acceptable_stale as f64 {
            return;
        }
        if start_us < state.expire_cycle.last_fast_cycle_us + 2 * fast_duration_us as i64 {
            return;
        }
        state.expire_cycle.last_fast_cycle_us = start_us;
    }
    let ndbs = state.dbs.len();
    let dbs_per_call = if state.expire_cycle.timelimit_exit { ndbs } else { DBS_PER_CALL.min(ndbs) };
    let hz = state.config.hz.max(1) as u64;
    let share_us = (slow_time_perc * 1_000_000 / hz / 100).max(1);
    let timelimit_us = match kind {
        CycleKind::Fast => fast_duration_us,
        CycleKind::Slow => share_us.min(SLOW_MAX_US),
        CycleKind::Slice => credit.clamp(1, SLOW_MAX_US),
    };
    state.expire_cycle.timelimit_exit = false;

    let mut total_sampled = 0u64;
    let mut total_expired = 0u64;
    let mut expired_keys: Vec<Vec<u8>> = Vec::new();
    for _ in 0..dbs_per_call {
        if state.expire_cycle.timelimit_exit {
            break;
        }
        let cur = state.expire_cycle.current_db;
        state.expire_cycle.current_db = cur.wrapping_add(1);
        let mode = state.lookup_clock();
        let db = &mut state.dbs[cur % ndbs];
        loop {
            let num = db.expires_len() as u64;
            if num == 0 {
                db.avg_ttl_ms = 0;
                break;
            }
            // A very sparse table makes sampling expensive; wait for the cron to shrink it, unless the shrink itself
            // waits for its clustering check (a big table's is read a slice per cron call; see `Dict::shrink_to`).
            let keys = db.len() as u64;
            let slots = db.buckets() as u64;
            if slots > crate::keyspace::dict::MIN_SIZE as u64 && keys * 100 / slots < 1 && !db.shrink_waiting() {
                break;
            }
            let now_ms = crate::util::now_ms().max(state.now_ms);
            let clock = LookupClock { now_ms, ..mode };
            let num = num.min(keys_per_loop);
            // TTLs live in the keyspace entries, so the walk also passes keys without one: with a share f of keys
            // carrying a TTL, `num` samples take about num/f entries. The bucket bound grows with 1/f (up to 16×
            // Redis's bound of 20 buckets per wanted sample), so a keyspace where a quarter of the keys have TTLs
            // is sampled as densely as Redis samples its expires table.
            let sparseness = keys.div_ceil(db.expires_len().max(1) as u64).clamp(1, 16);
            let max_buckets = num * 20 * sparseness;
            let (mut sampled, mut expired, mut ttl_sum, mut ttl_samples) = (0u64, 0u64, 0i64, 0i64);
            let mut buckets = 0;
            while sampled < num && buckets < max_buckets {
                expired_keys.clear();
                db.expire_scan_step(|x| {
                    let Some(when) = x.expire_ms() else { return };
                    sampled += 1;
                    let ttl = when - now_ms;
                    if ttl <= 0 {
                        expired_keys.push(x.key().to_vec());
                    } else {
                        // Saturating: deadlines near i64::MAX (PEXPIREAT k 9223372036854775807) are legal.
                        ttl_sum = ttl_sum.saturating_add(ttl);
                        ttl_samples += 1;
                    }
                });
                for k in &expired_keys {
                    if db.expire_if_needed(k, clock) {
                        expired += 1;
                    }
                }
                buckets += 1;
            }
            total_expired += expired;
            total_sampled += sampled;
            if ttl_samples > 0 {
                let avg = ttl_sum / ttl_samples;
                if db.avg_ttl_ms == 0 {
                    db.avg_ttl_ms = avg;
                }
                db.avg_ttl_ms = (db.avg_ttl_ms / 50) * 49 + avg / 50;
            }
            // The clock is read every round (Redis: every 16th), a few dozen nanoseconds against a round's
            // sampling, so a cycle overruns its limit by at most one round.
            if start.elapsed().as_micros() as u64 > timelimit_us {
                state.expire_cycle.timelimit_exit = true;
                break;
            }
            if sampled != 0 && expired * 100 / sampled <= acceptable_stale {
                break;
            }
        }
    }
    let spent_us = start.elapsed().as_micros() as u64;
    if state.expire_cycle.timelimit_exit {
        let left = match kind {
            CycleKind::Fast => 0,
            CycleKind::Slow => share_us.saturating_sub(spent_us),
            CycleKind::Slice => credit.saturating_sub(spent_us),
        };
        state.expire_cycle.slow_credit_us = left;
        // A slow cycle counts as cut short when its whole share ran out (Redis's one call takes all of it).
        if left == 0 {
            state.stats.expired_time_cap_reached_count += 1;
        }
    }
    let us = state.expire_cycle.us_remainder + spent_us;
    state.stats.expire_cycle_cpu_ms += us / 1000;
    state.expire_cycle.us_remainder = us % 1000;
    // The stale estimate moves once per cycle as in Redis: a slow cycle's slices count as one, the last.
    if kind != CycleKind::Slice || state.expire_cycle.slow_credit_us == 0 {
        let current = if total_sampled > 0 { total_expired as f64 / total_sampled as f64 } else { 0.0 };
        state.stats.expired_stale_perc = current * 0.05 + state.stats.expired_stale_perc * 0.95;
    }
}

/// How long one call of [`field_expire_cycle`] may hold the loop: the cron's call, and a fast call before the event
/// loop sleeps (made only while the last call left due fields behind, and only once the loop has had
/// [`FIELD_CYCLE_FAST_US`] to itself since the last call of either kind ended). The budget is checked between
/// steps, so a call ends at most one step past it (see `FIELDS_PER_STEP`). The worst hold of the loop is then
/// one slow call and the rest of its cron run (measured during a mass expiry of a million fields:
/// `benches/README.md`, "Figures the module docs point to").
pub const FIELD_CYCLE_SLOW_US: u64 = 2_000;
pub const FIELD_CYCLE_FAST_US: u64 = FAST_DURATION_US;
/// Fields one hash gives up in one step, and table buckets its pass walks in one step; a step is the unit a call's
/// budget can be overrun by (what one step takes: `benches/README.md`, "Figures the module docs point to").
const FIELDS_PER_STEP: usize = 256;
const BUCKETS_PER_STEP: usize = 4096;

/// Active expiry of hash fields (Redis 7.4's `activeExpireHashFieldCycle`): the hashes filed in each database's
/// `hexpires` whose time came are taken in time order; each gives up its due fields (an HDEL propagated for each,
/// `hexpired` once per step, `del` with the hash when none is left) and is filed again under its next expiry. A
/// big table is walked in steps with a cursor it keeps, so one hash never holds the loop for long; the call stops
/// after [`FIELD_CYCLE_SLOW_US`] (fast: [`FIELD_CYCLE_FAST_US`]). Redis bounds its call by a count instead (10000
/// fields a second over `hz` calls); a time bound keeps up with mass expiry and bounds the pause the same.
///
/// A fast call never follows another call directly: the cron's slow call runs among the loop's timers and the
/// next iteration's `before_sleep` comes before the loop polls again, so a fast call there would add its 1 ms to
/// the slow call's 2 ms in one hold of the loop (PINGs waiting 3.5 ms and more in the benchmark).
pub fn field_expire_cycle(state: &mut ServerState, fast: bool) {
    if !state.active_expire_enabled || state.dbs.iter().all(|d| !d.has_field_ttls()) {
        return;
    }
    if state.pause.mode_at(crate::util::now_ms()) != crate::state::PauseMode::Off {
        return;
    }
    let rested = |end: Instant| end.elapsed().as_micros() >= u128::from(FIELD_CYCLE_FAST_US);
    if fast && (!state.expire_cycle.fields_backlog || !state.expire_cycle.fields_end.is_none_or(rested)) {
        return;
    }
    field_expire_steps(state, fast);
    state.expire_cycle.fields_end = Some(Instant::now());
}

/// The steps of one [`field_expire_cycle`] call, until its budget is spent or no hash is due.
fn field_expire_steps(state: &mut ServerState, fast: bool) {
    let start = Instant::now();
    let budget = if fast { FIELD_CYCLE_FAST_US } else { FIELD_CYCLE_SLOW_US };
    state.expire_cycle.fields_backlog = false;
    let now = crate::util::now_ms().max(state.now_ms);
    for i in 0..state.dbs.len() {
        loop {
            if start.elapsed().as_micros() as u64 >= budget {
                state.expire_cycle.fields_backlog = true;
                return;
            }
            let Some(key) = state.dbs[i].take_due_hash(now.max(0) as u64) else { break };
            let db = &mut state.dbs[i];
            let Some(crate::keyspace::object::Value::Hash(h)) = db.find_mut(&key).and_then(|e| e.value_mut()) else {
                continue;
            };
            let mut gone: Vec<Vec<u8>> = Vec::new();
            let before = h.len();
            h.expire_due(now, FIELDS_PER_STEP, BUCKETS_PER_STEP, |f| gone.push(f.to_vec()));
            let emptied = h.is_empty();
            let class = |n: usize| crate::keyspace::keysizes::class(crate::keyspace::object::ObjType::Hash, n as u64);
            let after = h.len();
            db.size_changed(class(before), class(after));
            if emptied {
                db.delete(&key);
            } else {
                db.refile_hash(&key);
            }
            if gone.is_empty() {
                continue;
            }
            state.stats.expired_subkeys += gone.len() as u64;
            for f in &gone {
                state.prop.also(i, &[&b"HDEL"[..], &key, f], crate::propagate::TARGET_ALL);
                state.prop.flush_unit();
            }
            let fields: Vec<&[u8]> = gone.iter().map(|f| f.as_slice()).collect();
            crate::state::notify::emit_with(state, None, crate::config::notify::HASH, "hexpired", &key, i, &fields);
            if emptied {
                crate::state::notify::emit(state, None, crate::config::notify::GENERIC, "del", &key, i);
            }
            state.key_changed(i, &key, 0, 0);
            // The feed's appends for these fields, in a unit of their own.
            state.prop.flush_unit();
        }
    }
}

/// Per-database cron work, called `hz` times per second: the slow expire cycle, table resizing (not while a child
/// process shares our memory), and (with `activerehashing`) the grant of [`CRON_REHASH_US`] of incremental
/// rehashing, which [`rehash_slice`] spends between event passes.
pub fn databases_cron(state: &mut ServerState) {
    // A replica never expires its master's keys on its own: its master's DELs do (reads meanwhile treat them as
    // missing); only the keys its own clients gave a TTL.
    if state.active_expire_enabled {
        if !state.repl.is_replica() {
            crate::latency::timed("expire-cycle", || active_expire_cycle(state, false));
        } else if !state.repl.keys_with_expire.is_empty() {
            expire_replica_keys(state);
        }
    }
    crate::latency::timed("dict-cron", || tables_cron(state));
}

/// Incremental rehashing the cron grants per call, in microseconds: Redis's `databasesCron` rehashes for 1 ms
/// per call with `activerehashing` (`incrementallyRehash`), and so does ours in total, but in slices.
pub const CRON_REHASH_US: u64 = 1000;

/// The longest one slice of that grant holds the event loop ([`rehash_slice`]). Redis spends its millisecond at
/// once, so a request that arrives then waits for all of it; ten slices, each after a pass over the ready clients
/// and their replies, keep that wait to a tenth, and the loop does not sleep while any of the grant is left, so
/// an idle server still spends the whole millisecond per call.
pub const REHASH_SLICE_US: u64 = 100;

/// The keyspace tables' share of the cron: a resize decision for a few databases, then (with `activerehashing`)
/// the grant of [`CRON_REHASH_US`] of rehashing for [`rehash_slice`] (Redis's `databasesCron`). Nothing while a
/// child process shares our memory: a migration writes every page it passes, which the child would then copy.
fn tables_cron(state: &mut ServerState) {
    let ndbs = state.dbs.len();
    state.expire_cycle.rehash_credit_us = 0;
    if ndbs == 0 {
        return;
    }
    let resize_allowed = state.persist.child_pid.is_none();
    for db in state.dbs.iter_mut() {
        db.set_resize_allowed(resize_allowed);
    }
    if !resize_allowed {
        return;
    }
    let per_call = DBS_PER_CALL.min(ndbs);
    for _ in 0..per_call {
        let i = state.expire_cycle.resize_db % ndbs;
        state.expire_cycle.resize_db = i + 1;
        state.dbs[i].resize_if_needed();
    }
    if state.config.activerehashing {
        state.expire_cycle.rehash_credit_us = CRON_REHASH_US;
        rehash_slice(state);
    }
}

/// Whether some of the cron's rehash grant is left for [`rehash_slice`] (the loop then polls without sleeping).
#[inline]
pub fn rehash_pending(state: &ServerState) -> bool {
    state.expire_cycle.rehash_credit_us > 0
}

/// Spends up to [`REHASH_SLICE_US`] of the cron's rehash grant on the first database (of [`DBS_PER_CALL`] from where
/// the last call stopped) whose table migrates (the resize decisions stay with the cron's `tables_cron`), and takes
/// what it spent off the grant; a grant with no migration left to work on is dropped. Called by the cron after its
/// grant and before the loop polls again (`before_sleep`), after the pass's replies are written.
pub fn rehash_slice(state: &mut ServerState) {
    let credit = state.expire_cycle.rehash_credit_us;
    let ndbs = state.dbs.len();
    if credit == 0 || ndbs == 0 || state.persist.child_pid.is_some() {
        state.expire_cycle.rehash_credit_us = 0;
        return;
    }
    let start = std::time::Instant::now();
    let budget = credit.min(REHASH_SLICE_US);
    let mut worked = false;
    for _ in 0..DBS_PER_CALL.min(ndbs) {
        let i = state.expire_cycle.rehash_db % ndbs;
        if state.dbs[i].rehash_for_us(budget) {
            worked = true;
            break;
        }
        state.expire_cycle.rehash_db = (i + 1) % ndbs;
    }
    let spent = (start.elapsed().as_micros() as u64).max(1);
    state.expire_cycle.rehash_credit_us = if worked { credit.saturating_sub(spent) } else { 0 };
}

/// `INFO stats` `expired_keys`: every expiry, lazy or active, is counted in its database.
pub fn expired_keys_total(state: &ServerState) -> u64 {
    state.stats.expired_keys + state.dbs.iter().map(|d| d.expired_keys).sum::<u64>()
}

/// Zeroes the per-database expiry counters (`CONFIG RESETSTAT`).
pub fn reset_expire_stats(state: &mut ServerState) {
    for d in state.dbs.iter_mut() {
        d.expired_keys = 0;
    }
    state.stats.expired_keys = 0;
}

/// After a write by a client of a writable replica: its keys that now have a TTL are remembered, so the replica
/// expires them itself (Redis's `rememberSlaveKeyWithExpire`; databases past the 64th are not tracked).
pub fn remember_replica_keys(
    state: &mut ServerState,
    cmd: &crate::command_spec::Command,
    args: crate::args::Args,
    db: usize,
) {
    if db >= 64 || state.config.stored_bool("replica-read-only") {
        return;
    }
    for i in cmd.key_positions(args) {
        let key = args.get(i);
        if state.dbs.get(db).is_some_and(|d| d.expire_of(key).is_some()) {
            *state.repl.keys_with_expire.entry(key.to_vec()).or_insert(0) |= 1 << db;
        }
    }
}

/// Deletes the remembered keys of a writable replica whose TTL passed, and forgets those that no longer carry a
/// TTL in a database (Redis's `expireSlaveKeys`). The deletions are propagated to our own replicas.
pub fn expire_replica_keys(state: &mut ServerState) {
    let now = crate::util::now_ms();
    let tracked = std::mem::take(&mut state.repl.keys_with_expire);
    // The remembered keys go whatever the mode: due is due for the replica's own writes.
    let clock = LookupClock { now_ms: now, expiry: LazyExpiry::default(), events: state.db_events };
    let mut keep = std::collections::HashMap::with_capacity(tracked.len());
    for (key, mask) in tracked {
        let mut left = 0u64;
        for db in 0..64.min(state.dbs.len()) {
            if mask & (1 << db) == 0 {
                continue;
            }
            let d = &mut state.dbs[db];
            match d.expire_of(&key) {
                Some(t) if t <= now => {
                    d.expire_if_needed(&key, clock);
                }
                Some(_) => left |= 1 << db,
                None => {}
            }
        }
        if left != 0 {
            keep.insert(key, left);
        }
    }
    state.repl.keys_with_expire = keep;
    crate::state::notify::drain_queues(state, true, None, |_| {});
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::keyspace::object::Entry;

    fn state() -> ServerState {
        let config = Config { databases: 4, ..Config::default() };
        ServerState::new(config)
    }

    #[test]
    fn past_ttls_disappear_without_access() {
        let mut s = state();
        let now = crate::util::now_ms();
        for db in 0..2 {
            for i in 0..500 {
                let k = format!("k{i}");
                s.dbs[db].insert(Entry::new_string(k.as_bytes(), b"v"));
                // Half already expired, half far in the future.
                let when = if i % 2 == 0 { now - 1000 } else { now + 3_600_000 };
                s.dbs[db].set_expire(k.as_bytes(), when);
            }
            s.dbs[db].insert(Entry::new_string(b"plain", b"v"));
        }
        for _ in 0..200 {
            active_expire_cycle(&mut s, false);
        }
        for db in 0..2 {
            assert_eq!(s.dbs[db].len(), 251, "db {db}");
            assert_eq!(s.dbs[db].expires_len(), 250);
            assert_eq!(s.dbs[db].expired_keys, 250);
            assert!(s.dbs[db].avg_ttl_ms > 3_000_000, "avg ttl {}", s.dbs[db].avg_ttl_ms);
        }
        assert_eq!(expired_keys_total(&s), 500);
        reset_expire_stats(&mut s);
        assert_eq!(expired_keys_total(&s), 0);
    }

    #[test]
    fn a_quarter_of_the_keyspace_expiring_is_found_by_the_keyspace_walk() {
        // TTLs live in the entries: the cycle walks the keyspace and passes 3 keys without a TTL for each one with.
        let mut s = state();
        let now = crate::util::now_ms();
        for i in 0..40_000 {
            let k = format!("key:{i:012}");
            s.dbs[0].insert(Entry::new_string(k.as_bytes(), b"v"));
            if i % 4 == 0 {
                s.dbs[0].set_expire(k.as_bytes(), now - 1);
            }
        }
        let mut cycles = 0;
        while s.dbs[0].expires_len() > 0 && cycles < 2000 {
            active_expire_cycle(&mut s, false);
            cycles += 1;
        }
        assert_eq!(s.dbs[0].len(), 30_000, "after {cycles} cycles");
        assert_eq!(s.dbs[0].expired_keys, 10_000);
    }

    #[test]
    fn a_fast_field_cycle_waits_a_fast_duration_after_any_field_cycle() {
        use crate::keyspace::object::Value;
        use crate::keyspace::types::{hash::Hash, Thresholds};
        let mut s = state();
        let (th, mut h) = (Thresholds::default(), Hash::new());
        let past = crate::util::now_ms() as u64 - 1;
        for i in 0..50_000 {
            let f = format!("f{i}");
            h.set(f.as_bytes(), b"v", &th);
            h.set_expire(f.as_bytes(), past);
        }
        s.dbs[0].insert(Entry::new_value(b"h", Value::Hash(h)));
        s.dbs[0].refile_hash(b"h");
        let hlen = |s: &ServerState| match s.dbs[0].find(b"h").and_then(|e| e.value()) {
            Some(Value::Hash(h)) => h.len(),
            _ => 0,
        };
        // A slow call spends its budget long before 50k fields are gone, and notes when it ended.
        field_expire_cycle(&mut s, false);
        let left = hlen(&s);
        assert!(left > 0 && left < 50_000 && s.expire_cycle.fields_backlog, "{left} left");
        assert!(s.expire_cycle.fields_end.is_some());
        // Within a fast duration of the last call's end (here: an end in the future), a fast call does nothing.
        s.expire_cycle.fields_end = Some(Instant::now() + std::time::Duration::from_secs(60));
        field_expire_cycle(&mut s, true);
        assert_eq!(hlen(&s), left);
        // Once the loop has had a fast duration to itself, it runs.
        let rested = std::time::Duration::from_micros(2 * FIELD_CYCLE_FAST_US);
        s.expire_cycle.fields_end = Instant::now().checked_sub(rested);
        field_expire_cycle(&mut s, true);
        assert!(hlen(&s) < left);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        /// Whatever the mix of TTLs and the table states (growth, rehashing in progress), enough slow cycles remove
        /// exactly the keys whose time has passed.
        #[test]
        fn cycles_remove_exactly_the_stale_keys(
            ttls in proptest::collection::vec(proptest::option::of(-5000i64..5000), 1..800),
            effort in 1i64..=10,
        ) {
            let mut s = state();
            let now = crate::util::now_ms();
            let mut live = 0;
            for (i, t) in ttls.iter().enumerate() {
                let k = format!("key:{i}");
                s.dbs[0].insert(Entry::new_string(k.as_bytes(), b"v"));
                match t {
                    // Far enough in the future that the test's own run time cannot make them due.
                    Some(t) if *t > 0 => { s.dbs[0].set_expire(k.as_bytes(), now + 600_000 + t); live += 1; }
                    Some(t) => { s.dbs[0].set_expire(k.as_bytes(), now + t); }
                    None => live += 1,
                }
            }
            for _ in 0..400 {
                active_expire_cycle_with_effort(&mut s, CycleKind::Slow, effort);
            }
            proptest::prop_assert_eq!(s.dbs[0].len(), live);
            let stale = s.dbs[0].iter().filter(|x| x.expire_ms().is_some_and(|t| t <= now)).count();
            proptest::prop_assert_eq!(stale, 0);
        }
    }

    #[test]
    fn a_slow_cycle_cut_short_leaves_its_share_to_slices() {
        // 300k keys due at once: the cron's cycle stops after SLOW_MAX_US with the rest of its share (25% of the
        // cron period) left for slices of at most SLOW_MAX_US, which the loop runs without sleeping; once the share
        // is spent, none is pending until the next cron call.
        let mut s = state();
        let now = crate::util::now_ms();
        for i in 0..300_000 {
            let k = format!("key:{i}");
            s.dbs[0].insert(Entry::new_string(k.as_bytes(), b"v"));
            s.dbs[0].set_expire(k.as_bytes(), now - 1);
        }
        let share = SLOW_TIME_PERC * 1_000_000 / s.config.hz.max(1) as u64 / 100;
        active_expire_cycle(&mut s, false);
        let after_cron = s.dbs[0].len();
        assert!(after_cron > 0, "one cycle of SLOW_MAX_US removed every key");
        assert!(expire_slice_pending(&s));
        let credit = s.expire_cycle.slow_credit_us;
        // The cycle spent part of the share (about SLOW_MAX_US, more when the machine took the CPU away from it
        // meanwhile: the bound is not a timing one) and left the rest.
        assert!(credit > 0 && credit < share, "credit {credit} of {share}");
        let mut slices = 0;
        while expire_slice_pending(&s) {
            let before = s.expire_cycle.slow_credit_us;
            expire_slice(&mut s);
            assert!(s.expire_cycle.slow_credit_us < before, "a slice spent nothing");
            slices += 1;
        }
        assert!(slices >= 2, "{slices} slices");
        assert!(s.dbs[0].len() < after_cron, "the slices removed nothing");
        // A cycle that finds nothing more to do leaves no share behind. (The cron also shrinks the emptied
        // table, which the sampler waits for once it is under 1% full.)
        for _ in 0..10_000 {
            if s.dbs[0].expires_len() == 0 {
                break;
            }
            databases_cron(&mut s);
            while expire_slice_pending(&s) || rehash_pending(&s) {
                expire_slice(&mut s);
                rehash_slice(&mut s);
            }
        }
        assert_eq!(s.dbs[0].expires_len(), 0);
        active_expire_cycle(&mut s, false);
        assert!(!expire_slice_pending(&s));
        // Nor does one that cannot run (expiry turned off, or a replica).
        s.dbs[0].insert(Entry::new_string(b"a", b"v"));
        s.dbs[0].set_expire(b"a", 1);
        s.expire_cycle.slow_credit_us = 10_000;
        s.active_expire_enabled = false;
        expire_slice(&mut s);
        assert!(!expire_slice_pending(&s));
        assert_eq!(s.dbs[0].len(), 1);
        s.active_expire_enabled = true;
        s.expire_cycle.slow_credit_us = 10_000;
        s.persist.stats.loading = true;
        expire_slice(&mut s);
        assert!(!expire_slice_pending(&s));
        assert_eq!(s.dbs[0].len(), 1);
    }

    #[test]
    fn disabled_cycle_does_nothing() {
        let mut s = state();
        s.active_expire_enabled = false;
        s.dbs[0].insert(Entry::new_string(b"a", b"v"));
        s.dbs[0].set_expire(b"a", 1);
        databases_cron(&mut s);
        active_expire_cycle(&mut s, false);
        assert_eq!(s.dbs[0].len(), 1);
        s.active_expire_enabled = true;
        active_expire_cycle(&mut s, false);
        assert_eq!(s.dbs[0].len(), 0);
    }

    #[test]
    fn fast_cycle_runs_only_when_stale_keys_abound() {
        let mut s = state();
        s.dbs[0].insert(Entry::new_string(b"a", b"v"));
        s.dbs[0].set_expire(b"a", 1);
        s.stats.expired_stale_perc = 0.0;
        s.expire_cycle.timelimit_exit = false;
        active_expire_cycle(&mut s, true);
        assert_eq!(s.dbs[0].len(), 1, "fast cycle skipped: nothing suggests stale keys");
        s.stats.expired_stale_perc = 0.5;
        s.expire_cycle.last_fast_cycle_us = 0;
        active_expire_cycle(&mut s, true);
        assert_eq!(s.dbs[0].len(), 0);
        assert!(s.stats.expired_stale_perc < 0.5 + 0.05 + 1e-9);
    }

    #[test]
    fn databases_cron_shrinks_and_respects_children() {
        let mut s = state();
        for i in 0..5000 {
            s.dbs[1].insert(Entry::new_string(format!("k{i}").as_bytes(), b"v"));
        }
        while s.dbs[1].rehash_for_us(1000) {}
        let big = s.dbs[1].table_bytes();
        for i in 0..4990 {
            s.dbs[1].remove(format!("k{i}").as_bytes());
        }
        s.persist.child_pid = Some(1);
        for _ in 0..10 {
            databases_cron(&mut s);
        }
        assert_eq!(s.dbs[1].table_bytes(), big, "no resize while a child shares memory");
        s.persist.child_pid = None;
        for _ in 0..100 {
            databases_cron(&mut s);
        }
        assert!(s.dbs[1].table_bytes() < big / 16);
        assert_eq!(s.dbs[1].len(), 10);
    }

    #[test]
    fn the_crons_rehash_grant_is_spent_in_slices_until_the_migration_ends() {
        let mut s = state();
        // A big table in the middle of a migration.
        let mut n = 0;
        while !(s.dbs[0].is_rehashing() && s.dbs[0].len() > 100_000) {
            s.dbs[0].insert(Entry::new_string(format!("key:{n}").as_bytes(), b"v"));
            n += 1;
        }
        // A child shares our pages: no grant, and a grant left from before is dropped by the next slice.
        s.persist.child_pid = Some(1);
        tables_cron(&mut s);
        assert!(!rehash_pending(&s));
        s.expire_cycle.rehash_credit_us = CRON_REHASH_US;
        rehash_slice(&mut s);
        assert!(!rehash_pending(&s));
        s.persist.child_pid = None;
        // The cron grants its millisecond and spends the first slice of it; the rest goes in more slices, each
        // taking what it spent off the grant, so the grant ends.
        let mut calls = 0;
        while s.dbs[0].is_rehashing() {
            tables_cron(&mut s);
            calls += 1;
            let mut slices = 1;
            while rehash_pending(&s) {
                assert!(s.expire_cycle.rehash_credit_us < CRON_REHASH_US);
                rehash_slice(&mut s);
                slices += 1;
                assert!(slices <= CRON_REHASH_US, "a slice takes at least a microsecond off the grant");
            }
            assert!(calls < 100_000, "the migration never ends");
        }
        assert_eq!(s.dbs[0].len(), n);
        // Nothing migrates: the grant is dropped at the first slice.
        tables_cron(&mut s);
        assert!(!rehash_pending(&s));
        // activerehashing off: no grant.
        s.config.activerehashing = false;
        s.dbs[0].insert(Entry::new_string(b"one-more", b"v"));
        tables_cron(&mut s);
        assert!(!rehash_pending(&s));
    }
}
