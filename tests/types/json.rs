//! JSON (RedisJSON 2.8's command set, native) against Debian's redis-server 7.0.15 with RedisJSON 2.8 loaded
//! (`tests/common/rejson.rs`), reply bytes compared. Without the server or the module the tests print
//! "skipped" and pass (they fail under `FERREDIS_REQUIRE_ORACLES=1`).

use crate::common;

use common::rejson::{have_rejson, rejson_server};
use common::*;

#[test]
fn the_oracle_loads_redisjson() {
    if !have_rejson() {
        return;
    }
    let s = rejson_server(&[]);
    let mut c = s.conn();
    let r = c.cmd(&["MODULE", "LIST"]);
    assert!(r.windows(6).any(|w| w == b"ReJSON"), "MODULE LIST: {}", escape(&r));
    assert_eq!(c.cmd(&["JSON.SET", "k", "$", "[1]"]), b"+OK\r\n");
}
