//! Pub/Sub under load: several publishers pipelining PUBLISH at once while several subscribers (RESP2 and RESP3,
//! channel and pattern) read. ferredis coalesces a subscriber's messages into fewer writes while it is busy (see
//! README, "Pub/sub writes are coalesced"); whatever the batching, every subscriber must get every message exactly
//! once, each publisher's messages in publish order, and a RESP3 subscriber's own replies after the pushes that
//! came before them. The same scenario runs against Debian's redis-server, so the test checks itself.

use crate::common;

use common::{encode_command, Conn, Kind, Resp, Server};

const PUBLISHERS: usize = 4;
const MESSAGES: usize = 3000;

/// Reads one frame and parses it.
fn frame(c: &mut Conn) -> Resp {
    let raw = c.read_reply().expect("read");
    Resp::parse(&raw).unwrap_or_else(|e| panic!("bad frame: {e}"))
}

/// The payload of a message/pmessage frame (RESP2 array or RESP3 push).
fn payload(f: &Resp) -> Option<Vec<u8>> {
    let items = f.items()?;
    let kind = items.first()?.as_bytes()?;
    match kind {
        b"message" if items.len() == 3 => items[2].as_bytes().map(<[u8]>::to_vec),
        b"pmessage" if items.len() == 4 => items[3].as_bytes().map(<[u8]>::to_vec),
        _ => None,
    }
}

/// Checks that `got` has every publisher's MESSAGES messages, each publisher's in order.
fn check_order(label: &str, got: &[Vec<u8>]) {
    assert_eq!(got.len(), PUBLISHERS * MESSAGES, "{label}: message count");
    let mut next = [0usize; PUBLISHERS];
    for m in got {
        let text = String::from_utf8_lossy(m);
        let (p, seq) = text.split_once(':').unwrap_or_else(|| panic!("{label}: odd payload {text}"));
        let p: usize = p.parse().unwrap();
        let seq: usize = seq.parse().unwrap();
        assert_eq!(seq, next[p], "{label}: publisher {p} out of order");
        next[p] += 1;
    }
    assert!(next.iter().all(|&n| n == MESSAGES), "{label}: {next:?}");
}

fn scenario(kind: Kind) {
    let server = Server::start(kind, &[]);
    let port = server.port;
    // Subscribers: RESP2 channel, RESP2 pattern, RESP3 channel (which also runs a command afterwards).
    let mut subs: Vec<(String, Conn, bool)> = Vec::new();
    let mut a = Conn::connect(port);
    a.send(&["SUBSCRIBE", "load"]).unwrap();
    frame(&mut a);
    subs.push(("resp2-channel".into(), a, false));
    let mut b = Conn::connect(port);
    b.send(&["PSUBSCRIBE", "lo*"]).unwrap();
    frame(&mut b);
    subs.push(("resp2-pattern".into(), b, true));
    let mut c = Conn::connect(port);
    frame_cmd(&mut c, &["HELLO", "3"]);
    c.send(&["SUBSCRIBE", "load"]).unwrap();
    frame(&mut c);
    subs.push(("resp3-channel".into(), c, false));

    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            std::thread::spawn(move || {
                let mut conn = Conn::connect(port);
                let mut batch = Vec::new();
                for seq in 0..MESSAGES {
                    batch.extend_from_slice(&encode_command(&["PUBLISH", "load", &format!("{p}:{seq}")]));
                }
                conn.send_raw(&batch).unwrap();
                for _ in 0..MESSAGES {
                    // Two channel subscribers and one pattern subscriber.
                    assert_eq!(frame(&mut conn).as_int(), Some(3));
                }
            })
        })
        .collect();
    for p in publishers {
        p.join().expect("publisher");
    }
    for (label, conn, _) in subs.iter_mut() {
        let got: Vec<Vec<u8>> = (0..PUBLISHERS * MESSAGES)
            .map(|_| {
                let f = frame(conn);
                payload(&f).unwrap_or_else(|| panic!("{label}: not a message: {f:?}"))
            })
            .collect();
        check_order(label, &got);
    }
    // Every message came before the subscriber's own next reply, and nothing is left over.
    for (label, conn, pattern) in subs.iter_mut() {
        let reply = if *pattern { conn.cmd(&["PUNSUBSCRIBE"]) } else { conn.cmd(&["UNSUBSCRIBE"]) };
        let items = Resp::parse(&reply).unwrap();
        let kind = items.items().and_then(|v| v.first()).and_then(Resp::as_bytes).map(<[u8]>::to_vec);
        let expect: &[u8] = if *pattern { b"punsubscribe" } else { b"unsubscribe" };
        assert_eq!(kind.as_deref(), Some(expect), "{label}: {}", common::escape(&reply));
    }
}

fn frame_cmd(c: &mut Conn, args: &[&str]) -> Resp {
    c.send(args).unwrap();
    frame(c)
}

#[test]
fn concurrent_publishers_reach_every_subscriber_in_order_ferredis() {
    scenario(Kind::Ferredis);
}

#[test]
fn concurrent_publishers_reach_every_subscriber_in_order_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    scenario(Kind::Redis);
}
