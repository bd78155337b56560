//! The change feed (`keyspace-events-stream`, a ferredis extension): keyspace events appended to a stream, so a
//! consumer that goes away resumes where it left off. Checked here: the entries and what is left out (the feed's
//! own key, classes not enabled), the length cap, the cluster refusal, and that a consumer loses no event across a
//! restart of the server from its AOF and across a failover to a replica.

use crate::common::{info_field, serial, wait_for, Conn, Kind, Resp, Server};

fn cmd(c: &mut Conn, line: &str) -> String {
    String::from_utf8_lossy(&c.cmd_str(line)).into_owned()
}

/// The entries of the feed after `from` (exclusive), as (id, "event key db [field]") pairs, read the way a
/// consumer does (XREAD COUNT 1000 STREAMS feed <id>, repeated).
fn read_after(c: &mut Conn, from: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut last = from.to_string();
    loop {
        let r = Resp::parse(&c.cmd(&["XREAD", "COUNT", "1000", "STREAMS", "feed", &last])).expect("XREAD reply");
        let Some(streams) = r.items() else { break };
        let Some(entries) = streams.first().and_then(|s| s.items()).and_then(|s| s.get(1)).and_then(|e| e.items())
        else {
            break;
        };
        if entries.is_empty() {
            break;
        }
        for e in entries {
            let items = e.items().expect("entry");
            let id = String::from_utf8_lossy(items[0].as_bytes().expect("id")).into_owned();
            let fv: Vec<String> = items[1]
                .items()
                .expect("fields")
                .iter()
                .map(|x| String::from_utf8_lossy(x.as_bytes().unwrap_or_default()).into_owned())
                .collect();
            // event E key K db D [field F] -> "E K D [F]"
            let text = fv.iter().skip(1).step_by(2).cloned().collect::<Vec<_>>().join(" ");
            last = id.clone();
            out.push((id, text));
        }
    }
    out
}

#[test]
fn events_are_appended_with_their_fields() {
    let s = Server::start(
        Kind::Ferredis,
        &[
            "--keyspace-events-stream",
            "feed",
            "--notify-keyspace-events",
            "Eghx",
            "--keyspace-events-stream-maxlen",
            "5",
        ],
    );
    let mut c = s.conn();
    cmd(&mut c, "SET a 1");
    cmd(&mut c, "HSET h f 1 g 2");
    cmd(&mut c, "HPEXPIRE h 20 FIELDS 1 f");
    cmd(&mut c, "XADD feed * not fed");
    cmd(&mut c, "DEL a");
    cmd(&mut c, "SELECT 3");
    cmd(&mut c, "HSET h3 x 1");
    cmd(&mut c, "SELECT 0");
    wait_for("the field to expire", || read_after(&mut c, "0").iter().any(|(_, t)| t == "hexpired h 0 f"));
    let got: Vec<String> = read_after(&mut c, "0").into_iter().map(|(_, t)| t).collect();
    // SET's `set` is class $ (not enabled); the XADD to the feed itself is an entry (its own `xadd` event is not
    // fed); the cap keeps the last five.
    assert_eq!(got, ["hexpire h 0", "fed", "del a 0", "hset h3 3", "hexpired h 0 f"]);
    assert_eq!(
        cmd(&mut c, "CONFIG GET keyspace-events-stream"),
        "*2\r\n$22\r\nkeyspace-events-stream\r\n$4\r\nfeed\r\n"
    );
}

#[test]
fn a_cluster_node_refuses_the_feed() {
    let s = Server::start(Kind::Ferredis, &["--cluster-enabled", "yes"]);
    let mut c = s.conn();
    let r = cmd(&mut c, "CONFIG SET keyspace-events-stream feed");
    assert!(r.starts_with("-ERR") && r.contains("cluster mode"), "{r}");
    assert_eq!(cmd(&mut c, "CONFIG GET keyspace-events-stream"), "*2\r\n$22\r\nkeyspace-events-stream\r\n$0\r\n\r\n");
}

/// Writes `n` changes (three events each: hset, hexpire, and a del every tenth).
fn churn(c: &mut Conn, tag: &str, n: usize) -> usize {
    let mut events = 0;
    for i in 0..n {
        cmd(c, &format!("HSET {tag}:{i} f v"));
        cmd(c, &format!("HPEXPIRE {tag}:{i} 100000000 FIELDS 1 f"));
        events += 2;
        if i % 10 == 0 {
            cmd(c, &format!("DEL {tag}:{i}"));
            events += 1;
        }
    }
    events
}

#[test]
fn a_consumer_resumes_after_a_restart_from_the_aof() {
    let _g = serial();
    let dir = std::env::temp_dir().join(format!("ferredis-feed-aof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let args = [
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--keyspace-events-stream",
        "feed",
        "--notify-keyspace-events",
        "Egh",
    ];
    let mut s = Server::start_in(Kind::Ferredis, &dir, &args);
    let mut c = s.conn();
    let before = churn(&mut c, "a", 50);
    // The consumer reads part of it, then goes away (its last id is all it keeps).
    let seen = read_after(&mut c, "0");
    assert_eq!(seen.len(), before);
    let last = seen[before / 2].0.clone();
    let after = churn(&mut c, "b", 30);
    // The server dies without a shutdown save.
    s.kill9();
    drop(s);
    let s = Server::start_in(Kind::Ferredis, &dir, &args);
    let mut c = s.conn();
    let resumed = read_after(&mut c, &last);
    assert_eq!(resumed.len(), before - before / 2 - 1 + after, "every event after the consumer's last id");
    assert_eq!(resumed[0].0, seen[before / 2 + 1].0, "the feed resumes at the next id");
    // The restarted server goes on appending after the loaded entries.
    cmd(&mut c, "HSET c f v");
    let tail = read_after(&mut c, &resumed.last().expect("entries").0);
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].1, "hset c 0");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_consumer_resumes_on_the_promoted_replica() {
    let _g = serial();
    let feed = ["--keyspace-events-stream", "feed", "--notify-keyspace-events", "Egh"];
    let master = Server::start(Kind::Ferredis, &feed);
    let port = master.port.to_string();
    let mut rargs = vec!["--replicaof", "127.0.0.1", port.as_str()];
    rargs.extend_from_slice(&feed);
    let replica = Server::start(Kind::Ferredis, &rargs);
    let (mut m, mut r) = (master.conn(), replica.conn());
    wait_for("the replica's link", || info_field(&mut r, "replication", "master_link_status") == "up");
    let written = churn(&mut m, "x", 40);
    let seen = read_after(&mut m, "0");
    assert_eq!(seen.len(), written);
    let last = seen[10].0.clone();
    assert_eq!(cmd(&mut m, "WAIT 1 5000"), ":1\r\n");
    // The replica holds the master's feed, entry for entry (it appended none of its own).
    assert_eq!(read_after(&mut r, "0"), seen);
    drop(m);
    drop(master);
    assert_eq!(cmd(&mut r, "REPLICAOF NO ONE"), "+OK\r\n");
    let resumed = read_after(&mut r, &last);
    assert_eq!(resumed, seen[11..].to_vec(), "every event after the consumer's last id, on the new master");
    // The new master feeds its own changes now.
    cmd(&mut r, "HSET y f v");
    let tail = read_after(&mut r, &seen.last().expect("entries").0);
    assert_eq!(tail.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(), ["hset y 0"]);
}
