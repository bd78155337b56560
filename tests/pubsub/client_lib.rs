//! Pub/Sub through a real client library: the `redis` crate's sync pub/sub API (`Connection::as_pubsub`), against
//! ferredis and, as an oracle for the expectations, Debian's redis-server.

use crate::common;

use common::{Kind, Server};
use redis::Commands;
use std::time::Duration;

fn client(port: u16) -> redis::Connection {
    let c = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client url");
    c.get_connection().expect("connect")
}

fn scenario(port: u16) {
    let mut sub_con = client(port);
    let mut publisher = client(port);
    let mut ps = sub_con.as_pubsub();
    ps.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    ps.subscribe(&["news", "sport"]).unwrap();
    ps.psubscribe("n*").unwrap();

    let n: i64 = publisher.publish("news", "hello").unwrap();
    assert_eq!(n, 2, "channel + pattern subscription");
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "news");
    assert_eq!(m.get_payload::<String>().unwrap(), "hello");
    assert!(!m.from_pattern());
    let m = ps.get_message().unwrap();
    assert!(m.from_pattern());
    assert_eq!(m.get_pattern::<String>().unwrap(), "n*");
    assert_eq!(m.get_channel_name(), "news");
    assert_eq!(m.get_payload::<String>().unwrap(), "hello");

    let bin: Vec<u8> = vec![0, 255, b'\r', b'\n', 7];
    let n: i64 = publisher.publish("sport", &bin[..]).unwrap();
    assert_eq!(n, 1);
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "sport");
    assert_eq!(m.get_payload::<Vec<u8>>().unwrap(), bin);

    let numsub: Vec<(String, i64)> =
        redis::cmd("PUBSUB").arg("NUMSUB").arg("news").arg("sport").arg("none").query(&mut publisher).unwrap();
    assert_eq!(numsub, vec![("news".into(), 1), ("sport".into(), 1), ("none".into(), 0)]);
    let numpat: i64 = redis::cmd("PUBSUB").arg("NUMPAT").query(&mut publisher).unwrap();
    assert_eq!(numpat, 1);

    ps.unsubscribe("news").unwrap();
    ps.punsubscribe("n*").unwrap();
    let n: i64 = publisher.publish("news", "nobody").unwrap();
    assert_eq!(n, 0);
    let n: i64 = publisher.publish("sport", "still").unwrap();
    assert_eq!(n, 1);
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_payload::<String>().unwrap(), "still");
    ps.unsubscribe("sport").unwrap();
    drop(ps);
    // Back in normal mode: ordinary commands work on the same connection.
    let _: () = sub_con.set("after", "1").unwrap();
    let v: String = sub_con.get("after").unwrap();
    assert_eq!(v, "1");
}

#[test]
fn redis_crate_pubsub() {
    let s = Server::ferredis();
    scenario(s.port);
}

#[test]
fn oracle_redis_crate_pubsub() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let s = Server::start(Kind::Redis, &[]);
    scenario(s.port);
}
