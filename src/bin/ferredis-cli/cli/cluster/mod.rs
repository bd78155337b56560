//! `--cluster`: redis-cli 7.0's cluster manager (create, check, info, fix, reshard, rebalance, add-node,
//! del-node, call, set-timeout, import, backup, help) with its output text, prompts and exit codes.
//!
//! Model: the manager's node table (`Mgr::nodes`) is what the first node's `CLUSTER NODES` lists, each node
//! with its own connection and its own view of itself (slots, migrating/importing slots, flags), loaded as
//! redis-cli's `clusterManagerLoadInfoFromNode` does. Everything else (slot moves, fixes, the create plan)
//! works on that table by index and talks to the nodes with plain commands (`CLUSTER SETSLOT`, `MIGRATE`,
//! `CLUSTER ADDSLOTS`, ...), so it drives Redis and ferredis nodes alike.
//!
//! Files: this one holds the options, the node table's types and the small shared helpers; `mgr.rs` the manager's
//! operations on the table (load, check, fix, slot moves); `commands.rs` the subcommands and [`run`].
//!
//! Tested against redis-cli on real redis-server cluster nodes by `tests/cli/cli_cluster.rs`.

use super::conn::{self, Conn};
use super::reply::Reply;
use super::{format, out};
use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicBool, Ordering};

mod commands;
mod mgr;
pub use commands::run;

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
        match Conn::open(&self.ip, self.port as u16, &auth.tls) {
            Ok(c) => self.conn = Some(c),
            Err(conn::ConnectError::Io(e)) => {
                eprintln!("Could not connect to Redis at {}:{}: {}", self.ip, self.port, conn::io_message(&e));
                return false;
            }
            #[cfg(feature = "tls")]
            Err(conn::ConnectError::TlsSetup(e)) => {
                eprintln!("TLS Error: {e}");
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

/// How the manager connects to every node: AUTH's user and password, and `--tls` with its options (redis-cli
/// 7.0's `clusterManagerNodeConnect`). The `import` source is the exception: a plain connection with its own
/// `--cluster-from-user`/`--cluster-from-pass`, as redis-cli makes it.
pub struct Auth {
    pub user: Option<Vec<u8>>,
    pub pass: Option<Vec<u8>>,
    pub tls: conn::TlsOpts,
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
            auth: Auth { user: None, pass: None, tls: Default::default() },
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
