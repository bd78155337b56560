//! The committed `ferredis.conf` is exactly what the directive table generates (`FERREDIS_BLESS=1`, i.e.
//! `make conf`, rewrites it), shows every directive with its default, and loads in a real server to the same
//! `CONFIG GET` values as a server started without a config file.

use crate::common;

use common::{free_port, Conn, Resp};
use ferredis::config::{self, Config};
use std::path::PathBuf;

fn conf_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ferredis.conf")
}

#[test]
fn committed_file_matches_the_generator() {
    let generated = ferredis::conf_reference::render();
    let path = conf_path();
    if std::env::var_os("FERREDIS_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write ferredis.conf");
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "ferredis.conf is out of date with the directive table (first difference at line {}: committed {:?}, \
             generated {:?}); run `make conf` and commit the result",
            first + 1,
            committed.lines().nth(first),
            generated.lines().nth(first)
        );
    }
}

#[test]
fn every_directive_appears_with_its_default() {
    let text = ferredis::conf_reference::render();
    let lines: Vec<&str> = text.lines().map(|l| l.strip_prefix("# ").unwrap_or(l)).collect();
    let defaults = Config::default();
    for d in config::DIRECTIVES {
        for want in ferredis::conf_reference::default_lines(&defaults, d) {
            assert!(lines.contains(&want.as_str()), "{}: no line {want:?} (live or commented out)", d.name);
        }
    }
}

#[test]
fn file_parses_to_the_defaults_in_process() {
    // The live lines, applied on top of the defaults, change nothing (`dir ./` is a no-op chdir).
    let mut cfg = Config::default();
    cfg.apply_text(&ferredis::conf_reference::render()).expect("ferredis.conf parses");
    let defaults = Config::default();
    for d in config::DIRECTIVES {
        assert_eq!(
            String::from_utf8_lossy(&cfg.get(d)),
            String::from_utf8_lossy(&defaults.get(d)),
            "{} differs after loading ferredis.conf",
            d.name
        );
    }
    // Uncommenting every line also loads, to the same values: the commented defaults are valid config text.
    // (Only lines that are a directive's default line are uncommented; prose stays prose.)
    let directive_lines: Vec<String> = config::DIRECTIVES
        .iter()
        .filter(|d| d.name != "replicaof")
        .flat_map(|d| ferredis::conf_reference::default_lines(&defaults, d))
        .collect();
    let all: String = ferredis::conf_reference::render()
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .filter(|l| directive_lines.iter().any(|d| d == l))
        .collect::<Vec<_>>()
        .join("\n");
    let mut cfg = Config::default();
    cfg.apply_text(&all).unwrap_or_else(|e| panic!("uncommented ferredis.conf does not load: {e}"));
    for d in config::DIRECTIVES {
        assert_eq!(
            String::from_utf8_lossy(&cfg.get(d)),
            String::from_utf8_lossy(&defaults.get(d)),
            "{} differs after loading every line uncommented",
            d.name
        );
    }
}

/// CONFIG GET of every directive by exact name (hidden ones are only answered that way), as name → value.
fn config_values(port: u16) -> Vec<(String, String)> {
    let mut c = Conn::connect(port);
    let mut out = Vec::new();
    for d in config::DIRECTIVES {
        let reply = c.cmd(&["CONFIG", "GET", d.name]);
        let parsed = Resp::parse(&reply).unwrap_or_else(|e| panic!("CONFIG GET {}: {e}", d.name));
        let items = parsed.items().unwrap_or_else(|| panic!("CONFIG GET {}: {}", d.name, common::escape(&reply)));
        let text: Vec<String> =
            items.iter().map(|i| String::from_utf8_lossy(i.as_bytes().expect("bulk string")).into_owned()).collect();
        assert_eq!(text.first().map(String::as_str), Some(d.name), "CONFIG GET {}", d.name);
        out.push((d.name.to_string(), text.get(1).cloned().unwrap_or_default()));
    }
    out
}

#[test]
fn file_loads_in_the_server_to_the_defaults() {
    let dir = common::TempDir::new("conf-reference");
    let (with, without) = (free_port(), free_port());
    let conf = conf_path();
    let conf_s = conf.to_str().expect("UTF-8 path");
    let with_s = with.to_string();
    let without_s = without.to_string();
    let _a = common::start_ferredis_with(&[conf_s, "--port", &with_s], dir.path(), with);
    let _b = common::start_ferredis_with(&["--port", &without_s], dir.path(), without);
    let (a, b) = (config_values(with), config_values(without));
    for ((name, va), (_, vb)) in a.iter().zip(&b) {
        if name == "port" {
            continue;
        }
        assert_eq!(va, vb, "CONFIG GET {name}: with ferredis.conf {va:?}, without a config file {vb:?}");
    }
    let mut c = Conn::connect(with);
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "server"])).into_owned();
    assert!(info.contains(&format!("config_file:{}", std::fs::canonicalize(&conf).unwrap().display())), "{info}");
}
