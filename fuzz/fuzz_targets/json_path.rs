//! The JSONPath compiler over arbitrary text, and each path that compiles run over a small document: a query or
//! RedisJSON's error text, never a panic.
#![no_main]
use ferredis::keyspace::types::json::{parse, path::Query};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(q) = Query::compile(s) {
        let doc = parse(r#"{"a":[1,{"b":"x","c":[2.5,null]}],"d":{"e":true}}"#).expect("fixed document");
        let _ = q.select(&doc);
        let _ = q.select_paths(&doc);
    }
});
