use super::*;

fn rt(text: &str) -> String {
    match parse(text) {
        Ok(v) => String::from_utf8(v.to_text()).unwrap(),
        Err(e) => format!("ERR {}", e.0),
    }
}

#[test]
fn numbers_print_as_redisjson_prints_them() {
    // Each pair checked against Redis 7.0.15 with RedisJSON 2.8.3.
    for (i, o) in [
        ("1.0", "1.0"),
        ("2.5e300", "2.5e300"),
        ("0.1", "0.1"),
        ("1e-7", "1e-7"),
        ("12345678901234567890", "12345678901234567890"),
        ("-0.0", "-0.0"),
        ("-0", "-0.0"),
        ("1.5e15", "1500000000000000.0"),
        ("1e16", "1e16"),
        ("123456789.123456789", "123456789.12345679"),
        ("18446744073709551616", "1.8446744073709552e19"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("-9223372036854775809", "-9.223372036854776e18"),
        ("0.1e1", "1.0"),
        ("1E2", "100.0"),
        ("1.5E-10", "1.5e-10"),
        ("0.000001", "1e-6"),
        ("0.00001", "0.00001"),
        ("5e-324", "5e-324"),
        ("1.7976931348623157e308", "1.7976931348623157e308"),
        ("-2.5e-5", "-0.000025"),
        ("123e-20", "1.23e-18"),
        ("0e0", "0.0"),
        ("1e400", "ERR number out of range at line 1 column 5"),
        ("-1e400", "ERR number out of range at line 1 column 6"),
    ] {
        assert_eq!(rt(i), o, "{i}");
    }
}

#[test]
fn errors_match_serde_json() {
    for (i, o) in [
        ("{\"a\":1", "EOF while parsing an object at line 1 column 6"),
        ("[1,]", "trailing comma at line 1 column 4"),
        ("nul", "EOF while parsing a value at line 1 column 3"),
        ("", "EOF while parsing a value at line 1 column 0"),
        ("\"\\ud800\"", "unexpected end of hex escape at line 1 column 8"),
        ("\"\\ud800\\u0041\"", "lone leading surrogate in hex escape at line 1 column 13"),
        ("\"\\udc00\"", "lone leading surrogate in hex escape at line 1 column 7"),
        ("01", "invalid number at line 1 column 2"),
        ("1.", "EOF while parsing a value at line 1 column 2"),
        (".5", "expected value at line 1 column 1"),
        ("-", "EOF while parsing a value at line 1 column 1"),
        ("\"\\x\"", "invalid escape at line 1 column 3"),
        ("\"\u{1}\"", "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 2"),
    ] {
        assert_eq!(rt(i), format!("ERR {o}"), "{i:?}");
    }
    assert_eq!(rt(&format!("{}{}", "[".repeat(127), "]".repeat(127))).len(), 254);
    assert_eq!(
        rt(&format!("{}{}", "[".repeat(128), "]".repeat(128))),
        "ERR recursion limit exceeded at line 1 column 128"
    );
    let deep = format!("{}1{}", "{\"a\":".repeat(130), "}".repeat(130));
    assert_eq!(rt(&deep), "ERR recursion limit exceeded at line 1 column 636");
}

#[test]
fn quirks_and_escapes() {
    assert_eq!(rt("1 x"), "1");
    assert_eq!(rt("[1] x"), "[1]");
    assert_eq!(rt("{\"a\":1,\"b\":2,\"a\":3}"), "{\"a\":3,\"b\":2}");
    assert_eq!(rt(" [ 1 , 2 ] "), "[1,2]");
    assert_eq!(
        rt("\"\\u0000\\u001f\\u007f\\u0080\\u2028 \\t\\b\\f\\r\\\"\\\\/\""),
        "\"\\u0000\\u001f\u{7f}\u{80}\u{2028} \\t\\b\\f\\r\\\"\\\\/\""
    );
    assert_eq!(rt("\"\\uDBFF\\uDFFF\""), "\"\u{10FFFF}\"");
}

#[test]
fn objects_swap_remove() {
    let Ok(Json::Object(mut o)) = parse("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}") else { panic!() };
    o.remove("a");
    assert_eq!(Json::Object(o).to_text(), b"{\"d\":4,\"b\":2,\"c\":3}");
}

#[test]
fn formatting_follows_redisjson() {
    let v = parse("[[],{},[[1],[]],{\"a\":{}}]").unwrap();
    let f = Format { indent: Some(b"ab"), newline: Some(b"|"), space: Some(b"_") };
    let mut out = Vec::new();
    write_formatted(&v, &f, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "[|ab[],|ab{},|ab[|abab[|ababab1|abab],|abab[]|ab],|ab{|abab\"a\":_{}|ab}|]"
    );
    let f = Format { indent: Some(b"ab"), ..Format::default() };
    let mut out = Vec::new();
    write_formatted(&v, &f, &mut out);
    assert_eq!(String::from_utf8(out).unwrap(), "[ab[],ab{},ab[abab[ababab1abab],abab[]ab],ab{abab\"a\":{}ab}]");
}

#[test]
fn the_parser_never_panics_on_cut_or_mutated_text() {
    let doc = r#"{"a":[1,-2.5e3,"x\u00e9\n",true,null,{"b":[]}],"c":18446744073709551615}"#;
    for i in 0..=doc.len() {
        if doc.is_char_boundary(i) {
            let _ = parse(&doc[..i]);
        }
    }
    let mut rng = crate::util::Rng::new(5);
    for _ in 0..2000 {
        let mut b = doc.as_bytes().to_vec();
        let i = rng.below(b.len() as u64) as usize;
        let alphabet = b"{}[]\",:\\u0123456789eE+-. xtn";
        b[i] = alphabet[rng.below(alphabet.len() as u64) as usize];
        if let Ok(s) = std::str::from_utf8(&b) {
            let _ = parse(s);
        }
    }
}

fn sel(path: &str, doc: &str) -> String {
    let d = parse(doc).unwrap();
    match path::Query::compile(path) {
        Ok(q) => {
            let v: Vec<Json> = q.select(&d).into_iter().cloned().collect();
            String::from_utf8(Json::Array(v).to_text()).unwrap()
        }
        Err(e) => format!("ERR {}", e.0),
    }
}

#[test]
fn paths_select_in_redisjson_order() {
    let doc = r#"{"a":{"b":1,"c":[1,2,{"b":3}]},"b":[4,5],"d":"x","e":[{"p":1,"q":"ab"},{"p":5,"q":"cd"}]}"#;
    for (p, want) in [
        ("$", format!("[{doc}]")),
        (".", format!("[{doc}]")),
        ("$.a.b", "[1]".to_string()),
        ("a.b", "[1]".to_string()),
        (".a.c[0]", "[1]".to_string()),
        ("$..b", "[[4,5],1,3]".to_string()),
        ("$..[0]", "[1,4,{\"p\":1,\"q\":\"ab\"}]".to_string()),
        ("$[' a']", "[{\"b\":1,\"c\":[1,2,{\"b\":3}]}]".to_string()),
        ("$.a.c[-1].b", "[3]".to_string()),
        ("$.b[*]", "[4,5]".to_string()),
        ("$.a.*", "[1,[1,2,{\"b\":3}]]".to_string()),
        ("$['a']['b']", "[1]".to_string()),
        ("$[\"d\",\"a\"].b", "[1]".to_string()),
        ("$.a.c[0:2]", "[1,2]".to_string()),
        ("$.a.c[:-1]", "[1,2]".to_string()),
        ("$.a.c[::2]", "[1,{\"b\":3}]".to_string()),
        ("$.e[?(@.p>1)].q", "[\"cd\"]".to_string()),
        ("$.e[?@.p==1 || @.q=~\"^c\"].p", "[1,5]".to_string()),
        ("$.e[?(@.p>=1 && @.q!='ab')].p", "[5]".to_string()),
        ("$.nope", "[]".to_string()),
    ] {
        assert_eq!(sel(p, doc), want, "{p}");
    }
    assert!(sel("$.a[", doc).starts_with("ERR Error occurred on position"));
}

/// The deepest document there can be walks within a few MB of stack (a debug build's frames; a release build's
/// are several times smaller): printing, cloning, comparing, `..`, reading back from a file, dropping.
#[test]
fn the_deepest_document_walks_within_a_small_stack() {
    let t = std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(|| {
            let mut v = Json::Array(Vec::new());
            for i in 1..MAX_NESTING {
                v = if i % 2 == 0 {
                    Json::Array(vec![v])
                } else {
                    Json::Object(Object { entries: vec![("a".into(), v)] })
                };
            }
            assert_eq!(v.nesting(), MAX_NESTING);
            let c = v.clone();
            assert!(c == v && path::json_eq(&c, &v));
            assert!(v.heap_bytes() > MAX_NESTING);
            let text = v.to_text();
            let mut f = Vec::new();
            write_formatted(&v, &Format { indent: Some(b" "), newline: Some(b"\n"), space: None }, &mut f);
            let q = path::Query::compile("$..a").unwrap();
            assert_eq!(q.select(&v).len(), MAX_NESTING / 2);
            let back = parse_unlimited(std::str::from_utf8(&text).unwrap()).unwrap();
            assert!(back == v);
            drop((c, back));
            let deeper = format!("[{}]", String::from_utf8(text).unwrap());
            assert!(parse_unlimited(&deeper).unwrap_err().0.starts_with("recursion limit exceeded"));
        })
        .unwrap();
    t.join().unwrap();
}
