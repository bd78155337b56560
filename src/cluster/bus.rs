//! The cluster bus: the listener on `cluster-port`, one outbound link per known node and the inbound links they
//! open to us, on the server's event loop; MEET/PING/PONG with gossip, FAIL, UPDATE, PUBLISH and failover
//! messages.
//!
//! Everything here works on the [`Cluster`] alone: links are read and written through their [`Conn`] (plain, or
//! TLS with `tls-cluster yes`: the glue makes the session, the bus never knows which), and what
//! the event loop or the rest of the server must do is left in [`Bus`] (`fresh`, `closing`, `wants_write`,
//! `effects`) for the glue in `server/cluster.rs`, which applies it after each call. Byte-compatible with Redis
//! 7.0: ferredis and redis-server nodes gossip, vote and fail over for each other.
//!
//! ```text
//!  cluster-port listener ─▶ inbound link (node learnt from the first packet's sender)
//!  cron every 100 ms: nodes without a link ─▶ non-blocking connect ─▶ writable: MEET (CLUSTER MEET) or PING
//!    reads: 8-byte prefix (sig "RCmb", totlen ≥ 2256, else the link closes) ─▶ whole packet ─▶ process_packet
//!    PING/MEET ─▶ PONG; handshake node renamed on its PONG; epochs, address, role, slots (a newer configEpoch
//!    takes slots; a master that loses its last slot replicates the new owner; UPDATE to stale senders), gossip
//!    (new nodes, failure reports ─▶ PFAIL→FAIL by a majority of masters ─▶ FAIL broadcast)
//!    writes: per-link send buffer, flushed before sleeping; `cluster-link-sendbuf-limit` closes a link over it
//!  bus ─▶ Effect queue ─▶ server: pub/sub delivery, REPLICAOF host port / NO ONE (promotion), DEL of a lost
//!    slot's keys, the manual-failover write pause
//! ```
//!
//! PUBLISH goes to every node, SPUBLISH to the nodes of our shard. Elections and manual failover are
//! [`super::failover`]; CLUSTER LINKS' data is [`links_info`].

use super::msg::{self, types, Body, Gossip, Header, Msg};
use super::{flags, todo, Cluster, Node, NodeId, NodeIdx, NO_NODE, SLOTS};
use crate::net::conn::Conn;
use crate::sys::socket;
use crate::{log_debug, log_notice, log_verbose, log_warning};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI64, Ordering};

/// How long a node CLUSTER FORGET removed stays out of gossip (`CLUSTER_BLACKLIST_TTL`, seconds).
pub const BLACKLIST_TTL_S: i64 = 60;

/// One bus connection.
pub struct Link {
    pub conn: Conn,
    /// The node at the other end; [`NO_NODE`] for an inbound link whose sender is not known yet.
    pub node: NodeIdx,
    pub inbound: bool,
    /// An outbound link whose non-blocking connect has not completed yet is not connected.
    pub connected: bool,
    pub ctime_ms: i64,
    pub rcv: Vec<u8>,
    pub snd: Vec<u8>,
    /// The peer's address (inbound: where a MEET came from) and ours on this connection.
    pub peer_ip: String,
    pub local_ip: String,
}

/// What the rest of the server does for the bus after a call.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Deliver a PUBLISH / PUBLISHSHARD from another node to our subscribers.
    Publish { channel: Vec<u8>, message: Vec<u8>, sharded: bool },
    /// Replicate from this address (`replicationSetMaster`).
    SetMaster { ip: String, port: u16 },
    /// Stop replicating: this node was promoted (`replicationUnsetMaster`).
    UnsetMaster,
    /// Drop the keys of a slot this master lost.
    DelKeysInSlot(usize),
    /// Pause (true) or resume (false) writes for a manual failover.
    PauseWrites(bool),
}

/// Settings and server facts the bus reads, refreshed by the glue before each call.
#[derive(Default, Clone)]
pub struct Settings {
    pub node_timeout: i64,
    /// `cluster-ping-interval` (Redis 7.4's testing directive): ping a peer whose last pong is this old; 0 means
    /// half the node timeout.
    pub ping_interval: i64,
    pub announce_ip: String,
    /// Announced client port, plaintext port and bus port.
    pub port: u16,
    pub pport: u16,
    pub cport: u16,
    pub sendbuf_limit: u64,
    pub migration_barrier: i64,
    pub allow_replica_migration: bool,
    pub validity_factor: i64,
    pub no_failover: bool,
    /// Our replication offset (what a header carries).
    pub repl_offset: u64,
    /// Replica side: whether the link to our master is up, and since when (ms) it is down (0: never up).
    pub master_link_up: bool,
    pub master_link_down_since_ms: i64,
    /// Whether we replicate from someone right now (Redis's `server.masterhost != NULL`).
    pub has_master: bool,
    /// Whether any client is subscribed to a channel or pattern / to a shard channel.
    pub has_subscribers: bool,
    pub has_shard_subscribers: bool,
}

/// Links and the bus listener.
#[derive(Default)]
pub struct Bus {
    pub links: HashMap<RawFd, Link>,
    /// Each node's outbound and inbound link.
    pub out: HashMap<NodeIdx, RawFd>,
    pub inb: HashMap<NodeIdx, RawFd>,
    pub listeners: Vec<OwnedFd>,
    /// Links just made (to register with the event loop), links to close, links with output to write.
    pub fresh: Vec<RawFd>,
    pub closing: Vec<Link>,
    pub wants_write: Vec<RawFd>,
    pub effects: Vec<Effect>,
    pub settings: Settings,
    pub iteration: u64,
    rng: u64,
    /// Links closed for exceeding `cluster-link-sendbuf-limit` (`total_cluster_links_buffer_limit_exceeded`).
    pub buffer_limit_exceeded: u64,
}

impl Bus {
    fn random(&mut self) -> u64 {
        if self.rng == 0 {
            self.rng = (crate::util::now_ms() as u64) ^ 0x9E37_79B9_7F4A_7C15 ^ (std::process::id() as u64) << 20;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

/// The link info CLUSTER LINKS prints: (direction "to"/"from", node id, create time ms, events "r"/"rw",
/// send buffer allocated, send buffer used).
pub fn links_info(cl: &Cluster) -> Vec<(&'static str, String, i64, &'static str, usize, usize)> {
    let mut out = Vec::new();
    for (i, n) in cl.iter() {
        for (map, dir) in [(&cl.bus.out, "to"), (&cl.bus.inb, "from")] {
            if let Some(l) = map.get(&i).and_then(|fd| cl.bus.links.get(fd)) {
                let events = if l.snd.is_empty() { "r" } else { "rw" };
                out.push((dir, n.name().to_string(), l.ctime_ms, events, l.snd.capacity(), l.snd.len()));
            }
        }
    }
    out
}

/// Memory the links use (`mem_cluster_links`).
pub fn links_memory(cl: &Cluster) -> usize {
    cl.bus.links.values().map(|l| std::mem::size_of::<Link>() + l.snd.capacity() + l.rcv.capacity()).sum()
}

/// CLUSTER MEET: starts a handshake with the node at `ip:port` whose bus listens on `cport` (Redis's
/// `clusterStartHandshake`). `Err` is the error text CLUSTER MEET answers.
pub fn meet(cl: &mut Cluster, ip: &str, port: u16, cport: u16, now_ms: i64) -> Result<(), String> {
    let norm = match ip.parse::<std::net::IpAddr>() {
        Ok(a) if port != 0 && cport != 0 => a.to_string(),
        _ => return Err(format!("Invalid node address specified: {ip}:{port}")),
    };
    let busy = cl.iter().any(|(_, n)| {
        n.has(flags::HANDSHAKE) && n.ip.eq_ignore_ascii_case(&norm) && n.port == port && n.cport == cport
    });
    if !busy {
        let id = random_id(cl);
        let mut n = Node::new(id, flags::HANDSHAKE | flags::MEET, now_ms);
        (n.ip, n.port, n.cport) = (norm, port, cport);
        cl.add_node(n);
    }
    Ok(())
}

fn random_id(cl: &mut Cluster) -> NodeId {
    let mut rng = crate::util::Rng::new(cl.bus.random());
    super::random_node_id(&mut rng)
}

/// Closes the links of a node about to be removed (CLUSTER FORGET, RESET, a handshake that timed out).
pub fn drop_links(cl: &mut Cluster, node: NodeIdx) {
    if let Some(fd) = cl.bus.out.get(&node).copied() {
        free_link(cl, fd);
    }
    if let Some(fd) = cl.bus.inb.get(&node).copied() {
        free_link(cl, fd);
    }
}

/// Removes a node with its links (Redis's `clusterDelNode`, which also drops its failure reports).
pub fn del_node(cl: &mut Cluster, node: NodeIdx) {
    drop_links(cl, node);
    if cl.remove_node(node).is_some() {
        cl.ask(todo::SAVE_CONFIG);
    }
}

/// Closes a link: it leaves the maps, the glue takes it off the event loop and closes it.
pub fn free_link(cl: &mut Cluster, fd: RawFd) {
    let Some(l) = cl.bus.links.remove(&fd) else { return };
    if l.node != NO_NODE {
        let map = if l.inbound { &mut cl.bus.inb } else { &mut cl.bus.out };
        if map.get(&l.node) == Some(&fd) {
            map.remove(&l.node);
        }
    }
    cl.bus.closing.push(l);
}

/// An accepted bus connection.
pub fn add_inbound(cl: &mut Cluster, conn: Conn, peer_ip: String, now_ms: i64) {
    let raw = conn.as_raw_fd();
    let local_ip = socket::local_addr(raw).map(|(ip, _)| ip.to_string()).unwrap_or_default();
    let l = Link {
        conn,
        node: NO_NODE,
        inbound: true,
        connected: true,
        ctime_ms: now_ms,
        rcv: Vec::new(),
        snd: Vec::new(),
        peer_ip,
        local_ip,
    };
    cl.bus.links.insert(raw, l);
    cl.bus.fresh.push(raw);
}

/// Nodes that need an outbound link now (Redis's `clusterNodeCronHandleReconnect`); also drops handshakes that
/// timed out and counts PFAIL nodes.
pub fn nodes_to_connect(cl: &mut Cluster, now_ms: i64) -> Vec<(NodeIdx, String, u16)> {
    let handshake_timeout = cl.bus.settings.node_timeout.max(1000);
    let mut pfail = 0;
    let mut expired = Vec::new();
    let mut want = Vec::new();
    for (i, n) in cl.iter() {
        if n.has(flags::MYSELF | flags::NOADDR) {
            continue;
        }
        if n.has(flags::PFAIL) {
            pfail += 1;
        }
        if n.has(flags::HANDSHAKE) && now_ms - n.ctime_ms > handshake_timeout {
            expired.push(i);
            continue;
        }
        if !cl.bus.out.contains_key(&i) {
            want.push((i, n.ip.clone(), n.cport));
        }
    }
    cl.pfail_nodes = pfail;
    for i in expired {
        del_node(cl, i);
    }
    want
}

/// A connect that could not even start: the node counts as pinged, so it can time out.
pub fn connect_failed(cl: &mut Cluster, node: NodeIdx, now_ms: i64) {
    if let Some(n) = cl.node_mut(node) {
        if n.ping_sent_ms == 0 {
            n.ping_sent_ms = now_ms;
        }
    }
}

/// An outbound connection started for `node`.
pub fn add_outbound(cl: &mut Cluster, node: NodeIdx, conn: Conn, now_ms: i64) {
    let raw = conn.as_raw_fd();
    let l = Link {
        conn,
        node,
        inbound: false,
        connected: false,
        ctime_ms: now_ms,
        rcv: Vec::new(),
        snd: Vec::new(),
        peer_ip: String::new(),
        local_ip: String::new(),
    };
    cl.bus.links.insert(raw, l);
    cl.bus.out.insert(node, raw);
    cl.bus.fresh.push(raw);
}

/// The non-blocking connect of an outbound link finished (`err`: how it failed). On success the first PING (or
/// MEET) goes out (Redis's `clusterLinkConnectHandler`).
pub fn link_connected(cl: &mut Cluster, fd: RawFd, err: Option<std::io::Error>, now_ms: i64) {
    let Some(l) = cl.bus.links.get_mut(&fd) else { return };
    let node = l.node;
    if let Some(e) = err {
        if let Some(n) = cl.node(node) {
            log_verbose!(
                "Connection with Node {} at {}:{} failed: {}",
                n.name(),
                n.ip,
                n.cport,
                crate::sys::error_text(&e)
            );
        }
        free_link(cl, fd);
        return;
    }
    l.connected = true;
    l.local_ip = socket::local_addr(fd).map(|(ip, _)| ip.to_string()).unwrap_or_default();
    let Some(n) = cl.node(node) else { return };
    let (old_ping_sent, meet) = (n.ping_sent_ms, n.has(flags::MEET));
    send_ping(cl, fd, if meet { types::MEET } else { types::PING }, now_ms);
    if let Some(n) = cl.node_mut(node) {
        if old_ping_sent != 0 {
            n.ping_sent_ms = old_ping_sent;
        }
        n.flags &= !flags::MEET;
    }
    if !cl.bus.links.get(&fd).is_some_and(|l| l.snd.is_empty()) {
        cl.bus.wants_write.push(fd);
    }
}

/// Reads what the socket has and processes every complete packet (Redis's `clusterReadHandler`).
pub fn read_link(cl: &mut Cluster, fd: RawFd, now_ms: i64) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let Some(l) = cl.bus.links.get_mut(&fd) else { return };
        let want = if l.rcv.len() < 8 {
            8 - l.rcv.len()
        } else {
            let first: [u8; 8] = [l.rcv[0], l.rcv[1], l.rcv[2], l.rcv[3], l.rcv[4], l.rcv[5], l.rcv[6], l.rcv[7]];
            match msg::frame_len(&first) {
                Some(len) => (len - l.rcv.len()).min(buf.len()),
                None => {
                    log_warning!("Bad message length or signature received from Cluster bus.");
                    free_link(cl, fd);
                    return;
                }
            }
        };
        match l.conn.read(&mut buf[..want]) {
            Ok(0) => {
                log_debug!("I/O error reading from node link: connection closed");
                free_link(cl, fd);
                return;
            }
            Ok(n) => l.rcv.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                // Over TLS, handshake records the socket did not take yet.
                if l.conn.wants_write() {
                    cl.bus.wants_write.push(fd);
                }
                return;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log_debug!("I/O error reading from node link: {e}");
                free_link(cl, fd);
                return;
            }
        }
        let Some(l) = cl.bus.links.get_mut(&fd) else { return };
        if l.rcv.len() >= 8 {
            let first: [u8; 8] = [l.rcv[0], l.rcv[1], l.rcv[2], l.rcv[3], l.rcv[4], l.rcv[5], l.rcv[6], l.rcv[7]];
            if let Some(len) = msg::frame_len(&first) {
                if l.rcv.len() == len {
                    let packet = std::mem::take(&mut l.rcv);
                    if !process_packet(cl, fd, &packet, now_ms) {
                        return;
                    }
                }
            }
        }
    }
}

/// Writes what the link has queued. Returns whether output remains (the glue then waits for writability).
pub fn flush_link(cl: &mut Cluster, fd: RawFd) -> bool {
    let Some(l) = cl.bus.links.get_mut(&fd) else { return false };
    if !l.connected {
        return false;
    }
    // Over TLS, records may wait for the socket after the buffer is empty: a write of nothing sends them.
    while !l.snd.is_empty() || l.conn.wants_write() {
        match l.conn.write(&l.snd) {
            Ok(0) if l.snd.is_empty() => {
                if l.conn.wants_write() {
                    return true;
                }
            }
            Ok(n) => {
                l.snd.drain(..n);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log_debug!("I/O error writing to node link: {e}");
                free_link(cl, fd);
                return false;
            }
        }
    }
    if l.snd.capacity() > 64 * 1024 {
        l.snd = Vec::new();
    }
    false
}

/// Queues a packet on a link (Redis's `clusterSendMessage`).
fn send(cl: &mut Cluster, fd: RawFd, packet: &[u8]) {
    let Some(l) = cl.bus.links.get_mut(&fd) else { return };
    if l.snd.is_empty() {
        cl.bus.wants_write.push(fd);
    }
    l.snd.extend_from_slice(packet);
    if let Some(t) = msg::peek_type(packet).filter(|&t| (t as usize) < msg::TYPE_COUNT) {
        cl.stats_sent[t as usize] += 1;
    }
}

/// Queues a packet on a node's outbound link, if it has one.
pub fn send_to_node(cl: &mut Cluster, node: NodeIdx, packet: &[u8]) {
    if let Some(fd) = cl.bus.out.get(&node).copied() {
        send(cl, fd, packet);
    }
}

/// Sends a packet to every node with a link, except myself and nodes in handshake (`clusterBroadcastMessage`).
pub fn broadcast(cl: &mut Cluster, packet: &[u8]) {
    let targets: Vec<NodeIdx> =
        cl.iter().filter(|(_, n)| !n.has(flags::MYSELF | flags::HANDSHAKE)).map(|(i, _)| i).collect();
    for i in targets {
        send_to_node(cl, i, packet);
    }
}

/// The header of a message from this node (Redis's `clusterBuildMessageHdr`).
pub fn header(cl: &Cluster, ty: u16) -> Header {
    let me = cl.me();
    let master = if me.is_replica() { cl.node(me.replicaof).unwrap_or(me) } else { me };
    let s = &cl.bus.settings;
    let mut h = Header::new(ty, me.id);
    h.myip = s.announce_ip.as_bytes().to_vec();
    h.port = s.port;
    h.pport = s.pport;
    h.cport = s.cport;
    h.myslots.copy_from_slice(&master.slots[..]);
    h.slaveof = cl.node(me.replicaof).map(|m| m.id);
    h.flags = me.flags;
    h.state = if cl.state_ok { 0 } else { 1 };
    h.current_epoch = cl.current_epoch;
    h.config_epoch = master.config_epoch;
    h.offset = s.repl_offset;
    if me.is_master() && cl.failover.mf_end_ms != 0 {
        h.mflags[0] |= msg::mflags0::PAUSED;
    }
    h.mflags[1] |= msg::mflags1::SHARDID_OK;
    h
}

fn gossip_entry(n: &Node) -> Gossip {
    Gossip {
        id: n.id,
        ping_sent: (n.ping_sent_ms / 1000) as u32,
        pong_received: (n.pong_received_ms / 1000) as u32,
        ip: n.ip.as_bytes().to_vec(),
        port: n.port,
        cport: n.cport,
        flags: n.flags,
        pport: n.pport,
    }
}

/// Sends a PING, PONG or MEET with gossip about some nodes (Redis's `clusterSendPing`): wanted = max(3, n/10)
/// random healthy nodes (at most the others but the receiver), plus every node in PFAIL.
pub fn send_ping(cl: &mut Cluster, fd: RawFd, ty: u16, now_ms: i64) {
    let Some(l) = cl.bus.links.get(&fd) else { return };
    let (inbound, target) = (l.inbound, l.node);
    let total = cl.len();
    let mut freshnodes = total as i64 - 2;
    let wanted = ((total / 10).max(3) as i64).min(freshnodes.max(0)) as usize;
    if !inbound && ty == types::PING {
        if let Some(n) = cl.node_mut(target) {
            n.ping_sent_ms = now_ms;
        }
    }
    let hdr = header(cl, ty);
    let mut gossip = Vec::with_capacity(wanted + cl.pfail_nodes as usize);
    let mut chosen: Vec<NodeIdx> = Vec::new();
    let slots = cl.nodes.len() as u64;
    let mut iterations = wanted * 3;
    while freshnodes > 0 && gossip.len() < wanted && iterations > 0 && slots > 0 {
        iterations -= 1;
        let i = (cl.bus.random() % slots) as NodeIdx;
        let Some(n) = cl.node(i) else { continue };
        if i == cl.myself || n.has(flags::PFAIL) {
            continue;
        }
        if n.has(flags::HANDSHAKE | flags::NOADDR) || (!cl.bus.out.contains_key(&i) && n.numslots == 0) {
            freshnodes -= 1;
            continue;
        }
        if chosen.contains(&i) {
            continue;
        }
        chosen.push(i);
        gossip.push(gossip_entry(n));
        freshnodes -= 1;
    }
    let mut pfail_wanted = cl.pfail_nodes;
    for (_, n) in cl.iter() {
        if pfail_wanted == 0 {
            break;
        }
        if n.has(flags::HANDSHAKE | flags::NOADDR) || !n.has(flags::PFAIL) {
            continue;
        }
        gossip.push(gossip_entry(n));
        pfail_wanted -= 1;
    }
    // myself's hostname, which CONFIG SET changes at once (Redis builds the extension from `myself->hostname`):
    // a copy refreshed by the cron would send the old name, or none, for up to a tick after the change.
    let hostname = Some(cl.me().hostname.as_bytes().to_vec()).filter(|h| !h.is_empty());
    // Our shard id, to a node known to read it (a Redis 7.0 node would log every unknown extension).
    let shard_id = cl.node(target).filter(|n| n.shard_ext).map(|_| cl.me().shard_id);
    let packet = Msg { hdr, body: Body::Ping { gossip, hostname, shard_id } }.encode();
    send(cl, fd, &packet);
}

/// Sends a PONG to every node with a link (Redis's `clusterBroadcastPong(CLUSTER_BROADCAST_ALL)`), after this
/// node's configuration changed.
pub fn broadcast_pong(cl: &mut Cluster, now_ms: i64) {
    broadcast_pong_to(cl, false, now_ms)
}

/// [`broadcast_pong`], or only to the replicas of our master (`CLUSTER_BROADCAST_LOCAL_SLAVES`).
pub fn broadcast_pong_to(cl: &mut Cluster, local_replicas: bool, now_ms: i64) {
    let my_master = cl.me().replicaof;
    let targets: Vec<RawFd> = cl
        .iter()
        .filter(|(i, n)| *i != cl.myself && !n.has(flags::HANDSHAKE))
        .filter(|(_, n)| {
            !local_replicas
                || (n.is_replica() && n.replicaof != NO_NODE && (n.replicaof == cl.myself || n.replicaof == my_master))
        })
        .filter_map(|(i, _)| cl.bus.out.get(&i).copied())
        .collect();
    for fd in targets {
        send_ping(cl, fd, types::PONG, now_ms);
    }
}

/// Sends PUBLISH (or PUBLISHSHARD when `sharded`) to the other nodes (Redis's `clusterPropagatePublish`):
/// every node, or for a shard channel the nodes serving our slots (our master or us, and its replicas).
pub fn publish(cl: &mut Cluster, channel: &[u8], message: &[u8], sharded: bool) {
    let ty = if sharded { types::PUBLISHSHARD } else { types::PUBLISH };
    let packet =
        Msg { hdr: header(cl, ty), body: Body::Publish { channel: channel.to_vec(), message: message.to_vec() } }
            .encode();
    if !sharded {
        broadcast(cl, &packet);
        return;
    }
    let me = cl.me();
    let master = if me.is_replica() { me.replicaof } else { cl.myself };
    let Some(m) = cl.node(master) else { return };
    let mut targets = m.replicas.clone();
    targets.push(master);
    for i in targets {
        if cl.node(i).is_some_and(|n| !n.has(flags::MYSELF | flags::HANDSHAKE)) {
            send_to_node(cl, i, &packet);
        }
    }
}

/// Sends FAIL about a node to everybody (`clusterSendFail`).
pub fn send_fail(cl: &mut Cluster, about: NodeId) {
    let packet = Msg { hdr: header(cl, types::FAIL), body: Body::Fail(about) }.encode();
    broadcast(cl, &packet);
}

/// Sends UPDATE about `about` on a link (`clusterSendUpdate`).
fn send_update(cl: &mut Cluster, fd: RawFd, about: NodeIdx) {
    let Some(n) = cl.node(about) else { return };
    let body = Body::Update { config_epoch: n.config_epoch, node: n.id, slots: n.slots.clone() };
    let packet = Msg { hdr: header(cl, types::UPDATE), body }.encode();
    send(cl, fd, &packet);
}

/// A message with a header only (FAILOVER_AUTH_REQUEST / ACK, MFSTART).
pub fn header_only(cl: &Cluster, ty: u16, mflags0: u8) -> Vec<u8> {
    let mut hdr = header(cl, ty);
    hdr.mflags[0] |= mflags0;
    Msg { hdr, body: Body::Empty }.encode()
}

/// The sender of a packet (Redis's `getNodeFromLinkAndMsg`): the link's node, or the one the header names (an
/// inbound link learns its node this way).
fn sender_of(cl: &mut Cluster, fd: RawFd, hdr: &Header) -> NodeIdx {
    let Some(l) = cl.bus.links.get(&fd) else { return NO_NODE };
    let (linked, inbound) = (l.node, l.inbound);
    if linked != NO_NODE && cl.node(linked).is_some_and(|n| !n.has(flags::HANDSHAKE)) {
        return linked;
    }
    let Some(sender) = cl.lookup(&hdr.sender) else { return NO_NODE };
    if linked == NO_NODE && inbound {
        if let Some(old) = cl.bus.inb.get(&sender).copied() {
            if old != fd {
                free_link(cl, old);
            }
        }
        cl.bus.inb.insert(sender, fd);
        if let Some(l) = cl.bus.links.get_mut(&fd) {
            l.node = sender;
        }
    }
    sender
}

/// The address a node announced in a header, or the peer address of the link it came on (`nodeIp2String`).
fn announced_ip(cl: &Cluster, fd: RawFd, hdr: &Header) -> Option<String> {
    if !hdr.myip.is_empty() {
        return Some(String::from_utf8_lossy(&hdr.myip).into_owned());
    }
    let l = cl.bus.links.get(&fd)?;
    if !l.peer_ip.is_empty() {
        return Some(l.peer_ip.clone());
    }
    cl.node(l.node).map(|n| n.ip.clone()).filter(|ip| !ip.is_empty())
}

/// DEBUG DROP-CLUSTER-PACKET-FILTER's message type (-1 = drop nothing): tests make a node deaf to one message type. Set
/// by DEBUG DROP-CLUSTER-PACKET-FILTER ([`command::debug`](crate::command::debug)) on the main thread, read by
/// [`process_packet`] for every packet. A test knob kept as a static, as Redis's global: the bus reads it where the
/// command context is out of reach.
pub static DROP_PACKET_FILTER: AtomicI64 = AtomicI64::new(-1);

/// What [`process_packet`] learnt about a packet and its link before acting on the body.
struct Incoming<'a> {
    fd: RawFd,
    hdr: &'a Header,
    /// The known sender, or `NO_NODE`.
    sender: NodeIdx,
    /// The sender's epochs as the header gives them; 0 when the sender is unknown or in handshake.
    sender_current_epoch: u64,
    sender_config_epoch: u64,
    /// The link the packet came on: its direction and its node.
    inbound: bool,
    link_node: NodeIdx,
}

/// Processes one packet; false when the link was closed by it (Redis's `clusterProcessPacket`).
pub fn process_packet(cl: &mut Cluster, fd: RawFd, packet: &[u8], now_ms: i64) -> bool {
    if let Some(t) = msg::peek_type(packet).filter(|&t| (t as usize) < msg::TYPE_COUNT) {
        cl.stats_received[t as usize] += 1;
    }
    // DEBUG DROP-CLUSTER-PACKET-FILTER <type>: tests make a node deaf to one message type.
    let filter = DROP_PACKET_FILTER.load(Ordering::Relaxed);
    if filter >= 0 && msg::peek_type(packet).is_some_and(|t| t as i64 == filter) {
        log_warning!("Dropping packet that matches debug drop filter");
        return true;
    }
    let m = match msg::decode(packet) {
        Ok(m) => m,
        Err(e) => {
            if let Some(line) = e.log {
                log_warning!("{line}");
            }
            return true;
        }
    };
    let hdr = &m.hdr;
    let ty = hdr.ty;
    let sender = sender_of(cl, fd, hdr);
    let (sender_current_epoch, sender_config_epoch) = update_sender_from_header(cl, sender, hdr, now_ms);
    let (inbound, link_node) = match cl.bus.links.get(&fd) {
        Some(l) => (l.inbound, l.node),
        None => return false,
    };
    let p = Incoming { fd, hdr, sender, sender_current_epoch, sender_config_epoch, inbound, link_node };

    if ty == types::PING || ty == types::MEET {
        answer_ping_or_meet(cl, &p, &m.body, now_ms);
    }

    match &m.body {
        Body::Ping { gossip, hostname, shard_id } => {
            return process_ping_body(cl, &p, gossip, hostname.as_deref(), *shard_id, now_ms);
        }
        Body::Fail(about) => process_fail(cl, &p, about, now_ms),
        Body::Publish { channel, message } => {
            if sender == NO_NODE {
                return true;
            }
            let sharded = ty == types::PUBLISHSHARD;
            let s = &cl.bus.settings;
            if (sharded && s.has_shard_subscribers) || (!sharded && s.has_subscribers) {
                cl.bus.effects.push(Effect::Publish { channel: channel.clone(), message: message.clone(), sharded });
            }
        }
        Body::Update { config_epoch, node, slots } => process_update(cl, &p, *config_epoch, node, slots, now_ms),
        Body::Module { .. } => {}
        Body::Empty => process_failover_msg(cl, &p, now_ms),
    }
    true
}

/// What a known sender's header tells: data received, epochs, replication offset and a paused master's offset for
/// a manual failover. Returns the sender's (current, config) epochs, 0s for an unknown or handshake sender.
fn update_sender_from_header(cl: &mut Cluster, sender: NodeIdx, hdr: &Header, now_ms: i64) -> (u64, u64) {
    let mut sender_config_epoch = 0;
    let mut sender_current_epoch = 0;
    if let Some(s) = cl.node_mut(sender) {
        s.data_received_ms = now_ms;
    }
    if cl.node(sender).is_some_and(|s| !s.has(flags::HANDSHAKE)) {
        sender_current_epoch = hdr.current_epoch;
        sender_config_epoch = hdr.config_epoch;
        if sender_current_epoch > cl.current_epoch {
            cl.current_epoch = sender_current_epoch;
        }
        if let Some(s) = cl.node_mut(sender) {
            if sender_config_epoch > s.config_epoch {
                s.config_epoch = sender_config_epoch;
                cl.ask(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
            }
        }
        if let Some(s) = cl.node_mut(sender) {
            s.repl_offset = hdr.offset as i64;
            s.repl_offset_time_ms = now_ms;
        }
        let me = cl.me();
        if cl.failover.mf_end_ms != 0
            && me.is_replica()
            && me.replicaof == sender
            && hdr.mflags[0] & msg::mflags0::PAUSED != 0
            && cl.failover.mf_master_offset == -1
        {
            cl.failover.mf_master_offset = hdr.offset as i64;
            cl.ask(todo::HANDLE_MANUALFAILOVER);
            log_warning!("Received replication offset for paused master manual failover: {}", hdr.offset);
        }
    }
    (sender_current_epoch, sender_config_epoch)
}

/// A PING or MEET: learn our own address, add a MEETing unknown node in handshake, and answer with a PONG.
fn answer_ping_or_meet(cl: &mut Cluster, p: &Incoming, body: &Body, now_ms: i64) {
    let (fd, hdr, ty) = (p.fd, p.hdr, p.hdr.ty);
    // Our own address as the peer sees it, when nobody announced one.
    if (ty == types::MEET || cl.me().ip.is_empty()) && cl.bus.settings.announce_ip.is_empty() {
        let local = cl.bus.links.get(&fd).map(|l| l.local_ip.clone()).unwrap_or_default();
        if !local.is_empty() && local != cl.me().ip {
            log_warning!("IP address for this node updated to {local}");
            cl.me_mut().ip = local;
            cl.ask(todo::SAVE_CONFIG);
        }
    }
    if p.sender == NO_NODE && ty == types::MEET {
        let id = random_id(cl);
        let mut n = Node::new(id, flags::HANDSHAKE, now_ms);
        n.ip = announced_ip(cl, fd, hdr).unwrap_or_default();
        (n.port, n.pport, n.cport) = (hdr.port, hdr.pport, hdr.cport);
        cl.add_node(n);
        cl.ask(todo::SAVE_CONFIG);
        if let Body::Ping { gossip, .. } = body {
            process_gossip(cl, NO_NODE, gossip, now_ms);
        }
    }
    send_ping(cl, fd, types::PONG, now_ms);
}

/// The body of a PING, PONG or MEET: handshake, liveness, the sender's role, slots, gossip and extensions. False
/// when the link was closed.
fn process_ping_body(
    cl: &mut Cluster,
    p: &Incoming,
    gossip: &[Gossip],
    hostname: Option<&[u8]>,
    shard_id: Option<NodeId>,
    now_ms: i64,
) -> bool {
    let (fd, hdr, ty, sender, link_node) = (p.fd, p.hdr, p.hdr.ty, p.sender, p.link_node);
    log_debug!("{} packet received: {}", msg::type_name(ty), cl.node(link_node).map_or("NULL", |n| n.name()));
    if !p.inbound && !check_outbound_link(cl, p, now_ms) {
        return false;
    }
    // After a rename the sender stays unknown for the rest of this packet, as in Redis: its role and slots
    // come with the next one.
    if let Some(s) = cl.node_mut(sender) {
        s.flags = (s.flags & !flags::NOFAILOVER) | (hdr.flags & flags::NOFAILOVER);
    }
    if ty == types::PING
        && cl.node(sender).is_some_and(|s| !s.has(flags::HANDSHAKE))
        && update_address_if_needed(cl, sender, fd, hdr)
    {
        cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE);
    }
    if !p.inbound && ty == types::PONG {
        if let Some(n) = cl.node_mut(link_node) {
            n.pong_received_ms = now_ms;
            n.ping_sent_ms = 0;
            if n.has(flags::PFAIL) {
                n.flags &= !flags::PFAIL;
                cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE);
            } else if n.has(flags::FAIL) {
                super::failover::clear_failure_if_needed(cl, link_node, now_ms);
            }
        }
    }
    if sender == NO_NODE {
        return true;
    }
    update_sender_role(cl, sender, hdr);
    update_sender_slots(cl, p, now_ms);
    if cl.me().is_master()
        && cl.node(sender).is_some_and(|s| s.is_master())
        && p.sender_config_epoch == cl.me().config_epoch
    {
        handle_config_epoch_collision(cl, sender);
    }
    process_gossip(cl, sender, gossip, now_ms);
    process_ping_ext(cl, sender, hdr, hostname, shard_id);
    true
}

/// A PING-family packet on an outbound link: completes a handshake, or, when the node answering is not the one
/// we meant, forgets that node's address and closes the link. False when the link was closed.
fn check_outbound_link(cl: &mut Cluster, p: &Incoming, now_ms: i64) -> bool {
    let (fd, hdr, sender, link_node) = (p.fd, p.hdr, p.sender, p.link_node);
    let in_handshake = cl.node(link_node).is_some_and(|n| n.has(flags::HANDSHAKE));
    if in_handshake {
        if sender != NO_NODE {
            // We already know this node under its real name: keep that one, drop the handshake node.
            log_verbose!(
                "Handshake: we already know node {}, updating the address if needed.",
                cl.node(sender).map_or("", |n| n.name())
            );
            if update_address_if_needed(cl, sender, fd, hdr) {
                cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE);
            }
            del_node(cl, link_node);
            return false;
        }
        rename_node(cl, link_node, hdr.sender);
        if let Some(n) = cl.node_mut(link_node) {
            n.flags &= !flags::HANDSHAKE;
            n.flags |= hdr.flags & (flags::MASTER | flags::REPLICA);
            log_debug!("Handshake with node {} completed.", n.name());
        }
        cl.ask(todo::SAVE_CONFIG);
    } else if cl.node(link_node).is_some_and(|n| n.id != hdr.sender) {
        if let Some(n) = cl.node_mut(link_node) {
            log_debug!(
                "PONG contains mismatching sender ID. About node {} added {} ms ago, having flags {}",
                n.name(),
                now_ms - n.ctime_ms,
                n.flags
            );
            n.flags |= flags::NOADDR;
            n.ip.clear();
            (n.port, n.pport, n.cport) = (0, 0, 0);
        }
        free_link(cl, fd);
        cl.ask(todo::SAVE_CONFIG);
        return false;
    }
    true
}

/// Role and master of the sender, as its header gives them.
fn update_sender_role(cl: &mut Cluster, sender: NodeIdx, hdr: &Header) {
    match hdr.slaveof {
        None => set_node_as_master(cl, sender),
        Some(master_id) => {
            let master = cl.lookup(&master_id).unwrap_or(NO_NODE);
            if cl.node(sender).is_some_and(|s| s.is_master()) {
                del_node_slots(cl, sender);
                if let Some(s) = cl.node_mut(sender) {
                    s.flags &= !(flags::MASTER | flags::MIGRATE_TO);
                    s.flags |= flags::REPLICA;
                }
                cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE);
            }
            if master != NO_NODE && cl.node(sender).is_some_and(|s| s.replicaof != master) {
                cl.set_master_of(sender, master);
                // A replica joins its master's shard (Redis 7.2's updateShardId on a new master).
                if let Some(sid) = cl.node(master).map(|m| m.shard_id) {
                    cl.update_shard_id(sender, sid);
                }
                cl.ask(todo::SAVE_CONFIG);
            }
        }
    }
}

/// Slots: the sender (or its master) claims what the header says; a sender with a stale view gets an UPDATE.
fn update_sender_slots(cl: &mut Cluster, p: &Incoming, now_ms: i64) {
    let (hdr, sender, sender_config_epoch) = (p.hdr, p.sender, p.sender_config_epoch);
    let sender_master = match cl.node(sender) {
        Some(s) if s.is_master() => sender,
        Some(s) => s.replicaof,
        None => NO_NODE,
    };
    let dirty = cl.node(sender_master).is_some_and(|m| m.slots[..] != hdr.myslots[..]);
    if dirty && cl.node(sender).is_some_and(|s| s.is_master()) {
        update_slots_config_with(cl, sender, sender_config_epoch, &hdr.myslots, now_ms);
    }
    if dirty {
        // The sender claims slots that a node with a newer config epoch owns: tell it.
        for j in 0..SLOTS {
            if hdr.myslots[j >> 3] & (1 << (j & 7)) == 0 {
                continue;
            }
            let owner = cl.slots[j];
            if owner == sender || owner == NO_NODE {
                continue;
            }
            if cl.node(owner).is_some_and(|o| o.config_epoch > sender_config_epoch) {
                log_verbose!(
                    "Node {} has old slots configuration, sending an UPDATE message about {}",
                    cl.node(sender).map_or("", |n| n.name()),
                    cl.node(owner).map_or("", |n| n.name())
                );
                if let Some(out) = cl.bus.out.get(&sender).copied() {
                    send_update(cl, out, owner);
                }
                break;
            }
        }
    }
}

/// The sender's hostname and shard id from the ping extensions (Redis's `clusterProcessPingExt`).
fn process_ping_ext(
    cl: &mut Cluster,
    sender: NodeIdx,
    hdr: &Header,
    hostname: Option<&[u8]>,
    shard_id: Option<NodeId>,
) {
    // The sender's hostname, or none when the packet has no extension (Redis's `updateAnnouncedHostname`,
    // which leaves nodes.conf to the next save).
    let hn = hostname.map(|h| String::from_utf8_lossy(h).into_owned()).unwrap_or_default();
    if let Some(s) = cl.node_mut(sender).filter(|s| s.hostname != hn) {
        s.hostname = hn;
    }
    // Its shard id (Redis 7.2's clusterProcessPingExt): the one it sent, else its master's (or the one we
    // gave it, for a Redis 7.0 master).
    if sender != NO_NODE {
        if shard_id.is_some() || hdr.mflags[1] & msg::mflags1::SHARDID_OK != 0 {
            if let Some(s) = cl.node_mut(sender) {
                s.shard_ext = true;
            }
        }
        if let Some(sid) = shard_id.or_else(|| cl.shard_of(sender)) {
            cl.update_shard_id(sender, sid);
        }
    }
}

/// A FAIL message: a known sender tells that a node failed.
fn process_fail(cl: &mut Cluster, p: &Incoming, about: &NodeId, now_ms: i64) {
    let hdr = p.hdr;
    if p.sender != NO_NODE {
        let failing = cl.lookup(about).unwrap_or(NO_NODE);
        if let Some(f) = cl.node_mut(failing).filter(|f| !f.has(flags::FAIL | flags::MYSELF)) {
            log_notice!(
                "FAIL message received from {} about {}",
                String::from_utf8_lossy(&hdr.sender),
                String::from_utf8_lossy(about)
            );
            f.flags |= flags::FAIL;
            f.fail_time_ms = now_ms;
            f.flags &= !flags::PFAIL;
            cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE);
        }
    } else {
        log_notice!(
            "Ignoring FAIL message from unknown node {} about {}",
            String::from_utf8_lossy(&hdr.sender),
            String::from_utf8_lossy(about)
        );
    }
}

/// An UPDATE message: a node's newer config epoch and slots.
fn process_update(
    cl: &mut Cluster,
    p: &Incoming,
    config_epoch: u64,
    node: &NodeId,
    slots: &[u8; SLOTS / 8],
    now_ms: i64,
) {
    if p.sender == NO_NODE {
        return;
    }
    let Some(n) = cl.lookup(node) else { return };
    if cl.node(n).is_some_and(|x| x.config_epoch >= config_epoch) {
        return;
    }
    if cl.node(n).is_some_and(|x| x.is_replica()) {
        set_node_as_master(cl, n);
    }
    if let Some(x) = cl.node_mut(n) {
        x.config_epoch = config_epoch;
    }
    cl.ask(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
    update_slots_config_with(cl, n, config_epoch, slots, now_ms);
}

/// The bodiless messages: FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART (and unknown types).
fn process_failover_msg(cl: &mut Cluster, p: &Incoming, now_ms: i64) {
    let (fd, hdr, ty, sender) = (p.fd, p.hdr, p.hdr.ty, p.sender);
    match ty {
        types::FAILOVER_AUTH_REQUEST if sender != NO_NODE => {
            super::failover::send_auth_if_needed(cl, sender, hdr, now_ms);
        }
        types::FAILOVER_AUTH_ACK if sender != NO_NODE => {
            if cl.node(sender).is_some_and(|s| s.is_master() && s.numslots > 0)
                && p.sender_current_epoch >= cl.failover.auth_epoch
            {
                cl.failover.auth_count += 1;
                cl.ask(todo::HANDLE_FAILOVER);
            }
        }
        types::MFSTART => {
            if sender == NO_NODE || cl.node(sender).is_some_and(|s| s.replicaof != cl.myself) {
                return;
            }
            super::failover::reset_manual(cl);
            cl.failover.mf_end_ms = now_ms + super::failover::MF_TIMEOUT_MS;
            cl.failover.mf_replica = sender;
            cl.bus.effects.push(Effect::PauseWrites(true));
            log_warning!("Manual failover requested by replica {}.", cl.node(sender).map_or("", |n| n.name()));
            send_ping(cl, fd, types::PING, now_ms);
        }
        types::FAILOVER_AUTH_REQUEST | types::FAILOVER_AUTH_ACK => {}
        _ => log_warning!("Received unknown packet type: {ty}"),
    }
}

/// Gives a handshake node its real name (Redis's `clusterRenameNode`).
fn rename_node(cl: &mut Cluster, i: NodeIdx, id: NodeId) {
    let Some(n) = cl.node_mut(i) else { return };
    let old = n.id;
    n.id = id;
    log_debug!("Renaming node {} into {}", String::from_utf8_lossy(&old), String::from_utf8_lossy(&id));
    cl.by_id.remove(&old);
    cl.by_id.insert(id, i);
}

/// Takes a node's new address from a header when it changed (Redis's `nodeUpdateAddressIfNeeded`).
fn update_address_if_needed(cl: &mut Cluster, node: NodeIdx, fd: RawFd, hdr: &Header) -> bool {
    if cl.bus.out.get(&node) == Some(&fd) {
        return false;
    }
    let Some(ip) = announced_ip(cl, fd, hdr) else { return false };
    let Some(n) = cl.node_mut(node) else { return false };
    if n.port == hdr.port && n.cport == hdr.cport && n.pport == hdr.pport && n.ip == ip {
        return false;
    }
    n.ip = ip;
    (n.port, n.pport, n.cport) = (hdr.port, hdr.pport, hdr.cport);
    n.flags &= !flags::NOADDR;
    log_warning!("Address updated for node {}, now {}:{}", n.name(), n.ip, n.port);
    let (ip, port) = (n.ip.clone(), n.port);
    if let Some(fd) = cl.bus.out.get(&node).copied() {
        free_link(cl, fd);
    }
    if cl.me().is_replica() && cl.me().replicaof == node {
        cl.bus.effects.push(Effect::SetMaster { ip, port });
    }
    true
}

/// Makes a node a master (Redis's `clusterSetNodeAsMaster`).
pub fn set_node_as_master(cl: &mut Cluster, i: NodeIdx) {
    let Some(n) = cl.node(i) else { return };
    if n.is_master() {
        return;
    }
    if n.replicaof != NO_NODE {
        cl.set_master_of(i, NO_NODE);
        if i != cl.myself {
            if let Some(n) = cl.node_mut(i) {
                n.flags |= flags::MIGRATE_TO;
            }
        }
    }
    if let Some(n) = cl.node_mut(i) {
        n.flags = (n.flags & !flags::REPLICA) | flags::MASTER;
        n.replicaof = NO_NODE;
    }
    cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE);
}

/// Unassigns every slot a node owns (`clusterDelNodeSlots`).
pub fn del_node_slots(cl: &mut Cluster, i: NodeIdx) {
    for j in 0..SLOTS {
        if cl.node(i).is_some_and(|n| n.owns_slot(j)) {
            if cl.slots[j] == i {
                cl.del_slot(j);
            } else {
                cl.clear_slot_bit(i, j);
            }
        }
    }
}

/// A master claims `slots` with `epoch` (Redis's `clusterUpdateSlotsConfigWith`): slots unassigned or owned with
/// an older epoch move to it; losing our own slots may turn us into its replica.
pub fn update_slots_config_with(cl: &mut Cluster, sender: NodeIdx, epoch: u64, slots: &[u8; SLOTS / 8], now: i64) {
    if sender == cl.myself {
        log_warning!("Discarding UPDATE message about myself.");
        return;
    }
    let me = cl.me();
    let curmaster = if me.is_master() { cl.myself } else { me.replicaof };
    let mut newmaster = NO_NODE;
    let mut dirty_slots = Vec::new();
    let (mut sender_slots, mut migrated_our_slots) = (0, 0);
    for j in 0..SLOTS {
        if slots[j >> 3] & (1 << (j & 7)) == 0 {
            continue;
        }
        sender_slots += 1;
        let owner = cl.slots[j];
        if owner == sender || cl.importing_from[j] != NO_NODE {
            continue;
        }
        if owner == NO_NODE || cl.node(owner).is_some_and(|o| o.config_epoch < epoch) {
            if owner == cl.myself && sender != cl.myself {
                dirty_slots.push(j);
            }
            if owner == curmaster && curmaster != NO_NODE {
                newmaster = sender;
                migrated_our_slots += 1;
            }
            cl.del_slot(j);
            cl.add_slot(sender, j);
            cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
        }
    }
    let cur_numslots = cl.node(curmaster).map_or(0, |m| m.numslots);
    let grand = cl.node(cl.me().replicaof).map_or(NO_NODE, |m| m.replicaof);
    if newmaster != NO_NODE
        && cur_numslots == 0
        && (cl.bus.settings.allow_replica_migration || sender_slots == migrated_our_slots)
    {
        log_warning!(
            "Configuration change detected. Reconfiguring myself as a replica of {}",
            cl.node(sender).map_or("", |n| n.name())
        );
        set_my_master(cl, sender, now);
        cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
    } else if cl.me().replicaof != NO_NODE && grand != NO_NODE && grand != cl.myself {
        log_warning!(
            "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster {}",
            cl.node(grand).map_or("", |n| n.name())
        );
        set_my_master(cl, grand, now);
        cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
    } else {
        // Our keys in slots we lost go: the new owner has the data now. (Slots without keys cost nothing.)
        for j in dirty_slots {
            cl.bus.effects.push(Effect::DelKeysInSlot(j));
        }
    }
}

/// Makes this node a replica of `n` (Redis's `clusterSetMaster`): a master gives up its slots and migrating
/// marks; replication starts to `n`'s address.
pub fn set_my_master(cl: &mut Cluster, n: NodeIdx, _now: i64) {
    if n == cl.myself {
        return;
    }
    let me = cl.myself;
    if cl.me().is_master() {
        cl.me_mut().flags = (cl.me().flags & !(flags::MASTER | flags::MIGRATE_TO)) | flags::REPLICA;
        for s in 0..SLOTS {
            cl.migrating_to[s] = NO_NODE;
            cl.importing_from[s] = NO_NODE;
        }
    }
    del_node_slots(cl, me);
    cl.set_master_of(me, n);
    if let Some(sid) = cl.node(n).map(|m| m.shard_id) {
        cl.update_shard_id(me, sid);
    }
    if let Some(m) = cl.node(n) {
        cl.bus.effects.push(Effect::SetMaster { ip: m.ip.clone(), port: m.port });
    }
    super::failover::reset_manual(cl);
}

/// Two masters with one config epoch: the one with the smaller name takes a new epoch (Redis's
/// `clusterHandleConfigEpochCollision`).
fn handle_config_epoch_collision(cl: &mut Cluster, sender: NodeIdx) {
    let Some(s) = cl.node(sender) else { return };
    let me = cl.me();
    if s.config_epoch != me.config_epoch || !s.is_master() || !me.is_master() || s.id <= me.id {
        return;
    }
    let name = s.name().to_string();
    cl.current_epoch += 1;
    cl.me_mut().config_epoch = cl.current_epoch;
    cl.ask(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
    log_verbose!("WARNING: configEpoch collision with node {name}. configEpoch set to {}", cl.current_epoch);
}

/// The gossip entries of a PING/PONG/MEET (Redis's `clusterProcessGossipSection`).
fn process_gossip(cl: &mut Cluster, sender: NodeIdx, gossip: &[Gossip], now_ms: i64) {
    let sender_is_master = cl.node(sender).is_some_and(|s| s.is_master());
    for g in gossip {
        if !super::valid_node_id(&g.id) {
            continue;
        }
        let ip = String::from_utf8_lossy(&g.ip).into_owned();
        match cl.lookup(&g.id) {
            Some(node) => {
                if sender_is_master && node != cl.myself {
                    if g.flags & (flags::FAIL | flags::PFAIL) != 0 {
                        if super::failover::add_failure_report(cl, node, sender, now_ms) {
                            log_verbose!(
                                "Node {} reported node {} as not reachable.",
                                cl.node(sender).map_or("", |n| n.name()),
                                cl.node(node).map_or("", |n| n.name())
                            );
                        }
                        super::failover::mark_failing_if_needed(cl, node, now_ms);
                    } else if super::failover::del_failure_report(cl, node, sender) {
                        log_verbose!(
                            "Node {} reported node {} is back online.",
                            cl.node(sender).map_or("", |n| n.name()),
                            cl.node(node).map_or("", |n| n.name())
                        );
                    }
                }
                let reports = super::failover::count_failure_reports(cl, node, now_ms);
                let Some(n) = cl.node_mut(node) else { continue };
                if g.flags & (flags::FAIL | flags::PFAIL) == 0 && n.ping_sent_ms == 0 && reports == 0 {
                    let pongtime = g.pong_received as i64 * 1000;
                    if pongtime <= now_ms + 500 && pongtime > n.pong_received_ms {
                        n.pong_received_ms = pongtime;
                    }
                }
                if n.is_failing()
                    && g.flags & (flags::NOADDR | flags::FAIL | flags::PFAIL) == 0
                    && (!n.ip.eq_ignore_ascii_case(&ip) || n.port != g.port || n.cport != g.cport)
                {
                    n.ip = ip;
                    (n.port, n.pport, n.cport) = (g.port, g.pport, g.cport);
                    n.flags &= !flags::NOADDR;
                    if let Some(fd) = cl.bus.out.get(&node).copied() {
                        free_link(cl, fd);
                    }
                }
            }
            None => {
                let banned = cl.blacklist.get(&g.id).is_some_and(|&t| t > now_ms / 1000);
                if sender != NO_NODE && g.flags & flags::NOADDR == 0 && !banned {
                    let mut n = Node::new(g.id, g.flags, now_ms);
                    n.flags &= !flags::MYSELF;
                    n.ip = ip;
                    (n.port, n.pport, n.cport) = (g.port, g.pport, g.cport);
                    cl.add_node(n);
                }
            }
        }
    }
}

/// The bus's part of `clusterCron` after the reconnects (every 100 ms): pings, timeouts, PFAIL, failover and
/// replica migration. Returns whether the cluster state needs a recomputation.
pub fn cron(cl: &mut Cluster, now_ms: i64) -> bool {
    cl.bus.iteration += 1;
    trim_link_buffers(cl);
    // Every second: ping the node with the oldest pong among five random ones.
    if cl.bus.iteration % 10 == 0 && !cl.nodes.is_empty() {
        ping_random_node(cl, now_ms);
    }
    let scan = check_nodes(cl, now_ms);
    // A replica whose replication is not set up (after a restart, or a role change) starts it.
    if cl.me().is_replica() && !cl.bus.settings.has_master {
        if let Some(m) = cl.node(cl.me().replicaof).filter(|m| !m.has(flags::NOADDR) && !m.ip.is_empty()) {
            let e = Effect::SetMaster { ip: m.ip.clone(), port: m.port };
            if !cl.bus.effects.contains(&e) {
                cl.bus.effects.push(e);
            }
            cl.bus.settings.has_master = true;
        }
    }
    super::failover::manual_check_timeout(cl, now_ms);
    if cl.me().is_replica() {
        super::failover::handle_manual(cl, now_ms);
        super::failover::handle_replica_failover(cl, now_ms);
        if scan.orphaned_masters > 0
            && scan.max_replicas >= 2
            && scan.this_replicas == scan.max_replicas
            && cl.bus.settings.allow_replica_migration
        {
            super::failover::handle_replica_migration(cl, scan.max_replicas, now_ms);
        }
    }
    scan.update_state || !cl.state_ok
}

/// Send buffers give back wasted space, then links over the send buffer limit are freed.
fn trim_link_buffers(cl: &mut Cluster) {
    // Send buffers wasting space give it back first (Redis's `resizeClusterLinkBuffer`: free space over four times
    // what is held), then the limit is checked against what is left.
    for l in cl.bus.links.values_mut() {
        if (l.snd.capacity() - l.snd.len()) / 4 > l.snd.len() {
            l.snd.shrink_to_fit();
        }
    }
    // Buffer limits.
    let limit = cl.bus.settings.sendbuf_limit;
    if limit > 0 {
        let over: Vec<RawFd> =
            cl.bus.links.iter().filter(|(_, l)| l.snd.capacity() as u64 > limit).map(|(&fd, _)| fd).collect();
        for fd in over {
            if let Some(l) = cl.bus.links.get(&fd) {
                log_warning!(
                    "Freeing cluster link({} node {}, used memory: {}) due to exceeding send buffer memory limit.",
                    if l.inbound { "from" } else { "to" },
                    cl.node(l.node).map_or("", |n| n.name()),
                    l.snd.capacity()
                );
            }
            free_link(cl, fd);
            cl.bus.buffer_limit_exceeded += 1;
        }
    }
}

/// Pings the node with the oldest pong among five random ones that have a link and no ping pending.
fn ping_random_node(cl: &mut Cluster, now_ms: i64) {
    let mut best: Option<(NodeIdx, i64)> = None;
    for _ in 0..5 {
        let i = (cl.bus.random() % cl.nodes.len() as u64) as NodeIdx;
        let Some(n) = cl.node(i) else { continue };
        if !cl.bus.out.contains_key(&i) || n.ping_sent_ms != 0 || n.has(flags::MYSELF | flags::HANDSHAKE) {
            continue;
        }
        if best.is_none_or(|(_, p)| p > n.pong_received_ms) {
            best = Some((i, n.pong_received_ms));
        }
    }
    if let Some((i, _)) = best {
        if let Some(fd) = cl.bus.out.get(&i).copied() {
            send_ping(cl, fd, types::PING, now_ms);
        }
    }
}

/// What [`check_nodes`] found: whether the state needs an update, and the replica counts replica migration needs.
struct NodesScan {
    update_state: bool,
    orphaned_masters: usize,
    max_replicas: usize,
    this_replicas: usize,
}

/// One pass over the other nodes: counts replicas of masters, frees stuck links, pings nodes due for one and flags
/// the ones that do not answer as PFAIL.
fn check_nodes(cl: &mut Cluster, now_ms: i64) -> NodesScan {
    let timeout = cl.bus.settings.node_timeout;
    let mut update_state = false;
    let (mut orphaned_masters, mut max_replicas, mut this_replicas) = (0, 0, 0);
    let me_replica = cl.me().is_replica();
    let my_master = cl.me().replicaof;
    let ids: Vec<NodeIdx> = cl.iter().map(|(i, _)| i).collect();
    for i in ids {
        let Some(n) = cl.node(i) else { continue };
        if n.has(flags::MYSELF | flags::NOADDR | flags::HANDSHAKE) {
            continue;
        }
        if me_replica && n.is_master() && !n.has(flags::FAIL) {
            let ok = super::failover::count_non_failing_replicas(cl, i);
            if ok == 0 && n.numslots > 0 && n.has(flags::MIGRATE_TO) {
                orphaned_masters += 1;
            }
            max_replicas = max_replicas.max(ok);
            if my_master == i {
                this_replicas = ok;
            }
        }
        let ping_delay = now_ms - n.ping_sent_ms;
        let data_delay = now_ms - n.data_received_ms;
        let out = cl.bus.out.get(&i).copied();
        if let Some(fd) = out {
            let link_age = cl.bus.links.get(&fd).map_or(0, |l| now_ms - l.ctime_ms);
            if link_age > timeout && n.ping_sent_ms != 0 && ping_delay > timeout / 2 && data_delay > timeout / 2 {
                // The link looks stuck: reconnect (the cron makes a new one).
                free_link(cl, fd);
            }
        }
        let out = cl.bus.out.get(&i).copied();
        let Some(n) = cl.node(i) else { continue };
        if let Some(fd) = out {
            let ping_interval =
                if cl.bus.settings.ping_interval > 0 { cl.bus.settings.ping_interval } else { timeout / 2 };
            if n.ping_sent_ms == 0 && now_ms - n.pong_received_ms > ping_interval {
                send_ping(cl, fd, types::PING, now_ms);
                continue;
            }
            if cl.failover.mf_end_ms != 0 && cl.me().is_master() && cl.failover.mf_replica == i {
                send_ping(cl, fd, types::PING, now_ms);
                continue;
            }
        }
        if n.ping_sent_ms == 0 {
            continue;
        }
        let node_delay = ping_delay.min(data_delay);
        if node_delay > timeout && !n.is_failing() {
            log_debug!("*** NODE {} possibly failing", n.name());
            if let Some(n) = cl.node_mut(i) {
                n.flags |= flags::PFAIL;
            }
            update_state = true;
        }
    }
    NodesScan { update_state, orphaned_masters, max_replicas, this_replicas }
}

/// The blacklist drops entries past their time (`clusterBlacklistCleanup`).
pub fn blacklist_cleanup(cl: &mut Cluster, now_s: i64) {
    cl.blacklist.retain(|_, &mut t| t >= now_s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meet_validates_and_dedups() {
        let mut cl = Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        assert_eq!(
            meet(&mut cl, "not-an-ip", 7000, 17000, 0),
            Err("Invalid node address specified: not-an-ip:7000".into())
        );
        assert!(meet(&mut cl, "127.0.0.1", 0, 10000, 0).is_err());
        assert!(meet(&mut cl, "127.0.0.1", 7000, 17000, 0).is_ok());
        assert!(meet(&mut cl, "127.0.0.1", 7000, 17000, 0).is_ok());
        assert_eq!(cl.len(), 2);
        let (_, n) = cl.iter().find(|(i, _)| *i != cl.myself).unwrap();
        assert!(n.has(flags::HANDSHAKE | flags::MEET));
        assert_eq!((n.ip.as_str(), n.port, n.cport), ("127.0.0.1", 7000, 17000));
    }

    #[test]
    fn slots_move_to_a_newer_epoch_and_we_follow_the_new_owner() {
        let mut cl = Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        cl.bus.settings.allow_replica_migration = true;
        let other = cl.add_node(Node::new([b'b'; 40], flags::MASTER, 0));
        cl.node_mut(other).unwrap().ip = "127.0.0.1".into();
        cl.node_mut(other).unwrap().port = 7001;
        let me = cl.myself;
        cl.me_mut().config_epoch = 1;
        assert!(cl.add_slot(me, 10));
        let mut slots = [0u8; SLOTS / 8];
        slots[10 >> 3] |= 1 << (10 & 7);
        slots[20 >> 3] |= 1 << (20 & 7);
        // An older epoch takes only the unassigned slot.
        update_slots_config_with(&mut cl, other, 0, &slots, 0);
        assert_eq!((cl.slots[10], cl.slots[20]), (me, other));
        // A newer one takes ours too: we lose our last slot and replicate from the new owner.
        update_slots_config_with(&mut cl, other, 2, &slots, 0);
        assert_eq!(cl.slots[10], other);
        assert!(cl.me().is_replica());
        assert_eq!(cl.me().replicaof, other);
        assert!(cl.bus.effects.contains(&Effect::SetMaster { ip: "127.0.0.1".into(), port: 7001 }));
    }

    #[test]
    fn config_epoch_collision_bumps_the_smaller_name() {
        let mut cl = Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        let other = cl.add_node(Node::new([b'b'; 40], flags::MASTER, 0));
        cl.current_epoch = 5;
        cl.me_mut().config_epoch = 5;
        cl.node_mut(other).unwrap().config_epoch = 5;
        handle_config_epoch_collision(&mut cl, other);
        assert_eq!((cl.current_epoch, cl.me().config_epoch), (6, 6));
    }
}
