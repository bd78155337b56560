//! The config-file parser: any text gives a config or an error, never a panic. A config that loads survives a
//! CONFIG REWRITE round trip: the text `rewrite_text` writes for it (from an empty file) loads on top of the
//! defaults without error and gives the same CONFIG GET value for every directive, and rewriting the original
//! text in place loads to the same values too.
//! Lines naming `include` (reads files) or `dir` (changes the process's working directory) are dropped first.
#![no_main]
use ferredis::config::{rewrite_text, split_args, Config, Directive, DIRECTIVES};
use libfuzzer_sys::fuzz_target;

/// A directive's CONFIG GET value; multi-argument ones (`bind`, `save`, ...) as their whitespace-separated words:
/// a config line with a single value for them is split into words on load (as Redis does), so one `bind` address
/// holding blanks comes back as several.
fn shown(c: &Config, d: &Directive) -> String {
    let v = String::from_utf8_lossy(&c.get(d)).into_owned();
    if d.is_multi() {
        v.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        v
    }
}

fn same_values(a: &Config, b: &Config, what: &str, text: &str) {
    for d in DIRECTIVES {
        assert_eq!(shown(a, d), shown(b, d), "{what}: directive {} differs; text:\n{text}", d.name);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let kept: Vec<&str> = text
        .split('\n')
        .filter(|line| {
            let first = split_args(line.trim().as_bytes()).and_then(|a| a.into_iter().next());
            !first.is_some_and(|w| w.eq_ignore_ascii_case(b"include") || w.eq_ignore_ascii_case(b"dir"))
        })
        .collect();
    let text = kept.join("\n");
    let mut cfg = Config::default();
    if cfg.apply_text(&text).is_err() {
        return;
    }
    let fresh = rewrite_text(&cfg, "");
    let mut again = Config::default();
    if let Err(e) = again.apply_text(&fresh) {
        panic!("rewritten config does not load: {e:?}\n--- rewritten:\n{fresh}\n--- from:\n{text}");
    }
    same_values(&cfg, &again, "rewrite of an empty file", &fresh);
    let in_place = rewrite_text(&cfg, &text);
    let mut third = Config::default();
    if let Err(e) = third.apply_text(&in_place) {
        panic!("in-place rewrite does not load: {e:?}\n--- rewritten:\n{in_place}\n--- from:\n{text}");
    }
    same_values(&cfg, &third, "in-place rewrite", &in_place);
});
