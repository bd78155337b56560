//! CLUSTER (every subcommand), READONLY, READWRITE and ASKING as Redis 7.0 serves them with `cluster-enabled no`
//! (Redis `cluster.c`: `clusterCommand`, `readonlyCommand`, `readwriteCommand`, `askingCommand`).
//!
//! ferredis has no cluster mode, which is exactly Redis's standalone configuration: the commands exist, with
//! Redis's table entries (arity, flags such as `noscript` on CLUSTER RESET, ACL categories, no key specs), so
//! COMMAND INFO/DOCS/COUNT, ACL rules, scripts and MULTI treat them as Redis does, and every call that reaches a
//! handler answers `-ERR This instance has cluster support disabled`. Unknown subcommands get the dispatcher's
//! usual unknown-subcommand error, wrong arities the usual arity error.
//!
//! Tested by `tests/cluster_cmd.rs` (replies against redis-server, and the refusal inside a script) and by
//! `tests/differential.rs`'s COMMAND INFO comparison of every command.

use super::{flag, Args, Command, Ctx, Group, BASE};

/// Redis's reply to every cluster command when cluster mode is off.
const DISABLED: &str = "ERR This instance has cluster support disabled";

fn cluster_disabled(ctx: &mut Ctx, _args: Args) {
    ctx.reply().error(DISABLED);
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "cluster",
        arity: -2,
        flags: 0,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "A container for cluster commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: SUBCOMMANDS,
        ..BASE
    },
    Command {
        name: "readonly",
        arity: 1,
        flags: flag::FAST | flag::LOADING | flag::STALE,
        acl: "fast connection",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Enables read queries for a connection to a cluster replica node",
        complexity: "O(1)",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "readwrite",
        arity: 1,
        flags: flag::FAST | flag::LOADING | flag::STALE,
        acl: "fast connection",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Disables read queries for a connection to a cluster replica node",
        complexity: "O(1)",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "asking",
        arity: 1,
        flags: flag::FAST,
        acl: "fast connection",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Sent by cluster clients after an -ASK redirect",
        complexity: "O(1)",
        handler: cluster_disabled,
        ..BASE
    },
];

static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "addslots",
        arity: -3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Assign new hash slots to receiving node",
        complexity: "O(N) where N is the total number of hash slot arguments",
        syntax: "slot{:integer} [slot{:integer} ...]",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "addslotsrange",
        arity: -4,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "7.0.0",
        summary: "Assign new hash slots to receiving node",
        complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
        syntax: "start-slot{:integer} end-slot{:integer} [start-slot{:integer} end-slot{:integer} ...]",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "bumpepoch",
        arity: 2,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Advance the cluster config epoch",
        complexity: "O(1)",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "count-failure-reports",
        arity: 3,
        flags: flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Return the number of failure reports active for a given node",
        complexity: "O(N) where N is the number of failure reports",
        syntax: "node-id",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "countkeysinslot",
        arity: 3,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Return the number of local keys in the specified hash slot",
        complexity: "O(1)",
        syntax: "slot{:integer}",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "delslots",
        arity: -3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Set hash slots as unbound in receiving node",
        complexity: "O(N) where N is the total number of hash slot arguments",
        syntax: "slot{:integer} [slot{:integer} ...]",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "delslotsrange",
        arity: -4,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "7.0.0",
        summary: "Set hash slots as unbound in receiving node",
        complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
        syntax: "start-slot{:integer} end-slot{:integer} [start-slot{:integer} end-slot{:integer} ...]",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "failover",
        arity: -2,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Forces a replica to perform a manual failover of its master.",
        complexity: "O(1)",
        syntax: "[FORCE | TAKEOVER]{options}",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "flushslots",
        arity: 2,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Delete a node's own slots information",
        complexity: "O(1)",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "forget",
        arity: 3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Remove a node from the nodes table",
        complexity: "O(1)",
        syntax: "node-id",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "getkeysinslot",
        arity: 4,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Return local key names in the specified hash slot",
        complexity: "O(log(N)) where N is the number of requested keys",
        syntax: "slot{:integer} count{:integer}",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "info",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Provides info about Redis Cluster node state",
        complexity: "O(1)",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "keyslot",
        arity: 3,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Returns the hash slot of the specified key",
        complexity: "O(N) where N is the number of bytes in the key",
        syntax: "key{:string}",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "links",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "7.0.0",
        summary: "Returns a list of all TCP links to and from peer nodes in cluster",
        complexity: "O(N) where N is the total number of Cluster nodes",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "meet",
        arity: -4,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Force a node cluster to handshake with another node",
        complexity: "O(1)",
        syntax: "ip port{:integer} [cluster_bus_port{:integer@4.0.0}]",
        history: &[("4.0.0", "Added the optional `cluster_bus_port` argument.")],
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "myid",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Return the node id",
        complexity: "O(1)",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "nodes",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Get Cluster config for the node",
        complexity: "O(N) where N is the total number of Cluster nodes",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "replicas",
        arity: 3,
        flags: flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "5.0.0",
        summary: "List replica nodes of the specified master node",
        complexity: "O(1)",
        syntax: "node-id",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "replicate",
        arity: 3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Reconfigure a node as a replica of the specified master node",
        complexity: "O(1)",
        syntax: "node-id",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "reset",
        arity: -2,
        flags: flag::ADMIN | flag::STALE | flag::NOSCRIPT,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Reset a Redis Cluster node",
        complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.",
        syntax: "[HARD | SOFT]{hard_soft}",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "saveconfig",
        arity: 2,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Forces the node to save cluster state on disk",
        complexity: "O(1)",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "set-config-epoch",
        arity: 3,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Set the configuration epoch in a new node",
        complexity: "O(1)",
        syntax: "config-epoch{:integer}",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "setslot",
        arity: -4,
        flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Bind a hash slot to a specific node",
        complexity: "O(1)",
        syntax: "slot{:integer} <IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE>{subcommand}",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "shards",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "7.0.0",
        summary: "Get array of cluster slots to node mappings",
        complexity: "O(N) where N is the total number of cluster nodes",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "slaves",
        arity: 3,
        flags: flag::ADMIN | flag::STALE,
        acl: "admin slow dangerous",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "List replica nodes of the specified master node",
        complexity: "O(1)",
        syntax: "node-id",
        tips: "nondeterministic_output",
        handler: cluster_disabled,
        ..BASE
    },
    Command {
        name: "slots",
        arity: 2,
        flags: flag::STALE,
        acl: "slow",
        group: Group::Cluster,
        since: "3.0.0",
        summary: "Get array of Cluster slot to node mappings",
        complexity: "O(N) where N is the total number of Cluster nodes",
        tips: "nondeterministic_output",
        history: &[("4.0.0", "Added node IDs."), ("7.0.0", "Added additional networking metadata field.")],
        handler: cluster_disabled,
        ..BASE
    },
];
