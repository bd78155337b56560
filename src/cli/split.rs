//! Redis's `sdssplitargs`: a command line split into arguments with "double quotes" (C escapes, `\xHH`) and
//! 'single quotes'. Used for interactive lines, `--quoted-input` and `--quoted-pattern`.
//! `None` means unbalanced quotes or a closing quote not followed by a space (redis-cli: "Invalid argument(s)").

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c)
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            let c = line.get(i).copied();
            if inq {
                match c {
                    None => return None,
                    Some(b'\\')
                        if line.get(i + 1) == Some(&b'x')
                            && line.get(i + 2).and_then(|&h| hex(h)).is_some()
                            && line.get(i + 3).and_then(|&h| hex(h)).is_some() =>
                    {
                        let hi = hex(line[i + 2]).unwrap_or(0);
                        let lo = hex(line[i + 3]).unwrap_or(0);
                        cur.push(hi * 16 + lo);
                        i += 3;
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        i += 1;
                        cur.push(match line[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if i + 1 < line.len() && !is_space(line[i + 1]) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(ch) => cur.push(ch),
                }
            } else if insq {
                match c {
                    None => return None,
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        cur.push(b'\'');
                    }
                    Some(b'\'') => {
                        if i + 1 < line.len() && !is_space(line[i + 1]) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(ch) => cur.push(ch),
                }
            } else {
                match c {
                    None => break,
                    Some(ch) if is_space(ch) => break,
                    Some(b'"') => inq = true,
                    Some(b'\'') => insq = true,
                    Some(ch) => cur.push(ch),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::split_args;

    fn s(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|v| v.into_iter().map(|a| String::from_utf8_lossy(&a).into_owned()).collect())
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(s("set a  b"), Some(vec!["set".into(), "a".into(), "b".into()]));
        assert_eq!(s("set \"a b\\n\" 'c\\'d'"), Some(vec!["set".into(), "a b\n".into(), "c'd".into()]));
        assert_eq!(split_args(b"\"\\x41\\x4\""), Some(vec![b"Ax4".to_vec()]));
        assert_eq!(s("\"unterminated"), None);
        assert_eq!(s("\"a\"b"), None);
        assert_eq!(s("   "), Some(vec![]));
        assert_eq!(s("a\"b c\""), Some(vec!["ab c".into()]));
    }
}
