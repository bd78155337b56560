//! One connection's command-visible state. The connection part (socket, query ring, parse state) is added by the
//! networking layer in the same file.

use crate::resp::reply::Reply;

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
    pub user: &'static str,
    /// Connection figures for CLIENT LIST/INFO, refreshed by the server before each command.
    pub conn: ConnStats,
}

/// Memory and buffer figures of a connection, as CLIENT LIST prints them.
#[derive(Default, Clone, Copy, Debug)]
pub struct ConnStats {
    pub qbuf: usize,
    pub qbuf_free: usize,
    pub argv_mem: usize,
    pub obl: usize,
    pub oll: usize,
    pub omem: usize,
    pub tot_mem: usize,
    pub readable: bool,
    pub writable: bool,
}

/// One connection. The networking layer adds the socket, the query ring and the parse state.
#[derive(Debug)]
pub struct Client {
    pub state: ClientState,
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
            user: "default",
            conn: ConnStats::default(),
        }
    }

    #[inline]
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}
