//! The JSON parser over arbitrary text: a document or serde_json's error, never a panic; a document's text
//! parses again (to the same text but for doubles, which serde_json's arithmetic may round differently).
#![no_main]
use ferredis::keyspace::types::json::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(v) = parse(s) {
        let text = v.to_text();
        parse(std::str::from_utf8(&text).expect("UTF-8 out")).expect("our text parses");
    }
});
