//! What a command must pass before it runs: the one check sequence of the call path, for its two callers.
//!
//! - [`Origin::Client`]: a client's command, our master's stream, the AOF being replayed (Redis's
//!   `processCommand`), from [`Server::call_checked`](crate::server::Server::call_checked).
//! - [`Origin::Script`]: `redis.call`/`redis.pcall` of the running script, in the script client (Redis's `scriptCall`:
//!   `processCommand`'s checks with script rules), from
//!   [`scripting::call::script_call`](crate::scripting::call::script_call).
//!
//! [`admit`] runs the sequence; a step that applies to one origin only says so, and each origin's order is Redis's:
//!
//! ```text
//!   step                     client (processCommand)             script (scriptCall)
//!   lookup, arity            ERR unknown command / subcommand,   Unknown Redis command called from script,
//!                            ERR wrong number of arguments       Wrong number of args calling ... from script
//!   who may run it           DEBUG protection, NOAUTH            noscript, inside a script, stale replica
//!   ACL                      NOPERM (ACL LOG: toplevel/multi)    The user executing the script ... (ACL LOG: lua)
//!   declared script flags    EVAL/FCALL checked under them       -
//!   memory, replication,     OOM (evicting first), NOREPLICAS,   read-only script, then for its writes until
//!   persistence              READONLY, MASTERDOWN, MISCONF       the first passes: READONLY, MISCONF, NOREPLICAS;
//!                                                                then OOM (decided when the script started)
//!   loading, busy, pub/sub   LOADING, BUSY, RESP2 subscriber     -
//! ```
//!
//! Exemptions ([`Rules`]): a caller that must be obeyed (our master, the AOF replay, or a script either of them
//! runs) skips the ACL and the read-only replica (and a client's MASTERDOWN); the AOF replay skips every
//! server-state check, as Redis's loader runs commands without `processCommand`; a script stops being checked for
//! writes once one of its writes ran (it cannot be refused halfway).
//!
//! What follows admission stays with the caller: the dispatcher's CLIENT PAUSE and MULTI queueing
//! (`server/tx_pause.rs`), then [`Server::call`](crate::server::Server::call). A refusal's text depends on the origin
//! ([`Refusal::client_text`], [`Refusal::script_text`]); its statistics are counted once ([`count_rejected`],
//! errorstats through [`crate::state::Stats::count_error`]). Script start-up refusals
//! ([`scripting::run::prepare`](crate::scripting::run::prepare), Redis's `scriptPrepareForRun`) use the conditions
//! below with their own texts.

#![forbid(unsafe_code)]

use std::borrow::Cow;

use crate::acl::{self, Denied};
use crate::args::Args;
use crate::command::{self, flag, Command, CommandTable, Resolved};
use crate::net::client::ClientState;
use crate::scripting::{run_flags, RunCtx};
use crate::state::{ServerState, Stats};
use crate::util::c_str;

use crate::command_spec::unknown_subcommand_message;

use crate::net::client::{must_obey, AOF_CLIENT_ID};

/// Refusal of a write on a read-only replica.
pub const READONLY: &str = "READONLY You can't write against a read only replica.";
/// Refusal of a write when `min-replicas-to-write` is not met.
pub const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
/// The dispatcher's refusal on a replica whose link is down and that does not serve stale data.
/// A replica's link (or a MONITOR) sent a command that touches the keyspace.
pub const REPLICA_KEYSPACE: &str = "ERR Replica can't interact with the keyspace";
pub const MASTERDOWN: &str = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
/// Refusal of a command that needs authentication.
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// Refusal of a command without the `loading` flag while the dataset loads.
pub const LOADING: &str = "LOADING Redis is loading the dataset in memory";

/// Where a command comes from: the two callers of [`admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A client's command, our master's stream or the AOF replay (Redis's `processCommand`).
    Client,
    /// `redis.call`/`redis.pcall` of the running script, in the script client (Redis's `scriptCall`).
    Script,
}

/// A command that passed admission.
#[derive(Clone, Copy)]
pub struct Admitted {
    pub cmd: &'static Command,
    /// Its full name (`client|list` for a subcommand).
    pub full_name: &'static str,
    /// The entry CLIENT PAUSE and MULTI see: `cmd`, or for an EVAL/FCALL of a script with declared flags a copy
    /// carrying them (see [`crate::scripting::declared_flags_command`]).
    pub flagged: &'static Command,
}

/// Why a command was refused; the words depend on the [`Origin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// No command of that name.
    Unknown,
    /// A container command without that subcommand.
    UnknownSub,
    Arity,
    /// DEBUG not allowed for this client by `enable-debug-command` (Redis's `CMD_PROTECTED`).
    Protected,
    NoAuth,
    /// A `noscript` command called from a script.
    NoScript,
    /// `redis.call` outside a running script.
    NotInScript,
    Acl(Denied),
    /// Over `maxmemory` and the command may grow memory.
    Oom,
    /// A write (or may-replicate) command from a read-only script (`*_RO`, `no-writes`).
    ReadOnlyScript,
    ReadOnlyReplica,
    TooFewReplicas,
    /// A replica whose link is down refuses what is not `stale`.
    Stale,
    /// Writes refused after a persistence failure: the `MISCONF ...` text.
    DiskError(String),
    Loading,
    /// A script is busy: the -BUSY text for its kind.
    Busy(&'static str),
    /// A RESP2 subscriber's command outside the pub/sub set: the text.
    PubSub(String),
    /// A replica's connection sent a command that reads, writes or may replicate.
    ReplicaKeyspace,
    /// Cluster mode: the command is served by another node, or not now (`MOVED ...`, `ASK ...`, `CROSSSLOT ...`,
    /// `TRYAGAIN ...`, `CLUSTERDOWN ...`), without the dash.
    Cluster(String),
    /// Cluster mode, `redis.call`: the script may not run this command here.
    ClusterScript(&'static str),
}

/// A refused command.
pub struct Refusal {
    /// The command and its full name, when one was found (it counts a rejected call).
    pub found: Option<(&'static Command, &'static str)>,
    pub reason: Reason,
}

impl Refusal {
    /// The dispatcher's error reply, without the leading `-` (Redis's shared error objects and texts).
    pub fn client_text(self, args: Args) -> Cow<'static, [u8]> {
        let full_name = self.found.map_or("", |(_, n)| n);
        let text: Cow<'static, str> = match self.reason {
            Reason::Unknown => return unknown_command_message(args).into(),
            Reason::UnknownSub => return unknown_subcommand_message(args).into(),
            Reason::Arity => format!("ERR wrong number of arguments for '{full_name}' command").into(),
            Reason::Protected => protected_text(full_name).into(),
            Reason::NoAuth => NOAUTH.into(),
            Reason::Acl(d) => acl::noperm_message(d, full_name).into(),
            Reason::Oom => crate::state::evict::pool::OOM_ERR.into(),
            Reason::ReadOnlyReplica => READONLY.into(),
            Reason::TooFewReplicas => NOREPLICAS.into(),
            Reason::Stale => MASTERDOWN.into(),
            Reason::DiskError(msg) | Reason::PubSub(msg) => msg.into(),
            Reason::Loading => LOADING.into(),
            Reason::Busy(msg) => msg.into(),
            Reason::ReplicaKeyspace => REPLICA_KEYSPACE.into(),
            Reason::Cluster(msg) => msg.into(),
            // Script refusals: a client never gets them.
            r @ (Reason::NoScript | Reason::NotInScript | Reason::ReadOnlyScript | Reason::ClusterScript(_)) => {
                format!("ERR {}", Refusal { found: self.found, reason: r }.script_text()).into()
            }
        };
        match text {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        }
    }

    /// `redis.call`'s error: a bare message (an ERR) or `-CODE message` (Redis's `scriptCall` texts).
    pub fn script_text(&self) -> String {
        let coded = |msg: &str| format!("-{msg}");
        match &self.reason {
            Reason::Unknown | Reason::UnknownSub => "Unknown Redis command called from script".into(),
            Reason::Arity => "Wrong number of args calling Redis command from script".into(),
            Reason::NoScript => "This Redis command is not allowed from script".into(),
            Reason::NotInScript => "redis.call/pcall can only be called inside a script invocation".into(),
            Reason::Stale => "Can not execute the command on a stale replica".into(),
            Reason::Acl(d) => {
                let why = match d.reason {
                    acl::Reason::Command => "can't run this command or subcommand",
                    acl::Reason::Key => "can't access at least one of the keys mentioned in the command arguments",
                    acl::Reason::Channel => "can't publish to the channel mentioned in the command",
                    acl::Reason::Auth => "lacking the permissions for the command",
                };
                format!("The user executing the script {why}")
            }
            Reason::ReadOnlyScript => "Write commands are not allowed from read-only scripts.".into(),
            Reason::ClusterScript(msg) => (*msg).into(),
            Reason::ReadOnlyReplica => coded(READONLY),
            Reason::TooFewReplicas => coded(NOREPLICAS),
            Reason::DiskError(msg) => coded(msg),
            Reason::Oom => coded(crate::state::evict::pool::OOM_ERR),
            // Dispatcher refusals: a script never gets them.
            Reason::Protected => coded(protected_text(self.found.map_or("", |(_, n)| n))),
            Reason::NoAuth => coded(NOAUTH),
            Reason::Loading => coded(LOADING),
            Reason::Busy(msg) => coded(msg),
            Reason::PubSub(msg) => coded(msg),
            Reason::ReplicaKeyspace => coded(REPLICA_KEYSPACE),
            Reason::Cluster(msg) => coded(msg),
        }
    }
}

/// The refusal of a protected command (Redis's `CMD_PROTECTED`): DEBUG's or MODULE's text.
fn protected_text(full_name: &str) -> &'static str {
    if full_name == "debug" {
        command::debug::DEBUG_NOT_ALLOWED
    } else {
        command::module::MODULE_NOT_ALLOWED
    }
}

/// The exemptions and script rules one admission runs under.
#[derive(Debug, Clone, Copy)]
struct Rules {
    /// Must be obeyed (Redis's `mustObeyClient`): our master's stream or the AOF replay, or a script one of them
    /// runs. No ACL, no read-only-replica refusal, no MASTERDOWN, no script OOM refusal.
    obey: bool,
    /// The AOF replay client: no memory, replication, persistence or loading check (a read-only replica, a disk
    /// error or maxmemory never drop what the file holds).
    replaying: bool,
    /// The running script's [`run_flags`] (0 for a client).
    run: u32,
    /// The script started over `maxmemory` (Redis's `pre_command_oom_state`).
    pre_oom: bool,
}

impl Rules {
    #[inline]
    fn client(c: &ClientState) -> Rules {
        Rules { obey: must_obey(c), replaying: c.id == AOF_CLIENT_ID, run: 0, pre_oom: false }
    }

    #[inline]
    fn script(run: &RunCtx) -> Rules {
        Rules { obey: run.obey, replaying: false, run: run.flags, pre_oom: run.pre_oom }
    }

    #[inline]
    fn script_has(&self, f: u32) -> bool {
        self.run & f != 0
    }
}

/// Runs the admission checks of `origin` for the command `args` of client `c` (for [`Origin::Script`], the
/// script client; the running script's context is `st.scripting.run`). On success the command may run (a
/// client's may still be queued by MULTI or held by CLIENT PAUSE); a script's first write marks the script as
/// having written. On refusal nothing ran; an ACL refusal has been logged in the ACL LOG, and the caller writes
/// the error and counts it ([`count_rejected`]).
///
/// `origin` is a constant at each call site: with the function inlined, each caller gets the straight sequence
/// of its own checks.
#[inline(always)]
pub fn admit(
    st: &mut ServerState,
    table: &CommandTable,
    c: &mut ClientState,
    args: Args,
    origin: Origin,
) -> Result<Admitted, Refusal> {
    let script = origin == Origin::Script;
    let (cmd, full_name) = match table.resolve(args) {
        Resolved::Found(cmd, full_name) => (cmd, full_name),
        Resolved::Unknown => return Err(Refusal { found: None, reason: Reason::Unknown }),
        Resolved::UnknownSub(_) => return Err(Refusal { found: None, reason: Reason::UnknownSub }),
    };
    let refuse = |reason| Err(Refusal { found: Some((cmd, full_name)), reason });
    if !cmd.arity_ok(args.len()) {
        return refuse(Reason::Arity);
    }

    // Who may run it.
    let rules = match origin {
        Origin::Client => {
            // CMD_PROTECTED, right after arity (before authentication): DEBUG only as `enable-debug-command`
            // allows this client, MODULE LOAD/LOADEX/UNLOAD as `enable-module-command` does.
            let switch = if full_name == "debug" {
                Some(st.config.enable_debug_command)
            } else if command::module::is_protected(full_name) {
                Some(st.config.enable_module_command)
            } else {
                None
            };
            if switch.is_some_and(|s| !s.allows(command::config::is_local_client(c))) {
                return refuse(Reason::Protected);
            }
            if !c.authenticated && !cmd.has(flag::NO_AUTH) && !acl::default_user_nopass(&st.acl) {
                return refuse(Reason::NoAuth);
            }
            Rules::client(c)
        }
        Origin::Script => {
            if cmd.has(flag::NOSCRIPT) && !st.debug.disable_deny_scripts {
                return refuse(Reason::NoScript);
            }
            let Some(run) = st.scripting.run.as_ref() else { return refuse(Reason::NotInScript) };
            // `scriptVerifyAllowStale` comes before the ACL (the dispatcher's MASTERDOWN comes with the replication
            // checks below).
            if st.stale_replica() && !cmd.has(flag::STALE) {
                return refuse(Reason::Stale);
            }
            Rules::script(run)
        }
    };
    if !rules.obey {
        if let Some(d) = user_denies(st, c, cmd, args) {
            log_acl_denial(st, c, d, full_name, args);
            return refuse(Reason::Acl(d));
        }
    }

    // What the server's condition allows: memory, replication, persistence.
    // EVAL/FCALL run under the flags their script declares (its shebang; a script cannot call them).
    let flagged = if !script && cmd.group == command::Group::Scripting {
        crate::scripting::declared_flags_command(&st.scripting, &st.functions, cmd, args)
    } else {
        cmd
    };
    // Cluster mode: is the command served here (Redis's processCommand, right after the ACL)? Our master and the
    // AOF replay are obeyed wherever the keys hash.
    if !script && st.cluster.is_some() && !rules.obey {
        if let Err(msg) = crate::state::cluster::check_client(st, c, cmd, flagged.flags, args) {
            return refuse(Reason::Cluster(msg));
        }
    }
    if script && rules.script_has(run_flags::READ_ONLY) && cmd.has(flag::WRITE | flag::MAY_REPLICATE) {
        return refuse(Reason::ReadOnlyScript);
    }
    // The write checks: a client's command (EXEC with the flags of its queue); a script's write until its first
    // one passed.
    let writes = if script {
        cmd.has(flag::WRITE) && !rules.script_has(run_flags::WRITE_DIRTY)
    } else {
        queue_flags(c, flagged) & flag::WRITE != 0
    };
    // maxmemory: the dispatcher evicts first, then refuses what would grow memory (Redis's processCommand order);
    // not while a busy script lets other clients in (its propagation must not interleave with eviction's).
    if !script
        && !rules.replaying
        && st.config.maxmemory != 0
        && !st.scripting.is_timedout()
        && crate::state::evict::rejects_command(st, c, flagged, full_name)
    {
        return refuse(Reason::Oom);
    }
    // Client-side caching's table stays within `tracking-table-max-keys` (Redis's processCommand).
    if !script
        && st.tracking.take_limit_due()
        && st.tracking.clients() > 0
        && st.tracking.over_limit(st.config.tracking_table_max_keys)
    {
        crate::state::tracking::limit_before_command(st, c);
    }
    if !rules.replaying {
        if !script && writes && st.too_few_replicas() {
            return refuse(Reason::TooFewReplicas);
        }
        if writes && !rules.obey && st.read_only_replica() {
            return refuse(Reason::ReadOnlyReplica);
        }
        // A client's EXEC is refused when any queued command would be (the transaction may have been queued while
        // the link was up).
        if !script
            && !rules.obey
            && st.stale_replica()
            && (!flagged.has(flag::STALE) || queue_has_not(c, cmd, flag::STALE))
        {
            return refuse(Reason::Stale);
        }
        // MISCONF: writes, and a client's PING (as Redis).
        if st.persistence_failed() && (writes || (!script && cmd.name == "ping")) {
            if let Some(msg) = st.disk_error() {
                return refuse(Reason::DiskError(msg));
            }
        }
        if script && writes && st.too_few_replicas() {
            return refuse(Reason::TooFewReplicas);
        }
    }
    if script {
        // `scriptVerifyOOM`: only the first write of a script that started over `maxmemory` is refused.
        if !rules.script_has(run_flags::ALLOW_OOM)
            && st.config.maxmemory != 0
            && !rules.obey
            && !rules.script_has(run_flags::WRITE_DIRTY)
            && rules.pre_oom
            && cmd.has(flag::DENYOOM)
        {
            return refuse(Reason::Oom);
        }
        if cmd.has(flag::WRITE) {
            if let Some(r) = st.scripting.run.as_mut() {
                r.flags |= run_flags::WRITE_DIRTY;
            }
        }
        // Cluster mode (Redis's scriptVerifyClusterState): keys served here, in the caller's slot.
        if st.cluster.is_some() && !rules.obey {
            let cross = rules.script_has(run_flags::ALLOW_CROSS_SLOT);
            if let Err(msg) = crate::state::cluster::check_script(st, cmd, args, c.db, cross) {
                return refuse(Reason::ClusterScript(msg));
            }
        }
        return Ok(Admitted { cmd, full_name, flagged });
    }

    // Loading, a busy script, the RESP2 pub/sub context: the dispatcher's.
    if st.persist.stats.loading && !rules.replaying && loading_denies(st, c, cmd) {
        return refuse(Reason::Loading);
    }
    if st.scripting.is_timedout() && !cmd.has(flag::ALLOW_BUSY) {
        return refuse(Reason::Busy(st.scripting.busy_error()));
    }
    if let Some(msg) = crate::pubsub::context_error(c, full_name) {
        return refuse(Reason::PubSub(msg));
    }
    // A replica's link carries only REPLCONF ACKs and pings: nothing that touches the keyspace (it would also
    // dodge CLIENT PAUSE, which replicas are exempt from).
    if c.has(crate::net::client::flags::REPLICA | crate::net::client::flags::MONITOR)
        && queue_flags(c, flagged) & (flag::READONLY | flag::WRITE | flag::MAY_REPLICATE) != 0
    {
        return refuse(Reason::ReplicaKeyspace);
    }
    Ok(Admitted { cmd, full_name, flagged })
}

/// The flags a check sees for `cmd`: EXEC's include those of the commands it queued.
#[inline]
pub fn queue_flags(c: &ClientState, cmd: &'static Command) -> u64 {
    let mut f = cmd.flags;
    if command::multi::is_exec(cmd) {
        f |= c.multi.as_ref().map_or(0, |m| m.cmd_flags);
    }
    f
}

/// Whether `cmd` is EXEC and some command it queued lacks flag `f`.
#[inline]
fn queue_has_not(c: &ClientState, cmd: &'static Command, f: u64) -> bool {
    command::multi::is_exec(cmd) && c.multi.as_ref().is_some_and(|m| m.cmd_inv_flags & f != 0)
}

/// While loading, commands without the `loading` flag are refused; while a replica loads asynchronously
/// (swapdb, serving the old data) only `no-async-loading` ones are (Redis's `processCommand`).
#[inline]
fn loading_denies(st: &ServerState, c: &ClientState, cmd: &'static Command) -> bool {
    if !st.persist.stats.async_loading {
        return !cmd.has(flag::LOADING) || queue_has_not(c, cmd, flag::LOADING);
    }
    queue_flags(c, cmd) & flag::NO_ASYNC_LOADING != 0
}

/// Whether the client's user may run `cmd` with `args` (ACL). A user allowed everything costs one branch; a
/// client whose user slot is gone (never expected) may run nothing. Like Redis's clients without a user, the AOF
/// replay and our master's stream run whatever they carry.
#[inline]
pub fn acl_denies(st: &ServerState, c: &ClientState, cmd: &'static Command, args: Args) -> Option<Denied> {
    if must_obey(c) {
        return None;
    }
    user_denies(st, c, cmd, args)
}

/// [`acl_denies`] for a caller that is not exempt.
#[inline]
fn user_denies(st: &ServerState, c: &ClientState, cmd: &'static Command, args: Args) -> Option<Denied> {
    let Some(u) = st.acl.user(c.user_id) else {
        return Some(Denied { reason: acl::Reason::Command, pos: 0 });
    };
    if let [s] = &u.selectors[..] {
        if s.allcommands && s.allkeys && s.allchannels {
            return None;
        }
    }
    // Commands built outside the table have no id: only no-auth ones may run.
    match acl::registry::registry().id_of(cmd) {
        Some(id) => acl::check(u, id, args).err(),
        None => Some(Denied { reason: acl::Reason::Command, pos: 0 }),
    }
}

/// Logs a refused call in the ACL LOG: the command's full name, or the key or channel argument (the context is
/// `toplevel`, `multi` or, for the script client, `lua`).
pub fn log_acl_denial(st: &mut ServerState, c: &mut ClientState, d: Denied, full_name: &str, args: Args) {
    let object = match d.reason {
        acl::Reason::Command => full_name.as_bytes().to_vec(),
        _ => args.get(d.pos).to_vec(),
    };
    command::acl::log_denial(&mut command::Ctx::new(c, st), d.reason, object, None, full_name);
}

/// A refused call of `full_name` (Redis's `rejectCommand` and `scriptCall`'s error path both count one). Its error
/// reply goes to errorstats the way every error does ([`Stats::count_error`]).
#[inline]
pub fn count_rejected(stats: &mut Stats, full_name: &'static str) {
    stats.commandstats.entry(full_name).or_default().rejected_calls += 1;
}

/// Redis's unknown-command error text.
pub fn unknown_command_message(args: Args) -> Vec<u8> {
    let mut list: Vec<u8> = Vec::new();
    let mut i = 1;
    while i < args.len() && list.len() < 128 {
        let a = c_str(args.get(i));
        let room = 128 - list.len();
        list.push(b'\'');
        list.extend_from_slice(&a[..a.len().min(room)]);
        list.extend_from_slice(b"' ");
        i += 1;
    }
    let name = c_str(args.get(0));
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(&name[..name.len().min(128)]);
    msg.extend_from_slice(b"', with args beginning with: ");
    msg.extend_from_slice(&list);
    msg
}

#[cfg(test)]
mod tests;
