//! The RDB loader over arbitrary bytes (with and without deep sanitization): an error or a dataset, never a panic;
//! whatever loads must write back out and load again.
#![no_main]
use ferredis::keyspace::db::Db;
use ferredis::persist::rdb::{read_rdb, write_rdb, LoadOptions, SaveOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for sanitize in [false, true] {
        let mut dbs: Vec<Db> = (0..16).map(Db::new).collect();
        let opts = LoadOptions { checksum: false, sanitize, drop_expired: false, ..LoadOptions::default() };
        let mut input = data;
        if read_rdb(&mut input, &mut dbs, &opts).is_ok() {
            let mut out = Vec::new();
            write_rdb(&mut out, &dbs, 0, &SaveOptions::default()).expect("write to a Vec");
            let mut again: Vec<Db> = (0..16).map(Db::new).collect();
            let mut slice = out.as_slice();
            read_rdb(&mut slice, &mut again, &opts).expect("our own output loads");
        }
    }
});
