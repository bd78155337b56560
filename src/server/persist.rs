//! The server's side of persistence: loading at start-up, save points and the child process in the cron, the
//! AOF written before replies, and saving on shutdown. The formats and the fork live in [`crate::persist`].

use super::Server;
use crate::event_loop::EventLoop;
use crate::keyspace::db::Db;
use crate::persist::engine::{self, ChildKind};
use crate::persist::rdb::report::{self, Source};
use crate::persist::rdb::{DbSink, RdbError};
use crate::state::repl::link::ReplLink as _;
use crate::state::ShutdownFlags;
use crate::{log_notice, log_warning};
use std::cell::Cell;
use std::io::BufReader;
use std::rc::Rc;

impl Server {
    /// Loads the dataset at start-up (Redis's `loadDataFromDisk`): the AOF when `appendonly` is on, otherwise the
    /// RDB file if there is one. Meanwhile clients are served every `loading-process-events-interval-bytes`
    /// (commands without the `loading` flag get `-LOADING`). Returns false when the data can't be loaded and the
    /// server must not start.
    pub(super) fn load_data_at_startup(&mut self, el: &mut EventLoop) -> bool {
        if self.state.config.appendonly {
            return self.aof_load_and_open(Some(el));
        }
        let path = engine::rdb_path(&self.state.config);
        let Ok(meta) = std::fs::metadata(&path) else { return true };
        let started = std::time::Instant::now();
        self.begin_loading(meta.len());
        let now = crate::util::now_ms();
        let mut opts = engine::load_options(&self.state.config, now, self.state.lru_clock);
        // A master drops the keys that expired while it was down, and puts their DELs in a backlog made for the
        // load (rebased on the file's offset afterwards); a replica keeps them for its master's DELs.
        let master = !self.state.config.extra.contains_key("replicaof");
        opts.drop_expired = master;
        if master {
            crate::state::repl::create_backlog(&mut self.state);
        }
        // The data loads into databases of its own, so clients served meanwhile find consistent (empty) ones.
        let n = self.state.dbs.len();
        let mut dbs: Vec<Db> = (0..n).map(Db::new).collect();
        let r = match std::fs::File::open(&path) {
            Ok(f) => {
                let consumed = Rc::new(Cell::new(0u64));
                let mut reader = crate::state::host::CountingReader {
                    inner: BufReader::with_capacity(1 << 20, f),
                    consumed: consumed.clone(),
                };
                let mut sink = crate::state::host::ProgressSink::new(DbSink::new(&mut dbs, false), self, el, consumed);
                crate::persist::rdb::read_rdb_with(&mut reader, &mut sink, &opts)
            }
            Err(e) => {
                std::mem::swap(&mut self.state.dbs, &mut dbs);
                self.end_loading();
                log_warning!("Fatal error loading the DB: {}. Exiting.", crate::sys::error_text(&e));
                return false;
            }
        };
        std::mem::swap(&mut self.state.dbs, &mut dbs);
        self.end_loading();
        match r {
            Ok(st) => {
                if let Err(e) = self.state.functions.load_from_rdb(&st.functions, false) {
                    log_warning!("Failed loading library, {e}");
                    log_warning!("Terminating server after rdb file reading failure.");
                    return false;
                }
                crate::state::repl::note_loaded_aux(&mut self.state, &st.aux);
                if master {
                    crate::state::repl::restore_master_history(&mut self.state);
                }
                self.log_load_done(&st);
                log_notice!("DB loaded from disk: {:.3} seconds", started.elapsed().as_secs_f64());
                true
            }
            Err(e) => {
                if self.log_load_failure(&e, Source::File) {
                    crate::persist::rdb::check::report_damaged_file(&path, now);
                } else {
                    log_warning!("Fatal error loading the DB: Invalid argument. Exiting.");
                }
                false
            }
        }
    }

    /// The end of a successful load, as Redis logs it and counts it (INFO's `rdb_last_load_keys_*`).
    pub(super) fn log_load_done(&mut self, st: &crate::persist::rdb::LoadStats) {
        if st.empty_keys_skipped > 0 {
            log_warning!(
                "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
                st.keys,
                st.expired_skipped,
                st.empty_keys_skipped
            );
        } else {
            log_notice!("Done loading RDB, keys loaded: {}, keys expired: {}.", st.keys, st.expired_skipped);
        }
        self.state.persist.stats.rdb_last_load_keys_loaded = st.keys;
        self.state.persist.stats.rdb_last_load_keys_expired = st.expired_skipped;
    }

    /// Logs Redis's report of load failure `e` ([`crate::persist::rdb::report`]); true when Redis would exit here.
    pub(super) fn log_load_failure(&self, e: &RdbError, source: Source) -> bool {
        let r = report::report(e, source, self.state.persist.stats.loading_loaded_bytes);
        for (level, line) in &r.lines {
            crate::log_at!(*level, "{line}");
        }
        r.fatal
    }

    /// Marks the start of a load of `total_bytes` (INFO's `loading` fields).
    pub(super) fn begin_loading(&mut self, total_bytes: u64) {
        let st = &mut self.state.persist.stats;
        st.loading = true;
        st.loading_start = Some(std::time::Instant::now());
        st.loading_start_s = crate::util::now_ms() / 1000;
        st.loading_total_bytes = total_bytes;
        st.loading_loaded_bytes = 0;
        crate::keyspace::dict::set_bulk_load(true);
    }

    pub(super) fn end_loading(&mut self) {
        crate::keyspace::dict::set_bulk_load(false);
        // Keys past their TTL were live for the replayed commands; from now on they expire (a replica sets it
        // again before each command of its master).
        self.state.lazy_expiry.off = false;
        self.state.persist.stats.loading = false;
        self.state.persist.stats.loading_start = None;
    }

    /// Progress of a load: serves clients when another `loading-process-events-interval-bytes` went by (Redis's
    /// `processEventsWhileBlocked`).
    pub(super) fn loading_progress(&mut self, el: &mut EventLoop, loaded_bytes: u64, last_events_at: &mut u64) {
        self.state.persist.stats.loading_loaded_bytes = loaded_bytes;
        let every = self.state.config.stored_i64("loading-process-events-interval-bytes").max(1024) as u64;
        if loaded_bytes >= *last_events_at + every {
            *last_events_at = loaded_bytes;
            let _ = el.process_events(self, Some(0));
        }
    }

    /// After FLUSHALL: a running RDB child is killed (its snapshot is of data that is gone; with or without save
    /// points), and with save points configured the empty dataset is saved at once.
    pub(super) fn save_after_flushall(&mut self) {
        if self.state.persist.child_kind() == Some(ChildKind::Rdb) {
            self.state.persist.kill_child();
            self.state.set_child(None);
        }
        if self.state.config.save_params.is_empty() {
            return;
        }
        // The save resets the change counter: FLUSHALL with save points leaves rdb_changes_since_last_save at 0
        // (Redis 7.0.15's flushAllDataAndResetRDB; the flush itself is not counted after the save). A failed save
        // is logged and counted by save_now.
        let _ = self.state.save_now();
    }

    /// Cron work: reap a finished child, start scheduled jobs, check the save points and the AOF growth.
    pub(super) fn persistence_cron(&mut self) {
        // Forked Lua debugging sessions that ended (Redis's `ldbRemoveChild` in `checkChildrenDone`).
        if !self.state.scripting.ldb_children.is_empty() {
            self.state.scripting.ldb_children.retain(|&pid| !crate::sys::process::child_exited(pid));
        }
        self.reap_persistence_child();
        if self.state.persist.child.is_some() {
            return;
        }
        // A scheduled rewrite stays scheduled until one starts (it clears the flag), unless rewrites keep failing.
        if self.state.persist.aof_rewrite_scheduled && !self.aof_rewrite_limited() {
            let _ = self.start_aof_rewrite();
            if self.state.persist.child.is_some() {
                return;
            }
        }
        if self.state.persist.bgsave_scheduled {
            self.state.persist.bgsave_scheduled = false;
            let _ = self.state.start_bgsave();
            return;
        }
        let now_s = crate::util::now_ms() / 1000;
        let due = self.state.persist.save_point_due(
            &self.state.config,
            self.state.persist.dirty,
            self.state.persist.lastsave_s,
            now_s,
        );
        if let Some((secs, changes)) = due {
            log_notice!("{changes} changes in {secs} seconds. Saving...");
            let _ = self.state.start_bgsave();
            return;
        }
        self.aof_cron();
    }

    /// Reaps the background child if it ended and finishes its job (Redis's `checkChildrenDone`).
    fn reap_persistence_child(&mut self) {
        if let Some((child, ok)) = self.state.persist.reap() {
            self.state.set_child(None);
            match child.kind {
                ChildKind::Rdb => {
                    if ok && !child.diskless {
                        self.state.persist.dirty = self.state.persist.dirty.saturating_sub(child.dirty_at_start);
                        self.state.persist.lastsave_s = crate::util::now_ms() / 1000;
                    }
                    if !child.diskless {
                        self.repl_bgsave_done(ok);
                    } else {
                        self.repl_diskless_child_done(ok);
                    }
                }
                ChildKind::Aof => self.aof_rewrite_done(child.tmp_path.clone(), ok, child.killed_on_purpose()),
            }
        }
    }

    /// The persistence half of Redis's `finishShutdown`: kills a running child, flushes and fsyncs the AOF, and
    /// saves the RDB when save points exist (or `save` asks) unless `nosave`. Returns false, with the reason
    /// logged, when the shutdown must not go on: the AOF is being turned on and its first rewrite still runs, or
    /// the save failed (neither stops a `force` shutdown).
    pub(super) fn shutdown_persistence(&mut self, flags: ShutdownFlags) -> bool {
        // A half-loaded dataset is never saved over the file it comes from.
        let (nosave, save) = if self.state.persist.stats.loading { (true, false) } else { (flags.nosave, flags.save) };
        // A child that already ended is finished first (during a busy script the cron has not run): a first AOF
        // rewrite that completed no longer holds the shutdown up.
        self.reap_persistence_child();
        if self.state.persist.child_kind() == Some(ChildKind::Rdb) {
            // Its snapshot would race with (and could overwrite) the one saved below.
            log_warning!("There is a child saving an .rdb. Killing it!");
            self.state.persist.kill_child();
            self.state.set_child(None);
        }
        if self.state.persist.child_kind() == Some(ChildKind::Aof) {
            // Before its first rewrite the AOF holds nothing of the dataset: exiting now would lose it.
            if self.aof_waiting_first_rewrite() {
                if flags.force {
                    log_warning!("Writing initial AOF. Exit anyway.");
                } else {
                    log_warning!("Writing initial AOF, can't exit.");
                    return false;
                }
            }
            // Otherwise the AOF we have is longer than the rewrite would be, but complete.
            log_warning!("There is a child rewriting the AOF. Killing it!");
            self.state.persist.kill_child();
            self.state.set_child(None);
        }
        self.aof_shutdown();
        if (!self.state.config.save_params.is_empty() && !nosave) || save {
            log_notice!("Saving the final RDB snapshot before exiting.");
            crate::supervise::saving_final_snapshot();
            if !self.state.save_now() {
                if flags.force {
                    log_warning!("Error trying to save the DB. Exit anyway.");
                } else {
                    log_warning!("Error trying to save the DB, can't exit.");
                    crate::supervise::shutdown_failed();
                    return false;
                }
            }
        }
        true
    }
}
