//! Watching the instances (Redis's `sentinelTimer` and the reply callbacks): per instance, every timer tick,
//!
//! ```text
//!  reconnect (at most once per ping period) ─▶ AUTH? CLIENT SETNAME sentinel-<id8>-cmd, PING   (command link)
//!                                         └▶ AUTH? CLIENT SETNAME ...-pubsub, SUBSCRIBE __sentinel__:hello
//!  periodic: INFO every 10 s (1 s for a replica of a master in ODOWN or failover), PING when no pong for a ping
//!            period, PUBLISH hello every 2 s (to masters, replicas and, for sentinels, their command link)
//!  checks:   SDOWN after down-after-milliseconds without a valid pong; masters: ODOWN when the quorum of
//!            sentinels (asked with SENTINEL IS-MASTER-DOWN-BY-ADDR every second) agrees; failover (failover.rs)
//! ```
//!
//! TILT: when two timer runs are more than `tilt-trigger` apart (or time went back), the sentinel stops acting
//! for `tilt-period` (it keeps collecting replies), as Redis does.
//!
//! Connections are opened through the caller's `connect` function (the server's non-blocking connect) so this
//! file does no I/O; everything else is queued on [`Conn`]s.

use super::link::{Conn, Expected, Tag};
use super::proto::{self, Role, Value};
use super::{flags, FailoverState, InstRef, Sentinel, HELLO_CHANNEL, MAX_PENDING_COMMANDS};

/// Opens a non-blocking connection to `ip:port`.
pub type Connector<'a> = dyn FnMut(&str, u16) -> std::io::Result<crate::net::conn::Conn> + 'a;

impl Sentinel {
    /// The references of every instance: each master, then its replicas, then its sentinels.
    pub fn all_refs(&self) -> Vec<InstRef> {
        let mut out = Vec::new();
        for m in &self.masters {
            out.push(InstRef::Master(m.name.clone()));
            for r in &m.replicas {
                out.push(InstRef::Replica(m.name.clone(), r.addr.ip.clone(), r.addr.port));
            }
            for s in &m.sentinels {
                out.push(InstRef::Sentinel(m.name.clone(), s.addr.ip.clone(), s.addr.port));
            }
        }
        out
    }

    fn conn_mut(&mut self, fd: Option<i32>) -> Option<&mut Conn> {
        let fd = fd?;
        self.conns.iter_mut().find(|c| c.raw_fd() == fd)
    }

    /// Queues a command on the command link of `r` (the name mapped through `rename-command`); false when there
    /// is no link.
    pub fn send_cmd(&mut self, r: &InstRef, argv: &[&str], tag: Tag) -> bool {
        let Some(fd) = self.link_of(r).and_then(|l| l.cc) else { return false };
        let mut owned: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
        owned[0] = self.map_command(r, argv[0]);
        let Some(c) = self.conn_mut(Some(fd)) else { return false };
        c.send(&owned, tag, r);
        if let Some(l) = self.link_of_mut(r) {
            l.pending_commands += 1;
        }
        true
    }

    /// `cmd` as the master of `r` renamed it (replicas share their master's table; sentinels never rename).
    fn map_command(&self, r: &InstRef, cmd: &str) -> String {
        match r {
            InstRef::Sentinel(..) => cmd.to_string(),
            _ => self.master(r.master_name()).map_or(cmd.to_string(), |m| m.command_name(cmd)),
        }
    }

    /// Closes a connection of a link (Redis's `instanceLinkCloseConnection`): every instance sharing the link sees
    /// it disconnected.
    pub fn close_conn(&mut self, fd: i32) {
        let Some(pos) = self.conns.iter().position(|c| c.raw_fd() == fd) else { return };
        let c = self.conns.swap_remove(pos);
        if let Some(l) = self.link_mut(c.link) {
            if l.cc == Some(fd) {
                l.cc = None;
                l.pending_commands = 0;
            }
            if l.pc == Some(fd) {
                l.pc = None;
            }
        }
        self.closed.push(c);
    }

    /// Closes both connections of the link of `r` (shared with other instances or not).
    pub fn close_links(&mut self, r: &InstRef) {
        let Some(l) = self.link_of(r) else { return };
        let fds: Vec<i32> = l.cc.into_iter().chain(l.pc).collect();
        for fd in fds {
            self.close_conn(fd);
        }
    }

    /// After instances were removed (a reset, a removal, a sentinel that moved or restarted): recounts the owners
    /// of every link, frees the links nobody uses any more with their connections (Redis's
    /// `releaseInstanceLink`), and closes any connection whose link is not using it.
    ///
    /// A link still used by others keeps its connections; the replies still expected there for a removed
    /// instance become [`Tag::Discard`] (counted, read by nobody), and [`Sentinel::on_reply`] routes a reply only
    /// to an instance that still uses the connection's link.
    pub fn release_links(&mut self) {
        let mut owners = vec![0usize; self.links.len()];
        for m in &self.masters {
            for i in std::iter::once(m).chain(&m.replicas).chain(&m.sentinels) {
                if let Some(n) = owners.get_mut(i.link) {
                    *n += 1;
                }
            }
        }
        for (slot, n) in self.links.iter_mut().zip(owners) {
            match slot {
                Some(l) if n == 0 => {
                    l.refcount = 0;
                    *slot = None;
                }
                Some(l) => l.refcount = n,
                None => {}
            }
        }
        // Replies still expected for an instance that is gone (or uses another link now) will be dropped, even
        // if an instance of the same address comes back meanwhile (Redis's `releaseInstanceLink` rebinding).
        let mut stale = Vec::new();
        for (ci, c) in self.conns.iter().enumerate() {
            for (pi, (tag, r)) in c.pending.iter().enumerate() {
                if *tag != Tag::Discard && self.instance(r).map(|i| i.link) != Some(c.link) {
                    stale.push((ci, pi));
                }
            }
        }
        for (ci, pi) in stale {
            if let Some((tag, _)) = self.conns.get_mut(ci).and_then(|c| c.pending.get_mut(pi)) {
                *tag = Tag::Discard;
            }
        }
        let orphans: Vec<i32> = self
            .conns
            .iter()
            .filter(|c| {
                self.links
                    .get(c.link)
                    .and_then(Option::as_ref)
                    .is_none_or(|l| l.cc != Some(c.raw_fd()) && l.pc != Some(c.raw_fd()))
            })
            .map(|c| c.raw_fd())
            .collect();
        for fd in orphans {
            self.close_conn(fd);
        }
    }

    /// Makes the sentinel instance `r` use the link of the same sentinel (same run id) in another master's group,
    /// releasing its own (Redis's `sentinelTryConnectionSharing`). True when it now shares; never for a sentinel
    /// of no run id, nor one already sharing.
    pub fn try_share_link(&mut self, r: &InstRef) -> bool {
        let InstRef::Sentinel(master, ..) = r else { return false };
        let Some(i) = self.instance(r) else { return false };
        let Some(runid) = i.runid.as_deref() else { return false };
        let own = i.link;
        if self.link(own).refcount > 1 {
            return false;
        }
        let found = self
            .masters
            .iter()
            .filter(|m| m.name != *master)
            .find_map(|m| m.sentinels.iter().find(|s| s.runid.as_deref() == Some(runid)))
            .map(|s| s.link)
            .filter(|&l| l != own && self.links.get(l).is_some_and(Option::is_some));
        let Some(shared) = found else { return false };
        if let Some(i) = self.instance_mut(r) {
            i.link = shared;
        }
        // The instance's own link has no other owner: freed, its connections closed.
        self.release_links();
        true
    }

    /// The AUTH to send first on a link of `r`, if any.
    fn auth_argv(&self, r: &InstRef) -> Option<Vec<String>> {
        let (user, pass) = match r {
            // Without `sentinel-pass`, this sentinel's own `requirepass` (Redis's compatibility with old configs).
            InstRef::Sentinel(..) => match &self.sentinel_auth_pass {
                Some(p) => (self.sentinel_auth_user.clone(), Some(p.clone())),
                None => (None, self.requirepass.clone()),
            },
            _ => {
                let m = self.master(r.master_name())?;
                (m.auth_user.clone(), m.auth_pass.clone())
            }
        };
        let pass = pass?;
        Some(match user {
            Some(u) => vec![self.map_command(r, "AUTH"), u, pass],
            None => vec![self.map_command(r, "AUTH"), pass],
        })
    }

    /// Opens the missing connections of `r` (Redis's `sentinelReconnectInstance`).
    fn reconnect(&mut self, r: &InstRef, now: i64, connect: &mut Connector) {
        let ping_period = self.timing.ping_period;
        let resolve = self.resolve_hostnames;
        let Some(i) = self.instance(r) else { return };
        let (needs_pc, id) = (i.needs_pubsub(), i.link);
        let l = self.link(id);
        if !l.disconnected(needs_pc) || i.addr.port == 0 || now - l.last_reconn_time < ping_period {
            return;
        }
        let (host, port, cc_missing) = (i.addr.hostname.clone(), i.addr.port, l.cc.is_none());
        if resolve && cc_missing {
            if let Ok(a) = self.make_addr(&host, port as i64, false) {
                if let Some(i) = self.instance_mut(r) {
                    i.addr = a;
                }
            }
        }
        let Some(ip) = self.instance(r).map(|i| i.addr.ip.clone()) else { return };
        let Some(l) = self.link_mut(id) else { return };
        l.last_reconn_time = now;
        let pc_missing = needs_pc && l.pc.is_none();
        let short_id: String = self.myid.chars().take(8).collect();
        if cc_missing {
            match connect(&ip, port) {
                Ok(fd) => {
                    let mut c = Conn::new(fd, id, false);
                    let raw = c.raw_fd();
                    let mut pending = 0;
                    if let Some(auth) = self.auth_argv(r) {
                        c.send(&auth, Tag::Discard, r);
                        pending += 1;
                    }
                    let name = format!("sentinel-{short_id}-cmd");
                    c.send(&[self.map_command(r, "CLIENT").as_str(), "SETNAME", &name], Tag::Discard, r);
                    c.send(&[self.map_command(r, "PING")], Tag::Ping, r);
                    self.conns.push(c);
                    if let Some(l) = self.link_mut(id) {
                        l.cc = Some(raw);
                        l.pending_commands = pending + 2;
                        l.cc_conn_time = now;
                        l.last_ping_time = now;
                        if l.act_ping_time == 0 {
                            l.act_ping_time = now;
                        }
                    }
                }
                Err(e) => crate::log_debug!("-cmd-link-reconnection {ip}:{port} #{e}"),
            }
        }
        if pc_missing {
            match connect(&ip, port) {
                Ok(fd) => {
                    let mut c = Conn::new(fd, id, true);
                    let raw = c.raw_fd();
                    if let Some(auth) = self.auth_argv(r) {
                        c.send(&auth, Tag::Discard, r);
                    }
                    let name = format!("sentinel-{short_id}-pubsub");
                    c.send(&[self.map_command(r, "CLIENT").as_str(), "SETNAME", &name], Tag::Discard, r);
                    c.send(&[self.map_command(r, "SUBSCRIBE").as_str(), HELLO_CHANNEL], Tag::Subscribe, r);
                    self.conns.push(c);
                    if let Some(l) = self.link_mut(id) {
                        l.pc = Some(raw);
                        l.pc_conn_time = now;
                        l.pc_last_activity = now;
                    }
                }
                Err(e) => crate::log_debug!("-pubsub-link-reconnection {ip}:{port} #{e}"),
            }
        }
    }

    /// INFO, PING and hello as they fall due (Redis's `sentinelSendPeriodicCommands`).
    fn send_periodic(&mut self, r: &InstRef, now: i64) {
        let t = self.timing.clone();
        let Some(m) = self.master(r.master_name()) else { return };
        let master_busy = m.is(flags::O_DOWN | flags::FAILOVER_IN_PROGRESS);
        let Some(i) = self.instance(r) else { return };
        let l = self.link(i.link);
        // A shared link takes as many unanswered commands per instance sharing it (Redis's limit times refcount).
        if l.disconnected(i.needs_pubsub()) || l.pending_commands >= MAX_PENDING_COMMANDS.saturating_mul(l.refcount) {
            return;
        }
        let info_period =
            if i.is(flags::SLAVE) && (master_busy || i.master_link_down_time != 0) { 1000 } else { t.info_period };
        let ping_period = i.down_after_period.min(t.ping_period);
        let want_info = !i.is(flags::SENTINEL) && (i.info_refresh == 0 || now - i.info_refresh > info_period);
        let want_ping = now - l.last_pong_time > ping_period && now - l.last_ping_time > ping_period / 2;
        let want_hello = now - i.last_pub_time > t.publish_period;
        if want_info {
            self.send_cmd(r, &["INFO"], Tag::Info);
        }
        if want_ping {
            self.send_ping(r, now);
        }
        if want_hello {
            self.send_hello(r);
        }
    }

    fn send_ping(&mut self, r: &InstRef, now: i64) {
        if self.send_cmd(r, &["PING"], Tag::Ping) {
            if let Some(l) = self.link_of_mut(r) {
                l.last_ping_time = now;
                if l.act_ping_time == 0 {
                    l.act_ping_time = now;
                }
            }
        }
    }

    /// The hello message this sentinel publishes about the master of `r`, through `r`'s command link.
    fn send_hello(&mut self, r: &InstRef) {
        let Some(i) = self.instance(r) else { return };
        let l = self.link(i.link);
        if l.disconnected(i.needs_pubsub()) {
            return;
        }
        let announce_ip = match &self.announce_ip {
            Some(ip) => ip.clone(),
            None => {
                let Some(fd) = l.cc else { return };
                match crate::sys::socket::local_addr(fd) {
                    Some((ip, _)) => ip.to_string(),
                    None => return,
                }
            }
        };
        // Redis's sentinelSendHello: announce-port, else the TLS port when the links are TLS, else the port.
        let port = [self.announce_port, self.tls_port, self.port].into_iter().find(|&p| p != 0).unwrap_or(0);
        let Some(m) = self.master(r.master_name()) else { return };
        let maddr = self.current_master_addr(m);
        let payload = format!(
            "{announce_ip},{port},{},{},{},{},{},{}",
            self.myid,
            self.current_epoch,
            m.name,
            self.announce(maddr),
            maddr.port,
            m.config_epoch
        );
        self.send_cmd(r, &["PUBLISH", HELLO_CHANNEL, &payload], Tag::Publish);
    }

    /// Makes the next timer run send hellos about master `name` at once (Redis's
    /// `sentinelForceHelloUpdateForMaster`).
    pub fn force_hello_update(&mut self, name: &str) {
        let p = self.timing.publish_period + 1;
        let Some(m) = self.master_mut(name) else { return };
        for i in std::iter::once(&mut *m).chain([]) {
            if i.last_pub_time >= p {
                i.last_pub_time -= p;
            }
        }
        for i in m.sentinels.iter_mut().chain(m.replicas.iter_mut()) {
            if i.last_pub_time >= p {
                i.last_pub_time -= p;
            }
        }
    }

    /// One timer run (Redis's `sentinelTimer` without the scripts).
    pub fn timer(&mut self, now: i64, connect: &mut Connector) {
        let delta = now - self.previous_time;
        if delta < 0 || delta > self.timing.tilt_trigger {
            self.tilt = true;
            self.tilt_start_time = now;
            self.publish_event(true, "+tilt", "#tilt mode entered".into());
        }
        self.previous_time = now;
        let names: Vec<String> = self.masters.iter().map(|m| m.name.clone()).collect();
        let mut switch_to_promoted = None;
        for name in names {
            let refs: Vec<InstRef> = self.all_refs().into_iter().filter(|r| r.master_name() == name).collect();
            for r in refs {
                self.handle_instance(&r, now, connect);
            }
            if self.master(&name).is_some_and(|m| m.failover_state == FailoverState::UpdateConfig) {
                switch_to_promoted = Some(name);
            }
        }
        if let Some(name) = switch_to_promoted {
            self.switch_to_promoted(&name, now);
        }
        self.scripts_step(now);
    }

    fn handle_instance(&mut self, r: &InstRef, now: i64, connect: &mut Connector) {
        self.reconnect(r, now, connect);
        self.send_periodic(r, now);
        if self.tilt {
            if now - self.tilt_start_time < self.timing.tilt_period {
                return;
            }
            self.tilt = false;
            self.publish_event(true, "-tilt", "#tilt mode exited".into());
        }
        self.check_sdown(r, now);
        if let InstRef::Master(name) = r {
            self.check_odown(name, now);
            if self.start_failover_if_needed(name, now) {
                self.ask_master_state(name, true, now);
            }
            self.failover_step(name, now);
            self.ask_master_state(name, false, now);
        }
    }

    /// SDOWN (Redis's `sentinelCheckSubjectivelyDown`), and closing links that look stuck.
    fn check_sdown(&mut self, r: &InstRef, now: i64) {
        let t = self.timing.clone();
        let Some(i) = self.instance(r) else { return };
        let l = self.link(i.link);
        let elapsed = if l.act_ping_time != 0 {
            now - l.act_ping_time
        } else if l.disconnected(i.needs_pubsub()) {
            now - l.last_avail_time
        } else {
            0
        };
        let stuck_cc = l.cc.filter(|_| {
            now - l.cc_conn_time > t.min_link_reconnect_period
                && l.act_ping_time != 0
                && now - l.act_ping_time > i.down_after_period / 2
                && now - l.last_pong_time > i.down_after_period / 2
        });
        let stuck_pc = l.pc.filter(|_| {
            now - l.pc_conn_time > t.min_link_reconnect_period
                && now - l.pc_last_activity > t.publish_period.saturating_mul(3)
        });
        let down = elapsed > i.down_after_period
            || (i.is(flags::MASTER)
                && i.role_reported == flags::SLAVE
                && now - i.role_reported_time > i.down_after_period.saturating_add(t.info_period.saturating_mul(2)))
            || (i.is(flags::MASTER_REBOOT) && now - i.master_reboot_since_time > i.master_reboot_down_after_period);
        let was_down = i.is(flags::S_DOWN);
        for fd in stuck_cc.into_iter().chain(stuck_pc) {
            self.close_conn(fd);
        }
        if down && !was_down {
            self.event_at(true, "+sdown", r, "");
            if let Some(i) = self.instance_mut(r) {
                i.s_down_since_time = now;
                i.flags |= flags::S_DOWN;
            }
        } else if !down && was_down {
            self.event_at(true, "-sdown", r, "");
            if let Some(i) = self.instance_mut(r) {
                i.flags &= !(flags::S_DOWN | flags::SCRIPT_KILL_SENT);
            }
        }
    }

    /// ODOWN (Redis's `sentinelCheckObjectivelyDown`).
    fn check_odown(&mut self, name: &str, now: i64) {
        let Some(m) = self.master(name) else { return };
        let mut votes = 0;
        let mut odown = false;
        if m.is(flags::S_DOWN) {
            votes = 1 + m.sentinels.iter().filter(|s| s.is(flags::MASTER_DOWN)).count() as u32;
            odown = votes >= m.quorum;
        }
        let (was, quorum) = (m.is(flags::O_DOWN), m.quorum);
        let r = InstRef::Master(name.to_string());
        if odown && !was {
            self.event_at(true, "+odown", &r, &format!("#quorum {votes}/{quorum}"));
            if let Some(m) = self.master_mut(name) {
                m.flags |= flags::O_DOWN;
                m.o_down_since_time = now;
            }
        } else if !odown && was {
            self.event_at(true, "-odown", &r, "");
            if let Some(m) = self.master_mut(name) {
                m.flags &= !flags::O_DOWN;
            }
        }
    }

    /// Asks the other sentinels whether they see the master down (and for their vote once a failover started).
    pub fn ask_master_state(&mut self, name: &str, forced: bool, now: i64) {
        let ask_period = self.timing.ask_period;
        let myid = self.myid.clone();
        let epoch = self.current_epoch;
        let links = &self.links;
        let Some(m) = self.masters.iter_mut().find(|m| m.name == name) else { return };
        let sdown = m.is(flags::S_DOWN);
        let ip = m.addr.ip.clone();
        let port = m.addr.port.to_string();
        let runid = if m.failover_state != FailoverState::None { myid } else { "*".to_string() };
        let mut to_ask = Vec::new();
        for s in m.sentinels.iter_mut() {
            if now - s.last_master_down_reply_time > ask_period.saturating_mul(5) {
                s.flags &= !flags::MASTER_DOWN;
                s.leader = None;
            }
            if !sdown || links.get(s.link).and_then(Option::as_ref).is_none_or(|l| l.disconnected(false)) {
                continue;
            }
            if !forced && now - s.last_master_down_reply_time < ask_period {
                continue;
            }
            to_ask.push(InstRef::Sentinel(name.to_string(), s.addr.ip.clone(), s.addr.port));
        }
        let announce_ip = match self.master(name) {
            Some(m) => self.announce(&m.addr).to_string(),
            None => ip,
        };
        let epoch = epoch.to_string();
        for r in to_ask {
            self.send_cmd(
                &r,
                &["SENTINEL", "is-master-down-by-addr", &announce_ip, &port, &epoch, &runid],
                Tag::IsMasterDown,
            );
        }
    }

    /// A reply (or a pub/sub push) read on connection `fd`, with the tag and instance its command queued.
    ///
    /// The reply counts against the connection's link; it goes to its instance only while that instance exists
    /// and still uses this link (Redis rebinds the callbacks of a released instance to one that ignores them).
    pub fn on_reply(&mut self, fd: i32, tag: Option<Expected>, v: Value, now: i64) {
        let Some(c) = self.conns.iter().find(|c| c.raw_fd() == fd) else { return };
        let (id, pubsub) = (c.link, c.pubsub);
        if pubsub {
            if let Some(l) = self.link_mut(id) {
                l.pc_last_activity = now;
            }
            if matches!(tag, Some((Tag::Subscribe, _))) && matches!(v, Value::Error(_)) {
                return self.close_conn(fd);
            }
            if tag.is_none() {
                if let Value::Array(Some(items)) = &v {
                    if let [Value::Bulk(Some(kind)), Value::Bulk(Some(_)), Value::Bulk(Some(msg))] = items.as_slice() {
                        if kind == b"message" && memchr::memmem::find(msg, self.myid.as_bytes()).is_none() {
                            self.process_hello(msg, now);
                        }
                    }
                }
            }
            return;
        }
        let Some((tag, r)) = tag else { return };
        if let Some(l) = self.link_mut(id) {
            l.pending_commands = l.pending_commands.saturating_sub(1);
        }
        if self.instance(&r).map(|i| i.link) != Some(id) {
            return;
        }
        match tag {
            Tag::Discard => {}
            Tag::Ping => self.on_ping_reply(&r, &v, now),
            Tag::Info => {
                if let Value::Bulk(Some(info)) = v {
                    self.refresh_info(&r, info, now);
                }
            }
            Tag::Publish => {
                if !matches!(v, Value::Error(_)) {
                    if let Some(i) = self.instance_mut(&r) {
                        i.last_pub_time = now;
                    }
                }
            }
            Tag::IsMasterDown => self.on_is_master_down_reply(&r, v, now),
            Tag::Subscribe => {}
        }
    }

    fn on_ping_reply(&mut self, r: &InstRef, v: &Value, now: i64) {
        let (busy_kill, valid) = {
            let Some(i) = self.instance_mut(r) else { return };
            let (mut busy_kill, mut valid) = (false, false);
            if let Value::Status(s) | Value::Error(s) = v {
                if s.starts_with(b"PONG") || s.starts_with(b"LOADING") || s.starts_with(b"MASTERDOWN") {
                    valid = true;
                    if i.is(flags::MASTER_REBOOT) && s.starts_with(b"PONG") {
                        i.flags &= !flags::MASTER_REBOOT;
                    }
                } else if s.starts_with(b"BUSY") && i.is(flags::S_DOWN) && !i.is(flags::SCRIPT_KILL_SENT) {
                    i.flags |= flags::SCRIPT_KILL_SENT;
                    busy_kill = true;
                }
            }
            (busy_kill, valid)
        };
        // The times are the link's: one pong answers for every instance sharing it.
        if let Some(l) = self.link_of_mut(r) {
            if valid {
                l.last_avail_time = now;
                l.act_ping_time = 0;
            }
            l.last_pong_time = now;
        }
        if busy_kill {
            self.send_cmd(r, &["SCRIPT", "KILL"], Tag::Discard);
        }
    }

    fn on_is_master_down_reply(&mut self, r: &InstRef, v: Value, now: i64) {
        let Value::Array(Some(items)) = v else { return };
        let [Value::Int(down), Value::Bulk(Some(leader)), Value::Int(epoch)] = items.as_slice() else { return };
        let Some(i) = self.instance_mut(r) else { return };
        i.last_master_down_reply_time = now;
        if *down == 1 {
            i.flags |= flags::MASTER_DOWN;
        } else {
            i.flags &= !flags::MASTER_DOWN;
        }
        if leader.as_slice() != b"*" {
            let leader = String::from_utf8_lossy(leader).into_owned();
            if i.leader_epoch as i64 != *epoch {
                crate::log_warning!("{} voted for {} {}", i.name, leader, *epoch as u64);
            }
            i.leader = Some(leader);
            i.leader_epoch = *epoch as u64;
        }
    }

    /// A hello from another sentinel (Redis's `sentinelProcessHelloMessage`).
    pub fn process_hello(&mut self, msg: &[u8], now: i64) {
        let Some(h) = proto::parse_hello(msg) else { return };
        let Some(m) = self.master(&h.master_name) else { return };
        let name = m.name.clone();
        let known = m
            .sentinels
            .iter()
            .any(|s| s.addr.ip == h.ip && s.addr.port as i64 == h.port && s.runid.as_deref() == Some(&h.runid));
        let si = known || self.learn_sentinel(&name, &h, now);
        if h.current_epoch > self.current_epoch {
            self.current_epoch = h.current_epoch;
            self.flush_requested = true;
            let e = self.current_epoch.to_string();
            self.event_at(true, "+new-epoch", &InstRef::Master(name.clone()), &e);
        }
        let Some(m) = self.master(&name) else { return };
        if si && m.config_epoch < h.master_config_epoch {
            let moved = h.master_port != m.addr.port as i64 || !addr_equals_hostname(&m.addr, &h.master_ip);
            if let Some(m) = self.master_mut(&name) {
                m.config_epoch = h.master_config_epoch;
            }
            if moved {
                let sref = InstRef::Sentinel(name.clone(), h.ip.clone(), h.port as u16);
                self.event_at(true, "+config-update-from", &sref, "");
                let Some(m) = self.master(&name) else { return };
                let text =
                    format!("{} {} {} {} {}", name, self.announce(&m.addr), m.addr.port, h.master_ip, h.master_port);
                let old_addr = m.addr.clone();
                // `+switch-master` carries only its own text (Redis's "%s %s %d %s %d" without `%@`).
                self.emit(true, "+switch-master", text, Some(&name));
                self.reset_master_and_change_address(&name, &h.master_ip, h.master_port, now);
                if let Some(new_addr) = self.master(&name).map(|m| m.addr.clone()) {
                    self.call_client_reconf_script(&name, false, &old_addr, &new_addr);
                }
            }
        }
        if let Some(s) = self
            .master_mut(&name)
            .and_then(|m| m.sentinels.iter_mut().find(|s| s.addr.ip == h.ip && s.addr.port as i64 == h.port))
        {
            s.last_hello_time = now;
        }
    }

    /// A hello from a sentinel master `name` does not know at that address with that run id: drops the stale
    /// entries (a moved sentinel, or a restarted one) and adds it. True when it was added.
    fn learn_sentinel(&mut self, name: &str, h: &proto::Hello, now: i64) -> bool {
        // The same run id at another address: the sentinel moved.
        let moved = self.remove_sentinel_by_runid(name, &h.runid);
        if moved {
            self.event_at(
                false,
                "+sentinel-address-switch",
                &InstRef::Master(name.to_string()),
                &format!("ip {} port {} for {}", h.ip, h.port, h.runid),
            );
        } else if let Some(other) = self.master(name).and_then(|m| {
            m.sentinels.iter().find(|s| s.addr.ip == h.ip && s.addr.port as i64 == h.port).and_then(|s| s.runid.clone())
        }) {
            // Another run id at this address: that one is gone (restarted with a new id).
            let r = InstRef::Sentinel(name.to_string(), h.ip.clone(), h.port as u16);
            self.event_at(false, "+sentinel-invalid-addr", &r, "");
            let names: Vec<String> = self.masters.iter().map(|m| m.name.clone()).collect();
            for n in names {
                self.remove_sentinel_by_runid(&n, &other);
            }
        }
        if self.add_sentinel(name, &h.runid, &h.ip, h.port, now).is_err() {
            return false;
        }
        let r = InstRef::Sentinel(name.to_string(), h.ip.clone(), h.port as u16);
        if !moved {
            self.event_at(false, "+sentinel", &r, "");
        } else {
            self.update_sentinel_address_in_all_masters(name, &r, &h.runid);
        }
        self.flush_requested = true;
        true
    }

    /// Every other master watched by the sentinel `r` (of run id `runid`) that moved learns its new address in
    /// place, keeping what it knew of it (Redis's `sentinelUpdateSentinelAddressInAllMasters`), and the links,
    /// which may still be connected to the old address, reconnect.
    fn update_sentinel_address_in_all_masters(&mut self, name: &str, r: &InstRef, runid: &str) {
        let new_addr = self.instance(r).map(|i| i.addr.clone());
        let mut moved_refs = vec![r.clone()];
        if let Some(addr) = new_addr {
            for m in self.masters.iter_mut().filter(|m| m.name != name) {
                if let Some(s) = m.sentinels.iter_mut().find(|s| s.runid.as_deref() == Some(runid)) {
                    s.addr = addr.clone();
                    moved_refs.push(InstRef::Sentinel(m.name.clone(), addr.ip.clone(), addr.port));
                }
            }
        }
        let updated = moved_refs.len() - 1;
        for x in &moved_refs {
            self.close_links(x);
        }
        if updated > 0 {
            self.event_at(false, "+sentinel-address-update", r, &format!("{updated} additional matching instances"));
        }
    }

    /// Removes the sentinel of run id `runid` from master `name`; true when there was one.
    fn remove_sentinel_by_runid(&mut self, name: &str, runid: &str) -> bool {
        let Some(m) = self.master_mut(name) else { return false };
        let Some(pos) = m.sentinels.iter().position(|s| s.runid.as_deref() == Some(runid)) else { return false };
        m.sentinels.remove(pos);
        self.release_links();
        true
    }

    /// A new INFO reply from `r` (Redis's `sentinelRefreshInstanceInfo`).
    pub fn refresh_info(&mut self, r: &InstRef, info: Vec<u8>, now: i64) {
        let f = proto::parse_info(&info);
        let Some(reboot) = self.store_info(r, info, &f, now) else { return };
        if reboot {
            self.event_at(false, "+reboot", r, "");
        }
        if let InstRef::Master(name) = r {
            self.discover_replicas(name, &f.replicas, now);
        }
        let role = match f.role {
            Role::Master => flags::MASTER,
            Role::Replica => flags::SLAVE,
            Role::Unknown => 0,
        };
        {
            let Some(i) = self.instance_mut(r) else { return };
            if role == flags::SLAVE {
                update_replica_fields(i, &f, now);
            }
            i.info_refresh = now;
        }
        let Some(i) = self.instance(r) else { return };
        if role != i.role_reported {
            self.note_role_change(r, role, now);
        }
        if self.tilt {
            return;
        }
        let InstRef::Replica(name, ..) = r else { return };
        let Some(m) = self.master(name) else { return };
        if self.instance(r).is_none() {
            return;
        }
        let master_addr = m.addr.clone();
        self.handle_replica_reported_master(r, name, role, &master_addr, now);
        self.fix_replica_config(r, name, role, &master_addr, now);
        self.track_replica_reconf(r, name, role);
    }

    /// Keeps the INFO text and the link-down time of `r`, and its run id: `Some(true)` when that changed (a
    /// reboot, flagged on a master with `master-reboot-down-after-period`), `None` when `r` is gone.
    fn store_info(&mut self, r: &InstRef, info: Vec<u8>, f: &proto::InfoFacts, now: i64) -> Option<bool> {
        let mut reboot = false;
        let i = self.instance_mut(r)?;
        i.info = Some(info);
        i.master_link_down_time = f.master_link_down_since_ms;
        if let Some(id) = &f.run_id {
            match &i.runid {
                None => i.runid = Some(id.clone()),
                Some(old) if old != id => {
                    reboot = true;
                    if i.is(flags::MASTER) && i.master_reboot_down_after_period != 0 {
                        i.flags |= flags::MASTER_REBOOT;
                        i.master_reboot_since_time = now;
                    }
                    i.runid = Some(id.clone());
                }
                Some(_) => {}
            }
        }
        Some(reboot)
    }

    /// The replicas a master's INFO lists: the ones master `name` does not know yet are added (`+slave`).
    fn discover_replicas(&mut self, name: &str, replicas: &[(String, i64)], now: i64) {
        for (ip, port) in replicas {
            let exists = self.master(name).is_some_and(|m| {
                m.replicas.iter().any(|s| s.addr.port as i64 == *port && addr_equals_hostname(&s.addr, ip))
            });
            if !exists && self.add_replica(name, ip, *port, now).is_ok() {
                let a = self.make_addr(ip, *port, true).ok();
                if let Some(a) = a {
                    let rr = InstRef::Replica(name.to_string(), a.ip, a.port);
                    self.event_at(false, "+slave", &rr, "");
                }
                self.flush_requested = true;
            }
        }
    }

    /// `r` reports a role other than the one it reported before: `+role-change` (the role we have for it) or
    /// `-role-change`.
    fn note_role_change(&mut self, r: &InstRef, role: u32, now: i64) {
        let Some(i) = self.instance(r) else { return };
        let same = (i.flags & (flags::MASTER | flags::SLAVE)) == role;
        let kind = if same { "+role-change" } else { "-role-change" };
        let text = format!("new reported role is {}", if role == flags::MASTER { "master" } else { "slave" });
        if let Some(i) = self.instance_mut(r) {
            i.role_reported_time = now;
            i.role_reported = role;
            if role == flags::SLAVE {
                i.slave_conf_change_time = now;
            }
        }
        // A verbose-level event in Redis: published, logged only at verbose.
        self.event_at(false, kind, r, &text);
    }

    /// A replica of master `name` that reports itself a master: the one we promoted moves the failover on to
    /// reconfiguring the others; any other is turned back into a replica once the master looks sane.
    fn handle_replica_reported_master(
        &mut self,
        r: &InstRef,
        name: &str,
        role: u32,
        master_addr: &super::Addr,
        now: i64,
    ) {
        let Some(m) = self.master(name) else { return };
        let Some(i) = self.instance(r) else { return };
        let failover_waiting = m.is(flags::FAILOVER_IN_PROGRESS) && m.failover_state == FailoverState::WaitPromotion;
        if role != flags::MASTER {
            return;
        }
        if i.is(flags::PROMOTED) && failover_waiting {
            // Our promotion worked: on to reconfiguring the other replicas.
            if let Some(m) = self.master_mut(name) {
                m.config_epoch = m.failover_epoch;
                m.failover_state = FailoverState::ReconfSlaves;
                m.failover_state_change_time = now;
            }
            self.flush_requested = true;
            self.event_at(true, "+promoted-slave", r, "");
            if self.simfailure_flags & super::SIMFAILURE_CRASH_AFTER_PROMOTION != 0 {
                self.sim_failure_crash();
            }
            self.event_at(true, "+failover-state-reconf-slaves", &InstRef::Master(name.to_string()), "");
            if let Some(promoted) = self.instance(r).map(|i| i.addr.clone()) {
                self.call_client_reconf_script(name, true, master_addr, &promoted);
            }
            self.force_hello_update(name);
        } else {
            let wait = self.timing.publish_period.saturating_mul(4);
            if !i.is(flags::PROMOTED)
                && self.master_looks_sane(name, now)
                && no_down_for(i, wait, now)
                && now - i.role_reported_time > wait
                && self.send_slaveof(r, Some(master_addr))
            {
                self.event_at(false, "+convert-to-slave", r, "");
            }
        }
    }

    /// A replica of master `name` that follows another address is pointed back at its master once the
    /// configuration has been stable for a failover timeout (`+fix-slave-config`).
    fn fix_replica_config(&mut self, r: &InstRef, name: &str, role: u32, master_addr: &super::Addr, now: i64) {
        let Some(i) = self.instance(r) else { return };
        let Some(m) = self.master(name) else { return };
        let failover_timeout = m.failover_timeout;
        if role == flags::SLAVE
            && (i.slave_master_port != master_addr.port as i64
                || !i.slave_master_host.as_deref().is_some_and(|h| addr_equals_hostname(master_addr, h)))
            && self.master_looks_sane(name, now)
            && no_down_for(i, failover_timeout, now)
            && now - i.slave_conf_change_time > failover_timeout
            && self.send_slaveof(r, Some(master_addr))
        {
            self.event_at(false, "+fix-slave-config", r, "");
        }
    }

    /// A replica being reconfigured during a failover: RECONF_SENT → RECONF_INPROG once it follows the promoted
    /// replica, → RECONF_DONE once its link to it is up.
    fn track_replica_reconf(&mut self, r: &InstRef, name: &str, role: u32) {
        let Some(i) = self.instance(r) else { return };
        let Some(m) = self.master(name) else { return };
        if role == flags::SLAVE && i.is(flags::RECONF_SENT | flags::RECONF_INPROG) {
            let promoted = m.promoted.clone();
            let now_following = promoted.as_ref().is_some_and(|p| {
                i.slave_master_host.as_deref().is_some_and(|h| addr_equals_hostname(p, h))
                    && i.slave_master_port == p.port as i64
            });
            if i.is(flags::RECONF_SENT) && now_following {
                if let Some(i) = self.instance_mut(r) {
                    i.flags = (i.flags & !flags::RECONF_SENT) | flags::RECONF_INPROG;
                }
                self.event_at(false, "+slave-reconf-inprog", r, "");
            }
            let Some(i) = self.instance(r) else { return };
            if i.is(flags::RECONF_INPROG) && i.slave_master_link_up {
                if let Some(i) = self.instance_mut(r) {
                    i.flags = (i.flags & !flags::RECONF_INPROG) | flags::RECONF_DONE;
                }
                self.event_at(false, "+slave-reconf-done", r, "");
            }
        }
    }

    /// Redis's `sentinelMasterLooksSane`.
    pub fn master_looks_sane(&self, name: &str, now: i64) -> bool {
        self.master(name).is_some_and(|m| {
            m.role_reported == flags::MASTER
                && !m.is(flags::S_DOWN | flags::O_DOWN)
                && now - m.info_refresh < self.timing.info_period.saturating_mul(2)
        })
    }

    /// `REPLICAOF host port` (or `NO ONE`) the way Redis sends it: MULTI, REPLICAOF, CONFIG REWRITE, CLIENT KILL
    /// TYPE normal, CLIENT KILL TYPE pubsub, EXEC. False when `r` has no command link.
    pub fn send_slaveof(&mut self, r: &InstRef, to: Option<&super::Addr>) -> bool {
        let (host, port) = match to {
            Some(a) => (self.announce(a).to_string(), a.port.to_string()),
            None => ("NO".to_string(), "ONE".to_string()),
        };
        if !self.send_cmd(r, &["MULTI"], Tag::Discard) {
            return false;
        }
        self.send_cmd(r, &["SLAVEOF", &host, &port], Tag::Discard);
        self.send_cmd(r, &["CONFIG", "REWRITE"], Tag::Discard);
        self.send_cmd(r, &["CLIENT", "KILL", "TYPE", "normal"], Tag::Discard);
        self.send_cmd(r, &["CLIENT", "KILL", "TYPE", "pubsub"], Tag::Discard);
        self.send_cmd(r, &["EXEC"], Tag::Discard);
        true
    }

    /// `SENTINEL SIMULATE-FAILURE`'s crash: the server exits at once.
    pub fn sim_failure_crash(&mut self) {
        crate::log_warning!("Sentinel CRASH because of SENTINEL simulate-failure");
        self.crash_requested = true;
    }
}

/// Whether `a` is `host` (its IP or its name), as Redis's `sentinelAddrEqualsHostname`.
pub fn addr_equals_hostname(a: &super::Addr, host: &str) -> bool {
    a.ip.eq_ignore_ascii_case(host) || a.hostname.eq_ignore_ascii_case(host)
}

/// Redis's `sentinelRedisInstanceNoDownFor`.
fn no_down_for(i: &super::Instance, ms: i64, now: i64) -> bool {
    let most_recent = i.s_down_since_time.max(i.o_down_since_time);
    most_recent == 0 || now - most_recent > ms
}

/// What a replica's INFO says of its master and its replication (host, port, link, priority, offset); a new
/// master address marks a configuration change.
fn update_replica_fields(i: &mut super::Instance, f: &proto::InfoFacts, now: i64) {
    if let Some(h) = &f.master_host {
        if i.slave_master_host.as_ref().is_none_or(|old| !old.eq_ignore_ascii_case(h)) {
            i.slave_master_host = Some(h.clone());
            i.slave_conf_change_time = now;
        }
    }
    if let Some(p) = f.master_port {
        if i.slave_master_port != p {
            i.slave_master_port = p;
            i.slave_conf_change_time = now;
        }
    }
    if let Some(up) = f.master_link_up {
        i.slave_master_link_up = up;
    }
    if let Some(p) = f.slave_priority {
        i.slave_priority = p;
    }
    if let Some(o) = f.slave_repl_offset {
        i.slave_repl_offset = o;
    }
    if let Some(a) = f.replica_announced {
        i.replica_announced = a;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_connect(_: &str, _: u16) -> std::io::Result<crate::net::conn::Conn> {
        Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
    }

    #[test]
    fn tilt_after_a_time_jump_and_no_verdicts_during_it() {
        let mut s = Sentinel::new(26379, 0);
        s.myid = "a".repeat(40);
        s.add_master("m", "127.0.0.1", 1, 2, 0).unwrap();
        s.timer(100, &mut no_connect);
        assert!(!s.tilt);
        // The timer ran 5 s late: TILT, and the master unreachable since then is not judged down.
        s.timer(5100, &mut no_connect);
        assert!(s.tilt);
        assert!(s.events.iter().any(|(k, m)| k == "+tilt" && m == "#tilt mode entered"));
        s.timer(40_000, &mut no_connect);
        assert!(!s.master("m").unwrap().is(flags::S_DOWN), "no SDOWN in TILT");
        // Back to regular runs: TILT ends after tilt-period, and the unreachable master is now SDOWN.
        let mut now = 40_000;
        while now < 40_000 + s.timing.tilt_period + 200 {
            now += 100;
            s.timer(now, &mut no_connect);
        }
        assert!(!s.tilt);
        assert!(s.events.iter().any(|(k, _)| k == "-tilt"));
        assert!(s.master("m").unwrap().is(flags::S_DOWN));
        assert!(s.events.iter().any(|(k, m)| k == "+sdown" && m == "master m 127.0.0.1 1"));
    }

    #[test]
    fn hostile_hellos_keep_the_state_consistent() {
        let mut s = Sentinel::new(26379, 0);
        s.myid = "a".repeat(40);
        s.add_master("m", "127.0.0.1", 6379, 2, 0).unwrap();
        let mut rng = crate::util::Rng::new(7);
        let pieces: &[&str] =
            &["127.0.0.1", "::1", "26380", "-1", "99999", "m", "x", "", "18446744073709551616", "7000", "abc", "1"];
        for round in 0..3000 {
            let runid = format!("{:040x}", rng.below(4));
            let mut fields: Vec<String> =
                (0..8).map(|_| pieces[rng.below(pieces.len() as u64) as usize].to_string()).collect();
            fields[2] = runid;
            if rng.below(2) == 0 {
                fields[4] = "m".into();
            }
            let n = rng.below(10) as usize;
            let msg = fields[..n.min(8)].join(",");
            s.process_hello(msg.as_bytes(), round);
        }
        let m = s.master("m").expect("still monitored");
        assert!(m.sentinels.iter().all(|x| x.runid.is_some()));
        let mut runids: Vec<&String> = m.sentinels.iter().filter_map(|x| x.runid.as_ref()).collect();
        runids.sort();
        let before = runids.len();
        runids.dedup();
        assert_eq!(before, runids.len(), "one sentinel per run id");
    }

    /// Connections that open at once on `/dev/null` (nothing is ever written to them in these tests).
    fn null_connect(_: &str, _: u16) -> std::io::Result<crate::net::conn::Conn> {
        Ok(crate::net::conn::Conn::plain(std::fs::File::open("/dev/null")?.into()))
    }

    /// A time late enough for the first connections to be due at once.
    const T: i64 = 1_000_000;

    const PEER: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    /// This sentinel watches m1 and m2; the sentinel PEER said hello about both from 127.0.0.1:`port`.
    fn two_masters_one_peer(port: u16) -> Sentinel {
        let mut s = Sentinel::new(26379, T);
        s.myid = "a".repeat(40);
        s.add_master("m1", "127.0.0.1", 7001, 2, T).unwrap();
        s.add_master("m2", "127.0.0.1", 7002, 2, T).unwrap();
        for (m, mport) in [("m1", 7001), ("m2", 7002)] {
            s.process_hello(format!("127.0.0.1,{port},{PEER},0,{m},127.0.0.1,{mport},0").as_bytes(), T + 10);
        }
        s
    }

    fn peer(m: &str, port: u16) -> InstRef {
        InstRef::Sentinel(m.into(), "127.0.0.1".into(), port)
    }

    /// The command connections of link `id`.
    fn cmd_conns(s: &Sentinel, id: super::super::LinkId) -> Vec<i32> {
        s.conns.iter().filter(|c| c.link == id && !c.pubsub).map(|c| c.raw_fd()).collect()
    }

    /// Feeds `bytes` to connection `fd` as if read, and hands every complete reply to the model.
    fn feed(s: &mut Sentinel, fd: i32, bytes: &[u8], now: i64) {
        let c = s.conns.iter_mut().find(|c| c.raw_fd() == fd).unwrap();
        c.inbuf.extend_from_slice(bytes);
        let mut replies = Vec::new();
        while let Some(r) = c.next_reply().unwrap() {
            replies.push(r);
        }
        for (tag, v) in replies {
            s.on_reply(fd, tag, v, now);
        }
    }

    const DOWN: &[u8] = b"*3\r\n:1\r\n$1\r\n*\r\n:0\r\n";
    const UP: &[u8] = b"*3\r\n:0\r\n$1\r\n*\r\n:0\r\n";

    #[test]
    fn one_sentinel_in_two_groups_shares_one_link() {
        let mut s = two_masters_one_peer(26380);
        let (a, b) = (s.instance(&peer("m1", 26380)).unwrap().link, s.instance(&peer("m2", 26380)).unwrap().link);
        assert_eq!(a, b, "the second instance took the first one's link");
        assert_eq!(s.link(a).refcount, 2);
        // Masters never share, even two at one address.
        s.add_master("m3", "127.0.0.1", 7001, 2, T).unwrap();
        let (l1, l3) = (s.master("m1").unwrap().link, s.master("m3").unwrap().link);
        assert_ne!(l1, l3);
        assert_eq!((s.link(l1).refcount, s.link(l3).refcount), (1, 1));
        // One command connection to the peer, one PING on it; the masters have two connections each.
        s.timer(T + 20, &mut null_connect);
        assert_eq!(cmd_conns(&s, a).len(), 1);
        assert_eq!(s.conns.len(), 3 * 2 + 1);
        assert_eq!(s.link(a).pending_commands, 2, "CLIENT SETNAME and PING, once");
        assert!(!s.link(a).disconnected(false));
        // A `known-sentinel` line shares the same way.
        let argv: Vec<String> =
            ["known-sentinel", "m3", "127.0.0.1", "26380", PEER].iter().map(|w| w.to_string()).collect();
        s.apply_directive(&argv, T + 30).unwrap();
        assert_eq!(s.instance(&peer("m3", 26380)).unwrap().link, a);
        assert_eq!(s.link(a).refcount, 3);
    }

    #[test]
    fn replies_on_a_shared_link_go_to_the_master_they_are_about() {
        let mut s = two_masters_one_peer(26380);
        s.timer(T + 20, &mut null_connect);
        let id = s.instance(&peer("m1", 26380)).unwrap().link;
        let fd = cmd_conns(&s, id)[0];
        let ask = ["SENTINEL", "is-master-down-by-addr", "127.0.0.1", "7001", "0", "*"];
        assert!(s.send_cmd(&peer("m1", 26380), &ask, Tag::IsMasterDown));
        assert!(s.send_cmd(&peer("m2", 26380), &ask, Tag::IsMasterDown));
        assert_eq!(s.link(id).pending_commands, 4);
        let mut bytes = b"+OK\r\n+PONG\r\n".to_vec();
        bytes.extend_from_slice(DOWN);
        bytes.extend_from_slice(UP);
        // Split at every byte: the replies are the same.
        for cut in 0..bytes.len() {
            let mut t = two_masters_one_peer(26380);
            t.timer(T + 20, &mut null_connect);
            let tfd = cmd_conns(&t, id)[0];
            t.send_cmd(&peer("m1", 26380), &ask, Tag::IsMasterDown);
            t.send_cmd(&peer("m2", 26380), &ask, Tag::IsMasterDown);
            feed(&mut t, tfd, &bytes[..cut], T + 30);
            feed(&mut t, tfd, &bytes[cut..], T + 30);
            assert!(t.instance(&peer("m1", 26380)).unwrap().is(flags::MASTER_DOWN), "cut {cut}");
            assert!(!t.instance(&peer("m2", 26380)).unwrap().is(flags::MASTER_DOWN), "cut {cut}");
        }
        feed(&mut s, fd, &bytes, T + 30);
        assert!(s.instance(&peer("m1", 26380)).unwrap().is(flags::MASTER_DOWN));
        assert!(!s.instance(&peer("m2", 26380)).unwrap().is(flags::MASTER_DOWN));
        assert_eq!(s.instance(&peer("m2", 26380)).unwrap().last_master_down_reply_time, T + 30);
        let l = s.link(id);
        assert_eq!((l.pending_commands, l.act_ping_time, l.last_avail_time), (0, 0, T + 30), "one pong for both");
    }

    #[test]
    fn a_released_instance_gets_no_replies_and_the_last_owner_closes_the_link() {
        let mut s = two_masters_one_peer(26380);
        s.timer(T + 20, &mut null_connect);
        let id = s.instance(&peer("m1", 26380)).unwrap().link;
        let fd = cmd_conns(&s, id)[0];
        let ask = ["SENTINEL", "is-master-down-by-addr", "127.0.0.1", "7001", "0", "*"];
        s.send_cmd(&peer("m1", 26380), &ask, Tag::IsMasterDown);
        s.send_cmd(&peer("m2", 26380), &ask, Tag::IsMasterDown);
        // m1 forgets its sentinels while its question is pending: the link stays, for m2.
        s.reset_master("m1", false, true, T + 40);
        assert_eq!(s.link(id).refcount, 1);
        assert_eq!(cmd_conns(&s, id), vec![fd]);
        assert!(s.closed.iter().all(|c| c.raw_fd() != fd));
        // The peer is back in m1's group (the same address, the same link) before the replies arrive: the answer
        // to the question the old instance asked is not taken for the new one's (Redis rebinds those callbacks).
        s.process_hello(format!("127.0.0.1,26380,{PEER},0,m1,127.0.0.1,7001,0").as_bytes(), T + 45);
        assert_eq!(s.instance(&peer("m1", 26380)).unwrap().link, id);
        assert_eq!(s.link(id).refcount, 2);
        let mut bytes = b"+OK\r\n+PONG\r\n".to_vec();
        bytes.extend_from_slice(DOWN);
        bytes.extend_from_slice(DOWN);
        feed(&mut s, fd, &bytes, T + 50);
        let again = s.instance(&peer("m1", 26380)).unwrap();
        assert!(!again.is(flags::MASTER_DOWN));
        assert_eq!(again.last_master_down_reply_time, T + 45);
        assert!(s.instance(&peer("m2", 26380)).unwrap().is(flags::MASTER_DOWN));
        assert_eq!(s.link(id).pending_commands, 0, "the dropped replies still counted");
        s.reset_master("m1", false, true, T + 55);
        // The last owner goes: the link is freed and its connection closed.
        s.masters.retain(|m| m.name != "m2");
        s.release_links();
        assert!(s.links[id].is_none());
        assert!(s.closed.iter().any(|c| c.raw_fd() == fd));
        assert!(cmd_conns(&s, id).is_empty());
        // A free slot is reused by the next link.
        let slots = s.links.len();
        s.add_master("m4", "127.0.0.1", 7004, 2, T + 60).unwrap();
        assert_eq!(s.links.len(), slots);
    }

    #[test]
    fn a_shared_link_that_drops_is_down_for_every_owner_and_reconnects_once() {
        let mut s = two_masters_one_peer(26380);
        s.timer(T + 20, &mut null_connect);
        let id = s.instance(&peer("m1", 26380)).unwrap().link;
        let fd = cmd_conns(&s, id)[0];
        s.close_conn(fd);
        for m in ["m1", "m2"] {
            let i = s.instance(&peer(m, 26380)).unwrap();
            assert!(s.link(i.link).disconnected(false));
        }
        assert_eq!(s.link(id).pending_commands, 0);
        s.timer(T + 20 + s.timing.ping_period, &mut null_connect);
        assert_eq!(cmd_conns(&s, id).len(), 1);
        assert_eq!(s.link(id).refcount, 2);
    }

    #[test]
    fn a_sentinel_that_moved_keeps_one_link_to_its_new_address() {
        let mut s = two_masters_one_peer(26380);
        s.timer(T + 20, &mut null_connect);
        let id = s.instance(&peer("m1", 26380)).unwrap().link;
        let old_fd = cmd_conns(&s, id)[0];
        // What m2 knows of the peer (its vote) survives the move: its instance is updated in place.
        if let Some(i) = s.instance_mut(&peer("m2", 26380)) {
            (i.leader, i.leader_epoch) = (Some("abc".into()), 7);
        }
        s.events.clear();
        s.process_hello(format!("127.0.0.1,26390,{PEER},0,m1,127.0.0.1,7001,0").as_bytes(), T + 30);
        let kept = s.instance(&peer("m2", 26390)).unwrap();
        assert_eq!((kept.leader.as_deref(), kept.leader_epoch), (Some("abc"), 7));
        let (a, b) = (s.instance(&peer("m1", 26390)).unwrap().link, s.instance(&peer("m2", 26390)).unwrap().link);
        assert!(s.instance(&peer("m2", 26380)).is_none());
        assert_eq!(a, b);
        assert_eq!(s.link(a).refcount, 2);
        assert!(s.closed.iter().any(|c| c.raw_fd() == old_fd), "the connection to the old address is closed");
        assert!(cmd_conns(&s, a).is_empty());
        assert!(s.events.iter().any(|(k, m)| k == "+sentinel-address-update"
            && m == &format!("sentinel {PEER} 127.0.0.1 26390 @ m1 127.0.0.1 7001 1 additional matching instances")));
        // At the next reconnection (at most one a ping period), one connection to the new address.
        s.timer(T + 20 + s.timing.ping_period, &mut null_connect);
        assert_eq!(cmd_conns(&s, a).len(), 1);
        assert_eq!(s.conns.len(), 2 * 2 + 1);
    }
}
