//! Layers point one way: the keyspace and its foundations (system calls, RESP, the ring buffer, the hash table,
//! objects, collection types, databases) never name the layers built on them (commands, the server, its state,
//! scripting, ACL, replication, persistence, configuration, the CLI). See the README's "Layers" diagram.
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
fn upward_refs(text: &str, depth: usize) -> Vec<(usize, String)> {
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
                        if let Some(m) = UPPER.iter().find(|m| names(item, m)) {
                            found.push((n + 1, format!("crate::{{{m}..}}")));
                        }
                    }
                } else if let Some(m) = UPPER.iter().find(|m| names(after, m)) {
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
                if let Some(m) = UPPER.iter().find(|m| names(tail, m)) {
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
    let got: Vec<String> = upward_refs(sample, 2).into_iter().map(|(n, s)| format!("{n}:{s}")).collect();
    assert_eq!(got, ["1:crate::config", "2:crate::{state..}", "3:crate::command", "4:super::*persist"]);
    // One super:: from a file two levels down stays inside its own folder.
    assert!(upward_refs("use super::command;", 2).is_empty());
    assert_eq!(module_depth(Path::new("types/list.rs")), 2);
    assert_eq!(module_depth(Path::new("dict/mod.rs")), 1);
    assert_eq!(module_depth(Path::new("db.rs")), 1);
}

#[test]
fn lower_layers_do_not_name_upper_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for l in LOWER {
        let p = src.join(l);
        assert!(p.exists(), "{} is listed as a lower layer but does not exist", p.display());
        rust_files(&p, &mut files);
    }
    assert!(files.len() >= 10, "expected the lower layers' files, found {}", files.len());
    let mut violations = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read source");
        let rel = f.strip_prefix(&src).expect("under src");
        for (line, what) in upward_refs(&text, module_depth(rel)) {
            violations.push(format!("src/{}:{line}: {what}", rel.display()));
        }
    }
    assert!(
        violations.is_empty(),
        "lower layers name upper ones (move the item down, or pass it in):\n{}",
        violations.join("\n")
    );
}
