//! The defragmenter's memory between cron ticks and its counters
//! ([`ServerState::defrag`](crate::state::ServerState::defrag)): a data file apart from the cycle itself, so that the
//! server state can hold it without importing the operations that take the whole state.

use std::time::Instant;

/// Counters for INFO.
#[derive(Clone, Copy, Default, Debug)]
pub struct Stats {
    /// CPU percentage of the running cycle (0 = not running): INFO's `active_defrag_running`.
    pub running: u32,
    pub hits: u64,
    pub misses: u64,
    pub key_hits: u64,
    pub key_misses: u64,
    /// Milliseconds spent in finished runs (`total_active_defrag_time`).
    pub total_ms: u64,
}

/// The defragmenter's state between cron ticks ([`ServerState::defrag`](crate::state::ServerState::defrag); only
/// [`crate::state::defrag::cron`] changes it).
#[derive(Default, Debug)]
pub struct Defrag {
    /// INFO's counters.
    pub stats: Stats,
    /// (db, slot cursor) of the keyspace walk; db == usize::MAX while the slab prepares.
    pub(super) walk: (usize, usize),
    /// When the current run started (`current_active_defrag_time`).
    pub(super) run_start: Option<Instant>,
    /// When the cron last measured fragmentation (once a second).
    pub(super) last_check: Option<Instant>,
    /// Whether a pass (slab preparation, then the keyspace walk) is under way.
    pub(super) in_pass: bool,
    /// Whether the current pass marked the slab's sparse pages (see
    /// [`slab::defrag_begin`](crate::alloc::slab::defrag_begin)).
    pub(super) pass_marked: bool,
    /// `hits` when the current pass began (its log line reports the difference).
    pub(super) scan_hits: u64,
}

impl Defrag {
    /// Milliseconds the current run has taken so far (0 when not running).
    pub fn current_ms(&self) -> u64 {
        self.run_start.map_or(0, |t| t.elapsed().as_millis() as u64)
    }
}
