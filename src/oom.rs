//! `oom-score-adj` and `oom-score-adj-values`: the Linux OOM killer's bias for this process
//! (`/proc/self/oom_score_adj`), by role, as Redis 7.0's `setOOMScoreAdj`.
//!
//! - The three values are for a master, a replica and a background child (BGSAVE, AOF rewrite, full sync), in
//!   that order. `yes`/`relative` add them to the score the process had when the server first took control;
//!   `absolute` writes them as they are; the result is clamped to -1000..=1000.
//! - Turning the setting off puts back the score from before (only if the server had changed it).
//! - The server re-applies the setting after CONFIG SET and when its role changes; a forked child writes the
//!   child's score first thing ([`enter_child`]), from a value prepared by the parent.
//!
//! Other systems have no such file: enabling the setting fails there, as in Redis.
//! Tested by `tests/operations/oom_score_adj.rs` (reads the server's and its child's `/proc/<pid>/oom_score_adj`).

#![forbid(unsafe_code)]

use crate::log_warning;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The process roles, indexes into `oom-score-adj-values`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Master = 0,
    Replica = 1,
    Child = 2,
}

const PROC_FILE: &str = "/proc/self/oom_score_adj";

/// Whether the server changed the score (so turning the setting off restores [`BASE`]). Set and cleared only by
/// [`apply`] (start-up in [`Server::new`](crate::server::Server::new), a role change in
/// [`Server::sync_oom_role`](crate::server::Server::sync_oom_role), CONFIG SET and its rollback). Like the other two, a
/// static because it describes the process, and [`enter_child`] reads them in a fork child.
static ADJUSTED: AtomicBool = AtomicBool::new(false);
/// The score before the server first changed it: read from the kernel and stored by the first [`apply`] that
/// enables the setting, read by later ones.
static BASE: AtomicI32 = AtomicI32::new(0);
/// The score a forked child writes, or `NO_CHILD_SCORE` to leave the inherited one: prepared by every [`apply`] in the
/// server, read by [`enter_child`] first thing in a forked child ([`persist::engine`](crate::persist::engine)'s fork,
/// the Lua debugger's session).
static CHILD_SCORE: AtomicI32 = AtomicI32::new(NO_CHILD_SCORE);
const NO_CHILD_SCORE: i32 = i32::MIN;

/// The setting as the config holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// `no`, `yes`/`relative` or `absolute`.
    pub mode: Mode,
    pub values: [i32; 3],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    No,
    Relative,
    Absolute,
}

impl Setting {
    /// From the config's `oom-score-adj` and `oom-score-adj-values`.
    pub fn of(cfg: &crate::config::Config) -> Setting {
        let mode = match cfg.stored_str("oom-score-adj") {
            "yes" | "relative" => Mode::Relative,
            "absolute" => Mode::Absolute,
            _ => Mode::No,
        };
        let mut values = [0, 200, 800];
        for (slot, v) in values.iter_mut().zip(cfg.stored_str("oom-score-adj-values").split_whitespace()) {
            if let Ok(n) = v.parse() {
                *slot = n;
            }
        }
        Setting { mode, values }
    }

    fn score(&self, class: Class, base: i32) -> i32 {
        let v = self.values[class as usize];
        let v = if self.mode == Mode::Relative { v + base } else { v };
        v.clamp(-1000, 1000)
    }
}

/// Applies `setting` for a process of role `class` (Redis's `setOOMScoreAdj`). Errors are logged, and returned
/// (the logged text) for CONFIG SET to refuse the change.
pub fn apply(setting: Setting, class: Class) -> Result<(), String> {
    let val = if setting.mode != Mode::No {
        if !ADJUSTED.load(Ordering::Relaxed) {
            let base = match std::fs::read_to_string(PROC_FILE) {
                Ok(s) => s.trim().parse().unwrap_or(0),
                Err(e) => {
                    let text = format!("Unable to read oom_score_adj: {}", crate::sys::error_text(&e));
                    log_warning!("{text}");
                    return Err(text);
                }
            };
            BASE.store(base, Ordering::Relaxed);
            ADJUSTED.store(true, Ordering::Relaxed);
        }
        let base = BASE.load(Ordering::Relaxed);
        CHILD_SCORE.store(setting.score(Class::Child, base), Ordering::Relaxed);
        setting.score(class, base)
    } else if ADJUSTED.swap(false, Ordering::Relaxed) {
        CHILD_SCORE.store(NO_CHILD_SCORE, Ordering::Relaxed);
        BASE.load(Ordering::Relaxed)
    } else {
        CHILD_SCORE.store(NO_CHILD_SCORE, Ordering::Relaxed);
        return Ok(());
    };
    write_score(val).map_err(|e| {
        let text = format!("Unable to write oom_score_adj: {}", crate::sys::error_text(&e));
        log_warning!("{text}");
        text
    })
}

fn write_score(val: i32) -> std::io::Result<()> {
    std::fs::write(PROC_FILE, format!("{val}\n"))
}

/// In a freshly forked child: the background child's score, when the setting is on.
pub fn enter_child() {
    let v = CHILD_SCORE.load(Ordering::Relaxed);
    if v != NO_CHILD_SCORE {
        let _ = write_score(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_relative_or_absolute_and_clamped() {
        let s = Setting { mode: Mode::Relative, values: [10, 20, 999] };
        assert_eq!(s.score(Class::Master, 5), 15);
        assert_eq!(s.score(Class::Replica, 5), 25);
        assert_eq!(s.score(Class::Child, 5), 1000);
        let a = Setting { mode: Mode::Absolute, values: [-2000, 20, 30] };
        assert_eq!(a.score(Class::Master, 5), -1000);
        assert_eq!(a.score(Class::Child, 5), 30);
    }

    #[test]
    fn setting_reads_the_config() {
        let mut c = crate::config::Config::default();
        assert_eq!(Setting::of(&c), Setting { mode: Mode::No, values: [0, 200, 800] });
        c.apply_text("oom-score-adj absolute\noom-score-adj-values \"1 2 3\"").unwrap();
        assert_eq!(Setting::of(&c), Setting { mode: Mode::Absolute, values: [1, 2, 3] });
        c.apply_text("oom-score-adj yes").unwrap();
        assert_eq!(Setting::of(&c).mode, Mode::Relative);
    }
}
