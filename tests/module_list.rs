//! The module list in `src/lib.rs`'s crate docs (its `# Modules` section, one `- [`name`]: ...` bullet per
//! module) names every module of the crate and nothing else: the same set as the `mod` declarations of
//! `src/lib.rs`, which must in turn be exactly the files and folders of `src/` (`name.rs` or `name/mod.rs`; the
//! binaries' `main.rs` and `bin/` aside).

use std::collections::BTreeSet;
use std::path::Path;

/// The names of the `# Modules` section's bullets.
fn documented(lib: &str) -> BTreeSet<String> {
    let mut in_section = false;
    let mut names = BTreeSet::new();
    for line in lib.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            if in_section {
                break;
            }
            continue;
        };
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        if doc.starts_with("# ") {
            in_section = doc.trim_end() == "# Modules";
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some(rest) = doc.strip_prefix("- [`") {
            let name = rest.split('`').next().unwrap_or_default();
            assert!(rest[name.len()..].starts_with("`]"), "malformed module bullet in src/lib.rs: {line}");
            assert!(names.insert(name.to_string()), "module `{name}` listed twice in src/lib.rs");
        }
    }
    assert!(!names.is_empty(), "src/lib.rs has no `# Modules` section with `- [`name`]` bullets");
    names
}

/// The modules `src/lib.rs` declares (`mod x;` / `pub mod x;` / `pub(crate) mod x;` at the start of a line).
fn declared(lib: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in lib.lines() {
        let mut l = line.trim_start();
        if line.len() != l.len() {
            continue; // indented: a module inside a module (tests)
        }
        for vis in ["pub(crate) ", "pub "] {
            l = l.strip_prefix(vis).unwrap_or(l);
        }
        if let Some(rest) = l.strip_prefix("mod ") {
            if let Some(name) = rest.trim_end().strip_suffix(';') {
                names.insert(name.trim().to_string());
            }
        }
    }
    names
}

/// The modules the files of `src/` make: `x.rs` and `x/` (with a `mod.rs`, or a sibling `x.rs`).
fn on_disk(src: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for e in std::fs::read_dir(src).expect("read src/") {
        let p = e.expect("dir entry").path();
        let name = p.file_name().and_then(|n| n.to_str()).expect("utf-8 file name").to_string();
        if p.is_dir() {
            if name != "bin" {
                names.insert(name);
            }
        } else if let Some(stem) = name.strip_suffix(".rs") {
            if stem != "lib" && stem != "main" {
                names.insert(stem.to_string());
            }
        }
    }
    names
}

fn diff(what: &str, a: &BTreeSet<String>, a_name: &str, b: &BTreeSet<String>, b_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for x in a.difference(b) {
        out.push(format!("{what}: `{x}` is in {a_name} but not in {b_name}"));
    }
    for x in b.difference(a) {
        out.push(format!("{what}: `{x}` is in {b_name} but not in {a_name}"));
    }
    out
}

#[test]
fn lib_rs_module_list_names_every_module_and_nothing_else() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read src/lib.rs");
    let doc = documented(&lib);
    let decl = declared(&lib);
    let disk = on_disk(&src);
    let mut errors = diff("module list", &doc, "the `# Modules` docs of src/lib.rs", &decl, "src/lib.rs's mod items");
    errors.extend(diff("module files", &decl, "src/lib.rs's mod items", &disk, "src/"));
    assert!(errors.is_empty(), "\n{}\n", errors.join("\n"));
}

#[test]
fn the_parsers_see_a_missing_and_an_extra_name() {
    let lib = concat!(
        "//! # Modules\n//!\n//! - [`a`]: one.\n//!   more of a.\n//! - [`b`]: two.\n//!\n",
        "//! # Other\n//! - [`c`]: not a module bullet\n\n",
        "pub mod a;\nmod d;\n#[cfg(test)]\nmod tests {\n    mod inner;\n}\n",
    );
    let doc = documented(lib);
    let decl = declared(lib);
    assert_eq!(doc.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(decl.iter().cloned().collect::<Vec<_>>(), ["a", "d"]);
    let errors = diff("m", &documented(lib), "docs", &decl, "mods");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("`b`") && errors[1].contains("`d`"), "{errors:?}");
}
