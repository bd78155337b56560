//! The one propagation path: every change to the dataset leaves the server through here, in a form that replays
//! to the same result (Redis's `alsoPropagate` / `propagatePendingCommands`).
//!
//! ```text
//!   handler ──ctx.rewrite / ctx.also_propagate / ctx.prevent_propagation──┐
//!   lazy and active expiry (Db::take_expired) ──DEL/UNLINK────────────────┤
//!   Server::call: dirty moved? → the command's own (or rewritten) argv ───┤
//!                                                                         ▼
//!                                     ops of one execution unit (a command, or EXEC with its queue)
//!                                                                         │ end of the unit: one op as is,
//!                                                                         │ several wrapped in MULTI … EXEC
//!                                                                         ▼
//!                                     Stream: RESP bytes with SELECT emitted when the db changes
//!                                     consumed by the AOF (before replies are written) and, later, replicas
//! ```
//!
//! Invariants: ops are recorded only while a consumer exists (`enabled`), so a server without AOF pays nothing but
//! a branch; the command's own argv is never copied in the common case (one op, no rewrite): it is encoded straight
//! from the client's query buffer. A unit is flushed exactly once, when the outermost call returns.
//!
//! Tested by the unit tests below (encoding, SELECT tracking, MULTI wrapping) and end to end by
//! tests/persist_propagation.rs, which compares our AOF stream with Redis's for the same commands.

use crate::resp::reply::encode_multibulk_into;

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

/// An output stream of propagated commands in RESP, with the database it last selected.
#[derive(Debug, Default)]
pub struct Stream {
    pub buf: Vec<u8>,
    /// The database the consumer of this stream has selected (-1: none yet, so the first op emits SELECT).
    pub selected_db: i64,
}

impl Stream {
    pub fn new() -> Stream {
        Stream { buf: Vec::new(), selected_db: -1 }
    }

    /// Appends one command, preceded by `SELECT db` when the stream is in another database.
    pub fn feed<'a>(&mut self, db: usize, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
        if self.selected_db != db as i64 {
            let mut nb = [0u8; 24];
            let d = crate::util::itoa_buf(db as i64, &mut nb);
            encode_multibulk_into(&mut self.buf, [b"SELECT".as_slice(), d].into_iter());
            self.selected_db = db as i64;
        }
        encode_multibulk_into(&mut self.buf, argv);
    }
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
}

/// The propagation state of the server.
#[derive(Debug)]
pub struct Propagation {
    /// Whether any consumer exists (AOF on; later: replicas or a backlog). Nothing is recorded otherwise.
    pub enabled: bool,
    /// Ops of the execution unit in progress.
    ops: Vec<Op>,
    /// Requests of the handler running now.
    pub call: CallState,
    /// The AOF's stream: written to the file before replies are sent.
    pub aof: Stream,
    /// Ops flushed so far (units), for tests and INFO.
    pub units: u64,
    /// Whether `aof` receives ops (AOF on, or a rewrite is turning it on).
    pub aof_on: bool,
}

impl Default for Propagation {
    fn default() -> Self {
        Propagation {
            enabled: false,
            ops: Vec::new(),
            call: CallState::default(),
            aof: Stream::new(),
            units: 0,
            aof_on: false,
        }
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
        match call.rewrite {
            Some(argv) => self.ops.push(Op { db, argv, targets: TARGET_ALL }),
            None if !nested && self.ops.is_empty() => {
                // The common case: one op, the command itself, straight from the query buffer.
                if self.aof_on {
                    self.aof.feed(db, own);
                }
                self.units += 1;
                return;
            }
            None => self.ops.push(Op { db, argv: own.map(|a| a.to_vec()).collect(), targets: TARGET_ALL }),
        }
        if !nested {
            self.flush_unit();
        }
    }

    /// Ends an execution unit: one op is fed as is, several are wrapped in MULTI … EXEC (in the first op's db).
    pub fn flush_unit(&mut self) {
        if self.ops.is_empty() {
            return;
        }
        let ops = std::mem::take(&mut self.ops);
        let wrap = ops.len() > 1;
        if self.aof_on {
            let aof_ops: Vec<&Op> = ops.iter().filter(|o| o.targets & TARGET_AOF != 0).collect();
            if let Some(first) = aof_ops.first() {
                if wrap {
                    self.aof.feed(first.db, [b"MULTI".as_slice()].into_iter());
                }
                for o in &aof_ops {
                    self.aof.feed(o.db, o.argv.iter().map(|a| a.as_slice()));
                }
                if wrap {
                    let db = self.aof.selected_db.max(0) as usize;
                    self.aof.feed(db, [b"EXEC".as_slice()].into_iter());
                }
            }
        }
        self.units += 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> Propagation {
        Propagation { enabled: true, aof_on: true, ..Default::default() }
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
            p.aof.buf,
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
        assert!(p.aof.buf.is_empty());
        // Forced: FLUSHALL of an empty server.
        let s = p.begin_call();
        p.call.force = true;
        p.end_call(s, 3, false, own(&["FLUSHALL"]), false);
        assert_eq!(p.aof.buf, b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$8\r\nFLUSHALL\r\n");
    }

    #[test]
    fn rewrite_and_extra_ops_are_wrapped() {
        let mut p = on();
        let s = p.begin_call();
        p.also(1, &["DEL", "k"], TARGET_ALL);
        p.call.rewrite = Some(vec![b"PEXPIREAT".to_vec(), b"k".to_vec(), b"5".to_vec()]);
        p.end_call(s, 1, true, own(&["EXPIRE", "k", "1"]), false);
        let text = String::from_utf8(p.aof.buf.clone()).unwrap();
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
        assert!(p.aof.buf.is_empty() && p.has_pending());
        // EXEC itself is never propagated; its end flushes the unit.
        p.call.prevent = true;
        p.end_call(outer, 0, true, own(&["EXEC"]), false);
        let text = String::from_utf8(p.aof.buf.clone()).unwrap();
        assert!(text.contains("MULTI") && text.ends_with("*1\r\n$4\r\nEXEC\r\n"), "{text}");
        assert_eq!(text.matches("SET").count(), 2);
    }

    #[test]
    fn disabled_records_nothing() {
        let mut p = Propagation::default();
        p.also(0, &["DEL", "k"], TARGET_ALL);
        let s = p.begin_call();
        p.end_call(s, 0, true, own(&["SET", "a", "1"]), false);
        assert!(p.aof.buf.is_empty() && !p.has_pending());
    }
}
