//! What a sentinel reads from the instances it watches, over arbitrary bytes: hello messages (anyone can publish
//! on `__sentinel__:hello` of a monitored master) and replies on its links. Each line of the input is a hello:
//! the state stays consistent (the master is still there, every sentinel it learnt has a run id and a port), and
//! the reply reader reads a reply no longer than its input or refuses it; never a panic.
#![no_main]
use ferredis::sentinel::{proto, Sentinel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = proto::parse_hello(data) {
        assert!(!h.master_name.contains(','));
    }
    if let Ok(Some((_, used))) = proto::parse_reply(data) {
        assert!(used <= data.len());
    }
    let mut s = Sentinel::new(26379, 0);
    s.myid = "f".repeat(40);
    if s.add_master("mymaster", "127.0.0.1", 6379, 2, 0).is_err() {
        return;
    }
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        s.process_hello(line, 1 + i as i64);
    }
    let m = s.master("mymaster").expect("the master stays monitored");
    assert!(m.sentinels.iter().all(|x| x.runid.is_some()));
    assert!(m.replicas.iter().all(|r| !r.name.is_empty()));
});
