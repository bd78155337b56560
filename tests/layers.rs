//! Layers point one way: the keyspace and its foundations (system calls, RESP, the ring buffer, the hash table,
//! objects, collection types, databases) never name the layers built on them (commands, the server, its state,
//! scripting, ACL, replication, persistence, configuration, the CLI). See the README's "Layers" diagram.
//!
//! Three more rules keep the command table's metadata and the configuration below what uses them:
//! - the layers below the command handlers (ACL, eviction, expiry, scripting, the configuration, the state, the
//!   client, the MULTI queue) read the handler-free leaf `command_spec`, never `command`;
//! - `command_spec` itself names nothing of the crate but `args` and `util`;
//! - `config.rs` names none of the layers that read it (the owners of a directive's rules check it through a
//!   trait the configuration declares).
//!
//! A textual check over `src/`: any path `crate::<upper>` (in code or in doc links), any `use crate::{..}` group
//! naming one, and any `super::`-relative path that climbs out of the lower layer into one, fails the test with
//! the file and line.

use std::path::{Path, PathBuf};

/// Files and folders (relative to `src/`) that make up the lower layers.
const LOWER: &[&str] = &["sys", "resp", "net/ring.rs", "dict", "object.rs", "types", "db.rs"];

/// Top-level modules a lower layer must not name: the list, plus the keyspace's server-side processes
/// (notifications, active expiry, eviction, the blocking and WATCH registries, propagation, pub/sub), which all
/// work on the server state.
const UPPER: &[&str] = &[
    "command",
    "server",
    "state",
    "scripting",
    "acl",
    "repl",
    "persist",
    "config",
    "cli",
    "notify",
    "expire",
    "evict",
    "blocking",
    "multi",
    "propagate",
    "pubsub",
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

/// Whether `text` starts with the module name `m` as a whole identifier.
fn names(text: &str, m: &str) -> bool {
    text.starts_with(m) && !text.as_bytes().get(m.len()).copied().is_some_and(is_ident_byte)
}

/// The upward references in one file's text: (line number, what was found). `depth` is how many directories
/// below `src/` the file's module sits (for `super::` paths).
fn upward_refs(text: &str, depth: usize, upper: &[&str]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let before_ok = i == 0 || !is_ident_byte(rest.as_bytes()[i - 1]) || rest[..i].ends_with('$');
            let after = &rest[i + "crate::".len()..];
            if before_ok {
                if let Some(group) = after.strip_prefix('{') {
                    let inner = group.split('}').next().unwrap_or("");
                    for item in inner.split(',') {
                        let item = item.trim();
                        if let Some(m) = upper.iter().find(|m| names(item, m)) {
                            found.push((n + 1, format!("crate::{{{m}..}}")));
                        }
                    }
                } else if let Some(m) = upper.iter().find(|m| names(after, m)) {
                    found.push((n + 1, format!("crate::{m}")));
                }
            }
            rest = after;
        }
        // `super::super::command` from a file `depth` levels down reaches the crate root after `depth` supers
        // (a mod.rs counts as its folder).
        let mut rest = line;
        while let Some(i) = rest.find("super::") {
            let mut tail = &rest[i..];
            let mut ups = 0;
            while let Some(t) = tail.strip_prefix("super::") {
                ups += 1;
                tail = t;
            }
            if ups >= depth {
                if let Some(m) = upper.iter().find(|m| names(tail, m)) {
                    found.push((n + 1, format!("super::*{m}")));
                }
            }
            rest = &rest[i + "super::".len()..];
        }
    }
    found
}

/// How many `super::` steps lead from the module in `rel` (a path below `src/`) to the crate root.
fn module_depth(rel: &Path) -> usize {
    let parts = rel.components().count();
    let is_mod = rel.file_name().is_some_and(|f| f == "mod.rs");
    if is_mod {
        parts - 1
    } else {
        parts
    }
}

#[test]
fn the_scanner_finds_what_it_must() {
    let sample = "use crate::config::Config;\nuse crate::{util, state::ServerState};\n\
                  /// see [`X`](crate::command::Ctx)\nlet a = super::super::persist::rdb;\n\
                  use crate::configure_nothing;\nuse crate::dict::Dict;\nmy_crate::command::x();";
    let got: Vec<String> = upward_refs(sample, 2, UPPER).into_iter().map(|(n, s)| format!("{n}:{s}")).collect();
    assert_eq!(got, ["1:crate::config", "2:crate::{state..}", "3:crate::command", "4:super::*persist"]);
    // One super:: from a file two levels down stays inside its own folder.
    assert!(upward_refs("use super::command;", 2, UPPER).is_empty());
    // The leaf is not the command layer.
    assert!(upward_refs("use crate::command_spec::{flag, Command};", 1, &["command"]).is_empty());
    assert_eq!(upward_refs("use crate::command::flag;", 1, &["command"]).len(), 1);
    assert_eq!(
        got.iter().map(|s| module_named(&s[2..])).collect::<Vec<_>>(),
        ["config", "state", "command", "persist"]
    );
    assert_eq!(module_depth(Path::new("types/list.rs")), 2);
    assert_eq!(module_depth(Path::new("dict/mod.rs")), 1);
    assert_eq!(module_depth(Path::new("db.rs")), 1);
}

/// The module an [`upward_refs`] finding names (`crate::{state..}` → `state`).
fn module_named(what: &str) -> &str {
    let m = what.trim_start_matches("crate::").trim_start_matches("super::*").trim_start_matches('{');
    m.trim_end_matches("..}")
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

/// The references from `paths` to the modules in `upper`, as `src/file:line: what`, less the `allowed`
/// (file, module) pairs.
fn violations(paths: &[&str], upper: &[&str], allowed: &[(&str, &str)]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for (rel, f) in files_of(&src, paths) {
        let text = std::fs::read_to_string(&f).expect("read source");
        for (line, what) in upward_refs(&text, module_depth(&rel), upper) {
            let shown = rel.to_string_lossy().replace('\\', "/");
            if allowed.iter().any(|(file, m)| *file == shown && module_named(&what) == *m) {
                continue;
            }
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
    let v = violations(LOWER, UPPER, &[]);
    assert!(v.is_empty(), "lower layers name upper ones (move the item down, or pass it in):\n{}", v.join("\n"));
}

/// What reads the command table below the handlers: these name `command_spec`, not `command` (whose `Ctx`
/// holds the whole server state).
const TABLE_READERS: &[&str] = &[
    "acl",
    "evict.rs",
    "expire.rs",
    "scripting",
    "config.rs",
    "state.rs",
    "db.rs",
    "multi.rs",
    "net",
    "command_spec.rs",
];

/// Known exceptions, each with its reason.
const TABLE_READER_EXCEPTIONS: &[(&str, &str)] = &[
    // The script host of the handler harness (unit tests, the fuzz target): it runs handlers with a `Ctx`, command
    // layer code that lives in `scripting` until the one call path (issue 28, item 1) takes it over.
    ("scripting/bare.rs", "command"),
];

#[test]
fn table_readers_use_the_metadata_leaf() {
    let v = violations(TABLE_READERS, &["command"], TABLE_READER_EXCEPTIONS);
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
    let v = violations(&["command_spec.rs"], &upper, &[]);
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
    "cli",
    "notify",
    "expire",
    "evict",
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
    let v = violations(&["config.rs"], CONFIG_READERS, &[]);
    assert!(v.is_empty(), "config.rs names a layer built on it (declare a trait for the owner):\n{}", v.join("\n"));
}
