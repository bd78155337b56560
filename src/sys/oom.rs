//! The Linux OOM killer's score for this process (`oom-score-adj`, `oom-score-adj-values`), as Redis's
//! `setOOMScoreAdj`: the score in force before the server first changed it is remembered, `relative` (alias `yes`)
//! adds a class's value to it, `absolute` uses the value as is (both clamped to -1000..=1000), and `no` puts the
//! remembered score back. Classes: 0 master, 1 replica, 2 background child.
//!
//! Invariant: `BASE` is meaningful only while `ADJUSTED` is set. Elsewhere than Linux every call is a no-op.
//! Tested by `tests/config_listen.rs` (reading /proc/<pid>/oom_score_adj of a running server: CONFIG SET, REPLICAOF,
//! rollback).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static ADJUSTED: AtomicBool = AtomicBool::new(false);
static BASE: AtomicI32 = AtomicI32::new(0);

/// Process classes indexing `oom-score-adj-values`.
pub const MASTER: usize = 0;
pub const REPLICA: usize = 1;

/// Applies the configured score for `class`. `mode` is the `oom-score-adj` value, `values` its three scores.
/// Returns false on failure (logged; the caller reports Redis's error).
pub fn apply(mode: &str, values: [i64; 3], class: usize) -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    const PATH: &str = "/proc/self/oom_score_adj";
    let val = if mode != "no" {
        if !ADJUSTED.load(Ordering::Relaxed) {
            match std::fs::read_to_string(PATH) {
                Ok(s) => BASE.store(s.trim().parse().unwrap_or(0), Ordering::Relaxed),
                Err(e) => {
                    crate::log_warning!("Unable to read oom_score_adj: {}", crate::sys::error_text(&e));
                    return false;
                }
            }
            ADJUSTED.store(true, Ordering::Relaxed);
        }
        let mut v = values.get(class).copied().unwrap_or(0);
        if mode != "absolute" {
            v += BASE.load(Ordering::Relaxed) as i64;
        }
        v.clamp(-1000, 1000)
    } else if ADJUSTED.swap(false, Ordering::Relaxed) {
        BASE.load(Ordering::Relaxed) as i64
    } else {
        return true;
    };
    match std::fs::write(PATH, format!("{val}\n")) {
        Ok(()) => true,
        Err(e) => {
            crate::log_warning!("Unable to write oom_score_adj: {}", crate::sys::error_text(&e));
            false
        }
    }
}

/// `oom-score-adj-values` as numbers (the config keeps them as text).
pub fn parse_values(text: &str) -> [i64; 3] {
    let mut out = [0i64; 3];
    for (slot, v) in out.iter_mut().zip(text.split_whitespace()) {
        *slot = v.parse().unwrap_or(0);
    }
    out
}
