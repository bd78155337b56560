//! One connection: the state command handlers see ([`ClientState`]) plus the connection machinery the server drives
//! ([`Client`]: socket, query ring, parser state, argument spans).
//!
//! ```text
//!  socket ──read──► query: Ring ──Parser::parse──► spans (into ring or scratch) ──► handler(Ctx, Args)
//!                                                                                       │
//!  socket ◄──write── state.reply.buf ◄──────────────────── Reply encoders ◄─────────────┘
//! ```
//!
//! Invariants: `spans`/`scratch` are only meaningful between a `Complete` parse and the `consume` that follows it;
//! `pending_write` (`pending_push`) is true exactly while the server's pending-writes (coalesced pushes) list holds
//! this client's fd for it.
//!
//! The per-client data of the modules that act on clients lives in leaves below this file that name nothing of the
//! client, so those modules import the client and the client none of them: [`subs`] (the Pub/Sub subscriptions, kept by
//! `pubsub` and [`state::pubsub`](crate::state::pubsub)), [`preparsed`] (the commands an I/O thread parsed ahead, filled by
//! [`io::preparse`](crate::net::io::preparse)). The client-side caching settings are plain fields
//! ([`ClientTracking`]) whose meaning [`state::tracking`](crate::state::tracking) keeps. The two small records client eviction and the I/O loops keep of a
//! client ([`Tracked`], [`Written`]) are defined here, and so is what a client costs in memory ([`client_memory`]),
//! beside what it measures.

use crate::net::ring::Ring;
use crate::resp::parse::Parser;
use crate::resp::reply::Reply;
use std::os::fd::{AsRawFd, OwnedFd};

pub mod preparsed;
pub mod subs;

/// Client flags (bit set), named after Redis's `CLIENT_*` flags where one exists.
pub mod flags {
    /// Close the connection once the pending reply has been written (QUIT, protocol errors).
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 0;
    /// The client is a MONITOR.
    pub const MONITOR: u32 = 1 << 1;
    /// `CLIENT NO-EVICT on`.
    pub const NO_EVICT: u32 = 1 << 2;
    /// `CLIENT NO-TOUCH on`: reads don't update the LRU/LFU field.
    pub const NO_TOUCH: u32 = 1 << 3;
    /// `CLIENT REPLY OFF`.
    pub const REPLY_OFF: u32 = 1 << 4;
    /// `CLIENT REPLY SKIP`: don't reply to the next command.
    pub const REPLY_SKIP_NEXT: u32 = 1 << 5;
    /// Replies to the current command are discarded (set for one command after SKIP).
    pub const REPLY_SKIP: u32 = 1 << 6;
    /// Connected through the unix socket.
    pub const UNIX_SOCKET: u32 = 1 << 7;
    /// Close as soon as possible, without writing pending output (CLIENT KILL, output limits).
    pub const CLOSE_ASAP: u32 = 1 << 8;
    /// Waiting in a blocking command (BLPOP ...): its further input is not processed until it is served.
    pub const BLOCKED: u32 = 1 << 9;
    /// A replica of ours (after SYNC/PSYNC): it gets the replication stream (CLIENT LIST `S`).
    pub const REPLICA: u32 = 1 << 10;
    /// Our master's connection: its commands are applied without replies (CLIENT LIST `M`).
    pub const MASTER: u32 = 1 << 11;
    /// `SCRIPT DEBUG YES|SYNC`: the client's next EVAL runs in a Lua debugging session (Redis's
    /// `CLIENT_LUA_DEBUG`).
    pub const LUA_DEBUG: u32 = 1 << 12;
    /// `SCRIPT DEBUG SYNC`: that session runs in the server itself instead of a forked child.
    pub const LUA_DEBUG_SYNC: u32 = 1 << 13;
    /// `CLIENT TRACKING on`: client-side caching (CLIENT LIST `t`); the other `TRACKING_*` flags refine it.
    pub const TRACKING: u32 = 1 << 14;
    /// The client tracking redirects to is gone (CLIENT LIST `R`).
    pub const TRACKING_BROKEN_REDIR: u32 = 1 << 15;
    /// Broadcasting mode: invalidations for every key under the client's prefixes (CLIENT LIST `B`).
    pub const TRACKING_BCAST: u32 = 1 << 16;
    /// OPTIN: only reads after `CLIENT CACHING yes` are tracked.
    pub const TRACKING_OPTIN: u32 = 1 << 17;
    /// OPTOUT: reads are tracked except after `CLIENT CACHING no`.
    pub const TRACKING_OPTOUT: u32 = 1 << 18;
    /// `CLIENT CACHING yes|no` given for the next command (or transaction).
    pub const TRACKING_CACHING: u32 = 1 << 19;
    /// NOLOOP: no invalidation for keys this client changed itself.
    pub const TRACKING_NOLOOP: u32 = 1 << 24;
    /// Blocking commands must not block (inside MULTI/EXEC, scripts): they reply as if timed out at once.
    pub const DENY_BLOCKING: u32 = 1 << 22;
    /// Inside MULTI: commands are queued until EXEC or DISCARD (CLIENT LIST `x`).
    pub const MULTI: u32 = 1 << 20;
    /// A command was rejected while queuing: EXEC answers EXECABORT (Redis's `CLIENT_DIRTY_EXEC`).
    pub const DIRTY_EXEC: u32 = 1 << 21;
    /// The client's next command waits for `CLIENT PAUSE` to end; its input is not processed meanwhile
    /// (CLIENT LIST `b`).
    pub const POSTPONED: u32 = 1 << 23;
    /// Cluster mode, `READONLY`: reads of slots our master serves are answered here (CLIENT LIST `r`).
    pub const READONLY: u32 = 1 << 25;
    /// Cluster mode, `ASKING`: the next command may use a slot being imported (cleared after it).
    pub const ASKING: u32 = 1 << 26;
    /// The connection speaks TLS (accepted on `tls-port`): in a `tls-cluster`, redirections and CLUSTER NODES /
    /// SLOTS give it the nodes' TLS ports, the plaintext ones to the others.
    pub const TLS: u32 = 1 << 27;
}

/// What a command handler may see and change about the client that called it.
#[derive(Debug)]
pub struct ClientState {
    pub id: u64,
    pub fd: i32,
    /// `ip:port` of the peer (or `/path:0` for unix sockets), as CLIENT LIST prints it.
    pub addr: String,
    /// `ip:port` of our side.
    pub laddr: String,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    /// Selected database index.
    pub db: usize,
    pub reply: Reply,
    pub authenticated: bool,
    pub flags: u32,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// Full name of the last command run (`client|list`), for CLIENT LIST's `cmd=`.
    pub last_cmd: &'static str,
    /// How long the last command's call took, in µs (Redis's `c->duration`): a blocked command's statistics use
    /// it again when it is served or unblocked.
    pub call_us: u64,
    /// The current request's size in bytes as Valkey counts it (`net_input_bytes_curr_cmd`: the RESP bytes of a
    /// multibulk request; an inline one's words, single spaces and CRLF), set before the command runs. Read by
    /// COMMANDLOG's large-request log and CLUSTER SLOT-STATS' `network-bytes-in`.
    pub cmd_in_bytes: u64,
    /// The slot of the command that blocked this client (cluster mode with `cluster-slot-stats-enabled`; -1 for
    /// none), for CLUSTER SLOT-STATS when it is served or times out.
    pub cmd_slot: i32,
    /// The replication offset right after this client's last command that reached the stream (Redis's `woff`):
    /// what WAIT waits for.
    pub woff: i64,
    /// Bytes of pending output that are not traffic: a replica's `+FULLRESYNC` / `+CONTINUE` line and keepalive
    /// newlines, which Redis writes straight to the socket outside its byte counters. Taken off the count as
    /// output is written.
    pub uncounted_out: usize,
    /// Name of the ACL user the connection is authenticated as (CLIENT LIST `user=`, crash reports).
    pub user: String,
    /// Slot of that user in [`crate::acl::Acl`].
    pub user_id: crate::acl::UserId,
    /// Connection figures for CLIENT LIST/INFO, refreshed by the server before each command.
    pub conn: ConnStats,
    /// The queued commands while in MULTI (see [`crate::multi`]).
    pub multi: Option<Box<crate::multi::MultiState>>,
    /// Keys this client WATCHes (kept by the WATCH family for its memory figure; the watches live in the server's
    /// table).
    pub watched_keys: usize,
    /// Pub/Sub subscriptions (`None` = not a subscriber); kept by [`crate::pubsub`].
    pub subs: Option<Box<subs::ClientSubs>>,
    /// Client-side caching: where invalidations go and the BCAST prefixes (see [`crate::state::tracking`]).
    pub tracking: ClientTracking,
}

/// A client's client-side caching settings beyond its flags, kept by [`state::tracking`](crate::state::tracking) (as
/// Redis keeps them in its client struct, for `tracking.c`).
#[derive(Debug, Default)]
pub struct ClientTracking {
    /// The client invalidations are sent to (REDIRECT), 0 for the client itself.
    pub redirect: u64,
    /// Its tracking slot as the slot's bit, 0 when it has none (see
    /// [`tracker::slot`](crate::state::tracking::tracker::slot)).
    pub slot: u64,
    /// BCAST prefixes, sorted (CLIENT TRACKINGINFO lists them in this order, as Redis's radix tree does).
    pub prefixes: Vec<Box<[u8]>>,
}

/// Memory and buffer figures of a connection, as CLIENT LIST prints them.
#[derive(Default, Clone, Copy, Debug)]
pub struct ConnStats {
    pub qbuf: usize,
    pub qbuf_free: usize,
    pub argv_mem: usize,
    /// Output waiting in the reply list when the last command began (INFO's biggest-output figure; CLIENT LIST
    /// reads the reply buffer itself).
    pub omem: usize,
    pub tot_mem: usize,
    pub readable: bool,
    pub writable: bool,
}

/// One connection.
#[derive(Debug)]
pub struct Client {
    pub state: ClientState,
    /// The socket (closed when the client is dropped); `None` for clients without a connection.
    pub sock: Option<OwnedFd>,
    /// Bytes read but not yet parsed into complete commands.
    pub query: Ring,
    pub parser: Parser,
    /// Argument spans of the command being run (reused, never shrunk on the hot path).
    pub spans: Vec<(u32, u32)>,
    /// Unquoted arguments of an inline command.
    pub scratch: Vec<u8>,
    /// Whether the server's list of clients with pending output holds this client.
    pub pending_write: bool,
    /// Whether the server's list of clients with coalesced pub/sub output holds this client.
    pub pending_push: bool,
    /// Commands an I/O thread parsed off the front of `query`, for the main thread to run this pass.
    pub pre: preparsed::Preparsed,
    /// When (unix seconds) the output first stayed above the soft output-buffer limit; 0 = not above it.
    pub obuf_soft_limit_reached_s: i64,
    /// Client-eviction bookkeeping (`maxmemory-clients`, see [`crate::state::evict::clients`]).
    pub mem: Tracked,
    /// What an I/O thread wrote for it since the main thread last had it (see [`crate::net::io_loops`]).
    pub written: Written,
    /// Back from an I/O thread and not yet watched by the main thread's poller.
    pub homed: bool,
    /// The last period it had output in ([`crate::net::io_loops::IoLoops::count`]).
    pub io_period: u32,
    /// The TLS session of a connection accepted on the TLS port: reads and writes go through it.
    #[cfg(feature = "tls")]
    pub tls: Option<Box<crate::net::tls::Session>>,
}

/// What client eviction ([`state::evict::clients`](crate::state::evict::clients)) remembers of one client.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tracked {
    /// Memory counted in the total the last time the client was updated; 0 = not tracked.
    pub mem: usize,
    /// Bucket holding the client, `None` when it cannot be evicted (NO-EVICT, no limit).
    pub bucket: Option<u8>,
}

/// What an I/O thread wrote for a client since the main thread last had it, for the main thread's counters (see
/// [`net::io_loops`](crate::net::io_loops)).
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    pub bytes: usize,
    /// `write(2)` calls.
    pub writes: u64,
    /// Write events (INFO `io_threaded_writes_processed`).
    pub passes: u64,
    /// Wall clock (ms) of the last write that sent something; 0 if none.
    pub at_ms: i64,
}

/// Size of Redis's per-client static reply buffer: output up to this size counts as `obl`, beyond it as the
/// reply list (`oll`/`omem`), which is what output-buffer limits measure.
pub const REPLY_CHUNK_BYTES: usize = 16 * 1024;

#[cfg(test)]
impl Client {
    /// A socketless client whose query buffer holds `bytes`: the socket steps' unit tests (`net/io.rs`,
    /// `net/io_threads.rs`).
    pub fn with_query(bytes: &[u8]) -> Box<Client> {
        let mut c = Box::new(Client::new(ClientState::new(1, -1, String::new(), String::new(), 0), None));
        let w = c.query.writable(bytes.len());
        w[..bytes.len()].copy_from_slice(bytes);
        c.query.commit(bytes.len());
        c
    }
}

impl Client {
    /// A client for an accepted socket. The query ring starts empty and grows on the first read.
    pub fn new(state: ClientState, sock: Option<OwnedFd>) -> Client {
        Client {
            state,
            sock,
            query: Ring::with_capacity(0),
            parser: Parser::new(),
            spans: Vec::new(),
            scratch: Vec::new(),
            pending_write: false,
            pending_push: false,
            pre: Default::default(),
            obuf_soft_limit_reached_s: 0,
            mem: Default::default(),
            written: Default::default(),
            homed: false,
            io_period: 0,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// The socket's descriptor, -1 without one.
    #[inline]
    pub fn fd(&self) -> i32 {
        self.sock.as_ref().map_or(-1, |s| s.as_raw_fd())
    }

    /// Refreshes the figures CLIENT LIST shows. `argv_mem` = bytes of the arguments of the command about to run.
    #[inline]
    pub fn refresh_conn_stats(&mut self, argv_mem: usize, readable: bool, writable: bool) {
        let qlen = self.query.len();
        let qbuf = qlen - self.parser.big_bulk_start(qlen);
        let qcap = self.query.capacity();
        let reply = &self.state.reply;
        let (_, _, omem) = output_figures(reply);
        self.state.conn = ConnStats {
            qbuf,
            qbuf_free: qcap - qlen,
            argv_mem,
            omem,
            tot_mem: client_memory(self) + argv_mem,
            readable,
            writable,
        };
    }
}

/// `(obl, oll, omem)` of CLIENT LIST for pending output, split the way Redis stores it: up to `rbs` bytes in the
/// static buffer, the rest in 16 KiB reply-list nodes.
#[inline]
pub fn output_figures(reply: &Reply) -> (usize, usize, usize) {
    let pending = reply.pending_len();
    let obl = pending.min(reply.rbs);
    let omem = pending - obl;
    (obl, omem.div_ceil(REPLY_CHUNK_BYTES), omem)
}

/// Bytes one client holds, as Redis's `getClientMemoryUsage` counts them: the query buffer's allocation, the reply
/// buffer's allocation (ferredis has one growable buffer where Redis has a 16 KiB static buffer plus a reply list,
/// so the allocation is the honest figure), the client structure, the parser's scratch space, the MULTI queue, the
/// subscriptions' bookkeeping, watched keys and BCAST tracking prefixes. The arguments of the running command are
/// not added again: they are slices of the query buffer, where Redis copies them out. Client eviction
/// ([`state::evict::clients`](crate::state::evict::clients)) adds this figure up.
pub fn client_memory(c: &Client) -> usize {
    client_memory_of(c.query.capacity(), &c.state, c.scratch.capacity(), c.spans.capacity())
}

/// [`client_memory`] from its parts, for callers that hold the client taken apart. CLIENT LIST's `tot-mem` is this
/// plus the running command's arguments, so the figure users see is the one eviction adds up.
pub fn client_memory_of(query_cap: usize, st: &ClientState, scratch_cap: usize, spans_cap: usize) -> usize {
    let subs = st.subs.as_ref().map_or(0, |s| s.channels.len() + s.patterns.len() + s.shard.len());
    query_cap
        + st.reply.buf.capacity()
        + std::mem::size_of::<Client>()
        + scratch_cap
        + spans_cap * std::mem::size_of::<(u32, u32)>()
        // No `argv_mem`: arguments are slices of the query buffer (counted above), not copies as in Redis.
        + st.multi.as_ref().map_or(0, |m| m.mem)
        // Redis counts the subscription dictionaries' entries; a pointer pair per name is that order of size.
        + subs * 2 * std::mem::size_of::<usize>()
        + st.watched_keys * WATCHED_KEY_BYTES
        + st.tracking.prefixes.len() * TRACKING_PREFIX_BYTES
}

/// What one BCAST tracking prefix costs a client: Redis counts 32 bytes per node of the client's prefix radix tree;
/// ours, a boxed copy of the prefix in the client's sorted list, is of the same order.
const TRACKING_PREFIX_BYTES: usize = 32;

/// What one watched key costs a client in Redis's count (a list node and a `watchedKey`); ours, a watcher record
/// and the client's (db, key) entry, is of the same order.
const WATCHED_KEY_BYTES: usize = 56;

/// Formats a client for the log as Redis's `catClientInfoString` (its CLIENT LIST line). The full formatter lives
/// in the command layer (`command::client_info`); lower layers that log a client (the output-buffer limits of
/// [`crate::net::output_limit`]) get it through [`Clients::info`](crate::state::Clients::info), set by the server.
pub type ClientInfoFn = fn(&ClientState, i64) -> String;

/// The few fields a lower layer can format on its own (the default of [`Clients::info`](crate::state::Clients::info)).
pub fn short_info(c: &ClientState, _now_ms: i64) -> String {
    format!(
        "id={} addr={} laddr={} fd={} name={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        String::from_utf8_lossy(c.name.as_deref().unwrap_or_default())
    )
}

/// All connections, indexed by file descriptor. The client whose command is running is taken out of its slot for
/// the duration of the call, so handlers see it through their context instead.
pub type ClientTable = Vec<Option<Box<Client>>>;

impl ClientState {
    pub fn new(id: u64, fd: i32, addr: String, laddr: String, now_ms: i64) -> ClientState {
        ClientState {
            id,
            fd,
            addr,
            laddr,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            reply: Reply::new(),
            authenticated: true,
            flags: 0,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            call_us: 0,
            cmd_in_bytes: 0,
            cmd_slot: -1,
            woff: 0,
            uncounted_out: 0,
            user: "default".to_string(),
            user_id: crate::acl::DEFAULT_USER,
            conn: ConnStats::default(),
            multi: None,
            watched_keys: 0,
            subs: None,
            tracking: Default::default(),
        }
    }

    #[inline]
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// Id of the client that replays the AOF (`server/aof.rs`; Redis's `CLIENT_ID_AOF`).
pub const AOF_CLIENT_ID: u64 = u64::MAX;

/// Whether the client's commands must be applied whatever the state: our master's stream, the AOF replay
/// (Redis's `mustObeyClient`).
#[inline]
pub fn must_obey(c: &ClientState) -> bool {
    c.has(flags::MASTER) || c.id == AOF_CLIENT_ID
}
