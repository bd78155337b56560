//! [`Ctx`], the context a handler runs in, and the views it gives.
//!
//! A `Ctx` holds the calling client and the server state, both private to this module and the door below it
//! ([`door`]): a handler sees the server through named views, each as narrow as its use, so what a command family
//! can touch reads off the methods it calls.
//!
//! - The calling client: [`Ctx::reply`], [`Ctx::client`], [`Ctx::client_mut`].
//! - Keys: the lookups ([`Ctx::lookup_read`], [`Ctx::read_typed`], [`Ctx::db_ref`], ...) and the door for
//!   single keys ([`door`]: every write goes through a settled `KeyWrite`).
//! - Reads of the server's settings and clock: [`Ctx::config`], [`Ctx::now_ms`], [`Ctx::lru_clock`],
//!   [`Ctx::thresholds`], [`Ctx::stream_limits`], ...; and of its role: [`Ctx::repl`], [`Ctx::in_cluster`],
//!   [`Ctx::sentinel_mode`].
//! - Small services: [`Ctx::stats_mut`] (and [`Ctx::stats_and_reply`]), [`Ctx::rng`], the propagation requests
//!   ([`Ctx::rewrite`], [`Ctx::also_propagate`], ...), keyspace events ([`Ctx::notify`]), server actions
//!   ([`Ctx::request_action`]).
//! - Whole databases: [`Ctx::empty_data`] and [`Ctx::swap_dbs`] (FLUSHDB, FLUSHALL, SWAPDB), through the state's
//!   door for whole-database changes.
//! - One part for one family: [`Ctx::scripts`] (SCRIPT, FUNCTION: the script engines and the lazy-free thread),
//!   [`Ctx::transaction`] (MULTI, EXEC, WATCH: the watch table beside the databases), [`Ctx::migrate_sockets`]
//!   (MIGRATE), [`Ctx::blocking_mut`] and [`Ctx::waits_in_shutdown`] (CLIENT UNBLOCK).
//! - The whole server, the one exception: [`Ctx::server`] (with [`Ctx::server_ref`] to read it and
//!   [`Ctx::client_and_server`] to hold the client beside it). It is for the families that act on the server as a
//!   whole, each listed with why in `tests/layers.rs` (`WHOLE_SERVER_FAMILIES`), which fails when any other file
//!   takes it: CONFIG, DEBUG, INFO, MEMORY, ACL, CLIENT and the connection commands (HELLO, AUTH, RESET, ...),
//!   replication (REPLICAOF, SYNC, PSYNC, WAIT, FAILOVER, ROLE), CLUSTER, SENTINEL, the admin commands
//!   (SAVE/BGSAVE/BGREWRITEAOF, SHUTDOWN, MONITOR, SLOWLOG, ...) and pub/sub (delivery writes to other clients).
//!
//! The views are `#[inline]` borrows of fields (the lookups are the keyspace's own calls), so a handler pays
//! nothing for going through one. This module names no command family: the families build on it.

#![forbid(unsafe_code)]

pub mod door;

use super::{lookup, Args};
use crate::keyspace::db::Db;
use crate::keyspace::object::{Entry, ValueKind};
use crate::net::client::ClientState;
use crate::resp::reply::Reply;
use crate::state::ServerState;
pub use door::KeyWrite;

/// What a handler can reach: the calling client and the server state, through the views below (see the module
/// docs).
pub struct Ctx<'a> {
    client: &'a mut ClientState,
    srv: &'a mut ServerState,
}

/// The parts SCRIPT and FUNCTION work on ([`Ctx::scripts`]), borrowed side by side.
pub struct Scripts<'a> {
    /// The calling client's reply.
    pub reply: &'a mut Reply,
    /// EVAL's script cache and the running script, if any.
    pub scripting: &'a mut crate::scripting::Scripting,
    /// The function libraries.
    pub functions: &'a mut crate::scripting::function::Functions,
    /// The lazy-free thread, which takes a flushed interpreter to free it off the loop.
    pub lazyfree: &'a mut crate::keyspace::lazyfree::LazyFree,
}

/// The parts MULTI, EXEC, DISCARD and WATCH work on ([`Ctx::transaction`]), borrowed side by side.
pub struct Transaction<'a> {
    /// The calling client (its queue, flags and reply).
    pub client: &'a mut ClientState,
    /// Who watches which keys, and which watchers a change has made fail.
    pub watches: &'a mut crate::multi::WatchTable,
    /// The databases, to read: WATCH records whether a key exists, EXEC whether a watched key expired since.
    pub dbs: &'a [Db],
    /// The server's clock.
    pub now_ms: i64,
}

/// The views.
impl<'a> Ctx<'a> {
    /// The context of a call for `client` on `srv` (the server's call path, the handler harness).
    #[inline]
    pub fn new(client: &'a mut ClientState, srv: &'a mut ServerState) -> Ctx<'a> {
        Ctx { client, srv }
    }

    /// The whole server: the one view beyond the narrow ones, for the families that act on the server as a whole
    /// (see the module docs). Data-type handlers never take it.
    #[inline]
    pub fn server(&mut self) -> &mut ServerState {
        self.srv
    }

    /// [`Ctx::server`] for reading.
    #[inline]
    pub fn server_ref(&self) -> &ServerState {
        self.srv
    }

    /// [`Ctx::server`] beside the calling client, for the whole-server families that work on both at once.
    #[inline]
    pub fn client_and_server(&mut self) -> (&mut ClientState, &mut ServerState) {
        (self.client, self.srv)
    }

    /// The calling client.
    #[inline]
    pub fn client(&self) -> &ClientState {
        self.client
    }

    /// The calling client, to change its own state (its selected database, flags, name, ...).
    #[inline]
    pub fn client_mut(&mut self) -> &mut ClientState {
        self.client
    }

    /// The configuration in force.
    #[inline]
    pub fn config(&self) -> &crate::config::Config {
        &self.srv.config
    }

    /// The counters of `INFO stats` (keyspace hits and misses, ...).
    #[inline]
    pub fn stats_mut(&mut self) -> &mut crate::state::Stats {
        &mut self.srv.stats
    }

    /// The counters of `INFO stats` (to read) beside the calling client's reply: LATENCY HISTOGRAM.
    #[inline]
    pub fn stats_and_reply(&mut self) -> (&crate::state::Stats, &mut Reply) {
        (&self.srv.stats, &mut self.client.reply)
    }

    /// Redis's 24-bit LRU clock (an object's idle time is measured against it).
    #[inline]
    pub fn lru_clock(&self) -> u32 {
        self.srv.lru_clock
    }

    /// The server's random generator.
    #[inline]
    pub fn rng(&mut self) -> &mut crate::util::Rng {
        &mut self.srv.rng
    }

    /// Replication: the role, the link, the offsets (to read).
    #[inline]
    pub fn repl(&self) -> &crate::state::repl::roles::Repl {
        &self.srv.repl
    }

    /// Whether the server runs in cluster mode (`cluster-enabled yes`).
    #[inline]
    pub fn in_cluster(&self) -> bool {
        self.srv.cluster.is_some()
    }

    /// Whether the server runs as a Sentinel.
    #[inline]
    pub fn sentinel_mode(&self) -> bool {
        self.srv.sentinel.is_some()
    }

    /// The number of databases.
    #[inline]
    pub fn db_count(&self) -> usize {
        self.srv.dbs.len()
    }

    /// The calling client's reply sink.
    #[inline]
    pub fn reply(&mut self) -> &mut Reply {
        &mut self.client.reply
    }

    /// The client's selected database, for reading several keys at once (no expiry, no touch: the caller looked
    /// them up already).
    #[inline]
    pub fn db_ref(&self) -> &Db {
        &self.srv.dbs[self.client.db]
    }

    #[inline]
    pub fn now_ms(&self) -> i64 {
        self.srv.now_ms
    }

    /// `proto-max-bulk-len`: the largest string a command may build (Redis's `checkStringLength`).
    #[inline]
    pub fn proto_max_bulk_len(&self) -> u64 {
        self.srv.config.proto_max_bulk_len.max(0) as u64
    }

    /// Whether a command that sets an expiry time already in the past deletes the key at once (Redis's
    /// `checkAlreadyExpired`): never on a replica (its master sends the DEL), nor while an AOF is loaded.
    #[inline]
    pub fn deletes_already_expired(&self) -> bool {
        !self.srv.repl.is_replica() && !self.srv.persist.stats.loading
    }

    /// Whether this call is serving a client that was blocked on a key (its propagated form can differ).
    #[inline]
    pub fn serving_blocked(&self) -> bool {
        self.srv.blocking.serving.is_some()
    }

    /// While the server serves clients blocked on one ready key: that key.
    #[inline]
    pub fn serving_key(&self) -> Option<&[u8]> {
        self.srv.blocking.serving.as_deref()
    }

    /// Asks the server to block the calling client once this call returns (`command::blocking::block`).
    #[inline]
    pub fn request_block(&mut self, wait: crate::blocking::Blocked) {
        self.srv.blocking.request = Some(wait);
    }

    /// When this call serves this client after it blocked on a key: the key that became ready and the client's
    /// wait (XREAD re-checks its ids against it).
    #[inline]
    pub fn served_wait(&self) -> Option<(&[u8], &crate::blocking::Blocked)> {
        let key = self.srv.blocking.serving.as_deref()?;
        Some((key, self.srv.blocking.clients.get(&self.client.id)?))
    }

    /// The node limits a stream grows with (`stream-node-max-bytes`, `stream-node-max-entries`).
    #[inline]
    pub fn stream_limits(&self) -> crate::keyspace::types::stream::NodeLimits {
        crate::keyspace::types::stream::NodeLimits {
            max_bytes: self.srv.config.stream_node_max_bytes.max(0) as usize,
            max_entries: self.srv.config.stream_node_max_entries,
        }
    }

    /// The selected database (for reading, as [`Ctx::db_ref`]) together with the reply sink.
    #[inline]
    pub fn db_and_reply(&mut self) -> (&Db, &mut Reply) {
        (&self.srv.dbs[self.client.db], &mut self.client.reply)
    }

    /// Whether what this call propagates goes anywhere (AOF on or replicas attached): lets a handler skip building
    /// a long replacement stream nobody reads.
    #[inline]
    pub fn propagating(&self) -> bool {
        self.srv.prop.enabled
    }

    /// The LRU/LFU field a freshly created object gets (Redis's `createObject`).
    #[inline]
    pub fn fresh_lru(&self) -> u32 {
        if self.srv.config.maxmemory_policy.is_lfu() {
            crate::keyspace::object::lfu_init(self.srv.now_ms)
        } else {
            self.srv.lru_clock
        }
    }

    /// Whether `maxmemory-policy` is an LFU one (an overwritten value keeps its counter).
    #[inline]
    pub fn lfu_policy(&self) -> bool {
        self.srv.config.maxmemory_policy.is_lfu()
    }

    /// What a write access does to an existing key's LRU/LFU field (`touch_old` false: the caller's own lookup
    /// already counted it; CLIENT NO-TOUCH skips it).
    #[inline]
    pub fn write_touch(&self, touch_old: bool) -> crate::state::evict::pool::Touch {
        if !touch_old || self.client.has(crate::net::client::flags::NO_TOUCH) {
            crate::state::evict::pool::Touch::Skip
        } else {
            crate::state::evict::touch(self.srv)
        }
    }

    /// Looks a key up for reading: expires it lazily, counts a hit or a miss, and touches its LRU/LFU field.
    #[inline]
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.read_reply(key).0
    }

    /// [`Ctx::lookup_read`], also handing out the reply sink so the handler can answer while it holds the entry.
    #[inline]
    pub fn read_reply(&mut self, key: &[u8]) -> (Option<&mut Entry>, &mut Reply) {
        let (e, r, _) = self.read_reply_rng(key);
        (e, r)
    }

    /// [`Ctx::read_reply`], also lending the server's random generator (HRANDFIELD and friends pick while they
    /// hold the entry).
    #[inline]
    pub fn read_reply_rng(&mut self, key: &[u8]) -> (Option<&mut Entry>, &mut Reply, &mut crate::util::Rng) {
        let Ctx { client, srv } = self;
        let touch = if client.has(crate::net::client::flags::NO_TOUCH) {
            crate::state::evict::pool::Touch::Skip
        } else {
            crate::state::evict::touch(srv)
        };
        let now = srv.now_ms;
        let ServerState { dbs, rng, stats, tracking, .. } = &mut **srv;
        // A tracking client's read is remembered after the command: the keyspace's hash of the key is kept for it.
        let found = if client.has(crate::net::client::flags::TRACKING) {
            let (found, hk) = dbs[client.db].lookup_hashed(key, now);
            tracking.note_lookup(key, hk);
            found
        } else {
            dbs[client.db].lookup(key, now)
        };
        let found = match found {
            Some(e) => {
                stats.keyspace_hits += 1;
                touch.apply(e);
                Some(e)
            }
            None => {
                stats.keyspace_misses += 1;
                None
            }
        };
        (found, &mut client.reply, rng)
    }

    /// Looks a key up for reading without touching its LRU/LFU field (Redis's `LOOKUP_NOTOUCH`: TYPE, EXISTS,
    /// OBJECT, ...): expires it lazily and counts a keyspace hit or miss.
    #[inline]
    pub fn lookup_notouch(&mut self, key: &[u8]) -> Option<&Entry> {
        let now = self.srv.now_ms;
        let ServerState { dbs, stats, .. } = &mut *self.srv;
        match dbs[self.client.db].lookup(key, now) {
            Some(e) => {
                stats.keyspace_hits += 1;
                Some(e)
            }
            None => {
                stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// A random key of the selected database (RANDOMKEY), expiring the due keys it draws (Redis's
    /// `dbRandomKey`).
    #[inline]
    pub fn random_key(&mut self, now_ms: i64) -> Option<Vec<u8>> {
        let ServerState { dbs, rng, .. } = &mut *self.srv;
        dbs[self.client.db].random_key(rng, now_ms)
    }

    /// Looks a key up for writing: expires it lazily and touches it, without hit/miss counting. The entry is
    /// for reading: a change goes through a write handle ([`Ctx::write_reply`], see [`door`]).
    #[inline]
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&Entry> {
        self.write_entry_reply(key).0.map(|e| &*e)
    }

    /// [`Ctx::lookup_write`] plus the reply sink, for the door's lookups.
    #[inline]
    fn write_entry_reply(&mut self, key: &[u8]) -> (Option<&mut Entry>, &mut Reply) {
        let Ctx { client, srv } = self;
        let now = srv.now_ms;
        let touch = crate::state::evict::touch(srv);
        let found = match srv.dbs[client.db].lookup(key, now) {
            Some(e) => {
                touch.apply(e);
                Some(e)
            }
            None => None,
        };
        (found, &mut client.reply)
    }

    /// Whether the client's user may read every key with this command (SORT's BY and GET patterns: Redis's
    /// `ACLUserCheckCmdWithUnrestrictedKeyAccess`). A command outside the ACL registry is not restricted here.
    pub fn user_reads_every_key(&self, args: Args) -> bool {
        // Our master's stream and the AOF run unchecked (Redis's clients without a user).
        if crate::net::client::must_obey(self.client) {
            return true;
        }
        let Some(u) = self.srv.acl.user(self.client.user_id) else { return false };
        if u.unrestricted() {
            return true;
        }
        match lookup(args.get(0)).and_then(|cmd| crate::acl::registry::registry().id_of(cmd)) {
            Some(id) => crate::acl::reads_every_key(u, id, args),
            None => true,
        }
    }

    // --- Beside the door for single keys ([`door`]: `KeyWrite`, whose settlement reaches
    // `ServerState::key_changed`). No handler touches `dirty`, WATCH or the blocking registry itself (whole
    // databases go through `ServerState::empty_data` / `swap_dbs` / `replace_dbs`). Keyspace events are the
    // handler's own (`Ctx::notify`), since their names are per command.

    /// Wakes the clients blocked on `key` in the selected db without counting a change or touching WATCH
    /// (Redis's `signalKeyAsReady` alone: XGROUP DESTROY answers the group's blocked readers).
    #[inline]
    pub fn signal_ready(&mut self, key: &[u8]) {
        if self.srv.blocking.any_waiting() {
            self.srv.blocking.signal(self.client.db, key);
        }
    }

    /// Empties database `which`, or all of them (FLUSHDB, FLUSHALL), through the state's door for whole-database
    /// changes ([`ServerState::empty_data`](crate::state::ServerState::empty_data): WATCH, tracking and the tables'
    /// freeing as `how` says). Returns the keys removed.
    pub fn empty_data(&mut self, which: Option<usize>, how: crate::state::Emptying) -> u64 {
        self.srv.empty_data(which, how)
    }

    /// SWAPDB: databases `a` and `b` trade contents, through the state's door for whole-database changes
    /// ([`ServerState::swap_dbs`](crate::state::ServerState::swap_dbs): WATCH, and the clients blocked on keys that now
    /// hold data).
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        self.srv.swap_dbs(a, b)
    }

    /// Asks the server to act after this command (`state::Action`: a save after FLUSHALL, ...).
    pub fn request_action(&mut self, action: crate::state::Action) {
        self.srv.actions.push(action);
    }

    /// SCRIPT's and FUNCTION's view: the two script engines, the lazy-free thread their async flushes hand the old
    /// interpreter to, and the calling client's reply.
    pub fn scripts(&mut self) -> Scripts<'_> {
        let ServerState { scripting, functions, lazyfree, .. } = &mut *self.srv;
        Scripts { reply: &mut self.client.reply, scripting, functions, lazyfree }
    }

    /// MULTI/EXEC/WATCH's view: the calling client, the watch table and the databases to read.
    pub fn transaction(&mut self) -> Transaction<'_> {
        let ServerState { watches, dbs, now_ms, .. } = &mut *self.srv;
        Transaction { client: &mut *self.client, watches, dbs, now_ms: *now_ms }
    }

    /// MIGRATE's cached connections to its targets.
    pub fn migrate_sockets(&mut self) -> &mut crate::net::migrate::Sockets {
        &mut self.srv.migrate_sockets
    }

    /// CLIENT UNBLOCK's view: the registry of clients blocked on keys or streams, which it asks to unblock one.
    pub fn blocking_mut(&mut self) -> &mut crate::blocking::Blocking {
        &mut self.srv.blocking
    }

    /// Whether client `id` waits in a SHUTDOWN for its replicas to catch up.
    pub fn waits_in_shutdown(&self, id: u64) -> bool {
        self.srv.shutdown.blocked.iter().any(|&(x, _)| x == id)
    }

    /// Counts changes that are not one key's (SWAPDB, FLUSHDB's removed keys, FUNCTION LOAD/DELETE/FLUSH), for
    /// save points and propagation.
    #[inline]
    pub fn count_changes(&mut self, n: u64) {
        self.srv.persist.dirty += n;
    }

    /// Propagates this command as `argv` instead of its own arguments (Redis's `rewriteClientCommandVector`):
    /// the replay-safe form (PEXPIREAT for a relative expiry, LPOP for BLPOP, ...). Takes effect only if the
    /// command changed the dataset.
    pub fn rewrite<S: AsRef<[u8]>>(&mut self, argv: &[S]) {
        if self.srv.prop.enabled {
            self.srv.prop.call.rewrite = Some(argv.iter().map(|a| a.as_ref().to_vec()).collect());
        }
    }

    /// Propagates `argv` in the selected database as part of this command's effects (Redis's `alsoPropagate`).
    pub fn also_propagate<S: AsRef<[u8]>>(&mut self, argv: &[S]) {
        let db = self.client.db;
        self.srv.prop.also(db, argv, crate::propagate::TARGET_ALL);
    }

    /// The command's own arguments are not propagated (it propagated its effects with [`Ctx::also_propagate`]).
    pub fn prevent_propagation(&mut self) {
        if self.srv.prop.enabled {
            self.srv.prop.call.prevent = true;
        }
    }

    /// Propagates the command even if it changed nothing (FLUSHALL of an empty server, as Redis).
    pub fn force_propagation(&mut self) {
        if self.srv.prop.enabled {
            self.srv.prop.call.force = true;
        }
    }

    /// Propagates the command to replicas only, even though it changed nothing (PUBLISH, as Redis's
    /// `forceCommandPropagation(c, PROPAGATE_REPL)`).
    pub fn force_propagation_to_replicas(&mut self) {
        if self.srv.prop.enabled {
            self.srv.prop.call.force = true;
            self.srv.prop.call.force_targets = crate::propagate::TARGET_REPL;
        }
    }

    /// `DEL` or `UNLINK` for a deletion the server decides on (expiry): Redis's `propagateDeletion`.
    pub fn del_verb(&self) -> &'static [u8] {
        self.srv.expire_del_verb()
    }

    /// The collection conversion thresholds from the current config.
    pub fn thresholds(&self) -> crate::keyspace::types::Thresholds {
        crate::keyspace::thresholds(&self.srv.config)
    }

    /// Looks up a key that must hold a `T` for reading (hit/miss counted, touched). `Ok(None)` when missing;
    /// `Err(WrongType)` after replying WRONGTYPE. The reply sink comes along so the handler can answer while borrowing.
    pub fn read_typed<T: ValueKind>(&mut self, key: &[u8]) -> Result<(Option<&mut T>, &mut Reply), WrongType> {
        let (e, r) = self.read_reply(key);
        typed(e, r)
    }

    /// Sets a fresh entry's LRU/LFU field as Redis's `createObject` does.
    #[inline]
    pub fn init_lru(&self, e: &mut Entry) {
        e.set_lru(self.fresh_lru());
    }
}

/// Keyspace notifications from handlers (the machinery is in [`crate::state::notify`]).
impl Ctx<'_> {
    /// A keyspace event about `key` in the client's selected database (see the module docs). Call it after the
    /// change, once per event Redis emits, with Redis's event name.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        if self.srv.config.notify_keyspace_events & class == 0 {
            return;
        }
        let db = self.client.db;
        self.notify_slow(class, event, key, db);
    }

    /// Counts hash fields deleted because their TTL passed (INFO's `expired_subkeys`).
    #[inline]
    pub fn count_expired_fields(&mut self, n: u64) {
        self.srv.stats.expired_subkeys += n;
    }

    /// [`Ctx::notify`] for hash-field expiry: one published event, and a change-feed entry per field.
    pub fn notify_fields(&mut self, class: u32, event: &str, key: &[u8], fields: &[&[u8]]) {
        if self.srv.config.notify_keyspace_events & class == 0 {
            return;
        }
        if crate::state::notify::pending() {
            crate::state::notify::drain(self.srv, Some(&mut *self.client));
        }
        let db = self.client.db;
        crate::state::notify::emit_with(self.srv, Some(&mut *self.client), class, event, key, db, fields);
    }

    /// [`Ctx::notify`] for a key of another database (MOVE, COPY ... DB).
    #[inline]
    pub fn notify_db(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        if self.srv.config.notify_keyspace_events & class == 0 {
            return;
        }
        self.notify_slow(class, event, key, db);
    }

    #[cold]
    fn notify_slow(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        if crate::state::notify::pending() {
            crate::state::notify::drain(self.srv, Some(&mut *self.client));
        }
        crate::state::notify::emit(self.srv, Some(&mut *self.client), class, event, key, db);
    }
}

/// When a handler is done, the keys it changed satisfy the keyspace invariants ([`door`]): checked in debug
/// builds. The impl exists in every build so that a `Ctx`'s borrows end at the same place in all of them.
impl Drop for Ctx<'_> {
    #[inline]
    fn drop(&mut self) {
        #[cfg(debug_assertions)]
        if !std::thread::panicking() {
            door::check_settled(self.srv);
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
