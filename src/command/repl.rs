//! The replication commands' rows in the command table: SYNC, PSYNC, REPLCONF, ROLE, WAIT, WAITAOF, REPLICAOF /
//! SLAVEOF, FAILOVER. What they do is replication's, with the rest of the feature in [`crate::state::repl`]
//! ([`commands`]): the rows here lend each handler the client and the server.

use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::state::repl::commands;

const SERVER: Command = Command { group: Group::Server, complexity: "O(1)", ..BASE };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "sync",
        arity: 1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::NO_MULTI | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "1.0.0",
        summary: "Internal command used for replication",
        complexity: "",
        handler: sync,
        ..SERVER
    },
    Command {
        name: "psync",
        arity: -3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::NO_ASYNC_LOADING | flag::NO_MULTI | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "2.8.0",
        summary: "Internal command used for replication",
        complexity: "",
        syntax: "replicationid offset",
        handler: sync,
        ..SERVER
    },
    Command {
        name: "replconf",
        arity: -1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::ALLOW_BUSY,
        acl: "admin slow dangerous",
        since: "3.0.0",
        summary: "An internal command for configuring the replication stream",
        handler: replconf,
        ..SERVER
    },
    Command {
        name: "role",
        arity: 1,
        flags: flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::SENTINEL,
        acl: "admin fast dangerous",
        since: "2.8.12",
        summary: "Return the role of the instance in the context of replication",
        handler: role,
        ..SERVER
    },
    Command {
        name: "wait",
        arity: 3,
        flags: flag::NOSCRIPT,
        acl: "slow connection",
        group: Group::Generic,
        since: "3.0.0",
        summary: "Wait for the synchronous replication of all the write commands sent in the context of the \
                  current connection",
        syntax: "numreplicas timeout",
        tips: "request_policy:all_shards response_policy:agg_min",
        handler: wait,
        ..SERVER
    },
    Command {
        name: "waitaof",
        arity: 4,
        flags: flag::BLOCKING,
        acl: "slow blocking connection",
        group: Group::Generic,
        since: "7.2.0",
        summary: "Blocks until all of the preceding write commands sent by the connection are written to the \
                  append-only file of the master and/or replicas.",
        syntax: "numlocal{:integer} numreplicas timeout",
        tips: "request_policy:all_shards response_policy:agg_min",
        handler: waitaof,
        ..SERVER
    },
    Command {
        name: "replicaof",
        arity: 3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::STALE | flag::NO_ASYNC_LOADING | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "5.0.0",
        summary: "Make the server a replica of another instance, or promote it as master.",
        syntax: "<<host port>{host-port} | <NO ONE>{no-one}>{args}",
        handler: replicaof,
        ..SERVER
    },
    Command {
        name: "failover",
        arity: -1,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::STALE | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "6.2.0",
        summary: "Start a coordinated failover between this server and one of its replicas.",
        syntax: "[TO host port [FORCE]]{target} [ABORT] [TIMEOUT milliseconds]",
        handler: failover,
        ..SERVER
    },
    Command {
        name: "slaveof",
        arity: 3,
        flags: flag::ADMIN | flag::NOSCRIPT | flag::STALE | flag::NO_ASYNC_LOADING | flag::SEES_CLIENTS,
        acl: "admin slow dangerous",
        since: "1.0.0",
        summary: "Make the server a replica of another instance, or promote it as master.",
        syntax: "<<host port>{host-port} | <NO ONE>{no-one}>{args}",
        handler: replicaof,
        ..SERVER
    },
];

// The handlers are replication's own (`state::repl::commands`); the table lends them the client and the server.

fn sync(ctx: &mut Ctx, args: Args) {
    let (c, srv) = ctx.client_and_server();
    commands::sync(c, srv, args)
}

fn replconf(ctx: &mut Ctx, args: Args) {
    let (c, srv) = ctx.client_and_server();
    commands::replconf(c, srv, args)
}

fn role(ctx: &mut Ctx, args: Args) {
    let (c, srv) = ctx.client_and_server();
    commands::role(c, srv, args)
}

fn wait(ctx: &mut Ctx, args: Args) {
    let (c, srv) = ctx.client_and_server();
    commands::wait(c, srv, args)
}

fn waitaof(ctx: &mut Ctx, args: Args) {
    let (c, srv) = ctx.client_and_server();
    commands::waitaof(c, srv, args)
}

fn replicaof(ctx: &mut Ctx, args: Args) {
    let (c, srv) = ctx.client_and_server();
    commands::replicaof(c, srv, args)
}

fn failover(ctx: &mut Ctx, args: Args) {
    let (c, srv) = ctx.client_and_server();
    commands::failover(c, srv, args)
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;
    use crate::net::client::flags;
    use crate::state::repl::roles::{MasterAddr, ReplicaState, Request};

    #[test]
    fn replconf_options() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["replconf", "listening-port", "7777", "capa", "eof", "capa", "psync2"]), "+OK\r\n");
        let info = h.srv.repl.take_replconf(h.client.id);
        assert_eq!(info.listening_port, 7777);
        assert!(info.capa_eof && info.capa_psync2);
        assert_eq!(h.run(&["replconf", "listening-port"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["replconf", "foo", "bar"]), "-ERR Unrecognized REPLCONF option: foo\r\n");
        // ACK from a client that is not a replica: ignored, no reply.
        assert_eq!(h.run(&["replconf", "ack", "10"]), "");
    }

    #[test]
    fn role_of_a_master_and_replicaof_requests() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["role"]), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
        assert_eq!(h.run(&["replicaof", "127.0.0.1", "99999"]), "-ERR Invalid master port\r\n");
        assert_eq!(h.run(&["replicaof", "no", "one"]), "+OK\r\n");
        assert!(h.srv.repl.requests.is_empty());
        assert_eq!(h.run(&["replicaof", "127.0.0.1", "7000"]), "+OK\r\n");
        assert_eq!(
            h.srv.repl.requests,
            vec![Request::SetMaster(MasterAddr { host: "127.0.0.1".into(), port: 7000 }, true)]
        );
    }

    #[test]
    fn sync_registers_a_waiting_replica_and_creates_the_backlog() {
        let mut h = Harness::new();
        let old = h.srv.repl.replid.clone();
        assert_eq!(h.run(&["psync", "?", "-1"]), "");
        assert!(h.client.has(flags::REPLICA));
        assert_eq!(h.srv.repl.replicas.len(), 1);
        assert_eq!(h.srv.repl.replicas[0].state, ReplicaState::WaitBgsaveStart);
        assert!(h.srv.repl.backlog.is_some() && h.srv.repl.sync_wanted);
        assert_ne!(h.srv.repl.replid, old);
        assert_eq!((h.srv.repl.sync_full, h.srv.repl.sync_partial_err), (1, 0));
        // Further SYNCs from a replica are ignored.
        assert_eq!(h.run(&["sync"]), "");
    }
}
