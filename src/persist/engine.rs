//! The persistence engine: what the server drives to save, load and keep the append-only file, with the
//! bookkeeping `INFO persistence` reports (Redis's `rdb.c` and `aof.c` server halves).
//!
//! ```text
//!   SAVE / SHUTDOWN / FLUSHALL ──▶ save_sync: rdb::save_file in the server process
//!   BGSAVE / save points ────────▶ fork ─▶ child: rdb::save_file, report copy-on-write bytes, _exit
//!   BGREWRITEAOF / auto rewrite ─▶ flush, open a new incr file, fork ─▶ child: new base file, _exit
//!   cron ─▶ reap the child: success → swap files / update stats; failure or signal → old files stay valid
//! ```
//!
//! One child at a time, as Redis (a BGSAVE asked for during a rewrite is scheduled). While a child runs the server
//! keeps serving; the keyspace tables do not resize (see [`Db::cron`](crate::keyspace::db::Db::cron)), so copy-on-write
//! stays small. Nothing here knows clients: the server hands in the databases, the config and the clock.

use crate::config::Config;
use crate::keyspace::db::Db;
use crate::persist::rdb;
use crate::sys::process::{self, ExitStatus, Forked};
use crate::{log_notice, log_warning};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::Instant;

/// Redis's `CONFIG_BGSAVE_RETRY_DELAY`: after a failed BGSAVE, save points wait this long before trying again.
pub const BGSAVE_RETRY_DELAY_S: i64 = 5;

/// What a forked child is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    Rdb,
    Aof,
}

/// The running child.
#[derive(Debug)]
pub struct Child {
    pub pid: i32,
    pub kind: ChildKind,
    pub started: Instant,
    pub start_s: i64,
    /// `dirty` when the child forked: what is left after a successful save.
    pub dirty_at_start: u64,
    /// The child's report (copy-on-write bytes), read when it exits.
    report: Option<OwnedFd>,
    /// Where the child writes (removed if it dies).
    pub tmp_path: PathBuf,
    /// An RDB child writing to replicas through a pipe (diskless sync), not to a file: its end is no save.
    pub diskless: bool,
    /// How it ended, once reaped.
    pub exit: Option<ExitStatus>,
    /// What its progress reports said so far (INFO's `current_*` fields).
    pub progress: crate::persist::child_info::Progress,
    /// Keys in the dataset when it forked (`current_save_keys_total`); set by
    /// [`ServerState::set_child`](crate::state::ServerState::set_child).
    pub keys_total: u64,
    /// A diskless child's exit pipe (write end): the child waits for it to close, once the parent has read the
    /// whole payload (Redis's `rdb_child_exit_pipe`).
    release: Option<OwnedFd>,
}

impl Child {
    /// Whether the child was ended on purpose with SIGUSR1 (Redis's whitelisted signal): not a failure.
    pub fn killed_on_purpose(&self) -> bool {
        self.exit == Some(ExitStatus::Signaled(libc::SIGUSR1))
    }
}

/// Counters and states `INFO persistence` and `INFO stats` show.
#[derive(Debug, Default)]
pub struct PersistStats {
    pub loading: bool,
    /// A replica loads its master's RDB (`repl-diskless-load swapdb`) while serving reads from the old data
    /// (INFO's `async_loading`; `loading` then shows 0).
    pub async_loading: bool,
    /// Start-up load progress (INFO's `loading_*` fields): when it started, the bytes to load and loaded so far.
    pub loading_start_s: i64,
    pub loading_start: Option<Instant>,
    pub loading_total_bytes: u64,
    pub loading_loaded_bytes: u64,
    pub rdb_saves: u64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_time_sec: i64,
    pub last_bgsave_try_s: i64,
    pub rdb_last_cow_size: u64,
    pub rdb_last_load_keys_loaded: u64,
    pub rdb_last_load_keys_expired: u64,
    pub latest_fork_usec: u64,
    pub total_forks: u64,
    pub aof_last_cow_size: u64,
    pub aof_last_bgrewrite_ok: bool,
    pub aof_last_rewrite_time_sec: i64,
    pub aof_rewrites: u64,
    pub aof_rewrites_consecutive_failures: u64,
    /// errno of the AOF's last failed write or background fsync while it has not recovered (kept by the server
    /// after each flush, so the per-command MISCONF check is one load).
    pub aof_error: Option<i32>,
}

/// The persistence engine (one per server, in [`ServerState`](crate::state::ServerState)).
#[derive(Debug)]
pub struct Persist {
    /// Changes since the last save (`rdb_changes_since_last_save`): counted by the key doors (a handler's settled
    /// write, [`ServerState::key_changed`](crate::state::ServerState::key_changed)) and
    /// [`Ctx::count_changes`](crate::command::Ctx::count_changes), reset by a successful save; the save points read it,
    /// and the call path compares it around a command to decide whether the command is propagated.
    pub dirty: u64,
    /// When the last successful save ended (s; LASTSAVE).
    pub lastsave_s: i64,
    /// Set while a forked child (a save, an AOF rewrite, a diskless transfer) shares memory with us; resizes are
    /// deferred (copy-on-write friendliness). Set through
    /// [`ServerState::set_child`](crate::state::ServerState::set_child).
    pub child_pid: Option<i32>,
    pub child: Option<Child>,
    pub stats: PersistStats,
    /// BGSAVE SCHEDULE asked while a child ran: start as soon as it ends.
    pub bgsave_scheduled: bool,
    /// BGREWRITEAOF asked while a child ran.
    pub aof_rewrite_scheduled: bool,
    /// Back-off of automatic and scheduled rewrites after repeated failures (Redis's `aofRewriteLimited`).
    pub aof_rewrite_limit: RewriteLimit,
    /// DEBUG AOF-FLUSH-SLEEP: sleep this long before each AOF flush (testing slow disks).
    pub aof_flush_sleep_us: u64,
}

impl Default for Persist {
    fn default() -> Self {
        Persist {
            dirty: 0,
            lastsave_s: 0,
            child_pid: None,
            child: None,
            stats: PersistStats {
                last_bgsave_ok: true,
                last_bgsave_time_sec: -1,
                aof_last_bgrewrite_ok: true,
                aof_last_rewrite_time_sec: -1,
                ..Default::default()
            },
            bgsave_scheduled: false,
            aof_rewrite_scheduled: false,
            aof_rewrite_limit: RewriteLimit::default(),
            aof_flush_sleep_us: 0,
        }
    }
}

/// Consecutive AOF rewrite failures at which automatic and scheduled rewrites start to back off.
pub const AOF_REWRITE_LIMIT_THRESHOLD: u64 = 3;
/// The longest back-off between two limited rewrites, in minutes.
pub const AOF_REWRITE_LIMIT_MAX_MINUTES: i64 = 60;

/// Redis's `aofRewriteLimited`: once rewrites failed [`AOF_REWRITE_LIMIT_THRESHOLD`] times in a row, each failed
/// rewrite leaves one more incr file behind, so the server waits 1 minute before the next automatic (or scheduled)
/// attempt, then 2, 4, ... up to an hour. BGREWRITEAOF itself is never limited.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RewriteLimit {
    /// The delay the last limiting chose (0: not limiting).
    pub next_delay_minutes: i64,
    /// When the next attempt may run (unix seconds; 0: no wait pending).
    pub next_rewrite_time: i64,
}

/// What [`RewriteLimit::check`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitCheck {
    /// A rewrite may start.
    Free,
    /// A rewrite must wait: the wait started earlier has not ended.
    Waiting,
    /// A rewrite must wait: a new wait of this many minutes starts now (the caller logs it).
    Started(i64),
}

impl RewriteLimit {
    /// Whether a rewrite may start, given the consecutive failures and the time now (unix seconds).
    pub fn check(&mut self, consecutive_failures: u64, now_s: i64) -> LimitCheck {
        if consecutive_failures < AOF_REWRITE_LIMIT_THRESHOLD {
            // Recovered (or never limited): start over.
            *self = RewriteLimit::default();
            return LimitCheck::Free;
        }
        if self.next_rewrite_time != 0 {
            if now_s < self.next_rewrite_time {
                return LimitCheck::Waiting;
            }
            // The wait is over: one attempt may run; if it fails too, the next check doubles the delay.
            self.next_rewrite_time = 0;
            return LimitCheck::Free;
        }
        self.next_delay_minutes = if self.next_delay_minutes == 0 {
            1
        } else {
            (self.next_delay_minutes * 2).min(AOF_REWRITE_LIMIT_MAX_MINUTES)
        };
        self.next_rewrite_time = now_s + self.next_delay_minutes * 60;
        LimitCheck::Started(self.next_delay_minutes)
    }
}

/// The facts a save needs besides the data.
pub struct SaveContext<'a> {
    pub config: &'a Config,
    pub now_ms: i64,
    pub lru_clock: u32,
    /// Replication ID, offset and stream db to record (`repl-id`, `repl-offset`, `repl-stream-db`), if any.
    pub repl: Option<(String, i64, i64)>,
    /// Function library payloads to save (FUNCTION2 records; FUNCTION LOAD commands in a command-form base).
    pub functions: Vec<Vec<u8>>,
}

impl<'a> SaveContext<'a> {
    /// The context of a save starting now.
    pub fn now(config: &'a Config, lru_clock: u32) -> SaveContext<'a> {
        SaveContext { config, now_ms: crate::util::now_ms(), lru_clock, repl: None, functions: Vec::new() }
    }
}

/// The RDB writer's options for the current config.
pub fn save_options(cx: &SaveContext, aof_base: bool) -> rdb::SaveOptions {
    let c = cx.config;
    let stamp = if c.maxmemory_policy.is_lfu() {
        rdb::KeyStamp::Lfu
    } else if c.maxmemory_policy.is_lru() {
        rdb::KeyStamp::Lru { lru_clock: cx.lru_clock }
    } else {
        rdb::KeyStamp::None
    };
    rdb::SaveOptions {
        compression: c.stored_bool("rdbcompression"),
        checksum: c.stored_bool("rdbchecksum"),
        stamp,
        lfu_decay_time: c.lfu_decay_time,
        key_save_delay_us: c.stored_i64("rdb-key-save-delay"),
        incremental_fsync: c.stored_bool(if aof_base {
            "aof-rewrite-incremental-fsync"
        } else {
            "rdb-save-incremental-fsync"
        }),
        aux: rdb::Aux {
            // What rdbPopulateSaveInfo gives: nothing unless there is a replication history to continue.
            repl_id: cx.repl.as_ref().map(|r| r.0.clone()),
            repl_offset: cx.repl.as_ref().map_or(0, |r| r.1),
            repl_stream_db: cx.repl.as_ref().map_or(0, |r| r.2),
            aof_base,
            used_mem: crate::alloc::used_memory(),
            ctime_s: cx.now_ms / 1000,
        },
        functions: cx.functions.clone(),
    }
}

/// Why writes are refused after a persistence failure, as Redis's `writeCommandsGetDiskErrorMessage` words it
/// (without the leading `-`): a failed background save with `stop-writes-on-bgsave-error` and save points, or a
/// failed AOF write. `None` when writes are allowed. The dispatcher and `redis.call` both refuse with it.
pub fn disk_error(stats: &PersistStats, c: &Config) -> Option<String> {
    if !stats.last_bgsave_ok && c.stored_bool("stop-writes-on-bgsave-error") && !c.save_params.is_empty() {
        return Some(
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. \
             Commands that may modify the data set are disabled, because this instance is configured to report \
             errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the \
             Redis logs for details about the RDB error."
                .into(),
        );
    }
    if let Some(errno) = stats.aof_error.filter(|_| c.appendonly) {
        let e = std::io::Error::from_raw_os_error(errno);
        return Some(format!("MISCONF Errors writing to the AOF file: {}", crate::sys::error_text(&e)));
    }
    None
}

/// The loader's options for the current config.
pub fn load_options(c: &Config, now_ms: i64, lru_clock: u32) -> rdb::LoadOptions {
    rdb::LoadOptions {
        checksum: c.stored_bool("rdbchecksum") && !rdb::skip_checksum(),
        now_ms,
        drop_expired: true,
        thresholds: crate::keyspace::thresholds(c),
        lfu: c.maxmemory_policy.is_lfu(),
        lru_clock,
        // Redis validates loaded files deeply only with `sanitize-dump-payload yes` (`clients` skips loading).
        sanitize: c.extra.get("sanitize-dump-payload").is_some_and(|v| v == "yes"),
        allow_dup: false,
        defer_stream_checks: true,
    }
}

/// The RDB file the config names (`dbfilename`, relative to `dir`, which is the working directory).
pub fn rdb_path(c: &Config) -> PathBuf {
    PathBuf::from(c.stored_str("dbfilename"))
}

impl Persist {
    /// The state of a server that starts now: nothing saved since `lastsave_s` (the start, in seconds).
    pub fn new(lastsave_s: i64) -> Persist {
        Persist { lastsave_s, ..Default::default() }
    }

    pub fn child_kind(&self) -> Option<ChildKind> {
        self.child.as_ref().map(|c| c.kind)
    }

    /// SAVE: writes the RDB file in this process. On success the caller resets `dirty` and `lastsave`.
    pub fn save_sync(&mut self, dbs: &[Db], cx: &SaveContext) -> Result<(), String> {
        let path = rdb_path(cx.config);
        let opts = save_options(cx, false);
        match rdb::save_file(&path, dbs, cx.now_ms, &opts) {
            Ok(_) => {
                log_notice!("DB saved on disk");
                self.stats.last_bgsave_ok = true;
                Ok(())
            }
            Err(e) => {
                let text = crate::sys::error_text(&e);
                log_warning!("Write error saving DB on disk: {text}");
                // As Redis's rdbSave: only a background save's failure turns on MISCONF.
                Err(text)
            }
        }
    }

    /// BGSAVE: forks a child that writes the RDB file. Returns the child's pid.
    pub fn bgsave(&mut self, dbs: &[Db], cx: &SaveContext, dirty: u64) -> Result<i32, String> {
        if self.child.is_some() {
            return Err("child process already running".into());
        }
        let path = rdb_path(cx.config);
        let opts = save_options(cx, false);
        let now_ms = cx.now_ms;
        self.stats.last_bgsave_try_s = now_ms / 1000;
        // `rdb_saves` counts started background saves (killed or failed ones too), as Redis.
        self.stats.rdb_saves += 1;
        let pid = self.fork_child(ChildKind::Rdb, dirty, now_ms, move |_pid| {
            match rdb::save_file(&path, dbs, now_ms, &opts) {
                Ok(_) => {
                    log_notice!("DB saved on disk");
                    true
                }
                Err(e) => {
                    log_warning!("Write error saving DB on disk: {}", crate::sys::error_text(&e));
                    false
                }
            }
        })?;
        log_notice!("Background saving started by pid {pid}");
        if let Some(c) = self.child.as_mut() {
            c.tmp_path = rdb::temp_path(&rdb_path(cx.config), pid);
        }
        Ok(pid)
    }

    /// Diskless replication: forks a child that writes the RDB into a pipe; returns its pid and the pipe's
    /// (non-blocking) read end, from which the server streams the payload to replicas.
    /// The child ends the payload with `eof_mark` (the replicas' `$EOF:<mark>` format), so a child that dies
    /// midway never produces a payload a replica would accept.
    pub fn bgsave_to_pipe(&mut self, dbs: &[Db], cx: &SaveContext, eof_mark: &[u8]) -> Result<(i32, OwnedFd), String> {
        if self.child.is_some() {
            return Err("child process already running".into());
        }
        let opts = save_options(cx, false);
        let now_ms = cx.now_ms;
        let (r, w) = process::pipe().map_err(|e| crate::sys::error_text(&e))?;
        let (exit_r, exit_w) = process::pipe().map_err(|e| crate::sys::error_text(&e))?;
        let (mut w, mut exit_r) = (Some(w), Some(exit_r));
        let (r_fd, exit_w_fd) = (r.as_raw_fd(), exit_w.as_raw_fd());
        let pid = self.fork_child(ChildKind::Rdb, 0, now_ms, |_pid| {
            let (Some(w), Some(exit_r)) = (w.take(), exit_r.take()) else { return false };
            // The parent's ends are closed here: its death then fails our writes (EPIPE) and ends our wait.
            process::close_inherited(r_fd);
            process::close_inherited(exit_w_fd);
            let mut out = std::io::BufWriter::with_capacity(16 * 1024, std::fs::File::from(w));
            let r = rdb::write_rdb(&mut out, dbs, now_ms, &opts)
                .and_then(|_| std::io::Write::write_all(&mut out, eof_mark))
                .and_then(|_| std::io::Write::flush(&mut out));
            // EOF for the parent, which then lets us go by closing the exit pipe (a child that left at once could
            // be reaped before the parent has read the end of the payload).
            drop(out);
            if let Err(e) = &r {
                log_warning!("Write error sending DB to replicas: {}", crate::sys::error_text(e));
            }
            process::wait_pipe_closed(exit_r.as_raw_fd());
            r.is_ok()
        })?;
        // The parent keeps only the read end of the payload and the write end of the exit pipe.
        drop((w, exit_r));
        if let Some(c) = self.child.as_mut() {
            c.diskless = true;
            c.release = Some(exit_w);
        }
        log_notice!("Background RDB transfer started by pid {pid}");
        Ok((pid, r))
    }

    /// Forks; the child runs `job` (given its own pid), reports its copy-on-write size and exits 0 when `job`
    /// returned true. The parent records the child.
    pub fn fork_child(
        &mut self,
        kind: ChildKind,
        dirty: u64,
        now_ms: i64,
        job: impl FnOnce(i32) -> bool,
    ) -> Result<i32, String> {
        let (report_r, report_w) = process::pipe().map_err(|e| crate::sys::error_text(&e))?;
        let started = Instant::now();
        match process::fork() {
            Err(e) => {
                let text = crate::sys::error_text(&e);
                log_warning!("Can't save in background: fork: {text}");
                Err(text)
            }
            Ok(Forked::Child) => {
                drop(report_r);
                process::setup_child_signal_handlers();
                crate::sys::socket::close_listening_sockets();
                crate::cluster::nodes_conf::close_lock_in_child();
                crate::oom::enter_child();
                crate::proctitle::set_child(if kind == ChildKind::Rdb {
                    crate::proctitle::RDB_CHILD_TITLE
                } else {
                    crate::proctitle::AOF_CHILD_TITLE
                });
                crate::sys::affinity::enter(if kind == ChildKind::Rdb {
                    crate::sys::affinity::Role::RdbChild
                } else {
                    crate::sys::affinity::Role::AofChild
                });
                // SAFETY: getpid has no preconditions.
                let pid = unsafe { libc::getpid() };
                crate::persist::child_info::start_in_child(report_w.as_raw_fd());
                let ok = job(pid);
                let (cow, peak, average) = crate::persist::child_info::send_final();
                if cow > 0 {
                    log_notice!(
                        "Fork CoW for {}: current {} MB, peak {} MB, average {} MB",
                        if kind == ChildKind::Rdb { "RDB" } else { "AOF rewrite" },
                        cow >> 20,
                        peak >> 20,
                        average >> 20
                    );
                }
                process::exit_child(if ok { 0 } else { 1 })
            }
            Ok(Forked::Parent { child_pid }) => {
                drop(report_w);
                self.stats.latest_fork_usec = started.elapsed().as_micros() as u64;
                crate::latency::set_fork_rate(crate::alloc::used_memory(), self.stats.latest_fork_usec);
                crate::latency::add_sample_if_needed("fork", self.stats.latest_fork_usec / 1000);
                self.stats.total_forks += 1;
                self.child = Some(Child {
                    pid: child_pid,
                    kind,
                    started,
                    start_s: now_ms / 1000,
                    dirty_at_start: dirty,
                    report: Some(report_r),
                    tmp_path: PathBuf::new(),
                    diskless: false,
                    exit: None,
                    progress: Default::default(),
                    keys_total: 0,
                    release: None,
                });
                Ok(child_pid)
            }
        }
    }

    /// Reaps a finished child, if any (cron). Returns how it ended, with the child record, for the caller to
    /// finish the job (an RDB save updates `dirty`/`lastsave`; a rewrite swaps files).
    pub fn reap(&mut self) -> Option<(Child, bool)> {
        let now_ms = crate::util::now_ms();
        let child = self.child.as_mut()?;
        if let Some(fd) = child.report.as_ref() {
            child.progress.receive(fd.as_raw_fd(), now_ms);
        }
        let pid = child.pid;
        let mut status: libc::c_int = 0;
        // SAFETY: `status` is a valid out-pointer; WNOHANG never blocks.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == 0 {
            return None;
        }
        let mut child = self.child.take()?;
        let how = if r < 0 {
            // Lost track of it (ECHILD): treat as a failure.
            ExitStatus::Exited(1)
        } else if libc::WIFSIGNALED(status) {
            ExitStatus::Signaled(libc::WTERMSIG(status))
        } else if libc::WEXITSTATUS(status) == process::CHILD_NOERROR_EXIT {
            // Its SIGUSR1 handler exited this way (Redis's `checkChildrenDone`).
            ExitStatus::Signaled(libc::SIGUSR1)
        } else {
            ExitStatus::Exited(libc::WEXITSTATUS(status))
        };
        if let Some(fd) = child.report.take() {
            child.progress.receive(fd.as_raw_fd(), now_ms);
        }
        let cow = child.progress.final_cow.unwrap_or(0);
        let elapsed_s = child.started.elapsed().as_secs() as i64;
        let ok = how == ExitStatus::Exited(0);
        child.exit = Some(how);
        match child.kind {
            ChildKind::Rdb if child.diskless => match how {
                ExitStatus::Exited(0) => log_notice!("Background RDB transfer terminated with success"),
                ExitStatus::Exited(_) => log_warning!("Background transfer error"),
                ExitStatus::Signaled(sig) => log_warning!("Background transfer terminated by signal {sig}"),
            },
            ChildKind::Rdb => {
                self.stats.last_bgsave_time_sec = elapsed_s;
                self.stats.rdb_last_cow_size = cow;
                match how {
                    ExitStatus::Exited(0) => {
                        log_notice!("Background saving terminated with success");
                    }
                    ExitStatus::Exited(_) => log_warning!("Background saving error"),
                    ExitStatus::Signaled(sig) => {
                        log_warning!("Background saving terminated by signal {sig}");
                        let _ = crate::latency::timed("rdb-unlink-temp-file", || std::fs::remove_file(&child.tmp_path));
                    }
                }
                // A child killed on purpose (SIGUSR1) does not count as an error, as Redis.
                self.stats.last_bgsave_ok = ok || how == ExitStatus::Signaled(libc::SIGUSR1);
            }
            ChildKind::Aof => {
                self.stats.aof_last_rewrite_time_sec = elapsed_s;
                self.stats.aof_last_cow_size = cow;
                if !ok {
                    if let ExitStatus::Signaled(sig) = how {
                        log_warning!("Background AOF rewrite terminated by signal {sig}");
                    } else {
                        log_warning!("Background AOF rewrite terminated with error");
                    }
                    let _ = std::fs::remove_file(&child.tmp_path);
                }
            }
        }
        Some((child, ok))
    }

    /// Lets a diskless child that wrote its whole payload exit (the parent read the pipe to its end).
    pub fn release_child(&mut self) {
        if let Some(c) = self.child.as_mut() {
            c.release = None;
        }
    }

    /// Kills the running child (FLUSHALL, SHUTDOWN, CONFIG SET appendonly no) and waits for it, removing its
    /// temporary file.
    pub fn kill_child(&mut self) {
        let Some(child) = self.child.take() else { return };
        let _ = process::kill(child.pid, libc::SIGUSR1);
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer; the child was just signalled, so this wait is short.
        unsafe { libc::waitpid(child.pid, &mut status, 0) };
        let _ = std::fs::remove_file(&child.tmp_path);
        match child.kind {
            ChildKind::Rdb => log_notice!("Killing running RDB child: {}", child.pid),
            ChildKind::Aof => log_notice!("Killing running AOF rewrite child: {}", child.pid),
        }
    }

    /// Whether a save point is due (Redis's serverCron rule): enough changes in enough time, and not right after
    /// a failed attempt.
    pub fn save_point_due(&self, c: &Config, dirty: u64, lastsave_s: i64, now_s: i64) -> Option<(i64, i64)> {
        if self.child.is_some() {
            return None;
        }
        c.save_params.iter().copied().find(|&(secs, changes)| {
            dirty >= changes as u64
                && now_s - lastsave_s > secs
                && (now_s - self.stats.last_bgsave_try_s > BGSAVE_RETRY_DELAY_S || self.stats.last_bgsave_ok)
        })
    }
}

#[cfg(test)]
mod rewrite_limit_tests {
    use super::*;

    #[test]
    fn below_threshold_is_free_and_resets() {
        let mut l = RewriteLimit { next_delay_minutes: 4, next_rewrite_time: 1000 };
        assert_eq!(l.check(AOF_REWRITE_LIMIT_THRESHOLD - 1, 10), LimitCheck::Free);
        assert_eq!(l, RewriteLimit::default());
    }

    #[test]
    fn delays_double_up_to_an_hour() {
        let mut l = RewriteLimit::default();
        let mut now = 1_000_000;
        let mut seen = Vec::new();
        for _ in 0..9 {
            match l.check(AOF_REWRITE_LIMIT_THRESHOLD, now) {
                LimitCheck::Started(m) => seen.push(m),
                other => panic!("expected a new wait, got {other:?}"),
            }
            // Still waiting one second before the end of the wait.
            let end = l.next_rewrite_time;
            assert_eq!(l.check(AOF_REWRITE_LIMIT_THRESHOLD, end - 1), LimitCheck::Waiting);
            // At the end, one attempt is free.
            now = end;
            assert_eq!(l.check(AOF_REWRITE_LIMIT_THRESHOLD + 1, now), LimitCheck::Free);
        }
        assert_eq!(seen, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
