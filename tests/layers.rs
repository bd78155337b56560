//! Layers point one way: the keyspace's data structures and their foundations (system calls, RESP, the ring
//! buffer, the hash table, objects, collection types, databases, the lazy-free thread) never name the layers built
//! on them (commands, the server, its state, scripting, ACL, replication, persistence, configuration, and the
//! keyspace's own server-side processes). See the README's "Layers" diagram.
//!
//! Three more rules keep the command table's metadata and the configuration below what uses them:
//! - the layers below the command handlers (ACL, eviction, expiry, scripting, the configuration, the state, the
//!   client, the MULTI queue) read the handler-free leaf `command_spec`, never `command`;
//! - `command_spec` itself names nothing of the crate but `args` and `util`;
//! - `config.rs` names none of the layers that read it (the owners of a directive's rules check it through a
//!   trait the configuration declares).
//!
//! A textual check over `src/`: every path in a lower-layer file that starts at `crate::` (in code or in a doc
//! link, `use crate::{..}` groups included) or climbs with `super::` is resolved to an absolute module path; one
//! that lands in an upper module fails the test with the file and line.

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
    "keyspace/lazyfree.rs",
];

/// Modules (absolute paths below the crate root) a lower layer must not name: the list, plus the
/// keyspace's server-side processes (notifications, active expiry, eviction, the blocking and WATCH registries,
/// propagation, pub/sub), which all work on the server state.
const UPPER: &[&str] = &[
    "command",
    "server",
    "state",
    "scripting",
    "acl",
    "repl",
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
    "keyspace/evict.rs",
    "keyspace/expire.rs",
    "scripting",
    "config.rs",
    "state.rs",
    "keyspace/db.rs",
    "multi.rs",
    "net",
    "tracking",
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

/// What `config.rs` must not name: the layers that read the configuration (a directive whose rules belong to
/// one of them is checked through a trait `config.rs` declares and the owner implements).
const CONFIG_READERS: &[&str] = &[
    "command",
    "server",
    "state",
    "scripting",
    "acl",
    "repl",
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
    let v = violations(&["config.rs"], CONFIG_READERS);
    assert!(v.is_empty(), "config.rs names a layer built on it (declare a trait for the owner):\n{}", v.join("\n"));
}

/// The data-type families: their handlers reach the server only through `Ctx`'s methods (the keyspace door,
/// lookups with expiry and touch, replies, propagation requests, notifications, the few settings they read), never
/// the server state itself, so a change to `ServerState` does not reach them and they read as Redis's `t_*.c`.
const DATA_FAMILIES: &[&str] = &[
    "command/string.rs",
    "command/list.rs",
    "command/hash.rs",
    "command/set.rs",
    "command/zset.rs",
    "command/sort.rs",
    "command/stream.rs",
    "command/hll.rs",
    "command/bitmap.rs",
    "command/shared.rs",
];

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
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (rel, f) in files_of(&src, DATA_FAMILIES) {
        let text = std::fs::read_to_string(&f).expect("read source");
        // The unit tests at the end of a file drive a whole server through the harness: only the handlers count.
        let handlers = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in handlers.lines().enumerate() {
            if names_server_state(line) {
                found.push(format!("src/{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "data-type handlers name the server state (add a `Ctx` method instead):\n{}",
        found.join("\n")
    );
}
