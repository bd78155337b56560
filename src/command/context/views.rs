//! The grouped views of [`Ctx`]: reads of the server's settings and role ([`Settings`]), the propagation requests
//! ([`Propagation`]) and the registry of blocked clients ([`Blocking`]). Each is a borrow of the fields it names,
//! made by one `#[inline]` call of [`Ctx`] ([`Ctx::settings`], [`Ctx::propagation`], [`Ctx::blocking`]).

use super::Ctx;
use crate::state::ServerState;

/// Reads of the server's settings, clock and role ([`Ctx::settings`]).
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    srv: &'a ServerState,
}

impl<'a> Settings<'a> {
    /// Redis's 24-bit LRU clock (an object's idle time is measured against it).
    #[inline]
    pub fn lru_clock(&self) -> u32 {
        self.srv.lru_clock
    }

    /// What a database lookup needs besides the key (the command's time, lazy expiry's mode, the events to
    /// record: [`ServerState::lookup_clock`]), for a handler that works on a [`Db`](crate::keyspace::db::Db) itself.
    #[inline]
    pub fn lookup_clock(&self) -> crate::keyspace::db::LookupClock {
        self.srv.lookup_clock()
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

    /// Replication: the role, the link, the offsets (to read).
    #[inline]
    pub fn repl(&self) -> &'a crate::state::repl::roles::Repl {
        &self.srv.repl
    }

    /// Whether the server runs in cluster mode (`cluster-enabled yes`).
    #[inline]
    pub fn in_cluster(&self) -> bool {
        self.srv.cluster.is_some()
    }

    /// Whether the server is a cluster node serving numbered databases (Valkey 9's `cluster-databases` N > 1):
    /// then SELECT, MOVE and COPY ... DB work as outside cluster mode (SWAPDB stays refused).
    #[inline]
    pub fn cluster_multi_db(&self) -> bool {
        self.srv.cluster.is_some() && crate::state::cluster_databases(&self.srv.config) > 1
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

    /// The node limits a stream grows with (`stream-node-max-bytes`, `stream-node-max-entries`).
    #[inline]
    pub fn stream_limits(&self) -> crate::keyspace::types::stream::NodeLimits {
        crate::keyspace::types::stream::NodeLimits {
            max_bytes: self.srv.config.stream_node_max_bytes.max(0) as usize,
            max_entries: self.srv.config.stream_node_max_entries,
        }
    }

    /// The idempotency bounds a new stream starts with (`stream-idmp-duration`, `stream-idmp-maxsize`).
    #[inline]
    pub fn stream_idmp_defaults(&self) -> (u64, u64) {
        (self.srv.config.stream_idmp_duration.max(1) as u64, self.srv.config.stream_idmp_maxsize.max(1) as u64)
    }

    /// The collection conversion thresholds from the current config.
    pub fn thresholds(&self) -> crate::keyspace::types::Thresholds {
        crate::keyspace::thresholds(&self.srv.config)
    }

    /// `DEL` or `UNLINK` for a deletion the server decides on (expiry): Redis's `propagateDeletion`.
    pub fn del_verb(&self) -> &'static [u8] {
        self.srv.expire_del_verb()
    }
}

/// What the call propagates, as the handler asks ([`Ctx::propagation`]).
pub struct Propagation<'a> {
    prop: &'a mut crate::propagate::Propagation,
    db: usize,
}

impl Propagation<'_> {
    /// Whether what this call propagates goes anywhere (AOF on or replicas attached): lets a handler skip building
    /// a long replacement stream nobody reads.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.prop.enabled
    }

    /// Propagates this command as `argv` instead of its own arguments (Redis's `rewriteClientCommandVector`):
    /// the replay-safe form (PEXPIREAT for a relative expiry, LPOP for BLPOP, ...). Takes effect only if the
    /// command changed the dataset.
    pub fn rewrite<S: AsRef<[u8]>>(&mut self, argv: &[S]) {
        if self.prop.enabled {
            self.prop.call.rewrite = Some(argv.iter().map(|a| a.as_ref().to_vec()).collect());
        }
    }

    /// Propagates `argv` in the selected database as part of this command's effects (Redis's `alsoPropagate`).
    pub fn also<S: AsRef<[u8]>>(&mut self, argv: &[S]) {
        self.prop.also(self.db, argv, crate::propagate::TARGET_ALL);
    }

    /// The command's own arguments are not propagated (it propagated its effects with [`Propagation::also`]).
    pub fn prevent(&mut self) {
        if self.prop.enabled {
            self.prop.call.prevent = true;
        }
    }

    /// Propagates the command even if it changed nothing (FLUSHALL of an empty server, as Redis).
    pub fn force(&mut self) {
        if self.prop.enabled {
            self.prop.call.force = true;
        }
    }

    /// Propagates the command to replicas only, even though it changed nothing (PUBLISH, as Redis's
    /// `forceCommandPropagation(c, PROPAGATE_REPL)`).
    pub fn force_to_replicas(&mut self) {
        if self.prop.enabled {
            self.prop.call.force = true;
            self.prop.call.force_targets = crate::propagate::TARGET_REPL;
        }
    }
}

/// The registry of clients blocked on keys, as the calling client sees it ([`Ctx::blocking`]).
pub struct Blocking<'a> {
    srv: &'a mut ServerState,
    client_id: u64,
    db: usize,
}

impl<'a> Blocking<'a> {
    /// While the server serves clients blocked on one ready key: that key.
    #[inline]
    pub fn serving_key(self) -> Option<&'a [u8]> {
        self.srv.blocking.serving.as_deref()
    }

    /// When this call serves this client after it blocked on a key: the key that became ready and the client's
    /// wait (XREAD re-checks its ids against it).
    #[inline]
    pub fn served_wait(self) -> Option<(&'a [u8], &'a crate::blocking::Blocked)> {
        let b = &self.srv.blocking;
        let key = b.serving.as_deref()?;
        Some((key, b.clients.get(&self.client_id)?))
    }

    /// Asks the server to block the calling client once this call returns
    /// ([`command::blocking::block`](crate::command::blocking::block)).
    #[inline]
    pub fn request(self, wait: crate::blocking::Blocked) {
        self.srv.blocking.request = Some(wait);
    }

    /// Wakes the clients blocked on `key` in the selected db without counting a change or touching WATCH
    /// (Redis's `signalKeyAsReady` alone: XGROUP DESTROY answers the group's blocked readers).
    #[inline]
    pub fn signal_ready(self, key: &[u8]) {
        if self.srv.blocking.any_waiting() {
            self.srv.blocking.signal(self.db, key);
        }
    }

    /// CLIENT UNBLOCK's view: the registry itself, which it asks to unblock one client.
    pub fn registry_mut(self) -> &'a mut crate::blocking::Blocking {
        &mut self.srv.blocking
    }

    /// Whether client `id` waits in a SHUTDOWN for its replicas to catch up.
    pub fn waits_in_shutdown(self, id: u64) -> bool {
        self.srv.shutdown.blocked.iter().any(|&(x, _)| x == id)
    }
}

/// The grouped views.
impl Ctx<'_> {
    /// Reads of the server's settings, clock and role ([`Settings`]).
    #[inline]
    pub fn settings(&self) -> Settings<'_> {
        Settings { srv: self.srv }
    }

    /// The propagation requests of this call ([`Propagation`]).
    #[inline]
    pub fn propagation(&mut self) -> Propagation<'_> {
        Propagation { prop: &mut self.srv.prop, db: self.client.db }
    }

    /// The registry of clients blocked on keys ([`Blocking`]).
    #[inline]
    pub fn blocking(&mut self) -> Blocking<'_> {
        Blocking { srv: self.srv, client_id: self.client.id, db: self.client.db }
    }
}
