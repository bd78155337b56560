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
        // Halfway between the two shortest candidates: the even one, as `ryu`.
        ("123456789012345.625", "123456789012345.62"),
        ("1125899906842624.125", "1125899906842624.2"),
        ("1679012668456861.284", "1679012668456861.2"),
        ("1679012668456861.75", "1679012668456861.8"),
        ("4503599627370494.5", "4503599627370494.5"),
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
            let v: Vec<Json> = q.select(&d).unwrap().into_iter().cloned().collect();
            String::from_utf8(Json::array(v.into()).to_text()).unwrap()
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

/// Every walk over a document at the deepest nesting a document may reach ([`MAX_NESTING`]) fits in 4 MB of stack,
/// half the main thread's usual 8 MB, in whatever build runs the tests (the parser's frames, the largest, need
/// about 0.9 KB a level unoptimized). A stack overflow here aborts the test binary.
#[test]
fn the_deepest_document_fits_the_stack() {
    std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(|| {
            // Objects and arrays alternating, MAX_NESTING levels.
            let mut v = Json::array(vec![Json::Null].into());
            for i in 1..MAX_NESTING {
                v = if i % 2 == 0 {
                    Json::array(vec![v, Json::Int(1)].into())
                } else {
                    let mut o = Object::new();
                    o.insert("a", v);
                    Json::Object(o)
                };
            }
            assert_eq!(v.nesting(), MAX_NESTING);
            let text = v.to_text();
            let f = Format { indent: Some(b"  "), newline: Some(b"\n"), space: Some(b" ") };
            let mut pretty = Vec::new();
            write_formatted(&v, &f, &mut pretty);
            let back = parse_unlimited(std::str::from_utf8(&text).unwrap()).expect("a file's document at the limit");
            assert!(back == v && path::json_eq(&back, &v));
            let copy = back.clone();
            assert!(copy == v && copy.heap_bytes() >= MAX_NESTING * std::mem::size_of::<Json>());
            drop(copy);
            let q = path::Query::compile("$..a").unwrap();
            assert_eq!(q.select(&v).unwrap().len(), MAX_NESTING / 2);
            let deeper = format!("[{}]", std::str::from_utf8(&text).unwrap());
            assert!(parse_unlimited(&deeper).is_err(), "one level more is refused");
            assert_eq!(Json::check_nesting(1, [&v]), Err(NESTING_ERROR.to_string()));
            assert_eq!(Json::check_nesting(0, [&v]), Ok(()));
            drop(back);
            drop(v);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn nesting_counts_containers_on_the_deepest_path() {
    for (text, n) in
        [("1", 0), ("[]", 1), ("{}", 1), ("[1,[2,{\"a\":[]}],3]", 4), ("{\"a\":{\"b\":1},\"c\":[[[]]]}", 4)]
    {
        assert_eq!(parse(text).unwrap().nesting(), n, "{text}");
    }
}

/// A refused path's report, one case per class: each text is RedisJSON 2.8.3's reply (without the `-`) to
/// `JSON.GET k <path>`, taken from Redis 7.0.15 with the module loaded.
#[test]
fn refused_paths_are_reported_as_redisjson_reports_them() {
    const STR_LIST: &str = "'<string>[,<string>,...]'";
    for (path, want) in [
        ("$.a[", format!("4, \"$.a[ <<<<----\", expected one of the following: {STR_LIST}, '<number>', ['start:end:steps'], '*'.")),
        ("$[1", "2, \"$[ ---->>>> 1\", expected one of the following: ['start:end:steps'].".into()),
        ("$..", "3, \"$.. <<<<----\", expected one of the following: <string>, '*'.".into()),
        ("$...a", "3, \"$.. ---->>>> .a\", expected one of the following: <string>, '*'.".into()),
        ("$.a b", "4, \"$.a  ---->>>> b\", expected one of the following: EOI, '..'.".into()),
        ("$[1:2:0]", "6, \"$[1:2: ---->>>> 0]\", expected one of the following: pos_number.".into()),
        ("$['a'", "2, \"$[ ---->>>> 'a'\", expected one of the following: '<number>', ['start:end:steps'].".into()),
        ("$.a[0,", "6, \"$.a[0, <<<<----\", expected one of the following: '<number>'.".into()),
        ("$.a[01]", "4, \"$.a[ ---->>>> 01]\", expected one of the following: ['start:end:steps'].".into()),
        (
            "$[?(@.a==)]",
            "9, \"$[?(@.a== ---->>>> )]\", expected one of the following: decimal, from_current, from_root, \
             boolean_true, boolean_false, null."
                .into(),
        ),
        (
            "$[?(@.a",
            "7, \"$[?(@.a <<<<----\", expected one of the following: ge, gt, le, lt, eq, ne, re, and, or, '..'.".into(),
        ),
        ("$[?(@.a>1", "9, \"$[?(@.a>1 <<<<----\", expected one of the following: and, or.".into()),
        ("$[?(", "4, \"$[?( <<<<----\", expected one of the following: single_filter.".into()),
        ("$.a[?(!@.b)]", "6, \"$.a[?( ---->>>> !@.b)]\", expected one of the following: single_filter.".into()),
        ("$.a[?(@.b == 1.)]", "14, \"$.a[?(@.b == 1 ---->>>> .)]\", expected one of the following: and, or.".into()),
        ("$[?(@.a)] x", "10, \"$[?(@.a)]  ---->>>> x\", expected one of the following: EOI, '..'.".into()),
        // Legacy paths are reported as rewritten.
        ("a[1", "4, \"$.a[ ---->>>> 1\", expected one of the following: ['start:end:steps'].".into()),
        ("[", format!("3, \"$.[ <<<<----\", expected one of the following: {STR_LIST}, '<number>', ['start:end:steps'], '*'.")),
        ("$.é[", "2, \"$. ---->>>> é[\", expected one of the following: <string>, '*'.".into()),
    ] {
        let got = path::Query::compile(path).map(|_| ()).map_err(|e| e.0);
        assert_eq!(got, Err(format!("Error occurred on position {want}")), "{path}");
    }
}

/// The report ([`path_error::explain`]) runs RedisJSON's grammar; the compiler runs its own parser: both agree
/// on what parses, over every cut and random edits of paths of every form.
#[test]
fn the_report_and_the_compiler_agree_on_what_parses() {
    let valid = [
        "$.a.b[0,-1]['x',\"y\"]",
        "$..a[1:2:3][*].*",
        "$..[?(@.a >= 1 && (@.b == 'x' || $.c =~ \"^d\"))]..e",
        "$[?@[0] != null][:][::2][-1:]",
        "a[?(@==true)].b",
        "$[ 0 , 1 ] . c",
    ];
    let alphabet: &[u8] = b"$.[]()?@*:,'\"\\-0129ab=<>!~&| ";
    let mut rng = crate::util::Rng::new(11);
    let mut seen = 0;
    for v in valid {
        assert!(path::Query::compile(v).is_ok(), "{v}");
        let mut cases: Vec<String> = (0..=v.len()).map(|i| v[..i].to_string()).collect();
        for _ in 0..3000 {
            let mut b = v.as_bytes().to_vec();
            for _ in 0..1 + rng.below(3) {
                let c = alphabet[rng.below(alphabet.len() as u64) as usize];
                match rng.below(3) {
                    0 if !b.is_empty() => {
                        let i = rng.below(b.len() as u64) as usize;
                        b[i] = c;
                    }
                    1 => b.insert(rng.below(b.len() as u64 + 1) as usize, c),
                    _ if !b.is_empty() => {
                        b.remove(rng.below(b.len() as u64) as usize);
                    }
                    _ => {}
                }
            }
            cases.extend(String::from_utf8(b).ok());
        }
        for c in cases {
            // As `Query::compile` rewrites a legacy path, so that both see the same JSONPath.
            let b = c.as_bytes();
            let fixed = if b.first() == Some(&b'$') && (b.len() < 2 || b[1] == b'.' || b[1] == b'[') {
                c.clone()
            } else if c == "." {
                "$".to_string()
            } else if c.starts_with('.') {
                format!("${c}")
            } else {
                format!("$.{c}")
            };
            let compiled = path::Query::compile(&fixed);
            let explained = path_error::explain(&fixed);
            assert_eq!(compiled.is_ok(), explained.is_none(), "{fixed:?}: {compiled:?} / {explained:?}");
            if let Err(e) = compiled {
                assert!(e.0.contains("expected one of the following: "), "{fixed:?}: {}", e.0);
                seen += 1;
            }
        }
    }
    assert!(seen > 5000, "{seen} refused");
}

/// Paths past what can be reported as RedisJSON does are refused with a text of ferredis's own, quickly and
/// without deep recursion: parentheses nested past the compiler's limit (RedisJSON parses them until its stack
/// overflows), and filters nested in filters whose report would take pest's doubling work per level.
#[test]
fn pathological_paths_are_refused_within_bounds() {
    let deep_parens = format!("$.a[?{}@>1{}]", "(".repeat(5000), ")".repeat(5000));
    let e = path::Query::compile(&deep_parens).unwrap_err().0;
    assert!(e.ends_with("path nested too deeply."), "{e}");
    let unclosed = format!("$.a[?{}", "(".repeat(100_000));
    let e = path::Query::compile(&unclosed).unwrap_err().0;
    assert!(e.ends_with("path nested too deeply."), "{}", &e[e.len() - 40..]);
    // 40 filters nested in filters, and a stray `)` at the end: pest's report would take 2^40 steps.
    let nested = format!("${}{})", "[?(@".repeat(40), ")]".repeat(39));
    let e = path::Query::compile(&nested).unwrap_err().0;
    assert!(e.ends_with("path nested too deeply."), "{}", &e[e.len() - 40..]);
    // A dozen levels is reported as RedisJSON reports it.
    let twelve = format!("${}{})", "[?(@".repeat(12), ")]".repeat(11));
    let e = path::Query::compile(&twelve).unwrap_err().0;
    assert!(e.ends_with("<<<<----\", expected one of the following: and, or."), "{e}");
}

/// The escaping writer's word-at-a-time scan finds every byte that needs an escape, wherever it falls in or
/// across the 8-byte words, as the byte-by-byte rule (serde_json's) does.
#[test]
fn strings_escape_wherever_the_special_byte_falls() {
    fn slow(s: &str) -> Vec<u8> {
        let mut out = vec![b'"'];
        for &c in s.as_bytes() {
            match c {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..=0x1f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
                _ => out.push(c),
            }
        }
        out.push(b'"');
        out
    }
    for special in ["\"", "\\", "\n", "\u{0}", "\u{1f}", "\u{7f}", "é", " ", "!", "#", "[", "]", "\u{ffff}"] {
        for len in 0..20 {
            for at in 0..=len {
                let s = format!("{}{special}{}", "x".repeat(at), "y".repeat(len - at));
                let mut out = Vec::new();
                write::write_str(s.as_bytes(), &mut out);
                assert_eq!(out, slow(&s), "{s:?}");
            }
        }
    }
}

/// Parsed arrays and objects hold exactly their elements (no spare capacity), short strings and keys stay in the
/// nodes, and MEMORY USAGE's figure counts every block at the allocator's chunk size.
#[test]
fn parsed_documents_are_compact() {
    let v = parse(r#"{"a":[1,2,3],"key":"short","long":"a string longer than fourteen bytes"}"#).unwrap();
    let Json::Object(o) = &v else { panic!("an object") };
    assert_eq!(o.entries.capacity(), 3);
    let Some(Json::Array(a)) = o.get("a") else { panic!("an array") };
    assert_eq!(a.capacity(), 3);
    assert!(matches!(o.get("key"), Some(Json::Str(SmallStr::Inline(..)))));
    assert!(matches!(o.get("long"), Some(Json::Str(SmallStr::Heap(..)))));
    // The object's block (8 + 3 * 32 bytes), the array's (8 + 3 * 16), the long string's (8 + 34).
    let want = [104, 56, 42]
        .iter()
        .map(|&n| crate::alloc::charged(std::alloc::Layout::from_size_align(n, 8).unwrap()))
        .sum::<usize>();
    assert_eq!(v.heap_bytes(), want);
}

/// `dispose` frees a document of any depth with its own stack (a 100,000-level one in a 256 KiB thread).
#[test]
fn dispose_frees_any_depth() {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let mut v = Json::Null;
            for i in 0..100_000 {
                v = if i % 2 == 0 {
                    Json::array(vec![v, Json::string("a string longer than fourteen bytes")].into())
                } else {
                    let mut o = Object::new();
                    o.insert("k", v);
                    Json::Object(o)
                };
            }
            v.dispose();
        })
        .unwrap()
        .join()
        .unwrap();
}

/// The short-decimal path of the double writer prints what the general one (Rust's shortest digits with ryu's
/// tie rule) prints, for decimals of up to 8 fractional digits and for doubles near them.
#[test]
fn short_decimals_print_as_the_general_path() {
    fn general(f: f64) -> Vec<u8> {
        let mut buf = [0u8; 32];
        let (len, exp) = write::shortest_digits_for_test(f, &mut buf);
        (buf[..len].to_vec(), exp).0.into_iter().chain(format!("e{exp}").into_bytes()).collect()
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..200_000 {
        let r = next();
        let k = (r % 9) as i32;
        let n = (next() % 10u64.pow(1 + (r >> 8) as u32 % 15)) as f64;
        let mut f = n / 10f64.powi(k);
        if r & (1 << 40) != 0 {
            // A neighbour of the decimal, which is no short decimal itself.
            f = f64::from_bits(f.to_bits() + 1 + (r >> 50) % 3);
        }
        if f == 0.0 || !f.is_finite() {
            continue;
        }
        let fast = write::short_decimal_for_test(f);
        if let Some(fast) = fast {
            assert_eq!(fast, general(f), "{f:e}");
        }
        let mut out = Vec::new();
        write::write_f64(f, &mut out);
        assert_eq!(std::str::from_utf8(&out).unwrap().parse::<f64>().unwrap(), f, "{f:e} reads back");
    }
}

/// A key seen again keeps its first place and takes the last value, below and past the members a scan serves
/// (the hash index takes over at `SCAN_MEMBERS`), nested objects keeping their own keys apart.
#[test]
fn duplicate_keys_fold_in_small_and_large_objects() {
    assert_eq!(rt(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    for n in [parse::SCAN_MEMBERS - 1, parse::SCAN_MEMBERS, 100] {
        let mut text: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
        text.push(r#""k0":{"k0":1,"k0":2}"#.into());
        text.push(format!("\"k{}\":-1", n - 1));
        text.push(r#""new":0"#.into());
        let mut want: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
        want[0] = r#""k0":{"k0":2}"#.into();
        want[n - 1] = format!("\"k{}\":-1", n - 1);
        want.push(r#""new":0"#.into());
        assert_eq!(rt(&format!("{{{}}}", text.join(","))), format!("{{{}}}", want.join(",")), "{n} members");
    }
}

/// An object against a model (a list of members, RedisJSON's order rules: a key set again keeps its place, a
/// removed one has the last member moved into its place) under random sequences of sets, deletes, merges
/// (a patch's keys set or, for null, deleted), retains, clears, clones and reloads from text, growing and
/// shrinking across the size where the key index starts and stops: same members, same order, every key found.
#[test]
fn objects_match_a_model_across_the_index_threshold() {
    fn set(o: &mut Object, m: &mut Vec<(String, i64)>, k: &str, v: i64) {
        let old = o.insert(k, Json::Int(v));
        match m.iter_mut().find(|(mk, _)| mk == k) {
            Some(slot) => assert_eq!(old, Some(Json::Int(std::mem::replace(&mut slot.1, v)))),
            None => {
                assert_eq!(old, None);
                m.push((k.to_string(), v));
            }
        }
    }
    fn del(o: &mut Object, m: &mut Vec<(String, i64)>, k: &str) {
        let got = o.remove(k);
        match m.iter().position(|(mk, _)| mk == k) {
            Some(i) => assert_eq!(got, Some(Json::Int(m.swap_remove(i).1))),
            None => assert_eq!(got, None),
        }
    }
    let mut rng = crate::util::Rng::new(65);
    for round in 0..40 {
        let (mut o, mut m) = (Object::new(), Vec::<(String, i64)>::new());
        // Rounds differ in how many distinct keys they draw from, so some stay small and some grow large.
        let space = [8, 40, 120, 600][round % 4];
        for step in 0..1500 {
            let key = |rng: &mut crate::util::Rng| format!("k{}", rng.below(space));
            match rng.below(100) {
                0..=54 => set(&mut o, &mut m, &key(&mut rng), step),
                55..=84 => del(&mut o, &mut m, &key(&mut rng)),
                85..=92 => {
                    for _ in 0..rng.below(20) {
                        let k = key(&mut rng);
                        match rng.below(3) {
                            0 => del(&mut o, &mut m, &k),
                            1 => set(&mut o, &mut m, &k, step),
                            // JSON.MERGE's way: the member, added as null first when it is not there.
                            _ => {
                                *o.get_or_insert_with(&k, || Json::Null) = Json::Int(step);
                                match m.iter_mut().find(|(mk, _)| *mk == k) {
                                    Some(slot) => slot.1 = step,
                                    None => m.push((k, step)),
                                }
                            }
                        }
                    }
                }
                93..=95 => {
                    let cut = rng.below(4) as i64;
                    o.retain(|_, v| !matches!(v, Json::Int(n) if n % 4 == cut));
                    m.retain(|(_, v)| v % 4 != cut);
                }
                96 if rng.below(8) == 0 => {
                    o.clear();
                    m.clear();
                }
                97 => o = o.clone(),
                98 => {
                    let Ok(Json::Object(back)) =
                        parse(std::str::from_utf8(&Json::Object(o.clone()).to_text()).unwrap())
                    else {
                        panic!("an object reads back")
                    };
                    o = back;
                }
                _ => {}
            }
            let got: Vec<(String, i64)> = o
                .iter()
                .map(|(k, v)| match v {
                    Json::Int(n) => (k.to_string(), *n),
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(got, m, "round {round} step {step}");
            assert_eq!(o.len(), m.len());
            assert_eq!(o.indexed(), o.len() > index::INDEX_FROM || (o.indexed() && o.len() > index::INDEX_UNTIL));
            if step % 50 == 0 {
                for (k, v) in &m {
                    assert_eq!(o.get(k), Some(&Json::Int(*v)), "{k}");
                }
                assert_eq!(o.get("absent"), None);
            }
        }
    }
}

/// A large object's index is counted by MEMORY USAGE and leaves no trace in what the object shows: its length,
/// its text, its equality with the same members without an index.
#[test]
fn the_key_index_is_hidden() {
    let text = format!("{{{}}}", (0..100).map(|i| format!("\"k{i}\":{i}")).collect::<Vec<_>>().join(","));
    let Ok(Json::Object(mut big)) = parse(&text) else { panic!("an object") };
    assert!(big.indexed());
    assert_eq!((big.len(), big.keys().next(), big.iter().count()), (100, Some("k0"), 100));
    assert_eq!(String::from_utf8(Json::Object(big.clone()).to_text()).unwrap(), text);
    let members_only = thin_chunk(100, 32);
    assert!(Json::Object(big.clone()).heap_bytes() > members_only + thin_chunk(1, 32));
    let mut plain = Object::new();
    for (k, v) in big.iter() {
        plain.entries.push((k.into(), v.clone()));
    }
    assert!(!plain.indexed() && plain == big);
    big.retain(|k, _| k.len() == 2);
    assert!(!big.indexed(), "ten members left drop the index");
    assert_eq!(big.keys().collect::<Vec<_>>(), (0..10).map(|i| format!("k{i}")).collect::<Vec<_>>());
}

/// A chain of `levels` objects `{"a":{"a":...}}` around `inner`.
fn chain(levels: usize, inner: &str) -> Json {
    parse(&format!("{}{inner}{}", "{\"a\":".repeat(levels), "}".repeat(levels))).unwrap()
}

/// Repeated `..` multiplies the matches at each repetition; evaluation stops at its budget with
/// `path::BUDGET_ERROR` instead of running for minutes (RedisJSON 2.8.3: `$..a..a..a..a` over the 127-deep chain
/// takes 44 s and a 1.5 GB reply), while what RedisJSON answers quickly is answered.
#[test]
fn path_evaluation_stops_at_its_budget() {
    let doc = chain(127, "1");
    let q = |k: usize| path::Query::compile(&format!("${}", "..a".repeat(k))).unwrap();
    let over = Err(path::BUDGET_ERROR.to_string());
    // C(127, k) matches: 127, 8,001, 333,375, then 10.4 million.
    assert_eq!(q(2).select(&doc).map(|v| v.len()), Ok(8_001));
    assert_eq!(q(2).select_paths(&doc).map(|v| v.len()), Ok(8_001));
    assert_eq!(q(3).select(&doc).map(|v| v.len()), Ok(333_375));
    // Locations cost their length: a third `..a` is past the budget for the writing commands.
    assert_eq!(q(3).select_paths(&doc).map(|v| v.len()), over);
    assert_eq!(q(4).select(&doc).map(|v| v.len()), over);
    assert_eq!(q(40).select_located(&doc).map(|v| v.len()), over);
    // Matches past the first thousand cost their size: 9,880 copies of a 1 MB string would be a 10 GB reply.
    let big = chain(40, &format!("\"{}\"", "x".repeat(1 << 20)));
    assert_eq!(q(3).select(&big).map(|v| v.len()), over);
    assert_eq!(q(2).select(&big).map(|v| v.len()), Ok(780));
    // A filter's sub-queries spend the same budget.
    let f = path::Query::compile("$..[?(@..a..a..a == 1)]").unwrap();
    assert_eq!(f.select(&doc).map(|v| v.len()), over);
    // A large document is walked whole: the budget grows with its nodes.
    let wide = Json::array((0..300_000).map(Json::Int).collect());
    assert_eq!(path::Query::compile("$..*").unwrap().select(&wide).map(|v| v.len()), Ok(300_000));
    assert_eq!(path::Query::compile("$..*").unwrap().select_paths(&wide).map(|v| v.len()), Ok(300_000));
}
