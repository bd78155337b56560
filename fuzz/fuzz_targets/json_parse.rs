//! The JSON parser over arbitrary text: a document or serde_json's error, never a panic; a document's text
//! parses again (to the same text but for doubles, which serde_json's arithmetic may round differently).
//! The canonical-text scanner (`json::packed`) claims a text only when the parser reads it and the writer prints
//! it back byte for byte, and `locate` finds the first member or element as the tree has it.
#![no_main]
use ferredis::keyspace::types::json::packed::{is_canonical, locate, Step};
use ferredis::keyspace::types::json::{parse, Json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if is_canonical(data) {
        let s = std::str::from_utf8(data).expect("canonical text is UTF-8");
        let v = parse(s).expect("canonical text parses");
        assert_eq!(v.to_text(), data, "canonical text prints back");
        let first = match &v {
            Json::Array(a) => a.first().map(|x| (Step::Index(0), x)),
            Json::Object(o) => o.iter().next().map(|(k, x)| (Step::Key(k), x)),
            _ => None,
        };
        if let Some((step, x)) = first {
            if let Some(r) = locate(data, &[step]) {
                assert_eq!(data[r].to_vec(), x.to_text(), "located text");
            }
        }
    }
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(v) = parse(s) {
        let text = v.to_text();
        parse(std::str::from_utf8(&text).expect("UTF-8 out")).expect("our text parses");
    }
});
