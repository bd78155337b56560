//! The server's side of the append-only file: replaying it at start-up through the normal call path, writing the
//! propagated stream before replies go out, fsync policies, and the fork-based rewrite that switches the
//! multi-part manifest. The file formats live in [`crate::persist::aof`].
//!
//! As Redis 7.0: a rewrite opens the next incr file before the fork, the child writes the new base from its
//! copy-on-write view, and the manifest is switched atomically only when the child succeeded. Turning the AOF on
//! at run time gathers commands in `temp-<name>.incr` until the first rewrite succeeds (a failed one deletes it
//! and retries; during a BGSAVE the rewrite is only scheduled). After three failed rewrites in a row, automatic
//! ones back off 1, 2, 4 … 60 minutes (BGREWRITEAOF is never held back); `aof-disable-auto-gc no` removes kept
//! history at once. The AOF buffer is written in `before_sleep` before any reply goes out (`always`: write and
//! fsync per loop pass; `everysec`: fsync on the background thread, writes postponed up to 2 s behind a slow
//! fsync).

use super::Server;
use crate::command::OwnedArgs;
use crate::event_loop::EventLoop;
use crate::net::client::{flags, ClientState};
use crate::persist::aof::{self, AofWriter, FileFormat, FlushOutcome, FsyncPolicy, Manifest, WriterConfig};
use crate::persist::engine::{self, ChildKind, LimitCheck};
use crate::state::repl::link::ReplLink as _;
use crate::{log_notice, log_warning};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The AOF's files: where they are and the manifest naming them (kept while the server runs, also with the AOF
/// off, because BGREWRITEAOF then still writes a new base).
pub(super) struct AofFiles {
    dir: PathBuf,
    filename: String,
    manifest: Manifest,
    /// Turning the AOF on (CONFIG SET appendonly yes): commands go to a temporary incr file until the first
    /// rewrite finishes (Redis's `AOF_WAIT_REWRITE`).
    wait_rewrite: bool,
}

impl AofFiles {
    fn from_config(c: &crate::config::Config) -> Result<AofFiles, String> {
        let dir = PathBuf::from(c.stored_str("appenddirname"));
        let filename = c.stored_str("appendfilename").to_string();
        let mut manifest = Manifest::load_from_dir(&dir, &filename).map_err(|e| e.to_string())?;
        if aof::upgrade_legacy_if_needed(Path::new("."), &dir, &filename, &mut manifest).map_err(|e| e.to_string())? {
            log_notice!("Successfully migrated an old-style AOF into the AOF directory");
        }
        Ok(AofFiles { dir, filename, manifest, wait_rewrite: false })
    }

    fn path(&self, name: &[u8]) -> PathBuf {
        use std::os::unix::ffi::OsStrExt;
        self.dir.join(std::ffi::OsStr::from_bytes(name))
    }
}

/// The writer's settings from the config.
fn writer_config(c: &crate::config::Config) -> WriterConfig {
    WriterConfig {
        fsync: match c.appendfsync {
            crate::config::APPENDFSYNC_ALWAYS => FsyncPolicy::Always,
            crate::config::APPENDFSYNC_NO => FsyncPolicy::No,
            _ => FsyncPolicy::EverySec,
        },
        timestamp_enabled: c.stored_bool("aof-timestamp-enabled"),
        no_fsync_on_rewrite: c.stored_bool("no-appendfsync-on-rewrite"),
    }
}

fn unix_now() -> i64 {
    crate::util::now_ms() / 1000
}

/// Writes a base file for `dbs` at `path` (through `temp-<name>` then rename is the caller's business): RDB
/// with `aof-use-rdb-preamble`, commands otherwise. fsyncs before returning.
fn write_base(
    path: &Path,
    dbs: &[crate::keyspace::db::Db],
    cx: &engine::SaveContext,
    preamble: bool,
) -> std::io::Result<()> {
    let f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
    let every =
        if cx.config.stored_bool("aof-rewrite-incremental-fsync") { crate::persist::rdb::AUTOSYNC_BYTES } else { 0 };
    let mut w = BufWriter::with_capacity(1 << 20, crate::persist::rdb::SyncEvery::new(f, every));
    if preamble {
        let opts = engine::save_options(cx, true);
        crate::persist::rdb::write_rdb(&mut w, dbs, cx.now_ms, &opts)?;
    } else {
        let delay = cx.config.stored_i64("rdb-key-save-delay");
        // A base file of commands starts with its time, as the writer annotates the INCR file's writes.
        if cx.config.stored_bool("aof-timestamp-enabled") {
            write!(w, "#TS:{}\r\n", cx.now_ms / 1000)?;
        }
        crate::persist::aof_rewrite::write_function_loads(&mut w, &cx.functions)?;
        crate::persist::aof_rewrite::write_aof_commands(&mut w, dbs, cx.now_ms, delay)?;
    }
    w.flush()?;
    let f = w.into_inner().map_err(|e| e.into_error())?.into_inner();
    f.sync_all()
}

// The fake client that replays the AOF has Redis's `CLIENT_ID_AOF`; admission exempts it.
use crate::net::client::AOF_CLIENT_ID;

/// Replays AOF commands through the server's call path with a fake client (Redis's `loadSingleAppendOnlyFile`
/// loop): MULTI/EXEC work as for a client, nothing is propagated, and the replay's statistics are not kept.
struct Replayer<'a> {
    srv: &'a mut Server,
    fake: ClientState,
    argv: OwnedArgs,
    /// At start-up: the event loop, to serve clients with -LOADING while loading.
    el: Option<&'a mut EventLoop>,
    last_events_at: u64,
    /// When the previous command ended (0: unknown): the next one starts then, as nothing but parsing happens in
    /// between, which saves a clock read per command. Reset when the loop serves clients between commands.
    last_end_us: i64,
}

impl<'a> Replayer<'a> {
    fn new(srv: &'a mut Server, el: Option<&'a mut EventLoop>, total_bytes: u64) -> Replayer<'a> {
        let mut fake = ClientState::new(AOF_CLIENT_ID, -1, String::new(), String::new(), crate::util::now_ms());
        fake.flags |= flags::NO_EVICT;
        fake.reply.enabled = false;
        srv.begin_loading(total_bytes);
        Replayer { srv, fake, argv: OwnedArgs::default(), el, last_events_at: 0, last_end_us: 0 }
    }
}

impl aof::LoadTarget for Replayer<'_> {
    fn load_rdb(&mut self, file: &mut BufReader<std::fs::File>, name: &str, _old_style: bool) -> Result<(), String> {
        let st = &mut self.srv.state;
        let mut opts = engine::load_options(&st.config, crate::util::now_ms(), st.lru_clock);
        // Keys of an AOF's RDB part are loaded even if expired: the commands after them may still touch them.
        opts.drop_expired = false;
        let loaded = crate::persist::rdb::read_rdb(file, &mut st.dbs, &opts)
            .map_err(|e| format!("Error reading the RDB base file {name}, AOF loading aborted: {e}"))?;
        st.functions
            .load_from_rdb(&loaded.functions, false)
            .map_err(|e| format!("Failed loading library, {e}: error reading the RDB base file {name}"))
    }

    fn command(&mut self, argv: &[Vec<u8>]) -> Result<(), String> {
        let Some(name) = argv.first() else { return Ok(()) };
        if self.srv.commands.lookup(name).is_none() {
            return Err(format!("Unknown command '{}' reading the append only file", String::from_utf8_lossy(name)));
        }
        self.argv.buf.clear();
        self.argv.spans.clear();
        for a in argv {
            self.argv.push(a);
        }
        let now = if self.last_end_us != 0 { self.last_end_us } else { crate::util::now_us() };
        let srv = &mut *self.srv;
        srv.state.now_ms = now / 1000;
        let prop_enabled = std::mem::replace(&mut srv.state.prop.enabled, false);
        // A replayed script that runs long (at start-up, or in DEBUG LOADAOF, which runs after its dispatch gave
        // the loop back) serves clients (with -LOADING) as one from a client does (with -BUSY): the loop is lent
        // as `dispatch` lends it.
        let outer = match self.el.as_deref_mut() {
            Some(el) => srv.busy_loop.replace(el as *mut EventLoop),
            None => srv.busy_loop,
        };
        self.last_end_us = srv.call_checked(&mut self.fake, self.argv.args(), now);
        srv.busy_loop = outer;
        srv.state.prop.enabled = prop_enabled;
        // Replayed commands never block, reply or act on the server.
        srv.state.blocking.request = None;
        srv.state.actions.clear();
        self.fake.reply.buf.clear();
        Ok(())
    }

    fn prefetch(&mut self, argv: &[Vec<u8>]) {
        // Most commands' first argument is their key; for the others this is a harmless miss.
        if let (Some(key), Some(db)) = (argv.get(1), self.srv.state.dbs.get(self.fake.db)) {
            db.prefetch_key(key);
        }
    }

    fn end_of_file(&mut self) {
        // A MULTI that never reached EXEC is dropped with its queue (Redis uses a fresh fake client per file).
        if self.fake.multi.is_some() || self.fake.has(flags::MULTI) {
            crate::command::multi::discard_transaction(&mut self.fake, &mut self.srv.state.watches);
        }
    }

    fn log(&mut self, level: crate::config::LogLevel, msg: &str) {
        crate::log::log(level, msg);
    }

    fn progress(&mut self, loaded_bytes: u64) {
        self.last_end_us = 0;
        match self.el.as_deref_mut() {
            Some(el) => self.srv.loading_progress(el, loaded_bytes, &mut self.last_events_at),
            None => self.srv.state.persist.stats.loading_loaded_bytes = loaded_bytes,
        }
    }
}

impl Drop for Replayer<'_> {
    fn drop(&mut self) {
        self.srv.end_loading();
    }
}

impl Server {
    /// Start-up with `appendonly yes` (Redis's `loadAppendOnlyFiles` then `aofOpenIfNeededOnServerStart`): loads
    /// the base and incr files in order, creates a base when there is none, opens the newest incr for appending.
    /// Returns false when the server must not start.
    pub(super) fn aof_load_and_open(&mut self, el: Option<&mut EventLoop>) -> bool {
        let mut files = match AofFiles::from_config(&self.state.config) {
            Ok(f) => f,
            Err(e) => {
                log_warning!("{e}");
                return false;
            }
        };
        let started = std::time::Instant::now();
        match self.load_aof_files(&files, el) {
            Ok(false) => {}
            Ok(true) => log_notice!("DB loaded from append only file: {:.3} seconds", started.elapsed().as_secs_f64()),
            Err(()) => return false,
        }
        if let Err(e) = std::fs::create_dir_all(&files.dir) {
            log_warning!(
                "Can't open or create append-only dir {}: {}",
                files.dir.display(),
                crate::sys::error_text(&e)
            );
            return false;
        }
        // An empty start gets a base file right away, so the directory always describes the whole dataset.
        if files.manifest.base.is_none() && files.manifest.incrs.is_empty() {
            let preamble = self.state.config.stored_bool("aof-use-rdb-preamble");
            let base = files.manifest.add_new_base(&files.filename, preamble).clone();
            let mut cx = engine::SaveContext::now(&self.state.config, self.state.lru_clock);
            cx.functions = self.state.functions.ctx.codes();
            if let Err(e) = write_base(&files.path(&base.name), &self.state.dbs, &cx, preamble) {
                log_warning!("Can't create the AOF base file: {}", crate::sys::error_text(&e));
                return false;
            }
        }
        let incr = files.manifest.last_incr_or_new(&files.filename).clone();
        let writer = match AofWriter::open(&files.path(&incr.name), writer_config(&self.state.config)) {
            Ok(w) => w,
            Err(e) => {
                log_warning!(
                    "Can't open the append-only file {}: {}",
                    String::from_utf8_lossy(&incr.name),
                    crate::sys::error_text(&e)
                );
                return false;
            }
        };
        if let Err(e) = files.manifest.persist(&files.dir, &files.filename) {
            log_warning!("Can't persist the AOF manifest: {}", crate::sys::error_text(&e));
            return false;
        }
        self.delete_aof_history(&mut files);
        let total = aof::total_size(&files.dir, &files.manifest).unwrap_or(0);
        let mut writer = writer;
        writer.set_sizes(total, total);
        self.state.prop.aof = Some(writer);
        // Redis: `fsynced_reploff` starts at 0 when the server starts with its AOF on.
        self.state.repl.fsynced_reploff = 0;
        self.state.prop.enabled = true;
        self.aof_files = Some(files);
        true
    }

    /// Loads every file of the manifest into the databases (Redis's `loadAppendOnlyFiles`). Returns whether
    /// anything was loaded, or Err when the server must not go on.
    fn load_aof_files(&mut self, files: &AofFiles, el: Option<&mut EventLoop>) -> Result<bool, ()> {
        let truncated_ok = self.state.config.stored_bool("aof-load-truncated");
        let stats = std::mem::take(&mut self.state.stats.commandstats);
        let processed = self.state.stats.total_commands_processed;
        let errors = std::mem::take(&mut self.state.stats.errorstats);
        let error_replies = self.state.stats.total_error_replies;
        // Loading runs commands through the call path, but like Redis (which calls the handlers directly) it
        // leaves no trace in the command, error or latency statistics.
        let latency = std::mem::take(&mut self.state.stats.latency);
        let report = {
            let total = aof::total_size(&files.dir, &files.manifest).unwrap_or(0);
            let mut r = Replayer::new(self, el, total);
            aof::load_files(&files.dir, &files.filename, &files.manifest, truncated_ok, &mut r)
        };
        self.flush_command_stats();
        self.state.stats.commandstats = stats;
        self.state.stats.total_commands_processed = processed;
        self.state.stats.errorstats = errors;
        self.state.stats.total_error_replies = error_replies;
        self.state.stats.latency = latency;
        if !report.status.is_success() {
            return Err(());
        }
        Ok(matches!(report.status, aof::LoadStatus::Ok | aof::LoadStatus::Truncated))
    }

    /// After CONFIG SET: the writer follows the new settings, and turning `aof-disable-auto-gc` off removes the
    /// history files kept meanwhile at once (Redis's `updateAofAutoGCEnabled`).
    pub(super) fn aof_config_changed(&mut self) {
        self.apply_aof_config();
        if let Some(mut files) = self.aof_files.take() {
            if !files.manifest.history.is_empty() {
                self.delete_aof_history(&mut files);
            }
            self.aof_files = Some(files);
        }
    }

    /// Redis's `aofRewriteLimited`: whether an automatic or scheduled rewrite must wait because rewrites keep
    /// failing (logs when a new wait starts).
    pub(super) fn aof_rewrite_limited(&mut self) -> bool {
        let failures = self.state.persist.stats.aof_rewrites_consecutive_failures;
        match self.state.persist.aof_rewrite_limit.check(failures, unix_now()) {
            LimitCheck::Free => false,
            LimitCheck::Waiting => true,
            LimitCheck::Started(minutes) => {
                log_warning!(
                    "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {minutes} minutes"
                );
                true
            }
        }
    }

    /// Unlinks history files (unless `aof-disable-auto-gc`), logging each.
    fn delete_aof_history(&mut self, files: &mut AofFiles) {
        if self.state.config.stored_bool("aof-disable-auto-gc") {
            return;
        }
        match files.manifest.delete_history(&files.dir, &files.filename) {
            Ok(names) => {
                for n in names {
                    log_notice!("Removing the history file {} in the background", String::from_utf8_lossy(&n));
                }
            }
            Err(e) => log_warning!("Failed to remove AOF history files: {}", crate::sys::error_text(&e)),
        }
    }

    /// Before replies go out (and from the cron): writes the AOF buffer, fsyncs per policy. A write error under
    /// `always` is fatal, as in Redis; otherwise writes are refused with MISCONF until a flush succeeds.
    pub(super) fn aof_flush(&mut self, force: bool) {
        self.aof_flush_inner(force);
        self.aof_update_fsynced_reploff();
    }

    /// Redis 7.2+'s `fsynced_reploff` update after each flush (not while the AOF waits for the rewrite that turns
    /// it on): WAITAOF waiters whose local fsync it brings are answered before the replies go out.
    fn aof_update_fsynced_reploff(&mut self) {
        if self.state.repl.fsynced_reploff == -1 || self.aof_waiting_first_rewrite() {
            return;
        }
        let Some(w) = self.state.prop.aof.as_ref() else { return };
        let before = self.state.repl.fsynced_reploff;
        self.state.repl.fsynced_reploff = w.fsynced_reploff_pending();
        if before != self.state.repl.fsynced_reploff && self.state.repl.waiting.iter().any(|w| w.numlocal.is_some()) {
            self.repl_serve_waiters(crate::util::now_ms());
        }
    }

    fn aof_flush_inner(&mut self, force: bool) {
        let offset = self.state.repl.master_repl_offset;
        let Some(w) = self.state.prop.aof.as_mut() else { return };
        w.set_repl_offset(offset);
        if self.state.persist.aof_flush_sleep_us > 0 && !w.buffered().is_empty() {
            std::thread::sleep(std::time::Duration::from_micros(self.state.persist.aof_flush_sleep_us));
        }
        let now = crate::util::now_ms() / 1000;
        match w.flush_at(force, now) {
            Ok(FlushOutcome::Idle) | Ok(FlushOutcome::Postponed) => {}
            Ok(FlushOutcome::Written { delayed, recovered, .. }) => {
                if delayed {
                    log_notice!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
                }
                if recovered {
                    log_warning!("AOF write error looks solved, Redis can write again.");
                    self.state.persist.stats.aof_error = None;
                }
            }
            Ok(FlushOutcome::Failed { errno, short, .. }) => {
                let e = std::io::Error::from_raw_os_error(errno);
                match short {
                    Some((written, expected)) => log_warning!(
                        "Short write while writing to the AOF file: (nwritten={written}, expected={expected})"
                    ),
                    None => log_warning!("Error writing to the AOF file: {}", crate::sys::error_text(&e)),
                }
                self.state.persist.stats.aof_error = Some(errno);
            }
            Err(fatal) => {
                log_warning!("{fatal}");
                std::process::exit(1);
            }
        }
    }

    /// Hands the writer the config's current settings (appendfsync, aof-timestamp-enabled, ...): from the cron,
    /// and right after CONFIG SET so that the next write follows it.
    pub(super) fn apply_aof_config(&mut self) {
        let Some(w) = self.state.prop.aof.as_mut() else { return };
        let cfg = writer_config(&self.state.config);
        if w.config() != cfg {
            w.set_config(cfg);
        }
    }

    /// Cron: retries postponed or failed writes, notices background fsync errors, applies config changes and
    /// starts an automatic rewrite when the AOF grew enough.
    pub(super) fn aof_cron(&mut self) {
        self.sync_aof_state(false);
        self.apply_aof_config();
        let Some(w) = self.state.prop.aof.as_mut() else { return };
        w.set_child_active(self.state.persist.child.is_some());
        self.aof_flush(false);
        let Some(w) = self.state.prop.aof.as_ref() else { return };
        let st = w.stats();
        self.state.persist.stats.aof_error = if !st.last_write_ok {
            Some(st.last_write_errno)
        } else if !st.bio_fsync_ok {
            Some(st.bio_fsync_errno)
        } else {
            None
        };
        let perc = self.state.config.stored_i64("auto-aof-rewrite-percentage");
        let min = self.state.config.stored_i64("auto-aof-rewrite-min-size").max(0) as u64;
        if self.state.persist.child.is_none() && perc > 0 && st.current_size > min {
            let base = st.base_size.max(1);
            let growth = (st.current_size * 100 / base) as i64 - 100;
            if growth >= perc && !self.aof_rewrite_limited() {
                log_notice!("Starting automatic rewriting of AOF on {growth}% growth");
                let _ = self.start_aof_rewrite();
            }
        }
    }

    /// Follows CONFIG SET appendonly: turns the AOF on (through a rewrite) or off. `in_exec`: the change came from
    /// inside a transaction, where Redis only schedules the rewrite.
    pub(super) fn sync_aof_state(&mut self, in_exec: bool) {
        let want = self.state.config.appendonly;
        if want && self.state.repl.aof_held {
            // Stopped for a replica's full sync: it comes back when the sync succeeds or on promotion.
            return;
        }
        let on = self.state.prop.aof.is_some() || self.aof_files.as_ref().is_some_and(|f| f.wait_rewrite);
        if want == on {
            return;
        }
        if want {
            self.start_append_only(in_exec);
        } else {
            self.stop_append_only();
        }
    }

    /// Redis's `startAppendOnly`: the AOF turns on through a rewrite of the current dataset.
    pub(super) fn start_append_only(&mut self, in_exec: bool) {
        if self.aof_files.is_none() {
            match AofFiles::from_config(&self.state.config) {
                Ok(f) => self.aof_files = Some(f),
                Err(e) => {
                    log_warning!("Redis needs to enable the AOF but can't open the AOF manifest: {e}");
                    self.state.config.appendonly = false;
                    return;
                }
            }
        }
        // The directory is created by the rewrite that turns the AOF on (not yet when it is only scheduled).
        if let Some(f) = self.aof_files.as_mut() {
            f.wait_rewrite = true;
        }
        match self.state.persist.child_kind() {
            Some(ChildKind::Aof) => {
                // A rewrite started with the AOF off does not carry the commands since: start over.
                self.state.persist.kill_child();
                self.state.set_child(None);
                self.state.persist.aof_rewrite_scheduled = true;
            }
            Some(ChildKind::Rdb) => {
                self.state.persist.aof_rewrite_scheduled = true;
                log_warning!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
            }
            None if in_exec => {
                self.state.persist.aof_rewrite_scheduled = true;
                log_warning!(
                    "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."
                );
            }
            None => {
                if let Err(e) = self.start_aof_rewrite() {
                    log_warning!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error. ({e})");
                    if let Some(f) = self.aof_files.as_mut() {
                        f.wait_rewrite = false;
                    }
                    self.state.config.appendonly = false;
                }
            }
        }
    }

    /// Redis's `stopAppendOnly`: flush, fsync, close; a running rewrite is killed.
    pub(super) fn stop_append_only(&mut self) {
        if let Some(mut w) = self.state.prop.aof.take() {
            match w.stop(unix_now()) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => log_warning!("Fail to fsync the AOF file: {}", crate::sys::error_text(&e)),
                Err(fatal) => log_warning!("{fatal}"),
            }
        }
        // The replication stream, if any, still needs the propagation path.
        self.state.prop.enabled = self.state.prop.repl.is_some();
        self.state.repl.fsynced_reploff = -1;
        if let Some(f) = self.aof_files.as_mut() {
            f.wait_rewrite = false;
        }
        self.state.persist.aof_rewrite_scheduled = false;
        if self.state.persist.child_kind() == Some(ChildKind::Aof) {
            self.state.persist.kill_child();
            self.state.set_child(None);
        }
        self.state.persist.stats.aof_error = None;
    }

    /// Redis's `rewriteAppendOnlyFileBackground`: flush, continue in a new incr file, fork a child that writes the
    /// new base from its copy of the dataset.
    pub(super) fn start_aof_rewrite(&mut self) -> Result<i32, String> {
        if self.state.persist.child.is_some() {
            return Err("child process already running".into());
        }
        if self.aof_files.is_none() {
            self.aof_files = Some(AofFiles::from_config(&self.state.config)?);
        }
        let Some(files) = self.aof_files.as_mut() else { return Err("no AOF".into()) };
        if let Err(e) = std::fs::create_dir_all(&files.dir) {
            let e = crate::sys::error_text(&e);
            log_warning!("Can't open or create append-only dir {}: {e}", files.dir.display());
            self.state.persist.stats.aof_last_bgrewrite_ok = false;
            return Err(e);
        }
        let now = unix_now();
        // Redis's openNewIncrAofForAppend.
        if files.wait_rewrite {
            let tmp = files.dir.join(aof::temp_incr_name(&files.filename));
            let f = aof::manifest::create_incr(&tmp).map_err(|e| crate::sys::error_text(&e))?;
            match self.state.prop.aof.as_mut() {
                Some(w) => {
                    let _ = w.flush_at(true, now);
                    w.switch_file(f, now);
                }
                None => {
                    let w =
                        AofWriter::new(f, writer_config(&self.state.config)).map_err(|e| crate::sys::error_text(&e))?;
                    self.state.prop.aof = Some(w);
                    self.state.prop.enabled = true;
                }
            }
            // Redis's `rewriteAppendOnlyFileBackground` under AOF_WAIT_REWRITE: the fsynced offset becomes valid
            // (from the offset now) once the rewrite that turns the AOF on is done.
            let offset = self.state.repl.master_repl_offset;
            if let Some(w) = self.state.prop.aof.as_mut() {
                w.set_repl_offset(offset);
                w.set_fsynced_reploff_pending(offset);
            }
            self.state.repl.fsynced_reploff = 0;
        } else if let Some(w) = self.state.prop.aof.as_mut() {
            if let Err(fatal) = w.flush_at(true, now) {
                log_warning!("{fatal}");
                std::process::exit(1);
            }
            let mut m = files.manifest.clone();
            let info = m.add_new_incr(&files.filename).clone();
            let f = aof::manifest::create_incr(&files.path(&info.name)).map_err(|e| crate::sys::error_text(&e))?;
            m.persist(&files.dir, &files.filename).map_err(|e| crate::sys::error_text(&e))?;
            files.manifest = m;
            w.switch_file(f, now);
        }
        let dir = files.dir.clone();
        let preamble = self.state.config.stored_bool("aof-use-rdb-preamble");
        let mut cx = engine::SaveContext::now(&self.state.config, self.state.lru_clock);
        cx.functions = self.state.functions.ctx.codes();
        let dbs = &self.state.dbs;
        let dirty = self.state.persist.dirty;
        let r = self.state.persist.fork_child(ChildKind::Aof, dirty, cx.now_ms, |pid| {
            let tmp = dir.join(format!("temp-rewriteaof-bg-{pid}.aof"));
            match write_base(&tmp, dbs, &cx, preamble) {
                Ok(()) => {
                    log_notice!("Successfully created the temporary AOF base file temp-rewriteaof-bg-{pid}.aof");
                    true
                }
                Err(e) => {
                    log_warning!("Error writing the temporary AOF base file: {}", crate::sys::error_text(&e));
                    false
                }
            }
        });
        match r {
            Ok(pid) => {
                if let Some(c) = self.state.persist.child.as_mut() {
                    c.tmp_path = dir.join(format!("temp-rewriteaof-bg-{pid}.aof"));
                }
                self.state.set_child(Some(pid));
                if let Some(w) = self.state.prop.aof.as_mut() {
                    w.set_child_active(true);
                }
                // Redis counts a rewrite when it starts; a scheduled one is no longer pending.
                self.state.persist.stats.aof_rewrites += 1;
                self.state.persist.aof_rewrite_scheduled = false;
                log_notice!("Background append only file rewriting started by pid {pid}");
                Ok(pid)
            }
            Err(e) => {
                // A failed fork is not a failed rewrite: it does not count towards the rewrite limit.
                self.state.persist.stats.aof_last_bgrewrite_ok = false;
                Err(e)
            }
        }
    }

    /// The rewrite child ended (Redis's `backgroundRewriteDoneHandler`): on success its file becomes the new base,
    /// the older files become history and are deleted; on failure the old files stay as they are. A child killed
    /// on purpose (SIGUSR1) is no failure. While the AOF is being turned on, a failed rewrite drops what the
    /// temporary incr file gathered and schedules the next attempt.
    pub(super) fn aof_rewrite_done(&mut self, child_tmp: PathBuf, ok: bool, killed_on_purpose: bool) {
        if let Some(w) = self.state.prop.aof.as_mut() {
            w.set_child_active(false);
        }
        if !ok {
            if !killed_on_purpose {
                self.state.persist.stats.aof_last_bgrewrite_ok = false;
                self.state.persist.stats.aof_rewrites_consecutive_failures += 1;
            }
            self.aof_rewrite_failed_cleanup();
            return;
        }
        log_notice!("Background AOF rewrite terminated with success");
        let preamble = child_tmp.file_name().is_some() && self.state.config.stored_bool("aof-use-rdb-preamble");
        let aof_on = self.state.prop.aof.is_some();
        let Some(mut files) = self.aof_files.take() else { return };
        let r = (|| -> Result<u64, String> {
            let mut m = files.manifest.clone();
            // The base's format follows what the child wrote.
            let is_rdb = std::fs::File::open(&child_tmp)
                .and_then(|mut f| aof::detect_format(&mut f))
                .map(|f| f == FileFormat::Rdb)
                .unwrap_or(preamble);
            let base = m.add_new_base(&files.filename, is_rdb).clone();
            let base_path = files.path(&base.name);
            crate::latency::timed("aof-rename", || std::fs::rename(&child_tmp, &base_path)).map_err(|e| {
                format!("Error trying to rename the temporary AOF base file: {}", crate::sys::error_text(&e))
            })?;
            log_notice!(
                "Successfully renamed the temporary AOF base file {} into {}",
                child_tmp.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                String::from_utf8_lossy(&base.name)
            );
            if files.wait_rewrite {
                let tmp_incr = files.dir.join(aof::temp_incr_name(&files.filename));
                let incr = m.add_new_incr(&files.filename).clone();
                let incr_path = files.path(&incr.name);
                crate::latency::timed("aof-rename", || std::fs::rename(&tmp_incr, &incr_path)).map_err(|e| {
                    format!("Error trying to rename the temporary AOF incr file: {}", crate::sys::error_text(&e))
                })?;
                log_notice!(
                    "Successfully renamed the temporary AOF incr file {} into {}",
                    aof::temp_incr_name(&files.filename),
                    String::from_utf8_lossy(&incr.name)
                );
            }
            m.mark_rewritten_incrs_as_history(aof_on);
            m.persist(&files.dir, &files.filename)
                .map_err(|e| format!("Error persisting the AOF manifest: {}", crate::sys::error_text(&e)))?;
            files.manifest = m;
            Ok(crate::latency::timed("aof-fstat", || std::fs::metadata(&base_path)).map(|m| m.len()).unwrap_or(0))
        })();
        match r {
            Ok(base_size) => {
                let was_turning_on = files.wait_rewrite;
                files.wait_rewrite = false;
                if let Some(w) = self.state.prop.aof.as_mut() {
                    w.rewrite_done(base_size);
                    if was_turning_on {
                        // The AOF is on: its fsynced offset is valid from now on.
                        self.state.repl.fsynced_reploff = w.fsynced_reploff_pending();
                    }
                }
                self.delete_aof_history(&mut files);
                self.state.persist.stats.aof_last_bgrewrite_ok = true;
                self.state.persist.stats.aof_rewrites_consecutive_failures = 0;
                log_notice!("Background AOF rewrite finished successfully");
            }
            Err(e) => {
                log_warning!("{e}");
                let _ = std::fs::remove_file(&child_tmp);
                self.state.persist.stats.aof_last_bgrewrite_ok = false;
                self.state.persist.stats.aof_rewrites_consecutive_failures += 1;
                self.aof_files = Some(files);
                self.aof_rewrite_failed_cleanup();
                return;
            }
        }
        self.aof_files = Some(files);
    }

    /// After a failed rewrite while the AOF is being turned on (Redis's `backgroundRewriteDoneHandler` cleanup):
    /// the temporary incr file and the writer on it go (commands are gathered again only once the next rewrite
    /// child runs), and the next rewrite is scheduled.
    fn aof_rewrite_failed_cleanup(&mut self) {
        let Some(files) = self.aof_files.as_ref().filter(|f| f.wait_rewrite) else { return };
        let name = aof::temp_incr_name(&files.filename);
        let path = files.dir.join(&name);
        // The writer's file is the temporary incr: its pending bytes go with it.
        self.state.prop.aof = None;
        self.state.prop.enabled = self.state.prop.repl.is_some();
        log_notice!("Removing the temp incr aof file {name} in the background");
        if let Err(e) = std::fs::remove_file(&path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                log_warning!("Failed to remove the temp incr aof file {name}: {}", crate::sys::error_text(&e));
            }
        }
        self.state.persist.aof_rewrite_scheduled = true;
    }

    /// Whether the AOF is being turned on and waits for its first rewrite (Redis's `AOF_WAIT_REWRITE`).
    pub(super) fn aof_waiting_first_rewrite(&self) -> bool {
        self.aof_files.as_ref().is_some_and(|f| f.wait_rewrite)
    }

    /// Shutdown: everything written and fsynced.
    pub(super) fn aof_shutdown(&mut self) {
        if let Some(w) = self.state.prop.aof.as_mut() {
            log_notice!("Calling fsync() on the AOF file.");
            match w.stop(unix_now()) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => log_warning!("Fail to fsync the AOF file: {}", crate::sys::error_text(&e)),
                Err(fatal) => log_warning!("{fatal}"),
            }
        }
    }

    /// DEBUG LOADAOF: flush, empty the dataset, load the AOF files again. As at start-up, the load (and a long
    /// replayed script) serves other clients meanwhile, with -LOADING, through `el`.
    pub fn debug_loadaof(&mut self, el: Option<&mut EventLoop>) -> Result<(), String> {
        self.aof_flush(true);
        // A reload brings back about what was there: each database's table is sized for its old key count at once
        // instead of growing (and migrating every key) step by step while the commands replay. A file with fewer
        // keys leaves the table emptier than the 3/4 limit, and the cron shrinks it below 1/10 full.
        let sizes: Vec<usize> = self.state.dbs.iter().map(|db| db.len()).collect();
        self.state.empty_data(None, crate::state::Emptying::Refill);
        for (db, n) in self.state.dbs.iter_mut().zip(sizes) {
            db.reserve(n);
        }
        self.state.functions.flush();
        // Redis reads the manifest from disk again (sequence numbers restart from what it names) and removes the
        // history files it lists before loading.
        let mut files = AofFiles::from_config(&self.state.config)?;
        self.delete_aof_history(&mut files);
        let r = self.load_aof_files(&files, el);
        if let Some(cur) = self.aof_files.as_mut() {
            cur.manifest = files.manifest;
        } else {
            self.aof_files = Some(files);
        }
        self.state.persist.dirty = 0;
        match r {
            Ok(_) => {
                log_warning!("Append Only File loaded by DEBUG LOADAOF");
                Ok(())
            }
            Err(()) => Err("ERR Error trying to load the AOF files, check server logs.".into()),
        }
    }
}
