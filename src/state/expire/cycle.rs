//! The expire cycle's memory between calls ([`ServerState::expire_cycle`](crate::state::ServerState::expire_cycle)): a
//! data file apart from the cycle itself, so that the server state can hold it without importing the operations that
//! take the whole state.

use std::time::Instant;

/// What the expire cycle and the tables' cron carry from one call to the next
/// ([`ServerState::expire_cycle`](crate::state::ServerState::expire_cycle); only the functions of
/// [`crate::state::expire`] change it).
#[derive(Default, Debug)]
pub struct Cycle {
    /// The database the next cycle starts at (taken modulo the number of databases).
    pub(super) current_db: usize,
    /// Whether the last cycle stopped at its time limit (the next one then visits every database, and a fast
    /// cycle is worth running).
    pub(super) timelimit_exit: bool,
    /// When the last fast cycle started (µs), to run at most one per two fast durations.
    pub(super) last_fast_cycle_us: i64,
    /// The next database whose table the cron considers resizing.
    pub(super) resize_db: usize,
    /// The database the cron's incremental rehashing works on.
    pub(super) rehash_db: usize,
    /// What is left of the cron's rehash grant this call, in microseconds
    /// ([`expire::rehash_slice`](crate::state::expire::rehash_slice) spends it).
    pub(super) rehash_credit_us: u64,
    /// What the cron's slow expire cycle left of its share, in microseconds
    /// ([`expire::expire_slice`](crate::state::expire::expire_slice) spends it).
    pub(super) slow_credit_us: u64,
    /// Cycle time not yet folded into `expire_cycle_cpu_ms` (microseconds below one millisecond).
    pub(super) us_remainder: u64,
    /// The last field cycle stopped at its time limit with due fields left (fast field cycles then run too).
    pub(super) fields_backlog: bool,
    /// When the last field cycle (slow or fast) ended: a fast one waits a fast duration after it (a monotonic
    /// clock: a wall clock set back would stop the fast calls).
    pub(super) fields_end: Option<Instant>,
}
