//! The stream loader: arbitrary bytes as the body of an `RDB_TYPE_STREAM_LISTPACKS_2` value (nodes, metadata,
//! consumer groups; the CRC is recomputed so the fuzzer reaches the decoder) give a stream or an error, never a
//! panic, with and without deep sanitization and with the file loader's deferred node checks; a stream that loads survives reads, writes and trims, and dumps
//! to a payload that loads again.
#![no_main]
use ferredis::keyspace::object::Value;
use ferredis::keyspace::types::stream::{IdSpec, NodeLimits, StreamId, Trim, TrimStrategy};
use ferredis::keyspace::types::Thresholds;
use ferredis::persist::crc64::crc64;
use ferredis::persist::rdb::{dump_payload, restore_payload_with, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut p = vec![19u8];
    p.extend_from_slice(data);
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    // RESTORE without and with deep sanitization, and a file load without it (closed nodes kept compressed with
    // their check deferred to the first read, a corrupt one then read as empty).
    for (sanitize, defer) in [(false, false), (true, false), (false, true)] {
        let opts = LoadOptions {
            checksum: false,
            sanitize,
            defer_stream_checks: defer,
            thresholds: Thresholds::default(),
            ..LoadOptions::default()
        };
        let Ok(mut e) = restore_payload_with(b"k", &p, &opts) else { continue };
        let again = dump_payload(&e);
        restore_payload_with(b"k", &again, &opts).expect("our own payload restores");
        if let Some(Value::Stream(s)) = e.value_mut() {
            let n = s.range(StreamId::MIN, StreamId::MAX, false).map(|x| x.fields().len()).sum::<usize>();
            let _ = s.range(StreamId::MIN, StreamId::MAX, true).count() + n;
            let _ = (s.last_valid_id(), s.radix_tree_nodes());
            let _ = s.append(&[b"f", b"v"], IdSpec::Auto, 1, NodeLimits::default());
            let first = s.edge_id(true, false);
            s.xdel(&[first]);
            s.trim(&Trim { strategy: TrimStrategy::MaxLen(1), approx: false, limit: 0 });
        }
    }
});
