//! The command table's handlers and the context they run in.
//!
//! Each family lives in its own file and exports a `COMMANDS` slice of [`Command`]s. A handler gets a [`Ctx`] and
//! the [`Args`] of the call, already checked against the command's arity.
//!
//! # What a handler sees
//!
//! [`Ctx`] (`command/context.rs`) holds the calling client and the server state in private fields: a handler
//! reaches them only through its named views, each as narrow as its use: the reply sink and the client
//! ([`Ctx::reply`], [`Ctx::client`]), the keys (the one lookup, [`Ctx::lookup`], and the door below), the settings
//! and clock it reads ([`Ctx::config`], [`Ctx::now_ms`], [`Ctx::settings`]), a few services ([`Ctx::rng`],
//! [`Ctx::propagation`], keyspace events). The families that act on the server as a whole (CONFIG, DEBUG, CLIENT,
//! INFO, replication, CLUSTER, ...) take the one whole-server view, [`Ctx::server`] / [`Ctx::server_mut`],
//! documented as the exception; every other
//! family (the data types, the keyspace commands, SCRIPT and FUNCTION, ...) never does, and `tests/layers.rs`
//! keeps it so (its `WHOLE_SERVER_FAMILIES` lists the files that may, with why). The fields are private to `context` (the struct, its views and the door), not
//! to this module, so the handlers' files cannot bypass the views.
//!
//! What a command is (name, arity, flags, key specs, ACL categories, docs) and the name table are the
//! handler-free leaf [`crate::command_spec`], which the layers below this one read; it is re-exported here. This
//! module supplies the leaf with the handler type and the families ([`crate::command_spec::Supplier`]).
//!
//! # The door for single keys
//!
//! A handler reads a key through the one lookup, [`Ctx::lookup`] (and its typed forms [`Ctx::lookup_typed`],
//! [`Ctx::lookup_rng`]), with an [`Access`] that says what the lookup does besides finding the key, as Redis's
//! `lookupKey` takes `LOOKUP_*` flags (the table is in `command/context/access.rs`); every lookup hands out shared
//! references. It changes a key only through [`door`]: there is no mutable access to a whole database on [`Ctx`].
//! A write lookup ([`Ctx::write`], [`Ctx::write_typed`], [`Ctx::write_or_create`]) or [`Ctx::open_write`] hands
//! out a [`KeyWrite`] for the key; the keyspace operations on that key (insert, remove, delete, set or drop a TTL,
//! the entry itself, SET's store) are the methods of its [`door::Door`] (`ctx.door(&w)`), and before the handle
//! goes away it is settled:
//!
//! ```text
//!  let (set, r, mut w) = ctx.write_or_create::<Set>(key, ..)?     w: KeyWrite { key, db }, open
//!  ... change the value, reply ...
//!  ctx.settle(&mut w, added)       0: nothing happened, nothing signalled (SADD of present members)
//!  ctx.changed(&mut w, n)          the key changed, n towards dirty (0: counted on another key; still signalled)
//!  w.untouched()                   an error or a condition that did not hold after the lookup
//!      └─▶ ServerState::key_changed: dirty += n, WATCH, blocked clients, tracking invalidation (sent at once)
//! ```
//!
//! Settling is the only route to [`ServerState::key_changed`](crate::state::ServerState::key_changed) from a handler
//! (the method that reaches it is private to [`door`], `command/context/door.rs`). The type system cannot prove that a
//! handle was settled, so the check is at run time: a handle dropped while open panics in debug builds, and the test
//! suites run every handler path they reach through it. In release builds the handle is a key slice and a database
//! index, settled at no cost. Deleting a whole key has shortcuts that open, act and settle at once
//! ([`Ctx::delete_key`], [`Ctx::unlink_key`]), and the writes Redis counts without signalling the key (a stream's
//! consumer groups, XSETID) settle their handle as [`KeyWrite::unsignalled`] and count with [`Ctx::count_changes`].
//! Keyspace events stay with the handler ([`Ctx::notify`]), in Redis's order, since their names differ per command.

#![forbid(unsafe_code)]

pub mod acl;
pub mod admin;
pub mod bitmap;
pub mod blocking;
pub mod bloom;
pub mod client_info;
pub mod cluster;
pub mod cms;
pub mod commands;
pub mod config;
pub mod connection;
mod context;
pub mod cuckoo;
pub mod debug;
pub mod dump;
pub mod function;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod hotkeys;
pub mod increx;
pub mod info;
pub mod json;
pub mod keys;
pub mod latency;
pub mod list;
pub mod lolwut;
pub mod longdouble;
pub mod memory;
pub mod migrate;
pub mod module;
pub mod multi;
#[cfg(test)]
mod notify_tests;
pub mod pubsub;
pub mod repl;
pub mod scripting;
pub mod sentinel;
pub mod set;
pub mod shared;
pub mod slot_stats;
pub mod sort;
pub mod stream;
pub mod string;
pub mod string_cond;
pub mod tdigest;
#[cfg(any(test, feature = "test-harness"))]
pub mod test_support;
pub mod topk;
pub mod zset;

pub use crate::args::{Args, OwnedArgs};
pub use context::{door, views, Access, Ctx, KeyWrite, WrongType};

pub use crate::command_spec::{
    all_commands, count, flag, init_full_names, is_exec, lookup, lookup_sub, resolve_sub, sub_full_name, table,
    BeginSearch, Command, CommandTable, FindKeys, GetKeysFlags, Group, KeySpec, KeySpecDef, Resolved, ALL_KEYS,
    NO_KEYS, ONE_KEY,
};

/// What a command's entry calls: [`Command::handler`] (the leaf sees the type only through
/// [`crate::command_spec::Supplier`]).
pub type Handler = fn(&mut Ctx, Args);

/// What [`Command::prefetch`] calls: the database the command will run in, and its arguments.
pub type Prefetch = fn(&crate::keyspace::db::Db, Args);

/// The defaults a table entry starts from; families override with struct update syntax.
pub const BASE: Command = Command {
    name: "",
    arity: 1,
    flags: 0,
    acl: "",
    keys: NO_KEYS,
    group: Group::Generic,
    since: "1.0.0",
    summary: "",
    complexity: "O(1)",
    syntax: "",
    handler: |ctx, _| ctx.reply().error("ERR command has no handler"),
    prefetch: None,
    subcommands: &[],
    getkeys: None,
    key_specs: &[],
    getkeys_flags: None,
    tips: "",
    key_flags: "",
    history: &[],
};

/// The command layer's side of [`crate::command_spec`]: the handler type and the families the table is made of.
impl crate::command_spec::Supplier for crate::command_spec::CommandLayer {
    type Handler = Handler;
    type Prefetch = Prefetch;

    fn families() -> impl Iterator<Item = &'static [Command]> {
        // Read at run time, not gathered in a static: a static initializer that copies these references may get
        // its own copy of the entries, and entries are compared by address (ACL ids).
        [
            string::COMMANDS,
            string_cond::COMMANDS,
            increx::COMMANDS,
            keys::COMMANDS,
            connection::COMMANDS,
            admin::COMMANDS,
            debug::COMMANDS,
            config::COMMANDS,
            info::COMMANDS,
            commands::COMMANDS,
            list::COMMANDS,
            hash::COMMANDS,
            set::COMMANDS,
            zset::COMMANDS,
            sort::COMMANDS,
            multi::COMMANDS,
            pubsub::COMMANDS,
            dump::COMMANDS,
            latency::COMMANDS,
            hotkeys::COMMANDS,
            acl::COMMANDS,
            repl::COMMANDS,
            scripting::COMMANDS,
            function::COMMANDS,
            cluster::COMMANDS,
            stream::COMMANDS,
            lolwut::COMMANDS,
            hll::COMMANDS,
            json::COMMANDS,
            geo::COMMANDS,
            bitmap::COMMANDS,
            migrate::COMMANDS,
            module::COMMANDS,
            sentinel::COMMANDS,
            bloom::COMMANDS,
            cuckoo::COMMANDS,
            cms::COMMANDS,
            topk::COMMANDS,
            tdigest::COMMANDS,
        ]
        .into_iter()
    }
}

#[cfg(test)]
mod tests;
