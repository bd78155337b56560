//! ACL users and selectors: the rule language of ACL SETUSER and its description back as text.
//!
//! A [`User`] has flags (on/off, nopass, payload sanitizing), a set of SHA-256 password hashes (64 lowercase hex
//! characters each, insertion ordered, no duplicates) and a list of [`Selector`]s whose first is the root one
//! (rules outside parentheses). A selector holds a 1024-bit command bitmap indexed by the registry's command ids,
//! "first args" allowed for otherwise denied commands (`+select|0`), key patterns with read/write permission bits
//! and channel patterns. Invariants: `selectors[0].root` and no other selector is root; a password hash is always
//! 64 lowercase hex bytes; `allkeys` implies no key patterns, `allchannels` no channel patterns.
//!
//! Rules are applied one at a time ([`User::apply`]) with Redis 7.0's semantics and errors (acl.c `ACLSetUser`,
//! `ACLSetSelector`); callers stage changes on a copy so a failing rule list changes nothing. The description
//! ([`User::describe`], ACL LIST / ACL SAVE) and the selector summary of ACL GETUSER follow
//! `ACLDescribeSelectorCommandRules`: start from `+@all` or `-@all`, greedily add the best-fitting categories,
//! then fix single commands until a fake selector's bitmap equals the user's. Tested by unit tests here and the
//! differential tests in `tests/operations/acl.rs`.

use super::registry::{registry, BITMAP_WORDS, CATEGORIES, FUTURE_BIT, PERM_ALL, PERM_READ, PERM_WRITE};

/// Why a rule was refused; the text is Redis's `ACLSetUserStringError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    UnknownCommand,
    Syntax,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    Duplicate,
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn text(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any \
                 effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any \
                 effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::Duplicate => "Duplicate user found. A user can only be defined once in config files",
            RuleError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// User flags, in the order ACL LIST prints them.
pub const USER_ENABLED: u8 = 1;
pub const USER_DISABLED: u8 = 2;
pub const USER_NOPASS: u8 = 4;
pub const USER_SKIP_SANITIZE: u8 = 8;
pub const USER_SANITIZE: u8 = 16;
pub const USER_FLAG_NAMES: &[(u8, &str)] = &[
    (USER_ENABLED, "on"),
    (USER_DISABLED, "off"),
    (USER_NOPASS, "nopass"),
    (USER_SKIP_SANITIZE, "skip-sanitize-payload"),
    (USER_SANITIZE, "sanitize-payload"),
];

/// A password hash: SHA-256 as lowercase hex.
pub type PassHash = [u8; 64];

/// One key pattern and the permissions it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub perm: u8,
    pub pattern: Vec<u8>,
    /// The pattern is a plain prefix followed by one `*` (`app:*`): a non-empty key matches when it starts with
    /// the prefix, which the check tests without the glob matcher. None: use the glob.
    pub prefix: Option<usize>,
}

impl KeyPattern {
    pub fn new(perm: u8, pattern: &[u8]) -> KeyPattern {
        let special = |c: &u8| matches!(c, b'*' | b'?' | b'[' | b'\\');
        let prefix = match pattern.split_last() {
            Some((b'*', head)) if !head.iter().any(special) => Some(head.len()),
            _ => None,
        };
        KeyPattern { perm, pattern: pattern.to_vec(), prefix }
    }

    /// Whether `key` matches (Redis's `stringmatchlen`, with the prefix shortcut).
    #[inline]
    pub fn matches(&self, key: &[u8]) -> bool {
        match self.prefix {
            // An empty key matches no pattern but an empty one in Redis's matcher: leave it to the glob.
            Some(n) if !key.is_empty() => key.starts_with(&self.pattern[..n]),
            _ => crate::util::glob_match(&self.pattern, key, false),
        }
    }
}

/// A set of command, key and channel permissions; a user may run a command if any of its selectors allows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub root: bool,
    pub allkeys: bool,
    pub allchannels: bool,
    pub allcommands: bool,
    pub bits: [u64; BITMAP_WORDS],
    /// (command id, allowed first arguments) for commands whose bit is clear.
    pub firstargs: Vec<(u16, Vec<Vec<u8>>)>,
    pub patterns: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
    /// Its rules name a sentinel's commands (else a normal server's): categories and names reach only those, and
    /// the description lists only those (Redis knows no other in each mode).
    pub sentinel: bool,
}

impl Selector {
    /// An empty selector; `allchannels` follows `acl-pubsub-default`.
    pub fn new(root: bool, env: RuleEnv) -> Selector {
        Selector {
            root,
            allkeys: false,
            allchannels: env.allchannels,
            sentinel: env.sentinel,
            allcommands: false,
            bits: [0; BITMAP_WORDS],
            firstargs: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    #[inline]
    pub fn bit(&self, id: usize) -> bool {
        self.bits[id / 64] & (1 << (id % 64)) != 0
    }

    fn set_bit(&mut self, id: usize, v: bool) {
        if v {
            self.bits[id / 64] |= 1 << (id % 64);
        } else {
            self.bits[id / 64] &= !(1 << (id % 64));
            self.allcommands = false;
        }
    }

    fn reset_firstargs_for(&mut self, id: u16) {
        self.firstargs.retain(|(i, _)| *i != id);
    }

    /// Allows or denies a command, and all its subcommands when it is a container (`ACLChangeSelectorPerm`).
    fn change_perm(&mut self, id: u16, allow: bool) {
        self.set_bit(id as usize, allow);
        self.reset_firstargs_for(id);
        for sub in registry().entry(id).subs.clone() {
            self.set_bit(sub as usize, allow);
        }
    }

    fn set_category(&mut self, cat: u32, allow: bool) {
        let r = registry();
        let sentinel = self.sentinel;
        for &top in r.top.iter().filter(|&&t| r.in_mode(t, sentinel)) {
            let e = r.entry(top);
            if e.cats & cat != 0 {
                self.change_perm(top, allow);
            }
            for sub in e.subs.clone() {
                if r.entry(sub).cats & cat != 0 {
                    self.change_perm(sub, allow);
                }
            }
        }
    }

    fn set_all(&mut self, allow: bool) {
        self.bits = if allow { [u64::MAX; BITMAP_WORDS] } else { [0; BITMAP_WORDS] };
        self.allcommands = allow;
        self.firstargs.clear();
    }

    fn add_firstarg(&mut self, id: u16, sub: &[u8]) {
        match self.firstargs.iter_mut().find(|(i, _)| *i == id) {
            Some((_, list)) => {
                if !list.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                    list.push(sub.to_vec());
                }
            }
            None => self.firstargs.push((id, vec![sub.to_vec()])),
        }
    }

    /// The allowed first arguments of command `id`.
    pub fn firstargs_of(&self, id: u16) -> Option<&[Vec<u8>]> {
        self.firstargs.iter().find(|(i, _)| *i == id).map(|(_, l)| &l[..])
    }

    /// Applies one selector rule (`ACLSetSelector`).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let sentinel = self.sentinel;
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        let r = registry();
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if op.first() == Some(&b'~') || op.first() == Some(&b'%') {
            if self.allkeys {
                return Err(RuleError::KeyAfterAll);
            }
            let mut perm = 0;
            let mut offset = 1;
            if op[0] == b'%' {
                while offset < op.len() {
                    let c = op[offset].to_ascii_uppercase();
                    if c == b'R' && perm & PERM_READ == 0 {
                        perm |= PERM_READ;
                    } else if c == b'W' && perm & PERM_WRITE == 0 {
                        perm |= PERM_WRITE;
                    } else if op[offset] == b'~' {
                        offset += 1;
                        break;
                    } else {
                        return Err(RuleError::Syntax);
                    }
                    offset += 1;
                }
                // Redis 7.0 accepts `%~x` and then cannot describe it (a server panic); refuse it instead.
                if perm == 0 {
                    return Err(RuleError::Syntax);
                }
            } else {
                perm = PERM_ALL;
            }
            let pat = &op[offset.min(op.len())..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            match self.patterns.iter_mut().find(|p| p.pattern == pat) {
                Some(p) => p.perm |= perm,
                None => self.patterns.push(KeyPattern::new(perm, pat)),
            }
            self.allkeys = false;
        } else if op.first() == Some(&b'&') {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.allchannels = false;
        } else if op.first() == Some(&b'+') && op.get(1) != Some(&b'@') {
            let name = &op[1..];
            match memchr::memrchr(b'|', name) {
                None => {
                    let id = r.lookup(name, sentinel).ok_or(RuleError::UnknownCommand)?;
                    self.change_perm(id, true);
                }
                Some(bar) => {
                    let (base, sub) = (&name[..bar], &name[bar + 1..]);
                    let id = r.lookup(base, sentinel).ok_or(RuleError::UnknownCommand)?;
                    let e = r.entry(id);
                    if e.parent.is_some() {
                        return Err(RuleError::FirstArgOfSubcommand);
                    }
                    if sub.is_empty() {
                        return Err(RuleError::Syntax);
                    }
                    if !e.subs.is_empty() {
                        let sid = r.lookup(name, sentinel).ok_or(RuleError::UnknownCommand)?;
                        self.change_perm(sid, true);
                    } else {
                        crate::log_warning!(
                            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of \
                             ACL and may get disabled in the future (offender: +{})",
                            String::from_utf8_lossy(name)
                        );
                        self.add_firstarg(id, sub);
                    }
                }
            }
        } else if op.first() == Some(&b'-') && op.get(1) != Some(&b'@') {
            let id = r.lookup(&op[1..], sentinel).ok_or(RuleError::UnknownCommand)?;
            self.change_perm(id, false);
        } else if (op.first() == Some(&b'+') || op.first() == Some(&b'-')) && op.get(1) == Some(&b'@') {
            let cat = super::registry::category_flag(&op[2..]);
            if cat == 0 {
                return Err(RuleError::UnknownCommand);
            }
            self.set_category(cat, op[0] == b'+');
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// Counts (allowed, denied) commands of a category in this selector's bitmap.
    fn count_category(&self, bits: &[u64; BITMAP_WORDS], cat: u32) -> (usize, usize) {
        let r = registry();
        let (mut on, mut off) = (0, 0);
        for (i, e) in r.entries.iter().enumerate() {
            if e.cats & cat != 0 && r.in_mode(i as u16, self.sentinel) {
                if bits[i / 64] & (1 << (i % 64)) != 0 {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// The command rules as ACL SETUSER would take them back (`ACLDescribeSelectorCommandRules`).
    pub fn describe_commands(&self) -> String {
        let r = registry();
        let mut rules = String::new();
        let additive = !self.bit(FUTURE_BIT);
        let env = RuleEnv { allchannels: false, sentinel: self.sentinel };
        let mut fake = Selector::new(false, env);
        if additive {
            rules.push_str("-@all ");
            fake.set_all(false);
        } else {
            rules.push_str("+@all ");
            fake.set_all(true);
        }
        let mut temp = self.bits;
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0);
            for (j, _) in CATEGORIES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = self.count_category(&temp, 1 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            fake.set_category(1 << j, additive);
            let mut t = Selector::new(false, env);
            t.bits = temp;
            t.set_category(1 << j, !additive);
            temp = t.bits;
            rules.push_str(if additive { "+@" } else { "-@" });
            rules.push_str(CATEGORIES[j]);
            rules.push(' ');
            applied[j] = true;
        }
        // Single commands, each container followed by its subcommands.
        let single = |id: u16, rules: &mut String, fake: &mut Selector| {
            let userbit = self.bit(id as usize);
            if userbit != fake.bit(id as usize) {
                rules.push(if userbit { '+' } else { '-' });
                rules.push_str(r.entry(id).full_name);
                rules.push(' ');
                fake.change_perm(id, userbit);
            }
        };
        for &top in r.top.iter().filter(|&&t| r.in_mode(t, self.sentinel)) {
            single(top, &mut rules, &mut fake);
            for sub in r.entry(top).subs.clone().filter(|&s| r.in_mode(s, self.sentinel)) {
                single(sub, &mut rules, &mut fake);
            }
            if !self.bit(top as usize) {
                if let Some(args) = self.firstargs_of(top) {
                    for a in args {
                        rules.push('+');
                        rules.push_str(r.entry(top).full_name);
                        rules.push('|');
                        rules.push_str(&String::from_utf8_lossy(a));
                        rules.push(' ');
                    }
                }
            }
        }
        rules.pop();
        // Redis panics here; the rules above always reproduce the bitmap of the mode's commands (the unit tests
        // check it), so a mismatch is only logged.
        let differs = (0..r.entries.len()).any(|i| r.in_mode(i as u16, self.sentinel) && fake.bit(i) != self.bit(i));
        if differs {
            crate::log_warning!("CRITICAL ERROR: User ACLs don't match final bitmap: '{rules}'");
        }
        rules
    }

    /// Key patterns as ACL GETUSER shows them (`~*` for allkeys, else space separated).
    pub fn describe_keys(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let v: Vec<String> = self.patterns.iter().map(pattern_string).collect();
        v.join(" ")
    }

    /// Channel patterns as ACL GETUSER shows them.
    pub fn describe_channels(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        let v: Vec<String> = self.channels.iter().map(|c| format!("&{}", String::from_utf8_lossy(c))).collect();
        v.join(" ")
    }

    /// The whole selector as rules (`ACLDescribeSelector`).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if self.allkeys {
            s.push_str("~* ");
        } else {
            for p in &self.patterns {
                s.push_str(&pattern_string(p));
                s.push(' ');
            }
        }
        if self.allchannels {
            s.push_str("&* ");
        } else {
            s.push_str("resetchannels ");
            for c in &self.channels {
                s.push('&');
                s.push_str(&String::from_utf8_lossy(c));
                s.push(' ');
            }
        }
        s.push_str(&self.describe_commands());
        s
    }
}

fn pattern_string(p: &KeyPattern) -> String {
    let prefix = match p.perm {
        PERM_READ => "%R~",
        PERM_WRITE => "%W~",
        _ => "~",
    };
    format!("{prefix}{}", String::from_utf8_lossy(&p.pattern))
}

/// Whether a name or pattern has whitespace or NUL (Redis's `ACLStringHasSpaces`).
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter().any(|&c| c == 0 || c == b' ' || (b'\t'..=b'\r').contains(&c))
}

/// Whether `h` is 64 lowercase hex characters.
pub fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// An ACL user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: Vec<u8>,
    pub flags: u8,
    pub passwords: Vec<PassHash>,
    pub selectors: Vec<Selector>,
}

/// What a rule means besides its text: `acl-pubsub-default` (`allchannels`: a new or reset user gets every
/// channel) and the server's mode (a sentinel knows only its own commands, a normal server all but SENTINEL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleEnv {
    pub allchannels: bool,
    pub sentinel: bool,
}

impl RuleEnv {
    /// The environment a server's config gives.
    pub fn of(config: &crate::config::Config) -> RuleEnv {
        RuleEnv {
            allchannels: config.stored_str("acl-pubsub-default") == "allchannels",
            sentinel: config.sentinel_mode,
        }
    }
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no passwords, no permissions.
    pub fn new(name: &[u8], env: RuleEnv) -> User {
        User {
            name: name.to_vec(),
            flags: USER_DISABLED,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, env)],
        }
    }

    /// The `default` user: on, nopass, every command, key and channel.
    pub fn new_default(env: RuleEnv) -> User {
        let mut u = User::new(b"default", env);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(op.as_bytes(), env);
        }
        u
    }

    #[inline]
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// Whether some selector allows every command, key and channel: the permission check is skipped.
    #[inline]
    pub fn unrestricted(&self) -> bool {
        self.selectors.iter().any(|s| s.allcommands && s.allkeys && s.allchannels)
    }

    /// Applies one rule (`ACLSetUser`) in the server's [`RuleEnv`].
    pub fn apply(&mut self, op: &[u8], env: RuleEnv) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        if is("on") {
            self.flags = (self.flags | USER_ENABLED) & !USER_DISABLED;
        } else if is("off") {
            self.flags = (self.flags | USER_DISABLED) & !USER_ENABLED;
        } else if is("skip-sanitize-payload") {
            self.flags = (self.flags | USER_SKIP_SANITIZE) & !USER_SANITIZE;
        } else if is("sanitize-payload") {
            self.flags = (self.flags | USER_SANITIZE) & !USER_SKIP_SANITIZE;
        } else if is("nopass") {
            self.flags |= USER_NOPASS;
            self.passwords.clear();
        } else if is("resetpass") {
            self.flags &= !USER_NOPASS;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let h = if op[0] == b'>' { crate::sha256::hex_digest(&op[1..]) } else { hash_arg(&op[1..])? };
            if !self.passwords.contains(&h) {
                self.passwords.push(h);
            }
            self.flags &= !USER_NOPASS;
        } else if op[0] == b'<' || op[0] == b'!' {
            let h = if op[0] == b'<' { crate::sha256::hex_digest(&op[1..]) } else { hash_arg(&op[1..])? };
            let i = self.passwords.iter().position(|p| *p == h).ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(i);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut s = Selector::new(false, env);
            let inner = if op.len() >= 2 { &op[1..op.len() - 1] } else { &[][..] };
            // Unbalanced quotes inside give an empty selector, as sdssplitargs failing does in Redis.
            for a in crate::config::split_args(inner).unwrap_or_default() {
                s.apply(&a)?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for r in ["resetpass", "resetkeys", "resetchannels"] {
                let _ = self.apply(r.as_bytes(), env);
            }
            if env.allchannels {
                let _ = self.apply(b"allchannels", env);
            }
            for r in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                let _ = self.apply(r.as_bytes(), env);
            }
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    /// Applies a list of rules after merging selectors spread over several arguments; all or nothing. Returns
    /// Redis's error text.
    pub fn apply_all(&mut self, ops: &[Vec<u8>], env: RuleEnv) -> Result<(), String> {
        let merged = merge_selector_args(ops).map_err(|i| {
            format!("Unmatched parenthesis in acl selector starting at '{}'.", String::from_utf8_lossy(&ops[i]))
        })?;
        let mut staged = self.clone();
        for op in &merged {
            if let Err(e) = staged.apply(op, env) {
                return Err(format!("Error in ACL SETUSER modifier '{}': {}", String::from_utf8_lossy(op), e.text()));
            }
        }
        *self = staged;
        Ok(())
    }

    /// Whether `pass` is one of the passwords (or the user is nopass), comparing hashes in constant time.
    pub fn password_ok(&self, pass: &[u8]) -> bool {
        if self.has(USER_NOPASS) {
            return true;
        }
        let h = crate::sha256::hex_digest(pass);
        let mut ok = false;
        for p in &self.passwords {
            let mut diff = 0u8;
            for (a, b) in p.iter().zip(h.iter()) {
                diff |= a ^ b;
            }
            ok |= diff == 0;
        }
        ok
    }

    /// Flags, passwords and selectors as rules (`ACLDescribeUser`, without the `user <name> ` prefix).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        for (f, name) in USER_FLAG_NAMES {
            if self.has(*f) {
                s.push_str(name);
                s.push(' ');
            }
        }
        for p in &self.passwords {
            s.push('#');
            s.push_str(&String::from_utf8_lossy(p));
            s.push(' ');
        }
        for sel in &self.selectors {
            if sel.root {
                s.push_str(&sel.describe());
            } else {
                s.push_str(" (");
                s.push_str(&sel.describe());
                s.push(')');
            }
        }
        s
    }
}

fn hash_arg(h: &[u8]) -> Result<PassHash, RuleError> {
    if !valid_hash(h) {
        return Err(RuleError::BadHash);
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(h);
    Ok(out)
}

/// Joins selector rules spread over several arguments (`(~a` `+get)` -> `(~a +get)`); Err(index of the argument
/// opening an unmatched parenthesis). (`ACLMergeSelectorArguments`.)
pub fn merge_selector_args(ops: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(ops.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in ops.iter().enumerate() {
        if open.is_none() && op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.clone()));
            continue;
        }
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                if let Some((_, sel)) = open.take() {
                    out.push(sel);
                }
            }
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((j, _)) => Err(j),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> Result<User, String> {
        let mut u = User::new(b"bob", RuleEnv::default());
        let ops: Vec<Vec<u8>> = rules.iter().map(|r| r.as_bytes().to_vec()).collect();
        u.apply_all(&ops, RuleEnv::default())?;
        Ok(u)
    }

    #[test]
    fn new_and_default_users_describe_like_redis() {
        assert_eq!(User::new(b"bob", RuleEnv::default()).describe(), "off resetchannels -@all");
        assert_eq!(User::new_default(RuleEnv::default()).describe(), "on nopass ~* &* +@all");
        let u = user(&["on", ">pw", "~app:*", "%R~r:*", "%W~w:*", "&ch", "+@read", "-get"]).unwrap();
        let hash = String::from_utf8(crate::sha256::hex_digest(b"pw").to_vec()).unwrap();
        assert_eq!(u.describe(), format!("on #{hash} ~app:* %R~r:* %W~w:* resetchannels &ch -@all +@read -get"));
        let u = user(&["reset"]).unwrap();
        assert_eq!(u.describe(), "off sanitize-payload resetchannels -@all");
    }

    #[test]
    fn rule_errors() {
        let e = |r: &[&str]| user(r).unwrap_err();
        assert_eq!(e(&["bogus"]), "Error in ACL SETUSER modifier 'bogus': Syntax error");
        assert_eq!(e(&["+nosuch"]), "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
        assert_eq!(
            e(&["+@nosuch"]),
            "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"
        );
        assert!(e(&["allkeys", "~x"]).ends_with("Try 'resetkeys' to start with an empty list of patterns"));
        assert!(e(&["allchannels", "&x"]).ends_with("Try 'resetchannels' to start with an empty list of channels"));
        assert!(e(&["<nope"]).ends_with("The password you are trying to remove from the user does not exist"));
        assert!(e(&["#abc"]).ends_with("only lowercase hexadecimal characters"));
        assert!(e(&["+config|get|x"]).ends_with("Allowing first-arg of a subcommand is not supported"));
        assert_eq!(e(&["+select|"]), "Error in ACL SETUSER modifier '+select|': Syntax error");
        assert_eq!(e(&["%X~a"]), "Error in ACL SETUSER modifier '%X~a': Syntax error");
        assert_eq!(e(&["(~a", "+get"]), "Unmatched parenthesis in acl selector starting at '(~a'.");
        assert_eq!(
            e(&["(~a +nosuch)"]),
            "Error in ACL SETUSER modifier '(~a +nosuch)': Unknown command or category name in ACL"
        );
        // A failed list changes nothing.
        let mut u = User::new(b"bob", RuleEnv::default());
        let before = u.clone();
        assert!(u.apply_all(&[b"on".to_vec(), b"bad".to_vec()], RuleEnv::default()).is_err());
        assert_eq!(u, before);
    }

    #[test]
    fn selectors_subcommands_and_firstargs() {
        let u = user(&["on", "nopass", "(~a", "+get)", "+config|get", "+select|0", "clearselectors", "(&x +publish)"])
            .unwrap();
        assert_eq!(u.selectors.len(), 2);
        assert_eq!(
            u.describe(),
            "on nopass resetchannels -@all +select|0 +config|get (resetchannels &x -@all +publish)"
        );
        let u = user(&["+@all", "-config|set", "-@dangerous"]).unwrap();
        assert!(u.describe().starts_with("off resetchannels +@all -@dangerous"), "{}", u.describe());
    }

    /// ACL LIST's description, applied to a fresh user, gives back the same selectors (many rule mixes), in both
    /// modes, with the names of that mode's commands.
    #[test]
    fn describe_round_trips() {
        let r = registry();
        for sentinel in [false, true] {
            let env = RuleEnv { sentinel, ..RuleEnv::default() };
            let names: Vec<&str> =
                (0..r.entries.len() as u16).filter(|&i| r.in_mode(i, sentinel)).map(|i| r.entry(i).full_name).collect();
            let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut next = |n: usize| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed % n as u64) as usize
            };
            let user = |ops: &[&str]| {
                let mut u = User::new(b"bob", env);
                u.apply_all(&ops.iter().map(|o| o.as_bytes().to_vec()).collect::<Vec<_>>(), env).map(|()| u)
            };
            for _ in 0..300 {
                let mut ops: Vec<String> = vec![if next(2) == 0 { "+@all".into() } else { "-@all".into() }];
                for _ in 0..next(8) {
                    let sign = if next(2) == 0 { '+' } else { '-' };
                    if next(2) == 0 {
                        ops.push(format!("{sign}@{}", CATEGORIES[next(CATEGORIES.len())]));
                    } else {
                        ops.push(format!("{sign}{}", names[next(names.len())]));
                    }
                }
                let u = user(&ops.iter().map(String::as_str).collect::<Vec<_>>()).unwrap();
                let described = u.describe();
                let words: Vec<&str> = described.split(' ').collect();
                let back = user(&words).unwrap();
                // The bits that matter: those of the mode's commands.
                let bits = |u: &User| -> Vec<bool> {
                    (0..r.entries.len())
                        .filter(|&i| r.in_mode(i as u16, sentinel))
                        .map(|i| u.selectors[0].bit(i))
                        .collect()
                };
                assert_eq!(bits(&back), bits(&u), "{ops:?} -> {described}");
                assert_eq!(back.describe(), described);
            }
        }
    }

    /// The prefix shortcut agrees with the glob matcher.
    #[test]
    fn key_pattern_prefix_shortcut() {
        let pats: &[&[u8]] = &[b"app:*", b"*", b"a*", b"a?*", b"a[b]*", b"a\\*", b"a**", b"abc", b""];
        let keys: &[&[u8]] = &[b"", b"a", b"app:", b"app:1", b"ap", b"ab", b"a*", b"abc", b"a**", b"xapp:1"];
        for p in pats {
            let kp = KeyPattern::new(PERM_ALL, p);
            for k in keys {
                assert_eq!(kp.matches(k), crate::util::glob_match(p, k, false), "{p:?} {k:?}");
            }
        }
        assert_eq!(KeyPattern::new(PERM_ALL, b"app:*").prefix, Some(4));
        assert_eq!(KeyPattern::new(PERM_ALL, b"a?*").prefix, None);
    }

    #[test]
    fn passwords_hash_and_compare() {
        let u = user(&[">a", ">b", ">a", "<b"]).unwrap();
        assert_eq!(u.passwords.len(), 1);
        assert!(u.password_ok(b"a"));
        assert!(!u.password_ok(b"b"));
        let h = String::from_utf8(crate::sha256::hex_digest(b"c").to_vec()).unwrap();
        let u = user(&[&format!("#{h}")]).unwrap();
        assert!(u.password_ok(b"c"));
        let u = user(&[&format!("#{h}"), &format!("!{h}")]).unwrap();
        assert!(!u.password_ok(b"c"));
        assert!(user(&["nopass"]).unwrap().password_ok(b"anything"));
        assert!(has_spaces(b"a b") && has_spaces(b"a\0") && !has_spaces(b"ab"));
    }

    /// Rules name only the commands of the server's mode (Redis 7.0's `ACLLookupCommand` over the mode's table).
    #[test]
    fn command_names_follow_the_mode() {
        let normal = RuleEnv::default();
        let sentinel = RuleEnv { sentinel: true, ..normal };
        let apply = |env: RuleEnv, op: &str| User::new(b"u", env).apply(op.as_bytes(), env);
        for op in ["+sentinel", "-sentinel", "+sentinel|masters"] {
            assert_eq!(apply(normal, op), Err(RuleError::UnknownCommand), "{op}");
            assert_eq!(apply(sentinel, op), Ok(()), "{op}");
        }
        for op in ["+get", "-set", "+config|get"] {
            assert_eq!(apply(normal, op), Ok(()), "{op}");
            assert_eq!(apply(sentinel, op), Err(RuleError::UnknownCommand), "{op}");
        }
        for op in ["+ping", "+client|list", "+@all", "-@admin"] {
            assert_eq!(apply(sentinel, op), Ok(()), "{op}");
        }
    }
}
