//! The command table and the context handlers run in.
//!
//! Each family lives in its own file and exports a `COMMANDS` slice of [`Command`]s. A handler gets a [`Ctx`] (the
//! calling client's state, its reply sink, and the server state) and the [`Args`] of the call, already checked
//! against the command's arity.

pub mod command_cmd;
pub mod config_cmd;
pub mod connection;
pub mod info;
pub mod keys;
pub mod longdouble;
pub mod pubsub;
pub mod server;
pub mod string;

use crate::db::Db;
use crate::net::client::ClientState;
use crate::object::{Entry, ValueKind};
use crate::resp::reply::Reply;
use crate::state::ServerState;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The arguments of one call: slices into the client's query buffer (or its scratch buffer for inline commands).
/// `args[0]` is the command name.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    spans: &'a [(u32, u32)],
}

impl<'a> Args<'a> {
    /// Arguments as `(start, end)` byte offsets into `buf`.
    pub fn new(buf: &'a [u8], spans: &'a [(u32, u32)]) -> Args<'a> {
        Args { buf, spans }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`th argument. Panics when `i >= len()`; handlers only index within the arity checked for them.
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (s, e) = self.spans[i];
        &self.buf[s as usize..e as usize]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let buf = self.buf;
        self.spans.iter().map(move |&(s, e)| &buf[s as usize..e as usize])
    }

    /// Whether argument `i` equals `word`, ignoring ASCII case.
    #[inline]
    pub fn is(&self, i: usize, word: &str) -> bool {
        i < self.len() && self.get(i).eq_ignore_ascii_case(word.as_bytes())
    }
}

impl std::ops::Index<usize> for Args<'_> {
    type Output = [u8];
    #[inline]
    fn index(&self, i: usize) -> &[u8] {
        self.get(i)
    }
}

/// Builds an owned argument vector into [`Args`] form (tests, MULTI queues, blocked clients).
#[derive(Default, Clone, Debug)]
pub struct OwnedArgs {
    pub buf: Vec<u8>,
    pub spans: Vec<(u32, u32)>,
}

impl OwnedArgs {
    pub fn from_slices<S: AsRef<[u8]>>(items: &[S]) -> OwnedArgs {
        let mut o = OwnedArgs::default();
        for it in items {
            o.push(it.as_ref());
        }
        o
    }
    pub fn push(&mut self, a: &[u8]) {
        let s = self.buf.len() as u32;
        self.buf.extend_from_slice(a);
        self.spans.push((s, self.buf.len() as u32));
    }
    pub fn args(&self) -> Args<'_> {
        Args::new(&self.buf, &self.spans)
    }
}

/// Command flags, as `COMMAND INFO` names them.
pub mod flag {
    pub const WRITE: u64 = 1 << 0;
    pub const READONLY: u64 = 1 << 1;
    pub const DENYOOM: u64 = 1 << 2;
    pub const ADMIN: u64 = 1 << 3;
    pub const PUBSUB: u64 = 1 << 4;
    pub const NOSCRIPT: u64 = 1 << 5;
    pub const BLOCKING: u64 = 1 << 6;
    pub const LOADING: u64 = 1 << 7;
    pub const STALE: u64 = 1 << 8;
    pub const SKIP_MONITOR: u64 = 1 << 9;
    pub const SKIP_SLOWLOG: u64 = 1 << 10;
    pub const ASKING: u64 = 1 << 11;
    pub const FAST: u64 = 1 << 12;
    pub const NO_AUTH: u64 = 1 << 13;
    pub const MAY_REPLICATE: u64 = 1 << 14;
    pub const NO_MANDATORY_KEYS: u64 = 1 << 15;
    pub const NO_ASYNC_LOADING: u64 = 1 << 16;
    pub const NO_MULTI: u64 = 1 << 17;
    pub const MOVABLE_KEYS: u64 = 1 << 18;
    pub const ALLOW_BUSY: u64 = 1 << 19;

    /// Names in `COMMAND INFO` order.
    pub const NAMES: &[(u64, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Command groups, as `COMMAND DOCS` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    List,
    Set,
    SortedSet,
    Hash,
    PubSub,
    Transactions,
    Connection,
    Server,
    Scripting,
    HyperLogLog,
    Cluster,
    Geo,
    Stream,
    Bitmap,
}

/// Where a command's keys are, in the legacy (first, last, step) form. `last` negative counts from the end
/// (-1 = last argument); first = 0 means no keys.
#[derive(Clone, Copy, Debug)]
pub struct KeySpec {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

pub const NO_KEYS: KeySpec = KeySpec { first: 0, last: 0, step: 0 };
pub const ONE_KEY: KeySpec = KeySpec { first: 1, last: 1, step: 1 };
pub const ALL_KEYS: KeySpec = KeySpec { first: 1, last: -1, step: 1 };

pub type Handler = fn(&mut Ctx, Args);

/// One entry of the command table.
pub struct Command {
    /// Lowercase name (`get`, or the subcommand name `list` for CLIENT LIST).
    pub name: &'static str,
    /// Redis arity: positive = exact argument count, negative = at least -arity. Counts the command name.
    pub arity: i32,
    pub flags: u64,
    /// ACL categories without the `@`, space separated (`write string slow`).
    pub acl: &'static str,
    pub keys: KeySpec,
    pub group: Group,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    /// Argument syntax in the redis.io notation after the command name, e.g. `key value [NX | XX]`.
    /// `COMMAND DOCS` derives its argument tree from it.
    pub syntax: &'static str,
    pub handler: Handler,
    /// For container commands (CLIENT, CONFIG, OBJECT, ...): their subcommands. The server dispatches to them.
    pub subcommands: &'static [Command],
    /// For commands whose keys the legacy spec can't describe (movable keys): returns key argument indexes.
    pub getkeys: Option<fn(Args) -> Vec<usize>>,
    /// Command tips for `COMMAND INFO`, space separated (`nondeterministic_output request_policy:all_shards`).
    pub tips: &'static str,
    /// Key-spec flags for `COMMAND INFO`/`GETKEYSANDFLAGS`, space separated (`RW access update`). Empty: derived
    /// from the command flags (`RO access` for read-only commands, `RW update` for writes).
    pub key_flags: &'static str,
    /// `COMMAND DOCS` history: (version, change) pairs.
    pub history: &'static [(&'static str, &'static str)],
}

impl Command {
    /// Whether `argc` (command name included) satisfies the arity.
    #[inline]
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }

    #[inline]
    pub fn has(&self, f: u64) -> bool {
        self.flags & f != 0
    }

    /// Indexes of key arguments in a call.
    pub fn key_positions(&self, args: Args) -> Vec<usize> {
        if let Some(f) = self.getkeys {
            return f(args);
        }
        let k = self.keys;
        if k.first <= 0 {
            return Vec::new();
        }
        let argc = args.len() as i32;
        let last = if k.last < 0 { argc + k.last } else { k.last.min(argc - 1) };
        let step = k.step.max(1);
        let mut v = Vec::new();
        let mut i = k.first;
        while i <= last && i < argc {
            v.push(i as usize);
            i += step;
        }
        v
    }
}

/// The defaults a table entry starts from; families override with struct update syntax.
pub const BASE: Command = Command {
    name: "",
    arity: 1,
    flags: 0,
    acl: "",
    keys: NO_KEYS,
    group: Group::Generic,
    since: "1.0.0",
    summary: "",
    complexity: "O(1)",
    syntax: "",
    handler: |ctx, _| ctx.reply().error("ERR command has no handler"),
    subcommands: &[],
    getkeys: None,
    tips: "",
    key_flags: "",
    history: &[],
};

/// Every top-level command.
pub fn all_commands() -> impl Iterator<Item = &'static Command> {
    string::COMMANDS
        .iter()
        .chain(keys::COMMANDS.iter())
        .chain(connection::COMMANDS.iter())
        .chain(server::COMMANDS.iter())
        .chain(config_cmd::COMMANDS.iter())
        .chain(info::COMMANDS.iter())
        .chain(command_cmd::COMMANDS.iter())
        .chain(pubsub::COMMANDS.iter())
}

struct Table {
    by_name: HashMap<&'static [u8], &'static Command>,
    count: usize,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut by_name = HashMap::new();
        for c in all_commands() {
            by_name.insert(c.name.as_bytes(), c);
        }
        let count = by_name.len();
        Table { by_name, count }
    })
}

/// Finds a command by name, ignoring ASCII case, without allocating.
#[inline]
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    table().by_name.get(&*lower).copied()
}

/// Finds a subcommand of `parent` by name, ignoring ASCII case.
pub fn lookup_sub(parent: &'static Command, name: &[u8]) -> Option<&'static Command> {
    parent.subcommands.iter().find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Number of top-level commands (`COMMAND COUNT`).
pub fn count() -> usize {
    table().count
}

/// What a handler can reach: the calling client and the server state.
pub struct Ctx<'a> {
    pub client: &'a mut ClientState,
    pub srv: &'a mut ServerState,
}

impl<'a> Ctx<'a> {
    #[inline]
    pub fn reply(&mut self) -> &mut Reply {
        &mut self.client.reply
    }

    /// The client's selected database.
    #[inline]
    pub fn db(&mut self) -> &mut Db {
        let i = self.client.db;
        &mut self.srv.dbs[i]
    }

    #[inline]
    pub fn now_ms(&self) -> i64 {
        self.srv.now_ms
    }

    /// Looks a key up for reading: expires it lazily, counts a hit or a miss, and touches its LRU/LFU field.
    #[inline]
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.read_reply(key).0
    }

    /// [`Ctx::lookup_read`], also handing out the reply sink so the handler can answer while it holds the entry.
    #[inline]
    pub fn read_reply(&mut self, key: &[u8]) -> (Option<&mut Entry>, &mut Reply) {
        let Ctx { client, srv } = self;
        let touch = !client.has(crate::net::client::flags::NO_TOUCH);
        let now = srv.now_ms;
        let lru = srv.lru_clock;
        let lfu = srv.config.maxmemory_policy.is_lfu();
        let (lf, dt) = (srv.config.lfu_log_factor, srv.config.lfu_decay_time);
        let stats = &mut srv.stats;
        let found = match srv.dbs[client.db].lookup(key, now) {
            Some(e) => {
                stats.keyspace_hits += 1;
                if touch {
                    touch_entry(e, lru, lfu, lf, dt, now);
                }
                Some(e)
            }
            None => {
                stats.keyspace_misses += 1;
                None
            }
        };
        (found, &mut client.reply)
    }

    /// Looks a key up for writing: expires it lazily and touches it, without hit/miss counting.
    #[inline]
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.write_reply(key).0
    }

    /// [`Ctx::lookup_write`] plus the reply sink.
    #[inline]
    pub fn write_reply(&mut self, key: &[u8]) -> (Option<&mut Entry>, &mut Reply) {
        let Ctx { client, srv } = self;
        let now = srv.now_ms;
        let lru = srv.lru_clock;
        let lfu = srv.config.maxmemory_policy.is_lfu();
        let (lf, dt) = (srv.config.lfu_log_factor, srv.config.lfu_decay_time);
        let found = match srv.dbs[client.db].lookup(key, now) {
            Some(e) => {
                touch_entry(e, lru, lfu, lf, dt, now);
                Some(e)
            }
            None => None,
        };
        (found, &mut client.reply)
    }

    /// Records that `key` in the selected db changed: bumps `dirty`. (WATCH and keyspace notifications hook here.)
    #[inline]
    pub fn key_modified(&mut self, _key: &[u8]) {
        self.srv.dirty += 1;
    }

    /// The collection conversion thresholds from the current config.
    pub fn thresholds(&self) -> crate::types::Thresholds {
        let c = &self.srv.config;
        let u = |n: i64| n.max(0) as usize;
        crate::types::Thresholds {
            list_max_listpack_size: c.list_max_listpack_size,
            list_compress_depth: c.list_compress_depth,
            hash_max_listpack_entries: u(c.hash_max_listpack_entries),
            hash_max_listpack_value: u(c.hash_max_listpack_value),
            set_max_intset_entries: u(c.set_max_intset_entries),
            zset_max_listpack_entries: u(c.zset_max_listpack_entries),
            zset_max_listpack_value: u(c.zset_max_listpack_value),
        }
    }

    /// Looks up a key that must hold a `T` for reading (hit/miss counted, touched). `Ok(None)` when missing;
    /// `Err(WrongType)` after replying WRONGTYPE. The reply sink comes along so the handler can answer while borrowing.
    pub fn read_typed<T: ValueKind>(&mut self, key: &[u8]) -> Result<(Option<&mut T>, &mut Reply), WrongType> {
        let (e, r) = self.read_reply(key);
        typed(e, r)
    }

    /// [`Ctx::read_typed`] for writers (no hit/miss counting).
    pub fn write_typed<T: ValueKind>(&mut self, key: &[u8]) -> Result<(Option<&mut T>, &mut Reply), WrongType> {
        let (e, r) = self.write_reply(key);
        typed(e, r)
    }

    /// Looks up a key that must hold a `T` for writing, creating it with `make` when missing.
    /// `Err(WrongType)` after replying WRONGTYPE.
    pub fn write_or_create<T: ValueKind>(
        &mut self,
        key: &[u8],
        make: impl FnOnce() -> T,
    ) -> Result<(&mut T, &mut Reply), WrongType> {
        let exists = match self.write_typed::<T>(key)? {
            (Some(_), _) => true,
            (None, _) => false,
        };
        if !exists {
            let mut e = Entry::new_value(key, make().into_value());
            self.init_lru(&mut e);
            self.db().insert(e);
        }
        let Ctx { client, srv } = self;
        let e = srv.dbs[client.db].keys.get_mut(key).and_then(|e| e.value_mut()).and_then(T::of);
        match e {
            Some(v) => Ok((v, &mut client.reply)),
            None => Err(WrongType),
        }
    }

    /// Deletes `key` from the selected db when its collection became empty (after pops and removals).
    /// Returns whether it was deleted.
    pub fn delete_if_empty(&mut self, key: &[u8]) -> bool {
        let db = self.db();
        let empty = db.keys.get(key).and_then(|e| e.value()).is_some_and(|v| v.is_empty());
        if empty {
            db.remove(key);
        }
        empty
    }

    /// Sets a fresh entry's LRU/LFU field as Redis's `createObject` does.
    #[inline]
    pub fn init_lru(&self, e: &mut Entry) {
        if self.srv.config.maxmemory_policy.is_lfu() {
            e.set_lru(crate::object::lfu_init(self.srv.now_ms));
        } else {
            e.set_lru(self.srv.lru_clock);
        }
    }
}

/// The key held another type; WRONGTYPE has already been replied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

/// Narrows a looked-up entry to a `T`, replying WRONGTYPE for any other type.
fn typed<'e, T: ValueKind>(
    e: Option<&'e mut Entry>,
    r: &'e mut Reply,
) -> Result<(Option<&'e mut T>, &'e mut Reply), WrongType> {
    match e {
        None => Ok((None, r)),
        Some(e) => match e.value_mut().and_then(T::of) {
            Some(v) => Ok((Some(v), r)),
            None => {
                r.err_wrongtype();
                Err(WrongType)
            }
        },
    }
}

/// Updates an entry's access field: the LRU clock, or the LFU counter with decay.
#[inline]
pub fn touch_entry(e: &mut Entry, lru_clock: u32, lfu: bool, lfu_log_factor: i64, lfu_decay_time: i64, now_ms: i64) {
    if lfu {
        let v = crate::object::lfu_touch(e.lru(), lfu_log_factor, lfu_decay_time, now_ms);
        e.set_lru(v);
    } else {
        e.set_lru(lru_clock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case() {
        assert!(lookup(b"GeT").is_some());
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(&[b'a'; 100]).is_none());
    }

    #[test]
    fn key_positions_follow_spec() {
        let c = lookup(b"mset").unwrap();
        let a = OwnedArgs::from_slices(&["mset", "a", "1", "b", "2"]);
        assert_eq!(c.key_positions(a.args()), vec![1, 3]);
    }
}
