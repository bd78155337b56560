//! Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH SSUBSCRIBE SUNSUBSCRIBE SPUBLISH and the
//! PUBSUB container. The registry and delivery live in [`crate::pubsub`].

use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, BASE};
use crate::pubsub::Kind;
use crate::state::pubsub;

const PUBSUB_FLAGS: u64 = flag::PUBSUB | flag::NOSCRIPT | flag::LOADING | flag::STALE;
const PUBLISH_FLAGS: u64 = flag::PUBSUB | flag::LOADING | flag::STALE | flag::FAST;

const SUB: Command =
    Command { arity: -2, flags: PUBSUB_FLAGS, acl: "pubsub slow", group: Group::PubSub, since: "2.0.0", ..BASE };

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "subscribe",
        flags: PUBSUB_FLAGS | flag::SENTINEL,
        summary: "Listen for messages published to the given channels",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        syntax: "channel [channel ...]",
        handler: subscribe,
        ..SUB
    },
    Command {
        name: "psubscribe",
        flags: PUBSUB_FLAGS | flag::SENTINEL,
        summary: "Listen for messages published to channels matching the given patterns",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        syntax: "pattern [pattern ...]{pattern:block}",
        handler: psubscribe,
        ..SUB
    },
    Command {
        name: "unsubscribe",
        flags: PUBSUB_FLAGS | flag::SENTINEL,
        arity: -1,
        summary: "Stop listening for messages posted to the given channels",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        syntax: "[channel [channel ...]]",
        handler: unsubscribe,
        ..SUB
    },
    Command {
        name: "punsubscribe",
        flags: PUBSUB_FLAGS | flag::SENTINEL,
        arity: -1,
        summary: "Stop listening for messages posted to channels matching the given patterns",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number \
                     of total patterns subscribed in the system (by any client).",
        syntax: "[pattern [pattern ...]]",
        handler: punsubscribe,
        ..SUB
    },
    Command {
        name: "ssubscribe",
        keys: KeySpec { first: 1, last: -1, step: 1 },
        key_specs: &[KeySpecDef::range(1, -1, 1, "not_key")],
        since: "7.0.0",
        summary: "Listen for messages published to the given shard channels",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        syntax: "shardchannel [shardchannel ...]",
        handler: ssubscribe,
        ..SUB
    },
    Command {
        name: "sunsubscribe",
        arity: -1,
        keys: KeySpec { first: 1, last: -1, step: 1 },
        key_specs: &[KeySpecDef::range(1, -1, 1, "not_key")],
        since: "7.0.0",
        summary: "Stop listening for messages posted to the given shard channels",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        syntax: "[shardchannel [shardchannel ...]]",
        handler: sunsubscribe,
        ..SUB
    },
    Command {
        name: "publish",
        arity: 3,
        flags: PUBLISH_FLAGS | flag::MAY_REPLICATE | flag::SENTINEL,
        acl: "pubsub fast",
        group: Group::PubSub,
        since: "2.0.0",
        summary: "Post a message to a channel",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total \
                     number of subscribed patterns (by any client).",
        syntax: "channel message",
        handler: publish,
        ..BASE
    },
    Command {
        name: "spublish",
        arity: 3,
        flags: PUBLISH_FLAGS | flag::MAY_REPLICATE,
        acl: "pubsub fast",
        keys: KeySpec { first: 1, last: 1, step: 1 },
        key_specs: &[KeySpecDef::at(1, "not_key")],
        group: Group::PubSub,
        since: "7.0.0",
        summary: "Post a message to a shard channel",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        syntax: "shardchannel message",
        handler: spublish,
        ..BASE
    },
    Command {
        name: "pubsub",
        arity: -2,
        acl: "slow",
        group: Group::PubSub,
        since: "2.8.0",
        summary: "A container for Pub/Sub commands",
        complexity: "Depends on subcommand.",
        handler: super::shared::container,
        subcommands: PUBSUB_SUBCOMMANDS,
        ..BASE
    },
];

const PUBSUB_SUB: Command = Command {
    arity: -2,
    flags: flag::PUBSUB | flag::LOADING | flag::STALE,
    acl: "pubsub slow",
    group: Group::PubSub,
    since: "2.8.0",
    ..BASE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static PUBSUB_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "channels",
        summary: "List active channels",
        complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching \
                     (relatively short channels and patterns)",
        syntax: "[pattern]",
        handler: pubsub_channels,
        ..PUBSUB_SUB
    },
    Command {
        name: "numsub",
        summary: "Get the count of subscribers for channels",
        complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        syntax: "[channel [channel ...]]",
        handler: pubsub_numsub,
        ..PUBSUB_SUB
    },
    Command {
        name: "numpat",
        arity: 2,
        summary: "Get the count of unique patterns pattern subscriptions",
        complexity: "O(1)",
        handler: pubsub_numpat,
        ..PUBSUB_SUB
    },
    Command {
        name: "shardchannels",
        since: "7.0.0",
        summary: "List active shard channels",
        complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern \
                     matching (relatively short shard channels).",
        syntax: "[pattern]",
        handler: pubsub_shardchannels,
        ..PUBSUB_SUB
    },
    Command {
        name: "shardnumsub",
        since: "7.0.0",
        summary: "Get the count of subscribers for shard channels",
        complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        syntax: "[shardchannel [shardchannel ...]]",
        handler: pubsub_shardnumsub,
        ..PUBSUB_SUB
    },
    Command { since: "6.2.0", complexity: "O(1)", ..super::shared::help_entry(PUBSUB_SUB, pubsub_help) },
];

fn names<'a>(args: &Args<'a>, from: usize) -> Vec<&'a [u8]> {
    (from..args.len()).map(|i| args.get(i)).collect()
}

fn do_subscribe(ctx: &mut Ctx, args: Args, kind: Kind) {
    let n = names(&args, 1);
    let (client, srv) = ctx.client_and_server();
    pubsub::subscribe_reply(srv, client, kind, &n);
}

fn do_unsubscribe(ctx: &mut Ctx, args: Args, kind: Kind) {
    let n = names(&args, 1);
    let (client, srv) = ctx.client_and_server();
    pubsub::unsubscribe_reply(srv, client, kind, &n, true);
}

/// SUBSCRIBE channel [channel ...]
// Thin handlers, one per command, over one generic function a kind (the architecture guide's style 8): alike by design.
fn subscribe(ctx: &mut Ctx, args: Args) {
    do_subscribe(ctx, args, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx, args: Args) {
    do_subscribe(ctx, args, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe(ctx: &mut Ctx, args: Args) {
    do_subscribe(ctx, args, Kind::Shard)
}

/// UNSUBSCRIBE [channel [channel ...]]
fn unsubscribe(ctx: &mut Ctx, args: Args) {
    do_unsubscribe(ctx, args, Kind::Channel)
}

/// PUNSUBSCRIBE [pattern [pattern ...]]
fn punsubscribe(ctx: &mut Ctx, args: Args) {
    do_unsubscribe(ctx, args, Kind::Pattern)
}

/// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
fn sunsubscribe(ctx: &mut Ctx, args: Args) {
    do_unsubscribe(ctx, args, Kind::Shard)
}

/// PUBLISH channel message
fn publish(ctx: &mut Ctx, args: Args) {
    let (client, srv) = ctx.client_and_server();
    let n = pubsub::publish(srv, Some(client), false, args.get(1), args.get(2));
    match ctx.server_mut().cluster.as_deref_mut() {
        // In a cluster every node hears it over the bus (Redis's clusterPropagatePublish).
        Some(cl) => crate::cluster::bus::publish(cl, args.get(1), args.get(2), false),
        // Replicas get it too (their subscribers hear it), the AOF does not.
        None => ctx.propagation().force_to_replicas(),
    }
    ctx.reply().int(n as i64);
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx, args: Args) {
    let (client, srv) = ctx.client_and_server();
    let n = pubsub::publish(srv, Some(client), true, args.get(1), args.get(2));
    match ctx.server_mut().cluster.as_deref_mut() {
        // The nodes of this shard hear it over the bus.
        Some(cl) => crate::cluster::bus::publish(cl, args.get(1), args.get(2), true),
        None => ctx.propagation().force_to_replicas(),
    }
    ctx.reply().int(n as i64);
}

fn list_names(ctx: &mut Ctx, args: Args, kind: Kind) {
    if args.len() > 3 {
        super::admin::err_subcommand_syntax(ctx.reply(), "pubsub", args.get(1));
        return;
    }
    let pattern = if args.len() == 3 { Some(args.get(2)) } else { None };
    let (client, srv) = ctx.client_and_server();
    let found = srv.pubsub.names_matching(kind, pattern);
    client.reply.bulk_array(found);
}

fn count_subscribers(ctx: &mut Ctx, args: Args, kind: Kind) {
    let (client, srv) = ctx.client_and_server();
    client.reply.array((args.len() - 2) * 2);
    for i in 2..args.len() {
        client.reply.bulk(args.get(i));
        client.reply.int(srv.pubsub.num_subscribers(kind, args.get(i)) as i64);
    }
}

/// PUBSUB CHANNELS \[pattern\]
fn pubsub_channels(ctx: &mut Ctx, args: Args) {
    list_names(ctx, args, Kind::Channel)
}

/// PUBSUB SHARDCHANNELS \[pattern\]
fn pubsub_shardchannels(ctx: &mut Ctx, args: Args) {
    list_names(ctx, args, Kind::Shard)
}

/// PUBSUB NUMSUB [channel [channel ...]]
fn pubsub_numsub(ctx: &mut Ctx, args: Args) {
    count_subscribers(ctx, args, Kind::Channel)
}

/// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
fn pubsub_shardnumsub(ctx: &mut Ctx, args: Args) {
    count_subscribers(ctx, args, Kind::Shard)
}

/// PUBSUB NUMPAT
fn pubsub_numpat(ctx: &mut Ctx, _args: Args) {
    let n = ctx.server_mut().pubsub.len(Kind::Pattern);
    ctx.reply().int(n as i64);
}

/// PUBSUB HELP
fn pubsub_help(ctx: &mut Ctx, _args: Args) {
    super::shared::reply_help(
        ctx.reply(),
        "pubsub",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;

    #[test]
    fn pubsub_introspection() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["pubsub", "numpat"]), ":0\r\n");
        assert_eq!(h.run(&["pubsub", "channels"]), "*0\r\n");
        assert_eq!(h.run(&["pubsub", "numsub", "a", "b"]), "*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n");
        assert_eq!(
            h.run(&["pubsub", "channels", "a", "b"]),
            "-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n"
        );
        assert_eq!(h.run(&["publish", "a", "b"]), ":0\r\n");
        assert_eq!(
            h.run(&["subscribe", "a", "b"]),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
        );
        assert_eq!(h.run(&["psubscribe", "a*"]), "*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:3\r\n");
        // A RESP2 subscriber may only (un)subscribe, PING, QUIT and RESET: another client looks.
        assert!(h.run(&["pubsub", "numsub", "a"]).starts_with("-ERR Can't execute 'pubsub|numsub'"));
        h.client = crate::net::client::ClientState::new(8, 10, "127.0.0.1:5001".into(), "".into(), h.srv.now_ms);
        assert_eq!(h.run(&["pubsub", "numsub", "a"]), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(h.run(&["pubsub", "numpat"]), ":1\r\n");
        assert_eq!(h.run(&["pubsub", "channels", "b*"]), "*1\r\n$1\r\nb\r\n");
        let help = h.run(&["pubsub", "help"]);
        assert!(help.starts_with("*14\r\n+PUBSUB <subcommand>"), "{help}");
    }
}
