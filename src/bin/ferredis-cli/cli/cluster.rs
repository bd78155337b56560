//! `--cluster`: redis-cli 7.0's cluster manager (create, check, info, fix, reshard, rebalance, add-node,
//! del-node, call, set-timeout, import, backup, help) with its output text, prompts and exit codes.
//!
//! Model: the manager's node table (`Mgr::nodes`) is what the first node's `CLUSTER NODES` lists, each node
//! with its own connection and its own view of itself (slots, migrating/importing slots, flags), loaded as
//! redis-cli's `clusterManagerLoadInfoFromNode` does. Everything else (slot moves, fixes, the create plan)
//! works on that table by index and talks to the nodes with plain commands (`CLUSTER SETSLOT`, `MIGRATE`,
//! `CLUSTER ADDSLOTS`, ...), so it drives Redis and ferredis nodes alike.
//!
//! Tested against redis-cli on real redis-server cluster nodes by `tests/cli_cluster.rs`.

use super::conn::{self, Conn};
use super::reply::Reply;
use super::{format, out};
use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicBool, Ordering};

const SLOTS: usize = 16384;
const PORT_INCR: i32 = 10000;

pub const F_FIX: u32 = 1;
pub const F_SLAVE: u32 = 1 << 1;
pub const F_YES: u32 = 1 << 2;
pub const F_EMPTYMASTER: u32 = 1 << 4;
pub const F_SIMULATE: u32 = 1 << 5;
pub const F_REPLACE: u32 = 1 << 6;
pub const F_COPY: u32 = 1 << 7;
pub const F_CHECK_OWNERS: u32 = 1 << 9;
pub const F_FIX_UNREACHABLE: u32 = 1 << 10;
pub const F_MASTERS_ONLY: u32 = 1 << 11;
pub const F_SLAVES_ONLY: u32 = 1 << 12;

const N_MYSELF: u8 = 1;
const N_SLAVE: u8 = 1 << 1;
const N_NOADDR: u8 = 1 << 3;
const N_DISCONNECT: u8 = 1 << 4;
const N_FAIL: u8 = 1 << 5;

/// No error goes back to the caller: SETSLOT errors are printed where they happen (redis-cli's NULL `err`).
const O_PRINT: u8 = 1;
const O_COLD: u8 = 1 << 1;
const O_UPDATE: u8 = 1 << 2;
const O_QUIET: u8 = 1 << 6;
const O_VERBOSE: u8 = 1 << 7;

const INVALID_HOST_ARG: &str = "[ERR] Invalid arguments: you need to pass either a valid address (ie. 120.0.0.1:7000) \
or space separated IP and port (ie. 120.0.0.1 7000)\n";

/// The `--cluster` command line (redis-cli's `clusterManagerCommand`).
#[derive(Clone)]
pub struct Opts {
    pub name: String,
    pub args: Vec<Vec<u8>>,
    pub flags: u32,
    pub replicas: i32,
    pub master_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub from_user: Option<Vec<u8>>,
    pub from_pass: Option<Vec<u8>>,
    pub from_askpass: bool,
    pub weight: Vec<String>,
    pub slots: i32,
    pub timeout: i32,
    pub pipeline: i32,
    pub threshold: f32,
}

impl Opts {
    pub fn new(name: String, args: Vec<Vec<u8>>) -> Opts {
        Opts {
            name,
            args,
            flags: 0,
            replicas: 0,
            master_id: None,
            from: None,
            to: None,
            from_user: None,
            from_pass: None,
            from_askpass: false,
            weight: Vec::new(),
            slots: 0,
            timeout: 60000,
            pipeline: 10,
            threshold: 2.0,
        }
    }
}

/// Whether `--cluster` output is coloured: set once by [`run`] from `TERM` before the subcommand runs; read by
/// [`log`]. A static because the logging helpers, called everywhere in the cluster manager, read it.
static COLOR: AtomicBool = AtomicBool::new(false);

fn log(code: &str, s: &str) {
    if COLOR.load(Ordering::Relaxed) {
        out(format!("\x1b[{code}{s}\x1b[0m").as_bytes());
    } else {
        out(s.as_bytes());
    }
}
fn info(s: &str) {
    log("29;1m", s)
}
fn warn(s: &str) {
    log("33;1m", s)
}
fn err(s: &str) {
    log("31;1m", s)
}
fn ok(s: &str) {
    log("32;1m", s)
}
fn say(s: &str) {
    out(s.as_bytes())
}

fn atoi(s: &str) -> i32 {
    ferredis::util::atoll(s.as_bytes()) as i32
}

fn text(r: &Reply) -> String {
    String::from_utf8_lossy(r.bytes().unwrap_or_default()).into_owned()
}

/// An error reply's text, up to its first NUL as redis-cli prints it.
fn err_text(e: &[u8]) -> String {
    String::from_utf8_lossy(format::cstr(e)).into_owned()
}

/// A reply that is neither missing (I/O error) nor an error (redis-cli's `clusterManagerCheckRedisReply`):
/// Err(None) for no reply, Err(Some(text)) for an error reply.
fn check(r: Option<Reply>) -> Result<Reply, Option<String>> {
    match r {
        None => Err(None),
        Some(Reply::Error(e)) => Err(Some(err_text(&e))),
        Some(r) => Ok(r),
    }
}

/// `getLongInfoField`: the number after the first `field:` in an INFO text (LONG_MIN, here None, if absent).
fn info_field(info: &str, field: &str) -> Option<i64> {
    let p = info.find(field)? + field.len() + 1;
    let rest = info.get(p..)?;
    let end = rest.find(['\r', ',']).unwrap_or(rest.len());
    Some(ferredis::util::atoll(&rest.as_bytes()[..end]))
}

/// `ip:port[@bus_port]` as redis-cli splits it (from the right).
fn parse_addr(addr: &str) -> Option<(String, i32, i32)> {
    let (a, bus) = match addr.rfind('@') {
        Some(i) => (&addr[..i], atoi(&addr[i + 1..])),
        None => (addr, 0),
    };
    let c = a.rfind(':')?;
    Some((a[..c].to_string(), atoi(&a[c + 1..]), bus))
}

/// Host and port from `host:port` (one argument) or `host port` (two).
fn host_from_args(args: &[Vec<u8>]) -> Option<(String, i32)> {
    let (ip, port) = if args.len() == 1 {
        let (ip, port, _) = parse_addr(&String::from_utf8_lossy(&args[0]))?;
        (ip, port)
    } else {
        (String::from_utf8_lossy(args.first()?).into_owned(), atoi(&String::from_utf8_lossy(args.get(1)?)))
    };
    if port == 0 {
        return None;
    }
    Some((ip, port))
}

/// A small xorshift generator for the anti-affinity optimizer and the random master (redis-cli uses rand()).
struct Rng(u64);
impl Rng {
    fn new() -> Rng {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64);
        Rng(t.unwrap_or(1) ^ ((std::process::id() as u64) << 32) | 1)
    }
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

pub struct Node {
    conn: Option<Conn>,
    name: Option<String>,
    ip: String,
    port: i32,
    bus_port: i32,
    current_epoch: u64,
    flags: u8,
    flags_str: Option<Vec<String>>,
    replicate: Option<String>,
    dirty: bool,
    slots: Vec<bool>,
    slots_count: i32,
    replicas_count: i32,
    friends: Vec<Node>,
    /// (slot, destination id) / (slot, source id) as the node's CLUSTER NODES shows them.
    migrating: Vec<(String, String)>,
    importing: Vec<(String, String)>,
    weight: f32,
    balance: i32,
}

impl Node {
    fn new(ip: &str, port: i32, bus_port: i32) -> Node {
        Node {
            conn: None,
            name: None,
            ip: ip.to_string(),
            port,
            bus_port: if bus_port != 0 { bus_port } else { port + PORT_INCR },
            current_epoch: 0,
            flags: 0,
            flags_str: None,
            replicate: None,
            dirty: false,
            slots: vec![false; SLOTS],
            slots_count: 0,
            replicas_count: 0,
            friends: Vec::new(),
            migrating: Vec::new(),
            importing: Vec::new(),
            weight: 1.0,
            balance: 0,
        }
    }

    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    fn is_slave(&self) -> bool {
        self.flags & N_SLAVE != 0
    }

    /// One command; None when there is no usable connection or the reply could not be read.
    fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Option<Reply> {
        let c = self.conn.as_mut()?;
        if c.broken {
            return None;
        }
        c.command(args).ok()
    }

    fn reset_slots(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = false);
        self.slots_count = 0;
    }

    fn print_error(&self, e: &str) {
        err(&format!("Node {}:{} replied with error:\n{}\n", self.ip, self.port, e));
    }

    /// `clusterManagerNodeFlagString`: the flags without `myself`.
    fn flag_string(&self) -> String {
        let f = self.flags_str.as_deref().unwrap_or_default();
        f.iter().filter(|f| *f != "myself").cloned().collect::<Vec<_>>().join(",")
    }

    /// `clusterManagerNodeInfo`.
    fn describe(&self, indent: usize) -> String {
        let spaces = " ".repeat(indent);
        let mut s = spaces.clone();
        if self.dirty && self.replicate.is_some() {
            s.push_str(&format!("S: {} {}:{}", self.name(), self.ip, self.port));
        } else {
            let role = if self.is_slave() { "S" } else { "M" };
            s.push_str(&format!(
                "{role}: {} {}:{}\n{spaces}   slots:{} ({} slots) {}",
                self.name(),
                self.ip,
                self.port,
                slots_string(&self.slots),
                self.slots_count,
                self.flag_string()
            ));
        }
        if let Some(m) = &self.replicate {
            s.push_str(&format!("\n{spaces}   replicates {m}"));
        } else if self.replicas_count != 0 {
            s.push_str(&format!("\n{spaces}   {} additional replica(s)", self.replicas_count));
        }
        s
    }

    /// `clusterManagerNodeConnect`: connect and AUTH; errors printed.
    fn connect(&mut self, auth: &Auth) -> bool {
        self.conn = None;
        match Conn::tcp(&self.ip, self.port as u16) {
            Ok(c) => self.conn = Some(c),
            Err(e) => {
                eprintln!("Could not connect to Redis at {}:{}: {}", self.ip, self.port, conn::io_message(&e));
                return false;
            }
        }
        if let Some(pass) = &auth.pass {
            let r = match &auth.user {
                Some(u) => self.cmd(&[b"AUTH".as_slice(), u, pass]),
                None => self.cmd(&[b"AUTH".as_slice(), pass]),
            };
            match check(r) {
                Ok(_) => {}
                Err(e) => {
                    if let Some(e) = e {
                        self.print_error(&e);
                    }
                    return false;
                }
            }
        }
        true
    }

    fn info(&mut self) -> Result<String, Option<String>> {
        check(self.cmd(&["INFO"])).map(|r| text(&r))
    }

    fn is_cluster(&mut self) -> Result<bool, Option<String>> {
        let i = self.info()?;
        Ok(info_field(&i, "cluster_enabled").map(|v| v as i32 != 0).unwrap_or(false))
    }

    /// `clusterManagerNodeIsEmpty`: no key in db0 and knows no other node.
    fn is_empty(&mut self) -> Result<bool, Option<String>> {
        let i = self.info()?;
        if i.contains("db0:") {
            return Ok(false);
        }
        let ci = check(self.cmd(&["CLUSTER", "INFO"])).map(|r| text(&r))?;
        Ok(info_field(&ci, "cluster_known_nodes") == Some(1))
    }

    /// `clusterManagerNodeLoadInfo`: this node's own line of CLUSTER NODES (name, flags, slots, open slots)
    /// and, with `getfriends`, every other line as a friend to connect to later.
    fn load_info(&mut self, getfriends: bool) -> Result<(), Option<String>> {
        let reply = check(self.cmd(&["CLUSTER", "NODES"]))?;
        let all = text(&reply);
        let mut rest = all.as_str();
        while let Some(nl) = rest.find('\n') {
            let line = &rest[..nl];
            rest = &rest[nl + 1..];
            let mut toks: Vec<&str> = Vec::with_capacity(8);
            let mut lr = line;
            while let Some(sp) = lr.find(' ') {
                toks.push(&lr[..sp]);
                lr = &lr[sp + 1..];
                if toks.len() == 8 {
                    break;
                }
            }
            let Some(flags) = toks.get(2).copied() else { return Err(None) };
            let Some((ip, port, bus_port)) = toks.get(1).and_then(|a| parse_addr(a)) else {
                eprintln!("Error: invalid CLUSTER NODES reply");
                return Err(None);
            };
            let myself = flags.contains("myself");
            let mut friend = None;
            if myself {
                self.bus_port = bus_port;
                self.flags |= N_MYSELF;
                self.reset_slots();
                if toks.len() == 8 {
                    self.parse_slots(lr);
                }
                self.dirty = false;
            } else if !getfriends {
                if self.flags & N_MYSELF == 0 {
                    continue;
                }
                break;
            } else {
                friend = Some(Node::new(&ip, port, bus_port));
            }
            let cur = friend.as_mut().unwrap_or(self);
            if let Some(n) = toks.first() {
                cur.name = Some(n.to_string());
            }
            let mut fl = Vec::new();
            let mut fs = flags;
            while !fs.is_empty() {
                let (f, next) = match fs.find(',') {
                    Some(i) => (&fs[..i], &fs[i + 1..]),
                    None => (fs, ""),
                };
                fs = next;
                match f {
                    "noaddr" => cur.flags |= N_NOADDR,
                    "disconnected" => cur.flags |= N_DISCONNECT,
                    "fail" => cur.flags |= N_FAIL,
                    "slave" => {
                        cur.flags |= N_SLAVE;
                        if let Some(m) = toks.get(3) {
                            cur.replicate = Some(m.to_string());
                        }
                    }
                    _ => {}
                }
                fl.push(f.to_string());
            }
            cur.flags_str = Some(fl);
            if let Some(e) = toks.get(6) {
                cur.current_epoch = ferredis::util::atoll(e.as_bytes()) as u64;
            }
            if let Some(f) = friend {
                self.friends.push(f);
            }
            if !getfriends && myself {
                break;
            }
        }
        Ok(())
    }

    fn parse_slots(&mut self, list: &str) {
        for def in list.split(' ') {
            if def.is_empty() {
                continue;
            }
            if let Some(d) = def.strip_prefix('[') {
                let d = d.split(']').next().unwrap_or("");
                if let Some(i) = d.find("->-") {
                    self.migrating.push((d[..i].to_string(), d[i + 3..].to_string()));
                } else if let Some(i) = d.find("-<-") {
                    self.importing.push((d[..i].to_string(), d[i + 3..].to_string()));
                }
            } else if let Some(i) = def.find('-') {
                let (start, stop) = (atoi(&def[..i]), atoi(&def[i + 1..]));
                self.slots_count += stop - (start - 1);
                for s in start.max(0)..=stop.min(SLOTS as i32 - 1) {
                    self.slots[s as usize] = true;
                }
            } else {
                let s = atoi(def);
                if (0..SLOTS as i32).contains(&s) {
                    self.slots[s as usize] = true;
                }
                self.slots_count += 1;
            }
        }
    }
}

/// `clusterManagerNodeSlotsString`: `[0-5460],[5462]`.
fn slots_string(slots: &[bool]) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < slots.len() {
        if !slots[i] {
            i += 1;
            continue;
        }
        let first = i;
        while i + 1 < slots.len() && slots[i + 1] {
            i += 1;
        }
        if !s.is_empty() {
            s.push(',');
        }
        if first == i {
            s.push_str(&format!("[{first}]"));
        } else {
            s.push_str(&format!("[{first}-{i}]"));
        }
        i += 1;
    }
    s
}

pub struct Auth {
    pub user: Option<Vec<u8>>,
    pub pass: Option<Vec<u8>>,
}

/// redis-cli's `confirmWithYes`: `--cluster-yes` answers unless `ignore_force`.
fn confirm(flags: u32, msg: &str, ignore_force: bool) -> bool {
    if !ignore_force && flags & F_YES != 0 {
        return true;
    }
    say(&format!("{msg} (type 'yes' to accept): "));
    read_yes()
}

/// Reads up to 4 bytes of stdin: "yes" accepts (redis-cli reads 4 bytes and compares the first three).
fn read_yes() -> bool {
    let mut buf = [0u8; 4];
    let n = std::io::stdin().lock().read(&mut buf).unwrap_or(0);
    n != 0 && &buf[..3] == b"yes"
}

/// A line of stdin cut as redis-cli's `read(fd, buf, max)` + NUL at the last byte read: None at EOF.
fn prompt_line(max: usize) -> Option<String> {
    let mut line = Vec::new();
    let n = std::io::stdin().lock().read_until(b'\n', &mut line).ok()?;
    if n == 0 {
        return None;
    }
    line.truncate(max);
    line.pop();
    Some(String::from_utf8_lossy(&line).into_owned())
}

struct Mgr {
    nodes: Vec<Node>,
    errors: Vec<String>,
    unreachable_masters: i32,
    o: Opts,
    auth: Auth,
    verbose: bool,
    mb_delim: Vec<u8>,
    rng: Rng,
}

/// One planned slot move: (index of the source node, slot).
type Table = Vec<(usize, usize)>;

impl Mgr {
    fn flag(&self, f: u32) -> bool {
        self.o.flags & f != 0
    }

    fn by_name(&self, name: &str) -> Option<usize> {
        let lc = name.to_ascii_lowercase();
        self.nodes.iter().position(|n| n.name.as_deref() == Some(lc.as_str()))
    }

    fn by_abbrev(&self, name: &str) -> Option<usize> {
        let lc = name.to_ascii_lowercase();
        self.nodes.iter().position(|n| n.name.as_deref().is_some_and(|x| x.starts_with(&lc)))
    }

    fn on_error(&mut self, e: String) {
        err(&format!("{e}\n"));
        self.errors.push(e);
    }

    /// `clusterManagerLoadInfoFromNode`: the node, then each friend it knows that answers and is not failing.
    fn load_from(&mut self, mut node: Node) -> bool {
        if node.conn.is_none() && !node.connect(&self.auth) {
            return false;
        }
        match node.is_cluster() {
            Ok(true) => {}
            Ok(false) => {
                not_cluster_error(&node, None);
                return false;
            }
            Err(e) => {
                not_cluster_error(&node, e.as_deref());
                return false;
            }
        }
        if let Err(e) = node.load_info(true) {
            if let Some(e) = e {
                node.print_error(&e);
            }
            return false;
        }
        let friends = std::mem::take(&mut node.friends);
        self.nodes = vec![node];
        for mut f in friends {
            let valid = !f.ip.is_empty() && f.port != 0 && f.connect(&self.auth) && {
                if f.load_info(false).is_ok() {
                    f.flags & (N_NOADDR | N_DISCONNECT | N_FAIL) == 0
                } else {
                    err(&format!("[ERR] Unable to load info for node {}:{}\n", f.ip, f.port));
                    false
                }
            };
            if valid {
                self.nodes.push(f);
            } else if !f.is_slave() {
                self.unreachable_masters += 1;
            }
        }
        for i in 0..self.nodes.len() {
            if let Some(m) = self.nodes[i].replicate.clone() {
                match self.by_name(&m) {
                    Some(mi) => self.nodes[mi].replicas_count += 1,
                    None => {
                        let n = &self.nodes[i];
                        warn(&format!("*** WARNING: {}:{} claims to be slave of unknown node ID {m}.\n", n.ip, n.port));
                    }
                }
            }
        }
        true
    }

    fn show_nodes(&self) {
        for n in &self.nodes {
            say(&format!("{}\n", n.describe(0)));
        }
    }

    /// `clusterManagerShowClusterInfo`.
    fn show_cluster_info(&mut self) {
        let (mut masters, mut keys) = (0, 0i64);
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_slave() || self.nodes[i].name.is_none() {
                continue;
            }
            let name = self.nodes[i].name().to_string();
            let replicas = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(j, n)| *j != i && n.is_slave() && n.replicate.as_deref() == Some(name.as_str()))
                .count();
            let n = &mut self.nodes[i];
            let dbsize = match n.cmd(&["DBSIZE"]) {
                Some(Reply::Integer(v)) if v >= 0 => v as i32,
                r => {
                    let e = match &r {
                        Some(Reply::Error(e)) => err_text(e),
                        _ => String::new(),
                    };
                    n.print_error(&e);
                    return;
                }
            };
            let short: String = name.chars().take(8).collect();
            say(&format!(
                "{}:{} ({short}...) -> {dbsize} keys | {} slots | {replicas} slaves.\n",
                n.ip, n.port, n.slots_count
            ));
            masters += 1;
            keys += dbsize as i64;
        }
        ok(&format!("[OK] {keys} keys in {masters} masters.\n"));
        say(&format!("{:.2} keys per slot on average.\n", keys as i32 as f32 / SLOTS as f32));
    }

    /// `clusterManagerGetConfigSignature`: `id:slots,...|id:slots,...` of the nodes that own slots.
    fn signature(&mut self, i: usize) -> Option<String> {
        let r = self.nodes[i].cmd(&["CLUSTER", "NODES"])?;
        if r.is_error() {
            return None;
        }
        let all = text(&r);
        let mut configs: Vec<String> = Vec::new();
        let mut rest = all.as_str();
        while let Some(nl) = rest.find('\n') {
            let line = &rest[..nl];
            rest = &rest[nl + 1..];
            let parts: Vec<&str> = line.splitn(9, ' ').collect();
            if parts.len() < 9 {
                continue;
            }
            let mut slots: Vec<&str> = parts[8].split(' ').filter(|s| !s.is_empty() && !s.starts_with('[')).collect();
            if parts[8].is_empty() || slots.is_empty() {
                continue;
            }
            slots.sort_unstable();
            configs.push(format!("{}:{}", parts[0], slots.join(",")));
        }
        if configs.is_empty() {
            return None;
        }
        configs.sort_unstable();
        Some(configs.join("|"))
    }

    fn consistent(&mut self) -> bool {
        if self.nodes.len() <= 1 {
            return true;
        }
        let mut first: Option<String> = None;
        for i in 0..self.nodes.len() {
            let Some(cfg) = self.signature(i) else { return false };
            match &first {
                None => first = Some(cfg),
                Some(f) if *f != cfg => return false,
                _ => {}
            }
        }
        true
    }

    /// `clusterManagerGetLinkStatus`: unreachable address -> the nodes that cannot reach it.
    fn link_status(&mut self) -> Vec<(String, Vec<String>)> {
        let mut status: Vec<(String, Vec<String>)> = Vec::new();
        for i in 0..self.nodes.len() {
            let Ok(r) = check(self.nodes[i].cmd(&["CLUSTER", "NODES"])) else { continue };
            let me = format!("{}:{}", self.nodes[i].ip, self.nodes[i].port);
            for line in text(&r).split('\n') {
                let parts: Vec<&str> = line.split(' ').collect();
                if parts.len() < 8 || parts[2].contains("myself") {
                    continue;
                }
                let disconnected = parts[2].contains("disconnected") || parts[7].contains("disconnected");
                if disconnected || parts[2].contains("handshake") {
                    match status.iter_mut().find(|(a, _)| a == parts[1]) {
                        Some((_, from)) => from.push(me.clone()),
                        None => status.push((parts[1].to_string(), vec![me.clone()])),
                    }
                }
            }
        }
        status
    }

    /// `clusterManagerWaitForClusterJoin`.
    fn wait_join(&mut self) {
        say("Waiting for the cluster to join\n");
        let check_after = 20 + (self.nodes.len() as f32 * 0.15) as i32;
        let mut counter = 0;
        while !self.consistent() {
            say(".");
            std::thread::sleep(std::time::Duration::from_secs(1));
            counter += 1;
            if counter > check_after {
                let status = self.link_status();
                if !status.is_empty() {
                    say("\n");
                    err(&format!("Warning: {} node(s) may be unreachable\n", status.len()));
                    for (addr, from) in status {
                        match parse_addr(&addr) {
                            Some((ip, _, bus)) if bus != 0 => {
                                err(&format!(" - The port {bus} of node {ip} may be unreachable from:\n"))
                            }
                            _ => err(&format!(" - Node {addr} may be unreachable from:\n")),
                        }
                        for f in from {
                            err(&format!("   {f}\n"));
                        }
                        err("Cluster bus ports must be reachable by every node.\nRemember that cluster bus ports are different from standard instance ports.\n");
                    }
                }
                counter = 0;
            }
        }
        say("\n");
    }

    fn covered_slots(&self, all: &mut [bool]) -> usize {
        let mut tot = 0;
        for n in &self.nodes {
            for (s, c) in all.iter_mut().enumerate() {
                if n.slots[s] && !*c {
                    *c = true;
                    tot += 1;
                }
            }
        }
        tot
    }

    /// `clusterManagerCheckCluster`.
    fn check_cluster(&mut self, quiet: bool) -> bool {
        let Some(first) = self.nodes.first() else { return false };
        info(&format!(">>> Performing Cluster Check (using node {}:{})\n", first.ip, first.port));
        let do_fix = self.flag(F_FIX);
        let mut result = true;
        if !quiet {
            self.show_nodes();
        }
        if !self.consistent() {
            self.on_error("[ERR] Nodes don't agree about configuration!".into());
            result = false;
        } else {
            ok("[OK] All nodes agree about slots configuration.\n");
        }
        info(">>> Check for open slots...\n");
        let mut open: Vec<String> = Vec::new();
        let mut errs = Vec::new();
        for n in &self.nodes {
            for (what, list) in [("migrating", &n.migrating), ("importing", &n.importing)] {
                if list.is_empty() {
                    continue;
                }
                let slots: Vec<&str> = list.iter().map(|(s, _)| s.as_str()).collect();
                for s in &slots {
                    if !open.iter().any(|o| o == s) {
                        open.push(s.to_string());
                    }
                }
                errs.push(format!("[WARNING] Node {}:{} has slots in {what} state {}.", n.ip, n.port, slots.join(",")));
            }
        }
        for e in errs {
            self.on_error(e);
        }
        if !open.is_empty() {
            result = false;
            err(&format!("[WARNING] The following slots are open: {}.\n", open.join(",")));
            if do_fix {
                for s in &open {
                    result = self.fix_open_slot(atoi(s) as usize);
                    if !result {
                        break;
                    }
                }
            }
        }
        info(">>> Check slots coverage...\n");
        let mut all = vec![false; SLOTS];
        if self.covered_slots(&mut all) == SLOTS {
            ok(&format!("[OK] All {SLOTS} slots covered.\n"));
        } else {
            self.on_error(format!("[ERR] Not all {SLOTS} slots are covered by nodes.\n"));
            result = false;
            if do_fix && self.fix_coverage(&all) > 0 {
                result = true;
            }
        }
        if self.flag(F_CHECK_OWNERS) {
            info(">>> Check for multiple slot owners...\n");
            let mut multi = 0;
            for slot in 0..SLOTS {
                let mut owners = Vec::new();
                for i in 0..self.nodes.len() {
                    if self.nodes[i].is_slave() {
                        continue;
                    }
                    if self.nodes[i].slots[slot] || self.count_keys(i, slot) > 0 {
                        owners.push(i);
                    }
                }
                if owners.len() > 1 {
                    result = false;
                    err(&format!("[WARNING] Slot {slot} has {} owners:\n", owners.len()));
                    for &o in &owners {
                        err(&format!("    {}:{}\n", self.nodes[o].ip, self.nodes[o].port));
                    }
                    multi += 1;
                    if do_fix {
                        result = self.fix_multiple_owners(slot, &owners);
                        if !result {
                            err(&format!("Failed to fix multiple owners for slot {slot}\n"));
                            break;
                        }
                        multi -= 1;
                    }
                }
            }
            if multi == 0 {
                ok("[OK] No multiple owners found.\n");
            }
        }
        result
    }

    // ---- slot primitives -------------------------------------------------------------------------

    fn simple(&mut self, i: usize, args: &[&str]) -> bool {
        match check(self.nodes[i].cmd(args)) {
            Ok(_) => true,
            Err(e) => {
                if let Some(e) = e {
                    self.nodes[i].print_error(&e);
                }
                false
            }
        }
    }

    fn count_keys(&mut self, i: usize, slot: usize) -> i64 {
        match check(self.nodes[i].cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()])) {
            Ok(Reply::Integer(v)) => v,
            Ok(_) => -1,
            Err(e) => {
                if let Some(e) = e {
                    self.nodes[i].print_error(&e);
                }
                -1
            }
        }
    }

    /// `CLUSTER SETSLOT slot status <id of target>`: Err(None) when the command could not run.
    fn set_slot(&mut self, i: usize, target: usize, slot: usize, status: &str) -> Result<(), Option<String>> {
        let id = self.nodes[target].name().to_string();
        check(self.nodes[i].cmd(&["CLUSTER", "SETSLOT", &slot.to_string(), status, &id])).map(|_| ())
    }

    /// `set_slot` that prints a reply error (redis-cli's calls without an error out-parameter).
    fn set_slot_p(&mut self, i: usize, target: usize, slot: usize, status: &str) -> bool {
        match self.set_slot(i, target, slot, status) {
            Ok(()) => true,
            Err(e) => {
                if let Some(e) = e {
                    self.nodes[i].print_error(&e);
                }
                false
            }
        }
    }

    fn clear_slot(&mut self, i: usize, slot: usize) -> bool {
        self.simple(i, &["CLUSTER", "SETSLOT", &slot.to_string(), "STABLE"])
    }

    /// `clusterManagerGetSlotOwner`: the owner of `slot` in node `i`'s CLUSTER SLOTS.
    fn slot_owner(&mut self, i: usize, slot: usize) -> Result<Option<usize>, String> {
        let r = match check(self.nodes[i].cmd(&["CLUSTER", "SLOTS"])) {
            Ok(r) => r,
            Err(e) => return e.map_or(Ok(None), Err),
        };
        let Reply::Array(ranges) = r else { return Ok(None) };
        for range in ranges {
            let Reply::Array(el) = range else { continue };
            let (Some(Reply::Integer(from)), Some(Reply::Integer(to)), Some(Reply::Array(nr))) =
                (el.first(), el.get(1), el.get(2))
            else {
                continue;
            };
            if (slot as i64) < *from || (slot as i64) > *to {
                continue;
            }
            let owner = match nr.get(2) {
                Some(id) => self.by_name(&text(id)),
                None => {
                    let ip = nr.first().map(text).unwrap_or_default();
                    let port = match nr.get(1) {
                        Some(Reply::Integer(p)) => *p as i32,
                        _ => 0,
                    };
                    self.nodes.iter().position(|n| n.ip == ip && n.port == port)
                }
            };
            if owner.is_some() {
                return Ok(owner);
            }
        }
        Ok(None)
    }

    /// `clusterManagerDelSlot`: an "unassigned" error is fine when `ignore_unassigned`.
    fn del_slot(&mut self, i: usize, slot: usize, ignore_unassigned: bool) -> bool {
        let r = check(self.nodes[i].cmd(&["CLUSTER", "DELSLOTS", &slot.to_string()]));
        let mut success = r.is_ok();
        if let Err(Some(e)) = &r {
            if ignore_unassigned {
                match self.slot_owner(i, slot) {
                    Ok(None) => success = true,
                    Ok(Some(_)) => {}
                    Err(oe) => self.nodes[i].print_error(&oe),
                }
            }
            if !success {
                self.nodes[i].print_error(e);
            }
        }
        success
    }

    /// `clusterManagerSetSlotOwner`: in one MULTI, DELSLOTS (ignoring "unassigned"), ADDSLOTS, optionally
    /// SETSLOT STABLE, and BUMPEPOCH; only the ADDSLOTS error counts.
    fn set_slot_owner(&mut self, i: usize, slot: usize, do_clear: bool) -> bool {
        if !self.simple(i, &["MULTI"]) {
            return false;
        }
        let s = slot.to_string();
        self.del_slot(i, slot, true);
        self.simple(i, &["CLUSTER", "ADDSLOTS", &s]);
        if do_clear {
            self.clear_slot(i, slot);
        }
        self.simple(i, &["CLUSTER", "BUMPEPOCH"]);
        let r = match check(self.nodes[i].cmd(&["EXEC"])) {
            Ok(r) => r,
            Err(e) => {
                if let Some(e) = e {
                    self.nodes[i].print_error(&e);
                }
                return false;
            }
        };
        let Reply::Array(items) = r else { return false };
        for (k, item) in items.iter().enumerate() {
            if let Reply::Error(e) = item {
                if k == 1 {
                    self.nodes[i].print_error(&err_text(e));
                    return false;
                }
            }
        }
        true
    }

    /// `clusterManagerCompareKeysValues`: keys whose DEBUG DIGEST-VALUE differs on the two nodes.
    fn compare_values(&mut self, a: usize, b: usize, keys: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
        let mut args: Vec<&[u8]> = vec![b"DEBUG", b"DIGEST-VALUE"];
        args.extend(keys.iter().map(|k| k.as_slice()));
        let r1 = self.nodes[a].cmd(&args)?;
        let r2 = self.nodes[b].cmd(&args)?;
        let mut good = true;
        for (n, r) in [(a, &r1), (b, &r2)] {
            if let Reply::Error(e) = r {
                self.nodes[n].print_error(&err_text(e));
                good = false;
            }
        }
        if !good {
            return None;
        }
        let (Reply::Array(h1), Reply::Array(h2)) = (r1, r2) else { return None };
        let zero = "0".repeat(40);
        let mut diffs = Vec::new();
        for (k, key) in keys.iter().enumerate() {
            let (x, y) = (h1.get(k).map(text).unwrap_or_default(), h2.get(k).map(text).unwrap_or_default());
            if x == zero || y == zero {
                continue;
            }
            if x != y {
                diffs.push(key.clone());
            }
        }
        Some(diffs)
    }

    /// MIGRATE of the given keys from `src` to `dst` (`clusterManagerMigrateKeysInReply`).
    fn migrate_keys(&mut self, src: usize, dst: usize, keys: &[Vec<u8>], replace: bool) -> Option<Reply> {
        let (ip, port) = (self.nodes[dst].ip.clone(), self.nodes[dst].port.to_string());
        let timeout = self.o.timeout.to_string();
        let mut args: Vec<Vec<u8>> =
            vec![b"MIGRATE".to_vec(), ip.into_bytes(), port.into_bytes(), vec![], b"0".to_vec(), timeout.into_bytes()];
        if replace {
            args.push(b"REPLACE".to_vec());
        }
        if let Some(pass) = &self.auth.pass {
            match &self.auth.user {
                Some(u) => args.extend([b"AUTH2".to_vec(), u.clone(), pass.clone()]),
                None => args.extend([b"AUTH".to_vec(), pass.clone()]),
            }
        }
        args.push(b"KEYS".to_vec());
        args.extend(keys.iter().cloned());
        self.nodes[src].cmd(&args)
    }

    /// `clusterManagerMigrateKeysInSlot`: GETKEYSINSLOT + MIGRATE in batches of `--cluster-pipeline` until
    /// the slot is empty on `src`; a BUSYKEY is replaced when the values match (or with --cluster-replace).
    fn migrate_slot_keys(&mut self, src: usize, dst: usize, slot: usize, opts: u8) -> Result<(), Option<String>> {
        let verbose = opts & O_VERBOSE != 0;
        let do_fix = self.flag(F_FIX);
        let do_replace = self.flag(F_REPLACE);
        let (s, pipeline) = (slot.to_string(), self.o.pipeline.to_string());
        loop {
            let Some(reply) = self.nodes[src].cmd(&["CLUSTER", "GETKEYSINSLOT", &s, &pipeline]) else {
                return Err(None);
            };
            let keys: Vec<Vec<u8>> = match reply {
                Reply::Error(e) => {
                    let e = err_text(&e);
                    if opts & O_PRINT == 0 {
                        self.nodes[src].print_error(&e);
                    }
                    return Err(Some(e));
                }
                Reply::Array(items) => items.into_iter().filter_map(|k| k.bytes().map(|b| b.to_vec())).collect(),
                _ => Vec::new(),
            };
            if keys.is_empty() {
                return Ok(());
            }
            let Some(mut mr) = self.migrate_keys(src, dst, &keys, false) else { return Err(None) };
            if let Reply::Error(e) = &mr {
                let e = err_text(e);
                let is_busy = e.contains("BUSYKEY");
                let mut not_served = false;
                if !is_busy {
                    match self.slot_owner(src, slot) {
                        Ok(None) => not_served = true,
                        Ok(Some(_)) => {}
                        Err(oe) => self.nodes[src].print_error(&oe),
                    }
                }
                if !(is_busy || not_served) {
                    say("\n");
                    self.nodes[src].print_error(&e);
                    return Err(Some(e));
                }
                if do_fix && not_served {
                    let t = &self.nodes[dst];
                    warn(&format!("*** Slot was not served, setting owner to node {}:{}.\n", t.ip, t.port));
                    let _ = self.set_slot_p(src, dst, slot, "node");
                }
                if is_busy {
                    warn("\n*** Target key exists\n");
                    if !do_replace {
                        warn("*** Checking key values on both nodes...\n");
                        let Some(diffs) = self.compare_values(src, dst, &keys) else {
                            err("*** Value check failed!\n");
                            return Err(None);
                        };
                        if !diffs.is_empty() {
                            let (a, b) = (&self.nodes[src], &self.nodes[dst]);
                            let mut m = format!(
                                "*** Found {} key(s) in both source node and target node having different values.\n    Source node: {}:{}\n    Target node: {}:{}\n    Keys(s):\n",
                                diffs.len(), a.ip, a.port, b.ip, b.port
                            );
                            for k in &diffs {
                                m.push_str(&format!("    - {}\n", String::from_utf8_lossy(k)));
                            }
                            err(&m);
                            err("Please fix the above key(s) manually and try again or relaunch the command \nwith --cluster-replace option to force key overriding.\n");
                            return Err(None);
                        }
                    }
                    warn("*** Replacing target keys...\n");
                }
                match self.migrate_keys(src, dst, &keys, is_busy) {
                    Some(Reply::Error(e2)) => {
                        let e2 = err_text(&e2);
                        say("\n");
                        self.nodes[src].print_error(&e2);
                        return Err(Some(e2));
                    }
                    Some(r) => mr = r,
                    None => return Err(None),
                }
            }
            drop(mr);
            if verbose {
                say(&".".repeat(keys.len()));
            }
        }
    }

    /// `clusterManagerMoveSlot`: IMPORTING on the target, MIGRATING on the source, the keys, then SETSLOT
    /// NODE on the target, the source and every other master.
    fn move_slot(&mut self, src: usize, dst: usize, slot: usize, opts: u8) -> Result<(), Option<String>> {
        if opts & O_QUIET == 0 {
            let (a, b) = (&self.nodes[src], &self.nodes[dst]);
            say(&format!("Moving slot {slot} from {}:{} to {}:{}: ", a.ip, a.port, b.ip, b.port));
        }
        let cold = opts & O_COLD != 0;
        let print = opts & O_PRINT != 0;
        let failed = |m: &Mgr, at: usize, e: Option<String>| {
            if let (true, Some(e)) = (print, &e) {
                m.nodes[at].print_error(e);
            }
            Err(Some(e.unwrap_or_else(|| "CLUSTER SETSLOT failed to run".into())))
        };
        if !cold {
            if let Err(e) = self.set_slot(dst, src, slot, "importing") {
                return failed(self, dst, e);
            }
            if let Err(e) = self.set_slot(src, dst, slot, "migrating") {
                return failed(self, src, e);
            }
        }
        let r = self.migrate_slot_keys(src, dst, slot, opts);
        if opts & O_QUIET == 0 {
            say("\n");
        }
        r?;
        if !cold {
            if let Err(e) = self.set_slot(dst, dst, slot, "node") {
                return failed(self, dst, e);
            }
            // A source that just lost its last slot may already be a replica of the target: not an error.
            // (redis-cli without an error out-parameter prints the error and goes on.)
            match self.set_slot(src, dst, slot, "node") {
                Err(Some(e)) if print => self.nodes[src].print_error(&e),
                Err(Some(e)) if !e.starts_with("ERR Please use SETSLOT only with masters.") => return Err(Some(e)),
                Err(None) if !print => return failed(self, src, None),
                _ => {}
            }
            for i in 0..self.nodes.len() {
                if i == src || i == dst || self.nodes[i].is_slave() {
                    continue;
                }
                if let Err(e) = self.set_slot(i, dst, slot, "node") {
                    return failed(self, i, e);
                }
            }
        }
        if opts & O_UPDATE != 0 {
            self.nodes[src].slots[slot] = false;
            self.nodes[dst].slots[slot] = true;
        }
        Ok(())
    }

    /// `move_slot` as the fix paths call it: errors printed, not returned.
    fn move_slot_quiet_errors(&mut self, src: usize, dst: usize, slot: usize, opts: u8) -> bool {
        self.move_slot(src, dst, slot, opts | O_PRINT).is_ok()
    }

    /// `clusterManagerComputeReshardTable`: from each source (most slots first) its share of `numslots`.
    fn reshard_table(&self, sources: &[usize], numslots: i32) -> Table {
        let mut sorted = sources.to_vec();
        sorted.sort_by(|a, b| self.nodes[*b].slots_count.cmp(&self.nodes[*a].slots_count));
        let tot: i32 = sources.iter().map(|&i| self.nodes[i].slots_count).sum();
        let mut moved = Vec::new();
        for (k, &i) in sorted.iter().enumerate() {
            let n = numslots as f32 / tot as f32 * self.nodes[i].slots_count as f32;
            let max = if k == 0 { n.ceil() } else { n.floor() } as i32;
            let mut count = 0;
            for slot in 0..SLOTS {
                if !self.nodes[i].slots[slot] {
                    continue;
                }
                if count >= max || moved.len() as i32 >= numslots {
                    break;
                }
                moved.push((i, slot));
                count += 1;
            }
        }
        moved
    }

    // ---- fix -------------------------------------------------------------------------------------

    fn masters_with_keys(&mut self, nodes: &[usize], slot: usize) -> Result<Option<usize>, ()> {
        let mut best: Option<usize> = None;
        let mut numkeys = 0;
        for &i in nodes {
            if self.nodes[i].is_slave() || self.nodes[i].replicate.is_some() {
                continue;
            }
            match check(self.nodes[i].cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()])) {
                Ok(r) => {
                    let v = if let Reply::Integer(v) = r { v } else { 0 };
                    if v > numkeys || best.is_none() {
                        numkeys = v;
                        best = Some(i);
                    }
                }
                Err(_) => return Err(()),
            }
        }
        Ok(best)
    }

    /// `clusterManagerGetNodeWithMostKeysInSlot`.
    fn most_keys(&mut self, nodes: &[usize], slot: usize) -> Option<usize> {
        self.masters_with_keys(nodes, slot).ok().flatten()
    }

    fn least_replicas(&self) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.is_slave() {
                continue;
            }
            if best.map_or(true, |b| n.replicas_count < self.nodes[b].replicas_count) {
                best = Some(i);
            }
        }
        best
    }

    fn random_master(&mut self) -> Option<usize> {
        let masters: Vec<usize> = (0..self.nodes.len()).filter(|&i| !self.nodes[i].is_slave()).collect();
        if masters.is_empty() {
            return None;
        }
        Some(masters[self.rng.below(masters.len())])
    }

    fn unreachable_guard(&self, what: &str) {
        if self.unreachable_masters > 0 && !self.flag(F_FIX_UNREACHABLE) {
            warn(&format!("*** Fixing {what} with {} unreachable masters is dangerous: redis-cli will assume that slots about masters that are not reachable are not covered, and will try to reassign them to the reachable nodes. This can cause data loss and is rarely what you want to do. If you really want to proceed use the --cluster-fix-with-unreachable-masters option.\n", self.unreachable_masters));
            std::process::exit(1);
        }
    }

    /// `clusterManagerFixSlotsCoverage`: uncovered slots go to a random master (no keys anywhere), the one
    /// master that has keys, or the master with most keys (keys moved there from the others).
    fn fix_coverage(&mut self, all: &[bool]) -> i32 {
        self.unreachable_guard("slots coverage");
        info(">>> Fixing slots coverage...\n");
        let mut uncovered: Vec<(usize, Vec<usize>)> = Vec::new();
        for (slot, covered) in all.iter().enumerate() {
            if *covered {
                continue;
            }
            let mut holders = Vec::new();
            for i in 0..self.nodes.len() {
                if self.nodes[i].is_slave() || self.nodes[i].replicate.is_some() {
                    continue;
                }
                match check(self.nodes[i].cmd(&["CLUSTER", "GETKEYSINSLOT", &slot.to_string(), "1"])) {
                    Ok(Reply::Array(a)) => {
                        if !a.is_empty() {
                            holders.push(i);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if let Some(e) = e {
                            self.nodes[i].print_error(&e);
                        }
                        return -1;
                    }
                }
            }
            uncovered.push((slot, holders));
        }
        let mut fixed = 0;
        let pick = |n: usize| -> Vec<usize> {
            uncovered.iter().filter(|(_, h)| h.len() == n || (n == 2 && h.len() > 2)).map(|(s, _)| *s).collect()
        };
        let (none, single, multi) = (pick(0), pick(1), pick(2));
        let holders = |s: usize| uncovered.iter().find(|(x, _)| *x == s).map(|(_, h)| h.clone()).unwrap_or_default();
        let print_list = |slots: &[usize]| {
            let mut b = vec![false; SLOTS];
            slots.iter().for_each(|&s| b[s] = true);
            say(&format!("{}\n", slots_string(&b)));
        };
        if !none.is_empty() {
            say("The following uncovered slots have no keys across the cluster:\n");
            print_list(&none);
            if confirm(self.o.flags, "Fix these slots by covering with a random node?", true) {
                for &s in &none {
                    let Some(n) = self.random_master() else { return -1 };
                    info(&format!(">>> Covering slot {s} with {}:{}\n", self.nodes[n].ip, self.nodes[n].port));
                    if !self.set_slot_owner(n, s, false) {
                        return -1;
                    }
                    self.nodes[n].slots[s] = true;
                    fixed += 1;
                }
            }
        }
        if !single.is_empty() {
            say("The following uncovered slots have keys in just one node:\n");
            print_list(&single);
            if confirm(self.o.flags, "Fix these slots by covering with those nodes?", true) {
                for &s in &single {
                    let n = holders(s)[0];
                    info(&format!(">>> Covering slot {s} with {}:{}\n", self.nodes[n].ip, self.nodes[n].port));
                    if !self.set_slot_owner(n, s, false) {
                        return -1;
                    }
                    self.nodes[n].slots[s] = true;
                    fixed += 1;
                }
            }
        }
        if !multi.is_empty() {
            say("The following uncovered slots have keys in multiple nodes:\n");
            print_list(&multi);
            if confirm(self.o.flags, "Fix these slots by moving keys into a single node?", true) {
                for &s in &multi {
                    let hs = holders(s);
                    let Some(target) = self.most_keys(&hs, s) else { return -1 };
                    let t = &self.nodes[target];
                    info(&format!(">>> Covering slot {s} moving keys to {}:{}\n", t.ip, t.port));
                    if !self.set_slot_owner(target, s, true) {
                        return -1;
                    }
                    self.nodes[target].slots[s] = true;
                    for &src in &hs {
                        if src == target {
                            continue;
                        }
                        if !self.set_slot_p(src, target, s, "NODE") || !self.set_slot_p(src, target, s, "IMPORTING") {
                            return -1;
                        }
                        if !self.move_slot_quiet_errors(src, target, s, O_VERBOSE | O_COLD) || !self.clear_slot(src, s)
                        {
                            return -1;
                        }
                    }
                    fixed += 1;
                }
            }
        }
        fixed
    }

    /// `clusterManagerFixOpenSlot`: the four cases redis-cli knows how to close.
    fn fix_open_slot(&mut self, slot: usize) -> bool {
        self.unreachable_guard("open slots");
        info(&format!(">>> Fixing open slot {slot}\n"));
        let mut owners: Vec<usize> = Vec::new();
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_slave() {
                continue;
            }
            if self.nodes[i].slots[slot] {
                owners.push(i);
            } else {
                let c = self.count_keys(i, slot);
                if c < 0 {
                    return false;
                }
                if c > 0 {
                    let n = &self.nodes[i];
                    warn(&format!("*** Found keys about slot {slot} in non-owner node {}:{}!\n", n.ip, n.port));
                    owners.push(i);
                }
            }
        }
        let mut owner = if owners.len() == 1 { Some(owners[0]) } else { None };
        let (mut migrating, mut importing): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
        let (mut mig_str, mut imp_str) = (String::new(), String::new());
        let slot_s = slot.to_string();
        let addr = |n: &Node| format!("{}:{}", n.ip, n.port);
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_slave() {
                continue;
            }
            let n = &self.nodes[i];
            let is_mig = n.migrating.iter().any(|(s, _)| atoi(s) as usize == slot);
            let is_imp = !is_mig && n.importing.iter().any(|(s, _)| atoi(s) as usize == slot);
            if is_mig {
                mig_str.push_str(&format!("{}{}", if migrating.is_empty() { "" } else { "," }, addr(n)));
                migrating.push(i);
            } else if is_imp {
                imp_str.push_str(&format!("{}{}", if importing.is_empty() { "" } else { "," }, addr(n)));
                importing.push(i);
            } else if Some(i) != owner {
                let c = self.count_keys(i, slot);
                if c < 0 {
                    return false;
                }
                if c > 0 {
                    let n = &self.nodes[i];
                    warn(&format!("*** Found keys about slot {slot} in node {}:{}!\n", n.ip, n.port));
                    imp_str.push_str(&format!("{}{}", if importing.is_empty() { "" } else { "," }, addr(n)));
                    importing.push(i);
                }
            }
        }
        if !mig_str.is_empty() {
            say(&format!("Set as migrating in: {mig_str}\n"));
        }
        if !imp_str.is_empty() {
            say(&format!("Set as importing in: {imp_str}\n"));
        }
        if owner.is_none() {
            info(">>> No single clear owner for the slot, selecting an owner by # of keys...\n");
            let all: Vec<usize> = (0..self.nodes.len()).collect();
            let Some(o) = self.most_keys(&all, slot) else {
                err("[ERR] Can't select a slot owner. Impossible to fix.\n");
                return false;
            };
            warn(&format!("*** Configuring {}:{} as the slot owner\n", self.nodes[o].ip, self.nodes[o].port));
            if !self.clear_slot(o, slot) || !self.set_slot_owner(o, slot, false) {
                return false;
            }
            self.nodes[o].slots[slot] = true;
            migrating.retain(|&x| x != o);
            importing.retain(|&x| x != o);
            owner = Some(o);
        }
        let Some(owner) = owner else { return false };
        if owners.len() > 1 {
            for &n in &owners {
                if n == owner {
                    continue;
                }
                if !self.del_slot(n, slot, true) {
                    return false;
                }
                self.nodes[n].slots[slot] = false;
                if !self.set_slot_p(n, owner, slot, "node") || !self.set_slot_p(n, owner, slot, "importing") {
                    return false;
                }
                importing.retain(|&x| x != n);
                importing.push(n);
                migrating.retain(|&x| x != n);
            }
        }
        let fmt2 = |m: &Mgr, a: usize, b: usize| {
            format!("{}:{} to {}:{}", m.nodes[a].ip, m.nodes[a].port, m.nodes[b].ip, m.nodes[b].port)
        };
        if migrating.len() == 1 && importing.len() == 1 {
            let (src, dst) = (migrating[0], importing[0]);
            info(&format!(">>> Case 1: Moving slot {slot} from {}\n", fmt2(self, src, dst)));
            return self.move_slot_quiet_errors(src, dst, slot, O_VERBOSE | O_UPDATE);
        }
        if migrating.is_empty() && !importing.is_empty() {
            let o = &self.nodes[owner];
            info(&format!(">>> Case 2: Moving all the {slot} slot keys to its owner {}:{}\n", o.ip, o.port));
            for &n in &importing {
                if n == owner {
                    continue;
                }
                if !self.move_slot_quiet_errors(n, owner, slot, O_VERBOSE | O_COLD) {
                    return false;
                }
                info(&format!(">>> Setting {slot} as STABLE in {}:{}\n", self.nodes[n].ip, self.nodes[n].port));
                if !self.clear_slot(n, slot) {
                    return false;
                }
            }
            for n in 0..self.nodes.len() {
                if n == owner || self.nodes[n].is_slave() {
                    continue;
                }
                if !self.set_slot_p(n, owner, slot, "NODE") {
                    return false;
                }
            }
            return true;
        }
        if migrating.len() == 1 && importing.len() > 1 {
            let src = migrating[0];
            let target_id =
                self.nodes[src].migrating.iter().find(|(s, _)| atoi(s) as usize == slot).map(|x| x.1.clone());
            let mut dst = None;
            let mut try_fix = true;
            for &n in &importing {
                if self.count_keys(n, slot) > 0 {
                    try_fix = false;
                    break;
                }
                if self.nodes[n].name.as_deref() == target_id.as_deref() {
                    dst = Some(n);
                }
            }
            if try_fix {
                if let Some(dst) = dst {
                    info(&format!(
                        ">>> Case 3: Moving slot {slot} from {} and closing it on all the other importing nodes.\n",
                        fmt2(self, src, dst)
                    ));
                    if !self.move_slot_quiet_errors(src, dst, slot, O_VERBOSE) {
                        return false;
                    }
                    for &n in &importing {
                        if n != dst && !self.clear_slot(n, slot) {
                            return false;
                        }
                    }
                } else {
                    info(&format!(">>> Case 3: Closing slot {slot} on both migrating and importing nodes.\n"));
                    if !self.clear_slot(src, slot) {
                        return false;
                    }
                    for &n in &importing {
                        if !self.clear_slot(n, slot) {
                            return false;
                        }
                    }
                }
                return true;
            }
        } else {
            let mut try_close = importing.is_empty() && migrating.len() == 1;
            if try_close {
                let n = migrating[0];
                if owner != n {
                    match check(self.nodes[n].cmd(&["CLUSTER", "GETKEYSINSLOT", &slot_s, "10"])) {
                        Ok(Reply::Array(a)) => try_close = a.is_empty(),
                        Ok(_) => {}
                        Err(e) => {
                            if let Some(e) = e {
                                self.nodes[n].print_error(&e);
                            }
                            return false;
                        }
                    }
                }
            }
            if try_close {
                let n = migrating[0];
                info(&format!(">>> Case 4: Closing slot {slot} on {}:{}\n", self.nodes[n].ip, self.nodes[n].port));
                return self.clear_slot(n, slot);
            }
        }
        let o = &self.nodes[owner];
        err(&format!("[ERR] Sorry, redis-cli can't fix this slot yet (work in progress). Slot is set as migrating in {mig_str}, as importing in {imp_str}, owner is {}:{}\n", o.ip, o.port));
        false
    }

    /// `clusterManagerFixMultipleSlotOwners`.
    fn fix_multiple_owners(&mut self, slot: usize, owners: &[usize]) -> bool {
        info(&format!(">>> Fixing multiple owners for slot {slot}...\n"));
        let owner = self.most_keys(owners, slot).unwrap_or(owners[0]);
        info(&format!(">>> Setting slot {slot} owner: {}:{}\n", self.nodes[owner].ip, self.nodes[owner].port));
        if !self.set_slot_owner(owner, slot, false) {
            return false;
        }
        let mut success = false;
        for n in 0..self.nodes.len() {
            if n == owner || self.nodes[n].is_slave() {
                continue;
            }
            let count = self.count_keys(n, slot);
            success = count >= 0;
            if !success {
                break;
            }
            self.del_slot(n, slot, true);
            if !self.set_slot_p(n, owner, slot, "node") {
                return false;
            }
            if count > 0 {
                success = self.move_slot_quiet_errors(n, owner, slot, O_VERBOSE | O_COLD);
                if !success {
                    break;
                }
            }
        }
        success
    }

    // ---- create ----------------------------------------------------------------------------------

    /// `clusterManagerGetAntiAffinityScore` over the nodes grouped by IP; with `offending`, the replicas that
    /// share a host with their master or a sibling.
    fn anti_affinity(&self, groups: &[Vec<usize>], mut offending: Option<&mut Vec<usize>>) -> i32 {
        let mut score = 0;
        for g in groups {
            let Some(&first) = g.first() else { continue };
            let ip = &self.nodes[first].ip;
            let mut related: Vec<(String, String)> = Vec::new();
            for &i in g {
                let n = &self.nodes[i];
                let key = n.replicate.clone().unwrap_or_else(|| n.name().to_string());
                let pos = match related.iter().position(|(k, _)| *k == key) {
                    Some(p) => p,
                    None => {
                        related.push((key, String::new()));
                        related.len() - 1
                    }
                };
                let t = &mut related[pos].1;
                if n.replicate.is_some() {
                    t.push('s');
                } else {
                    t.insert(0, 'm');
                }
            }
            for (name, types) in &related {
                if types.len() < 2 {
                    continue;
                }
                if types.starts_with('m') {
                    score += 10000 * (types.len() as i32 - 1);
                } else {
                    score += types.len() as i32;
                }
                if let Some(off) = offending.as_deref_mut() {
                    if let Some(i) =
                        self.nodes.iter().position(|n| n.replicate.as_deref() == Some(name.as_str()) && n.ip == *ip)
                    {
                        off.push(i);
                    }
                }
            }
        }
        score
    }

    fn optimize_anti_affinity(&mut self, groups: &[Vec<usize>]) {
        if self.anti_affinity(groups, None) == 0 {
            return;
        }
        info(">>> Trying to optimize slaves allocation for anti-affinity\n");
        let mut maxiter = 500 * self.nodes.len();
        while maxiter > 0 {
            let mut off = Vec::new();
            let score = self.anti_affinity(groups, Some(&mut off));
            if score == 0 || off.is_empty() {
                break;
            }
            let first = off[self.rng.below(off.len())];
            let others: Vec<usize> =
                (0..self.nodes.len()).filter(|&i| i != first && self.nodes[i].replicate.is_some()).collect();
            if others.is_empty() {
                break;
            }
            let second = others[self.rng.below(others.len())];
            let (m1, m2) = (self.nodes[first].replicate.clone(), self.nodes[second].replicate.clone());
            self.nodes[first].replicate = m2.clone();
            self.nodes[second].replicate = m1.clone();
            self.nodes[first].dirty = true;
            self.nodes[second].dirty = true;
            if self.anti_affinity(groups, None) > score {
                self.nodes[first].replicate = m1;
                self.nodes[second].replicate = m2;
            }
            maxiter -= 1;
        }
        let score = self.anti_affinity(groups, None);
        if score == 0 {
            ok("[OK] Perfect anti-affinity obtained!\n");
        } else if score >= 10000 {
            warn("[WARNING] Some slaves are in the same host as their master\n");
        } else {
            warn("[WARNING] Some slaves of the same master are in the same host\n");
        }
    }

    /// `clusterManagerFlushNodeConfig`: CLUSTER REPLICATE for a replica, ADDSLOTS for a master.
    fn flush_config(&mut self, i: usize) -> (bool, Option<String>) {
        if !self.nodes[i].dirty {
            return (false, None);
        }
        let n = &mut self.nodes[i];
        if let Some(m) = n.replicate.clone() {
            match check(n.cmd(&["CLUSTER", "REPLICATE", &m])) {
                Ok(_) => {}
                Err(e) => return (false, e),
            }
        } else {
            let slots: Vec<String> = (0..SLOTS).filter(|&s| n.slots[s]).map(|s| s.to_string()).collect();
            if slots.is_empty() {
                n.dirty = false;
                return (false, None);
            }
            let mut args = vec!["CLUSTER".to_string(), "ADDSLOTS".to_string()];
            args.extend(slots);
            if let Err(e) = check(n.cmd(&args)) {
                n.dirty = false;
                return (false, e);
            }
        }
        n.dirty = false;
        (true, None)
    }

    fn meet_args(first: &Node, first_ip: &str) -> Vec<String> {
        let mut a = vec!["CLUSTER".into(), "MEET".into(), first_ip.to_string(), first.port.to_string()];
        if first.bus_port != 0 && first.bus_port != first.port + PORT_INCR {
            a.push(first.bus_port.to_string());
        }
        a
    }
}

fn not_cluster_error(n: &Node, e: Option<&str>) {
    err(&format!("[ERR] Node {}:{} {}\n", n.ip, n.port, e.unwrap_or("is not configured as a cluster node.")));
}

fn not_empty_error(n: &Node, e: Option<&str>) {
    let msg = e.unwrap_or(
        "is not empty. Either the node already knows other nodes (check with CLUSTER NODES) or contains some key in database 0.",
    );
    err(&format!("[ERR] Node {}:{} {msg}\n", n.ip, n.port));
}

/// An IP address for `host` (CLUSTER MEET takes no host names).
fn resolve_ip(host: &str) -> Option<String> {
    ferredis::net::resolve::resolve(host, 0).ok()?.into_iter().next().map(|a| a.ip().to_string())
}

/// Checks a new node for `create` / `add-node`: a cluster node, its own id loaded, and empty.
fn admit_new(n: &mut Node) -> bool {
    match n.is_cluster() {
        Ok(true) => {}
        Ok(false) => {
            not_cluster_error(n, None);
            return false;
        }
        Err(e) => {
            not_cluster_error(n, e.as_deref());
            return false;
        }
    }
    if let Err(e) = n.load_info(false) {
        if let Some(e) = e {
            n.print_error(&e);
        }
        return false;
    }
    match n.is_empty() {
        Ok(true) => true,
        Ok(false) => {
            not_empty_error(n, None);
            false
        }
        Err(e) => {
            not_empty_error(n, e.as_deref());
            false
        }
    }
}

fn cmd_create(m: &mut Mgr) -> bool {
    for a in m.o.args.clone() {
        let a = String::from_utf8_lossy(&a).into_owned();
        let Some((ip, port, _)) = parse_addr(&a) else {
            eprintln!("Invalid address format: {a}");
            return false;
        };
        let mut n = Node::new(&ip, port, 0);
        if !n.connect(&m.auth) || !admit_new(&mut n) {
            return false;
        }
        m.nodes.push(n);
    }
    let node_len = m.nodes.len();
    let replicas = m.o.replicas;
    let masters_count = node_len as i32 / (replicas + 1);
    if masters_count < 3 {
        err(&format!("*** ERROR: Invalid configuration for cluster creation.\n*** Redis Cluster requires at least 3 master nodes.\n*** This is not possible with {node_len} nodes and {replicas} replicas per node."));
        err(&format!("\n*** At least {} nodes are required.\n", 3 * (replicas + 1)));
        return false;
    }
    let masters_count = masters_count as usize;
    info(&format!(">>> Performing hash slots allocation on {node_len} nodes...\n"));
    // Nodes grouped by IP (in order of appearance), then interleaved one IP at a time.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in 0..node_len {
        match groups.iter_mut().find(|g| m.nodes[g[0]].ip == m.nodes[i].ip) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut interleaved = Vec::with_capacity(node_len);
    let mut cursors = vec![0usize; groups.len()];
    while interleaved.len() < node_len {
        for (g, c) in groups.iter().zip(cursors.iter_mut()) {
            if *c < g.len() {
                interleaved.push(g[*c]);
                *c += 1;
            }
        }
    }
    let masters: Vec<usize> = interleaved[..masters_count].to_vec();
    let mut rest: Vec<Option<usize>> = interleaved[masters_count..].iter().map(|&i| Some(i)).collect();
    let slots_per_node = SLOTS as f32 / masters_count as f32;
    let (mut first, mut cursor) = (0i64, 0.0f32);
    for (k, &mi) in masters.iter().enumerate() {
        let mut last = ((cursor + slots_per_node - 1.0) as f64).round() as i64;
        if last > SLOTS as i64 || k == masters_count - 1 {
            last = SLOTS as i64 - 1;
        }
        if last < first {
            last = first;
        }
        say(&format!("Master[{k}] -> Slots {first} - {last}\n"));
        let n = &mut m.nodes[mi];
        n.slots_count = 0;
        for s in first..=last {
            n.slots[s as usize] = true;
            n.slots_count += 1;
        }
        n.dirty = true;
        first = last + 1;
        cursor += slots_per_node;
    }
    // Rotating the replicas once sometimes gives a better starting point for the optimizer.
    if !rest.is_empty() {
        rest.rotate_left(1);
    }
    let mut start = 0usize;
    let mut available = rest.len();
    let mut assign_unused = false;
    loop {
        for &mi in &masters {
            let mut assigned = 0;
            while assigned < replicas {
                if available == 0 {
                    break;
                }
                let mut found = None;
                let mut first_same = None;
                for (j, slot) in rest.iter_mut().enumerate().skip(start) {
                    let Some(n) = *slot else { continue };
                    if m.nodes[n].ip != m.nodes[mi].ip {
                        found = Some(n);
                        *slot = None;
                        break;
                    }
                    if first_same.is_none() {
                        first_same = Some(j);
                    }
                }
                let slave = match (found, first_same) {
                    (Some(n), _) => n,
                    (None, Some(j)) => {
                        start = j + 1;
                        match rest[j] {
                            Some(n) => n,
                            None => break,
                        }
                    }
                    _ => break,
                };
                assigned += 1;
                available -= 1;
                let mname = m.nodes[mi].name().to_string();
                let s = &mut m.nodes[slave];
                s.replicate = Some(mname);
                s.dirty = true;
                let (s, mm) = (&m.nodes[slave], &m.nodes[mi]);
                say(&format!("Adding replica {}:{} to {}:{}\n", s.ip, s.port, mm.ip, mm.port));
                if assign_unused {
                    break;
                }
            }
        }
        if !assign_unused && available > 0 {
            assign_unused = true;
            say("Adding extra replicas...\n");
            continue;
        }
        break;
    }
    m.optimize_anti_affinity(&groups);
    m.show_nodes();
    if !confirm(m.o.flags, "Can I set the above configuration?", false) {
        return true;
    }
    for i in 0..node_len {
        let (flushed, e) = m.flush_config(i);
        if !flushed && m.nodes[i].dirty && m.nodes[i].replicate.is_none() {
            if let Some(e) = e {
                m.nodes[i].print_error(&e);
            }
            return false;
        }
    }
    info(">>> Nodes configuration updated\n");
    info(">>> Assign a different config epoch to each node\n");
    for i in 0..node_len {
        let e = (i + 1).to_string();
        let _ = m.nodes[i].cmd(&["cluster", "set-config-epoch", &e]);
    }
    info(">>> Sending CLUSTER MEET messages to join the cluster\n");
    let Some(first_ip) = resolve_ip(&m.nodes[0].ip) else {
        eprintln!("Invalid IP address or hostname specified: {}", m.nodes[0].ip);
        return false;
    };
    let meet = Mgr::meet_args(&m.nodes[0], &first_ip);
    for i in 1..node_len {
        match m.nodes[i].cmd(&meet) {
            Some(Reply::Error(e)) => {
                m.nodes[i].print_error(&err_text(&e));
                return false;
            }
            Some(_) => {}
            None => {
                eprintln!("Failed to send CLUSTER MEET command.");
                return false;
            }
        }
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    m.wait_join();
    for i in 0..node_len {
        if !m.nodes[i].dirty {
            continue;
        }
        let (flushed, e) = m.flush_config(i);
        if !flushed && m.nodes[i].replicate.is_none() {
            if let Some(e) = e {
                m.nodes[i].print_error(&e);
            }
            return false;
        }
    }
    let first = m.nodes.swap_remove(0);
    m.nodes.clear();
    if !m.load_from(first) {
        return false;
    }
    m.check_cluster(false);
    true
}

/// Loads the cluster from the node named by the arguments (`host:port` or `host port`).
fn load_cluster(m: &mut Mgr, args: &[Vec<u8>]) -> Option<bool> {
    let Some((ip, port)) = host_from_args(args) else {
        eprint!("{INVALID_HOST_ARG}");
        return None;
    };
    Some(m.load_from(Node::new(&ip, port, 0)))
}

fn cmd_check(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args) {
        Some(true) => {}
        _ => return false,
    }
    m.show_cluster_info();
    m.check_cluster(false)
}

fn cmd_info(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args) {
        Some(true) => {}
        _ => return false,
    }
    m.show_cluster_info();
    true
}

/// `clusterNodeForResharding`: a known master other than the target; Err(true) is an error that aborts.
fn reshard_node(m: &Mgr, id: &str, target: Option<usize>) -> Result<usize, bool> {
    match m.by_name(id) {
        Some(i) if !m.nodes[i].is_slave() => {
            if let Some(t) = target {
                if m.nodes[i].name == m.nodes[t].name {
                    err("*** It is not possible to use the target node as source node.\n");
                    return Err(false);
                }
            }
            Ok(i)
        }
        _ => {
            err(&format!("*** The specified node ({id}) is not known or not a master, please retry.\n"));
            Err(true)
        }
    }
}

fn cmd_reshard(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args) {
        Some(true) => {}
        _ => return false,
    }
    m.check_cluster(false);
    if !m.errors.is_empty() {
        eprintln!("*** Please fix your cluster problems before resharding");
        return false;
    }
    let mut slots = m.o.slots;
    while slots <= 0 || slots > SLOTS as i32 {
        say(&format!("How many slots do you want to move (from 1 to {SLOTS})? "));
        let Some(l) = prompt_line(6) else { return false };
        slots = atoi(&l);
    }
    let mut to = m.o.to.clone();
    while to.is_none() {
        say("What is the receiving node ID? ");
        let Some(l) = prompt_line(255) else { return false };
        if !l.is_empty() {
            to = Some(l);
        }
    }
    let Ok(target) = reshard_node(m, to.as_deref().unwrap_or(""), None) else { return false };
    let mut sources: Vec<usize> = Vec::new();
    let mut all = false;
    match m.o.from.clone() {
        None => {
            say("Please enter all the source node IDs.\n");
            say("  Type 'all' to use all the nodes as source nodes for the hash slots.\n");
            say("  Type 'done' once you entered all the source nodes IDs.\n");
            loop {
                say(&format!("Source node #{}: ", sources.len() + 1));
                let Some(l) = prompt_line(255) else { return false };
                if l == "done" {
                    break;
                } else if l == "all" {
                    all = true;
                    break;
                }
                match reshard_node(m, &l, Some(target)) {
                    Ok(s) => sources.push(s),
                    Err(true) => return false,
                    Err(false) => {}
                }
            }
        }
        Some(from) => {
            let ids: Vec<&str> = from.split(',').collect();
            for (k, id) in ids.iter().enumerate() {
                if *id == "all" {
                    all = true;
                    break;
                }
                if id.is_empty() && k == ids.len() - 1 {
                    continue;
                }
                match reshard_node(m, id, Some(target)) {
                    Ok(s) => sources.push(s),
                    Err(true) => return false,
                    Err(false) => {}
                }
            }
        }
    }
    if all {
        sources = (0..m.nodes.len())
            .filter(|&i| {
                !m.nodes[i].is_slave() && m.nodes[i].replicate.is_none() && m.nodes[i].name != m.nodes[target].name
            })
            .collect();
    }
    if sources.is_empty() {
        eprintln!("*** No source nodes given, operation aborted.");
        return false;
    }
    say(&format!("\nReady to move {slots} slots.\n"));
    say("  Source nodes:\n");
    for &s in &sources {
        say(&format!("{}\n", m.nodes[s].describe(4)));
    }
    say("  Destination node:\n");
    say(&format!("{}\n", m.nodes[target].describe(4)));
    let table = m.reshard_table(&sources, slots);
    say("  Resharding plan:\n");
    let mut plan = String::new();
    for &(src, slot) in &table {
        plan.push_str(&format!("    Moving slot {slot} from {}\n", m.nodes[src].name()));
    }
    say(&plan);
    if !m.flag(F_YES) {
        say("Do you want to proceed with the proposed reshard plan (yes/no)? ");
        if !read_yes() {
            return false;
        }
    }
    for (src, slot) in table {
        if let Err(e) = m.move_slot(src, target, slot, O_VERBOSE) {
            if let Some(e) = e {
                err(&format!("clusterManagerMoveSlot failed: {e}\n"));
            }
            return false;
        }
    }
    true
}

fn cmd_rebalance(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args) {
        Some(true) => {}
        _ => return false,
    }
    for w in m.o.weight.clone() {
        let Some((name, v)) = w.split_once('=') else {
            err(&format!("*** invalid input {w}\n"));
            return false;
        };
        let Some(i) = m.by_abbrev(name) else {
            err(&format!("*** No such master node {name}\n"));
            return false;
        };
        m.nodes[i].weight = super::atof(v) as f32;
    }
    let use_empty = m.flag(F_EMPTYMASTER);
    let mut total_weight = 0.0f32;
    let mut involved: Vec<usize> = Vec::new();
    for i in 0..m.nodes.len() {
        let n = &mut m.nodes[i];
        if n.is_slave() || n.replicate.is_some() {
            continue;
        }
        if !use_empty && n.slots_count == 0 {
            n.weight = 0.0;
            continue;
        }
        total_weight += n.weight;
        involved.push(i);
    }
    m.check_cluster(true);
    if !m.errors.is_empty() {
        err("*** Please fix your cluster problems before rebalancing\n");
        return false;
    }
    let threshold = m.o.threshold;
    let (mut threshold_reached, mut total_balance) = (false, 0);
    for &i in &involved {
        let n = &mut m.nodes[i];
        let expected = ((SLOTS as f32 / total_weight) * n.weight) as i32;
        n.balance = n.slots_count - expected;
        total_balance += n.balance;
        if threshold > 0.0 {
            if n.slots_count > 0 {
                let err_perc = (100.0 - (100.0 * expected as f64 / n.slots_count as f64)).abs();
                if err_perc > threshold as f64 {
                    threshold_reached = true;
                }
            } else if expected > 1 {
                threshold_reached = true;
            }
        }
    }
    if !threshold_reached {
        warn(&format!("*** No rebalancing needed! All nodes are within the {:.2}% threshold.\n", threshold));
        return true;
    }
    while total_balance > 0 {
        for &i in &involved {
            if m.nodes[i].balance <= 0 && total_balance > 0 {
                m.nodes[i].balance -= 1;
                total_balance -= 1;
            }
        }
    }
    let mut sorted = involved.clone();
    sorted.sort_by_key(|&i| m.nodes[i].balance);
    info(&format!(">>> Rebalancing across {} nodes. Total weight = {:.2}\n", involved.len(), total_weight));
    if m.verbose {
        for &i in &sorted {
            let n = &m.nodes[i];
            say(&format!("{}:{} balance is {} slots\n", n.ip, n.port, n.balance));
        }
    }
    let simulate = m.flag(F_SIMULATE);
    let (mut dst_idx, mut src_idx) = (0usize, sorted.len().saturating_sub(1));
    while dst_idx < src_idx {
        let (dst, src) = (sorted[dst_idx], sorted[src_idx]);
        let numslots = m.nodes[dst].balance.abs().min(m.nodes[src].balance.abs());
        if numslots > 0 {
            let (a, b) = (&m.nodes[src], &m.nodes[dst]);
            say(&format!("Moving {numslots} slots from {}:{} to {}:{}\n", a.ip, a.port, b.ip, b.port));
            let table = m.reshard_table(&[src], numslots);
            if table.len() as i32 != numslots {
                err("*** Assertion failed: Reshard table != number of slots");
                return false;
            }
            if simulate {
                say(&"#".repeat(table.len()));
            } else {
                for (s, slot) in table {
                    if let Err(e) = m.move_slot(s, dst, slot, O_QUIET | O_UPDATE) {
                        err(&format!("*** clusterManagerMoveSlot: {}\n", e.as_deref().unwrap_or("(null)")));
                        return false;
                    }
                    say("#");
                }
            }
            say("\n");
        }
        m.nodes[dst].balance += numslots;
        m.nodes[src].balance -= numslots;
        if m.nodes[dst].balance == 0 {
            dst_idx += 1;
        }
        if m.nodes[src].balance == 0 {
            src_idx = src_idx.saturating_sub(1);
        }
    }
    true
}

fn cmd_add_node(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    let (Some((ref_ip, ref_port)), Some((ip, port))) = (host_from_args(&args[1..]), host_from_args(&args[..1])) else {
        eprint!("{INVALID_HOST_ARG}");
        return false;
    };
    info(&format!(">>> Adding node {ip}:{port} to cluster {ref_ip}:{ref_port}\n"));
    if !m.load_from(Node::new(&ref_ip, ref_port, 0)) || !m.check_cluster(false) {
        return false;
    }
    let mut master = None;
    if m.flag(F_SLAVE) {
        match m.o.master_id.clone() {
            Some(id) => match m.by_name(&id) {
                Some(i) => master = Some(i),
                None => {
                    err(&format!("[ERR] No such master ID {id}\n"));
                    return false;
                }
            },
            None => {
                let Some(i) = m.least_replicas() else { return false };
                say(&format!("Automatically selected master {}:{}\n", m.nodes[i].ip, m.nodes[i].port));
                master = Some(i);
            }
        }
    }
    let mut new = Node::new(&ip, port, 0);
    if !new.connect(&m.auth) {
        err(&format!("[ERR] Sorry, can't connect to node {ip}:{port}\n"));
        return false;
    }
    if !admit_new(&mut new) {
        return false;
    }
    m.nodes.push(new);
    let ni = m.nodes.len() - 1;
    if master.is_none() {
        info(">>> Getting functions from cluster\n");
        match check(m.nodes[0].cmd(&["FUNCTION", "DUMP"])) {
            Err(e) => info(&format!(
                ">>> Failed retrieving Functions from the cluster, skip this step as Redis version do not support function command (error = '{}')\n",
                e.as_deref().unwrap_or("NULL reply")
            )),
            Ok(dump) => {
                info(&format!(">>> Send FUNCTION LIST to {ip}:{port} to verify there is no functions in it\n"));
                match check(m.nodes[ni].cmd(&["FUNCTION", "LIST"])) {
                    Err(e) => {
                        err(&format!(">>> Failed on CLUSTER LIST (error = '{}')\r\n", e.as_deref().unwrap_or("NULL reply")));
                        return false;
                    }
                    Ok(Reply::Array(a)) if !a.is_empty() => {
                        err(">>> New node already contains functions and can not be added to the cluster. Use FUNCTION FLUSH and try again.\r\n");
                        return false;
                    }
                    Ok(_) => {}
                }
                info(&format!(">>> Send FUNCTION RESTORE to {ip}:{port}\n"));
                let payload = dump.bytes().unwrap_or_default().to_vec();
                if let Err(e) = check(m.nodes[ni].cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &payload])) {
                    err(&format!(
                        ">>> Failed loading functions to the new node (error = '{}')\r\n",
                        e.as_deref().unwrap_or("NULL reply")
                    ));
                    return false;
                }
            }
        }
    }
    info(&format!(">>> Send CLUSTER MEET to node {ip}:{port} to make it join the cluster.\n"));
    let Some(first_ip) = resolve_ip(&m.nodes[0].ip) else {
        eprintln!("Invalid IP address or hostname specified: {}", m.nodes[0].ip);
        return false;
    };
    let meet = Mgr::meet_args(&m.nodes[0], &first_ip);
    if !m.simple(ni, &meet.iter().map(|s| s.as_str()).collect::<Vec<_>>()) {
        return false;
    }
    if let Some(mi) = master {
        std::thread::sleep(std::time::Duration::from_secs(1));
        m.wait_join();
        info(&format!(">>> Configure node as replica of {}:{}.\n", m.nodes[mi].ip, m.nodes[mi].port));
        let id = m.nodes[mi].name().to_string();
        if !m.simple(ni, &["CLUSTER", "REPLICATE", &id]) {
            return false;
        }
    }
    ok("[OK] New node added correctly.\n");
    true
}

fn cmd_del_node(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    let Some((ip, port)) = host_from_args(&args[..1]) else {
        eprint!("{INVALID_HOST_ARG}");
        return false;
    };
    let node_id = String::from_utf8_lossy(&args[1]).into_owned();
    info(&format!(">>> Removing node {node_id} from cluster {ip}:{port}\n"));
    if !m.load_from(Node::new(&ip, port, 0)) {
        return false;
    }
    let Some(node) = m.by_name(&node_id) else {
        err(&format!("[ERR] No such node ID {node_id}\n"));
        return false;
    };
    if m.nodes[node].slots_count != 0 {
        let n = &m.nodes[node];
        err(&format!("[ERR] Node {}:{} is not empty! Reshard data away and try again.\n", n.ip, n.port));
        return false;
    }
    info(">>> Sending CLUSTER FORGET messages to the cluster...\n");
    for i in 0..m.nodes.len() {
        if i == node {
            continue;
        }
        if m.nodes[i].replicate.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(&node_id)) {
            let Some(mi) = m.least_replicas() else { return false };
            let (n, mm) = (&m.nodes[i], &m.nodes[mi]);
            info(&format!(">>> {}:{} as replica of {}:{}\n", n.ip, n.port, mm.ip, mm.port));
            let id = mm.name().to_string();
            if !m.simple(i, &["CLUSTER", "REPLICATE", &id]) {
                return false;
            }
        }
        if !m.simple(i, &["CLUSTER", "FORGET", &node_id]) {
            return false;
        }
    }
    info(">>> Sending CLUSTER RESET SOFT to the deleted node.\n");
    m.simple(node, &["CLUSTER", "RESET", "SOFT"])
}

fn cmd_call(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args[..1]) {
        Some(true) => {}
        _ => return false,
    }
    // Arguments are C strings in redis-cli: each ends at its first NUL.
    let cmd: Vec<Vec<u8>> = args[1..].iter().map(|a| format::cstr(a).to_vec()).collect();
    let mut line = String::new();
    for a in &cmd {
        line.push(' ');
        line.push_str(&String::from_utf8_lossy(a));
    }
    info(">>> Calling");
    say(&format!("{line}\n"));
    for i in 0..m.nodes.len() {
        let n = &m.nodes[i];
        if m.flag(F_MASTERS_ONLY) && n.replicate.is_some() || m.flag(F_SLAVES_ONLY) && n.replicate.is_none() {
            continue;
        }
        if m.nodes[i].conn.is_none() && !m.nodes[i].connect(&m.auth) {
            continue;
        }
        let n = &mut m.nodes[i];
        match n.cmd(&cmd) {
            None => say(&format!("{}:{}: Failed!\n", n.ip, n.port)),
            Some(r) => {
                let mut o = format!("{}:{}: ", n.ip, n.port).into_bytes();
                if let Err(u) = format::raw(&r, &m.mb_delim, &mut o) {
                    eprintln!("{}", u.message());
                    std::process::exit(1);
                }
                o.push(b'\n');
                out(&o);
            }
        }
    }
    true
}

fn cmd_set_timeout(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    let Some((ip, port)) = host_from_args(&args[..1]) else {
        eprint!("{INVALID_HOST_ARG}");
        return false;
    };
    let timeout = atoi(&String::from_utf8_lossy(&args[1]));
    if timeout < 100 {
        eprintln!("Setting a node timeout of less than 100 milliseconds is a bad idea.");
        return false;
    }
    if !m.load_from(Node::new(&ip, port, 0)) {
        return false;
    }
    info(">>> Reconfiguring node timeout in every cluster node...\n");
    let (mut oks, mut errs) = (0, 0);
    let t = timeout.to_string();
    for n in m.nodes.iter_mut() {
        let r = check(n.cmd(&["CONFIG", "SET", "cluster-node-timeout", &t]))
            .and_then(|_| check(n.cmd(&["CONFIG", "REWRITE"])));
        match r {
            Ok(_) => {
                warn(&format!("*** New timeout set for {}:{}\n", n.ip, n.port));
                oks += 1;
            }
            Err(e) => {
                err(&format!("ERR setting node-timeout for {}:{}: {}\n", n.ip, n.port, e.unwrap_or_default()));
                errs += 1;
            }
        }
    }
    info(&format!(">>> New node timeout set. {oks} OK, {errs} ERR.\n"));
    true
}

fn cmd_import(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    let Some((ip, port)) = host_from_args(&args) else {
        eprint!("{INVALID_HOST_ARG}");
        return false;
    };
    let Some(from) = m.o.from.clone() else {
        eprintln!("[ERR] Option '--cluster-from' is required for subcommand 'import'.");
        return false;
    };
    let Some((src_ip, src_port)) = host_from_args(&[from.into_bytes()]) else {
        eprintln!("[ERR] Invalid --cluster-from host. You need to pass a valid address (ie. 120.0.0.1:7000).");
        return false;
    };
    info(&format!(">>> Importing data from {src_ip}:{src_port} to cluster {ip}:{port}\n"));
    if !m.load_from(Node::new(&ip, port, 0)) || !m.check_cluster(false) {
        return false;
    }
    let mut src = match Conn::tcp(&src_ip, src_port as u16) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Could not connect to Redis at {src_ip}:{src_port}: {}.", conn::io_message(&e));
            return false;
        }
    };
    let src_err = |e: &str| err(&format!("Source {src_ip}:{src_port} replied with error:\n{e}\n"));
    if let Some(pass) = &m.o.from_pass {
        let r = match &m.o.from_user {
            Some(u) => src.command(&[b"AUTH".as_slice(), u, pass]),
            None => src.command(&[b"AUTH".as_slice(), pass]),
        };
        match r {
            Ok(Reply::Error(e)) => {
                eprintln!("AUTH failed: {}", err_text(&e));
                return false;
            }
            Err(_) => {
                eprint!("\nI/O error\n");
                return false;
            }
            Ok(_) => {}
        }
    }
    let info_text = match src.command(&["INFO"]) {
        Ok(Reply::Error(e)) => {
            src_err(&err_text(&e));
            return false;
        }
        Ok(r) => text(&r),
        Err(_) => return false,
    };
    if info_field(&info_text, "cluster_enabled").unwrap_or(0) as i32 != 0 {
        err("[ERR] The source node should not be a cluster node.\n");
        return false;
    }
    let size = match src.command(&["DBSIZE"]) {
        Ok(Reply::Integer(n)) => n,
        Ok(Reply::Error(e)) => {
            src_err(&err_text(&e));
            return false;
        }
        _ => return false,
    };
    warn(&format!("*** Importing {} keys from DB 0\n", size as i32));
    let mut owner: Vec<Option<usize>> = vec![None; SLOTS];
    for (s, o) in owner.iter_mut().enumerate() {
        *o = m.nodes.iter().position(|n| !n.is_slave() && n.slots_count != 0 && n.slots[s]);
    }
    let mut tail: Vec<Vec<u8>> = Vec::new();
    if let Some(pass) = &m.auth.pass {
        match &m.auth.user {
            Some(u) => tail.extend([b"AUTH2".to_vec(), u.clone(), pass.clone()]),
            None => tail.extend([b"AUTH".to_vec(), pass.clone()]),
        }
    }
    if m.flag(F_COPY) {
        tail.push(b"COPY".to_vec());
    }
    if m.flag(F_REPLACE) {
        tail.push(b"REPLACE".to_vec());
    }
    let timeout = m.o.timeout.to_string();
    let mut cursor = b"0".to_vec();
    loop {
        let r = match src.command(&[b"SCAN".as_slice(), &cursor, b"COUNT", b"1000"]) {
            Ok(Reply::Error(e)) => {
                src_err(&err_text(&e));
                return false;
            }
            Ok(r) => r,
            Err(_) => return false,
        };
        let Reply::Array(parts) = r else { return false };
        let (Some(c), Some(Reply::Array(keys))) = (parts.first(), parts.get(1)) else { return false };
        cursor = match c {
            Reply::Integer(i) => i.to_string().into_bytes(),
            other => other.bytes().unwrap_or(b"0").to_vec(),
        };
        for k in keys {
            let Some(key) = k.bytes() else { continue };
            let key = format::cstr(key).to_vec();
            let slot = ferredis::cluster::key_hash_slot(&key);
            let Some(t) = owner[slot] else { return false };
            let (tip, tport) = (m.nodes[t].ip.clone(), m.nodes[t].port.to_string());
            say(&format!("Migrating {} to {tip}:{tport}: ", String::from_utf8_lossy(&key)));
            let mut a: Vec<Vec<u8>> = vec![
                b"MIGRATE".to_vec(),
                tip.into_bytes(),
                tport.into_bytes(),
                key,
                b"0".to_vec(),
                timeout.clone().into_bytes(),
            ];
            a.extend(tail.iter().cloned());
            match src.command(&a) {
                Ok(Reply::Error(e)) => {
                    err(&format!("Source {src_ip}:{src_port} replied with error:\n{}\n", err_text(&e)));
                    return false;
                }
                Err(_) => return false,
                Ok(_) => ok("OK\n"),
            }
        }
        if ferredis::util::atoll(&cursor) == 0 {
            break;
        }
    }
    true
}

fn node_json(n: &Node, errors: usize) -> String {
    let replicate = n.replicate.as_ref().map_or("null".to_string(), |r| format!("\"{r}\""));
    let mut j = format!(
        "  {{\n    \"name\": \"{}\",\n    \"host\": \"{}\",\n    \"port\": {},\n    \"replicate\": {replicate},\n    \"slots\": [{}],\n    \"slots_count\": {},\n    \"flags\": \"{}\",\n    \"current_epoch\": {}",
        n.name(),
        n.ip,
        n.port,
        slots_string(&n.slots).replace('-', ","),
        n.slots_count,
        n.flag_string(),
        n.current_epoch
    );
    if errors > 0 {
        j.push_str(&format!(",\n    \"cluster_errors\": {errors}"));
    }
    for (what, list) in [("migrating", &n.migrating), ("importing", &n.importing)] {
        if !list.is_empty() {
            let items: Vec<String> = list.iter().map(|(s, id)| format!("\"{s}\": \"{id}\"")).collect();
            j.push_str(&format!(",\n    \"{what}\": {{{}}}", items.join(",")));
        }
    }
    j.push_str("\n  }");
    j
}

fn cmd_backup(m: &mut Mgr, base: &super::Config) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args[..1]) {
        Some(true) => {}
        _ => return false,
    }
    let no_issues = m.check_cluster(false);
    let nerr = if no_issues { 0 } else { m.errors.len() };
    let mut dir = String::from_utf8_lossy(&args[1]).into_owned();
    let shown = dir.clone();
    if !dir.ends_with('/') {
        dir.push('/');
    }
    let mut json = String::from("[\n");
    for i in 0..m.nodes.len() {
        if i > 0 {
            json.push_str(",\n");
        }
        json.push_str(&node_json(&m.nodes[i], nerr));
        let n = &m.nodes[i];
        if n.replicate.is_some() {
            continue;
        }
        info(&format!(">>> Node {}:{} -> Saving RDB...\n", n.ip, n.port));
        let mut cfg = base.clone();
        cfg.host = n.ip.clone();
        cfg.port = n.port;
        cfg.socket = None;
        cfg.input_dbnum = 0;
        let file = format!("{dir}redis-node-{}-{}-{}.rdb", n.ip, n.port, n.name());
        let mut cli = super::Cli::new(cfg);
        if !cli.connect(false, false) || super::modes::rdb_to(&mut cli, &file) != 0 {
            std::process::exit(1);
        }
    }
    json.push_str("\n]");
    let path = format!("{dir}nodes.json");
    info(&format!("Saving cluster configuration to: {path}\n"));
    if std::fs::write(&path, json).is_err() {
        err(&format!("Could not save nodes to: {path}\n"));
        ok("[ERR] Failed to back cluster!\n");
        return false;
    }
    if !no_issues {
        warn(
            "*** Cluster seems to have some problems, please be aware of it if you're going to restore this backup.\n",
        );
    }
    ok(&format!("[OK] Backup created into: {shown}\n"));
    true
}

/// (name, arity, arguments, options) of each subcommand, for validation and `--cluster help`.
const COMMANDS: &[(&str, i32, &str, &str)] = &[
    ("create", -2, "host1:port1 ... hostN:portN", "replicas <arg>"),
    ("check", -1, "<host:port> or <host> <port> - separated by either colon or space", "search-multiple-owners"),
    ("info", -1, "<host:port> or <host> <port> - separated by either colon or space", ""),
    (
        "fix",
        -1,
        "<host:port> or <host> <port> - separated by either colon or space",
        "search-multiple-owners,fix-with-unreachable-masters",
    ),
    (
        "reshard",
        -1,
        "<host:port> or <host> <port> - separated by either colon or space",
        "from <arg>,to <arg>,slots <arg>,yes,timeout <arg>,pipeline <arg>,replace",
    ),
    (
        "rebalance",
        -1,
        "<host:port> or <host> <port> - separated by either colon or space",
        "weight <node1=w1...nodeN=wN>,use-empty-masters,timeout <arg>,simulate,pipeline <arg>,threshold <arg>,replace",
    ),
    ("add-node", 2, "new_host:new_port existing_host:existing_port", "slave,master-id <arg>"),
    ("del-node", 2, "host:port node_id", ""),
    ("call", -2, "host:port command arg arg .. arg", "only-masters,only-replicas"),
    ("set-timeout", 2, "host:port milliseconds", ""),
    ("import", 1, "host:port", "from <arg>,from-user <arg>,from-pass <arg>,from-askpass,copy,replace"),
    ("backup", 2, "host:port backup_directory", ""),
    ("help", 0, "", ""),
];

fn cmd_help() -> bool {
    let mut s = String::from("Cluster Manager Commands:\n");
    let pad = 15;
    for (name, _, args, opts) in COMMANDS {
        s.push_str(&format!("  {name}{}{args}\n", " ".repeat(pad - name.len())));
        for o in opts.split(',').filter(|o| !o.is_empty()) {
            s.push_str(&format!("{}  --cluster-{o}\n", " ".repeat(pad)));
        }
    }
    s.push_str("\nFor check, fix, reshard, del-node, set-timeout, info, rebalance, call, import, backup you can specify the host and port of any working node in the cluster.\n");
    s.push_str("\nCluster Manager Options:\n  --cluster-yes  Automatic yes to cluster commands prompts\n\n");
    say(&s);
    false
}

/// Runs the `--cluster` command; returns the exit status.
pub fn run(o: Opts, cfg: &super::Config) -> i32 {
    let Some(&(_, arity, _, _)) = COMMANDS.iter().find(|c| c.0 == o.name) else {
        eprintln!("Unknown --cluster subcommand");
        return 1;
    };
    let argc = o.args.len() as i32;
    if (arity > 0 && argc != arity) || (arity < 0 && argc < -arity) {
        eprintln!("[ERR] Wrong number of arguments for specified --cluster sub command");
        return 1;
    }
    COLOR.store(std::env::var("TERM").is_ok_and(|t| t.contains("xterm")), Ordering::Relaxed);
    let mut m = Mgr {
        nodes: Vec::new(),
        errors: Vec::new(),
        unreachable_masters: 0,
        o,
        auth: Auth { user: cfg.user.clone(), pass: cfg.auth.clone() },
        verbose: cfg.verbose,
        mb_delim: cfg.mb_delim.clone(),
        rng: Rng::new(),
    };
    let good = match m.o.name.as_str() {
        "create" => cmd_create(&mut m),
        "check" => cmd_check(&mut m),
        "info" => cmd_info(&mut m),
        "fix" => {
            m.o.flags |= F_FIX;
            cmd_check(&mut m)
        }
        "reshard" => cmd_reshard(&mut m),
        "rebalance" => cmd_rebalance(&mut m),
        "add-node" => cmd_add_node(&mut m),
        "del-node" => cmd_del_node(&mut m),
        "call" => cmd_call(&mut m),
        "set-timeout" => cmd_set_timeout(&mut m),
        "import" => cmd_import(&mut m),
        "backup" => cmd_backup(&mut m, cfg),
        _ => cmd_help(),
    };
    if good {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_slot_ranges() {
        assert_eq!(parse_addr("127.0.0.1:7000@17000,host"), Some(("127.0.0.1".into(), 7000, 17000)));
        assert_eq!(parse_addr("::1:7000"), Some(("::1".into(), 7000, 0)));
        assert_eq!(parse_addr("nocolon"), None);
        assert_eq!(host_from_args(&[b"h".to_vec(), b"7000".to_vec()]), Some(("h".into(), 7000)));
        assert_eq!(host_from_args(&[b"h:0".to_vec()]), None);
        let mut s = vec![false; SLOTS];
        (0..=5460).for_each(|i| s[i] = true);
        s[5462] = true;
        s[16383] = true;
        assert_eq!(slots_string(&s), "[0-5460],[5462],[16383]");
        assert_eq!(info_field("# Cluster\r\ncluster_enabled:1\r\n", "cluster_enabled"), Some(1));
        assert_eq!(info_field("db0:keys=3,expires=0\r\n", "keys"), Some(3));
    }

    #[test]
    fn own_line_of_cluster_nodes() {
        let mut n = Node::new("127.0.0.1", 7000, 0);
        n.parse_slots("0-10 12 [13->-abc] [14-<-def]");
        assert_eq!(n.slots_count, 12);
        assert!(n.slots[10] && !n.slots[11] && n.slots[12] && !n.slots[13]);
        assert_eq!(n.migrating, vec![("13".to_string(), "abc".to_string())]);
        assert_eq!(n.importing, vec![("14".to_string(), "def".to_string())]);
    }

    #[test]
    fn reshard_table_takes_shares_by_slot_count() {
        let mk = |name: &str, range: std::ops::Range<usize>| {
            let mut n = Node::new("127.0.0.1", 1, 0);
            n.name = Some(name.into());
            range.clone().for_each(|s| n.slots[s] = true);
            n.slots_count = range.len() as i32;
            n
        };
        let m = Mgr {
            nodes: vec![mk("a", 0..100), mk("b", 100..400)],
            errors: vec![],
            unreachable_masters: 0,
            o: Opts::new("reshard".into(), vec![]),
            auth: Auth { user: None, pass: None },
            verbose: false,
            mb_delim: b"\n".to_vec(),
            rng: Rng::new(),
        };
        let t = m.reshard_table(&[0, 1], 10);
        // b (300 slots) gives ceil(7.5) = 8 from its first slots, a floor(2.5) = 2.
        assert_eq!(t.iter().filter(|(i, _)| *i == 1).count(), 8);
        assert_eq!(t[0], (1, 100));
        assert_eq!(t.iter().filter(|(i, _)| *i == 0).map(|x| x.1).collect::<Vec<_>>(), vec![0, 1]);
    }
}
