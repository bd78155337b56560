//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH (Redis 7.0 semantics).
//!
//! The dispatcher (src/server.rs) asks [`queue_hook`] before running any command of a client in MULTI; queued
//! commands are copied out of the query buffer into the client's [`MultiState`] (the queue's model, beside the
//! WATCH table in [`crate::multi`]). The server runs EXEC itself so each queued command goes through the full call
//! path (commandstats, slowlog, MONITOR), using [`exec_prepare`] and [`exec_finish`] from here (the table's EXEC entry
//! holds [`shared::run_by_server`](crate::command::shared::run_by_server)).

use super::context::Transaction;
use super::{flag, Args, Command, Ctx, Group, BASE};
pub use crate::command_spec::is_exec;
use crate::multi::WatchTable;
pub use crate::multi::{MultiState, Queued, QueuedArgs};
use crate::net::client::{flags as cf, ClientState};

const TX: Command = Command {
    group: Group::Transactions,
    flags: flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::ALLOW_BUSY,
    acl: "fast transaction",
    arity: 1,
    ..BASE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command { name: "multi", since: "1.2.0", summary: "Mark the start of a transaction block", handler: multi, ..TX },
    Command {
        name: "exec",
        flags: flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::SKIP_SLOWLOG | flag::EXEC,
        acl: "slow transaction",
        since: "1.2.0",
        summary: "Execute all commands issued after MULTI",
        complexity: "Depends on commands in the transaction",
        handler: super::shared::run_by_server,
        ..TX
    },
    Command {
        name: "discard",
        since: "2.0.0",
        summary: "Discard all commands issued after MULTI",
        complexity: "O(N), when N is the number of queued commands",
        handler: discard,
        ..TX
    },
    Command {
        name: "watch",
        arity: -2,
        keys: super::ALL_KEYS,
        key_flags: "RO",
        since: "2.2.0",
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        complexity: "O(1) for every key.",
        syntax: "key [key ...]",
        handler: watch,
        ..TX
    },
    Command { name: "unwatch", since: "2.2.0", summary: "Forget about all watched keys", handler: unwatch, ..TX },
];

/// Commands that run at once even inside MULTI (Redis: exec, discard, multi, watch, quit, reset).
fn runs_inside_multi(cmd: &'static Command) -> bool {
    // By name, then making sure it is the top-level command (SLOWLOG RESET is a subcommand named "reset").
    matches!(cmd.name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
        && super::lookup(cmd.name.as_bytes()).is_some_and(|top| std::ptr::eq(top, cmd))
}

/// A command was rejected while the client is in MULTI: EXEC will answer EXECABORT (Redis's `flagTransaction`).
#[inline]
pub fn flag_transaction(c: &mut ClientState) {
    if c.has(cf::MULTI) {
        c.flags |= cf::DIRTY_EXEC;
    }
}

/// Called by the dispatcher for a client in MULTI once `cmd` passed the lookup, arity and auth checks. Returns
/// true when it took care of the command (queued it, or rejected it as not allowed in a transaction); false when
/// the command must run now.
pub fn queue_hook(
    c: &mut ClientState,
    watches: &WatchTable,
    cmd: &'static Command,
    full_name: &'static str,
    args: Args,
) -> bool {
    if runs_inside_multi(cmd) {
        return false;
    }
    if cmd.has(flag::NO_MULTI) {
        c.reply.error("ERR Command not allowed inside a transaction");
        c.flags |= cf::DIRTY_EXEC;
        return true;
    }
    // An aborted transaction need not keep more commands (Redis skips them too, still answering QUEUED).
    if !c.has(cf::DIRTY_EXEC) && !watches.is_dirty(c.id) {
        c.multi.get_or_insert_with(Default::default).push(cmd, full_name, args);
    }
    c.reply.simple("QUEUED");
    true
}

/// Leaves MULTI and forgets the queue and the watches (Redis's `discardTransaction`).
pub fn discard_transaction(c: &mut ClientState, watches: &mut WatchTable) {
    // The (cleared) state stays allocated for the client's next transaction.
    if let Some(m) = c.multi.as_mut() {
        m.clear();
    }
    c.flags &= !(cf::MULTI | cf::DIRTY_EXEC);
    watches.unwatch_all(c.id);
    c.watched_keys = 0;
}

/// Number of queued commands for CLIENT LIST `multi=` (-1 outside MULTI).
pub fn queued_count(c: &ClientState) -> i64 {
    if !c.has(cf::MULTI) {
        return -1;
    }
    c.multi.as_ref().map_or(0, |m| m.count as i64)
}

/// CLIENT LIST `multi-mem=`.
pub fn multi_mem(c: &ClientState) -> usize {
    c.multi.as_ref().map_or(0, |m| m.mem)
}

/// MULTI
fn multi(ctx: &mut Ctx, _args: Args) {
    if ctx.client().has(cf::MULTI) {
        ctx.reply().error("ERR MULTI calls can not be nested");
        return;
    }
    ctx.client_mut().flags |= cf::MULTI;
    ctx.client_mut().multi.get_or_insert_with(Box::default).clear();
    ctx.reply().ok();
}

/// DISCARD
fn discard(ctx: &mut Ctx, _args: Args) {
    if !ctx.client().has(cf::MULTI) {
        ctx.reply().error("ERR DISCARD without MULTI");
        return;
    }
    let t = ctx.transaction();
    discard_transaction(t.client, t.watches);
    ctx.reply().ok();
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx, args: Args) {
    if ctx.client().has(cf::MULTI) {
        ctx.reply().error("ERR WATCH inside MULTI is not allowed");
        return;
    }
    // Redis: a client already known to fail its EXEC need not watch more keys.
    let t = ctx.transaction();
    let (id, dbi) = (t.client.id, t.client.db);
    if t.watches.is_dirty(id) {
        t.client.reply.ok();
        return;
    }
    for i in 1..args.len() {
        t.watches.watch(id, dbi, &t.dbs[dbi], args.get(i), t.now_ms);
    }
    t.client.watched_keys = t.watches.watched_by(id);
    t.client.reply.ok();
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx, _args: Args) {
    let id = ctx.client().id;
    ctx.transaction().watches.unwatch_all(id);
    ctx.client_mut().watched_keys = 0;
    ctx.reply().ok();
}

/// What EXEC runs (moved out of the client while it runs), with the client's flags to restore afterwards.
pub struct ExecRun {
    pub queue: Vec<Queued>,
    pub args: QueuedArgs,
    old_flags: u32,
}

/// The first half of EXEC: answers the errors and the aborted cases itself (returning None); otherwise writes the
/// reply array header, drops the watches and returns the commands to run, with blocking denied meanwhile.
pub fn exec_prepare(ctx: &mut Ctx) -> Option<ExecRun> {
    let Transaction { client: c, watches, dbs, now_ms } = ctx.transaction();
    if !c.has(cf::MULTI) {
        c.reply.error("ERR EXEC without MULTI");
        return None;
    }
    let cas_failed = watches.is_dirty(c.id) || watches.any_expired(c.id, dbs, now_ms);
    if c.has(cf::DIRTY_EXEC) {
        c.reply.error("EXECABORT Transaction discarded because of previous errors.");
        discard_transaction(c, watches);
        return None;
    }
    if cas_failed {
        c.reply.null_array();
        discard_transaction(c, watches);
        return None;
    }
    watches.unwatch_all(c.id);
    c.watched_keys = 0;
    let old_flags = c.flags;
    c.flags |= cf::DENY_BLOCKING;
    let (queue, args) = match c.multi.as_mut() {
        Some(m) => (std::mem::take(&mut m.queue), std::mem::take(&mut m.args)),
        None => Default::default(),
    };
    c.reply.array(queue.len());
    Some(ExecRun { queue, args, old_flags })
}

/// The second half of EXEC: leaves MULTI and restores DENY_BLOCKING as it was.
pub fn exec_finish(ctx: &mut Ctx, run: ExecRun) {
    let Transaction { client: c, watches, .. } = ctx.transaction();
    if run.old_flags & cf::DENY_BLOCKING == 0 {
        c.flags &= !cf::DENY_BLOCKING;
    }
    // Hand the buffers back for reuse (RESET inside the queue may have dropped the state: then they just go).
    if let Some(m) = c.multi.as_mut() {
        m.queue = run.queue;
        m.args = run.args;
    }
    discard_transaction(c, watches);
}

#[cfg(test)]
mod tests;
