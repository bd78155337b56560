//! The `sentinel ...` directives and the lines a config rewrite persists (Redis's `sentinelHandleConfiguration`,
//! `loadSentinelConfigFromQueue`, `rewriteConfigSentinelOption`).
//!
//! The configuration layer queues every `sentinel` line while it reads the file ([`crate::config::SentinelLine`]);
//! [`load`] applies them in Redis's three passes (the global settings that change how addresses are read first,
//! then the `monitor` lines, then everything that names a master), and a bad line stops the start with Redis's
//! text, file line and all. [`Sentinel::rewrite_lines`] is what `SENTINEL FLUSHCONFIG` and every state change write back:
//! the id, the epochs, the replicas and sentinels learnt, keyed as Redis keys them so a rewrite puts each line
//! where the old file had one of its kind.

use super::{flags, Addr, InstRef, Instance, Sentinel};
use crate::config::{KeyedLines, SentinelLine};
use crate::util::atoll;

/// Directives applied before the `monitor` lines (Redis's `preMonitorCfgName`).
const PRE_MONITOR: &[&str] = &[
    "announce-ip",
    "announce-port",
    "deny-scripts-reconfig",
    "sentinel-user",
    "sentinel-pass",
    "current-epoch",
    "myid",
    "resolve-hostnames",
    "announce-hostnames",
];

/// C's `atoi` over the bytes (leading blanks, a sign, digits; anything else ends it), clamped to `i32`'s range as
/// the C conversion would wrap: the configuration accepts `port abc` as 0, as Redis does.
pub fn atoi(s: &str) -> i64 {
    atoll(s.as_bytes()).clamp(i32::MIN as i64, i32::MAX as i64)
}

/// C's `strtoull(s, NULL, 10)`: the leading digits, 0 when none.
fn strtoull(s: &str) -> u64 {
    let t = s.trim_start();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(if digits.is_empty() { 0 } else { u64::MAX })
}

/// Redis's `yesnotoi`.
fn yes_no(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// Why an instance could not be created (Redis's errno cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateError {
    Duplicate,
    Unresolved,
    BadPort,
}

impl CreateError {
    /// Redis's `sentinelCheckCreateInstanceErrors` text for an instance of kind `kind`.
    pub fn text(self, kind: u32) -> &'static str {
        match self {
            CreateError::Duplicate if kind == flags::MASTER => "Duplicate master name.",
            CreateError::Duplicate if kind == flags::SLAVE => "Duplicate hostname and port for replica.",
            CreateError::Duplicate => "Duplicate runid for sentinel.",
            CreateError::Unresolved => "Can't resolve instance hostname.",
            CreateError::BadPort => "Invalid port number.",
        }
    }
}

impl Sentinel {
    /// An address for `host:port` (Redis's `createSentinelAddr`): an IP, or with `resolve-hostnames yes` a name
    /// resolved now (`accept_unresolved`: kept with an empty IP when it does not resolve).
    pub fn make_addr(&self, host: &str, port: i64, accept_unresolved: bool) -> Result<Addr, CreateError> {
        if !(0..=65535).contains(&port) {
            return Err(CreateError::BadPort);
        }
        let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let ip = match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => Some(ip.to_string()),
            Err(_) if self.resolve_hostnames => {
                crate::net::resolve::resolve_ips(host).ok().and_then(|v| v.first().map(|ip| ip.to_string()))
            }
            Err(_) => None,
        };
        let ip = match ip {
            Some(ip) => ip,
            None => {
                crate::log_warning!("Failed to resolve hostname '{host}'");
                if self.resolve_hostnames && accept_unresolved {
                    String::new()
                } else {
                    return Err(CreateError::Unresolved);
                }
            }
        };
        Ok(Addr { hostname: host.to_string(), ip, port: port as u16 })
    }

    /// `SENTINEL MONITOR` / `sentinel monitor`: a new master.
    pub fn add_master(&mut self, name: &str, host: &str, port: i64, quorum: u32, now: i64) -> Result<(), CreateError> {
        let addr = self.make_addr(host, port, true)?;
        if self.master(name).is_some() {
            return Err(CreateError::Duplicate);
        }
        let link = self.new_link(now);
        let m = Instance::new(flags::MASTER, name.to_string(), addr, quorum, &self.timing, now, link);
        self.masters.push(m);
        Ok(())
    }

    /// A replica of `master` at `host:port` (config `known-replica`, or discovered in INFO).
    pub fn add_replica(&mut self, master: &str, host: &str, port: i64, now: i64) -> Result<(), CreateError> {
        let addr = self.make_addr(host, port, true)?;
        let name = self.announce_addr_and_port(&addr);
        let timing = self.timing.clone();
        let Some(m) = self.master(master) else { return Err(CreateError::Duplicate) };
        if m.replicas.iter().any(|r| r.name == name) {
            return Err(CreateError::Duplicate);
        }
        let link = self.new_link(now);
        let Some(m) = self.master_mut(master) else { return Err(CreateError::Duplicate) };
        let mut r = Instance::new(flags::SLAVE, name, addr, m.quorum, &timing, now, link);
        r.down_after_period = m.down_after_period;
        m.replicas.push(r);
        Ok(())
    }

    /// Another sentinel of `master`, named by its run id.
    pub fn add_sentinel(
        &mut self,
        master: &str,
        runid: &str,
        host: &str,
        port: i64,
        now: i64,
    ) -> Result<(), CreateError> {
        let addr = self.make_addr(host, port, true)?;
        let timing = self.timing.clone();
        let Some(m) = self.master(master) else { return Err(CreateError::Duplicate) };
        if m.sentinels.iter().any(|s| s.name == runid) {
            return Err(CreateError::Duplicate);
        }
        let link = self.new_link(now);
        let Some(m) = self.master_mut(master) else { return Err(CreateError::Duplicate) };
        let mut s = Instance::new(flags::SENTINEL, runid.to_string(), addr, m.quorum, &timing, now, link);
        s.runid = Some(runid.to_string());
        s.down_after_period = m.down_after_period;
        let r = InstRef::Sentinel(master.to_string(), s.addr.ip.clone(), s.addr.port);
        m.sentinels.push(s);
        // The same sentinel in another master's group: one link for both (Redis does this after a hello adds a
        // sentinel and for a `known-sentinel` line, the two callers).
        self.try_share_link(&r);
        Ok(())
    }

    /// `ip:port` (or `host:port` with `announce-hostnames yes`), a replica's name.
    pub fn announce_addr_and_port(&self, a: &Addr) -> String {
        super::announce_addr_key(self.announce(a), a.port)
    }

    /// One `sentinel` directive (its words after `sentinel`). Errors are Redis's texts.
    pub fn apply_directive(&mut self, argv: &[String], now: i64) -> Result<(), &'static str> {
        const NO_MASTER: &str = "No such master with specified name.";
        let argc = argv.len();
        let word = argv[0].to_ascii_lowercase();
        let master_of = |s: &mut Sentinel, name: &str| -> Result<usize, &'static str> {
            s.masters.iter().position(|m| m.name == name).ok_or(NO_MASTER)
        };
        match (word.as_str(), argc) {
            ("monitor", 5) => {
                let quorum = atoi(&argv[4]);
                if quorum <= 0 {
                    return Err("Quorum must be 1 or greater.");
                }
                self.add_master(&argv[1], &argv[2], atoi(&argv[3]), quorum as u32, now)
                    .map_err(|e| e.text(flags::MASTER))?;
            }
            ("down-after-milliseconds", 3) => {
                let i = master_of(self, &argv[1])?;
                let v = atoi(&argv[2]);
                self.masters[i].down_after_period = v;
                if v <= 0 {
                    return Err("negative or zero time parameter.");
                }
                self.propagate_down_after(i);
            }
            ("failover-timeout", 3) => {
                let i = master_of(self, &argv[1])?;
                let v = atoi(&argv[2]);
                self.masters[i].failover_timeout = v;
                if v <= 0 {
                    return Err("negative or zero time parameter.");
                }
            }
            ("parallel-syncs", 3) => {
                let i = master_of(self, &argv[1])?;
                self.masters[i].parallel_syncs = atoi(&argv[2]);
            }
            ("notification-script", 3) => {
                let i = master_of(self, &argv[1])?;
                if !is_executable(&argv[2]) {
                    return Err("Notification script seems non existing or non executable.");
                }
                self.masters[i].notification_script = Some(argv[2].clone());
            }
            ("client-reconfig-script", 3) => {
                let i = master_of(self, &argv[1])?;
                if !is_executable(&argv[2]) {
                    return Err("Client reconfiguration script seems non existing or non executable.");
                }
                self.masters[i].client_reconfig_script = Some(argv[2].clone());
            }
            ("auth-pass", 3) => {
                let i = master_of(self, &argv[1])?;
                self.masters[i].auth_pass = Some(argv[2].clone());
            }
            ("auth-user", 3) => {
                let i = master_of(self, &argv[1])?;
                self.masters[i].auth_user = Some(argv[2].clone());
            }
            ("current-epoch", 2) => {
                let e = strtoull(&argv[1]);
                if e > self.current_epoch {
                    self.current_epoch = e;
                }
            }
            ("myid", 2) => {
                if argv[1].len() != super::RUN_ID_SIZE {
                    return Err("Malformed Sentinel id in myid option.");
                }
                self.myid = argv[1].clone();
            }
            ("config-epoch", 3) => {
                let i = master_of(self, &argv[1])?;
                let e = strtoull(&argv[2]);
                self.masters[i].config_epoch = e;
                if e > self.current_epoch {
                    self.current_epoch = e;
                }
            }
            ("leader-epoch", 3) => {
                let i = master_of(self, &argv[1])?;
                self.masters[i].leader_epoch = strtoull(&argv[2]);
            }
            ("known-slave" | "known-replica", 4) => {
                master_of(self, &argv[1])?;
                self.add_replica(&argv[1], &argv[2], atoi(&argv[3]), now).map_err(|e| e.text(flags::SLAVE))?;
            }
            ("known-sentinel", 4) => {
                // The old form without a run id is ignored.
            }
            ("known-sentinel", 5) => {
                master_of(self, &argv[1])?;
                self.add_sentinel(&argv[1], &argv[4], &argv[2], atoi(&argv[3]), now)
                    .map_err(|e| e.text(flags::SENTINEL))?;
            }
            ("rename-command", 4) => {
                let i = master_of(self, &argv[1])?;
                let m = &mut self.masters[i];
                if m.renamed_commands.iter().any(|(from, _)| from.eq_ignore_ascii_case(&argv[2])) {
                    return Err("Same command renamed multiple times with rename-command.");
                }
                m.renamed_commands.push((argv[2].clone(), argv[3].clone()));
            }
            ("announce-ip", 2) => {
                if !argv[1].is_empty() {
                    self.announce_ip = Some(argv[1].clone());
                }
            }
            ("announce-port", 2) => self.announce_port = atoi(&argv[1]).clamp(0, 65535) as u16,
            ("deny-scripts-reconfig", 2) => {
                self.deny_scripts_reconfig =
                    yes_no(&argv[1]).ok_or("Please specify yes or no for the deny-scripts-reconfig options.")?;
            }
            ("sentinel-user", 2) => {
                if !argv[1].is_empty() {
                    self.sentinel_auth_user = Some(argv[1].clone());
                }
            }
            ("sentinel-pass", 2) => {
                if !argv[1].is_empty() {
                    self.sentinel_auth_pass = Some(argv[1].clone());
                }
            }
            ("resolve-hostnames", 2) => {
                self.resolve_hostnames =
                    yes_no(&argv[1]).ok_or("Please specify yes or no for the resolve-hostnames option.")?;
            }
            ("announce-hostnames", 2) => {
                self.announce_hostnames =
                    yes_no(&argv[1]).ok_or("Please specify yes or no for the announce-hostnames option.")?;
            }
            ("master-reboot-down-after-period", 3) => {
                let i = master_of(self, &argv[1])?;
                let v = atoi(&argv[2]);
                self.masters[i].master_reboot_down_after_period = v;
                if v < 0 {
                    return Err("negative time parameter.");
                }
            }
            _ => return Err("Unrecognized sentinel configuration statement."),
        }
        Ok(())
    }

    /// A master's `down-after-milliseconds` is also its replicas' and sentinels'.
    pub fn propagate_down_after(&mut self, i: usize) {
        let m = &mut self.masters[i];
        let d = m.down_after_period;
        for r in m.replicas.iter_mut().chain(m.sentinels.iter_mut()) {
            r.down_after_period = d;
        }
    }

    /// The lines `CONFIG REWRITE` writes for the sentinel state, keyed as Redis keys them.
    pub fn rewrite_lines(&self) -> KeyedLines {
        let mut k = KeyedLines::default();
        let mut line = |key: &str, text: String| k.lines.push((format!("sentinel {key}"), text));
        line("myid", format!("sentinel myid {}", self.myid));
        if !self.deny_scripts_reconfig {
            line("deny-scripts-reconfig", "sentinel deny-scripts-reconfig no".into());
        }
        if self.resolve_hostnames {
            line("resolve-hostnames", "sentinel resolve-hostnames yes".into());
        }
        if self.announce_hostnames {
            line("announce-hostnames", "sentinel announce-hostnames yes".into());
        }
        for m in &self.masters {
            self.master_rewrite_lines(m, &mut line);
        }
        line("current-epoch", format!("sentinel current-epoch {}", self.current_epoch));
        if let Some(ip) = &self.announce_ip {
            let mut quoted = Vec::new();
            crate::util::repr_into(&mut quoted, ip.as_bytes());
            line("announce-ip", format!("sentinel announce-ip {}", String::from_utf8_lossy(&quoted)));
        }
        if self.announce_port != 0 {
            line("announce-port", format!("sentinel announce-port {}", self.announce_port));
        }
        if let Some(u) = &self.sentinel_auth_user {
            line("sentinel-user", format!("sentinel sentinel-user {u}"));
        }
        if let Some(p) = &self.sentinel_auth_pass {
            line("sentinel-pass", format!("sentinel sentinel-pass {p}"));
        }
        k.processed = REWRITTEN_KEYS.iter().map(|w| format!("sentinel {w}")).collect();
        k
    }

    /// The rewrite lines of one monitored master: its `monitor` line, the options off their defaults, its epochs,
    /// and the replicas, sentinels and renamed commands it knows.
    fn master_rewrite_lines(&self, m: &Instance, line: &mut impl FnMut(&str, String)) {
        let maddr = self.current_master_addr(m);
        let name = &m.name;
        line("monitor", format!("sentinel monitor {name} {} {} {}", self.announce(maddr), maddr.port, m.quorum));
        if m.down_after_period != self.timing.default_down_after {
            line("down-after-milliseconds", format!("sentinel down-after-milliseconds {name} {}", m.down_after_period));
        }
        if m.failover_timeout != self.timing.default_failover_timeout {
            line("failover-timeout", format!("sentinel failover-timeout {name} {}", m.failover_timeout));
        }
        if m.parallel_syncs != super::DEFAULT_PARALLEL_SYNCS {
            line("parallel-syncs", format!("sentinel parallel-syncs {name} {}", m.parallel_syncs));
        }
        if let Some(s) = &m.notification_script {
            line("notification-script", format!("sentinel notification-script {name} {s}"));
        }
        if let Some(s) = &m.client_reconfig_script {
            line("client-reconfig-script", format!("sentinel client-reconfig-script {name} {s}"));
        }
        if let Some(s) = &m.auth_pass {
            line("auth-pass", format!("sentinel auth-pass {name} {s}"));
        }
        if let Some(s) = &m.auth_user {
            line("auth-user", format!("sentinel auth-user {name} {s}"));
        }
        if m.master_reboot_down_after_period != 0 {
            line(
                "master-reboot-down-after-period",
                format!("sentinel master-reboot-down-after-period {name} {}", m.master_reboot_down_after_period),
            );
        }
        line("config-epoch", format!("sentinel config-epoch {name} {}", m.config_epoch));
        line("leader-epoch", format!("sentinel leader-epoch {name} {}", m.leader_epoch));
        for r in &m.replicas {
            // A replica already promoted is written with the old master's address (it will be its replica).
            let a = if r.addr.same(maddr) { &m.addr } else { &r.addr };
            line("known-replica", format!("sentinel known-replica {name} {} {}", self.announce(a), a.port));
        }
        for s in &m.sentinels {
            let Some(runid) = &s.runid else { continue };
            line(
                "known-sentinel",
                format!("sentinel known-sentinel {name} {} {} {runid}", self.announce(&s.addr), s.addr.port),
            );
        }
        for (from, to) in &m.renamed_commands {
            line("rename-command", format!("sentinel rename-command {name} {from} {to}"));
        }
    }
}

/// The `sentinel` keys [`Sentinel::rewrite_lines`] owns: `CONFIG REWRITE` drops the old lines of these keys that no
/// new line took.
const REWRITTEN_KEYS: [&str; 24] = [
    "myid",
    "deny-scripts-reconfig",
    "resolve-hostnames",
    "announce-hostnames",
    "monitor",
    "down-after-milliseconds",
    "failover-timeout",
    "parallel-syncs",
    "notification-script",
    "client-reconfig-script",
    "auth-pass",
    "auth-user",
    "master-reboot-down-after-period",
    "config-epoch",
    "leader-epoch",
    "known-replica",
    "known-slave",
    "known-sentinel",
    "rename-command",
    "current-epoch",
    "announce-ip",
    "announce-port",
    "sentinel-user",
    "sentinel-pass",
];

/// Whether `path` names a file this process may execute (C's `access(path, X_OK)`).
pub fn is_executable(path: &str) -> bool {
    nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok()
}

/// Builds the sentinel state from the queued directives, in Redis's order (see the module docs). The error is the
/// whole text Redis prints before exiting.
pub fn load(lines: &[SentinelLine], port: u16, now: i64) -> Result<Sentinel, String> {
    let mut s = Sentinel::new(port, now);
    let pass = |l: &SentinelLine| -> usize {
        let w = String::from_utf8_lossy(&l.argv[0]).to_ascii_lowercase();
        if w == "monitor" {
            1
        } else if PRE_MONITOR.contains(&w.as_str()) {
            0
        } else {
            2
        }
    };
    for p in 0..3 {
        for l in lines.iter().filter(|l| pass(l) == p) {
            let argv: Vec<String> = l.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            if let Err(e) = s.apply_directive(&argv, now) {
                return Err(format!(
                    "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {}\n>>> \
                     '{}'\n{e}",
                    crate::config::REDIS_VERSION,
                    l.line_no,
                    l.line
                ));
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<SentinelLine> {
        text.lines()
            .enumerate()
            .map(|(i, l)| SentinelLine {
                argv: crate::util::split_args(l.as_bytes()).unwrap_or_default().into_iter().skip(1).collect(),
                line_no: i + 1,
                line: l.to_string(),
            })
            .collect()
    }

    #[test]
    fn directives_apply_in_three_passes() {
        let s = load(
            &lines(
                "sentinel down-after-milliseconds m 5000\nsentinel monitor m 127.0.0.1 7000 2\n\
                 sentinel myid 0123456789012345678901234567890123456789\nsentinel known-replica m 127.0.0.1 7001\n\
                 sentinel known-sentinel m 127.0.0.1 26380 abcdefabcdefabcdefabcdefabcdefabcdefabcd\n\
                 sentinel current-epoch 7",
            ),
            26379,
            0,
        )
        .unwrap();
        let m = s.master("m").unwrap();
        assert_eq!(m.down_after_period, 5000);
        assert_eq!(m.replicas[0].name, "127.0.0.1:7001");
        assert_eq!(m.replicas[0].down_after_period, 5000);
        assert_eq!(m.sentinels[0].name, "abcdefabcdefabcdefabcdefabcdefabcdefabcd");
        assert_eq!(s.current_epoch, 7);
        assert_eq!(s.myid.len(), 40);
    }

    #[test]
    fn errors_are_redis_texts_with_the_line() {
        let err = |t: &str| load(&lines(t), 26379, 0).err().unwrap_or_default();
        assert!(err("sentinel monitor m 127.0.0.1 7000 0").ends_with("Quorum must be 1 or greater."));
        assert!(err("sentinel monitor m 127.0.0.1 7000 1\nsentinel monitor m 127.0.0.1 7001 1")
            .contains("at line 2\n>>> 'sentinel monitor m 127.0.0.1 7001 1'\nDuplicate master name."));
        assert!(err("sentinel parallel-syncs x 1").ends_with("No such master with specified name."));
        assert!(err("sentinel foo").ends_with("Unrecognized sentinel configuration statement."));
        assert!(err("sentinel myid abc").ends_with("Malformed Sentinel id in myid option."));
        assert!(err("sentinel monitor m 127.0.0.1 70000 1").ends_with("Invalid port number."));
        assert!(err("sentinel monitor m not-an-ip 7000 1").ends_with("Can't resolve instance hostname."));
        assert!(err("sentinel resolve-hostnames maybe").ends_with("resolve-hostnames option."));
        assert!(err("sentinel monitor m 127.0.0.1 7000 1\nsentinel down-after-milliseconds m 0")
            .ends_with("negative or zero time parameter."));
    }

    #[test]
    fn rewrite_lines_persist_state() {
        let mut s =
            load(&lines("sentinel monitor m 127.0.0.1 7000 2\nsentinel known-replica m 127.0.0.1 7001"), 1, 0).unwrap();
        s.myid = "a".repeat(40);
        let k = s.rewrite_lines();
        let texts: Vec<&str> = k.lines.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            texts,
            [
                format!("sentinel myid {}", "a".repeat(40)).as_str(),
                "sentinel monitor m 127.0.0.1 7000 2",
                "sentinel config-epoch m 0",
                "sentinel leader-epoch m 0",
                "sentinel known-replica m 127.0.0.1 7001",
                "sentinel current-epoch 0",
            ]
        );
    }
}
