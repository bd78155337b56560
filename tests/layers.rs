//! Layers point one way: the keyspace's data structures and their foundations (system calls, RESP, the ring
//! buffer, the hash table, objects, collection types, databases, the lazy-free thread) never name the layers built
//! on them (commands, the server, its state, scripting, ACL, replication, persistence, configuration, and the
//! keyspace's own server-side processes). See the README's "Layers" diagram.
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

/// Whether an absolute path lands in an upper module.
fn upper_of(path: &[String]) -> Option<&'static str> {
    UPPER.iter().copied().find(|u| {
        let us: Vec<&str> = u.split("::").collect();
        path.len() >= us.len() && us.iter().zip(path).all(|(a, b)| a == b)
    })
}

/// The upward references in one file's text: (line number, the upper module named). `module` is the file's
/// module path below the crate root (`keyspace::db`; a `mod.rs` is its folder's module).
fn upward_refs(text: &str, module: &[String]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let before_ok = i == 0 || !is_ident_byte(rest.as_bytes()[i - 1]) || rest[..i].ends_with('$');
            let after = &rest[i + "crate::".len()..];
            if before_ok {
                for p in paths_named(&[], after) {
                    if let Some(m) = upper_of(&p) {
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
                    if let Some(m) = upper_of(&p) {
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
    let got: Vec<String> =
        upward_refs(sample, &strings(&["keyspace", "db"])).into_iter().map(|(n, s)| format!("{n}:{s}")).collect();
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
    assert!(upward_refs("use super::command;", &strings(&["keyspace", "types", "list"])).is_empty());
    assert_eq!(module_path(Path::new("keyspace/types/list.rs")), ["keyspace", "types", "list"]);
    assert_eq!(module_path(Path::new("keyspace/dict/mod.rs")), ["keyspace", "dict"]);
    assert_eq!(module_path(Path::new("keyspace/db.rs")), ["keyspace", "db"]);
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
        for (line, what) in upward_refs(&text, &module_path(rel)) {
            violations.push(format!("src/{}:{line}: {what}", rel.display()));
        }
    }
    assert!(
        violations.is_empty(),
        "lower layers name upper ones (move the item down, or pass it in):\n{}",
        violations.join("\n")
    );
}
