//! Tests of the door for single keys ([`super`]): the handle's own checks, and handler-level tests through the
//! harness (in a file of their own so that the door does not import the server the harness runs).

use super::KeyWrite;
use crate::command::test_support::Harness;

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "neither settled nor declared untouched")]
fn an_open_write_dropped_unsettled_panics() {
    let w = KeyWrite::new(b"k", 0, true);
    drop(w);
}

#[test]
fn a_write_with_nothing_to_settle_or_declared_untouched_drops_quietly() {
    drop(KeyWrite::new(b"k", 0, false));
    KeyWrite::new(b"k", 0, true).untouched();
}

/// What settling does to `dirty`: a write that changed nothing counts nothing, a change counts its elements,
/// and the shortcuts count one deletion.
#[test]
fn settlement_counts_as_the_commands_did() {
    let mut h = Harness::new();
    let dirty = |h: &Harness| h.srv.persist.dirty;
    let d0 = dirty(&h);
    assert_eq!(h.run(&["sadd", "s", "a", "b"]), ":2\r\n");
    assert_eq!(dirty(&h), d0 + 2);
    assert_eq!(h.run(&["sadd", "s", "a"]), ":0\r\n");
    assert_eq!(dirty(&h), d0 + 2, "SADD of a present member changes nothing");
    assert_eq!(h.run(&["rename", "s", "t"]), "+OK\r\n");
    assert_eq!(dirty(&h), d0 + 3, "a rename is one change");
    assert_eq!(h.run(&["del", "t", "missing"]), ":1\r\n");
    assert_eq!(dirty(&h), d0 + 4);
    assert_eq!(h.run(&["ltrim", "missing", "0", "1"]), "+OK\r\n");
    assert_eq!(h.run(&["incr", "n"]), ":1\r\n");
    assert_eq!(h.run(&["hset", "n", "f", "v"]).get(..10), Some("-WRONGTYPE"));
    assert_eq!(dirty(&h), d0 + 5);
}

/// The debug check of the keyspace invariant: an empty collection under a key settled as changed is caught when
/// the handler is done.
#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "left an empty set")]
fn an_empty_collection_left_behind_is_caught() {
    use crate::keyspace::object::Value;
    let mut h = Harness::new();
    assert_eq!(h.run(&["sadd", "s", "a"]), ":1\r\n");
    // Emptied behind the door's back, then reported as a handler would.
    if let Some(Value::Set(s)) = h.srv.dbs[0].find_mut(b"s".as_slice()).and_then(|e| e.value_mut()) {
        s.remove(b"a");
    }
    h.srv.door_settled.push((0, b"s".to_vec()));
    super::check_settled(&mut h.srv);
}
