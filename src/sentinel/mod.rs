//! Redis Sentinel, in the same binary (`ferredis-server CONF --sentinel`, or the program named
//! `ferredis-sentinel`): the model of what a sentinel knows and decides, as Redis 7.0's `sentinel.c`.
//!
//! ```text
//!  Sentinel ── masters: Vec<Instance>  (flags MASTER)
//!                 ├── replicas:  Vec<Instance>  (flags SLAVE; found in the master's INFO)
//!                 └── sentinels: Vec<Instance>  (flags SENTINEL; found in hello messages)
//!  every instance ── link: LinkId ──▶ Sentinel::links[id]: the command connection (PING, INFO, ...) and, for
//!                    masters and replicas, the pub/sub connection subscribed to __sentinel__:hello
//! ```
//!
//! Links live in a table ([`Sentinel::links`]) so they can be shared, as Redis 7.0 does (`instanceLink`,
//! `refcount`): the instances of one other sentinel (same run id) in the groups of several masters use ONE link,
//! so one command connection, one PING per period, one set of ping/pong times and one count of unanswered
//! commands. A sentinel instance tries to share when it is added (from a hello or a `known-sentinel` line:
//! [`Sentinel::try_share_link`]); masters and replicas never share. [`Sentinel::release_links`] recounts the
//! owners after instances were removed and closes the links nobody uses any more. Each command queued on a
//! connection remembers the instance its reply belongs to (an IS-MASTER-DOWN-BY-ADDR reply is about one master
//! even on a shared link); a reply whose instance is gone, or no longer uses that link, is only counted (Redis
//! rebinds those callbacks to `sentinelDiscardReplyCallback`).
//!
//! This module tree holds the data and the decisions and does no I/O:
//!
//! - [`config`]: the `sentinel ...` directives (applied after the whole configuration is read, Redis's queue of
//!   three passes) and the lines a config rewrite persists;
//! - [`proto`]: the bytes: a RESP reply reader for the outgoing links, the INFO fields a sentinel reads, the hello
//!   message;
//! - [`monitor`]: the periodic work per instance (reconnects, PING, INFO, hello), replies, SDOWN/ODOWN, TILT;
//! - [`failover`]: leader election by epochs and the failover state machine;
//! - [`scripts`]: the `notification-script` and `client-reconfig-script` runs (queue, retries, time limit).
//!
//! The server drives it (`server/sentinel.rs`): it opens the connections the model asks for, writes what the model
//! queued on each [`link::Conn`], feeds the bytes read back, runs the timer, publishes the queued
//! [`Sentinel::events`] on the sentinel's own pub/sub and rewrites the config file when
//! [`Sentinel::flush_requested`] is set (`state/sentinel.rs`). The SENTINEL command is `command/sentinel.rs`.
//!
//! Instances are addressed by [`InstRef`] (the master's name, and which replica or sentinel by address), never by
//! pointer, so a reply arriving for an instance that was removed meanwhile is simply dropped.
//!
//! Tested by the unit tests of each file (config errors, rewrite lines, parsers split at every byte, the state
//! machine's decisions) and end to end by `tests/replication/sentinel.rs` against Redis 7.0's sentinel.

#![forbid(unsafe_code)]

pub mod config;
pub mod failover;
pub mod link;
pub mod monitor;
pub mod proto;
pub mod scripts;

use std::collections::VecDeque;

/// `SRI_*` flags of an instance.
pub mod flags {
    pub const MASTER: u32 = 1 << 0;
    pub const SLAVE: u32 = 1 << 1;
    pub const SENTINEL: u32 = 1 << 2;
    pub const S_DOWN: u32 = 1 << 4;
    pub const O_DOWN: u32 = 1 << 5;
    pub const MASTER_DOWN: u32 = 1 << 6;
    pub const FAILOVER_IN_PROGRESS: u32 = 1 << 7;
    pub const PROMOTED: u32 = 1 << 8;
    pub const RECONF_SENT: u32 = 1 << 9;
    pub const RECONF_INPROG: u32 = 1 << 10;
    pub const RECONF_DONE: u32 = 1 << 11;
    pub const FORCE_FAILOVER: u32 = 1 << 12;
    pub const SCRIPT_KILL_SENT: u32 = 1 << 13;
    pub const MASTER_REBOOT: u32 = 1 << 14;
}

/// Default timings (milliseconds), Redis's `SENTINEL_*` constants; `SENTINEL DEBUG` changes them at run time.
#[derive(Clone)]
pub struct Timing {
    pub info_period: i64,
    pub ping_period: i64,
    pub ask_period: i64,
    pub publish_period: i64,
    pub default_down_after: i64,
    pub tilt_trigger: i64,
    pub tilt_period: i64,
    pub slave_reconf_timeout: i64,
    pub min_link_reconnect_period: i64,
    pub election_timeout: i64,
    pub script_max_runtime: i64,
    pub script_retry_delay: i64,
    pub default_failover_timeout: i64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            info_period: 10_000,
            ping_period: 1000,
            ask_period: 1000,
            publish_period: 2000,
            default_down_after: 30_000,
            tilt_trigger: 2000,
            tilt_period: 30_000,
            slave_reconf_timeout: 10_000,
            min_link_reconnect_period: 15_000,
            election_timeout: 10_000,
            script_max_runtime: 60_000,
            script_retry_delay: 30_000,
            default_failover_timeout: 180_000,
        }
    }
}

/// Redis's `SENTINEL_DEFAULT_PARALLEL_SYNCS`.
pub const DEFAULT_PARALLEL_SYNCS: i64 = 1;
/// Redis's `SENTINEL_DEFAULT_SLAVE_PRIORITY`.
pub const DEFAULT_REPLICA_PRIORITY: i64 = 100;
/// The channel sentinels say hello on.
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";
/// Length of a run id / sentinel id.
pub const RUN_ID_SIZE: usize = 40;
/// Redis's `SENTINEL_MAX_PENDING_COMMANDS`: a link with more unanswered commands gets no new periodic ones.
pub const MAX_PENDING_COMMANDS: usize = 100;
/// Redis's `SENTINEL_INFO_VALIDITY_TIME`: how long a peer's is-master-down answer counts.
pub const INFO_VALIDITY_MS: i64 = 5000;

/// `SENTINEL SIMULATE-FAILURE` flags.
pub const SIMFAILURE_CRASH_AFTER_ELECTION: u32 = 1 << 0;
pub const SIMFAILURE_CRASH_AFTER_PROMOTION: u32 = 1 << 1;

/// An instance's address: the host as configured (a name with `resolve-hostnames yes`) and the IP it resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr {
    pub hostname: String,
    pub ip: String,
    pub port: u16,
}

impl Addr {
    /// The same instance: same IP (or same name) and port (Redis's `sentinelAddrOrHostnameEqual`).
    pub fn same(&self, other: &Addr) -> bool {
        self.port == other.port
            && (self.ip.eq_ignore_ascii_case(&other.ip) || self.hostname.eq_ignore_ascii_case(&other.hostname))
    }

    /// `ip:port` as Redis names replicas (`[ip]:port` for IPv6).
    pub fn key(&self) -> String {
        announce_addr_key(&self.ip, self.port)
    }
}

/// `ip:port`, or `[ip]:port` when the IP holds a colon (Redis's `anetFormatAddr`).
pub fn announce_addr_key(ip: &str, port: u16) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// Where an instance sits: the master's name, and for a replica or a sentinel its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstRef {
    Master(String),
    Replica(String, String, u16),
    Sentinel(String, String, u16),
}

impl InstRef {
    pub fn master_name(&self) -> &str {
        match self {
            InstRef::Master(m) | InstRef::Replica(m, ..) | InstRef::Sentinel(m, ..) => m,
        }
    }
}

/// Index of a link in [`Sentinel::links`].
pub type LinkId = usize;

/// The connection state of one or more instances (Redis's `instanceLink`): which connections exist and when things
/// happened. Several sentinel instances (the same sentinel seen in several masters' groups) may share one.
#[derive(Clone, Default)]
pub struct Link {
    /// How many instances use this link (`link-refcount`).
    pub refcount: usize,
    /// The command connection's descriptor, once its connect started.
    pub cc: Option<i32>,
    /// The pub/sub connection's descriptor (masters and replicas only).
    pub pc: Option<i32>,
    /// Commands sent on `cc` still waiting for their reply.
    pub pending_commands: usize,
    pub cc_conn_time: i64,
    pub pc_conn_time: i64,
    pub pc_last_activity: i64,
    /// Last time a PING got a valid reply.
    pub last_avail_time: i64,
    /// When the PING now waiting was sent (0: none outstanding).
    pub act_ping_time: i64,
    pub last_ping_time: i64,
    pub last_pong_time: i64,
    pub last_reconn_time: i64,
}

impl Link {
    /// A link of no connection yet (Redis's `createInstanceLink`), owned by one instance.
    pub fn new(now: i64) -> Link {
        Link {
            refcount: 1,
            last_avail_time: now,
            last_pong_time: now,
            // So the first connection is tried at once.
            last_reconn_time: 0,
            ..Link::default()
        }
    }

    /// Redis's `link->disconnected`: a connection is missing.
    pub fn disconnected(&self, needs_pubsub: bool) -> bool {
        self.cc.is_none() || (needs_pubsub && self.pc.is_none())
    }
}

/// What [`Sentinel::link`] answers for a missing link: no connection, nothing pending.
static NO_LINK: Link = Link {
    refcount: 0,
    cc: None,
    pc: None,
    pending_commands: 0,
    cc_conn_time: 0,
    pc_conn_time: 0,
    pc_last_activity: 0,
    last_avail_time: 0,
    act_ping_time: 0,
    last_ping_time: 0,
    last_pong_time: 0,
    last_reconn_time: 0,
};

/// Failover states (`SENTINEL_FAILOVER_STATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailoverState {
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoone,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

impl FailoverState {
    pub fn name(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectSlave => "select_slave",
            FailoverState::SendSlaveofNoone => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfSlaves => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

/// A master, replica or sentinel as this sentinel sees it (Redis's `sentinelRedisInstance`); the fields of one
/// kind are unused in the others.
#[derive(Clone)]
pub struct Instance {
    pub flags: u32,
    /// A master's name; for a replica or a sentinel, `ip:port`.
    pub name: String,
    pub runid: Option<String>,
    pub config_epoch: u64,
    pub addr: Addr,
    /// The link this instance uses, in [`Sentinel::links`].
    pub link: LinkId,
    pub last_pub_time: i64,
    pub last_hello_time: i64,
    pub last_master_down_reply_time: i64,
    pub s_down_since_time: i64,
    pub o_down_since_time: i64,
    pub down_after_period: i64,
    pub master_reboot_down_after_period: i64,
    pub master_reboot_since_time: i64,
    pub info_refresh: i64,
    /// The last INFO text (SENTINEL INFO-CACHE).
    pub info: Option<Vec<u8>>,
    pub role_reported: u32,
    pub role_reported_time: i64,
    pub slave_conf_change_time: i64,
    // Masters.
    pub quorum: u32,
    pub parallel_syncs: i64,
    pub auth_pass: Option<String>,
    pub auth_user: Option<String>,
    pub notification_script: Option<String>,
    pub client_reconfig_script: Option<String>,
    pub renamed_commands: Vec<(String, String)>,
    pub replicas: Vec<Instance>,
    pub sentinels: Vec<Instance>,
    // Replicas.
    pub master_link_down_time: i64,
    pub slave_priority: i64,
    pub replica_announced: bool,
    pub slave_reconf_sent_time: i64,
    pub slave_master_host: Option<String>,
    pub slave_master_port: i64,
    pub slave_master_link_up: bool,
    pub slave_repl_offset: u64,
    // Failover (masters) and votes (sentinels).
    pub leader: Option<String>,
    pub leader_epoch: u64,
    pub failover_epoch: u64,
    pub failover_state: FailoverState,
    pub failover_state_change_time: i64,
    pub failover_start_time: i64,
    pub failover_timeout: i64,
    pub failover_delay_logged: i64,
    /// The address of the replica promoted by the failover in progress.
    pub promoted: Option<Addr>,
}

impl Instance {
    /// A new instance of kind `kind` (one of the MASTER/SLAVE/SENTINEL flags), as `createSentinelRedisInstance`,
    /// using the link `link` (see [`Sentinel::new_link`]).
    pub fn new(kind: u32, name: String, addr: Addr, quorum: u32, t: &Timing, now: i64, link: LinkId) -> Instance {
        Instance {
            flags: kind,
            name,
            runid: None,
            config_epoch: 0,
            addr,
            link,
            last_pub_time: now,
            last_hello_time: now,
            last_master_down_reply_time: now,
            s_down_since_time: 0,
            o_down_since_time: 0,
            down_after_period: t.default_down_after,
            master_reboot_down_after_period: 0,
            master_reboot_since_time: 0,
            info_refresh: 0,
            info: None,
            role_reported: kind,
            role_reported_time: now,
            slave_conf_change_time: now,
            quorum,
            parallel_syncs: DEFAULT_PARALLEL_SYNCS,
            auth_pass: None,
            auth_user: None,
            notification_script: None,
            client_reconfig_script: None,
            renamed_commands: Vec::new(),
            replicas: Vec::new(),
            sentinels: Vec::new(),
            master_link_down_time: 0,
            slave_priority: DEFAULT_REPLICA_PRIORITY,
            replica_announced: true,
            slave_reconf_sent_time: 0,
            slave_master_host: None,
            slave_master_port: 0,
            slave_master_link_up: false,
            slave_repl_offset: 0,
            leader: None,
            leader_epoch: 0,
            failover_epoch: 0,
            failover_state: FailoverState::None,
            failover_state_change_time: 0,
            failover_start_time: 0,
            failover_timeout: t.default_failover_timeout,
            failover_delay_logged: 0,
            promoted: None,
        }
    }

    pub fn is(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Which kind of instance, as Redis's events name it.
    pub fn type_str(&self) -> &'static str {
        if self.is(flags::MASTER) {
            "master"
        } else if self.is(flags::SLAVE) {
            "slave"
        } else {
            "sentinel"
        }
    }

    /// Whether this kind of instance has a pub/sub connection (masters and replicas).
    pub fn needs_pubsub(&self) -> bool {
        !self.is(flags::SENTINEL)
    }

    /// The command name to send for `cmd`, after the master's `sentinel rename-command` table.
    pub fn command_name(&self, cmd: &str) -> String {
        for (from, to) in &self.renamed_commands {
            if from.eq_ignore_ascii_case(cmd) {
                return to.clone();
            }
        }
        cmd.to_string()
    }
}

/// The whole sentinel state (Redis's `struct sentinelState`).
pub struct Sentinel {
    /// This sentinel's id (40 hex characters), chosen at first start and kept in the config file.
    pub myid: String,
    pub current_epoch: u64,
    /// The monitored masters, in the order they were added.
    pub masters: Vec<Instance>,
    pub tilt: bool,
    pub tilt_start_time: i64,
    pub previous_time: i64,
    pub announce_ip: Option<String>,
    pub announce_port: u16,
    /// With `tls-replication yes`, the TLS port, which hellos announce (0: none; set by the server's timer).
    pub tls_port: u16,
    pub deny_scripts_reconfig: bool,
    pub resolve_hostnames: bool,
    pub announce_hostnames: bool,
    pub sentinel_auth_user: Option<String>,
    pub sentinel_auth_pass: Option<String>,
    /// This server's `requirepass` (kept current by the server): what the links to other sentinels send without
    /// `sentinel-pass`.
    pub requirepass: Option<String>,
    pub simfailure_flags: u32,
    pub timing: Timing,
    pub scripts_queue: VecDeque<scripts::ScriptJob>,
    pub running_scripts: usize,
    /// Events to publish on this sentinel's pub/sub: (channel, message).
    pub events: Vec<(String, String)>,
    /// The config file must be rewritten (`sentinelFlushConfig`).
    pub flush_requested: bool,
    /// The links of the instances, by [`LinkId`] (`None`: a free slot).
    pub links: Vec<Option<Link>>,
    /// The open outgoing connections, by descriptor.
    pub conns: Vec<link::Conn>,
    /// Connections closed by the model: the server takes them off the event loop, then drops them (which closes
    /// the socket).
    pub closed: Vec<link::Conn>,
    /// This sentinel's client port (the hello message's port unless `announce-port`).
    pub port: u16,
    /// The simulated crash was reached: the server exits.
    pub crash_requested: bool,
    pub rng: crate::util::Rng,
}

impl Sentinel {
    pub fn new(port: u16, now: i64) -> Sentinel {
        Sentinel {
            myid: String::new(),
            current_epoch: 0,
            masters: Vec::new(),
            tilt: false,
            tilt_start_time: 0,
            previous_time: now,
            announce_ip: None,
            announce_port: 0,
            tls_port: 0,
            deny_scripts_reconfig: true,
            resolve_hostnames: false,
            announce_hostnames: false,
            sentinel_auth_user: None,
            sentinel_auth_pass: None,
            requirepass: None,
            simfailure_flags: 0,
            timing: Timing::default(),
            scripts_queue: VecDeque::new(),
            running_scripts: 0,
            events: Vec::new(),
            flush_requested: false,
            links: Vec::new(),
            conns: Vec::new(),
            closed: Vec::new(),
            port,
            crash_requested: false,
            rng: crate::util::Rng::from_entropy(),
        }
    }

    pub fn master(&self, name: &str) -> Option<&Instance> {
        self.masters.iter().find(|m| m.name == name)
    }

    pub fn master_mut(&mut self, name: &str) -> Option<&mut Instance> {
        self.masters.iter_mut().find(|m| m.name == name)
    }

    /// The instance `r` names, if it still exists.
    pub fn instance(&self, r: &InstRef) -> Option<&Instance> {
        let m = self.master(r.master_name())?;
        match r {
            InstRef::Master(_) => Some(m),
            InstRef::Replica(_, ip, port) => m.replicas.iter().find(|i| i.addr.ip == *ip && i.addr.port == *port),
            InstRef::Sentinel(_, ip, port) => m.sentinels.iter().find(|i| i.addr.ip == *ip && i.addr.port == *port),
        }
    }

    pub fn instance_mut(&mut self, r: &InstRef) -> Option<&mut Instance> {
        let m = self.masters.iter_mut().find(|m| m.name == r.master_name())?;
        match r {
            InstRef::Master(_) => Some(m),
            InstRef::Replica(_, ip, port) => m.replicas.iter_mut().find(|i| i.addr.ip == *ip && i.addr.port == *port),
            InstRef::Sentinel(_, ip, port) => m.sentinels.iter_mut().find(|i| i.addr.ip == *ip && i.addr.port == *port),
        }
    }

    /// A new link of no connection, owned by one instance: a free slot of the table, else a new one.
    pub fn new_link(&mut self, now: i64) -> LinkId {
        let link = Link::new(now);
        if let Some(id) = self.links.iter().position(Option::is_none) {
            self.links[id] = Some(link);
            return id;
        }
        self.links.push(Some(link));
        self.links.len() - 1
    }

    /// The link `id` (a link of no connection when there is none, which cannot happen while an instance uses it).
    pub fn link(&self, id: LinkId) -> &Link {
        self.links.get(id).and_then(Option::as_ref).unwrap_or(&NO_LINK)
    }

    pub fn link_mut(&mut self, id: LinkId) -> Option<&mut Link> {
        self.links.get_mut(id).and_then(Option::as_mut)
    }

    /// The link of the instance `r`, if it still exists.
    pub fn link_of(&self, r: &InstRef) -> Option<&Link> {
        let id = self.instance(r)?.link;
        self.links.get(id).and_then(Option::as_ref)
    }

    pub fn link_of_mut(&mut self, r: &InstRef) -> Option<&mut Link> {
        let id = self.instance(r)?.link;
        self.link_mut(id)
    }

    /// A random 40-hex-character id.
    pub fn random_id(&mut self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        (0..RUN_ID_SIZE).map(|_| HEX[(self.rng.next_u64() & 15) as usize] as char).collect()
    }

    /// The address this sentinel announces for `addr`: the hostname with `announce-hostnames yes`, else the IP
    /// (Redis's `announceSentinelAddr`).
    pub fn announce<'a>(&self, addr: &'a Addr) -> &'a str {
        if self.announce_hostnames {
            &addr.hostname
        } else {
            &addr.ip
        }
    }

    /// The address of the master `m` as clients should see it: the promoted replica's once the failover reached
    /// its last step (Redis's `sentinelGetCurrentMasterAddress`).
    pub fn current_master_addr<'a>(&self, m: &'a Instance) -> &'a Addr {
        if m.is(flags::FAILOVER_IN_PROGRESS) && m.failover_state == FailoverState::ReconfSlaves {
            if let Some(p) = &m.promoted {
                if let Some(r) = m.replicas.iter().find(|r| r.addr.same(p)) {
                    return &r.addr;
                }
            }
        }
        &m.addr
    }

    /// Queues an event about the instance `r` (see [`Sentinel::emit`]); nothing when it no longer exists.
    pub fn event_at(&mut self, level_warning: bool, kind: &str, r: &InstRef, rest: &str) {
        let describe =
            |s: &Sentinel, i: &Instance| format!("{} {} {} {}", i.type_str(), i.name, s.announce(&i.addr), i.addr.port);
        let Some(m) = self.master(r.master_name()) else { return };
        let mut msg = describe(self, m);
        if !matches!(r, InstRef::Master(_)) {
            let Some(i) = self.instance(r) else { return };
            msg = format!("{} @ {} {} {}", describe(self, i), m.name, self.announce(&m.addr), m.addr.port);
        }
        if !rest.is_empty() {
            msg.push(' ');
            msg.push_str(rest);
        }
        let master = r.master_name().to_string();
        self.emit(level_warning, kind, msg, Some(&master));
    }

    /// Logs an event about no instance (TILT) and queues it for the pub/sub channel of its name.
    pub fn publish_event(&mut self, level_warning: bool, kind: &str, msg: String) {
        self.emit(level_warning, kind, msg, None);
    }

    /// Logs an event, queues it for the pub/sub channel of its name and, for a warning about an instance of a
    /// master with a `notification-script`, schedules the script with the event's name and text.
    pub fn emit(&mut self, level_warning: bool, kind: &str, msg: String, master: Option<&str>) {
        if level_warning {
            crate::log_warning!("{kind} {msg}");
        } else {
            crate::log_notice!("{kind} {msg}");
        }
        if level_warning {
            if let Some(script) = master.and_then(|m| self.master(m)).and_then(|m| m.notification_script.clone()) {
                self.schedule_script(vec![script, kind.to_string(), msg.clone()]);
            }
        }
        self.events.push((kind.to_string(), msg));
    }
}
