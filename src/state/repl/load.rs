//! A replica's full sync from the payload header on (Redis 7.0's `readSyncBulkPayload`): where the master's RDB
//! goes (`repl-diskless-load`), loading it, and what happens to the old dataset and the AOF around it.
//!
//! ```text
//!  $<len> | $EOF:<mark> ─┬─ disabled, or on-empty-db with keys ─▶ temp-<unixtime>.<pid>.rdb, written as bytes
//!                        │    arrive (never the whole payload in memory) ─▶ flush old data ─▶ rename to
//!                        │    dbfilename ─▶ load the file through a buffered reader
//!                        ├─ on-empty-db, no keys ─▶ flush (nothing) ─▶ load straight from the socket
//!                        └─ swapdb ─▶ load from the socket into fresh databases; the old ones stay (served to
//!                             readers when the master's replication ID is ours: async loading) and are swapped
//!                             out on success, kept on failure
//! ```
//!
//! Loading blocks the event loop as in Redis, but serves clients every `loading-process-events-interval-bytes`
//! (`-LOADING`, or under async loading everything but `no-async-loading` commands). The link's socket is taken out
//! of the loop meanwhile and read with a `repl-timeout` wait per read ([`PayloadReader`]), whose idle hook also
//! serves clients while the master is silent (the hook owns the server during a socket load, so that load's
//! sink, [`DelaySink`], only inserts keys). Old databases go to
//! the lazy-free thread when `replica-lazy-flush yes` (and always for swapdb's discarded set, as Redis).
//! With `appendonly yes` the AOF is stopped before the load and restarted through a rewrite after a successful
//! one (Redis's `restartAOFAfterSYNC`), so it never mixes the old dataset with the new master's stream.
//!
//! Written as [`ReplLoad`], implemented for every [`Host`] as [`ReplLink`] is.
//!
//! Tested end to end by tests/replication/replication_load.rs (every mode, against Redis and ferredis masters, disk and
//! diskless transfers, aborted transfers, async loading, AOF restart).

use super::link::ReplLink;
use crate::event_loop::EventLoop;
use crate::keyspace::db::Db;
use crate::persist::engine::{self, ChildKind};
use crate::persist::rdb::report::{self, Source};
use crate::persist::rdb::{DbSink, LoadStats, RdbError};
use crate::state::host::{CountingReader, Host, ProgressSink};
use crate::state::repl::replica::{MasterLink, PayloadReader, TempFile};
use crate::sys::poller::Interest;
use crate::{log_notice, log_warning};
use std::cell::Cell;
use std::io::BufRead;
use std::os::fd::AsRawFd;
use std::rc::Rc;

/// The socket load's sink: keys go to the loading databases; `key-load-delay` (a testing directive) slows each
/// one down. (Clients are served by the reader's idle hook, which owns the server meanwhile, and which refreshes
/// the delay there, so a CONFIG SET of it served during the load applies at once, as in Redis.)
struct DelaySink<'d> {
    inner: DbSink<'d>,
    key_delay_us: Rc<Cell<i64>>,
}

// Forwards to `DbSink` as `server/persist.rs`'s `ProgressSink` does: the two loads add different things around the
// same sink, and a trait's methods cannot be forwarded wholesale without a macro.
impl crate::persist::rdb::LoadSink for DelaySink<'_> {
    fn aux(&mut self, key: &[u8], val: &[u8], offset: u64) {
        crate::persist::rdb::report::log_aux_field(key, val);
        self.inner.aux(key, val, offset)
    }

    fn select_db(&mut self, db: u64, offset: u64) -> Result<(), String> {
        self.inner.select_db(db, offset)
    }

    fn resize_db(&mut self, keys: u64, expires: u64) {
        self.inner.resize_db(keys, expires)
    }

    fn begin_key(&mut self, rdb_type: u8, key: &[u8]) {
        self.inner.begin_key(rdb_type, key)
    }

    fn finish(&mut self) -> Result<(), String> {
        self.inner.finish()
    }

    fn entry(&mut self, e: crate::keyspace::object::Entry, expire_ms: Option<i64>) -> Result<(), String> {
        self.inner.entry(e, expire_ms)?;
        let delay = self.key_delay_us.get();
        if delay != 0 {
            crate::util::debug_delay(delay);
        }
        Ok(())
    }
}

/// Attempts at turning the AOF back on after a sync before giving up (Redis's `restartAOFAfterSYNC`).
const AOF_RESTART_TRIES: u32 = 10;

pub trait ReplLoad: Host + Sized {
    /// Redis's `useDisklessLoad`: straight from the socket for swapdb, and for on-empty-db when we hold no key.
    fn repl_use_diskless_load(&self) -> bool {
        match self.state_ref().config.stored_str("repl-diskless-load") {
            "swapdb" => true,
            "on-empty-db" => self.state_ref().dbs.iter().all(|d| d.is_empty()),
            _ => false,
        }
    }

    /// The payload's header arrived: a temp file for a disk load, or the whole load from the socket. Returns
    /// false when the link is gone (loaded, or failed) and the caller must stop looking at it.
    fn repl_bulk_start(&mut self, el: &mut EventLoop) -> bool {
        let diskless = self.repl_use_diskless_load();
        let path = engine::rdb_path(&self.state_ref().config);
        let Some(link) = self.state().repl.link.as_mut() else { return false };
        let to = if diskless { "to parser" } else { "to disk" };
        match link.bulk_len {
            Some(n) => log_notice!("MASTER <-> REPLICA sync: receiving {n} bytes from master {to}"),
            None => log_notice!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {to}"),
        }
        if diskless {
            let Some(link) = self.state().repl.link.take() else { return false };
            self.repl_load_from_socket(el, link);
            return false;
        }
        let tmp = path.with_file_name(format!("temp-{}.{}.rdb", crate::util::now_ms() / 1000, std::process::id()));
        let opened = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&tmp);
        match opened {
            Ok(f) => {
                link.transfer_file = Some(TempFile::new(f, tmp));
                true
            }
            Err(e) => {
                let msg = format!(
                    "Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
                    crate::sys::error_text(&e)
                );
                // Redis opens it in the handshake, whose failures wait for the cron.
                self.repl_link_fail_then(el, &msg, false);
                false
            }
        }
    }

    /// Payload bytes arrived for the temp file; the last ones start the load. Returns false when the link is
    /// gone.
    fn repl_bulk_body(&mut self, el: &mut EventLoop) -> bool {
        let Some(link) = self.state().repl.link.as_mut() else { return false };
        let Some(mut tmp) = link.transfer_file.take() else {
            self.repl_link_fail(el, "MASTER <-> REPLICA sync: payload bytes with no destination");
            return false;
        };
        let r = match tmp.file() {
            Some(f) => link.drain_payload(f),
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no temp file")),
        };
        link.transfer_file = Some(tmp);
        match r {
            Ok(false) => true,
            Ok(true) => {
                let Some(link) = self.state().repl.link.take() else { return false };
                self.repl_load_from_file(el, link);
                false
            }
            Err(e) => {
                let msg = format!(
                    "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA \
                     synchronization: {}",
                    crate::sys::error_text(&e)
                );
                self.repl_link_fail(el, &msg);
                false
            }
        }
    }

    /// Before a load: the AOF stops (it restarts after a successful sync) and an RDB child is killed (its file
    /// would overwrite the synced data, and copy-on-write would copy the heap we are about to replace).
    fn repl_prepare_load(&mut self, diskless: bool) {
        if self.state().config.appendonly {
            self.stop_append_only();
            self.state().repl.aof_held = true;
        }
        if self.state().persist.child_kind() == Some(ChildKind::Rdb) {
            if !diskless {
                let pid = self.state().persist.child.as_ref().map_or(0, |c| c.pid);
                log_notice!(
                    "Replica is about to load the RDB file received from the master, but there is a pending RDB \
                     child running. Killing process {pid} and removing its temp file to avoid any race"
                );
            }
            self.state().persist.kill_child();
            self.state().set_child(None);
        }
    }

    /// Redis's `replicationAttachToNewMaster`: sub-replicas follow a history that ends here, and its backlog goes.
    fn repl_attach_to_new_master(&mut self) {
        if std::mem::take(&mut self.state().repl.can_continue) {
            // Redis's `replicationDiscardCachedMaster`: the history we offered is over.
            log_notice!("Discarding previously cached master state.");
        }
        self.repl_disconnect_replicas_now();
        self.state().repl.backlog = None;
    }

    /// Empties the dataset before a load that does not keep it (lazily with `replica-lazy-flush yes`).
    fn repl_flush_old_data(&mut self) {
        log_notice!("MASTER <-> REPLICA sync: Flushing old data");
        let n = self.state().dbs.len();
        let fresh: Vec<Db> = (0..n).map(Db::new).collect();
        let old = self.state().replace_dbs(fresh);
        let lazy = self.state().config.stored_bool("replica-lazy-flush");
        self.repl_discard_dbs(old, lazy);
    }

    /// Frees databases that are done with, in the lazy-free thread when `lazy`.
    fn repl_discard_dbs(&mut self, dbs: Vec<Db>, lazy: bool) {
        if dbs.iter().all(|d| d.is_empty()) {
            return;
        }
        if lazy {
            self.state().lazyfree.free_dbs(dbs);
        } else {
            drop(dbs);
            crate::keyspace::lazyfree::purge();
        }
    }

    /// Loads one RDB from `reader` into fresh databases, serving clients meanwhile (Redis's `startLoading` ..
    /// `stopLoading`).
    fn repl_read_rdb<R: BufRead>(
        &mut self,
        el: &mut EventLoop,
        reader: R,
        total_bytes: u64,
        async_loading: bool,
    ) -> (Result<LoadStats, RdbError>, Vec<Db>) {
        let n = self.state().dbs.len();
        let mut dbs: Vec<Db> = (0..n).map(Db::new).collect();
        let mut opts =
            engine::load_options(&self.state_ref().config, crate::util::now_ms(), self.state_ref().lru_clock);
        // Expired keys stay: the master's DELs remove them.
        opts.drop_expired = false;
        self.begin_loading(total_bytes);
        self.state().persist.stats.async_loading = async_loading;
        self.state().repl.sync_loading = true;
        let consumed = Rc::new(Cell::new(0u64));
        let mut reader = CountingReader { inner: reader, consumed: consumed.clone() };
        let r = {
            let mut sink = ProgressSink::new(DbSink::new(&mut dbs, false), self, el, consumed);
            crate::persist::rdb::read_rdb_with(&mut reader, &mut sink, &opts)
        };
        self.state().repl.sync_loading = false;
        self.state().persist.stats.async_loading = false;
        self.end_loading();
        (r, dbs)
    }

    /// The payload is in the temp file: it becomes our RDB file and is loaded from there.
    fn repl_load_from_file(&mut self, el: &mut EventLoop, mut link: Box<MasterLink>) {
        let Some((file, tmp)) = link.transfer_file.take().and_then(TempFile::keep) else { return };
        let total = link.received;
        if let Err(e) = file.sync_all() {
            let _ = std::fs::remove_file(&tmp);
            let msg = format!(
                "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {}",
                crate::sys::error_text(&e)
            );
            return self.repl_cancel_sync(el, link, &msg);
        }
        drop(file);
        self.repl_prepare_load(false);
        self.repl_attach_to_new_master();
        self.repl_flush_old_data();
        let _ = el.remove_interest(link.sock.as_raw_fd(), Interest::BOTH);
        log_notice!("MASTER <-> REPLICA sync: Loading DB in memory");
        let path = engine::rdb_path(&self.state_ref().config);
        if let Err(e) = std::fs::rename(&tmp, &path) {
            let _ = std::fs::remove_file(&tmp);
            let msg = format!(
                "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}",
                path.display(),
                crate::sys::error_text(&e)
            );
            return self.repl_cancel_sync(el, link, &msg);
        }
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                let msg = format!(
                    "Failed trying to load the MASTER synchronization DB from disk: {}",
                    crate::sys::error_text(&e)
                );
                return self.repl_cancel_sync(el, link, &msg);
            }
        };
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        let (read, expected) = link.transfer_progress();
        self.state().repl.sync_progress = (read, expected, link.last_io_ms);
        let (r, dbs) = self.repl_read_rdb(el, reader, total, false);
        let r = r.and_then(|st| self.repl_apply_functions(&st).map(|_| st));
        if let Ok(st) = &r {
            self.log_load_done(st);
        }
        if let Err(e) = &r {
            // A damaged file ends the server, as Redis's loader does for any file (after the checker's report).
            if self.log_load_failure(e, Source::File) {
                crate::persist::rdb::check::report_damaged_file(&path, crate::util::now_ms());
                std::process::exit(1);
            }
        }
        let del_sync_file = self.state().config.stored_bool("rdb-del-sync-files")
            && self.state().config.save_params.is_empty()
            && !self.state().config.appendonly;
        if del_sync_file {
            log_notice!("Removing the RDB file obtained from the master. This replica has persistence disabled");
            let _ = std::fs::remove_file(&path);
        }
        if r.is_err() {
            // The old data is gone already; so is the half-loaded new one. (What is left is a file Redis's loader
            // refuses up front, with EINVAL.)
            let lazy = self.state_ref().config.stored_bool("replica-lazy-flush");
            self.repl_discard_dbs(dbs, lazy);
            let msg = "Failed trying to load the MASTER synchronization DB from disk: Invalid argument";
            return self.repl_cancel_sync(el, link, msg);
        }
        let empty = self.state().install_loaded_dbs(dbs);
        drop(empty);
        self.repl_sync_done(el, link);
    }

    /// Loads the payload straight from the link socket (`on-empty-db` with no keys, or `swapdb`).
    fn repl_load_from_socket(&mut self, el: &mut EventLoop, mut link: Box<MasterLink>) {
        let swapdb = self.state().config.stored_str("repl-diskless-load") == "swapdb";
        self.repl_prepare_load(true);
        if !swapdb {
            self.repl_attach_to_new_master();
            self.repl_flush_old_data();
        }
        // The loop must not see the socket while the loader reads it.
        let fd = link.sock.as_raw_fd();
        let _ = el.remove_interest(fd, Interest::BOTH);
        log_notice!("MASTER <-> REPLICA sync: Loading DB in memory");
        // Serving the old data while loading is only right when it is an earlier state of the same history.
        let async_loading = swapdb && link.full.as_ref().is_some_and(|(id, _)| *id == self.state().repl.replid);
        let timeout_ms = (self.state().config.stored_i64("repl-timeout").max(1) * 1000).min(i32::MAX as i64) as i32;
        let buffered = std::mem::take(&mut link.inbuf);
        let total = link.bulk_len.unwrap_or(0) as u64;
        let n = self.state().dbs.len();
        let mut dbs: Vec<Db> = (0..n).map(Db::new).collect();
        let mut opts =
            engine::load_options(&self.state_ref().config, crate::util::now_ms(), self.state_ref().lru_clock);
        opts.drop_expired = false;
        let every = self.state().config.stored_i64("loading-process-events-interval-bytes").max(1024) as u64;
        let key_delay_us = Rc::new(Cell::new(self.state().config.stored_i64("key-load-delay")));
        self.begin_loading(total);
        self.state().persist.stats.async_loading = async_loading;
        self.state().repl.sync_loading = true;
        // As Redis's INFO shows a load from the socket: nothing counted as read, the header's size (0 for EOF).
        let (_, expected) = link.transfer_progress();
        self.state().repl.sync_progress = (0, expected, link.last_io_ms);
        let (r, mark_ok, leftover, socket_bytes, last_io_ms) = {
            // Clients are served from the reader: every `every` bytes, and while the master is silent.
            let srv: &mut Self = self;
            let el_ref: &mut EventLoop = el;
            let delay = key_delay_us.clone();
            let hook = move |consumed: u64| {
                srv.state().persist.stats.loading_loaded_bytes = consumed;
                let _ = el_ref.process_events(srv, Some(0));
                delay.set(srv.state().config.stored_i64("key-load-delay"));
                if let Some(code) = srv.exit_code() {
                    // A shutdown (SIGTERM) completed meanwhile: leave now, as Redis's `whileBlockedCron`.
                    std::process::exit(code);
                }
            };
            let mut reader =
                PayloadReader::over(&mut link.sock, buffered, link.bulk_len, timeout_ms).with_idle(every, hook);
            let mut sink = DelaySink { inner: DbSink::new(&mut dbs, false), key_delay_us };
            let r = crate::persist::rdb::read_rdb_with(&mut reader, &mut sink, &opts);
            let mark_ok = match (&r, link.eof_mark.as_deref()) {
                (Ok(_), Some(mark)) => matches!(reader.check_mark(mark), Ok(true)),
                _ => true,
            };
            let (socket_bytes, last_io_ms) = (reader.socket_bytes, reader.last_io_ms);
            (r, mark_ok, reader.into_leftover(), socket_bytes, last_io_ms)
        };
        self.state().repl.sync_loading = false;
        self.state().persist.stats.async_loading = false;
        self.end_loading();
        self.state().stats.net_repl_input_bytes += socket_bytes;
        link.last_io_ms = last_io_ms;
        let r = r.and_then(|st| self.repl_apply_functions(&st).map(|_| st));
        if let Some(msg) = self.repl_socket_load_failure(&r, mark_ok) {
            self.repl_cancel_sync(el, link, &msg);
            if swapdb {
                self.repl_discard_dbs(dbs, true);
                log_notice!("MASTER <-> REPLICA sync: Discarding temporary DB in background");
            } else {
                let lazy = self.state_ref().config.stored_bool("replica-lazy-flush");
                self.repl_discard_dbs(dbs, lazy);
            }
            return;
        }
        let old = if swapdb {
            self.repl_attach_to_new_master();
            log_notice!("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
            let old = self.state().replace_dbs(dbs);
            log_notice!("MASTER <-> REPLICA sync: Discarding old DB in background");
            old
        } else {
            self.state().install_loaded_dbs(dbs)
        };
        self.repl_discard_dbs(old, true);
        // The dataset changed without a save.
        self.state().persist.dirty += 1;
        link.inbuf = leftover;
        self.repl_sync_done(el, link);
    }

    /// After a load from the socket: its end logged, or its failure reported as Redis reports it (a damaged payload
    /// ends the server as Redis's does; a short read is a lost connection, retried). The line that cancels the
    /// sync when it failed.
    fn repl_socket_load_failure(&mut self, r: &Result<LoadStats, RdbError>, mark_ok: bool) -> Option<String> {
        match r {
            Ok(st) => {
                self.log_load_done(st);
                (!mark_ok).then(|| "Replication stream EOF marker is broken".to_string())
            }
            Err(e) => {
                if self.log_load_failure(e, Source::Socket) {
                    log_warning!("Terminating server after rdb file reading failure.");
                    std::process::exit(1);
                }
                Some(format!(
                    "Failed trying to load the MASTER synchronization DB from socket: {}",
                    report::socket_errno_text(e)
                ))
            }
        }
    }

    /// The master's function libraries (from the payload's FUNCTION2 records) replace ours, as its keys do.
    fn repl_apply_functions(&mut self, st: &LoadStats) -> Result<(), RdbError> {
        self.state().functions.flush();
        self.state()
            .functions
            .load_from_rdb(&st.functions, false)
            .map_err(|e| RdbError::new(st.bytes_read, format!("Failed loading library, {e}")))
    }

    /// A transfer or load failed: the link goes (its socket closes) and a new one starts at once.
    fn repl_cancel_sync(&mut self, el: &mut EventLoop, link: Box<MasterLink>, msg: &str) {
        log_warning!("{msg}");
        self.repl_cancel_handshake(el, Some(link), true);
    }

    /// The new dataset is in place: our history is the master's, the link becomes the master client, and the AOF
    /// restarts.
    fn repl_sync_done(&mut self, el: &mut EventLoop, link: Box<MasterLink>) {
        let Some((replid, offset)) = link.full.clone() else { return };
        self.state().repl.replid = replid;
        self.state().repl.master_repl_offset = offset;
        // The stream after a full sync starts with a SELECT.
        self.state().repl.master_db = 0;
        crate::state::repl::clear_replid2(self.state());
        crate::state::repl::create_backlog(self.state());
        self.state().repl.can_continue = true;
        log_notice!("MASTER <-> REPLICA sync: Finished with success");
        self.repl_restart_aof();
        self.repl_attach_master(el, link);
    }

    /// Turns the AOF held for a sync back on through a rewrite of the new dataset (Redis's `restartAOFAfterSYNC`:
    /// a replica whose AOF cannot come back is not reliable, so after some tries it exits).
    fn repl_restart_aof(&mut self) {
        if !std::mem::take(&mut self.state().repl.aof_held) || !self.state().config.appendonly {
            return;
        }
        for _ in 0..AOF_RESTART_TRIES {
            self.start_append_only(false);
            if self.state().config.appendonly {
                return;
            }
            log_warning!(
                "Failed enabling the AOF after successful master synchronization! Trying it again in one second."
            );
            self.state().config.appendonly = true;
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        log_warning!(
            "FATAL: this replica instance finished the synchronization with its master, but the AOF can't be turned \
             on. Exiting now."
        );
        std::process::exit(1);
    }
}

impl<T: Host> ReplLoad for T {}
