//! The cluster bus: the listener on `cluster-port`, one outbound link per known node and the inbound links they
//! open to us, on the server's event loop; MEET/PING/PONG with gossip, FAIL, UPDATE, PUBLISH and failover
//! messages. Owned by the bus work (`i32-bus`).

use super::{Cluster, NodeIdx};

/// Links and the bus listener.
#[derive(Default)]
pub struct Bus {}

/// CLUSTER MEET: starts a handshake with the node at `ip:port` whose bus listens on `cport` (Redis's
/// `clusterStartHandshake`). `Err` is the error text CLUSTER MEET answers.
pub fn meet(cl: &mut Cluster, ip: &str, port: u16, cport: u16, now_ms: i64) -> Result<(), String> {
    let _ = (cl, ip, port, cport, now_ms);
    todo!("i32-bus")
}

/// Closes the links of a node about to be removed (CLUSTER FORGET, RESET, a handshake that timed out).
pub fn drop_links(cl: &mut Cluster, node: NodeIdx) {
    let _ = (cl, node);
    todo!("i32-bus")
}

/// Sends PUBLISH (or PUBLISHSHARD when `sharded`) to the other nodes (Redis's `clusterPropagatePublish`).
pub fn publish(cl: &mut Cluster, channel: &[u8], message: &[u8], sharded: bool) {
    let _ = (cl, channel, message, sharded);
    todo!("i32-bus")
}

/// Sends a PONG to every node with a link (Redis's `clusterBroadcastPong(CLUSTER_BROADCAST_ALL)`), after this
/// node's configuration changed.
pub fn broadcast_pong(cl: &mut Cluster, now_ms: i64) {
    let _ = (cl, now_ms);
    todo!("i32-bus")
}
