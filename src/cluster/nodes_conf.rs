//! `nodes.conf`: the cluster configuration file (one CLUSTER NODES line per node, then `vars currentEpoch N
//! lastVoteEpoch M`), loaded at start, saved whenever `before_sleep` finds [`super::todo::SAVE_CONFIG`].
//!
//! ```text
//!  <id> <ip>:<port>@<cport>[,<hostname>] <flags,...> <master id|-> <ping_sent> <pong_recv> <epoch> <link> <slots>
//!  07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@40004 myself,master - 0 0 1 connected 0-5460 [93->-e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca]
//!  vars currentEpoch 6 lastVoteEpoch 0
//! ```
//!
//! Two ways to save ([`save`]). Routine changes (SETSLOT, ADDSLOTS, FORGET, gossip) rewrite the locked file in
//! place as Redis 7.0 does (one write, padded with newlines to the old length, then `ftruncate`), so the `flock`
//! stays valid and no rename makes ext4 flush the file. The changes Redis fsyncs (epochs, votes, failover, a new
//! master) write a temporary file next to it, lock it, fsync it and rename it over `nodes.conf`: a crash leaves
//! the old or the new file, never a mix, and the lock moves with the new file (the old descriptor is closed after
//! the rename), so a second node pointed at the same file still finds it locked. The loader ([`parse`]) is pure (no I/O, no exit) for the fuzz target; [`load`] adds the file
//! and Redis's log lines.

use std::cell::Cell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

use super::{flags, Cluster, Node, NodeId, NodeIdx, NODE_ID_LEN, NO_NODE, SLOTS};

/// The flag words of a node line, in Redis's order (`representClusterNodeFlags`).
const FLAG_NAMES: [(u16, &str); 8] = [
    (flags::MYSELF, "myself"),
    (flags::MASTER, "master"),
    (flags::REPLICA, "slave"),
    (flags::PFAIL, "fail?"),
    (flags::FAIL, "fail"),
    (flags::HANDSHAKE, "handshake"),
    (flags::NOADDR, "noaddr"),
    (flags::NOFAILOVER, "nofailover"),
];

/// Appends the comma-separated flag words of `f` (`noflags` when none).
pub fn flag_words(f: u16, out: &mut String) {
    let start = out.len();
    for (bit, name) in FLAG_NAMES {
        if f & bit != 0 {
            if out.len() > start {
                out.push(',');
            }
            out.push_str(name);
        }
    }
    if out.len() == start {
        out.push_str("noflags");
    }
}

/// Appends node `i`'s CLUSTER NODES line (without the line end) to `out` (Redis's `clusterGenNodeDescription`):
/// the same line serves CLUSTER NODES, CLUSTER REPLICAS and nodes.conf. Only `myself`'s line carries the
/// `[slot->-id]` / `[slot-<-id]` marks of slots being migrated or imported.
/// `plain`: for a plain client of a `tls-cluster`, which is given the nodes' plaintext ports.
pub fn node_line(cl: &Cluster, i: NodeIdx, now_ms: i64, plain: bool, out: &mut String) {
    node_line_with(cl, i, now_ms, false, plain, out)
}

/// [`node_line`]; `aux`: the line for nodes.conf, whose address carries Redis 7.2's aux fields after the hostname
/// (`ip:port@cport,[hostname],shard-id=<id>`; clients never see them).
fn node_line_with(cl: &Cluster, i: NodeIdx, now_ms: i64, aux: bool, plain: bool, out: &mut String) {
    let _ = now_ms;
    let Some(n) = cl.node(i) else { return };
    out.push_str(n.name());
    let _ = write!(out, " {}:{}@{}", n.ip, n.port_for(plain), n.cport);
    if !n.hostname.is_empty() || aux {
        out.push(',');
        out.push_str(&n.hostname);
    }
    if aux {
        out.push_str(",shard-id=");
        out.push_str(std::str::from_utf8(&n.shard_id).unwrap_or(""));
    }
    out.push(' ');
    flag_words(n.flags, out);
    out.push(' ');
    let master = if n.replicaof != NO_NODE { cl.node(n.replicaof) } else { None };
    match master {
        Some(m) => out.push_str(m.name()),
        None => out.push('-'),
    }
    let epoch = match master {
        Some(m) if n.is_replica() => m.config_epoch,
        _ => n.config_epoch,
    };
    let link = if n.linked || i == cl.myself { "connected" } else { "disconnected" };
    let _ = write!(out, " {} {} {} {}", n.ping_sent_ms, n.pong_received_ms, epoch, link);
    if n.numslots > 0 {
        for_each_range(|s| n.owns_slot(s), |a, b| push_range(out, a, b));
    }
    if i == cl.myself {
        for s in 0..SLOTS {
            let (to, from) = (cl.migrating_to[s], cl.importing_from[s]);
            if to != NO_NODE {
                let _ = write!(out, " [{s}->-{}]", cl.node(to).map_or("", |n| n.name()));
            } else if from != NO_NODE {
                let _ = write!(out, " [{s}-<-{}]", cl.node(from).map_or("", |n| n.name()));
            }
        }
    }
}

fn push_range(out: &mut String, a: usize, b: usize) {
    if a == b {
        let _ = write!(out, " {a}");
    } else {
        let _ = write!(out, " {a}-{b}");
    }
}

/// Calls `range(first, last)` for each maximal run of slots where `has(slot)` holds, in order.
pub fn for_each_range(has: impl Fn(usize) -> bool, mut range: impl FnMut(usize, usize)) {
    let mut start = None;
    for s in 0..SLOTS {
        match (has(s), start) {
            (true, None) => start = Some(s),
            (false, Some(a)) => {
                range(a, s - 1);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(a) = start {
        range(a, SLOTS - 1);
    }
}

/// Every node's line but those with a flag in `filter`, each ending in `\n` (Redis's
/// `clusterGenNodesDescription`): CLUSTER NODES (filter 0) and nodes.conf (filter HANDSHAKE, with the aux fields).
pub fn describe(cl: &Cluster, filter: u16, now_ms: i64, plain: bool) -> String {
    let mut out = String::with_capacity(cl.len() * 128);
    for (i, n) in cl.iter() {
        if n.flags & filter != 0 {
            continue;
        }
        node_line_with(cl, i, now_ms, filter & flags::HANDSHAKE != 0, plain, &mut out);
        out.push('\n');
    }
    out
}

/// The whole file's text: the node lines (handshaking nodes left out) and the `vars` line.
pub fn file_text(cl: &Cluster, now_ms: i64) -> String {
    let mut text = describe(cl, flags::HANDSHAKE, now_ms, false);
    let _ = writeln!(text, "vars currentEpoch {} lastVoteEpoch {}", cl.current_epoch, cl.last_vote_epoch);
    text
}

/// The lock on the configuration file (Redis's `cluster_config_file_lock_fd`): an open descriptor holding an
/// exclusive `flock`. [`save`] moves it to the file it renames into place.
#[derive(Default)]
pub struct ConfLock(Cell<Option<OwnedFd>>);

/// The number of the descriptor holding the lock (-1: none), for [`close_lock_in_child`], which runs where the cluster
/// state is out of reach (a background save's child). Set whenever the lock's descriptor changes ([`ConfLock::new`] at
/// start-up, [`save`] moving the lock to the renamed file); swapped to -1 by [`close_lock_in_child`] in a fork child
/// ([`persist::engine`](crate::persist::engine)'s fork, the Lua debugger's session).
static LOCK_FD: AtomicI32 = AtomicI32::new(-1);

impl ConfLock {
    pub fn new(fd: OwnedFd) -> ConfLock {
        let lock = ConfLock::default();
        lock.put(fd);
        lock
    }
    /// Makes `fd` the lock's descriptor; the previous one (and its lock on a replaced file) closes.
    fn put(&self, fd: OwnedFd) {
        LOCK_FD.store(fd.as_raw_fd(), Ordering::Relaxed);
        self.0.set(Some(fd));
    }
    /// Forgets the descriptor without closing it: a forked child after [`close_lock_in_child`] closed it.
    pub fn forget(&self) {
        std::mem::forget(self.0.take());
    }
}

/// In a forked child (background save, AOF rewrite, replication RDB, the Lua debugger's session): closes the
/// inherited lock descriptor (Redis's `closeChildUnusedResourceAfterFork`). A `flock` belongs to the open file
/// description the child shares, so a child outliving a SIGKILLed parent would keep nodes.conf locked and a node
/// restarted on it would refuse to start. Closing one of the shared descriptors leaves the parent's lock alone.
pub fn close_lock_in_child() {
    let fd = LOCK_FD.swap(-1, Ordering::Relaxed);
    if fd >= 0 {
        crate::sys::process::close_inherited(fd);
    }
}

/// `flock(LOCK_EX | LOCK_NB)` on `fd`.
fn flock_exclusive(fd: &OwnedFd) -> std::io::Result<()> {
    use std::os::fd::AsFd;
    crate::sys::flock_exclusive(fd.as_fd())
}

/// Opens (creating it empty if needed) and locks the configuration file (Redis's `clusterLockConfig`). On failure
/// Redis's warning has been logged.
pub fn lock(path: &str) -> Result<OwnedFd, Fatal> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = match std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o644).open(path) {
        Ok(f) => f,
        Err(e) => {
            crate::log_warning!("Can't open {path} in order to acquire a lock: {}", os_text(&e));
            return Err(Fatal);
        }
    };
    let fd = OwnedFd::from(file);
    if let Err(e) = flock_exclusive(&fd) {
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            crate::log_warning!(
                "Sorry, the cluster configuration file {path} is already used by a different Redis Cluster node. \
                 Please make sure that different nodes use different cluster configuration files."
            );
        } else {
            crate::log_warning!("Impossible to lock {path}: {}", os_text(&e));
        }
        return Err(Fatal);
    }
    Ok(fd)
}

fn os_text(e: &std::io::Error) -> String {
    crate::sys::error_text(e)
}

/// Writes `cl.config_file` (Redis's `clusterSaveConfig`). A change that asks for an fsync (epochs, votes, a
/// failover, a new master: what must survive a crash) replaces the file atomically: a temporary file in the same
/// directory, locked, written, fsynced, renamed over the old one, the directory fsynced; the lock moves to it.
/// Routine changes (SETSLOT during a reshard, ADDSLOTS, FORGET, gossip's address updates) rewrite the locked file in
/// place as Redis 7.0 does: the text padded with newlines to the old length (blank lines load as nothing), then
/// truncated. A rename over an existing file makes ext4 flush it (`auto_da_alloc`), which cost each SETSLOT about
/// 2 ms, ten times Redis's, and made `redis-cli --cluster reshard` three times slower.
pub fn save(cl: &Cluster, fsync: bool, now_ms: i64) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if !fsync {
        if let Some(fd) = cl.conf_lock.0.take() {
            let res = save_in_place(&fd, &file_text(cl, now_ms));
            cl.conf_lock.put(fd);
            match res {
                Ok(()) => return Ok(()),
                // Fall back to the atomic path (a file replaced behind our back, a descriptor not writable...).
                Err(_) => return save(cl, true, now_ms),
            }
        }
    }
    let text = file_text(cl, now_ms);
    let path = std::path::Path::new(&cl.config_file);
    let tmp = format!("{}.tmp-{}-{}", cl.config_file, std::process::id(), now_ms);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o644).open(&tmp)?;
        f.write_all(text.as_bytes())?;
        if fsync {
            f.sync_all()?;
        }
        let fd = OwnedFd::from(f);
        // Nobody else knows this file yet: the lock is ours before the rename makes it nodes.conf.
        flock_exclusive(&fd)?;
        std::fs::rename(&tmp, path)?;
        if fsync {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(fd)
    })();
    match result {
        Ok(fd) => {
            // The old descriptor (and its lock on the replaced file) closes here.
            cl.conf_lock.put(fd);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Rewrites the locked configuration file through its descriptor: `text` padded with newlines to the file's
/// current length, written from offset 0, then the file cut to the text (Redis's in-place `clusterSaveConfig`).
fn save_in_place(fd: &OwnedFd, text: &str) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::from(fd.try_clone()?);
    let old_len = f.metadata()?.len() as usize;
    let mut buf = text.as_bytes().to_vec();
    if buf.len() < old_len {
        buf.resize(old_len, b'\n');
    }
    f.seek(SeekFrom::Start(0))?;
    f.write_all(&buf)?;
    if buf.len() != text.len() {
        f.set_len(text.len() as u64)?;
    }
    Ok(())
}

/// A start-up failure whose warning has been logged: the server exits with status 1 (Redis's `exit(1)`).
#[derive(Debug)]
pub struct Fatal;

/// Why a configuration file could not be loaded: the warning Redis logs before exiting.
#[derive(Debug, PartialEq, Eq)]
pub enum LoadError {
    /// "Unrecoverable error: corrupted cluster config file."
    Corrupted,
    /// A flag word Redis does not know (Redis panics: "Unknown flag in redis cluster config file").
    UnknownFlag,
}

impl LoadError {
    pub fn text(&self) -> &'static str {
        match self {
            LoadError::Corrupted => "Unrecoverable error: corrupted cluster config file.",
            LoadError::UnknownFlag => "Unknown flag in redis cluster config file",
        }
    }
}

/// A node name as Redis's `verifyClusterNodeId` accepts it: 40 characters, `a-z` or `0-9`.
fn node_id(b: &[u8]) -> Option<NodeId> {
    if b.len() != NODE_ID_LEN || !b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return None;
    }
    b.try_into().ok()
}

/// C's `atoi`/`strtoull`: optional blanks and sign, then digits; 0 when none.
fn atoi(b: &[u8]) -> i64 {
    let i = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let (neg, i) = crate::util::c_sign(b, i);
    let mut v: i64 = 0;
    for &c in b[i.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

fn strtoull(b: &[u8]) -> u64 {
    atoi(b) as u64
}

/// The node named `id`, added (without flags) when unknown.
fn node_or_add(cl: &mut Cluster, id: NodeId, now_ms: i64) -> NodeIdx {
    match cl.by_id.get(&id) {
        Some(&i) => i,
        None => cl.add_node(Node::new(id, 0, now_ms)),
    }
}

/// Parses a configuration file's contents (Redis's `clusterLoadConfig`). `Ok(None)`: an empty file (a new
/// node). Unknown `vars` are skipped (the caller logs them from `skipped`).
pub fn parse(
    text: &[u8],
    now_ms: i64,
    config_file: &str,
    skipped: &mut Vec<String>,
) -> Result<Option<Cluster>, LoadError> {
    if text.is_empty() {
        return Ok(None);
    }
    use LoadError::Corrupted;
    // A scratch node stands in for `myself` until the line flagged `myself` is read.
    let mut cl = Cluster::new([b'0'; NODE_ID_LEN], now_ms, config_file.to_string());
    let scratch = cl.myself;
    cl.nodes[scratch as usize] = None;
    cl.by_id.clear();
    cl.myself = NO_NODE;
    for line in text.split(|&b| b == b'\n') {
        if line.is_empty() || line[0] == 0 {
            continue;
        }
        let argv = crate::util::split_args(line).ok_or(Corrupted)?;
        let Some(first) = argv.first() else { continue };
        if first.eq_ignore_ascii_case(b"vars") {
            parse_vars(&mut cl, &argv, skipped)?;
            continue;
        }
        parse_node_line(&mut cl, &argv, now_ms)?;
    }
    if cl.myself == NO_NODE {
        return Err(Corrupted);
    }
    // Never below the largest config epoch (protection against a hand-edited file).
    let max_epoch = cl.iter().map(|(_, n)| n.config_epoch).max().unwrap_or(0);
    cl.current_epoch = cl.current_epoch.max(max_epoch);
    Ok(Some(cl))
}

/// A `vars` line: the current and last vote epochs; unknown variables go to `skipped`.
fn parse_vars(cl: &mut Cluster, argv: &[Vec<u8>], skipped: &mut Vec<String>) -> Result<(), LoadError> {
    if argv.len() % 2 == 0 {
        return Err(LoadError::Corrupted);
    }
    for kv in argv[1..].chunks(2) {
        if kv[0].eq_ignore_ascii_case(b"currentEpoch") {
            cl.current_epoch = strtoull(&kv[1]);
        } else if kv[0].eq_ignore_ascii_case(b"lastVoteEpoch") {
            cl.last_vote_epoch = strtoull(&kv[1]);
        } else {
            skipped.push(String::from_utf8_lossy(&kv[0]).into_owned());
        }
    }
    Ok(())
}

/// The address field of a node line, split into its parts.
struct NodeAddr {
    ip: String,
    port: u16,
    cport: u16,
    hostname: String,
    shard_id: Option<NodeId>,
}

/// Parses `ip:port[@cport][,hostname[,key=value...]]` (Redis 7.2's aux fields: shard-id is read, others skipped).
fn parse_address(addr: &[u8]) -> Result<NodeAddr, LoadError> {
    use LoadError::Corrupted;
    let mut shard_id = None;
    let (addr, hostname) = match memchr::memchr(b',', addr) {
        Some(c) => {
            let mut fields = addr[c + 1..].split(|&b| b == b',');
            let host = fields.next().unwrap_or_default();
            for f in fields {
                if let Some(v) = f.strip_prefix(b"shard-id=") {
                    shard_id = Some(node_id(v).ok_or(Corrupted)?);
                }
            }
            (&addr[..c], String::from_utf8_lossy(host).into_owned())
        }
        None => (addr, String::new()),
    };
    let colon = memchr::memrchr(b':', addr).ok_or(Corrupted)?;
    let ip = String::from_utf8_lossy(&addr[..colon]).into_owned();
    let ports = &addr[colon + 1..];
    let (port, cport) = match memchr::memchr(b'@', ports) {
        Some(at) => (atoi(&ports[..at]), Some(atoi(&ports[at + 1..]))),
        None => (atoi(ports), None),
    };
    let port = port as u16;
    let cport = cport.map_or(port.wrapping_add(10000), |c| c as u16);
    Ok(NodeAddr { ip, port, cport, hostname, shard_id })
}

/// Parses the flags field of node `n`'s line (the one flagged `myself` becomes `myself`): its flag bits, and
/// whether it is flagged `fail`.
fn parse_flags(cl: &mut Cluster, n: NodeIdx, field: &[u8]) -> Result<(u16, bool), LoadError> {
    let mut fail = false;
    let mut f = 0u16;
    for w in field.split(|&b| b == b',') {
        let bit = match &w.to_ascii_lowercase()[..] {
            b"myself" => {
                if cl.myself != NO_NODE {
                    return Err(LoadError::Corrupted);
                }
                cl.myself = n;
                flags::MYSELF
            }
            b"master" => flags::MASTER,
            b"slave" => flags::REPLICA,
            b"fail?" => flags::PFAIL,
            b"fail" => {
                fail = true;
                flags::FAIL
            }
            b"handshake" => flags::HANDSHAKE,
            b"noaddr" => flags::NOADDR,
            b"nofailover" => flags::NOFAILOVER,
            b"noflags" => 0,
            _ => return Err(LoadError::UnknownFlag),
        };
        f |= bit;
    }
    Ok((f, fail))
}

/// One node's line: `<id> <addr> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...`.
fn parse_node_line(cl: &mut Cluster, argv: &[Vec<u8>], now_ms: i64) -> Result<(), LoadError> {
    use LoadError::Corrupted;
    if argv.len() < 8 {
        return Err(Corrupted);
    }
    let id = node_id(&argv[0]).ok_or(Corrupted)?;
    let n = node_or_add(cl, id, now_ms);
    let NodeAddr { ip, port, cport, hostname, mut shard_id } = parse_address(&argv[1])?;
    let (f, fail) = parse_flags(cl, n, &argv[2])?;
    let master = if argv[3].first() != Some(&b'-') {
        let mid = node_id(&argv[3]).ok_or(Corrupted)?;
        let m = node_or_add(cl, mid, now_ms);
        cl.set_master_of(n, m);
        m
    } else {
        NO_NODE
    };
    if shard_id.is_none() {
        // A file from Redis 7.0 (or older ferredis): a replica follows its master's shard, a master keeps its
        // own (Redis 7.2's clusterLoadConfig).
        shard_id = cl.node(master).filter(|_| master != NO_NODE).map(|m| m.shard_id);
    } else if let Some(sid) = shard_id {
        // A master's replicas loaded before it follow it.
        let replicas = cl.node(n).map(|x| x.replicas.clone()).unwrap_or_default();
        for r in replicas {
            if let Some(rn) = cl.node_mut(r) {
                rn.shard_id = sid;
            }
        }
    }
    let Some(node) = cl.node_mut(n) else { return Err(Corrupted) };
    if let Some(sid) = shard_id {
        node.shard_id = sid;
    }
    node.hostname = hostname;
    node.ip = ip;
    node.port = port;
    node.pport = port;
    node.cport = cport;
    node.flags |= f;
    if fail {
        node.fail_time_ms = now_ms;
    }
    if atoi(&argv[4]) != 0 {
        node.ping_sent_ms = now_ms;
    }
    if atoi(&argv[5]) != 0 {
        node.pong_received_ms = now_ms;
    }
    node.config_epoch = if node.is_replica() && master != NO_NODE { 0 } else { strtoull(&argv[6]) };
    parse_slots(cl, n, &argv[8..], now_ms)
}

/// The slot fields of node `n`'s line: slots and ranges it serves, and `[slot->-id]` (migrating) or `[slot-<-id]`
/// (importing) entries.
fn parse_slots(cl: &mut Cluster, n: NodeIdx, fields: &[Vec<u8>], now_ms: i64) -> Result<(), LoadError> {
    use LoadError::Corrupted;
    for a in fields {
        if a.first() == Some(&b'[') {
            // [slot->-id] (migrating) or [slot-<-id] (importing)
            let dash = memchr::memchr(b'-', a).ok_or(Corrupted)?;
            let slot = atoi(&a[1..dash]);
            if !(0..SLOTS as i64).contains(&slot) {
                return Err(Corrupted);
            }
            let direction = a.get(dash + 1).copied();
            let rest = a.get(dash + 3..).ok_or(Corrupted)?;
            let close = memchr::memchr(b']', rest).ok_or(Corrupted)?;
            let other = node_id(&rest[..close]).ok_or(Corrupted)?;
            let o = node_or_add(cl, other, now_ms);
            if direction == Some(b'>') {
                cl.migrating_to[slot as usize] = o;
            } else {
                cl.importing_from[slot as usize] = o;
            }
            continue;
        }
        let (start, stop) = match memchr::memchr(b'-', a) {
            Some(d) => (atoi(&a[..d]), atoi(&a[d + 1..])),
            None => (atoi(a), atoi(a)),
        };
        let ok = |s: i64| (0..SLOTS as i64).contains(&s);
        if !ok(start) || !ok(stop) {
            return Err(Corrupted);
        }
        for s in start..=stop {
            cl.add_slot(n, s as usize);
        }
    }
    Ok(())
}

/// Loads `path` (Redis's `clusterLoadConfig`): `Ok(None)` when it is missing or empty; on a damaged file Redis's
/// warning has been logged and the caller exits.
pub fn load(path: &str, now_ms: i64) -> Result<Option<Cluster>, Fatal> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            crate::log_warning!("Loading the cluster node config from {path}: {}", os_text(&e));
            return Err(Fatal);
        }
    };
    let mut skipped = Vec::new();
    let r = parse(&text, now_ms, path, &mut skipped);
    for v in skipped {
        crate::log_warning!("Skipping unknown cluster config variable '{v}'");
    }
    match r {
        Ok(Some(cl)) => {
            crate::log_notice!("Node configuration loaded, I'm {}", cl.me().name());
            Ok(Some(cl))
        }
        Ok(None) => Ok(None),
        Err(e) => {
            crate::log_warning!("{}", e.text());
            Err(Fatal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "07c37dfeb235213a872192d90877d0cd55635b91";
    const B: &str = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
    const C: &str = "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1";

    fn parsed(text: &str) -> Result<Option<Cluster>, LoadError> {
        parse(text.as_bytes(), 1000, "nodes.conf", &mut Vec::new())
    }

    #[test]
    fn round_trip_of_redis_lines() {
        let text = format!(
            "{A} 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460 5462 [5461-<-{B}]\n\
             {B} 127.0.0.1:30002@40002,host-b master - 0 1426238316232 2 connected 5463-10922\n\
             {C} 127.0.0.1:30004@40004 slave,fail? {B} 1426238317239 1426238316232 0 disconnected\n\
             vars currentEpoch 6 lastVoteEpoch 3\n"
        );
        let cl = parsed(&text).unwrap().unwrap();
        assert_eq!(cl.me().name(), A);
        assert_eq!((cl.current_epoch, cl.last_vote_epoch), (6, 3));
        assert_eq!(cl.me().numslots, 5462);
        let b = cl.lookup(B.as_bytes()).unwrap();
        assert_eq!(cl.importing_from[5461], b);
        assert_eq!(cl.slots[5463], b);
        let c = cl.lookup(C.as_bytes()).unwrap();
        assert_eq!(cl.node(c).unwrap().replicaof, b);
        assert_eq!(cl.node(b).unwrap().hostname, "host-b");
        // Timestamps become "now" when non-zero; the replica shows its master's epoch; links are down until the
        // bus connects.
        let out = file_text(&cl, 0);
        let lines: Vec<&str> = out.lines().collect();
        let mine = lines.iter().find(|l| l.starts_with(A)).unwrap();
        // Without shard ids in the file (Redis 7.0's), a master keeps its own (its id) and a replica takes its
        // master's; they are written as Redis 7.2 writes them, after the (possibly empty) hostname.
        assert_eq!(
            *mine,
            format!("{A} 127.0.0.1:30001@40001,,shard-id={A} myself,master - 0 0 1 connected 0-5460 5462 [5461-<-{B}]")
        );
        let theirs = lines.iter().find(|l| l.starts_with(C)).unwrap();
        assert_eq!(
            *theirs,
            format!("{C} 127.0.0.1:30004@40004,,shard-id={B} slave,fail? {B} 1000 1000 2 disconnected")
        );
        assert!(out.contains(&format!("{B} 127.0.0.1:30002@40002,host-b,shard-id={B} master")), "{out}");
        assert_eq!(lines.last().unwrap(), &"vars currentEpoch 6 lastVoteEpoch 3");
        // What we write, we read back the same.
        let again = parsed(&out).unwrap().unwrap();
        assert_eq!(file_text(&again, 0), out);
    }

    /// Redis 7.4's aux fields: the shard id is read (a replica listed before its master follows it), the others
    /// are skipped.
    #[test]
    fn shard_ids_of_a_redis_74_file() {
        let s = "5".repeat(40);
        let text = format!(
            "{C} 127.0.0.1:30004@40004,,tls-port=0,shard-id={s} slave {B} 0 0 2 connected\n\
             {A} 127.0.0.1:30001@40001,,tls-port=0,shard-id={A} myself,master - 0 0 1 connected 0-5460\n\
             {B} 127.0.0.1:30002@40002,host-b,tls-port=0,shard-id={s} master - 0 0 2 connected 5461-16383\n\
             vars currentEpoch 2 lastVoteEpoch 0\n"
        );
        let cl = parsed(&text).unwrap().unwrap();
        let (b, c) = (cl.lookup(B.as_bytes()).unwrap(), cl.lookup(C.as_bytes()).unwrap());
        assert_eq!(cl.node(b).unwrap().shard_id, cl.node(c).unwrap().shard_id);
        assert_eq!(&cl.node(b).unwrap().shard_id[..], s.as_bytes());
        assert_eq!(cl.node(b).unwrap().hostname, "host-b");
        assert_eq!(&cl.me().shard_id[..], A.as_bytes());
        // A shard id that is not a node name is a damaged file.
        assert!(parsed(&format!("{A} 127.0.0.1:1@2,,shard-id=xyz myself,master - 0 0 1 connected")).is_err());
    }

    #[test]
    fn damaged_files_are_refused() {
        assert!(parsed("").unwrap().is_none());
        for bad in [
            "vars currentEpoch".to_string(),
            format!("{A} 127.0.0.1:30001@40001 myself,master - 0 0"),
            format!("{A} 127.0.0.1 myself,master - 0 0 1 connected"),
            "xyz 127.0.0.1:1 myself,master - 0 0 1 connected".to_string(),
            format!("{A} 127.0.0.1:1 myself,master - 0 0 1 connected 16384"),
            format!("{A} 127.0.0.1:1 myself,master - 0 0 1 connected [5-<-abc]"),
            format!("{A} 127.0.0.1:1 myself,master - 0 0 1 connected [5]"),
            format!("{A} 127.0.0.1:1 master - 0 0 1 connected"),
            format!("{A} 127.0.0.1:1 myself,master \"unbalanced 0 0 1 connected"),
        ] {
            assert_eq!(parsed(&bad).err(), Some(LoadError::Corrupted), "{bad}");
        }
        let e = parsed(&format!("{A} 127.0.0.1:1 myself,bogus - 0 0 1 connected")).err();
        assert_eq!(e, Some(LoadError::UnknownFlag));
        // An old line without @cport: the bus port is port + 10000; unknown vars are skipped.
        let mut skipped = Vec::new();
        let text = format!("{A} 127.0.0.1:7000 myself,master - 0 0 0 connected\nvars foo 1 currentEpoch 2\n");
        let cl = parse(text.as_bytes(), 0, "n", &mut skipped).unwrap().unwrap();
        assert_eq!((cl.me().cport, cl.current_epoch), (17000, 2));
        assert_eq!(skipped, vec!["foo".to_string()]);
    }

    #[test]
    fn save_locks_the_new_file() {
        let dir = std::env::temp_dir().join(format!("ferredis-nodesconf-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("nodes.conf").display().to_string();
        let fd = lock(&path).unwrap();
        assert!(lock(&path).is_err());
        let mut cl = Cluster::new([b'a'; 40], 0, path.clone());
        cl.conf_lock = ConfLock::new(fd);
        cl.add_slot(cl.myself, 3);
        save(&cl, true, 5).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!(
                "{a} :0@0,,shard-id={a} myself,master - 0 0 0 connected 3\nvars currentEpoch 0 lastVoteEpoch 0\n",
                a = "a".repeat(40)
            )
        );
        // The renamed file is locked too.
        assert!(lock(&path).is_err());
        drop(cl);
        assert!(lock(&path).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
