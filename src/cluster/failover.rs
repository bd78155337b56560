//! Failure detection (PFAIL → FAIL by a majority of masters), replica elections, manual failover
//! (`CLUSTER FAILOVER [FORCE|TAKEOVER]`) and replica migration.

use super::bus::{self, Effect};
use super::msg::{self, types, Header};
use super::{flags, todo, Cluster, FailReport, NodeIdx, NO_NODE, SLOTS};
use crate::{log_notice, log_warning};

/// How long a manual failover may take (`CLUSTER_MF_TIMEOUT`).
pub const MF_TIMEOUT_MS: i64 = 5000;
/// How long an orphaned master waits before a replica migrates to it (`CLUSTER_SLAVE_MIGRATION_DELAY`).
const MIGRATION_DELAY_MS: i64 = 5000;
/// Seconds before the same "Currently unable to failover" reason is logged again.
const CANT_FAILOVER_RELOG_S: i64 = 300;

/// Why the last election attempt could not go on (`CLUSTER_CANT_FAILOVER_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CantFailover {
    #[default]
    None,
    DataAge,
    WaitingDelay,
    Expired,
    WaitingVotes,
}

/// Election and manual-failover state (Redis's `failover_auth_*` and `mf_*` fields).
pub struct Failover {
    pub auth_time_ms: i64,
    pub auth_count: usize,
    pub auth_sent: bool,
    pub auth_rank: usize,
    pub auth_epoch: u64,
    pub cant_reason: CantFailover,
    cant_logged_s: i64,
    /// Manual failover: its deadline (0: none), the replica asking (on a master), the master's offset once
    /// paused (-1: not known yet), whether the election may start.
    pub mf_end_ms: i64,
    pub mf_replica: NodeIdx,
    pub mf_master_offset: i64,
    pub mf_can_start: bool,
    /// `repl-ping-replica-period` (seconds), for the data age check.
    pub repl_ping_period_s: i64,
    /// Replica side: how old our data is (ms since the master was last heard from).
    pub data_age_ms: i64,
}

impl Default for Failover {
    fn default() -> Self {
        Failover {
            auth_time_ms: 0,
            auth_count: 0,
            auth_sent: false,
            auth_rank: 0,
            auth_epoch: 0,
            cant_reason: CantFailover::None,
            cant_logged_s: 0,
            mf_end_ms: 0,
            mf_replica: NO_NODE,
            mf_master_offset: -1,
            mf_can_start: false,
            repl_ping_period_s: 10,
            data_age_ms: 0,
        }
    }
}

/// How CLUSTER FAILOVER was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manual {
    Default,
    Force,
    Takeover,
}

fn report_validity(cl: &Cluster) -> i64 {
    cl.bus.settings.node_timeout * 2
}

/// Number of valid failure reports about `node` (CLUSTER COUNT-FAILURE-REPORTS), after dropping expired ones.
pub fn count_failure_reports(cl: &mut Cluster, node: NodeIdx, now_ms: i64) -> usize {
    let max = report_validity(cl);
    let Some(n) = cl.node_mut(node) else { return 0 };
    n.fail_reports.retain(|r| now_ms - r.time_ms <= max);
    n.fail_reports.len()
}

/// `sender` reports `failing` as PFAIL/FAIL; true when the report is new (`clusterNodeAddFailureReport`).
pub fn add_failure_report(cl: &mut Cluster, failing: NodeIdx, sender: NodeIdx, now_ms: i64) -> bool {
    let Some(n) = cl.node_mut(failing) else { return false };
    if let Some(r) = n.fail_reports.iter_mut().find(|r| r.node == sender) {
        r.time_ms = now_ms;
        return false;
    }
    n.fail_reports.push(FailReport { node: sender, time_ms: now_ms });
    true
}

/// `sender` sees `node` healthy again; true when it had a report (`clusterNodeDelFailureReport`).
pub fn del_failure_report(cl: &mut Cluster, node: NodeIdx, sender: NodeIdx) -> bool {
    let Some(n) = cl.node_mut(node) else { return false };
    let before = n.fail_reports.len();
    n.fail_reports.retain(|r| r.node != sender);
    before != n.fail_reports.len()
}

/// PFAIL → FAIL when a majority of masters agree, then FAIL goes to everybody (`markNodeAsFailingIfNeeded`).
pub fn mark_failing_if_needed(cl: &mut Cluster, node: NodeIdx, now_ms: i64) {
    let quorum = cl.size as usize / 2 + 1;
    match cl.node(node) {
        Some(n) if n.has(flags::PFAIL) && !n.has(flags::FAIL) => {}
        _ => return,
    }
    let mut failures = count_failure_reports(cl, node, now_ms);
    if cl.me().is_master() {
        failures += 1;
    }
    if failures < quorum {
        return;
    }
    let Some(n) = cl.node_mut(node) else { return };
    log_notice!("Marking node {} as failing (quorum reached).", n.name());
    n.flags = (n.flags & !flags::PFAIL) | flags::FAIL;
    n.fail_time_ms = now_ms;
    let id = n.id;
    bus::send_fail(cl, id);
    cl.ask(todo::UPDATE_STATE | todo::SAVE_CONFIG);
}

/// A FAIL node answered again: replicas and masters without slots are cleared at once, masters with slots once
/// nobody took them over in a while (`clearNodeFailureIfNeeded`).
pub fn clear_failure_if_needed(cl: &mut Cluster, node: NodeIdx, now_ms: i64) {
    let undo = cl.bus.settings.node_timeout * 2;
    let Some(n) = cl.node_mut(node) else { return };
    if n.is_replica() || n.numslots == 0 {
        log_notice!(
            "Clear FAIL state for node {}: {} is reachable again.",
            n.name(),
            if n.is_replica() { "replica" } else { "master without slots" }
        );
        n.flags &= !flags::FAIL;
        cl.ask(todo::UPDATE_STATE | todo::SAVE_CONFIG);
        return;
    }
    if n.is_master() && n.numslots > 0 && now_ms - n.fail_time_ms > undo {
        log_notice!(
            "Clear FAIL state for node {}: is reachable again and nobody is serving its slots after some time.",
            n.name()
        );
        n.flags &= !flags::FAIL;
        cl.ask(todo::UPDATE_STATE | todo::SAVE_CONFIG);
    }
}

/// Replicas of a master that are not failing (`clusterCountNonFailingSlaves`).
pub fn count_non_failing_replicas(cl: &Cluster, master: NodeIdx) -> usize {
    cl.node(master)
        .map_or(0, |m| m.replicas.iter().filter(|&&r| cl.node(r).is_some_and(|r| !r.has(flags::FAIL))).count())
}

/// A replica asks for our vote (`clusterSendFailoverAuthIfNeeded`).
pub fn send_auth_if_needed(cl: &mut Cluster, node: NodeIdx, req: &Header, now_ms: i64) {
    let me = cl.me();
    if me.is_replica() || me.numslots == 0 {
        return;
    }
    let Some(n) = cl.node(node) else { return };
    let name = n.name().to_string();
    if req.current_epoch < cl.current_epoch {
        log_warning!(
            "Failover auth denied to {name}: reqEpoch ({}) < curEpoch({})",
            req.current_epoch,
            cl.current_epoch
        );
        return;
    }
    if cl.last_vote_epoch == cl.current_epoch {
        log_warning!("Failover auth denied to {name}: already voted for epoch {}", cl.current_epoch);
        return;
    }
    let force_ack = req.mflags[0] & msg::mflags0::FORCEACK != 0;
    let master = n.replicaof;
    if n.is_master() {
        log_warning!("Failover auth denied to {name}: it is a master node");
        return;
    }
    let Some(m) = cl.node(master) else {
        log_warning!("Failover auth denied to {name}: I don't know its master");
        return;
    };
    if !m.has(flags::FAIL) && !force_ack {
        log_warning!("Failover auth denied to {name}: its master is up");
        return;
    }
    let timeout2 = cl.bus.settings.node_timeout * 2;
    if now_ms - m.voted_time_ms < timeout2 {
        log_warning!(
            "Failover auth denied to {name}: can't vote about this master before {} milliseconds",
            timeout2 - (now_ms - m.voted_time_ms)
        );
        return;
    }
    for j in 0..SLOTS {
        if req.myslots[j >> 3] & (1 << (j & 7)) == 0 {
            continue;
        }
        let Some(owner) = cl.node(cl.slots[j]) else { continue };
        if owner.config_epoch <= req.config_epoch {
            continue;
        }
        log_warning!(
            "Failover auth denied to {name}: slot {j} epoch ({}) > reqEpoch ({})",
            owner.config_epoch,
            req.config_epoch
        );
        return;
    }
    cl.last_vote_epoch = cl.current_epoch;
    if let Some(m) = cl.node_mut(master) {
        m.voted_time_ms = now_ms;
    }
    cl.ask(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
    let ack = bus::header_only(cl, types::FAILOVER_AUTH_ACK, 0);
    bus::send_to_node(cl, node, &ack);
    log_warning!("Failover auth granted to {name} for epoch {}", cl.current_epoch);
}

/// Our rank among our master's replicas by replication offset (0 = the most up to date).
fn replica_rank(cl: &Cluster) -> usize {
    let my_offset = cl.bus.settings.repl_offset as i64;
    let Some(m) = cl.node(cl.me().replicaof) else { return 0 };
    m.replicas
        .iter()
        .filter(|&&r| r != cl.myself)
        .filter_map(|&r| cl.node(r))
        .filter(|r| !r.has(flags::NOFAILOVER) && r.repl_offset > my_offset)
        .count()
}

fn log_cant_failover(cl: &mut Cluster, reason: CantFailover, now_ms: i64) {
    let now_s = now_ms / 1000;
    if reason == cl.failover.cant_reason && now_s - cl.failover.cant_logged_s < CANT_FAILOVER_RELOG_S {
        return;
    }
    cl.failover.cant_reason = reason;
    // Right after the master fails the reasons are expected: no log for a while.
    let quiet = cl.bus.settings.node_timeout + 5000;
    if cl.node(cl.me().replicaof).is_some_and(|m| m.has(flags::FAIL) && now_ms - m.fail_time_ms < quiet) {
        return;
    }
    let text = match reason {
        CantFailover::DataAge => {
            "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' \
             configuration option."
        }
        CantFailover::WaitingDelay => "Waiting the delay before I can start a new failover.",
        CantFailover::Expired => "Failover attempt expired.",
        CantFailover::WaitingVotes => "Waiting for votes, but majority still not reached.",
        CantFailover::None => "Unknown reason code.",
    };
    cl.failover.cant_logged_s = now_s;
    log_warning!("Currently unable to failover: {text}");
}

/// This replica takes over its master's slots (`clusterFailoverReplaceYourMaster`).
pub fn replace_my_master(cl: &mut Cluster, now_ms: i64) {
    let old = cl.me().replicaof;
    if cl.me().is_master() || old == NO_NODE {
        return;
    }
    let me = cl.myself;
    bus::set_node_as_master(cl, me);
    cl.bus.effects.push(Effect::UnsetMaster);
    for j in 0..SLOTS {
        if cl.node(old).is_some_and(|o| o.owns_slot(j)) {
            cl.del_slot(j);
            cl.add_slot(me, j);
        }
    }
    cl.ask(todo::UPDATE_STATE | todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
    bus::broadcast_pong(cl, now_ms);
    reset_manual(cl);
}

/// The replica's election (`clusterHandleSlaveFailover`), from the cron and `before_sleep`.
pub fn handle_replica_failover(cl: &mut Cluster, now_ms: i64) {
    let f = &cl.failover;
    let auth_age = now_ms - f.auth_time_ms;
    let quorum = cl.size as usize / 2 + 1;
    let manual = f.mf_end_ms != 0 && f.mf_can_start;
    cl.todo &= !todo::HANDLE_FAILOVER;
    let timeout = cl.bus.settings.node_timeout;
    let auth_timeout = (timeout * 2).max(2000);
    let auth_retry = auth_timeout * 2;
    let me = cl.me();
    let master = cl.node(me.replicaof);
    let no = match master {
        _ if me.is_master() => true,
        None => true,
        Some(m) => ((!m.has(flags::FAIL) || cl.bus.settings.no_failover) && !manual) || m.numslots == 0,
    };
    if no {
        cl.failover.cant_reason = CantFailover::None;
        return;
    }
    let mut data_age = cl.failover.data_age_ms;
    if data_age > timeout {
        data_age -= timeout;
    }
    let factor = cl.bus.settings.validity_factor;
    if factor > 0 && data_age > cl.failover.repl_ping_period_s * 1000 + timeout * factor && !manual {
        log_cant_failover(cl, CantFailover::DataAge, now_ms);
        return;
    }
    if auth_age > auth_retry {
        let jitter = (bus_random(cl) % 500) as i64;
        let f = &mut cl.failover;
        f.auth_time_ms = now_ms + 500 + jitter;
        f.auth_count = 0;
        f.auth_sent = false;
        let rank = replica_rank(cl);
        let f = &mut cl.failover;
        f.auth_rank = rank;
        f.auth_time_ms += rank as i64 * 1000;
        if f.mf_end_ms != 0 {
            f.auth_time_ms = now_ms;
            f.auth_rank = 0;
            cl.ask(todo::HANDLE_FAILOVER);
        }
        log_warning!(
            "Start of election delayed for {} milliseconds (rank #{}, offset {}).",
            cl.failover.auth_time_ms - now_ms,
            cl.failover.auth_rank,
            cl.bus.settings.repl_offset
        );
        bus::broadcast_pong_to(cl, true, now_ms);
        return;
    }
    if !cl.failover.auth_sent && cl.failover.mf_end_ms == 0 {
        let rank = replica_rank(cl);
        if rank > cl.failover.auth_rank {
            let added = (rank - cl.failover.auth_rank) as i64 * 1000;
            cl.failover.auth_time_ms += added;
            cl.failover.auth_rank = rank;
            log_warning!("Replica rank updated to #{rank}, added {added} milliseconds of delay.");
        }
    }
    if now_ms < cl.failover.auth_time_ms {
        log_cant_failover(cl, CantFailover::WaitingDelay, now_ms);
        return;
    }
    if auth_age > auth_timeout {
        log_cant_failover(cl, CantFailover::Expired, now_ms);
        return;
    }
    if !cl.failover.auth_sent {
        cl.current_epoch += 1;
        cl.failover.auth_epoch = cl.current_epoch;
        log_warning!("Starting a failover election for epoch {}.", cl.current_epoch);
        let force = if cl.failover.mf_end_ms != 0 { msg::mflags0::FORCEACK } else { 0 };
        let req = bus::header_only(cl, types::FAILOVER_AUTH_REQUEST, force);
        bus::broadcast(cl, &req);
        cl.failover.auth_sent = true;
        cl.ask(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
        return;
    }
    if cl.failover.auth_count >= quorum {
        log_warning!("Failover election won: I'm the new master.");
        if cl.me().config_epoch < cl.failover.auth_epoch {
            cl.me_mut().config_epoch = cl.failover.auth_epoch;
            log_warning!("configEpoch set to {} after successful failover", cl.me().config_epoch);
        }
        replace_my_master(cl, now_ms);
    } else {
        log_cant_failover(cl, CantFailover::WaitingVotes, now_ms);
    }
}

fn bus_random(cl: &mut Cluster) -> u64 {
    let mut rng = crate::util::Rng::new(cl.current_epoch ^ cl.bus.iteration.wrapping_mul(0x9E37_79B9));
    rng.next_u64() ^ (crate::util::now_us() as u64)
}

/// A replica of a master with enough replicas moves to an orphaned master (`clusterHandleSlaveMigration`).
pub fn handle_replica_migration(cl: &mut Cluster, max_replicas: usize, now_ms: i64) {
    if !cl.state_ok {
        return;
    }
    let Some(mine) = cl.node(cl.me().replicaof) else { return };
    let ok = mine.replicas.iter().filter(|&&r| cl.node(r).is_some_and(|r| !r.is_failing())).count();
    if ok as i64 <= cl.bus.settings.migration_barrier {
        return;
    }
    let mut candidate = cl.myself;
    let mut target = NO_NODE;
    let ids: Vec<NodeIdx> = cl.iter().map(|(i, _)| i).collect();
    for i in ids {
        let Some(n) = cl.node(i) else { continue };
        let okr = if n.is_master() { count_non_failing_replicas(cl, i) } else { 0 };
        let orphaned = !n.is_replica() && !n.has(flags::FAIL) && n.has(flags::MIGRATE_TO) && okr == 0;
        if okr == max_replicas {
            for &r in &n.replicas {
                if let (Some(rn), Some(cn)) = (cl.node(r), cl.node(candidate)) {
                    if rn.id < cn.id {
                        candidate = r;
                    }
                }
            }
        }
        let numslots = n.numslots;
        let Some(n) = cl.node_mut(i) else { continue };
        if orphaned {
            if target == NO_NODE && numslots > 0 {
                target = i;
            }
            if n.orphaned_time_ms == 0 {
                n.orphaned_time_ms = now_ms;
            }
        } else {
            n.orphaned_time_ms = 0;
        }
    }
    if target != NO_NODE
        && candidate == cl.myself
        && cl.node(target).is_some_and(|t| now_ms - t.orphaned_time_ms > MIGRATION_DELAY_MS)
    {
        log_warning!("Migrating to orphaned master {}", cl.node(target).map_or("", |n| n.name()));
        bus::set_my_master(cl, target, now_ms);
    }
}

/// Forgets any election or manual failover in progress (CLUSTER RESET, REPLICATE).
pub fn reset_manual(cl: &mut Cluster) {
    if cl.failover.mf_replica != NO_NODE {
        cl.bus.effects.push(Effect::PauseWrites(false));
    }
    let f = &mut cl.failover;
    f.mf_end_ms = 0;
    f.mf_can_start = false;
    f.mf_replica = NO_NODE;
    f.mf_master_offset = -1;
}

/// A manual failover past its deadline ends (`manualFailoverCheckTimeout`).
pub fn manual_check_timeout(cl: &mut Cluster, now_ms: i64) {
    if cl.failover.mf_end_ms != 0 && cl.failover.mf_end_ms < now_ms {
        log_warning!("Manual failover timed out.");
        reset_manual(cl);
    }
}

/// The replica side of a manual failover: once our offset reaches the paused master's, the election may start
/// (`clusterHandleManualFailover`).
pub fn handle_manual(cl: &mut Cluster, _now_ms: i64) {
    let f = &cl.failover;
    if f.mf_end_ms == 0 || f.mf_can_start || f.mf_master_offset == -1 {
        return;
    }
    if f.mf_master_offset == cl.bus.settings.repl_offset as i64 {
        cl.failover.mf_can_start = true;
        log_warning!("All master replication stream processed, manual failover can start.");
        cl.ask(todo::HANDLE_FAILOVER);
        return;
    }
    cl.ask(todo::HANDLE_MANUALFAILOVER);
}

/// CLUSTER FAILOVER on a replica (the caller has checked that this node is a replica with a known master).
/// `Err` is the error text.
pub fn start_manual(cl: Option<&mut Cluster>, how: Manual) -> Result<(), String> {
    let now_ms = crate::util::now_ms();
    let Some(cl) = cl else { return Err("ERR This instance has cluster support disabled".into()) };
    let me = cl.me();
    if me.is_master() {
        return Err("ERR You should send CLUSTER FAILOVER to a replica".into());
    }
    let master = me.replicaof;
    let Some(m) = cl.node(master) else { return Err("ERR I'm a replica but my master is unknown to me".into()) };
    if how == Manual::Default && (m.has(flags::FAIL) || !cl.bus.out.contains_key(&master)) {
        return Err("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE".into());
    }
    reset_manual(cl);
    cl.failover.mf_end_ms = now_ms + MF_TIMEOUT_MS;
    match how {
        Manual::Takeover => {
            log_warning!("Taking over the master (user request).");
            bump_epoch_without_consensus(cl);
            replace_my_master(cl, now_ms);
        }
        Manual::Force => {
            log_warning!("Forced failover user request accepted.");
            cl.failover.mf_can_start = true;
        }
        Manual::Default => {
            log_warning!("Manual failover user request accepted.");
            let p = bus::header_only(cl, types::MFSTART, 0);
            bus::send_to_node(cl, master, &p);
        }
    }
    Ok(())
}

/// A new config epoch without asking anybody, unless ours is already the greatest and not zero
/// (`clusterBumpConfigEpochWithoutConsensus`). True when it changed.
pub fn bump_epoch_without_consensus(cl: &mut Cluster) -> bool {
    let max = cl.iter().map(|(_, n)| n.config_epoch).max().unwrap_or(0).max(cl.current_epoch);
    let mine = cl.me().config_epoch;
    if mine == 0 || mine != max {
        cl.current_epoch += 1;
        cl.me_mut().config_epoch = cl.current_epoch;
        cl.ask(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
        log_warning!("New configEpoch set to {}", cl.current_epoch);
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Node;

    #[test]
    fn pfail_becomes_fail_with_a_majority_of_masters() {
        let mut cl = Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        cl.bus.settings.node_timeout = 1000;
        let b = cl.add_node(Node::new([b'b'; 40], flags::MASTER, 0));
        let c = cl.add_node(Node::new([b'c'; 40], flags::MASTER, 0));
        cl.size = 3;
        cl.node_mut(c).unwrap().flags |= flags::PFAIL;
        // Myself alone: 1 of the 2 needed.
        mark_failing_if_needed(&mut cl, c, 100);
        assert!(!cl.node(c).unwrap().has(flags::FAIL));
        assert!(add_failure_report(&mut cl, c, b, 100));
        assert!(!add_failure_report(&mut cl, c, b, 150));
        assert_eq!(count_failure_reports(&mut cl, c, 200), 1);
        mark_failing_if_needed(&mut cl, c, 200);
        let n = cl.node(c).unwrap();
        assert!(n.has(flags::FAIL) && !n.has(flags::PFAIL));
        // Reports expire after twice the node timeout.
        assert_eq!(count_failure_reports(&mut cl, c, 150 + 2001), 0);
    }

    #[test]
    fn votes_follow_the_rules() {
        let mut cl = Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        cl.bus.settings.node_timeout = 1000;
        let me = cl.myself;
        cl.add_slot(me, 1);
        let m = cl.add_node(Node::new([b'b'; 40], flags::MASTER | flags::FAIL, 0));
        let r = cl.add_node(Node::new([b'c'; 40], flags::REPLICA, 0));
        cl.set_master_of(r, m);
        cl.current_epoch = 3;
        let mut req = Header::new(types::FAILOVER_AUTH_REQUEST, [b'c'; 40]);
        req.current_epoch = 3;
        send_auth_if_needed(&mut cl, r, &req, 10_000);
        assert_eq!(cl.last_vote_epoch, 3);
        // Once per epoch, and not again for the same master within 2 × node timeout.
        cl.current_epoch = 4;
        req.current_epoch = 4;
        send_auth_if_needed(&mut cl, r, &req, 10_500);
        assert_eq!(cl.last_vote_epoch, 3);
        send_auth_if_needed(&mut cl, r, &req, 12_500);
        assert_eq!(cl.last_vote_epoch, 4);
    }
}
