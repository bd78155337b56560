//! [`Ctx`], the context a handler runs in, and the views it gives.
//!
//! A [`Ctx`] holds the calling client and the server state, both private to this module and the door below it
//! ([`door`]): a handler sees the server through named views, each as narrow as its use, so what a command family
//! can touch reads off the methods it calls.
//!
//! - The calling client: [`Ctx::reply`], [`Ctx::client`], [`Ctx::client_mut`].
//! - Keys: the one lookup, [`Ctx::lookup`] with an [`Access`] (read, write, no-touch, quiet, held: Redis's
//!   `LOOKUP_*` flags, documented in one place, [`access`]), and its typed forms [`Ctx::lookup_typed`] and
//!   [`Ctx::lookup_rng`]; they hand out shared references. [`Ctx::db`] and [`Ctx::db_and_reply`] read several
//!   keys at once after their lookups. Every change goes through the door for single keys ([`door`]: a write
//!   lookup or [`Ctx::open_write`] hands out a [`KeyWrite`], the operations on its key are its [`door::Door`], and
//!   the handle is settled).
//! - Reads of the server's settings, clock and role: [`Ctx::config`], [`Ctx::now_ms`], and [`Ctx::settings`]
//!   ([`views::Settings`]: the LRU clock, conversion thresholds, stream limits, replication role, cluster or
//!   sentinel mode, ...).
//! - Small services: [`Ctx::stats_and_reply`], [`Ctx::rng`], [`Ctx::propagation`] (the propagation requests,
//!   [`views::Propagation`]), keyspace events ([`Ctx::notify`]), server actions ([`Ctx::request_action`]), changes
//!   that are not one key's ([`Ctx::count_changes`]).
//! - Whole databases: [`Ctx::empty_data`] and [`Ctx::swap_dbs`] (FLUSHDB, FLUSHALL, SWAPDB), through the state's
//!   door for whole-database changes.
//! - One part for one family: [`Ctx::scripts`] (SCRIPT, FUNCTION: the script engines and the lazy-free thread),
//!   [`Ctx::transaction`] (MULTI, EXEC, WATCH: the watch table beside the databases), [`Ctx::migrate_sockets`]
//!   (MIGRATE), [`Ctx::blocking`] (the blocking commands and CLIENT UNBLOCK: [`views::Blocking`]).
//! - The whole server, the one exception: [`Ctx::server`] to read it, [`Ctx::server_mut`] to change it and
//!   [`Ctx::client_and_server`] to hold the client beside it. It is for the families that act on the server as a
//!   whole, each listed with why in `tests/layers.rs` (`WHOLE_SERVER_FAMILIES`), which fails when any other file
//!   takes it: CONFIG, DEBUG, INFO, MEMORY, ACL, CLIENT and the connection commands (HELLO, AUTH, RESET, ...),
//!   replication (REPLICAOF, SYNC, PSYNC, WAIT, FAILOVER, ROLE), CLUSTER, SENTINEL, the admin commands
//!   (SAVE/BGSAVE/BGREWRITEAOF, SHUTDOWN, MONITOR, SLOWLOG, ...) and pub/sub (delivery writes to other clients).
//!
//! One naming rule: an accessor `x()` lends `&`, `x_mut()` lends `&mut` ([`Ctx::client`] / [`Ctx::client_mut`],
//! [`Ctx::server`] / [`Ctx::server_mut`], [`door::Door::entry_mut`]). A view named after what it groups
//! ([`Ctx::settings`], [`Ctx::propagation`], [`Ctx::blocking`], [`Ctx::scripts`], [`Ctx::transaction`],
//! [`Ctx::door`]) borrows exactly the parts its methods use.
//!
//! The views are `#[inline]` borrows of fields (the lookups are the keyspace's own calls), so a handler pays
//! nothing for going through one. This module names no command family: the families build on it.

#![forbid(unsafe_code)]

pub mod access;
pub mod door;
pub mod views;

use super::{lookup, Args};
use crate::keyspace::db::{Db, LookupClock};
use crate::keyspace::object::ObjType;
use crate::net::client::ClientState;
use crate::resp::reply::Reply;
use crate::state::ServerState;
pub use access::Access;
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

    /// The whole server, to read: the one view beyond the narrow ones, for the families that act on the server as
    /// a whole (see the module docs). Data-type handlers never take it.
    #[inline]
    pub fn server(&self) -> &ServerState {
        self.srv
    }

    /// [`Ctx::server`] to change.
    #[inline]
    pub fn server_mut(&mut self) -> &mut ServerState {
        self.srv
    }

    /// [`Ctx::server_mut`] beside the calling client, for the whole-server families that work on both at once.
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

    /// The counters of `INFO stats` (to read) beside the calling client's reply: LATENCY HISTOGRAM.
    #[inline]
    pub fn stats_and_reply(&mut self) -> (&crate::state::Stats, &mut Reply) {
        (&self.srv.stats, &mut self.client.reply)
    }

    /// The server's random generator.
    #[inline]
    pub fn rng(&mut self) -> &mut crate::util::Rng {
        &mut self.srv.rng
    }

    /// The calling client's reply sink.
    #[inline]
    pub fn reply(&mut self) -> &mut Reply {
        &mut self.client.reply
    }

    /// The client's selected database, for reading several keys at once (no expiry, no touch: the caller looked
    /// them up already).
    #[inline]
    pub fn db(&self) -> &Db {
        &self.srv.dbs[self.client.db]
    }

    #[inline]
    pub fn now_ms(&self) -> i64 {
        self.srv.now_ms
    }

    /// The selected database (for reading, as [`Ctx::db`]) together with the reply sink.
    #[inline]
    pub fn db_and_reply(&mut self) -> (&Db, &mut Reply) {
        (&self.srv.dbs[self.client.db], &mut self.client.reply)
    }

    /// A random key of the selected database (RANDOMKEY), expiring the due keys it draws (Redis's
    /// `dbRandomKey`).
    #[inline]
    pub fn random_key(&mut self, now_ms: i64) -> Option<Vec<u8>> {
        let clock = LookupClock { now_ms, ..self.srv.lookup_clock() };
        let ServerState { dbs, rng, .. } = &mut *self.srv;
        dbs[self.client.db].random_key(rng, clock)
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

    /// Asks the server to act after this command ([`state::Action`](crate::state::Action): a save after FLUSHALL, ...).
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

    /// MIGRATE's cached connections to its targets (new ones over TLS in a `tls-cluster`, as Redis's).
    pub fn migrate_sockets(&mut self) -> &mut crate::net::migrate::Sockets {
        #[cfg(feature = "tls")]
        {
            let srv = &mut *self.srv;
            let tls = crate::state::cluster::tls_cluster(&srv.config).then_some(srv.listeners.tls.as_ref()).flatten();
            srv.migrate_sockets.tls = tls.map(|t| t.client.clone());
        }
        &mut self.srv.migrate_sockets
    }

    /// Counts changes that are not one key's (SWAPDB, FLUSHDB's removed keys, FUNCTION LOAD/DELETE/FLUSH), for
    /// save points and propagation.
    #[inline]
    pub fn count_changes(&mut self, n: u64) {
        self.srv.persist.dirty += n;
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
        crate::state::notify::publish_queued_first(self.srv, self.client);
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

    /// Redis 8.2's `overwritten`, then `type_changed` when `new` differs from the replaced value's type `old`,
    /// about `key` of database `db`: for RENAME, COPY and RESTORE, which publish them after their own event
    /// (Redis's `renameGenericCommand`, `copyCommand` and `restoreCommand`; SET and the *STORE commands publish
    /// them before theirs, from `setKey`, which the door's [`Door::insert`](door::Door::insert) does).
    pub fn notify_overwritten(&mut self, key: &[u8], db: usize, old: ObjType, new: ObjType) {
        use crate::config::notify as nc;
        self.notify_db(nc::OVERWRITTEN, "overwritten", key, db);
        if old != new {
            self.notify_db(nc::TYPE_CHANGED, "type_changed", key, db);
        }
    }

    #[cold]
    fn notify_slow(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        crate::state::notify::publish_queued_first(self.srv, self.client);
        crate::state::notify::emit(self.srv, Some(&mut *self.client), class, event, key, db);
    }
}

/// When a handler is done, the entries it changed in place are counted again in the key-size histograms, and
/// the keys it changed satisfy the keyspace invariants ([`door`]), checked in debug builds.
impl Drop for Ctx<'_> {
    #[inline]
    fn drop(&mut self) {
        // The entries the handler changed in place are counted again for `INFO keysizes` (`keyspace::keysizes`).
        if let Some(db) = self.srv.dbs.get_mut(self.client.db) {
            db.sync_sizes();
        }
        if self.srv.keysizes_lent_elsewhere {
            self.srv.keysizes_lent_elsewhere = false;
            for db in self.srv.dbs.iter_mut() {
                db.sync_sizes();
            }
        }
        #[cfg(debug_assertions)]
        if !std::thread::panicking() {
            door::check_settled(self.srv);
        }
    }
}

/// The key held another type; WRONGTYPE has already been replied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;
