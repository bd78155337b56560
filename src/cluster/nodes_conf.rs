//! `nodes.conf`: the cluster configuration file (one CLUSTER NODES line per node, then `vars currentEpoch N
//! lastVoteEpoch M`), loaded at start, saved atomically (temporary file, fsync, rename) whenever `before_sleep`
//! finds [`super::todo::SAVE_CONFIG`]. Owned by the command work (`i32-cmd`).

use super::{Cluster, NodeIdx};

/// Appends node `i`'s CLUSTER NODES line (without the line end) to `out`; `filter_myself_flag` drops nothing:
/// the same line serves CLUSTER NODES, CLUSTER REPLICAS and nodes.conf.
pub fn node_line(cl: &Cluster, i: NodeIdx, now_ms: i64, out: &mut String) {
    let _ = (cl, i, now_ms, out);
    todo!("i32-cmd")
}

/// Writes `cl.config_file` (Redis's `clusterSaveConfig`).
pub fn save(cl: &Cluster, fsync: bool, now_ms: i64) -> std::io::Result<()> {
    let _ = (cl, fsync, now_ms);
    todo!("i32-cmd")
}
