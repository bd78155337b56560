//! Replication state, both roles (Redis's `replication.c` data half): the replication IDs and offset, the backlog,
//! the replicas this server feeds, and the link to its own master when it is a replica.
//!
//! ```text
//!  master side                                      replica side
//!  ───────────                                      ────────────
//!  propagate::ReplFeed ──bytes──▶ feed_stream()     master link (replica.rs): connect → PING → AUTH →
//!      │                   ├─▶ backlog               REPLCONF listening-port / capa → PSYNC
//!      │                   ├─▶ online replicas'        ├─ +CONTINUE: the socket becomes the master client
//!      │                   │   output buffers          └─ +FULLRESYNC: $len / $EOF: payload → load → master
//!      │                   └─▶ waiting replicas'           client
//!      │                       `pending` (sent after   master client's applied bytes ──▶ feed_stream()
//!      │                       their RDB)              (proxied verbatim: same offsets as the master)
//!  PSYNC: backlog has the offset? +CONTINUE + tail : +FULLRESYNC, BGSAVE, `$len` + file + pending
//! ```
//!
//! Invariants: `master_repl_offset` is the offset of the last byte fed (bytes are only counted while a backlog
//! exists, as Redis); a replica in `replicas` is a client in the server's table flagged `REPLICA`, removed from
//! here when that client is freed; `prop.repl` (the encoder) exists exactly while this server is a master with a
//! backlog: a replica never encodes its own stream, it proxies its master's.
//!
//! # One stream, both roles
//! The stream is the unit the AOF gets ([`crate::propagate`]: rewritten forms, expiries as DEL, MULTI/EXEC for
//! several ops), encoded a second time with the stream's own SELECT state (reset when a full sync starts, so the
//! first command after an RDB carries a SELECT). Offsets move only while a backlog exists (created with the first
//! replica, with a new replication ID; freed after `repl-backlog-ttl` without replicas). PINGs
//! (`repl-ping-replica-period`) and WAIT's `REPLCONF GETACK *` go into the stream without a SELECT; PUBLISH goes
//! to the stream (never the AOF). A replica never encodes: it forwards the bytes its master client applied, so
//! offsets and IDs are the same all along a chain. The replica ACKs once a second and at every cron tick when its
//! offset moved (Redis's only once a second).
//!
//! # PSYNC2
//! `REPLICAOF NO ONE` shifts the ID to `replid2` (valid up to `second_repl_offset`), so siblings and the old
//! master continue with `+CONTINUE <newid>`; `REPLICAOF host port` offers our own history; a replica whose link
//! dropped offers the master's (its cached master is kept until a new payload's load starts, so a failed full
//! sync still lets the next PSYNC continue). Every RDB save records `repl-id`/`repl-offset`/`repl-stream-db` when
//! there is a history: a restarted replica offers them, and a master restarting from its own RDB (Redis 7.0's
//! `loadDataFromDisk`) makes a backlog before loading, puts the DELs of keys that expired while it was down into
//! it, and rebases on the file's offset with the file's ID as its second ID, so its replicas continue with
//! `+CONTINUE`.
//!
//! On a replica writes are refused (`replica-read-only`), `replica-serve-stale-data no` gives `-MASTERDOWN` while
//! the link is down, and the master's keys are never expired by the replica itself (lookups answer as if they
//! were gone; the master's DEL removes them).
//!
//! This file holds the data: the IDs and offsets, the replicas, the master link, with the functions that read
//! them alone. The operations on the whole server state (feeding the stream, the backlog's life, the IDs, PSYNC,
//! promotion) are in the folder's [`mod.rs`](crate::state::repl).
//!
//! Tested by the unit tests here, in backlog.rs and in the folder's `mod.rs`, and end to end against Redis 7.0 by
//! tests/replication/replication.rs (both directions, partial resync, promotion).

#![forbid(unsafe_code)]

use super::backlog::Backlog;

/// A replication ID of "no ID" (`replid2` when there is no previous history).
pub const NULL_REPLID: &str = "0000000000000000000000000000000000000000";

/// Where a replica of ours stands (Redis's `SLAVE_STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Waiting for a BGSAVE to start (another child is running).
    WaitBgsaveStart,
    /// A BGSAVE for it runs; the stream meanwhile goes to `pending`.
    WaitBgsaveEnd,
    /// The disk RDB is being sent from the file, a window at a time (`bulk_file`); the stream still goes to
    /// `pending`.
    SendBulk,
    /// Receiving the stream.
    Online,
}

impl ReplicaState {
    /// The `state=` word of INFO's slaveN lines.
    pub fn name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }
}

/// One replica connected to us.
#[derive(Debug)]
pub struct Replica {
    pub id: u64,
    pub fd: i32,
    pub state: ReplicaState,
    /// The peer's address, and what it announced (`REPLCONF ip-address` / `listening-port`).
    pub peer_ip: String,
    pub announced_ip: Option<String>,
    pub listening_port: u16,
    /// Offset the replica acknowledged last (`REPLCONF ACK`), and when (ms).
    pub ack_off: i64,
    pub ack_time_ms: i64,
    /// Offset the replica reported fsynced to its AOF (`REPLCONF ACK <offset> FACK <aofoffset>`, Redis 7.2+
    /// replicas with `appendonly yes`): what WAITAOF counts.
    pub aof_off: i64,
    /// The offset its RDB corresponds to (`+FULLRESYNC <id> <offset>`).
    pub initial_offset: i64,
    /// Came with SYNC, not PSYNC: no `+FULLRESYNC` line.
    pub pre_psync: bool,
    /// It can take an EOF-marked (diskless) payload (`REPLCONF capa eof`).
    pub capa_eof: bool,
    /// Its payload comes from the diskless child through the pipe.
    pub diskless: bool,
    /// Replication offset of the next stream byte to send it from the shared buffer (the backlog): set when its
    /// RDB's snapshot is taken (the offset after it) or by `+CONTINUE`; the bytes from here on stay in the buffer
    /// for it. The stream goes out once it is online and its own output (the payload) is written.
    pub stream_off: i64,
    /// Since when (unix seconds) its output stays above the soft limit; 0 = not above.
    pub soft_since_s: i64,
    /// `SendBulk`: the RDB file and the bytes of it still to queue.
    pub bulk_file: Option<(std::fs::File, u64)>,
    /// `REPLCONF rdb-only 1`: wants the payload and no stream (closed once the payload is out; never fed).
    pub rdb_only: bool,
    /// `REPLCONF rdb-filter-only`: what its payload leaves out ([`REQ_EXCLUDE_DATA`], [`REQ_EXCLUDE_FUNCTIONS`]).
    pub req: u8,
}

/// A filtered payload without the keys (Redis's `SLAVE_REQ_RDB_EXCLUDE_DATA`).
pub const REQ_EXCLUDE_DATA: u8 = 1;
/// A filtered payload without the function libraries (`SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS`).
pub const REQ_EXCLUDE_FUNCTIONS: u8 = 2;

impl Replica {
    /// A replica that just asked to sync (SYNC/PSYNC): waiting for a background save, nothing acknowledged or
    /// queued yet. The one constructor, so a new field is set in one place.
    pub fn new(id: u64, fd: i32, peer_ip: String, now_ms: i64) -> Replica {
        Replica {
            id,
            fd,
            state: ReplicaState::WaitBgsaveStart,
            peer_ip,
            announced_ip: None,
            listening_port: 0,
            ack_off: 0,
            ack_time_ms: now_ms,
            aof_off: 0,
            initial_offset: 0,
            pre_psync: false,
            capa_eof: false,
            diskless: false,
            stream_off: 0,
            soft_since_s: 0,
            bulk_file: None,
            rdb_only: false,
            req: 0,
        }
    }

    /// `ip:port` as Redis's `replicationGetSlaveName` prints it: an IPv6 address in brackets, and
    /// `<unknown-replica-port>` when the replica never sent `REPLCONF listening-port`.
    pub fn name(&self) -> String {
        let ip = self.ip();
        match (self.listening_port, ip.contains(':')) {
            (0, _) => format!("{ip}:<unknown-replica-port>"),
            (port, true) => format!("[{ip}]:{port}"),
            (port, false) => format!("{ip}:{port}"),
        }
    }

    pub fn ip(&self) -> &str {
        self.announced_ip.as_deref().unwrap_or(&self.peer_ip)
    }
}

/// What a replica's client told us with REPLCONF before PSYNC (kept per client id until it becomes a replica).
#[derive(Debug, Default, Clone)]
pub struct ReplconfInfo {
    pub listening_port: u16,
    pub announced_ip: Option<String>,
    pub capa_eof: bool,
    pub capa_psync2: bool,
    pub rdb_only: bool,
    pub req: u8,
}

/// The master this server replicates, when it is a replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterAddr {
    pub host: String,
    pub port: u16,
}

/// Replica-side link state (Redis's `REPL_STATE_*`, grouped as ROLE reports them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Must connect: the replication cron tries once a second. Only a failed handshake or connect waits for it;
    /// a cut transfer or load, a timeout and a lost master link connect again at once, as Redis 7.0 does.
    Connect,
    Connecting,
    Handshake,
    /// Receiving the RDB.
    Transfer,
    Connected,
}

impl LinkState {
    /// ROLE's state word.
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// Requests from command handlers that only the server can carry out (it owns the event loop and the clients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// REPLICAOF host port. The command already made us a replica with the link down (INFO and ROLE later in
    /// the same transaction see it, as Redis's); the bool: whether we were a master before.
    SetMaster(MasterAddr, bool),
    /// REPLICAOF NO ONE.
    UnsetMaster,
    /// A `PSYNC ... FAILOVER` promoted us ([`unset_master`](crate::state::repl::unset_master) done): close the
    /// link to the old master.
    DropMasterLink,
    /// FAILOVER ABORT (the reason is logged).
    AbortFailover(&'static str),
}

#[derive(Debug)]
pub struct Repl {
    /// This server's replication ID (Redis's `server.replid`): the history its offsets count in.
    pub replid: String,
    pub replid2: String,
    /// First offset of the history `replid2` can still serve (-1: none).
    pub second_offset: i64,
    pub master_repl_offset: i64,
    pub backlog: Option<Backlog>,
    /// When the last replica left (unix seconds), for `repl-backlog-ttl`.
    pub no_replicas_since_s: i64,
    pub replicas: Vec<Replica>,
    /// REPLCONF settings of clients that are not replicas yet, by client id.
    pub replconf: Vec<(u64, ReplconfInfo)>,
    /// A full sync waits for a BGSAVE to start (checked after commands and in the cron).
    pub sync_wanted: bool,
    /// pid of the BGSAVE started for replicas (others may attach to it while it runs).
    pub rdb_child_pid: Option<i32>,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Replica side: the master we follow, and how the link to it stands.
    pub master: Option<MasterAddr>,
    pub link_state: LinkState,
    /// The handshake / transfer connection while it is not yet the master client.
    pub link: Option<Box<super::replica::MasterLink>>,
    /// The master client once the link is up: (client id, fd).
    pub master_client: Option<(u64, i32)>,
    /// Bytes the master client ran that are not yet fed (held while it is inside MULTI, as Redis does).
    pub master_applied: Vec<u8>,
    /// Last time the master sent anything (ms), for INFO and `repl-timeout`.
    pub master_last_io_ms: i64,
    /// When the link went down (unix seconds; 0 = never up).
    pub down_since_s: i64,
    /// Whether our replid/offset describe data we got from a master or made ourselves, so a PSYNC can continue it
    /// (Redis's cached master); false: `PSYNC ? -1`.
    pub can_continue: bool,
    /// Work for the server after the current command.
    pub requests: Vec<Request>,
    /// Runs of the replication cron (Redis's `replication_cron_loops`): replicas get a PING every
    /// `repl-ping-replica-period` runs.
    pub cron_loops: u64,
    /// Keys a client (not our master) gave a TTL while we are a writable replica, each with a bit per database
    /// (the first 64) it was set in: the master will never send their DELs, so the replica expires them itself
    /// (Redis's `slaveKeysWithExpire`; see [`crate::state::expire::expire_replica_keys`]).
    pub keys_with_expire: std::collections::HashMap<Vec<u8>, u64>,
    /// `min-replicas-to-write` and `min-replicas-max-lag`, cached for the per-command check, and the replicas
    /// that count as good (online, acked within the lag); see
    /// [`refresh_good_replicas`](crate::state::repl::refresh_good_replicas).
    pub min_to_write: i64,
    pub min_max_lag: i64,
    pub good_replicas: usize,
    /// The db the master's stream is in when the link drops: a `+CONTINUE`d stream carries no SELECT, so the
    /// next master client starts there (Redis keeps it in the cached master; after a restart, `repl-stream-db`).
    pub master_db: usize,
    /// `repl-id` / `repl-offset` / `repl-stream-db` of the RDB loaded at start-up, if it had them.
    pub loaded_history: Option<(String, i64, usize)>,
    /// Clients blocked in WAIT.
    pub waiting: Vec<Waiter>,
    /// Replica side: the offset our last ACK reported.
    /// Redis's `fsynced_reploff`: the replication offset our AOF has fsynced (-1 while the AOF is off; 0 while
    /// it is being turned on): WAITAOF's local count, and the FACK a replica sends its master.
    pub fsynced_reploff: i64,
    /// The FACK of the last ACK sent to our master (a moved `fsynced_reploff` is worth an ACK too).
    pub last_ack_fsynced: i64,
    pub last_ack_offset: i64,
    /// Diskless sync: the read end of the child's pipe, whether the event loop watches it yet, and the
    /// 40-byte mark ending the payload.
    pub rdb_pipe: Option<std::os::fd::OwnedFd>,
    pub rdb_pipe_registered: bool,
    pub eof_mark: Vec<u8>,
    /// Pipes done with but still registered with the event loop: unregistered, then closed, before it sleeps
    /// (closing first would let a new descriptor inherit the stale registration).
    pub closing_pipes: Vec<std::os::fd::OwnedFd>,
    /// A WAIT needs fresh acknowledgements: `REPLCONF GETACK *` goes into the stream before the loop sleeps.
    pub get_ack: bool,
    /// FAILOVER in progress, if any.
    pub failover: super::failover::Failover,
    /// A zero-delay timer keeping the loop turning while a disk RDB is queued to replicas a window at a time.
    pub bulk_timer: Option<u64>,
    /// Replica side: a received RDB is being loaded (the link is out of `link` meanwhile, so the cron must not
    /// start another one).
    pub sync_loading: bool,
    /// While `sync_loading`: INFO's master_sync_* numbers (payload bytes read, expected, last I/O in ms), frozen
    /// as the link left `link`.
    pub sync_progress: (u64, i64, i64),
    /// The AOF was stopped for a full sync (`appendonly yes`): it restarts, through a rewrite, once a sync
    /// succeeds or the replica is promoted (Redis's `restartAOFAfterSYNC`), not before.
    pub aof_held: bool,
}

/// A client blocked in `WAIT numreplicas timeout` or `WAITAOF numlocal numreplicas timeout`.
#[derive(Debug, Clone)]
pub struct Waiter {
    pub id: u64,
    pub fd: i32,
    /// The stream offset its writes reached.
    pub offset: i64,
    pub numreplicas: i64,
    /// WAITAOF's `numlocal` (0 or 1); `None` for WAIT.
    pub numlocal: Option<i64>,
    /// When it gives up (ms); 0 = never.
    pub deadline_ms: i64,
    /// The WAIT command's arguments (the slowlog entry when CLIENT UNBLOCK ends it).
    pub args: crate::args::OwnedArgs,
}

impl Default for Repl {
    fn default() -> Self {
        Repl {
            replid: NULL_REPLID.to_string(),
            replid2: NULL_REPLID.to_string(),
            second_offset: -1,
            master_repl_offset: 0,
            backlog: None,
            no_replicas_since_s: crate::util::now_ms() / 1000,
            replicas: Vec::new(),
            replconf: Vec::new(),
            sync_wanted: false,
            rdb_child_pid: None,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            master: None,
            link_state: LinkState::Connect,
            link: None,
            master_client: None,
            master_applied: Vec::new(),
            master_last_io_ms: 0,
            down_since_s: 0,
            can_continue: false,
            requests: Vec::new(),
            cron_loops: 0,
            keys_with_expire: std::collections::HashMap::new(),
            min_to_write: 0,
            min_max_lag: 10,
            good_replicas: 0,
            master_db: 0,
            loaded_history: None,
            sync_loading: false,
            sync_progress: (0, -1, 0),
            bulk_timer: None,
            aof_held: false,
            waiting: Vec::new(),
            last_ack_offset: -1,
            fsynced_reploff: -1,
            last_ack_fsynced: -1,
            get_ack: false,
            rdb_pipe: None,
            rdb_pipe_registered: false,
            eof_mark: Vec::new(),
            closing_pipes: Vec::new(),
            failover: Default::default(),
        }
    }
}

impl Repl {
    /// Whether writes are refused for lack of good replicas (`-NOREPLICAS`): a master below
    /// `min-replicas-to-write` replicas that acknowledged within `min-replicas-max-lag` seconds.
    #[inline]
    pub fn too_few_replicas(&self) -> bool {
        self.min_to_write > 0
            && self.min_max_lag > 0
            && !self.is_replica()
            && (self.good_replicas as i64) < self.min_to_write
    }

    /// Stops using the diskless child's pipe (see `closing_pipes`).
    pub fn retire_pipe(&mut self) {
        if let Some(p) = self.rdb_pipe.take() {
            if self.rdb_pipe_registered {
                self.closing_pipes.push(p);
            }
        }
        self.rdb_pipe_registered = false;
    }

    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    pub fn replica_mut(&mut self, id: u64) -> Option<&mut Replica> {
        self.replicas.iter_mut().find(|r| r.id == id)
    }

    /// Replicas that count for `connected_slaves` and ROLE.
    pub fn connected(&self) -> usize {
        self.replicas.len()
    }

    /// The REPLCONF settings a client gave, taken out (it is becoming a replica).
    pub fn take_replconf(&mut self, id: u64) -> ReplconfInfo {
        match self.replconf.iter().position(|(i, _)| *i == id) {
            Some(p) => self.replconf.swap_remove(p).1,
            None => ReplconfInfo::default(),
        }
    }

    pub fn replconf_mut(&mut self, id: u64) -> &mut ReplconfInfo {
        let p = match self.replconf.iter().position(|(i, _)| *i == id) {
            Some(p) => p,
            None => {
                self.replconf.push((id, ReplconfInfo::default()));
                self.replconf.len() - 1
            }
        };
        &mut self.replconf[p].1
    }
}

/// Our offset as a replica (Redis's `replicationGetSlaveOffset`): the stream's offset while we have our master's
/// history (a master client, or a cached one a PSYNC may continue), 0 before (a replica loading its first full
/// sync shows as `loading` and is left out of CLUSTER SLOTS by the others).
pub fn replica_offset(r: &Repl) -> i64 {
    if r.master.is_some() && (r.master_client.is_some() || r.can_continue) {
        r.master_repl_offset.max(0)
    } else {
        0
    }
}

/// The offset a cluster bus header carries (Redis's `clusterBuildMessageHdr`): a master's own, a replica's
/// [`replica_offset`].
pub fn announced_offset(r: &Repl) -> u64 {
    let off = if r.master.is_some() { replica_offset(r) } else { r.master_repl_offset };
    off.max(0) as u64
}

/// The lowest offset a replica has yet to send from the shared buffer ([`i64::MAX`]: none).
pub fn pinned_offset(r: &Repl) -> i64 {
    r.replicas
        .iter()
        .filter(|x| x.state != ReplicaState::WaitBgsaveStart)
        .map(|x| x.stream_off)
        .min()
        .unwrap_or(i64::MAX)
}

/// Whether a replica client has stream bytes to send: online, with its offset behind the buffer's end.
pub fn stream_pending(r: &Repl, id: u64) -> bool {
    let Some(b) = r.backlog.as_ref() else { return false };
    r.replicas.iter().any(|x| x.id == id && x.state == ReplicaState::Online && x.stream_off < b.end())
}

/// A stream buffer (the encoder's, a replica's copy of a transaction from its master) keeps its allocation for
/// the next command up to this capacity; a bigger one is given back.
pub const FEED_BUF_KEEP: usize = 64 * 1024;

/// The result of a PSYNC request.
#[derive(Debug, PartialEq, Eq)]
pub enum PsyncOutcome {
    /// `+CONTINUE` and the backlog from the requested offset.
    Continue,
    /// A full resync is needed; `counts_as_error`: the replica asked for a real history (not `?`).
    Full { counts_as_error: bool },
}

/// Encodes `REPLCONF ACK <offset>` (what a replica sends its master).
/// What a WAIT or WAITAOF answers (served, timed out or unblocked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// WAIT: the replicas that acknowledged the offset.
    Replicas(i64),
    /// WAITAOF: whether our AOF fsynced the offset (0 or 1), and how many replicas' AOFs did.
    Aof { local: i64, replicas: i64 },
}

impl WaitOutcome {
    pub fn reply(self, r: &mut crate::resp::reply::Reply) {
        match self {
            WaitOutcome::Replicas(n) => r.int(n),
            WaitOutcome::Aof { local, replicas } => {
                r.array(2);
                r.int(local);
                r.int(replicas);
            }
        }
    }
}

/// `REPLCONF ACK <offset>`, with `FACK <aofoffset>` when our AOF is on (`fsynced` is not -1), as Redis 7.2+
/// replicas send it (a Redis 7.0 master reads the offset and ignores the rest).
pub fn ack_command(offset: i64, fsynced: i64) -> Vec<u8> {
    let off = offset.to_string();
    let mut v = Vec::new();
    if fsynced == -1 {
        crate::resp::encode_command(&mut v, &[b"REPLCONF", b"ACK", off.as_bytes()]);
    } else {
        let aof = fsynced.to_string();
        crate::resp::encode_command(&mut v, &[b"REPLCONF", b"ACK", off.as_bytes(), b"FACK", aof.as_bytes()]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn replica_names_as_redis_prints_them() {
        let mut r = Replica { state: ReplicaState::Online, ..Replica::new(1, 3, "127.0.0.1".into(), 0) };
        assert_eq!(r.name(), "127.0.0.1:<unknown-replica-port>");
        r.listening_port = 6380;
        assert_eq!(r.name(), "127.0.0.1:6380");
        r.announced_ip = Some("::1".into());
        assert_eq!(r.name(), "[::1]:6380");
    }

    #[test]
    fn ack_encoding() {
        assert_eq!(ack_command(42, -1), b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n42\r\n".to_vec());
        assert_eq!(
            ack_command(42, 40),
            b"*5\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n42\r\n$4\r\nFACK\r\n$2\r\n40\r\n".to_vec()
        );
    }
}
