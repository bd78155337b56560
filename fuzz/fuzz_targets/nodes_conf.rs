//! The nodes.conf loader over arbitrary bytes: a file loads or is refused with Redis's error, never a panic;
//! what loads is written back to text that loads again to the same lines (their order follows the node table,
//! which the loader fills in the order nodes are first named, so it may differ, as Redis's dict order does).
#![no_main]
use ferredis::cluster::nodes_conf;
use libfuzzer_sys::fuzz_target;

fn lines(text: &str) -> Vec<&str> {
    let mut v: Vec<&str> = text.lines().collect();
    v.sort_unstable();
    v
}

fuzz_target!(|data: &[u8]| {
    let mut skipped = Vec::new();
    if let Ok(Some(cl)) = nodes_conf::parse(data, 1, "nodes.conf", &mut skipped) {
        let text = nodes_conf::file_text(&cl, 1);
        let again = nodes_conf::parse(text.as_bytes(), 1, "nodes.conf", &mut skipped);
        let again = again.ok().flatten().map(|c| nodes_conf::file_text(&c, 1));
        assert_eq!(again.as_deref().map(lines), Some(lines(&text)));
    }
});
