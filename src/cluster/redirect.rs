//! Which node serves a command (Redis's `getNodeByQuery`): `-MOVED`, `-ASK`, `-CROSSSLOT`, `-TRYAGAIN`,
//! `-CLUSTERDOWN`; and the cluster's ok/fail state (Redis's `clusterUpdateState`). Owned by the command work
//! (`i32-cmd`).

use super::Cluster;

/// Bookkeeping of `update_state`.
#[derive(Default)]
pub struct Health {}

/// Recomputes `cluster_state` and `cluster_size` (Redis's `clusterUpdateState`).
pub fn update_state(cl: &mut Cluster, now_ms: i64) {
    let _ = (cl, now_ms);
    todo!("i32-cmd")
}
