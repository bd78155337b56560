//! The server's side of persistence: loading at start-up, save points and the child process in the cron, the
//! AOF written before replies, and saving on shutdown. The formats and the fork live in [`crate::persist`].

use super::Server;
use crate::persist::engine::{self, ChildKind};
use crate::{log_notice, log_warning};

impl Server {
    /// Loads the dataset at start-up (Redis's `loadDataFromDisk`): the AOF when `appendonly` is on, otherwise the
    /// RDB file if there is one. Returns false when the data can't be loaded and the server must not start.
    pub(super) fn load_data_at_startup(&mut self) -> bool {
        if self.state.config.appendonly {
            return self.load_aof_at_startup();
        }
        let path = engine::rdb_path(&self.state.config);
        if !path.exists() {
            return true;
        }
        let started = std::time::Instant::now();
        self.state.persist.stats.loading = true;
        let now = crate::util::now_ms();
        let opts = engine::load_options(&self.state.config, now, self.state.lru_clock);
        let r = crate::persist::rdb::load_file(&path, &mut self.state.dbs, &opts);
        self.state.persist.stats.loading = false;
        match r {
            Ok(st) => {
                log_rdb_aux(&st.aux, now);
                log_notice!("Done loading RDB, keys loaded: {}, keys expired: {}.", st.keys, st.expired_skipped);
                self.state.persist.stats.rdb_last_load_keys_loaded = st.keys;
                self.state.persist.stats.rdb_last_load_keys_expired = st.expired_skipped;
                log_notice!("DB loaded from disk: {:.3} seconds", started.elapsed().as_secs_f64());
                true
            }
            Err(e) => {
                log_warning!("Fatal error loading the DB: {e}. Exiting.");
                false
            }
        }
    }

    /// The AOF at start-up; see [`crate::persist::aof`].
    fn load_aof_at_startup(&mut self) -> bool {
        self.aof_load_and_open()
    }

    /// FLUSHALL with save points configured: a running RDB child is killed and the empty dataset saved at once.
    pub(super) fn save_after_flushall(&mut self) {
        if self.state.config.save_params.is_empty() {
            return;
        }
        if self.state.persist.child_kind() == Some(ChildKind::Rdb) {
            self.state.persist.kill_child();
            self.state.set_child(None);
        }
        // Redis counts the flush itself as one change after the save.
        let saved = self.state.save_now();
        if saved {
            self.state.dirty += 1;
        }
    }

    /// Cron work: reap a finished child, start scheduled jobs, check the save points and the AOF growth.
    pub(super) fn persistence_cron(&mut self) {
        if let Some((child, ok)) = self.state.persist.reap() {
            self.state.set_child(None);
            match child.kind {
                ChildKind::Rdb => {
                    if ok {
                        self.state.dirty = self.state.dirty.saturating_sub(child.dirty_at_start);
                        self.state.lastsave_s = crate::util::now_ms() / 1000;
                    }
                }
                ChildKind::Aof => self.aof_rewrite_done(child.tmp_path.clone(), ok),
            }
        }
        if self.state.persist.child.is_some() {
            return;
        }
        if self.state.persist.aof_rewrite_scheduled {
            self.state.persist.aof_rewrite_scheduled = false;
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
        let due = self.state.persist.save_point_due(&self.state.config, self.state.dirty, self.state.lastsave_s, now_s);
        if let Some((secs, changes)) = due {
            log_notice!("{changes} changes in {secs} seconds. Saving...");
            let _ = self.state.start_bgsave();
            return;
        }
        self.aof_cron();
    }

    /// What SHUTDOWN and SIGTERM save (Redis's `prepareForShutdown`): kills a running child, flushes the AOF,
    /// and saves the RDB when save points exist (or `save` asks) unless `nosave`. Returns false when the save
    /// failed and the shutdown must not go on (unless `force`).
    pub(super) fn shutdown_persistence(&mut self, nosave: bool, save: bool, force: bool) -> bool {
        if let Some(kind) = self.state.persist.child_kind() {
            match kind {
                ChildKind::Rdb => log_warning!("There is a child saving an .rdb. Killing it!"),
                ChildKind::Aof => log_warning!("There is a child rewriting the AOF. Killing it!"),
            }
            self.state.persist.kill_child();
            self.state.set_child(None);
        }
        self.aof_shutdown();
        if (!self.state.config.save_params.is_empty() && !nosave) || save {
            log_notice!("Saving the final RDB snapshot before exiting.");
            if !self.state.save_now() {
                if force {
                    log_warning!("Error trying to save the DB. Exit anyway.");
                } else {
                    log_warning!("Error trying to save the DB, can't exit.");
                    return false;
                }
            }
        }
        true
    }
}

/// Logs what Redis logs about a loaded RDB's aux fields.
fn log_rdb_aux(aux: &[(Vec<u8>, Vec<u8>)], now_ms: i64) {
    for (k, v) in aux {
        let v_str = String::from_utf8_lossy(v);
        match k.as_slice() {
            b"redis-ver" => log_notice!("Loading RDB produced by version {v_str}"),
            b"ctime" => {
                if let Ok(t) = v_str.parse::<i64>() {
                    log_notice!("RDB age {} seconds", (now_ms / 1000 - t).max(0));
                }
            }
            b"used-mem" => {
                if let Ok(m) = v_str.parse::<u64>() {
                    log_notice!("RDB memory usage when created {:.2} Mb", m as f64 / 1024.0 / 1024.0);
                }
            }
            _ => {}
        }
    }
}
