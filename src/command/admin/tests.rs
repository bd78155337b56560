use super::*;
use crate::command::test_support::Harness;
use crate::state::SlowlogEntry;

#[test]
fn time_lastsave_monitor() {
    let mut h = Harness::new();
    assert!(h.run(&["time"]).starts_with("*2\r\n$10\r\n"));
    assert_eq!(h.run(&["lastsave"]), format!(":{}\r\n", h.srv.persist.lastsave_s));
    assert_eq!(h.run(&["monitor"]), "+OK\r\n");
    assert_eq!(h.srv.clients.monitors, vec![7]);
    assert_eq!(h.run(&["monitor"]), "");
    assert_eq!(h.run(&["reset"]), "+RESET\r\n");
    assert!(h.srv.clients.monitors.is_empty());
}

#[test]
fn shutdown_flags() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["shutdown", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(h.run(&["shutdown", "nosave", "save"]), "-ERR syntax error\r\n");
    assert_eq!(h.run(&["shutdown", "abort", "now"]), "-ERR syntax error\r\n");
    assert_eq!(h.run(&["shutdown", "abort"]), "-ERR No shutdown in progress.\r\n");
    assert!(h.srv.actions.is_empty());
    assert_eq!(h.run(&["shutdown", "nosave", "now"]), "");
    let flags = crate::state::ShutdownFlags { nosave: true, now: true, ..Default::default() };
    assert_eq!(h.srv.actions, vec![Action::Shutdown(flags)]);
    h.srv.actions.clear();
    // A shutdown waiting for replicas: ABORT answers at once, the event loop cancels the wait.
    h.srv.shutdown.deadline_ms = 1;
    assert_eq!(h.run(&["shutdown", "abort"]), "+OK\r\n");
    assert_eq!(h.srv.actions, vec![Action::AbortShutdown]);
    // Blocking is refused where a client may not block (Redis: module contexts), unless NOW.
    h.srv.actions.clear();
    h.client.flags |= cf::DENY_BLOCKING;
    assert_eq!(h.run(&["shutdown"]), "-ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client\r\n");
    assert_eq!(h.run(&["shutdown", "now"]), "");
    assert_eq!(h.srv.actions, vec![Action::Shutdown(crate::state::ShutdownFlags { now: true, ..Default::default() })]);
}

#[test]
fn shutdown_flags_of_the_signal_directives() {
    use crate::state::ShutdownFlags;
    assert_eq!(ShutdownFlags::from_config("default"), ShutdownFlags::default());
    let f = ShutdownFlags::from_config("save now force");
    assert_eq!(f, ShutdownFlags { save: true, now: true, force: true, nosave: false });
    assert!(ShutdownFlags::from_config("nosave").nosave);
}

#[test]
fn slowlog_commands() {
    let mut h = Harness::new();
    for id in 0..3u64 {
        h.srv.commandlog.slow.entries.push_front(SlowlogEntry {
            id,
            time_s: 1000 + id as i64,
            duration_us: 5,
            argv: vec![b"set".to_vec(), b"x".to_vec()],
            peer: "127.0.0.1:1".into(),
            name: Vec::new(),
        });
    }
    assert_eq!(h.run(&["slowlog", "len"]), ":3\r\n");
    assert_eq!(
        h.run(&["slowlog", "get", "1"]),
        "*1\r\n*6\r\n:2\r\n:1002\r\n:5\r\n*2\r\n$3\r\nset\r\n$1\r\nx\r\n$11\r\n127.0.0.1:1\r\n$0\r\n\r\n"
    );
    assert!(h.run(&["slowlog", "get", "-1"]).starts_with("*3\r\n"));
    assert!(h.run(&["slowlog", "get"]).starts_with("*3\r\n"));
    assert_eq!(h.run(&["slowlog", "get", "-2"]), "-ERR count should be greater than or equal to -1\r\n");
    assert_eq!(
        h.run(&["slowlog", "get", "1", "2"]),
        "-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n"
    );
    assert_eq!(h.run(&["slowlog", "reset"]), "+OK\r\n");
    assert_eq!(h.run(&["slowlog", "len"]), ":0\r\n");
    assert!(h.run(&["slowlog", "help"]).starts_with("*12\r\n+SLOWLOG <subcommand>"));
}

#[test]
fn jemalloc_size_classes() {
    assert_eq!(jemalloc_size(25), 32);
    assert_eq!(jemalloc_size(67), 80);
    assert_eq!(jemalloc_size(129), 160);
    assert_eq!(jemalloc_size(4097), 5120);
}
