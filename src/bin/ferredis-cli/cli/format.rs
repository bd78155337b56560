//! Reply formatters with redis-cli 7.0's exact bytes: the TTY form (`(integer) 1`, numbered nested arrays,
//! `1# key => value` maps, `(empty array)`), raw (`--raw`, the default when stdout is not a terminal), CSV and
//! JSON. Strings that the C client handles as NUL-terminated (status lines in TTY mode, error text) are cut at
//! the first NUL as redis-cli does.
//!
//! Tested by the unit tests below and, against Debian's redis-cli, by `tests/cli/cli_oneshot.rs`.

use super::reply::Reply;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Standard,
    Raw,
    Csv,
    Json,
    QuotedJson,
}

/// A formatter failure: redis-cli 7.0 knows no formatter for this reply type and exits with status 1.
#[derive(Debug, PartialEq)]
pub struct Unknown(pub i32);

impl Unknown {
    pub fn message(&self) -> String {
        format!("Unknown reply type: {}", self.0)
    }
}

/// The bytes before the first NUL (what printf("%s") would show).
pub fn cstr(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Redis's `sdscatrepr`: a double-quoted string with C escapes for everything not printable in the C locale.
pub fn repr(out: &mut Vec<u8>, s: &[u8]) {
    ferredis::util::repr_into(out, s)
}

pub fn repr_string(s: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len() + 2);
    repr(&mut v, s);
    v
}

fn is_multiline_tty(r: &Reply) -> bool {
    match r {
        Reply::Array(e) | Reply::Set(e) | Reply::Push(e) => match e.len() {
            0 => false,
            1 => is_multiline_tty(&e[0]),
            _ => true,
        },
        Reply::Map(e) => match e.len() {
            0 => false,
            2 => is_multiline_tty(&e[1]),
            _ => true,
        },
        _ => false,
    }
}

/// `cliFormatReplyTTY`.
pub fn tty(r: &Reply, prefix: &[u8], out: &mut Vec<u8>) -> Result<(), Unknown> {
    match r {
        Reply::Error(s) => {
            out.extend_from_slice(b"(error) ");
            out.extend_from_slice(cstr(s));
            out.push(b'\n');
        }
        Reply::Status(s) => {
            out.extend_from_slice(cstr(s));
            out.push(b'\n');
        }
        Reply::Integer(i) => out.extend_from_slice(format!("(integer) {i}\n").as_bytes()),
        Reply::Double(d) => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(cstr(d));
            out.push(b'\n');
        }
        Reply::Bulk(s) => {
            repr(out, s);
            out.push(b'\n');
        }
        Reply::Verb(s) => {
            out.extend_from_slice(s);
            out.push(b'\n');
        }
        Reply::Nil => out.extend_from_slice(b"(nil)\n"),
        Reply::Bool(b) => out.extend_from_slice(if *b { b"(true)\n" } else { b"(false)\n" }),
        Reply::BigNum(_) => return Err(Unknown(r.type_code())),
        Reply::Array(e) | Reply::Map(e) | Reply::Set(e) | Reply::Push(e) => {
            if e.is_empty() {
                out.extend_from_slice(match r {
                    Reply::Array(_) => b"(empty array)\n".as_slice(),
                    Reply::Map(_) => b"(empty hash)\n",
                    Reply::Set(_) => b"(empty set)\n",
                    _ => b"(empty push)\n",
                });
                return Ok(());
            }
            let is_map = matches!(r, Reply::Map(_));
            let count = if is_map { e.len() / 2 } else { e.len() };
            let idxlen = count.to_string().len();
            let mut child_prefix = prefix.to_vec();
            child_prefix.resize(prefix.len() + idxlen + 2, b' ');
            let sep = match r {
                Reply::Set(_) => '~',
                Reply::Map(_) => '#',
                _ => ')',
            };
            let mut i = 0;
            while i < e.len() {
                let human = if is_map { i / 2 + 1 } else { i + 1 };
                if i != 0 {
                    out.extend_from_slice(prefix);
                }
                out.extend_from_slice(format!("{human:>idxlen$}{sep} ").as_bytes());
                tty(&e[i], &child_prefix, out)?;
                if is_map {
                    i += 1;
                    out.pop();
                    out.extend_from_slice(b" => ");
                    let Some(v) = e.get(i) else { break };
                    if is_multiline_tty(v) {
                        out.push(b'\n');
                        out.extend_from_slice(&child_prefix);
                    }
                    tty(v, &child_prefix, out)?;
                }
                i += 1;
            }
        }
    }
    Ok(())
}

/// `cliFormatReplyRaw`; `mb_delim` separates the elements of an aggregate.
pub fn raw(r: &Reply, mb_delim: &[u8], out: &mut Vec<u8>) -> Result<(), Unknown> {
    match r {
        Reply::Nil => {}
        Reply::Error(s) => {
            out.extend_from_slice(s);
            out.push(b'\n');
        }
        Reply::Status(s) | Reply::Bulk(s) | Reply::Verb(s) => out.extend_from_slice(s),
        Reply::Bool(b) => out.extend_from_slice(if *b { b"(true)" } else { b"(false)" }),
        Reply::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Reply::Double(d) => out.extend_from_slice(cstr(d)),
        Reply::BigNum(_) => return Err(Unknown(r.type_code())),
        Reply::Array(e) | Reply::Set(e) | Reply::Push(e) => {
            for (i, x) in e.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(mb_delim);
                }
                raw(x, mb_delim, out)?;
            }
        }
        Reply::Map(e) => {
            for (i, pair) in e.chunks(2).enumerate() {
                if i > 0 {
                    out.extend_from_slice(mb_delim);
                }
                raw(&pair[0], mb_delim, out)?;
                out.push(b' ');
                if let Some(v) = pair.get(1) {
                    raw(v, mb_delim, out)?;
                }
            }
        }
    }
    Ok(())
}

/// `cliFormatReplyRaw` during a Lua debugging session: status replies are the debugger's lines, coloured by
/// their prefix when `color` (redis-cli's `sdsCatColorizedLdbReply`, for a TERM naming an xterm); a status
/// starting with `<endsession>` prints nothing and sets `ended` (later statuses print plainly).
pub fn raw_ldb(r: &Reply, mb_delim: &[u8], color: bool, ended: &mut bool, out: &mut Vec<u8>) -> Result<(), Unknown> {
    match r {
        Reply::Status(s) if !*ended => {
            if s.starts_with(b"<endsession>") {
                *ended = true;
            } else if color {
                let has = |t: &[u8]| memchr::memmem::find(s, t).is_some();
                let mut code = (0, 37);
                for (tag, c) in
                    [(&b"<debug>"[..], (1, 37)), (b"<redis>", (0, 32)), (b"<reply>", (0, 36)), (b"<error>", (0, 31))]
                {
                    if has(tag) {
                        code = c;
                    }
                }
                if has(b"<hint>") {
                    code = (1, 37);
                }
                if has(b"<value>") || has(b"<retval>") {
                    code = (0, 35);
                }
                if s.len() > 4 && s[3].is_ascii_digit() {
                    if s[1] == b'>' {
                        code = (0, 33);
                    } else if s[2] == b'#' {
                        code = (1, 37);
                    }
                }
                out.extend_from_slice(format!("\x1b[{};{};49m", code.0, code.1).as_bytes());
                out.extend_from_slice(s);
                out.extend_from_slice(b"\x1b[0m");
            } else {
                out.extend_from_slice(s);
            }
        }
        Reply::Array(e) | Reply::Set(e) | Reply::Push(e) => {
            for (i, x) in e.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(mb_delim);
                }
                raw_ldb(x, mb_delim, color, ended, out)?;
            }
        }
        _ => raw(r, mb_delim, out)?,
    }
    Ok(())
}

/// `cliFormatReplyCSV`.
pub fn csv(r: &Reply, out: &mut Vec<u8>) -> Result<(), Unknown> {
    match r {
        Reply::Error(s) => {
            out.extend_from_slice(b"ERROR,");
            repr(out, cstr(s));
        }
        Reply::Status(s) | Reply::Bulk(s) | Reply::Verb(s) => repr(out, s),
        Reply::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Reply::Double(d) => out.extend_from_slice(cstr(d)),
        Reply::Nil => out.extend_from_slice(b"NULL"),
        Reply::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Reply::BigNum(_) => return Err(Unknown(r.type_code())),
        Reply::Array(e) | Reply::Set(e) | Reply::Push(e) | Reply::Map(e) => {
            for (i, x) in e.iter().enumerate() {
                csv(x, out)?;
                if i + 1 != e.len() {
                    out.push(b',');
                }
            }
        }
    }
    Ok(())
}

fn json_string(out: &mut Vec<u8>, s: &[u8], quoted: bool) {
    if quoted {
        for &c in &repr_string(s) {
            if c == b'\\' {
                out.extend_from_slice(b"\\\\");
            } else {
                out.push(c);
            }
        }
        return;
    }
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' | b'"' => {
                out.push(b'\\');
                out.push(c);
            }
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            0..=0x1f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

/// `cliFormatReplyJson` (`--json`, and `--quoted-json` when `quoted`).
pub fn json(r: &Reply, quoted: bool, out: &mut Vec<u8>) -> Result<(), Unknown> {
    match r {
        Reply::Error(s) => {
            out.extend_from_slice(b"error:");
            json_string(out, cstr(s), quoted);
        }
        Reply::Status(s) | Reply::Bulk(s) | Reply::Verb(s) => json_string(out, s, quoted),
        Reply::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Reply::Double(d) => out.extend_from_slice(cstr(d)),
        Reply::Nil => out.extend_from_slice(b"null"),
        Reply::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Reply::BigNum(_) => return Err(Unknown(r.type_code())),
        Reply::Array(e) | Reply::Set(e) | Reply::Push(e) => {
            out.push(b'[');
            for (i, x) in e.iter().enumerate() {
                json(x, quoted, out)?;
                if i + 1 != e.len() {
                    out.push(b',');
                }
            }
            out.push(b']');
        }
        Reply::Map(e) => {
            out.push(b'{');
            let pairs = e.len() / 2;
            for (i, pair) in e.chunks_exact(2).enumerate() {
                let key = &pair[0];
                if matches!(key, Reply::Error(_) | Reply::Status(_) | Reply::Bulk(_) | Reply::Verb(_)) {
                    json(key, quoted, out)?;
                } else {
                    let mut k = Vec::new();
                    json(key, quoted, &mut k)?;
                    if k.first() == Some(&b'"') {
                        out.extend_from_slice(&k);
                    } else {
                        out.push(b'"');
                        out.extend_from_slice(&k);
                        out.push(b'"');
                    }
                }
                out.push(b':');
                json(&pair[1], quoted, out)?;
                if i + 1 != pairs {
                    out.push(b',');
                }
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// `cliFormatReply`: the whole output for one reply. `verbatim` is set for commands whose text reply is shown
/// as is (INFO, CLIENT LIST, ...): raw form without the trailing command delimiter.
pub fn reply(r: &Reply, mode: Output, verbatim: bool, mb_delim: &[u8], cmd_delim: &[u8]) -> Result<Vec<u8>, Unknown> {
    let mut out = Vec::new();
    if verbatim {
        raw(r, mb_delim, &mut out)?;
        return Ok(out);
    }
    match mode {
        Output::Standard => tty(r, b"", &mut out)?,
        Output::Raw => {
            raw(r, mb_delim, &mut out)?;
            out.extend_from_slice(cmd_delim);
        }
        Output::Csv => {
            csv(r, &mut out)?;
            out.push(b'\n');
        }
        Output::Json | Output::QuotedJson => {
            json(r, mode == Output::QuotedJson, &mut out)?;
            out.push(b'\n');
        }
    }
    Ok(out)
}

/// Whether a push is a client-tracking `invalidate` message (shown specially in TTY mode).
pub fn is_invalidate(r: &Reply) -> bool {
    match r {
        Reply::Push(e) => {
            e.len() == 2
                && matches!(&e[0], Reply::Bulk(s) if s.starts_with(b"invalidate"))
                && matches!(&e[1], Reply::Array(_))
        }
        _ => false,
    }
}

/// `cliFormatInvalidateTTY`: `-> invalidate: 'k1', 'k2'`.
pub fn invalidate_tty(r: &Reply) -> Vec<u8> {
    let mut out = b"-> invalidate: ".to_vec();
    if let Reply::Push(e) = r {
        if let Some(Reply::Array(keys)) = e.get(1) {
            for (i, k) in keys.iter().enumerate() {
                out.push(b'\'');
                out.extend_from_slice(cstr(k.bytes().unwrap_or_default()));
                out.push(b'\'');
                if i + 1 < keys.len() {
                    out.extend_from_slice(b", ");
                }
            }
        }
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    fn tty_s(r: &Reply) -> String {
        let mut o = Vec::new();
        tty(r, b"", &mut o).unwrap();
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn nested_arrays_are_numbered_and_indented() {
        let r = Reply::Array(vec![b("a"), Reply::Array(vec![Reply::Integer(1), Reply::Nil]), Reply::Array(vec![])]);
        assert_eq!(tty_s(&r), "1) \"a\"\n2) 1) (integer) 1\n   2) (nil)\n3) (empty array)\n");
        let ten = Reply::Array((0..10).map(Reply::Integer).collect());
        assert!(tty_s(&ten).starts_with(" 1) (integer) 0\n 2)"));
        assert!(tty_s(&ten).ends_with("10) (integer) 9\n"));
    }

    #[test]
    fn maps_and_sets() {
        let m = Reply::Map(vec![b("k"), Reply::Array(vec![b("x"), b("y")]), b("j"), Reply::Integer(2)]);
        assert_eq!(tty_s(&m), "1# \"k\" => \n   1) \"x\"\n   2) \"y\"\n2# \"j\" => (integer) 2\n");
        let s = Reply::Set(vec![b("a")]);
        assert_eq!(tty_s(&s), "1~ \"a\"\n");
        let mut raw_out = Vec::new();
        raw(&m, b"\n", &mut raw_out).unwrap();
        assert_eq!(raw_out, b"k x\ny\nj 2");
    }

    #[test]
    fn repr_escapes() {
        assert_eq!(repr_string(b"a\"\\\n\x00\xff"), b"\"a\\\"\\\\\\n\\x00\\xff\"".to_vec());
    }

    #[test]
    fn csv_and_json() {
        let r = Reply::Array(vec![b("a"), Reply::Integer(1), Reply::Nil, Reply::Error(b"ERR x".to_vec())]);
        let mut o = Vec::new();
        csv(&r, &mut o).unwrap();
        assert_eq!(o, b"\"a\",1,NULL,ERROR,\"ERR x\"");
        let mut j = Vec::new();
        json(&Reply::Map(vec![Reply::Integer(1), b("v\n")]), false, &mut j).unwrap();
        assert_eq!(j, b"{\"1\":\"v\\n\"}");
    }

    #[test]
    fn bignum_has_no_formatter() {
        assert_eq!(reply(&Reply::BigNum(b"1".to_vec()), Output::Raw, false, b"\n", b"\n"), Err(Unknown(13)));
    }
}
