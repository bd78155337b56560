//! Inline requests (lines without the `*` prefix): the parser, fed the input whole and in pseudo-random chunks,
//! gives exactly the commands of a reference model written here from Redis's `processInlineBuffer` and
//! `sdssplitargs` (a line ends at the first `\n`, one `\r` before it is dropped; a NUL before the `\n` means the
//! line never completes; quotes and escapes as in `sdssplitargs`; a line longer than the inline limit is an error).
//! The input is cut before the first line that starts with `*` so every command stays inline.
#![no_main]
use ferredis::resp::parse::{parse_stream, parse_whole, Limits, ProtoError, Transcript};
use libfuzzer_sys::fuzz_target;

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// `sdssplitargs` over a C string (`line` holds no NUL; reading past the end gives NUL).
fn splitargs(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0;
    let mut out = Vec::new();
    loop {
        while at(p) != 0 && is_space(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(out);
        }
        let (mut inq, mut insq, mut done) = (false, false, false);
        let mut cur = Vec::new();
        while !done {
            let c = at(p);
            if inq {
                if c == b'\\' && at(p + 1) == b'x' && hex(at(p + 2)).is_some() && hex(at(p + 3)).is_some() {
                    cur.push(hex(at(p + 2))? * 16 + hex(at(p + 3))?);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    cur.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        o => o,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => cur.push(c),
                }
            }
            if c != 0 {
                p += 1;
            }
        }
        out.push(cur);
    }
}

/// The reference transcript of an all-inline stream.
fn model(input: &[u8], lim: &Limits) -> Transcript {
    let mut t = Transcript::default();
    let mut pos = 0;
    while pos < input.len() {
        let rest = &input[pos..];
        let nl = rest.iter().position(|&b| b == b'\n' || b == 0).filter(|&i| rest[i] == b'\n');
        let Some(nl) = nl else {
            if rest.len() > lim.max_inline_len {
                t.commands.push(Err(ProtoError::TooBigInline));
            }
            return t;
        };
        if nl > lim.max_inline_len {
            t.commands.push(Err(ProtoError::TooBigInline));
            return t;
        }
        let line = rest[..nl].strip_suffix(b"\r").unwrap_or(&rest[..nl]);
        match splitargs(line) {
            Some(args) => t.commands.push(Ok(args)),
            None => {
                t.commands.push(Err(ProtoError::UnbalancedQuotes));
                return t;
            }
        }
        pos += nl + 1;
        t.consumed = pos;
    }
    t
}

fuzz_target!(|data: &[u8]| {
    // Keep only the lines before the first one that starts with '*' (a multibulk request).
    let mut end = data.len();
    let mut line_start = true;
    for (i, &b) in data.iter().enumerate() {
        if line_start && b == b'*' {
            end = i;
            break;
        }
        line_start = b == b'\n';
    }
    let data = &data[..end];
    for lim in [Limits::default(), Limits { max_inline_len: 16, max_bulk_len: 64, max_multibulk_len: 8 }] {
        let want = model(data, &lim);
        let whole = parse_whole(data, &lim);
        assert!(whole.consumed <= data.len());
        assert_eq!(whole, want, "whole read");
        let mut seed = data.iter().fold(0x2545_f491_u32, |h, &b| h.rotate_left(7) ^ b as u32) | 1;
        let chunked = parse_stream(data, &lim, |_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            1 + (seed % 7) as usize
        });
        assert_eq!(chunked, want, "chunked reads");
    }
});
