use super::*;
use crate::command::test_support::Harness;
use crate::command::OwnedArgs;
use crate::config::Config;

#[test]
fn unknown_command_text_matches_redis() {
    let a = OwnedArgs::from_slices(&["foo", "bar", "baz"]);
    assert_eq!(unknown_command_message(a.args()), b"ERR unknown command 'foo', with args beginning with: 'bar' 'baz' ");
    let a = OwnedArgs::from_slices(&["foo"]);
    assert_eq!(unknown_command_message(a.args()), b"ERR unknown command 'foo', with args beginning with: ");
    // Arguments are cut once the list reaches 128 bytes; a single argument uses the remaining room.
    let long = "x".repeat(200);
    let a = OwnedArgs::from_slices(&["foo", long.as_str(), "next"]);
    let msg = unknown_command_message(a.args());
    let expect = format!("ERR unknown command 'foo', with args beginning with: '{}' ", "x".repeat(128));
    assert_eq!(msg, expect.as_bytes());
    // %s stops at NUL.
    let a = OwnedArgs::from_slices(&[&b"fo\0o"[..], &b"a\0b"[..]]);
    assert_eq!(unknown_command_message(a.args()), b"ERR unknown command 'fo', with args beginning with: 'a' ");
    let a = OwnedArgs::from_slices(&["config", "nosuch"]);
    assert_eq!(unknown_subcommand_message(a.args()), b"ERR unknown subcommand 'nosuch'. Try CONFIG HELP.");
}

#[test]
fn texts_per_origin() {
    let r = |reason| Refusal { found: None, reason };
    let a = OwnedArgs::from_slices(&["set"]);
    assert_eq!(r(Reason::Oom).script_text(), format!("-{}", crate::state::evict::pool::OOM_ERR));
    assert_eq!(&*r(Reason::Oom).client_text(a.args()), crate::state::evict::pool::OOM_ERR.as_bytes());
    assert_eq!(r(Reason::Stale).script_text(), "Can not execute the command on a stale replica");
    assert_eq!(&*r(Reason::Stale).client_text(a.args()), MASTERDOWN.as_bytes());
    assert_eq!(r(Reason::Arity).script_text(), "Wrong number of args calling Redis command from script");
    let set = crate::command::lookup(b"set").map(|c| (c, "set"));
    let arity = Refusal { found: set, reason: Reason::Arity };
    assert_eq!(&*arity.client_text(a.args()), b"ERR wrong number of arguments for 'set' command");
}

fn rejected(h: &Harness, name: &str) -> u64 {
    h.srv.stats.commandstats.get(name).map_or(0, |s| s.rejected_calls)
}

#[test]
fn the_harness_runs_through_admission() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["get"]), "-ERR wrong number of arguments for 'get' command\r\n");
    assert_eq!(rejected(&h, "get"), 1);
    assert_eq!(h.run(&["config", "nosuch"]), "-ERR unknown subcommand 'nosuch'. Try CONFIG HELP.\r\n");
    assert_eq!(h.run(&["debug", "object", "k"]), format!("-{}\r\n", crate::command::debug::DEBUG_NOT_ALLOWED));
    assert_eq!(h.run(&["multi"]), "+OK\r\n");
    assert_eq!(h.run(&["set", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(h.run(&["exec"]), "*1\r\n+OK\r\n");
    assert_eq!(h.srv.stats.commandstats.get("set").map(|s| s.calls), Some(1));
    // A script's refused call: one rejected call of the command, one ERR in errorstats.
    let errors = h.srv.stats.total_error_replies;
    let r = h.run(&["eval", "return redis.pcall('get')", "0"]);
    assert!(r.starts_with("-ERR Wrong number of args calling Redis command from script"), "{r}");
    assert_eq!(rejected(&h, "get"), 2);
    assert_eq!(h.srv.stats.total_error_replies, errors + 1);
    let r = h.run(&["eval", "return redis.pcall('set', 'k', 'v')", "0"]);
    assert_eq!(r, "+OK\r\n");
    let r = h.run(&["eval_ro", "return redis.pcall('set', 'k', 'v')", "0"]);
    assert!(r.starts_with("-ERR Write commands are not allowed from read-only scripts."), "{r}");
    assert_eq!(rejected(&h, "set"), 1);
}

#[test]
fn the_harness_client_authenticates() {
    let mut c = Config::default();
    c.apply_text("requirepass secret\n").unwrap();
    let mut h = Harness::with_config(c);
    assert_eq!(h.run(&["get", "k"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(h.run(&["auth", "secret"]), "+OK\r\n");
    assert_eq!(h.run(&["get", "k"]), "$-1\r\n");
}
