//! Progress reports from a forked child (RDB save, AOF rewrite, diskless transfer) to the parent, as Redis's
//! `childinfo.c`: INFO's `current_cow_size`, `current_cow_peak`, `current_cow_size_age`, `current_fork_perc`,
//! `current_save_keys_processed`, and at the end `rdb_last_cow_size` / `aof_last_cow_size` and the
//! "Fork CoW for RDB: current N MB, peak N MB, average N MB" log line.
//!
//! ```text
//!   child                                         parent (cron, and when reaping)
//!   key_done() per key saved                      receive(): reads every whole record waiting
//!     every 1024 keys, at most once a second        Current -> the live INFO fields
//!     send(Current)                                 Final   -> the child's copy-on-write total
//!     every 1024 keys and MiB written, at most
//!     every 250 us: offer_cpu() (sched_yield)
//!   send_final() before exiting
//!
//!   record (32 bytes, one write(2), atomic in a pipe): kind | keys processed | cow bytes | cow peak
//! ```
//!
//! Measuring copy-on-write reads `/proc/self/smaps_rollup`, which costs more with a bigger heap: as Redis, a
//! reading is taken only when ten times the last reading's cost has passed since it. The child is single-threaded
//! after fork, so the child-side state is plain statics written with relaxed atomics. Tested by
//! `tests/persistence/persist_load.rs` (the INFO fields during a slow BGSAVE) and the unit tests below (record round
//! trip).

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Instant;

const CURRENT: u64 = 1;
const FINAL: u64 = 2;
const RECORD_BYTES: usize = 32;
/// Keys between two looks at the clock (Redis: 1024).
const KEYS_PER_CHECK: u64 = 1024;
/// Least time between two progress reports (Redis: one second).
const REPORT_EVERY_MS: u64 = 1000;
/// A copy-on-write reading waits for this many times the cost of the last one (Redis's
/// `CHILD_COW_DURATION_FACTOR`).
const COW_COST_FACTOR: u64 = 10;
/// How long a child works before it offers its CPU to whoever waits for it (`sched_yield`, see [`offer_cpu`]).
/// An event loop that shares the child's CPU (a server pinned to one core, a one-CPU container or VM) otherwise
/// waits for the scheduler to preempt the child: up to a tick, 4 ms at 250 Hz. Redis has no such offer. What it
/// buys the loop and costs the save: `benches/README.md`, "Figures the module docs point to".
const YIELD_EVERY_US: u64 = 250;

/// The child's end of the report pipe (-1 in the parent). Set by [`start_in_child`], which
/// [`persist::engine::Persist::fork_child`](crate::persist::engine::Persist::fork_child) calls in the child right after
/// the fork. The cells here are statics because [`key_done`] is called per key from deep inside the RDB writer and the
/// AOF rewriter, which take only the databases; they live in the child only (a fresh copy after each fork) and the
/// parent learns the figures through the report pipe.
static FD: AtomicI32 = AtomicI32::new(-1);
/// Keys the child has written so far (it counts them; its progress reports carry the figure): zeroed by
/// [`start_in_child`], counted by [`key_done`] (which a save in the server process itself, SAVE or DEBUG RELOAD,
/// also calls; with [`FD`] at -1 nothing is reported there).
static KEYS: AtomicU64 = AtomicU64::new(0);
/// Milliseconds since `EPOCH` of the last report: set by [`start_in_child`] and by [`key_done`] when it reports.
static LAST_REPORT_MS: AtomicU64 = AtomicU64::new(0);
/// Microseconds since `EPOCH` of the child's last offer of its CPU: zeroed by [`start_in_child`], set by
/// [`offer_cpu`].
static LAST_OFFER_US: AtomicU64 = AtomicU64::new(0);
/// Microseconds since `EPOCH` of the last copy-on-write reading: zeroed by [`start_in_child`], set by each
/// reading (`read_cow`, from a report or [`send_final`]).
static COW_READ_US: AtomicU64 = AtomicU64::new(0);
/// What the last copy-on-write reading cost (µs); written as [`COW_READ_US`].
static COW_COST_US: AtomicU64 = AtomicU64::new(0);
/// The child's copy-on-write bytes: the last reading; this and the next three (the largest, their sum and how
/// many readings, for the mean) are zeroed by [`start_in_child`] and updated by each reading, as [`COW_READ_US`].
static COW: AtomicU64 = AtomicU64::new(0);
/// The largest copy-on-write reading (see [`COW`]).
static COW_PEAK: AtomicU64 = AtomicU64::new(0);
/// The sum of the copy-on-write readings (see [`COW`]).
static COW_SUM: AtomicU64 = AtomicU64::new(0);
/// How many copy-on-write readings were taken (see [`COW`]).
static COW_READINGS: AtomicU64 = AtomicU64::new(0);
/// The child's clock origin for the times above: set once, by [`start_in_child`] (or the first report).
static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

fn since_epoch() -> std::time::Duration {
    EPOCH.get_or_init(Instant::now).elapsed()
}

/// In the child, right after fork: reports go to `fd`.
pub fn start_in_child(fd: RawFd) {
    EPOCH.get_or_init(Instant::now);
    for a in [&KEYS, &COW_READ_US, &COW_COST_US, &COW, &COW_PEAK, &COW_SUM, &COW_READINGS, &LAST_OFFER_US] {
        a.store(0, Ordering::Relaxed);
    }
    LAST_REPORT_MS.store(since_epoch().as_millis() as u64, Ordering::Relaxed);
    FD.store(fd, Ordering::Relaxed);
}

/// One key written by the child's save or rewrite: every 1024 keys, an offer of the CPU ([`offer_cpu`]) and a
/// report if a second has passed since the last one. Does nothing outside a reporting child.
#[inline]
pub fn key_done() {
    let keys = KEYS.fetch_add(1, Ordering::Relaxed) + 1;
    if keys % KEYS_PER_CHECK != 0 || FD.load(Ordering::Relaxed) < 0 {
        return;
    }
    let now_us = since_epoch().as_micros() as u64;
    offer_cpu_at(now_us);
    let now_ms = now_us / 1000;
    if now_ms.saturating_sub(LAST_REPORT_MS.load(Ordering::Relaxed)) >= REPORT_EVERY_MS {
        LAST_REPORT_MS.store(now_ms, Ordering::Relaxed);
        send(CURRENT, false);
    }
}

/// In a reporting child, gives the CPU up (`sched_yield`) when `YIELD_EVERY_US` (250 us) have passed since the last
/// time: a process waiting for this CPU (the event loop, pinned with the child) runs now, and with nobody waiting
/// the call returns at once. Called every 1024 keys ([`key_done`]) and after each buffer the RDB writer hands to
/// its output (every MiB, so a long value is no exception); a no-op in the server process (SAVE, DEBUG RELOAD).
pub fn offer_cpu() {
    if FD.load(Ordering::Relaxed) >= 0 {
        offer_cpu_at(since_epoch().as_micros() as u64);
    }
}

#[inline]
fn offer_cpu_at(now_us: u64) {
    if now_us.saturating_sub(LAST_OFFER_US.load(Ordering::Relaxed)) >= YIELD_EVERY_US {
        LAST_OFFER_US.store(now_us, Ordering::Relaxed);
        std::thread::yield_now();
    }
}

/// Takes a copy-on-write reading when `force`d or when the throttle allows; returns the latest value.
fn read_cow(force: bool) -> u64 {
    let now_us = since_epoch().as_micros() as u64;
    let last = COW_READ_US.load(Ordering::Relaxed);
    let cost = COW_COST_US.load(Ordering::Relaxed);
    if force || COW_READINGS.load(Ordering::Relaxed) == 0 || now_us - last > cost * COW_COST_FACTOR {
        let cow = crate::sys::process::private_dirty_bytes();
        let done_us = since_epoch().as_micros() as u64;
        COW_READ_US.store(done_us, Ordering::Relaxed);
        COW_COST_US.store(done_us - now_us, Ordering::Relaxed);
        COW.store(cow, Ordering::Relaxed);
        COW_PEAK.fetch_max(cow, Ordering::Relaxed);
        COW_SUM.fetch_add(cow, Ordering::Relaxed);
        COW_READINGS.fetch_add(1, Ordering::Relaxed);
    }
    COW.load(Ordering::Relaxed)
}

fn send(kind: u64, force_cow: bool) {
    let fd = FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    let cow = read_cow(force_cow);
    let rec = encode(kind, KEYS.load(Ordering::Relaxed), cow, COW_PEAK.load(Ordering::Relaxed));
    // SAFETY: writing a live 32-byte buffer to our pipe end.
    let n = unsafe { libc::write(fd, rec.as_ptr().cast(), rec.len()) };
    let err = std::io::Error::last_os_error();
    if n < 0 && err.raw_os_error() == Some(libc::EPIPE) {
        // Only the parent reads the pipe: it is gone (killed), so the work is for no one (Redis's
        // `sendChildInfoGeneric`). Other failures (a full pipe) only lose this report.
        crate::log_warning!("Child failed reporting info to parent, exiting. {}", crate::sys::error_text(&err));
        crate::sys::process::exit_child(1);
    }
}

/// Before the child exits: a last reading sent as the final report. Returns (current, peak, average) bytes for
/// the child's log line.
pub fn send_final() -> (u64, u64, u64) {
    send(FINAL, true);
    let n = COW_READINGS.load(Ordering::Relaxed).max(1);
    (COW.load(Ordering::Relaxed), COW_PEAK.load(Ordering::Relaxed), COW_SUM.load(Ordering::Relaxed) / n)
}

fn encode(kind: u64, keys: u64, cow: u64, peak: u64) -> [u8; RECORD_BYTES] {
    let mut b = [0u8; RECORD_BYTES];
    for (i, v) in [kind, keys, cow, peak].into_iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    b
}

/// What the parent knows of its running child, from its reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub keys_processed: u64,
    pub cow: u64,
    pub cow_peak: u64,
    /// When the last progress report arrived (ms, the server clock); 0 before the first.
    pub cow_updated_ms: i64,
    /// The copy-on-write total of the final report, once it came.
    pub final_cow: Option<u64>,
}

impl Progress {
    /// Reads every whole record waiting on the (non-blocking) read end `fd`.
    pub fn receive(&mut self, fd: RawFd, now_ms: i64) {
        let mut b = [0u8; RECORD_BYTES];
        loop {
            // SAFETY: reading at most 32 bytes into a live buffer from our own non-blocking pipe end.
            let n = unsafe { libc::read(fd, b.as_mut_ptr().cast(), RECORD_BYTES) };
            if n != RECORD_BYTES as isize {
                return;
            }
            self.apply(&b, now_ms);
        }
    }

    fn apply(&mut self, b: &[u8; RECORD_BYTES], now_ms: i64) {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        match word(0) {
            CURRENT => {
                self.keys_processed = word(1);
                self.cow = word(2);
                self.cow_peak = word(3);
                self.cow_updated_ms = now_ms;
            }
            FINAL => self.final_cow = Some(word(2)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_is_offered_at_most_once_per_interval_and_only_in_a_child() {
        // Only this test moves the offer clock (key_done offers only in a reporting child, never in unit tests).
        LAST_OFFER_US.store(0, Ordering::Relaxed);
        offer_cpu_at(YIELD_EVERY_US - 1);
        assert_eq!(LAST_OFFER_US.load(Ordering::Relaxed), 0, "too early");
        offer_cpu_at(YIELD_EVERY_US);
        assert_eq!(LAST_OFFER_US.load(Ordering::Relaxed), YIELD_EVERY_US);
        offer_cpu_at(2 * YIELD_EVERY_US - 1);
        assert_eq!(LAST_OFFER_US.load(Ordering::Relaxed), YIELD_EVERY_US, "one offer per interval");
        offer_cpu_at(5 * YIELD_EVERY_US);
        assert_eq!(LAST_OFFER_US.load(Ordering::Relaxed), 5 * YIELD_EVERY_US);
        assert!(FD.load(Ordering::Relaxed) < 0, "this process is no reporting child");
        LAST_OFFER_US.store(0, Ordering::Relaxed);
        offer_cpu();
        assert_eq!(LAST_OFFER_US.load(Ordering::Relaxed), 0, "no offer outside a child");
    }

    #[test]
    fn records_round_trip_through_a_pipe() {
        let (r, w) = crate::sys::process::pipe().expect("pipe");
        use std::os::fd::AsRawFd;
        for rec in [encode(CURRENT, 2048, 8192, 12288), encode(7, 1, 1, 1), encode(FINAL, 4096, 16384, 16384)] {
            // SAFETY: a live buffer written to our own pipe.
            assert_eq!(unsafe { libc::write(w.as_raw_fd(), rec.as_ptr().cast(), rec.len()) }, 32);
        }
        let mut p = Progress::default();
        p.receive(r.as_raw_fd(), 1234);
        assert_eq!(
            p,
            Progress { keys_processed: 2048, cow: 8192, cow_peak: 12288, cow_updated_ms: 1234, final_cow: Some(16384) }
        );
    }
}
