//! The cluster's operations on the whole server state (the cluster's data and its bus live in [`crate::cluster`]).
//!
//! Cluster mode's life outside the bus: start-up (Redis's `clusterInit`: lock nodes.conf, load it or create a
//! new node, save), the check of loaded data against the slots (`verifyClusterConfigWithData`), what
//! `before_sleep` does for the `todo` bits the commands set (state update, config save), and keeping `myself` in
//! step with the `cluster-announce-*` settings. The bus has its own listener, cron and failover handling
//! (`server/cluster.rs`).

use crate::args::Args;
use crate::cluster::nodes_conf::Fatal;
use crate::cluster::redirect::{self, node_by_query, Query, Redirect};
use crate::cluster::{flags, nodes_conf, todo, Cluster};
use crate::command_spec::Command;
use crate::state::ServerState;

/// Redis's `CLUSTER_PORT_INCR`: the bus listens on the client port plus this unless `cluster-port` says.
pub const PORT_INCR: u16 = 10000;

/// Whether the cluster speaks TLS (`tls-cluster yes` in a build with TLS): the bus, and the port nodes announce
/// to clients is the TLS port.
pub fn tls_cluster(config: &crate::config::Config) -> bool {
    cfg!(feature = "tls") && config.stored_bool("tls-cluster")
}

/// The client port the cluster is reached on: the TLS port with [`tls_cluster`], else the plain one.
pub fn client_port(config: &crate::config::Config) -> u16 {
    if tls_cluster(config) {
        config.stored_i64("tls-port") as u16
    } else {
        config.port
    }
}

/// The port the bus listens on: `cluster-port`, or the [`client_port`] + 10000.
pub fn bus_port(config: &crate::config::Config) -> u16 {
    match config.stored_i64("cluster-port") {
        p if p > 0 => p as u16,
        _ => client_port(config).wrapping_add(PORT_INCR),
    }
}

/// Whether a client with `client_flags` is a plain client of a [`tls_cluster`] (Redis's `use_pport`): it is
/// given the nodes' plaintext ports.
pub fn use_pport(config: &crate::config::Config, client_flags: u32) -> bool {
    tls_cluster(config) && client_flags & crate::net::client::flags::TLS == 0
}

/// The ports this node announces (Redis's `deriveAnnouncedPorts`): (client port, plaintext port, bus port). With
/// [`tls_cluster`] the client port is the TLS one and the plaintext port the plain one (0 otherwise);
/// `cluster-announce-tls-port` / `-port` / `-bus-port` override them.
pub fn announced_ports(config: &crate::config::Config) -> (u16, u16, u16) {
    let tls = tls_cluster(config);
    let announce = |name: &str| Some(config.stored_i64(name)).filter(|&p| p > 0).map(|p| p as u16);
    let (mut port, mut pport) = (client_port(config), if tls { config.port } else { 0 });
    match (announce("cluster-announce-tls-port"), announce("cluster-announce-port")) {
        (Some(t), p) if tls => (port, pport) = (t, p.unwrap_or(0)),
        (_, Some(p)) => port = p,
        _ => {}
    }
    (port, pport, announce("cluster-announce-bus-port").unwrap_or_else(|| bus_port(config)))
}

/// Starts cluster mode (Redis's `clusterInit`), before any data is loaded: on failure Redis's warning has been
/// logged and the server exits with status 1.
pub fn init(st: &mut ServerState) -> Result<(), Fatal> {
    let path = st.config.stored_str("cluster-config-file").to_string();
    let now = crate::util::now_ms();
    let lock = nodes_conf::lock(&path)?;
    let (mut cl, created) = match nodes_conf::load(&path, now)? {
        Some(cl) => (cl, false),
        None => {
            let id = crate::cluster::random_node_id(&mut st.rng);
            let mut cl = Cluster::new(id, now, path.clone());
            // Its own random shard id, as Redis 7.2 gives a new node (not its name).
            cl.me_mut().shard_id = crate::cluster::random_node_id(&mut st.rng);
            crate::log_notice!("No cluster configuration found, I'm {}", cl.me().name());
            (cl, true)
        }
    };
    cl.conf_lock = nodes_conf::ConfLock::new(lock);
    // Redis starts counting one master (itself) until the first state update.
    cl.size = 1;
    if created && nodes_conf::save(&cl, true, now).is_err() {
        crate::log_warning!("Fatal: can't update cluster config file.");
        return Err(Fatal);
    }
    if st.config.stored_i64("cluster-port") == 0 && client_port(&st.config) > 65535 - PORT_INCR {
        crate::log_warning!(
            "Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis \
             port. Your Redis port number must be 55535 or less."
        );
        return Err(Fatal);
    }
    sync_myself(&mut cl, &st.config);
    redirect::sync_settings(&mut cl, &st.config);
    for db in st.dbs.iter_mut() {
        db.enable_slot_index();
    }
    st.cluster = Some(Box::new(cl));
    Ok(())
}

/// Deletes the keys of `slot` in every database (Redis's `delKeysInSlot`; Valkey 9.0 goes through each of the
/// `cluster-databases`), each one propagated as DEL and notified; returns how many went. For a node that lost a
/// slot it still had keys in, or an import that was cancelled.
pub fn del_keys_in_slot(st: &mut ServerState, slot: usize) -> usize {
    delete_slot_keys(st, slot, None)
}

/// CLUSTER FLUSHSLOT's deletions (Valkey 9.0): the keys of `slot` in every database, each one notified (`del`) and
/// its WATCHers signalled, big values freed by the lazy-free thread when `lazy` (ASYNC); nothing propagated per key,
/// since the command itself goes to replicas and the AOF. Returns how many went.
pub fn flush_slot(st: &mut ServerState, slot: usize, lazy: bool) -> usize {
    delete_slot_keys(st, slot, Some(lazy))
}

/// The deletions of [`del_keys_in_slot`] (`flush` None: DELs propagated, values freed as
/// [`Db::delete`](crate::keyspace::db::Db::delete) frees them) and of [`flush_slot`] (`flush` Some(lazy)).
fn delete_slot_keys(st: &mut ServerState, slot: usize, flush: Option<bool>) -> usize {
    let mut n = 0;
    for db in 0..st.dbs.len() {
        if st.dbs[db].count_keys_in_slot(slot) == 0 {
            continue;
        }
        for k in st.dbs[db].keys_in_slot(slot, usize::MAX) {
            match flush {
                None if !st.dbs[db].delete(&k) => continue,
                None => {}
                Some(lazy) => {
                    let Some(e) = st.dbs[db].remove(&k) else { continue };
                    st.lazyfree.free_deleted(e, lazy);
                }
            }
            n += 1;
            st.key_changed(db, &k, 1, 0);
            if st.config.notify_keyspace_events & crate::config::notify::GENERIC != 0 {
                crate::state::notify::emit(st, None, crate::config::notify::GENERIC, "del", &k, db);
            }
            if flush.is_none() {
                st.prop.also(db, &[b"DEL".as_slice(), k.as_slice()], crate::propagate::TARGET_ALL);
                st.prop.flush_unit();
            }
        }
    }
    n
}

/// After loading the data (Redis's `verifyClusterConfigWithData`): keys in another database than 0 stop the
/// server (unless `cluster-databases` N > 1, Valkey 9.0, where every database's keys count); a master with keys of slots it does not serve takes unassigned ones and marks the others as
/// importing.
pub fn after_load(st: &mut ServerState) -> Result<(), Fatal> {
    let Some(cl) = st.cluster.as_deref_mut() else { return Ok(()) };
    if cl.me().is_replica() {
        return Ok(());
    }
    if crate::state::cluster_databases(&st.config) == 1 && st.dbs.iter().skip(1).any(|db| !db.is_empty()) {
        crate::log_warning!("You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.");
        return Err(Fatal);
    }
    let mut changed = false;
    let me = cl.myself;
    if !st.dbs.is_empty() {
        for slot in 0..crate::cluster::SLOTS {
            if st.dbs.iter().all(|db| db.count_keys_in_slot(slot) == 0)
                || cl.slots[slot] == me
                || cl.importing_from[slot] != crate::cluster::NO_NODE
            {
                continue;
            }
            changed = true;
            if cl.slots[slot] == crate::cluster::NO_NODE {
                crate::log_warning!("I have keys for unassigned slot {slot}. Taking responsibility for it.");
                cl.add_slot(me, slot);
            } else {
                crate::log_warning!(
                    "I have keys for slot {slot}, but the slot is assigned to another node. Setting it to importing \
                     state."
                );
                cl.importing_from[slot] = cl.slots[slot];
            }
        }
    }
    if changed && nodes_conf::save(cl, true, crate::util::now_ms()).is_err() {
        crate::log_warning!("Fatal: can't update cluster config file.");
        return Err(Fatal);
    }
    Ok(())
}

/// `myself`'s announced address, ports, hostname and `nofailover` flag from the configuration (Redis's
/// `clusterUpdateMyself*`, run on CONFIG SET; here at start and from the cron).
pub fn sync_myself(cl: &mut Cluster, config: &crate::config::Config) {
    let (port, pport, cport) = announced_ports(config);
    let announce_ip = config.stored_str("cluster-announce-ip");
    let hostname = config.stored_str("cluster-announce-hostname");
    let nofailover = if config.stored_bool("cluster-replica-no-failover") { flags::NOFAILOVER } else { 0 };
    let prev_ip = std::mem::take(&mut cl.health.announced_ip);
    let me = cl.me_mut();
    me.port = port;
    me.pport = pport;
    me.cport = cport;
    // An announced address replaces the one the bus learns; removing it lets the bus learn it again.
    if announce_ip != prev_ip {
        me.ip = announce_ip.to_string();
    }
    if me.hostname != hostname {
        me.hostname = hostname.to_string();
    }
    let old = me.flags;
    me.flags = (me.flags & !flags::NOFAILOVER) | nofailover;
    let changed = me.flags != old;
    cl.health.announced_ip = announce_ip.to_string();
    // What the bus's headers announce follows at once too (Redis reads the configuration as it builds each).
    let s = &mut cl.bus.settings;
    if s.announce_ip != announce_ip {
        s.announce_ip = announce_ip.to_string();
    }
    (s.port, s.pport, s.cport) = (port, pport, cport);
    if changed {
        cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE);
    }
}

/// From the server cron: the settings `update_state` reads and `myself`'s announced address and flags (the
/// bus's cron, `server/cluster.rs`, does the rest).
pub fn cron(st: &mut ServerState) {
    let Some(cl) = st.cluster.as_deref_mut() else { return };
    redirect::sync_settings(cl, &st.config);
    sync_myself(cl, &st.config);
}

/// The largest epoch known: every node's config epoch and the current epoch (Redis's `clusterGetMaxEpoch`).
pub fn max_epoch(cl: &Cluster) -> u64 {
    cl.iter().map(|(_, n)| n.config_epoch).max().unwrap_or(0).max(cl.current_epoch)
}

/// A new config epoch for `myself` without asking the others, unless it already has the largest one (Redis's
/// `clusterBumpConfigEpochWithoutConsensus`): CLUSTER BUMPEPOCH, the end of a slot import, a takeover.
pub fn bump_epoch(cl: &mut Cluster) -> bool {
    let max = max_epoch(cl);
    let mine = cl.me().config_epoch;
    if mine != 0 && mine == max {
        return false;
    }
    cl.current_epoch += 1;
    let epoch = cl.current_epoch;
    cl.me_mut().config_epoch = epoch;
    cl.ask(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
    crate::log_warning!("New configEpoch set to {epoch}");
    true
}

/// Forgets every migrating and importing mark (Redis's `clusterCloseAllSlots`).
pub fn close_all_slots(cl: &mut Cluster) {
    cl.migrating_to.fill(crate::cluster::NO_NODE);
    cl.importing_from.fill(crate::cluster::NO_NODE);
}

/// CLUSTER RESET (Redis's `clusterReset`): a replica becomes an empty master; slots, marks and every other node
/// are forgotten; HARD also zeroes the epochs and takes a new node id.
pub fn reset(st: &mut ServerState, hard: bool) {
    let Some(cl) = st.cluster.as_deref_mut() else { return };
    let was_replica = cl.me().is_replica();
    if was_replica {
        let me = cl.myself;
        cl.set_master_of(me, crate::cluster::NO_NODE);
        let n = cl.me_mut();
        n.flags &= !flags::REPLICA;
        n.flags |= flags::MASTER;
    }
    close_all_slots(cl);
    crate::cluster::failover::reset_manual(cl);
    for s in 0..crate::cluster::SLOTS {
        cl.del_slot(s);
    }
    let others: Vec<crate::cluster::NodeIdx> = cl.iter().map(|(i, _)| i).filter(|&i| i != cl.myself).collect();
    for i in others {
        crate::cluster::bus::del_node(cl, i);
    }
    if hard {
        cl.current_epoch = 0;
        cl.last_vote_epoch = 0;
        cl.me_mut().config_epoch = 0;
        crate::log_warning!("configEpoch set to 0 via CLUSTER RESET HARD");
        let old = cl.me().id;
        let id = crate::cluster::random_node_id(&mut st.rng);
        cl.by_id.remove(&old);
        cl.me_mut().id = id;
        // A new shard too (Redis 7.2's clusterReset).
        cl.me_mut().shard_id = crate::cluster::random_node_id(&mut st.rng);
        let me = cl.myself;
        cl.by_id.insert(id, me);
        crate::log_notice!("Node hard reset, now I'm {}", cl.me().name());
    }
    cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
    if was_replica {
        cl.bus.effects.push(crate::cluster::bus::Effect::UnsetMaster);
        st.empty_data(None, crate::state::Emptying::Sync);
    }
}

// ---- redirection (the checks that take the server state; the rules are crate::cluster::redirect) ----

/// A client's command in cluster mode (Redis's `processCommand` step): `Err` is the redirection error text.
/// Our master's stream and the AOF replay are never redirected.
#[inline]
pub fn check_client(
    st: &mut ServerState,
    c: &crate::net::client::ClientState,
    cmd: &'static Command,
    flags: u64,
    args: Args,
) -> Result<(), String> {
    let Some(cl) = st.cluster.as_deref() else { return Ok(()) };
    let exec = crate::command_spec::is_exec(cmd);
    if !exec && !redirect::may_have_keys(cmd) {
        set_query(st, -1, c.flags);
        return Ok(());
    }
    let q = Query { cmd, args, flags, client_flags: c.flags, multi: c.multi.as_deref() };
    let db = st.dbs.get(c.db).unwrap_or(&st.dbs[0]);
    match node_by_query(db, st.now_ms, &st.config, cl, &q) {
        Ok(slot) => {
            set_query(st, slot, c.flags);
            Ok(())
        }
        Err(r) => Err(r.text(st.cluster.as_deref(), &st.config, use_pport(&st.config, c.flags))),
    }
}

fn set_query(st: &mut ServerState, slot: i32, client_flags: u32) {
    if let Some(cl) = st.cluster.as_deref_mut() {
        cl.health.query_slot = slot;
        cl.health.query_flags =
            client_flags & (crate::net::client::flags::READONLY | crate::net::client::flags::ASKING);
    }
}

/// `redis.call` in cluster mode (Redis's `scriptVerifyClusterState`): the command must be served here, and
/// touch only the slot the script's caller touches (unless the script allows cross-slot keys).
pub fn check_script(
    st: &mut ServerState,
    cmd: &'static Command,
    args: Args,
    db: usize,
    allow_cross_slot: bool,
) -> Result<(), &'static str> {
    let Some(cl) = st.cluster.as_deref_mut() else { return Ok(()) };
    if allow_cross_slot {
        // A cross-slot script's time and bytes belong to no slot (Valkey's
        // clusterSlotStatsInvalidateSlotIfApplicable, after each of its calls).
        cl.health.query_slot = -1;
    }
    if !redirect::may_have_keys(cmd) {
        return Ok(());
    }
    let cl = &*cl;
    let q = Query { cmd, args, flags: cmd.flags, client_flags: cl.health.query_flags, multi: None };
    let slot = node_by_query(st.dbs.get(db).unwrap_or(&st.dbs[0]), st.now_ms, &st.config, cl, &q)
        .map_err(Redirect::script_text)?;
    if slot != -1 && !allow_cross_slot {
        let Some(cl) = st.cluster.as_deref_mut() else { return Ok(()) };
        if cl.health.query_slot == -1 {
            cl.health.query_slot = slot;
        } else if cl.health.query_slot != slot {
            return Err("Script attempted to access keys that do not hash to the same slot");
        }
    }
    Ok(())
}

/// A client blocked on keys whose slot is no longer served here (Redis's
/// `clusterRedirectBlockedClientIfNeeded`): the error to unblock it with, or `None` to keep it waiting.
pub fn blocked_client_redirect(st: &ServerState, key: &[u8], client_flags: u32, write_cmd: bool) -> Option<String> {
    let cl = st.cluster.as_deref()?;
    let readonly_client = client_flags & crate::net::client::flags::READONLY != 0;
    if !cl.state_ok {
        return Some(Redirect::Down.text(Some(cl), &st.config, false));
    }
    let slot = crate::cluster::key_hash_slot(key);
    let mut node = cl.slots[slot];
    let me = cl.me();
    if readonly_client && !write_cmd && me.is_replica() && me.replicaof == node && node != crate::cluster::NO_NODE {
        node = cl.myself;
    }
    if node != cl.myself && cl.importing_from[slot] == crate::cluster::NO_NODE {
        return Some(
            if node == crate::cluster::NO_NODE { Redirect::Unbound } else { Redirect::Moved(slot, node) }.text(
                Some(cl),
                &st.config,
                use_pport(&st.config, client_flags),
            ),
        );
    }
    None
}
