//! Redis Cluster (Redis 7.0's `cluster.c`): the node table, slot ownership, epochs, and the doors the rest of the
//! server uses.
//!
//! # Layout
//! - this file: the data model every part shares (nodes in an index-addressed table, the slot → owner map,
//!   migrating/importing marks, epochs, the work left for `before_sleep`); a key's slot (CRC16) is
//!   [`crate::keyspace::hash_slot`], re-exported here;
//! - [`msg`]: the bus's binary message format (Redis 7.0's `clusterMsg`), encode and decode, no I/O;
//! - [`bus`]: bus links on the event loop, MEET/PING/PONG with gossip, FAIL/UPDATE/PUBLISH handling;
//! - [`failover`]: PFAIL → FAIL, replica elections, manual failover, replica migration;
//! - [`nodes_conf`]: `nodes.conf` (the same lines as CLUSTER NODES plus the `vars` line), loaded at start,
//!   rewritten in place for routine changes and replaced by rename for the ones that need an fsync;
//! - [`redirect`]: which node serves a command (`-MOVED`, `-ASK`, `-CROSSSLOT`, `-TRYAGAIN`, `-CLUSTERDOWN`) and
//!   the cluster's ok/fail state.
//!
//! Nodes are addressed by [`NodeIdx`] (a slot in [`Cluster::nodes`](crate::cluster::Cluster::nodes)), never by pointer:
//! the slot map, replica lists and failure reports hold indices, and [`Cluster::remove_node`] clears every reference to
//! the node it removes. The cluster lives in [`ServerState::cluster`](crate::state::ServerState::cluster) (None when
//! `cluster-enabled no`, and the standalone server pays one predictable branch on it in admission).
//!
//! # Cluster mode, seen from outside
//! Start-up, nodes.conf and the data check are [`state::cluster`](crate::state::cluster) (they take the whole server
//! state); every CLUSTER subcommand, with Redis's replies and errors, is `command/cluster.rs`, which records what
//! changed in the `todo` bits for `before_sleep` (state update, config save). The redirection check runs in admission
//! for clients (not our master or the AOF) and in `redis.call` ([`redirect`]). SELECT n≠0, SWAPDB, MOVE, COPY ... DB
//! and REPLICAOF are refused in cluster mode. A slot our shard stops serving is queued in
//! [`Cluster::lost_slots`](crate::cluster::Cluster::lost_slots); after the command or bus event,
//! [`state::pubsub::drop_lost_shard_slots`](crate::state::pubsub::drop_lost_shard_slots) unsubscribes every client from
//! the shard channels hashing to it, with a `sunsubscribe` each (Redis's `removeChannelsInSlot`). Keys are counted and
//! listed per slot by the keyspace's slot index ([`keyspace::slots`](crate::keyspace::slots)).

#![forbid(unsafe_code)]

pub mod bus;
pub mod failover;
pub mod msg;
pub mod nodes_conf;
pub mod redirect;

use std::collections::HashMap;

pub use crate::keyspace::hash_slot::{crc16, key_hash_slot, SLOTS};
/// Node names are 40 lowercase hex characters.
pub const NODE_ID_LEN: usize = 40;
pub type NodeId = [u8; NODE_ID_LEN];
/// Index of a node in [`Cluster::nodes`].
pub type NodeIdx = u32;
/// No node (an unassigned slot, a master's `replicaof`).
pub const NO_NODE: NodeIdx = u32::MAX;

/// Node flags, with Redis's bit values (they travel in bus headers and gossip sections).
pub mod flags {
    pub const MASTER: u16 = 1;
    pub const REPLICA: u16 = 2;
    pub const PFAIL: u16 = 4;
    pub const FAIL: u16 = 8;
    pub const MYSELF: u16 = 16;
    pub const HANDSHAKE: u16 = 32;
    pub const NOADDR: u16 = 64;
    pub const MEET: u16 = 128;
    pub const MIGRATE_TO: u16 = 256;
    pub const NOFAILOVER: u16 = 512;
}

/// Work `before_sleep` does once for everything that asked for it during an iteration (Redis's
/// `CLUSTER_TODO_*`).
pub mod todo {
    pub const HANDLE_FAILOVER: u8 = 1;
    pub const UPDATE_STATE: u8 = 2;
    pub const SAVE_CONFIG: u8 = 4;
    pub const FSYNC_CONFIG: u8 = 8;
    pub const HANDLE_MANUALFAILOVER: u8 = 16;
}

/// One node's report that another is failing (PFAIL or FAIL in its gossip).
#[derive(Debug, Clone, Copy)]
pub struct FailReport {
    pub node: NodeIdx,
    pub time_ms: i64,
}

/// A node as this node knows it (Redis's `clusterNode`).
#[derive(Debug)]
pub struct Node {
    pub id: NodeId,
    pub ctime_ms: i64,
    pub flags: u16,
    pub config_epoch: u64,
    /// Slots this node claims, one bit each (Redis's byte/bit order: slot `s` is bit `s & 7` of byte `s >> 3`).
    pub slots: Box<[u8; SLOTS / 8]>,
    pub numslots: u32,
    /// The master of a replica, [`NO_NODE`] for a master or an unknown one.
    pub replicaof: NodeIdx,
    pub replicas: Vec<NodeIdx>,
    pub ping_sent_ms: i64,
    pub pong_received_ms: i64,
    pub data_received_ms: i64,
    pub fail_time_ms: i64,
    pub voted_time_ms: i64,
    pub repl_offset_time_ms: i64,
    pub orphaned_time_ms: i64,
    pub repl_offset: i64,
    pub ip: String,
    pub hostname: String,
    /// Client port, plaintext port (with `tls-cluster`: the plain port, `port` being the TLS one) and bus port.
    pub port: u16,
    pub pport: u16,
    pub cport: u16,
    pub fail_reports: Vec<FailReport>,
    /// The node's shard (Redis 7.2's `shard_id`, CLUSTER MYSHARDID): a master's own, a replica takes its master's.
    /// Starts as the node's id; learned from the node's shard-id ping extension (Redis 7.2+ and ferredis send
    /// one; a Redis 7.0 node sends none, so it keeps the one we gave it), persisted in nodes.conf as `shard-id=`.
    pub shard_id: NodeId,
    /// The node reads the shard-id extension (it sent one, or `mflags1::SHARDID_OK`): only then do our pings to it
    /// carry ours.
    pub shard_ext: bool,
    /// The bus holds an outbound link to this node (CLUSTER NODES' `connected`; kept by the bus).
    pub linked: bool,
}

impl Node {
    /// The port a client is sent to: `plain` (a plain client of a `tls-cluster`, Redis's `use_pport`) gets the
    /// plaintext port when the node announced one, everyone else the client port.
    pub fn port_for(&self, plain: bool) -> u16 {
        if plain && self.pport != 0 {
            self.pport
        } else {
            self.port
        }
    }

    pub fn new(id: NodeId, flags: u16, now_ms: i64) -> Node {
        Node {
            id,
            ctime_ms: now_ms,
            flags,
            config_epoch: 0,
            slots: Box::new([0; SLOTS / 8]),
            numslots: 0,
            replicaof: NO_NODE,
            replicas: Vec::new(),
            ping_sent_ms: 0,
            pong_received_ms: 0,
            data_received_ms: 0,
            fail_time_ms: 0,
            voted_time_ms: 0,
            repl_offset_time_ms: 0,
            orphaned_time_ms: 0,
            repl_offset: 0,
            ip: String::new(),
            hostname: String::new(),
            port: 0,
            pport: 0,
            cport: 0,
            fail_reports: Vec::new(),
            shard_id: id,
            shard_ext: false,
            linked: false,
        }
    }

    #[inline]
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
    pub fn is_master(&self) -> bool {
        self.has(flags::MASTER)
    }
    pub fn is_replica(&self) -> bool {
        self.has(flags::REPLICA)
    }
    /// PFAIL or FAIL.
    pub fn is_failing(&self) -> bool {
        self.has(flags::PFAIL | flags::FAIL)
    }
    pub fn owns_slot(&self, slot: usize) -> bool {
        self.slots[slot >> 3] & (1 << (slot & 7)) != 0
    }
    /// The node id as text.
    pub fn name(&self) -> &str {
        // Node ids are created and accepted only as ASCII hex (see `valid_node_id`).
        std::str::from_utf8(&self.id).unwrap_or("")
    }
}

/// The cluster as this node sees it (Redis's `clusterState` plus `myself`).
pub struct Cluster {
    pub myself: NodeIdx,
    /// The node table; `None` marks a free index (reused by [`Cluster::add_node`]).
    pub nodes: Vec<Option<Node>>,
    pub by_id: HashMap<NodeId, NodeIdx>,
    pub current_epoch: u64,
    pub last_vote_epoch: u64,
    /// `cluster_state:ok` (false = fail).
    pub state_ok: bool,
    /// Masters serving at least one slot (`cluster_size`).
    pub size: u32,
    /// Owner of each slot, [`NO_NODE`] when unassigned.
    pub slots: Box<[NodeIdx; SLOTS]>,
    /// `CLUSTER SETSLOT <slot> MIGRATING <node>` / `IMPORTING <node>` marks, [`NO_NODE`] when none.
    pub migrating_to: Box<[NodeIdx; SLOTS]>,
    pub importing_from: Box<[NodeIdx; SLOTS]>,
    /// Nodes CLUSTER FORGET removed, not re-added from gossip until the time (ms) passes.
    pub blacklist: HashMap<NodeId, i64>,
    /// [`todo`](mod@todo) bits for `before_sleep`.
    pub todo: u8,
    /// `cluster-config-file` as resolved at start.
    pub config_file: String,
    /// Bus message counters by type (`cluster_stats_messages_*`).
    pub stats_sent: [u64; msg::TYPE_COUNT],
    pub stats_received: [u64; msg::TYPE_COUNT],
    /// Nodes in PFAIL (`cluster_stats_messages` neighbour; INFO's `cluster_stats_pfail_nodes` is not in 7.0 but
    /// elections read it).
    pub pfail_nodes: u32,
    /// Links, listeners and outgoing buffers (see [`bus`]).
    pub bus: bus::Bus,
    /// Elections and manual failover (see [`failover`]).
    pub failover: failover::Failover,
    /// Bookkeeping of [`redirect::update_state`] (minority time, first call, rejoin delay).
    pub health: redirect::Health,
    /// The `flock` held on `config_file` for the life of the process (see [`nodes_conf::save`]).
    pub conf_lock: nodes_conf::ConfLock,
    /// Slots our shard stopped serving whose shard channels are still to be dropped, in [`Cluster::del_slot`]
    /// order (Redis's `removeChannelsInSlot` in `clusterDelSlot`). Drained by the server
    /// ([`crate::state::pubsub::drop_lost_shard_slots`]) after the command or bus event that deleted them.
    pub lost_slots: Vec<u16>,
    /// CLUSTER SLOT-STATS' counters per slot (Valkey 8.0), kept while `cluster-slot-stats-enabled` is on; a slot's
    /// are zeroed when it is assigned or unassigned, all of them by CONFIG RESETSTAT.
    pub slot_stats: Box<[SlotStat]>,
}

/// One slot's CLUSTER SLOT-STATS counters (key-count is the keyspace's slot index).
#[derive(Debug, Default, Clone, Copy)]
pub struct SlotStat {
    pub cpu_usec: u64,
    pub network_bytes_in: u64,
    pub network_bytes_out: u64,
}

impl Cluster {
    /// A cluster of one: `myself`, a master without slots.
    pub fn new(myself_id: NodeId, now_ms: i64, config_file: String) -> Cluster {
        let mut cl = Cluster {
            myself: NO_NODE,
            nodes: Vec::new(),
            by_id: HashMap::new(),
            current_epoch: 0,
            last_vote_epoch: 0,
            state_ok: false,
            size: 0,
            slots: Box::new([NO_NODE; SLOTS]),
            migrating_to: Box::new([NO_NODE; SLOTS]),
            importing_from: Box::new([NO_NODE; SLOTS]),
            blacklist: HashMap::new(),
            todo: 0,
            config_file,
            stats_sent: [0; msg::TYPE_COUNT],
            stats_received: [0; msg::TYPE_COUNT],
            pfail_nodes: 0,
            bus: bus::Bus::default(),
            failover: failover::Failover::default(),
            health: redirect::Health::default(),
            conf_lock: nodes_conf::ConfLock::default(),
            lost_slots: Vec::new(),
            slot_stats: vec![SlotStat::default(); SLOTS].into_boxed_slice(),
        };
        cl.myself = cl.add_node(Node::new(myself_id, flags::MYSELF | flags::MASTER, now_ms));
        cl
    }

    #[inline]
    pub fn node(&self, i: NodeIdx) -> Option<&Node> {
        self.nodes.get(i as usize).and_then(|n| n.as_ref())
    }
    #[inline]
    pub fn node_mut(&mut self, i: NodeIdx) -> Option<&mut Node> {
        self.nodes.get_mut(i as usize).and_then(|n| n.as_mut())
    }
    /// This node. Always present: `myself` is never removed.
    pub fn me(&self) -> &Node {
        match self.node(self.myself) {
            Some(n) => n,
            None => unreachable!("myself is never removed from the node table"),
        }
    }
    pub fn me_mut(&mut self) -> &mut Node {
        let i = self.myself;
        match self.node_mut(i) {
            Some(n) => n,
            None => unreachable!("myself is never removed from the node table"),
        }
    }
    pub fn lookup(&self, id: &[u8]) -> Option<NodeIdx> {
        let id: &NodeId = id.try_into().ok()?;
        self.by_id.get(id).copied()
    }
    /// Every present node, with its index.
    pub fn iter(&self) -> impl Iterator<Item = (NodeIdx, &Node)> {
        self.nodes.iter().enumerate().filter_map(|(i, n)| n.as_ref().map(|n| (i as NodeIdx, n)))
    }
    pub fn len(&self) -> usize {
        self.by_id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds a node (its id must not be known yet) and returns its index.
    pub fn add_node(&mut self, node: Node) -> NodeIdx {
        let id = node.id;
        let i = match self.nodes.iter().position(|n| n.is_none()) {
            Some(i) => {
                self.nodes[i] = Some(node);
                i
            }
            None => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        } as NodeIdx;
        self.by_id.insert(id, i);
        i
    }

    /// Removes a node and every reference to it (Redis's `clusterDelNode`): its slots become unassigned, the
    /// migrating/importing marks naming it are cleared, it leaves its master's replica list, its replicas lose
    /// their master, and its failure reports about others go. Returns it so the bus can close its links.
    /// `myself` is never removed.
    pub fn remove_node(&mut self, i: NodeIdx) -> Option<Node> {
        if i == self.myself {
            return None;
        }
        let node = self.nodes.get_mut(i as usize)?.take()?;
        self.by_id.remove(&node.id);
        for s in 0..SLOTS {
            if self.slots[s] == i {
                self.slots[s] = NO_NODE;
            }
            if self.migrating_to[s] == i {
                self.migrating_to[s] = NO_NODE;
            }
            if self.importing_from[s] == i {
                self.importing_from[s] = NO_NODE;
            }
        }
        for n in self.nodes.iter_mut().flatten() {
            n.replicas.retain(|&r| r != i);
            n.fail_reports.retain(|r| r.node != i);
            if n.replicaof == i {
                n.replicaof = NO_NODE;
            }
        }
        Some(node)
    }

    /// Gives `slot` to node `i` (Redis's `clusterAddSlot`); false when the slot has an owner already.
    pub fn add_slot(&mut self, i: NodeIdx, slot: usize) -> bool {
        if self.slots[slot] != NO_NODE {
            return false;
        }
        self.set_slot_bit(i, slot);
        self.slots[slot] = i;
        self.slot_stats[slot] = SlotStat::default();
        true
    }

    /// Unassigns `slot` (Redis's `clusterDelSlot`); false when it had no owner. When the owner is this node, its
    /// master or a fellow replica, the slot is queued in [`Cluster::lost_slots`]: its shard channels go.
    pub fn del_slot(&mut self, slot: usize) -> bool {
        let owner = self.slots[slot];
        if owner == NO_NODE {
            return false;
        }
        if self.in_shard_of(owner) {
            self.lost_slots.push(slot as u16);
        }
        self.clear_slot_bit(owner, slot);
        self.slots[slot] = NO_NODE;
        self.slot_stats[slot] = SlotStat::default();
        true
    }

    /// Whether `slot` belongs to this node's shard: served by this node, or by its master when a replica (Valkey's
    /// `doesSlotBelongToMyShard`, the slots CLUSTER SLOT-STATS reports).
    pub fn my_shard_owns(&self, slot: usize) -> bool {
        let me = self.me();
        let primary = if me.is_replica() { self.node(me.replicaof) } else { Some(me) };
        primary.is_some_and(|p| p.owns_slot(slot))
    }

    /// The shard id a node should have: its own for a master, its master's for a replica whose master we know.
    pub fn shard_of(&self, i: NodeIdx) -> Option<NodeId> {
        let n = self.node(i)?;
        match self.node(n.replicaof) {
            Some(m) if n.is_replica() => Some(m.shard_id),
            _ => Some(n.shard_id),
        }
    }

    /// Sets node `i`'s shard id (Redis 7.2's `updateShardId`); when `i` is our master, this node follows it.
    /// Asks for the config to be saved when anything changed.
    pub fn update_shard_id(&mut self, i: NodeIdx, shard_id: NodeId) {
        let myself = self.myself;
        let Some(n) = self.node_mut(i) else { return };
        if n.shard_id != shard_id {
            n.shard_id = shard_id;
            self.ask(todo::SAVE_CONFIG);
        }
        if i != myself && self.me().replicaof == i && self.me().shard_id != shard_id {
            self.me_mut().shard_id = shard_id;
            self.ask(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
        }
    }

    /// Whether this node is node `i`'s master or one of its master's replicas (Redis's
    /// `clusterGetNodesServingMySlots` contains `myself`).
    pub fn in_shard_of(&self, i: NodeIdx) -> bool {
        let Some(n) = self.node(i) else { return false };
        let primary = if n.is_master() { i } else { n.replicaof };
        primary == self.myself || self.node(primary).is_some_and(|p| p.replicas.contains(&self.myself))
    }

    /// Sets node `i`'s bit for `slot` (its claim), without touching the slot map.
    pub fn set_slot_bit(&mut self, i: NodeIdx, slot: usize) {
        if let Some(n) = self.node_mut(i) {
            let (byte, bit) = (slot >> 3, 1u8 << (slot & 7));
            if n.slots[byte] & bit == 0 {
                n.slots[byte] |= bit;
                n.numslots += 1;
            }
        }
    }

    /// Clears node `i`'s bit for `slot`, without touching the slot map.
    pub fn clear_slot_bit(&mut self, i: NodeIdx, slot: usize) {
        if let Some(n) = self.node_mut(i) {
            let (byte, bit) = (slot >> 3, 1u8 << (slot & 7));
            if n.slots[byte] & bit != 0 {
                n.slots[byte] &= !bit;
                n.numslots -= 1;
            }
        }
    }

    /// Makes `replica` a replica of `master` in the replica lists (Redis's `clusterNodeAddSlave` and
    /// `clusterNodeRemoveSlave` around a change of `replicaof`).
    pub fn set_master_of(&mut self, replica: NodeIdx, master: NodeIdx) {
        let old = self.node(replica).map_or(NO_NODE, |n| n.replicaof);
        if old != NO_NODE {
            if let Some(m) = self.node_mut(old) {
                m.replicas.retain(|&r| r != replica);
            }
        }
        if let Some(r) = self.node_mut(replica) {
            r.replicaof = master;
        }
        if master != NO_NODE {
            if let Some(m) = self.node_mut(master) {
                if !m.replicas.contains(&replica) {
                    m.replicas.push(replica);
                    // A master that had replicas is a target of replica migration once it has none left.
                    m.flags |= flags::MIGRATE_TO;
                }
            }
        }
    }

    /// Asks `before_sleep` to do `bits` (see [`todo`](mod@todo)).
    #[inline]
    pub fn ask(&mut self, bits: u8) {
        self.todo |= bits;
    }
}

/// True for 40 lowercase or uppercase hex characters (what Redis accepts as a node name).
pub fn valid_node_id(id: &[u8]) -> bool {
    id.len() == NODE_ID_LEN && id.iter().all(|b| b.is_ascii_hexdigit())
}

/// A fresh random node name (Redis's `getRandomHexChars` into `clusterNode.name`).
pub fn random_node_id(rng: &mut crate::util::Rng) -> NodeId {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = [0u8; NODE_ID_LEN];
    for b in id.iter_mut() {
        *b = HEX[(rng.next_u64() & 15) as usize];
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_node_clears_every_reference() {
        let mut cl = Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        let m = cl.add_node(Node::new([b'b'; 40], flags::MASTER, 0));
        let r = cl.add_node(Node::new([b'c'; 40], flags::REPLICA, 0));
        cl.set_master_of(r, m);
        assert!(cl.add_slot(m, 7));
        assert!(!cl.add_slot(cl.myself, 7));
        cl.migrating_to[9] = m;
        cl.me_mut().fail_reports.push(FailReport { node: m, time_ms: 1 });
        assert!(cl.remove_node(m).is_some());
        assert_eq!(cl.slots[7], NO_NODE);
        assert_eq!(cl.migrating_to[9], NO_NODE);
        assert_eq!(cl.node(r).map(|n| n.replicaof), Some(NO_NODE));
        assert!(cl.me().fail_reports.is_empty());
        assert!(cl.remove_node(cl.myself).is_none());
        // The freed index is reused.
        assert_eq!(cl.add_node(Node::new([b'd'; 40], flags::MASTER, 0)), m);
    }

    #[test]
    fn del_slot_queues_slots_our_shard_loses() {
        let mut cl = Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        let me = cl.myself;
        let m = cl.add_node(Node::new([b'b'; 40], flags::MASTER, 0));
        let other = cl.add_node(Node::new([b'c'; 40], flags::MASTER, 0));
        let sibling = cl.add_node(Node::new([b'd'; 40], flags::REPLICA, 0));
        cl.set_master_of(sibling, other);
        cl.add_slot(me, 1);
        cl.add_slot(other, 2);
        // Our own slot, not another shard's.
        assert!(cl.del_slot(1) && cl.del_slot(2));
        assert!(!cl.del_slot(1));
        assert_eq!(cl.lost_slots, [1]);
        // As a replica of `m`: its slots are our shard's, and so are those of a fellow replica claiming one.
        cl.lost_slots.clear();
        cl.me_mut().flags = flags::MYSELF | flags::REPLICA;
        cl.set_master_of(me, m);
        cl.add_slot(m, 3);
        cl.add_slot(other, 4);
        let fellow = cl.add_node(Node::new([b'e'; 40], flags::REPLICA, 0));
        cl.set_master_of(fellow, m);
        cl.add_slot(fellow, 5);
        for s in [3, 4, 5] {
            cl.del_slot(s);
        }
        assert_eq!(cl.lost_slots, [3, 5]);
        assert!(cl.in_shard_of(me) && !cl.in_shard_of(sibling));
    }
}
