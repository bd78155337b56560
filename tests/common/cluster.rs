//! Redis Cluster scenario harness: N nodes, each of a chosen binary (ferredis or Debian's redis-server, per node,
//! so mixed clusters work), each in its own scratch directory on a port in 32000..32767 (cluster bus port + 10000,
//! never 6379); `redis-cli --cluster create`; a cluster client that follows -MOVED/-ASK; optional network
//! namespaces (one per node, on a bridge) so a test can cut a node off with blackhole routes.
//!
//! `FERREDIS_CLUSTER_ORACLE=redis` makes every node a redis-server: the tests' expectations proven on Redis itself.
//! Scenario tests share one lock: each starts 6 nodes with a 2 s node-timeout, and running two such clusters at
//! once on a 2-core machine would turn scheduling delays into failure detections.
#![allow(dead_code)]

use crate::common::{escape, redis_cli_bin, Conn, Kind, Resp};
use std::collections::{HashMap, HashSet};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// cluster-node-timeout for every node (short, so failure detection takes seconds).
pub const NODE_TIMEOUT_MS: u64 = 2000;
/// Bound on any wait for the cluster to settle: a hang guard, not a timing expectation.
pub const SETTLE_MS: u64 = 60_000;

static SERIAL: Mutex<()> = Mutex::new(());
static PORTS: Mutex<Option<(u16, HashSet<u16>)>> = Mutex::new(None);

/// Whether `FERREDIS_CLUSTER_ORACLE=redis` asks for all-Redis clusters.
pub fn oracle() -> bool {
    std::env::var("FERREDIS_CLUSTER_ORACLE").map(|v| v == "redis").unwrap_or(false)
}

/// The kind of node under test: ferredis, or redis-server in oracle mode.
pub fn tested() -> Kind {
    if oracle() {
        Kind::Redis
    } else {
        Kind::Ferredis
    }
}

/// A client port in 32000..32767 (below the ephemeral range) whose bus port (+10000) is free as well.
fn pick_port() -> u16 {
    let mut g = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (next, used) = g.get_or_insert_with(|| (32000 + (std::process::id() % 700) as u16, HashSet::new()));
    for _ in 0..768 {
        let p = *next;
        *next = if p >= 32767 { 32000 } else { p + 1 };
        if used.contains(&p) {
            continue;
        }
        if TcpListener::bind(("0.0.0.0", p)).is_ok() && TcpListener::bind(("0.0.0.0", p + 10000)).is_ok() {
            used.insert(p);
            return p;
        }
    }
    panic!("no free port pair in 32000..32767");
}

/// CRC16 (XMODEM) of the key or of its `{hash tag}`, mod 16384: Redis Cluster's key slot.
pub fn key_slot(key: &[u8]) -> u16 {
    let mut k = key;
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                k = &key[open + 1..open + 1 + len];
            }
        }
    }
    let mut crc: u16 = 0;
    for &b in k {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc & 16383
}

/// Runs a command, returning success and its stdout+stderr.
pub fn run(cmd: &str, args: &[&str]) -> (bool, String) {
    match Command::new(cmd).args(args).stdin(Stdio::null()).output() {
        Ok(o) => {
            let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
            s.push_str(&String::from_utf8_lossy(&o.stderr));
            (o.status.success(), s)
        }
        Err(e) => (false, format!("{cmd}: {e}")),
    }
}

/// `redis-cli` with the given arguments (Debian's 7.0 client is the reference tool for `--cluster`).
pub fn cli(args: &[&str]) -> (bool, String) {
    run(redis_cli_bin().to_str().expect("UTF-8 path"), args)
}

/// One line of CLUSTER NODES.
#[derive(Clone, Debug)]
pub struct NodeLine {
    pub id: String,
    /// `ip:port` (the `@bus-port` part dropped).
    pub addr: String,
    pub flags: Vec<String>,
    /// The master's id, or `-`.
    pub master: String,
    pub connected: bool,
    pub slots: Vec<(u16, u16)>,
}

impl NodeLine {
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
    pub fn slot_count(&self) -> usize {
        self.slots.iter().map(|&(a, b)| (b - a) as usize + 1).sum()
    }
}

pub fn parse_nodes(text: &str) -> Vec<NodeLine> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        if f.len() < 8 {
            continue;
        }
        let addr = f[1].split('@').next().unwrap_or("").split(',').next().unwrap_or("").to_string();
        let mut slots = Vec::new();
        for s in &f[8..] {
            if s.starts_with('[') {
                continue; // migrating/importing marker
            }
            let (a, b) = match s.split_once('-') {
                Some((a, b)) => (a.parse(), b.parse()),
                None => (s.parse(), s.parse()),
            };
            if let (Ok(a), Ok(b)) = (a, b) {
                slots.push((a, b));
            }
        }
        out.push(NodeLine {
            id: f[0].to_string(),
            addr,
            flags: f[2].split(',').map(str::to_string).collect(),
            master: f[3].to_string(),
            connected: f[7] == "connected",
            slots,
        });
    }
    out
}

/// A field of `CLUSTER INFO`/`INFO` text.
pub fn field(text: &str, name: &str) -> Option<String> {
    let prefix = format!("{name}:");
    text.lines().find_map(|l| l.trim_end().strip_prefix(&prefix).map(str::to_string))
}

/// One cluster node: a server process of `kind` in `dir`, restartable with the same port, directory and nodes.conf.
pub struct Node {
    pub kind: Kind,
    pub ip: String,
    pub port: u16,
    pub dir: PathBuf,
    pub netns: Option<String>,
    extra: Vec<String>,
    child: Option<Child>,
}

impl Node {
    pub fn addr(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = [
            "--port",
            &self.port.to_string(),
            "--bind",
            &self.ip,
            "--dir",
            self.dir.to_str().expect("UTF-8 dir"),
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            &NODE_TIMEOUT_MS.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "no",
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if self.kind == Kind::Ferredis {
            a.extend(super::extra_args());
        }
        a.extend(self.extra.iter().cloned());
        a
    }

    /// Starts the process (again) and waits for it to answer PING.
    pub fn start(&mut self) {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_start(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "{} already running", self.addr());
        let bin = self.kind.bin();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("open server.log");
        let log2 = log.try_clone().expect("clone log");
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(&bin);
                c
            }
            None => Command::new(&bin),
        };
        let child = cmd
            .args(self.args())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                return Err(format!(
                    "{} {} exited at start ({st}); log:\n{}",
                    self.kind.label(),
                    self.addr(),
                    self.log_tail()
                ));
            }
            if let Ok(mut c) = self.try_conn() {
                if c.try_cmd(&["PING"]).map(|r| r == b"+PONG\r\n").unwrap_or(false) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!("{} not ready; log:\n{}", self.addr(), self.log_tail()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn try_conn(&self) -> std::io::Result<Conn> {
        let addr = format!("{}:{}", self.ip, self.port).parse().expect("socket address");
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        Ok(Conn::from_stream(s))
    }

    pub fn conn(&self) -> Conn {
        self.try_conn().unwrap_or_else(|e| panic!("connect {}: {e}", self.addr()))
    }

    /// One command on a fresh connection; the reply's bytes.
    pub fn cmd(&self, args: &[&str]) -> Vec<u8> {
        self.conn().cmd(args)
    }

    /// A command whose reply is text (a bulk string), e.g. CLUSTER NODES; errors come back as their text.
    pub fn text(&self, args: &[&str]) -> String {
        let r = self.cmd(args);
        match Resp::parse(&r) {
            Ok(Resp::Bulk(b)) | Ok(Resp::Verbatim(b)) | Ok(Resp::Simple(b)) => String::from_utf8_lossy(&b).into_owned(),
            _ => escape(&r),
        }
    }

    pub fn try_text(&self, args: &[&str]) -> Option<String> {
        let r = self.try_conn().ok()?.try_cmd(args).ok()?;
        match Resp::parse(&r) {
            Ok(Resp::Bulk(b)) | Ok(Resp::Verbatim(b)) | Ok(Resp::Simple(b)) => {
                Some(String::from_utf8_lossy(&b).into_owned())
            }
            _ => None,
        }
    }

    pub fn myid(&self) -> String {
        self.text(&["CLUSTER", "MYID"])
    }

    pub fn nodes(&self) -> Vec<NodeLine> {
        parse_nodes(&self.text(&["CLUSTER", "NODES"]))
    }

    pub fn myself(&self) -> NodeLine {
        self.nodes().into_iter().find(|n| n.has("myself")).unwrap_or_else(|| panic!("{}: no myself line", self.addr()))
    }

    /// `cluster_state` from CLUSTER INFO, or None when the node does not answer.
    pub fn state(&self) -> Option<String> {
        field(&self.try_text(&["CLUSTER", "INFO"])?, "cluster_state")
    }

    pub fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A bridge with one network namespace per node (10.251.S.i+1/24; the bridge, in our namespace, is .254).
struct Net {
    bridge: String,
    subnet: String,
    namespaces: Vec<String>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let (ok, out) = run("ip", args);
    if ok {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), out.trim()))
    }
}

impl Net {
    fn create(n: usize) -> Result<Net, String> {
        let pid = std::process::id();
        let mut net = Net {
            bridge: format!("fcb{}", pid % 1_000_000),
            subnet: format!("10.251.{}", pid % 250),
            namespaces: vec![],
        };
        ip(&["link", "add", &net.bridge, "type", "bridge"])?;
        ip(&["addr", "add", &format!("{}.254/24", net.subnet), "dev", &net.bridge])?;
        ip(&["link", "set", &net.bridge, "up"])?;
        for i in 0..n {
            let ns = format!("fcn{pid}-{i}");
            ip(&["netns", "add", &ns])?;
            net.namespaces.push(ns.clone());
            let (host, peer) = (format!("fch{}x{i}", pid % 100_000), format!("fcp{}x{i}", pid % 100_000));
            ip(&["link", "add", &host, "type", "veth", "peer", "name", &peer])?;
            ip(&["link", "set", &host, "master", &net.bridge])?;
            ip(&["link", "set", &host, "up"])?;
            ip(&["link", "set", &peer, "netns", &ns])?;
            ip(&["-n", &ns, "addr", "add", &format!("{}/24", net.node_ip(i)), "dev", &peer])?;
            ip(&["-n", &ns, "link", "set", &peer, "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        }
        Ok(net)
    }

    fn node_ip(&self, i: usize) -> String {
        format!("{}.{}", self.subnet, i + 1)
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            let _ = ip(&["netns", "del", ns]);
        }
        let _ = ip(&["link", "del", &self.bridge]);
    }
}

/// One node as another sees it: id, master flag, its master's id, slots.
type Topo = (String, bool, String, Vec<(u16, u16)>);

/// A set of cluster nodes (not yet joined until `create`).
pub struct Cluster {
    pub nodes: Vec<Node>,
    root: PathBuf,
    // Dropped after the nodes (fields drop in order): the namespaces outlive the processes in them.
    net: Option<Net>,
    _serial: MutexGuard<'static, ()>,
}

impl Cluster {
    /// Starts one node per entry of `kinds` on 127.0.0.1, each with `extra` arguments.
    pub fn start(kinds: &[Kind], extra: &[&str]) -> Cluster {
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        Cluster::spawn(kinds, extra, None, serial)
    }

    /// Like `start`, with every node in its own network namespace on a bridge, so `partition` can cut nodes off.
    /// `Err` says why namespaces could not be made (not root, no iproute2): the caller reports the test skipped.
    pub fn start_netns(kinds: &[Kind], extra: &[&str]) -> Result<Cluster, String> {
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let net = Net::create(kinds.len())?;
        Ok(Cluster::spawn(kinds, extra, Some(net), serial))
    }

    fn spawn(kinds: &[Kind], extra: &[&str], net: Option<Net>, serial: MutexGuard<'static, ()>) -> Cluster {
        let root = std::env::temp_dir().join(format!("ferredis-cluster-{}-{}", std::process::id(), pick_port()));
        let _ = std::fs::remove_dir_all(&root);
        let mut nodes = Vec::new();
        for (i, &kind) in kinds.iter().enumerate() {
            let port = pick_port();
            let dir = root.join(format!("node{i}-{}-{port}", kind.label()));
            std::fs::create_dir_all(&dir).expect("node dir");
            let (ip, netns) = match &net {
                Some(n) => (n.node_ip(i), Some(n.namespaces[i].clone())),
                None => ("127.0.0.1".to_string(), None),
            };
            nodes.push(Node {
                kind,
                ip,
                port,
                dir,
                netns,
                extra: extra.iter().map(|s| s.to_string()).collect(),
                child: None,
            });
        }
        let mut c = Cluster { nodes, root, net, _serial: serial };
        for n in &mut c.nodes {
            // A port (or its bus port) can be taken by an outgoing connection between pick_port and the bind.
            for attempt in 0.. {
                match n.try_start() {
                    Ok(()) => break,
                    Err(e) if attempt < 4 && e.contains("in use") => n.port = pick_port(),
                    Err(e) => panic!("{e}"),
                }
            }
        }
        c
    }

    pub fn describe(&self) -> String {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| format!("#{i} {} {}", n.kind.label(), n.addr()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `redis-cli --cluster create` of every node with `replicas` replicas per master.
    pub fn create(&self, replicas: usize) {
        let addrs: Vec<String> = self.nodes.iter().map(Node::addr).collect();
        let r = replicas.to_string();
        let mut args: Vec<&str> = vec!["--cluster", "create"];
        args.extend(addrs.iter().map(String::as_str));
        args.extend(["--cluster-replicas", &r, "--cluster-yes"]);
        let (ok, out) = cli(&args);
        assert!(
            ok && out.contains("[OK] All 16384 slots covered"),
            "cluster create failed ({}):\n{out}\n{}",
            self.describe(),
            self.logs()
        );
        self.wait_ok();
    }

    /// `redis-cli --cluster create` of the nodes `masters` only (no replicas).
    pub fn create_masters(&self, masters: &[usize]) {
        let addrs: Vec<String> = masters.iter().map(|&i| self.nodes[i].addr()).collect();
        let mut args: Vec<&str> = vec!["--cluster", "create"];
        args.extend(addrs.iter().map(String::as_str));
        args.extend(["--cluster-replicas", "0", "--cluster-yes"]);
        let (ok, out) = cli(&args);
        assert!(
            ok && out.contains("[OK] All 16384 slots covered"),
            "cluster create failed ({}):\n{out}\n{}",
            self.describe(),
            self.logs()
        );
    }

    /// `redis-cli --cluster add-node` of node `replica` as a replica of node `master`.
    pub fn add_replica(&self, replica: usize, master: usize) {
        let id = self.id(master);
        let (ra, ma) = (self.nodes[replica].addr(), self.nodes[master].addr());
        let (ok, out) = cli(&["--cluster", "add-node", &ra, &ma, "--cluster-slave", "--cluster-master-id", &id]);
        assert!(
            ok && out.contains("[OK] New node added correctly."),
            "add-node {ra} as replica of {ma}:\n{out}\n{}",
            self.logs()
        );
    }

    /// `redis-cli --cluster reshard` of `count` slots from node `from` to node `to` (through `from`).
    pub fn reshard(&self, from: usize, to: usize, count: usize) -> String {
        let (fid, tid, n) = (self.id(from), self.id(to), count.to_string());
        let addr = self.nodes[from].addr();
        let (ok, out) = cli(&[
            "--cluster",
            "reshard",
            &addr,
            "--cluster-from",
            &fid,
            "--cluster-to",
            &tid,
            "--cluster-slots",
            &n,
            "--cluster-yes",
        ]);
        assert!(
            ok && !out.contains("[ERR]"),
            "reshard {count} slots #{from} -> #{to} ({}):\n{out}\n{}",
            self.describe(),
            self.logs()
        );
        out
    }

    /// Slots owned by node `node`, as node `via` sees it.
    pub fn slot_count(&self, via: usize, node: usize) -> usize {
        let addr = self.nodes[node].addr();
        self.view(via).iter().find(|l| l.addr == addr).map(NodeLine::slot_count).unwrap_or(0)
    }

    /// Waits until replica `r` has received everything its master `m` has (equal replication offsets).
    pub fn wait_synced(&self, m: usize, r: usize) {
        self.wait("the replica to catch up with its master", || {
            let (Some(mi), Some(ri)) =
                (self.nodes[m].try_text(&["INFO", "replication"]), self.nodes[r].try_text(&["INFO", "replication"]))
            else {
                return false;
            };
            let mo = field(&mi, "master_repl_offset");
            mo.is_some()
                && mo == field(&ri, "slave_repl_offset")
                && field(&ri, "master_link_status").as_deref() == Some("up")
        });
    }

    /// Waits until node `r` reports itself a master (CLUSTER NODES `myself,master`); returns how long that took.
    pub fn wait_promoted(&self, r: usize) -> Duration {
        self.wait("the replica's promotion to master", || {
            self.nodes[r]
                .try_text(&["CLUSTER", "NODES"])
                .map(|t| parse_nodes(&t).iter().any(|l| l.has("myself") && l.has("master")))
                .unwrap_or(false)
        })
    }

    /// Waits until node `n` is a replica of node `m` in its own view, with its replication link up.
    pub fn wait_replica_of(&self, n: usize, m: usize) {
        let mid = self.id(m);
        self.wait("the node to become a replica of the given master", || {
            let Some(t) = self.nodes[n].try_text(&["CLUSTER", "NODES"]) else { return false };
            let me = parse_nodes(&t).into_iter().find(|l| l.has("myself"));
            let Some(repl) = self.nodes[n].try_text(&["INFO", "replication"]) else { return false };
            me.map(|l| l.has("slave") && l.master == mid).unwrap_or(false)
                && field(&repl, "master_link_status").as_deref() == Some("up")
        });
    }

    /// The last lines of every node's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for (i, n) in self.nodes.iter().enumerate() {
            s.push_str(&format!("--- #{i} {} {} log tail:\n{}\n", n.kind.label(), n.addr(), n.log_tail()));
        }
        s
    }

    /// Polls `f` every 50 ms until true; panics (with the nodes' logs) after `SETTLE_MS`.
    pub fn wait(&self, what: &str, mut f: impl FnMut() -> bool) -> Duration {
        let t0 = Instant::now();
        while !f() {
            if t0.elapsed() > Duration::from_millis(SETTLE_MS) {
                panic!("timed out waiting for {what} ({})\n{}", self.describe(), self.logs());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        t0.elapsed()
    }

    /// Indices of the running nodes.
    pub fn live(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].running()).collect()
    }

    /// Waits until every running node (or those in `only`) reports `cluster_state:ok`, all of them agree on the
    /// slot owners, and every replica's link to its master is up.
    pub fn wait_ok(&self) {
        let live = self.live();
        self.wait_ok_among(&live);
    }

    pub fn wait_ok_among(&self, idx: &[usize]) {
        self.wait("cluster_state:ok and one slot map on every node", || {
            let mut maps = Vec::new();
            for &i in idx {
                let n = &self.nodes[i];
                if n.state().as_deref() != Some("ok") {
                    return false;
                }
                let Some(text) = n.try_text(&["CLUSTER", "NODES"]) else { return false };
                // Every node known, with the same roles, masters and slots everywhere.
                let mut m: Vec<Topo> = parse_nodes(&text)
                    .into_iter()
                    .map(|l| (l.id.clone(), l.has("master"), l.master, l.slots))
                    .collect();
                if m.len() != self.nodes.len() {
                    return false;
                }
                m.sort();
                maps.push(m);
                let Some(repl) = n.try_text(&["INFO", "replication"]) else { return false };
                if field(&repl, "role").as_deref() == Some("slave")
                    && field(&repl, "master_link_status").as_deref() != Some("up")
                {
                    return false;
                }
            }
            maps.windows(2).all(|w| w[0] == w[1])
        });
    }

    /// `redis-cli --cluster check` through node `i`; asserts it found nothing wrong and returns its output.
    pub fn check(&self, i: usize) -> String {
        let addr = self.nodes[i].addr();
        let (ok, out) = cli(&["--cluster", "check", &addr]);
        assert!(
            ok && out.contains("[OK] All nodes agree about slots configuration.")
                && out.contains("[OK] All 16384 slots covered.")
                && !out.contains("[ERR]")
                && !out.contains("[WARNING]"),
            "--cluster check {addr} ({}):\n{out}",
            self.describe()
        );
        out
    }

    /// The node index whose address (`ip:port`) is `addr`.
    pub fn index_of_addr(&self, addr: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.addr() == addr)
    }

    /// The cluster's view (CLUSTER NODES) from node `via`.
    pub fn view(&self, via: usize) -> Vec<NodeLine> {
        self.nodes[via].nodes()
    }

    /// (master index, replica indices) of every master with slots, as node `via` sees it.
    pub fn shards(&self, via: usize) -> Vec<(usize, Vec<usize>)> {
        let v = self.view(via);
        let mut out = Vec::new();
        for m in v.iter().filter(|l| l.has("master") && !l.slots.is_empty()) {
            let Some(mi) = self.index_of_addr(&m.addr) else { continue };
            let reps = v.iter().filter(|l| l.master == m.id).filter_map(|l| self.index_of_addr(&l.addr)).collect();
            out.push((mi, reps));
        }
        out.sort();
        out
    }

    /// Node ids by index (asked from each running node).
    pub fn id(&self, i: usize) -> String {
        self.nodes[i].myid()
    }

    /// A cluster client seeded with every node.
    pub fn client(&self) -> Client {
        Client::new(self.nodes.iter().map(Node::addr).collect())
    }

    /// Cuts `side` off from every other node (both directions), with blackhole routes in each namespace; the test
    /// process (on the bridge) still reaches everyone.
    pub fn partition(&self, side: &[usize], heal: bool) {
        let net = self.net.as_ref().expect("partition needs start_netns");
        let op = if heal { "del" } else { "add" };
        for &a in side {
            for b in (0..self.nodes.len()).filter(|b| !side.contains(b)) {
                for (from, to) in [(a, b), (b, a)] {
                    let dst = format!("{}/32", net.node_ip(to));
                    ip(&["-n", &net.namespaces[from], "route", op, "blackhole", &dst])
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
    }

    /// Keys that hash to slots `node` serves (per CLUSTER NODES through `via`), `n` of them, named `prefix:N`.
    pub fn keys_on(&self, via: usize, node: usize, prefix: &str, n: usize) -> Vec<String> {
        let addr = self.nodes[node].addr();
        let line = self.view(via).into_iter().find(|l| l.addr == addr).expect("node in view");
        let owns = |s: u16| line.slots.iter().any(|&(a, b)| a <= s && s <= b);
        (0..).map(|i| format!("{prefix}:{i}")).filter(|k| owns(key_slot(k.as_bytes()))).take(n).collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            n.kill();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.root);
        } else {
            eprintln!("cluster node directories kept in {}", self.root.display());
        }
    }
}

/// A cluster client: routes by slot from CLUSTER SLOTS, follows -MOVED (remembering the new owner) and -ASK (with
/// ASKING), and retries -TRYAGAIN, -CLUSTERDOWN and dropped connections (a node being killed or failed over)
/// until a deadline.
pub struct Client {
    seeds: Vec<String>,
    slots: Vec<Option<String>>,
    conns: HashMap<String, Conn>,
    pub moved: u64,
    pub asked: u64,
    pub retried: u64,
    /// How long one command may keep retrying.
    pub deadline: Duration,
}

impl Client {
    pub fn new(seeds: Vec<String>) -> Client {
        let mut c = Client {
            seeds,
            slots: vec![None; 16384],
            conns: HashMap::new(),
            moved: 0,
            asked: 0,
            retried: 0,
            deadline: Duration::from_millis(SETTLE_MS),
        };
        c.refresh();
        c
    }

    fn conn(&mut self, addr: &str) -> Option<&mut Conn> {
        if !self.conns.contains_key(addr) {
            let sa = addr.parse().ok()?;
            let s = TcpStream::connect_timeout(&sa, Duration::from_secs(1)).ok()?;
            let mut c = Conn::from_stream(s);
            c.set_read_timeout_ms(5000);
            self.conns.insert(addr.to_string(), c);
        }
        self.conns.get_mut(addr)
    }

    /// Reloads the slot map from the first node that answers CLUSTER SLOTS.
    pub fn refresh(&mut self) -> bool {
        for seed in self.seeds.clone() {
            let Some(c) = self.conn(&seed) else { continue };
            let Ok(r) = c.try_cmd(&["CLUSTER", "SLOTS"]) else {
                self.conns.remove(&seed);
                continue;
            };
            let Ok(Resp::Array(ranges)) = Resp::parse(&r) else { continue };
            for range in ranges {
                let Resp::Array(f) = range else { continue };
                if f.len() < 3 {
                    continue;
                }
                let (Some(a), Some(b)) = (f[0].as_int(), f[1].as_int()) else { continue };
                let Resp::Array(m) = &f[2] else { continue };
                let (Some(host), Some(port)) = (m.first().and_then(Resp::as_bytes), m.get(1).and_then(Resp::as_int))
                else {
                    continue;
                };
                let addr = format!("{}:{port}", String::from_utf8_lossy(host));
                for s in a..=b {
                    if let Some(x) = self.slots.get_mut(s as usize) {
                        *x = Some(addr.clone());
                    }
                }
            }
            return true;
        }
        false
    }

    /// Runs a command whose first argument after the name is its key; returns the final reply (never a
    /// redirection). Err after the deadline, with the last reply or error.
    pub fn cmd(&mut self, args: &[&str]) -> Result<Vec<u8>, String> {
        let slot = key_slot(args.get(1).map(|k| k.as_bytes()).unwrap_or(b"")) as usize;
        let start = Instant::now();
        let mut target = self.slots[slot].clone();
        let mut asking = false;
        let mut last = String::new();
        loop {
            if start.elapsed() > self.deadline {
                return Err(format!("{}: gave up after {:?}: {last}", args.join(" "), self.deadline));
            }
            let addr = target.clone().unwrap_or_else(|| self.seeds[0].clone());
            let reply = match self.conn(&addr) {
                None => Err(format!("connect {addr} failed")),
                Some(c) => {
                    let r = if asking { c.try_cmd(&["ASKING"]).and_then(|_| c.try_cmd(args)) } else { c.try_cmd(args) };
                    r.map_err(|e| format!("{addr}: {e}"))
                }
            };
            asking = false;
            let reply = match reply {
                Ok(r) => r,
                Err(e) => {
                    self.conns.remove(&addr);
                    last = e;
                    self.retried += 1;
                    std::thread::sleep(Duration::from_millis(100));
                    self.refresh();
                    target = self.slots[slot].clone();
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&reply).into_owned();
            if let Some(rest) = text.strip_prefix("-MOVED ") {
                self.moved += 1;
                let to = rest.trim().split(' ').nth(1).unwrap_or("").to_string();
                self.slots[slot] = Some(to.clone());
                target = Some(to);
                last = text;
                continue;
            }
            if let Some(rest) = text.strip_prefix("-ASK ") {
                self.asked += 1;
                target = Some(rest.trim().split(' ').nth(1).unwrap_or("").to_string());
                asking = true;
                last = text;
                continue;
            }
            if text.starts_with("-TRYAGAIN") || text.starts_with("-CLUSTERDOWN") || text.starts_with("-LOADING") {
                self.retried += 1;
                last = text;
                std::thread::sleep(Duration::from_millis(50));
                self.refresh();
                target = self.slots[slot].clone();
                continue;
            }
            return Ok(reply);
        }
    }

    /// SET that must be acknowledged with +OK.
    pub fn set(&mut self, k: &str, v: &str) {
        let r = self.cmd(&["SET", k, v]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r, b"+OK\r\n", "SET {k}: {}", escape(&r));
    }

    /// GET's value (None for a missing key).
    pub fn get(&mut self, k: &str) -> Option<Vec<u8>> {
        let r = self.cmd(&["GET", k]).unwrap_or_else(|e| panic!("{e}"));
        match Resp::parse(&r) {
            Ok(Resp::Bulk(b)) => Some(b),
            Ok(Resp::Nil(_)) => None,
            _ => panic!("GET {k}: {}", escape(&r)),
        }
    }
}
