//! Access control: ACL users, the permission check on every command, the ACL log and ACL files (Redis 7.0 acl.c).
//!
//! [`Acl`] owns the users in slots (a client refers to its user by slot number, [`UserId`]; slot 0 is always
//! `default`) plus a name index kept sorted, so ACL LIST/USERS and ACL SAVE list users in name order as Redis's
//! radix tree does. Invariants: every occupied slot's user is in `names` under its name and vice versa; a slot is
//! freed only after the clients authenticated with it were moved back to `default` (unauthenticated) and queued
//! for closing, so a client never reaches a reused slot.
//!
//! The check ([`check`]) runs after the arity check for every command, queued ones again at EXEC: a user with a
//! selector allowing everything costs one branch; otherwise each selector is tried in order: a bit test in the
//! command bitmap (or the allowed first arguments), then each key found through the command's precomputed
//! [`registry::KeyPlan`] against the key patterns (one glob per pattern tried, no allocation for plain key
//! ranges), then channels for PUBLISH/SUBSCRIBE/PSUBSCRIBE. The error reported when no selector allows the call
//! is Redis's: a command denial unless some selector got further, then the key or channel with the highest
//! argument position.
//!
//! A command's id comes from its `&'static Command` by a binary search over the address ranges of the static command
//! slices. Passwords are SHA-256 hashes ([`crate::sha256`]) compared in constant time and never logged: AUTH, HELLO
//! AUTH, ACL SETUSER and MIGRATE AUTH arguments show as `(redacted)` in MONITOR, SLOWLOG and crash reports through one
//! function, [`crash_report::is_redacted`](crate::crash_report::is_redacted). ACL LIST/GETUSER describe command rules
//! with Redis's algorithm (`+@all`/`-@all`, best-fitting categories, then single commands, in table order where Redis
//! uses its hash order).
//!
//! Configuration: `requirepass` is the default user's password (CONFIG SET resets the default user's passwords,
//! as Redis); `user` directives and `aclfile` (not both) are loaded at start-up (`server/acl.rs`); CONFIG REWRITE
//! writes the users as `user` lines when there is no `aclfile`; ACL LOAD is all or nothing. The AOF loading
//! client and the master link are not subject to ACL rules. Deleting a user closes its connections; changing one
//! closes only its subscribers whose channels were revoked (Redis 7.0); ACL LOAD closes the connections of every
//! non-default user.
//!
//! Tested by the unit tests of each submodule and by `tests/operations/acl.rs`, which runs the same ACL setups against
//! Debian's redis-server and compares replies.

#![forbid(unsafe_code)]

pub mod registry;
pub mod user;

use crate::args::Args;
use crate::command_spec::flag;
use registry::{registry, ChannelKind, KeyPlan, PERM_ALL};
use std::collections::{BTreeMap, VecDeque};
pub use user::{RuleEnv, RuleError, Selector, User};

/// A user's slot number.
pub type UserId = u32;
/// The `default` user's slot.
pub const DEFAULT_USER: UserId = 0;

/// Why a command was refused (Redis's ACL_DENIED_* values: their order decides which error wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Command = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// A refused call: the reason and the argument position of the key or channel (0 for commands).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    pub reason: Reason,
    pub pos: usize,
}

/// One ACL LOG entry.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub count: u64,
    pub reason: Reason,
    /// `toplevel`, `multi`, `lua` or `module`.
    pub context: &'static str,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub ctime_ms: i64,
    pub client_info: String,
}

/// Entries this close in time with the same reason, context, object and user are merged (Redis: 60 s).
const LOG_GROUPING_MAX_MS: i64 = 60_000;

/// Users, the log and what the ACL knows of the config.
#[derive(Debug)]
pub struct Acl {
    slots: Vec<Option<User>>,
    names: BTreeMap<Vec<u8>, UserId>,
    pub log: VecDeque<LogEntry>,
    /// The config's `requirepass` generation last applied to the default user.
    pub requirepass_gen: u64,
    /// Denials by [`Reason`] (`Reason as usize - 1`): INFO's `acl_access_denied_cmd`, `_key`, `_auth`, `_channel`.
    pub denied: [u64; 4],
}

impl Default for Acl {
    fn default() -> Self {
        Acl::new(RuleEnv::default())
    }
}

impl Acl {
    /// Only the default user (on, nopass, everything allowed).
    pub fn new(env: RuleEnv) -> Acl {
        let mut names = BTreeMap::new();
        names.insert(b"default".to_vec(), DEFAULT_USER);
        Acl {
            slots: vec![Some(User::new_default(env))],
            names,
            log: VecDeque::new(),
            requirepass_gen: 0,
            denied: [0; 4],
        }
    }

    /// The ACL a server starts with: the default user with `requirepass` applied (users from the config and the
    /// ACL file are loaded by the server at start-up, where a failure can end the process).
    pub fn for_config(config: &crate::config::Config) -> Acl {
        let mut acl = Acl::new(RuleEnv::of(config));
        apply_requirepass(&mut acl, config.requirepass.as_deref());
        acl.requirepass_gen = config.requirepass_gen;
        acl
    }

    #[inline]
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.slots.get(id as usize).and_then(|u| u.as_ref())
    }

    pub fn user_mut(&mut self, id: UserId) -> Option<&mut User> {
        self.slots.get_mut(id as usize).and_then(|u| u.as_mut())
    }

    pub fn default_user(&self) -> &User {
        match self.user(DEFAULT_USER) {
            Some(u) => u,
            None => unreachable_default(),
        }
    }

    pub fn id_of(&self, name: &[u8]) -> Option<UserId> {
        self.names.get(name).copied()
    }

    pub fn by_name(&self, name: &[u8]) -> Option<&User> {
        self.id_of(name).and_then(|id| self.user(id))
    }

    /// Users in name order.
    pub fn users(&self) -> impl Iterator<Item = (UserId, &User)> {
        self.names.values().filter_map(|&id| self.user(id).map(|u| (id, u)))
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Adds a user (the name must be free); returns its slot.
    pub fn insert(&mut self, u: User) -> UserId {
        let name = u.name.clone();
        let id = match self.slots.iter().position(|s| s.is_none()) {
            Some(i) => {
                self.slots[i] = Some(u);
                i as UserId
            }
            None => {
                self.slots.push(Some(u));
                (self.slots.len() - 1) as UserId
            }
        };
        self.names.insert(name, id);
        id
    }

    /// Removes a user (never `default`); the caller has already detached its clients.
    pub fn remove(&mut self, name: &[u8]) -> Option<UserId> {
        if name == b"default" {
            return None;
        }
        let id = self.names.remove(name)?;
        if let Some(s) = self.slots.get_mut(id as usize) {
            *s = None;
        }
        Some(id)
    }

    /// Replaces every user but keeps slot 0 for `default` (ACL LOAD, startup): returns the ids that went away.
    pub fn replace_all(&mut self, users: Vec<User>, env: RuleEnv) -> Vec<UserId> {
        let gone: Vec<UserId> = self.names.values().copied().filter(|&id| id != DEFAULT_USER).collect();
        let mut default = None;
        let mut rest = Vec::new();
        for u in users {
            if u.name == b"default" {
                default = Some(u);
            } else {
                rest.push(u);
            }
        }
        self.slots = vec![Some(default.unwrap_or_else(|| User::new_default(env)))];
        self.names = BTreeMap::new();
        self.names.insert(b"default".to_vec(), DEFAULT_USER);
        for u in rest {
            self.insert(u);
        }
        gone
    }

    /// Adds a log entry, merging it with a similar recent one (`addACLLogEntry`).
    pub fn add_log(&mut self, e: LogEntry, max_len: usize) {
        // Redis 7.2's INFO `acl_access_denied_*`: every denial counts, logged or not (`ACLUpdateInfoMetrics`).
        self.denied[e.reason as usize - 1] += 1;
        let found = self.log.iter().take(10).position(|cur| {
            cur.reason == e.reason
                && cur.context == e.context
                && (cur.ctime_ms - e.ctime_ms).abs() <= LOG_GROUPING_MAX_MS
                && cur.object == e.object
                && cur.username == e.username
        });
        match found {
            Some(i) => {
                if let Some(mut cur) = self.log.remove(i) {
                    cur.client_info = e.client_info;
                    cur.ctime_ms = e.ctime_ms;
                    cur.count += 1;
                    self.log.push_front(cur);
                }
            }
            None => {
                self.log.push_front(e);
                self.log.truncate(max_len);
            }
        }
    }
}

#[cold]
fn unreachable_default() -> ! {
    // Slot 0 is created with the ACL and never freed.
    std::process::abort()
}

// ---------------------------------------------------------------------------------------------------------------
// The permission check

/// Whether `key` may be accessed with `perm` under one selector.
#[inline]
fn key_ok(s: &Selector, key: &[u8], perm: u8) -> bool {
    s.patterns.iter().any(|p| p.perm & perm == perm && p.matches(key))
}

fn channel_ok(list: &[Vec<u8>], ch: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| if is_pattern { p == ch } else { crate::util::glob_match(p, ch, false) })
}

/// The keys of a call when the plan can't walk them directly: (position, permission needed).
fn dynamic_keys(e: &registry::Entry, args: Args) -> Vec<(usize, u8)> {
    e.cmd.keys_and_flags(args).into_iter().map(|(i, f)| (i, registry::perm_of_key_flags(f))).collect()
}

/// Checks one selector (`ACLSelectorCheckCmd`); `cache` keeps the dynamic key list across selectors.
fn check_selector(
    s: &Selector,
    id: u16,
    e: &registry::Entry,
    args: Args,
    cache: &mut Option<Vec<(usize, u8)>>,
) -> Result<(), Denied> {
    let cmd_denied = Denied { reason: Reason::Command, pos: 0 };
    if !s.allcommands && !e.cmd.has(flag::NO_AUTH) && !s.bit(id as usize) {
        let idx = if e.parent.is_some() { 2 } else { 1 };
        let Some(list) = s.firstargs_of(id) else { return Err(cmd_denied) };
        if args.len() <= idx || !list.iter().any(|a| a.eq_ignore_ascii_case(args.get(idx))) {
            return Err(cmd_denied);
        }
    }
    if !s.allkeys {
        let mut dynamic = false;
        match &e.keys {
            KeyPlan::None => {}
            KeyPlan::Dynamic => dynamic = true,
            KeyPlan::Ranges { ranges, flags_reliable } => {
                // Flags matter only with read-only or write-only patterns.
                let need_flags = !flags_reliable && s.patterns.iter().any(|p| p.perm != PERM_ALL);
                let argc = args.len();
                if need_flags {
                    dynamic = true;
                } else if let [r] = &ranges[..] {
                    // One range (most commands): bounds once, then one match per key.
                    match registry::range_bounds(r, argc) {
                        None => dynamic = true,
                        Some((first, last, step)) => {
                            let mut i = first;
                            while i <= last {
                                if !key_ok(s, args.get(i), r.perm) {
                                    return Err(Denied { reason: Reason::Key, pos: i });
                                }
                                i += step;
                            }
                        }
                    }
                } else if !ranges.iter().all(|r| registry::range_bounds(r, argc).is_some()) {
                    dynamic = true;
                } else {
                    for r in ranges {
                        if let Some((first, last, step)) = registry::range_bounds(r, argc) {
                            let mut i = first;
                            while i <= last {
                                if !key_ok(s, args.get(i), r.perm) {
                                    return Err(Denied { reason: Reason::Key, pos: i });
                                }
                                i += step;
                            }
                        }
                    }
                }
            }
        }
        if dynamic {
            let keys = cache.get_or_insert_with(|| dynamic_keys(e, args));
            for &(i, perm) in keys.iter() {
                if !key_ok(s, args.get(i), perm) {
                    return Err(Denied { reason: Reason::Key, pos: i });
                }
            }
        }
    }
    if !s.allchannels && e.channels != ChannelKind::None {
        let end = if e.channels == ChannelKind::Publish { args.len().min(2) } else { args.len() };
        for i in 1..end {
            if !channel_ok(&s.channels, args.get(i), e.channels == ChannelKind::Pattern) {
                return Err(Denied { reason: Reason::Channel, pos: i });
            }
        }
    }
    Ok(())
}

/// Whether `u` may run the command with id `id` with these arguments (`ACLCheckAllUserCommandPerm`).
#[inline]
pub fn check(u: &User, id: u16, args: Args) -> Result<(), Denied> {
    if let [s] = &u.selectors[..] {
        if s.allcommands && s.allkeys && s.allchannels {
            return Ok(());
        }
    }
    check_slow(u, id, args)
}

fn check_slow(u: &User, id: u16, args: Args) -> Result<(), Denied> {
    let e = registry().entry(id);
    let mut cache = None;
    let mut relevant = Denied { reason: Reason::Command, pos: 0 };
    for s in &u.selectors {
        match check_selector(s, id, e, args, &mut cache) {
            Ok(()) => return Ok(()),
            Err(d) => {
                if d.reason > relevant.reason || (d.reason == relevant.reason && d.pos > relevant.pos) {
                    relevant = d;
                }
            }
        }
    }
    Err(relevant)
}

/// Whether some selector of `u` allows the command with id `id` and these arguments and may read every key
/// (Redis's `ACLUserCheckCmdWithUnrestrictedKeyAccess` with `CMD_KEY_ACCESS`): `allkeys`, or a `*` pattern with
/// read permission. SORT's BY and GET patterns name keys that no key spec covers, so they need it.
pub fn reads_every_key(u: &User, id: u16, args: Args) -> bool {
    let e = registry().entry(id);
    let mut cache = None;
    u.selectors.iter().any(|s| {
        check_selector(s, id, e, args, &mut cache).is_ok()
            && (s.allkeys
                || s.patterns.iter().any(|p| p.perm & registry::PERM_READ != 0 && p.pattern.as_slice() == b"*"))
    })
}

/// The `-NOPERM` text for a refused call (`processCommand`).
pub fn noperm_message(d: Denied, full_name: &str) -> String {
    match d.reason {
        Reason::Command => format!("NOPERM this user has no permissions to run the '{full_name}' command"),
        Reason::Key => "NOPERM this user has no permissions to access one of the keys used as arguments".into(),
        Reason::Channel => "NOPERM this user has no permissions to access one of the channels used as arguments".into(),
        Reason::Auth => "NOPERM no permission".into(),
    }
}

/// The `-NOPERM` text for a queued command refused at EXEC (`execCommand`).
pub fn exec_noperm_message(d: Denied) -> String {
    let reason = match d.reason {
        Reason::Command => "no permission to execute the command or subcommand",
        Reason::Key => "no permission to touch the specified keys",
        Reason::Channel => "no permission to access one of the channels used as arguments",
        Reason::Auth => "no permission",
    };
    format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This \
         command is no longer allowed for the following reason: {reason}"
    )
}

/// Whether the default user needs no password: connections start authenticated (and protected mode applies).
pub fn default_user_nopass(acl: &Acl) -> bool {
    let d = acl.default_user();
    d.has(user::USER_NOPASS) && !d.has(user::USER_DISABLED)
}

/// Applies a changed `requirepass` (CONFIG SET) to the default user.
#[inline]
pub fn sync_requirepass(acl: &mut Acl, config: &crate::config::Config) {
    if acl.requirepass_gen != config.requirepass_gen {
        acl.requirepass_gen = config.requirepass_gen;
        apply_requirepass(acl, config.requirepass.as_deref());
    }
}

/// Sets the default user's password from `requirepass` (`ACLUpdateDefaultUserPassword`): reset, then the
/// password or nopass.
pub fn apply_requirepass(acl: &mut Acl, pass: Option<&[u8]>) {
    if let Some(d) = acl.user_mut(DEFAULT_USER) {
        let _ = d.apply(b"resetpass", RuleEnv::default());
        match pass {
            Some(p) => {
                let mut op = Vec::with_capacity(p.len() + 1);
                op.push(b'>');
                op.extend_from_slice(p);
                let _ = d.apply(&op, RuleEnv::default());
            }
            None => {
                let _ = d.apply(b"nopass", RuleEnv::default());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// ACL files

/// Parses ACL file text into users (`ACLLoadFromFile`); Err(Redis's one-line error text).
pub fn parse_file(text: &[u8], filename: &str, env: RuleEnv) -> Result<Vec<User>, String> {
    let mut errors = String::new();
    let mut users: Vec<User> = Vec::new();
    for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
        let linenum = i + 1;
        let line = trim_bytes(raw, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&[u8]> = line.split(|&c| c == b' ').collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!("{filename}:{linenum} should start with user keyword followed by the username. "));
            continue;
        }
        if user::has_spaces(argv[1]) {
            errors.push_str(&format!(
                "'{filename}:{linenum}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(argv[1])
            ));
            continue;
        }
        if users.iter().any(|u| u.name == argv[1]) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {linenum}. ",
                String::from_utf8_lossy(argv[1])
            ));
            continue;
        }
        let mut u = User::new(argv[1], env);
        let ops: Vec<Vec<u8>> = argv[2..].iter().map(|a| a.to_vec()).collect();
        let Ok(merged) = user::merge_selector_args(&ops) else {
            errors.push_str(&format!("{filename}:{linenum}: Unmatched parenthesis in selector definition."));
            continue;
        };
        let mut syntax_error = false;
        for op in &merged {
            let op = trim_bytes(op, b"\t\r\n");
            if let Err(e) = u.apply(op, env) {
                if e == RuleError::UnknownCommand {
                    errors.push_str(&format!(
                        "{filename}:{linenum}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(op),
                        e.text()
                    ));
                } else if !syntax_error {
                    errors.push_str(&format!("{filename}:{linenum}: {}. ", e.text()));
                    syntax_error = true;
                }
            }
        }
        users.push(u);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        Err(errors)
    }
}

fn trim_bytes<'a>(mut s: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let [first, rest @ ..] = s {
        if set.contains(first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if set.contains(last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Reads and parses an ACL file.
pub fn load_file(path: &str, env: RuleEnv) -> Result<Vec<User>, String> {
    let text = std::fs::read(path)
        .map_err(|e| format!("Error loading ACLs, opening file '{path}': {}", crate::sys::error_text(&e)))?;
    parse_file(&text, path, env)
}

/// The ACL file text of the current users (`ACLSaveToFile`).
pub fn file_text(acl: &Acl) -> Vec<u8> {
    let mut out = Vec::new();
    for (_, u) in acl.users() {
        out.extend_from_slice(b"user ");
        out.extend_from_slice(&u.name);
        out.push(b' ');
        out.extend_from_slice(u.describe().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Writes the users to `path` through a temporary file and a rename. Errors are logged as Redis logs them.
pub fn save_file(acl: &Acl, path: &str) -> bool {
    let tmp = format!("{path}.tmp-{}-{}", std::process::id(), crate::util::now_ms());
    let text = file_text(acl);
    if let Err(e) = std::fs::write(&tmp, &text) {
        crate::log_warning!("Writing ACL file for ACL SAVE: {}", crate::sys::error_text(&e));
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        crate::log_warning!("Renaming ACL file for ACL SAVE: {}", crate::sys::error_text(&e));
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    true
}

/// The config's check of a `user` directive as it is read: a second declaration of a name, then the rules.
impl crate::config::UserDirectives for crate::config::Owners {
    fn check(earlier: &[Vec<Vec<u8>>], argv: &[Vec<u8>]) -> Result<(), String> {
        if earlier.iter().any(|u| u[1] == argv[1]) {
            return Err(format!(
                "Error in user declaration '{}': {}",
                String::from_utf8_lossy(&argv[1]),
                RuleError::Duplicate.text()
            ));
        }
        validate_user_directive(argv)
    }
}

/// Validates a config-file `user` directive (`ACLAppendUserForLoading`): Err(Redis's config error text).
pub fn validate_user_directive(argv: &[Vec<u8>]) -> Result<(), String> {
    let ops = &argv[2..];
    let merged = user::merge_selector_args(ops)
        .map_err(|j| format!("Error in user declaration '{}': Syntax error", String::from_utf8_lossy(&argv[j])))?;
    let mut fake = User::new(b"__fakeuser__", RuleEnv::default());
    for (j, op) in merged.iter().enumerate() {
        if let Err(e) = fake.apply(op, RuleEnv::default()) {
            if e != RuleError::UnknownCommand {
                // Redis indexes the directive's words with the rule's position here.
                let shown = argv.get(j).map(|a| String::from_utf8_lossy(a).into_owned()).unwrap_or_default();
                return Err(format!("Error in user declaration '{shown}': {}", e.text()));
            }
        }
    }
    Ok(())
}

/// Builds the users of the config's `user` directives (`ACLLoadConfiguredUsers`), applied on top of `acl`.
pub fn load_configured_users(acl: &mut Acl, directives: &[Vec<Vec<u8>>], env: RuleEnv) -> Result<(), String> {
    for argv in directives {
        let name = &argv[1];
        if user::has_spaces(name) {
            return Err("Spaces not allowed in ACL usernames".into());
        }
        let id = match acl.id_of(name) {
            Some(id) => {
                if let Some(u) = acl.user_mut(id) {
                    let _ = u.apply(b"reset", env);
                }
                id
            }
            None => acl.insert(User::new(name, env)),
        };
        let merged = user::merge_selector_args(&argv[2..]).unwrap_or_default();
        if let Some(u) = acl.user_mut(id) {
            for op in &merged {
                if let Err(e) = u.apply(op, env) {
                    return Err(format!(
                        "Error loading ACL rule '{}' for the user named '{}': {}",
                        String::from_utf8_lossy(op),
                        String::from_utf8_lossy(name),
                        e.text()
                    ));
                }
            }
            if u.has(user::USER_DISABLED) {
                crate::log_notice!(
                    "The user '{}' is disabled (there is no 'on' modifier in the user description). Make sure this \
                     is not a configuration error.",
                    String::from_utf8_lossy(name)
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::OwnedArgs;

    fn user(rules: &[&str]) -> User {
        let mut u = User::new(b"u", RuleEnv::default());
        let ops: Vec<Vec<u8>> = rules.iter().map(|r| r.as_bytes().to_vec()).collect();
        u.apply_all(&ops, RuleEnv::default()).unwrap();
        u
    }

    fn run(u: &User, argv: &[&str]) -> Result<(), Denied> {
        let r = registry();
        let mut id = r.lookup(argv[0].as_bytes(), false).unwrap();
        if !r.entry(id).subs.is_empty() && argv.len() > 1 {
            id = r.lookup(format!("{}|{}", argv[0], argv[1]).as_bytes(), false).unwrap();
        }
        let a = OwnedArgs::from_slices(argv);
        check(u, id, a.args())
    }

    #[test]
    fn commands_keys_and_channels() {
        let u = user(&[
            "on",
            "nopass",
            "~app:*",
            "%R~ro:*",
            "%W~wo:*",
            "&news.*",
            "+@read",
            "+@write",
            "+publish",
            "+psubscribe",
        ]);
        assert_eq!(run(&u, &["get", "app:1"]), Ok(()));
        assert_eq!(run(&u, &["get", "x"]), Err(Denied { reason: Reason::Key, pos: 1 }));
        assert_eq!(run(&u, &["get", "ro:1"]), Ok(()));
        assert_eq!(run(&u, &["get", "wo:1"]), Err(Denied { reason: Reason::Key, pos: 1 }));
        assert_eq!(run(&u, &["set", "wo:1", "v"]), Ok(()));
        assert_eq!(run(&u, &["set", "wo:1", "v", "GET"]), Err(Denied { reason: Reason::Key, pos: 1 }));
        assert_eq!(run(&u, &["set", "ro:1", "v"]), Err(Denied { reason: Reason::Key, pos: 1 }));
        assert_eq!(run(&u, &["mset", "app:1", "v", "x", "v"]), Err(Denied { reason: Reason::Key, pos: 3 }));
        assert_eq!(run(&u, &["config", "get", "x"]), Err(Denied { reason: Reason::Command, pos: 0 }));
        assert_eq!(run(&u, &["publish", "news.a", "m"]), Ok(()));
        assert_eq!(run(&u, &["publish", "other", "m"]), Err(Denied { reason: Reason::Channel, pos: 1 }));
        assert_eq!(run(&u, &["psubscribe", "news.*"]), Ok(()));
        assert_eq!(run(&u, &["psubscribe", "news.a"]), Err(Denied { reason: Reason::Channel, pos: 1 }));
        let u2 = user(&["+psubscribe", "&news.*"]);
        assert_eq!(run(&u2, &["psubscribe", "news.*"]), Ok(()));
        assert_eq!(run(&u2, &["psubscribe", "news.a*"]), Err(Denied { reason: Reason::Channel, pos: 1 }));
        // No-auth commands need no bit.
        assert_eq!(run(&user(&[]), &["auth", "a", "b"]), Ok(()));
    }

    #[test]
    fn subcommands_firstargs_and_selectors() {
        let u = user(&["+config|get", "+select|0", "(+set ~s:*)", "(+get ~g:*)"]);
        assert_eq!(run(&u, &["config", "get", "x"]), Ok(()));
        assert_eq!(run(&u, &["config", "set", "x", "y"]), Err(Denied { reason: Reason::Command, pos: 0 }));
        assert_eq!(run(&u, &["select", "0"]), Ok(()));
        assert_eq!(run(&u, &["select", "1"]), Err(Denied { reason: Reason::Command, pos: 0 }));
        assert_eq!(run(&u, &["set", "s:1", "v"]), Ok(()));
        assert_eq!(run(&u, &["get", "g:1"]), Ok(()));
        assert_eq!(run(&u, &["get", "s:1"]), Err(Denied { reason: Reason::Key, pos: 1 }));
    }

    #[test]
    fn log_merges_similar_entries() {
        let mut acl = Acl::new(RuleEnv::default());
        let e = |obj: &str, t: i64| LogEntry {
            count: 1,
            reason: Reason::Command,
            context: "toplevel",
            object: obj.as_bytes().to_vec(),
            username: b"u".to_vec(),
            ctime_ms: t,
            client_info: String::new(),
        };
        acl.add_log(e("get", 0), 2);
        acl.add_log(e("get", 1000), 2);
        acl.add_log(e("set", 2000), 2);
        acl.add_log(e("get", 200_000), 2);
        assert_eq!(acl.log.len(), 2);
        assert_eq!((acl.log[0].count, acl.log[1].count), (1, 1));
        assert_eq!(acl.log[1].object, b"set");
    }

    #[test]
    fn file_parse_and_errors() {
        let users = parse_file(b"user a on nopass ~* +@all\n\nuser b off\n", "f.acl", RuleEnv::default()).unwrap();
        assert_eq!(users.len(), 2);
        let e = parse_file(b"user a +nosuch\nfoo\nuser a\n", "f.acl", RuleEnv::default()).unwrap_err();
        assert_eq!(
            e,
            "f.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. f.acl:2 should \
             start with user keyword followed by the username. WARNING: Duplicate user 'a' found on line 3. WARNING: \
             ACL errors detected, no change to the previously active ACL rules was performed"
        );
        let mut acl = Acl::new(RuleEnv::default());
        acl.replace_all(users, RuleEnv::default());
        assert_eq!(String::from_utf8(file_text(&acl)).unwrap(), "user a on nopass ~* resetchannels +@all\nuser b off resetchannels -@all\nuser default on nopass ~* &* +@all\n");
    }
}
