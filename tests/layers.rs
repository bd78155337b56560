//! Layers point one way: the keyspace's data structures and their foundations (system calls, RESP, the ring
//! buffer, the hash table, objects, collection types, databases, the lazy-free thread) never name the layers built
//! on them (commands, the server, its state, scripting, ACL, replication, persistence, configuration, and the
//! keyspace's own server-side processes). See the layer diagram in the crate docs (`src/lib.rs`).
//!
//! Three more rules keep the command table's metadata and the configuration below what uses them:
//! - the layers below the command handlers (ACL, eviction, expiry, scripting, the configuration, the state, the
//!   client, the MULTI queue) read the handler-free leaf `command_spec`, never `command`;
//! - `command_spec` itself names nothing of the crate but `args` and `util`;
//! - `config/` names none of the layers that read it (the owners of a directive's rules check it through a
//!   trait the configuration declares).
//!
//! A textual check over `src/`: every path in a lower-layer file that starts at `crate::` (in code or in a doc
//! link, `use crate::{..}` groups included) or climbs with `super::` is resolved to an absolute module path; one
//! that lands in an upper module fails the test with the file and line.
//!
//! State outside `ServerState` is held to its documentation the same way: every `thread_local!` static and every
//! mutable static (atomics, locks, once-cells, `static mut`) in `src/` must carry a `///` comment at its definition
//! and a line in the crate docs' "Global state outside `ServerState`" (`every_global_cell_is_documented_and_indexed`;
//! comments and string literals are blanked before the scan, and cells compiled only for unit tests need no line).

use std::path::{Path, PathBuf};

/// Files and folders (relative to `src/`) that make up the lower layers.
const LOWER: &[&str] = &[
    "sys",
    "resp",
    "net/ring.rs",
    "keyspace/dict",
    "keyspace/object.rs",
    "keyspace/types",
    "keyspace/db.rs",
    "keyspace/keysizes.rs",
    "keyspace/lazyfree.rs",
    "keyspace/slots",
    "keyspace/hash_slot.rs",
    "keyspace/thin.rs",
];

/// Modules (absolute paths below the crate root) a lower layer must not name: the issue's list, plus the
/// keyspace's server-side processes (notifications, active expiry, eviction, the blocking and WATCH registries,
/// propagation, pub/sub), which all work on the server state.
const UPPER: &[&str] = &[
    "command",
    "server",
    "state",
    "scripting",
    "acl",
    "persist",
    "config",
    "keyspace::notify",
    "keyspace::expire",
    "keyspace::evict",
    "blocking",
    "multi",
    "propagate",
    "pubsub",
    "admission",
];

fn rust_files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(p).expect("read src dir").map(|e| e.expect("dir entry").path()).collect();
        entries.sort();
        for e in entries {
            rust_files(&e, out);
        }
    } else if p.extension().is_some_and(|x| x == "rs") {
        out.push(p.to_path_buf());
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The path segments at the start of `text` (`a::b::c` → [a, b, c]; stops at the first non-path character), and
/// the rest of `text` after them (after a trailing `::` too, so a `{..}` group follows directly).
fn segments(text: &str) -> (Vec<&str>, &str) {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let len = rest.bytes().take_while(|&b| is_ident_byte(b)).count();
        if len == 0 {
            break;
        }
        out.push(&rest[..len]);
        match rest[len..].strip_prefix("::") {
            Some(r) => rest = r,
            None => {
                rest = &rest[len..];
                break;
            }
        }
    }
    (out, rest)
}

/// The absolute paths a reference names: `base` followed by what `after` holds (one path, or each item of a
/// `{..}` group, one level deep).
fn paths_named(base: &[String], after: &str) -> Vec<Vec<String>> {
    let (lead, tail) = segments(after);
    let mut abs: Vec<String> = base.to_vec();
    abs.extend(lead.iter().map(|s| s.to_string()));
    match tail.strip_prefix('{') {
        Some(group) => {
            let inner = group.split('}').next().unwrap_or("");
            inner
                .split(',')
                .map(|item| {
                    let mut p = abs.clone();
                    p.extend(segments(item.trim()).0.iter().map(|s| s.to_string()));
                    p
                })
                .collect()
        }
        None => vec![abs],
    }
}

/// Whether an absolute path lands in one of the `upper` modules.
fn upper_of<'u>(path: &[String], upper: &[&'u str]) -> Option<&'u str> {
    upper.iter().copied().find(|u| {
        let us: Vec<&str> = u.split("::").collect();
        path.len() >= us.len() && us.iter().zip(path).all(|(a, b)| a == b)
    })
}

/// The upward references in one file's text: (line number, the upper module named). `module` is the file's
/// module path below the crate root (`keyspace::db`; a `mod.rs` is its folder's module).
fn upward_refs(text: &str, module: &[String], upper: &[&str]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let before_ok = i == 0 || !is_ident_byte(rest.as_bytes()[i - 1]) || rest[..i].ends_with('$');
            let after = &rest[i + "crate::".len()..];
            if before_ok {
                for p in paths_named(&[], after) {
                    if let Some(m) = upper_of(&p, upper) {
                        found.push((n + 1, format!("crate::{m}")));
                    }
                }
            }
            rest = after;
        }
        let mut rest = line;
        while let Some(i) = rest.find("super::") {
            let before_ok = i == 0 || !is_ident_byte(rest.as_bytes()[i - 1]);
            let mut tail = &rest[i..];
            let mut ups = 0;
            while let Some(t) = tail.strip_prefix("super::") {
                ups += 1;
                tail = t;
            }
            if before_ok && ups <= module.len() {
                let base = &module[..module.len() - ups];
                for p in paths_named(base, tail) {
                    if let Some(m) = upper_of(&p, upper) {
                        found.push((n + 1, format!("super::..{m}")));
                    }
                }
            }
            // Skip the whole chain: its inner `super::`s are not new references.
            rest = &rest[i + "super::".len() * ups..];
        }
    }
    found
}

/// The module path of the file at `rel` (a path below `src/`): `keyspace/db.rs` → [keyspace, db],
/// `keyspace/dict/mod.rs` → [keyspace, dict].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        if last != "mod.rs" {
            parts.push(last.trim_end_matches(".rs").to_string());
        }
    }
    parts
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_scanner_finds_what_it_must() {
    let sample = "use crate::config::Config;\nuse crate::{util, state::ServerState};\n\
                  /// see [`X`](crate::command::Ctx)\nlet a = super::super::persist::rdb;\n\
                  use crate::configure_nothing;\nuse crate::keyspace::dict::Dict;\nmy_crate::command::x();\n\
                  use super::notify::emit;\nuse super::{lazyfree, expire};\nuse crate::keyspace::{evict::Pool, db};";
    let got: Vec<String> = upward_refs(sample, &strings(&["keyspace", "db"]), UPPER)
        .into_iter()
        .map(|(n, s)| format!("{n}:{s}"))
        .collect();
    assert_eq!(
        got,
        [
            "1:crate::config",
            "2:crate::state",
            "3:crate::command",
            "4:super::..persist",
            "8:super::..keyspace::notify",
            "9:super::..keyspace::expire",
            "10:crate::keyspace::evict",
        ]
    );
    // One super:: from a file two levels down stays inside its own folder.
    assert!(upward_refs("use super::command;", &strings(&["keyspace", "types", "list"]), UPPER).is_empty());
    assert_eq!(module_path(Path::new("keyspace/types/list.rs")), ["keyspace", "types", "list"]);
    assert_eq!(module_path(Path::new("keyspace/dict/mod.rs")), ["keyspace", "dict"]);
    assert_eq!(module_path(Path::new("keyspace/db.rs")), ["keyspace", "db"]);
    // The leaf is not the command layer.
    assert!(upward_refs("use crate::command_spec::{flag, Command};", &strings(&["acl"]), &["command"]).is_empty());
    assert_eq!(upward_refs("use crate::command::flag;", &strings(&["acl"]), &["command"]).len(), 1);
    assert_eq!(
        got.iter().map(|s| module_named(&s[s.find(':').unwrap_or(0) + 1..])).collect::<Vec<_>>(),
        ["config", "state", "command", "persist", "keyspace::notify", "keyspace::expire", "keyspace::evict"]
    );
}

/// The module an [`upward_refs`] finding names (`super::..keyspace::notify` → `keyspace::notify`).
fn module_named(what: &str) -> &str {
    what.trim_start_matches("crate::").trim_start_matches("super::..")
}

/// Every `.rs` file under the given paths (relative to `src/`), with its path relative to `src/`.
fn files_of(src: &Path, paths: &[&str]) -> Vec<(PathBuf, PathBuf)> {
    let mut files = Vec::new();
    for l in paths {
        let p = src.join(l);
        assert!(p.exists(), "{} is listed in a layer rule but does not exist", p.display());
        rust_files(&p, &mut files);
    }
    files.into_iter().map(|f| (f.strip_prefix(src).expect("under src").to_path_buf(), f)).collect()
}

/// The references from `paths` to the modules in `upper`, as `src/file:line: what`.
fn violations(paths: &[&str], upper: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for (rel, f) in files_of(&src, paths) {
        let text = std::fs::read_to_string(&f).expect("read source");
        for (line, what) in upward_refs(&text, &module_path(&rel), upper) {
            let shown = rel.to_string_lossy().replace('\\', "/");
            out.push(format!("src/{shown}:{line}: {what}"));
        }
    }
    out
}

#[test]
fn lower_layers_do_not_name_upper_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = files_of(&src, LOWER);
    assert!(files.len() >= 10, "expected the lower layers' files, found {}", files.len());
    let v = violations(LOWER, UPPER);
    assert!(v.is_empty(), "lower layers name upper ones (move the item down, or pass it in):\n{}", v.join("\n"));
}

/// What reads the command table below the handlers: these name `command_spec`, not `command` (whose `Ctx`
/// holds the whole server state).
const TABLE_READERS: &[&str] = &[
    "acl",
    "state/expire",
    "state/evict",
    "scripting",
    "config",
    "state/mod.rs",
    "keyspace/db.rs",
    "multi.rs",
    "net",
    "state/tracking",
    "command_spec.rs",
];

#[test]
fn table_readers_use_the_metadata_leaf() {
    let v = violations(TABLE_READERS, &["command"]);
    assert!(
        v.is_empty(),
        "these read the command table: name `crate::command_spec` (metadata), not `crate::command` (handlers):\n{}",
        v.join("\n")
    );
}

#[test]
fn the_metadata_leaf_names_only_args_and_util() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // Every top-level module but the two it may use (so a module added later is covered too).
    let mut modules: Vec<String> = std::fs::read_dir(&src)
        .expect("read src")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|m| !["args", "util", "command_spec", "lib", "main", "bin"].contains(&m.as_str()))
        .collect();
    modules.sort();
    modules.dedup();
    assert!(modules.iter().any(|m| m == "command") && modules.len() > 20, "{modules:?}");
    let upper: Vec<&str> = modules.iter().map(String::as_str).collect();
    let v = violations(&["command_spec.rs"], &upper);
    assert!(v.is_empty(), "command_spec must stay a leaf (args and util only):\n{}", v.join("\n"));
}

/// What `config/` must not name: the layers that read the configuration (a directive whose rules belong to
/// one of them is checked through a trait `config/` declares and the owner implements).
const CONFIG_READERS: &[&str] = &[
    "command",
    "server",
    "state",
    "scripting",
    "acl",
    "persist",
    "keyspace::notify",
    "keyspace::expire",
    "keyspace::evict",
    "blocking",
    "multi",
    "propagate",
    "pubsub",
    "net",
    "proctitle",
    "env_password",
    "conf_reference",
    "admission",
];

#[test]
fn config_does_not_name_its_readers() {
    let v = violations(&["config"], CONFIG_READERS);
    assert!(v.is_empty(), "config/ names a layer built on it (declare a trait for the owner):\n{}", v.join("\n"));
}

/// The data-type families: their handlers reach the server only through `Ctx`'s narrow views (the keyspace door,
/// lookups with expiry and touch, replies, propagation requests, notifications, the few settings they read), never
/// the server state itself nor `Ctx`'s whole-server view, so a change to `ServerState` does not reach them and they
/// read as Redis's `t_*.c`.
const DATA_FAMILIES: &[&str] = &[
    "command/string.rs",
    "command/list",
    "command/increx.rs",
    "command/hash",
    "command/set.rs",
    "command/zset",
    "command/sort.rs",
    "command/stream",
    "command/hll.rs",
    "command/geo.rs",
    "command/bitmap.rs",
    "command/shared.rs",
    // DUMP and RESTORE: one key's value, serialized.
    "command/dump.rs",
];

/// `Ctx`'s whole-server view, the exception kept for the families that act on the server as a whole (see
/// `src/command/context.rs`).
const WHOLE_SERVER_VIEW: &[&str] = &[".server()", ".server_mut()", ".client_and_server()"];

/// Whether `line` takes `Ctx`'s whole-server view.
fn takes_whole_server_view(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    WHOLE_SERVER_VIEW.iter().any(|v| code.contains(v))
}

/// Whether `line` names the server state (`ServerState`, or the `srv` field/binding as a whole word).
fn names_server_state(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    if code.contains("ServerState") {
        return true;
    }
    code.match_indices("srv").any(|(i, _)| {
        let before = code[..i].bytes().last();
        let after = code[i + 3..].bytes().next();
        !before.is_some_and(is_ident_byte) && !after.is_some_and(is_ident_byte)
    })
}

#[test]
fn data_families_use_the_narrow_context() {
    assert!(names_server_state("let n = ctx.srv.now_ms;"));
    assert!(names_server_state("fn f(st: &ServerState) {}"));
    assert!(!names_server_state("let srvx = 1; // ctx.srv is not named here"));
    assert!(takes_whole_server_view("let n = ctx.server().now_ms;"));
    assert!(takes_whole_server_view("let (client, srv) = ctx.client_and_server();"));
    assert!(!takes_whole_server_view("let n = ctx.now_ms(); // not ctx.server()"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (rel, f) in files_of(&src, DATA_FAMILIES) {
        let text = std::fs::read_to_string(&f).expect("read source");
        // The unit tests at the end of a file drive a whole server through the harness: only the handlers count.
        let handlers = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in handlers.lines().enumerate() {
            if names_server_state(line) || takes_whole_server_view(line) {
                found.push(format!("src/{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "data-type handlers name the server state or take `Ctx`'s whole-server view (add a narrow `Ctx` view \
         instead):\n{}",
        found.join("\n")
    );
}

/// The command families that take `Ctx`'s whole-server view, with why; every other file of `src/command/` reaches
/// the server only through the narrow views (`src/command/context.rs`). Exact: a file that stops taking it must be
/// struck, so the list only shrinks.
const WHOLE_SERVER_FAMILIES: &[(&str, &str)] = &[
    ("command/acl.rs", "ACL SETUSER/DELUSER/LOAD disconnect the clients of changed users; ACL LOG, GENPASS"),
    (
        "command/admin/mod.rs",
        "SAVE/BGSAVE/BGREWRITEAOF, SHUTDOWN, MONITOR, SLOWLOG/COMMANDLOG: persistence, the monitors, logs",
    ),
    ("command/cluster.rs", "CLUSTER: the bus, the slots and the keyspace's slot index together"),
    ("command/config.rs", "CONFIG SET applies a setting to whichever part holds it"),
    ("command/connection.rs", "CLIENT LIST/KILL/PAUSE/TRACKING, HELLO, AUTH, RESET: the client table"),
    ("command/debug/mod.rs", "DEBUG: reloads, sleeps, switches and figures from every part"),
    ("command/hotkeys.rs", "HOTKEYS: a server-wide tracking session, the cluster's slots"),
    ("command/info.rs", "INFO: every part's figures"),
    ("command/memory/mod.rs", "MEMORY STATS/DOCTOR: every part's memory"),
    ("command/pubsub.rs", "(S)PUBLISH and (UN)SUBSCRIBE: delivery writes to other clients; the cluster bus"),
    (
        "command/repl.rs",
        "REPLICAOF, SYNC/PSYNC, WAIT, FAILOVER, ROLE: lends the client and the server to state::repl::commands",
    ),
    ("command/sentinel.rs", "SENTINEL: its events publish to subscribers, its config saves"),
    ("command/slot_stats.rs", "CLUSTER SLOT-STATS: the cluster's slots with the per-slot statistics it keeps"),
];

#[test]
fn whole_server_view_only_where_listed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("command"), &mut files);
    let mut found: Vec<String> = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        // The view's definition, and the handler harness and unit tests, which drive a whole server.
        if rel.starts_with("command/context") || rel == "command/test_support.rs" || rel.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("read source");
        let handlers = text.split("#[cfg(test)]").next().unwrap_or("");
        if handlers.lines().any(takes_whole_server_view) {
            found.push(rel);
        }
    }
    found.sort();
    let mut want: Vec<String> = WHOLE_SERVER_FAMILIES.iter().map(|(f, _)| f.to_string()).collect();
    want.sort();
    assert_eq!(
        found, want,
        "files of src/command/ that take Ctx's whole-server view (left: found, right: WHOLE_SERVER_FAMILIES in \
         tests/layers.rs): give a new family a narrow view in src/command/context.rs, and strike a family that no \
         longer takes it"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// The whole import graph
//
// The rules above look at named files. The test below builds the file-to-file import graph of the whole library
// (every file under `src/` but `main.rs` and `bin/`), so a new tie anywhere shows: an import that runs from a
// lower band of `BANDS` to a higher one fails unless `UPWARD` lists it, an entry of `UPWARD` that no longer exists
// fails until it is struck (so the list only shrinks), and no import cycle may hold more than `MAX_CYCLE` files.
//
// An edge A -> B: file A names, in code (comments are skipped), a path that starts at `crate::`, climbs with
// `super::`, starts at `self::`, or (in a `use` item) starts at a child module, and that path lands in B: the
// longest prefix that is a module file, followed through `pub use` re-exports to the file that defines the name.
// A `mod x;` declaration is not an edge. Unit tests inside a file count as that file's code.
// ---------------------------------------------------------------------------------------------------------------

/// The bands, bottom first: a file belongs to the band of the longest entry that is a prefix of its path below
/// `src/`. An import may run down or stay level, never up.
const BANDS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &[
            "sys",
            "util.rs",
            "alloc",
            "lua",
            "lzf.rs",
            "sha1.rs",
            "sha256.rs",
            "xxh3.rs",
            "args.rs",
            "log.rs",
            "latency.rs",
            "supervise.rs",
            "event_loop.rs",
        ],
    ),
    (
        "protocol, rules and settings",
        &[
            "resp",
            "net/ring.rs",
            "command_spec.rs",
            "config",
            "conf_reference.rs",
            "acl",
            "proctitle.rs",
            "oom.rs",
            "env_password.rs",
        ],
    ),
    ("keyspace", &["keyspace"]),
    (
        "clients and services",
        &[
            "net",
            "pubsub.rs",
            "blocking.rs",
            "multi.rs",
            "propagate.rs",
            "persist",
            "cluster",
            "sentinel",
            "scripting",
            "crash_report.rs",
        ],
    ),
    ("server state", &["state"]),
    ("command handlers", &["command"]),
    ("the funnel", &["admission"]),
    ("the server", &["server", "lib.rs"]),
];

/// The imports that still run up, as `from -> to` (paths below `src/`). Strike an entry when its import goes;
/// never add one. Most are services that still take the whole `ServerState` (their operations belong above it,
/// their data below it), and the unit-test harness.
const UPWARD: &[&str] = &["command/test_support.rs -> server/mod.rs"];

/// The most files one import cycle may hold (lower it as cycles are cut).
const MAX_CYCLE: usize = 8;

/// The file-to-file import graph of the library.
struct Graph {
    /// Paths below `src/`, `/`-separated, sorted.
    files: Vec<String>,
    /// `edges[i]`: the files that `files[i]` imports (no self-edges).
    edges: Vec<std::collections::BTreeSet<usize>>,
}

/// `text` without its comments (line comments, doc comments and block comments); string literals stay.
fn without_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        if in_str {
            if b[i] == b'\\' && i + 1 < b.len() {
                out.push_str(&text[i..i + 2]);
                i += 2;
                continue;
            }
            if b[i] == b'"' {
                in_str = false;
            }
        } else if b[i] == b'"' && !(i > 0 && b[i - 1] == b'\'' && b.get(i + 1) == Some(&b'\'')) {
            in_str = true;
        } else if text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if text[i..].starts_with("/*") {
            let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            out.push_str(&"\n".repeat(text[i..end].matches('\n').count()));
            i = end;
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Every path a `use` tree or a path expression at the start of `text` names, each as segments after `base`
/// (nested `{..}` groups expanded; `self` inside a group names the group's own prefix).
fn path_tree(base: &[String], text: &str) -> Vec<Vec<String>> {
    let (lead, tail) = segments(text.trim_start());
    let mut prefix: Vec<String> = base.to_vec();
    prefix.extend(lead.iter().map(|s| s.to_string()));
    // A group follows `::` directly (`a::{b, c}`); a path followed by ` {` ends there (a block, a struct literal).
    let Some(group) = tail.strip_prefix('{') else {
        return vec![prefix];
    };
    let mut out = Vec::new();
    let (mut depth, mut start) = (1usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' | ',' if depth == 1 => {
                let item = group[start..i].trim();
                if item == "self" {
                    out.push(prefix.clone());
                } else if !item.is_empty() && item != "*" {
                    out.extend(path_tree(&prefix, item));
                }
                start = i + 1;
                if c == '}' {
                    break;
                }
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    out
}

/// A file's module path from its path below `src/` (`lib.rs` is the crate root).
fn module_of(rel: &str) -> Vec<String> {
    if rel == "lib.rs" {
        return Vec::new();
    }
    module_path(Path::new(rel))
}

/// Whether `text` defines an item called `name` at any depth (a function, type, constant, macro...).
fn defines(text: &str, name: &str) -> bool {
    ["fn ", "struct ", "enum ", "const ", "static ", "type ", "trait ", "union ", "macro_rules! ", "mod "].iter().any(
        |kw| {
            text.match_indices(&format!("{kw}{name}")).any(|(i, m)| {
                let after = text[i + m.len()..].bytes().next();
                let before = text[..i].bytes().last();
                !after.is_some_and(is_ident_byte) && !before.is_some_and(is_ident_byte)
            })
        },
    )
}

impl Graph {
    fn build() -> Graph {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut all = Vec::new();
        rust_files(&src, &mut all);
        let mut texts = Vec::new();
        for f in all {
            let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            if rel == "main.rs" || rel.starts_with("bin/") {
                continue;
            }
            let text = without_comments(&std::fs::read_to_string(&f).expect("read source"));
            texts.push((rel, text));
        }
        texts.sort();
        let files: Vec<String> = texts.iter().map(|(r, _)| r.clone()).collect();
        let by_module: std::collections::HashMap<Vec<String>, usize> =
            files.iter().enumerate().map(|(i, r)| (module_of(r), i)).collect();
        // Each file's re-exports: name -> the absolute path it stands for.
        let mut reexports: Vec<std::collections::HashMap<String, Vec<String>>> = Vec::new();
        for (rel, text) in &texts {
            let me = module_of(rel);
            let mut map = std::collections::HashMap::new();
            for (at, _, tree) in use_items(text).into_iter().filter(|(_, public, _)| *public) {
                for p in absolute_paths(&inner_module(text, at, &me), &tree, &by_module) {
                    if let Some(last) = p.last() {
                        map.insert(last.clone(), p.clone());
                    }
                }
            }
            reexports.push(map);
        }
        // `#[macro_export]` macros live at the crate root: a root path naming one lands in the file that defines it.
        let macro_home = |name: &str| texts.iter().position(|(_, t)| t.contains(&format!("macro_rules! {name} ")));
        let resolve = |path: &[String]| -> Option<usize> {
            let mut path = path.to_vec();
            for _ in 0..8 {
                let k = (0..=path.len()).rev().find(|&k| by_module.contains_key(&path[..k]))?;
                if k == 0 {
                    // The crate root only declares the module tree: what it names lives elsewhere.
                    return path.first().and_then(|name| macro_home(name));
                }
                let f = by_module[&path[..k]];
                match path.get(k) {
                    Some(name) if !defines(&texts[f].1, name) => match reexports[f].get(name) {
                        Some(target) => {
                            let mut next = target.clone();
                            next.extend(path[k + 1..].iter().cloned());
                            path = next;
                        }
                        None => return Some(f),
                    },
                    _ => return Some(f),
                }
            }
            None
        };
        let mut edges = vec![std::collections::BTreeSet::new(); files.len()];
        for (i, (rel, text)) in texts.iter().enumerate() {
            let me = module_of(rel);
            let mut paths = Vec::new();
            for (at, _, tree) in use_items(text) {
                paths.extend(absolute_paths(&inner_module(text, at, &me), &tree, &by_module));
            }
            for (at, inner) in references(text) {
                paths.extend(absolute_paths(&inner_module(text, at, &me), &inner, &by_module));
            }
            for p in paths {
                if let Some(j) = resolve(&p) {
                    if j != i {
                        edges[i].insert(j);
                    }
                }
            }
        }
        Graph { files, edges }
    }

    /// The strongly connected components with more than one file, largest first (Tarjan's algorithm, iterative).
    fn cycles(&self) -> Vec<Vec<usize>> {
        let n = self.files.len();
        let (mut index, mut low, mut on) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
        let (mut stack, mut out, mut next) = (Vec::new(), Vec::new(), 0);
        for root in 0..n {
            if index[root] != usize::MAX {
                continue;
            }
            let mut call: Vec<(usize, Vec<usize>)> = Vec::new();
            index[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on[root] = true;
            call.push((root, self.edges[root].iter().copied().collect()));
            while let Some((v, todo)) = call.last_mut() {
                let v = *v;
                if let Some(w) = todo.pop() {
                    if index[w] == usize::MAX {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on[w] = true;
                        call.push((w, self.edges[w].iter().copied().collect()));
                    } else if on[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                call.pop();
                if let Some((u, _)) = call.last() {
                    low[*u] = low[*u].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 {
                        comp.sort();
                        out.push(comp);
                    }
                }
            }
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.len()));
        out
    }

    /// The imports from a lower band to a higher one, as `from -> to`.
    fn upward(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, js) in self.edges.iter().enumerate() {
            for &j in js {
                if band_of(&self.files[i]) < band_of(&self.files[j]) {
                    out.push(format!("{} -> {}", self.files[i], self.files[j]));
                }
            }
        }
        out
    }
}

/// The band index of a path below `src/` (the longest matching entry of [`BANDS`]).
fn band_of(rel: &str) -> usize {
    let mut best: Option<(usize, usize)> = None;
    for (b, (_, entries)) in BANDS.iter().enumerate() {
        for e in entries.iter() {
            let hit = rel == *e || rel.strip_prefix(e).is_some_and(|r| r.starts_with('/'));
            if hit && best.is_none_or(|(len, _)| e.len() > len) {
                best = Some((e.len(), b));
            }
        }
    }
    match best {
        Some((_, b)) => b,
        None => panic!("src/{rel} is in no band of BANDS: add it where it belongs"),
    }
}

/// The `use` items of a file: (byte offset, whether public, the tree after `use `).
fn use_items(text: &str) -> Vec<(usize, bool, String)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("use ") {
        let before = &text[..i];
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let lead = before[line_start..].trim();
        let public = lead.starts_with("pub");
        let lead_ok = lead.is_empty()
            || lead == "pub"
            || lead.starts_with("pub(")
            || (lead.starts_with("#[") && lead.ends_with(']'));
        if !lead_ok {
            continue;
        }
        let rest = &text[i + 4..];
        let end = rest.find(';').unwrap_or(rest.len());
        out.push((i, public, rest[..end].to_string()));
    }
    out
}

/// The path expressions of a file that start at `crate::`, `super::` or `self::` outside `use` items:
/// (byte offset, the text from the keyword on).
fn references(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for kw in ["crate::", "super::", "self::"] {
        for (i, _) in text.match_indices(kw) {
            let before = text[..i].bytes().last();
            if before.is_some_and(|b| is_ident_byte(b) || b == b':' || b == b'$') {
                continue;
            }
            let line_start = text[..i].rfind('\n').map_or(0, |p| p + 1);
            let lead = text[line_start..i].trim_start();
            if lead.starts_with("use ") || lead.starts_with("pub use ") || lead.starts_with("pub(") {
                continue;
            }
            let end = text[i..].find(['\n', ';']).map_or(text.len(), |e| i + e);
            out.push((i, text[i..end].to_string()));
        }
    }
    out
}

/// The module a byte offset of a file is in: the file's own, or an inline `mod name {` opened before it at the
/// file's top level (unit tests), which is where `super::` starts from.
fn inner_module(text: &str, at: usize, me: &[String]) -> Vec<String> {
    let mut m = me.to_vec();
    for (i, _) in text[..at].match_indices("\nmod ").chain(text[..at].match_indices("\npub mod ")) {
        let decl = &text[i + 1..];
        let decl = decl.trim_start_matches("pub ").trim_start_matches("mod ");
        let (name, rest) = segments(decl);
        if name.len() == 1 && rest.trim_start().starts_with('{') {
            m = me.to_vec();
            m.push(name[0].to_string());
        }
    }
    m
}

/// The absolute module paths one `use` tree or path expression names, seen from module `me` (`crate::`,
/// `super::` chains, `self::`, or a first segment that is a child module of `me` or of the crate).
fn absolute_paths(
    me: &[String],
    tree: &str,
    modules: &std::collections::HashMap<Vec<String>, usize>,
) -> Vec<Vec<String>> {
    let tree = tree.trim_start().trim_start_matches("::");
    if let Some(rest) = tree.strip_prefix("crate::") {
        return path_tree(&[], rest);
    }
    if tree.starts_with("super::") {
        let mut base = me.to_vec();
        let mut rest = tree;
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        return path_tree(&base, rest);
    }
    if let Some(rest) = tree.strip_prefix("self::") {
        return path_tree(me, rest);
    }
    if tree.starts_with("crate::{") || tree.starts_with('{') {
        return Vec::new();
    }
    // A `use` path starting at a child module of `me` (2018 uniform paths).
    let (lead, _) = segments(tree);
    if let Some(first) = lead.first() {
        let mut child = me.to_vec();
        child.push(first.to_string());
        if modules.contains_key(&child) {
            return path_tree(me, tree);
        }
    }
    Vec::new()
}

#[test]
fn the_graph_reader_reads_paths() {
    assert_eq!(path_tree(&[], "state::ServerState {"), vec![strings(&["state", "ServerState"])]);
    let t = path_tree(&[], "a::{b, c::{d, self}, e::f as g}");
    assert_eq!(
        t,
        vec![strings(&["a", "b"]), strings(&["a", "c", "d"]), strings(&["a", "c"]), strings(&["a", "e", "f"])]
    );
    assert_eq!(without_comments("a // b\nc /* d\n */ e \"//x\""), "a \nc \n e \"//x\"");
    let mods: std::collections::HashMap<Vec<String>, usize> =
        [(strings(&["keyspace", "db"]), 0), (strings(&["keyspace"]), 1)].into_iter().collect();
    assert_eq!(absolute_paths(&strings(&["keyspace"]), "db::Db", &mods), vec![strings(&["keyspace", "db", "Db"])]);
    assert_eq!(absolute_paths(&strings(&["keyspace", "db"]), "super::x", &mods), vec![strings(&["keyspace", "x"])]);
    assert!(absolute_paths(&strings(&["keyspace", "db"]), "std::fmt", &mods).is_empty());
    assert!(defines("pub struct Db {", "Db") && !defines("pub struct Dbx", "Db"));
    let text = "use crate::a;\nfn f() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n";
    assert_eq!(inner_module(text, text.len() - 3, &strings(&["k"])), strings(&["k", "tests"]));
    assert_eq!(
        use_items("pub use x::Y;\n    use z::{a, b};\nlet use_me = 1;"),
        vec![(4, true, "x::Y".to_string()), (18, false, "z::{a, b}".to_string())]
    );
}

/// One module layout for the whole crate: a module with children is a folder holding its `mod.rs`
/// (`state/mod.rs` beside `state/expire/`), never a `foo.rs` beside a `foo/` folder (see the crate docs, "Modules").
#[test]
fn a_module_with_children_is_a_folder_with_its_mod_rs() {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).expect("read src dir").map(|e| e.expect("dir entry").path()).collect();
        entries.sort();
        for e in entries.iter().filter(|e| e.is_dir()) {
            if e.with_extension("rs").is_file() {
                out.push(e.with_extension("rs").display().to_string());
            }
            walk(e, out);
        }
    }
    let mut found = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    assert!(found.is_empty(), "move each to its folder's mod.rs (`git mv foo.rs foo/mod.rs`):\n{}", found.join("\n"));
}

/// Unit tests sit with the module they test: in a `mod tests` at the end of its file, or in `tests.rs` in its
/// folder (`foo/tests.rs` for `foo/mod.rs`), declared as `mod tests;` (no `#[path]`). The one exception the bands
/// force: a module below the handlers whose tests drive a whole server through the handler harness (which is in
/// `command/`) keeps them in `command/`, named after it.
const TESTS_ABOVE_THEIR_MODULE: &[(&str, &str)] = &[("command/notify_tests.rs", "state/notify.rs")];

#[test]
fn unit_tests_sit_with_their_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    rust_files(&src, &mut all);
    let mut found = Vec::new();
    for f in &all {
        let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        let name = rel.rsplit('/').next().unwrap_or("");
        let listed = TESTS_ABOVE_THEIR_MODULE.iter().any(|(t, m)| *t == rel && src.join(m).is_file());
        if name.ends_with("_tests.rs") && !listed {
            found.push(format!("src/{rel}: move it to the tested module's folder as tests.rs"));
        }
        let text = without_comments(&std::fs::read_to_string(f).expect("read source"));
        if text.contains("#[path") && !rel.starts_with("bin/") {
            found.push(format!("src/{rel}: a #[path] module (use the folder layout instead)"));
        }
    }
    assert!(found.is_empty(), "unit tests away from their module:\n{}", found.join("\n"));
}

#[test]
fn the_import_graph_points_down_and_has_no_large_cycle() {
    let g = Graph::build();
    assert!(g.files.len() > 150, "found only {} files", g.files.len());
    for f in &g.files {
        band_of(f);
    }
    let cycles = g.cycles();
    let names = |c: &Vec<usize>| c.iter().map(|&i| g.files[i].as_str()).collect::<Vec<_>>().join(", ");
    let report: Vec<String> = cycles.iter().map(|c| format!("{} files: {}", c.len(), names(c))).collect();
    eprintln!("import cycles:\n{}", report.join("\n"));
    let up = g.upward();
    eprintln!("{} imports run up:\n{}", up.len(), up.join("\n"));
    let biggest = cycles.first().map_or(0, |c| c.len());
    assert!(biggest <= MAX_CYCLE, "an import cycle of {biggest} files (at most {MAX_CYCLE}):\n{}", report.join("\n"));
    // The server state is the data the operations above it work on: nothing it holds may reach back up to it.
    let through_state: Vec<&String> = cycles
        .iter()
        .zip(&report)
        .filter(|(c, _)| c.iter().any(|&i| g.files[i] == "state/mod.rs"))
        .map(|(_, r)| r)
        .collect();
    assert!(through_state.is_empty(), "an import cycle runs through state/mod.rs:\n{through_state:?}");
    let new: Vec<&String> = up.iter().filter(|u| !UPWARD.contains(&u.as_str())).collect();
    assert!(
        new.is_empty(),
        "new imports that run up (move the item down, or pass it in; see BANDS):\n{}",
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    let gone: Vec<&&str> = UPWARD.iter().filter(|u| !up.iter().any(|x| x == *u)).collect();
    assert!(gone.is_empty(), "these upward imports are gone: strike them from UPWARD:\n{gone:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// Global cells: every thread-local and every mutable static is documented where it is defined and named in the
// crate docs' index ("Global state outside `ServerState`" in `src/lib.rs`).

/// `text` with every comment, string literal and character literal blanked to spaces (line breaks kept), so
/// byte offsets and line numbers still match the source and nothing inside a comment or a string is taken for
/// code. Lifetimes (`'static`) stay.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let prev_ident = i > 0 && is_ident_byte(b[i - 1]);
        if b[i..].starts_with(b"//") {
            let end = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let (mut depth, mut j) = (0usize, i);
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if !prev_ident && (b[i..].starts_with(b"r\"") || b[i..].starts_with(b"r#") || b[i..].starts_with(b"br"))
        {
            // A raw string: r"..", r#".."#, br"..".
            let start = i;
            let mut j = i + if b[i] == b'b' { 2 } else { 1 };
            let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
            j += hashes;
            if j >= b.len() || b[j] != b'"' {
                i += 1;
                continue;
            }
            j += 1;
            let mut close = vec![b'"'];
            close.resize(1 + hashes, b'#');
            let end = b[j..].windows(close.len()).position(|w| w == close.as_slice()).map_or(b.len(), |p| j + p);
            let end = (end + close.len()).min(b.len());
            blank(&mut out, start, end);
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            blank(&mut out, i, end);
            i = end;
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '\u{..}', b'x'), or a lifetime or label ('a, 'static), left alone.
            let rest = &text[i + 1..];
            let end = if rest.starts_with('\\') {
                rest[2..].find('\'').map(|p| i + 1 + 2 + p + 1)
            } else {
                let mut cs = rest.char_indices();
                match (cs.next(), cs.next()) {
                    (Some(_), Some((p, '\''))) => Some(i + 1 + p + 1),
                    _ => None,
                }
            };
            match end {
                Some(end) => {
                    blank(&mut out, i, end);
                    i = end;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("blanking keeps UTF-8: only whole literals and comments become spaces")
}

/// The offset of the bracket that closes the one at `open` (`{`, `(` or `[`) in blanked code.
fn closing(code: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, &c) in code.iter().enumerate().skip(open) {
        match c {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// Whether the word at `at` in `code` is the whole word `word`.
fn word_at(code: &[u8], at: usize, word: &[u8]) -> bool {
    code[at..].starts_with(word)
        && (at == 0 || !is_ident_byte(code[at - 1]) && code[at - 1] != b'\'')
        && !code.get(at + word.len()).is_some_and(|&c| is_ident_byte(c))
}

/// The identifier starting at or after `at` (after blanks), and where it ends.
fn ident_after(code: &[u8], at: usize) -> (String, usize) {
    let start = at + code[at..].iter().take_while(|c| c.is_ascii_whitespace()).count();
    let end = start + code[start..].iter().take_while(|&&c| is_ident_byte(c)).count();
    (String::from_utf8_lossy(&code[start..end]).into_owned(), end)
}

/// Whether a static's type is a cell: an atomic, a lock, a once-cell (or an array of them). Paths are ignored
/// (`std::sync::atomic::AtomicU64` and `AtomicU64` alike); references, slices of plain data and plain values are
/// not cells.
fn is_cell_type(ty: &str) -> bool {
    const KINDS: &[&str] =
        &["Atomic", "Mutex", "RwLock", "OnceLock", "Once", "LazyLock", "OnceCell", "UnsafeCell", "SyncUnsafeCell"];
    let ty: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    let ty = ty.trim_start_matches('[');
    let last = ty.split('<').next().unwrap_or("").rsplit("::").next().unwrap_or("");
    let last = last.split(';').next().unwrap_or("");
    KINDS.iter().any(|k| if *k == "Atomic" { last.starts_with(k) } else { last == *k })
}

/// One global cell found in the sources.
#[derive(Debug)]
struct Cell {
    /// `src/`-relative file and 1-based line of the `static` keyword.
    file: String,
    line: usize,
    name: String,
    /// Inside a `thread_local!`.
    thread_local: bool,
    /// Compiled only for unit tests (a `#[cfg(test)]` item, module or file).
    test_only: bool,
    /// A `///` comment stands right above it (attributes between are allowed).
    documented: bool,
}

/// The line (0-based) of byte `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at].bytes().filter(|&c| c == b'\n').count()
}

/// Whether line `line` (0-based) of `lines` is preceded by a `///` comment, skipping attribute lines.
fn doc_above(lines: &[&str], line: usize) -> bool {
    let mut l = line;
    while l > 0 {
        l -= 1;
        let t = lines[l].trim_start();
        if t.starts_with("#[") || t.starts_with("#![") {
            continue;
        }
        return t.starts_with("///");
    }
    false
}

/// Whether the attribute lines right above line `line` (0-based) hold `#[cfg(test)]`.
fn cfg_test_above(lines: &[&str], line: usize) -> bool {
    let mut l = line;
    while l > 0 {
        l -= 1;
        let t = lines[l].trim();
        if t == "#[cfg(test)]" {
            return true;
        }
        if !(t.starts_with("#[") || t.starts_with("///")) {
            return false;
        }
    }
    false
}

/// The byte ranges of `#[cfg(test)] mod name { .. }` blocks, and the names of `#[cfg(test)] mod name;` files.
fn test_modules(code: &str) -> (Vec<(usize, usize)>, Vec<String>) {
    let b = code.as_bytes();
    let (mut ranges, mut files) = (Vec::new(), Vec::new());
    let mut from = 0;
    while let Some(p) = code[from..].find("#[cfg(test)]") {
        let at = from + p;
        from = at + 1;
        let mut j = at + "#[cfg(test)]".len();
        // Further attributes, then an optional `pub`/`pub(..)`.
        loop {
            j += b[j..].iter().take_while(|c| c.is_ascii_whitespace()).count();
            if b[j..].starts_with(b"#[") {
                j = closing(b, j + 1) + 1;
            } else {
                break;
            }
        }
        if word_at(b, j, b"pub") {
            j += 3;
            if b.get(j) == Some(&b'(') {
                j = closing(b, j) + 1;
            }
            j += b[j..].iter().take_while(|c| c.is_ascii_whitespace()).count();
        }
        if !word_at(b, j, b"mod") {
            continue;
        }
        let (name, end) = ident_after(b, j + 3);
        let k = end + b[end..].iter().take_while(|c| c.is_ascii_whitespace()).count();
        match b.get(k) {
            Some(b'{') => ranges.push((at, closing(b, k))),
            Some(b';') => files.push(name),
            _ => {}
        }
    }
    (ranges, files)
}

/// The global cells of one file: every static in a `thread_local!`, every static of a cell type
/// ([`is_cell_type`]) and every `static mut` defined here (a foreign `static mut` declared in an `extern` block
/// has no initialiser and is the C library's, not ours: skipped). `test_file`: the file is compiled for unit tests
/// only.
fn cells_in(rel: &str, text: &str, test_file: bool) -> Vec<Cell> {
    let code = code_only(text);
    let b = code.as_bytes();
    let lines: Vec<&str> = text.lines().collect();
    let (test_ranges, _) = test_modules(&code);
    let in_test_mod = |at: usize| test_ranges.iter().any(|&(s, e)| s <= at && at <= e);
    let mut cells = Vec::new();
    let mut tl_ranges = Vec::new();
    let mut from = 0;
    while let Some(p) = code[from..].find("thread_local!") {
        let at = from + p;
        from = at + 1;
        if !word_at(b, at, b"thread_local") {
            continue;
        }
        let open = at
            + "thread_local!".len()
            + b[at + "thread_local!".len()..].iter().take_while(|c| c.is_ascii_whitespace()).count();
        let close = closing(b, open);
        tl_ranges.push((at, close));
        let tl_line = line_of(&code, at);
        for j in open..close {
            if word_at(b, j, b"static") {
                let (name, _) = ident_after(b, j + "static".len());
                let line = line_of(&code, j);
                // `thread_local!(static X: ..)` on one line: its doc and attributes stand above the macro.
                let above = if line == tl_line { tl_line } else { line };
                cells.push(Cell {
                    file: rel.to_string(),
                    line: line + 1,
                    name,
                    thread_local: true,
                    test_only: test_file
                        || in_test_mod(j)
                        || cfg_test_above(&lines, above)
                        || cfg_test_above(&lines, tl_line),
                    documented: doc_above(&lines, above),
                });
            }
        }
    }
    let mut j = 0;
    while let Some(p) = code[j..].find("static") {
        let at = j + p;
        j = at + 1;
        if !word_at(b, at, b"static") || tl_ranges.iter().any(|&(s, e)| s <= at && at <= e) {
            continue;
        }
        let (mut name, mut end) = ident_after(b, at + "static".len());
        let mutable = name == "mut";
        if mutable {
            (name, end) = ident_after(b, end);
        }
        let rest = &code[end..];
        let colon = rest.trim_start();
        if name.is_empty() || !colon.starts_with(':') {
            continue;
        }
        // The type ends at the first `=` or `;` outside brackets (`[AtomicI32; 2]` holds one).
        let mut depth = 0i32;
        let stop = rest
            .bytes()
            .position(|c| {
                match c {
                    b'[' | b'(' => depth += 1,
                    b']' | b')' => depth -= 1,
                    _ => {}
                }
                depth == 0 && (c == b'=' || c == b';')
            })
            .unwrap_or(rest.len());
        let ty = &rest[rest.find(':').unwrap_or(0) + 1..stop];
        let defined = rest[stop..].starts_with('=');
        if !defined || !(mutable || is_cell_type(ty)) {
            continue;
        }
        let line = line_of(&code, at);
        cells.push(Cell {
            file: rel.to_string(),
            line: line + 1,
            name,
            thread_local: false,
            test_only: test_file || in_test_mod(at) || cfg_test_above(&lines, line),
            documented: doc_above(&lines, line),
        });
    }
    cells
}

/// The module path the index uses for a file below `src/`: `keyspace/dict/mod.rs` → `keyspace::dict`; a
/// binary's files are named from its own root (`bin/ferredis-cli/cli/sys.rs` → `cli::sys`).
fn index_module(rel: &str) -> String {
    let rel = match rel.strip_prefix("bin/") {
        Some(r) => r.split_once('/').map_or(r, |(_, inner)| inner),
        None => rel,
    };
    let mut parts = module_path(Path::new(rel));
    if parts.last().is_some_and(|p| p == "lib" || p == "main") {
        parts.pop();
    }
    parts.join("::")
}

/// Every global cell under `src/`, with the unit-test-only files (`#[cfg(test)] mod x;`) marked.
fn all_cells() -> Vec<Cell> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(f).expect("read source"))
        })
        .collect();
    // Files a parent declares with `#[cfg(test)] mod name;`.
    let mut test_files = Vec::new();
    for (rel, text) in &texts {
        let (_, names) = test_modules(&code_only(text));
        let dir = match rel.rsplit_once('/') {
            Some((d, f)) if f == "mod.rs" || f == "lib.rs" || f == "main.rs" => format!("{d}/"),
            Some((d, f)) => format!("{d}/{}/", f.trim_end_matches(".rs")),
            None if rel == "lib.rs" || rel == "main.rs" => String::new(),
            None => format!("{}/", rel.trim_end_matches(".rs")),
        };
        for n in names {
            test_files.push(format!("{dir}{n}.rs"));
            test_files.push(format!("{dir}{n}/mod.rs"));
        }
    }
    let mut cells = Vec::new();
    for (rel, text) in &texts {
        cells.extend(cells_in(rel, text, test_files.contains(rel)));
    }
    cells
}

/// The code spans (`` `..` ``) of the crate docs' section "Global state outside `ServerState`".
fn index_spans() -> Vec<String> {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).expect("lib.rs");
    let docs: Vec<&str> = lib.lines().filter_map(|l| l.strip_prefix("//!")).collect();
    let start = docs.iter().position(|l| l.trim() == "# Global state outside `ServerState`");
    let Some(start) = start else { panic!("src/lib.rs has no section \"# Global state outside `ServerState`\"") };
    let end =
        docs[start + 1..].iter().position(|l| l.trim_start().starts_with("# ")).map_or(docs.len(), |p| start + 1 + p);
    let section = docs[start + 1..end].join("\n");
    section.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn the_cell_scanner_finds_what_it_must() {
    let sample = r####"
/// A counter.
static A: AtomicU64 = AtomicU64::new(0);
static B: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
static NAME: &str = "static C: AtomicBool = AtomicBool::new(false);";
const D: AtomicU64 = AtomicU64::new(0);
pub static TABLE: &[Command] = &[];
// static E: AtomicBool = AtomicBool::new(false);
fn f() -> &'static str { let _ = '"'; let _ = r#"static F: Mutex<u8>"#; "" }
thread_local! {
    /// Documented.
    static G: Cell<u64> = const { Cell::new(0) };
    static H: RefCell<Vec<u8>> = RefCell::new(Vec::new());
}
#[cfg(test)]
thread_local!(static I: Cell<bool> = const { Cell::new(false) });
/// Some pipes.
#[cfg(not(test))]
static J: [std::sync::atomic::AtomicI32; 2] = [AtomicI32::new(-1), AtomicI32::new(-1)];
extern "C" {
    static mut environ: *mut *mut libc::c_char;
}
static mut K: u32 = 0;
#[cfg(test)]
mod tests {
    static L: OnceLock<u8> = OnceLock::new();
}
"####;
    let cells = cells_in("x.rs", sample, false);
    let got: Vec<String> = cells
        .iter()
        .map(|c| {
            format!(
                "{}:{}{}{}{}",
                c.line,
                c.name,
                ["", " tl"][c.thread_local as usize],
                ["", " test"][c.test_only as usize],
                [" undoc", ""][c.documented as usize]
            )
        })
        .collect();
    assert_eq!(
        got,
        ["12:G tl", "13:H tl undoc", "16:I tl test undoc", "3:A", "4:B undoc", "19:J", "23:K undoc", "26:L test undoc"]
    );
    assert!(is_cell_type(" std::sync::OnceLock<Box<Tables>> "));
    assert!(is_cell_type("AtomicPtr<Running<'static>>"));
    assert!(!is_cell_type("&[Section]") && !is_cell_type("Slot") && !is_cell_type("alloc::Counting"));
    assert_eq!(index_module("keyspace/dict/mod.rs"), "keyspace::dict");
    assert_eq!(index_module("bin/ferredis-cli/cli/sys.rs"), "cli::sys");
    assert_eq!(index_module("alloc/mod.rs"), "alloc");
}

#[test]
fn every_global_cell_is_documented_and_indexed() {
    let cells = all_cells();
    assert!(cells.len() >= 30, "found only {} global cells: the scanner is broken", cells.len());
    let spans = index_spans();
    // A cell is named `module::NAME`, or `module::function::NAME` for a static inside a function.
    let indexed = |c: &Cell| {
        let m = index_module(&c.file);
        spans.iter().any(|s| s.starts_with(&format!("{m}::")) && s.ends_with(&format!("::{}", c.name)))
    };
    let mut problems = Vec::new();
    for c in &cells {
        if !c.documented {
            problems.push(format!(
                "src/{}:{}: {} has no /// comment saying what it holds, who sets it and when",
                c.file, c.line, c.name
            ));
        }
        // Cells compiled only for unit tests need not be in the index.
        if !c.test_only && !indexed(c) {
            problems.push(format!(
                "src/{}:{}: {} is not in src/lib.rs's \"Global state outside `ServerState`\"",
                c.file, c.line, c.name
            ));
        }
    }
    // And the index names no cell that is gone: every span that ends in an upper-case name is a cell's.
    for s in &spans {
        let Some((m, name)) = s.rsplit_once("::") else { continue };
        if name.is_empty() || !name.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_') {
            continue;
        }
        let found = cells.iter().any(|c| {
            c.name == name
                && !c.test_only
                && (m == index_module(&c.file) || m.starts_with(&format!("{}::", index_module(&c.file))))
        });
        if !found {
            problems.push(format!("src/lib.rs names `{s}`, which is no global cell (renamed or gone?)"));
        }
    }
    eprintln!(
        "{} global cells ({} thread-local, {} test-only)",
        cells.len(),
        cells.iter().filter(|c| c.thread_local).count(),
        cells.iter().filter(|c| c.test_only).count()
    );
    assert!(problems.is_empty(), "global cells:\n{}", problems.join("\n"));
}

/// The only places that call `ServerState::key_changed`, the one report of a changed key: the handlers' door
/// (`KeyWrite` settled through `Ctx`), the drain of the databases' queued deletions (expiry and eviction), and the
/// server's own writers that change a key outside any command. A new caller must be added here knowingly (and to
/// the crate docs' request-path diagram), so that a change the server makes behind the handlers' backs cannot
/// slip in without its report.
const KEY_CHANGED_CALLERS: &[(&str, usize, &str)] = &[
    ("command/context/door/mod.rs", 3, "the handlers' door: Ctx::changed, Ctx::settle and their shared step"),
    ("state/mod.rs", 1, "drain_deletions: the deletions expiry and eviction queued in the databases"),
    ("state/expire/mod.rs", 1, "active expiry of hash fields: a hash that lost fields, or was deleted"),
    ("state/cluster.rs", 1, "a slot's keys deleted when the slot is lost"),
    ("state/notify.rs", 1, "the keyspace-events stream: the server's XADD of an event"),
];

#[test]
fn single_key_changes_are_reported_from_known_places() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found: Vec<(String, usize)> = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(f).expect("read source");
        // Unit tests at the end of a file may drive the report directly.
        let code = without_comments(text.split("#[cfg(test)]").next().unwrap_or(""));
        let n = code.matches("key_changed(").count() - code.matches("fn key_changed(").count();
        if n > 0 {
            found.push((rel, n));
        }
    }
    found.sort();
    let mut want: Vec<(String, usize)> = KEY_CHANGED_CALLERS.iter().map(|&(f, n, _)| (f.to_string(), n)).collect();
    want.sort();
    let known: Vec<String> = KEY_CHANGED_CALLERS.iter().map(|(f, n, why)| format!("  {f} ({n}): {why}")).collect();
    assert_eq!(
        found,
        want,
        "calls of key_changed( by file (left: found, right: KEY_CHANGED_CALLERS in tests/layers.rs); a new place that \
         changes a key must report it through the door, or be listed there and in the crate docs. Known:\n{}",
        known.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Sizes: no source file past 1,500 lines, and no function past 100 lines but the ones listed (each with why).

/// The longest a source file below `src/` may be.
const MAX_FILE_LINES: usize = 1500;

/// The longest a function may be, counted from its `fn` line to the closing brace at the same indentation.
const MAX_FN_LINES: usize = 100;

/// The functions allowed past [`MAX_FN_LINES`], as (path below `src/`, name). Strike an entry when its function
/// gets shorter; add one only where no seam exists.
const LONG_FUNCTIONS: &[(&str, &str)] = &[
    // Hot loops and dispatch: a split costs every instruction, request or byte.
    ("lua/vm/mod.rs", "execute"),
    ("server/call.rs", "call_with"),
    ("admission/mod.rs", "admit"),
    ("lzf.rs", "compress"),
    ("sys/memmove.rs", "move_bytes"),
    ("keyspace/types/hll.rs", "sparse_set"),
    ("keyspace/types/stream/mod.rs", "append"),
    // Ports of one C function each, kept in its shape for comparison with the reference.
    ("lua/lex.rs", "llex"),
    ("lua/heap.rs", "collect"),
    ("lua/debug.rs", "verify"),
    ("lua/listing.rs", "list_function"),
    ("lua/lib/cjson.rs", "decode_document"),
    ("scripting/convert.rs", "value"),
    ("state/expire/mod.rs", "active_expire_cycle_with_effort"),
    ("acl/user.rs", "apply"),
    ("server/startup.rs", "start"),
    // Flat tables: one short arm or field per entry.
    ("sentinel/config.rs", "apply_directive"),
    ("config/mod.rs", "default"),
    // Property tests that walk one model through every operation.
    ("keyspace/types/zset.rs", "both_encodings_behave_like_a_model"),
    ("keyspace/types/stream/tests.rs", "stream_matches_btreemap"),
];

/// The name of the function a line defines (`fn name(`, after any visibility, `const`, `unsafe` or `extern`), or
/// None; a declaration without a body (ending in `;`) is none.
fn fn_defined(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    if rest.trim_end().ends_with(';') {
        return None;
    }
    loop {
        if let Some(r) = rest.strip_prefix("pub(") {
            rest = r.split_once(')')?.1.trim_start();
        } else if let Some(r) =
            ["pub ", "const ", "unsafe ", "async ", "extern \"C\" "].iter().find_map(|p| rest.strip_prefix(p))
        {
            rest = r.trim_start();
        } else {
            break;
        }
    }
    let r = rest.strip_prefix("fn ")?;
    let end = r.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(r.len());
    (end > 0).then(|| &r[..end])
}

/// (path below `src/`, name, lines) of every function longer than [`MAX_FN_LINES`].
fn long_functions() -> Vec<(String, String, usize)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(f).expect("read source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let Some(name) = fn_defined(l) else { continue };
            let indent = &l[..l.len() - l.trim_start().len()];
            let close = format!("{indent}}}");
            if let Some(j) = lines[i..].iter().position(|x| x.trim_end() == close) {
                if j + 1 > MAX_FN_LINES {
                    out.push((rel.clone(), name.to_string(), j + 1));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_size_reader_finds_functions() {
    assert_eq!(fn_defined("    pub(crate) unsafe fn take_at(&mut self) -> u8 {"), Some("take_at"));
    assert_eq!(fn_defined("extern \"C\" fn on_signal(sig: i32) {"), Some("on_signal"));
    assert_eq!(fn_defined("    fn len(&self) -> usize;"), None);
    assert_eq!(fn_defined("let f = fn_x();"), None);
    assert!(long_functions().iter().any(|(f, n, _)| f == "lua/vm/mod.rs" && n == "execute"));
}

#[test]
fn files_and_functions_stay_short() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut big: Vec<String> = Vec::new();
    for f in &files {
        let n = std::fs::read_to_string(f).expect("read source").lines().count();
        if n > MAX_FILE_LINES {
            big.push(format!("{} ({n} lines)", f.display()));
        }
    }
    assert!(big.is_empty(), "files over {MAX_FILE_LINES} lines (split them at a seam):\n{}", big.join("\n"));
    let long = long_functions();
    let new: Vec<String> = long
        .iter()
        .filter(|(f, n, _)| !LONG_FUNCTIONS.contains(&(f.as_str(), n.as_str())))
        .map(|(f, n, len)| format!("{f}: {n} ({len} lines)"))
        .collect();
    assert!(
        new.is_empty(),
        "functions over {MAX_FN_LINES} lines (split them, see LONG_FUNCTIONS):\n{}",
        new.join("\n")
    );
    let gone: Vec<&(&str, &str)> =
        LONG_FUNCTIONS.iter().filter(|(f, n)| !long.iter().any(|(lf, ln, _)| lf == f && ln == n)).collect();
    assert!(
        gone.is_empty(),
        "these are no longer over {MAX_FN_LINES} lines: strike them from LONG_FUNCTIONS:\n{gone:?}"
    );
}
