//! The parser must give the same commands and errors however the input is split into reads.
use ferredis::resp::parse::{parse_stream, parse_whole, Limits, ProtoError};
use proptest::prelude::*;

fn assert_split_invariant(input: &[u8]) {
    let lim = Limits::default();
    let whole = parse_whole(input, &lim);
    for cut in 1..input.len() {
        let mut first = true;
        let split = parse_stream(input, &lim, |rest| if std::mem::take(&mut first) { cut } else { rest });
        assert_eq!(split, whole, "split at {cut} of {:?}", String::from_utf8_lossy(input));
    }
    let bytewise = parse_stream(input, &lim, |_| 1);
    assert_eq!(bytewise, whole, "byte by byte: {:?}", String::from_utf8_lossy(input));
}

#[test]
fn every_split_offset_gives_the_same_result() {
    let inputs: &[&[u8]] = &[
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
        b"PING\r\nset a \"b c\" 'd\\'e'\r\n\r\n  \n*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nvXX*1\r\n$4\r\nPING\r\n",
        b"*1\rX$4\r\nPING\r\n",
        b"*1\r\n$0\r\n\r\n*1\r\n$2\r\n\r\n\r\n",
        b"*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n",
        b"*1\r\nx3\r\n",
        b"*1\r\n$x\r\n",
        b"*x\r\n",
        b"PING \"x\r\n",
        b"*1\r\n\r\n",
        b"PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi",
        b"*1\0\r\n",
    ];
    for input in inputs {
        assert_split_invariant(input);
    }
}

#[test]
fn big_bulk_and_long_lines_split() {
    let mut big = b"*2\r\n$4\r\nECHO\r\n$40000\r\n".to_vec();
    big.extend((0..40_000).map(|i| (i % 251) as u8));
    big.extend_from_slice(b"\r\nPING\r\n");
    let lim = Limits::default();
    let whole = parse_whole(&big, &lim);
    assert_eq!(whole.commands.len(), 2);
    assert_eq!(whole.consumed, big.len());
    for step in [1usize, 3, 1000, 16 * 1024] {
        assert_eq!(parse_stream(&big, &lim, |_| step), whole, "step {step}");
    }
    // Lines around the 64 KiB limit: the verdict must not depend on read sizes.
    for len in [65_535usize, 65_536, 65_537, 70_000] {
        let mut inline = vec![b'a'; len];
        inline.push(b'\n');
        let mut count = b"*".to_vec();
        count.resize(len, b'1');
        count.extend_from_slice(b"\r\n");
        let mut bulk_count = b"*1\r\n$".to_vec();
        bulk_count.resize(len + 4, b'1');
        bulk_count.extend_from_slice(b"\r\n");
        for input in [&inline, &count, &bulk_count] {
            let whole = parse_whole(input, &lim);
            for step in [1usize, 7, 16 * 1024, 65_536] {
                assert_eq!(parse_stream(input, &lim, |_| step), whole, "len {len} step {step}");
            }
        }
    }
    let mut inline = vec![b'a'; 65_537];
    inline.push(b'\n');
    assert_eq!(parse_whole(&inline, &lim).commands, vec![Err(ProtoError::TooBigInline)]);
}

fn encode(cmd: &[Vec<u8>], inline: bool, out: &mut Vec<u8>) {
    if inline {
        for (i, a) in cmd.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.push(b'"');
            for &b in a {
                match b {
                    b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    0 => out.extend_from_slice(b"\\x00"),
                    _ => out.push(b),
                }
            }
            out.push(b'"');
        }
        out.extend_from_slice(b"\r\n");
    } else {
        out.extend_from_slice(format!("*{}\r\n", cmd.len()).as_bytes());
        for a in cmd {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_pipelines_round_trip_under_random_splits(
        cmds in prop::collection::vec(
            (prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..6), any::<bool>()),
            1..12,
        ),
        chunks in prop::collection::vec(1usize..64, 1..50),
    ) {
        let mut input = Vec::new();
        for (cmd, inline) in &cmds {
            encode(cmd, *inline, &mut input);
        }
        let lim = Limits::default();
        let whole = parse_whole(&input, &lim);
        let expected: Vec<_> = cmds.iter().map(|(c, _)| Ok(c.clone())).collect();
        prop_assert_eq!(&whole.commands, &expected);
        prop_assert_eq!(whole.consumed, input.len());
        let mut i = 0;
        let split = parse_stream(&input, &lim, |_| { i += 1; chunks[i % chunks.len()] });
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_split_agrees(
        input in prop::collection::vec(prop::sample::select(b"*$\r\n0123-:x \"'\\\0aSETPING".to_vec()), 0..200),
        chunks in prop::collection::vec(1usize..16, 1..20),
    ) {
        let lim = Limits { max_inline_len: 32, ..Limits::default() };
        let whole = parse_whole(&input, &lim);
        let mut i = 0;
        let split = parse_stream(&input, &lim, |_| { i += 1; chunks[i % chunks.len()] });
        prop_assert_eq!(split, whole);
    }
}
