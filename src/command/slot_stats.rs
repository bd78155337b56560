//! CLUSTER SLOT-STATS (Valkey 8.0): per-slot key counts, and with `cluster-slot-stats-enabled` the CPU time and
//! network bytes each slot's commands took, by slot range or ordered by one metric. Kept beside `cluster.rs`,
//! whose subcommand table names this handler.
//!
//! Tested by `tests/cluster/slot_stats.rs` (byte for byte against Valkey 8).

use super::cluster::{cluster, keys_in_slot, slot_arg};
use super::{Args, Ctx};
use crate::cluster::SLOTS;
use crate::util::parse_i64;

/// The CLUSTER SLOT-STATS metrics, in reply order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SlotMetric {
    KeyCount,
    CpuUsec,
    BytesIn,
    BytesOut,
}

fn slot_metric(ctx: &Ctx, slot: usize, m: SlotMetric) -> u64 {
    let Some(st) = ctx.server().cluster.as_deref().map(|cl| cl.slot_stats[slot]) else { return 0 };
    match m {
        SlotMetric::KeyCount => keys_in_slot(ctx, slot) as u64,
        SlotMetric::CpuUsec => st.cpu_usec,
        SlotMetric::BytesIn => st.network_bytes_in,
        SlotMetric::BytesOut => st.network_bytes_out,
    }
}

/// One slot's entry: `[slot, {key-count, [cpu-usec, network-bytes-in, network-bytes-out]}]`.
fn reply_slot_stat(ctx: &mut Ctx, slot: usize) {
    let all = ctx.config().cluster_slot_stats_enabled;
    let values = [
        slot_metric(ctx, slot, SlotMetric::KeyCount),
        slot_metric(ctx, slot, SlotMetric::CpuUsec),
        slot_metric(ctx, slot, SlotMetric::BytesIn),
        slot_metric(ctx, slot, SlotMetric::BytesOut),
    ];
    let r = ctx.reply();
    r.array(2);
    r.int(slot as i64);
    r.map(if all { 4 } else { 1 });
    r.bulk(b"key-count");
    r.int(values[0] as i64);
    if all {
        for (name, v) in [("cpu-usec", values[1]), ("network-bytes-in", values[2]), ("network-bytes-out", values[3])] {
            r.bulk(name.as_bytes());
            r.int(v as i64);
        }
    }
}

/// CLUSTER SLOT-STATS SLOTSRANGE start-slot end-slot | ORDERBY metric [LIMIT limit] [ASC | DESC] (Valkey 8.0):
/// the slots this node's shard serves, with their key counts and, with `cluster-slot-stats-enabled`, the CPU time
/// and network bytes of the commands that touched them (Valkey's `clusterSlotStatsCommand`).
pub(super) fn slot_stats(ctx: &mut Ctx, args: Args) {
    let Some(cl) = cluster(ctx) else { return };
    let _ = cl;
    if args.len() == 5 && args.is(2, "slotsrange") {
        let Some(start) = slot_arg(ctx, args.get(3)) else { return };
        let Some(end) = slot_arg(ctx, args.get(4)) else { return };
        if start > end {
            ctx.reply().error(&format!("ERR Start slot number {start} is greater than end slot number {end}"));
            return;
        }
        let Some(cl) = ctx.server_mut().cluster.as_deref() else { return };
        let slots: Vec<usize> = (start..=end).filter(|&s| cl.my_shard_owns(s)).collect();
        ctx.reply().array(slots.len());
        for s in slots {
            reply_slot_stat(ctx, s);
        }
    } else if args.len() >= 4 && args.is(2, "orderby") {
        let all = ctx.config().cluster_slot_stats_enabled;
        let m = args.get(3);
        let metric = if m.eq_ignore_ascii_case(b"key-count") {
            SlotMetric::KeyCount
        } else if all && m.eq_ignore_ascii_case(b"cpu-usec") {
            SlotMetric::CpuUsec
        } else if all && m.eq_ignore_ascii_case(b"network-bytes-in") {
            SlotMetric::BytesIn
        } else if all && m.eq_ignore_ascii_case(b"network-bytes-out") {
            SlotMetric::BytesOut
        } else {
            ctx.reply().error("ERR Unrecognized sort metric for ORDERBY.");
            return;
        };
        let (mut desc, mut limit) = (true, SLOTS);
        let (mut limits, mut orders) = (0, 0);
        let mut i = 4;
        while i < args.len() {
            if args.is(i, "limit") && i + 1 < args.len() {
                match parse_i64(args.get(i + 1)) {
                    Some(n) if (1..=SLOTS as i64).contains(&n) => limit = n as usize,
                    _ => {
                        ctx.reply().error("ERR Limit has to lie in between 1 and 16384 (maximum number of slots).");
                        return;
                    }
                }
                i += 1;
                limits += 1;
            } else if args.is(i, "asc") {
                desc = false;
                orders += 1;
            } else if args.is(i, "desc") {
                desc = true;
                orders += 1;
            } else {
                ctx.reply().err_syntax();
                return;
            }
            if limits > 1 || orders > 1 {
                ctx.reply().error("ERR Multiple filters of the same type are disallowed.");
                return;
            }
            i += 1;
        }
        let Some(cl) = ctx.server_mut().cluster.as_deref() else { return };
        let owned: Vec<usize> = (0..SLOTS).filter(|&s| cl.my_shard_owns(s)).collect();
        let mut keyed: Vec<(u64, usize)> = owned.iter().map(|&s| (slot_metric(ctx, s, metric), s)).collect();
        // By the metric, ties by ascending slot (Valkey's comparators).
        if desc {
            keyed.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        } else {
            keyed.sort_unstable();
        }
        keyed.truncate(limit);
        ctx.reply().array(keyed.len());
        for (_, s) in keyed {
            reply_slot_stat(ctx, s);
        }
    } else {
        super::admin::err_subcommand_syntax(ctx.reply(), "cluster", args.get(1));
    }
}
