//! The one propagation path: every change to the dataset leaves the server through here, in a form that replays
//! to the same result (Redis's `alsoPropagate` / `propagatePendingCommands`).
//!
//! ```text
//!   handler ──ctx.propagation(): rewrite / also / prevent───────────────────┐
//!   lazy and active expiry (Db::take_deletions) ──DEL/UNLINK──────────────┤
//!   Server::call: dirty moved? → the command's own (or rewritten) argv ───┤
//!                                                                         ▼
//!                                     ops of one execution unit (a command, or EXEC with its queue)
//!                                                                         │ end of the unit: one op as is,
//!                                                                         │ several wrapped in MULTI … EXEC
//!                                                                         ▼
//!                                     consumers: the AOF writer (RESP, SELECT when the db changes, written
//!                                     before replies go out) and the replication feed (`ReplFeed`: the same
//!                                     ops with their own SELECT state, drained by the server into the
//!                                     backlog and the replicas after each command; see `crate::state::repl`)
//! ```
//!
//! The deletions expiry and eviction make wait in the databases' [`Queue`](crate::keyspace::db::Queue)
//! ([`Db::take_deletions`](crate::keyspace::db::Db::take_deletions)), drained by
//! [`notify::drain_queues`](crate::state::notify::drain_queues); the funnel that compares `dirty` is
//! [`Server::call_with`](crate::server::Server::call_with) (`server/call.rs`).
//!
//! Invariants: ops are recorded only while a consumer exists (`enabled`), so a server without AOF pays nothing but
//! a branch; the command's own argv is never copied in the common case (one op, no rewrite): it is encoded straight
//! from the client's query buffer. A unit is flushed exactly once, when the outermost call returns.
//!
//! Tested by the unit tests below (encoding, SELECT tracking, MULTI wrapping) and end to end by
//! tests/persistence/persist_propagation.rs, which compares our AOF stream with Redis's for the same commands.

#![forbid(unsafe_code)]

use crate::persist::aof::AofWriter;

/// Where an op goes (Redis's `PROPAGATE_AOF` / `PROPAGATE_REPL`).
pub const TARGET_AOF: u8 = 1;
pub const TARGET_REPL: u8 = 2;
pub const TARGET_ALL: u8 = TARGET_AOF | TARGET_REPL;

/// One command to propagate, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub db: usize,
    pub argv: Vec<Vec<u8>>,
    pub targets: u8,
}

/// Per-call propagation requests of the running handler (saved and restored around nested calls).
#[derive(Debug, Default)]
pub struct CallState {
    /// The handler replaced its own argv (Redis's `rewriteClientCommandVector`).
    pub rewrite: Option<Vec<Vec<u8>>>,
    /// The handler's own argv must not be propagated (it propagated what it did through `also`).
    pub prevent: bool,
    /// Propagate even when `dirty` did not move (FLUSHALL of an empty server).
    pub force: bool,
    /// Where a forced op goes when not everywhere (PUBLISH: replicas only, never the AOF); 0 = everywhere.
    pub force_targets: u8,
}

/// The propagation state of the server.
#[derive(Default)]
pub struct Propagation {
    /// Whether any consumer exists (AOF on; later: replicas or a backlog). Nothing is recorded otherwise.
    pub enabled: bool,
    /// Ops of the execution unit in progress.
    ops: Vec<Op>,
    /// Requests of the handler running now.
    pub call: CallState,
    /// The AOF writer while the AOF is on (or being turned on): its buffer is written before replies are sent.
    pub aof: Option<AofWriter>,
    /// The server's clock in unix seconds (for the AOF's timestamp annotations), set before each command.
    pub now_unix: i64,
    /// The replication stream while this server is a master with a backlog (a replica proxies its master's bytes
    /// instead): see [`ReplFeed`].
    pub repl: Option<ReplFeed>,
    /// While a script's command runs: where its op goes (`redis.set_repl`); `None` = everywhere.
    pub script_targets: Option<u8>,
    /// The unit in progress is not wrapped in MULTI/EXEC however many ops it has: a SCAN or RANDOMKEY run
    /// directly, whose ops are lazy-expiry DELs of unrelated keys (Redis's `CMD_TOUCHES_ARBITRARY_KEYS` check in
    /// `propagatePendingCommands`). Cleared when the unit is flushed.
    pub unit_no_multi: bool,
    /// Commands (MULTI and EXEC included) that went to the AOF while there was no replication stream: Redis
    /// 7.2+ moves a master's replication offset by one for each (WAITAOF's offsets); the server takes it after
    /// each command ([`crate::state::repl::drain_feed`]).
    pub ops_without_stream: u64,
}

/// The replication stream's encoder: RESP commands with a SELECT whenever the db changes (Redis's
/// `replicationFeedSlaves` with `server.slaveseldb`). The server takes `buf` after each command.
#[derive(Debug, Default)]
pub struct ReplFeed {
    /// Encoded bytes not yet handed to the backlog and the replicas.
    pub buf: Vec<u8>,
    /// The db the stream last selected; -1 forces a SELECT before the next command (after a full sync starts).
    pub selected_db: i64,
    /// Bytes of the SELECTs this feed ever wrote: CLUSTER SLOT-STATS counts a command's replication bytes but
    /// not the SELECT before them (Valkey's clusterSlotStatsDecrNetworkBytesOutForReplication).
    pub select_bytes: u64,
}

impl ReplFeed {
    pub fn new() -> ReplFeed {
        ReplFeed { buf: Vec::new(), selected_db: -1, select_bytes: 0 }
    }

    /// Encodes one command in `db`.
    pub fn feed(&mut self, db: usize, argv: &[&[u8]]) {
        if self.selected_db != db as i64 {
            let n = db.to_string();
            let before = self.buf.len();
            crate::resp::encode_command(&mut self.buf, &[b"SELECT", n.as_bytes()]);
            self.select_bytes += (self.buf.len() - before) as u64;
            self.selected_db = db as i64;
        }
        crate::resp::encode_command(&mut self.buf, argv);
    }
}

impl Propagation {
    /// Records an op of the current unit (Redis's `alsoPropagate`).
    pub fn also<S: AsRef<[u8]>>(&mut self, db: usize, argv: &[S], targets: u8) {
        if !self.enabled {
            return;
        }
        self.ops.push(Op { db, argv: argv.iter().map(|a| a.as_ref().to_vec()).collect(), targets });
    }

    /// Starts a call: returns the caller's state to restore with [`Propagation::end_call`].
    #[inline]
    pub fn begin_call(&mut self) -> CallState {
        std::mem::take(&mut self.call)
    }

    /// Ends a call: records the command's own propagation (`own`: its argv, used unless rewritten) when it changed
    /// the dataset, and restores the caller's state.
    pub fn end_call<'a>(
        &mut self,
        saved: CallState,
        db: usize,
        dirty: bool,
        own: impl ExactSizeIterator<Item = &'a [u8]>,
        nested: bool,
    ) {
        let call = std::mem::replace(&mut self.call, saved);
        if !self.enabled || call.prevent || !(dirty || call.force) {
            if !nested {
                self.flush_unit();
            }
            return;
        }
        // Redis's shouldPropagate: an op none of whose targets has a consumer is not recorded (a script's
        // REPL_AOF command without an AOF), so it does not count towards the unit's MULTI/EXEC.
        let only = if call.force_targets != 0 { call.force_targets } else { TARGET_ALL };
        let targets = self.script_targets.unwrap_or(TARGET_ALL) & self.live_targets() & only;
        if targets == 0 {
            if !nested {
                self.flush_unit();
            }
            return;
        }
        match call.rewrite {
            Some(argv) => self.ops.push(Op { db, argv, targets }),
            None if !nested && self.ops.is_empty() => {
                // The common case: one op, the command itself, straight from the query buffer.
                match (self.aof.as_mut(), self.repl.as_mut()) {
                    (Some(w), None) => {
                        feed_iter(w, db, own, self.now_unix);
                        self.ops_without_stream += 1;
                    }
                    (w, Some(r)) => {
                        let now_unix = self.now_unix;
                        with_slices(own, |v| {
                            if let Some(w) = w {
                                w.feed_at(db, v, now_unix);
                            }
                            r.feed(db, v);
                        });
                    }
                    (None, None) => {}
                }
                return;
            }
            None => self.ops.push(Op { db, argv: own.map(|a| a.to_vec()).collect(), targets }),
        }
        if !nested {
            self.flush_unit();
        }
    }

    /// The targets that have a consumer now.
    fn live_targets(&self) -> u8 {
        (if self.aof.is_some() { TARGET_AOF } else { 0 }) | (if self.repl.is_some() { TARGET_REPL } else { 0 })
    }

    /// Ends an execution unit: one op is fed as is, several are wrapped in MULTI … EXEC (in the first op's db).
    /// As in Redis, MULTI/EXEC go to every consumer when the unit has several ops, even to one that receives
    /// none of them (a script whose commands all went to replicas only with `redis.set_repl`).
    pub fn flush_unit(&mut self) {
        let no_multi = std::mem::take(&mut self.unit_no_multi);
        if self.ops.is_empty() {
            return;
        }
        let ops = std::mem::take(&mut self.ops);
        let wrap = ops.len() > 1 && !no_multi;
        // Redis wraps whenever the unit has several ops, MULTI in the first op's db and EXEC in the last's.
        let (first_db, last_db) = match (ops.first(), ops.last()) {
            (Some(f), Some(l)) => (f.db, l.db),
            _ => (0, 0),
        };
        if let Some(w) = self.aof.as_mut() {
            if wrap {
                w.feed_at(first_db, &[b"MULTI"], self.now_unix);
            }
            let mut fed = 0;
            for o in ops.iter().filter(|o| o.targets & TARGET_AOF != 0) {
                feed_iter(w, o.db, o.argv.iter().map(|a| a.as_slice()), self.now_unix);
                fed += 1;
            }
            if wrap {
                w.feed_at(last_db, &[b"EXEC"], self.now_unix);
                fed += 2;
            }
            if self.repl.is_none() {
                self.ops_without_stream += fed;
            }
        }
        if let Some(r) = self.repl.as_mut() {
            if wrap {
                r.feed(first_db, &[b"MULTI"]);
            }
            for o in ops.iter().filter(|o| o.targets & TARGET_REPL != 0) {
                let v: Vec<&[u8]> = o.argv.iter().map(|a| a.as_slice()).collect();
                r.feed(o.db, &v);
            }
            if wrap {
                r.feed(last_db, &[b"EXEC"]);
            }
        }
        // Hand the vector back to avoid reallocating next time.
        let mut ops = ops;
        ops.clear();
        self.ops = ops;
    }

    /// Whether ops are waiting for the end of the unit.
    pub fn has_pending(&self) -> bool {
        !self.ops.is_empty()
    }
}

/// Feeds one command to the AOF writer without allocating for the common short argument lists.
fn feed_iter<'a>(w: &mut AofWriter, db: usize, argv: impl ExactSizeIterator<Item = &'a [u8]>, now_unix: i64) {
    with_slices(argv, |v| w.feed_at(db, v, now_unix));
}

/// Runs `f` on the arguments as a slice, without allocating for the common short argument lists.
fn with_slices<'a>(argv: impl ExactSizeIterator<Item = &'a [u8]>, f: impl FnOnce(&[&[u8]])) {
    const INLINE: usize = 16;
    if argv.len() <= INLINE {
        let mut arr: [&[u8]; INLINE] = [&[]; INLINE];
        let mut n = 0;
        for a in argv {
            arr[n] = a;
            n += 1;
        }
        f(&arr[..n]);
    } else {
        let v: Vec<&[u8]> = argv.collect();
        f(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> Propagation {
        let path = std::env::temp_dir().join(format!("ferredis-prop-{}-{}", std::process::id(), rand_suffix()));
        let w = AofWriter::open(&path, Default::default()).unwrap();
        let _ = std::fs::remove_file(&path);
        Propagation { enabled: true, aof: Some(w), ..Default::default() }
    }

    fn rand_suffix() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        /// A counter that makes each test's AOF file name unique (test-only).
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::Relaxed)
    }

    fn out(p: &Propagation) -> Vec<u8> {
        p.aof.as_ref().map_or(Vec::new(), |w| w.buffered().to_vec())
    }

    fn own<'a>(v: &'a [&'a str]) -> impl ExactSizeIterator<Item = &'a [u8]> {
        v.iter().map(|s| s.as_bytes())
    }

    #[test]
    fn one_command_selects_db_once() {
        let mut p = on();
        let s = p.begin_call();
        p.end_call(s, 0, true, own(&["SET", "a", "1"]), false);
        let s = p.begin_call();
        p.end_call(s, 0, true, own(&["SET", "b", "2"]), false);
        assert_eq!(
            out(&p),
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
    }

    #[test]
    fn clean_and_prevented_commands_are_not_propagated() {
        let mut p = on();
        let s = p.begin_call();
        p.end_call(s, 0, false, own(&["DEL", "missing"]), false);
        let s = p.begin_call();
        p.call.prevent = true;
        p.end_call(s, 0, true, own(&["SPOP", "s", "3"]), false);
        assert!(out(&p).is_empty());
        // Forced: FLUSHALL of an empty server.
        let s = p.begin_call();
        p.call.force = true;
        p.end_call(s, 3, false, own(&["FLUSHALL"]), false);
        assert_eq!(out(&p), b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$8\r\nFLUSHALL\r\n");
    }

    #[test]
    fn rewrite_and_extra_ops_are_wrapped() {
        let mut p = on();
        let s = p.begin_call();
        p.also(1, &["DEL", "k"], TARGET_ALL);
        p.call.rewrite = Some(vec![b"PEXPIREAT".to_vec(), b"k".to_vec(), b"5".to_vec()]);
        p.end_call(s, 1, true, own(&["EXPIRE", "k", "1"]), false);
        let text = String::from_utf8(out(&p)).unwrap();
        assert_eq!(
            text,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n\
             *3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$1\r\n5\r\n*1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn nested_calls_flush_once_at_the_outer_end() {
        let mut p = on();
        let outer = p.begin_call();
        for k in ["a", "b"] {
            let s = p.begin_call();
            p.end_call(s, 0, true, own(&["SET", k, "1"]), true);
        }
        assert!(out(&p).is_empty() && p.has_pending());
        // EXEC itself is never propagated; its end flushes the unit.
        p.call.prevent = true;
        p.end_call(outer, 0, true, own(&["EXEC"]), false);
        let text = String::from_utf8(out(&p)).unwrap();
        assert!(text.contains("MULTI") && text.ends_with("*1\r\n$4\r\nEXEC\r\n"), "{text}");
        assert_eq!(text.matches("SET").count(), 2);
    }

    #[test]
    fn repl_feed_has_its_own_select_state_and_wraps_units() {
        let mut p = Propagation { enabled: true, repl: Some(ReplFeed::new()), ..Default::default() };
        let s = p.begin_call();
        p.end_call(s, 2, true, own(&["SET", "a", "1"]), false);
        let s = p.begin_call();
        p.end_call(s, 2, true, own(&["SET", "b", "2"]), false);
        let outer = p.begin_call();
        p.also(2, &["DEL", "x"], TARGET_ALL);
        p.also(3, &["DEL", "y"], TARGET_ALL);
        p.call.prevent = true;
        p.end_call(outer, 2, true, own(&["EXEC"]), false);
        let text = String::from_utf8(p.repl.as_ref().unwrap().buf.clone()).unwrap();
        assert_eq!(
            text,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$3\r\nDEL\r\n$1\r\ny\r\n*1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn disabled_records_nothing() {
        let mut p = Propagation::default();
        p.also(0, &["DEL", "k"], TARGET_ALL);
        let s = p.begin_call();
        p.end_call(s, 0, true, own(&["SET", "a", "1"]), false);
        assert!(out(&p).is_empty() && !p.has_pending());
    }
}
