//! The command table's metadata: what every layer may know about a command without its handler.
//!
//! Names, arity, flags ([`flag`]), ACL categories, key specs and their resolution against a call
//! ([`Command::keys_and_flags`], [`Command::key_positions`], the legacy triple), `COMMAND DOCS` groups and texts,
//! subcommands, and the name table the dispatcher looks commands up in ([`CommandTable`], [`lookup`],
//! [`Resolved`]). ACL (`acl/registry.rs`, the permission check), eviction's OOM refusal, the replica's TTL
//! tracking in `expire`, scripting's `redis.call` checks and the MULTI queue (`multi.rs`) read the table here.
//!
//! This module is a leaf: it imports only [`crate::args`] and [`crate::util`]. A handler takes the command layer's
//! context (the calling client and the whole server state), which a leaf cannot name, so the command layer
//! supplies the two things only it knows through [`Supplier`], implemented once in `command/mod.rs`: the
//! handler's type (the [`Command::handler`] field holds it, opaque here) and the family slices the table is made
//! of. Every layer then holds the same `&'static Command` the dispatcher calls through (`(cmd.handler)(ctx, args)`,
//! one direct call, as before the split), while only the command layer can make a context to call it with. The
//! command module re-exports everything here, so the families keep writing `Command { .., ..BASE }`.
//!
//! Tested by the unit tests below (the table against its own rules), `command/commands.rs` (COMMAND INFO,
//! DOCS and GETKEYS against redis-server 7.0) and `tests/layers.rs` (the layers below the handlers read this
//! module, not the command module; this one names nothing of the crate but `args` and `util`).

#![forbid(unsafe_code)]

use crate::args::Args;
use std::sync::OnceLock;

/// What only the command layer knows, supplied to this leaf (implemented in `command/mod.rs` for
/// [`CommandLayer`]): the type of a handler, and the static slices the table is made of.
pub trait Supplier {
    /// `fn(&mut command::Ctx, Args)`: opaque to every layer below `command`.
    type Handler: Copy + 'static;
    /// `fn(&Db, Args)`: a command's cache warm-up ([`Command::prefetch`]), opaque below `command` too.
    type Prefetch: Copy + 'static;
    /// The families' `COMMANDS` slices, in table order (the order of `COMMAND`, `COMMAND LIST` and ACL ids).
    fn families() -> impl Iterator<Item = &'static [Command]>;
}

/// The one implementor of [`Supplier`] (in `command/mod.rs`).
pub enum CommandLayer {}

/// A command's handler, as the command layer defines it.
pub type Handler = <CommandLayer as Supplier>::Handler;

/// A command's cache warm-up, as the command layer defines it.
pub type Prefetch = <CommandLayer as Supplier>::Prefetch;

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
    /// May delete keys it did not name (lazy expiry of the keys SCAN and RANDOMKEY meet): run directly, what it
    /// propagates is not wrapped in MULTI/EXEC (Redis's `CMD_TOUCHES_ARBITRARY_KEYS`, hidden from COMMAND INFO as
    /// in Redis, so not in [`NAMES`]).
    pub const TOUCHES_ARBITRARY_KEYS: u64 = 1 << 20;
    /// Reads or acts on clients other than the caller (CLIENT, INFO, MONITOR, replication, script and function
    /// kills...): with I/O threads running, the server calls every client home before it runs (see
    /// [`sees_other_clients`]). Set on a top-level entry, it holds for its subcommands. Ours, hidden from
    /// COMMAND INFO (not in [`NAMES`]).
    ///
    /// [`sees_other_clients`]: crate::command_spec::sees_other_clients
    pub const SEES_CLIENTS: u64 = 1 << 21;
    /// Exists only in sentinel mode (Redis's `CMD_ONLY_SENTINEL`, hidden from COMMAND INFO as there): not in the
    /// normal table nor in [`super::all_commands`], only in [`super::CommandTable::for_sentinel`]'s.
    pub const ONLY_SENTINEL: u64 = 1 << 22;
    /// Also in sentinel mode's table (Redis's `CMD_SENTINEL`, hidden from COMMAND INFO as there): PING, INFO,
    /// ROLE, CLIENT, ACL, the pub/sub commands... A top-level flag; subcommands come with their container.
    pub const SENTINEL: u64 = 1 << 23;
    /// EXEC: the server runs the calling client's queued commands through its own call path, and several checks
    /// (admission, OOM, cluster redirection, CLIENT PAUSE) look at what the queue would run. Ours, hidden from
    /// COMMAND INFO (not in [`NAMES`]); found by [`super::is_exec`].
    pub const EXEC: u64 = 1 << 24;
    /// A command a module registers (Redis's `CMD_MODULE`): here the built-in JSON family, which answers as
    /// RedisJSON's commands do.
    pub const MODULE: u64 = 1 << 25;

    /// Names in `COMMAND INFO` order.
    pub const NAMES: &[(u64, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (MODULE, "module"),
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
    Sentinel,
    /// A module's command (COMMAND DOCS says `module`): the built-in JSON family (as RedisJSON's) and the
    /// probabilistic types' BF.*, CMS.*, TOPK.*.
    Module,
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

/// Where one group of a command's keys starts: `COMMAND INFO`'s `begin_search`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// A fixed argument index.
    Index(i32),
    /// Right after the first argument equal (ignoring case) to `keyword`, looked for from `startfrom` on
    /// (negative: counted from the end and searched backwards).
    Keyword { keyword: &'static str, startfrom: i32 },
    /// Only the command's getkeys function can tell.
    Unknown,
}

/// How many keys follow the begin-search point: `COMMAND INFO`'s `find_keys`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys up to `lastkey` (relative to the start; negative counts from the end of the arguments), every
    /// `keystep`th argument. With `limit` > 0 and lastkey -1, only the first 1/limit of the remaining arguments.
    Range { lastkey: i32, keystep: i32, limit: i32 },
    /// The argument at start+`keynumidx` holds the key count; keys begin at start+`firstkey`, every `keystep`th.
    Keynum { keynumidx: i32, firstkey: i32, keystep: i32 },
    /// Only the command's getkeys function can tell.
    Unknown,
}

/// One key specification, as `COMMAND INFO` reports it: which arguments are keys and how the command uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpecDef {
    /// Free text explaining unusual flags ("" for none).
    pub notes: &'static str,
    /// Space separated key-spec flags: one of `RO RW OW RM`, then any of `access update insert delete not_key
    /// incomplete variable_flags`. Rendered in Redis's canonical order whatever the order here.
    pub flags: &'static str,
    pub begin_search: BeginSearch,
    pub find_keys: FindKeys,
}

impl KeySpecDef {
    /// One key at argument `index`.
    pub const fn at(index: i32, flags: &'static str) -> KeySpecDef {
        KeySpecDef::range(index, 0, 1, flags)
    }

    /// Keys from argument `index` to `lastkey` (relative to `index`; -1 = the last argument), every `keystep`th.
    pub const fn range(index: i32, lastkey: i32, keystep: i32, flags: &'static str) -> KeySpecDef {
        KeySpecDef {
            notes: "",
            flags,
            begin_search: BeginSearch::Index(index),
            find_keys: FindKeys::Range { lastkey, keystep, limit: 0 },
        }
    }

    /// `numkeys key [key ...]` with the count at argument `index` and the first key right after it.
    pub const fn keynum(index: i32, flags: &'static str) -> KeySpecDef {
        KeySpecDef {
            notes: "",
            flags,
            begin_search: BeginSearch::Index(index),
            find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 },
        }
    }

    /// Keys found after `keyword` (searched from `startfrom`), located by `find_keys`.
    pub const fn keyword(
        keyword: &'static str,
        startfrom: i32,
        find_keys: FindKeys,
        flags: &'static str,
    ) -> KeySpecDef {
        KeySpecDef { notes: "", flags, begin_search: BeginSearch::Keyword { keyword, startfrom }, find_keys }
    }

    /// Keys only the command's getkeys function can find.
    pub const fn unknown(flags: &'static str) -> KeySpecDef {
        KeySpecDef { notes: "", flags, begin_search: BeginSearch::Unknown, find_keys: FindKeys::Unknown }
    }

    /// The same spec with `notes`.
    pub const fn notes(self, notes: &'static str) -> KeySpecDef {
        KeySpecDef { notes, ..self }
    }

    fn has_flag(&self, f: &str) -> bool {
        self.flags.split_whitespace().any(|x| x == f)
    }

    /// Resolves the spec against a call: the key positions, or None when the spec can't tell (unknown search,
    /// keyword-less begin is fine and yields no keys, but out-of-range or unparsable counts are not).
    fn resolve(&self, args: Args) -> Option<Vec<usize>> {
        let argc = args.len() as i64;
        let first: i64 = match self.begin_search {
            BeginSearch::Index(i) => i as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let (start, end) =
                    if startfrom > 0 { (startfrom as i64, argc - 1) } else { (argc + startfrom as i64, 0) };
                let mut i = start;
                let mut found = None;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if args.get(i as usize).eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = Some(i + 1);
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                match found {
                    Some(f) => f,
                    None => return Some(Vec::new()),
                }
            }
            BeginSearch::Unknown => return None,
        };
        let (first, last, step) = match self.find_keys {
            FindKeys::Range { lastkey, keystep, limit } => {
                let last = if lastkey >= 0 {
                    first + lastkey as i64
                } else if limit == 0 {
                    argc + lastkey as i64
                } else {
                    first + ((argc - first) / limit as i64 + lastkey as i64)
                };
                (first, last, keystep as i64)
            }
            FindKeys::Keynum { keynumidx, firstkey, keystep } => {
                let at = first + keynumidx as i64;
                if at < 0 || at >= argc {
                    return None;
                }
                let n = crate::util::parse_i64(args.get(at as usize)).filter(|&n| n >= 0)?;
                let f = first + firstkey as i64;
                // The n-th key is n-1 steps after the first (MSETEX's pairs step by 2), as Redis 8.4 counts.
                let step = keystep as i64;
                (f, f.saturating_add((n - 1).saturating_mul(step)), step)
            }
            FindKeys::Unknown => return None,
        };
        // Out-of-range bounds mean a malformed call (e.g. a key count larger than the arguments).
        if last >= argc || last < first || first >= argc || first < 0 {
            return None;
        }
        let mut keys = Vec::new();
        let mut i = first;
        while i <= last {
            keys.push(i as usize);
            i += step.max(1);
        }
        if self.has_flag("incomplete") {
            return None;
        }
        Some(keys)
    }
}

/// A getkeys function that reports each key's flags: (argument index, space separated key-spec flags).
pub type GetKeysFlags = fn(Args) -> Vec<(usize, &'static str)>;

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
    /// What runs the command: the dispatcher calls it directly from the resolved entry. Only the command layer,
    /// which defines it ([`Supplier::Handler`]), can make the context to call it with.
    pub handler: Handler,
    /// For commands whose run is mostly waiting on memory (a filter's bits, far apart in a big array): starts
    /// loading the cache lines it will touch, without changing anything. The server calls it for the commands of
    /// a pipelined batch before it runs the first, so their cache misses overlap instead of coming one after
    /// another. Only a hint: a stale or wrong answer costs a wasted load, never a different result.
    pub prefetch: Option<Prefetch>,
    /// For container commands (CLIENT, CONFIG, OBJECT, ...): their subcommands. The server dispatches to them.
    pub subcommands: &'static [Command],
    /// For commands whose keys the legacy spec can't describe (movable keys): returns key argument indexes.
    pub getkeys: Option<fn(Args) -> Vec<usize>>,
    /// Key specs, in Redis's order: they drive `COMMAND INFO`, `COMMAND GETKEYS[ANDFLAGS]`, [`Command::key_positions`]
    /// and the legacy (first, last, step) triple reported by `COMMAND INFO` (which must agree with `keys`; a unit
    /// test checks it). Empty: one spec synthesized from `keys` and `key_flags` (older table entries).
    pub key_specs: &'static [KeySpecDef],
    /// A getkeys function that also knows each key's flags; used instead of the specs when a spec has
    /// `variable_flags` (SET: `OW update`, or `RW access update` with GET) and, like `getkeys`, when the specs
    /// can't resolve a call. Returns (argument index, space separated key-spec flags).
    pub getkeys_flags: Option<GetKeysFlags>,
    /// Command tips for `COMMAND INFO`, space separated, in Redis's order
    /// (`nondeterministic_output request_policy:all_shards`).
    pub tips: &'static str,
    /// Legacy form of the key-spec flags for entries without `key_specs`, space separated (`RW access update`).
    /// Empty: derived from the command flags (`RO access` for read-only commands, `RW update` for writes).
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
        if !self.key_specs.is_empty() {
            return self.keys_and_flags(args).into_iter().map(|(i, _)| i).collect();
        }
        if let Some(f) = self.getkeys {
            return f(args);
        }
        self.legacy_key_positions(args)
    }

    /// The synthesized spec of an entry without `key_specs`: the legacy triple with `key_flags`.
    pub fn legacy_key_flags(&self) -> &'static str {
        if !self.key_flags.is_empty() {
            self.key_flags
        } else if self.has(flag::WRITE) {
            "RW update"
        } else {
            "RO access"
        }
    }

    /// Key positions and their key-spec flags, as `COMMAND GETKEYSANDFLAGS` reports them: from the key specs
    /// unless one has `variable_flags` or a spec can't resolve the call, in which case from the getkeys function
    /// (a positions-only `getkeys` borrows flags from the spec whose keys it finds, else from the last spec that
    /// couldn't resolve the call; give commands whose flags matter a `getkeys_flags` instead).
    pub fn keys_and_flags(&self, args: Args) -> Vec<(usize, &'static str)> {
        if self.key_specs.is_empty() {
            let f = self.legacy_key_flags();
            let pos = match self.getkeys {
                Some(g) => g(args),
                None => self.legacy_key_positions(args),
            };
            return pos.into_iter().map(|i| (i, f)).collect();
        }
        let varflags = self.key_specs.iter().any(|s| s.has_flag("variable_flags"));
        let has_proc = self.getkeys_flags.is_some() || self.getkeys.is_some();
        if !varflags || !has_proc {
            // All specs must resolve; one that can't, or an `incomplete` one (Redis's `getKeysUsingKeySpecs` gives
            // up after it), voids the lot (then the getkeys function decides).
            let from_specs: Option<Vec<Vec<(usize, &'static str)>>> = self
                .key_specs
                .iter()
                .filter(|s| !s.has_flag("not_key"))
                .map(|s| {
                    let keys = if s.has_flag("incomplete") && has_proc { None } else { s.resolve(args) };
                    keys.map(|keys| keys.into_iter().map(|i| (i, s.flags)).collect())
                })
                .collect();
            match from_specs {
                Some(keys) => return keys.concat(),
                None if !has_proc => return Vec::new(),
                None => {}
            }
        }
        if let Some(f) = self.getkeys_flags {
            return f(args);
        }
        let Some(g) = self.getkeys else { return Vec::new() };
        let resolved: Vec<(usize, &'static str)> = self
            .key_specs
            .iter()
            .filter_map(|s| s.resolve(args).map(|keys| keys.into_iter().map(move |i| (i, s.flags))))
            .flatten()
            .collect();
        let unresolved =
            self.key_specs.iter().rev().find(|s| s.resolve(args).is_none()).unwrap_or(&self.key_specs[0]).flags;
        g(args)
            .into_iter()
            .map(|i| (i, resolved.iter().find(|(p, _)| *p == i).map_or(unresolved, |(_, f)| *f)))
            .collect()
    }

    /// Whether the command takes keys at all (COMMAND GETKEYS refuses the others).
    pub fn has_keys(&self) -> bool {
        self.getkeys.is_some()
            || self.getkeys_flags.is_some()
            || self.key_specs.iter().any(|s| !s.has_flag("not_key"))
            || (self.key_specs.is_empty()
                && self.keys.first > 0
                // Legacy entries flagged not_key (sharded channel names) are not keys for GETKEYS, as in Redis.
                && !self.key_flags.split_whitespace().any(|f| f == "not_key"))
    }

    /// Whether some key positions depend on the call (`movablekeys`): a spec that isn't a plain index+range, or
    /// ranges the legacy triple can't express. Older entries: having a getkeys function.
    pub fn movable_keys(&self) -> bool {
        if self.key_specs.is_empty() {
            return self.getkeys.is_some();
        }
        self.legacy_range().1
    }

    /// The legacy (first, last, step) triple `COMMAND INFO` derives from the key specs, and whether the specs
    /// hold keys it can't express. Consecutive plain ranges merge; anything else is skipped and makes the keys
    /// movable.
    pub fn legacy_range(&self) -> (KeySpec, bool) {
        let specs = self.key_specs;
        if specs.is_empty() {
            return (self.keys, self.getkeys.is_some());
        }
        if let [s] = specs {
            if let (BeginSearch::Index(i), FindKeys::Range { lastkey, keystep, .. }) = (s.begin_search, s.find_keys) {
                let last = if lastkey < 0 { lastkey } else { i + lastkey };
                return (KeySpec { first: i, last, step: keystep }, s.has_flag("incomplete"));
            }
        }
        let mut movable = false;
        let mut first = i32::MAX;
        // Compared as unsigned, like Redis, so a negative (from the end) last key wins over any positive one.
        let mut last: u32 = 0;
        let mut prev_last: u32 = 0;
        for s in specs {
            let (BeginSearch::Index(i), FindKeys::Range { lastkey, keystep, .. }) = (s.begin_search, s.find_keys)
            else {
                movable = true;
                continue;
            };
            if keystep != 1 || (prev_last != 0 && prev_last != (i - 1) as u32) {
                movable = true;
                continue;
            }
            movable |= s.has_flag("incomplete");
            first = first.min(i);
            let abs = if lastkey >= 0 { lastkey + i } else { lastkey };
            last = last.max(abs as u32);
            prev_last = last;
        }
        if first == i32::MAX {
            return (NO_KEYS, true);
        }
        (KeySpec { first, last: last as i32, step: 1 }, movable)
    }

    fn legacy_key_positions(&self, args: Args) -> Vec<usize> {
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

/// Every top-level command of a normal server, in table order.
pub fn all_commands() -> impl Iterator<Item = &'static Command> {
    all_entries().filter(|c| in_mode(c, false))
}

/// Whether a `since` version (`6.2.0`) is at most 7.0.
pub fn since_7_0(since: &str) -> bool {
    let mut parts = since.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) <= (7, 0)
}

/// Whether a top-level command is in a sentinel's table (`sentinel`) or a normal server's: a sentinel has the
/// [`flag::SENTINEL`] and [`flag::ONLY_SENTINEL`] commands, a normal server all but the latter (Redis 7.0's
/// `populateCommandTable` filter). ACL rules see the same set (Redis's `ACLLookupCommand`).
#[inline]
pub fn in_mode(c: &Command, sentinel: bool) -> bool {
    if sentinel {
        c.has(flag::SENTINEL | flag::ONLY_SENTINEL)
    } else {
        !c.has(flag::ONLY_SENTINEL)
    }
}

/// Every top-level entry, sentinel mode's included: what ACL ids and full names are built from.
pub fn all_entries() -> impl Iterator<Item = &'static Command> {
    CommandLayer::families().flatten()
}

/// Whether `cmd`, called `full_name` (`client|list`, `info`), or its container has [`flag::SEES_CLIENTS`]. A
/// top-level command answers with its own flag bit; a subcommand's container is looked up by the table's own names
/// (a `rename-command` does not change `full_name`).
#[inline]
pub fn sees_other_clients(cmd: &Command, full_name: &str) -> bool {
    if cmd.has(flag::SEES_CLIENTS) {
        return true;
    }
    let Some((top, _)) = full_name.split_once('|') else { return false };
    /// The names of the commands with [`flag::SEES_CLIENTS`], built by the first call and read-only after:
    /// derived from the static command table, not state.
    static TOPS: OnceLock<Vec<&'static str>> = OnceLock::new();
    TOPS.get_or_init(|| all_commands().filter(|c| c.has(flag::SEES_CLIENTS)).map(|c| c.name).collect()).contains(&top)
}

/// Whether `cmd` is EXEC (the server intercepts it to run queued commands through its call path): the entry
/// flagged [`flag::EXEC`].
#[inline]
pub fn is_exec(cmd: &Command) -> bool {
    cmd.flags & flag::EXEC != 0
}

// --- The name table ------------------------------------------------------------------------------------------

/// The top-level command table as an open-addressing array keyed by the name's first 16 bytes, lowercased with
/// word operations (`name_key`): a lookup is a few word operations, one hash and usually one comparison of two
/// words, with no allocation and no loop over the name's bytes (up to 16 of them; the rest of a longer name is
/// compared byte by byte).
pub struct CommandTable {
    slots: Vec<Option<Slot>>,
    mask: usize,
    /// Number of top-level commands (`COMMAND COUNT`).
    count: usize,
}

/// One entry of [`CommandTable`]: the lowercase name as looked up (`rename-command` may change it), its key, and
/// the command.
#[derive(Clone, Copy)]
struct Slot {
    key: [u64; 2],
    name: &'static [u8],
    cmd: &'static Command,
}

/// Reads 8 bytes as a little-endian word (the caller passes exactly 8).
#[inline(always)]
fn le64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(b);
    u64::from_le_bytes(w)
}

/// Reads 4 bytes as a little-endian word (the caller passes exactly 4).
#[inline(always)]
fn le32(b: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(b);
    u32::from_le_bytes(w)
}

/// ASCII lowercase of the eight bytes of `x` at once: a byte in `A..=Z` gains 0x20, every other byte (digits,
/// `-`, `_`, `|`, bytes over 0x7f) is left as it is, as [`u8::to_ascii_lowercase`] does byte by byte.
#[inline(always)]
fn lower8(x: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = x & 0x7f7f_7f7f_7f7f_7f7f;
    // Bit 7 of each byte: set when its low seven bits are at least b'A' (0x41 + 0x3f = 0x80), resp. above b'Z'
    // (0x5b + 0x25 = 0x80). No byte carries into the next: at most 0x7f + 0x3f = 0xbe.
    let at_least_a = low7 + 0x3f3f_3f3f_3f3f_3f3f;
    let above_z = low7 + 0x2525_2525_2525_2525;
    let upper = at_least_a & !above_z & !x & HIGH;
    x | (upper >> 2)
}

/// The first 16 bytes of `name`, lowercased, as two little-endian words padded with zero bytes: the table's key.
/// Built from at most four overlapping loads whatever the length (a short name's bytes are placed by shifts), so
/// no loop runs over the name.
#[inline(always)]
fn name_key(name: &[u8]) -> [u64; 2] {
    let n = name.len();
    let (w0, w1) = if n >= 16 {
        (le64(&name[..8]), le64(&name[8..16]))
    } else if n > 8 {
        // The last eight bytes, shifted so that byte 8 lands at the bottom (the ones before it drop out).
        (le64(&name[..8]), le64(&name[n - 8..]) >> (8 * (16 - n)))
    } else if n == 8 {
        (le64(name), 0)
    } else if n >= 4 {
        // Two overlapping 4-byte loads; where they overlap they hold the same bytes at the same places.
        (le32(&name[..4]) as u64 | (le32(&name[n - 4..]) as u64) << (8 * (n - 4)), 0)
    } else if n > 0 {
        let (a, b, c) = (name[0] as u64, name[n / 2] as u64, name[n - 1] as u64);
        (a | b << (8 * (n / 2)) | c << (8 * (n - 1)), 0)
    } else {
        (0, 0)
    };
    [lower8(w0), lower8(w1)]
}

/// Longest command name the table can hold; longer names are unknown commands.
const MAX_COMMAND_NAME: usize = 64;

impl CommandTable {
    pub fn new() -> CommandTable {
        let named: Vec<(&'static [u8], &'static Command)> = all_commands().map(|c| (c.name.as_bytes(), c)).collect();
        CommandTable::build(named)
    }

    /// The table with `rename-command` applied: each (old, new) pair renames a command, an empty new name removes
    /// it. Errors are Redis's config error texts.
    pub fn with_renames(renames: &[(Vec<u8>, Vec<u8>)]) -> Result<CommandTable, String> {
        let named: Vec<(&'static [u8], &'static Command)> = all_commands().map(|c| (c.name.as_bytes(), c)).collect();
        CommandTable::renamed(named, renames)
    }

    /// `named` with each (old, new) pair of `renames` applied (Redis's config error texts).
    fn renamed(
        mut named: Vec<(&'static [u8], &'static Command)>,
        renames: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<CommandTable, String> {
        for (from, to) in renames {
            let Some(i) = named.iter().position(|(n, _)| n.eq_ignore_ascii_case(from)) else {
                return Err("No such command in rename-command".into());
            };
            if to.is_empty() {
                named.remove(i);
                continue;
            }
            if named.iter().any(|(n, _)| n.eq_ignore_ascii_case(to)) {
                return Err("Target command name already exists".into());
            }
            let lower: &'static [u8] = Box::leak(to.to_ascii_lowercase().into_boxed_slice());
            named[i].0 = lower;
        }
        Ok(CommandTable::build(named))
    }

    /// Sentinel mode's table ([`in_mode`]), with `rename-command` applied.
    pub fn for_sentinel(renames: &[(Vec<u8>, Vec<u8>)]) -> Result<CommandTable, String> {
        let named: Vec<(&'static [u8], &'static Command)> =
            all_entries().filter(|c| in_mode(c, true)).map(|c| (c.name.as_bytes(), c)).collect();
        CommandTable::renamed(named, renames)
    }

    fn build(named: Vec<(&'static [u8], &'static Command)>) -> CommandTable {
        let size = (named.len() * 4).next_power_of_two().max(16);
        let mut t = CommandTable { slots: vec![None; size], mask: size - 1, count: named.len() };
        for (name, cmd) in named {
            let key = name_key(name);
            let mut i = Self::hash(key, name.len()) & t.mask;
            while t.slots[i].is_some() {
                i = (i + 1) & t.mask;
            }
            t.slots[i] = Some(Slot { key, name, cmd });
        }
        t
    }

    /// Mixes a name's key and length (a multiply and a fold: the key's bytes are already the name's).
    #[inline(always)]
    fn hash(key: [u64; 2], len: usize) -> usize {
        let h = (key[0] ^ key[1].rotate_left(29) ^ len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h ^ (h >> 32)) as usize
    }

    /// Finds a command by name, ignoring ASCII case.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&'static Command> {
        if name.len() > MAX_COMMAND_NAME {
            return None;
        }
        // Keyed and compared as lowercase on the fly (the table's names are lowercase): no copy of the name.
        let key = name_key(name);
        let mut i = Self::hash(key, name.len()) & self.mask;
        loop {
            match &self.slots[i] {
                None => return None,
                Some(s)
                    if s.key == key
                        && s.name.len() == name.len()
                        && (name.len() <= 16 || s.name[16..].eq_ignore_ascii_case(&name[16..])) =>
                {
                    return Some(s.cmd)
                }
                Some(_) => i = (i + 1) & self.mask,
            }
        }
    }
}

impl Default for CommandTable {
    fn default() -> Self {
        CommandTable::new()
    }
}

/// The command table, built once (the server keeps the reference, so its per-command lookup skips this check).
pub fn table() -> &'static CommandTable {
    /// The table, built by the first call ([`CommandTable::new`]; the server's start-up in practice) and read-only
    /// after: derived from the static command lists, not state.
    static TABLE: OnceLock<CommandTable> = OnceLock::new();
    TABLE.get_or_init(CommandTable::new)
}

/// Finds a command by name, ignoring ASCII case, without allocating.
#[inline]
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    table().lookup(name)
}

/// Finds a subcommand of `parent` by name, ignoring ASCII case.
pub fn lookup_sub(parent: &'static Command, name: &[u8]) -> Option<&'static Command> {
    parent.subcommands.iter().find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// What a command line names (the one resolution every caller uses: the dispatcher, `redis.call`,
/// `redis.acl_check_cmd`, the test harnesses).
#[derive(Clone, Copy)]
pub enum Resolved {
    /// The command, or its subcommand when it has them and a second argument was given, with its full name
    /// (`get`, `client|list`).
    Found(&'static Command, &'static str),
    /// No command of that name.
    Unknown,
    /// The command has subcommands and the one named is not among them.
    UnknownSub(&'static Command),
}

impl CommandTable {
    /// Resolves `args` (a whole command line) in this table (renamed commands included).
    #[inline]
    pub fn resolve(&self, args: Args) -> Resolved {
        match self.lookup(args.get(0)) {
            Some(cmd) => resolve_sub(cmd, args),
            None => Resolved::Unknown,
        }
    }
}

/// The subcommand step of [`CommandTable::resolve`], for a command already found.
#[inline]
pub fn resolve_sub(cmd: &'static Command, args: Args) -> Resolved {
    if cmd.subcommands.is_empty() || args.len() < 2 {
        return Resolved::Found(cmd, cmd.name);
    }
    match lookup_sub(cmd, args.get(1)) {
        Some(sub) => Resolved::Found(sub, sub_full_name(sub)),
        None => Resolved::UnknownSub(cmd),
    }
}

/// `parent|sub` names of subcommands, built once from the command table.
fn full_names() -> &'static std::collections::HashMap<usize, &'static str> {
    /// The names, built by the first call ([`init_full_names`] at the server's start-up) and read-only after:
    /// derived from the static command table, not state.
    static NAMES: OnceLock<std::collections::HashMap<usize, &'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut m = std::collections::HashMap::new();
        for parent in all_entries() {
            for sub in parent.subcommands {
                let name: &'static str = Box::leak(format!("{}|{}", parent.name, sub.name).into_boxed_str());
                m.insert(sub as *const Command as usize, name);
            }
        }
        m
    })
}

/// Builds the subcommands' full names now (start-up), so the first command does not pay for it.
pub fn init_full_names() {
    let _ = full_names();
}

/// The full name of a subcommand (`client|list`).
pub fn sub_full_name(sub: &'static Command) -> &'static str {
    full_names().get(&(sub as *const Command as usize)).copied().unwrap_or(sub.name)
}

/// Number of top-level commands (`COMMAND COUNT`).
pub fn count() -> usize {
    table().count
}

/// Redis's unknown-subcommand error text (`ERR unknown subcommand 'x'. Try CONFIG HELP.`).
pub fn unknown_subcommand_message(args: Args) -> Vec<u8> {
    let mut msg = b"ERR unknown subcommand '".to_vec();
    let sub = crate::util::c_str(args.get(1));
    msg.extend_from_slice(&sub[..sub.len().min(128)]);
    msg.extend_from_slice(b"'. Try ");
    msg.extend_from_slice(&args.get(0).to_ascii_uppercase());
    msg.extend_from_slice(b" HELP.");
    msg
}

/// The modules Redis 8 bundles and ferredis builds in: (name, version, INFO's `options`, the command-name
/// prefixes of their commands). RedisJSON 2.8.3 (`keyspace::types::json::MODULE_VERSION`, checked by a unit test) and RedisBloom 2.8.2 (Bloom, Cuckoo, Count-Min, Top-K and
/// t-digest), as the oracles in `tests/types` run them.
pub const BUILT_IN: &[(&str, i64, &str, &[&str])] = &[
    ("ReJSON", 20803, "[handle-io-errors]", &["json."]),
    ("bf", 20802, "[]", &["bf.", "cf.", "cms.", "topk.", "tdigest."]),
];

/// The built-in module a command belongs to (Redis's `moduleNameFromCommand`), by its lower-case name.
pub fn module_of(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|m| m.3.iter().any(|p| name.starts_with(p))).map(|m| m.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::OwnedArgs;

    /// What [`name_key`] computes, the slow way: lowercase, then the first 16 bytes padded with zeros.
    fn naive_key(name: &[u8]) -> [u64; 2] {
        let mut b = [0u8; 16];
        for (d, s) in b.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        [u64::from_le_bytes(b[..8].try_into().unwrap()), u64::from_le_bytes(b[8..].try_into().unwrap())]
    }

    #[test]
    fn name_key_is_the_lowercase_prefix_for_every_length_and_byte() {
        // Every byte value at every position of every length up to 20, beside bytes that border A..=Z.
        for len in 0..=20usize {
            for pos in 0..len {
                for v in 0..=255u8 {
                    let mut name: Vec<u8> =
                        (0..len).map(|i| [b'@', b'A', b'Z', b'[', b'a', b'z', b'_'][i % 7]).collect();
                    name[pos] = v;
                    assert_eq!(name_key(&name), naive_key(&name), "{name:?}");
                }
            }
        }
        assert_eq!(name_key(b""), [0, 0]);
    }

    proptest::proptest! {
        #[test]
        fn name_key_matches_the_naive_key(name in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            proptest::prop_assert_eq!(name_key(&name), naive_key(&name));
        }

        /// The table finds exactly what a case-insensitive scan of the command list finds, for command names in
        /// any case, with a byte changed, cut short or lengthened.
        #[test]
        fn lookup_agrees_with_a_scan(pick in 0usize..10_000, edit in 0u8..5, at in 0usize..64, byte in proptest::num::u8::ANY,
                                     case_mask in proptest::num::u64::ANY) {
            let names: Vec<&str> = all_commands().map(|c| c.name).collect();
            let mut name: Vec<u8> = names[pick % names.len()].bytes().enumerate()
                .map(|(i, b)| if case_mask >> (i % 64) & 1 == 1 { b.to_ascii_uppercase() } else { b })
                .collect();
            match edit {
                1 if !name.is_empty() => { let i = at % name.len(); name[i] = byte; }
                2 => { name.truncate(at % (name.len() + 1)); }
                3 => name.push(byte),
                _ => {}
            }
            let scan = all_commands().find(|c| c.name.as_bytes().eq_ignore_ascii_case(&name));
            let found = table().lookup(&name);
            proptest::prop_assert_eq!(found.map(|c| c.name), scan.map(|c| c.name));
        }
    }

    #[test]
    fn long_names_compare_their_tail() {
        let get = all_commands().find(|c| c.name == "get").unwrap();
        let t = CommandTable::build(vec![(b"abcdefghijklmnopq-one".as_slice(), get)]);
        assert!(t.lookup(b"ABCDEFGHIJKLMNOPQ-ONE").is_some());
        assert!(t.lookup(b"abcdefghijklmnopq-onf").is_none());
        assert!(t.lookup(b"abcdefghijklmnopq-on").is_none());
    }

    #[test]
    fn the_commands_that_see_other_clients() {
        let mut tops: Vec<&str> = all_commands().filter(|c| c.has(flag::SEES_CLIENTS)).map(|c| c.name).collect();
        tops.sort();
        assert_eq!(
            tops,
            [
                "acl",
                "client",
                "cluster",
                "config",
                "debug",
                "failover",
                "function",
                "info",
                "memory",
                "monitor",
                "psync",
                "replicaof",
                "script",
                "shutdown",
                "slaveof",
                "sync"
            ]
        );
        let sees = |full: &str| {
            let (top, sub) = full.split_once('|').map_or((full, None), |(t, s)| (t, Some(s)));
            let c = all_commands().find(|c| c.name == top).expect("a table entry");
            let c = sub.map_or(c, |s| c.subcommands.iter().find(|x| x.name == s).expect("a subcommand"));
            sees_other_clients(c, full)
        };
        assert!(sees("client|list") && sees("info") && sees("script|kill") && sees("monitor"));
        assert!(!sees("get") && !sees("object|encoding") && !sees("command") && !sees("command|info"));
        // Hidden from COMMAND INFO, as Redis has no such flag.
        assert!(flag::NAMES.iter().all(|&(f, _)| f != flag::SEES_CLIENTS));
        let subs: Vec<&Command> = all_commands().flat_map(|c| c.subcommands.iter()).collect();
        assert!(subs.len() > 50 && subs.iter().all(|s| !s.has(flag::SEES_CLIENTS)));
    }

    #[test]
    fn command_table_finds_every_command_ignoring_case() {
        let t = CommandTable::new();
        for c in all_commands() {
            let upper = c.name.to_ascii_uppercase();
            assert!(std::ptr::eq(t.lookup(upper.as_bytes()).unwrap(), c));
            assert!(std::ptr::eq(t.lookup(c.name.as_bytes()).unwrap(), c));
        }
        assert!(t.lookup(b"no-such-command").is_none());
        assert!(t.lookup(b"").is_none());
        assert!(t.lookup(&[b'g'; 1000]).is_none());
    }

    #[test]
    fn exec_is_found_by_its_flag() {
        assert!(is_exec(lookup(b"EXEC").unwrap()));
        assert!(!is_exec(lookup(b"multi").unwrap()));
        // One entry carries the flag, and COMMAND INFO does not show it.
        assert_eq!(all_commands().filter(|c| is_exec(c)).count(), 1);
        assert!(flag::NAMES.iter().all(|&(f, _)| f != flag::EXEC));
        assert!(all_commands().flat_map(|c| c.subcommands).all(|s| !is_exec(s)));
    }

    #[test]
    fn lookup_ignores_case() {
        assert!(lookup(b"GeT").is_some());
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(&[b'a'; 100]).is_none());
    }

    fn every_command() -> Vec<(String, &'static Command)> {
        let mut v = Vec::new();
        for c in all_commands() {
            v.push((c.name.to_string(), c));
            for s in c.subcommands {
                v.push((format!("{}|{}", c.name, s.name), s));
            }
        }
        v
    }

    #[test]
    fn legacy_triple_agrees_with_key_specs() {
        for (name, c) in every_command() {
            if c.key_specs.is_empty() {
                continue;
            }
            let (k, _) = c.legacy_range();
            assert_eq!((k.first, k.last, k.step), (c.keys.first, c.keys.last, c.keys.step), "{name}");
        }
    }

    #[test]
    fn key_spec_flags_are_known() {
        const KNOWN: &[&str] = &[
            "RO",
            "RW",
            "OW",
            "RM",
            "access",
            "update",
            "insert",
            "delete",
            "not_key",
            "incomplete",
            "variable_flags",
        ];
        for (name, c) in every_command() {
            for s in c.key_specs {
                let words: Vec<&str> = s.flags.split_whitespace().collect();
                assert!(words.iter().all(|w| KNOWN.contains(w)), "{name}: {}", s.flags);
                let access = words.iter().filter(|w| ["RO", "RW", "OW", "RM"].contains(w)).count();
                // Only non-key specs (shard channels) go without an access kind.
                let want = usize::from(!words.contains(&"not_key"));
                assert_eq!(access, want, "{name}: one of RO/RW/OW/RM in {:?}", s.flags);
            }
            if c.key_specs.iter().any(|s| s.has_flag("variable_flags")) {
                assert!(c.getkeys_flags.is_some(), "{name}: variable_flags needs getkeys_flags");
            }
        }
    }

    /// A command of a built-in module family (JSON.*, BF.*, CF.*, CMS.*, TOPK.*, TDIGEST.*) carries the `module`
    /// flag, as a loaded module's commands do in Redis, and names its module; no other command does either.
    #[test]
    fn module_commands_are_flagged_and_named() {
        for (name, c) in every_command() {
            let module = module_of(&name);
            assert_eq!(c.has(flag::MODULE), module.is_some(), "{name}: flag::MODULE vs its module {module:?}");
        }
    }

    /// Redis adds categories implied by the command flags; the table must spell them out.
    #[test]
    fn acl_categories_follow_flags() {
        for (name, c) in every_command() {
            if c.has(flag::MODULE) {
                // A module's commands get no implicit categories in Redis 7.0 (RedisJSON's list none).
                continue;
            }
            let cats: Vec<&str> = c.acl.split_whitespace().collect();
            let want = |cond: bool, cat: &str| {
                if cond {
                    assert!(cats.contains(&cat), "{name}: flags imply @{cat} ({})", c.acl);
                }
            };
            want(c.has(flag::WRITE), "write");
            want(c.has(flag::READONLY) && !cats.contains(&"scripting"), "read");
            want(c.has(flag::ADMIN), "admin");
            want(c.has(flag::ADMIN), "dangerous");
            want(c.has(flag::PUBSUB), "pubsub");
            want(c.has(flag::FAST), "fast");
            want(c.has(flag::BLOCKING), "blocking");
            want(!c.has(flag::FAST), "slow");
        }
    }

    #[test]
    fn key_spec_resolution() {
        let a = OwnedArgs::from_slices(&["x", "2", "k1", "k2", "v"]);
        assert_eq!(KeySpecDef::keynum(1, "RO").resolve(a.args()), Some(vec![2, 3]));
        let bad = OwnedArgs::from_slices(&["x", "9", "k1"]);
        assert_eq!(KeySpecDef::keynum(1, "RO").resolve(bad.args()), None);
        let zero = OwnedArgs::from_slices(&["x", "0", "k1"]);
        assert_eq!(KeySpecDef::keynum(1, "RO").resolve(zero.args()), None);
        let nan = OwnedArgs::from_slices(&["x", "two", "k1"]);
        assert_eq!(KeySpecDef::keynum(1, "RO").resolve(nan.args()), None);
        // XREAD-like: keys after STREAMS, the first half of what follows.
        let streams = KeySpecDef::keyword("STREAMS", 1, FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 }, "RO");
        let a = OwnedArgs::from_slices(&["xread", "COUNT", "1", "streams", "a", "b", "0", "0"]);
        assert_eq!(streams.resolve(a.args()), Some(vec![4, 5]));
        let none = OwnedArgs::from_slices(&["xread", "COUNT", "1"]);
        assert_eq!(streams.resolve(none.args()), Some(vec![]));
        // Searched backwards from the end when startfrom is negative.
        let store = KeySpecDef::keyword("STORE", -2, FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }, "OW");
        let a = OwnedArgs::from_slices(&["x", "store", "a", "STORE", "b"]);
        assert_eq!(store.resolve(a.args()), Some(vec![4]));
        assert_eq!(KeySpecDef::unknown("RO").resolve(a.args()), None);
        let msetlike = KeySpecDef::range(1, -1, 2, "OW update");
        let a = OwnedArgs::from_slices(&["mset", "a", "1", "b"]);
        assert_eq!(msetlike.resolve(a.args()), Some(vec![1, 3]));
    }

    #[test]
    fn keys_and_flags_use_specs_and_variable_flags() {
        let set = lookup(b"set").unwrap();
        let a = OwnedArgs::from_slices(&["set", "k", "v"]);
        assert_eq!(set.keys_and_flags(a.args()), vec![(1, "OW update")]);
        let a = OwnedArgs::from_slices(&["set", "k", "v", "EX", "1", "GET"]);
        assert_eq!(set.keys_and_flags(a.args()), vec![(1, "RW access update")]);
        let copy = lookup(b"copy").unwrap();
        let a = OwnedArgs::from_slices(&["copy", "a", "b", "REPLACE"]);
        assert_eq!(copy.keys_and_flags(a.args()), vec![(1, "RO access"), (2, "OW update")]);
        assert!(!copy.movable_keys());
        assert!(!lookup(b"ping").unwrap().has_keys());
    }

    #[test]
    fn legacy_range_merges_consecutive_specs() {
        // ZDIFFSTORE's shape: the plain destination spec makes the triple, the keynum spec makes it movable.
        static ZDIFFSTORE: &[KeySpecDef] = &[KeySpecDef::at(1, "OW update"), KeySpecDef::keynum(2, "RO access")];
        // Any entry will do as the base: only the key specs count here.
        let base = lookup(b"ping").unwrap();
        let c = Command { key_specs: ZDIFFSTORE, ..*base };
        let (k, movable) = c.legacy_range();
        assert_eq!((k.first, k.last, k.step, movable), (1, 1, 1, true));
        static RENAME: &[KeySpecDef] = &[KeySpecDef::at(1, "RW"), KeySpecDef::at(2, "OW")];
        let c = Command { key_specs: RENAME, ..*base };
        let (k, movable) = c.legacy_range();
        assert_eq!((k.first, k.last, k.step, movable), (1, 2, 1, false));
    }

    #[test]
    fn key_positions_follow_spec() {
        let c = lookup(b"mset").unwrap();
        let a = OwnedArgs::from_slices(&["mset", "a", "1", "b", "2"]);
        assert_eq!(c.key_positions(a.args()), vec![1, 3]);
    }
}
