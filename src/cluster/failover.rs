//! Failure detection (PFAIL → FAIL by a majority of masters), replica elections, manual failover
//! (`CLUSTER FAILOVER [FORCE|TAKEOVER]`) and replica migration. Owned by the bus work (`i32-bus`).

use super::{Cluster, NodeIdx};

/// Election and manual-failover state (Redis's `failover_auth_*` and `mf_*` fields).
#[derive(Default)]
pub struct Failover {}

/// How CLUSTER FAILOVER was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manual {
    Default,
    Force,
    Takeover,
}

/// Number of valid failure reports about `node` (CLUSTER COUNT-FAILURE-REPORTS), after dropping expired ones.
pub fn count_failure_reports(cl: &mut Cluster, node: NodeIdx, now_ms: i64) -> usize {
    let _ = (cl, node, now_ms);
    todo!("i32-bus")
}

/// CLUSTER FAILOVER on a replica (the caller has checked that this node is a replica with a known master).
/// `Err` is the error text.
pub fn start_manual(state: &mut crate::state::ServerState, how: Manual) -> Result<(), String> {
    let _ = (state, how);
    todo!("i32-bus")
}

/// Forgets any election or manual failover in progress (CLUSTER RESET, REPLICATE).
pub fn reset_manual(cl: &mut Cluster) {
    let _ = cl;
    todo!("i32-bus")
}
