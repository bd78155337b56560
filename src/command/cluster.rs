//! CLUSTER (every subcommand of Redis 7.0), READONLY, READWRITE, ASKING and RESTORE-ASKING (Redis `cluster.c`:
//! `clusterCommand`, `readonlyCommand`, `readwriteCommand`, `askingCommand`).
//!
//! With `cluster-enabled no` (no [`ServerState::cluster`](crate::state::ServerState::cluster)) every one of them but
//! RESTORE-ASKING answers `-ERR This instance has cluster support disabled`, as Redis's standalone server does. In
//! cluster mode they read and change [`crate::cluster::Cluster`]; a change of the configuration asks `before_sleep`
//! (the `todo` bits) to update the state and save nodes.conf, as Redis's `clusterDoBeforeSleep` does. The bus carries
//! out MEET, FORGET's link drop and manual failovers ([`crate::cluster::bus`], [`crate::cluster::failover`]).
//!
//! Tested by `tests/cluster/cluster_cmd.rs` (replies against redis-server, standalone and `--cluster-enabled yes`) and
//! by `tests/protocol/differential.rs`'s COMMAND INFO comparison of every command.

use std::fmt::Write as _;

use super::{flag, Args, Command, Ctx, Group, KeySpecDef, BASE, ONE_KEY};
use crate::cluster::{self, flags as nf, nodes_conf, todo, Cluster, NodeIdx, NO_NODE, SLOTS};
use crate::net::client::flags as cf;
use crate::resp::reply::Reply;
use crate::state::cluster as cluster_state;
use crate::util::parse_i64;

/// Redis's reply to every cluster command when cluster mode is off.
const DISABLED: &str = "ERR This instance has cluster support disabled";

/// Whether the caller is a plain client of a `tls-cluster` (it is given the nodes' plaintext ports).
fn plain_client(ctx: &Ctx) -> bool {
    crate::state::cluster::use_pport(ctx.config(), ctx.client().flags)
}

/// The cluster, or the disabled error.
pub(super) fn cluster<'a>(ctx: &'a mut Ctx) -> Option<&'a mut Cluster> {
    if ctx.server_mut().cluster.is_none() {
        ctx.reply().error(DISABLED);
    }
    ctx.server_mut().cluster.as_deref_mut()
}

fn lookup(cl: &Cluster, id: &[u8]) -> Option<NodeIdx> {
    cl.lookup(id)
}

fn unknown_node(ctx: &mut Ctx, id: &[u8]) {
    ctx.reply().error(&format!("ERR Unknown node {}", String::from_utf8_lossy(id)));
}

/// A slot argument (Redis's `getSlotOrReply`).
pub(super) fn slot_arg(ctx: &mut Ctx, a: &[u8]) -> Option<usize> {
    match parse_i64(a) {
        Some(s) if (0..SLOTS as i64).contains(&s) => Some(s as usize),
        _ => {
            ctx.reply().error("ERR Invalid or out of range slot");
            None
        }
    }
}

/// READONLY: reads of slots our master serves are answered here.
fn readonly(ctx: &mut Ctx, _args: Args) {
    if cluster(ctx).is_some() {
        ctx.client_mut().flags |= cf::READONLY;
        ctx.reply().ok();
    }
}

/// READWRITE
fn readwrite(ctx: &mut Ctx, _args: Args) {
    if cluster(ctx).is_some() {
        ctx.client_mut().flags &= !cf::READONLY;
        ctx.reply().ok();
    }
}

/// ASKING: the next command may use a slot this node is importing.
fn asking(ctx: &mut Ctx, _args: Args) {
    if cluster(ctx).is_some() {
        ctx.client_mut().flags |= cf::ASKING;
        ctx.reply().ok();
    }
}

const HELP: &[&str] = &[
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
];

/// CLUSTER HELP
fn help(ctx: &mut Ctx, _args: Args) {
    if cluster(ctx).is_some() {
        super::shared::reply_help(ctx.reply(), "cluster", HELP);
    }
}

/// CLUSTER MEET ip port [cluster-bus-port]
fn meet(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    if args.len() > 5 {
        return super::admin::err_subcommand_syntax(ctx.reply(), "cluster", args.get(1));
    }
    let text = |a: &[u8]| String::from_utf8_lossy(crate::util::c_str(a)).into_owned();
    let Some(port) = parse_i64(args.get(3)) else {
        ctx.reply().error(&format!("ERR Invalid TCP base port specified: {}", text(args.get(3))));
        return;
    };
    let cport = if args.len() == 5 {
        let Some(c) = parse_i64(args.get(4)) else {
            ctx.reply().error(&format!("ERR Invalid TCP bus port specified: {}", text(args.get(4))));
            return;
        };
        c
    } else {
        port + cluster_state::PORT_INCR as i64
    };
    let ip = text(args.get(2));
    let invalid = format!("ERR Invalid node address specified: {ip}:{}", text(args.get(3)));
    if !(1..=65535).contains(&port) || !(1..=65535).contains(&cport) {
        ctx.reply().error(&invalid);
        return;
    }
    let now = ctx.now_ms();
    let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
    match cluster::bus::meet(cl, &ip, port as u16, cport as u16, now) {
        Ok(()) => ctx.reply().ok(),
        Err(e) if e.starts_with("ERR ") => ctx.reply().error(&e),
        Err(e) => ctx.reply().error(&format!("ERR {e}")),
    }
}

/// CLUSTER NODES
fn nodes(ctx: &mut Ctx, _args: Args) {
    let now = ctx.now_ms();
    let plain = plain_client(ctx);
    let Some(cl) = cluster(ctx) else { return };
    let text = nodes_conf::describe(cl, 0, now, plain);
    ctx.reply().verbatim("txt", text.as_bytes());
}

/// CLUSTER MYID
fn myid(ctx: &mut Ctx, _args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    let id = cl.me().id;
    ctx.reply().bulk(&id);
}

/// CLUSTER MYSHARDID (Redis 7.2): this node's shard id, its master's when it is a replica.
fn myshardid(ctx: &mut Ctx, _args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    let id = cl.me().shard_id;
    ctx.reply().bulk(&id);
}

/// A replica CLUSTER SLOTS lists: not failing, and past its first sync (Redis's `isReplicaAvailable`; for ourselves
/// `my_offset`, our own [`crate::state::repl::roles::replica_offset`], as a node keeps no gossip about itself).
fn replica_available(cl: &Cluster, i: NodeIdx, my_offset: i64) -> bool {
    let Some(n) = cl.node(i) else { return false };
    if n.has(nf::FAIL) {
        return false;
    }
    let offset = if i == cl.myself { my_offset } else { n.repl_offset };
    offset != 0
}

/// One node of a CLUSTER SLOTS range: endpoint, port, id, and the other addresses (Redis's
/// `addNodeToNodeReply`).
fn node_entry(ctx: &mut Ctx, i: NodeIdx) {
    let kind = ctx.config().stored_str("cluster-preferred-endpoint-type").to_string();
    let plain = plain_client(ctx);
    let Some(n) = ctx.server_mut().cluster.as_deref().and_then(|cl| cl.node(i)) else { return };
    let (ip, hostname, port, id) = (n.ip.clone(), n.hostname.clone(), n.port_for(plain), n.id);
    let r = ctx.reply();
    r.array(4);
    match kind.as_str() {
        "hostname" if hostname.is_empty() => r.bulk(b"?"),
        "hostname" => r.bulk(hostname.as_bytes()),
        "unknown-endpoint" => r.null(),
        _ => r.bulk(ip.as_bytes()),
    }
    r.int(port as i64);
    r.bulk(&id);
    let with_ip = kind != "ip";
    let with_host = kind != "hostname" && !hostname.is_empty();
    r.map(with_ip as usize + with_host as usize);
    if with_ip {
        r.bulk(b"ip");
        r.bulk(ip.as_bytes());
    }
    if with_host {
        r.bulk(b"hostname");
        r.bulk(hostname.as_bytes());
    }
}

/// Runs of consecutive slots with the same owner: (first, last, owner).
fn slot_runs(cl: &Cluster) -> Vec<(usize, usize, NodeIdx)> {
    let mut runs = Vec::new();
    let mut s = 0;
    while s < SLOTS {
        let owner = cl.slots[s];
        let start = s;
        while s < SLOTS && cl.slots[s] == owner {
            s += 1;
        }
        if owner != NO_NODE {
            runs.push((start, s - 1, owner));
        }
    }
    runs
}

/// CLUSTER SLOTS
fn slots(ctx: &mut Ctx, _args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    let srv = ctx.server();
    let Some(cl) = srv.cluster.as_deref() else { return };
    let my_offset = crate::state::repl::roles::replica_offset(&srv.repl);
    let entries: Vec<(usize, usize, NodeIdx, Vec<NodeIdx>)> = slot_runs(cl)
        .into_iter()
        .map(|(a, b, owner)| {
            let replicas = cl.node(owner).map_or_else(Vec::new, |n| {
                n.replicas.iter().copied().filter(|&r| replica_available(cl, r, my_offset)).collect()
            });
            (a, b, owner, replicas)
        })
        .collect();
    ctx.reply().array(entries.len());
    for (a, b, owner, replicas) in entries {
        let r = ctx.reply();
        r.array(3 + replicas.len());
        r.int(a as i64);
        r.int(b as i64);
        node_entry(ctx, owner);
        for rep in replicas {
            node_entry(ctx, rep);
        }
    }
}

/// One node of a CLUSTER SHARDS shard (Redis's `addNodeDetailsToShardReply`).
fn shard_node(ctx: &mut Ctx, i: NodeIdx) {
    let Some(cl) = ctx.server().cluster.as_deref() else { return };
    let Some(n) = cl.node(i) else { return };
    let endpoint = cluster::redirect::endpoint(&ctx.server().config, n).to_string();
    let offset = if i == cl.myself {
        if n.is_replica() {
            crate::state::repl::roles::replica_offset(&ctx.server().repl)
        } else {
            ctx.server().repl.master_repl_offset
        }
    } else {
        n.repl_offset
    };
    let health = if n.has(nf::FAIL) {
        "fail"
    } else if n.is_replica() && offset == 0 {
        "loading"
    } else {
        "online"
    };
    // `tls-cluster` tells whether a node's port is its TLS one (Redis uses it as that proxy too).
    let (port, tls_port) =
        if crate::state::cluster::tls_cluster(&ctx.server().config) { (n.pport, n.port) } else { (n.port, 0) };
    let (id, ip, hostname, replica) = (n.id, n.ip.clone(), n.hostname.clone(), n.is_replica());
    let r = ctx.reply();
    r.map(6 + (port != 0) as usize + (tls_port != 0) as usize + !hostname.is_empty() as usize);
    r.bulk(b"id");
    r.bulk(&id);
    if port != 0 {
        r.bulk(b"port");
        r.int(port as i64);
    }
    if tls_port != 0 {
        r.bulk(b"tls-port");
        r.int(tls_port as i64);
    }
    r.bulk(b"ip");
    r.bulk(ip.as_bytes());
    r.bulk(b"endpoint");
    r.bulk(endpoint.as_bytes());
    if !hostname.is_empty() {
        r.bulk(b"hostname");
        r.bulk(hostname.as_bytes());
    }
    r.bulk(b"role");
    r.bulk(if replica { b"replica" } else { b"master" });
    r.bulk(b"replication-offset");
    r.int(offset);
    r.bulk(b"health");
    r.bulk(health.as_bytes());
}

/// CLUSTER SHARDS: one entry per master (with its slot ranges), its replicas after it.
fn shards(ctx: &mut Ctx, _args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    let runs = slot_runs(cl);
    let masters: Vec<(NodeIdx, Vec<NodeIdx>)> =
        cl.iter().filter(|(_, n)| n.is_master()).map(|(i, n)| (i, n.replicas.clone())).collect();
    ctx.reply().array(masters.len());
    for (m, replicas) in masters {
        let ranges: Vec<(usize, usize)> = runs.iter().filter(|r| r.2 == m).map(|r| (r.0, r.1)).collect();
        let r = ctx.reply();
        r.map(2);
        r.bulk(b"slots");
        r.array(ranges.len() * 2);
        for (a, b) in ranges {
            r.int(a as i64);
            r.int(b as i64);
        }
        r.bulk(b"nodes");
        r.array(1 + replicas.len());
        shard_node(ctx, m);
        for rep in replicas {
            shard_node(ctx, rep);
        }
    }
}

/// Unsubscribes the shard channels of the slots this command took from our shard, before its own reply (Redis
/// does it inside `clusterDelSlot`).
fn drop_lost_channels(ctx: &mut Ctx) {
    if ctx.server_mut().cluster.as_deref().is_some_and(|cl| !cl.lost_slots.is_empty()) {
        let (client, srv) = ctx.client_and_server();
        crate::state::pubsub::drop_lost_shard_slots(srv, Some(client));
    }
}

/// The end of a command that changed the slot table (FLUSHSLOTS, ADDSLOTS and its kin, SETSLOT): the cluster state
/// and nodes.conf are redone before the loop sleeps, the lost slots' shard channels dropped, then `+OK`.
fn slots_changed_ok(ctx: &mut Ctx) {
    if let Some(cl) = ctx.server_mut().cluster.as_deref_mut() {
        cl.ask(todo::UPDATE_STATE | todo::SAVE_CONFIG);
    }
    drop_lost_channels(ctx);
    ctx.reply().ok();
}

/// CLUSTER FLUSHSLOTS
fn flushslots(ctx: &mut Ctx, _args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    if !no_keys(ctx) {
        ctx.reply().error("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.");
        return;
    }
    let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
    let me = cl.myself;
    for s in 0..SLOTS {
        if cl.slots[s] == me {
            cl.del_slot(s);
        }
    }
    slots_changed_ok(ctx);
}

/// CLUSTER FLUSHSLOT slot [ASYNC | SYNC] (Valkey 9.0): deletes the slot's keys in every database (each a `del`
/// event), big values freed by the lazy-free thread with ASYNC (`lazyfree-lazy-user-flush` without an option);
/// propagated itself, so a replica flushes the same slot. Valkey 9.1.2 runs it on any master, whoever serves the
/// slot (a node that does not has no keys of it); a replica refuses it as any write.
fn flushslot(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    if args.len() > 4 {
        let sub = String::from_utf8_lossy(args.get(1)).into_owned();
        ctx.reply()
            .error(&format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try CLUSTER HELP."));
        return;
    }
    let slot = match crate::util::parse_i64(args.get(2)) {
        Some(s) if (0..SLOTS as i64).contains(&s) => s as usize,
        _ => {
            ctx.reply().error("ERR Invalid or out of range slot");
            return;
        }
    };
    let lazy = match args.len() {
        4 if args.get(3).eq_ignore_ascii_case(b"ASYNC") => true,
        4 if args.get(3).eq_ignore_ascii_case(b"SYNC") => false,
        4 => {
            ctx.reply().err_syntax();
            return;
        }
        _ => ctx.config().lazyfree_lazy_user_flush,
    };
    let removed = crate::state::cluster::flush_slot(ctx.server_mut(), slot, lazy);
    ctx.count_changes(removed as u64);
    ctx.propagation().force();
    ctx.reply().ok();
}

/// Marks `first..=last` in `seen`, refusing a slot already (un)assigned or named twice (Redis's
/// `checkSlotAssignmentsOrReply`).
fn check_slots(ctx: &mut Ctx, seen: &mut [u8], del: bool, first: usize, last: usize) -> bool {
    let Some(cl) = ctx.server_mut().cluster.as_deref() else { return false };
    for (s, mark) in seen.iter_mut().enumerate().take(last + 1).skip(first) {
        let err = if del && cl.slots[s] == NO_NODE {
            Some(format!("ERR Slot {s} is already unassigned"))
        } else if !del && cl.slots[s] != NO_NODE {
            Some(format!("ERR Slot {s} is already busy"))
        } else if *mark == 1 {
            Some(format!("ERR Slot {s} specified multiple times"))
        } else {
            None
        };
        if let Some(e) = err {
            ctx.reply().error(&e);
            return false;
        }
        *mark = 1;
    }
    true
}

/// Assigns (or unassigns) the marked slots to `myself`, clearing their importing marks (Redis's
/// `clusterUpdateSlots`).
fn update_slots(ctx: &mut Ctx, seen: &[u8], del: bool) {
    let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
    let me = cl.myself;
    for (s, _) in seen.iter().enumerate().filter(|(_, &m)| m != 0) {
        cl.importing_from[s] = NO_NODE;
        if del {
            cl.del_slot(s);
        } else {
            cl.add_slot(me, s);
        }
    }
    slots_changed_ok(ctx);
}

/// CLUSTER ADDSLOTS slot [slot ...] / DELSLOTS slot [slot ...]
fn addslots(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    let del = args.is(1, "delslots");
    let mut parsed = Vec::with_capacity(args.len() - 2);
    for a in args.iter().skip(2) {
        let Some(s) = slot_arg(ctx, a) else { return };
        parsed.push(s);
    }
    let mut seen = vec![0u8; SLOTS];
    for s in parsed {
        if !check_slots(ctx, &mut seen, del, s, s) {
            return;
        }
    }
    update_slots(ctx, &seen, del);
}

/// CLUSTER ADDSLOTSRANGE first last [first last ...] / DELSLOTSRANGE ...
fn addslotsrange(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    let del = args.is(1, "delslotsrange");
    if args.len() % 2 == 1 {
        let name = if del { "cluster|delslotsrange" } else { "cluster|addslotsrange" };
        ctx.reply().err_arity(name);
        return;
    }
    let mut seen = vec![0u8; SLOTS];
    for j in (2..args.len()).step_by(2) {
        let Some(first) = slot_arg(ctx, args.get(j)) else { return };
        let Some(last) = slot_arg(ctx, args.get(j + 1)) else { return };
        if first > last {
            ctx.reply().error(&format!("ERR start slot number {first} is greater than end slot number {last}"));
            return;
        }
        if !check_slots(ctx, &mut seen, del, first, last) {
            return;
        }
    }
    update_slots(ctx, &seen, del);
}

/// Keys of `slot` in every database (database 0 alone unless `cluster-databases` N > 1, Valkey 9.0): what SETSLOT
/// and CLUSTER SLOT-STATS count.
pub(super) fn keys_in_slot(ctx: &Ctx, slot: usize) -> usize {
    ctx.server().dbs.iter().map(|db| db.count_keys_in_slot(slot)).sum()
}

/// Whether every database is empty (FLUSHSLOTS, REPLICATE and RESET want that of a master).
fn no_keys(ctx: &Ctx) -> bool {
    ctx.server().dbs.iter().all(|db| db.is_empty())
}

/// CLUSTER SETSLOT slot IMPORTING node | MIGRATING node | STABLE | NODE node
fn setslot(ctx: &mut Ctx, args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    if cl.me().is_replica() {
        ctx.reply().error("ERR Please use SETSLOT only with masters.");
        return;
    }
    let Some(slot) = slot_arg(ctx, args.get(2)) else { return };
    let id: &[u8] = if args.len() > 4 { args.get(4) } else { b"" };
    let idtext = || String::from_utf8_lossy(crate::util::c_str(id)).into_owned();
    let (action, n) = (args.get(3), args.len());
    let is = |w: &str| action.eq_ignore_ascii_case(w.as_bytes());
    let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
    let me = cl.myself;
    // The node an action names: known, and a master.
    let target = |ctx: &mut Ctx, unknown: String| -> Option<NodeIdx> {
        let cl = ctx.server_mut().cluster.as_deref()?;
        let Some(t) = lookup(cl, id) else {
            ctx.reply().error(&unknown);
            return None;
        };
        if cl.node(t).is_some_and(|n| n.is_replica()) {
            ctx.reply().error("ERR Target node is not a master");
            return None;
        }
        Some(t)
    };
    if is("migrating") && n == 5 {
        if cl.slots[slot] != me {
            ctx.reply().error(&format!("ERR I'm not the owner of hash slot {slot}"));
            return;
        }
        let Some(t) = target(ctx, format!("ERR I don't know about node {}", idtext())) else { return };
        let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
        cl.migrating_to[slot] = t;
    } else if is("importing") && n == 5 {
        if cl.slots[slot] == me {
            ctx.reply().error(&format!("ERR I'm already the owner of hash slot {slot}"));
            return;
        }
        let Some(t) = target(ctx, format!("ERR I don't know about node {}", idtext())) else { return };
        let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
        cl.importing_from[slot] = t;
    } else if is("stable") && n == 4 {
        cl.importing_from[slot] = NO_NODE;
        cl.migrating_to[slot] = NO_NODE;
    } else if is("node") && n == 5 {
        let Some(t) = target(ctx, format!("ERR Unknown node {}", idtext())) else { return };
        let keys = keys_in_slot(ctx, slot);
        let allow_migration = ctx.config().stored_bool("cluster-allow-replica-migration");
        let now_ms = ctx.now_ms();
        let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
        if cl.slots[slot] == me && t != me && keys != 0 {
            ctx.reply().error(&format!(
                "ERR Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot."
            ));
            return;
        }
        if keys == 0 && cl.migrating_to[slot] != NO_NODE {
            cl.migrating_to[slot] = NO_NODE;
        }
        let was_mine = cl.slots[slot] == me;
        cl.del_slot(slot);
        cl.add_slot(t, slot);
        if was_mine && t != me && cl.me().numslots == 0 && allow_migration {
            crate::log_warning!(
                "Configuration change detected. Reconfiguring myself as a replica of {}",
                cl.node(t).map_or("", |n| n.name())
            );
            cluster::bus::set_my_master(cl, t, now_ms);
            cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
        }
        let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
        if t == me && cl.importing_from[slot] != NO_NODE {
            // The slot was migrated by hand: a new epoch lets the new owner win over the old one's claim.
            if cluster_state::bump_epoch(cl) {
                crate::log_warning!("configEpoch updated after importing slot {slot}");
            }
            cl.importing_from[slot] = NO_NODE;
            let now = ctx.server_mut().now_ms;
            let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
            cluster::bus::broadcast_pong(cl, now);
        }
    } else {
        ctx.reply().error("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
        return;
    }
    slots_changed_ok(ctx);
}

/// CLUSTER BUMPEPOCH
fn bumpepoch(ctx: &mut Ctx, _args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    let bumped = cluster_state::bump_epoch(cl);
    let line = format!("{} {}", if bumped { "BUMPED" } else { "STILL" }, cl.me().config_epoch);
    ctx.reply().simple(&line);
}

/// Names of the bus message types in CLUSTER INFO (Redis's `clusterGetMessageTypeString`).
const MSG_NAMES: [&str; cluster::msg::TYPE_COUNT] =
    ["ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module", "publishshard"];

/// CLUSTER INFO's text.
pub fn info_text(cl: &Cluster) -> String {
    let (mut assigned, mut ok, mut pfail, mut fail) = (0, 0, 0, 0);
    for &o in cl.slots.iter() {
        let Some(n) = (o != NO_NODE).then(|| cl.node(o)).flatten() else { continue };
        assigned += 1;
        if n.has(nf::FAIL) {
            fail += 1;
        } else if n.has(nf::PFAIL) {
            pfail += 1;
        } else {
            ok += 1;
        }
    }
    let me = cl.me();
    let my_epoch = match cl.node(me.replicaof) {
        Some(m) if me.is_replica() => m.config_epoch,
        _ => me.config_epoch,
    };
    let mut s = String::with_capacity(512);
    let _ = write!(
        s,
        "cluster_state:{}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{ok}\r\ncluster_slots_pfail:{pfail}\r\n\
         cluster_slots_fail:{fail}\r\ncluster_known_nodes:{}\r\ncluster_size:{}\r\ncluster_current_epoch:{}\r\n\
         cluster_my_epoch:{my_epoch}\r\n",
        if cl.state_ok { "ok" } else { "fail" },
        cl.len(),
        cl.size,
        cl.current_epoch,
    );
    for (counts, dir) in [(&cl.stats_sent, "sent"), (&cl.stats_received, "received")] {
        let mut total = 0;
        for (i, &v) in counts.iter().enumerate() {
            if v != 0 {
                total += v;
                let _ = write!(s, "cluster_stats_messages_{}_{dir}:{v}\r\n", MSG_NAMES[i]);
            }
        }
        let _ = write!(s, "cluster_stats_messages_{dir}:{total}\r\n");
    }
    let _ = write!(s, "total_cluster_links_buffer_limit_exceeded:{}\r\n", cl.bus.buffer_limit_exceeded);
    s
}

/// CLUSTER INFO
fn info(ctx: &mut Ctx, _args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    let text = info_text(cl);
    ctx.reply().verbatim("txt", text.as_bytes());
}

/// CLUSTER SAVECONFIG
fn saveconfig(ctx: &mut Ctx, _args: Args) {
    let now = ctx.now_ms();
    let Some(cl) = cluster(ctx) else { return };
    match nodes_conf::save(cl, true, now) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => {
            ctx.reply().error(&format!("ERR error saving the cluster node config: {}", crate::sys::error_text(&e)))
        }
    }
}

/// CLUSTER KEYSLOT key
fn keyslot(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_some() {
        ctx.reply().int(cluster::key_hash_slot(args.get(2)) as i64);
    }
}

/// CLUSTER COUNTKEYSINSLOT slot
fn countkeysinslot(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    let Some(slot) = super::shared::int_arg(ctx.reply(), args.get(2)) else { return };
    if !(0..SLOTS as i64).contains(&slot) {
        ctx.reply().error("ERR Invalid slot");
        return;
    }
    // The client's database (Valkey 9.0 with `cluster-databases` N > 1; database 0 otherwise).
    let n = ctx.db().count_keys_in_slot(slot as usize);
    ctx.reply().int(n as i64);
}

/// CLUSTER GETKEYSINSLOT slot count
fn getkeysinslot(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    let Some(slot) = super::shared::int_arg(ctx.reply(), args.get(2)) else { return };
    let Some(max) = super::shared::int_arg(ctx.reply(), args.get(3)) else { return };
    if !(0..SLOTS as i64).contains(&slot) || max < 0 {
        ctx.reply().error("ERR Invalid slot or number of keys");
        return;
    }
    let keys = ctx.db().keys_in_slot(slot as usize, max as usize);
    ctx.reply().bulk_array(keys.iter().map(|k| &k[..]));
}

/// CLUSTER FORGET node-id
fn forget(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    let Some(cl) = cluster(ctx) else { return };
    let Some(n) = lookup(cl, args.get(2)) else { return unknown_node(ctx, args.get(2)) };
    if n == cl.myself {
        ctx.reply().error("ERR I tried hard but I can't forget myself...");
        return;
    }
    if cl.me().is_replica() && cl.me().replicaof == n {
        ctx.reply().error("ERR Can't forget my master!");
        return;
    }
    if let Some(id) = cl.node(n).map(|x| x.id) {
        cluster::bus::blacklist_cleanup(cl, now / 1000);
        cl.blacklist.insert(id, now / 1000 + cluster::bus::BLACKLIST_TTL_S);
    }
    cluster::bus::del_node(cl, n);
    cl.ask(todo::UPDATE_STATE | todo::SAVE_CONFIG);
    ctx.reply().ok();
}

/// CLUSTER REPLICATE node-id
fn replicate(ctx: &mut Ctx, args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    let Some(n) = lookup(cl, args.get(2)) else { return unknown_node(ctx, args.get(2)) };
    if n == cl.myself {
        ctx.reply().error("ERR Can't replicate myself");
        return;
    }
    if cl.node(n).is_some_and(|x| x.is_replica()) {
        ctx.reply().error("ERR I can only replicate a master, not a replica.");
        return;
    }
    let me_master = cl.me().is_master();
    let my_slots = cl.me().numslots;
    if me_master && (my_slots != 0 || !no_keys(ctx)) {
        ctx.reply().error("ERR To set a master the node must be empty and without assigned slots.");
        return;
    }
    let now = ctx.server_mut().now_ms;
    let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
    cluster::bus::set_my_master(cl, n, now);
    cl.ask(todo::UPDATE_STATE | todo::SAVE_CONFIG);
    ctx.reply().ok();
}

/// CLUSTER REPLICAS node-id (and SLAVES)
fn replicas(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    let plain = plain_client(ctx);
    let Some(cl) = cluster(ctx) else { return };
    let Some(n) = lookup(cl, args.get(2)) else { return unknown_node(ctx, args.get(2)) };
    let Some(node) = cl.node(n) else { return };
    if node.is_replica() {
        ctx.reply().error("ERR The specified node is not a master");
        return;
    }
    let lines: Vec<String> = node
        .replicas
        .iter()
        .map(|&r| {
            let mut l = String::new();
            nodes_conf::node_line(cl, r, now, plain, &mut l);
            l
        })
        .collect();
    ctx.reply().bulk_array(lines.iter().map(|l| l.as_bytes()));
}

/// CLUSTER COUNT-FAILURE-REPORTS node-id
fn count_failure_reports(ctx: &mut Ctx, args: Args) {
    let now = ctx.now_ms();
    let Some(cl) = cluster(ctx) else { return };
    let Some(n) = lookup(cl, args.get(2)) else { return unknown_node(ctx, args.get(2)) };
    let count = cluster::failover::count_failure_reports(cl, n, now);
    ctx.reply().int(count as i64);
}

/// The one optional word of CLUSTER FAILOVER and CLUSTER RESET: `default` without it, the value of the word among
/// `choices` (any case) with it; `None` once the error was replied (more arguments: the subcommand syntax error;
/// another word: a syntax error).
fn option_word<T: Copy>(r: &mut Reply, args: &Args, choices: &[(&str, T)], default: T) -> Option<T> {
    if args.len() > 3 {
        super::admin::err_subcommand_syntax(r, "cluster", args.get(1));
        return None;
    }
    if args.len() < 3 {
        return Some(default);
    }
    match choices.iter().find(|(word, _)| args.is(2, word)) {
        Some(&(_, v)) => Some(v),
        None => {
            r.err_syntax();
            None
        }
    }
}

/// CLUSTER FAILOVER [FORCE|TAKEOVER]
fn failover(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    use cluster::failover::Manual;
    let choices = [("force", Manual::Force), ("takeover", Manual::Takeover)];
    let Some(how) = option_word(ctx.reply(), &args, &choices, Manual::Default) else { return };
    let Some(cl) = cluster(ctx) else { return };
    let me = cl.me();
    if me.is_master() {
        ctx.reply().error("ERR You should send CLUSTER FAILOVER to a replica");
        return;
    }
    let Some(master) = cl.node(me.replicaof) else {
        ctx.reply().error("ERR I'm a replica but my master is unknown to me");
        return;
    };
    if how == Manual::Default && (master.has(nf::FAIL) || !master.linked) {
        ctx.reply().error("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE");
        return;
    }
    match cluster::failover::start_manual(ctx.server_mut().cluster.as_deref_mut(), how) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => ctx.reply().error(&e),
    }
}

/// CLUSTER SET-CONFIG-EPOCH epoch
fn set_config_epoch(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    let Some(epoch) = super::shared::int_arg(ctx.reply(), args.get(2)) else { return };
    let Some(cl) = ctx.server_mut().cluster.as_deref_mut() else { return };
    if epoch < 0 {
        ctx.reply().error(&format!("ERR Invalid config epoch specified: {epoch}"));
    } else if cl.len() > 1 {
        ctx.reply().error("ERR The user can assign a config epoch only when the node does not know any other node.");
    } else if cl.me().config_epoch != 0 {
        ctx.reply().error("ERR Node config epoch is already non-zero");
    } else {
        let epoch = epoch as u64;
        cl.me_mut().config_epoch = epoch;
        crate::log_warning!("configEpoch set to {epoch} via CLUSTER SET-CONFIG-EPOCH");
        cl.current_epoch = cl.current_epoch.max(epoch);
        cl.ask(todo::UPDATE_STATE | todo::SAVE_CONFIG);
        ctx.reply().ok();
    }
}

/// CLUSTER RESET [HARD|SOFT]
fn reset(ctx: &mut Ctx, args: Args) {
    if cluster(ctx).is_none() {
        return;
    }
    let Some(hard) = option_word(ctx.reply(), &args, &[("hard", true), ("soft", false)], false) else {
        return;
    };
    let Some(cl) = cluster(ctx) else { return };
    let me_master = cl.me().is_master();
    if me_master && !no_keys(ctx) {
        ctx.reply().error("ERR CLUSTER RESET can't be called with master nodes containing keys");
        return;
    }
    cluster_state::reset(ctx.server_mut(), hard);
    drop_lost_channels(ctx);
    ctx.reply().ok();
}

/// CLUSTER LINKS: every bus link, outbound (`to`) and inbound (`from`).
fn links(ctx: &mut Ctx, _args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    let links = cluster::bus::links_info(cl);
    let r = ctx.reply();
    r.array(links.len());
    for (direction, node, ctime_ms, events, allocated, used) in links {
        r.map(6);
        r.bulk(b"direction");
        r.bulk(direction.as_bytes());
        r.bulk(b"node");
        r.bulk(node.as_bytes());
        r.bulk(b"create-time");
        r.int(ctime_ms);
        r.bulk(b"events");
        r.bulk(events.as_bytes());
        r.bulk(b"send-buffer-allocated");
        r.int(allocated as i64);
        r.bulk(b"send-buffer-used");
        r.int(used as i64);
    }
}

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "cluster",
        arity: -2,
        flags: flag::SEES_CLIENTS,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "A container for cluster commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: SUBCOMMANDS,
        ..BASE
    },
    Command {
        name: "readonly",
        arity: 1,
        flags: flag::FAST | flag::LOADING | flag::STALE,
        acl: "fast connection",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Enables read queries for a connection to a cluster replica node",
        complexity: "O(1)",
        handler: readonly,
        ..BASE
    },
    Command {
        name: "readwrite",
        arity: 1,
        flags: flag::FAST | flag::LOADING | flag::STALE,
        acl: "fast connection",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Disables read queries for a connection to a cluster replica node",
        complexity: "O(1)",
        handler: readwrite,
        ..BASE
    },
    Command {
        name: "asking",
        arity: 1,
        flags: flag::FAST,
        acl: "fast connection",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Sent by cluster clients after an -ASK redirect",
        complexity: "O(1)",
        handler: asking,
        ..BASE
    },
    Command {
        name: "restore-asking",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM | flag::ASKING,
        acl: "keyspace write slow dangerous",
        group: Group::Server,
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "OW update")],
        since: "3.0.0",
        summary: "An internal command for migrating keys in a cluster",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        syntax: "key ttl serialized-value [REPLACE]{@3.0.0} [ABSTTL]{@5.0.0} [IDLETIME seconds]{@5.0.0} [FREQ frequency{:integer}]{@5.0.0}",
        handler: super::dump::restore,
        history: &[
            ("3.0.0", "Added the `REPLACE` modifier."),
            ("5.0.0", "Added the `ABSTTL` modifier."),
            ("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
        ],
        ..BASE
    },
];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "addslots",
        arity: -3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Assign new hash slots to receiving node",
        complexity: "O(N) where N is the total number of hash slot arguments",
        syntax: "slot{:integer} [slot{:integer} ...]",
        handler: addslots,
        ..BASE
    },
    Command {
        name: "addslotsrange",
        arity: -4,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "7.0.0",
        summary: "Assign new hash slots to receiving node",
        complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
        syntax: "start-slot{:integer} end-slot{:integer} [start-slot{:integer} end-slot{:integer} ...]",
        handler: addslotsrange,
        ..BASE
    },
    Command {
        name: "bumpepoch",
        arity: 2,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Advance the cluster config epoch",
        complexity: "O(1)",
        tips: "nondeterministic_output",
        handler: bumpepoch,
        ..BASE
    },
    Command {
        name: "count-failure-reports",
        arity: 3,
        flags: flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Return the number of failure reports active for a given node",
        complexity: "O(N) where N is the number of failure reports",
        syntax: "node-id",
        tips: "nondeterministic_output",
        handler: count_failure_reports,
        ..BASE
    },
    Command {
        name: "countkeysinslot",
        arity: 3,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Return the number of local keys in the specified hash slot",
        complexity: "O(1)",
        syntax: "slot{:integer}",
        handler: countkeysinslot,
        ..BASE
    },
    Command {
        name: "delslots",
        arity: -3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Set hash slots as unbound in receiving node",
        complexity: "O(N) where N is the total number of hash slot arguments",
        syntax: "slot{:integer} [slot{:integer} ...]",
        handler: addslots,
        ..BASE
    },
    Command {
        name: "delslotsrange",
        arity: -4,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "7.0.0",
        summary: "Set hash slots as unbound in receiving node",
        complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
        syntax: "start-slot{:integer} end-slot{:integer} [start-slot{:integer} end-slot{:integer} ...]",
        handler: addslotsrange,
        ..BASE
    },
    Command {
        name: "failover",
        arity: -2,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Forces a replica to perform a manual failover of its master.",
        complexity: "O(1)",
        syntax: "[FORCE | TAKEOVER]{options}",
        handler: failover,
        ..BASE
    },
    Command {
        name: "flushslots",
        arity: 2,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Delete a node's own slots information",
        complexity: "O(1)",
        handler: flushslots,
        ..BASE
    },
    Command {
        name: "flushslot",
        arity: -3,
        flags: flag::WRITE | flag::ADMIN | flag::NO_ASYNC_LOADING,
        acl: "keyspace write admin slow dangerous",
        group: Group::Cluster,
        since: "9.0.0",
        summary: "Removes all keys from the target slot.",
        complexity: "O(N) where N is the number of keys in the target slot",
        syntax: "slot{:integer} [ASYNC | SYNC]{flush-type}",
        handler: flushslot,
        ..BASE
    },
    Command {
        name: "forget",
        arity: 3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Remove a node from the nodes table",
        complexity: "O(1)",
        syntax: "node-id",
        handler: forget,
        ..BASE
    },
    Command {
        name: "getkeysinslot",
        arity: 4,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Return local key names in the specified hash slot",
        complexity: "O(log(N)) where N is the number of requested keys",
        syntax: "slot{:integer} count{:integer}",
        tips: "nondeterministic_output",
        handler: getkeysinslot,
        ..BASE
    },
    Command { group: Group::Cluster, since: "5.0.0", complexity: "O(1)", ..super::shared::help_entry(BASE, help) },
    Command {
        name: "info",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Provides info about Redis Cluster node state",
        complexity: "O(1)",
        tips: "nondeterministic_output",
        handler: info,
        ..BASE
    },
    Command {
        name: "keyslot",
        arity: 3,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Returns the hash slot of the specified key",
        complexity: "O(N) where N is the number of bytes in the key",
        syntax: "key{:string}",
        handler: keyslot,
        ..BASE
    },
    Command {
        name: "links",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "7.0.0",
        summary: "Returns a list of all TCP links to and from peer nodes in cluster",
        complexity: "O(N) where N is the total number of Cluster nodes",
        tips: "nondeterministic_output",
        handler: links,
        ..BASE
    },
    Command {
        name: "meet",
        arity: -4,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Force a node cluster to handshake with another node",
        complexity: "O(1)",
        syntax: "ip port{:integer} [cluster_bus_port{:integer@4.0.0}]",
        history: &[("4.0.0", "Added the optional `cluster_bus_port` argument.")],
        handler: meet,
        ..BASE
    },
    Command {
        name: "myid",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Return the node id",
        complexity: "O(1)",
        handler: myid,
        ..BASE
    },
    // Redis 7.2 (not in 7.0).
    Command {
        name: "myshardid",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "7.2.0",
        summary: "Returns the shard ID of a node.",
        complexity: "O(1)",
        tips: "nondeterministic_output",
        handler: myshardid,
        ..BASE
    },
    Command {
        name: "nodes",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Get Cluster config for the node",
        complexity: "O(N) where N is the total number of Cluster nodes",
        tips: "nondeterministic_output",
        handler: nodes,
        ..BASE
    },
    Command {
        name: "replicas",
        arity: 3,
        flags: flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "5.0.0",
        summary: "List replica nodes of the specified master node",
        complexity: "O(1)",
        syntax: "node-id",
        tips: "nondeterministic_output",
        handler: replicas,
        ..BASE
    },
    Command {
        name: "replicate",
        arity: 3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Reconfigure a node as a replica of the specified master node",
        complexity: "O(1)",
        syntax: "node-id",
        handler: replicate,
        ..BASE
    },
    Command {
        name: "reset",
        arity: -2,
        flags: flag::ADMIN | flag::STALE | flag::NOSCRIPT,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Reset a Redis Cluster node",
        complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.",
        syntax: "[HARD | SOFT]{hard_soft}",
        handler: reset,
        ..BASE
    },
    Command {
        name: "saveconfig",
        arity: 2,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Forces the node to save cluster state on disk",
        complexity: "O(1)",
        handler: saveconfig,
        ..BASE
    },
    Command {
        name: "set-config-epoch",
        arity: 3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Set the configuration epoch in a new node",
        complexity: "O(1)",
        syntax: "config-epoch{:integer}",
        handler: set_config_epoch,
        ..BASE
    },
    Command {
        name: "setslot",
        arity: -4,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Bind a hash slot to a specific node",
        complexity: "O(1)",
        syntax: "slot{:integer} <IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE>{subcommand}",
        handler: setslot,
        ..BASE
    },
    Command {
        name: "shards",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "7.0.0",
        summary: "Get array of cluster slots to node mappings",
        complexity: "O(N) where N is the total number of cluster nodes",
        tips: "nondeterministic_output",
        handler: shards,
        ..BASE
    },
    Command {
        name: "slaves",
        arity: 3,
        flags: flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "List replica nodes of the specified master node",
        complexity: "O(1)",
        syntax: "node-id",
        tips: "nondeterministic_output",
        handler: replicas,
        ..BASE
    },
    // Valkey 8.0 (not in Redis 7.0).
    Command {
        name: "slot-stats",
        arity: -4,
        flags: flag::STALE | flag::LOADING,
        acl: "slow",
        group: Group::Cluster,
        since: "8.0.0",
        summary: "Return an array of slot usage statistics for slots assigned to the current node.",
        complexity: "O(N) where N is the total number of slots based on arguments. O(N*log(N)) with ORDERBY subcommand.",
        syntax: "<SLOTSRANGE start-slot{:integer} end-slot{:integer} | ORDERBY metric [LIMIT limit{:integer}] [ASC | DESC]{order}>{filter}",
        tips: "nondeterministic_output request_policy:all_shards",
        handler: super::slot_stats::slot_stats,
        ..BASE
    },
    Command {
        name: "slots",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Get array of Cluster slot to node mappings",
        complexity: "O(N) where N is the total number of Cluster nodes",
        tips: "nondeterministic_output",
        history: &[("4.0.0", "Added node IDs."), ("7.0.0", "Added additional networking metadata field.")],
        handler: slots,
        ..BASE
    },
];
