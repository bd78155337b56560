//! Dense command ids, ACL category bitmasks and precomputed key/channel plans, built once from the command table.
//!
//! Every command and subcommand gets an id (top-level commands in table order, then each container's subcommands
//! right after it), so a selector's allowed commands are a fixed 1024-bit bitmap indexed by id, as in Redis
//! (`USER_COMMAND_BITS_COUNT`; the last bit is reserved for "future commands", set only by `+@all`). A command's
//! id is found from its `&'static Command` by a binary search over the address ranges of the static slices the
//! table is made of (no hashing, no allocation). The ACL category string of each entry becomes a `u32` mask in
//! Redis's category order, and each entry's key specs become a [`KeyPlan`] the permission check walks without
//! allocating. Tested by unit tests below and through `tests/operations/acl.rs`.

use crate::command_spec::{all_entries, BeginSearch, Command, FindKeys};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Bits in a selector's command bitmap (Redis's `USER_COMMAND_BITS_COUNT`).
pub const COMMAND_BITS: usize = 1024;
/// The bit `+@all` sets so that ACL LIST can tell `+@all -x` from `-@all +everything`.
pub const FUTURE_BIT: usize = COMMAND_BITS - 1;
pub const BITMAP_WORDS: usize = COMMAND_BITS / 64;

/// ACL categories in Redis's order (the order of ACL CAT and of the describe algorithm's tie breaks).
pub const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
    // Redis 8's categories of the probabilistic types (RedisBloom's commands there).
    "bloom",
    "cuckoo",
    "topk",
    "cms",
    "tdigest",
    // Redis 8's category of its bundled JSON: every JSON.* command (see `cats_of`).
    "json",
];
const _: () = assert!(CATEGORIES.len() <= 32);

/// The category bit of `name` (case-insensitive), or 0 when there is no such category.
pub fn category_flag(name: &[u8]) -> u32 {
    CATEGORIES.iter().position(|c| c.as_bytes().eq_ignore_ascii_case(name)).map_or(0, |i| 1 << i)
}

/// Key permission bits a pattern grants and a key access needs.
pub const PERM_READ: u8 = 1;
pub const PERM_WRITE: u8 = 2;
pub const PERM_ALL: u8 = PERM_READ | PERM_WRITE;

/// The permission a key-spec flag string needs (Redis's `ACLSelectorCheckKey`: `access` reads; `insert`, `delete`
/// and `update` write; bare RW/OW/RM/RO need nothing beyond a matching pattern).
pub fn perm_of_key_flags(flags: &str) -> u8 {
    let mut p = 0;
    for w in flags.split_whitespace() {
        match w {
            "access" => p |= PERM_READ,
            "insert" | "delete" | "update" => p |= PERM_WRITE,
            _ => {}
        }
    }
    p
}

/// One plain key range: keys from `begin` to `lastkey` (relative, negative from the end, `limit` as in key specs),
/// every `step`th, each needing `perm`.
#[derive(Clone, Copy, Debug)]
pub struct KeyRange {
    pub begin: i32,
    pub lastkey: i32,
    pub step: i32,
    pub limit: i32,
    pub perm: u8,
}

/// How the check finds a command's keys.
#[derive(Debug)]
pub enum KeyPlan {
    /// The command has no keys.
    None,
    /// Plain index ranges: walked without allocating. `flags_reliable` is false when a spec has `variable_flags`
    /// (SET): then the positions are right but the flags come from the getkeys function when they matter.
    Ranges { ranges: Vec<KeyRange>, flags_reliable: bool },
    /// Keyword searches, key counts or getkeys functions: [`Command::keys_and_flags`].
    Dynamic,
}

/// What channel arguments a command carries (Redis's `ChannelSpecs`, only the kinds ACL checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    None,
    /// PUBLISH, SPUBLISH: argument 1.
    Publish,
    /// SUBSCRIBE, SSUBSCRIBE: every argument from 1.
    Subscribe,
    /// PSUBSCRIBE: every argument from 1, each a pattern that must be allowed literally.
    Pattern,
}

/// One command or subcommand.
pub struct Entry {
    pub cmd: &'static Command,
    /// `get`, or `config|get` for subcommands.
    pub full_name: &'static str,
    pub parent: Option<u16>,
    /// Ids of the subcommands (empty for plain commands).
    pub subs: std::ops::Range<u16>,
    pub cats: u32,
    pub keys: KeyPlan,
    pub channels: ChannelKind,
}

/// The id table.
pub struct Registry {
    pub entries: Vec<Entry>,
    /// (first address, count, first id) of each static slice of commands, sorted by address.
    runs: Vec<(usize, usize, u16)>,
    /// Lowercase full name -> id.
    by_name: HashMap<String, u16>,
    /// Ids of top-level commands, in table order.
    pub top: Vec<u16>,
}

fn cats_of(c: &Command) -> u32 {
    use crate::command_spec::flag;
    let mut m = 0;
    for w in c.acl.split_whitespace() {
        m |= category_flag(w.as_bytes());
    }
    // Implied by flags, as Redis's setImplicitACLCategories (the table spells them out; this keeps them true).
    let f = |n: &str| category_flag(n.as_bytes());
    if c.has(flag::WRITE) {
        m |= f("write");
    }
    if c.has(flag::READONLY) && m & f("scripting") == 0 {
        m |= f("read");
    }
    if c.has(flag::ADMIN) {
        m |= f("admin") | f("dangerous");
    }
    if c.has(flag::PUBSUB) {
        m |= f("pubsub");
    }
    if c.has(flag::FAST) {
        m |= f("fast");
    }
    if c.has(flag::BLOCKING) {
        m |= f("blocking");
    }
    if m & f("fast") == 0 {
        m |= f("slow");
    }
    // RedisJSON registers `json` on its commands in Redis 8. COMMAND INFO keeps the table's (empty) list, which is
    // what RedisJSON 2.8 on Redis 7.0 shows; ACL CAT and the rules see the category.
    if c.has(flag::MODULE) && c.name.starts_with("json.") {
        m |= f("json");
    }
    m
}

fn plan_of(c: &'static Command) -> KeyPlan {
    if !c.has_keys() {
        return KeyPlan::None;
    }
    if c.key_specs.is_empty() {
        if c.getkeys.is_some() || c.keys.first <= 0 {
            return KeyPlan::Dynamic;
        }
        // Legacy triple: express it as a range relative to `first`.
        let k = c.keys;
        let lastkey = if k.last < 0 { k.last } else { k.last - k.first };
        let perm = perm_of_key_flags(c.legacy_key_flags());
        return KeyPlan::Ranges {
            ranges: vec![KeyRange { begin: k.first, lastkey, step: k.step.max(1), limit: 0, perm }],
            flags_reliable: true,
        };
    }
    let mut ranges = Vec::new();
    let mut reliable = true;
    for s in c.key_specs.iter() {
        let has = |f: &str| s.flags.split_whitespace().any(|w| w == f);
        if has("not_key") {
            continue;
        }
        if has("incomplete") {
            return KeyPlan::Dynamic;
        }
        if has("variable_flags") {
            reliable = false;
        }
        match (s.begin_search, s.find_keys) {
            (BeginSearch::Index(i), FindKeys::Range { lastkey, keystep, limit }) => ranges.push(KeyRange {
                begin: i,
                lastkey,
                step: keystep.max(1),
                limit,
                perm: perm_of_key_flags(s.flags),
            }),
            _ => return KeyPlan::Dynamic,
        }
    }
    if !reliable && c.getkeys_flags.is_none() && c.getkeys.is_none() {
        reliable = true;
    }
    KeyPlan::Ranges { ranges, flags_reliable: reliable }
}

fn channels_of(full_name: &str) -> ChannelKind {
    match full_name {
        "publish" | "spublish" => ChannelKind::Publish,
        "subscribe" | "ssubscribe" => ChannelKind::Subscribe,
        "psubscribe" => ChannelKind::Pattern,
        _ => ChannelKind::None,
    }
}

impl Registry {
    fn build() -> Registry {
        let mut entries: Vec<Entry> = Vec::new();
        let mut top = Vec::new();
        let mut addr_runs: Vec<(usize, usize, u16)> = Vec::new();
        let size = std::mem::size_of::<Command>();
        let note = |runs: &mut Vec<(usize, usize, u16)>, c: &'static Command, id: u16| {
            let a = c as *const Command as usize;
            if let Some(last) = runs.last_mut() {
                if last.0 + last.1 * size == a && last.2 as usize + last.1 == id as usize {
                    last.1 += 1;
                    return;
                }
            }
            runs.push((a, 1, id));
        };
        // Top-level commands first (so their runs stay contiguous), then each container's subcommands.
        for c in all_entries() {
            let id = entries.len() as u16;
            top.push(id);
            note(&mut addr_runs, c, id);
            entries.push(Entry {
                cmd: c,
                full_name: c.name,
                parent: None,
                subs: 0..0,
                cats: cats_of(c),
                keys: plan_of(c),
                channels: channels_of(c.name),
            });
        }
        for &pid in &top.clone() {
            let parent = entries[pid as usize].cmd;
            let start = entries.len() as u16;
            for s in parent.subcommands {
                let id = entries.len() as u16;
                note(&mut addr_runs, s, id);
                let full: &'static str = Box::leak(format!("{}|{}", parent.name, s.name).into_boxed_str());
                entries.push(Entry {
                    cmd: s,
                    full_name: full,
                    parent: Some(pid),
                    subs: 0..0,
                    cats: cats_of(s),
                    keys: plan_of(s),
                    channels: ChannelKind::None,
                });
            }
            entries[pid as usize].subs = start..entries.len() as u16;
        }
        assert!(entries.len() < FUTURE_BIT, "more commands than ACL command bits");
        addr_runs.sort_by_key(|r| r.0);
        // A slice shared by two containers would overlap: keep the first run only.
        addr_runs.dedup_by_key(|r| r.0);
        let by_name = entries.iter().enumerate().map(|(i, e)| (e.full_name.to_string(), i as u16)).collect();
        Registry { entries, runs: addr_runs, by_name, top }
    }

    /// The id of a command from the table (None for a command built elsewhere, e.g. in a unit test).
    #[inline]
    pub fn id_of(&self, cmd: &'static Command) -> Option<u16> {
        let a = cmd as *const Command as usize;
        let i = self.runs.partition_point(|r| r.0 <= a).checked_sub(1)?;
        let (start, count, base) = self.runs[i];
        let off = (a - start) / std::mem::size_of::<Command>();
        if off < count && (a - start) % std::mem::size_of::<Command>() == 0 {
            Some(base + off as u16)
        } else {
            None
        }
    }

    /// Looks up `name` or `container|sub` ignoring case among the commands of a sentinel (`sentinel`) or of a
    /// normal server (Redis's `ACLLookupCommand`: original names, unaffected by rename-command; the registry
    /// numbers both modes' commands, the lookup sees one mode's).
    pub fn lookup(&self, name: &[u8], sentinel: bool) -> Option<u16> {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let id = *self.by_name.get(&lower)?;
        self.in_mode(id, sentinel).then_some(id)
    }

    /// Whether command `id` is one a sentinel (`sentinel`) or a normal server has ([`crate::command_spec::in_mode`]
    /// of its top-level command). A sentinel is Redis 7.0's: the subcommands later releases added (CLIENT
    /// NO-TOUCH, SETINFO) are not among its commands, as COMMAND does not list them there.
    #[inline]
    pub fn in_mode(&self, id: u16, sentinel: bool) -> bool {
        let e = &self.entries[id as usize];
        match e.parent {
            None => crate::command_spec::in_mode(e.cmd, sentinel),
            Some(p) => {
                crate::command_spec::in_mode(self.entries[p as usize].cmd, sentinel)
                    && (!sentinel || crate::command_spec::since_7_0(e.cmd.since))
            }
        }
    }

    #[inline]
    pub fn entry(&self, id: u16) -> &Entry {
        &self.entries[id as usize]
    }
}

/// The registry, built on first use.
pub fn registry() -> &'static Registry {
    /// The registry, built from the command table by the first call (the first ACL check or rule parsed, on
    /// any thread) and read-only after: derived from the static command table, not state.
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(Registry::build)
}

/// Resolves one key range against a call: (first, last, step) argument positions, or None when the range does not
/// fit the arguments (the spec can't resolve this call, as Redis's `getKeysUsingKeySpecs` reports).
#[inline]
pub fn range_bounds(r: &KeyRange, argc: usize) -> Option<(usize, usize, usize)> {
    let argc = argc as i64;
    let first = r.begin as i64;
    let last = if r.lastkey >= 0 {
        first + r.lastkey as i64
    } else if r.limit == 0 {
        argc + r.lastkey as i64
    } else {
        first + ((argc - first) / r.limit as i64 + r.lastkey as i64)
    };
    if last >= argc || last < first || first >= argc || first < 0 {
        return None;
    }
    Some((first as usize, last as usize, r.step.max(1) as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_and_found_from_pointers() {
        let r = registry();
        for (i, e) in r.entries.iter().enumerate() {
            assert_eq!(r.id_of(e.cmd), Some(i as u16), "{}", e.full_name);
            assert_eq!(
                r.lookup(
                    e.full_name.to_ascii_uppercase().as_bytes(),
                    e.cmd.has(crate::command_spec::flag::ONLY_SENTINEL)
                        || e.parent.is_some_and(|p| r.entry(p).cmd.has(crate::command_spec::flag::ONLY_SENTINEL))
                ),
                Some(i as u16)
            );
        }
        let get = r.lookup(b"get", false).unwrap();
        assert_eq!(r.entry(get).cats, category_flag(b"read") | category_flag(b"string") | category_flag(b"fast"));
        let json = category_flag(b"json");
        assert_ne!(r.entry(r.lookup(b"json.get", false).unwrap()).cats & json, 0);
        assert_ne!(r.entry(r.lookup(b"json.merge", false).unwrap()).cats & json, 0);
        assert_eq!(r.entry(get).cats & json, 0);
        let cfg = r.lookup(b"config", false).unwrap();
        let cget = r.lookup(b"CONFIG|get", false).unwrap();
        assert!(r.entry(cfg).subs.contains(&cget));
        assert_eq!(r.entry(cget).parent, Some(cfg));
        assert!(r.lookup(b"nosuch", false).is_none());
        // A copy of a table entry is not in the table.
        let loose: &'static Command = Box::leak(Box::new(Command { ..*r.entries[get as usize].cmd }));
        assert_eq!(r.id_of(loose), None);
    }

    #[test]
    fn plans() {
        let r = registry();
        let plan = |n: &[u8]| &r.entry(r.lookup(n, false).unwrap()).keys;
        assert!(matches!(plan(b"ping"), KeyPlan::None));
        assert!(matches!(plan(b"get"), KeyPlan::Ranges { flags_reliable: true, .. }));
        assert!(matches!(plan(b"set"), KeyPlan::Ranges { flags_reliable: false, .. }));
        assert_eq!(perm_of_key_flags("RW access update"), PERM_ALL);
        assert_eq!(perm_of_key_flags("OW update"), PERM_WRITE);
        assert_eq!(perm_of_key_flags("RO access"), PERM_READ);
        assert_eq!(perm_of_key_flags("RW"), 0);
        let mset = KeyRange { begin: 1, lastkey: -1, step: 2, limit: 0, perm: PERM_WRITE };
        assert_eq!(range_bounds(&mset, 5), Some((1, 4, 2)));
        assert_eq!(range_bounds(&KeyRange { begin: 2, lastkey: 0, step: 1, limit: 0, perm: 0 }, 2), None);
        assert_eq!(channels_of("psubscribe"), ChannelKind::Pattern);
    }
}
