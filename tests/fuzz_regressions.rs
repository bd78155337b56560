//! Inputs the fuzz targets (`fuzz/fuzz_targets/`) once failed on, replayed through the same code path so they stay
//! fixed without nightly or cargo-fuzz. Each test names the target and says what was found.

use ferredis::config::{find, rewrite_text, Config};

/// config_file: a `bind` list holding an empty address (`""`) loads, but CONFIG GET joins the addresses with spaces,
/// so the rewrite cannot show the empty one (Redis's rewrite joins them the same way). The target compared the raw
/// CONFIG GET strings and failed; it now compares the address words, which the rewrite must keep, in order.
#[test]
fn config_rewrite_of_bind_with_an_empty_address_keeps_the_other_addresses() {
    let text = "port 7000\nbind 127.0.0.1 \"\" ::1\n";
    let mut cfg = Config::default();
    cfg.apply_text(text).expect("loads");
    let bind = find(b"bind").expect("bind directive");
    assert_eq!(cfg.get(bind), b"127.0.0.1  ::1".to_vec());

    let rewritten = rewrite_text(&cfg, "");
    assert!(rewritten.lines().any(|l| l == "bind \"127.0.0.1\" \"::1\"" || l == "bind 127.0.0.1 ::1"), "{rewritten}");
    let mut again = Config::default();
    again.apply_text(&rewritten).expect("the rewritten file loads");
    assert_eq!(again.get(bind), b"127.0.0.1 ::1".to_vec());
    assert_eq!(again.get(find(b"port").expect("port")), b"7000".to_vec());

    // Rewriting the original file in place gives the same addresses and port.
    let in_place = rewrite_text(&cfg, text);
    let mut third = Config::default();
    third.apply_text(&in_place).expect("the in-place rewrite loads");
    assert_eq!(third.get(bind), b"127.0.0.1 ::1".to_vec());
    assert_eq!(third.get(find(b"port").expect("port")), b"7000".to_vec());
}
