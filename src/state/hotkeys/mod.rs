//! HOTKEYS (Redis 8.6): a tracking session that finds the keys costing the most CPU time and network bytes.
//!
//! `HOTKEYS START METRICS n [CPU] [NET] [COUNT k] [DURATION s] [SAMPLE ratio] [SLOTS n slot ...]` opens a session
//! (the handlers are `command/hotkeys.rs`); from then on every command with keys that the call path finishes
//! hands its cost to [`HotKeys::after_call`]: its time in microseconds (what commandstats counts) and its network
//! bytes (the replication stream's, then the request's and the reply's, as Redis's `call()`), each shared equally
//! by its keys (integer division, as Redis). A command EXEC runs counts EXEC's request and EXEC's reply so far
//! (Redis's per-request byte counters, which EXEC's commands share). A sampled command
//! (each one with probability `1/ratio`) in a selected slot adds its keys to one top-K sketch per metric.
//!
//! What counts, as Redis's `hotkeyStatsUpdateCurrentCmd`:
//! - commands with at least one key (by the command table's key specs, so EVAL's declared keys);
//! - a client's command, and each command EXEC runs, but not the commands a script runs (EVAL is counted with
//!   its declared keys instead); a command that blocks is counted when it is served;
//! - the totals `all-commands-all-slots-us` and `net-bytes-all-commands-all-slots` count every such command,
//!   the `selected-slots` totals only those in the selected slots, the `sampled` totals only the sampled ones.
//!
//! The cost when no session exists is one branch in the call path
//! ([`ServerState::hotkeys`](crate::state::ServerState::hotkeys) is `None`); a stopped session keeps its results for
//! HOTKEYS GET until HOTKEYS RESET.
//!
//! The sketch is Redis's Cuckoo Heavy Keeper ([`chk`]): `count * 10` named keys over two tables of
//! `count * 100` buckets (a power of two), with Redis's hash and layout. A session bound by
//! DURATION is ended by the server's cron at its first tick after that time, as Redis's serverCron ends it
//! (`collection-duration-ms` is then the time until that tick).

use crate::args::Args;
use crate::command_spec::Command;
use crate::util::Rng;

pub mod chk;
pub use chk::Chk;

/// The metrics HOTKEYS START accepts (CPU and NET): METRICS's count is at most this.
pub const METRICS_COUNT: i64 = 2;
/// Track CPU time per key.
pub const TRACK_CPU: u8 = 1;
/// Track network bytes per key.
pub const TRACK_NET: u8 = 2;
/// The number of hash slots (CLUSTER's 16384).
pub const SLOTS: usize = 16384;

/// What HOTKEYS START asked for (parsed and checked by the handler).
pub struct Options {
    /// [`TRACK_CPU`] | [`TRACK_NET`], at least one.
    pub metrics: u8,
    /// COUNT: how many keys GET reports (1..=64, default 10).
    pub count: usize,
    /// DURATION in ms; 0: until HOTKEYS STOP.
    pub duration_ms: i64,
    /// SAMPLE: a command is sampled with probability `1/ratio` (1 = every one).
    pub sample_ratio: u64,
    /// SLOTS: sorted, distinct slots merged into inclusive ranges; `None`: every slot.
    pub slots: Option<Vec<(u16, u16)>>,
}

/// One session: its settings, its totals and its sketches.
pub struct HotKeys {
    pub opts: Options,
    /// Whether commands are being counted (cleared by STOP or when DURATION ran out).
    pub active: bool,
    /// Unix time in ms when it started.
    pub start_ms: i64,
    /// The session's length once stopped (STOP: the time it ran; DURATION: that duration).
    pub stopped_duration_ms: i64,
    /// The process's (system, user) CPU seconds when it started.
    pub cpu_at_start: (f64, f64),
    pub cpu: Option<Chk>,
    pub net: Option<Chk>,
    pub us_all_slots: u64,
    pub us_selected_slots: u64,
    pub us_sampled_selected_slots: u64,
    pub bytes_all_slots: u64,
    pub bytes_selected_slots: u64,
    pub bytes_sampled_selected_slots: u64,
    /// The time the sketches' updates took, each update's in whole milliseconds (Redis's `cpu_time`: INFO's
    /// `hotkeys-cmd-cpu-time`).
    pub cpu_time_ms: u64,
    rng: Rng,
}

/// What the call path knows about a finished call.
pub struct CallCost {
    /// The call's time in microseconds.
    pub duration_us: u64,
    /// The client's current request's bytes as read (for a command EXEC runs: EXEC's, as Redis's
    /// `net_input_bytes_curr_cmd`).
    pub in_bytes: u64,
    /// The bytes added to the client's reply since its current request began (for a command EXEC runs: EXEC's
    /// reply so far, this command's included, as Redis's `net_output_bytes_curr_cmd`).
    pub out_bytes: u64,
    /// The bytes the call added to the replication stream (a client's own command, while a backlog exists).
    pub repl_bytes: u64,
    /// Calls still running around this one (0: a client's command; 1: one EXEC or a script runs).
    pub depth: u32,
    /// The caller is the script client (a `redis.call`).
    pub script: bool,
    /// The command blocked (it is counted when served).
    pub blocked: bool,
}

impl HotKeys {
    /// A session starting at `now_ms`; the sketches name `count * 10` keys over tables of `count * 100` buckets
    /// rounded up to a power of two (Redis's `hotkeyStatsCreate`).
    pub fn new(opts: Options, now_ms: i64) -> HotKeys {
        let (names, buckets) = (opts.count * 10, opts.count * 100);
        HotKeys {
            cpu: (opts.metrics & TRACK_CPU != 0).then(|| Chk::new(names, buckets)),
            net: (opts.metrics & TRACK_NET != 0).then(|| Chk::new(names, buckets)),
            opts,
            active: true,
            start_ms: now_ms,
            stopped_duration_ms: 0,
            cpu_at_start: crate::sys::process::cpu_times(crate::sys::process::CpuOf::Process),
            us_all_slots: 0,
            us_selected_slots: 0,
            us_sampled_selected_slots: 0,
            bytes_all_slots: 0,
            bytes_selected_slots: 0,
            bytes_sampled_selected_slots: 0,
            cpu_time_ms: 0,
            rng: Rng::from_entropy(),
        }
    }

    /// Ends the session if its DURATION ran out by `now_ms` (the server's cron, every tick, as Redis's serverCron):
    /// its length is then the time it ran until that tick, as Redis records it.
    pub fn expire(&mut self, now_ms: i64) {
        let elapsed = now_ms.saturating_sub(self.start_ms);
        if self.active && self.opts.duration_ms > 0 && elapsed >= self.opts.duration_ms {
            self.active = false;
            self.stopped_duration_ms = elapsed;
        }
    }

    /// HOTKEYS STOP: results stay for GET.
    pub fn stop(&mut self, now_ms: i64) {
        self.active = false;
        self.stopped_duration_ms = now_ms.saturating_sub(self.start_ms);
    }

    /// How long it has run (GET's `collection-duration-ms`).
    pub fn duration_ms(&self, now_ms: i64) -> i64 {
        if self.active {
            now_ms.saturating_sub(self.start_ms)
        } else {
            self.stopped_duration_ms
        }
    }

    /// Whether `slot` is one of the selected slots (every slot without SLOTS).
    pub fn selects(&self, slot: usize) -> bool {
        match &self.opts.slots {
            None => true,
            Some(r) => r.iter().any(|&(a, b)| (a as usize..=b as usize).contains(&slot)),
        }
    }

    /// Counts one finished call (see the module header for what counts). As Redis's `call()`, the call's time,
    /// then its replication bytes, then its request and reply bytes are three updates, each shared by the keys
    /// with its own integer division.
    pub fn after_call(&mut self, cmd: &Command, args: Args, cost: &CallCost) {
        if !self.active || cost.blocked || !(cost.depth == 0 || (cost.depth == 1 && !cost.script)) {
            return;
        }
        let keys = cmd.key_positions(args);
        if keys.is_empty() {
            return;
        }
        let selected =
            self.opts.slots.is_none() || self.selects(crate::keyspace::hash_slot::key_hash_slot(args.get(keys[0])));
        let sampled = self.opts.sample_ratio <= 1 || self.rng.below(self.opts.sample_ratio) == 0;
        let repl = if cost.depth == 0 { cost.repl_bytes } else { 0 };
        for (us, bytes) in [(cost.duration_us, 0), (0, repl), (0, cost.in_bytes + cost.out_bytes)] {
            if us > 0 || bytes > 0 {
                self.update(args, &keys, selected, sampled, us, bytes);
            }
        }
    }

    /// One update of a counted call (Redis's `hotkeyStatsUpdateCurrentCmd`): the totals, then, for a sampled
    /// call in the selected slots, each key's share in the sketches.
    fn update(&mut self, args: Args, keys: &[usize], selected: bool, sampled: bool, us: u64, bytes: u64) {
        self.us_all_slots += us;
        self.bytes_all_slots += bytes;
        if selected {
            self.us_selected_slots += us;
            self.bytes_selected_slots += bytes;
            if sampled && self.opts.sample_ratio > 1 {
                self.us_sampled_selected_slots += us;
                self.bytes_sampled_selected_slots += bytes;
            }
        }
        if !selected || !sampled {
            return;
        }
        let start = crate::util::now_us();
        let n = keys.len() as u64;
        for &i in keys {
            let key = args.get(i);
            if let Some(t) = self.cpu.as_mut() {
                t.add(key, us / n);
            }
            if let Some(t) = self.net.as_mut() {
                t.add(key, bytes / n);
            }
        }
        self.cpu_time_ms += (crate::util::now_us() - start).max(0) as u64 / 1000;
    }
}

/// Sorted, distinct slots as inclusive ranges (`[0, 1, 2, 5, 6, 10]` is `(0, 2), (5, 6), (10, 10)`).
pub fn slot_ranges(sorted: &[u16]) -> Vec<(u16, u16)> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for &s in sorted {
        match out.last_mut() {
            Some(r) if r.1 as u32 + 1 == s as u32 => r.1 = s,
            _ => out.push((s, s)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_neighbours() {
        assert_eq!(slot_ranges(&[0, 1, 2, 5, 6, 10]), vec![(0, 2), (5, 6), (10, 10)]);
        assert_eq!(slot_ranges(&[]), vec![]);
        assert_eq!(slot_ranges(&[16383]), vec![(16383, 16383)]);
    }
}
