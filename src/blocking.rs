//! Clients blocked on keys (Redis `blocked.c`): the shared machinery of BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
//! the sorted-set blocking pops and XREAD's BLOCK.
//!
//! Protocol between handlers and the server:
//!
//! ```text
//!  handler finds nothing ──► block(ctx, ...) ──► Blocking::request = Some(Blocked)
//!                                                     │ (server, after the call)
//!                                                     ▼
//!        client flagged BLOCKED, input parked; clients[id] = Blocked; waiting[(db,key)] += id  (FIFO)
//!
//!  any write ──► KeyWrite settled ───► signal(db, key) ──► ready += (db,key)  (only keys someone waits on)
//!                                                     │ (server, after every command and before sleeping)
//!                                                     ▼
//!        for each ready key, for each waiting client in FIFO order while the key holds the right type:
//!            re-run its command with `serving = key`; it either replies (served: unblocked, its pending input
//!            is processed next) or calls block() again (still waiting, keeps its place in every queue).
//!
//!  deadline passed / CLIENT UNBLOCK / disconnect ──► remove(id) (+ null reply or -UNBLOCKED error)
//! ```
//!
//! Invariants: a client id is in `clients` exactly while its connection carries the BLOCKED flag, and then it
//! appears exactly once in the queue of each of its keys; queues are never left empty in `waiting`; `ready` holds
//! each (db, key) at most once. A command running with `DENY_BLOCKING` (inside MULTI/EXEC or a script) never
//! blocks: `block` answers with the timeout reply at once.
//!
//! Tested by the unit tests below (queues, timeouts, timeout parsing) and by `tests/types/lists_blocking.rs`, which
//! drives the real server with several connections.

#![forbid(unsafe_code)]

use crate::args::OwnedArgs;
use crate::keyspace::db::Db;
use crate::keyspace::object::ObjType;
use crate::resp::reply::Reply;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

/// Which type of value serves a blocked client: a key holding anything else leaves it waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    List,
    ZSet,
    /// XREAD: served by a stream whose last id passed the one the client waits after ([`Blocked::stream`]).
    Stream,
    /// XREADGROUP with `>`: re-run whenever its key is signalled, even deleted, of another type or empty, since
    /// it then answers Redis's errors (the key gone, the group destroyed) or waits on.
    StreamGroup,
}

impl BlockKind {
    pub fn obj_type(self) -> crate::keyspace::object::ObjType {
        match self {
            BlockKind::List => crate::keyspace::object::ObjType::List,
            BlockKind::ZSet => crate::keyspace::object::ObjType::ZSet,
            BlockKind::Stream | BlockKind::StreamGroup => crate::keyspace::object::ObjType::Stream,
        }
    }
}

/// What a blocking command answers when it may not block (inside MULTI/EXEC): Redis 7.0 answers BLMOVE and
/// BRPOPLPUSH with a null bulk there, everything else with a null array. A real timeout (and CLIENT UNBLOCK
/// ... TIMEOUT) is always answered with the null array, whatever the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `*-1` (RESP2) / `_` (RESP3).
    NullArray,
    /// `$-1` (RESP2) / `_` (RESP3).
    NullBulk,
}

impl TimeoutReply {
    pub fn send(self, r: &mut Reply) {
        match self {
            TimeoutReply::NullArray => r.null_array(),
            TimeoutReply::NullBulk => r.null(),
        }
    }
}

/// One blocked client's wait.
#[derive(Clone, Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// Absolute unix time in ms; 0 waits forever.
    pub deadline_ms: i64,
    pub kind: BlockKind,
    /// The command to run again when a key is ready.
    pub args: OwnedArgs,
    /// XREAD's wait: what it was resolved to when it blocked (`$` became the stream's last id then).
    pub stream: Option<StreamWait>,
}

/// What a client blocked in XREAD waits for: per key (in [`Blocked::keys`](crate::blocking::Blocked::keys) order, first
/// occurrence of a key counting), the id entries must be greater than, and how many entries to serve (Redis's
/// `xread_count`: COUNT, or 1000 without it).
#[derive(Clone, Debug)]
pub struct StreamWait {
    pub ids: Vec<crate::keyspace::types::stream::StreamId>,
    pub count: usize,
    /// Per key, in `ids` order: the id was XREAD's `+` (Redis 7.4), which is resolved again each time the key
    /// is served (the stream's last entry then), as Redis 7.4 re-runs the command with `+` unchanged.
    pub last_entry: Vec<bool>,
    /// XREADGROUP's CLAIM (Redis 8.4): the min-idle-time, and when the next pending entry becomes old enough to be
    /// claimed (absolute ms, 0: none). The client is re-run then, as if one of its keys had been written.
    pub claim: Option<ClaimWait>,
}

/// A blocked XREADGROUP ... CLAIM's wait for pending entries to become claimable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimWait {
    pub min_idle_ms: i64,
    /// Absolute unix time in ms at which a pending entry reaches `min_idle_ms`; 0 when none will.
    pub wake_ms: i64,
}

impl Blocked {
    /// When the server must look at this client next: its deadline, or earlier a CLAIM wake-up (0: never).
    pub fn timer_ms(&self) -> i64 {
        let wake = self.stream.as_ref().and_then(|w| w.claim).map_or(0, |c| c.wake_ms);
        match (self.deadline_ms, wake) {
            (0, w) => w,
            (d, 0) => d,
            (d, w) => d.min(w),
        }
    }

    /// Whether reaching [`Blocked::timer_ms`] at `now_ms` is a CLAIM wake-up rather than the timeout.
    pub fn claim_wake_due(&self, now_ms: i64) -> bool {
        let wake = self.stream.as_ref().and_then(|w| w.claim).map_or(0, |c| c.wake_ms);
        wake > 0 && wake <= now_ms && (self.deadline_ms == 0 || self.deadline_ms > now_ms)
    }
}

/// The server-wide blocking state ([`ServerState::blocking`](crate::state::ServerState::blocking)).
#[derive(Default, Debug)]
pub struct Blocking {
    /// Blocked clients by id.
    pub clients: HashMap<u64, Blocked>,
    /// Ids waiting on each (db, key), first come first served.
    waiting: HashMap<(usize, Vec<u8>), VecDeque<u64>>,
    /// How many (db, key) queues exist per key name: lets [`Blocking::signal`] reject unrelated writes without
    /// building an owned (db, key) pair.
    waited_names: HashMap<Vec<u8>, usize>,
    /// Keys written since the last pass that someone waits on, in signal order.
    ready: Vec<(usize, Vec<u8>)>,
    ready_set: HashSet<(usize, Vec<u8>)>,
    /// (deadline, id) of every blocked client with a timeout, earliest first.
    deadlines: BTreeSet<(i64, u64)>,
    /// Set by [`block`](crate::command::blocking::block) during a call; the server takes it right after the call.
    pub request: Option<Blocked>,
    /// While the server re-runs a blocked command for one ready key: that key (handlers only look at it).
    pub serving: Option<Vec<u8>>,
    /// CLIENT UNBLOCK requests not yet carried out: (client id, reply with an error instead of the timeout reply).
    pub unblock_requests: Vec<(u64, bool)>,
    /// Clients unblocked since the server last resumed their input processing.
    pub unblocked: Vec<u64>,
    /// The event-loop timer armed for the nearest timeout.
    pub timer_id: Option<u64>,
}

impl Blocking {
    /// Registers a blocked client at the end of each of its keys' queues.
    pub fn add(&mut self, id: u64, b: Blocked) {
        let mut seen = HashSet::new();
        for k in &b.keys {
            if seen.insert(k.as_slice()) {
                let q = self.waiting.entry((b.db, k.clone())).or_default();
                if q.is_empty() {
                    *self.waited_names.entry(k.clone()).or_default() += 1;
                }
                q.push_back(id);
            }
        }
        let t = b.timer_ms();
        if t > 0 {
            self.deadlines.insert((t, id));
        }
        self.clients.insert(id, b);
    }

    /// Distinct (db, key) pairs clients are blocked on (INFO's `total_blocking_keys`, Redis 7.2), and those of
    /// them with a client that is woken when the key is deleted (`total_blocking_keys_on_nokey`: XREADGROUP).
    pub fn blocking_key_counts(&self) -> (usize, usize) {
        let on_nokey = self
            .waiting
            .iter()
            .filter(|(_, q)| q.iter().any(|id| self.clients.get(id).is_some_and(|b| b.kind == BlockKind::StreamGroup)))
            .count();
        (self.waiting.len(), on_nokey)
    }

    /// Forgets a blocked client (served, timed out, unblocked or disconnected).
    pub fn remove(&mut self, id: u64) -> Option<Blocked> {
        let b = self.clients.remove(&id)?;
        self.deadlines.remove(&(b.timer_ms(), id));
        for k in &b.keys {
            let slot = (b.db, k.clone());
            if let Some(q) = self.waiting.get_mut(&slot) {
                q.retain(|&x| x != id);
                if q.is_empty() {
                    self.waiting.remove(&slot);
                    if let Some(n) = self.waited_names.get_mut(k.as_slice()) {
                        *n -= 1;
                        if *n == 0 {
                            self.waited_names.remove(k.as_slice());
                        }
                    }
                }
            }
        }
        Some(b)
    }

    /// A blocked XREADGROUP ... CLAIM re-run that waits on: its next CLAIM wake-up replaces the previous one.
    pub fn rearm_claim(&mut self, id: u64, claim: Option<ClaimWait>) {
        let Some(b) = self.clients.get_mut(&id) else { return };
        if b.stream.is_none() {
            return;
        }
        self.deadlines.remove(&(b.timer_ms(), id));
        if let Some(w) = b.stream.as_mut() {
            w.claim = claim;
        }
        let t = b.timer_ms();
        if t > 0 {
            self.deadlines.insert((t, id));
        }
    }

    pub fn is_blocked(&self, id: u64) -> bool {
        self.clients.contains_key(&id)
    }

    /// Whether anyone waits at all (the cheap test on every write).
    #[inline]
    pub fn any_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Marks `key` of `db` ready if a client waits on it (Redis's `signalKeyAsReady`).
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if !self.waited_names.contains_key(key) {
            return;
        }
        let slot = (db, key.to_vec());
        if self.waiting.contains_key(&slot) && self.ready_set.insert(slot.clone()) {
            self.ready.push(slot);
        }
    }

    /// Marks ready the keys of `db` that clients wait on and that held a stream in `emptied` but hold none in
    /// `replaced_with` (Redis's `scanDatabaseForDeletedStreams`): a flush or swap unblocks XREADGROUP waiters
    /// with the "no longer exists" error, as deleting the key one by one would.
    pub fn signal_deleted_streams(&mut self, db: usize, emptied: &Db, replaced_with: Option<&Db>) {
        if self.waiting.is_empty() {
            return;
        }
        let is_stream = |d: &Db, k: &[u8]| d.find(k).is_some_and(|e| e.obj_type() == ObjType::Stream);
        self.signal_where(db, |k| is_stream(emptied, k) && !replaced_with.is_some_and(|r| is_stream(r, k)));
    }

    /// Marks every waited-on key of `db` ready (SWAPDB, FLUSHDB-like wholesale changes).
    pub fn signal_db(&mut self, db: usize) {
        self.signal_where(db, |_| true);
    }

    /// Marks ready every waited-on key of `db` that `pick` accepts.
    fn signal_where(&mut self, db: usize, pick: impl Fn(&[u8]) -> bool) {
        let keys: Vec<Vec<u8>> =
            self.waiting.keys().filter(|(d, k)| *d == db && pick(k)).map(|(_, k)| k.clone()).collect();
        for k in keys {
            self.signal(db, &k);
        }
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The ready keys signalled so far, clearing the list.
    pub fn take_ready(&mut self) -> Vec<(usize, Vec<u8>)> {
        self.ready_set.clear();
        std::mem::take(&mut self.ready)
    }

    /// A snapshot of the ids waiting on (db, key), oldest first.
    pub fn queue(&self, db: usize, key: &[u8]) -> Vec<u64> {
        self.waiting.get(&(db, key.to_vec())).map(|q| q.iter().copied().collect()).unwrap_or_default()
    }

    /// Blocked clients that have a timeout (INFO `clients_in_timeout_table`).
    pub fn with_timeout(&self) -> usize {
        self.deadlines.len()
    }

    /// The earliest deadline of any blocked client.
    pub fn nearest_deadline_ms(&self) -> Option<i64> {
        self.deadlines.first().map(|&(d, _)| d)
    }

    /// Ids whose deadline is at or before `now_ms`, earliest first.
    pub fn expired(&self, now_ms: i64) -> Vec<u64> {
        self.deadlines.iter().take_while(|&&(d, _)| d <= now_ms).map(|&(_, id)| id).collect()
    }
}

/// The error a client unblocked with CLIENT UNBLOCK ... ERROR receives.
pub const UNBLOCKED_ERROR: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(db: usize, keys: &[&str], deadline_ms: i64) -> Blocked {
        Blocked {
            db,
            keys: keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
            deadline_ms,
            kind: BlockKind::List,
            args: OwnedArgs::from_slices(&["blpop"]),
            stream: None,
        }
    }

    #[test]
    fn queues_are_fifo_and_cleaned_up() {
        let mut b = Blocking::default();
        b.add(1, blocked(0, &["a", "b", "a"], 0));
        b.add(2, blocked(0, &["a"], 0));
        b.add(3, blocked(1, &["a"], 0));
        assert_eq!(b.queue(0, b"a"), vec![1, 2]);
        assert_eq!(b.queue(0, b"b"), vec![1]);
        assert_eq!(b.queue(1, b"a"), vec![3]);
        assert!(b.remove(1).is_some());
        assert!(b.remove(1).is_none());
        assert_eq!(b.queue(0, b"a"), vec![2]);
        assert!(b.queue(0, b"b").is_empty());
        b.remove(2);
        b.remove(3);
        assert!(!b.any_waiting());
        assert!(b.waited_names.is_empty());
        assert!(b.clients.is_empty());
    }

    #[test]
    fn signals_only_waited_keys_once() {
        let mut b = Blocking::default();
        b.signal(0, b"x");
        assert!(!b.has_ready());
        b.add(7, blocked(0, &["x", "y"], 0));
        b.signal(0, b"y");
        b.signal(0, b"x");
        b.signal(0, b"y");
        b.signal(1, b"x");
        assert_eq!(b.take_ready(), vec![(0, b"y".to_vec()), (0, b"x".to_vec())]);
        assert!(!b.has_ready());
        b.signal_db(0);
        assert_eq!(b.take_ready().len(), 2);
    }

    #[test]
    fn deadlines() {
        let mut b = Blocking::default();
        b.add(1, blocked(0, &["a"], 500));
        b.add(2, blocked(0, &["a"], 0));
        b.add(3, blocked(0, &["a"], 200));
        assert_eq!(b.nearest_deadline_ms(), Some(200));
        assert_eq!(b.expired(199), Vec::<u64>::new());
        assert_eq!(b.expired(1000), vec![3, 1]);
    }
}
