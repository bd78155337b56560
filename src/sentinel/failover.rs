//! Leader election and the failover state machine (Redis's `sentinelStartFailover` ... `sentinelFailoverSwitchTo
//! PromotedSlave`).
//!
//! ```text
//!  ODOWN ─▶ +new-epoch, +try-failover: WAIT_START ──(elected by a majority and the quorum, or FAILOVER)──▶
//!  SELECT_SLAVE ──(best replica: lowest priority, highest offset, lowest run id)──▶ SEND_SLAVEOF_NOONE
//!  ──(MULTI / SLAVEOF NO ONE / CONFIG REWRITE / CLIENT KILL ×2 / EXEC)──▶ WAIT_PROMOTION ──(INFO says master:
//!  +promoted-slave)──▶ RECONF_SLAVES ──(SLAVEOF new master, parallel-syncs at a time, until every replica is
//!  done or failover-timeout)──▶ UPDATE_CONFIG ──▶ +switch-master: the master's address is the promoted one,
//!  the old master and the other replicas become its replicas.
//! ```
//!
//! Votes: each sentinel votes once per epoch, for the first sentinel that asks with that epoch (its own id when
//! it asks itself); a sentinel that lost waits `failover-timeout * 2` before it tries again, so the elected one
//! has the time to finish. Aborts are only possible before the promotion (`WAIT_PROMOTION` included).

use super::{flags, Addr, FailoverState, InstRef, Sentinel};

/// Redis's `SENTINEL_MAX_DESYNC`: the random delay before a failover starts, so sentinels rarely start together.
const MAX_DESYNC_MS: u64 = 1000;

impl Sentinel {
    /// Starts a failover of `name` (Redis's `sentinelStartFailover`).
    pub fn start_failover(&mut self, name: &str, now: i64) {
        self.current_epoch = self.current_epoch.saturating_add(1);
        let epoch = self.current_epoch;
        let desync = (self.rng.next_u64() % MAX_DESYNC_MS) as i64;
        let Some(m) = self.master_mut(name) else { return };
        m.failover_state = FailoverState::WaitStart;
        m.flags |= flags::FAILOVER_IN_PROGRESS;
        m.failover_epoch = epoch;
        let r = InstRef::Master(name.to_string());
        self.event_at(true, "+new-epoch", &r, &epoch.to_string());
        self.event_at(true, "+try-failover", &r, "");
        if let Some(m) = self.master_mut(name) {
            m.failover_start_time = now + desync;
            m.failover_state_change_time = now;
        }
    }

    /// Starts a failover when the master is ODOWN and no other started recently; true when one started.
    pub fn start_failover_if_needed(&mut self, name: &str, now: i64) -> bool {
        let Some(m) = self.master_mut(name) else { return false };
        if !m.is(flags::O_DOWN) || m.is(flags::FAILOVER_IN_PROGRESS) {
            return false;
        }
        if now.saturating_sub(m.failover_start_time) < m.failover_timeout.saturating_mul(2) {
            if m.failover_delay_logged != m.failover_start_time {
                m.failover_delay_logged = m.failover_start_time;
                let at_s = m.failover_start_time.saturating_add(m.failover_timeout.saturating_mul(2)) / 1000;
                crate::log_warning!("Next failover delay: I will not start a failover before {}", ctime(at_s));
            }
            return false;
        }
        self.start_failover(name, now);
        true
    }

    /// Votes for `req_runid` as leader of `name`'s failover in `req_epoch` unless this sentinel already voted in
    /// that epoch; returns the vote (leader, epoch) now held (Redis's `sentinelVoteLeader`).
    pub fn vote_leader(&mut self, name: &str, req_epoch: u64, req_runid: &str, now: i64) -> (Option<String>, u64) {
        let r = InstRef::Master(name.to_string());
        if req_epoch > self.current_epoch {
            self.current_epoch = req_epoch;
            self.flush_requested = true;
            self.event_at(true, "+new-epoch", &r, &req_epoch.to_string());
        }
        let current = self.current_epoch;
        let myid = self.myid.clone();
        let desync = (self.rng.next_u64() % MAX_DESYNC_MS) as i64;
        let Some(m) = self.master_mut(name) else { return (None, 0) };
        if m.leader_epoch < req_epoch && current <= req_epoch {
            m.leader = Some(req_runid.to_string());
            m.leader_epoch = current;
            let text = format!("{req_runid} {current}");
            // Voting for another sentinel: do not start our own failover for a while.
            if !req_runid.eq_ignore_ascii_case(&myid) {
                m.failover_start_time = now + desync;
            }
            self.flush_requested = true;
            self.event_at(true, "+vote-for-leader", &r, &text);
        }
        let Some(m) = self.master(name) else { return (None, 0) };
        (m.leader.clone(), m.leader_epoch)
    }

    /// The leader of `name`'s failover in `epoch`, if one has a majority of all known sentinels and at least the
    /// quorum (Redis's `sentinelGetLeader`; this sentinel votes too).
    fn get_leader(&mut self, name: &str, epoch: u64, now: i64) -> Option<String> {
        let current = self.current_epoch;
        let m = self.master(name)?;
        let voters = m.sentinels.len() + 1;
        let quorum = m.quorum as usize;
        let mut counts: Vec<(String, usize)> = Vec::new();
        let incr = |counts: &mut Vec<(String, usize)>, who: &str| -> usize {
            match counts.iter_mut().find(|(w, _)| w == who) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    counts.push((who.to_string(), 1));
                    1
                }
            }
        };
        for s in &m.sentinels {
            if let Some(l) = &s.leader {
                if s.leader_epoch == current {
                    incr(&mut counts, l);
                }
            }
        }
        let mut winner: Option<String> = None;
        let mut max_votes = 0;
        for (w, n) in &counts {
            if *n > max_votes {
                max_votes = *n;
                winner = Some(w.clone());
            }
        }
        let candidate = winner.clone().unwrap_or_else(|| self.myid.clone());
        let (myvote, leader_epoch) = self.vote_leader(name, epoch, &candidate, now);
        if let Some(v) = myvote.filter(|_| leader_epoch == epoch) {
            let n = incr(&mut counts, &v);
            if n > max_votes {
                max_votes = n;
                winner = Some(v);
            }
        }
        winner.filter(|_| max_votes > voters / 2 && max_votes >= quorum)
    }

    /// One step of `name`'s failover, by state.
    pub fn failover_step(&mut self, name: &str, now: i64) {
        let Some(m) = self.master(name) else { return };
        if !m.is(flags::FAILOVER_IN_PROGRESS) {
            return;
        }
        match m.failover_state {
            FailoverState::WaitStart => self.failover_wait_start(name, now),
            FailoverState::SelectSlave => self.failover_select_replica(name, now),
            FailoverState::SendSlaveofNoone => self.failover_send_slaveof_noone(name, now),
            FailoverState::WaitPromotion => {
                if now - m.failover_state_change_time > m.failover_timeout {
                    self.event_at(true, "-failover-abort-slave-timeout", &InstRef::Master(name.into()), "");
                    self.abort_failover(name, now);
                }
            }
            FailoverState::ReconfSlaves => self.failover_reconf_next_replica(name, now),
            FailoverState::None | FailoverState::UpdateConfig => {}
        }
    }

    fn failover_wait_start(&mut self, name: &str, now: i64) {
        let Some(epoch) = self.master(name).map(|m| m.failover_epoch) else { return };
        let leader = self.get_leader(name, epoch, now);
        let is_leader = leader.is_some_and(|l| l.eq_ignore_ascii_case(&self.myid));
        let election_timeout = self.timing.election_timeout;
        let Some(m) = self.master(name) else { return };
        let r = InstRef::Master(name.to_string());
        if !is_leader && !m.is(flags::FORCE_FAILOVER) {
            if now - m.failover_start_time > election_timeout.min(m.failover_timeout) {
                self.event_at(true, "-failover-abort-not-elected", &r, "");
                self.abort_failover(name, now);
            }
            return;
        }
        self.event_at(true, "+elected-leader", &r, "");
        if self.simfailure_flags & super::SIMFAILURE_CRASH_AFTER_ELECTION != 0 {
            self.sim_failure_crash();
        }
        if let Some(m) = self.master_mut(name) {
            m.failover_state = FailoverState::SelectSlave;
            m.failover_state_change_time = now;
        }
        self.event_at(true, "+failover-state-select-slave", &r, "");
    }

    /// The replica to promote (Redis's `sentinelSelectSlave`).
    pub fn select_replica(&self, name: &str, now: i64) -> Option<Addr> {
        let m = self.master(name)?;
        let t = &self.timing;
        let mut max_master_down_time = 0;
        if m.is(flags::S_DOWN) {
            max_master_down_time += now - m.s_down_since_time;
        }
        max_master_down_time = max_master_down_time.saturating_add(m.down_after_period.saturating_mul(10));
        let validity =
            if m.is(flags::S_DOWN) { t.ping_period.saturating_mul(5) } else { t.info_period.saturating_mul(3) };
        let mut candidates: Vec<&super::Instance> = m
            .replicas
            .iter()
            .filter(|s| {
                !s.is(flags::S_DOWN | flags::O_DOWN)
                    && !self.link(s.link).disconnected(true)
                    && now - self.link(s.link).last_avail_time <= t.ping_period.saturating_mul(5)
                    && s.slave_priority != 0
                    && now - s.info_refresh <= validity
                    && s.master_link_down_time <= max_master_down_time
            })
            .collect();
        candidates.sort_by(|a, b| {
            a.slave_priority.cmp(&b.slave_priority).then(b.slave_repl_offset.cmp(&a.slave_repl_offset)).then_with(
                || match (&a.runid, &b.runid) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (Some(x), Some(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
                },
            )
        });
        candidates.first().map(|s| s.addr.clone())
    }

    fn failover_select_replica(&mut self, name: &str, now: i64) {
        let r = InstRef::Master(name.to_string());
        let Some(addr) = self.select_replica(name, now) else {
            self.event_at(true, "-failover-abort-no-good-slave", &r, "");
            self.abort_failover(name, now);
            return;
        };
        let rr = InstRef::Replica(name.to_string(), addr.ip.clone(), addr.port);
        self.event_at(true, "+selected-slave", &rr, "");
        if let Some(s) = self.instance_mut(&rr) {
            s.flags |= flags::PROMOTED;
        }
        if let Some(m) = self.master_mut(name) {
            m.promoted = Some(addr);
            m.failover_state = FailoverState::SendSlaveofNoone;
            m.failover_state_change_time = now;
        }
        self.event_at(false, "+failover-state-send-slaveof-noone", &rr, "");
    }

    fn promoted_ref(&self, name: &str) -> Option<InstRef> {
        let p = self.master(name)?.promoted.clone()?;
        Some(InstRef::Replica(name.to_string(), p.ip, p.port))
    }

    fn failover_send_slaveof_noone(&mut self, name: &str, now: i64) {
        let Some(pr) = self.promoted_ref(name) else { return self.abort_failover(name, now) };
        let disconnected = self.instance(&pr).is_none_or(|s| self.link(s.link).disconnected(true));
        let Some(m) = self.master(name) else { return };
        if disconnected {
            if now - m.failover_state_change_time > m.failover_timeout {
                self.event_at(true, "-failover-abort-slave-timeout", &InstRef::Master(name.into()), "");
                self.abort_failover(name, now);
            }
            return;
        }
        if !self.send_slaveof(&pr, None) {
            return;
        }
        self.event_at(false, "+failover-state-wait-promotion", &pr, "");
        if let Some(m) = self.master_mut(name) {
            m.failover_state = FailoverState::WaitPromotion;
            m.failover_state_change_time = now;
        }
    }

    /// Reconfigures the next replicas to follow the promoted one, `parallel-syncs` at a time.
    fn failover_reconf_next_replica(&mut self, name: &str, now: i64) {
        let reconf_timeout = self.timing.slave_reconf_timeout;
        let Some(m) = self.master(name) else { return };
        let Some(promoted) = m.promoted.clone() else { return };
        let parallel = m.parallel_syncs;
        let mut in_progress =
            m.replicas.iter().filter(|s| s.is(flags::RECONF_SENT | flags::RECONF_INPROG)).count() as i64;
        let addrs: Vec<Addr> = m.replicas.iter().map(|s| s.addr.clone()).collect();
        for a in addrs {
            if in_progress >= parallel {
                break;
            }
            let rr = InstRef::Replica(name.to_string(), a.ip.clone(), a.port);
            let Some(s) = self.instance(&rr) else { continue };
            if s.is(flags::PROMOTED | flags::RECONF_DONE) {
                continue;
            }
            if s.is(flags::RECONF_SENT) && now - s.slave_reconf_sent_time > reconf_timeout {
                self.event_at(false, "-slave-reconf-sent-timeout", &rr, "");
                if let Some(s) = self.instance_mut(&rr) {
                    s.flags = (s.flags & !flags::RECONF_SENT) | flags::RECONF_DONE;
                }
            }
            let Some(s) = self.instance(&rr) else { continue };
            if s.is(flags::RECONF_SENT | flags::RECONF_INPROG) || self.link(s.link).disconnected(true) {
                continue;
            }
            if self.send_slaveof(&rr, Some(&promoted)) {
                if let Some(s) = self.instance_mut(&rr) {
                    s.flags |= flags::RECONF_SENT;
                    s.slave_reconf_sent_time = now;
                }
                self.event_at(false, "+slave-reconf-sent", &rr, "");
                in_progress += 1;
            }
        }
        self.failover_detect_end(name, now);
    }

    fn failover_detect_end(&mut self, name: &str, now: i64) {
        let Some(m) = self.master(name) else { return };
        let Some(promoted) = m.promoted.clone() else { return };
        let pr = InstRef::Replica(name.to_string(), promoted.ip.clone(), promoted.port);
        if self.instance(&pr).is_none_or(|s| s.is(flags::S_DOWN)) {
            return;
        }
        let elapsed = now - m.failover_state_change_time;
        let mut not_reconfigured =
            m.replicas.iter().filter(|s| !s.is(flags::PROMOTED | flags::RECONF_DONE) && !s.is(flags::S_DOWN)).count();
        let r = InstRef::Master(name.to_string());
        let timeout = elapsed > m.failover_timeout;
        if timeout {
            not_reconfigured = 0;
            self.event_at(true, "+failover-end-for-timeout", &r, "");
        }
        if not_reconfigured == 0 {
            self.event_at(true, "+failover-end", &r, "");
            if let Some(m) = self.master_mut(name) {
                m.failover_state = FailoverState::UpdateConfig;
                m.failover_state_change_time = now;
            }
        }
        if timeout {
            // The replicas never told us they follow: send the command once more, best effort.
            let addrs: Vec<Addr> =
                self.master(name).map(|m| m.replicas.iter().map(|s| s.addr.clone()).collect()).unwrap_or_default();
            for a in addrs {
                let rr = InstRef::Replica(name.to_string(), a.ip.clone(), a.port);
                let Some(s) = self.instance(&rr) else { continue };
                if s.is(flags::PROMOTED | flags::RECONF_DONE | flags::RECONF_SENT)
                    || self.link(s.link).disconnected(true)
                {
                    continue;
                }
                if self.send_slaveof(&rr, Some(&promoted)) {
                    self.event_at(false, "+slave-reconf-sent-be", &rr, "");
                    if let Some(s) = self.instance_mut(&rr) {
                        s.flags |= flags::RECONF_SENT;
                    }
                }
            }
        }
    }

    /// Ends a failover that did not promote anyone yet.
    pub fn abort_failover(&mut self, name: &str, now: i64) {
        let promoted = self.promoted_ref(name);
        if let Some(m) = self.master_mut(name) {
            m.flags &= !(flags::FAILOVER_IN_PROGRESS | flags::FORCE_FAILOVER);
            m.failover_state = FailoverState::None;
            m.failover_state_change_time = now;
            m.promoted = None;
        }
        if let Some(pr) = promoted {
            if let Some(s) = self.instance_mut(&pr) {
                s.flags &= !flags::PROMOTED;
            }
        }
    }

    /// The failover is over: the master is now the promoted replica (`+switch-master`).
    pub fn switch_to_promoted(&mut self, name: &str, now: i64) {
        let Some(m) = self.master(name) else { return };
        let to = m.promoted.clone().unwrap_or_else(|| m.addr.clone());
        let text = format!("{} {} {} {} {}", name, self.announce(&m.addr), m.addr.port, self.announce(&to), to.port);
        self.emit(true, "+switch-master", text, Some(name));
        self.reset_master_and_change_address(name, &to.hostname, to.port as i64, now);
    }

    /// Forgets what was learnt about master `name` (Redis's `sentinelResetMaster`); `keep_sentinels` keeps the
    /// known sentinels.
    pub fn reset_master(&mut self, name: &str, keep_sentinels: bool, generate_event: bool, now: i64) {
        let Some(m) = self.master_mut(name) else { return };
        m.replicas.clear();
        if !keep_sentinels {
            m.sentinels.clear();
        }
        m.flags &= flags::MASTER;
        m.leader = None;
        m.failover_state = FailoverState::None;
        m.failover_state_change_time = 0;
        m.failover_start_time = 0;
        m.promoted = None;
        m.runid = None;
        m.slave_master_host = None;
        m.role_reported_time = now;
        m.role_reported = flags::MASTER;
        let id = m.link;
        if let Some(l) = self.link_mut(id) {
            l.act_ping_time = now;
            l.last_ping_time = 0;
            l.last_avail_time = now;
            l.last_pong_time = now;
        }
        self.close_links(&InstRef::Master(name.to_string()));
        self.release_links();
        if generate_event {
            self.event_at(true, "+reset-master", &InstRef::Master(name.to_string()), "");
        }
    }

    /// Points master `name` at `host:port`, keeping the other known addresses as its replicas (Redis's
    /// `sentinelResetMasterAndChangeAddress`). False when the address is invalid.
    pub fn reset_master_and_change_address(&mut self, name: &str, host: &str, port: i64, now: i64) -> bool {
        let Ok(new) = self.make_addr(host, port, false) else { return false };
        let Some(m) = self.master(name) else { return false };
        let mut replicas: Vec<Addr> =
            m.replicas.iter().filter(|s| !s.addr.same(&new)).map(|s| s.addr.clone()).collect();
        if !new.same(&m.addr) {
            replicas.push(m.addr.clone());
        }
        self.reset_master(name, true, false, now);
        if let Some(m) = self.master_mut(name) {
            m.addr = new;
            m.o_down_since_time = 0;
            m.s_down_since_time = 0;
        }
        for a in replicas {
            if self.add_replica(name, &a.hostname, a.port as i64, now).is_ok() {
                let ip = self.make_addr(&a.hostname, a.port as i64, true).map(|x| x.ip).unwrap_or(a.ip);
                self.event_at(false, "+slave", &InstRef::Replica(name.to_string(), ip, a.port), "");
            }
        }
        self.flush_requested = true;
        true
    }

    /// SENTINEL RESET: resets every master whose name matches `pattern`; the number reset.
    pub fn reset_by_pattern(&mut self, pattern: &[u8], now: i64) -> usize {
        let names: Vec<String> = self
            .masters
            .iter()
            .filter(|m| crate::util::glob_match(pattern, m.name.as_bytes(), false))
            .map(|m| m.name.clone())
            .collect();
        for n in &names {
            self.reset_master(n, false, true, now);
        }
        names.len()
    }
}

/// `ctime`'s text for a Unix time in seconds, in UTC (`Thu Jan  1 00:00:00 1970`), for the log.
fn ctime(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = crate::log::civil_from_days(days);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        y
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentinel_with_master() -> Sentinel {
        let mut s = Sentinel::new(26379, 0);
        s.myid = "a".repeat(40);
        s.add_master("m", "127.0.0.1", 7000, 2, 0).unwrap();
        s
    }

    #[test]
    fn one_vote_per_epoch() {
        let mut s = sentinel_with_master();
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        assert_eq!(s.vote_leader("m", 1, &b, 0), (Some(b.clone()), 1));
        assert_eq!(s.current_epoch, 1);
        // Same epoch, another candidate: the first vote stands.
        assert_eq!(s.vote_leader("m", 1, &c, 0), (Some(b.clone()), 1));
        assert_eq!(s.vote_leader("m", 2, &c, 0), (Some(c), 2));
        assert!(s.events.iter().any(|(k, _)| k == "+vote-for-leader"));
    }

    #[test]
    fn replica_selection_order() {
        let mut s = sentinel_with_master();
        for port in [7001, 7002, 7003] {
            s.add_replica("m", "127.0.0.1", port, 0).unwrap();
        }
        let now = 1000;
        let ids: Vec<_> = s.masters[0].replicas.iter().map(|r| r.link).collect();
        for (i, id) in ids.into_iter().enumerate() {
            let l = s.link_mut(id).unwrap();
            l.cc = Some(100 + i as i32);
            l.pc = Some(200 + i as i32);
            l.last_avail_time = now;
        }
        for (i, r) in s.masters[0].replicas.iter_mut().enumerate() {
            r.info_refresh = now;
            r.slave_repl_offset = 10;
            r.runid = Some(format!("{i}").repeat(40));
        }
        s.masters[0].replicas[0].slave_priority = 0; // never promoted
        s.masters[0].replicas[2].slave_repl_offset = 20;
        assert_eq!(s.select_replica("m", now).map(|a| a.port), Some(7003));
        s.masters[0].replicas[1].slave_priority = 50;
        assert_eq!(s.select_replica("m", now).map(|a| a.port), Some(7002));
    }

    #[test]
    fn ctime_matches_c() {
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(ctime(1_700_000_000), "Tue Nov 14 22:13:20 2023");
    }
}
