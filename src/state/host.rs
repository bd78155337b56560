//! What the running server lends the features whose work needs the event loop ([`Host`]), and the load sink
//! that serves clients while an RDB is read ([`ProgressSink`]).
//!
//! A feature that lives in `state/` (replication's link and full syncs, [`crate::state::repl`]) but has to
//! close a client, switch the AOF, or serve clients in the middle of a long load reaches the server through this
//! trait, which `server/` implements. So the whole feature is one folder and the server layer stays above it:
//! the trait is the list of what the feature asks of the loop, and nothing else of the server is in reach.
//!
//! The methods are the server's own, each documented where the server defines it (`server/clients.rs`,
//! `server/call.rs`, `server/aof.rs`, `server/persist.rs`).

use super::ServerState;
use crate::event_loop::{EventHandler, EventLoop};
use crate::keyspace::object::Entry;
use crate::net::client::Client;
use crate::persist::rdb::report::Source;
use crate::persist::rdb::{DbSink, LoadSink, LoadStats, RdbError};
use std::cell::Cell;
use std::io::{BufRead, Read};
use std::os::fd::RawFd;
use std::rc::Rc;

/// The server as a feature in `state/` sees it: its state, its event handling (a long load serves clients
/// through [`EventLoop::process_events`]), and the few services of the loop listed here.
pub trait Host: EventHandler {
    /// The whole server state.
    fn state(&mut self) -> &mut ServerState;
    /// Shared access to the server state.
    fn state_ref(&self) -> &ServerState;
    /// Closes the client on `fd` now (unregistered from the loop, its resources released).
    fn free_client_by_fd(&mut self, el: &mut EventLoop, fd: RawFd);
    /// Takes a client made outside the listener (our master's, once its link is ready) into the client table,
    /// counted as connected, running what its input buffer already holds.
    fn adopt_client(&mut self, el: &mut EventLoop, c: Box<Client>);
    /// Unblocks every blocked client with an error (the role changed).
    fn disconnect_all_blocked(&mut self);
    /// The name of the top-level command being run, as an error from our master's stream names it.
    fn running_command_name(&self) -> &'static str;
    /// Keeps the OOM score in line with the role (`force`: apply even when the role did not change).
    fn sync_oom_role(&mut self, force: bool);
    /// The port of the first TCP listener, once bound.
    fn tcp_port(&self) -> Option<u16>;
    /// Turns the AOF on through a rewrite (`in_exec`: asked from inside a transaction).
    fn start_append_only(&mut self, in_exec: bool);
    /// Turns the AOF off, killing a rewrite in progress.
    fn stop_append_only(&mut self);
    /// Marks the start of a load of `total_bytes` (INFO's `loading` fields).
    fn begin_loading(&mut self, total_bytes: u64);
    /// Marks the end of a load.
    fn end_loading(&mut self);
    /// Logs and counts a successful load.
    fn log_load_done(&mut self, st: &LoadStats);
    /// Logs Redis's report of a failed load; true when Redis would exit here.
    fn log_load_failure(&self, e: &RdbError, source: Source) -> bool;
    /// Serves clients when another `loading-process-events-interval-bytes` of a load went by.
    fn loading_progress(&mut self, el: &mut EventLoop, loaded_bytes: u64, last_events_at: &mut u64);
    /// The exit code once a shutdown has completed (the loop must end).
    fn exit_code(&self) -> Option<i32>;
}

/// A reader that counts the bytes its consumer has consumed (load progress).
pub struct CountingReader<R> {
    pub inner: R,
    pub consumed: Rc<Cell<u64>>,
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.consumed.set(self.consumed.get() + amt as u64);
        self.inner.consume(amt)
    }
}

/// The RDB file sink of a load that blocks the loop (at start-up, and a replica's disk-backed full sync): keys
/// go to the loading databases; every 1024 keys the server may serve clients, and `key-load-delay` (a testing
/// directive) slows each key down.
pub struct ProgressSink<'a, 'd, H: Host + ?Sized> {
    inner: DbSink<'d>,
    srv: &'a mut H,
    el: &'a mut EventLoop,
    consumed: Rc<Cell<u64>>,
    keys: u64,
    last_events_at: u64,
    key_delay_us: i64,
    /// The database the file is in (for the DELs of expired keys).
    db: usize,
}

impl<'a, 'd, H: Host + ?Sized> ProgressSink<'a, 'd, H> {
    pub fn new(inner: DbSink<'d>, srv: &'a mut H, el: &'a mut EventLoop, consumed: Rc<Cell<u64>>) -> Self {
        let key_delay_us = srv.state().config.stored_i64("key-load-delay");
        ProgressSink { inner, srv, el, consumed, keys: 0, last_events_at: 0, key_delay_us, db: 0 }
    }
}

impl<H: Host + ?Sized> LoadSink for ProgressSink<'_, '_, H> {
    fn aux(&mut self, key: &[u8], val: &[u8], offset: u64) {
        crate::persist::rdb::report::log_aux_field(key, val);
        self.inner.aux(key, val, offset)
    }

    fn select_db(&mut self, db: u64, offset: u64) -> Result<(), String> {
        self.db = db as usize;
        self.inner.select_db(db, offset)
    }

    /// A master restarting from its RDB (the backlog exists during the load only then) puts the deletion of a
    /// key that expired while it was down into the stream, as Redis's `rdbLoad` with `RDBFLAGS_FEED_REPL`.
    fn expired(&mut self, key: &[u8]) {
        let st = self.srv.state();
        let verb = st.expire_del_verb();
        if let Some(f) = st.prop.repl.as_mut() {
            f.feed(self.db, &[verb, key]);
            if f.buf.len() >= 64 * 1024 {
                crate::state::repl::drain_feed(st, None);
            }
        }
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

    fn entry(&mut self, e: Entry, expire_ms: Option<i64>) -> Result<(), String> {
        self.inner.entry(e, expire_ms)?;
        if self.key_delay_us != 0 {
            crate::util::debug_delay(self.key_delay_us);
        }
        self.keys += 1;
        if self.keys % 1024 == 0 || self.key_delay_us != 0 {
            self.srv.loading_progress(self.el, self.consumed.get(), &mut self.last_events_at);
            // A CONFIG SET served meanwhile applies at once, as Redis reads the directive at every key.
            self.key_delay_us = self.srv.state().config.stored_i64("key-load-delay");
        }
        Ok(())
    }
}
