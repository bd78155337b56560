//! Appending to the current incr file: Redis's `feedAppendOnlyFile` + `flushAppendOnlyFile` + the BIO fsync
//! thread.
//!
//! ```text
//!  feed(db, argv) ──▶ buf: [#TS:…\r\n][*2 SELECT db][*N argv…] …     (memory, this thread)
//!                         │ flush (before the event loop sleeps; before replying to the clients)
//!                         ▼
//!                   write(2) to the incr file (O_APPEND) ──▶ fsync: always → here, now
//!                                                            everysec → job for the fsync thread, ≤ 1/s
//!                                                            no → never
//! ```
//!
//! Invariants:
//! - Bytes leave `buf` only once they are in the file (or, after a partial write that could not be truncated
//!   away, the part that is in the file). On a failed write the rest stays in `buf` and
//!   [`AofStats::last_write_ok`] is false until a later flush succeeds (the server refuses writes meanwhile).
//! - `last_incr_size` is the incr file's size as far as this writer knows; a partial write is truncated back to
//!   it (Redis does this so the file never ends in half a command).
//! - `last_incr_fsync_offset <= last_incr_size`; when they differ some written bytes are not yet fsynced.
//! - `selected_db` is the db of the last SELECT in the file (`None` at the start of a file, so the first command
//!   always carries a SELECT).
//!
//! Tested by unit tests below (encoding, SELECT/timestamp rules, postponing while the fsync thread is busy, write
//! errors through `/dev/full` and an injected short write) and by `tests/persistence/aof_files.rs` (Redis loads our
//! files).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// fsync after every flush, before the clients get their replies.
    Always,
    /// fsync in the background at most once per second.
    EverySec,
    /// Leave it to the kernel.
    No,
}

/// The directives the writer follows; the server can change them at any time (CONFIG SET).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterConfig {
    pub fsync: FsyncPolicy,
    /// `aof-timestamp-enabled`
    pub timestamp_enabled: bool,
    /// `no-appendfsync-on-rewrite`: skip fsyncs while a child process is running.
    pub no_fsync_on_rewrite: bool,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig { fsync: FsyncPolicy::EverySec, timestamp_enabled: false, no_fsync_on_rewrite: false }
    }
}

/// A flush that failed where Redis gives up and exits (policy `always`: the replies may already be visible, so
/// a lost write cannot be hidden). The caller logs `msg` and exits with status 1.
#[derive(Debug)]
pub struct AofFatal {
    pub msg: String,
}

impl std::fmt::Display for AofFatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for AofFatal {}

/// What a flush did. The caller logs the notable cases with Redis's words.
#[derive(Debug, PartialEq, Eq)]
pub enum FlushOutcome {
    /// Nothing to write (an fsync may still have been done or scheduled).
    Idle,
    /// `everysec` with the previous background fsync still running: the write waits (at most 2 seconds).
    Postponed,
    /// The whole buffer was written. `delayed`: it was written despite a running fsync after waiting 2 seconds
    /// ("Asynchronous AOF fsync is taking too long (disk is busy?)..."); `recovered`: the previous write had
    /// failed ("AOF write error looks solved, Redis can write again.").
    Written { bytes: usize, delayed: bool, recovered: bool },
    /// The write failed; the unwritten data is kept for the next flush. `short`: `Some((written, expected))` when
    /// part was written; `truncated` tells whether that part was removed again with ftruncate.
    Failed { errno: i32, short: Option<(usize, usize)>, truncated: bool },
}

/// Numbers for INFO persistence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AofStats {
    /// `aof_current_size`: base + incrs, as far as written.
    pub current_size: u64,
    /// `aof_base_size` (`aof_rewrite_base_size`).
    pub base_size: u64,
    /// Size of the incr file being appended to.
    pub last_incr_size: u64,
    /// `aof_buffer_length`
    pub buffer_length: usize,
    /// `aof_pending_bio_fsync`
    pub pending_bio_fsync: usize,
    /// `aof_delayed_fsync`
    pub delayed_fsync: u64,
    /// Last write succeeded (Redis's `aof_last_write_status`).
    pub last_write_ok: bool,
    /// errno of the last failed write (`aof_last_write_errno`; ENOSPC for short writes).
    pub last_write_errno: i32,
    /// Last background fsync succeeded (Redis's `aof_bio_fsync_status`).
    pub bio_fsync_ok: bool,
    pub bio_fsync_errno: i32,
    /// `aof_last_fsync`, unix seconds.
    pub last_fsync_unix: i64,
}

impl AofStats {
    /// INFO's `aof_last_write_status`: `ok` only when both the writes and the background fsyncs are fine.
    pub fn write_status_ok(&self) -> bool {
        self.last_write_ok && self.bio_fsync_ok
    }
}

enum Job {
    /// fsync; on success the replication offset the file held then becomes the fsynced one (WAITAOF).
    Fsync(Arc<File>, i64),
    /// fsync, then drop (close) the file: the previous incr after switching to a new one.
    FsyncAndClose(Arc<File>),
}

#[derive(Default)]
struct BioState {
    jobs: VecDeque<Job>,
    /// Fsync jobs queued or running (`bioPendingJobsOfType(BIO_AOF_FSYNC)`); close jobs are not counted.
    pending_fsync: usize,
    fsync_errno: Option<i32>,
    /// Redis's `fsynced_reploff_pending`: the replication offset whose bytes are known fsynced (set by the
    /// fsync thread after a background fsync, and by the event loop's thread for `always` and when nothing is
    /// left to sync). The server copies it into its `fsynced_reploff` before the loop sleeps.
    synced_reploff: i64,
    shutdown: bool,
    /// Test hook: the thread takes no job while set (simulates a slow disk).
    paused: bool,
}

struct BioShared {
    state: Mutex<BioState>,
    cv: Condvar,
}

impl BioShared {
    fn lock(&self) -> MutexGuard<'_, BioState> {
        // A poisoned lock only means the fsync thread panicked; the counters are still meaningful.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The background fsync thread (Redis's BIO_AOF_FSYNC and BIO_CLOSE_FILE workers in one).
struct Bio {
    shared: Arc<BioShared>,
    thread: Option<JoinHandle<()>>,
}

impl Bio {
    fn start() -> io::Result<Bio> {
        let shared = Arc::new(BioShared { state: Mutex::new(BioState::default()), cv: Condvar::new() });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("aof-fsync".into()).spawn(move || {
            crate::sys::affinity::enter(crate::sys::affinity::Role::Background);
            bio_main(&s)
        })?;
        Ok(Bio { shared, thread: Some(thread) })
    }

    fn submit(&self, job: Job) {
        let mut st = self.shared.lock();
        if matches!(job, Job::Fsync(..)) {
            st.pending_fsync += 1;
        }
        st.jobs.push_back(job);
        self.shared.cv.notify_all();
    }

    fn fsync_in_progress(&self) -> bool {
        self.shared.lock().pending_fsync != 0
    }
}

impl Drop for Bio {
    fn drop(&mut self) {
        {
            let mut st = self.shared.lock();
            st.shutdown = true;
            st.paused = false;
            self.shared.cv.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn bio_main(shared: &BioShared) {
    // The watchdog's SIGALRM is for the event loop's thread (its backtrace is the point), as Redis's bio threads.
    crate::sys::fatal::block_alarm_in_this_thread();
    loop {
        let job = {
            let mut st = shared.lock();
            loop {
                if !st.paused {
                    if let Some(j) = st.jobs.pop_front() {
                        break j;
                    }
                    if st.shutdown {
                        return;
                    }
                }
                st = shared.cv.wait(st).unwrap_or_else(|e| e.into_inner());
            }
        };
        let (file, counted, offset) = match job {
            Job::Fsync(f, offset) => (f, true, Some(offset)),
            Job::FsyncAndClose(f) => (f, false, None),
        };
        let res = file.sync_data();
        drop(file);
        let mut st = shared.lock();
        match res {
            // As Redis: a descriptor closed under us is not an fsync failure.
            Err(e) if !matches!(e.raw_os_error(), Some(libc::EBADF) | Some(libc::EINVAL)) => {
                st.fsync_errno = Some(e.raw_os_error().unwrap_or(libc::EIO));
            }
            _ if counted => {
                st.fsync_errno = None;
                if let Some(off) = offset {
                    st.synced_reploff = off;
                }
            }
            _ => {}
        }
        if counted {
            st.pending_fsync -= 1;
        }
        shared.cv.notify_all();
    }
}

/// Buffers below this capacity are reused after a flush; bigger ones are released (Redis frees its sds above
/// about 4 KB; we keep a little more to avoid reallocating for every burst of small commands).
const BUF_REUSE_MAX: usize = 64 * 1024;

/// How long (seconds) a write may wait for a running background fsync before it goes ahead anyway.
const MAX_POSTPONE_SECS: i64 = 2;

/// Appends commands to the current incr file. One per server; driven from the event loop thread. Dropping it
/// does not flush the buffer (call [`AofWriter::stop`] or a forced flush first); it waits for queued background
/// fsyncs, then closes the file.
pub struct AofWriter {
    file: Arc<File>,
    buf: Vec<u8>,
    cfg: WriterConfig,
    selected_db: Option<usize>,
    /// `aof_cur_timestamp`: the second of the last `#TS:` annotation.
    cur_timestamp: i64,
    current_size: u64,
    base_size: u64,
    last_incr_size: u64,
    last_incr_fsync_offset: u64,
    last_fsync: i64,
    flush_postponed_start: i64,
    delayed_fsync: u64,
    last_write_ok: bool,
    last_write_errno: i32,
    child_active: bool,
    /// The server's replication offset as of the bytes fed so far ([`AofWriter::set_repl_offset`]).
    repl_offset: i64,
    bio: Bio,
    /// Test hook: the next write stores only this many bytes, then fails with ENOSPC.
    #[cfg(test)]
    short_write_at: Option<usize>,
}

fn unix_now() -> i64 {
    crate::sys::wall_clock_us().div_euclid(1_000_000)
}

impl AofWriter {
    /// Starts appending to `file` (opened with O_APPEND), whose current length is taken as the incr size.
    /// `current_size`/`base_size` start as that length too; the server sets the loaded totals with
    /// [`AofWriter::set_sizes`].
    pub fn new(file: File, cfg: WriterConfig) -> io::Result<AofWriter> {
        let len = file.metadata()?.len();
        Ok(AofWriter {
            file: Arc::new(file),
            buf: Vec::new(),
            cfg,
            selected_db: None,
            cur_timestamp: 0,
            current_size: len,
            base_size: 0,
            last_incr_size: len,
            last_incr_fsync_offset: len,
            last_fsync: unix_now(),
            flush_postponed_start: 0,
            delayed_fsync: 0,
            last_write_ok: true,
            last_write_errno: 0,
            child_active: false,
            repl_offset: 0,
            bio: Bio::start()?,
            #[cfg(test)]
            short_write_at: None,
        })
    }

    /// Opens (creating if needed) `path` for appending and starts a writer on it.
    pub fn open(path: &Path, cfg: WriterConfig) -> io::Result<AofWriter> {
        AofWriter::new(super::manifest::open_for_append(path)?, cfg)
    }

    pub fn config(&self) -> WriterConfig {
        self.cfg
    }

    pub fn set_config(&mut self, cfg: WriterConfig) {
        self.cfg = cfg;
    }

    /// Whether a forked child is running (for `no-appendfsync-on-rewrite`).
    pub fn set_child_active(&mut self, active: bool) {
        self.child_active = active;
    }

    /// The server's replication offset now (Redis's `master_repl_offset`, which moves with every propagated
    /// command while the AOF is on): what an fsync of the bytes fed so far makes durable.
    pub fn set_repl_offset(&mut self, offset: i64) {
        self.repl_offset = offset;
    }

    /// Redis's `fsynced_reploff_pending`: the replication offset known to be on disk.
    pub fn fsynced_reploff_pending(&self) -> i64 {
        self.bio.shared.lock().synced_reploff
    }

    /// Sets [`AofWriter::fsynced_reploff_pending`] (the AOF being turned on starts from the current offset, as
    /// Redis's `startAppendOnly`).
    pub fn set_fsynced_reploff_pending(&mut self, offset: i64) {
        self.bio.shared.lock().synced_reploff = offset;
    }

    /// Sets `aof_current_size` and `aof_base_size` (after loading, or after a rewrite).
    pub fn set_sizes(&mut self, current_size: u64, base_size: u64) {
        self.current_size = current_size;
        self.base_size = base_size;
    }

    /// After a successful rewrite: the total is the new base plus the incr written since, and that total is the
    /// new reference for `auto-aof-rewrite-percentage`.
    pub fn rewrite_done(&mut self, new_base_size: u64) {
        self.current_size = new_base_size + self.last_incr_size;
        self.base_size = self.current_size;
    }

    /// Forces the next command to be preceded by a SELECT (Redis sets `aof_selected_db = -1` when a rewrite
    /// starts a new incr file and when AOF is turned off).
    pub fn reset_selected_db(&mut self) {
        self.selected_db = None;
    }

    /// The bytes waiting to be written.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes allocated for the buffer (`mem_aof_buffer`; not counted against `maxmemory`).
    pub fn buffer_alloc_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Appends one command executed in `db`, with the wall clock for the timestamp annotation.
    pub fn feed(&mut self, db: usize, argv: &[&[u8]]) {
        self.feed_at(db, argv, unix_now());
    }

    /// [`AofWriter::feed`] with the server's cached clock (`now_unix` in seconds).
    ///
    /// Redis's order: `#TS:<now>\r\n` when timestamps are on and the second advanced past the last annotation,
    /// then `SELECT <db>` when `db` differs from the last selected one, then the command as a RESP multibulk.
    pub fn feed_at(&mut self, db: usize, argv: &[&[u8]], now_unix: i64) {
        if self.cfg.timestamp_enabled && self.cur_timestamp < now_unix {
            self.cur_timestamp = now_unix;
            self.buf.extend_from_slice(format!("#TS:{now_unix}\r\n").as_bytes());
        }
        if self.selected_db != Some(db) {
            let mut digits = [0u8; 24];
            encode_command(&mut self.buf, &[b"SELECT", crate::util::utoa_buf(db as u64, &mut digits)]);
            self.selected_db = Some(db);
        }
        encode_command(&mut self.buf, argv);
    }

    /// Writes the buffer now, with the wall clock.
    pub fn flush(&mut self, force: bool) -> Result<FlushOutcome, AofFatal> {
        self.flush_at(force, unix_now())
    }

    /// Redis's `flushAppendOnlyFile(force)`. Call it before replying to clients (before the event loop sleeps);
    /// with `everysec` also from the cron so a postponed write or a pending fsync happens. `force` writes even
    /// while a background fsync runs (shutdown, rewrite start).
    pub fn flush_at(&mut self, force: bool, now_unix: i64) -> Result<FlushOutcome, AofFatal> {
        let mut sync_in_progress = false;
        let mut outcome = FlushOutcome::Idle;
        if self.buf.is_empty() {
            let unsynced = self.last_incr_fsync_offset != self.last_incr_size;
            // An fsync may still be owed for bytes written earlier even with nothing new to write.
            let need = match self.cfg.fsync {
                FsyncPolicy::EverySec => {
                    unsynced && now_unix > self.last_fsync && {
                        sync_in_progress = self.bio.fsync_in_progress();
                        !sync_in_progress
                    }
                }
                FsyncPolicy::Always => unsynced,
                FsyncPolicy::No => false,
            };
            if !need {
                // Redis 7.2+: nothing to fsync now, so everything fed counts as fsynced (unless a background
                // fsync runs, or the policy never fsyncs) - Redis's exact rule, which WAITAOF then reports.
                if !sync_in_progress && self.cfg.fsync != FsyncPolicy::No {
                    self.bio.shared.lock().synced_reploff = self.repl_offset;
                }
                return Ok(FlushOutcome::Idle);
            }
        } else {
            if self.cfg.fsync == FsyncPolicy::EverySec {
                sync_in_progress = self.bio.fsync_in_progress();
            }
            let mut delayed = false;
            if self.cfg.fsync == FsyncPolicy::EverySec && !force && sync_in_progress {
                if self.flush_postponed_start == 0 {
                    self.flush_postponed_start = now_unix;
                    return Ok(FlushOutcome::Postponed);
                } else if now_unix - self.flush_postponed_start < MAX_POSTPONE_SECS {
                    return Ok(FlushOutcome::Postponed);
                }
                self.delayed_fsync += 1;
                delayed = true;
            }
            let expected = self.buf.len();
            let (written, err) = self.timed_write(sync_in_progress);
            self.flush_postponed_start = 0;
            if written != expected {
                return self.write_failed(written, expected, err);
            }
            let recovered = !self.last_write_ok;
            self.last_write_ok = true;
            self.current_size += written as u64;
            self.last_incr_size += written as u64;
            if self.buf.capacity() <= BUF_REUSE_MAX {
                self.buf.clear();
            } else {
                self.buf = Vec::new();
            }
            outcome = FlushOutcome::Written { bytes: written, delayed, recovered };
        }

        self.try_fsync(now_unix, sync_in_progress, outcome)
    }

    /// Redis's `aofWrite` of the whole buffer, timed for the latency monitor: `aof-write` and the event naming
    /// what the disk was busy with.
    fn timed_write(&mut self, sync_in_progress: bool) -> (usize, Option<io::Error>) {
        let started = (crate::latency::threshold_ms() > 0).then(std::time::Instant::now);
        let (written, err) = self.write_buf();
        if let Some(t) = started {
            // Redis's four write events: by what the disk was busy with, and all writes together.
            let ms = t.elapsed().as_millis() as u64;
            let event = if sync_in_progress {
                "aof-write-pending-fsync"
            } else if self.child_active {
                "aof-write-active-child"
            } else {
                "aof-write-alone"
            };
            crate::latency::add_sample_if_needed(event, ms);
            crate::latency::add_sample_if_needed("aof-write", ms);
        }
        (written, err)
    }

    /// A write that did not take the whole buffer: a partial command is cut off the file, the error is recorded;
    /// fatal under `appendfsync always`.
    fn write_failed(
        &mut self,
        written: usize,
        expected: usize,
        err: Option<io::Error>,
    ) -> Result<FlushOutcome, AofFatal> {
        let errno;
        let mut kept = written;
        let mut short = None;
        let mut truncated = false;
        if written == 0 {
            errno = err.and_then(|e| e.raw_os_error()).unwrap_or(libc::EIO);
        } else {
            short = Some((written, expected));
            // Remove the partial command so the file does not end in the middle of one.
            if self.file.set_len(self.last_incr_size).is_ok() {
                kept = 0;
                truncated = true;
            }
            errno = libc::ENOSPC;
        }
        self.last_write_errno = errno;
        if self.cfg.fsync == FsyncPolicy::Always {
            return Err(AofFatal {
                msg: "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...".into(),
            });
        }
        self.last_write_ok = false;
        if kept > 0 {
            self.current_size += kept as u64;
            self.last_incr_size += kept as u64;
            self.buf.drain(..kept);
        }
        Ok(FlushOutcome::Failed { errno, short, truncated })
    }

    /// Redis's `try_fsync` step: the fsync the policy asks for after a write (or an owed one), unless
    /// `no-appendfsync-on-rewrite` holds it back while a child runs.
    fn try_fsync(
        &mut self,
        now_unix: i64,
        sync_in_progress: bool,
        outcome: FlushOutcome,
    ) -> Result<FlushOutcome, AofFatal> {
        if self.cfg.no_fsync_on_rewrite && self.child_active {
            return Ok(outcome);
        }
        match self.cfg.fsync {
            FsyncPolicy::Always => {
                let started = (crate::latency::threshold_ms() > 0).then(std::time::Instant::now);
                let synced = self.file.sync_data();
                if let Some(t) = started {
                    crate::latency::add_sample_if_needed("aof-fsync-always", t.elapsed().as_millis() as u64);
                }
                if let Err(e) = synced {
                    return Err(AofFatal {
                        msg: format!(
                            "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                            crate::sys::error_text(&e)
                        ),
                    });
                }
                self.last_incr_fsync_offset = self.last_incr_size;
                self.last_fsync = now_unix;
                self.bio.shared.lock().synced_reploff = self.repl_offset;
            }
            FsyncPolicy::EverySec if now_unix > self.last_fsync => {
                if !sync_in_progress {
                    self.bio.submit(Job::Fsync(Arc::clone(&self.file), self.repl_offset));
                    self.last_incr_fsync_offset = self.last_incr_size;
                }
                self.last_fsync = now_unix;
            }
            _ => {}
        }
        Ok(outcome)
    }

    /// Redis's `aofWrite`: retries short writes and EINTR; returns how much was written and the error that
    /// stopped it, if any.
    fn write_buf(&mut self) -> (usize, Option<io::Error>) {
        let mut total = 0;
        #[cfg(test)]
        let limit = self.short_write_at.take();
        #[cfg(not(test))]
        let limit: Option<usize> = None;
        while total < self.buf.len() {
            let end = match limit {
                Some(l) if l <= total => return (total, Some(io::Error::from_raw_os_error(libc::ENOSPC))),
                Some(l) => l.min(self.buf.len()),
                None => self.buf.len(),
            };
            match (&*self.file).write(&self.buf[total..end]) {
                Ok(0) => return (total, Some(io::Error::from(io::ErrorKind::WriteZero))),
                Ok(n) => total += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (total, Some(e)),
            }
        }
        (total, None)
    }

    /// Continues in a new incr file (a rewrite started): the old file gets a background fsync and is closed, the
    /// incr size restarts at 0 and the next command is preceded by a SELECT. Bytes still buffered go to the new
    /// file; flush with `force` first to put them in the old one, as Redis does.
    pub fn switch_file(&mut self, new_file: File, now_unix: i64) {
        let old = std::mem::replace(&mut self.file, Arc::new(new_file));
        self.bio.submit(Job::FsyncAndClose(old));
        self.last_fsync = now_unix;
        self.last_incr_size = 0;
        self.last_incr_fsync_offset = 0;
        self.selected_db = None;
    }

    /// Turning AOF off (Redis's `stopAppendOnly`): forced flush, then a synchronous fsync. Returns the fsync
    /// result; the file is closed when the writer is dropped.
    pub fn stop(&mut self, now_unix: i64) -> Result<io::Result<()>, AofFatal> {
        self.flush_at(true, now_unix)?;
        let r = self.file.sync_data();
        if r.is_ok() {
            self.last_fsync = now_unix;
        }
        self.selected_db = None;
        Ok(r)
    }

    /// Bytes the AOF buffer holds allocated (`mem_aof_buffer`): O(1), for INFO and the eviction check.
    pub fn buffer_bytes(&self) -> usize {
        self.buf.capacity()
    }

    pub fn stats(&self) -> AofStats {
        let st = self.bio.shared.lock();
        AofStats {
            current_size: self.current_size,
            base_size: self.base_size,
            last_incr_size: self.last_incr_size,
            buffer_length: self.buf.len(),
            pending_bio_fsync: st.pending_fsync,
            delayed_fsync: self.delayed_fsync,
            last_write_ok: self.last_write_ok,
            last_write_errno: self.last_write_errno,
            bio_fsync_ok: st.fsync_errno.is_none(),
            bio_fsync_errno: st.fsync_errno.unwrap_or(0),
            last_fsync_unix: self.last_fsync,
        }
    }

    /// Clears the error flags when AOF is turned back on (Redis's `startAppendOnly`: "AOF reopen, just ignore
    /// the last error").
    pub fn clear_errors(&mut self) {
        self.last_write_ok = true;
        self.bio.shared.lock().fsync_errno = None;
    }

    /// Waits until the background fsync thread has no job left (tests, shutdown).
    pub fn wait_background_idle(&self) {
        let mut st = self.bio.shared.lock();
        while !st.jobs.is_empty() || st.pending_fsync != 0 {
            st = self.bio.shared.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Test hook: stop (or resume) the background thread taking jobs, to simulate a slow fsync.
    #[doc(hidden)]
    pub fn pause_background_for_test(&self, paused: bool) {
        let mut st = self.bio.shared.lock();
        st.paused = paused;
        self.bio.shared.cv.notify_all();
    }
}

use crate::resp::encode_command;

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tmp_file(tag: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("ferredis-aof-writer-{tag}-{}", std::process::id()));
        let _ = fs::remove_file(&p);
        p
    }

    fn cfg(fsync: FsyncPolicy, ts: bool) -> WriterConfig {
        WriterConfig { fsync, timestamp_enabled: ts, no_fsync_on_rewrite: false }
    }

    #[test]
    fn encoding_matches_the_obvious_one() {
        for len in [0usize, 1, 9, 10, 99, 100, 12345] {
            let arg = vec![b'x'; len];
            let mut out = Vec::new();
            encode_command(&mut out, &[b"SET", &arg]);
            let mut want = format!("*2\r\n$3\r\nSET\r\n${len}\r\n").into_bytes();
            want.extend_from_slice(&arg);
            want.extend_from_slice(b"\r\n");
            assert_eq!(out, want);
        }
        let mut d = [0u8; 24];
        assert_eq!(crate::util::utoa_buf(u64::MAX, &mut d), u64::MAX.to_string().as_bytes());
    }

    #[test]
    fn feed_emits_select_on_db_change_only() {
        let p = tmp_file("select");
        let mut w = AofWriter::open(&p, cfg(FsyncPolicy::No, false)).expect("open");
        w.feed_at(0, &[b"SET", b"k", b"v"], 100);
        w.feed_at(0, &[b"DEL", b"k"], 100);
        w.feed_at(3, &[b"INCR", b"n"], 100);
        w.feed_at(0, &[b"PING"], 100);
        let want = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n\
*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n";
        assert_eq!(w.buffered(), &want[..]);
        assert_eq!(
            w.flush_at(false, 100).expect("flush"),
            FlushOutcome::Written { bytes: want.len(), delayed: false, recovered: false }
        );
        assert_eq!(fs::read(&p).expect("read"), want.to_vec());
        let st = w.stats();
        assert_eq!((st.current_size, st.last_incr_size, st.buffer_length), (want.len() as u64, want.len() as u64, 0));
        // After a switch to a new file the first command selects again.
        let p2 = tmp_file("select2");
        w.switch_file(super::super::manifest::create_incr(&p2).expect("create"), 100);
        w.feed_at(0, &[b"PING"], 100);
        assert!(w.buffered().starts_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"));
        let _ = fs::remove_file(&p);
        let _ = fs::remove_file(&p2);
    }

    #[test]
    fn timestamps_when_the_second_advances() {
        let p = tmp_file("ts");
        let mut w = AofWriter::open(&p, cfg(FsyncPolicy::No, true)).expect("open");
        w.feed_at(0, &[b"A"], 1000);
        w.feed_at(0, &[b"B"], 1000);
        w.feed_at(1, &[b"C"], 1001);
        w.feed_at(1, &[b"D"], 999); // the clock went back: no annotation, as Redis (cur < now only)
        let want = b"#TS:1000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$1\r\nA\r\n*1\r\n$1\r\nB\r\n\
#TS:1001\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*1\r\n$1\r\nC\r\n*1\r\n$1\r\nD\r\n";
        assert_eq!(w.buffered(), &want[..]);
        let _ = fs::remove_file(&p);
    }

    #[test]
    fn always_fsyncs_and_everysec_schedules() {
        let p = tmp_file("always");
        let mut w = AofWriter::open(&p, cfg(FsyncPolicy::Always, false)).expect("open");
        w.feed_at(0, &[b"PING"], 50);
        assert!(matches!(w.flush_at(false, 50), Ok(FlushOutcome::Written { .. })));
        assert_eq!(w.stats().last_fsync_unix, 50);
        w.set_config(cfg(FsyncPolicy::EverySec, false));
        let now = w.stats().last_fsync_unix + 10;
        w.feed_at(0, &[b"PING"], now);
        assert!(matches!(w.flush_at(false, now), Ok(FlushOutcome::Written { .. })));
        assert_eq!(w.stats().last_fsync_unix, now);
        w.wait_background_idle();
        let st = w.stats();
        assert_eq!((st.pending_bio_fsync, st.bio_fsync_ok), (0, true));
        let _ = fs::remove_file(&p);
    }

    #[test]
    fn everysec_postpones_up_to_two_seconds_while_fsync_runs() {
        let p = tmp_file("postpone");
        let mut w = AofWriter::open(&p, cfg(FsyncPolicy::EverySec, false)).expect("open");
        w.pause_background_for_test(true);
        let t0 = w.stats().last_fsync_unix + 1;
        w.feed_at(0, &[b"A"], t0);
        assert!(matches!(w.flush_at(false, t0), Ok(FlushOutcome::Written { .. })));
        assert_eq!(w.stats().pending_bio_fsync, 1); // queued, held by the paused thread
        w.feed_at(0, &[b"B"], t0);
        assert_eq!(w.flush_at(false, t0).expect("flush"), FlushOutcome::Postponed);
        assert_eq!(w.flush_at(false, t0 + 1).expect("flush"), FlushOutcome::Postponed);
        let len_before = fs::metadata(&p).expect("stat").len();
        // Two seconds later it writes anyway and counts a delayed fsync.
        assert_eq!(
            w.flush_at(false, t0 + 2).expect("flush"),
            FlushOutcome::Written { bytes: 11, delayed: true, recovered: false }
        );
        assert_eq!(fs::metadata(&p).expect("stat").len(), len_before + 11);
        assert_eq!(w.stats().delayed_fsync, 1);
        // force writes at once.
        w.feed_at(0, &[b"C"], t0 + 2);
        assert!(matches!(w.flush_at(true, t0 + 2), Ok(FlushOutcome::Written { delayed: false, .. })));
        w.pause_background_for_test(false);
        w.wait_background_idle();
        assert_eq!(w.stats().pending_bio_fsync, 0);
        let _ = fs::remove_file(&p);
    }

    #[test]
    fn write_error_keeps_data_and_reports() {
        let Ok(full) = fs::OpenOptions::new().write(true).open("/dev/full") else {
            eprintln!("skipped: no /dev/full");
            return;
        };
        let mut w = AofWriter::new(full, cfg(FsyncPolicy::No, false)).expect("writer");
        w.feed_at(0, &[b"SET", b"k", b"v"], 1);
        let n = w.buffered().len();
        match w.flush_at(false, 1).expect("not fatal") {
            FlushOutcome::Failed { errno, short: None, .. } => assert_eq!(errno, libc::ENOSPC),
            other => panic!("{other:?}"),
        }
        let st = w.stats();
        assert!(!st.last_write_ok && !st.write_status_ok());
        assert_eq!((st.last_write_errno, st.buffer_length), (libc::ENOSPC, n));
        // With `always` the same failure is fatal.
        w.set_config(cfg(FsyncPolicy::Always, false));
        assert!(w.flush_at(false, 1).is_err());
    }

    #[test]
    fn short_write_is_truncated_back_then_recovers() {
        let p = tmp_file("short");
        fs::write(&p, b"*1\r\n$4\r\nPING\r\n").expect("seed");
        let mut w = AofWriter::open(&p, cfg(FsyncPolicy::No, false)).expect("open");
        w.feed_at(0, &[b"SET", b"key", b"value"], 1);
        let n = w.buffered().len();
        w.short_write_at = Some(5);
        assert_eq!(
            w.flush_at(false, 1).expect("flush"),
            FlushOutcome::Failed { errno: libc::ENOSPC, short: Some((5, n)), truncated: true }
        );
        assert_eq!(fs::read(&p).expect("read"), b"*1\r\n$4\r\nPING\r\n".to_vec());
        assert_eq!(w.stats().buffer_length, n);
        assert_eq!(w.stats().last_write_errno, libc::ENOSPC);
        // Next flush writes everything and reports the recovery.
        assert_eq!(
            w.flush_at(false, 1).expect("flush"),
            FlushOutcome::Written { bytes: n, delayed: false, recovered: true }
        );
        assert!(w.stats().last_write_ok);
        assert_eq!(fs::metadata(&p).expect("stat").len(), 14 + n as u64);
        let _ = fs::remove_file(&p);
    }
}
